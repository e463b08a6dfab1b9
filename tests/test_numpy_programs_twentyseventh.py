"""A twenty-seventh set of short NumPy programs, from domains and NumPy calls the
earlier rounds did not visit: traffic flow (Burgers' equation by an upwind scheme with
``np.roll`` and ``np.where``), phylogenetics (a two-state substitution model's
transition matrices by ``np.linalg.eigh`` of the symmetrized rate matrix), portfolio
optimisation (projected gradient steps onto the simplex, the projection by
``np.sort`` and ``np.cumsum``), kriging (a Gaussian-process posterior by
``np.linalg.cholesky`` with the jitter added by ``np.fill_diagonal``), ranking (a
soft NDCG weighted by ranks from ``np.argsort`` twice), seismic deconvolution
(``np.convolve`` and ``np.correlate`` in their three modes), the Hough transform
(votes cast by ``np.add.at`` at ``np.round``-ed bins), attention over ragged
sequences (``np.split`` and ``np.concatenate``), ODEs (an adaptive Heun-Euler step
size chosen in Python on ``np.linalg.norm``), power iteration, Householder QR by
``np.outer``, graph Laplacians by ``np.bincount`` with weights image morphology
(``sliding_window_view`` with ``.max``/``.min``), recommenders (``np.unique`` with
``return_inverse``), survival analysis (Cox's likelihood by a reversed ``np.cumsum``)
and ``float16`` readings.  Each is differentiated with
``ad.grad`` and checked as every round is (``numpy_program_checks``), float32
included.  Windows taken before an in-place update of the signal, met around them,
kept the old values; they are NumPy's view now (test_numpy_twentyseventh_findings.py).

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261227)
_SITES = np.array([[0, 1, 1, 0, 1], [0, 0, 1, 1, 1], [1, 1, 0, 0, 1]])   # 3 taxa
_RETURNS = _rng.normal(0.05, 0.2, size=(30, 4))
_GP_X = np.sort(_rng.uniform(0.0, 5.0, size=8))
_GP_Y = np.sin(_GP_X) + 0.1 * _rng.normal(size=8)
_RELEVANCE = np.array([3.0, 0.0, 2.0, 1.0, 0.0, 2.0])
_WAVELET = np.array([-0.2, 1.0, -0.5, 0.1])
_TRACE = np.convolve(_rng.normal(size=12) * (_rng.uniform(size=12) < 0.4), _WAVELET)
_POINTS = _rng.uniform(-1.0, 1.0, size=(10, 2))
_SEQUENCE_LENGTHS = [3, 5, 2]
_EDGES = np.array([[0, 1], [1, 2], [2, 3], [3, 0], [0, 2], [3, 4]])
_IMAGE = _rng.uniform(size=(6, 7))
_RATINGS = np.array([[0, 1, 4.0], [0, 3, 2.0], [1, 0, 5.0], [1, 2, 3.0], [2, 1, 1.0],
                     [2, 3, 4.0], [3, 0, 2.0], [3, 2, 5.0], [0, 2, 3.0], [2, 0, 4.0]])
_SURVIVAL_TIMES = _rng.exponential(2.0, size=9)
_EVENTS = np.array([1, 0, 1, 1, 0, 1, 1, 1, 0], dtype=bool)
_COVARIATES = _rng.normal(size=(9, 2))
_HALF_READINGS = (_rng.normal(size=(3, 5)) * 4).astype(np.float16)


def burgers_by_upwind_steps(xp, p):
    """Traffic flow: inviscid Burgers' equation u_t + (u^2/2)_x = 0 on a ring, each
    step by first-order upwinding (the side chosen by ``np.where`` on the sign of u,
    the neighbours by ``np.roll``); the initial bump's height and width from ``p``."""
    n, dx, dt = 24, 1.0 / 24, 0.01
    x = np.arange(n) * dx
    u = 0.5 + 0.3 * xp.exp(p[0]) * xp.exp(-((x - 0.5) / (0.1 * xp.exp(p[1]))) ** 2)
    for _ in range(10):
        flux = 0.5 * u ** 2
        backward = (flux - xp.roll(flux, 1)) / dx
        forward = (xp.roll(flux, -1) - flux) / dx
        u = u - dt * xp.where(u > 0, backward, forward)
    return xp.sum(u ** 3) * dx


