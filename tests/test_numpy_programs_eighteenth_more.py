"""The eighteenth set of short NumPy programs, continued
(test_numpy_programs_eighteenth.py has the first part): array processing (a Capon
beamformer's spectrum, ``np.real(np.vdot(a, np.linalg.solve(R, a)))`` of complex
steering vectors), geophysics (a layered earth's magnetotelluric apparent resistivity by
a recursion with complex ``np.tanh`` and ``np.sqrt``, the phase by ``np.angle(deg=True)``),
hydraulics (Hardy Cross corrections on a two-loop pipe network with ``np.sign`` and
``np.abs`` to the 1.85 power), music (a Karplus-Strong plucked string, the delay line
averaged with ``np.roll``), fixed income (a bond's accrued interest and dirty price from
a ``np.datetime64`` coupon schedule, the business days by ``np.busday_count``), robust
statistics (a Theil-Sen slope, the median of pairwise slopes over ``np.triu_indices``,
beside Deming regression), systems biology (a genetic toggle switch of Hill functions
by Heun steps), sensors (saturated readings flagged by ``np.isposinf``/``np.isneginf``
of the raw data and replaced on a copy by ``np.place``, disagreements by
``np.logical_xor``), mechanics (a gear train's hunting-tooth period by ``np.lcm`` and its
efficiency), image registration (a thin-plate spline, the kernel ``r^2 log r`` by
``np.log(where=, out=)`` and the weights by ``np.linalg.solve`` of a bordered matrix),
pedestrian dynamics (a social-force step, the self-interactions removed by
``np.fill_diagonal`` on a copy), pattern formation (Gray-Scott reaction-diffusion, the
Laplacian by ``np.roll`` with tuple shifts and axes), technical analysis (Bollinger
bands by ``sliding_window_view(...).std(axis=-1)``), signal compression (a multi-level
Haar transform by even and odd slices, soft thresholds), tomography (projections of a
volume along rotations by ``np.rot90(k=, axes=)``) and operations research (a diet
problem by log-barrier Newton steps, ``np.linalg.solve`` of the barrier's Hessian).
Each is differentiated unchanged with ``ad.grad`` and checked as every round is
(``numpy_program_checks``).

The layered earth needed the library fixed: on float32 parameters its value was a bit
off NumPy's, as the impedance is carried up in complex NumPy scalars, whose product is
NumPy's scalar arithmetic while a 0-d Tensor's was the multiply ufunc's fused loop.
0-d complex Tensors now multiply, and take Python's ``abs``, as NumPy's scalars do, and
a complex array's ``** 2``, ``** -1`` and ``** 0.5`` take NumPy's fast paths
(``np.square``, ``np.reciprocal``, ``np.sqrt``) as an ndarray's do
(test_scalar_complex_arithmetic.py).

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261219)
_SENSOR_ANGLES = np.array([-0.6, 0.1, 0.7])
_PIPES = np.array([[1.0, -1.0, 0.0, 1.0, 0.0], [0.0, 1.0, -1.0, 0.0, -1.0]])
_RAW_READINGS = np.array([[0.2, np.inf, 0.5, -np.inf, 0.9],
                          [0.3, 0.4, np.inf, 0.1, -np.inf]])
_LANDMARKS = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.4]])
_PRICES = 100.0 + np.cumsum(np.sin(np.arange(30) / 3.0))
_NUTRIENTS = np.array([[2.0, 1.0, 0.5], [0.3, 2.0, 1.0], [1.0, 0.2, 2.5]])


def capon_spectrum(xp, p):
    """Array processing: a Capon (minimum-variance) spectrum of a three-element array,
    the covariance of two sources plus noise, complex steering vectors by
    np.exp(1j * np.outer(.)), the power 1 / Re(a^H R^-1 a) by np.real(np.vdot(a,
    np.linalg.solve(R, a))) at each look angle."""
    angles = np.array([-0.5, 0.2]) + 0.1 * p[:2]
    powers = xp.exp(0.3 * p[2:4])
    positions = np.arange(3) * 0.5
    steering = xp.exp(2j * np.pi * xp.outer(positions, xp.sin(angles)))
    covariance = (steering * powers) @ xp.conj(steering).T + 0.1 * np.eye(3)
    spectrum = []
    for look in _SENSOR_ANGLES:
        a = np.exp(2j * np.pi * positions * np.sin(look))
        spectrum.append(1.0 / xp.real(xp.vdot(a, xp.linalg.solve(covariance, a))))
    return xp.sum(xp.log(xp.stack(spectrum)))


def magnetotelluric_sounding(xp, p):
    """Geophysics: a three-layer earth's magnetotelluric response, the impedance carried
    up from the half-space by the recursion with complex np.tanh and np.sqrt, the
    apparent resistivity from np.abs and the phase by np.angle(deg=True), fitted to a
    sounding in log10."""
    mu0 = 4e-7 * np.pi
    resistivity = np.array([100.0, 10.0, 1000.0]) * xp.exp(0.3 * p[:3])
    thickness = np.array([500.0, 1500.0]) * xp.exp(0.2 * p[3:5])
    apparent, phase = [], []
    for period in (0.01, 1.0, 100.0):
        omega = 2.0 * np.pi / period
        k = xp.sqrt(1j * omega * mu0 / resistivity)
        intrinsic = 1j * omega * mu0 / k
        impedance = intrinsic[2]
        for layer in (1, 0):
            t = xp.tanh(k[layer] * thickness[layer])
            impedance = intrinsic[layer] * (impedance + intrinsic[layer] * t) / (
                intrinsic[layer] + impedance * t)
        apparent.append(xp.abs(impedance) ** 2 / (omega * mu0))
        phase.append(xp.angle(impedance, deg=True))
    apparent, phase = xp.stack(apparent), xp.stack(phase)
    observed = np.array([2.0, 1.3, 2.2])
    return xp.sum((xp.log10(apparent) - observed) ** 2) + xp.sum((phase - 45.0) ** 2) / 1e3


def hardy_cross_network(xp, p):
    """Hydraulics: Hardy Cross corrections on a two-loop pipe network, the head losses
    r Q |Q|^0.85 by np.sign and np.abs, each loop's flow correction applied through the
    loop-pipe incidence, the pumping power of the balanced flows scored."""
    resistance = np.array([2.0, 1.0, 3.0, 1.5, 2.5]) * xp.exp(0.2 * p[:5])
    flow = np.array([0.6, 0.3, 0.2, 0.4, 0.1]) + 0.05 * p[5:10]
    for _ in range(8):
        loss = resistance * xp.sign(flow) * xp.abs(flow) ** 1.85
        slope = 1.85 * resistance * xp.abs(flow) ** 0.85
        correction = -(_PIPES @ loss) / (xp.abs(_PIPES) @ slope)
        flow = flow + correction @ _PIPES
    return xp.sum(resistance * xp.abs(flow) ** 2.85) + xp.sum(flow ** 2)


def karplus_strong_string(xp, p):
    """Music: a Karplus-Strong plucked string, a delay line of noise averaged with its
    np.roll neighbour and damped each period, the sound's energy per period and its
    decay against a target."""
    length = 16
    pluck = np.sin(np.arange(length) * 2.3) * xp.exp(0.2 * p[0])
    damping = 0.99 - 0.02 * (1.0 + xp.tanh(p[1])) / 2.0
    blend = 0.5 + 0.1 * xp.tanh(p[2])
    line = pluck
    energies = []
    for _ in range(12):
        line = damping * (blend * line + (1.0 - blend) * xp.roll(line, -1))
        energies.append(xp.sum(line ** 2))
    energies = xp.stack(energies)
    decay = xp.log(energies[1:] / energies[:-1])
    return xp.sum((decay + 0.05) ** 2) + 0.01 * energies[-1]


def bond_accrued_interest(xp, p):
    """Fixed income: a bond's dirty price on a trade date, the coupon dates a
    np.datetime64 schedule from np.arange with a np.timedelta64 step, the year fractions
    from business days by np.busday_count over 252, the yield and the spread the
    parameters; the accrued interest by the actual/365 count of days elapsed."""
    trade = np.datetime64("2026-02-17")
    coupons = np.arange(np.datetime64("2026-06-30"), np.datetime64("2030-07-01"),
                        np.timedelta64(182, "D"))
    years = np.busday_count(trade, coupons) / 252.0
    rate = 0.035 + 0.005 * xp.tanh(p[0]) + 0.001 * p[1]
    coupon = 2.5
    cash = np.full(coupons.size, coupon)
    cash[-1] += 100.0
    dirty = xp.sum(cash * xp.exp(-rate * years))
    elapsed = (trade - np.datetime64("2025-12-31")) / np.timedelta64(365, "D")
    accrued = coupon * 2.0 * elapsed
    return (dirty - accrued - 104.0) ** 2 / 10.0


def theil_sen_and_deming(xp, p):
    """Robust statistics: the Theil-Sen slope, the median of the pairwise slopes over
    np.triu_indices(k=1), beside the Deming regression slope for a given error-variance
    ratio, both of data that depend on the parameters."""
    x = np.linspace(0.0, 4.0, 7)
    y = 0.5 + (1.2 + 0.1 * p[0]) * x + 0.2 * xp.sin(x + p[1:8])
    first, second = np.triu_indices(x.size, k=1)
    slopes = (y[second] - y[first]) / (x[second] - x[first])
    theil_sen = xp.median(slopes)
    ratio = 1.5
    sxx = xp.var(x)
    syy = xp.var(y)
    sxy = xp.mean((x - x.mean()) * (y - xp.mean(y)))
    deming = (syy - ratio * sxx + xp.sqrt((syy - ratio * sxx) ** 2 + 4.0 * ratio * sxy ** 2)) \
        / (2.0 * sxy)
    return theil_sen ** 2 + deming ** 2 + theil_sen * deming


def genetic_toggle_switch(xp, p):
    """Systems biology: a genetic toggle switch, two repressors each inhibiting the
    other's production by a Hill function, integrated by Heun steps from an initial
    state on one side; the settled levels' contrast scored."""
    alpha = 4.0 * xp.exp(0.1 * p[:2])
    hill = 2.0 + 0.2 * xp.tanh(p[2])
    decay = 1.0 + 0.1 * xp.tanh(p[3])

    def rate(state):
        u, v = state[0], state[1]
        return xp.stack([alpha[0] / (1.0 + v ** hill) - decay * u,
                         alpha[1] / (1.0 + u ** hill) - decay * v])

    state = xp.stack([2.0 + 0.1 * p[4], 0.5 + 0.1 * p[5]])
    for _ in range(30):
        predictor = state + 0.1 * rate(state)
        state = state + 0.05 * (rate(state) + rate(predictor))
    return (state[0] - state[1] - 3.0) ** 2 + xp.sum(state)


