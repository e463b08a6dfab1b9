"""More of the twenty-ninth set of short NumPy programs (test_numpy_programs_twentyninth.py
has the first part): top-k selection by ``np.argpartition`` and
``np.take_along_axis``, quantile losses by ``np.median``/``np.quantile(method=...)``,
tax brackets by ``np.select`` and ``np.piecewise``, kernels by ``np.fromfunction`` and
row statistics by ``np.apply_along_axis``, rank-one updates by ``np.outer``/
``np.inner``/``np.vdot``, filters by ``np.heaviside``/``np.sinc``/``np.i0``, stable
numerics by ``np.log1p``/``np.expm1``/``np.copysign``/``np.ldexp``/``np.frexp``,
phase wrapping by ``np.divmod``/``np.fmod``/``np.remainder``, box constraints by
``np.clip`` with array bounds, group-bys by ``np.unique(return_inverse=True)`` and
``np.lexsort``, graph Laplacians by ``np.fill_diagonal``/``np.diag_indices_from``/
``np.ediff1d``/``np.trim_zeros``, polynomial least squares by ``np.vander``/
``np.tri``, allometric scaling by ``np.float_power``/``np.cbrt``/``np.modf``/
``np.around(decimals=)``, and a pendulum by symplectic Euler. Checked as every round
is (``numpy_program_checks``)."""

import numpy as np
import pytest

import autodiff as ad
from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261230)
_SCORES = _rng.normal(size=(5, 8))
_INCOMES = np.array([8e3, 2.1e4, 4.5e4, 7.2e4, 1.3e5, 2.6e5])
_FEATURES = _rng.normal(size=(6, 4))
_STATIONS = np.array([3, 1, 3, 2, 1, 3, 2, 2, 1, 3])
_DAYS = np.array([2, 1, 1, 2, 2, 1, 1, 2, 1, 2])
_EDGES = np.array([[0, 1], [1, 2], [2, 3], [3, 0], [0, 2], [3, 4]])
_TIMES = np.linspace(-1.0, 1.0, 9)
_MASSES = np.array([0.02, 0.3, 2.5, 40.0, 600.0, 4000.0])


def top_k_by_argpartition(xp, p):
    """Retrieval: scores of items per query shifted by ``p``, the top three per row by
    ``np.argpartition`` then ``np.take_along_axis``, ordered by ``np.argsort`` within
    them, and a softmax over the chosen ones."""
    scores = _SCORES + xp.reshape(p, (5, 8)) * 0.3
    top = np.argpartition(np.asarray(_SCORES), -3, axis=1)[:, -3:]
    chosen = xp.take_along_axis(scores, top, axis=1)
    order = np.argsort(-np.take_along_axis(_SCORES, top, axis=1), axis=1)
    ranked = xp.take_along_axis(chosen, order, axis=1)
    weights = xp.exp(ranked - xp.max(ranked, axis=1, keepdims=True))
    weights = weights / xp.sum(weights, axis=1, keepdims=True)
    discount = 1 / np.log2(np.arange(2, 5))
    return -xp.sum(weights * ranked * discount)


def quantile_losses(xp, p):
    """Robust statistics: residuals of a line from ``p``, the median absolute deviation
    by ``np.median``, a pinball loss at quantiles from ``np.quantile`` under several
    ``method=`` choices, and ``np.percentile`` of the squared residuals."""
    x = np.linspace(0, 1, 15)
    y = 2 * x + 0.3 * np.sin(9 * x)
    residual = y - (p[0] + p[1] * x)
    mad = xp.median(xp.abs(residual - xp.median(residual)))
    total = mad
    for method in ("linear", "hazen", "weibull", "median_unbiased", "nearest"):
        level = xp.quantile(residual, [0.2, 0.8], method=method)
        total = total + xp.sum(xp.abs(level))
    return total + xp.percentile(residual ** 2, 90) + xp.mean(residual ** 2)


