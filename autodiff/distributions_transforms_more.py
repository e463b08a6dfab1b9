"""The transforms of matrices and of pieces of a tensor in ``ad.distributions.transforms``,
as PyTorch's: ``LowerCholeskyTransform`` (square matrices to lower Cholesky factors),
``CorrCholeskyTransform`` (vectors to Cholesky factors of correlation matrices),
``PositiveDefiniteTransform`` (square matrices to ``L @ L.mT`` of that factor),
``CatTransform`` and ``StackTransform`` (a transform per piece along an axis).

>>> T = ad.distributions.transforms
>>> L = T.CorrCholeskyTransform()(ad.tensor([0.5]))          # a 2 x 2 factor
>>> L @ L.T                                                  # unit diagonal
tensor([[1.        , 0.46211716],
        [0.46211716, 1.        ]])
"""

from __future__ import annotations

import math

import numpy as np

from . import distributions_constraints as constraints
from .compile.hooks import made
from .distributions_transform_base import Transform, _softplus, _sum_rightmost, _tensor
from .ops.cumulative import cumsum
from .ops.diagonals import diagonal, tril
from .ops.elementwise import clip, exp, log, log1p, sqrt, tanh
from .ops.indexing import getitem
from .ops.multiplicative import cumprod
from .ops.decompositions import cholesky
from .ops.shape import concatenate, reshape, stack, swapaxes
from .tensor import Tensor

__all__ = ["LowerCholeskyTransform", "PositiveDefiniteTransform", "CorrCholeskyTransform",
           "CatTransform", "StackTransform"]


def _square(x: Tensor, owner: str) -> None:
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{owner}: the map acts on square matrices (event_dim 2); got a "
                         f"value of shape {x.shape}")


def _with_diagonal(x: Tensor, diagonal_values: Tensor) -> Tensor:
    """``x``'s strictly lower triangle with ``diagonal_values`` on the diagonal."""
    size = x.shape[-1]
    eye = Tensor(made("eye", np.eye, (size, size, 0, x.data.dtype)))
    return tril(x, -1) + diagonal_values[..., None] * eye


