"""Complex parameters, FFT, STFT, ``out=``, multi-output Functions and ``forward_ad``
with the rest of the machinery: ``detect_anomaly``, hooks, ``checkpoint``, ``no_grad``,
second order, ``state_dict`` round trips (modules and optimizers, PyTorch's layout),
float32 kept, and 0-d / size-1 / broadcast shapes."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.autograd.forward_ad as fwAD
from cross_tenth_functions import DoubleAndSign, power_function

RNG = np.random.default_rng(11)
X = RNG.normal(size=(3, 8))
Z = X + 1j * RNG.normal(size=(3, 8))


def _torch():
    torch = pytest.importorskip("torch")
    return torch


class _Spectral(ad.nn.Module):
    """A complex weight applied to the spectrum of a real input."""

    def __init__(self, weight):
        super().__init__()
        self.weight = ad.nn.Parameter(weight.copy())

    def forward(self, x):
        return (ad.fft.fft(x) @ self.weight.T).abs()


def test_a_module_state_dict_with_a_complex_parameter_round_trips(tmp_path):
    # load_state_dict refused complex values ("expected numbers")
    model = _Spectral(Z[:, :4])
    path = tmp_path / "model.npz"
    np.savez(path, **model.state_dict())
    fresh = _Spectral(np.zeros((3, 4), complex))
    weight = fresh.weight.data
    fresh.load_state_dict(dict(np.load(path)))
    assert fresh.weight.data is weight and weight.dtype == np.complex128
    np.testing.assert_array_equal(weight, Z[:, :4])
    ad.save(model.state_dict(), tmp_path / "model.pt")
    again = _Spectral(np.zeros((3, 4), complex))
    again.load_state_dict(ad.load(tmp_path / "model.pt"))
    np.testing.assert_array_equal(again.weight.data, Z[:, :4])


def test_a_complex_state_into_a_real_parameter_is_refused():
    model = _Spectral(Z[:, :4].real.copy())
    with pytest.raises(TypeError, match=r"'weight' is complex.*imaginary parts"):
        model.load_state_dict({"weight": Z[:, :4]})
    np.testing.assert_array_equal(model.weight.data, Z[:, :4].real)


@pytest.mark.parametrize("name", ["Adam", "RMSprop", "Adagrad", "SGD", "Rprop", "Adamax"])
def test_an_optimizer_state_of_a_complex_parameter_is_pytorchs_and_resumes(name):
    # the state was saved as real pairs (shape (3, 4, 2)), which its own load refused
    torch = _torch()

    def make(weight):
        model = _Spectral(weight)
        kwargs = {"momentum": 0.9} if name == "SGD" else {}
        return model, getattr(ad.optim, name)(model.parameters(), lr=0.05, **kwargs)
    x = ad.tensor(X[0, :4])

    def step(model, optimizer):
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    model, optimizer = make(Z[:, :4])
    for _ in range(2):
        step(model, optimizer)
    saved = optimizer.state_dict()
    tw = torch.nn.Parameter(torch.tensor(Z[:, :4]))
    kwargs = {"momentum": 0.9} if name == "SGD" else {}
    torch_optimizer = getattr(torch.optim, name)([tw], lr=0.05, **kwargs)
    for _ in range(2):
        torch_optimizer.zero_grad()
        (torch.fft.fft(torch.tensor(X[0, :4])) @ tw.T).abs().sum().backward()
        torch_optimizer.step()
    for key, value in torch_optimizer.state_dict()["state"][0].items():
        if key != "step":
            assert saved[f"state.0.{key}"].shape == tuple(value.shape)
            assert saved[f"state.0.{key}"].dtype == np.complex128
            np.testing.assert_allclose(saved[f"state.0.{key}"], value.numpy(), atol=1e-12)
    # a fresh model and optimizer resume where the first is, from its state or torch's
    for state in (saved, {**saved, **{f"state.0.{k}": np.asarray(v) for k, v in
                                      torch_optimizer.state_dict()["state"][0].items()}}):
        resumed, resumed_optimizer = make(model.weight.data)
        resumed_optimizer.load_state_dict(state)
        reference, reference_optimizer = make(model.weight.data)
        reference_optimizer.load_state_dict(saved)
        step(resumed, resumed_optimizer)
        step(reference, reference_optimizer)
        np.testing.assert_allclose(resumed.weight.data, reference.weight.data, rtol=1e-12)
    step(model, optimizer)
    np.testing.assert_allclose(reference.weight.data, model.weight.data, rtol=1e-12)


def test_a_complex_optimizer_state_for_a_real_parameter_is_refused():
    w = ad.nn.Parameter(np.ones(3))
    optimizer = ad.optim.Adam([w])
    with pytest.raises(TypeError, match="'state.0.exp_avg' is complex"):
        optimizer.load_state_dict({"state.0.exp_avg": np.ones(3, complex),
                                   "state.0.exp_avg_sq": np.ones(3), "state.0.step": 1})


def test_anomaly_mode_hooks_and_retain_graph_on_fft_of_complex_values():
    torch = _torch()
    seen = []
    with ad.autograd.detect_anomaly():
        z = ad.tensor(Z[0], requires_grad=True)
        z.register_hook(lambda g: seen.append(g.dtype) or g * 2)
        y = ad.fft.fft(z * z)
        y.register_hook(lambda g: seen.append(g.dtype))
        loss = (y.abs() ** 2).sum()
        loss.backward(retain_graph=True)
        loss.backward()
    tz = torch.tensor(Z[0], requires_grad=True)
    tz.register_hook(lambda g: g * 2)
    tloss = (torch.fft.fft(tz * tz).abs() ** 2).sum()
    tloss.backward(retain_graph=True)
    tloss.backward()
    assert seen == [np.complex128] * 4
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), rtol=1e-12)


def test_anomaly_mode_names_the_line_of_a_nan_from_complex_sqrt_at_zero():
    with ad.autograd.detect_anomaly():
        z = ad.tensor(np.zeros(3, complex), requires_grad=True)
        with pytest.raises(ad.AnomalyError, match=r"(?s)sqrt.*test_cross_features_tenth_machinery"):
            ad.sqrt(z).abs().sum().backward()


def test_anomaly_mode_with_a_jvp_penalty():
    with ad.autograd.detect_anomaly(), fwAD.dual_level():
        x = ad.tensor(X[0], requires_grad=True)
        tangent = fwAD.unpack_dual(ad.sin(fwAD.make_dual(x, ad.tensor(X[1]))).sum()).tangent
        (tangent ** 2).backward()
    s = (np.cos(X[0]) * X[1]).sum()
    np.testing.assert_allclose(x.grad, 2 * s * -np.sin(X[0]) * X[1], rtol=1e-12)


def _double_and_sign(v):
    doubled, positive = DoubleAndSign.apply(v)
    return ad.where(positive, doubled, doubled * 3)


@pytest.mark.parametrize("f", [
    lambda v: ad.fft.irfft(ad.fft.rfft(v) * (1 + 1j), n=8),
    lambda v: ad.stft(v, 4, window=ad.hann_window(4), return_complex=True).abs(),
    lambda v: ad.mul(v, v, out=ad.zeros(8)),
    _double_and_sign,
], ids=["fft", "stft", "out", "function"])
def test_checkpoint_gives_the_plain_gradients(f):
    x = ad.tensor(X[0], requires_grad=True)
    (ad.utils.checkpoint.checkpoint(f, x, use_reentrant=False) ** 2).sum().backward()
    checkpointed, x.grad = x.grad.copy(), None
    (f(x) ** 2).sum().backward()
    np.testing.assert_allclose(checkpointed, x.grad, rtol=1e-13)
    assert np.abs(checkpointed).sum() > 0


def test_nothing_is_recorded_under_no_grad_or_inference_mode():
    z = ad.tensor(Z[0], requires_grad=True)
    with ad.no_grad():
        results = [ad.fft.fft(z), ad.mul(z, z, out=ad.zeros(8, dtype=ad.complex128)),
                   ad.stft(ad.tensor(X[0], requires_grad=True), 4,
                           window=ad.hann_window(4), return_complex=True)]
    with ad.inference_mode():
        results.append(ad.fft.ifft(z))
    assert not any(r.requires_grad for r in results)


@pytest.mark.parametrize("which", ["fft", "stft"])
def test_second_order_through_spectra_matches_torch(which):
    torch = _torch()

    def loss(module, stft, window, v):
        if which == "fft":
            return (module.fft(v * v).abs() ** 2).sum()
        return (stft(v, 4, hop_length=1, window=window, return_complex=True).abs() ** 3).sum()
    start = Z[0] if which == "fft" else X[0]
    x = ad.tensor(start, requires_grad=True)
    (g,) = ad.autograd.grad(loss(ad.fft, ad.stft, ad.hann_window(4), x), x, create_graph=True)
    (g.abs() ** 2).sum().backward()
    tx = torch.tensor(start, requires_grad=True)
    (tg,) = torch.autograd.grad(loss(torch.fft, torch.stft, torch.hann_window(4,
                                dtype=torch.float64), tx), tx, create_graph=True)
    (tg.abs() ** 2).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10)


def test_float32_is_kept_through_spectra_tangents_functions_and_optimizers():
    x32 = np.linspace(0.1, 1, 8).astype(np.float32)
    x = ad.tensor(x32, requires_grad=True)
    window = ad.hann_window(4, dtype=ad.float32)
    spectrum = ad.stft(x, 4, hop_length=1, window=window, return_complex=True)
    y = ad.istft(spectrum, 4, hop_length=1, window=window, length=8)
    (y ** 2).sum().backward()
    assert (spectrum.dtype, y.dtype, x.grad.dtype) == (np.complex64, np.float32, np.float32)
    with fwAD.dual_level():
        d = fwAD.make_dual(ad.tensor(x32), ad.tensor(np.ones(8, np.float32)))
        tangent = fwAD.unpack_dual(ad.fft.irfft(ad.fft.rfft(d) * 2, n=8)).tangent
    assert tangent.dtype == np.float32
    np.testing.assert_allclose(tangent.data, 2 * np.ones(8), rtol=1e-6)
    z = ad.nn.Parameter((x32 + 1j * x32).astype(np.complex64))
    optimizer = ad.optim.Adam([z], lr=0.1)
    (ad.fft.fft(z).abs() ** 2).sum().backward()
    optimizer.step()
    assert z.dtype == z.grad.dtype == optimizer.state_dict()["state.0.exp_avg"].dtype == \
        np.complex64
    assert ad.func.hessian(lambda v: (ad.fft.rfft(v).abs() ** 2).sum())(
        ad.tensor(x32)).dtype == np.float32


def test_fftn_over_no_dim_is_complex_as_pytorchs():
    # ad.fft.fftn of a 0-d tensor (or dim=()) gave the real input back, as NumPy does
    torch = _torch()
    x = ad.tensor(2.0, requires_grad=True)
    y = ad.fft.fftn(x)
    assert y.dtype == np.complex128 and complex(y.data) == 2
    (y * (1 - 2j)).real.backward()
    assert float(x.grad) == 1.0
    got = ad.fft.ifftn(ad.tensor([1.0, 2.0], dtype=ad.float32), dim=())
    want = torch.fft.ifftn(torch.tensor([1.0, 2.0]), dim=())
    assert got.dtype == np.complex64 and str(want.dtype) == "torch.complex64"
    np.testing.assert_array_equal(got.data, want.numpy())
    assert np.fft.fftn(ad.tensor(3.0)).dtype == np.fft.fftn(np.array(3.0)).dtype


@pytest.mark.parametrize("name", ["fft", "rfft", "ifft", "irfft", "hfft", "ihfft", "fft2",
                                  "rfftn"])
def test_a_one_dim_transform_of_a_0d_tensor_says_to_reshape(name):
    with pytest.raises(IndexError, match=r"0-d.*reshape\(1\)"):
        getattr(ad.fft, name)(ad.tensor(2.0))
    if name in ("fft", "rfft", "ifft", "ihfft", "rfftn"):      # the advice works
        assert getattr(ad.fft, name)(ad.tensor(2.0).reshape(1)).shape == (1,)


def test_size_one_and_broadcast_shapes_with_complex_values_match_torch():
    torch = _torch()
    x = ad.tensor(np.array([[1.5]]), requires_grad=True)
    (ad.fft.fft2(x * (1 + 2j)).abs() ** 2).sum().backward()
    tx = torch.tensor(np.array([[1.5]]), requires_grad=True)
    (torch.fft.fft2(tx * (1 + 2j)).abs() ** 2).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy())
    z = ad.tensor(np.array([1 + 1j]), requires_grad=True)
    x = ad.tensor(X[:, :4], requires_grad=True)
    (ad.fft.fft(x * z, dim=1).abs() ** 2).sum().backward()
    tz = torch.tensor(np.array([1 + 1j]), requires_grad=True)
    tx = torch.tensor(X[:, :4], requires_grad=True)
    (torch.fft.fft(tx * tz, dim=1).abs() ** 2).sum().backward()
    assert z.grad.shape == (1,)
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)
    signal = ad.tensor(X[:1], requires_grad=True)             # a batch of one
    spectrum = ad.stft(signal, 4, hop_length=2, window=ad.hann_window(4), return_complex=True)
    (spectrum.abs() ** 2).sum().backward()
    tsignal = torch.tensor(X[:1], requires_grad=True)
    tspectrum = torch.stft(tsignal, 4, hop_length=2, window=torch.hann_window(
        4, dtype=torch.float64), return_complex=True)
    (tspectrum.abs() ** 2).sum().backward()
    assert spectrum.shape == tuple(tspectrum.shape) == (1, 3, 5)
    np.testing.assert_allclose(signal.grad, tsignal.grad.numpy(), rtol=1e-12)


def test_0d_tangents_functions_and_out_calls():
    with fwAD.dual_level():
        d = fwAD.make_dual(ad.tensor(0.5), ad.tensor(1.0))
        tangent = fwAD.unpack_dual(ad.exp(d * (1 + 1j)).real).tangent
    np.testing.assert_allclose(float(tangent), np.real(np.exp(0.5 * (1 + 1j)) * (1 + 1j)))
    x = ad.tensor(0.7, requires_grad=True)
    out = _double_and_sign(x)
    out.backward()
    assert out.shape == () and float(x.grad) == 2.0
    x.grad = None
    product = ad.mul(x, x, out=ad.zeros(()))
    product.backward()
    assert product.shape == () and float(x.grad) == pytest.approx(1.4)


_COMPLEX_FUNCTIONS = {
    "multiply": lambda m, d: d * d * (1 + 2j),
    "exp_sin": lambda m, d: m.exp(d) + m.sin(d),
    "abs": lambda m, d: d.abs() ** 2,
    "imag_real": lambda m, d: d.imag * 3 + d.real,
    "angle": lambda m, d: m.angle(d),
    "fft_abs": lambda m, d: m.fft.fft(d * d).abs(),
}


@pytest.mark.parametrize("name", sorted(_COMPLEX_FUNCTIONS))
@pytest.mark.parametrize("primal_requires_grad", [False, True])
def test_forward_ad_tangents_of_complex_values_match_torch(name, primal_requires_grad):
    # elementwise ops on complex values applied their real rules to the tangent (abs,
    # imag and angle gave wrong tangents, with a ComplexWarning) when the primal
    # required no grad; and a tangent through a requires-grad primal differentiates
    torch = _torch()
    tfw = torch.autograd.forward_ad
    f = _COMPLEX_FUNCTIONS[name]
    primal = ad.tensor(Z[0], requires_grad=primal_requires_grad)
    with fwAD.dual_level():
        tangent = fwAD.unpack_dual(f(ad, fwAD.make_dual(primal, ad.tensor(Z[1])))).tangent
    tprimal = torch.tensor(Z[0], requires_grad=primal_requires_grad)
    with tfw.dual_level():
        want = tfw.unpack_dual(f(torch, tfw.make_dual(tprimal, torch.tensor(Z[1])))).tangent
    assert tangent.dtype == np.dtype(str(want.dtype).replace("torch.", ""))
    np.testing.assert_allclose(tangent.data, want.detach().numpy(), rtol=1e-12, atol=1e-12)
    if name == "imag_real":     # linear: the tangent does not depend on the primal
        return
    assert tangent.requires_grad == want.requires_grad == primal_requires_grad
    if primal_requires_grad:
        (tangent.abs() ** 2).sum().backward()
        (want.abs() ** 2).sum().backward()
        np.testing.assert_allclose(primal.grad, tprimal.grad.numpy(), rtol=1e-10)


def test_out_and_item_writes_of_complex_values_differentiate_as_torch():
    # setitem (which out= and t[key] = v record) refused complex values
    torch = _torch()
    z = ad.tensor(Z[0, :3], requires_grad=True)
    out = ad.mul(z, z, out=ad.zeros(3, dtype=ad.complex128))
    (g,) = ad.autograd.grad((out.abs() ** 2).sum(), z, create_graph=True)
    (g.abs() ** 2).sum().backward()
    tz = torch.tensor(Z[0, :3], requires_grad=True)
    (tg,) = torch.autograd.grad(((tz * tz).abs() ** 2).sum(), tz, create_graph=True)
    (tg.abs() ** 2).sum().backward()
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), rtol=1e-12)
    x = ad.tensor([0.5, 2.0], requires_grad=True)      # real values into a complex buffer
    buffer = ad.zeros(2, dtype=ad.complex128)
    buffer[0] = x[0] * x[1] * (1 + 1j)
    buffer[1] = x[1]
    (buffer * buffer).real.sum().backward()
    tx = torch.tensor([0.5, 2.0], requires_grad=True, dtype=torch.float64)
    tbuffer = torch.zeros(2, dtype=torch.complex128)
    tbuffer[0] = tx[0] * tx[1] * (1 + 1j)
    tbuffer[1] = tx[1]
    (tbuffer * tbuffer).real.sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)


def test_a_setup_context_function_of_complex_values_matches_torch():
    # it was refused ("its gradient rule is written for real numbers"), as were
    # complex outputs and complex gradients of complex inputs
    torch = _torch()
    Square = power_function(ad.autograd.Function, 2)
    TorchSquare = power_function(torch.autograd.Function, 2)
    z = ad.tensor(Z[0], requires_grad=True)
    (g,) = ad.autograd.grad((Square.apply(z).abs() ** 2).sum(), z, create_graph=True)
    (g.abs() ** 2).sum().backward()
    tz = torch.tensor(Z[0], requires_grad=True)
    (tg,) = torch.autograd.grad((TorchSquare.apply(tz).abs() ** 2).sum(), tz,
                                create_graph=True)
    (tg.abs() ** 2).sum().backward()
    np.testing.assert_allclose(g.data, tg.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), rtol=1e-12)
    with fwAD.dual_level():     # the tangent derived from backward
        tangent = fwAD.unpack_dual(Square.apply(fwAD.make_dual(ad.tensor(Z[0]),
                                                               ad.tensor(Z[1])))).tangent
    np.testing.assert_allclose(tangent.data, 2 * Z[0] * Z[1], rtol=1e-12)
    np.testing.assert_allclose(ad.func.vmap(Square.apply)(ad.tensor(Z)).data, Z ** 2)


def test_a_complex_gradient_for_a_real_function_input_is_refused_as_torch():
    class Rotate(ad.autograd.Function):
        @staticmethod
        def forward(x):
            return x * (1 + 1j)

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

        @staticmethod
        def backward(ctx, grad):
            return grad * (1 - 1j)
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"Rotate.backward: .*input 0 is complex .*real"):
        (Rotate.apply(x).abs() ** 2).sum().backward()
