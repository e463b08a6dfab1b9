"""A twenty-sixth set of short NumPy programs, from domains and NumPy calls the earlier
rounds did not visit: finite elements (a 2-D Poisson problem on a triangulated square,
element stiffness by ``np.linalg.det`` and ``np.einsum``, assembled by ``np.add.at``
over ``np.ix_``-style index pairs), option pricing on lattices (an American put by
backward induction with ``np.maximum``; a lookback on paths by
``np.maximum.accumulate``), queueing (a tandem queue by Lindley's recursion), inventory
(a base-stock policy with ``np.clip`` and lost sales), ecology (Lotka-Volterra by Heun
steps, the path by ``np.column_stack``), econometrics (instrumental variables by
two-step GMM, each step by ``np.linalg.lstsq``), computational geometry (a polygon's
area and centroid by ``np.roll``; the distance field of its edges, softened by
``np.logaddexp.reduce``), crystallography (a cubic stiffness tensor rotated by
``np.tensordot``, a superlattice by ``np.kron``), DSP (a band shaped in
``np.fft.rfft``/``irfft``), MCMC (a mixture's log density by ``np.logaddexp.reduce``
over components), image registration (a shift by bilinear sampling by hand and an
integer ``np.roll``) and mixed-dtype data (``int32`` counts, ``uint8`` pixels and
``np.float32`` scalars). Each is differentiated with ``ad.grad`` and checked as every
round is (``numpy_program_checks``), float32 included.  Every program here and in the
second file ran unchanged; writing through ``np.fliplr``/``np.flipud``/``np.rot90``
views in grad mode, met around them, was refused and is followed now
(test_numpy_twentysixth_findings.py).

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261226)
_PATH_SHOCKS = _rng.normal(size=(6, 12))
_ARRIVAL_GAPS = _rng.exponential(1.0, size=12)
_DEMAND = np.array([4, 7, 3, 9, 5, 6, 8, 2, 5, 7], dtype=np.int32)
_INSTRUMENTS = np.column_stack([np.ones(10), _rng.normal(size=(10, 2))])
_OBS_ERRORS = _rng.normal(size=10)
_MIXTURE_DATA = np.concatenate([_rng.normal(-1.0, 0.5, size=8), _rng.normal(1.5, 0.7, size=8)])
_PIXELS = (np.add.outer(np.arange(6), np.arange(7)) * 17 % 256).astype(np.uint8)


def poisson_fem_on_a_square(xp, p):
    """Finite elements: -div(k grad u) = 1 on the unit square with u = 0 on the
    boundary, linear triangles on a 3 x 3 grid of cells; each element's stiffness is
    ``k |T| G G^T`` with the gradients ``G`` of its shape functions from the inverse of
    the vertex matrix, assembled by ``np.add.at`` into a Tensor; the interior solved by
    ``np.linalg.solve`` and the compliance ``f . u`` returned."""
    n = 4
    xs, ys = np.meshgrid(np.linspace(0.0, 1.0, n), np.linspace(0.0, 1.0, n), indexing="ij")
    nodes = np.column_stack([xs.ravel(), ys.ravel()])
    cells = []
    for i in range(n - 1):
        for j in range(n - 1):
            a, b, c, d = i * n + j, (i + 1) * n + j, (i + 1) * n + j + 1, i * n + j + 1
            cells += [(a, b, c), (a, c, d)]
    cells = np.array(cells)
    conductivity = xp.exp(0.3 * p[cells.sum(axis=1) % p.size])
    vertex_matrix = np.concatenate([np.ones((len(cells), 3, 1)), nodes[cells]], axis=2)
    areas = np.abs(np.linalg.det(vertex_matrix)) / 2
    gradients = np.linalg.inv(vertex_matrix)[:, 1:, :]          # (cells, 2, 3)
    local = np.einsum("cki,ckj->cij", gradients, gradients) * areas[:, None, None]
    stiffness = xp.zeros_like(p, shape=(n * n, n * n))
    rows = np.repeat(cells, 3, axis=1)
    cols = np.tile(cells, (1, 3))
    np.add.at(stiffness, (rows, cols), (conductivity[:, None, None] * local).reshape(-1, 9))
    interior = np.flatnonzero((nodes[:, 0] > 0) & (nodes[:, 0] < 1)
                              & (nodes[:, 1] > 0) & (nodes[:, 1] < 1))
    load = np.full(interior.size, 1.0 / (n - 1) ** 2)
    u = xp.linalg.solve(stiffness[np.ix_(interior, interior)], load)
    return load @ u * 100


def american_put_on_a_binomial_lattice(xp, p):
    """Option pricing: an American put on a Cox-Ross-Rubinstein lattice, the value
    rolled back from expiry with early exercise by ``np.maximum``, the volatility and
    rate from ``p``; the delta from the first step's two nodes."""
    spot, strike, expiry, steps = 100.0, 105.0, 1.0, 16
    sigma, rate = 0.2 * xp.exp(0.2 * p[0]), 0.03 + 0.01 * xp.tanh(p[1])
    dt = expiry / steps
    up = xp.exp(sigma * np.sqrt(dt))
    down = 1 / up
    growth = xp.exp(rate * dt)
    q = (growth - down) / (up - down)
    j = np.arange(steps + 1)
    values = xp.maximum(strike - spot * up ** j * down ** (steps - j), 0.0)
    delta = None
    for n in range(steps, 0, -1):
        j = np.arange(n)
        held = (q * values[1:] + (1 - q) * values[:-1]) / growth
        values = xp.maximum(strike - spot * up ** j * down ** (n - 1 - j), held)
        if n == 2:
            delta = (values[1] - values[0]) / (spot * up - spot * down)
    return values[0] + 10 * delta


