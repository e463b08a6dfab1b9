"""A twenty-fifth set of short NumPy programs, from domains and NumPy calls the earlier
rounds did not visit: epidemiology (an SIRS model with vaccination stepped by
``np.cumulative_sum``), optics (paraxial rays through a lens train by
``np.linalg.multi_dot``; Snell refraction at a sphere in vector form), audio (an ADSR
envelope by ``np.piecewise`` and a spectral centroid by ``np.fft.rfftfreq``), chemistry
(Robertson kinetics by implicit Euler and a Jacobian of ``np.stack``-ed rows), robotics
(attitude by quaternion products with ``np.vecdot``), recommenders (ratings centred per
item by ``np.unique(return_inverse=True)`` and scattered by ``np.add.at``), survival
(Nelson-Aalen hazards by ``np.searchsorted``), filtering (a particle filter's
systematic resampling), ranking (a smoothed NDCG), quadrature (tanh-sinh), splines
(monotone PCHIP slopes under ``np.errstate``), structured arrays of station records,
``np.apply_along_axis``, ``np.histogram`` weights, ``np.linalg.pinv``/``cond``,
FFT convolution against ``np.convolve``, float16 data, ``np.select`` and
``np.quantile`` methods, a complex nodal analysis by ``np.linalg.solve``, a stationary
distribution by ``np.linalg.eig``, batched ``slogdet``/``solve`` in a quadratic
discriminant, a two-column ``np.linalg.lstsq``, strided frames with a Kaiser window and
fog marched by ``np.cumsum`` and ``np.trapezoid``. Each is differentiated with
``ad.grad`` and checked as every round is (``numpy_program_checks``), float32 included.

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

import autodiff as ad
from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261225)
_RATINGS_USER = np.array([0, 0, 1, 1, 2, 2, 3, 3, 3, 0])
_RATINGS_ITEM = np.array([0, 2, 1, 2, 0, 3, 1, 2, 3, 3])
_RATINGS = np.array([4.0, 3.0, 5.0, 2.0, 3.5, 4.0, 1.0, 2.5, 4.5, 3.0])
_EVENT_TIMES = np.array([2.0, 3.0, 3.0, 5.0, 6.0, 8.0, 8.0, 9.0, 11.0, 12.0])
_OBSERVED = np.array([1, 1, 0, 1, 1, 0, 1, 1, 0, 1], dtype=bool)
_OBSERVATIONS = np.cumsum(_rng.normal(0, 0.5, size=8))
_RELEVANCE = np.array([3.0, 2.0, 3.0, 0.0, 1.0, 2.0])
_KNOTS = np.array([0.0, 1.0, 2.5, 3.0, 4.5, 6.0])


def sirs_with_vaccination(xp, p):
    """Epidemiology: an SIRS model with waning immunity and a vaccination campaign,
    stepped forward by Euler; the cumulative incidence by ``np.cumulative_sum`` with
    ``include_initial=True`` and the peak prevalence by ``np.max``."""
    beta, gamma, waning = 0.4 * xp.exp(p[0]), 0.1 * xp.exp(p[1]), 0.02
    vaccination = 0.01 * (1 + xp.tanh(p[2]))
    s, i, r = 0.99, 0.01, 0.0
    incidence, prevalence = [], []
    for _ in range(40):
        new = beta * s * i
        s, i, r = (s - new - vaccination * s + waning * r,
                   i + new - gamma * i,
                   r + gamma * i + vaccination * s - waning * r)
        incidence.append(new)
        prevalence.append(i)
    cumulative = xp.cumulative_sum(xp.stack(incidence), include_initial=True)
    return cumulative[-1] + 5 * xp.max(xp.stack(prevalence)) + 0.1 * cumulative[20]


def paraxial_lens_train(xp, p):
    """Optics: rays through two thin lenses and the gaps between them as the product
    of ray-transfer matrices by ``np.linalg.multi_dot``; the back focal length from the
    system matrix and a ray fan's spot size at the image plane."""
    f1, f2, gap = 50.0 * xp.exp(0.1 * p[0]), -80.0 * xp.exp(0.1 * p[1]), 20.0 + p[2]
    one, zero = xp.ones_like(p[0]), xp.zeros_like(p[0])

    def lens(focal):
        return xp.stack([xp.stack([one, zero]), xp.stack([-1 / focal, one])])

    def space(d):
        return xp.stack([xp.stack([one, d]), xp.stack([zero, one])])

    system = xp.linalg.multi_dot([lens(f2), space(gap), lens(f1)])
    back_focal = -system[0, 0] / system[1, 0]
    heights = np.linspace(-5.0, 5.0, 7)
    rays = np.stack([heights, np.zeros_like(heights)])
    image = space(back_focal + 1.0) @ system @ rays
    return back_focal / 100.0 + xp.sqrt(xp.mean(image[0] ** 2))