def saturated_sensor_readings(xp, p):
    """Sensors: readings that saturated are +inf or -inf in the raw log, flagged by
    np.isposinf and np.isneginf, replaced on a copy of the calibrated readings by
    np.place with the rails, the two channels' disagreement by np.logical_xor of their
    flags, a robust average over the rest."""
    gain = 1.0 + 0.1 * p[:2]
    offset = 0.05 * p[2:4]
    finite = np.where(np.isfinite(_RAW_READINGS), _RAW_READINGS, 0.0)
    calibrated = gain[:, None] * finite + offset[:, None]
    high, low = np.isposinf(_RAW_READINGS), np.isneginf(_RAW_READINGS)
    clipped = calibrated.copy()
    np.place(clipped, high, 1.0 + 0.1 * xp.tanh(p[4]))
    np.place(clipped, low, -1.0)
    disagree = np.logical_xor(high | low, (high | low)[::-1])
    kept = xp.where(disagree, 0.0, clipped)
    return xp.sum(kept ** 2) + xp.sum(clipped * np.array([[1.0], [-0.5]]))


def gear_train_efficiency(xp, p):
    """Mechanics: a two-stage gear train, the hunting-tooth period of each mesh by
    np.lcm of the tooth counts in revolutions of the pinion, the output torque through
    mesh efficiencies that fall with the sliding at each mesh, matched to a load."""
    teeth = np.array([[17, 53], [19, 61]])
    period = np.lcm(teeth[:, 0], teeth[:, 1]) // teeth[:, 0]
    ratio = teeth[:, 1] / teeth[:, 0]
    friction = 0.05 * xp.exp(0.2 * p[:2])
    sliding = (1.0 / teeth[:, 0] + 1.0 / teeth[:, 1]) * np.pi
    efficiency = 1.0 - friction * sliding
    torque_in = 12.0 * (1.0 + 0.1 * p[2])
    torque_out = torque_in * xp.prod(ratio * efficiency)
    wear = xp.sum(friction * period / 100.0)
    return (torque_out - 120.0) ** 2 / 100.0 + wear


