"""Indexing and gathering; their backward is a scatter-add.

``t[key]`` accepts everything NumPy does (ints, slices, None, Ellipsis, integer
arrays or Tensors, boolean masks).  The gradient of a gather is a scatter-add into
zeros: an index that appears twice receives the sum of both gradients.  A write
``t[key] = v`` whose key repeats a position keeps the last value there, as NumPy does,
and only that value gets the position's gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import kernels
from ..compile.hooks import made
from ..tensor import Tensor
from ..guard import views_memory_of
from ..element_copies import note_element, picks_one_element
from ..view_table import note_view
from .operands import python_numbers
from .registry import defop, implements

_INDEX_HINT = "for an axis of size n the valid indices are -n ... n-1"


def _normalize_index(item):
    if isinstance(item, Tensor):
        item = item.data
    if isinstance(item, list):
        # Python numbers go through Tensor: ad.compile keeps the array as the constant
        # it is (made by np.asarray here, it was refused as computed in the call)
        item = Tensor(item).data if python_numbers(item) else np.asarray(item)
        if item.size == 0:
            item = item.astype(np.intp)
    if isinstance(item, np.ndarray):
        if item.dtype.kind not in "biu":
            raise TypeError(
                f"getitem: index arrays must hold integers or booleans, not {item.dtype} "
                f"(values {item.ravel()[:4]}); convert with .astype(int) or use a bool mask")
        return item
    if isinstance(item, (float, np.floating)):
        raise TypeError(
            f"getitem: a float ({item!r}) cannot be an index; use an int, e.g. int({item!r})")
    return item


def normalize_key(key: Any) -> Any:
    """Turn Tensors and lists inside an index into arrays, rejecting float indices."""
    if isinstance(key, tuple):
        return tuple(_normalize_index(k) for k in key)
    return _normalize_index(key)


def _never_repeats(part):
    """True for index parts that cannot select an element twice: ints, slices, None,
    Ellipsis and boolean masks (integer arrays can)."""
    return (part is None or part is Ellipsis or isinstance(part, (slice, int, np.integer))
            or (isinstance(part, np.ndarray) and part.dtype == bool))


def index_add_array(g: np.ndarray, shape: tuple[int, ...], key: Any) -> np.ndarray:
    """``zeros(shape)`` with ``g`` added at ``key``; repeated indices accumulate."""
    out = np.zeros(shape, dtype=g.dtype)
    parts = key if isinstance(key, tuple) else (key,)
    if all(_never_repeats(p) for p in parts):
        out[key] = g
    else:
        kernels.scatter_add(out, key, g)   # compiled for one integer-array key
    return out


def _getitem_forward(x, key):
    return x[key]


_getitem = defop(
    "getitem", _getitem_forward, hint=_INDEX_HINT, scatters=True, reads=(), adds_axis=True,
    x=("index_add(zeros(x.shape), key, g)",
       lambda xp, g, ans, x, key: xp.index_add(g, x.shape, key)))


def getitem(x, key) -> Tensor:
    """``x[key]`` with NumPy indexing; the backward scatter-adds into x's shape.

    >>> x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> x[[0, 0, 2]].sum().backward(); x.grad
    array([2., 0., 1.])
    """
    key = normalize_key(key)
    result = _getitem(x, key=key)
    if isinstance(x, Tensor):
        if views_memory_of(result.data, x.data):
            note_view(result, x, key)   # basic indexing (advanced indexing copies)
        elif result.data.ndim == 0 and picks_one_element(key, x.data.ndim):
            note_element(result, x, key)    # a copy whose add_/fill_ write into x
    return result


def _read_back(xp, g, key, ndim):
    """``g[key]`` as the gradient of a value of ``ndim`` axes written at ``key``."""
    return _with_leading_ones(xp, g[key], ndim)


def _with_leading_ones(xp, picked, ndim):
    """``picked`` with the leading size-1 axes of a value of ``ndim`` axes (NumPy drops
    them when it writes)."""
    extra = ndim - picked.ndim
    if extra > 0:
        picked = xp.reshape(picked, (1,) * extra + picked.shape)
    return picked


def _written_values_gradient(xp, g, key, shape, x_shape):
    """The gradient of the ``value`` of ``shape`` that ``setitem`` wrote at ``key``:
    ``g[key]`` summed to that shape, where the value was broadcast, and zero for a write
    that a later one at the same position overwrote.  Summed here rather than by the
    reverse pass, so that the rule's result has the value's shape whatever ``key``
    selects: with a mask computed in a compiled call, ``g[key]`` has as many rows as the
    mask has true entries, which may change between replays."""
    picked = g[key]
    if _may_repeat(key):
        kept = _kept_writes(x_shape, key)     # (a compiled replay runs the rule again)
        if not kept.all():
            picked = xp.where(kept, picked, xp.zeros_like(picked))
    return xp.sum_to(_with_leading_ones(xp, picked, len(shape)), shape)


index_add = defop(
    "index_add", index_add_array,
    doc="zeros(shape) with g scatter-added at key (the adjoint of indexing).\n\n"
        ">>> ad.index_add(ad.tensor([1.0, 1.0]), (3,), np.array([0, 0]))\ntensor([2., 0., 0.])",
    g=("g_out[key]", lambda xp, gg, ans, g, shape, key: _read_back(xp, gg, key, g.ndim)),
    shape=None, key=None,
    reads=())


def _take_key(axis, indices):
    return (slice(None),) * axis + (indices,)


def _take_forward(x, indices, axis=0):
    return np.take(x, indices, axis=axis)


def _take_rule(xp, g, ans, x, indices, axis=0):
    if axis is None or x.ndim == 0:       # flattened (NumPy's axis=0 on a 0-d x too)
        return xp.reshape(xp.index_add(xp.reshape(g, -1), (x.size,), np.ravel(indices)),
                          x.shape)
    return xp.index_add(g, x.shape, _take_key(axis % x.ndim, indices))


_take = defop("take", _take_forward, hint=_INDEX_HINT, scatters=True,
              index_inputs={1: "indices"}, reads=(),
              x=("index_add(zeros(x.shape), indices along axis, g)", _take_rule),
              indices=None, axis=None)


def take(x, indices, axis=None) -> Tensor:
    """Gather ``indices`` along ``axis``; from the flattened input when ``axis`` is None,
    the default, as ``np.take`` and ``torch.take``.

    >>> ad.take(ad.tensor([[1.0, 2.0], [3.0, 4.0]]), [1, 3])
    tensor([2., 4.])
    >>> ad.take(ad.tensor([[1.0, 2.0], [3.0, 4.0]]), [1, 1], axis=0).shape
    (2, 2)
    """
    indices = _normalize_index(indices)
    if isinstance(indices, bool) or (isinstance(indices, np.ndarray) and indices.dtype == bool):
        raise TypeError("take: indices must be integers, got booleans; use x[mask] for masks")
    return _take(x, indices, axis=axis)


@implements(np.take)
def _take_numpy(a, indices, axis=None, out=None, mode="raise"):
    """``ad.take``, with ``mode="wrap"`` or ``"clip"`` bringing the indices into range.

    As NumPy's, ``"clip"`` also sends negative indices to 0.  The backward scatter-adds."""
    if out is not None:
        raise TypeError("numpy.take on a Tensor: the argument(s) ['out'] are not supported "
                        "by autodiff; call it without them")
    if mode != "raise":
        indices = _indices_in_range(a, indices, axis, mode)
    return take(a, indices, axis=axis)


