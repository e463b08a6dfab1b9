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

_IDS = [program.__name__ for program, _, _ in PROGRAMS]
_WITH_AUTOGRAD = [(program, p) for program, p, supported in PROGRAMS if supported]


def _central_difference(f, p, eps=1e-6):
    grad = np.zeros_like(p)
    for i in range(p.size):
        step = np.zeros_like(p)
        step[i] = eps
        grad[i] = (f(p + step) - f(p - step)) / (2 * eps)
    return grad


def _value_and_gradient(program, p):
    """``ad.value_and_grad`` of the program as written, with any TapeDropWarning an
    error (inside the transform a tape drop raises anyway)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.TapeDropWarning)
        return ad.value_and_grad(lambda t: program(np, t))(p.copy())


@pytest.mark.parametrize("program, p", [(f, p) for f, p, _ in PROGRAMS], ids=_IDS)
def test_a_program_gives_numpys_value(program, p):
    value, _ = _value_and_gradient(program, p)
    expected = program(np, p.copy())
    assert value.shape == () and value.dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(value, expected)
    on_a_tensor = program(np, ad.tensor(p.copy(), requires_grad=True))
    assert isinstance(on_a_tensor, ad.Tensor) and on_a_tensor.requires_grad


@pytest.mark.parametrize("program, p", [(f, p) for f, p, _ in PROGRAMS], ids=_IDS)
def test_a_programs_gradient_matches_central_differences(program, p):
    _, grad = _value_and_gradient(program, p)
    numerical = _central_difference(lambda a: program(np, a), p)
    np.testing.assert_allclose(grad, numerical, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("program, p", [(f, p) for f, p, _ in PROGRAMS], ids=_IDS)
def test_a_programs_hessian_matches_central_differences_of_its_gradient(program, p):
    hessian = ad.hessian(lambda t: program(np, t))(p.copy())
    gradient = ad.grad(lambda t: program(np, t))
    numerical = np.stack([(gradient(p + step) - gradient(p - step)) / 2e-6
                          for step in np.eye(p.size) * 1e-6])
    np.testing.assert_allclose(hessian, numerical, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("program, p", _WITH_AUTOGRAD,
                         ids=[f.__name__ for f, _ in _WITH_AUTOGRAD])
def test_a_programs_gradient_matches_hips_autograd(program, p):
    autograd = pytest.importorskip("autograd")
    import autograd.numpy as anp
    _, grad = _value_and_gradient(program, p)
    expected = autograd.grad(lambda a: program(anp, a))(p.copy())
    np.testing.assert_allclose(grad, expected, rtol=1e-9, atol=1e-12)


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


def test_cov_analytic_weights_get_torch_covs_gradient():
    torch = pytest.importorskip("torch")
    data, weights = _X.T[:, :7], np.linspace(0.5, 2.0, 7)
    counts = np.array([1, 2, 1, 3, 1, 1, 2])
    for options in [{}, {"fweights": counts}]:
        def loss(w, options=options):
            return np.sum(np.cov(data, aweights=w, **options) ** 2)
        value, grad = ad.value_and_grad(loss)(weights)
        np.testing.assert_array_equal(value, loss(weights))
        np.testing.assert_allclose(grad, _central_difference(loss, weights), rtol=1e-6)
        w = torch.tensor(weights, requires_grad=True)
        torch_counts = None if not options else torch.tensor(counts)
        (torch.cov(torch.tensor(data), fweights=torch_counts, aweights=w) ** 2).sum().backward()
        np.testing.assert_allclose(grad, w.grad.numpy(), rtol=1e-12)
    assert ad.gradgradcheck(lambda w: np.sum(np.cov(data, aweights=w) ** 2), [weights])


def test_cov_frequency_weights_that_require_grad_are_refused_naming_aweights():
    counts = ad.tensor(np.array([1.0, 2.0, 1.0]), requires_grad=True)
    with pytest.raises(TypeError, match=r"cov: fweights given as a Tensor that requires grad: "
                                        r"frequency weights are integer counts .*aweights"):
        np.cov(_X[:3].T, fweights=counts)


@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize("coordinates", [np.linspace(0.0, 2.0, 6),
                                         np.array([0.0, 0.3, 0.5, 1.1, 1.6, 2.0])],
                         ids=["equal steps", "unequal steps"])
def test_gradient_with_tensor_coordinates_reaches_every_coordinate(coordinates, edge_order):
    def derivative_energy(c):
        return np.sum(np.gradient(np.sin(3 * c), c, edge_order=edge_order) ** 2)
    value, grad = ad.value_and_grad(derivative_energy)(coordinates)
    np.testing.assert_array_equal(value, derivative_energy(coordinates))   # NumPy's formula
    numerical = _central_difference(derivative_energy, coordinates)
    np.testing.assert_allclose(grad, numerical, rtol=1e-6, atol=1e-6)
    assert np.all(grad != 0)        # not the first step's alone
    hessian = ad.hessian(derivative_energy)(coordinates)
    gradient = ad.grad(derivative_energy)
    np.testing.assert_allclose(hessian, np.stack([
        (gradient(coordinates + step) - gradient(coordinates - step)) / 2e-6
        for step in np.eye(coordinates.size) * 1e-6]), rtol=1e-5, atol=1e-5)
    torch = pytest.importorskip("torch")
    t = torch.tensor(coordinates, requires_grad=True)
    (d,) = torch.gradient(torch.sin(3 * t), spacing=(t,), edge_order=edge_order)
    (d ** 2).sum().backward()
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_gradient_with_a_tensor_step_differentiates_in_the_step():
    samples = np.sin(_T)
    def energy(h):
        return np.sum(np.gradient(samples, h, edge_order=2) ** 2)
    value, grad = ad.value_and_grad(energy)(np.array(0.25))
    np.testing.assert_array_equal(value, energy(0.25))
    np.testing.assert_allclose(grad, (energy(0.25 + 1e-6) - energy(0.25 - 1e-6)) / 2e-6,
                               rtol=1e-7)


def test_gradient_with_traced_coordinates_is_refused_in_compile_naming_the_fix():
    compiled = ad.compile(lambda f, c: np.gradient(f, c))
    with pytest.raises(ad.TraceError, match=r"compile: gradient at .*reads the coordinates "
                                            r".*Pass them as a NumPy array from outside"):
        compiled(np.sin(_T), _T)


def test_complete_qr_of_a_tall_matrix_is_refused_as_pytorch_refuses_it():
    a = _X[:4].copy()
    with pytest.raises(NotImplementedError, match=r"qr: mode='complete' has no gradient for "
                                                  r"a of shape \(4, 3\).*mode='reduced'"):
        ad.grad(lambda t: np.sum(np.linalg.qr(t, mode="complete")[0]))(a)
    torch = pytest.importorskip("torch")
    q, _ = torch.linalg.qr(torch.tensor(a, requires_grad=True), mode="complete")
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete'"):
        q.sum().backward()


@pytest.mark.parametrize("singular", [
    np.array([[1.0, 2.0], [2.0, 4.0]]), np.zeros((3, 3)),
    np.outer([1.0, 2.0, 3.0], [0.5, -1.0, 2.0]),
    np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]),
    np.diag([1.0, 2.0, 0.0, 3.0])],
    ids=["rank 1 of 2", "zero 3x3", "rank 1 of 3", "rank 2 of 3", "rank 3 of 4"])
def test_det_second_derivatives_at_singular_matrices(singular):
    """Collinear points (a zero triangle area) and flat tetrahedra have singular edge
    matrices; the Hessian of det is a polynomial's, defined there too."""
    hessian = ad.hessian(np.linalg.det)(singular)
    gradient = ad.grad(np.linalg.det)
    steps = np.eye(singular.size).reshape((singular.size,) + singular.shape) * 1e-6
    numerical = np.stack([(gradient(singular + s) - gradient(singular - s)) / 2e-6
                          for s in steps]).reshape(hessian.shape)
    np.testing.assert_allclose(hessian, numerical, atol=1e-6)
    assert ad.gradgradcheck(lambda a: np.linalg.det(a) ** 2 + np.linalg.det(a), [singular])
    torch = pytest.importorskip("torch")
    reference = torch.autograd.functional.hessian(torch.linalg.det, torch.tensor(singular))
    if np.any(singular):            # (PyTorch's is NaN at the zero matrix)
        np.testing.assert_allclose(hessian, reference.numpy(), atol=1e-12)


