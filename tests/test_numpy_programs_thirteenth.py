"""A thirteenth set of short NumPy programs, from domains and NumPy calls the earlier
rounds did not visit (continued in test_numpy_programs_thirteenth_more.py): radar (a
matched filter by ``np.correlate`` with modes 'full' and 'valid', a chirp tapered by
``np.hanning`` and placed by ``np.pad``, a moving average by ``np.convolve(mode='valid')``,
``np.amax``/``np.amin``), speech (cepstra of overlapping frames cut by
``sliding_window_view(...)[::hop]``, ``np.hamming``, ``np.fft.rfft(axis=-1)``,
``fftshift``), images (borders by every ``np.pad`` mode: 'maximum', 'minimum', 'mean',
'median', 'symmetric', 'reflect' with ``reflect_type='odd'``, 'edge', 'wrap',
'linear_ramp' with ``end_values`` and ``stat_length``; a Harris corner response from
``np.gradient`` with two spacings and ``edge_order=2``, blurred separably by
``np.apply_along_axis`` with ``np.convolve(mode='same')``, read through ``np.rot90(k=3)``
and ``np.flip(axis=(0, 1))``; Fortran-ordered and negative-stride layouts by
``reshape(order='F')``, ``copy(order=)`` and ``ravel(order='F')``), geostatistics (an
empirical variogram by ``np.triu_indices_from``, ``np.histogram_bin_edges`` and
``np.digitize(right=True)``, binned by ``np.bincount(minlength=)``), sensors with gaps
(``np.nanquantile`` of two levels, ``np.nanmedian``, ``np.nanargmax``,
``np.nancumprod``), finance (``np.cov(rowvar=False, bias=True)`` and with ``aweights``),
psychometrics (Cronbach's alpha by ``var(ddof=1)``, ``np.median`` of an even count,
``np.ptp(axis=1)``), astronomy (a Lomb-Scargle periodogram with ``np.arctan2`` offsets),
oceanography (tidal constituents by ``lstsq``, amplitudes by ``np.hypot``, phases by
``np.arctan2``), navigation (bearings by ``np.rad2deg``, ``np.floor_divide``,
``np.true_divide``, ``np.arctan``, ``np.deg2rad``), interpolation (``np.interp`` with
``left=``/``right=``, ``period=``, and at parameter points), lattices (``np.kron``,
``np.outer``, ``np.inner``, batched ``np.cross``), elasticity (a stiffness tensor from
``np.tensordot(axes=0)`` of ``np.identity``, ``np.rollaxis``, ``np.moveaxis`` with lists,
contractions by ``tensordot(axes=2)`` and axis pairs) and a chain product by
``np.einsum`` along a path from ``np.einsum_path`` and with ``optimize='optimal'``.  Each
is differentiated unchanged with ``ad.grad`` and checked as every round is
(``numpy_program_checks``).

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261213)
_SIGNAL = _rng.normal(size=24)
_SITES = _rng.uniform(0.0, 10.0, size=(7, 2))
_TIMES = np.sort(_rng.uniform(0.0, 10.0, size=12))


def matched_filter_radar(xp, p):
    """A radar pulse found in noise: a chirp of parameter amplitude, frequency and sweep,
    tapered by np.hanning and placed in the echo by np.pad; the matched filter by
    np.correlate in modes 'full' and 'valid', its energy smoothed by
    np.convolve(mode='valid'), the detection peak by np.amax and the trough by np.amin."""
    amplitude, frequency = 1.0 + 0.1 * p[0], 0.3 + 0.02 * p[1]
    t = np.arange(8.0)
    chirp = amplitude * xp.cos(frequency * t + 0.05 * p[2] * t ** 2) * np.hanning(8)
    echo = _SIGNAL + xp.pad(chirp, (6, 10))
    full = xp.correlate(echo, chirp, mode="full")
    valid = xp.correlate(echo, chirp, mode="valid")
    smooth = xp.convolve(valid ** 2, np.ones(3) / 3, mode="valid")
    return xp.amax(smooth) / 10 + xp.sum(full ** 2) / 100 + xp.amin(valid) / 5


def cepstra_of_overlapping_frames(xp, p):
    """Speech features: frames of 8 samples every 4 cut by sliding_window_view(...)[::4],
    a np.hamming window, magnitudes by np.fft.rfft(axis=-1), log energies in three
    triangular-ish bands, cepstra by a DCT matrix, and the first frame's fftshift peak."""
    signal = xp.sin(0.4 * np.arange(32.0) * (1 + 0.05 * p[0])) + 0.1 * p[1:33]
    frames = np.lib.stride_tricks.sliding_window_view(signal, 8)[::4]
    magnitudes = xp.abs(xp.fft.rfft(frames * np.hamming(8), axis=-1))
    bands = np.abs(np.sin(np.outer(np.arange(1, 4), np.arange(5))))
    energies = xp.log(magnitudes ** 2 @ bands.T + 1e-3)
    k = np.arange(3)
    dct = np.cos(np.pi / 3 * (k[:, None] + 0.5) * k[None, :])
    cepstra = energies @ dct
    return xp.sum(cepstra ** 2) / 100 + xp.max(xp.fft.fftshift(magnitudes[0]))


