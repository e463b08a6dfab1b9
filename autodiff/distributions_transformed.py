"""``TransformedDistribution`` (a base distribution pushed through transforms) and
``biject_to`` / ``transform_to`` (the transform from the reals onto a constraint), as
in PyTorch; re-exported by ``autodiff.distributions``.

>>> D = ad.distributions
>>> log_normal = D.TransformedDistribution(D.Normal(0.0, 1.0), [D.transforms.ExpTransform()])
>>> log_normal.log_prob(1.0)                            # that of LogNormal(0, 1)
tensor(-0.91893853)
>>> D.biject_to(D.constraints.positive)(ad.tensor(0.0))
tensor(1.)
"""

from __future__ import annotations

import numpy as np

from . import distributions_constraints as constraints
from . import distributions_transforms as transforms
from . import distributions_transforms as _transform_types
from .distributions import _KL, Distribution, _checked, _values, kl_divergence
from .distributions_checks import _first_bad, _first_index
from .graph import no_grad
from .tensor import Tensor

__all__ = ["TransformedDistribution", "LogisticNormal", "biject_to", "transform_to"]


def _sum_rightmost(value, ndims: int):
    return value.sum(tuple(range(-ndims, 0))) if ndims > 0 and isinstance(value, Tensor) \
        else value


def _in_support(data, support, owner):
    outside = ~support.check(data).data
    if outside.any():
        if support.event_dim == 0:
            shape = np.broadcast_shapes(data.shape, outside.shape)
            where = _first_bad(np.broadcast_to(data, shape), np.broadcast_to(outside, shape))
        elif outside.ndim:
            where = f"the event at batch index {_first_index(outside)}"
        else:
            where = f"the event {data!r}"
        raise ValueError(f"{owner}: values must lie in the support {support!r}; got "
                         f"{where}")
    return True


def _no_closed_form(what: str, estimate: str) -> NotImplementedError:
    return NotImplementedError(f"TransformedDistribution.{what}: there is no closed form "
                               f"for a distribution through transforms in general (as in "
                               f"PyTorch); estimate it by sampling, e.g. {estimate}")


