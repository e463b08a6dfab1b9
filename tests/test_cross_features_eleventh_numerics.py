"""The tenth round's numerical features crossed with the machinery: ``np.convolve`` /
``np.correlate`` with a short kernel, ``distributions.kl.register_kl``, the complex
``eigh``/``svd``/``qr``/``pinv``/``lstsq``/``cond``/matrix norms, complex optimizer
state saved to a file, schedulers following ``add_param_group`` and a user's pruning
``compute_mask``; under ``ad.compile``, the function transforms, second order,
float32, complex and 0-d/size-1 shapes, against PyTorch and NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from cross_tenth_functions import training_step

RNG = np.random.default_rng(1113)


def _torch():
    return pytest.importorskip("torch")


def _assert_compiled_as_eager(make_step, calls=6):
    """``make_step()`` gives ``(step, parameters)``; a compiled step (without fusion)
    gives the eager step's losses and parameters bit for bit."""
    results = []
    for compiled in (False, True):
        step, parameters = make_step()
        step = ad.compile(step, fuse=False) if compiled else step
        losses = [np.array(step(ad.tensor(np.linspace(0.1, 1, 7) + 0.1 * i)).data)
                  for i in range(calls)]
        results.append((losses, [p.data.copy() for p in parameters]))
    (eager, eager_parameters), (replayed, parameters) = results
    for a, b in zip(eager + eager_parameters, replayed + parameters):
        np.testing.assert_array_equal(b, a)
    assert not np.allclose(eager[0], eager[-1])


def _sgd_step(parameters, loss_of, optimizer=None):
    optimizer = optimizer or ad.optim.SGD(parameters, lr=0.01)
    return training_step(optimizer, loss_of), parameters


# ----- np.convolve / np.correlate with a short kernel -----------------------------------------

def _convolutions_ours(x, w):
    return ((np.convolve(x, w, "full") ** 2).sum() + np.correlate(x, w, "valid").sum()
            + (np.convolve(w, x, "same") ** 3).sum())


def _convolutions_torch(torch, x, w):
    conv = torch.nn.functional.conv1d
    n = len(w)
    full = conv(x[None, None], w.flip(0)[None, None], padding=n - 1)[0, 0]
    valid = conv(x[None, None], w[None, None])[0, 0]
    start = (len(full) - len(x)) // 2        # np.convolve 'same': the centred len(x)
    same = full[start:start + len(x)]
    return (full ** 2).sum() + valid.sum() + (same ** 3).sum()


@pytest.mark.parametrize("transform", ["grad", "jacrev", "jacfwd", "hessian", "vmap_grad"])
def test_short_kernel_convolutions_under_transforms_match_torch_conv1d(transform):
    torch = _torch()
    signal, kernel = RNG.normal(size=(4, 7)), RNG.normal(size=3)

    def run(lib, loss):
        func = lib.func
        x, w = lib.tensor(signal), lib.tensor(kernel)
        return {
            "grad": lambda: func.grad(loss, argnums=1)(x[0], w),
            "jacrev": lambda: func.jacrev(loss, argnums=(0, 1))(x[0], w)[1],
            "jacfwd": lambda: func.jacfwd(loss, argnums=(0, 1))(x[0], w)[0],
            "hessian": lambda: func.hessian(loss, argnums=1)(x[0], w),
            "vmap_grad": lambda: func.vmap(func.grad(loss, argnums=1),
                                           in_dims=(0, None))(x, w),
        }[transform]()

    ours = run(ad, _convolutions_ours)
    theirs = run(torch, lambda x, w: _convolutions_torch(torch, x, w))
    np.testing.assert_allclose(np.asarray(ours), theirs.numpy(), rtol=1e-12)


def test_short_kernel_convolutions_replay_in_a_compiled_step():
    def make_step():
        kernel = ad.nn.Parameter(np.array([0.5, -0.25, 0.1]))
        return _sgd_step([kernel], lambda x: _convolutions_ours(x, kernel))
    _assert_compiled_as_eager(make_step)


