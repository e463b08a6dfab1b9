"""A ninth set of short NumPy programs, from the domains earlier rounds sampled least:
statistics and econometrics (least squares by ``np.linalg.lstsq(..., rcond=None)``,
ridge by ``solve``, weighted least squares, a GARCH(1, 1) likelihood, a probit
likelihood with a ``tanh`` approximation of the normal CDF, a jackknife by fancy
indexing, a kernel density estimate, Mahalanobis distances by ``inv`` and
``cholesky``), signals and images (a 2-D convolution by ``sliding_window_view`` and
``einsum``, a separable blur by ``np.convolve(mode='same')`` along rows with
``np.apply_along_axis``, a bilinear warp gathering at ``np.floor`` / ``astype(int)`` /
``np.clip`` indices, a soft histogram, an edge energy by ``np.diff`` and
``np.gradient``, an IIR filter written into a preallocated array), physics (an RK4
pendulum, a leapfrog N-body step with ``np.fill_diagonal``, a heat rod by ``np.roll``,
a spring chain by ``np.hypot``) and machine learning written in NumPy (an MLP with a
``take_along_axis`` cross-entropy, logistic regression by ``np.logaddexp``, soft
k-means, PCA by a reduced SVD, a factorization machine, word2vec negative sampling, a
Gaussian-process evidence by ``slogdet`` and ``cholesky``).  Each is differentiated
unchanged with ``ad.grad`` and checked as every round is (``numpy_program_checks``).

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261209)
_X = _rng.normal(size=(8, 3))
_Y = _rng.normal(size=8)
_IMAGE = _rng.normal(size=(5, 6))
_LABELS = np.array([0, 2, 1, 1, 0, 2])
_DATA = _rng.normal(size=7)


def ols_by_lstsq(xp, p):
    """Ordinary least squares by np.linalg.lstsq(X, y, rcond=None) on a design whose
    columns the parameters scale, the fitted residual sum of squares and R^2."""
    design = xp.column_stack([xp.ones(8), _X[:, :2] * (1.0 + 0.2 * p[:2])])
    target = _Y + 0.3 * p[2:10]
    beta, _, rank, _ = xp.linalg.lstsq(design, target, rcond=None)
    fitted = design @ beta
    rss = ((target - fitted) ** 2).sum()
    tss = ((target - target.mean()) ** 2).sum()
    return rss + (1.0 - rss / tss) + beta @ beta * 0.1 + 0.0 * rank


def ridge_by_solve(xp, p):
    """Ridge regression in closed form, (X'X + lambda I) beta = X'y by np.linalg.solve,
    with lambda = exp(p[0]) and the generalised cross-validation score."""
    penalty = xp.exp(p[0])
    design = _X + 0.1 * p[1:4]
    gram = design.T @ design
    beta = xp.linalg.solve(gram + penalty * xp.eye(3), design.T @ _Y)
    hat = design @ xp.linalg.solve(gram + penalty * xp.eye(3), design.T)
    residual = _Y - design @ beta
    dof = xp.trace(hat)
    return (residual @ residual) / (1.0 - dof / 8) ** 2


def weighted_least_squares(xp, p):
    """Weighted least squares by the normal equations X'WX beta = X'Wy with weights
    softplus(p) (as a column multiplier, W never formed), and the weighted residual."""
    weights = xp.log1p(xp.exp(p[:8]))
    design = xp.hstack([xp.ones((8, 1)), _X[:, :2]])
    weighted = design * weights[:, None]
    beta = xp.linalg.solve(weighted.T @ design, weighted.T @ _Y)
    residual = _Y - design @ beta
    return (weights * residual ** 2).sum() / weights.sum() + beta.sum()


def garch_log_likelihood(xp, p):
    """The Gaussian GARCH(1, 1) log-likelihood of a return series, the conditional
    variance recursion sigma2_t = omega + alpha r_{t-1}^2 + beta sigma2_{t-1} in a
    Python loop over a list, parameters kept positive by exp and a logistic."""
    omega = xp.exp(p[0] - 2.0)
    alpha = 0.3 / (1.0 + xp.exp(-p[1]))
    beta = 0.6 / (1.0 + xp.exp(-p[2]))
    returns = 0.5 * _Y
    variance = [returns.var()]
    for t in range(1, returns.size):
        variance.append(omega + alpha * returns[t - 1] ** 2 + beta * variance[-1])
    sigma2 = xp.stack(variance)
    return 0.5 * (xp.log(2 * np.pi * sigma2) + returns ** 2 / sigma2).sum()


def probit_likelihood(xp, p):
    """A probit model's negative log-likelihood with the normal CDF by the tanh
    approximation Phi(z) ~ 0.5 (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3))), clipped away
    from 0 and 1 by np.clip with bounds inside the range reached."""
    z = _X @ p[:3] + p[3]
    cdf = 0.5 * (1.0 + xp.tanh(np.sqrt(2.0 / np.pi) * (z + 0.044715 * z ** 3)))
    cdf = xp.clip(cdf, 1e-12, 1.0 - 1e-12)
    labels = (_Y > 0).astype(np.float64)
    return -(labels * xp.log(cdf) + (1 - labels) * xp.log1p(-cdf)).sum()


def jackknife_variance(xp, p):
    """The jackknife variance of a ratio estimator: the leave-one-out samples by fancy
    indexing with an index table built from np.arange and a boolean mask."""
    x = 1.5 + xp.tanh(p[:6])
    y = 2.0 + 0.5 * xp.sin(p[6:12])
    n = x.size
    keep = ~np.eye(n, dtype=bool)
    index = np.broadcast_to(np.arange(n), (n, n))[keep].reshape(n, n - 1)
    ratios = y[index].mean(axis=1) / x[index].mean(axis=1)
    return (n - 1) / n * ((ratios - ratios.mean()) ** 2).sum() + y.mean() / x.mean()


def kernel_density_estimate(xp, p):
    """A Gaussian kernel density estimate at evaluation points, the kernel matrix by
    np.exp(-0.5 * ((x[:, None] - data[None, :]) / h) ** 2), its log-likelihood of
    held-out points and the bandwidth exp(p[0])."""
    h = xp.exp(p[0] - 0.5)
    data = _DATA + 0.2 * p[1:8]
    x = xp.linspace(-1.5, 1.5, 5)
    kernel = xp.exp(-0.5 * ((x[:, None] - data[None, :]) / h) ** 2)
    density = kernel.sum(axis=1) / (data.size * h * np.sqrt(2 * np.pi))
    return -xp.log(density).sum()


def mahalanobis_by_inverse_and_cholesky(xp, p):
    """Squared Mahalanobis distances two ways: through np.linalg.inv of the covariance,
    and by whitening with the inverse of its Cholesky factor (no triangular solve)."""
    a = p[:9].reshape(3, 3)
    covariance = a @ a.T + xp.eye(3)
    centred = _X - p[9:12]
    by_inverse = xp.einsum("ni,ij,nj->n", centred, xp.linalg.inv(covariance), centred)
    lower = xp.linalg.cholesky(covariance)
    whitened = centred @ xp.linalg.inv(lower).T
    by_whitening = (whitened ** 2).sum(axis=-1)
    return by_inverse.sum() + by_whitening.max() + xp.log(xp.diag(lower)).sum()


def conv2d_by_windows_and_einsum(xp, p):
    """A valid 2-D convolution of a two-channel image with two 3x3 kernels by
    sliding_window_view over the spatial axes and np.einsum over channels and taps."""
    image = xp.stack([_IMAGE, _IMAGE[::-1] + p[18]])                # (2, 5, 6)
    kernels = p[:18].reshape(2, 1, 3, 3) * xp.ones((1, 2, 1, 1))    # (out, in, 3, 3)
    windows = np.lib.stride_tricks.sliding_window_view(image, (3, 3), axis=(1, 2))
    feature = xp.einsum("chwij,ocij->ohw", windows, kernels)          # (2, 3, 4)
    return (xp.tanh(feature) ** 2).sum()


def separable_blur_by_convolve(xp, p):
    """A separable Gaussian blur: a 1-D kernel from exp(-k^2 / 2 s^2), normalised, run
    along each row and then each column by np.apply_along_axis(np.convolve, mode='same')."""
    s = xp.exp(p[0])
    taps = xp.exp(-np.arange(-2.0, 3.0) ** 2 / (2 * s ** 2))
    taps = taps / taps.sum()
    image = _IMAGE + 0.1 * p[1:31].reshape(5, 6)
    rows = xp.apply_along_axis(lambda r: xp.convolve(r, taps, mode="same"), 1, image)
    both = xp.apply_along_axis(lambda c: xp.convolve(c, taps, mode="same"), 0, rows)
    return ((both - _IMAGE) ** 2).sum()


def bilinear_warp(xp, p):
    """An image warped by an affine map with bilinear sampling: source coordinates
    floored by np.floor, made integer by astype(int), clipped into the image by np.clip
    and the four neighbours gathered by fancy indexing, weighted by the fractions."""
    rows, cols = np.mgrid[0:5, 0:6].astype(float)
    y = 1.0 + 0.9 * rows + 0.1 * p[0] * cols + 0.2 * p[1]
    x = 0.5 + 0.8 * cols + 0.1 * p[2] * rows + 0.2 * p[3]
    y0 = xp.floor(y)
    x0 = xp.floor(x)
    dy, dx = y - y0, x - x0
    r0 = xp.clip(y0.astype(int), 0, 4)
    r1 = xp.clip(r0 + 1, 0, 4)
    c0 = xp.clip(x0.astype(int), 0, 5)
    c1 = xp.clip(c0 + 1, 0, 5)
    image = _IMAGE * (1.0 + 0.1 * p[4])
    warped = ((1 - dy) * (1 - dx) * image[r0, c0] + (1 - dy) * dx * image[r0, c1]
              + dy * (1 - dx) * image[r1, c0] + dy * dx * image[r1, c1])
    return (warped ** 2).mean()


def soft_histogram(xp, p):
    """A differentiable histogram: each sample spread over the bins by a softmax of
    negative squared distances to the bin centres, the counts compared with a target
    by a KL divergence."""
    samples = xp.tanh(_DATA[:, None] * (1.0 + 0.3 * p[:1]) + 0.2 * p[1:8, None])[:, 0]
    centres = xp.linspace(-1.0, 1.0, 5)
    scores = -((samples[:, None] - centres[None, :]) ** 2) / 0.1
    scores = scores - scores.max(axis=1, keepdims=True)
    share = xp.exp(scores) / xp.exp(scores).sum(axis=1, keepdims=True)
    counts = share.sum(axis=0) / samples.size
    target = xp.full(5, 0.2)
    return (counts * xp.log(counts / target)).sum()


def edge_energy(xp, p):
    """The edge energy of an image: squared finite differences by np.diff along both
    axes, a gradient magnitude by np.gradient's two central-difference arrays, and the
    total of a smoothed magnitude sqrt(gx^2 + gy^2 + eps)."""
    image = _IMAGE + 0.2 * p[:30].reshape(5, 6)
    horizontal = xp.diff(image, axis=1)
    vertical = xp.diff(image, n=2, axis=0)
    gy, gx = xp.gradient(image)
    magnitude = xp.sqrt(gx ** 2 + gy ** 2 + 1e-3)
    return (horizontal ** 2).sum() + 0.1 * (vertical ** 2).sum() + magnitude.sum()


def iir_filter_into_preallocated(xp, p):
    """A second-order IIR (biquad) filter y[n] = b0 x[n] + b1 x[n-1] - a1 y[n-1] -
    a2 y[n-2] written into a preallocated np.zeros_like output one sample at a time,
    with poles kept stable by tanh."""
    b0, b1 = p[0], p[1]
    a1 = 0.5 * xp.tanh(p[2])
    a2 = 0.3 * xp.tanh(p[3])
    signal = _Y + 0.2 * p[4:12]
    out = xp.zeros_like(signal)
    out[0] = b0 * signal[0]
    out[1] = b0 * signal[1] + b1 * signal[0] - a1 * out[0]
    for n in range(2, signal.size):
        out[n] = b0 * signal[n] + b1 * signal[n - 1] - a1 * out[n - 1] - a2 * out[n - 2]
    return ((out - _Y) ** 2).sum()


def rk4_pendulum(xp, p):
    """A damped pendulum integrated by classical RK4, the state derivative assembled
    from its two Tensor scalars by np.stack (np.array([omega, ...]) makes an ndarray of
    them, off the tape, with a TapeDropWarning naming np.stack / ad.array)."""
    gravity_over_length = xp.exp(p[0]) * 9.81
    damping = 0.1 * p[1] ** 2
    state = xp.stack([0.5 + 0.1 * p[2], 0.1 * p[3]])

    def derivative(s):
        theta, omega = s[0], s[1]
        return xp.stack([omega, -gravity_over_length * xp.sin(theta) - damping * omega])

    dt = 0.05
    for _ in range(6):
        k1 = derivative(state)
        k2 = derivative(state + 0.5 * dt * k1)
        k3 = derivative(state + 0.5 * dt * k2)
        k4 = derivative(state + dt * k3)
        state = state + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return (state ** 2).sum()


def leapfrog_nbody(xp, p):
    """One kick-drift-kick leapfrog step of four softened gravitating bodies: pairwise
    separations by broadcasting, distances by np.linalg.norm(axis=-1), the self pairs'
    inverse cubes zeroed by np.fill_diagonal, then the energy after the step."""
    positions = _X[:4] + 0.1 * p[:12].reshape(4, 3)
    velocities = 0.1 * p[12:24].reshape(4, 3)
    masses = xp.exp(0.1 * p[24:28])

    def accelerations(x):
        separation = x[None, :, :] - x[:, None, :]
        distance = xp.linalg.norm(separation, axis=-1) + 0.1
        inverse_cube = distance ** -3
        xp.fill_diagonal(inverse_cube, 0.0)
        return (separation * (inverse_cube * masses[None, :])[:, :, None]).sum(axis=1)

    dt = 0.01
    velocities = velocities + 0.5 * dt * accelerations(positions)
    positions = positions + dt * velocities
    velocities = velocities + 0.5 * dt * accelerations(positions)
    kinetic = 0.5 * (masses * (velocities ** 2).sum(axis=1)).sum()
    separation = positions[None] - positions[:, None]
    pairs = np.triu_indices(4, 1)
    distance = xp.linalg.norm(separation, axis=-1)[pairs]
    return kinetic - (masses[pairs[0]] * masses[pairs[1]] / distance).sum()


def heat_rod_by_roll(xp, p):
    """The 1-D heat equation on a periodic rod by explicit Euler steps, the Laplacian by
    np.roll(u, 1) - 2u + np.roll(u, -1), the diffusivity exp(p[0]) kept stable."""
    diffusivity = 0.2 / (1.0 + xp.exp(-p[0]))
    u = xp.sin(np.linspace(0, 2 * np.pi, 8, endpoint=False)) + 0.2 * p[1:9]
    for _ in range(5):
        u = u + diffusivity * (xp.roll(u, 1) - 2 * u + xp.roll(u, -1))
    return (u ** 2).sum() + xp.roll(u, 3)[0]


def spring_chain_energy(xp, p):
    """The elastic energy of a planar chain of springs: segment lengths by
    np.hypot(dx, dy) of np.diff of the node coordinates, rest length 1, plus gravity."""
    x = np.arange(6.0) + 0.2 * p[:6]
    y = 0.3 * p[6:12]
    lengths = xp.hypot(xp.diff(x), xp.diff(y))
    stiffness = xp.exp(0.1 * p[12])
    return 0.5 * stiffness * ((lengths - 1.0) ** 2).sum() + 0.1 * y.sum()


def mlp_cross_entropy(xp, p):
    """A two-layer MLP with np.maximum(0, z) and a softmax cross-entropy written by hand:
    stable log-sum-exp and the true class's logit by np.take_along_axis."""
    w1 = p[:12].reshape(3, 4)
    w2 = p[12:24].reshape(4, 3)
    hidden = xp.maximum(0, _X[:6] @ w1 + 0.1)
    logits = hidden @ w2
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_norm = xp.log(xp.exp(shifted).sum(axis=1))
    true = xp.take_along_axis(shifted, _LABELS[:, None], axis=1)[:, 0]
    return (log_norm - true).mean()