def _indices_in_range(a, indices, axis, mode):
    """``np.take``'s ``indices`` wrapped or clipped into the taken axis, with NumPy's own
    checks (of ``mode``, ``axis``, an empty axis) run on a stand-in of ``a``'s shape."""
    raw = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    shape = np.shape(a.data if isinstance(a, Tensor) else a)
    try:
        np.take(np.zeros(shape, np.int8), raw, axis=axis, mode=mode)
    except (ValueError, IndexError, TypeError) as error:
        raise type(error)(f"numpy.take: {error} (a of shape {shape}, indices of shape "
                          f"{raw.shape}, axis={axis!r}, mode={mode!r})") from None
    if mode in ("raise", 2):          # (NumPy 1 also spelled them np.CLIP, WRAP, RAISE: 0, 1, 2)
        return raw
    n = int(np.prod(shape)) if axis is None else shape[axis]
    # (made: a compiled function computes the indices again from what it was given)
    return made("take indices in range", _in_range,
                (indices.data if isinstance(indices, Tensor) else indices, n, mode))


def _in_range(indices, n, mode):
    raw = np.asarray(indices)
    if raw.size == 0:
        return raw.astype(np.intp)
    return np.mod(raw, n) if mode in ("wrap", 1) else np.clip(raw, 0, n - 1)


