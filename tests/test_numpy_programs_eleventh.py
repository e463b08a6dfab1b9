"""An eleventh set of short NumPy programs, from domains and NumPy functions the earlier
rounds did not visit: physics (an orbit read in polar form by ``np.hypot`` and
``np.arctan2``, the angle wrapped by ``np.remainder``, ``np.divmod`` and ``np.modf``; a
spring chain by ``np.ediff1d`` with ``to_begin``/``to_end``; rapidities by
``np.arctanh``, ``np.arccosh`` and ``np.copysign``; a damped oscillator's complex modes
by ``np.emath.sqrt``; total internal reflection by ``np.emath.arcsin`` beyond the
critical angle), chemistry (Arrhenius rates on a ``np.geomspace`` grid; a weak acid's
equilibrium checked by ``np.polyval`` and ``np.polyder``), control (a discrete LTI
system by ``np.linalg.matrix_power`` with a negative power, a controllability matrix by
``np.hstack``), signals (``np.kaiser``, ``np.blackman`` and ``np.bartlett`` windows with
``np.fft.fft``, ``fftshift`` and ``fftfreq``; a low-pass by ``np.fft.irfft(n=)``; an
analytic signal by ``np.fft.ifft`` with its phase unwrapped; a circular convolution made
real by ``np.real_if_close``), images (bilinear sampling gathered through
``np.ravel_multi_index`` and ``np.unravel_index``; a weighted ``np.histogram2d``),
directional statistics (a von Mises likelihood with ``np.i0``), weighted statistics
(``np.average(returned=True)``, ``np.cov`` with ``fweights`` and ``aweights``,
``np.corrcoef``, ``np.ptp``, ``np.nanvar``, ``np.nanpercentile``, ``np.nanargmin``),
machine learning (top-2 gating by ``np.argpartition``, causal attention masked by
``np.triu(k=1)`` with ``np.max(where=, initial=)``), geometry (tetrahedra by batched
``np.linalg.det``, ``np.cross`` with ``axisa``/``axisb``/``axisc``), numerics
(``np.poly1d``, ``np.polyint(k=)``, ``np.polymul``, ``np.polydiv``, ``np.poly``,
``np.frexp``/``np.ldexp``, ``np.fmax``/``np.fmin`` over NaN, ``np.nan_to_num``,
``np.linalg.tensorsolve``/``tensorinv``, a boundary-value problem assembled by
``np.insert``, ``np.delete`` and ``np.append``), reliability (``np.multiply.reduce``,
``np.minimum.at``) and array plumbing (``np.lexsort`` and ``np.choose``,
``np.compress``, ``np.extract``, ``np.argwhere``, ``np.flatnonzero``, ``np.resize``,
``np.trim_zeros``, ``np.vsplit``, ``np.dsplit``, ``np.unstack``, NumPy 2's ``np.concat``,
``np.permute_dims``, ``np.pow``, ``np.matvec`` and ``np.linalg.vecdot``, ``np.ogrid``,
``np.fromfunction``, ``np.s_``, ``np.index_exp``).  Each is differentiated unchanged with
``ad.grad`` and checked as every round is (``numpy_program_checks``).  Four needed the
library fixed: ``np.real_if_close`` dropped the gradient (test_numpy_eleventh_findings.py),
``np.emath`` refused a complex result on the tape (test_scimath.py), complex ``arcsin``
took the other side's derivative on its branch cut (test_complex_branch_cuts.py), and
``r ** 3`` of a 0-d float32 Tensor was the ufunc's, not NumPy's scalar pow, in the last
bit (test_scalar_power.py).

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261211)
_SAMPLES = _rng.normal(size=(3, 9))
_ANGLES = np.array([0.2, 0.5, -0.3, 0.9, 0.1, 6.0, 0.4])
_GROUPS = np.array([1, 0, 1, 2, 0, 2, 1, 0])
_POINTS = _rng.uniform(0.0, 1.0, size=(2, 12))


def polar_orbit(xp, p):
    """A planet stepped by semi-implicit Euler in Cartesian coordinates, read back in
    polar form: the radius by np.hypot, the angle by np.arctan2, its steps wrapped into
    [-pi, pi) by np.remainder and summed, the completed turns by np.divmod and the
    fractions of turns by np.modf; the energy and the angular momentum at the end."""
    position = xp.stack([1.0 + 0.1 * p[0], 0.1 * p[1]])
    velocity = xp.stack([0.1 * p[2], 1.1 + 0.1 * p[3]])
    angles, radii = [], []
    for _ in range(30):
        r = xp.hypot(position[0], position[1])
        velocity = velocity - 0.2 * position / r ** 3
        position = position + 0.2 * velocity
        angles.append(xp.arctan2(position[1], position[0]))
        radii.append(r)
    unwrapped = xp.cumsum(xp.remainder(xp.diff(xp.stack(angles)) + np.pi, 2 * np.pi) - np.pi)
    turns, rest = xp.divmod(unwrapped[-1], 2 * np.pi)
    fraction, whole = xp.modf(unwrapped / (2 * np.pi))
    energy = 0.5 * (velocity ** 2).sum() - 1.0 / xp.hypot(position[0], position[1])
    momentum = position[0] * velocity[1] - position[1] * velocity[0]
    return (energy + momentum + rest + turns + fraction.sum() + 0.1 * whole.sum()
            + xp.std(xp.stack(radii)))


def spring_chain_energy(xp, p):
    """Masses on a line joined by springs, both ends fixed to walls: the extensions by
    np.ediff1d with the wall positions as to_begin and to_end, the elastic energy, the
    forces by np.diff of the tensions, and the velocity field by np.gradient with
    edge_order=2 on the non-uniform rest positions."""
    rest = np.array([1.0, 2.2, 3.1, 4.5, 5.4, 6.8])
    left_wall, right_wall = 0.0, 8.0
    natural_lengths = np.array([1.0, 1.2, 0.9, 1.4, 0.9, 1.4, 1.2])
    positions = rest + 0.1 * p[:6]
    extensions = xp.ediff1d(positions, to_begin=positions[0] - left_wall,
                            to_end=right_wall - positions[-1]) - natural_lengths
    stiffness = 1.0 + 0.5 * np.arange(7)
    tensions = stiffness * extensions
    forces = xp.diff(tensions)
    velocity = xp.gradient(positions * p[6:12], rest, edge_order=2)
    return 0.5 * (stiffness * extensions ** 2).sum() + (forces ** 2).sum() + (velocity ** 2).mean()


def relativistic_rapidities(xp, p):
    """Collinear velocities (in units of c) composed by adding rapidities from
    np.arctanh, the Lorentz factors by np.cosh and back by np.arccosh, and the
    signed speed restored by np.copysign."""
    velocities = 0.9 * xp.tanh(p[:5])
    rapidities = xp.arctanh(velocities)
    composed = xp.tanh(xp.cumsum(rapidities))
    gamma = 1.0 / xp.sqrt(1.0 - composed ** 2)
    speed_back = xp.tanh(xp.arccosh(gamma))
    signed = xp.copysign(speed_back, composed)
    kinetic = (gamma - 1.0) * (1.0 + 0.1 * p[5:10] ** 2)
    return kinetic.sum() + ((signed - composed) ** 2).sum() + gamma.max()


def arrhenius_rates(xp, p):
    """Rate constants k = A exp(-Ea / RT) on a np.geomspace grid of temperatures, a
    first-order decay integrated exactly per step, the half-life, and the apparent
    activation energy read back by a two-point slope of log k against 1/T."""
    log_prefactor, activation = 10.0 + p[0], 50e3 * (1.0 + 0.1 * p[1])
    temperatures = xp.geomspace(300.0, 400.0 + 10.0 * p[2] ** 2, 6)
    rates = xp.exp(log_prefactor - activation / (8.314 * temperatures))
    remaining = xp.cumprod(xp.exp(-rates * 0.5))
    half_life = xp.log(2.0) / rates
    slope = (xp.log(rates[-1]) - xp.log(rates[0])) / (1 / temperatures[-1] - 1 / temperatures[0])
    return remaining.sum() + xp.log(half_life).mean() - slope * 8.314 / 50e3


def weak_acid_equilibrium(xp, p):
    """A weak acid's [H+] from the quadratic x^2 + Ka x - Ka C = 0 by the stable form of
    the formula, checked by np.polyval of the stacked coefficients, the slope of the
    polynomial there by np.polyder, and the pH and degree of dissociation."""
    acidity, concentration = 1e-4 * xp.exp(p[0]), 0.01 * xp.exp(0.5 * p[1])
    coefficients = xp.stack([1.0, acidity, -acidity * concentration])
    root = 2 * acidity * concentration / (acidity + xp.sqrt(acidity ** 2
                                                            + 4 * acidity * concentration))
    residual = xp.polyval(coefficients, root)
    slope = xp.polyval(xp.polyder(coefficients), root)
    return -xp.log10(root) + root / concentration + 1e6 * residual + 100.0 * slope


def discrete_lti_system(xp, p):
    """A discrete state-space system x+ = A x + B u: the step response by repeated @,
    the same state from np.linalg.matrix_power, the initial state recovered by a
    negative matrix power, the controllability matrix by np.hstack and its
    determinant, and the steady-state gain by np.linalg.solve."""
    a = np.array([[0.9, 0.1], [-0.2, 0.8]]) + 0.05 * p[:4].reshape(2, 2)
    b = np.array([[0.0], [1.0]]) + 0.1 * p[4:6, None]
    state = np.zeros((2, 1))
    outputs = []
    for _ in range(8):
        state = a @ state + b
        outputs.append(state[0, 0])
    closed_form = xp.linalg.matrix_power(a, 8) @ b
    backwards = xp.linalg.matrix_power(a, -3) @ closed_form
    controllability = xp.hstack([b, a @ b])
    gain = xp.linalg.solve(np.eye(2) - a, b)
    return (xp.stack(outputs).sum() + closed_form.sum() + backwards.sum()
            + xp.linalg.det(controllability) + gain.sum())


def windowed_spectrum(xp, p):
    """A tone's power spectrum through Kaiser, Blackman and Bartlett windows by
    np.fft.fft, centred by np.fft.fftshift with frequencies from np.fft.fftfreq;
    the spectral centroid and the leakage outside the peak bins."""
    n = 16
    t = np.arange(n)
    tone = ((1.0 + 0.1 * p[0]) * xp.cos(2 * np.pi * (3.0 + 0.3 * p[1]) * t / n + p[2])
            + 0.1 * p[3:19])
    frequencies = np.fft.fftshift(np.fft.fftfreq(n, d=0.1))
    total = 0.0
    for window in (np.kaiser(n, 6.0), np.blackman(n), np.bartlett(n)):
        power = xp.abs(xp.fft.fftshift(xp.fft.fft(tone * window))) ** 2
        centroid = (xp.abs(frequencies) * power).sum() / power.sum()
        leakage = power[np.abs(np.abs(frequencies) - 1.875) > 0.7].sum() / power.sum()
        total = total + centroid + leakage
    return total


def lowpass_by_irfft(xp, p):
    """A noisy ramp low-passed by zeroing the high bins of np.fft.rfft and inverting
    with np.fft.irfft(n=) for an odd length, with norm='ortho' both ways; the energy
    kept and the smoothness of what comes back."""
    signal = np.linspace(0.0, 1.0, 11) + 0.2 * p[:11]
    spectrum = xp.fft.rfft(signal, norm="ortho")
    kept = spectrum * (np.arange(6) < 3)
    smooth = xp.fft.irfft(kept, n=11, norm="ortho")
    return (smooth ** 2).sum() + (xp.diff(smooth) ** 2).sum() + xp.abs(spectrum[1]) ** 2


def analytic_signal_phase(xp, p):
    """The analytic signal of a chirp by the FFT (negative frequencies zeroed, positive
    doubled, back by np.fft.ifft): the envelope by np.abs, the phase by np.angle and
    np.unwrap, the instantaneous frequency by np.diff of the phase."""
    n = 16
    t = np.arange(n) / n
    chirp = (1.0 + 0.2 * p[0] * t) * xp.cos(2 * np.pi * (2.0 + 0.2 * p[1]) * t
                                            + 6.0 * (1.0 + 0.1 * p[2]) * t ** 2)
    doubling = np.zeros(n)
    doubling[0], doubling[1:n // 2], doubling[n // 2] = 1.0, 2.0, 1.0
    analytic = xp.fft.ifft(xp.fft.fft(chirp) * doubling)
    envelope = xp.abs(analytic)
    phase = xp.unwrap(xp.angle(analytic))
    frequency = xp.diff(phase) * n / (2 * np.pi)
    return envelope.mean() + frequency.mean() + 0.1 * (frequency ** 2).mean()


def circular_convolution_made_real(xp, p):
    """A circular convolution of two real signals by the FFT: the product of spectra
    back by np.fft.ifft is complex with rounding-sized imaginary parts, which
    np.real_if_close drops, as a user checks before going on in real arithmetic."""
    signal, kernel = p[:8], xp.exp(-0.5 * (np.arange(8) - 3.5) ** 2 * (1.0 + 0.1 * p[8]))
    product = xp.fft.ifft(xp.fft.fft(signal) * xp.fft.fft(kernel))
    real = xp.real_if_close(product, tol=1000)
    return (real ** 2).sum() + real[0] * real[3]


def bilinear_sample_by_flat_indices(xp, p):
    """Bilinear sampling of an image at points moved by the parameters: the corners
    from np.floor, clipped, turned into flat indices by np.ravel_multi_index and
    gathered from the raveled image; one sample checked against np.unravel_index."""
    image = np.add.outer(np.sin(np.arange(5.0)), np.cos(np.arange(6.0))) * (1.0 + 0.1 * p[8])
    rows = np.array([0.5, 1.7, 2.2, 3.4]) + 0.2 * xp.tanh(p[:4])
    cols = np.array([1.2, 3.6, 0.4, 4.1]) + 0.2 * xp.tanh(p[4:8])
    r0 = xp.clip(xp.floor(rows), 0, 3).astype(int)
    c0 = xp.clip(xp.floor(cols), 0, 4).astype(int)
    fr, fc = rows - r0, cols - c0
    flat = image.ravel()
    corners = [flat[np.ravel_multi_index((r0 + dr, c0 + dc), image.shape)]
               for dr in (0, 1) for dc in (0, 1)]
    sample = ((1 - fr) * (1 - fc) * corners[0] + (1 - fr) * fc * corners[1]
              + fr * (1 - fc) * corners[2] + fr * fc * corners[3])
    brightest = image[np.unravel_index(np.argmax(image), image.shape)]
    return (sample ** 2).sum() + brightest


def weighted_histogram2d(xp, p):
    """A 2-D density map of fixed points whose weights are the parameters (softplus),
    by np.histogram2d with density=True, and the marginal along one axis by
    np.histogramdd; the map's entropy."""
    weights = xp.log1p(xp.exp(p[:12]))
    grid, _, _ = xp.histogram2d(_POINTS[0], _POINTS[1], bins=3, range=[[0, 1], [0, 1]],
                                weights=weights, density=True)
    marginal, _ = xp.histogramdd(_POINTS[:1].T, bins=(4,), range=[(0, 1)], weights=weights)
    cells = grid / grid.sum() + 1e-3
    return -(cells * xp.log(cells)).sum() + (marginal ** 2).sum() / weights.sum() ** 2


