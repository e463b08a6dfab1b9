"""The twentieth set of short NumPy programs, continued from
test_numpy_programs_twentieth.py: hydraulics (a dam break in the shallow water
equations by Lax-Friedrichs, walls by ``np.pad(mode='edge')``), mechanics (a
mass-spring chain by velocity Verlet, the stiffness by ``np.diagflat`` and offset
``np.diag``), robotics (Denavit-Hartenberg forward kinematics chained by
``functools.reduce(np.matmul, ...)``), solid mechanics (principal stresses by
``np.linalg.eigvalsh``, von Mises and Mohr's largest circle), tribology (Hertzian
contact by ``np.cbrt``), vehicle dynamics (Pacejka's magic formula), astronautics
(Tsiolkovsky staging by a reversed ``np.cumsum``), microwave engineering (a lossy
transmission line, ``np.tanh`` of a complex argument), antennas (a phased array
factor by ``np.exp(1j * ...)``), finance (a Cox-Ross-Rubinstein binomial tree), image
processing (Sobel gradients by ``sliding_window_view`` of ``np.pad(mode='reflect')``),
image restoration (the Rudin-Osher-Fatemi energy, ``np.diff(append=)``), colour
science (Reinhard tone mapping and the sRGB transfer curve), rendering (Blinn-Phong
shading), operations research (the newsvendor), macroeconomics (the Solow-Swan
model), reinforcement learning (soft value iteration), neuroscience (the
FitzHugh-Nagumo neuron by the midpoint method), multivariate statistics (Hotelling's
T-squared by ``np.cov(rowvar=False)``), numerical analysis (a Pade approximant by
``np.polyval``), electronics (a diode circuit solved by Newton steps with
``np.expm1``), optics of metals (the Drude index by ``np.float_power`` of a complex
permittivity) and electrochemistry (a Randles circuit fit with missing readings
cleared by ``np.nan_to_num`` of a complex residual).

The last two needed the fixes described in test_numpy_twentieth_findings.py (complex
``np.float_power`` and ``np.nan_to_num``); every other program ran unchanged."""

import functools

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261221)


def shallow_water_dam_break(xp, p):
    """Hydraulics: the one-dimensional shallow water equations by the Lax-Friedrichs
    scheme, walls by np.pad(mode='edge') of the depth and the discharge mirrored
    with its sign flipped, and the potential energy after a smoothed dam
    break."""
    cells, dx, dt, g = 30, 1.0, 0.1, 9.81
    x = np.arange(cells)
    depth = 1.0 + (0.5 + 0.1 * xp.tanh(p[0])) / (1.0 + xp.exp((x - 15.0) / 2.0))
    discharge = 0.01 * p[1] * np.ones(cells)
    for _ in range(10):
        h = xp.pad(depth, 1, mode='edge')
        q = xp.concatenate([-discharge[:1], discharge, -discharge[-1:]])
        flux_h = q
        flux_q = q ** 2 / h + 0.5 * g * h ** 2
        depth = 0.5 * (h[2:] + h[:-2]) - dt / (2 * dx) * (flux_h[2:] - flux_h[:-2])
        discharge = 0.5 * (q[2:] + q[:-2]) - dt / (2 * dx) * (flux_q[2:] - flux_q[:-2])
    return 0.5 * g * xp.sum(depth ** 2) + xp.sum(discharge ** 2)


def mass_spring_verlet(xp, p):
    """Mechanics: a chain of masses and springs fixed at both ends integrated by
    velocity Verlet, the stiffness matrix from np.diagflat and np.diag offsets, and
    the energy drift and final displacement."""
    masses = 1.0 + 0.1 * xp.tanh(p[:5])
    springs = 10.0 * xp.exp(0.1 * p[5:11])
    stiffness = xp.diagflat(springs[:-1] + springs[1:]) \
        - xp.diag(springs[1:-1], 1) - xp.diag(springs[1:-1], -1)
    position = np.array([0.1, 0.0, -0.05, 0.0, 0.02])
    velocity = np.zeros(5)
    dt = 0.02
    acceleration = -(stiffness @ position) / masses
    for _ in range(30):
        position = position + dt * velocity + 0.5 * dt ** 2 * acceleration
        new_acceleration = -(stiffness @ position) / masses
        velocity = velocity + 0.5 * dt * (acceleration + new_acceleration)
        acceleration = new_acceleration
    energy = 0.5 * xp.sum(masses * velocity ** 2) + 0.5 * position @ stiffness @ position
    return energy + xp.sum(position ** 2)