def thin_plate_spline_warp(xp, p):
    """Image registration: a thin-plate spline taking five landmarks to their moved
    positions, the kernel r^2 log r with its zero at r = 0 by np.log(where=, out=), the
    weights by np.linalg.solve of the bordered system, the bending energy and the warp
    of a test point."""
    moved = _LANDMARKS + 0.1 * p[:10].reshape(5, 2)
    distance2 = np.sum((_LANDMARKS[:, None] - _LANDMARKS[None]) ** 2, axis=-1)
    kernel = distance2 * np.log(distance2, where=distance2 > 0, out=np.zeros_like(distance2)) / 2
    affine = np.column_stack([np.ones(5), _LANDMARKS])
    system = np.block([[kernel, affine], [affine.T, np.zeros((3, 3))]])
    right = xp.concatenate([moved, np.zeros((3, 2))])
    solution = xp.linalg.solve(system, right)
    weights, coefficients = solution[:5], solution[5:]
    bending = xp.trace(weights.T @ kernel @ weights)
    point = np.array([0.3, 0.7])
    r2 = np.sum((_LANDMARKS - point) ** 2, axis=1)
    warped = np.array([1.0, *point]) @ coefficients + (r2 * np.log(r2) / 2) @ weights
    return bending + xp.sum((warped - np.array([0.35, 0.72])) ** 2)


