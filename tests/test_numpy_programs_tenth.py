"""A tenth set of short NumPy programs, from domains the earlier rounds did not visit:
finance (Black-Scholes with an erf-free normal CDF and its Greeks, a portfolio's variance
from ``np.cov`` of returns, a bond priced by discount factors from ``np.cumprod``),
geometry and graphics (barycentric coordinates by ``np.linalg.solve`` and ``np.cross``,
ray-sphere hits chosen by ``np.where``, Rodrigues rotations by ``np.cross`` and
``np.outer``, a polygon's area by the shoelace formula with ``np.roll``), optimisation
(a Newton step by ``solve`` with a line search by ``np.minimum.accumulate``), epidemics
(SIR by Euler steps gathered with ``np.stack``), audio (a peak-hold envelope by
``np.maximum.accumulate`` resampled by ``np.interp``), robotics (planar forward
kinematics by ``np.cumsum`` of joint angles), text and ML (TF-IDF by ``np.log1p`` with
integer counts mixed in, a focal loss with label smoothing, top-k by ``np.partition``,
group means by ``np.unique(return_inverse=True)`` and ``np.bincount(weights=)``),
images (``np.pad`` modes, ``np.kron`` upsampling, ``np.rot90``, ``np.tril_indices``),
sorting statistics (``np.median``, ``np.percentile`` and ``np.quantile`` with
``method=``, a trimmed mean by ``np.sort``), linear algebra (``eigh``, ``svd``,
``pinv``, ``matrix_power``, ``norm`` with ``ord=``), ``np.polyfit`` of data that
depends on the parameters, a density ``np.histogram`` with parameter-dependent edges,
NaN-aware sensor statistics, tax brackets by ``np.piecewise`` and ``np.select``, a
lookup table by ``np.searchsorted`` and ``np.take``, a potential on
``np.meshgrid(indexing='ij')``, segment sums by ``np.add.reduceat``, ``ufunc.outer``,
``out=``/``where=`` arguments, in-place operators on slices and views, float32 data
with float64 literals inside ``np.errstate``.  Each is differentiated unchanged with
``ad.grad`` and checked as every round is (``numpy_program_checks``).

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261210)
_RETURNS = _rng.normal(0.001, 0.02, size=(30, 4))
_COUNTS = _rng.integers(0, 5, size=(4, 6))
_KEYS = np.array([7, 3, 7, 1, 3, 7, 1, 9, 3])
_READINGS = _rng.normal(size=(3, 5))
_READINGS[[0, 1, 2], [1, 4, 0]] = np.nan
_DATA = _rng.normal(size=11)


def black_scholes_greeks(xp, p):
    """European calls by Black-Scholes with the normal CDF by the Abramowitz-Stegun
    polynomial (no erf), puts by put-call parity, delta and vega."""
    spot = 100.0 * xp.exp(0.1 * p[:4])
    strike, rate = 95.0, 0.03
    maturity = 0.5 + 0.1 * p[4] ** 2
    vol = 0.2 + 0.05 * xp.tanh(p[5])

    def normal_cdf(x):
        k = 1.0 / (1.0 + 0.2316419 * xp.abs(x))
        poly = k * (0.319381530 + k * (-0.356563782 + k * (1.781477937
                    + k * (-1.821255978 + k * 1.330274429))))
        tail = xp.exp(-0.5 * x ** 2) / xp.sqrt(2 * xp.pi) * poly
        return xp.where(x >= 0, 1.0 - tail, tail)

    root_t = xp.sqrt(maturity)
    d1 = (xp.log(spot / strike) + (rate + 0.5 * vol ** 2) * maturity) / (vol * root_t)
    d2 = d1 - vol * root_t
    discount = xp.exp(-rate * maturity)
    call = spot * normal_cdf(d1) - strike * discount * normal_cdf(d2)
    put = call - spot + strike * discount
    delta = normal_cdf(d1)
    vega = spot * xp.exp(-0.5 * d1 ** 2) / np.sqrt(2 * np.pi) * root_t
    return call.sum() + 0.5 * put.mean() + delta.sum() + 0.01 * vega.sum()


def portfolio_variance(xp, p):
    """Long-only weights by a softmax, the sample covariance of returns scaled by the
    parameters (np.cov with rowvar=False), the annualised Sharpe ratio and a
    risk-parity penalty from each asset's contribution."""
    weights = xp.exp(p[:4]) / xp.exp(p[:4]).sum()
    returns = _RETURNS * (1.0 + 0.1 * p[4:8])
    covariance = xp.cov(returns, rowvar=False)
    variance = weights @ covariance @ weights
    sharpe = np.sqrt(252) * (returns.mean(axis=0) @ weights) / xp.sqrt(variance)
    contribution = weights * (covariance @ weights) / variance
    return -sharpe + 10.0 * ((contribution - 0.25) ** 2).sum()


