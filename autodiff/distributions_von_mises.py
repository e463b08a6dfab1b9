"""``VonMises``, the circular normal distribution on [-π, π), with PyTorch's names and
conventions; re-exported by ``autodiff.distributions``.

>>> vm = ad.distributions.VonMises(0.0, 1.0)
>>> vm.log_prob(0.0)                         # 1 - log(2π I0(1))
tensor(-1.07379142)
"""

from __future__ import annotations

import math

import numpy as np

from .distributions import Distribution, _broadcast, _checked, _operand, _values
from .distributions_checks import _in_support, _not_nan, _positive
from .distributions_surface import _CentredAtLoc
from .distributions_continuous import _float_parameters
from .ops.elementwise import cos, exp, log
from .ops.special_torch import i0e, i1e
from .tensor import Tensor

__all__ = ["VonMises"]


def _log_i0(x: Tensor) -> Tensor:
    """log I0(x) = log i0e(x) + x for x > 0 (i0e = exp(-x) I0(x) does not overflow)."""
    return log(i0e(x)) + x


class VonMises(_CentredAtLoc, Distribution):
    """Density exp(κ cos(x - loc)) / (2π I0(κ)) for an angle x, κ = ``concentration``.

    ``mean`` and ``mode`` are ``loc``; ``variance`` is the circular variance
    1 - I1(κ) / I0(κ), as in PyTorch (which has no entropy or rsample for it either).
    Samples lie in [-π, π].

    >>> ad.distributions.VonMises(0.0, 2.0).variance
    tensor(0.30222534)
    """

    def __init__(self, loc, concentration):
        params = _float_parameters("VonMises", loc=loc, concentration=concentration)
        _checked(_not_nan, params["loc"].data, "VonMises", "loc")
        _checked(_positive, params["concentration"].data, "VonMises", "concentration")
        self.batch_shape, (self.loc, self.concentration) = _broadcast("VonMises", **params)

    @property
    def variance(self) -> Tensor:
        """The circular variance 1 - I1(κ) / I0(κ)."""
        return 1 - i1e(self.concentration) / i0e(self.concentration)

    def _params(self):
        return self.loc.data, self.concentration.data

    @staticmethod
    def _draw(shape, gen, loc, concentration):
        # NumPy's sampler (Best and Fisher's rejection algorithm, as PyTorch's), in
        # float64 as PyTorch draws, then shifted back into [-π, π].
        angle = gen.vonmises(0.0, np.broadcast_to(concentration, shape).astype(np.float64))
        return (np.mod(angle + loc + math.pi, 2 * math.pi) - math.pi).astype(loc.dtype)

    def log_prob(self, value) -> Tensor:
        """κ cos(value - loc) - log(2π) - log I0(κ)."""
        _checked(_in_support, _values(value), self.batch_shape, "VonMises", "real")
        value = _operand(value, self.loc)
        kappa = self.concentration
        return kappa * cos(value - self.loc) - math.log(2 * math.pi) - _log_i0(kappa)

    def entropy(self) -> Tensor:
        """log(2π I0(κ)) - κ I1(κ) / I0(κ), one value per batch element (PyTorch has
        none)."""
        kappa = self.concentration
        return math.log(2 * math.pi) + _log_i0(kappa) - kappa * exp(
            log(i1e(kappa)) - log(i0e(kappa)))
