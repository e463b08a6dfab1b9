"""A twenty-first set of short NumPy programs, from domains and NumPy calls the earlier
rounds did not visit (continued in test_numpy_programs_twentyfirst_more.py):
shape analysis (orthogonal Procrustes alignment by ``np.linalg.svd``), geodesy
(Vincenty's inverse problem by fixed iterations), speech (MFCCs: a ``np.hanning``
frame, an ``np.fft.rfft(norm='ortho')`` power spectrum, a mel filterbank and a DCT-II
matrix by ``np.fromfunction``), clustering (a Gaussian mixture's E-step and expected
log-likelihood in log space), image restoration (Wiener deconvolution by
``np.fft.fft``/``ifft(norm='forward')``), statistical physics (the mean-field
three-state Potts ring by ``np.roll``), bioprocess engineering (a Monod chemostat by
Euler steps), hydrology of extremes (a Gumbel fit and its return levels by
``np.log(-np.log(.))``), peaks over a threshold (the generalized Pareto likelihood by
``np.log1p``), survival analysis (a weighted Kaplan-Meier curve by ``np.cumprod`` of
reversed risk sets and the restricted mean by ``np.ediff1d(to_begin=)``), molecular
mechanics (a Morse chain over ``np.triu_indices_from``), plasma physics (Yukawa
screening between two species picked by ``np.ix_``), laser optics (a Gaussian beam's
complex q-parameter through ABCD matrices, its radius by ``np.imag``), polarimetry
(Mueller matrices on a Stokes vector by ``np.linalg.multi_dot``) and glass optics
(Sellmeier dispersion, the group index by ``np.gradient``).  Each is differentiated
unchanged with ``ad.grad`` and checked as every round is (``numpy_program_checks``),
float32 included.

Every program here ran unchanged; in the second file all but three did (an
``np.vectorize`` on float32 parameters, and SciPy's ``betaln``, ``rel_entr`` and
``entr`` on Tensors, fixed: test_numpy_twentyfirst_findings.py,
test_scipy_special.py).

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261221)
_SHAPE = _rng.normal(size=(6, 2))
_ANGLE = 0.7
_TARGET = _SHAPE @ np.array([[np.cos(_ANGLE), -np.sin(_ANGLE)],
                             [np.sin(_ANGLE), np.cos(_ANGLE)]]) + 0.05 * _rng.normal(size=(6, 2))
_SAMPLES = np.concatenate([_rng.normal(-2.0, 0.6, 10), _rng.normal(1.0, 0.8, 14)])
_MAXIMA = np.array([312.0, 287.0, 405.0, 350.0, 298.0, 512.0, 330.0, 276.0, 389.0, 441.0])
_FLOWS = np.array([3.1, 7.4, 2.2, 12.6, 4.8, 9.9, 1.4, 15.3, 5.5, 8.1, 2.9, 21.0])
_TIMES = np.array([2.0, 3.0, 3.0, 5.0, 7.0, 8.0, 11.0, 12.0, 15.0, 16.0])
_EVENTS = np.array([1, 1, 0, 1, 0, 1, 1, 0, 1, 1])


def procrustes_alignment(xp, p):
    """Shape analysis: a landmark shape, moved by the parameters, aligned to a target
    by the orthogonal Procrustes rotation ``U @ Vt`` from ``np.linalg.svd`` of the
    cross-covariance; the residual after alignment."""
    shape = _SHAPE + 0.1 * xp.reshape(p, (6, 2))
    centred = shape - xp.mean(shape, axis=0)
    target = _TARGET - _TARGET.mean(axis=0)
    u, _, vt = xp.linalg.svd(centred.T @ target, full_matrices=False)
    rotated = centred @ (u @ vt)
    return xp.sum((rotated - target) ** 2)


def vincenty_inverse(xp, p):
    """Geodesy: Vincenty's inverse problem on the WGS84 ellipsoid, the geodesic
    distance between two points by six fixed iterations of the longitude on the
    auxiliary sphere; the points' latitudes and longitudes the parameters."""
    a, f = 6378137.0, 1 / 298.257223563
    b = (1 - f) * a
    lat1, lon1 = np.radians(40.0) + 0.1 * p[0], np.radians(-3.0) + 0.1 * p[1]
    lat2, lon2 = np.radians(48.0) + 0.1 * p[2], np.radians(2.3) + 0.1 * p[3]
    u1 = xp.arctan((1 - f) * xp.tan(lat1))
    u2 = xp.arctan((1 - f) * xp.tan(lat2))
    gap = lon2 - lon1
    lam = gap
    for _ in range(6):
        sin_sigma = xp.sqrt((xp.cos(u2) * xp.sin(lam)) ** 2
                            + (xp.cos(u1) * xp.sin(u2)
                               - xp.sin(u1) * xp.cos(u2) * xp.cos(lam)) ** 2)
        cos_sigma = xp.sin(u1) * xp.sin(u2) + xp.cos(u1) * xp.cos(u2) * xp.cos(lam)
        sigma = xp.arctan2(sin_sigma, cos_sigma)
        sin_alpha = xp.cos(u1) * xp.cos(u2) * xp.sin(lam) / sin_sigma
        cos2_alpha = 1 - sin_alpha ** 2
        cos_2sm = cos_sigma - 2 * xp.sin(u1) * xp.sin(u2) / cos2_alpha
        c = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha))
        lam = gap + (1 - c) * f * sin_alpha * (
            sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm ** 2)))
    u_sq = cos2_alpha * (a ** 2 - b ** 2) / b ** 2
    big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    delta = big_b * sin_sigma * (cos_2sm + big_b / 4 * (
        cos_sigma * (-1 + 2 * cos_2sm ** 2)
        - big_b / 6 * cos_2sm * (-3 + 4 * sin_sigma ** 2) * (-3 + 4 * cos_2sm ** 2)))
    return b * big_a * (sigma - delta) / 1e6


