"""The nineteenth set of NumPy programs, continued from test_numpy_programs_nineteenth.py:
information theory (mutual information of a joint histogram of constant counts plus
soft counts, by ``np.log2`` and ``np.nansum``), queueing networks (a Jackson network's
traffic equations by ``np.linalg.solve``), graph algorithms (personalised PageRank by
power iteration, spectral clustering by ``np.linalg.eigh`` of a normalised Laplacian),
auctions (softmax bidding), portfolios (risk parity by a fixed-point iteration),
computational geometry (a polygon's area and centroid by the shoelace formula with
``np.roll``, the signed distance of points to it), audio (pre-emphasis, frames by
slicing, ``np.hanning`` windows, ``np.fft.rfft`` power and a mel filter bank by
``np.interp``), statistics (a Gram-Charlier density by
``np.polynomial.hermite_e.hermeval``, a Chebyshev expansion by
``np.polynomial.chebyshev.chebval`` and ``chebfit``), Markov chains (multi-step
distributions by ``np.linalg.multi_dot`` and ``np.linalg.matrix_power``), surveys
(``np.average(weights=, returned=True)``), risk (value at risk by
``np.percentile(method=)``), regression designs by ``np.c_`` checked by
``np.asarray_chkfinite``, arrays built by ``np.repeat`` of per-element counts,
``np.insert``, ``np.delete`` and ``np.append``, constrained least squares through a
KKT matrix by ``np.block``, cross-validation folds by ``np.array_split``, the
conditioning of a design by ``np.linalg.cond``, spectral leakage under
``np.bartlett``, ``np.blackman`` and ``np.kaiser`` windows, and a cantilever's
deflection by ``np.polyint`` and ``np.polyder``.  Each is differentiated unchanged with
``ad.grad`` and checked as every round is (``numpy_program_checks``).

The mutual information is written as JAX's and PyTorch's guides advise, the ratio made
safe by ``np.where`` before ``np.log2``: written as ``np.nansum(joint * np.log2(joint /
(rows * columns)))`` with empty cells its value is right, but its gradient is NaN (the
zero that ``nansum`` sends to an empty cell times the ``-inf`` logarithm in the
product's rule), as PyTorch's ``nansum`` gives; ``ad.detect_anomaly`` names the product
on the user's line and the cause (0 * inf)."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261220)
_JOINT_COUNTS = np.array([[12.0, 0.0, 3.0], [2.0, 9.0, 0.0], [0.0, 4.0, 7.0]])
_ROUTING = np.array([[0.0, 0.5, 0.3], [0.1, 0.0, 0.6], [0.2, 0.2, 0.0]])
_LINKS = np.array([[0, 1], [1, 2], [2, 0], [2, 3], [3, 4], [4, 2], [4, 0], [1, 3]])
_POINTS = np.vstack([_rng.normal(size=(4, 2)), _rng.normal(size=(4, 2)) + 3.0])
_RETURNS = _rng.normal(0.0, 0.02, size=(60, 3))
_AUDIO = np.sin(2 * np.pi * 440.0 * np.arange(512) / 8000.0) \
    + 0.3 * np.sin(2 * np.pi * 1200.0 * np.arange(512) / 8000.0)
_SAMPLE = _rng.standard_t(6, size=40)
_WEIGHTS = _rng.uniform(0.5, 2.0, size=12)


def mutual_information(xp, p):
    """Information theory: the mutual information of two discrete variables from a
    joint histogram of constant counts (zero in some cells) plus soft counts, the
    joint and its marginals in bits by np.log2, the empty cells' terms dropped by
    np.nansum after the ratio is made safe by np.where (1 where the cell is empty)."""
    soft = xp.exp(0.5 * p.reshape(3, 3)) * (_JOINT_COUNTS > 0)
    joint = (_JOINT_COUNTS + soft) / xp.sum(_JOINT_COUNTS + soft)
    rows = xp.sum(joint, axis=1, keepdims=True)
    columns = xp.sum(joint, axis=0, keepdims=True)
    ratio = xp.where(_JOINT_COUNTS > 0, joint / (rows * columns), 1.0)
    return xp.nansum(joint * xp.log2(ratio))


def jackson_network(xp, p):
    """Queueing networks: an open Jackson network of three M/M/1 stations, the total
    arrival rates from the traffic equations lambda = gamma + R^T lambda by
    np.linalg.solve, the utilisations, mean queue lengths rho / (1 - rho) and the mean
    time in the network by Little's law."""
    external = np.array([1.0, 0.5, 0.3]) * xp.exp(0.1 * p[:3])
    service = np.array([4.0, 3.5, 3.0]) * xp.exp(0.05 * p[3:6])
    arrivals = xp.linalg.solve(np.eye(3) - _ROUTING.T, external)
    utilisation = arrivals / service
    queue = utilisation / (1.0 - utilisation)
    return xp.sum(queue) / xp.sum(external) + xp.max(utilisation)


