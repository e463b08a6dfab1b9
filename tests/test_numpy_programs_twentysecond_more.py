"""The twenty-second set of short NumPy programs, continued
(test_numpy_programs_twentysecond.py has the first part): quantum information (Uhlmann's
fidelity of mixed qubit states, matrix square roots by ``np.linalg.eigh`` of complex
Hermitian matrices), radio (a link budget in decibels, the worst margin by
``np.nanmin`` over a NaN channel, Shannon capacity by ``np.log2`` of
``np.nan_to_num(nan=)``), heat transfer (fin efficiency by ``np.tanh``, effectiveness-NTU
by ``np.expm1``, the log-mean temperature difference), rheology (Carreau-Yasuda by
``np.float_power`` on a ``np.logspace`` grid), astrodynamics (Hohmann and bi-elliptic
transfers, Tsiolkovsky's equation), Bayesian statistics (a Dirichlet-multinomial by
``scipy.special.gammaln`` and ``digamma``), ecology (Holling type III feeding trials by
``scipy.special.expit``, ``log_expit`` and ``xlogy``), navigation (a GPS fix by
Gauss-Newton steps through ``np.linalg.lstsq``), snow hydrology (a degree-day snowpack
by ``np.minimum`` / ``np.maximum``), atmospheric science (a radiosonde in a standard
atmosphere by ``np.piecewise`` over layers), signal processing (a time delay by
``np.fft.irfft`` cross-correlation refined by a parabola through
``np.take(mode='wrap')``, a bilateral filter over ``np.pad(mode='reflect')``, the
Whittaker smoother by ``np.diag(k=)`` bands and ``np.linalg.solve``), finance (an Asian
call by Monte Carlo with ``np.cumsum``; continuous annuities by
``scipy.special.exprel`` at zero rates), face recognition (an additive angular margin by
``np.arccos`` of clipped cosines and ``np.put_along_axis``), statistics (Box-Cox profile
likelihoods by hand and by ``scipy.special.boxcox`` / ``boxcox1p``, robust line fits by
``scipy.special.huber`` / ``pseudo_huber``), marketing (the shifted-beta-geometric
churn model by ``scipy.special.beta``), hydrogeology (a Theis pumping test, the well
function ``scipy.special.exp1``) and finance again (compounded returns by
``scipy.special.powm1``, a normal quantile by ``erfcinv``).  Each is differentiated
with ``ad.grad`` and checked as every round is (``numpy_program_checks``), float32
included.

All but six ran unchanged: the churn model, the robust fits, the Box-Cox by SciPy, the
annuities, the pumping test and the returns call SciPy functions that raised 'no
differentiable rule' on a Tensor (``beta``, ``huber``, ``pseudo_huber``, ``boxcox``,
``boxcox1p``, ``exprel``, ``loggamma``, ``exp1``, ``powm1``, ``erfcinv``); they record
now (ops/scipy_special.py, test_numpy_twentysecond_findings.py).
Two were written another way first.  The radiosonde's first form read the standard
atmosphere at fixed altitudes, ``np.piecewise`` of a constant grid with functions of
the parameters: NumPy dispatches ``np.piecewise`` on x and the conditions only, so it
stores the Tensors into an ndarray, and the library refuses that naming the fix (pass x
as a Tensor); here the altitudes come from the rise rate, a parameter.  The delay
estimate first found its peak by ``np.argmax(np.asarray(correlation))``, which the
library refuses inside a transform (``np.asarray`` always makes an ndarray) naming the
fix; ``int(np.argmax(correlation))`` is the same pick.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(202612222)
_SATELLITES = _rng.normal(0.0, 1.0, size=(6, 3)) * 20.0 + np.array([0.0, 0.0, 15.0])
_RECEIVER = np.array([1.0, -2.0, 0.5])
_PSEUDORANGES = np.linalg.norm(_SATELLITES - _RECEIVER, axis=1) + 0.3
_COUNTS = np.array([[3, 0, 5, 2], [1, 4, 2, 2], [6, 1, 0, 3]])
_PREY_OFFERED = np.array([2, 5, 10, 20, 40, 60])
_PREY_EATEN = np.array([1, 3, 6, 9, 12, 13])
_TEMPERATURES = np.array([-6.0, -2.0, 1.0, 3.0, -1.0, 4.0, 6.0, 2.0, 8.0, 5.0])
_SNOWFALL = np.array([12.0, 8.0, 0.0, 0.0, 5.0, 0.0, 0.0, 3.0, 0.0, 0.0])
_DRAWS = _rng.standard_normal(size=(64, 12))
_EMBEDDINGS = _rng.normal(size=(6, 4))
_LABELS = np.array([0, 1, 2, 0, 1, 2])
_NOISY = np.sin(np.linspace(0.0, 3.0, 16)) + 0.2 * _rng.normal(size=16)
_SKEWED = np.exp(_rng.normal(1.0, 0.6, size=25))
_CHURNED = np.array([131.0, 126.0, 90.0, 60.0, 42.0])
_RETAINED = 551.0
_OUTLYING_X = np.linspace(-2.0, 2.0, 12)
_OUTLYING_Y = 0.9 * _OUTLYING_X + 0.1 + 0.1 * _rng.normal(size=12) \
    + np.array([0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0, -2.5, 0.0, 0.0, 0.0, 4.0])


def mixed_state_fidelity(xp, p):
    """Quantum information: two qubits' density matrices from Bloch vectors inside the
    ball, ``(I + r . sigma) / 2``, and Uhlmann's fidelity
    ``(tr sqrt(sqrt(rho) sigma sqrt(rho)))^2`` with the matrix square roots by
    ``np.linalg.eigh`` of Hermitian matrices."""
    pauli = np.array([[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]])
    r = 0.8 * xp.tanh(p[:3]) / np.sqrt(3)
    s = 0.8 * xp.tanh(p[3:6]) / np.sqrt(3)
    rho = (np.eye(2) + xp.einsum("i,ijk->jk", r, pauli)) / 2
    sigma = (np.eye(2) + xp.einsum("i,ijk->jk", s, pauli)) / 2

    def square_root(m):
        values, vectors = xp.linalg.eigh(m)
        return (vectors * xp.sqrt(values)) @ xp.conj(vectors.T)

    root = square_root(rho)
    middle = square_root(root @ sigma @ root)
    return xp.real(xp.trace(middle)) ** 2


def link_budget_capacity(xp, p):
    """Radio: a link budget in decibels (Friis free-space loss by ``np.log10``, antenna
    gains the parameters), the worst channel's margin by ``np.nanmin`` over channels
    with an unmeasured one (NaN), and the Shannon capacity by ``np.log2``."""
    gains = 10.0 + 2.0 * p[:2]
    frequencies = np.array([2.4e9, 5.2e9, 5.8e9, 28e9])
    path_loss = 20 * np.log10(4 * np.pi * 1500.0 * frequencies / 3e8)
    received = 20.0 + gains[0] + gains[1] - path_loss + np.array([0.0, -1.0, np.nan, -6.0])
    noise = -174.0 + 10 * np.log10(20e6) + 6.0 + p[2]
    snr = received - noise
    capacity = 20e6 * xp.log2(1 + 10 ** (xp.nan_to_num(snr, nan=0.0) / 10)) / 1e6
    return xp.nanmin(snr) + xp.sum(capacity) / 100.0


def heat_exchanger_rating(xp, p):
    """Heat transfer: a finned counter-flow exchanger, the fin efficiency
    ``tanh(mL) / (mL)``, the effectiveness-NTU relation by ``np.expm1``, the outlet
    temperatures and the log-mean temperature difference by ``np.log`` of their ratio."""
    h, k = 40.0 * xp.exp(0.2 * p[0]), 200.0 * xp.exp(0.2 * p[1])
    m_length = xp.sqrt(2 * h / (k * 0.002)) * 0.03
    fin_efficiency = xp.tanh(m_length) / m_length
    ua = h * (0.5 + 4.0 * fin_efficiency) * 3.0
    hot_rate, cold_rate = 1200.0 * xp.exp(0.1 * p[2]), 2000.0
    c_ratio = hot_rate / cold_rate
    ntu = ua / hot_rate
    effectiveness = -xp.expm1(-ntu * (1 - c_ratio)) / (1 - c_ratio * xp.exp(-ntu * (1 - c_ratio)))
    duty = effectiveness * hot_rate * (90.0 - 20.0)
    hot_out, cold_out = 90.0 - duty / hot_rate, 20.0 + duty / cold_rate
    lmtd = ((90.0 - cold_out) - (hot_out - 20.0)) / xp.log((90.0 - cold_out) / (hot_out - 20.0))
    return duty / 1000.0 + lmtd + fin_efficiency


def carreau_yasuda_rheology(xp, p):
    """Rheology: the Carreau-Yasuda viscosity of a polymer melt over shear rates on a
    ``np.logspace`` grid, fitted in log space (``np.log10``) with ``np.float_power``."""
    rates = np.logspace(-2, 3, 12)
    eta0, eta_inf = 1000.0 * xp.exp(p[0]), 1.0 * xp.exp(p[1])
    lam, a, n = xp.exp(p[2]), 2.0 * xp.exp(0.2 * p[3]), 0.4 + 0.1 * xp.tanh(p[4])
    viscosity = eta_inf + (eta0 - eta_inf) * xp.float_power(
        1 + xp.float_power(lam * rates, a), (n - 1) / a)
    measured = 1000.0 / (1 + (rates * 0.8) ** 1.8) ** 0.33 + 1.0
    return xp.sum((xp.log10(viscosity) - np.log10(measured)) ** 2)


def orbit_transfer_budget(xp, p):
    """Astrodynamics: a Hohmann transfer between circular orbits by vis-viva and a
    bi-elliptic alternative, the propellant fraction by Tsiolkovsky's rocket equation
    with ``np.expm1``; the orbit radii and the engine's exhaust speed the parameters."""
    mu = 398600.4418
    r1, r2, rb = 7000.0 * xp.exp(0.05 * p[0]), 42164.0 * xp.exp(0.05 * p[1]), 60000.0
    v1, v2 = xp.sqrt(mu / r1), xp.sqrt(mu / r2)
    hohmann = v1 * (xp.sqrt(2 * r2 / (r1 + r2)) - 1) + v2 * (1 - xp.sqrt(2 * r1 / (r1 + r2)))
    bi_elliptic = (xp.sqrt(2 * mu / r1 - 2 * mu / (r1 + rb)) - v1
                   + xp.sqrt(2 * mu / rb - 2 * mu / (r2 + rb))
                   - xp.sqrt(2 * mu / rb - 2 * mu / (r1 + rb))
                   + xp.sqrt(2 * mu / r2 - 2 * mu / (r2 + rb)) - v2)
    exhaust = 3.1 * xp.exp(0.1 * p[2])
    return -xp.expm1(-hohmann / exhaust) + (bi_elliptic - hohmann) ** 2


