"""More short NumPy programs of the kind scientists and students write (an RK4
integrator, a spring network, a KDE, multi-head attention, a Thomas solver with
in-place updates, group sums with np.add.at ...), each differentiated unchanged with
``ad.grad``: the value is NumPy's to the bit, the gradient matches central differences
in float64 and HIPS autograd where autograd has every function used, and the second
derivatives (``ad.gradgradcheck``, ``ad.hessian``) match central differences.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text.  Programs NumPy cannot run on a
Tensor with a gradient (np.frompyfunc over Python code, an ndarray made with np.zeros
to store into) are kept with a test that the error names the cause and the fix."""

import numpy as np
import pytest

import autodiff as ad

from numpy_program_checks import central_difference, program_tests

_rng = np.random.default_rng(20261206)
_X = _rng.normal(size=(15, 2))
_Y = _rng.normal(size=15)
_IMAGE = _rng.normal(size=(6, 7))
_GROUPS = np.array([0, 2, 1, 0, 2, 2, 1, 0])


def rk4_oscillator(xp, p):
    """Damped oscillator x'' = -k x - c x' integrated with explicit RK4 in a loop."""
    k, c = p[0], p[1]

    def rhs(state):
        return xp.stack([state[1], -k * state[0] - c * state[1]])

    state = xp.array([1.0, 0.0]) * p[2]
    h = 0.1
    trajectory = [state]
    for _ in range(20):
        k1 = rhs(state)
        k2 = rhs(state + 0.5 * h * k1)
        k3 = rhs(state + 0.5 * h * k2)
        k4 = rhs(state + h * k3)
        state = state + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        trajectory.append(state)
    path = xp.stack(trajectory)
    return xp.sum(path[:, 0] ** 2) * h + state[1]


def spring_network(xp, p):
    """Potential energy of unit springs between all pairs of 2-D masses."""
    positions = p.reshape(-1, 2)
    i, j = xp.triu_indices(len(positions), k=1)
    lengths = xp.linalg.norm(positions[i] - positions[j], axis=1)
    return 0.5 * xp.sum((lengths - 1.0) ** 2)


def clipped_cross_entropy(xp, p):
    """Logistic regression with probabilities clipped away from 0 and 1 and an L2 term."""
    w, b = p[:2], p[2]
    labels = (_Y > 0).astype(float)
    probs = 1.0 / (1.0 + xp.exp(-(_X @ w + b)))
    probs = xp.clip(probs, 1e-7, 1 - 1e-7)
    nll = -xp.mean(labels * xp.log(probs) + (1 - labels) * xp.log(1 - probs))
    return nll + 0.01 * xp.linalg.norm(w) ** 2 + xp.mean(xp.logaddexp(0.0, _X @ w))


def laplacian_2d(xp, p):
    """Dirichlet energy of an image: periodic 5-point Laplacian by roll, zero-padded one by pad."""
    u = p.reshape(4, 5)
    periodic = (xp.roll(u, 1, axis=0) + xp.roll(u, -1, axis=0) + xp.roll(u, 1, axis=1)
                + xp.roll(u, -1, axis=1) - 4 * u)
    padded = xp.pad(u, 1)
    dirichlet = (padded[:-2, 1:-1] + padded[2:, 1:-1] + padded[1:-1, :-2] + padded[1:-1, 2:]
                 - 4 * u)
    shifted = xp.roll(u, (1, -2), axis=(0, 1))
    return -xp.sum(u * periodic) + xp.sum(dirichlet ** 2) * 0.1 + xp.sum(shifted * u)


def multihead_attention(xp, p):
    """Two-head self-attention over a batch with 4-D einsum and a masked softmax."""
    x = _X[:8].reshape(2, 4, 2)
    wq, wk = p[:8].reshape(2, 2, 2), p[8:16].reshape(2, 2, 2)
    q = xp.einsum("btd,hde->bhte", x, wq)
    k = xp.einsum("btd,hde->bhte", x, wk)
    scores = q @ xp.swapaxes(k, -1, -2) / xp.sqrt(2.0)
    causal = xp.tril(xp.ones((4, 4), dtype=bool))
    scores = xp.where(causal, scores, -1e9)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = xp.exp(scores)
    weights = weights / weights.sum(axis=-1, keepdims=True)
    out = xp.einsum("bhts,bsd->bhtd", weights, x)
    return xp.sum(out ** 2)


