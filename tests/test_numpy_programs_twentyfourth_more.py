"""More of the twenty-fourth set of NumPy programs (see
test_numpy_programs_twentyfourth.py): instrument calibration (a weighted ``np.polyfit``
with ``cov=True`` and ``np.polyval``), taxation (``np.select`` over brackets and
``np.interp`` of a benefit taper), filter design (a windowed-sinc FIR by ``np.sinc`` and
``np.kaiser``, applied by ``np.convolve`` in its "same" and "valid" modes), soil physics
(heat flux by ``np.gradient`` on uneven depths with ``edge_order=2``), sensor networks
(``np.nanmean``, ``np.nanstd`` and ``np.nanmedian`` over readings with gaps),
econometrics (within-group demeaning by ``np.unique(return_inverse=True)`` and
``np.bincount(weights=)``), attention (top-k pooling by ``np.argsort`` and
``np.take_along_axis``), diffusion (a 2-D heat equation with insulated edges by
``np.pad(mode="edge")`` and a periodic axis by ``np.roll``), spring networks (forces
gathered by ``np.add.at`` and leapfrog steps written in place, ``+=`` and ``out=``),
Markov chains (``np.linalg.matrix_power`` of a softmax transition matrix), least squares
(``np.linalg.qr`` against ``np.linalg.lstsq``), meshes (triangle areas by ``np.cross``),
quantum gates (``np.kron`` of single-qubit rotations), imaging (a blob's moments over
``np.indices``) and multivariate statistics (a weighted PCA by ``np.cov(aweights=)``
and ``np.linalg.eigh``; a Gaussian copula by ``np.linalg.slogdet``)."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261225)
_TEMPERATURES = np.linspace(0.0, 100.0, 9)
_READINGS = 0.2 + 0.031 * _TEMPERATURES + 2e-5 * _TEMPERATURES ** 2 + _rng.normal(0, 0.02, 9)
_INCOMES = np.array([8e3, 15e3, 32e3, 55e3, 90e3, 160e3, 260e3])
_SIGNAL = np.sin(2 * np.pi * 0.05 * np.arange(48)) + 0.5 * np.sin(2 * np.pi * 0.35 * np.arange(48))
_DEPTHS = np.array([0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.8, 1.2])
_SENSORS = _rng.normal(20.0, 1.0, size=(4, 6))
_SENSORS[_rng.uniform(size=(4, 6)) < 0.25] = np.nan
_FIRMS = np.array([3, 1, 3, 2, 1, 1, 2, 3, 2, 1])
_FIRM_X = _rng.normal(size=10)
_FIRM_Y = 0.7 * _FIRM_X + _FIRMS * 0.5 + _rng.normal(0, 0.1, 10)
_KEYS = _rng.normal(size=(5, 8))
_BONDS = np.array([[0, 1], [1, 2], [2, 3], [3, 0], [0, 2], [1, 3]])
_VERTICES = _rng.normal(size=(5, 3))
_TRIANGLES = np.array([[0, 1, 2], [0, 2, 3], [0, 3, 4], [1, 2, 4]])
_POINTS = _rng.normal(size=(10, 3)) @ np.array([[2.0, 0.5, 0.0], [0.0, 1.0, 0.3], [0.0, 0.0, 0.4]])
_UNIFORMS = _rng.uniform(0.05, 0.95, size=(6, 3))


def calibration_curve(xp, p):
    """Instrumentation: a thermocouple's quadratic calibration by ``np.polyfit`` with
    weights ``w=`` and ``cov=True`` on readings offset and scaled by parameters; the
    corrected reading at three temperatures by ``np.polyval`` and the fitted curvature's
    standard error."""
    readings = _READINGS * (1 + 0.05 * p[0]) + 0.01 * p[1]
    weights = 1 / (0.01 + 0.0002 * _TEMPERATURES)
    coefficients, covariance = xp.polyfit(_TEMPERATURES, readings, 2, w=weights, cov=True)
    predicted = xp.polyval(coefficients, np.array([10.0, 50.0, 90.0]))
    return xp.sum(predicted) + xp.sqrt(covariance[0, 0]) * 1e5


def tax_and_benefit(xp, p):
    """Taxation: income tax by ``np.select`` over brackets whose rates are parameters,
    and a benefit tapered by ``np.interp`` over income knots whose levels are
    parameters; the mean effective rate less the benefit's share."""
    rates = 0.1 + 0.3 / (1 + xp.exp(-p[:3]))
    tax = xp.select([_INCOMES <= 12e3, _INCOMES <= 50e3, _INCOMES > 50e3],
                    [0.0 * _INCOMES, rates[0] * (_INCOMES - 12e3),
                     rates[0] * 38e3 + rates[1] * (_INCOMES - 50e3)])
    tax = tax + xp.where(_INCOMES > 150e3, (rates[2] - rates[1]) * (_INCOMES - 150e3), 0.0)
    benefit = xp.interp(_INCOMES, np.array([0.0, 20e3, 60e3]),
                        xp.stack([4e3 * xp.exp(0.1 * p[3]), 3e3 + 0.0 * p[3], 0.0 * p[3]]))
    return xp.mean(tax / _INCOMES) - xp.mean(benefit / _INCOMES)