def _may_repeat(key):
    parts = key if isinstance(key, tuple) else (key,)
    return not all(_never_repeats(p) for p in parts)


def _kept_writes(shape, key):
    """For each element ``x[key] = value`` writes (an array of ``x[key]``'s shape): True
    where that write is the one NumPy keeps, the last one at its position."""
    last = np.full(shape, -1, dtype=np.intp)
    written = last[key].shape
    order = np.arange(int(np.prod(written)), dtype=np.intp).reshape(written)
    last[key] = order                     # NumPy's own assignment picks the survivors
    return last[key] == order


def _setitem_forward(x, value, key):
    out = np.array(x, copy=True)
    out[key] = value          # an index repeated: the last write stays, as in NumPy
    return out


def _zero_at(g, key):
    out = np.array(g, copy=True)
    out[key] = 0
    return out


_setitem = defop(
    "setitem", _setitem_forward, hint=_INDEX_HINT,
    doc="A copy of ``x`` with ``value`` written at ``key`` (what a recorded ``t[key] = v``\n"
        "does); ``x`` gets ``g`` with ``key`` zeroed, ``value`` gets ``g[key]``.\n\n"
        ">>> ad.setitem(ad.tensor([1.0, 2.0, 3.0]), 0.0, np.array([0, 2]))\n"
        "tensor([0., 2., 0.])",
    x=("g with g[key] = 0", lambda xp, g, ans, x, value, key: xp.zero_at(g, key)),
    value=("sum_to(g[key] where the write stays, value.shape)",
           lambda xp, g, ans, x, value, key: _written_values_gradient(
               xp, g, key, value.shape, x.shape)),
    key=None, reads=(),
    zeroes="gives x zero gradient where it writes (what was there before is overwritten)")


def setitem(x, value, key):
    # The op, after the check that ``t[key] = v`` makes too (inplace_dtypes.refuse_truncation).
    if getattr(value, "requires_grad", False):
        dtype = np.asarray(getattr(x, "data", x)).dtype
        if dtype.kind not in "fc":
            raise TypeError(
                f"setitem: the value ({value.dtype}, shape {value.shape}) requires grad, but "
                f"x holds {dtype} (shape {np.shape(getattr(x, 'data', x))}): written there "
                "it would be truncated and lose its gradient. Make x floating-point first "
                "(x.astype(float), or np.zeros(n) rather than np.zeros(n, int)).")
    return _setitem(x, value, key)


setitem.__doc__ = _setitem.__doc__
setitem.op = _setitem

zero_at = defop(
    "zero_at", _zero_at,
    doc="A copy of ``g`` with the entries at ``key`` set to 0 (the gradient of ``x`` in\n"
        "``setitem``).\n\n>>> ad.zero_at(ad.tensor([1.0, 2.0]), 1)\ntensor([1., 0.])",
    g=("g_out with g_out[key] = 0", lambda xp, gg, ans, g, key: xp.zero_at(gg, key)),
    key=None, reads=())
