"""More of the twenty-sixth set of NumPy programs (``test_numpy_programs_twentysixth``):
graph attention (a softmax over each node's incoming edges by ``np.maximum.reduceat``
and ``np.add.reduceat``), kernel methods (kernel ridge regression over
``np.subtract.outer`` distances; a leave-one-out KDE with ``np.fill_diagonal``),
contingency tables (a chi-square statistic with margins by ``np.apply_over_axes``),
numerical linear algebra (modified Gram-Schmidt writing columns into a Tensor),
approximation (a Chebyshev series by Clenshaw's recurrence against
``np.polynomial.chebyshev.chebvander``), safe ratios (``np.divide(where=, out=)`` under
``np.errstate``), rigid bodies (a pendulum's energy by ``np.vectorize(signature=)``),
heat conduction (Crank-Nicolson steps with ``np.diag`` bands), robotics (a planar arm's
forward kinematics by ``np.cumsum`` of joint angles and a damped least-squares step
through ``np.linalg.multi_dot``), statistics (logistic regression by Newton's method;
a weighted quantile by ``np.argsort``, ``np.cumsum`` and ``np.interp``), molecular
dynamics (velocity Verlet on a spring ring with ``np.multiply(out=)`` and ``+=``),
fixed income (a bond's yield by Newton steps, its duration and convexity) and
histogram matching (``np.histogram`` bins of a ramp read back by ``np.digitize``).
Checked as every round is (``numpy_program_checks``), float32 included.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261227)
_EDGE_TARGETS = np.array([0, 0, 0, 1, 1, 2, 3, 3, 3, 3])  # sorted: segments by reduceat
_EDGE_SOURCES = np.array([1, 2, 3, 0, 2, 1, 0, 1, 2, 3])
_TRAIN_X = np.linspace(-2.0, 2.0, 9)
_TRAIN_Y = np.sin(1.3 * _TRAIN_X) + 0.1 * _rng.normal(size=9)
_SAMPLE = _rng.normal(size=12)
_TABLE = np.array([[[12.0, 7.0, 5.0], [9.0, 11.0, 6.0]], [[4.0, 8.0, 10.0], [6.0, 5.0, 9.0]]])
_DESIGN = np.column_stack([np.ones(14), _rng.normal(size=(14, 2))])
_LABELS = (_DESIGN @ np.array([0.3, 1.0, -0.8]) + 0.5 * _rng.normal(size=14) > 0).astype(float)


def edge_softmax_by_reduceat(xp, p):
    """Graph attention: scores on edges sorted by target node, each node's softmax
    over its incoming edges by ``np.maximum.reduceat`` (for stability) and
    ``np.add.reduceat`` at the segment starts, broadcast back with ``np.repeat``;
    messages summed per target the same way."""
    features = xp.reshape(p[:8], (4, 2))
    attention = np.array([0.7, -0.4])
    scores = xp.tanh(features[_EDGE_TARGETS] @ attention + features[_EDGE_SOURCES] @ attention)
    starts = np.flatnonzero(np.r_[True, _EDGE_TARGETS[1:] != _EDGE_TARGETS[:-1]])
    counts = np.diff(np.r_[starts, _EDGE_TARGETS.size])
    peaks = xp.maximum.reduceat(scores, starts)
    weights = xp.exp(scores - xp.repeat(peaks, counts))
    weights = weights / xp.repeat(xp.add.reduceat(weights, starts), counts)
    messages = xp.add.reduceat(weights[:, None] * features[_EDGE_SOURCES], starts, axis=0)
    return xp.sum(messages ** 2) + xp.sum(weights * np.arange(10)) / 10


def kernel_ridge_by_outer_differences(xp, p):
    """Kernel methods: a Gaussian kernel over ``np.subtract.outer`` of the training
    inputs, the ridge solution by ``np.linalg.solve``, predictions at test points by
    another outer difference; the log length scale, noise and amplitude in ``p``."""
    scale, noise, amplitude = xp.exp(0.3 * p[0]), 0.1 * xp.exp(0.3 * p[1]), xp.exp(0.3 * p[2])
    gram = amplitude * xp.exp(-0.5 * (np.subtract.outer(_TRAIN_X, _TRAIN_X) / scale) ** 2)
    alpha = xp.linalg.solve(gram + noise * np.eye(_TRAIN_X.size), _TRAIN_Y)
    test = np.array([-1.5, 0.25, 1.75])
    cross = amplitude * xp.exp(-0.5 * (np.subtract.outer(test, _TRAIN_X) / scale) ** 2)
    return xp.sum((cross @ alpha - np.sin(1.3 * test)) ** 2) + xp.sum(alpha ** 2) / 100


def leave_one_out_kde_bandwidth(xp, p):
    """Statistics: the leave-one-out log likelihood of a Gaussian kernel density
    estimate, the pairwise kernel by ``np.subtract.outer`` with its diagonal cleared by
    ``np.fill_diagonal``, at a bandwidth from ``p``."""
    bandwidth = 0.5 * xp.exp(0.5 * p[0])
    kernel = xp.exp(-0.5 * (np.subtract.outer(_SAMPLE, _SAMPLE) / bandwidth) ** 2)
    kernel = kernel / (bandwidth * np.sqrt(2 * np.pi))
    np.fill_diagonal(kernel, 0.0)
    density = xp.sum(kernel, axis=1) / (_SAMPLE.size - 1)
    return -xp.mean(xp.log(density)) + 0.01 * p[1] ** 2


def chi_square_by_apply_over_axes(xp, p):
    """Contingency tables: a 2 x 2 x 3 table of counts scaled by ``p``, the one-way
    margins by ``np.apply_over_axes(np.sum, ...)`` (keeping dimensions), the expected
    counts under independence from them, and Pearson's statistic."""
    table = _TABLE * xp.exp(0.1 * xp.reshape(p, (2, 1, 3)))
    total = xp.sum(table)
    rows = xp.apply_over_axes(xp.sum, table, [1, 2])
    cols = xp.apply_over_axes(xp.sum, table, [0, 2])
    layers = xp.apply_over_axes(xp.sum, table, [0, 1])
    expected = rows * cols * layers / total ** 2
    return xp.sum((table - expected) ** 2 / expected)


