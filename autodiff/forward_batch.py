"""Many tangents in one pass: how ``jacfwd`` pushes all its basis vectors at once.

A batch of tangents carries a leading axis (one entry per tangent) through the
recorded nodes.  Elementwise ops, reductions, shape ops, basic indexing, ``stack``,
``concatenate`` and 2-D ``matmul`` have a batched form here; any other op runs its
ordinary JVP once per tangent and stacks the results, so every op works, the listed
ones just faster.  Only for plain arrays (a pass that is not recorded).
"""

from __future__ import annotations

import numpy as np

from .ops.namespace import numpy_xp
from .ops.shape import sum_to_array


def _align(t, ndim):
    """A batch of tangents of an input with fewer axes than the output, with size-1
    axes inserted after the batch axis so that it broadcasts like the input."""
    missing = ndim - (t.ndim - 1)
    return t.reshape((t.shape[0],) + (1,) * missing + t.shape[1:]) if missing > 0 else t


def _elementwise(op, tangents, ans, args, kwargs, size):
    total = None
    for i, t in enumerate(tangents):
        if t is None or op.rules[i] is None:
            continue
        t = np.broadcast_to(_align(t, ans.ndim), (size,) + ans.shape)
        part = op.rules[i](numpy_xp, t, ans, *args, **kwargs)
        total = part if total is None else total + part
    return total


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(1, ndim + 1))
    axis = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(a % ndim + 1 for a in axis)


def _param(args, kwargs, name, position, default=None):
    if name in kwargs:
        return kwargs[name]
    return args[position] if len(args) > position else default


def _reduce(reduction):
    def rule(op, tangents, ans, args, kwargs, size):
        return reduction(tangents[0], axis=_axes(_param(args, kwargs, "axis", 1), args[0].ndim),
                         keepdims=bool(_param(args, kwargs, "keepdims", 2, False)))
    return rule


def _reshape(op, tangents, ans, args, kwargs, size):
    return tangents[0].reshape((size,) + ans.shape)


def _transpose(op, tangents, ans, args, kwargs, size):
    ndim = args[0].ndim
    axes = _param(args, kwargs, "axes", 1)
    axes = tuple(reversed(range(ndim))) if axes is None else tuple(a % ndim for a in axes)
    return np.transpose(tangents[0], (0,) + tuple(a + 1 for a in axes))


def _swapaxes(op, tangents, ans, args, kwargs, size):
    ndim = args[0].ndim
    axis1, axis2 = _param(args, kwargs, "axis1", 1), _param(args, kwargs, "axis2", 2)
    return np.swapaxes(tangents[0], axis1 % ndim + 1, axis2 % ndim + 1)


def _broadcast_to(op, tangents, ans, args, kwargs, size):
    return np.broadcast_to(_align(tangents[0], ans.ndim), (size,) + ans.shape)


def _sum_to(op, tangents, ans, args, kwargs, size):
    t = tangents[0]
    return np.stack([sum_to_array(t[b], ans.shape) for b in range(size)])


def _is_basic(part):
    return part is None or part is Ellipsis or isinstance(part, (int, np.integer, slice))


def _getitem(op, tangents, ans, args, kwargs, size):
    key = _param(args, kwargs, "key", 1)
    parts = key if isinstance(key, tuple) else (key,)
    if parts and parts[0] is Ellipsis and all(_is_basic(p) for p in parts):
        return tangents[0][parts]
    if all(_is_basic(p) for p in parts):
        return tangents[0][(slice(None),) + parts]
    return None


def _joined(join):
    def rule(op, tangents, ans, args, kwargs, size):
        parts = [np.zeros((size,) + np.shape(a), ans.dtype) if t is None else t
                 for a, t in zip(args, tangents)]
        axis = kwargs.get("axis", 0)
        if axis is None:            # concatenate(axis=None): each part flattened first
            return join([p.reshape(size, -1) for p in parts], axis=1)
        return join(parts, axis=axis % ans.ndim + 1)
    return rule


def _matmul(op, tangents, ans, args, kwargs, size):
    a, b = args
    if a.ndim > 2 or b.ndim > 2:
        return None
    ta, tb = tangents
    total = None
    if ta is not None:
        total = ta @ b
    if tb is not None:
        if b.ndim == 1:
            part = tb @ a if a.ndim == 1 else (a @ tb[..., None])[..., 0]
        else:
            part = a @ tb
        total = part if total is None else total + part
    return total


_RULES = {
    "sum": _reduce(np.sum), "mean": _reduce(np.mean), "reshape": _reshape,
    "expand_dims": _reshape, "squeeze": _reshape, "flatten": _reshape,
    "transform_input": _reshape, "transpose": _transpose, "swapaxes": _swapaxes,
    "broadcast_to": _broadcast_to, "sum_to": _sum_to, "getitem": _getitem,
    "stack": _joined(np.stack), "concatenate": _joined(np.concatenate), "matmul": _matmul,
}


def batched_step(op, rule, tangents, ans, args, kwargs, size, one_step):
    """``(size,) + ans.shape`` tangents of one node; ``one_step(tangents)`` is the
    unbatched JVP, used per tangent when the op has no batched form."""
    result = None
    if op.elementwise and rule is not None:     # (None: a complex node, see forward.py)
        result = _elementwise(op, tangents, ans, args, kwargs, size)
    elif op.name in _RULES:
        result = _RULES[op.name](op, tangents, ans, args, kwargs, size)
    if result is not None:
        return result
    columns = []
    for b in range(size):
        column = one_step([None if t is None else t[b] for t in tangents])
        columns.append(np.zeros(ans.shape, ans.dtype) if column is None else column)
    return np.stack(columns)
