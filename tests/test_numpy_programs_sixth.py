"""A sixth set of short NumPy programs, in styles the earlier sets did not use: ndarray
methods with Fortran order, in-place differencing with ``out=``, einsum traces and
diagonals, batched and least-squares solves, reduced QR, singular values only, an
explicit DFT with unwrapped phases, ufunc accumulations, three-way broadcast where and
np.select, bucketing by digitize, order statistics and percentile methods, weighted
moments, shape plumbing, cumulative integrals, the array-API products of NumPy 2,
clipping to array bounds, pseudo-inverses, rotations and tiles, diagonals with offsets,
an elementwise zoo, masked reductions, tensordot contractions and grid fields. Each is
differentiated unchanged with ``ad.grad``: the value is NumPy's to the bit, the
gradient matches central differences in float64 and HIPS autograd where autograd has
every function used, and the Hessian matches central differences of the gradient.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261207)
_X = _rng.normal(size=(8, 3))
_Y = _rng.normal(size=8)
_T = np.linspace(0.0, 1.0, 8)


def fortran_order_methods(xp, p):
    """ndarray methods only: reshape and ravel in Fortran order, .T, .dot, .sum and
    .mean with axes and keepdims, .cumsum, .round as a fixed factor, .swapaxes,
    .squeeze, .min, .prod, .var and .std with ddof."""
    a = p.reshape(3, 4, order="F")
    centred = a - a.mean(axis=1, keepdims=True)
    gram = centred.dot(centred.T)
    column_major = a.ravel(order="F")
    cube = a.reshape(2, 3, 2, order="F").swapaxes(0, 2)
    steps = a.round(1)
    return (gram.sum(axis=0).dot(xp.arange(3.0)) + column_major.cumsum().dot(_T[:1].repeat(12))
            + cube[:, :1, :].squeeze(axis=1).min(axis=0).sum() + (a[:, 0] + 2.0).prod()
            + a.var(axis=0).sum() + a.std(ddof=1) + (steps * a).sum()
            + a.astype(xp.float64).max(axis=1).mean())


def in_place_differencing(xp, p):
    """A series differenced in place on a copy (the overlapping y[1:] -= y[:-1]), then
    scaled and negated in place, ufuncs written into it with out=, strided updates."""
    y = p.copy()
    y[1:] -= y[:-1]
    y *= 2.0
    xp.negative(y, out=y)
    xp.multiply(y, p, out=y)
    xp.add(y, 0.5, out=y)
    y[::2] /= 3.0
    y[-3:] **= 2
    z = xp.empty_like(p)
    xp.subtract(p, y, out=z)
    return y.sum() + (z * _Y).sum()


def einsum_traces_diagonals(xp, p):
    """einsum with repeated indices and ellipses: a trace, a diagonal, batched traces
    and diagonals, a broadcast product over leading axes, and a bilinear form."""
    a = p[:9].reshape(3, 3)
    batch = p[:18].reshape(2, 3, 3)
    trace = xp.einsum("ii", a)
    diagonal = xp.einsum("ii->i", a)
    batch_traces = xp.einsum("...ii->...", batch)
    batch_diagonals = xp.einsum("...ii->...i", batch)
    product = xp.einsum("...ij,...jk->...ik", batch, a)
    bilinear = xp.einsum("i,ij,j", p[:3], a, p[3:6])
    return (trace + diagonal @ _T[:3] + xp.sum(batch_traces ** 2)
            + xp.sum(batch_diagonals * _X[:2]) + xp.sum(product[..., 0]) + bilinear)


def batched_solves(xp, p):
    """np.linalg.solve with several right-hand sides, with a batch of systems against
    one stacked right-hand side, and with a batch against a single vector."""
    a = p[:9].reshape(3, 3) + 4.0 * xp.eye(3)
    columns = xp.linalg.solve(a, _X[:3, :2] + p[9:15].reshape(3, 2))
    batch = p[:18].reshape(2, 3, 3) + 3.0 * xp.eye(3)
    stacked = xp.linalg.solve(batch, _X[:2].reshape(2, 3, 1))
    vector = xp.linalg.solve(batch, _Y[:3])
    return xp.sum(columns ** 2) + xp.sum(stacked) + xp.sum(vector * _Y[3:6])


def lstsq_residuals(xp, p):
    """np.linalg.lstsq of a tall design with two response columns: the solution, the
    residual sums of squares it returns, its rank and singular values."""
    design = xp.column_stack([xp.ones(8), _T * p[0], _T ** 2])
    responses = xp.stack([_Y + p[1], _X[:, 0] * p[2]], axis=1)
    solution, residuals, rank, singular = xp.linalg.lstsq(design, responses, rcond=None)
    assert rank == 3
    return xp.sum(solution ** 2) + xp.sum(residuals) + singular[0] * 0.1


def reduced_qr_projection(xp, p):
    """Reduced QR of a tall matrix: the projection of a vector onto its column space by
    Q Q^T y, the residual, and R's diagonal; mode='r' for R alone."""
    a = p[:15].reshape(5, 3)
    q, r = xp.linalg.qr(a)
    projection = q @ (q.T @ _Y[:5])
    residual = _Y[:5] - projection
    r_only = xp.linalg.qr(a * 2.0, mode="r")
    return (residual @ residual + xp.sum(xp.log(xp.abs(xp.diag(r))))
            + xp.sum(xp.triu(r_only) * _X[:3]))


