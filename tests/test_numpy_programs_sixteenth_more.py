"""The sixteenth set of short NumPy programs, continued (test_numpy_programs_sixteenth.py
has the first part): finance (a Nelson-Siegel zero curve with the loading ``-np.expm1(-x)
/ x`` read by ``np.interp`` at coupon dates; Merton's jump diffusion as a Poisson sum of
Black-Scholes prices with factorials from ``np.cumprod``), economics (CES and
Cobb-Douglas utilities at their Marshallian demands, ``np.prod(x ** a)``), coupled
oscillators (Kuramoto phases, the order parameter as ``np.abs`` of a mean of
``np.exp(1j * theta)``), game theory (a Cournot-Nash equilibrium by ``np.linalg.solve``),
statistics (a Gaussian copula by ``np.linalg.slogdet`` and ``solve`` with several
right-hand sides), machine learning (a transformer block with LayerNorm, rotary position
embeddings through ``reshape(..., 2)``, a tanh GELU and an RMSNorm; a VAE's evidence
lower bound; planar normalising flows with ``np.log(np.abs(.))`` determinants; InfoNCE
and a triplet loss with ``np.roll`` negatives; Langevin and leapfrog steps; a squared
hinge SVM), solid-state physics (Einstein and Debye heat capacities, the Debye integral
by ``np.trapezoid`` over a ``np.linspace`` to a parameter end), structures (a beam by
a fourth-difference matrix from ``np.diag`` with offsets) and approximation theory
(``np.polynomial.chebyshev.chebinterpolate`` of a function on the tape, read through
``chebvander``, and ``np.polynomial.polynomial.polygrid2d`` of coefficients on the
tape), epidemiology (an age-structured reproduction number as the spectral radius
``np.max(np.abs(np.linalg.eigvals(.)))``), portfolio choice (Kelly growth by
``np.log1p`` with a conditional value at risk from ``np.sort``), discrete choice (a
nested logit by masked log-sum-exps), trade (a gravity model with multilateral
resistance, distances by ``np.linalg.norm`` of broadcast differences with
``np.fill_diagonal`` on constants), spectroscopy (Beer-Lambert unmixing by
``np.linalg.lstsq`` and its residual), optics (a ray through layers by Snell's law with
``np.arcsin`` of a clipped sine and ``np.tan``), option pricing (Heston's characteristic
function with complex ``np.sqrt`` and ``np.log``, integrated by ``np.trapezoid``),
mechanics (a double pendulum by Heun steps and its energy drift) and fixed income (Vasicek
and Cox-Ingersoll-Ross bond prices with ``np.expm1``).  Each is differentiated unchanged
with ``ad.grad`` and checked as every round is (``numpy_program_checks``).

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261217)


_MATURITIES = np.array([0.5, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0])
_PRICES = np.array([2.0, 1.5, 1.0, 3.0])
_EMBED = _rng.normal(size=(5, 8))
_WEIGHTS_IN = _rng.normal(size=(8, 8)) / np.sqrt(8)
_PIXELS = (_rng.random(size=(4, 6)) < 0.5).astype(float)
_NOISE = _rng.normal(size=(4, 2))
_ANCHORS = _rng.normal(size=(4, 3))
_UNIFORMS = _rng.normal(size=(5, 2))
_LABELS = np.array([1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0, -1.0])
_FEATURES = _rng.normal(size=(8, 3)) + _LABELS[:, None] * 0.5
_OBSERVED = np.array([[0.3, -0.5, 1.1], [1.2, 0.4, -0.2], [-0.7, -1.0, 0.5], [0.1, 0.8, 0.9]])


def nelson_siegel_bonds(xp, p):
    """Finance: a Nelson-Siegel zero curve (level, slope, curvature with the loading
    -np.expm1(-t / tau) / (t / tau)), read at each coupon date by np.interp on the
    tabulated maturities, and coupon bonds priced from the discount factors."""
    level, slope, curvature = 0.04 + 0.01 * p[0], -0.02 + 0.01 * p[1], 0.01 + 0.01 * p[2]
    tau = 2.0 * xp.exp(0.1 * p[3])
    x = _MATURITIES / tau
    loading = -xp.expm1(-x) / x
    zero = level + slope * loading + curvature * (loading - xp.exp(-x))
    prices = []
    for coupon, maturity in ((0.03, 2.0), (0.05, 5.0), (0.04, 9.5)):
        dates = np.arange(maturity, 0.0, -0.5)[::-1]
        rates = xp.interp(dates, _MATURITIES, zero)
        flows = np.full(dates.shape, coupon / 2.0)
        flows[-1] += 1.0
        prices.append(xp.sum(flows * xp.exp(-rates * dates)))
    return xp.sum(xp.stack(prices))


def consumer_demand(xp, p):
    """Economics: a CES utility (sum a x^rho)^(1/rho) and a Cobb-Douglas one by
    np.prod(x ** a), each at its Marshallian demand for prices and income, plus the
    CES expenditure-share elasticity."""
    shares = xp.exp(p[:4]) / xp.sum(xp.exp(p[:4]))
    rho = 0.5 + 0.2 * xp.tanh(p[4])
    income = 100.0 * xp.exp(0.1 * p[5])
    sigma = 1.0 / (1.0 - rho)
    weight = shares ** sigma * _PRICES ** (1.0 - sigma)
    ces_demand = income * shares ** sigma * _PRICES ** (-sigma) / xp.sum(weight)
    ces_utility = xp.sum(shares * ces_demand ** rho) ** (1.0 / rho)
    cobb_demand = shares * income / _PRICES
    cobb_utility = xp.prod(cobb_demand ** shares)
    return ces_utility + cobb_utility + xp.sum(weight / xp.sum(weight) * sigma)


def kuramoto_synchrony(xp, p):
    """Coupled oscillators: Kuramoto phases by Euler steps with the pairwise pull
    np.sin(np.subtract.outer(theta, theta)), and the order parameter as np.abs of the
    mean of np.exp(1j * theta)."""
    frequencies = 0.3 * p[:5]
    coupling = 1.5 * xp.exp(0.2 * p[5])
    theta = np.linspace(0.0, 2.0, 5) + 0.1 * p[6:11]
    for _ in range(20):
        pull = xp.mean(xp.sin(xp.subtract.outer(theta, theta)), axis=0)
        theta = theta + 0.1 * (frequencies + coupling * pull)
    order = xp.abs(xp.mean(xp.exp(1j * theta)))
    return order + 0.1 * xp.mean(xp.cos(theta))


def cournot_equilibrium(xp, p):
    """Game theory: a Cournot-Nash equilibrium of firms with linear demand, the first
    order conditions solved by np.linalg.solve of np.ones((n, n)) + np.eye(n), and each
    firm's profit there."""
    intercept, slope = 100.0 + 5.0 * p[0], 1.0 * xp.exp(0.1 * p[1])
    costs = np.array([10.0, 12.0, 15.0, 20.0]) + p[2:6]
    system = slope * (np.ones((4, 4)) + np.eye(4))
    quantities = xp.linalg.solve(system, intercept - costs)
    price = intercept - slope * xp.sum(quantities)
    profits = (price - costs) * quantities
    return xp.sum(profits) + 0.01 * xp.sum(quantities ** 2)


