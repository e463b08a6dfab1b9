"""scipy.special's Bessel functions, elliptic integrals, spence, binom, stdtr and owens_t
on Tensors: SciPy's values, the library's gradients (ops/scipy_special_bessel.py),
checked against central differences, HIPS autograd, PyTorch and mpmath."""

import warnings

import autograd
import autograd.scipy.special as aspecial
import numpy as np
import pytest
from scipy import special

import autodiff as ad

X = np.array([0.35, 1.2, 4.7])                   # inside every domain below
UNARY = ["j0", "j1", "y0", "y1", "k0", "k1", "k0e", "k1e", "ellipk", "ellipe", "spence"]
WITH_ORDER = ["jv", "yv", "iv", "kv", "ive", "kve"]


def _unary_on(name, x):
    return np.minimum(x, 0.8) if name.startswith("ellip") else x


@pytest.mark.parametrize("name", UNARY)
def test_unary_values_are_scipys_and_gradients_check_to_second_order(name):
    f, x = getattr(special, name), _unary_on(name, X)
    y = f(ad.tensor(x, requires_grad=True))
    assert isinstance(y, ad.Tensor) and y.requires_grad and y.grad_fn is not None
    np.testing.assert_array_equal(y.data, f(x))
    assert ad.gradcheck(lambda v: f(v), [x])
    assert ad.gradgradcheck(lambda v: f(v), [x])


@pytest.mark.parametrize("name", WITH_ORDER)
def test_orders_broadcast_against_x_and_x_gets_the_gradient(name):
    f = getattr(special, name)
    orders = np.array([[0.0], [1.0], [2.5]])      # (3, 1) against (3,): a (3, 3) result
    y = f(orders, ad.tensor(X, requires_grad=True))
    assert y.shape == (3, 3) and y.requires_grad
    np.testing.assert_array_equal(y.data, f(orders, X))
    assert ad.gradcheck(lambda v: f(orders, v), [X])
    assert ad.gradgradcheck(lambda v: f(orders, v), [X])


@pytest.mark.parametrize("name", WITH_ORDER + ["stdtr"])
def test_the_order_requiring_grad_is_refused_by_name(name):
    order = "df" if name == "stdtr" else "v"
    f = getattr(special, name)
    with pytest.raises(NotImplementedError, match=rf"^{name}: the derivative with respect to "
                                                  rf"{order} \(the first argument\)"):
        ad.grad(lambda v: np.sum(f(v, X)))(np.array([1.0, 2.0, 3.0]))


def _first_and_second(f, x):
    first = ad.grad(lambda v: f(v))(x)
    second = ad.grad(ad.grad(lambda v: f(v)))(x)
    return first, second


@pytest.mark.parametrize("name", ["j0", "j1", "y0", "y1"])
def test_fixed_order_derivatives_match_autograd(name):
    ours, theirs = getattr(special, name), getattr(aspecial, name)
    for x in X:
        first, second = _first_and_second(ours, x)
        np.testing.assert_allclose(first, autograd.grad(theirs)(x), rtol=1e-12)
        np.testing.assert_allclose(second, autograd.grad(autograd.grad(theirs))(x),
                                   rtol=1e-10)


@pytest.mark.parametrize("ours,theirs,order", [
    ("jv", "jn", 0), ("jv", "jn", 3), ("yv", "yn", 0), ("yv", "yn", 2),
    ("iv", "iv", 0), ("iv", "iv", 1.5), ("ive", "ive", 0), ("ive", "ive", 2.5)])
def test_derivatives_in_x_match_autograd(ours, theirs, order):
    f, g = getattr(special, ours), getattr(aspecial, theirs)
    for x in X:
        first, second = _first_and_second(lambda v: f(order, v), x)
        np.testing.assert_allclose(first, autograd.grad(lambda v: g(order, v))(x), rtol=1e-12)
        np.testing.assert_allclose(
            second, autograd.grad(autograd.grad(lambda v: g(order, v)))(x), rtol=1e-10)


def test_modified_bessel_derivatives_match_pytorch_autograd():
    torch = pytest.importorskip("torch")
    # torch's own I0, I1, I0e, I1e (other code than SciPy's Cephes): a few ulp apart
    pairs = [(lambda v: special.iv(0, v), torch.special.i0),
             (lambda v: special.iv(1, v), torch.special.i1),
             (lambda v: special.ive(0, v), torch.special.i0e),
             (lambda v: special.ive(1, v), torch.special.i1e)]
    for ours, theirs in pairs:
        for x in np.concatenate([X, -X]):
            t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
            (slope,) = torch.autograd.grad(theirs(t), t, create_graph=True)
            (curvature,) = torch.autograd.grad(slope, t)
            first, second = _first_and_second(ours, x)
            np.testing.assert_allclose(first, slope.item(), rtol=1e-12)
            np.testing.assert_allclose(second, curvature.item(), rtol=1e-11)