def test_short_kernel_convolutions_of_float32_complex_0d_and_size_one_inputs():
    torch = _torch()
    signal, kernel = RNG.normal(size=7).astype(np.float32), RNG.normal(size=3).astype(np.float32)
    x, w = ad.tensor(signal, requires_grad=True), ad.tensor(kernel, requires_grad=True)
    y = np.convolve(x, w)
    y.sum().backward()
    np.testing.assert_array_equal(y.data, np.convolve(signal, kernel))     # NumPy's sums
    assert x.grad.dtype == w.grad.dtype == np.float32
    z, k = signal + 1j * RNG.normal(size=7), kernel + 1j * RNG.normal(size=3)
    grads = []
    for lib in (ad, torch):
        zt, kt = lib.tensor(z, requires_grad=True), lib.tensor(k, requires_grad=True)
        if lib is ad:
            out = np.convolve(zt, kt)
        else:   # a full convolution as the product of zero-padded transforms
            out = torch.fft.ifft(torch.fft.fft(zt, 9) * torch.fft.fft(kt, 9))
        (out.abs() ** 2).sum().backward()
        grads.append((np.asarray(out.detach()), np.asarray(zt.grad), np.asarray(kt.grad)))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    scalar, pair = ad.tensor(2.0, requires_grad=True), ad.tensor([1.0, 3.0], requires_grad=True)
    out = np.convolve(scalar, pair)
    out.sum().backward()
    np.testing.assert_array_equal(out.data, np.convolve(2.0, [1.0, 3.0]))
    assert scalar.grad.shape == () and float(scalar.grad) == 4.0
    one = ad.tensor([2.0], requires_grad=True)
    np.testing.assert_array_equal(np.convolve(one, pair * 1, "same").data,
                                  np.convolve([2.0], [1.0, 3.0], "same"))


def test_short_kernel_convolution_second_order_matches_torch():
    torch = _torch()
    signal, kernel = RNG.normal(size=7), RNG.normal(size=3)
    grads = []
    for lib in (ad, torch):
        x, w = lib.tensor(signal, requires_grad=True), lib.tensor(kernel, requires_grad=True)
        loss = (_convolutions_ours(x, w) if lib is ad else _convolutions_torch(torch, x, w))
        g, = lib.autograd.grad(loss, w, create_graph=True)
        (g ** 2).sum().backward()
        grads.append((np.asarray(x.grad), np.asarray(w.grad)))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-11)


# ----- register_kl ---------------------------------------------------------------------------

def _registered_kl(lib):
    class Shifted(lib.distributions.Normal):
        pass

    @lib.distributions.kl.register_kl(Shifted, lib.distributions.Normal)
    def _kl_shifted(p, q):
        return (p.loc - q.loc) ** 2 * p.scale + (p.scale / q.scale).log()

    def kl(loc, scale):
        q = lib.distributions.Normal(loc * 0 + 0.5, 2.0)
        return lib.distributions.kl_divergence(Shifted(loc, scale), q).sum()
    return kl


@pytest.mark.parametrize("transform", ["grad", "jacrev", "jacfwd", "hessian", "vmap_grad",
                                       "second_order"])
def test_a_registered_kl_under_transforms_matches_torch(transform):
    torch = _torch()
    loc, scale = RNG.normal(size=(2, 3)), np.exp(RNG.normal(size=3))

    def run(lib):
        kl, func = _registered_kl(lib), lib.func
        if transform == "second_order":
            s = lib.tensor(scale, requires_grad=True)
            g, = lib.autograd.grad(kl(lib.tensor(loc[0]), s), s, create_graph=True)
            g.sum().backward()
            return s.grad
        if transform == "vmap_grad":
            return func.vmap(func.grad(kl), in_dims=(0, None))(lib.tensor(loc),
                                                               lib.tensor(scale))
        return getattr(func, transform)(kl, argnums=1)(lib.tensor(loc[0]), lib.tensor(scale))

    np.testing.assert_allclose(np.asarray(run(ad)), run(torch).numpy(), rtol=1e-13)


def test_a_registered_kl_in_a_compiled_step_float32_and_0d():
    kl = _registered_kl(ad)

    def make_step():
        loc, log_scale = ad.nn.Parameter(np.linspace(-1, 1, 7)), ad.nn.Parameter(np.zeros(7))
        return _sgd_step([loc, log_scale], lambda x: kl(loc * x, log_scale.exp()))
    _assert_compiled_as_eager(make_step)
    loc = ad.tensor(np.float32([0.5, 1.0]), requires_grad=True)
    value = kl(loc, ad.tensor(np.float32([1.0, 2.0])))
    value.backward()
    assert value.dtype == loc.grad.dtype == np.float32
    scalar = ad.tensor(0.3, requires_grad=True)
    kl(scalar, 1.5).backward()
    assert scalar.grad.shape == () and float(scalar.grad) == pytest.approx(2 * (0.3 - 0.5) * 1.5)


