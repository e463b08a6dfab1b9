"""Power-average pooling (``F.lp_pool1d``, ``F.lp_pool2d``, ``F.lp_pool3d``,
``nn.LPPool1d``, ``nn.LPPool2d``, ``nn.LPPool3d``) and local response normalization
(``F.local_response_norm``, ``nn.LocalResponseNorm``), computed as PyTorch computes them.

``lp_pool`` is ``(sum over the window of x ** p) ** (1 / p)``, taken as the average
pooling of ``x ** p`` times the window size; as in PyTorch, a negative input with a
fractional ``p`` (or a negative window sum) gives NaN, quietly, and the gradient where
a window sums to 0 is not finite when ``p > 1``.  ``local_response_norm`` divides each value by
``(k + alpha * mean of x**2 over size neighbouring channels) ** beta``; the
neighbourhood runs from ``size // 2`` channels before to ``(size - 1) // 2`` after,
zero-padded at the ends.
"""

from __future__ import annotations

import math

import numpy as np

from ..ops import elementwise as ew
from ..ops import shape as _shape
from ..ops.indexing import getitem
from ..tensor import Tensor
from . import functional_conv as FC
from . import pooling3d as P3
from . import pooling_more as PM
from .functional_activation import float_tensor, real_number
from .module import Module
from .unbatched import unbatched_too


def _lp_from_average(average, norm_type, window):
    # PyTorch's expression: sign(out) * relu(|out|) * window, to the power 1/p.
    return _real_power(ew.sign(average) * ew.relu(ew.abs(average)) * float(window),
                       1.0 / norm_type)


def _real_power(base, exponent):
    """``base ** exponent`` as PyTorch's ``pow`` gives it: a negative base to a
    fractional power is NaN, value and gradient, without NumPy's "invalid value"
    warning (PyTorch's layers are quiet about it)."""
    if float(exponent).is_integer():
        return base ** exponent
    negative, one = base < 0, np.ones((), base.dtype)
    flip = ew.where(negative, -one, one)        # |base|, with base's own gradient at 0
    nan_where_negative = ew.where(negative, one * np.nan, one)
    return (base * flip) ** exponent * nan_where_negative


def _norm_type(norm_type, where):
    value = real_number(norm_type, where, "norm_type")
    if not value > 0:
        raise ValueError(f"{where}: norm_type must be > 0, got {norm_type!r}")
    return float(value)


