"""Heavy-tailed distributions on the half-line: ``HalfCauchy(scale)`` (a prior for
scales) and ``Pareto(scale, alpha)``, with PyTorch's names, formulas and conventions;
re-exported by ``autodiff.distributions``.

Both have ``rsample``: ``|scale * eps|`` with ``eps`` standard Cauchy, and
``scale * exp(E / alpha)`` with ``E`` standard exponential, each draw a constant, so
gradients reach the parameters.  ``kl_divergence`` knows PyTorch's pairs with a Pareto
(with itself, an Exponential, a Gamma or a Normal; from a Uniform; the +inf ones).
Moments that do not exist are +inf, as in PyTorch.

>>> ad.distributions.HalfCauchy(1.0).log_prob(0.0)        # log(2 / π)
tensor(-0.45158271)
>>> ad.distributions.Pareto(1.0, 2.0).log_prob(1.0)       # log(alpha / scale)
tensor(0.69314718)
"""

from __future__ import annotations

import math

import numpy as np

from .compile.hooks import made
from .distributions import Distribution, _as_float_tensor, _broadcast, _checked, _operand
from .distributions_checks import (_broadcast_value, _first_bad, _in_support, _positive,
                                   _unit_probabilities)
from .distributions_continuous import _LocationScale, _float_parameters, _standard_noise
from .distributions_params import _sample_shape, _values
from .ops.elementwise import clip, exp, expm1, log, log1p, where
from .ops.special import lgamma, xlogy
from .ops.trig import arctan, tan
from .tensor import Tensor

__all__ = ["HalfCauchy", "Pareto"]


class HalfCauchy(_LocationScale):
    """``|X|`` for ``X ~ Cauchy(0, scale)``; values ≥ 0.  ``mean`` and ``variance`` are
    +inf, as in PyTorch.

    >>> hc = ad.distributions.HalfCauchy(ad.tensor([1.0, 2.0]))
    >>> hc.cdf(ad.tensor([1.0, 2.0])), hc.entropy()          # ½ at x = scale; log(2π scale)
    (tensor([0.5, 0.5]), tensor([1.83787707, 2.53102425]))
    """

    _noise = "standard_cauchy"
    _transform = staticmethod(np.abs)
    _support = "non-negative"
    _icdf_through_transform = False

    def __init__(self, scale):
        scale = _as_float_tensor(scale, "HalfCauchy", "scale")
        super().__init__(Tensor(0.0, dtype=scale.data.dtype), scale)

    @staticmethod
    def _standard_cdf(z):                       # of |eps|: 2 arctan(z) / π
        return arctan(z) * (2 / math.pi)

    @staticmethod
    def _standard_icdf(p):
        return tan(p * (math.pi / 2))

    @property
    def mean(self) -> Tensor:
        return Tensor(np.full(self.batch_shape, np.inf, self.scale.data.dtype))

    @property
    def mode(self) -> Tensor:
        return Tensor(np.zeros(self.batch_shape, self.scale.data.dtype))

    variance = mean

    def log_prob(self, value) -> Tensor:
        """log 2 plus the Cauchy(0, scale) log-density, for values ≥ 0."""
        _checked(_in_support, _values(value), self.batch_shape, "HalfCauchy", "non-negative")
        z = _operand(value, self.scale) / self.scale
        return -log1p(z ** 2) - log(self.scale) + (math.log(2) - math.log(math.pi))

    def entropy(self) -> Tensor:
        """log(2π scale): the Cauchy's entropy less log 2."""
        return log(self.scale) + math.log(2 * math.pi)


def _at_least_scale(value, scale, batch_shape, method):
    _broadcast_value("Pareto", value, batch_shape, method)
    shape = np.broadcast_shapes(np.shape(value), np.shape(scale))
    value = np.broadcast_to(value, shape)
    bad = ~(value >= scale)
    if bad.any():
        raise ValueError(f"Pareto.{method}: values must be ≥ scale (the support); got "
                         f"{_first_bad(value, bad)}")
    return True


