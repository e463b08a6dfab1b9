"""``np.pad(mode='constant')`` with ``constant_values`` that hold Tensors (a learned
border, or ``constant_values=x.mean()``): the array padded with zeros, and each padded
entry then taken from its value on the tape, so each value's gradient is the sum of
the gradients of the entries it fills.

Which value fills an entry is found by NumPy itself: ``np.pad`` of an array of zeros
with a code for each (axis, side) as its constant values, so the corners are NumPy's
(a later axis's value wins) and so is the reading of the values (one number, one
``(before, after)`` pair, or a pair per axis).
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..tensor import Tensor
from .elementwise import astype, where
from .shape import array as array_of, broadcast_to, reshape


def _value_pairs(values, ndim: int) -> Tensor:
    """``constant_values`` as a Tensor of shape (ndim, 2), read as NumPy's ``_as_pairs``
    reads them: one number for every side, two for (before, after) on every axis
    (unless their shape is (2, 1)), else broadcast to a pair per axis."""
    table = array_of(values)
    if table.ndim < 3 and table.size == 1:
        return broadcast_to(reshape(table, (1, 1)), (ndim, 2))
    if table.ndim < 3 and table.size == 2 and table.shape != (2, 1):
        return broadcast_to(reshape(table, (1, 2)), (ndim, 2))
    return broadcast_to(table, (ndim, 2))


def pad_with_tensor_values(array, pairs, values, pad_constant) -> Tensor:
    """``array`` padded by ``pairs`` (a (before, after) pair per axis) with the
    ``values`` that hold Tensors, on the tape; ``pad_constant(array, pairs)`` pads with
    zeros.

    >>> x = ad.tensor([1.0, 2.0])
    >>> border = ad.tensor(5.0, requires_grad=True)
    >>> ad.pad(x, 1, constant_values=border)
    tensor([5., 1., 2., 5.], requires_grad=True)
    """
    data = array.data if isinstance(array, Tensor) else np.asarray(array)
    table = _value_pairs(values, data.ndim)
    filled = made("pad value entries", _value_entries, (data.shape, pairs))
    positions = made("pad value positions", _value_positions, (data.shape, pairs))
    padded = pad_constant(array, pairs)
    # NumPy writes the values into an array of the input's dtype (float32 stays float32)
    fill = astype(reshape(table, (-1,)), data.dtype)[positions]
    return where(filled, fill, padded)


def _value_codes(shape, pairs) -> np.ndarray:
    """The padded shape's entries: 0 for the array's own, else 1 + the position of the
    value that fills it in the (ndim, 2) table of values, as NumPy's pad places it."""
    codes = np.arange(1, 2 * len(shape) + 1).reshape(len(shape), 2)
    return np.pad(np.zeros(shape, dtype=np.intp), pairs, constant_values=codes)


def _value_entries(shape, pairs) -> np.ndarray:
    return _value_codes(shape, pairs) != 0


def _value_positions(shape, pairs) -> np.ndarray:
    """Each entry's position in the table of values (0 for the array's own entries)."""
    return np.maximum(_value_codes(shape, pairs) - 1, 0)