def test_a_kl_registered_after_a_compiled_call_is_used_by_the_next_call():
    # the plan traced through the built-in Normal-Normal KL was replayed silently
    class Shifted(ad.distributions.Normal):
        pass

    compiled = ad.compile(lambda x: ad.distributions.kl_divergence(
        Shifted(x, 1.0), ad.distributions.Normal(0.0, 1.0)))
    x = ad.tensor(np.array([1.0, 2.0]))
    for _ in range(2):
        np.testing.assert_array_equal(compiled(x).data, x.data ** 2 / 2)

    @ad.distributions.kl.register_kl(Shifted, ad.distributions.Normal)
    def _kl_shifted(p, q):
        return (p.loc - q.loc).abs()

    for _ in range(2):
        np.testing.assert_array_equal(compiled(x).data, x.data)
    assert compiled.traces == 2


# ----- the complex decompositions ---------------------------------------------------------------

def _hermitian(lib, b):
    return b + (b.conj().swapaxes(-1, -2) if lib is ad else b.mH)


COMPLEX_LOSSES = {
    "eigvalsh": lambda lib, a: lib.linalg.eigvalsh(_hermitian(lib, a)).sum(),
    "eigh": lambda lib, a: (lambda w, v: (v * v.conj()).real.sum() + (w ** 2).sum())(
        *lib.linalg.eigh(_hermitian(lib, a))),
    "svdvals": lambda lib, a: lib.linalg.svdvals(a).sum(),
    "qr": lambda lib, a: lib.linalg.qr(a)[1].abs().sum(),
    "pinv": lambda lib, a: lib.linalg.pinv(a).abs().sum(),
    "cond": lambda lib, a: lib.linalg.cond(a),
    "nuc": lambda lib, a: lib.linalg.matrix_norm(a, "nuc"),
    "norm 2": lambda lib, a: lib.linalg.matrix_norm(a, 2),
    "lstsq": lambda lib, a: lib.linalg.lstsq(a, a[..., :1] * 0 + 1).solution.abs().sum(),
}


def _complex(*shape):
    return RNG.normal(size=shape) + 1j * RNG.normal(size=shape)


@pytest.mark.parametrize("transform", ["jacrev", "jacfwd", "hessian", "vmap"])
@pytest.mark.parametrize("name", sorted(COMPLEX_LOSSES))
def test_complex_decompositions_under_transforms_match_torch(name, transform):
    # (the transforms take real arguments: the matrix is rebuilt from its real view)
    torch = _torch()
    loss = COMPLEX_LOSSES[name]
    batch = _complex(2, 3, 3)

    def run(lib):
        func = lib.func
        if transform == "vmap":
            return func.vmap(lambda a: loss(lib, a))(lib.tensor(batch))
        as_complex = lambda r: loss(lib, lib.view_as_complex(r))      # noqa: E731
        real = np.stack([batch[0].real, batch[0].imag], -1)
        return getattr(func, transform)(as_complex)(lib.tensor(real))

    np.testing.assert_allclose(np.asarray(run(ad)), run(torch).numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", sorted(COMPLEX_LOSSES))
def test_complex_decompositions_of_complex64_and_1x1_matrices_match_torch(name):
    torch = _torch()
    loss = COMPLEX_LOSSES[name]
    for matrix, rtol in [(_complex(3, 3).astype(np.complex64), 1e-4), (_complex(1, 1), 1e-12)]:
        grads = []
        for lib in (ad, torch):
            a = lib.tensor(matrix, requires_grad=True)
            value = loss(lib, a)
            value.backward()
            grads.append((np.asarray(value.detach()), np.asarray(a.grad)))
        assert grads[0][1].dtype == matrix.dtype
        np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=rtol)
        np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=rtol, atol=rtol)


def test_complex_decompositions_replay_in_a_compiled_adam_step():
    start = _complex(3, 3)

    def make_step():
        a = ad.nn.Parameter(start.copy())
        names = ["eigh", "svdvals", "qr", "pinv", "cond", "nuc", "norm 2"]
        return _sgd_step([a], lambda x: sum(COMPLEX_LOSSES[n](ad, a * x[0] + x[1])
                                            for n in names),
                         ad.optim.Adam([a], lr=0.01))
    _assert_compiled_as_eager(make_step)
