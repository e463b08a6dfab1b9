"""More of the twenty-fifth set of NumPy programs (``test_numpy_programs_twentyfifth``):
networks (heat diffusing over a COO edge list merged by ``np.unique(axis=0,
return_inverse=True)``, degrees by ``np.bincount(weights=)`` and the Laplacian by
``np.add.at``), finance (an option book priced by ``np.vectorize`` over a branching
Python function with an excluded keyword), statistics (a kernel two-sample MMD with
kernel matrices by ``np.fromfunction`` and ``np.fill_diagonal``; a bootstrap interval by
``np.percentile`` with a weighted ``np.quantile``), econometrics (turning points of a
``np.polyfit`` trend by ``np.roots`` of ``np.polyder``) and kinematics (a rotation by
scaling and squaring with ``np.linalg.matrix_power``). Checked as every round is
(``numpy_program_checks``), float32 included.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261226)


def coo_graph_diffusion(xp, p):
    """Networks: heat diffusing over a graph given as COO edge lists with duplicates,
    the duplicates merged by ``np.unique(axis=0, return_inverse=True)``, weighted
    degrees by ``np.bincount(weights=)``, the Laplacian applied by ``np.add.at`` into
    a Tensor, stepped explicitly; the heat left at the source and its spread."""
    edges = np.array([[0, 1], [1, 2], [2, 3], [3, 0], [1, 3], [0, 1], [2, 4], [4, 5],
                      [5, 3], [2, 4]])
    pairs, inverse = np.unique(edges, axis=0, return_inverse=True)
    raw = xp.exp(0.3 * p[:10])
    weights = xp.bincount(inverse.ravel(), weights=raw, minlength=len(pairs))
    tail, head = pairs[:, 0], pairs[:, 1]
    degree = (xp.bincount(tail, weights=weights, minlength=6)
              + xp.bincount(head, weights=weights, minlength=6))
    heat = np.eye(6)[0]
    for _ in range(8):
        flow = weights * (heat[tail] - heat[head])
        change = xp.zeros_like(degree)
        xp.add.at(change, tail, -flow)
        xp.add.at(change, head, flow)
        heat = heat + 0.05 * change
    spread = xp.sum(heat * np.arange(6.0) ** 2) - xp.sum(heat * np.arange(6.0)) ** 2
    return heat[0] + spread + 0.01 * xp.sum(degree)


def vectorized_option_book(xp, p):
    """Finance: a book of options priced by ``np.vectorize`` over a Python function
    that branches on each contract's kind (a call, a put or a digital) with the
    volatility passed as an excluded keyword, the Black-Scholes legs written with
    ``np.exp``, ``np.log`` and an ``erf`` built from ``np.tanh``."""
    spots = np.array([100.0, 95.0, 105.0, 100.0, 110.0])
    strikes = np.array([100.0, 100.0, 100.0, 95.0, 120.0])
    kinds = np.array([0, 1, 2, 0, 1])
    volatility = 0.2 * xp.exp(0.3 * p[0])
    rate = 0.02 + 0.01 * p[1]

    def normal_cdf(z):
        return 0.5 * (1 + xp.tanh(0.7978845608 * (z + 0.044715 * z ** 3)))

    def price(spot, strike, kind, sigma):
        d1 = (xp.log(spot / strike) + (rate + sigma ** 2 / 2)) / sigma
        d2 = d1 - sigma
        if kind == 0:
            return spot * normal_cdf(d1) - strike * xp.exp(-rate) * normal_cdf(d2)
        if kind == 1:
            return strike * xp.exp(-rate) * normal_cdf(-d2) - spot * normal_cdf(-d1)
        return 10.0 * xp.exp(-rate) * normal_cdf(d2)

    prices = xp.vectorize(price, excluded={"sigma"})(spots, strikes, kinds,
                                                      sigma=volatility)
    return xp.sum(prices * np.array([1.0, -1.0, 2.0, 0.5, 1.0])) / 10


def kernel_two_sample_mmd(xp, p):
    """Statistics: the maximum mean discrepancy between two samples, the second
    shifted and scaled by parameters, with Gaussian kernel matrices built by
    ``np.fromfunction`` over index grids (a closure over the samples), the diagonal
    removed by ``np.fill_diagonal`` on a copy for the unbiased estimate."""
    first = np.random.default_rng(11).normal(size=(7, 2))
    second = np.random.default_rng(12).normal(size=(6, 2)) * xp.exp(0.2 * p[0]) + 0.3 * p[1:3]
    bandwidth = 1.0 + 0.1 * xp.tanh(p[3])

    def kernel(a, b):
        def entry(i, j):
            i, j = i.astype(int), j.astype(int)
            return xp.exp(-xp.sum((a[i] - b[j]) ** 2, axis=-1) / (2 * bandwidth ** 2))
        return xp.fromfunction(entry, (len(a), len(b)))

    within_first = kernel(first, first).copy()
    within_second = kernel(second, second).copy()
    xp.fill_diagonal(within_first, 0.0)
    xp.fill_diagonal(within_second, 0.0)
    across = kernel(first, second)
    n, m = len(first), len(second)
    return (xp.sum(within_first) / (n * (n - 1)) + xp.sum(within_second) / (m * (m - 1))
            - 2 * xp.mean(across))


def bootstrap_percentile_interval(xp, p):
    """Statistics: a bootstrap of a trimmed mean with fixed resampling indices from
    ``rng.integers``, each replicate's 20 % trimmed mean by ``np.sort`` along the rows,
    the interval by ``np.percentile`` and a weighted median by ``np.quantile`` with
    ``weights=`` and ``method="inverted_cdf"``."""
    data = (np.array([2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 2.8, 7.9, 3.1, 4.0])
            * xp.exp(0.1 * p[0]) + 0.5 * p[1])
    draws = np.random.default_rng(13).integers(0, data.size, size=(25, data.size))
    replicates = xp.sort(data[draws], axis=1)[:, 2:-2]
    trimmed = xp.mean(replicates, axis=1)
    low, high = xp.percentile(trimmed, [5, 95])
    weighted_median = xp.quantile(data, 0.5, weights=np.arange(1.0, 11.0),
                                  method="inverted_cdf")
    return (high - low) + xp.mean(trimmed) / 10 + weighted_median / 10


def cubic_trend_turning_points(xp, p):
    """Econometrics: a cubic trend fitted by ``np.polyfit``, its turning points as the
    real roots of ``np.polyder`` by ``np.roots``, and the trend's values there by
    ``np.polyval``; the gap between the peak and the trough."""
    years = np.linspace(-1.0, 1.0, 12)
    series = (years ** 3 - 0.6 * years + 0.2 * np.sin(years * 5)) * (1 + 0.1 * p[0]) \
        + 0.05 * p[1] * years ** 2
    trend = xp.polyfit(years, series, 3)
    turning = xp.roots(xp.polyder(trend))
    turning = xp.real(turning)  # both real here: the slope's discriminant is positive
    values = xp.polyval(trend, turning)
    return xp.max(values) - xp.min(values) + xp.sum(trend ** 2) / 10


def rotation_by_scaling_and_squaring(xp, p):
    """Kinematics: the rotation of a skew-symmetric generator built from an angular
    velocity, by scaling and squaring: a degree-6 Taylor polynomial of the scaled
    matrix by ``np.linalg.matrix_power`` terms, squared back by ``matrix_power``; its
    orthogonality defect and the rotated point."""
    omega = np.array([0.3, -0.2, 0.5]) + 0.2 * p[:3]
    generator = xp.stack([xp.stack([0 * omega[0], -omega[2], omega[1]]),
                          xp.stack([omega[2], 0 * omega[0], -omega[0]]),
                          xp.stack([-omega[1], omega[0], 0 * omega[0]])])
    squarings = 4
    scaled = generator / 2 ** squarings
    series = np.eye(3) + sum(xp.linalg.matrix_power(scaled, k) / np.prod(np.arange(1, k + 1))
                             for k in range(1, 7))
    rotation = xp.linalg.matrix_power(series, 2 ** squarings)
    defect = xp.linalg.norm(rotation.T @ rotation - np.eye(3))
    point = rotation @ np.array([1.0, 0.0, 0.0])
    return point @ np.array([0.2, 0.5, 1.0]) + 1e3 * defect ** 2


PROGRAMS = [
    (coo_graph_diffusion, _rng.normal(0, 0.5, size=10), False),  # autograd: no add.at
    (vectorized_option_book, _rng.normal(0, 0.5, size=2), True),
    (kernel_two_sample_mmd, _rng.normal(0, 0.5, size=4), False),  # autograd: no fill_diagonal
    (bootstrap_percentile_interval, _rng.normal(0, 0.5, size=2), False),  # autograd: 2-D sort
    (cubic_trend_turning_points, _rng.normal(0, 0.5, size=2), False),  # autograd: no polyfit
    (rotation_by_scaling_and_squaring, _rng.normal(0, 0.5, size=3), False),  # autograd: no power
]

globals().update(program_tests(PROGRAMS, float32=True, finite=True))  # the shared checks
