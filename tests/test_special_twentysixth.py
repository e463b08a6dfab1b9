"""SciPy's Mathieu functions, spheroidal wave functions and modified Fresnel integrals on
Tensors: slopes against closed forms and mpmath, the unit of x (degrees for mathieu_cem
and mathieu_sem), and the slopes refused by name (the parameters, and the outputs whose
SciPy values do not satisfy their equation)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autodiff as ad

special = pytest.importorskip("scipy.special")
mpmath = pytest.importorskip("mpmath")


def _grads(function, points):
    x = np.array(points, dtype=float)
    first = ad.grad(lambda t: function(t).sum())(x.copy())
    second = ad.grad(lambda t: ad.grad(lambda u: function(u).sum())(t).sum())(x.copy())
    return first, second


def _central(function, points, h=1e-5):
    x = np.array(points, dtype=float)
    return (function(x + h) - function(x - h)) / (2 * h)


# Mathieu functions

def test_mathieu_cem_and_sem_at_q_zero_are_cosines_and_sines_of_degrees():
    degrees = [-100.0, 0.0, 20.0, 75.0]
    radians = np.radians(degrees)
    per_degree = math.pi / 180
    for name, m, exact, slope, curvature in (
            ("mathieu_cem", 2, np.cos(2 * radians), -2 * np.sin(2 * radians),
             -4 * np.cos(2 * radians)),
            ("mathieu_sem", 3, np.sin(3 * radians), 3 * np.cos(3 * radians),
             -9 * np.sin(3 * radians))):
        function = getattr(special, name)
        np.testing.assert_allclose(function(m, 0.0, np.array(degrees))[0], exact, atol=1e-14)
        first, second = _grads(lambda t, f=function, m=m: f(m, 0.0, t)[0], degrees)
        np.testing.assert_allclose(first, slope * per_degree, atol=1e-13)
        np.testing.assert_allclose(second, curvature * per_degree ** 2, atol=1e-13)
        first, second = _grads(lambda t, f=function, m=m: f(m, 0.0, t)[1], degrees)
        np.testing.assert_allclose(first, curvature * per_degree, atol=1e-13)


@pytest.mark.parametrize("name, m, q", [("mathieu_cem", 0, 2.5), ("mathieu_cem", 3, -1.2),
                                        ("mathieu_sem", 1, 0.7), ("mathieu_sem", 4, 6.0)])
def test_the_derivative_outputs_slope_is_mathieus_equation_in_degrees(name, m, q):
    function = getattr(special, name)
    degrees = [-150.0, -10.0, 33.0, 90.0, 171.0]
    first, second = _grads(lambda t: function(m, q, t)[1], degrees)
    np.testing.assert_allclose(first, _central(lambda x: function(m, q, x)[1], degrees),
                               rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(second, _central(lambda x: _grads(
        lambda t: function(m, q, t)[1], x)[0], degrees), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["mathieu_modcem1", "mathieu_modcem2", "mathieu_modsem1",
                                  "mathieu_modsem2"])
def test_modified_mathieu_functions_take_radians(name):
    function = getattr(special, name)
    m = 1 if "sem" in name else 0
    points = [0.2, 0.9, 1.6]
    for index in range(2):
        first, _ = _grads(lambda t, i=index: function(m, 2.0, t)[i], points)
        np.testing.assert_allclose(first, _central(lambda x, i=index: function(m, 2.0, x)[i],
                                                   points), rtol=1e-7, atol=1e-9)
    first, _ = _grads(lambda t: function(m, 2.0, t)[0], points)
    np.testing.assert_array_equal(first, function(m, 2.0, np.array(points))[1])


@pytest.mark.parametrize("name, arguments", [
    ("mathieu_a", (2.0, 1.0)), ("mathieu_b", (2.0, 1.0)), ("mathieu_cem", (2.0, 1.0, 30.0)),
    ("mathieu_modsem2", (2.0, 1.0, 0.5))])
def test_mathieu_orders_and_parameters_are_refused_by_name(name, arguments):
    for index, argument in ((0, "m"), (1, "q")):
        inputs = list(arguments)
        inputs[index] = ad.tensor(inputs[index], requires_grad=True)
        result = getattr(special, name)(*inputs)
        value = result[0] if isinstance(result, tuple) else result
        with pytest.raises(NotImplementedError,
                           match=f"^{name}: the derivative with respect to {argument} "):
            value.backward()


def test_mathieu_characteristic_values_record_scipys_values():
    q = ad.tensor([0.0, 1.5, -2.0])
    np.testing.assert_array_equal(special.mathieu_a(3, q).data,
                                  special.mathieu_a(3, q.data))
    np.testing.assert_allclose(special.mathieu_b(2, ad.tensor(0.0)).data, 4.0)


# Spheroidal wave functions

def test_spheroidal_angular_functions_at_c_zero_have_legendres_slopes():
    points = [-0.6, 0.1, 0.7]
    m, n = 1, 3
    for name in ("pro_ang1", "obl_ang1"):
        function = getattr(special, name)
        values = function(m, n, 0.0, np.array(points))[0]
        with mpmath.workdps(30):
            exact = [mpmath.legenp(n, m, p) for p in points]
            sign = np.sign(values[0] / float(exact[0]))
            np.testing.assert_allclose(values, sign * np.array(exact, dtype=float),
                                       rtol=1e-12)
            expected = [[sign * float(mpmath.diff(lambda u: mpmath.legenp(n, m, u), p, k))
                         for p in points] for k in (1, 2, 3)]
        for index in range(2):
            first, second = _grads(lambda t, i=index: function(m, n, 0.0, t)[i], points)
            np.testing.assert_allclose(first, expected[index], rtol=1e-10)
            np.testing.assert_allclose(second, expected[index + 1], rtol=1e-9)


@pytest.mark.parametrize("family, points", [
    ("pro_ang1", [-0.8, 0.0, 0.55]), ("pro_rad1", [1.2, 2.0, 3.5]),
    ("obl_ang1", [-0.8, 0.0, 0.55]), ("obl_rad1", [0.05, 0.8, 2.5])])
@pytest.mark.parametrize("m, n, c", [(0, 0, 0.5), (1, 2, 1.5), (2, 4, 5.0)])
def test_spheroidal_second_slopes_match_scipys_derivative_output(family, points, m, n, c):
    function = getattr(special, family)
    cv = getattr(special, f"{family[:3]}_cv")(m, n, c)
    with_cv = getattr(special, f"{family}_cv")
    for call in (lambda t: function(m, n, c, t)[1], lambda t: with_cv(m, n, c, cv, t)[1]):
        first, _ = _grads(call, points)
        expected = _central(lambda x: function(m, n, c, x)[1], points, h=1e-6)
        np.testing.assert_allclose(first, expected, rtol=1e-6, atol=1e-7)


def test_a_cv_that_is_not_the_characteristic_value_is_refused_for_the_second_slope():
    x = ad.tensor([0.3, 0.5], requires_grad=True)
    value, derivative = special.pro_ang1_cv(1, 2, 1.5, 5.0, x)
    value.sum().backward()            # (SciPy's derivative output: the slope for any cv)
    np.testing.assert_array_equal(x.grad, derivative.data)
    with pytest.raises(ValueError, match=r"^pro_ang1_cv: .* cv = 5\.0 there, where pro_cv "
                                         r"gives 6\.94"):
        derivative.sum().backward()


def test_pro_rad2_and_obl_rad2_refuse_the_slopes_scipys_values_do_not_have():
    x = ad.tensor([1.5], requires_grad=True)
    value, derivative = special.pro_rad2(1, 2, 1.5, x)
    value.backward()
    np.testing.assert_array_equal(x.grad, derivative.data)
    with pytest.raises(NotImplementedError, match=r"^pro_rad2: the derivative of output 1 "
                                                  r".*does not satisfy the spheroidal"):
        derivative.backward()
    for index in range(2):
        with pytest.raises(NotImplementedError, match=f"^obl_rad2: the derivative of output "
                                                      f"{index} .*is not the slope"):
            special.obl_rad2(1, 2, 1.5, ad.tensor([1.0], requires_grad=True))[index].backward()


@pytest.mark.parametrize("argument, index", [("m", 0), ("n", 1), ("c", 2), ("cv", 3)])
def test_spheroidal_parameters_are_refused_by_name(argument, index):
    inputs = [1.0, 2.0, 1.5, special.pro_cv(1, 2, 1.5), 0.3]
    inputs[index] = ad.tensor(inputs[index], requires_grad=True)
    with pytest.raises(NotImplementedError,
                       match=f"^pro_ang1_cv: the derivative with respect to {argument} "):
        special.pro_ang1_cv(*inputs)[0].backward()
    if argument != "cv":
        with pytest.raises(NotImplementedError,
                           match=f"^obl_cv: the derivative with respect to {argument} "):
            special.obl_cv(*inputs[:3]).backward()


# Modified Fresnel integrals

def _modified_fresnel(sign, x):
    """mpmath's ``F`` and ``K`` of ``modfresnelp`` (sign 1) or ``modfresnelm`` (-1)."""
    total = mpmath.sqrt(mpmath.pi) / 2 * mpmath.expj(sign * mpmath.pi / 4)
    f = total - mpmath.quad(lambda t: mpmath.expj(sign * t * t), [0, x])
    return f, f * mpmath.expj(-sign * (x * x + mpmath.pi / 4)) / mpmath.sqrt(mpmath.pi)


