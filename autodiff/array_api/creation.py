"""The array API's creation functions for ``ad.array_api``: each returns a Tensor.

NumPy's creation functions take no array, so NumPy cannot hand them to the library;
here they build NumPy's array and wrap it.  The values and default dtypes are NumPy's
(float64 for floats, int64 for ints).  ``asarray`` of a Tensor returns that Tensor,
keeping its tape; ``copy=True`` and a new ``dtype`` are recorded copies.

>>> from autodiff import array_api as xp
>>> x = ad.tensor([1.0, 2.0], requires_grad=True)
>>> xp.asarray(x) is x, xp.asarray(x, copy=True).requires_grad, xp.zeros((2, 3)).shape
(True, True, (2, 3))
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..devices import check_device
from ..ops.elementwise import astype as _astype
from ..ops.elementwise import copy as _copy
from ..ops.operands import holds_tensor
from ..ops.shape import array as _nested_array
from ..ops.shape import broadcast_to as _broadcast_to
from ..tensor import Tensor, tensor

__all__ = ["asarray", "arange", "empty", "empty_like", "eye", "from_dlpack", "full",
           "full_like", "linspace", "ones", "ones_like", "zeros", "zeros_like"]


def created(where: str, device, numpy_function, *args, **kwargs) -> Tensor:
    """NumPy's ``numpy_function(*args, **kwargs)`` as a Tensor, once ``device`` is
    checked; ``ad.compile`` computes it again on replay."""
    check_device(where, device)
    return tensor(made(where, numpy_function, args, kwargs))


def asarray(obj, /, *, dtype=None, device=None, copy=None) -> Tensor:
    """A Tensor of ``obj``: a Tensor itself (its tape kept), or a recorded cast or copy
    of it; nested lists holding Tensors are one recorded Tensor (``ad.array``); other
    values are NumPy's ``asarray``, with its ``copy=`` rules.

    >>> from autodiff import array_api as xp
    >>> xp.asarray([1, 2]).dtype, xp.asarray(2.5, dtype=xp.float32).dtype
    (dtype('int64'), dtype('float32'))
    """
    check_device("asarray", device)
    if isinstance(obj, Tensor):
        if dtype is not None and np.dtype(dtype) != obj.dtype:
            if copy is False:
                raise ValueError(
                    f"asarray: copy=False cannot turn a tensor of dtype {obj.dtype} "
                    f"(shape {obj.shape}) into {np.dtype(dtype)} without copying; pass "
                    "copy=None to allow the (recorded) cast")
            return _astype(obj, dtype)
        return _copy(obj) if copy else obj
    if holds_tensor(obj):
        if copy is False:
            raise ValueError("asarray: copy=False cannot build one array from a nested "
                             "list of tensors without copying; pass copy=None")
        built = _nested_array(obj)
        return built if dtype is None or built.dtype == dtype else _astype(built, dtype)
    return created("asarray", None, np.asarray, obj, dtype=dtype, copy=copy)


def _filled(where, fill_value, shape, dtype) -> Tensor:
    """``full``'s result for a Tensor fill value: recorded (a broadcast, then a copy
    so that the result owns its memory)."""
    value = asarray(fill_value, dtype=dtype)
    if value.ndim != 0:
        raise ValueError(f"{where}: fill_value must be a scalar (0-d), got a tensor of "
                         f"shape {value.shape}")
    return _copy(_broadcast_to(value, shape))


def full(shape, fill_value, *, dtype=None, device=None) -> Tensor:
    """A Tensor of ``shape`` filled with ``fill_value`` (a 0-d Tensor fill is recorded).

    >>> from autodiff import array_api as xp
    >>> xp.full((2,), 3).dtype, xp.full((2,), 0.5)
    (dtype('int64'), tensor([0.5, 0.5]))
    """
    if isinstance(fill_value, Tensor):
        check_device("full", device)
        return _filled("full", fill_value, shape, dtype)
    return created("full", device, np.full, shape, fill_value, dtype=dtype)


def zeros(shape, *, dtype=None, device=None) -> Tensor:
    """A Tensor of zeros (float64 unless ``dtype``)."""
    return created("zeros", device, np.zeros, shape, dtype=dtype)


def ones(shape, *, dtype=None, device=None) -> Tensor:
    """A Tensor of ones (float64 unless ``dtype``)."""
    return created("ones", device, np.ones, shape, dtype=dtype)


def empty(shape, *, dtype=None, device=None) -> Tensor:
    """An uninitialised Tensor (float64 unless ``dtype``)."""
    return created("empty", device, np.empty, shape, dtype=dtype)


def _values(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def zeros_like(x, /, *, dtype=None, device=None) -> Tensor:
    """Zeros of ``x``'s shape and dtype (no gradient flows from ``x``)."""
    return created("zeros_like", device, np.zeros_like, _values(x), dtype=dtype)


def ones_like(x, /, *, dtype=None, device=None) -> Tensor:
    """Ones of ``x``'s shape and dtype (no gradient flows from ``x``)."""
    return created("ones_like", device, np.ones_like, _values(x), dtype=dtype)


def empty_like(x, /, *, dtype=None, device=None) -> Tensor:
    """An uninitialised Tensor of ``x``'s shape and dtype."""
    return created("empty_like", device, np.empty_like, _values(x), dtype=dtype)


def full_like(x, /, fill_value, *, dtype=None, device=None) -> Tensor:
    """``fill_value`` in ``x``'s shape and dtype (a 0-d Tensor fill is recorded)."""
    values = _values(x)
    if isinstance(fill_value, Tensor):
        check_device("full_like", device)
        return _filled("full_like", fill_value, values.shape,
                       values.dtype if dtype is None else dtype)
    return created("full_like", device, np.full_like, values, fill_value, dtype=dtype)


def eye(n_rows, n_cols=None, /, *, k=0, dtype=None, device=None) -> Tensor:
    """Ones on the ``k``-th diagonal of an ``(n_rows, n_cols)`` Tensor."""
    return created("eye", device, np.eye, n_rows, n_cols, k=k, dtype=dtype)


def arange(start, /, stop=None, step=1, *, dtype=None, device=None) -> Tensor:
    """``start, start + step, ...`` up to ``stop`` (excluded), as NumPy's ``arange``."""
    return created("arange", device, np.arange, start, stop, step, dtype=dtype)


def linspace(start, stop, /, num, *, dtype=None, device=None, endpoint=True) -> Tensor:
    """``num`` evenly spaced values; recorded when ``start`` or ``stop`` is a Tensor.

    >>> from autodiff import array_api as xp
    >>> xp.linspace(0.0, 1.0, 3)
    tensor([0. , 0.5, 1. ])
    """
    if isinstance(start, Tensor) or isinstance(stop, Tensor):
        check_device("linspace", device)
        return np.linspace(start, stop, num, endpoint=endpoint, dtype=dtype)
    return created("linspace", device, np.linspace, start, stop, num, endpoint=endpoint,
                   dtype=dtype)


def from_dlpack(x, /, *, device=None, copy=None) -> Tensor:
    """A Tensor over the memory of an object that exports DLPack; a Tensor is taken as
    by ``asarray`` (its tape kept, ``copy=True`` a recorded copy)."""
    if isinstance(x, Tensor):
        check_device("from_dlpack", device)
        return asarray(x, copy=copy)
    return created("from_dlpack", device, np.from_dlpack, x, copy=copy)
