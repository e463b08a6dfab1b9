"""The twenty-first set of short NumPy programs, continued from
test_numpy_programs_twentyfirst.py: numerical linear algebra (Lanczos steps to Ritz
values by ``np.linalg.eigvalsh`` of the tridiagonal), count regression (a negative
binomial with a hand-written Lanczos ``lgamma``; a zero-inflated Poisson, its constant
``log y!`` by ``np.vectorize(math.lgamma)``), econometrics (a Tobit model, the normal
tail by a hand-written ``erf`` and ``np.copysign``), ranking (a Plackett-Luce likelihood
of races gathered by ``np.take_along_axis``, the remaining fields by a reversed
``np.logaddexp.accumulate``), meta-learning (Adam and Nesterov unrolled, gradients with
respect to the learning rates), fixed points (Steffensen's method, Aitken's
delta-squared), special functions (Lambert's W by Newton steps), portfolio theory
(Black-Litterman posterior returns by ``np.linalg.inv`` and ``np.linalg.solve``),
crystallography (a cubic powder pattern, Miller indices by ``np.indices``, Bragg angles
by ``np.arcsin``, Lorentzian peaks), multivariate statistics (a Wishart log-density, the
Cholesky factor written through ``np.tril_indices``, ``np.linalg.slogdet``), rating
systems (a TrueSkill win update), filter design (a Kaiser-windowed low-pass by ``np.i0``
and ``np.sinc``), network science (the Kirchhoff index by
``np.linalg.pinv(hermitian=True)`` of a graph Laplacian, its diagonal by
``np.einsum('ii->i')``), astronomy (epoch folding of a light curve by ``np.modf``),
sensor fusion (channels joined by ``np.dstack``, a dropout's spread by ``np.nanstd``),
insurance (a layer's payout, a Python function with if/elif, by
``np.vectorize(otypes=[float])``), petroleum engineering (Arps' decline curve, the
recovery by ``np.trapezoid``), nonlinear dynamics (the Lorenz system by RK4),
communications (water-filling, the water level by Newton steps on a piecewise-linear
budget, capacity by ``np.log2``), aqueous chemistry (a solubility with Davies activity
coefficients by fixed-point steps), separations (Rayleigh's batch distillation by
``np.trapezoid``, Fenske's minimum stages), fisheries (Beverton-Holt and Ricker
stock-recruitment), toxicology (a beta-binomial likelihood of litters by
``scipy.special.betaln`` and ``gammaln``) and information theory (a loaded die fit by
``scipy.special.rel_entr`` and ``entr``). Each is differentiated unchanged with
``ad.grad`` and checked as every round is (``numpy_program_checks``), float32 included.

The last two needed the library fixed: SciPy's ``betaln``, ``rel_entr`` and ``entr`` had
no rule on Tensors (they now record, with ``xlog1py``, ``kl_div``, ``gamma``, ``ndtri``,
``erfcx``, ``i0e``, ``i1e``, ``gammainc``, ``expm1``, ``log1p``, ``exp2``, ``exp10`` and
``cbrt``: ops/scipy_special.py, test_scipy_special.py). So did the insurance layer: on
float32 parameters ``np.vectorize`` called the payout on float32 0-d Tensors where
NumPy's loop passes Python floats, so the payouts were off NumPy's by a float32 rounding
(test_numpy_twentyfirst_findings.py). The sensor fusion is written as PyTorch's and
JAX's guides advise: its first form divided the readings, NaN at the dropout, by the
spreads and let ``np.nanmean`` skip them, which gives NumPy's value but a NaN gradient
(the NaN times the zero gradient of the skipped entry), as in PyTorch; it now takes
``np.nan_to_num`` of the readings and counts them by a mask.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``; ``xp``
is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import math

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261222)
_SYMMETRIC = _rng.normal(size=(6, 6))
_COUNTS = np.array([0, 3, 1, 0, 7, 2, 0, 0, 4, 1, 9, 0])
_COVARIATE = np.linspace(-1.0, 1.0, 12)
_HOURS = np.array([0.0, 0.0, 3.5, 6.2, 0.0, 8.1, 2.4, 0.0, 5.0, 7.7])
_SKILL = np.linspace(-1.0, 1.5, 10)
_FINISHES = np.array([[2, 0, 3, 1], [0, 2, 1, 3], [2, 3, 0, 1]])
_OBSERVED = np.sort(_rng.uniform(0.0, 30.0, 40))
_SENSOR_NOISE = 0.1 * _rng.normal(size=(3, 12))
_LANCZOS = np.array([0.99999999999980993, 676.5203681218851, -1259.1392167224028,
                     771.32342877765313, -176.61502916214059, 12.507343278686905,
                     -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7])


def lanczos_ritz_values(xp, p):
    """Numerical linear algebra: four Lanczos steps on a symmetric matrix built from
    the parameters, the tridiagonal's Ritz values by np.linalg.eigvalsh, the extremes'
    sum (no reorthogonalization, as in a textbook)."""
    a = _SYMMETRIC + _SYMMETRIC.T + 0.3 * xp.diag(p[:6])
    q = np.ones(6) / np.sqrt(6.0)
    previous, beta = np.zeros(6), 0.0
    alphas, betas = [], []
    for step in range(4):
        w = a @ q - beta * previous
        alpha = q @ w
        w = w - alpha * q
        alphas.append(alpha)
        if step < 3:
            beta = xp.sqrt(w @ w)
            betas.append(beta)
            previous, q = q, w / beta
    tridiagonal = xp.diag(xp.stack(alphas)) + xp.diag(xp.stack(betas), 1) \
        + xp.diag(xp.stack(betas), -1)
    ritz = xp.linalg.eigvalsh(tridiagonal)
    return ritz[-1] - ritz[0]


def _log_gamma(xp, z):
    """The Lanczos approximation of log Gamma(z) for z > 0.5 (g = 7, nine terms)."""
    z = z - 1.0
    series = _LANCZOS[0] + sum(_LANCZOS[k] / (z + k) for k in range(1, 9))
    t = z + 7.5
    return 0.5 * np.log(2 * np.pi) + (z + 0.5) * xp.log(t) - t + xp.log(series)


def negative_binomial_regression(xp, p):
    """Count regression: a negative binomial (NB2) log-likelihood of twelve counts, the
    mean by a log link on one covariate, the dispersion a parameter, and the gamma
    functions by a hand-written Lanczos approximation."""
    mean = xp.exp(0.5 + 0.4 * p[0] + 0.6 * p[1] * _COVARIATE)
    size = xp.exp(0.5 * p[2])
    y = _COUNTS
    log_likelihood = _log_gamma(xp, y + size) - _log_gamma(xp, size) \
        - np.array([math.lgamma(k + 1) for k in y]) \
        + size * xp.log(size / (size + mean)) + y * xp.log(mean / (size + mean))
    return -xp.sum(log_likelihood)


def zero_inflated_poisson(xp, p):
    """Count regression: a zero-inflated Poisson, the zeros from the structural zeros
    or the Poisson by np.logaddexp, the positive counts from the Poisson alone (chosen
    by np.where), ``log y!`` a constant by np.vectorize(math.lgamma)."""
    log_rate = 0.8 + 0.3 * p[0] + 0.5 * p[1] * _COVARIATE
    logit = 0.5 * p[2]
    log_zero = -xp.logaddexp(0.0, -logit)
    log_not_zero = -xp.logaddexp(0.0, logit)
    log_factorial = np.vectorize(math.lgamma)(_COUNTS + 1.0)
    poisson = _COUNTS * log_rate - xp.exp(log_rate) - log_factorial
    zeros = xp.logaddexp(log_zero, log_not_zero + poisson)
    return -xp.sum(xp.where(_COUNTS == 0, zeros, log_not_zero + poisson))


def _erf(xp, x):
    """Abramowitz and Stegun's 7.1.26 rational approximation of erf (|error| < 1.5e-7),
    odd by np.copysign."""
    t = 1.0 / (1.0 + 0.3275911 * xp.abs(x))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
                                                       + t * (-1.453152027 + t * 1.061405429))))
    return xp.copysign(1.0 - poly * xp.exp(-x * x), x)


def tobit_censored_regression(xp, p):
    """Econometrics: a Tobit model of weekly hours worked, censored at zero; the
    uncensored hours by the normal density, the zeros by the normal tail through a
    hand-written erf; slope, intercept and log scale the parameters."""
    scale = 3.0 * xp.exp(0.2 * p[2])
    mean = 2.0 + p[0] + (2.0 + p[1]) * _SKILL
    z = (_HOURS - mean) / scale
    log_density = -0.5 * z ** 2 - xp.log(scale) - 0.5 * np.log(2 * np.pi)
    tail = 0.5 * (1.0 + _erf(xp, -mean / (scale * np.sqrt(2.0))))
    return -xp.sum(xp.where(_HOURS > 0, log_density, xp.log(tail)))


def plackett_luce_races(xp, p):
    """Ranking: the Plackett-Luce log-likelihood of three races' finishing orders over
    four runners, the strengths in finishing order by np.take_along_axis and each
    place's field by a reversed np.logaddexp.accumulate."""
    strengths = xp.broadcast_to(p[:4], (3, 4))
    ordered = xp.take_along_axis(strengths, _FINISHES, axis=1)
    fields = xp.logaddexp.accumulate(ordered[:, ::-1], axis=1)[:, ::-1]
    return -xp.sum(ordered - fields) + 0.1 * xp.sum(p[:4] ** 2)


