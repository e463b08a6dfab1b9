"""The part of ``Distribution``'s interface every distribution shares with PyTorch's:
``expand``, ``perplexity``, ``enumerate_support`` (for the finite discrete ones) and the
moments that raise NotImplementedError where a distribution has no closed form.

>>> b = ad.distributions.Bernoulli(probs=ad.tensor([0.2, 0.7]))
>>> b.enumerate_support()                   # each value of the support, over the batch
tensor([[0., 0.],
        [1., 1.]])
"""

from __future__ import annotations

import numpy as np

from .compile.hooks import made
from .ops.shape import broadcast_to
from .tensor import Tensor


def _no_closed_form(dist, what: str) -> NotImplementedError:
    return NotImplementedError(f"{type(dist).__name__}.{what} is not implemented (there is "
                               "no closed form); estimate it from samples, e.g. "
                               "d.sample((n,)) and its mean / var / -log_prob mean")


class DistributionSurface:
    """Methods of ``Distribution`` built on those each distribution defines."""

    has_enumerate_support = False

    @property
    def mean(self) -> Tensor:
        raise _no_closed_form(self, "mean")

    @property
    def mode(self) -> Tensor:
        raise _no_closed_form(self, "mode")

    @property
    def variance(self) -> Tensor:
        raise _no_closed_form(self, "variance")

    def entropy(self) -> Tensor:
        raise _no_closed_form(self, "entropy")

    def _extended_shape(self, sample_shape=()) -> tuple:
        """``sample_shape + batch_shape + event_shape``, as PyTorch's (for the
        ``rsample`` of a distribution written outside the library)."""
        from .distributions_subclassing import extended_shape
        return extended_shape(self, sample_shape)

    def _validate_sample(self, value) -> None:
        """Raise ValueError for a ``value`` of the wrong shape or outside ``support``,
        as PyTorch's (for the ``log_prob`` of a distribution written outside the
        library)."""
        from .distributions_subclassing import validate_sample
        validate_sample(self, value)

    def _get_checked_instance(self, cls, _instance=None):
        """An uninitialised instance of this class (or ``_instance``) for the ``expand``
        of a distribution written outside the library, as PyTorch's."""
        from .distributions_subclassing import checked_instance
        return checked_instance(self, cls, _instance)

    def perplexity(self) -> Tensor:
        """exp(entropy()), one value per batch element, as in PyTorch."""
        from .ops.elementwise import exp
        return exp(self.entropy())

    def expand(self, batch_shape, _instance=None):
        """The same distribution with its parameters broadcast to ``batch_shape`` (new
        leading axes, or axes of size 1 stretched), as PyTorch's ``expand``.

        >>> ad.distributions.Normal(ad.tensor([0.0, 1.0]), 1.0).expand((3, 2)).batch_shape
        (3, 2)
        """
        from .distributions_expand import expand
        return expand(self, batch_shape, _instance)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """Every value of a finite support along a new first axis (broadcast over the
        batch when ``expand``), for Bernoulli, Binomial, Categorical, OneHotCategorical."""
        raise NotImplementedError(f"{type(self).__name__}.enumerate_support: the support "
                                  "is not finite (has_enumerate_support is False)")


class _CentredAtLoc:
    """A mixin for the distributions symmetric and unimodal about ``loc`` (Normal,
    MultivariateNormal, VonMises, ...): their ``mean`` and ``mode`` are ``loc``."""

    @property
    def mean(self) -> Tensor:
        return self.loc

    mode = mean


def enumerated(values: np.ndarray, batch_shape: tuple, event_shape: tuple,
               expand: bool) -> Tensor:
    """``values`` (one per row, each of ``event_shape``) along a new first axis, with
    axes of 1 for the batch, broadcast to it when ``expand`` (PyTorch's layout)."""
    values = Tensor(values.reshape((-1,) + (1,) * len(batch_shape) + event_shape))
    if expand:
        values = broadcast_to(values, values.shape[:1] + batch_shape + event_shape)
    return values


def whole_count(total_count: np.ndarray) -> int:
    """The single total_count of a Binomial whose counts are all the same."""
    if total_count.size and total_count.min() != total_count.max():
        raise NotImplementedError("Binomial.enumerate_support: the total_count differs "
                                  "across the batch (as in PyTorch, it must be the same "
                                  "for the support to be one list of values)")
    return int(total_count.max(initial=0))


def support_values(kind: str, size: int, dtype) -> np.ndarray:
    """The values of a finite support: ``range`` 0 … size - 1, or the ``one-hot`` rows."""
    if kind == "one-hot":
        return np.eye(size, dtype=dtype)
    return np.arange(size, dtype=dtype)


def made_support(kind: str, size: int, dtype) -> np.ndarray:
    return made(f"enumerate_support {kind}", support_values, (kind, size, dtype))


@property
def param_shape(dist) -> tuple:
    """The shape of ``probs`` (and of ``logits``): with the K categories last for a
    Categorical."""
    return dist.probs.shape


def bernoulli_support(dist, expand: bool = True) -> Tensor:
    """[0, 1] along a new first axis (broadcast over the batch when ``expand``)."""
    values = made_support("range", 2, dist.probs.data.dtype)
    return enumerated(values, dist.batch_shape, (), expand)


def categorical_support(dist, expand: bool = True) -> Tensor:
    """The K category indices (int64) along a new first axis (broadcast over the
    batch when ``expand``)."""
    values = made_support("range", dist.num_categories, np.int64)
    return enumerated(values, dist.batch_shape, (), expand)