def phylogenetic_likelihood_by_eigh(xp, p):
    """Phylogenetics: two-state sites on a three-taxon star tree; each branch's
    transition matrix ``expm(Q t)`` from ``np.linalg.eigh`` of the rate matrix made
    symmetric by the stationary frequencies, the site likelihoods by pruning."""
    pi = xp.exp(p[0]) / (1 + xp.exp(p[0]))
    freqs = xp.stack([1 - pi, pi])
    rate_matrix = xp.stack([xp.stack([-pi, pi]), xp.stack([1 - pi, -(1 - pi)])])
    root = xp.sqrt(freqs)
    symmetric = rate_matrix * root[:, None] / root[None, :]
    values, vectors = xp.linalg.eigh(symmetric)
    likelihood = freqs[:, None] * xp.ones((2, _SITES.shape[1]))
    for taxon, branch in enumerate(xp.exp(p[1:4])):
        exp_sym = (vectors * xp.exp(values * branch)) @ vectors.T
        transition = exp_sym * root[None, :] / root[:, None]
        likelihood = likelihood * transition[:, _SITES[taxon]]
    return xp.sum(xp.log(xp.sum(likelihood, axis=0)))


def _project_to_simplex(xp, v):
    u = -np.sort(-v)
    css = np.cumsum(u)
    k = np.arange(1, v.size + 1)
    rho = int(np.nonzero(u * k > css - 1)[0][-1])
    theta = (css[rho] - 1) / (rho + 1)
    return xp.maximum(v - theta, 0.0)


def portfolio_by_projected_gradient(xp, p):
    """Portfolio optimisation: mean-variance weights by projected gradient steps onto
    the simplex (sorted by ``np.sort``, the threshold from ``np.cumsum``), the risk
    aversion and the expected returns' tilt from ``p``; the utility of the result."""
    cov = np.cov(_RETURNS, rowvar=False)
    mean = _RETURNS.mean(axis=0) + 0.02 * p[1:5]
    aversion = 3.0 * xp.exp(p[0])
    w = np.full(4, 0.25)
    for _ in range(8):
        gradient = aversion * (cov @ w) - mean
        w = _project_to_simplex(xp, w - 0.5 * gradient)
    return mean @ w - 0.5 * aversion * (w @ cov @ w)


def kriging_posterior_by_cholesky(xp, p):
    """Kriging: a Gaussian-process posterior mean on a grid and the log marginal
    likelihood, the squared-exponential kernel's length and noise from ``p``, the
    noise put on the diagonal by ``np.fill_diagonal`` of a copy, the solves by
    ``np.linalg.cholesky`` and ``np.linalg.solve``."""
    length, noise = xp.exp(p[0]), 0.05 * xp.exp(p[1])
    d2 = np.subtract.outer(_GP_X, _GP_X) ** 2
    k = xp.exp(-0.5 * d2 / length ** 2)
    jitter = np.zeros((8, 8))
    np.fill_diagonal(jitter, 1.0)
    chol = np.linalg.cholesky(k + noise * jitter)
    alpha = np.linalg.solve(chol.T, np.linalg.solve(chol, _GP_Y))
    grid = np.linspace(0.0, 5.0, 6)
    k_star = xp.exp(-0.5 * np.subtract.outer(grid, _GP_X) ** 2 / length ** 2)
    mean = k_star @ alpha
    log_marginal = -0.5 * _GP_Y @ alpha - xp.sum(xp.log(np.diagonal(chol)))
    return log_marginal + 0.1 * xp.sum(mean ** 2)


