"""A nineteenth set of short NumPy programs, from domains and NumPy calls the earlier
rounds did not visit (continued in test_numpy_programs_nineteenth_more.py): actuarial
science (a Gompertz life table, survival by ``np.cumprod``, a life annuity discounted by
``np.power``), phylogenetics (a general time-reversible substitution model, the
transition matrix ``V exp(L t) V^-1`` from ``np.linalg.eig``, a Jukes-Cantor-style
site likelihood), neuroscience (a leaky integrate-and-fire neuron reset by ``np.where``
and spike-timing-dependent plasticity from decaying traces), agriculture (growing
degree days by ``np.clip`` of the daily means), traffic (Greenshields' flux and the
Lighthill-Whitham-Richards road by Godunov's scheme of ``np.minimum`` and
``np.maximum``), cartography (Mercator and Lambert conformal conic projections),
metrology (an uncertainty budget, the covariance by ``np.outer`` of the standard
uncertainties, propagated by ``np.linalg.multi_dot``), wind energy (a Weibull wind
climate, the power curve by ``np.clip`` of ``np.power``), battery management (coulomb
counting by ``np.cumsum``), climate (radiative forcing by ``np.log(C / C0)`` in a
two-box energy balance), electrochemistry (Nernst potentials with Debye-Hueckel
activities, ``np.sqrt`` of the ionic strength), materials (Voigt, Reuss and Hill
bounds by ``np.reciprocal``) and audio (a float16 recording filtered by
``np.convolve(mode='valid')`` and matched by ``np.correlate(mode='full')``).  Each is
differentiated unchanged with ``ad.grad`` and checked as every round is
(``numpy_program_checks``).

Probes around the float16 recording found that ``np.convolve`` and ``np.correlate``
of two float16 sequences, or of two different float dtypes, differed from NumPy's in
the last bits (NumPy sums halves in float32 and converts mixed dtypes to their common
type first); probes around the sensors' ``np.linalg.cond`` found float32 matrices'
condition numbers for p other than None, 2 and -2 differing likewise.  Both are fixed,
with focused tests in test_numpy_nineteenth_findings.py.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261219)
_SITE_PATTERNS = np.array([[0, 0], [0, 1], [2, 2], [3, 1], [1, 1], [2, 3], [0, 2]])
_PRE_SPIKES = _rng.random(40) < 0.2
_POST_SPIKES = _rng.random(40) < 0.2
_DAILY_MIN = np.array([4.0, 6.5, 9.0, 11.0, 8.0, 13.5, 15.0, 12.0, 7.0, 10.5])
_DAILY_MAX = np.array([14.0, 18.5, 22.0, 27.0, 19.0, 31.5, 36.0, 25.0, 16.0, 24.5])
_CURRENT_LOG = np.array([2.0, 2.1, 1.8, -0.5, -1.0, 3.2, 3.0, 0.0, -2.5, 1.1])
_RECORDING = (np.sin(np.arange(48) / 3.0) + 0.2 * _rng.normal(size=48)).astype(np.float16)
_CHIRP = np.sin(np.arange(8) ** 2 / 10.0)


def life_table_annuity(xp, p):
    """Actuarial science: a Gompertz-Makeham life table, the yearly death
    probabilities from the hazard, survival by np.cumprod, the present value of a life
    annuity-due by np.power of the discount factor, and the life expectancy."""
    ages = np.arange(60, 100)
    makeham = 5e-4 * xp.exp(0.1 * p[0])
    gompertz = 3e-5 * xp.exp(0.2 * p[1])
    growth = 0.1 * (1.0 + 0.05 * xp.tanh(p[2]))
    hazard = makeham + gompertz * xp.exp(growth * ages)
    deaths = 1.0 - xp.exp(-hazard)
    survival = xp.cumprod(1.0 - deaths)
    alive = xp.concatenate([np.ones(1), survival[:-1]])
    discount = 1.0 / (1.0 + 0.03 + 0.005 * xp.tanh(p[3]))
    annuity = xp.sum(xp.power(discount, np.arange(ages.size)) * alive)
    expectancy = xp.sum(survival) + 0.5
    return annuity + expectancy / 10.0


def substitution_likelihood(xp, p):
    """Phylogenetics: a general time-reversible rate matrix from exchangeabilities and
    base frequencies, its transition probabilities P(t) = V exp(L t) V^-1 from
    np.linalg.eig, and the log-likelihood of aligned site pairs (a two-taxon tree),
    the branch length a parameter."""
    exchange = np.exp(0.3 * np.array([0.0, 0.5, -0.2, 0.1, 0.8, -0.4])) \
        * xp.exp(0.2 * p[:6])
    frequencies = np.array([0.3, 0.2, 0.25, 0.25])
    pair_index = np.zeros((4, 4), dtype=int)
    pair_index[np.triu_indices(4, k=1)] = np.arange(6)
    pair_index = pair_index + pair_index.T
    off = xp.where(np.eye(4, dtype=bool), 0.0, exchange[pair_index] * frequencies)
    rate = off - xp.diag(xp.sum(off, axis=1))
    rate = rate / -xp.sum(frequencies * xp.diag(rate))
    eigenvalues, vectors = xp.linalg.eig(rate)
    branch = 0.3 * xp.exp(0.3 * p[6])
    transition = xp.real(vectors @ xp.diag(xp.exp(eigenvalues * branch))
                         @ xp.linalg.inv(vectors))
    first, second = _SITE_PATTERNS[:, 0], _SITE_PATTERNS[:, 1]
    return -xp.sum(xp.log(frequencies[first] * transition[first, second]))


def integrate_and_fire(xp, p):
    """Neuroscience: a leaky integrate-and-fire neuron driven by a current, the membrane
    reset by np.where where it crossed threshold (a branch that holds near the
    parameters), the firing counted through a sigmoid surrogate of the voltage."""
    tau = 0.02 * xp.exp(0.1 * p[0])
    drive = 1.2 + 0.1 * xp.tanh(p[1]) + 0.3 * np.sin(np.arange(60) / 6.0)
    threshold, reset, dt = 1.0, 0.0, 0.001
    voltage = 0.0 * p[0]
    surrogate = 0.0
    for step in range(60):
        voltage = voltage + dt * (drive[step] - voltage) / tau
        surrogate = surrogate + 1.0 / (1.0 + xp.exp(-20.0 * (voltage - threshold)))
        voltage = xp.where(voltage > threshold, reset, voltage)
    return surrogate + voltage


def stdp_traces(xp, p):
    """Neuroscience: pair-based spike-timing-dependent plasticity, presynaptic and
    postsynaptic traces decaying by np.exp(-dt / tau) and bumped at spikes, the weight
    potentiated at postsynaptic spikes and depressed at presynaptic ones, bounded by
    np.clip."""
    tau_plus = 0.017 * xp.exp(0.2 * p[0])
    tau_minus = 0.034 * xp.exp(0.2 * p[1])
    gain_plus, gain_minus = 0.01 * xp.exp(0.1 * p[2]), 0.012 * xp.exp(0.1 * p[3])
    dt = 0.001
    pre_trace = post_trace = 0.0 * p[0]
    weight = 0.5 + 0.0 * p[0]
    for pre, post in zip(_PRE_SPIKES, _POST_SPIKES):
        pre_trace = pre_trace * xp.exp(-dt / tau_plus) + float(pre)
        post_trace = post_trace * xp.exp(-dt / tau_minus) + float(post)
        weight = weight + gain_plus * pre_trace * float(post) \
            - gain_minus * post_trace * float(pre)
    return xp.clip(weight, 0.0, 1.0) * 10.0


def growing_degree_days(xp, p):
    """Agriculture: growing degree days of a crop, the daily mean temperature minus a
    base clipped by np.clip to the crop's band, accumulated by np.cumsum, the day of
    maturity read softly against a thermal-time target."""
    base = 10.0 + 0.5 * xp.tanh(p[0])
    ceiling = 30.0 + 0.5 * xp.tanh(p[1])
    shift = 0.3 * p[2]
    low = xp.clip(_DAILY_MIN + shift, base, ceiling)
    high = xp.clip(_DAILY_MAX + shift, base, ceiling)
    degree_days = (low + high) / 2.0 - base
    thermal_time = xp.cumsum(degree_days)
    maturing = 1.0 / (1.0 + xp.exp(-(thermal_time - 40.0) / 5.0))
    return xp.sum(1.0 - maturing) + thermal_time[-1] / 50.0


def godunov_traffic(xp, p):
    """Traffic: the Lighthill-Whitham-Richards model on a ring road with Greenshields'
    flux q = v rho (1 - rho / rho_max), the Godunov interface flux the smaller of the
    upstream demand and downstream supply by np.minimum and np.maximum, advanced in
    time with the neighbours by np.roll."""
    free_speed = 1.0 + 0.1 * xp.tanh(p[0])
    jam = 1.0 + 0.1 * xp.tanh(p[1])
    cells = np.arange(16)
    density = 0.3 + 0.25 * np.exp(-((cells - 6.0) / 2.0) ** 2) + 0.01 * p[2] * np.cos(cells)
    critical = jam / 2.0
    dt_over_dx = 0.4
    for _ in range(8):
        flux = free_speed * density * (1.0 - density / jam)
        capacity = free_speed * critical * (1.0 - critical / jam)
        demand = xp.where(density < critical, flux, capacity)
        supply = xp.where(density > critical, flux, capacity)
        interface = xp.minimum(demand, xp.roll(supply, -1))
        density = density - dt_over_dx * (interface - xp.roll(interface, 1))
    return xp.sum(density ** 2) + xp.max(xp.maximum(density - critical, 0.0))


def map_projections(xp, p):
    """Cartography: stations projected by Mercator (y = ln tan(pi/4 + phi/2)) and by a
    Lambert conformal conic with two standard parallels, the projected distances
    compared by np.hypot."""
    latitude = np.radians(np.array([45.0, 47.5, 50.0, 43.2, 48.8])) + 0.02 * p[:5]
    longitude = np.radians(np.array([2.0, 7.5, -1.0, 5.4, 2.3])) + 0.02 * p[5:10]
    mercator_x = longitude
    mercator_y = xp.log(xp.tan(np.pi / 4.0 + latitude / 2.0))
    parallel1, parallel2 = np.radians(44.0), np.radians(49.0)
    origin_latitude, origin_longitude = np.radians(46.5), np.radians(3.0)
    cone = (np.log(np.cos(parallel1) / np.cos(parallel2))
            / np.log(np.tan(np.pi / 4 + parallel2 / 2) / np.tan(np.pi / 4 + parallel1 / 2)))
    scale = np.cos(parallel1) * np.tan(np.pi / 4 + parallel1 / 2) ** cone / cone
    rho = scale / xp.tan(np.pi / 4.0 + latitude / 2.0) ** cone
    rho0 = scale / np.tan(np.pi / 4 + origin_latitude / 2) ** cone
    theta = cone * (longitude - origin_longitude)
    lambert_x, lambert_y = rho * xp.sin(theta), rho0 - rho * xp.cos(theta)
    mercator = xp.hypot(xp.diff(mercator_x), xp.diff(mercator_y))
    lambert = xp.hypot(xp.diff(lambert_x), xp.diff(lambert_y))
    return xp.sum(mercator / lambert) + xp.sum(lambert_x * lambert_y)


def uncertainty_budget(xp, p):
    """Metrology: a resistance measured as R = V / I (1 + alpha (T - 20)), the
    sensitivity coefficients written out, the input covariance by np.outer of the
    standard uncertainties times a correlation matrix, the combined standard
    uncertainty by np.linalg.multi_dot and an expanded uncertainty with k = 2."""
    voltage, current = 5.0 + 0.1 * p[0], 0.1 + 0.001 * p[1]
    alpha, temperature = 0.0039 * (1.0 + 0.01 * p[2]), 23.0 + 0.5 * p[3]
    standard = xp.exp(np.log([0.005, 0.0002, 1e-5, 0.2]) + 0.1 * p[4:8])
    correlation = np.array([[1.0, 0.3, 0.0, 0.0], [0.3, 1.0, 0.0, 0.0],
                            [0.0, 0.0, 1.0, 0.1], [0.0, 0.0, 0.1, 1.0]])
    covariance = xp.outer(standard, standard) * correlation
    factor = 1.0 + alpha * (temperature - 20.0)
    resistance = voltage / current * factor
    sensitivity = xp.stack([factor / current, -voltage * factor / current ** 2,
                            voltage / current * (temperature - 20.0),
                            voltage / current * alpha])
    variance = xp.linalg.multi_dot([sensitivity, covariance, sensitivity])
    return resistance / 50.0 + 2.0 * xp.sqrt(variance) * 10.0


def weibull_wind_energy(xp, p):
    """Wind energy: a Weibull wind climate (shape and scale the parameters), a turbine's
    power curve rising as np.power of the wind speed between cut-in and rated speed and
    held by np.clip, the annual energy by np.trapezoid of power times density."""
    shape = 2.0 * xp.exp(0.1 * p[0])
    scale = 8.0 * xp.exp(0.1 * p[1])
    speeds = np.linspace(0.5, 25.0, 50)
    density = (shape / scale) * xp.power(speeds / scale, shape - 1.0) \
        * xp.exp(-xp.power(speeds / scale, shape))
    cut_in, rated = 3.0, 12.0 + 0.5 * xp.tanh(p[2])
    fraction = xp.clip((speeds ** 3 - cut_in ** 3) / (rated ** 3 - cut_in ** 3), 0.0, 1.0)
    power = 2.0 * fraction * (speeds < 25.0)
    energy = 8760.0 * xp.trapezoid(power * density, speeds)
    return energy / 1000.0 + xp.sum(density) / 10.0


def coulomb_counting(xp, p):
    """Battery management: state of charge by coulomb counting, the charge drawn by
    np.cumsum of a logged current (a sensor offset and gain as parameters) over
    one-minute steps, charging scaled by a coulombic efficiency, the state of charge
    read at the end and its excursion by np.ptp."""
    offset, gain = 0.05 * p[0], 1.0 + 0.02 * p[1]
    efficiency = 0.97 + 0.01 * xp.tanh(p[2])
    capacity = 3600.0 * 2.5 * (1.0 + 0.05 * xp.tanh(p[3]))
    current = gain * _CURRENT_LOG + offset
    effective = xp.where(current < 0, efficiency * current, current)
    charge = xp.cumsum(effective * 60.0)
    state = 0.8 - charge / capacity
    return state[-1] + xp.ptp(state) + xp.mean(state ** 2)


def two_box_climate(xp, p):
    """Climate: radiative forcing from carbon dioxide, 5.35 ln(C / C0), driving a
    two-box energy balance (a mixed layer and a deep ocean exchanging heat), the
    surface warming integrated over a century by explicit yearly steps."""
    years = np.arange(100)
    concentration = 280.0 * np.exp(0.006 * years)
    forcing = 5.35 * (1.0 + 0.05 * xp.tanh(p[0])) * xp.log(concentration / 280.0)
    feedback = 1.2 * xp.exp(0.1 * p[1])
    exchange = 0.7 * xp.exp(0.1 * p[2])
    mixed_capacity, deep_capacity = 8.0, 100.0 * xp.exp(0.1 * p[3])
    surface = deep = 0.0 * p[0]
    warming = []
    for year in years:
        flow = exchange * (surface - deep)
        surface = surface + (forcing[year] - feedback * surface - flow) / mixed_capacity
        deep = deep + flow / deep_capacity
        warming.append(surface)
    warming = xp.stack(warming)
    return warming[-1] + xp.mean(warming) + deep


def nernst_debye_huckel(xp, p):
    """Electrochemistry: a cell's potential by the Nernst equation with activities,
    the activity coefficients by the extended Debye-Hueckel law, np.sqrt of the ionic
    strength 1/2 sum c z^2 of the solution."""
    concentrations = 0.01 * xp.exp(0.3 * p[:4])
    charges = np.array([2.0, -2.0, 1.0, -1.0])
    ionic_strength = 0.5 * xp.sum(concentrations * charges ** 2)
    root = xp.sqrt(ionic_strength)
    sizes = np.array([0.6, 0.4, 0.45, 0.3])
    log_gamma = -0.509 * charges ** 2 * root / (1.0 + 3.29 * sizes * root)
    activity = concentrations * 10.0 ** log_gamma
    temperature = 298.15 + 5.0 * xp.tanh(p[4])
    thermal = 8.314 * temperature / (2.0 * 96485.0)
    potential = 1.10 - thermal * xp.log(activity[2] / activity[0])
    return potential + xp.sum(log_gamma ** 2)


def composite_bounds(xp, p):
    """Materials: the Voigt (arithmetic) and Reuss (harmonic, by np.reciprocal) bounds
    on a composite's moduli from the phases' volume fractions (a softmax of the
    parameters), the Hill average and the Hashin-Shtrikman lower bound on the bulk
    modulus."""
    weights = xp.exp(p[:3])
    fractions = weights / xp.sum(weights)
    bulk = np.array([76.0, 37.0, 2.2]) * xp.exp(0.05 * p[3:6])
    shear = np.array([26.0, 44.0, 1e-3])
    voigt = xp.sum(fractions * bulk)
    reuss = xp.reciprocal(xp.sum(fractions * xp.reciprocal(bulk)))
    hill = (voigt + reuss) / 2.0
    softest = np.min(shear)
    hashin = xp.reciprocal(xp.sum(fractions / (bulk + 4.0 / 3.0 * softest))) \
        - 4.0 / 3.0 * softest
    shear_voigt = xp.sum(fractions * shear)
    return hill + hashin / 10.0 + (voigt - reuss) ** 2 / 100.0 + shear_voigt / 10.0



def half_precision_recording(xp, p):
    """Audio: a recording stored as np.float16 samples, smoothed by a five-tap FIR filter
    (the taps the parameters, float64) by np.convolve(mode='valid') of the reversed
    taps, and matched against a chirp by np.correlate(mode='full'); NumPy computes
    both in the common float64."""
    taps = np.array([0.1, 0.2, 0.4, 0.2, 0.1]) + 0.05 * p[:5]
    filtered = xp.convolve(_RECORDING, taps[::-1], mode="valid")
    match = xp.correlate(filtered, _CHIRP, mode="full")
    return xp.sum(filtered ** 2) / 10.0 + xp.sum(match ** 2) / 100.0


PROGRAMS = [
    # (program, parameters, whether HIPS autograd has every function it calls)
    (life_table_annuity, _rng.normal(size=4), False),  # no cumprod rule
    (substitution_likelihood, _rng.normal(size=7), True),
    (integrate_and_fire, _rng.normal(size=2), True),
    (stdp_traces, _rng.normal(size=4), True),
    (growing_degree_days, _rng.normal(size=3), False),  # no clip of traced bounds
    (godunov_traffic, _rng.normal(size=3), True),
    (map_projections, _rng.normal(size=10), True),
    (uncertainty_budget, _rng.normal(size=8), True),
    (weibull_wind_energy, _rng.normal(size=3), False),  # no trapezoid rule
    (coulomb_counting, _rng.normal(size=4), False),  # no ptp rule
    (two_box_climate, _rng.normal(size=4), True),
    (nernst_debye_huckel, _rng.normal(size=5), True),
    (composite_bounds, _rng.normal(size=6), True),
    (half_precision_recording, _rng.normal(size=5), False),  # no convolve rule for v
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