def adam_unrolled(xp, p):
    """Meta-learning: twelve Adam steps on a badly scaled quadratic, the bias
    corrections by powers of the step count, unrolled; the final loss is a function of
    the log learning rate, ``beta1``'s logit and the start point."""
    scales = np.array([1.0, 10.0, 0.3])
    rate = 0.1 * xp.exp(0.3 * p[0])
    beta1, beta2 = 0.9 / (1.0 + 0.1 * xp.exp(-p[1])), 0.999
    x = np.array([1.0, -1.0, 2.0]) + 0.1 * p[2:5]
    first, second = 0.0 * x, 0.0 * x
    for step in range(1, 13):
        gradient = scales * x
        first = beta1 * first + (1 - beta1) * gradient
        second = beta2 * second + (1 - beta2) * gradient ** 2
        corrected = first / (1 - beta1 ** step)
        x = x - rate * corrected / (xp.sqrt(second / (1 - beta2 ** step)) + 1e-8)
    return 0.5 * xp.sum(scales * x ** 2)


def nesterov_logistic(xp, p):
    """Meta-learning: Nesterov's accelerated gradient on a logistic regression, the
    gradient written by hand, ten steps unrolled; the validation loss as a function of
    the log step size, the momentum's logit and the L2 weight."""
    features = np.column_stack([np.ones(10), _SKILL, np.sin(3 * _SKILL)])
    labels = (_HOURS > 0).astype(float)
    rate = 0.5 * xp.exp(0.2 * p[0])
    momentum = 0.9 / (1.0 + xp.exp(-p[1]))
    penalty = 0.05 * xp.exp(p[2])
    w, velocity = np.zeros(3), np.zeros(3)
    for _ in range(10):
        ahead = w + momentum * velocity
        chance = 1.0 / (1.0 + xp.exp(-features @ ahead))
        gradient = features.T @ (chance - labels) / 10.0 + penalty * ahead
        velocity = momentum * velocity - rate * gradient
        w = w + velocity
    logits = features @ w
    return xp.mean(xp.logaddexp(0.0, logits) - labels * logits)