def lookback_call_by_running_maxima(xp, p):
    """Option pricing: a floating-strike lookback call on simulated paths, each path's
    running maximum of the discounted price by ``np.maximum.accumulate`` along time and
    its minimum by ``np.minimum.accumulate``; the payoff averaged over paths."""
    sigma, drift = 0.25 * xp.exp(0.3 * p[0]), 0.02 + 0.01 * p[1]
    dt = 1.0 / _PATH_SHOCKS.shape[1]
    log_returns = (drift - sigma ** 2 / 2) * dt + sigma * np.sqrt(dt) * _PATH_SHOCKS
    prices = 100 * xp.exp(xp.cumsum(log_returns, axis=1))
    running_max = xp.maximum.accumulate(prices, axis=1)
    running_min = xp.minimum.accumulate(prices, axis=1)
    payoff = prices[:, -1] - running_min[:, -1]
    drawup = xp.mean(running_max - prices)
    return xp.mean(payoff) * np.exp(-0.02) + drawup / 10


def tandem_queue_by_lindleys_recursion(xp, p):
    """Queueing: two single-server stations in series, each customer's wait at each
    station by Lindley's recursion ``w' = max(w + s - a, 0)``, the second station's
    inter-arrivals being the first's inter-departures; the mean time in the system."""
    service_1 = 0.7 * xp.exp(0.2 * p[0]) * np.linspace(0.8, 1.2, _ARRIVAL_GAPS.size)
    service_2 = 0.6 * xp.exp(0.2 * p[1]) * np.linspace(1.1, 0.9, _ARRIVAL_GAPS.size)
    arrivals = np.cumsum(_ARRIVAL_GAPS)
    wait_1, departures_1 = [0.0 * p[0]], []
    for k in range(arrivals.size):
        if k:
            wait_1.append(xp.maximum(wait_1[-1] + service_1[k - 1] - _ARRIVAL_GAPS[k], 0.0))
        departures_1.append(arrivals[k] + wait_1[k] + service_1[k])
    departures_1 = xp.stack(departures_1)
    gaps_2 = xp.diff(departures_1)
    wait_2 = [0.0 * p[1]]
    for k in range(1, arrivals.size):
        wait_2.append(xp.maximum(wait_2[-1] + service_2[k - 1] - gaps_2[k - 1], 0.0))
    sojourn = xp.stack(wait_1) + service_1 + xp.stack(wait_2) + service_2
    return xp.mean(sojourn)


def base_stock_inventory_with_lost_sales(xp, p):
    """Inventory: a base-stock policy with a one-period lead time against integer
    demands (an ``int32`` array), sales by ``np.minimum``, the order up to a level set by
    ``p`` and clipped by ``np.clip`` to the supplier's capacity; holding, shortage and
    ordering costs."""
    level = 8.0 + 2.0 * xp.tanh(p[0])
    capacity = 6.0 + p[1]
    on_hand, pipeline, cost = 6.0 + 0.0 * p[0], 0.0, 0.0
    for demand in _DEMAND:
        on_hand = on_hand + pipeline
        sold = xp.minimum(on_hand, demand)
        short = demand - sold
        on_hand = on_hand - sold
        pipeline = xp.clip(level - on_hand, 0.0, capacity)
        cost = cost + 0.5 * on_hand + 4.0 * short + 1.0 * pipeline
    return cost / _DEMAND.size


