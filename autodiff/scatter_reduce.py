"""``Tensor.scatter_reduce``: PyTorch's scatter with a reduction, from recorded ops.

``'sum'`` and ``'mean'`` scatter-add (``index_add``); ``'prod'`` multiplies layers,
each a ``setitem`` into ones of the entries that are the k-th to reach their
position (so zeros get exact gradients); ``'amax'``/``'amin'`` compute the values
off the tape (through ``hooks.made``, so that ``ad.compile`` computes them again)
and give each position's gradient in equal parts to the entries that
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
    from .ops.writes import _lane_positions     # (constants of the library, cached)
    key = tuple(index if d == axis else _lane_positions(m, d, index.ndim)
                for d, m in enumerate(index.shape))
    return key, src


def scatter_reduce(t, dim, index, src, reduce, include_self=True):
    """``t.scatter_reduce(dim, index, src, reduce, include_self=)`` (see ``Tensor``).

    >>> x = ad.tensor([1.0, 1.0])
    >>> x.scatter_reduce(0, np.array([0, 0]), ad.tensor([2.0, 4.0]), "mean", include_self=False)
    tensor([3., 1.])
    """
    from .compile.hooks import made
    from .compile.refusals import refuse_traced_values
    from .ops.elementwise import astype, stop_gradient, where
    from .ops.indexing import index_add
    from .ops.operands import tensor_of
    from .tensor import Tensor
    name = "scatter_reduce"
    if reduce not in _REDUCTIONS:
        raise ValueError(f"{name}: reduce must be one of {_REDUCTIONS}, got {reduce!r} "
                         "(for 'add' use scatter_add)")
    src = tensor_of(src)
    key, src = _key(name, t, dim, _index(name, index), src)
    # What the index reaches is read from it with NumPy: made through hooks.made, so
    # that a compiled step computes it again from the call's index.
    touched = made(f"{name} touched", _touched, (t.shape,) + key)
    if reduce in ("sum", "mean"):
        base = t if include_self else t.masked_fill(touched, 0)
        total = base + index_add(src, t.shape, key)
        if reduce == "sum":
            return total
        if t.dtype.kind != "f":
            raise TypeError(f"{name}: reduce='mean' needs a floating-point tensor, got "
                            f"{t.dtype}; convert it first (t.double())")
        n = made(f"{name} divisors", _divisors, (t.shape, 1 if include_self else 0) + key)
        return where(touched, total / astype(n, t.dtype), t)
    if reduce == "prod":
        refuse_traced_values(index, name, "how often the index repeats a position sets how "
                             "many products it takes", "Make the index a constant (an "
                             "ndarray made outside the compiled function)")
        ranks = _ranks(t.shape, *key)
        flat_src = src.reshape(-1)
        product = t if include_self else t.masked_fill(touched, 1)
        for r in range(int(ranks.max()) + 1 if ranks.size else 0):
            chosen = made(f"{name} layer {r}", _of_rank, (r, t.shape) + key)
            positions = made(f"{name} layer {r} positions", _positions_of_rank,
                             (r, t.shape) + key)
            layer = Tensor(made(f"{name} ones", np.ones, (t.size, t.dtype)))
            layer = _setitem(layer, flat_src[chosen], positions)
            product = product * layer.reshape(t.shape)
        return product
    return _extreme(t, src, key, touched, reduce, include_self, where, stop_gradient,
                    index_add)


def _positions(shape, *key):
    """The flat positions of ``shape`` that ``key`` (broadcast) writes, in its order."""
    return np.ravel_multi_index(np.broadcast_arrays(*key), shape).reshape(-1)


def _counts(shape, *key):
    """How many entries ``key`` writes at each position of ``shape``."""
    return np.bincount(_positions(shape, *key), minlength=int(np.prod(shape))).reshape(shape)


def _divisors(shape, extra, *key):
    """``reduce='mean'``'s divisors: the counts plus ``extra`` (the tensor's own entry),
    at least 1."""
    return np.maximum(_counts(shape, *key) + extra, 1)


def _touched(shape, *key):
    """Where ``key`` writes at least once."""
    return _counts(shape, *key) > 0


def _ranks(shape, *key):
    """For each entry ``key`` writes, how many entries before it (in C order) write the
    same position."""
    positions = _positions(shape, *key)
    order = np.argsort(positions, kind="stable")
    ordered = positions[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]] if ordered.size else ordered
    first = np.maximum.accumulate(np.where(starts, np.arange(ordered.size), 0))
    ranks = np.empty_like(positions)
    ranks[order] = np.arange(ordered.size) - first
    return ranks


def _of_rank(rank, shape, *key):
    """The (flat) entries of ``key`` that are the ``rank``-th to write their position."""
    return np.flatnonzero(_ranks(shape, *key) == rank)


def _positions_of_rank(rank, shape, *key):
    """The positions written by the entries of ``key`` of rank ``rank``."""
    return _positions(shape, *key)[_of_rank(rank, shape, *key)]


def _setitem(x, values, key):
    from .ops.indexing import setitem
    return setitem(x, values, key)


def _extreme_values(data, src_data, touched, reduce, include_self, *key):
    """``'amax'``/``'amin'``'s values: the tensor's own entries (or the reduction's
    start where the index reaches, without ``include_self``) reduced with ``src``."""
    if data.dtype.kind == "f":
        start = -np.inf if reduce == "amax" else np.inf
    else:
        info = np.iinfo(data.dtype) if data.dtype.kind in "iu" else None
        start = (info.min if reduce == "amax" else info.max) if info else reduce == "amin"
    values = data.copy() if include_self else np.where(touched, start, data).astype(data.dtype)
    (np.maximum if reduce == "amax" else np.minimum).at(values, np.broadcast_arrays(*key),
                                                        src_data)
    return values


def _own_extremes(data, values, touched, include_self):
    """Where the tensor's own entry attains its position's extreme (with include_self)."""
    return touched & (data == values) if include_self else np.zeros(data.shape, bool)


def _src_extremes(src_data, values, *key):
    """Where an entry of ``src`` attains the extreme of the position it is written to."""
    return src_data == values[tuple(np.broadcast_arrays(*key))]


def _attained_counts(own, hits, *key):
    """How many entries attain each position's extreme (at least 1), in float64."""
    full = np.broadcast_arrays(*key)
    counts = own + np.bincount(np.ravel_multi_index(full, own.shape).reshape(-1),
                               weights=hits.reshape(-1).astype(float),
                               minlength=own.size).reshape(own.shape)
    return np.maximum(counts, 1)