def social_force_step(xp, p):
    """Pedestrian dynamics: a few social-force steps for four walkers, the pairwise
    repulsions exp(-d / range) along the unit separations with the self-pairs zeroed by
    np.fill_diagonal on a copy of the repulsions, a drive to each walker's goal."""
    start = np.array([[0.0, 0.0], [1.0, 0.2], [0.5, 1.0], [1.5, 1.2]])
    positions = start + 0.1 * p[:8].reshape(4, 2)
    goals = np.array([[3.0, 0.0], [-2.0, 0.5], [0.5, -2.0], [1.5, 3.0]])
    strength = 2.0 * xp.exp(0.1 * p[8])
    velocities = xp.zeros_like(positions)
    for _ in range(4):
        separation = positions[:, None, :] - positions[None, :, :]
        distance = xp.sqrt(xp.sum(separation ** 2, axis=-1) + 1e-9)
        repulsion = strength * xp.exp(-distance / 0.5)
        repulsion = repulsion.copy()
        np.fill_diagonal(repulsion, 0.0)
        push = xp.sum(repulsion[..., None] * separation / distance[..., None], axis=1)
        to_goal = goals - positions
        drive = to_goal / xp.linalg.norm(to_goal, axis=1, keepdims=True) - velocities
        velocities = velocities + 0.2 * (drive + push)
        positions = positions + 0.2 * velocities
    return xp.sum((positions - goals) ** 2) / 10.0


def gray_scott_pattern(xp, p):
    """Pattern formation: Gray-Scott reaction-diffusion on a wrapped 6x6 grid, the
    five-point Laplacian by np.roll with tuple shifts over tuple axes, the feed and
    kill rates the parameters; the pattern's contrast after a few steps."""
    grid = np.indices((6, 6)).sum(axis=0)
    seeded = grid % 3 == 0
    u = 1.0 - 0.5 * seeded + 0.05 * p[2] * (grid % 2)
    v = 0.25 * seeded + 0.01 * p[3] * (grid % 2)
    feed, kill = 0.037 + 0.005 * xp.tanh(p[0]), 0.06 + 0.005 * xp.tanh(p[1])

    def laplacian(field):
        return (xp.roll(field, (1, 0), axis=(0, 1)) + xp.roll(field, (-1, 0), axis=(0, 1))
                + xp.roll(field, (0, 1), axis=(0, 1)) + xp.roll(field, (0, -1), axis=(0, 1))
                - 4.0 * field)

    for _ in range(10):
        reaction = u * v ** 2
        u = u + (0.16 * laplacian(u) - reaction + feed * (1.0 - u))
        v = v + (0.08 * laplacian(v) + reaction - (feed + kill) * v)
    return xp.var(v) * 100.0 + xp.mean(u)


def bollinger_bands(xp, p):
    """Technical analysis: Bollinger bands over a rolling window by
    sliding_window_view(...).mean(axis=-1) and .std(axis=-1), the band's width a
    parameter, a smooth count of the closes outside the bands."""
    window = 5
    prices = _PRICES * (1.0 + 0.01 * xp.tanh(p[0]))
    rolling = np.lib.stride_tricks.sliding_window_view(prices, window)
    centre = rolling.mean(axis=-1)
    spread = rolling.std(axis=-1)
    width = 2.0 + 0.2 * xp.tanh(p[1])
    upper, lower = centre + width * spread, centre - width * spread
    close = prices[window - 1:]
    outside = 1.0 / (1.0 + xp.exp(-(close - upper) * 5.0)) + \
        1.0 / (1.0 + xp.exp(-(lower - close) * 5.0))
    return xp.sum(outside) + xp.mean(spread) * p[2]


