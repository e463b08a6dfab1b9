"""FFTs on the tape (autodiff/ops/fft.py, ad.fft): values equal NumPy's bit for bit,
gradients of real losses equal central differences over real and imaginary parts in
float64 and PyTorch's (odd and even n, padding and cropping n / s, every norm, the
Hermitian halving of rfft and irfft), second order through the recorded rules, and
dtypes as NumPy (np.fft) and PyTorch (ad.fft) give them."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from complex_checks import (check_against_central_differences, check_against_torch,
                            sample)

NORMS = [None, "backward", "ortho", "forward"]
ONE_AXIS = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
REAL_INPUT = {"rfft", "ihfft", "rfftn", "rfft2"}

#: (input shape, n, axis): odd and even lengths, n None, padding and cropping, size-1 dims
ONE_AXIS_CASES = [((5,), None, -1), ((6,), None, 0), ((4,), 7, -1), ((7,), 4, -1),
                  ((3, 4), 6, 0), ((2, 5), 5, 1), ((1, 3), None, -1), ((4, 1), 3, 0)]


def _input(name, shape):
    return sample(shape, complex_values=name not in REAL_INPUT)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("case", ONE_AXIS_CASES, ids=str)
@pytest.mark.parametrize("name", ONE_AXIS)
def test_one_axis_values_and_gradients(name, case, norm):
    shape, n, axis = case
    numpy_function = getattr(np.fft, name)
    x = _input(name, shape)
    assert np.array_equal(numpy_function(ad.tensor(x), n, axis, norm).data,
                          numpy_function(x, n, axis, norm))
    check_against_central_differences(lambda t: numpy_function(t, n, axis, norm), [x])


@pytest.mark.parametrize("norm", [None, "ortho", "forward"])
@pytest.mark.parametrize("case", ONE_AXIS_CASES, ids=str)
@pytest.mark.parametrize("name", ONE_AXIS)
def test_one_axis_against_torch_with_second_order(name, case, norm):
    torch = pytest.importorskip("torch")
    shape, n, axis = case
    ours, theirs = getattr(ad.fft, name), getattr(torch.fft, name)
    # a nonlinear head, so that the second derivative is not zero
    check_against_torch(lambda t: ours(t, n, axis, norm).exp(),
                        lambda t: theirs(t, n, axis, norm).exp(), [_input(name, shape)],
                        rtol=1e-9, atol=1e-11)


#: (input shape, s, axes)
SEVERAL_AXES_CASES = [((3, 4), None, None), ((2, 3, 5), None, (1, 2)), ((4, 3), (5, 2), (0, 1)),
                      ((2, 4, 3), (3, 4), (0, 2)), ((1, 2), None, None), ((3, 2), (3, 5), (0, 1))]


@pytest.mark.parametrize("norm", [None, "ortho", "forward"])
@pytest.mark.parametrize("case", SEVERAL_AXES_CASES, ids=str)
@pytest.mark.parametrize("name", ["fftn", "ifftn", "rfftn", "irfftn"])
def test_several_axes_values_and_gradients(name, case, norm):
    shape, s, axes = case
    numpy_function = getattr(np.fft, name)
    x = _input(name, shape)
    assert np.array_equal(numpy_function(ad.tensor(x), s, axes, norm).data,
                          numpy_function(x, s, axes, norm))
    check_against_central_differences(lambda t: numpy_function(t, s, axes, norm), [x])
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(ad.fft, name), getattr(torch.fft, name)
    check_against_torch(lambda t: ours(t, s, axes, norm) * 2,
                        lambda t: theirs(t, s, axes, norm) * 2, [x], second_order=False,
                        rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("name", ["fft2", "ifft2", "rfft2", "irfft2"])
def test_two_dimensional_ones_are_the_last_two_axes(name):
    torch = pytest.importorskip("torch")
    x = _input(name, (2, 3, 4))
    numpy_function = getattr(np.fft, name)
    assert np.array_equal(numpy_function(ad.tensor(x)).data, numpy_function(x))
    assert np.array_equal(numpy_function(ad.tensor(x), (3, 6)).data, numpy_function(x, (3, 6)))
    check_against_central_differences(lambda t: numpy_function(t, (3, 6)), [x])
    check_against_torch(lambda t: getattr(ad.fft, name)(t).exp(),
                        lambda t: getattr(torch.fft, name)(t).exp(), [x], rtol=1e-9,
                        atol=1e-11)


@pytest.mark.parametrize("n", [4, 5])
def test_irfft_ignores_the_imaginary_parts_pytorch_drops_and_doubles_the_middle_bins(n):
    # the gradient of irfft's real output with respect to each bin: 1 for the zero
    # frequency and (n even) the Nyquist bin, 2 for the rest, as PyTorch's c2r backward
    y = ad.tensor(np.zeros(n // 2 + 1, complex), requires_grad=True)
    np.fft.irfft(y, n, norm="forward")[0].backward()
    expected = np.full(n // 2 + 1, 2.0)
    expected[0] = 1
    if n % 2 == 0:
        expected[-1] = 1
    np.testing.assert_array_equal(y.grad, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_dtypes_follow_numpy_for_np_fft_and_pytorch_for_ad_fft(dtype):
    x = np.arange(6).astype(dtype)
    for name in ("fft", "rfft", "ihfft"):
        assert getattr(np.fft, name)(ad.tensor(x)).dtype == getattr(np.fft, name)(x).dtype
    torch = pytest.importorskip("torch")
    if dtype is not np.int64:                   # (PyTorch's default dtype is float32)
        for name in ("fft", "rfft", "ihfft"):
            theirs = getattr(torch.fft, name)(torch.tensor(x)).dtype
            assert str(getattr(ad.fft, name)(ad.tensor(x)).dtype) == str(theirs)[6:]
    assert ad.fft.rfft(ad.tensor(x)).dtype == np.complex128 or dtype is np.float32


def test_a_float32_signal_keeps_complex64_gradients_of_its_dtype():
    x = ad.tensor(np.linspace(-1, 1, 6, dtype=np.float32), requires_grad=True)
    (np.abs(np.fft.rfft(x)) ** 2).sum().backward()
    assert x.grad.dtype == np.float32
    reference = ad.tensor(x.data.astype(np.float64), requires_grad=True)
    (np.abs(np.fft.rfft(reference)) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad, reference.grad, rtol=1e-5, atol=1e-5)


def test_frequencies_and_shifts_match_torch():
    torch = pytest.importorskip("torch")
    for n in (5, 6):
        np.testing.assert_allclose(ad.fft.fftfreq(n, 0.5).data, torch.fft.fftfreq(n, 0.5))
        np.testing.assert_allclose(ad.fft.rfftfreq(n, 0.5).data, torch.fft.rfftfreq(n, 0.5))
    x = sample((3, 4), complex_values=False)
    check_against_torch(lambda t: ad.fft.fftshift(t, dim=1) * t,
                        lambda t: torch.fft.fftshift(t, dim=1) * t, [x])
    check_against_torch(lambda t: ad.fft.ifftshift(t) * t,
                        lambda t: torch.fft.ifftshift(t) * t, [x])


def test_a_power_spectrum_loss_trains_a_signal_as_in_pytorch():
    torch = pytest.importorskip("torch")
    target = np.abs(np.fft.rfft(np.sin(np.arange(16) * 0.7)))
    x = ad.tensor(np.cos(np.arange(16) * 0.3), requires_grad=True)
    x_t = torch.tensor(x.data.copy(), requires_grad=True)
    for _ in range(3):
        loss = ((ad.fft.rfft(x, norm="ortho").abs() - target) ** 2).mean()
        loss_t = ((torch.fft.rfft(x_t, norm="ortho").abs() - torch.tensor(target)) ** 2).mean()
        loss.backward()
        loss_t.backward()
        with ad.no_grad():
            x -= 0.5 * x.grad
        with torch.no_grad():
            x_t -= 0.5 * x_t.grad
        x.grad = None
        x_t.grad = None
        np.testing.assert_allclose(loss.item(), loss_t.item(), rtol=1e-12)
    np.testing.assert_allclose(x.data, x_t.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_refusals_name_the_transform_and_the_fix():
    with pytest.raises(TypeError, match=r"^rfft: takes a real input .*complex128"):
        np.fft.rfft(ad.tensor([1j, 2.0], requires_grad=True))
    with pytest.raises(ValueError, match=r"^rfft: norm must be None, 'backward', 'ortho' or"):
        ad.fft.rfft(ad.ones(4), norm="none")
    with pytest.raises(TypeError, match=r"^numpy\.fft\.fft with out= an ndarray on a Tensor"):
        np.fft.fft(ad.ones(4, requires_grad=True), out=np.zeros(4, complex))
    with pytest.raises(ValueError, match=r"^fftn: s \(\(2,\)\) and axes \(\(0, 1\)\)"):
        np.fft.fftn(ad.ones((2, 2)), (2,), (0, 1))


def test_forward_mode_tangents_and_the_hessian_match_torch():
    torch = pytest.importorskip("torch")
    x, v = sample((5,), complex_values=False), sample((5,), complex_values=False)
    _, tangent = ad.jvp(lambda t: ad.view_as_real(np.fft.rfft(t, 8)), (x,), (v,))
    spectrum = np.fft.rfft(v, 8)
    np.testing.assert_allclose(tangent, np.stack([spectrum.real, spectrum.imag], -1),
                               rtol=1e-12, atol=1e-12)

    def power(t):
        return (np.abs(np.fft.rfft(t, 8)) ** 2 * np.arange(1.0, 6.0)).sum()
    theirs = torch.autograd.functional.hessian(
        lambda t: (torch.fft.rfft(t, 8).abs() ** 2 * torch.arange(1.0, 6.0,
                                                                   dtype=t.dtype)).sum(),
        torch.tensor(x))
    for hessian in (ad.hessian(power)(x), ad.jacrev(ad.jacrev(power))(x)):
        np.testing.assert_allclose(getattr(hessian, "data", hessian), theirs.numpy(),
                                   rtol=1e-10, atol=1e-12)
