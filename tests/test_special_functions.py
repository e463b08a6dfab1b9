"""lgamma, digamma, polygamma, erfc, erfinv and xlogy: values against 50-digit ones,
edge values, PyTorch's conventions, gradients against HIPS autograd and central
differences, to the second order and beyond.

The reference values were computed with mpmath at 50 significant digits from the
exact float inputs (for the float32 tables, from the float32 values written out in
full), and are given to 17 significant digits.  polygamma at x < -100 came from the
reflection formula, evaluated in mpmath, which is slow there.
"""

import math

import autograd
import autograd.numpy as anp
import autograd.scipy.special as autograd_special
import numpy as np
import pytest

import autodiff as ad
from autodiff.gradcheck import gradcheck, gradgradcheck
from autodiff.kernels import special_math

LGAMMA = [
    (1e-300, 690.77552789821371), (1e-10, 23.025850929882735), (0.1, 2.2527126517342059),
    (0.5, 0.57236494292470009), (0.9, 0.066376239734742954),
    (0.9999999990686774, 5.3757397985785732e-10), (1.00000001, -5.7721565316885122e-9),
    (1.1, -0.049872441259839762), (1.25, -0.098271836421813161),
    (1.4616321449683622, -0.12148629053584961), (1.6, -0.11259176569675577),
    (1.9, -0.038984275923083362), (1.999999999, -4.2278436975733279e-10),
    (2.0000000000009095, 3.8452011276491287e-13), (2.5, 0.28468287047291916),
    (3.7, 1.4280723266653881), (9.99, 12.779315214350193), (10.5, 13.940625219403764),
    (42.4, 115.5264202833422), (171.6, 709.65735876305632), (100000.0, 1.0512877089736569e6),
    (1e+20, 4.5051701859880914e21), (1e+300, 6.8977552789821374e302),
    (-1e-300, 690.77552789821371), (-1e-08, 18.420680749724522), (-0.1, 2.3689613327287886),
    (-0.5, 1.2655121234846454), (-0.9, 2.3580731673920325), (-1.5, 0.86004701537648101),
    (-3.5, -1.309006684993042), (-10.3, -14.457515440024208), (-100.7, -365.61225576180533),
    (-10000000000.5, -2.2025850932220463e11),
]
LGAMMA_NEAR_NEGATIVE_ZEROS = [
    (-2.457, 3.7496305958099788e-5), (-2.5, -0.056243716497674051),
    (-2.75, 0.0044878975359557733), (-3.1435, 0.00062963288168868086),
    (-3.96, 0.10352240144277611),
]
DIGAMMA = [
    (1e-300, -9.9999999999999997e299), (1e-08, -1.0000000057721565e8),
    (0.25, -4.2274535333762654), (0.9, -0.75492694994705135), (1.0, -0.57721566490153286),
    (1.2, -0.28903989659218835), (1.4616321449683622, -9.2412655217294275e-17),
    (1.4616321449693623, 9.6766585941809665e-13), (1.4616321449674528, -8.8018519294290765e-13),
    (1.7, 0.20854787487349392), (2.0, 0.42278433509846714), (3.0, 0.92278433509846714),
    (5.5, 1.6110931485817511), (9.99, 2.2507003728312011), (10.0, 2.2517525890667211),
    (30.5, 3.4012436689616611), (1000000.0, 13.815510057964191), (1e+300, 690.77552789821371),
    (-0.5040830082644554, 7.2897639029768949e-17),
    (-0.5040830081644554, 8.9398000273698396e-10),
    (-0.5040840082644554, -8.9397993683540278e-6), (-1e-300, 9.9999999999999997e299),
    (-0.25, 2.9141391202135278), (-0.3, 2.1133097796353989), (-0.75, -2.8941202000429321),
    (-1.25, 3.7141391202135278), (-3.1, 10.952935080495615), (-10.9, -7.2348944535815246),
    (-100.2, 8.936181238479745), (-10000000000.25, 26.16744358360525),
]
POLYGAMMA_1 = [
    (1e-08, 1.0000000000000001e16), (0.5, 4.9348022005446793), (1.0, 1.6449340668482264),
    (1.5, 0.93480220054467931), (2.5, 0.49035775610023486), (10.0, 0.10516633568168575),
    (100000.0, 1.0000050000166667e-5), (10000000000.0, 1.00000000005e-10),
    (-0.3, 13.945160267805722), (-2.5, 9.5392466449891238), (-10.3, 14.986887065722638),
    (-150.3, 15.07278242736691),
]
POLYGAMMA_2 = [
    (1e-08, -1.9999999999999999e24), (0.5, -16.82879664423432), (1.0, -2.4041138063191886),
    (1.5, -0.82879664423432), (2.5, -0.2362040516417274), (10.0, -0.011049834970802067),
    (100000.0, -1.00001000005e-10), (10000000000.0, -1.0000000001e-20),
    (-0.3, 67.63908119988316), (-2.5, -0.1082040516417274), (-10.3, 68.828988611036968),
    (-150.3, 68.837499740873612),
]
POLYGAMMA_3 = [
    (1e-08, 5.9999999999999995e32), (0.5, 97.409091034002437), (1.0, 6.4939394022668291),
    (1.5, 1.4090910340024372), (2.5, 0.22390584881725205), (10.0, 0.0023199013042898684),
    (100000.0, 2.0000300002e-15), (10000000000.0, 2.0000000003e-30), (-0.3, 766.61989041916858),
    (-2.5, 194.74787621918762), (-10.3, 769.01933342439874), (-150.3, 769.02091375016815),
]
POLYGAMMA_5 = [
    (1e-08, 1.1999999999999998e50), (0.5, 7691.1135486024355), (1.0, 122.0811674381339),
    (1.5, 11.113548602435496), (2.5, 0.57856917856718348), (10.0, 0.00030594516211726821),
    (100000.0, 2.4000600006e-24), (10000000000.0, 2.4000000006e-49),
    (-0.3, 1.6563438185208589e5), (-2.5, 15382.140048026304), (-10.3, 1.6566017429175061e5),
    (-150.3, 1.6566017445332883e5),
]
ERFC = [
    (-5.0, 1.9999999999984625), (-1.0, 1.8427007929497149), (-1e-10, 1.0000000001128379),
    (0.0, 1.0), (1e-10, 0.99999999988716208), (0.5, 0.47950012218695346),
    (1.0, 0.15729920705028513), (2.0, 0.0046777349810472658), (5.0, 1.5374597944280349e-12),
    (10.0, 2.0884875837625448e-45), (15.0, 7.2129941724512067e-100),
    (26.0, 5.6631924088561428e-296),
]
ERFINV = [
    (1e-300, 8.8622692545275804e-301), (1e-10, 8.8622692545275805e-11),
    (0.1, 0.088855990494257692), (0.5, 0.47693627620446987), (-0.5, -0.47693627620446987),
    (0.9, 1.1630871536766742), (0.99, 1.8213863677184495), (0.999999, 3.4589107372754988),
    (0.999999999999, 5.0420318985726961), (0.9999999999999998, 5.8050186831934533),
    (-0.9999999999999999, -5.8635847487551679),
]
LGAMMA_32 = [
    (0.10000000149011612, 2.2527126362016008), (0.8999999761581421, 0.066376257733604591),
    (1.100000023841858, -0.049872451362944395), (2.200000047683716, 0.096947492744572988),
    (7.300000190734863, 7.1478928888174512), (100.5, 361.43554046777762),
    (-0.30000001192092896, 1.4648400256649878), (-4.599999904632568, -2.9250017235819787),
]
DIGAMMA_32 = [
    (0.10000000149011612, -10.423754789263685), (1.4616321325302124, -1.2036052549106669e-8),
    (1.461632251739502, 1.0331946336967871e-7), (3.299999952316284, 1.0348224722033545),
    (50.5, 3.912039670928392), (-0.504082977771759, 2.7259856236381176e-7),
    (-0.30000001192092896, 2.1133096133961387), (-7.599999904632568, 1.0717331451266067),
]
POLYGAMMA_2_32 = [
    (0.10000000149011612, -2001.8613679646548), (1.2999999523162842, -1.1984626291417065),
    (4.400000095367432, -0.064704314710684376), (60.5, -0.00027775849077907465),
    (-0.4000000059604645, 21.287166783304732), (-5.699999809265137, -68.863244912754208),
]
ERFC_32 = [
    (-2.0999999046325684, 1.9970205320356404), (0.30000001192092896, 0.67137322824728458),
    (1.7000000476837158, 0.016209538418930245), (4.400000095367432, 4.8917060641746485e-10),
    (9.100000381469727, 6.6968536558116885e-38),
]
ERFINV_32 = [
    (9.999999682655225e-21, 8.8622689732880962e-21), (0.30000001192092896, 0.27246272610552377),
    (-0.7699999809265137, -0.84878185362901917), (0.9990000128746033, 2.3267563267961548),
    (0.9999999403953552, 3.8325068569007109),
]