def snell_refraction_at_sphere(xp, p):
    """Optics: parallel rays hitting a glass sphere, intersection by the quadratic,
    normals by ``np.linalg.norm(..., keepdims=True)``, refraction by the vector form of
    Snell's law with ``np.einsum('ij,ij->i')``; the refracted rays' mean crossing."""
    n_ratio = 1.0 / (1.5 + 0.1 * xp.tanh(p[0]))
    offsets = np.linspace(-0.6, 0.6, 5)
    origins = np.stack([offsets, 0.1 * offsets, -np.full(5, 3.0)], axis=1)
    direction = xp.stack([0.05 * p[1], 0.05 * p[2], xp.ones_like(p[1])])
    direction = direction / xp.linalg.norm(direction)
    b = origins @ direction
    c = xp.sum(origins ** 2, axis=1) - 1.0
    t = -b - xp.sqrt(b ** 2 - c)
    hits = origins + t[:, None] * direction
    normals = hits / xp.linalg.norm(hits, axis=1, keepdims=True)
    cos_in = -xp.einsum("ij,j->i", normals, direction)
    sin2_out = n_ratio ** 2 * (1 - cos_in ** 2)
    refracted = (n_ratio * direction + (n_ratio * cos_in - xp.sqrt(1 - sin2_out))[:, None]
                 * normals)
    along = xp.einsum("ij,ij->i", refracted, refracted)
    return xp.mean(refracted[:, 0] ** 2) + xp.sum((along - 1.0) ** 2) + xp.mean(hits[:, 2])


def adsr_spectral_centroid(xp, p):
    """Audio: a tone shaped by an attack-decay-sustain-release envelope written with
    ``np.piecewise`` over the sample times in units of the attack, its spectrum by
    ``np.fft.rfft`` with a Hann window, and the spectral centroid by ``np.fft.rfftfreq``."""
    rate, n = 800.0, 256
    t = np.arange(n) / rate
    attack = 0.02 * xp.exp(0.2 * p[0])
    sustain = 0.6 + 0.2 * xp.tanh(p[1])
    phase = t / attack  # time in units of the attack
    envelope = xp.piecewise(
        phase, [phase < 1, (phase >= 1) & (phase < 3.5), phase >= 3.5],
        [lambda u: u, lambda u: 1 - (1 - sustain) * (u - 1) / 2.5,
         lambda u: sustain * xp.exp(-(u - 3.5) * 0.06)])
    tone = envelope * (xp.sin(2 * np.pi * 100.0 * t)
                       + 0.5 * xp.sin(2 * np.pi * (250.0 + 10 * p[2]) * t))
    spectrum = xp.abs(xp.fft.rfft(tone * np.hanning(n))) ** 2
    frequencies = np.fft.rfftfreq(n, d=1 / rate)
    return xp.sum(frequencies * spectrum) / xp.sum(spectrum) / 100.0


def robertson_implicit_euler(xp, p):
    """Chemistry: Robertson's stiff kinetics stepped by implicit Euler, one Newton
    solve per step with the Jacobian assembled from ``np.stack``-ed rows and
    ``np.linalg.solve``; the final species and the conservation defect."""
    k1, k2, k3 = 0.04 * xp.exp(0.1 * p[0]), 3e7, 1e4 * xp.exp(0.1 * p[1])
    y = xp.stack([xp.ones_like(p[0]), xp.zeros_like(p[0]), xp.zeros_like(p[0])])
    h = 0.01
    for _ in range(6):
        z = y
        for _ in range(4):
            rate = xp.stack([-k1 * z[0] + k3 * z[1] * z[2],
                             k1 * z[0] - k2 * z[1] ** 2 - k3 * z[1] * z[2],
                             k2 * z[1] ** 2])
            jacobian = xp.stack([
                xp.stack([-k1, k3 * z[2], k3 * z[1]]),
                xp.stack([k1, -2 * k2 * z[1] - k3 * z[2], -k3 * z[1]]),
                xp.stack([0.0 * k1, 2 * k2 * z[1], 0.0 * k1])])
            residual = z - y - h * rate
            z = z - xp.linalg.solve(np.eye(3) - h * jacobian, residual)
        y = z
    return y[0] + 1e4 * y[1] + 10 * y[2] + (xp.sum(y) - 1.0) ** 2