def bond_by_discount_factors(xp, p):
    """A coupon bond: forward rates per period, discount factors by np.cumprod of
    1 / (1 + r), the price, the Macaulay duration and the convexity."""
    rates = 0.02 + 0.01 * xp.tanh(p)
    discount = xp.cumprod(1.0 / (1.0 + rates))
    periods = np.arange(1, p.size + 1)
    cash_flows = np.full(p.size, 5.0)
    cash_flows[-1] += 100.0
    present = cash_flows * discount
    price = present.sum()
    duration = (periods * present).sum() / price
    convexity = (periods * (periods + 1) * present).sum() / price
    return price + duration + 0.1 * convexity


def barycentric_coordinates(xp, p):
    """Barycentric coordinates of fixed points in a triangle whose corners are the
    parameters, once by np.linalg.solve and once by signed areas from np.cross of 3-D
    vectors, and a colour interpolated with them."""
    corners = p[:6].reshape(3, 2) + np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    points = np.array([[0.5, 0.5], [0.2, 0.7], [1.0, 0.3]])
    edges = (corners[:2] - corners[2]).T
    lam = xp.linalg.solve(edges, (points - corners[2]).T)
    coords = xp.vstack([lam, 1.0 - lam.sum(axis=0)])
    flat = xp.concatenate([corners, xp.zeros((3, 1))], axis=1)
    area = xp.cross(flat[1] - flat[0], flat[2] - flat[0])[2]
    colours = np.array([1.0, 0.5, 0.2])
    return (colours @ coords).sum() + area + (coords ** 2).sum()


def ray_sphere_hits(xp, p):
    """Rays from the origin in directions given by the parameters against a sphere:
    the discriminant, hits chosen by np.where with the square root taken only where it
    is defined, the nearest distance and a shading term from the normal."""
    directions = p[:12].reshape(4, 3) + np.array([0.0, 0.0, 1.0])
    directions = directions / xp.linalg.norm(directions, axis=1, keepdims=True)
    centre, radius = np.array([0.2, -0.1, 4.0]), 1.5 + 0.1 * p[12]
    b = directions @ centre
    discriminant = b ** 2 - (centre @ centre - radius ** 2)
    hit = discriminant > 0
    distance = xp.where(hit, b - xp.sqrt(xp.where(hit, discriminant, 1.0)), 10.0)
    normals = (distance[:, None] * directions - centre) / radius
    shade = xp.clip(normals @ np.array([0.0, 0.6, -0.8]), 0.0, None)
    return distance.sum() + xp.where(hit, shade, 0.0).sum()


def rodrigues_rotation(xp, p):
    """An axis-angle rotation by Rodrigues' formula, once as a matrix from np.outer and
    the cross-product matrix np.cross(np.eye(3), k), once applied to vectors with
    np.cross directly; orthogonality and the rotated points' spread."""
    angle = xp.sqrt(p[:3] @ p[:3])
    axis = p[:3] / angle
    cross_matrix = xp.cross(np.eye(3), axis)
    rotation = (xp.cos(angle) * np.eye(3) + xp.sin(angle) * cross_matrix.T
                + (1 - xp.cos(angle)) * xp.outer(axis, axis))
    points = np.array([[1.0, 0.0, 0.0], [0.3, 0.4, 0.5], [0.0, -1.0, 2.0]])
    direct = (points * xp.cos(angle) + xp.cross(axis, points) * xp.sin(angle)
              + xp.outer(points @ axis, axis) * (1 - xp.cos(angle)))
    by_matrix = points @ rotation.T
    return (((by_matrix - direct) ** 2).sum() + ((rotation.T @ rotation - np.eye(3)) ** 2).sum()
            + by_matrix.std(axis=0).sum() + (by_matrix @ p[3:6]).sum())


