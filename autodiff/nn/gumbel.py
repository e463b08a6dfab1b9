"""``F.gumbel_softmax``: a differentiable sample from a categorical distribution, as
PyTorch's.

Gumbel noise ``-log(E)`` (E exponential) is added to the logits and the sum goes
through a softmax at temperature ``tau``.  With ``hard=True`` the output is the
one-hot vector of the largest entry in value, and the soft sample in gradient (the
straight-through estimator: ``one_hot - stop_gradient(soft) + soft``).  The noise is
drawn from ``rng`` (an int seed or a ``np.random.Generator``; default: the generator
set by ``ad.nn.manual_seed``), again at each replay of a compiled function.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..ops import elementwise as ew
from ..tensor import Tensor
from .functional_activation import checked_axis, float_tensor, real_number
from .module import _generator
from .softmax import softmax


def _gumbel_noise(rng, shape, dtype):
    return (-np.log(_generator(rng).exponential(size=shape))).astype(dtype)


def _one_hot_of_largest(values, axis):
    """1 at the (first) largest entry along ``axis``, 0 elsewhere."""
    out = np.zeros_like(values)
    np.put_along_axis(out, np.expand_dims(np.argmax(values, axis=axis), axis), 1, axis=axis)
    return out


def gumbel_softmax(logits, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1, *, rng=None) -> Tensor:
    """``softmax((logits + g) / tau)`` along ``dim`` with Gumbel noise ``g``; with
    ``hard=True``, one-hot in value and the soft sample in gradient.  ``eps`` is unused,
    as in PyTorch (kept for its signature).

    >>> y = F.gumbel_softmax(ad.tensor([[1.0, 2.0, 3.0]]), tau=0.5, hard=True, rng=0)
    >>> y.data.sum(), sorted(set(y.data.ravel().tolist()))
    (np.float64(1.0), [0.0, 1.0])
    """
    x = float_tensor(logits, "gumbel_softmax")
    tau = real_number(tau, "gumbel_softmax", "tau")
    if not tau > 0:
        raise ValueError(f"gumbel_softmax: tau is a temperature and must be > 0, got {tau}")
    axis = checked_axis(dim, x.ndim, "gumbel_softmax", x.shape)
    noise = made("gumbel noise", _gumbel_noise, (rng, x.shape, x.dtype), stateful=True)
    soft = softmax((x + noise) / tau, axis=axis)
    if not hard:
        return soft
    one_hot = made("gumbel one-hot", _one_hot_of_largest, (soft.data, axis))
    return one_hot - ew.stop_gradient(soft) + soft
