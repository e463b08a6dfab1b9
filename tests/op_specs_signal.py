"""Specs for the functions of autodiff/ops/signal.py and autodiff/ops/polynomial.py.
Imported at the end of op_specs.py, whose helpers they use: import op_specs (its SPECS
include these), not this module on its own.

Functions whose result depends on the values in steps (unwrap's correction,
trim_zeros' length, piecewise's conditions) get values away from the steps, or
zeros put in by the function, so that central differences see one smooth piece."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

from op_specs import Case, Spec, _rng, values

LENGTHS = st.integers(1, 5)
MODES = st.sampled_from(["full", "same", "valid"])


def _sliding_case(np_func):
    def draw(data):
        n = data.draw(LENGTHS, label="len(a)")
        m = data.draw(LENGTHS, label="len(v)")
        mode = data.draw(MODES, label="mode")
        scalar_a = n == 1 and np_func is np.convolve and data.draw(st.booleans(), label="0-d")
        a = values(data, () if scalar_a else (n,))
        return Case(lambda s, t: np_func(s, t, mode), [a, values(data, (m,))],
                    lambda s, t: np_func(s, t, mode))
    return draw


def _vander_case(data):
    n = data.draw(LENGTHS, label="len(x)")
    columns = data.draw(st.one_of(st.none(), st.integers(0, 4)), label="N")
    increasing = data.draw(st.booleans(), label="increasing")
    return Case(lambda t: np.vander(t, columns, increasing), [values(data, (n,))],
                lambda a: np.vander(a, columns, increasing))


def _polyfit_case(data):
    # distinct, spread-out sample points and deg < len(x): full rank, so the fit (and
    # its gradient) is smooth in x
    n = data.draw(st.integers(1, 6), label="len(x)")
    deg = data.draw(st.integers(0, n - 1), label="deg")
    x = np.arange(n) + _rng(data).uniform(-0.3, 0.3, size=n)
    y = values(data, (n,) if data.draw(st.booleans(), label="1-D y") else
               (n, data.draw(st.integers(1, 2), label="columns")))
    if data.draw(st.booleans(), label="weights"):
        w = values(data, (n,), 0.5, 2.0)
        return Case(lambda s, t, u: np.polyfit(s, t, deg, w=u), [x, y, w],
                    lambda s, t, u: np.polyfit(s, t, deg, w=u))
    return Case(lambda s, t: np.polyfit(s, t, deg), [x, y],
                lambda s, t: np.polyfit(s, t, deg))


def _polyfit_cov_case(data):
    n = data.draw(st.integers(3, 6), label="len(x)")
    deg = data.draw(st.integers(0, n - 2), label="deg")
    x = np.arange(n) + _rng(data).uniform(-0.3, 0.3, size=n)
    cov = data.draw(st.sampled_from([True, "unscaled"]), label="cov")
    return Case(lambda s, t: np.polyfit(s, t, deg, cov=cov)[1], [x, values(data, (n,))],
                lambda s, t: np.polyfit(s, t, deg, cov=cov)[1])


def _polyder_case(data):
    m = data.draw(st.integers(0, 3), label="m")
    return Case(lambda t: np.polyder(t, m), [values(data, (data.draw(LENGTHS),))],
                lambda a: np.polyder(a, m))


def _polyint_case(data):
    m = data.draw(st.integers(0, 3), label="m")
    p = values(data, (data.draw(LENGTHS),))
    if data.draw(st.booleans(), label="k"):
        k = values(data, () if data.draw(st.booleans(), label="scalar k") else (max(m, 1),))
        return Case(lambda s, t: np.polyint(s, m, t), [p, k],
                    lambda s, t: np.polyint(s, m, t))
    return Case(lambda t: np.polyint(t, m), [p], lambda a: np.polyint(a, m))


def _poly_pair_case(np_func):
    def draw(data):
        # random values: never a leading zero, which polymul would drop
        shapes = [() if n == 0 else (n,) for n in (data.draw(st.integers(0, 4), label="n1"),
                                                  data.draw(st.integers(0, 4), label="n2"))]
        return Case(np_func, [values(data, shapes[0], 0.5, 2.0),
                              values(data, shapes[1], 0.5, 2.0)], np_func)
    return draw


def _unwrap_case(data):
    shape = data.draw(array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4),
                      label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    # steps away from the jump at pi and from the boundaries of the correction
    rng = _rng(data)
    steps = rng.choice([rng.uniform(0.2, 2.8), rng.uniform(3.5, 6.0)], size=shape)
    steps = steps * np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    p = np.cumsum(steps, axis=axis)
    return Case(lambda t: np.unwrap(t, axis=axis), [p], lambda a: np.unwrap(a, axis=axis))


def _ediff1d_case(data):
    shape = data.draw(array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=4),
                      label="shape")
    begin = values(data, (data.draw(st.integers(1, 2), label="to_begin"),))
    end = values(data, ())
    kind = data.draw(st.sampled_from(["plain", "ends"]), label="ends")
    if kind == "plain":
        return Case(np.ediff1d, [values(data, shape)], np.ediff1d)
    return Case(lambda t, b, e: np.ediff1d(t, to_end=e, to_begin=b),
                [values(data, shape), begin, end],
                lambda t, b, e: np.ediff1d(t, to_end=e, to_begin=b))


def _trim_zeros_case(data):
    n = data.draw(st.integers(1, 6), label="length")
    trim = data.draw(st.sampled_from(["f", "b", "fb"]), label="trim")
    kept = np.ones(n)
    lead = data.draw(st.integers(0, n), label="leading zeros")
    trail = data.draw(st.integers(0, n - lead), label="trailing zeros")
    kept[:lead] = 0
    kept[n - trail:] = 0
    return Case(lambda t: np.trim_zeros(t * kept, trim), [values(data, (n,), 0.5, 2.0)],
                lambda a: np.trim_zeros(a * kept, trim))


def _bincount_case(data):
    # (an empty x gives NumPy's integer zeros, no gradient: tests/test_signal_ops.py)
    n = data.draw(st.integers(1, 6), label="len(x)")
    x = _rng(data).integers(0, 4, size=n)
    minlength = data.draw(st.integers(0, 6), label="minlength")
    return Case(lambda t: np.bincount(x, weights=t, minlength=minlength),
                [values(data, (n,))],
                lambda a: np.bincount(x, weights=a, minlength=minlength))


_LANE_FUNCTIONS = {
    "sum of squares": lambda r: np.sum(r * r),
    "cumsum": np.cumsum,
    "outer": lambda r: np.outer(r, r[::-1]),
}


def _apply_along_axis_case(data):
    shape = data.draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3),
                      label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    func = _LANE_FUNCTIONS[data.draw(st.sampled_from(sorted(_LANE_FUNCTIONS)), label="f")]
    return Case(lambda t: np.apply_along_axis(func, axis, t), [values(data, shape)],
                lambda a: np.apply_along_axis(func, axis, a))


def _piecewise_case(data):
    shape = data.draw(array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=4),
                      label="shape")
    x = values(data, shape)
    conditions = [x < -0.5, x > 0.5]
    functions = [lambda t: t * t, lambda t: np.sin(t) * 2.0]
    otherwise = data.draw(st.sampled_from(["function", "value", "none"]), label="otherwise")
    if otherwise == "function":
        functions.append(lambda t: t ** 3)
    elif otherwise == "value":
        functions.append(0.25)
    return Case(lambda t: np.piecewise(t, conditions, functions), [x],
                lambda a: np.piecewise(a, conditions, functions))


SPECS = [
    Spec("convolve", _sliding_case(np.convolve)),
    Spec("correlate", _sliding_case(np.correlate)),
    Spec("vander", _vander_case),
    Spec("polyfit", _polyfit_case, notes="distinct x, deg < len(x): full rank"),
    Spec("polyfit cov", _polyfit_cov_case),
    Spec("polyder", _polyder_case),
    Spec("polyint", _polyint_case),
    Spec("polyadd", _poly_pair_case(np.polyadd)),
    Spec("polysub", _poly_pair_case(np.polysub)),
    Spec("polymul", _poly_pair_case(np.polymul), notes="no leading zeros"),
    Spec("unwrap", _unwrap_case, notes="steps away from the jumps of the correction"),
    Spec("ediff1d", _ediff1d_case),
    Spec("trim_zeros", _trim_zeros_case, notes="the zeros are put in by the function"),
    Spec("bincount weights", _bincount_case),
    Spec("apply_along_axis", _apply_along_axis_case),
    Spec("piecewise", _piecewise_case, notes="values away from the conditions' edges"),
]