def _ulps(got, want, dtype=np.float64):
    """|got - want| in units of the dtype's spacing at each wanted value (normal
    values only: below the smallest normal float there are fewer digits)."""
    want = np.asarray(want, np.float64)
    normal = np.abs(want) >= np.finfo(dtype).tiny
    got = np.asarray(got, np.float64)[normal]
    spacing = np.spacing(np.abs(want[normal]).astype(dtype)).astype(np.float64)
    return np.abs(got - want[normal]) / spacing


def _polygamma(n):
    return lambda x: ad.polygamma(n, x)


FLOAT64_TABLES = {
    "lgamma": (ad.lgamma, LGAMMA), "digamma": (ad.digamma, DIGAMMA),
    "polygamma 1": (_polygamma(1), POLYGAMMA_1), "polygamma 2": (_polygamma(2), POLYGAMMA_2),
    "polygamma 3": (_polygamma(3), POLYGAMMA_3), "polygamma 5": (_polygamma(5), POLYGAMMA_5),
    "erfc": (ad.erfc, ERFC), "erfinv": (ad.erfinv, ERFINV),
}
FLOAT32_TABLES = {
    "lgamma": (ad.lgamma, LGAMMA_32), "digamma": (ad.digamma, DIGAMMA_32),
    "polygamma 2": (_polygamma(2), POLYGAMMA_2_32), "erfc": (ad.erfc, ERFC_32),
    "erfinv": (ad.erfinv, ERFINV_32),
}