def _shares(attaining, counts, dtype, *key):
    """Each attaining entry's share of its position's gradient, in ``dtype`` (``key``:
    the positions of ``src``'s entries; none for the tensor's own)."""
    if key:
        counts = counts[tuple(np.broadcast_arrays(*key))]
    return (attaining / counts).astype(dtype)


def _infinite_extremes(values, touched):
    return touched & np.isinf(values)


def _extreme(t, src, key, touched, reduce, include_self, where, stop_gradient, index_add):
    # Every array read from the values goes through hooks.made: a compiled step
    # computes it again from the call's values (which entries win, how many tie).
    from .compile.hooks import made
    from .tensor import Tensor
    data, src_data = t.data, src.data
    name = f"scatter_reduce {reduce}"
    values = made(f"{name} values", _extreme_values,
                  (data, src_data, touched, reduce, include_self) + key)
    if data.dtype.kind != "f" or not (t.requires_grad or src.requires_grad):
        return Tensor(values)

    own = made(f"{name} own", _own_extremes, (data, values, touched, include_self))
    hits = made(f"{name} hits", _src_extremes, (src_data, values) + key)
    counts = made(f"{name} counts", _attained_counts, (own, hits) + key)
    # Each position's gradient in equal parts to the entries equal to its value; the
    # weighted sum S is added as S - stop_gradient(S), zero in the forward pass.
    finite_t = where(made(f"{name} finite", np.isfinite, (data,)), t, 0.0)
    finite_src = where(made(f"{name} finite src", np.isfinite, (src_data,)), src, 0.0)
    own_share = made(f"{name} own shares", _shares, (own, counts, data.dtype))
    src_share = made(f"{name} src shares", _shares, (hits, counts, data.dtype) + key)
    shares = own_share * finite_t + index_add(src_share * finite_src, data.shape, key)
    result = where(touched, Tensor(values) + (shares - stop_gradient(shares)), t)
    # An infinite extreme: the mean of the equal infinities, which is exact.  (Taken
    # whether or not one occurs, so that a compiled step follows the values.)
    infinite = made(f"{name} infinite", _infinite_extremes, (values, touched))
    equal_sum = where(own, t, 0.0) + index_add(where(hits, src, 0.0), data.shape, key)
    counts_as_data = made(f"{name} counts in dtype", np.ndarray.astype, (counts, data.dtype))
    return where(infinite, equal_sum / counts_as_data, result)
