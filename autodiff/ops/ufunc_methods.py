"""A ufunc's methods on Tensors: ``np.add.reduce``, ``np.multiply.accumulate``,
``np.subtract.outer`` ...

- ``outer`` works for every two-input ufunc that runs an op: ``f.outer(a, b)`` is
  ``f`` of ``a`` with one new axis per axis of ``b``, against ``b``, NumPy's own
  definition, so the values are NumPy's and the gradient is the op's.
- ``reduce`` and ``accumulate`` run the reduction that is NumPy's own for that ufunc
  (``np.sum`` is ``np.add.reduce``, ``np.cumsum`` is ``np.add.accumulate``): an op
  declares them in its ``numpy=`` with the adapters made here (``ops/reduce.py``,
  ``ops/multiplicative.py``, ``ops/cumulative.py``, ``ops/ufunc_differences.py`` for
  ``np.subtract`` and ``np.divide``), and ``reduce``'s default axis is 0, as NumPy's;
  ``initial=`` and ``where=`` of ``add``, ``multiply``, ``maximum`` and ``minimum``'s
  ``reduce`` are those of ``np.sum``, ``np.prod``, ``np.max`` and ``np.min``, and
  ``np.logaddexp.reduce``'s and ``np.logaddexp2.reduce``'s are their ops' own;
  ``np.fmax.reduce`` and ``np.fmin.reduce`` with them run their own reduction of the
  entries ``where=`` keeps, then ``fmax``/``fmin`` with ``initial=``.
- ``reduce`` and ``accumulate`` of the other two-input ufuncs that run an op
  (``np.hypot.reduce``, ``np.power.accumulate``, ``np.logical_and.reduce`` ...) apply
  the op one slice at a time, in NumPy's order (``sequential_reduce`` /
  ``sequential_accumulate``), with ``reduce``'s ``initial=`` and ``where=``, so the values
  are NumPy's to the bit and the gradient is the op's, step by step (over an empty
  axis, ``initial=`` or the identity everywhere: zero for the input, one for a Tensor
  ``initial=``).
- ``reduceat`` is ``np.add.reduceat``, the extremes' (``np.maximum.reduceat`` ...),
  ``np.multiply``'s, ``np.subtract``'s and ``np.divide``'s (``ops/segment_sums.py``); for
  the other two-input ufuncs that run an op it applies the op one slice at a time within
  each segment (``sequential_reduceat``), in NumPy's order.
- ``at`` writes in place (``ops/ufunc_at.py``): recorded for ``np.add.at`` and
  ``np.subtract.at``, refused for the others while recording.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..tensor import Tensor
from .operands import numpy_axis
from .registry import REGISTRY

_NO_VALUE = np._NoValue

#: The ufunc reductions that are NumPy's masked ones (np.sum is np.add.reduce ...): with
#: initial= or where=, they run ``masked_reduction`` under that name.
_MASKED_REDUCTIONS = {"add.reduce": "sum", "multiply.reduce": "prod",
                      "maximum.reduce": "max", "minimum.reduce": "min"}
#: The ufunc reductions whose op takes initial= and where= itself.
_OWN_MASKING = {"logaddexp.reduce", "logaddexp2.reduce"}
#: The ufunc reductions that, with initial= or where=, run ``sequential_reduce`` (which
#: for a float or complex input runs their own reduction: ``_skipping_masked_entries``).
_SEQUENTIAL_MASKING = {"fmax.reduce": np.fmax, "fmin.reduce": np.fmin}
#: Of those, the ones that skip NaNs: a float input's masked entries can read as NaN.
_NAN_SKIPPING = (np.fmax, np.fmin)


def outer(op: Callable, ufunc: np.ufunc, a, b) -> Tensor:
    """``ufunc.outer(a, b)`` with ``op`` (the op that runs ``ufunc``).

    >>> np.subtract.outer(ad.tensor([10.0, 20.0]), ad.tensor([1.0, 2.0, 3.0]))
    tensor([[ 9.,  8.,  7.],
            [19., 18., 17.]])
    """
    from .operands import as_numpy_converts
    from .shape import reshape
    a_shape, b_ndim = np.shape(_data(a)), np.ndim(_data(b))
    if not isinstance(a, Tensor):
        a = Tensor(np.asarray(a))
    return op(reshape(a, a_shape + (1,) * b_ndim), as_numpy_converts(b))


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def reduce_adapter(numpy_name: str, op_name: str) -> Callable:
    """``ufunc.reduce``'s signature (``numpy_name``, e.g. "add.reduce") mapped onto the
    reduction op ``op_name``."""
    def reduce(array, axis=0, dtype=None, out=None, keepdims=False, initial=_NO_VALUE,
               where=True):
        axis = numpy_axis(axis)
        masked = _MASKED_REDUCTIONS.get(numpy_name)
        if masked and (initial is not _NO_VALUE or where is not True):
            # np.sum is np.add.reduce: the same masked reduction as np.sum(where=, initial=)
            from .masked_reductions import masked_reduction
            _refuse(numpy_name, dtype=dtype, out=out)
            return masked_reduction(masked, array, axis, bool(keepdims), initial, where,
                                    f"np.{numpy_name}")
        ufunc = _SEQUENTIAL_MASKING.get(numpy_name)
        if ufunc is not None and (initial is not _NO_VALUE or where is not True):
            from .numpy_dispatch import NUMPY_UFUNCS
            return sequential_reduce(NUMPY_UFUNCS[ufunc], ufunc, array, axis, dtype, out,
                                     keepdims, initial, where)
        if numpy_name in _OWN_MASKING:
            _refuse(numpy_name, dtype=dtype, out=out)
            masking = {} if initial is _NO_VALUE else {"initial": initial}
            if where is not True:
                masking["where"] = np.asarray(_data(where))
            return REGISTRY[op_name](array, axis=axis, keepdims=bool(keepdims), **masking)
        _refuse(numpy_name, dtype=dtype, out=out,
                initial=None if initial is _NO_VALUE else initial,
                where=None if where is True else where)
        return REGISTRY[op_name](array, axis=axis, keepdims=bool(keepdims))
    reduce.__name__ = numpy_name
    return reduce


def accumulate_adapter(numpy_name: str, op_name: str) -> Callable:
    """``ufunc.accumulate``'s signature mapped onto the running op ``op_name``."""
    def accumulate(array, axis=0, dtype=None, out=None):
        _refuse(numpy_name, dtype=dtype, out=out)
        ndim = np.ndim(_data(array))
        if ndim == 0:
            raise TypeError(f"numpy.{numpy_name}: cannot accumulate on a scalar (the input "
                            "is 0-d), as NumPy says; pass an array of at least one dimension")
        if type(axis) is tuple and len(axis) == 1:
            axis = axis[0]
        if axis is None and ndim == 1:
            axis = 0
        if axis is None or type(axis) is tuple:
            raise ValueError(f"numpy.{numpy_name}: accumulate does not allow multiple axes "
                             f"(axis={axis!r} on an input of shape {np.shape(_data(array))}), "
                             "as NumPy says; give one axis")
        return REGISTRY[op_name](array, axis)
    accumulate.__name__ = numpy_name
    return accumulate


