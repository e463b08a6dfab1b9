"""More of PyTorch's top-level functions, or PyTorch's arguments to NumPy's functions of
the same name: ``ad.searchsorted`` (``right=``, ``side=``, a sorted sequence per row),
``ad.nonzero`` (``as_tuple=``), ``ad.addmv``, ``ad.cosine_similarity``,
``ad.pairwise_distance``, ``ad.sgn``, ``ad.unflatten``, ``ad.broadcast_shapes``, ``ad.t``,
``ad.swapdims``, ``ad.clamp_min``/``clamp_max``, ``ad.is_floating_point``,
``ad.promote_types``, ``ad.finfo``/``iinfo`` and ``ad.unique_consecutive``.

Each keeps NumPy's meaning for a NumPy call and takes PyTorch's where the call says so;
the differentiable ones are built from recorded ops, so gradients come from their rules.
"""

from __future__ import annotations

import sys

import numpy as np

from .ops.operands import array_of, tensor_of
from .tensor import Tensor

__all__ = ["searchsorted", "nonzero", "addmv", "cosine_similarity", "pairwise_distance",
           "sgn", "unflatten", "broadcast_shapes", "t", "swapdims", "clamp_min", "clamp_max",
           "is_floating_point", "promote_types", "finfo", "iinfo", "unique_consecutive"]


def searchsorted_side(side, right):
    """NumPy's ``side=`` as given or as PyTorch's ``right=`` (a bool) says.

    >>> searchsorted_side("left", True)
    'right'
    """
    if right is not None:
        if side == "right" and not right:
            raise TypeError(f"searchsorted: got side={side!r} and right={right!r}, which "
                            "disagree; pass one of them")
        side = "right" if right else "left"
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    return side


def searchsorted(a, v, side="left", sorter=None, *, right=None, out_int32: bool = False):
    """Where each of ``v`` would go into the increasing ``a``, as ``np.searchsorted`` and
    ``torch.searchsorted(sorted_sequence, input)``: ``side='left'`` (or ``right=False``)
    the first place keeping the order, ``'right'`` (``right=True``) the last.  An ``a``
    of several dims holds one sorted row per leading index, matched with the rows of
    ``v`` (PyTorch's).  No gradient; int64, or int32 with ``out_int32``.

    >>> ad.searchsorted(ad.tensor([1, 3, 5]), ad.tensor([3, 4]), right=True)
    tensor([2, 2])
    """
    side = searchsorted_side(side, right)
    sequence, found = array_of(a), array_of(v)
    order = None if sorter is None else array_of(sorter)
    dtype = np.int32 if out_int32 else np.int64
    if sequence.ndim <= 1:
        if sequence.ndim == 0:
            raise ValueError("searchsorted: sorted_sequence must have at least one dim, "
                             "got a 0-d one")
        return Tensor(np.asarray(np.searchsorted(sequence, found, side=side, sorter=order),
                                 dtype=dtype))
    if found.ndim != sequence.ndim or found.shape[:-1] != sequence.shape[:-1]:
        raise ValueError(
            f"searchsorted: a sorted_sequence of shape {sequence.shape} holds one sorted "
            f"row per leading index, so values need the same leading dims "
            f"{sequence.shape[:-1]}, got shape {found.shape}")
    rows = sequence.reshape(-1, sequence.shape[-1])
    row_values = found.reshape(-1, found.shape[-1])
    row_orders = None if order is None else order.reshape(rows.shape)
    placed = np.stack([
        np.searchsorted(row, vals, side=side,
                        sorter=None if row_orders is None else row_orders[i])
        for i, (row, vals) in enumerate(zip(rows, row_values))])
    return Tensor(placed.reshape(found.shape).astype(dtype))


