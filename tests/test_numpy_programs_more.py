"""Short NumPy programs of the kind found in tutorials, course notebooks and scientific
scripts (least squares, PCA, a GP likelihood, attention, a heat-equation step ...), run
unchanged on a Tensor: the value is NumPy's to the bit, the result is a Tensor on the
tape with no TapeDropWarning, and the gradient matches central differences in float64
and HIPS autograd where autograd has every function used.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the three runs share one text."""

import warnings

import numpy as np
import pytest

import autodiff as ad

from numpy_program_checks import central_difference

_rng = np.random.default_rng(20261205)
_X = _rng.normal(size=(12, 3))
_Y = _rng.normal(size=12)
_LABELS = np.where(_rng.normal(size=12) > 0, 1.0, -1.0)
_CLASSES = _rng.integers(0, 4, size=10)
_T = np.linspace(0.0, 1.0, 16)


def least_squares(xp, p):
    """Fit a line through noisy points with lstsq and compare with pinv and solve."""
    design = xp.stack([xp.ones(6), p[:6], p[6:12]], axis=1)
    coef, *_ = xp.linalg.lstsq(design, _Y[:6], rcond=None)
    coef_pinv = xp.linalg.pinv(design) @ _Y[:6]
    normal = xp.linalg.solve(design.T @ design, design.T @ _Y[:6])
    return xp.sum(coef ** 2) + xp.sum(coef_pinv * normal)


def pca(xp, p):
    """Principal components of centred data: eigh of the covariance, svd of the data."""
    data = _X * p[:3] + p[3:6]
    centred = data - xp.mean(data, axis=0)
    cov = xp.cov(centred, rowvar=False)
    eigenvalues, eigenvectors = xp.linalg.eigh(cov)
    top = eigenvectors[:, -1]
    _, singular, _ = xp.linalg.svd(centred, full_matrices=False)
    explained = eigenvalues[-1] / xp.sum(eigenvalues)
    return explained + xp.sum(singular[:2]) + xp.abs(xp.sum(centred @ top))


def ridge_regression(xp, p):
    """Closed-form ridge regression w = (X^T X + lam I)^-1 X^T y and its training loss."""
    lam = p[0] ** 2
    features = _X * p[1:4]
    w = xp.linalg.solve(features.T @ features + lam * xp.eye(3), features.T @ _Y)
    residual = features @ w - _Y
    return xp.mean(residual ** 2) + lam * xp.dot(w, w)


def logistic_regression(xp, p):
    """Logistic loss written two stable ways: logaddexp and log1p(exp(-|z|))."""
    margins = _LABELS * (_X @ p[:3] + p[3])
    loss_logaddexp = xp.mean(xp.logaddexp(0.0, -margins))
    loss_log1p = xp.mean(xp.log1p(xp.exp(-xp.abs(margins))) + xp.maximum(-margins, 0.0))
    return loss_logaddexp + loss_log1p


def soft_kmeans(xp, p):
    """One k-means step: nearest centroid with argmin and take_along_axis, cluster sizes
    weighted by bincount, and a softmin responsibility."""
    centroids = p.reshape(3, 3)
    distances = xp.sum((_X[:, None, :] - centroids[None, :, :]) ** 2, axis=-1)
    nearest = xp.argmin(distances, axis=1)
    inertia = xp.sum(xp.take_along_axis(distances, nearest[:, None], axis=1))
    weights = xp.exp(-xp.min(distances, axis=1))
    mass = xp.bincount(nearest, weights=weights, minlength=3)
    responsibilities = xp.exp(-distances) / xp.sum(xp.exp(-distances), axis=1, keepdims=True)
    return inertia + xp.sum(mass ** 2) + xp.sum(responsibilities[:, 0])


def polynomial_fit(xp, p):
    """Evaluate with polyval, build a Vandermonde matrix, and refit with polyfit."""
    x = _T[:8]
    y = xp.polyval(p[:4], x)
    vander = xp.vander(x, 4)
    refit_lstsq = xp.linalg.lstsq(vander, y, rcond=None)[0]
    refit = xp.polyfit(x, y + 0.1 * x ** 4, 3)
    return xp.sum(refit * p[:4]) + xp.sum(refit_lstsq ** 2)


