"""A twenty-second set of short NumPy programs, from domains and NumPy calls the earlier
rounds did not visit (continued in test_numpy_programs_twentysecond_more.py):
seismology (Aki's b-value by ``np.log10`` and the modified Omori law's likelihood),
particle physics (pair masses by the Minkowski metric through
``np.einsum('...i,ij,...j->...')``, rapidities by ``np.arcsinh``), cosmology (wCDM
distance moduli, a cumulative trapezoid rule read by ``np.interp``), options (Hagan's
SABR smile), psychology (a Rescorla-Wagner bandit learner, the choices by
``np.logaddexp``), nuclear physics (the Bethe-Weizsaecker formula, the pairing term by
``np.select`` on ``np.logical_and`` / ``np.logical_or`` parities), geodesy (a
seven-parameter Helmert shift by ``np.cross``), image processing (box and maximum
filters over ``np.pad`` modes 'symmetric', 'linear_ramp', 'mean' and 'maximum'),
hydrology (Green-Ampt infiltration by fixed-point ``np.log1p`` steps, SCS curve-number
runoff by ``np.where`` and ``np.average(weights=)``), sports science (Banister's
fitness-fatigue model by ``np.convolve``), demography (Lee-Carter mortality by
``np.linalg.svd``), spectroscopy (pseudo-Voigt peaks), ecology (Rosenzweig-MacArthur
predators by midpoint steps), power systems (symmetrical components of complex
phasors) and energy (a week's tariff by ``np.tile(prices, (7, 1))`` with the weekend
rows written in place).  Each is differentiated with ``ad.grad`` and checked as every
round is (``numpy_program_checks``), float32 included.  All ran unchanged but the
tariff: the rows tiled from one row were a read-only view of it, and the write into the
weekend was refused as an update of a view; ``np.tile`` gives a new array now, as
NumPy's (test_numpy_twentysecond_findings.py).

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261222)
_MAGNITUDES = 2.5 + _rng.exponential(0.45, size=40)
_AFTERSHOCK_TIMES = np.sort(_rng.uniform(0.0, 1.0, 30) ** 3 * 30.0)
_MOMENTA = _rng.normal(0.0, 1.0, size=(5, 3))
_REDSHIFTS = np.array([0.05, 0.12, 0.25, 0.4, 0.6, 0.85, 1.1])
_MODULI = np.array([36.7, 38.7, 40.4, 41.6, 42.7, 43.6, 44.3])
_STRIKES = np.array([0.8, 0.9, 0.95, 1.05, 1.1, 1.25])
_CHOICES = np.array([0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1])
_REWARDS = np.array([0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0])
_PROTONS = np.array([8, 20, 26, 28, 50, 82, 92])
_NUCLEONS = np.array([16, 40, 56, 62, 120, 208, 238])
_BINDING = np.array([127.6, 342.1, 492.3, 545.3, 1020.5, 1636.4, 1801.7])
_STATIONS = _rng.normal(0.0, 1.0, size=(6, 3))
_RAIN = np.array([0.0, 12.0, 35.0, 8.0, 0.0, 60.0, 22.0, 4.0])
_DEVIATIONS = _rng.normal(size=(5, 6))
_LOADS = np.array([50.0, 80.0, 0.0, 120.0, 60.0, 0.0, 90.0, 100.0, 40.0, 0.0, 110.0, 70.0])


def gutenberg_richter_omori(xp, p):
    """Seismology: Aki's maximum-likelihood b-value of a catalogue above its completeness
    magnitude by ``np.log10``, and the modified Omori law's log-likelihood of the
    aftershock times (rate ``K / (t + c)^p`` integrated in closed form over 30 days)."""
    b = xp.exp(p[0])
    completeness = 2.5
    gr = _MAGNITUDES.size * xp.log10(b * np.log(10)) * np.log(10) \
        - b * np.log(10) * np.sum(_MAGNITUDES - completeness)
    k, c, decay = xp.exp(2.0 + p[1]), xp.exp(-2.0 + p[2]), 1.1 + 0.1 * xp.tanh(p[3])
    rates = xp.log(k) - decay * xp.log(_AFTERSHOCK_TIMES + c)
    expected = k * (c ** (1 - decay) - (30.0 + c) ** (1 - decay)) / (decay - 1)
    return gr + xp.sum(rates) - expected


def collider_invariant_masses(xp, p):
    """Particle physics: five particles' four-momenta from their three-momenta and
    masses, pair masses by the Minkowski metric through ``np.einsum('...i,ij,...j->...')``
    and rapidities by ``np.arcsinh(pz / mT)``."""
    three = _MOMENTA + 0.1 * xp.reshape(p[:15], (5, 3))
    masses = xp.exp(p[15:20] - 1.0)
    energy = xp.sqrt(masses ** 2 + xp.sum(three ** 2, axis=-1))
    four = xp.concatenate([energy[:, None], three], axis=-1)
    metric = np.diag([1.0, -1.0, -1.0, -1.0])
    pairs = four[:, None, :] + four[None, :, :]
    mass_squared = xp.einsum("...i,ij,...j->...", pairs, metric, pairs)
    transverse = xp.sqrt(masses ** 2 + three[:, 0] ** 2 + three[:, 1] ** 2)
    rapidity = xp.arcsinh(three[:, 2] / transverse)
    return xp.sum(xp.sqrt(mass_squared[np.triu_indices(5, 1)])) + xp.sum(rapidity ** 2)


def supernova_distance_moduli(xp, p):
    """Cosmology: a flat wCDM universe's luminosity distances, the comoving distance a
    cumulative trapezoid rule of ``1 / E(z)`` on a grid (``np.cumsum`` of the panels),
    read at the supernovae by ``np.interp``; chi-square of the distance moduli
    ``5 log10(d_L / 10 pc)``."""
    omega_m, w, h0 = 0.3 + 0.05 * p[0], -1.0 + 0.1 * p[1], 70.0 + 2.0 * p[2]
    grid = np.linspace(0.0, 1.2, 61)
    e = xp.sqrt(omega_m * (1 + grid) ** 3 + (1 - omega_m) * (1 + grid) ** (3 * (1 + w)))
    panels = 0.5 * (1 / e[1:] + 1 / e[:-1]) * np.diff(grid)
    comoving = xp.concatenate([xp.zeros(1), xp.cumsum(panels)]) * 299792.458 / h0
    luminosity = (1 + _REDSHIFTS) * xp.interp(_REDSHIFTS, grid, comoving)
    moduli = 5 * xp.log10(luminosity) + 25
    return xp.sum((moduli - _MODULI) ** 2 / 0.15 ** 2)


def sabr_smile(xp, p):
    """Options: Hagan's SABR implied volatilities across strikes (away from the money),
    ``z / x(z)`` with ``x(z) = log((sqrt(1 - 2 rho z + z^2) + z - rho) / (1 - rho))``;
    the squared error against a smile, alpha, rho and nu the parameters."""
    forward, beta, expiry = 1.0, 0.5, 1.5
    alpha, rho, nu = 0.2 * xp.exp(p[0]), 0.9 * xp.tanh(p[1] - 0.3), 0.4 * xp.exp(p[2])
    mid = (forward * _STRIKES) ** ((1 - beta) / 2)
    log_moneyness = np.log(forward / _STRIKES)
    z = nu / alpha * mid * log_moneyness
    x = xp.log((xp.sqrt(1 - 2 * rho * z + z ** 2) + z - rho) / (1 - rho))
    correction = 1 + ((1 - beta) ** 2 / 24 * alpha ** 2 / mid ** 2
                      + rho * beta * nu * alpha / (4 * mid)
                      + (2 - 3 * rho ** 2) / 24 * nu ** 2) * expiry
    vols = alpha / mid * z / x * correction
    market = np.array([0.26, 0.235, 0.224, 0.206, 0.2, 0.19])
    return xp.sum((vols - market) ** 2) * 1e3


def rescorla_wagner_bandit(xp, p):
    """Psychology: a two-armed bandit learner, values updated by the Rescorla-Wagner
    rule written into a copy at the chosen arm (``q[c] += alpha * (r - q[c])``), the
    choices' log-likelihood under a softmax by ``np.logaddexp``."""
    alpha, temperature = 1 / (1 + xp.exp(-p[0])), xp.exp(p[1])
    q = xp.zeros(2) + 0.5 * p[2]
    log_likelihood = 0.0
    for choice, reward in zip(_CHOICES, _REWARDS):
        log_likelihood = log_likelihood + temperature * q[choice] \
            - xp.logaddexp(temperature * q[0], temperature * q[1])
        q = q + alpha * (reward - q[choice]) * (np.arange(2) == choice)
    return log_likelihood


