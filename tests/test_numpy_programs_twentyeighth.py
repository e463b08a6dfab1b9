"""A twenty-eighth set of short NumPy programs, from domains and NumPy calls the
earlier rounds did not visit: weather (degree days over an ``np.datetime64`` range,
rolling means by ``np.cumsum`` differences), sports ratings (Elo updates with
``np.logaddexp`` and fancy indexing), text (TF-IDF over ``np.unique`` counts and
cosine similarity), implicit-feedback ALS, compressed sensing (ISTA by soft
thresholding), control (LQR by Riccati iteration with ``np.linalg.solve``), queueing
(a stationary distribution by ``np.linalg.lstsq``), mesh smoothing (a Laplacian by
``np.add.at`` over an edge list), Newton's method with ``np.where`` safeguards, a
natural cubic spline by hand, dynamic time warping, image warping by ``np.floor``
gathers, Monte-Carlo with draws fixed by ``np.random.Generator``,
``np.polyfit``, text features by n-gram hashing in integer arithmetic, a stationary
distribution by ``np.linalg.eig`` and Newton steps after a bisection by ``np.where``.
Each is differentiated with ``ad.grad`` and checked as every round is
(``numpy_program_checks``), float32 and second derivatives included; a few also
under ``ad.vmap`` over a batch of parameter vectors.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np
import pytest

import autodiff as ad
from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261228)
_DAYS = np.arange(np.datetime64("2026-03-01"), np.datetime64("2026-04-10"))
_DAY_OF_YEAR = (_DAYS - _DAYS.astype("datetime64[Y]")).astype(int)
_GAMES = np.array([[0, 1], [2, 3], [0, 2], [1, 3], [3, 0], [1, 2], [2, 0], [3, 1]])
_HOME_WON = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0])
_DOCUMENTS = ["the cat sat on the mat", "the dog sat on the log",
              "a cat and a dog", "the mat and the log"]
_CLICKS = (_rng.uniform(size=(6, 5)) < 0.4).astype(np.float64)
_SENSING = _rng.normal(size=(8, 12)) / np.sqrt(8)
_SPARSE = np.zeros(12)
_SPARSE[[2, 7]] = [1.5, -1.0]
_MEASURED = _SENSING @ _SPARSE
_MESH_EDGES = np.array([[0, 1], [1, 2], [2, 0], [2, 3], [3, 4], [4, 2], [1, 4]])
_KNOTS = np.linspace(0.0, 4.0, 6)
_TEMPLATE = np.sin(np.linspace(0, 3, 9))
_PICTURE = _rng.uniform(size=(7, 8))
_NORMALS = np.random.default_rng(5).standard_normal((200, 2))
_SAMPLE_X = np.linspace(-1.0, 1.0, 15)


def heating_degree_days_over_a_datetime_range(xp, p):
    """Weather: a daily mean temperature over an ``np.datetime64`` range (a seasonal
    sine whose amplitude and offset come from ``p``), heating and cooling degree days
    by ``np.maximum``/``np.clip``, and a 7-day rolling mean by ``np.cumsum``
    differences."""
    temperature = p[0] + 8.0 * xp.exp(p[1]) * np.sin(2 * np.pi * (_DAY_OF_YEAR - 110) / 365.0)
    heating = xp.maximum(18.0 - temperature, 0.0)
    cooling = xp.clip(temperature - 22.0, 0.0, None)
    running = xp.cumsum(xp.concatenate([xp.zeros(1), temperature]))
    rolling = (running[7:] - running[:-7]) / 7.0
    return xp.sum(heating) + 3.0 * xp.sum(cooling) + xp.mean(rolling ** 2) / 100.0


def elo_ratings_by_logaddexp(xp, p):
    """Sports: Bradley-Terry log likelihood of the games (the win probability as
    ``exp(r_i - logaddexp(r_i, r_j))``), then one Elo update pass with the ratings
    gathered by fancy indexing and scattered back by ``np.add.at``-free sums."""
    ratings = p[:4]
    home, away = ratings[_GAMES[:, 0]], ratings[_GAMES[:, 1]]
    log_win = home + p[4] - xp.logaddexp(home + p[4], away)
    log_loss = away - xp.logaddexp(home + p[4], away)
    likelihood = xp.sum(_HOME_WON * log_win + (1 - _HOME_WON) * log_loss)
    expected = xp.exp(log_win)
    surprise = _HOME_WON - expected
    one_hot_home = (_GAMES[:, 0][:, None] == np.arange(4)).astype(float)
    one_hot_away = (_GAMES[:, 1][:, None] == np.arange(4)).astype(float)
    updated = ratings + 0.1 * (surprise @ one_hot_home - surprise @ one_hot_away)
    return -likelihood + xp.var(updated)


def tfidf_cosine_similarity(xp, p):
    """Text: a bag of words by ``np.unique(return_inverse=True, return_counts=True)``,
    TF-IDF with a smoothing from ``p``, term weights from ``p``, and the mean cosine
    similarity of the documents by ``np.linalg.norm(axis=1)``."""
    words = np.array(" ".join(_DOCUMENTS).split())
    vocabulary, inverse, counts = np.unique(words, return_inverse=True, return_counts=True)
    doc_of_word = np.repeat(np.arange(len(_DOCUMENTS)), [len(d.split()) for d in _DOCUMENTS])
    tf = np.zeros((len(_DOCUMENTS), vocabulary.size))
    np.add.at(tf, (doc_of_word, inverse), 1.0)
    df = np.count_nonzero(tf, axis=0)
    idf = xp.log((len(_DOCUMENTS) + xp.exp(p[0])) / (df + xp.exp(p[0]))) + 1.0
    weights = tf * idf * xp.exp(p[1:1 + vocabulary.size] * 0.1) / counts
    unit = weights / xp.linalg.norm(weights, axis=1, keepdims=True)
    similarity = unit @ unit.T
    return xp.sum(xp.triu(similarity, k=1))


def implicit_als_sweep(xp, p):
    """Recommenders: implicit-feedback ALS — confidences ``1 + alpha * clicks``, each
    user's factor by ``np.linalg.solve`` of its weighted normal equations against the
    item factors from ``p``; the loss of the refitted factors."""
    alpha, reg = xp.exp(p[0]), 0.1
    items = xp.reshape(p[1:11], (5, 2))
    confidence = 1.0 + alpha * _CLICKS
    users = []
    for u in range(_CLICKS.shape[0]):
        weighted = items.T * confidence[u]
        normal = weighted @ items + reg * np.eye(2)
        users.append(xp.linalg.solve(normal, weighted @ _CLICKS[u]))
    users = xp.stack(users)
    residual = _CLICKS - users @ items.T
    return xp.sum(confidence * residual ** 2) + reg * xp.sum(items ** 2)


def ista_by_soft_thresholding(xp, p):
    """Compressed sensing: ISTA iterations ``x <- soft(x + t A^T (y - A x), t lam)``
    with soft thresholding written as ``np.sign(v) * np.maximum(np.abs(v) - k, 0)``;
    the regularisation and the noise on the measurements from ``p``."""
    lam = xp.exp(p[0])
    measured = _MEASURED + 0.05 * p[1:9]
    step = 1.0 / np.linalg.norm(_SENSING, 2) ** 2
    x = xp.zeros(12)
    for _ in range(25):
        v = x + step * (_SENSING.T @ (measured - _SENSING @ x))
        x = xp.sign(v) * xp.maximum(xp.abs(v) - step * lam, 0.0)
    return xp.sum((x - _SPARSE) ** 2) + 0.5 * xp.sum((_SENSING @ x - measured) ** 2)


def lqr_by_riccati_iteration(xp, p):
    """Control: a discrete-time LQR gain by iterating the Riccati equation, the gain
    by ``np.linalg.solve``, then a closed-loop simulation's quadratic cost; the plant's
    damping and the control weight from ``p``."""
    a = xp.stack([xp.stack([1.0 + 0 * p[0], 0.1 + 0 * p[0]]),
                  xp.stack([-0.1 + 0 * p[0], 1.0 - 0.1 * xp.exp(p[0])])])
    b = np.array([[0.0], [0.1]])
    q = np.eye(2)
    r = xp.exp(p[1]) * np.ones((1, 1))
    s = q
    for _ in range(40):
        gain = xp.linalg.solve(r + b.T @ s @ b, b.T @ s @ a)
        s = q + a.T @ s @ (a - b @ gain)
    state = np.array([1.0, 0.0])
    cost = 0.0
    for _ in range(20):
        u = -(gain @ state)
        cost = cost + state @ q @ state + u @ r @ u
        state = a @ state + b @ u
    return cost + xp.trace(s) / 10.0


def stationary_distribution_by_lstsq(xp, p):
    """Queueing: a birth-death chain's transition matrix from rates in ``p``; its
    stationary distribution solves ``pi (P - I) = 0, sum(pi) = 1`` as an overdetermined
    system by ``np.linalg.lstsq``; the mean queue length and blocking probability."""
    arrival, service = xp.exp(p[0]) * 0.3, xp.exp(p[1]) * 0.4
    n = 5
    up = arrival * np.eye(n, k=1)
    down = service * np.eye(n, k=-1)
    off = up + down
    transition = off + xp.diag(1.0 - xp.sum(off, axis=1))
    system = xp.concatenate([(transition - np.eye(n)).T, np.ones((1, n))])
    rhs = np.concatenate([np.zeros(n), [1.0]])
    pi, *_ = xp.linalg.lstsq(system, rhs, rcond=None)
    return pi @ np.arange(n) + 10.0 * pi[-1]


def mesh_smoothing_by_add_at(xp, p):
    """Geometry: Laplacian smoothing of a small mesh — neighbour sums and degrees by
    ``np.add.at`` over the edge list, a few damped steps, then the squared edge
    lengths."""
    vertices = xp.reshape(p, (5, 2))
    i, j = _MESH_EDGES[:, 0], _MESH_EDGES[:, 1]
    degree = np.zeros(5)
    np.add.at(degree, i, 1.0)
    np.add.at(degree, j, 1.0)
    for _ in range(3):
        sums = np.zeros_like(vertices)
        np.add.at(sums, i, vertices[j])
        np.add.at(sums, j, vertices[i])
        vertices = vertices + 0.5 * (sums / degree[:, None] - vertices)
    edges = vertices[i] - vertices[j]
    return xp.sum(edges ** 2)


def newton_root_with_where_safeguard(xp, p):
    """Root finding: Newton's method on ``x^3 - a x - b`` for a batch of
    coefficients, the step replaced by a bisection-like halving by ``np.where`` where
    it would overshoot; the sum of the roots' squares."""
    a = 1.0 + xp.exp(p[:3])
    b = p[3:6]
    x = xp.ones(3) * 2.0
    for _ in range(30):
        f = x ** 3 - a * x - b
        df = 3 * x ** 2 - a
        step = f / df
        x = xp.where(xp.abs(step) > 1.0, x - 0.5 * xp.sign(step), x - step)
    return xp.sum(x ** 2)


