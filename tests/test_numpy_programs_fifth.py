"""A fifth set of short NumPy programs (Sinkhorn transport, a convolution by
sliding_window_view, Viterbi max-product, truss assembly by np.add.at, a Hermite spline
by searchsorted, soft-DTW, a Lennard-Jones cluster, IRLS with Tukey weights, an LSTM,
Householder QR, ISTA, a CSR power iteration, a Kronecker GP, mask assignment ...), each
differentiated unchanged with ``ad.grad``: the value is NumPy's to the bit, the
gradient matches central differences in float64 and HIPS autograd where autograd has
every function used, and the Hessian matches central differences of the gradient.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""


import numpy as np


from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261206)
_X = _rng.normal(size=(10, 3))
_Y = _rng.normal(size=10)
_T = np.linspace(0.0, 1.0, 10)
_IMAGE = _rng.normal(size=(6, 7))
_GROUPS = np.array([2, 0, 2, 1, 0, 2, 1, 2])


def sinkhorn_transport(xp, p):
    """Entropic optimal transport between two weighted point sets by Sinkhorn scaling
    iterations; the points of the source are the parameters."""
    source, target = p[:5], _T[::2] * 2.0
    cost = (source[:, None] - target[None, :]) ** 2
    kernel = xp.exp(-cost / 0.5)
    a, b = xp.full(5, 0.2), xp.full(5, 0.2)
    u, v = xp.ones_like(a), xp.ones_like(b)
    for _ in range(20):
        u = a / (kernel @ v)
        v = b / (kernel.T @ u)
    plan = u[:, None] * kernel * v[None, :]
    return xp.einsum("ij,ij->", plan, cost) + xp.sum(xp.abs(plan.sum(axis=1) - a))


def conv_and_pool(xp, p):
    """A 3x3 convolution written with sliding_window_view and einsum, a ReLU, and a 2x2
    max pool over non-overlapping windows of the result."""
    kernel = p[:9].reshape(3, 3)
    windows = xp.lib.stride_tricks.sliding_window_view(_IMAGE * p[9], (3, 3))
    feature = xp.einsum("ijkl,kl->ij", windows, kernel[::-1, ::-1]) + p[10]
    feature = xp.maximum(feature, 0.0)
    pooled = xp.lib.stride_tricks.sliding_window_view(feature, (2, 2))[::2, ::2]
    return xp.sum(pooled.max(axis=(2, 3)) ** 2) + xp.mean(feature)


def viterbi_max_product(xp, p):
    """Max-product decoding of a 3-state chain in the log domain: the best path's
    score (a subgradient through np.max) and its states found by backtracking argmax."""
    log_transition = p[:9].reshape(3, 3)
    log_emission = xp.sin(_X[:6] * p[9:12])
    score = log_emission[0]
    backpointers = []
    for t in range(1, 6):
        candidates = score[:, None] + log_transition
        backpointers.append(xp.argmax(candidates, axis=0))
        score = xp.max(candidates, axis=0) + log_emission[t]
    state = int(xp.argmax(score))
    path = [state]
    for pointers in backpointers[::-1]:
        state = int(pointers[state])
        path.append(state)
    path = xp.array(path[::-1])
    return xp.max(score) + 0.1 * xp.sum(log_emission[xp.arange(6), path])


def truss_compliance(xp, p):
    """Compliance of a small 2-D truss: element stiffness matrices by outer products,
    assembled with np.add.at through np.ix_-like index grids, solved with the fixed
    nodes removed by boolean masks."""
    nodes = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [0.5, 0.8], [1.5, 0.8]])
    bars = np.array([[0, 1], [1, 2], [0, 3], [1, 3], [1, 4], [2, 4], [3, 4]])
    areas = xp.exp(p[:7])
    delta = nodes[bars[:, 1]] - nodes[bars[:, 0]]
    lengths = xp.hypot(delta[:, 0], delta[:, 1])
    direction = delta / lengths[:, None]
    local = xp.concatenate([-direction, direction], axis=1)             # (7, 4)
    element = (areas / lengths)[:, None, None] * xp.einsum("ei,ej->eij", local, local)
    dofs = xp.stack([2 * bars[:, 0], 2 * bars[:, 0] + 1, 2 * bars[:, 1], 2 * bars[:, 1] + 1],
                    axis=1)
    stiffness = xp.zeros_like(areas, shape=(10, 10))
    xp.add.at(stiffness, (dofs[:, :, None], dofs[:, None, :]), element)
    free = np.ones(10, dtype=bool)
    free[[0, 1, 5]] = False
    load = np.zeros(10)
    load[[7, 9]] = -1.0
    displacement = xp.linalg.solve(stiffness[np.ix_(free, free)], load[free])
    return load[free] @ displacement + 0.1 * xp.sum(areas * lengths)


def hermite_spline(xp, p):
    """A cubic Hermite spline through values at fixed knots, slopes by np.gradient,
    evaluated at points located with np.searchsorted and read with np.take."""
    knots = np.linspace(0.0, 1.0, p.size)
    slopes = xp.gradient(p, knots)
    queries = np.array([0.0, 0.13, 0.4, 0.41, 0.77, 0.999, 1.0])
    index = xp.clip(xp.searchsorted(knots, queries, side="right") - 1, 0, p.size - 2)
    h = knots[index + 1] - knots[index]
    s = (queries - knots[index]) / h
    h00, h10 = 2 * s ** 3 - 3 * s ** 2 + 1, s ** 3 - 2 * s ** 2 + s
    h01, h11 = -2 * s ** 3 + 3 * s ** 2, s ** 3 - s ** 2
    values = (h00 * xp.take(p, index) + h10 * h * xp.take(slopes, index)
              + h01 * xp.take(p, index + 1) + h11 * h * xp.take(slopes, index + 1))
    return xp.sum(values ** 2) + xp.sum(xp.diff(values))


def masked_log_softmax(xp, p):
    """A log-softmax over rows with some entries masked to -inf, log-sum-exp by the row
    max with keepdims; the loss reads the allowed entries only, and the entropy's
    -inf logs are masked before the product (0 * -inf would be NaN, in the value's
    product and in its gradient, as in PyTorch)."""
    logits = p.reshape(3, 4)
    allowed = np.array([[1, 1, 0, 1], [0, 1, 1, 1], [1, 0, 0, 1]], dtype=bool)
    masked = xp.where(allowed, logits, -xp.inf)
    top = xp.max(masked, axis=1, keepdims=True)
    log_norm = top + xp.log(xp.sum(xp.exp(masked - top), axis=1, keepdims=True))
    log_probs = masked - log_norm
    targets = np.array([3, 2, 0])
    probs = xp.exp(log_probs)
    entropy = -xp.sum(probs * xp.where(allowed, log_probs, 0.0))
    return -xp.sum(log_probs[np.arange(3), targets]) + 0.1 * entropy


def soft_dtw(xp, p):
    """Soft dynamic time warping between a parameter series and a fixed one, the table
    filled in place by a double loop with a soft minimum by log-sum-exp."""
    series, reference, gamma = p, xp.sin(3 * _T[:6]), 0.3
    n, m = series.size, reference.size
    table = xp.full_like(series, xp.inf, shape=(n + 1, m + 1))
    table[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            previous = xp.stack([table[i - 1, j - 1], table[i - 1, j], table[i, j - 1]])
            lowest = xp.min(previous)
            soft_min = lowest - gamma * xp.log(xp.sum(xp.exp(-(previous - lowest) / gamma)))
            table[i, j] = (series[i - 1] - reference[j - 1]) ** 2 + soft_min
    return table[n, m]


def lennard_jones(xp, p):
    """Lennard-Jones energy of a cluster: pair distances by broadcasting, the diagonal
    filled so the powers stay finite, the pairs read by np.triu_indices."""
    positions = p.reshape(-1, 3)
    n = len(positions)
    differences = positions[:, None, :] - positions[None, :, :]
    distances = xp.linalg.norm(differences, axis=-1)
    xp.fill_diagonal(distances, 1.0)
    upper = xp.triu_indices(n, k=1)
    inverse_six = (1.0 / distances[upper]) ** 6
    energy = 4.0 * xp.sum(inverse_six ** 2 - inverse_six)
    return energy + 0.01 * xp.sum(xp.linalg.norm(positions - positions.mean(axis=0), axis=1))


def spectral_embedding(xp, p):
    """The Fiedler vector of a weighted graph Laplacian (eigh, distinct eigenvalues), the
    algebraic connectivity, and the eigenvector's sign fixed by its largest entry."""
    weights = xp.zeros_like(p, shape=(5, 5))
    rows, cols = np.triu_indices(5, 1)
    weights[rows, cols] = xp.exp(p)
    weights = weights + weights.T
    laplacian = xp.diag(weights.sum(axis=1)) - weights
    eigenvalues, eigenvectors = xp.linalg.eigh(laplacian)
    fiedler = eigenvectors[:, 1]
    fiedler = fiedler * xp.sign(fiedler[xp.argmax(xp.abs(fiedler))])
    return eigenvalues[1] + xp.sum(fiedler * xp.arange(5.0)) + 0.01 * xp.trace(laplacian)


