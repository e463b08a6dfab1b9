"""A fourteenth set of short NumPy programs, from domains and NumPy calls the earlier
rounds did not visit: chemistry (a titration curve read back by ``np.interp`` along a
closed-form volume curve with ``-np.log10``; a pH from the cubic charge balance by
``np.roots`` of a list mixing numbers and 0-d Tensors; Michaelis-Menten constants from
Lineweaver-Burk and Eadie-Hofstee lines by ``np.polyfit``), ecology (Lotka-Volterra by
RK4 in a loop; logistic growth with ``np.reciprocal``, ``np.expm1`` and
``np.emath.logn``; Shannon diversity by ``np.log(out=np.zeros_like(q), where=q > 0)``,
evenness by ``np.divide(out=, where=)``, Hill numbers by ``np.float_power``), climate
(degree-days by ``np.clip`` with ``None`` and ``np.inf`` bounds, a rolling mean by
differences of ``np.cumsum`` after ``np.insert``, anomalies against ``np.nanmean``),
operations research (entropic transport by Sinkhorn's matrix scaling with
``np.transpose`` and ``np.ravel``), recommender systems (implicit feedback with
``np.log1p`` confidences, ``np.einsum('uk,ik->ui')``, ``np.unique_counts``), audio
(pre-emphasis by ``np.append``, mu-law companding by ``np.sign``, ``np.log1p`` and
``np.absolute``), computer vision (homographies by ``np.linalg.solve``, by the last
right singular vector of ``np.linalg.svd`` of five correspondences and by the textbook
direct linear transform of four, the null vector ``Vh[-1]`` of an 8x9 matrix; box IoU and GIoU by
``np.minimum``/``np.maximum`` with pairs from ``np.mask_indices``), control (LQR by
Riccati iteration with ``np.linalg.inv``, ``np.transpose`` and ``np.trace``; a
bearing-only extended Kalman filter with wrapped innovations), queueing (Erlang B and C
for every staffing level by ``np.cumprod``), insurance (a life annuity and reserves from
``np.cumprod(1 - q)`` with ``np.insert``, ``np.power`` and a reversed ``np.cumsum``),
sports (Massey ratings with ``np.add.at`` and ``np.subtract.at``), surveying (law of
cosines and sines by ``np.arccos``/``np.arcsin``, ``np.radians``, ``np.degrees``),
structures (a catenary by ``np.sinh`` and NumPy 2's ``np.acosh``), turbulence
(``np.fft.irfftn(s=, axes=)``), scheduling (``np.union1d``, ``np.intersect1d``,
``np.setdiff1d`` of parameter times), finance (covariance shrinkage with
``np.diag_indices``, ``np.put``, ``np.spacing``, ``np.tril_indices_from``; a Markowitz
frontier by ``np.block`` and ``solve`` with several right-hand sides), ``np.emath``'s
``log``, ``log10``, ``log2``, ``power``, ``arccos`` and ``arctanh`` past the real
domain, class-balanced losses (``np.unique_all``, ``np.positive``, ``np.conj``,
``np.logical_and``) and seismology (an STA/LTA trigger and ``np.sinc`` interpolation).
Each is differentiated unchanged with ``ad.grad`` and checked as every round is
(``numpy_program_checks``).  The direct linear transform needed the library fixed:
the gradient of ``Vh[-1]`` from ``full_matrices=True`` was refused as an arbitrary basis
of the complement (test_numpy_fourteenth_findings.py).  One was rewritten: the
anomalies first summed by ``np.nansum(anomalies ** 2)`` over NaN days had a NaN
gradient (the zero that ``nansum`` sends to a NaN entry times the NaN in ``2 * x``, as
PyTorch's ``nansum`` gives too; ``ad.detect_anomaly`` names the cause), so it keeps the
recorded days by ``~np.isnan`` before squaring.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261214)
_BASE_VOLUMES = np.linspace(0.0, 20.0, 9)
_SUBSTRATE = np.array([0.5, 1.0, 2.0, 4.0, 8.0, 16.0])
_TEMPERATURES = 12.0 + 8.0 * np.sin(np.linspace(0.0, 6.0, 30)) + _rng.normal(size=30)
_RATINGS = np.array([[3, 0, 1, 0], [0, 5, 0, 2], [1, 0, 0, 4]])
_SAMPLES = np.sin(0.7 * np.arange(26.0)) * np.linspace(0.2, 1.0, 26)
_CORNERS = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.5, 0.3]])
_PHASES = _rng.uniform(size=(4, 4, 3))
_RETURNS = _rng.normal(size=(5, 3))
_NOISE = _rng.normal(size=40)
_OBSERVED = np.array([True, True, False, True, False, True])


def titration_curve(xp, p):
    """A weak acid titrated by a strong base, written as chemists do: the base volume
    for each pH of a grid from the charge balance in closed form, the pH at the added
    volumes read back by np.interp along that curve, the steepest step by np.diff, and
    the pKa by -np.log10 against the pH at half equivalence."""
    ka = 10.0 ** (-4.76 + 0.1 * p[0])
    acid, base, kw = 0.1 * xp.exp(0.1 * p[1]), 0.1, 1e-14
    ph_grid = np.linspace(2.0, 12.0, 201)
    h = 10.0 ** -ph_grid
    dissociated = ka / (ka + h)
    volume = 20.0 * (acid * dissociated - h + kw / h) / (base + h - kw / h)
    ph = xp.interp(_BASE_VOLUMES[1:-1], volume, ph_grid)
    half_equivalence = xp.interp(10.0 * acid / base, volume, ph_grid)
    return xp.sum(ph) / 10 + xp.max(xp.diff(ph)) + (half_equivalence + xp.log10(ka)) ** 2


def ph_from_cubic_roots(xp, p):
    """The pH of a weak acid with some base added, from the cubic charge balance solved
    by np.roots of parameter coefficients (a list mixing numbers and 0-d Tensors); the
    physical root is the largest real part."""
    ka = 10.0 ** (-3.0 + 0.2 * p[0])
    acid, sodium, kw = 0.01 * (1.0 + 0.1 * p[1]), 0.002, 1e-14
    roots = xp.roots([1.0, ka + sodium, sodium * ka - kw - ka * acid, -ka * kw])
    h = xp.max(xp.real(roots))
    return -xp.log10(h)


def michaelis_menten_fits(xp, p):
    """Enzyme kinetics: rates at substrate levels from parameter Vmax and Km with
    measurement error, linearised as Lineweaver-Burk (1/v against 1/S) and Eadie-Hofstee
    (v against v/S), each fitted by np.polyfit, and the estimates compared."""
    vmax, km = 2.0 * xp.exp(0.1 * p[0]), 1.5 * xp.exp(0.1 * p[1])
    rates = vmax * _SUBSTRATE / (km + _SUBSTRATE) * (1.0 + 0.02 * p[2:8])
    slope, intercept = xp.polyfit(1.0 / _SUBSTRATE, 1.0 / rates, 1)
    vmax_lb, km_lb = 1.0 / intercept, slope / intercept
    eh_slope, eh_intercept = xp.polyfit(rates / _SUBSTRATE, rates, 1)
    return (vmax_lb - vmax) ** 2 + (km_lb - km) ** 2 + (eh_intercept - vmax) ** 2 \
        + (-eh_slope - km) ** 2 + vmax_lb + km_lb


def lotka_volterra_rk4(xp, p):
    """Predators and prey by classical Runge-Kutta steps in a Python loop, the state
    built by np.stack of the two populations; the path's mean prey by np.mean of the
    stacked history and the final predator count."""
    alpha, beta = 1.0 + 0.1 * p[0], 0.4 + 0.05 * p[1]
    delta, gamma = 0.1 + 0.01 * p[2], 0.4 + 0.05 * p[3]

    def rates(state):
        prey, predators = state[0], state[1]
        return xp.stack([alpha * prey - beta * prey * predators,
                         delta * prey * predators - gamma * predators])

    state = xp.stack([10.0 + p[4], 5.0 + p[5]])
    history, dt = [state], 0.1
    for _ in range(25):
        k1 = rates(state)
        k2 = rates(state + 0.5 * dt * k1)
        k3 = rates(state + 0.5 * dt * k2)
        k4 = rates(state + dt * k3)
        state = state + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        history.append(state)
    path = xp.stack(history)
    return xp.mean(path[:, 0]) / 10 + state[1] / 10


def logistic_growth_fit(xp, p):
    """Logistic population growth: the curve K / (1 + (K/N0 - 1) exp(-r t)) by
    np.reciprocal and np.expm1, its squared error against counts, the doubling time
    early on by np.emath.logn(2, ...) and the inflection time by np.log."""
    growth, capacity, start = 0.5 + 0.05 * p[0], 100.0 * xp.exp(0.1 * p[1]), 5.0 + p[2]
    t = np.arange(12.0)
    counts = 100.0 / (1.0 + 19.0 * np.exp(-0.5 * t))
    curve = capacity * xp.reciprocal(1.0 + (capacity / start - 1.0) * xp.exp(-growth * t))
    doubling = xp.emath.logn(2.0, 2.0) / growth
    inflection = xp.log(capacity / start - 1.0) / growth
    early = xp.expm1(growth * t[:3])
    return xp.sum((curve - counts) ** 2) / 1000 + doubling + inflection / 10 + xp.sum(early) / 10


def degree_days_and_anomalies(xp, p):
    """Climate bookkeeping: heating and cooling degree-days by np.clip (a None and an
    np.inf bound), a 7-day rolling mean by differences of np.cumsum with a leading zero
    from np.insert, and anomalies of the recorded days (~np.isnan) against a np.nanmean
    baseline."""
    temperature = _TEMPERATURES + p[:30]
    heating = xp.sum(xp.clip(18.0 - temperature, 0.0, None))
    cooling = xp.sum(xp.clip(temperature - 22.0, 0, np.inf))
    running = xp.cumsum(xp.insert(temperature, 0, 0.0))
    weekly = (running[7:] - running[:-7]) / 7
    recorded = xp.where(np.arange(30) % 6 == 2, np.nan, temperature)
    baseline = xp.nanmean(recorded)
    anomalies = recorded[~xp.isnan(recorded)] - baseline
    return heating / 10 + cooling / 10 + xp.max(weekly) + xp.sum(anomalies ** 2) / 100


def entropic_transport_by_scaling(xp, p):
    """Entropic optimal transport between two weighted point sets by Sinkhorn's matrix
    scaling (u = a / K v, v = b / K^T u with np.transpose), the plan read by np.ravel,
    its cost and its entropy by np.sum(P * np.log(P))."""
    sources = np.linspace(0.0, 1.0, 5) + 0.1 * p[:5]
    targets = np.linspace(0.2, 1.2, 4) + 0.1 * p[5:9]
    a = xp.exp(0.1 * p[9:14])
    a = a / xp.sum(a)
    b = np.full(4, 0.25)
    cost = xp.subtract.outer(sources, targets) ** 2
    kernel = xp.exp(-cost / 0.05)
    v = np.ones(4)
    for _ in range(30):
        u = a / (kernel @ v)
        v = b / (xp.transpose(kernel) @ u)
    plan = u[:, None] * kernel * v[None, :]
    flat = xp.ravel(plan)
    return xp.sum(flat * xp.ravel(cost)) * 10 + xp.sum(plan * xp.log(plan)) / 10


def implicit_feedback_factorisation(xp, p):
    """A recommender from play counts: confidence 1 + alpha * np.log1p(r / eps),
    preferences (r > 0) as floats, predictions by np.einsum('uk,ik->ui') of user and
    item factors, a weighted squared loss with an L2 penalty, and item popularity by
    np.unique_counts weighting the item factors."""
    users, items = p[:6].reshape(3, 2), p[6:14].reshape(4, 2)
    confidence = 1.0 + 2.0 * np.log1p(_RATINGS / 0.5)
    preference = (_RATINGS > 0).astype(float)
    predicted = xp.einsum("uk,ik->ui", users, items)
    loss = xp.sum(confidence * (preference - predicted) ** 2)
    item_of_each_play = np.repeat(np.tile(np.arange(4), 3), _RATINGS.ravel())
    counts = np.unique_counts(item_of_each_play).counts
    penalty = xp.sum(counts[:, None] * items ** 2) + xp.sum(users ** 2)
    return loss + 0.1 * penalty


def mu_law_frames(xp, p):
    """Audio coding: a gain on a signal, pre-emphasis by np.append of the first sample to
    first differences, mu-law companding by np.sign * np.log1p(mu * np.absolute(x)),
    frames of 8 every 4 samples by sliding_window_view, and their log energies."""
    signal = xp.tanh((1.0 + 0.1 * p[0]) * _SAMPLES + 0.05 * p[1:27])
    emphasised = xp.append(signal[0], signal[1:] - 0.9 * signal[:-1])
    mu = 255.0
    companded = xp.sign(emphasised) * xp.log1p(mu * xp.absolute(emphasised)) / np.log1p(mu)
    frames = np.lib.stride_tricks.sliding_window_view(companded, 8)[::4]
    energies = xp.log10(xp.sum(frames ** 2, axis=1) + 1e-6)
    return xp.sum(energies) + xp.sum(companded) / 10


def homography_by_solve(xp, p):
    """A homography from four point correspondences (the unit square to perturbed
    corners) by the 8x8 linear system with h33 = 1, np.linalg.solve; the mapped centre
    in homogeneous coordinates and its distance from a target."""
    source = _CORNERS[:4]
    target = source + 0.1 * p[:8].reshape(4, 2)
    rows = []
    for (x, y), (u, v) in zip(source, target):
        rows.append(xp.stack([x + 0 * u, y + 0 * u, 1.0 + 0 * u, 0 * u, 0 * u, 0 * u,
                              -u * x, -u * y]))
        rows.append(xp.stack([0 * v, 0 * v, 0 * v, x + 0 * v, y + 0 * v, 1.0 + 0 * v,
                              -v * x, -v * y]))
    h = xp.linalg.solve(xp.stack(rows), xp.ravel(target))
    matrix = xp.reshape(xp.concatenate([h, xp.ones(1)]), (3, 3))
    centre = matrix @ np.array([0.5, 0.5, 1.0])
    mapped = centre[:2] / centre[2]
    return xp.sum((mapped - np.array([0.6, 0.4])) ** 2) + xp.sum(matrix ** 2) / 10


def _dlt_rows(xp, source, target):
    """The direct linear transform's two rows per correspondence (x, y) -> (u, v), each
    built by np.stack of numbers and 0-d Tensors, stacked into a matrix."""
    rows = []
    for (x, y), point in zip(source, target):
        u, v = point[0], point[1]
        rows.append(xp.stack([-x + 0 * u, -y + 0 * u, -1.0 + 0 * u, 0 * u, 0 * u, 0 * u,
                              u * x, u * y, u]))
        rows.append(xp.stack([0 * v, 0 * v, 0 * v, -x + 0 * v, -y + 0 * v, -1.0 + 0 * v,
                              v * x, v * y, v]))
    return xp.stack(rows)


def homography_by_svd(xp, p):
    """The direct linear transform: five noisy correspondences make a 10x9 matrix whose
    last right singular vector (np.linalg.svd with full matrices, Vt[-1]) is the
    homography up to scale, normalised by its last entry; the transfer error."""
    target = _CORNERS * 1.2 + 0.3 + 0.05 * p[:10].reshape(5, 2)
    _, _, vt = xp.linalg.svd(_dlt_rows(xp, _CORNERS, target))
    h = vt[-1] / vt[-1, -1]
    matrix = xp.reshape(h, (3, 3))
    homogeneous = xp.transpose(matrix @ xp.transpose(np.column_stack([_CORNERS, np.ones(5)])))
    mapped = homogeneous[:, :2] / homogeneous[:, 2:]
    return xp.sum((mapped - target) ** 2) * 100 + xp.sum(h ** 2) / 10


def homography_by_dlt_of_four_points(xp, p):
    """The textbook direct linear transform: four correspondences make an 8x9 matrix
    whose null vector, the last row of Vh from np.linalg.svd with its default full
    matrices, is the homography up to scale and sign, normalised by its last entry."""
    target = _CORNERS[:4] * 0.8 + 0.1 + 0.05 * p[:8].reshape(4, 2)
    vh = xp.linalg.svd(_dlt_rows(xp, _CORNERS[:4], target))[2]
    matrix = xp.reshape(vh[-1] / vh[-1, -1], (3, 3))
    centre = matrix @ np.array([0.5, 0.5, 1.0])
    return xp.sum((centre[:2] / centre[2] - 0.5) ** 2) * 10 + xp.sum(matrix ** 2) / 10


def box_overlaps(xp, p):
    """Object detection: boxes from centres and log sizes, the pairwise intersection by
    np.minimum/np.maximum of corners broadcast with [:, None], the IoU matrix, its
    upper triangle by np.mask_indices(n, np.triu, 1), and a GIoU loss against targets."""
    centres = p[:8].reshape(4, 2)
    sizes = xp.exp(0.3 * p[8:16].reshape(4, 2)) + 0.5
    low, high = centres - sizes / 2, centres + sizes / 2
    inner = xp.clip(xp.minimum(high[:, None], high[None]) - xp.maximum(low[:, None], low[None]),
                    0.0, None)
    intersection = inner[..., 0] * inner[..., 1]
    areas = sizes[:, 0] * sizes[:, 1]
    iou = intersection / (areas[:, None] + areas[None] - intersection)
    overlap = iou[np.mask_indices(4, np.triu, 1)]
    targets = np.array([[0.0, 0.0, 1.0, 1.0]]) + np.arange(4)[:, None] * 0.3
    hull = xp.maximum(high, targets[:, 2:]) - xp.minimum(low, targets[:, :2])
    inter_t = xp.clip(xp.minimum(high, targets[:, 2:]) - xp.maximum(low, targets[:, :2]), 0, None)
    inter_area = inter_t[:, 0] * inter_t[:, 1]
    union = areas + 0.49 - inter_area
    giou = inter_area / union - (hull[:, 0] * hull[:, 1] - union) / (hull[:, 0] * hull[:, 1])
    return xp.sum(overlap ** 2) + xp.sum(1.0 - giou)


def lqr_by_riccati_iteration(xp, p):
    """A discrete LQR controller for a double integrator with parameter damping and
    input gain: the Riccati recursion iterated 60 times with np.linalg.inv and np.transpose,
    the gain K, and the cost np.trace(P @ X0) of an initial covariance."""
    dt = 0.1
    a = np.array([[1.0, dt], [0.0, 1.0]]) + xp.stack(
        [xp.stack([0.0 * p[0], 0.0 * p[0]]), xp.stack([0.0 * p[0], -0.05 * xp.exp(0.2 * p[0])])])
    b = xp.reshape(xp.stack([0.5 * dt ** 2 + 0 * p[1], dt * (1.0 + 0.1 * p[1])]), (2, 1))
    q = np.diag([1.0, 0.1]) * xp.exp(0.1 * p[2])
    r = np.array([[0.5]])
    value = q
    for _ in range(60):
        gain_part = xp.linalg.inv(r + xp.transpose(b) @ value @ b) @ xp.transpose(b) @ value @ a
        value = q + xp.transpose(a) @ value @ a - xp.transpose(a) @ value @ b @ gain_part
    gain = xp.linalg.inv(r + b.T @ value @ b) @ b.T @ value @ a
    return xp.trace(value @ np.array([[1.0, 0.2], [0.2, 0.5]])) + xp.sum(gain ** 2)


def erlang_staffing(xp, p):
    """A call centre: offered load a from parameter arrival and service rates, Erlang B
    for every staffing level at once from terms a^k/k! by np.cumprod(a / np.arange(1,
    c+1)) with np.concatenate, Erlang C from it, the mean wait, and the service level."""
    load = 4.0 * xp.exp(0.1 * p[0])
    service = 1.0 + 0.05 * p[1]
    servers = 10
    terms = xp.concatenate([xp.ones(1), xp.cumprod(load / np.arange(1, servers + 1))])
    totals = xp.cumsum(terms)
    blocking = terms / totals
    c = np.arange(servers + 1)[5:]
    erlang_b = blocking[5:]
    erlang_c = c * erlang_b / (c - load * (1.0 - erlang_b))
    wait = erlang_c / (c * service - load * service)
    level = 1.0 - erlang_c * xp.exp(-(c - load) * service * 0.5)
    return xp.sum(wait) + xp.sum(level) + erlang_b[0]


def life_annuity(xp, p):
    """Life insurance: Gompertz-Makeham mortality q_x from parameters, survival by
    np.cumprod(1 - q) with a leading 1 by np.insert, discount factors by np.power,
    the annuity, the whole-life premium and the reserve at each age by np.cumsum
    reversed with [::-1]."""
    ages = np.arange(40, 80)
    hazard = 0.0005 * xp.exp(0.1 * p[0]) + 0.00003 * xp.exp((0.09 + 0.005 * p[1]) * ages)
    q = -xp.expm1(-hazard)
    survival = xp.insert(xp.cumprod(1.0 - q), 0, 1.0)
    discount = xp.power(1.0 / (1.03 + 0.005 * p[2]), np.arange(41))
    annuity = xp.sum(survival[:-1] * discount[:-1])
    insurance = xp.sum(survival[:-1] * q * discount[1:])
    premium = insurance / annuity
    future = xp.cumsum((survival[:-1] * (q * discount[1:] - premium * discount[:-1]))[::-1])[::-1]
    reserves = future / (survival[:-1] * discount[:-1])
    return premium * 100 + xp.sum(reserves ** 2)


def massey_ratings(xp, p):
    """Sports ratings by Massey's method: game margins from parameters, the right-hand
    side by np.add.at and np.subtract.at into np.zeros_like of the margins' dtype, the
    Laplacian of the schedule with its last row replaced by ones (ratings sum to zero),
    solved by np.linalg.solve; predicted margins from the ratings."""
    winners = np.array([0, 1, 2, 3, 0, 2, 1, 3])
    losers = np.array([1, 2, 3, 0, 2, 1, 3, 0])
    margins = 3.0 + p[:8]
    laplacian = np.zeros((4, 4))
    np.add.at(laplacian, (winners, winners), 1.0)
    np.add.at(laplacian, (losers, losers), 1.0)
    np.subtract.at(laplacian, (winners, losers), 1.0)
    np.subtract.at(laplacian, (losers, winners), 1.0)
    laplacian[-1] = 1.0
    rhs = xp.zeros_like(margins[:4])
    np.add.at(rhs, winners, margins)
    np.subtract.at(rhs, losers, margins)
    rhs[-1] = 0.0
    ratings = xp.linalg.solve(laplacian, rhs)
    predicted = ratings[winners] - ratings[losers]
    return xp.sum((predicted - margins) ** 2) + xp.sum(ratings ** 2)


def triangulation_survey(xp, p):
    """Surveying: a triangle's sides from measured baselines, its angles by the law of
    cosines with np.arccos, a check angle by the law of sines with np.arcsin, bearings
    given in degrees turned into radians by np.radians and back by np.degrees."""
    a, b, c = 5.0 + 0.1 * p[0], 6.0 + 0.1 * p[1], 7.0 + 0.1 * p[2]
    alpha = xp.arccos((b ** 2 + c ** 2 - a ** 2) / (2 * b * c))
    beta = xp.arccos((a ** 2 + c ** 2 - b ** 2) / (2 * a * c))
    gamma = np.pi - alpha - beta
    check = xp.arcsin(a * xp.sin(gamma) / c)
    bearing = xp.radians(30.0 + p[3])
    east = b * xp.sin(bearing + alpha)
    return xp.degrees(gamma) / 100 + (check - alpha) ** 2 + east + xp.degrees(beta) / 50


def catenary_cable(xp, p):
    """A cable hanging between two towers: the catenary parameter from the sag by
    Newton steps on a cosh equation, the length by np.sinh, the tension, and the
    parameter recovered by np.acosh (NumPy 2's name) of the tower height."""
    span, sag = 100.0 * (1.0 + 0.01 * p[0]), 10.0 * (1.0 + 0.05 * p[1])
    weight = 2.0 * xp.exp(0.1 * p[2])
    c = 100.0 + 0 * sag
    for _ in range(30):
        f = c * xp.cosh(span / (2 * c)) - c - sag
        df = xp.cosh(span / (2 * c)) - span / (2 * c) * xp.sinh(span / (2 * c)) - 1.0
        c = c - f / df
    length = 2 * c * xp.sinh(span / (2 * c))
    tension = weight * (c + sag)
    half_span = c * xp.acosh((c + sag) / c)
    return length / 10 + tension / 100 + (half_span - span / 2) ** 2 * 1e4


def turbulent_field_synthesis(xp, p):
    """A random velocity field from a spectrum: Fourier amplitudes with a parameter
    slope and fixed random phases on a 4x4x3 half-spectrum, the field by
    np.fft.irfftn(s=(4, 4, 4)), its energy and its largest value."""
    k = np.sqrt(np.fft.fftfreq(4)[:, None, None] ** 2 + np.fft.fftfreq(4)[None, :, None] ** 2
                + np.fft.rfftfreq(4)[None, None, :] ** 2) + 0.1
    slope = -5.0 / 6.0 + 0.1 * p[0]
    phases = np.exp(2j * np.pi * _PHASES)
    spectrum = k ** slope * phases * (1.0 + 0.1 * p[1:49].reshape(4, 4, 3))
    field = xp.fft.irfftn(spectrum, s=(4, 4, 4), axes=(0, 1, 2))
    return xp.sum(field ** 2) * 10 + xp.max(field)



def merged_sampling_schedule(xp, p):
    """Two instruments' sampling times (parameter offsets on two grids) merged by
    np.union1d, the common times of a regular grid with a set by np.intersect1d, the
    readings interpolated at the merged times and integrated by np.trapezoid."""
    first = np.linspace(0.0, 1.0, 5) + 0.01 * p[:5]
    second = np.linspace(0.05, 0.95, 4) + 0.01 * p[5:9]
    merged = xp.union1d(first, second)
    readings = xp.sin(3.0 * merged) + merged ** 2
    shared = np.intersect1d(np.arange(10), np.array([2, 3, 5, 7, 11]))
    extra = xp.setdiff1d(merged, merged[shared[:2]])
    return xp.trapezoid(readings, merged) + xp.sum(extra ** 2) / 10


def covariance_shrinkage(xp, p):
    """A shrunk covariance: the sample covariance of returns, its diagonal read by
    np.diag_indices and kept, the off-diagonal scaled by a parameter, a jitter of
    np.spacing(1.0) on the diagonal by np.put, and the log-determinant by slogdet."""
    returns = _RETURNS + 0.1 * p[:15].reshape(5, 3)
    covariance = xp.cov(returns, rowvar=False)
    rows, cols = np.diag_indices(3)
    shrink = 1.0 / (1.0 + xp.exp(-p[15]))
    shrunk = shrink * covariance
    shrunk[rows, cols] = covariance[rows, cols]
    xp.put(shrunk, [0, 4, 8], xp.diagonal(shrunk) + np.spacing(1.0))
    lower = shrunk[np.tril_indices_from(shrunk, -1)]
    sign, logdet = xp.linalg.slogdet(shrunk)
    return sign * logdet + xp.sum(lower ** 2)



def complex_continuations(xp, p):
    """Formulas continued past their real domains by np.emath: the log of a
    sign-changing signal (np.emath.log, log10, log2), square roots of a discriminant
    by np.emath.power(d, 0.5), and np.emath.arccos/arctanh beyond [-1, 1]."""
    signal = 0.5 + p[:6]
    logs = xp.emath.log(signal) + xp.emath.log10(signal) + xp.emath.log2(signal)
    discriminant = p[6:9] ** 2 - 1.0
    roots = xp.emath.power(discriminant, 0.5)
    far = 1.5 + p[9:11] ** 2
    angles = xp.emath.arccos(far) + xp.emath.arctanh(far)
    return (xp.sum(xp.abs(logs)) + xp.sum(xp.real(roots) + xp.imag(roots))
            + xp.sum(xp.imag(angles)) + xp.sum(xp.real(angles)))


def class_balanced_loss(xp, p):
    """Imbalanced classification: labels counted by np.unique_counts and np.unique_all,
    class weights from the effective number (1 - beta^n) / (1 - beta) with np.positive
    and np.conj on real data (both the identity), and a weighted softmax cross-entropy
    of parameter logits read by np.logical_and masks."""
    labels = np.array([0, 0, 0, 0, 1, 1, 2, 0, 1, 0])
    counted = np.unique_counts(labels)
    inverse = np.unique_all(labels).inverse_indices
    effective = (1.0 - 0.9 ** counted.counts) / (1.0 - 0.9)
    weights = 1.0 / effective
    logits = xp.positive(p[:30].reshape(10, 3))
    logits = xp.conj(logits)
    shifted = logits - xp.max(logits, axis=1, keepdims=True)
    log_probs = shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))
    picked = log_probs[np.arange(10), inverse]
    confident = np.logical_and(labels > 0, np.arange(10) < 8)
    return -xp.sum(weights[inverse] * picked) + xp.sum(xp.where(confident, picked, 0.0) ** 2)