def quaternion_attitude(xp, p):
    """Robotics: a body's attitude integrated from gyro rates as quaternion products
    written with ``np.vecdot`` and ``np.cross``, renormalised each step; the angle
    between the final attitude and a target by ``np.arccos`` of ``|q . target|``."""
    rates = np.array([[0.1, 0.0, 0.2], [0.0, 0.3, 0.1], [0.2, -0.1, 0.0], [0.1, 0.1, 0.1]])
    bias = 0.05 * p[:3]
    q = xp.concatenate([xp.ones_like(p[:1]), xp.zeros_like(p[:3])])
    for omega in rates:
        half = 0.5 * (omega - bias)
        dq = xp.concatenate([xp.cos(xp.linalg.norm(half))[None],
                             xp.sinc(xp.linalg.norm(half) / np.pi) * half])
        w = q[0] * dq[0] - xp.vecdot(q[1:], dq[1:])
        v = q[0] * dq[1:] + dq[0] * q[1:] + xp.cross(q[1:], dq[1:])
        q = xp.concatenate([w[None], v])
        q = q / xp.linalg.norm(q)
    target = np.array([0.95, 0.1, 0.2, 0.2])
    target = target / np.linalg.norm(target)
    return 2 * xp.arccos(xp.minimum(xp.abs(xp.vecdot(q, target)), 1.0))


def item_centred_factorisation(xp, p):
    """Recommenders: ratings centred by each item's mean (``np.unique`` with
    ``return_inverse=True`` and ``np.bincount``), a rank-one factorisation's residuals,
    and the user factors' gradient step scattered by ``np.add.at`` into a Tensor."""
    items, inverse, counts = np.unique(_RATINGS_ITEM, return_inverse=True, return_counts=True)
    item_means = np.bincount(inverse, weights=_RATINGS) / counts
    centred = _RATINGS - item_means[inverse]
    users = 0.5 + 0.3 * p[:4]
    factors = 0.5 + 0.3 * p[4:8]
    predicted = users[_RATINGS_USER] * factors[_RATINGS_ITEM[inverse.argsort().argsort()]]
    residual = centred - predicted
    step = xp.zeros_like(users)
    xp.add.at(step, _RATINGS_USER, residual * factors[_RATINGS_ITEM])
    updated = users + 0.1 * step
    refit = centred - updated[_RATINGS_USER] * factors[_RATINGS_ITEM]
    return xp.mean(refit ** 2) + 0.01 * xp.sum(factors ** 2) + 0 * items.size


def nelson_aalen_hazard(xp, p):
    """Survival: event times shifted by a covariate effect, the Nelson-Aalen
    cumulative hazard from the numbers at risk by ``np.searchsorted`` over the sorted
    times, and its value at fixed horizons by ``np.interp``."""
    scale = xp.exp(0.2 * p[0] + 0.1 * p[1] * np.arange(_EVENT_TIMES.size) / 10)
    times = _EVENT_TIMES * scale
    order = xp.argsort(times)
    sorted_times = times[order]
    observed = _OBSERVED[order]
    at_risk = times.size - xp.searchsorted(sorted_times, sorted_times, side="left")
    increments = xp.where(observed, 1.0 / at_risk, 0.0)
    hazard = xp.cumsum(increments)
    horizons = np.array([4.0, 7.0, 10.0])
    at_horizons = xp.interp(horizons, sorted_times, hazard)
    return xp.sum(at_horizons) + xp.mean(sorted_times) / 10