def tukey_irls(xp, p):
    """Robust regression: iteratively reweighted least squares with Tukey's biweight,
    the scale by the median absolute deviation, weighted normal equations solved."""
    design = xp.column_stack([xp.ones(10), _X[:, 0]])
    response = design @ p[:2] + 0.3 * _Y + np.where(np.arange(10) == 3, 4.0, 0.0) * p[2]
    coefficients = xp.linalg.lstsq(design, response, rcond=None)[0]
    for _ in range(4):
        residuals = response - design @ coefficients
        scale = xp.median(xp.abs(residuals - xp.median(residuals))) / 0.6745
        u = residuals / (4.685 * scale)
        weights = xp.where(xp.abs(u) < 1, (1 - u ** 2) ** 2, 0.0)
        weighted = design * weights[:, None]
        coefficients = xp.linalg.solve(design.T @ weighted, weighted.T @ response)
    return xp.sum(coefficients ** 2)


def lstm_sequence(xp, p):
    """An LSTM over a short sequence: one matrix for the four gates split with
    np.split, the input and state joined with np.hstack, the states stacked."""
    hidden = 2
    weights = p[:24].reshape(4 * hidden, 3) * 0.5
    bias = p[24:32]
    h, c = xp.zeros(hidden), xp.zeros(hidden)
    states = []
    for x in _X[:5, :1]:
        gates = weights @ xp.hstack([x, h]) + bias
        i, f, g, o = xp.split(gates, 4)
        i, f, o = 1 / (1 + xp.exp(-i)), 1 / (1 + xp.exp(-f)), 1 / (1 + xp.exp(-o))
        c = f * c + i * xp.tanh(g)
        h = o * xp.tanh(c)
        states.append(h)
    outputs = xp.stack(states)
    return xp.sum(outputs[:, 0] * _Y[:5]) + xp.sum(outputs[-1] ** 2)


