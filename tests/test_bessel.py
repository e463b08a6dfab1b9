"""np.i0 on Tensors and the Bessel functions behind its derivatives
(autodiff/ops/bessel.py), against values computed with mpmath at 50 digits from the
exact float inputs, and against central differences and HIPS autograd."""

import autograd
import autograd.scipy.special as autograd_special
import numpy as np
import pytest

import autodiff as ad
from autodiff.gradcheck import gradcheck, gradgradcheck
from autodiff.ops import bessel

X = np.array([-700.0, -30.5, -8.0, -2.5, -1e-5, 0.0, 0.3, 1.0, 7.99, 8.01, 12.0, 100.0])
I1 = [-1.5285003902339006e+302, -1256932623308.4714, -399.8731367825601,
      -2.5167162452886984, -5.0000000000625004e-06, 0.0, 0.15169384000359276,
      0.565159103992485, 396.1152262074013, 403.6669399977041, 18141.348781638833,
      1.0683693903381625e+42]
I1_OVER_X = [2.1835719860484294e+299, 41210905682.244965, 49.98414209782001,
             1.0066864981154793, 0.50000000000625, 0.5, 0.5056461333453093,
             0.565159103992485, 49.576373743104035, 50.39537328310913, 1511.7790651365692,
             1.0683693903381625e+40]
SLOPE = [-2.178894576713967e+299, -39201322208.13366, -40.9494789407706,
         -0.5105864591276658, -1.2500000000104167e-06, 0.0, 0.03778204220326152,
         0.13574766976703828, 40.60468788341247, 41.297258362780795, 1327.1139349185976,
         1.0523843193243106e+40]


def _ulps(got, want):
    want = np.asarray(want)
    with np.errstate(over="ignore"):        # (the branch np.where does not take)
        return np.where(want == 0, np.abs(got) / np.spacing(1.0),
                        np.abs(got - want) / np.spacing(np.abs(want)))


@pytest.mark.parametrize("function, want, bound", [
    (bessel.i1_values, I1, 3), (bessel.i1_over_x_values, I1_OVER_X, 4),
    (lambda x: bessel.i1_over_x_values(x, derivative=1), SLOPE, 4)])
def test_values_are_within_a_few_ulp_of_50_digit_ones(function, want, bound):
    assert _ulps(function(X), want).max() <= bound
    x32 = X[1:].astype(np.float32)         # computed in float64, rounded once
    with np.errstate(over="ignore"):       # (values beyond float32's range are inf)
        got32 = function(x32)
        want32 = function(x32.astype(np.float64)).astype(np.float32)
    assert got32.dtype == np.float32
    np.testing.assert_array_equal(got32, want32)


def test_edge_values():
    special = np.array([np.inf, -np.inf, np.nan, -0.0])
    np.testing.assert_array_equal(bessel.i1_values(special), [np.inf, -np.inf, np.nan, -0.0])
    np.testing.assert_array_equal(bessel.i1_over_x_values(special), [np.inf, np.inf, np.nan, 0.5])
    assert np.signbit(bessel.i1_values(np.array([-0.0]))[0])


@pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")  # NumPy's
def test_i0_is_numpys_with_numpys_dtypes():
    for values in (X, X.astype(np.float32), np.array([1, 2, 3]), np.float64(2.0)):
        got, want = np.i0(ad.tensor(values)), np.i0(values)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got.data, want)


def test_gradients_match_autograd_and_central_differences_to_the_second_order():
    points = np.array([0.0, 1e-3, 0.3, -2.5, 7.9, 8.1, -12.0])
    x = ad.tensor(points, requires_grad=True)
    np.i0(x).sum().backward()
    theirs = autograd.grad(lambda a: autograd_special.i0(a).sum())(points)
    np.testing.assert_allclose(x.grad, theirs, rtol=1e-14)
    for function in (lambda t: np.i0(t), ad.bessel_i1, ad.bessel_i1_over_x,
                     lambda t: ad.bessel_i1_over_x(t, derivative=2)):
        assert gradcheck(function, [points])
        assert gradgradcheck(function, [points])
    second = autograd.grad(lambda a: autograd.grad(
        lambda b: autograd_special.i0(b).sum())(a).sum())(points)
    x = ad.tensor(points, requires_grad=True)
    (first,) = ad.autograd.grad(np.i0(x).sum(), [x], create_graph=True)
    first.sum().backward()
    np.testing.assert_allclose(x.grad, second, rtol=1e-12)


def test_the_fourth_derivative_of_i0_matches_50_digit_values():
    points = np.array([0.0, 0.7, -3.2, 11.0])
    want = [0.375, 0.454338550553978, 3.605182830034021, 6174.442157688029]
    x = ad.tensor(points, requires_grad=True)
    y = np.i0(x).sum()
    for _ in range(3):
        (y,) = ad.autograd.grad(y, [x], create_graph=True)
        y = y.sum()
    (fourth,) = ad.autograd.grad(y, [x])
    np.testing.assert_allclose(fourth, want, rtol=1e-14)


@pytest.mark.parametrize("derivative", [-1, 1.5, True])
def test_a_derivative_order_that_is_not_a_whole_number_is_refused(derivative):
    with pytest.raises(ValueError, match=r"bessel_i1_over_x: derivative must be an integer "
                                         r">= 0 .*got"):
        ad.bessel_i1_over_x(ad.tensor([1.0]), derivative=derivative)