def nuclear_binding_energies(xp, p):
    """Nuclear physics: the Bethe-Weizsaecker mass formula, volume, surface by
    ``np.cbrt(A) ** 2``, Coulomb, asymmetry and a pairing term chosen by ``np.select``
    on the parities (``np.logical_and``, ``np.logical_or``), fitted to binding energies."""
    volume, surface, coulomb, asymmetry, pairing = 15.8 + p[0], 18.3 + p[1], \
        0.714 + 0.01 * p[2], 23.2 + p[3], 12.0 + p[4]
    z, a = _PROTONS.astype(float), _NUCLEONS.astype(float)
    n = a - z
    even_even = np.logical_and(_PROTONS % 2 == 0, (_NUCLEONS - _PROTONS) % 2 == 0)
    odd_odd = np.logical_and(_PROTONS % 2 == 1, (_NUCLEONS - _PROTONS) % 2 == 1)
    odd_mass = np.logical_or(_NUCLEONS % 2 == 1, ~(even_even | odd_odd))
    delta = xp.select([even_even, odd_odd, odd_mass],
                      [pairing / np.sqrt(a), -pairing / np.sqrt(a), 0.0 * pairing / np.sqrt(a)])
    binding = volume * a - surface * np.cbrt(a) ** 2 - coulomb * z * (z - 1) / np.cbrt(a) \
        - asymmetry * (n - z) ** 2 / a + delta
    return xp.sum((binding - _BINDING) ** 2) / 1e3


