"""``GeneralizedPareto(loc, scale, concentration)``, with PyTorch's names, formulas and
conventions; re-exported by ``autodiff.distributions``.

With z = (x - loc) / scale and ξ = ``concentration``, the survival function is
(1 + ξ z)^(-1/ξ) (exp(-z) at ξ = 0), for x ≥ loc, and x ≤ loc - scale / ξ when ξ < 0.
As PyTorch's, a concentration within 1e-8 of 0 counts as 0 (its ``isclose``), where
the formulas of ξ = 0 take over, here with their terms in ξ and ξ² added, so that the
first and second derivatives in ξ there are those of the exact formulas (PyTorch's are
0).  The expansion is used only where it is accurate, |ξ z| ≤ 1e-5 (|ξ log(1 - p)| for
``icdf``); farther out the exact formulas hold for any ξ ≠ 0 (a truncated expansion
would give a log density above 0 there).

>>> gp = ad.distributions.GeneralizedPareto(0.0, 1.0, 0.0)   # an Exponential(1)
>>> gp.log_prob(1.0), gp.cdf(1.0)
(tensor(-1.), tensor(0.63212056))
"""

from __future__ import annotations

import numpy as np

from .compile.hooks import made
from .distributions import Distribution, _broadcast, _checked, _operand, _sample_shape, _values
from .distributions_checks import (_broadcast_value, _first_bad, _not_nan, _positive,
                                   _unit_probabilities)
from .distributions_continuous import _float_parameters
from .distributions_more import _unit_interval
from .ops.elementwise import exp, expm1, log, log1p, where
from .tensor import Tensor

__all__ = ["GeneralizedPareto"]


def _near_zero(concentration):
    """PyTorch's ``isclose(concentration, 0)``: |ξ| ≤ 1e-8."""
    return np.abs(concentration) <= 1e-8


def _in_range(value, loc, scale, concentration, batch_shape, method):
    """Raise unless every value lies in [loc, loc - scale / ξ] (ξ < 0) or [loc, ∞)."""
    _broadcast_value("GeneralizedPareto", value, batch_shape, method)
    with np.errstate(divide="ignore", invalid="ignore"):
        upper = np.where(concentration < 0, loc - scale / concentration, np.inf)
    shape = np.broadcast_shapes(np.shape(value), np.shape(loc))
    value = np.broadcast_to(value, shape)
    bad = ~((value >= loc) & (value <= upper))
    if bad.any():
        raise ValueError(f"GeneralizedPareto.{method}: values must lie in [loc, loc - "
                         "scale / concentration] for concentration < 0, or [loc, inf) (the "
                         f"support); got {_first_bad(value, bad)}")
    return True


def _expansion_holds(concentration, scaled):
    """Where the expansion in ξ is used: ξ counts as 0 and is exactly 0 or small against
    ``scaled`` (z, or log(1 - p)): |ξ · scaled| ≤ 1e-5, where the expansion's error is
    below 1e-15 of the result."""
    with np.errstate(invalid="ignore"):
        small = np.abs(concentration * scaled) <= 1e-5
    return _near_zero(concentration) & ((concentration == 0) | small)


def _finite(data):
    return np.isfinite(data)


def _flat_end(power, z):
    return (power == 0) & (z == 1)


def _less_than(data, bound):
    return data < bound