def species_diversity(xp, p):
    """Ecology: relative abundances of six species (two absent) from parameter counts,
    Shannon's entropy by -sum(q * np.log(q, out=np.zeros_like(q), where=q > 0)), the
    evenness by np.divide(..., out=, where=) guarding a single species, Simpson's index
    and the Hill number of order 0.5 by np.float_power."""
    counts = xp.exp(p[:6]) * np.array([1.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    share = counts / xp.sum(counts)
    shannon = -xp.sum(share * xp.log(share, out=xp.zeros_like(share), where=share > 0))
    richness = np.count_nonzero(_OBSERVED)
    evenness = xp.divide(shannon, np.log(richness), out=xp.zeros_like(shannon),
                         where=richness > 1)
    simpson = 1.0 - xp.sum(share ** 2)
    hill = xp.float_power(xp.sum(xp.float_power(share[_OBSERVED], 0.5)), 2.0)
    return shannon + evenness + simpson + hill / 10



def bearing_only_tracking(xp, p):
    """Robotics: an extended Kalman filter tracking a target from bearings measured by
    a moving observer, the innovation wrapped into (-pi, pi] by (x + np.pi) % (2 * np.pi)
    - np.pi, the gain by np.linalg.inv and @, the covariance by the Joseph form."""
    state = xp.stack([2.0 + 0.1 * p[0], 3.0 + 0.1 * p[1]])
    covariance = np.eye(2) * (1.0 + 0.1 * p[2] ** 2)
    noise = 0.01 * xp.exp(0.2 * p[3])
    bearings = np.array([0.98, 0.83, 0.69, 0.57, 0.47, 0.39])
    for k, measured in enumerate(bearings):
        observer = np.array([0.5 * k, 0.0])
        dx, dy = state[0] - observer[0], state[1] - observer[1]
        predicted = xp.arctan2(dy, dx)
        innovation = (measured - predicted + np.pi) % (2 * np.pi) - np.pi
        r2 = dx ** 2 + dy ** 2
        jacobian = xp.reshape(xp.stack([-dy / r2, dx / r2]), (1, 2))
        s = jacobian @ covariance @ jacobian.T + noise
        gain = covariance @ jacobian.T @ xp.linalg.inv(s)
        state = state + (gain * innovation)[:, 0]
        joseph = np.eye(2) - gain @ jacobian
        covariance = joseph @ covariance @ joseph.T + gain @ gain.T * noise
    return xp.sum(state) + xp.trace(covariance) * 10


def markowitz_frontier(xp, p):
    """Finance: minimum-variance portfolios for three target returns from the KKT system
    assembled by np.block (covariance, the expected returns and the budget row) and
    solved by np.linalg.solve with the three right-hand sides as columns."""
    factors = p[:6].reshape(3, 2) * 0.1
    covariance = factors @ factors.T + np.diag([0.04, 0.02, 0.03])
    expected = np.array([0.08, 0.05, 0.06]) + 0.01 * p[6:9]
    constraints = xp.stack([expected, np.ones(3) + 0 * expected])
    kkt = xp.block([[2 * covariance, constraints.T], [constraints, np.zeros((2, 2))]])
    targets = np.array([0.055, 0.065, 0.075])
    rhs = np.vstack([np.zeros((3, 3)), targets[None, :], np.ones((1, 3))])
    solution = xp.linalg.solve(kkt, rhs)
    weights = solution[:3]
    risks = xp.einsum("ik,ij,jk->k", weights, covariance, weights)
    return xp.sum(xp.sqrt(risks)) * 10 + xp.sum(weights[:, 0] ** 2)


def seismic_trigger(xp, p):
    """Seismology: a trace with an arrival of parameter size, the short-term over
    long-term average ratio of its energy by np.cumsum differences, the trigger index as
    a constant from np.argmax(ratio > 2), the ratio's peak refined by a parabola through
    its neighbours, and the arrival's sub-sample time by np.sinc interpolation weights."""
    t = np.arange(40.0)
    arrival = (1.0 + 0.2 * p[0]) * np.exp(-0.3 * np.clip(t - 20.0, 0.0, None)) * (t >= 20)
    trace = 0.1 * _NOISE + arrival * np.sin(1.3 * t + 0.1 * p[1])
    energy = xp.cumsum(trace ** 2)
    short = (energy[8:] - energy[5:-3]) / 3
    long = (energy[8:] - energy[:-8]) / 8
    ratio = short / (long + 1e-3)
    first = int(np.argmax(ratio > 2.0))
    peak = int(np.argmax(ratio))
    left, centre, right = ratio[peak - 1], ratio[peak], ratio[peak + 1]
    offset = 0.5 * (left - right) / (left - 2 * centre + right)
    weights = xp.sinc(np.arange(-3, 4) - offset)
    refined = xp.sum(weights * ratio[peak - 3:peak + 4])
    return ratio[first] + offset + refined / 10


#: (program, parameters, whether HIPS autograd has every function the program calls)
PROGRAMS = [
    (titration_curve, _rng.normal(size=2), False),
    (ph_from_cubic_roots, _rng.normal(size=2), False),
    (michaelis_menten_fits, _rng.normal(size=8), False),
    (lotka_volterra_rk4, _rng.normal(size=6), True),
    (logistic_growth_fit, _rng.normal(size=3), False),
    (degree_days_and_anomalies, _rng.normal(size=30), False),
    (entropic_transport_by_scaling, _rng.normal(size=14), False),
    (implicit_feedback_factorisation, _rng.normal(size=14), True),
    (mu_law_frames, _rng.normal(size=27), False),
    (homography_by_solve, _rng.normal(size=8), True),
    (homography_by_svd, _rng.normal(size=10), False),
    (homography_by_dlt_of_four_points, _rng.normal(size=8), False),
    (box_overlaps, _rng.normal(size=16), True),
    (lqr_by_riccati_iteration, _rng.normal(size=3), True),
    (erlang_staffing, _rng.normal(size=2), False),
    (life_annuity, _rng.normal(size=3), False),
    (massey_ratings, _rng.normal(size=8), False),
    (triangulation_survey, _rng.normal(size=4), True),
    (catenary_cable, _rng.normal(size=3), True),
    (turbulent_field_synthesis, _rng.normal(size=49), True),
    (merged_sampling_schedule, _rng.normal(size=9), False),
    (covariance_shrinkage, _rng.normal(size=16), False),
    (complex_continuations, _rng.normal(size=11), False),
    (class_balanced_loss, _rng.normal(size=30), False),
    (species_diversity, _rng.normal(size=6), False),
    (bearing_only_tracking, _rng.normal(size=4), True),
    (markowitz_frontier, _rng.normal(size=9), False),
    (seismic_trigger, _rng.normal(size=2), True),
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