def von_mises_likelihood(xp, p):
    """The negative log-likelihood of wind directions under a von Mises distribution
    with mean and concentration from the parameters: the normaliser by np.i0, and
    the mean resultant length for comparison."""
    mean, concentration = p[0], xp.exp(p[1])
    nll = -(concentration * xp.cos(_ANGLES - mean)).sum() + _ANGLES.size * xp.log(
        2 * np.pi * xp.i0(concentration))
    resultant = xp.hypot(xp.cos(_ANGLES * (1.0 + 0.1 * p[2])).mean(),
                         xp.sin(_ANGLES * (1.0 + 0.1 * p[2])).mean())
    return nll + resultant


def weighted_statistics(xp, p):
    """Weighted and NaN-aware statistics of samples the parameters scale:
    np.average with weights and returned=True, np.cov with frequency and analytic
    weights, np.corrcoef, np.ptp, np.nanvar(ddof=1), np.nanpercentile and the value at
    np.nanargmin."""
    samples = _SAMPLES * (1.0 + 0.1 * p[:3, None]) + 0.1 * p[3:12]
    average, total_weight = xp.average(samples, axis=1, weights=np.arange(1.0, 10.0),
                                       returned=True)
    covariance = xp.cov(samples, fweights=np.array([1, 2, 1, 1, 3, 1, 2, 1, 1]),
                        aweights=np.linspace(0.5, 1.5, 9))
    correlation = xp.corrcoef(samples)
    spread = xp.ptp(samples, axis=1)
    missing = np.array([0, 1, 0, 0, 0, 1, 0, 0, 0], dtype=bool)
    gaps = xp.where(missing, np.nan, samples[0])
    return (average @ np.array([1.0, -1.0, 0.5]) + total_weight.sum() * 0.01
            + xp.trace(covariance) + correlation[0, 1] + correlation[1, 2] + spread.sum()
            + xp.nanvar(gaps, ddof=1) + xp.nanpercentile(gaps, 30)
            + gaps[xp.nanargmin(gaps)])


