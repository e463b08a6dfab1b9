"""The thirteenth set of short NumPy programs, continued (test_numpy_programs_thirteenth.py
has the first part): quadrature (Gauss-Laguerre and Gauss-Hermite nodes from
``numpy.polynomial`` with coefficients on the tape by ``lagvander``/``hermevander``,
``lagval`` at Tensor points, ``hermeval(tensor=False)``; Simpson's rule on
``np.linspace(start, stop, retstep=True)`` between parameter ends and
``linspace(endpoint=False)``), spectroscopy (a baseline by ``np.polyfit`` on the ends
picked by ``np.r_[0:3, 9:12]``), sensors (a ``Chebyshev.fit`` calibration read at Tensor
points through ``chebval`` of ``convert().coef`` and its ``deriv()``, ``np.poly1d``),
splines (knots joined by ``np.concatenate`` and ``np.column_stack``), finance (growth
compounded per group by ``np.multiply.at``, shares split by ``np.divide.at``), control
(poles sorted by ``np.sort_complex``), ufunc methods (``np.apply_over_axes``,
``np.multiply.reduceat``, ``np.maximum.reduceat``, ``np.logaddexp.accumulate``,
``np.add.accumulate(axis=1)``, ``np.subtract.outer``, ``np.maximum.reduce(axis=None)``,
``np.minimum.reduce(initial=)``, ``np.multiply.accumulate``, ``np.logaddexp.reduce``,
``np.hypot.outer``), special shapes (0-d parameters, size-1 axes squeezed by
``np.squeeze(axis=(0, 2))``, ``np.atleast_1d``, empty slices under ``max(initial=)``,
``sum`` and ``prod``, ``np.float64`` scalars, ``mean(axis=tuple, keepdims=True)``),
optimisation (bounds with infinite entries by ``np.isinf``/``np.isfinite``), ecology (a
Leslie matrix by ``np.diag(k=-1)`` with its first row written, power iteration,
``matrix_power``), traffic (Godunov fluxes with ``np.pad(mode='edge')``,
``np.minimum``/``np.maximum``), tariffs (``np.select`` with a scalar choice and
``default=``, ``np.choose`` with ``mode='clip'`` and ``'wrap'``, ``np.piecewise`` with a
scalar and a default function, ``np.where`` with a scalar branch), ranking
(``np.searchsorted(sorter=)``, ``np.partition``, an ``np.argpartition`` gather,
``np.lexsort`` as a constant, ``np.unique(return_inverse=True)`` pooled by
``np.bincount``) and mechanics (leapfrog steps updating arrays built by ``np.stack`` of
0-d parameters in place).  Each is differentiated unchanged with ``ad.grad`` and checked
as every round is (``numpy_program_checks``).

Compounding by ``np.multiply.at`` (and ``np.divide.at``) needed the library fixed: they
were refused while recording (test_numpy_thirteenth_findings.py).  Three programs are
written as the library's messages advise, since NumPy makes ndarrays of their
arguments before any Tensor sees the call: ``np.array([p[0], p[1]])`` is
``np.stack([p[0], p[1]])``, ``np.r_[a, 0.0, b]`` is ``np.concatenate`` and
``numpy.polynomial``'s coefficients on the tape go through the pseudo-Vandermonde
matrices; evaluating a fitted series object at Tensor points, the advice was
``polyval(x, P.coef)``, a different function for any series from ``.fit``, and is now
``polyval(x, P.convert().coef)`` (test_numpy_thirteenth_findings.py).

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261214)
_GROUPS = np.array([0, 2, 1, 2, 0, 1, 2, 0])
_TEMPERATURES = np.linspace(0.0, 80.0, 9)
_CALIBRATION = np.polynomial.Chebyshev.fit(
    _TEMPERATURES, 1.0 + 0.004 * _TEMPERATURES + 2e-6 * _TEMPERATURES ** 2, 2)
_BOUNDS = np.array([1.0, np.inf, 0.5, np.inf, 2.0, 0.25])


def laguerre_and_hermite_quadrature(xp, p):
    """Expectations by Gauss quadrature: a survival curve as a Laguerre series on the
    tape by lagvander(nodes, 3) @ c against np.polynomial.laguerre.laggauss weights, a
    density by hermevander against hermegauss weights, lagval at Tensor points with
    constant coefficients and hermeval of a coefficient matrix with tensor=False."""
    nodes, weights = np.polynomial.laguerre.laggauss(6)
    gauss_nodes, gauss_weights = np.polynomial.hermite_e.hermegauss(5)
    survival = np.polynomial.laguerre.lagvander(nodes, 3) @ p[:4]
    moment = xp.sum(weights * survival ** 2)
    density = np.polynomial.hermite_e.hermevander(gauss_nodes, 2) @ p[4:7]
    expectation = xp.sum(gauss_weights * xp.tanh(density)) / np.sqrt(2 * np.pi)
    at_points = np.polynomial.laguerre.lagval(xp.exp(p[4:7]), [1.0, -0.5, 0.25])
    columns = np.polynomial.hermite_e.hermeval(p[:2], np.ones((3, 2)), tensor=False)
    return moment + expectation + xp.sum(at_points) + xp.sum(columns)


def spectroscopy_baseline(xp, p):
    """An absorption peak on a sloping baseline: the baseline fitted by np.polyfit to the
    spectrum's ends (picked by np.r_[0:3, 9:12]) and removed by np.polyval, the corrected
    peak's area by np.trapezoid, and the baseline's slope and offset."""
    wavelengths = np.linspace(400.0, 700.0, 12)
    peak = xp.exp(p[0]) * xp.exp(-((wavelengths - 550.0 - 10 * p[1]) / 30.0) ** 2)
    spectrum = peak + 0.002 * wavelengths + 0.1 * p[2:14]
    ends = np.r_[0:3, 9:12]
    coef = xp.polyfit(wavelengths[ends], spectrum[ends], 1)
    corrected = spectrum - xp.polyval(coef, wavelengths)
    return xp.trapezoid(corrected, wavelengths) / 100 + xp.sum(coef * np.array([100.0, 1.0]))


def thermistor_calibration(xp, p):
    """A thermistor read through a Chebyshev.fit calibration curve at parameter
    temperatures, as the library advises: chebval of the series' convert().coef, its
    sensitivity by deriv(), the dissipated power by polyval of constant coefficients at a
    Tensor, and a np.poly1d of the resistance."""
    temperatures = 40.0 + 10.0 * xp.tanh(p[:5])
    resistance = np.polynomial.chebyshev.chebval(temperatures, _CALIBRATION.convert().coef)
    slope = np.polynomial.chebyshev.chebval(temperatures,
                                            _CALIBRATION.deriv().convert().coef)
    power = np.polynomial.polynomial.polyval(resistance, [0.0, 2.0, -0.5])
    return (xp.sum(power) + xp.sum(slope * 100)
            + xp.sum(xp.poly1d([1.0, 0.0, -1.0])(resistance)))


def simpson_on_a_parameter_grid(xp, p):
    """Simpson's rule between parameter ends on np.linspace(lo, hi, 9, retstep=True), its
    step a Tensor too, and a left-point grid by np.linspace(endpoint=False)."""
    lo, hi = p[0], p[0] + xp.exp(p[1])
    grid, step = xp.linspace(lo, hi, 9, retstep=True)
    f = xp.exp(-grid ** 2) * (1 + 0.1 * p[2])
    simpson = step / 3 * (f[0] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum() + f[-1])
    left_points = xp.linspace(lo, hi, 4, endpoint=False)
    return simpson + xp.sum(xp.sin(left_points)) + step


def spline_knot_assembly(xp, p):
    """Knots with a fixed 0 joined by np.concatenate (with a constant np.r_[0.0]), a
    design of powers by np.column_stack, and the regularised inverse of its Gram matrix."""
    knots = xp.concatenate([p[:3], np.r_[0.0], p[3:5]])
    design = xp.column_stack([knots, knots ** 2, np.ones(6)])
    gram = design.T @ design
    return xp.sum(xp.linalg.inv(gram + np.identity(3))) + knots[-1]


def compounding_by_group(xp, p):
    """Growth compounded per group in place: each period's factor multiplied into its
    group's total by np.multiply.at (groups repeat), then shares split by np.divide.at
    with a repeated index; log growth and squared shares."""
    growth = xp.ones(3) + 0.0 * p[0]
    xp.multiply.at(growth, _GROUPS, 1 + 0.05 * p[:8])
    shares = xp.full(3, 12.0) + p[8:11]
    xp.divide.at(shares, np.array([0, 0, 2]), np.array([2.0, 3.0, 4.0]))
    return xp.sum(xp.log(growth)) + xp.sum(shares ** 2) / 100


def sorted_complex_poles(xp, p):
    """The poles of s^2 + b s + c by np.emath.sqrt of the discriminant (complex when it is
    negative), ordered by np.sort_complex, their real parts weighted by rank."""
    b, c = p[0], xp.exp(p[1]) + 1.0
    root = xp.emath.sqrt(b ** 2 - 4 * c)
    poles = xp.sort_complex(xp.stack([(-b + root) / 2, (-b - root) / 2]))
    return xp.sum(xp.real(poles) * np.arange(1.0, 3.0)) + xp.sum(xp.imag(poles) ** 2)


def segment_and_running_reductions(xp, p):
    """Reductions by ufunc methods: np.apply_over_axes(np.sum) over axes 0 and 2, segment
    products by np.multiply.reduceat, segment peaks by np.maximum.reduceat, a running
    log-sum-exp by np.logaddexp.accumulate, running sums by np.add.accumulate(axis=1)."""
    a = p[:24].reshape(2, 3, 4)
    summed = np.apply_over_axes(np.sum, a, [0, 2])
    products = xp.multiply.reduceat(1 + 0.1 * p[:8], [0, 3, 5])
    peaks = xp.maximum.reduceat(p[:8], [0, 2, 6])
    running = xp.logaddexp.accumulate(p[:6])
    rows = xp.add.accumulate(a, axis=1)
    return (xp.sum(summed ** 2) + xp.sum(products) + xp.sum(peaks) + running[-1]
            + xp.sum(rows[:, -1]) / 10)


def ufunc_outer_and_reduce(xp, p):
    """Pairwise gaps by np.subtract.outer, the spread by np.maximum.reduce(axis=None), the
    column minima with np.minimum.reduce(initial=), a running product by
    np.multiply.accumulate, np.logaddexp.reduce and distances by np.hypot.outer."""
    x = p[:5]
    gaps = xp.subtract.outer(x, x)
    spread = xp.maximum.reduce(xp.abs(gaps), axis=None)
    minima = xp.minimum.reduce(gaps, axis=0, initial=0.5)
    products = xp.multiply.accumulate(1 + 0.1 * x)
    return (spread + xp.sum(minima) + products[-1] + xp.logaddexp.reduce(x)
            + xp.sum(xp.hypot.outer(x[:2], x[2:4])))


def scalars_and_size_one_axes(xp, p):
    """0-d and size-1 shapes everywhere: a 0-d parameter made 1-D by np.atleast_1d, a
    (1, 3, 1) block squeezed by np.squeeze(axis=(0, 2)), an empty slice under
    max(initial=), sum and prod, an np.float64 factor, and a mean over a tuple of axes
    with keepdims=True."""
    s = p[0]
    block = p[1:4].reshape(1, 3, 1)
    empty = p[4:4]
    column = xp.squeeze(block, axis=(0, 2))
    of_empty = xp.max(empty, initial=-1.0) + xp.sum(empty) + xp.prod(empty)
    joined = xp.concatenate([xp.atleast_1d(s), column, empty])
    scaled = xp.float64(2.0) * s ** 2 + xp.sum(block * block.reshape(3, 1, 1))
    return (scaled + of_empty + xp.sum(joined)
            + xp.mean(block, axis=(0, 2), keepdims=True)[0, 0, 0])


def bounded_parameters(xp, p):
    """Parameters clipped to bounds where the bound is finite (np.isinf of the bounds
    picks the free ones), a penalty counted where np.isfinite, and shifted upper limits,
    inf for the free ones, summed where np.isinf of that Tensor says they are finite."""
    free = np.isinf(_BOUNDS)
    limited = xp.where(free, p[:6], xp.clip(p[:6], -_BOUNDS, _BOUNDS))
    scale = xp.where(free, 1.0, _BOUNDS)
    penalty = xp.where(xp.isfinite(limited / scale), (limited / scale) ** 2, 0.0)
    upper = xp.where(free, np.inf, p[:6] + _BOUNDS)
    return xp.sum(penalty) + xp.sum(xp.where(xp.isinf(upper), 0.0, upper) ** 2)


def leslie_population(xp, p):
    """An age-structured population: a Leslie matrix with survival on np.diag(k=-1) and
    fecundities written into its first row, the stable age distribution by normalised
    power iteration, the growth rate as a Rayleigh quotient, and np.linalg.matrix_power."""
    fecundity = xp.exp(p[:4]) * 0.5
    survival = 1 / (1 + xp.exp(-p[4:7]))
    leslie = xp.diag(survival, k=-1)
    leslie[0, :] = fecundity
    population = xp.ones(4)
    for _ in range(12):
        population = leslie @ population
        population = population / xp.linalg.norm(population)
    growth = population @ leslie @ population
    return growth + xp.sum(xp.linalg.matrix_power(leslie, 3)[0])


def traffic_by_godunov_fluxes(xp, p):
    """Traffic density on a road by Godunov's scheme for the LWR model: ghost cells by
    np.pad(mode='edge'), demand and supply by np.minimum and np.maximum around the
    critical density, the flux their minimum."""
    density = 0.5 + 0.3 * xp.tanh(p[:10])
    for _ in range(6):
        padded = xp.pad(density, 1, mode="edge")
        left, right = padded[:-1], padded[1:]
        demand = xp.minimum(left, 0.5) * (1 - xp.minimum(left, 0.5))
        supply = xp.maximum(right, 0.5) * (1 - xp.maximum(right, 0.5))
        flux = xp.minimum(demand, supply)
        density = density - 0.4 * (flux[1:] - flux[:-1])
    return xp.sum(density ** 2) + xp.max(density)


def electricity_tariffs(xp, p):
    """Bills under block tariffs: np.select over usage bands with a scalar choice and
    default=, each customer's tier by np.choose with mode='clip' and 'wrap' (a constant
    tier out of range), a rebate by np.piecewise with a scalar and a default function,
    and a cap by np.where with a scalar branch."""
    usage = 50 * xp.exp(p[:6])
    bands = [usage < 40, (usage >= 40) & (usage < 90), usage >= 90]
    charge = xp.select(bands, [0.1 * usage, 4 + 0.2 * (usage - 40), 14.0], default=0.0)
    tier = np.array([0, 1, 2, 3, 1, 0])
    clipped = xp.choose(tier, [usage, 2 * usage, usage ** 0.5], mode="clip")
    wrapped = xp.choose(tier, [usage, -usage], mode="wrap")
    rebate = xp.piecewise(usage, [usage < 30, usage > 120],
                          [lambda u: 0.5 * u, 3.0, lambda u: u / 100])
    capped = xp.where(usage > 60, 1.0, usage / 60)
    return (xp.sum(charge) / 10 + xp.sum(clipped) / 50 + xp.sum(wrapped) / 50
            + xp.sum(rebate) + xp.sum(capped))


def ranking_and_pooling(xp, p):
    """Scores ranked by sorting: a lookup by np.searchsorted(sorter=np.argsort(...)), the
    three smallest by np.partition, the two largest gathered at np.argpartition, an order
    by np.lexsort of two keys as a constant, and group means by
    np.unique(return_inverse=True) and np.bincount(weights=)."""
    scores = p[:6]
    table = np.array([1.0, 3.0, 2.0, 5.0, 4.0, 0.0])
    order = np.argsort(table)
    found = np.searchsorted(table, [0.5, 2.5, 4.5], sorter=order)
    smallest = xp.partition(scores, 2)[:3]
    largest = scores[xp.argpartition(scores, -2)[-2:]]
    ranked = np.lexsort((np.array([1, 0, 1, 0, 1, 0]), np.array([2, 2, 1, 1, 0, 0])))
    _, inverse = np.unique(np.array([3, 1, 3, 2, 1, 3]), return_inverse=True)
    means = xp.bincount(inverse, weights=scores) / np.bincount(inverse)
    return (xp.sum(scores[order[found]]) + xp.sum(smallest) + xp.sum(largest ** 2)
            + xp.sum(scores[ranked] * np.arange(6)) + xp.sum(means ** 2))


def leapfrog_oscillator(xp, p):
    """A harmonic oscillator by leapfrog (kick-drift-kick) with in-place updates of a
    position built by np.stack of two 0-d parameters and a velocity a parameter times a
    constant direction; the final energy and position."""
    position = xp.stack([p[0], p[1]])
    velocity = p[2] * np.array([1.0, 0.0])
    stiffness = xp.exp(p[3])
    dt = 0.1
    for _ in range(10):
        velocity -= 0.5 * dt * stiffness * position
        position += dt * velocity
        velocity -= 0.5 * dt * stiffness * position
    return 0.5 * velocity @ velocity + 0.5 * stiffness * position @ position + position[0]


#: (program, parameters, whether HIPS autograd has every function the program calls)
PROGRAMS = [
    (laguerre_and_hermite_quadrature, _rng.normal(size=7), True),
    (spectroscopy_baseline, _rng.normal(size=14), False),
    (thermistor_calibration, _rng.normal(size=5), True),
    (simpson_on_a_parameter_grid, _rng.normal(size=3), False),
    (spline_knot_assembly, _rng.normal(size=5), True),
    (compounding_by_group, _rng.normal(size=11), False),
    (sorted_complex_poles, _rng.normal(size=2), False),
    (segment_and_running_reductions, _rng.normal(size=24), False),
    (ufunc_outer_and_reduce, _rng.normal(size=5), False),
    (scalars_and_size_one_axes, _rng.normal(size=4), True),
    (bounded_parameters, _rng.normal(size=6), True),
    (leslie_population, _rng.normal(size=7), False),
    (traffic_by_godunov_fluxes, _rng.normal(size=10), False),
    (electricity_tariffs, _rng.normal(size=6), False),
    (ranking_and_pooling, _rng.normal(size=6), False),
    (leapfrog_oscillator, _rng.normal(size=4), True),
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
