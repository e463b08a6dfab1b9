"""scipy.special's distribution functions on Tensors (stdtr, chdtr, pdtr, betainc, the
incomplete gamma inverses, owens_t, spence, wrightomega, ndtri_exp): SciPy's values,
slopes that are the laws' densities from scipy.stats, and a clear refusal of the shape
parameters' slopes."""

import warnings

import numpy as np
import pytest
from scipy import special, stats

import autodiff as ad
from numpy_program_checks import central_difference

X = np.array([0.15, 0.4, 0.85])

# (call on the variable, SciPy's slope of it at X)
SLOPES = {
    "stdtr": (lambda v: special.stdtr(4.5, 3 * v - 1), lambda x: 3 * stats.t.pdf(3 * x - 1, 4.5)),
    "chdtr": (lambda v: special.chdtr(3.0, 4 * v), lambda x: 4 * stats.chi2.pdf(4 * x, 3.0)),
    "chdtrc": (lambda v: special.chdtrc(3.0, 4 * v), lambda x: -4 * stats.chi2.pdf(4 * x, 3.0)),
    "pdtr": (lambda v: special.pdtr(2, 5 * v), lambda x: -5 * stats.poisson.pmf(2, 5 * x)),
    "pdtrc": (lambda v: special.pdtrc(2, 5 * v), lambda x: 5 * stats.poisson.pmf(2, 5 * x)),
    "betainc": (lambda v: special.betainc(2.5, 1.5, v), lambda x: stats.beta.pdf(x, 2.5, 1.5)),
    "betaincc": (lambda v: special.betaincc(2.5, 1.5, v),
                 lambda x: -stats.beta.pdf(x, 2.5, 1.5)),
    "gammaincinv": (lambda v: special.gammaincinv(2.5, v),
                    lambda x: 1 / stats.gamma.pdf(special.gammaincinv(2.5, x), 2.5)),
    "gammainccinv": (lambda v: special.gammainccinv(2.5, v),
                     lambda x: -1 / stats.gamma.pdf(special.gammainccinv(2.5, x), 2.5)),
    "owens_t": (lambda v: special.owens_t(2 * v - 0.5, 0.7),
                lambda x: central_difference(lambda y: special.owens_t(2 * y - 0.5, 0.7).sum(),
                                             x)),
    "spence": (lambda v: special.spence(3 * v), lambda x: 3 * np.log(3 * x) / (1 - 3 * x)),
    "wrightomega": (lambda v: special.wrightomega(v),
                    lambda x: special.wrightomega(x) / (1 + special.wrightomega(x))),
    "ndtri_exp": (lambda v: special.ndtri_exp(-3 * v),
                  lambda x: -3 * np.exp(-3 * x) / stats.norm.pdf(special.ndtri_exp(-3 * x))),
}


@pytest.mark.parametrize("name", sorted(SLOPES))
def test_values_are_scipys_and_the_slope_is_the_laws_density(name):
    f, slope = SLOPES[name]
    t = ad.tensor(X, requires_grad=True)
    y = f(t)
    assert isinstance(y, ad.Tensor) and y.requires_grad
    np.testing.assert_array_equal(y.data, f(X))
    grad = ad.grad(lambda v: f(v).sum())(X.copy())
    np.testing.assert_allclose(grad, slope(X), rtol=1e-6)
    assert ad.gradgradcheck(lambda v: f(v), [X])


def test_owens_t_has_slopes_in_h_and_a():
    h, a = np.array([-0.8, 0.3, 1.7]), np.array([0.4, 1.2, 2.5])
    gh, ga = ad.grad(lambda u, w: special.owens_t(u, w).sum(), argnums=(0, 1))(h, a)
    # central differences of step 1e-6 carry ~1e-11 of rounding: absolute bound below
    np.testing.assert_allclose(gh, central_difference(lambda u: special.owens_t(u, a).sum(), h),
                               rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(ga, central_difference(lambda w: special.owens_t(h, w).sum(), a),
                               rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("call, argument", [
    (lambda t: special.stdtr(t, 0.5), "df"),
    (lambda t: special.chdtr(t, 2.0), "v"),
    (lambda t: special.pdtr(t, 2.0), "k"),
    (lambda t: special.betainc(t, 2.0, 0.3), "a"),
    (lambda t: special.betaincc(2.0, t, 0.3), "b"),
    (lambda t: special.gammaincinv(t, 0.3), "a"),
])
def test_a_shape_parameters_slope_is_refused_naming_the_function_and_argument(call, argument):
    name = call.__code__.co_names[-1]
    with pytest.raises(NotImplementedError, match=rf"{name}: the derivative "
                                                  rf"with respect to {argument} "):
        ad.grad(lambda t: call(t).sum())(np.array([3.0]))


def test_counts_are_floored_as_scipys_and_the_slope_follows():
    # pdtr(2.7, m) is pdtr(2, m): the slope is the Poisson pmf at 2
    grad = ad.grad(lambda m: special.pdtr(2.7, m).sum())(np.array([1.5, 4.0]))
    np.testing.assert_allclose(grad, -stats.poisson.pmf(2, np.array([1.5, 4.0])), rtol=1e-12)


def test_slopes_at_the_domains_edges_are_the_limits_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spence = ad.grad(lambda z: special.spence(z).sum())(np.array([1.0, 0.0]))
        inverse = ad.grad(lambda y: special.gammaincinv(2.0, y).sum())(np.array([0.0, 0.5]))
        complement = ad.grad(lambda y: special.gammainccinv(2.0, y).sum())(np.array([1.0]))
    np.testing.assert_array_equal(spence, [-1.0, -np.inf])
    assert inverse[0] == np.inf and np.isfinite(inverse[1]) and complement[0] == -np.inf


def test_float32_stays_float32():
    x = np.array([0.2, 0.7], dtype=np.float32)
    value, grad = ad.value_and_grad(lambda t: special.betainc(2.0, 3.0, t).sum())(x)
    assert value.dtype == np.float32 and grad.dtype == np.float32
    np.testing.assert_array_equal(value, special.betainc(2.0, 3.0, x).sum())
    np.testing.assert_allclose(grad, stats.beta.pdf(x.astype(float), 2.0, 3.0), rtol=1e-5)


def test_forward_mode_and_vmap_give_the_density():
    x = np.array([1.0, 2.0])
    _, tangent = ad.jvp(lambda t: special.chdtr(3.0, t), (x,), (np.ones(2),))
    np.testing.assert_allclose(tangent, stats.chi2.pdf(x, 3.0), rtol=1e-12)
    per_row = ad.vmap(ad.grad(lambda t: special.stdtr(3.0, t)))(np.array([0.1, 0.5]))
    np.testing.assert_allclose(per_row, stats.t.pdf(np.array([0.1, 0.5]), 3.0), rtol=1e-12)
