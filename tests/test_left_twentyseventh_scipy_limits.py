"""Where SciPy's special functions stop being right, the ops say so: SciPy's modified
Mathieu functions of the second kind at q = 0 (a stand-in value, a derivative of 0) and
its ``itairy`` integral of Ai for 2.5 <= |x| <= 9.3; where SciPy's NaN marks the edge of
the domain (modified Mathieu with q < 0, ``obl_rad1`` with x < 0) the slope is NaN too."""

import warnings

import numpy as np
import pytest
from scipy import special

import autodiff as ad

mpmath = pytest.importorskip("mpmath")


@pytest.mark.parametrize("name, m", [("mathieu_modcem2", 0.0), ("mathieu_modsem2", 1.0)])
@pytest.mark.parametrize("output", [0, 1])
def test_second_kind_modified_mathieu_at_q_zero_refuses_its_slope(name, m, output):
    x = ad.tensor([0.5], requires_grad=True)
    value = getattr(special, name)(m, 0.0, x)[output]
    assert abs(float(value.data[0])) > 1e299 or float(value.data[0]) == 0.0  # (SciPy's)
    with pytest.raises(ValueError, match=f"{name}: no derivative in x at q = 0"):
        value.sum().backward()


def test_scipys_q_zero_derivative_is_not_the_limit():
    # (why it is refused: the derivative tends to 2/pi as q -> 0, SciPy says 0)
    near = special.mathieu_modcem2(0.0, 1e-10, 0.5)[1]
    assert abs(near - 2 / np.pi) < 1e-6
    assert special.mathieu_modcem2(0.0, 0.0, 0.5)[1] == 0.0


def test_first_kind_modified_mathieu_at_q_zero_is_the_limit_and_keeps_its_slope():
    x = ad.tensor([0.5], requires_grad=True)
    y, _ = special.mathieu_modcem1(0.0, 0.0, x)
    y.sum().backward()
    assert float(y.data[0]) == 1.0 and float(x.grad[0]) == 0.0
    # (the limit: at q = 1e-8 the value is 1 - 8e-9 and the slope -1.2e-8)
    assert abs(special.mathieu_modcem1(0.0, 1e-8, 0.5)[1]) < 1e-7


def test_modified_mathieu_below_q_zero_and_obl_rad1_below_x_zero_are_nan_with_nan_slopes():
    x = ad.tensor([0.5], requires_grad=True)
    y, _ = special.mathieu_modcem1(0.0, -1.0, x)
    y.sum().backward()
    assert np.isnan(y.data[0]) and np.isnan(x.grad[0])
    x = ad.tensor([-0.5, 0.5], requires_grad=True)
    r = special.obl_rad1(1, 1, 1.5, x)[0]
    r.sum().backward()
    assert np.isnan(r.data[0]) and np.isnan(x.grad[0])
    assert np.isfinite(r.data[1]) and np.isfinite(x.grad[1])


@pytest.mark.parametrize("x", [5.0, 9.1, -9.1])
def test_itairy_warns_where_scipys_integral_of_ai_is_wrong(x):
    exact = float(mpmath.quad(mpmath.airyai, [0, abs(x)]))
    index = 0 if x > 0 else 2
    t = ad.tensor([x], requires_grad=True)
    with pytest.warns(RuntimeWarning, match=r"itairy: SciPy's integral of Ai .* wrong") as got:
        out = special.itairy(t)
    assert got[0].filename == __file__          # (the user's line)
    sign = 1 if x > 0 else -1
    assert abs(float(out[index].data[0]) - sign * exact) > 1e-6 * exact   # (SciPy's value)
    out[index].sum().backward()
    # the slope is the true integral's integrand: Ai(x) for output 0, Ai(-x) for output 2
    expected = float(mpmath.airyai(x)) if x > 0 else float(mpmath.airyai(-x))
    np.testing.assert_allclose(t.grad, [expected], rtol=1e-12)


def test_itairy_is_quiet_where_scipys_values_are_good():
    for x in (0.5, 2.0, 10.0, -1.0):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = special.itairy(ad.tensor([x]))
        exact = float(mpmath.quad(mpmath.airyai, [0, abs(x)]))
        value = out[0 if x > 0 else 2].data[0]
        np.testing.assert_allclose(abs(value), exact, rtol=1e-6)


def test_kolmogi_at_p_zero_has_its_limit_slope_minus_inf_not_nan():
    # (kolmogi(0) = inf; at p = 1e-300 the slope is already -1.3e298)
    p = ad.tensor([0.0, 1e-300, 0.5, 1.0], requires_grad=True)
    special.kolmogi(p).sum().backward()
    assert p.grad[0] == -np.inf and p.grad[3] == -np.inf
    assert -1e299 < p.grad[1] < -1e297
    central = (special.kolmogi(0.5 + 1e-6) - special.kolmogi(0.5 - 1e-6)) / 2e-6
    np.testing.assert_allclose(p.grad[2], central, rtol=1e-7)


def test_nrdtrisd_at_its_edges_follows_scipy_and_its_slopes_limits():
    # p = 0.5: std = (x - mn) / ndtri(p) is infinite (SciPy: 1.5e16); the slope's limit
    # is -inf from both sides, as the library gives
    p = ad.tensor([0.5, 0.25, 0.0], requires_grad=True)
    std = special.nrdtrisd(0.0, p, 1.0)
    std.sum().backward()
    assert std.data[0] > 1e15 and p.grad[0] == -np.inf
    expected = -1.0 / special.ndtri(0.25) ** 2 * np.sqrt(2 * np.pi) * np.exp(
        special.ndtri(0.25) ** 2 / 2)
    np.testing.assert_allclose(p.grad[1], expected, rtol=1e-12)
    assert np.isnan(std.data[2])                # (SciPy's NaN at p = 0)