def dirichlet_multinomial_topics(xp, p):
    """Bayesian statistics: the Dirichlet-multinomial log-likelihood of word counts by
    ``scipy.special.gammaln``, and a variational expectation ``E[log theta]`` by
    ``scipy.special.digamma``; the concentration's logarithm the parameters."""
    from scipy import special
    alpha = xp.exp(p)
    totals, concentration = _COUNTS.sum(axis=1), xp.sum(alpha)
    log_likelihood = xp.sum(special.gammaln(concentration) - special.gammaln(totals + concentration)
                            + xp.sum(special.gammaln(_COUNTS + alpha) - special.gammaln(alpha),
                                     axis=1))
    expected_log = special.digamma(alpha + _COUNTS) \
        - special.digamma(xp.sum(alpha + _COUNTS, axis=1, keepdims=True))
    return log_likelihood + xp.sum(expected_log) / 10.0


def holling_feeding_trials(xp, p):
    """Ecology: feeding trials at several prey densities, a Holling type III response's
    eaten fraction through ``scipy.special.expit`` of a logit, the binomial likelihood
    by ``scipy.special.xlogy`` and ``log_expit``."""
    from scipy import special
    attack, handling = xp.exp(p[0] - 2.0), xp.exp(p[1] - 3.0)
    offered = _PREY_OFFERED.astype(float)
    eaten_fraction = attack * offered / (1 + attack * handling * offered ** 2) * offered / 60.0
    logit = xp.log(eaten_fraction) - xp.log1p(-eaten_fraction) + 0.3 * p[2]
    q = special.expit(logit)
    return xp.sum(special.xlogy(_PREY_EATEN, q)
                  + (_PREY_OFFERED - _PREY_EATEN) * special.log_expit(-logit))