def steffensen_fixed_point(xp, p):
    """Fixed points: ``x = cos(a x) + b`` solved by three rounds of Steffensen's method,
    Aitken's delta-squared extrapolation of two plain steps (a fourth would divide
    float32's rounding noise by itself)."""
    a, b = 0.8 + 0.1 * p[0], 0.2 * p[1]
    x = 0.5
    for _ in range(3):
        x1 = xp.cos(a * x) + b
        x2 = xp.cos(a * x1) + b
        x = x - (x1 - x) ** 2 / (x2 - 2 * x1 + x)
    return x ** 2 + xp.cos(a * x)


def lambert_w_newton(xp, p):
    """Special functions: the principal branch of Lambert's W at five points by six
    Newton steps on ``w e^w - x``, started from log1p."""
    x = xp.exp(0.5 * p[:5])
    w = xp.log1p(x)
    for _ in range(6):
        w = w - (w * xp.exp(w) - x) / (xp.exp(w) * (w + 1))
    return xp.sum(w ** 2)


def black_litterman(xp, p):
    """Portfolio theory: Black-Litterman posterior returns from the equilibrium
    ``delta * Sigma @ w`` and two views (the view returns the parameters), by
    np.linalg.inv of the precisions, then mean-variance weights by
    np.linalg.solve."""
    factor = np.array([[0.20, 0.0, 0.0], [0.08, 0.15, 0.0], [0.05, 0.03, 0.25]])
    sigma = factor @ factor.T + 0.01 * np.eye(3)
    market = np.array([0.5, 0.3, 0.2])
    prior = 2.5 * sigma @ market
    views = np.array([[1.0, -1.0, 0.0], [0.0, 0.0, 1.0]])
    view_returns = np.array([0.02, 0.08]) + 0.01 * p[:2]
    uncertainty = np.diag([0.001, 0.002]) * xp.exp(0.2 * p[2])
    scaled = 0.05 * sigma
    precision = xp.linalg.inv(scaled) + views.T @ xp.linalg.inv(uncertainty) @ views
    posterior = xp.linalg.inv(precision) @ (
        xp.linalg.inv(scaled) @ prior + views.T @ xp.linalg.inv(uncertainty) @ view_returns)
    weights = xp.linalg.solve(2.5 * sigma, posterior)
    return xp.sum(weights ** 2) + 100.0 * xp.sum(posterior ** 2)