def nonzero(input, *, as_tuple: bool | None = None):
    """The indices of the nonzero entries: NumPy's tuple of index arrays (the default
    here, as ``np.nonzero``, and with ``as_tuple=True``), or PyTorch's ``(n, ndim)``
    tensor with ``as_tuple=False`` (``torch.nonzero``'s default).  Called from the
    user's code without ``as_tuple``, it warns (``ConventionWarning``) at the user's
    line, as ``torch.nonzero(mask).squeeze(1)`` or ``len(torch.nonzero(mask))`` would
    meet the tuple.

    >>> ad.nonzero(ad.tensor([[0, 1], [2, 0]]), as_tuple=False)
    tensor([[0, 1],
            [1, 0]])
    """
    from .array_methods import refuse_nonzero_of_traced_values
    from .compile.hooks import made     # computed again at each replay of ad.compile
    refuse_nonzero_of_traced_values(input)
    if as_tuple is None:
        _warn_nonzero_is_numpys(sys._getframe(1))
    if as_tuple is False:
        return Tensor(made("nonzero", _nonzero_rows_int64, (array_of(input),)))
    if as_tuple:            # PyTorch's call: a 0-d input as of shape (1,), as there
        return np.nonzero(np.atleast_1d(array_of(input)))
    return np.nonzero(array_of(input))


def _warn_nonzero_is_numpys(caller) -> None:
    from .conventions import ConventionWarning, called_from_user
    if not called_from_user(caller):
        return
    from .tape_drop import user_frame, warn_at
    warn_at(user_frame(), (
        "nonzero(x) here is NumPy's: a tuple of index arrays, one per dim, where "
        "torch.nonzero(x) gives an (n, ndim) tensor of the indices as rows. Pass "
        "as_tuple=False for PyTorch's (or use argwhere(x)), as_tuple=True for NumPy's "
        "without this warning."), ConventionWarning)


def _nonzero_rows_int64(array):
    from .array_methods import nonzero_rows
    return nonzero_rows(array).astype(np.int64)