def denavit_hartenberg_arm(xp, p):
    """Robotics: forward kinematics of a four-joint arm from Denavit-Hartenberg
    parameters, each joint's homogeneous transform stacked and chained by
    functools.reduce of np.matmul, the tool's distance from a target."""
    lengths = np.array([0.0, 0.4, 0.3, 0.1])
    offsets = np.array([0.3, 0.0, 0.0, 0.05])
    twists = np.array([np.pi / 2, 0.0, 0.0, np.pi / 2])
    transforms = []
    for joint in range(4):
        c, s = xp.cos(p[joint]), xp.sin(p[joint])
        ca, sa = np.cos(twists[joint]), np.sin(twists[joint])
        transforms.append(xp.stack([
            xp.stack([c, -s * ca, s * sa, lengths[joint] * c]),
            xp.stack([s, c * ca, -c * sa, lengths[joint] * s]),
            xp.stack([0.0 * c, 0.0 * c + sa, 0.0 * c + ca, 0.0 * c + offsets[joint]]),
            xp.stack([0.0 * c, 0.0 * c, 0.0 * c, 0.0 * c + 1.0])]))
    tool = functools.reduce(xp.matmul, transforms)
    target = np.array([0.3, 0.2, 0.5])
    return xp.sum((tool[:3, 3] - target) ** 2) + xp.sum((tool[:3, 2] - [0, 0, 1]) ** 2)


def mohr_von_mises(xp, p):
    """Solid mechanics: a symmetric stress tensor, its principal stresses by
    np.linalg.eigvalsh, the maximum shear (Mohr's largest circle) and the von Mises
    stress, with a Tresca-like soft maximum by np.logaddexp."""
    basis = np.zeros((6, 3, 3))
    for k, (i, j) in enumerate(zip(*np.triu_indices(3))):
        basis[k, i, j] = basis[k, j, i] = 1.0
    stress = np.diag([80.0, -20.0, 10.0]) + xp.tensordot(10.0 * p[:6], basis, axes=1)
    principal = xp.linalg.eigvalsh(stress)
    deviatoric = stress - xp.trace(stress) / 3.0 * np.eye(3)
    von_mises = xp.sqrt(1.5 * xp.sum(deviatoric ** 2))
    shear = 0.5 * (principal[2] - principal[0])
    return von_mises / 100.0 + xp.logaddexp(shear / 50.0, principal[2] / 100.0)


def hertz_contact(xp, p):
    """Tribology: Hertzian contact of a sphere on a flat, the contact radius by np.cbrt
    of the load, the peak pressure and the approach, for a range of loads."""
    load = np.array([1.0, 5.0, 20.0, 50.0])
    radius = 0.01 * xp.exp(0.2 * p[0])
    young_1, young_2 = 210e9 * xp.exp(0.1 * p[1]), 70e9 * xp.exp(0.1 * p[2])
    poisson_1, poisson_2 = 0.3, 0.33 + 0.02 * xp.tanh(p[3])
    effective = 1.0 / ((1 - poisson_1 ** 2) / young_1 + (1 - poisson_2 ** 2) / young_2)
    contact = xp.cbrt(3.0 * load * radius / (4.0 * effective))
    peak = 3.0 * load / (2.0 * np.pi * contact ** 2)
    approach = contact ** 2 / radius
    return xp.sum(peak) / 1e9 + xp.sum(approach) * 1e6


def pacejka_tyre(xp, p):
    """Vehicle dynamics: Pacejka's magic formula for a tyre's lateral force against
    slip angle, fit to test-rig data by squared error; the stiffness, shape, peak
    and curvature factors the parameters."""
    slip = np.deg2rad(np.linspace(-12.0, 12.0, 13))
    measured = 4000.0 * np.sin(1.4 * np.arctan(10.0 * slip - 0.6 * (10.0 * slip
                                                                      - np.arctan(10.0 * slip))))
    b = 10.0 * xp.exp(0.1 * p[0])
    c = 1.4 + 0.1 * xp.tanh(p[1])
    d = 4000.0 * xp.exp(0.05 * p[2])
    e = 0.6 + 0.2 * xp.tanh(p[3])
    force = d * xp.sin(c * xp.arctan(b * slip - e * (b * slip - xp.arctan(b * slip))))
    return xp.mean((force - measured) ** 2) / 1e4


