"""scipy.special's two-output functions on Tensors (fresnel, sici, shichi): both
outputs record, with SciPy's values and slopes that are mpmath's derivatives."""

import warnings

import numpy as np
import pytest
from scipy import special

import autodiff as ad

mpmath = pytest.importorskip("mpmath")

# (SciPy's function, output, mpmath's function of the same, points)
CASES = {
    "fresnel S": (special.fresnel, 0, mpmath.fresnels, [-1.3, 0.0, 0.7, 2.5]),
    "fresnel C": (special.fresnel, 1, mpmath.fresnelc, [-1.3, 0.0, 0.7, 2.5]),
    "sici si": (special.sici, 0, mpmath.si, [-2.0, 0.5, 3.0]),
    "sici ci": (special.sici, 1, mpmath.ci, [0.5, 3.0, 7.0]),
    "shichi shi": (special.shichi, 0, mpmath.shi, [-2.0, 0.5, 3.0]),
    "shichi chi": (special.shichi, 1, mpmath.chi, [0.5, 1.5, 3.0]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_output_records_with_mpmaths_slope(name):
    function, index, exact, points = CASES[name]
    x = np.array(points)
    outputs = function(ad.tensor(x, requires_grad=True))
    assert isinstance(outputs, tuple) and len(outputs) == 2
    assert all(isinstance(out, ad.Tensor) and out.requires_grad for out in outputs)
    np.testing.assert_array_equal(outputs[index].data, function(x)[index])
    grad = ad.grad(lambda t: function(t)[index].sum())(x.copy())
    second = ad.grad(lambda t: ad.grad(lambda u: function(u)[index].sum())(t).sum())(x.copy())
    with mpmath.workdps(30):
        slopes = [float(mpmath.diff(exact, mpmath.mpf(p))) for p in points]
        curvatures = [float(mpmath.diff(exact, mpmath.mpf(p), 2)) for p in points]
    np.testing.assert_allclose(grad, slopes, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(second, curvatures, rtol=1e-8, atol=1e-12)


def test_both_outputs_feed_one_loss():
    x = np.array([0.4, 1.1])
    grad = ad.grad(lambda t: sum(o.sum() for o in special.fresnel(t)))(x)
    np.testing.assert_allclose(grad, np.sin(np.pi * x * x / 2) + np.cos(np.pi * x * x / 2),
                               rtol=1e-14)


def test_negative_arguments_of_ci_and_chi_are_scipys_real_parts_and_slopes_follow():
    # SciPy's ci(-t) and chi(-t) are ci(t) and chi(t): slopes cos(t)/t, cosh(t)/t
    x = np.array([-0.8, -2.0])
    np.testing.assert_allclose(ad.grad(lambda t: special.sici(t)[1].sum())(x),
                               np.cos(x) / x, rtol=1e-14)
    np.testing.assert_allclose(ad.grad(lambda t: special.shichi(t)[1].sum())(x),
                               np.cosh(x) / x, rtol=1e-14)


def test_at_zero_si_and_shi_have_slope_one_and_ci_chi_infinite_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        si, ci = (ad.grad(lambda t, i=i: special.sici(t)[i].sum())(np.array([0.0]))
                  for i in (0, 1))
        shi = ad.grad(lambda t: special.shichi(t)[0].sum())(np.array([0.0]))
    assert si[0] == 1.0 and shi[0] == 1.0 and ci[0] == np.inf
