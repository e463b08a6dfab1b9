"""``LogitRelaxedBernoulli`` and ``RelaxedBernoulli`` (the binary Concrete / Gumbel-
softmax relaxation), as in PyTorch: a continuous stand-in for a Bernoulli whose
samples are a differentiable function of the probabilities, sharper as the
``temperature`` goes to 0.  Re-exported by ``autodiff.distributions``.

>>> p = ad.tensor(0.3, requires_grad=True)
>>> relaxed = ad.distributions.RelaxedBernoulli(0.5, probs=p)
>>> x = relaxed.rsample((4,), rng=0)               # in (0, 1), differentiable in p
>>> x.sum().backward(); bool(p.grad > 0)
True
"""

from __future__ import annotations

import numpy as np

from . import distributions_constraints as constraints
from . import distributions_transforms as transforms
from .compile.hooks import made
from .distributions import (Distribution, _as_float_tensor, _checked, _operand, _softplus,
                            _sample_shape, _set_success_probs, _values)
from .distributions_checks import _positive, _real_values
from .distributions_more import _unit_interval
from .distributions_surface import param_shape
from .distributions_transformed import TransformedDistribution
from .ops.elementwise import clip, log, log1p
from .tensor import Tensor

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli"]


def _clamp_probs(probs):
    """Probabilities kept in [eps, 1 - eps] (eps of their dtype), as PyTorch's
    ``clamp_probs``, so that their log-odds stay finite."""
    eps = float(np.finfo(probs.data.dtype if isinstance(probs, Tensor) else probs.dtype).eps)
    return clip(probs, eps, 1 - eps)


class LogitRelaxedBernoulli(Distribution):
    """The log-odds of a ``RelaxedBernoulli``: ``(logit(u) + logits) / temperature``
    for ``u`` uniform in (0, 1); values on the whole real line.

    >>> d = ad.distributions.LogitRelaxedBernoulli(1.0, logits=0.0)
    >>> d.log_prob(0.0)                                  # log(1/4)
    tensor(-1.38629436)
    """

    has_rsample = True
    param_shape = param_shape

    def __init__(self, temperature, probs=None, logits=None, validate_args=None, *,
                 _owner="LogitRelaxedBernoulli"):
        _set_success_probs(self, _owner, probs, logits)
        self.temperature = _as_float_tensor(temperature, _owner, "temperature",
                                            like=self.probs)
        _checked(_positive, self.temperature.data, _owner, "temperature")
        self.batch_shape = self.probs.shape

    @property
    def arg_constraints(self) -> dict:
        return {"probs": constraints.unit_interval, "logits": constraints.real}

    @property
    def support(self):
        return constraints.real

    def _params(self):
        return self.probs.data, self.temperature.data

    @staticmethod
    def _draw(shape, gen, probs, temperature):
        u = np.clip(_unit_interval(gen, shape, probs.dtype), *_eps_bounds(probs.dtype))
        p = np.clip(probs, *_eps_bounds(probs.dtype))
        return (np.log(u) - np.log1p(-u) + np.log(p) - np.log1p(-p)) / temperature

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``(logit(u) + logit(probs)) / temperature`` with ``u`` uniform, held constant:
        differentiable in the probabilities (or logits) and the temperature."""
        shape = _sample_shape(shape if sample_shape is None else sample_shape,
                              f"{type(self).__name__}.rsample")
        dtype = self.probs.data.dtype
        u = made(f"{type(self).__name__}.rsample noise", _unit_interval,
                 (rng, shape + self.batch_shape, dtype), stateful=True)
        u = Tensor(made("clamp_probs", np.clip, (u, *_eps_bounds(dtype))))
        probs = _clamp_probs(self.probs)
        return (log(u) - log1p(-u) + log(probs) - log1p(-probs)) / self.temperature

    def log_prob(self, value) -> Tensor:
        """log t + d - 2 log(1 + exp(d)) with d = logits - t · value (by softplus, which
        does not overflow to -inf for d past ~709, or ~88 in float32)."""
        _checked(_real_values, _values(value), f"{type(self).__name__}.log_prob")
        diff = self.logits - _operand(value, self.logits) * self.temperature
        return log(self.temperature) + diff - 2 * _softplus(diff)


def _eps_bounds(dtype):
    eps = float(np.finfo(dtype).eps)
    return eps, 1 - eps


class RelaxedParameters:
    """``temperature``, ``probs`` and ``logits`` of a relaxed distribution built as a
    transformed one: those of its base."""

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits


class RelaxedBernoulli(RelaxedParameters, TransformedDistribution):
    """``sigmoid`` of a ``LogitRelaxedBernoulli(temperature, probs=|logits=)``: values
    in (0, 1) that approach 0/1 Bernoulli draws as ``temperature`` goes to 0.

    >>> d = ad.distributions.RelaxedBernoulli(2.0, probs=0.5)
    >>> d.support, d.rsample((2,), rng=0).shape
    (Interval(lower_bound=0.0, upper_bound=1.0), (2,))
    """

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = LogitRelaxedBernoulli(temperature, probs, logits, _owner="RelaxedBernoulli")
        super().__init__(base, transforms.SigmoidTransform())

    @property
    def arg_constraints(self) -> dict:
        return {"probs": constraints.unit_interval, "logits": constraints.real}

    def __repr__(self):
        return f"RelaxedBernoulli(batch_shape={self.batch_shape})"