def gps_position_fix(xp, p):
    """Navigation: a receiver's position and clock bias from six pseudoranges, two
    Gauss-Newton steps with the line-of-sight Jacobian solved by
    ``np.linalg.lstsq(rcond=None)``; the starting guess the parameters."""
    estimate = xp.concatenate([_RECEIVER + 0.5 * p[:3], 0.1 * p[3:4]])
    for _ in range(2):
        offsets = _SATELLITES - estimate[:3]
        ranges = xp.linalg.norm(offsets, axis=1)
        residuals = _PSEUDORANGES - (ranges + estimate[3])
        jacobian = xp.concatenate([-offsets / ranges[:, None], xp.ones((6, 1))], axis=1)
        step = xp.linalg.lstsq(jacobian, residuals, rcond=None)[0]
        estimate = estimate + step
    return xp.sum(estimate ** 2) + xp.sum(residuals ** 2)


def degree_day_snowpack(xp, p):
    """Snow hydrology: a degree-day snowpack, melt ``min(f max(T - T0, 0), SWE)`` day by
    day with the stored water kept non-negative by ``np.maximum``; the melt factor and
    threshold temperature the parameters; the meltwater's weighted total."""
    factor, threshold = 3.0 * xp.exp(0.2 * p[0]), 0.5 * p[1]
    snow, melted = 0.0, []
    for temperature, snowfall in zip(_TEMPERATURES, _SNOWFALL):
        snow = snow + snowfall
        melt = xp.minimum(factor * xp.maximum(temperature - threshold, 0.0), snow)
        snow = xp.maximum(snow - melt, 0.0)
        melted.append(melt)
    return xp.sum(xp.stack(melted) * np.linspace(1.0, 2.0, 10)) + snow