def natural_cubic_spline_by_hand(xp, p):
    """Splines: a natural cubic spline through values ``p`` at fixed knots — the
    second derivatives by a tridiagonal ``np.linalg.solve`` built with ``np.diag``,
    the slopes by ``np.diff``, evaluated at points located by ``np.searchsorted``."""
    h = np.diff(_KNOTS)
    slopes = xp.diff(p) / h
    rhs = 6.0 * xp.diff(slopes)
    system = np.diag(2.0 * (h[:-1] + h[1:])) + np.diag(h[1:-1], 1) + np.diag(h[1:-1], -1)
    m_inner = xp.linalg.solve(system, rhs)
    m = xp.concatenate([xp.zeros(1), m_inner, xp.zeros(1)])
    t = np.linspace(0.1, 3.9, 11)
    k = np.searchsorted(_KNOTS, t) - 1
    left, right = t - _KNOTS[k], _KNOTS[k + 1] - t
    value = (m[k] * right ** 3 + m[k + 1] * left ** 3) / (6 * h[k]) \
        + (p[k] / h[k] - m[k] * h[k] / 6) * right + (p[k + 1] / h[k] - m[k + 1] * h[k] / 6) * left
    return xp.sum(value ** 2) + xp.sum(m ** 2) / 10


def dynamic_time_warping(xp, p):
    """Sequences: the dynamic time warping distance between a series from ``p`` and a
    template, the table filled by Python loops over ``np.minimum`` of the three
    neighbours (a soft version would use logsumexp; this is the hard minimum)."""
    series = p
    n, m = series.shape[0], _TEMPLATE.shape[0]
    cost = (series[:, None] - _TEMPLATE[None, :]) ** 2
    rows = [xp.concatenate([xp.zeros(1), xp.full(m, np.inf)])]
    for i in range(n):
        row = [np.inf]
        for j in range(m):
            best = xp.minimum(xp.minimum(rows[i][j], rows[i][j + 1]), row[j])
            row.append(cost[i, j] + best)
        rows.append(xp.stack(row))
    return rows[-1][-1]


