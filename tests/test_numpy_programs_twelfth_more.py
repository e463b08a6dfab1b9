"""The twelfth set of short NumPy programs, continued (test_numpy_programs_twelfth.py
has the first part): graphics (Phong shading with ``np.vecdot(keepdims=True)`` and a
clipped base to a parameter power), geodesy (great circles by NumPy 2's ``np.acos``,
``np.asin``, ``np.atan2``, ``np.asinh``, ``np.atan``, ``np.atanh``), linear algebra
(``np.linalg.qr`` with ``mode='r'`` and ``mode='complete'``, ``matrix_rank`` as a
constant, ``np.linalg.cholesky(upper=True)``, ``eigvalsh(UPLO='U')``, ``slogdet``'s
named fields, ``np.linalg.eig`` for a Markov chain's stationary law and ``eigvals`` for
its mixing, batched ``solve`` for 1-D and column right-hand sides, batched ``inv`` and
``det``, ``lstsq`` with two right-hand sides, ``multi_dot`` with 1-D ends), population
genetics (``np.einsum('...i,...j->...ij')``), text (a bag of words by
``np.unique_inverse``, ``np.isin`` and ``np.bincount(weights=, minlength=)``, top-2 by
``np.argsort`` and ``np.take_along_axis``), surveys (raking by in-place ``*=``),
meteorology (``np.polynomial.polynomial.polyval2d``, ``np.interp(period=)``, integer
percentages), quality flags decoded by ``np.bitwise_and``, ``np.right_shift``,
``np.bitwise_or``, ``np.invert`` and ``np.bitwise_count`` with statistics by
``np.sum(where=)``, ``np.mean(where=, axis=)``, ``np.max``/``np.min(initial=, where=)``,
``np.var``/``np.std(where=)`` and ``np.prod(where=)``, NumPy 2's array-API names
(``np.vecmat``, ``np.linalg.matrix_norm``, ``vector_norm`` over a tuple of axes,
``svdvals``, ``matrix_transpose``, ``np.linalg.tensordot``, ``np.linalg.diagonal`` and
``trace`` with ``offset=``, ``np.astype``, ``np.unique_values``), ndarray methods
(``.flat[...]`` read and written, ``.fill``, ``.put``, ``.prod(where=)``,
``.ravel('F')``, ``.item()`` in a branch, ``.round(2)``, ``.trace(offset=)``), audio in
mixed dtypes (int16 samples, ``np.float64`` scalars, a Python complex phasor), and a
gappy image imputed by ``np.nan_to_num(nan=np.nanmean(...))`` and padded with its mean
by ``np.pad(constant_values=)``, which needed the library fixed: Tensors as those
values were refused (test_numpy_twelfth_findings.py).

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261213)
_SPHERE = _rng.normal(size=(8, 3))
_SPHERE = _SPHERE / np.linalg.norm(_SPHERE, axis=-1, keepdims=True)
_CITIES = np.deg2rad(np.array([[51.5, -0.1], [40.7, -74.0], [35.7, 139.7],
                               [-33.9, 151.2], [-23.5, -46.6]]))
_WORDS = np.array(["the", "cat", "sat", "on", "a", "mat", "the", "dog", "ran", "in",
                   "a", "park", "cat", "and", "dog", "ran"])
_DOCUMENTS = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2])
_PROJECTION = _rng.normal(size=(12, 3))
_RESPONDENTS = np.array([[30.0, 12.0, 25.0, 8.0], [22.0, 31.0, 14.0, 17.0],
                         [9.0, 18.0, 27.0, 20.0]])
_ROTHFUSZ = np.array([[-42.379, 10.14333127, -0.05481717],
                      [2.04901523, -0.22475541, 0.00085282],
                      [-0.00683783, 0.00122874, -0.00000199]])
_FLAGS = np.array([0b0000, 0b0001, 0b0100, 0b0000, 0b1010, 0b0000, 0b0010, 0b0000,
                   0b1000, 0b0000, 0b0101, 0b0000], dtype=np.uint8)
_DEAD = np.array([[False, True, False, False], [False, False, False, True],
                  [True, False, False, False]])
_SATURATED = np.array([[False, False, True, False], [False, False, False, False],
                       [False, False, False, True]])
_SAMPLES = np.array([1200, -3400, 15000, -32768, 32767, 800, -5, 27000], dtype=np.int16)


def phong_shaded_sphere(xp, p):
    """Phong shading of points on a unit sphere: normals about a moved centre made unit
    by np.linalg.norm(axis=-1, keepdims=True), a light direction likewise, the diffuse
    term clipped at zero by np.clip(..., 0.0, None), the mirror reflection
    2 (n . l) n - l by np.vecdot(keepdims=True), the specular term by np.pow of the
    clipped cosine (0 in the shade) to a parameter shininess, and a gamma by np.pow."""
    normals = _SPHERE - 0.1 * p[:3]
    normals = normals / xp.linalg.norm(normals, axis=-1, keepdims=True)
    light = xp.stack([1.0 + 0.2 * p[3], 1.0 + 0.0 * p[3], 0.5 + 0.1 * p[4]])
    light = light / xp.linalg.norm(light)
    diffuse = xp.clip(normals @ light, 0.0, None)
    reflected = 2 * xp.vecdot(normals, light, keepdims=True) * normals - light
    specular = xp.pow(xp.clip(reflected @ np.array([0.0, 0.0, 1.0]), 0.0, None),
                      8.0 + p[5])
    colour = 0.1 + 0.7 * diffuse + 0.2 * specular
    return xp.pow(colour, 1 / 2.2).sum()


def great_circle_routes(xp, p):
    """Routes between cities on a sphere (NumPy 2's names of the inverse functions):
    the central angles by np.acos of np.vecdot of unit vectors, the same by the
    haversine formula with np.asin, the initial bearings by np.atan2, the Mercator
    ordinate by np.asinh(np.tan(lat)) and back by np.atan(np.sinh(y)), and the
    latitude's inverse Gudermannian by np.atanh(np.sin(lat))."""
    points = _CITIES + 0.05 * p[:10].reshape(5, 2)
    lat, lon = points[:, 0], points[:, 1]
    unit = xp.stack([xp.cos(lat) * xp.cos(lon), xp.cos(lat) * xp.sin(lon), xp.sin(lat)],
                    axis=-1)
    central = xp.acos(xp.clip(xp.vecdot(unit[:-1], unit[1:]), -1.0, 1.0))
    dlat, dlon = xp.diff(lat), xp.diff(lon)
    half = xp.sin(dlat / 2) ** 2 + xp.cos(lat[:-1]) * xp.cos(lat[1:]) * xp.sin(dlon / 2) ** 2
    haversine = 2 * xp.asin(xp.sqrt(half))
    bearing = xp.atan2(xp.sin(dlon) * xp.cos(lat[1:]),
                       xp.cos(lat[:-1]) * xp.sin(lat[1:])
                       - xp.sin(lat[:-1]) * xp.cos(lat[1:]) * xp.cos(dlon))
    mercator = xp.asinh(xp.tan(lat))
    back = xp.atan(xp.sinh(mercator))
    return (6371.0 * central.sum() / 1e4 + (haversine * np.arange(1.0, 5.0)).sum()
            + xp.cos(bearing).sum() + mercator.sum() + back @ xp.atanh(xp.sin(lat)))


def least_squares_by_qr_modes(xp, p):
    """Least squares by the QR decomposition's modes: the triangle alone from
    np.linalg.qr(mode='r') solving the normal equations R^T R x = A^T b by two
    np.linalg.solve calls, a square system's complete Q from mode='complete', the
    condition number by np.linalg.cond, and np.linalg.matrix_rank as a constant."""
    design = np.vander(np.linspace(-1.0, 1.0, 7), 3) + 0.1 * p[:21].reshape(7, 3)
    observed = np.sin(np.linspace(0.0, 3.0, 7))
    triangle = xp.linalg.qr(design, mode="r")
    coefficients = xp.linalg.solve(triangle, xp.linalg.solve(triangle.T, design.T @ observed))
    square = design[:3] + 2 * np.eye(3)
    basis, upper = xp.linalg.qr(square, mode="complete")
    rank = np.linalg.matrix_rank(design)
    residual = design @ coefficients - observed
    return ((residual ** 2).sum() + (basis[:, 0] * upper[0]).sum() + xp.linalg.cond(design)
            + rank * coefficients.sum())


def gaussian_process_upper_factor(xp, p):
    """A Gaussian-process evidence by the upper Cholesky factor (NumPy 2's
    np.linalg.cholesky(upper=True), K = U^T U) with triangular systems solved by
    np.linalg.solve, checked by np.linalg.slogdet read by its named fields, and the
    smallest eigenvalue by np.linalg.eigvalsh(UPLO='U')."""
    inputs = np.linspace(0.0, 1.0, 6)
    targets = np.sin(5.0 * inputs)
    length, signal, noise = 0.3 * xp.exp(p[0]), xp.exp(p[1]), 0.1 * xp.exp(p[2])
    kernel = (signal ** 2 * xp.exp(-(inputs[:, None] - inputs) ** 2 / (2 * length ** 2))
              + noise ** 2 * np.eye(6))
    upper = xp.linalg.cholesky(kernel, upper=True)
    whitened = xp.linalg.solve(upper.T, targets)
    weights = xp.linalg.solve(upper, whitened)
    log_determinant = xp.linalg.slogdet(kernel).logabsdet
    smallest = xp.linalg.eigvalsh(kernel, UPLO="U")[0]
    return (0.5 * whitened @ whitened + xp.log(xp.diag(upper)).sum()
            + 0.1 * log_determinant + targets @ weights / 100 + smallest)


def markov_chain_stationary(xp, p):
    """A three-state Markov chain: its transition matrix by a row softmax, the
    stationary distribution as the eigenvector of P^T for the eigenvalue 1 (from
    np.linalg.eig, picked by np.argmin of |w - 1|, scaled to sum to one, its real
    part), against the first row of np.linalg.matrix_power(P, 60), the mixing rate
    from the moduli of np.linalg.eigvals, and the entropy rate."""
    logits = p[:9].reshape(3, 3)
    transition = xp.exp(logits - logits.max(axis=1, keepdims=True))
    transition = transition / transition.sum(axis=1, keepdims=True)
    values, vectors = xp.linalg.eig(transition.T)
    one = xp.argmin(xp.abs(values - 1))
    stationary = xp.real(vectors[:, one] / vectors[:, one].sum())
    limit = xp.linalg.matrix_power(transition, 60)[0]
    moduli = xp.sort(xp.abs(xp.linalg.eigvals(transition)))
    entropy_rate = -(stationary[:, None] * transition * xp.log(transition)).sum()
    return (entropy_rate + 1e3 * ((stationary - limit) ** 2).sum() + moduli[-2]
            + stationary @ np.array([1.0, 2.0, 3.0]))


def allele_frequencies_under_selection(xp, p):
    """Population genetics in three populations at once: genotype frequencies under
    Hardy-Weinberg by np.einsum('...i,...j->...ij') of the allele frequencies, the
    genotype fitnesses (a parameter matrix), the frequency of the first allele after
    each generation of selection in a Python loop, and the heterozygosity along the
    way with the final log-odds."""
    fitness = 1.0 + 0.05 * p[:3]
    matrix = xp.stack([xp.stack([fitness[0], fitness[1]]), xp.stack([fitness[1], fitness[2]])])
    frequency = np.array([0.1, 0.5, 0.8])
    path = []
    for _ in range(15):
        alleles = xp.stack([frequency, 1 - frequency], axis=-1)
        genotypes = xp.einsum("...i,...j->...ij", alleles, alleles)
        mean_fitness = (genotypes * matrix).sum(axis=(-2, -1))
        frequency = (genotypes[..., 0, :] * matrix[0]).sum(axis=-1) / mean_fitness
        path.append(frequency)
    trajectory = xp.stack(path)
    heterozygosity = 2 * trajectory * (1 - trajectory)
    return heterozygosity.sum() + xp.log(trajectory[-1] / (1 - trajectory[-1])).sum()


def bag_of_words_classifier(xp, p):
    """A bag-of-words classifier of three short documents: token ids by
    np.unique_inverse, stop words dropped by np.isin, each document's weighted counts by
    np.bincount(weights=, minlength=) of learned token weights, class scores with a
    softmax written with np.exp(x - x.max(axis=-1, keepdims=True)), the top two classes
    of each by np.argsort gathered by np.take_along_axis, and the cross-entropy."""
    vocabulary, ids = np.unique_inverse(_WORDS)
    kept = ~np.isin(_WORDS, ["the", "a", "on", "in", "and"])
    token_weights = xp.exp(0.3 * p[:vocabulary.size])
    counts = xp.stack([xp.bincount(ids[kept & (_DOCUMENTS == d)],
                                   weights=token_weights[ids[kept & (_DOCUMENTS == d)]],
                                   minlength=vocabulary.size) for d in range(3)])
    scores = counts @ _PROJECTION[:vocabulary.size] * p[11] + p[12:15]
    shifted = xp.exp(scores - scores.max(axis=-1, keepdims=True))
    probabilities = shifted / shifted.sum(axis=-1, keepdims=True)
    top_two = xp.argsort(-probabilities, axis=-1)[:, :2]
    confidence = xp.take_along_axis(probabilities, top_two, axis=-1)
    labels = np.array([0, 1, 1])
    return (-xp.log(probabilities[np.arange(3), labels]).sum()
            + (confidence[:, 0] - confidence[:, 1]).sum())


def survey_raking(xp, p):
    """Survey weights by raking (iterative proportional fitting): a table of
    respondents by age group and region scaled by parameter factors, then scaled in
    place (table *= ...[:, np.newaxis], table *= ...) to the row and the column targets
    in turn, and the design effect of the weights per respondent."""
    table = _RESPONDENTS * xp.exp(0.2 * p[:12].reshape(3, 4))
    row_targets = np.array([300.0, 450.0, 250.0])
    column_targets = np.array([200.0, 300.0, 350.0, 150.0])
    for _ in range(5):
        table *= (row_targets / table.sum(axis=1))[:, np.newaxis]
        table *= column_targets / table.sum(axis=0)
    weights = table / _RESPONDENTS
    design_effect = 1 + xp.var(weights) / xp.mean(weights) ** 2
    return design_effect + ((table.sum(axis=1) - row_targets) ** 2).sum() + xp.log(table).max()


def weather_station(xp, p):
    """A weather station's readings: the dew point by the Magnus formula with the
    relative humidity stored as integer percentages, the heat index by the Rothfusz
    regression evaluated by np.polynomial.polynomial.polyval2d, the temperature at
    other hours by np.interp(period=24) over the daily cycle, and the wind chill by
    np.pow of the wind speed."""
    temperature = 25.0 + 3.0 * p[:6]
    humidity = np.array([40, 55, 63, 70, 85, 90])
    gamma = xp.log(humidity / 100) + 17.62 * temperature / (243.12 + temperature)
    dew_point = 243.12 * gamma / (17.62 - gamma)
    heat_index = np.polynomial.polynomial.polyval2d(temperature * 9 / 5 + 32, humidity,
                                                    _ROTHFUSZ)
    hours = np.array([0, 4, 8, 12, 16, 20])
    later = xp.interp(np.array([22.0, 26.0, 30.5]), hours, temperature, period=24)
    wind = xp.pow(10.0 + 2.0 * p[6] ** 2, 0.16)
    chill = 13.12 + 0.6215 * later - 11.37 * wind + 0.3965 * later * wind
    return dew_point.mean() + heat_index.mean() / 100 + later.sum() / 10 + chill.std(ddof=1)


def sensor_quality_flags(xp, p):
    """Readings with quality flags packed in bits, decoded as constants by
    np.bitwise_and, np.right_shift, np.bitwise_or, np.invert and np.bitwise_count; the
    statistics over the good readings by np.sum(where=), np.mean(where=, axis=),
    np.max(initial=, where=), np.min(initial=, where=), np.var(where=),
    np.std(where=, ddof=1), and the gains' product by np.prod(where=)."""
    readings = 20.0 + p[:12]
    saturated = np.bitwise_and(_FLAGS, 0b0001) > 0
    calibration = np.right_shift(np.bitwise_and(_FLAGS, 0b1100), 2)
    suspect = np.bitwise_or(_FLAGS & 0b0010, _FLAGS & 0b1000) > 0
    good = np.invert(_FLAGS) == 0b11111111
    flagged = np.bitwise_count(_FLAGS)
    usable = good | (calibration == 1)
    grid, grid_usable = readings.reshape(3, 4), usable.reshape(3, 4)
    total = xp.sum(readings, where=usable)
    row_means = xp.mean(grid, axis=1, where=grid_usable)
    peak = xp.max(readings, initial=0.0, where=~saturated)
    low = xp.min(readings, initial=100.0, where=~suspect)
    spread = xp.var(readings, where=usable) + xp.std(readings, where=good, ddof=1)
    gains = xp.prod(1.0 + 0.01 * readings, where=flagged < 2)
    return total / 100 + row_means.sum() + peak - low + spread + gains


def array_api_linear_algebra(xp, p):
    """NumPy 2's array-API spellings: np.vecmat, np.linalg.matrix_norm with ord='nuc'
    and 2, np.linalg.vector_norm of order 3 over a tuple of axes, np.linalg.svdvals,
    np.linalg.matrix_transpose, np.linalg.tensordot, np.linalg.diagonal and
    np.linalg.trace with offset=, np.astype, np.cumulative_sum(axis=) and
    np.unique_values of rounded entries as a constant."""
    stack = p[:24].reshape(2, 3, 4)
    weights = p[24:27]
    rows = xp.vecmat(weights, stack)
    nuclear = xp.linalg.matrix_norm(stack, ord="nuc")
    spectral = xp.linalg.matrix_norm(stack[0], ord=2)
    cubic = xp.linalg.vector_norm(stack, ord=3, axis=(0, 2))
    singular = xp.linalg.svdvals(stack[1])
    flipped = xp.linalg.matrix_transpose(stack)
    contracted = xp.linalg.tensordot(stack[0], flipped[1], axes=1)
    band = xp.linalg.diagonal(contracted, offset=1) + xp.linalg.trace(stack, offset=1)[0]
    as_float = xp.astype(stack[1], np.float64, copy=True)
    running = xp.cumulative_sum(as_float, axis=1)
    levels = xp.unique_values(xp.round(stack[0, 0] * 2))
    return ((rows ** 2).sum() + nuclear.sum() + spectral + cubic.sum() + singular[-1]
            + band.sum() + running[:, -1].sum() + levels.size * levels.sum())


def ndarray_methods_tour(xp, p):
    """The ndarray methods people call on a grid of values: .clip, .round(2) as a
    bucket, .cumsum(axis=), .prod(where=), .std(ddof=1), .ravel('F'), .T @, .flat[...]
    read and written on a copy, .item() in a branch, .fill on an np.empty_like scratch
    array, .put of parameter values, .trace(offset=1) and .max(initial=, where=)."""
    grid = p[:12].reshape(3, 4)
    clipped = grid.clip(-1.0, 1.0)
    bucket = (grid.round(2) > 0.25)
    running = grid.cumsum(axis=1)
    product = (1 + 0.1 * grid).prod(where=bucket)
    spread = grid.std(ddof=1)
    column_major = grid.ravel("F")
    gram = grid.T @ grid
    written = grid.copy()
    written.flat[::5] = 0.5 * grid.flat[::5] ** 2
    scale = 2.0 if grid[0, 0].item() > 0 else 0.5
    scratch = np.empty_like(grid)
    scratch.fill(0.25)
    put = grid.copy()
    put.put([1, 6], p[12:14] ** 2)
    return (clipped.sum() + running[:, -1] @ np.arange(3.0) + product + spread
            + column_major @ np.arange(12.0) + gram.trace(offset=1) + written.sum()
            + scale * (scratch * grid).sum() + put.max(initial=-5.0, where=~bucket))


def audio_in_mixed_dtypes(xp, p):
    """Audio in the dtypes it arrives in: 16-bit integer samples scaled to [-1, 1) by an
    np.float64 scalar, mixed with a parameter gain, peak level in decibels by np.log10,
    a soft clipper by np.tanh, the RMS with an np.float64(...) reference, and a carrier
    turned by a Python complex phasor before its real part is taken."""
    samples = _SAMPLES / np.float64(32768)
    gain = xp.exp(0.2 * p[0])
    mixed = gain * samples + 0.05 * p[1:9]
    peak_db = 20 * xp.log10(xp.abs(mixed).max())
    soft = xp.tanh(1.5 * mixed) / np.tanh(1.5)
    rms = xp.sqrt((soft ** 2).mean()) / np.float64(0.5)
    phasor = complex(np.cos(0.3), np.sin(0.3))
    carrier = xp.real(phasor * (soft + 1j * mixed))
    return peak_db / 20 + rms + (carrier * np.hanning(8)).sum() + len(_SAMPLES) * gain / 100


def thermal_network_designs(xp, p):
    """Steady temperatures of a three-node thermal network in two designs at once:
    conductance matrices stacked (2, 3, 3), solved by np.linalg.solve for a 1-D heat
    input (broadcast over the designs) and for two load cases as (2, 3, 2) columns,
    their batched np.linalg.inv and np.linalg.det, a least-squares calibration by
    np.linalg.lstsq with two right-hand sides, and np.linalg.multi_dot with 1-D ends."""
    links = xp.exp(0.3 * p[:6]).reshape(2, 3)
    a, b, c = links[:, 0], links[:, 1], links[:, 2]
    zero = np.zeros(2)
    conductance = xp.stack([xp.stack([a + b + 1.0, -a, -b], axis=-1),
                            xp.stack([-a, a + c + 0.5, -c], axis=-1),
                            xp.stack([-b, -c, b + c + 0.2 + zero], axis=-1)], axis=-2)
    heat = np.array([10.0, 0.0, 5.0])
    temperatures = xp.linalg.solve(conductance, heat)
    loads = np.broadcast_to(np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0]]), (2, 3, 2))
    cases = xp.linalg.solve(conductance, loads)
    resistance = xp.linalg.inv(conductance)
    determinant = xp.linalg.det(conductance)
    fit, *_ = xp.linalg.lstsq(conductance[0], cases[1], rcond=None)
    path = xp.linalg.multi_dot([heat, resistance[0], conductance[1], heat])
    return (temperatures.sum() + cases.sum() + resistance.trace(axis1=1, axis2=2).sum()
            + xp.log(determinant).sum() + fit.sum() + path / 100)


