"""An eighteenth set of short NumPy programs, from domains and NumPy calls the earlier
rounds did not visit (continued in test_numpy_programs_eighteenth_more.py): geodesy
(WGS84 geodetic to Earth-centred coordinates by ``np.radians`` and ``np.column_stack``,
chords against haversine arcs by ``np.arcsin``), graphics (Moller-Trumbore ray-triangle
hits by ``np.cross`` and ``np.einsum('ij,ij->i')``, accepted by ``np.logical_and.reduce``),
robotics (differential-drive odometry from timestamped encoder logs, the steps from
``np.datetime64`` times divided by ``np.timedelta64``, headings by ``np.cumsum`` and
``np.diff(prepend=)``), image analysis (an object's centroid and orientation from raw
and central moments over ``np.indices``, ``np.arctan2``), text retrieval (Okapi BM25
scores with ``np.log`` of inverse document frequencies and document lengths by
``np.count_nonzero``), recommender systems (Bayesian personalised ranking over sampled
triplets, ``np.logaddexp(0, -x)``), circuits (a ladder network's nodal analysis by
``np.linalg.solve`` of a complex admittance matrix, the Bode gain by ``np.abs`` and the
phase by ``np.angle``), gas dynamics (the Mach number from an area ratio by Newton
steps), control (a PID loop with an anti-windup integral clamped by ``np.clip``),
analytical chemistry (Savitzky-Golay smoothing, the coefficients a row of
``np.linalg.pinv`` of ``np.vander(increasing=True)``, applied by ``np.convolve(mode='valid')``),
tone detection (Goertzel's recurrence over a list), laboratory data read by
``np.genfromtxt(names=True)`` from text into a structured array and ``np.loadtxt(unpack=True)``,
economics (a Leontief input-output model by Jacobi steps until ``np.allclose``),
marketing (Bass diffusion, the period sales by ``np.diff(prepend=0.0)``), linguistics
(a Zipf-Mandelbrot fit by ``np.linalg.lstsq(np.vander(.), ., rcond=None)``), glaciology
(Glen's flow law integrated up from the bed by a cumulative trapezoid rule of
``np.cumsum``, the flux by ``np.trapezoid(x=)``), battery management (a Thevenin
circuit under a current logged in ``np.float16``, the open-circuit voltage by
``np.polyval`` of the state of charge) and astronomy (a transit light curve, the lens of
two discs by ``np.arccos`` of clipped cosines chosen by ``np.where``).  Each is
differentiated unchanged with ``ad.grad`` and checked as every round is
(``numpy_program_checks``).

The transit was first written with the lens computed at every separation and
``np.where`` choosing it only after: the value and gradient were right (the gradient
of ``np.clip`` drops the ``0 * inf`` of ``np.arccos`` at its clipped ends, which gives
HIPS autograd a NaN gradient), but its Hessian was NaN in the radius ratio's row, as
the second derivative meets ``arccos``'s infinite slope at the clipped points.  It is
written as JAX's and PyTorch's guides advise, a ``np.where`` before the lens as well
(a safe separation where it is not chosen).

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import io

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261218)
_EARTH_RADIUS = 6371.0
_TRIANGLES = _rng.normal(size=(6, 3, 3)) + np.array([0.0, 0.0, 4.0])
_ENCODER_TIMES = np.array(["2026-03-01T12:00:00.000", "2026-03-01T12:00:00.250",
                           "2026-03-01T12:00:00.600", "2026-03-01T12:00:01.000",
                           "2026-03-01T12:00:01.300", "2026-03-01T12:00:01.800"],
                          dtype="datetime64[ms]")
_TERMS = _rng.poisson(1.2, size=(5, 7))
_QUERY = np.array([0, 2, 5])
_TRIPLETS = _rng.integers(0, 4, size=(10, 3))
_CALIBRATION_CSV = """concentration,absorbance,replicate
0.0,0.012,1
0.5,0.118,1
1.0,0.231,2
2.0,0.447,2
4.0,0.861,3
8.0,1.604,3
"""
_TRACE_TEXT = """# time  signal  baseline
0.0 1.02 0.10
0.1 1.31 0.11
0.2 1.77 0.11
0.3 2.08 0.12
0.4 1.86 0.12
0.5 1.44 0.13
"""


def geodetic_chords(xp, p):
    """Geodesy: WGS84 geodetic positions to Earth-centred coordinates, the prime
    vertical radius from the eccentricity, joined by np.column_stack; the chords between
    stations compared with haversine arcs by np.arcsin on a sphere."""
    semi_major, flattening = 6378.137, 1.0 / 298.257223563
    eccentricity2 = flattening * (2.0 - flattening)
    latitude = xp.radians(np.array([48.85, 51.51, 40.42, 52.52]) + 0.5 * p[:4])
    longitude = xp.radians(np.array([2.35, -0.13, -3.70, 13.40]) + 0.5 * p[4:8])
    height = np.array([0.035, 0.011, 0.667, 0.034])
    prime = semi_major / xp.sqrt(1.0 - eccentricity2 * xp.sin(latitude) ** 2)
    ecef = xp.column_stack([(prime + height) * xp.cos(latitude) * xp.cos(longitude),
                            (prime + height) * xp.cos(latitude) * xp.sin(longitude),
                            (prime * (1.0 - eccentricity2) + height) * xp.sin(latitude)])
    chords = xp.linalg.norm(ecef[1:] - ecef[:-1], axis=1)
    half_dlat, half_dlon = xp.diff(latitude) / 2.0, xp.diff(longitude) / 2.0
    a = (xp.sin(half_dlat) ** 2
         + xp.cos(latitude[:-1]) * xp.cos(latitude[1:]) * xp.sin(half_dlon) ** 2)
    arcs = 2.0 * _EARTH_RADIUS * xp.arcsin(xp.sqrt(a))
    return xp.sum((arcs - chords) ** 2) / 100.0 + xp.sum(chords) / 1000.0


def ray_triangle_hits(xp, p):
    """Graphics: Moller-Trumbore intersections of one ray with a batch of triangles, the
    edge cross products by np.cross, the dot products by np.einsum('ij,ij->i'), a hit
    kept by np.logical_and.reduce of the barycentric tests, the nearest by np.min."""
    origin = np.array([0.1, -0.2, 0.0]) + 0.1 * p[:3]
    direction = np.array([0.0, 0.0, 1.0]) + 0.1 * p[3:6]
    direction = direction / xp.linalg.norm(direction)
    v0, v1, v2 = _TRIANGLES[:, 0], _TRIANGLES[:, 1], _TRIANGLES[:, 2]
    edge1, edge2 = v1 - v0, v2 - v0
    h = xp.cross(direction, edge2)
    det = xp.einsum("ij,ij->i", edge1, h)
    s = origin - v0
    u = xp.einsum("ij,ij->i", s, h) / det
    q = xp.cross(s, edge1)
    v = q @ direction / det
    t = xp.einsum("ij,ij->i", edge2, q) / det
    hit = np.logical_and.reduce([u >= 0, v >= 0, u + v <= 1, t > 0])
    depth = xp.where(hit, t, 100.0)
    return xp.min(depth) + xp.sum(xp.where(hit, u * v, 0.0)) + xp.sum(t ** 2) / 100.0


def encoder_odometry(xp, p):
    """Robotics: differential-drive odometry from a timestamped log of wheel speeds, the
    time steps read from np.datetime64 stamps as seconds by np.timedelta64, the heading
    by np.cumsum of the turn rates, the positions by np.cumsum of the displacements,
    the turn rates' changes by np.diff(prepend=)."""
    seconds = np.diff(_ENCODER_TIMES) / np.timedelta64(1, "s")
    wheel_radius = 0.05 * (1.0 + 0.1 * xp.tanh(p[0]))
    track = 0.3 * (1.0 + 0.1 * xp.tanh(p[1]))
    left = np.array([10.0, 11.0, 12.5, 12.0, 9.0]) + p[2:7]
    right = np.array([10.5, 12.0, 12.0, 13.5, 11.0]) + p[7:12]
    speed = wheel_radius * (left + right) / 2.0
    turn_rate = wheel_radius * (right - left) / track
    heading = xp.cumsum(turn_rate * seconds)
    x = xp.cumsum(speed * seconds * xp.cos(heading))
    y = xp.cumsum(speed * seconds * xp.sin(heading))
    jerk = xp.diff(turn_rate, prepend=0.0)
    return (x[-1] - 3.0) ** 2 + (y[-1] - 0.4) ** 2 + 0.01 * xp.sum(jerk ** 2)