def _refuse(name, **given):
    used = sorted(k for k, v in given.items() if v is not None)
    if used:
        raise TypeError(f"numpy.{name} on a Tensor: the argument(s) {used} are not supported "
                        "by autodiff; call it without them")


def sequential_reduce(op: Callable, ufunc: np.ufunc, array, axis=0, dtype=None, out=None,
                      keepdims=False, initial=_NO_VALUE, where=True):
    """``ufunc.reduce`` as NumPy computes it for a ufunc without a reduction of its own:
    from ``initial=`` (or the ufunc's identity, or the first slice, without either) the
    op applied to each slice along the reduced axes in turn, those axes taken in C
    order, the slices that ``where=`` masks out skipped.

    >>> np.hypot.reduce(ad.tensor([[3.0, 4.0], [4.0, 3.0]]), axis=1)
    tensor([5., 5.])
    >>> np.hypot.reduce(ad.tensor([3.0, 4.0, 99.0]), initial=12.0, where=[True, True, False])
    tensor(13.)
    """
    from ..compile.hooks import made
    from .shape import broadcast_to, reshape
    from .elementwise import astype
    from .elementwise import where as select
    name = f"{ufunc.__name__}.reduce"
    _refuse(name, dtype=dtype, out=out)
    from ..compile.refusals import refuse_traced_values
    refuse_traced_values(where, name, "it skips the entries its where= mask leaves out, "
                         "reading the mask in Python, and a replay may give it another",
                         "Give it a mask fixed across calls (a NumPy array the function "
                         "captures), or call it outside the compiled function")
    array = array if isinstance(array, Tensor) else Tensor(np.asarray(array))
    data = array.data
    mask = np.asarray(_data(where), dtype=bool)
    masking = {} if initial is _NO_VALUE else {"initial": _data(initial)}
    if where is not True:
        masking["where"] = mask
    # NumPy's own checks (an axis out of range, several axes of a ufunc that is not
    # reorderable, a mask without an identity or initial=, the dtypes) and result dtype
    probe = _numpy_checked(ufunc.reduce, name, data, axis=axis, keepdims=keepdims, **masking)
    axes = tuple(range(data.ndim)) if axis is None else np.lib.array_utils.normalize_axis_tuple(
        axis, data.ndim)
    if ufunc in _NAN_SKIPPING and data.dtype.kind in "fc" and all(data.shape[a] for a in axes):
        return _skipping_masked_entries(op, ufunc, array, mask if where is not True else None,
                                        axes, keepdims, initial, probe)
    kept = [a for a in range(data.ndim) if a not in axes]
    kept_shape = tuple(data.shape[a] for a in kept)
    # (the lane count spelled out: -1 cannot be inferred when a kept axis is empty)
    lane_count = int(np.prod([data.shape[a] for a in axes], dtype=np.int64))
    lanes = reshape(np.transpose(array, list(axes) + kept), (lane_count,) + kept_shape)
    start = initial if initial is not _NO_VALUE else (
        ufunc.identity if where is not True else None)
    if lanes.shape[0] == 0:                        # (initial= or the identity everywhere)
        # (NumPy's result again through made: a compiled function's replay computes it)
        probe = made(name, ufunc.reduce, (data,), dict(axis=axis, keepdims=keepdims, **masking))
        return _nothing_reduced(array, axes, keepdims, probe, initial)
    if start is None:
        # from the identity where there is one: np.hypot.reduce([-3.0]) is 3.0
        result = lanes[0] if ufunc.identity is None else op(ufunc.identity, lanes[0])
        first = 1
    elif isinstance(start, Tensor):                # (initial= on the tape)
        result, first = start if start.dtype == probe.dtype else astype(start, probe.dtype), 0
    else:
        result, first = probe.dtype.type(start), 0     # (NumPy casts initial= first)
    order = tuple(axes) + tuple(kept)
    for i in range(first, lanes.shape[0]):
        step = op(result, lanes[i])
        if where is True:
            result = step
            continue
        # made, so that a compiled function replays the captured mask's lane
        lane_mask = made("where mask", _lane_mask, (mask, data.shape, order, kept_shape, i))
        result = step if lane_mask.all() else select(lane_mask, step, result)
    if not isinstance(result, Tensor):             # (every slice masked out)
        return Tensor(probe)
    result = astype(result, np.result_type(probe)) if result.dtype != probe.dtype else result
    if result.shape != kept_shape:                 # (a Tensor initial=, all masked out)
        result = broadcast_to(result, kept_shape)
    if keepdims:
        result = reshape(result, tuple(
            1 if a in axes else data.shape[a] for a in range(data.ndim)))
    return result


