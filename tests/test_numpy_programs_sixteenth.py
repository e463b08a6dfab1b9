"""A sixteenth set of short NumPy programs, from domains and NumPy calls the earlier
rounds did not visit (continued in test_numpy_programs_sixteenth_more.py): robotics
(inverse kinematics by Jacobian-transpose steps, the Jacobian from a reversed
``np.cumsum`` of link vectors), graphics (barycentric coordinates by Cramer's rule, each
a batched ``np.linalg.det`` of a 3x3 matrix with a column swapped in by ``np.where``),
crystallography (structure factors by ``np.exp(1j * phase)`` and intensities by
``np.conjugate``), optics (thin-film reflectance by complex transfer matrices batched
with ``np.stack(axis=-1)`` and ``@``), electrochemistry (Nernst and Butler-Volmer with
``np.sinh`` and Tafel slopes by ``np.log10``), nuclear physics (a Bateman decay chain by
``np.subtract.outer``, ``np.multiply.outer`` and ``np.prod(axis=1)``), thermodynamics (a
bubble point by Newton steps on Antoine pressures ``np.power(10.0, .)``), fluid
mechanics (Colebrook friction factors by fixed-point ``np.log10`` iterations),
psychometrics (a two-parameter item-response likelihood), neuroscience
(Hodgkin-Huxley rates written with ``np.expm1``), astrophysics (Planck's law with
``np.expm1`` integrated by ``np.trapezoid`` over ``np.geomspace``, Wien's peak refined
around ``np.argmax``), power systems (a DC load flow reduced by ``np.delete``),
rotations (quaternion products and a slerp by ``np.arccos`` of a clipped dot product),
geometry (the Thomson energy of a Fibonacci lattice over ``np.triu_indices(k=1)``) and
chemistry (a van der Waals volume by Newton steps through ``np.polyval`` and
``np.polyder`` of stacked coefficients).  Each is differentiated unchanged with
``ad.grad`` and checked as every round is (``numpy_program_checks``).

Probing around them found ``np.fromiter`` over 0-d Tensors refused (NumPy turns the
library's error into "setting an array element with a sequence", the library's message
its cause) with wrong advice: it said ``np.fromiter(np.stack(list), ...)`` keeps them on
the tape, but NumPy hands ``np.fromiter`` to a Tensor only through ``like=``, and a
Tensor as the iterable named no function at all; the message now names it and
``np.fromiter(iterable, dtype, like=t)``, which keeps the entries on the tape
(test_numpy_sixteenth_findings.py).  The thin film
was first written with one 2x2 matrix per wavelength from 0-d entries, ``1j * sin /
n``: on ndarrays ``1j * np.float64`` is a Python complex, divided by Python's rule,
while on a 0-d Tensor it is a complex128 divided by NumPy's, a last-bit difference the
library cannot see (a Tensor does not know whether it stands for a Python or a NumPy
number); batched over the wavelengths, as here, the arithmetic is NumPy's on both.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261216)
_TARGET = np.array([1.2, 0.9])
_TRIANGLE = np.array([[0.0, 0.0], [2.0, 0.2], [0.5, 1.8]])
_ATOMS = np.array([[0.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.5, 0.0, 0.5], [0.0, 0.5, 0.5],
                   [0.25, 0.25, 0.25]])
_HKL = np.array([[1, 1, 1], [2, 0, 0], [2, 2, 0], [3, 1, 1], [2, 2, 2]])
_WAVELENGTHS = np.linspace(400.0, 700.0, 7)
_RESPONSES = (_rng.random(size=(6, 4)) < 0.5).astype(float)
_LINES = np.array([[0, 1], [1, 2], [2, 3], [3, 0], [0, 2]])
_INJECTIONS = np.array([0.0, 0.8, -0.5, -0.3])
_VECTORS = _rng.normal(size=(4, 3))


def arm_inverse_kinematics(xp, p):
    """Robotics: a planar three-link arm reaching for a target by Jacobian-transpose
    steps, the joint positions by np.cumsum of link vectors at the cumulative angles and
    each joint's Jacobian column from a reversed np.cumsum of the link vectors."""
    lengths = 1.0 + 0.1 * xp.tanh(p[:3])
    angles = 0.3 * p[3:6]
    rate = 0.2 + 0.05 * xp.tanh(p[6])
    for _ in range(4):
        heading = xp.cumsum(angles)
        links = xp.stack([lengths * xp.cos(heading), lengths * xp.sin(heading)])
        tip = xp.sum(links, axis=1)
        beyond = xp.cumsum(links[:, ::-1], axis=1)[:, ::-1]   # from joint i to the tip
        jacobian = xp.stack([-beyond[1], beyond[0]])
        angles = angles + rate * (jacobian.T @ (_TARGET - tip))
    heading = xp.cumsum(angles)
    tip = xp.stack([xp.sum(lengths * xp.cos(heading)), xp.sum(lengths * xp.sin(heading))])
    return xp.linalg.norm(tip - _TARGET) ** 2 + 0.01 * xp.sum(angles ** 2)