def soft_ndcg_by_double_argsort(xp, p):
    """Ranking: scores from ``p``; each item's rank by ``np.argsort`` twice (no
    gradient through the ranks), a DCG whose discounts are smoothed by a sigmoid of
    the score gaps to the next-ranked item, normalised by the ideal DCG."""
    scores = p * 1.5
    ranks = np.argsort(np.argsort(-scores))
    order = np.argsort(-scores)
    ordered = scores[order]
    gaps = ordered[:-1] - ordered[1:]
    confidence = np.concatenate([1 / (1 + xp.exp(-4 * gaps)), xp.ones(1)])
    gains = (2 ** _RELEVANCE - 1)[order] * confidence
    discounts = 1 / np.log2(np.arange(2, p.size + 2))
    ideal = np.sort(2 ** _RELEVANCE - 1)[::-1] @ discounts
    return xp.sum(gains * discounts) / ideal + 0.01 * xp.sum(ranks * scores)


def seismic_deconvolution_by_convolve(xp, p):
    """Seismic deconvolution: a reflectivity from ``p`` convolved with the wavelet
    (``np.convolve`` 'full'), its misfit to the trace, a 'same' smoothing penalty and
    the 'valid' cross-correlation with the wavelet (``np.correlate``)."""
    reflectivity = xp.tanh(p)
    synthetic = np.convolve(reflectivity, _WAVELET)
    misfit = xp.sum((synthetic - _TRACE[:synthetic.size]) ** 2)
    smooth = np.convolve(reflectivity, np.array([0.25, 0.5, 0.25]), mode="same")
    matched = np.correlate(synthetic, _WAVELET, mode="valid")
    full = np.correlate(reflectivity, _WAVELET, mode="full")
    return misfit + 0.1 * xp.sum((reflectivity - smooth) ** 2) \
        + 0.01 * xp.sum(matched ** 2) + 0.01 * xp.sum(full)


def hough_votes_by_add_at(xp, p):
    """The Hough transform: each point votes along its lines rho = x cos t + y sin t
    into bins picked by ``np.round`` (no gradient through the bin), with weights
    from ``p`` softened by the distance to the bin's centre; ``np.add.at`` sums the
    votes and the sharpest peak is scored by a log-sum-exp."""
    thetas = np.linspace(0.0, np.pi, 6, endpoint=False)
    points = _POINTS * (1 + 0.1 * p[:2])
    rho = points[:, :1] * np.cos(thetas) + points[:, 1:] * np.sin(thetas)
    step = 0.25
    bins = np.round(rho / step).astype(np.int64) + 6
    weight = xp.exp(-((rho / step - np.round(rho / step)) ** 2)) * xp.exp(p[2])
    accumulator = xp.zeros_like(p, shape=(13, thetas.size))
    np.add.at(accumulator, (bins, np.broadcast_to(np.arange(thetas.size), bins.shape)),
              weight)
    return xp.log(xp.sum(xp.exp(accumulator)))


def attention_over_ragged_sequences(xp, p):
    """Ragged data: tokens of three sequences in one array, cut by ``np.split`` at the
    cumulative lengths, each attended over by a softmax of its own, the pooled
    vectors put back together by ``np.concatenate``."""
    tokens = np.arange(20.0).reshape(10, 2) / 10.0
    query = p[:2]
    pieces = np.split(tokens * (1 + 0.1 * p[2]), np.cumsum(_SEQUENCE_LENGTHS)[:-1])
    pooled = []
    for piece in pieces:
        scores = piece @ query
        weights = xp.exp(scores - xp.max(scores))
        weights = weights / xp.sum(weights)
        pooled.append((weights @ piece)[None, :])
    stacked = np.concatenate(pooled, axis=0)
    return xp.sum(stacked ** 2) + xp.sum(np.concatenate(pieces) * 0.01)


