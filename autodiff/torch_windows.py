"""PyTorch's window functions: ``ad.hann_window``, ``ad.hamming_window``,
``ad.blackman_window``, ``ad.bartlett_window`` and ``ad.kaiser_window``.

As PyTorch's, they are periodic by default (the symmetric window of ``length + 1``
without its last point, the form for spectral analysis; ``periodic=False`` gives NumPy's
``np.hanning``-style symmetric one), in the library's default dtype, float64 (PyTorch's
is float32: pass ``dtype=ad.float32`` for its values), computed in float64 and rounded
once.

>>> ad.hann_window(4)
tensor([0. , 0.5, 1. , 0.5])
"""

from __future__ import annotations

import numpy as np

from .compile.hooks import made
from .tensor import Tensor

__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
           "kaiser_window"]


def _window(where, window_length, periodic, symmetric, dtype, requires_grad) -> Tensor:
    """``symmetric(n)``, the symmetric float64 window of n points, made periodic and cast."""
    from . import get_default_dtype
    dtype = np.dtype(get_default_dtype() if dtype is None else dtype)
    if dtype.kind != "f":
        raise ValueError(f"{where}: expects a floating point dtype, got {dtype}")
    if isinstance(window_length, bool) or not isinstance(window_length, (int, np.integer)):
        raise TypeError(f"{where}: window_length must be an int, got {window_length!r}")
    if window_length < 0:
        raise ValueError(f"{where}: window_length must be non-negative, got {window_length}")
    # (made by a function of Python numbers, which a compiled replay calls again)
    values = made(where, _values, (symmetric, window_length, periodic, dtype))
    return Tensor(values, requires_grad=requires_grad)


def _values(symmetric, window_length, periodic, dtype):
    if window_length <= 1:      # PyTorch's: [] and [1.] whatever periodic says
        values = np.ones(window_length)
    elif periodic:
        values = symmetric(window_length + 1)[:-1]
    else:
        values = symmetric(window_length)
    return values.astype(dtype)


def _cosine_sum(*coefficients):
    """The symmetric window ``sum_k (-1)**k a_k cos(2 pi k n / (N - 1))``."""
    def symmetric(n):
        phase = 2.0 * np.pi * np.arange(n) / (n - 1)
        return sum((-1) ** k * a * np.cos(k * phase) for k, a in enumerate(coefficients))
    return symmetric


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                requires_grad=False) -> Tensor:
    """``0.5 - 0.5 cos(2 pi n / (N - 1))``, as ``torch.hann_window``.

    >>> ad.hann_window(3, periodic=False, dtype=ad.float64)
    tensor([0., 1., 0.])
    """
    return _window("hann_window", window_length, periodic, _cosine_sum(0.5, 0.5), dtype,
                   requires_grad)


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   layout=None, device=None, requires_grad=False) -> Tensor:
    """``alpha - beta cos(2 pi n / (N - 1))``, as ``torch.hamming_window``.

    >>> ad.hamming_window(3, False, dtype=ad.float64)
    tensor([0.08, 1.  , 0.08])
    """
    return _window("hamming_window", window_length, periodic, _cosine_sum(alpha, beta),
                   dtype, requires_grad)


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False) -> Tensor:
    """``0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))``, as
    ``torch.blackman_window``.

    >>> ad.blackman_window(3, False, dtype=ad.float64)
    tensor([-1.38777878e-17,  1.00000000e+00, -1.38777878e-17])
    """
    return _window("blackman_window", window_length, periodic,
                   _cosine_sum(0.42, 0.5, 0.08), dtype, requires_grad)


def _bartlett(n):
    return 1.0 - np.abs(2.0 * np.arange(n) / (n - 1) - 1.0)


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False) -> Tensor:
    """The triangle ``1 - |2 n / (N - 1) - 1|``, as ``torch.bartlett_window``.

    >>> ad.bartlett_window(4, dtype=ad.float32)
    tensor([0. , 0.5, 1. , 0.5], dtype=float32)
    """
    return _window("bartlett_window", window_length, periodic, _bartlett, dtype,
                   requires_grad)


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None,
                  device=None, requires_grad=False) -> Tensor:
    """``I0(beta sqrt(1 - (2 n / (N - 1) - 1) ** 2)) / I0(beta)``, as
    ``torch.kaiser_window`` (``np.kaiser`` when ``periodic=False``).

    >>> ad.kaiser_window(3, False, 0.0, dtype=ad.float64)
    tensor([1., 1., 1.])
    """
    return _window("kaiser_window", window_length, periodic,
                   lambda n: np.kaiser(n, float(beta)), dtype, requires_grad)