def windowed_sinc_filter(xp, p):
    """Filter design: a low-pass FIR by the windowed-sinc method, the cut-off a
    parameter, ``np.sinc`` taps shaped by ``np.kaiser`` and normalised to unit gain,
    applied by ``np.convolve`` in "same" mode; the residual high tone's power and the
    "valid" part's mismatch to the slow tone."""
    cutoff = 0.15 + 0.05 * xp.tanh(p[0])
    n = np.arange(15) - 7
    taps = 2 * cutoff * xp.sinc(2 * cutoff * n) * np.kaiser(15, 5.0)
    taps = taps / xp.sum(taps)
    filtered = xp.convolve(_SIGNAL, taps, mode="same")
    slow = np.sin(2 * np.pi * 0.05 * np.arange(48))
    valid = xp.convolve(_SIGNAL * (1 + 0.1 * p[1]), taps, mode="valid")
    return xp.sum((filtered[7:-7] - slow[7:-7]) ** 2) + xp.mean((valid - slow[7:-7]) ** 2)


def soil_heat_flux(xp, p):
    """Soil physics: a temperature profile damped with depth (surface amplitude and
    damping depth parameters) on uneven depths, the heat flux ``-k dT/dz`` by
    ``np.gradient(T, z, edge_order=2)``; the surface flux and the flux's mean square."""
    amplitude, damping = 8.0 + p[0], 0.3 * xp.exp(0.2 * p[1])
    temperature = 12.0 + amplitude * xp.exp(-_DEPTHS / damping) * xp.cos(_DEPTHS / damping)
    flux = -1.2 * xp.gradient(temperature, _DEPTHS, edge_order=2)
    return flux[0] / 10 + xp.mean(flux ** 2) / 100


def sensor_gap_fusion(xp, p):
    """Sensor networks: four sensors' readings with gaps (NaN), each corrected by a
    gain and an offset, fused by ``np.nanmean`` and ``np.nanmedian`` per time and
    spread by ``np.nanstd``; agreement of mean and median plus the spread.  The gain
    multiplies the readings with their gaps zero-filled and the gaps are put back by
    ``np.where``: a gain times NaN would have the gradient 0 * NaN there, NaN as in
    PyTorch and HIPS autograd."""
    gains, offsets = 1 + 0.05 * p[:4], 0.2 * p[4:8]
    missing = np.isnan(_SENSORS)
    corrected = xp.where(missing, np.nan, np.where(missing, 0.0, _SENSORS) * gains[:, None]
                         + offsets[:, None])
    mean = xp.nanmean(corrected, axis=0)
    median = xp.nanmedian(corrected, axis=0)
    spread = xp.nanstd(corrected, axis=0)
    return xp.sum((mean - median) ** 2) + xp.mean(spread)


def within_firm_regression(xp, p):
    """Econometrics: a fixed-effects regression by within-group demeaning, firms'
    indices by ``np.unique(return_inverse=True)``, group means by ``np.bincount`` with
    ``weights=`` over a Tensor, then the slope by least squares on the demeaned data and
    its squared residual."""
    _, firm, counts = np.unique(_FIRMS, return_inverse=True, return_counts=True)
    y = _FIRM_Y + p[0] * _FIRM_X ** 2 + 0.1 * p[1] * _FIRMS
    x = _FIRM_X + 0.1 * p[2]
    y_within = y - (xp.bincount(firm, weights=y) / counts)[firm]
    x_within = x - (xp.bincount(firm, weights=x) / counts)[firm]
    slope = xp.sum(x_within * y_within) / xp.sum(x_within ** 2)
    return slope + xp.sum((y_within - slope * x_within) ** 2)