def kernel_density(xp, p):
    """Leave-one-out log likelihood of a Gaussian KDE with a per-dimension bandwidth."""
    bandwidth = xp.exp(p[:2])
    diffs = (_X[:, None, :] - _X[None, :, :]) / bandwidth
    log_kernel = -0.5 * xp.sum(diffs ** 2, axis=-1) - xp.sum(xp.log(bandwidth)) - xp.log(2 * xp.pi)
    log_kernel = log_kernel - 1e3 * xp.eye(len(_X))
    peak = xp.max(log_kernel, axis=1, keepdims=True)
    log_density = peak[:, 0] + xp.log(xp.sum(xp.exp(log_kernel - peak), axis=1) / (len(_X) - 1))
    return -xp.mean(log_density)


def time_series(xp, p):
    """Random walk from increments, its smoothness, and returns from a price series."""
    path = xp.cumsum(p)
    roughness = xp.sum(xp.diff(path, n=2) ** 2)
    steps = xp.diff(path, prepend=0.0)
    prices = 100 * xp.exp(xp.cumsum(0.01 * p))
    returns = xp.diff(prices) / prices[:-1]
    smoothed = xp.cumsum(xp.reshape(p, (2, -1)), axis=1).mean(axis=0)
    return roughness + xp.sum(steps * p) + xp.std(returns) + xp.sum(smoothed)


def piecewise_response(xp, p):
    """A smooth-step, a Huber loss and a soft-threshold written with where and piecewise."""
    residual = p - 0.2
    huber = xp.where(xp.abs(residual) <= 0.5, 0.5 * residual ** 2,
                     0.5 * (xp.abs(residual) - 0.25))
    soft = xp.sign(p) * xp.maximum(xp.abs(p) - 0.3, 0.0)
    ramp = xp.piecewise(p, [p < 0, p > 1], [0.0, 1.0, lambda t: 3 * t ** 2 - 2 * t ** 3])
    return xp.sum(huber) + xp.sum(soft ** 2) + xp.sum(ramp)


def interp_and_polyval(xp, p):
    """A lookup table interpolated at moving points, a cubic evaluated at a parameter."""
    grid = xp.linspace(0.0, 1.0, 6)
    table = xp.sin(3 * grid)
    query = xp.clip(p[:3], 0.0, 1.0)
    looked_up = xp.interp(query, grid, table)
    cubic = xp.polyval(xp.array([1.0, -2.0, 0.5, 3.0]), p[3:])
    return xp.sum(looked_up ** 2) + xp.sum(cubic)


def image_warp(xp, p):
    """Bilinear resampling of an image shifted by a parameter, on a meshgrid of pixels."""
    image = _IMAGE * p[2]
    rows, cols = xp.meshgrid(xp.arange(1.0, 5.0), xp.arange(1.0, 6.0), indexing="ij")
    y = rows + p[0]
    x = cols + p[1]
    y0 = xp.floor(y).astype(int)
    x0 = xp.floor(x).astype(int)
    wy, wx = y - y0, x - x0
    top = (1 - wx) * image[y0, x0] + wx * image[y0, x0 + 1]
    bottom = (1 - wx) * image[y0 + 1, x0] + wx * image[y0 + 1, x0 + 1]
    warped = (1 - wy) * top + wy * bottom
    return xp.sum(warped ** 2)


def tight_binding(xp, p):
    """Ground-state energy of a chain: the lowest eigenvalues of a hopping Hamiltonian,
    the occupied states' densities, and eigvalsh."""
    hopping = p[:5]
    onsite = p[5:]
    hamiltonian = xp.diag(onsite) - xp.diag(hopping, 1) - xp.diag(hopping, -1)
    energies, states = xp.linalg.eigh(hamiltonian)
    occupied = energies[:3]
    density = xp.sum(states[:, :3] ** 2, axis=1)
    spread = xp.sum(xp.linalg.eigvalsh(hamiltonian) ** 2)
    return 2 * xp.sum(occupied) + xp.sum(density * onsite) + 0.01 * spread