def image_moments(xp, p):
    """Image analysis: an object's centroid and orientation from its raw moments over
    the pixel grid of np.indices, the central second moments and the axis angle by
    np.arctan2, the elongation from the moments' eigenvalues in closed form."""
    rows, cols = np.indices((7, 8))
    centre_row, centre_col = 3.0 + p[0], 3.5 + p[1]
    spread = xp.exp(0.2 * p[2:4])
    tilt = 0.03 * p[4] * (rows - 3) * (cols - 3)
    image = xp.exp(-((rows - centre_row) / (2.0 * spread[0])) ** 2
                   - ((cols - centre_col) / (1.2 * spread[1])) ** 2 + tilt)
    m00 = xp.sum(image)
    row_bar, col_bar = xp.sum(rows * image) / m00, xp.sum(cols * image) / m00
    mu20 = xp.sum((rows - row_bar) ** 2 * image) / m00
    mu02 = xp.sum((cols - col_bar) ** 2 * image) / m00
    mu11 = xp.sum((rows - row_bar) * (cols - col_bar) * image) / m00
    angle = 0.5 * xp.arctan2(2.0 * mu11, mu20 - mu02)
    root = xp.sqrt(((mu20 - mu02) / 2.0) ** 2 + mu11 ** 2)
    elongation = ((mu20 + mu02) / 2.0 + root) / ((mu20 + mu02) / 2.0 - root)
    return (row_bar - 3.2) ** 2 + (col_bar - 3.9) ** 2 + angle + 0.1 * elongation


