"""Specs for the NaN-ignoring reductions, weighted averages, order statistics,
covariance, sampled functions (``np.gradient``, ``np.trapezoid``) and the smaller
elementwise functions added with them (cbrt, copysign, heaviside, sinc, float_power,
signbit, angle).  Imported at the end of op_specs.py, whose helpers
they use: import op_specs (its SPECS include these), not this module on its own.

The NaN-ignoring reductions get one NaN inside the function (a fixed position, so
finite differences see a function of the other entries), only where every lane
keeps another value: an all-NaN lane is NaN, tested by hand in
tests/test_numpy_additions.py."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import autodiff as ad
from op_specs import SHAPES, Case, Spec, _rng, axis_and_keepdims, binary, unary, values
from hypothesis.extra.numpy import mutually_broadcastable_shapes


def _lane_length(shape, axis):
    if axis is None:
        return math.prod(shape)
    axes = (axis,) if isinstance(axis, int) else axis
    return math.prod(shape[a] for a in axes)


def _nan_reduction(name, ad_func, np_func):
    def draw(data):
        shape = data.draw(SHAPES, label="shape")
        axis, keepdims = axis_and_keepdims(data, len(shape))
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
        axis, keepdims = axis_and_keepdims(data, len(shape))
        return Case(lambda t: ad_func(t, axis=axis, keepdims=keepdims), [values(data, shape)],
                    lambda a: np_func(a, axis=axis, keepdims=keepdims))
    return Spec(name, draw, notes="random values: no ties")


def _quantile_case(name, ad_func, np_func):
    from autodiff.ops.quantiles import METHODS

    def draw(data):
        shape = data.draw(SHAPES, label="shape")
        axis, keepdims = axis_and_keepdims(data, len(shape))
        method = data.draw(st.sampled_from(sorted(METHODS)), label="method")
        scale = 100 if name == "percentile" else 1
        q = data.draw(st.one_of(st.floats(0, 1), st.lists(st.floats(0, 1), min_size=1,
                                                          max_size=3)), label="q")
        q = q * scale if isinstance(q, float) else np.array(q) * scale
        return Case(lambda t: ad_func(t, q, axis=axis, method=method, keepdims=keepdims),
                    [values(data, shape)],
                    lambda a: np_func(a, q, axis=axis, method=method, keepdims=keepdims))
    return Spec(name, draw, notes="random values: no ties")


def _nan_order_statistic(name, ad_func, np_func):
    """NaNs put in by the function (several per lane, so lanes keep different counts,
    but never a whole lane), and q and the method drawn as for quantile."""
    from autodiff.ops.quantiles import METHODS

    def draw(data):
        shape = data.draw(SHAPES, label="shape")
        axis, keepdims = axis_and_keepdims(data, len(shape))
        x = values(data, shape)
        holes = _rng(data).random(shape) < data.draw(st.sampled_from([0.0, 0.3, 0.6]),
                                                     label="share of NaN")
        lanes = np.moveaxis(holes, _lane_axes(shape, axis), range(-_lane_rank(shape, axis), 0))
        flat = lanes.reshape(lanes.shape[:lanes.ndim - _lane_rank(shape, axis)] + (-1,))
        flat[..., 0] = False            # every lane keeps a value
        holes = np.moveaxis(flat.reshape(lanes.shape), range(-_lane_rank(shape, axis), 0),
                            _lane_axes(shape, axis))
        keywords = dict(axis=axis, keepdims=keepdims)
        if name != "nanmedian":
            keywords["method"] = data.draw(st.sampled_from(sorted(METHODS)), label="method")
            q = data.draw(st.one_of(st.floats(0, 1), st.lists(st.floats(0, 1), min_size=1,
                                                              max_size=3)), label="q")
            q = q * 100 if name == "nanpercentile" and isinstance(q, float) else \
                np.array(q) * (100 if name == "nanpercentile" else 1)
            keywords["q"] = q
        return Case(lambda t: ad_func(ad.where(holes, np.nan, t), **keywords), [x],
                    lambda a: np_func(np.where(holes, np.nan, a), **keywords))
    return Spec(name, draw, notes="NaNs inside the function, never a whole lane; no ties")


def _lane_axes(shape, axis):
    if axis is None:
        return tuple(range(len(shape)))
    return tuple(a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,)))


def _lane_rank(shape, axis):
    return len(_lane_axes(shape, axis))


def _average_case(data):
    shape = data.draw(SHAPES, label="shape")
    kind = data.draw(st.sampled_from(["none", "same shape", "along axis"]), label="weights")
    x = values(data, shape)
    if kind == "none" or not shape:
        axis, keepdims = axis_and_keepdims(data, len(shape))
        return Case(lambda t: ad.average(t, axis=axis, keepdims=keepdims), [x],
                    lambda a: np.average(a, axis=axis, keepdims=keepdims))
    if kind == "same shape":
        axis, keepdims = axis_and_keepdims(data, len(shape))
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


def _trapezoid_case(data):
    shape = data.draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
                      label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    kind = data.draw(st.sampled_from(["dx", "x 1-d", "x same shape"]), label="spacing")
    y = values(data, shape)
    if kind == "dx":
        dx = float(_rng(data).uniform(0.5, 2.0))
        return Case(lambda t: ad.trapezoid(t, dx=dx, axis=axis), [y],
                    lambda a: np.trapezoid(a, dx=dx, axis=axis))
    x = np.cumsum(_rng(data).uniform(0.5, 2.0, size=shape[axis] if kind == "x 1-d" else shape),
                  axis=0 if kind == "x 1-d" else axis)
    # differentiable in the sample points too
    return Case(lambda t, u: ad.trapezoid(t, u, axis=axis), [y, x],
                lambda a, b: np.trapezoid(a, b, axis=axis))


def _covariance_case(ad_func, np_func, weighted):
    def draw(data):
        variables = data.draw(st.integers(1, 3), label="variables")
        observations = data.draw(st.integers(2, 5), label="observations")
        rowvar = data.draw(st.booleans(), label="rowvar")
        shape = (variables, observations) if rowvar else (observations, variables)
        m = values(data, shape)
        kwargs = {"rowvar": rowvar}
        if weighted:
            kwargs["aweights"] = _rng(data).uniform(0.5, 2.0, size=observations)
            kwargs["ddof"] = data.draw(st.sampled_from([0, 1]), label="ddof")
        return Case(lambda t: ad_func(t, **kwargs), [m], lambda a: np_func(a, **kwargs))
    return draw


def _cumulative_sum_case(data):
    shape = data.draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3),
                      label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    initial = data.draw(st.booleans(), label="include_initial")
    return Case(lambda t: ad.cumulative_sum(t, axis=axis, include_initial=initial),
                [values(data, shape)],
                lambda a: np.cumulative_sum(a, axis=axis, include_initial=initial))


def _float_power_case(data):
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
                       label="shapes")
    return Case(ad.float_power, [values(data, shapes.input_shapes[0], 0.5, 2.0),
                                 values(data, shapes.input_shapes[1], -2.0, 2.0)],
                np.float_power)


def _heaviside_case(data):
    # (x1 never exactly 0 here: it jumps there; x2's gradient at x1 == 0 is tested in
    # tests/test_numpy_additions.py)
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
                       label="shapes")
    return Case(ad.heaviside, [values(data, shapes.input_shapes[0]),
                               values(data, shapes.input_shapes[1])], np.heaviside)


SPECS = [
    _nan_reduction("nansum", ad.nansum, np.nansum),
    _nan_reduction("nanmean", ad.nanmean, np.nanmean),
    _nan_reduction("nanmax", ad.nanmax, np.nanmax),
    _nan_reduction("nanmin", ad.nanmin, np.nanmin),
    Spec("average", _average_case),
    _order_statistic("median", ad.median, np.median),
    _order_statistic("ptp", ad.ptp, np.ptp),
    _quantile_case("quantile", ad.quantile, np.quantile),
    _quantile_case("percentile", ad.percentile, np.percentile),
    _nan_order_statistic("nanquantile", ad.nanquantile, np.nanquantile),
    _nan_order_statistic("nanpercentile", ad.nanpercentile, np.nanpercentile),
    _nan_order_statistic("nanmedian", ad.nanmedian, np.nanmedian),
    Spec("gradient (np)", _gradient_case),
    Spec("angle", lambda data: Case(ad.angle, [values(data, data.draw(SHAPES))], np.angle),
         order=-1, notes="piecewise constant, without gradient"),
    Spec("trapezoid", _trapezoid_case),
    Spec("cov", _covariance_case(ad.cov, np.cov, weighted=False)),
    Spec("cov aweights", _covariance_case(ad.cov, np.cov, weighted=True)),
    Spec("corrcoef", _covariance_case(ad.corrcoef, np.corrcoef, weighted=False),
         notes="a variable's correlation with itself is the constant 1"),
    Spec("cumulative_sum", _cumulative_sum_case),
    Spec("matrix_transpose", lambda data: Case(
        ad.matrix_transpose, [values(data, data.draw(array_shapes(min_dims=2, max_dims=4,
                                                                  min_side=1, max_side=3)))],
        np.matrix_transpose)),
    unary("cbrt", ad.cbrt, np.cbrt, 0.3, 3.0, signed=True),
    unary("sinc", ad.sinc, np.sinc, -2.0, 2.0),
    Spec("float_power", _float_power_case),
    Spec("heaviside", _heaviside_case),
    binary("copysign", ad.copysign, np.copysign, a_range=(0.3, 2.0), b_range=(-2.0, 2.0)),
    Spec("signbit", lambda data: Case(ad.signbit, [values(data, data.draw(SHAPES))],
                                      np.signbit), order=0),
]