def image_borders_by_pad_modes(xp, p):
    """An image padded by every np.pad mode a filter might use at its borders ('maximum',
    'minimum', 'mean', 'median', 'symmetric', 'reflect', 'edge', 'wrap', with uneven
    widths per axis), by 'reflect' with reflect_type='odd', by 'linear_ramp' to
    end_values and by 'mean' over stat_length=2, each read with its own weights."""
    image = p[:12].reshape(3, 4)
    total = 0.0
    for mode in ("maximum", "minimum", "mean", "median", "symmetric", "reflect", "edge",
                 "wrap"):
        padded = xp.pad(image, ((1, 2), (2, 1)), mode=mode)
        total = total + xp.sum(padded * xp.arange(padded.size).reshape(padded.shape) / 40.0)
    odd = xp.pad(image, 2, mode="reflect", reflect_type="odd")
    ramp = xp.pad(image, 1, mode="linear_ramp", end_values=(0.5, -0.5))
    local_mean = xp.pad(image, ((0, 0), (1, 1)), mode="mean", stat_length=2)
    return total + xp.sum(odd ** 2) / 20 + xp.sum(ramp * ramp[::-1]) + xp.sum(local_mean[:, 0])


def _blur(xp, image, kernel):
    """A separable blur: np.convolve(mode='same') down the columns, then along the rows,
    by np.apply_along_axis."""
    down = xp.apply_along_axis(lambda column: xp.convolve(column, kernel, mode="same"), 0,
                               image)
    return xp.apply_along_axis(lambda row: xp.convolve(row, kernel, mode="same"), 1, down)


def harris_corner_response(xp, p):
    """The Harris response of an image: derivatives by np.gradient with a spacing per axis
    and edge_order=2, the structure tensor blurred by a Gaussian, det - k trace^2, one row
    of it read through np.rot90(k=3), and the image flipped on both axes."""
    image = p[:42].reshape(6, 7)
    gy, gx = xp.gradient(image, 0.5, 2.0, edge_order=2)
    kernel = np.exp(-np.arange(-1.0, 2.0) ** 2)
    kernel = kernel / kernel.sum()
    sxx, syy, sxy = _blur(xp, gx * gx, kernel), _blur(xp, gy * gy, kernel), _blur(
        xp, gx * gy, kernel)
    response = sxx * syy - sxy ** 2 - 0.05 * (sxx + syy) ** 2
    return (xp.sum(response) + xp.sum(xp.rot90(response, k=3)[0])
            + xp.sum(xp.flip(image, axis=(0, 1))[0] * gx[0]))


def strided_layouts(xp, p):
    """Arrays in Fortran order and with negative strides: reshape(order='F'), a reversed
    view with step -2, a C-ordered copy of its transpose, a flipped Fortran copy, and a
    Fortran-order ravel read backwards in steps of 3."""
    a = p[:12].reshape(3, 4, order="F")
    b = a[::-1, ::-2]
    c = b.T.copy(order="C")
    d = np.flipud(a)[:, ::-1].copy(order="F")
    return (xp.sum(c * xp.arange(6.0).reshape(2, 3)) + xp.sum(d.T @ b)
            + xp.sum(a.ravel(order="F")[::-3] ** 2))


def empirical_variogram(xp, p):
    """A variogram of values at scattered sites: pairs by np.triu_indices_from, lag bins
    from np.histogram_bin_edges, each pair's bin by np.digitize(right=True), the binned
    semivariance by np.bincount(weights=, minlength=), and an exponential model's misfit
    with a parameter sill and range."""
    values = p[:7]
    offsets = _SITES[:, None, :] - _SITES[None, :, :]
    distances = np.hypot(offsets[..., 0], offsets[..., 1])
    i, j = np.triu_indices_from(distances, k=1)
    lags = distances[i, j]
    edges = np.histogram_bin_edges(lags, bins=4)
    which = np.digitize(lags, edges[1:-1], right=True)
    half_squares = 0.5 * (values[i] - values[j]) ** 2
    sums = xp.bincount(which, weights=half_squares, minlength=4)
    semivariance = sums / np.maximum(np.bincount(which, minlength=4), 1)
    sill, reach = xp.exp(p[7]), xp.exp(p[8])
    centres = 0.5 * (edges[1:] + edges[:-1])
    return xp.sum((semivariance - sill * (1 - xp.exp(-centres / reach))) ** 2)


