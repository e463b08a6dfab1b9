"""A twentieth set of short NumPy programs, from domains and NumPy calls the earlier
rounds did not visit (continued in test_numpy_programs_twentieth_more.py):
psychometrics (the 3PL item response model), seismology (Brune's source spectrum with
attenuation, in ``np.log10``), room acoustics (Sabine's and Eyring's reverberation
times, Eyring's by ``np.log1p``), hydrology (a Nash cascade unit hydrograph convolved
with the rainfall excess by ``np.convolve``), pharmacodynamics (the sigmoid Emax model
by ``np.float_power``), natural language processing (a linear-chain CRF's log
partition by ``np.logaddexp.reduce``), thermodynamics (the Peng-Robinson equation of
state solved by fixed Newton steps), chemical engineering (a Rachford-Rice flash),
surface chemistry (Langmuir and Freundlich isotherms, a soft minimum by
``np.logaddexp2``), optics (a Zernike wavefront on an ``np.mgrid`` pupil contracted by
``np.tensordot(axes=([0], [0]))``), computer graphics (a closed Catmull-Rom spline by
``np.einsum`` with ``...``), geostatistics (ordinary kriging, the bordered system by
``np.block``), spatial interpolation (inverse distance weighting), estimation (the
unscented transform by ``np.linalg.cholesky``), time series (an ARMA(1,1) conditional
likelihood), epidemiology (Poisson regression with an exposure offset), and signal
processing (a Haar wavelet transform by reshaping, the analytic signal's envelope and
``np.unwrap`` of ``np.angle``, a real cepstrum by ``np.fft.rfft``/``irfft``) and
transport (upwind advection by ``np.roll``).  Each is differentiated unchanged with
``ad.grad`` and checked as every round is (``numpy_program_checks``), float32
included.

Every program here ran unchanged.  Probes around them found ``np.float_power`` and
``np.nan_to_num`` refusing complex inputs that NumPy takes; both are fixed (the second
file's Drude metal and impedance spectroscopy programs use them), with focused tests in
test_numpy_twentieth_findings.py.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261220)
_RESPONSES = (_rng.random((12, 4)) < 0.6).astype(float)
_RAIN = np.array([0.0, 4.0, 12.0, 7.0, 2.0, 0.0, 5.0, 1.0])
_SIGNAL_T = np.arange(64) / 64.0
_LABELS = np.array([0, 2, 1, 1, 0, 2])


def item_response_3pl(xp, p):
    """Psychometrics: the 3PL item response model, the log-likelihood of a response
    matrix of twelve examinees and four items, abilities fixed, the items'
    discrimination, difficulty and guessing the parameters."""
    ability = np.linspace(-2.0, 2.0, 12)[:, None]
    discrimination = xp.exp(0.3 * p[:4])
    difficulty = 0.5 * p[4:8]
    guessing = 0.2 / (1.0 + xp.exp(-p[8:12]))
    logistic = 1.0 / (1.0 + xp.exp(-discrimination * (ability - difficulty)))
    correct = guessing + (1.0 - guessing) * logistic
    return xp.sum(_RESPONSES * xp.log(correct) + (1.0 - _RESPONSES) * xp.log1p(-correct))


def brune_source_spectrum(xp, p):
    """Seismology: Brune's omega-squared source spectrum with anelastic attenuation,
    log10 amplitudes fit to a synthetic record by least squares, the moment, corner
    frequency and quality factor the parameters."""
    frequency = np.logspace(-1, 1.5, 20)
    moment = 10.0 ** (0.2 * p[0])
    corner = 1.5 * xp.exp(0.3 * p[1])
    quality = 300.0 * xp.exp(0.2 * p[2])
    spectrum = moment / (1.0 + (frequency / corner) ** 2) \
        * xp.exp(-np.pi * frequency * 8.0 / quality)
    record = 1.0 / (1.0 + (frequency / 2.0) ** 2) * np.exp(-np.pi * frequency * 8.0 / 350.0)
    return xp.sum((xp.log10(spectrum) - np.log10(record)) ** 2)


def eyring_reverberation(xp, p):
    """Room acoustics: Sabine's and Eyring's reverberation times of a shoebox room,
    Eyring's by np.log1p of the mean absorption, with air absorption; the surfaces'
    absorption coefficients the parameters."""
    dimensions = np.array([8.0, 6.0, 3.0])
    volume = np.prod(dimensions)
    areas = np.array([48.0, 48.0, 24.0, 24.0, 18.0, 18.0])
    absorption = 0.05 + 0.9 / (1.0 + xp.exp(-p[:6]))
    total = xp.sum(areas)
    mean = xp.sum(areas * absorption) / total
    air = 4.0 * 0.003 * volume
    sabine = 0.161 * volume / (total * mean + air)
    eyring = 0.161 * volume / (-total * xp.log1p(-mean) + air)
    return sabine + 2.0 * eyring


def nash_unit_hydrograph(xp, p):
    """Hydrology: a Nash cascade unit hydrograph (a gamma-shaped kernel of n
    reservoirs of storage k), the runoff of a storm by np.convolve of the rainfall
    excess, and the squared error against an observed hydrograph."""
    reservoirs = 2.5 + 0.3 * xp.tanh(p[0])
    storage = 2.0 * xp.exp(0.2 * p[1])
    t = np.arange(1, 16, dtype=float)
    kernel = (t / storage) ** (reservoirs - 1.0) * xp.exp(-t / storage)
    kernel = kernel / xp.sum(kernel)
    runoff_ratio = 0.5 + 0.1 * xp.tanh(p[2])
    flow = xp.convolve(runoff_ratio * _RAIN, kernel)
    observed = np.convolve(0.5 * _RAIN, np.exp(-np.arange(1, 16) / 2.5) * np.arange(1, 16))
    observed = observed / observed.sum() * flow.size
    return xp.mean((flow - 0.01 * observed) ** 2)


def sigmoid_emax(xp, p):
    """Pharmacodynamics: the sigmoid Emax (Hill) model of effect against
    concentration, by np.float_power, fit by weighted least squares to a dose-response
    series."""
    concentration = np.array([0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0])
    effect = np.array([2.0, 6.0, 18.0, 42.0, 70.0, 85.0, 91.0])
    emax = 100.0 * xp.exp(0.1 * p[0])
    ec50 = 4.0 * xp.exp(0.3 * p[1])
    hill = 1.2 * xp.exp(0.2 * p[2])
    baseline = p[3]
    rising = xp.float_power(concentration, hill)
    model = baseline + emax * rising / (xp.float_power(ec50, hill) + rising)
    return xp.sum((model - effect) ** 2 / (1.0 + effect))


def crf_log_partition(xp, p):
    """Natural language processing: a linear-chain conditional random field's
    log-likelihood of a tag sequence, the log partition by the forward recursion with
    np.logaddexp.reduce over the previous tag."""
    emissions = np.sin(np.arange(18).reshape(6, 3) * 0.7) + 0.3 * p[:18].reshape(6, 3)
    transitions = 0.5 * p[18:27].reshape(3, 3)
    alpha = emissions[0]
    for step in range(1, 6):
        alpha = xp.logaddexp.reduce(alpha[:, None] + transitions, axis=0) + emissions[step]
    log_partition = xp.logaddexp.reduce(alpha)
    score = xp.sum(emissions[np.arange(6), _LABELS]) \
        + xp.sum(transitions[_LABELS[:-1], _LABELS[1:]])
    return log_partition - score


def peng_robinson_density(xp, p):
    """Thermodynamics: the Peng-Robinson equation of state for methane, the vapour
    compressibility root of the cubic by fixed Newton steps from the ideal gas, and the
    molar volume at a few pressures."""
    critical_t, critical_p, acentric = 190.6, 4.6e6, 0.011 + 0.01 * xp.tanh(p[0])
    temperature = 250.0 + 10.0 * xp.tanh(p[1])
    pressure = np.array([1.0e6, 2.0e6, 4.0e6])
    kappa = 0.37464 + 1.54226 * acentric - 0.26992 * acentric ** 2
    alpha = (1.0 + kappa * (1.0 - xp.sqrt(temperature / critical_t))) ** 2
    a = 0.45724 * (8.314 * critical_t) ** 2 / critical_p * alpha
    b = 0.07780 * 8.314 * critical_t / critical_p
    big_a = a * pressure / (8.314 * temperature) ** 2
    big_b = b * pressure / (8.314 * temperature)
    z = np.ones(3)
    for _ in range(8):
        cubic = z ** 3 - (1.0 - big_b) * z ** 2 + (big_a - 3 * big_b ** 2 - 2 * big_b) * z \
            - (big_a * big_b - big_b ** 2 - big_b ** 3)
        slope = 3 * z ** 2 - 2 * (1.0 - big_b) * z + (big_a - 3 * big_b ** 2 - 2 * big_b)
        z = z - cubic / slope
    return xp.sum(z * 8.314 * temperature / pressure) * 1e3


def rachford_rice_flash(xp, p):
    """Chemical engineering: an isothermal flash, the vapour fraction solving the
    Rachford-Rice equation by fixed Newton steps, and the liquid and vapour
    compositions from the K-values."""
    feed = np.array([0.3, 0.25, 0.25, 0.2])
    k_values = np.array([3.5, 1.8, 0.6, 0.15]) * xp.exp(0.1 * p[:4])
    beta = 0.5
    for _ in range(12):
        denominator = 1.0 + beta * (k_values - 1.0)
        residual = xp.sum(feed * (k_values - 1.0) / denominator)
        slope = -xp.sum(feed * (k_values - 1.0) ** 2 / denominator ** 2)
        beta = beta - residual / slope
    liquid = feed / (1.0 + beta * (k_values - 1.0))
    vapour = k_values * liquid
    return beta + xp.sum(vapour * np.arange(1, 5)) - xp.sum(liquid ** 2)


def adsorption_isotherms(xp, p):
    """Surface chemistry: Langmuir and Freundlich isotherms fit to the same uptake
    data, each by squared error, combined by np.logaddexp2 as a soft minimum in bits."""
    pressure = np.array([0.2, 0.5, 1.0, 2.0, 4.0, 8.0])
    uptake = np.array([0.9, 1.8, 2.7, 3.6, 4.2, 4.6])
    capacity = 5.0 * xp.exp(0.2 * p[0])
    affinity = 0.8 * xp.exp(0.3 * p[1])
    langmuir = capacity * affinity * pressure / (1.0 + affinity * pressure)
    scale = 2.0 * xp.exp(0.2 * p[2])
    exponent = 0.4 + 0.1 * xp.tanh(p[3])
    freundlich = scale * pressure ** exponent
    langmuir_error = xp.sum((langmuir - uptake) ** 2)
    freundlich_error = xp.sum((freundlich - uptake) ** 2)
    return -xp.logaddexp2(-langmuir_error, -freundlich_error)


def zernike_wavefront(xp, p):
    """Optics: a wavefront as a sum of Zernike polynomials (defocus, astigmatism, coma,
    spherical) on a grid from np.mgrid, masked to the unit pupil, and its root mean
    square error and Strehl ratio by the Marechal approximation."""
    y, x = np.mgrid[-1:1:15j, -1:1:15j]
    radius, azimuth = np.hypot(x, y), np.arctan2(y, x)
    pupil = radius <= 1.0
    modes = np.stack([np.sqrt(3) * (2 * radius ** 2 - 1),
                      np.sqrt(6) * radius ** 2 * np.cos(2 * azimuth),
                      np.sqrt(8) * (3 * radius ** 3 - 2 * radius) * np.cos(azimuth),
                      np.sqrt(5) * (6 * radius ** 4 - 6 * radius ** 2 + 1)])
    wavefront = xp.tensordot(0.1 * p[:4], modes, axes=([0], [0]))
    inside = wavefront[pupil]
    rms = xp.sqrt(xp.mean((inside - xp.mean(inside)) ** 2))
    return xp.exp(-(2 * np.pi * rms) ** 2) + rms


def catmull_rom_length(xp, p):
    """Computer graphics: a closed Catmull-Rom spline through control points (the
    neighbours by np.roll), sampled by a basis matrix in np.einsum with '...', its
    length by summed chord lengths."""
    points = np.stack([np.cos(np.arange(6) * np.pi / 3), np.sin(np.arange(6) * np.pi / 3)],
                      axis=1) + 0.1 * p[:12].reshape(6, 2)
    segments = xp.stack([xp.roll(points, 1, axis=0), points,
                         xp.roll(points, -1, axis=0), xp.roll(points, -2, axis=0)], axis=1)
    t = np.linspace(0.0, 1.0, 8)
    powers = np.stack([np.ones_like(t), t, t ** 2, t ** 3], axis=1)
    basis = 0.5 * np.array([[0, 2, 0, 0], [-1, 0, 1, 0], [2, -5, 4, -1], [-1, 3, -3, 1]])
    weights = powers @ basis
    curve = xp.einsum('tk,...kd->...td', weights, segments)
    chords = xp.diff(curve, axis=-2)
    return xp.sum(xp.sqrt(xp.sum(chords ** 2, axis=-1) + 1e-12))


def ordinary_kriging(xp, p):
    """Geostatistics: ordinary kriging with an exponential variogram, the weights from
    the bordered system by np.linalg.solve (np.block), the estimate and the kriging
    variance at a target; the sill, range and nugget the parameters."""
    sites = np.array([[0.0, 0.0], [1.0, 0.2], [0.3, 1.1], [1.2, 1.0], [0.6, 0.5]])
    values = np.array([1.2, 0.7, 1.9, 1.4, 1.1])
    target = np.array([0.7, 0.8])
    sill, reach, nugget = xp.exp(0.2 * p[0]), 0.8 * xp.exp(0.2 * p[1]), 0.1 * xp.exp(p[2])
    distances = np.linalg.norm(sites[:, None] - sites[None], axis=-1)
    to_target = np.linalg.norm(sites - target, axis=-1)
    gamma = nugget * (distances > 0) + sill * (1.0 - xp.exp(-distances / reach))
    gamma_target = nugget + sill * (1.0 - xp.exp(-to_target / reach))
    system = xp.block([[gamma, np.ones((5, 1))], [np.ones((1, 5)), np.zeros((1, 1))]])
    solution = xp.linalg.solve(system, xp.concatenate([gamma_target, np.ones(1)]))
    estimate = solution[:5] @ values
    variance = solution @ xp.concatenate([gamma_target, np.ones(1)])
    return estimate + variance


def inverse_distance_weighting(xp, p):
    """Spatial interpolation: Shepard's inverse distance weighting of station
    readings onto a grid from np.meshgrid, the power a parameter, scored by its
    squared difference from a smooth field."""
    stations = np.array([[0.1, 0.2], [0.8, 0.1], [0.5, 0.9], [0.9, 0.8], [0.3, 0.6]])
    readings = 10.0 + p[:5]
    power = 2.0 + 0.5 * xp.tanh(p[5])
    gx, gy = np.meshgrid(np.linspace(0, 1, 6), np.linspace(0, 1, 5))
    distance = np.hypot(gx[..., None] - stations[:, 0], gy[..., None] - stations[:, 1])
    weights = 1.0 / distance ** power
    field = xp.sum(weights * readings, axis=-1) / xp.sum(weights, axis=-1)
    return xp.mean((field - 10.0 - np.sin(3 * gx) * np.cos(2 * gy)) ** 2)


def unscented_transform(xp, p):
    """Estimation: the unscented transform, sigma points from np.linalg.cholesky of
    the scaled covariance, pushed through a polar-to-Cartesian measurement, and the
    transformed mean and covariance (np.cov with aweights is not used: the weights
    may be negative)."""
    mean = np.array([2.0, 0.5]) + 0.1 * p[:2]
    root = np.array([[0.3, 0.0], [0.05, 0.2]]) * xp.exp(0.1 * p[2:4])
    covariance = root @ root.T
    n, kappa = 2, 1.0
    scaled = xp.linalg.cholesky((n + kappa) * covariance)
    sigma = xp.concatenate([mean[None], mean + scaled.T, mean - scaled.T])
    weights = np.array([kappa / (n + kappa)] + [0.5 / (n + kappa)] * (2 * n))
    measured = xp.stack([sigma[:, 0] * xp.cos(sigma[:, 1]),
                         sigma[:, 0] * xp.sin(sigma[:, 1])], axis=1)
    centre = weights @ measured
    spread = (measured - centre).T @ (weights[:, None] * (measured - centre))
    return xp.sum(centre) + xp.trace(spread) + xp.linalg.det(spread)


def arma_likelihood(xp, p):
    """Time series: the conditional Gaussian log-likelihood of an ARMA(1,1) model,
    the innovations by a Python recursion, the variance profiled out."""
    series = np.sin(np.arange(40) * 0.4) + 0.3 * np.cos(np.arange(40) * 1.3)
    phi, theta = 0.9 * xp.tanh(p[0]), 0.9 * xp.tanh(p[1])
    constant = 0.1 * p[2]
    previous_error = 0.0
    errors = []
    for t in range(1, series.size):
        error = series[t] - constant - phi * series[t - 1] - theta * previous_error
        errors.append(error)
        previous_error = error
    residuals = xp.stack(errors)
    variance = xp.mean(residuals ** 2)
    return 0.5 * residuals.size * xp.log(variance)


def poisson_rate_regression(xp, p):
    """Epidemiology: Poisson regression of case counts with a log link and a
    person-years offset, the log-likelihood with constant log-factorials from
    np.cumsum of np.log, and a ridge penalty."""
    exposure = np.array([120.0, 340.0, 80.0, 410.0, 260.0, 150.0])
    age = np.array([0.0, 1.0, 2.0, 0.0, 1.0, 2.0])
    smoker = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    cases = np.array([2, 9, 4, 14, 16, 13])
    log_factorial = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, 20)))])[cases]
    rate = xp.exp(-4.0 + 0.3 * p[0] + 0.3 * p[1] * age + 0.3 * p[2] * smoker)
    expected = exposure * rate
    log_likelihood = xp.sum(cases * xp.log(expected) - expected - log_factorial)
    return -log_likelihood + 0.05 * xp.sum(p[:3] ** 2)


def haar_wavelet_energy(xp, p):
    """Signal processing: a three-level Haar wavelet transform by reshaping into pairs,
    the detail coefficients' energies per level, and a smooth shrinkage of the
    finest details."""
    signal = np.sin(2 * np.pi * 3 * _SIGNAL_T[:32]) + 0.2 * p[:32]
    approximation = signal
    energies = []
    details = []
    for _ in range(3):
        pairs = approximation.reshape(-1, 2)
        detail = (pairs[:, 0] - pairs[:, 1]) / np.sqrt(2)
        approximation = (pairs[:, 0] + pairs[:, 1]) / np.sqrt(2)
        energies.append(xp.sum(detail ** 2))
        details.append(detail)
    shrunk = details[0] * details[0] ** 2 / (details[0] ** 2 + 0.01)
    return xp.sum(xp.stack(energies) * np.array([1.0, 2.0, 4.0])) + xp.sum(shrunk ** 2)


def hilbert_envelope(xp, p):
    """Signal processing: the analytic signal by the FFT (negative frequencies zeroed,
    positive doubled), the envelope by np.abs and the instantaneous phase by np.unwrap
    of np.angle, of an amplitude-modulated tone."""
    n = 64
    amplitude = 1.0 + 0.5 * xp.tanh(p[0]) * np.cos(2 * np.pi * 2 * _SIGNAL_T)
    tone = amplitude * xp.cos(2 * np.pi * (10 + 0.3 * p[1]) * _SIGNAL_T + 0.2 * p[2])
    spectrum = xp.fft.fft(tone)
    doubling = np.zeros(n)
    doubling[0], doubling[n // 2] = 1.0, 1.0
    doubling[1:n // 2] = 2.0
    analytic = xp.fft.ifft(spectrum * doubling)
    envelope = xp.abs(analytic)
    phase = xp.unwrap(xp.angle(analytic))
    return xp.mean((envelope - 1.0) ** 2) + (phase[-1] - phase[0]) / n


def real_cepstrum(xp, p):
    """Speech: the real cepstrum of an echoed pulse (np.fft.rfft, log magnitude,
    np.fft.irfft), its quefrency peak near the echo delay weighted by a smooth
    window, and the energy of its low quefrencies."""
    n = 64
    pulse = xp.exp(-((np.arange(n) - 10.0) / (2.0 + 0.2 * xp.tanh(p[0]))) ** 2)
    echo = 0.5 * xp.tanh(p[1]) * xp.exp(-((np.arange(n) - 30.0) / 2.0) ** 2)
    spectrum = xp.fft.rfft(pulse + echo + 0.01)
    cepstrum = xp.fft.irfft(xp.log(xp.abs(spectrum) ** 2 + 1e-6), n)
    window = np.exp(-((np.arange(n) - 20.0) / 3.0) ** 2)
    return xp.sum(cepstrum * window) + xp.sum(cepstrum[:8] ** 2)


def upwind_advection(xp, p):
    """Transport: a pollutant pulse advected around a periodic river reach by the
    first-order upwind scheme with np.roll, with first-order decay, and the
    concentration recorded at a downstream gauge."""
    cells = 40
    x = np.arange(cells) / cells
    concentration = xp.exp(-((x - 0.2 - 0.02 * p[0]) / (0.05 * xp.exp(0.1 * p[1]))) ** 2)
    courant = 0.6 + 0.1 * xp.tanh(p[2])
    decay = 0.01 * xp.exp(p[3])
    gauge = []
    for _ in range(25):
        concentration = concentration - courant * (concentration - xp.roll(concentration, 1))
        concentration = concentration * (1.0 - decay)
        gauge.append(concentration[20])
    return xp.sum(xp.stack(gauge) ** 2)


PROGRAMS = [
    # (program, parameters, whether HIPS autograd has every function it calls)
    (item_response_3pl, _rng.normal(size=12), True),
    (brune_source_spectrum, _rng.normal(size=3), True),
    (eyring_reverberation, _rng.normal(size=6), True),
    (nash_unit_hydrograph, _rng.normal(size=3), False),  # no convolve rule
    (sigmoid_emax, _rng.normal(size=4), False),  # no float_power rule for the exponent
    (crf_log_partition, _rng.normal(size=27), False),  # no logaddexp.reduce
    (peng_robinson_density, _rng.normal(size=2), True),
    (rachford_rice_flash, _rng.normal(size=4), True),
    (adsorption_isotherms, _rng.normal(size=4), True),
    (zernike_wavefront, _rng.normal(size=4), True),
    (catmull_rom_length, _rng.normal(size=12), True),
    (ordinary_kriging, _rng.normal(size=3), False),  # np.block makes an object array
    (inverse_distance_weighting, _rng.normal(size=6), True),
    (unscented_transform, _rng.normal(size=4), True),
    (arma_likelihood, _rng.normal(size=3), True),
    (poisson_rate_regression, _rng.normal(size=3), True),
    (haar_wavelet_energy, _rng.normal(size=32), True),
    (hilbert_envelope, _rng.normal(size=3), False),  # no unwrap rule
    (real_cepstrum, _rng.normal(size=2), True),
    (upwind_advection, _rng.normal(size=4), True),
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