class GeneralizedPareto(Distribution):
    """The generalized Pareto distribution (see the module).

    ``mean`` is NaN for ξ ≥ 1 and ``variance`` NaN for ξ ≥ ½, as in PyTorch.

    >>> ad.distributions.GeneralizedPareto(1.0, 2.0, 0.25).mean    # loc + scale / (1 - ξ)
    tensor(3.66666667)
    """

    has_rsample = True

    def __init__(self, loc, scale, concentration):
        params = _float_parameters("GeneralizedPareto", loc=loc, scale=scale,
                                   concentration=concentration)
        _checked(_not_nan, params["loc"].data, "GeneralizedPareto", "loc")
        _checked(_positive, params["scale"].data, "GeneralizedPareto", "scale")
        _checked(_not_nan, params["concentration"].data, "GeneralizedPareto", "concentration")
        self.batch_shape, (self.loc, self.scale, self.concentration) = _broadcast(
            "GeneralizedPareto", **params)

    def _upper_end(self) -> Tensor:
        """loc - scale / ξ where ξ < 0, else +inf: the top of the support."""
        negative = made("GeneralizedPareto negative", _less_than, (self.concentration.data, 0))
        safe = where(negative, self.concentration, -1.0)
        return where(negative, self.loc - self.scale / safe, np.inf)

    def _expanded_and_safe(self, scaled: Tensor):
        """Where the expansion in ξ is used (see ``_expansion_holds``), and ξ with 1
        there (so that no branch divides by 0)."""
        expanded = made("GeneralizedPareto expansion", _expansion_holds,
                        (self.concentration.data, _values(scaled)))
        return expanded, where(expanded, 1.0, self.concentration)

    @property
    def mean(self) -> Tensor:
        valid = made("GeneralizedPareto mean exists", _less_than, (self.concentration.data, 1))
        safe = where(valid, self.concentration, 0.5)
        return where(valid, self.loc + self.scale / (1 - safe), np.nan)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        valid = made("GeneralizedPareto variance exists", _less_than,
                     (self.concentration.data, 0.5))
        safe = where(valid, self.concentration, 0.25)
        return where(valid, self.scale ** 2 / ((1 - safe) ** 2 * (1 - 2 * safe)), np.nan)

    def _params(self):
        return self.loc.data, self.scale.data, self.concentration.data

    @staticmethod
    def _draw(shape, gen, loc, scale, concentration):
        u = _unit_interval(gen, shape, loc.dtype)
        zero = _near_zero(concentration)
        safe = np.where(zero, 1.0, concentration)
        log_u = np.log1p(-u)
        return np.where(zero, loc - scale * log_u,
                        loc + scale / safe * np.expm1(-safe * log_u)).astype(loc.dtype)

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``icdf(u)`` for ``u`` uniform in [0, 1), a constant: differentiable in all three
        parameters."""
        shape = _sample_shape(shape if sample_shape is None else sample_shape,
                              "GeneralizedPareto.rsample")
        u = made("GeneralizedPareto.rsample noise", _unit_interval,
                 (rng, shape + self.batch_shape, self.loc.data.dtype), stateful=True)
        return self._quantile(Tensor(u, name="u"))

    def _check(self, value, method):
        _checked(_in_range, _values(value), self.loc.data, self.scale.data,
                 self.concentration.data, self.batch_shape, method)

    def _correction(self, expanded, scaled: Tensor, first, second) -> Tensor:
        """ξ · first(t) + ξ² · second(t), t = ``scaled``, where the expansion is used,
        else 0 (t replaced by 0 where infinite, as ξ = 0 multiplies it there)."""
        finite = made("GeneralizedPareto finite", _finite, (_values(scaled),))
        xi = where(expanded, self.concentration, 0.0)
        t = where(finite, scaled, 0.0)
        return xi * (first(t) + xi * second(t))

    def log_prob(self, value) -> Tensor:
        """-log scale - (1 / ξ + 1) log(1 + ξ z) (-log scale - z - ξ (z - z²/2)
        - ξ² (z³/3 - z²/2) near ξ = 0)."""
        self._check(value, "log_prob")
        z = (_operand(value, self.loc) - self.loc) / self.scale
        expanded, safe = self._expanded_and_safe(z)
        power = 1 / safe + 1
        # At ξ = -1 the density is flat, 1 / scale, up to the end z = 1, where the
        # product would be 0 · log 0: 0 there (not NaN).
        end = made("GeneralizedPareto flat end", _flat_end, (power.data, _values(z)))
        nonzero = power * log1p(safe * where(end, 0.0, z))
        near_zero = z + self._correction(expanded, z, lambda t: t - t ** 2 / 2,
                                         lambda t: t ** 3 / 3 - t ** 2 / 2)
        return -log(self.scale) - where(expanded, near_zero, nonzero)

    def _log_survival(self, value) -> Tensor:
        z = (_operand(value, self.loc) - self.loc) / self.scale
        expanded, safe = self._expanded_and_safe(z)
        near_zero = -z + self._correction(expanded, z, lambda t: t ** 2 / 2,
                                          lambda t: -t ** 3 / 3)
        return where(expanded, near_zero, -log1p(safe * z) / safe)

    def cdf(self, value) -> Tensor:
        """1 - (1 + ξ z)^(-1/ξ) (1 - exp(-z) at ξ = 0), as exp(log1p(-survival))."""
        self._check(value, "cdf")
        return exp(log1p(-exp(self._log_survival(value))))

    def icdf(self, value) -> Tensor:
        """loc + scale / ξ · expm1(-ξ log(1 - p)) (loc - scale log(1 - p) at ξ = 0)."""
        _checked(_unit_probabilities, _values(value), "GeneralizedPareto.icdf")
        return self._quantile(_operand(value, self.loc))

    def _quantile(self, p):
        with np.errstate(divide="ignore"):              # +inf at p = 1 is the answer
            log_u = log1p(-p)
        expanded, safe = self._expanded_and_safe(log_u)
        # scale / ξ · expm1(-ξ L) = scale (-L + ξ L²/2 - ξ² L³/6 + ...), L = log(1 - p)
        correction = self._correction(expanded, log_u, lambda t: t / 2, lambda t: -t ** 2 / 6)
        near_zero = self.loc - self.scale * log_u * (1 - correction)
        return where(expanded, near_zero, self.loc + self.scale / safe * expm1(-safe * log_u))

    def entropy(self) -> Tensor:
        """log scale + ξ + 1, one value per batch element."""
        return log(self.scale) + self.concentration + 1
