"""Specs for the NaN-ignoring reductions, weighted averages, order statistics,
``np.gradient`` and ``np.angle``.  Imported at the end of op_specs.py, whose helpers
they use: import op_specs (its SPECS include these), not this module on its own.

The NaN-ignoring reductions get one NaN inside the function (a fixed position, so
finite differences see a function of the other entries), only where every lane
keeps another value: an all-NaN lane is NaN, tested by hand in
tests/test_numpy_statistics.py."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import autodiff as ad
from op_specs import SHAPES, Case, Spec, _rng, values


def _axis_and_keepdims(data, ndim):
    choice = data.draw(st.sampled_from(["none", "int", "tuple"]), label="axis kind")
    if choice == "none" or ndim == 0:
        axis = None
    elif choice == "int":
        axis = data.draw(st.integers(-ndim, ndim - 1), label="axis")
    else:
        axis = tuple(data.draw(st.sets(st.integers(0, ndim - 1), min_size=1), label="axes"))
    return axis, data.draw(st.booleans(), label="keepdims")


def _lane_length(shape, axis):
    if axis is None:
        return math.prod(shape)
    axes = (axis,) if isinstance(axis, int) else axis
    return math.prod(shape[a] for a in axes)


def _nan_reduction(name, ad_func, np_func):
    def draw(data):
        shape = data.draw(SHAPES, label="shape")
        axis, keepdims = _axis_and_keepdims(data, len(shape))
        x = values(data, shape)
        hole = np.zeros(shape, dtype=bool)
        if _lane_length(shape, axis) >= 2 and data.draw(st.booleans(), label="nan"):
            hole.reshape(-1)[_rng(data).integers(x.size)] = True

        def func(t):
            return ad_func(ad.where(hole, np.nan, t), axis=axis, keepdims=keepdims)
        return Case(func, [x], lambda a: np_func(np.where(hole, np.nan, a), axis=axis,
                                                  keepdims=keepdims))
    return Spec(name, draw, notes="one NaN inside the function, never a whole lane")


def _order_statistic(name, ad_func, np_func):
    def draw(data):
        shape = data.draw(SHAPES, label="shape")
        axis, keepdims = _axis_and_keepdims(data, len(shape))
        return Case(lambda t: ad_func(t, axis=axis, keepdims=keepdims), [values(data, shape)],
                    lambda a: np_func(a, axis=axis, keepdims=keepdims))
    return Spec(name, draw, notes="random values: no ties")


def _average_case(data):
    shape = data.draw(SHAPES, label="shape")
    kind = data.draw(st.sampled_from(["none", "same shape", "along axis"]), label="weights")
    x = values(data, shape)
    if kind == "none" or not shape:
        axis, keepdims = _axis_and_keepdims(data, len(shape))
        return Case(lambda t: ad.average(t, axis=axis, keepdims=keepdims), [x],
                    lambda a: np.average(a, axis=axis, keepdims=keepdims))
    if kind == "same shape":
        axis, keepdims = _axis_and_keepdims(data, len(shape))
        w = values(data, shape, 0.5, 2.0)
    else:
        axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
        keepdims = data.draw(st.booleans(), label="keepdims")
        w = values(data, (shape[axis],), 0.5, 2.0)
    return Case(lambda t, u: ad.average(t, axis=axis, weights=u, keepdims=keepdims), [x, w],
                lambda a, b: np.average(a, axis=axis, weights=b, keepdims=keepdims))


def _gradient_case(data):
    edge_order = data.draw(st.sampled_from([1, 2]), label="edge_order")
    shape = data.draw(array_shapes(min_dims=1, max_dims=3, min_side=edge_order + 1,
                                   max_side=4), label="shape")
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)),
                     label="axis")
    axes = range(len(shape)) if axis is None else [axis]
    spacing = []
    for a in axes:
        kind = data.draw(st.sampled_from(["default", "number", "coordinates"]), label="dx")
        if kind == "number":
            spacing.append(float(_rng(data).uniform(0.5, 2.0)))
        elif kind == "coordinates":
            spacing.append(np.cumsum(_rng(data).uniform(0.5, 2.0, size=shape[a])))
        else:
            spacing.append(1.0)

    def func(t):
        out = np.gradient(t, *spacing, axis=axis, edge_order=edge_order)
        return ad.stack(out) if isinstance(out, tuple) else out

    def reference(a):
        out = np.gradient(a, *spacing, axis=axis, edge_order=edge_order)
        return np.stack(out) if isinstance(out, tuple) else out
    return Case(func, [values(data, shape)], reference)


SPECS = [
    _nan_reduction("nansum", ad.nansum, np.nansum),
    _nan_reduction("nanmean", ad.nanmean, np.nanmean),
    _nan_reduction("nanmax", ad.nanmax, np.nanmax),
    _nan_reduction("nanmin", ad.nanmin, np.nanmin),
    Spec("average", _average_case),
    _order_statistic("median", ad.median, np.median),
    _order_statistic("ptp", ad.ptp, np.ptp),
    Spec("gradient (np)", _gradient_case),
    Spec("angle", lambda data: Case(ad.angle, [values(data, data.draw(SHAPES))], np.angle),
         order=-1, notes="piecewise constant, without gradient"),
]