def _mel_filterbank(bins, sample_rate, count):
    """Triangular filters equally spaced on the mel scale over ``bins`` rfft bins."""
    to_mel = lambda hz: 2595.0 * np.log10(1.0 + hz / 700.0)  # noqa: E731
    edges_mel = np.linspace(0.0, to_mel(sample_rate / 2), count + 2)
    edges = 700.0 * (10.0 ** (edges_mel / 2595.0) - 1.0)
    frequencies = np.linspace(0.0, sample_rate / 2, bins)
    rising = (frequencies - edges[:-2, None]) / (edges[1:-1, None] - edges[:-2, None])
    falling = (edges[2:, None] - frequencies) / (edges[2:, None] - edges[1:-1, None])
    return np.maximum(0.0, np.minimum(rising, falling))


_MEL = _mel_filterbank(33, 8000.0, 8)
_DCT = np.fromfunction(lambda k, n: np.cos(np.pi * k * (2 * n + 1) / 16), (5, 8))


def mfcc_features(xp, p):
    """Speech: the first five mel-frequency cepstral coefficients of a 64-sample frame
    of three partials, windowed by np.hanning, the power spectrum by
    np.fft.rfft(norm='ortho'), eight mel filters and a DCT-II matrix built by
    np.fromfunction; the partials' amplitudes and frequencies the parameters."""
    t = np.arange(64) / 8000.0
    amplitudes = xp.exp(0.3 * p[:3])
    frequencies = np.array([300.0, 1100.0, 2500.0]) * xp.exp(0.05 * p[3:6])
    frame = xp.sum(amplitudes[:, None] * xp.sin(2 * np.pi * frequencies[:, None] * t), axis=0)
    power = xp.abs(xp.fft.rfft(frame * np.hanning(64), norm="ortho")) ** 2
    mfcc = _DCT @ xp.log(_MEL @ power + 1e-3)
    return xp.sum(mfcc ** 2) / 100.0


def gaussian_mixture_em(xp, p):
    """Clustering: a two-component 1-D Gaussian mixture, the E-step's responsibilities
    by a max-shifted log-sum-exp with keepdims, and the expected complete-data
    log-likelihood plus the entropy of the responsibilities (the EM lower bound)."""
    means = np.array([-1.5, 0.5]) + p[:2]
    log_sd = 0.2 * p[2:4]
    log_weights = p[4:6] - xp.log(xp.sum(xp.exp(p[4:6])))
    z = (_SAMPLES[:, None] - means) / xp.exp(log_sd)
    joint = log_weights - log_sd - 0.5 * z ** 2 - 0.5 * np.log(2 * np.pi)
    top = xp.max(joint, axis=1, keepdims=True)
    log_evidence = top + xp.log(xp.sum(xp.exp(joint - top), axis=1, keepdims=True))
    responsibilities = xp.exp(joint - log_evidence)
    return xp.sum(responsibilities * (joint - xp.log(responsibilities)))