def normalization_layers(xp, p):
    """Batch norm over (batch, height, width) of a channels-last activation moved to
    channels-first with np.moveaxis, layer norm over the last axes, then a group norm by
    a reshape, each with learned scale and shift."""
    activations = _IMAGE[:4, :6].reshape(2, 2, 3, 2) * p[:2] + p[2:4]
    channels_first = xp.moveaxis(activations, -1, 1)                    # (2, 2, 2, 3)
    mean = channels_first.mean(axis=(0, 2, 3), keepdims=True)
    var = channels_first.var(axis=(0, 2, 3), keepdims=True)
    batch = (channels_first - mean) / xp.sqrt(var + 1e-5)
    layer_mean = activations.mean(axis=(-3, -2, -1), keepdims=True)
    layer_std = activations.std(axis=(-3, -2, -1), keepdims=True)
    layer = (activations - layer_mean) / (layer_std + 1e-5)
    groups = activations.reshape(2, 6, 2)
    group = (groups - groups.mean(axis=1, keepdims=True)) / xp.sqrt(
        groups.var(axis=1, keepdims=True) + 1e-5)
    return (xp.sum(batch[:, 0] * p[4]) + xp.sum(layer[..., 1] ** 3)
            + xp.sum(group[:, :3] * p[5]))


def causal_linear_attention(xp, p):
    """Causal linear attention: an elu + 1 feature map with np.where, running sums of
    key-value outer products by np.cumsum over time, and normalisers."""
    x = _X[:6, :2]
    wq, wk, wv = p[:4].reshape(2, 2), p[4:8].reshape(2, 2), p[8:12].reshape(2, 2)
    q, k, v = x @ wq, x @ wk, x @ wv
    q = xp.where(q > 0, q + 1, xp.exp(q))
    k = xp.where(k > 0, k + 1, xp.exp(k))
    memory = xp.cumsum(xp.einsum("ti,tj->tij", k, v), axis=0)
    normaliser = xp.cumsum(k, axis=0)
    out = xp.einsum("ti,tij->tj", q, memory) / xp.einsum("ti,ti->t", q, normaliser)[:, None]
    return xp.sum(out * _X[:6, 1:])