def logistic_regression_logaddexp(xp, p):
    """Logistic regression's negative log-likelihood by np.logaddexp(0, -y * margin)
    with labels in {-1, +1}, an L2 penalty and the mean predicted probability."""
    labels = np.where(_Y > 0, 1.0, -1.0)
    margin = _X @ p[:3] + p[3]
    loss = xp.logaddexp(0, -labels * margin).mean()
    probability = xp.exp(-xp.logaddexp(0.0, -margin))
    return loss + 0.01 * (p[:3] @ p[:3]) + probability.mean()


def soft_kmeans(xp, p):
    """Soft k-means assignment with a softmin over squared distances (no argmin):
    responsibilities by a stable softmax of -d / T, then the weighted distortion."""
    centres = p[:6].reshape(2, 3)
    distances = ((_X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=-1)
    scores = -distances / 0.5
    scores = scores - scores.max(axis=1, keepdims=True)
    responsibility = xp.exp(scores)
    responsibility /= responsibility.sum(axis=1, keepdims=True)
    return (responsibility * distances).sum() / _X.shape[0]


def pca_by_reduced_svd(xp, p):
    """PCA reconstruction loss: centre the data, take the top two right singular vectors
    of np.linalg.svd(full_matrices=False), project and reconstruct."""
    data = _X * (1.0 + 0.2 * p[:3]) + 0.1 * p[3:27].reshape(8, 3)
    centred = data - data.mean(axis=0)
    _, singular, vt = xp.linalg.svd(centred, full_matrices=False)
    basis = vt[:2]
    reconstruction = centred @ basis.T @ basis
    return ((centred - reconstruction) ** 2).sum() + 0.01 * singular[0]


def factorization_machine(xp, p):
    """A second-order factorization machine: the pairwise interactions by the O(kn)
    identity 0.5 * ((x V)^2 - x^2 V^2).sum(1), a bias and linear terms, squared loss."""
    bias, linear = p[0], p[1:4]
    factors = p[4:10].reshape(3, 2)
    pairwise = 0.5 * ((_X @ factors) ** 2 - (_X ** 2) @ (factors ** 2)).sum(axis=1)
    prediction = bias + _X @ linear + pairwise
    return ((prediction - _Y) ** 2).mean()


def word2vec_negative_sampling(xp, p):
    """Skip-gram negative sampling: centre and context embeddings looked up by integer
    index arrays, positives' loss log1p(exp(-s)) and negatives' log1p(exp(s))."""
    centre = p[:8].reshape(4, 2)
    context = p[8:16].reshape(4, 2)
    pairs = np.array([[0, 1], [1, 2], [2, 3], [3, 0]])
    negatives = np.array([[2, 3], [3, 0], [0, 1], [1, 2]])
    positive = (centre[pairs[:, 0]] * context[pairs[:, 1]]).sum(axis=1)
    negative = xp.einsum("nd,nkd->nk", centre[pairs[:, 0]], context[negatives])
    return xp.log1p(xp.exp(-positive)).sum() + xp.log1p(xp.exp(negative)).sum()


def gp_marginal_likelihood(xp, p):
    """A Gaussian process's negative log marginal likelihood with an RBF kernel: the
    log determinant by np.linalg.slogdet, the quadratic form through the Cholesky
    factor (np.linalg.cholesky, then solve with it and its transpose)."""
    length = xp.exp(p[0])
    signal = xp.exp(p[1])
    noise = xp.exp(p[2] - 1.0)
    x = _X[:6, 0]
    kernel = signal * xp.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / length ** 2)
    covariance = kernel + noise * xp.eye(6)
    sign, log_det = xp.linalg.slogdet(covariance)
    lower = xp.linalg.cholesky(covariance)
    alpha = xp.linalg.solve(lower.T, xp.linalg.solve(lower, _Y[:6]))
    return 0.5 * _Y[:6] @ alpha + 0.5 * sign * log_det + 3.0 * np.log(2 * np.pi)


