"""The array API's ``sort`` and ``argsort`` (``descending=``, ``stable=``) and its dtype
functions (``finfo``, ``iinfo``, ``result_type``, ``can_cast``), which take Tensors
where NumPy's take arrays or dtypes.

>>> from autodiff import array_api as xp
>>> xp.argsort(ad.tensor([2.0, 1.0, 2.0]), descending=True)
tensor([0, 2, 1])
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..tensor import Tensor, tensor

__all__ = ["sort", "argsort", "finfo", "iinfo", "result_type", "can_cast"]


def sort(x, /, *, axis=-1, descending=False, stable=True):
    """``x`` sorted along ``axis`` (recorded: the gradient goes back to each entry's
    place); ``descending`` reverses NumPy's ascending order, which for values is the
    same as a stable descending sort."""
    ascending = np.sort(x, axis=axis, stable=stable or None)
    return np.flip(ascending, axis=axis) if descending else ascending


def argsort(x, /, *, axis=-1, descending=False, stable=True) -> Tensor:
    """The indices that sort ``x`` along ``axis`` (a Tensor without gradient); a
    stable descending order keeps equal values in their original order.

    >>> from autodiff import array_api as xp
    >>> xp.argsort(ad.tensor([[3.0, 1.0, 2.0]]))
    tensor([[1, 2, 0]])
    """
    values = x.data if isinstance(x, Tensor) else np.asarray(x)
    return tensor(made("argsort", _argsort, (values, axis, descending, stable)))


def _argsort(values, axis, descending, stable):
    if not descending:
        return np.argsort(values, axis=axis, stable=stable or None)
    # sorting the reversed values ascending and reversing back keeps ties in order
    reversed_order = np.argsort(np.flip(values, axis=axis), axis=axis, stable=stable or None)
    return values.shape[axis] - 1 - np.flip(reversed_order, axis=axis)


def _dtype_of(value):
    return value.dtype if isinstance(value, Tensor) else value


def finfo(type, /):  # noqa: A002  (the standard's name)
    """NumPy's ``finfo`` of a dtype or of a Tensor's dtype."""
    return np.finfo(_dtype_of(type))


def iinfo(type, /):  # noqa: A002
    """NumPy's ``iinfo`` of a dtype or of a Tensor's dtype."""
    return np.iinfo(_dtype_of(type))


def result_type(*arrays_and_dtypes):
    """NumPy 2's promotion of the dtypes of Tensors, dtypes and Python scalars (a
    Tensor counts by its dtype, as an array does under NumPy 2's rules)."""
    return np.result_type(*(_dtype_of(value) for value in arrays_and_dtypes))


def can_cast(from_, to, /) -> bool:
    """Whether NumPy casts ``from_`` (a dtype or a Tensor's dtype) to ``to`` safely."""
    return bool(np.can_cast(_dtype_of(from_), to))