def personalised_pagerank(xp, p):
    """Graph algorithms: personalised PageRank on a small directed graph, the teleport
    distribution a softmax of the parameters, the column-stochastic link matrix built
    from an edge list with np.bincount of the out-degrees, fifty power iterations."""
    nodes = 5
    out_degree = np.bincount(_LINKS[:, 0], minlength=nodes)
    links = np.zeros((nodes, nodes))
    links[_LINKS[:, 1], _LINKS[:, 0]] = 1.0 / out_degree[_LINKS[:, 0]]
    teleport = xp.exp(p[:nodes]) / xp.sum(xp.exp(p[:nodes]))
    damping = 0.85 + 0.05 * xp.tanh(p[nodes])
    rank = np.full(nodes, 1.0 / nodes)
    for _ in range(50):
        rank = damping * (links @ rank) + (1.0 - damping) * teleport
    return rank @ np.arange(1.0, nodes + 1) + xp.max(rank)


def spectral_clustering(xp, p):
    """Graph algorithms: spectral clustering of two blobs, Gaussian affinities with a
    bandwidth parameter, the symmetric normalised Laplacian I - D^-1/2 W D^-1/2, its
    spectrum by np.linalg.eigh; the eigengap and the Fiedler vector's separation (its
    sign ambiguity removed by squaring) are returned."""
    points = _POINTS + 0.1 * p[1:].reshape(-1, 2)
    bandwidth = 1.0 * xp.exp(0.2 * p[0])
    squared = xp.sum((points[:, None, :] - points[None, :, :]) ** 2, axis=-1)
    affinity = xp.exp(-squared / (2.0 * bandwidth ** 2)) * (1.0 - np.eye(len(_POINTS)))
    scale = 1.0 / xp.sqrt(xp.sum(affinity, axis=1))
    laplacian = np.eye(len(_POINTS)) - scale[:, None] * affinity * scale[None, :]
    eigenvalues, eigenvectors = xp.linalg.eigh(laplacian)
    fiedler = eigenvectors[:, 1]
    separation = (xp.sum(fiedler[:4]) - xp.sum(fiedler[4:])) ** 2
    return eigenvalues[2] - eigenvalues[1] + separation


def softmax_auction(xp, p):
    """Auctions: bidders with private values shade their bids; the item is allocated
    by a softmax of the bids (a smoothed first-price auction), the seller's expected
    revenue and each bidder's expected surplus."""
    values = np.array([1.0, 0.8, 0.6, 0.9])
    shading = 1.0 / (1.0 + xp.exp(-p[:4]))
    bids = values * shading
    temperature = 0.1 * xp.exp(0.1 * p[4])
    logits = bids / temperature
    allocation = xp.exp(logits - xp.max(logits))
    allocation = allocation / xp.sum(allocation)
    revenue = xp.sum(allocation * bids)
    surplus = allocation * (values - bids)
    return revenue + xp.sum(surplus ** 2)