def particle_filter_resampling(xp, p):
    """Filtering: a bootstrap particle filter for a random walk observed in noise,
    log-weights normalised by ``np.logaddexp.reduce``, systematic resampling by
    ``np.searchsorted`` over ``np.cumsum`` of the weights (the indices carry no
    gradient), and the log-likelihood estimate summed over the steps."""
    noise = 0.5 * xp.exp(0.3 * p[0])
    drift = 0.1 * p[1]
    draws = np.random.default_rng(7).normal(size=(_OBSERVATIONS.size, 16))
    particles = xp.zeros_like(p[0], shape=(16,))
    log_likelihood = 0.0
    for step, observation in enumerate(_OBSERVATIONS):
        particles = particles + drift + 0.5 * draws[step]
        log_w = -0.5 * ((observation - particles) / noise) ** 2 - xp.log(noise)
        total = xp.logaddexp.reduce(log_w)
        log_likelihood = log_likelihood + total - np.log(16)
        weights = xp.exp(log_w - total)
        positions = (np.arange(16) + 0.5) / 16
        cumulative = np.cumsum(np.asarray(weights.detach() if isinstance(weights, ad.Tensor)
                                          else weights))
        chosen = np.minimum(np.searchsorted(cumulative, positions), 15)
        particles = particles[chosen]
    return -log_likelihood / _OBSERVATIONS.size


def smoothed_ndcg(xp, p):
    """Ranking: scores from a linear model, a smoothed rank of each item from the
    sigmoids of all pairwise score differences by ``np.subtract.outer``, the
    discounted gain ``(2^rel - 1) / log2(1 + rank)`` and its ideal by ``np.sort``."""
    features = np.array([[1.0, 0.2], [0.8, 0.9], [0.9, -0.3], [0.1, 0.1], [0.4, 0.5],
                         [0.6, 0.7]])
    scores = features @ p[:2] + 0.1 * p[2] * features[:, 0] ** 2
    differences = xp.subtract.outer(scores, scores) / 0.1
    beats = 1 / (1 + xp.exp(differences))
    smooth_rank = 0.5 + xp.sum(beats, axis=1)
    gains = (2.0 ** _RELEVANCE - 1) / xp.log2(1 + smooth_rank)
    ideal = np.sum((2.0 ** np.sort(_RELEVANCE)[::-1] - 1) / np.log2(2 + np.arange(6)))
    return 1 - xp.sum(gains) / ideal


def tanh_sinh_quadrature(xp, p):
    """Quadrature: the double-exponential (tanh-sinh) rule on [-1, 1] with nodes by
    ``np.tanh(np.pi / 2 * np.sinh(k h))`` and weights from ``np.cosh``, for an
    integrand with an endpoint singularity whose exponent and shift are parameters."""
    h = 0.25
    k = np.arange(-12, 13) * h
    nodes = np.tanh(np.pi / 2 * np.sinh(k))
    weights = h * np.pi / 2 * np.cosh(k) / np.cosh(np.pi / 2 * np.sinh(k)) ** 2
    exponent = -0.5 + 0.2 * xp.tanh(p[0])
    integrand = (1 - nodes) ** exponent * xp.exp(p[1] * nodes)
    return xp.sum(weights * integrand)