def top_k_attention(xp, p):
    """Attention: a query (parameters) scored against keys, the top three by
    ``np.argsort`` of the scores reversed, gathered by ``np.take_along_axis``, a softmax
    over them and the pooled key vector's norm."""
    scores = _KEYS @ p / np.sqrt(8.0)
    order = xp.argsort(scores)[::-1][:3]
    best = xp.take_along_axis(scores, order, axis=0)
    weights = xp.exp(best - xp.max(best))
    weights = weights / xp.sum(weights)
    pooled = weights @ _KEYS[order]
    return xp.linalg.norm(pooled) + xp.sum(best)


def insulated_heat_plate(xp, p):
    """Diffusion: ten explicit steps of the 2-D heat equation on a plate periodic in x
    (neighbours by ``np.roll``) with insulated top and bottom edges (``np.pad`` with
    ``mode="edge"``), the initial hot spot's height and diffusivity parameters; the
    final peak's softmax-weighted mean and the variance of the field."""
    y, x = np.ogrid[0:6, 0:8]
    field = 10.0 * xp.exp(0.2 * p[0]) * np.exp(-((x - 3.5) ** 2 + (y - 2.0) ** 2) / 2.0)
    alpha = 0.15 + 0.05 * xp.tanh(p[1])
    for _ in range(10):
        padded = xp.pad(field, ((1, 1), (0, 0)), mode="edge")
        vertical = padded[2:] + padded[:-2] - 2 * field
        horizontal = xp.roll(field, 1, axis=1) + xp.roll(field, -1, axis=1) - 2 * field
        field = field + alpha * (vertical + horizontal)
    return xp.sum(field * xp.exp(field) / xp.sum(xp.exp(field))) + xp.var(field)


def spring_network_leapfrog(xp, p):
    """Spring networks: four nodes joined by six springs, stiffnesses by parameters,
    forces gathered by ``np.add.at`` into a Tensor (``np.zeros_like``), leapfrog steps
    written in place (``velocity += ...``, ``np.multiply(velocity, damping,
    out=velocity)``); the final potential and kinetic energy."""
    stiffness = xp.exp(0.3 * p[:6])
    rest = np.array([1.0, 1.0, 1.0, 1.0, 1.4, 1.4])
    position = np.array([[0.0, 0.0], [1.1, 0.0], [1.0, 1.2], [-0.1, 0.9]]) + 0.0 * p[0]
    velocity = xp.zeros_like(position)
    for _ in range(12):
        delta = position[_BONDS[:, 1]] - position[_BONDS[:, 0]]
        length = xp.sqrt(xp.sum(delta ** 2, axis=1))
        pull = (stiffness * (length - rest) / length)[:, None] * delta
        force = xp.zeros_like(position)
        xp.add.at(force, _BONDS[:, 0], pull)
        xp.add.at(force, _BONDS[:, 1], -pull)
        velocity += 0.05 * force
        xp.multiply(velocity, 0.98, out=velocity)
        position = position + 0.05 * velocity
    delta = position[_BONDS[:, 1]] - position[_BONDS[:, 0]]
    length = xp.sqrt(xp.sum(delta ** 2, axis=1))
    return xp.sum(stiffness * (length - rest) ** 2) / 2 + xp.sum(velocity ** 2) / 2


def markov_chain_horizon(xp, p):
    """Markov chains: a three-state transition matrix by row-wise softmax of
    parameters, the eight-step distribution by ``np.linalg.matrix_power``, the
    stationary distribution by ``np.linalg.solve`` of ``(P^T - I)`` with a sum row; their
    total-variation gap and the chance of state 2 after eight steps."""
    logits = xp.reshape(p[:9], (3, 3))
    transition = xp.exp(logits) / xp.sum(xp.exp(logits), axis=1, keepdims=True)
    start = np.array([1.0, 0.0, 0.0])
    after = start @ xp.linalg.matrix_power(transition, 8)
    system = xp.concatenate([(transition.T - np.eye(3))[:2], np.ones((1, 3))])
    stationary = xp.linalg.solve(system, np.array([0.0, 0.0, 1.0]))
    return xp.sum(xp.abs(after - stationary)) / 2 + after[2]