def gaussian_process(xp, p):
    """Negative log marginal likelihood of a GP with an RBF kernel: cholesky, two
    triangular solves, and slogdet as a check on the log-determinant."""
    length, noise = xp.exp(p[0]), xp.exp(p[1])
    x = _T[:8]
    y = _Y[:8]
    sq = (x[:, None] - x[None, :]) ** 2
    kernel = xp.exp(-0.5 * sq / length ** 2) + noise * xp.eye(8)
    chol = xp.linalg.cholesky(kernel)
    z = xp.linalg.solve(chol, y)
    alpha = xp.linalg.solve(chol.T, z)
    _, logdet = xp.linalg.slogdet(kernel)
    half_logdet = xp.sum(xp.log(xp.diag(chol)))
    return 0.5 * xp.dot(y, alpha) + half_logdet + 0.25 * logdet + 4 * xp.log(2 * xp.pi)


def rbf_kernel(xp, p):
    """Kernel ridge prediction with an outer difference and broadcasting."""
    x = _T[:6] * p[0]
    kernel = xp.exp(-xp.subtract.outer(x, x) ** 2)
    pairwise = xp.sum((_X[:6, None, :] - _X[None, :6, :] * p[1]) ** 2, axis=-1)
    kernel2 = xp.exp(-pairwise / 2.0)
    return xp.sum(kernel @ p[2:8]) + xp.trace(kernel2)


def attention(xp, p):
    """Scaled dot-product attention with einsum and a max-subtracted softmax."""
    q = p[:8].reshape(4, 2)
    k = p[8:16].reshape(4, 2)
    v = _X[:4, :2]
    scores = xp.einsum("id,jd->ij", q, k) / xp.sqrt(2.0)
    scores = scores - xp.max(scores, axis=-1, keepdims=True)
    weights = xp.exp(scores)
    weights = weights / weights.sum(axis=-1, keepdims=True)
    out = xp.einsum("ij,jd->id", weights, v)
    return xp.sum(out ** 2)


def heat_equation(xp, p):
    """Explicit finite-difference steps of the heat equation on a periodic grid, then
    derivatives by diff, gradient and a convolution stencil."""
    u = p
    for _ in range(3):
        u = u + 0.2 * (xp.roll(u, 1) - 2 * u + xp.roll(u, -1))
    slope = xp.diff(u)
    central = xp.gradient(u, 0.5)
    smooth = xp.convolve(u, xp.array([0.25, 0.5, 0.25]), mode="same")
    return xp.sum(slope ** 2) + xp.sum(central * smooth)


def cumulative(xp, p):
    """Running totals, compound growth and linear interpolation on a grid."""
    balance = xp.cumsum(p)
    growth = xp.cumprod(1 + 0.1 * p)
    grid = xp.linspace(0.0, 7.0, 8)
    resampled = xp.interp(xp.array([0.5, 2.25, 6.75]), grid, balance)
    return xp.sum(resampled) + growth[-1]


def statistics(xp, p):
    """Median, percentile, weighted average, correlation, and histogram counts."""
    median = xp.median(p)
    q90 = xp.percentile(p, 90)
    weighted = xp.average(p, weights=xp.arange(1.0, 1.0 + p.size))
    corr = xp.corrcoef(p[:5], p[5:10])[0, 1]
    counts, edges = np.histogram(np.asarray(_T), bins=4)
    return median + q90 + weighted + corr + xp.sum(counts * p[:4])


def signal_power_rfft(xp, p):
    """A Hann-windowed power spectrum with rfft (complex values, on the tape)."""
    windowed = p * xp.hanning(p.size)
    return xp.sum(xp.abs(xp.fft.rfft(windowed))[1:] ** 2)