@pytest.mark.parametrize("name, sign", [("modfresnelp", 1), ("modfresnelm", -1)])
def test_modified_fresnel_slopes_match_mpmath(name, sign):
    function = getattr(special, name)
    for index, points in ((0, [0.0, 0.4, 1.7]), (1, [-1.5, -0.2, 0.0, 0.9, 2.5])):
        for part in ("real", "imag"):
            first, second = _grads(lambda t, i=index, p=part: getattr(function(t)[i], p),
                                   points)
            with mpmath.workdps(25):
                def exact(u, i=index, p=part):
                    return getattr(_modified_fresnel(sign, u)[i], p)
                expected = [[float(mpmath.diff(exact, p, k)) for p in points] for k in (1, 2)]
            np.testing.assert_allclose(first, expected[0], rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(second, expected[1], rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("name", ["modfresnelp", "modfresnelm"])
def test_modified_fresnel_f_refuses_negative_x_where_scipy_is_not_the_integral(name):
    with mpmath.workdps(20):
        exact = _modified_fresnel(1 if name == "modfresnelp" else -1, -1.0)[0]
    value = getattr(special, name)(-1.0)[0]
    assert abs(value.imag - float(exact.imag)) > 1       # (SciPy's value, as reported)
    x = ad.tensor([0.5, -1.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match=f"^{name}: the derivative of output 0 "
                                                  f"with respect to x < 0 "):
        getattr(special, name)(x)[0].real.sum().backward()


@pytest.mark.parametrize("name, arguments", [
    ("mathieu_cem", (2, 1.0, 30.0)), ("mathieu_modsem1", (1, 1.0, 0.5)),
    ("pro_ang1", (1, 2, 1.5, 0.3)), ("obl_rad1", (1, 2, 1.5, 0.8))])
def test_float32_tensors_get_scipys_float64_values_rounded(name, arguments):
    # (SciPy's own float32 loops give NaN for the Mathieu functions, and do not return
    # for the spheroidal ones)
    x = ad.tensor(np.array([arguments[-1]], dtype=np.float32), requires_grad=True)
    value, derivative = getattr(special, name)(*arguments[:-1], x)
    expected = getattr(special, name)(*arguments[:-1], np.array([arguments[-1]]))
    assert value.dtype == derivative.dtype == np.float32
    np.testing.assert_allclose(value.data, expected[0], rtol=1e-6)
    derivative.sum().backward()
    assert x.grad.dtype == np.float32 and np.isfinite(x.grad).all()
