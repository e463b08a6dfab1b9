"""``Wishart``, the distribution of ``Σ^(1/2) (Σ_k z_k z_kᵀ) Σ^(1/2)``-like random
positive definite matrices, with PyTorch's name, parameters (``df`` and exactly one of
``covariance_matrix``, ``precision_matrix`` or ``scale_tril``) and formulas;
re-exported by ``autodiff.distributions``.  PyTorch registers no ``kl_divergence``
pair for it.

Draws use the Bartlett decomposition, ``X = (L A)(L A)ᵀ`` with A lower triangular,
``A_ii = sqrt(chi2(df - i))`` and standard normals below the diagonal.  ``rsample``
is differentiable in the scale (through L, A held constant) and refused where ``df``
requires grad, as for ``Chi2`` (the gradient of a gamma draw in its shape is not
implemented).  PyTorch draws again where a sample comes out singular; here ``df`` ≥
the dimension makes that a measure-zero event (a ``df`` below it warns, as PyTorch's).

>>> w = ad.distributions.Wishart(3.0, covariance_matrix=ad.eye(2))
>>> w.mean, w.log_prob(ad.eye(2))                   # df Σ
(tensor([[3., 0.],
        [0., 3.]]), tensor(-3.53102425))
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .compile.hooks import made
from .distributions import Distribution, _as_float_tensor, _checked, _operand, _sample_shape
from .distributions import _values
from .distributions_continuous import _where_data
from .distributions_gamma import _no_rsample
from .distributions_multivariate import (ScaleTrilMatrices, _matrix_name, _positive_definite,
                                        scale_tril_of)
from .ops.decompositions import slogdet
from .ops.cholesky_solves import cholesky_solve
from .ops.diagonals import diagonal
from .ops.elementwise import log, where
from .ops.shape import broadcast_to, expand_dims
from .ops.special import digamma
from .special import multigammaln
from .tensor import Tensor

__all__ = ["Wishart"]

_LOG_2 = math.log(2.0)


def _df_above(df, p):
    bad = ~(df > p - 1)
    if bad.any():
        raise ValueError(f"Wishart: df must be greater than the dimension - 1 = {p - 1}; "
                         f"got {float(df[bad].ravel()[0])}")
    return True


def _above(data, bound):
    return data > bound


def _matrices(value, p, batch_shape):
    if value.ndim < 2 or value.shape[-2:] != (p, p):
        raise ValueError(f"Wishart.log_prob: values must be {p} x {p} matrices in the last "
                         f"two axes; got shape {value.shape}")
    try:
        np.broadcast_shapes(value.shape[:-2], batch_shape)
    except ValueError:
        raise ValueError(f"Wishart.log_prob: values of shape {value.shape} do not broadcast "
                         f"with batch_shape {batch_shape} + event_shape ({p}, {p})") from None
    return _positive_definite(value, "each value", "Wishart.log_prob")


def _bartlett(rng, shape, df, p, dtype):
    """``shape`` lower triangular A: sqrt(chi2(df - i)) on the diagonal (kept above the
    smallest normal float, as PyTorch's), standard normals below."""
    from .nn.module import _generator
    gen = _generator(rng)
    chi2 = gen.chisquare(np.broadcast_to(df[..., None] - np.arange(p), shape + (p,)))
    a = np.zeros(shape + (p, p))
    rows, cols = np.tril_indices(p, -1)
    a[..., rows, cols] = gen.standard_normal(shape + (len(rows),))
    a[..., np.arange(p), np.arange(p)] = np.maximum(np.sqrt(chi2), np.finfo(dtype).tiny)
    return a.astype(dtype)


class Wishart(ScaleTrilMatrices, Distribution):
    """The Wishart distribution over p x p positive definite matrices, with ``df`` > p - 1
    degrees of freedom and scale Σ (``covariance_matrix``; or ``precision_matrix`` Σ⁻¹,
    or ``scale_tril`` L with Σ = L Lᵀ).

    >>> ad.distributions.Wishart(ad.tensor([4.0, 5.0]), scale_tril=ad.eye(3)).batch_shape
    (2,)
    """

    has_rsample = True

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None):
        name = _matrix_name(covariance_matrix, precision_matrix, scale_tril, "Wishart")
        matrix = _as_float_tensor({"covariance_matrix": covariance_matrix,
                                   "precision_matrix": precision_matrix,
                                   "scale_tril": scale_tril}[name], "Wishart", name)
        if matrix.ndim < 2 or matrix.shape[-1] != matrix.shape[-2]:
            raise ValueError(f"Wishart: {name} must be square matrices in its last two axes; "
                             f"got shape {matrix.shape}")
        df = _as_float_tensor(df, "Wishart", "df", like=matrix)
        try:
            self.batch_shape = np.broadcast_shapes(df.shape, matrix.shape[:-2])
        except ValueError:
            raise ValueError(f"Wishart: the batch shapes of df {df.shape} and {name} "
                             f"{matrix.shape[:-2]} do not broadcast") from None
        p = matrix.shape[-1]
        _checked(_df_above, df.data, p)
        if (df.data < p).any():
            warnings.warn("Wishart: Low df values detected. Singular samples are highly "
                          f"likely to occur for ndim - 1 < df < ndim (here ndim = {p}).",
                          UserWarning, stacklevel=3)
        self.event_shape = (p, p)
        self.df = broadcast_to(df, self.batch_shape)
        self.scale_tril = broadcast_to(scale_tril_of(name, matrix, "Wishart"),
                                       self.batch_shape + (p, p))

    def _df_matrix(self) -> Tensor:
        return expand_dims(expand_dims(self.df, -1), -1)

    @property
    def mean(self) -> Tensor:
        return self._df_matrix() * self.covariance_matrix

    @property
    def mode(self) -> Tensor:
        """(df - p - 1) Σ where df > p + 1, NaN elsewhere, as PyTorch's."""
        p = self.event_shape[-1]
        defined = _where_data(_above, self.df.data, p + 1)
        factor = where(defined, self.df - p - 1, np.nan)
        return expand_dims(expand_dims(factor, -1), -1) * self.covariance_matrix

    @property
    def variance(self) -> Tensor:
        """df (Σ_ij² + Σ_ii Σ_jj), entry by entry."""
        cov = self.covariance_matrix
        diag = diagonal(cov, axis1=-2, axis2=-1)
        return self._df_matrix() * (cov ** 2 + expand_dims(diag, -1) * expand_dims(diag, -2))

    def _params(self):
        return self.df.data, self.scale_tril.data

    @staticmethod
    def _draw(shape, gen, df, scale_tril):
        chol = scale_tril @ _bartlett(gen, shape, df, scale_tril.shape[-1], scale_tril.dtype)
        return chol @ np.swapaxes(chol, -1, -2)

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``(L A)(L A)ᵀ`` with the Bartlett factor A a constant: differentiable in the
        scale; refused where ``df`` requires grad (see the module)."""
        if self.df.requires_grad:
            raise _no_rsample("Wishart", "df")
        shape = _sample_shape(shape if sample_shape is None else sample_shape,
                              "Wishart.rsample")
        p = self.event_shape[-1]
        a = made("Wishart.rsample noise", _bartlett,
                 (rng, shape + self.batch_shape, self.df.data, p, self.scale_tril.data.dtype),
                 stateful=True)
        chol = self.scale_tril @ Tensor(a, name="bartlett")
        return chol @ np.swapaxes(chol, -1, -2)

    def _log_det_scale_tril(self) -> Tensor:
        return log(diagonal(self.scale_tril, axis1=-2, axis2=-1)).sum(-1)

    def log_prob(self, value) -> Tensor:
        """(df - p - 1)/2 log|X| - tr(Σ⁻¹X)/2 - df (p log 2 / 2 + log|L|)
        - log Γ_p(df / 2), for positive definite X."""
        p = self.event_shape[-1]
        _checked(_matrices, np.asarray(_values(value)), p, self.batch_shape)
        value = _operand(value, self.scale_tril)
        nu = self.df
        factor = broadcast_to(self.scale_tril, np.broadcast_shapes(value.shape,
                                                                   self.scale_tril.shape))
        trace = diagonal(cholesky_solve(value, factor), axis1=-2, axis2=-1).sum(-1)
        return (-nu * (p * _LOG_2 / 2 + self._log_det_scale_tril())
                - multigammaln(nu / 2, p) + (nu - p - 1) / 2 * slogdet(value)[1] - trace / 2)

    def entropy(self) -> Tensor:
        """(p + 1)(p log 2 / 2 + log|L|) + log Γ_p(df/2) - (df - p - 1)/2 ψ_p(df/2)
        + df p / 2, with ψ_p the multivariate digamma."""
        nu, p = self.df, self.event_shape[-1]
        halves = Tensor(np.arange(p, dtype=nu.data.dtype) / 2)
        mv_digamma = digamma(expand_dims(nu / 2, -1) - halves).sum(-1)
        return ((p + 1) * (p * _LOG_2 / 2 + self._log_det_scale_tril())
                + multigammaln(nu / 2, p) - (nu - p - 1) / 2 * mv_digamma + nu * p / 2)
