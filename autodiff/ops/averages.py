"""Weighted averages and order statistics: ``average``, ``median``, ``ptp``.

Each follows NumPy's own recipe with the library's ops, so the forward equals
NumPy's bit for bit and the gradient follows:

- ``average``: ``sum(a * w) / sum(w)`` over ``axis``, differentiable in the values
  and in the weights (either may be a Tensor);
- ``median``: the middle value, or the mean of the two middle values, of the sorted
  lanes (NumPy partitions; the values are the same), so the gradient goes to that
  input, or half of it to each of the two (with ties, to the one sorting there); a
  lane holding NaN gives NaN, as in NumPy, and no gradient;
- ``ptp``: ``max - min``, each with ``ad.max``'s rule (ties split).
"""

from __future__ import annotations

import math

import numpy as np

from ..compile.hooks import made
from ..conventions import keepdim_by_position, torch_pair_along_dim
from ..tensor import Tensor
from .compare import isnan
from .elementwise import astype, where
from .numpy_dispatch import implements
from .operands import array_of
from .ordering import sort
from .reduce import max as _max, mean as _mean, min as _min, sum as _sum
from .shape import reshape, transpose

_NO_VALUE = np._NoValue


def _axes(axis, ndim, name):
    """NumPy's ``normalize_axis_tuple``, with the error naming the function."""
    try:
        return np.lib.array_utils.normalize_axis_tuple(axis, ndim, argname="axis")
    except np.exceptions.AxisError as error:
        raise np.exceptions.AxisError(
            f"{name}: {error} (input shape has {ndim} axes); axis must be None, an int or "
            "a tuple of ints in [-ndim, ndim)") from None


@implements(np.average)
def average(a, axis=None, weights=None, returned: bool = False, *, keepdims=_NO_VALUE):
    """Weighted mean over ``axis``, as ``np.average``: ``sum(a * weights) /
    sum(weights)``, differentiable in ``a`` and in ``weights``; with ``returned`` also
    the sum of the weights.

    >>> x = ad.tensor([1.0, 2.0, 4.0], requires_grad=True)
    >>> w = ad.tensor([1.0, 1.0, 2.0], requires_grad=True)
    >>> y = ad.average(x, weights=w)
    >>> y.backward(); y, x.grad
    (tensor(2.75, requires_grad=True), array([0.25, 0.25, 0.5 ]))
    >>> w.grad                      # (x - y) / sum(w)
    array([-0.4375, -0.1875,  0.3125])
    """
    values = array_of(a)
    axes = None if axis is None else _axes(axis, values.ndim, "average")
    kept = {} if keepdims is _NO_VALUE else {"keepdims": bool(keepdims)}
    if weights is None:
        avg = _mean(a, axis=axes, **kept)
        scale = avg.dtype.type(values.size / avg.size)
        return (avg, _broadcast_scale(scale, avg)) if returned else avg
    # (a Tensor, so that what is done to the weights is recorded: ad.compile replays it)
    w = weights if isinstance(weights, Tensor) else Tensor(np.asarray(weights))
    if values.shape != w.shape:
        if axes is None:
            raise TypeError(
                f"average: weights of shape {w.shape} differ from a's shape {values.shape}, "
                "so axis must say which axes they weigh (as in NumPy)")
        if w.shape != tuple(values.shape[ax] for ax in axes):
            raise ValueError(
                f"average: weights of shape {w.shape} must match a's shape {values.shape} "
                f"along axis {axis} (as in NumPy)")
        w = transpose(w, tuple(int(k) for k in np.argsort(axes)))
        w = reshape(w, tuple(s if ax in axes else 1 for ax, s in enumerate(values.shape)))
    w_dtype = array_of(w).dtype
    if issubclass(values.dtype.type, (np.integer, np.bool_)):
        result_dtype = np.result_type(values.dtype, w_dtype, "f8")
    else:
        result_dtype = np.result_type(values.dtype, w_dtype)
    # NumPy sums the weights and multiplies in the result's dtype
    w = _as_dtype(w, result_dtype)
    scale = _sum(w, axis=axes, **kept)
    # checked again at each replay of ad.compile, on that call's weights
    made("average weights check", _nonzero_sums, (array_of(scale),), stateful=True)
    avg = _sum(_as_dtype(a, result_dtype) * w, axis=axes, **kept) / scale
    return (avg, _broadcast_scale(scale, avg)) if returned else avg