def robust_losses(xp, p):
    """Trimmed mean, median absolute deviation, interquartile range and a top-k loss."""
    residuals = p - _Y[:p.size]
    ordered = xp.sort(xp.abs(residuals))
    trimmed = xp.mean(ordered[1:-1])
    mad = xp.median(xp.abs(residuals - xp.median(residuals)))
    q25, q75 = xp.percentile(residuals, [25, 75])
    topk = xp.sum(ordered[-3:])
    return trimmed + mad + (q75 - q25) + topk


def ufunc_methods(xp, p):
    """Group sums scattered with add.at, reduce, accumulate and outer of ufuncs, running
    differences and quotients."""
    values = p[:8]
    totals = xp.zeros_like(values, shape=3)
    xp.add.at(totals, _GROUPS, values)
    table = p.reshape(3, 4)
    column_max = xp.maximum.reduce(table, axis=0)
    running = xp.multiply.accumulate(1 + 0.1 * p[:5])
    pair = xp.subtract.outer(p[:3], p[3:6])
    differences = xp.subtract.reduce(table, axis=1)
    quotients = xp.divide.accumulate(2.0 + p[4:8] ** 2)
    return (xp.sum(totals ** 2) + xp.sum(column_max) + running[-1] + xp.sum(pair ** 2)
            + xp.logaddexp.reduce(p) + xp.sum(differences ** 2) + xp.sum(quotients))


def apply_along_axis(xp, p):
    """A per-row function applied with apply_along_axis."""
    table = p.reshape(3, 4)
    row_norms = xp.apply_along_axis(lambda r: xp.sqrt(xp.sum(r ** 2)), 1, table)
    return xp.sum(row_norms)


def blocks_and_splits(xp, p):
    """Split a parameter vector by sizes, stack and concatenate the blocks, block matrices."""
    weights, bias, scale = xp.split(p, [6, 8])
    w = weights.reshape(2, 3)
    left, right = xp.hsplit(w, [1])
    rebuilt = xp.concatenate([right, left], axis=1)
    pair = xp.stack([bias, 2 * scale], axis=-1)
    block = xp.block([[w, pair], [pair.T @ w, xp.eye(2)]])
    return xp.sum(rebuilt * w) + xp.sum(block ** 2) + xp.sum(xp.vstack([bias, bias[::-1]]))


def thomas_solver(xp, p):
    """A tridiagonal system solved by the Thomas algorithm with in-place updates in loops."""
    n = 5
    lower = xp.full(n, -1.0)
    diagonal = 4.0 + p[:n] ** 2
    upper = xp.full(n, -1.0)
    rhs = p[n:].copy()
    c = xp.zeros_like(rhs)
    d = xp.zeros_like(rhs)
    c[0] = upper[0] / diagonal[0]
    d[0] = rhs[0] / diagonal[0]
    for i in range(1, n):
        denominator = diagonal[i] - lower[i] * c[i - 1]
        c[i] = upper[i] / denominator
        d[i] = (rhs[i] - lower[i] * d[i - 1]) / denominator
    solution = xp.empty_like(d)
    solution[-1] = d[-1]
    for i in range(n - 2, -1, -1):
        solution[i] = d[i] - c[i] * solution[i + 1]
    solution[1:] += 0.1 * solution[:-1]
    return xp.sum(solution ** 2)


def axis_tuples_and_stacks(xp, p):
    """Reductions over several axes and a matmul broadcast over stacks."""
    volume = p[:24].reshape(2, 3, 4)
    per_channel = volume.sum(axis=(0, 2))
    centred = volume - volume.mean(axis=(1, 2), keepdims=True)
    spread = xp.var(centred, axis=(0, 1))
    stacks = volume[:, None, :, :3] @ p[24:33].reshape(1, 3, 3)[None]
    batched = xp.matmul(p[24:33].reshape(3, 3), volume[..., :3].transpose(0, 2, 1))
    return xp.sum(per_channel ** 2) + xp.sum(spread) + xp.sum(stacks) * 0.1 + xp.max(batched)


