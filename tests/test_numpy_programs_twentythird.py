"""A twenty-third set of short NumPy programs, from domains and NumPy calls the earlier
rounds did not visit: oceanography (the density anomaly by ``np.polyval`` and the
buoyancy frequency by ``np.diff(prepend=)`` and ``np.pow``), acoustics (an expansion-
chamber muffler's transmission loss by stacked complex transfer matrices, ``np.matmul``
and ``np.conjugate``), electronics (a MOSFET's square-law characteristics over an
``np.ogrid`` sweep, cut-off by ``np.fmax``), marketing (a media-mix model, geometric
adstock by an ``np.tri`` mask and Hill saturation), solar energy (the sun's zenith by
hour angles wrapped with ``np.remainder`` and Kasten-Young air masses), neuroscience
(Wilson-Cowan excitatory and inhibitory populations by Euler steps), geotechnics
(Terzaghi's consolidation series on an ``np.ogrid`` of modes and times), heat transfer
(Dittus-Boelter and Churchill-Bernstein correlations with ``np.cbrt``, fin efficiency),
electrical machines (an induction motor's torque-slip curve and power factor by
``np.angle`` of a complex impedance), combustion (Troe's falloff of a rate constant over
temperature and pressure), plant ecology (a layered canopy's photosynthesis by
non-rectangular hyperbolae and ``np.trapezoid``), biomechanics (a Hill-type muscle's
force-length-velocity surface), transport (logit route choice on BPR link costs by the
method of successive averages), optics (a grating's diffraction pattern by ``np.sinc``
and a phasor sum ``np.abs(np.sum(np.exp(1j * ...)))``), credit risk (Vasicek's
large-portfolio tranche losses by ``scipy.special.ndtr`` / ``ndtri`` and
``np.trapezoid``) and music (a piano string's inharmonic partials in cents from the
nearest note by ``np.log2`` and ``np.rint``), with five that mix NumPy with SciPy's
distribution and Bessel functions: an A/B test (``scipy.special.betainc``, ``stdtr``),
photon counting (``pdtrc``, ``chdtrc``), a skew-normal fit (``owens_t``), an annular
fin (``i0``, ``i1``, ``k0``, ``k1``) and an FM synthesiser's sidebands (``jv``).  Each is
differentiated with ``ad.grad`` and checked as every round is (``numpy_program_checks``),
float32 included.  The sixteen NumPy programs ran unchanged; the five SciPy ones were
refused (no rule for those functions), which record now
(autodiff/ops/scipy_special_distributions.py and scipy_special_bessel.py, tested in
test_scipy_special_distributions.py and test_scipy_special_bessel.py).

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261223)
_DEPTHS = np.linspace(0.0, 200.0, 11)
_FREQUENCIES = np.linspace(100.0, 1500.0, 15)
_SPEND = np.abs(_rng.normal(1.0, 0.6, size=(16, 2)))
_SALES = 3.0 + _SPEND @ np.array([1.2, 0.7]) + _rng.normal(0.0, 0.1, size=16)
_HOURS = np.arange(8.0, 17.0)
_SETTLEMENT_DAYS = np.array([5.0, 20.0, 60.0, 150.0, 400.0, 900.0])
_SETTLEMENTS = np.array([0.021, 0.042, 0.071, 0.108, 0.152, 0.171])
_SLIPS = np.array([0.01, 0.03, 0.06, 0.1, 0.2, 0.5, 1.0])
_LENGTHS = np.array([0.7, 0.85, 0.95, 1.05, 1.2, 1.35])
_VELOCITIES = np.array([-0.6, -0.2, 0.3, 0.7])
_ANGLES = np.linspace(-0.02, 0.02, 41) + 1e-4


def seawater_buoyancy(xp, p):
    """Oceanography: a temperature profile (a mixed layer over a tanh thermocline) and
    a halocline,
    the density anomaly sigma by a quadratic in temperature through ``np.polyval`` plus
    haline contraction, and the buoyancy frequency ``N^2 = g / rho0 d rho / dz`` by
    ``np.diff(prepend=)``; the summed ``N`` by ``np.pow(N2, 0.5)``."""
    surface, depth_of_thermocline, salinity = 18.0 + p[0], 60.0 + 5.0 * p[1], 35.0 + 0.2 * p[2]
    thermocline = 0.5 * (1 - xp.tanh((_DEPTHS - depth_of_thermocline) / 25.0))
    temperature = 6.0 + (surface - 6.0) * thermocline
    expansion = np.array([-5.3e-3, -6.0e-2, 0.0])  # rho0 (alpha T + gamma T^2) by polyval
    sigma = 27.0 + xp.polyval(expansion, temperature - 10.0) \
        + 0.78 * (salinity + (35.8 - salinity) * (1 - np.exp(-_DEPTHS / 100)) - 35.0)
    gradient = xp.diff(sigma, prepend=sigma[0] - 0.05) / 20.0
    n2 = 9.81 / 1027.0 * gradient
    return xp.sum(xp.pow(n2, 0.5)) * 100


def _pipe_matrices(xp, wavenumbers, length, area):
    """The acoustic transfer matrices of a straight pipe at each wavenumber, stacked."""
    impedance = 415.0 / area
    cos, sin = xp.cos(wavenumbers * length), xp.sin(wavenumbers * length)
    rows = [xp.stack([cos + 0j, 1j * impedance * sin], axis=-1),
            xp.stack([1j * sin / impedance, cos + 0j], axis=-1)]
    return xp.stack(rows, axis=-2)


def muffler_transmission_loss(xp, p):
    """Acoustics: an expansion-chamber muffler's transmission loss, inlet pipe, chamber
    and outlet pipe as complex 2x2 transfer matrices stacked over frequency and
    multiplied by ``np.matmul``; ``|T|^2`` by ``T * np.conjugate(T)`` and its real part."""
    chamber_length, area_ratio = 0.3 + 0.05 * xp.tanh(p[0]), 6.0 + xp.tanh(p[1])
    pipe_area = 2e-3
    k = 2 * np.pi * _FREQUENCIES / 343.0
    total = xp.matmul(_pipe_matrices(xp, k, 0.1, pipe_area),
                      xp.matmul(_pipe_matrices(xp, k, chamber_length, pipe_area * area_ratio),
                                _pipe_matrices(xp, k, 0.1, pipe_area)))
    z = 415.0 / pipe_area
    t = (total[:, 0, 0] + total[:, 0, 1] / z + z * total[:, 1, 0] + total[:, 1, 1]) / 2
    power = xp.real(t * xp.conjugate(t))
    return xp.mean(10 * xp.log10(power))


def mosfet_characteristics(xp, p):
    """Electronics: a MOSFET's drain current over an ``np.ogrid`` sweep of gate and drain
    voltages by the square law with channel-length modulation, the overdrive cut off by
    ``np.fmax(vgs - vt, 0)`` and triode or saturation chosen by ``np.where``; squared
    error against a device's curves."""
    threshold, transconductance, modulation = 0.7 + 0.05 * p[0], 2e-3 * xp.exp(0.1 * p[1]), \
        0.04 + 0.01 * xp.tanh(p[2])
    vgs, vds = np.ogrid[0.0:3.0:7j, 0.15:3.0:9j]
    overdrive = xp.fmax(vgs - threshold, 0.0)
    triode = transconductance * (overdrive * vds - vds ** 2 / 2)
    saturation = transconductance / 2 * overdrive ** 2 * (1 + modulation * vds)
    current = xp.where(vds < overdrive, triode, saturation)
    measured = 1e-3 * np.minimum(np.fmax(vgs - 0.72, 0) ** 2 * (1 + 0.05 * vds),
                                 2 * np.fmax(vgs - 0.72, 0) * vds)
    return xp.sum((current - measured) ** 2) * 1e6