def signal_power(xp, p):
    """The same power spectrum with real DFT matrices: the first n // 2 + 1 rows of
    cos and -sin of 2 pi k / n."""
    n = p.size
    windowed = p * xp.hanning(n)
    k = xp.outer(xp.arange(n // 2 + 1), xp.arange(n))
    re = xp.cos(2 * xp.pi * k / n) @ windowed
    im = -xp.sin(2 * xp.pi * k / n) @ windowed
    return xp.sum((re ** 2 + im ** 2)[1:])


def geometry(xp, p):
    """Cross products, norms along an axis, angles with arctan2, hypot."""
    a = p[:6].reshape(2, 3)
    b = p[6:12].reshape(2, 3)
    normal = xp.cross(a, b)
    lengths = xp.linalg.norm(normal, axis=1)
    manhattan = xp.linalg.norm(a - b, ord=1, axis=1)
    angles = xp.arctan2(a[:, 1], a[:, 0])
    radii = xp.hypot(b[:, 0], b[:, 1])
    return xp.sum(lengths) + xp.sum(manhattan) + xp.sum(angles * radii)


def masking(xp, p):
    """Where, clip, nan_to_num, isclose and boolean indexing with nonzero."""
    ratio = xp.where(p > 0, p, 0.1 * p)
    clipped = xp.clip(p, -0.5, 0.5)
    finite = xp.nan_to_num(xp.log(xp.abs(p)))
    near = xp.isclose(p, 0.3, atol=0.2)
    positive = p[p > 0]
    picked = p[xp.nonzero(p < 0)]
    return (xp.sum(ratio * clipped) + xp.sum(finite) + xp.sum(xp.where(near, p, 0.0))
            + xp.sum(positive ** 2) + xp.sum(picked))


def stacking(xp, p):
    """Concatenate, stack, split, meshgrid, tile, repeat, moveaxis and tensordot."""
    halves = xp.split(p, 2)
    thirds = xp.array_split(p, 3)
    stacked = xp.stack([halves[0], halves[1][::-1]])
    joined = xp.concatenate([thirds[0], thirds[2]])
    gx, gy = xp.meshgrid(p[:3], p[3:5])
    tiled = xp.tile(p[:2], 3)
    repeated = xp.repeat(p[:3], 2)
    cube = xp.moveaxis(xp.stack([stacked, stacked * 2]), 0, -1)
    contracted = xp.tensordot(cube, cube, axes=([0, 1], [0, 1]))
    return (xp.sum(stacked ** 2) + xp.sum(joined) + xp.sum(gx * gy) + xp.dot(tiled, repeated)
            + xp.trace(contracted))


def softmax_cross_entropy(xp, p):
    """Cross-entropy of a linear classifier with log-sum-exp and integer labels."""
    logits = _X[:10] @ p.reshape(3, 4)
    shifted = logits - xp.max(logits, axis=1, keepdims=True)
    log_probs = shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))
    return -xp.mean(log_probs[xp.arange(10), _CLASSES])


def two_layer_network(xp, p):
    """A small MLP forward pass: dot, tanh, ReLU by maximum, and a squared loss."""
    w1 = p[:9].reshape(3, 3)
    b1 = p[9:12]
    w2 = p[12:15]
    hidden = xp.tanh(xp.dot(_X, w1) + b1)
    hidden = xp.maximum(hidden, 0.0)
    prediction = hidden @ w2
    return xp.mean((prediction - _Y) ** 2)


def integration(xp, p):
    """Trapezoid rule of a parametrised curve over linspace, and its arc length."""
    t = xp.linspace(0.0, 1.0, 20)
    curve = p[0] * xp.sin(2 * xp.pi * t) + p[1] * t ** 2
    area = xp.trapezoid(curve, t) if hasattr(xp, "trapezoid") else xp.trapz(curve, t)
    arc = xp.sum(xp.sqrt(xp.diff(t) ** 2 + xp.diff(curve) ** 2))
    return area + arc


def matrix_functions(xp, p):
    """Determinant, inverse, trace, matrix power, outer, kron, diag and triu."""
    a = p.reshape(3, 3) + 3 * xp.eye(3)
    det = xp.linalg.det(a)
    inverse = xp.linalg.inv(a)
    cubed = xp.linalg.matrix_power(a, 3)
    outer = xp.outer(p[:3], p[3:6])
    kron = xp.kron(xp.eye(2), a[:2, :2])
    return (det + xp.trace(inverse) + xp.sum(xp.triu(cubed)) * 1e-2 + xp.sum(xp.diag(outer))
            + xp.sum(kron ** 2))