def monotone_pchip(xp, p):
    """Splines: Fritsch-Carlson monotone cubic slopes, the weighted harmonic mean of
    the secant slopes computed by ``np.divide(..., where=)`` inside ``np.errstate``
    with flat segments kept at zero, the interval of each query point by
    ``np.searchsorted`` and the Hermite basis evaluated there."""
    values = xp.cumsum(xp.exp(0.5 * p[:6]) * np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0]))
    h = np.diff(_KNOTS)
    secants = xp.diff(values) / h
    w1 = 2 * h[1:] + h[:-1]
    w2 = h[1:] + 2 * h[:-1]
    same_sign = secants[:-1] * secants[1:] > 0
    # a flat segment's zero secant is replaced before dividing by it: the gradient of
    # w1 / 0 is not finite, and the masked-out harmonic mean would pass on 0 * inf
    left = xp.where(same_sign, secants[:-1], 1.0)
    right = xp.where(same_sign, secants[1:], 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        harmonic = xp.divide(w1 + w2, w1 / left + w2 / right,
                             out=xp.zeros_like(secants[1:]), where=same_sign)
    slopes = xp.concatenate([secants[:1], harmonic, secants[-1:]])
    queries = np.linspace(0.2, 5.8, 9)
    i = np.clip(np.searchsorted(_KNOTS, queries) - 1, 0, _KNOTS.size - 2)
    s = (queries - _KNOTS[i]) / h[i]
    h00, h10 = 2 * s ** 3 - 3 * s ** 2 + 1, s ** 3 - 2 * s ** 2 + s
    h01, h11 = -2 * s ** 3 + 3 * s ** 2, s ** 3 - s ** 2
    curve = (h00 * values[i] + h10 * h[i] * slopes[i] + h01 * values[i + 1]
             + h11 * h[i] * slopes[i + 1])
    return xp.sum(curve ** 2) / 100.0


def station_records(xp, p):
    """Meteorology: station records held in a structured array of floats (fields
    selected by name, one a 2-vector), a lapse-rate correction to sea level, and an
    inverse-distance weighted temperature at a site with ``np.hypot``."""
    stations = np.zeros(4, dtype=[("elevation", "f8"), ("temperature", "f4"),
                                  ("position", "f8", (2,))])
    stations["elevation"] = [120.0, 850.0, 430.0, 1500.0]
    stations["temperature"] = [14.2, 9.1, 12.0, 4.5]
    stations["position"] = [[0.0, 0.0], [3.0, 1.0], [1.0, 2.5], [4.0, 4.0]]
    lapse = 0.0065 * (1 + 0.2 * xp.tanh(p[0]))
    sea_level = stations["temperature"] + lapse * stations["elevation"]
    site = np.array([2.0, 2.0]) + 0.3 * p[1:3]
    offsets = stations["position"] - site
    distance = xp.hypot(offsets[:, 0], offsets[:, 1])
    weights = 1 / distance ** 2
    at_site = xp.sum(weights * sea_level) / xp.sum(weights) - lapse * 300.0
    return at_site


def row_normalised_profiles(xp, p):
    """Chemometrics: spectra scaled by ``np.apply_along_axis`` with a Python
    function of each row (standard normal variate), then a first-derivative
    ``np.gradient`` along the wavelength axis and a fit to a reference."""
    wavelengths = np.linspace(400.0, 700.0, 12)
    peaks = np.array([480.0, 550.0, 620.0]) + 10 * p[:3]
    spectra = xp.exp(-((wavelengths - peaks[:, None]) / 40.0) ** 2) + 0.1 * p[3]

    def standard_normal_variate(row):
        return (row - np.mean(row)) / np.std(row)

    scaled = xp.apply_along_axis(standard_normal_variate, 1, spectra)
    slope = xp.gradient(scaled, wavelengths, axis=1)
    reference = np.sin(wavelengths / 60.0)
    return xp.sum((scaled - reference) ** 2) + 100 * xp.sum(slope ** 2)


def weighted_histogram_entropy(xp, p):
    """Statistics: samples given soft weights by a logistic in a parameterised
    threshold, a weighted, density-normalised ``np.histogram``, and the entropy of
    the occupied bins with ``np.log`` under ``np.where``."""
    samples = np.random.default_rng(3).normal(size=60)
    weights = 1 / (1 + xp.exp(-(samples - 0.3 * p[0]) * (2 + xp.exp(p[1]))))
    density, edges = xp.histogram(samples, bins=np.linspace(-3, 3, 9), weights=weights,
                                  density=True)
    mass = density * np.diff(edges)
    safe = xp.where(mass > 0, mass, 1.0)
    return -xp.sum(xp.where(mass > 0, mass * xp.log(safe), 0.0))


def tikhonov_by_pinv(xp, p):
    """Inverse problems: a blurred signal deconvolved by the pseudo-inverse of the
    regularised blur (``np.linalg.pinv``), the blur's condition number by
    ``np.linalg.cond`` and the residual norm; the blur width is a parameter."""
    n = 7
    offsets = np.subtract.outer(np.arange(n), np.arange(n))
    width = 0.8 * xp.exp(0.2 * p[0])
    blur = xp.exp(-(offsets / width) ** 2)
    blur = blur / xp.sum(blur, axis=1, keepdims=True)
    truth = np.sin(np.arange(n) / 2.0)
    observed = blur @ truth + 0.01 * np.cos(np.arange(n) * 3.0)
    alpha = 0.05 * xp.exp(p[1])
    stacked = xp.concatenate([blur, xp.sqrt(alpha) * np.eye(n)])
    target = xp.concatenate([observed, np.zeros(n)])
    estimate = xp.linalg.pinv(stacked) @ target
    return (xp.sum((estimate - truth) ** 2) + 1e-3 * xp.log(xp.linalg.cond(blur))
            + xp.linalg.norm(blur @ estimate - observed))


def fft_overlap_convolution(xp, p):
    """Signal processing: a FIR filter applied by zero-padded FFTs (``np.fft.rfft``
    with ``n=`` and ``np.fft.irfft``) and the same by ``np.convolve(mode="full")``;
    the difference is rounding, and the filtered signal's energy is the objective."""
    taps = xp.exp(-(np.arange(5) - 2.0) ** 2 / (1 + xp.exp(p[0]))) * (1 + 0.1 * p[1])
    signal = np.sin(np.arange(24) / 2.0) + 0.2 * np.cos(np.arange(24) * 1.7)
    n = signal.size + 5 - 1
    by_fft = xp.fft.irfft(xp.fft.rfft(signal, n) * xp.fft.rfft(taps, n), n)
    direct = xp.convolve(signal, taps, mode="full")
    same = xp.convolve(signal, taps, mode="same")
    return xp.sum(by_fft ** 2) / 100 + xp.sum((by_fft - direct) ** 2) + xp.mean(same)


def half_precision_sensor(xp, p):
    """Instrumentation: a sensor log stored as float16 (as many loggers do), a gain
    and offset calibration applied in the parameters' precision, and a robust fit by
    the Huber loss written with ``np.where`` and ``np.abs``."""
    raw = (np.linspace(0.0, 5.0, 16) * 1.7 + 0.4
           + 0.05 * np.sin(np.arange(16) * 2.3)).astype(np.float16)
    reference = np.linspace(0.0, 5.0, 16)
    gain, offset = 1 / 1.7 * (1 + 0.1 * p[0]), -0.4 / 1.7 + 0.1 * p[1]
    residual = gain * raw + offset - reference
    small = xp.abs(residual) < 0.05
    huber = xp.where(small, 0.5 * residual ** 2, 0.05 * (xp.abs(residual) - 0.025))
    return xp.sum(huber)


def tariff_by_select(xp, p):
    """Utilities: a consumption-dependent tariff by ``np.select`` over tiers, a
    seasonal factor by ``np.take`` with ``mode="wrap"`` over month numbers, and the
    quantiles of the bills by ``np.quantile`` with ``method="median_unbiased"``."""
    usage = 300 * xp.exp(0.2 * p[0] + 0.3 * np.sin(np.arange(14) / 2.0))
    tiers = [usage < 200, usage < 500]
    rates = [0.12 * usage, 24 + 0.18 * (usage - 200)]
    bill = xp.select(tiers, rates, default=78 + 0.25 * (usage - 500))
    seasonal = xp.take(np.array([1.1, 1.0, 0.9, 1.0]) * (1 + 0.05 * p[1]),
                       np.arange(14), mode="wrap")
    bills = bill * seasonal
    quartiles = xp.quantile(bills, [0.25, 0.5, 0.75], method="median_unbiased")
    return xp.sum(quartiles) / 100 + xp.ptp(bills) / 100


def ladder_filter_impedance(xp, p):
    """Circuits: a three-node RC ladder's nodal admittance matrix built complex
    (``1j * omega * C``) from parameterised conductances, solved by
    ``np.linalg.solve`` at a few frequencies; the gain in decibels by ``np.abs`` and
    ``np.log10`` matched to a target roll-off."""
    conductance = 1e-3 * xp.exp(0.2 * p[:3])
    capacitance = 1e-6 * np.array([1.0, 2.2, 4.7])
    target = np.array([-0.5, -3.0, -10.0, -20.0])
    error = 0.0
    for omega, wanted in zip(2 * np.pi * np.array([10.0, 60.0, 300.0, 1500.0]), target):
        g1, g2, g3 = conductance[0], conductance[1], conductance[2]
        admittance = xp.stack([
            xp.stack([g1 + g2 + 0j, -g2 + 0j, 0j * g1]),
            xp.stack([-g2 + 0j, g2 + g3 + 0j, -g3 + 0j]),
            xp.stack([0j * g1, -g3 + 0j, g3 + 0j])]) + np.diag(1j * omega * capacitance)
        drive = xp.stack([g1 + 0j, 0j * g1, 0j * g1])
        voltages = xp.linalg.solve(admittance, drive)
        gain = 20 * xp.log10(xp.abs(voltages[2]))
        error = error + (gain - wanted) ** 2
    return error / 100


def markov_stationary_by_eig(xp, p):
    """Markov chains: a row-stochastic matrix from a softmax of parameters, its
    stationary distribution as the left eigenvector of eigenvalue one by
    ``np.linalg.eig`` of the transpose (picked by ``np.argmin`` of the distance to
    one, real part taken), and the mixing rate from the second-largest modulus."""
    logits = xp.reshape(p[:9], (3, 3)) + np.array([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0],
                                                   [0.0, 0.0, 2.0]])
    transition = xp.exp(logits) / xp.sum(xp.exp(logits), axis=1, keepdims=True)
    values, vectors = xp.linalg.eig(transition.T)
    one = np.argmin(np.abs(np.asarray(values.detach() if isinstance(values, ad.Tensor)
                                      else values) - 1))
    stationary = xp.real(vectors[:, one])
    stationary = stationary / xp.sum(stationary)
    moduli = xp.sort(xp.abs(values))
    return stationary @ np.array([1.0, 2.0, 3.0]) + moduli[1]


