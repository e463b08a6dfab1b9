"""PyTorch's top-level functions that have no Tensor method here and no NumPy function
of the same name: ``ad.std_mean``, ``ad.var_mean``, ``ad.dist``, ``ad.pdist``,
``ad.svd``, ``ad.msort``, ``ad.cartesian_prod``, ``ad.combinations``,
``ad.bucketize`` and ``ad.empty``, with PyTorch's arguments and defaults (``std_mean``
and ``var_mean`` divide by ``n - 1`` unless told otherwise, as PyTorch's do).

Each is built from recorded ops, so gradients come from their rules.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np

from .devices import check_device
from .ops.operands import array_of, tensor_of
from .tensor import Tensor

__all__ = ["std_mean", "var_mean", "dist", "pdist", "svd", "msort", "cartesian_prod",
           "combinations", "bucketize", "empty"]


def _moments(where, input, dim, unbiased, keepdim, correction):
    if isinstance(dim, (bool, np.bool_)):        # torch.std_mean(input, unbiased)
        if unbiased is not None:
            raise TypeError(f"{where}: got unbiased twice ({dim!r} and {unbiased!r})")
        dim, unbiased = None, bool(dim)
    if correction is None and unbiased is None:
        correction = 1                           # PyTorch's default: n - 1
    x = tensor_of(input)
    options = dict(dim=dim, keepdim=keepdim, correction=correction, unbiased=unbiased)
    return x, options


def std_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """The standard deviation and the mean over ``dim`` (all dims when None), as
    ``torch.std_mean``: divided by ``n - correction`` with PyTorch's default
    ``correction=1`` (``ad.std`` keeps NumPy's ``ddof=0``).

    >>> ad.std_mean(ad.tensor([1.0, 3.0]))
    (tensor(1.41421356), tensor(2.))
    """
    x, options = _moments("std_mean", input, dim, unbiased, keepdim, correction)
    return x.std(**options), x.mean(dim=options["dim"], keepdim=keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """The variance and the mean over ``dim`` (all dims when None), as
    ``torch.var_mean``: divided by ``n - correction`` with PyTorch's default
    ``correction=1`` (``ad.var`` keeps NumPy's ``ddof=0``).

    >>> ad.var_mean(ad.tensor([1.0, 3.0]))
    (tensor(2.), tensor(2.))
    """
    x, options = _moments("var_mean", input, dim, unbiased, keepdim, correction)
    return x.var(**options), x.mean(dim=options["dim"], keepdim=keepdim)


def dist(input, other, p=2) -> Tensor:
    """The p-norm of ``input - other`` (broadcast) over all entries, as ``torch.dist``.

    >>> ad.dist(ad.tensor([3.0, 0.0]), ad.tensor([0.0, 4.0]))
    tensor(5.)
    """
    return (tensor_of(input, other) - other).norm(p)


def pdist(input, p=2) -> Tensor:
    """The p-norm distance between each pair of rows ``i < j`` of an ``(N, M)`` input, in
    the order ``(0, 1), (0, 2), ..., (1, 2), ...``: shape ``(N (N - 1) / 2,)``, as
    ``torch.pdist``.  At zero distance the gradient is 0 (PyTorch's).

    >>> ad.pdist(ad.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]))
    tensor([5.        , 1.        , 4.24264069])
    """
    x = tensor_of(input)
    if x.ndim != 2:
        raise ValueError(f"pdist: needs a 2-D input (N, M) of N rows, got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"pdist: needs a floating-point input, got {x.dtype}; convert with "
                        ".astype(np.float64)")
    if isinstance(p, bool) or not isinstance(p, (int, float, np.number)) or p < 0:
        raise ValueError(f"pdist: p must be a number >= 0, got {p!r}")
    from .compile.hooks import made     # (a compiled step sees the library's arrays)
    first, second = (made("pdist pairs", _pair_rows, (x.shape[0], side)) for side in (0, 1))
    return (x[first] - x[second]).norm(float(p), dim=-1)


def _pair_rows(n, side):
    """The first (``side=0``) or second rows of the pairs ``i < j`` of ``n`` rows."""
    return np.triu_indices(n, 1)[side]


class SvdResult(NamedTuple):
    """``torch.svd``'s result: ``input = U @ diag(S) @ V.mT`` (``V``, not ``Vh``)."""

    U: Tensor
    S: Tensor
    V: Tensor


def svd(input, some: bool = True, compute_uv: bool = True) -> SvdResult:
    """The singular value decomposition ``U diag(S) V^T`` of each matrix in
    ``(..., m, n)``, as ``torch.svd``: ``V`` itself (``ad.linalg.svd`` returns NumPy's
    ``Vh``); ``some=False`` gives square ``U`` and ``V``; ``compute_uv=False`` gives
    zero-filled ``U`` ``(..., m, m)`` and ``V`` ``(..., n, n)``, as PyTorch does.

    >>> u, s, v = ad.svd(ad.tensor([[3.0, 0.0], [0.0, -2.0]]))
    >>> s, bool(np.allclose((u @ ad.diag(s) @ v.T).data, [[3, 0], [0, -2]]))
    (tensor([3., 2.]), True)
    """
    from . import linalg
    from .creation import zeros
    x = tensor_of(input)
    if x.ndim < 2:
        raise ValueError(f"svd: needs a matrix or a stack of matrices (..., m, n), got shape "
                         f"{x.shape}")
    if not compute_uv:
        m, n = x.shape[-2:]
        return SvdResult(zeros(x.shape[:-2] + (m, m), dtype=x.dtype), linalg.svdvals(x),
                         zeros(x.shape[:-2] + (n, n), dtype=x.dtype))
    u, s, vh = linalg.svd(x, full_matrices=not some)
    return SvdResult(u, s, vh.swapaxes(-1, -2))


def msort(input) -> Tensor:
    """``input`` sorted along its first dim, as ``torch.msort`` (``np.sort(x, axis=0)``).

    >>> ad.msort(ad.tensor([[3.0, 1.0], [1.0, 2.0]]))
    tensor([[1., 1.],
            [3., 2.]])
    """
    from .ops.ordering import sort
    from .ops.shape import reshape
    x = tensor_of(input)
    if x.ndim == 0:                     # (PyTorch's msort returns a 0-d tensor as it is)
        return reshape(sort(reshape(x, (1,)), axis=0), ())
    return sort(x, axis=0)


def cartesian_prod(*tensors) -> Tensor:
    """Every combination of one entry from each 1-D tensor, one per row (the last tensor
    varies fastest): shape ``(n0 * n1 * ..., k)``; one tensor is returned as it is, as
    ``torch.cartesian_prod``.

    >>> ad.cartesian_prod(ad.tensor([1.0, 2.0]), ad.tensor([3.0, 4.0]))
    tensor([[1., 3.],
            [1., 4.],
            [2., 3.],
            [2., 4.]])
    """
    from .ops.shape import stack
    from .torch_functions import meshgrid
    tensors = [tensor_of(t) for t in tensors]
    if not tensors or any(t.ndim != 1 for t in tensors):
        raise ValueError(f"cartesian_prod: needs one or more 1-D tensors, got shapes "
                         f"{[t.shape for t in tensors]}")
    if len(tensors) == 1:
        return tensors[0]
    return stack([grid.reshape(-1) for grid in meshgrid(*tensors, indexing="ij")], axis=1)


def combinations(input, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The ``r``-element combinations of the entries of a 1-D tensor, one per row, in
    ``itertools.combinations`` order (``with_replacement``: with repeats), as
    ``torch.combinations``; ``r=0`` gives an empty 1-D tensor.

    >>> ad.combinations(ad.tensor([1.0, 2.0, 3.0]))
    tensor([[1., 2.],
            [1., 3.],
            [2., 3.]])
    """
    x = tensor_of(input)
    if x.ndim != 1:
        raise ValueError(f"combinations: needs a 1-D tensor, got shape {x.shape}")
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or r < 0:
        raise ValueError(f"combinations: r must be an int >= 0, got {r!r}")
    if r == 0:
        return x[:0]
    from .compile.hooks import made     # (a compiled step sees the library's arrays)
    return x[made("combinations", _combination_rows, (x.shape[0], int(r),
                                                      bool(with_replacement)))]


def _combination_rows(n, r, with_replacement):
    """The index rows of the ``r``-element combinations of ``n`` entries."""
    choose = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    return np.array(list(choose(range(n), r)), dtype=np.int64).reshape(-1, r)


def _bucket_indices(values, boundaries, side, dtype):
    return np.searchsorted(boundaries, values, side=side).astype(dtype)


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """For each entry, the index of its bucket among the increasing 1-D ``boundaries``,
    as ``torch.bucketize``: with ``right=False`` the first ``i`` with ``x <=
    boundaries[i]``, with ``right=True`` the first with ``x < boundaries[i]`` (no
    gradient; int64, or int32 with ``out_int32``).

    >>> ad.bucketize(ad.tensor([1.0, 2.5, 9.0]), ad.tensor([1.0, 2.0, 3.0]))
    tensor([0, 2, 3])
    """
    from .compile.hooks import made     # computed again at each replay of ad.compile
    edges = array_of(boundaries)
    if edges.ndim != 1:
        raise ValueError(f"bucketize: boundaries must be 1-D, got shape {edges.shape}")
    values = array_of(input)
    return Tensor(made("bucketize", _bucket_indices,
                       (values, edges, "right" if right else "left",
                        np.int32 if out_int32 else np.int64)))


def empty(*shape, dtype=None, requires_grad: bool = False, device=None, size=None) -> Tensor:
    """A tensor of shape ``size`` whose values are not to be relied on (they are zeros),
    as ``torch.empty`` and ``np.empty``; takes the shape as ``ad.zeros`` does.

    >>> ad.empty(2, 3).shape
    (2, 3)
    """
    check_device("empty", device)
    from .creation import _shape, zeros
    return zeros(_shape(shape, "empty", size), dtype=dtype, requires_grad=requires_grad)
