"""Joining and splitting, as NumPy defines them: vstack, hstack, column_stack, dstack,
append, atleast_1d/2d/3d, array_split, vsplit, hsplit and dsplit.

Each is built from the recorded shape ops (reshape, concatenate, split's slices), in
the same steps NumPy takes, so shapes, edge cases and errors follow NumPy and the
gradients come from the ops they are made of: a joined input gets its slice of the
gradient back, a split piece's gradient lands in its slice of the input.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..tensor import Tensor
from .indexing import getitem
from .operands import tensor_of
from .registry import implements
from .shape import concatenate, in_join_dtype, reshape, split


def _one_or_tuple(results):
    return results[0] if len(results) == 1 else tuple(results)


@implements(np.atleast_1d)
def atleast_1d(*arys) -> Tensor | tuple[Tensor, ...]:
    """``np.atleast_1d``: 0-d inputs become shape ``(1,)``.

    One input gives one Tensor, several give a tuple.

    >>> ad.atleast_1d(ad.tensor(2.0))
    tensor([2.])
    """
    results = []
    for x in map(tensor_of, arys):
        results.append(reshape(x, (1,)) if x.ndim == 0 else x)
    return _one_or_tuple(results)


@implements(np.atleast_2d)
def atleast_2d(*arys) -> Tensor | tuple[Tensor, ...]:
    """``np.atleast_2d``: 0-d becomes ``(1, 1)``, a vector of length n ``(1, n)``.

    >>> ad.atleast_2d(ad.tensor([1.0, 2.0])).shape
    (1, 2)
    """
    results = []
    for x in map(tensor_of, arys):
        results.append(reshape(x, (1,) * (2 - x.ndim) + x.shape) if x.ndim < 2 else x)
    return _one_or_tuple(results)


@implements(np.atleast_3d)
def atleast_3d(*arys) -> Tensor | tuple[Tensor, ...]:
    """``np.atleast_3d``: at least 3 axes, placed as NumPy places them.

    ``()`` becomes ``(1, 1, 1)``, ``(n,)`` ``(1, n, 1)`` and ``(m, n)`` ``(m, n, 1)``.

    >>> ad.atleast_3d(ad.tensor(np.zeros((2, 3)))).shape
    (2, 3, 1)
    """
    results = []
    for x in map(tensor_of, arys):
        if x.ndim == 0:
            x = reshape(x, (1, 1, 1))
        elif x.ndim == 1:
            x = reshape(x, (1, x.shape[0], 1))
        elif x.ndim == 2:
            x = reshape(x, x.shape + (1,))
        results.append(x)
    return _one_or_tuple(results)


def _as_list(result):
    return [result] if isinstance(result, Tensor) else list(result)


@implements(np.vstack)
def vstack(tup, *, dtype=None, casting="same_kind") -> Tensor:
    """``np.vstack``: stack row-wise (inputs made at least 2-D, joined along axis 0).

    >>> ad.vstack([ad.tensor([1.0, 2.0]), ad.tensor([3.0, 4.0])])
    tensor([[1., 2.],
            [3., 4.]])
    """
    return concatenate(in_join_dtype("vstack", _as_list(atleast_2d(*tup)), dtype, casting),
                       axis=0)


vstack.numpy_kwargs = ("dtype", "casting")      # (interop refuses them otherwise)


@implements(np.hstack)
def hstack(tup, *, dtype=None, casting="same_kind") -> Tensor:
    """``np.hstack``: join along axis 1, or along axis 0 when the inputs are 1-D.

    >>> ad.hstack([ad.tensor([1.0]), ad.tensor([2.0, 3.0])])
    tensor([1., 2., 3.])
    """
    arrays = in_join_dtype("hstack", _as_list(atleast_1d(*tup)), dtype, casting)
    return concatenate(arrays, axis=0 if arrays and arrays[0].ndim == 1 else 1)


hstack.numpy_kwargs = ("dtype", "casting")      # (interop refuses them otherwise)


@implements(np.column_stack)
def column_stack(tup) -> Tensor:
    """``np.column_stack``: 1-D inputs become columns; everything joins along axis 1.

    >>> ad.column_stack([ad.tensor([1.0, 2.0]), ad.tensor([3.0, 4.0])])
    tensor([[1., 3.],
            [2., 4.]])
    """
    arrays = []
    for x in map(tensor_of, tup):
        arrays.append(reshape(x, (x.size, 1)) if x.ndim < 2 else x)
    return concatenate(arrays, axis=1)


@implements(np.dstack)
def dstack(tup) -> Tensor:
    """``np.dstack``: stack depth-wise (inputs made at least 3-D, joined along axis 2).

    >>> ad.dstack([ad.tensor([1.0, 2.0]), ad.tensor([3.0, 4.0])]).shape
    (1, 2, 2)
    """
    return concatenate(_as_list(atleast_3d(*tup)), axis=2)


@implements(np.append)
def append(arr, values, axis: int | None = None) -> Tensor:
    """``np.append``: ``values`` after ``arr`` along ``axis`` (None: both flattened).

    >>> ad.append(ad.tensor([1.0, 2.0]), ad.tensor([[3.0], [4.0]]))
    tensor([1., 2., 3., 4.])
    """
    arr, values = tensor_of(arr), tensor_of(values)
    if axis is None:
        if arr.ndim != 1:
            arr = reshape(arr, (-1,))
        values = reshape(values, (-1,))
        axis = arr.ndim - 1
    return concatenate([arr, values], axis=axis)


@implements(np.array_split)
def array_split(ary, indices_or_sections, axis: int = 0) -> list[Tensor]:
    """``np.array_split``: ``split`` where an int need not divide the axis evenly.

    The first ``n % sections`` pieces get one element more.

    >>> [p.shape for p in ad.array_split(ad.tensor(np.zeros(7)), 3)]
    [(3,), (2,), (2,)]
    """
    ary = tensor_of(ary)
    if not -ary.ndim <= axis < ary.ndim:
        raise ValueError(f"array_split: axis {axis} is out of range for a tensor of shape "
                         f"{ary.shape}")
    axis %= ary.ndim
    total = ary.shape[axis]
    try:
        points = [0] + [int(k) for k in indices_or_sections] + [total]
    except TypeError:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("array_split: the number of sections must be larger than 0"
                             ) from None
        each, extras = divmod(total, sections)
        sizes = [0] + extras * [each + 1] + (sections - extras) * [each]
        points = np.cumsum(sizes).tolist()
    return [getitem(ary, (slice(None),) * axis + (slice(start, stop),))
            for start, stop in zip(points[:-1], points[1:])]


@implements(np.vsplit)
def vsplit(ary, indices_or_sections) -> list[Tensor]:
    """``np.vsplit``: ``split`` along axis 0, for inputs with at least 2 dimensions.

    >>> [p.shape for p in ad.vsplit(ad.tensor(np.zeros((4, 2))), 2)]
    [(2, 2), (2, 2)]
    """
    ary = tensor_of(ary)
    if ary.ndim < 2:
        raise ValueError(f"vsplit only works on arrays of 2 or more dimensions (got shape "
                         f"{ary.shape})")
    return split(ary, indices_or_sections, 0)


@implements(np.hsplit)
def hsplit(ary, indices_or_sections) -> list[Tensor]:
    """``np.hsplit``: ``split`` along axis 1 (along axis 0 for 1-D inputs).

    >>> [p.shape for p in ad.hsplit(ad.tensor(np.zeros((2, 4))), [1])]
    [(2, 1), (2, 3)]
    """
    ary = tensor_of(ary)
    if ary.ndim == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions (got a 0-d "
                         "tensor)")
    return split(ary, indices_or_sections, 1 if ary.ndim > 1 else 0)


@implements(np.dsplit)
def dsplit(ary, indices_or_sections) -> list[Tensor]:
    """``np.dsplit``: ``split`` along axis 2, for inputs with at least 3 dimensions.

    >>> [p.shape for p in ad.dsplit(ad.tensor(np.zeros((1, 1, 4))), 2)]
    [(1, 1, 2), (1, 1, 2)]
    """
    ary = tensor_of(ary)
    if ary.ndim < 3:
        raise ValueError(f"dsplit only works on arrays of 3 or more dimensions (got shape "
                         f"{ary.shape})")
    return split(ary, indices_or_sections, 2)


if hasattr(np, "row_stack"):              # deprecated in NumPy 2.0, removed later
    @implements(np.row_stack)
    def _row_stack(tup, *, dtype=None, casting="same_kind"):
        """``vstack``, with NumPy's deprecation warning for the alias."""
        warnings.warn("`row_stack` alias is deprecated. Use `np.vstack` directly.",
                      DeprecationWarning, stacklevel=3)
        return vstack(tup, dtype=dtype, casting=casting)