def merton_jump_call(xp, p):
    """Finance: Merton's jump-diffusion call as a Poisson-weighted sum of Black-Scholes
    prices (normal CDF by the tanh approximation), factorials from np.cumprod of
    np.arange."""
    spot, strike, rate, maturity = 100.0, 105.0, 0.02, 1.0
    sigma = 0.2 * xp.exp(0.1 * p[0])
    intensity = 0.5 * xp.exp(0.1 * p[1])
    jump_mean, jump_sd = -0.1 + 0.02 * p[2], 0.15 * xp.exp(0.1 * p[3])
    kappa = xp.exp(jump_mean + 0.5 * jump_sd ** 2) - 1.0
    shifted = intensity * (1.0 + kappa)
    counts = np.arange(12)
    factorials = np.concatenate([[1.0], np.cumprod(np.arange(1.0, 12.0))])

    def cdf(z):
        return 0.5 * (1.0 + xp.tanh(0.7978845608 * (z + 0.044715 * z ** 3)))

    vol = xp.sqrt(sigma ** 2 + counts * jump_sd ** 2 / maturity)
    drift = rate - intensity * kappa + counts * (jump_mean + 0.5 * jump_sd ** 2) / maturity
    d1 = (xp.log(spot / strike) + (drift + 0.5 * vol ** 2) * maturity) / (vol * np.sqrt(maturity))
    d2 = d1 - vol * np.sqrt(maturity)
    calls = spot * cdf(d1) - strike * xp.exp(-drift * maturity) * cdf(d2)
    weights = xp.exp(-shifted * maturity) * (shifted * maturity) ** counts / factorials
    return xp.sum(weights * calls)


