"""SciPy's wofz, zetac, gammasgn, round, radian, ellipkm1, airy, airye and the Kelvin
functions on Tensors: they record, with SciPy's values and slopes that are mpmath's
derivatives (first and second order), conjugated for complex z (PyTorch's convention)."""

import warnings

import numpy as np
import pytest
from scipy import special

import autodiff as ad

mpmath = pytest.importorskip("mpmath")


def _grads(function, points):
    x = np.array(points, dtype=float)
    first = ad.grad(lambda t: function(t).sum())(x.copy())
    second = ad.grad(lambda t: ad.grad(lambda u: function(u).sum())(t).sum())(x.copy())
    return first, second


def _mp_derivatives(exact, points):
    with mpmath.workdps(30):
        first = [float(mpmath.diff(exact, mpmath.mpf(p))) for p in points]
        second = [float(mpmath.diff(exact, mpmath.mpf(p), 2)) for p in points]
    return first, second


def _kelvin_derivative(kind):
    return lambda x: mpmath.diff(lambda u: getattr(mpmath, kind)(0, u), x)


REAL_CASES = {
    "ai": (lambda t: special.airy(t)[0], mpmath.airyai, [-3.0, 0.0, 0.7, 2.5]),
    "aip": (lambda t: special.airy(t)[1], lambda x: mpmath.airyai(x, 1), [-3.0, 0.0, 2.5]),
    "bi": (lambda t: special.airy(t)[2], mpmath.airybi, [-3.0, 0.0, 0.7, 2.5]),
    "bip": (lambda t: special.airy(t)[3], lambda x: mpmath.airybi(x, 1), [-3.0, 0.0, 2.5]),
    "eai": (lambda t: special.airye(t)[0],
            lambda x: mpmath.airyai(x) * mpmath.exp(2 * x ** 1.5 / 3), [0.3, 1.0, 4.0]),
    "eaip": (lambda t: special.airye(t)[1],
             lambda x: mpmath.airyai(x, 1) * mpmath.exp(2 * x ** 1.5 / 3), [0.3, 1.0, 4.0]),
    "ebi": (lambda t: special.airye(t)[2],
            lambda x: mpmath.airybi(x) * mpmath.exp(-abs(mpmath.re(2 * mpmath.sqrt(x) * x / 3))),
            [-2.0, 0.3, 1.0, 4.0]),
    "ebip": (lambda t: special.airye(t)[3],
             lambda x: mpmath.airybi(x, 1) * mpmath.exp(
                 -abs(mpmath.re(2 * mpmath.sqrt(x) * x / 3))), [-2.0, 0.3, 1.0, 4.0]),
    "ber": (special.ber, lambda x: mpmath.ber(0, x), [-1.3, 0.0, 0.7, 4.5]),
    "bei": (special.bei, lambda x: mpmath.bei(0, x), [-1.3, 0.0, 0.7, 4.5]),
    "ker": (special.ker, lambda x: mpmath.ker(0, x), [0.3, 0.7, 4.5]),
    "kei": (special.kei, lambda x: mpmath.kei(0, x), [0.3, 0.7, 4.5]),
    "berp": (special.berp, _kelvin_derivative("ber"), [-1.3, 0.0, 0.7, 4.5]),
    "beip": (special.beip, _kelvin_derivative("bei"), [-1.3, 0.0, 0.7, 4.5]),
    "kerp": (special.kerp, _kelvin_derivative("ker"), [0.3, 0.7, 4.5]),
    "keip": (special.keip, _kelvin_derivative("kei"), [0.3, 0.7, 4.5]),
    "ellipkm1": (special.ellipkm1, lambda p: mpmath.ellipk(1 - p), [0.01, 0.3, 0.99, 1.0, 1.7]),
    "radian": (lambda t: special.radian(t, 2 * t, 3 * t),
               lambda x: (x + 2 * x / 60 + 3 * x / 3600) * mpmath.pi / 180, [-30.0, 1.0]),
}


