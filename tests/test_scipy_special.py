"""scipy.special's ufuncs on Tensors: SciPy's values, the library's gradients."""

import warnings

import autograd
import autograd.scipy.special as aspecial
import numpy as np
import pytest
from scipy import special

import autodiff as ad

X = np.array([0.15, 0.4, 0.85])          # inside every domain below (logit, erfinv ...)
NAMES = ["expit", "log_expit", "logit", "erf", "erfc", "erfinv", "ndtr", "log_ndtr",
         "gammaln", "psi", "i0", "i1", "expm1", "log1p", "exp2", "exp10", "cbrt", "ndtri",
         "gamma", "entr", "erfcx", "i0e", "i1e"]


@pytest.mark.parametrize("name", NAMES)
def test_values_are_scipys_and_gradients_check(name):
    f = getattr(special, name)
    t = ad.tensor(X, requires_grad=True)
    y = f(t)
    assert isinstance(y, ad.Tensor) and y.requires_grad
    np.testing.assert_array_equal(y.data, f(X))
    assert ad.gradcheck(lambda v: f(v), [X])
    assert ad.gradgradcheck(lambda v: f(v), [X])


@pytest.mark.parametrize("name", [n for n in NAMES if hasattr(aspecial, n)])
def test_first_and_second_derivatives_match_autograd(name):
    ours, theirs = getattr(special, name), getattr(aspecial, name)
    for x in X:
        np.testing.assert_allclose(ad.grad(lambda v: ours(v))(x),
                                   autograd.grad(theirs)(x), rtol=1e-12)
        np.testing.assert_allclose(ad.grad(ad.grad(lambda v: ours(v)))(x),
                                   autograd.grad(autograd.grad(theirs))(x), rtol=1e-10)


def test_xlogy_and_the_far_tail_of_log_ndtr():
    a, b = np.array([0.0, 0.5, 2.0]), np.array([0.0, 0.3, 1.7])
    ta, tb = ad.tensor(a, requires_grad=True), ad.tensor(b, requires_grad=True)
    np.testing.assert_array_equal(special.xlogy(ta, tb).data, special.xlogy(a, b))
    assert ad.gradcheck(lambda u, v: special.xlogy(u, v), [a[1:], b[1:]])
    x = ad.tensor([-40.0], requires_grad=True)
    special.log_ndtr(x).backward()                 # Mills ratio: about -x
    np.testing.assert_allclose(x.grad, [40.02496885], rtol=1e-8)
    assert np.isfinite(x.grad).all()


def test_a_scipy_function_without_a_rule_still_names_itself(monkeypatch):
    from autodiff.ops import scipy_special
    # (every one of SciPy's public ufuncs has an op: take one away)
    monkeypatch.delitem(scipy_special._MATHIEU, "mathieu_a")
    with pytest.raises(TypeError, match=r"^scipy\.special\.mathieu_a has no differentiable "):
        special.mathieu_a(1.0, ad.tensor([1.5], requires_grad=True))
    with pytest.raises(TypeError, match=r"^scipy\.special\.binom\.outer has no differentiable"):
        special.binom.outer(ad.tensor([1.5], requires_grad=True), np.arange(3.0))


def test_only_scipys_own_ufunc_dispatches_by_its_name():
    from autodiff.ops.scipy_special import op_for

    class Impostor:                       # named like SciPy's ufunc, but another object
        __name__ = "expit"

    assert op_for(special.expit).name == "scipy_expit"
    assert op_for(Impostor()) is None and op_for(np.exp) is None


def test_in_a_compiled_step():
    w = ad.tensor(np.array([0.3, -0.2]), requires_grad=True)
    opt = ad.optim.SGD([w], lr=0.1)

    @ad.compile
    def step(x):
        loss = special.log_expit(x * w).sum() + special.gammaln(1.5 + w * w).sum()
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss

    v = w.data.copy()
    for _ in range(3):
        x = np.array([1.0, 2.0])
        step(x)
        gradient = x * special.expit(-x * v) + 2 * v * special.psi(1.5 + v * v)
        v = v - 0.1 * gradient
    np.testing.assert_allclose(w.data, v, rtol=1e-13)