def mixture_of_experts_gate(xp, p):
    """Top-2 gating of a mixture of experts: each input's best two experts by
    np.argpartition, their gate logits gathered with np.take_along_axis and
    renormalised by a softmax over the two; the outputs of linear experts mixed."""
    inputs = _SAMPLES[:, :4].T
    gate_weights = p[:6].reshape(3, 2)
    expert_scales = 1.0 + 0.1 * p[6:8]
    logits = inputs @ xp.concatenate([gate_weights, gate_weights.sum(axis=1, keepdims=True)],
                                     axis=1)
    top = xp.argpartition(-logits, 2, axis=1)[:, :2]
    chosen = xp.take_along_axis(logits, top, axis=1)
    gates = xp.exp(chosen - chosen.max(axis=1, keepdims=True))
    gates = gates / gates.sum(axis=1, keepdims=True)
    expert_outputs = xp.concatenate([inputs[:, :2] * expert_scales, inputs[:, 2:3]], axis=1)
    mixed = (gates * xp.take_along_axis(expert_outputs, top, axis=1)).sum(axis=1)
    return (mixed ** 2).sum() + 0.01 * (gate_weights ** 2).sum()


def causal_attention(xp, p):
    """Single-head causal self-attention: scores masked above the diagonal by
    np.triu(..., k=1), the row maxima by np.max(where=, initial=) over the allowed
    entries only, a softmax zeroed outside them by np.where, the attended values and
    the attention entropy."""
    x = _SAMPLES[:, :5].T
    wq, wk = p[:6].reshape(3, 2), p[6:12].reshape(3, 2)
    q, k = x @ wq, x @ wk
    scores = q @ k.T / np.sqrt(2.0)
    allowed = ~np.triu(np.ones((5, 5), dtype=bool), k=1)
    row_max = xp.max(scores, axis=1, where=allowed, initial=-np.inf, keepdims=True)
    weights = xp.where(allowed, xp.exp(scores - row_max), 0.0)
    weights = weights / weights.sum(axis=1, keepdims=True)
    attended = weights @ x
    return (attended ** 2).sum() + (weights * xp.log(weights + 1e-12)).sum()