def lotka_volterra_by_heun_steps(xp, p):
    """Ecology: prey and predators by Heun's method, the path joined by
    ``np.column_stack`` and fitted to noisy counts by least squares on log scale."""
    alpha, beta = 1.0 * xp.exp(0.2 * p[0]), 0.1 * xp.exp(0.2 * p[1])
    delta, gamma = 0.075 * xp.exp(0.2 * p[2]), 1.5

    def rates(prey, predators):
        return alpha * prey - beta * prey * predators, delta * prey * predators - gamma * predators

    prey, predators, h = 10.0 + 0 * p[0], 5.0 + 0 * p[0], 0.1
    path_prey, path_pred = [prey], [predators]
    for _ in range(30):
        k1 = rates(prey, predators)
        k2 = rates(prey + h * k1[0], predators + h * k1[1])
        prey = prey + h / 2 * (k1[0] + k2[0])
        predators = predators + h / 2 * (k1[1] + k2[1])
        path_prey.append(prey)
        path_pred.append(predators)
    path = xp.column_stack([xp.stack(path_prey), xp.stack(path_pred)])
    days = np.arange(31) / 5
    counts = np.column_stack([10 + 5 * np.sin(days), 6 + 3 * np.cos(days)])
    return xp.mean((xp.log(path) - np.log(counts)) ** 2)


def iv_by_two_step_gmm(xp, p):
    """Econometrics: an endogenous regressor instrumented by two variables; the first
    GMM step is two-stage least squares (both stages by ``np.linalg.lstsq``), the second
    reweights the moments by the inverse of their covariance at the first-step
    residuals; the J statistic and the slope."""
    z = _INSTRUMENTS
    x = z @ np.array([0.2, 1.0, -0.5]) + 0.3 * _OBS_ERRORS + 0.1 * p[0]
    regressors = xp.stack([np.ones(10) + 0 * x, x], axis=1)
    y = 1.0 + (2.0 + 0.5 * p[1]) * x + _OBS_ERRORS
    fitted = z @ xp.linalg.lstsq(z, regressors, rcond=None)[0]
    beta_1 = xp.linalg.lstsq(fitted, y, rcond=None)[0]
    residuals = y - regressors @ beta_1
    moments = z * residuals[:, None]
    weight = xp.linalg.inv(moments.T @ moments / 10)
    zx, zy = z.T @ regressors / 10, z.T @ y / 10
    beta_2 = xp.linalg.solve(zx.T @ weight @ zx, zx.T @ weight @ zy)
    g = z.T @ (y - regressors @ beta_2) / 10
    return 10 * g @ weight @ g + beta_2[1]


def polygon_area_and_centroid(xp, p):
    """Computational geometry: a star-shaped polygon's vertices from radii in ``p``,
    its signed area and centroid by the shoelace formula with ``np.roll``, and the
    perimeter by ``np.hypot`` of ``np.diff`` with the closing edge by ``append=``."""
    angles = np.linspace(0.0, 2 * np.pi, p.size, endpoint=False)
    radii = 1.0 + 0.3 * xp.tanh(p)
    x, y = radii * np.cos(angles), radii * np.sin(angles)
    x_next, y_next = xp.roll(x, -1), xp.roll(y, -1)
    cross = x * y_next - x_next * y
    area = xp.sum(cross) / 2
    cx = xp.sum((x + x_next) * cross) / (6 * area)
    cy = xp.sum((y + y_next) * cross) / (6 * area)
    perimeter = xp.sum(xp.hypot(xp.diff(x, append=x[:1]), xp.diff(y, append=y[:1])))
    return area + cx ** 2 + cy ** 2 + 0.1 * perimeter


def soft_distance_field_of_a_polygon(xp, p):
    """Computational geometry: the distance from sample points to a polygon's edges,
    each point projected onto each segment with the parameter clipped by ``np.clip``;
    the nearest edge softened by a negative ``np.logaddexp.reduce`` over the edges, and
    the field's mean over a grid made by ``np.mgrid``."""
    corners = np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [0.0, 1.5]])
    vertices = corners + 0.2 * xp.reshape(p, (4, 2))
    starts, ends = vertices, xp.roll(vertices, -1, axis=0)
    grid = np.mgrid[-0.5:2.5:5j, -0.5:2.0:4j].reshape(2, -1).T
    edge = ends - starts                                          # (4, 2)
    offset = grid[:, None, :] - starts[None, :, :]                # (points, 4, 2)
    along = xp.clip(xp.sum(offset * edge, axis=-1) / xp.sum(edge * edge, axis=-1), 0.0, 1.0)
    gap = offset - along[..., None] * edge
    distances = xp.sqrt(xp.sum(gap * gap, axis=-1) + 1e-12)
    softness = 0.1
    soft_min = -softness * xp.logaddexp.reduce(-distances / softness, axis=1)
    return xp.mean(soft_min)


