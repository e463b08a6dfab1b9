"""scipy.special's hypergeometric, Struve and related functions on Tensors (hyp0f1,
hyp1f1, hyp2f1, struve, modstruve, expn, bdtr, bdtrc, rgamma, poch, agm, kolmogorov,
voigt_profile): SciPy's values, slopes against mpmath's derivatives at 30 digits, and the
parameters' slopes refused naming the argument."""

import numpy as np
import pytest
from scipy import special

import autodiff as ad

mpmath = pytest.importorskip("mpmath")


def _voigt(x, sigma, gamma):
    z = (x + 1j * gamma) / (sigma * mpmath.sqrt(2))
    return mpmath.re(mpmath.exp(-z * z) * mpmath.erfc(-1j * z)) / (
        sigma * mpmath.sqrt(2 * mpmath.pi))


def _kolmogorov(y):
    return 2 * mpmath.nsum(lambda k: (-1) ** (k - 1) * mpmath.exp(-2 * k * k * y * y),
                           [1, mpmath.inf])


def _bdtr(k, n, p):
    return sum(mpmath.binomial(n, j) * p ** j * (1 - p) ** (n - j) for j in range(k + 1))


# (SciPy's call on the variable t, mpmath's function of the same variable, points)
CASES = {
    "hyp0f1": (lambda t: special.hyp0f1(1.7, t), lambda x: mpmath.hyp0f1(1.7, x),
               [-3.0, 0.0, 2.5]),
    "hyp1f1": (lambda t: special.hyp1f1(0.6, 1.9, t), lambda x: mpmath.hyp1f1(0.6, 1.9, x),
               [-3.0, 0.0, 2.5]),
    "hyp2f1": (lambda t: special.hyp2f1(0.6, 1.3, 2.1, t),
               lambda x: mpmath.hyp2f1(0.6, 1.3, 2.1, x), [-2.0, 0.0, 0.7]),
    "struve": (lambda t: special.struve(1.5, t), lambda x: mpmath.struveh(1.5, x),
               [0.3, 2.0, 7.0]),
    "struve order 0": (lambda t: special.struve(0.0, t), lambda x: mpmath.struveh(0, x),
                       [0.0, 1.0, 7.0]),
    "modstruve": (lambda t: special.modstruve(0.5, t), lambda x: mpmath.struvel(0.5, x),
                  [0.3, 2.0, 4.0]),
    "expn": (lambda t: special.expn(3, t), lambda x: mpmath.expint(3, x), [0.2, 1.0, 4.0]),
    "expn order 0": (lambda t: special.expn(0, t), lambda x: mpmath.exp(-x) / x,
                     [0.2, 1.0, 4.0]),
    "rgamma": (lambda t: special.rgamma(t), mpmath.rgamma, [-3.0, -2.5, 0.0, 0.4, 2.5]),
    "poch in z": (lambda t: special.poch(t, 1.7), lambda x: mpmath.rf(x, 1.7),
                  [0.5, 2.0, 3.3]),
    "poch in m": (lambda t: special.poch(2.2, t), lambda x: mpmath.rf(2.2, x),
                  [-1.3, 0.5, 2.0]),
    "agm in a": (lambda t: special.agm(t, 1.3), lambda x: mpmath.agm(x, 1.3),
                 [0.2, 1.3, 4.0]),
    "agm in b": (lambda t: special.agm(0.7, t), lambda x: mpmath.agm(0.7, x),
                 [0.2, 0.7, 4.0]),
    "kolmogorov": (lambda t: special.kolmogorov(t), _kolmogorov,
                   [0.2, 0.6, 0.999, 1.0, 1.5, 3.0]),
    "bdtr": (lambda t: special.bdtr(2, 6, t), lambda x: _bdtr(2, 6, x), [0.1, 0.5, 0.9]),
    "bdtrc": (lambda t: special.bdtrc(2, 6, t), lambda x: 1 - _bdtr(2, 6, x),
              [0.1, 0.5, 0.9]),
    "voigt_profile in x": (lambda t: special.voigt_profile(t, 0.8, 0.5),
                           lambda x: _voigt(x, 0.8, 0.5), [-2.0, 0.0, 1.3]),
    "voigt_profile in sigma": (lambda t: special.voigt_profile(0.7, t, 0.5),
                               lambda s: _voigt(0.7, s, 0.5), [0.3, 0.8, 2.0]),
    "voigt_profile in gamma": (lambda t: special.voigt_profile(0.7, 0.8, t),
                               lambda g: _voigt(0.7, 0.8, g), [0.0, 0.5, 2.0]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_are_scipys_and_slopes_are_mpmaths(name):
    f, exact, points = CASES[name]
    x = np.array(points)
    y = f(ad.tensor(x, requires_grad=True))
    assert isinstance(y, ad.Tensor) and y.requires_grad
    np.testing.assert_array_equal(y.data, f(x))
    grad = ad.grad(lambda t: f(t).sum())(x.copy())
    with mpmath.workdps(30):
        slopes = [float(mpmath.diff(exact, mpmath.mpf(p))) for p in points]
        curvatures = [float(mpmath.diff(exact, mpmath.mpf(p), 2)) for p in points]
    np.testing.assert_allclose(grad, slopes, rtol=1e-8, atol=1e-12)
    second = ad.grad(lambda t: ad.grad(lambda u: f(u).sum())(t).sum())(x.copy())
    if name == "struve order 0":      # (the recurrence is NaN at x = 0 in the second order)
        second, curvatures = second[1:], curvatures[1:]
    np.testing.assert_allclose(second, curvatures, rtol=1e-6, atol=1e-9)


def test_rgamma_is_finite_through_gammas_poles():
    # 1 / Gamma(x) crosses 0 at x = -n with slope (-1)^n n!: not 0 * inf
    poles = np.array([0.0, -1.0, -2.0, -5.0])
    grad = ad.grad(lambda t: special.rgamma(t).sum())(poles)
    np.testing.assert_allclose(grad, [1.0, -1.0, 2.0, -120.0], rtol=1e-12)


def test_rgamma_matches_hips_autograd():
    autograd_special = pytest.importorskip("autograd.scipy.special")
    autograd = pytest.importorskip("autograd")
    x = np.array([0.3, 1.7, 4.2])
    expected = autograd.elementwise_grad(autograd_special.rgamma)(x)
    np.testing.assert_allclose(ad.grad(lambda t: special.rgamma(t).sum())(x), expected,
                               rtol=1e-12)


@pytest.mark.parametrize("call, name, argument", [
    (lambda t: special.hyp0f1(t, 0.5), "hyp0f1", "b"),
    (lambda t: special.hyp1f1(t, 1.5, 0.5), "hyp1f1", "a"),
    (lambda t: special.hyp1f1(0.5, t, 0.5), "hyp1f1", "b"),
    (lambda t: special.hyp2f1(t, 1.0, 2.0, 0.5), "hyp2f1", "a"),
    (lambda t: special.hyp2f1(0.5, 1.0, t, 0.5), "hyp2f1", "c"),
    (lambda t: special.struve(t, 0.5), "struve", "v"),
    (lambda t: special.modstruve(t, 0.5), "modstruve", "v"),
    (lambda t: special.expn(t, 0.5), "expn", "n"),
    (lambda t: special.bdtr(t, 5.0, 0.5), "bdtr", "k"),
    (lambda t: special.bdtrc(2.0, t, 0.5), "bdtrc", "n"),
])
@pytest.mark.filterwarnings("ignore:non-integer arg n:DeprecationWarning")   # (SciPy's)
def test_a_parameters_slope_is_refused_naming_the_function_and_argument(call, name, argument):
    with pytest.raises(NotImplementedError,
                       match=rf"{name}: the derivative with respect to {argument} "):
        ad.grad(lambda t: call(t).sum())(np.array([3.0]))


def test_counts_are_floored_as_scipys_and_the_slope_follows():
    # bdtr(2.7, 6.2, p) is bdtr(2, 6, p); at k >= n it is 1, with slope 0
    p = np.array([0.2, 0.6])
    with pytest.warns(DeprecationWarning):      # (SciPy's, for a non-integer n)
        grad = ad.grad(lambda t: special.bdtr(2.7, 6.2, t).sum())(p)
    np.testing.assert_allclose(grad, ad.grad(lambda t: special.bdtr(2, 6, t).sum())(p),
                               rtol=1e-15)
    np.testing.assert_array_equal(ad.grad(lambda t: special.bdtr(6, 6, t).sum())(p), [0, 0])
    expn = ad.grad(lambda t: special.expn(2, t).sum())(p)
    np.testing.assert_allclose(expn, -special.expn(1, p), rtol=1e-15)


def test_agm_is_symmetric_and_one_half_on_the_diagonal():
    a, b = np.array([0.5, 2.0, 3.0]), np.array([1.5, 2.0, 0.25])
    ga, gb = ad.grad(lambda u, v: special.agm(u, v).sum(), argnums=(0, 1))(a, b)
    gb_swapped, ga_swapped = ad.grad(lambda u, v: special.agm(u, v).sum(), argnums=(0, 1))(b, a)
    np.testing.assert_allclose(ga, ga_swapped, rtol=1e-12)
    np.testing.assert_allclose(gb, gb_swapped, rtol=1e-12)
    assert ga[1] == pytest.approx(0.5, rel=1e-12) and gb[1] == pytest.approx(0.5, rel=1e-12)
    # Euler's relation of a degree-1 homogeneous function: a M_a + b M_b = M
    np.testing.assert_allclose(a * ga + b * gb, special.agm(a, b), rtol=1e-12)


def test_voigt_profile_has_all_three_slopes_and_float32_keeps_scipys_dtype():
    x, sigma, gamma = np.array([-1.0, 0.5]), np.array([0.7, 1.2]), np.array([0.3, 0.0])
    grads = ad.grad(lambda u, s, g: special.voigt_profile(u, s, g).sum(),
                    argnums=(0, 1, 2))(x, sigma, gamma)
    with mpmath.workdps(30):
        for i in range(2):
            exact = (mpmath.diff(lambda u: _voigt(u, sigma[i], gamma[i]), x[i]),
                     mpmath.diff(lambda s: _voigt(x[i], s, gamma[i]), sigma[i]),
                     mpmath.diff(lambda g: _voigt(x[i], sigma[i], g), gamma[i]))
            np.testing.assert_allclose([grad[i] for grad in grads], [float(e) for e in exact],
                                       rtol=1e-8)
    # (SciPy computes voigt_profile of float32 and Python floats in float64: so does this)
    single = x.astype(np.float32)
    value, grad = ad.value_and_grad(lambda t: special.voigt_profile(t, 1.0, 0.5).sum())(single)
    assert value.dtype == special.voigt_profile(single, 1.0, 0.5).dtype
    assert grad.dtype == np.float32


def test_kolmogorov_slope_below_the_first_series_underflows_to_zero_silently():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grad = ad.grad(lambda t: special.kolmogorov(t).sum())(np.array([0.0, 0.01, -1.0]))
    np.testing.assert_array_equal(grad, [0.0, 0.0, 0.0])


@pytest.mark.parametrize("n, k", [(2.0, 3.0), (2.5, 3.5), (3.0, 5.0), (2.0, -1.0),
                                  (0.5, -1.0), (2.3, 0.7), (4.0, 2.0)])
def test_binom_slopes_are_finite_where_gamma_has_a_pole(n, k):
    # binom(n, k) is 0 where k + 1 or n - k + 1 is an integer <= 0, but it is not
    # constant there: its slopes are mpmath's, not 0 * inf
    gn, gk = ad.grad(lambda a, b: special.binom(a, b).sum(), argnums=(0, 1))(
        np.array([n]), np.array([k]))
    with mpmath.workdps(30):
        exact_n = float(mpmath.diff(lambda a: mpmath.binomial(a, k), n))
        exact_k = float(mpmath.diff(lambda b: mpmath.binomial(n, b), k))
    np.testing.assert_allclose([gn[0], gk[0]], [exact_n, exact_k], rtol=1e-10, atol=1e-14)
    assert ad.gradgradcheck(lambda a, b: special.binom(a, b), [np.array([n]), np.array([k])])


@pytest.mark.parametrize("branch, points", [(0, [-0.3, -0.2, 0.0, 0.5, 2.0, 10.0]),
                                            (-1, [-0.35, -0.2, -0.01])])
def test_lambertw_real_branches_have_mpmaths_slopes(branch, points):
    x = np.array(points)
    w = special.lambertw(ad.tensor(x, requires_grad=True), branch)
    assert w.requires_grad
    np.testing.assert_array_equal(w.data, special.lambertw(x, branch))
    grad = ad.grad(lambda t: special.lambertw(t, branch).real.sum())(x.copy())
    with mpmath.workdps(30):
        exact = [float(mpmath.diff(lambda y: mpmath.re(mpmath.lambertw(y, branch)), p))
                 for p in points]
    np.testing.assert_allclose(grad, exact, rtol=1e-10)
    assert ad.gradgradcheck(lambda t: special.lambertw(t, branch).real, [x[x != 0]])


def test_lambertw_of_complex_z_has_the_conjugate_wirtinger_gradient():
    z = np.array([1 + 2j, -3 + 0.5j, 0.2 - 1j])
    for branch in (0, 1, -1):
        t = ad.tensor(z, requires_grad=True)
        special.lambertw(t, branch).real.sum().backward()
        with mpmath.workdps(30):
            exact = [complex(mpmath.diff(lambda y: mpmath.lambertw(y, branch), complex(p)))
                     for p in z]
        np.testing.assert_allclose(t.grad, np.conj(exact), rtol=1e-10)


def _smirnov(n, d):
    # Birnbaum and Tingey's sum: d sum_j C(n, j) (d + j/n)^(j-1) (1 - d - j/n)^(n-j)
    return d * sum(mpmath.binomial(n, j) * (d + mpmath.mpf(j) / n) ** (j - 1)
                   * (1 - d - mpmath.mpf(j) / n) ** (n - j)
                   for j in range(int(mpmath.floor(n * (1 - d))) + 1))


def test_smirnov_has_a_first_slope_and_refuses_the_second_naming_itself():
    d = np.array([0.05, 0.3, 0.55, 0.9])       # (away from the kinks at 1 - j/5)
    grad = ad.grad(lambda t: special.smirnov(5, t).sum())(d.copy())
    with mpmath.workdps(30):
        exact = [float(mpmath.diff(lambda y: _smirnov(5, y), mpmath.mpf(p))) for p in d]
    np.testing.assert_allclose(grad, exact, rtol=1e-10)
    with pytest.raises(NotImplementedError, match="smirnov: the second derivative with "
                                                  "respect to d is not implemented"):
        ad.grad(lambda t: ad.grad(lambda u: special.smirnov(5, u).sum())(t).sum())(d)
    with pytest.raises(NotImplementedError, match="smirnov: the derivative with respect "
                                                  "to n "):
        ad.grad(lambda t: special.smirnov(t, 0.3).sum())(np.array([5.0]))


@pytest.mark.parametrize("function, exact", [
    (lambda t: special.kn(2, t), lambda y: mpmath.besselk(2, y)),
    (lambda t: special.yn(1, t), lambda y: mpmath.bessely(1, y)),
    (special.sindg, lambda y: mpmath.sin(y * mpmath.pi / 180)),
    (special.cosdg, lambda y: mpmath.cos(y * mpmath.pi / 180)),
    (special.tandg, lambda y: mpmath.tan(y * mpmath.pi / 180)),
    (special.cotdg, lambda y: mpmath.cot(y * mpmath.pi / 180)),
])
def test_integer_order_bessel_and_degree_trigonometry_have_mpmaths_slopes(function, exact):
    x = np.array([0.7, 2.3, 30.0, 100.0])
    grad = ad.grad(lambda t: function(t).sum())(x.copy())
    second = ad.grad(lambda t: ad.grad(lambda u: function(u).sum())(t).sum())(x.copy())
    with mpmath.workdps(30):
        slopes = [float(mpmath.diff(exact, mpmath.mpf(p))) for p in x]
        curvatures = [float(mpmath.diff(exact, mpmath.mpf(p), 2)) for p in x]
    np.testing.assert_allclose(grad, slopes, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(second, curvatures, rtol=1e-7, atol=1e-14)


@pytest.mark.parametrize("name", ["kn", "yn"])
def test_integer_bessel_orders_slope_is_refused(name):
    with pytest.raises(NotImplementedError, match=rf"{name}: the derivative with respect to n "):
        ad.grad(lambda t: getattr(special, name)(t, 1.5).sum())(np.array([2.0]))