@pytest.mark.parametrize("name", FLOAT64_TABLES)
def test_float64_values_within_four_ulp(name):
    function, table = FLOAT64_TABLES[name]
    x, want = (np.array(column) for column in zip(*table))
    got = function(ad.tensor(x)).data
    assert got.dtype == np.float64
    errors = _ulps(got, want)
    assert errors.max() <= 4, (name, x[np.argmax(errors)], errors.max())


@pytest.mark.parametrize("name", FLOAT32_TABLES)
def test_float32_values_within_one_ulp(name):
    # computed in float64 and rounded once
    function, table = FLOAT32_TABLES[name]
    x, want = (np.array(column) for column in zip(*table))
    got = function(ad.tensor(x.astype(np.float32))).data
    assert got.dtype == np.float32
    errors = _ulps(got, want, np.float32)
    assert errors.max() <= 1, (name, x[np.argmax(errors)], errors.max())


def test_lgamma_near_its_negative_zeros_is_accurate_in_absolute_terms():
    # log(pi / |x sin(pi x)|) - lgamma(-x) cancels there, as in SciPy: the error is a
    # few ulp of 1, not of the small result.
    x, want = (np.array(column) for column in zip(*LGAMMA_NEAR_NEGATIVE_ZEROS))
    got = ad.lgamma(x).data
    assert np.max(np.abs(got - want)) <= 4 * np.finfo(np.float64).eps


def test_hurwitz_zeta():
    zeta = special_math.hurwitz_zeta
    np.testing.assert_allclose(zeta(2, np.array([1.0, 0.5, 2.0])),
                               [math.pi ** 2 / 6, math.pi ** 2 / 2, math.pi ** 2 / 6 - 1],
                               rtol=4e-16)
    # zeta(3, -0.5) = (-0.5)**-3 + zeta(3, 0.5) = -8 + 7 zeta(3); a pole at 0, -1, ...
    np.testing.assert_allclose(zeta(3, np.array(-0.5)), -8 + 7 * 1.2020569031595942854,
                               rtol=1e-14)
    assert np.all(zeta(4, np.array([0.0, -3.0, -np.inf])) == np.inf)
    assert zeta(2, np.array(np.inf)) == 0 and np.isnan(zeta(2, np.array(np.nan)))
    # far out: the asymptotic series (above 1e8) and the reflection (below -100)
    np.testing.assert_allclose(zeta(2, np.array([1e12, 1e300])), [1.0000000000005e-12, 1e-300],
                               rtol=4e-16)
    with pytest.raises(ValueError, match="s must be an integer >= 2"):
        zeta(1, np.array(2.0))