def _skipping_masked_entries(op, ufunc, array, mask, axes, keepdims, initial, probe):
    """``np.fmax.reduce`` / ``np.fmin.reduce`` of a float or complex tensor with
    ``initial=`` (a number or a Tensor) or ``where=``: the entries ``where=`` leaves
    out read as NaN, which the ufunc skips, reduced by the one op, then combined with
    ``initial=``.  NumPy's result, with ties splitting the gradient evenly as the
    reduction without them does (slice by slice, the earlier of two equal entries got a
    quarter of it and the later a half)."""
    from ..compile.hooks import made
    from .elementwise import where as select
    if mask is not None:
        # made, so that a compiled function replays the captured mask
        mask = made("where mask", np.broadcast_to, (mask, array.shape))
        array = select(mask, array, np.nan)
    result = REGISTRY[f"{ufunc.__name__}_reduce"](array, axis=axes, keepdims=bool(keepdims))
    if isinstance(initial, Tensor):                # (initial= on the tape)
        from .elementwise import astype
        result = op(result, initial if initial.dtype == probe.dtype
                    else astype(initial, probe.dtype))
    elif initial is not _NO_VALUE:
        result = op(result, probe.dtype.type(initial))   # (NumPy casts initial= first)
    return result


def _numpy_checked(method, name, data, **options):
    """``method(data, **options)`` (a ufunc's method on the input's array), its error
    naming ``numpy.<name>`` and the input's shape and dtype."""
    from .operands import NO_LOOP_ADVICE, no_ufunc_loop
    try:
        return method(data, **options)
    except (TypeError, ValueError) as error:
        text = f"numpy.{name} on a Tensor of shape {data.shape} and dtype {data.dtype}: {error}"
        if no_ufunc_loop(str(error)):
            text += f". {NO_LOOP_ADVICE}"
        try:
            explained = type(error)(text)
        except Exception:
            explained = ValueError(text)
        raise explained from None


