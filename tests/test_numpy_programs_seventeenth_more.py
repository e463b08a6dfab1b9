"""The seventeenth set of short NumPy programs, continued
(test_numpy_programs_seventeenth.py has the first part): sports ratings (a Glicko-1
rating period by ``np.subtract.outer`` and ``np.power(10.0, .)``), meteorology (FAO-56
Penman-Monteith evapotranspiration, Magnus saturation pressures over water and ice
chosen by ``np.where``, the dew point inverted), soil physics (a van Genuchten
retention curve with fractional ``np.power`` exponents of ``np.abs``), hydrology
(Muskingum routing of a flood wave, outflows in a list joined by ``np.stack``), graphs
(PageRank by ``np.linalg.solve`` with a damping on the tape, Katz centrality by
``np.linalg.matrix_power`` terms and ``np.linalg.norm(ord=1)``), reinforcement learning
(soft value iteration by ``np.einsum('sat,t->sa')`` and ``np.logaddexp``, greedy values
by ``np.take_along_axis`` at ``np.argmax``), phylogenetics (Kimura's two-parameter
likelihood and distance), structural biology (backbone dihedrals by ``np.cross`` and
``np.arctan2`` of ``np.einsum('ij,ij->i')``, a radius of gyration), vision (a
reprojection error with Rodrigues' rotation, Brown-Conrady distortion and NumPy 2's
``np.vecmat``), photovoltaics (a single-diode solar cell's maximum power point by
Newton steps with ``np.expm1`` and ``np.log1p``), signals (a Butterworth response, the
denominator by ``np.poly`` of complex poles ``np.exp(1j * angles)``, the gain by
``np.log10`` of ``np.abs`` of ``np.polyval`` at ``1j * w``), electromagnetics (a phased
array's pattern by ``np.exp(1j * np.outer(.))``), machine learning (temperature and Platt
scaling, a Brier score, an expected calibration error binned by ``np.digitize``),
polarisation optics (Jones matrices multiplied by ``functools.reduce(np.matmul, .)``,
Stokes parameters, Malus's law), finance (an amortising loan, its balances by
``np.subtract.accumulate``, an internal rate by Newton steps) and population genetics
(Wright-Fisher fixation probabilities by ``np.linalg.solve`` on the transient block of a
binomial transition matrix from ``math.comb`` constants), statistics (a group lasso,
the groups' norms by ``np.hypot.reduceat`` and a proximal step by ``np.repeat`` of
them), astrophysics (a Plummer-softened cluster potential, the softened distances by
``np.hypot.reduce(axis=-1, initial=eps)`` over ``np.triu_indices`` pairs), survival
analysis (a right-censored Weibull likelihood by ``np.where`` on the event indicator),
oceanography (the water-wave dispersion relation by Newton steps, group speeds with
``np.sinh``) and climate (a two-layer grey atmosphere by ``np.linalg.solve`` and
``np.power(., 0.25)``).  Each is differentiated unchanged with ``ad.grad`` and checked
as every round is (``numpy_program_checks``).

Three needed the library fixed (test_numpy_seventeenth_findings.py): ``np.poly`` of
complex roots on the tape (the Butterworth poles) was refused as if they were a
matrix's eigenvalues, and now gives NumPy's coefficients (real where the roots pair up
with their conjugates, as NumPy makes them) with a gradient; ``np.hypot.reduce``
refused ``initial=`` and ``where=`` (the Plummer softening), and ``np.hypot.reduceat``
(the group norms) had no rule: the ufuncs whose reductions run one slice at a time now
take both arguments and ``reduceat``.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import functools
import math

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261218)
_OPPONENTS = np.array([1400.0, 1550.0, 1700.0])
_DEVIATIONS = np.array([30.0, 100.0, 300.0])
_SCORES = np.array([1.0, 0.0, 0.0])
_SUCTION = np.array([1.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 15000.0])
_WATER = np.array([0.43, 0.41, 0.37, 0.29, 0.21, 0.15, 0.09])
_LINKS = np.array([[0, 1, 1, 0], [0, 0, 1, 0], [1, 0, 0, 1], [0, 0, 1, 0]], dtype=float)
_REWARDS = _rng.normal(size=(3, 2))
_TRANSITIONS = _rng.dirichlet(np.ones(3), size=(3, 2))     # states x actions x next states
_PATTERNS = np.array([40.0, 6.0, 3.0])                    # same, transition, transversion
_PIXELS = np.array([[320.0, 240.0], [400.0, 250.0], [300.0, 180.0], [350.0, 300.0]])
_POINTS = np.array([[0.0, 0.0, 5.0], [0.5, 0.1, 5.2], [-0.2, -0.6, 4.8], [0.3, 0.6, 5.1]])
_LABELS = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0])
_LOGITS = np.array([2.1, -0.3, 0.8, 3.0, 0.5, -1.7, -0.2, 1.1])

_DESIGN = _rng.normal(size=(10, 6))
_RESPONSE = _DESIGN @ np.array([1.0, -0.5, 0.0, 0.0, 0.3, 2.0]) + 0.1 * _rng.normal(size=10)
_STARS = np.array([[0.0, 0.0, 0.0], [1.0, 0.2, -0.1], [-0.4, 0.9, 0.3], [0.3, -0.7, 0.8]])
_COVARIATES = _rng.normal(size=(8, 2))
_TIMES = np.array([2.1, 5.3, 1.2, 7.7, 3.4, 9.9, 0.8, 4.5])
_OBSERVED = np.array([True, True, False, True, False, False, True, True])


def glicko_rating_update(xp, p):
    """Sports ratings: one Glicko-1 rating period, the opponents' deviations damped by
    g = 1 / sqrt(1 + 3 q^2 RD^2 / pi^2), the expected scores 1 / (1 + 10^(-g d / 400))
    from np.subtract.outer of ratings, and the new rating and deviation."""
    q = np.log(10.0) / 400.0
    ratings = 1500.0 + 50.0 * p[:2]
    deviations = 200.0 * xp.exp(0.1 * p[2:4])
    damping = 1.0 / np.sqrt(1.0 + 3.0 * q ** 2 * _DEVIATIONS ** 2 / np.pi ** 2)
    gaps = xp.subtract.outer(ratings, _OPPONENTS)                   # players x opponents
    expected = 1.0 / (1.0 + xp.power(10.0, -damping * gaps / 400.0))
    d_squared = 1.0 / (q ** 2 * xp.sum(damping ** 2 * expected * (1.0 - expected), axis=1))
    precision = 1.0 / deviations ** 2 + 1.0 / d_squared
    new = ratings + q / precision * xp.sum(damping * (_SCORES - expected), axis=1)
    return xp.sum((new - 1500.0) ** 2) / 1e4 + xp.sum(xp.sqrt(1.0 / precision)) / 100.0


def reference_evapotranspiration(xp, p):
    """Meteorology: the FAO-56 Penman-Monteith reference evapotranspiration over a week,
    saturation vapour pressures by the Magnus formula, the dew point inverted from it,
    and frost days taken from the ice branch by np.where."""
    mean_temperature = np.array([12.0, 15.0, 18.0, 21.0, -2.0, 8.0, 25.0]) + p[:7]
    humidity = 0.6 + 0.1 * xp.tanh(p[7])
    wind, radiation = 2.0 * xp.exp(0.1 * p[8]), 15.0 + p[9]
    over_water = 0.6108 * xp.exp(17.27 * mean_temperature / (mean_temperature + 237.3))
    over_ice = 0.6108 * xp.exp(21.87 * mean_temperature / (mean_temperature + 265.5))
    saturation = xp.where(mean_temperature >= 0.0, over_water, over_ice)
    actual = humidity * saturation
    slope = 4098.0 * over_water / (mean_temperature + 237.3) ** 2
    psychrometric = 0.0665
    evapotranspiration = (0.408 * slope * radiation + psychrometric * 900.0
                          / (mean_temperature + 273.0) * wind * (saturation - actual)) / \
        (slope + psychrometric * (1.0 + 0.34 * wind))
    log_ratio = xp.log(actual / 0.6108)
    dew_point = 237.3 * log_ratio / (17.27 - log_ratio)
    return xp.sum(evapotranspiration) + 0.01 * xp.sum(dew_point)


def van_genuchten_retention(xp, p):
    """Soil physics: the van Genuchten water retention curve theta(h) = theta_r +
    (theta_s - theta_r) / (1 + |alpha h|^n)^(1 - 1/n) with fractional np.power
    exponents, fitted in least squares to measured water contents."""
    residual_water = 0.05 + 0.02 * xp.tanh(p[0])
    saturated = 0.43 + 0.02 * xp.tanh(p[1])
    alpha = 0.02 * xp.exp(0.3 * p[2])
    n = 1.5 + 0.2 * xp.tanh(p[3])
    effective = xp.power(1.0 + xp.power(xp.abs(alpha * _SUCTION), n), -(1.0 - 1.0 / n))
    water = residual_water + (saturated - residual_water) * effective
    return xp.sum((water - _WATER) ** 2) * 100.0


def muskingum_routing(xp, p):
    """Hydrology: a flood wave routed through a river reach by the Muskingum method,
    the outflows a list stepped by the routing coefficients and joined by np.stack, the
    peak attenuation and the storage K (x I + (1 - x) O)."""
    travel = 12.0 * xp.exp(0.1 * p[0])
    weighting = 0.2 + 0.05 * xp.tanh(p[1])
    step = 6.0
    denominator = 2.0 * travel * (1.0 - weighting) + step
    c0 = (step - 2.0 * travel * weighting) / denominator
    c1 = (step + 2.0 * travel * weighting) / denominator
    c2 = (2.0 * travel * (1.0 - weighting) - step) / denominator
    inflow = 10.0 + 90.0 * np.exp(-((np.arange(16) - 4.0) / 2.5) ** 2) * (1.0 + 0.0 * p[2])
    inflow = inflow * (1.0 + 0.05 * p[2])
    outflow = [inflow[0]]
    for t in range(1, 16):
        outflow.append(c0 * inflow[t] + c1 * inflow[t - 1] + c2 * outflow[-1])
    outflow = xp.stack(outflow)
    storage = travel * (weighting * inflow + (1.0 - weighting) * outflow)
    return xp.max(outflow) + 0.01 * xp.sum(storage)


def pagerank_and_katz(xp, p):
    """Graphs: PageRank of a four-page web by solving (I - d M) r = (1 - d) / n, the
    damping a parameter and the link weights column-normalised, and Katz centrality by
    a truncated series of np.linalg.matrix_power terms."""
    damping = 0.85 + 0.05 * xp.tanh(p[0])
    weights = _LINKS * xp.exp(0.2 * p[1:17].reshape(4, 4))
    transition = weights / xp.sum(weights, axis=0)
    n = 4
    rank = xp.linalg.solve(np.eye(n) - damping * transition, (1.0 - damping) / n * np.ones(n))
    attenuation = 0.3 + 0.05 * xp.tanh(p[17])
    katz = sum(attenuation ** k * xp.linalg.matrix_power(transition.T, k) @ np.ones(n)
               for k in range(1, 6))
    return rank @ np.array([1.0, 2.0, 3.0, 4.0]) + xp.linalg.norm(katz, ord=1)


def soft_value_iteration(xp, p):
    """Reinforcement learning: soft value iteration on a three-state, two-action
    process, expected next values by np.einsum('sat,t->sa'), the soft maximum by
    np.logaddexp over the actions, and the greedy action values read by
    np.take_along_axis at np.argmax."""
    rewards = _REWARDS + 0.3 * p[:6].reshape(3, 2)
    discount = 0.9
    temperature = 0.5 * xp.exp(0.1 * p[6])
    values = xp.zeros(3)
    for _ in range(12):
        q = rewards + discount * xp.einsum("sat,t->sa", _TRANSITIONS, values)
        values = temperature * xp.logaddexp(q[:, 0] / temperature, q[:, 1] / temperature)
    greedy = np.argmax(q, axis=1)
    chosen = xp.take_along_axis(q, greedy[:, None], axis=1)[:, 0]
    return xp.sum(values) + 0.1 * xp.sum(chosen)


def kimura_distance_likelihood(xp, p):
    """Phylogenetics: Kimura's two-parameter substitution model, the probabilities of
    identical, transition and transversion sites after a branch of length t with
    np.exp of the rate combinations, the log-likelihood of site counts and the K2P
    distance from the observed proportions."""
    branch = 0.1 * xp.exp(0.3 * p[0])
    ratio = 2.0 * xp.exp(0.2 * p[1])                            # transitions / transversions
    beta = 1.0 / (ratio + 2.0)
    alpha = ratio * beta
    first, second = xp.exp(-4.0 * beta * branch), xp.exp(-2.0 * (alpha + beta) * branch)
    same = 0.25 + 0.25 * first + 0.5 * second
    transition = 0.25 + 0.25 * first - 0.5 * second
    transversion = 0.5 - 0.5 * first
    likelihood = xp.sum(_PATTERNS * xp.log(xp.stack([same, transition, transversion])))
    proportions = _PATTERNS[1:] / _PATTERNS.sum() * (1.0 + 0.1 * xp.tanh(p[2:4]))
    distance = (-0.5 * xp.log(1.0 - 2.0 * proportions[0] - proportions[1])
                - 0.25 * xp.log(1.0 - 2.0 * proportions[1]))
    return likelihood + distance


def backbone_dihedrals(xp, p):
    """Structural biology: the dihedral angles of a five-atom chain by np.cross of bond
    vectors and np.arctan2 of np.einsum('ij,ij->i') products, a torsion energy of
    cosines, and the radius of gyration about the centroid."""
    atoms = np.array([[0.0, 0.0, 0.0], [1.5, 0.0, 0.0], [2.0, 1.4, 0.0], [3.5, 1.5, 0.4],
                      [4.1, 2.8, 1.0]]) + 0.1 * p[:15].reshape(5, 3)
    bonds = xp.diff(atoms, axis=0)
    normals = xp.cross(bonds[:-1], bonds[1:])
    first, second = normals[:-1], normals[1:]
    middle = bonds[1:-1] / xp.linalg.norm(bonds[1:-1], axis=1, keepdims=True)
    sines = xp.einsum("ij,ij->i", xp.cross(first, second), middle)
    cosines = xp.einsum("ij,ij->i", first, second)
    dihedrals = xp.arctan2(sines, cosines)
    torsion = xp.sum(1.0 + xp.cos(3.0 * dihedrals - 0.3))
    centred = atoms - xp.mean(atoms, axis=0)
    gyration = xp.sqrt(xp.mean(xp.sum(centred ** 2, axis=1)))
    return torsion + gyration


def camera_reprojection(xp, p):
    """Vision: the reprojection error of a pinhole camera with Brown-Conrady radial
    distortion, the rotation by Rodrigues' formula, the points moved by NumPy 2's
    np.vecmat against the transposed rotation and the distortion 1 + k1 r^2 + k2 r^4."""
    axis_angle = 0.05 * p[:3]
    angle = xp.sqrt(xp.sum(axis_angle ** 2) + 1e-12)
    k = axis_angle / angle
    cross = xp.stack([xp.stack([0.0, -k[2], k[1]]), xp.stack([k[2], 0.0, -k[0]]),
                      xp.stack([-k[1], k[0], 0.0])])
    rotation = np.eye(3) + xp.sin(angle) * cross + (1.0 - xp.cos(angle)) * cross @ cross
    camera = xp.vecmat(_POINTS, rotation.T) + 0.1 * p[3:6]
    normalised = camera[:, :2] / camera[:, 2:]
    radius_squared = xp.sum(normalised ** 2, axis=1, keepdims=True)
    k1, k2 = 0.1 * p[6], 0.01 * p[7]
    distorted = normalised * (1.0 + k1 * radius_squared + k2 * radius_squared ** 2)
    focal = 500.0 * (1.0 + 0.01 * p[8])
    pixels = focal * distorted + np.array([320.0, 240.0])
    return xp.sum((pixels - _PIXELS) ** 2) / 1e4


def solar_cell_maximum_power(xp, p):
    """Photovoltaics: the single-diode model I = I_L - I_0 expm1(V / (n V_T)) of a solar
    cell, the maximum power point by Newton steps on dP/dV = 0, and the fill factor
    against the short-circuit current and the open-circuit voltage from np.log1p."""
    light = 8.0 * (1.0 + 0.05 * xp.tanh(p[0]))
    saturation = 1e-9 * xp.exp(0.2 * p[1])
    thermal = 0.0257 * 1.2 * (1.0 + 0.05 * xp.tanh(p[2]))
    open_circuit = thermal * xp.log1p(light / saturation)
    voltage = 0.8 * open_circuit
    for _ in range(10):
        exponential = xp.exp(voltage / thermal)
        derivative = light - saturation * xp.expm1(voltage / thermal) - \
            saturation * voltage / thermal * exponential
        second = -saturation * exponential / thermal * (2.0 + voltage / thermal)
        voltage = voltage - derivative / second
    current = light - saturation * xp.expm1(voltage / thermal)
    fill_factor = voltage * current / (open_circuit * light)
    return voltage * current + fill_factor


def butterworth_response(xp, p):
    """Signals: an analogue Butterworth low-pass, its poles on a circle by
    np.exp(1j * angles) scaled by the cutoff, the denominator by np.poly of the complex
    poles, the gain in decibels by 20 np.log10 |H(j w)| from np.polyval."""
    order = 4
    cutoff = 2.0 * np.pi * 100.0 * xp.exp(0.1 * p[0])
    angles = np.pi * (2.0 * np.arange(1, order + 1) + order - 1) / (2.0 * order)
    poles = cutoff * xp.exp(1j * angles)
    denominator = xp.real(xp.poly(poles))
    frequencies = 2.0 * np.pi * np.array([20.0, 60.0, 100.0, 150.0, 300.0])
    response = cutoff ** order / xp.polyval(denominator, 1j * frequencies)
    gain = 20.0 * xp.log10(xp.abs(response))
    ripple = 0.1 * p[1]
    return xp.sum((gain - np.array([0.0, -0.1, -3.0, -14.0, -38.0]) - ripple) ** 2) / 100.0


def phased_array_pattern(xp, p):
    """Electromagnetics: the array factor of an eight-element line array, steering
    phases and a tapered amplitude on the tape, the pattern np.abs(np.exp(1j *
    np.outer(angle terms, positions)) @ weights) ** 2 and its main-to-sidelobe ratio."""
    positions = np.arange(8) * 0.5
    steering = 0.3 + 0.1 * xp.tanh(p[0])
    taper = xp.exp(-0.5 * ((positions - 1.75) / (2.0 * xp.exp(0.2 * p[1]))) ** 2)
    weights = taper * xp.exp(-2j * np.pi * positions * xp.sin(steering))
    angles = np.linspace(-np.pi / 2, np.pi / 2, 31)
    phases = 2.0 * np.pi * np.outer(np.sin(angles), positions)
    pattern = xp.abs(xp.exp(1j * phases) @ weights) ** 2
    main = pattern[np.argmin(np.abs(angles - 0.3))]
    return xp.log(main / xp.mean(pattern)) + 0.01 * xp.sum(taper)


def calibration_by_temperature(xp, p):
    """Machine learning: temperature scaling and Platt scaling of a classifier's logits,
    the negative log-likelihood by np.logaddexp(0, -y z), the Brier score, and an
    expected calibration error with bins from np.digitize of the probabilities."""
    temperature = xp.exp(0.2 * p[0])
    slope, intercept = 1.0 + 0.1 * p[1], 0.1 * p[2]
    signs = 2.0 * _LABELS - 1.0
    scaled = _LOGITS / temperature
    temperature_loss = xp.mean(xp.logaddexp(0.0, -signs * scaled))
    platt = slope * _LOGITS + intercept
    platt_loss = xp.mean(xp.logaddexp(0.0, -signs * platt))
    probability = 1.0 / (1.0 + xp.exp(-scaled))
    brier = xp.mean((probability - _LABELS) ** 2)
    bins = np.digitize(probability, np.array([0.25, 0.5, 0.75]))
    error = 0.0
    for b in range(4):
        members = bins == b
        if np.any(members):
            error = error + xp.abs(xp.sum(probability[members] - _LABELS[members])) / 8.0
    return temperature_loss + platt_loss + brier + error


def polarisation_chain(xp, p):
    """Optics: light through a polariser, a wave plate and an analyser as Jones
    matrices multiplied by functools.reduce(np.matmul, ...), the transmitted intensity
    against Malus's law, and the Stokes parameters of the state after the plate."""
    def rotated(matrix, angle):
        c, s = xp.cos(angle), xp.sin(angle)
        rotation = xp.stack([xp.stack([c, -s]), xp.stack([s, c])])
        return rotation @ matrix @ rotation.T
    polariser = np.array([[1.0, 0.0], [0.0, 0.0]])
    retardance = np.pi / 2.0 * (1.0 + 0.1 * xp.tanh(p[0]))
    plate = xp.stack([xp.stack([1.0 + 0j, 0j]), xp.stack([0j, xp.exp(1j * retardance)])])
    angles = 0.4 * p[1:4]
    elements = [rotated(polariser, angles[2]), rotated(plate, angles[1]),
                rotated(polariser, angles[0])]
    system = functools.reduce(xp.matmul, elements)
    field = system @ np.array([1.0, 0.0])
    intensity = xp.sum(xp.abs(field) ** 2)
    inner = rotated(plate, angles[1]) @ rotated(polariser, angles[0]) @ np.array([1.0, 0.0])
    stokes = xp.stack([xp.abs(inner[0]) ** 2 - xp.abs(inner[1]) ** 2,
                       2.0 * xp.real(inner[0] * xp.conj(inner[1])),
                       -2.0 * xp.imag(inner[0] * xp.conj(inner[1]))])
    malus = xp.cos(angles[2] - angles[0]) ** 2 * xp.cos(angles[0]) ** 2
    return intensity + 0.5 * malus + xp.sum(stokes * np.array([0.3, 0.2, 0.1]))