def helmert_datum_shift(xp, p):
    """Geodesy: a seven-parameter Helmert transformation between datums in its
    small-angle form ``t + (1 + s) (x + r x x)``, the rotation by ``np.cross`` of the
    angle vector with the stations, residuals to the shifted stations."""
    translation, angles, scale = 0.01 * p[:3], 1e-3 * p[3:6], 1e-3 * p[6]
    moved = translation + (1 + scale) * (_STATIONS + xp.cross(angles, _STATIONS))
    target = _STATIONS + np.array([0.012, -0.007, 0.003]) \
        + 2e-3 * np.cross([1.0, 2.0, -1.0], _STATIONS)
    return 1e4 * xp.sum((moved - target) ** 2)


def padded_image_filters(xp, p):
    """Image processing: a 3x3 box filter and a 3x3 maximum by ``sliding_window_view``
    over images padded by ``np.pad`` with modes 'symmetric', 'linear_ramp', 'mean' and
    'maximum' (NumPy computing the padding from the pixels)."""
    from numpy.lib.stride_tricks import sliding_window_view
    image = xp.reshape(p, (4, 5))
    total = 0.0
    for mode, extra in (("symmetric", {}), ("linear_ramp", {"end_values": 0.5}),
                        ("mean", {}), ("maximum", {"stat_length": 2})):
        padded = xp.pad(image, 1, mode=mode, **extra)
        windows = sliding_window_view(padded, (3, 3))
        total = total + xp.sum(xp.mean(windows, axis=(-2, -1)) ** 2) \
            + xp.sum(xp.sin(xp.max(windows, axis=(-2, -1))))
    return total


def green_ampt_infiltration(xp, p):
    """Hydrology: Green-Ampt cumulative infiltration at three hours by twenty
    fixed-point steps of ``F = K t + psi dtheta log(1 + F / (psi dtheta))``; the
    hydraulic conductivity, suction head and moisture deficit the parameters."""
    conductivity, suction, deficit = xp.exp(p[0]), 10.0 * xp.exp(p[1]), 0.3 / (1 + xp.exp(-p[2]))
    storage = suction * deficit
    infiltrated = conductivity * np.array([1.0, 2.0, 3.0])
    for _ in range(20):
        infiltrated = conductivity * np.array([1.0, 2.0, 3.0]) \
            + storage * xp.log1p(infiltrated / storage)
    rate = conductivity * (1 + storage / infiltrated)
    return xp.sum(infiltrated) + xp.sum(rate)