def media_mix_model(xp, p):
    """Marketing: two channels' weekly spend carried over by geometric adstock (a
    lower-triangular decay matrix, ``decay ** lag`` under an ``np.tri`` mask), saturated
    by Hill curves ``x^s / (x^s + K^s)``; squared error of the modelled sales."""
    decay = 1 / (1 + xp.exp(-p[0:2]))
    half_saturation, shape = xp.exp(0.3 * p[2:4]), 1.5 + 0.3 * xp.tanh(p[4:6])
    weeks = np.arange(_SPEND.shape[0])
    lag = np.subtract.outer(weeks, weeks)
    mask = np.tri(weeks.size)
    adstock = xp.stack([xp.matmul(mask * decay[c] ** np.maximum(lag, 0), _SPEND[:, c])
                        for c in range(2)], axis=1)
    saturated = adstock ** shape / (adstock ** shape + half_saturation ** shape)
    sales = 3.0 + xp.sum(saturated * xp.array([2.5, 1.8]), axis=1)
    return xp.sum((sales - _SALES) ** 2)


def solar_irradiance(xp, p):
    """Solar energy: the sun's zenith through a summer day from declination, latitude
    and the hour angle wrapped into [-180, 180) by ``np.remainder``, Kasten-Young air
    masses by ``np.rad2deg``, and a tilted panel's direct irradiance summed over hours."""
    latitude, longitude_offset, tilt = np.deg2rad(40.0) + 0.05 * p[0], 3.0 * p[1], 0.5 + 0.1 * p[2]
    declination = np.deg2rad(23.45) * np.sin(2 * np.pi * (284 + 172) / 365)
    hour_angle = xp.remainder(15.0 * (_HOURS - 12.0) + longitude_offset + 180.0, 360.0) - 180.0
    h = xp.deg2rad(hour_angle)
    cos_zenith = xp.sin(latitude) * np.sin(declination) \
        + xp.cos(latitude) * np.cos(declination) * xp.cos(h)
    zenith_degrees = xp.rad2deg(xp.arccos(cos_zenith))
    air_mass = 1 / (cos_zenith + 0.50572 * (96.07995 - zenith_degrees) ** -1.6364)
    direct = 1361.0 * 0.7 ** (air_mass ** 0.678)
    incidence = xp.cos(xp.arccos(cos_zenith) - tilt)
    return xp.sum(direct * incidence) / 1000