#: (program, parameters, whether HIPS autograd has every function the program calls)
PROGRAMS = [
    (ols_by_lstsq, _rng.normal(size=10), False),
    (ridge_by_solve, _rng.normal(size=4), True),
    (weighted_least_squares, _rng.normal(size=8), True),
    (garch_log_likelihood, _rng.normal(size=3), True),
    (probit_likelihood, _rng.normal(size=4) * 0.5, True),
    (jackknife_variance, _rng.normal(size=12), True),
    (kernel_density_estimate, _rng.normal(size=8), True),
    (mahalanobis_by_inverse_and_cholesky, _rng.normal(size=12) * 0.5, True),
    (conv2d_by_windows_and_einsum, _rng.normal(size=19) * 0.5, False),
    (separable_blur_by_convolve, _rng.normal(size=31), False),
    (bilinear_warp, _rng.normal(size=5) * 0.5, False),
    (soft_histogram, _rng.normal(size=8), True),
    (edge_energy, _rng.normal(size=30), False),
    (iir_filter_into_preallocated, _rng.normal(size=12), False),
    (rk4_pendulum, _rng.normal(size=4), True),
    (leapfrog_nbody, _rng.normal(size=28), False),
    (heat_rod_by_roll, _rng.normal(size=9), True),
    (spring_chain_energy, _rng.normal(size=13), True),
    (mlp_cross_entropy, _rng.normal(size=24), False),
    (logistic_regression_logaddexp, _rng.normal(size=4), True),
    (soft_kmeans, _rng.normal(size=6), False),
    (pca_by_reduced_svd, _rng.normal(size=27), True),
    (factorization_machine, _rng.normal(size=10), True),
    (word2vec_negative_sampling, _rng.normal(size=16) * 0.5, True),
    (gp_marginal_likelihood, _rng.normal(size=3) * 0.3, True),
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
