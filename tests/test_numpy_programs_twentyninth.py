"""A twenty-ninth set of short NumPy programs, from domains and NumPy calls the
earlier rounds did not visit: orbital mechanics (Kepler's equation by Newton
iterations, ``np.arctan2``, ``np.hypot``, ``np.cross``), survival analysis (a Cox
partial likelihood over reversed sorted risk sets by ``np.logaddexp.accumulate``, a
smoothed Kaplan-Meier curve by ``np.cumprod``), geodesy (haversine distances with
``np.radians`` and ``np.unwrap`` of bearings), robotics (quaternions, rotation
matrices by ``np.einsum`` with an ``np.linalg.det`` check, planar forward kinematics
by ``np.cumsum`` of joint angles), chemistry (an Arrhenius fit by ``np.polyfit``, an
equilibrium by bisection with ``np.where``), signal windows (``np.hanning``,
``np.kaiser``, ``np.blackman`` with ``np.fft.rfft``/``np.fft.rfftfreq`` and
``np.fft.fftshift``), ``np.convolve``/``np.correlate`` modes, calibration curves by
``np.interp`` with ``left``/``right``/``period``, ``np.searchsorted`` binning into
``np.bincount(weights=)``, ``np.gradient`` on nonuniform grids with ``edge_order=2``
and ``np.trapezoid``, growth by ``np.cumprod``, ``np.pad`` modes in stencils and
``np.roll`` advection. Each is differentiated with ``ad.grad`` and checked as every
round is (``numpy_program_checks``), float32 and second derivatives included; a few
also under ``ad.vmap`` over a batch of parameter vectors.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np
import pytest

import autodiff as ad
from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261229)
_ORBIT_TIMES = np.linspace(0.0, 6.0, 9)
_SURVIVAL_TIMES = np.array([5.0, 3.0, 9.0, 3.0, 7.0, 1.0, 8.0, 6.0, 2.0, 4.0])
_EVENT = np.array([1, 0, 1, 1, 0, 1, 1, 0, 1, 1], dtype=bool)
_COVARIATES = _rng.normal(size=(10, 3))
_WAYPOINTS_DEG = np.array([[51.5, -0.1], [48.9, 2.35], [45.8, 4.8], [43.3, 5.4],
                           [41.4, 2.2], [40.4, -3.7]])
_TARGET = np.array([1.2, 0.9])
_TEMPERATURES = np.array([290.0, 300.0, 310.0, 320.0, 335.0, 350.0])
_SAMPLE_RATE = 64.0
_SIGNAL_T = np.arange(32) / _SAMPLE_RATE
_KERNEL = np.array([0.25, 0.5, 0.25])
_READINGS = np.array([0.05, 0.4, 1.1, 1.9, 2.6, 3.8, 4.1])
_ANGLES_DEG = np.array([350.0, 10.0, 40.0, 100.0, 200.0, 300.0, 355.0])
_MEASUREMENTS = _rng.uniform(-1.0, 5.0, size=24)
_GRID = np.cumsum(np.concatenate([[0.0], _rng.uniform(0.2, 1.0, size=11)]))
_FIELD = _rng.uniform(size=(6, 7))


def kepler_orbit_by_newton(xp, p):
    """Orbital mechanics: eccentric anomalies from Kepler's equation ``M = E - e sin E``
    by Newton iterations, positions by ``np.arctan2`` and ``np.hypot``, and the specific
    angular momentum by ``np.cross`` of position and velocity."""
    eccentricity = 0.3 + 0.2 * xp.tanh(p[0])
    semi_major = xp.exp(p[1])
    mean_anomaly = 2 * np.pi * _ORBIT_TIMES / 6.0 + p[2]
    anomaly = mean_anomaly
    for _ in range(8):
        anomaly = anomaly - ((anomaly - eccentricity * xp.sin(anomaly) - mean_anomaly)
                             / (1 - eccentricity * xp.cos(anomaly)))
    x = semi_major * (xp.cos(anomaly) - eccentricity)
    y = semi_major * xp.sqrt(1 - eccentricity ** 2) * xp.sin(anomaly)
    radius = xp.hypot(x, y)
    true_anomaly = xp.arctan2(y, x)
    position = xp.stack([x, y, xp.zeros_like(x)], axis=1)
    velocity = xp.stack([-xp.sin(anomaly), xp.sqrt(1 - eccentricity ** 2) * xp.cos(anomaly),
                         xp.zeros_like(x)], axis=1) / (1 - eccentricity * xp.cos(anomaly))[:, None]
    momentum = xp.cross(position, velocity)[:, 2]
    return xp.mean(radius) + xp.sum(xp.sin(true_anomaly) ** 2) + xp.var(momentum)


def cox_partial_likelihood(xp, p):
    """Survival analysis: the Cox partial likelihood, the risk sets as suffix sums over
    the subjects sorted by time (``np.argsort``, then ``np.logaddexp.accumulate`` of the
    reversed risk scores reversed back), summed over the events, plus a ridge term."""
    order = np.argsort(_SURVIVAL_TIMES, kind="stable")
    risk = (_COVARIATES @ p)[order]
    log_risk_set = xp.logaddexp.accumulate(risk[::-1])[::-1]
    events = _EVENT[order]
    return -xp.sum(xp.where(events, risk - log_risk_set, 0.0)) + 0.1 * xp.sum(p ** 2)


def smoothed_kaplan_meier(xp, p):
    """Survival analysis: distinct event times by ``np.unique(return_counts=True)``, the
    numbers at risk by ``np.searchsorted``, a hazard shrunk towards a prior from ``p``,
    and the survival curve by ``np.cumprod``; the loss is its area by ``np.trapezoid``."""
    times, deaths = np.unique(_SURVIVAL_TIMES[_EVENT], return_counts=True)
    at_risk = _SURVIVAL_TIMES.size - np.searchsorted(np.sort(_SURVIVAL_TIMES), times)
    prior = 1 / (1 + xp.exp(-p[0]))
    strength = xp.exp(p[1])
    hazard = (deaths + strength * prior) / (at_risk + strength)
    survival = xp.cumprod(1 - hazard)
    return xp.trapezoid(survival, times) + xp.sum(xp.log1p(-hazard) ** 2)


def haversine_route_with_unwrapped_bearings(xp, p):
    """Geodesy: a route through waypoints shifted by ``p`` (degrees), the great-circle
    legs by the haversine formula with ``np.radians``/``np.deg2rad``, the initial
    bearings by ``np.arctan2``, unwrapped by ``np.unwrap`` to penalise turning."""
    waypoints = _WAYPOINTS_DEG + xp.reshape(p, (6, 2))
    lat, lon = xp.radians(waypoints[:, 0]), xp.deg2rad(waypoints[:, 1])
    dlat, dlon = xp.diff(lat), xp.diff(lon)
    a = xp.sin(dlat / 2) ** 2 + xp.cos(lat[:-1]) * xp.cos(lat[1:]) * xp.sin(dlon / 2) ** 2
    legs = 2 * 6371.0 * xp.arcsin(xp.sqrt(a))
    bearing = xp.arctan2(xp.sin(dlon) * xp.cos(lat[1:]),
                         xp.cos(lat[:-1]) * xp.sin(lat[1:])
                         - xp.sin(lat[:-1]) * xp.cos(lat[1:]) * xp.cos(dlon))
    turning = xp.diff(xp.unwrap(bearing))
    return xp.sum(legs) / 1000.0 + xp.sum(turning ** 2)


def quaternion_rotations_by_einsum(xp, p):
    """Robotics: unit quaternions from ``p``, their Hamilton product, the rotation
    matrix built by stacking, applied to points by ``np.einsum``; ``np.linalg.det``
    checks the matrix is a rotation (its sign is a constant here)."""
    q1 = p[:4] / xp.linalg.norm(p[:4])
    q2 = p[4:8] / xp.linalg.norm(p[4:8])
    w1, x1, y1, z1 = q1[0], q1[1], q1[2], q1[3]
    w2, x2, y2, z2 = q2[0], q2[1], q2[2], q2[3]
    w = w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2
    x = w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2
    y = w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2
    z = w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2
    rotation = xp.stack([
        xp.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)]),
        xp.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)]),
        xp.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)])])
    points = np.arange(12.0).reshape(4, 3) / 6.0 - 1.0
    moved = xp.einsum("ij,nj->ni", rotation, points)
    handedness = xp.sign(xp.linalg.det(rotation))
    return handedness * xp.sum((moved - points) ** 2)


def planar_arm_forward_kinematics(xp, p):
    """Robotics: a four-link planar arm, the absolute link angles by ``np.cumsum`` of
    the joint angles, the joint positions by ``np.cumsum`` of the link vectors, and
    the distance of the end effector to a target by ``np.hypot``."""
    lengths = np.array([0.6, 0.5, 0.4, 0.3])
    absolute = xp.cumsum(p)
    joints = xp.cumsum(xp.stack([lengths * xp.cos(absolute), lengths * xp.sin(absolute)],
                                axis=1), axis=0)
    miss = joints[-1] - _TARGET
    return xp.hypot(miss[0], miss[1]) + 0.05 * xp.sum(xp.diff(p) ** 2)


def arrhenius_fit_by_polyfit(xp, p):
    """Chemistry: rate constants from an activation energy and prefactor in ``p``, a
    straight-line fit of ``log k`` against ``1/T`` by ``np.polyfit`` (weighted), the
    fitted line by ``np.polyval``, and the fitted activation energy."""
    gas = 8.314
    rates = xp.exp(p[0] + 3.0) * xp.exp(-(50000.0 + 1000.0 * p[1]) / (gas * _TEMPERATURES))
    noisy = xp.log(rates) + 0.01 * np.sin(_TEMPERATURES)
    slope_intercept = xp.polyfit(1 / _TEMPERATURES, noisy, 1, w=np.sqrt(_TEMPERATURES))
    fitted = xp.polyval(slope_intercept, 1 / _TEMPERATURES)
    activation = -slope_intercept[0] * gas / 1000.0
    return xp.sum((fitted - noisy) ** 2) * 1e4 + activation / 50.0


def equilibrium_by_bisection_then_newton(xp, p):
    """Chemistry: the extent of a reaction ``A + B <=> 2C`` at equilibrium, bracketed by
    30 bisection steps written with ``np.where`` on constants and refined by Newton
    steps on the equilibrium equation so the gradient flows through the root."""
    constant = xp.exp(p[0])
    a0, b0 = 1.0 + 0.1 * p[1], 0.8 + 0.1 * p[2]

    def residual(extent):
        return (2 * extent) ** 2 - constant * (a0 - extent) * (b0 - extent)

    lower, upper = xp.zeros(()), xp.minimum(a0, b0)
    for _ in range(30):
        middle = (lower + upper) / 2
        negative = residual(middle) < 0
        lower = xp.where(negative, middle, lower)
        upper = xp.where(negative, upper, middle)
    extent = (lower + upper) / 2
    for _ in range(3):
        slope = 8 * extent + constant * (a0 - extent) + constant * (b0 - extent)
        extent = extent - residual(extent) / slope
    return extent ** 2 + xp.log(constant)


def windowed_spectrum_peak(xp, p):
    """Signals: a two-tone signal, Hann, Hamming, Kaiser and Blackman windows, the power
    spectrum by ``np.fft.rfft`` with ``np.fft.rfftfreq``, a spectral centroid, and the
    ``np.fft.fftshift``-ed full spectrum's symmetry."""
    signal = (xp.sin(2 * np.pi * (8.0 + p[0]) * _SIGNAL_T)
              + xp.exp(p[1]) * xp.cos(2 * np.pi * 20.0 * _SIGNAL_T))
    frequencies = np.fft.rfftfreq(_SIGNAL_T.size, d=1 / _SAMPLE_RATE)
    total = 0.0
    for window in (np.hanning(32), np.hamming(32), np.kaiser(32, 6.0), np.blackman(32)):
        power = xp.abs(xp.fft.rfft(signal * window)) ** 2
        total = total + xp.sum(frequencies * power) / xp.sum(power)
    shifted = xp.fft.fftshift(xp.abs(xp.fft.fft(signal * np.hanning(32))))
    return total / 4 + xp.sum((shifted[1:] - shifted[1:][::-1]) ** 2)