class LowerCholeskyTransform(Transform):
    """A square matrix to a lower Cholesky factor: its strictly lower triangle kept, its
    diagonal exponentiated, the upper triangle dropped (so not bijective).

    ``log_abs_det_jacobian`` is that of the map on the lower triangle (the entries it
    keeps), the sum of ``x``'s diagonal; PyTorch's raises NotImplementedError.

    >>> ad.distributions.transforms.LowerCholeskyTransform()(ad.tensor([[0.0, 5.0],
    ...                                                                 [2.0, 0.0]]))
    tensor([[1., 0.],
            [2., 1.]])
    """

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def __eq__(self, other):
        return isinstance(other, LowerCholeskyTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        _square(x, "LowerCholeskyTransform")
        return _with_diagonal(x, exp(diagonal(x, axis1=-2, axis2=-1)))

    def _inverse(self, y):
        _square(y, "LowerCholeskyTransform.inv")
        return _with_diagonal(y, log(diagonal(y, axis1=-2, axis2=-1)))

    def log_abs_det_jacobian(self, x, y):
        """log |det| of the map on the lower triangle: Σ diag(x), one per matrix."""
        return diagonal(_tensor(x), axis1=-2, axis2=-1).sum(-1)


class PositiveDefiniteTransform(Transform):
    """A square matrix to a positive-definite one, ``L @ L.mT`` with ``L`` its
    ``LowerCholeskyTransform`` (the upper triangle dropped: not bijective), as PyTorch's;
    ``inv`` is the Cholesky factor's strict lower triangle with the log of its diagonal.

    >>> ad.distributions.transforms.PositiveDefiniteTransform()(ad.tensor([[0.0, 5.0],
    ...                                                                    [2.0, 0.0]]))
    tensor([[1., 2.],
            [2., 5.]])
    """

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def __eq__(self, other):
        return isinstance(other, PositiveDefiniteTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        factor = LowerCholeskyTransform()(x)
        return factor @ swapaxes(factor, -1, -2)

    def _inverse(self, y):
        _square(y, "PositiveDefiniteTransform.inv")
        return LowerCholeskyTransform().inv(cholesky(y))


def _size_of_vector(length: int, owner: str) -> int:
    """D with D (D - 1) / 2 = ``length``: the size of the matrix a vector fills."""
    size = round((0.25 + 2 * length) ** 0.5 + 0.5)
    if size * (size - 1) // 2 != length:
        raise ValueError(f"{owner}: a vector of {length} entries is not the strict lower "
                         "triangle of a square matrix (that needs D (D - 1) / 2 entries: "
                         "1, 3, 6, 10, ...)")
    return size


def _tril_positions(size: int) -> np.ndarray:
    """For each entry of a size x size matrix (row-major), 1 + the index in the
    strict-lower-triangle vector (row by row, as PyTorch's ``vec_to_tril_matrix``), or
    0 above and on the diagonal."""
    positions = np.zeros((size, size), dtype=np.int64)
    rows, cols = np.tril_indices(size, -1)
    positions[rows, cols] = np.arange(1, len(rows) + 1)
    return positions.reshape(-1)


def _vector_to_tril(vector: Tensor, size: int) -> Tensor:
    zero = Tensor(made("zeros", np.zeros, (vector.shape[:-1] + (1,), vector.data.dtype)))
    padded = concatenate([zero, vector], -1)
    flat = getitem(padded, (Ellipsis, made("tril positions", _tril_positions, (size,))))
    return reshape(flat, vector.shape[:-1] + (size, size))


def _tril_to_vector(matrix: Tensor, offset: int = -1) -> Tensor:
    rows, cols = made("tril indices", np.tril_indices, (matrix.shape[-1], offset))
    return getitem(matrix, (Ellipsis, rows, cols))


class CorrCholeskyTransform(Transform):
    """A vector of D (D - 1) / 2 reals to the D x D lower Cholesky factor of a
    correlation matrix (rows of unit length), as PyTorch's: ``tanh`` gives the partial
    correlations, placed row by row in the strict lower triangle, then each row is
    completed by stick-breaking on the squares.  Bijective.

    ``log_abs_det_jacobian`` is with respect to the strict lower triangle of ``y``.

    >>> t = ad.distributions.transforms.CorrCholeskyTransform()
    >>> t(ad.tensor([0.0, 0.0, 0.0]))
    tensor([[1., 0., 0.],
            [0., 1., 0.],
            [0., 0., 1.]])
    """

    domain, codomain = constraints.real_vector, constraints.corr_cholesky
    bijective = True

    def _call(self, x):
        if x.ndim < 1:
            raise ValueError(f"CorrCholeskyTransform: the map acts on vectors (event_dim "
                             f"1); got a value of shape {x.shape}")
        size = _size_of_vector(x.shape[-1], "CorrCholeskyTransform")
        eps = float(np.finfo(x.data.dtype).eps)
        partial = _vector_to_tril(clip(tanh(x), -1 + eps, 1 - eps), size)
        left = cumprod(sqrt(1 - partial ** 2), -1)
        ones = Tensor(made("ones", np.ones, (partial.shape[:-1] + (1,), x.data.dtype)))
        scale = concatenate([ones, getitem(left, (Ellipsis, slice(None, -1)))], -1)
        eye = Tensor(made("eye", np.eye, (size, size, 0, x.data.dtype)))
        return (partial + eye) * scale

    def _inverse(self, y):
        _square(y, "CorrCholeskyTransform.inv")
        left = 1 - cumsum(y * y, -1)
        ones = Tensor(made("ones", np.ones, (y.shape[:-1] + (1,), y.data.dtype)))
        shifted = concatenate([ones, getitem(left, (Ellipsis, slice(None, -1)))], -1)
        t = _tril_to_vector(y) / sqrt(_tril_to_vector(shifted))
        return (log1p(t) - log1p(-t)) / 2

    def log_abs_det_jacobian(self, x, y):
        x, y = _tensor(x), _tensor(y)
        left = 1 - cumsum(y * y, -1)
        stick_breaking = 0.5 * log(_tril_to_vector(left, -2)).sum(-1)
        tanh_part = -2 * (x + _softplus(-2 * x) - math.log(2.0)).sum(-1)
        return stick_breaking + tanh_part

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("CorrCholeskyTransform.forward_shape: too few dimensions on "
                             "input")
        size = _size_of_vector(shape[-1], "CorrCholeskyTransform.forward_shape")
        return tuple(shape[:-1]) + (size, size)

    def inverse_shape(self, shape):
        if len(shape) < 2 or shape[-1] != shape[-2]:
            raise ValueError(f"CorrCholeskyTransform.inverse_shape: the input is not a "
                             f"square matrix: shape {tuple(shape)}")
        return tuple(shape[:-2]) + (shape[-1] * (shape[-1] - 1) // 2,)


def _transforms(tseq, owner: str) -> list:
    tseq = list(tseq)
    if not tseq or not all(isinstance(t, Transform) for t in tseq):
        raise TypeError(f"{owner}: tseq must be a non-empty list of Transforms, got "
                        f"{[type(t).__name__ for t in tseq]}")
    return tseq


def _check_axis(x: Tensor, dim: int, size: int, owner: str) -> None:
    if not -x.ndim <= dim < x.ndim:
        raise ValueError(f"{owner}: dim {dim} is out of range for a value of shape "
                         f"{x.shape}")
    if x.shape[dim] != size:
        raise ValueError(f"{owner}: a value of shape {x.shape} has {x.shape[dim]} entries "
                         f"along dim {dim}; the transforms need {size}")


def _take(x: Tensor, dim: int, start: int, stop: int) -> Tensor:
    """``x[..., start:stop, ...]`` along ``dim``."""
    index = [slice(None)] * x.ndim
    index[dim] = slice(start, stop)
    return getitem(x, tuple(index))


class CatTransform(Transform):
    """Transform ``i`` of ``tseq`` applied to the ``i``-th piece (``lengths[i]`` entries,
    1 by default) of the input along ``dim``, the results concatenated, as PyTorch's.

    >>> T = ad.distributions.transforms
    >>> t = T.CatTransform([T.ExpTransform(), T.identity_transform], dim=0, lengths=[1, 2])
    >>> t(ad.tensor([0.0, 1.0, 2.0]))
    tensor([1., 1., 2.])
    """

    def __init__(self, tseq, dim: int = 0, lengths=None, cache_size: int = 0):
        tseq = _transforms(tseq, "CatTransform")
        if cache_size:
            tseq = [t.with_cache(cache_size) for t in tseq]
        super().__init__(cache_size=cache_size)
        self.transforms = tseq
        self.lengths = [1] * len(tseq) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.transforms):
            raise ValueError(f"CatTransform: {len(self.transforms)} transforms but "
                             f"{len(self.lengths)} lengths")
        self.dim = dim

    @property
    def event_dim(self) -> int:
        return max(t.event_dim for t in self.transforms)

    @property
    def length(self) -> int:
        return sum(self.lengths)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return CatTransform(self.transforms, self.dim, self.lengths, cache_size)

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self):
        return constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths)

    @property
    def codomain(self):
        return constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths)

    def _pieces(self, value: Tensor, owner: str) -> list:
        _check_axis(value, self.dim, self.length, owner)
        edges = np.cumsum([0] + self.lengths)
        return [_take(value, self.dim, int(a), int(b)) for a, b in zip(edges, edges[1:])]

    def _call(self, x):
        pieces = self._pieces(x, "CatTransform")
        return concatenate([t(p) for t, p in zip(self.transforms, pieces)], self.dim)

    def _inverse(self, y):
        pieces = self._pieces(y, "CatTransform.inv")
        return concatenate([t.inv(p) for t, p in zip(self.transforms, pieces)], self.dim)

    def log_abs_det_jacobian(self, x, y):
        x, y = _tensor(x), _tensor(y)
        owner = "CatTransform.log_abs_det_jacobian"
        terms = []
        for t, x_piece, y_piece in zip(self.transforms, self._pieces(x, owner),
                                       self._pieces(y, owner)):
            term = _tensor(t.log_abs_det_jacobian(x_piece, y_piece))
            terms.append(_sum_rightmost(term, self.event_dim - t.event_dim))
        # ``dim`` within the batch axes: the pieces' terms side by side; within the
        # event axes: added up (as PyTorch decides).
        dim = (self.dim - x.ndim if self.dim >= 0 else self.dim) + self.event_dim
        if dim < 0:
            return concatenate(terms, dim)
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    def __repr__(self):
        return f"CatTransform({self.transforms!r}, dim={self.dim}, lengths={self.lengths})"


