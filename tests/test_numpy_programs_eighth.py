"""An eighth set of short NumPy programs, in the styles of code people paste: ndarray
methods (``a.sum(axis=1, keepdims=True)``, ``a.clip``, ``a.var(ddof=1)``, ``a.T @ b``,
``a.take``, ``a.swapaxes``), results written into preallocated arrays (``np.empty_like``
filled in a loop, ``out=`` arguments, ``x += y``, ``x[mask] *= 2``, ``np.copyto``,
``np.put_along_axis``, ``np.add.at``), NumPy's conditional and assembly helpers
(``np.select``, ``np.piecewise``, nested ``np.where``, ``np.block``, ``np.atleast_2d``,
``np.broadcast_arrays``, ``sliding_window_view``), the linear algebra people reach for
(``pinv``, ``matrix_power``, ``eigh``, reduced ``svd`` and ``qr``, batched ``solve``,
``multi_dot``, ``einsum(..., optimize=True)``) and scientific code: a 1-D finite-element
assembly, a Gauss-Newton step with a backtracking line search, deterministic
annealing, a cubic spline found by ``np.searchsorted``, a log-domain Sinkhorn loop,
Chebyshev series, a total-variation energy, a soft-DTW table, a self-exciting sum over
``np.triu``, an attention layer, a GRU, a batched Kalman smoother.  Each is
differentiated unchanged with ``ad.grad``: the value is NumPy's to the bit, the gradient
matches central differences in float64 and HIPS autograd where autograd has every
function used, and the Hessian matches central differences of the gradient; on float32
parameters each keeps NumPy's result dtype and its gradient is float32.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261206)
_X = _rng.normal(size=(6, 4))
_Y = _rng.normal(size=6)
_T = np.linspace(0.0, 1.0, 6)


def method_style_statistics(xp, p):
    """Column statistics written as ndarray methods: centring by a.mean(0), scaling by
    a.std(axis=0, ddof=1), a keepdims row sum, a clipped and rounded copy, the sample
    variance, a running cumsum and the column maxima."""
    a = p[:12].reshape(4, 3)
    centred = a - a.mean(0)
    scaled = centred / a.std(axis=0, ddof=1)
    row_share = a ** 2 / (a ** 2).sum(axis=1, keepdims=True)
    clipped = a.clip(-0.8, 0.8)
    return (scaled.var(ddof=1) + row_share.max(axis=0).sum() + clipped.round(3).sum()
            + (clipped ** 2).sum() + a.cumsum()[-1] * 0.1 + a.reshape(-1, 1).squeeze().dot(
                xp.arange(12.0)) * 0.01)


def method_style_regression(xp, p):
    """Least squares written with methods: a.T @ b, a.dot(b), a.astype(float), the
    residuals sorted by argsort and the largest taken by a.take, the design's columns
    swapped by swapaxes."""
    design = (_X[:, :3] * (1.0 + 0.1 * p[3:6])).astype(xp.float64)
    gram = design.T @ design + xp.eye(3)
    weights = xp.linalg.solve(gram, design.T.dot(_Y))
    residual = _Y - design.dot(weights)
    order = xp.abs(residual).argsort()
    worst = residual.take(order[-3:])
    swapped = design[None].swapaxes(1, 2)[0]                      # (3, 6)
    return (residual ** 2).sum() + (worst ** 2).mean() + (swapped[0] * p[0]).sum() \
        + weights.dot(p[:3])


def exponential_smoothing_into_empty_like(xp, p):
    """Holt's linear trend smoothing written as people write recurrences: the level and
    trend stored into np.empty_like arrays one step at a time, out[i] from out[i - 1]."""
    alpha = 1.0 / (1.0 + xp.exp(-p[0]))
    beta = 1.0 / (1.0 + xp.exp(-p[1]))
    series = _Y + 0.3 * p[2:8]
    level = xp.empty_like(series)
    trend = xp.empty_like(series)
    level[0], trend[0] = series[0], series[1] - series[0]
    for i in range(1, series.size):
        level[i] = alpha * series[i] + (1 - alpha) * (level[i - 1] + trend[i - 1])
        trend[i] = beta * (level[i] - level[i - 1]) + (1 - beta) * trend[i - 1]
    forecast = level[:-1] + trend[:-1]
    return ((series[1:] - forecast) ** 2).sum()


def out_arguments_and_augmented_assignment(xp, p):
    """Buffers reused with out=: np.multiply / np.add / np.exp into preallocated
    np.empty_like arrays, then x += y, x -= ..., x[mask] *= 2 and x /= on them."""
    a = p[:8].reshape(2, 4)
    b = xp.cos(p[8:16]).reshape(2, 4)
    product = xp.empty_like(a)
    xp.multiply(a, b, out=product)
    total = xp.empty_like(a)
    xp.add(product, a, out=total)
    xp.exp(0.5 * total, out=total)
    total += product
    total -= 0.25 * a
    total[total > 1.0] *= 2.0
    total /= 3.0
    total[:, 0] += b[:, 0]
    return (total ** 2).sum()


def copyto_and_put_along_axis(xp, p):
    """Top-k sparsification and masking in place: the two smallest of each row zeroed by
    np.put_along_axis at np.argsort's indices, a masked overwrite by np.copyto(...,
    where=), then row normalisation."""
    scores = p[:12].reshape(3, 4)
    kept = scores * 1.0
    smallest = xp.argsort(scores, axis=1)[:, :2]
    xp.put_along_axis(kept, smallest, 0.0, axis=1)
    floor = xp.full_like(kept, 0.05)
    xp.copyto(kept, floor, where=xp.abs(kept) < 0.05)
    gathered = xp.take_along_axis(scores, xp.argsort(scores, axis=1)[:, -1:], axis=1)
    return ((kept / (1.0 + xp.abs(kept).sum(axis=1, keepdims=True))) ** 2).sum() \
        + gathered.sum()


def selects_and_piecewise(xp, p):
    """A tax-bracket style response by np.select, a Huber-like loss by np.piecewise with
    lambdas and a constant, and a three-way nested np.where."""
    x = 2.0 * p[:8]
    bracket = xp.select([x < -1.0, x < 0.5, x < 1.5],
                        [0.1 * x, 0.3 * x ** 2, x - 0.2 * x ** 3], default=xp.sqrt(x * x + 1))
    huber = xp.piecewise(x, [xp.abs(x) <= 1.0, xp.abs(x) > 1.0],
                         [lambda v: 0.5 * v ** 2, lambda v: xp.abs(v) - 0.5])
    ramp = xp.piecewise(x, [x < 0.0], [0.0, lambda v: v * xp.exp(-v)])
    with np.errstate(invalid="ignore"):          # log1p of the lanes where does not take
        nested = xp.where(x > 1.0, xp.log1p(x), xp.where(x < -1.0, xp.exp(x), xp.sin(x)))
    return (bracket + huber + ramp).sum() + (nested ** 2).sum()


def spectral_factorisations(xp, p):
    """The symmetric eigendecomposition by np.linalg.eigh (a matrix function built from
    it), the reduced SVD's singular values and the pseudo-inverse of a wide matrix."""
    m = p[:9].reshape(3, 3)
    sym = m + m.T + 4.0 * xp.eye(3)
    values, vectors = xp.linalg.eigh(sym)
    square_root = (vectors * xp.sqrt(values)) @ vectors.T
    wide = p[9:15].reshape(2, 3) + xp.eye(2, 3)
    u, s, vt = xp.linalg.svd(wide, full_matrices=False)
    pinv = xp.linalg.pinv(wide)
    return (square_root ** 2).sum() * 0.1 + s.sum() + (pinv @ _Y[:2]).sum() \
        + xp.abs(u[:, 0] @ wide @ vt[0]) * 0.1