def scalar_mixing(xp, p):
    """np.float64 constants, Python floats and 0-d arrays mixed with a parameter; the log
    of a clipped value in an errstate block, its -inf masked out with where."""
    rate = xp.float64(0.5)
    scale = xp.array(2.0)
    with xp.errstate(divide="ignore", invalid="ignore"):
        logs = xp.log(xp.maximum(p, 0.0))
        safe = xp.where(xp.isfinite(logs), logs, 0.0)
    value = rate * xp.sum(p ** 2) + scale * xp.sum(safe) + float(np.pi) * p[0] / xp.float64(3)
    return value + xp.float64(1.0) * xp.exp(-p[1] * rate)


def mixture_log_likelihood(xp, p):
    """Log likelihood of a 1-D Gaussian mixture with a logsumexp over components."""
    logits, means, log_scales = p[:3], p[3:6], p[6:9]
    log_weights = logits - xp.logaddexp.reduce(logits)
    z = (_Y[:, None] - means) / xp.exp(log_scales)
    log_component = -0.5 * z ** 2 - log_scales - 0.5 * xp.log(2 * xp.pi)
    return -xp.sum(xp.logaddexp.reduce(log_weights + log_component, axis=1))


def survival_curve(xp, p):
    """Discrete-time survival: hazards by sigmoid, survival by cumprod, and a hazard sum."""
    hazards = 1 / (1 + xp.exp(-p))
    survival = xp.cumprod(1 - hazards)
    cumulative_hazard = xp.cumsum(-xp.log1p(-hazards))
    expected_lifetime = xp.sum(survival)
    return expected_lifetime + xp.sum(xp.abs(xp.exp(-cumulative_hazard) - survival)) + survival[-1]


def group_means(xp, p):
    """Means per group by unique with return_inverse, bincount and add.at."""
    labels, inverse = xp.unique(_GROUPS, return_inverse=True)
    counts = xp.bincount(inverse)
    sums = xp.zeros_like(p, shape=len(labels))
    xp.add.at(sums, inverse, p)
    xp.subtract.at(sums, (inverse,), 0.1 * p ** 2)
    means = sums / counts
    return xp.sum((p - means[inverse]) ** 2)


def periodic_neighbours(xp, p):
    """A ring of particles with neighbours taken by index with mode="wrap", and a chain
    whose ends repeat their last particle with mode="clip"."""
    n = p.size
    left = xp.take(p, xp.arange(n) - 1, mode="wrap")
    right = xp.take(p, xp.arange(n) + 1, mode="wrap")
    ring = xp.sum((right - p) ** 2 + 0.5 * (left - p) ** 4)
    chain = xp.take(p, xp.arange(-1, n + 1), mode="clip")
    table = p[:6].reshape(2, 3)
    columns = xp.take(table, [0, 4, -1], axis=1, mode="wrap")
    return ring + xp.sum(xp.diff(chain) ** 2 * xp.arange(n + 1)) + xp.sum(columns ** 3)


def heat_plate(xp, p):
    """Explicit heat steps on a plate reshaped from a copy of the parameters, with
    boundary rows and columns written in place each step."""
    u = p.copy().reshape(3, 4)
    for _ in range(3):
        u[0, :] = 0.5 * u[1, :]
        u[:, -1] = u[:, -2]
        inner = u[1:-1, 1:-1]
        u[1:-1, 1:-1] = inner + 0.1 * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2]
                                       + u[1:-1, 2:] - 4 * inner)
    return xp.sum(u ** 2)


def newton_system(xp, p):
    """Newton steps for a 2-D nonlinear system with the Jacobian built by stacking."""
    x = xp.array([1.0, 1.0])
    for _ in range(4):
        f = xp.stack([x[0] ** 2 + x[1] ** 2 - p[0], x[0] - x[1] * p[1]])
        jac = xp.stack([xp.stack([2 * x[0], 2 * x[1]]), xp.stack([xp.ones(()), -p[1]])])
        x = x - xp.linalg.solve(jac, f)
    return x[0] + 2 * x[1]


