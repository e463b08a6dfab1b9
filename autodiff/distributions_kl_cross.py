"""``kl_divergence`` between distributions of different families, the pairs PyTorch
registers with a closed form (its formulas), registered in ``distributions._KL``.

KL(p ‖ q) is +inf where p puts mass where q has none: a Normal, Laplace or Gumbel
(values on the whole line) against an Exponential, Gamma, Beta or Uniform; an
Exponential or Gamma against a Beta or Uniform; a Uniform reaching below 0 against an
Exponential or Gamma, or outside [0, 1] against a Beta; a Beta against a Uniform that
does not cover [0, 1]; a Poisson against a Bernoulli or Binomial.

>>> D = ad.distributions
>>> D.kl_divergence(D.Uniform(0.0, 1.0), D.Normal(0.0, 1.0))   # log √(2π) + 1/6
tensor(1.0856052)
>>> D.kl_divergence(D.Normal(0.0, 1.0), D.Exponential(1.0))
tensor(inf)
"""

from __future__ import annotations

import math

import numpy as np

from .compile.hooks import made
from .distributions import _KL, Bernoulli, Normal
from .distributions_continuous import Gumbel, Laplace
from .distributions_discrete import Binomial, Poisson
from .distributions_gamma import Beta, Gamma
from .distributions_more import Exponential, Uniform
from .ops.activations import erf
from .ops.elementwise import exp, log, where
from .ops.special import digamma, lgamma, xlogy
from .tensor import Tensor

_EULER_GAMMA = 0.57721566490153286061
_LOG_2PI = math.log(2 * math.pi)


def _infinite(p, q) -> Tensor:
    """+inf over the batch of the pair (p's values lie where q has no density)."""
    shape = np.broadcast_shapes(p.batch_shape, q.batch_shape)
    return Tensor(np.full(shape, np.inf, p._params()[0].dtype))


def _mask(name, condition, *arrays):
    """A constant mask of the parameters, computed again at each compiled replay."""
    return made(name, condition, arrays)


def _x_log_x(x: Tensor) -> Tensor:
    return xlogy(x, x)


def _bernoulli_poisson(p: Bernoulli, q: Poisson) -> Tensor:
    return -p.entropy() - (p.probs * log(q.rate) - q.rate)


def _beta_mean(p: Beta) -> Tensor:
    return p.concentration1 / (p.concentration1 + p.concentration0)


def _beta_exponential(p: Beta, q: Exponential) -> Tensor:
    return -p.entropy() - log(q.rate) + q.rate * _beta_mean(p)


def _beta_gamma(p: Beta, q: Gamma) -> Tensor:
    a, b = p.concentration1, p.concentration0
    log_normalizer = lgamma(q.concentration) - q.concentration * log(q.rate)
    mean_log = digamma(a) - digamma(a + b)
    return (-p.entropy() + log_normalizer - (q.concentration - 1) * mean_log
            + q.rate * _beta_mean(p))


def _beta_normal(p: Beta, q: Normal) -> Tensor:
    mean = _beta_mean(p)
    var_q = q.scale ** 2
    second_moment = mean * (1 - mean) / (p.concentration1 + p.concentration0 + 1) + mean ** 2
    return (-p.entropy() + 0.5 * log(var_q * (2 * math.pi))
            + (0.5 * second_moment - q.loc * mean + 0.5 * q.loc ** 2) / var_q)


def _not_covering_unit(low, high):
    return (low > 0) | (high < 1)


def _beta_uniform(p: Beta, q: Uniform) -> Tensor:
    outside = _mask("Beta-Uniform KL support", _not_covering_unit, q.low.data, q.high.data)
    return where(outside, np.inf, -p.entropy() + log(q.high - q.low))


def _exponential_gamma(p: Exponential, q: Gamma) -> Tensor:
    ratio = q.rate / p.rate
    return (-q.concentration * log(ratio) + ratio + lgamma(q.concentration)
            + q.concentration * _EULER_GAMMA - (1 + _EULER_GAMMA))


def _exponential_gumbel(p: Exponential, q: Gumbel) -> Tensor:
    product = p.rate * q.scale
    loc_ratio = q.loc / q.scale
    return (log(product) - 1 - loc_ratio + exp(loc_ratio) * product / (product + 1)
            + 1 / product)


def _exponential_normal(p: Exponential, q: Normal) -> Tensor:
    var_q = q.scale ** 2
    rate2 = p.rate ** 2
    return (0.5 * log(rate2 * var_q * (2 * math.pi)) - 1
            + (1 / rate2 - q.loc / p.rate + 0.5 * q.loc ** 2) / var_q)


def _gamma_exponential(p: Gamma, q: Exponential) -> Tensor:
    return -p.entropy() - log(q.rate) + q.rate * p.concentration / p.rate


def _gamma_gumbel(p: Gamma, q: Gumbel) -> Tensor:
    a = p.concentration
    product = p.rate * q.scale
    loc_ratio = q.loc / q.scale
    return ((a - 1) * digamma(a) - lgamma(a) - a + log(product) + a / product
            + exp(loc_ratio - a * log(1 + 1 / product)) - loc_ratio)


def _gamma_normal(p: Gamma, q: Normal) -> Tensor:
    a = p.concentration
    var_q = q.scale ** 2
    rate2 = p.rate ** 2
    return (0.5 * log(rate2 * var_q * (2 * math.pi)) - a - lgamma(a)
            + (a - 1) * digamma(a)
            + (0.5 * (a ** 2 + a) / rate2 - q.loc * a / p.rate + 0.5 * q.loc ** 2) / var_q)