def tetrahedra_geometry(xp, p):
    """Two tetrahedra on one base whose apexes move with the parameters: signed volumes
    by batched np.linalg.det, the normals of a side face by np.cross of edges stored as
    columns (axisa=0, axisb=0, axisc=0), and the angle of that face to the base by
    np.arctan2 of |n x n_base| and n . n_base."""
    base = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    apexes = np.array([[0.3, 0.3, 1.0], [0.2, 0.5, -0.8]]) + 0.2 * p[:6].reshape(2, 3)
    edges = xp.stack([apexes - base[0], xp.broadcast_to(base[1] - base[0], (2, 3)),
                      xp.broadcast_to(base[2] - base[0], (2, 3))], axis=1)
    volumes = xp.linalg.det(edges) / 6.0
    columns = xp.moveaxis(edges, 0, 2)               # (edge, coordinate, tetrahedron)
    normals = xp.cross(columns[0], columns[1], axisa=0, axisb=0, axisc=0).T
    base_normal = np.array([0.0, 0.0, 1.0])
    sines = xp.linalg.norm(xp.cross(normals, base_normal), axis=1)
    dihedral = xp.arctan2(sines, normals @ base_normal)
    return (volumes ** 2).sum() + dihedral.sum() + volumes[0] * volumes[1]