def sensor_statistics_with_gaps(xp, p):
    """Three sensors with missing readings marked NaN by np.where: the interquartile range
    per sensor by np.nanquantile of two levels, the median per time by np.nanmedian, each
    sensor's peak gathered at np.nanargmax, and a compounded drift by np.nancumprod."""
    readings = p[:12].reshape(3, 4)
    missing = np.array([[0, 1, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0]], dtype=bool)
    data = xp.where(missing, np.nan, readings)
    quartiles = xp.nanquantile(data, [0.25, 0.75], axis=1)
    medians = xp.nanmedian(data, axis=0)
    peaks = xp.nanargmax(data, axis=1)
    drift = xp.nancumprod(1 + 0.1 * data, axis=1)
    return (xp.sum(quartiles[1] - quartiles[0]) + xp.sum(medians ** 2)
            + xp.sum(data[np.arange(3), peaks]) + xp.sum(drift[:, -1]))


def portfolio_risk_with_biased_covariances(xp, p):
    """A portfolio's variance from the biased covariance of daily returns, assets in
    columns (np.cov(rowvar=False, bias=True)), and the total variance weighted by day
    (np.cov with aweights and bias=True, assets in rows)."""
    returns = 0.01 * p[:15].reshape(5, 3)
    covariance = xp.cov(returns, rowvar=False, bias=True)
    by_day = xp.cov(returns.T, aweights=np.array([1.0, 2.0, 1.0, 3.0, 1.0]), bias=True)
    weights = np.array([0.5, 0.3, 0.2])
    return 1e4 * (weights @ covariance @ weights + xp.trace(by_day))


def cronbach_alpha(xp, p):
    """A questionnaire's reliability: Cronbach's alpha from item variances and the variance
    of the totals (ndarray .var(ddof=1) methods), the median item score of four
    respondents (an even count), and the mean range per respondent by np.ptp(axis=1)."""
    scores = p[:20].reshape(5, 4) + np.arange(4.0)
    item_variances = scores.var(axis=0, ddof=1)
    total_variance = scores.sum(axis=1).var(ddof=1)
    items = scores.shape[1]
    alpha = items / (items - 1) * (1 - item_variances.sum() / total_variance)
    return alpha + xp.median(scores[:4], axis=0).sum() + xp.ptp(scores, axis=1).mean()


def lomb_scargle_power(xp, p):
    """The Lomb-Scargle periodogram of an unevenly sampled light curve: the time offsets
    tau by np.arctan2 of sums over np.outer(frequencies, times), the power at three
    frequencies normalised by the variance."""
    y = xp.sin(1.3 * _TIMES + p[0]) + 0.2 * p[1:13]
    y = y - y.mean()
    frequencies = np.array([0.8, 1.3, 2.0])
    phases = np.outer(frequencies, _TIMES)
    tau = np.arctan2(np.sin(2 * phases).sum(1), np.cos(2 * phases).sum(1)) / (2 * frequencies)
    shifted = phases - (frequencies * tau)[:, None]
    c, s = np.cos(shifted), np.sin(shifted)
    power = ((c @ y) ** 2 / (c ** 2).sum(1) + (s @ y) ** 2 / (s ** 2).sum(1)) / 2
    return xp.sum(power) / xp.var(y)


def tidal_constituents(xp, p):
    """Tidal harmonic analysis: a design of cosines and sines of three constituents'
    periods by np.column_stack, the fit by np.linalg.lstsq(rcond=None), each
    constituent's amplitude by np.hypot and phase by np.arctan2."""
    t = np.linspace(0.0, 48.0, 20)
    omega = 2 * np.pi / np.array([12.42, 12.0, 25.82])
    heights = p[:20] + 2 * np.cos(omega[0] * t)
    design = np.column_stack([np.ones_like(t)]
                             + [f(w * t) for w in omega for f in (np.cos, np.sin)])
    coef, *_ = xp.linalg.lstsq(design, heights, rcond=None)
    amplitudes = xp.hypot(coef[1::2], coef[2::2])
    phases = xp.arctan2(coef[2::2], coef[1::2])
    return xp.sum(amplitudes ** 2) + xp.sum(xp.cos(phases))


def bearing_sectors(xp, p):
    """Bearings of displacement vectors: np.arctan2 in degrees by np.rad2deg wrapped by %,
    the compass quadrant by np.floor_divide (a constant step), the share of a full turn
    by np.true_divide, slopes by np.arctan, and np.deg2rad back."""
    angles = xp.arctan2(p[:6], p[6:12])
    degrees = xp.rad2deg(angles) % 360
    quadrant = xp.floor_divide(degrees, 90.0)
    turn = xp.true_divide(degrees, 360.0)
    slopes = xp.arctan(p[:6] / 3.0)
    return (xp.sum(turn * (quadrant + 1)) + xp.sum(slopes ** 2)
            + xp.sum(xp.deg2rad(degrees) - angles))


