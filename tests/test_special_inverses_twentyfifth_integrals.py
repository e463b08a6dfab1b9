"""scipy.special's integrals of Bessel and Struve functions on Tensors (itj0y0, it2j0y0,
iti0k0, it2i0k0, itstruve0, it2struve0, itmodstruve0, besselpoly, itairy): SciPy's values, and
the integrand at x as the slope, checked against mpmath, central differences, HIPS
autograd and torch."""

import warnings

import mpmath
import numpy as np
import pytest
from scipy import special

import autodiff as ad
from numpy_program_checks import central_difference

X = np.array([-2.3, -0.4, 1e-5, 0.3, 0.99, 1.01, 2.6, 7.5])
POSITIVE = X[X > 0]

# (function of a Tensor or an array, where, the integrand's value at x by mpmath)
INTEGRANDS = {
    "itj0y0 J": (lambda t: special.itj0y0(t)[0], X, lambda x: mpmath.besselj(0, x)),
    "itj0y0 Y": (lambda t: special.itj0y0(t)[1], POSITIVE, lambda x: mpmath.bessely(0, x)),
    "it2j0y0 J": (lambda t: special.it2j0y0(t)[0], X,
                  lambda x: (1 - mpmath.besselj(0, x)) / x),
    "it2j0y0 Y": (lambda t: special.it2j0y0(t)[1], POSITIVE,
                  lambda x: -mpmath.bessely(0, x) / x),
    "iti0k0 I": (lambda t: special.iti0k0(t)[0], X, lambda x: mpmath.besseli(0, x)),
    "iti0k0 K": (lambda t: special.iti0k0(t)[1], POSITIVE, lambda x: mpmath.besselk(0, x)),
    "it2i0k0 I": (lambda t: special.it2i0k0(t)[0], X,
                  lambda x: (mpmath.besseli(0, x) - 1) / x),
    "it2i0k0 K": (lambda t: special.it2i0k0(t)[1], POSITIVE,
                  lambda x: -mpmath.besselk(0, x) / x),
    "itstruve0": (special.itstruve0, X, lambda x: mpmath.struveh(0, x)),
    "itmodstruve0": (special.itmodstruve0, X, lambda x: mpmath.struvel(0, x)),
    "it2struve0": (special.it2struve0, X, lambda x: -mpmath.struveh(0, x) / x),
}


