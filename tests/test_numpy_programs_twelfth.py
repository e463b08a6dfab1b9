"""A twelfth set of short NumPy programs, from domains and NumPy functions the earlier
rounds did not visit (continued in test_numpy_programs_twelfth_more.py):
pharmacokinetics (a two-compartment model on a ``np.logspace`` grid, an
``np.float64`` constant), queueing (Erlang B and C by a recursion over servers), sports
(Elo ratings updated in place at indices, ``np.pow`` with base 10), economics (a Lorenz
curve by ``np.cumulative_sum(include_initial=True)``; Gini, Theil and Atkinson
indices), electrical engineering (an AC circuit in Python complex numbers, ``.conj()``,
``np.angle(deg=True)``), images and turbulence (``np.fft.rfft2`` and ``irfft2(s=)``,
``fft2``/``ifft2``, ``ifftshift``, ``rfftfreq``, ``rfftn``, ``fftn``/``ifftn``,
``hfft``/``ihfft``), insurance (a chain-ladder reserve over a triangle from
``np.flipud(np.tri(...))`` with ``np.sum(where=)``), finance (an internal rate of return
by Newton steps with ``np.power`` of integer periods), optimisation (projected gradient
on the simplex with ``np.nonzero``), probability (categorical sampling by
``np.searchsorted(np.cumsum(p), u)``, ``np.log1p(-np.exp(...))``), robotics (a
spatial arm with rotations stacked by ``np.stack``, ``.mT`` and NumPy 2's ``np.acos``)
and quantum states (two qubits by ``np.kron`` of Pauli matrices, ``np.vecdot``,
``np.matvec`` and ``np.vecmat`` of complex vectors, ``np.linalg.eigh``).  Each is
differentiated unchanged with ``ad.grad`` and checked as every round is
(``numpy_program_checks``).  The two qubits needed the library fixed: the complex
vector products were refused, and the complex norm differed from NumPy's in the last
bit (test_numpy_twelfth_findings.py).

Each program is ``program(xp, p)``, a scalar function of a parameter array ``p``;
``xp`` is ``numpy`` (on an ndarray, or on a Tensor through NumPy's dispatch) or
``autograd.numpy``, so the runs share one text."""

import numpy as np

from numpy_program_checks import program_tests

_rng = np.random.default_rng(20261212)
_GAMES = [(0, 1), (2, 3), (4, 0), (1, 2), (3, 4), (0, 2), (1, 3), (2, 4)]
_OUTCOMES = np.array([1.0, 0.0, 0.5, 1.0, 1.0, 0.0, 0.5, 1.0])
_UNIFORMS = np.array([0.05, 0.31, 0.52, 0.77, 0.93, 0.64])
_CLAIMS = np.array([[100.0, 60.0, 20.0, 5.0], [110.0, 70.0, 25.0, 6.0],
                    [120.0, 65.0, 22.0, 5.5], [130.0, 72.0, 24.0, 6.5]])


def two_compartment_pharmacokinetics(xp, p):
    """A drug in a two-compartment model: the plasma concentration C(t) = D (f e^(-a t)
    + (1 - f) e^(-b t)) sampled on a np.logspace grid of times, the exposure (AUC) by
    np.trapezoid with the tail extrapolated, the mean residence time, the terminal
    half-life with an np.float64 constant, and the peak by the .max() method."""
    dose = 100.0
    alpha, beta = xp.exp(p[0]) + 1.0, 0.2 * xp.exp(0.3 * p[1])
    fraction = 1 / (1 + xp.exp(-p[2]))
    times = xp.logspace(-2, 1.5, 15)
    concentration = dose * (fraction * xp.exp(-alpha * times)
                            + (1 - fraction) * xp.exp(-beta * times))
    auc = xp.trapezoid(concentration, times) + concentration[-1] / beta
    mean_residence = xp.trapezoid(concentration * times, times) / auc
    half_life = np.float64(np.log(2.0)) / beta
    return xp.log(auc) + mean_residence / 10 + half_life + concentration.max() / dose


