"""``LowRankMultivariateNormal``: the normal distribution over vectors of length n whose
covariance is W Wᵀ + diag(D), for ``cov_factor`` W (n × m) and ``cov_diag`` D (n
positive numbers), with PyTorch's names and conventions; re-exported by
``autodiff.distributions``.

``log_prob`` and ``entropy`` need no n × n factorization: with the capacitance matrix
C = I + Wᵀ D⁻¹ W (m × m) and its Cholesky factor L,
log det Σ = 2 Σ log diag L + Σ log D (the matrix determinant lemma) and
xᵀ Σ⁻¹ x = Σ x² / D - |L⁻¹ Wᵀ D⁻¹ x|² (Woodbury).

>>> d = ad.distributions.LowRankMultivariateNormal(np.zeros(2), np.ones((2, 1)), np.ones(2))
>>> d.covariance_matrix
tensor([[2., 1.],
        [1., 2.]])
"""

from __future__ import annotations

import math

import numpy as np

from .compile.hooks import made
from .distributions import (_KL, Distribution, _as_float_tensor, _checked, _operand,
                            _sample_shape, _standard_normal, _values)
from .distributions_checks import _not_nan, _positive
from .distributions_surface import _CentredAtLoc
from .distributions_multivariate import MultivariateNormal, _kl_multivariate_normal, _times
from .distributions_multivariate import _vectors
from .ops.decompositions import cholesky, solve
from .ops.diagonals import diagonal
from .ops.elementwise import log, sqrt
from .ops.shape import broadcast_to, reshape
from .tensor import Tensor

__all__ = ["LowRankMultivariateNormal"]

_LOG_2PI = math.log(2 * math.pi)
_OWNER = "LowRankMultivariateNormal"


def _transposed(matrix):
    return np.swapaxes(matrix, -1, -2)


def _shapes(loc, cov_factor, cov_diag) -> tuple[tuple[int, ...], int, int]:
    """The batch shape, n and m, or a ValueError naming what does not fit."""
    if loc.ndim < 1:
        raise ValueError(f"{_OWNER}: loc must be at least one-dimensional (vectors along "
                         f"its last axis); got shape {loc.shape}")
    size = loc.shape[-1]
    if cov_factor.ndim < 2 or cov_factor.shape[-2] != size:
        raise ValueError(f"{_OWNER}: cov_factor must be matrices of shape {size} x m (n = "
                         f"{size}, the length of loc, by the rank m) in its last two axes; "
                         f"got shape {cov_factor.shape}")
    if cov_diag.ndim < 1 or cov_diag.shape[-1] != size:
        raise ValueError(f"{_OWNER}: cov_diag must be vectors of length {size} (that of "
                         f"loc) along its last axis; got shape {cov_diag.shape}")
    try:
        batch = np.broadcast_shapes(loc.shape[:-1], cov_factor.shape[:-2], cov_diag.shape[:-1])
    except ValueError:
        raise ValueError(f"{_OWNER}: the batch shapes of loc {loc.shape[:-1]}, cov_factor "
                         f"{cov_factor.shape[:-2]} and cov_diag {cov_diag.shape[:-1]} do not "
                         "broadcast") from None
    return batch, size, cov_factor.shape[-1]