def loan_amortisation(xp, p):
    """Finance: an amortising loan, the level payment P r / (1 - (1 + r)^-n), the
    interest and principal of each month by a loop, the balances by
    np.subtract.accumulate of the principal repaid, and the internal rate of the
    cash flows with a fee by Newton steps."""
    principal, months = 10000.0, 12
    rate = 0.005 * xp.exp(0.2 * p[0])
    payment = principal * rate / (1.0 - (1.0 + rate) ** -months)
    balance, repaid = principal, []
    for _ in range(months):
        interest = balance * rate
        repaid.append(payment - interest)
        balance = balance - repaid[-1]
    balances = xp.subtract.accumulate(xp.concatenate([xp.stack([principal + 0.0 * rate]),
                                                      xp.stack(repaid)]))
    fee = 150.0 * (1.0 + 0.1 * p[1])
    irr = rate
    for _ in range(6):
        discount = (1.0 + irr) ** -np.arange(1, months + 1)
        value = payment * xp.sum(discount) - (principal - fee)
        slope = -payment * xp.sum(np.arange(1, months + 1) * discount / (1.0 + irr))
        irr = irr - value / slope
    return xp.sum(balances[1:]) / 1e4 + 100.0 * irr + balances[6] / 1e3


def wright_fisher_fixation(xp, p):
    """Population genetics: a Wright-Fisher population of six genes with selection, the
    binomial transition matrix from math.comb constants, and the fixation
    probabilities from np.linalg.solve on the transient block."""
    size = 6
    selection = 0.1 * xp.tanh(p[0])
    counts = np.arange(size + 1)
    frequency = counts / size
    fitter = frequency * (1.0 + selection) / (1.0 + selection * frequency)
    binomial = np.array([math.comb(size, k) for k in range(size + 1)], dtype=float)
    transition = binomial * fitter[:, None] ** counts * (1.0 - fitter[:, None]) ** (size - counts)
    transient = transition[1:-1, 1:-1]
    to_fixation = transition[1:-1, -1]
    fixation = xp.linalg.solve(np.eye(size - 1) - transient, to_fixation)
    return xp.sum(fixation * np.exp(-np.arange(size - 1)))