def radiosonde_profile(xp, p):
    """Atmospheric science: a radiosonde rising at a steady rate (a parameter), the
    temperature it meets from a standard atmosphere by ``np.piecewise`` over the layers
    (a lapse rate in the troposphere, isothermal above) and the pressure by
    integrating ``-g / (R T)`` over its altitudes with a trapezoid rule."""
    altitudes = 5.0 * xp.exp(0.1 * p[2]) * np.arange(0.0, 4001.0, 100.0)
    surface, lapse = 288.15 + 5.0 * p[0], 0.0065 * xp.exp(0.1 * p[1])
    tropopause = surface - lapse * 11000.0
    temperature = xp.piecewise(altitudes, [altitudes < 11000.0, altitudes >= 11000.0],
                               [lambda h: surface - lapse * h, lambda h: tropopause + 0.0 * h])
    integrand = -9.80665 / (287.05 * temperature)
    log_pressure = np.log(101325.0) + xp.concatenate(
        [xp.zeros(1), xp.cumsum(0.5 * (integrand[1:] + integrand[:-1]) * xp.diff(altitudes))])
    return xp.sum(xp.exp(log_pressure)) / 1e5 + xp.mean(temperature) / 100.0


def cross_correlation_delay(xp, p):
    """Signal processing: a time-delay estimate, the circular cross-correlation by
    ``np.fft.irfft`` of ``rfft(a) * conj(rfft(b))``, its peak found by ``np.argmax`` and
    refined by a parabola through the three samples around it (taken with
    ``np.take(mode='wrap')``)."""
    t = np.arange(32.0)
    width, shift = 2.0 * xp.exp(0.2 * p[0]), 5.3 + 0.3 * p[1]
    reference = np.exp(-0.5 * ((t - 10.0) / 2.0) ** 2)
    received = xp.exp(-0.5 * ((t - 10.0 - shift) / width) ** 2)
    correlation = xp.fft.irfft(xp.fft.rfft(received) * xp.conj(xp.fft.rfft(reference)), n=32)
    peak = int(xp.argmax(correlation))
    left, centre, right = xp.take(correlation, [peak - 1, peak, peak + 1], mode="wrap")
    return peak + 0.5 * (left - right) / (left - 2 * centre + right) + centre


