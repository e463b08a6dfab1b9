"""``np.quantile`` and ``np.percentile`` with ``weights=`` (NumPy's ``inverted_cdf``,
the one method that takes them) on Tensors.

NumPy sorts each lane, sums the sorted weights into a cumulative distribution,
and picks for each quantile the first entry where it reaches ``q`` (past entries
of weight 0):
an entry of the input, so the value is NumPy's exactly and its gradient goes to that
entry.  Which entry is picked is a step function of the values and of the weights,
so the weights (and ``q``) get no gradient, as the counts of ``np.histogram``.  A
lane holding NaN gives NaN with no gradient, as in NumPy.  The picks are computed
again at each replay of ``ad.compile``.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..tensor import Tensor
from .averages import _axes, _lanes_last
from .elementwise import where
from .operands import array_of
from .ordering import take_along_axis
from .quantiles import _fractions
from .rearrange import moveaxis
from .shape import reshape


def weighted_quantile(name, a, q, quantiles, axis, method, keepdims, weights):
    """``np.quantile(a, q, axis, method=method, keepdims=keepdims, weights=weights)``
    (or ``np.percentile``, ``np.nanquantile``, ``np.nanpercentile``), ``quantiles``
    being ``q`` as fractions.  The nan-functions drop the NaN entries, as weight 0
    here (never picked); only a lane of NaNs alone gives NaN."""
    values, weights_data = array_of(a), array_of(weights)
    # NumPy's checks (the method, the weights' shape and signs) and its result's shape
    expected = getattr(np, name)(values, array_of(q), axis=axis, method=method,
                                 keepdims=keepdims, weights=weights_data)
    lanes, kept_shape = _lanes_last(a, axis, name)
    q_given = q.data if isinstance(q, Tensor) else q     # (a traced q is refused before)
    picks = made("weighted quantile picks", _picks, (values, weights_data, axis, q_given, name))
    nan_lanes = made("weighted quantile NaN lanes", _nan_lanes, (values, axis, name))
    # (lanes, quantiles) gathered in one op: arrays made here are the plan's constants
    picked = where(nan_lanes, np.nan, take_along_axis(lanes, picks, axis=-1))
    shape = quantiles.shape + (kept_shape if keepdims else lanes.shape[:-1])
    result = reshape(moveaxis(picked, -1, 0), shape)
    return result if result.dtype == expected.dtype else result.astype(expected.dtype)


def _picks(values, weights, axis, q, name):
    """For each quantile and lane, the position in the lane of the entry NumPy picks."""
    quantiles = _fractions(name.removeprefix("nan"), q)
    if weights.shape != values.shape:           # 1-D weights along an int axis
        shape = [1] * values.ndim
        shape[axis] = -1
        weights = np.broadcast_to(weights.reshape(shape), values.shape)
    if name.startswith("nan") and values.dtype.kind == "f":
        weights = np.where(np.isnan(values), 0, weights)     # (NumPy removes them)
    value_lanes, weight_lanes = (_numpy_lanes(x, axis, name) for x in (values, weights))
    order = np.argsort(value_lanes, axis=-1)          # (NumPy's sort, for its ties)
    cdf = np.take_along_axis(weight_lanes, order, axis=-1).cumsum(axis=-1, dtype=np.float64)
    with np.errstate(invalid="ignore"):     # (a lane of NaNs alone: its result is NaN)
        cdf /= cdf[..., -1:]
    if quantiles.dtype.kind == "f":
        cdf = cdf.astype(quantiles.dtype)
    if np.any(cdf[..., 0] == 0):        # leading zero weights: q = 0 picks past them
        cdf[cdf == 0] = -1
    flat_cdf = cdf.reshape(-1, cdf.shape[-1])
    last = cdf.shape[-1] - 1
    sorted_positions = np.stack([
        np.minimum(np.searchsorted(lane, quantiles, side="left"), last).reshape(-1)
        for lane in flat_cdf]).reshape(cdf.shape[:-1] + (-1,))
    return np.take_along_axis(order, sorted_positions, axis=-1)     # (lanes, quantiles)


def _numpy_lanes(x, axis, name):
    """``x`` with the axes reduced over moved last and merged, as ``_lanes_last``."""
    axes = tuple(range(x.ndim)) if axis is None else _axes(axis, x.ndim, name)
    others = tuple(ax for ax in range(x.ndim) if ax not in axes)
    moved = np.transpose(x, others + axes)
    return moved.reshape(tuple(x.shape[ax] for ax in others) + (-1,))


def _nan_lanes(values, axis, name):
    """Which lanes hold a NaN (their quantiles are NaN); for the nan-functions, which
    lanes hold nothing but NaNs."""
    lanes = _numpy_lanes(values, axis, name)
    if lanes.dtype.kind != "f":
        return np.zeros(lanes.shape[:-1] + (1,), bool)
    nan = np.isnan(lanes)
    return (nan.all if name.startswith("nan") else nan.any)(axis=-1, keepdims=True)