def group_lasso_regression(xp, p):
    """Statistics: a group-lasso objective, the least-squares loss plus the Euclidean
    norm of each coefficient group taken by np.hypot.reduceat at the groups' first
    indices, and a proximal gradient step shrinking each group by that norm."""
    design = _DESIGN
    coefficients = p[:6]
    residual = design @ coefficients - _RESPONSE
    starts = [0, 2, 5]
    group_norms = xp.hypot.reduceat(coefficients, starts)
    loss = 0.5 * xp.mean(residual ** 2) + 0.3 * xp.sum(group_norms * np.sqrt([2.0, 3.0, 1.0]))
    step = coefficients - 0.1 * design.T @ residual / design.shape[0]
    sizes = np.diff(starts + [6])
    shrink = xp.maximum(1.0 - 0.05 / xp.repeat(xp.hypot.reduceat(step, starts), sizes), 0.0)
    return loss + xp.sum((shrink * step) ** 2)


def plummer_softened_cluster(xp, p):
    """Astrophysics: the potential energy of a small star cluster with Plummer
    softening, each pair's softened distance sqrt(eps^2 + dx^2 + dy^2 + dz^2) by
    np.hypot.reduce(axis=-1, initial=eps) over the pairs from np.triu_indices, and the
    virial ratio against the kinetic energy."""
    positions = _STARS + 0.2 * p[:12].reshape(4, 3)
    velocities = 0.3 * p[12:16, None] * np.array([1.0, -0.5, 0.2])
    masses = np.array([1.0, 0.8, 1.2, 0.5])
    first, second = np.triu_indices(4, k=1)
    separations = xp.hypot.reduce(positions[first] - positions[second], axis=-1, initial=0.1)
    potential = -xp.sum(masses[first] * masses[second] / separations)
    kinetic = 0.5 * xp.sum(masses * xp.sum(velocities ** 2, axis=1))
    return potential + (2.0 * kinetic + potential) ** 2