#: (program, parameters, whether HIPS autograd has every function the program calls)
PROGRAMS = [
    (rk4_oscillator, np.array([2.0, 0.3, 1.1]), True),
    (spring_network, _rng.normal(size=10), True),
    (clipped_cross_entropy, np.array([0.5, -0.3, 0.1]), True),
    (laplacian_2d, _rng.normal(size=20), False),             # autograd: pad with no mode
    (multihead_attention, _rng.normal(size=16), True),
    (kernel_density, np.array([-0.5, -0.2]), True),
    (time_series, _rng.normal(size=8), False),               # no diff(prepend=)
    (piecewise_response, np.array([-0.4, 0.1, 0.5, 0.9, 1.4, 0.25]), False),  # no piecewise
    (interp_and_polyval, np.array([0.15, 0.55, 0.9, 0.3, -1.2]), False),  # no interp
    (image_warp, np.array([0.3, 0.6, 1.2]), True),
    (tight_binding, _rng.normal(size=11), False),            # no eigvalsh
    (robust_losses, _rng.normal(size=9), False),             # no median, percentile
    (ufunc_methods, _rng.normal(size=12), False),            # no ufunc methods
    (apply_along_axis, _rng.normal(size=12), False),         # no apply_along_axis
    (blocks_and_splits, _rng.normal(size=10), True),
    (thomas_solver, _rng.normal(size=10), False),            # no item assignment
    (axis_tuples_and_stacks, _rng.normal(size=33), False),   # no transpose(*axes)
    # (autograd: NaN where the log of 0 is masked out, the where trap)
    (scalar_mixing, np.array([0.7, -0.3, 1.5, -0.5]), False),
    (mixture_log_likelihood, _rng.normal(size=9), False),    # no logaddexp.reduce
    (survival_curve, _rng.normal(size=6), False),            # no cumprod gradient
    (group_means, _rng.normal(size=8), False),               # no add.at
    (periodic_neighbours, _rng.normal(size=7), False),      # no take gradient
    (heat_plate, _rng.normal(size=12), False),               # no item assignment
    (newton_system, np.array([2.0, 0.8]), True),
]

_IDS = [program.__name__ for program, _, _ in PROGRAMS]
globals().update(program_tests(PROGRAMS))     # the four checks of every round


@pytest.mark.parametrize("program, p", [(f, p) for f, p, _ in PROGRAMS], ids=_IDS)
def test_a_programs_second_derivatives_match_central_differences(program, p):
    assert ad.gradgradcheck(lambda t: program(np, t), [p.copy()])




def _group_sums_into_zeros(p):
    totals = np.zeros(3)
    np.add.at(totals, _GROUPS, p)
    return np.sum(totals ** 2)


def _smoothing_into_zeros(p):
    out = np.zeros(len(p))
    out[0] = p[0]
    for i in range(1, len(p)):
        out[i] = 0.8 * out[i - 1] + 0.2 * p[i]
    return np.sum(out)


def test_add_at_into_an_ndarray_names_the_target_and_zeros_like():
    p = _rng.normal(size=8)
    with pytest.raises(TypeError, match=r"numpy\.add\.at writes into its first argument, "
                                        r"here an ndarray \(shape \(3,\).*"
                                        r"np\.zeros_like\(values, shape=\(3,\)\)"):
        ad.grad(_group_sums_into_zeros)(p)
    # written as the error says, it differentiates (group_means above is this program)
    fixed = ad.grad(lambda t: np.sum(_group_sums_target_fixed(t) ** 2))(p)
    np.testing.assert_allclose(fixed, central_difference(_group_sums_into_zeros, p),
                               rtol=1e-6)


def _group_sums_target_fixed(p):
    totals = np.zeros_like(p, shape=3)
    np.add.at(totals, _GROUPS, p)
    return totals


def test_storing_into_an_ndarray_in_a_loop_is_refused_naming_the_line():
    # NumPy itself turns the TypeError into "setting an array element with a sequence"
    # (a Tensor is a sequence); the library's message is its direct cause.
    with pytest.raises(ValueError, match="setting an array element") as refused:
        ad.grad(_smoothing_into_zeros)(_rng.normal(size=5))
    cause = refused.value.__cause__
    assert isinstance(cause, TypeError)
    assert "stored into an ndarray (a[key] = t)" in str(cause)
    assert "a = np.zeros_like(t, shape=...) instead of np.zeros(...)" in str(cause)
    assert "test_numpy_programs_third.py" in str(cause)