def singular_spectrum(xp, p):
    """Singular values only (compute_uv=False), the nuclear norm, the condition number,
    the eigenvalues of the Gram matrix by eigvalsh, behind a matrix_rank guard."""
    a = p.reshape(4, 3)
    if xp.linalg.matrix_rank(a) < 3:
        raise ValueError("rank deficient")
    singular = xp.linalg.svd(a, compute_uv=False)
    gram_eigenvalues = xp.linalg.eigvalsh(a.T @ a)
    condition = singular[0] / singular[-1]
    return (xp.sum(singular) + xp.log(condition) + xp.sum(xp.sqrt(gram_eigenvalues) * _T[:3])
            + xp.linalg.cond(a))


def dft_phase_unwrap(xp, p):
    """A spectrum without np.fft: explicit cosine and sine DFT matrices, the power by
    the squares, phases by arctan2, unwrapped along the frequencies by np.unwrap, and
    the group delay by differences."""
    n = p.size
    k = np.arange(n)
    angles = 2 * np.pi * np.outer(k, k) / n
    real, imaginary = xp.cos(angles) @ p, -(xp.sin(angles) @ p)
    power = real ** 2 + imaginary ** 2
    phase = xp.arctan2(imaginary, real)
    unwrapped = xp.unwrap(phase)
    delay = -xp.diff(unwrapped)
    return xp.sum(xp.log1p(power)) + xp.sum(delay * _T[:n - 1]) + unwrapped[-1]


def ufunc_accumulations(xp, p):
    """Accumulations and reductions of ufuncs: a running product, running minimum along
    rows, a log-sum-exp by logaddexp.reduce along an axis and its running form by
    logaddexp.accumulate, and add.accumulate."""
    a = p.reshape(2, 4)
    running_product = xp.multiply.accumulate(1.0 + 0.2 * p)
    running_min = xp.minimum.accumulate(a, axis=1)
    log_totals = xp.logaddexp.reduce(a, axis=0)
    log_running = xp.logaddexp.accumulate(p)
    partial_sums = xp.add.accumulate(a, axis=1)
    return (running_product[-1] + xp.sum(running_min) + xp.sum(log_totals)
            + xp.sum(log_running * _T) + xp.sum(partial_sums[:, -2]))


def broadcast_where_select(xp, p):
    """np.where with three operands broadcast from (3, 1), (1, 4) and (3, 4), np.select
    of three branches with a default, and np.piecewise with a constant branch."""
    rows, columns = p[:3, None], p[3:7][None, :]
    grid = _X[:3, :1] * xp.ones(4) + 0.1 * xp.arange(4.0)
    chosen = xp.where(grid > 0.0, rows * 2.0, columns ** 2)
    chosen = xp.where(_X[:3, 1:2] > 0.0, chosen, grid * rows)
    x = p[:8]
    banded = xp.select([x < -0.5, x < 0.0, x < 0.5], [-x, x ** 2, xp.sin(x)], default=x ** 3)
    ramp = xp.piecewise(x, [x < 0.0, x >= 1.0], [lambda t: 0.1 * t, 1.0, lambda t: t * t])
    return xp.sum(chosen) + xp.sum(banded) + xp.sum(ramp * _T)