def rotation(xp, p):
    """Rotate points by a 2x2 rotation matrix stacked from cos and sin."""
    c, s = xp.cos(p[0]), xp.sin(p[0])
    rotation_matrix = xp.stack([xp.stack([c, -s]), xp.stack([s, c])])
    points = _X[:5, :2] * p[1]
    rotated = points @ rotation_matrix.T
    return xp.sum(rotated[:, 0] ** 2)


def sorting(xp, p):
    """Top-k by sort and argsort, a partition, and a sorted-order gather."""
    top3 = xp.sort(p)[-3:]
    order = xp.argsort(p)
    ranked = p[order] * xp.arange(p.size)
    smallest = xp.partition(p, 2)[:2]
    return xp.sum(top3) + xp.sum(ranked) + xp.sum(smallest ** 2)


def statistics_moments(xp, p):
    """Standardise with mean and std, skewness, and a z-scored covariance."""
    data = p.reshape(4, 3)
    z = (data - data.mean(axis=0)) / data.std(axis=0, ddof=1)
    skew = xp.mean(z ** 3, axis=0)
    cov = xp.cov(data.T)
    return xp.sum(skew) + xp.sum(cov) + xp.var(p) + xp.ptp(p)



def spline_basis(xp, p):
    """Piecewise-linear features with searchsorted/digitize, pad and select."""
    knots = xp.array([0.0, 0.3, 0.6, 1.0])
    bins = xp.digitize(_T, knots[1:-1])
    slopes = p[:3]
    features = xp.select([_T < 0.3, _T < 0.6], [slopes[0] * _T, slopes[1] * _T], slopes[2] * _T)
    padded = xp.pad(features, 2, mode="edge")
    reflected = xp.pad(p[:3], (1, 2), mode="reflect")
    return xp.sum(padded[2:-2] * xp.take(p, bins)) + xp.sum(reflected ** 2)


def batched_linear_algebra(xp, p):
    """Batched matmul with einsum ellipsis, batched solve, qr, multi_dot, norms."""
    a = p[:8].reshape(2, 2, 2) + 2 * xp.eye(2)
    b = p[8:12].reshape(2, 2, 1)
    x = xp.linalg.solve(a, b)
    products = xp.einsum("...ij,...jk->...ik", a, a)
    q, r = xp.linalg.qr(a[0])
    chain = xp.linalg.multi_dot([a[0], a[1], a[0].T])
    fro = xp.linalg.norm(a[1], "fro")
    spectral = xp.linalg.norm(a[0], 2)
    inf_norm = xp.linalg.norm(a[1], xp.inf)
    return (xp.sum(x) + xp.sum(products) + xp.sum(xp.abs(r)) + xp.trace(chain)
            + fro + spectral + inf_norm)


def nan_aware(xp, p):
    """Missing values marked as NaN, then nanmean, nanstd, nanmax and nansum."""
    data = xp.where(xp.arange(12).reshape(3, 4) % 5 == 0, xp.nan, p.reshape(3, 4))
    return (xp.sum(xp.nanmean(data, axis=0)) + xp.nanstd(data) + xp.sum(xp.nanmax(data, axis=1))
            + xp.nansum(data ** 2))


def weighted_histogram(xp, p):
    """A histogram with tensor weights, a weighted covariance, and quantiles by axis."""
    counts, _ = xp.histogram(_T, bins=4, weights=p[:16])
    cov = xp.cov(p[:12].reshape(3, 4), aweights=xp.arange(1.0, 5.0))
    quartiles = xp.quantile(p[:16].reshape(4, 4), [0.25, 0.75], axis=1)
    return xp.sum(counts ** 2) + xp.sum(cov) + xp.sum(quartiles)