def _nonzero_sums(scale):
    if np.any(scale == 0.0):
        raise ZeroDivisionError("average: the weights sum to zero, so they cannot be "
                                "normalized (as in NumPy)")
    return True


def _as_dtype(x, dtype):
    if array_of(x).dtype == dtype:
        return x
    return astype(x, dtype) if isinstance(x, Tensor) else x.astype(dtype)


def _broadcast_scale(scale, avg):
    shape = array_of(avg).shape
    if np.shape(array_of(scale)) == shape:
        return scale
    if isinstance(scale, Tensor):
        from .shape import broadcast_to
        return broadcast_to(scale, shape)
    return np.broadcast_to(scale, shape).copy()


@implements(np.median)
def median(a, axis=None, out=None, overwrite_input: bool = False, keepdims: bool = False,
           *, dim=None, keepdim=None):
    """The median over ``axis``, as ``np.median``: the middle value of each sorted lane,
    or the mean of the two middle ones; the gradient goes to those inputs.  A lane
    holding NaN gives NaN.  With PyTorch's ``dim=``, PyTorch's ``(values, indices)``
    (its lower median of an even count), as ``t.median(dim=...)``.

    >>> x = ad.tensor([3.0, 1.0, 4.0, 2.0], requires_grad=True)
    >>> y = ad.median(x)
    >>> y.backward(); y, x.grad
    (tensor(2.5, requires_grad=True), array([0.5, 0. , 0. , 0.5]))
    """
    if dim is not None:
        return torch_pair_along_dim("median", a, axis, keepdims, dim, keepdim)
    out, keepdims = keepdim_by_position("median", out, keepdims, "out")
    if out is not None:
        raise TypeError("median: out= is not supported by autodiff; call it without it")
    # (overwrite_input only lets NumPy reorder its input; a Tensor is left as it is)
    values = array_of(a)
    lanes, kept_shape = _lanes_last(a, axis, "median")
    n = lanes.shape[-1]
    if n == 0:      # NumPy's "Mean of empty slice" (the mean below is PyTorch's, quiet)
        from ..warning_lines import numpy_warnings_at_user_line
        numpy_warnings_at_user_line(np.median, values, axis=axis, keepdims=keepdims)
    ordered = sort(lanes, axis=-1)
    middle = n // 2
    chosen = ordered[..., middle:middle + 1] if n % 2 else ordered[..., middle - 1:middle + 1]
    result = _mean(chosen, axis=-1)
    if values.dtype.kind in "fc" and n > 0:
        result = where(isnan(ordered[..., -1]), np.nan, result)     # NaN sorts last
    result = reshape(result, kept_shape) if keepdims else result
    if axis is not None and result.shape[:1] == (2,):   # (keepdims: median(x, 1, True))
        from ..conventions import warn_if_unpacked_as_torch_pair
        warn_if_unpacked_as_torch_pair("median", "x.median(dim=1) (PyTorch's lower median "
                                                 "of an even count, with its indices)")
    return result


def _lanes_last(a, axis, name):
    """``a`` with the axes reduced over moved last and merged into one, and the shape
    the result takes with ``keepdims``."""
    values = array_of(a)
    axes = tuple(range(values.ndim)) if axis is None else _axes(axis, values.ndim, name)
    others = tuple(ax for ax in range(values.ndim) if ax not in axes)
    kept_shape = tuple(1 if ax in axes else s for ax, s in enumerate(values.shape))
    if not isinstance(a, Tensor):
        a = Tensor(values)
    moved = transpose(a, others + axes) if others + axes != tuple(range(values.ndim)) else a
    lane_length = math.prod(values.shape[ax] for ax in axes)
    lanes = reshape(moved, tuple(values.shape[ax] for ax in others) + (lane_length,))
    return lanes, kept_shape


@implements(np.ptp)
def ptp(a, axis=None, out=None, keepdims=_NO_VALUE) -> Tensor:
    """Peak to peak, ``max - min`` over ``axis``, as ``np.ptp``; ties split the gradient
    as in ``ad.max`` and ``ad.min``.

    >>> x = ad.tensor([1.0, 5.0, 2.0], requires_grad=True)
    >>> y = ad.ptp(x)
    >>> y.backward(); y, x.grad
    (tensor(4., requires_grad=True), array([-1.,  1.,  0.]))
    """
    if out is not None:
        raise TypeError("ptp: out= is not supported by autodiff; call it without it")
    kept = {} if keepdims is _NO_VALUE else {"keepdims": bool(keepdims)}
    return _max(a, axis=axis, **kept) - _min(a, axis=axis, **kept)