def modified_gram_schmidt(xp, p):
    """Numerical linear algebra: modified Gram-Schmidt on a 5 x 3 matrix, each
    orthonormal column written into a Tensor made by ``np.zeros_like`` and the projections
    into the triangular factor the same way; the factors' agreement with the matrix and
    the triangle's diagonal."""
    a = np.vander(np.linspace(-1.0, 1.0, 5), 3) + 0.2 * xp.reshape(p, (5, 3))
    q = np.zeros_like(a)
    r = np.zeros_like(a, shape=(3, 3))
    v = a.copy()
    for k in range(3):
        r[k, k] = np.linalg.norm(v[:, k])
        q[:, k] = v[:, k] / r[k, k]
        for j in range(k + 1, 3):
            r[k, j] = q[:, k] @ v[:, j]
            v[:, j] = v[:, j] - r[k, j] * q[:, k]
    misfit = xp.sum((q @ r - a) ** 2)
    return xp.sum(xp.abs(xp.diag(r))) + 1e3 * misfit + xp.sum(q[:, 2] * np.arange(5))


def chebyshev_series_by_clenshaw(xp, p):
    """Approximation: a Chebyshev series with coefficients from ``p`` evaluated by
    Clenshaw's recurrence at points mapped onto [-1, 1], against the same series as
    ``np.polynomial.chebyshev.chebvander(x, deg) @ c``; its least-squares misfit to a
    target."""
    coefficients = np.array([1.0, 0.5, -0.25, 0.125, 0.0625]) * (1 + 0.2 * p)
    points = 2 * (np.linspace(0.0, 3.0, 9) - 1.5) / 3
    b_next, b_after = 0 * points, 0 * points
    for c in coefficients[:0:-1]:
        b_next, b_after = c + 2 * points * b_next - b_after, b_next
    clenshaw = coefficients[0] + points * b_next - b_after
    by_vandermonde = np.polynomial.chebyshev.chebvander(points, 4) @ coefficients
    target = np.exp(points)
    return xp.sum((clenshaw - target) ** 2) + xp.sum(by_vandermonde * points)


