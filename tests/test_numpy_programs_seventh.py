"""A seventh set of short NumPy programs, in the style of scientific-computing textbooks
and cookbooks rather than of machine learning: PDE steps (leapfrog waves on a wrapped
grid, upwind Burgers, Crank-Nicolson with a variable diffusivity), ODE integrators
(Heun, symplectic Euler), root finding (Halley on Kepler's equation), iterative solvers
(conjugate gradients, Gauss-Seidel, coordinate descent), quadrature (Romberg, Gauss
rules from numpy.polynomial), interpolation (Clenshaw, barycentric, de Casteljau),
statistics (an HMM forward pass, a Cox partial likelihood, Bradley-Terry, a Hawkes
process, Bayesian evidence, Yule-Walker, leave-one-out ridge), finance (a binomial
tree), geometry (Gram-Schmidt, Kabsch), an image objective, mean-field Ising spins,
a Lyapunov exponent, an unrolled optimiser and a Boltzmann ensemble.  Several run
inside ``np.errstate`` blocks, guard branches with ``np.isclose`` on constants, or call
``float``/``.item()`` on constants.  Each is differentiated unchanged with ``ad.grad``:
the value is NumPy's to the bit, the gradient matches central differences in float64
and HIPS autograd where autograd has every function used, and the Hessian matches
central differences of the gradient.  On float32 parameters each keeps NumPy's result
dtype, and its gradient is float32.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261205)
_X = _rng.normal(size=(8, 3))
_Y = _rng.normal(size=8)
_T = np.linspace(0.0, 1.0, 8)


def wave_leapfrog(xp, p):
    """The 1-D wave equation on a periodic grid by leapfrog: neighbours from np.pad with
    mode='wrap', the two previous states swapped each step, the energy at the end."""
    c2 = 0.25 * (1.0 + 0.1 * p[0] ** 2)
    previous = p[1:]
    current = previous + 0.05 * xp.sin(xp.arange(p.size - 1) * 0.7)
    for _ in range(6):
        padded = xp.pad(current, 1, mode="wrap")
        laplacian = padded[2:] - 2.0 * padded[1:-1] + padded[:-2]
        previous, current = current, 2.0 * current - previous + c2 * laplacian
    velocity = current - previous
    return 0.5 * xp.sum(velocity ** 2) + 0.5 * c2 * xp.sum((xp.roll(current, -1) - current) ** 2)


def burgers_upwind(xp, p):
    """Inviscid Burgers' equation by a first-order upwind scheme: the difference taken
    backward where the speed is positive and forward where negative (np.where of the
    two rolled differences), steps inside np.errstate."""
    u = 0.5 + 0.3 * xp.tanh(p)
    dt_dx = 0.4
    with np.errstate(over="raise", invalid="raise"):
        for _ in range(4):
            backward = u - xp.roll(u, 1)
            forward = xp.roll(u, -1) - u
            u = u - dt_dx * u * xp.where(u > 0, backward, forward)
    return xp.sum(u ** 2 * _T) + xp.max(u)


def heun_lotka_volterra(xp, p):
    """Predator and prey by Heun's method (the trapezoidal predictor-corrector), the
    states kept in a list and stacked into a trajectory by np.stack."""
    alpha, beta, delta, gamma = xp.exp(0.2 * p[:4])

    def rates(state):
        prey, predator = state[0], state[1]
        return xp.stack([alpha * prey - beta * prey * predator,
                         delta * prey * predator - gamma * predator])

    state = xp.array([1.0, 0.5]) + 0.1 * p[4:6]
    trajectory = [state]
    h = 0.1
    for _ in range(8):
        predicted = state + h * rates(state)
        state = state + 0.5 * h * (rates(state) + rates(predicted))
        trajectory.append(state)
    path = xp.stack(trajectory)                                   # (9, 2)
    return xp.sum(xp.log(path[:, 0])) + xp.sum(path[:, 1] * xp.linspace(0, 1, 9))


def symplectic_pendulum(xp, p):
    """A pendulum by semi-implicit (symplectic) Euler, angles wrapped into [-pi, pi) by
    np.mod, with the energy drift as the objective."""
    length, damping = 1.0 + 0.1 * p[0] ** 2, 0.05 * p[1] ** 2
    theta, omega = p[2], p[3]
    g, h = 9.81, 0.05
    energies = []
    for _ in range(10):
        omega = omega - h * (g / length * xp.sin(theta) + damping * omega)
        theta = theta + h * omega
        energies.append(0.5 * length ** 2 * omega ** 2 - g * length * xp.cos(theta))
    wrapped = xp.mod(theta + np.pi, 2 * np.pi) - np.pi
    return xp.var(xp.stack(energies)) + wrapped ** 2


def kepler_halley(xp, p):
    """Kepler's equation E - e sin E = M solved by a fixed number of Halley steps for
    an array of mean anomalies, then the orbit's positions by true anomalies."""
    eccentricity = 0.3 + 0.1 * xp.tanh(p[0])
    mean_anomaly = xp.linspace(0.1, 6.0, 7) + 0.1 * p[1:8]
    E = mean_anomaly.copy()
    for _ in range(5):
        f = E - eccentricity * xp.sin(E) - mean_anomaly
        f1 = 1.0 - eccentricity * xp.cos(E)
        f2 = eccentricity * xp.sin(E)
        E = E - 2.0 * f * f1 / (2.0 * f1 ** 2 - f * f2)
    true_anomaly = 2.0 * xp.arctan2(xp.sqrt(1 + eccentricity) * xp.sin(E / 2),
                                    xp.sqrt(1 - eccentricity) * xp.cos(E / 2))
    radius = 1.0 - eccentricity * xp.cos(E)
    return xp.sum(radius * xp.cos(true_anomaly)) + xp.sum(E ** 2) * 0.01