def test_det_hessian_of_a_stack_with_one_singular_matrix():
    stack = np.stack([np.outer([1.0, 2.0], [3.0, 4.0]), _X[:2, :2]])
    hessian = ad.hessian(lambda a: np.sum(np.linalg.det(a) * [1.0, 2.0]))(stack)
    gradient = ad.grad(lambda a: np.sum(np.linalg.det(a) * [1.0, 2.0]))
    numerical = np.stack([(gradient(stack + s) - gradient(stack - s)) / 2e-6
                          for s in np.eye(8).reshape(8, 2, 2, 2) * 1e-6]).reshape(hessian.shape)
    np.testing.assert_allclose(hessian, numerical, atol=1e-6)


def test_np_put_with_a_list_holding_a_tensor_is_refused_naming_stack():
    def put_list(p):
        d = p.copy()
        np.put(d, [0, 3], [p[1], 7.0])
        return np.sum(d ** 2)
    p = _rng.normal(size=5)
    with pytest.raises(TypeError, match=r"converted to a NumPy array .*ad\.stack"):
        ad.grad(put_list)(p)

    def put_stacked(p):
        d = p.copy()
        np.put(d, [0, 3], np.stack([p[1], np.full_like(p[1], 7.0)]))
        return np.sum(d ** 2)
    np.testing.assert_allclose(ad.grad(put_stacked)(p), _central_difference(put_list, p),
                               rtol=1e-6)