def cubic_stiffness_rotated_by_tensordot(xp, p):
    """Crystallography: the fourth-order stiffness tensor of a cubic crystal from its
    three constants, rotated about z by ``np.tensordot`` over each index in turn;
    Young's modulus along x from the rotated compliance (the inverse of the 6 x 6 Voigt
    matrix)."""
    c11, c12, c44 = 168.0 * xp.exp(0.1 * p[0]), 121.0 * xp.exp(0.1 * p[1]), 75.0
    eye = np.eye(3)
    isotropic_pair = np.einsum("ij,kl->ijkl", eye, eye)
    symmetric_pair = np.einsum("ik,jl->ijkl", eye, eye) + np.einsum("il,jk->ijkl", eye, eye)
    cubic = np.zeros((3, 3, 3, 3))
    for i in range(3):
        cubic[i, i, i, i] = 1.0
    stiffness = (c12 * isotropic_pair + c44 * symmetric_pair
                 + (c11 - c12 - 2 * c44) * cubic)
    angle = 0.4 + 0.1 * p[2]
    c, s = xp.cos(angle), xp.sin(angle)
    zero, one = 0 * c, 0 * c + 1
    rotation = xp.stack([xp.stack([c, -s, zero]), xp.stack([s, c, zero]),
                         xp.stack([zero, zero, one])])
    rotated = stiffness
    for _ in range(4):   # contract one index with the rotation, cycling the indices
        rotated = xp.tensordot(rotated, rotation, axes=([0], [1]))
    voigt = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
    matrix = xp.stack([xp.stack([rotated[i, j, k, m] for k, m in voigt]) for i, j in voigt])
    compliance = xp.linalg.inv(matrix)
    return 1.0 / compliance[0, 0] / 100


def superlattice_hamiltonian_by_kron(xp, p):
    """Crystallography: a tight-binding superlattice as ``np.kron`` of a ring of cells
    with a two-site basis (hopping within and between cells from ``p``); the band
    energy of the lower half of the spectrum by ``np.linalg.eigvalsh``."""
    cells = 5
    ring = np.roll(np.eye(cells), 1, axis=1)
    inside, between = -1.0 * xp.exp(0.2 * p[0]), -0.6 * xp.exp(0.2 * p[1])
    on_site = 0.2 * p[2]
    basis_inside = xp.stack([xp.stack([on_site, inside]), xp.stack([inside, -on_site])])
    hop = np.array([[0.0, 0.0], [1.0, 0.0]])
    hamiltonian = (xp.kron(np.eye(cells), basis_inside) + between * np.kron(ring, hop)
                   + between * np.kron(ring.T, hop.T))
    energies = xp.linalg.eigvalsh(hamiltonian)
    return xp.sum(energies[:cells])


def band_shaped_by_rfft(xp, p):
    """DSP: a windowed chirp's band reshaped in the frequency domain: ``np.fft.rfft``,
    a smooth gain over ``np.fft.rfftfreq`` (a logistic edge whose position and width are
    in ``p``), back by ``np.fft.irfft(n=)``; the output's energy and its crest factor."""
    n, rate = 64, 100.0
    t = np.arange(n) / rate
    signal = np.sin(2 * np.pi * (5 * t + 40 * t ** 2)) * np.hanning(n)
    freqs = np.fft.rfftfreq(n, d=1 / rate)
    edge, width = 20.0 + 5 * p[0], 3.0 * xp.exp(0.3 * p[1])
    gain = 1 / (1 + xp.exp((freqs - edge) / width))
    shaped = xp.fft.irfft(xp.fft.rfft(signal) * gain, n=n)
    energy = xp.sum(shaped ** 2)
    return energy + xp.max(xp.abs(shaped)) / xp.sqrt(energy / n)