def risk_parity(xp, p):
    """Portfolios: risk-parity weights, each asset contributing its budgeted share of
    the portfolio variance, by the fixed-point iteration w <- sqrt(w b / (Sigma w)),
    renormalised, on a covariance shrunk towards its diagonal by a parameter."""
    sample = xp.cov(_RETURNS.T + 0.001 * p[:3, None] * _RETURNS.T ** 2)
    shrink = 0.2 + 0.1 * xp.tanh(p[3])
    covariance = (1.0 - shrink) * sample + shrink * xp.diag(xp.diag(sample))
    budget = xp.exp(0.2 * p[4:7]) / xp.sum(xp.exp(0.2 * p[4:7]))
    weights = np.full(3, 1.0 / 3.0)
    for _ in range(40):
        weights = xp.sqrt(weights * budget / (covariance @ weights))
        weights = weights / xp.sum(weights)
    contributions = weights * (covariance @ weights) / (weights @ covariance @ weights)
    return weights @ np.array([1.0, 2.0, 3.0]) + xp.sum((contributions - budget) ** 2)


def polygon_geometry(xp, p):
    """Computational geometry: a polygon's signed area and centroid by the shoelace
    formula with np.roll, and the signed distance of query points to it, the distance
    to each edge segment through the projection clipped by np.clip, the sign from the
    winding test."""
    angles = np.linspace(0.0, 2.0 * np.pi, 7)[:-1]
    radius = 1.0 + 0.1 * xp.tanh(p[:6])
    x, y = radius * np.cos(angles), radius * np.sin(angles)
    next_x, next_y = xp.roll(x, -1), xp.roll(y, -1)
    cross = x * next_y - next_x * y
    area = xp.sum(cross) / 2.0
    centroid_x = xp.sum((x + next_x) * cross) / (6.0 * area)
    centroid_y = xp.sum((y + next_y) * cross) / (6.0 * area)
    queries = np.array([[0.2, 0.1], [1.5, 0.3], [-0.4, -1.4]])
    edge_x, edge_y = next_x - x, next_y - y
    to_x = queries[:, :1] - x
    to_y = queries[:, 1:] - y
    along = xp.clip((to_x * edge_x + to_y * edge_y) / (edge_x ** 2 + edge_y ** 2), 0.0, 1.0)
    distance = xp.sqrt((to_x - along * edge_x) ** 2 + (to_y - along * edge_y) ** 2)
    nearest = xp.min(distance, axis=1)
    inside = np.all(edge_x * to_y - edge_y * to_x > 0, axis=1)
    signed = xp.where(inside, -nearest, nearest)
    return area + centroid_x ** 2 + centroid_y + xp.sum(signed)


def mel_spectrum(xp, p):
    """Audio: a pre-emphasised signal cut into overlapping frames by slicing, each
    weighted by np.hanning, power spectra by np.fft.rfft, a triangular mel filter
    bank built by np.interp on the mel scale, and log mel energies."""
    signal = _AUDIO * (1.0 + 0.1 * xp.tanh(p[0])) + 0.05 * p[1] * np.cos(np.arange(512))
    coefficient = 0.97 + 0.02 * xp.tanh(p[2])
    emphasised = xp.concatenate([signal[:1], signal[1:] - coefficient * signal[:-1]])
    length, hop = 128, 64
    frames = xp.stack([emphasised[start:start + length] * np.hanning(length)
                       for start in range(0, 512 - length + 1, hop)])
    power = xp.abs(xp.fft.rfft(frames, axis=1)) ** 2 / length
    frequencies = np.fft.rfftfreq(length, 1.0 / 8000.0)
    mel = 2595.0 * np.log10(1.0 + frequencies / 700.0)
    edges = np.linspace(0.0, mel[-1], 8)
    bank = np.stack([np.interp(mel, edges[i:i + 3], [0.0, 1.0, 0.0]) for i in range(6)])
    energies = power @ bank.T
    return xp.mean(xp.log(energies + 1e-3))