@pytest.mark.parametrize("name", sorted(INTEGRANDS))
def test_values_are_scipys_and_the_slope_is_the_integrand(name):
    f, x, integrand = INTEGRANDS[name]
    y = f(ad.tensor(x, requires_grad=True))
    assert isinstance(y, ad.Tensor) and y.requires_grad
    np.testing.assert_array_equal(y.data, f(x))
    grad = ad.grad(lambda t: f(t).sum())(x.copy())
    with mpmath.workdps(40):
        expected = [float(integrand(mpmath.mpf(float(v)))) for v in x]
    # (SciPy's Bessel and Struve functions are good to a few ulps; the series below
    # |x| = 1 keeps (1 - J0(x)) / x exact where the difference cancels)
    np.testing.assert_allclose(grad, expected, rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("name", sorted(INTEGRANDS))
def test_slopes_match_central_differences_to_second_order(name):
    f, x, _ = INTEGRANDS[name]
    # (beyond x = 3 SciPy's values of some of these carry ~1e-13 of noise, which steps of
    # 1e-6 turn into 1e-7 of the difference quotient: mpmath checks the slopes there)
    away = x[(np.abs(x) > 0.1) & (np.abs(x) < 3)]
    grad = ad.grad(lambda t: f(t).sum())(away.copy())
    np.testing.assert_allclose(grad, central_difference(lambda t: f(t).sum(), away),
                               rtol=1e-7, atol=1e-9)
    assert ad.gradgradcheck(lambda t: f(t), [away], eps=1e-6, atol=1e-5, rtol=1e-4)


def test_a_two_output_integral_returns_both_recorded():
    t = ad.tensor([0.5, 1.5], requires_grad=True)
    j, y = special.itj0y0(t)
    assert j.requires_grad and y.requires_grad
    (j + y).sum().backward()
    np.testing.assert_allclose(t.grad, special.j0(t.data) + special.y0(t.data), rtol=1e-14)


def test_the_series_and_the_direct_formula_agree_at_the_switch():
    below, above = np.nextafter(1.0, 0.0), 1.0
    for f in (lambda t: special.it2j0y0(t)[0], lambda t: special.it2i0k0(t)[0]):
        slopes = ad.grad(lambda t: f(t).sum())(np.array([below, above]))
        np.testing.assert_allclose(slopes[0], slopes[1], rtol=1e-14)


def test_slopes_at_zero_are_the_limits_silently():
    zero = np.array([0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        it2j0 = ad.grad(lambda t: special.it2j0y0(t)[0].sum())(zero)
        it2i0 = ad.grad(lambda t: special.it2i0k0(t)[0].sum())(zero)
        struve = ad.grad(lambda t: special.it2struve0(t).sum())(zero)
        second = ad.grad(lambda u: ad.grad(lambda t: special.it2j0y0(t)[0].sum())(u).sum())(
            zero)
    np.testing.assert_array_equal(it2j0, [0.0])
    np.testing.assert_array_equal(it2i0, [0.0])
    np.testing.assert_allclose(struve, [-2 / np.pi], rtol=1e-15)
    np.testing.assert_allclose(second, [0.25], rtol=1e-15)       # d/dx (x / 4 - ...)


def test_besselpolys_slope_in_a_matches_mpmath_and_refuses_lmb_and_nu():
    a, lmb, nu = 1.3, 0.5, 1.5
    with mpmath.workdps(30):
        expected = mpmath.quad(lambda x: x ** lmb * mpmath.diff(
            lambda s: mpmath.besselj(nu, 2 * s * x), a), [0, 1])
    grad = ad.grad(lambda t: special.besselpoly(t, lmb, nu).sum())(np.array([a]))
    np.testing.assert_allclose(grad, [float(expected)], rtol=1e-12)
    for argument, call in (("lmb", lambda t: special.besselpoly(a, t, nu)),
                           ("nu", lambda t: special.besselpoly(a, lmb, t))):
        with pytest.raises(NotImplementedError, match=rf"besselpoly: the derivative with "
                                                      rf"respect to {argument} "):
            ad.grad(lambda t: call(t).sum())(np.array([0.5]))


def test_second_derivatives_match_hips_autograd():
    autograd = pytest.importorskip("autograd")
    autograd_special = pytest.importorskip("autograd.scipy.special")
    x = np.array([0.4, 1.7, 3.2])
    for ours, theirs in ((lambda t: special.itj0y0(t)[0], autograd_special.j0),
                         (lambda t: special.itj0y0(t)[1], autograd_special.y0),
                         (lambda t: special.iti0k0(t)[0], autograd_special.i0)):
        second = ad.grad(lambda u: ad.grad(lambda t: ours(t).sum())(u).sum())(x)
        np.testing.assert_allclose(second, autograd.elementwise_grad(theirs)(x), rtol=1e-12)


def test_slopes_match_torchs_bessel_functions():
    torch = pytest.importorskip("torch")
    x = np.array([0.4, 1.7, 3.2])
    t = torch.tensor(x)
    for ours, theirs in ((lambda u: special.itj0y0(u)[0], torch.special.bessel_j0),
                         (lambda u: special.itj0y0(u)[1], torch.special.bessel_y0),
                         (lambda u: special.iti0k0(u)[0], torch.special.modified_bessel_i0),
                         (lambda u: special.iti0k0(u)[1], torch.special.modified_bessel_k0)):
        # (torch's own Bessel approximations: to 1e-10 of SciPy's)
        np.testing.assert_allclose(ad.grad(lambda u: ours(u).sum())(x), theirs(t).numpy(),
                                   rtol=1e-9)


ITAIRY_INTEGRANDS = [(mpmath.airyai, 1), (mpmath.airybi, 1), (mpmath.airyai, -1),
                     (mpmath.airybi, -1)]     # output k's integrand: f(sign * x)


@pytest.mark.parametrize("k", range(4))
def test_itairys_four_outputs_have_the_integrands_as_slopes_to_second_order(k):
    x = np.array([-3.0, -0.5, 0.0, 0.7, 2.5])
    t = ad.tensor(x, requires_grad=True)
    with pytest.warns(RuntimeWarning, match="itairy: SciPy's integral of Ai"):   # (|x| = 3)
        outputs = special.itairy(t)
    assert len(outputs) == 4 and all(o.requires_grad for o in outputs)
    np.testing.assert_array_equal(outputs[k].data, special.itairy(x)[k])
    (slope,) = ad.autograd.grad(outputs[k].sum(), t, create_graph=True)
    (curvature,) = ad.autograd.grad(slope.sum(), t)
    integrand, sign = ITAIRY_INTEGRANDS[k]
    with mpmath.workdps(40):
        expected = [float(integrand(sign * mpmath.mpf(v))) for v in x]
        expected_second = [float(sign * integrand(sign * mpmath.mpf(v), derivative=1))
                           for v in x]
    np.testing.assert_allclose(slope.data, expected, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(curvature, expected_second, rtol=1e-13, atol=1e-15)
    # SciPy's itairy is off by up to 1e-6 relative here (much more for the integral of Ai
    # at 2.6 < |x| < 9.3): its difference quotient agrees with the exact integrand only
    # that far (the module's docstring says so)
    np.testing.assert_allclose(
        slope.data, central_difference(lambda u: special.itairy(u)[k].sum(), x, eps=1e-4),
        rtol=1e-4, atol=1e-5)