def bm25_scores(xp, p):
    """Text retrieval: Okapi BM25 scores of five documents for a three-term query, the
    inverse document frequencies np.log of counts over np.count_nonzero of the term
    matrix, saturation k1 and length normalisation b the parameters, a softmax
    cross-entropy against the relevant document."""
    k1 = 1.2 * xp.exp(0.2 * p[0])
    b = 0.75 + 0.2 * xp.tanh(p[1])
    counts = _TERMS[:, _QUERY] * xp.exp(0.1 * p[2:5])
    documents = _TERMS.shape[0]
    containing = np.count_nonzero(_TERMS[:, _QUERY], axis=0)
    idf = np.log((documents - containing + 0.5) / (containing + 0.5) + 1.0)
    lengths = _TERMS.sum(axis=1)
    norm = k1 * (1.0 - b + b * lengths / lengths.mean())
    scores = xp.sum(idf * counts * (k1 + 1.0) / (counts + norm[:, None]), axis=1)
    return -scores[2] + xp.log(xp.sum(xp.exp(scores)))


def bayesian_personalised_ranking(xp, p):
    """Recommender systems: Bayesian personalised ranking of sampled (user, liked,
    other) triplets, the scores by np.einsum('ik,ik->i') of gathered factor rows, the
    loss the softplus np.logaddexp(0, -x) of the margins, with an L2 penalty."""
    users = p[:8].reshape(4, 2)
    items = p[8:16].reshape(4, 2)
    u, liked, other = _TRIPLETS[:, 0], _TRIPLETS[:, 1], _TRIPLETS[:, 2]
    margin = xp.einsum("ik,ik->i", users[u], items[liked] - items[other])
    return xp.sum(xp.logaddexp(0.0, -margin)) + 0.05 * (xp.sum(users ** 2) + xp.sum(items ** 2))