def convolution_modes_and_correlation(xp, p):
    """Signals: smoothing by ``np.convolve`` in ``'full'``, ``'same'`` and ``'valid'``
    modes (the kernel a Tensor in one), and a matched filter by ``np.correlate``."""
    signal = xp.sin(np.linspace(0, 4, 12) + p[0]) * xp.exp(p[1])
    kernel = xp.exp(-(np.arange(-2, 3) / xp.exp(p[2])) ** 2)
    kernel = kernel / xp.sum(kernel)
    full = xp.convolve(signal, _KERNEL)
    same = xp.convolve(signal, kernel, mode="same")
    valid = xp.convolve(kernel, signal, mode="valid")
    matched = xp.correlate(signal, _KERNEL, mode="full")
    return xp.sum(full ** 2) + xp.sum(same * signal) - xp.sum(valid) + xp.max(matched)


def calibration_curve_by_interp(xp, p):
    """Instruments: a monotone calibration table from ``p`` (cumulative sums of
    exponentials), readings converted by ``np.interp`` with ``left``/``right`` clamps,
    and a periodic correction of compass angles by ``np.interp(period=360)``."""
    table_in = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    table_out = xp.cumsum(xp.exp(p[:5]))
    converted = xp.interp(_READINGS, table_in, table_out, left=0.0, right=40.0)
    correction = xp.interp(_ANGLES_DEG, [0.0, 90.0, 180.0, 270.0], p[5:9], period=360.0)
    shifted = xp.interp(_READINGS + p[9], table_in, np.array([0.0, 1.5, 2.5, 4.5, 5.0]))
    return xp.sum(converted ** 2) / 10 + xp.sum(correction ** 2) + xp.sum(shifted)


