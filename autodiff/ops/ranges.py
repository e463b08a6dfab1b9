"""Evenly spaced values: linspace, differentiable with respect to start and stop.

Each sample is ``start * (1 - t) + stop * t`` for fixed fractions ``t`` (``i / div``,
and exactly 1 for the endpoint), so the gradient of ``start`` is the sum of
``g * (1 - t)`` over the samples and that of ``stop`` the sum of ``g * t``.  The
forward is NumPy's own, so the values are NumPy's exactly.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .registry import defop, implements


def _fractions(num, endpoint):
    div = (num - 1) if endpoint else num
    t = np.arange(num, dtype=float) / div if div > 0 else np.zeros(num)
    if endpoint and num > 1:
        t[-1] = 1.0
    return t


def _linspace_forward(start, stop, num=50, endpoint=True, axis=0, dtype=None):
    return np.linspace(start, stop, num, endpoint=endpoint, axis=axis, dtype=dtype)


def _spread(ans, num, endpoint, axis):
    """The fractions t shaped to broadcast along the sample axis of ``ans``."""
    axis %= ans.ndim
    return _fractions(num, endpoint).reshape((num,) + (1,) * (ans.ndim - 1 - axis)), axis


def _grad_start(xp, g, ans, start, stop, num=50, endpoint=True, axis=0, dtype=None):
    t, axis = _spread(ans, num, endpoint, axis)
    return xp.sum(g * (1 - t), axis=axis)


def _grad_stop(xp, g, ans, start, stop, num=50, endpoint=True, axis=0, dtype=None):
    t, axis = _spread(ans, num, endpoint, axis)
    return xp.sum(g * t, axis=axis)


_linspace = defop(
    "linspace", _linspace_forward,
    hint="start and stop broadcast against each other; num must be a non-negative int",
    start=("sum of g * (1 - t) over the samples", _grad_start),
    stop=("sum of g * t over the samples", _grad_stop),
    num=None, endpoint=None, axis=None, dtype=None)


@implements(np.linspace)
def linspace(start, stop, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype=None, axis: int = 0, *, device=None) -> "Tensor | tuple[Tensor, Tensor]":
    """``num`` evenly spaced samples from ``start`` to ``stop``, as ``np.linspace``;
    ``start`` and ``stop`` may be Tensors (of any broadcastable shapes).

    >>> a = ad.tensor(1.0, requires_grad=True)
    >>> y = ad.linspace(a, 2.0, num=3)
    >>> y.sum().backward(); y, a.grad
    (tensor([1. , 1.5, 2. ], requires_grad=True), array(1.5))
    """
    if device not in (None, "cpu"):
        raise TypeError(f"linspace: device={device!r} is not supported (only 'cpu')")
    if dtype is not None and np.dtype(dtype).kind != "f":
        raise TypeError(f"linspace: dtype={np.dtype(dtype)} is not a float dtype; the "
                        "samples would be rounded and have no gradient. Use a float dtype "
                        "and convert the result with .astype")
    num = int(num)
    if num < 0:
        raise ValueError(f"linspace: number of samples, {num}, must be non-negative")
    samples = _linspace(start, stop, num=num, endpoint=bool(endpoint), axis=axis,
                        dtype=dtype)
    if not retstep:
        return samples
    div = (num - 1) if endpoint else num
    if div > 0:
        step = (stop - start) / div
        step = step if isinstance(step, Tensor) else Tensor(step)
    else:
        step = Tensor(np.nan)
    return samples, step


linspace.numpy_kwargs = ("dtype",)    # np.linspace(..., dtype=float32) reaches linspace

