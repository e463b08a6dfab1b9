"""Reductions that skip NaN: ``nansum``, ``nanmean``, ``nanmax``, ``nanmin``.

Each is NumPy's own recipe written with the library's ops, so the forward equals
NumPy's bit for bit and the gradient follows: a NaN entry is replaced before the
reduction (by 0 for the sums, by ∓inf for the extremes) and gets zero gradient.
NumPy's ``where=`` mask (and ``initial=`` of nansum and the extremes) go to the
masked reduction (masked_reductions.py), as NumPy passes them to ``np.sum`` and
``np.fmax.reduce``.
Where a whole slice is NaN, ``nanmean`` and the extremes are NaN, as in NumPy (which
warns "Mean of empty slice" / "All-NaN slice encountered"; so does this), and the
slice gets zero gradient: nothing in it was counted.  Integer arrays have no NaN and
reduce as they are (NumPy's dtypes).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..conventions import keepdim_by_position, torch_empty_axis
from ..argument_aliases import axis_alias
from ..tensor import Tensor
from .compare import isnan, logical_not
from .elementwise import astype, maximum, where
from .numpy_dispatch import implements
from .operands import array_of
from .masked_reductions import masked_reduction
from .reduce import masking_arguments, max as _max, mean as _mean, min as _min, sum as _sum

_where = where          # (nansum's and the extremes' own where= is NumPy's mask argument)


def _refuse(name, **given):
    """Refuse the NumPy arguments in ``given`` that are set (not None, not NumPy's
    "not given")."""
    used = sorted(k for k, v in given.items() if v is not None and v is not np._NoValue)
    if used:
        raise TypeError(f"{name}: the argument(s) {used} are not supported by autodiff; "
                        "call it without them (or on t.data when no gradient is needed)")


def _floating(x) -> bool:
    return array_of(x).dtype.kind in "fc"


def _axis_and_keepdims(name, axis, dtype, keepdims, dim, keepdim, out):
    """``nansum``'s or ``nanmean``'s axis and keepdims from NumPy's or PyTorch's
    arguments; a ``dtype=`` or ``out=`` given is refused."""
    # nansum(x, (), True): PyTorch's dim=() and keepdim
    axis = torch_empty_axis(name, axis, isinstance(dtype, (bool, np.bool_)))
    dtype, keepdims = keepdim_by_position(name, dtype, keepdims, "dtype")
    axis, keepdims = axis_alias(name, axis, keepdims, dim, keepdim)
    _refuse(name, dtype=dtype, out=out)
    return axis, keepdims


@implements(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue,
           where=np._NoValue, *, dim=None, keepdim=None) -> Tensor:
    """Sum over ``axis`` treating NaN as 0, as ``np.nansum``; NaN entries get zero
    gradient.  PyTorch's ``dim=``/``keepdim=`` (or ``nansum(x, 1, True)``) are
    ``axis=``/``keepdims=``.

    >>> x = ad.tensor([1.0, np.nan, 2.0], requires_grad=True)
    >>> y = ad.nansum(x)
    >>> y.backward(); y, x.grad
    (tensor(3., requires_grad=True), array([1., 0., 1.]))
    """
    axis, keepdims = _axis_and_keepdims("nansum", axis, dtype, keepdims, dim, keepdim, out)
    replaced = _where(isnan(a), 0, a) if _floating(a) else a
    if any(v is not None for v in masking_arguments(initial, where).values()):
        return masked_reduction("sum", replaced, axis, bool(keepdims), initial, where,
                                call="np.nansum")
    return _sum(replaced, axis=axis, keepdims=bool(keepdims))


@implements(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=np._NoValue,
            dim=None, keepdim=None) -> Tensor:
    """Mean over ``axis`` of the entries that are not NaN, as ``np.nanmean``; NaN
    entries get zero gradient, an all-NaN slice gives NaN (with NumPy's warning) and
    zero gradient too, where ``torch.nanmean``'s gradient there is NaN (0 / 0).
    PyTorch's ``dim=``/``keepdim=`` (or ``nanmean(x, 1, True)``) are ``axis=``/
    ``keepdims=``.

    >>> x = ad.tensor([1.0, np.nan, 2.0], requires_grad=True)
    >>> y = ad.nanmean(x)
    >>> y.backward(); y, x.grad
    (tensor(1.5, requires_grad=True), array([0.5, 0. , 0.5]))
    """
    axis, keepdims = _axis_and_keepdims("nanmean", axis, dtype, keepdims, dim, keepdim, out)
    masked = masking_arguments(np._NoValue, where)["where"] is not None
    if not _floating(a):
        return (masked_reduction("mean", a, axis, bool(keepdims), np._NoValue, where,
                                 call="np.nanmean") if masked
                else _mean(a, axis=axis, keepdims=bool(keepdims)))
    missing = isnan(a)
    count = _present(missing, axis, keepdims, where if masked else True)
    replaced = _where(missing, 0, a)
    total = (masked_reduction("sum", replaced, axis, bool(keepdims), np._NoValue, where,
                              call="np.nanmean") if masked
             else _sum(replaced, axis=axis, keepdims=bool(keepdims)))
    mean = total / maximum(count, 1)      # (no 0 / 0 in the backward either)
    # NumPy divides into the sum's dtype: float32 stays float32
    mean = mean if mean.dtype == total.dtype else astype(mean, total.dtype)
    return _nan_where_empty(mean, count, "Mean of empty slice")


def _present(missing, axis, keepdims, where=True):
    """How many entries per lane are not NaN (and chosen by ``where``; recorded ops:
    ``ad.compile`` replays them on new values)."""
    if where is True:
        return _sum(logical_not(missing), axis=axis, keepdims=bool(keepdims))
    return masked_reduction("sum", logical_not(missing), axis, bool(keepdims), np._NoValue,
                            where)


def _nan_where_empty(result, count, message):
    if np.any(array_of(count) == 0):
        warnings.warn(message, RuntimeWarning, stacklevel=3)
    return where(count == 0, np.nan, result)


def _nan_extreme(name, reduce, fill):
    def extreme(a, axis=None, out=None, keepdims=False, initial=np._NoValue,
                where=np._NoValue) -> Tensor:
        _refuse(name, out=out)
        given = masking_arguments(initial, where)
        missing = isnan(a) if _floating(a) else None
        replaced = a if missing is None else _where(missing, fill, a)
        if given["initial"] is None and given["where"] is None:
            result = reduce(replaced, axis=axis, keepdims=bool(keepdims))
        else:
            result = masked_reduction(name[3:], replaced, axis, bool(keepdims), initial,
                                      where, call=f"np.{name}")
        if missing is None or given["initial"] is not None:   # (an initial is never NaN)
            return result
        return _nan_where_empty(result, _present(missing, axis, keepdims,
                                                 True if given["where"] is None else where),
                                "All-NaN slice encountered")
    extreme.__name__ = extreme.__qualname__ = name
    return extreme


nanmax = implements(np.nanmax)(_nan_extreme("nanmax", _max, -np.inf))
nanmax.__doc__ = """Largest value over ``axis`` ignoring NaN, as ``np.nanmax``; ties
    split the gradient (as ``ad.max``), NaN entries get none.

    >>> x = ad.tensor([1.0, np.nan, 3.0], requires_grad=True)
    >>> y = ad.nanmax(x)
    >>> y.backward(); y, x.grad
    (tensor(3., requires_grad=True), array([0., 0., 1.]))
    """

nanmin = implements(np.nanmin)(_nan_extreme("nanmin", _min, np.inf))
nansum.numpy_kwargs = nanmax.numpy_kwargs = nanmin.numpy_kwargs = ("initial", "where")
nanmean.numpy_kwargs = ("where",)         # (interop refuses them otherwise)
nanmin.__doc__ = """Smallest value over ``axis`` ignoring NaN, as ``np.nanmin``; ties
    split the gradient (as ``ad.min``), NaN entries get none.

    >>> ad.nanmin(ad.tensor([[1.0, np.nan], [np.nan, -2.0]]), axis=0)
    tensor([ 1., -2.])
    """