class Pareto(Distribution):
    """Density ``alpha scale^alpha / x^(alpha + 1)`` for x ≥ ``scale``: PyTorch's
    ``Exponential(alpha)`` mapped by ``scale * exp``.  ``mean`` is +inf for alpha ≤ 1,
    ``variance`` for alpha ≤ 2.

    >>> p = ad.distributions.Pareto(2.0, 3.0)
    >>> p.mean, p.cdf(4.0)                                # 3 · 2 / 2; 1 - (2/4)³
    (tensor(3.), tensor(0.875))
    """

    has_rsample = True

    def __init__(self, scale, alpha):
        params = _float_parameters("Pareto", scale=scale, alpha=alpha)
        _checked(_positive, params["scale"].data, "Pareto", "scale")
        _checked(_positive, params["alpha"].data, "Pareto", "alpha")
        self.batch_shape, (self.scale, self.alpha) = _broadcast("Pareto", **params)

    @property
    def mean(self) -> Tensor:
        a = clip(self.alpha, 1, None)
        with np.errstate(divide="ignore"):
            return a * self.scale / (a - 1)

    @property
    def mode(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        a = clip(self.alpha, 2, None)
        with np.errstate(divide="ignore"):
            return self.scale ** 2 * a / ((a - 1) ** 2 * (a - 2))

    def _params(self):
        return self.scale.data, self.alpha.data

    @staticmethod
    def _draw(shape, gen, scale, alpha):
        return scale * np.exp(gen.standard_exponential(shape).astype(scale.dtype) / alpha)

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``scale * exp(E / alpha)`` with ``E`` a standard exponential draw, a constant."""
        shape = _sample_shape(shape if sample_shape is None else sample_shape,
                              "Pareto.rsample")
        draws = made("Pareto.rsample noise", _standard_noise,
                     ("standard_exponential", rng, shape + self.batch_shape,
                      self.scale.data.dtype), stateful=True)
        return self.scale * exp(Tensor(draws) / self.alpha)

    def _log_ratio(self, value, method):
        _checked(_at_least_scale, _values(value), self.scale.data, self.batch_shape, method)
        return log(_operand(value, self.scale) / self.scale)

    def log_prob(self, value) -> Tensor:
        """log alpha - (alpha + 1) log(x / scale) - log scale, as PyTorch's transformed
        Exponential computes it."""
        y = self._log_ratio(value, "log_prob")
        return log(self.alpha) - self.alpha * y - y - log(self.scale)

    def cdf(self, value) -> Tensor:
        """1 - (scale / x)^alpha."""
        return -expm1(-self.alpha * self._log_ratio(value, "cdf"))

    def icdf(self, value) -> Tensor:
        """scale (1 - p)^(-1 / alpha)."""
        _checked(_unit_probabilities, _values(value), "Pareto.icdf")
        with np.errstate(divide="ignore"):
            return self.scale * exp(-log1p(-_operand(value, self.scale)) / self.alpha)

    def entropy(self) -> Tensor:
        """log(scale / alpha) + 1 / alpha + 1."""
        return log(self.scale / self.alpha) + (1 + 1 / self.alpha)


# ----- kl_divergence with a Pareto: PyTorch's pairs and formulas --------------------

def _below(data, bound):
    return data < bound


def _at_most(data, bound):
    return data <= bound


def _mask(name, condition, *arrays):
    """A constant mask of the parameters, computed again at each compiled replay."""
    return made(name, condition, arrays)


def _kl_pareto_pareto(p: Pareto, q: Pareto) -> Tensor:
    """+inf where p reaches below q's scale."""
    alpha_ratio = q.alpha / p.alpha
    result = q.alpha * log(p.scale / q.scale) - log(alpha_ratio) + alpha_ratio - 1
    return where(_mask("Pareto-Pareto KL support", _below, p.scale.data, q.scale.data),
                 np.inf, result)


def _with_finite_mean(p: Pareto, least: float):
    """Where alpha ≤ ``least`` (the moment the formula needs is infinite), and alpha
    with ``least + 1`` there, so that no branch divides by 0."""
    infinite = _mask("Pareto KL moment", _at_most, p.alpha.data, least)
    return infinite, where(infinite, least + 1.0, p.alpha)


def _kl_pareto_exponential(p: Pareto, q) -> Tensor:
    infinite, alpha = _with_finite_mean(p, 1.0)
    scale_rate = p.scale * q.rate
    result = log(alpha / scale_rate) - 1 / alpha + alpha * scale_rate / (alpha - 1) - 1
    return where(infinite, np.inf, result)


def _kl_pareto_gamma(p: Pareto, q) -> Tensor:
    infinite, alpha = _with_finite_mean(p, 1.0)
    mean_log = log(p.scale) + 1 / alpha
    k = q.concentration
    result = (log(alpha) - mean_log + lgamma(k) - k * log(q.rate) + (1 - k) * mean_log
              + q.rate * alpha * p.scale / (alpha - 1) - 1)
    return where(infinite, np.inf, result)


def _kl_pareto_normal(p: Pareto, q) -> Tensor:
    infinite, alpha = _with_finite_mean(p, 2.0)
    mean_over_alpha = p.scale / (alpha - 1)
    variance = alpha * mean_over_alpha ** 2 / (alpha - 2)
    bias = (alpha * mean_over_alpha - q.loc) ** 2
    result = (log(math.sqrt(2 * math.pi) * q.scale * alpha / p.scale) - 1 / alpha
              + (variance + bias) / (2 * q.scale ** 2) - 1)
    return where(infinite, np.inf, result)


def _kl_uniform_pareto(p, q: Pareto) -> Tensor:
    """+inf where the Uniform reaches below the Pareto's scale."""
    below = _mask("Uniform-Pareto KL support", _below, p.low.data, q.scale.data)
    low, high = where(below, 1.0, p.low), where(below, 2.0, p.high)
    width = high - low
    mean_log = (xlogy(high, high) - xlogy(low, low) - width) / width
    result = (q.alpha + 1) * mean_log - log(q.alpha * q.scale ** q.alpha * width)
    return where(below, np.inf, result)


def _register_kl() -> None:
    from .distributions import _KL, Normal
    from .distributions_continuous import Gumbel, Laplace
    from .distributions_gamma import Beta, Gamma
    from .distributions_kl_cross import _infinite
    from .distributions_more import Exponential, Uniform
    _KL.update({(Pareto, Pareto): _kl_pareto_pareto,
                (Pareto, Exponential): _kl_pareto_exponential,
                (Pareto, Gamma): _kl_pareto_gamma, (Pareto, Normal): _kl_pareto_normal,
                (Uniform, Pareto): _kl_uniform_pareto})
    # p's values lie where q has no density: +inf, as PyTorch's.
    _KL.update({pair: _infinite for pair in [
        (Beta, Pareto), (Exponential, Pareto), (Gamma, Pareto), (Gumbel, Pareto),
        (Laplace, Pareto), (Normal, Pareto), (Pareto, Beta), (Pareto, Uniform)]})


_register_kl()