def haar_compression(xp, p):
    """Signal compression: a three-level Haar transform by even and odd slices,
    averages and differences over sqrt(2), the details soft-thresholded by np.sign and
    np.maximum, the signal rebuilt and its distortion and sparsity scored."""
    n = 16
    t = np.arange(n) / n
    signal = xp.sin(2 * np.pi * t * (1.0 + 0.1 * p[0])) + 0.5 * (t > 0.5) * p[1]
    threshold = 0.1 * xp.exp(0.2 * p[2])
    approximation, details = signal, []
    for _ in range(3):
        even, odd = approximation[::2], approximation[1::2]
        details.append((even - odd) / np.sqrt(2.0))
        approximation = (even + odd) / np.sqrt(2.0)
    kept = [xp.sign(d) * xp.maximum(xp.abs(d) - threshold, 0.0) for d in details]
    for detail in kept[::-1]:
        even = (approximation + detail) / np.sqrt(2.0)
        odd = (approximation - detail) / np.sqrt(2.0)
        approximation = xp.stack([even, odd], axis=1).reshape(-1)
    sparsity = sum(xp.sum(xp.abs(d)) for d in kept)
    return xp.sum((approximation - signal) ** 2) + 0.1 * sparsity


def rotated_projections(xp, p):
    """Tomography: projections of a small volume along the four quarter turns about
    its first axis, each by np.rot90(k=, axes=(1, 2)) and a sum over the beam's axis,
    compared with measured projections by least squares."""
    volume = xp.exp(0.2 * p[:8].reshape(2, 2, 2)) * np.array([1.0, 2.0])
    measured = np.arange(1.0, 5.0).reshape(2, 2)
    misfit = 0.0
    for k in range(4):
        turned = xp.rot90(volume, k=k, axes=(1, 2))
        misfit = misfit + xp.sum((xp.sum(turned, axis=2) - measured - k) ** 2)
    return misfit / 10.0


def diet_log_barrier(xp, p):
    """Operations research: a diet problem (cheapest amounts of three foods meeting
    three nutrient minimums) by damped Newton steps on a log-barrier objective, each
    step by np.linalg.solve of the barrier's Hessian, halved while it would leave the
    feasible region (np.any of the slacks); the costs are the parameters."""
    cost = np.array([2.0, 3.0, 2.5]) * xp.exp(0.1 * p[:3])
    minimum = np.array([4.0, 3.0, 5.0])
    amount = np.array([3.0, 3.0, 3.0]) + 0.0 * cost
    barrier = 0.2
    for _ in range(12):
        slack = _NUTRIENTS @ amount - minimum
        gradient = cost - barrier * (_NUTRIENTS.T @ (1.0 / slack)) - barrier / amount
        hessian = barrier * (_NUTRIENTS.T * (1.0 / slack ** 2)) @ _NUTRIENTS \
            + barrier * xp.diag(1.0 / amount ** 2)
        step = xp.linalg.solve(hessian, gradient)
        scale = 1.0
        while (np.any(_NUTRIENTS @ (amount - scale * step) <= minimum)
               or np.any(amount - scale * step <= 0)):
            scale *= 0.5
        amount = amount - scale * step
    return cost @ amount


PROGRAMS = [
    # (program, parameters, whether HIPS autograd has every function it calls)
    (capon_spectrum, _rng.normal(size=4), False),  # no complex vdot rule
    (magnetotelluric_sounding, _rng.normal(size=5), False),  # no angle(deg=)
    (hardy_cross_network, _rng.normal(size=10), True),
    (karplus_strong_string, _rng.normal(size=3), True),
    (bond_accrued_interest, _rng.normal(size=2), True),
    (theil_sen_and_deming, _rng.normal(size=8), False),  # no median rule
    (genetic_toggle_switch, _rng.normal(size=6), True),
    (saturated_sensor_readings, _rng.normal(size=5), False),  # no .copy, np.place
    (gear_train_efficiency, _rng.normal(size=3), True),
    (thin_plate_spline_warp, _rng.normal(size=10), True),
    (social_force_step, _rng.normal(size=9), False),  # no .copy, fill_diagonal
    (gray_scott_pattern, _rng.normal(size=4), False),  # no roll of tuples
    (bollinger_bands, _rng.normal(size=3), False),  # no sliding_window_view
    (haar_compression, _rng.normal(size=3), True),
    (rotated_projections, _rng.normal(size=8), False),  # no rot90(axes=)
    (diet_log_barrier, _rng.normal(size=3), True),
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
