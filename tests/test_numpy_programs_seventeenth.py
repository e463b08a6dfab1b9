"""A seventeenth set of short NumPy programs, from domains and NumPy calls the earlier
rounds did not visit (continued in test_numpy_programs_seventeenth_more.py): game theory
(regret matching with the positive regrets ``np.maximum(r, 0)`` normalised, uniform by
``np.where`` where none is positive), speech (log mel filterbank energies, triangular
filters ``np.maximum(0, np.minimum(rising, falling))`` from ``np.subtract.outer`` of bin
frequencies and mel edges, ``np.log10``), seismology (a hypocentre misfit, travel
distances by ``np.hypot.reduce(axis=1)``, a Huber loss), astronomy (orbital elements
from a state vector by ``np.cross``, vis-viva and ``np.arccos``, the speed by
``np.hypot.reduce``), acoustics (a room impulse response decaying at Sabine's
reverberation time, Schroeder's backward integral by a reversed
``np.cumulative_sum(include_initial=True)``), epidemiology (SEIR by forward Euler with
the histories joined by ``np.stack``), pharmacokinetics (a two-compartment bolus, the
disposition rates by ``np.sort(np.roots(c[::-1]))``, the drug lost by ``np.expm1``),
control (pole placement, the characteristic polynomial by ``np.poly(poles)[::-1]``, its
companion matrix by ``np.column_stack`` with ``np.eye(n, n - 1, k=-1)``, its values by
``np.prod`` of ``np.subtract.outer``), quantum mechanics (a transverse-field Ising
energy, Pauli strings by ``np.kron`` chains, ``np.conj(psi) @ H @ psi``), materials
(Ogden and Mooney-Rivlin strain energies, principal stretches from
``np.linalg.eigvalsh`` of C, the Ogden terms by ``np.power.outer``) and colour science
(sRGB to CIELAB by ``np.where`` on ``np.greater``, ``np.cbrt`` and
``np.logical_not``).  Each is differentiated unchanged with ``ad.grad`` and checked as
every round is (``numpy_program_checks``).

Two were first written with ``numpy.polynomial``'s functions of roots: the
disposition rates by ``np.polynomial.polynomial.polyroots`` and the pole placement by
``polyfromroots``, ``polycompanion`` and ``polyvalfromroots``, each of coefficients or
roots on the tape.  numpy.polynomial turns its arguments into arrays, so the library
refuses them, but its message named no function and advised Vandermonde products, which
do not apply to roots; it now names the function and the NumPy code that keeps its
arguments on the tape (test_numpy_seventeenth_findings.py), and the programs are written
that way.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261217)
_RPS = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])
_STATIONS = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 0.2], [0.0, 12.0, -0.1],
                      [9.0, 11.0, 0.3], [5.0, -4.0, 0.0]])
_PICKS = np.array([1.62, 1.55, 2.01, 2.21, 1.05])
_SAMPLE_RATE = 8000.0
_SRGB_TARGET = np.array([[0.8, 0.2, 0.1], [0.3, 0.6, 0.9], [0.05, 0.04, 0.5]])
_SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                         [0.0193, 0.1192, 0.9505]])
_WHITE = np.array([0.95047, 1.0, 1.08883])


def regret_matching(xp, p):
    """Game theory: regret matching in rock-paper-scissors against a fixed mixed
    opponent, the strategy the positive regrets np.maximum(r, 0) normalised, uniform
    where no regret is positive (np.where on their sum), the average strategy scored."""
    opponent = xp.exp(0.3 * p[:3]) / xp.sum(xp.exp(0.3 * p[:3]))
    payoff = _RPS + 0.1 * p[3:12].reshape(3, 3)
    regret = np.array([0.5, 0.0, 0.0])
    total = xp.zeros(3)
    for _ in range(6):
        positive = xp.maximum(regret, 0.0)
        mass = xp.sum(positive)
        strategy = xp.where(mass > 0, positive / xp.where(mass > 0, mass, 1.0), 1.0 / 3.0)
        action_values = payoff @ opponent
        regret = regret + action_values - strategy @ action_values
        total = total + strategy
    average = total / 6.0
    return average @ payoff @ opponent + xp.sum(average ** 2)


def mel_filterbank_energies(xp, p):
    """Speech: log mel filterbank energies of a two-tone frame, the triangular filters
    np.maximum(0, np.minimum(rising, falling)) built from np.subtract.outer of the
    bin frequencies and mel-spaced edges, the log by np.log10."""
    n = 64
    t = np.arange(n) / _SAMPLE_RATE
    frequencies = np.array([440.0, 1800.0]) * (1.0 + 0.02 * p[:2])
    amplitudes = xp.exp(0.2 * p[2:4])
    frame = xp.sum(amplitudes[:, None] * xp.sin(2.0 * np.pi * frequencies[:, None] * t), axis=0)
    power = xp.abs(xp.fft.rfft(frame * np.hanning(n))) ** 2 / n
    mel_edges = np.linspace(0.0, 2595.0 * np.log10(1.0 + 4000.0 / 700.0), 8)
    edges = 700.0 * (10.0 ** (mel_edges / 2595.0) - 1.0)
    bins = np.fft.rfftfreq(n, 1.0 / _SAMPLE_RATE)
    offsets = np.subtract.outer(edges, bins)                     # edges x bins
    rising = -offsets[:-2] / (edges[1:-1] - edges[:-2])[:, None]
    falling = offsets[2:] / (edges[2:] - edges[1:-1])[:, None]
    filters = np.maximum(0.0, np.minimum(rising, falling))
    energies = filters @ power
    return xp.sum(xp.log10(energies + 1e-3))


def seismic_hypocentre_misfit(xp, p):
    """Seismology: P-wave travel times from a trial hypocentre to five stations, the
    distances by np.hypot.reduce over the coordinate differences, the origin time
    eliminated by the mean residual, the misfit a Huber loss."""
    source = np.array([4.0, 5.0, 3.0]) + p[:3]
    velocity = 6.0 + 0.2 * xp.tanh(p[3])
    distances = xp.hypot.reduce(_STATIONS - source, axis=1)
    travel = distances / velocity
    residual = _PICKS - travel
    residual = residual - xp.mean(residual)
    delta = 0.05
    quadratic = xp.minimum(xp.abs(residual), delta)
    return xp.sum(0.5 * quadratic ** 2 + delta * (xp.abs(residual) - quadratic))


def orbital_elements(xp, p):
    """Astronomy: the classical orbital elements from a position and velocity (km,
    km/s): angular momentum by np.cross, the eccentricity vector, the semi-major axis
    from the vis-viva energy, the inclination by np.arccos and the speed by
    np.hypot.reduce."""
    mu = 398600.4418
    position = np.array([7000.0, -1200.0, 300.0]) + 50.0 * p[:3]
    velocity = np.array([1.1, 7.3, 0.9]) + 0.05 * p[3:6]
    radius = xp.linalg.norm(position)
    speed = xp.hypot.reduce(velocity)
    momentum = xp.cross(position, velocity)
    eccentricity = xp.cross(velocity, momentum) / mu - position / radius
    energy = speed ** 2 / 2.0 - mu / radius
    semi_major = -mu / (2.0 * energy)
    inclination = xp.arccos(momentum[2] / xp.linalg.norm(momentum))
    period = 2.0 * np.pi * xp.sqrt(semi_major ** 3 / mu)
    return xp.linalg.norm(eccentricity) + inclination + period / 6000.0


def room_impulse_decay(xp, p):
    """Acoustics: a room impulse response as image-source arrivals with exponential
    decay at Sabine's reverberation time, Schroeder's backward integral by a reversed
    np.cumulative_sum(include_initial=True), the decay in decibels by np.log10."""
    volume, area = 120.0, 160.0
    absorption = 0.2 + 0.05 * xp.tanh(p[0])
    reverberation = 0.161 * volume / (area * absorption)
    times = np.linspace(0.0, 0.6, 40)
    arrivals = np.array([0.01, 0.023, 0.031, 0.047, 0.06]) * (1.0 + 0.05 * xp.tanh(p[1:6]))
    late = xp.exp(-6.91 * times / reverberation)
    early = xp.sum(xp.exp(-((times[:, None] - arrivals) / 0.004) ** 2), axis=1)
    energy = (late + 0.3 * early) ** 2
    backward = xp.cumulative_sum(energy[::-1], include_initial=True)[::-1]
    decay = 10.0 * xp.log10(backward[:-1] / backward[0])
    return xp.mean(decay ** 2) / 100.0


def seir_epidemic(xp, p):
    """Epidemiology: an SEIR model by forward Euler, the compartments' histories
    assembled by np.stack of the list of states, the peak infections and the final
    attack rate scored against observed weekly cases."""
    beta = 0.5 * xp.exp(0.1 * p[0])
    sigma = 0.25 * xp.exp(0.1 * p[1])
    gamma = 0.2 * xp.exp(0.1 * p[2])
    state = xp.stack([0.99, 0.0, 0.01 * xp.exp(0.1 * p[3]), 0.0])
    history = [state]
    for _ in range(35):
        s, e, i, r = state
        infection = beta * s * i
        state = state + 0.5 * xp.stack([-infection, infection - sigma * e,
                                        sigma * e - gamma * i, gamma * i])
        history.append(state)
    history = xp.stack(history)                               # steps x compartments
    weekly = history[::7, 2]
    observed = np.array([0.01, 0.02, 0.05, 0.09, 0.11, 0.09])
    return xp.sum((weekly - observed) ** 2) + history[-1, 3] + xp.max(history[:, 2])


def two_compartment_dosing(xp, p):
    """Pharmacokinetics: a two-compartment intravenous bolus, the disposition rates
    alpha and beta the roots of the characteristic quadratic by np.sort(np.roots(c[::-1]))
    of its coefficients lowest degree first, the concentration a biexponential, the area
    under the curve to infinity and the loss of drug by np.expm1 over a dosing gap."""
    k10, k12, k21 = 0.3 * xp.exp(0.1 * p[0]), 0.5 * xp.exp(0.1 * p[1]), 0.2 * xp.exp(0.1 * p[2])
    coefficients = xp.stack([k10 * k21, -(k10 + k12 + k21), 1.0 + 0.0 * k10])
    beta, alpha = xp.sort(xp.roots(coefficients[::-1]))
    dose, volume = 100.0, 10.0
    a = dose / volume * (alpha - k21) / (alpha - beta)
    b = dose / volume * (k21 - beta) / (alpha - beta)
    times = np.array([0.5, 1.0, 2.0, 4.0, 8.0])
    concentration = a * xp.exp(-alpha * times) + b * xp.exp(-beta * times)
    area = a / alpha + b / beta
    eliminated = -xp.expm1(-beta * 12.0)
    return xp.sum(xp.log(concentration)) + 0.1 * area + eliminated


def pole_placement(xp, p):
    """Control: the desired characteristic polynomial from closed-loop poles by
    np.poly(poles)[::-1] (lowest degree first), the state feedback of a controllable
    canonical form read off its coefficients, the companion matrix by np.column_stack
    of np.eye(n, n - 1, k=-1) and the last column, its spectrum by np.linalg.eigvals,
    and the polynomial at three points by np.prod of np.subtract.outer."""
    poles = -np.array([1.0, 2.0, 3.0]) * xp.exp(0.2 * p[:3])
    desired = xp.poly(poles)[::-1]
    open_loop = np.array([2.0, -1.0, 0.5, 1.0])
    gains = desired[:3] - open_loop[:3]
    companion = xp.column_stack([np.eye(3, 2, k=-1), -desired[:-1] / desired[-1]])
    spectrum = xp.sort(xp.real(xp.linalg.eigvals(companion)))
    at_points = xp.prod(xp.subtract.outer(np.array([0.5, -0.2, 1.5]), poles), axis=-1)
    return xp.sum(gains ** 2) / 100.0 + xp.sum(spectrum * np.array([1.0, 0.5, 0.25])) + \
        xp.sum(at_points) / 50.0


def pauli_string_energy(xp, p):
    """Quantum: the energy of a three-qubit transverse-field Ising chain in a product
    state of single-qubit rotations, the Hamiltonian's Pauli strings built by chains of
    np.kron and the expectation np.conj(psi) @ H @ psi taken real."""
    x = np.array([[0.0, 1.0], [1.0, 0.0]])
    z = np.array([[1.0, 0.0], [0.0, -1.0]])
    eye = np.eye(2)
    field = 0.7 + 0.1 * xp.tanh(p[6])
    hamiltonian = -np.kron(np.kron(z, z), eye) - np.kron(np.kron(eye, z), z)
    for site in range(3):
        factors = [eye, eye, eye]
        factors[site] = x
        hamiltonian = hamiltonian - field * np.kron(np.kron(factors[0], factors[1]), factors[2])
    angles, phases = p[:3], 0.3 * p[3:6]
    qubits = [xp.stack([xp.cos(angles[k] / 2), xp.exp(1j * phases[k]) * xp.sin(angles[k] / 2)])
              for k in range(3)]
    psi = xp.kron(xp.kron(qubits[0], qubits[1]), qubits[2])
    return xp.real(xp.conj(psi) @ hamiltonian @ psi)


def ogden_strain_energy(xp, p):
    """Materials: the Ogden strain energy of a deformation gradient, the principal
    stretches the square roots of np.linalg.eigvalsh of C = F^T F, the terms by
    np.power.outer of stretches and exponents, with a Mooney-Rivlin energy from the
    invariants of C beside it."""
    deformation = np.eye(3) + 0.1 * p[:9].reshape(3, 3)
    right_cauchy_green = deformation.T @ deformation
    stretches = xp.sqrt(xp.linalg.eigvalsh(right_cauchy_green))
    moduli, exponents = np.array([1.2, -0.03, 0.005]), np.array([1.3, -2.0, 5.0])
    ogden = xp.sum(moduli / exponents * (xp.sum(xp.power.outer(stretches, exponents), axis=0)
                                         - 3.0))
    first = xp.trace(right_cauchy_green)
    second = 0.5 * (first ** 2 - xp.trace(right_cauchy_green @ right_cauchy_green))
    jacobian = xp.linalg.det(deformation)
    mooney = 0.4 * (first - 3.0) + 0.1 * (second - 3.0) + 5.0 * (jacobian - 1.0) ** 2
    return ogden + mooney


def srgb_colour_difference(xp, p):
    """Colour science: sRGB to CIELAB, the gamma decoded by np.where on np.greater of
    the code values, XYZ by a matrix, the Lab nonlinearity np.cbrt above a threshold and
    linear below it through np.logical_not, and the CIE76 difference to targets."""
    code = 0.5 + 0.45 * xp.tanh(p[:9].reshape(3, 3))
    linear = xp.where(xp.greater(code, 0.04045), ((code + 0.055) / 1.055) ** 2.4, code / 12.92)
    xyz = linear @ _SRGB_TO_XYZ.T / _WHITE
    above = xp.greater(xyz, (6.0 / 29.0) ** 3)
    f = xp.where(above, xp.cbrt(xyz), 0.0) + \
        xp.where(xp.logical_not(above), xyz / (3.0 * (6.0 / 29.0) ** 2) + 4.0 / 29.0, 0.0)
    lab = xp.stack([116.0 * f[:, 1] - 16.0, 500.0 * (f[:, 0] - f[:, 1]),
                    200.0 * (f[:, 1] - f[:, 2])], axis=1)
    target_linear = np.where(_SRGB_TARGET > 0.04045, ((_SRGB_TARGET + 0.055) / 1.055) ** 2.4,
                             _SRGB_TARGET / 12.92)
    target_f = np.cbrt(target_linear @ _SRGB_TO_XYZ.T / _WHITE)
    target = np.stack([116.0 * target_f[:, 1] - 16.0, 500.0 * (target_f[:, 0] - target_f[:, 1]),
                       200.0 * (target_f[:, 1] - target_f[:, 2])], axis=1)
    return xp.sum(xp.linalg.norm(lab - target, axis=1))


PROGRAMS = [
    # (program, parameters, whether HIPS autograd has every function it calls)
    (regret_matching, _rng.normal(size=12), True),
    (mel_filterbank_energies, _rng.normal(size=4), True),
    (seismic_hypocentre_misfit, _rng.normal(size=4), False),  # no ufunc .reduce
    (orbital_elements, _rng.normal(size=6), False),     # no ufunc .reduce
    (room_impulse_decay, _rng.normal(size=6), False),   # no cumulative_sum rule
    (seir_epidemic, _rng.normal(size=4), True),
    (two_compartment_dosing, _rng.normal(size=3), False),  # no roots rule
    (pole_placement, _rng.normal(size=3), False),       # no poly rule
    (pauli_string_energy, _rng.normal(size=7), True),
    (ogden_strain_energy, _rng.normal(size=9), False),  # no eigvalsh rule
    (srgb_colour_difference, _rng.normal(size=9), False),  # no cbrt rule
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