def erlang_c_staffing(xp, p):
    """A call centre as an M/M/c queue: the offered load, the Erlang B blocking
    probability by its recursion over the number of servers in a Python loop, Erlang C
    from it, and for 4 to 9 servers the mean wait and the service level, stacked by
    np.stack into a table whose costs are weighed."""
    arrival, service = 3.0 * xp.exp(0.2 * p[0]), xp.exp(0.1 * p[1])
    load = arrival / service
    blocking = 1.0
    rows = []
    for servers in range(1, 10):
        blocking = load * blocking / (servers + load * blocking)
        if servers >= 4:
            waiting = servers * blocking / (servers - load * (1 - blocking))
            spare = servers * service - arrival
            rows.append(xp.stack([waiting / spare, 1 - waiting * xp.exp(-0.5 * spare)]))
    table = xp.stack(rows)
    cost = np.arange(4.0, 10.0) + 20 * table[:, 0]
    return (cost * xp.exp(-0.3 * cost)).sum() + table[:, 1].mean()


def elo_ratings_season(xp, p):
    """A season rated by Elo: each game's expected score 1 / (1 + 10^(-d / 400)) by np.pow
    with base 10, the two ratings updated in place on a copy (ratings[home] += ...), the
    season's log-loss with np.log1p(-expected), and the final spread by
    np.linalg.vector_norm."""
    ratings = (1500.0 + 50.0 * p[:5]).copy()
    k = 20.0 * xp.exp(0.1 * p[5])
    log_loss = 0.0
    for (home, away), outcome in zip(_GAMES, _OUTCOMES):
        expected = 1.0 / (1.0 + xp.pow(10.0, -(ratings[home] - ratings[away]) / 400.0))
        log_loss = log_loss - (outcome * xp.log(expected)
                               + (1 - outcome) * xp.log1p(-expected))
        ratings[home] += k * (outcome - expected)
        ratings[away] -= k * (outcome - expected)
    spread = xp.linalg.vector_norm(ratings - ratings.mean())
    return log_loss / len(_GAMES) + spread / 100.0


def income_inequality(xp, p):
    """Inequality of incomes: the Lorenz curve by np.sort and np.cumulative_sum with
    include_initial=True, the Gini coefficient by np.trapezoid under it, the Theil
    index, the top fifth's share, and the Atkinson index (aversion 1.5) by np.pow."""
    incomes = xp.exp(p[:10])
    ordered = xp.sort(incomes)
    shares = xp.cumulative_sum(ordered, include_initial=True) / ordered.sum()
    gini = 1.0 - 2.0 * xp.trapezoid(shares, np.linspace(0.0, 1.0, 11))
    ratio = incomes / incomes.mean()
    theil = xp.mean(ratio * xp.log(ratio))
    top = ordered[-2:].sum() / ordered.sum()
    atkinson = 1.0 - xp.pow(xp.mean(xp.pow(ratio, -0.5)), -2.0)
    return gini + theil + top + atkinson


def ac_circuit_power(xp, p):
    """A resistor in series with an inductor and a capacitor in parallel, over a sweep
    of frequencies: impedances in Python complex numbers (1j * omega * L), the current
    from a source complex(230, 0) turned by a phase, the complex power V conj(I) by
    .conj(), the real power, the power factor by np.cos(np.angle(z)) and the current's
    phase by np.angle(deg=True)."""
    resistance = 10.0 * xp.exp(0.2 * p[0])
    inductance, capacitance = 0.05 * xp.exp(0.2 * p[1]), 1e-4 * xp.exp(0.2 * p[2])
    omega = 2 * np.pi * np.array([50.0, 60.0, 100.0, 400.0])
    inductor = 1j * omega * inductance
    capacitor = 1 / (1j * omega * capacitance)
    total = resistance + inductor * capacitor / (inductor + capacitor)
    source = complex(230.0, 0.0) * xp.exp(1j * 0.1 * p[3])
    current = source / total
    power = source * current.conj()
    factor = xp.cos(xp.angle(total))
    phase = xp.angle(current, deg=True)
    return (xp.real(power).sum() / 1000 + factor.sum() + xp.abs(current).max()
            + phase.mean() / 90)


