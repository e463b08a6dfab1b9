"""A fifteenth set of short NumPy programs, from domains and NumPy calls the earlier
rounds did not visit: hydrology (Manning's equation with ``np.power`` of arrays,
``np.full_like``, ``np.square`` and ``np.cbrt``; rainfall with gaps by ``np.nancumsum``
and ``np.nanprod``), acoustics (decibels by ``np.log10`` of ``np.maximum(x, 1e-12)``,
octaves by ``np.log2`` and ``np.exp2``), astronomy (Kepler's equation by Newton steps in
a loop with ``np.arctan2``; magnitudes, colours and distance moduli with weighted
``np.average``), genetics (Hardy-Weinberg from a weighted ``np.bincount``), epidemiology
(a binomial likelihood with ``np.log(np.clip(q, eps, 1))``), finance (minimum-variance
and tangency portfolios by ``np.linalg.solve`` on a shrunk ``np.cov``; Black-Scholes
delta and gamma by finite differences against N(d1)), integer constants
(``np.lcm.reduce`` and ``np.gcd.reduce`` of billing periods), game theory (fictitious
play with ``np.argmax``/``np.argmin`` indexing an ndarray of counts), survey statistics
(raking by iterative proportional fitting from ``np.outer``), machine learning without
frameworks (soft k-means, a Gaussian-mixture EM step by ``np.einsum`` and
``np.logaddexp``, PCA by ``np.linalg.eigh``, kernel ridge regression by broadcasting,
the t-SNE objective, whose hand-written gradient is checked against the engine's),
pharmacokinetics (a three-compartment model by ``np.linalg.eig`` and ``np.trapezoid``;
trough levels after repeated doses by ``np.power`` to integer dose counts), vibration
(complex modes by ``np.linalg.eig`` of a non-symmetric state matrix), signals
(``np.heaviside`` steps and ``np.fmod`` sawtooths), information in bits
(``np.logaddexp2`` and its ``reduce``), mechanics with NumPy 2's ``np.linalg.cross``,
``np.linalg.outer`` and ``np.linalg.matmul``, numerics (a ``np.nextafter`` floor), Elo
ratings updated in a Python list, and speech recognition (a left-to-right HMM's forward
algorithm by ``np.logaddexp.reduce(where=, initial=)``).  Each is differentiated
unchanged with ``ad.grad`` and checked as every round is (``numpy_program_checks``).
The HMM needed the library fixed: ``np.logaddexp.reduce`` and ``np.logaddexp2.reduce``
refused ``initial=`` and ``where=`` on a Tensor (test_log_add_exp_masking.py).  One was
rewritten: rainfall first written as
``np.nansum(coefficient * rain)`` with parameters scaling every day had a NaN gradient
(the zero that ``nansum`` sends to a missing day times the NaN rain in the product's
rule, as PyTorch's ``nansum`` gives too), so the missing days are NaN constants and the
runoff is summed over the recorded days.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

import autodiff as ad
from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261215)
_POINTS = _rng.normal(size=(6, 2))
_TARGETS = np.sin(_POINTS[:, 0]) + 0.5 * _POINTS[:, 1]
_CASES = np.array([3, 7, 12, 20, 31, 40, 44])
_GENOTYPES = np.array([0, 1, 1, 2, 0, 1, 2, 2, 1, 0, 1, 1])
_PAYOFF = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])
_DATA = np.concatenate([_rng.normal(-1.0, 0.5, size=6), _rng.normal(1.5, 0.7, size=6)])
_HIGH = _rng.normal(size=(5, 3))
_PERIODS = np.array([12, 18, 30])
_MARGINS_ROWS = np.array([0.3, 0.5, 0.2])
_MARGINS_COLS = np.array([0.45, 0.55])
_SPOTS = np.array([90.0, 100.0, 110.0])
_TRUE_MEANS = np.array([0.05, 0.08, 0.03, 0.06])


def manning_open_channel(xp, p):
    """Hydrology: trapezoidal channels by Manning's equation with np.power of arrays
    (the hydraulic radius to 2/3, the slope to 1/2), a constant slope by np.full_like,
    and the Froude number from np.square of the velocity and np.cbrt."""
    depth = 1.0 + 0.1 * p[:3]
    width, side, n = 4.0, 1.5, 0.03 * xp.exp(0.05 * p[3])
    area = (width + side * depth) * depth
    perimeter = width + 2.0 * depth * np.sqrt(1.0 + side ** 2)
    radius = area / perimeter
    slope = xp.full_like(depth, 0.001) * (1.0 + 0.1 * p[4])
    discharge = xp.power(radius, 2.0 / 3.0) * xp.power(slope, 0.5) * area / n
    velocity = discharge / area
    froude = xp.square(velocity) / (9.81 * xp.cbrt(area ** 3) / (width + 2 * side * depth))
    return xp.sum(discharge) + xp.sum(froude)


def sound_levels(xp, p):
    """Acoustics: pressures to decibels by 20 np.log10 of np.maximum(p, 1e-12), levels
    of incoherent sources summed by 10 log10 of a sum of 10 ** (L / 10), and octave
    steps by np.log2 and np.exp2."""
    pressure = 0.02 * xp.exp(0.3 * p[:4])
    levels = 20.0 * xp.log10(xp.maximum(pressure / 2e-5, 1e-12))
    total = 10.0 * xp.log10(xp.sum(10.0 ** (levels / 10.0)))
    frequencies = 250.0 * xp.exp2(0.5 * p[4:6])
    octaves = xp.log2(frequencies / 1000.0)
    return total / 10.0 + xp.sum(octaves ** 2)


def kepler_newton(xp, p):
    """Astronomy: Kepler's equation E - e sin E = M for several mean anomalies by a
    fixed number of Newton iterations in a loop, then the true anomaly by np.arctan2
    and the radius."""
    e = 0.3 + 0.05 * xp.tanh(p[0])
    mean_anomaly = xp.linspace(0.2, 3.0, 5) + 0.1 * p[1:6]
    eccentric = mean_anomaly
    for _ in range(8):
        eccentric = eccentric - (eccentric - e * xp.sin(eccentric) - mean_anomaly) \
            / (1.0 - e * xp.cos(eccentric))
    true_anomaly = 2.0 * xp.arctan2(xp.sqrt(1 + e) * xp.sin(eccentric / 2),
                                    xp.sqrt(1 - e) * xp.cos(eccentric / 2))
    radius = 1.0 - e * xp.cos(eccentric)
    return xp.sum(true_anomaly) + xp.sum(radius ** 2)


def hardy_weinberg(xp, p):
    """Genetics: genotype counts by np.bincount of observed genotypes weighted by
    per-sample parameter weights, the allele frequency, and the chi-square statistic
    against Hardy-Weinberg proportions."""
    weights = xp.exp(0.2 * p)
    counts = xp.bincount(_GENOTYPES, weights=weights, minlength=3)
    total = xp.sum(counts)
    allele = (2 * counts[0] + counts[1]) / (2 * total)
    expected = total * xp.stack([allele ** 2, 2 * allele * (1 - allele), (1 - allele) ** 2])
    return xp.sum((counts - expected) ** 2 / expected)


def epidemic_binomial_likelihood(xp, p):
    """Epidemiology: a logistic-growth incidence curve, the attack probability clipped by
    np.log(np.clip(q, eps, 1)) in a binomial log-likelihood of cumulative cases."""
    rate, midpoint = 0.5 + 0.1 * p[0], 3.0 + 0.3 * p[1]
    days = np.arange(7.0)
    q = 0.05 / (1.0 + xp.exp(-rate * (days - midpoint)))
    eps = 1e-12
    population = 1000
    log_lik = _CASES * xp.log(xp.clip(q, eps, 1.0)) \
        + (population - _CASES) * xp.log(xp.clip(1.0 - q, eps, 1.0))
    return -xp.sum(log_lik) / 100.0


def portfolio_with_shrinkage(xp, p):
    """Finance: a sample covariance from np.cov of parameter returns, shrunk toward its
    diagonal, the minimum-variance weights by np.linalg.solve against ones, and the
    tangency weights for expected returns."""
    returns = _HIGH @ np.ones((3, 4)) * 0.01 + 0.02 * p.reshape(5, 4)
    sample = xp.cov(returns, rowvar=False)
    target = xp.diag(xp.diag(sample))
    shrunk = 0.7 * sample + 0.3 * target
    ones = np.ones(4)
    raw = xp.linalg.solve(shrunk, ones)
    weights = raw / xp.sum(raw)
    tangency = xp.linalg.solve(shrunk, _TRUE_MEANS)
    return weights @ shrunk @ weights * 1e3 + xp.sum(tangency / xp.sum(tangency)) ** 2


def billing_cycles(xp, p):
    """Number crunching with integer constants: the common cycle of billing periods by
    np.lcm.reduce and a block size by np.gcd, used as constants to build a grid of
    days on which a parameter payment schedule is summed."""
    cycle = int(np.lcm.reduce(_PERIODS))
    block = int(np.gcd.reduce(_PERIODS))
    days = np.arange(0, cycle, block, dtype=float)
    amounts = xp.exp(0.1 * p[:3])
    due = (days[:, None] % _PERIODS[None, :]) == 0
    payments = xp.sum(xp.where(due, amounts, 0.0), axis=1)
    discount = xp.exp(-0.001 * (1.0 + 0.1 * p[3]) * days)
    return xp.sum(payments * discount)


def fictitious_play(xp, p):
    """Game theory: fictitious play in a perturbed rock-paper-scissors, each player
    best-responding by np.argmax (a constant index) to the other's empirical mixture,
    the final value of the empirical mixtures under the parameter payoff."""
    payoff = _PAYOFF + 0.1 * p.reshape(3, 3)
    counts_row, counts_col = np.ones(3), np.ones(3)
    for _ in range(20):
        row_mix, col_mix = counts_row / counts_row.sum(), counts_col / counts_col.sum()
        counts_row[np.argmax(payoff @ col_mix)] += 1
        counts_col[np.argmin(row_mix @ payoff)] += 1
    row_mix, col_mix = counts_row / counts_row.sum(), counts_col / counts_col.sum()
    return row_mix @ payoff @ col_mix + xp.sum(payoff ** 2) / 10


def raking_survey_weights(xp, p):
    """Survey statistics: a parameter seed table raked to known row and column margins
    by iterative proportional fitting, the start built by np.outer, and the loss the
    squared change of the weights against the seed."""
    seed = xp.outer(xp.exp(0.2 * p[:3]), xp.exp(0.2 * p[3:5])) + 0.1
    table = seed / xp.sum(seed)
    for _ in range(10):
        table = table * (_MARGINS_ROWS / xp.sum(table, axis=1))[:, None]
        table = table * (_MARGINS_COLS / xp.sum(table, axis=0))[None, :]
    return xp.sum((table - seed / xp.sum(seed)) ** 2) * 100 + table[0, 0]


def soft_kmeans(xp, p):
    """Machine learning by hand: soft k-means, responsibilities by a softmax of negative
    squared distances written by broadcasting, the centres updated three times."""
    centres = xp.reshape(p, (2, 1)) + np.array([[-1.0], [1.0]])
    for _ in range(3):
        distances = (_DATA[None, :] - centres) ** 2
        logits = -2.0 * distances
        logits = logits - xp.max(logits, axis=0, keepdims=True)
        resp = xp.exp(logits) / xp.sum(xp.exp(logits), axis=0, keepdims=True)
        centres = xp.sum(resp * _DATA[None, :], axis=1, keepdims=True) \
            / xp.sum(resp, axis=1, keepdims=True)
    return xp.sum(centres ** 2) + xp.sum(resp[0] * resp[1])


def gaussian_mixture_em(xp, p):
    """A two-component Gaussian mixture in 2-D: one EM step with responsibilities from
    Mahalanobis terms by np.einsum, the new means and covariances by np.einsum, and the
    log-likelihood by np.logaddexp."""
    X = _POINTS
    means = p[:4].reshape(2, 2)
    covs = np.stack([np.eye(2), np.eye(2)]) * xp.exp(0.1 * p[4:6])[:, None, None]
    diff = X[None, :, :] - means[:, None, :]
    precision = xp.linalg.inv(covs)
    maha = xp.einsum('kni,kij,knj->kn', diff, precision, diff)
    log_det = xp.log(xp.linalg.det(covs))
    log_p = -0.5 * (maha + log_det[:, None]) + xp.log(0.5)
    resp = xp.exp(log_p - xp.logaddexp(log_p[0], log_p[1])[None, :])
    weight = xp.sum(resp, axis=1)
    new_means = xp.einsum('kn,ni->ki', resp, X) / weight[:, None]
    centred = X[None, :, :] - new_means[:, None, :]
    new_covs = xp.einsum('kn,kni,knj->kij', resp, centred, centred) / weight[:, None, None]
    return xp.sum(xp.logaddexp(log_p[0], log_p[1])) + xp.sum(new_covs ** 2)


def pca_by_eigh(xp, p):
    """PCA: the covariance of centred parameter data, its leading eigenvectors by
    np.linalg.eigh, the explained variance ratio and the reconstruction error."""
    data = _HIGH + 0.3 * p.reshape(5, 3)
    centred = data - xp.mean(data, axis=0)
    cov = centred.T @ centred / (data.shape[0] - 1)
    values, vectors = xp.linalg.eigh(cov)
    top = vectors[:, -2:]
    reconstructed = centred @ top @ top.T
    return values[-1] / xp.sum(values) + xp.sum((centred - reconstructed) ** 2)


def kernel_ridge(xp, p):
    """Kernel ridge regression: a Gaussian kernel of squared distances written by
    broadcasting, parameter length scale and noise, dual weights by np.linalg.solve,
    predictions at new points, and the squared error."""
    length, noise = xp.exp(0.2 * p[0]), 0.1 * xp.exp(0.2 * p[1])
    X = _POINTS + 0.1 * p[2:].reshape(6, 2)
    sq = xp.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
    K = xp.exp(-sq / (2 * length ** 2))
    alpha = xp.linalg.solve(K + noise * np.eye(6), _TARGETS)
    query = np.array([[0.0, 0.5], [1.0, -1.0]])
    cross = xp.exp(-xp.sum((query[:, None, :] - X[None, :, :]) ** 2, axis=-1) / (2 * length ** 2))
    return xp.sum((cross @ alpha) ** 2) + xp.sum((K @ alpha - _TARGETS) ** 2)


def tsne_objective(xp, p):
    """t-SNE: Gaussian affinities of fixed high-dimensional points (symmetrised), a
    Student-t kernel on the parameter embedding with np.fill_diagonal on the affinities,
    and the Kullback-Leibler objective."""
    Y = p.reshape(5, 2)
    d_high = np.sum((_HIGH[:, None] - _HIGH[None]) ** 2, axis=-1)
    P = np.exp(-d_high)
    np.fill_diagonal(P, 0.0)
    P = P / P.sum(axis=1, keepdims=True)
    P = (P + P.T) / (2 * P.shape[0])
    d_low = xp.sum((Y[:, None, :] - Y[None, :, :]) ** 2, axis=-1)
    kernel = 1.0 / (1.0 + d_low) * (1.0 - np.eye(5))
    Q = kernel / xp.sum(kernel)
    off = ~np.eye(5, dtype=bool)
    return xp.sum(P[off] * xp.log(P[off] / Q[off]))


def pharmacokinetics_by_eig(xp, p):
    """A three-compartment model dx/dt = A x solved without scipy by the eigen-
    decomposition of A with np.linalg.eig (a non-symmetric matrix with real
    eigenvalues), the central concentration at sampling times, and its AUC by
    np.trapezoid."""
    k10, k12, k21 = 0.3 * xp.exp(0.1 * p[0]), 0.5 * xp.exp(0.1 * p[1]), 0.2 * xp.exp(0.1 * p[2])
    k13, k31 = 0.1 * xp.exp(0.1 * p[3]), 0.05
    zero = 0.0 * k10
    A = xp.stack([xp.stack([-(k10 + k12 + k13), k21, zero + k31]),
                  xp.stack([k12, -k21, zero]),
                  xp.stack([k13, zero, zero - k31])])
    values, vectors = xp.linalg.eig(A)
    coefficients = xp.linalg.solve(vectors, np.array([100.0, 0.0, 0.0]))
    times = np.linspace(0.0, 12.0, 13)
    amounts = xp.real(vectors[0] * coefficients) @ xp.exp(xp.real(values)[:, None] * times)
    return xp.trapezoid(amounts, times) / 100.0 + amounts[-1]


def option_greeks(xp, p):
    """Finance: Black-Scholes calls with the logistic approximation of the normal CDF,
    delta and gamma by central finite differences in the spot (as traders write them),
    the loss comparing the bumped delta with N(d1) of the same approximation."""
    sigma, rate = 0.2 * xp.exp(0.1 * p[0]), 0.03 + 0.01 * p[1]
    strike, maturity = 100.0 * (1.0 + 0.01 * p[2]), 0.5

    def cdf(z):
        return 1.0 / (1.0 + xp.exp(-1.702 * z))

    def call(spot):
        spread = sigma * np.sqrt(maturity)
        d1 = (xp.log(spot / strike) + (rate + 0.5 * sigma ** 2) * maturity) / spread
        d2 = d1 - spread
        return spot * cdf(d1) - strike * xp.exp(-rate * maturity) * cdf(d2), cdf(d1)

    h = 0.5
    up, _ = call(_SPOTS + h)
    down, _ = call(_SPOTS - h)
    mid, analytic = call(_SPOTS)
    delta = (up - down) / (2 * h)
    gamma = (up - 2 * mid + down) / h ** 2
    return xp.sum(mid) / 100 + xp.sum((delta - analytic) ** 2) * 10 + xp.sum(gamma)


def step_response_costs(xp, p):
    """Control and accounting of switching: a step input by np.heaviside(t - t0, 0.5)
    of parameter times (a constant step, differentiable in the amplitude), a sawtooth by
    np.fmod of a parameter-shifted time, and the cost of the response."""
    t = np.linspace(0.0, 5.0, 11)
    switch_times = 1.0 + p[:2]
    amplitudes = xp.exp(0.2 * p[2:4])
    steps = xp.heaviside(t[None, :] - switch_times[:, None], 0.5)
    signal = xp.sum(amplitudes[:, None] * steps, axis=0)
    saw = xp.fmod(t + 0.3 * p[4] + 10.0, 1.3)
    return xp.sum(signal * saw) + xp.sum(xp.fmod(-(t + p[5]), 0.7) ** 2)


def log_sum_in_bits(xp, p):
    """Information theory in bits: log-likelihood ratios combined by np.logaddexp2, a
    cross-entropy in bits by np.log2, and code lengths rounded up as constants."""
    logits2 = p.reshape(2, 4)
    norm = xp.logaddexp2.reduce(logits2, axis=1)
    pairwise = xp.logaddexp2(logits2[0], logits2[1])
    probs = xp.exp2(logits2 - norm[:, None])
    target = np.array([0.1, 0.2, 0.3, 0.4])
    bits = -xp.sum(target * xp.log2(probs), axis=1)
    return xp.sum(bits) + xp.sum(pairwise) / 4


_RAIN = np.array([2.0, np.nan, 5.0, 0.0, np.nan, 8.0, 1.0, 3.0])
_ARMS = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.5], [0.3, -0.2, 1.0]])


def rainfall_runoff(xp, p):
    """Hydrology with gaps: the missing days kept as NaN constants by np.where,
    cumulative rainfall by np.nancumsum over them, a runoff coefficient per day summed
    over the recorded days, and the probability of no failure by np.nanprod of
    per-day survival with the missing days skipped."""
    recorded = ~np.isnan(_RAIN)
    rain = xp.where(recorded, np.nan_to_num(_RAIN) * xp.exp(0.1 * p[:8]), np.nan)
    cumulative = xp.nancumsum(rain)
    coefficient = 1.0 / (1.0 + xp.exp(-(cumulative - 10.0) / 5.0))
    runoff = xp.sum(coefficient[recorded] * rain[recorded])
    survival = xp.nanprod(1.0 - 0.05 * rain / (1.0 + rain))
    return runoff / 10 + survival


def rigid_body_torques(xp, p):
    """Mechanics with NumPy 2's linalg names: torques by np.linalg.cross of lever arms
    and parameter forces, an inertia tensor by np.linalg.outer sums, and angular
    accelerations by np.linalg.matmul with its inverse."""
    forces = p[:9].reshape(3, 3)
    masses = xp.exp(0.1 * p[9:12])
    torques = xp.linalg.cross(_ARMS, forces)
    inertia = np.eye(3) + sum(
        masses[i] * (xp.sum(_ARMS[i] ** 2) * np.eye(3) - xp.linalg.outer(_ARMS[i], _ARMS[i]))
        for i in range(3))
    accelerations = xp.linalg.matmul(xp.linalg.inv(inertia), xp.sum(torques, axis=0))
    return xp.sum(accelerations ** 2) + xp.sum(torques[:, 2])


def adaptive_step_floor(xp, p):
    """Numerics: a step size kept above the next representable number by np.nextafter
    (a constant bound), and the residual of a fixed-point iteration x = cos(a x) run
    thirty times in a loop."""
    a = 0.8 + 0.1 * xp.tanh(p[0])
    floor = np.nextafter(0.0, 1.0)
    x = 0.5 + 0.0 * a
    for _ in range(30):
        x = xp.cos(a * x)
    step = xp.maximum(xp.abs(p[1:4]) * 1e-3, floor)
    return x + xp.sum(xp.log(step)) / 100 + (x - xp.cos(a * x)) ** 2


def doses_by_mixed_effects(xp, p):
    """Pharmacometrics: individual clearances from a population mean and random effects
    by np.exp, concentrations after repeated doses by a geometric accumulation
    (np.power of an array of ratios to an integer array of dose counts), and a
    log-normal likelihood with np.log."""
    clearance = 2.0 * xp.exp(0.1 * p[0] + 0.2 * p[1:4])
    volume, interval = 10.0, 12.0
    k = clearance / volume
    ratio = xp.exp(-k * interval)
    doses = np.array([1, 3, 7])
    trough = 100.0 / volume * ratio * (1.0 - xp.power(ratio, doses)) / (1.0 - ratio)
    observed = np.array([4.0, 7.5, 9.0])
    return xp.sum((xp.log(trough) - xp.log(observed)) ** 2) + 0.5 * xp.sum(p[1:4] ** 2)


_GAMES = np.array([[0, 1, 1.0], [1, 2, 0.5], [2, 0, 0.0], [0, 2, 1.0], [1, 0, 0.0], [2, 1, 1.0]])
_FLUX_BANDS = np.array([[1.0, 0.8, 0.5], [2.0, 1.9, 1.5], [0.4, 0.5, 0.7]])


def damped_modes_by_eig(xp, p):
    """Vibration: a two-mass chain with dampers in first-order form, its complex modes
    by np.linalg.eig of the non-symmetric state matrix, the slowest decay rate as
    the largest real part, and the frequencies as the positive imaginary parts sorted
    by np.sort."""
    k1, k2 = 4.0 * xp.exp(0.1 * p[0]), 2.0 * xp.exp(0.1 * p[1])
    c = 0.3 * xp.exp(0.1 * p[2])
    zero, one = 0.0 * k1, 0.0 * k1 + 1.0
    A = xp.stack([xp.stack([zero, zero, one, zero]),
                  xp.stack([zero, zero, zero, one]),
                  xp.stack([-(k1 + k2), k2, -c, zero]),
                  xp.stack([k2, -k2, zero, -c])])
    values = xp.linalg.eig(A)[0]
    decay = xp.max(xp.real(values))
    frequencies = xp.sort(xp.abs(xp.imag(values)))[2:]
    return decay + xp.sum(frequencies ** 2)


def elo_ratings(xp, p):
    """Sports ratings by the Elo update in a loop over games, the expected score by
    1 / (1 + 10 ** (-diff / 400)), ratings as a list rebuilt each game, the K-factor a
    parameter, and the final spread by np.std."""
    ratings = [1500.0 + 50.0 * p[0], 1500.0 + 50.0 * p[1], 1500.0 + 50.0 * p[2]]
    k = 32.0 * xp.exp(0.1 * p[3])
    for home, away, score in _GAMES:
        home, away = int(home), int(away)
        expected = 1.0 / (1.0 + 10.0 ** ((ratings[away] - ratings[home]) / 400.0))
        ratings[home] = ratings[home] + k * (score - expected)
        ratings[away] = ratings[away] - k * (score - expected)
    return xp.std(xp.stack(ratings)) / 10.0


def stellar_photometry(xp, p):
    """Astronomy: apparent magnitudes -2.5 log10 of band fluxes, colours by np.diff,
    distance moduli from parameter parallaxes, absolute magnitudes, and the flux-
    weighted mean magnitude by np.average with weights."""
    flux = _FLUX_BANDS * xp.exp(0.1 * p[:9].reshape(3, 3))
    magnitudes = -2.5 * xp.log10(flux)
    colours = xp.diff(magnitudes, axis=1)
    parallax = 0.01 * xp.exp(0.1 * p[9:12])
    modulus = 5.0 * xp.log10(1.0 / parallax) - 5.0
    absolute = magnitudes - modulus[:, None]
    mean = xp.average(magnitudes, axis=1, weights=flux)
    return xp.sum(colours ** 2) + xp.sum(absolute) / 10 + xp.sum(mean)


_ALLOWED = np.eye(4, dtype=bool) | np.eye(4, k=1, dtype=bool)    # stay or move right
_FRAMES = np.array([[0, 1, 1, 2], [1, 1, 2, 3], [2, 3, 3, 3]])  # (observed symbol per state)


def left_to_right_hmm(xp, p):
    """Speech recognition: the forward algorithm of a left-to-right HMM in log space,
    the banded transitions applied by np.logaddexp.reduce with where= (the allowed
    moves) and initial=-np.inf, the parameter emission log-probabilities normalised by
    np.logaddexp.reduce over symbols, and the log-likelihood of the frames."""
    log_emit = p[:16].reshape(4, 4)
    log_emit = log_emit - xp.logaddexp.reduce(log_emit, axis=1, keepdims=True)
    stay = -xp.logaddexp(0.0, -p[16])                 # log sigmoid of the stay logit
    move = -xp.logaddexp(0.0, p[16])
    log_trans = np.where(np.eye(4, dtype=bool), 1.0, 0.0) * stay \
        + np.where(np.eye(4, k=1, dtype=bool), 1.0, 0.0) * move
    alpha = np.array([0.0, -np.inf, -np.inf, -np.inf])
    for frame in _FRAMES:
        alpha = xp.logaddexp.reduce(alpha[:, None] + log_trans, axis=0, where=_ALLOWED,
                                    initial=-np.inf) + log_emit[np.arange(4), frame]
    return -xp.logaddexp.reduce(alpha)


PROGRAMS = [
    # (program, parameters, whether HIPS autograd has every function it calls)
    (manning_open_channel, _rng.normal(size=5), False),         # no cbrt rule
    (sound_levels, _rng.normal(size=6), True),
    (kepler_newton, _rng.normal(size=6), True),
    (hardy_weinberg, _rng.normal(size=12), False),              # no bincount
    (epidemic_binomial_likelihood, _rng.normal(size=2), True),
    (portfolio_with_shrinkage, _rng.normal(size=20), False),    # no cov rule
    (billing_cycles, _rng.normal(size=4), True),
    (fictitious_play, _rng.normal(size=9), True),
    (raking_survey_weights, _rng.normal(size=5), True),
    (soft_kmeans, _rng.normal(size=2), True),
    (gaussian_mixture_em, _rng.normal(size=6), True),
    (pca_by_eigh, _rng.normal(size=15), True),
    (kernel_ridge, _rng.normal(size=14), True),
    (tsne_objective, _rng.normal(size=10), True),
    (pharmacokinetics_by_eig, _rng.normal(size=4), False),      # no trapezoid rule
    (option_greeks, _rng.normal(size=3), True),
    (step_response_costs, _rng.normal(size=6), False),          # no heaviside rule
    (log_sum_in_bits, _rng.normal(size=8), False),              # no logaddexp2.reduce
    (rainfall_runoff, _rng.normal(size=8), False),              # no nancumsum rule
    (rigid_body_torques, _rng.normal(size=12), False),          # no rule for cross's b
    (adaptive_step_floor, _rng.normal(size=4), True),
    (doses_by_mixed_effects, _rng.normal(size=4), True),
    (damped_modes_by_eig, _rng.normal(size=3), True),
    (elo_ratings, _rng.normal(size=4), True),
    (stellar_photometry, _rng.normal(size=12), False),          # no average rule
    (left_to_right_hmm, _rng.normal(size=17), False),           # no logaddexp.reduce
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's


def test_tsne_gradient_written_by_hand_matches_the_engines():
    """The t-SNE gradient as papers give it, 4 sum_j (p_ij - q_ij)(y_i - y_j) / (1 +
    |y_i - y_j|^2), against ad.grad of the objective program."""
    p = _rng.normal(size=10)
    Y = p.reshape(5, 2)
    d_high = np.sum((_HIGH[:, None] - _HIGH[None]) ** 2, axis=-1)
    P = np.exp(-d_high)
    np.fill_diagonal(P, 0.0)
    P = P / P.sum(axis=1, keepdims=True)
    P = (P + P.T) / 10
    kernel = 1.0 / (1.0 + np.sum((Y[:, None] - Y[None]) ** 2, axis=-1)) * (1.0 - np.eye(5))
    Q = kernel / kernel.sum()
    by_hand = 4.0 * np.einsum('ij,ijk->ik', (P - Q) * kernel, Y[:, None] - Y[None])
    engine = ad.grad(lambda t: tsne_objective(np, t))(p)
    np.testing.assert_allclose(engine.reshape(5, 2), by_hand, rtol=1e-10, atol=1e-12)