def weibull_censored_likelihood(xp, p):
    """Survival analysis: a Weibull regression with right-censored times, the log
    density for observed failures and the log survival for censored ones chosen by
    np.where on the event indicator, and the median survival of a new subject."""
    shape = xp.exp(0.2 * p[0])
    coefficients = 0.3 * p[1:3]
    scale = xp.exp(1.0 + _COVARIATES @ coefficients)
    z = (_TIMES / scale) ** shape
    log_density = xp.log(shape / scale) + (shape - 1.0) * xp.log(_TIMES / scale) - z
    log_survival = -z
    likelihood = xp.sum(xp.where(_OBSERVED, log_density, log_survival))
    median = xp.exp(1.0 + np.array([0.5, -1.0]) @ coefficients) * np.log(2.0) ** (1.0 / shape)
    return -likelihood + 0.1 * median


def water_wave_dispersion(xp, p):
    """Oceanography: wavenumbers from the dispersion relation w^2 = g k tanh(k h) by
    Newton steps from the deep-water guess, over depths on the tape, then phase and
    group speeds and the shoaling coefficient against deep water."""
    gravity = 9.81
    periods = np.array([4.0, 8.0, 12.0])
    omega = 2.0 * np.pi / periods
    depth = 5.0 * xp.exp(0.3 * p[:1]) * np.ones(3)
    k = omega ** 2 / gravity * (1.0 + 0.0 * depth)
    for _ in range(8):
        tanh = xp.tanh(k * depth)
        residual = gravity * k * tanh - omega ** 2
        slope = gravity * tanh + gravity * k * depth * (1.0 - tanh ** 2)
        k = k - residual / slope
    phase = omega / k
    group = 0.5 * phase * (1.0 + 2.0 * k * depth / xp.sinh(2.0 * k * depth))
    shoaling = xp.sqrt(gravity / omega / 2.0 / group)
    return xp.sum(phase) + xp.sum(shoaling) * (1.0 + 0.1 * p[1])