def histogram_by_searchsorted_and_bincount(xp, p):
    """Statistics: measurements binned by ``np.searchsorted`` on fixed edges, per-bin
    weighted sums by ``np.bincount(weights=, minlength=)`` with weights from ``p``, a
    soft-normalised histogram and its cross-entropy with a target."""
    edges = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    bins = np.searchsorted(edges, _MEASUREMENTS, side="right")
    weights = xp.exp(0.3 * p[:24])
    mass = xp.bincount(bins, weights=weights, minlength=6)
    means = xp.bincount(bins, weights=weights * _MEASUREMENTS, minlength=6) / mass
    share = mass / xp.sum(mass)
    target = np.full(6, 1 / 6)
    return -xp.sum(target * xp.log(share)) + xp.var(means)


def nonuniform_gradient_and_trapezoid(xp, p):
    """Numerics: a field on a nonuniform grid from ``p``, its derivative by
    ``np.gradient`` with coordinate spacing and ``edge_order=2``, an energy by
    ``np.trapezoid`` over the grid, and a cumulative integral by ``np.cumsum``."""
    field = xp.sin(_GRID * (1 + 0.1 * p[0])) + 0.2 * p[1:13]
    slope = xp.gradient(field, _GRID, edge_order=2)
    energy = xp.trapezoid(slope ** 2, _GRID)
    cumulative = xp.cumsum((field[1:] + field[:-1]) / 2 * xp.diff(_GRID))
    return energy + xp.sum(cumulative ** 2) / 100