def factorisations_and_powers(xp, p):
    """The reduced QR of a tall matrix (R's diagonal made positive by signs), a matrix
    power, a chain by np.linalg.multi_dot and a batch of solves on stacked matrices."""
    tall = p[:12].reshape(4, 3) + xp.eye(4, 3)
    q, r = xp.linalg.qr(tall)
    signs = xp.sign(xp.diag(r))
    q = q * signs
    transition = 0.2 * p[12:16].reshape(2, 2) + 0.5 * xp.eye(2)
    powered = xp.linalg.matrix_power(transition, 4)
    chain = xp.linalg.multi_dot([q.T, _X[:4, :2], powered])
    stacked = xp.stack([transition + 2.0 * xp.eye(2), transition.T + 3.0 * xp.eye(2)])
    solved = xp.linalg.solve(stacked, _Y[:4].reshape(2, 2, 1))
    return (chain ** 2).sum() + solved.sum() + xp.abs(r[0, 0])


def block_and_broadcast_assembly(xp, p):
    """A saddle-point matrix assembled with np.block, a vector made 2-D by
    np.atleast_2d, a grid by np.broadcast_arrays and np.broadcast_to, then a solve."""
    a = p[:4].reshape(2, 2)
    spd = a @ a.T + xp.eye(2)
    constraint = xp.atleast_2d(p[4:6])                             # (1, 2)
    kkt = xp.block([[spd, constraint.T], [constraint, xp.zeros((1, 1))]])
    rhs = xp.concatenate([_Y[:2], [1.0]])
    solution = xp.linalg.solve(kkt, rhs)
    rows, cols = xp.broadcast_arrays(p[6:9, None], p[9:11])
    grid = xp.broadcast_to(p[6:9], (2, 3))
    return solution @ solution + (rows * cols).sum() + (grid * xp.arange(6.0).reshape(2, 3)).sum()