def gram_charlier_fit(xp, p):
    """Statistics: a Gram-Charlier type A density for a heavy-tailed sample, the
    skewness and excess kurtosis its constant sample moments, the standardised points
    a Tensor (location and scale the parameters) evaluated by
    np.polynomial.hermite_e.hermeval; the negative log-likelihood of the sample."""
    location, scale = 0.1 * p[0], xp.exp(0.1 * p[1])
    centred = _SAMPLE - _SAMPLE.mean()
    skewness = np.mean(centred ** 3) / np.std(_SAMPLE) ** 3
    excess = np.mean(centred ** 4) / np.std(_SAMPLE) ** 4 - 3.0
    coefficients = np.array([1.0, 0.0, 0.0, skewness / 6.0, excess / 24.0])
    standard = (_SAMPLE - location) / scale
    series = np.polynomial.hermite_e.hermeval(standard, coefficients)
    density = xp.exp(-standard ** 2 / 2.0) / np.sqrt(2.0 * np.pi) * series / scale
    return -xp.sum(xp.log(xp.abs(density)))


def chebyshev_engine_map(xp, p):
    """Engineering surrogates: an engine's torque curve fitted once to a test-bench
    table by np.polynomial.chebyshev.chebfit on [-1, 1], evaluated by chebval at the
    operating speeds of a drive cycle (gear ratios the parameters); the mean power."""
    bench_speed = np.linspace(1000.0, 6000.0, 11)
    bench_torque = 180.0 + 60.0 * np.sin((bench_speed - 1000.0) / 5000.0 * np.pi) \
        - 10.0 * ((bench_speed - 3500.0) / 2500.0) ** 2
    mapped = (bench_speed - 3500.0) / 2500.0
    coefficients = np.polynomial.chebyshev.chebfit(mapped, bench_torque, 5)
    wheel_speed = np.array([300.0, 420.0, 610.0, 800.0, 950.0])
    ratios = np.array([9.0, 7.0, 5.5, 4.5, 4.0]) * (1.0 + 0.05 * xp.tanh(p[:5]))
    engine_speed = xp.clip(wheel_speed * ratios, 1000.0, 6000.0)
    torque = np.polynomial.chebyshev.chebval((engine_speed - 3500.0) / 2500.0, coefficients)
    power = torque * engine_speed * 2.0 * np.pi / 60.0 / 1000.0
    return xp.mean(power) + xp.std(torque) / 10.0


def markov_chain_forecast(xp, p):
    """Markov chains: a three-state weather chain, each row of the transition matrix a
    softmax of the parameters, the distribution after three days by
    np.linalg.multi_dot and after a fortnight by np.linalg.matrix_power."""
    logits = p.reshape(3, 3) + np.array([[2.0, 0.5, 0.0], [0.5, 1.5, 0.5], [0.0, 1.0, 2.0]])
    transition = xp.exp(logits) / xp.sum(xp.exp(logits), axis=1, keepdims=True)
    today = np.array([0.6, 0.3, 0.1])
    in_three = xp.linalg.multi_dot([today, transition, transition, transition])
    in_fourteen = today @ xp.linalg.matrix_power(transition, 14)
    rain_cost = np.array([0.0, 1.0, 3.0])
    return in_three @ rain_cost + in_fourteen @ rain_cost + xp.sum((in_three - in_fourteen) ** 2)


def survey_weighting(xp, p):
    """Surveys: post-stratification, the design weights of the respondents raked by
    stratum factors (the parameters), the weighted mean and the sum of the weights by
    np.average(weights=, returned=True), the effective sample size by Kish's formula."""
    stratum = np.array([0, 0, 1, 1, 1, 2, 2, 0, 1, 2, 2, 0])
    answers = np.array([3.0, 4.0, 2.0, 5.0, 4.0, 1.0, 2.0, 3.0, 4.0, 2.0, 3.0, 5.0])
    factors = xp.exp(0.3 * p[:3])
    weights = _WEIGHTS * factors[stratum]
    mean, total = xp.average(answers, weights=weights, returned=True)
    effective = total ** 2 / xp.sum(weights ** 2)
    by_stratum = xp.average(answers.reshape(4, 3), axis=0, weights=np.array([1.0, 2.0, 1.0, 0.5]))
    return mean + effective / 10.0 + xp.sum(by_stratum * factors) / 10.0