def adaptive_heun_euler_integration(xp, p):
    """ODEs: a damped pendulum by Heun's method with the step chosen in Python from
    the error estimate against Euler's (``np.linalg.norm``), accepted or halved,
    the damping and the initial angle from ``p``; the final energy."""
    damping, state = 0.3 * xp.exp(p[0]), np.stack([0.8 + 0.1 * p[1], 0.0 * p[1]])
    def field(s):
        return np.stack([s[1], -np.sin(s[0]) - damping * s[1]])
    t, h = 0.0, 0.3
    while t < 2.0:
        h = min(h, 2.0 - t)
        k1 = field(state)
        euler = state + h * k1
        heun = state + 0.5 * h * (k1 + field(euler))
        error = float(np.linalg.norm(heun - euler))
        if error > 1e-3 and h > 0.02:
            h /= 2
            continue
        state, t = heun, t + h
        h = min(0.3, 1.5 * h)
    return 0.5 * state[1] ** 2 + (1 - np.cos(state[0]))


def power_iteration_for_the_top_eigenpair(xp, p):
    """Power iteration on a symmetric matrix built from ``p``: the vector normalised by
    ``np.linalg.norm`` each step; the Rayleigh quotient and the vector's alignment
    with a fixed direction."""
    a = xp.outer(p[:4], p[:4]) + np.diag(np.arange(1.0, 5.0)) * xp.exp(p[4])
    v = np.ones(4) / 2.0
    for _ in range(25):
        v = a @ v
        v = v / xp.linalg.norm(v)
    return v @ a @ v + (v @ np.array([1.0, -1.0, 0.5, 0.0])) ** 2


def householder_qr_by_outer(xp, p):
    """Householder QR by hand: each reflector ``I - 2 v v^T`` applied by ``np.outer``
    to the trailing block (written back with slicing on a copy), the least-squares
    solution by back substitution of ``R`` and its residual."""
    a = p[:12].reshape(4, 3) + np.eye(4, 3) * 2
    b = np.array([1.0, 2.0, 0.5, -1.0])
    r, qtb = a * 1.0, xp.zeros_like(p, shape=4) + b
    for k in range(3):
        x = r[k:, k]
        e = np.zeros(4 - k)
        e[0] = 1.0
        v = x + np.sign(x[0]) * np.linalg.norm(x) * e
        v = v / np.linalg.norm(v)
        r[k:, k:] = r[k:, k:] - 2 * np.outer(v, v @ r[k:, k:])
        qtb[k:] = qtb[k:] - 2 * v * (v @ qtb[k:])
    solution = xp.zeros_like(p, shape=3)
    for i in range(2, -1, -1):
        solution[i] = (qtb[i] - r[i, i + 1:] @ solution[i + 1:]) / r[i, i]
    return xp.sum(solution ** 2) + qtb[3] ** 2


def laplacian_by_bincount(xp, p):
    """Graphs: weighted degrees by ``np.bincount(..., weights=)`` of both ends of each
    edge, the Laplacian ``D - W`` by ``np.diag`` and ``np.add.at`` of the weights,
    and a smoothness energy plus the second-smallest eigenvalue by ``np.linalg.eigvalsh``."""
    weights = xp.exp(p[:6])
    n = 5
    degree = np.bincount(_EDGES[:, 0], weights=weights, minlength=n) \
        + np.bincount(_EDGES[:, 1], weights=weights, minlength=n)
    adjacency = xp.zeros_like(p, shape=(n, n))
    np.add.at(adjacency, (_EDGES[:, 0], _EDGES[:, 1]), weights)
    np.add.at(adjacency, (_EDGES[:, 1], _EDGES[:, 0]), weights)
    laplacian = np.diag(degree) - adjacency
    signal = np.array([1.0, -0.5, 0.3, 0.8, -1.0])
    return signal @ laplacian @ signal + np.linalg.eigvalsh(laplacian)[1]


def morphology_by_sliding_windows(xp, p):
    """Image morphology: grey dilation and erosion by 3 x 3 windows
    (``sliding_window_view`` with ``.max``/``.min``) of a brightened, edge-padded
    image (``np.pad``); the morphological gradient's energy.  The image is scaled in
    place after the windows are taken: NumPy's windows show it."""
    image = _IMAGE * xp.exp(p[0]) + p[1] * np.linspace(0.0, 1.0, 7)
    padded = np.pad(image, 1, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))
    padded *= 1.0 + 0.1 * p[2]
    dilation = windows.max(axis=(-2, -1))
    erosion = windows.min(axis=(-2, -1))
    return xp.sum((dilation - erosion) ** 2) + xp.mean(dilation)