def sliding_window_features(xp, p):
    """Moving statistics by np.lib.stride_tricks.sliding_window_view on a 1-D series and
    2x2 patches of an image: windowed means, a windowed max and patch energies."""
    series = xp.cumsum(p[:10])
    windows = np.lib.stride_tricks.sliding_window_view(series, 4)     # (7, 4)
    moving_mean = windows.mean(axis=-1)
    moving_max = windows.max(axis=-1)
    image = p[10:22].reshape(3, 4)
    patches = np.lib.stride_tricks.sliding_window_view(image, (2, 2))  # (2, 3, 2, 2)
    energy = (patches ** 2).sum(axis=(-1, -2))
    return ((series[3:] - moving_mean) ** 2).sum() + moving_max.sum() * 0.1 + energy.max()


def einsum_optimized_contractions(xp, p):
    """Bilinear and trilinear forms by np.einsum with optimize=True and 'greedy' over
    three and four operands, and a batched quadratic form."""
    a = p[:6].reshape(2, 3)
    b = p[6:12].reshape(3, 2)
    v = p[12:14]
    chain = xp.einsum("ij,jk,k->i", a, b, v, optimize=True)
    trace = xp.einsum("ij,jk,kl,li->", a, b, a, b, optimize="greedy")
    batched = xp.einsum("bi,ij,bj->b", _X[:, :2], b.T @ b, _X[:, :2], optimize=True)
    return chain @ chain + trace + batched.sum() * 0.1


def fem_stiffness_assembly(xp, p):
    """A 1-D finite-element bar: element stiffnesses EA/h from parameters scattered into
    the global matrix by np.add.at at each element's (row, column) pairs, the left end
    fixed, the displacements solved and the compliance returned."""
    elements = 5
    stiffness = xp.exp(0.3 * p[:elements]) * elements
    local = xp.array([[1.0, -1.0], [-1.0, 1.0]])
    nodes = xp.stack([xp.arange(elements), xp.arange(1, elements + 1)], axis=1)
    rows = xp.repeat(nodes, 2, axis=1).ravel()
    cols = xp.tile(nodes, 2).ravel()
    global_matrix = xp.zeros_like(stiffness, shape=(elements + 1, elements + 1))
    xp.add.at(global_matrix, (rows, cols), (stiffness[:, None, None] * local).ravel())
    load = xp.full(elements, 1.0 / elements)
    load[-1] += 1.0
    displacement = xp.linalg.solve(global_matrix[1:, 1:], load)
    return load @ displacement