def value_at_risk(xp, p):
    """Risk: a portfolio's daily losses from simulated returns, the value at risk by
    np.percentile with the default linear method and with method='midpoint' and
    'hazen', and the expected shortfall as the mean loss beyond it."""
    weights = xp.exp(p[:3]) / xp.sum(xp.exp(p[:3]))
    losses = -(_RETURNS @ weights) * 1e3
    linear = xp.percentile(losses, 95.0)
    midpoint = xp.percentile(losses, 95.0, method="midpoint")
    hazen = xp.percentile(losses, 90.0, method="hazen")
    beyond = losses >= hazen
    shortfall = xp.sum(xp.where(beyond, losses, 0.0)) / np.count_nonzero(beyond)
    return linear + midpoint + hazen + shortfall



def ridge_cross_validation(xp, p):
    """Regression: a quadratic design matrix built by np.c_ and checked by
    np.asarray_chkfinite, the rows split into five folds by np.array_split, ridge
    regression by np.linalg.solve on each training set, the penalty and the responses'
    offsets the parameters; the mean held-out squared error."""
    inputs = np.linspace(-1.0, 1.0, 20)
    design = np.asarray_chkfinite(np.c_[np.ones(20), inputs, inputs ** 2])
    responses = np.sin(2.0 * inputs) + 0.1 * np.cos(7.0 * inputs) + 0.05 * p[1:]
    penalty = 0.1 * xp.exp(p[0])
    folds = np.array_split(np.arange(20), 5)
    errors = []
    for held_out in folds:
        training = np.setdiff1d(np.arange(20), held_out)
        gram = design[training].T @ design[training] + penalty * np.eye(3)
        weights = xp.linalg.solve(gram, design[training].T @ responses[training])
        errors.append(xp.mean((design[held_out] @ weights - responses[held_out]) ** 2))
    return xp.mean(xp.stack(errors))


def tiered_tariff(xp, p):
    """Utilities: a tiered electricity tariff, the tier boundaries built by np.insert
    of a zero and np.append of a cap, a dropped tier removed by np.delete, the prices
    spread over billing days by np.repeat with per-tier counts, a customer's bill by
    np.interp of the cumulative tariff."""
    boundaries = np.array([100.0, 250.0, 400.0, 600.0]) * xp.exp(0.1 * p[:4])
    boundaries = xp.append(xp.insert(boundaries, 0, 0.0), 2000.0)
    prices = np.array([0.10, 0.14, 0.18, 0.25, 0.31]) * (1.0 + 0.1 * xp.tanh(p[4:9]))
    kept = np.delete(np.arange(6), 3)
    boundaries, prices = boundaries[kept], xp.delete(prices, 2)
    cumulative = xp.concatenate([np.zeros(1), xp.cumsum(prices * xp.diff(boundaries))])
    usage = np.array([80.0, 330.0, 520.0, 910.0])
    bills = xp.interp(usage, boundaries, cumulative)
    daily = xp.repeat(prices, [7, 7, 8, 8])
    return xp.sum(bills) / 100.0 + xp.sum(daily ** 2)