def gaussian_copula_loglik(xp, p):
    """Statistics: a Gaussian copula's log-density of normal scores, a correlation
    matrix from tanh-scaled partial correlations through a Cholesky-like product,
    -0.5 log det R by np.linalg.slogdet and the quadratic form by np.linalg.solve."""
    r01, r02, r12 = 0.8 * xp.tanh(p[0]), 0.8 * xp.tanh(p[1]), 0.8 * xp.tanh(p[2])
    row1 = xp.stack([r01, xp.sqrt(1.0 - r01 ** 2), 0.0 * r01])
    third = r12 * xp.sqrt(1.0 - r02 ** 2)
    row2 = xp.stack([r02, third, xp.sqrt(1.0 - r02 ** 2 - third ** 2)])
    factor = xp.stack([np.array([1.0, 0.0, 0.0]) + 0.0 * r01, row1, row2])
    correlation = factor @ factor.T
    _, logdet = xp.linalg.slogdet(correlation)
    solved = xp.linalg.solve(correlation, _OBSERVED.T)
    quadratic = xp.sum(_OBSERVED.T * solved, axis=0) - xp.sum(_OBSERVED ** 2, axis=1)
    return 0.5 * len(_OBSERVED) * logdet + 0.5 * xp.sum(quadratic)


def transformer_block(xp, p):
    """Machine learning: a pre-norm transformer feed-forward on five tokens, a
    LayerNorm by mean and var(keepdims=True), rotary position embeddings rotating
    channel pairs through reshape(..., 2), single-head attention, a GELU by its tanh
    form and an RMSNorm at the end."""
    gain, bias = 1.0 + 0.1 * p[:8], 0.1 * p[8:16]
    tokens = _EMBED
    mean = xp.mean(tokens, axis=-1, keepdims=True)
    var = xp.var(tokens, axis=-1, keepdims=True)
    normed = (tokens - mean) / xp.sqrt(var + 1e-5) * gain + bias
    pairs = normed.reshape(5, 4, 2)
    angle = np.arange(5)[:, None] * (10000.0 ** (-np.arange(4) / 4.0))[None]
    cos, sin = np.cos(angle), np.sin(angle)
    rotated = xp.stack([pairs[..., 0] * cos - pairs[..., 1] * sin,
                        pairs[..., 0] * sin + pairs[..., 1] * cos], axis=-1).reshape(5, 8)
    scores = rotated @ rotated.T / np.sqrt(8.0)
    scores = scores - xp.max(scores, axis=-1, keepdims=True)
    attention = xp.exp(scores) / xp.sum(xp.exp(scores), axis=-1, keepdims=True)
    hidden = attention @ normed @ _WEIGHTS_IN
    gelu = 0.5 * hidden * (1.0 + xp.tanh(np.sqrt(2.0 / np.pi) * (hidden + 0.044715 * hidden ** 3)))
    out = tokens + gelu
    rms = out / xp.sqrt(xp.mean(out ** 2, axis=-1, keepdims=True) + 1e-6)
    return xp.sum(rms[:, :4] * rms[:, 4:])


def vae_elbo(xp, p):
    """Machine learning: a tiny variational autoencoder's evidence lower bound on binary
    pixels, the reparameterised sample mu + sigma * eps with constant eps, the closed
    form Gaussian KL, and a Bernoulli decoder's log-likelihood by np.logaddexp."""
    encoder = p[:12].reshape(6, 2)
    log_sigma = 0.1 * p[12:14]
    decoder = p[14:26].reshape(2, 6)
    mu = _PIXELS @ encoder * 0.3
    sigma = xp.exp(log_sigma)
    z = mu + sigma * _NOISE
    logits = z @ decoder
    reconstruction = xp.sum(_PIXELS * logits - xp.logaddexp(0.0, logits))
    kl = 0.5 * xp.sum(mu ** 2 + sigma ** 2 - 1.0 - 2.0 * log_sigma)
    return -(reconstruction - kl) / len(_PIXELS)


