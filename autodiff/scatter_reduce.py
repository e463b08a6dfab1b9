"""``Tensor.scatter_reduce``: PyTorch's scatter with a reduction, from recorded ops.

``'sum'`` and ``'mean'`` scatter-add (``index_add``); ``'prod'`` multiplies layers,
each a ``setitem`` into ones of the entries that are the k-th to reach their
position (so zeros get exact gradients); ``'amax'``/``'amin'`` compute the values
off the tape and give each position's gradient in equal parts to the entries that
attain it (the tensor's own one included with ``include_self``), as PyTorch does.
"""

from __future__ import annotations

import numpy as np

from .selections import _axis, _in_range, _index

_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _key(where, t, dim, index, src):
    """The index arrays ``scatter(dim, index, src)`` writes at, and ``src`` cut to the
    index's shape (the checks of ``scatter_add``)."""
    if t.ndim == 0:
        raise ValueError(f"{where}: a 0-d tensor has no dim to scatter along; reshape(1) "
                         "first")
    if src.dtype != t.dtype:
        raise TypeError(f"{where}: src has dtype {src.dtype} but the tensor has {t.dtype}; "
                        "they must match (src.astype(t.dtype))")
    if not index.ndim == src.ndim == t.ndim:
        raise ValueError(f"{where}: the tensor {t.shape}, index {index.shape} and src "
                         f"{src.shape} must have the same number of dims")
    axis = _axis(where, dim, t.ndim)
    for d, m in enumerate(index.shape):
        if m > src.shape[d] or (d != axis and m > t.shape[d]):
            raise ValueError(f"{where}: the index (shape {index.shape}) is larger than src "
                             f"(shape {src.shape}) along dim {d}, or than the tensor (shape "
                             f"{t.shape}) along a dim other than {axis}")
    _in_range(where, index, t.shape[axis], axis)
    if src.shape != index.shape:
        src = src[tuple(slice(0, m) for m in index.shape)]
    key = tuple(index if d == axis else np.arange(m).reshape(
        [m if e == d else 1 for e in range(index.ndim)]) for d, m in enumerate(index.shape))
    return key, src


def scatter_reduce(t, dim, index, src, reduce, include_self=True):
    """``t.scatter_reduce(dim, index, src, reduce, include_self=)`` (see ``Tensor``).

    >>> x = ad.tensor([1.0, 1.0])
    >>> x.scatter_reduce(0, np.array([0, 0]), ad.tensor([2.0, 4.0]), "mean", include_self=False)
    tensor([3., 1.])
    """
    from .ops.elementwise import stop_gradient, where
    from .ops.indexing import index_add
    from .ops.operands import tensor_of
    from .tensor import Tensor
    name = "scatter_reduce"
    if reduce not in _REDUCTIONS:
        raise ValueError(f"{name}: reduce must be one of {_REDUCTIONS}, got {reduce!r} "
                         "(for 'add' use scatter_add)")
    src = tensor_of(src)
    key, src = _key(name, t, dim, _index(name, index), src)
    full = np.broadcast_arrays(*key)
    positions = np.ravel_multi_index(full, t.shape).reshape(-1)
    counts = np.bincount(positions, minlength=t.size).reshape(t.shape)
    touched = counts > 0
    if reduce in ("sum", "mean"):
        base = t if include_self else t.masked_fill(touched, 0)
        total = base + index_add(src, t.shape, key)
        if reduce == "sum":
            return total
        if t.dtype.kind != "f":
            raise TypeError(f"{name}: reduce='mean' needs a floating-point tensor, got "
                            f"{t.dtype}; convert it first (t.double())")
        n = np.maximum(counts + (1 if include_self else 0), 1).astype(t.dtype)
        return where(touched, total / n, t)
    if reduce == "prod":
        order = np.argsort(positions, kind="stable")
        ordered = positions[order]
        starts = np.r_[True, ordered[1:] != ordered[:-1]] if ordered.size else ordered
        first = np.maximum.accumulate(np.where(starts, np.arange(ordered.size), 0))
        rank = np.empty_like(positions)
        rank[order] = np.arange(ordered.size) - first
        flat_src = src.reshape(-1)
        product = t if include_self else t.masked_fill(touched, 1)
        for r in range(int(rank.max()) + 1 if rank.size else 0):
            chosen = rank == r
            layer = Tensor(np.ones(t.size, dtype=t.dtype))
            layer = _setitem(layer, flat_src[chosen], positions[chosen])
            product = product * layer.reshape(t.shape)
        return product
    return _extreme(t, src, key, full, touched, reduce, include_self, where, stop_gradient,
                    index_add)


def _setitem(x, values, key):
    from .ops.indexing import setitem
    return setitem(x, values, key)


def _extreme(t, src, key, full, touched, reduce, include_self, where, stop_gradient,
             index_add):
    from .tensor import Tensor
    data, src_data = t.data, src.data
    if data.dtype.kind == "f":
        start = -np.inf if reduce == "amax" else np.inf
    else:
        info = np.iinfo(data.dtype) if data.dtype.kind in "iu" else None
        start = (info.min if reduce == "amax" else info.max) if info else reduce == "amin"
    values = data.copy() if include_self else np.where(touched, start, data).astype(data.dtype)
    (np.maximum if reduce == "amax" else np.minimum).at(values, tuple(full), src_data)
    if data.dtype.kind != "f" or not (t.requires_grad or src.requires_grad):
        return Tensor(values)
    # Each position's gradient in equal parts to the entries equal to its value; the
    # weighted sum S is added as S - stop_gradient(S), zero in the forward pass.
    own = touched & (data == values) if include_self else np.zeros(data.shape, bool)
    hits = (src_data == values[tuple(full)])
    attained = own + np.bincount(np.ravel_multi_index(full, data.shape).reshape(-1),
                                 weights=hits.reshape(-1).astype(float),
                                 minlength=data.size).reshape(data.shape)
    attained = np.maximum(attained, 1)
    own_share = (own / attained).astype(data.dtype)
    src_share = (hits / attained[tuple(full)]).astype(data.dtype)
    finite_t = where(np.isfinite(data), t, 0.0)
    finite_src = where(np.isfinite(src_data), src, 0.0)
    shares = own_share * finite_t + index_add(src_share * finite_src, data.shape, key)
    result = where(touched, Tensor(values) + (shares - stop_gradient(shares)), t)
    infinite = touched & np.isinf(values)
    if not infinite.any():
        return result
    # An infinite extreme: the mean of the equal infinities, which is exact.
    equal_sum = where(own, t, 0.0) + index_add(where(hits, src, 0.0), data.shape, key)
    return where(infinite, equal_sum / attained.astype(data.dtype), result)