def bucketed_rates(xp, p):
    """Fixed ages bucketed by np.digitize and np.searchsorted into a table of rates
    (the parameters), read by fancy indexing, and a cumulative hazard from them."""
    edges = np.array([0.2, 0.4, 0.6, 0.8])
    ages = np.array([0.05, 0.3, 0.33, 0.5, 0.61, 0.79, 0.81, 0.95])
    rates = xp.exp(p[:5])
    buckets = xp.digitize(ages, edges)
    hazard = rates[buckets]
    left = xp.searchsorted(edges, ages, side="left")
    widths = xp.diff(xp.concatenate([[0.0], edges, [1.0]]))
    cumulative = xp.cumsum(rates * widths)
    return xp.sum(hazard * ages) + xp.sum(cumulative[left]) + xp.sum(xp.exp(-cumulative))


def argmax_gather(xp, p):
    """The winning entry of each row by argmax with keepdims and take_along_axis, the
    loser by argmin, a margin, and the winners zeroed by put_along_axis on a copy."""
    scores = p.reshape(3, 4)
    best = xp.argmax(scores, axis=1, keepdims=True)
    worst = xp.argmin(scores, axis=1, keepdims=True)
    top = xp.take_along_axis(scores, best, axis=1)
    bottom = xp.take_along_axis(scores, worst, axis=1)
    rest = scores.copy()
    xp.put_along_axis(rest, best, 0.0, axis=1)
    return xp.sum((top - bottom) ** 2) + xp.sum(rest * _X[:3, :1]) + xp.sum(top * bottom)


def order_statistics(xp, p):
    """Sorted parameters (the gradient follows the permutation), medians along an axis,
    percentiles with several interpolation methods, and a trimmed mean."""
    a = p.reshape(3, 4)
    columns_sorted = xp.sort(a, axis=0)
    median = xp.median(a, axis=1)
    total = 0.0
    for method in ["linear", "lower", "higher", "nearest", "midpoint",
                   "hazen", "weibull", "median_unbiased"]:
        total = total + xp.sum(xp.percentile(p, [10.0, 35.0, 90.0], method=method))
    trimmed = xp.mean(xp.sort(p)[2:-2])
    return (xp.sum(columns_sorted * _X[:3, :1]) + xp.sum(median ** 2) + total + trimmed
            + xp.sum(xp.quantile(a, 0.3, axis=0, keepdims=True)))


def weighted_moments(xp, p):
    """np.average with weights and returned=True, np.cov with rowvar=False, np.corrcoef,
    np.std with ddof=1 and np.ptp along an axis."""
    data = p[:12].reshape(4, 3)
    weights = xp.exp(p[12:16])
    mean, weight_sum = xp.average(data, axis=0, weights=weights, returned=True)
    covariance = xp.cov(data, rowvar=False)
    correlation = xp.corrcoef(data.T)
    return (xp.sum(mean * weight_sum) + xp.sum(covariance * _X[:3]) + xp.sum(correlation)
            + xp.sum(xp.std(data, axis=0, ddof=1)) + xp.sum(xp.ptp(data, axis=1)))