def batched_gaussian_classes(xp, p):
    """Classification: quadratic discriminant scores for three classes at once, each
    class's covariance from a batched Cholesky factor built by ``np.tril`` of
    parameters, log-determinants by batched ``np.linalg.slogdet``, Mahalanobis terms by
    batched ``np.linalg.solve``; the log-loss of labelled points."""
    points = np.array([[0.1, 0.2], [1.2, 0.9], [-0.8, 1.1], [0.4, -0.7], [1.5, 1.4]])
    labels = np.array([0, 1, 2, 0, 1])
    means = np.array([[0.0, 0.0], [1.0, 1.0], [-1.0, 1.0]]) + 0.2 * xp.reshape(p[:6], (3, 2))
    raw = xp.reshape(p[6:18], (3, 2, 2))
    factors = xp.tril(0.3 * raw) + np.eye(2) * 0.8
    covariances = factors @ xp.swapaxes(factors, -1, -2)
    _, log_det = xp.linalg.slogdet(covariances)
    centred = points[:, None, :] - means[None]               # (points, classes, 2)
    solved = xp.linalg.solve(covariances[None], centred[..., None])[..., 0]
    mahalanobis = xp.sum(centred * solved, axis=-1)
    scores = -0.5 * (mahalanobis + log_det)
    log_norm = xp.log(xp.sum(xp.exp(scores), axis=1))
    return -xp.mean(scores[np.arange(5), labels] - log_norm)