def conjugate_gradient(xp, p):
    """Conjugate gradients on an SPD system A x = b for a fixed number of iterations,
    with np.vdot for the inner products; the matrix and b depend on the parameters."""
    m = p[:9].reshape(3, 3)
    A = m @ m.T + 3.0 * xp.eye(3)
    b = _Y[:3] + p[9:12]
    x = xp.zeros(3)
    r = b - A @ x
    direction = r
    rr = xp.vdot(r, r)
    for _ in range(3):
        Ad = A @ direction
        step = rr / xp.vdot(direction, Ad)
        x = x + step * direction
        r = r - step * Ad
        rr_new = xp.vdot(r, r)
        direction = r + (rr_new / rr) * direction
        rr = rr_new
    return xp.sum(x * _T[:3]) + xp.linalg.norm(x)


def gauss_seidel_sweeps(xp, p):
    """Gauss-Seidel sweeps for a diagonally dominant system, each unknown written in
    place into a copy of the start by x[i] = ... inside a double loop."""
    n = 4
    A = 0.3 * p[:16].reshape(n, n) + 5.0 * np.eye(n)
    b = xp.arange(1.0, n + 1)
    x = xp.zeros_like(p[:n])
    for _ in range(4):
        for i in range(n):
            others = xp.dot(A[i, :i], x[:i]) + xp.dot(A[i, i + 1:], x[i + 1:])
            x[i] = (b[i] - others) / A[i, i]
    return xp.sum(x ** 2) + x[0] * x[-1]


def crank_nicolson_diffusion(xp, p):
    """Crank-Nicolson steps of diffusion with a variable diffusivity on a rod with fixed
    ends: tridiagonal matrices built by np.diag(..., k) and np.linalg.solve each step."""
    n = 6
    kappa = xp.exp(0.3 * p[:n + 1])                    # at the cell faces
    main = -(kappa[:-1] + kappa[1:])
    L = xp.diag(main) + xp.diag(kappa[1:-1], 1) + xp.diag(kappa[1:-1], -1)
    r = 0.2
    left, right = xp.eye(n) - 0.5 * r * L, xp.eye(n) + 0.5 * r * L
    u = xp.sin(xp.linspace(0.3, 2.8, n)) + 0.1 * p[n + 1:2 * n + 1]
    for _ in range(3):
        u = xp.linalg.solve(left, right @ u)
    return xp.sum(u ** 2) + u @ _T[:n]


