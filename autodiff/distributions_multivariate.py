"""Distributions over vectors: ``MultivariateNormal`` and ``Independent`` (which
reads some batch axes of another distribution as event axes), with PyTorch's names
and conventions; re-exported by ``autodiff.distributions``, whose ``kl_divergence``
knows their same-family pairs.

Their values have an ``event_shape``: ``sample(shape)`` has shape
``shape + batch_shape + event_shape`` and ``log_prob`` gives one number per value.

>>> mvn = ad.distributions.MultivariateNormal(np.zeros(2), covariance_matrix=np.eye(2))
>>> mvn.event_shape, mvn.log_prob(np.zeros(2))       # -log(2π)
((2,), tensor(-1.83787707))
"""

from __future__ import annotations

import math

import numpy as np

from .compile.hooks import made
from .distributions import (_KL, Distribution, _as_float_tensor, _checked, _sample_shape,
                            _operand, _standard_normal, _values, kl_divergence)
from .distributions_checks import _first_index, _not_nan
from .distributions_surface import _CentredAtLoc
from .ops.decompositions import cholesky, solve
from .ops.diagonals import diagonal, tril
from .ops.elementwise import log
from .ops.linalg_ex import _symmetric_gradient
from .ops.shape import broadcast_to, reshape
from .tensor import Tensor

__all__ = ["MultivariateNormal", "Independent"]

_LOG_2PI = math.log(2 * math.pi)


def _matrix_name(covariance_matrix, precision_matrix, scale_tril,
                 owner: str = "MultivariateNormal") -> str:
    given = [name for name, value in (("covariance_matrix", covariance_matrix),
                                      ("precision_matrix", precision_matrix),
                                      ("scale_tril", scale_tril)) if value is not None]
    if len(given) != 1:
        raise ValueError(f"{owner}: pass exactly one of covariance_matrix=, "
                         f"precision_matrix= or scale_tril= (got {', '.join(given) or 'none'})")
    return given[0]


def _where_in_batch(bad) -> str:
    return f" (batch index {_first_index(bad)})" if bad.ndim else ""


def _positive_definite(matrix, name, owner="MultivariateNormal"):
    """Raise unless each matrix is symmetric and positive definite."""
    symmetric = np.isclose(matrix, np.swapaxes(matrix, -1, -2), rtol=1e-6, atol=1e-12).all((-2, -1))
    if not symmetric.all():
        raise ValueError(f"{owner}: {name} must be symmetric; it is not"
                         f"{_where_in_batch(~symmetric)}")
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        raise ValueError(f"{owner}: {name} must be positive definite (its "
                         "Cholesky factorization failed); add a small multiple of the "
                         "identity, or pass scale_tril=") from None
    return True


def _lower_cholesky(matrix, owner="MultivariateNormal"):
    """Raise unless each matrix is lower triangular with a positive diagonal."""
    upper = (np.triu(matrix, 1) != 0).any((-2, -1))
    if upper.any():
        raise ValueError(f"{owner}: scale_tril must be lower triangular; it has "
                         f"entries above the diagonal{_where_in_batch(upper)}")
    bad = ~(np.diagonal(matrix, axis1=-2, axis2=-1) > 0).all(-1)
    if bad.any():
        raise ValueError(f"{owner}: scale_tril must have a positive diagonal "
                         f"(a Cholesky factor){_where_in_batch(bad)}")
    return True


def _vectors(value, size, batch_shape, owner):
    if value.ndim < 1 or value.shape[-1] != size:
        raise ValueError(f"{owner}.log_prob: values must be vectors of length {size} along "
                         f"the last axis; got shape {value.shape}")
    try:
        np.broadcast_shapes(value.shape[:-1], batch_shape)
    except ValueError:
        raise ValueError(f"{owner}.log_prob: values of shape {value.shape} do not broadcast "
                         f"with batch_shape {batch_shape} + event_shape ({size},)") from None
    if np.isnan(value).any():
        raise ValueError(f"{owner}.log_prob: values must be real numbers, not NaN")
    return True