def gauss_newton_with_backtracking(xp, p):
    """A Gauss-Newton step for a logistic growth curve, the step length found by a fixed
    number of backtracking halvings decided on the loss's value, the step solved from
    the normal equations J^T J d = -J^T r."""
    t = xp.linspace(0.0, 4.0, 9)
    observed = 2.0 / (1.0 + xp.exp(-1.3 * (t - 2.0))) + 0.05 * xp.sin(5 * t)

    def residual(theta):
        return theta[0] / (1.0 + xp.exp(-theta[1] * (t - theta[2]))) - observed

    def loss(theta):
        return 0.5 * (residual(theta) ** 2).sum()

    theta = xp.array([1.5, 1.0, 1.5]) + 0.1 * p[:3]
    for _ in range(2):
        e = xp.exp(-theta[1] * (t - theta[2]))
        sig = 1.0 / (1.0 + e)
        jacobian = xp.stack([sig, theta[0] * sig ** 2 * e * (t - theta[2]),
                             -theta[0] * sig ** 2 * e * theta[1]], axis=1)
        direction = xp.linalg.solve(jacobian.T @ jacobian + 1e-3 * xp.eye(3),
                                    -jacobian.T @ residual(theta))
        step, start = 1.0, loss(theta)
        for _ in range(4):
            if loss(theta + step * direction) <= start:
                break
            step *= 0.5
        theta = theta + step * direction
    return loss(theta) + 0.01 * (theta ** 2).sum()


def deterministic_annealing(xp, p):
    """Deterministic annealing clustering: soft assignments at a falling temperature
    from squared distances (shifted by each row's minimum), the centres re-estimated as
    weighted means, the free energy at the last temperature."""
    points = _X[:, :2] + 0.3 * p[:12].reshape(6, 2)
    centres = xp.array([[-0.5, 0.0], [0.5, 0.2], [0.0, -0.6]])
    for temperature in (2.0, 1.0, 0.5, 0.25):
        distances = ((points[:, None, :] - centres[None]) ** 2).sum(-1)
        shifted = distances - distances.min(axis=1, keepdims=True)
        weights = xp.exp(-shifted / temperature)
        weights /= weights.sum(axis=1, keepdims=True)
        centres = (weights.T @ points) / weights.sum(0)[:, None]
    distances = ((points[:, None, :] - centres[None]) ** 2).sum(-1)
    lowest = distances.min(axis=1)
    return (lowest - temperature * xp.log(xp.exp(-(distances - lowest[:, None])
                                                 / temperature).sum(1))).sum()


def cubic_spline_lookup(xp, p):
    """A natural cubic spline through parameter values at fixed knots: the second
    derivatives from a tridiagonal solve, the interval of each query by np.searchsorted,
    the coefficients gathered by fancy indexing and the cubic evaluated."""
    knots = xp.array([0.0, 0.7, 1.5, 2.0, 3.1, 4.0])
    values = xp.sin(knots) + 0.3 * p[:6]
    h = xp.diff(knots)
    slopes = xp.diff(values) / h
    inner = xp.diag(2 * (h[:-1] + h[1:])) + xp.diag(h[1:-1], 1) + xp.diag(h[1:-1], -1)
    curvature = xp.zeros_like(values)
    curvature[1:-1] = xp.linalg.solve(inner, 6 * xp.diff(slopes))
    queries = xp.array([0.1, 0.9, 1.6, 1.99, 2.5, 3.3, 3.9])
    k = xp.clip(xp.searchsorted(knots, queries) - 1, 0, h.size - 1)
    left, right = queries - knots[k], knots[k + 1] - queries
    spline = (curvature[k] * right ** 3 + curvature[k + 1] * left ** 3) / (6 * h[k]) \
        + (values[k] / h[k] - curvature[k] * h[k] / 6) * right \
        + (values[k + 1] / h[k] - curvature[k + 1] * h[k] / 6) * left
    return (spline ** 2).sum() + curvature @ curvature * 0.01


