"""scipy.special's distribution functions and their inverses on Tensors (gdtr, fdtr,
nbdtr, chndtr, tklmbda; bdtri, fdtri, betaincinv, kolmogi, nrdtrimn, ...): SciPy's values,
slopes that are the laws' densities (scipy.stats's, mpmath's) or, for an inverse, one
over the density at its answer, and a refusal naming the argument where a slope would
need a derivative in a shape parameter."""

import warnings

import mpmath
import numpy as np
import pytest
from scipy import special, stats

import autodiff as ad
from numpy_program_checks import central_difference

X = np.array([0.15, 0.4, 0.85])

# (call on the variable, its slope at X from scipy.stats's densities)
SLOPES = {
    "gdtr in x": (lambda v: special.gdtr(1.7, 2.5, 3 * v),
                  lambda x: 3 * stats.gamma.pdf(3 * x, 2.5, scale=1 / 1.7)),
    "gdtr in a": (lambda v: special.gdtr(2 * v, 2.5, 1.3),
                  lambda x: 2 * 1.3 * stats.gamma.pdf(2 * x * 1.3, 2.5)),
    "gdtrc in x": (lambda v: special.gdtrc(1.7, 2.5, 3 * v),
                   lambda x: -3 * stats.gamma.pdf(3 * x, 2.5, scale=1 / 1.7)),
    "nbdtr": (lambda v: special.nbdtr(3, 4, v), lambda x: stats.beta.pdf(x, 4, 4)),
    "nbdtrc": (lambda v: special.nbdtrc(3, 4, v), lambda x: -stats.beta.pdf(x, 4, 4)),
    "fdtr": (lambda v: special.fdtr(3.5, 4.5, 4 * v), lambda x: 4 * stats.f.pdf(4 * x, 3.5, 4.5)),
    "fdtrc": (lambda v: special.fdtrc(3.5, 4.5, 4 * v),
              lambda x: -4 * stats.f.pdf(4 * x, 3.5, 4.5)),
    "chndtr": (lambda v: special.chndtr(5 * v, 3.5, 1.5),
               lambda x: 5 * stats.ncx2.pdf(5 * x, 3.5, 1.5)),
    "tklmbda": (lambda v: special.tklmbda(4 * v - 2, 0.3),
                lambda x: 4 * stats.tukeylambda.pdf(4 * x - 2, 0.3)),
    "bdtri": (lambda v: special.bdtri(2, 7, v),
              lambda x: -1 / stats.beta.pdf(special.bdtri(2, 7, x), 3, 5)),
    "nbdtri": (lambda v: special.nbdtri(2, 7, v),
               lambda x: 1 / stats.beta.pdf(special.nbdtri(2, 7, x), 7, 3)),
    "pdtri": (lambda v: special.pdtri(2, v),
              lambda x: -1 / stats.poisson.pmf(2, special.pdtri(2, x))),
    "chdtri": (lambda v: special.chdtri(3.5, v),
               lambda x: -1 / stats.chi2.pdf(special.chdtri(3.5, x), 3.5)),
    "fdtri": (lambda v: special.fdtri(3.5, 4.5, v),
              lambda x: 1 / stats.f.pdf(special.fdtri(3.5, 4.5, x), 3.5, 4.5)),
    "stdtrit": (lambda v: special.stdtrit(3.5, v),
                lambda x: 1 / stats.t.pdf(special.stdtrit(3.5, x), 3.5)),
    "betaincinv": (lambda v: special.betaincinv(2.5, 1.5, v),
                   lambda x: 1 / stats.beta.pdf(special.betaincinv(2.5, 1.5, x), 2.5, 1.5)),
    "betainccinv": (lambda v: special.betainccinv(2.5, 1.5, v),
                    lambda x: -1 / stats.beta.pdf(special.betainccinv(2.5, 1.5, x), 2.5, 1.5)),
    "chndtrix": (lambda v: special.chndtrix(v, 3.5, 1.5),
                 lambda x: 1 / stats.ncx2.pdf(special.chndtrix(x, 3.5, 1.5), 3.5, 1.5)),
    "kolmogi": (lambda v: special.kolmogi(v),
                lambda x: -1 / stats.kstwobign.pdf(special.kolmogi(x))),
    "smirnovi": (lambda v: special.smirnovi(5, v),
                 lambda x: -1 / stats.ksone.pdf(special.smirnovi(5, x), 5)),
    "gdtrix in p": (lambda v: special.gdtrix(1.7, 2.5, v),
                    lambda x: 1 / stats.gamma.pdf(special.gdtrix(1.7, 2.5, x), 2.5,
                                                  scale=1 / 1.7)),
    "gdtria in p": (lambda v: special.gdtria(v, 2.5, 1.3),
                    lambda x: 1 / (1.3 * stats.gamma.pdf(1.3 * special.gdtria(x, 2.5, 1.3),
                                                         2.5))),
    "nrdtrimn in p": (lambda v: special.nrdtrimn(v, 2.0, 1.0),
                      lambda x: -2.0 / stats.norm.pdf(stats.norm.ppf(x))),
    "nrdtrisd in p": (lambda v: special.nrdtrisd(-1.0, 0.6 + v / 3, 0.5),
                      lambda x: -1.5 / stats.norm.ppf(0.6 + x / 3) ** 2
                      / stats.norm.pdf(stats.norm.ppf(0.6 + x / 3)) / 3),
}


