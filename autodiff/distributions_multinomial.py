"""``Multinomial``, with PyTorch's names and conventions: the counts of each of K
categories in ``total_count`` draws from ``Categorical(probs=)`` (or ``logits=``);
re-exported by ``autodiff.distributions``.

Its values are vectors of whole numbers along the last axis (``event_shape`` is
``(K,)``), as floats, as in PyTorch; there is no ``rsample``: gradients reach the
parameters through ``log_prob`` and ``entropy``.

>>> m = ad.distributions.Multinomial(4, probs=ad.tensor([0.5, 0.25, 0.25]))
>>> m.mean, m.log_prob(ad.tensor([2.0, 1.0, 1.0]))     # log(12 · ½² · ¼ · ¼)
(tensor([2., 1., 1.]), tensor(-1.67397643))
"""

from __future__ import annotations

import math

import numpy as np

from .compile.hooks import made
from .distributions import Categorical, Distribution, _checked, _operand, _values
from .distributions_checks import _broadcast_value
from .distributions_discrete import Binomial, _whole
from .ops.elementwise import exp, where
from .ops.special import lgamma
from .tensor import Tensor

__all__ = ["Multinomial"]


def _count_vectors(value, total_count, categories, batch_shape):
    """Raise unless ``value`` holds vectors of K whole numbers ≥ 0 along its last axis
    that sum to at most ``total_count`` (PyTorch's check, which is no stricter), and
    broadcast with the batch."""
    if value.ndim < 1 or value.shape[-1] != categories:
        raise ValueError(f"Multinomial.log_prob: values must be vectors of {categories} "
                         f"counts along the last axis; got shape {value.shape}")
    _broadcast_value("Multinomial", value[..., 0], batch_shape)
    bad = ~((_whole(value) & (value >= 0)).all(-1) & (value.sum(-1) <= total_count))
    if bad.any():
        row = np.argwhere(bad)[0] if bad.ndim else ()
        raise ValueError(f"Multinomial.log_prob: values must be whole numbers ≥ 0 summing "
                         f"to at most total_count={total_count} (the support); got "
                         f"{value[tuple(row)]}" + (f" at row {tuple(int(i) for i in row)}"
                                                   if bad.ndim else ""))
    return True


def _zero_count_of_impossible(value, logits):
    """Where a category of probability 0 is counted 0 times: its term 0 · log 0 is 0."""
    return (value == 0) & (logits == -np.inf)


class Multinomial(Distribution):
    """The counts of K categories in ``total_count`` (a Python int, as in PyTorch)
    draws; ``probs=`` (normalized along the last axis) or ``logits=``.

    >>> m = ad.distributions.Multinomial(10, logits=ad.zeros(2))
    >>> m.batch_shape, m.event_shape, m.sample((3,), rng=0).sum(-1)
    ((), (2,), tensor([10., 10., 10.]))
    """

    def __init__(self, total_count=1, probs=None, logits=None):
        if isinstance(total_count, Tensor) and total_count.ndim == 0:
            total_count = total_count.item()
        if isinstance(total_count, bool) or not isinstance(total_count, (int, np.integer)):
            raise NotImplementedError(
                f"Multinomial: total_count must be one Python int for the whole batch, as "
                f"in PyTorch (inhomogeneous total_count is not supported); got "
                f"{total_count!r}. For counts that differ per row, use one Multinomial per "
                "count, or Binomial for two categories.")
        if total_count < 0:
            raise ValueError(f"Multinomial: total_count must be ≥ 0; got {total_count}")
        self.total_count = int(total_count)
        self._categorical = Categorical(probs=probs, logits=logits)
        self.probs, self.logits = self._categorical.probs, self._categorical.logits
        self.batch_shape = self._categorical.batch_shape
        self.event_shape = (self._categorical.num_categories,)

    @property
    def param_shape(self) -> tuple:
        """The shape of ``probs`` (and of ``logits``): batch_shape + (K,)."""
        return self.probs.shape

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def _params(self):
        return self.total_count, self.probs.data

    @staticmethod
    def _draw(shape, gen, total_count, probs):
        # (normalized in float64: NumPy checks that the probabilities sum to 1)
        wide = probs.astype(np.float64)
        wide = wide / wide.sum(-1, keepdims=True)
        return gen.multinomial(total_count, wide, size=shape).astype(probs.dtype)

    def log_prob(self, value) -> Tensor:
        """log (Σ x)! - Σ log x_k! + Σ x_k log p_k (a category of probability 0 counted 0
        times adds 0), as PyTorch's; with ``validate_args=False`` the counts may sum to
        more than ``total_count`` (bag-of-words models write ``Multinomial(logits=...,
        validate_args=False)`` for documents of any length)."""
        _checked(_count_vectors, np.asarray(_values(value)), self.total_count,
                 self.event_shape[0], self.batch_shape)
        value = _operand(value, self.probs)
        impossible = made("Multinomial impossible", _zero_count_of_impossible,
                          (_values(value), self.logits.data))
        logits = where(impossible, 0.0, self.logits)
        return (lgamma(value.sum(-1) + 1) - lgamma(value + 1).sum(-1)
                + (logits * value).sum(-1))

    def entropy(self) -> Tensor:
        """n H(Categorical) - log n! + Σ_k E[log x_k!], the expectation over each
        category's Binomial(n, p_k) count, as PyTorch computes it."""
        n = self.total_count
        term1 = n * self._categorical.entropy() - math.lgamma(n + 1)
        if n == 0:
            return term1
        counts = np.arange(1, n + 1, dtype=self.probs.data.dtype)
        log_factorials = np.array([math.lgamma(k + 1) for k in range(1, n + 1)],
                                  dtype=counts.dtype)
        along = (-1,) + (1,) * len(self.param_shape)
        log_pmf = Binomial(n, probs=self.probs).log_prob(
            Tensor(np.broadcast_to(counts.reshape(along), (n,) + self.param_shape)))
        return term1 + (exp(log_pmf) * log_factorials.reshape(along)).sum(0).sum(-1)