def ladder_network_bode(xp, p):
    """Circuits: an RC ladder driven at three frequencies, nodal analysis by
    np.linalg.solve of the complex admittance matrix for each, the output's gain in
    decibels by np.abs and its phase by np.angle fitted to targets."""
    resistance = 1000.0 * xp.exp(0.1 * p[:3])
    capacitance = 1e-7 * xp.exp(0.1 * p[3:6])
    gains, phases = [], []
    for frequency in (200.0, 1000.0, 5000.0):
        omega = 2.0 * np.pi * frequency
        g = 1.0 / resistance
        y = 1j * omega * capacitance
        admittance = xp.stack([
            xp.stack([g[0] + g[1] + y[0], -g[1], 0.0 * g[0]]),
            xp.stack([-g[1], g[1] + g[2] + y[1], -g[2]]),
            xp.stack([0.0 * g[0], -g[2], g[2] + y[2]])])
        source = xp.stack([g[0], 0.0 * g[0], 0.0 * g[0]]) + 0j
        voltages = xp.linalg.solve(admittance, source)
        gains.append(20.0 * xp.log10(xp.abs(voltages[2])))
        phases.append(xp.angle(voltages[2]))
    gains, phases = xp.stack(gains), xp.stack(phases)
    return xp.sum((gains - np.array([-1.0, -8.0, -30.0])) ** 2) / 100.0 + xp.sum(phases ** 2)


def nozzle_mach_number(xp, p):
    """Gas dynamics: the supersonic Mach numbers of a nozzle's sections from their area
    ratios by Newton steps on the isentropic area-Mach relation, then the static
    pressures and temperatures by np.power of the stagnation ratio."""
    gamma = 1.4 + 0.02 * xp.tanh(p[0])
    ratio = np.array([1.2, 1.6, 2.2, 3.0]) * xp.exp(0.05 * p[1:5])
    exponent = (gamma + 1.0) / (2.0 * (gamma - 1.0))
    mach = 2.0 + 0.0 * ratio
    for _ in range(12):
        stagnation = 1.0 + (gamma - 1.0) / 2.0 * mach ** 2
        area = xp.power(2.0 / (gamma + 1.0) * stagnation, exponent) / mach
        slope = area * (2.0 * exponent * (gamma - 1.0) / (gamma + 1.0) * mach
                        / (2.0 / (gamma + 1.0) * stagnation) - 1.0 / mach)
        mach = mach - (area - ratio) / slope
    stagnation = 1.0 + (gamma - 1.0) / 2.0 * mach ** 2
    pressure = xp.power(stagnation, -gamma / (gamma - 1.0))
    temperature = 1.0 / stagnation
    return xp.sum(mach) + xp.sum(pressure) + xp.sum(temperature ** 2)


def pid_step_response(xp, p):
    """Control: a PID loop on a first-order plant with dead-beat sampling, the integral
    clamped by np.clip against windup, the integral of squared error and the control
    effort as the cost."""
    kp, ki, kd = 2.0 * xp.exp(0.2 * p[0]), 1.0 * xp.exp(0.2 * p[1]), 0.05 * xp.exp(0.2 * p[2])
    dt, tau = 0.05, 0.4 * (1.0 + 0.1 * xp.tanh(p[3]))
    output, integral, previous_error = 0.0, 0.0, 1.0
    cost = 0.0
    for _ in range(40):
        error = 1.0 - output
        integral = xp.clip(integral + error * dt, -0.5, 0.5)
        derivative = (error - previous_error) / dt
        control = kp * error + ki * integral + kd * derivative
        output = output + dt / tau * (control - output)
        cost = cost + dt * error ** 2 + 1e-3 * dt * control ** 2
        previous_error = error
    return cost


