"""The frame of ``ad.distributions.transforms``: the ``Transform`` base class (forward
map, ``inv``, ``log_abs_det_jacobian``, ``domain`` / ``codomain``, shapes), the inverse
of a transform, ``ComposeTransform`` (and ``identity_transform``),
``IndependentTransform`` and ``ReshapeTransform``, as in PyTorch.  The maps themselves
(Exp, Affine, Sigmoid, ...) are in ``distributions_transforms``.

>>> T = ad.distributions.transforms
>>> T.ComposeTransform([T.ExpTransform(), T.ExpTransform()]).inv(ad.tensor(np.e))
tensor(0.)
"""

from __future__ import annotations

import math
import weakref
from functools import reduce

import numpy as np

from . import distributions_constraints as constraints
from .compile.hooks import made
from .ops.elementwise import logaddexp
from .ops.shape import reshape
from .tensor import Tensor

__all__ = ["Transform", "ComposeTransform", "IndependentTransform", "ReshapeTransform",
           "identity_transform"]


def _tensor(value) -> Tensor:
    """``value`` as a Tensor (Tensors kept, so that gradients flow through them)."""
    return value if isinstance(value, Tensor) else Tensor(np.asarray(value))


def _sum_rightmost(value: Tensor, ndims: int) -> Tensor:
    """``value`` added up over its last ``ndims`` axes."""
    return value.sum(tuple(range(-ndims, 0))) if ndims > 0 else value


def _softplus(x):
    return logaddexp(0.0, x)


def _shape_of(value) -> tuple:
    return tuple(np.shape(value.data if isinstance(value, Tensor) else value))


class Transform:
    """A map ``y = t(x)`` from ``domain`` to ``codomain``, with its inverse ``t.inv``.

    ``bijective`` says whether ``t.inv(t(x)) == x``; ``sign`` is +1 or -1 for a
    monotone map of numbers; ``log_abs_det_jacobian(x, y)`` is log |dy/dx| per event.
    ``cache_size=1`` remembers the last pair (x, y), so that ``t.inv(t(x))`` returns
    ``x`` itself, as in PyTorch.

    >>> t = ad.distributions.transforms.AffineTransform(1.0, 2.0)
    >>> t(ad.tensor(3.0)), t.inv(ad.tensor(7.0)), t.sign
    (tensor(7.), tensor(3.), 1)
    """

    bijective = False
    domain: constraints.Constraint = constraints.real
    codomain: constraints.Constraint = constraints.real

    def __init__(self, cache_size: int = 0):
        if cache_size not in (0, 1):
            raise ValueError("cache_size must be 0 or 1")
        self._cache_size = cache_size
        self._inv = None
        self._cached_x_y = None, None

    @property
    def event_dim(self) -> int:
        if self.domain.event_dim == self.codomain.event_dim:
            return self.domain.event_dim
        raise ValueError("Please use either .domain.event_dim or .codomain.event_dim")

    @property
    def inv(self) -> Transform:
        """The inverse transform (the same object each time while it is in use)."""
        inverse = self._inv() if self._inv is not None else None
        if inverse is None:
            inverse = _InverseTransform(self)
            self._inv = weakref.ref(inverse)
        return inverse

    @property
    def sign(self):
        raise NotImplementedError(f"{type(self).__name__}.sign: the map is not monotone "
                                  "(or its sign is not known)")

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        if type(self).__init__ is Transform.__init__:
            return type(self)(cache_size=cache_size)
        raise NotImplementedError(f"{type(self)}.with_cache is not implemented")

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = object.__hash__

    def __call__(self, x) -> Tensor:
        """``y = t(x)``."""
        if self._cache_size == 0:
            return self._call(_tensor(x))
        x_old, y_old = self._cached_x_y
        if x is x_old:
            return y_old
        y = self._call(_tensor(x))
        self._cached_x_y = x, y
        return y

    def _inv_call(self, y) -> Tensor:
        if self._cache_size == 0:
            return self._inverse(_tensor(y))
        x_old, y_old = self._cached_x_y
        if y is y_old:
            return x_old
        x = self._inverse(_tensor(y))
        self._cached_x_y = x, y
        return x

    def _call(self, x: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}: the forward map is not "
                                  "implemented")

    def _inverse(self, y: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.inv: the inverse map is not "
                                  "implemented")

    def log_abs_det_jacobian(self, x, y) -> Tensor:
        """log |dy/dx| at ``x`` (with ``y = t(x)``), one number per event."""
        raise NotImplementedError(f"{type(self).__name__}.log_abs_det_jacobian is not "
                                  "implemented (the map is not bijective)")

    def forward_shape(self, shape) -> tuple:
        """The shape of ``t(x)`` for ``x`` of shape ``shape``."""
        return tuple(shape)

    def inverse_shape(self, shape) -> tuple:
        """The shape of ``t.inv(y)`` for ``y`` of shape ``shape``."""
        return tuple(shape)

    def __repr__(self):
        return type(self).__name__ + "()"