class StackTransform(Transform):
    """Transform ``i`` of ``tseq`` applied to the ``i``-th slice of the input along
    ``dim``, the results stacked along ``dim``, as PyTorch's.

    >>> T = ad.distributions.transforms
    >>> t = T.StackTransform([T.ExpTransform(), T.identity_transform], dim=1)
    >>> t(ad.tensor([[0.0, 5.0]]))
    tensor([[1., 5.]])
    """

    def __init__(self, tseq, dim: int = 0, cache_size: int = 0):
        tseq = _transforms(tseq, "StackTransform")
        if cache_size:
            tseq = [t.with_cache(cache_size) for t in tseq]
        super().__init__(cache_size=cache_size)
        self.transforms, self.dim = tseq, dim

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return StackTransform(self.transforms, self.dim, cache_size)

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self):
        return constraints.stack([t.domain for t in self.transforms], self.dim)

    @property
    def codomain(self):
        return constraints.stack([t.codomain for t in self.transforms], self.dim)

    def _slices(self, value: Tensor, owner: str) -> list:
        _check_axis(value, self.dim, len(self.transforms), owner)
        index = [slice(None)] * value.ndim
        slices = []
        for i in range(len(self.transforms)):
            index[self.dim] = i
            slices.append(getitem(value, tuple(index)))
        return slices

    def _call(self, x):
        slices = self._slices(x, "StackTransform")
        return stack([t(s) for t, s in zip(self.transforms, slices)], self.dim)

    def _inverse(self, y):
        slices = self._slices(y, "StackTransform.inv")
        return stack([t.inv(s) for t, s in zip(self.transforms, slices)], self.dim)

    def log_abs_det_jacobian(self, x, y):
        x, y = _tensor(x), _tensor(y)
        owner = "StackTransform.log_abs_det_jacobian"
        return stack([_tensor(t.log_abs_det_jacobian(xs, ys)) for t, xs, ys in
                      zip(self.transforms, self._slices(x, owner), self._slices(y, owner))],
                     self.dim)

    def __repr__(self):
        return f"StackTransform({self.transforms!r}, dim={self.dim})"