def bilateral_smoothing(xp, p):
    """Image processing: a 1-D bilateral filter, windows by ``sliding_window_view`` of a
    signal padded by ``np.pad(mode='reflect')``, weights Gaussian in distance and in
    intensity difference; the signal and the range width the parameters."""
    from numpy.lib.stride_tricks import sliding_window_view
    signal = _NOISY + 0.1 * p[:16]
    range_width = 0.3 * xp.exp(p[16])
    windows = sliding_window_view(xp.pad(signal, 2, mode="reflect"), 5)
    spatial = np.exp(-0.5 * (np.arange(-2, 3) / 1.5) ** 2)
    weights = spatial * xp.exp(-0.5 * ((windows - signal[:, None]) / range_width) ** 2)
    smoothed = xp.sum(weights * windows, axis=1) / xp.sum(weights, axis=1)
    return xp.sum(xp.diff(smoothed) ** 2) + xp.sum((smoothed - _NOISY) ** 2)


def asian_option_monte_carlo(xp, p):
    """Finance: an arithmetic-average Asian call by Monte Carlo over fixed normal draws,
    the paths by ``np.cumsum`` of log increments, the payoff by ``np.maximum``; the
    volatility, rate and spot the parameters (pathwise Greeks by differentiation)."""
    sigma, rate, spot = 0.2 * xp.exp(0.2 * p[0]), 0.03 + 0.01 * p[1], 100.0 * xp.exp(0.05 * p[2])
    dt = 1.0 / 12
    increments = (rate - 0.5 * sigma ** 2) * dt + sigma * np.sqrt(dt) * _DRAWS
    paths = spot * xp.exp(xp.cumsum(increments, axis=1))
    payoff = xp.maximum(xp.mean(paths, axis=1) - 98.0, 0.0)
    return xp.exp(-rate) * xp.mean(payoff)


def arcface_logits(xp, p):
    """Face recognition: an additive angular margin loss, embeddings and class centres
    normalised by ``np.linalg.norm(keepdims=True)``, angles by ``np.arccos`` of clipped
    cosines, the margin added at the true class by ``np.put_along_axis`` on a copy."""
    embeddings = _EMBEDDINGS + 0.2 * xp.reshape(p[:24], (6, 4))
    centres = np.eye(3, 4) + 0.2 * xp.reshape(p[24:36], (3, 4))
    unit = embeddings / xp.linalg.norm(embeddings, axis=1, keepdims=True)
    unit_centres = centres / xp.linalg.norm(centres, axis=1, keepdims=True)
    angles = xp.arccos(xp.clip(unit @ unit_centres.T, -0.999, 0.999))
    margin = np.zeros((6, 3))
    np.put_along_axis(margin, _LABELS[:, None], 0.3, axis=1)
    logits = 8.0 * xp.cos(angles + margin)
    top = xp.max(logits, axis=1, keepdims=True)
    log_norm = top[:, 0] + xp.log(xp.sum(xp.exp(logits - top), axis=1))
    return xp.mean(log_norm - xp.take_along_axis(logits, _LABELS[:, None], axis=1)[:, 0])


