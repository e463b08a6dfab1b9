"""``Weibull``, ``InverseGamma`` and ``Kumaraswamy``, with PyTorch's names, parameters
and conventions (PyTorch builds them by transforming an Exponential, a Gamma and a
Uniform; here each has its closed forms); re-exported by ``autodiff.distributions``.

Each ``rsample`` is a differentiable function of the parameters of a standard draw held
constant: ``scale · E^(1/concentration)`` for E ~ Exponential(1) (Weibull),
``(1 - U^(1/concentration0))^(1/concentration1)`` for U ~ Uniform(0, 1) (Kumaraswamy),
``1 / G`` for G ~ Gamma (InverseGamma, whose gradient reaches ``rate`` only, as Gamma's).

>>> w = ad.distributions.Weibull(1.0, 2.0)
>>> w.log_prob(1.0), w.cdf(1.0)                      # log 2 - 1, 1 - 1/e
(tensor(-0.30685282), tensor(0.63212056))
"""

from __future__ import annotations

import numpy as np

from .compile.hooks import made
from .distributions import Distribution, _broadcast, _checked, _operand, _sample_shape, _values
from .distributions_checks import (_in_support, _in_unit_interval, _positive,
                                   _unit_probabilities)
from .distributions_continuous import _EULER_GAMMA, _float_parameters, _where_data
from .distributions_more import _standard_exponential, _unit_interval
from .ops.elementwise import exp, expm1, log, log1p, where
from .ops.special import digamma, lgamma, xlogy
from .ops.special_torch import xlog1py
from .tensor import Tensor

__all__ = ["Weibull", "InverseGamma", "Kumaraswamy"]


def _positive_parameters(owner, **given):
    params = _float_parameters(owner, **given)
    for name, param in params.items():
        _checked(_positive, param.data, owner, name)
    return _broadcast(owner, **params)


