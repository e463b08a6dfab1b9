"""A fourth set of short NumPy programs (a heat rod with boundary writes, a Kalman
filter, Gauss-Newton by lstsq, PCA reconstruction, Mahalanobis distances, a mixture
likelihood, pinball losses by quantile, curvature by np.gradient on a non-uniform
grid, mesh geometry, ranking by argsort, survival curves, straight-through rounding,
``out=`` writes, ndarray methods ...), each differentiated unchanged with ``ad.grad``:
the value is NumPy's to the bit, the gradient matches central differences in float64
and HIPS autograd where autograd has every function used, and the Hessian matches
central differences of the gradient.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import warnings

import numpy as np
import pytest

import autodiff as ad

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261205)
_X = _rng.normal(size=(9, 3))
_Y = _rng.normal(size=9)
_T = np.linspace(0.0, 2.0, 9)
_DECAY = 1.5 * np.exp(-0.8 * _T) + 0.05 * _Y
_RELEVANCE = np.array([[3.0, 2.0, 0.0, 1.0], [0.0, 1.0, 3.0, 2.0]])


def heat_rod(xp, p):
    """Explicit steps of the 1-D heat equation with the ends held at zero by a chained
    boundary write, u[0] = u[-1] = 0, on a copy of the initial temperatures."""
    u = p.copy()
    for _ in range(5):
        u[1:-1] = u[1:-1] + 0.3 * (u[2:] - 2 * u[1:-1] + u[:-2])
        u[0] = u[-1] = 0
    return xp.sum(u ** 2) + u[len(u) // 2]


def kalman_filter(xp, p):
    """Negative log-likelihood of a constant-velocity Kalman filter (transition scale,
    process and measurement noise as parameters), with inv, solve, det and ``@``."""
    transition = xp.array([[1.0, 0.5], [0.0, 1.0]]) * p[0]
    observe = xp.array([[1.0, 0.0]])
    process = xp.eye(2) * p[1] ** 2
    noise = xp.eye(1) * p[2] ** 2
    state, cov = xp.zeros(2), xp.eye(2)
    nll = 0.0
    for z in _Y[:6]:
        state = transition @ state
        cov = transition @ cov @ transition.T + process
        innovation_cov = observe @ cov @ observe.T + noise
        gain = cov @ observe.T @ xp.linalg.inv(innovation_cov)
        innovation = z - observe @ state
        state = state + gain @ innovation
        cov = (xp.eye(2) - gain @ observe) @ cov
        nll = nll + 0.5 * (xp.log(xp.linalg.det(innovation_cov))
                           + innovation @ xp.linalg.solve(innovation_cov, innovation))
    return nll


def gauss_newton(xp, p):
    """Three Gauss-Newton steps fitting y = a exp(-b t) (the data scaled by p[2]), the
    step by lstsq on the Jacobian and again by pinv, then the final residual."""
    a, b = p[0], p[1]
    target = _DECAY * p[2]
    for _ in range(3):
        model = a * xp.exp(-b * _T)
        jacobian = xp.stack([xp.exp(-b * _T), -a * _T * xp.exp(-b * _T)], axis=1)
        step, *_ = xp.linalg.lstsq(jacobian, target - model, rcond=None)
        check = xp.linalg.pinv(jacobian) @ (target - model)
        a, b = a + step[0], b + 0.5 * (step[1] + check[1])
    return xp.sum((a * xp.exp(-b * _T) - target) ** 2) + a + b


def pca_reconstruction(xp, p):
    """Rank-2 reconstruction error of scaled data by a thin SVD, and the variance the
    top eigenvector of the scatter matrix (eigh) explains."""
    data = _X * p[:3] + p[3]
    centred = data - xp.mean(data, axis=0)
    u, s, vt = xp.linalg.svd(centred, full_matrices=False)
    reconstruction = (u[:, :2] * s[:2]) @ vt[:2]
    eigenvalues, eigenvectors = xp.linalg.eigh(centred.T @ centred)
    explained = xp.sum((centred @ eigenvectors[:, -1]) ** 2) / xp.sum(eigenvalues)
    return xp.sum((centred - reconstruction) ** 2) + explained


def mahalanobis(xp, p):
    """Mean Mahalanobis distance of scaled points from their mean, the covariance by
    np.cov and the quadratic forms by one three-operand einsum."""
    data = _X * p[:3] + p[3:6] * _X[:, :1]
    centred = data - xp.mean(data, axis=0)
    precision = xp.linalg.inv(xp.cov(data.T))
    squared = xp.einsum("ij,jk,ik->i", centred, precision, centred)
    return xp.mean(xp.sqrt(squared))


def mixture_likelihood(xp, p):
    """Log-likelihood of a three-component Gaussian mixture, the log-sum-exp written by
    hand with max subtraction and again with np.logaddexp.reduce."""
    means, log_scales = p[:3], p[3:6]
    log_weights = p[6:] - xp.logaddexp.reduce(p[6:])
    z = (_Y[:, None] - means) / xp.exp(log_scales)
    log_terms = -0.5 * z ** 2 - log_scales - 0.5 * xp.log(2 * xp.pi) + log_weights
    top = xp.max(log_terms, axis=1, keepdims=True)
    by_hand = top[:, 0] + xp.log(xp.sum(xp.exp(log_terms - top), axis=1))
    return xp.sum(by_hand) + xp.sum(xp.logaddexp.reduce(log_terms, axis=1))


def pinball_losses(xp, p):
    """Quantile regression losses against empirical quantiles by several methods, and a
    trimmed mean through np.partition with a list of kth."""
    residuals = _Y - p[0] - p[1] * _X[:, 0]
    total = 0.0
    for q, method in [(0.1, "linear"), (0.5, "hazen"), (0.9, "weibull"),
                      (0.75, "median_unbiased")]:
        level = xp.quantile(residuals, q, method=method)
        error = residuals - level
        total = total + xp.mean(xp.maximum(q * error, (q - 1) * error))
    ordered = xp.partition(residuals, [1, len(_Y) - 2])
    return total + xp.mean(ordered[1:-1]) ** 2


def vandermonde_design(xp, p):
    """Least squares through normal equations with the sample positions themselves the
    parameters: np.vander on the Tensor, increasing and decreasing powers."""
    design = xp.vander(p, 3, increasing=True)
    coefficients = xp.linalg.solve(design.T @ design, design.T @ _Y[:p.size])
    residual = design @ coefficients - _Y[:p.size]
    return xp.sum(residual ** 2) + 0.1 * xp.sum(xp.vander(p, 4) @ coefficients[::-1].take(
        [0, 1, 2, 2]))


def smoothing_filters(xp, p):
    """Smoothing and matching with np.convolve in its three modes (an even kernel in
    'same') and np.correlate in 'full' mode."""
    signal = _Y + p[0] * _T
    kernel = p[1:5]
    same = xp.convolve(signal, kernel, mode="same")
    valid = xp.convolve(signal, kernel / xp.sum(kernel), mode="valid")
    full = xp.convolve(kernel, kernel)
    matched = xp.correlate(signal, kernel, mode="full")
    return (xp.sum((same - signal) ** 2) + xp.sum(valid ** 2) + xp.sum(full) * 0.1
            + xp.max(matched))


def curvature(xp, p):
    """Curvature of a plane curve sampled at non-uniform parameter values (the
    parameters), the derivatives by np.gradient with the coordinates as spacing."""
    t = xp.cumsum(xp.exp(p))
    x, y = xp.cos(t), xp.sin(2 * t)
    dx, dy = xp.gradient(x, t), xp.gradient(y, t, edge_order=2)
    ddx, ddy = xp.gradient(dx, t), xp.gradient(dy, t)
    kappa = xp.abs(dx * ddy - dy * ddx) / (dx ** 2 + dy ** 2) ** 1.5
    return xp.trapezoid(kappa, t)


def mesh_geometry(xp, p):
    """Areas of triangles by np.cross, a tetrahedron's volume by det, edge lengths by
    norm along an axis, and a 2-D cross product written out."""
    vertices = p.reshape(4, 3)
    faces = np.array([[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]])
    tri = vertices[faces]
    normals = xp.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    areas = 0.5 * xp.linalg.norm(normals, axis=1)
    edges = vertices[1:] - vertices[0]
    volume = xp.linalg.det(edges) / 6.0
    planar = edges[:, 0] * edges[:, 1][::-1] - edges[:, 1] * edges[:, 0][::-1]
    return xp.sum(areas) + volume ** 2 + xp.sum(planar ** 2)


def tensor_products(xp, p):
    """A chain of np.kron, np.outer and np.tensordot with paired axes lists."""
    a = p[:12].reshape(2, 3, 2)
    contracted = xp.tensordot(a, a, axes=([0, 2], [0, 2]))          # (3, 3)
    kron = xp.kron(contracted[:2, :2], xp.array([[1.0, -1.0], [0.5, 2.0]]))
    outer = xp.outer(p[:4], p[4:8])
    chained = xp.tensordot(kron, outer, axes=2)
    return chained + xp.sum(xp.tensordot(a, p[:3], axes=([1], [0])) ** 2)


def polar_coordinates(xp, p):
    """Points to polar coordinates with hypot and arctan2, the angles unwrapped along
    the path and turned to degrees."""
    x, y = xp.cos(p) * (1 + 0.1 * _T), xp.sin(p) * (1 + 0.1 * _T)
    radius = xp.hypot(x, y)
    angle = xp.unwrap(xp.arctan2(y, x))
    return xp.sum(radius * xp.cos(angle)) + xp.sum(xp.degrees(xp.diff(angle))) * 1e-2


def windowed_sinc(xp, p):
    """A windowed-sinc low-pass kernel whose cutoff is a parameter (the sinc at 0 is
    taken too), normalised and applied to a signal."""
    n = xp.arange(-4.0, 5.0)
    kernel = 2 * p[0] * xp.sinc(2 * p[0] * n) * xp.hamming(9)
    kernel = kernel / xp.sum(kernel)
    smoothed = xp.convolve(_Y * p[1], kernel, mode="same")
    return xp.sum(smoothed ** 2) + xp.sum(xp.sinc(p - p[0]))


def masked_statistics(xp, p):
    """Statistics of the finite part of log-data: nan_to_num, isfinite masks, np.where,
    count_nonzero and mean/std with where=."""
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = xp.log(p)
    finite = xp.isfinite(logs)
    cleaned = xp.nan_to_num(logs, nan=0.0, neginf=-5.0)
    masked_mean = xp.sum(xp.where(finite, logs, 0.0)) / xp.count_nonzero(finite)
    return (xp.sum(cleaned) + masked_mean + xp.mean(p, where=finite)
            + xp.std(p, where=finite) + xp.var(p, where=~finite))


def matrix_norms(xp, p):
    """Every matrix norm order over the axes of a stack, and vector norms along one."""
    stack = p.reshape(2, 2, 3)
    total = 0.0
    for order in ["fro", "nuc", 2, -2, 1, -1, xp.inf, -xp.inf]:
        total = total + xp.sum(xp.linalg.norm(stack, ord=order, axis=(1, 2)))
    total = total + xp.linalg.norm(stack[0], "nuc", axis=(1, 0))
    return total + xp.sum(xp.linalg.norm(stack, ord=3, axis=-1, keepdims=True))


def block_system(xp, p):
    """A saddle-point system assembled with np.block and solved; its triangular parts,
    an off-diagonal trace and a diagonal read."""
    a = p[:4].reshape(2, 2) @ p[:4].reshape(2, 2).T + xp.eye(2)
    b = p[4:6].reshape(2, 1)
    system = xp.block([[a, b], [b.T, xp.zeros((1, 1))]])
    rhs = xp.block([p[6:8], xp.ones(1)])
    solution = xp.linalg.solve(system, rhs)
    return (xp.sum(solution ** 2) + xp.sum(xp.triu(system, 1)) - xp.sum(xp.tril(system, -1) ** 2)
            + xp.trace(system, offset=1) + xp.sum(xp.diagonal(system, -1)))


def ranking(xp, p):
    """A discounted gain of scores sorted by np.argsort and gathered with
    np.take_along_axis, and a rank-weighted sum by a double argsort."""
    scores = p.reshape(2, 4)
    order = xp.argsort(-scores, axis=1)
    sorted_scores = xp.take_along_axis(scores, order, axis=1)
    gains = xp.take_along_axis(_RELEVANCE, order, axis=1)
    discount = 1.0 / xp.log2(xp.arange(2, 6))
    soft = xp.sum(sorted_scores * gains * discount)
    ranks = xp.argsort(xp.argsort(p))
    return soft + xp.sum(p * ranks) * 0.1


def survival_curves(xp, p):
    """Discrete-time survival from logistic hazards by np.cumprod, and with the initial
    1 by np.cumulative_prod(include_initial=True); a restricted mean by summation."""
    hazard = 1.0 / (1.0 + xp.exp(-p))
    survival = xp.cumprod(1.0 - hazard)
    with_start = xp.cumulative_prod(1.0 - hazard, include_initial=True)
    events = xp.cumulative_sum(hazard * with_start[:-1], include_initial=True)
    return xp.sum(survival) + xp.sum(with_start * _T[:with_start.size]) + events[-1]


def straight_through_rounding(xp, p):
    """Quantisation whose rounding steps have zero gradient (as NumPy's and autograd's
    derivatives of round/floor/ceil/trunc/rint away from the jumps): only the
    multiplying p keeps a gradient."""
    scaled = p * 3.0
    quantised = xp.round(scaled, 1) + xp.floor(scaled) + xp.ceil(scaled) + xp.trunc(scaled)
    return xp.sum(p * quantised) + xp.sum(xp.rint(scaled) ** 2) + xp.sum(p ** 2)


def integer_mixing(xp, p):
    """Integer arrays mixed with the float parameters: products, an integer matrix
    times p, integer powers and a floor division of the integers."""
    k = xp.arange(p.size)
    counts = xp.array([[1, 0, 2, 0, 1, 1], [0, 3, 1, 2, 0, 1]])
    return (xp.sum(p * k) + xp.sum((counts @ p) ** 2) + xp.sum(p ** (k % 3))
            + xp.sum((k // 2) * p ** 2) + xp.sum(xp.dot(p, counts.T)))


def out_arguments(xp, p):
    """Results written with out= into buffers made like the parameters: a ufunc, a
    ufunc in place, a reduction, a clip in place and a matrix product."""
    buffer = xp.empty_like(p)
    xp.multiply(p, 2.0, out=buffer)
    xp.add(buffer, p ** 2, out=buffer)
    sums = xp.zeros_like(p, shape=(2,))
    xp.sum(p.reshape(2, 3), axis=1, out=sums)
    bounded = xp.exp(p)
    xp.clip(bounded, 0.5, 2.0, out=bounded)
    product = xp.empty_like(p, shape=(2, 2))
    xp.matmul(p[:4].reshape(2, 2), p[2:].reshape(2, 2), out=product)
    return xp.sum(buffer ** 2) + xp.sum(sums ** 2) + xp.sum(bounded) + xp.sum(product)


def method_chain(xp, p):
    """ndarray methods: x.T @ x, x.dot(y), x.clip(...), x.mean(where=), x.var(ddof=),
    x.trace(), x.cumsum(), x.max(initial=), x.prod(axis=)."""
    x = p.reshape(3, 2)
    mask = _X[:3, :2] > 0
    gram = x.T @ x
    return (gram.trace() + x[:, 0].dot(x[:, 1]) + x.clip(-0.5, 0.8).sum()
            + x.mean(where=mask) + x.var(ddof=1) + x.cumsum(axis=0)[-1].sum()
            + x.max(axis=0, initial=-1.0).sum() + x.prod(axis=1).sum())


def weighted_covariance(xp, p):
    """Covariance with analytic weights that are softmax scores of the parameters (a
    reweighting learned as in importance weighting) and the correlation matrix."""
    weights = xp.exp(p[:9]) / xp.sum(xp.exp(p[:9]))
    cov = xp.cov(_X.T * p[9], aweights=weights)
    corr = xp.corrcoef(_X[:, 0] * p[9], _X[:, 1] + p[0])
    return xp.sum(cov ** 2) + xp.linalg.det(cov) + corr[0, 1]


def markov_chain(xp, p):
    """A row-stochastic matrix by softmax rows, its long-run distribution by
    np.linalg.matrix_power, and a resolvent by a negative power."""
    logits = p.reshape(3, 3)
    transition = xp.exp(logits) / xp.sum(xp.exp(logits), axis=1, keepdims=True)
    long_run = xp.linalg.matrix_power(transition, 16)[0]
    resolvent = xp.linalg.matrix_power(2 * xp.eye(3) - transition, -2)
    return xp.sum(long_run * xp.arange(3.0)) + xp.trace(resolvent)


#: (program, parameters, whether HIPS autograd has every function the program calls)
PROGRAMS = [
    (heat_rod, _rng.normal(size=8), False),                  # autograd: no copy, item assignment
    (kalman_filter, np.array([0.9, 0.3, 0.6]), True),
    (gauss_newton, np.array([1.2, 0.6, 1.1]), False),        # no lstsq, pinv
    (pca_reconstruction, np.array([1.0, 2.0, 0.5, 0.3]), True),
    (mahalanobis, _rng.normal(size=6) * 0.5 + 1.0, False),   # no cov gradient
    (mixture_likelihood, _rng.normal(size=9), False),        # no logaddexp.reduce
    (pinball_losses, np.array([0.2, -0.4]), False),          # no quantile, partition
    (vandermonde_design, np.linspace(-1.0, 1.0, 6) + 0.03, False),  # no vander gradient
    (smoothing_filters, np.array([0.4, 0.3, 0.5, -0.2, 0.1]), False),  # no convolve of two
    (curvature, _rng.normal(size=8) * 0.3 - 1.0, False),      # no gradient, trapezoid
    (mesh_geometry, _rng.normal(size=12), True),
    (tensor_products, _rng.normal(size=12), True),
    (polar_coordinates, _rng.normal(size=9) * 2.0, False),   # no unwrap
    (windowed_sinc, np.array([0.2, 1.3]), False),           # no convolve of two
    (masked_statistics, np.array([0.3, -0.7, 1.2, -0.1, 2.0, 0.6, -1.5]), False),  # nan=
    (matrix_norms, _rng.normal(size=12), False),             # no nuclear or 2-norm
    (block_system, _rng.normal(size=8), False),              # no block of boxes
    (ranking, _rng.normal(size=8), False),                   # no take_along_axis
    (survival_curves, _rng.normal(size=6), False),           # no cumprod gradient
    (straight_through_rounding, _rng.normal(size=6), True),
    (integer_mixing, _rng.normal(size=6), True),
    (out_arguments, _rng.normal(size=6), False),             # no out=
    (method_chain, _rng.normal(size=6), False),              # no ndarray methods on boxes
    (weighted_covariance, _rng.normal(size=10) * 0.5 + 0.2, False),  # no cov of boxes
    (markov_chain, _rng.normal(size=9), False),              # no matrix_power gradient
]

globals().update(program_tests(PROGRAMS))     # the four checks of every round




def test_rounding_steps_have_zero_gradient_silently_as_autograd_and_torch():
    p = np.array([0.26, -1.4, 2.05, 0.7])
    for rounding in [np.round, np.around, np.rint, np.floor, np.ceil, np.trunc, np.fix]:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            grad = ad.grad(lambda t, rounding=rounding: np.sum(rounding(t * 3.0)))(p)
        np.testing.assert_array_equal(grad, np.zeros(4))
    # straight-through: only the factor p * (...) keeps a gradient, the rounded values
    grad = ad.grad(lambda t: np.sum(t * np.round(t * 3.0)))(p)
    np.testing.assert_array_equal(grad, np.round(p * 3.0))
    torch = pytest.importorskip("torch")
    t = torch.tensor(p, requires_grad=True)
    (t * torch.round(t * 3.0) + torch.floor(t) + torch.trunc(t)).sum().backward()
    np.testing.assert_array_equal(ad.grad(
        lambda a: np.sum(a * np.round(a * 3.0) + np.floor(a) + np.trunc(a)))(p), t.grad.numpy())