def box_cox_profile(xp, p):
    """Statistics: the Box-Cox transformation's profile log-likelihood of skewed data,
    ``(y^lambda - 1) / lambda`` with the Jacobian ``(lambda - 1) sum log y``, the
    variance of the transformed data by ``np.var``; lambda the parameter."""
    lam = 0.3 + 0.2 * xp.tanh(p[0])
    transformed = (xp.power(_SKEWED, lam) - 1) / lam
    return -0.5 * _SKEWED.size * xp.log(xp.var(transformed)) + (lam - 1) * np.sum(np.log(_SKEWED))


def whittaker_smoother(xp, p):
    """Signal processing: the Whittaker-Eilers smoother, second differences by a
    matrix of ``np.diag(k=)`` bands, ``(I + lambda D^T D) z = y`` solved by
    ``np.linalg.solve``; the data and the smoothing weight the parameters."""
    n = 12
    data = _NOISY[:n] + 0.1 * p[:n]
    weight = 5.0 * xp.exp(p[n])
    second = (np.diag(np.ones(n), 0) - 2 * np.diag(np.ones(n - 1), 1)
              + np.diag(np.ones(n - 2), 2))[:n - 2]
    smooth = xp.linalg.solve(np.eye(n) + weight * (second.T @ second), data)
    return xp.sum((smooth - data) ** 2) + xp.sum(xp.diff(smooth, 2) ** 2)


def churn_shifted_beta_geometric(xp, p):
    """Marketing: customer retention by the shifted-beta-geometric model, the chance of
    leaving in period t ``B(a + 1, b + t - 1) / B(a, b)`` and of staying past the last
    ``B(a, b + T) / B(a, b)`` by ``scipy.special.beta``, over cohort counts."""
    from scipy import special
    a, b = xp.exp(p[0]), xp.exp(p[1] + 0.5)
    periods = np.arange(1, 6)
    leaving = special.beta(a + 1, b + periods - 1) / special.beta(a, b)
    staying = special.beta(a, b + 5) / special.beta(a, b)
    return xp.sum(_CHURNED * xp.log(leaving)) + _RETAINED * xp.log(staying)


def robust_line_fits(xp, p):
    """Robust regression: a line through data with outliers by ``scipy.special.huber``
    and ``scipy.special.pseudo_huber`` of the residuals, the threshold delta a parameter
    too, with a penalty keeping it from shrinking to zero."""
    from scipy import special
    slope, intercept, delta = 0.8 + 0.1 * p[0], 0.2 * p[1], xp.exp(p[2] - 0.5)
    residuals = _OUTLYING_Y - (slope * _OUTLYING_X + intercept)
    return xp.sum(special.huber(delta, residuals)) \
        + xp.sum(special.pseudo_huber(delta, residuals)) - 2.0 * xp.log(delta)


def box_cox_by_scipy(xp, p):
    """Statistics: the Box-Cox profile likelihood again, the transform by
    ``scipy.special.boxcox`` and ``boxcox1p`` (for data with zeros), lambda near zero."""
    from scipy import special
    lam = 0.05 * xp.tanh(p[0])
    transformed = special.boxcox(_SKEWED, lam)
    shifted = special.boxcox1p(_SKEWED - _SKEWED.min(), lam)
    jacobian = (lam - 1) * (np.sum(np.log(_SKEWED)) + np.sum(np.log1p(_SKEWED - _SKEWED.min())))
    return -0.5 * _SKEWED.size * (xp.log(xp.var(transformed)) + xp.log(xp.var(shifted))) + jacobian


def continuous_annuities(xp, p):
    """Finance: continuously paid annuities ``C T (1 - e^{-rT}) / (rT)``, written
    ``C T exprel(-r T)`` by ``scipy.special.exprel`` so rates at and near zero are exact,
    with a lifetime's log-gamma weight by ``scipy.special.loggamma``."""
    from scipy import special
    rates = np.array([0.0, 1e-4, 0.01, 0.05]) + 0.01 * p[:4]
    terms = np.array([5.0, 10.0, 20.0, 30.0])
    values = 100.0 * terms * special.exprel(-rates * terms)
    return xp.sum(values) / 1000.0 + xp.sum(special.loggamma(2.0 + xp.exp(p[4:6])))