def wilson_cowan(xp, p):
    """Neuroscience: excitatory and inhibitory populations by the Wilson-Cowan
    equations, sigmoid responses shifted to vanish at zero input, 60 Euler steps of a
    pulsed drive; the mean excitatory activity and the final inhibition."""
    w_ee, w_ei, w_ie, w_ii = 12.0 + p[0], 4.0 + p[1], 13.0 + p[2], 11.0 + p[3]

    def response(x, gain, threshold):
        return 1 / (1 + xp.exp(-gain * (x - threshold))) - 1 / (1 + np.exp(gain * threshold))

    excitatory, inhibitory, total = 0.1 + 0.0 * p[0], 0.05 + 0.0 * p[0], 0.0
    for step in range(60):
        drive = 1.25 if 10 <= step < 40 else 0.0
        d_excitatory = -excitatory + (1 - excitatory) * response(
            w_ee * excitatory - w_ei * inhibitory + drive, 1.3, 4.0)
        d_inhibitory = -inhibitory + (1 - inhibitory) * response(
            w_ie * excitatory - w_ii * inhibitory, 2.0, 3.7)
        excitatory, inhibitory = excitatory + 0.2 * d_excitatory, inhibitory + 0.2 * d_inhibitory
        total = total + excitatory
    return total / 60 + inhibitory


def terzaghi_consolidation(xp, p):
    """Geotechnics: Terzaghi's one-dimensional consolidation, the average degree
    ``U = 1 - sum 2 / M^2 exp(-M^2 Tv)`` over 30 modes on an ``np.ogrid`` of modes and
    days; settlement ``U * s_final`` fitted to a record."""
    cv, final = 0.5 * xp.exp(0.3 * p[0]), 0.18 * xp.exp(0.1 * p[1])
    drainage_path = 2.5
    modes, days = np.ogrid[0:30, 0:_SETTLEMENT_DAYS.size]
    m = np.pi * (2 * modes + 1) / 2
    time_factor = cv * _SETTLEMENT_DAYS[days] / drainage_path ** 2
    degree = 1 - xp.sum(2 / m ** 2 * xp.exp(-m ** 2 * time_factor), axis=0)
    return xp.sum(((degree * final - _SETTLEMENTS) / 0.005) ** 2)