def hmm_forward_log(xp, p):
    """The forward algorithm of a hidden Markov model in log space: transition and
    emission log-probabilities by log-softmax along rows, and each step a log-sum-exp
    written as max + log(sum(exp(. - max))) with keepdims."""
    def log_softmax(a, axis):
        top = xp.max(a, axis=axis, keepdims=True)
        return a - top - xp.log(xp.sum(xp.exp(a - top), axis=axis, keepdims=True))

    log_transition = log_softmax(p[:9].reshape(3, 3), axis=1)
    log_emission = log_softmax(p[9:15].reshape(3, 2), axis=1)
    observations = [0, 1, 1, 0, 1, 0]
    log_alpha = np.log(np.full(3, 1.0 / 3.0)) + log_emission[:, observations[0]]
    for symbol in observations[1:]:
        scores = log_alpha[:, None] + log_transition
        top = xp.max(scores, axis=0, keepdims=True)
        log_alpha = xp.squeeze(top + xp.log(xp.sum(xp.exp(scores - top), axis=0,
                                                   keepdims=True)), axis=0)
        log_alpha = log_alpha + log_emission[:, symbol]
    top = xp.max(log_alpha)
    return top + xp.log(xp.sum(xp.exp(log_alpha - top)))


def cox_partial_likelihood(xp, p):
    """The Cox proportional-hazards partial log-likelihood: risk sets as reversed
    cumulative sums of exp(eta) over times sorted by np.argsort, events by a mask."""
    times = np.array([5.0, 2.0, 9.0, 4.0, 7.0, 1.0, 8.0, 3.0])
    events = np.array([1, 1, 0, 1, 1, 0, 1, 1], dtype=bool)
    order = np.argsort(times)
    eta = (_X @ p[:3])[order]
    risk = xp.cumsum(xp.exp(eta)[::-1])[::-1]
    observed = events[order]
    return -xp.sum((eta - xp.log(risk))[observed]) + 0.1 * xp.sum(p[:3] ** 2)


def binomial_option_tree(xp, p):
    """An American put priced on a Cox-Ross-Rubinstein tree by backward induction with
    np.maximum against early exercise; the volatility and the rate are parameters."""
    strike, spot, maturity, steps = 1.0, 1.0, 1.0, 6
    sigma = 0.2 + 0.05 * xp.tanh(p[0])
    rate = 0.03 + 0.01 * xp.tanh(p[1])
    dt = maturity / steps
    up = xp.exp(sigma * np.sqrt(dt))
    down = 1.0 / up
    growth = xp.exp(rate * dt)
    q = (growth - down) / (up - down)
    j = np.arange(steps + 1)
    prices = spot * up ** (steps - j) * down ** j
    values = xp.maximum(strike - prices, 0.0)
    for level in range(steps - 1, -1, -1):
        j = np.arange(level + 1)
        prices = spot * up ** (level - j) * down ** j
        continuation = (q * values[:-1] + (1.0 - q) * values[1:]) / growth
        values = xp.maximum(continuation, strike - prices)
    return values[0]


def bradley_terry(xp, p):
    """Bradley-Terry strengths from pairwise results: every pair from np.triu_indices,
    strength differences by np.subtract.outer, the log-likelihood of the wins by
    np.logaddexp(0, -z)."""
    strengths = p[:5] - xp.mean(p[:5])
    first, second = np.triu_indices(5, k=1)
    wins = np.array([3, 1, 4, 1, 5, 0, 2, 6, 5, 3])
    games = np.full(10, 6)
    z = xp.subtract.outer(strengths, strengths)[first, second]
    log_win = -xp.logaddexp(0, -z)
    log_loss = -xp.logaddexp(0, z)
    return -xp.sum(wins * log_win + (games - wins) * log_loss) + 0.1 * xp.sum(strengths ** 2)