def compound_growth_by_cumprod(xp, p):
    """Finance: monthly returns from ``p``, wealth by ``np.cumprod(1 + r)``, drawdowns
    against the running peak by ``np.maximum.accumulate``, and a utility of the end
    wealth by ``np.log1p``."""
    returns = 0.01 + 0.05 * xp.tanh(p)
    wealth = xp.cumprod(1 + returns)
    peak = xp.maximum.accumulate(wealth)
    drawdown = 1 - wealth / peak
    return -xp.log1p(wealth[-1]) + 2 * xp.max(drawdown) + xp.mean(drawdown ** 2)


def padded_stencils(xp, p):
    """Numerics: one diffusion step of a 1-D field under each ``np.pad`` boundary mode
    (``reflect``, ``symmetric``, ``edge``, ``wrap``, ``linear_ramp``), the three-point
    Laplacian by slices of the padded field."""
    field = xp.exp(0.3 * p) + xp.cos(np.arange(p.size))
    total = 0.0
    for mode in ("reflect", "symmetric", "edge", "wrap", "linear_ramp"):
        padded = xp.pad(field, 1, mode=mode)
        laplacian = padded[2:] - 2 * padded[1:-1] + padded[:-2]
        stepped = field + 0.2 * laplacian
        total = total + xp.sum(stepped ** 2)
    wide = xp.pad(field, (3, 2), mode="reflect", reflect_type="odd")
    return total + xp.sum(wide[::2])