def wiener_deconvolution(xp, p):
    """Image restoration: a 1-D signal blurred by a Gaussian kernel and restored by the
    Wiener filter ``conj(H) / (|H|^2 + K)`` in the Fourier domain, the inverse by
    np.fft.ifft(norm='forward') against np.fft.fft(norm='forward'); the kernel's width
    and the noise-to-signal ratio the parameters."""
    n = 32
    truth = (np.abs(np.arange(n) - 12) < 4).astype(float) + 0.5 * np.sin(np.arange(n) / 3.0)
    offsets = np.minimum(np.arange(n), n - np.arange(n))
    kernel = xp.exp(-0.5 * (offsets / (1.5 * xp.exp(0.2 * p[0]))) ** 2)
    kernel = kernel / xp.sum(kernel)
    observed_kernel = np.exp(-0.5 * (offsets / 1.7) ** 2)
    observed = np.real(np.fft.ifft(np.fft.fft(truth) * np.fft.fft(observed_kernel
                                                                   / observed_kernel.sum())))
    transfer = xp.fft.fft(kernel, norm="forward") * n
    wiener = xp.conj(transfer) / (xp.abs(transfer) ** 2 + 0.01 * xp.exp(p[1]))
    restored = xp.real(xp.fft.ifft(xp.fft.fft(observed, norm="forward") * wiener,
                                   norm="forward"))
    return xp.sum((restored - truth) ** 2)


def potts_mean_field(xp, p):
    """Statistical physics: the mean-field three-state Potts model on a ring of eight
    sites, the site marginals by damped fixed-point softmax updates of the neighbours'
    marginals (np.roll), and the mean-field free energy; the coupling and the sites'
    fields the parameters."""
    coupling = 0.8 * xp.exp(0.2 * p[0])
    fields = 0.3 * xp.reshape(p[1:], (8, 3))
    marginals = np.full((8, 3), 1.0 / 3.0)
    for _ in range(12):
        local = fields + coupling * (xp.roll(marginals, 1, axis=0) + xp.roll(marginals, -1, axis=0))
        update = xp.exp(local - xp.max(local, axis=1, keepdims=True))
        marginals = 0.5 * marginals + 0.5 * update / xp.sum(update, axis=1, keepdims=True)
    energy = -xp.sum(fields * marginals) \
        - coupling * xp.sum(marginals * xp.roll(marginals, 1, axis=0))
    return energy + xp.sum(marginals * xp.log(marginals))


def monod_chemostat(xp, p):
    """Bioprocess engineering: a chemostat with Monod growth, biomass and substrate by
    120 Euler steps; the maximum growth rate, half-saturation constant and yield the
    parameters, the squared gap to steady readings the output."""
    mu_max = 0.6 * xp.exp(0.2 * p[0])
    half_saturation = 0.5 * xp.exp(0.2 * p[1])
    yield_ = 0.4 / (1.0 + xp.exp(-p[2])) + 0.2
    dilution, feed, dt = 0.25, 10.0, 0.1
    biomass, substrate = 0.5, feed
    readings = []
    for step in range(120):
        growth = mu_max * substrate / (half_saturation + substrate) * biomass
        biomass = biomass + dt * (growth - dilution * biomass)
        substrate = substrate + dt * (dilution * (feed - substrate) - growth / yield_)
        if step % 30 == 29:
            readings.append(biomass)
    return xp.sum((xp.stack(readings) - 3.2) ** 2)


def gumbel_extremes(xp, p):
    """Hydrology of extremes: a Gumbel fit to ten annual peak flows by its negative
    log-likelihood, plus the squared 100-year return level from the quantile
    ``mu - beta * log(-log(1 - 1/T))`` against a design value."""
    location = 330.0 + 20.0 * p[0]
    scale = 50.0 * xp.exp(0.2 * p[1])
    z = (_MAXIMA - location) / scale
    nll = xp.sum(xp.log(scale) + z + xp.exp(-z))
    return_level = location - scale * np.log(-np.log(1 - 1 / 100.0))
    return nll + ((return_level - 560.0) / 100.0) ** 2