def theis_pumping_test(xp, p):
    """Hydrogeology: a pumping test read by the Theis solution, the drawdown
    ``Q / (4 pi T) W(u)`` with the well function ``W = scipy.special.exp1`` of
    ``u = r^2 S / (4 T t)``; transmissivity and storativity (logs) the parameters."""
    from scipy import special
    transmissivity, storativity = xp.exp(p[0] - 5.0), xp.exp(p[1] - 8.0)
    times = np.array([60.0, 300.0, 900.0, 3600.0, 10800.0, 36000.0])
    u = 30.0 ** 2 * storativity / (4 * transmissivity * times)
    drawdown = 0.01 / (4 * np.pi * transmissivity) * special.exp1(u)
    observed = np.array([0.05, 0.2, 0.35, 0.55, 0.72, 0.9])
    return xp.sum((drawdown - observed) ** 2)


def compounded_returns(xp, p):
    """Finance: cumulative returns ``(1 + r)^n - 1`` of small monthly rates by
    ``scipy.special.powm1`` (exact where r is tiny), and a one-sided normal quantile by
    ``sqrt(2) erfcinv(2 alpha)`` at a tail probability set by a parameter."""
    from scipy import special
    rates = np.array([1e-6, 0.002, 0.004, 0.01]) + 0.001 * xp.tanh(p[:4])
    months = np.array([12.0, 24.0, 60.0, 120.0])
    cumulative = special.powm1(1 + rates, months)
    alpha = 0.05 / (1 + xp.exp(-p[4]))
    z = np.sqrt(2) * special.erfcinv(2 * alpha)
    return xp.sum(cumulative) - 0.1 * z * xp.sqrt(xp.sum(rates ** 2))


PROGRAMS = [
    (mixed_state_fidelity, _rng.normal(size=6), True),
    (link_budget_capacity, _rng.normal(size=3), False),  # autograd: no nan_to_num(nan=)
    (heat_exchanger_rating, _rng.normal(size=3), True),
    (carreau_yasuda_rheology, _rng.normal(0.0, 0.3, size=5), False),  # no float_power VJP
    (orbit_transfer_budget, _rng.normal(size=3), True),
    (dirichlet_multinomial_topics, _rng.normal(0.0, 0.5, size=4), False),  # calls scipy
    (holling_feeding_trials, _rng.normal(0.0, 0.3, size=3), False),  # calls scipy itself
    (gps_position_fix, _rng.normal(size=4), False),  # autograd: no lstsq VJP
    (degree_day_snowpack, _rng.normal(size=2), True),
    (radiosonde_profile, _rng.normal(size=3), False),  # autograd: no piecewise
    (cross_correlation_delay, _rng.normal(0.0, 0.3, size=2), False),  # autograd: no take VJP
    (bilateral_smoothing, _rng.normal(size=17), False),  # autograd: constant pads only
    (asian_option_monte_carlo, _rng.normal(size=3), True),
    (arcface_logits, _rng.normal(size=36), False),  # no take_along_axis VJP
    (box_cox_profile, _rng.normal(size=1), True),
    (whittaker_smoother, _rng.normal(size=13), True),
    (churn_shifted_beta_geometric, _rng.normal(0.0, 0.3, size=2), False),  # calls scipy
    (robust_line_fits, _rng.normal(size=3), False),  # calls scipy.special itself
    (box_cox_by_scipy, _rng.normal(size=1), False),  # calls scipy.special itself
    (continuous_annuities, _rng.normal(size=6), False),  # calls scipy.special itself
    (theis_pumping_test, _rng.normal(0.0, 0.3, size=2), False),  # calls scipy.special
    (compounded_returns, _rng.normal(size=5), False),  # calls scipy.special itself
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