def savitzky_golay_smoothing(xp, p):
    """Analytical chemistry: Savitzky-Golay smoothing of a noisy peak, the filter the
    middle row of np.linalg.pinv of np.vander(offsets, 3, increasing=True), applied by
    np.convolve(mode='valid'); the peak's height and area fitted."""
    offsets = np.arange(-3, 4)
    coefficients = np.linalg.pinv(np.vander(offsets, 3, increasing=True))[0]
    x = np.linspace(-2.0, 2.0, 25)
    noise = np.sin(17.0 * x) * 0.05
    spectrum = xp.exp(p[0]) * xp.exp(-((x - 0.3 * p[1]) / (0.5 * xp.exp(0.2 * p[2]))) ** 2) + noise
    smooth = xp.convolve(spectrum, coefficients[::-1], mode="valid")
    height = xp.max(smooth)
    area = xp.sum(smooth) * (x[1] - x[0])
    return (height - 1.3) ** 2 + (area - 1.1) ** 2 + 0.1 * xp.sum(smooth ** 2) / smooth.size


def goertzel_tone_power(xp, p):
    """Tone detection: Goertzel's second-order recurrence run over a touch-tone burst in
    a Python loop, the powers at the eight DTMF frequencies, a log-odds score for the
    dialled key."""
    rate, n = 4000.0, 64
    t = np.arange(n) / rate
    burst = xp.exp(0.2 * p[0]) * xp.sin(2 * np.pi * 770.0 * t + p[1]) + \
        xp.exp(0.2 * p[2]) * xp.sin(2 * np.pi * 1336.0 * t + p[3])
    tones = np.array([697.0, 770.0, 852.0, 941.0, 1209.0, 1336.0, 1477.0, 1633.0])
    coefficient = 2.0 * np.cos(2.0 * np.pi * np.round(n * tones / rate) / n)
    previous, before = xp.zeros(8), xp.zeros(8)
    for k in range(n):
        current = burst[k] + coefficient * previous - before
        before, previous = previous, current
    power = previous ** 2 + before ** 2 - coefficient * previous * before
    return xp.log(power[1] + power[5]) - xp.log(xp.sum(power)) + xp.sum(power) / 1e4


def calibration_from_text(xp, p):
    """Laboratory data: a calibration table read from CSV text by
    np.genfromtxt(delimiter=',', names=True) into a structured array, its fields by
    name, fitted by a weighted straight line with a quadratic term, the replicate
    numbers as integer weights."""
    table = np.genfromtxt(io.StringIO(_CALIBRATION_CSV), delimiter=",", names=True)
    concentration, absorbance = table["concentration"], table["absorbance"]
    weights = 1.0 / table["replicate"]
    blank, slope, curvature = 0.01 * p[0], 0.2 + 0.01 * p[1], 0.001 * p[2]
    predicted = blank + slope * concentration + curvature * concentration ** 2
    return xp.sum(weights * (predicted - absorbance) ** 2) * 100.0


def trace_from_text(xp, p):
    """Laboratory data: a chromatogram trace read by np.loadtxt(unpack=True) from
    commented, whitespace-separated text, the baseline subtracted and a Gaussian peak's
    position, width and height fitted."""
    time, signal, baseline = np.loadtxt(io.StringIO(_TRACE_TEXT), unpack=True)
    centre = 0.3 + 0.05 * p[0]
    width = 0.15 * xp.exp(0.1 * p[1])
    height = 2.0 * xp.exp(0.1 * p[2])
    model = height * xp.exp(-0.5 * ((time - centre) / width) ** 2)
    return xp.sum((signal - baseline - model) ** 2)


def leontief_input_output(xp, p):
    """Economics: a Leontief input-output model, the gross outputs by Jacobi steps x =
    A x + d until np.allclose says they have settled, the value added and a price index
    from the column sums."""
    technical = np.array([[0.2, 0.1, 0.05], [0.15, 0.25, 0.1], [0.05, 0.2, 0.3]]) \
        * (1.0 + 0.1 * xp.tanh(p[:9].reshape(3, 3)))
    demand = np.array([10.0, 5.0, 8.0]) * xp.exp(0.1 * p[9:12])
    output = demand
    for _ in range(200):
        updated = technical @ output + demand
        if np.allclose(updated, output, rtol=1e-13, atol=1e-12):
            break
        output = updated
    value_added = output * (1.0 - xp.sum(technical, axis=0))
    return xp.sum(output) / 10.0 + xp.sum(value_added ** 2) / 100.0