def growth_curve_lstsq(xp, p):
    """Biology: two growth curves (logistic and Gompertz shaped) fitted at once by
    ``np.linalg.lstsq`` with a two-column right-hand side against a quadratic design
    by ``np.vander``; the coefficients and the residual sums of squares."""
    days = np.linspace(0.0, 10.0, 11)
    rate = 0.8 * xp.exp(0.2 * p[0])
    logistic = 1 / (1 + xp.exp(-rate * (days - 5.0)))
    gompertz = xp.exp(-xp.exp(-rate * (days - 4.0 - 0.5 * p[1])))
    design = np.vander(days / 10, 3)
    coefficients, residuals, rank, _ = xp.linalg.lstsq(design, xp.stack([logistic, gompertz], 1),
                                                       rcond=None)
    return xp.sum(coefficients ** 2) + 10 * xp.sum(residuals) + 0 * rank


def spectral_window_energy(xp, p):
    """Vibration: a signal's short-time energy in overlapping frames by
    ``np.lib.stride_tricks.sliding_window_view`` with a step, a Kaiser window by
    ``np.kaiser``, the peak frame by ``np.max`` and the crest factor."""
    t = np.arange(96) / 96.0
    signal = (xp.sin(2 * np.pi * (5 + p[0]) * t) * xp.exp(-(t - 0.5 - 0.1 * p[1]) ** 2 / 0.02)
              + 0.1 * xp.cos(2 * np.pi * 20 * t))
    frames = np.lib.stride_tricks.sliding_window_view(signal, 16)[::8]
    windowed = frames * np.kaiser(16, 6.0)
    energy = xp.sum(windowed ** 2, axis=1)
    crest = xp.max(xp.abs(signal)) / xp.sqrt(xp.mean(signal ** 2))
    return xp.max(energy) + crest + xp.mean(energy)