def _nothing_reduced(array, axes, keepdims, probe, initial):
    """NumPy's result (``probe``) of a reduction over empty axes, ``initial=`` or the
    ufunc's identity everywhere, on the tape for a float input or a Tensor ``initial=``:
    its gradient is zero for the input and, for a Tensor ``initial=``, one per entry."""
    from .elementwise import astype
    from .reduce import sum
    if array.dtype.kind not in "fc" and not isinstance(initial, Tensor):
        return Tensor(probe)
    # (the empty sum is +0, which subtracted keeps every value, -0.0 included)
    zeros = sum(array, axis=axes, keepdims=bool(keepdims))
    result = (initial if isinstance(initial, Tensor) else probe) - zeros
    return astype(result, probe.dtype) if result.dtype != probe.dtype else result


def _lane_mask(mask, shape, order, kept_shape, i):
    """Lane ``i`` of ``where=`` (``mask`` broadcast to ``shape``) with the reduced axes
    first (``order``), flattened into one: the entries of ``kept_shape`` it keeps."""
    reduced = order[:len(order) - len(kept_shape)]
    lane_count = int(np.prod([shape[a] for a in reduced], dtype=np.int64))
    return np.transpose(np.broadcast_to(mask, shape), order).reshape(
        (lane_count,) + kept_shape)[i]


def sequential_reduceat(op: Callable, ufunc: np.ufunc, array, indices, axis=0, dtype=None,
                        out=None):
    """``ufunc.reduceat`` as NumPy computes it for a ufunc without one of its own: for
    each index i, the slices from ``indices[i]`` up to ``indices[i + 1]`` (or the end)
    combined by the op in turn from the first, and the slice at ``indices[i]`` alone
    where the next index is not larger.

    >>> np.hypot.reduceat(ad.tensor([3.0, 4.0, -5.0, 12.0]), [0, 2, 2])
    tensor([ 5., -5., 13.])
    """
    from .elementwise import astype
    from .segment_sums import _refuse_traced_indices
    name = f"{ufunc.__name__}.reduceat"
    _refuse(name, dtype=dtype, out=out)
    _refuse_traced_indices(name, indices)
    array = array if isinstance(array, Tensor) else Tensor(np.asarray(array))
    probe = ufunc.reduceat(array.data, _data(indices), axis=axis)   # NumPy's checks, dtype
    positions = np.asarray(_data(indices)).astype(np.intp)        # (as NumPy casts them)
    if positions.size == 0:
        return Tensor(probe)                       # (no segments: NumPy's empty result)
    axis = np.lib.array_utils.normalize_axis_index(axis, array.ndim)
    slices = np.moveaxis(array, axis, 0)
    ends = list(positions[1:]) + [slices.shape[0]]
    segments = []
    for begin, end in zip(positions, ends):
        result = slices[int(begin)]
        for j in range(int(begin) + 1, int(end)):
            result = op(result, slices[j])
        segments.append(result if result.dtype == probe.dtype else astype(result, probe.dtype))
    return np.stack(segments, axis=axis)


def sequential_accumulate(op: Callable, ufunc: np.ufunc, array, axis=0, dtype=None,
                          out=None):
    """``ufunc.accumulate`` as NumPy computes it for a ufunc without a running op of
    its own: the first slice as it is (in the result's dtype), then the op of the
    running value and each next slice.

    >>> np.hypot.accumulate(ad.tensor([3.0, 4.0, 12.0]))
    tensor([ 3.,  5., 13.])
    """
    from .elementwise import astype
    name = f"{ufunc.__name__}.accumulate"
    _refuse(name, dtype=dtype, out=out)
    array = array if isinstance(array, Tensor) else Tensor(np.asarray(array))
    data = array.data
    probe = ufunc.accumulate(np.ones((1,) * max(data.ndim, 1), data.dtype), axis=axis)
    axis = np.lib.array_utils.normalize_axis_index(axis, data.ndim)
    if data.shape[axis] == 0:
        return Tensor(ufunc.accumulate(data, axis=axis))
    slices = np.moveaxis(array, axis, 0)
    running = slices[0] if slices.dtype == probe.dtype else astype(slices[0], probe.dtype)
    steps = [running]
    for i in range(1, slices.shape[0]):
        running = op(running, slices[i])
        steps.append(running)
    return np.stack(steps, axis=axis)