def image_warp_by_floor_gathers(xp, p):
    """Imaging: an affine warp of a picture by bilinear interpolation, the corner
    indices by ``np.floor``/``np.ceil`` cast to int and clipped, gathered by fancy
    indexing; the warp's parameters from ``p``."""
    rows, cols = np.mgrid[0:5, 0:6].astype(float)
    src_r = 1.0 + rows * (1.0 + 0.05 * p[0]) + 0.1 * p[1] * cols
    src_c = 1.0 + cols * (1.0 + 0.05 * p[2]) + 0.1 * p[3]
    r0 = np.clip(np.floor(src_r).astype(int), 0, 6)
    c0 = np.clip(np.floor(src_c).astype(int), 0, 7)
    r1 = np.clip(np.ceil(src_r).astype(int), 0, 6)
    c1 = np.clip(np.ceil(src_c).astype(int), 0, 7)
    fr, fc = src_r - r0, src_c - c0
    top = _PICTURE[r0, c0] * (1 - fc) + _PICTURE[r0, c1] * fc
    bottom = _PICTURE[r1, c0] * (1 - fc) + _PICTURE[r1, c1] * fc
    warped = top * (1 - fr) + bottom * fr
    return xp.sum(warped ** 2)


def monte_carlo_option_with_fixed_draws(xp, p):
    """Monte-Carlo: a basket of two correlated assets by a Cholesky factor of a
    correlation from ``p``, the normals drawn once by ``np.random.Generator`` and held
    as constants; a smooth payoff (softplus of the basket less the strike)."""
    rho = xp.tanh(p[0])
    corr = xp.stack([xp.stack([1.0 + 0 * rho, rho]), xp.stack([rho, 1.0 + 0 * rho])])
    chol = xp.linalg.cholesky(corr)
    sigma = 0.2 * xp.exp(p[1:3])
    z = _NORMALS @ chol.T
    prices = xp.exp(-0.5 * sigma ** 2 + sigma * z)
    basket = xp.mean(prices, axis=1)
    return xp.mean(xp.logaddexp(0.0, 10.0 * (basket - 1.0)) / 10.0)