def tax_by_select_and_piecewise(xp, p):
    """Public finance: a progressive tax with bracket rates from ``p`` by ``np.select``,
    a phase-out credit by ``np.piecewise`` with functions and constants, and the
    after-tax income's inequality as a coefficient of variation."""
    rates = 0.1 + 0.3 / (1 + xp.exp(-p[:4]))
    edges = np.array([0.0, 1e4, 4e4, 1e5])
    tax_in = [xp.clip(_INCOMES - edges[i], 0.0, None) * (rates[i] - (rates[i - 1] if i else 0.0))
              for i in range(4)]
    tax = xp.sum(xp.stack(tax_in), axis=0)
    surcharge = xp.select([_INCOMES > 2e5, _INCOMES > 1e5], [0.02 * _INCOMES * rates[3],
                          0.01 * _INCOMES * rates[2]], default=0.0)
    credit_scale = xp.exp(p[4])
    credit = xp.piecewise(_INCOMES * credit_scale / credit_scale,
                          [_INCOMES < 2e4, (_INCOMES >= 2e4) & (_INCOMES < 5e4)],
                          [lambda v: 500.0 * credit_scale + 0 * v,
                           lambda v: credit_scale * (500.0 - (v - 2e4) / 60.0), 0.0])
    net = _INCOMES - tax - surcharge + credit
    return xp.std(net) / xp.mean(net) + xp.sum(tax) / 1e5


def kernel_by_fromfunction_rows_by_apply_along_axis(xp, p):
    """Gaussian processes: a squared-exponential kernel over a grid built by
    ``np.fromfunction`` with a length scale from ``p``, a solve by
    ``np.linalg.solve``, and per-row normalised energies by ``np.apply_along_axis``."""
    scale = xp.exp(p[0])
    kernel = np.fromfunction(lambda i, j: xp.exp(-((i - j) / 3.0) ** 2 / scale), (6, 6))
    kernel = kernel + 0.1 * np.eye(6)
    alpha = xp.linalg.solve(kernel, xp.sin(np.arange(6.0)) + p[1:7])
    normalised = np.apply_along_axis(lambda row: row / xp.sqrt(xp.sum(row ** 2)), 1, kernel)
    return xp.sum(alpha ** 2) + xp.sum(normalised[:, 0])


def rank_one_updates_by_outer_inner_vdot(xp, p):
    """Quasi-Newton: BFGS updates of an inverse Hessian by ``np.outer``, the curvature
    by ``np.inner``, and the final step's length by ``np.vdot`` of flattened matrices."""
    h = np.eye(4)
    steps = xp.reshape(p[:8], (2, 4))
    changes = xp.reshape(p[8:], (2, 4)) + 2 * steps
    for s, y in zip(steps, changes):
        rho = 1 / xp.inner(y, s)
        left = np.eye(4) - rho * xp.outer(s, y)
        h = left @ h @ left.T + rho * xp.outer(s, s)
    gradient = np.array([1.0, -0.5, 0.25, 2.0])
    step = h @ gradient
    return xp.vdot(h, h) / 10 + xp.inner(step, gradient)


def filters_by_heaviside_sinc_and_i0(xp, p):
    """Signal design: a band-limited interpolation by ``np.sinc`` with a Kaiser-Bessel
    taper built from ``np.i0``, gated by ``np.heaviside`` at the taper's support."""
    beta = 3.0 + xp.exp(p[0])
    shift = 0.3 * xp.tanh(p[1])
    taps = np.arange(-4.0, 5.0)
    arg = 1 - ((taps - shift) / 5.0) ** 2
    taper = xp.i0(beta * xp.sqrt(xp.clip(arg, 0.0, None))) / xp.i0(beta)
    gate = xp.heaviside(arg, 0.5)
    weights = xp.sinc(taps - shift) * taper * gate
    samples = xp.cos(0.4 * taps) + 0.1 * p[2:11]
    return xp.sum(weights * samples) + xp.sum(weights ** 2)


def stable_numerics_log1p_expm1_ldexp(xp, p):
    """Numerics: softplus and its inverse by ``np.log1p``/``np.expm1`` written stably
    with ``np.copysign`` and ``np.abs``, scaling by powers of two with ``np.ldexp`` and
    the mantissas of ``np.frexp`` (the exponents fixed: an integer has no gradient)."""
    softplus = xp.maximum(p, 0.0) + xp.log1p(xp.exp(-xp.abs(p)))
    inverse = xp.log(-xp.expm1(-softplus)) + softplus
    odd = xp.copysign(xp.log1p(xp.abs(p)), p)
    mantissa, exponent = xp.frexp(p * 10.0)
    rebuilt = xp.ldexp(mantissa, exponent)
    scaled = xp.ldexp(p, 3)
    return (xp.sum((inverse - p) ** 2) * 1e6 + xp.sum(odd ** 2) + xp.sum(rebuilt * p)
            + xp.sum(scaled) / 8 + xp.sum(mantissa))