def scale_tril_of(name: str, matrix: Tensor, owner: str) -> Tensor:
    """The lower Cholesky factor L of the covariance (Σ = L Lᵀ) from ``matrix``, given
    as ``name`` (``covariance_matrix``, ``precision_matrix`` or ``scale_tril``),
    checked, and differentiable in ``matrix``."""
    if name == "scale_tril":
        _checked(_lower_cholesky, matrix.data, owner)
        # tril: the upper triangle is not a parameter, so it gets no gradient.
        return tril(matrix)
    _checked(_positive_definite, matrix.data, name, owner)
    covariance = matrix if name == "covariance_matrix" else np.linalg.inv(
        _symmetric_gradient(matrix, True))
    # The lower triangle read, but with PyTorch's symmetric gradient (G + Gᵀ) / 2: the
    # matrix's .grad is a symmetric matrix, as PyTorch's, rather than one triangle
    # holding both halves (the sum over the pair is the same).
    return cholesky(_symmetric_gradient(covariance, False))


def _times(matrix, vectors):
    """``matrix @ vector`` for stacks of each that broadcast (Tensors or arrays)."""
    return (matrix * vectors[..., None, :]).sum(-1)


class ScaleTrilMatrices:
    """``covariance_matrix`` (L Lᵀ) and ``precision_matrix`` of a distribution that
    holds the Cholesky factor L as ``scale_tril`` (a mixin)."""

    @property
    def covariance_matrix(self) -> Tensor:
        return self.scale_tril @ np.swapaxes(self.scale_tril, -1, -2)

    @property
    def precision_matrix(self) -> Tensor:
        return np.linalg.inv(self.covariance_matrix)