def barycentric_by_cramer(xp, p):
    """Graphics: barycentric coordinates of points in a triangle by Cramer's rule, each
    a ratio of np.linalg.det of stacked 3x3 matrices [x; y; 1] with one column replaced
    by the point, then a colour interpolated from the vertices."""
    corners = _TRIANGLE + 0.1 * p[:6].reshape(3, 2)
    points = xp.stack([0.6 + 0.2 * xp.tanh(p[6:9]), 0.5 + 0.2 * xp.tanh(p[9:12])], axis=1)
    homogeneous = xp.concatenate([corners.T, xp.ones((1, 3))])          # 3 x 3
    area = xp.linalg.det(homogeneous)
    weights = []
    for vertex in range(3):
        mask = np.arange(3) == vertex
        replaced = xp.where(mask, xp.concatenate([points, xp.ones((3, 1))], axis=1)[:, :, None],
                            homogeneous[None])
        weights.append(xp.linalg.det(replaced) / area)
    weights = xp.stack(weights, axis=1)
    colours = xp.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    shade = weights @ colours
    return xp.sum(shade ** 2) + xp.sum(weights[:, 0] * weights[:, 2])


def crystal_structure_factors(xp, p):
    """Crystallography: structure factors F(hkl) = sum_j f_j exp(2 pi i h . r_j) of a cell
    whose atoms move with the parameters, intensities F times np.conjugate(F) taken
    real, and a Debye-Waller damping exp(-B s^2)."""
    positions = _ATOMS + 0.02 * p[:15].reshape(5, 3)
    scattering = np.array([2.0, 2.0, 2.0, 2.0, 1.0]) * xp.exp(0.1 * p[15])
    phase = 2.0 * np.pi * (_HKL @ positions.T)                      # reflections x atoms
    factors = xp.sum(scattering * xp.exp(1j * phase), axis=1)
    intensity = xp.real(factors * xp.conjugate(factors))
    s_squared = xp.sum(_HKL ** 2, axis=1) / 4.0
    damping = xp.exp(-0.5 * (1.0 + 0.1 * p[16]) * s_squared)
    return xp.sum(intensity * damping) / xp.sum(damping)


def thin_film_reflectance(xp, p):
    """Optics: the reflectance of a two-layer coating over a band of wavelengths by
    characteristic 2x2 complex transfer matrices, batched over the wavelengths with
    np.stack(axis=-1) and multiplied layer by layer with @."""
    indices = np.array([1.38, 2.1]) + 0.05 * xp.tanh(p[:2])
    thicknesses = np.array([100.0, 60.0]) * (1.0 + 0.1 * p[2:4])
    n_air, n_glass = 1.0, 1.52
    matrix = np.eye(2, dtype=complex)
    for layer in range(2):
        delta = 2.0 * np.pi * indices[layer] * thicknesses[layer] / _WAVELENGTHS
        cos, sin = xp.cos(delta), xp.sin(delta)
        layer_matrix = xp.stack([xp.stack([cos + 0j, 1j * sin / indices[layer]], axis=-1),
                                 xp.stack([1j * indices[layer] * sin, cos + 0j], axis=-1)],
                                axis=-2)
        matrix = matrix @ layer_matrix
    fields = matrix @ np.array([1.0, n_glass])
    b, c = fields[:, 0], fields[:, 1]
    r = (n_air * b - c) / (n_air * b + c)
    return xp.mean(xp.abs(r) ** 2)