def _covariance_from_cholesky_entries(p):
    lower = np.zeros((3, 3))
    lower[np.tril_indices(3)] = p
    return np.sum(lower @ lower.T)


def test_a_slice_stored_into_an_ndarray_is_refused_naming_the_fix():
    p = _rng.normal(size=6)
    with pytest.raises(TypeError, match=r"stored into an ndarray \(a\[key\] = t\), which "
                                        r"cannot hold a gradient .*np\.zeros_like\(t, "
                                        r"shape=\.\.\.\)"):
        ad.grad(_covariance_from_cholesky_entries)(p)

    def fixed(t):
        lower = np.zeros_like(t, shape=(3, 3))
        lower[np.tril_indices(3)] = t
        return np.sum(lower @ lower.T)
    np.testing.assert_allclose(ad.grad(fixed)(p),
                               central_difference(_covariance_from_cholesky_entries, p),
                               rtol=1e-6)


def test_numpy_polynomial_with_coefficients_on_the_tape_is_refused_naming_vander():
    x = np.linspace(-1.0, 1.0, 5)
    c = _rng.normal(size=4)
    with pytest.raises(TypeError, match=r"by numpy\.polynomial, .*polyvander\(x, deg\) @ c"):
        ad.grad(lambda t: np.sum(np.polynomial.Polynomial(t)(x) ** 2))(c)
    with pytest.raises(TypeError, match=r"by numpy\.polynomial, .*legvander"):
        ad.grad(lambda t: np.sum(np.polynomial.legendre.legval(x, t) ** 2))(c)
    # the suggested products differentiate and agree with numpy.polynomial's values
    power_series, legendre = np.polynomial.polynomial, np.polynomial.legendre
    for vander, evaluate in [(power_series.polyvander, power_series.polyval),
                             (legendre.legvander, legendre.legval)]:
        def loss(t, vander=vander):
            return np.sum((vander(x, 3) @ t) ** 2)
        np.testing.assert_allclose(loss(ad.tensor(c)).data, np.sum(evaluate(x, c) ** 2),
                                   rtol=1e-13)
        np.testing.assert_allclose(ad.grad(loss)(c), central_difference(
            lambda a, evaluate=evaluate: np.sum(evaluate(x, a) ** 2), c), rtol=1e-6)


def _softplus_of_a_number(v):
    return float(np.log1p(np.exp(v)))


def test_np_vectorize_and_frompyfunc_over_python_code_record_the_calls():
    p = _rng.normal(size=4)
    sigmoid = 1 / (1 + np.exp(-p))
    # np.vectorize calls the function on 0-d Tensors (numpy_vectorize.py); its float()
    # is an explicit exit, so write it with NumPy's functions alone
    np.testing.assert_allclose(
        ad.grad(lambda t: np.sum(np.vectorize(lambda v: np.log1p(np.exp(v)))(t)))(p),
        sigmoid, rtol=1e-14)
    # np.frompyfunc likewise (numpy_frompyfunc.py); float() in the function is named
    np.testing.assert_allclose(
        ad.grad(lambda t: np.sum(np.frompyfunc(lambda v: np.log1p(np.exp(v)), 1, 1)(t)))(p),
        sigmoid, rtol=1e-14)
    with pytest.warns(ad.TapeDropWarning, match=r"np\.frompyfunc ufunc .*every call gave a "
                                                r"plain number.*float\(v\)"):
        ad.grad(lambda t: np.sum(np.frompyfunc(_softplus_of_a_number, 1, 1)(t)))(p)
    # the other suggested fixes give the sigmoid, softplus's derivative, too
    np.testing.assert_allclose(ad.grad(lambda t: np.sum(np.log1p(np.exp(t))))(p), sigmoid,
                               rtol=1e-14)
    np.testing.assert_allclose(
        ad.grad(lambda t: np.sum(ad.vmap(lambda v: np.log1p(np.exp(v)))(t)))(p), sigmoid,
        rtol=1e-14)