def shoelace_polygon(xp, p):
    """A star-shaped polygon whose radii are the parameters: its area by the shoelace
    formula with np.roll, its perimeter by np.hypot of wrapped differences and its
    centroid; an isoperimetric penalty."""
    theta = np.linspace(0.0, 2 * np.pi, p.size, endpoint=False)
    radius = 1.0 + 0.2 * xp.tanh(p)
    x, y = radius * np.cos(theta), radius * np.sin(theta)
    cross = x * xp.roll(y, -1) - xp.roll(x, -1) * y
    area = 0.5 * xp.abs(cross.sum())
    perimeter = xp.hypot(xp.roll(x, -1) - x, xp.roll(y, -1) - y).sum()
    centroid_x = ((x + xp.roll(x, -1)) * cross).sum() / (6 * area)
    return perimeter ** 2 / (4 * np.pi * area) + centroid_x ** 2


def newton_with_line_search(xp, p):
    """One damped Newton step on a Rosenbrock-like function whose shape depends on the
    parameters: the gradient and Hessian written out, the step by np.linalg.solve and a
    backtracking search over halved steps by np.minimum.accumulate of the values."""
    a, b = 1.0 + 0.1 * p[0], 10.0 + p[1]
    x0 = p[2:4] + np.array([-0.5, 0.8])

    def f(x):
        return (a - x[..., 0]) ** 2 + b * (x[..., 1] - x[..., 0] ** 2) ** 2

    u, v = x0[0], x0[1]
    gradient = xp.stack([-2 * (a - u) - 4 * b * u * (v - u ** 2), 2 * b * (v - u ** 2)])
    hessian = xp.stack([xp.stack([2 - 4 * b * (v - 3 * u ** 2), -4 * b * u]),
                        xp.stack([-4 * b * u, 2 * b + 0 * u])])
    step = xp.linalg.solve(hessian, gradient)
    alphas = 0.5 ** np.arange(6)
    trials = f(x0 - alphas[:, None] * step)
    best_so_far = xp.minimum.accumulate(trials)
    return best_so_far[-1] + 0.1 * best_so_far.sum()


def sir_epidemic(xp, p):
    """An SIR epidemic by forward Euler with the rates as parameters, the trajectory
    gathered with np.stack, the peak of infections, the final size and the time-
    averaged susceptible fraction."""
    beta, gamma = 0.3 * xp.exp(p[0]), 0.1 * xp.exp(p[1])
    state = xp.stack([1.0 - 0.01 * xp.exp(p[2]), 0.01 * xp.exp(p[2]), 0.0 * p[2]])
    trajectory = [state]
    for _ in range(40):
        s, i, r = state
        infection = beta * s * i
        state = state + 0.5 * xp.stack([-infection, infection - gamma * i, gamma * i])
        trajectory.append(state)
    path = xp.stack(trajectory)
    return path[:, 1].max() + path[-1, 2] + path[:, 0].mean()


def peak_hold_envelope(xp, p):
    """An audio envelope: a decaying tone, rectified, its peak hold by
    np.maximum.accumulate over reversed blocks, and the envelope resampled on a finer
    grid by np.interp; an attack energy from np.diff."""
    t = np.linspace(0.0, 1.0, 24)
    tone = xp.exp(-(2.0 + p[0]) * t) * xp.sin(2 * np.pi * (3.0 + 0.2 * p[1]) * t + p[2])
    blocks = xp.abs(tone).reshape(6, 4).max(axis=1)
    hold = xp.maximum.accumulate(blocks[::-1])[::-1]
    fine = xp.interp(np.linspace(0.0, 1.0, 15), np.linspace(0.0, 1.0, 6), hold)
    return fine.sum() + (xp.diff(blocks) ** 2).sum()


