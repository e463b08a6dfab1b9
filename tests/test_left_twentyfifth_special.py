"""SciPy special functions at their singular points: the limits, checked with mpmath."""
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.autograd import grad

special = pytest.importorskip("scipy.special")
mpmath = pytest.importorskip("mpmath")


def _voigt_mp(x, sigma, gamma):
    z = (mpmath.mpf(x) + 1j * mpmath.mpf(gamma)) / (mpmath.sqrt(2) * sigma)
    w = mpmath.exp(-z * z) * mpmath.erfc(-1j * z)
    return mpmath.re(w) / (sigma * mpmath.sqrt(2 * mpmath.pi))


def _cauchy_mp(x, gamma):
    return gamma / (mpmath.pi * (x * x + gamma * gamma))


@pytest.mark.parametrize("x0, gamma0", [(0.7, 0.5), (-1.3, 2.0), (0.0, 0.8)])
def test_voigt_profile_slopes_at_sigma_zero_are_the_cauchy_densitys(x0, gamma0):
    x, sigma, gamma = (ad.tensor(v, requires_grad=True) for v in (x0, 0.0, gamma0))
    value = special.voigt_profile(x, sigma, gamma)
    dx, dsigma, dgamma = grad(value, [x, sigma, gamma])
    assert np.isclose(value.data, float(_cauchy_mp(x0, gamma0)), rtol=1e-14)
    assert np.isclose(dx.data, float(mpmath.diff(lambda t: _cauchy_mp(t, gamma0), x0)),
                      rtol=1e-12, atol=1e-15)
    assert np.isclose(dgamma.data, float(mpmath.diff(lambda t: _cauchy_mp(x0, t), gamma0)),
                      rtol=1e-12, atol=1e-15)
    assert dsigma.data == 0.0


def test_voigt_profile_sigma_slopes_at_zero_continue_those_just_above():
    x0, gamma0, small = 0.7, 0.5, 1e-3
    mpmath.mp.dps = 40
    try:
        slope = float(mpmath.diff(lambda s: _voigt_mp(x0, s, gamma0), small))
        curvature = float(mpmath.diff(lambda s: _voigt_mp(x0, s, gamma0), small, 2))
    finally:
        mpmath.mp.dps = 15
    x, sigma, gamma = (ad.tensor(v, requires_grad=True) for v in (x0, 0.0, gamma0))
    first, = grad(special.voigt_profile(x, sigma, gamma), [sigma], create_graph=True)
    second, = grad(first, [sigma])
    # V(sigma) = V_0 + sigma^2 / 2 V_0'' + O(sigma^4): slope ~ sigma V_0'', curvature V_0''
    assert first.data == 0.0 and abs(slope) < 2 * small * abs(curvature)
    assert np.isclose(second.data, curvature, rtol=1e-4)
    near = ad.tensor(small, requires_grad=True)
    just_above, = grad(special.voigt_profile(x, near, gamma), [near])
    assert np.isclose(just_above.data, slope, rtol=1e-10)


@pytest.mark.parametrize("sigma0", [1e-6, 1e-4, 2e-3, 0.02, 0.04, 0.06, 0.2])
@pytest.mark.parametrize("x0, gamma0", [(0.7, 0.5), (-1.2, 0.3), (0.1, 1.0)])
def test_voigt_profile_slopes_at_small_sigma_keep_their_digits(sigma0, x0, gamma0):
    # The closed forms cancel as sigma -> 0 (at sigma = 1e-4 the sigma slope had the
    # wrong sign): below 0.05 |x + i gamma| the slopes are a series instead.
    mpmath.mp.dps = 40
    try:
        references = [float(mpmath.diff(_voigt_mp, (x0, sigma0, gamma0), order))
                      for order in ((1, 0, 0), (0, 1, 0), (0, 0, 1))]
    finally:
        mpmath.mp.dps = 15
    inputs = [ad.tensor(v, requires_grad=True) for v in (x0, sigma0, gamma0)]
    slopes = grad(special.voigt_profile(*inputs), inputs)
    for ours, reference in zip(slopes, references):
        assert np.isclose(ours.data, reference, rtol=1e-10, atol=0)


def test_struve_zero_second_and_third_derivatives_at_zero_are_finite():
    t = ad.tensor(0.0, requires_grad=True)
    first, = grad(special.struve(0.0, t), [t], create_graph=True)
    second, = grad(first, [t], create_graph=True)
    third, = grad(second, [t])
    h0 = lambda z: mpmath.struveh(0, z)         # noqa: E731
    for ours, order in ((first, 1), (second, 2), (third, 3)):
        assert np.isclose(ours.data, float(mpmath.diff(h0, 0, order)), rtol=1e-12,
                          atol=1e-15), order


def test_struve_minus_one_slope_at_zero_is_zero():
    t = ad.tensor(0.0, requires_grad=True)
    slope, = grad(special.struve(-1.0, t), [t])
    reference = mpmath.diff(lambda z: mpmath.struveh(-1, z), 0)
    assert slope.data == 0.0 and abs(complex(reference)) < 1e-12


def test_agm_on_an_edge_is_flat_along_it_and_infinitely_steep_across():
    a, b = ad.tensor(2.0, requires_grad=True), ad.tensor(0.0, requires_grad=True)
    da, db = grad(special.agm(a, b), [a, b])
    assert da.data == 0.0 and db.data == np.inf
    assert abs(complex(mpmath.diff(lambda s: mpmath.agm(s, 0), 2.0))) == 0.0
    # one-sided in b: the slope grows without bound as b -> 0+
    assert complex(mpmath.diff(lambda s: mpmath.agm(2, s), 0, direction=1)).real > 1e15
    a, b = ad.tensor(0.0, requires_grad=True), ad.tensor(3.0, requires_grad=True)
    da, db = grad(special.agm(a, b), [a, b])
    assert da.data == np.inf and db.data == 0.0


def test_agm_second_derivatives_on_an_edge_are_the_one_sided_limits_quietly():
    a, b = ad.tensor(2.0, requires_grad=True), ad.tensor(0.0, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        da, db = grad(special.agm(a, b), [a, b], create_graph=True)
        daa, dab = grad(da, [a, b], retain_graph=True)
        dba, dbb = grad(db, [a, b])
    assert daa.data == 0.0                  # agm(a, 0) = 0 for every a
    # one-sidedly (b -> 0+) the mixed slope grows to +inf and d2/db2 to -inf
    assert dab.data == np.inf and dba.data == np.inf and dbb.data == -np.inf
    mixed = [float(mpmath.diff(lambda s, t: mpmath.agm(s, t), (2, b), (1, 1)))
             for b in (1e-4, 1e-8, 1e-16)]
    assert mixed[0] < mixed[1] < mixed[2] and mixed[2] > 1e12


def test_agm_inside_is_unchanged():
    a, b = ad.tensor(2.0, requires_grad=True), ad.tensor(1.0, requires_grad=True)
    da, db = grad(special.agm(a, b), [a, b])
    assert np.isclose(da.data, float(mpmath.diff(lambda s: mpmath.agm(s, 1), 2.0)), rtol=1e-12)
    assert np.isclose(db.data, float(mpmath.diff(lambda s: mpmath.agm(2, s), 1.0)), rtol=1e-12)
