"""``ad.signal.windows`` (also ``ad.windows``), as ``torch.signal.windows``: the window
functions of length ``M`` (``sym=True``: symmetric, for filter design; ``sym=False``:
periodic, for spectral analysis), float64 unless ``dtype=ad.float32``.

>>> ad.signal.windows.hann(5)
tensor([0. , 0.5, 1. , 0.5, 0. ])
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .compile.hooks import made
from .tensor import Tensor

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
           "general_hamming", "hamming", "hann", "kaiser", "nuttall"]


def _checked(where: str, M: int, dtype, layout) -> np.dtype:
    from .tensor_flags import strided
    if M < 0:
        raise ValueError(f"{where} requires non-negative window length, got M={M}")
    if layout is not None and layout != strided:
        raise ValueError(f"{where} is implemented for strided tensors only, got: {layout}")
    dtype = np.dtype(np.float64 if dtype is None else dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"{where} expects float32 or float64 dtypes, got: {dtype}")
    return dtype


def _window(where, values_of, M, dtype, requires_grad) -> Tensor:
    """The window ``values_of()`` (float64 values) in ``dtype``, made again on replay."""
    array = made(where, lambda: np.asarray(values_of(), dtype=np.float64).astype(dtype))
    return Tensor(array, requires_grad=requires_grad)


def _points(start: float, step: float, M: int) -> np.ndarray:
    return np.linspace(start, start + (M - 1) * step, M)


def exponential(M: int, *, center=None, tau: float = 1.0, sym: bool = True, dtype=None,
                layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """``exp(-|n - center| / tau)``, as ``torch.signal.windows.exponential``."""
    dtype = _checked("exponential", M, dtype, layout)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if center is None:
        center = (M if not sym and M > 1 else M - 1) / 2.0
    return _window("exponential", lambda: np.exp(-np.abs(_points(-center / tau, 1 / tau, M))),
                   M, dtype, requires_grad)


def cosine(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """A half period of a sine, as ``torch.signal.windows.cosine``."""
    dtype = _checked("cosine", M, dtype, layout)
    step = math.pi / (M + 1 if not sym and M > 1 else M) if M else 0.0
    return _window("cosine", lambda: np.sin(_points(0.5 * step, step, M)), M, dtype,
                   requires_grad)


def gaussian(M: int, *, std: float = 1.0, sym: bool = True, dtype=None, layout=None,
             device=None, requires_grad: bool = False) -> Tensor:
    """``exp(-n^2 / (2 std^2))`` about the centre, as ``torch.signal.windows.gaussian``."""
    dtype = _checked("gaussian", M, dtype, layout)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    step = 1 / (std * math.sqrt(2))
    start = -(M if not sym and M > 1 else M - 1) / 2.0
    return _window("gaussian", lambda: np.exp(-_points(start * step, step, M) ** 2), M,
                   dtype, requires_grad)


def kaiser(M: int, *, beta: float = 12.0, sym: bool = True, dtype=None, layout=None,
           device=None, requires_grad: bool = False) -> Tensor:
    """``I0(beta sqrt(1 - (2n/(M-1) - 1)^2)) / I0(beta)``, as
    ``torch.signal.windows.kaiser``."""
    dtype = _checked("kaiser", M, dtype, layout)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")

    def values():
        if M <= 1:
            return np.ones(M)
        step = 2.0 * beta / (M if not sym else M - 1)
        k = np.linspace(-beta, min(beta, -beta + (M - 1) * step), M)
        return np.i0(np.sqrt(np.maximum(beta * beta - k ** 2, 0.0))) / np.i0(beta)
    return _window("kaiser", values, M, dtype, requires_grad)


def bartlett(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """The triangle ``1 - |2n/(M-1) - 1|``, as ``torch.signal.windows.bartlett``."""
    dtype = _checked("bartlett", M, dtype, layout)

    def values():
        if M <= 1:
            return np.ones(M)
        return 1 - np.abs(_points(-1.0, 2 / (M if not sym else M - 1), M))
    return _window("bartlett", values, M, dtype, requires_grad)


def general_cosine(M: int, *, a, sym: bool = True, dtype=None, layout=None, device=None,
                   requires_grad: bool = False) -> Tensor:
    """``sum_i (-1)^i a_i cos(2 pi i n / (M - 1))``, as
    ``torch.signal.windows.general_cosine``."""
    dtype = _checked("general_cosine", M, dtype, layout)
    if M > 1 and not isinstance(a, Iterable):
        raise TypeError("Coefficients must be a list/tuple")
    if M > 1 and not list(a):
        raise ValueError("Coefficients cannot be empty")

    def values():
        if M <= 1:
            return np.ones(M)
        k = _points(0.0, 2 * math.pi / (M if not sym else M - 1), M)
        weights = np.array([(-1) ** i * w for i, w in enumerate(a)], dtype=np.float64)
        return (weights[:, None] * np.cos(np.arange(len(weights))[:, None] * k)).sum(0)
    return _window("general_cosine", values, M, dtype, requires_grad)


def general_hamming(M: int, *, alpha: float = 0.54, sym: bool = True, dtype=None,
                    layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """``general_cosine`` with ``a = [alpha, 1 - alpha]``."""
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout,
                          requires_grad=requires_grad)


def hamming(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """``general_hamming`` with ``alpha = 0.54``."""
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout,
                           requires_grad=requires_grad)


def hann(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
         requires_grad: bool = False) -> Tensor:
    """``general_hamming`` with ``alpha = 0.5``."""
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout,
                           requires_grad=requires_grad)


def blackman(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """``general_cosine`` with ``a = [0.42, 0.5, 0.08]``."""
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout,
                          requires_grad=requires_grad)


def nuttall(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """``general_cosine`` with Nuttall's four coefficients."""
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym,
                          dtype=dtype, layout=layout, requires_grad=requires_grad)