def damped_oscillator_modes(xp, p):
    """The characteristic roots of m x'' + c x' + k x = 0 for a set of dampings, some
    below critical: (-c +- np.emath.sqrt(c^2 - 4 m k)) / 2m is complex there and real
    elsewhere; the decay rates from the real parts, the ringing frequencies from the
    imaginary parts, the quality factors."""
    mass, stiffness = 1.0 + 0.1 * p[0] ** 2, 4.0 * xp.exp(0.1 * p[1])
    damping = np.array([0.5, 1.5, 3.0, 5.0, 6.0]) * (1.0 + 0.1 * p[2:7])
    discriminant = damping ** 2 - 4 * mass * stiffness
    root = xp.emath.sqrt(discriminant)
    slow = (-damping + root) / (2 * mass)
    decay = -xp.real(slow)
    ringing = xp.abs(xp.imag(slow))
    quality = xp.sqrt(mass * stiffness) / damping
    return decay.sum() + ringing.sum() + quality.sum() + xp.abs(root).mean()


def total_internal_reflection(xp, p):
    """Light leaving glass at angles around the critical one: the refraction angle by
    Snell's law with np.emath.arcsin, complex beyond the critical angle; the Fresnel
    s- and p-amplitudes from the complex cosine, the reflectance (1 where all light is
    reflected), the Goos-Haenchen-like phase by np.angle and the evanescent decay."""
    glass, air = 1.5 + 0.05 * p[0], 1.0
    incidence = np.array([0.3, 0.6, 0.8, 0.9, 1.1, 1.3]) + 0.05 * xp.tanh(p[1:7])
    refracted = xp.emath.arcsin(glass / air * xp.sin(incidence))
    cos_in, cos_out = xp.cos(incidence), xp.cos(refracted)
    r_s = (glass * cos_in - air * cos_out) / (glass * cos_in + air * cos_out)
    r_p = (air * cos_in - glass * cos_out) / (air * cos_in + glass * cos_out)
    reflectance = xp.abs(r_s) ** 2 + xp.abs(r_p) ** 2
    phase = xp.angle(r_s) - xp.angle(r_p)
    decay = xp.abs(xp.imag(cos_out))
    return reflectance.sum() + (phase ** 2).sum() + decay.sum() + xp.real(refracted).sum()


