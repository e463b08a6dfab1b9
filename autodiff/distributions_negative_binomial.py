"""``NegativeBinomial``, with PyTorch's names and conventions: the number of successes
before ``total_count`` failures, in trials that succeed with probability ``probs`` (or
``sigmoid(logits)``); re-exported by ``autodiff.distributions``.

>>> nb = ad.distributions.NegativeBinomial(3.0, probs=0.5)
>>> nb.mean, nb.variance                             # r p / (1 - p), mean / (1 - p)
(tensor(3.), tensor(6.))
"""

from __future__ import annotations

import numpy as np

from .compile.hooks import made
from .distributions import (Distribution, _as_float_tensor, _broadcast, _checked, _operand,
                            _set_success_probs, _softplus, _values)
from .distributions_checks import _first_bad
from .distributions_discrete import _counts
from .ops.elementwise import clip, exp, floor, sigmoid, where
from .ops.special import lgamma
from .tensor import Tensor

__all__ = ["NegativeBinomial"]


def _below_one(data, owner):
    bad = ~((data >= 0) & (data < 1))
    if bad.any():
        raise ValueError(f"{owner}: probs (the success probability) must lie in [0, 1), "
                         f"as with 1 there are never total_count failures; got "
                         f"{_first_bad(data, bad)}")
    return True


def _non_negative_count(data):
    bad = ~(data >= 0)
    if bad.any():
        raise ValueError(f"NegativeBinomial: total_count must be ≥ 0; got "
                         f"{_first_bad(data, bad)}")
    return True


def _is_zero(data):
    return data == 0


class NegativeBinomial(Distribution):
    """P(k) = Γ(k + r) / (k! Γ(r)) p^k (1 - p)^r for whole k ≥ 0, r = ``total_count``
    (≥ 0, not necessarily whole) and p = ``probs`` in [0, 1) (exactly one of ``probs=``
    and ``logits=``; probabilities are clamped to [eps, 1 - eps] in the logits, as in
    PyTorch).

    >>> ad.distributions.NegativeBinomial(2.0, logits=0.0).log_prob(1.0)   # log(2 / 8)
    tensor(-1.38629436)
    """

    def __init__(self, total_count, probs=None, logits=None):
        _set_success_probs(self, "NegativeBinomial", probs, logits, check=_below_one)
        count = _as_float_tensor(total_count, "NegativeBinomial", "total_count",
                                 like=self.probs)
        _checked(_non_negative_count, count.data)
        self.batch_shape, (self.total_count, self.probs, self.logits) = _broadcast(
            "NegativeBinomial", total_count=count, probs=self.probs, logits=self.logits)

    @property
    def mean(self) -> Tensor:
        return self.total_count * exp(self.logits)

    @property
    def mode(self) -> Tensor:
        return clip(floor((self.total_count - 1) * exp(self.logits)), 0.0, None)

    @property
    def variance(self) -> Tensor:
        return self.mean / sigmoid(-self.logits)

    @property
    def param_shape(self) -> tuple[int, ...]:
        return self.batch_shape

    def _params(self):
        return self.total_count.data, self.logits.data

    @staticmethod
    def _draw(shape, gen, total_count, logits):
        # A Poisson whose rate is Gamma(r, scale p / (1 - p)): a NegativeBinomial.
        concentration = np.broadcast_to(total_count, shape)
        rate = gen.gamma(np.where(concentration > 0, concentration, 1.0), np.exp(logits))
        rate = np.where(concentration > 0, rate, 0.0)
        return gen.poisson(rate, size=shape).astype(total_count.dtype)

    def log_prob(self, value) -> Tensor:
        """r log(1 - p) + k log p + lgamma(r + k) - lgamma(k + 1) - lgamma(r), with the
        lgamma terms 0 where r + k = 0 (r = 0 puts all its mass at k = 0)."""
        _checked(_counts, _values(value), self.batch_shape, "NegativeBinomial")
        value = _operand(value, self.logits)
        count = self.total_count
        log_unnormalized = -count * _softplus(self.logits) - value * _softplus(-self.logits)
        shape = np.broadcast_shapes(np.shape(_values(value)), self.batch_shape)
        empty = made("NegativeBinomial empty", _is_zero,
                     (np.broadcast_to(count.data + _values(value), shape),))
        safe_count = where(empty, 1.0, count)
        safe_value = where(empty, 0.0, value)
        log_normalizer = lgamma(safe_count + safe_value) - lgamma(1.0 + safe_value) \
            - lgamma(safe_count)
        return log_unnormalized + where(empty, 0.0, log_normalizer)