def spectral_image_filter(xp, p):
    """An image smoothed in the frequency domain: np.fft.rfft2, a Gaussian transfer
    function on the grid of np.fft.fftfreq and np.fft.rfftfreq with a parameter width,
    back by np.fft.irfft2 with s=, the power spectrum of np.fft.fft2 centred by
    np.fft.fftshift and put back by np.fft.ifftshift, and a round trip by np.fft.ifft2."""
    image = p[:24].reshape(4, 6)
    rows, cols = np.fft.fftfreq(4)[:, None], np.fft.rfftfreq(6)[None, :]
    width = 0.2 * xp.exp(0.2 * p[24])
    transfer = xp.exp(-(rows ** 2 + cols ** 2) / (2 * width ** 2))
    smoothed = xp.fft.irfft2(xp.fft.rfft2(image) * transfer, s=(4, 6))
    power = xp.fft.ifftshift(xp.fft.fftshift(xp.abs(xp.fft.fft2(image)) ** 2))
    roundtrip = xp.real(xp.fft.ifft2(xp.fft.fft2(smoothed)))
    return (((smoothed - image) ** 2).sum() + xp.log(power[0, 1] + power[1, 0])
            + xp.std(roundtrip))


def turbulence_energy_spectrum(xp, p):
    """A velocity component on a small periodic box: its energy by np.fft.rfftn summed
    in wavenumber shells with np.bincount(weights=), the shells from a
    np.meshgrid(indexing='ij') of np.fft.fftfreq and rfftfreq; the dissipation from
    np.fft.ifftn of the derivative's spectrum (i k times np.fft.fftn); and a Hermitian
    signal by np.fft.hfft with its inverse np.fft.ihfft."""
    field = p[:24].reshape(2, 3, 4)
    kx, ky, kz = np.meshgrid(np.fft.fftfreq(2), np.fft.fftfreq(3), np.fft.rfftfreq(4),
                             indexing="ij")
    energy = xp.abs(xp.fft.rfftn(field)) ** 2
    shells = np.round(4 * np.sqrt(kx ** 2 + ky ** 2 + kz ** 2)).astype(int)
    spectrum = xp.bincount(shells.ravel(), weights=energy.ravel())
    wavenumber = np.fft.fftfreq(4)[None, None, :]
    derivative = xp.fft.ifftn(2j * np.pi * wavenumber * xp.fft.fftn(field))
    hermitian = xp.fft.hfft(field[0, 0] + 1j * field[1, 0])
    back = xp.fft.ihfft(hermitian)
    return (xp.log1p(spectrum).sum() + (xp.abs(derivative) ** 2).mean()
            + (hermitian ** 2).mean() + xp.abs(back).sum())


def chain_ladder_reserves(xp, p):
    """Claims reserving by the chain-ladder method: a cumulative loss triangle (accident
    years by development years), its known cells from np.flipud(np.tri(4)), the
    development factors as ratios of column sums over the known cells by
    np.sum(where=), the factors to ultimate by np.cumprod, and the reserve."""
    increments = _CLAIMS * xp.exp(0.1 * p[:16].reshape(4, 4))
    cumulative = xp.cumsum(increments, axis=1)
    known = np.flipud(np.tri(4, dtype=bool))
    factors = xp.stack([xp.sum(cumulative[:, j + 1], where=known[:, j + 1])
                        / xp.sum(cumulative[:, j], where=known[:, j + 1])
                        for j in range(3)])
    to_ultimate = xp.concatenate([xp.cumprod(factors[::-1])[::-1], np.ones(1)])
    latest_column = 3 - np.arange(4)
    latest = cumulative[np.arange(4), latest_column]
    ultimate = latest * to_ultimate[latest_column]
    return (ultimate - latest).sum() / 100 + xp.log(factors).sum() + ultimate.std(ddof=1) / 100