def polynomial_toolbox(xp, p):
    """NumPy's polynomial functions on coefficient arrays from the parameters:
    np.poly1d evaluated and differentiated, np.polyint with an integration constant,
    np.polymul and np.polyadd, np.polydiv's quotient and remainder, and the monic
    polynomial of given roots by np.poly."""
    a, b = p[:4], xp.concatenate([np.ones(1), p[4:6]])
    cubic = xp.poly1d(a)
    value, slope = cubic(0.7), cubic.deriv()(0.7)
    area = xp.polyval(xp.polyint(a, k=p[6]), 1.0) - xp.polyval(xp.polyint(a, k=p[6]), -1.0)
    product = xp.polymul(a, b)
    total = xp.polyadd(a, b)
    quotient, remainder = xp.polydiv(product + xp.concatenate([np.zeros(4), p[6:8]]), b)
    monic = xp.poly(p[8:11])
    return (value + slope + area + xp.polyval(total, 0.3) + (quotient ** 2).sum()
            + (remainder ** 2).sum() + xp.polyval(monic, 0.5))


def floating_point_parts(xp, p):
    """Floating-point plumbing: values normalised by their binary exponent with
    np.frexp and rebuilt by np.ldexp, NaN-tolerant envelopes by np.fmax and np.fmin,
    NaN and infinity replaced by np.nan_to_num, and np.copysign, np.fabs and np.signbit
    for a sign-magnitude split."""
    values = 3.0 * p[:6]
    mantissa, exponent = xp.frexp(values)
    rebuilt = xp.ldexp(mantissa, exponent)
    with np.errstate(divide="ignore", invalid="ignore"):
        readings = xp.log(values)                      # NaN below zero, -inf at zero
    upper = xp.fmax(readings, values - 1.0)
    lower = xp.fmin(readings, 0.5 * values)
    cleaned = xp.nan_to_num(readings, nan=0.0, neginf=-10.0)
    magnitude = xp.fabs(values)
    signed = xp.copysign(magnitude ** 1.5, values)
    negative = xp.signbit(values)
    return ((mantissa ** 2).sum() + (rebuilt * p[6:12]).sum() + upper.sum() + lower.sum()
            + cleaned.sum() + signed.sum() + magnitude[negative].sum())


def tensor_equations(xp, p):
    """A 2x2-image-to-2x2-image linear operator stored as a (2, 2, 2, 2) tensor: an image
    recovered by np.linalg.tensorsolve, the operator inverted by np.linalg.tensorinv,
    and the two compared through np.tensordot."""
    operator = (np.eye(4) + 0.2 * xp.outer(xp.tanh(p[:4]), xp.tanh(p[4:8]))).reshape(2, 2, 2, 2)
    observed = np.array([[1.0, 0.5], [-0.3, 0.8]]) + 0.1 * p[8:12].reshape(2, 2)
    image = xp.linalg.tensorsolve(operator, observed)
    inverse = xp.linalg.tensorinv(operator, ind=2)
    again = xp.tensordot(inverse, observed, axes=2)
    return (image ** 2).sum() + ((image - again) ** 2).sum() + inverse[0, 1].sum()