def planar_flow_density(xp, p):
    """Machine learning: two planar normalising flows z + u tanh(w . z + b) applied to
    base samples, the log-determinant log |1 + u . psi| with psi = (1 - tanh^2) w, and
    the flowed samples' log-density under the base."""
    z = _UNIFORMS.copy()
    log_det = 0.0
    for layer in range(2):
        u, w, b = p[5 * layer:5 * layer + 2], p[5 * layer + 2:5 * layer + 4], p[5 * layer + 4]
        activation = xp.tanh(z @ w + b)
        psi = (1.0 - activation ** 2)[:, None] * w
        log_det = log_det + xp.log(xp.abs(1.0 + psi @ u))
        z = z + activation[:, None] * u
    base = -0.5 * xp.sum(z ** 2, axis=1) - np.log(2.0 * np.pi)
    return -xp.mean(base + log_det)


def contrastive_losses(xp, p):
    """Representation learning: InfoNCE over cosine similarities (np.linalg.norm with
    keepdims=True, a log-sum-exp stabilised by max, the positives on np.diag) and a
    triplet margin loss by np.maximum(0, .) against rolled negatives."""
    projection = p[:9].reshape(3, 3)
    anchors = _ANCHORS @ projection
    positives = (_ANCHORS + 0.1) @ projection + 0.1 * p[9:12]
    a = anchors / xp.linalg.norm(anchors, axis=1, keepdims=True)
    b = positives / xp.linalg.norm(positives, axis=1, keepdims=True)
    logits = a @ b.T / 0.5
    top = xp.max(logits, axis=1, keepdims=True)
    log_norm = top[:, 0] + xp.log(xp.sum(xp.exp(logits - top), axis=1))
    info_nce = xp.mean(log_norm - xp.diag(logits))
    positive_gap = xp.sum((anchors - positives) ** 2, axis=1)
    negative_gap = xp.sum((anchors - xp.roll(positives, 1, axis=0)) ** 2, axis=1)
    triplet = xp.mean(xp.maximum(0.0, positive_gap - negative_gap + 5.0))
    return info_nce + triplet


def langevin_and_leapfrog(xp, p):
    """Sampling: unadjusted Langevin steps on a two-component Gaussian mixture with the
    score written by hand and constant noise, then Hamiltonian leapfrog steps from the
    end point and the energy error a Metropolis test would see."""
    centres = np.array([[-1.0, 0.0], [1.5, 0.5]]) + 0.1 * p[:4].reshape(2, 2)
    step = 0.05 * xp.exp(0.1 * p[4])

    def energy_and_score(x):
        d = x - centres
        logits = -0.5 * xp.sum(d ** 2, axis=1)
        top = xp.max(logits)
        weights = xp.exp(logits - top) / xp.sum(xp.exp(logits - top))
        energy = -(top + xp.log(xp.sum(xp.exp(logits - top))))
        return energy, -(weights @ d)

    x = 0.1 * p[5:7]
    for noise in _UNIFORMS:
        _, score = energy_and_score(x)
        x = x + step * score + xp.sqrt(2.0 * step) * 0.3 * noise
    momentum = np.array([0.5, -0.3])
    start_energy, score = energy_and_score(x)
    hamiltonian = start_energy + 0.5 * xp.sum(momentum ** 2)
    for _ in range(5):
        momentum = momentum + 0.5 * step * score
        x = x + step * momentum
        energy, score = energy_and_score(x)
        momentum = momentum + 0.5 * step * score
    return (energy + 0.5 * xp.sum(momentum ** 2) - hamiltonian) * 100.0 + xp.sum(x)


def squared_hinge_svm(xp, p):
    """Classification: a linear support vector machine's primal objective with the
    squared hinge np.maximum(0, 1 - y f) ** 2, an L2 penalty, and the margin width
    2 / |w| by np.linalg.norm."""
    weights, intercept = p[:3], p[3]
    margins = _LABELS * (_FEATURES @ weights + intercept)
    hinge = xp.maximum(0.0, 1.0 - margins) ** 2
    return xp.mean(hinge) + 0.1 * xp.dot(weights, weights) + 0.01 * 2.0 / xp.linalg.norm(weights)