def addmv(input, mat, vec, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``, as ``torch.addmv`` (``beta=0`` ignores
    ``input``, NaNs included).

    >>> ad.addmv(ad.ones(2), ad.ones((2, 3)), ad.ones(3), alpha=2)
    tensor([7., 7.])
    """
    mat, vec = tensor_of(mat), tensor_of(vec)
    if mat.ndim != 2 or vec.ndim != 1:
        raise ValueError(f"addmv: needs a 2-D matrix and a 1-D vector, got shapes "
                         f"{mat.shape} and {vec.shape}")
    from .torch_functions_assorted import scaled_sum
    return scaled_sum("addmv", input, mat @ vec, beta, alpha)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``torch.cosine_similarity``: the same as ``ad.nn.functional.cosine_similarity``.

    >>> ad.cosine_similarity(ad.tensor([[1.0, 0.0]]), ad.tensor([[1.0, 1.0]]))
    tensor([0.70710678])
    """
    from .nn.functional import cosine_similarity as functional_cosine_similarity
    return functional_cosine_similarity(x1, x2, dim=dim, eps=eps)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``torch.pairwise_distance``: the same as ``ad.nn.functional.pairwise_distance``.

    >>> ad.pairwise_distance(ad.tensor([[0.0, 0.0]]), ad.tensor([[3.0, 4.0]]))
    tensor([4.99999...])
    """
    from .nn.functional import pairwise_distance as functional_pairwise_distance
    return functional_pairwise_distance(x1, x2, p=p, eps=eps, keepdim=keepdim)


def sgn(input) -> Tensor:
    """``torch.sgn``: the sign of real entries (-1, 0 or 1, and 0 for NaN, as
    ``t.sign()``), ``z / |z|`` of complex ones (0 at 0).

    >>> ad.sgn(ad.tensor([-2.0, 0.0, 3.0, np.nan]))
    tensor([-1.,  0.,  1.,  0.])
    """
    from .ops.elementwise import sign
    x = tensor_of(input)
    if x.dtype.kind == "c":
        return sign(x)                  # (NumPy's sign of a complex number is z / |z|)
    return sign_as_torch(x)


def sign_as_torch(input) -> Tensor:
    """``torch.sign`` and ``t.sign()``: -1, 0 or 1, and 0 for NaN as PyTorch gives,
    where NumPy's ``np.sign`` (and ``ad.sign``, which keeps NumPy's meaning) give NaN;
    of a bool tensor, a bool copy (NumPy's ``np.sign`` has no bool loop).  The gradient
    is 0 everywhere either way.

    >>> ad.tensor([-2.0, np.nan, 3.0]).sign(), ad.sign(ad.tensor([np.nan]))
    (tensor([-1.,  0.,  1.]), tensor([nan]))
    """
    from .ops.compare import isnan
    from .ops.elementwise import sign, where
    x = tensor_of(input)
    if x.dtype == np.bool_:
        return x.copy()
    if x.dtype.kind != "f":
        return sign(x)
    return where(isnan(x), 0, sign(x))


def unflatten(input, dim: int, sizes) -> Tensor:
    """``torch.unflatten``: dim ``dim`` split into ``sizes`` (one of them may be -1).

    >>> ad.unflatten(ad.zeros((2, 6)), 1, (3, -1)).shape
    (2, 3, 2)
    """
    return tensor_of(input).unflatten(dim, sizes)


def broadcast_shapes(*shapes) -> tuple:
    """The shape that tensors of ``shapes`` broadcast to, as ``torch.broadcast_shapes``
    (an int stands for a 1-D shape); a clear error names shapes that do not broadcast.

    >>> ad.broadcast_shapes((3,), (2, 1))
    (2, 3)
    """
    as_tuples = [(int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
                 for shape in shapes]
    try:
        return tuple(int(n) for n in np.broadcast_shapes(*as_tuples))
    except ValueError:
        raise ValueError(f"broadcast_shapes: shapes {', '.join(map(str, as_tuples))} do not "
                         "broadcast: each dim, counted from the last, must be equal or 1"
                         ) from None


def t(input) -> Tensor:
    """``torch.t``: a 2-D tensor transposed (0-D and 1-D ones as they are).

    >>> ad.t(ad.zeros((2, 3))).shape
    (3, 2)
    """
    return tensor_of(input).t()


def swapdims(input, dim0: int, dim1: int) -> Tensor:
    """``torch.swapdims``: PyTorch's other name of ``ad.swapaxes``.

    >>> ad.swapdims(ad.zeros((2, 3)), 0, 1).shape
    (3, 2)
    """
    return tensor_of(input).swapaxes(dim0, dim1)


def clamp_min(input, min) -> Tensor:
    """``torch.clamp_min``: the entries below ``min`` raised to it.

    >>> ad.clamp_min(ad.tensor([-1.0, 2.0]), 0.0)
    tensor([0., 2.])
    """
    return tensor_of(input, min).clamp(min=min)


def clamp_max(input, max) -> Tensor:
    """``torch.clamp_max``: the entries above ``max`` lowered to it.

    >>> ad.clamp_max(ad.tensor([-1.0, 2.0]), 1.0)
    tensor([-1.,  1.])
    """
    return tensor_of(input, max).clamp(max=max)


def is_floating_point(input) -> bool:
    """``torch.is_floating_point``: whether the tensor's dtype is a float one.

    >>> ad.is_floating_point(ad.ones(2)), ad.is_floating_point(ad.tensor([1]))
    (True, False)
    """
    return np.dtype(tensor_of(input).dtype).kind == "f"


def promote_types(type1, type2):
    """``torch.promote_types``: the dtype two dtypes combine to.  As in PyTorch, an
    integer or bool with a float (or complex) gives that float dtype (NumPy's
    ``np.promote_types(int32, float32)`` is float64); otherwise NumPy's rule.

    >>> ad.promote_types(ad.int32, ad.float32)
    dtype('float32')
    """
    first, second = np.dtype(type1), np.dtype(type2)
    if first.kind in "biu" and second.kind in "fc":
        return second
    if second.kind in "biu" and first.kind in "fc":
        return first
    return np.promote_types(first, second)


#: ``torch.finfo`` / ``torch.iinfo``: NumPy's, which have the same fields (``eps``,
#: ``max``, ``min``, ``tiny``, ``bits``, ``resolution``).
finfo, iinfo = np.finfo, np.iinfo


def unique_consecutive(input, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None):
    """Each run of equal consecutive entries (or slices along ``dim``) kept once, as
    ``torch.unique_consecutive`` (no gradient): with ``return_inverse`` also the run
    each entry belongs to, with ``return_counts`` each run's length
    (``Tensor.unique_consecutive``).

    >>> ad.unique_consecutive(ad.tensor([1, 1, 2, 2, 3, 1]), return_counts=True)
    (tensor([1, 2, 3, 1]), tensor([2, 2, 1, 1]))
    """
    return tensor_of(input).unique_consecutive(return_inverse, return_counts, dim)