def forward_kinematics(xp, p):
    """A planar arm: joint angles summed by np.cumsum into link directions, joint
    positions by np.cumsum of the link vectors, the end effector's distance to a target
    and the arm's reach envelope."""
    angles, lengths = p[:4], 1.0 + 0.1 * p[4:8]
    absolute = xp.cumsum(angles)
    joints = xp.cumsum(xp.stack([lengths * xp.cos(absolute), lengths * xp.sin(absolute)],
                                axis=1), axis=0)
    target = np.array([1.5, 2.0])
    reach = xp.linalg.norm(joints, axis=1)
    return ((joints[-1] - target) ** 2).sum() + 0.1 * reach.max() + 0.01 * (angles ** 2).sum()


def tfidf_similarity(xp, p):
    """TF-IDF of an integer count matrix with learned term weights: term frequencies
    from int counts, idf by np.log1p of int document frequencies, rows normalised by
    np.linalg.norm(keepdims=True), a cosine-similarity matrix's off-diagonal mass."""
    counts = _COUNTS + xp.exp(p[:6]) * 0.1
    tf = counts / counts.sum(axis=1, keepdims=True)
    document_frequency = (_COUNTS > 0).sum(axis=0)
    idf = xp.log1p(_COUNTS.shape[0] / (1 + document_frequency))
    vectors = tf * idf
    unit = vectors / xp.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = unit @ unit.T
    return similarity[np.triu_indices(4, 1)].sum() + (_COUNTS @ p[:6]).mean()


def focal_loss_with_label_smoothing(xp, p):
    """Multiclass focal loss on label-smoothed targets: a stable log-softmax, the
    probability of the true class by np.take_along_axis, (1 - p_t) ** gamma."""
    logits = p[:12].reshape(4, 3)
    labels = np.array([0, 2, 1, 2])
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
    targets = np.eye(3)[labels] * 0.9 + 0.1 / 3
    smoothed = -(targets * log_probs).sum(axis=1)
    true_log_prob = xp.take_along_axis(log_probs, labels[:, None], axis=1)[:, 0]
    focal = -(1 - xp.exp(true_log_prob)) ** 2 * true_log_prob
    return smoothed.mean() + focal.mean()


def top_k_by_partition(xp, p):
    """Retrieval scores, the sum of the top three by np.partition(-k), the same by
    np.sort in descending order, a margin between the 3rd and 4th by np.sort, and a
    gather of the best item's features by np.argsort."""
    scores = np.linspace(-1.0, 1.0, 8) * 2.0 + p
    top = xp.partition(scores, -3)[-3:]
    descending = xp.sort(scores)[::-1]
    order = xp.argsort(scores)
    margin = descending[2] - descending[3]
    return top.sum() + descending[:3].sum() + xp.log1p(xp.exp(-margin)) + scores[order[-1]]


def group_means_by_unique(xp, p):
    """Group statistics keyed by integer ids: np.unique(return_inverse=True,
    return_counts=True), group sums by np.bincount(weights=) of parameter values,
    group means broadcast back by the inverse, the within-group variance."""
    values = p[:9] * np.linspace(0.5, 1.5, 9)
    keys, inverse, counts = xp.unique(_KEYS, return_inverse=True, return_counts=True)
    sums = xp.bincount(inverse, weights=values)
    means = sums / counts
    within = ((values - means[inverse]) ** 2).sum()
    return within + (means * keys).sum() + xp.bincount(inverse, values ** 2, minlength=6)[-1]


def image_padding_and_resampling(xp, p):
    """A small image padded with np.pad in 'reflect', 'edge' and 'symmetric' modes and
    a constant, upsampled by np.kron with a block of ones, rotated by np.rot90, and the
    lower triangle of its Gram matrix by np.tril_indices."""
    image = p[:12].reshape(3, 4)
    reflect = xp.pad(image, 1, mode="reflect")
    edge = xp.pad(image, ((0, 2), (1, 0)), mode="edge")
    symmetric = xp.pad(image, (2, 1), mode="symmetric")
    constant = xp.pad(image, 1, constant_values=0.5)
    up = xp.kron(image, np.ones((2, 2)))
    turned = xp.rot90(image, k=-1)
    gram = image @ image.T
    lower = gram[np.tril_indices(3, -1)]
    laplacian = reflect[:-2, 1:-1] + reflect[2:, 1:-1] - 2 * image
    return ((laplacian ** 2).sum() + edge[-1].sum() + symmetric[0, :].sum() + constant.mean()
            + (up[::2, ::2] - image).sum() + (turned[:, 0] * np.arange(4)).sum() + lower.sum())