def roll_advection_on_a_torus(xp, p):
    """Fluids: a 2-D field advected on a periodic grid by upwind differences written
    with ``np.roll`` along each axis, with a velocity from ``p``; the loss is the
    field's variance after a few steps."""
    field = _FIELD + 0.1 * xp.reshape(p[2:], (6, 7))
    u, v = 0.3 * xp.tanh(p[0]), 0.3 * xp.tanh(p[1])
    for _ in range(4):
        dx = field - xp.roll(field, 1, axis=1)
        dy = field - xp.roll(field, 1, axis=0)
        field = field - u * dx - v * dy
    mixed = xp.roll(field, (1, -2), axis=(0, 1))
    return xp.var(field) + xp.sum(field * mixed) / 100


PROGRAMS = [
    (kepler_orbit_by_newton, _rng.normal(0, 0.5, size=3), True),
    (cox_partial_likelihood, _rng.normal(0, 0.5, size=3), False),  # no accumulate
    (smoothed_kaplan_meier, _rng.normal(0, 0.5, size=2), False),  # no cumprod
    (haversine_route_with_unwrapped_bearings, _rng.normal(0, 0.5, size=12), False),  # unwrap
    (quaternion_rotations_by_einsum, _rng.normal(0, 1.0, size=8), True),
    (planar_arm_forward_kinematics, _rng.normal(0, 0.5, size=4), True),
    (arrhenius_fit_by_polyfit, _rng.normal(0, 0.5, size=2), False),  # no polyfit
    (equilibrium_by_bisection_then_newton, _rng.normal(0, 0.5, size=3), True),
    (windowed_spectrum_peak, _rng.normal(0, 0.3, size=2), True),
    (convolution_modes_and_correlation, _rng.normal(0, 0.3, size=3), False),
    (calibration_curve_by_interp, _rng.normal(0, 0.5, size=10), False),  # no interp
    (histogram_by_searchsorted_and_bincount, _rng.normal(0, 0.5, size=24), False),
    (nonuniform_gradient_and_trapezoid, _rng.normal(0, 0.5, size=13), False),
    (compound_growth_by_cumprod, _rng.normal(0, 0.5, size=12), False),
    (padded_stencils, _rng.normal(0, 0.5, size=9), False),
    (roll_advection_on_a_torus, _rng.normal(0, 0.5, size=44), False),  # tuple roll
]

globals().update(program_tests(PROGRAMS, float32=True, finite=True))  # the shared checks


@pytest.mark.parametrize("program, p", [
    (kepler_orbit_by_newton, PROGRAMS[0][1]), (cox_partial_likelihood, PROGRAMS[1][1]),
    (equilibrium_by_bisection_then_newton, PROGRAMS[7][1]),
    (calibration_curve_by_interp, PROGRAMS[10][1])], ids=lambda v: getattr(v, "__name__", ""))
def test_a_program_and_its_gradient_under_vmap_over_a_batch(program, p):
    """``ad.vmap`` of the program and of its gradient over a batch of parameter vectors
    gives each row's own value and gradient."""
    batch = np.stack([p, 0.9 * p, p + 0.05])
    values = ad.vmap(lambda t: program(np, t))(batch)
    np.testing.assert_allclose(values, [program(np, row.copy()) for row in batch], rtol=1e-12)
    grads = ad.vmap(ad.grad(lambda t: program(np, t)))(batch)
    each = np.stack([ad.grad(lambda t: program(np, t))(row.copy()) for row in batch])
    np.testing.assert_allclose(grads, each, rtol=1e-10, atol=1e-12)