def hawkes_loglik(xp, p):
    """The log-likelihood of a self-exciting (Hawkes) process with an exponential
    kernel: the excitation of each event by the earlier ones through a strictly lower
    triangle of np.subtract.outer, and the compensator by np.expm1."""
    events = np.array([0.3, 0.9, 1.1, 2.0, 2.2, 2.35, 3.7, 4.4])
    horizon = 5.0
    base, jump, decay = xp.exp(p[0] - 0.5), 0.5 / (1 + xp.exp(-p[1])), xp.exp(p[2])
    lags = np.subtract.outer(events, events)
    earlier = np.tril(np.ones((8, 8), dtype=bool), k=-1)
    kernel = xp.where(earlier, jump * decay * xp.exp(-decay * xp.where(earlier, lags, 0.0)), 0.0)
    intensity = base + xp.sum(kernel, axis=1)
    compensator = base * horizon - jump * xp.sum(xp.expm1(-decay * (horizon - events)))
    return xp.sum(xp.log(intensity)) - compensator


def romberg_integration(xp, p):
    """Romberg integration: trapezoid estimates on halved steps refined by Richardson
    extrapolation in a triangular table of lists, the integrand with parameters."""
    def integrand(x):
        return xp.exp(-p[0] ** 2 * x) * xp.cos(p[1] * x) + p[2] * x ** 3

    a, b = 0.0, 2.0
    table = []
    for level in range(5):
        n = 2 ** level
        x = np.linspace(a, b, n + 1)
        h = (b - a) / n
        fx = integrand(x)
        row = [h * (xp.sum(fx) - 0.5 * (fx[0] + fx[-1]))]
        for k in range(1, level + 1):
            row.append(row[k - 1] + (row[k - 1] - table[-1][k - 1]) / (4 ** k - 1))
        table.append(row)
    return table[-1][-1]


def gauss_quadrature_expectations(xp, p):
    """Expectations under a Gaussian by Gauss-Hermite nodes and a finite integral by
    Gauss-Legendre nodes, both from numpy.polynomial as constants."""
    nodes, weights = np.polynomial.hermite.hermgauss(12)
    mean, scale = p[0], xp.exp(0.3 * p[1])
    x = mean + np.sqrt(2.0) * scale * nodes
    softplus_mean = xp.sum(weights * xp.logaddexp(0.0, x)) / np.sqrt(np.pi)
    legendre_nodes, legendre_weights = np.polynomial.legendre.leggauss(8)
    t = 0.5 * (legendre_nodes + 1.0) * 3.0                    # [0, 3]
    integral = 1.5 * xp.dot(legendre_weights, xp.exp(-p[2] * t) * xp.sin(t + p[0]))
    return softplus_mean + integral


def chebyshev_clenshaw(xp, p):
    """A Chebyshev interpolant of a parameterised function: values at Chebyshev nodes,
    coefficients by the discrete cosine sums, and evaluation by Clenshaw's recurrence."""
    n = 7
    k = np.arange(n)
    nodes = np.cos(np.pi * (k + 0.5) / n)
    values = xp.tanh(p[0] * nodes + p[1]) + p[2] * nodes ** 2
    basis = np.cos(np.pi * np.outer(k, k + 0.5) / n)
    coefficients = 2.0 / n * (basis @ values)
    coefficients[0] = coefficients[0] / 2.0
    x = np.linspace(-0.9, 0.9, 5)
    b1 = xp.zeros_like(x)
    b2 = xp.zeros_like(x)
    for c in coefficients[:0:-1]:
        b1, b2 = 2.0 * x * b1 - b2 + c, b1
    approximation = x * b1 - b2 + coefficients[0]
    return xp.sum(approximation ** 2) + xp.sum(xp.abs(coefficients[-3:]) ** 2)