def heat_capacity_models(xp, p):
    """Solid-state physics: Einstein's heat capacity x^2 e^x / (e^x - 1)^2 with np.expm1,
    and Debye's by np.trapezoid of x^4 e^x / (e^x - 1)^2 from a small x over a
    np.linspace grid up to the Debye temperature over T."""
    temperatures = np.array([20.0, 50.0, 100.0, 300.0])
    einstein_t = 240.0 * xp.exp(0.1 * p[0])
    debye_t = 340.0 * xp.exp(0.1 * p[1])
    x = einstein_t / temperatures
    einstein = 3.0 * x ** 2 * xp.exp(x) / xp.expm1(x) ** 2
    debye = []
    for temperature in temperatures:
        grid = xp.linspace(1e-3, debye_t / temperature, 60)
        integrand = grid ** 4 * xp.exp(grid) / xp.expm1(grid) ** 2
        debye.append(9.0 * (temperature / debye_t) ** 3 * xp.trapezoid(integrand, grid))
    return xp.sum(einstein) + xp.sum(xp.stack(debye))


def beam_deflection(xp, p):
    """Structures: a simply supported Euler-Bernoulli beam under a distributed load by
    finite differences, the fourth-difference matrix from np.diag with offsets -2..2,
    a stiffness EI varying along the beam, solved by np.linalg.solve."""
    n = 9
    rigidity = 1.0 + 0.1 * xp.tanh(p[:n])
    load = np.ones(n) + 0.1 * p[n:2 * n]
    h = 1.0 / (n + 1)
    fourth = (np.diag(np.full(n, 6.0)) + np.diag(np.full(n - 1, -4.0), 1)
              + np.diag(np.full(n - 1, -4.0), -1) + np.diag(np.ones(n - 2), 2)
              + np.diag(np.ones(n - 2), -2))
    fourth[0, 0] = fourth[-1, -1] = 5.0
    stiffness = rigidity[:, None] * fourth / h ** 4
    deflection = xp.linalg.solve(stiffness, load)
    return xp.max(deflection) * 100.0 + xp.sum(deflection) * 10.0


_GRID_X, _GRID_Y = np.linspace(-1.0, 1.0, 5), np.linspace(0.0, 1.0, 4)


def chebyshev_approximation(xp, p):
    """Approximation theory: a Chebyshev interpolant of a parameterised function by
    np.polynomial.chebyshev.chebinterpolate (which calls the function at its Chebyshev
    points), read at points through chebvander, its integral over [-1, 1] from the
    coefficients, and a surface by np.polynomial.polynomial.polygrid2d of a coefficient
    array on the tape."""
    from numpy.polynomial import chebyshev, polynomial
    coefficients = chebyshev.chebinterpolate(
        lambda x: xp.exp(0.5 * p[0] * x) * xp.cos((1.0 + 0.2 * p[1]) * x), 6)
    values = chebyshev.chebvander(_GRID_X, 6) @ coefficients
    k = np.arange(7)
    integrals = np.where(k % 2 == 0, 2.0 / (1.0 - k ** 2 + (k == 1)), 0.0)
    integral = xp.sum(coefficients * integrals)
    surface = polynomial.polygrid2d(_GRID_X, _GRID_Y, p[2:8].reshape(2, 3))
    return xp.sum(values ** 2) + integral + xp.mean(surface ** 2)


_CONTACTS = np.array([[8.0, 3.0, 1.0], [3.0, 6.0, 2.0], [1.0, 2.0, 4.0]])
_SCENARIOS = _rng.normal(0.05, 0.2, size=(12, 3))
_ATTRIBUTES = _rng.normal(size=(5, 2))
_NESTS = np.array([0, 0, 1, 1, 1])
_SITES = _rng.normal(size=(4, 2)) * 3.0
_SPECTRA = np.abs(_rng.normal(size=(3, 6))) + 0.2
_MIXTURE = np.array([0.5, 1.2, 0.3]) @ _SPECTRA


