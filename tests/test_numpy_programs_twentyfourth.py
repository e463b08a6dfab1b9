"""A twenty-fourth set of short NumPy programs, from domains and NumPy calls the earlier
rounds did not visit: hydrology (L-moments of annual floods by ``np.sort`` and
probability-weighted moments), time series (a Yule-Walker AR fit from the
autocorrelation by ``np.correlate(mode="full")`` and a Toeplitz ``np.linalg.solve``; a
Hodrick-Prescott trend by second differences of ``np.eye`` and a solve), signal
processing (Welch's power spectrum by ``sliding_window_view``, a Hann window and
``np.fft.rfft``; a Goertzel detector by its recursion), structural mechanics (a beam's
finite elements assembled by ``np.add.at`` into a Tensor and solved), quantum mechanics
(a particle in a finite well by ``np.linalg.eigvalsh`` of a finite-difference
Hamiltonian), orbital mechanics (Kepler's equation by Newton iterations), rigid bodies
(an inertia tensor by ``np.einsum`` and its principal moments by ``np.linalg.eigh``),
finance (drawdowns by ``np.maximum.accumulate``, historical VaR and CVaR by ``np.sort``,
the Gini coefficient by a Lorenz curve and ``np.trapezoid``, a loan's amortisation by
``np.cumprod``) and statistics (Theil-Sen slopes over ``np.triu_indices`` by
``np.median``, Mahalanobis distances by ``np.linalg.cholesky``). Each is differentiated
with ``ad.grad`` and checked as every round is (``numpy_program_checks``), float32
included.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261224)
_FLOODS = np.exp(_rng.normal(5.0, 0.4, size=20))
_SERIES = np.cumsum(_rng.normal(size=24)) * 0.3 + np.sin(np.arange(24) / 3.0)
_SIGNAL = np.sin(2 * np.pi * 0.18 * np.arange(64)) + 0.3 * _rng.normal(size=64)
_RETURNS = _rng.normal(0.0005, 0.01, size=(40, 3))
_INCOMES = np.exp(_rng.normal(10.0, 0.6, size=15))
_SCATTER_X = np.sort(_rng.uniform(0.0, 10.0, size=9))
_SCATTER_Y = 1.5 + 0.8 * _SCATTER_X + _rng.standard_t(3, size=9)
_SAMPLES = _rng.normal(size=(12, 3)) @ np.array([[1.0, 0.3, 0.0], [0.0, 0.8, 0.2], [0.0, 0.0, 0.5]])


def flood_l_moments(xp, p):
    """Hydrology: annual floods rescaled by a location and a log-scale, sorted by
    ``np.sort``, the first three probability-weighted moments ``b_r`` by plotting
    positions, and the L-moments ``l1``, ``l2`` and the L-skewness ``t3``; a generalised
    extreme-value fit's squared mismatch to target L-moments."""
    floods = xp.sort(p[0] * 10 + _FLOODS * xp.exp(0.1 * p[1]))
    n = floods.size
    ranks = np.arange(n)
    b0 = xp.mean(floods)
    b1 = xp.sum(ranks / (n - 1) * floods) / n
    b2 = xp.sum(ranks * (ranks - 1) / ((n - 1) * (n - 2)) * floods) / n
    l1, l2, l3 = b0, 2 * b1 - b0, 6 * b2 - 6 * b1 + b0
    t3 = l3 / l2
    return (l1 / 150.0 - 1.0) ** 2 + (l2 / 30.0 - 1.0) ** 2 + (t3 - 0.1) ** 2


def yule_walker_ar(xp, p):
    """Time series: an AR(3) fit by the Yule-Walker equations, the series detrended by
    a parameterised line, the autocovariances by ``np.correlate(x, x, mode="full")``, a
    Toeplitz system built by fancy indexing with ``np.abs(np.subtract.outer(...))``,
    solved by ``np.linalg.solve``; the innovation variance and coefficients."""
    t = np.arange(_SERIES.size)
    x = _SERIES - (p[0] + 0.1 * p[1] * t)
    x = x - xp.mean(x)
    autocovariance = xp.correlate(x, x, mode="full")[x.size - 1:] / x.size
    lags = np.abs(np.subtract.outer(np.arange(3), np.arange(3)))
    toeplitz = autocovariance[lags]
    coefficients = xp.linalg.solve(toeplitz, autocovariance[1:4])
    innovation = autocovariance[0] - xp.dot(coefficients, autocovariance[1:4])
    return innovation + xp.sum(coefficients ** 2)