class TransformedDistribution(Distribution):
    """``base_distribution`` pushed through ``transforms`` (a Transform or a list, applied
    in order): samples are ``t_n(...t_1(x))`` for ``x`` drawn from the base, and
    ``log_prob(y)`` is the base's log_prob of ``x = t.inv(y)`` minus each transform's
    log|det J|, with event axes handled as PyTorch does.

    >>> D = ad.distributions
    >>> loc = ad.tensor(1.0, requires_grad=True)
    >>> d = D.TransformedDistribution(D.Normal(0.0, 1.0),
    ...                               D.transforms.AffineTransform(loc, 2.0))
    >>> d.rsample((3,), rng=0).sum().backward(); loc.grad         # dy/dloc = 1 per sample
    array(3.)
    """

    arg_constraints: dict = {}

    def __init__(self, base_distribution: Distribution, transforms, validate_args=None):
        # ``transforms`` as PyTorch names it; the module is ``_transform_types`` here.
        given, transform = transforms, _transform_types.Transform
        if isinstance(given, transform):
            self.transforms = [given]
        elif isinstance(given, (list, tuple)):
            if not all(isinstance(t, transform) for t in given):
                raise ValueError("TransformedDistribution: transforms must be a Transform "
                                 "or a list of Transforms, got "
                                 f"{[type(t).__name__ for t in given]}")
            self.transforms = list(given)
        else:
            raise ValueError(f"TransformedDistribution: transforms must be a Transform or a "
                             f"list, but was {given!r}")
        if not isinstance(base_distribution, Distribution):
            raise TypeError(f"TransformedDistribution: base_distribution must be a "
                            f"distribution, got {type(base_distribution).__name__}")
        base_shape = base_distribution.batch_shape + base_distribution.event_shape
        base_event_dim = len(base_distribution.event_shape)
        chain = _transform_types.ComposeTransform(self.transforms)
        if len(base_shape) < chain.domain.event_dim:
            raise ValueError(f"TransformedDistribution: base_distribution needs to have "
                             f"shape with size at least {chain.domain.event_dim} (the "
                             f"transforms act on events of that many axes), but got "
                             f"{base_shape}")
        forward_shape = chain.forward_shape(base_shape)
        expanded_base_shape = chain.inverse_shape(forward_shape)
        if base_shape != expanded_base_shape:
            base_batch = expanded_base_shape[:len(expanded_base_shape) - base_event_dim]
            base_distribution = base_distribution.expand(base_batch)
        reinterpreted = chain.domain.event_dim - base_event_dim
        if reinterpreted > 0:
            from .distributions_multivariate import Independent
            base_distribution = Independent(base_distribution, reinterpreted)
        self.base_dist = base_distribution
        event_dim = chain.codomain.event_dim + max(base_event_dim - chain.domain.event_dim, 0)
        cut = len(forward_shape) - event_dim
        self.batch_shape, self.event_shape = forward_shape[:cut], forward_shape[cut:]
        self.has_rsample = base_distribution.has_rsample

    @property
    def support(self) -> constraints.Constraint:
        """The codomain of the last transform, with the event axes judged together."""
        if not self.transforms:
            return self.base_dist.support
        support = self.transforms[-1].codomain
        if len(self.event_shape) > support.event_dim:
            support = constraints.independent(support,
                                              len(self.event_shape) - support.event_dim)
        return support

    @property
    def mean(self) -> Tensor:
        raise _no_closed_form("mean", "d.sample((n,)).mean(0)")

    @property
    def variance(self) -> Tensor:
        raise _no_closed_form("variance", "d.sample((n,)).var(0)")

    def entropy(self) -> Tensor:
        raise _no_closed_form("entropy", "-d.log_prob(d.sample((n,))).mean(0)")

    def expand(self, batch_shape, _instance=None) -> TransformedDistribution:
        """The base expanded to the batch shape the transforms map onto
        ``batch_shape``; the transforms kept (as PyTorch's)."""
        from .distributions_expand import expand_transformed
        return expand_transformed(self, batch_shape, _instance)

    def sample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """The base's samples through the transforms, with no gradient."""
        with no_grad():
            return self._through_transforms(shape, rng, sample_shape, "sample")

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """The base's reparameterized samples through the transforms: differentiable in
        the base's parameters and the transforms' (refused where the base refuses)."""
        return self._through_transforms(shape, rng, sample_shape, "rsample")

    def _through_transforms(self, shape, rng, sample_shape, method):
        x = getattr(self.base_dist, method)(shape, rng, sample_shape=sample_shape)
        for transform in self.transforms:
            x = transform(x)
        return x

    def log_prob(self, value) -> Tensor:
        """log p(value) = base log_prob(x) - Σ log|det J| of each transform, at the
        points the inverses give, each summed over the event axes."""
        if self.transforms:
            _checked(_in_support, np.asarray(_values(value)), self.support,
                     "TransformedDistribution.log_prob")
        event_dim = len(self.event_shape)
        log_prob = 0.0
        y = value if isinstance(value, Tensor) else Tensor(np.asarray(value))
        for transform in reversed(self.transforms):
            x = transform.inv(y)
            event_dim += transform.domain.event_dim - transform.codomain.event_dim
            log_prob = log_prob - _sum_rightmost(transform.log_abs_det_jacobian(x, y),
                                                 event_dim - transform.domain.event_dim)
            y = x
        return log_prob + _sum_rightmost(self.base_dist.log_prob(y),
                                         event_dim - len(self.base_dist.event_shape))

    def _monotonize_cdf(self, value, method):
        """``value`` if the transforms increase, else ``1 - value`` (where they decrease)."""
        if not hasattr(self.base_dist, method):
            base = self.base_dist
            raise NotImplementedError(f"TransformedDistribution.{method}: the base "
                                      f"distribution ({type(base).__name__}) has no "
                                      f"{method}")
        sign = 1
        for transform in self.transforms:
            try:
                sign = sign * transform.sign
            except NotImplementedError:
                raise NotImplementedError(
                    f"TransformedDistribution.{method}: {transform!r} is not a monotone "
                    "map of numbers (it has no sign), so the cdf does not carry "
                    "over") from None
        if isinstance(sign, int) and sign == 1:
            return value
        return sign * (value - 0.5) + 0.5

    def cdf(self, value) -> Tensor:
        """The base's cdf at ``t.inv(value)`` (flipped for a decreasing map); the
        transforms must be monotone (have a ``sign``)."""
        flip = self._monotonize_cdf
        flip(0.5, "cdf")                        # refuses what has no cdf, before the work
        for transform in reversed(self.transforms):
            value = transform.inv(value)
        return flip(self.base_dist.cdf(value), "cdf")

    def icdf(self, value) -> Tensor:
        """The transforms applied to the base's icdf (of ``1 - value`` where they
        decrease)."""
        value = self.base_dist.icdf(self._monotonize_cdf(value, "icdf"))
        for transform in self.transforms:
            value = transform(value)
        return value

    def __repr__(self):
        return (f"TransformedDistribution(batch_shape={self.batch_shape}, "
                f"event_shape={self.event_shape})")


def _kl_transformed(p: TransformedDistribution, q: TransformedDistribution):
    """KL(p ‖ q) is that of the bases when both go through the same bijections (a
    bijection leaves the KL unchanged), as PyTorch's; otherwise not implemented."""
    if p.transforms != q.transforms or p.event_shape != q.event_shape:
        raise NotImplementedError(
            "kl_divergence: two TransformedDistributions have a KL in closed form only "
            "through the same transforms and with the same event_shape; got "
            f"{p.transforms} with event_shape {p.event_shape} and {q.transforms} with "
            f"event_shape {q.event_shape}")
    return kl_divergence(p.base_dist, q.base_dist)


_KL[TransformedDistribution, TransformedDistribution] = _kl_transformed


