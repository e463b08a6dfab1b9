"""Diagonals and triangles: diag, diagonal, trace, tril, triu.

``diag`` is an op (it either reads a matrix's diagonal or builds a matrix from a
vector, and each is the other's adjoint).  ``diagonal`` and ``trace`` are indexing
and a sum; ``tril``/``triu`` are ``where`` with NumPy's own triangle mask.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..tensor import Tensor
from .elementwise import where
from .reduce import sum as _sum
from .registry import defop, implements


def _values(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _diagonal_positions(rows, cols, k):
    """Row and column indices of the k-th diagonal of a rows x cols matrix."""
    first_row, first_col = max(0, -k), max(0, k)
    length = max(0, min(rows - first_row, cols - first_col))
    steps = np.arange(length)
    return first_row + steps, first_col + steps


def _diag_forward(v, k=0):
    return np.diag(v, k)


def _diag_rule(xp, g, ans, v, k=0):
    if v.ndim == 1:                       # built a matrix: read its diagonal back
        return g[_diagonal_positions(*ans.shape, k)]
    return xp.index_add(g, v.shape, _diagonal_positions(*v.shape, k))


diag = defop(
    "diag", _diag_forward, numpy={np.diag: lambda v, k=0: diag(v, k)},
    hint="diag takes a 1-d tensor (to build a matrix) or a 2-d one (to read a diagonal)",
    doc="The k-th diagonal of a matrix, or a matrix with a vector on its k-th diagonal "
        "(``np.diag``).\n\n>>> ad.diag(ad.tensor([1.0, 2.0]))\ntensor([[1., 0.],\n"
        "        [0., 2.]])",
    v=("the k-th diagonal of g, or g placed on it", _diag_rule), k=None, reads=())


def _diagonal_forward(a, offset, axis1, axis2):
    return np.diagonal(a, offset, axis1, axis2)      # a read-only view, as NumPy's


def _diagonal_rule(xp, g, ans, a, offset, axis1, axis2):
    """``g`` put back on the diagonal of zeros shaped like ``a``: the (axis1, axis2)
    planes moved last, ``g`` added at the diagonal's positions, the axes moved back."""
    shape = a.shape
    axis1 %= len(shape)
    axis2 %= len(shape)
    order = [i for i in range(len(shape)) if i not in (axis1, axis2)] + [axis1, axis2]
    rows, cols = _diagonal_positions(shape[axis1], shape[axis2], offset)
    planes = xp.index_add(g, tuple(shape[i] for i in order), (Ellipsis, rows, cols))
    return xp.transpose(planes, tuple(int(i) for i in np.argsort(order)))


_diagonal = defop(
    "diagonal", _diagonal_forward, hint="diagonal needs two distinct axes of a tensor "
    "with at least 2 dimensions",
    doc="The diagonal of the (axis1, axis2) planes, as the last axis: NumPy's read-only "
        "view.\n\n>>> ad.diagonal(ad.tensor([[1.0, 2.0], [3.0, 4.0]]))\ntensor([1., 4.])",
    a=("g on the diagonal of zeros(a.shape)", _diagonal_rule),
    offset=None, axis1=None, axis2=None, reads=())


@implements(np.diagonal)
def diagonal(a, offset: int = 0, axis1: int = 0, axis2: int = 1, *, dim1=None,
             dim2=None) -> Tensor:
    """The diagonal of the (axis1, axis2) planes (PyTorch's ``dim1``, ``dim2``), as the
    last axis (``np.diagonal``).

    As NumPy's, it is a read-only view of ``a``: it shows later unrecorded updates of
    ``a``, and writing into it raises (PyTorch's would write into ``a``; make a copy
    to write, or write into ``a`` itself).

    >>> ad.diagonal(ad.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([1., 4.])
    """
    from ..argument_aliases import renamed_argument
    axis1 = renamed_argument("diagonal", "axis1", axis1, 0, "dim1", dim1)
    axis2 = renamed_argument("diagonal", "axis2", axis2, 1, "dim2", dim2)
    np.diagonal(_values(a), offset, axis1, axis2)    # NumPy's checks and messages
    return _diagonal(a, int(offset), int(axis1), int(axis2))


@implements(np.trace)
def trace(a, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype=None, out=None) -> Tensor:
    """The sum along a diagonal, as ``np.trace``.

    >>> ad.trace(ad.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor(5.)
    """
    if dtype is not None or out is not None:
        raise TypeError("trace: the arguments dtype= and out= are not supported; convert "
                        "with ad.astype before, and use the returned tensor")
    return _sum(diagonal(a, offset, axis1, axis2), axis=-1)


def _diagonal_alias(where, k, diagonal):
    if diagonal is None:
        return k
    if k != 0:
        raise TypeError(f"{where}: got k={k!r} and diagonal={diagonal!r}, NumPy's and "
                        "PyTorch's names for the same offset; pass one")
    return diagonal


@implements(np.tril)
def tril(m, k: int = 0, *, diagonal: int | None = None) -> Tensor:
    """Zeros above the k-th diagonal (of the last two axes), as ``np.tril``.

    ``diagonal=`` is ``torch.tril``'s name for ``k``.

    >>> ad.tril(ad.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([[1., 0.],
            [3., 4.]])
    """
    k = _diagonal_alias("tril", k, diagonal)
    data = _values(m)
    mask = made("tril mask", np.tri, data.shape[-2:], {"k": k, "dtype": bool})
    return where(mask, m, made("zero", np.zeros, (1, data.dtype)))


@implements(np.triu)
def triu(m, k: int = 0, *, diagonal: int | None = None) -> Tensor:
    """Zeros below the k-th diagonal (of the last two axes), as ``np.triu``.

    ``diagonal=`` is ``torch.triu``'s name for ``k``.

    >>> ad.triu(ad.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([[1., 2.],
            [0., 4.]])
    """
    k = _diagonal_alias("triu", k, diagonal)
    data = _values(m)
    mask = made("triu mask", np.tri, data.shape[-2:], {"k": k - 1, "dtype": bool})
    return where(mask, made("zero", np.zeros, (1, data.dtype)), m)