def hodrick_prescott_trend(xp, p):
    """Macroeconomics: the Hodrick-Prescott trend of a series, ``(I + lam D'D) tau =
    y`` with ``D`` the second differences of ``np.eye`` by ``np.diff(axis=0)``, the
    smoothing ``lam`` a parameter; the cycle's variance and the trend's end slope."""
    smoothing = 10.0 * xp.exp(p[0])
    y = _SERIES * (1 + 0.1 * p[1])
    second = np.diff(np.eye(y.size), n=2, axis=0)
    trend = xp.linalg.solve(np.eye(y.size) + smoothing * (second.T @ second), y)
    cycle = y - trend
    return xp.var(cycle) + (trend[-1] - trend[-2]) ** 2


def welch_spectrum(xp, p):
    """Signal processing: Welch's power spectrum of a noisy tone, the signal scaled and
    offset by parameters, cut into half-overlapping segments by
    ``np.lib.stride_tricks.sliding_window_view`` (every 8th window), each detrended by
    its mean, weighted by ``np.hanning`` and transformed by ``np.fft.rfft``; the
    log-power in the tone's band less that of the rest over a floor, an interfering
    tone's amplitude the second parameter."""
    signal = (1 + 0.2 * xp.tanh(p[0])) * _SIGNAL + 0.3 * p[1] * np.cos(0.8 * np.pi * np.arange(64))
    segments = np.lib.stride_tricks.sliding_window_view(signal, 16)[::8]
    segments = segments - xp.mean(segments, axis=1, keepdims=True)
    window = np.hanning(16)
    spectra = xp.abs(xp.fft.rfft(segments * window, axis=1)) ** 2 / xp.sum(window ** 2)
    power = xp.mean(spectra, axis=0)
    frequencies = np.fft.rfftfreq(16)
    band = (frequencies > 0.12) & (frequencies < 0.25)
    return xp.log(xp.sum(power[band])) - xp.log(xp.sum(power[~band]) + 1.0)


def goertzel_detector(xp, p):
    """Telephony: the Goertzel algorithm's second-order recursion
    ``s[n] = x[n] + 2 cos(w) s[n-1] - s[n-2]`` run over a tone whose frequency and
    amplitude are parameters, the power at the detector's bin from the last two states."""
    frequency, amplitude = 0.18 + 0.01 * xp.tanh(p[0]), 1.0 + 0.2 * p[1]
    n = np.arange(32)
    tone = amplitude * xp.sin(2 * np.pi * frequency * n) + 0.05 * _SIGNAL[:32]
    coefficient = 2 * np.cos(2 * np.pi * 6 / 32)
    previous, before = 0.0, 0.0
    for sample in tone:
        previous, before = sample + coefficient * previous - before, previous
    return (previous ** 2 + before ** 2 - coefficient * previous * before) / 100


def beam_deflection(xp, p):
    """Structural mechanics: a cantilever of six Euler-Bernoulli elements whose
    stiffness tapers by parameters, 4x4 element matrices ``np.einsum``-scaled and
    assembled by ``np.add.at`` into a Tensor global matrix (``np.zeros_like``), the
    clamped end removed, loads solved for by ``np.linalg.solve``; the tip deflection and
    the strain energy."""
    elements, length = 6, 0.5
    stiffness = 200.0 * xp.exp(p[0] + p[1] * np.linspace(0, 1, elements))
    unit = np.array([[12, 6 * length, -12, 6 * length],
                     [6 * length, 4 * length ** 2, -6 * length, 2 * length ** 2],
                     [-12, -6 * length, 12, -6 * length],
                     [6 * length, 2 * length ** 2, -6 * length, 4 * length ** 2]]) / length ** 3
    local = xp.einsum("e,ij->eij", stiffness, unit)
    dofs = 2 * np.arange(elements)[:, None] + np.arange(4)
    size = 2 * elements + 2
    matrix = xp.zeros_like(stiffness, shape=(size, size))
    xp.add.at(matrix, (dofs[:, :, None], dofs[:, None, :]), local)
    load = np.zeros(size)
    load[-2] = -1.0
    displacement = xp.linalg.solve(matrix[2:, 2:], load[2:])
    return -displacement[-2] + 0.5 * xp.dot(displacement, load[2:])