def bragg_powder_pattern(xp, p):
    """Crystallography: the powder pattern of a face-centred cubic crystal, the Miller
    indices by np.indices (the allowed reflections a constant mask), the Bragg angles
    by np.arcsin, Lorentzian peaks on a 2-theta grid; the lattice constant, peak width
    and scale fit to a synthetic pattern."""
    h, k, l = np.indices((3, 3, 3)).reshape(3, -1)  # noqa: E741
    allowed = ((h % 2 == k % 2) & (k % 2 == l % 2)) & (h + k + l > 0)
    shells = np.unique(h[allowed] ** 2 + k[allowed] ** 2 + l[allowed] ** 2)
    wavelength = 1.5406
    two_theta = np.linspace(30.0, 100.0, 50)

    def pattern(lib, lattice, width, height):
        spacing = lattice / lib.sqrt(shells)
        centres = 2 * lib.degrees(lib.arcsin(wavelength / (2 * spacing)))
        peaks = width ** 2 / ((two_theta[:, None] - centres) ** 2 + width ** 2)
        return height * lib.sum(peaks / shells, axis=1)

    observed = pattern(np, 4.05, 0.4, 10.0)
    fitted = pattern(xp, 4.05 + 0.01 * p[0], 0.4 * xp.exp(0.1 * p[1]), 10.0 + p[2])
    return xp.sum((fitted - observed) ** 2)