def rocket_staging(xp, p):
    """Astronautics: a three-stage rocket's delta-v by Tsiolkovsky's equation, each
    stage's mass ratio from its propellant fraction, the payload carried through
    np.cumsum of the stage masses from the top."""
    exhaust = np.array([2.9e3, 3.3e3, 4.4e3]) * (1.0 + 0.02 * xp.tanh(p[:3]))
    stage_mass = np.array([200e3, 50e3, 12e3]) * xp.exp(0.1 * p[3:6])
    propellant_fraction = 0.9 + 0.03 * xp.tanh(p[6:9])
    payload = 2e3
    above = payload + xp.cumsum(stage_mass[::-1])[::-1] - stage_mass
    initial = above + stage_mass
    final = initial - propellant_fraction * stage_mass
    delta_v = xp.sum(exhaust * xp.log(initial / final))
    return delta_v / 1e3 - 1e-5 * xp.sum(stage_mass) / 10.0


def transmission_line(xp, p):
    """Microwave engineering: the input impedance of a lossy line with a complex
    propagation constant (np.tanh of a complex argument), the reflection coefficient
    and the return loss by np.abs, over a band of frequencies."""
    frequency = np.linspace(1e9, 3e9, 9)
    characteristic = 50.0 * (1.0 + 0.05 * xp.tanh(p[0]))
    load = (75.0 + 10.0 * p[1]) + 1j * (20.0 + 10.0 * p[2])
    attenuation = 0.5 * xp.exp(0.2 * p[3])
    length = 0.05 * (1.0 + 0.1 * xp.tanh(p[4]))
    gamma = attenuation + 1j * 2 * np.pi * frequency / 2e8
    t = xp.tanh(gamma * length)
    z_in = characteristic * (load + characteristic * t) / (characteristic + load * t)
    reflection = (z_in - 50.0) / (z_in + 50.0)
    return xp.sum(xp.abs(reflection) ** 2)


def phased_array_factor(xp, p):
    """Antennas: the array factor of an eight-element linear array with complex
    weights (amplitude and phase the parameters) by np.exp(1j * ...), and the power
    at broadside against the power in a sidelobe region, by np.abs(...) ** 2."""
    elements = np.arange(8)
    amplitude = xp.exp(0.2 * p[:8])
    phase = 0.3 * p[8:16]
    angles = np.deg2rad(np.linspace(-90, 90, 37))
    steering = np.exp(1j * np.pi * np.outer(np.sin(angles), elements))
    pattern = steering @ (amplitude * xp.exp(1j * phase))
    power = xp.abs(pattern) ** 2
    sidelobes = np.abs(np.rad2deg(angles)) > 20
    return xp.sum(power[sidelobes]) / power[18]


def binomial_tree_option(xp, p):
    """Finance: a European put priced by a Cox-Ross-Rubinstein binomial tree, the
    terminal payoffs by np.maximum (the strike kept away from the nodes), rolled back
    through the tree."""
    steps = 12
    spot = 100.0 * xp.exp(0.05 * p[0])
    volatility = 0.2 * xp.exp(0.1 * p[1])
    rate = 0.03 + 0.01 * xp.tanh(p[2])
    strike, maturity = 101.3, 1.0
    dt = maturity / steps
    up = xp.exp(volatility * np.sqrt(dt))
    probability = (xp.exp(rate * dt) - 1.0 / up) / (up - 1.0 / up)
    ups = np.arange(steps, -1, -1)
    terminal = spot * up ** (ups - (steps - ups))
    values = xp.maximum(strike - terminal, 0.0)
    for _ in range(steps):
        values = xp.exp(-rate * dt) * (probability * values[:-1]
                                       + (1.0 - probability) * values[1:])
    return values[0]


def sobel_edge_energy(xp, p):
    """Image processing: Sobel gradients of a small image by
    np.lib.stride_tricks.sliding_window_view of the reflect-padded image and
    np.einsum with the kernels, and a smooth edge energy."""
    y, x = np.mgrid[0:8, 0:8] / 7.0
    image = xp.tanh(4.0 * (x - 0.5 + 0.1 * p[0])) + 0.3 * p[1] * y ** 2 + 0.1 * p[2] * x * y
    padded = xp.pad(image, 1, mode='reflect')
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))
    kernel_x = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    gx = xp.einsum('ijkl,kl->ij', windows, kernel_x)
    gy = xp.einsum('ijkl,kl->ij', windows, kernel_x.T)
    return xp.sum(xp.sqrt(gx ** 2 + gy ** 2 + 1e-3))