def finned_tube_heat_transfer(xp, p):
    """Heat transfer: water inside a tube by Dittus-Boelter ``0.023 Re^0.8 Pr^0.4``,
    air across it by Churchill-Bernstein (with ``np.cbrt`` of the Prandtl number), the
    outside enhanced by straight fins of efficiency ``tanh(mL) / mL``; the overall
    conductance in series."""
    water_velocity, air_velocity, fin_length = 1.0 + 0.2 * xp.tanh(p[0]), \
        5.0 * xp.exp(0.2 * p[1]), 0.02 * xp.exp(0.1 * p[2])
    diameter = 0.02
    re_inside = 998.0 * water_velocity * diameter / 1.0e-3
    h_inside = 0.023 * re_inside ** 0.8 * 7.0 ** 0.4 * 0.6 / diameter
    re_outside = 1.16 * air_velocity * diameter / 1.85e-5
    prandtl = 0.71
    nusselt = 0.3 + 0.62 * re_outside ** 0.5 * np.cbrt(prandtl) \
        / (1 + (0.4 / prandtl) ** (2 / 3)) ** 0.25 * (1 + (re_outside / 282000) ** 0.625) ** 0.8
    h_outside = nusselt * 0.026 / diameter
    m = xp.sqrt(2 * h_outside / (200.0 * 0.001))
    efficiency = xp.tanh(m * fin_length) / (m * fin_length)
    outside_area = np.pi * diameter + 20 * 2 * fin_length * efficiency
    return 1 / (1 / (h_inside * np.pi * diameter) + 1 / (h_outside * outside_area))


def induction_motor_torque(xp, p):
    """Electrical machines: an induction motor's per-phase equivalent circuit, the
    magnetising branch in parallel with the rotor's ``R2 / s + j X2``; the torque-slip
    curve by the Thevenin equivalent and the power factor ``cos(np.angle(Z))``."""
    r1, r2, x1, x2, xm = 0.3 * xp.exp(0.1 * p[0]), 0.25 * xp.exp(0.1 * p[1]), \
        0.5 + 0.05 * p[2], 0.6 + 0.05 * p[3], 15.0 + p[4]
    voltage, synchronous = 230.0, 2 * np.pi * 50 / 2
    rotor = r2 / _SLIPS + 1j * x2
    impedance = r1 + 1j * x1 + (1j * xm * rotor) / (1j * xm + rotor)
    thevenin_voltage = voltage * 1j * xm / (r1 + 1j * (x1 + xm))
    thevenin = (1j * xm * (r1 + 1j * x1)) / (r1 + 1j * (x1 + xm))
    torque = 3 * xp.abs(thevenin_voltage) ** 2 * (r2 / _SLIPS) / synchronous \
        / ((xp.real(thevenin) + r2 / _SLIPS) ** 2 + (xp.imag(thevenin) + x2) ** 2)
    power_factor = xp.cos(xp.angle(impedance))
    return xp.sum(torque) / 100 + xp.sum(power_factor)


def troe_falloff(xp, p):
    """Combustion: a unimolecular rate constant between its low- and high-pressure
    limits by Troe's broadening ``F = 10^(log10 Fcent / (1 + f1^2))``, Arrhenius limits
    on a grid of temperatures and pressures; the log rates summed."""
    a, t3, t1 = 0.6 + 0.1 * xp.tanh(p[0]), 200.0 * xp.exp(0.2 * p[1]), 1500.0 * xp.exp(0.2 * p[2])
    temperatures = np.array([600.0, 900.0, 1200.0, 1600.0])[:, None]
    concentrations = np.array([1e-7, 1e-6, 1e-5, 1e-4, 1e-3])[None, :]
    low = 1e15 * np.exp(-15000.0 / temperatures) * (1 + 0.1 * p[3])
    high = 1e10 * np.exp(-20000.0 / temperatures)
    reduced = low * concentrations / high
    centre = (1 - a) * xp.exp(-temperatures / t3) + a * xp.exp(-temperatures / t1)
    log_centre = xp.log10(centre)
    c, n = -0.4 - 0.67 * log_centre, 0.75 - 1.27 * log_centre
    f1 = (xp.log10(reduced) + c) / (n - 0.14 * (xp.log10(reduced) + c))
    broadening = 10.0 ** (log_centre / (1 + f1 ** 2))
    rate = high * reduced / (1 + reduced) * broadening
    return xp.sum(xp.log(rate))


def canopy_photosynthesis(xp, p):
    """Plant ecology: light through ten canopy layers by Beer-Lambert on the cumulative
    leaf area (``np.cumsum``), each layer's photosynthesis the smaller root of the
    non-rectangular hyperbola ``theta A^2 - (aI + Amax) A + aI Amax = 0``; the canopy's
    total by ``np.trapezoid`` over leaf area."""
    extinction, quantum_yield, maximum, curvature = 0.5 + 0.05 * p[0], \
        0.05 * xp.exp(0.1 * p[1]), 25.0 + p[2], 0.7 + 0.1 * xp.tanh(p[3])
    layer_area = np.full(10, 0.4)
    cumulative = np.concatenate([[0.0], np.cumsum(layer_area)])
    light = 1500.0 * xp.exp(-extinction * cumulative)
    absorbed = quantum_yield * extinction * light
    total = absorbed + maximum
    rate = (total - xp.sqrt(total ** 2 - 4 * curvature * absorbed * maximum)) / (2 * curvature)
    return xp.trapezoid(rate, cumulative)