def _float32_program(xp, p):
    counts = xp.arange(4, dtype=xp.int8)           # (int64 would promote to float64)
    w = xp.asarray(_X[:4, :2].T, dtype=xp.float32)
    hidden = xp.tanh(w @ p) * counts[:2]
    return xp.sum(hidden ** 2) / 3 + xp.mean(p) * 2.0 + xp.linalg.norm(p) + xp.var(p)


def test_float32_parameters_keep_float32_and_float64_data_promotes_as_numpy():
    p = _rng.normal(size=4).astype(np.float32)
    value, grad = ad.value_and_grad(lambda t: _float32_program(np, t))(p)
    expected = _float32_program(np, p)
    assert value.dtype == expected.dtype == np.float32 and grad.dtype == np.float32
    np.testing.assert_array_equal(value, expected)
    wide = ad.grad(lambda t: _float32_program(np, t.astype(np.float64)))(p.astype(np.float64))
    np.testing.assert_allclose(grad, wide, rtol=1e-5)
    # a float64 ndarray or NumPy float64 scalar promotes, as NumPy promotes (NEP 50)
    for mixed in [lambda t: np.sum(t @ np.ones(4)), lambda t: np.sum(t * np.float64(2.0)),
                  lambda t: np.sum(t * np.arange(4))]:
        value = mixed(ad.tensor(p, requires_grad=True))
        assert value.dtype == mixed(p).dtype == np.float64
        assert ad.grad(mixed)(p).dtype == np.float32      # a gradient has its input's dtype


def _defensive_asarray(p):
    x = np.asarray(p)                  # the habit of functions written for array-likes
    return np.sum(x ** 2)


def _matrix_from_entries(p):
    return np.sum(np.array([p[0], p[1]]) ** 2)


def _filled(p):
    return np.sum(np.full(3, p[1]) * p[:3])


def _sum_of_a_list(p):
    return np.sum([p[0] ** 2, p[1], 0.5])


@pytest.mark.parametrize("program, message, fixed", [
    (_defensive_asarray, r"by np\.asarray, which always makes an ndarray .*the call can go",
     lambda t: np.sum(t ** 2)),
    (_matrix_from_entries, r"by np\.array, .*for a list that holds Tensors, np\.stack\(list\)",
     lambda t: np.sum(np.stack([t[0], t[1]]) ** 2)),
    (_filled, r"by np\.full, NumPy code that makes arrays of its arguments .*"
              r"np\.full_like\(t, value, shape=shape\)",
     lambda t: np.sum(np.full_like(t, t[1], shape=3) * t[:3])),
    (_sum_of_a_list, r"by np\.sum, which does not look inside a list for Tensors .*"
                     r"np\.sum\(np\.stack\(list\)\)",
     lambda t: np.sum(np.stack([t[0] ** 2, t[1], 0.5]))),
], ids=["asarray", "array of a list", "full", "sum of a list"])
def test_numpy_calls_that_always_make_an_ndarray_are_named_with_the_fix(program, message,
                                                                        fixed):
    p = _rng.normal(size=4)
    with pytest.raises(TypeError, match=message + r".* at .*test_numpy_programs_fourth\.py"):
        ad.grad(program)(p)
    with pytest.warns(ad.TapeDropWarning, match=message):
        program(ad.tensor(p, requires_grad=True))
    # written as the message says, it differentiates
    np.testing.assert_allclose(ad.grad(fixed)(p), _central_difference(program, p), rtol=1e-6)