def safe_ratios_under_errstate(xp, p):
    """Safe ratios: yields per hectare where some plots have no area, by
    ``np.divide(..., out=np.zeros_like(...), where=area > 0)`` inside
    ``np.errstate(divide="ignore", invalid="ignore")``, and log ratios by ``np.log``
    with ``where=`` as well; both read only where defined."""
    area = np.array([2.0, 0.0, 1.5, 0.0, 3.0, 0.5])
    harvest = 10 * xp.exp(0.2 * p)
    with np.errstate(divide="ignore", invalid="ignore"):
        yields = np.divide(harvest, area, out=np.zeros_like(harvest), where=area > 0)
        log_yields = np.log(yields, out=np.full_like(yields, -1.0), where=area > 0)
    return xp.sum(yields) / 10 + xp.sum(log_yields)


def pendulum_energies_by_vectorize_signature(xp, p):
    """Rigid bodies: a double pendulum's energy at several states, a Python function
    of one state vector applied over the rows by ``np.vectorize(signature="(n)->()")``;
    the spread of the energies along a short trajectory."""
    def energy(state):
        theta_1, theta_2, omega_1, omega_2 = state[0], state[1], state[2], state[3]
        kinetic = omega_1 ** 2 + 0.5 * omega_2 ** 2 + omega_1 * omega_2 * np.cos(theta_1 - theta_2)
        potential = -2 * 9.81 * np.cos(theta_1) - 9.81 * np.cos(theta_2)
        return kinetic + potential

    times = np.linspace(0.0, 1.0, 5)[:, None]
    states = xp.stack([0.5 + 0.1 * p[0] + 0 * times[:, 0], -0.3 + 0.1 * p[1] - 0.2 * times[:, 0],
                       0.2 * p[2] * np.cos(times[:, 0]), 0.1 + 0.2 * p[3] * np.sin(times[:, 0])],
                      axis=1)
    energies = np.vectorize(energy, signature="(n)->()")(states)
    return xp.std(energies) + xp.mean(energies) / 10


def crank_nicolson_rod(xp, p):
    """Heat conduction: a rod with fixed-temperature ends, the diffusivity profile from
    ``p``, stepped by Crank-Nicolson with the tridiagonal operator from ``np.diag``
    bands (``k=1``, ``k=-1``) and ``np.linalg.solve``; the heat left and the flux out."""
    n, dx, dt = 8, 1 / 9, 0.002
    interfaces = 1.0 + 0.3 * xp.tanh(p[np.arange(n + 1) % p.size])
    main = -(interfaces[:-1] + interfaces[1:])
    operator = (xp.diag(main) + xp.diag(interfaces[1:-1], k=1)
                + xp.diag(interfaces[1:-1], k=-1)) / dx ** 2
    explicit = np.eye(n) + dt / 2 * operator
    implicit = np.eye(n) - dt / 2 * operator
    u = np.sin(np.pi * np.arange(1, n + 1) * dx)
    for _ in range(10):
        u = xp.linalg.solve(implicit, explicit @ u)
    flux = interfaces[0] * u[0] / dx + interfaces[-1] * u[-1] / dx
    return xp.sum(u) * dx + 0.01 * flux