def arc_length_resampling(xp, p):
    """A polyline resampled at equal arc length: segment lengths by np.linalg.norm of
    np.diff, cumulative length, and np.interp with the moving positions as the table."""
    points = xp.stack([_T * 2.0, p], axis=1)
    segments = xp.linalg.norm(xp.diff(points, axis=0), axis=1)
    arc = xp.concatenate([xp.zeros(1), xp.cumsum(segments)])
    targets = xp.linspace(0.0, 1.0, 7) * arc[-1]
    x_new = xp.interp(targets, arc, points[:, 0])
    y_new = xp.interp(targets, arc, points[:, 1])
    return xp.sum(y_new ** 2) + xp.sum(x_new) + arc[-1]


def potential_flow(xp, p):
    """A flow past sources on a meshgrid: the potential of point sources at parameter
    positions, velocities by np.gradient along both axes with the grid spacings, the
    kinetic energy integrated with np.trapezoid twice."""
    x = xp.linspace(-1.0, 1.0, 7)
    y = xp.linspace(-1.0, 1.0, 6)
    gx, gy = xp.meshgrid(x, y, indexing="ij")
    potential = 0.0
    for k in range(2):
        r = xp.hypot(gx - p[2 * k], gy - p[2 * k + 1])
        potential = potential + p[4 + k] * xp.log(r)
    u, v = xp.gradient(potential, x[1] - x[0], y[1] - y[0])
    speed = u ** 2 + v ** 2
    return xp.trapezoid(xp.trapezoid(speed, y, axis=1), x) + xp.sum(xp.arctan2(v, u)) * 0.01


def csr_power_iteration(xp, p):
    """A sparse matrix in CSR form (its stored values the parameters): products by
    gathering with the column indices and summing rows with np.add.reduceat, row
    sums by np.bincount with weights, and a power iteration's Rayleigh quotient."""
    indptr = np.array([0, 2, 5, 7, 9])
    indices = np.array([0, 1, 0, 1, 2, 1, 3, 2, 3])
    values = p
    rows = np.repeat(np.arange(4), np.diff(indptr))
    vector = xp.ones(4) / 2.0
    for _ in range(6):
        product = xp.add.reduceat(values * vector[indices], indptr[:-1])
        vector = product / xp.linalg.norm(product)
    product = xp.bincount(rows, weights=values * vector[indices], minlength=4)
    return vector @ product + xp.sum(xp.bincount(rows, weights=values ** 2))


def wasserstein_1d(xp, p):
    """The 1-D Wasserstein distance between samples (the parameters) and fixed data,
    quantile functions by np.sort and np.interp, an empirical CDF by np.searchsorted."""
    samples = xp.sort(p)
    data = np.sort(_Y)
    levels = (np.arange(p.size) + 0.5) / p.size
    data_quantiles = xp.interp(levels, (np.arange(data.size) + 0.5) / data.size, data)
    w2 = xp.mean((samples - data_quantiles) ** 2)
    ranks = xp.searchsorted(data, samples)
    cdf_gap = xp.mean(xp.abs(ranks / data.size - levels))
    return w2 + cdf_gap + xp.sum(xp.cumsum(samples) * levels)


def ista_lasso(xp, p):
    """Iterative soft thresholding for a lasso problem whose data are scaled by the
    parameters: soft threshold by sign * maximum(abs - t, 0), the step by the spectral
    norm, the objective with the 1-norm."""
    design = _X * p[:3]
    response = _Y + p[3]
    step = 1.0 / xp.linalg.norm(design, 2) ** 2
    penalty = 0.2
    coefficients = xp.zeros(3)
    for _ in range(15):
        z = coefficients - step * design.T @ (design @ coefficients - response)
        coefficients = xp.sign(z) * xp.maximum(xp.abs(z) - step * penalty, 0.0)
    residual = design @ coefficients - response
    return (0.5 * residual @ residual + penalty * xp.linalg.norm(coefficients, 1)
            + xp.linalg.norm(residual, xp.inf))


def householder_qr(xp, p):
    """QR by Householder reflections written out: each reflector from np.copysign and
    np.linalg.norm, applied in place to the trailing block with np.outer; Q made with
    like=p, so that it is a Tensor to write the products into."""
    r = p.reshape(4, 3).copy()
    q = xp.eye(4, like=p)
    for k in range(3):
        column = r[k:, k]
        reflector = column.copy()
        reflector[0] = reflector[0] + xp.copysign(xp.linalg.norm(column), column[0])
        reflector = reflector / xp.linalg.norm(reflector)
        r[k:, :] -= 2.0 * xp.outer(reflector, reflector @ r[k:, :])
        q[:, k:] -= 2.0 * xp.outer(q[:, k:] @ reflector, reflector)
    return xp.sum(xp.abs(xp.diag(r))) + xp.sum(xp.triu(r, 1) ** 2) + xp.sum(q[:, 0] * _Y[:4])