def electrode_kinetics(xp, p):
    """Electrochemistry: the Nernst potential from np.log of a concentration ratio and
    Butler-Volmer currents by np.sinh of the overpotential (equal transfer
    coefficients), with Tafel slopes from np.log10 of the large-overpotential branch."""
    faraday_over_rt = 96485.0 / (8.314 * 298.15)
    oxidised, reduced = xp.exp(0.2 * p[0]), xp.exp(0.2 * p[1])
    standard = 0.77 + 0.01 * p[2]
    nernst = standard + xp.log(oxidised / reduced) / faraday_over_rt
    applied = np.linspace(0.6, 0.95, 6)
    overpotential = applied - nernst
    exchange = 1e-3 * xp.exp(0.1 * p[3])
    current = 2.0 * exchange * xp.sinh(0.5 * faraday_over_rt * overpotential)
    tafel = xp.log10(xp.abs(current) / exchange)
    return xp.sum(current ** 2) * 1e4 + xp.sum(tafel) * 0.1 + nernst


def decay_chain_bateman(xp, p):
    """Nuclear physics: a four-member decay chain by the Bateman solution, the pairwise
    rate differences by np.subtract.outer with the diagonal set to one through
    np.where(np.eye), products over rows by np.prod(axis=1)."""
    rates = np.array([0.5, 0.3, 0.2, 0.1]) * xp.exp(0.1 * p[:4])
    times = np.array([0.5, 1.0, 2.0, 4.0])
    amounts = []
    for n in range(1, 5):
        chain = rates[:n]
        gaps = xp.where(np.eye(n, dtype=bool), 1.0, xp.subtract.outer(chain, chain).T)
        denominators = xp.prod(gaps, axis=1)
        leading = xp.prod(chain[:-1]) if n > 1 else 1.0
        terms = xp.exp(-xp.multiply.outer(times, chain)) / denominators
        amounts.append(leading * xp.sum(terms, axis=1))
    amounts = xp.stack(amounts)
    activity = rates[:, None] * amounts
    return xp.sum(activity * np.array([1.0, 2.0, 3.0, 4.0])[:, None])


def bubble_point_by_newton(xp, p):
    """Thermodynamics: the bubble temperature of a binary liquid by Raoult's law with
    Antoine vapour pressures np.power(10.0, A - B / (C + T)), found by Newton steps in a
    loop, and the vapour composition there."""
    a = np.array([8.07, 7.97]) + 0.01 * p[:2]
    b = np.array([1730.6, 1668.2]) * (1.0 + 0.001 * p[2:4])
    c = np.array([233.4, 228.0])
    liquid = np.array([0.5, 0.5]) + 0.1 * xp.tanh(p[4]) * np.array([1.0, -1.0])
    pressure = 760.0
    temperature = 90.0 + 0.0 * p[0]
    for _ in range(6):
        vapour = xp.power(10.0, a - b / (c + temperature))
        residual = xp.sum(liquid * vapour) - pressure
        slope = xp.sum(liquid * vapour * np.log(10.0) * b / (c + temperature) ** 2)
        temperature = temperature - residual / slope
    vapour_fraction = liquid * xp.power(10.0, a - b / (c + temperature)) / pressure
    return temperature + 10.0 * vapour_fraction[0]


def pipe_friction_colebrook(xp, p):
    """Fluid mechanics: Darcy friction factors of pipes by fixed-point iterations of the
    Colebrook equation with np.log10, then head losses by Darcy-Weisbach."""
    diameter = np.array([0.05, 0.1, 0.2]) * (1.0 + 0.05 * p[:3])
    velocity = 2.0 + 0.2 * p[3]
    roughness = 4.5e-5 * xp.exp(0.1 * p[4])
    reynolds = velocity * diameter / 1e-6
    inverse_root = xp.full_like(diameter, 8.0)
    for _ in range(8):
        inverse_root = -2.0 * xp.log10(roughness / (3.7 * diameter)
                                       + 2.51 * inverse_root / reynolds)
    friction = 1.0 / inverse_root ** 2
    head_loss = friction * 100.0 / diameter * velocity ** 2 / (2.0 * 9.81)
    return xp.sum(head_loss)