def barycentric_interpolation(xp, p):
    """Barycentric Lagrange interpolation: weights from the products of node differences
    (diagonal filled with ones by np.fill_diagonal on a constant), values at the nodes
    as parameters, evaluated away from the nodes."""
    nodes = np.linspace(-1.0, 1.0, 6)
    differences = np.subtract.outer(nodes, nodes)
    np.fill_diagonal(differences, 1.0)
    weights = 1.0 / np.prod(differences, axis=1)
    values = p[:6]
    x = np.array([-0.77, -0.31, 0.05, 0.42, 0.93])
    terms = weights / np.subtract.outer(x, nodes)                  # (5, 6)
    interpolated = (terms @ values) / xp.sum(terms, axis=1)
    return xp.sum(interpolated ** 2) + xp.dot(interpolated, x)


def de_casteljau_bezier(xp, p):
    """A Bezier curve by de Casteljau's algorithm on control points that are parameters,
    evaluated at many t at once by broadcasting, and its length by np.hypot of np.diff."""
    control = p[:10].reshape(5, 2)
    t = np.linspace(0.0, 1.0, 9)[:, None, None]                    # (9, 1, 1)
    points = xp.broadcast_to(control, (9, 5, 2))
    while points.shape[1] > 1:
        points = (1.0 - t) * points[:, :-1] + t * points[:, 1:]
    curve = points[:, 0]                                          # (9, 2)
    steps = xp.diff(curve, axis=0)
    return xp.sum(xp.hypot(steps[:, 0], steps[:, 1])) + xp.sum(curve[:, 1] * _T[:1])


def modified_gram_schmidt(xp, p):
    """Modified Gram-Schmidt on the columns of a tall matrix, the orthonormal columns
    collected in a list and joined by np.column_stack, R's diagonal by norms."""
    a = p[:12].reshape(4, 3) + np.eye(4, 3)
    columns = [a[:, j] for j in range(3)]
    q, diagonal = [], []
    for j in range(3):
        v = columns[j]
        for earlier in q:
            v = v - xp.dot(earlier, v) * earlier
        norm = xp.linalg.norm(v)
        diagonal.append(norm)
        q.append(v / norm)
    Q = xp.column_stack(q)
    return xp.sum(Q * _X[:4]) + xp.sum(xp.log(xp.stack(diagonal)))


def kabsch_alignment(xp, p):
    """The Kabsch algorithm: the rotation aligning centred point sets from the SVD of
    their cross-covariance, a reflection undone when det(V U^T) < 0, and the
    root-mean-square deviation after alignment."""
    moving = _X[:6] + 0.2 * p[:18].reshape(6, 3)
    target = _X[:6] @ np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    moving = moving - moving.mean(axis=0)
    target = target - target.mean(axis=0)
    u, s, vt = xp.linalg.svd(moving.T @ target, full_matrices=False)
    if xp.linalg.det(vt.T @ u.T) < 0:
        vt = vt * np.array([[1.0], [1.0], [-1.0]])
    rotation = vt.T @ u.T
    aligned = moving @ rotation.T
    return xp.sqrt(xp.mean(xp.sum((aligned - target) ** 2, axis=1)))


def bayesian_linear_evidence(xp, p):
    """The log evidence of Bayesian linear regression with prior precision alpha and
    noise precision beta: the posterior precision's log-determinant by slogdet and its
    mean by solve."""
    alpha, beta = xp.exp(p[0]), xp.exp(p[1])
    design = xp.column_stack([np.ones(8), _X[:, :2]])
    n, d = design.shape
    precision = alpha * xp.eye(d) + beta * design.T @ design
    mean = beta * xp.linalg.solve(precision, design.T @ _Y)
    sign, logdet = xp.linalg.slogdet(precision)
    fit = beta / 2 * xp.sum((_Y - design @ mean) ** 2) + alpha / 2 * mean @ mean
    return (d / 2 * xp.log(alpha) + n / 2 * xp.log(beta) - fit - 0.5 * logdet
            - n / 2 * np.log(2 * np.pi))