def test_bessel_slopes_are_pytorchs_bessel_functions():
    torch = pytest.importorskip("torch")
    ts = torch.special
    t = torch.tensor(X, dtype=torch.float64)
    # PyTorch's Bessel functions have no gradient; their values give the derivatives
    expected = {"j0": -ts.bessel_j1(t), "y0": -ts.bessel_y1(t),
                "k0": -ts.modified_bessel_k1(t),
                "k0e": ts.scaled_modified_bessel_k0(t) - ts.scaled_modified_bessel_k1(t)}
    for name, slope in expected.items():
        f = getattr(special, name)
        got = ad.grad(lambda v: np.sum(f(v)))(X)
        # (PyTorch's bessel_j1 and bessel_y1 are ~1e-8 relative from mpmath's at x = 4.7,
        # SciPy's within 1e-15: the bound is PyTorch's accuracy, mpmath's test is tight)
        np.testing.assert_allclose(got, slope.numpy(), rtol=2e-8, err_msg=name)


#: name: (the call on x, mpmath's function, its order, mpmath's scale factor of x or None)
_MPMATH = {
    "j0": (special.j0, "besselj", 0, None), "j1": (special.j1, "besselj", 1, None),
    "y0": (special.y0, "bessely", 0, None), "y1": (special.y1, "bessely", 1, None),
    "k0": (special.k0, "besselk", 0, None), "k1": (special.k1, "besselk", 1, None),
    "k0e": (special.k0e, "besselk", 0, "exp"), "k1e": (special.k1e, "besselk", 1, "exp"),
    "jv": (lambda x: special.jv(2.5, x), "besselj", 2.5, None),
    "yv": (lambda x: special.yv(1.5, x), "bessely", 1.5, None),
    "iv": (lambda x: special.iv(0.7, x), "besseli", 0.7, None),
    "kv": (lambda x: special.kv(1.5, x), "besselk", 1.5, None),
    "ive": (lambda x: special.ive(2.0, x), "besseli", 2.0, "exp_minus"),
    "kve": (lambda x: special.kve(0.5, x), "besselk", 0.5, "exp"),
}


@pytest.mark.parametrize("name", list(_MPMATH))
def test_bessel_slopes_against_mpmath(name):
    mpmath = pytest.importorskip("mpmath")
    f, base, order, scale = _MPMATH[name]

    def exact(x):
        value = getattr(mpmath, base)(order, x)
        return value * {None: 1, "exp": mpmath.exp(x), "exp_minus": mpmath.exp(-x)}[scale]

    with mpmath.workdps(40):
        expected = [float(mpmath.diff(exact, mpmath.mpf(x))) for x in X]
    got = ad.grad(lambda v: np.sum(f(v)))(X)
    # (a difference of two Bessel values, each within a few ulp: bounded relative error
    # away from the slope's zeros, which X avoids)
    np.testing.assert_allclose(got, expected, rtol=1e-13, err_msg=name)


def test_elliptic_slopes_against_mpmath_across_the_series_switch():
    mpmath = pytest.importorskip("mpmath")
    ms = [-3.0, -0.0201, -0.0199, -1e-9, 1e-12, 0.0199, 0.0201, 0.5, 0.999]
    with mpmath.workdps(40):
        k_slope = [float(mpmath.diff(mpmath.ellipk, m)) for m in ms]
        e_slope = [float(mpmath.diff(mpmath.ellipe, m)) for m in ms]
    np.testing.assert_allclose(ad.grad(lambda m: np.sum(special.ellipk(m)))(np.array(ms)),
                               k_slope, rtol=1e-13)
    np.testing.assert_allclose(ad.grad(lambda m: np.sum(special.ellipe(m)))(np.array(ms)),
                               e_slope, rtol=1e-13)


def test_singular_slopes_are_the_limits_and_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        k = ad.grad(lambda m: np.sum(special.ellipk(m)))(np.array([0.0, 1.0]))
        e = ad.grad(lambda m: np.sum(special.ellipe(m)))(np.array([0.0, 1.0]))
        s = ad.grad(lambda z: np.sum(special.spence(z)))(np.array([0.0, 1.0]))
        s2 = ad.grad(ad.grad(lambda z: np.sum(special.spence(z))))(np.array([1.0]))
        k_slope = ad.grad(lambda m: np.sum(special.ellipk(m)))
        k2 = ad.grad(lambda m: np.sum(k_slope(m)))(np.array([1.0, 0.5]))
    np.testing.assert_allclose(k, [np.pi / 8, np.inf], rtol=1e-15)
    np.testing.assert_allclose(e, [-np.pi / 8, -np.inf], rtol=1e-15)
    np.testing.assert_array_equal(s, [-np.inf, -1.0])
    np.testing.assert_allclose(s2, [0.5], rtol=1e-15)         # d/dz log(z) / (1 - z) at 1
    assert k2[0] == np.inf and np.isfinite(k2[1])            # K'' -> +inf as m -> 1