def qr_least_squares(xp, p):
    """Least squares: a cubic trend through points whose heights are parameters, by
    ``np.linalg.qr`` of ``np.vander`` and a solve against ``R``, and again by
    ``np.linalg.lstsq`` (solution and residual sum); the two solutions' disagreement (a
    check) plus the residual and the leading coefficient."""
    x = np.linspace(-1.0, 1.0, 8)
    y = xp.sin(2 * x) + 0.3 * p[:8]
    design = np.vander(x, 4)
    q, r = xp.linalg.qr(design)
    by_qr = xp.linalg.solve(r, q.T @ y)
    by_lstsq, residual, _, _ = xp.linalg.lstsq(design, y, rcond=None)
    return xp.sum((by_qr - by_lstsq) ** 2) * 1e6 + residual[0] + by_lstsq[0]


def mesh_surface_area(xp, p):
    """Meshes: vertices displaced along z by parameters, triangle normals by
    ``np.cross`` of edge vectors, areas by ``np.linalg.norm(axis=1)``, and the
    area-weighted mean unit normal's z component; total area plus that."""
    vertices = _VERTICES + xp.stack([0.0 * p, 0.0 * p, 0.3 * p], axis=1)
    a, b, c = (vertices[_TRIANGLES[:, k]] for k in range(3))
    normals = xp.cross(b - a, c - a)
    areas = xp.linalg.norm(normals, axis=1) / 2
    mean_normal = xp.sum(normals, axis=0) / 2 / xp.sum(areas)
    return xp.sum(areas) + mean_normal[2]


def two_qubit_gate_fidelity(xp, p):
    """Quantum computing: two single-qubit rotations (angles by parameters) combined by
    ``np.kron``, followed by a CNOT, acting on ``|00>``; the fidelity with a Bell state
    ``|<bell|psi>|^2`` by ``np.vdot`` and ``np.abs``."""
    def rotation_y(angle):
        c, s = xp.cos(angle / 2), xp.sin(angle / 2)
        return xp.stack([xp.stack([c, -s]), xp.stack([s, c])]) + 0j

    def rotation_z(angle):
        return xp.stack([xp.stack([xp.exp(-0.5j * angle), 0j * angle]),
                         xp.stack([0j * angle, xp.exp(0.5j * angle)])])

    first = rotation_z(p[1]) @ rotation_y(np.pi / 2 + p[0])
    second = rotation_y(p[2])
    cnot = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]])
    state = cnot @ (xp.kron(first, second) @ np.array([1.0, 0.0, 0.0, 0.0]))
    bell = np.array([1.0, 0.0, 0.0, 1.0]) / np.sqrt(2)
    return xp.abs(xp.vdot(bell, state)) ** 2


def blob_moments(xp, p):
    """Imaging: an elliptical Gaussian blob (centre, widths and tilt by parameters) on a
    grid by ``np.indices``, its centroid and second central moments, and the
    orientation ``0.5 arctan2(2 mu11, mu20 - mu02)``; the orientation and the
    eccentricity."""
    rows, cols = np.indices((9, 11))
    cx, cy, angle = 5.0 + 0.3 * p[0], 4.0 + 0.3 * p[1], 0.4 + 0.2 * p[2]
    u = (cols - cx) * xp.cos(angle) + (rows - cy) * xp.sin(angle)
    v = -(cols - cx) * xp.sin(angle) + (rows - cy) * xp.cos(angle)
    image = xp.exp(-u ** 2 / 8.0 - v ** 2 / 2.0)
    total = xp.sum(image)
    mx, my = xp.sum(image * cols) / total, xp.sum(image * rows) / total
    mu20 = xp.sum(image * (cols - mx) ** 2) / total
    mu02 = xp.sum(image * (rows - my) ** 2) / total
    mu11 = xp.sum(image * (cols - mx) * (rows - my)) / total
    orientation = 0.5 * xp.arctan2(2 * mu11, mu20 - mu02)
    spread = xp.sqrt((mu20 - mu02) ** 2 + 4 * mu11 ** 2)
    return orientation + spread / (mu20 + mu02)