def shape_plumbing(xp, p):
    """Arrays rearranged by np.broadcast_to, np.expand_dims, np.moveaxis, np.swapaxes,
    np.atleast_2d, np.column_stack, np.dstack, np.hsplit and np.array_split."""
    a = p[:12].reshape(3, 4)
    broadcast = xp.broadcast_to(p[:4], (2, 3, 4))
    expanded = xp.expand_dims(a, axis=(0, 2))                        # (1, 3, 1, 4)
    moved = xp.moveaxis(expanded, [1, 3], [0, 1])                    # (3, 4, 1, 1)
    swapped = xp.swapaxes(broadcast, 0, 2)                           # (4, 3, 2)
    row = xp.atleast_2d(p[:3])
    columns = xp.column_stack([p[:3], a[:, 0], _T[:3]])
    depth = xp.dstack([a, a ** 2])                                   # (3, 4, 2)
    left, right = xp.hsplit(a, 2)
    pieces = xp.array_split(p, 3)
    return (xp.sum(swapped * depth.transpose(1, 0, 2)) + xp.sum(moved[..., 0, 0] ** 2)
            + xp.sum(row @ columns) + xp.sum(left * right)
            + sum(xp.prod(piece) for piece in pieces))


def cumulative_integrals(xp, p):
    """np.trapezoid with sample points and with dx, np.cumulative_sum with the initial
    zero, np.cumulative_prod along an axis, and second differences with prepend."""
    curve = xp.exp(-p[:8] * _T)
    area = xp.trapezoid(curve, _T)
    area_dx = xp.trapezoid(curve ** 2, dx=0.5)
    running = xp.cumulative_sum(curve, include_initial=True)
    growth = xp.cumulative_prod(1.0 + 0.1 * p[:8].reshape(2, 4), axis=1)
    second = xp.diff(curve, n=2, prepend=curve[:1])
    return area + area_dx + xp.sum(running * 0.1) + xp.sum(growth[:, -1]) + xp.sum(second ** 2)


def array_api_products(xp, p):
    """NumPy 2's array-API products: np.vecdot, np.matvec, np.vecmat, np.matrix_transpose,
    np.linalg.vecdot, matmul, outer, cross, trace with an offset, diagonal, and
    matrix_norm of orders 'nuc', 1, inf and -2."""
    a = p[:9].reshape(3, 3)
    v = p[9:12]
    dot = xp.vecdot(a, v)
    applied = xp.matvec(a, v)
    left = xp.vecmat(v, a)
    transposed = xp.matrix_transpose(a)
    total = (xp.sum(dot) + xp.sum(applied ** 2) + xp.sum(left * _T[:3])
             + xp.linalg.vecdot(v, _Y[:3]) + xp.sum(xp.linalg.matmul(transposed, a))
             + xp.sum(xp.linalg.outer(v, _Y[:3])) + xp.sum(xp.linalg.cross(v, a[0]))
             + xp.linalg.trace(a, offset=1) + xp.sum(xp.linalg.diagonal(a) ** 2))
    for order in ["nuc", 1, xp.inf, -2]:
        total = total + xp.linalg.matrix_norm(a, ord=order)
    return total + xp.sum(xp.linalg.vector_norm(a, axis=1, keepdims=True) * a)


def clip_to_bounds(xp, p):
    """np.clip with array bounds that are themselves parameters, broadcast bounds, a
    one-sided clip with None, and the method form with min= and max=."""
    x = p[:8].reshape(2, 4)
    lower, upper = p[8:12] - 0.5, p[8:12] + 0.5
    boxed = xp.clip(x, lower, upper)
    capped = xp.clip(x, None, _T[:4])
    floored = x.clip(min=_X[:2, :1])
    limited = x.clip(max=0.3)
    return (xp.sum(boxed ** 2) + xp.sum(capped) + xp.sum(floored * _Y[:2, None])
            + xp.sum(limited ** 3))


def inverses_and_powers(xp, p):
    """np.linalg.pinv of a wide matrix, np.linalg.inv of a batch, a negative
    matrix_power, a Cholesky factor's log-determinant and np.linalg.multi_dot."""
    wide = p[:12].reshape(3, 4)
    pseudo = xp.linalg.pinv(wide)
    batch = p[:8].reshape(2, 2, 2) + 3.0 * xp.eye(2)
    inverses = xp.linalg.inv(batch)
    square = p[:9].reshape(3, 3) + 3.0 * xp.eye(3)
    inverse_cube = xp.linalg.matrix_power(square, -3)
    spd = square @ square.T + xp.eye(3)
    cholesky = xp.linalg.cholesky(spd)
    chain = xp.linalg.multi_dot([wide.T, square, wide])
    return (xp.sum(pseudo * _X[:4]) + xp.sum(inverses) + xp.sum(inverse_cube)
            + 2.0 * xp.sum(xp.log(xp.diag(cholesky))) + xp.trace(chain) * 0.01)


