"""Dropout: zero each element with probability ``p`` while training (inverted dropout)."""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..ops.operands import constant_argument
from ..tensor import Tensor
from .module import Module, _generator


def _check_p(p, where):
    p = constant_argument(p, where, "p", "the mask is drawn with it")
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) \
            or not 0.0 <= p <= 1.0:
        raise ValueError(f"{where}: p is the probability of zeroing an element and must be in "
                         f"[0, 1], got p={p!r}")
    return float(p)


def dropout(x, p: float = 0.5, training: bool = True, *, rng=None) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    The expected value is unchanged, so nothing needs rescaling at evaluation time.
    With ``training=False`` or ``p=0`` the input is returned as it is; ``p=1`` gives
    zeros (and zero gradients), as in PyTorch.  The mask is
    drawn from ``rng`` (an int seed or a ``np.random.Generator``; default: the
    generator set by ``ad.nn.manual_seed``).

    >>> F.dropout(ad.tensor(np.ones(6)), p=0.5, rng=0)
    tensor([2., 0., 0., 0., 2., 2.])
    """
    p = _check_p(p, "dropout")
    x = x if isinstance(x, Tensor) else Tensor(x)
    if not training or p == 0.0:
        return x
    if x.dtype.kind != "f":
        raise TypeError(f"dropout: expected floating-point values, got dtype {x.dtype}")
    return x * made("dropout mask", _scale, (rng, x.shape, p, x.dtype), stateful=True)


def _scale(rng, shape, p, dtype):
    # 0 or 1 / (1 - p) per element: drawn again at each replay of a compiled function.
    keep = _generator(rng).random(shape) >= p
    return (keep * (1.0 / (1.0 - p) if p < 1.0 else 0.0)).astype(dtype)


class Dropout(Module):
    """``F.dropout`` as a layer: active in training mode, the identity after ``eval()``.

    ``rng`` (an int seed or a ``np.random.Generator``) makes the masks reproducible:
    an int seeds a generator owned by the layer, so successive calls still differ.

    >>> drop = ad.nn.Dropout(0.5, rng=0)
    >>> drop(ad.tensor(np.ones(4)))
    tensor([2., 0., 0., 0.])
    >>> drop.eval()(ad.tensor(np.ones(4)))
    tensor([1., 1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, *, rng=None):
        super().__init__()
        self.p = _check_p(p, "Dropout")
        self._rng = None if rng is None else _generator(rng)

    def forward(self, x):
        return dropout(x, self.p, self.training, rng=self._rng)

    def extra_repr(self):
        return f"p={self.p}"