def log_domain_sinkhorn(xp, p):
    """Entropic optimal transport in the log domain: the dual potentials updated with a
    stabilised log-sum-exp written by hand (.max(axis, keepdims=True) then log of the
    shifted exponentials' sum), the transport cost of the plan at the end."""
    source = xp.stack([p[:5], p[5:10]], axis=1)
    target = _X[:4, :2]
    cost = ((source[:, None] - target[None]) ** 2).sum(axis=-1)
    epsilon = 0.3
    log_a, log_b = xp.log(xp.full(5, 0.2)), xp.log(xp.full(4, 0.25))

    def logsumexp(a, axis):
        top = a.max(axis=axis, keepdims=True)
        return (top + xp.log(xp.exp(a - top).sum(axis=axis, keepdims=True))).squeeze(axis)

    f, g = xp.zeros(5), xp.zeros(4)
    for _ in range(15):
        f = -epsilon * logsumexp((g[None, :] - cost) / epsilon + log_b[None, :], axis=1)
        g = -epsilon * logsumexp((f[:, None] - cost) / epsilon + log_a[:, None], axis=0)
    plan = xp.exp((f[:, None] + g[None, :] - cost) / epsilon + log_a[:, None] + log_b)
    return (plan * cost).sum()


def chebyshev_series(xp, p):
    """A Chebyshev series by np.polynomial.chebyshev.chebval at parameter-dependent
    points, its derivative series by chebder, and a Hermite series by hermval."""
    coefficients = xp.array([0.5, -1.0, 0.25, 0.8, -0.3])
    x = xp.tanh(p[:6])
    values = np.polynomial.chebyshev.chebval(x, coefficients)
    slope = np.polynomial.chebyshev.chebval(x, np.polynomial.chebyshev.chebder(coefficients))
    hermite = np.polynomial.hermite.hermval(0.5 * x, [1.0, 0.2, -0.1])
    return (values ** 2).sum() + (slope * x).sum() + hermite.sum()


def total_variation_by_gradient(xp, p):
    """A Huber-smoothed anisotropic total-variation energy with np.gradient's central
    differences along both axes, a data term against a fixed image, and a box constraint
    penalty by a.clip."""
    image = p[:20].reshape(4, 5)
    clean = xp.outer(xp.linspace(0, 1, 4), xp.ones(5))
    dy, dx = xp.gradient(image)
    delta = 0.1

    def huber(v):
        magnitude = xp.abs(v)
        return xp.where(magnitude < delta, 0.5 * v ** 2 / delta, magnitude - 0.5 * delta)

    outside = image - image.clip(-1.0, 1.0)
    return 0.5 * ((image - clean) ** 2).sum() + 0.2 * (huber(dx) + huber(dy)).sum() \
        + (outside ** 2).sum()


def soft_dtw_padded_table(xp, p):
    """Soft dynamic time warping with the table made by np.pad of the cost matrix (an
    inf border) and each cell updated by += of the soft minimum of its three
    predecessors, the soft minimum via np.logaddenp.reduce."""
    series = p[:5]
    reference = xp.cos(2.0 * _T[:5])
    gamma = 0.5
    cost = (series[:, None] - reference[None, :]) ** 2
    table = xp.pad(cost, ((1, 0), (1, 0)), constant_values=xp.inf)
    table[0, 0] = 0.0
    for i in range(1, 6):
        for j in range(1, 6):
            previous = xp.stack([table[i - 1, j - 1], table[i - 1, j], table[i, j - 1]])
            table[i, j] += -gamma * xp.logaddexp.reduce(-previous / gamma)
    return table[-1, -1]


def self_exciting_triu(xp, p):
    """A self-exciting intensity summed over the strict upper triangle (np.triu with
    k=1) of exponentially decaying lags between event times, normalised by the number
    of pairs from np.triu_indices."""
    times = xp.array([0.2, 0.5, 1.3, 1.4, 2.2, 3.0, 3.1])
    decay, weight = xp.exp(0.5 * p[0]), xp.exp(p[1])
    lags = times[None, :] - times[:, None]                        # later minus earlier
    excitation = xp.triu(weight * xp.exp(-decay * xp.abs(lags)), k=1)
    pairs = xp.triu_indices(times.size, k=1)[0].size
    intensity = p[2] ** 2 + 0.1 + excitation.sum(axis=0)
    return xp.log(intensity).sum() - excitation.sum() / pairs