def pareto_peaks_over_threshold(xp, p):
    """Peaks over a threshold: the excesses of daily flows over 4.0 (a constant mask)
    fit by the generalized Pareto log-likelihood, ``log1p(xi * y / sigma) / xi``, and
    the mean excess of the fitted law."""
    excess = _FLOWS[_FLOWS > 4.0] - 4.0
    shape = 0.2 * xp.tanh(p[0]) + 0.1
    scale = 5.0 * xp.exp(0.2 * p[1])
    nll = excess.size * xp.log(scale) + (1 + 1 / shape) * xp.sum(xp.log1p(shape * excess / scale))
    mean_excess = scale / (1 - shape)
    return nll + (mean_excess - xp.mean(excess)) ** 2 / 10.0


def weighted_kaplan_meier(xp, p):
    """Survival analysis: a Kaplan-Meier curve with case weights (the parameters by a
    softplus), the weighted risk sets by a reversed np.cumsum, the survival by
    np.cumprod of ``1 - deaths / at_risk``, and the restricted mean survival time by the
    steps' widths from np.ediff1d(to_begin=)."""
    weights = xp.log1p(xp.exp(p))
    at_risk = xp.cumsum(weights[::-1])[::-1]
    hazard = _EVENTS * weights / at_risk
    survival = xp.cumprod(1.0 - hazard)
    widths = np.ediff1d(_TIMES, to_begin=_TIMES[0])
    previous = xp.concatenate([np.ones(1), survival[:-1]])
    return xp.sum(previous * widths)


def morse_chain(xp, p):
    """Molecular mechanics: the Morse energy of five atoms on a line, every pair by
    np.triu_indices_from of the distance matrix, the bond well depth and width from
    constants; the atoms' displacements the parameters."""
    positions = np.arange(5.0) * 1.1 + 0.1 * p
    distances = xp.abs(positions[:, None] - positions[None, :] + np.eye(5))
    rows, cols = np.triu_indices_from(np.empty((5, 5)), k=1)
    r = distances[rows, cols]
    return xp.sum(2.0 * (1 - xp.exp(-1.4 * (r - 1.0))) ** 2 - 2.0)


def yukawa_two_species(xp, p):
    """Plasma physics: the Debye-screened (Yukawa) energy between two species of
    charges, the cross-species block of the pair matrix picked by np.ix_; the
    screening length and the particles' x coordinates the parameters."""
    debye = xp.exp(0.3 * p[0])
    x = np.linspace(0.0, 3.0, 6) + 0.1 * p[1:7]
    y = np.array([0.0, 0.5, -0.4, 0.3, -0.2, 0.6])
    distance = xp.sqrt((x[:, None] - x[None, :]) ** 2 + (y[:, None] - y[None, :]) ** 2
                       + np.eye(6))
    ions, electrons = np.array([0, 2, 4]), np.array([1, 3, 5])
    cross = distance[np.ix_(ions, electrons)]
    return -xp.sum(xp.exp(-cross / debye) / cross)


def gaussian_beam_abcd(xp, p):
    """Laser optics: a Gaussian beam's complex q-parameter carried through free space,
    two thin lenses and free space again by ABCD matrices, ``q' = (A q + B) / (C q +
    D)``; the beam radius at the end from np.imag(1/q) and its curvature from the real
    part; the focal lengths and the gap the parameters."""
    wavelength = 1.064e-3
    q = 1j * np.pi * 0.5 ** 2 / wavelength
    f1, f2 = 100.0 * xp.exp(0.1 * p[0]), 50.0 * xp.exp(0.1 * p[1])
    gap = 150.0 + 10.0 * p[2]
    elements = [(1.0, 200.0, 0.0, 1.0), (1.0, 0.0, -1 / f1, 1.0), (1.0, gap, 0.0, 1.0),
                (1.0, 0.0, -1 / f2, 1.0), (1.0, 100.0, 0.0, 1.0)]
    for a, b, c, d in elements:
        q = (a * q + b) / (c * q + d)
    inverse = 1 / q
    radius = xp.sqrt(-wavelength / (np.pi * xp.imag(inverse)))
    return radius ** 2 + 10.0 * xp.real(inverse) ** 2


