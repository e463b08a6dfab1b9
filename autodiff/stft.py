"""``ad.stft`` and ``ad.istft``: PyTorch's short-time Fourier transform and its inverse.

Both are compositions of recorded ops, so gradients (for the signal, and for a window
that requires one) come from those ops' rules:

- ``stft``: the signal padded at both ends (``center=True``; ``ad.pad``), cut into
  frames ``hop_length`` apart by one gather (``x[..., frame_positions]``), each frame
  times the window (zero-padded to ``n_fft``, centred), then ``ad.fft.rfft`` (or
  ``fft`` for a complex signal or window, or ``onesided=False``) along the frame.
- ``istft``: ``ad.fft.irfft`` (or ``ifft``) of each frame, times the window,
  overlap-added with ``ad.index_add`` at the same positions, divided by the
  overlap-added squared window (the envelope; PyTorch's NOLA check refuses an
  envelope that comes near zero) and cropped to the signal.

>>> x = ad.tensor(np.arange(16.0), requires_grad=True)
>>> window = ad.hann_window(8)
>>> spectrum = ad.stft(x, 8, window=window, return_complex=True)
>>> spectrum.shape
(5, 9)
>>> np.allclose(ad.istft(spectrum, 8, window=window, length=16).data, x.data)
True
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from .ops import complex_ops
from .ops.indexing import index_add
from .ops.replicate import pad
from .ops.shape import broadcast_to
from .tensor import Tensor

__all__ = ["stft", "istft"]

#: PyTorch's pad modes (``F.pad``) as NumPy's
_PAD_MODES = {"reflect": "reflect", "constant": "constant", "replicate": "edge",
              "circular": "wrap"}


def _int(where, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: {name} must be an int, got {value!r}")
    return int(value)


# Made once per shape and kept read-only: ad.compile then sees a constant of the
# library, not an array made during the call from the values.
@functools.lru_cache(maxsize=256)
def _frame_positions(n_frames, n_fft, hop_length):
    """(n_frames, n_fft) indices: frame t covers ``t * hop_length + arange(n_fft)``."""
    positions = hop_length * np.arange(n_frames)[:, None] + np.arange(n_fft)[None, :]
    positions.flags.writeable = False
    return positions


def _full_window(where, window, win_length, n_fft, dtype):
    """The window (ones for None) zero-padded on both sides to ``n_fft``, centred as
    PyTorch's (the extra zero, for odd padding, on the right)."""
    if window is None:
        window = Tensor(np.ones(win_length, dtype=dtype))
    elif not isinstance(window, Tensor):
        raise TypeError(f"{where}: window must be a Tensor or None, got "
                        f"{type(window).__name__} (make one with ad.hann_window(n))")
    elif window.ndim != 1 or window.shape[0] != win_length:
        raise ValueError(f"{where}: expected a 1D window tensor of size equal to "
                         f"win_length={win_length}, but got window with shape "
                         f"{window.shape}")
    if win_length == n_fft:
        return window
    left = (n_fft - win_length) // 2
    return pad(window, (left, n_fft - win_length - left))


def _lengths(where, n_fft, hop_length, win_length):
    n_fft = _int(where, "n_fft", n_fft)
    hop_length = n_fft // 4 if hop_length is None else _int(where, "hop_length", hop_length)
    win_length = n_fft if win_length is None else _int(where, "win_length", win_length)
    return n_fft, hop_length, win_length