def internal_rate_of_return(xp, p):
    """A project's cash flows: the net present value by np.power of (1 + r) to integer
    periods, the internal rate of return by eight Newton steps from an np.float64 guess,
    the Macaulay duration and convexity at that rate, the drawdowns of the cumulative
    value by np.maximum.accumulate, and the payback period by np.argmax."""
    flows = np.array([-100.0, 20.0, 30.0, 40.0, 35.0, 25.0]) + 5.0 * p[:6]
    periods = np.arange(6)
    rate = np.float64(0.1)
    for _ in range(8):
        discount = xp.power(1 + rate, -periods)
        npv = (flows * discount).sum()
        slope = -(periods * flows * discount).sum() / (1 + rate)
        rate = rate - npv / slope
    present = flows * xp.power(1 + rate, -periods)
    duration = (periods * present)[1:].sum() / present[1:].sum()
    convexity = (periods * (periods + 1) * present)[1:].sum() / present[1:].sum()
    value = xp.cumsum(flows)
    drawdown = (xp.maximum.accumulate(value) - value).max()
    payback = xp.argmax(value >= 0)
    return (rate + duration / 10 + convexity / (100 * (1 + rate) ** 2) + drawdown / 100
            + value[payback] / 100)


def portfolio_on_the_simplex(xp, p):
    """Mean-variance portfolio weights by projected gradient descent on the probability
    simplex: each projection sorts the step in decreasing order, finds the last index
    where the threshold holds by np.nonzero, and clips at zero by np.maximum; the
    objective at the end with a floor by np.clip(..., None) on one side."""
    mean = 0.05 + 0.02 * p[:4]
    factor = np.eye(4) + 0.1 * p[4:20].reshape(4, 4)
    covariance = factor @ factor.T / 4
    weights = np.full(4, 0.25)
    for _ in range(6):
        step = weights - 0.5 * (covariance @ weights - mean)
        ordered = xp.sort(step)[::-1]
        cumulative = xp.cumsum(ordered) - 1
        rho = xp.nonzero(ordered - cumulative / np.arange(1, 5) > 0)[0][-1]
        weights = xp.maximum(step - cumulative[rho] / (rho + 1), 0)
    return (weights @ covariance @ weights - mean @ weights
            + xp.clip(weights, 0.05, None).sum())


def categorical_sampling(xp, p):
    """Categorical sampling by inverting the CDF: probabilities by a softmax with the
    max subtracted (keepdims=True), samples at fixed uniforms by
    np.searchsorted(np.cumsum(probs), u), their log-likelihood, log(1 - p) by
    np.log1p(-np.exp(log p)), and neighbouring categories merged by np.logaddexp."""
    logits = p[:5]
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))
    samples = xp.searchsorted(xp.cumsum(xp.exp(log_probs)), _UNIFORMS)
    samples = np.minimum(samples, 4)
    complement = xp.log1p(-xp.exp(log_probs))
    merged = xp.logaddexp(log_probs[:-1], log_probs[1:])
    return -log_probs[samples].sum() + complement.sum() + merged.max()


def _rotations_about_z(angles, xp):
    c, s = xp.cos(angles), xp.sin(angles)
    zero, one = np.zeros(angles.shape), np.ones(angles.shape)
    return xp.stack([xp.stack([c, -s, zero], axis=-1), xp.stack([s, c, zero], axis=-1),
                     xp.stack([zero, zero, one], axis=-1)], axis=-2)


def _rotations_about_y(angles, xp):
    c, s = xp.cos(angles), xp.sin(angles)
    zero, one = np.zeros(angles.shape), np.ones(angles.shape)
    return xp.stack([xp.stack([c, zero, s], axis=-1), xp.stack([zero, one, zero], axis=-1),
                     xp.stack([-s, zero, c], axis=-1)], axis=-2)


