"""``ContinuousBernoulli``, with PyTorch's name, parameters (``probs`` or ``logits``,
``lims``) and formulas, and the ``kl_divergence`` pairs PyTorch registers for it;
re-exported by ``autodiff.distributions``.

The density on [0, 1] is ``C(λ) λ^x (1 - λ)^(1 - x)``, where ``probs`` λ is not a
probability of anything (Loaiza-Ganem and Cunningham, 2019).  Its normalizing constant
``C`` and its moments are 0/0 at λ = ½, so inside ``lims`` (default (0.499, 0.501))
they come from Taylor series, as in PyTorch.  ``rsample`` is ``icdf(U)`` for a uniform
U held constant, differentiable in λ.

>>> cb = ad.distributions.ContinuousBernoulli(probs=0.5)
>>> cb.mean, cb.log_prob(0.3)                     # uniform on [0, 1] at λ = ½
(tensor(0.5), tensor(0.))

KL pairs that differ from PyTorch's: against (or from) a ``Uniform`` whose interval is
exactly [0, 1] the divergence is finite here (PyTorch's test uses ``≥ 0`` / ``≤ 1``
and gives +inf, though the supports agree).
"""

from __future__ import annotations

import math

import numpy as np

from .compile.hooks import made
from .distributions import _KL, Distribution, Normal, _checked, _operand, _sample_shape, _values
from .distributions_checks import _in_unit_interval, _unit_probabilities
from .distributions_continuous import Gumbel, Laplace
from .distributions_gamma import Beta, Gamma
from .distributions_heavy_tailed import Pareto
from .distributions_kl_cross import _infinite, _mask
from .distributions_more import Exponential, Uniform, _unit_interval
from .distributions_params import _set_success_probs
from .ops.elementwise import abs as absolute
from .ops.elementwise import clip, log, log1p, where
from .tensor import Tensor

__all__ = ["ContinuousBernoulli"]


def _outside(probs, low, high):
    return (probs <= low) | (probs > high)


class ContinuousBernoulli(Distribution):
    """The continuous Bernoulli distribution on [0, 1], from exactly one of ``probs``
    (in [0, 1], clamped to [eps, 1 - eps] as PyTorch's) or ``logits``.

    >>> cb = ad.distributions.ContinuousBernoulli(logits=ad.tensor([0.0, 2.0]))
    >>> cb.mean.round(4)
    tensor([0.5   , 0.6565])
    """

    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501)):
        _set_success_probs(self, "ContinuousBernoulli", probs, logits)
        eps = float(np.finfo(self.probs.data.dtype).eps)
        self.probs = clip(self.probs, eps, 1 - eps)
        self.batch_shape = self.probs.shape
        self._lims = (float(lims[0]), float(lims[1]))

    def _stable(self) -> np.ndarray:
        """Where ``probs`` is outside ``lims``, so the closed forms are used."""
        return _mask("ContinuousBernoulli lims", _outside, self.probs.data, *self._lims)

    def _cut_probs(self) -> Tensor:
        return where(self._stable(), self.probs, self._lims[0])

    def _cont_bern_log_norm(self) -> Tensor:
        """log C(λ) = log |log(1 - λ) - log λ| - log |1 - 2λ|, a series near ½."""
        cut = self._cut_probs()
        below = where(cut <= 0.5, cut, 0.0)
        above = where(cut >= 0.5, cut, 1.0)
        log_norm = log(absolute(log1p(-cut) - log(cut))) - where(
            cut <= 0.5, log1p(-2.0 * below), log(2.0 * above - 1.0))
        x = (self.probs - 0.5) ** 2
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return where(self._stable(), log_norm, taylor)

    @property
    def mean(self) -> Tensor:
        cut = self._cut_probs()
        closed = cut / (2.0 * cut - 1.0) + 1.0 / (log1p(-cut) - log(cut))
        x = self.probs - 0.5
        return where(self._stable(), closed, 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x ** 2) * x)

    @property
    def variance(self) -> Tensor:
        cut = self._cut_probs()
        closed = (cut * (cut - 1.0) / (1.0 - 2.0 * cut) ** 2
                  + 1.0 / (log1p(-cut) - log(cut)) ** 2)
        x = (self.probs - 0.5) ** 2
        return where(self._stable(), closed, 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x)

    @property
    def param_shape(self) -> tuple:
        return self.probs.shape

    def _params(self):
        return (self.probs.data,)

    def sample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``icdf`` of uniform draws, as a constant."""
        return self.rsample(shape, rng, sample_shape=sample_shape).detach()

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``icdf(U)`` with U ~ Uniform(0, 1) a constant: differentiable in ``probs``."""
        shape = _sample_shape(shape if sample_shape is None else sample_shape,
                              "ContinuousBernoulli.rsample")
        u = made("ContinuousBernoulli.rsample noise", _unit_interval,
                 (rng, shape + self.batch_shape, self.probs.data.dtype), stateful=True)
        return self._icdf(Tensor(u, name="u"))

    def log_prob(self, value) -> Tensor:
        """x · logits - softplus(logits) + log C(λ), for values in [0, 1]."""
        _checked(_in_unit_interval, _values(value), self.batch_shape, "ContinuousBernoulli")
        from .nn.losses_binary import logit_cross_entropy
        return -logit_cross_entropy(self.logits, _operand(value, self.logits)) \
            + self._cont_bern_log_norm()

    def cdf(self, value) -> Tensor:
        """(λ^x (1 - λ)^(1 - x) + λ - 1) / (2λ - 1); x itself inside ``lims``."""
        _checked(_in_unit_interval, _values(value), self.batch_shape, "ContinuousBernoulli",
                 "cdf")
        value = _operand(value, self.probs)
        cut = self._cut_probs()
        closed = (cut ** value * (1.0 - cut) ** (1.0 - value) + cut - 1.0) / (2.0 * cut - 1.0)
        inside = where(self._stable(), closed, value)
        return where(value <= 0.0, 0.0, where(value >= 1.0, 1.0, inside))

    def icdf(self, value) -> Tensor:
        """log(1 + p (2λ - 1) / (1 - λ)) / log(λ / (1 - λ)); p itself inside ``lims``."""
        _checked(_unit_probabilities, _values(value), "ContinuousBernoulli.icdf")
        return self._icdf(_operand(value, self.probs))

    def _icdf(self, value) -> Tensor:
        cut = self._cut_probs()
        closed = ((log1p(-cut + value * (2.0 * cut - 1.0)) - log1p(-cut))
                  / (log(cut) - log1p(-cut)))
        return where(self._stable(), closed, value)

    def entropy(self) -> Tensor:
        """mean · (log(1 - λ) - log λ) - log C(λ) - log(1 - λ)."""
        log_probs0, log_probs1 = log1p(-self.probs), log(self.probs)
        return self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm() - log_probs0