class Weibull(Distribution):
    """The Weibull distribution: P(X > x) = exp(-(x / scale)^concentration), x ≥ 0.

    >>> ad.distributions.Weibull(2.0, 1.0).mean           # an Exponential of mean 2
    tensor(2.)
    """

    has_rsample = True

    def __init__(self, scale, concentration):
        self.batch_shape, (self.scale, self.concentration) = _positive_parameters(
            "Weibull", scale=scale, concentration=concentration)

    @property
    def concentration_reciprocal(self) -> Tensor:
        return 1 / self.concentration

    @property
    def mean(self) -> Tensor:
        return self.scale * exp(lgamma(1 + 1 / self.concentration))

    @property
    def mode(self) -> Tensor:
        """scale ((k - 1) / k)^(1/k) for k > 1, and 0 for k ≤ 1 (where the density is
        largest at 0; PyTorch's formula gives NaN, or 1 for k = 1/2)."""
        k = self.concentration
        above_one = _where_data(_more_than, k.data, 1)
        k = where(above_one, k, 2.0)
        return where(above_one, self.scale * ((k - 1) / k) ** (1 / k), 0.0)

    @property
    def variance(self) -> Tensor:
        inverse = 1 / self.concentration
        return self.scale ** 2 * (exp(lgamma(1 + 2 * inverse)) - exp(2 * lgamma(1 + inverse)))

    def _params(self):
        return self.scale.data, self.concentration.data

    @staticmethod
    def _draw(shape, gen, scale, concentration):
        return scale * _standard_exponential(gen, shape, scale.dtype) ** (1 / concentration)

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``scale · E^(1/concentration)`` with E ~ Exponential(1) a constant."""
        shape = _sample_shape(shape if sample_shape is None else sample_shape,
                              "Weibull.rsample")
        eps = made("Weibull.rsample noise", _standard_exponential,
                   (rng, shape + self.batch_shape, self.scale.data.dtype), stateful=True)
        return self.scale * Tensor(eps, name="eps") ** (1 / self.concentration)

    def log_prob(self, value) -> Tensor:
        """log k - log λ + (k - 1) log(x / λ) - (x / λ)^k, for values > 0."""
        _checked(_in_support, _values(value), self.batch_shape, "Weibull", "positive")
        z = _operand(value, self.scale) / self.scale
        k = self.concentration
        return log(k) - log(self.scale) + (k - 1) * log(z) - z ** k

    def cdf(self, value) -> Tensor:
        """1 - exp(-(x / λ)^k)."""
        _checked(_in_support, _values(value), self.batch_shape, "Weibull", "positive", "cdf")
        return -expm1(-(_operand(value, self.scale) / self.scale) ** self.concentration)

    def icdf(self, value) -> Tensor:
        """λ (-log(1 - p))^(1/k) for probabilities p in [0, 1]."""
        _checked(_unit_probabilities, _values(value), "Weibull.icdf")
        with np.errstate(divide="ignore"):          # +inf at 1 is the answer
            return self.scale * (-log1p(-_operand(value, self.scale))) ** (1 / self.concentration)

    def entropy(self) -> Tensor:
        """γ (1 - 1/k) + log(λ / k) + 1, one value per batch element."""
        inverse = 1 / self.concentration
        return _EULER_GAMMA * (1 - inverse) + log(self.scale * inverse) + 1


def _more_than(data, bound):
    return data > bound


class InverseGamma(Distribution):
    """``1 / X`` for ``X ~ Gamma(concentration, rate)``: density
    β^α / Γ(α) x^(-α-1) exp(-β / x) for x > 0.

    ``mean`` is +inf for α ≤ 1 and ``variance`` +inf for α ≤ 2, as in PyTorch.

    >>> ad.distributions.InverseGamma(3.0, 4.0).mean      # β / (α - 1)
    tensor(2.)
    """

    has_rsample = True

    def __init__(self, concentration, rate):
        self.batch_shape, (self.concentration, self.rate) = _positive_parameters(
            "InverseGamma", concentration=concentration, rate=rate)

    @property
    def mean(self) -> Tensor:
        exists = _where_data(_more_than, self.concentration.data, 1)
        safe = where(exists, self.concentration, 2.0)
        return where(exists, self.rate / (safe - 1), np.inf)

    @property
    def mode(self) -> Tensor:
        return self.rate / (self.concentration + 1)

    @property
    def variance(self) -> Tensor:
        exists = _where_data(_more_than, self.concentration.data, 2)
        safe = where(exists, self.concentration, 3.0)
        return where(exists, self.rate ** 2 / ((safe - 1) ** 2 * (safe - 2)), np.inf)

    def _params(self):
        return self.concentration.data, self.rate.data

    @staticmethod
    def _draw(shape, gen, concentration, rate):
        from .distributions_gamma import Gamma
        return 1 / Gamma._draw(shape, gen, concentration, rate)

    def _gamma(self):
        from .distributions_gamma import Gamma
        return Gamma(self.concentration, self.rate, validate_args=False)

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``1 / G`` for G a Gamma rsample (differentiable in ``rate``)."""
        return 1 / self._gamma().rsample(shape, rng, sample_shape=sample_shape)

    def log_prob(self, value) -> Tensor:
        """α log β - lgamma(α) - (α + 1) log x - β / x, for values > 0."""
        _checked(_in_support, _values(value), self.batch_shape, "InverseGamma", "positive")
        value = _operand(value, self.rate)
        alpha, beta = self.concentration, self.rate
        return alpha * log(beta) - lgamma(alpha) - (alpha + 1) * log(value) - beta / value

    def cdf(self, value) -> Tensor:
        """Q(α, β / x), the regularized upper incomplete gamma function (no gradient in
        α, as Gamma's cdf)."""
        from .ops.special_torch import gammaincc
        _checked(_in_support, _values(value), self.batch_shape, "InverseGamma", "positive",
                 "cdf")
        return gammaincc(self.concentration, self.rate / _operand(value, self.rate))

    def entropy(self) -> Tensor:
        """α + log β + lgamma(α) - (1 + α) ψ(α), one value per batch element."""
        alpha = self.concentration
        return alpha + log(self.rate) + lgamma(alpha) - (1 + alpha) * digamma(alpha)


def _kumaraswamy_moment(a: Tensor, b: Tensor, n: int) -> Tensor:
    """E[X^n] = b B(1 + n / a, b)."""
    shifted = 1 + n / a
    return b * exp(lgamma(shifted) + lgamma(b) - lgamma(shifted + b))