def yule_walker_ar(xp, p):
    """An AR(2) model fitted by the Yule-Walker equations: autocovariances by
    np.correlate in 'full' mode, the Toeplitz matrix by indexing with |i - j|, and the
    one-step residuals by np.convolve."""
    series = _Y + 0.5 * p[:8]
    centred = series - xp.mean(series)
    n = centred.size
    autocovariance = xp.correlate(centred, centred, mode="full")[n - 1:] / n
    lags = np.abs(np.subtract.outer(np.arange(2), np.arange(2)))
    coefficients = xp.linalg.solve(autocovariance[lags], autocovariance[1:3])
    predicted = xp.convolve(centred, xp.concatenate([[0.0], coefficients]))[:n]
    residual = centred[2:] - predicted[2:]
    return xp.sum(residual ** 2) + xp.sum(coefficients ** 2)


def leave_one_out_ridge(xp, p):
    """Leave-one-out residuals of ridge regression without refitting: the hat matrix's
    diagonal by np.einsum('ij,ji->i'), each residual scaled by 1 / (1 - h_ii)."""
    penalty = xp.exp(p[0])
    design = _X * (1.0 + 0.1 * p[1:4])
    gram = design.T @ design + penalty * xp.eye(3)
    projection = xp.linalg.solve(gram, design.T)                    # (3, 8)
    leverage = xp.einsum("ij,ji->i", design, projection)
    residual = _Y - design @ (projection @ _Y)
    return xp.mean((residual / (1.0 - leverage)) ** 2)


def total_variation_image(xp, p):
    """A smoothed total-variation denoising objective on a small image: differences
    along both axes by np.diff with append of the last row or column (zero at the
    border), the fidelity term against a noisy image."""
    image = p[:20].reshape(4, 5)
    noisy = _X[:4, :1] * np.ones(5) + 0.1 * np.arange(20).reshape(4, 5)
    dy = xp.diff(image, axis=0, append=image[-1:, :])
    dx = xp.diff(image, axis=1, append=image[:, -1:])
    tv = xp.sum(xp.sqrt(dx ** 2 + dy ** 2 + 1e-2))
    return 0.5 * xp.sum((image - noisy) ** 2) + 0.3 * tv


def mean_field_ising(xp, p):
    """Mean-field magnetisations of an Ising model on a periodic 3x4 lattice: the local
    field from np.roll along both axes, damped fixed-point updates by tanh, and the
    mean-field free energy with entropies guarded by np.clip."""
    field = 0.3 * p[:12].reshape(3, 4)
    coupling, beta = 0.4, 1.2
    m = xp.zeros((3, 4)) + 0.1
    for _ in range(6):
        neighbours = (xp.roll(m, 1, axis=0) + xp.roll(m, -1, axis=0)
                      + xp.roll(m, 1, axis=1) + xp.roll(m, -1, axis=1))
        m = 0.5 * m + 0.5 * xp.tanh(beta * (coupling * neighbours + field))
    energy = -coupling * xp.sum(m * (xp.roll(m, 1, axis=0) + xp.roll(m, 1, axis=1))) \
        - xp.sum(field * m)
    up, down = xp.clip((1 + m) / 2, 1e-12, 1.0), xp.clip((1 - m) / 2, 1e-12, 1.0)
    entropy = -xp.sum(up * xp.log(up) + down * xp.log(down))
    return energy - entropy / beta


def logistic_map_lyapunov(xp, p):
    """The Lyapunov exponent of the logistic map x -> r x (1 - x): the orbit iterated
    from a parameter start, the average of log|r (1 - 2x)| inside an np.errstate
    block, and a guard by np.isclose on a constant."""
    r = 3.2 + 0.3 * xp.tanh(p[0])
    x = 0.2 + 0.6 / (1.0 + xp.exp(-p[1]))
    total = 0.0
    steps = 20
    with np.errstate(divide="ignore"):
        for _ in range(steps):
            x = r * x * (1.0 - x)
            total = total + xp.log(xp.abs(r * (1.0 - 2.0 * x)))
    scale = 1.0 if np.isclose(steps, 20) else 0.5
    return scale * total / steps + x


