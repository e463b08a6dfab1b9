"""The randomized leaky ReLU (``F.rrelu``, ``F.rrelu_``, ``nn.RReLU``), as PyTorch's.

While training, each element at or below 0 is multiplied by its own slope drawn
uniformly from ``[lower, upper]``; at evaluation it is a leaky ReLU with the mean
slope ``(lower + upper) / 2``.  The slopes come from ``rng`` (an int seed or a
``np.random.Generator``; default: the generator set by ``ad.nn.manual_seed``) and are
drawn again at each replay of a compiled function, as dropout's masks.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..ops import elementwise as ew
from ..tensor import Tensor
from . import functional_activation as A
from .functional_inplace import apply_in_place
from .module import Module, _generator


def _bounds(lower, upper, where):
    lower = A.real_number(lower, where, "lower")
    upper = A.real_number(upper, where, "upper")
    if lower > upper:
        raise ValueError(f"{where}: lower ({lower}) must be at most upper ({upper}), as "
                         "PyTorch requires")
    return float(lower), float(upper)


def _slopes(rng, shape, lower, upper, dtype):
    """One slope per element, uniform in [lower, upper]."""
    return _generator(rng).uniform(lower, upper, shape).astype(dtype)


def _drawn(x, lower, upper, rng):
    return made("rrelu slopes", _slopes, (rng, x.shape, lower, upper, x.dtype), stateful=True)


def _rrelu_training(t, slopes):
    # PyTorch's rule: x <= 0 takes the slope (so does its gradient at 0); NaN stays NaN
    # with gradient 1.
    return ew.where(t <= 0, t * slopes, t)


def rrelu(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False, *, rng=None) -> Tensor:
    """Randomized leaky ReLU: ``x`` where ``x > 0``, else ``a * x`` with ``a`` drawn per
    element from U(lower, upper) when ``training``, and ``a = (lower + upper) / 2``
    otherwise (PyTorch's default ``training=False``).  ``inplace=True`` is ``rrelu_``.

    >>> F.rrelu(ad.tensor([-2.0, 3.0]), 0.25, 0.75)
    tensor([-1.,  3.])
    """
    if inplace:
        return rrelu_(input, lower, upper, training, rng=rng)
    lower, upper = _bounds(lower, upper, "rrelu")
    x = A.float_tensor(input, "rrelu")
    if not training:
        return ew.leaky_relu(x, (lower + upper) / 2)
    return _rrelu_training(x, _drawn(x, lower, upper, rng))


def rrelu_(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
           *, rng=None) -> Tensor:
    """``F.rrelu`` in place (the machinery of ``add_``); returns ``input``.

    >>> F.rrelu_(ad.tensor([-2.0, 3.0]), 0.25, 0.75)
    tensor([-1.,  3.])
    """
    lower, upper = _bounds(lower, upper, "rrelu_")
    if not training:
        slope = (lower + upper) / 2
        return apply_in_place(input, "rrelu_", lambda t, _: ew.leaky_relu(t, slope),
                              lambda a, _: ew.leaky_relu.forward(a, slope))
    A.float_tensor(input, "rrelu_")
    slopes = _drawn(input, lower, upper, rng)
    return apply_in_place(input, "rrelu_", _rrelu_training,
                          lambda a, s: np.where(a <= 0, a * s, a), other=slopes)


class RReLU(Module):
    """``F.rrelu`` as a layer: random slopes while training, the mean slope after
    ``eval()``.  ``rng`` (an int seed or a ``np.random.Generator``) makes the draws
    reproducible; an int seeds a generator owned by the layer.

    >>> layer = ad.nn.RReLU(0.1, 0.3).eval()
    >>> layer(ad.tensor([-1.0, 2.0]))
    tensor([-0.2,  2. ])
    """

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False,
                 *, rng=None):
        super().__init__()
        self.lower, self.upper = _bounds(lower, upper, "RReLU")
        self.inplace = bool(inplace)
        self._rng = None if rng is None else _generator(rng)

    def forward(self, input) -> Tensor:
        return rrelu(input, self.lower, self.upper, self.training, self.inplace, rng=self._rng)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True"
                                                            if self.inplace else "")