def wishart_log_density(xp, p):
    """Multivariate statistics: the Wishart log-density of a scatter matrix, the scale
    ``L @ L.T`` with its Cholesky factor written into the lower triangle by
    np.tril_indices (positive diagonal by exp), its log-determinant by
    np.linalg.slogdet and the trace term by np.linalg.solve."""
    scatter = np.array([[4.0, 1.2, 0.3], [1.2, 3.0, -0.5], [0.3, -0.5, 2.0]])
    dof = 6.0
    rows, cols = np.tril_indices(3)
    entries = xp.where(rows == cols, xp.exp(0.3 * p[:6]), 0.3 * p[:6])
    factor = xp.zeros_like(entries, shape=(3, 3))
    factor[rows, cols] = entries
    scale = factor @ factor.T
    _, log_det_scale = xp.linalg.slogdet(scale)
    _, log_det_scatter = np.linalg.slogdet(scatter)
    trace = xp.trace(xp.linalg.solve(scale, scatter))
    return -(0.5 * (dof - 4) * log_det_scatter - 0.5 * trace - 0.5 * dof * log_det_scale)


def _normal_pdf(xp, x):
    return xp.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


def trueskill_update(xp, p):
    """Rating systems: TrueSkill's update after three wins in turn, the truncated
    Gaussian's ``v`` and ``w`` from the normal density and a hand-written erf; the
    two players' prior means and log deviations the parameters."""
    mean = 25.0 + 2.0 * p[:2]
    deviation = 8.0 * xp.exp(0.1 * p[2:4])
    beta = 25.0 / 6.0
    for _ in range(3):
        c = xp.sqrt(2 * beta ** 2 + xp.sum(deviation ** 2))
        t = (mean[0] - mean[1]) / c
        cdf = 0.5 * (1.0 + _erf(xp, t / np.sqrt(2.0)))
        v = _normal_pdf(xp, t) / cdf
        w = v * (v + t)
        mean = mean + xp.stack([1.0, -1.0]) * deviation ** 2 / c * v
        deviation = deviation * xp.sqrt(1.0 - deviation ** 2 / c ** 2 * w)
    return xp.sum(mean) / 10.0 + xp.sum(deviation)


def kaiser_lowpass(xp, p):
    """Filter design: a 21-tap low-pass by the windowed sinc, the Kaiser window by
    np.i0, the cutoff and ``beta`` the parameters; the stopband energy of the
    frequency response (a DFT matrix) and the passband ripple."""
    n = np.arange(21) - 10.0
    cutoff = 0.25 + 0.02 * p[0]
    beta = 5.0 + 0.5 * p[1]
    window = xp.i0(beta * xp.sqrt(1 - (n / 10.0) ** 2)) / xp.i0(beta)
    taps = 2 * cutoff * xp.sinc(2 * cutoff * n) * window
    frequencies = np.linspace(0.0, 0.5, 40)
    response = xp.abs(np.exp(-2j * np.pi * frequencies[:, None] * n) @ taps)
    stop = frequencies > 0.33
    return xp.sum(response[stop] ** 2) + xp.sum((response[frequencies < 0.18] - 1.0) ** 2)


def kirchhoff_index(xp, p):
    """Network science: the Kirchhoff index of a weighted five-node graph, the
    effective resistances from np.linalg.pinv(hermitian=True) of the Laplacian (its
    diagonal by np.einsum('ii->i')); the edge conductances the parameters."""
    edges = np.array([[0, 1], [1, 2], [2, 3], [3, 4], [4, 0], [0, 2]])
    conductance = xp.exp(0.3 * p[:6])
    incidence = np.zeros((6, 5))
    incidence[np.arange(6), edges[:, 0]] = 1.0
    incidence[np.arange(6), edges[:, 1]] = -1.0
    laplacian = incidence.T @ (conductance[:, None] * incidence)
    green = xp.linalg.pinv(laplacian, hermitian=True)
    return 5 * xp.sum(xp.einsum('ii->i', green)) - xp.sum(green)


