"""The twenty-seventh round's second file (the first:
test_numpy_programs_twentyseventh.py): histogram equalisation (``np.histogram``,
``np.cumsum`` and ``np.interp`` through the pixel values), NaN-aware sensor statistics
(``np.nanmean``, ``np.nanvar``, ``np.nanpercentile``), AC circuits in complex
arithmetic (``np.exp(1j * ...)``, ``np.abs``, ``np.angle``; here by ``xp``, for HIPS
autograd), block matrices (``np.block``) for a saddle-point system, in-place fills
(``np.copyto`` with ``where=``, ``np.putmask``, ``np.place``, ``np.put``),
``np.piecewise`` tariffs, cubic Hermite splines by ``np.searchsorted``,
``np.polyfit``/``np.polyval`` trend removal, ``np.select`` tax brackets,
``np.take_along_axis`` top-k pooling, Markov chains by ``np.linalg.matrix_power`` and
``np.linalg.multi_dot``, ridge regression by ``np.linalg.pinv`` with ``int8`` feature
codes, ``np.gradient``/``np.trapezoid`` on an ``np.ogrid`` field, ``out=`` ufunc calls
and ``np.isclose`` convergence tests, each checked as every round is
(``numpy_program_checks``), float32 included."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261228)
_PIXELS = _rng.uniform(0.0, 1.0, size=(5, 6)) ** 2
_READINGS = _rng.normal(20.0, 2.0, size=(4, 9))
_READINGS[_rng.uniform(size=_READINGS.shape) < 0.2] = np.nan
_KNOTS = np.array([0.0, 0.7, 1.5, 2.2, 3.0])
_QUERIES = np.array([0.1, 0.5, 0.9, 1.6, 2.5, 2.95])
_SERIES = np.linspace(0.0, 1.0, 12) * 2 + _rng.normal(0.0, 0.1, size=12)
_INCOMES = np.array([8.0, 25.0, 47.0, 90.0, 130.0])
_FEATURE_CODES = _rng.integers(-3, 4, size=(10, 3)).astype(np.int8)
_TARGETS = _rng.normal(size=10)
_CANDIDATES = _rng.normal(size=(4, 6))


def histogram_equalisation_by_interp(xp, p):
    """Image processing: a gamma-corrected image's histogram (``np.histogram``, no
    gradient through the counts), its normalised ``np.cumsum`` as the mapping, applied
    by ``np.interp`` at the pixel values (the gradient flows through the pixels)."""
    image = _PIXELS ** xp.exp(0.3 * p[0]) * (1 + 0.1 * p[1])
    counts, edges = np.histogram(image, bins=8, range=(0.0, 1.2))
    cdf = np.cumsum(counts) / counts.sum()
    centres = (edges[:-1] + edges[1:]) / 2
    equalised = np.interp(image, centres, cdf)
    return xp.sum(equalised * image) + xp.var(equalised)


def nan_aware_sensor_statistics(xp, p):
    """Sensors with dropouts (NaN): calibrated readings' ``np.nanmean`` and
    ``np.nanvar`` per sensor and the ``np.nanpercentile`` band of each, with the gain
    and offsets from ``p``.  The gain multiplies the readings with the dropouts
    filled and ``np.where`` puts the NaNs back: a gain times a NaN has a NaN
    gradient, in PyTorch too, though the nan-functions ignore that entry."""
    missing = np.isnan(_READINGS)
    filled = np.where(missing, 0.0, _READINGS)
    calibrated = np.where(missing, np.nan, filled * xp.exp(0.1 * p[0]) + p[1:5, None])
    means = np.nanmean(calibrated, axis=1)
    spread = np.nanvar(calibrated, axis=1, ddof=1)
    low, high = np.nanpercentile(calibrated, [10, 90], axis=1)
    return xp.sum(means ** 2) / 100 + xp.sum(spread) + xp.sum(high - low)


def ac_circuit_by_phasors(xp, p):
    """AC circuits: an RLC ladder driven at three frequencies, the impedances in
    complex arithmetic (``1j * w * L``), the source phasor ``np.exp(1j * phase)``; the
    power delivered to the load from ``np.abs`` and the phase lag from ``np.angle``."""
    resistance, inductance, capacitance = xp.exp(p[0]), 0.1 * xp.exp(p[1]), 0.01 * xp.exp(p[2])
    omega = 2 * np.pi * np.array([10.0, 50.0, 200.0])
    source = 5.0 * np.exp(1j * 0.3)
    z_series = resistance + 1j * omega * inductance
    z_shunt = 1 / (1j * omega * capacitance)
    z_load = 8.0
    z_parallel = z_shunt * z_load / (z_shunt + z_load)
    v_load = source * z_parallel / (z_series + z_parallel)
    power = xp.abs(v_load) ** 2 / z_load
    lag = xp.angle(v_load)
    return xp.sum(power) + xp.sum(lag ** 2)


def saddle_point_system_by_block(xp, p):
    """Constrained least squares: the KKT matrix assembled by ``np.block`` from a
    Hessian built from ``p``, a constraint row and zeros, solved by
    ``np.linalg.solve``; the objective at the solution."""
    h = np.diag(xp.exp(p[:3])) + 0.1 * xp.outer(p[3:6], p[3:6])
    a = np.array([[1.0, 1.0, 1.0]])
    kkt = np.block([[h, a.T], [a, np.zeros((1, 1))]])
    rhs = np.concatenate([np.array([1.0, -2.0, 0.5]), np.array([1.0])])
    solution = np.linalg.solve(kkt, rhs)
    x = solution[:3]
    return 0.5 * x @ h @ x - np.array([1.0, -2.0, 0.5]) @ x


def inplace_fills_by_copyto_and_putmask(xp, p):
    """In-place fills: negative entries of a buffer replaced by ``np.copyto(...,
    where=)``, large ones clipped by ``np.putmask``, the zeros set by ``np.place`` and
    two entries overwritten by ``np.put``; the buffer is a Tensor, so each write
    stays on the tape."""
    buffer = xp.sin(3 * p) * 2.0
    np.copyto(buffer, 0.1 * p ** 2, where=buffer < 0)
    np.putmask(buffer, buffer > 1.5, 1.5 + 0.1 * p)
    np.place(buffer, np.arange(p.size) % 4 == 0, [0.25])
    np.put(buffer, [1, 2], p[:2] * 3.0)
    return xp.sum(buffer ** 2) + xp.sum(buffer * p)


def tariff_by_piecewise(xp, p):
    """Energy tariffs: a consumption curve from ``p`` priced by ``np.piecewise`` in
    three blocks (a flat rate, a linear ramp, a quadratic peak charge)."""
    usage = xp.exp(p[0]) * np.linspace(0.5, 6.0, 9) + p[1]
    price = np.piecewise(usage, [usage < 2.0, (usage >= 2.0) & (usage < 4.0), usage >= 4.0],
                         [lambda u: 0.1 * u,
                          lambda u: 0.2 + 0.15 * (u - 2.0),
                          lambda u: 0.5 + 0.3 * (u - 4.0) ** 2])
    return xp.sum(price)


def hermite_spline_by_searchsorted(xp, p):
    """Splines: a cubic Hermite interpolant of values and slopes from ``p`` on fixed
    knots, each query's interval found by ``np.searchsorted``, evaluated with the
    Hermite basis; plus ``np.interp`` of the same values for a linear baseline."""
    values, slopes = p[:5], xp.tanh(p[5:10])
    idx = np.clip(np.searchsorted(_KNOTS, _QUERIES, side="right") - 1, 0, _KNOTS.size - 2)
    h = _KNOTS[idx + 1] - _KNOTS[idx]
    s = (_QUERIES - _KNOTS[idx]) / h
    h00, h10 = 2 * s ** 3 - 3 * s ** 2 + 1, s ** 3 - 2 * s ** 2 + s
    h01, h11 = -2 * s ** 3 + 3 * s ** 2, s ** 3 - s ** 2
    spline = (h00 * values[idx] + h10 * h * slopes[idx]
              + h01 * values[idx + 1] + h11 * h * slopes[idx + 1])
    linear = np.interp(_QUERIES, _KNOTS, values)
    return xp.sum(spline ** 2) + xp.sum((spline - linear) ** 2)


def detrending_by_polyfit(xp, p):
    """Time series: a trend fitted by ``np.polyfit`` (degree 2) to a series scaled by
    ``p``, removed with ``np.polyval``; the residual energy and the slope at the end
    (``np.polyder``)."""
    t = np.linspace(0.0, 1.0, 12)
    series = _SERIES * xp.exp(p[0]) + p[1] * t ** 3
    coefficients = np.polyfit(t, series, 2)
    residual = series - np.polyval(coefficients, t)
    return xp.sum(residual ** 2) * 10 + np.polyval(np.polyder(coefficients), 1.0)


def tax_by_select(xp, p):
    """Taxation: incomes scaled by ``p`` taxed in brackets chosen by ``np.select``, the
    rates rising smoothly with ``p``; the total and a smooth average rate."""
    incomes = _INCOMES * xp.exp(0.1 * p[0])
    rate = 0.2 + 0.05 * xp.tanh(p[1])
    tax = np.select([incomes < 10, incomes < 50, incomes < 100],
                    [0.0 * incomes, rate * (incomes - 10),
                     rate * 40 + 1.5 * rate * (incomes - 50)],
                    default=rate * 40 + 1.5 * rate * 50 + 2 * rate * (incomes - 100))
    return xp.sum(tax) / xp.sum(incomes)


def top_k_pooling_by_take_along_axis(xp, p):
    """Retrieval: the scores of candidates for each query, the top 3 per row found by
    ``np.argsort``, gathered by ``np.take_along_axis`` and pooled by a softmax."""
    scores = _CANDIDATES * p[:6] + p[6]
    top = np.argsort(-scores, axis=1)[:, :3]
    best = np.take_along_axis(scores, top, axis=1)
    weights = xp.exp(best - best.max(axis=1, keepdims=True))
    weights = weights / weights.sum(axis=1, keepdims=True)
    return xp.sum(weights * best)


def markov_chain_by_matrix_power(xp, p):
    """Markov chains: a 3-state transition matrix from a row softmax of ``p``; the
    distribution after 6 steps by ``np.linalg.matrix_power``, and a two-step path's
    probability by ``np.linalg.multi_dot``."""
    logits = p.reshape(3, 3)
    transition = xp.exp(logits) / xp.sum(xp.exp(logits), axis=1, keepdims=True)
    start = np.array([1.0, 0.0, 0.0])
    after = start @ np.linalg.matrix_power(transition, 6)
    path = np.linalg.multi_dot([start, transition, transition, np.array([0.0, 0.0, 1.0])])
    return xp.sum(after * np.array([1.0, 2.0, 3.0])) + xp.log(path)


def ridge_by_pinv_on_int8_codes(xp, p):
    """Regression on coded features: ``int8`` codes scaled by ``p`` (NumPy promotes
    to the parameters' float dtype), an intercept column, the ridge solution by
    ``np.linalg.pinv`` of the regularised normal matrix; the fit's residual."""
    features = np.column_stack([np.ones(10), _FEATURE_CODES * p[:3]])
    penalty = xp.exp(p[3]) * np.eye(4)
    coefficients = np.linalg.pinv(features.T @ features + penalty) @ (features.T @ _TARGETS)
    return xp.sum((features @ coefficients - _TARGETS) ** 2)


def heat_flux_by_gradient_on_ogrid(xp, p):
    """Heat transfer: a temperature field on an ``np.ogrid`` grid with its source's
    strength and width from ``p``; the flux by ``np.gradient`` along both axes and its
    total through the right edge by ``np.trapezoid``."""
    rows, cols = np.ogrid[0:6, 0:7]
    y, x = rows / 5.0, cols / 6.0
    field = xp.exp(p[0]) * xp.exp(-((x - 0.4) ** 2 + (y - 0.6) ** 2) / (0.1 * xp.exp(p[1])))
    dy, dx = np.gradient(field, 0.2, 1 / 6.0)
    flux = -dx[:, -1]
    return np.trapezoid(flux, dx=0.2) + xp.sum(dy ** 2) * 0.01


def fixed_point_with_out_and_isclose(xp, p):
    """A fixed-point iteration x = cos(a x) + b written with ``out=`` ufunc calls into
    a buffer, stopped in Python when ``np.isclose`` says successive iterates agree
    (``np.allclose`` for the vector)."""
    a, b = 0.5 * xp.tanh(p[0]) + 0.5, 0.1 * p[1:4]
    x = xp.zeros_like(p, shape=3)
    buffer = xp.zeros_like(p, shape=3)
    for _ in range(200):
        np.multiply(x, a, out=buffer)
        np.cos(buffer, out=buffer)
        np.add(buffer, b, out=buffer)
        done = np.allclose(buffer, x, rtol=0, atol=1e-13) and bool(np.isclose(buffer[0], x[0]))
        x = buffer.copy()
        if done:
            break
    return xp.sum(x ** 2)


PROGRAMS = [
    (histogram_equalisation_by_interp, _rng.normal(0, 0.3, size=2), False),  # histogram
    (nan_aware_sensor_statistics, _rng.normal(0, 0.5, size=5), False),  # nanpercentile
    (ac_circuit_by_phasors, _rng.normal(0, 0.3, size=3), True),
    (saddle_point_system_by_block, _rng.normal(0, 0.5, size=6), False),  # np.block
    (inplace_fills_by_copyto_and_putmask, _rng.normal(0, 0.6, size=8), False),  # copyto
    (tariff_by_piecewise, _rng.normal(0, 0.3, size=2), False),  # piecewise
    (hermite_spline_by_searchsorted, _rng.normal(0, 0.5, size=10), False),  # interp
    (detrending_by_polyfit, _rng.normal(0, 0.3, size=2), False),  # polyfit
    (tax_by_select, _rng.normal(0, 0.3, size=2), False),  # select
    (top_k_pooling_by_take_along_axis, _rng.normal(0, 0.5, size=7), False),  # take_along
    (markov_chain_by_matrix_power, _rng.normal(0, 0.5, size=9), False),  # matrix_power
    (ridge_by_pinv_on_int8_codes, _rng.normal(0, 0.5, size=4), False),  # pinv
    (heat_flux_by_gradient_on_ogrid, _rng.normal(0, 0.3, size=2), False),  # np.gradient
    (fixed_point_with_out_and_isclose, _rng.normal(0, 0.5, size=4), False),  # out=
]

globals().update(program_tests(PROGRAMS, float32=True, finite=True))  # the shared checks