def boundary_value_by_insert(xp, p):
    """u'' = f on [0, 1] with u(0) = a, u(1) = b by finite differences: the interior
    solved by np.linalg.solve with the boundary values moved to the right-hand side, the
    solution assembled by np.insert and np.append; one node dropped by np.delete for a
    leave-one-out interpolation error."""
    n, h = 7, 1.0 / 8
    left, right = p[0], 1.0 + p[1]
    forcing = xp.sin(np.linspace(h, 1 - h, n) * (2.0 + p[2])) + 0.1 * p[3:10]
    matrix = (np.diag(np.full(n, -2.0)) + np.diag(np.ones(n - 1), 1)
              + np.diag(np.ones(n - 1), -1)) / h ** 2
    rhs = forcing - xp.concatenate([left[None], np.zeros(n - 2), right[None]]) / h ** 2
    interior = xp.linalg.solve(matrix, rhs)
    solution = xp.append(xp.insert(interior, 0, left), right)
    grid = np.linspace(0.0, 1.0, n + 2)
    without = xp.delete(solution, 4)
    predicted = xp.interp(grid[4], xp.delete(grid, 4), without)
    return (solution ** 2).sum() + (predicted - solution[4]) ** 2


def reliability_of_systems(xp, p):
    """Component reliabilities from the parameters (a logistic): a series system by
    np.multiply.reduce, parallel ones by one minus the product of failures, and the
    weakest component per subsystem by np.minimum.at into a Tensor of ones."""
    reliability = 1.0 / (1.0 + xp.exp(-(2.0 + p[:8])))
    blocks = reliability.reshape(2, 4)
    series = xp.multiply.reduce(blocks, axis=1)
    parallel = 1.0 - xp.multiply.reduce(1.0 - blocks, axis=0)
    weakest = xp.ones_like(reliability, shape=(3,))
    xp.minimum.at(weakest, _GROUPS, reliability)
    return series.sum() + xp.log(parallel).sum() + weakest @ np.array([1.0, 2.0, 3.0])


def league_table(xp, p):
    """A league table: teams ordered by np.lexsort by points, ties broken by goal
    difference (the last key sorts first), ratings gathered in that order, and each
    team's bonus picked from three schedules by np.choose with its rank band."""
    ratings = p[:6]
    points = np.array([10, 12, 10, 7, 12, 7])
    goal_difference = xp.round(ratings * 4)
    order = xp.lexsort((goal_difference, points))[::-1]
    ranked = ratings[order]
    band = np.array([0, 0, 1, 1, 2, 2])
    bonus = xp.choose(band, [ranked ** 2, 0.5 * ranked, xp.exp(-ranked)])
    return bonus.sum() + ranked[0] + (ranked * np.arange(6)).sum()


def selections_by_condition(xp, p):
    """The selection helpers: np.compress and np.extract under a condition on the data,
    np.argwhere and np.flatnonzero for the indices, np.where with one argument, a
    boolean-mask assignment, np.ix_ for a sub-block and a fancy index mixed with a
    slice."""
    values = p[:12]
    positive = values > 0
    kept = xp.compress(positive, values)
    extracted = xp.extract(values < -0.5, values)
    grid = values.reshape(3, 4)
    rows = xp.argwhere(grid > 0.3)
    flat = xp.flatnonzero(grid < 0)
    (where_rows,) = xp.where(grid.sum(axis=1) > -1.0)
    clipped = values.copy()
    clipped[~positive] = 0.1 * clipped[~positive] ** 2
    block = grid[np.ix_([0, 2], [1, 3])]
    mixed = grid[[2, 0], 1:3]
    return ((kept ** 2).sum() + extracted.sum() + grid[rows[:, 0], rows[:, 1]].sum()
            + values[flat].sum() + grid[where_rows].mean() + clipped.sum()
            + (block * mixed).sum())