def total_variation_denoising(xp, p):
    """Image restoration: the Rudin-Osher-Fatemi energy of an image (the unknowns the
    parameters), the data term against a noisy square and a smoothed isotropic total
    variation by np.diff with append."""
    noisy = np.zeros((5, 5))
    noisy[1:4, 1:4] = 1.0
    noisy = noisy + 0.1 * np.cos(np.arange(25)).reshape(5, 5)
    image = noisy + 0.2 * p[:25].reshape(5, 5)
    dx = xp.diff(image, axis=1, append=image[:, -1:])
    dy = xp.diff(image, axis=0, append=image[-1:, :])
    variation = xp.sum(xp.sqrt(dx ** 2 + dy ** 2 + 1e-2))
    return 0.5 * xp.sum((image - noisy) ** 2) + 0.3 * variation


def srgb_tone_mapping(xp, p):
    """Colour science: scene colours through Reinhard tone mapping, linear to sRGB
    by np.where of the linear toe and np.power's gamma segment, and the luminance
    by a matrix from the sRGB primaries."""
    radiance = np.array([[0.2, 0.4, 0.9], [1.5, 0.8, 0.3], [3.0, 2.5, 2.0],
                         [0.01, 0.02, 0.005]]) * xp.exp(0.3 * p[:3])
    exposure = xp.exp(0.2 * p[3])
    scaled = exposure * radiance
    mapped = scaled / (1.0 + scaled)
    safe = xp.maximum(mapped, 0.0031308)
    encoded = xp.where(mapped <= 0.0031308, 12.92 * mapped,
                       1.055 * xp.power(safe, 1 / 2.4) - 0.055)
    to_xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                       [0.0193, 0.1192, 0.9505]])
    luminance = (mapped @ to_xyz.T)[:, 1]
    return xp.sum(encoded ** 2) + xp.sum(luminance)


def blinn_phong_shading(xp, p):
    """Rendering: Blinn-Phong shading of points on a sphere, normals normalised with
    np.linalg.norm(keepdims=True), the half vector, a diffuse term by np.clip and a
    specular lobe by np.power, the light direction and shininess the parameters."""
    theta = np.linspace(0.2, 1.2, 6)
    normals = np.stack([np.sin(theta), np.zeros(6), np.cos(theta)], axis=1)
    light = xp.stack([xp.sin(0.3 * p[0]), 0.2 * p[1], 1.0 + 0.0 * p[0]])
    light = light / xp.linalg.norm(light)
    view = np.array([0.0, 0.0, 1.0])
    half = light + view
    half = half / xp.linalg.norm(half, keepdims=True)
    diffuse = xp.clip(normals @ light, 0.0, None)
    shininess = 20.0 * xp.exp(0.2 * p[2])
    specular = xp.power(normals @ half, shininess)
    return xp.sum(0.7 * diffuse + 0.3 * specular)


def newsvendor_inventory(xp, p):
    """Operations research: the expected profit of an order quantity against a
    discrete demand distribution (a softmax of the parameters), the expected sales by
    np.minimum of quantity and demand, with salvage and shortage costs."""
    demand = np.arange(40.0, 120.0, 10.0)
    probability = xp.exp(0.3 * p[:8]) / xp.sum(xp.exp(0.3 * p[:8]))
    order = 83.0 + 2.0 * xp.tanh(p[8])
    sales = xp.minimum(order, demand)
    leftover = order - sales
    shortage = demand - sales
    profit = 5.0 * sales - 3.0 * order + 1.0 * leftover - 0.5 * shortage
    return probability @ profit


def solow_growth(xp, p):
    """Macroeconomics: the Solow-Swan model, capital per effective worker iterated
    for fifty years with Cobb-Douglas output, and the discounted consumption."""
    alpha = 0.33 + 0.03 * xp.tanh(p[0])
    saving = 0.2 + 0.05 * xp.tanh(p[1])
    depreciation, growth, population = 0.05, 0.02, 0.01
    capital = 1.0 + 0.0 * p[0]
    consumption = []
    for _ in range(50):
        output = capital ** alpha
        consumption.append((1.0 - saving) * output)
        capital = (saving * output + (1.0 - depreciation) * capital) \
            / ((1.0 + growth) * (1.0 + population))
    discount = 0.97 ** np.arange(50)
    return xp.sum(discount * xp.log(xp.stack(consumption)))