def _gumbel_normal(p: Gumbel, q: Normal) -> Tensor:
    ratio = p.scale / q.scale
    return (-log(ratio / math.sqrt(2 * math.pi)) + (math.pi * ratio * 0.5) ** 2 / 3
            + ((p.loc + p.scale * _EULER_GAMMA - q.loc) / q.scale) ** 2 * 0.5
            - (_EULER_GAMMA + 1))


def _laplace_normal(p: Laplace, q: Normal) -> Tensor:
    var_q = q.scale ** 2
    ratio = p.scale ** 2 / var_q
    return (-0.5 * log(2 * ratio / math.pi) + ratio
            + (0.5 * p.loc ** 2 - p.loc * q.loc + 0.5 * q.loc ** 2) / var_q - 1)


def _normal_gumbel(p: Normal, q: Gumbel) -> Tensor:
    mean_ratio = p.loc / q.scale
    var_ratio = (p.scale / q.scale) ** 2
    loc_ratio = q.loc / q.scale
    return (-0.5 * log(var_ratio) + mean_ratio - loc_ratio
            + exp(-mean_ratio + 0.5 * var_ratio + loc_ratio) - 0.5 * (1 + _LOG_2PI))


def _normal_laplace(p: Normal, q: Laplace) -> Tensor:
    difference = p.loc - q.loc
    standardized = difference / p.scale
    spread = math.sqrt(2 / math.pi) * p.scale * exp(-0.5 * standardized ** 2)
    return (-log(p.scale / q.scale) + (spread + difference * erf(math.sqrt(0.5) * standardized))
            / q.scale - 0.5 * (1 + math.log(0.5 * math.pi)))


def _negative(low):
    return low < 0


def _outside_unit(low, high):
    return (low < 0) | (high > 1)


def _uniform_beta(p: Uniform, q: Beta) -> Tensor:
    outside = _mask("Uniform-Beta KL support", _outside_unit, p.low.data, p.high.data)
    # Bounds moved into [0, 1] where the answer is +inf, so that x log x has no NaN slope.
    low, high = where(outside, 0.25, p.low), where(outside, 0.75, p.high)
    width = high - low
    a, b = q.concentration1, q.concentration0
    mean_log = (_x_log_x(high) - _x_log_x(low) - width) / width
    mean_log1m = (_x_log_x(1 - high) - _x_log_x(1 - low) + width) / width
    log_beta = lgamma(a) + lgamma(b) - lgamma(a + b)
    return where(outside, np.inf,
                 (b - 1) * mean_log1m + log_beta - log(width) - (a - 1) * mean_log)


def _uniform_exponential(p: Uniform, q: Exponential) -> Tensor:
    below = _mask("Uniform-Exponential KL support", _negative, p.low.data)
    return where(below, np.inf,
                 q.rate * (p.high + p.low) / 2 - log((p.high - p.low) * q.rate))


def _uniform_gamma(p: Uniform, q: Gamma) -> Tensor:
    below = _mask("Uniform-Gamma KL support", _negative, p.low.data)
    low, high = where(below, 1.0, p.low), where(below, 2.0, p.high)
    width = high - low
    a = q.concentration
    mean_log = (_x_log_x(high) - _x_log_x(low) - width) / width
    return where(below, np.inf,
                 -log(width) + lgamma(a) - a * log(q.rate) + (1 - a) * mean_log
                 + q.rate * (high + low) / 2)


def _uniform_gumbel(p: Uniform, q: Gumbel) -> Tensor:
    ratio = q.scale / (p.high - p.low)
    high = (p.high - q.loc) / q.scale
    low = (p.low - q.loc) / q.scale
    return log(ratio) + 0.5 * (high + low) - ratio * (exp(-high) - exp(-low))


def _uniform_normal(p: Uniform, q: Normal) -> Tensor:
    width = p.high - p.low
    return (log(math.sqrt(2 * math.pi) * q.scale / width)
            + 0.5 * (width ** 2 / 12 + ((p.high + p.low - 2 * q.loc) / 2) ** 2) / q.scale ** 2)


_KL.update({
    (Bernoulli, Poisson): _bernoulli_poisson,
    (Beta, Exponential): _beta_exponential, (Beta, Gamma): _beta_gamma,
    (Beta, Normal): _beta_normal, (Beta, Uniform): _beta_uniform,
    (Exponential, Gamma): _exponential_gamma, (Exponential, Gumbel): _exponential_gumbel,
    (Exponential, Normal): _exponential_normal,
    (Gamma, Exponential): _gamma_exponential, (Gamma, Gumbel): _gamma_gumbel,
    (Gamma, Normal): _gamma_normal,
    (Gumbel, Normal): _gumbel_normal, (Laplace, Normal): _laplace_normal,
    (Normal, Gumbel): _normal_gumbel, (Normal, Laplace): _normal_laplace,
    (Uniform, Beta): _uniform_beta, (Uniform, Exponential): _uniform_exponential,
    (Uniform, Gamma): _uniform_gamma, (Uniform, Gumbel): _uniform_gumbel,
    (Uniform, Normal): _uniform_normal,
})

# p's values lie where q has no density: +inf, as PyTorch's.
_KL.update({pair: _infinite for pair in [
    (Exponential, Beta), (Exponential, Uniform), (Gamma, Beta), (Gamma, Uniform),
    (Gumbel, Beta), (Gumbel, Exponential), (Gumbel, Gamma), (Gumbel, Uniform),
    (Laplace, Beta), (Laplace, Exponential), (Laplace, Gamma), (Laplace, Uniform),
    (Normal, Beta), (Normal, Exponential), (Normal, Gamma), (Normal, Uniform),
    (Poisson, Bernoulli), (Poisson, Binomial)]})