def item_response_likelihood(xp, p):
    """Psychometrics: a two-parameter logistic item-response model, abilities against
    difficulties by np.subtract.outer scaled by discriminations, the Bernoulli
    log-likelihood by np.logaddexp(0, .), and a standard normal prior."""
    ability = p[:6]
    difficulty = p[6:10]
    discrimination = xp.exp(0.3 * p[10:14])
    logits = discrimination * xp.subtract.outer(ability, difficulty)
    loglik = xp.sum(_RESPONSES * logits - xp.logaddexp(0.0, logits))
    return -loglik + 0.5 * xp.sum(ability ** 2) + 0.5 * xp.sum(difficulty ** 2) / 4.0


def hodgkin_huxley_steps(xp, p):
    """Neuroscience: Hodgkin-Huxley gating by forward Euler, the rates of the x / (exp(x)
    - 1) form written with np.expm1(x) (away from their removable point), a current step
    driving the membrane."""
    g_na, g_k, g_leak = 120.0 * xp.exp(0.05 * p[0]), 36.0 * xp.exp(0.05 * p[1]), 0.3
    drive = 10.0 + p[2]
    v, m, h, n = -65.0 + 0.0 * p[0], 0.05, 0.6, 0.32
    dt = 0.01
    for _ in range(60):
        u = v + 65.0
        alpha_n = 0.01 * (10.0 - u) / xp.expm1((10.0 - u) / 10.0)
        beta_n = 0.125 * xp.exp(-u / 80.0)
        alpha_m = 0.1 * (25.0 - u) / xp.expm1((25.0 - u) / 10.0)
        beta_m = 4.0 * xp.exp(-u / 18.0)
        alpha_h = 0.07 * xp.exp(-u / 20.0)
        beta_h = 1.0 / (1.0 + xp.exp((30.0 - u) / 10.0))
        current = (g_na * m ** 3 * h * (v - 50.0) + g_k * n ** 4 * (v + 77.0)
                   + g_leak * (v + 54.4))
        v = v + dt * (drive - current)
        m = m + dt * (alpha_m * (1.0 - m) - beta_m * m)
        h = h + dt * (alpha_h * (1.0 - h) - beta_h * h)
        n = n + dt * (alpha_n * (1.0 - n) - beta_n * n)
    return v + 10.0 * (m + h + n)


def blackbody_band_power(xp, p):
    """Astrophysics: Planck's spectral radiance with np.expm1, the power in a band by
    np.trapezoid over a np.geomspace grid of wavelengths, and Wien's peak refined by a
    parabola through the samples around the constant np.argmax."""
    temperature = 5000.0 * xp.exp(0.1 * p[0])
    wavelengths = np.geomspace(200e-9, 3000e-9, 40)
    h, c, k = 6.626e-34, 2.998e8, 1.381e-23
    exponent = h * c / (wavelengths * k * temperature)
    radiance = 2.0 * h * c ** 2 / wavelengths ** 5 / xp.expm1(exponent)
    band = xp.trapezoid(radiance, wavelengths)
    peak = int(xp.argmax(radiance))
    below, at, above = xp.log(radiance[peak - 1:peak + 2])
    offset = 0.5 * (below - above) / (below - 2.0 * at + above)
    step = np.log(wavelengths[1] / wavelengths[0])
    wien = wavelengths[peak] * xp.exp(offset * step) * temperature
    return band * 1e-7 + wien * 1e3


def dc_power_flow(xp, p):
    """Power systems: a DC load flow, the susceptance matrix assembled by np.add.at over
    the lines, the slack bus removed by np.delete, angles by np.linalg.solve, line flows
    and a cost of losses approximated by the squared flows over the susceptances."""
    susceptance = 10.0 * xp.exp(0.2 * p[:5])
    injections = _INJECTIONS + 0.1 * xp.concatenate([xp.zeros(1), p[5:8]])
    incidence = np.zeros((5, 4))
    incidence[np.arange(5), _LINES[:, 0]] = 1.0
    incidence[np.arange(5), _LINES[:, 1]] = -1.0
    matrix = xp.zeros((4, 4))
    for line, (i, j) in enumerate(_LINES):
        stamp = np.zeros((4, 4))
        stamp[[i, j], [i, j]] = 1.0
        stamp[[i, j], [j, i]] = -1.0
        matrix = matrix + susceptance[line] * stamp
    reduced = xp.delete(xp.delete(matrix, 0, axis=0), 0, axis=1)
    angles = xp.concatenate([xp.zeros(1), xp.linalg.solve(reduced, injections[1:])])
    flows = susceptance * (incidence @ angles)
    return xp.sum(flows ** 2 / susceptance) + xp.max(xp.abs(flows))