def hill_muscle_forces(xp, p):
    """Biomechanics: a Hill-type muscle's force over fibre lengths and velocities, a
    Gaussian force-length curve, Hill's hyperbola when shortening and an eccentric
    plateau when lengthening (``np.where`` on the velocity's sign), and a passive
    exponential on the stretch past optimum cut by ``np.fmax``; against measured forces."""
    optimum, width, curvature, passive = 1.0 + 0.03 * p[0], 0.45 * xp.exp(0.1 * p[1]), \
        0.25 * xp.exp(0.1 * p[2]), 4.0 + 0.5 * p[3]
    length, velocity = _LENGTHS[:, None], _VELOCITIES[None, :]
    active = xp.exp(-((length / optimum - 1) / width) ** 2)
    shortening = (1 - velocity) / (1 + velocity / curvature)
    lengthening = 1.8 - 0.8 * (1 + velocity) / (1 - 7.56 * velocity / curvature)
    force_velocity = xp.where(velocity > 0, shortening, lengthening)
    stretch = xp.fmax(length / optimum - 1, 0.0)
    force = active * force_velocity + (xp.exp(passive * stretch) - 1) / (np.exp(passive) - 1)
    measured = np.exp(-((length - 1) / 0.45) ** 2) * (1 + 0.3 * (velocity < 0)) \
        + 0.05 * (length > 1.05)
    return xp.sum((force - measured) ** 2)


def logit_route_choice(xp, p):
    """Transport: three routes over four links, link times by the BPR function
    ``t0 (1 + 0.15 (x / c)^4)``, route flows by a logit of the route times and link flows
    through the incidence matrix; 25 steps of the method of successive averages, and the
    total time spent at the end."""
    free_flow = np.array([10.0, 12.0, 8.0, 6.0])
    capacity = np.array([900.0, 1200.0, 700.0, 1000.0]) * xp.exp(0.1 * p[:4])
    dispersion, demand = 0.3 * xp.exp(0.1 * p[4]), 2000.0
    incidence = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 1.0]])
    flows = incidence @ np.full(3, demand / 3)
    for iteration in range(1, 26):
        times = free_flow * (1 + 0.15 * (flows / capacity) ** 4)
        route_times = times @ incidence
        weights = xp.exp(-dispersion * (route_times - xp.min(route_times)))
        target = incidence @ (demand * weights / xp.sum(weights))
        flows = flows + (target - flows) / iteration
    return xp.sum(flows * free_flow * (1 + 0.15 * (flows / capacity) ** 4)) / 1000


def grating_diffraction(xp, p):
    """Optics: a five-slit grating's far-field pattern, the single-slit envelope by
    ``np.sinc`` and the slits' interference by the phasor sum
    ``np.abs(np.sum(np.exp(1j * k d n sin(theta))))``; squared error of the normalised
    intensity against a measured pattern."""
    width, spacing, wavelength = 20e-6 * xp.exp(0.05 * p[0]), 60e-6 * xp.exp(0.02 * p[1]), \
        633e-9 * (1 + 0.01 * p[2])
    sines = np.sin(_ANGLES)
    envelope = xp.sinc(width * sines / wavelength) ** 2
    slits = np.arange(5)[:, None]
    phases = 2 * np.pi * spacing * slits * sines / wavelength
    interference = xp.abs(xp.sum(xp.exp(1j * phases), axis=0)) ** 2 / 25
    intensity = envelope * interference
    measured_phase = np.pi * 61e-6 * sines / 633e-9
    measured = np.sinc(20e-6 * sines / 633e-9) ** 2 \
        * (np.sin(5 * measured_phase) / (5 * np.sin(measured_phase))) ** 2
    return xp.sum((intensity - measured) ** 2)