def gappy_image_smoothing(xp, p):
    """An image with dead pixels (NaN) and saturated ones (inf): the dead filled with
    the mean of the live ones by np.nan_to_num(nan=np.nanmean(...)), the saturated
    capped at a parameter level by posinf=, the border padded with the image's mean by
    np.pad(constant_values=), and a 3 x 3 box blur over sliding_window_view."""
    image = p[:12].reshape(3, 4)
    raw = xp.where(_DEAD, np.nan, xp.where(_SATURATED, np.inf, image))
    live_mean = xp.nanmean(xp.where(_SATURATED, np.nan, raw))
    filled = xp.nan_to_num(raw, nan=live_mean, posinf=1.0 + p[12] ** 2)
    padded = xp.pad(filled, 1, constant_values=filled.mean())
    blurred = np.lib.stride_tricks.sliding_window_view(padded, (3, 3)).mean(axis=(-2, -1))
    return ((blurred - filled) ** 2).sum() + blurred.max()


#: (program, parameters, whether HIPS autograd has every function the program calls)
PROGRAMS = [
    (phong_shaded_sphere, _rng.normal(size=6), False),
    (great_circle_routes, _rng.normal(size=10), False),
    (least_squares_by_qr_modes, _rng.normal(size=21), False),
    (gaussian_process_upper_factor, _rng.normal(size=3), False),
    (markov_chain_stationary, _rng.normal(size=9), False),
    (allele_frequencies_under_selection, _rng.normal(size=3), True),
    (bag_of_words_classifier, _rng.normal(size=15), False),
    (survey_raking, _rng.normal(size=12), False),
    (weather_station, _rng.normal(size=7), False),
    (sensor_quality_flags, _rng.normal(size=12), False),
    (array_api_linear_algebra, _rng.normal(size=27), False),
    (ndarray_methods_tour, _rng.normal(size=14), False),
    (audio_in_mixed_dtypes, _rng.normal(size=9), True),
    (thermal_network_designs, _rng.normal(size=6), False),
    (gappy_image_smoothing, _rng.normal(size=13), False),
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