def kronecker_gp(xp, p):
    """A Gaussian-process likelihood on a 3x4 grid whose covariance is the Kronecker
    product of two RBF kernels (their length scales the parameters): np.kron, then the
    same determinant from the factors' eigenvalues."""
    s = np.linspace(0.0, 1.0, 3)
    t = np.linspace(0.0, 1.0, 4)
    k1 = xp.exp(-0.5 * xp.subtract.outer(s, s) ** 2 / xp.exp(p[0]) ** 2)
    k2 = xp.exp(-0.5 * xp.subtract.outer(t, t) ** 2 / xp.exp(p[1]) ** 2)
    noise = xp.exp(p[2])
    covariance = xp.kron(k1, k2) + noise * xp.eye(12)
    y = _X.ravel()[:12]
    sign, logdet = xp.linalg.slogdet(covariance)
    fit = y @ xp.linalg.solve(covariance, y)
    e1, e2 = xp.linalg.eigvalsh(k1), xp.linalg.eigvalsh(k2)
    logdet_factored = xp.sum(xp.log(xp.kron(e1, e2) + noise))
    return 0.5 * (fit + logdet) + 0.1 * logdet_factored


def mask_assignment(xp, p):
    """Values replaced through boolean masks on copies: a leaky ReLU by a[mask] =
    expr, a clamp by np.putmask, a blend by np.copyto with where=, and np.place."""
    a = p.copy()
    negative = a < 0
    a[negative] = 0.1 * a[negative]
    b = p * 2.0
    xp.putmask(b, b > 1.0, 1.0 + xp.log(xp.abs(b)))
    c = p ** 2
    xp.copyto(c, p[::-1], where=p > p[::-1])
    d = p.copy()
    d[d > 0.5] = p[:3].sum()
    return xp.sum(a ** 2) + xp.sum(b) + xp.sum(c * _Y[:p.size]) + xp.sum(d)


def missing_data(xp, p):
    """Data with missing entries marked NaN: products, running sums, medians and
    minima that skip them, and np.nan_to_num with a fill for the rest."""
    data = xp.where(np.isin(np.arange(12), [1, 6, 7]).reshape(3, 4), xp.nan, p.reshape(3, 4))
    return (xp.sum(xp.nanprod(1 + 0.1 * data, axis=1)) + xp.nansum(xp.nancumsum(data, axis=1))
            + xp.sum(xp.nanmedian(data, axis=0)) + xp.nanmin(data)
            + xp.sum(xp.nan_to_num(data, nan=-1.0) ** 2) + xp.nanvar(data, ddof=1))


def vector_norm_orders(xp, p):
    """Vector norms of every kind along an axis of a matrix: 1, 2, inf, -inf, 0.5, 3,
    and np.linalg.vector_norm and matrix_norm of the array API."""
    a = p.reshape(3, 4)
    total = 0.0
    for order in [1, 2, xp.inf, -xp.inf, 0.5, 3, -1]:
        total = total + xp.sum(xp.linalg.norm(a, ord=order, axis=1))
    total = total + xp.linalg.norm(a.ravel(), 0) * a[0, 0]
    return (total + xp.sum(xp.linalg.vector_norm(a, ord=3, axis=0))
            + xp.linalg.matrix_norm(a, ord="fro") + xp.linalg.vector_norm(a))


def weighted_polyfit(xp, p):
    """A weighted quadratic fit of noisy data by np.polyfit (data and weights on the
    tape), its derivative by np.polyder, integral by np.polyint, evaluated by np.polyval."""
    y = _Y + p[:10]
    weights = xp.exp(p[10:])
    coefficients = xp.polyfit(_T, y, 2, w=weights)
    slope = xp.polyval(xp.polyder(coefficients), _T)
    area = xp.polyval(xp.polyint(coefficients), 1.0)
    return xp.sum((xp.polyval(coefficients, _T) - y) ** 2) + xp.sum(slope ** 2) + area