def tiles_and_rotations(xp, p):
    """np.tile, np.repeat with a count per entry, np.rot90 with k and axes, np.flip over
    an axis tuple, np.fliplr, np.flipud and np.roll with tuples of shifts and axes."""
    a = p[:6].reshape(2, 3)
    tiled = xp.tile(a, (2, 2))                                      # (4, 6)
    repeated = xp.repeat(p[:4], [1, 3, 0, 2])
    rotated = xp.rot90(tiled, k=3, axes=(0, 1))                      # (6, 4)
    flipped = xp.flip(tiled, axis=(0, 1))
    rolled = xp.roll(tiled, (1, -2), axis=(0, 1))
    return (xp.sum(rotated * xp.arange(24.0).reshape(6, 4)) + xp.sum(repeated ** 2)
            + xp.sum(flipped[:, :3] * xp.fliplr(a).repeat(2, axis=0))
            + xp.sum(rolled[0] * _T[:6]) + xp.sum(xp.flipud(a) * a))


def diagonals_with_offsets(xp, p):
    """Diagonals and triangles with offsets: np.diagonal with offset and axes of a 3-D
    array, np.trace with an offset, np.diag with k, np.tril and np.triu with k,
    np.diagflat, and a diagonal written through np.diag_indices_from."""
    a = p[:16].reshape(4, 4)
    cube = p[:24].reshape(2, 3, 4)
    side = xp.diagonal(cube, offset=1, axis1=1, axis2=2)             # (2, 2)
    band = xp.diag(xp.diag(a, k=-1), k=1)
    lower = xp.tril(a, k=-1)
    upper = xp.triu(a, k=2)
    flat = xp.diagflat(p[:2], k=1)
    b = a.copy()
    b[xp.diag_indices_from(b)] = 1.0
    return (xp.sum(side ** 2) + xp.trace(a, offset=-1) + xp.sum(band * a) + xp.sum(lower)
            + xp.sum(upper ** 2) + xp.sum(flat * _X[:3]) + xp.sum(b @ b))


def elementwise_zoo(xp, p):
    """Less common elementwise functions: cbrt, square, reciprocal, exp2, log2, log10,
    logaddexp2, float_power, ldexp, deg2rad, arcsinh, sinc, fmod and a heaviside gate."""
    x = p[:8]
    positive = xp.exp(x)
    gate = xp.heaviside(x, 0.5)
    return xp.sum(xp.cbrt(x + 3.0) + xp.square(x) + xp.reciprocal(positive + 1.0)
                  + xp.exp2(x) + xp.log2(positive + 1) + xp.log10(positive)
                  + xp.logaddexp2(x, _Y) + xp.float_power(positive, 1.5)
                  + xp.ldexp(x, 2) + xp.sin(xp.deg2rad(30 * x)) + xp.arcsinh(x)
                  + xp.sinc(x) + xp.fmod(3 * x, 1.0) + gate * x)


def masked_reductions(xp, p):
    """Reductions with where= and initial=: a masked sum, product and maximum, a masked
    mean along an axis, np.count_nonzero for the count, and np.any as a guard."""
    a = p.reshape(3, 4)
    mask = _X[:3, :1] + np.arange(4) * 0.3 > 0.0
    total = xp.sum(a, where=mask, initial=1.0)
    product = xp.prod(1.0 + 0.1 * a, where=mask, axis=1)
    largest = xp.max(a, where=mask, initial=-10.0, axis=0)
    means = xp.mean(a, axis=1, where=mask)
    count = xp.count_nonzero(mask)
    guard = 1.0 if xp.any(a > 2.0) else 0.5
    return (total + xp.sum(product) + xp.sum(largest * _T[:4]) + xp.sum(means ** 2) / count
            + guard * xp.sum(a))