def _no_window_warning(where, extra):
    warnings.warn(f"{where}: a window was not provided, so a rectangular window is "
                  f"applied{extra}. To use a rectangular window without this warning, "
                  "pass window=ad.ones(n_fft)", UserWarning, stacklevel=3)


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
         pad_mode="reflect", normalized=False, onesided=None, return_complex=None,
         align_to_window=None) -> Tensor:
    """``torch.stft``: the spectra of frames ``hop_length`` apart of a (L,) or (B, L)
    signal, as a complex (..., n_freq, n_frames) tensor (``n_freq = n_fft // 2 + 1``
    for ``onesided``, the default for a real signal and window; ``n_fft`` otherwise).

    ``return_complex=True`` is required for a real signal, as PyTorch's (``False`` is
    deprecated there: it warns and gives ``ad.view_as_real`` of the result).

    >>> ad.stft(ad.ones(8), 4, window=ad.hann_window(4), return_complex=True).shape
    (3, 9)
    """
    where = "stft"
    if not isinstance(input, Tensor):
        raise TypeError(f"stft: input must be a Tensor, got {type(input).__name__} "
                        "(make one with ad.tensor(values))")
    n_fft, hop_length, win_length = _lengths(where, n_fft, hop_length, win_length)
    if input.dtype.kind not in "fc":
        raise TypeError(f"stft: expected a tensor of floating point or complex values, got "
                        f"{input.dtype} (shape {input.shape}); cast it with "
                        "t.to(ad.float64)")
    if input.ndim not in (1, 2):
        raise ValueError(f"stft: expected a 1D (L,) or 2D (B, L) tensor, got shape "
                         f"{input.shape}; reshape the batch dims into one")
    complex_values = input.dtype.kind == "c" or (
        isinstance(window, Tensor) and window.dtype.kind == "c")
    if return_complex is None:
        if not complex_values:
            raise ValueError("stft: requires the return_complex parameter be given for real "
                             "inputs; pass return_complex=True (and ad.view_as_real of the "
                             "result for real and imaginary parts)")
        return_complex = True
    elif not return_complex:
        warnings.warn("stft: return_complex=False is deprecated (as in PyTorch); pass "
                      "return_complex=True and take ad.view_as_real of the result",
                      UserWarning, stacklevel=2)
    if center and align_to_window is not None:
        raise ValueError("stft: align_to_window should only be set when center=False")
    if pad_mode not in _PAD_MODES:
        raise ValueError(f"stft: pad_mode={pad_mode!r} is not one of "
                         f"{sorted(_PAD_MODES)}")
    signal = input.reshape((1, input.shape[0])) if input.ndim == 1 else input
    if center:
        signal = _padded(signal, n_fft // 2, pad_mode)
    length = signal.shape[1]
    if not 0 < n_fft <= length:
        raise ValueError(f"stft: expected 0 < n_fft <= {length} (the signal's length"
                         f"{' after padding' if center else ''}), but got n_fft={n_fft}")
    if hop_length <= 0:
        raise ValueError(f"stft: expected hop_length > 0, but got hop_length={hop_length}")
    if not 0 < win_length <= n_fft:
        raise ValueError(f"stft: expected 0 < win_length <= n_fft={n_fft}, but got "
                         f"win_length={win_length}")
    if window is None:
        _no_window_warning(where, ", which is known to cause spectral leakage; "
                                  "ad.hann_window(n_fft) is recommended")
    full_window = _full_window(where, window, win_length, n_fft, input.dtype)
    if align_to_window:     # frame t's window starts at t * hop_length
        left = (n_fft - win_length) // 2
        signal = pad(signal, ((0, 0), (left, n_fft - win_length - left)))
        length = signal.shape[1]
    n_frames = 1 + (length - n_fft) // hop_length
    frames = signal[:, _frame_positions(n_frames, n_fft, hop_length)] * full_window
    if onesided is None:
        onesided = not complex_values
    elif onesided and complex_values:
        raise ValueError("stft: cannot have onesided output if window or input is complex; "
                         "pass onesided=False (or None)")
    from . import fft
    transform = fft.rfft if onesided else fft.fft
    out = transform(frames, dim=-1, norm="ortho" if normalized else None).swapaxes(1, 2)
    if input.ndim == 1:
        out = out.reshape(out.shape[1:])
    return out if return_complex else complex_ops.view_as_real(out)


def _padded(signal, width, pad_mode):
    length = signal.shape[1]
    if pad_mode == "reflect" and width >= length:
        raise ValueError(f"stft: reflect padding of {width} (n_fft // 2) must be less than "
                         f"the signal's length {length}; use a smaller n_fft, "
                         "pad_mode='constant' or center=False")
    if pad_mode == "circular" and width > length:
        raise ValueError(f"stft: circular padding of {width} (n_fft // 2) must be at most "
                         f"the signal's length {length}; use a smaller n_fft or "
                         "pad_mode='constant'")
    return pad(signal, ((0, 0), (width, width)), mode=_PAD_MODES[pad_mode])


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
          normalized=False, onesided=None, length=None, return_complex=False) -> Tensor:
    """``torch.istft``: the signal whose ``stft`` (same parameters) is the complex
    (..., n_freq, n_frames) ``input``, by overlap-adding the inverse transforms of the
    frames and dividing by the overlap-added squared window.  ``length`` crops the
    result, or pads it with zeros at the end (with a warning).

    >>> x = ad.tensor(np.sin(np.arange(12.0)))
    >>> spectrum = ad.stft(x, 4, window=ad.hann_window(4), return_complex=True)
    >>> np.allclose(ad.istft(spectrum, 4, window=ad.hann_window(4), length=12).data, x.data)
    True
    """
    where = "istft"
    if not isinstance(input, Tensor) or input.dtype.kind != "c":
        got = input.dtype if isinstance(input, Tensor) else type(input).__name__
        raise TypeError(f"istft: requires a complex-valued input tensor matching the output "
                        f"of stft with return_complex=True, got {got}")
    n_fft, hop_length, win_length = _lengths(where, n_fft, hop_length, win_length)
    if input.ndim not in (2, 3):
        raise ValueError(f"istft: expected a complex tensor of shape (n_freq, n_frames) or "
                         f"(B, n_freq, n_frames), got shape {input.shape}")
    if input.size == 0:
        raise ValueError(f"istft: input tensor cannot be empty (shape {input.shape})")
    n_freq, n_frames = input.shape[-2:]
    if onesided is None:
        onesided = n_freq != n_fft
    expected = n_fft // 2 + 1 if onesided else n_fft
    if n_freq != expected:
        raise ValueError(f"istft: expected the frequency dimension (-2) of the input of shape "
                         f"{input.shape} to match {'n_fft // 2 + 1' if onesided else 'n_fft'}"
                         f" = {expected} when onesided={bool(onesided)}, but got {n_freq}")
    if not 0 < hop_length <= win_length:
        raise ValueError(f"istft: expected 0 < hop_length <= win_length={win_length}, but "
                         f"got hop_length={hop_length}")
    if not 0 < win_length <= n_fft:
        raise ValueError(f"istft: expected 0 < win_length <= n_fft={n_fft}, but got "
                         f"win_length={win_length}")
    if window is None:
        _no_window_warning(where, "; pass the window stft used to make the inversion "
                                  "lossless")
    real_dtype = np.float32 if input.dtype == np.complex64 else np.float64
    full_window = _full_window(where, window, win_length, n_fft, real_dtype)
    spectra = input.reshape((1, *input.shape)) if input.ndim == 2 else input
    spectra = spectra.swapaxes(1, 2)                # (B, n_frames, n_freq)
    norm = "ortho" if normalized else "backward"
    from . import fft
    if return_complex:
        if onesided:
            raise ValueError("istft: cannot have onesided input with return_complex=True "
                             "(a complex signal has no one-sided spectrum); pass the full "
                             "spectrum (n_freq = n_fft) and onesided=False")
        frames = fft.ifft(spectra, dim=-1, norm=norm)
    else:
        if full_window.dtype.kind == "c":
            raise ValueError("istft: complex windows are incompatible with "
                             "return_complex=False; pass return_complex=True")
        if not onesided:
            spectra = spectra[..., :n_fft // 2 + 1]
        frames = fft.irfft(spectra, n=n_fft, dim=-1, norm=norm)
    batch = frames.shape[0]
    signal_length = n_fft + hop_length * (n_frames - 1)
    positions = _frame_positions(n_frames, n_fft, hop_length)
    signal = index_add(frames * full_window, (batch, signal_length), (slice(None), positions))
    squared = full_window ** 2
    envelope = index_add(broadcast_to(squared, (n_frames, n_fft)), (signal_length,),
                         positions)
    start = n_fft // 2 if center else 0
    if length is not None:
        length = _int(where, "length", length)
        if length < 0:
            raise ValueError(f"istft: length must be non-negative, got {length}")
        end = start + length
    else:       # (the padding stft added at the end, if center)
        end = signal_length - start
    signal, envelope = signal[:, start:end], envelope[start:end]
    if envelope.size:
        lowest = float(np.abs(envelope.data).min())
        if lowest < 1e-11:
            raise ValueError(
                f"istft: the window's overlap-add envelope comes to {lowest:.3g} (< 1e-11) "
                f"within the signal (n_fft={n_fft}, hop_length={hop_length}, "
                f"win_length={win_length}, center={center}): the nonzero overlap-add (NOLA) "
                "condition fails, so the signal cannot be recovered there; use a smaller "
                "hop_length, a window without zeros at its ends, or center=True")
    signal = signal / envelope
    if input.ndim == 2:
        signal = signal.reshape(signal.shape[1:])
    if end > signal_length:
        warnings.warn("istft: the signal is shorter than the length parameter; the result "
                      "is padded with zeros at the end. Check center and hop_length.",
                      UserWarning, stacklevel=2)
        signal = pad(signal, [(0, 0)] * (signal.ndim - 1) + [(0, end - signal_length)])
    return signal


Tensor.stft = stft      # t.stft(n_fft, ...), as torch.Tensor.stft
Tensor.istft = istft