def attention_layer(xp, p):
    """A pre-norm self-attention layer in pure NumPy: layer norm by .mean/.var with
    keepdims, projections by @, two heads by reshape and swapaxes, a causal mask from
    np.triu, a softmax by subtracting .max, and a residual connection."""
    tokens = _X[:4, :4] + 0.2 * p[:16].reshape(4, 4)
    w_qkv = 0.5 * p[16:64].reshape(4, 12)
    mean = tokens.mean(-1, keepdims=True)
    normed = (tokens - mean) / xp.sqrt(tokens.var(-1, keepdims=True) + 1e-5)
    q, k, v = xp.split(normed @ w_qkv, 3, axis=-1)
    q, k, v = (m.reshape(4, 2, 2).swapaxes(0, 1) for m in (q, k, v))   # (heads, 4, 2)
    scores = q @ k.swapaxes(-1, -2) / xp.sqrt(2.0)
    scores = xp.where(xp.triu(xp.ones((4, 4), dtype=bool), k=1), -xp.inf, scores)
    weights = xp.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(-1, keepdims=True)
    attended = (weights @ v).swapaxes(0, 1).reshape(4, 4)
    return ((tokens + attended) ** 2).mean()


def gru_sequence(xp, p):
    """A GRU over a sequence in pure NumPy: update and reset gates from one stacked
    matrix split by slicing, the candidate state with the reset gate, the hidden
    states written into a preallocated np.zeros_like array row by row."""
    hidden, steps = 2, 5
    w = 0.5 * p[:18].reshape(3 * hidden, 3)                       # input 1 + hidden 2
    bias = 0.1 * p[18:24]
    sigmoid = lambda v: 1.0 / (1.0 + xp.exp(-v))                  # noqa: E731
    states = xp.zeros_like(w, shape=(steps + 1, hidden))
    for t in range(steps):
        h = states[t]
        joined = xp.concatenate([_X[t, :1], h])
        gates = sigmoid(w[:2 * hidden] @ joined + bias[:2 * hidden])
        update, reset = gates[:hidden], gates[hidden:]
        candidate = xp.tanh(w[2 * hidden:, :1] @ _X[t, :1] + w[2 * hidden:, 1:] @ (reset * h)
                            + bias[2 * hidden:])
        states[t + 1] = (1.0 - update) * h + update * candidate
    return (states[1:] * _T[:5, None]).sum() + (states[-1] ** 2).sum()


def batched_kalman_smoother(xp, p):
    """A Rauch-Tung-Striebel smoother run on a batch of two series at once: stacked
    covariances updated with @ and np.linalg.inv on (batch, 2, 2) arrays, the filtered
    states kept in lists and the backward pass over them."""
    transition = xp.array([[1.0, 0.3], [0.0, 1.0]])
    observe = xp.array([[1.0, 0.0]])
    process = xp.exp(p[0]) * xp.eye(2) * 0.1
    noise = xp.exp(p[1]) * 0.5
    data = xp.stack([_Y[:5], xp.sin(_T[:5] * 3)]) + 0.1 * p[2:12].reshape(2, 5)
    mean = xp.zeros((2, 2, 1))
    cov = xp.broadcast_to(xp.eye(2), (2, 2, 2))
    means, covs, predicted_means, predicted_covs = [], [], [], []
    for t in range(5):
        mean_pred = transition @ mean
        cov_pred = transition @ cov @ transition.T + process
        innovation = data[:, t, None, None] - observe @ mean_pred
        gain = cov_pred @ observe.T / (observe @ cov_pred @ observe.T + noise)
        mean = mean_pred + gain @ innovation
        cov = cov_pred - gain @ observe @ cov_pred
        predicted_means.append(mean_pred)
        predicted_covs.append(cov_pred)
        means.append(mean)
        covs.append(cov)
    smoothed = means[-1]
    total = (smoothed ** 2).sum()
    for t in range(3, -1, -1):
        smoother_gain = covs[t] @ transition.T @ xp.linalg.inv(predicted_covs[t + 1])
        smoothed = means[t] + smoother_gain @ (smoothed - predicted_means[t + 1])
        total = total + (smoothed[:, 0, 0] * data[:, t]).sum()
    return total


