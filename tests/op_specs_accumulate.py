"""Specs for the ufunc methods on Tensors: running extremes (``np.maximum.accumulate``
...), NaN-ignoring reductions (``np.fmax.reduce``), log-sum-exp reductions and running
sums (``np.logaddexp.reduce``/``.accumulate``), segment sums (``np.add.reduceat``),
scatters in place (``np.add.at``, ``np.maximum.at``, ``np.multiply.at`` ...), running
differences and quotients (``np.subtract.reduce``, ``np.divide.accumulate`` ...), and
``np.linalg.tensorsolve``/``tensorinv``.  Imported at the end of op_specs.py, whose
helpers they use.  The references are NumPy's own calls on the same arrays, except for
``exp_weighted_cumsum``, checked against its definition summed term by term."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

from autodiff.ops.log_add_exp_methods import exp_weighted_cumsum
from op_specs import Case, Spec, axis_and_keepdims, signed_away_from_zero, values

#: At least one axis: NumPy's accumulate and reduceat refuse a 0-d input.
LANES = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def _running(ufunc):
    def draw(data):
        shape = data.draw(LANES, label="shape")
        axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
        if data.draw(st.booleans(), label="default axis"):
            return Case(lambda t: ufunc.accumulate(t), [values(data, shape)], ufunc.accumulate)
        return Case(lambda t: ufunc.accumulate(t, axis=axis), [values(data, shape)],
                    lambda a: ufunc.accumulate(a, axis=axis))
    return Spec(f"{ufunc.__name__}_accumulate", draw,
                notes="random values: no ties; piecewise linear, so the second order is 0")


def _logcumsumexp_case(data):
    shape = data.draw(LANES, label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    return Case(lambda t: t.logcumsumexp(axis), [values(data, shape)],
                lambda a: np.logaddexp.accumulate(a, axis=axis))


def _cumulative_extreme(name):
    ufunc = np.maximum if name == "cummax" else np.minimum

    def draw(data):
        shape = data.draw(LANES, label="shape")
        dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
        return Case(lambda t: getattr(t, name)(dim).values, [values(data, shape)],
                    lambda a: ufunc.accumulate(a, axis=dim))
    return Spec(name, draw,
                notes="random values: no ties; piecewise linear, so the second order is 0")


def _reduce(ufunc, name=None):
    def draw(data):
        shape = data.draw(array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3),
                          label="shape")
        axis, keepdims = axis_and_keepdims(data, len(shape))
        return Case(lambda t: ufunc.reduce(t, axis=axis, keepdims=keepdims),
                    [values(data, shape)],
                    lambda a: ufunc.reduce(a, axis=axis, keepdims=keepdims))
    return Spec(name or f"{ufunc.__name__}_reduce", draw)


def _scan_reference(v, s, d, axis, reverse, base2):
    v, s, d = (np.moveaxis(a, axis, -1) for a in (v, s, d))
    n = v.shape[-1]
    k, j = np.arange(n)[:, None], np.arange(n)[None, :]
    inside = (j >= k) if reverse else (j <= k)
    power = np.exp2 if base2 else np.exp
    weights = np.where(inside, power(s[..., None, :] + d[..., :, None]), 0)
    return np.moveaxis(np.sum(weights * v[..., None, :], axis=-1), -1, axis)


def _scan_case(data):
    shape = data.draw(LANES, label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    reverse, base2 = data.draw(st.booleans(), label="reverse"), data.draw(st.booleans())
    inputs = [values(data, shape), values(data, shape), values(data, shape)]
    return Case(lambda v, s, d: exp_weighted_cumsum(v, s, d, axis, reverse, base2), inputs,
                lambda v, s, d: _scan_reference(v, s, d, axis, reverse, base2))


def _reduceat_case(data):
    shape = data.draw(LANES, label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    n = shape[axis]
    indices = data.draw(st.lists(st.integers(0, n - 1), min_size=0, max_size=5),
                        label="indices")
    return Case(lambda t: np.add.reduceat(t, indices, axis=axis), [values(data, shape)],
                lambda a: np.add.reduceat(a, indices, axis=axis))


def _lane_method(ufunc, method):
    """``np.subtract.reduce`` ... along one axis (the default 0 or a drawn one), with
    divisors away from 0."""
    def draw(data):
        shape = data.draw(LANES, label="shape")
        x = signed_away_from_zero(data, shape) if ufunc is np.divide else values(data, shape)
        options = {}
        if data.draw(st.booleans(), label="give axis"):
            options["axis"] = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
        if method == "reduce" and data.draw(st.booleans(), label="keepdims"):
            options["keepdims"] = True
        call = getattr(ufunc, method)
        return Case(lambda t: call(t, **options), [x], lambda a: call(a, **options))
    return Spec(f"{ufunc.__name__}_{method}", draw)


def _scattered(ufunc, a, key, b):
    """``ufunc.at`` into a copy of ``a`` (``a * 1.0`` for a Tensor: the in-place write
    is refused on a leaf that requires grad)."""
    out = a.copy() if isinstance(a, np.ndarray) else a * 1.0
    ufunc.at(out, key, b)
    return out


def _at(ufuncs):
    return lambda data: _at_case(data, ufuncs)


def _at_case(data, ufuncs):
    """``ufunc.at`` (np.add.at, np.subtract.at, ...) with repeated indices, on the first
    axis or after a slice, with values of the selection's shape or broadcast to it
    (random values: no ties for maximum.at and minimum.at; away from zero for
    np.divide.at, which divides by them)."""
    ufunc = data.draw(st.sampled_from(ufuncs), label="ufunc")
    shape = data.draw(array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4),
                      label="shape")
    rows = np.array(data.draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=6),
                              label="indices"))
    key = (slice(None), rows % shape[-1]) if len(shape) == 2 and data.draw(st.booleans()) \
        else rows
    selected = np.zeros(shape)[key].shape
    b_shape = selected[1:] if data.draw(st.booleans(), label="broadcast") else selected
    b = signed_away_from_zero(data, b_shape) if ufunc is np.divide else values(data, b_shape)
    return Case(lambda a, b: _scattered(ufunc, a, key, b), [values(data, shape), b],
                lambda a, b: _scattered(ufunc, a, key, b))


#: (a's shape, b's shape, axes) for tensorsolve: x has shape a.shape[b.ndim:] (after
#: the axes are moved to the end).
_TENSORSOLVE = [((1, 1), (1,), None), ((6, 2, 3), (6,), None), ((2, 3, 6), (2, 3), None),
                ((2, 2, 4), (4,), (0, 1)), ((3, 2, 3, 2), (3, 2), (0,)),
                ((4, 2, 2), (2, 2), (0,))]


def _well_conditioned(data, size):
    return values(data, (size, size), -0.5, 0.5) + 2.0 * np.eye(size)


def _tensorsolve_case(data):
    a_shape, b_shape, axes = data.draw(st.sampled_from(_TENSORSOLVE), label="shapes")
    moved = list(range(len(a_shape)))
    for k in axes or ():
        moved.remove(k)
        moved.append(k)
    # Built in the moved layout (where it is a square matrix) and moved back.
    square = _well_conditioned(data, int(np.prod(b_shape)))
    a = np.transpose(square.reshape([a_shape[k] for k in moved]), np.argsort(moved))
    b = values(data, b_shape)
    return Case(lambda s, t: np.linalg.tensorsolve(s, t, axes=axes), [a, b],
                lambda s, t: np.linalg.tensorsolve(s, t, axes=axes))


def _tensorinv_case(data):
    shape, ind = data.draw(st.sampled_from([((1, 1), 1), ((4, 2, 2), 1), ((2, 2, 4), 2),
                                            ((2, 3, 3, 2), 2), ((6, 3, 2), 1)]))
    size = int(np.prod(shape[ind:]))
    a = _well_conditioned(data, size).reshape(shape)
    return Case(lambda t: np.linalg.tensorinv(t, ind=ind), [a],
                lambda t: np.linalg.tensorinv(t, ind=ind))


SPECS = [
    _running(np.maximum), _running(np.minimum), _running(np.fmax), _running(np.fmin),
    _reduce(np.fmax), _reduce(np.fmin), _reduce(np.logaddexp), _reduce(np.logaddexp2),
    _running(np.logaddexp), _running(np.logaddexp2), Spec("logcumsumexp", _logcumsumexp_case),
    _cumulative_extreme("cummax"), _cumulative_extreme("cummin"),
    Spec("exp_weighted_cumsum", _scan_case),
    Spec("add_reduceat", _reduceat_case), Spec("add_at", _at([np.add, np.subtract])),
    Spec("maximum_at", _at([np.maximum])), Spec("minimum_at", _at([np.minimum])),
    Spec("multiply_at", _at([np.multiply])), Spec("divide_at", _at([np.divide])),
    _lane_method(np.subtract, "reduce"), _lane_method(np.subtract, "accumulate"),
    _lane_method(np.divide, "reduce"), _lane_method(np.divide, "accumulate"),
    Spec("tensorsolve", _tensorsolve_case), Spec("tensorinv", _tensorinv_case),
]