def vasicek_tranche_losses(xp, p):
    """Credit risk: Vasicek's large homogeneous portfolio, ``P(L > x) = Phi((sqrt(1 - rho)
    Phi^-1(x) - Phi^-1(PD)) / sqrt(rho))`` by ``scipy.special.ndtr`` and ``ndtri``, and
    each tranche's expected loss the integral of it over the tranche by ``np.trapezoid``."""
    from scipy import special
    default_probability = 0.02 * xp.exp(0.2 * p[0])
    correlation = 0.2 + 0.1 * xp.tanh(p[1])
    total = 0.0
    for attach, detach in [(0.0, 0.03), (0.03, 0.07), (0.07, 0.15)]:
        losses = np.linspace(max(attach, 1e-4), detach, 41)
        exceed = special.ndtr((xp.sqrt(1 - correlation) * special.ndtri(losses)
                               - special.ndtri(default_probability)) / xp.sqrt(correlation))
        total = total + xp.trapezoid(exceed, losses) / (detach - attach)
    return total


def piano_string_tuning(xp, p):
    """Music: a piano string's partials ``n f0 sqrt(1 + B n^2)`` with inharmonicity B,
    their distance in cents (``1200 np.log2``) from the nearest equal-tempered note
    (``np.rint``, a constant step), and the beating energy of the sum's square."""
    fundamental, inharmonicity = 220.0 * (1 + 0.001 * p[0]), 4e-4 * xp.exp(0.3 * p[1])
    partials = np.arange(1, 9)
    frequencies = partials * fundamental * xp.sqrt(1 + inharmonicity * partials ** 2)
    semitones = 12 * xp.log2(frequencies / 440.0)
    cents = 100 * (semitones - xp.rint(semitones))
    return xp.sum(cents ** 2) / 100 + xp.sum(xp.log2(frequencies))


def ab_test_decisions(xp, p):
    """Experimentation: a Bayesian A/B test, each arm's conversion rate Beta-distributed,
    the posterior probability that each arm clears its target rate by
    ``scipy.special.betainc``,
    and a Welch t-test's one-sided p-value of the revenue lift by ``special.stdtr``."""
    from scipy import special
    prior_a, prior_b = 2.0, 18.0
    target = 0.1 + 0.02 * xp.tanh(p[:2])
    conversions, visitors = np.array([48.0, 63.0]), np.array([500.0, 520.0])
    below = special.betainc(prior_a + conversions, prior_b + visitors - conversions, target)
    lift = 0.8 + 0.3 * xp.tanh(p[2])
    t = lift / np.sqrt(4.1 ** 2 / 500 + 4.4 ** 2 / 520)
    p_value = special.stdtr(1015.2, -t)
    return xp.sum(xp.log(1 - below)) + xp.log(p_value)


def photon_counting_detection(xp, p):
    """Photon counting: the probability that a pixel's Poisson count reaches a threshold
    (``special.pdtrc(k - 1, mean)``) for signal plus dark counts, and a chi-square
    goodness-of-fit tail probability (``special.chdtrc``) of a fitted spectrum."""
    from scipy import special
    signal, dark = 4.0 * xp.exp(0.2 * p[0]), 0.5 * xp.exp(0.2 * p[1])
    thresholds = np.array([1, 3, 5, 8])
    detection = special.pdtrc(thresholds - 1, signal + dark)
    false_alarm = special.pdtrc(thresholds - 1, dark)
    counts = np.array([12.0, 30.0, 41.0, 28.0, 9.0])
    expected = 120.0 * np.array([0.1, 0.25, 0.33, 0.22, 0.1]) * (1 + 0.05 * xp.tanh(p[2:7]))
    chi_square = xp.sum((counts - expected) ** 2 / expected)
    return xp.sum(xp.log(detection) - false_alarm) + xp.log(special.chdtrc(4.0, chi_square))


def skew_normal_fit(xp, p):
    """Statistics: a skew-normal law's CDF ``Phi(z) - 2 T(z, alpha)`` by
    ``special.ndtr`` and Owen's T (``special.owens_t``, location, scale and shape all
    parameters), fitted to an empirical CDF by least squares."""
    from scipy import special
    location, scale, shape = 0.2 * p[0], xp.exp(0.2 * p[1]), 2.0 + p[2]
    sample = np.sort(np.array([-0.4, 0.1, 0.3, 0.5, 0.8, 1.1, 1.3, 1.9, 2.4, 3.2]))
    empirical = (np.arange(1, 11) - 0.5) / 10
    z = (sample - location) / scale
    model = special.ndtr(z) - 2 * special.owens_t(z, shape)
    return xp.sum((model - empirical) ** 2) * 100