def two_layer_greenhouse(xp, p):
    """Climate: a two-layer grey atmosphere in radiative balance, the balance linear in
    sigma T^4 and solved by np.linalg.solve, temperatures by np.power(., 0.25), and the
    climate sensitivity to the layers' emissivity."""
    sigma = 5.67e-8
    solar, albedo = 1361.0, 0.3 + 0.02 * xp.tanh(p[0])
    emissivity = 0.75 + 0.05 * xp.tanh(p[1:3])
    absorbed = solar * (1.0 - albedo) / 4.0
    e1, e2 = emissivity[0], emissivity[1]
    balance = xp.stack([xp.stack([1.0 + 0.0 * e1, -e1, -(1.0 - e1) * e2]),
                        xp.stack([e1, -2.0 * e1, e1 * e2]),
                        xp.stack([(1.0 - e1) * e2, e1 * e2, -2.0 * e2])])
    emission = xp.linalg.solve(balance, xp.stack([absorbed, 0.0 * absorbed, 0.0 * absorbed]))
    temperatures = xp.power(emission / sigma, 0.25)
    return temperatures[0] / 288.0 + xp.sum(temperatures[1:]) / 500.0


PROGRAMS = [
    # (program, parameters, whether HIPS autograd has every function it calls)
    (glicko_rating_update, _rng.normal(size=4), False), # no ufunc .outer
    (reference_evapotranspiration, _rng.normal(size=10), True),
    (van_genuchten_retention, _rng.normal(size=4), True),
    (muskingum_routing, _rng.normal(size=3), True),
    (pagerank_and_katz, _rng.normal(size=18), False),   # no matrix_power rule
    (soft_value_iteration, _rng.normal(size=7), False), # no take_along_axis rule
    (kimura_distance_likelihood, _rng.normal(size=4), True),
    (backbone_dihedrals, _rng.normal(size=15), False),  # its norm(keepdims=) mis-broadcasts
    (camera_reprojection, _rng.normal(size=9), False),  # no vecmat rule
    (solar_cell_maximum_power, _rng.normal(size=3), True),
    (butterworth_response, _rng.normal(size=2), False), # no poly rule
    (phased_array_pattern, _rng.normal(size=2), True),
    (calibration_by_temperature, _rng.normal(size=3), True),
    (polarisation_chain, _rng.normal(size=4), True),
    (loan_amortisation, _rng.normal(size=2), False),    # no ufunc .accumulate
    (wright_fisher_fixation, _rng.normal(size=1), True),
    (group_lasso_regression, _rng.normal(size=6), False),  # no ufunc .reduceat
    (plummer_softened_cluster, _rng.normal(size=16), False),  # no ufunc .reduce
    (weibull_censored_likelihood, _rng.normal(size=3), True),
    (water_wave_dispersion, _rng.normal(size=2), True),
    (two_layer_greenhouse, _rng.normal(size=3), True),
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
