"""``LKJCholesky(dim, concentration=1.0)``: the LKJ distribution over correlation
matrices, given by their lower Cholesky factors, with PyTorch's names and conventions;
re-exported by ``autodiff.distributions``.

The density of a factor L is proportional to ∏ₖ L_kk^(dim - k + 2 (η - 1)) (k = 2..dim,
η = ``concentration``), so that L Lᵀ has density ∝ det(L Lᵀ)^(η - 1).  ``sample``
draws by the onion method, as PyTorch does, but with the Beta parameters of the method's
paper (there is no ``rsample``, as in PyTorch).

>>> lkj = ad.distributions.LKJCholesky(2, 1.0)
>>> lkj.log_prob(np.eye(2))              # η = 1: uniform over correlations r in (-1, 1)
tensor(-0.69314718)
"""

from __future__ import annotations

import math

import numpy as np

from .distributions import Distribution, _as_float_tensor, _checked, _values
from .distributions_checks import _positive
from .ops.diagonals import diagonal
from .ops.elementwise import log
from .ops.special import lgamma
from .tensor import Tensor

__all__ = ["LKJCholesky"]


def _dimension(dim) -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 2:
        raise ValueError(f"LKJCholesky: dim must be an integer ≥ 2 (the size of the "
                         f"correlation matrices); got {dim!r}")
    return int(dim)


def _correlation_factors(value, dim, batch_shape):
    """Raise unless each dim × dim matrix is the Cholesky factor of a correlation
    matrix (PyTorch's ``corr_cholesky`` constraint)."""
    from .distributions_constraints import corr_cholesky
    if value.ndim < 2 or value.shape[-2:] != (dim, dim):
        raise ValueError(f"LKJCholesky.log_prob: values must be {dim} x {dim} matrices in "
                         f"their last two axes; got shape {value.shape}")
    try:
        np.broadcast_shapes(value.shape[:-2], batch_shape)
    except ValueError:
        raise ValueError(f"LKJCholesky.log_prob: values of shape {value.shape} do not "
                         f"broadcast with batch_shape {batch_shape}") from None
    if not np.all(corr_cholesky._holds(value)):
        raise ValueError("LKJCholesky.log_prob: values must be lower-triangular with a "
                         "positive diagonal and rows of unit length (the Cholesky factor "
                         "of a correlation matrix, the support)")
    return True


def _multivariate_lgamma(a: Tensor, p: int) -> Tensor:
    """log Γ_p(a) = p (p - 1) / 4 · log π + Σ_{j=1..p} lgamma(a + (1 - j) / 2)."""
    total = p * (p - 1) / 4 * math.log(math.pi)
    for j in range(1, p + 1):
        total = total + lgamma(a + (1 - j) / 2)
    return total


class LKJCholesky(Distribution):
    """Lower Cholesky factors of dim × dim correlation matrices (see the module);
    ``event_shape`` is (dim, dim), ``batch_shape`` that of ``concentration``.

    >>> ad.distributions.LKJCholesky(3, 2.0).sample((4,), rng=0).shape
    (4, 3, 3)
    """

    def __init__(self, dim, concentration=1.0):
        self.dim = _dimension(dim)
        self.concentration = _as_float_tensor(concentration, "LKJCholesky", "concentration")
        _checked(_positive, self.concentration.data, "LKJCholesky", "concentration")
        self.batch_shape = self.concentration.shape
        self.event_shape = (self.dim, self.dim)

    def _params(self):
        return self.concentration.data, self.dim

    @staticmethod
    def _draw(shape, gen, concentration, dim):
        """Factors drawn by the onion method, as PyTorch's ``sample``."""
        return _onion(shape, gen, concentration, dim)

    def log_prob(self, value) -> Tensor:
        """Σₖ (dim - k + 2 (η - 1)) log L_kk - log of the normalizer, one number per
        matrix."""
        _checked(_correlation_factors, np.asarray(_values(value)), self.dim, self.batch_shape)
        value = value if isinstance(value, Tensor) else Tensor(np.asarray(
            value, self.concentration.data.dtype))
        diagonal_logs = log(diagonal(value, axis1=-2, axis2=-1)[..., 1:])
        order = np.arange(2, self.dim + 1, dtype=self.concentration.data.dtype)
        eta = self.concentration[..., None]
        unnormalized = ((2 * (eta - 1) + self.dim - order) * diagonal_logs).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        normalizer = (0.5 * dm1 * math.log(math.pi) + _multivariate_lgamma(alpha - 0.5, dm1)
                      - lgamma(alpha) * dm1)
        return unnormalized - normalizer


def _onion(shape, gen, concentration, dim):
    """``shape`` (sample + batch) Cholesky factors of LKJ(η) correlation matrices by the
    onion method: row k is √y · u (u uniform on the sphere of its first k entries,
    y ~ Beta) with the diagonal entry making its length 1."""
    eta = np.broadcast_to(concentration, shape).astype(np.float64)
    # Row k (k ≥ 1) takes y ~ Beta(k / 2, η + (dim - 2) / 2 - (k - 1) / 2), as in
    # Lewandowski, Kurowicka and Joe (2009), section 3.2 (row 0 has no y).  PyTorch's
    # sampler takes k - ½ for k / 2, which widens the correlations of rows k ≥ 2.
    rows = np.arange(dim, dtype=np.float64)
    a = np.broadcast_to(np.maximum(rows, 1) / 2, shape + (dim,))
    b = (eta + 0.5 * (dim - 2))[..., None] - 0.5 * np.maximum(rows - 1, 0)
    y = gen.beta(a, b)[..., None]
    normal = np.tril(gen.standard_normal(shape + (dim, dim)), -1)
    norms = np.linalg.norm(normal, axis=-1, keepdims=True)
    sphere = np.divide(normal, norms, out=np.zeros_like(normal), where=norms > 0)
    w = np.sqrt(y) * sphere
    # The smallest normal number of the samples' dtype, as PyTorch clamps: float64's
    # would give diagonal entries that round to 0 in float32 (outside the support).
    tiny = np.finfo(concentration.dtype).tiny
    diag = np.sqrt(np.maximum(1 - (w ** 2).sum(-1), tiny))
    w = w + diag[..., None] * np.eye(dim)
    return w.astype(concentration.dtype)