def curve_number_runoff(xp, p):
    """Hydrology: the SCS curve-number runoff of daily rain over three land uses,
    ``(P - 0.2 S)^2 / (P + 0.8 S)`` where the rain passes the initial abstraction and
    zero elsewhere (the ratio made safe by ``np.where`` first), area-weighted."""
    numbers = 70.0 + 10.0 * xp.tanh(p[:3])
    retention = 25400.0 / numbers - 254.0
    abstraction = 0.2 * retention[:, None]
    rain = _RAIN[None, :]
    wet = rain > abstraction
    excess = xp.where(wet, rain - abstraction, 0.0)
    runoff = xp.where(wet, excess ** 2 / (excess + retention[:, None]), 0.0)
    return xp.average(xp.sum(runoff, axis=1), weights=[0.5, 0.3, 0.2])


def banister_performance(xp, p):
    """Sports science: Banister's fitness-fatigue model, the daily training loads
    convolved by ``np.convolve`` with two exponential kernels (fitness and fatigue), the
    performance's squared error against test results."""
    k1, k2 = xp.exp(p[0] - 3.0), xp.exp(p[1] - 2.5)
    tau1, tau2 = 20.0 * xp.exp(0.1 * p[2]), 6.0 * xp.exp(0.1 * p[3])
    days = np.arange(12.0)
    fitness = xp.convolve(_LOADS, xp.exp(-days / tau1))[:12]
    fatigue = xp.convolve(_LOADS, xp.exp(-days / tau2))[:12]
    performance = 400.0 + k1 * fitness - k2 * fatigue
    tests = np.array([400.0, 401.0, 403.0, 402.0, 405.0, 404.0,
                      405.0, 408.0, 407.0, 406.0, 409.0, 411.0])
    return xp.mean((performance - tests) ** 2)


def lee_carter_mortality(xp, p):
    """Demography: the Lee-Carter model, log death rates ``a_x + b_x k_t`` refitted by
    the rank-one part of ``np.linalg.svd`` of the centred log rates, with the first
    singular value and the reconstruction's error."""
    ages = np.linspace(-4.0, -1.0, 5)
    level = ages + 0.1 * p[:5]
    loading = 0.2 + 0.05 * p[5:10]
    index = np.linspace(2.0, -2.0, 6) + 0.1 * p[10:16]
    log_rates = level[:, None] + loading[:, None] * index[None, :] \
        + 0.02 * _DEVIATIONS
    centred = log_rates - xp.mean(log_rates, axis=1, keepdims=True)
    u, s, vt = xp.linalg.svd(centred, full_matrices=False)
    rank_one = s[0] * xp.outer(u[:, 0], vt[0])
    return s[0] + 10.0 * xp.sum((centred - rank_one) ** 2)


def pseudo_voigt_spectrum(xp, p):
    """Spectroscopy: a spectrum of two pseudo-Voigt peaks, each a Gaussian and a
    Lorentzian of one width mixed by ``eta``, fitted to a measured spectrum."""
    x = np.linspace(-5.0, 5.0, 41)
    centres = np.array([-1.2, 1.5]) + 0.2 * p[:2]
    widths = xp.exp(p[2:4] - 0.5)
    eta = 1 / (1 + xp.exp(-p[4:6]))
    offsets = (x[None, :] - centres[:, None]) / widths[:, None]
    gauss = xp.exp(-np.log(2) * offsets ** 2)
    lorentz = 1 / (1 + offsets ** 2)
    peaks = eta[:, None] * lorentz + (1 - eta[:, None]) * gauss
    measured = np.exp(-(x + 1.0) ** 2) + 0.6 / (1 + (x - 1.4) ** 2 / 0.5)
    return xp.sum((xp.sum(peaks, axis=0) - measured) ** 2)