def quaternion_slerp(xp, p):
    """Rotations: unit quaternions from the parameters, the Hamilton product written out,
    vectors rotated as q v q*, and a spherical interpolation by np.arccos of a clipped
    dot product."""
    def normalise(q):
        return q / xp.linalg.norm(q)

    def product(a, b):
        return xp.stack([a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3],
                         a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2],
                         a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1],
                         a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0]])

    start = normalise(np.array([1.0, 0.0, 0.0, 0.0]) + 0.3 * p[:4])
    end = normalise(np.array([0.0, 1.0, 0.0, 0.0]) + 0.3 * p[4:8])
    angle = xp.arccos(xp.clip(xp.dot(start, end), -1.0, 1.0))
    total = 0.0
    for t in (0.25, 0.5, 0.75):
        middle = (xp.sin((1.0 - t) * angle) * start + xp.sin(t * angle) * end) / xp.sin(angle)
        conjugate = middle * np.array([1.0, -1.0, -1.0, -1.0])
        for vector in _VECTORS:
            rotated = product(product(middle, xp.concatenate([xp.zeros(1), vector])), conjugate)
            total = total + rotated[1] - 0.5 * rotated[3]
    return total


def thomson_on_fibonacci_sphere(xp, p):
    """Geometry: points spread on a sphere by the golden-angle (Fibonacci) lattice from
    np.arange, nudged by the parameters and put back on the sphere, with the Thomson
    energy over the pairs from np.triu_indices(k=1)."""
    count = 8
    index = np.arange(count) + 0.5
    polar = np.arccos(1.0 - 2.0 * index / count) + 0.1 * p[:count]
    azimuth = np.pi * (1.0 + 5.0 ** 0.5) * index + 0.1 * p[count:]
    points = xp.stack([xp.sin(polar) * xp.cos(azimuth), xp.sin(polar) * xp.sin(azimuth),
                       xp.cos(polar)], axis=1)
    first, second = np.triu_indices(count, k=1)
    distances = xp.linalg.norm(points[first] - points[second], axis=1)
    return xp.sum(1.0 / distances)


def van_der_waals_volume(xp, p):
    """Chemistry: the molar volume of a van der Waals gas from the cubic p V^3 - (p b +
    R T) V^2 + a V - a b = 0 by Newton steps written with np.polyval of a coefficient
    list holding Tensors and its np.polyder, then the compressibility factor."""
    gas_constant = 0.08314
    a = 3.64 * xp.exp(0.1 * p[0])
    b = 0.04267 * xp.exp(0.1 * p[1])
    temperature, pressure = 300.0 + 5.0 * p[2], 50.0 + 2.0 * p[3]
    coefficients = xp.stack([pressure, -(pressure * b + gas_constant * temperature), a, -a * b])
    slope_coefficients = xp.polyder(coefficients)
    volume = gas_constant * temperature / pressure
    for _ in range(8):
        volume = volume - xp.polyval(coefficients, volume) / xp.polyval(slope_coefficients, volume)
    return pressure * volume / (gas_constant * temperature)


PROGRAMS = [
    # (program, parameters, whether HIPS autograd has every function it calls)
    (arm_inverse_kinematics, _rng.normal(size=7), True),
    (barycentric_by_cramer, _rng.normal(size=12), False),   # its where rule mis-broadcasts
    (crystal_structure_factors, _rng.normal(size=17), True),
    (thin_film_reflectance, _rng.normal(size=4), True),
    (electrode_kinetics, _rng.normal(size=4), True),
    (decay_chain_bateman, _rng.normal(size=4), False),      # no ufunc .outer
    (bubble_point_by_newton, _rng.normal(size=5), True),
    (pipe_friction_colebrook, _rng.normal(size=5), True),
    (item_response_likelihood, _rng.normal(size=14), False),  # no ufunc .outer
    (hodgkin_huxley_steps, _rng.normal(size=3), True),
    (blackbody_band_power, _rng.normal(size=1), False),     # no trapezoid rule
    (dc_power_flow, _rng.normal(size=8), False),            # no delete rule
    (quaternion_slerp, _rng.normal(size=8), True),
    (thomson_on_fibonacci_sphere, _rng.normal(size=16), True),
    (van_der_waals_volume, _rng.normal(size=4), False),     # no polyder rule
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