def triangular_parts(xp, p):
    """Lower/upper triangles by index arrays, a diagonal, and expand_dims/squeeze."""
    a = p[:9].reshape(3, 3)
    upper = a[xp.triu_indices(3, 1)]
    lower = xp.tril(a, -1)
    diag = xp.diagonal(a)
    column = xp.expand_dims(diag, 1)
    swapped = xp.swapaxes(xp.atleast_3d(a), 0, 2)
    return (xp.sum(upper ** 2) + xp.sum(lower) + xp.sum(xp.squeeze(column) * diag)
            + xp.sum(swapped[0] * a.T) + xp.prod(diag))


def powers_and_logs(xp, p):
    """Power with a tensor exponent, float_power, exp2, log2, log10, sinc, deg2rad."""
    base = xp.abs(p[:4]) + 0.5
    return (xp.sum(xp.power(base, p[4:8])) + xp.sum(xp.float_power(base, 1.5))
            + xp.sum(xp.exp2(p[:4])) + xp.sum(xp.log2(base) + xp.log10(base))
            + xp.sum(xp.sinc(p[:4])) + xp.sum(xp.sin(xp.deg2rad(30 * p[4:8]))))


def accumulate_extrema(xp, p):
    """Running maximum by ufunc.accumulate, a reduce, and np.maximum of two tensors."""
    running = xp.maximum.accumulate(p)
    drawdown = running - p
    total = xp.add.reduce(p ** 2)
    return xp.sum(drawdown) + total + xp.sum(xp.minimum(p[:-1], p[1:]))


def polynomial_calculus(xp, p):
    """Derivative and antiderivative of a polynomial, then a definite integral."""
    coefficients = p[:4]
    slope = xp.polyder(coefficients)
    antiderivative = xp.polyint(coefficients)
    area = xp.polyval(antiderivative, 1.0) - xp.polyval(antiderivative, 0.0)
    product = xp.polymul(coefficients, slope)
    return area + xp.sum(xp.polyval(slope, _T[:4])) + xp.sum(product ** 2)


def correlation_filter(xp, p):
    """Matched filter with correlate, convolution in full mode, and a moving average."""
    template = p[:3]
    signal = _Y[:10] + p[3]
    matched = xp.correlate(signal, template, mode="valid")
    full = xp.convolve(signal, template)
    moving = xp.convolve(signal, xp.ones(3) / 3, mode="valid")
    return xp.max(matched) + xp.sum(full ** 2) * 0.01 + xp.sum(moving)


def list_of_tensors(xp, p):
    """Python built-ins over rows: sum of a list, max with a key, min of a generator."""
    rows = [p[i:i + 3] for i in range(0, 9, 3)]
    total = sum(rows)
    biggest = max(rows, key=lambda r: float(xp.sum(r)))
    return xp.dot(total, biggest) + min(xp.sum(r ** 2) for r in rows)


def in_place_updates(xp, p):
    """Relaxation towards the mean on a copy, with augmented assignments and a slice
    assignment, as NumPy scripts update arrays."""
    state = p.copy()
    for _ in range(3):
        state -= 0.1 * (state - xp.mean(state))
    state[0] = state[-1] * 0.5
    state /= xp.linalg.norm(state)
    return xp.sum(state * _Y[:p.size])


def kinks_and_ties(xp, p):
    """Programs evaluated at kinks: abs at 0, a max with ties, a median of tied values,
    clip at its bound, the norm of a zero vector plus something."""
    zeroed = p - p[0]                 # entry 0 is exactly 0
    tied = xp.concatenate([p[:2], p[:2]])
    return (xp.sum(xp.abs(zeroed)) + xp.max(tied) + xp.median(tied) + xp.sum(xp.clip(p, p[1], None))
            + xp.sum(xp.maximum(p, p[::-1])))


def float32_pipeline(xp, p):
    """A float32 model: the dtype stays float32 through the computation."""
    x = p.astype(xp.float32)
    w = xp.asarray(_X[:4, :3], dtype=xp.float32)
    h = xp.tanh(w @ x[:3])
    return xp.sum(h * x[3]) / xp.float32(4)