# --- kl_divergence, PyTorch's pairs ---

def _cb_cb(p: ContinuousBernoulli, q: ContinuousBernoulli) -> Tensor:
    return (p.mean * (p.logits - q.logits) + p._cont_bern_log_norm() + log1p(-p.probs)
            - q._cont_bern_log_norm() - log1p(-q.probs))


def _to_cb(mean: Tensor, entropy: Tensor, q: ContinuousBernoulli) -> Tensor:
    """KL(p ‖ q) for p on [0, 1] of the given mean and entropy."""
    return -entropy - mean * q.logits - log1p(-q.probs) - q._cont_bern_log_norm()


def _beta_cb(p: Beta, q: ContinuousBernoulli) -> Tensor:
    return _to_cb(p.mean, p.entropy(), q)


def _not_covering_unit(low, high):
    return (low > 0) | (high < 1)


def _outside_unit(low, high):
    return (low < 0) | (high > 1)


def _uniform_cb(p: Uniform, q: ContinuousBernoulli) -> Tensor:
    outside = _mask("Uniform-ContinuousBernoulli KL support", _outside_unit,
                    p.low.data, p.high.data)
    return where(outside, np.inf, _to_cb(p.mean, p.entropy(), q))


def _cb_uniform(p: ContinuousBernoulli, q: Uniform) -> Tensor:
    short = _mask("ContinuousBernoulli-Uniform KL support", _not_covering_unit,
                  q.low.data, q.high.data)
    return where(short, np.inf, -p.entropy() + log(q.high - q.low))


def _cb_exponential(p: ContinuousBernoulli, q: Exponential) -> Tensor:
    return -p.entropy() - log(q.rate) + q.rate * p.mean


def _cb_normal(p: ContinuousBernoulli, q: Normal) -> Tensor:
    t2 = 0.5 * (math.log(2.0 * math.pi) + (q.loc / q.scale) ** 2) + log(q.scale)
    t3 = (p.variance + p.mean ** 2 - 2.0 * q.loc * p.mean) / (2.0 * q.scale ** 2)
    return -p.entropy() + t2 + t3


_KL.update({
    (ContinuousBernoulli, ContinuousBernoulli): _cb_cb, (Beta, ContinuousBernoulli): _beta_cb,
    (Uniform, ContinuousBernoulli): _uniform_cb, (ContinuousBernoulli, Uniform): _cb_uniform,
    (ContinuousBernoulli, Exponential): _cb_exponential,
    (ContinuousBernoulli, Normal): _cb_normal,
})
# p's values lie where q has no density (or, against a Pareto, q's start at its scale):
# +inf, as PyTorch's.
_KL.update({pair: _infinite for pair in [
    (ContinuousBernoulli, Pareto), (Exponential, ContinuousBernoulli),
    (Gamma, ContinuousBernoulli), (Gumbel, ContinuousBernoulli),
    (Laplace, ContinuousBernoulli), (Normal, ContinuousBernoulli),
    (Pareto, ContinuousBernoulli)]})