@pytest.mark.parametrize("name", sorted(SLOPES))
def test_values_are_scipys_and_the_slope_is_the_laws_density(name):
    f, slope = SLOPES[name]
    t = ad.tensor(X, requires_grad=True)
    y = f(t)
    assert isinstance(y, ad.Tensor) and y.requires_grad
    np.testing.assert_array_equal(y.data, f(X))
    grad = ad.grad(lambda v: f(v).sum())(X.copy())
    np.testing.assert_allclose(grad, slope(X), rtol=1e-9)


@pytest.mark.parametrize("name", sorted(set(SLOPES) - {"smirnovi"}))
def test_second_order_matches_central_differences(name):
    f, _ = SLOPES[name]
    assert ad.gradgradcheck(lambda v: f(v), [X], eps=1e-6, atol=1e-5, rtol=1e-4)


def test_smirnovis_second_derivative_is_refused_naming_it():
    first = ad.grad(lambda v: special.smirnovi(5, v).sum())
    with pytest.raises(NotImplementedError, match="smirnov: the second derivative"):
        ad.grad(lambda v: first(v).sum())(X.copy())


def test_the_noncentral_chi_square_density_matches_mpmath():
    # d/dx of its CDF: the Poisson mixture of chi-square densities, summed by mpmath
    x, df, nc = 2.7, 3.5, 1.5

    def density(x):
        return mpmath.nsum(lambda j: mpmath.exp(-nc / 2) * (nc / 2) ** j / mpmath.factorial(j)
                           * mpmath.exp(-x / 2) * (x / 2) ** (df / 2 + j - 1)
                           / (2 * mpmath.gamma(df / 2 + j)), [0, mpmath.inf])

    grad = ad.grad(lambda t: special.chndtr(t, df, nc).sum())(np.array([x]))
    np.testing.assert_allclose(grad, [float(density(x))], rtol=1e-13)


def test_the_tukey_lambda_density_matches_mpmath():
    x, lmbda = 0.7, 0.3
    with mpmath.workdps(30):
        f = mpmath.findroot(lambda p: (p ** lmbda - (1 - p) ** lmbda) / lmbda - x, 0.7)
        density = 1 / (f ** (lmbda - 1) + (1 - f) ** (lmbda - 1))
    grad = ad.grad(lambda t: special.tklmbda(t, lmbda).sum())(np.array([x]))
    np.testing.assert_allclose(grad, [float(density)], rtol=1e-13)


def test_tklmbdas_slope_in_the_shape_matches_mpmath_and_central_differences():
    def quantile_solved(x, lmbda):
        return mpmath.findroot(lambda p: (p ** lmbda - (1 - p) ** lmbda) / lmbda - x, 0.5)

    for x, lmbda in ((0.7, 0.3), (-1.2, -0.4), (0.2, 2.5), (0.7, 0.14)):
        grad = ad.grad(lambda t: special.tklmbda(x, t).sum())(np.array([lmbda]))
        with mpmath.workdps(40):
            expected = mpmath.diff(lambda s: quantile_solved(x, s), mpmath.mpf(lmbda))
        np.testing.assert_allclose(grad, [float(expected)], rtol=1e-12)
    at = np.array([-0.6, 0.25, 1.5])
    np.testing.assert_allclose(
        ad.grad(lambda t: special.tklmbda(0.4, t).sum())(at),
        central_difference(lambda t: special.tklmbda(0.4, t).sum(), at), rtol=1e-7)
    assert ad.gradgradcheck(lambda t: special.tklmbda(0.4, t), [at], eps=1e-6, atol=1e-5,
                            rtol=1e-4)


def test_tklmbdas_slope_in_the_shape_at_the_logistic_law_is_the_laws():
    # d/dl at l = 0 is the limit of the law's: -(log^2 F - log^2(1 - F)) / 2 * F (1 - F)
    # (SciPy's values are the logistic's for |l| < 1e-4, flat there)
    x = 0.7
    f = 1 / (1 + np.exp(-x))
    limit = -(np.log(f) ** 2 - np.log1p(-f) ** 2) / 2 * f * (1 - f)
    grads = ad.grad(lambda t: special.tklmbda(x, t).sum())(np.array([0.0, 1e-9, -1e-9]))
    np.testing.assert_allclose(grads, limit, rtol=1e-7)