class _InverseTransform(Transform):
    """The inverse of a transform: ``t.inv``.  It holds ``t``; ``t`` holds it weakly."""

    def __init__(self, transform: Transform):
        super().__init__(cache_size=transform._cache_size)
        self._forward = transform

    @property
    def domain(self):
        return self._forward.codomain

    @property
    def codomain(self):
        return self._forward.domain

    @property
    def bijective(self):
        return self._forward.bijective

    @property
    def sign(self):
        return self._forward.sign

    @property
    def inv(self):
        return self._forward

    def with_cache(self, cache_size=1):
        return self._forward.with_cache(cache_size).inv

    def __eq__(self, other):
        return isinstance(other, _InverseTransform) and self._forward == other._forward

    __hash__ = object.__hash__

    def __call__(self, x):
        return self._forward._inv_call(x)

    def log_abs_det_jacobian(self, x, y):
        return -self._forward.log_abs_det_jacobian(y, x)

    def forward_shape(self, shape):
        return self._forward.inverse_shape(shape)

    def inverse_shape(self, shape):
        return self._forward.forward_shape(shape)

    def __repr__(self):
        return f"_InverseTransform({self._forward!r})"


class ComposeTransform(Transform):
    """``parts`` applied in order: ``ComposeTransform([f, g])(x) == g(f(x))``; the
    log-determinants add up, each summed over the event axes the composition has
    gained.  ``ComposeTransform([])`` is the identity (``identity_transform``).

    >>> T = ad.distributions.transforms
    >>> t = T.ComposeTransform([T.ExpTransform(), T.AffineTransform(0.0, 3.0)])
    >>> t(ad.tensor(0.0)), t.log_abs_det_jacobian(ad.tensor(0.0), ad.tensor(3.0))
    (tensor(3.), tensor(1.09861229))
    """

    def __init__(self, parts, cache_size: int = 0):
        parts = list(parts)
        if not all(isinstance(part, Transform) for part in parts):
            raise TypeError("ComposeTransform: parts must be a list of Transforms, got "
                            f"{[type(part).__name__ for part in parts]}")
        if cache_size:
            parts = [part.with_cache(cache_size) for part in parts]
        super().__init__(cache_size=cache_size)
        self.parts = parts

    def __eq__(self, other):
        return isinstance(other, ComposeTransform) and self.parts == other.parts

    __hash__ = object.__hash__

    @property
    def domain(self):
        if not self.parts:
            return constraints.real
        domain = self.parts[0].domain
        # The event_dim of the domain: enough axes for every part to see whole events.
        count = self.parts[-1].codomain.event_dim
        for part in reversed(self.parts):
            count += part.domain.event_dim - part.codomain.event_dim
            count = max(count, part.domain.event_dim)
        if count > domain.event_dim:
            domain = constraints.independent(domain, count - domain.event_dim)
        return domain

    @property
    def codomain(self):
        if not self.parts:
            return constraints.real
        codomain = self.parts[-1].codomain
        count = self.parts[0].domain.event_dim
        for part in self.parts:
            count += part.codomain.event_dim - part.domain.event_dim
            count = max(count, part.codomain.event_dim)
        if count > codomain.event_dim:
            codomain = constraints.independent(codomain, count - codomain.event_dim)
        return codomain

    @property
    def bijective(self):
        return all(part.bijective for part in self.parts)

    @property
    def sign(self):
        return reduce(lambda total, part: total * part.sign, self.parts, 1)

    @property
    def inv(self):
        inverse = self._inv() if self._inv is not None else None
        if inverse is None:
            inverse = ComposeTransform([part.inv for part in reversed(self.parts)])
            self._inv = weakref.ref(inverse)
            inverse._inv = weakref.ref(self)
        return inverse

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return ComposeTransform(self.parts, cache_size=cache_size)

    def _call(self, x):
        for part in self.parts:
            x = part(x)
        return x

    def log_abs_det_jacobian(self, x, y):
        x = _tensor(x)
        if not self.parts:
            return Tensor(made("zeros", np.zeros, (x.shape, x.data.dtype)))
        # The intermediate values (the last one is y), computed again as PyTorch does.
        values = [x]
        for part in self.parts[:-1]:
            values.append(part(values[-1]))
        values.append(_tensor(y))
        terms = []
        event_dim = self.domain.event_dim
        for part, before, after in zip(self.parts, values[:-1], values[1:]):
            terms.append(_sum_rightmost(part.log_abs_det_jacobian(before, after),
                                        event_dim - part.domain.event_dim))
            event_dim += part.codomain.event_dim - part.domain.event_dim
        return reduce(lambda total, term: total + term, terms)

    def forward_shape(self, shape):
        for part in self.parts:
            shape = part.forward_shape(shape)
        return tuple(shape)

    def inverse_shape(self, shape):
        for part in reversed(self.parts):
            shape = part.inverse_shape(shape)
        return tuple(shape)

    def __repr__(self):
        return (type(self).__name__ + "(\n    "
                + ",\n    ".join(repr(part) for part in self.parts) + "\n)")