@pytest.mark.parametrize("name", ["betaln", "xlog1py", "rel_entr", "kl_div"])
def test_two_argument_functions_are_scipys_with_gradients_in_both(name):
    f = getattr(special, name)
    a, b = np.array([0.3, 1.2, 2.5]), np.array([0.7, 0.4, 1.9])
    ta, tb = ad.tensor(a, requires_grad=True), ad.tensor(b, requires_grad=True)
    y = f(ta, tb)
    assert isinstance(y, ad.Tensor) and y.requires_grad
    np.testing.assert_array_equal(y.data, f(a, b))
    assert ad.gradcheck(lambda u, v: f(u, v), [a, b])
    assert ad.gradgradcheck(lambda u, v: f(u, v), [a, b])


def test_betaln_matches_autograd_and_xlog1py_is_zero_at_zero_like_xlogy():
    a, b = np.array([0.3, 1.2, 2.5]), np.array([0.7, 0.4, 1.9])
    ours = ad.grad(lambda u, v: np.sum(special.betaln(u, v)), argnums=(0, 1))(a, b)
    theirs = autograd.grad(lambda u, v: autograd.numpy.sum(aspecial.betaln(u, v)),
                           argnum=(0, 1))(a, b)
    for got, expected in zip(ours, theirs):
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    # x log1p(y) is 0 for x == 0 whatever y, so its x-slope there is 0 at y = -1 (PyTorch)
    grad_x = ad.grad(lambda u: np.sum(special.xlog1py(u, np.array([-1.0, 0.5]))))(
        np.array([0.0, 0.0]))
    np.testing.assert_array_equal(grad_x, [0.0, np.log1p(0.5)])


def test_entropy_slopes_at_the_domain_edge_are_pytorchs_and_silent():
    x = np.array([0.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        entr = ad.grad(lambda t: np.sum(special.entr(t)))(x)
        rel_entr = ad.grad(lambda t: np.sum(special.rel_entr(t, 1.5)))(x)
        kl_div = ad.grad(lambda t: np.sum(special.kl_div(t, 1.5)))(x)
    np.testing.assert_array_equal(entr, [np.inf, -(np.log(2.0) + 1)])
    np.testing.assert_allclose(rel_entr, [-np.inf, np.log(2.0 / 1.5) + 1], rtol=1e-15)
    np.testing.assert_allclose(kl_div, [-np.inf, np.log(2.0 / 1.5)], rtol=1e-15)


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_incomplete_gamma_has_a_slope_in_x_and_names_the_missing_one_in_a(name):
    f = getattr(special, name)
    x = np.array([0.4, 1.5, 6.0])
    np.testing.assert_array_equal(f(2.5, ad.tensor(x)).data, f(2.5, x))
    assert ad.gradcheck(lambda v: f(2.5, v), [x])
    assert ad.gradgradcheck(lambda v: f(2.5, v), [x])
    with pytest.raises(NotImplementedError, match=rf"^{name}: the derivative with respect "
                                                  r"to a .* as in PyTorch"):
        ad.grad(lambda a: np.sum(f(a, x)))(np.array([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("name", ["inv_boxcox", "inv_boxcox1p"])
def test_inverse_box_cox_has_slopes_in_y_and_lambda_through_lambda_zero(name):
    # a forecast made on the Box-Cox scale, mapped back with lambda fitted: lambda at 0
    # and 1e-5 take the series of the lambda slope, where the closed form cancels
    f = getattr(special, name)
    y, lmbda = np.array([-0.8, 0.3, 1.7, 0.9]), np.array([0.0, 1e-5, 0.4, -0.3])
    np.testing.assert_array_equal(f(ad.tensor(y), ad.tensor(lmbda)).data, f(y, lmbda))
    gy, gl = ad.grad(lambda a, b: f(a, b).sum(), argnums=(0, 1))(y, lmbda)
    step = 1e-6
    np.testing.assert_allclose(gy, (f(y + step, lmbda) - f(y - step, lmbda)) / (2 * step),
                               rtol=1e-8)
    np.testing.assert_allclose(gl, (f(y, lmbda + step) - f(y, lmbda - step)) / (2 * step),
                               rtol=1e-8)
    assert ad.gradgradcheck(lambda a, b: f(a, b), [y, lmbda])


def test_out_refusals_name_scipy_special_not_numpy():
    t = ad.tensor([0.5], requires_grad=True)
    with pytest.raises(TypeError, match=r"^scipy\.special\.fresnel with out= on a Tensor"):
        special.fresnel(t, out=(np.empty(1), np.empty(1)))
    with pytest.raises(TypeError, match=r"^scipy\.special\.erf with out=: cannot cast"):
        special.erf(t, out=ad.zeros(1, dtype=np.int64))
    with pytest.raises(TypeError, match=r"^numpy\.exp with out= on a Tensor"):
        np.exp(t, out=np.empty(1))