def bass_diffusion_sales(xp, p):
    """Marketing: the Bass diffusion model's cumulative adoption in closed form, the
    innovation and imitation coefficients the parameters, the period sales by
    np.diff(prepend=0.0) of the adopters, fitted to observed sales in log space."""
    innovation = 0.03 * xp.exp(0.2 * p[0])
    imitation = 0.38 * xp.exp(0.2 * p[1])
    market = 1000.0 * xp.exp(0.1 * p[2])
    t = np.arange(1.0, 11.0)
    decay = xp.exp(-(innovation + imitation) * t)
    adopted = market * (1.0 - decay) / (1.0 + imitation / innovation * decay)
    sales = xp.diff(adopted, prepend=0.0)
    observed = np.array([33.0, 45.0, 60.0, 76.0, 90.0, 99.0, 99.0, 91.0, 77.0, 61.0])
    return xp.sum((xp.log(sales) - np.log(observed)) ** 2)


def zipf_mandelbrot_fit(xp, p):
    """Linguistics: the Zipf-Mandelbrot law fitted to word frequencies by least
    squares on log ranks, np.linalg.lstsq(np.vander(., 2), ., rcond=None) with the
    rank offset a parameter, the residual norm and the exponent scored."""
    counts = np.array([1200.0, 610.0, 400.0, 310.0, 240.0, 205.0, 170.0, 150.0, 133.0])
    ranks = np.arange(1.0, counts.size + 1.0)
    offset = 2.7 * xp.exp(0.3 * p[0])
    design = xp.vander(xp.log(ranks + offset), 2)
    weights = xp.exp(0.1 * p[1:4])
    target = np.log(counts[:3]) * weights
    solution, _, _, _ = xp.linalg.lstsq(design[:3] * weights[:, None], target, rcond=None)
    residual = design @ solution - np.log(counts)
    return xp.sum(residual ** 2) + (solution[0] + 1.0) ** 2


def glen_ice_flow(xp, p):
    """Glaciology: the velocity profile of an ice slab under Glen's flow law, the
    strain rate A tau^n with the shear stress growing with depth, integrated up from
    the bed by a cumulative trapezoid rule written with np.cumsum, the surface speed
    and the flux by np.trapezoid(x=) against observations."""
    exponent = 3.0 + 0.1 * xp.tanh(p[0])
    rate_factor = 2.4e-24 * xp.exp(0.1 * p[1])
    thickness, slope, density, gravity = 300.0 * xp.exp(0.05 * p[2]), 0.01, 917.0, 9.81
    height = np.linspace(0.0, 1.0, 21)                      # fraction of the thickness
    depth = thickness * (1.0 - height)
    stress = density * gravity * slope * depth
    strain_rate = 2.0 * rate_factor * stress ** exponent
    z = height * thickness
    steps = (strain_rate[1:] + strain_rate[:-1]) / 2.0 * xp.diff(z)
    velocity = xp.concatenate([xp.zeros(1), xp.cumsum(steps)]) * 3.15e7   # metres a year
    flux = xp.trapezoid(velocity, x=z)
    return (velocity[-1] - 35.0) ** 2 / 100.0 + (flux / 1e4 - 0.8) ** 2