@pytest.mark.parametrize("name", sorted(REAL_CASES))
def test_real_slopes_are_mpmaths_to_second_order(name):
    function, exact, points = REAL_CASES[name]
    out = function(ad.tensor(np.array(points), requires_grad=True))
    assert isinstance(out, ad.Tensor) and out.requires_grad
    first, second = _grads(function, points)
    expected_first, expected_second = _mp_derivatives(exact, points)
    np.testing.assert_allclose(first, expected_first, rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(second, expected_second, rtol=1e-8, atol=1e-12)


def _faddeeva(z):
    return mpmath.exp(-z * z) * mpmath.erfc(-1j * z)


def _complex_grad(function, z):
    """``d Re f / d Re z + i d Re f / d Im z``, the gradient of ``Re f`` (PyTorch's)."""
    t = ad.tensor(np.array(z), requires_grad=True)
    (grad,) = ad.autograd.grad(function(t).real.sum(), t)
    return grad.data


COMPLEX_CASES = {
    "wofz": (special.wofz, _faddeeva, [0.3 + 0.5j, -1.0 + 2.0j, 2.0 - 0.2j]),
    "airy ai": (lambda t: special.airy(t)[0], mpmath.airyai, [0.3 + 0.5j, -2.0 + 1.0j]),
    "airy bip": (lambda t: special.airy(t)[3], lambda z: mpmath.airybi(z, 1),
                 [0.3 + 0.5j, -2.0 + 1.0j]),
    "airye eai": (lambda t: special.airye(t)[0],
                  lambda z: mpmath.airyai(z) * mpmath.exp(2 * z * mpmath.sqrt(z) / 3),
                  [0.3 + 0.5j, -2.0 + 1.0j, 1.5 - 0.7j]),
    "airye eaip": (lambda t: special.airye(t)[1],
                   lambda z: mpmath.airyai(z, 1) * mpmath.exp(2 * z * mpmath.sqrt(z) / 3),
                   [0.3 + 0.5j, 1.5 - 0.7j]),
}


@pytest.mark.parametrize("name", sorted(COMPLEX_CASES))
def test_complex_gradients_are_the_conjugated_derivative(name):
    function, exact, points = COMPLEX_CASES[name]
    with mpmath.workdps(30):
        derivative = [complex(mpmath.diff(exact, mpmath.mpc(p))) for p in points]
    np.testing.assert_allclose(_complex_grad(function, points), np.conj(derivative),
                               rtol=1e-9, atol=1e-13)


def test_wofz_of_a_real_tensor_gives_both_parts_slopes():
    x = np.array([-2.0, 0.0, 0.4, 3.0])
    with mpmath.workdps(30):
        derivative = np.array([complex(mpmath.diff(_faddeeva, mpmath.mpf(p))) for p in x])
    real = ad.grad(lambda t: special.wofz(t).real.sum())(x)
    imag = ad.grad(lambda t: special.wofz(t).imag.sum())(x)
    np.testing.assert_allclose(real, derivative.real, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(imag, derivative.imag, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("index", range(4))
def test_kelvins_complex_outputs_have_mpmaths_slopes(index):
    x = np.array([-1.2, 0.0, 0.8, 3.0]) if index in (0, 2) else np.array([0.4, 0.8, 3.0])

    def exact(u):
        be, ke = mpmath.ber(0, u) + 1j * mpmath.bei(0, u), mpmath.ker(0, u) + 1j * mpmath.kei(0, u)
        if index < 2:
            return (be, ke)[index]
        kind = ("ber", "bei") if index == 2 else ("ker", "kei")
        return (mpmath.diff(lambda v: getattr(mpmath, kind[0])(0, v), u)
                + 1j * mpmath.diff(lambda v: getattr(mpmath, kind[1])(0, v), u))

    with mpmath.workdps(30):
        slopes = np.array([complex(mpmath.diff(exact, mpmath.mpf(p))) for p in x])
    outputs = special.kelvin(ad.tensor(x, requires_grad=True))
    assert len(outputs) == 4 and all(out.requires_grad for out in outputs)
    for part, expected in (("real", slopes.real), ("imag", slopes.imag)):
        grad = ad.grad(lambda t: getattr(special.kelvin(t)[index], part).sum())(x)
        np.testing.assert_allclose(grad, expected, rtol=1e-9, atol=1e-13)


def test_airy_outputs_all_feed_one_loss():
    x = np.array([-1.0, 0.5])
    grad = ad.grad(lambda t: sum(out.sum() for out in special.airy(t)))(x)
    ai, aip, bi, bip = special.airy(x)
    np.testing.assert_allclose(grad, aip + x * ai + bip + x * bi, rtol=1e-14)


def test_piecewise_constant_functions_have_zero_slope_as_numpys_do():
    x = np.array([-2.5, -0.5, 0.4, 2.5])
    for function in (special.round, special.gammasgn):
        out = function(ad.tensor(x, requires_grad=True))
        assert out.requires_grad
        np.testing.assert_array_equal(out.data, function(x))
        np.testing.assert_array_equal(ad.grad(lambda t: function(t).sum())(x), 0.0)
    assert ad.grad(lambda t: np.round(t).sum())(x).tolist() == [0.0] * 4


def test_zetac_records_and_refuses_its_slope_as_zeta_does():
    x = ad.tensor([2.0, 3.0], requires_grad=True)
    out = special.zetac(x)
    np.testing.assert_array_equal(out.data, special.zetac(np.array([2.0, 3.0])))
    with pytest.raises(NotImplementedError, match="zetac: the derivative with respect to x"):
        out.sum().backward()


def test_edges_give_the_limits_without_numpy_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ad.grad(lambda t: special.ellipkm1(t).sum())(np.array([0.0]))[0] == -np.inf
        second = ad.grad(lambda t: ad.grad(lambda u: special.berp(u).sum())(t).sum())
        beip = ad.grad(lambda t: special.beip(t).sum())(np.array([0.0]))
        eb = ad.grad(lambda t: ad.grad(lambda u: special.airye(u)[2].sum())(t).sum())
        eb_negative = eb(np.array([-1.0]))
        berp_second = second(np.array([0.0]))
    assert beip[0] == 0.5 and berp_second[0] == 0.0
    # (for x < 0 the scale is 1: eBi'' = x Bi, with no sqrt's infinite slope at 0 in it)
    np.testing.assert_allclose(eb_negative, -special.airy(-1.0)[2], rtol=1e-14)


def test_scaled_bi_refuses_the_slope_of_complex_values_naming_the_output():
    z = ad.tensor(np.array([0.5 + 1.0j]), requires_grad=True)
    outputs = special.airye(z)
    np.testing.assert_array_equal(outputs[2].data, special.airye(z.data)[2])
    for index, name in ((2, "ebi"), (3, "ebip")):
        with pytest.raises(NotImplementedError, match=f"output {name} for complex z"):
            special.airye(z)[index].real.sum().backward()


def test_airy_values_agree_with_torch():
    # (torch.special.airy_ai has no gradient, and is about 1e-8 from SciPy's at x = -3)
    torch = pytest.importorskip("torch")
    x = np.array([-3.0, 0.0, 1.7])
    ai = special.airy(ad.tensor(x, requires_grad=True))[0]
    np.testing.assert_allclose(ai.data, torch.special.airy_ai(torch.tensor(x)).numpy(),
                               rtol=1e-7)


HANKEL = {
    "hankel1": lambda v, x: mpmath.hankel1(v, x),
    "hankel2": lambda v, x: mpmath.hankel2(v, x),
    "hankel1e": lambda v, x: mpmath.hankel1(v, x) * mpmath.exp(-1j * x),
    "hankel2e": lambda v, x: mpmath.hankel2(v, x) * mpmath.exp(1j * x),
    "jve": lambda v, x: mpmath.besselj(v, x),
    "yve": lambda v, x: mpmath.bessely(v, x),
}


@pytest.mark.parametrize("name", sorted(HANKEL))
def test_cylinder_functions_have_mpmaths_slopes_in_x_to_second_order(name):
    function, exact = getattr(special, name), HANKEL[name]
    x = np.array([0.4, 1.7, 6.0])
    with mpmath.workdps(30):
        first = np.array([complex(mpmath.diff(lambda u: exact(1.3, u), mpmath.mpf(p)))
                          for p in x])
        second = np.array([complex(mpmath.diff(lambda u: exact(1.3, u), mpmath.mpf(p), 2))
                           for p in x])
    for part in ("real", "imag"):
        def loss(t, part=part):
            return getattr(function(1.3, t), part)
        grad = ad.grad(lambda t: loss(t).sum())(x)
        grad2 = ad.grad(lambda t: ad.grad(lambda u: loss(u).sum())(t).sum())(x)
        np.testing.assert_allclose(grad, getattr(first, part), rtol=1e-9, atol=1e-13)
        np.testing.assert_allclose(grad2, getattr(second, part), rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("name", ["hankel1", "hankel2", "hankel1e", "hankel2e"])
def test_hankel_functions_of_complex_x_give_the_conjugated_derivative(name):
    points = [0.7 + 0.4j, -1.5 + 2.0j]
    with mpmath.workdps(30):
        derivative = [complex(mpmath.diff(lambda u: HANKEL[name](1.3, u), mpmath.mpc(p)))
                      for p in points]
    grad = _complex_grad(lambda t: getattr(special, name)(1.3, t), points)
    np.testing.assert_allclose(grad, np.conj(derivative), rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("name", ["hankel1", "hankel2e", "jve", "yve"])
def test_the_order_requiring_grad_is_refused_naming_the_function(name):
    v = ad.tensor([1.5], requires_grad=True)
    with pytest.raises(NotImplementedError, match=f"{name}: the derivative with respect to v"):
        getattr(special, name)(v, np.array([2.0])).real.sum().backward()


@pytest.mark.parametrize("name", ["jve", "yve"])
def test_scaled_bessel_of_complex_x_refuses_its_slope_by_name(name):
    z = ad.tensor(np.array([0.5 + 1.0j]), requires_grad=True)
    out = getattr(special, name)(1.0, z)
    np.testing.assert_array_equal(out.data, getattr(special, name)(1.0, z.data))
    with pytest.raises(NotImplementedError, match=f"{name}: the derivative with respect to "
                                                  "complex x"):
        out.real.sum().backward()


def _gegenbauer(n, a, x):
    return mpmath.gegenbauer(n, a, x)


def _laguerre(n, a, x):
    """``L_n^a(x)`` by its sum (mpmath's hypergeometric one fails to converge where a
    derivative is exactly 0)."""
    return mpmath.fsum(mpmath.binomial(n + a, n - k) * (-x) ** k / mpmath.factorial(k)
                       for k in range(n + 1))


POLYNOMIALS = {
    "eval_legendre": ((), lambda n, x: mpmath.legendre(n, x)),
    "eval_chebyt": ((), lambda n, x: mpmath.chebyt(n, x)),
    "eval_chebyu": ((), lambda n, x: mpmath.chebyu(n, x)),
    "eval_chebyc": ((), lambda n, x: 2 * mpmath.chebyt(n, x / 2)),
    "eval_chebys": ((), lambda n, x: mpmath.chebyu(n, x / 2)),
    "eval_hermite": ((), lambda n, x: mpmath.hermite(n, x)),
    "eval_hermitenorm": ((), lambda n, x: mpmath.hermite(n, x / mpmath.sqrt(2))
                         * mpmath.mpf(2) ** (-mpmath.mpf(n) / 2)),
    "eval_laguerre": ((), lambda n, x: _laguerre(n, 0, x)),
    "eval_genlaguerre": ((0.7,), _laguerre),
    "eval_gegenbauer": ((0.7,), _gegenbauer),
    "eval_jacobi": ((0.6, 1.3), lambda n, a, b, x: mpmath.jacobi(n, a, b, x)),
    "eval_sh_legendre": ((), lambda n, x: mpmath.legendre(n, 2 * x - 1)),
    "eval_sh_chebyt": ((), lambda n, x: mpmath.chebyt(n, 2 * x - 1)),
    "eval_sh_chebyu": ((), lambda n, x: mpmath.chebyu(n, 2 * x - 1)),
    "eval_sh_jacobi": ((2.5, 1.3), lambda n, p, q, x: mpmath.jacobi(n, p - q, q - 1, 2 * x - 1)
                       / mpmath.binomial(2 * n + p - 1, n)),
}


@pytest.mark.parametrize("degree", [0, 1, 4])
@pytest.mark.parametrize("name", sorted(POLYNOMIALS))
def test_polynomials_have_mpmaths_slopes_in_x_to_second_order(name, degree):
    parameters, exact = POLYNOMIALS[name]
    function = getattr(special, name)
    points = [-0.8, 0.3, 0.95, 1.0]
    first, second = _grads(lambda t: function(degree, *parameters, t), points)
    expected_first, expected_second = _mp_derivatives(
        lambda x: exact(degree, *parameters, x), points)
    np.testing.assert_allclose(first, expected_first, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(second, expected_second, rtol=1e-8, atol=1e-11)


def test_non_integer_degrees_have_the_same_identities():
    # (SciPy's hypergeometric definitions for a degree that is not an integer)
    points = [-0.5, 0.2, 0.7]
    for name, exact in (("eval_legendre", lambda x: mpmath.legendre(2.5, x)),
                        ("eval_chebyt", lambda x: mpmath.chebyt(2.5, x)),
                        ("eval_gegenbauer", lambda x: mpmath.gegenbauer(2.5, 0.7, x))):
        parameters = (0.7,) if name == "eval_gegenbauer" else ()
        first, second = _grads(lambda t, f=getattr(special, name), p=parameters: f(2.5, *p, t),
                               points)
        expected_first, expected_second = _mp_derivatives(exact, points)
        np.testing.assert_allclose(first, expected_first, rtol=1e-9)
        np.testing.assert_allclose(second, expected_second, rtol=1e-8)


@pytest.mark.parametrize("name, arguments, index, refused", [
    ("eval_legendre", (2.0, 0.3), 0, "n"),
    ("eval_genlaguerre", (2, 0.5, 0.3), 1, "alpha"),
    ("eval_jacobi", (2, 0.5, 1.5, 0.3), 2, "beta"),
    ("eval_sh_jacobi", (2, 2.5, 1.5, 0.3), 2, "q"),
])
def test_the_degree_and_parameters_refuse_a_slope_by_name(name, arguments, index, refused):
    inputs = [ad.tensor(a, requires_grad=True) if i == index else a
              for i, a in enumerate(arguments)]
    out = getattr(special, name)(*inputs)
    assert out.requires_grad
    with pytest.raises(NotImplementedError,
                       match=f"{name}: the derivative with respect to {refused} "):
        out.backward()


@pytest.mark.parametrize("name, exact", [("ellipkinc", mpmath.ellipf),
                                         ("ellipeinc", mpmath.ellipe)])
def test_incomplete_elliptic_integrals_have_mpmaths_slopes(name, exact):
    function = getattr(special, name)
    phi = [-4.0, -0.9, 0.3, 1.2, 2.5, 7.0]
    for m in (0.0, 0.4, -2.0, 0.999):
        first, second = _grads(lambda t, m=m: function(t, m), phi)
        expected_first, expected_second = _mp_derivatives(lambda p, m=m: exact(p, m), phi)
        np.testing.assert_allclose(first, expected_first, rtol=1e-10)
        np.testing.assert_allclose(second, expected_second, rtol=1e-9, atol=1e-13)
        in_m = ad.grad(lambda u: function(np.array(phi), u).sum())(np.full(len(phi), m))
        with mpmath.workdps(30):
            expected = [float(mpmath.diff(lambda mm, p=p: exact(p, mm), m)) for p in phi]
        np.testing.assert_allclose(in_m, expected, rtol=1e-9, atol=1e-13)


CARLSON = {"elliprf": (mpmath.elliprf, 3), "elliprg": (mpmath.elliprg, 3),
           "elliprc": (mpmath.elliprc, 2)}


@pytest.mark.parametrize("name", sorted(CARLSON))
def test_carlson_integrals_have_mpmaths_slopes_in_each_argument(name):
    exact, count = CARLSON[name]
    points = np.array([0.7, 1.3, 2.1][:count])
    function = getattr(special, name)
    for i in range(count):
        def loss(t, i=i):
            args = [ad.tensor(p) for p in points]
            args[i] = t
            return function(*args).sum()
        grad = ad.grad(loss)(points[i:i + 1].copy())

        def moved(u, i=i):
            args = [mpmath.mpf(p) for p in points]
            args[i] = u
            return exact(*args)
        with mpmath.workdps(30):
            expected = float(mpmath.diff(moved, mpmath.mpf(points[i])))
        np.testing.assert_allclose(grad, [expected], rtol=1e-10)


def test_carlson_g_has_its_finite_slope_where_an_argument_is_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grad = ad.grad(lambda t: special.elliprg(t, 0.5, 2.0).sum())(np.array([0.0]))
    np.testing.assert_allclose(grad, special.elliprf(0.0, 0.5, 2.0) / 4, rtol=1e-14)


def test_carlsons_d_and_j_record_with_slopes_and_r_f_has_a_second_derivative():
    # (their slopes, and second derivatives against mpmath: test_left_twentyseventh_carlson)
    for name, arguments in (("elliprd", (1.0, 2.0)), ("elliprj", (1.0, 2.0, 3.0))):
        x = ad.tensor([0.5], requires_grad=True)
        out = getattr(special, name)(x, *arguments)
        out.sum().backward()
        assert np.all(np.isfinite(x.grad)) and np.all(x.grad < 0)
    second = ad.grad(lambda t: ad.grad(lambda u: special.elliprf(u, 1.0, 2.0).sum())(t).sum())(
        np.array([0.5]))
    assert np.all(second > 0)           # (R_F is convex in each argument)


@pytest.mark.parametrize("index, kind", [(0, "sn"), (1, "cn"), (2, "dn")])
def test_jacobi_elliptic_functions_have_mpmaths_slopes_in_u(index, kind):
    u = [-2.0, 0.0, 0.7, 3.5]
    for m in (0.0, 0.3, 0.9):
        first, second = _grads(lambda t, m=m: special.ellipj(t, m)[index], u)
        expected_first, expected_second = _mp_derivatives(
            lambda x, m=m: mpmath.ellipfun(kind, x, m=m), u)
        np.testing.assert_allclose(first, expected_first, rtol=1e-9, atol=1e-13)
        np.testing.assert_allclose(second, expected_second, rtol=1e-8, atol=1e-12)


def test_jacobi_amplitude_has_slope_dn_and_m_is_refused_by_name():
    u = np.array([-1.0, 0.5, 2.0])
    grad = ad.grad(lambda t: special.ellipj(t, 0.4)[3].sum())(u)
    np.testing.assert_allclose(grad, special.ellipj(u, 0.4)[2], rtol=1e-14)
    outputs = special.ellipj(np.array([0.5]), ad.tensor([0.4], requires_grad=True))
    assert len(outputs) == 4 and all(out.requires_grad for out in outputs)
    with pytest.raises(NotImplementedError, match="ellipj: the derivative with respect to m"):
        outputs[0].sum().backward()


def test_voigt_profile_at_the_delta_has_nan_slopes_quietly_and_finite_ones_beside_it():
    # sigma = gamma = 0 is a Dirac delta (SciPy: inf at x = 0, 0 elsewhere): at x = 0 the
    # slopes are undefined (NaN); at x != 0 the gamma slope is the Lorentzian's 1/(pi x^2)
    points = np.array([0.0, 1.0, -2.0])
    zeros = np.zeros(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        in_x = ad.grad(lambda t: special.voigt_profile(t, 0.0, 0.0).sum())(points)
        in_sigma = ad.grad(lambda t: special.voigt_profile(points, t, 0.0).sum())(zeros)
        in_gamma = ad.grad(lambda t: special.voigt_profile(points, 0.0, t).sum())(zeros)
    assert np.isnan(in_x[0]) and np.isnan(in_sigma[0]) and np.isnan(in_gamma[0])
    np.testing.assert_allclose(in_x[1:], 0.0, atol=1e-15)
    np.testing.assert_array_equal(in_sigma[1:], 0.0)
    np.testing.assert_allclose(in_gamma[1:], 1 / (np.pi * points[1:] ** 2), rtol=1e-14)


@pytest.mark.parametrize("m, v", [(0, 2.5), (1, 3.0), (2, 4.5), (-1, 2.0), (0, 3.0)])
def test_lpmv_has_mpmaths_slopes_in_x_and_the_limits_at_the_ends(m, v):
    inside = [-0.8, 0.3, 0.95]
    first, second = _grads(lambda t: special.lpmv(m, v, t), inside)
    expected_first, expected_second = _mp_derivatives(
        lambda x: mpmath.legenp(v, m, x, type=2), inside)
    np.testing.assert_allclose(first, expected_first, rtol=1e-9)
    np.testing.assert_allclose(second, expected_second, rtol=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ends_first, ends_second = _grads(lambda t: special.lpmv(m, v, t), [1.0, -1.0])
    if m == 0:       # P_v'(1) = v (v + 1) / 2, P_v''(1) = (v - 1) v (v + 1) (v + 2) / 8
        assert ends_first[0] == v * (v + 1) / 2
        np.testing.assert_allclose(ends_second[0], (v - 1) * v * (v + 1) * (v + 2) / 8)
    else:            # (infinite, 0 or one-sided by m: NaN, and so is its own slope)
        assert np.isnan(ends_first).all() and np.isnan(ends_second).all()
    if m == 0 and v == 3.0:
        assert ends_first[1] == 6.0 and ends_second[1] == -15.0
    elif m == 0:     # (P_v is infinite at x = -1 for v not an integer)
        assert np.isnan(ends_first[1])


def test_lpmv_refuses_the_order_and_degree_by_name():
    for index, name in ((0, "m"), (1, "v")):
        arguments = [0.0, 2.0, 0.3]
        arguments[index] = ad.tensor(arguments[index], requires_grad=True)
        with pytest.raises(NotImplementedError, match=f"lpmv: the derivative with respect "
                                                      f"to {name} "):
            special.lpmv(*arguments).backward()


@pytest.mark.parametrize("name, exact", [
    ("pbdv", lambda v, x: mpmath.pcfd(v, x)),
    ("pbwa", lambda a, x: mpmath.pcfw(a, x)),
])
def test_parabolic_cylinder_functions_have_mpmaths_slopes(name, exact):
    function = getattr(special, name)
    points = [-1.2, 0.0, 2.0] if name == "pbdv" else [-1.2, 0.4]    # (mpmath's W is slow)
    for index in range(2):
        first, second = _grads(lambda t, i=index: function(0.7, t)[i], points)
        with mpmath.workdps(30):
            expected_first = [float(mpmath.diff(lambda u: exact(0.7, u), p, index + 1))
                              for p in points]
            expected_second = [float(mpmath.diff(lambda u: exact(0.7, u), p, index + 2))
                               for p in points]
        # (SciPy's pbwa is accurate to about 1e-9)
        rtol = 1e-7 if name == "pbwa" else 1e-9
        np.testing.assert_allclose(first, expected_first, rtol=rtol, atol=1e-10)
        np.testing.assert_allclose(second, expected_second, rtol=rtol, atol=1e-9)
    with pytest.raises(NotImplementedError, match=f"{name}: the derivative with respect to"):
        function(ad.tensor(0.7, requires_grad=True), 0.3)[0].backward()


def _wright(a, b, x):
    return mpmath.nsum(lambda k: x ** k / (mpmath.factorial(k) * mpmath.gamma(a * k + b)),
                       [0, mpmath.inf])


@pytest.mark.parametrize("name, exact", [
    ("hyperu", mpmath.hyperu),
    ("wright_bessel", _wright),
    ("log_wright_bessel", lambda a, b, x: mpmath.log(_wright(a, b, x))),
])
def test_hyperu_and_wright_bessel_have_mpmaths_slopes_in_x(name, exact):
    function = getattr(special, name)
    points = [0.3, 1.5, 3.0]
    first, second = _grads(lambda t: function(0.7, 1.3, t), points)
    expected_first, expected_second = _mp_derivatives(lambda x: exact(0.7, 1.3, x), points)
    np.testing.assert_allclose(first, expected_first, rtol=1e-9)
    np.testing.assert_allclose(second, expected_second, rtol=1e-8)
    with pytest.raises(NotImplementedError, match=f"{name}: the derivative with respect to b"):
        function(0.7, ad.tensor(1.3, requires_grad=True), 0.5).backward()


def test_carlson_c_of_negative_y_has_the_principal_values_slopes():
    # (SciPy's R_C(x, y < 0) is the Cauchy principal value, mpmath's elliprc too)
    for x, y in ((1.0, -0.5), (0.3, -2.0)):
        in_x = ad.grad(lambda t: special.elliprc(t, y).sum())(np.array([x]))
        in_y = ad.grad(lambda t: special.elliprc(x, t).sum())(np.array([y]))
        with mpmath.workdps(30):
            expected_x = float(mpmath.diff(lambda u: mpmath.re(mpmath.elliprc(u, y, pv=True)), x))
            expected_y = float(mpmath.diff(lambda u: mpmath.re(mpmath.elliprc(x, u, pv=True)), y))
        np.testing.assert_allclose(in_x, [expected_x], rtol=1e-9)
        np.testing.assert_allclose(in_y, [expected_y], rtol=1e-9)