def unrolled_gradient_descent(xp, p):
    """Differentiating through an optimiser: gradient descent with momentum on the
    Rosenbrock function from a parameter start with a parameter step size, the
    analytic gradient written out, the final loss as the meta-objective."""
    point = xp.array([-0.5, 0.5]) + 0.1 * p[:2]
    learning_rate = 1e-3 * xp.exp(0.1 * p[2])
    velocity = xp.zeros(2)
    momentum = float(np.array(0.9).item())
    for _ in range(6):
        x, y = point[0], point[1]
        gradient = xp.stack([-2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)])
        velocity = momentum * velocity - learning_rate * gradient
        point = point + velocity
    x, y = point
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def boltzmann_ensemble(xp, p):
    """A canonical ensemble over energy levels that depend on parameters: the partition
    function by a shifted sum of exponentials, the free energy, the mean energy by
    np.average with Boltzmann weights and the heat capacity from the variance."""
    levels = xp.cumsum(xp.exp(0.5 * p[:6]))
    temperature = 0.8
    shifted = -(levels - levels[0]) / temperature
    weights = xp.exp(shifted)
    log_partition = xp.log(xp.sum(weights)) - levels[0] / temperature
    free_energy = -temperature * log_partition
    mean_energy = xp.average(levels, weights=weights)
    heat_capacity = xp.average((levels - mean_energy) ** 2, weights=weights) / temperature ** 2
    return free_energy + mean_energy + heat_capacity


#: (program, parameters, whether HIPS autograd has every function the program calls)
PROGRAMS = [
    (wave_leapfrog, _rng.normal(size=9), False),                # no pad mode="wrap"
    (burgers_upwind, _rng.normal(size=8), True),
    (heun_lotka_volterra, _rng.normal(size=6), True),
    (symplectic_pendulum, _rng.normal(size=4), True),
    (kepler_halley, _rng.normal(size=8), False),                # no .copy() method
    (conjugate_gradient, _rng.normal(size=12) * 0.5, False),    # no vdot gradient
    (gauss_seidel_sweeps, _rng.normal(size=16), False),         # no item assignment
    (crank_nicolson_diffusion, _rng.normal(size=13), True),
    (hmm_forward_log, _rng.normal(size=15), True),
    (cox_partial_likelihood, _rng.normal(size=3), True),
    (binomial_option_tree, _rng.normal(size=2), True),
    (bradley_terry, _rng.normal(size=5), False),                # no ufunc.outer
    (hawkes_loglik, _rng.normal(size=3) * 0.3, True),
    (romberg_integration, _rng.normal(size=3), True),
    (gauss_quadrature_expectations, _rng.normal(size=3), True),
    (chebyshev_clenshaw, _rng.normal(size=3), False),           # no item assignment
    (barycentric_interpolation, _rng.normal(size=6), True),
    (de_casteljau_bezier, _rng.normal(size=10), False),         # no broadcast_to to more axes
    (modified_gram_schmidt, _rng.normal(size=12) * 0.5, True),
    (kabsch_alignment, _rng.normal(size=18), True),
    (bayesian_linear_evidence, _rng.normal(size=2) * 0.5, True),
    (yule_walker_ar, _rng.normal(size=8), False),               # no correlate gradient
    (leave_one_out_ridge, _rng.normal(size=4), True),
    (total_variation_image, _rng.normal(size=20), False),       # no diff append
    (mean_field_ising, _rng.normal(size=12), True),
    (logistic_map_lyapunov, _rng.normal(size=2), True),
    (unrolled_gradient_descent, _rng.normal(size=3), True),
    (boltzmann_ensemble, _rng.normal(size=6), False),           # no average gradient
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