def mixture_log_density_for_mcmc(xp, p):
    """MCMC: the log posterior of a two-component normal mixture, the per-point sum
    over components by ``np.logaddexp.reduce`` on a stacked axis, a normal prior on the
    means, and the Metropolis log ratio against a fixed proposal step."""
    def log_posterior(theta):
        means, log_scales = theta[:2], theta[2:4]
        weight = 1 / (1 + xp.exp(-theta[4]))
        scales = xp.exp(log_scales)
        z = (_MIXTURE_DATA[:, None] - means[None, :]) / scales[None, :]
        log_components = (-0.5 * z ** 2 - log_scales - 0.5 * np.log(2 * np.pi)
                          + xp.log(xp.stack([weight, 1 - weight])))
        log_likelihood = xp.sum(xp.logaddexp.reduce(log_components, axis=1))
        return log_likelihood - 0.5 * xp.sum(means ** 2) / 4

    theta = np.array([-1.0, 1.5, -0.5, -0.3, 0.0]) + 0.3 * p
    proposal = theta + np.array([0.05, -0.05, 0.02, 0.0, 0.1])
    return log_posterior(theta) + 0.1 * (log_posterior(proposal) - log_posterior(theta))


def image_registration_by_bilinear_sampling(xp, p):
    """Image registration: a moving image warped by a sub-pixel shift with bilinear
    sampling written by hand (``np.floor`` indices, weights from the fractions, edges
    by ``np.clip``), after an integer shift by ``np.roll``; the sum of squared
    differences to the fixed image."""
    fixed = np.exp(-((np.arange(8)[:, None] - 3.6) ** 2 + (np.arange(9)[None, :] - 4.3) ** 2) / 6)
    moving = xp.roll(np.exp(-((np.arange(8)[:, None] - 3.0) ** 2
                              + (np.arange(9)[None, :] - 4.0) ** 2) / (6 * xp.exp(0.1 * p[2]))),
                     1, axis=1)
    rows, cols = np.indices(fixed.shape)
    src_r = rows - (0.5 + 0.3 * p[0])
    src_c = cols - (-0.6 + 0.3 * p[1])
    r0 = xp.clip(xp.floor(src_r).astype(int), 0, fixed.shape[0] - 2)
    c0 = xp.clip(xp.floor(src_c).astype(int), 0, fixed.shape[1] - 2)
    fr, fc = src_r - r0, src_c - c0
    warped = ((1 - fr) * (1 - fc) * moving[r0, c0] + (1 - fr) * fc * moving[r0, c0 + 1]
              + fr * (1 - fc) * moving[r0 + 1, c0] + fr * fc * moving[r0 + 1, c0 + 1])
    return xp.sum((warped - fixed) ** 2)


def pixels_counts_and_float32_scalars(xp, p):
    """Mixed dtypes: a ``uint8`` image scaled by ``/ 255``, ``int32`` demand counts and
    ``np.float32`` gain and offset scalars combined with the parameters, as sensor code
    does; NumPy's promotion picks the result's dtype."""
    image = _PIXELS / 255.0
    gain, offset = np.float32(1.5), np.float32(-0.25)
    weights = xp.exp(0.2 * p[:2])
    contrast = gain * (image - xp.mean(image)) * weights[0] + offset
    counts = _DEMAND * weights[1] + np.int32(3)
    return xp.std(contrast) + xp.mean(xp.log1p(counts)) + xp.sum(p[2:] ** 2)


PROGRAMS = [
    (poisson_fem_on_a_square, _rng.normal(0, 0.5, size=5), False),  # autograd: no add.at
    (american_put_on_a_binomial_lattice, _rng.normal(0, 0.5, size=2), True),
    (lookback_call_by_running_maxima, _rng.normal(0, 0.5, size=2), False),  # no accumulate
    (tandem_queue_by_lindleys_recursion, _rng.normal(0, 0.5, size=2), True),
    (base_stock_inventory_with_lost_sales, _rng.normal(0, 0.5, size=2), False),  # clip bound
    (lotka_volterra_by_heun_steps, _rng.normal(0, 0.5, size=3), True),
    (iv_by_two_step_gmm, _rng.normal(0, 0.5, size=2), False),  # autograd: no lstsq
    (polygon_area_and_centroid, _rng.normal(0, 0.5, size=7), False),  # diff(append=)
    (soft_distance_field_of_a_polygon, _rng.normal(0, 0.5, size=8), False),  # no .reduce
    (cubic_stiffness_rotated_by_tensordot, _rng.normal(0, 0.5, size=3), True),
    (superlattice_hamiltonian_by_kron, _rng.normal(0, 0.5, size=3), False),  # eigvalsh
    (band_shaped_by_rfft, _rng.normal(0, 0.5, size=2), True),
    (mixture_log_density_for_mcmc, _rng.normal(0, 0.5, size=5), False),  # no .reduce
    (image_registration_by_bilinear_sampling, _rng.normal(0, 0.2, size=3), True),
    (pixels_counts_and_float32_scalars, _rng.normal(0, 0.5, size=4), True),
]

globals().update(program_tests(PROGRAMS, float32=True, finite=True))  # the shared checks
