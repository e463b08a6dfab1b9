"""ad.stft and ad.istft (autodiff/stft.py): values, gradients of real losses and second
order against PyTorch's torch.stft / torch.istft (odd and even n_fft, hops, win_length
< n_fft, hann and rectangular windows, center and pad modes, normalized, onesided,
complex signals, batches); gradients against central differences in float64 without
PyTorch; istft(stft(x)) == x; and the refusals PyTorch makes (return_complex, NOLA,
onesided of complex values, sizes)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
from complex_checks import (check_against_central_differences, check_against_torch,
                            sample)


def _hann(n):
    return ad.hann_window(n)


#: (signal shape, n_fft, keyword arguments; "window": a window length for hann)
STFT_CASES = [
    ((16,), 8, {"window": 8}),
    ((2, 15), 7, {"hop_length": 2, "window": 7}),
    ((13,), 6, {"hop_length": 3, "win_length": 4, "window": 4, "center": False}),
    ((2, 12), 5, {"win_length": 3, "pad_mode": "constant", "normalized": True}),
    ((11,), 4, {"hop_length": 1, "onesided": False, "window": 4}),
    ((1, 10), 4, {"pad_mode": "replicate", "window": 4}),
    ((9,), 4, {"hop_length": 3, "pad_mode": "circular"}),
    ((14,), 8, {"hop_length": 2, "win_length": 6, "window": 6, "center": False,
                "align_to_window": True}),
]


def _arguments(kwargs, lib):
    """The keyword arguments with the window made by ``lib`` (ad or torch), float64."""
    out = dict(kwargs)
    if "window" in out:
        n = out["window"]
        out["window"] = (_hann(n) if lib is ad else lib.hann_window(n, dtype=lib.float64))
    return out


def _stft_pair(n_fft, kwargs):
    """stft by autodiff and by PyTorch, each with a nonlinear head (exp), so that the
    second derivatives of both losses of complex_checks are not zero."""
    import torch

    def ours(x):
        return (ad.stft(x, n_fft, return_complex=True, **_arguments(kwargs, ad)) / 4).exp()

    def theirs(x):
        return (torch.stft(x, n_fft, return_complex=True, **_arguments(kwargs, torch))
                / 4).exp()
    return ours, theirs


@pytest.mark.filterwarnings("ignore:.*window was not provided")
@pytest.mark.parametrize("case", STFT_CASES, ids=str)
def test_stft_values_gradients_and_second_order_match_torch(case):
    torch = pytest.importorskip("torch")
    shape, n_fft, kwargs = case
    ours, theirs = _stft_pair(n_fft, kwargs)
    x = sample(shape, complex_values=False)
    assert ours(ad.tensor(x)).shape == tuple(theirs(torch.tensor(x)).shape)
    check_against_torch(ours, theirs, [x], rtol=1e-9, atol=1e-11)


@pytest.mark.filterwarnings("ignore:.*window was not provided")
@pytest.mark.parametrize("case", STFT_CASES[:5], ids=str)
def test_stft_gradients_match_central_differences(case):
    shape, n_fft, kwargs = case
    check_against_central_differences(
        lambda x: ad.stft(x, n_fft, return_complex=True, **_arguments(kwargs, ad)),
        [sample(shape, complex_values=False)], rtol=1e-6, atol=1e-6)


def test_stft_of_a_complex_signal_and_a_learned_window_match_torch():
    torch = pytest.importorskip("torch")
    x, window = sample((2, 12)), sample((6,), complex_values=False)

    def ours(x, w):
        return ad.stft(x, 8, hop_length=3, win_length=6, window=w)

    def theirs(x, w):
        return torch.stft(x, 8, hop_length=3, win_length=6, window=w)
    assert ours(ad.tensor(x), ad.tensor(window)).shape == (2, 8, 5)
    check_against_torch(ours, theirs, [x, window], rtol=1e-9, atol=1e-11)
    check_against_central_differences(ours, [x, window], rtol=1e-6, atol=1e-6)


def test_stft_float32_gives_complex64_as_torch():
    torch = pytest.importorskip("torch")
    x = sample((20,), complex_values=False).astype(np.float32)
    ours = ad.stft(ad.tensor(x), 8, window=ad.hann_window(8, dtype=ad.float32),
                   return_complex=True)
    theirs = torch.stft(torch.tensor(x), 8, window=torch.hann_window(8), return_complex=True)
    assert ours.dtype == np.complex64
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-5, atol=1e-5)


#: (signal shape, n_fft, keyword arguments shared by stft and istft, istft's length)
ISTFT_CASES = [
    ((16,), 8, {"window": 8}, None),
    ((2, 15), 7, {"hop_length": 2, "window": 7}, 15),
    ((13,), 6, {"hop_length": 3, "center": False}, None),
    ((2, 12), 5, {"win_length": 4, "window": 4, "normalized": True}, 9),
    ((11,), 4, {"hop_length": 1, "onesided": False, "window": 4}, 11),
    ((10,), 4, {"window": 4}, 14),
]


def _istft_pair(n_fft, kwargs, length):
    """istft by autodiff and by PyTorch, each with a nonlinear head (exp)."""
    import torch

    def ours(spectrum):
        return ad.istft(spectrum, n_fft, length=length, **_arguments(kwargs, ad)).exp()

    def theirs(spectrum):
        return torch.istft(spectrum, n_fft, length=length, **_arguments(kwargs, torch)).exp()
    return ours, theirs


def _spectrum(shape, n_fft, kwargs):
    """A spectrogram of a random signal: the kind of input istft inverts."""
    x = ad.tensor(sample(shape, complex_values=False))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ad.stft(x, n_fft, return_complex=True, **_arguments(kwargs, ad)).data


@pytest.mark.filterwarnings("ignore:.*window was not provided", "ignore:.*shorter than")
@pytest.mark.parametrize("case", ISTFT_CASES, ids=str)
def test_istft_values_gradients_and_second_order_match_torch(case):
    pytest.importorskip("torch")
    shape, n_fft, kwargs, length = case
    ours, theirs = _istft_pair(n_fft, kwargs, length)
    spectrum = _spectrum(shape, n_fft, kwargs)
    spectrum = spectrum + 0.1 * sample(spectrum.shape)     # not the stft of any signal
    check_against_torch(ours, theirs, [spectrum], rtol=1e-9, atol=1e-11)


@pytest.mark.filterwarnings("ignore:.*window was not provided", "ignore:.*shorter than")
@pytest.mark.parametrize("case", ISTFT_CASES[:4], ids=str)
def test_istft_gradients_match_central_differences(case):
    shape, n_fft, kwargs, length = case
    check_against_central_differences(
        lambda s: ad.istft(s, n_fft, length=length, **_arguments(kwargs, ad)),
        [_spectrum(shape, n_fft, kwargs)], rtol=1e-6, atol=1e-6)


def test_istft_of_a_complex_signal_matches_torch():
    torch = pytest.importorskip("torch")
    spectrum = sample((2, 8, 5))
    check_against_torch(lambda s: ad.istft(s, 8, window=ad.hann_window(8), return_complex=True),
                        lambda s: torch.istft(s, 8, window=torch.hann_window(
                            8, dtype=torch.float64), return_complex=True),
                        [spectrum], rtol=1e-9, atol=1e-11)


def test_istft_gradients_for_a_learned_window_match_torch():
    torch = pytest.importorskip("torch")
    spectrum, window = _spectrum((2, 14), 6, {"window": 6}), sample((5,), False)

    def ours(s, w):
        return ad.istft(s, 6, hop_length=2, win_length=5, window=w, length=13).exp()

    def theirs(s, w):
        return torch.istft(s, 6, hop_length=2, win_length=5, window=w, length=13).exp()
    check_against_torch(ours, theirs, [spectrum, window], rtol=1e-9, atol=1e-11)
    check_against_central_differences(ours, [spectrum, window], rtol=1e-6, atol=1e-6)


def test_istft_of_one_point_frames_keeps_every_sample():
    x = sample((7,), complex_values=False)
    spectrum = ad.stft(ad.tensor(x), 1, hop_length=1, window=ad.ones(1), return_complex=True)
    back = ad.istft(spectrum, 1, hop_length=1, window=ad.ones(1))
    np.testing.assert_allclose(back.data, x, rtol=1e-14)


@pytest.mark.filterwarnings("ignore:.*window was not provided")
@pytest.mark.parametrize("case", [((16,), 8, {"window": 8}),
                                  ((3, 21), 7, {"hop_length": 3, "window": 7}),
                                  ((2, 17), 6, {"win_length": 5, "pad_mode": "constant"}),
                                  ((19,), 6, {"hop_length": 2, "center": False}),
                                  ((12,), 4, {"normalized": True, "onesided": False,
                                              "window": 4})], ids=str)
def test_istft_inverts_stft(case):
    shape, n_fft, kwargs = case
    x = sample(shape, complex_values=False)
    spectrum = ad.stft(ad.tensor(x), n_fft, return_complex=True, **_arguments(kwargs, ad))
    kwargs = {k: v for k, v in kwargs.items() if k != "pad_mode"}
    frames_end = shape[-1] if kwargs.get("center", True) else (
        n_fft + kwargs["hop_length"] * ((shape[-1] - n_fft) // kwargs["hop_length"]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        back = ad.istft(spectrum, n_fft, length=shape[-1], **_arguments(kwargs, ad))
    # the frames end before the signal does: istft warns that it pads with zeros
    assert any("shorter than the length" in str(w.message) for w in caught) == (
        frames_end < shape[-1])
    assert back.shape == shape
    np.testing.assert_allclose(back.data[..., :frames_end], x[..., :frames_end],
                               rtol=1e-12, atol=1e-12)
    assert not back.data[..., frames_end:].any()       # beyond the last frame: zeros


def test_complex_signal_round_trip_and_tensor_methods():
    x = ad.tensor(sample((2, 20)))
    spectrum = x.stft(8, window=ad.hann_window(8))
    assert np.array_equal(spectrum.data, ad.stft(x, 8, window=ad.hann_window(8)).data)
    back = spectrum.istft(8, window=ad.hann_window(8), return_complex=True, length=20)
    np.testing.assert_allclose(back.data, x.data, rtol=1e-12, atol=1e-12)


def test_stft_wants_return_complex_for_real_signals_as_torch():
    x = ad.tensor(sample((16,), complex_values=False))
    with pytest.raises(ValueError, match="stft: requires the return_complex parameter"):
        ad.stft(x, 8, window=ad.hann_window(8))
    with pytest.warns(UserWarning, match="return_complex=False is deprecated"):
        pairs = ad.stft(x, 8, window=ad.hann_window(8), return_complex=False)
    expected = ad.stft(x, 8, window=ad.hann_window(8), return_complex=True)
    assert pairs.shape == expected.shape + (2,)
    assert np.array_equal(pairs.data, ad.view_as_real(expected).data)
    with pytest.warns(UserWarning, match="window was not provided"):
        ad.stft(x, 8, return_complex=True)


def test_istft_refuses_an_envelope_near_zero_as_torch():
    torch = pytest.importorskip("torch")
    x = sample((16,), complex_values=False)
    spectrum = ad.stft(ad.tensor(x), 8, window=ad.hann_window(8), return_complex=True)
    for kwargs in ({"center": False}, {"hop_length": 8}):
        with pytest.raises(RuntimeError, match="window overlap add min"):
            torch.istft(torch.tensor(spectrum.data), 8,
                        window=torch.hann_window(8, dtype=torch.float64), **kwargs)
        with pytest.raises(ValueError, match=r"istft: .*\(NOLA\) condition fails"):
            ad.istft(spectrum, 8, window=ad.hann_window(8), **kwargs)


@pytest.mark.parametrize("call, error, message", [
    (lambda x: ad.stft(x + 0j, 8, onesided=True), ValueError, "cannot have onesided"),
    (lambda x: ad.stft(x, 30, center=False, return_complex=True), ValueError,
     r"0 < n_fft <= 16"),
    (lambda x: ad.stft(x[:3], 8, return_complex=True), ValueError, "reflect padding of 4"),
    (lambda x: ad.stft(x, 8, hop_length=0, return_complex=True), ValueError,
     "hop_length > 0"),
    (lambda x: ad.stft(x, 8, win_length=9, return_complex=True), ValueError,
     "0 < win_length <= n_fft=8"),
    (lambda x: ad.stft(x, 8, window=ad.ones(7), return_complex=True), ValueError,
     "window tensor of size equal to win_length=8"),
    (lambda x: ad.stft(x.reshape(1, 2, 8), 4, return_complex=True), ValueError,
     "1D .* or 2D"),
    (lambda x: ad.stft(x, 8, pad_mode="foo", return_complex=True), ValueError, "pad_mode"),
    (lambda x: ad.stft(x, 8, align_to_window=True, return_complex=True), ValueError,
     "align_to_window should only be set when center=False"),
    (lambda x: ad.stft(ad.arange(16), 8, return_complex=True), TypeError,
     "floating point or complex"),
    (lambda x: ad.istft(x, 8), TypeError, "complex-valued input"),
    (lambda x: ad.istft(ad.ones((5, 3)) + 0j, 8, length=-1), ValueError,
     "length must be non-negative"),
    (lambda x: ad.istft(ad.ones((4, 3)) + 0j, 8), ValueError, r"n_fft // 2 \+ 1 = 5"),
    (lambda x: ad.istft(ad.ones((5, 3)) + 0j, 8, hop_length=9), ValueError,
     "hop_length <= win_length"),
    (lambda x: ad.istft(ad.ones((5, 3)) + 0j, 8, return_complex=True), ValueError,
     "onesided input with return_complex=True"),
])
def test_refusals_name_the_function_and_the_fix(call, error, message):
    x = ad.tensor(sample((16,), complex_values=False))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error, match=message):
            call(x)