def test_an_inverse_undone_by_its_distribution_function_has_slope_one():
    p = np.array([0.1, 0.5, 0.9])
    for round_trip in (lambda t: special.gdtr(1.7, 2.5, special.gdtrix(1.7, 2.5, t)),
                       lambda t: special.fdtr(3.0, 5.0, special.fdtri(3.0, 5.0, t)),
                       lambda t: special.betainc(2.0, 3.0, special.betaincinv(2.0, 3.0, t)),
                       lambda t: special.chndtr(special.chndtrix(t, 2.5, 1.0), 2.5, 1.0),
                       lambda t: special.kolmogorov(special.kolmogi(t))):
        np.testing.assert_allclose(ad.grad(lambda t: round_trip(t).sum())(p), 1.0, rtol=1e-9)


def test_closed_form_inverses_have_slopes_in_their_parameters():
    # gdtrix(a, b, p) = gammaincinv(b, p) / a; gdtria(p, b, x) = gammaincinv(b, p) / x;
    # nrdtrimn(p, std, x) = x - std ndtri(p); nrdtrisd(mn, p, x) = (x - mn) / ndtri(p)
    a, p, s, x = np.array([0.8, 2.0]), np.array([0.3, 0.7]), np.array([0.5, 2.0]), \
        np.array([1.2, 3.0])
    cases = [
        (lambda u: special.gdtrix(u, 2.5, 0.3), a),
        (lambda u: special.gdtria(0.3, 2.5, u), x),
        (lambda u: special.nrdtrimn(0.3, u, 1.0), s),
        (lambda u: special.nrdtrimn(0.3, 2.0, u), x),
        (lambda u: special.nrdtrisd(u, 0.7, 4.0), x),
        (lambda u: special.nrdtrisd(-1.0, 0.7, u), x),
        (lambda u: special.gdtr(u, 2.5, 1.3), a),
        (lambda u: special.gdtrc(u, 2.5, 1.3), a),
        (lambda u: special.nrdtrisd(-1.0, u, 0.5), p + 0.25),
    ]
    for f, at in cases:
        grad = ad.grad(lambda u: f(u).sum())(at)
        np.testing.assert_allclose(grad, central_difference(lambda u: f(u).sum(), at),
                                   rtol=1e-7)


@pytest.mark.filterwarnings("ignore:non-integer arg n:DeprecationWarning")    # (bdtri's n)
@pytest.mark.parametrize("call, name, argument", [
    (lambda t: special.gdtr(1.0, t, 2.0), "gdtr", "b"),
    (lambda t: special.nbdtr(t, 4, 0.3), "nbdtr", "k"),
    (lambda t: special.fdtrc(3.0, t, 0.3), "fdtrc", "dfd"),
    (lambda t: special.chndtr(1.0, 3.0, t), "chndtr", "nc"),
    (lambda t: special.bdtri(1, t, 0.3), "bdtri", "n"),
    (lambda t: special.chdtri(t, 0.3), "chdtri", "v"),
    (lambda t: special.betaincinv(t, 2.0, 0.3), "betaincinv", "a"),
    (lambda t: special.betainccinv(2.0, t, 0.3), "betainccinv", "b"),
    (lambda t: special.gdtrix(1.0, t, 0.3), "gdtrix", "b"),
    (lambda t: special.smirnovi(t, 0.3), "smirnovi", "n"),
    (lambda t: special.chdtriv(0.4, t), "chdtriv", "x"),
    (lambda t: special.stdtridf(t * 0.2, 1.0), "stdtridf", "p"),
    (lambda t: special.bdtrik(0.4, t, 0.5), "bdtrik", "n"),
    (lambda t: special.gdtrib(1.0, 0.4, t), "gdtrib", "x"),
    (lambda t: special.pdtrik(t * 0.2, 2.0), "pdtrik", "p"),
    (lambda t: special.nctdtr(3.0, 0.5, t), "nctdtr", "t"),
    (lambda t: special.ncfdtri(3.0, 4.0, 1.0, t * 0.2), "ncfdtri", "p"),
    (lambda t: special.chndtrinc(4.0, 2.0, t * 0.2), "chndtrinc", "p"),
])
def test_a_slope_without_closed_form_is_refused_naming_the_function_and_argument(
        call, name, argument):
    value = call(ad.tensor([2.0]))
    np.testing.assert_array_equal(value.data, call(np.array([2.0])))
    with pytest.raises(NotImplementedError, match=rf"{name}: the derivative with respect to "
                                                  rf"{argument} \(.*pass {argument} as a "
                                                  "number"):
        ad.grad(lambda t: call(t).sum())(np.array([2.0]))