def test_edge_values():
    inf, nan = np.inf, np.nan
    poles = np.array([0.0, -0.0, -1.0, -2.0, -1e20, inf, -inf])
    assert np.all(ad.lgamma(poles).data == inf) and np.isnan(ad.lgamma(nan).data)
    np.testing.assert_array_equal(
        ad.digamma(np.array([0.0, -0.0, -1.0, -3.0, inf, -inf, nan])).data,
        [-inf, inf, nan, nan, inf, nan, nan])
    # polygamma: the limit from the right at the poles (+inf for odd n), 0 at +inf
    np.testing.assert_array_equal(ad.polygamma(1, poles).data, [inf] * 5 + [0.0, inf])
    np.testing.assert_array_equal(ad.polygamma(2, poles).data, [-inf] * 5 + [-0.0, -inf])
    np.testing.assert_array_equal(ad.polygamma(0, np.array([1.0, 0.5])).data,
                                  ad.digamma(np.array([1.0, 0.5])).data)
    np.testing.assert_array_equal(ad.erfc(np.array([inf, -inf, nan, 27.3])).data,
                                  [0.0, 2.0, nan, 0.0])
    np.testing.assert_array_equal(ad.erfinv(np.array([1.0, -1.0, 1.5, -1.0001, nan])).data,
                                  [inf, -inf, nan, nan, nan])
    assert np.signbit(ad.erfinv(-0.0).data) and not np.signbit(ad.erfinv(0.0).data)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_xlogy_values_as_pytorch():
    inf, nan = np.inf, np.nan
    x = np.array([0.0, 0.0, 0.0, 0.0, -0.0, 2.0, 2.0, 3.0, nan, 1.0])
    y = np.array([0.0, inf, nan, -1.0, 2.0, 0.0, -1.0, inf, 1.0, np.e])
    out = ad.xlogy(x, y).data
    np.testing.assert_array_equal(out, [0.0, 0.0, nan, 0.0, 0.0, -inf, nan, inf, nan, 1.0])
    assert not np.signbit(out[4])                       # -0 * log(2) gives 0, not -0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_xlogy_gradients_as_pytorch():
    # PyTorch 2: d/dx = xlogy(g, y) with 0 where x == 0 and y <= 0; d/dy = g * x / y
    x = ad.tensor([0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 2.0, 3.0, np.inf], requires_grad=True)
    y = ad.tensor([0.0, np.inf, np.nan, -1.0, 2.0, 0.0, -1.0, np.inf, 0.0], requires_grad=True)
    ad.xlogy(x, y).sum().backward()
    np.testing.assert_array_equal(
        x.grad, [0.0, np.inf, np.nan, 0.0, math.log(2.0), -np.inf, np.nan, np.inf, -np.inf])
    np.testing.assert_array_equal(
        y.grad, [np.nan, 0.0, np.nan, -0.0, 0.0, np.inf, -2.0, 0.0, np.inf])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_xlogy_forward_mode_at_zero_is_pytorchs():
    # x's tangent contributes 0 where x == 0 and y <= 0 (log(y) there is -inf or NaN)
    x, y = np.array([0.0, 0.0, 2.0]), np.array([0.0, 3.0, 0.5])
    _, tangent = ad.jvp(lambda a: ad.xlogy(a, y), (x,), (np.ones(3),))
    np.testing.assert_array_equal(tangent, [0.0, math.log(3.0), math.log(0.5)])
    _, tangent = ad.jvp(lambda b: ad.xlogy(x, b), (y,), (np.ones(3),))
    np.testing.assert_array_equal(tangent, [np.nan, 0.0, 4.0])