def seir_reproduction_number(xp, p):
    """Epidemiology: the basic reproduction number of an age-structured SEIR model as
    the spectral radius of its next-generation matrix, np.max(np.abs(np.linalg.eigvals(.))),
    with the susceptible fractions and infectious periods on the tape."""
    transmissibility = 0.05 * xp.exp(0.2 * p[0])
    susceptible = 1.0 / (1.0 + xp.exp(-p[1:4]))
    infectious_days = 5.0 * xp.exp(0.1 * p[4:7])
    next_generation = transmissibility * susceptible[:, None] * _CONTACTS * infectious_days
    return xp.max(xp.abs(xp.linalg.eigvals(next_generation)))


def kelly_and_cvar(xp, p):
    """Portfolio choice: Kelly's expected log growth np.mean(np.log1p(R @ w)) of softmax
    weights over scenarios, less a penalty on the conditional value at risk, the mean
    of the worst losses from np.sort with a fractional last one."""
    weights = xp.exp(p[:3]) / xp.sum(xp.exp(p[:3]))
    leverage = 0.8 + 0.2 * xp.tanh(p[3])
    returns = _SCENARIOS @ (leverage * weights)
    growth = xp.mean(xp.log1p(returns))
    losses = xp.sort(-returns)[::-1]
    tail = 0.2 * len(losses)                          # 2.4 scenarios
    whole = int(np.floor(tail))
    cvar = (xp.sum(losses[:whole]) + (tail - whole) * losses[whole]) / tail
    return -growth + 0.5 * cvar


def nested_logit_choice(xp, p):
    """Discrete choice: nested logit probabilities, inclusive values by a max-shifted
    log-sum-exp per nest through masks, nest shares by np.exp of scaled inclusive values
    and the log-likelihood of observed choices."""
    beta = p[:2]
    scales = 0.5 + 0.4 / (1.0 + xp.exp(-p[2:4]))
    utility = _ATTRIBUTES @ beta
    log_within, inclusive = [], []
    for nest in range(2):
        members = utility[_NESTS == nest] / scales[nest]
        top = xp.max(members)
        log_sum = top + xp.log(xp.sum(xp.exp(members - top)))
        log_within.append(members - log_sum)
        inclusive.append(scales[nest] * log_sum)
    inclusive = xp.stack(inclusive)
    log_nest = inclusive - xp.log(xp.sum(xp.exp(inclusive)))
    log_prob = xp.concatenate([log_within[0] + log_nest[0], log_within[1] + log_nest[1]])
    return -xp.sum(np.array([3.0, 1.0, 2.0, 0.0, 4.0]) * log_prob)


def gravity_trade_flows(xp, p):
    """Economics: a gravity model of trade, flows GDP_i GDP_j / d_ij ** theta between sites
    at distances from np.linalg.norm of broadcast differences, own flows removed by
    np.fill_diagonal on a constant mask, and multilateral resistance by a few
    fixed-point steps."""
    gdp = xp.exp(p[:4])
    theta = 1.0 + 0.2 * xp.tanh(p[4])
    distance = np.linalg.norm(_SITES[:, None] - _SITES[None], axis=-1)
    np.fill_diagonal(distance, 1.0)
    off_diagonal = np.ones((4, 4))
    np.fill_diagonal(off_diagonal, 0.0)
    friction = distance ** -theta * off_diagonal
    resistance = xp.ones(4)
    for _ in range(5):
        resistance = xp.sqrt(friction @ (gdp / resistance) / xp.sum(gdp))
    flows = xp.outer(gdp, gdp) * friction / xp.outer(resistance, resistance)
    return xp.log(xp.sum(flows))


def spectral_unmixing(xp, p):
    """Spectroscopy: Beer-Lambert absorbance of a mixture, concentrations recovered by
    np.linalg.lstsq(rcond=None) against pure-component spectra whose bands shift with
    the parameters, and the residual norm lstsq reports."""
    spectra = _SPECTRA * xp.exp(0.1 * p[:3])[:, None]
    absorbance = _MIXTURE * (1.0 + 0.05 * p[3:9])
    concentrations, residual, rank, _ = xp.linalg.lstsq(spectra.T, absorbance, rcond=None)
    return xp.sum(concentrations ** 2) + xp.sum(residual)