def test_interp_differentiates_in_its_sample_points():
    """Learned knot positions of a piecewise-linear calibration curve."""
    x = np.linspace(-0.45, 3.45, 9)                     # none on a knot; two outside
    def calibration(knots, values):
        return np.sum(np.interp(x, knots, values, left=-1.0) ** 2 * np.arange(1.0, 10.0))
    knots, values = np.array([0.0, 1.1, 1.9, 3.2]), np.array([0.0, 1.0, 4.0, 9.0])
    value, (grad_knots, grad_values) = ad.value_and_grad(calibration, argnums=(0, 1))(
        knots, values)
    np.testing.assert_array_equal(value, calibration(knots, values))
    np.testing.assert_allclose(grad_knots, _central_difference(
        lambda k: calibration(k, values), knots), rtol=1e-6)
    np.testing.assert_allclose(grad_values, _central_difference(
        lambda v: calibration(knots, v), values), rtol=1e-6)
    assert ad.gradgradcheck(lambda k: calibration(k, values ** 2), [knots])
    # at a knot NumPy returns fp there; the derivatives are the segment's on its right
    at_knots = ad.grad(lambda k: np.sum(np.interp(knots[:3], k, values)))(knots)
    slopes = np.diff(values) / np.diff(knots)
    np.testing.assert_allclose(at_knots, np.append(-slopes, 0.0), rtol=1e-12)


@pytest.mark.parametrize("ufunc", [np.maximum, np.minimum, np.fmax, np.fmin])
@pytest.mark.parametrize("indices, axis", [([0, 2, 5], 1), ([3, 1, 6, 6], -1), ([2, 0], 0)],
                         ids=["segments", "not increasing", "axis 0"])
def test_segment_extremes_by_reduceat_are_numpys_and_differentiate(ufunc, indices, axis):
    """Max-pooling over ragged groups of columns, as np.maximum.reduceat writes it."""
    x = _rng.normal(size=(3, 7))
    def pooled(t):
        return np.sum(ufunc.reduceat(t, indices, axis=axis) ** 2 * 1.5)
    value, grad = ad.value_and_grad(pooled)(x)
    np.testing.assert_array_equal(value, pooled(x))
    numerical = _central_difference(lambda a: pooled(a.reshape(3, 7)), x.ravel())
    np.testing.assert_allclose(grad, numerical.reshape(3, 7), rtol=1e-6, atol=1e-6)
    compiled = ad.compile(lambda t: ufunc.reduceat(t, indices, axis=axis))
    for call in range(2):
        t = _rng.normal(size=(3, 7))
        np.testing.assert_array_equal(compiled(t).data, ufunc.reduceat(t, indices, axis=axis))


def test_segment_extremes_refuse_as_numpy_refuses():
    t = ad.tensor(_rng.normal(size=(3, 7)), requires_grad=True)
    with pytest.raises(IndexError, match=r"index 9 out-of-bounds in maximum\.reduceat"):
        np.maximum.reduceat(t, [0, 9], axis=1)
    with pytest.raises(TypeError, match=r"numpy\.minimum\.reduceat: indices must be integers"):
        np.minimum.reduceat(t, [0.5])
    assert np.maximum.reduceat(t, [], axis=1).shape == (3, 0)
    with pytest.raises(ad.TraceError, match=r"maximum\.reduceat .*slices the segments"):
        ad.compile(lambda a, i: np.maximum.reduceat(a, i))(np.ones(4), np.array([0, 2]))


@pytest.mark.parametrize("method", ["linear", "hazen", "weibull", "median_unbiased",
                                    "normal_unbiased", "interpolated_inverted_cdf",
                                    "lower", "nearest", "midpoint", "averaged_inverted_cdf"])
def test_quantile_differentiates_in_q(method):
    """A learned quantile level (a threshold at the q-th quantile of scores)."""
    levels = np.array([0.13, 0.52, 0.97])
    def thresholds(q):
        return (np.sum(np.quantile(_X, q, axis=0, method=method) ** 2)
                + np.sum(np.percentile(_Y, q * 100, method=method)))
    value, grad = ad.value_and_grad(thresholds)(levels)
    np.testing.assert_array_equal(value, thresholds(levels))
    np.testing.assert_allclose(grad, _central_difference(thresholds, levels), atol=1e-6)
    if method == "linear":
        assert ad.gradgradcheck(lambda v, q: np.sum(np.quantile(v, q) ** 2), [_Y, levels])


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_tensor_quantile_gradient_in_q_is_torchs(interpolation):
    torch = pytest.importorskip("torch")
    q = ad.tensor([0.2, 0.65], requires_grad=True)
    y = ad.tensor(_X.T).quantile(q, dim=1, interpolation=interpolation)
    expected_q = torch.tensor([0.2, 0.65], dtype=torch.float64, requires_grad=True)
    expected = torch.tensor(_X.T).quantile(expected_q, dim=1, interpolation=interpolation)
    np.testing.assert_array_equal(y.data, expected.detach().numpy())
    assert y.requires_grad == expected.requires_grad   # (a step function of q: not linked)
    if expected.requires_grad:
        (y ** 2).sum().backward()
        (expected ** 2).sum().backward()
        np.testing.assert_allclose(q.grad, expected_q.grad.numpy(), rtol=1e-12)