def planar_arm_damped_least_squares(xp, p):
    """Robotics: a three-link planar arm, the link directions by ``np.cumsum`` of the
    joint angles, the end effector by sums of link vectors; its Jacobian by reversed
    cumulative sums, and one damped least-squares step toward a target through
    ``np.linalg.multi_dot``; the remaining error after the step."""
    lengths = np.array([1.0, 0.8, 0.5])

    def tip_and_jacobian(joints):
        headings = xp.cumsum(joints)
        links = xp.stack([lengths * xp.cos(headings), lengths * xp.sin(headings)])
        tip = xp.sum(links, axis=1)
        outward = xp.cumsum(links[:, ::-1], axis=1)[:, ::-1]   # links from joint k on
        jacobian = xp.stack([-outward[1], outward[0]])
        return tip, jacobian

    joints = np.array([0.3, 0.5, -0.4]) + 0.2 * p
    target = np.array([1.2, 1.1])
    tip, jacobian = tip_and_jacobian(joints)
    damping = 0.05
    step = xp.linalg.multi_dot([jacobian.T, xp.linalg.inv(jacobian @ jacobian.T
                                                          + damping * np.eye(2)), target - tip])
    new_tip, _ = tip_and_jacobian(joints + step)
    return xp.sum((new_tip - target) ** 2) * 100 + xp.sum((tip - target) ** 2)


def logistic_regression_by_newton(xp, p):
    """Statistics: logistic regression fitted by four Newton steps from a starting
    point in ``p`` (the Hessian ``X^T W X`` and the step by ``np.linalg.solve``), with a
    ridge penalty; the penalized log likelihood at the end."""
    weights = 0.3 * p
    ridge = 0.5
    for _ in range(4):
        probabilities = 1 / (1 + xp.exp(-(_DESIGN @ weights)))
        gradient = _DESIGN.T @ (_LABELS - probabilities) - ridge * weights
        spread = probabilities * (1 - probabilities)
        curvature = (_DESIGN.T * spread) @ _DESIGN + ridge * np.eye(3)
        weights = weights + xp.linalg.solve(curvature, gradient)
    logits = _DESIGN @ weights
    log_likelihood = xp.sum(_LABELS * logits - xp.logaddexp(0.0, logits))
    return log_likelihood - ridge / 2 * xp.sum(weights ** 2) + xp.sum(weights * p) / 10


def weighted_quantile_by_interpolation(xp, p):
    """Statistics: weighted quantiles of a sample, the values ordered by ``np.argsort``,
    the weights reordered with them, the midpoint cumulative weights by ``np.cumsum``
    and the quantiles read off by ``np.interp``; the interquartile range."""
    values = _SAMPLE + 0.1 * p[:_SAMPLE.size]
    weights = xp.exp(0.2 * p[_SAMPLE.size:]) * np.linspace(0.5, 1.5, _SAMPLE.size)
    order = xp.argsort(values)
    sorted_values, sorted_weights = values[order], weights[order]
    cumulative = xp.cumsum(sorted_weights) - sorted_weights / 2
    cumulative = cumulative / xp.sum(sorted_weights)
    lower, median, upper = (xp.interp(q, cumulative, sorted_values) for q in (0.25, 0.5, 0.75))
    return upper - lower + median


def velocity_verlet_spring_ring(xp, p):
    """Molecular dynamics: a ring of four masses joined by springs, velocity Verlet
    steps written in place (``+=`` on positions and velocities, the half-kick by
    ``np.multiply(..., out=)`` into a Tensor buffer); the energy drift after the run."""
    stiffness = 2.0 * xp.exp(0.2 * p[:4])
    rest = 1.0

    def forces(x):
        stretch = xp.roll(x, -1) - x - rest
        stretch = stretch + 4 * rest * (np.arange(4) == 3)   # the ring closes
        tension = stiffness * stretch
        return tension - xp.roll(tension, 1)

    def energy(x, v):
        stretch = xp.roll(x, -1) - x - rest + 4 * rest * (np.arange(4) == 3)
        return 0.5 * xp.sum(v ** 2) + 0.5 * xp.sum(stiffness * stretch ** 2)

    x = np.arange(4.0) + 0.1 * np.array([1.0, -1.0, 0.5, 0.0]) + 0 * p[0]
    v = np.zeros(4) + 0.1 * p[4]
    start = energy(x, v)
    kick = np.zeros_like(stiffness)
    dt = 0.05
    for _ in range(20):
        np.multiply(forces(x), dt / 2, out=kick)
        v += kick
        x += dt * v
        np.multiply(forces(x), dt / 2, out=kick)
        v += kick
    return 1e3 * (energy(x, v) - start) + xp.sum(x * np.arange(4)) / 10