def ray_through_layers(xp, p):
    """Optics: a ray through flat layers by Snell's law, np.arcsin of n1 sin(a) / n2
    clipped below one, the horizontal offset as a sum of thickness * np.tan(angle), and
    the Fresnel transmittance for s-polarisation at each interface."""
    indices = np.array([1.0, 1.33, 1.5, 1.2]) + np.array([0.0, 0.02, 0.02, 0.02]) * xp.concatenate(
        [xp.zeros(1), p[:3]])
    thickness = np.array([1.0, 2.0, 1.5])
    angle = 0.5 + 0.1 * xp.tanh(p[3])
    offset, transmitted = 0.0, 1.0
    for layer in range(3):
        sine = xp.clip(indices[layer] * xp.sin(angle) / indices[layer + 1], -0.999, 0.999)
        refracted = xp.arcsin(sine)
        cos_in, cos_out = xp.cos(angle), xp.cos(refracted)
        r = (indices[layer] * cos_in - indices[layer + 1] * cos_out) / (
            indices[layer] * cos_in + indices[layer + 1] * cos_out)
        transmitted = transmitted * (1.0 - r ** 2)
        offset = offset + thickness[layer] * xp.tan(refracted)
        angle = refracted
    return offset + transmitted


def heston_call_by_characteristic_function(xp, p):
    """Finance: a Heston call from the characteristic function (the 'little trap' form
    with complex np.sqrt and np.log), the two probabilities integrated by np.trapezoid
    of the real part over a frequency grid."""
    spot, strike, rate, maturity = 100.0, 100.0, 0.01, 0.5
    kappa, theta = 2.0 * xp.exp(0.1 * p[0]), 0.04 * xp.exp(0.1 * p[1])
    vol_of_vol, rho, v0 = 0.3 * xp.exp(0.1 * p[2]), -0.6 + 0.1 * xp.tanh(p[3]), 0.04
    u = np.linspace(1e-4, 60.0, 400)

    def characteristic(phi):
        d = xp.sqrt((rho * vol_of_vol * 1j * phi - kappa) ** 2
                    + vol_of_vol ** 2 * (1j * phi + phi ** 2))
        g = (kappa - rho * vol_of_vol * 1j * phi - d) / (kappa - rho * vol_of_vol * 1j * phi + d)
        e = xp.exp(-d * maturity)
        c = kappa * theta / vol_of_vol ** 2 * (
            (kappa - rho * vol_of_vol * 1j * phi - d) * maturity
            - 2.0 * xp.log((1.0 - g * e) / (1.0 - g)))
        dd = (kappa - rho * vol_of_vol * 1j * phi - d) / vol_of_vol ** 2 * (1.0 - e) / (1.0 - g * e)
        return xp.exp(c + dd * v0 + 1j * phi * (np.log(spot) + rate * maturity))

    kernel = np.exp(-1j * u * np.log(strike)) / (1j * u)
    first = 0.5 + xp.trapezoid(xp.real(kernel * characteristic(u - 1j)
                                        / characteristic(np.array(-1j))), u) / np.pi
    second = 0.5 + xp.trapezoid(xp.real(kernel * characteristic(u)), u) / np.pi
    return spot * first - strike * np.exp(-rate * maturity) * second


def double_pendulum_energy(xp, p):
    """Mechanics: a double pendulum by Heun steps of its equations of motion (written
    out with np.sin and np.cos of the angle difference), and the drift of its total
    energy over the run plus the final angles."""
    masses, lengths, g = np.array([1.0, 1.0]), np.array([1.0, 1.0]), 9.81
    state = xp.concatenate([0.8 + 0.1 * p[:2], 0.1 * p[2:4]])

    def derivative(s):
        a, b, wa, wb = s[0], s[1], s[2], s[3]
        delta = a - b
        den = 2.0 * masses[0] + masses[1] - masses[1] * xp.cos(2.0 * delta)
        acc_a = (-g * (2.0 * masses[0] + masses[1]) * xp.sin(a)
                 - masses[1] * g * xp.sin(a - 2.0 * b)
                 - 2.0 * xp.sin(delta) * masses[1] * (wb ** 2 * lengths[1]
                                                      + wa ** 2 * lengths[0] * xp.cos(delta))
                 ) / (lengths[0] * den)
        acc_b = (2.0 * xp.sin(delta) * (wa ** 2 * lengths[0] * (masses[0] + masses[1])
                                        + g * (masses[0] + masses[1]) * xp.cos(a)
                                        + wb ** 2 * lengths[1] * masses[1] * xp.cos(delta))
                 ) / (lengths[1] * den)
        return xp.stack([wa, wb, acc_a, acc_b])

    def energy(s):
        a, b, wa, wb = s[0], s[1], s[2], s[3]
        kinetic = 0.5 * (masses[0] + masses[1]) * wa ** 2 + 0.5 * masses[1] * wb ** 2 \
            + masses[1] * wa * wb * xp.cos(a - b)
        potential = -(masses[0] + masses[1]) * g * xp.cos(a) - masses[1] * g * xp.cos(b)
        return kinetic + potential

    start = energy(state)
    h = 0.01
    for _ in range(30):                               # Heun's steps
        slope = derivative(state)
        state = state + 0.5 * h * (slope + derivative(state + h * slope))
    return (energy(state) - start) * 10.0 + state[0] + state[1]


