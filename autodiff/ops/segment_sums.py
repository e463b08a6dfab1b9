"""``np.add.reduceat``: sums over segments of an axis; ``np.maximum.reduceat``,
``np.minimum.reduceat``, ``np.fmax.reduceat`` and ``np.fmin.reduceat``: extremes over
segments, ``np.multiply.reduceat`` products and ``np.subtract.reduceat`` /
``np.divide.reduceat`` running differences and quotients (``a[i] - a[i+1] - ...``), each
segment reduced with the ufunc's ``reduce``.

Output i sums ``a[indices[i]:indices[i+1]]`` along the axis (the last one runs to the
end) where ``indices[i] < indices[i+1]``, and is ``a[indices[i]]`` alone otherwise,
NumPy's rule.  The forward is NumPy's.  The gradient of each entry is the sum of ``g``
over the segments it is in: ``g`` gathered once per (segment, entry) pair and
scatter-added back, so no sum is formed by subtracting running totals (which would
cancel when ``g`` spans many orders of magnitude).  It is linear in ``g``, so every
order goes through the same two ops.
"""

from __future__ import annotations

import numpy as np

from ..compile.refusals import refuse_traced_values
from ..tensor import Tensor
from .numpy_dispatch import implements
from .operands import python_numbers
from .ufunc_methods import _refuse
from .registry import defop


def segment_members(indices: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For ``np.add.reduceat`` along an axis of length ``n``: every (segment, position)
    pair, as two arrays (segment numbers, positions).

    >>> segment_members(np.array([0, 3, 1]), 4)
    (array([0, 0, 0, 1, 2, 2, 2]), array([0, 1, 2, 3, 1, 2, 3]))
    """
    ends = np.append(indices[1:], n)
    ends = np.where(ends > indices, ends, indices + 1)
    lengths = ends - indices
    segment = np.repeat(np.arange(len(indices)), lengths)
    offset = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return segment, np.repeat(indices, lengths) + offset


def _reduceat_forward(x, indices, axis=0):
    return np.add.reduceat(x, indices, axis=axis)


def _reduceat_rule(xp, g, ans, x, indices, axis=0):
    axis %= x.ndim
    segment, position = segment_members(np.asarray(indices, dtype=np.intp), x.shape[axis])
    spread = xp.take(g, segment, axis=axis)
    return xp.index_add(spread, x.shape, (slice(None),) * axis + (position,))


def _refuse_traced_indices(name, indices):
    refuse_traced_values(indices, name, "it slices the segments at the values of its "
                         "indices, and a replay may give it others", "Give it indices "
                         "fixed across calls (a list of numbers, or a NumPy array the "
                         "function captures) rather than a tensor or an argument, or "
                         "call it outside the compiled function")


def _add_reduceat_numpy(array, indices, axis=0, dtype=None, out=None):
    _refuse("add.reduceat", dtype=dtype, out=out)
    raw = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if raw.dtype.kind not in "iu" and raw.size:
        raise TypeError(f"numpy.add.reduceat: indices must be integers, got dtype "
                        f"{raw.dtype} (shape {raw.shape}); convert them, e.g. "
                        "indices.astype(np.intp)")
    if raw.ndim != 1:
        raise ValueError(f"numpy.add.reduceat: indices must be 1-D, got shape {raw.shape}")
    _refuse_traced_indices("add.reduceat", indices)
    # (integer arrays go in as given, not as a copy made here, and lists of numbers
    # through Tensor: a compiled trace keeps them as the constants they are)
    if raw.dtype.kind not in "iu":
        indices = raw.astype(np.intp)           # (an empty list)
    elif isinstance(indices, Tensor):
        indices = raw
    elif python_numbers(indices):
        indices = Tensor(indices).data
    return add_reduceat(array, indices, axis)


add_reduceat = defop(
    "add_reduceat", _reduceat_forward, scatters=True, index_inputs={1: "indices"},
    numpy={np.add.reduceat: _add_reduceat_numpy},
    hint="indices must be a 1-D array of integers in [0, n) for an axis of length n, "
         "and axis an int in [-ndim, ndim)",
    doc="Sums over segments along ``axis``, as ``np.add.reduceat``: output i sums "
        "``x[indices[i]:indices[i+1]]``, or is ``x[indices[i]]`` when "
        "``indices[i] >= indices[i+1]``; each entry's gradient sums g over its "
        "segments.\n\n"
        ">>> x = ad.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)\n"
        ">>> y = np.add.reduceat(x, [0, 2, 1])\n"
        ">>> (y * ad.tensor([1.0, 10.0, 100.0])).sum().backward(); y, x.grad\n"
        "(tensor([3., 3., 9.], requires_grad=True), array([  1., 101., 110., 100.]))",
    x=("g gathered by segment, scatter-added to the segment's entries", _reduceat_rule),
    indices=None, axis=None, reads=())


def _segment_reductions(ufunc: np.ufunc):
    """``ufunc.reduceat`` for an extreme (``np.maximum`` ...), a product
    (``np.multiply``) or a running difference or quotient (``np.subtract``,
    ``np.divide``) on a Tensor: each segment sliced and reduced with ``ufunc.reduce``
    (whose gradient goes to the extreme, or is the reduction's), the segments joined;
    the values are NumPy's exactly, as an extreme rounds nothing and NumPy reduces a
    segment in the order its reduce does (left to right)."""
    name = f"{ufunc.__name__}.reduceat"

    def reduceat(array, indices, axis=0, dtype=None, out=None):
        from .shape import concatenate
        _refuse(name, dtype=dtype, out=out)
        array = array if isinstance(array, Tensor) else Tensor(np.asarray(array))
        raw = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
        if raw.dtype.kind not in "iu" and raw.size:
            raise TypeError(f"numpy.{name}: indices must be integers, got dtype {raw.dtype} "
                            f"(shape {raw.shape}); convert them, e.g. indices.astype(np.intp)")
        _refuse_traced_indices(name, indices)
        raw = raw.astype(np.intp)
        ufunc.reduceat(array.data, raw, axis=axis)          # NumPy's checks and messages
        if raw.size == 0:
            return np.take(array, raw, axis=axis)
        axis %= array.ndim
        n = array.shape[axis]
        ends = np.append(raw[1:], n)
        segments = []
        for start, end in zip(raw.tolist(), ends.tolist()):
            index = (slice(None),) * axis + (slice(start, end if end > start else start + 1),)
            segments.append(ufunc.reduce(array[index], axis=axis, keepdims=True))
        return concatenate(segments, axis=axis)

    reduceat.__name__ = f"{ufunc.__name__}_reduceat"
    reduceat.__doc__ = (f"``np.{name}``: output i is the {ufunc.__name__} of "
                        "``a[indices[i]:indices[i+1]]`` along ``axis`` (``a[indices[i]]`` "
                        "when the indices do not increase), as NumPy's; the gradient "
                        + ("goes to each segment's extreme." if ufunc in _EXTREMES else
                           f"is the segment {ufunc.__name__}.reduce's."))
    return reduceat


_EXTREMES = (np.maximum, np.minimum, np.fmax, np.fmin)

for _ufunc in _EXTREMES + (np.multiply, np.subtract, np.divide):
    implements(getattr(_ufunc, "reduceat"))(_segment_reductions(_ufunc))