@pytest.mark.parametrize("f", [special.y0, special.y1, special.k0, special.k1, special.k0e,
                               special.k1e, lambda x: special.jv(-1.5, x),
                               lambda x: special.yv(2.5, x), lambda x: special.iv(-0.5, x),
                               lambda x: special.kv(0.5, x), lambda x: special.kve(1.5, x)])
def test_slopes_at_a_pole_at_zero_are_the_limits_and_stay_there(f):
    # c x**-p (or a log) at 0: the slope is infinite of the value's other sign, the second
    # derivative of its sign; the recurrences there are inf - inf, NaN if left alone
    x = np.array([0.0, 0.7])
    first = ad.grad(lambda t: np.sum(f(t)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        slope, curvature = first(x), ad.grad(lambda t: np.sum(first(t)))(x)
    sign = np.sign(f(0.0))
    assert np.isinf(f(0.0)) and slope[0] == -sign * np.inf and curvature[0] == sign * np.inf
    # ... and the other entries are what they are alone
    np.testing.assert_array_equal(slope[1:], first(x[1:]))
    np.testing.assert_array_equal(curvature[1:],
                                  ad.grad(lambda t: np.sum(first(t)))(x[1:]))
    single = ad.tensor(x.astype(np.float32), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f(single).sum().backward()
    assert single.grad.dtype == np.float32 and single.grad[0] == -sign * np.inf
    np.testing.assert_allclose(single.grad[1], slope[1], rtol=1e-6)


def test_spence_slope_is_smooth_through_one():
    mpmath = pytest.importorskip("mpmath")
    zs = [0.9989, 0.9991, 1.0 - 1e-9, 1.0 + 1e-9, 1.0009, 1.0011, 2.5]
    with mpmath.workdps(40):
        expected = [float(mpmath.log(mpmath.mpf(z)) / (1 - mpmath.mpf(z))) for z in zs]
    got = ad.grad(lambda z: np.sum(special.spence(z)))(np.array(zs))
    np.testing.assert_allclose(got, expected, rtol=2e-15)


def test_stdtr_slope_is_the_t_density_and_the_normal_one_for_infinite_df():
    from scipy import stats
    t = np.array([-3.0, 0.0, 0.7, 5.0])
    for df in [0.5, 3.0, 1e12]:
        got = ad.grad(lambda v: np.sum(special.stdtr(df, v)))(t)
        np.testing.assert_allclose(got, stats.t.pdf(t, df), rtol=1e-12, err_msg=str(df))
    got = ad.grad(lambda v: np.sum(special.stdtr(np.inf, v)))(t)
    np.testing.assert_allclose(got, stats.norm.pdf(t), rtol=1e-14)


def test_binom_slopes_are_digamma_differences_and_finite_at_the_poles():
    n, k = np.array([4.3, 7.0, 2.5]), np.array([1.7, 3.0, 0.4])
    grad_n, grad_k = ad.grad(lambda a, b: np.sum(special.binom(a, b)), argnums=(0, 1))(n, k)
    value = special.binom(n, k)
    np.testing.assert_allclose(grad_n, value * (special.psi(n + 1) - special.psi(n - k + 1)),
                               rtol=1e-14)
    np.testing.assert_allclose(grad_k, value * (special.psi(n - k + 1) - special.psi(k + 1)),
                               rtol=1e-14)
    # binom(3, k) = 0 at k = 5 sits on a pole of digamma(n - k + 1), but it crosses 0
    # there with slope 1/20 (mpmath's): finite, and silently
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        slope = ad.grad(lambda b: np.sum(special.binom(3.0, b)))(np.array([5.0]))
    np.testing.assert_allclose(slope, [0.05], rtol=1e-12)


def test_owens_t_slopes_against_its_integral():
    from scipy import integrate
    h, a = 0.8, 1.4
    grad_h, grad_a = ad.grad(lambda u, w: special.owens_t(u, w), argnums=(0, 1))(h, a)
    integrand_h, _ = integrate.quad(
        lambda x: -h * np.exp(-h * h * (1 + x * x) / 2) / (2 * np.pi), 0.0, a, epsabs=1e-15)
    np.testing.assert_allclose(grad_h, integrand_h, rtol=1e-13)
    np.testing.assert_allclose(grad_a, np.exp(-h * h * (1 + a * a) / 2)
                               / (2 * np.pi * (1 + a * a)), rtol=1e-15)


def test_in_a_compiled_function():
    w = ad.tensor(np.array([0.3, 1.1]), requires_grad=True)

    @ad.compile
    def gradient_of(x):
        w.grad = None
        (special.j0(x * w) + special.kv(1.5, 1.0 + w * w)).sum().backward()
        return w.grad

    for x in (np.array([1.0, 2.0]), np.array([0.5, -1.5]), np.array([2.0, 0.1])):
        v, u = w.data, 1.0 + w.data ** 2
        expected = -x * special.j1(x * v) - v * (special.kv(0.5, u) + special.kv(2.5, u))
        np.testing.assert_allclose(np.asarray(gradient_of(x)), expected, rtol=1e-14)