def _mueller_polarizer(xp, angle):
    """The Mueller matrix of an ideal linear polarizer at ``angle`` (stacked rows)."""
    c, s = xp.cos(2 * angle), xp.sin(2 * angle)
    zero = 0.0 * c
    return 0.5 * xp.stack([xp.stack([1.0 + zero, c, s, zero]),
                           xp.stack([c, c * c, c * s, zero]),
                           xp.stack([s, c * s, s * s, zero]),
                           xp.stack([zero, zero, zero, zero])])


def mueller_polarimetry(xp, p):
    """Polarimetry: partially polarized light (a Stokes vector) through a polarizer, a
    quarter-wave plate and an analyser, the Mueller matrices chained by
    np.linalg.multi_dot; the squared gap of the transmitted intensities at four
    analyser angles to readings, the first polarizer's angle and the plate's retardance
    the parameters."""
    stokes = np.array([1.0, 0.3, -0.2, 0.4])
    retardance = np.pi / 2 + 0.1 * p[1]
    cr, sr = xp.cos(retardance), xp.sin(retardance)
    plate = xp.stack([xp.stack([1.0 + 0.0 * cr, 0.0 * cr, 0.0 * cr, 0.0 * cr]),
                      xp.stack([0.0 * cr, 1.0 + 0.0 * cr, 0.0 * cr, 0.0 * cr]),
                      xp.stack([0.0 * cr, 0.0 * cr, cr, sr]),
                      xp.stack([0.0 * cr, 0.0 * cr, -sr, cr])])
    first = _mueller_polarizer(xp, 0.3 + 0.2 * p[0])
    readings = np.array([0.12, 0.31, 0.25, 0.05])
    total = 0.0
    for angle, reading in zip(np.linspace(0.0, np.pi, 4, endpoint=False), readings):
        analyser = _mueller_polarizer(np, angle)
        total = total + (xp.linalg.multi_dot([analyser, plate, first, stokes])[0] - reading) ** 2
    return total


def sellmeier_dispersion(xp, p):
    """Glass optics: the refractive index of a glass by the three-term Sellmeier
    equation over the visible band, the group index ``n - lambda dn/dlambda`` by
    np.gradient; its spread and the index at 589 nm against a catalogue value."""
    wavelength = np.linspace(0.4, 0.8, 21)
    b = np.array([1.04, 0.23, 1.01]) * xp.exp(0.05 * p[:3])
    c = np.array([0.006, 0.020, 103.6]) * xp.exp(0.05 * p[3:6])
    squared = wavelength ** 2
    index = xp.sqrt(1 + xp.sum(b[:, None] * squared / (squared - c[:, None]), axis=0))
    group = index - wavelength * xp.gradient(index, wavelength)
    at_sodium = xp.sqrt(1 + xp.sum(b * 0.589 ** 2 / (0.589 ** 2 - c)))
    return xp.std(group) * 100.0 + ((at_sodium - 1.5168) * 100.0) ** 2


PROGRAMS = [
    # (program, parameters, whether HIPS autograd has every function it calls)
    (procrustes_alignment, _rng.normal(size=12), True),
    (vincenty_inverse, _rng.normal(size=4), True),
    (mfcc_features, _rng.normal(size=6), True),
    (gaussian_mixture_em, _rng.normal(size=6), True),
    (wiener_deconvolution, _rng.normal(size=2), True),
    (potts_mean_field, _rng.normal(size=25), True),
    (monod_chemostat, _rng.normal(size=3), True),
    (gumbel_extremes, _rng.normal(size=2), True),
    (pareto_peaks_over_threshold, _rng.normal(size=2), True),
    (weighted_kaplan_meier, _rng.normal(size=10), False),  # no cumprod rule
    (morse_chain, _rng.normal(size=5), True),
    (yukawa_two_species, _rng.normal(size=7), True),
    (gaussian_beam_abcd, _rng.normal(size=3), True),
    (mueller_polarimetry, _rng.normal(size=2), True),
    (sellmeier_dispersion, _rng.normal(size=6), False),  # no gradient(x) rule
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