def polynomial_fit_and_evaluation(xp, p):
    """Fitting: data from a curve shaped by ``p``, fitted by ``np.polyfit`` of degree
    3, evaluated by ``np.polyval`` and its derivative by ``np.polyder``."""
    y = xp.sin(_SAMPLE_X * xp.exp(p[0])) + p[1] * _SAMPLE_X ** 2
    coefficients = xp.polyfit(_SAMPLE_X, y, 3)
    fitted = xp.polyval(coefficients, _SAMPLE_X)
    slope = xp.polyval(xp.polyder(coefficients), 0.5)
    return xp.sum((fitted - y) ** 2) + slope ** 2


def ngram_hashing_classifier(xp, p):
    """Text: character trigrams hashed into buckets by integer arithmetic
    (``(a * 31 + b) * 31 + c`` modulo a prime, on ``np.frombuffer`` codes), counted by
    ``np.bincount``, scored by a logistic model whose weights come from ``p``."""
    buckets = 7
    counts = []
    for text in _DOCUMENTS:
        codes = np.frombuffer(text.encode(), dtype=np.uint8).astype(np.int64)
        hashes = ((codes[:-2] * 31 + codes[1:-1]) * 31 + codes[2:]) % 101 % buckets
        counts.append(np.bincount(hashes, minlength=buckets))
    features = np.log1p(np.stack(counts))
    scores = features @ p[:buckets] + p[buckets]
    labels = np.array([1.0, 0.0, 1.0, 0.0])
    return xp.sum(xp.logaddexp(0.0, scores) - labels * scores) + 0.1 * xp.sum(p ** 2)


