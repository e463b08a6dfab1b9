"""sigmoid's and tanh's gradients where the functions saturate, against 50-digit values.

s * (1 - s) and 1 - t**2 computed from the outputs have no correct digit once the
output rounds to 1 (sigmoid at x > 37, tanh at |x| > 19 in float64) and lose digits
well before (tanh at x = 5: 1.3e3 ulp).  The gradients are computed from the input
instead.  The reference values were computed with mpmath at 50 significant digits
from the exact float inputs: s(x) s(-x) and its derivative s(x) s(-x) (1 - 2 s(x));
sech(x)**2 and -2 tanh(x) sech(x)**2.
"""

import numpy as np
import pytest

import autodiff as ad
from autodiff import kernels

X = [-60.0, -30.0, -5.0, -0.001, 0.0, 0.5, 5.0, 10.0, 20.0, 37.5, 60.0]

SIGMOID_D1 = [8.7565107626965203e-27, 9.3576229688384233e-14, 0.0066480566707901549,
              0.24999993750001042, 0.25, 0.23500371220159449, 0.0066480566707901549,
              4.5395807735951671e-5, 2.0611536139418493e-9, 5.175555005801868e-17,
              8.7565107626965203e-27]
SIGMOID_D2 = [8.7565107626965203e-27, 9.357622968836672e-14, 0.0065590677663225629,
              0.00012499995833334219, 0.0, -0.057556794852320741, -0.0065590677663225629,
              -4.5391685990113196e-5, -2.0611536054451409e-9, -5.1755550058018675e-17,
              -8.7565107626965203e-27]
TANH_D1 = [3.0670592294887999e-52, 3.5026043050786081e-26, 0.00018158323094380668,
           0.99999900000066667, 1.0, 0.78644773296592741, 0.00018158323094380668,
           8.2446144557673974e-9, 1.6993417021166356e-17, 1.0714547847232312e-32,
           3.0670592294887999e-52]
TANH_D2 = [6.1341184589775997e-52, 7.0052086101572163e-26, 0.00036313348792090557,
           0.0019999973333356, 0.0, -0.72686198138358728, -0.00036313348792090557,
           -1.6489228843561127e-8, -3.3986834042332711e-17, -2.1429095694464624e-32,
           -6.1341184589775997e-52]

CASES = {"sigmoid": (ad.sigmoid, SIGMOID_D1, SIGMOID_D2),
         "tanh": (ad.tanh, TANH_D1, TANH_D2)}


def _ulps(got, want, dtype):
    """Distance in units of the dtype's spacing at each wanted value (normal values only:
    a result below the smallest normal float has fewer digits)."""
    want = np.asarray(want, np.float64)
    normal = np.abs(want) >= np.finfo(dtype).tiny
    got = np.asarray(got, np.float64)[normal]
    spacing = np.spacing(np.abs(want[normal]).astype(dtype)).astype(np.float64)
    return np.abs(got - want[normal]) / spacing


def _first_derivative(fn, x):
    t = ad.tensor(x, requires_grad=True)
    fn(t).sum().backward()
    return t.grad


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("copies", [1, 2000], ids=["small (NumPy)", "large (kernel)"])
def test_first_derivative_within_four_ulp(name, dtype, copies):
    # exp, 1 + e, the division and two products round: at most 3.5 ulp together.
    fn, d1, _ = CASES[name]
    x = np.tile(np.array(X, dtype), copies)     # 22,000 elements reach the kernels
    grad = _first_derivative(fn, x)
    assert grad.dtype == dtype
    for k in range(copies):
        assert _ulps(grad[k * len(X):(k + 1) * len(X)], d1, dtype).max() <= 4, (name, dtype)


@pytest.mark.parametrize("name", CASES)
def test_second_derivative_float64(name):
    fn, _, d2 = CASES[name]

    def first(t):
        return ad.grad(lambda u: fn(u).sum())(t).sum()
    second = ad.grad(first)(np.array(X))
    assert _ulps(second, d2, np.float64).max() <= 4