def robust_statistics(xp, p):
    """Sorting-based statistics of data shifted by the parameters: the median, the
    median absolute deviation, np.percentile with the default and 'midpoint' methods,
    np.quantile with 'weibull', and a trimmed mean by np.sort."""
    data = _DATA + 0.3 * p
    median = xp.median(data)
    mad = xp.median(xp.abs(data - median))
    low, high = xp.percentile(data, [10, 90])
    middle = xp.percentile(data, 40, method="midpoint")
    quartiles = xp.quantile(data, [0.25, 0.75], method="weibull")
    trimmed = xp.sort(data)[2:-2].mean()
    return median + mad + (high - low) + middle + quartiles.sum() + trimmed


def spectral_quantities(xp, p):
    """Linear algebra people reach for: eigh of an SPD matrix, singular values and
    vectors by svd, pinv of a tall matrix, matrix_power, and np.linalg.norm with
    ord='nuc', 2, -2, 1, inf and 'fro'."""
    a = p[:9].reshape(3, 3)
    spd = a @ a.T + np.eye(3)
    eigenvalues, eigenvectors = xp.linalg.eigh(spd)
    u, s, vt = xp.linalg.svd(a + 2 * np.eye(3))
    tall = xp.concatenate([a, p[9:12].reshape(1, 3)])
    pseudo = xp.linalg.pinv(tall)
    power = xp.linalg.matrix_power(spd / xp.trace(spd), 3)
    norms = (xp.linalg.norm(a, "nuc") + xp.linalg.norm(a + 2 * np.eye(3), 2)
             + xp.linalg.norm(a + 2 * np.eye(3), -2) + xp.linalg.norm(a, 1)
             + xp.linalg.norm(a, np.inf) + xp.linalg.norm(a, "fro"))
    return (eigenvalues @ np.array([1.0, 2.0, 3.0]) + (eigenvectors[:, -1] ** 4).sum()
            + s.sum() + (u[:, 0] * vt[0]).sum() ** 2 + pseudo.sum() + power.sum() + norms)


def polyfit_of_moving_data(xp, p):
    """np.polyfit where both the abscissae and the ordinates depend on the parameters,
    the fitted values by np.polyval, the vertex of the parabola and the residual."""
    x = np.linspace(-1.0, 1.0, 7) + 0.05 * p[:7]
    y = xp.sin(x) + 0.1 * p[7:14]
    coefficients = xp.polyfit(x, y, 2)
    fitted = xp.polyval(coefficients, x)
    vertex = -coefficients[1] / (2 * coefficients[0])
    return ((y - fitted) ** 2).sum() + vertex + xp.polyval(coefficients, 0.5)


def histogram_density_with_moving_edges(xp, p):
    """np.histogram(density=True) with weights from the parameters and bin edges given
    as an array that depends on them: the density divides by the bin widths."""
    edges = np.linspace(-2.0, 2.0, 6) * (1.0 + 0.05 * p[0])
    weights = xp.exp(0.3 * p[1:12])
    density, returned_edges = xp.histogram(_DATA, bins=edges, weights=weights, density=True)
    counts, _ = xp.histogram(_DATA, bins=5, range=(-2.0, 2.0), weights=weights)
    return (density ** 2).sum() + returned_edges.sum() + counts @ np.arange(5.0)


def nan_aware_sensors(xp, p):
    """Sensor readings with missing entries (NaN) shifted by per-sensor offsets:
    np.nansum, np.nanmean and np.nanstd by axis, np.nanmax, a NaN-filled gap by np.where
    and np.isnan, and np.nan_to_num.  (Offsets, not gains: a gain's gradient would be
    0 * NaN at a missing entry, NaN as in PyTorch and HIPS autograd.)"""
    readings = _READINGS + 0.1 * p[:5]
    total = xp.nansum(readings, axis=1)
    mean = xp.nanmean(readings, axis=0)
    spread = xp.nanstd(readings, axis=1, ddof=1)
    filled = xp.where(xp.isnan(readings), mean, readings)
    return (total ** 2).sum() + spread.sum() + xp.nanmax(readings) + filled.sum() + \
        xp.nan_to_num(readings, nan=0.5).sum()


