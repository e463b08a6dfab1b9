"""``ad.distributions.transforms``: invertible maps between constrained sets, with
PyTorch's names and conventions, for ``TransformedDistribution`` and for optimizing a
constrained parameter through an unconstrained one (``biject_to``).

A transform ``t`` maps ``x`` in ``t.domain`` to ``y = t(x)`` in ``t.codomain``;
``t.inv`` is the inverse map and ``t.log_abs_det_jacobian(x, y)`` is log |dy/dx| (one
number per event: a transform whose domain has ``event_dim`` 1 maps vectors and gives
one log-determinant per vector).  Every map is differentiable.

>>> t = ad.distributions.transforms.ExpTransform()
>>> x = ad.tensor([0.0, 1.0])
>>> t(x), t.inv(t(x)), t.log_abs_det_jacobian(x, t(x))
(tensor([1.        , 2.71828183]), tensor([0., 1.]), tensor([0., 1.]))
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from . import distributions_constraints as constraints
from .compile.hooks import made
from .distributions_transform_base import (ComposeTransform, IndependentTransform,
                                           ReshapeTransform, Transform, _shape_of,
                                           _softplus, _sum_rightmost, _tensor,
                                           identity_transform)
from .ops.cumulative import cumsum
from .ops.elementwise import abs, clip, exp, expm1, log, log1p, sigmoid, sign, tanh
from .ops.indexing import getitem
from .ops.multiplicative import cumprod
from .ops.shape import broadcast_to, concatenate
from .ops.trig import arctanh
from .tensor import Tensor

__all__ = ["Transform", "AbsTransform", "AffineTransform", "CatTransform",
           "ComposeTransform", "CorrCholeskyTransform", "CumulativeDistributionTransform",
           "ExpTransform", "IndependentTransform", "LowerCholeskyTransform",
           "PositiveDefiniteTransform", "PowerTransform", "ReshapeTransform",
           "SigmoidTransform", "SoftmaxTransform", "SoftplusTransform", "StackTransform",
           "StickBreakingTransform", "TanhTransform", "identity_transform"]


class ExpTransform(Transform):
    """``y = exp(x)``: the reals to the positive numbers; log|dy/dx| = x."""

    domain, codomain, bijective, sign = constraints.real, constraints.positive, True, +1

    def __eq__(self, other):
        return isinstance(other, ExpTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        return exp(x)

    def _inverse(self, y):
        return log(y)

    def log_abs_det_jacobian(self, x, y):
        return _tensor(x)


class PowerTransform(Transform):
    """``y = x ** exponent`` on the positive numbers."""

    domain, codomain, bijective = constraints.positive, constraints.positive, True

    def __init__(self, exponent, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        self.exponent = exponent if isinstance(exponent, (numbers.Real, Tensor)) \
            else Tensor(np.asarray(exponent, dtype=float))

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return PowerTransform(self.exponent, cache_size=cache_size)

    @property
    def sign(self):
        return _sign_of(self.exponent)

    def __eq__(self, other):
        return isinstance(other, PowerTransform) and _same(self.exponent, other.exponent)

    __hash__ = object.__hash__

    def _call(self, x):
        return x ** self.exponent

    def _inverse(self, y):
        return y ** (1 / self.exponent)

    def log_abs_det_jacobian(self, x, y):
        return log(abs(self.exponent * _tensor(y) / _tensor(x)))

    def forward_shape(self, shape):
        return tuple(np.broadcast_shapes(tuple(shape), _shape_of(self.exponent)))

    inverse_shape = forward_shape


def _clipped_sigmoid(x: Tensor) -> Tensor:
    # As PyTorch: never exactly 0 or 1, so that the inverse stays finite.
    info = np.finfo(x.data.dtype)
    return clip(sigmoid(x), float(info.tiny), float(1 - info.eps))


class SigmoidTransform(Transform):
    """``y = sigmoid(x)``: the reals to (0, 1), kept in [tiny, 1 - eps] as in PyTorch."""

    domain, codomain, bijective, sign = constraints.real, constraints.unit_interval, True, +1

    def __eq__(self, other):
        return isinstance(other, SigmoidTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        return _clipped_sigmoid(x)

    def _inverse(self, y):
        info = np.finfo(y.data.dtype)
        y = clip(y, float(info.tiny), float(1 - info.eps))
        return log(y) - log1p(-y)

    def log_abs_det_jacobian(self, x, y):
        x = _tensor(x)
        return -_softplus(-x) - _softplus(x)


class SoftplusTransform(Transform):
    """``y = log(1 + exp(x))``: the reals to the positive numbers."""

    domain, codomain, bijective, sign = constraints.real, constraints.positive, True, +1

    def __eq__(self, other):
        return isinstance(other, SoftplusTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        return _softplus(x)

    def _inverse(self, y):
        return log(-expm1(-y)) + y

    def log_abs_det_jacobian(self, x, y):
        return -_softplus(-_tensor(x))


class TanhTransform(Transform):
    """``y = tanh(x)``: the reals to (-1, 1); log|dy/dx| = 2 (log 2 - x - softplus(-2x))."""

    domain, codomain = constraints.real, constraints.interval(-1.0, 1.0)
    bijective, sign = True, +1

    def __eq__(self, other):
        return isinstance(other, TanhTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        return tanh(x)

    def _inverse(self, y):
        with np.errstate(divide="ignore"):          # ±1 gives ±inf, as in PyTorch
            return arctanh(y)

    def log_abs_det_jacobian(self, x, y):
        x = _tensor(x)
        return 2.0 * (math.log(2.0) - x - _softplus(-2.0 * x))


class AbsTransform(Transform):
    """``y = |x|`` (not invertible: ``inv`` gives the non-negative root ``y``)."""

    domain, codomain = constraints.real, constraints.positive

    def __eq__(self, other):
        return isinstance(other, AbsTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        return abs(x)

    def _inverse(self, y):
        return y


def _sign_of(value):
    if isinstance(value, numbers.Real):
        return 1 if float(value) > 0 else -1 if float(value) < 0 else 0
    return sign(value)


def _same(a, b) -> bool:
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real):
        return a == b
    return bool(np.all(np.asarray(_tensor(a).data) == np.asarray(_tensor(b).data)))


class AffineTransform(Transform):
    """``y = loc + scale * x``; ``event_dim`` axes form one event (their log|scale| add
    up).  ``loc`` and ``scale`` are numbers or Tensors (gradients reach Tensors).

    >>> t = ad.distributions.transforms.AffineTransform(0.0, ad.tensor([2.0, 4.0]), event_dim=1)
    >>> t.log_abs_det_jacobian(ad.tensor([1.0, 1.0]), None)        # log 2 + log 4
    tensor(2.07944154)
    """

    bijective = True

    def __init__(self, loc, scale, event_dim: int = 0, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        self.loc = loc if isinstance(loc, (numbers.Real, Tensor)) else _tensor(loc)
        self.scale = scale if isinstance(scale, (numbers.Real, Tensor)) else _tensor(scale)
        self._event_dim = event_dim

    @property
    def event_dim(self):
        return self._event_dim

    @property
    def domain(self):
        return constraints.real if self._event_dim == 0 else \
            constraints.independent(constraints.real, self._event_dim)

    codomain = domain

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return AffineTransform(self.loc, self.scale, self._event_dim, cache_size=cache_size)

    def __eq__(self, other):
        return (isinstance(other, AffineTransform) and _same(self.loc, other.loc)
                and _same(self.scale, other.scale))

    __hash__ = object.__hash__

    @property
    def sign(self):
        return _sign_of(self.scale)

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        x = _tensor(x)
        if isinstance(self.scale, numbers.Real):
            # of x's float dtype; log|0| = -inf, as in PyTorch
            log_scale = math.log(abs(self.scale)) if self.scale else -math.inf
            result = Tensor(made("AffineTransform log|scale|", np.full,
                                 (x.shape, log_scale, x.data.dtype)))
        else:
            result = log(abs(self.scale))
        if self._event_dim:
            # Each event has as many factors |scale| as it has entries, also when scale
            # is broadcast along the event axes.
            full = np.broadcast_shapes(result.shape, x.shape)
            if result.shape != full:
                result = broadcast_to(result, full)
            result = _sum_rightmost(result, self._event_dim)
            shape = x.shape[:x.ndim - self._event_dim]
        else:
            shape = x.shape
        return result if result.shape == shape else broadcast_to(result, shape)

    def forward_shape(self, shape):
        return tuple(np.broadcast_shapes(tuple(shape), _shape_of(self.loc),
                                         _shape_of(self.scale)))

    inverse_shape = forward_shape


def _at_least_a_vector(x: Tensor, owner: str) -> None:
    if x.ndim < 1:
        raise ValueError(f"{owner}: the map acts on vectors (event_dim 1); got a value of "
                         f"shape {x.shape}")


class SoftmaxTransform(Transform):
    """``y = softmax(x)`` along the last axis: vectors to the simplex.  Not bijective
    (adding a constant to x gives the same y); ``inv`` gives ``log y``."""

    domain, codomain = constraints.real_vector, constraints.simplex

    def __eq__(self, other):
        return isinstance(other, SoftmaxTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        from .torch_functions import softmax
        _at_least_a_vector(x, "SoftmaxTransform")
        return softmax(x, -1)

    def _inverse(self, y):
        _at_least_a_vector(y, "SoftmaxTransform.inv")
        return log(y)

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("SoftmaxTransform.forward_shape: too few dimensions on input")
        return tuple(shape)

    inverse_shape = forward_shape


def _stick_offsets(length: int, dtype) -> Tensor:
    """log of [length, length - 1, ..., 1]: the shift that maps x = 0 to the centre
    of the simplex."""
    return Tensor(made("stick-breaking offsets", _log_countdown, (length, dtype)))


def _log_countdown(length, dtype):
    return np.log(np.arange(length, 0, -1, dtype=dtype))


class StickBreakingTransform(Transform):
    """Vectors of K reals to the simplex of K + 1 entries, by stick-breaking: entry k
    takes the fraction sigmoid(x_k - log(K - k)) of what is left.  Bijective; x = 0
    maps to the uniform vector.

    >>> t = ad.distributions.transforms.StickBreakingTransform()
    >>> t(ad.tensor([0.0, 0.0]))
    tensor([0.33333333, 0.33333333, 0.33333333])
    """

    domain, codomain, bijective = constraints.real_vector, constraints.simplex, True

    def __eq__(self, other):
        return isinstance(other, StickBreakingTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        _at_least_a_vector(x, "StickBreakingTransform")
        fractions = _clipped_sigmoid(x - _stick_offsets(x.shape[-1], x.data.dtype))
        left = cumprod(1 - fractions, -1)
        ones = Tensor(made("ones", np.ones, (x.shape[:-1] + (1,), x.data.dtype)))
        return concatenate([fractions, ones], -1) * concatenate([ones, left], -1)

    def _inverse(self, y):
        _at_least_a_vector(y, "StickBreakingTransform.inv")
        head = getitem(y, (Ellipsis, slice(None, -1)))
        left = clip(1 - cumsum(head, -1), float(np.finfo(y.data.dtype).tiny), None)
        return log(head) - log(left) + _stick_offsets(head.shape[-1], y.data.dtype)

    def log_abs_det_jacobian(self, x, y):
        x, y = _tensor(x), _tensor(y)
        x = x - _stick_offsets(x.shape[-1], x.data.dtype)
        return (-x - _softplus(-x) + log(getitem(y, (Ellipsis, slice(None, -1))))).sum(-1)

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("StickBreakingTransform.forward_shape: too few dimensions on "
                             "input")
        return tuple(shape[:-1]) + (shape[-1] + 1,)

    def inverse_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("StickBreakingTransform.inverse_shape: too few dimensions on "
                             "input")
        return tuple(shape[:-1]) + (shape[-1] - 1,)


class CumulativeDistributionTransform(Transform):
    """``y = distribution.cdf(x)``: the distribution's support onto [0, 1]; the inverse is
    its ``icdf`` and log|dy/dx| its ``log_prob`` (a Gaussian copula pushes a
    MultivariateNormal through that of Normal(0, 1)).

    >>> t = ad.distributions.transforms.CumulativeDistributionTransform(
    ...     ad.distributions.Normal(0.0, 1.0))
    >>> t(ad.tensor(0.0)), t.inv(ad.tensor(0.5))
    (tensor(0.5), tensor(0.))
    """

    bijective, codomain, sign = True, constraints.unit_interval, +1

    def __init__(self, distribution, cache_size: int = 0):
        for method in ("cdf", "icdf", "log_prob"):
            if not hasattr(distribution, method):
                raise TypeError(f"CumulativeDistributionTransform: the distribution "
                                f"({type(distribution).__name__}) has no {method}")
        super().__init__(cache_size=cache_size)
        self.distribution = distribution

    @property
    def domain(self):
        return self.distribution.support

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return CumulativeDistributionTransform(self.distribution, cache_size=cache_size)

    def _call(self, x):
        return self.distribution.cdf(x)

    def _inverse(self, y):
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x, y):
        return self.distribution.log_prob(x)


# The transforms of matrices and of pieces, in a module of their own (this one would
# grow past a readable size); imported last, since they build on the ones above.
from .distributions_transforms_more import (CatTransform, CorrCholeskyTransform,  # noqa: E402
                                            LowerCholeskyTransform,
                                            PositiveDefiniteTransform, StackTransform)