def bond_yield_duration_convexity(xp, p):
    """Fixed income: a bond's yield to maturity from its price by Newton steps on the
    price-yield function, then its Macaulay duration and convexity at that yield; the
    coupon and price from ``p``."""
    times = np.arange(1, 11) / 2
    coupon = 2.5 + 0.5 * xp.tanh(p[0])
    flows = xp.full_like(times, 1.0) * coupon + 100.0 * (times == times[-1])
    price = 98.0 + p[1]
    rate = 0.05 + 0 * p[1]
    for _ in range(6):
        discount = xp.exp(-rate * times)
        rate = rate + (xp.sum(flows * discount) - price) / xp.sum(times * flows * discount)
    discount = xp.exp(-rate * times)
    duration = xp.sum(times * flows * discount) / price
    convexity = xp.sum(times ** 2 * flows * discount) / price
    return 100 * rate + duration + convexity / 10


def histogram_matching(xp, p):
    """Histogram matching: a ramp's values binned by ``np.histogram`` (fixed edges) and
    each value's bin by ``np.digitize``; the values moved toward the bin centres of a
    target distribution's cumulative counts by ``np.interp``."""
    values = np.linspace(0.0, 1.0, 16) ** (1 + 0.2 * p[0]) + 0.05 * p[1:17]
    edges = np.linspace(-0.2, 1.3, 7)
    counts, _ = np.histogram(np.linspace(0.0, 1.0, 16) ** 1.2, bins=edges)
    bins = np.clip(np.digitize(np.linspace(0.0, 1.0, 16), edges) - 1, 0, counts.size - 1)
    cumulative = np.cumsum(counts) / counts.sum()
    target = np.linspace(0.0, 1.0, counts.size) ** 0.5
    mapped = xp.interp(values, (edges[:-1] + edges[1:]) / 2, cumulative * target[-1])
    return xp.sum((mapped - target[bins]) ** 2)


PROGRAMS = [
    (edge_softmax_by_reduceat, _rng.normal(0, 0.5, size=8), False),  # autograd: reduceat
    (kernel_ridge_by_outer_differences, _rng.normal(0, 0.5, size=3), True),
    (leave_one_out_kde_bandwidth, _rng.normal(0, 0.5, size=2), False),  # fill_diagonal
    (chi_square_by_apply_over_axes, _rng.normal(0, 0.5, size=6), False),  # apply_over_axes
    (modified_gram_schmidt, _rng.normal(0, 0.5, size=15), False),  # autograd: writes
    (chebyshev_series_by_clenshaw, _rng.normal(0, 0.5, size=5), True),
    (safe_ratios_under_errstate, _rng.normal(0, 0.5, size=6), False),  # out=, where=
    (pendulum_energies_by_vectorize_signature, _rng.normal(0, 0.5, size=4), False),
    (crank_nicolson_rod, _rng.normal(0, 0.5, size=4), True),
    (planar_arm_damped_least_squares, _rng.normal(0, 0.5, size=3), False),  # multi_dot
    (logistic_regression_by_newton, _rng.normal(0, 0.5, size=3), True),
    (weighted_quantile_by_interpolation, _rng.normal(0, 0.5, size=24), False),  # interp
    (velocity_verlet_spring_ring, _rng.normal(0, 0.5, size=5), False),  # in place
    (bond_yield_duration_convexity, _rng.normal(0, 0.5, size=2), True),
    (histogram_matching, _rng.normal(0, 0.5, size=17), False),  # autograd: interp
]

globals().update(program_tests(PROGRAMS, float32=True, finite=True))  # the shared checks