def tax_brackets(xp, p):
    """Income tax by brackets: the tax by np.piecewise over incomes that depend on the
    parameters, the marginal rate by np.select, and the effective rate."""
    income = 40000.0 * xp.exp(0.5 * p)
    tax = xp.piecewise(income, [income < 20000, (income >= 20000) & (income < 60000),
                                income >= 60000],
                       [lambda x: 0.1 * x, lambda x: 2000 + 0.25 * (x - 20000),
                        lambda x: 12000 + 0.4 * (x - 60000)])
    marginal = xp.select([income < 20000, income < 60000], [0.1, 0.25], default=0.4)
    effective = tax / income
    return tax.sum() / 1e4 + (marginal * income).sum() / 1e5 + effective.sum()


def lookup_table(xp, p):
    """A learned lookup table: queries placed in bins by np.searchsorted, the table
    entries gathered by np.take and linearly interpolated between neighbours; the
    queries move with the parameters too."""
    table = p[:6]
    knots = np.linspace(0.0, 1.0, 6)
    queries = np.array([0.05, 0.31, 0.47, 0.66, 0.93]) + 0.02 * xp.tanh(p[6:11])
    index = xp.clip(xp.searchsorted(knots, queries) - 1, 0, 4)
    fraction = (queries - knots[index]) / (knots[1] - knots[0])
    value = xp.take(table, index) * (1 - fraction) + xp.take(table, index + 1) * fraction
    return (value ** 2).sum() + (xp.diff(table) ** 2).sum()


def meshgrid_potential(xp, p):
    """The potential of point charges sampled on a grid from np.meshgrid(indexing='ij'),
    its field by np.gradient along both axes, and the field energy."""
    xs, ys = np.linspace(-1.0, 1.0, 5), np.linspace(-1.0, 1.0, 4)
    gx, gy = xp.meshgrid(xs, ys, indexing="ij")
    positions = p[:4].reshape(2, 2) * 0.3
    charges = np.array([1.0, -0.5]) * (1 + 0.1 * p[4:6])
    distance = xp.sqrt((gx[..., None] - positions[:, 0]) ** 2
                       + (gy[..., None] - positions[:, 1]) ** 2 + 0.1)
    potential = (charges / distance).sum(axis=-1)
    ex, ey = xp.gradient(potential, xs, ys)
    return (ex ** 2 + ey ** 2).sum() + potential[2, 1]


def segment_sums_by_reduceat(xp, p):
    """Ragged sequences stored flat: per-segment sums by np.add.reduceat, lengths by
    np.diff of the offsets, segment means broadcast back by np.repeat, and a per-
    segment log-sum-exp with np.maximum.reduceat as the shift."""
    offsets = np.array([0, 3, 4, 8])
    lengths = np.diff(np.append(offsets, p.size))
    totals = xp.add.reduceat(p, offsets)
    means = totals / lengths
    centred = p - xp.repeat(means, lengths)
    shift = xp.maximum.reduceat(p, offsets)
    log_sum_exp = shift + xp.log(xp.add.reduceat(xp.exp(p - xp.repeat(shift, lengths)), offsets))
    return (centred ** 2).sum() + log_sum_exp.sum()


def pairwise_by_ufunc_outer(xp, p):
    """Pairwise terms by ufunc.outer: a Coulomb energy over np.subtract.outer
    distances, a Gaussian kernel by np.multiply.outer, np.add.outer of biases and
    np.maximum.outer, summed over np.triu_indices."""
    x = p[:5]
    upper = np.triu_indices(5, 1)
    distance = xp.abs(xp.subtract.outer(x, x + 3.0))
    kernel = xp.exp(-xp.multiply.outer(x, x) ** 2)
    biases = xp.add.outer(p[5:8], x)
    hinge = xp.maximum.outer(x, 0.1 * np.arange(3.0))
    return ((1.0 / distance).sum() + kernel[upper].sum() + (biases ** 2).mean()
            + hinge.sum())