def test_xlogy_of_zero_y_is_minus_inf_without_a_warning():
    # As scipy.special.xlogy and torch.xlogy: -inf (and an infinite slope in y), silently;
    # a negative y, whose log is not real, still warns.
    import warnings
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = ad.tensor([0.0, 0.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ad.xlogy(x, y)
        np.testing.assert_array_equal(out.data, [-np.inf, -np.inf])
        out.sum().backward()
        np.testing.assert_array_equal(x.grad, [-np.inf, -np.inf])
        np.testing.assert_array_equal(y.grad, [np.inf, np.inf])
        assert ad.xlogy(0.0, ad.tensor(0.0)).item() == 0.0
        assert ad.distributions.Poisson(0.0).log_prob(1.0).item() == -np.inf
        assert ad.distributions.Beta(2.0, 3.0).log_prob(0.0).item() == -np.inf
    with pytest.warns(RuntimeWarning, match="invalid value"):
        ad.xlogy(ad.tensor(1.0), ad.tensor(-1.0))


def test_dtypes_shapes_and_broadcasting():
    for op in (ad.lgamma, ad.digamma, ad.erfc, ad.erfinv, _polygamma(3)):
        for dtype in (np.float32, np.float64):
            x = ad.tensor(np.array([[0.25], [0.5]], dtype), requires_grad=True)
            out = op(x)
            assert out.dtype == dtype and out.shape == (2, 1)
            out.sum().backward()
            assert x.grad.dtype == dtype
        scalar = op(ad.tensor(0.5))
        assert scalar.shape == () and scalar.dtype == np.float64
        assert op(np.array([1, 2])).dtype == np.float64        # integers: float64
    out = ad.xlogy(ad.tensor(np.ones((2, 1), np.float32)), ad.tensor(np.full(3, 2.0, np.float32)))
    assert out.shape == (2, 3) and out.dtype == np.float32
    assert ad.xlogy(2.0, ad.tensor(3.0)).shape == ()


def test_polygamma_order_must_be_a_non_negative_integer():
    for n in (-1, 1.5, True):
        with pytest.raises(ValueError, match="polygamma: n must be an integer >= 0"):
            ad.polygamma(n, ad.tensor([1.0]))
    assert ad.polygamma(np.int64(1), ad.tensor(1.0)).data == pytest.approx(math.pi ** 2 / 6)


def test_names_in_ad_special_and_on_tensors():
    from autodiff import special
    assert special.gammaln is ad.lgamma and special.psi is ad.digamma is special.digamma
    assert special.erf is ad.erf and special.xlogy is ad.xlogy
    t = ad.tensor([0.5, 2.0])
    np.testing.assert_array_equal(t.polygamma(2).data, ad.polygamma(2, t).data)
    for name in ("lgamma", "digamma", "erfc", "erfinv"):
        np.testing.assert_array_equal(getattr(t * 0.25, name)().data,
                                      getattr(ad, name)(t * 0.25).data)
    np.testing.assert_array_equal(t.xlogy(t).data, ad.xlogy(t, t).data)


# ----- gradients -------------------------------------------------------------------

POINTS = np.array([0.3, 1.7, 4.2, -0.6, -2.3])
AUTOGRAD_FUNCTIONS = {
    "lgamma": (ad.lgamma, autograd_special.gammaln, POINTS),
    "digamma": (ad.digamma, autograd_special.digamma, POINTS),
    "polygamma 2": (_polygamma(2), lambda a: autograd_special.polygamma(2, a), POINTS),
    "erfc": (ad.erfc, autograd_special.erfc, np.array([-1.5, 0.2, 2.5])),
    "erfinv": (ad.erfinv, autograd_special.erfinv, np.array([-0.8, 0.1, 0.95])),
}


@pytest.mark.parametrize("name", AUTOGRAD_FUNCTIONS)
def test_values_and_two_derivatives_match_autograd(name):
    ours, theirs, x = AUTOGRAD_FUNCTIONS[name]

    def first(f, grad):
        return grad(lambda a: f(a).sum())

    t = ad.tensor(x, requires_grad=True)
    value = ours(t)
    (d1,) = ad.autograd.grad(value.sum(), [t], create_graph=True)
    (d2,) = ad.autograd.grad(d1.sum(), [t])
    np.testing.assert_allclose(value.data, theirs(x), rtol=1e-13)
    np.testing.assert_allclose(d1.data, first(theirs, autograd.grad)(x), rtol=1e-13)
    np.testing.assert_allclose(d2, autograd.grad(
        lambda a: anp.sum(first(theirs, autograd.grad)(a)))(x), rtol=1e-12)


@pytest.mark.parametrize("op", [ad.lgamma, ad.digamma, _polygamma(1), _polygamma(3), ad.erfc,
                                ad.erfinv], ids=["lgamma", "digamma", "polygamma 1",
                                                 "polygamma 3", "erfc", "erfinv"])
def test_gradcheck_and_gradgradcheck(op):
    x = np.array([0.35, 0.8, 2.1, -0.45]) if op is not ad.erfc else np.array([-1.2, 0.4, 2.0])
    if op is ad.erfinv:
        x = np.array([-0.7, 0.05, 0.6])
    assert gradcheck(op, [x]) and gradgradcheck(op, [x])


def test_xlogy_gradcheck_and_gradgradcheck():
    x, y = np.array([[0.0], [1.5], [-0.7]]), np.array([0.4, 2.5])
    assert gradcheck(ad.xlogy, [x, y]) and gradgradcheck(ad.xlogy, [x, y])


def test_third_and_fourth_derivatives_of_lgamma_are_polygamma():
    x = np.array([0.7, 3.3, -1.4])
    third = ad.grad(lambda a: ad.grad(lambda b: ad.grad(
        lambda c: ad.lgamma(c).sum())(b).sum())(a).sum())(x)
    np.testing.assert_allclose(third, special_math.polygamma(2, x), rtol=1e-15)
    fourth = ad.grad(lambda a: ad.grad(lambda b: ad.polygamma(1, b).sum())(a).sum())(x)
    np.testing.assert_allclose(fourth, special_math.polygamma(3, x), rtol=1e-15)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_erfinv_gradient_is_infinite_at_the_ends():
    x = ad.tensor([-1.0, 1.0, 0.0], requires_grad=True)
    ad.erfinv(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [np.inf, np.inf, math.sqrt(math.pi) / 2])


# ----- PyTorch ---------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_against_pytorch():
    torch = pytest.importorskip("torch")
    x = np.array([0.3, 1.7, 4.2, 30.5, -0.6, -2.3, 0.0, -0.0, -3.0, np.inf])
    for name in ("lgamma", "digamma"):
        ours = getattr(ad, name)(x).data
        theirs = getattr(torch, name)(torch.tensor(x)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-14, equal_nan=True)
    # torch's polygamma(1, .) (trigamma) is only good to about 1e-9 in float64, is
    # finite at the poles and NaN at -inf; for n >= 2 it is NaN at +inf (here: 0).
    finite = x[np.isfinite(x) & ((x > 0) | (x != np.floor(x)))]
    for n, rtol in ((1, 1e-8), (2, 1e-13), (3, 1e-13)):
        np.testing.assert_allclose(ad.polygamma(n, finite).data,
                                   torch.polygamma(n, torch.tensor(finite)).numpy(), rtol=rtol)
    e = np.array([-1.0, -0.999, -0.3, 0.0, 0.7, 1.0, 1.2])
    np.testing.assert_allclose(ad.erfinv(e).data, torch.erfinv(torch.tensor(e)).numpy(),
                               rtol=1e-14, equal_nan=True)
    c = np.array([-3.0, 0.5, 10.0, 26.0])
    np.testing.assert_allclose(ad.erfc(c).data, torch.erfc(torch.tensor(c)).numpy(), rtol=1e-14)
    # xlogy and both its gradients, special points included
    a = np.array([0.0, 0.0, 0.0, 0.0, 2.0, 2.0, 3.0, 1.5, -0.5])
    b = np.array([0.0, np.inf, -1.0, 2.0, 0.0, -1.0, np.inf, 0.25, 4.0])
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a, b))
    torch.xlogy(ta, tb).sum().backward()
    xa, xb = (ad.tensor(v, requires_grad=True) for v in (a, b))
    out = ad.xlogy(xa, xb)
    out.sum().backward()
    np.testing.assert_array_equal(out.data, torch.xlogy(torch.tensor(a), torch.tensor(b)).numpy())
    np.testing.assert_array_equal(xa.grad, ta.grad.numpy())
    np.testing.assert_array_equal(xb.grad, tb.grad.numpy())
    # gradients of the gamma family, to the second order
    p = np.array([0.3, 1.7, 4.2, -0.6, -2.3])
    tp = torch.tensor(p, requires_grad=True)
    (t1,) = torch.autograd.grad(torch.lgamma(tp).sum(), [tp], create_graph=True)
    (t2,) = torch.autograd.grad(torch.digamma(tp).sum(), [tp])
    xp = ad.tensor(p, requires_grad=True)
    (d1,) = ad.autograd.grad(ad.lgamma(xp).sum(), [xp], create_graph=True)
    np.testing.assert_allclose(d1.data, t1.detach().numpy(), rtol=1e-14)
    (d2,) = ad.autograd.grad(ad.digamma(xp).sum(), [xp])
    np.testing.assert_allclose(d2, t2.numpy(), rtol=1e-8)           # trigamma, as above
