"""``MixtureSameFamily``: a mixture of K components of one family, as PyTorch's.

The ``mixture_distribution`` is a ``Categorical`` over K; the
``component_distribution`` has K as the last axis of its ``batch_shape``.  ``log_prob``
is ``logsumexp(log_softmax(logits) + component.log_prob(x))`` over the components, so
gradients reach both the weights and the components' parameters (a mixture density
network's loss).

>>> D = ad.distributions
>>> mix = D.MixtureSameFamily(D.Categorical(logits=ad.zeros(2)),
...                           D.Normal(ad.tensor([-1.0, 1.0]), ad.ones(2)))
>>> mix.batch_shape, mix.event_shape, mix.mean
((), (), tensor(0.))
"""

from __future__ import annotations

import numpy as np

from .distributions import Categorical, Distribution
from .graph import no_grad
from .nn.softmax import log_softmax, logsumexp
from .ops.operands import tensor_of
from .tensor import Tensor

__all__ = ["MixtureSameFamily"]


class MixtureSameFamily(Distribution):
    """K components of one family weighted by a ``Categorical``: ``batch_shape`` is the
    component's batch shape without its last axis (K), ``event_shape`` the component's.

    >>> D = ad.distributions
    >>> mix = D.MixtureSameFamily(D.Categorical(probs=ad.tensor([0.25, 0.75])),
    ...                           D.Normal(ad.tensor([0.0, 2.0]), ad.tensor([1.0, 0.5])))
    >>> mix.mean, mix.variance
    (tensor(1.5), tensor(1.1875))
    """

    has_rsample = False
    arg_constraints: dict = {}        # (its parts check their own, as PyTorch's)

    def __init__(self, mixture_distribution, component_distribution, validate_args=None):
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError("MixtureSameFamily: the mixture distribution needs to be an "
                             "instance of distributions.Categorical, got "
                             f"{type(mixture_distribution).__name__}")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("MixtureSameFamily: the component distribution needs to be an "
                             "instance of distributions.Distribution, got "
                             f"{type(component_distribution).__name__}")
        mixture, component = mixture_distribution, component_distribution
        if not component.batch_shape:
            raise ValueError("MixtureSameFamily: the component distribution needs a batch "
                             "axis of the K components (its batch_shape is ())")
        mixture_batch, component_batch = mixture.batch_shape, component.batch_shape[:-1]
        for a, b in zip(reversed(mixture_batch), reversed(component_batch)):
            if a != 1 and b != 1 and a != b:
                raise ValueError(f"MixtureSameFamily: `mixture_distribution.batch_shape` "
                                 f"({mixture_batch}) is not compatible with "
                                 f"`component_distribution.batch_shape` ({component_batch})")
        k_mixture, k_component = mixture.logits.shape[-1], component.batch_shape[-1]
        if k_mixture != k_component:
            raise ValueError(f"MixtureSameFamily: `mixture_distribution` component "
                             f"({k_mixture}) does not equal "
                             f"`component_distribution.batch_shape[-1]` ({k_component})")
        self.mixture_distribution = mixture
        self.component_distribution = component
        self._num_component = k_mixture
        self._event_ndims = len(component.event_shape)
        super().__init__(component_batch, component.event_shape, validate_args=validate_args)

    def _pad(self, x) -> Tensor:
        """``x`` with an axis for the components before the event axes."""
        x = tensor_of(x)
        axis = x.ndim - self._event_ndims
        return x.reshape(x.shape[:axis] + (1,) + x.shape[axis:])

    def _pad_mixture_dimensions(self, x: Tensor) -> Tensor:
        # PyTorch's rule: a mixture with one batch axis is not padded
        mixture_ndims = len(self.mixture_distribution.batch_shape)
        pad = 0 if mixture_ndims == 1 else len(self.batch_shape) - mixture_ndims
        return x.reshape(x.shape[:-1] + (1,) * pad + x.shape[-1:] + (1,) * self._event_ndims)

    @property
    def mean(self) -> Tensor:
        probs = self._pad_mixture_dimensions(self.mixture_distribution.probs)
        return (probs * self.component_distribution.mean).sum(axis=-1 - self._event_ndims)

    @property
    def variance(self) -> Tensor:
        """The law of total variance: E[Var(x | k)] + Var(E[x | k])."""
        probs = self._pad_mixture_dimensions(self.mixture_distribution.probs)
        axis = -1 - self._event_ndims
        within = (probs * self.component_distribution.variance).sum(axis=axis)
        between = (probs * (self.component_distribution.mean
                            - self._pad(self.mean)) ** 2).sum(axis=axis)
        return within + between

    def cdf(self, value) -> Tensor:
        """The mixture of the components' cdfs."""
        cdfs = self.component_distribution.cdf(self._pad(value))
        return (cdfs * self.mixture_distribution.probs).sum(axis=-1)

    def log_prob(self, value) -> Tensor:
        """``logsumexp`` over the components of their log-densities plus log-weights."""
        per_component = self.component_distribution.log_prob(self._pad(value))
        log_weights = log_softmax(self.mixture_distribution.logits, dim=-1)
        return logsumexp(per_component + log_weights, dim=-1)

    def sample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """A component drawn by the mixture, then its sample (no gradient)."""
        with no_grad():
            chosen = self.mixture_distribution.sample(shape, rng, sample_shape=sample_shape)
            samples = self.component_distribution.sample(shape, rng, sample_shape=sample_shape)
            drawn = chosen.shape[:chosen.ndim - len(self.mixture_distribution.batch_shape)]
            leading = drawn + tuple(self.batch_shape)     # (a mixture broadcasts over the
            axis = len(leading)                           # batch: PyTorch refuses that)
            index = np.broadcast_to(np.asarray(chosen.data).reshape(
                chosen.shape[:len(drawn)] + (1,) * (len(leading) - chosen.ndim)
                + chosen.shape[len(drawn):]), leading)
            index = np.broadcast_to(index.reshape(leading + (1,) * (self._event_ndims + 1)),
                                    leading + (1,) + tuple(self.event_shape))
            picked = np.take_along_axis(np.asarray(samples.data), index, axis=axis)
            return Tensor(np.squeeze(picked, axis=axis))

    def __repr__(self):
        return (f"MixtureSameFamily(\n  {self.mixture_distribution!r},\n  "
                f"{self.component_distribution!r})")