identity_transform = ComposeTransform([])


class IndependentTransform(Transform):
    """``base_transform`` with its last ``reinterpreted_batch_ndims`` batch axes read as
    event axes: the same map, with log-determinants added up over those axes.

    >>> T = ad.distributions.transforms
    >>> t = T.IndependentTransform(T.ExpTransform(), 1)
    >>> t.log_abs_det_jacobian(ad.tensor([1.0, 2.0]), None)
    tensor(3.)
    """

    def __init__(self, base_transform: Transform, reinterpreted_batch_ndims: int,
                 cache_size: int = 0):
        if not isinstance(base_transform, Transform):
            raise TypeError(f"IndependentTransform: base_transform must be a Transform, "
                            f"got {type(base_transform).__name__}")
        super().__init__(cache_size=cache_size)
        self.base_transform = base_transform.with_cache(cache_size)
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return IndependentTransform(self.base_transform, self.reinterpreted_batch_ndims,
                                    cache_size=cache_size)

    @property
    def domain(self):
        return constraints.independent(self.base_transform.domain,
                                       self.reinterpreted_batch_ndims)

    @property
    def codomain(self):
        return constraints.independent(self.base_transform.codomain,
                                       self.reinterpreted_batch_ndims)

    @property
    def bijective(self):
        return self.base_transform.bijective

    @property
    def sign(self):
        return self.base_transform.sign

    def _call(self, x):
        if x.ndim < self.domain.event_dim:
            raise ValueError(f"IndependentTransform: the input needs at least "
                             f"{self.domain.event_dim} dimensions, got shape {x.shape}")
        return self.base_transform(x)

    def _inverse(self, y):
        if y.ndim < self.codomain.event_dim:
            raise ValueError(f"IndependentTransform.inv: the input needs at least "
                             f"{self.codomain.event_dim} dimensions, got shape {y.shape}")
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x, y):
        result = self.base_transform.log_abs_det_jacobian(x, y)
        return _sum_rightmost(result, self.reinterpreted_batch_ndims)

    def forward_shape(self, shape):
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape):
        return self.base_transform.inverse_shape(shape)

    def __repr__(self):
        return (f"{type(self).__name__}({self.base_transform!r}, "
                f"{self.reinterpreted_batch_ndims})")


class ReshapeTransform(Transform):
    """Reshape the event axes from ``in_shape`` to ``out_shape`` (same number of
    entries); log-determinant 0.

    >>> t = ad.distributions.transforms.ReshapeTransform((2, 3), (6,))
    >>> t(ad.tensor(np.ones((4, 2, 3)))).shape
    (4, 6)
    """

    bijective = True

    def __init__(self, in_shape, out_shape, cache_size: int = 0):
        self.in_shape, self.out_shape = tuple(in_shape), tuple(out_shape)
        if math.prod(self.in_shape) != math.prod(self.out_shape):
            raise ValueError(f"ReshapeTransform: in_shape {self.in_shape} and out_shape "
                             f"{self.out_shape} have different numbers of elements")
        super().__init__(cache_size=cache_size)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return ReshapeTransform(self.in_shape, self.out_shape, cache_size=cache_size)

    @property
    def domain(self):
        return constraints.independent(constraints.real, len(self.in_shape))

    @property
    def codomain(self):
        return constraints.independent(constraints.real, len(self.out_shape))

    def _call(self, x):
        return reshape(x, self.forward_shape(x.shape))

    def _inverse(self, y):
        return reshape(y, self.inverse_shape(y.shape))

    def log_abs_det_jacobian(self, x, y):
        x = _tensor(x)
        batch_shape = x.shape[:x.ndim - len(self.in_shape)]
        return Tensor(made("zeros", np.zeros, (batch_shape, x.data.dtype)))

    @staticmethod
    def _swap_event(shape, old, new, method):
        shape = tuple(shape)
        cut = len(shape) - len(old)
        if cut < 0 or shape[cut:] != old:
            raise ValueError(f"ReshapeTransform.{method}: expected a shape ending in "
                             f"{old}, got {shape}")
        return shape[:cut] + new

    def forward_shape(self, shape):
        return self._swap_event(shape, self.in_shape, self.out_shape, "forward_shape")

    def inverse_shape(self, shape):
        return self._swap_event(shape, self.out_shape, self.in_shape, "inverse_shape")

    def __repr__(self):
        return f"{type(self).__name__}()"