def periodic_tiling(xp, p):
    """A pattern repeated to a longer length by np.resize, its trailing silence cut by
    np.trim_zeros after a ReLU, a tile repeated with per-entry counts by np.repeat, and
    np.tile of a 2-D motif."""
    motif = p[:5]
    repeated = xp.resize(motif, (3, 4))
    active = xp.maximum(xp.concatenate([motif, np.zeros(3)]), 0.0)
    trimmed = xp.trim_zeros(active, trim="b")
    stretched = xp.repeat(motif, np.array([1, 3, 0, 2, 1]))
    tiled = xp.tile(motif[:2].reshape(1, 2), (2, 3))
    return (((repeated @ np.arange(4.0)) ** 2).sum() + trimmed.sum() + xp.var(stretched)
            + tiled.sum())


def splits_and_array_api(xp, p):
    """Splitting and the array-API names of NumPy 2: np.vsplit and np.dsplit, np.unstack,
    np.array_split into uneven parts, rejoined by np.concat, np.permute_dims of a 3-D
    block, np.pow, np.matvec and np.linalg.vecdot."""
    block = p[:12].reshape(2, 3, 2)
    top, bottom = xp.vsplit(p[:12].reshape(4, 3), 2)
    left, right = xp.dsplit(block, 2)
    first, second = xp.unstack(block)
    parts = xp.array_split(p[:12], 5)
    joined = xp.concat([parts[4], parts[0]])
    moved = xp.permute_dims(block, (2, 0, 1))
    squared = xp.pow(moved, 2)
    product = xp.matvec(top, bottom[0])
    dots = xp.linalg.vecdot(first, second, axis=0)
    return (product.sum() + (left * right).sum() + joined @ joined + squared[1].sum()
            + dots.sum())


def index_tricks(xp, p):
    """NumPy's index tricks on a field whose amplitude and centre are parameters:
    open grids by np.ogrid, a weight map by np.fromfunction, regions named by np.s_
    and np.index_exp, and np.indices for the grid's moments."""
    rows, cols = np.ogrid[0:5, 0:6]
    field = p[0] * xp.exp(-((rows - 2.0 - p[1]) ** 2 + (cols - 2.5 - p[2]) ** 2) / 4.0)
    weights = np.fromfunction(lambda i, j: 1.0 + i * j / 10.0, (5, 6))
    inner = np.s_[1:-1, 1:-1]
    left_half = np.index_exp[:, :3]
    row_index, col_index = np.indices((5, 6))
    mass = field.sum()
    centre_row = (row_index * field).sum() / mass
    return ((field * weights)[inner].sum() + field[left_half].mean() + centre_row
            + (col_index * field).sum() / mass)


#: (program, parameters, whether HIPS autograd has every function the program calls)
PROGRAMS = [
    (polar_orbit, _rng.normal(size=4), False),
    (spring_chain_energy, _rng.normal(size=12), False),
    (relativistic_rapidities, _rng.normal(size=10), False),
    (arrhenius_rates, _rng.normal(size=3), False),
    (weak_acid_equilibrium, _rng.normal(size=2), False),
    (discrete_lti_system, _rng.normal(size=6), False),
    (windowed_spectrum, _rng.normal(size=19), True),
    (lowpass_by_irfft, _rng.normal(size=11), False),
    (analytic_signal_phase, _rng.normal(size=3), False),
    (circular_convolution_made_real, _rng.normal(size=9), False),
    (bilinear_sample_by_flat_indices, _rng.normal(size=9), True),
    (weighted_histogram2d, _rng.normal(size=12), False),
    (von_mises_likelihood, _rng.normal(size=3), False),
    (weighted_statistics, _rng.normal(size=12), False),
    (mixture_of_experts_gate, _rng.normal(size=8), False),
    (causal_attention, _rng.normal(size=12), True),
    (tetrahedra_geometry, _rng.normal(size=6), True),
    (damped_oscillator_modes, _rng.normal(size=7), False),
    (total_internal_reflection, _rng.normal(size=7), False),
    (polynomial_toolbox, _rng.normal(size=11), False),
    (floating_point_parts, _rng.normal(size=12), False),
    (tensor_equations, _rng.normal(size=12), False),
    (boundary_value_by_insert, _rng.normal(size=10), False),
    (reliability_of_systems, _rng.normal(size=8), False),
    (league_table, _rng.normal(size=6), True),
    (selections_by_condition, _rng.normal(size=12), False),
    (periodic_tiling, _rng.normal(size=5), False),
    (splits_and_array_api, _rng.normal(size=12), False),
    (index_tricks, _rng.normal(size=3), True),
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