def finite_well_levels(xp, p):
    """Quantum mechanics: a particle in a finite square well on a 40-point grid, the
    well's depth and width parameters smoothed by ``np.tanh`` edges, the Hamiltonian
    ``-1/2 d2/dx2 + V`` by ``np.diag`` of offsets, its three lowest levels by
    ``np.linalg.eigvalsh``; their spacing ratios."""
    x = np.linspace(-4.0, 4.0, 40)
    h = x[1] - x[0]
    depth, half_width = 6.0 * xp.exp(0.2 * p[0]), 1.2 + 0.2 * xp.tanh(p[1])
    potential = -depth / 2 * (xp.tanh(4 * (x + half_width)) - xp.tanh(4 * (x - half_width)))
    kinetic = (np.diag(np.full(40, 1.0)) - 0.5 * np.diag(np.ones(39), 1)
               - 0.5 * np.diag(np.ones(39), -1)) / h ** 2
    levels = xp.linalg.eigvalsh(kinetic + xp.diag(potential))[:3]
    return (levels[1] - levels[0]) / (levels[2] - levels[1]) + levels[0] / 10


def kepler_orbit(xp, p):
    """Orbital mechanics: positions along an ellipse by Kepler's equation ``M = E - e
    sin E`` solved with eight Newton steps from ``E = M``, the eccentricity and the
    semi-major axis parameters; the true anomaly by ``np.arctan2`` and the squared
    mismatch of radii with sightings."""
    eccentricity, axis = 0.3 + 0.1 * xp.tanh(p[0]), 1.5 * xp.exp(0.1 * p[1])
    mean_anomaly = np.linspace(0.1, 2 * np.pi - 0.1, 9)
    e = mean_anomaly + 0.0 * eccentricity
    for _ in range(8):
        e = e - (e - eccentricity * xp.sin(e) - mean_anomaly) / (1 - eccentricity * xp.cos(e))
    true = 2 * xp.arctan2(xp.sqrt(1 + eccentricity) * xp.sin(e / 2),
                          xp.sqrt(1 - eccentricity) * xp.cos(e / 2))
    radius = axis * (1 - eccentricity ** 2) / (1 + eccentricity * xp.cos(true))
    sightings = 1.5 * 0.91 / (1 + 0.3 * np.cos(mean_anomaly + 0.2))
    return xp.sum((radius - sightings) ** 2)


def inertia_principal_axes(xp, p):
    """Rigid bodies: point masses (masses by ``np.exp`` of parameters) about their centre
    of mass, the inertia tensor ``sum m (|r|^2 I - r r^T)`` by ``np.einsum``, the
    principal moments by ``np.linalg.eigh``; the asymmetry of the moments and the major
    axis's alignment with z."""
    positions = _SAMPLES[:8]
    masses = xp.exp(0.3 * p[:8])
    centre = xp.sum(masses[:, None] * positions, axis=0) / xp.sum(masses)
    r = positions - centre
    squared = xp.sum(r ** 2, axis=1)
    tensor = xp.einsum("n,nij->ij", masses, squared[:, None, None] * np.eye(3)
                       - xp.einsum("ni,nj->nij", r, r))
    moments, axes = xp.linalg.eigh(tensor)
    return (moments[2] - moments[0]) / xp.sum(moments) + axes[2, 0] ** 2


def drawdown_risk(xp, p):
    """Finance: a three-asset portfolio's value from softmax weights, the running peak
    by ``np.maximum.accumulate`` and the drawdowns below it; the mean drawdown and the
    Calmar-like ratio of the annualised return to the worst drawdown."""
    weights = xp.exp(p[:3]) / xp.sum(xp.exp(p[:3]))
    value = xp.cumprod(1 + _RETURNS @ weights)
    peak = xp.maximum.accumulate(value)
    drawdown = 1 - value / peak
    annual = value[-1] ** (252 / value.size) - 1
    return xp.mean(drawdown) * 100 - annual / (xp.max(drawdown) + 0.01)


def historical_var_cvar(xp, p):
    """Risk: historical value at risk and expected shortfall of a portfolio, the losses
    sorted by ``np.sort``, VaR by ``np.quantile(method="linear")`` at 90 %, CVaR as the
    mean of the worst tail by slicing the sorted losses; their weighted sum."""
    weights = xp.exp(p[:3]) / xp.sum(xp.exp(p[:3]))
    losses = -(_RETURNS @ weights) * 100
    var = xp.quantile(losses, 0.9)
    tail = xp.sort(losses)[-4:]
    return var + xp.mean(tail)


def gini_lorenz(xp, p):
    """Economics: incomes after a parameterised flat tax and a basic income, sorted by
    ``np.sort``, the Lorenz curve by ``np.cumsum`` with ``np.concatenate`` of a leading
    zero, and the Gini coefficient ``1 - 2 * area`` by ``np.trapezoid``."""
    tax, basic = 0.2 + 0.1 * xp.tanh(p[0]), 3000.0 * xp.exp(0.2 * p[1])
    incomes = xp.sort(_INCOMES * (1 - tax) + basic)
    shares = xp.concatenate([xp.zeros(1), xp.cumsum(incomes) / xp.sum(incomes)])
    population = np.linspace(0.0, 1.0, incomes.size + 1)
    return 1 - 2 * xp.trapezoid(shares, population)