class LogisticNormal(TransformedDistribution):
    """A Normal(loc, scale) vector of K entries mapped onto the simplex of K + 1 by
    ``StickBreakingTransform``, as PyTorch's ``LogisticNormal`` (a scalar ``loc`` and
    ``scale`` give a vector of one entry, so values on the simplex of 2).

    >>> d = ad.distributions.LogisticNormal(ad.tensor([0.0, 0.0]), 1.0)
    >>> d.event_shape, d.rsample(rng=0).sum()
    ((3,), tensor(1.))
    """

    def __init__(self, loc, scale, validate_args=None):
        from .distributions import Normal
        normal = Normal(loc, scale)
        base = normal if normal.batch_shape else normal.expand((1,))
        super().__init__(base, transforms.StickBreakingTransform())
        self._normal = normal

    @property
    def arg_constraints(self) -> dict:
        return {"loc": constraints.real, "scale": constraints.positive}

    @property
    def loc(self) -> Tensor:
        return self._normal.loc

    @property
    def scale(self) -> Tensor:
        return self._normal.scale

    def __repr__(self):
        return f"LogisticNormal(batch_shape={self.batch_shape}, event_shape={self.event_shape})"


def _is_unit_interval(constraint) -> bool:
    return (isinstance(constraint.lower_bound, (int, float)) and constraint.lower_bound == 0
            and isinstance(constraint.upper_bound, (int, float))
            and constraint.upper_bound == 1)


def _to_constraint(constraint, simplex_transform, owner):
    """The transform from the reals onto ``constraint`` (``simplex_transform`` for the
    simplex: bijective for ``biject_to``, softmax for ``transform_to``)."""
    c = constraints
    if isinstance(constraint, c._IndependentConstraint):
        return transforms.IndependentTransform(
            _to_constraint(constraint.base_constraint, simplex_transform, owner),
            constraint.reinterpreted_batch_ndims)
    if isinstance(constraint, c._Real):
        return transforms.identity_transform
    if isinstance(constraint, c._GreaterThan):          # greater_than(_eq), positive
        return transforms.ComposeTransform([transforms.ExpTransform(),
                                            transforms.AffineTransform(
                                                constraint.lower_bound, 1)])
    if isinstance(constraint, c._LessThan):
        return transforms.ComposeTransform([transforms.ExpTransform(),
                                            transforms.AffineTransform(
                                                constraint.upper_bound, -1)])
    if isinstance(constraint, c._Interval):             # interval, half_open_interval
        if _is_unit_interval(constraint):
            return transforms.SigmoidTransform()
        return transforms.ComposeTransform([
            transforms.SigmoidTransform(),
            transforms.AffineTransform(constraint.lower_bound,
                                       constraint.upper_bound - constraint.lower_bound)])
    if isinstance(constraint, c._Simplex):
        return simplex_transform()
    if isinstance(constraint, c._CorrCholesky):
        return transforms.CorrCholeskyTransform()
    if isinstance(constraint, c._LowerCholesky) and owner == "transform_to":
        # not bijective (the upper triangle is dropped): transform_to only, as PyTorch
        return transforms.LowerCholeskyTransform()
    if isinstance(constraint, c._PositiveSemidefinite | c._PositiveDefinite) \
            and owner == "transform_to":
        return transforms.PositiveDefiniteTransform()      # not bijective either
    if isinstance(constraint, c._Cat):
        return transforms.CatTransform(
            [_to_constraint(part, simplex_transform, owner) for part in constraint.cseq],
            constraint.dim, constraint.lengths)
    if isinstance(constraint, c._Stack):
        return transforms.StackTransform(
            [_to_constraint(part, simplex_transform, owner) for part in constraint.cseq],
            constraint.dim)
    raise NotImplementedError(f"{owner}: cannot transform {type(constraint).__name__} "
                              f"constraints ({constraint!r}); supported: real, positive, "
                              "nonnegative, greater_than, less_than, interval, "
                              "unit_interval, simplex, corr_cholesky, cat, stack and "
                              "independent of these"
                              + (", and lower_cholesky, positive_definite and "
                                 "positive_semidefinite for transform_to (the maps are not "
                                 "bijective)" if isinstance(
                                     constraint, c._LowerCholesky | c._PositiveSemidefinite
                                     | c._PositiveDefinite) else ""))


def biject_to(constraint: constraints.Constraint) -> transforms.Transform:
    """A bijective transform from the reals onto ``constraint``, as PyTorch's
    ``biject_to``: for optimizing a constrained parameter through an unconstrained one.

    >>> D = ad.distributions
    >>> D.biject_to(D.constraints.interval(-1.0, 3.0))(ad.tensor(0.0))    # the middle
    tensor(1.)
    """
    return _to_constraint(constraint, transforms.StickBreakingTransform, "biject_to")


def transform_to(constraint: constraints.Constraint) -> transforms.Transform:
    """A transform from the reals onto ``constraint`` (not always bijective: the simplex
    is reached by ``SoftmaxTransform``), as PyTorch's ``transform_to``.

    >>> D = ad.distributions
    >>> D.transform_to(D.constraints.simplex)(ad.tensor([0.0, 0.0]))
    tensor([0.5, 0.5])
    """
    return _to_constraint(constraint, transforms.SoftmaxTransform, "transform_to")
