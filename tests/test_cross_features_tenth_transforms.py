"""FFT, STFT, ``out=`` and ``Function.setup_context`` under the function transforms
(``grad``, ``vmap``, ``jacrev``, ``jacfwd``, ``hessian``, ``autograd.functional``),
against PyTorch's ``torch.func`` and central differences."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from cross_tenth_functions import DoubleAndSign, power_function

RNG = np.random.default_rng(10)
X = RNG.normal(size=(3, 8))
WINDOW = np.hanning(4)


def _torch():
    torch = pytest.importorskip("torch")
    return torch


def _spectral_loss(xp_fft):
    def loss(v):
        spectrum = xp_fft.fft(v)
        return ((xp_fft.rfft(v).abs() ** 2).sum() + xp_fft.ifft(v * 1j).real.sum()
                + (spectrum[1] * spectrum[2]).imag)
    return loss


def _stft_loss(stft, window):
    return lambda v: (stft(v, 4, hop_length=1, window=window,
                           return_complex=True).abs() ** 3).sum()


def _istft_loss(stft, istft, window):
    def loss(v):
        spectrum = stft(v, 4, hop_length=1, window=window, return_complex=True)
        return (istft(spectrum * 2, 4, hop_length=1, window=window, length=8) ** 3).sum()
    return loss


def _central_gradient(f, x, eps=1e-6):
    out = np.zeros_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step.flat[i] = eps
        out.flat[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return out


@pytest.mark.parametrize("transform", ["grad", "vmap_grad", "hessian"])
@pytest.mark.parametrize("which", ["fft", "stft", "istft"])
def test_spectral_losses_under_transforms_match_torch_func(transform, which):
    torch = _torch()
    ours = {"fft": _spectral_loss(ad.fft),
            "stft": _stft_loss(ad.stft, ad.tensor(WINDOW)),
            "istft": _istft_loss(ad.stft, ad.istft, ad.tensor(WINDOW))}[which]
    theirs = {"fft": _spectral_loss(torch.fft),
              "stft": _stft_loss(torch.stft, torch.tensor(WINDOW)),
              "istft": _istft_loss(torch.stft, torch.istft, torch.tensor(WINDOW))}[which]
    if transform == "grad":
        got, want = ad.func.grad(ours)(ad.tensor(X[0])), torch.func.grad(theirs)(
            torch.tensor(X[0]))
        np.testing.assert_allclose(
            np.asarray(got.data),
            _central_gradient(lambda a: float(ours(ad.tensor(a)).data), X[0]), rtol=1e-6,
            atol=1e-6)
    elif transform == "vmap_grad":
        got = ad.func.vmap(ad.func.grad(ours))(ad.tensor(X))
        want = torch.func.vmap(torch.func.grad(theirs))(torch.tensor(X))
    else:
        got, want = ad.func.hessian(ours)(ad.tensor(X[0])), torch.func.hessian(theirs)(
            torch.tensor(X[0]))
    assert got.shape == tuple(want.shape)
    np.testing.assert_allclose(np.asarray(got.data), want.detach().numpy(), rtol=1e-9,
                               atol=1e-9)


@pytest.mark.parametrize("jacobian", ["jacrev", "jacfwd"])
def test_jacobians_of_spectral_magnitudes_match_torch(jacobian):
    torch = _torch()
    ours = getattr(ad.func, jacobian)(lambda v: ad.stft(
        v, 4, hop_length=2, window=ad.tensor(WINDOW), return_complex=True).abs())
    theirs = getattr(torch.func, jacobian)(lambda v: torch.stft(
        v, 4, hop_length=2, window=torch.tensor(WINDOW), return_complex=True).abs())
    np.testing.assert_allclose(ours(ad.tensor(X[0])).data,
                               theirs(torch.tensor(X[0])).numpy(), atol=1e-12)
    ours = getattr(ad.func, jacobian)(lambda v: ad.fft.rfft(v).abs())
    theirs = getattr(torch.func, jacobian)(lambda v: torch.fft.rfft(v).abs())
    np.testing.assert_allclose(ours(ad.tensor(X[0])).data,
                               theirs(torch.tensor(X[0])).numpy(), atol=1e-12)


def test_autograd_functional_on_fft_losses_matches_torch():
    torch = _torch()
    F, TF = ad.autograd.functional, torch.autograd.functional
    ours, theirs = _spectral_loss(ad.fft), _spectral_loss(torch.fft)
    x, v = ad.tensor(X[0]), ad.tensor(X[1])
    tx, tv = torch.tensor(X[0]), torch.tensor(X[1])
    np.testing.assert_allclose(F.hessian(ours, x).data, TF.hessian(theirs, tx).numpy(),
                               atol=1e-10)
    np.testing.assert_allclose(F.hvp(ours, x, v)[1].data, TF.hvp(theirs, tx, tv)[1].numpy(),
                               atol=1e-10)

    def magnitude(module):
        return lambda t: module.rfft(t).abs()
    np.testing.assert_allclose(F.jvp(magnitude(ad.fft), x, v)[1].data,
                               TF.jvp(magnitude(torch.fft), tx, tv)[1].numpy(), atol=1e-10)
    np.testing.assert_allclose(F.jacobian(magnitude(ad.fft), x).data,
                               TF.jacobian(magnitude(torch.fft), tx).numpy(), atol=1e-10)


def test_vmap_of_complex_values_matches_torch():
    torch = _torch()
    Z = X + 1j * X[::-1]
    got = ad.func.vmap(lambda z: ad.fft.fft(z) * z)(ad.tensor(Z))
    want = torch.func.vmap(lambda z: torch.fft.fft(z) * z)(torch.tensor(Z))
    assert got.dtype == np.complex128
    np.testing.assert_allclose(got.data, want.numpy(), atol=1e-12)


def test_a_complex_argument_to_a_transform_is_refused_pointing_to_what_works():
    torch = _torch()
    Z = X[0] + 1j * X[1]

    def loss(z):
        return (ad.fft.fft(z).abs() ** 2).sum() + (z * z).real.sum()
    for transform in (ad.func.grad, ad.func.jacrev, ad.func.jacfwd, ad.func.hessian):
        with pytest.raises(TypeError, match=r"complex128.*ad\.autograd\.grad\(loss, z\)"):
            transform(loss)(ad.tensor(Z))
    # the two ways the message gives agree with torch.func.grad
    z = ad.tensor(Z, requires_grad=True)
    (by_autograd,) = ad.autograd.grad(loss(z), z)
    by_pairs = ad.view_as_complex(ad.func.grad(lambda r: loss(ad.view_as_complex(r)))(
        ad.view_as_real(ad.tensor(Z))))
    tz = torch.tensor(Z)
    want = torch.func.grad(lambda z: (torch.fft.fft(z).abs() ** 2).sum()
                           + (z * z).real.sum())(tz).numpy()
    np.testing.assert_allclose(np.asarray(getattr(by_autograd, "data", by_autograd)), want)
    np.testing.assert_allclose(by_pairs.data, want)


def test_out_functions_under_transforms_match_plain_ops():
    torch = _torch()

    def ours(v):
        return (ad.mul(v, v, out=ad.zeros(8)) ** 2).sum()

    def theirs(v):
        return ((v * v) ** 2).sum()
    x, tx = ad.tensor(X[0]), torch.tensor(X[0])
    np.testing.assert_allclose(ad.func.grad(ours)(x).data, torch.func.grad(theirs)(tx).numpy())
    np.testing.assert_allclose(ad.func.hessian(ours)(x).data,
                               torch.func.hessian(theirs)(tx).numpy())
    np.testing.assert_allclose(
        ad.func.jacfwd(lambda v: ad.matmul(v.reshape(2, 4).T, v.reshape(2, 4),
                                           out=ad.zeros((4, 4))))(x).data,
        torch.func.jacfwd(lambda v: v.reshape(2, 4).T @ v.reshape(2, 4))(tx).numpy())
    np.testing.assert_allclose(
        ad.func.vmap(lambda v: ad.mul(v, v, out=ad.zeros(8)))(ad.tensor(X)).data, X * X)


_Cube = power_function(ad.autograd.Function, 3, vmap_rule=True)


def test_setup_context_functions_under_transforms():
    x = ad.tensor(X[0])
    np.testing.assert_allclose(ad.func.vmap(_Cube.apply)(ad.tensor(X)).data, X ** 3)
    np.testing.assert_allclose(
        ad.func.vmap(ad.func.grad(lambda v: _Cube.apply(v).sum()))(ad.tensor(X)).data,
        3 * X ** 2)
    for jacobian in (ad.func.jacrev, ad.func.jacfwd):
        np.testing.assert_allclose(jacobian(_Cube.apply)(x).data, np.diag(3 * X[0] ** 2))
    np.testing.assert_allclose(ad.func.hessian(lambda v: _Cube.apply(v).sum())(x).data,
                               np.diag(6 * X[0]))

    def weighted(v):
        doubled, positive = DoubleAndSign.apply(v)
        return (doubled * ad.where(positive, 1.0, 3.0)).sum()
    want = np.where(X > 0, 2.0, 6.0)
    np.testing.assert_array_equal(ad.func.grad(weighted)(x).data, want[0])
    np.testing.assert_array_equal(ad.func.vmap(ad.func.grad(weighted))(ad.tensor(X)).data,
                                  want)
    doubled, positive = ad.func.vmap(DoubleAndSign.apply)(ad.tensor(X))
    assert positive.dtype == np.bool_ and positive.shape == X.shape
    np.testing.assert_array_equal(positive.data, X > 0)
    np.testing.assert_array_equal(doubled.data, 2 * X)