def epoch_folding(xp, p):
    """Astronomy: a variable star's light curve folded at a trial period, the phases by
    np.modf of time over period; a sinusoid fit at the folded phases, the period,
    amplitude and phase offset the parameters."""
    times = _OBSERVED
    brightness = 1.0 + 0.3 * np.sin(2 * np.pi * times / 2.7 + 0.4)
    period = 2.7 + 0.01 * p[0]
    phase, _ = xp.modf(times / period)
    model = 1.0 + (0.3 + 0.05 * p[1]) * xp.sin(2 * np.pi * phase + 0.4 + 0.1 * p[2])
    return xp.sum((model - brightness) ** 2)


def sensor_dropout_fusion(xp, p):
    """Sensor fusion: three channels of a quantity stacked by np.dstack, two with a
    dropout (NaN), fused by inverse-variance weights whose spreads are np.nanstd over
    the samples; the channels' gains the parameters.  The weighted mean takes the
    readings through np.nan_to_num and the counts from a mask, as a NaN times the
    weights' zero gradient would be NaN (as in PyTorch and JAX)."""
    truth = np.sin(np.linspace(0.0, 3.0, 12))
    readings = (1.0 + 0.1 * p[:3, None]) * (truth + _SENSOR_NOISE)
    dropout = (np.arange(12) == 5) & (np.arange(3)[:, None] < 2)
    readings = xp.where(dropout, np.nan, readings)
    cube = xp.dstack([readings[0][None], readings[1][None], readings[2][None]])
    present = ~xp.isnan(cube)
    spread = xp.nanstd(cube - truth[None, :, None], axis=1)
    weights = present / spread[:, None, :] ** 2
    fused = xp.sum(xp.nan_to_num(cube) * weights, axis=2) / xp.sum(weights, axis=2)
    return xp.sum(spread) + xp.sum((fused - truth) ** 2)


def _payout(loss):
    """An insurance layer: nothing under the deductible, the excess up to the limit,
    then a flat share above it (written for numbers, with if/elif)."""
    if loss < 1.0:
        return 0.0
    elif loss < 4.0:
        return 0.8 * (loss - 1.0)
    return 2.4 + 0.1 * (loss - 4.0)


def insurance_layer(xp, p):
    """Insurance: the mean payout of a layer over eight claims, the payout a Python
    function with if/elif applied by np.vectorize(otypes=[float]); the claims' log
    sizes the parameters (on float32 parameters the payouts are computed, as NumPy's
    loop computes them, on Python floats)."""
    claims = xp.exp(0.6 + 0.8 * p)
    payouts = np.vectorize(_payout, otypes=[float])(claims)
    return xp.mean(payouts) + 0.01 * xp.sum(p ** 2)


def arps_decline_curve(xp, p):
    """Petroleum engineering: Arps' hyperbolic decline ``q = qi / (1 + b Di t)^(1/b)``
    fit to monthly rates, and the estimated ultimate recovery over ten years by
    np.trapezoid; the initial rate, decline and b-factor the parameters."""
    months = np.arange(0.0, 36.0, 3.0)
    rates = 900.0 / (1 + 0.6 * 0.15 * months) ** (1 / 0.6)
    initial = 900.0 * xp.exp(0.1 * p[0])
    decline = 0.15 * xp.exp(0.1 * p[1])
    b = 0.6 / (1.0 + 0.2 * xp.exp(-p[2])) + 0.1
    model = initial / (1 + b * decline * months) ** (1 / b)
    horizon = np.linspace(0.0, 120.0, 61)
    recovery = xp.trapezoid(initial / (1 + b * decline * horizon) ** (1 / b), horizon)
    return xp.sum((model / rates - 1.0) ** 2) + (recovery / 2e4 - 1.0) ** 2