def signal_envelope(xp, p):
    """An amplitude envelope: the rectified signal smoothed by np.convolve in 'same'
    mode with a Hann window, its changes by np.ediff1d with to_begin, and np.diff with
    append."""
    signal = xp.sin(8 * _T * p[0]) * (1 + p[1] * _T)
    window = xp.hanning(5)
    envelope = xp.convolve(xp.abs(signal), window / window.sum(), mode="same")
    change = xp.ediff1d(envelope, to_begin=0.0)
    slope = xp.diff(envelope, append=envelope[-1])
    return xp.sum(envelope ** 2) + xp.sum(change ** 2) + xp.max(slope)


def grouped_softmax(xp, p):
    """A softmax within groups of a segment vector: group labels by np.unique with
    return_inverse, the group maximum by np.maximum.at, group sums by np.bincount."""
    _, inverse, counts = xp.unique(_GROUPS, return_inverse=True, return_counts=True)
    top = xp.full_like(p, -xp.inf, shape=counts.size)
    xp.maximum.at(top, inverse, p)
    shifted = xp.exp(p - top[inverse])
    totals = xp.bincount(inverse, weights=shifted)
    probs = shifted / totals[inverse]
    return xp.sum(probs * xp.arange(p.size)) + xp.sum(top / counts)


def histogram_density(xp, p):
    """A weighted density histogram of fixed samples (the weights are softmax scores of
    the parameters) with bin edges from np.histogram_bin_edges, and the bins found by
    np.digitize."""
    weights = xp.exp(p) / xp.sum(xp.exp(p))
    edges = xp.histogram_bin_edges(_Y, bins=4)
    density, _ = xp.histogram(_Y, bins=edges, weights=weights, density=True)
    bins = xp.clip(xp.digitize(_Y, edges) - 1, 0, 3)
    return xp.sum(density ** 2) + xp.sum(weights * density[bins])


#: (program, parameters, whether HIPS autograd has every function the program calls)
PROGRAMS = [
    (sinkhorn_transport, _rng.normal(size=5), True),
    (conv_and_pool, _rng.normal(size=11) * 0.5 + 0.1, False),  # no sliding_window_view
    (viterbi_max_product, _rng.normal(size=12), True),
    (truss_compliance, _rng.normal(size=7) * 0.3, False),     # no add.at
    (hermite_spline, _rng.normal(size=6), False),             # no gradient with spacings
    (masked_log_softmax, _rng.normal(size=12), True),
    (soft_dtw, _rng.normal(size=5), False),                   # no item assignment
    (lennard_jones, (np.array([[0, 0, 0], [1.1, 0, 0], [0, 1.2, 0], [0.5, 0.5, 1.0]])
                     + 0.05 * _rng.normal(size=(4, 3))).ravel(), False),  # no fill_diagonal
    (spectral_embedding, _rng.normal(size=10) * 0.5, False),  # no item assignment
    (tukey_irls, np.array([0.5, 1.2, 1.0]), False),           # no lstsq gradient
    (lstm_sequence, _rng.normal(size=32), True),
    (normalization_layers, _rng.normal(size=6), True),
    (causal_linear_attention, _rng.normal(size=12), True),
    (arc_length_resampling, _rng.normal(size=10) * 0.3, False),  # no interp gradient
    (potential_flow, np.array([1.2, 0.3, -1.3, -0.4, 0.8, -0.5]), False),  # gradient spacings
    (csr_power_iteration, _rng.uniform(0.5, 1.5, size=9), False),  # no add.reduceat
    (wasserstein_1d, _rng.normal(size=7), True),
    (ista_lasso, np.array([1.0, 0.8, 1.3, 0.2]), False),      # no spectral norm gradient
    (householder_qr, _rng.normal(size=12), False),            # no like=
    (kronecker_gp, np.array([-1.0, -0.7, -1.5]), False),      # no subtract.outer
    (mask_assignment, _rng.normal(size=8), False),            # no copy, mask assignment
    (missing_data, _rng.normal(size=12), False),              # no nanprod gradient
    (vector_norm_orders, _rng.normal(size=12), False),        # no 1-norm gradient
    (weighted_polyfit, _rng.normal(size=20) * 0.3, False),    # no polyfit of boxes
    (signal_envelope, np.array([1.1, 0.4]), False),           # no convolve gradient
    (grouped_softmax, _rng.normal(size=8), False),            # no maximum.at
    (histogram_density, _rng.normal(size=10), False),         # no histogram weights gradient
]

globals().update(program_tests(PROGRAMS))     # the four checks of every round