def interpolation_with_edges(xp, p):
    """A lookup table of parameter values read by np.interp outside its range with
    left= a parameter and right=0, on a periodic grid with period=1.0, and at parameter
    points inside it."""
    grid = np.linspace(0.0, 1.0, 5)
    table = p[:5]
    outside = xp.interp(np.array([-0.2, 0.1, 0.5, 0.77, 1.3]), grid, table, left=p[5],
                        right=0.0)
    wrapped = xp.interp(np.array([-0.3, 0.4, 1.6]), grid[:-1], table[:-1], period=1.0)
    inside = xp.interp(0.3 + 0.1 * xp.tanh(p[6:9]), grid, table)
    return xp.sum(outside ** 2) + xp.sum(wrapped) + xp.sum(inside ** 2)


def lattice_products(xp, p):
    """A two-site lattice Hamiltonian by np.kron of a parameter block and a fixed
    Laplacian with identities, np.outer couplings, np.inner of a vector with itself, and
    np.cross of the couplings' rows with fixed vectors."""
    block = p[:4].reshape(2, 2)
    laplacian = np.array([[2.0, -1.0], [-1.0, 2.0]])
    hamiltonian = xp.kron(block, np.eye(2)) + xp.kron(np.eye(2), laplacian)
    couplings = xp.outer(p[4:7], p[7:9])
    return (xp.sum(hamiltonian @ hamiltonian) / 10 + xp.sum(couplings ** 2)
            + xp.inner(p[4:7], p[4:7]) + xp.sum(xp.cross(couplings.T, np.ones((2, 3)))))


def isotropic_elasticity(xp, p):
    """Linear elasticity: the identity tensor I (x) I by np.tensordot(axes=0) of
    np.identity, its index shuffles by np.rollaxis and np.moveaxis with lists, the
    stiffness lam I (x) I + 2 mu I_sym, the stress of a symmetrised strain by
    tensordot(axes=2) and the energy by tensordot over axis pairs."""
    lam, mu = xp.exp(p[0]), xp.exp(p[1])
    identity = np.identity(3)
    outer_identity = np.tensordot(identity, identity, axes=0)
    shuffled = 0.5 * (np.rollaxis(outer_identity, 2, 1)
                      + np.moveaxis(outer_identity, [1, 2], [3, 1]).transpose(0, 2, 1, 3))
    stiffness = lam * outer_identity + 2 * mu * np.einsum("ikjl->ijkl", outer_identity)
    strain = p[2:11].reshape(3, 3)
    strain = 0.5 * (strain + strain.T)
    stress = xp.tensordot(stiffness, strain, axes=2)
    energy = 0.5 * xp.tensordot(stress, strain, axes=((0, 1), (0, 1)))
    return energy + xp.sum(xp.tensordot(shuffled, stress, axes=([2, 3], [0, 1]))) / 10


def einsum_along_a_precomputed_path(xp, p):
    """A chain of three matrices contracted by np.einsum along a path found once by
    np.einsum_path(optimize='greedy'), and a trace of a product by an implicit-output
    einsum with optimize='optimal'."""
    a, b, c = p[:6].reshape(2, 3), p[6:18].reshape(3, 4), p[18:26].reshape(4, 2)
    path, _ = np.einsum_path("ij,jk,kl->il", a, b, c, optimize="greedy")
    chain = xp.einsum("ij,jk,kl->il", a, b, c, optimize=path)
    trace = xp.einsum("ij,jk,ki", a, b[:, :2], c[:2], optimize="optimal")
    return xp.sum(chain ** 2) + trace


#: (program, parameters, whether HIPS autograd has every function the program calls)
PROGRAMS = [
    (matched_filter_radar, _rng.normal(size=3), False),
    (cepstra_of_overlapping_frames, _rng.normal(size=33), False),
    (image_borders_by_pad_modes, _rng.normal(size=12), False),
    (harris_corner_response, _rng.normal(size=42), False),
    (strided_layouts, _rng.normal(size=12), False),
    (empirical_variogram, _rng.normal(size=9), False),
    (sensor_statistics_with_gaps, _rng.normal(size=12), False),
    (portfolio_risk_with_biased_covariances, _rng.normal(size=15), False),
    (cronbach_alpha, _rng.normal(size=20), False),
    (lomb_scargle_power, _rng.normal(size=13), True),
    (tidal_constituents, _rng.normal(size=20), False),
    (bearing_sectors, _rng.normal(size=12), True),
    (interpolation_with_edges, _rng.normal(size=9), False),
    (lattice_products, _rng.normal(size=9), True),
    (isotropic_elasticity, _rng.normal(size=11), True),
    (einsum_along_a_precomputed_path, _rng.normal(size=26), True),
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