def constrained_least_squares(xp, p):
    """Optimisation: least squares under equality constraints, the KKT system
    [[A^T A, C^T], [C, 0]] assembled by np.block and solved by np.linalg.solve, the
    constraint right-hand side and the data the parameters."""
    matrix = np.vander(np.linspace(0.0, 1.0, 8), 4, increasing=True)
    data = np.exp(np.linspace(0.0, 1.0, 8)) + 0.1 * p[:8]
    constraints = np.array([[1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    targets = np.array([1.0, np.e]) + 0.1 * p[8:10]
    kkt = np.block([[matrix.T @ matrix, constraints.T], [constraints, np.zeros((2, 2))]])
    solution = xp.linalg.solve(kkt, xp.concatenate([matrix.T @ data, targets]))
    coefficients, multipliers = solution[:4], solution[4:]
    return xp.sum((matrix @ coefficients - data) ** 2) + xp.sum(multipliers ** 2) / 10.0


def sensor_placement_condition(xp, p):
    """Experiment design: the sensitivity matrix of three sensors to two sources, its
    conditioning by np.linalg.cond (two-norm, the ratio of the extreme singular
    values) and the Frobenius condition number, the design's rank a constant check by
    np.linalg.matrix_rank."""
    positions = np.array([0.2, 0.5, 0.9]) + 0.1 * xp.tanh(p[:3])
    sources = np.array([0.3, 0.7])
    sensitivity = 1.0 / (0.05 + (positions[:, None] - sources[None, :]) ** 2)
    rank = np.linalg.matrix_rank(np.ones((3, 2)) + np.eye(3, 2))
    square = sensitivity.T @ sensitivity
    return xp.linalg.cond(sensitivity) + rank + xp.linalg.cond(square, "fro") / 100.0


def block_floating_point(xp, p):
    """Numerics: block floating point, the shared exponent of a block read by
    np.frexp of its largest magnitude (a constant), the block scaled by np.ldexp, the
    mantissas' signs restored by np.copysign of the magnitudes, a tolerance from
    np.spacing; the scaled block's energy."""
    block = np.array([0.75, -3.2, 1.4, -0.3, 2.2]) + 0.1 * p[:5]
    _, exponent = np.frexp(np.max(np.abs(block)))
    scaled = xp.ldexp(block, -int(exponent))
    mantissas, _ = xp.frexp(block)
    rebuilt = xp.copysign(xp.abs(scaled), np.sign(np.array([0.75, -3.2, 1.4, -0.3, 2.2])))
    tolerance = np.spacing(np.float64(1.0)) * 1e12
    return xp.sum(rebuilt ** 2) + xp.sum(mantissas ** 2) + tolerance


def lattice_images(xp, p):
    """Condensed matter: the pair energy of a two-atom basis on a square lattice with
    periodic images, the image offsets tiled by np.tile with a tuple and the basis
    cycled to the images' length by np.resize; a Lennard-Jones energy."""
    basis = np.array([[0.0, 0.0], [0.5, 0.5]]) + 0.05 * p[:4].reshape(2, 2)
    spacing = 1.1 + 0.05 * xp.tanh(p[4])
    shifts = np.array([[i, j] for i in (-1, 0, 1) for j in (-1, 0, 1)], dtype=float)
    offsets = xp.tile(shifts, (2, 1)) * spacing
    images = xp.resize(basis, (18, 2)) + offsets
    separation = images[None, :, :] - basis[:, None, :]
    squared = xp.sum(separation ** 2, axis=-1)
    squared = xp.where(squared < 1e-9, 1.0, squared)
    inverse6 = (0.5 / squared) ** 3
    return xp.sum(4.0 * (inverse6 ** 2 - inverse6) * (squared != 1.0)) / 100.0


def subpixel_peak(xp, p):
    """Image processing: a correlation peak located to a pixel by np.argmax and
    np.unravel_index (constants) and refined to a subpixel offset by a parabola
    through the peak and its neighbours in each direction; a NaN-masked profile's
    strongest pixel picked by np.nanargmax."""
    rows, columns = np.indices((7, 7))
    centre = np.array([3.2, 2.7]) + 0.1 * xp.tanh(p[:2])
    width = 1.5 * xp.exp(0.1 * p[2])
    surface = xp.exp(-((rows - centre[0]) ** 2 + (columns - centre[1]) ** 2) / (2 * width ** 2))
    row, column = np.unravel_index(np.argmax(surface), surface.shape)
    up, middle, down = surface[row - 1, column], surface[row, column], surface[row + 1, column]
    left, right = surface[row, column - 1], surface[row, column + 1]
    row_offset = (up - down) / (2.0 * (up - 2.0 * middle + down))
    column_offset = (left - right) / (2.0 * (left - 2.0 * middle + right))
    profile = xp.where(np.arange(7) == 2, np.nan, surface[row])
    strongest = profile[np.nanargmax(profile)]
    return (row + row_offset) ** 2 + (column + column_offset) + strongest



def window_leakage(xp, p):
    """Spectral analysis: a two-tone signal (the weak tone's frequency and amplitude the
    parameters) under np.bartlett, np.blackman and np.kaiser windows, each power
    spectrum by np.fft.rfft normalised by the window's coherent gain, the weak tone's
    peak against the strong tone's leakage at its bin."""
    samples = np.arange(64)
    weak = 0.05 * xp.exp(0.2 * p[0])
    signal = np.sin(2 * np.pi * 10.3 * samples / 64) \
        + weak * xp.sin(2 * np.pi * (17.0 + 0.2 * xp.tanh(p[1])) * samples / 64)
    total = 0.0
    for window in (np.bartlett(64), np.blackman(64), np.kaiser(64, 8.6)):
        spectrum = xp.abs(xp.fft.rfft(signal * window)) ** 2 / np.sum(window) ** 2
        total = total + xp.log(spectrum[17] / spectrum[13])
    return total


def beam_deflection(xp, p):
    """Structures: a cantilever under a distributed load given as polynomial
    coefficients (the parameters), the shear and bending moment by np.polyint with
    the free end's conditions as integration constants, the slope and deflection by
    np.polyint again, the curvature checked by np.polyder."""
    length, stiffness = 2.0, 50.0
    load = np.array([0.5, -1.0, 3.0]) * (1.0 + 0.1 * p[:3])
    shear = xp.polyint(load)                             # zero shear at the free end:
    shear = xp.concatenate([shear[:-1], shear[-1:] - xp.polyval(shear, length)])
    moment = xp.polyint(shear)                           # zero moment there too
    moment = xp.concatenate([moment[:-1], moment[-1:] - xp.polyval(moment, length)])
    slope = xp.polyint(moment) / stiffness               # zero slope at the wall
    deflection = xp.polyint(slope)                       # zero deflection at the wall
    curvature = xp.polyder(deflection, 2)
    return xp.polyval(deflection, length) * 100.0 + xp.sum((curvature - moment / stiffness) ** 2)


PROGRAMS = [
    # (program, parameters, whether HIPS autograd has every function it calls)
    (mutual_information, _rng.normal(size=9), False),  # no nansum rule
    (jackson_network, _rng.normal(size=6), True),
    (personalised_pagerank, _rng.normal(size=6), True),
    (spectral_clustering, _rng.normal(size=17), True),
    (softmax_auction, _rng.normal(size=5), True),
    (risk_parity, _rng.normal(size=7), False),  # no cov rule
    (polygon_geometry, _rng.normal(size=6), True),
    (mel_spectrum, _rng.normal(size=3), True),
    (gram_charlier_fit, _rng.normal(size=2), True),
    (chebyshev_engine_map, _rng.normal(size=5), True),
    (markov_chain_forecast, _rng.normal(size=9), False),  # no matrix_power rule
    (survey_weighting, _rng.normal(size=3), True),
    (value_at_risk, _rng.normal(size=3), False),  # no percentile rule
    (ridge_cross_validation, _rng.normal(size=21), True),
    (tiered_tariff, _rng.normal(size=9), False),  # no insert rule
    (constrained_least_squares, _rng.normal(size=10), True),
    (sensor_placement_condition, _rng.normal(size=3), False),  # no cond rule
    (block_floating_point, _rng.normal(size=5), False),  # no frexp of a box
    (lattice_images, _rng.normal(size=5), False),  # no resize rule
    (subpixel_peak, _rng.normal(size=3), True),
    (window_leakage, _rng.normal(size=2), True),
    (beam_deflection, _rng.normal(size=3), False),  # no polyint rule
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