def battery_thevenin_model(xp, p):
    """Battery management: a Thevenin equivalent circuit (a series resistance and one
    RC pair) under a current profile logged in float16, the state of charge by
    np.cumsum of the charge drawn, the open-circuit voltage a np.polyval of it, the
    terminal voltage fitted to measurements."""
    current = np.array([0.0, 2.0, 2.0, 2.0, 0.5, 0.5, 3.0, 3.0, 0.0, 0.0], dtype=np.float16)
    measured = np.array([4.10, 4.01, 3.99, 3.98, 4.03, 4.03, 3.93, 3.91, 4.02, 4.04])
    series = 0.04 * xp.exp(0.2 * p[0])
    resistance, capacitance = 0.02 * xp.exp(0.2 * p[1]), 2000.0 * xp.exp(0.2 * p[2])
    capacity, dt = 3600.0 * 2.5, 10.0
    charge = 0.95 - xp.cumsum(current * dt) / capacity
    ocv = xp.polyval(xp.stack([0.3 + 0.0 * p[3], -0.2 + 0.01 * p[3], 0.6, 3.45]), charge)
    decay = xp.exp(-dt / (resistance * capacitance))
    polarisation, voltages = 0.0, []
    for k in range(current.size):
        polarisation = decay * polarisation + resistance * (1.0 - decay) * current[k]
        voltages.append(ocv[k] - series * current[k] - polarisation)
    return xp.sum((xp.stack(voltages) - measured) ** 2) * 100.0


def exoplanet_transit(xp, p):
    """Astronomy: a transit light curve of a uniform stellar disc, the overlap of the
    planet's and star's discs by the lens formula with np.arccos of clipped cosines,
    np.where choosing full overlap, partial overlap or none by the separation; the
    lens is computed at a safe separation where it is not chosen (np.where before as
    well as after), so that no branch has an infinite slope."""
    radius_ratio = 0.1 * xp.exp(0.1 * p[0])
    impact = 0.3 + 0.1 * xp.tanh(p[1])
    speed = 8.0 * xp.exp(0.1 * p[2])
    times = np.linspace(-0.15, 0.15, 31)
    separation = xp.sqrt(impact ** 2 + (speed * times) ** 2)
    r = radius_ratio
    partial = (separation > 1.0 - r) & (separation < 1.0 + r)
    d = xp.where(partial, separation, 1.0)
    cos_planet = xp.clip((d ** 2 + r ** 2 - 1.0) / (2.0 * d * r), -1.0, 1.0)
    cos_star = xp.clip((d ** 2 + 1.0 - r ** 2) / (2.0 * d), -1.0, 1.0)
    kite = xp.sqrt((-d + r + 1.0) * (d + r - 1.0) * (d - r + 1.0) * (d + r + 1.0))
    lens = (r ** 2 * xp.arccos(cos_planet) + xp.arccos(cos_star) - 0.5 * kite) / np.pi
    blocked = xp.where(separation <= 1.0 - r, r ** 2, xp.where(partial, lens, 0.0))
    flux = 1.0 - blocked
    observed = 1.0 - 0.011 * np.exp(-(times / 0.06) ** 4)
    return xp.sum((flux - observed) ** 2) * 1e4

PROGRAMS = [
    # (program, parameters, whether HIPS autograd has every function it calls)
    (geodetic_chords, _rng.normal(size=8), True),
    (ray_triangle_hits, _rng.normal(size=6), False),  # autograd's cross does not unbroadcast
    (encoder_odometry, _rng.normal(size=12), False),  # no diff(prepend=)
    (image_moments, _rng.normal(size=5), True),
    (bm25_scores, _rng.normal(size=5), True),
    (bayesian_personalised_ranking, _rng.normal(size=16), True),
    (ladder_network_bode, _rng.normal(size=6), True),
    (nozzle_mach_number, _rng.normal(size=5), True),
    (pid_step_response, _rng.normal(size=4), True),
    (savitzky_golay_smoothing, _rng.normal(size=3), False),  # no convolve rule
    (goertzel_tone_power, _rng.normal(size=4), True),
    (calibration_from_text, _rng.normal(size=3), True),
    (trace_from_text, _rng.normal(size=3), True),
    (leontief_input_output, _rng.normal(size=12), False),  # allclose of ArrayBoxes
    (bass_diffusion_sales, _rng.normal(size=3), False),      # no diff(prepend=)
    (zipf_mandelbrot_fit, _rng.normal(size=4), False),       # no lstsq rule
    (glen_ice_flow, _rng.normal(size=3), False),             # no trapezoid rule
    (battery_thevenin_model, _rng.normal(size=4), False),    # no polyval rule
    (exoplanet_transit, _rng.normal(size=3), True),
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