def soft_value_iteration(xp, p):
    """Reinforcement learning: soft (entropy-regularised) value iteration on a small
    Markov decision process, the Bellman backup by a log-sum-exp over actions, the
    rewards the parameters, and the soft-optimal policy's probability of an action."""
    states, actions = 4, 2
    transition = np.zeros((states, actions, states))
    transition[np.arange(states), 0, (np.arange(states) + 1) % states] = 0.9
    transition[np.arange(states), 0, np.arange(states)] = 0.1
    transition[np.arange(states), 1, np.arange(states)] = 1.0
    reward = 0.5 * p[:8].reshape(states, actions)
    value = np.zeros(states)
    for _ in range(20):
        q = reward + 0.9 * transition @ value
        top = xp.max(q, axis=1, keepdims=True)
        value = (top + xp.log(xp.sum(xp.exp(q - top), axis=1, keepdims=True)))[:, 0]
    policy = xp.exp(q - value[:, None])
    return xp.sum(value) + policy[0, 0]


def fitzhugh_nagumo(xp, p):
    """Neuroscience: the FitzHugh-Nagumo neuron driven by a current step, integrated by
    the midpoint method, and the mean squared membrane voltage."""
    a, b = 0.7 + 0.05 * xp.tanh(p[0]), 0.8 + 0.05 * xp.tanh(p[1])
    epsilon = 0.08 * xp.exp(0.1 * p[2])
    current = 0.5 + 0.1 * xp.tanh(p[3])
    voltage, recovery = -1.0, -0.5
    dt = 0.2
    trace = []

    def rates(v, w):
        return v - v ** 3 / 3 - w + current, epsilon * (v + a - b * w)

    for _ in range(40):
        dv, dw = rates(voltage, recovery)
        mv, mw = rates(voltage + 0.5 * dt * dv, recovery + 0.5 * dt * dw)
        voltage, recovery = voltage + dt * mv, recovery + dt * mw
        trace.append(voltage)
    return xp.mean(xp.stack(trace) ** 2)


def hotelling_t_squared(xp, p):
    """Multivariate statistics: Hotelling's T-squared statistic of a sample's mean
    against a hypothesised mean, the covariance by np.cov(rowvar=False), solved by
    np.linalg.solve, and the F statistic."""
    base = np.array([[1.2, 0.4, 2.1], [0.9, 0.7, 1.8], [1.5, 0.3, 2.6], [1.1, 0.5, 2.2],
                     [0.8, 0.9, 1.7], [1.4, 0.2, 2.4], [1.0, 0.6, 2.0]])
    sample = base + 0.1 * p[:21].reshape(7, 3)
    n, k = sample.shape
    difference = xp.mean(sample, axis=0) - np.array([1.0, 0.5, 2.0])
    covariance = xp.cov(sample, rowvar=False)
    t_squared = n * difference @ xp.linalg.solve(covariance, difference)
    return t_squared * (n - k) / (k * (n - 1))


def pade_exponential(xp, p):
    """Numerical analysis: the [3/3] Pade approximant of a function from its Taylor
    coefficients, the denominator by np.linalg.solve of the Hankel-like system, both
    polynomials evaluated by np.polyval, and the error against np.exp."""
    scale = 1.0 + 0.1 * xp.tanh(p[0])
    taylor = scale ** np.arange(7) / np.array([1, 1, 2, 6, 24, 120, 720.0])
    taylor = taylor * (1.0 + 0.01 * p[1:8])
    system = xp.stack([taylor[2 + i - np.arange(3)] for i in range(3)])
    denominator_tail = xp.linalg.solve(system, -taylor[4:7])
    denominator = xp.concatenate([np.ones(1), denominator_tail])
    numerator = xp.stack([xp.sum(taylor[i - np.arange(min(i, 3) + 1)]
                                 * denominator[:min(i, 3) + 1]) for i in range(4)])
    x = np.linspace(-1.0, 1.0, 9)
    approximant = xp.polyval(numerator[::-1], x) / xp.polyval(denominator[::-1], x)
    return xp.sum((approximant - xp.exp(scale * x)) ** 2) * 1e3