def annular_fin_efficiency(xp, p):
    """Heat transfer: an annular fin's efficiency by modified Bessel functions,
    ``(K1(m r1) I1(m r2) - I1(m r1) K1(m r2)) / (I0(m r1) K1(m r2) + K0(m r1) I1(m r2))``
    (``scipy.special.i0``, ``i1``, ``k0``, ``k1``), over a few outer radii; the heat
    rejected summed."""
    from scipy import special
    h, conductivity, thickness = 40.0 * xp.exp(0.2 * p[0]), 200.0 * xp.exp(0.1 * p[1]), 1e-3
    m = xp.sqrt(2 * h / (conductivity * thickness))
    inner, outer = 0.01, np.array([0.02, 0.03, 0.045])
    ratio = (special.k1(m * inner) * special.i1(m * outer) - special.i1(m * inner)
             * special.k1(m * outer)) / (special.i0(m * inner) * special.k1(m * outer)
                                         + special.k0(m * inner) * special.i1(m * outer))
    efficiency = 2 * inner / (m * (outer ** 2 - inner ** 2)) * ratio
    area = 2 * np.pi * (outer ** 2 - inner ** 2)
    return xp.sum(efficiency * h * area * 60.0)


def fm_synthesis_spectrum(xp, p):
    """Audio: a frequency-modulated tone's sideband amplitudes ``J_n(beta)`` by
    ``scipy.special.jv`` over orders -8..8 (the modulation index and depth parameters),
    their power in a band by ``np.where`` on constant frequencies in dB, less the total
    power."""
    from scipy import special
    index, depth = 2.0 + 0.5 * xp.tanh(p[0]), 0.8 + 0.1 * xp.tanh(p[1])
    orders = np.arange(-8, 9)
    amplitudes = depth * special.jv(orders, index)
    frequencies = 440.0 + orders * 110.0
    in_band = xp.where((frequencies > 200.0) & (frequencies < 700.0), amplitudes ** 2, 0.0)
    return 10 * xp.log10(xp.sum(in_band)) - xp.sum(amplitudes ** 2)


PROGRAMS = [
    (seawater_buoyancy, _rng.normal(0.0, 0.5, size=3), False),  # autograd: no polyval VJP
    (muffler_transmission_loss, _rng.normal(size=2), True),
    (mosfet_characteristics, _rng.normal(0.0, 0.5, size=3), True),
    (media_mix_model, _rng.normal(0.0, 0.5, size=6), True),
    (solar_irradiance, _rng.normal(0.0, 0.5, size=3), True),
    (wilson_cowan, _rng.normal(0.0, 0.3, size=4), True),
    (terzaghi_consolidation, _rng.normal(0.0, 0.5, size=2), True),
    (finned_tube_heat_transfer, _rng.normal(0.0, 0.5, size=3), True),
    (induction_motor_torque, _rng.normal(0.0, 0.5, size=5), True),
    (troe_falloff, _rng.normal(0.0, 0.5, size=4), True),
    (canopy_photosynthesis, _rng.normal(0.0, 0.5, size=4), False),  # no trapezoid VJP
    (hill_muscle_forces, _rng.normal(0.0, 0.5, size=4), True),
    (logit_route_choice, _rng.normal(0.0, 0.5, size=5), True),
    (grating_diffraction, _rng.normal(0.0, 0.5, size=3), True),
    (vasicek_tranche_losses, _rng.normal(0.0, 0.5, size=2), False),  # calls scipy itself
    (piano_string_tuning, _rng.normal(0.0, 0.5, size=2), True),
    (ab_test_decisions, _rng.normal(0.0, 0.5, size=3), False),  # calls scipy itself
    (photon_counting_detection, _rng.normal(0.0, 0.5, size=7), False),  # calls scipy itself
    (skew_normal_fit, _rng.normal(0.0, 0.5, size=3), False),  # calls scipy itself
    (annular_fin_efficiency, _rng.normal(0.0, 0.5, size=2), False),  # calls scipy itself
    (fm_synthesis_spectrum, _rng.normal(0.0, 0.5, size=2), False),  # calls scipy itself
]

globals().update(program_tests(PROGRAMS, float32=True, finite=True))  # the shared checks