def weighted_pca(xp, p):
    """Multivariate statistics: a principal component analysis with observation weights
    (a softmax of parameters) by ``np.cov(rowvar=False, aweights=)`` and
    ``np.linalg.eigh``; the explained-variance ratio of the first component."""
    weights = xp.exp(p[:10]) / xp.sum(xp.exp(p[:10]))
    covariance = xp.cov(_POINTS, rowvar=False, aweights=weights)
    variances = xp.linalg.eigvalsh(covariance)
    return variances[-1] / xp.sum(variances) + xp.trace(covariance) / 10


def gaussian_copula(xp, p):
    """Dependence modelling: a Gaussian copula's log-density on uniform pseudo-
    observations, normal scores by a rational approximation of the probit, the
    correlation matrix from a Cholesky-like factor of parameters with unit rows, and
    ``np.linalg.slogdet`` and ``np.linalg.solve``."""
    u = _UNIFORMS
    t = np.sqrt(-2 * np.log(np.minimum(u, 1 - u)))
    z = np.sign(u - 0.5) * (t - (2.515517 + 0.802853 * t + 0.010328 * t ** 2)
                            / (1 + 1.432788 * t + 0.189269 * t ** 2 + 0.001308 * t ** 3))
    factor = np.eye(3) + xp.stack([xp.stack([0.0 * p[0], 0.0 * p[0], 0.0 * p[0]]),
                                   xp.stack([0.5 * xp.tanh(p[0]), 0.0 * p[0], 0.0 * p[0]]),
                                   xp.stack([0.5 * xp.tanh(p[1]), 0.5 * xp.tanh(p[2]),
                                             0.0 * p[0]])])
    factor = factor / xp.linalg.norm(factor, axis=1, keepdims=True)
    correlation = factor @ factor.T
    sign, log_det = xp.linalg.slogdet(correlation)
    quadratic = xp.sum(z * xp.linalg.solve(correlation, z.T).T, axis=1) - xp.sum(z ** 2, axis=1)
    return -xp.sum(0.5 * sign * log_det + 0.5 * quadratic)


PROGRAMS = [
    (calibration_curve, _rng.normal(0.0, 0.5, size=2), False),  # autograd: no polyfit
    (tax_and_benefit, _rng.normal(0.0, 0.5, size=4), False),  # autograd: no interp VJP
    (windowed_sinc_filter, _rng.normal(0.0, 0.5, size=2), False),  # autograd: no sinc
    (soil_heat_flux, _rng.normal(0.0, 0.5, size=2), False),  # autograd: no gradient
    (sensor_gap_fusion, _rng.normal(0.0, 0.5, size=8), False),  # autograd: no nanmedian
    (within_firm_regression, _rng.normal(0.0, 0.5, size=3), False),  # autograd: no bincount
    (top_k_attention, _rng.normal(0.0, 0.5, size=8), False),  # autograd: no take_along_axis VJP
    (insulated_heat_plate, _rng.normal(0.0, 0.5, size=2), False),  # autograd: pads constants only
    (spring_network_leapfrog, _rng.normal(0.0, 0.5, size=6), False),  # autograd: no add.at
    (markov_chain_horizon, _rng.normal(0.0, 0.5, size=9), False),  # autograd: no matrix_power VJP
    (qr_least_squares, _rng.normal(0.0, 0.5, size=8), False),  # autograd: no lstsq
    (mesh_surface_area, _rng.normal(0.0, 0.5, size=5), True),
    (two_qubit_gate_fidelity, _rng.normal(0.0, 0.5, size=3), False),  # autograd: no vdot VJP
    (blob_moments, _rng.normal(0.0, 0.5, size=3), True),
    (weighted_pca, _rng.normal(0.0, 0.5, size=10), False),  # autograd: cov(aweights=) fails
    (gaussian_copula, _rng.normal(0.0, 0.5, size=3), False),  # autograd: wrong norm(keepdims=)
]

globals().update(program_tests(PROGRAMS, float32=True, finite=True))  # the shared checks