class LowRankMultivariateNormal(_CentredAtLoc, Distribution):
    """N(loc, W Wᵀ + diag(D)) for ``cov_factor`` W and ``cov_diag`` D > 0.

    >>> W = ad.tensor([[1.0], [2.0]], requires_grad=True)
    >>> d = ad.distributions.LowRankMultivariateNormal(ad.zeros(2), W, ad.ones(2))
    >>> d.log_prob(np.zeros(2)).backward(); W.grad          # -Σ⁻¹ W
    array([[-0.16666667],
           [-0.33333333]])
    """

    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag):
        cov_factor = _as_float_tensor(cov_factor, _OWNER, "cov_factor")
        loc = _as_float_tensor(loc, _OWNER, "loc", like=cov_factor)
        cov_diag = _as_float_tensor(cov_diag, _OWNER, "cov_diag", like=cov_factor)
        self.batch_shape, size, rank = _shapes(loc, cov_factor, cov_diag)
        _checked(_not_nan, loc.data, _OWNER, "loc")
        _checked(_not_nan, cov_factor.data, _OWNER, "cov_factor")
        _checked(_positive, cov_diag.data, _OWNER, "cov_diag")
        self.event_shape = (size,)
        self.loc = broadcast_to(loc, self.batch_shape + (size,))
        self.cov_factor = broadcast_to(cov_factor, self.batch_shape + (size, rank))
        self.cov_diag = broadcast_to(cov_diag, self.batch_shape + (size,))
        # Wᵀ D⁻¹ (m × n) and the Cholesky factor of the capacitance I + Wᵀ D⁻¹ W.
        self._factor_over_diag = _transposed(self.cov_factor) / self.cov_diag[..., None, :]
        capacitance = self._factor_over_diag @ self.cov_factor + np.eye(
            rank, dtype=cov_factor.data.dtype)
        self._capacitance_tril = cholesky(capacitance)

    @property
    def variance(self) -> Tensor:
        return (self.cov_factor ** 2).sum(-1) + self.cov_diag

    @property
    def covariance_matrix(self) -> Tensor:
        """W Wᵀ + diag(D)."""
        eye = np.eye(self.event_shape[0], dtype=self.loc.data.dtype)
        return self.cov_factor @ _transposed(self.cov_factor) + self.cov_diag[..., None] * eye

    @property
    def precision_matrix(self) -> Tensor:
        """diag(D⁻¹) - Aᵀ A with A = L⁻¹ Wᵀ D⁻¹ (Woodbury)."""
        eye = np.eye(self.event_shape[0], dtype=self.loc.data.dtype)
        whitened = solve(self._capacitance_tril, self._factor_over_diag)
        return (1 / self.cov_diag)[..., None] * eye - _transposed(whitened) @ whitened

    @property
    def scale_tril(self) -> Tensor:
        """The Cholesky factor of the covariance matrix."""
        return cholesky(self.covariance_matrix)

    def _log_det(self) -> Tensor:
        """log det Σ = 2 Σ log diag L + Σ log D."""
        half = log(diagonal(self._capacitance_tril, axis1=-2, axis2=-1)).sum(-1)
        return 2 * half + log(self.cov_diag).sum(-1)

    def _params(self):
        return self.loc.data, self.cov_factor.data, self.cov_diag.data

    @staticmethod
    def _draw(shape, gen, loc, cov_factor, cov_diag):
        rank = cov_factor.shape[-1]
        eps = gen.standard_normal(shape + (rank + loc.shape[-1],)).astype(loc.dtype)
        return loc + _times(cov_factor, eps[..., :rank]) + np.sqrt(cov_diag) * eps[..., rank:]

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``loc + W eps_W + √D eps_D`` with the two standard normal draws constants."""
        shape = _sample_shape(shape if sample_shape is None else sample_shape,
                              f"{_OWNER}.rsample")
        rank = self.cov_factor.shape[-1]
        # One draw of m + n numbers per vector, split: eps_W, then eps_D.
        eps = Tensor(made(f"{_OWNER}.rsample noise", _standard_normal,
                          (rng, shape + self.batch_shape + (rank + self.event_shape[0],),
                           self.loc.data.dtype), stateful=True), name="eps")
        return (self.loc + _times(self.cov_factor, eps[..., :rank])
                + sqrt(self.cov_diag) * eps[..., rank:])

    def log_prob(self, value) -> Tensor:
        """-½ (n log 2π + log det Σ + (x - loc)ᵀ Σ⁻¹ (x - loc)), by the capacitance."""
        size = self.event_shape[0]
        _checked(_vectors, np.asarray(_values(value)), size, self.batch_shape, _OWNER)
        diff = _operand(value, self.loc) - self.loc
        projected = _times(self._factor_over_diag, diff)          # Wᵀ D⁻¹ x, (..., m)
        shape = projected.shape
        tril = broadcast_to(self._capacitance_tril, shape + shape[-1:])
        whitened = reshape(solve(tril, reshape(projected, shape + (1,))), shape)
        mahalanobis = (diff ** 2 / self.cov_diag).sum(-1) - (whitened ** 2).sum(-1)
        return -0.5 * (size * _LOG_2PI + self._log_det() + mahalanobis)

    def entropy(self) -> Tensor:
        """½ (n (1 + log 2π) + log det Σ), one value per batch element."""
        return 0.5 * (self.event_shape[0] * (1 + _LOG_2PI) + self._log_det())


def _as_full(dist) -> MultivariateNormal:
    if isinstance(dist, MultivariateNormal):
        return dist
    return MultivariateNormal(dist.loc, scale_tril=dist.scale_tril, validate_args=False)


def _kl_through_full(p, q) -> Tensor:
    # Through the n × n Cholesky factors: the same value as PyTorch's low-rank forms.
    return _kl_multivariate_normal(_as_full(p), _as_full(q))


_KL.update({(LowRankMultivariateNormal, LowRankMultivariateNormal): _kl_through_full,
            (LowRankMultivariateNormal, MultivariateNormal): _kl_through_full,
            (MultivariateNormal, LowRankMultivariateNormal): _kl_through_full})