def test_counts_are_floored_as_scipys_and_the_slope_follows():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")    # (SciPy's, of truncating 2.7 and 4.2)
        floored = ad.grad(lambda y: special.pdtri(2.7, y).sum())(X.copy())
        counted = ad.grad(lambda y: special.nbdtr(2.7, 4.2, y).sum())(X.copy())
    np.testing.assert_array_equal(floored, ad.grad(lambda y: special.pdtri(2, y).sum())(X))
    np.testing.assert_array_equal(counted, ad.grad(lambda y: special.nbdtr(2, 4, y).sum())(X))


def test_slopes_at_the_edges_are_the_limits_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inverse = ad.grad(lambda y: special.chdtri(4.0, y).sum())(np.array([1.0]))
        beyond = ad.grad(lambda t: special.tklmbda(t, 0.5).sum())(np.array([-3.0, 3.0]))
        central = ad.grad(lambda t: special.chndtr(t, 3.0, 0.0).sum())(np.array([1.0]))
        kolmogi = ad.grad(lambda p: special.kolmogi(p).sum())(np.array([1.0, 1 - 1e-12]))
    assert inverse[0] == -np.inf
    assert kolmogi[0] == -np.inf and -np.inf < kolmogi[1] < 0    # (kolmogorov falls)
    np.testing.assert_array_equal(beyond, [0.0, 0.0])
    np.testing.assert_allclose(central, stats.chi2.pdf(1.0, 3.0), rtol=1e-13)


def test_float32_stays_float32():
    p = np.array([0.2, 0.7], dtype=np.float32)
    value, grad = ad.value_and_grad(lambda t: special.fdtri(3.0, 4.0, t).sum())(p)
    assert value.dtype == np.float32 and grad.dtype == np.float32
    np.testing.assert_allclose(grad, 1 / stats.f.pdf(special.fdtri(3.0, 4.0, p.astype(float)),
                                                     3.0, 4.0), rtol=1e-4)


def test_forward_mode_and_vmap_give_the_slopes():
    p = np.array([0.3, 0.6])
    _, tangent = ad.jvp(lambda t: special.stdtrit(3.0, t), (p,), (np.ones(2),))
    np.testing.assert_allclose(tangent, 1 / stats.t.pdf(special.stdtrit(3.0, p), 3.0),
                               rtol=1e-12)
    per_row = ad.vmap(ad.grad(lambda t: special.gdtr(2.0, 1.5, t)))(np.array([0.5, 1.5]))
    np.testing.assert_allclose(per_row, stats.gamma.pdf([0.5, 1.5], 1.5, scale=0.5),
                               rtol=1e-12)


def test_gdtrs_slopes_match_hips_autograd_and_torch():
    x = np.array([0.4, 1.3, 2.8])
    ours = ad.grad(lambda t: special.gdtr(1.0, 2.5, t).sum())(x)
    autograd_stats = pytest.importorskip("autograd.scipy.stats")
    import autograd
    theirs = autograd.grad(lambda t: autograd_stats.gamma.cdf(t, 2.5).sum())(x)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    torch = pytest.importorskip("torch")
    t = torch.tensor(x, requires_grad=True)
    torch.special.gammainc(torch.tensor(2.5, dtype=torch.float64), 1.0 * t).sum().backward()
    np.testing.assert_allclose(ours, t.grad.numpy(), rtol=1e-12)


def test_parameters_broadcast_against_the_probability():
    # slopes of shape (3, 4) from degrees of freedom of shape (3, 1) and p of shape (4,)
    dfn, dfd = np.array([[1.5], [3.0], [8.0]]), 4.5
    p = np.array([0.1, 0.35, 0.6, 0.9])
    y = special.fdtri(dfn, dfd, ad.tensor(p, requires_grad=True))
    assert y.shape == (3, 4)
    grad = ad.grad(lambda t: special.fdtri(dfn, dfd, t).sum())(p)
    np.testing.assert_allclose(grad, (1 / stats.f.pdf(special.fdtri(dfn, dfd, p), dfn, dfd))
                               .sum(axis=0), rtol=1e-9)
    rates = np.array([[0.5], [2.0]])
    both = ad.grad(lambda a, t: special.gdtrix(a, 2.5, t).sum(), argnums=(0, 1))(rates, p)
    np.testing.assert_allclose(both[0], central_difference(
        lambda a: special.gdtrix(a.reshape(2, 1), 2.5, p).sum(), rates.ravel()).reshape(2, 1),
        rtol=1e-7)
    np.testing.assert_allclose(both[1], central_difference(
        lambda t: special.gdtrix(rates, 2.5, t).sum(), p), rtol=1e-7)