def method_calls(xp, p):
    """ndarray methods: reshape, T, sum/mean/std with axes, cumsum, clip, round, dot,
    argmax, max, ravel, flatten, squeeze, repeat, any/all."""
    a = p.reshape(3, 4)
    b = a.T.dot(a).ravel()
    s = a.sum(axis=0).mean() + a.std(axis=1, ddof=1).sum() + a.cumsum(axis=1)[:, -1].max()
    c = a.clip(-0.5, 0.5).flatten()
    r = a[a.argmax(axis=0), xp.arange(4)]
    return s + b.sum() * 0.1 + (c ** 2).sum() + r.sum() + xp.repeat(a[:, :1].squeeze(), 2).prod()


#: (program, parameters, whether HIPS autograd has every function the program calls)
PROGRAMS = [
    (least_squares, _rng.normal(size=12), False),           # autograd: no lstsq, pinv
    (pca, np.array([1.0, 2.0, 0.5, 0.1, -0.2, 0.3]), False),  # no cov
    (ridge_regression, np.array([0.7, 1.0, 0.8, 1.2]), True),
    (logistic_regression, np.array([0.3, -0.5, 0.8, 0.1]), True),
    (soft_kmeans, _rng.normal(size=9), False),               # no bincount, take_along_axis
    (polynomial_fit, np.array([0.5, -1.0, 2.0, 0.3]), False),  # no polyfit
    (gaussian_process, np.array([-1.0, -2.0]), True),
    (rbf_kernel, np.array([1.5, 0.9, 0.1, -0.2, 0.3, 0.4, -0.5, 0.6]), False),  # no .outer
    (attention, _rng.normal(size=16), True),
    (heat_equation, _rng.normal(size=10), False),            # no gradient
    (cumulative, _rng.normal(size=8), False),                # no interp
    (statistics, _rng.normal(size=11), False),               # no median, percentile
    (signal_power, _rng.normal(size=12), True),
    (geometry, _rng.normal(size=12), False),                 # no norm with ord=1
    (masking, np.array([0.3, -0.7, 1.2, -0.1, 0.45, 2.0, -1.5]), True),
    (stacking, _rng.normal(size=6), False),                  # no meshgrid
    (softmax_cross_entropy, _rng.normal(size=12), True),
    (two_layer_network, _rng.normal(size=15), True),
    (integration, np.array([0.8, -0.4]), False),             # no trapezoid
    (matrix_functions, _rng.normal(size=9) * 0.5, False),    # no matrix_power
    (rotation, np.array([0.4, 1.3]), True),
    (sorting, np.array([0.3, -1.2, 2.5, 0.8, -0.4, 1.7, 0.05]), True),
    (statistics_moments, _rng.normal(size=12), False),       # no cov
    (spline_basis, _rng.normal(size=5), False),              # no select, pad modes
    (batched_linear_algebra, _rng.normal(size=12) * 0.5, False),  # no qr, multi_dot
    (nan_aware, _rng.normal(size=12), False),                # no nanmean
    (weighted_histogram, _rng.normal(size=16), False),       # no histogram, quantile
    (triangular_parts, _rng.normal(size=9), False),          # no tril with k != 0
    (powers_and_logs, _rng.normal(size=8), False),           # no float_power
    (accumulate_extrema, _rng.normal(size=8), False),        # no ufunc methods
    (polynomial_calculus, _rng.normal(size=4), False),       # no polyder, polyint
    (correlation_filter, _rng.normal(size=4), False),        # no correlate
    (list_of_tensors, _rng.normal(size=9), False),           # float() of a box
    (in_place_updates, _rng.normal(size=6), False),          # no item assignment
    (kinks_and_ties, np.array([0.3, -0.8, 1.1, 0.6]), False),  # no median
    (float32_pipeline, _rng.normal(size=4), True),
    (method_calls, _rng.normal(size=12), False),             # no ndarray methods on boxes
]

_IDS = [program.__name__ for program, _, _ in PROGRAMS]
_WITH_AUTOGRAD = [(program, p) for program, p, supported in PROGRAMS if supported]
# (float32 round-off swamps second differences)
_IN_FLOAT64 = [(program, p) for program, p, _ in PROGRAMS if program is not float32_pipeline]


def _gradient(program, p):
    """The value and gradient of ``program`` run on a Tensor, with any TapeDropWarning
    an error."""
    x = ad.tensor(p.copy(), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.TapeDropWarning)
        result = program(np, x)
        assert isinstance(result, ad.Tensor) and result.requires_grad
        result.backward()
    return result, x.grad