@unbatched_too("N, C, L")
def lp_pool1d(input, norm_type: float, kernel_size: int, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """``(sum of x ** norm_type over each window) ** (1 / norm_type)`` of (N, C, L)
    ``input``, as ``torch.nn.functional.lp_pool1d`` (``stride`` defaults to the kernel).

    >>> F.lp_pool1d(ad.tensor([[[3.0, 4.0, 1.0, 0.0]]]), 2, 2)
    tensor([[[5., 1.]]])
    """
    where = "lp_pool1d"
    p = _norm_type(norm_type, where)
    x = float_tensor(input, where)
    average = PM.avg_pool1d(_real_power(x, p), kernel_size, stride, 0, ceil_mode)
    return _lp_from_average(average, p, PM._int1(kernel_size, "kernel_size", where, 1))


@unbatched_too("N, C, H, W")
def lp_pool2d(input, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """``(sum of x ** norm_type over each window) ** (1 / norm_type)`` of (N, C, H, W)
    ``input``, as ``torch.nn.functional.lp_pool2d`` (``stride`` defaults to the kernel).

    >>> F.lp_pool2d(ad.tensor([[[[1.0, 2.0], [2.0, 4.0]]]]), 2, 2)
    tensor([[[[5.]]]])
    """
    where = "lp_pool2d"
    p = _norm_type(norm_type, where)
    x = float_tensor(input, where)
    kernel = FC._pair(kernel_size, "kernel_size", where)
    average = FC.avg_pool2d(_real_power(x, p), kernel, stride, 0, ceil_mode)
    return _lp_from_average(average, p, kernel[0] * kernel[1])


@unbatched_too("N, C, D, H, W")
def lp_pool3d(input, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """``(sum of x ** norm_type over each window) ** (1 / norm_type)`` of (N, C, D, H, W)
    ``input``, as ``torch.nn.functional.lp_pool3d`` (``stride`` defaults to the kernel).

    >>> F.lp_pool3d(ad.tensor(np.full((1, 1, 2, 2, 2), 2.0)), 1, 2)
    tensor([[[[[16.]]]]])
    """
    where = "lp_pool3d"
    p = _norm_type(norm_type, where)
    x = float_tensor(input, where)
    kernel = _triple(kernel_size, where)
    average = P3.avg_pool3d(_real_power(x, p), kernel, stride, 0, ceil_mode)
    return _lp_from_average(average, p, math.prod(kernel))


def _triple(kernel_size, where):
    kernel = (kernel_size,) * 3 if isinstance(kernel_size, (int, np.integer)) \
        else tuple(kernel_size)
    if len(kernel) != 3 or not all(isinstance(k, (int, np.integer)) and k > 0
                                   for k in kernel):
        raise ValueError(f"{where}: kernel_size must be a positive int or three of them, "
                         f"got {kernel_size!r}")
    return tuple(int(k) for k in kernel)


class _LPPool(Module):
    _function = None

    def __init__(self, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size, self.stride, self.ceil_mode = kernel_size, stride, ceil_mode

    def forward(self, input):
        return type(self)._function(input, self.norm_type, self.kernel_size, self.stride,
                                    self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPool):
    """``F.lp_pool1d`` as a layer (no parameters).

    >>> ad.nn.LPPool1d(2, 3, stride=2)(ad.tensor(np.ones((1, 2, 7)))).shape
    (1, 2, 3)
    """

    _function = staticmethod(lp_pool1d)


class LPPool2d(_LPPool):
    """``F.lp_pool2d`` as a layer (no parameters).

    >>> ad.nn.LPPool2d(2, 2)(ad.tensor(np.ones((1, 2, 4, 6)))).shape
    (1, 2, 2, 3)
    """

    _function = staticmethod(lp_pool2d)


class LPPool3d(_LPPool):
    """``F.lp_pool3d`` as a layer (no parameters).

    >>> ad.nn.LPPool3d(2, 2)(ad.tensor(np.ones((1, 2, 2, 4, 6)))).shape
    (1, 2, 1, 2, 3)
    """

    _function = staticmethod(lp_pool3d)


# ----- local response normalization -------------------------------------------------------------

def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """``x / (k + alpha * mean(x**2 over size channels around)) ** beta`` over the
    channels (axis 1) of an (N, C, ...) ``input`` with at least 3 axes, as
    ``torch.nn.functional.local_response_norm``.

    >>> F.local_response_norm(ad.tensor(np.full((1, 2, 1), 2.0)), 2, alpha=1.0, beta=1.0)
    tensor([[[0.66666667],
             [0.4       ]]])
    """
    where = "local_response_norm"
    x = float_tensor(input, where)
    if x.ndim < 3:
        raise ValueError(f"{where}: expected an input (N, C, ...) with at least 3 axes, got "
                         f"shape {x.shape} (as PyTorch); add a spatial axis, e.g. x[..., None]")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"{where}: size must be a positive int, got {size!r}")
    alpha = real_number(alpha, where, "alpha")
    beta = real_number(beta, where, "beta")
    k = real_number(k, where, "k")
    if x.size == 0:
        return x
    n, c = x.shape[:2]
    rest = math.prod(x.shape[2:])
    squares = _shape.reshape(x * x, (n, c, rest))
    padded = FC.pad(squares, (0, 0, size // 2, (size - 1) // 2))
    total = None
    for offset in range(size):
        part = getitem(padded, (slice(None), slice(offset, offset + c)))
        total = part if total is None else total + part
    mean = _shape.reshape(total, x.shape) / float(size)
    return x / (mean * alpha + k) ** beta


class LocalResponseNorm(Module):
    """``F.local_response_norm`` as a layer (no parameters).

    >>> ad.nn.LocalResponseNorm(2)
    LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