def lorenz_attractor(xp, p):
    """Nonlinear dynamics: the Lorenz system over a short horizon by 25 classical RK4
    steps, its states stacked by np.stack; the sensitivity of the end point's distance
    to sigma, rho and beta."""
    sigma, rho, beta = 10.0 + p[0], 28.0 + p[1], 8.0 / 3.0 + 0.1 * p[2]

    def field(state):
        x, y, z = state[0], state[1], state[2]
        return xp.stack([sigma * (y - x), x * (rho - z) - y, x * y - beta * z])

    state, dt = np.array([1.0, 1.0, 1.0]), 0.01
    for _ in range(25):
        k1 = field(state)
        k2 = field(state + dt / 2 * k1)
        k3 = field(state + dt / 2 * k2)
        k4 = field(state + dt * k3)
        state = state + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return xp.sqrt(xp.sum(state ** 2))


def water_filling(xp, p):
    """Communications: water-filling power allocation over six channels, the water level
    by Newton steps on the piecewise-linear power budget (np.maximum, the active
    channels counted), and the Shannon capacity by np.log2; the channels' noise levels
    the parameters."""
    noise = xp.exp(0.3 * p[:6])
    budget = 6.0
    level = xp.mean(noise) + budget / 6
    for _ in range(8):
        active = level > noise
        level = level - (xp.sum(xp.maximum(level - noise, 0.0)) - budget) / xp.sum(active)
    power = xp.maximum(level - noise, 0.0)
    return -xp.sum(xp.log2(1.0 + power / noise))


def davies_solubility(xp, p):
    """Aqueous chemistry: the solubility of a 1:1 salt in a background electrolyte,
    activities by the Davies equation of the ionic strength, the solubility by twelve
    fixed-point steps on ``Ksp = (gamma s)(gamma (s + c))``; pKsp and the background
    concentration the parameters."""
    ksp = 10.0 ** (-5.0 + 0.2 * p[0])
    background = 0.01 * xp.exp(0.3 * p[1])
    solubility = xp.sqrt(ksp)
    for _ in range(12):
        strength = solubility + background
        root = xp.sqrt(strength)
        log_gamma = -0.509 * (root / (1 + root) - 0.3 * strength)
        gamma = 10.0 ** log_gamma
        solubility = 0.5 * (-background + xp.sqrt(background ** 2 + 4 * ksp / gamma ** 2))
    return -xp.log10(solubility)


def rayleigh_distillation(xp, p):
    """Separations: Rayleigh's batch distillation, ``ln(W0 / W) = integral dx / (y - x)``
    with the equilibrium ``y = alpha x / (1 + (alpha - 1) x)``, by np.trapezoid from the
    final to the feed composition; the relative volatility and the final composition
    the parameters, and Fenske's minimum stages for the same split."""
    alpha = 2.5 * xp.exp(0.1 * p[0])
    feed = 0.5
    final = 0.2 + 0.02 * p[1]
    x = final + (feed - final) * np.linspace(0.0, 1.0, 41)
    y = alpha * x / (1 + (alpha - 1) * x)
    log_ratio = xp.trapezoid(1.0 / (y - x), x)
    fenske = xp.log(0.95 / 0.05 * (1 - final) / final) / xp.log(alpha)
    return log_ratio + 0.1 * fenske


def stock_recruitment(xp, p):
    """Fisheries: Beverton-Holt and Ricker stock-recruitment curves fit to a survey by
    log-scale least squares, then twenty years of the harvested Beverton-Holt stock;
    each curve's productivity and capacity the parameters."""
    stock = np.array([120.0, 340.0, 560.0, 800.0, 1100.0, 1500.0, 2100.0, 2600.0])
    recruits = np.array([410.0, 900.0, 1150.0, 1290.0, 1380.0, 1400.0, 1500.0, 1480.0])
    bh_a, bh_b = 4.0 * xp.exp(0.2 * p[0]), 0.002 * xp.exp(0.2 * p[1])
    rk_a, rk_b = 3.0 * xp.exp(0.2 * p[2]), 4e-4 * xp.exp(0.2 * p[3])
    beverton = bh_a * stock / (1 + bh_b * stock)
    ricker = rk_a * stock * xp.exp(-rk_b * stock)
    misfit = xp.sum(xp.log(beverton / recruits) ** 2) + xp.sum(xp.log(ricker / recruits) ** 2)
    biomass = 500.0
    for _ in range(20):
        biomass = 0.7 * bh_a * biomass / (1 + bh_b * biomass)
    return misfit + (biomass / 1000.0 - 1.0) ** 2