def _mode_exists(a, b):
    return (a >= 1) & (b >= 1) & ((a > 1) | (b > 1))


class Kumaraswamy(Distribution):
    """The Kumaraswamy distribution on [0, 1]: density a b x^(a-1) (1 - x^a)^(b-1), with
    a = ``concentration1`` and b = ``concentration0`` (as PyTorch names them).

    >>> k = ad.distributions.Kumaraswamy(1.0, 1.0)        # the uniform distribution
    >>> k.log_prob(0.3), k.mean
    (tensor(0.), tensor(0.5))
    """

    has_rsample = True

    def __init__(self, concentration1, concentration0):
        self.batch_shape, (self.concentration1, self.concentration0) = _positive_parameters(
            "Kumaraswamy", concentration1=concentration1, concentration0=concentration0)

    @property
    def mean(self) -> Tensor:
        return _kumaraswamy_moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self) -> Tensor:
        """((a - 1) / (a b - 1))^(1/a) where a ≥ 1 and b ≥ 1 (not both 1), else NaN.
        (PyTorch's formula, (1/b) log(1 - b) - log(1 - a b) in the exponent, is NaN for
        every b > 1 too.)"""
        a, b = self.concentration1, self.concentration0
        exists = _where_data(_mode_exists, a.data, b.data)
        a, b = where(exists, a, 2.0), where(exists, b, 2.0)
        return where(exists, ((a - 1) / (a * b - 1)) ** (1 / a), np.nan)

    @property
    def variance(self) -> Tensor:
        return (_kumaraswamy_moment(self.concentration1, self.concentration0, 2)
                - self.mean ** 2)

    def _params(self):
        return self.concentration1.data, self.concentration0.data

    @staticmethod
    def _draw(shape, gen, a, b):
        u = _unit_interval(gen, shape, a.dtype)
        return (1 - u ** (1 / b)) ** (1 / a)

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``(1 - U^(1/b))^(1/a)`` with U ~ Uniform(0, 1) a constant."""
        shape = _sample_shape(shape if sample_shape is None else sample_shape,
                              "Kumaraswamy.rsample")
        u = made("Kumaraswamy.rsample noise", _unit_interval,
                 (rng, shape + self.batch_shape, self.concentration1.data.dtype),
                 stateful=True)
        return (1 - Tensor(u, name="u") ** (1 / self.concentration0)) ** (
            1 / self.concentration1)

    def log_prob(self, value) -> Tensor:
        """log a + log b + (a - 1) log x + (b - 1) log(1 - x^a), for x in [0, 1]."""
        _checked(_in_unit_interval, _values(value), self.batch_shape, "Kumaraswamy")
        value = _operand(value, self.concentration1)
        a, b = self.concentration1, self.concentration0
        # (0 · log 0 counts as 0: the density of a = 1 at 0 and of b = 1 at 1 is finite.)
        with np.errstate(divide="ignore"):          # ±inf at the ends is the answer
            return log(a) + log(b) + xlogy(a - 1, value) + xlog1py(b - 1, -value ** a)

    def cdf(self, value) -> Tensor:
        """1 - (1 - x^a)^b."""
        _checked(_in_unit_interval, _values(value), self.batch_shape, "Kumaraswamy",
                 "cdf")
        value = _operand(value, self.concentration1)
        return 1 - (1 - value ** self.concentration1) ** self.concentration0

    def icdf(self, value) -> Tensor:
        """(1 - (1 - p)^(1/b))^(1/a) for probabilities p in [0, 1]."""
        _checked(_unit_probabilities, _values(value), "Kumaraswamy.icdf")
        value = _operand(value, self.concentration1)
        return (1 - (1 - value) ** (1 / self.concentration0)) ** (1 / self.concentration1)

    def entropy(self) -> Tensor:
        """(1 - 1/b) + (1 - 1/a) (ψ(b + 1) + γ) - log a - log b."""
        a, b = self.concentration1, self.concentration0
        return ((1 - 1 / b) + (1 - 1 / a) * (digamma(b + 1) + _EULER_GAMMA)
                - log(a) - log(b))