def ray_marched_fog(xp, p):
    """Rendering: a camera ray marched through exponential fog with a sphere of
    denser medium, transmittance by ``np.exp(-np.cumsum(...))`` along the samples and
    the in-scattered light by ``np.trapezoid``; the pixel's brightness."""
    steps = np.linspace(0.0, 6.0, 40)
    direction = np.array([0.0, 0.05, 1.0]) / np.linalg.norm([0.0, 0.05, 1.0])
    points = steps[:, None] * direction
    centre = np.array([0.0, 0.0, 3.0]) + 0.3 * xp.concatenate([p[:2], 0 * p[:1]])
    radius = 1.0 + 0.1 * xp.tanh(p[2])
    inside = xp.linalg.norm(points - centre, axis=1) < radius
    density = 0.05 * xp.exp(-points[:, 1]) + xp.where(inside, 0.6, 0.0) * (1 + 0.2 * p[3])
    optical_depth = xp.cumsum(density) * (steps[1] - steps[0])
    transmittance = xp.exp(-optical_depth)
    light = density * transmittance * xp.exp(-0.1 * steps)
    return xp.trapezoid(light, steps) + transmittance[-1]


PROGRAMS = [
    (sirs_with_vaccination, _rng.normal(0, 0.5, size=3), False),  # autograd: no cumulative_sum
    (paraxial_lens_train, _rng.normal(0, 0.5, size=3), False),  # autograd: stacks of boxes fail
    (snell_refraction_at_sphere, _rng.normal(0, 0.5, size=3), False),  # autograd: norm(keepdims=)
    (adsr_spectral_centroid, _rng.normal(0, 0.5, size=3), False),  # autograd: no piecewise
    (robertson_implicit_euler, _rng.normal(0, 0.5, size=2), True),
    (quaternion_attitude, _rng.normal(0, 0.5, size=3), False),  # autograd: no vecdot VJP
    (item_centred_factorisation, _rng.normal(0, 0.5, size=8), False),  # autograd: no add.at
    (nelson_aalen_hazard, _rng.normal(0, 0.5, size=2), False),  # autograd: no interp VJP
    (particle_filter_resampling, _rng.normal(0, 0.5, size=2), False),  # autograd: no .reduce
    (smoothed_ndcg, _rng.normal(0, 0.5, size=3), False),  # autograd: no subtract.outer
    (tanh_sinh_quadrature, _rng.normal(0, 0.5, size=2), True),
    (monotone_pchip, _rng.normal(0, 0.5, size=6), False),  # autograd: no divide(out=, where=)
    (station_records, _rng.normal(0, 0.5, size=3), True),
    (row_normalised_profiles, _rng.normal(0, 0.5, size=4), False),  # autograd: apply_along_axis
    (weighted_histogram_entropy, _rng.normal(0, 0.5, size=2), False),  # autograd: no histogram
    (tikhonov_by_pinv, _rng.normal(0, 0.5, size=2), False),  # autograd: no cond VJP
    (fft_overlap_convolution, _rng.normal(0, 0.5, size=2), False),  # autograd: no convolve VJP
    (half_precision_sensor, _rng.normal(0, 0.5, size=2), True),
    (tariff_by_select, _rng.normal(0, 0.5, size=2), False),  # autograd: no take VJP
    (ladder_filter_impedance, _rng.normal(0, 0.5, size=3), True),
    (markov_stationary_by_eig, _rng.normal(0, 0.5, size=9), True),
    (batched_gaussian_classes, _rng.normal(0, 0.5, size=18), False),  # autograd: batched solve
    (growth_curve_lstsq, _rng.normal(0, 0.5, size=2), False),  # autograd: no lstsq
    (spectral_window_energy, _rng.normal(0, 0.5, size=2), False),  # autograd: no windows
    (ray_marched_fog, _rng.normal(0, 0.5, size=4), False),  # autograd: no trapezoid VJP
]

globals().update(program_tests(PROGRAMS, float32=True, finite=True))  # the shared checks