def stationary_distribution_by_eig(xp, p):
    """Queueing: a three-station routing matrix from a row-wise softmax of ``p``; the
    stationary distribution is the left eigenvector of eigenvalue 1, picked from
    ``np.linalg.eig`` by ``np.argmin`` of the distance to 1 and normalised; checked
    against ``np.linalg.matrix_power`` of the chain."""
    logits = xp.reshape(p, (3, 3))
    routing = xp.exp(logits) / xp.sum(xp.exp(logits), axis=1, keepdims=True)
    values, vectors = xp.linalg.eig(routing.T)
    k = np.argmin(np.abs(values - 1.0))
    stationary = xp.real(vectors[:, k])
    stationary = stationary / xp.sum(stationary)
    limit = xp.linalg.matrix_power(routing, 16)[0]
    return stationary @ np.array([1.0, 2.0, 5.0]) + xp.sum((limit - stationary) ** 2)


def newton_after_bisection(xp, p):
    """Root finding: the root of ``x e^x = a`` bracketed by bisection (``np.where``
    halving a constant bracket by comparisons with ``a``, so the bracket carries no
    gradient) and polished by Newton steps, so the root carries its implicit
    derivative."""
    a = xp.exp(p)
    lo, hi = np.zeros(3), np.full(3, 3.0)
    for _ in range(20):
        mid = 0.5 * (lo + hi)
        below = mid * np.exp(mid) < a
        lo, hi = xp.where(below, mid, lo), xp.where(below, hi, mid)
    x = 0.5 * (lo + hi)
    for _ in range(6):
        x = x - (x * xp.exp(x) - a) / ((x + 1) * xp.exp(x))
    return xp.sum(x ** 2 + x)


PROGRAMS = [
    (heating_degree_days_over_a_datetime_range, np.array([15.0, 0.2]), True),
    (elo_ratings_by_logaddexp, _rng.normal(0, 0.5, size=5), True),
    (tfidf_cosine_similarity, _rng.normal(0, 0.5, size=10), False),  # its keepdims norm
    (implicit_als_sweep, _rng.normal(0, 0.5, size=11), True),
    (ista_by_soft_thresholding, np.concatenate([[-2.0], _rng.normal(0, 0.5, size=8)]), True),
    (lqr_by_riccati_iteration, _rng.normal(0, 0.3, size=2), True),
    (stationary_distribution_by_lstsq, _rng.normal(0, 0.3, size=2), False),
    (mesh_smoothing_by_add_at, _rng.normal(0, 1.0, size=10), False),  # no add.at
    (newton_root_with_where_safeguard, _rng.normal(0, 0.5, size=6), True),
    (natural_cubic_spline_by_hand, _rng.normal(0, 1.0, size=6), True),
    (dynamic_time_warping, _rng.normal(0, 1.0, size=7), True),
    (image_warp_by_floor_gathers, _rng.normal(0, 1.0, size=4), True),
    (monte_carlo_option_with_fixed_draws, _rng.normal(0, 0.3, size=3), True),
    (polynomial_fit_and_evaluation, _rng.normal(0, 0.3, size=2), False),
    (ngram_hashing_classifier, _rng.normal(0, 0.5, size=8), True),
    (stationary_distribution_by_eig, _rng.normal(0, 0.5, size=9), False),  # eig
    (newton_after_bisection, _rng.normal(0, 0.5, size=3), False),
]

globals().update(program_tests(PROGRAMS, float32=True, finite=True))  # the shared checks


@pytest.mark.parametrize("program, p", [
    (elo_ratings_by_logaddexp, PROGRAMS[1][1]), (ista_by_soft_thresholding, PROGRAMS[4][1]),
    (natural_cubic_spline_by_hand, PROGRAMS[9][1]),
    (newton_after_bisection, PROGRAMS[16][1])], ids=lambda v: getattr(v, "__name__", ""))
def test_a_program_and_its_gradient_under_vmap_over_a_batch(program, p):
    """``ad.vmap`` of the program and of its gradient over a batch of parameter vectors
    gives each row's own value and gradient."""
    batch = np.stack([p, 0.9 * p, p + 0.05])
    values = ad.vmap(lambda t: program(np, t))(batch)
    np.testing.assert_allclose(values, [program(np, row.copy()) for row in batch], rtol=1e-12)
    grads = ad.vmap(ad.grad(lambda t: program(np, t)))(batch)
    each = np.stack([ad.grad(lambda t: program(np, t))(row.copy()) for row in batch])
    np.testing.assert_allclose(grads, each, rtol=1e-10, atol=1e-12)