def spatial_arm_kinematics(xp, p):
    """A three-joint spatial arm: its joint rotations stacked by np.stack from the
    cosines and sines of the angles (a batch of 3 x 3 matrices), chained by
    np.linalg.multi_dot, the wrist reached through a loop of rotations, the target
    seen from the hand by the rotation's .mT, and the orientation error by np.acos of
    the relative rotation's trace."""
    yaw = _rotations_about_z(0.5 + 0.3 * p[:3], xp)
    pitch = _rotations_about_y(0.2 + 0.3 * p[3:6], xp)
    joints = yaw @ pitch
    hand = xp.linalg.multi_dot([joints[0], joints[1], joints[2]])
    links = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.8, 0.0, 0.0]])
    position, frame = np.zeros(3), np.eye(3)
    for joint in range(3):
        frame = frame @ joints[joint]
        position = position + frame @ links[joint]
    target = np.array([0.5, 1.0, 1.2])
    seen = hand.mT @ (target - position)
    goal = _rotations_about_z(np.array([1.2]), np)[0]
    cosine = (xp.trace(goal.T @ hand) - 1) / 2
    return (seen ** 2).sum() + xp.acos(xp.clip(cosine, -0.999, 0.999))


_PAULI_X = np.array([[0.0, 1.0], [1.0, 0.0]])
_PAULI_Y = np.array([[0.0, -1j], [1j, 0.0]])
_PAULI_Z = np.array([[1.0, 0.0], [0.0, -1.0]])


def two_qubit_evolution(xp, p):
    """Two qubits: a normalised complex state from parameter amplitudes and phases, a
    Hermitian Hamiltonian from np.kron of Pauli matrices, its energy <psi|H|psi> by
    np.vecdot (which conjugates its first argument) of psi and np.matvec(H, psi), the
    evolution exp(-iHt) from np.linalg.eigh, and the fidelity |<target|psi(t)>|^2 with
    a bra taken by np.vecmat."""
    amplitudes = p[:4] * xp.exp(1j * p[4:8])
    state = amplitudes / xp.linalg.norm(amplitudes)
    hamiltonian = (p[8] * np.kron(_PAULI_Z, _PAULI_Z) + p[9] * np.kron(_PAULI_X, np.eye(2))
                   + p[10] * np.kron(np.eye(2), _PAULI_Y))
    energy = xp.real(xp.vecdot(state, xp.matvec(hamiltonian, state)))
    levels, vectors = xp.linalg.eigh(hamiltonian)
    propagator = (vectors * xp.exp(-0.7j * levels)) @ vectors.conj().T
    evolved = xp.matvec(propagator, state)
    target = np.array([1.0, 0.0, 0.0, 1j]) / np.sqrt(2)
    fidelity = xp.abs(xp.vecdot(target, evolved)) ** 2
    overlap = xp.vecmat(evolved, np.kron(_PAULI_Z, np.eye(2)))
    return energy + fidelity + xp.real(overlap @ evolved)


#: (program, parameters, whether HIPS autograd has every function the program calls)
PROGRAMS = [
    (two_compartment_pharmacokinetics, _rng.normal(size=3), False),
    (erlang_c_staffing, _rng.normal(size=2), True),
    (elo_ratings_season, _rng.normal(size=6), False),
    (income_inequality, _rng.normal(size=10), False),
    (ac_circuit_power, _rng.normal(size=4), False),
    (spectral_image_filter, _rng.normal(size=25), True),
    (turbulence_energy_spectrum, _rng.normal(size=24), False),
    (chain_ladder_reserves, _rng.normal(size=16), False),
    (internal_rate_of_return, _rng.normal(size=6), False),
    (portfolio_on_the_simplex, _rng.normal(size=20), True),
    (categorical_sampling, _rng.normal(size=5), True),
    (spatial_arm_kinematics, _rng.normal(size=6), False),
    (two_qubit_evolution, _rng.normal(size=11), False),
]

globals().update(program_tests(PROGRAMS, float32=True))  # every round's checks, and float32's