def loan_amortisation(xp, p):
    """Finance: a 24-month loan's level payment ``P r / (1 - (1 + r)^-n)``, the balance
    after each month by ``np.cumprod`` of growth factors with the payments discounted
    (a closed form), interest paid by ``np.diff``; total interest and the balance at
    month 12."""
    rate, principal = 0.005 * xp.exp(0.2 * p[0]), 10000.0 * (1 + 0.1 * p[1])
    months = 24
    payment = principal * rate / (1 - (1 + rate) ** -months)
    growth = xp.cumprod(xp.full_like(rate, 1.0, shape=(months,)) * (1 + rate))
    balance = principal * growth - payment * (growth - 1) / rate
    previous = xp.concatenate([xp.reshape(principal, (1,)), balance[:-1]])
    interest = previous * rate
    paid_down = -xp.diff(xp.concatenate([xp.reshape(principal, (1,)), balance]))
    return xp.sum(interest) / 100 + balance[11] / 1000 + xp.sum(paid_down) / 1e4


def theil_sen_slopes(xp, p):
    """Robust statistics: the Theil-Sen estimator, slopes over every pair by
    ``np.triu_indices``, their ``np.median``, and the intercept as the median residual;
    the observations shifted and tilted by parameters."""
    y = _SCATTER_Y + p[0] + p[1] * _SCATTER_X + 0.1 * p[2] * _SCATTER_X ** 2
    i, j = np.triu_indices(_SCATTER_X.size, k=1)
    slopes = (y[j] - y[i]) / (_SCATTER_X[j] - _SCATTER_X[i])
    slope = xp.median(slopes)
    intercept = xp.median(y - slope * _SCATTER_X)
    return slope ** 2 + intercept


def mahalanobis_outliers(xp, p):
    """Multivariate statistics: squared Mahalanobis distances of samples from a shifted
    mean under a covariance ``L L^T + 0.1 I`` built from parameters, whitened by
    ``np.linalg.solve`` against ``np.linalg.cholesky``; a soft count of outliers beyond
    the chi-square 95 % point and the log-determinant."""
    mean = p[:3] * 0.1
    factor = xp.reshape(p[3:12], (3, 3)) * 0.3 + np.eye(3)
    covariance = factor @ factor.T + 0.1 * np.eye(3)
    cholesky = xp.linalg.cholesky(covariance)
    whitened = xp.linalg.solve(cholesky, (_SAMPLES - mean).T)
    distances = xp.sum(whitened ** 2, axis=0)
    soft_outliers = xp.sum(1 / (1 + xp.exp(-(distances - 7.81))))
    return soft_outliers + 2 * xp.sum(xp.log(xp.diagonal(cholesky))) + xp.mean(distances)


PROGRAMS = [
    (flood_l_moments, _rng.normal(0.0, 0.5, size=2), True),
    (yule_walker_ar, _rng.normal(0.0, 0.5, size=2), False),  # autograd: no correlate
    (hodrick_prescott_trend, _rng.normal(0.0, 0.5, size=2), True),
    (welch_spectrum, _rng.normal(0.0, 0.5, size=2), False),  # autograd: rfft fails on NumPy 2
    (goertzel_detector, _rng.normal(0.0, 0.5, size=2), True),
    (beam_deflection, _rng.normal(0.0, 0.3, size=2), False),  # autograd: no add.at
    (finite_well_levels, _rng.normal(0.0, 0.5, size=2), False),  # autograd: no eigvalsh VJP
    (kepler_orbit, _rng.normal(0.0, 0.5, size=2), True),
    (inertia_principal_axes, _rng.normal(0.0, 0.5, size=8), True),
    (drawdown_risk, _rng.normal(0.0, 0.5, size=3), False),  # autograd: no accumulate
    (historical_var_cvar, _rng.normal(0.0, 0.5, size=3), False),  # autograd: no quantile VJP
    (gini_lorenz, _rng.normal(0.0, 0.5, size=2), False),  # autograd: no trapezoid
    (loan_amortisation, _rng.normal(0.0, 0.5, size=2), False),  # autograd: no cumprod VJP
    (theil_sen_slopes, _rng.normal(0.0, 0.5, size=3), False),  # autograd: no median VJP
    (mahalanobis_outliers, _rng.normal(0.0, 0.5, size=12), False),  # autograd: 2-D diagonal only
]

globals().update(program_tests(PROGRAMS, float32=True, finite=True))  # the shared checks