def phases_by_divmod_fmod_remainder(xp, p):
    """Rotating machinery: angles in degrees from ``p``, whole turns and remainders by
    ``np.divmod``, signed wrapping by ``np.fmod``, wrapping into ``[-180, 180)`` by
    ``np.remainder``, and the circular mean of the wrapped angles."""
    angles = 400.0 * p + 7.0
    turns, within = xp.divmod(angles, 360.0)
    signed = xp.fmod(angles, 360.0)
    wrapped = xp.remainder(angles + 180.0, 360.0) - 180.0
    radians = xp.deg2rad(wrapped)
    mean_direction = xp.arctan2(xp.mean(xp.sin(radians)), xp.mean(xp.cos(radians)))
    return (xp.sum(within) / 360 + xp.sum(xp.abs(signed)) / 360 + mean_direction
            + xp.sum(turns * p))


def projected_gradient_with_array_clip(xp, p):
    """Optimisation: projected gradient descent on a least-squares problem inside a box
    whose bounds are arrays (one of them depending on ``p``), by ``np.clip`` with array
    bounds."""
    a = _FEATURES
    b = xp.tanh(p[:6])
    lower = np.array([-0.2, -1.0, 0.0, -0.5])
    upper = 0.3 + xp.exp(p[6:10])
    x = xp.zeros(4)
    for _ in range(30):
        x = xp.clip(x - 0.05 * (a.T @ (a @ x - b)), lower, upper)
    return xp.sum((a @ x - b) ** 2) + xp.sum(x)


def group_by_unique_inverse_and_lexsort(xp, p):
    """Data wrangling: readings grouped by station with ``np.unique(return_inverse=True,
    return_counts=True)``, group means by ``np.bincount(weights=)``, deviations from
    them, and the readings ordered by day then station by ``np.lexsort``."""
    readings = 10.0 + p
    stations, inverse, counts = np.unique(_STATIONS, return_inverse=True, return_counts=True)
    means = xp.bincount(inverse, weights=readings) / counts
    deviation = readings - means[inverse]
    order = np.lexsort((_STATIONS, _DAYS))
    ordered = readings[order]
    return xp.sum(deviation ** 2) + xp.sum(xp.diff(ordered) ** 2) / 10 + xp.sum(means * stations)


def graph_laplacian_by_fill_diagonal(xp, p):
    """Networks: a weighted adjacency from edge weights in ``p``, the Laplacian by
    ``np.fill_diagonal`` of a Tensor, its diagonal read back by
    ``np.diag_indices_from``, eigenvalues by ``np.linalg.eigvalsh``, and their gaps by
    ``np.ediff1d`` after ``np.trim_zeros`` of a padded sequence."""
    weights = xp.exp(p)
    adjacency = xp.zeros_like(weights, shape=(5, 5))
    adjacency[_EDGES[:, 0], _EDGES[:, 1]] = weights
    adjacency = adjacency + adjacency.T
    laplacian = -adjacency
    np.fill_diagonal(laplacian, xp.sum(adjacency, axis=1))
    degrees = laplacian[np.diag_indices_from(laplacian)]
    eigenvalues = xp.linalg.eigvalsh(laplacian)
    gaps = xp.ediff1d(xp.trim_zeros(xp.concatenate([xp.zeros(2), eigenvalues[1:]])))
    return xp.sum(gaps ** 2) + eigenvalues[1] + xp.sum(degrees) / 10


def polynomial_least_squares_by_vander(xp, p):
    """Fitting: a cubic by least squares on ``np.vander`` columns (decreasing and
    ``increasing=True``) with targets from ``p``, solved by ``np.linalg.lstsq``, and
    running sums of the fit by ``np.tri``."""
    targets = xp.sin(2 * _TIMES) + 0.1 * p
    design = np.vander(_TIMES, 4)
    coefficients = xp.linalg.lstsq(design, targets, rcond=None)[0]
    on_its_own_points = xp.vander(targets[:4], 3, increasing=True)
    fitted = design @ coefficients
    running = np.tri(9) @ fitted
    return xp.sum((fitted - targets) ** 2) + xp.sum(running) / 10 + xp.sum(on_its_own_points)


