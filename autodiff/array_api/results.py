"""Functions of the array API whose NumPy counterparts return NumPy values for a
Tensor input (``np.argmax(t)`` is an ``np.int64``, ``np.nonzero(t)`` a tuple of
ndarrays, ``np.unique_counts(t).counts`` an ndarray), wrapped so that every array
they give is a Tensor, as the standard asks of a namespace.  The values are NumPy's;
indices, counts and truth values have no gradient.

>>> from autodiff import array_api as xp
>>> xp.argmax(ad.tensor([1.0, 3.0, 2.0]))
tensor(1)
"""

from __future__ import annotations

import functools

import numpy as np

from ..tensor import Tensor

__all__ = ["tensors_out", "argmax", "argmin", "count_nonzero", "all", "any", "nonzero",
           "unique_all", "unique_counts", "unique_inverse", "unique_values",
           "matrix_rank"]


def _as_tensor(value):
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (np.ndarray, np.generic, bool, int, float)):
        return Tensor(np.asarray(value))
    if isinstance(value, tuple):
        parts = [_as_tensor(part) for part in value]
        return type(value)(*parts) if hasattr(value, "_fields") else tuple(parts)
    return value


def tensors_out(function):
    """``function`` with every NumPy array or scalar of its result made a Tensor
    (inside tuples and named tuples too)."""
    @functools.wraps(function)
    def wrapped(*args, **kwargs):
        return _as_tensor(function(*args, **kwargs))
    return wrapped


argmax = tensors_out(np.argmax)
argmin = tensors_out(np.argmin)
count_nonzero = tensors_out(np.count_nonzero)
all = tensors_out(np.all)      # noqa: A001  (the standard's name)
any = tensors_out(np.any)      # noqa: A001
nonzero = tensors_out(np.nonzero)
unique_all = tensors_out(np.unique_all)
unique_counts = tensors_out(np.unique_counts)
unique_inverse = tensors_out(np.unique_inverse)
unique_values = tensors_out(np.unique_values)
matrix_rank = tensors_out(np.linalg.matrix_rank)