def short_rate_bonds(xp, p):
    """Fixed income: zero-coupon prices under Vasicek (B = -np.expm1(-a t) / a) and
    Cox-Ingersoll-Ross (gamma from np.sqrt, np.expm1 in B), and the spread between the
    two yield curves."""
    a, b, sigma, r0 = 0.5 * xp.exp(0.1 * p[0]), 0.04 + 0.005 * p[1], 0.02 * xp.exp(0.1 * p[2]), 0.03
    t = np.array([0.5, 1.0, 2.0, 5.0, 10.0])
    vasicek_b = -xp.expm1(-a * t) / a
    vasicek_a = ((b - sigma ** 2 / (2.0 * a ** 2)) * (vasicek_b - t)
                 - sigma ** 2 * vasicek_b ** 2 / (4.0 * a))
    vasicek = xp.exp(vasicek_a - vasicek_b * r0)
    cir_sigma = 0.1 * xp.exp(0.1 * p[3])
    gamma = xp.sqrt(a ** 2 + 2.0 * cir_sigma ** 2)
    growth = xp.expm1(gamma * t)
    denominator = (gamma + a) * growth + 2.0 * gamma
    cir_b = 2.0 * growth / denominator
    exponent = 2.0 * a * b / cir_sigma ** 2
    cir_a = (2.0 * gamma * xp.exp((a + gamma) * t / 2.0) / denominator) ** exponent
    cir = cir_a * xp.exp(-cir_b * r0)
    spread = -xp.log(cir) / t + xp.log(vasicek) / t
    return xp.sum(spread ** 2) * 1e4 + xp.sum(vasicek + cir)


PROGRAMS = [
    # (program, parameters, whether HIPS autograd has every function it calls)
    (nelson_siegel_bonds, _rng.normal(size=4), False),      # no interp rule for fp
    (consumer_demand, _rng.normal(size=6), True),
    (kuramoto_synchrony, _rng.normal(size=11), False),      # no ufunc .outer
    (cournot_equilibrium, _rng.normal(size=6), True),
    (merton_jump_call, _rng.normal(size=4), True),
    (gaussian_copula_loglik, _rng.normal(size=3), True),
    (transformer_block, _rng.normal(size=16), True),
    (vae_elbo, _rng.normal(size=26), True),
    (planar_flow_density, _rng.normal(size=10), True),
    (contrastive_losses, _rng.normal(size=12), False),      # its backward pass mis-shapes a sum
    (langevin_and_leapfrog, _rng.normal(size=7), True),
    (squared_hinge_svm, _rng.normal(size=4), True),
    (heat_capacity_models, _rng.normal(size=2), False),     # no trapezoid rule
    (beam_deflection, _rng.normal(size=18), True),
    (chebyshev_approximation, _rng.normal(size=8), False),  # chebinterpolate makes an ndarray
    (seir_reproduction_number, _rng.normal(size=7), False),  # no eigvals rule
    (kelly_and_cvar, _rng.normal(size=4), True),
    (nested_logit_choice, _rng.normal(size=4), True),
    (gravity_trade_flows, _rng.normal(size=5), True),
    (spectral_unmixing, _rng.normal(size=9), False),        # no lstsq rule
    (ray_through_layers, _rng.normal(size=4), True),
    (heston_call_by_characteristic_function, _rng.normal(size=4), False),  # no trapezoid rule
    (double_pendulum_energy, _rng.normal(size=4), True),
    (short_rate_bonds, _rng.normal(size=4), True),
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