def reparameterised_elbo(xp, p):
    """A Monte-Carlo evidence lower bound for a 2-D Gaussian posterior with the
    reparameterisation trick: standard normal draws from a seeded np.random.Generator
    (constants), shifted and scaled by the parameters, the log-likelihood of a logistic
    model and the Gaussian entropy in closed form."""
    rng = np.random.default_rng(11)
    mu, log_sigma = p[:2], 0.3 * p[2:4]
    noise = rng.standard_normal((16, 2))
    z = mu + xp.exp(log_sigma) * noise                             # (16, 2)
    logits = z @ _X[:, :2].T                                      # (16, 6)
    labels = (_Y > 0).astype(float)
    log_likelihood = (labels * logits - xp.logaddexp(0.0, logits)).sum(axis=1).mean()
    log_prior = -0.5 * (z ** 2).sum(axis=1).mean()
    entropy = log_sigma.sum() + np.log(2 * np.pi * np.e)
    return -(log_likelihood + log_prior + entropy)


def polynomial_module_functions(xp, p):
    """Polynomials the numpy.polynomial way with the tape kept: power and Legendre
    series evaluated at parameter points by polyval / legval, a Polynomial object's
    derivative coefficients (constants) evaluated by polyval, and parameter
    coefficients at constant points through np.polynomial.polynomial.polyvander."""
    x = 0.5 * xp.tanh(p[:5])
    cubic = np.polynomial.Polynomial([1.0, -0.5, 0.25, 0.4])
    values = np.polynomial.polynomial.polyval(x, cubic.coef)
    slopes = np.polynomial.polynomial.polyval(x, cubic.deriv().coef)
    legendre = np.polynomial.legendre.legval(x, [0.2, 0.0, -0.7])
    fitted = np.polynomial.polynomial.polyvander(_T, 2) @ p[5:8]
    return (values * slopes).sum() + legendre.sum() + ((fitted - _Y) ** 2).sum()


#: (program, parameters, whether HIPS autograd has every function the program calls)
PROGRAMS = [
    (method_style_statistics, _rng.normal(size=12), False),        # no .clip/.round methods
    (method_style_regression, _rng.normal(size=6), False),         # no .take / .argsort
    (exponential_smoothing_into_empty_like, _rng.normal(size=8), False),  # no item assignment
    (out_arguments_and_augmented_assignment, _rng.normal(size=16), False),  # no out=
    (copyto_and_put_along_axis, _rng.normal(size=12), False),      # no put_along_axis
    (selects_and_piecewise, _rng.normal(size=8), False),           # no np.piecewise
    (spectral_factorisations, _rng.normal(size=15) * 0.5, False),  # no pinv
    (factorisations_and_powers, _rng.normal(size=16) * 0.5, False),  # no multi_dot
    (block_and_broadcast_assembly, _rng.normal(size=11), False),   # no np.block
    (sliding_window_features, _rng.normal(size=22), False),        # no sliding_window_view
    (einsum_optimized_contractions, _rng.normal(size=14), True),
    (fem_stiffness_assembly, _rng.normal(size=5), False),          # no np.add.at
    (gauss_newton_with_backtracking, _rng.normal(size=3), True),
    (deterministic_annealing, _rng.normal(size=12), False),        # no /= on arrays
    (cubic_spline_lookup, _rng.normal(size=6), False),             # no item assignment
    (log_domain_sinkhorn, _rng.normal(size=10), True),
    (chebyshev_series, _rng.normal(size=6), False),                # no numpy.polynomial
    (total_variation_by_gradient, _rng.normal(size=20), False),    # no np.gradient
    (soft_dtw_padded_table, _rng.normal(size=5), False),           # no item assignment
    (self_exciting_triu, _rng.normal(size=3), True),
    (attention_layer, _rng.normal(size=64), True),
    (gru_sequence, _rng.normal(size=24), False),                   # no item assignment
    (batched_kalman_smoother, _rng.normal(size=12) * 0.5, True),
    (reparameterised_elbo, _rng.normal(size=4), True),
    (polynomial_module_functions, _rng.normal(size=8), False),   # no numpy.polynomial
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