def out_and_where_arguments(xp, p):
    """Ufuncs writing into preallocated arrays and computing only where asked: a safe
    log and ratio with out=zeros and where=, np.add(..., out=a) into the first operand,
    np.multiply(..., out=) into a slice of a buffer."""
    x = p[:6] * 2.0
    safe_log = np.log(x, out=np.zeros_like(x), where=x > 0)
    ratio = np.divide(p[6:12], x, out=np.ones_like(x), where=np.abs(x) > 0.1)
    total = p[:6].copy()
    np.add(total, p[6:12], out=total)
    buffer = np.zeros_like(p)
    np.multiply(p[:6], p[6:12], out=buffer[3:9])
    return safe_log.sum() + (ratio ** 2).sum() + (total ** 2).sum() + (buffer ** 3).sum()


def in_place_on_views(xp, p):
    """In-place operators on slices and views of a copy: y[::2] *= 2 through a view,
    y[1:3] += y[4:6], a reshaped view's row decremented, y[mask] /= 3, and x.T += 1 on a
    matrix."""
    y = p.copy()
    evens = y[::2]
    evens *= 2.0
    y[1:3] += y[4:6]
    grid = y.reshape(2, 6)
    grid[0] -= 1.0
    y[y > 1.0] /= 3.0
    m = p[:6].reshape(2, 3).copy()
    m.T[1] += 1.0
    return (y ** 2).sum() + (m ** 3).sum() + grid[1].prod()


def float32_with_float64_literals(xp, p):
    """Float32 sensor data mixed with Python and NumPy float64 scalars, an int array and
    a float64 constant inside np.errstate: NumPy 2's promotion decides each dtype."""
    data = np.linspace(0.5, 2.0, p.size).astype(np.float32)
    counts = np.arange(1, p.size + 1)
    scaled = data * p + 1.5
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = xp.where(scaled > 0, xp.log(xp.where(scaled > 0, scaled, 1.0)), 0.0)
    mixed = scaled * counts + np.float32(2.0) * p
    wide = scaled * np.float64(0.5)
    return logs.sum() + (mixed ** 2).mean() / counts.sum() + wide.sum() + np.float32(0.1) * p.sum()


#: (program, parameters, whether HIPS autograd has every function the program calls);
#: ray_sphere_hits and tfidf_similarity are left out because HIPS autograd's gradient of
#: np.linalg.norm(..., keepdims=True) is wrong (ours agrees with PyTorch's and central differences)
PROGRAMS = [
    (black_scholes_greeks, _rng.normal(size=6), True),
    (portfolio_variance, _rng.normal(size=8), False),
    (bond_by_discount_factors, _rng.normal(size=6), False),
    (barycentric_coordinates, _rng.normal(size=6) * 0.2, True),
    (ray_sphere_hits, _rng.normal(size=13) * 0.1, False),
    (rodrigues_rotation, _rng.normal(size=6), False),
    (shoelace_polygon, _rng.normal(size=9), True),
    (newton_with_line_search, _rng.normal(size=4) * 0.2, False),
    (sir_epidemic, _rng.normal(size=3) * 0.3, True),
    (peak_hold_envelope, _rng.normal(size=3) * 0.3, False),
    (forward_kinematics, _rng.normal(size=8), True),
    (tfidf_similarity, _rng.normal(size=6), False),
    (focal_loss_with_label_smoothing, _rng.normal(size=12), False),
    (top_k_by_partition, _rng.normal(size=8) * 0.1, True),
    (group_means_by_unique, _rng.normal(size=9), False),
    (image_padding_and_resampling, _rng.normal(size=12), False),
    (robust_statistics, _rng.normal(size=11), False),
    (spectral_quantities, _rng.normal(size=12), False),
    (polyfit_of_moving_data, _rng.normal(size=14), False),
    (histogram_density_with_moving_edges, _rng.normal(size=12), False),
    (nan_aware_sensors, _rng.normal(size=5), False),
    (tax_brackets, _rng.normal(size=6), False),
    (lookup_table, _rng.normal(size=11), False),
    (meshgrid_potential, _rng.normal(size=6), False),
    (segment_sums_by_reduceat, _rng.normal(size=10), False),
    (pairwise_by_ufunc_outer, _rng.normal(size=8), False),
    (out_and_where_arguments, _rng.normal(size=12), False),
    (in_place_on_views, _rng.normal(size=12), False),
    (float32_with_float64_literals, _rng.normal(size=7), True),
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