def rosenzweig_macarthur(xp, p):
    """Ecology: prey and predators with a Holling type II functional response, forty
    midpoint (RK2) steps, the states kept in a list and joined by ``np.stack``; the
    attack rate, handling time and conversion efficiency the parameters."""
    attack, handling, efficiency = xp.exp(p[0]), 0.5 * xp.exp(p[1]), 0.4 * xp.exp(0.2 * p[2])

    def rates(prey, predators):
        eaten = attack * prey / (1 + attack * handling * prey)
        return prey * (1 - prey / 3.0) - eaten * predators, efficiency * eaten * predators \
            - 0.3 * predators

    prey, predators, dt, history = 1.0, 0.5, 0.1, []
    for _ in range(40):
        dn, dp = rates(prey, predators)
        dn, dp = rates(prey + 0.5 * dt * dn, predators + 0.5 * dt * dp)
        prey, predators = prey + dt * dn, predators + dt * dp
        history.append(xp.stack([prey, predators]))
    states = xp.stack(history)
    return xp.sum(states[:, 0] * states[:, 1]) + xp.sum(states[-1] ** 2)


def symmetrical_components(xp, p):
    """Power systems: three-phase voltage phasors ``V exp(1j theta)``, their
    symmetrical components by the inverse Fortescue matrix (``a = exp(2j pi / 3)``), the
    voltage unbalance factor ``|V2| / |V1|`` and the zero-sequence power."""
    magnitudes = 1.0 + 0.05 * p[:3]
    angles = np.array([0.0, -2 * np.pi / 3, 2 * np.pi / 3]) + 0.05 * p[3:6]
    phasors = magnitudes * xp.exp(1j * angles)
    a = np.exp(2j * np.pi / 3)
    fortescue = np.array([[1, 1, 1], [1, a ** 2, a], [1, a, a ** 2]])
    zero, positive, negative = np.linalg.inv(fortescue) @ phasors
    return xp.abs(negative) / xp.abs(positive) + xp.abs(zero) ** 2 + xp.real(positive)


def weekly_tariff_cost(xp, p):
    """Energy: a week's electricity bill, the day's hourly prices (the parameters, in
    six four-hour blocks) tiled over seven days by ``np.tile(prices, (7, 1))``, the
    weekend rows overwritten in place by a flat rate, against a household's load."""
    day = 0.2 + 0.05 * xp.repeat(p[:6], 4)
    week = xp.tile(day[None, :], (7, 1))
    week[5:] = 0.15 + 0.01 * p[6]
    week[:, 17:21] *= 1.5                          # (the evening peak)
    load = 0.4 + 0.3 * np.sin(np.linspace(0.0, 14 * np.pi, 168)).reshape(7, 24) ** 2
    return xp.sum(week * load) + 0.1 * xp.sum(xp.diff(day) ** 2)


PROGRAMS = [
    (gutenberg_richter_omori, _rng.normal(0.0, 0.3, size=4), True),
    (collider_invariant_masses, _rng.normal(size=20), True),
    (supernova_distance_moduli, _rng.normal(0.0, 0.5, size=3), False),  # autograd: no interp VJP
    (sabr_smile, _rng.normal(0.0, 0.3, size=3), True),
    (rescorla_wagner_bandit, _rng.normal(0.0, 0.5, size=3), True),
    (nuclear_binding_energies, _rng.normal(size=5), True),
    (helmert_datum_shift, _rng.normal(size=7), True),
    (padded_image_filters, _rng.normal(size=20), False),     # autograd has no np.pad mode
    (green_ampt_infiltration, _rng.normal(0.0, 0.3, size=3), True),
    (curve_number_runoff, _rng.normal(size=3), False),  # autograd: no average VJP
    (banister_performance, _rng.normal(0.0, 0.5, size=4), False),  # no convolve VJP
    (lee_carter_mortality, _rng.normal(size=16), True),
    (pseudo_voigt_spectrum, _rng.normal(0.0, 0.5, size=6), True),
    (rosenzweig_macarthur, _rng.normal(0.0, 0.3, size=3), True),
    (symmetrical_components, _rng.normal(size=6), True),
    (weekly_tariff_cost, _rng.normal(size=7), False),   # autograd: no writes into arrays
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
