"""More of the twenty-eighth round of NumPy programs (test_numpy_programs_twentyeighth.py
has the first part): ``np.polynomial`` Chebyshev and Legendre fits by their
pseudo-Vandermonde matrices and series objects evaluated at a Tensor (which left the
tape before; test_numpy_twentyeighth_findings.py), regression by ``np.linalg.qr``
and ``np.linalg.svd`` with ``np.linalg.norm`` at several ``ord``s, geometry by
``np.cross`` and ``np.linalg.det``, ``np.emath.sqrt`` of negatives, phases by
``np.angle`` and ``np.unwrap``, weighted statistics (``np.ptp``,
``np.average(weights=, returned=True)``, ``np.cov(aweights=)``, ``np.corrcoef``),
features by ``np.digitize`` and ``np.histogram2d``, packing by ``np.tril_indices``,
``np.einsum`` with repeated indices and ellipses, a masked loss by ``where=``,
``np.errstate``, in-place updates of a tensor's strided views and ``out=``.

Each is checked as every round is (``numpy_program_checks``), float32 and second
derivatives included.  Each program is ``program(xp, p)``, a scalar function of a
parameter array ``p``; ``xp`` is ``numpy`` (on an ndarray, or on a Tensor through
NumPy's dispatch) or ``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(202612281)
_X = np.linspace(-1.0, 1.0, 12)
_DESIGN = np.stack([np.ones(10), np.linspace(0, 1, 10), np.linspace(0, 1, 10) ** 2], axis=1)
_OBSERVED = _rng.normal(size=10)
_TRIANGLES = np.array([[0, 1, 2], [0, 2, 3], [1, 3, 2]])
_SIGNAL_T = np.linspace(0.0, 1.0, 16)
_FEATURES = _rng.normal(size=(3, 20))
_WEIGHTS = _rng.uniform(0.5, 2.0, size=20)
_EDGES = np.array([-1.0, -0.3, 0.2, 1.0])
_SAMPLES = _rng.normal(size=(30, 2))
_READINGS = _rng.normal(size=12)
_MISSING = np.array([0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0], dtype=bool)


def chebyshev_and_legendre_fits(xp, p):
    """Approximation: a curve from ``p`` fitted in the Chebyshev and Legendre bases by
    least squares on ``np.polynomial.chebyshev.chebvander`` / ``legvander`` (what
    ``chebfit`` does; ``chebfit`` itself turns its data into arrays and is refused on
    a Tensor that requires grad, naming what to write), and evaluated by the same
    pseudo-Vandermonde matrices."""
    y = xp.exp(p[0] * _X) + p[1] * _X ** 3
    cheb_basis = np.polynomial.chebyshev.chebvander(_X, 4)
    leg_basis = np.polynomial.legendre.legvander(_X, 3)
    cheb, *_ = xp.linalg.lstsq(cheb_basis, y, rcond=None)
    leg, *_ = xp.linalg.lstsq(leg_basis, y, rcond=None)
    fitted_cheb = cheb_basis @ cheb
    fitted_leg = leg_basis @ leg
    at_half = np.polynomial.chebyshev.chebval(0.5, np.eye(5)) @ cheb
    return xp.sum((fitted_cheb - y) ** 2) + xp.sum(fitted_leg ** 2) / 10 + at_half ** 2


def polynomial_series_at_a_tensor(xp, p):
    """Approximation: fixed series objects (``np.polynomial.Polynomial`` and a
    ``Chebyshev`` on a scaled domain, as ``.fit`` makes them) evaluated at points
    that move with ``p``, and their derivatives by ``.deriv()``."""
    power = np.polynomial.Polynomial([0.5, -1.0, 0.25, 0.3])
    chebyshev = np.polynomial.Chebyshev([1.0, 0.5, -0.2, 0.1], domain=[-2.0, 2.0])
    points = _X * xp.exp(p[0]) + p[1]
    return (xp.sum(power(points) ** 2) + xp.sum(chebyshev(points))
            + xp.sum(power.deriv()(points) * chebyshev.deriv(2)(points)))


def regression_by_qr_and_svd(xp, p):
    """Statistics: least squares by ``np.linalg.qr`` (``R b = Q^T y`` by solve) and a
    ridge path by ``np.linalg.svd``; the residual norms at ``ord`` 1, 2 and inf."""
    y = _OBSERVED + p[:10]
    q, r = xp.linalg.qr(_DESIGN * xp.exp(p[10]))
    beta = xp.linalg.solve(r, q.T @ y)
    residual = y - (_DESIGN * xp.exp(p[10])) @ beta
    u, s, vt = xp.linalg.svd(_DESIGN, full_matrices=False)
    ridge = vt.T @ ((s / (s ** 2 + xp.exp(p[11])))[:, None] * (u.T @ y)[:, None])[:, 0]
    return (xp.linalg.norm(residual, 1) + xp.linalg.norm(residual) ** 2
            + xp.linalg.norm(residual, np.inf) + xp.linalg.norm(ridge, 2))


def mesh_area_and_volume_by_cross_and_det(xp, p):
    """Geometry: a tetrahedron's faces' areas by ``np.cross`` and its volume by
    ``np.linalg.det`` of the edge vectors; vertices from ``p``."""
    vertices = xp.reshape(p, (4, 3))
    a, b, c = (vertices[_TRIANGLES[:, k]] for k in range(3))
    normals = xp.cross(b - a, c - a)
    areas = 0.5 * xp.linalg.norm(normals, axis=1)
    volume = xp.linalg.det(vertices[1:] - vertices[0]) / 6.0
    return xp.sum(areas ** 2) + volume ** 2


def emath_sqrt_of_a_discriminant(xp, p):
    """Algebra: the roots of quadratics by ``np.emath.sqrt`` of discriminants that are
    negative for some, so complex roots; the loss on their real and imaginary parts
    and ``np.abs``."""
    a, b, c = 1.0 + xp.exp(p[0]), p[1:4], p[4:7]
    disc = b ** 2 - 4 * a * c
    root = np.emath.sqrt(disc)
    first = (-b + root) / (2 * a)
    return xp.sum(xp.real(first) ** 2 + 2 * xp.imag(first) ** 2) + xp.sum(xp.abs(root))


def unwrapped_phase_of_a_chirp(xp, p):
    """Signals: the phase of an analytic-looking chirp by ``np.angle``, unwrapped by
    ``np.unwrap``, and its slope (an instantaneous frequency) by ``np.diff``."""
    phase = 2 * np.pi * (3.0 * xp.exp(p[0]) * _SIGNAL_T + 2.0 * p[1] * _SIGNAL_T ** 2)
    analytic = xp.exp(0.1 * p[2]) * (xp.cos(phase) + 1j * xp.sin(phase))
    wrapped = xp.angle(analytic)
    unwrapped = xp.unwrap(wrapped)
    frequency = xp.diff(unwrapped) / np.diff(_SIGNAL_T)
    return xp.mean(frequency) / 10 + xp.sum(xp.abs(analytic) ** 2) / 16


def weighted_statistics(xp, p):
    """Statistics: ``np.ptp`` ranges, ``np.average`` with ``weights=`` and
    ``returned=True``, ``np.cov`` with ``aweights=`` and ``np.corrcoef``, of features
    shifted and scaled by ``p``."""
    data = _FEATURES * xp.exp(p[:3, None]) + p[3:6, None]
    spread = xp.ptp(data, axis=1)
    mean, total = xp.average(data, axis=1, weights=_WEIGHTS, returned=True)
    covariance = xp.cov(data, aweights=_WEIGHTS)
    correlation = xp.corrcoef(data + p[6] * data[::-1])
    return (xp.sum(spread) + xp.sum(mean ** 2) + total[0] / 100
            + xp.trace(covariance) + xp.sum(correlation ** 2))


def binned_features_by_digitize_and_histogram2d(xp, p):
    """Features: a piecewise-constant score by ``np.digitize`` of shifted samples into
    bins (integer, no gradient), weighted by a smooth term; and a 2-D histogram's
    counts (constants) scaling a parameter-dependent density."""
    shifted = _SAMPLES[:, 0] + 0.1 * p[0]
    bins = np.digitize(shifted, _EDGES)
    levels = p[1:6]
    score = xp.sum(levels[bins] * shifted)
    counts, xe, ye = np.histogram2d(_SAMPLES[:, 0], _SAMPLES[:, 1], bins=3)
    centres = 0.5 * (xe[1:] + xe[:-1])
    density = xp.exp(-(centres - p[6]) ** 2)
    return score + xp.sum(counts * density[:, None])


def packed_covariance_by_tril_indices(xp, p):
    """Statistics: a covariance from a packed lower triangle (``np.tril_indices`` into
    a zero matrix written by assignment), the diagonal made positive by ``np.exp``;
    a Gaussian log density by ``np.linalg.slogdet`` and solve."""
    n = 3
    rows, cols = np.tril_indices(n)
    factor = np.zeros_like(p, shape=(n, n))
    factor[rows, cols] = p[:6]
    diagonal = np.diag_indices(n)
    factor[diagonal] = xp.exp(factor[diagonal])
    covariance = factor @ factor.T
    sign, logdet = xp.linalg.slogdet(covariance)
    centred = _SAMPLES[:5, :1] * np.ones((1, n)) - p[6:9]
    mahalanobis = xp.sum(centred * xp.linalg.solve(covariance, centred.T).T)
    return 0.5 * mahalanobis + 2.5 * logdet + xp.sum(xp.triu(covariance, 1) ** 2)


def einsum_traces_diagonals_and_ellipses(xp, p):
    """Tensor algebra: ``np.einsum`` with a repeated index (a trace ``'ii'``, a
    diagonal ``'ii->i'``, a batched trace ``'...ii->...'``) and an ellipsis batch
    product ``'...ij,...jk->...ik'``."""
    m = xp.reshape(p[:9], (3, 3))
    batch = xp.reshape(p[9:21], (3, 2, 2))
    trace = xp.einsum("ii", m)
    diagonal = xp.einsum("ii->i", m @ m)
    batched = xp.einsum("...ii->...", batch)
    products = xp.einsum("...ij,...jk->...ik", batch, batch)
    return trace ** 2 + xp.sum(diagonal) + xp.sum(batched ** 2) + xp.sum(products)


def masked_sensor_loss(xp, p):
    """Data cleaning: readings with a missing-value mask, the loss over the kept
    readings by ``np.mean(where=)`` and ``np.sum(where=)`` (an ``np.ma.masked_array``
    holds an ndarray, so it is refused on a Tensor that requires grad, naming these
    instead), and the missing ones filled by ``np.where`` for a smoothness term."""
    model = p[0] + p[1] * np.arange(12.0)
    residual = _READINGS - model
    kept = ~_MISSING
    loss = xp.mean(residual ** 2, where=kept)
    filled = xp.where(_MISSING, model, _READINGS)
    return loss + xp.sum(residual, where=kept) ** 2 / 100 + xp.sum(xp.diff(filled) ** 2) / 50


def errstate_safe_ratios(xp, p):
    """Numerics: ratios computed under ``np.errstate(divide='ignore',
    invalid='ignore')`` where some denominators are zero, the undefined entries then
    replaced by ``np.where`` on ``np.isfinite``."""
    numerator = xp.sin(p[:6])
    denominator = np.array([1.0, 0.0, 2.0, 0.0, -1.0, 3.0]) * xp.exp(p[6])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / denominator
    defined = np.isfinite(ratio)
    # the masked-out entries divide by a safe 1 so their (unused) gradient is finite
    safe = xp.where(defined, numerator / xp.where(defined, denominator, 1.0), 0.0)
    return xp.sum(safe ** 2)


def inplace_updates_of_strided_views(xp, p):
    """Array code: in-place arithmetic on strided views of a working copy
    (``x[::2] *= 2``, ``x[1::2] += x[::2]``, a reversed view ``-=``), then ``out=``
    into a preallocated array."""
    x = p * 1.0
    x[::2] *= 2.0
    x[1::2] += x[::2]
    x[::-1][:3] -= 0.5 * p[:3]
    result = np.empty_like(x)
    np.multiply(x, x, out=result)
    np.sin(result, out=result)
    return xp.sum(result) + xp.sum(x ** 3)


PROGRAMS = [
    (chebyshev_and_legendre_fits, _rng.normal(0, 0.3, size=2), False),  # chebvander
    (polynomial_series_at_a_tensor, _rng.normal(0, 0.3, size=2), False),  # series objects
    (regression_by_qr_and_svd, _rng.normal(0, 0.3, size=12), False),  # no qr VJP
    (mesh_area_and_volume_by_cross_and_det, _rng.normal(0, 1.0, size=12), True),
    (emath_sqrt_of_a_discriminant, _rng.normal(0, 1.0, size=7), False),
    (unwrapped_phase_of_a_chirp, _rng.normal(0, 0.3, size=3), False),
    (weighted_statistics, _rng.normal(0, 0.3, size=7), False),
    (binned_features_by_digitize_and_histogram2d, _rng.normal(0, 0.3, size=7), False),
    (packed_covariance_by_tril_indices, _rng.normal(0, 0.3, size=9), False),
    (einsum_traces_diagonals_and_ellipses, _rng.normal(0, 0.5, size=21), False),  # 'ii->i'
    (masked_sensor_loss, _rng.normal(0, 0.3, size=2), False),
    (errstate_safe_ratios, _rng.normal(0, 0.5, size=7), True),
    (inplace_updates_of_strided_views, _rng.normal(0, 0.5, size=8), False),
]

globals().update(program_tests(PROGRAMS, float32=True, finite=True))  # the shared checks