def beta_binomial_litters(xp, p):
    """Toxicology: overdispersed litter counts (affected pups of each litter) by the
    beta-binomial log-likelihood, written with scipy.special's betaln and gammaln; the
    mean's logit and the overdispersion the parameters."""
    from scipy import special
    size = np.array([8, 10, 12, 9, 11, 7, 10, 12])
    affected = np.array([1, 4, 0, 2, 7, 1, 3, 5])
    mean = 1.0 / (1.0 + xp.exp(-(p[0] - 1.0)))
    concentration = 4.0 * xp.exp(0.3 * p[1])
    a, b = mean * concentration, (1.0 - mean) * concentration
    log_choose = special.gammaln(size + 1) - special.gammaln(affected + 1) \
        - special.gammaln(size - affected + 1)
    return -xp.sum(log_choose + special.betaln(affected + a, size - affected + b)
                   - special.betaln(a, b))


def maximum_entropy_dice(xp, p):
    """Information theory: a loaded die fit to observed frequencies by minimising the
    relative entropy (scipy.special.rel_entr) of the observed from the model plus a
    small entropy bonus (scipy.special.entr); the model's logits the parameters."""
    from scipy import special
    observed = np.array([0.10, 0.12, 0.15, 0.18, 0.20, 0.25])
    model = xp.exp(p[:6]) / xp.sum(xp.exp(p[:6]))
    return xp.sum(special.rel_entr(observed, model)) - 0.01 * xp.sum(special.entr(model))


PROGRAMS = [
    # (program, parameters, whether HIPS autograd has every function it calls)
    (lanczos_ritz_values, _rng.normal(size=6), False),  # no eigvalsh rule
    (negative_binomial_regression, _rng.normal(size=3), True),
    (zero_inflated_poisson, _rng.normal(size=3), True),
    (tobit_censored_regression, _rng.normal(size=3), False),  # no copysign rule
    (plackett_luce_races, _rng.normal(size=4), False),  # no accumulate
    (adam_unrolled, _rng.normal(size=5), True),
    (nesterov_logistic, _rng.normal(size=3), True),
    (steffensen_fixed_point, _rng.normal(size=2), True),
    (lambert_w_newton, _rng.normal(size=5), True),
    (black_litterman, _rng.normal(size=3), True),
    (bragg_powder_pattern, _rng.normal(size=3), True),
    (wishart_log_density, _rng.normal(size=6), False),  # no item assignment
    (trueskill_update, _rng.normal(size=4), False),  # no copysign rule
    (kaiser_lowpass, _rng.normal(size=2), False),  # no i0 rule
    (kirchhoff_index, _rng.normal(size=6), False),  # no pinv hermitian=
    (epoch_folding, _rng.normal(size=3), False),  # no modf rule
    (sensor_dropout_fusion, _rng.normal(size=3), False),  # no nanstd rule
    (insurance_layer, _rng.normal(size=8), False),  # no vectorize over boxes
    (arps_decline_curve, _rng.normal(size=3), False),  # no trapezoid rule
    (lorenz_attractor, _rng.normal(size=3), True),
    (water_filling, _rng.normal(size=6), True),
    (davies_solubility, _rng.normal(size=2), True),
    (rayleigh_distillation, _rng.normal(size=2), False),  # no trapezoid rule
    (stock_recruitment, _rng.normal(size=4), True),
    (beta_binomial_litters, _rng.normal(size=2), False),  # calls scipy.special itself
    (maximum_entropy_dice, _rng.normal(size=6), False),  # calls scipy.special itself
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