def allometric_scaling_float_power_cbrt(xp, p):
    """Biology: metabolic rates by Kleiber's law ``a * M ** b`` with ``np.float_power``,
    lengths by ``np.cbrt`` of masses, whole and fractional log-decades by ``np.modf``,
    and a reported value rounded by ``np.around(decimals=)`` that carries no gradient
    beyond its rounding (NumPy's rounding is piecewise constant)."""
    exponent = 0.75 + 0.1 * xp.tanh(p[0])
    rate = xp.exp(p[1]) * xp.float_power(_MASSES, exponent)
    length = xp.cbrt(_MASSES * xp.exp(p[2]))
    fraction, whole = xp.modf(xp.log10(rate))
    reported = xp.around(rate, decimals=2)
    return (xp.sum(xp.log(rate)) + xp.sum(length) + xp.sum(fraction) + xp.sum(whole)
            + xp.sum(reported - rate) * 0.0 + xp.sum(rate))


def pendulum_by_symplectic_euler(xp, p):
    """Mechanics: a damped pendulum stepped by symplectic Euler with its length and
    damping from ``p``, the energy drift by ``np.diff``, and the trajectory's Gram
    matrix by ``np.outer`` with its trace by ``np.inner``."""
    length, damping = xp.exp(p[0]), 0.1 * xp.exp(p[1])
    angle, speed = 0.8 + p[2], p[3]
    angles, energies = [], []
    for _ in range(40):
        speed = speed - 0.05 * (9.81 / length * xp.sin(angle) + damping * speed)
        angle = angle + 0.05 * speed
        angles.append(angle)
        energies.append(0.5 * length ** 2 * speed ** 2 + 9.81 * length * (1 - xp.cos(angle)))
    angles, energies = xp.stack(angles), xp.stack(energies)
    gram = xp.outer(angles[::8], angles[::8])
    return xp.sum(xp.diff(energies) ** 2) * 100 + xp.trace(gram) + xp.inner(angles, angles) / 40


PROGRAMS = [
    (top_k_by_argpartition, _rng.normal(0, 0.5, size=40), False),  # take_along_axis
    (quantile_losses, _rng.normal(0, 0.5, size=2), False),  # method= quantiles
    (tax_by_select_and_piecewise, _rng.normal(0, 0.5, size=5), False),
    (kernel_by_fromfunction_rows_by_apply_along_axis, _rng.normal(0, 0.5, size=7), False),
    (rank_one_updates_by_outer_inner_vdot, _rng.normal(0, 0.5, size=16), False),  # vdot
    (filters_by_heaviside_sinc_and_i0, _rng.normal(0, 0.5, size=11), False),
    (stable_numerics_log1p_expm1_ldexp, _rng.normal(0, 0.8, size=6), False),
    (phases_by_divmod_fmod_remainder, _rng.normal(0, 0.5, size=6), False),
    (projected_gradient_with_array_clip, _rng.normal(0, 0.5, size=10), False),  # clip bounds
    (group_by_unique_inverse_and_lexsort, _rng.normal(0, 0.5, size=10), False),
    (graph_laplacian_by_fill_diagonal, _rng.normal(0, 0.5, size=6), False),
    (polynomial_least_squares_by_vander, _rng.normal(0, 0.5, size=9), False),
    (allometric_scaling_float_power_cbrt, _rng.normal(0, 0.3, size=3), False),
    (pendulum_by_symplectic_euler, _rng.normal(0, 0.3, size=4), True),
]

globals().update(program_tests(PROGRAMS, float32=True, finite=True))  # the shared checks


@pytest.mark.parametrize("program, p", [
    (top_k_by_argpartition, PROGRAMS[0][1]), (projected_gradient_with_array_clip, PROGRAMS[8][1]),
    (phases_by_divmod_fmod_remainder, PROGRAMS[7][1])], ids=lambda v: getattr(v, "__name__", ""))
def test_a_program_and_its_gradient_under_vmap_over_a_batch(program, p):
    """``ad.vmap`` of the program and of its gradient over a batch of parameter vectors
    gives each row's own value and gradient."""
    batch = np.stack([p, 0.9 * p, p + 0.05])
    values = ad.vmap(lambda t: program(np, t))(batch)
    np.testing.assert_allclose(values, [program(np, row.copy()) for row in batch], rtol=1e-12)
    grads = ad.vmap(ad.grad(lambda t: program(np, t)))(batch)
    each = np.stack([ad.grad(lambda t: program(np, t))(row.copy()) for row in batch])
    np.testing.assert_allclose(grads, each, rtol=1e-10, atol=1e-12)