def recommender_factorization_by_unique(xp, p):
    """Recommenders: (user, item, rating) triples; users and items renumbered by
    ``np.unique(..., return_inverse=True)``, two-factor embeddings from ``p``, the
    squared error of the predictions, and each user's mean error by ``np.bincount``
    with weights."""
    users, user_index = np.unique(_RATINGS[:, 0], return_inverse=True)
    items, item_index = np.unique(_RATINGS[:, 1], return_inverse=True)
    user_factors = p[:2 * users.size].reshape(users.size, 2)
    item_factors = p[2 * users.size:].reshape(items.size, 2)
    predicted = 3.0 + xp.sum(user_factors[user_index] * item_factors[item_index], axis=1)
    errors = predicted - _RATINGS[:, 2]
    per_user = np.bincount(user_index, weights=errors ** 2) / np.bincount(user_index)
    return xp.sum(errors ** 2) + xp.max(per_user) + 0.1 * xp.sum(p ** 2)


def cox_partial_likelihood_by_reverse_cumsum(xp, p):
    """Survival analysis: Cox's partial likelihood; subjects sorted by time with
    ``np.argsort``, each risk set's sum of ``exp(x beta)`` by a reversed ``np.cumsum``
    (a ``[::-1]`` view), the log-likelihood over the events."""
    order = np.argsort(_SURVIVAL_TIMES)
    risk = (_COVARIATES @ p[:2])[order]
    events = _EVENTS[order]
    at_risk = xp.cumsum(xp.exp(risk)[::-1])[::-1]
    return -xp.sum((risk - xp.log(at_risk))[events]) + 0.05 * xp.sum(p ** 2)


def float16_sensor_readings_in_a_model(xp, p):
    """Mixed precision: ``float16`` readings (as a logger stores them) scaled and
    shifted by the parameters; NumPy promotes the readings to the parameters' dtype,
    and a ``float16`` constant stays weak beside them."""
    scaled = _HALF_READINGS * xp.exp(p[0]) + p[1:4, None]
    squashed = xp.tanh(scaled / np.float16(4.0))
    return xp.mean(squashed ** 2) + xp.sum(xp.var(scaled, axis=1))


PROGRAMS = [
    (burgers_by_upwind_steps, _rng.normal(0, 0.3, size=2), True),
    (phylogenetic_likelihood_by_eigh, _rng.normal(0, 0.5, size=4), True),
    (portfolio_by_projected_gradient, _rng.normal(0, 0.5, size=5), True),
    (kriging_posterior_by_cholesky, _rng.normal(0, 0.3, size=2), False),  # fill_diagonal
    (soft_ndcg_by_double_argsort, _rng.normal(0, 1.0, size=6), True),
    (seismic_deconvolution_by_convolve, _rng.normal(0, 0.5, size=9), False),  # correlate
    (hough_votes_by_add_at, _rng.normal(0, 0.3, size=3), False),  # no add.at
    (attention_over_ragged_sequences, _rng.normal(0, 0.5, size=3), True),
    (adaptive_heun_euler_integration, _rng.normal(0, 0.3, size=2), False),  # float(box)
    (power_iteration_for_the_top_eigenpair, _rng.normal(0, 0.5, size=5), True),
    (householder_qr_by_outer, _rng.normal(0, 0.3, size=12), False),  # item writes
    (laplacian_by_bincount, _rng.normal(0, 0.5, size=6), False),  # bincount weights
    (morphology_by_sliding_windows, _rng.normal(0, 0.3, size=3), False),  # windows
    (recommender_factorization_by_unique, _rng.normal(0, 0.5, size=16), False),  # bincount
    (cox_partial_likelihood_by_reverse_cumsum, _rng.normal(0, 0.5, size=2), True),
    (float16_sensor_readings_in_a_model, _rng.normal(0, 0.3, size=4), True),
]

globals().update(program_tests(PROGRAMS, float32=True, finite=True))  # the shared checks