def diode_circuit(xp, p):
    """Electronics: a diode with series resistance driven by a voltage sweep, the
    current solving the Shockley equation by fixed Newton steps on the diode voltage
    (np.expm1), and the dissipated power."""
    supply = np.linspace(0.2, 2.0, 7)
    saturation = 1e-12 * xp.exp(0.5 * p[0])
    ideality = 1.5 + 0.2 * xp.tanh(p[1])
    resistance = 100.0 * xp.exp(0.1 * p[2])
    thermal = 0.02585
    voltage = 0.5 * supply
    for _ in range(30):
        diode = saturation * xp.expm1(voltage / (ideality * thermal))
        residual = diode - (supply - voltage) / resistance
        slope = saturation / (ideality * thermal) * xp.exp(voltage / (ideality * thermal)) \
            + 1.0 / resistance
        voltage = voltage - residual / slope
    current = (supply - voltage) / resistance
    return xp.sum(current * voltage) * 1e3


def drude_metal_optics(xp, p):
    """Optics of metals: the Drude permittivity of a free-electron metal, its complex
    refractive index by np.float_power(permittivity, 0.5), the normal-incidence
    reflectance |(n - 1) / (n + 1)|^2 and the skin depth from the index's imaginary
    part."""
    photon = np.linspace(1.0, 3.0, 7)
    plasma = 9.0 * xp.exp(0.05 * p[0])
    damping = 0.07 * xp.exp(0.2 * p[1])
    permittivity = 1.0 - plasma ** 2 / (photon ** 2 + 1j * damping * photon)
    index = xp.float_power(permittivity, 0.5)
    reflectance = xp.abs((index - 1.0) / (index + 1.0)) ** 2
    skin_depth = 0.1973 / (xp.imag(index) * photon)
    return xp.sum(reflectance) + xp.sum(skin_depth)


def impedance_spectroscopy(xp, p):
    """Electrochemistry: a Randles circuit (series resistance, charge transfer in
    parallel with a double layer, a Warburg element) fit to an impedance spectrum with
    missing readings, the residuals' NaNs cleared by np.nan_to_num of the complex
    residual (before weighting it: a NaN weight would make the gradient NaN)."""
    omega = np.logspace(-1, 4, 12)
    series = 10.0 * xp.exp(0.1 * p[0])
    transfer = 50.0 * xp.exp(0.1 * p[1])
    capacitance = 2e-5 * xp.exp(0.2 * p[2])
    warburg = 5.0 * xp.exp(0.1 * p[3])
    diffusion = warburg * (1.0 - 1j) / np.sqrt(omega)
    model = series + (transfer + diffusion) / (1.0 + 1j * omega * capacitance
                                               * (transfer + diffusion))
    measured = 10.0 + (52.0 + 5.0 * (1 - 1j) / np.sqrt(omega)) \
        / (1.0 + 1j * omega * 2.1e-5 * (52.0 + 5.0 * (1 - 1j) / np.sqrt(omega)))
    measured[[3, 8]] = np.nan
    weights = np.nan_to_num(1.0 / np.abs(measured))
    residual = xp.nan_to_num(model - measured) * weights
    return xp.sum(xp.abs(residual) ** 2)


PROGRAMS = [
    # (program, parameters, whether HIPS autograd has every function it calls)
    (shallow_water_dam_break, _rng.normal(size=2), False),  # no pad mode="edge"
    (mass_spring_verlet, _rng.normal(size=11), False),  # no diagflat rule
    (denavit_hartenberg_arm, _rng.normal(size=4), True),
    (mohr_von_mises, _rng.normal(size=6), False),  # no eigvalsh rule
    (hertz_contact, _rng.normal(size=4), False),  # no cbrt rule
    (pacejka_tyre, _rng.normal(size=4), True),
    (rocket_staging, _rng.normal(size=9), True),
    (transmission_line, _rng.normal(size=5), True),
    (phased_array_factor, _rng.normal(size=16), True),
    (binomial_tree_option, _rng.normal(size=3), True),
    (sobel_edge_energy, _rng.normal(size=3), False),  # no pad mode="reflect"
    (total_variation_denoising, _rng.normal(size=25), False),  # no diff append=
    (srgb_tone_mapping, _rng.normal(size=4), True),
    (blinn_phong_shading, _rng.normal(size=3), True),
    (newsvendor_inventory, _rng.normal(size=9), True),
    (solow_growth, _rng.normal(size=2), True),
    (soft_value_iteration, _rng.normal(size=8), True),
    (fitzhugh_nagumo, _rng.normal(size=4), True),
    (hotelling_t_squared, _rng.normal(size=21), False),  # no cov rule
    (pade_exponential, _rng.normal(size=8), False),  # no polyval rule
    (diode_circuit, _rng.normal(size=3), True),
    (drude_metal_optics, _rng.normal(size=2), False),  # no float_power rule
    (impedance_spectroscopy, _rng.normal(size=4), True),
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