@pytest.mark.parametrize("program, p", [(f, p) for f, p, _ in PROGRAMS], ids=_IDS)
def test_a_program_gives_numpys_value_on_the_tape(program, p):
    result, _ = _gradient(program, p)
    expected = program(np, p.copy())
    assert result.shape == () and result.dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(result.data, expected)


@pytest.mark.parametrize("program, p", [(f, p) for f, p, _ in PROGRAMS], ids=_IDS)
def test_a_programs_gradient_matches_central_differences(program, p):
    _, grad = _gradient(program, p)
    # a program that computes in float32 is compared with wider steps
    eps, rtol = (1e-3, 1e-3) if program is float32_pipeline else (1e-6, 1e-6)
    numerical = central_difference(lambda a: program(np, a), p, eps)
    np.testing.assert_allclose(grad, numerical, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("program, p", _IN_FLOAT64, ids=[f.__name__ for f, _ in _IN_FLOAT64])
def test_a_programs_second_derivatives_match_central_differences(program, p):
    assert ad.gradgradcheck(lambda t: program(np, t), [p.copy()])


@pytest.mark.parametrize("program, p", _WITH_AUTOGRAD,
                         ids=[f.__name__ for f, _ in _WITH_AUTOGRAD])
def test_a_programs_gradient_matches_hips_autograd(program, p):
    autograd = pytest.importorskip("autograd")
    import autograd.numpy as anp
    _, grad = _gradient(program, p)
    expected = autograd.grad(lambda a: program(anp, a))(p.copy())
    # float32 sums may round in another order
    rtol = 1e-6 if program is float32_pipeline else 1e-9
    np.testing.assert_allclose(grad, expected, rtol=rtol, atol=rtol * 1e-3)


def test_the_float32_program_stays_float32():
    _, grad = _gradient(float32_pipeline, PROGRAMS[_IDS.index("float32_pipeline")][1])
    assert float32_pipeline(np, ad.tensor(np.ones(4))).dtype == np.float32
    assert grad.dtype == np.float64          # the gradient of the float64 parameters


def test_rfft_records_and_gives_the_gradient_of_the_real_dft_rows():
    p = PROGRAMS[_IDS.index("signal_power")][1]
    _, with_rfft = _gradient(signal_power_rfft, p)
    _, with_rows = _gradient(signal_power, p)
    np.testing.assert_allclose(with_rfft, with_rows, rtol=1e-10, atol=1e-12)
    # the real matrices give rfft's power spectrum
    np.testing.assert_allclose(signal_power(np, p), signal_power_rfft(np, p), rtol=1e-12)


def test_a_matrix_built_with_np_array_from_tensors_warns_and_ad_array_keeps_it():
    angle = ad.tensor(0.4, requires_grad=True)
    c, s = np.cos(angle), np.sin(angle)
    with pytest.warns(ad.TapeDropWarning, match="ad.stack / ad.array"):
        np.array([[c, -s], [s, c]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.TapeDropWarning)
        rotation_matrix = ad.array([[c, -s], [s, c]])
    rotation_matrix[0, 1].backward()
    np.testing.assert_array_equal(rotation_matrix.data, [[np.cos(0.4), -np.sin(0.4)],
                                                         [np.sin(0.4), np.cos(0.4)]])
    np.testing.assert_allclose(angle.grad, -np.cos(0.4), rtol=1e-15)


def test_a_recurrence_written_into_empty_like_stays_on_the_tape():
    def exponential_average(p):
        out = np.empty_like(p)
        out[0] = p[0]
        for i in range(1, len(p)):
            out[i] = 0.9 * out[i - 1] + 0.1 * p[i]
        return out.sum()
    p0 = np.array([0.3, -0.8, 1.1, 0.6])
    result, grad = _gradient(lambda xp, p: exponential_average(p), p0)
    assert result.data == exponential_average(p0.copy())
    np.testing.assert_allclose(grad, central_difference(exponential_average, p0, 1e-6),
                               rtol=1e-6)