class MultivariateNormal(ScaleTrilMatrices, _CentredAtLoc, Distribution):
    """The normal distribution over vectors of length d, N(loc, Σ), with Σ given by
    exactly one of ``covariance_matrix=``, ``precision_matrix=`` (Σ⁻¹) or
    ``scale_tril=`` (L, lower triangular with a positive diagonal, Σ = L Lᵀ).

    Everything goes through the Cholesky factor L (``scale_tril``), differentiable in
    whichever matrix was given: ``rsample`` is ``loc + L eps``, and ``log_prob``
    solves with L.

    >>> cov = ad.tensor([[4.0, 0.0], [0.0, 1.0]])
    >>> mvn = ad.distributions.MultivariateNormal(ad.tensor([1.0, 0.0]), cov)
    >>> mvn.batch_shape, mvn.sample((5,), rng=0).shape, mvn.variance
    ((), (5, 2), tensor([4., 1.]))
    """

    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None):
        name = _matrix_name(covariance_matrix, precision_matrix, scale_tril)
        matrix = _as_float_tensor({"covariance_matrix": covariance_matrix,
                                   "precision_matrix": precision_matrix,
                                   "scale_tril": scale_tril}[name], "MultivariateNormal", name)
        if isinstance(loc, (int, float)):
            loc = _as_float_tensor(loc, "MultivariateNormal", "loc", like=matrix)
        loc = _as_float_tensor(loc, "MultivariateNormal", "loc")
        if matrix.ndim < 2 or matrix.shape[-1] != matrix.shape[-2]:
            raise ValueError(f"MultivariateNormal: {name} must be square matrices in its last "
                             f"two axes; got shape {matrix.shape}")
        if loc.ndim < 1 or loc.shape[-1] != matrix.shape[-1]:
            raise ValueError(f"MultivariateNormal: loc must be vectors of length "
                             f"{matrix.shape[-1]} (the size of {name}) along its last axis; "
                             f"got shape {loc.shape}")
        try:
            self.batch_shape = np.broadcast_shapes(loc.shape[:-1], matrix.shape[:-2])
        except ValueError:
            raise ValueError(f"MultivariateNormal: the batch shapes of loc {loc.shape[:-1]} "
                             f"and {name} {matrix.shape[:-2]} do not broadcast") from None
        _checked(_not_nan, loc.data, "MultivariateNormal", "loc")
        factor = scale_tril_of(name, matrix, "MultivariateNormal")
        size = matrix.shape[-1]
        self.event_shape = (size,)
        self.loc = broadcast_to(loc, self.batch_shape + (size,))
        self.scale_tril = broadcast_to(factor, self.batch_shape + (size, size))

    @property
    def variance(self) -> Tensor:
        return (self.scale_tril ** 2).sum(-1)

    def _half_log_det(self) -> Tensor:
        """log det L = ½ log det Σ."""
        return log(diagonal(self.scale_tril, axis1=-2, axis2=-1)).sum(-1)

    def _params(self):
        return self.loc.data, self.scale_tril.data

    @staticmethod
    def _draw(shape, gen, loc, scale_tril):
        eps = gen.standard_normal(shape + loc.shape[-1:]).astype(loc.dtype)
        return loc + _times(scale_tril, eps)

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``loc + L eps`` with ``eps ~ N(0, I)`` a constant: gradients reach loc and Σ.

        >>> loc = ad.zeros(2, requires_grad=True)
        >>> z = ad.distributions.MultivariateNormal(loc, scale_tril=ad.eye(2)).rsample((3,), rng=0)
        >>> z.sum().backward(); loc.grad
        array([3., 3.])
        """
        shape = _sample_shape(shape if sample_shape is None else sample_shape,
                              "MultivariateNormal.rsample")
        eps = made("MultivariateNormal.rsample noise", _standard_normal,
                   (rng, shape + self.batch_shape + self.event_shape, self.loc.data.dtype),
                   stateful=True)
        return self.loc + _times(self.scale_tril, Tensor(eps, name="eps"))

    def _whitened(self, vectors) -> Tensor:
        """L⁻¹ v for vectors v of shape ``(...) + batch_shape + (d,)``, by a solve."""
        shape = vectors.shape
        factor = broadcast_to(self.scale_tril, shape + shape[-1:])
        return reshape(solve(factor, reshape(vectors, shape + (1,))), shape)

    def log_prob(self, value) -> Tensor:
        """-½ (d log 2π + |L⁻¹(value - loc)|²) - log det L, one number per vector."""
        size = self.event_shape[0]
        _checked(_vectors, np.asarray(_values(value)), size, self.batch_shape,
                 "MultivariateNormal")
        value = _operand(value, self.loc)
        whitened = self._whitened(value - self.loc)
        return -0.5 * ((whitened ** 2).sum(-1) + size * _LOG_2PI) - self._half_log_det()

    def entropy(self) -> Tensor:
        """½ d (1 + log 2π) + log det L, one value per batch element."""
        return 0.5 * self.event_shape[0] * (1 + _LOG_2PI) + self._half_log_det()


def _reinterpreted(ndims, batch_shape):
    if not isinstance(ndims, (int, np.integer)) or isinstance(ndims, bool) \
            or not 0 <= ndims <= len(batch_shape):
        raise ValueError(f"Independent: reinterpreted_batch_ndims must be an int in "
                         f"[0, {len(batch_shape)}] (the number of batch axes of the base, "
                         f"batch_shape {batch_shape}); got {ndims!r}")
    return int(ndims)


def _sum_last(values: Tensor, ndims: int) -> Tensor:
    return values.sum(tuple(range(-ndims, 0))) if ndims else values


class Independent(Distribution):
    """``base_distribution`` (kept as ``base``) with its last ``reinterpreted_batch_ndims``
    batch axes read as event axes: ``log_prob`` and ``entropy`` add up over them (the
    values in those axes are independent), as in PyTorch.

    >>> normals = ad.distributions.Normal(np.zeros(3), 1.0)
    >>> diagonal = ad.distributions.Independent(normals, 1)
    >>> diagonal.batch_shape, diagonal.event_shape, diagonal.log_prob(np.zeros(3))
    ((), (3,), tensor(-2.7568156))
    """

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int):
        base = base_distribution
        if not isinstance(base, Distribution):
            raise TypeError(f"Independent: base_distribution must be a distribution, got "
                            f"{type(base).__name__}")
        ndims = _reinterpreted(reinterpreted_batch_ndims, base.batch_shape)
        self.base = base
        self.reinterpreted_batch_ndims = ndims
        split = len(base.batch_shape) - ndims
        self.batch_shape = base.batch_shape[:split]
        self.event_shape = base.batch_shape[split:] + base.event_shape
        self.has_rsample = base.has_rsample

    @property
    def base_dist(self) -> Distribution:
        """The base distribution (PyTorch's name for ``base``)."""
        return self.base

    @property
    def has_enumerate_support(self) -> bool:
        """False where axes are reinterpreted (as in PyTorch), else the base's."""
        return not self.reinterpreted_batch_ndims and self.base.has_enumerate_support

    def enumerate_support(self, expand: bool = True) -> Tensor:
        if self.reinterpreted_batch_ndims:
            raise NotImplementedError("Independent.enumerate_support: the support of "
                                      "reinterpreted axes is a product of supports, which "
                                      "is not enumerated (as in PyTorch)")
        return self.base.enumerate_support(expand)

    @property
    def mean(self) -> Tensor:
        return self.base.mean

    @property
    def mode(self) -> Tensor:
        return self.base.mode

    @property
    def variance(self) -> Tensor:
        return self.base.variance

    @property
    def stddev(self) -> Tensor:
        return self.base.stddev

    def sample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """The base's samples (``shape + batch_shape + event_shape``), no gradient."""
        return self.base.sample(shape, rng, sample_shape=sample_shape)

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """The base's reparameterized samples (refused where the base refuses them)."""
        return self.base.rsample(shape, rng, sample_shape=sample_shape)

    def log_prob(self, value) -> Tensor:
        """The base's log_prob added up over the reinterpreted axes."""
        return _sum_last(self.base.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self) -> Tensor:
        """The base's entropy added up over the reinterpreted axes."""
        return _sum_last(self.base.entropy(), self.reinterpreted_batch_ndims)

    def __repr__(self):
        return (f"Independent({self.base!r}, {self.reinterpreted_batch_ndims}, "
                f"batch_shape={self.batch_shape}, event_shape={self.event_shape})")


def _kl_multivariate_normal(p: MultivariateNormal, q: MultivariateNormal) -> Tensor:
    # ½ (tr(Σq⁻¹ Σp) + |Lq⁻¹ (μq - μp)|² - d) + log det Lq - log det Lp, with
    # tr(Σq⁻¹ Σp) = |Lq⁻¹ Lp|² (Frobenius): two solves with Lq, no inverse.
    if p.event_shape != q.event_shape:
        raise ValueError(f"kl_divergence: the two MultivariateNormals have event_shape "
                         f"{p.event_shape} and {q.event_shape}; they must be the same")
    shape = np.broadcast_shapes(p.batch_shape, q.batch_shape)
    size = p.event_shape[0]
    q_factor = broadcast_to(q.scale_tril, shape + (size, size))
    trace = (solve(q_factor, broadcast_to(p.scale_tril, shape + (size, size))) ** 2).sum((-2, -1))
    distance = (q._whitened(broadcast_to(q.loc - p.loc, shape + (size,))) ** 2).sum(-1)
    return 0.5 * (trace + distance - size) + q._half_log_det() - p._half_log_det()


def _kl_independent(p: Independent, q: Independent) -> Tensor:
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError(
            f"kl_divergence: the two Independents reinterpret {p.reinterpreted_batch_ndims} "
            f"and {q.reinterpreted_batch_ndims} batch axes; it is defined only when they "
            "reinterpret the same number (as in PyTorch)")
    return _sum_last(kl_divergence(p.base, q.base), p.reinterpreted_batch_ndims)


_KL.update({(MultivariateNormal, MultivariateNormal): _kl_multivariate_normal,
            (Independent, Independent): _kl_independent})