def tensordot_contractions(xp, p):
    """Contractions by np.tensordot with an integer and with lists of axes, np.inner of
    matrices, np.einsum over four operands with optimize=True, and np.outer."""
    a = p[:24].reshape(2, 3, 4)
    b = p[:12].reshape(3, 4)
    last_two = xp.tensordot(a, b, axes=2)                           # (2,)
    listed = xp.tensordot(a, b, axes=([1], [0]))                    # (2, 4, 4)
    inner = xp.inner(b, b)                                          # (3, 3)
    chain = xp.einsum("ij,jk,kl,l->i", inner, b, b.T, _T[:3], optimize=True)
    return (xp.sum(last_two ** 2) + xp.sum(listed * 0.1) + xp.trace(inner) + xp.sum(chain)
            + xp.sum(xp.outer(p[:3], _Y) ** 2))


def grid_fields(xp, p):
    """A field on grids: np.meshgrid with sparse=True, np.indices and np.mgrid as
    constants, second-order edges in np.gradient, and a double np.trapezoid."""
    x = xp.linspace(0.0, 1.0, 6)
    y = xp.linspace(0.0, 2.0, 5)
    gx, gy = xp.meshgrid(x, y, sparse=True, indexing="ij")           # (6, 1), (1, 5)
    field = p[0] * xp.sin(gx * p[1]) * xp.cos(gy * p[2]) + p[3] * gx * gy
    dx, dy = xp.gradient(field, x, y, edge_order=2)
    rows, cols = xp.indices((6, 5))
    weights = np.mgrid[0:6, 0:5].sum(axis=0) * 0.01
    energy = xp.trapezoid(xp.trapezoid(dx ** 2 + dy ** 2, y, axis=1), x)
    return energy + xp.sum(field * (rows - cols) * 0.01) + xp.sum(field * weights)


#: (program, parameters, whether HIPS autograd has every function the program calls)
PROGRAMS = [
    (fortran_order_methods, _rng.normal(size=12), False),     # no order="F"
    (in_place_differencing, _rng.normal(size=8), False),      # no item assignment
    (einsum_traces_diagonals, _rng.normal(size=18), False),   # no repeated output index
    (batched_solves, _rng.normal(size=18) * 0.3, False),     # no NumPy 2 vector b
    (lstsq_residuals, np.array([1.3, 0.2, -0.7]), False),      # no lstsq
    (reduced_qr_projection, _rng.normal(size=15), False),     # no qr
    (singular_spectrum, _rng.normal(size=12), False),         # no matrix_rank
    (dft_phase_unwrap, _rng.normal(size=7), False),           # no unwrap
    (ufunc_accumulations, _rng.normal(size=8), False),        # no ufunc methods
    (broadcast_where_select, _rng.normal(size=8), False),     # no select
    (bucketed_rates, _rng.normal(size=5), False),             # no digitize
    (argmax_gather, _rng.normal(size=12), False),             # no put_along_axis
    (order_statistics, _rng.normal(size=12), False),          # no percentile methods
    (weighted_moments, _rng.normal(size=16), False),          # no corrcoef
    (shape_plumbing, _rng.normal(size=12), False),            # no array_split
    (cumulative_integrals, _rng.normal(size=8), False),       # no cumulative_sum
    (array_api_products, _rng.normal(size=12), False),        # no vecdot
    (clip_to_bounds, _rng.normal(size=12), False),            # no clip to arrays
    (inverses_and_powers, _rng.normal(size=12) * 0.3, False),  # no pinv
    (tiles_and_rotations, _rng.normal(size=6), False),        # no rot90 axes
    (diagonals_with_offsets, _rng.normal(size=24), False),    # no item assignment
    (elementwise_zoo, _rng.normal(size=8) * 0.4 + 0.05, False),  # no ldexp
    (masked_reductions, _rng.normal(size=12), False),         # no where=
    (tensordot_contractions, _rng.normal(size=24) * 0.5, True),
    (grid_fields, np.array([0.7, 1.3, 0.8, -0.4]), False),    # no edge_order
]

globals().update(program_tests(PROGRAMS))     # the four checks of every round


