"""Gradients at extreme arguments, against values computed to 50 digits.

The reference values were computed with mpmath at 50 significant digits from the
exact float inputs and rounded to the dtype; the bounds are a few ulp.
"""

import math
from fractions import Fraction

import numpy as np
import pytest

import autodiff as ad


def _ulps(got, want, dtype):
    got = np.asarray(got, dtype)
    want = np.asarray(want, dtype)
    assert np.all(np.isfinite(got)), got
    return np.max(np.abs(got.astype(np.float64) - want.astype(np.float64))
                  / np.spacing(np.abs(want)).astype(np.float64))


def _grad(op, values, dtype, size=1):
    """op's gradient at ``values``, computed on an array of at least ``size`` elements."""
    values = np.asarray(values, dtype)
    reps = -(-size // values.size)
    x = ad.tensor(np.tile(values, reps), requires_grad=True)
    op(x).sum().backward()
    return x.grad[:values.size]


def test_inverse_hyperbolic_gradients_for_large_arguments():
    # 1 / sqrt(x**2 ± 1) = 1 / x to rounding here; x * x overflowed to inf (gradient 0)
    for op in (ad.arcsinh, ad.arccosh):
        grad = _grad(op, [1e200, 1e300], np.float64)
        assert _ulps(grad, [1 / 1e200, 1 / 1e300], np.float64) <= 2
        grad = _grad(op, [1e20, 1e30], np.float32)
        assert _ulps(grad, [np.float32(1) / np.float32(1e20),
                            np.float32(1) / np.float32(1e30)], np.float32) <= 2


def test_arctan_gradient_for_large_arguments():
    # 1 / (1 + x**2) = 1e-320 (a subnormal) at x = 1e160 (x * x overflowed to inf)
    assert _grad(ad.arctan, [1e160], np.float64)[0] == pytest.approx(1e-320, rel=1e-3, abs=0)
    grad = _grad(ad.arctan, [3e19], np.float32)[0]
    assert grad == pytest.approx(1 / 9e38, rel=1e-3, abs=0)


def test_inverse_function_gradients_near_the_ends_of_the_domain():
    # to 50 digits at the float nearest 1 - 1e-10 and at 1 + 2**-40
    x = 1 - 1e-10
    assert _ulps(_grad(ad.arctanh, [x, -x], np.float64), [4999999586.54818] * 2,
                 np.float64) <= 2
    assert _ulps(_grad(ad.arcsin, [x, -x], np.float64), [70710.67519510884] * 2,
                 np.float64) <= 2
    assert _ulps(_grad(ad.arccos, [x], np.float64), [-70710.67519510884], np.float64) <= 2
    assert _ulps(_grad(ad.arccosh, [1 + 2.0 ** -40], np.float64), [741455.2001892966],
                 np.float64) <= 2


def test_log10_gradient_near_the_largest_float():
    # 1 / (x log 10) = 2.554673422960305e-309 at x = 1.7e308 (x * log 10 overflowed)
    grad = _grad(ad.log10, [1.7e308], np.float64)
    assert grad[0] == pytest.approx(2.554673422960305e-309, rel=1e-12, abs=0)


def test_logsumexp_gradient_with_large_values():
    # softmax([1e15 + 1, 1e15 + 3]) = (1, e**2) / (1 + e**2), to 50 digits
    x = ad.tensor([1e15 + 1, 1e15 + 3], requires_grad=True)
    ad.logsumexp(x).backward()
    assert _ulps(x.grad, [0.11920292202211756, 0.8807970779778824], np.float64) <= 2
    x = ad.tensor(np.array([[1e6 + 1, 1e6 + 3]], np.float32), requires_grad=True)
    ad.logsumexp(x, axis=1).sum().backward()
    assert _ulps(x.grad[0], [0.11920292, 0.8807971], np.float32) <= 2


def test_logsumexp_of_a_lane_of_only_minus_inf_is_minus_inf_with_gradient_zero():
    # (as the README says; PyTorch's gradient there is NaN)
    x = ad.tensor([[-np.inf, -np.inf], [0.0, np.log(3.0)]], requires_grad=True)
    with np.errstate(divide="ignore"):
        y = ad.logsumexp(x, axis=1)
    assert y.data[0] == -np.inf
    y.sum().backward()
    np.testing.assert_array_equal(x.grad[0], [0.0, 0.0])
    np.testing.assert_allclose(x.grad[1], [0.25, 0.75], rtol=1e-15)
    assert ad.gradgradcheck(lambda v: ad.logsumexp(v, axis=1), [np.array([[0.1, -0.4]])])


def _offset_values(n):
    rng = np.random.default_rng(0)
    return 1e8 + rng.uniform(0, 1e-3, n)


@pytest.mark.parametrize("n", [16, 2048])
def test_var_and_std_gradients_with_a_large_offset(n):
    # exact rational mean and variance; the rounded mean alone is off by about
    # ulp(1e8) / 2, which every x - mean carried (1e11 ulp and more)
    x = _offset_values(n)
    exact = [Fraction(v) for v in x]
    mean = sum(exact) / n
    var = sum((v - mean) ** 2 for v in exact) / n
    want_var = [float(2 * (v - mean) / n) for v in exact]
    std = math.sqrt(float(var))         # within half an ulp of the true std
    want_std = [float((v - mean) / n) / std for v in exact]
    t = ad.tensor(x, requires_grad=True)
    ad.var(t).backward()
    assert _ulps(t.grad, want_var, np.float64) <= 2
    t = ad.tensor(x, requires_grad=True)
    ad.std(t).backward()
    assert _ulps(t.grad, want_std, np.float64) <= 4