@pytest.mark.parametrize("name", CASES)
def test_the_old_formulas_were_wrong_here(name):
    """What the gradient from the output gave at x = 40 (the reason for the change)."""
    x = np.array([40.0])
    out = kernels.sigmoid(x) if name == "sigmoid" else np.tanh(x)
    from_output = out * (1 - out) if name == "sigmoid" else 1 - out * out
    assert from_output[0] == 0.0
    assert _first_derivative(CASES[name][0], x)[0] > 0


@pytest.mark.parametrize("name", CASES)
def test_compiled_step_agrees_with_eager(name):
    fn = CASES[name][0]
    x = np.tile(np.array(X), 500)
    w = ad.tensor(np.ones_like(x), requires_grad=True)

    @ad.compile
    def step(xb):
        w.grad = None
        fn(w * xb).sum().backward()
        return w.grad

    step(x)
    compiled = np.array(step(x))
    eager = _first_derivative(lambda t: fn(t * x), np.ones_like(x))
    assert np.max(np.abs(compiled - eager) / np.maximum(np.abs(eager), 1e-300)) <= 8e-16


@pytest.mark.parametrize("dtype, ulps", [(np.float64, 4), (np.float32, 1)])
def test_tanh_backward_for_small_arrays_over_the_whole_range(dtype, ulps):
    """The form small arrays take (g / cosh(x)**2, in fewer NumPy calls) against
    1 / cosh(x)**2 in extended precision, from 0 to where it underflows, without
    overflow warnings."""
    x = np.concatenate([np.linspace(-400, 400, 40001), [0.0, 1e-30, 710.0, 1e30]]).astype(dtype)
    with np.errstate(over="raise", divide="raise", invalid="raise"):   # (underflow is silent)
        got = kernels.numpy_twins.tanh_backward_few_calls(np.ones_like(x), x)
    with np.errstate(over="ignore"):                  # (cosh(1e30) is inf even here)
        want = 1 / np.cosh(x.astype(np.longdouble)) ** 2
    assert got.dtype == dtype
    assert _ulps(got, want.astype(np.float64), dtype).max() <= ulps
    assert np.all(got[np.abs(want) < np.finfo(dtype).smallest_subnormal / 2] == 0)


@pytest.mark.skipif(not kernels.JIT_ENABLED, reason="the one-call form is the JIT's")
@pytest.mark.parametrize("dtype, ulps", [(np.float64, 4), (np.float32, 4)])   # as on large arrays
def test_small_arrays_one_call_kernels_over_the_whole_range(dtype, ulps):
    """Arrays below ``MIN_ELEMENTWISE`` (here 1,000 at a time) take the kernels' loop in
    one call: tanh's gradient against sech(x)**2 and sigmoid's against s(x) s(-x) in
    extended precision, from 0 to where they underflow."""
    x = np.concatenate([np.linspace(-400, 400, 40001), [0.0, 1e-30, 710.0, 1e30]]).astype(dtype)
    chunks = [x[i:i + 1000] for i in range(0, x.size, 1000)]
    assert max(c.size for c in chunks) < kernels.MIN_ELEMENTWISE
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        tanh_d = np.concatenate([kernels.tanh_backward(np.ones_like(c), c) for c in chunks])
        sigmoid_d = np.concatenate([kernels.sigmoid_backward(np.ones_like(c), c)
                                    for c in chunks])
    wide = x.astype(np.longdouble)
    with np.errstate(over="ignore"):
        want_tanh = 1 / np.cosh(wide) ** 2
        want_sigmoid = 1 / ((1 + np.exp(-np.abs(wide))) * (1 + np.exp(np.abs(wide))))
    for got, want in [(tanh_d, want_tanh), (sigmoid_d, want_sigmoid)]:
        assert got.dtype == dtype
        assert _ulps(got, want.astype(np.float64), dtype).max() <= ulps


def test_nonfinite_inputs():
    x = np.array([np.inf, -np.inf, np.nan])
    for fn in (ad.sigmoid, ad.tanh):
        grad = _first_derivative(fn, x)
        np.testing.assert_array_equal(grad[:2], [0.0, 0.0])
        assert np.isnan(grad[2])
