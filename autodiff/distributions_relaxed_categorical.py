"""``ExpRelaxedCategorical`` and ``RelaxedOneHotCategorical`` (the Concrete / Gumbel-
softmax relaxation of a one-hot Categorical), as in PyTorch: points of the simplex
whose draws are a differentiable function of the probabilities, approaching one-hot
vectors as the ``temperature`` goes to 0.  Re-exported by ``autodiff.distributions``.

>>> logits = ad.tensor([0.0, 1.0, -1.0], requires_grad=True)
>>> d = ad.distributions.RelaxedOneHotCategorical(0.5, logits=logits)
>>> x = d.rsample((4,), rng=0)                   # 4 points of the simplex of 3
>>> np.allclose(x.data.sum(-1), 1.0)
True
>>> (x[:, 1]).sum().backward(); logits.grad.shape
(3,)
"""

from __future__ import annotations

import math

import numpy as np

from . import distributions_constraints as constraints
from . import distributions_transforms as transforms
from .compile.hooks import made
from .distributions import (Categorical, Distribution, _as_float_tensor, _checked,
                            _operand, _sample_shape, _values)
from .distributions_checks import _positive, _real_values
from .distributions_more import _unit_interval
from .distributions_relaxed import RelaxedParameters, _eps_bounds
from .distributions_transformed import TransformedDistribution
from .ops.elementwise import log
from .ops.statistics import logsumexp
from .tensor import Tensor

__all__ = ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"]


def _event_values(data, event_size, owner):
    if np.ndim(data) < 1 or np.shape(data)[-1] != event_size:
        raise ValueError(f"{owner}.log_prob: values are vectors of {event_size} along the "
                         f"last axis (the categories); got shape {np.shape(data)}")
    return _real_values(data, f"{owner}.log_prob")


class ExpRelaxedCategorical(Distribution):
    """The logarithm of a ``RelaxedOneHotCategorical`` draw: ``log_softmax((logits + g)
    / temperature)`` with Gumbel noise ``g``; vectors whose exponentials add up to 1.

    >>> d = ad.distributions.ExpRelaxedCategorical(1.0, probs=ad.tensor([0.5, 0.5]))
    >>> d.event_shape, d.rsample(rng=0).exp().sum()
    ((2,), tensor(1.))
    """

    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None, *,
                 _owner="ExpRelaxedCategorical"):
        self._categorical = Categorical(probs=probs, logits=logits)
        self.temperature = _as_float_tensor(temperature, _owner, "temperature",
                                            like=self._categorical.probs)
        _checked(_positive, self.temperature.data, _owner, "temperature")
        try:
            np.broadcast_shapes(self.temperature.shape, self._categorical.logits.shape)
        except ValueError:
            raise ValueError(f"{_owner}: temperature of shape {self.temperature.shape} does "
                             f"not broadcast with the logits of shape "
                             f"{self._categorical.logits.shape} (the categories last); "
                             "give a single temperature, as PyTorch expects") from None
        self.batch_shape = self._categorical.batch_shape
        self.event_shape = (self._categorical.num_categories,)

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def param_shape(self) -> tuple:
        return self._categorical.param_shape

    @property
    def arg_constraints(self) -> dict:
        return {"probs": constraints.simplex, "logits": constraints.real_vector}

    @property
    def support(self):
        return constraints.real_vector

    def _params(self):
        return self.logits.data, self.temperature.data

    @staticmethod
    def _draw(shape, gen, logits, temperature):
        u = np.clip(_unit_interval(gen, shape + logits.shape[-1:], logits.dtype),
                    *_eps_bounds(logits.dtype))
        scores = (logits - np.log(-np.log(u))) / temperature
        top = scores.max(-1, keepdims=True)
        return scores - top - np.log(np.exp(scores - top).sum(-1, keepdims=True))

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``log_softmax((logits - log(-log u)) / temperature)`` with ``u`` uniform, held
        constant: differentiable in the probabilities (or logits) and the temperature."""
        shape = _sample_shape(shape if sample_shape is None else sample_shape,
                              f"{type(self).__name__}.rsample")
        dtype = self.logits.data.dtype
        u = made(f"{type(self).__name__}.rsample noise", _unit_interval,
                 (rng, shape + self.batch_shape + self.event_shape, dtype), stateful=True)
        u = Tensor(made("clamp_probs", np.clip, (u, *_eps_bounds(dtype))))
        scores = (self.logits - log(-log(u))) / self.temperature
        return scores - logsumexp(scores, axis=-1, keepdims=True)

    def log_prob(self, value) -> Tensor:
        """The Concrete log-density of ``exp(value)``, with respect to ``value``:
        log Γ(K) + (K - 1) log t + Σ (logits - t·value) - K logsumexp(logits - t·value)."""
        size = self.event_shape[0]
        _checked(_event_values, _values(value), size, type(self).__name__)
        # (the temperature broadcasts against the logits as they are, as in PyTorch)
        score = self.logits - _operand(value, self.logits) * self.temperature
        score = (score - logsumexp(score, axis=-1, keepdims=True)).sum(-1)
        return score + (math.lgamma(size) + (size - 1) * log(self.temperature))

    def __repr__(self):
        return f"{type(self).__name__}(batch_shape={self.batch_shape})"


class RelaxedOneHotCategorical(RelaxedParameters, TransformedDistribution):
    """``exp`` of an ``ExpRelaxedCategorical(temperature, probs=|logits=)``: points of
    the simplex that approach one-hot draws as ``temperature`` goes to 0 (the
    Gumbel-softmax of PyTorch's ``RelaxedOneHotCategorical``).

    >>> d = ad.distributions.RelaxedOneHotCategorical(2.0, probs=ad.tensor([0.2, 0.8]))
    >>> d.support, d.rsample((3,), rng=0).shape
    (Simplex(), (3, 2))
    """

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = ExpRelaxedCategorical(temperature, probs, logits,
                                     _owner="RelaxedOneHotCategorical")
        super().__init__(base, transforms.ExpTransform())

    @property
    def arg_constraints(self) -> dict:
        return {"probs": constraints.simplex, "logits": constraints.real_vector}

    @property
    def support(self):
        return constraints.simplex

    def __repr__(self):
        return f"RelaxedOneHotCategorical(batch_shape={self.batch_shape})"
