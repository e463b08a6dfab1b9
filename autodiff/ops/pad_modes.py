"""``np.pad`` modes that compute the padding from the values: 'maximum', 'minimum',
'mean', 'median' (a statistic of ``stat_length`` entries at each end) and
'linear_ramp' (from ``end_values`` to the edge).

Built axis by axis as NumPy pads: the padding of an axis is computed from the array
already padded along the earlier axes (so the corners come from the last axis), each
side joined on with ``concatenate``.  The statistics and ramps are recorded ops, so the
gradient reaches the entries they were computed from.  An integer or bool array
(which cannot require grad) is padded by NumPy itself.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made     # (computed again at each replay of ad.compile)
from ..tensor import Tensor
from .operands import SEQUENCES, from_nested, holds_tensor
from .shape import concatenate

_STATISTICS = {"maximum": np.max, "minimum": np.min, "mean": np.mean, "median": np.median}
COMPUTING_MODES = tuple(_STATISTICS) + ("linear_ramp",)
_OPTIONS = {"linear_ramp": "end_values"}


def refuse_tensor_values(option: str, value) -> None:
    """Raise for pad's ``constant_values``, ``end_values`` or ``stat_length`` given as
    a Tensor or in a sequence that holds one: they are read as numbers."""
    if isinstance(value, Tensor) or (type(value) in SEQUENCES and holds_tensor(value)):
        raise TypeError(
            f"pad: {option} must be numbers, not Tensors (the padding gets no gradient "
            f"from them); pass the numbers ({option}=t.item(), or t.tolist() for several), "
            "or build the padded array with np.concatenate of Tensors")


def _per_axis(value, ndim):
    """``value`` (a number, a pair, or one pair per axis) as a pair for each axis."""
    pairs = np.broadcast_to(np.asarray(value, dtype=object), (ndim, 2))
    return [tuple(pair) for pair in pairs]


def _end_values_per_axis(value, ndim):
    """``end_values`` as NumPy's pad passes them to ``linspace`` (its ``_as_pairs``):
    NumPy scalars of ``np.array(value)``'s dtype when it holds one or two numbers,
    Python numbers when it holds a pair per axis.  (Which one decides the dtype the
    ramp is computed in: a float64 scalar makes a float32 array's ramp in float64.)"""
    x = np.array(value)
    if x.ndim < 3 and x.size == 1:
        return [(x.ravel()[0],) * 2] * ndim
    if x.ndim < 3 and x.size == 2 and x.shape != (2, 1):
        return [tuple(x.ravel())] * ndim
    return [tuple(pair) for pair in np.broadcast_to(x, (ndim, 2)).tolist()]


def _holds_tensor(value) -> bool:
    return isinstance(value, Tensor) or (type(value) in SEQUENCES and holds_tensor(value))


def _tensor_end_values_per_axis(value, ndim, dtype):
    """``end_values`` that hold Tensors, as ``_end_values_per_axis`` reads numbers: 0-d
    Tensors of ``np.array(value)``'s dtype for one or two values, and for a pair per
    axis of the dtype that Python numbers take next to an array of ``dtype`` (NumPy's
    pad passes them as Python numbers), so that the ramps are computed as NumPy's and
    the gradient reaches the end values."""
    ends = from_nested(value) if type(value) in SEQUENCES else value
    if ends.ndim < 3 and ends.size == 1:
        end = ends.reshape(())
        return [(end, end)] * ndim
    if ends.ndim < 3 and ends.size == 2 and ends.shape != (2, 1):
        flat = ends.reshape(-1)
        return [(flat[0], flat[1])] * ndim
    pairs = np.broadcast_to(ends, (ndim, 2))
    weak = np.result_type(dtype, pairs.dtype.type(0).item())   # (tolist's Python numbers)
    pairs = pairs if pairs.dtype == weak else pairs.astype(weak)
    return [(pairs[axis, 0], pairs[axis, 1]) for axis in range(ndim)]


def _refuse_complex_ramp_gradient(array, ends) -> None:
    """A complex ``linear_ramp`` pad is NumPy's values without a gradient: raise where
    one is asked for, naming the real route."""
    if array.requires_grad or (ends is not None and ends.requires_grad):
        raise TypeError(
            f"pad: mode='linear_ramp' of a complex tensor (shape {array.shape}, dtype "
            f"{array.dtype}) has no gradient rule here; pad the real and imaginary parts "
            "apart, np.pad(t.real, ..., end_values=e.real) + 1j * np.pad(t.imag, ..., "
            "end_values=e.imag) (NumPy's ramp is linear in each), or pad t.detach()")


def _along(axis, ndim, part):
    return (slice(None),) * axis + (part,) + (slice(None),) * (ndim - axis - 1)


def _statistic_sides(current, axis, widths, lengths, reduce):
    n = current.shape[axis]
    left, right = (n if length is None else min(int(length), n) for length in lengths)
    ndim = current.ndim
    start = reduce(current[_along(axis, ndim, slice(0, left))], axis=axis, keepdims=True)
    end = reduce(current[_along(axis, ndim, slice(n - right, n))], axis=axis, keepdims=True)
    return start, end


def _ramp_sides(current, axis, widths, ends):
    ndim, n = current.ndim, current.shape[axis]
    first = current[_along(axis, ndim, 0)]
    last = current[_along(axis, ndim, n - 1)]
    start = np.linspace(ends[0], first, widths[0], endpoint=False, dtype=current.dtype,
                        axis=axis)
    end = np.linspace(ends[1], last, widths[1], endpoint=False, dtype=current.dtype,
                      axis=axis)
    return start, end[_along(axis, ndim, slice(None, None, -1))]


def pad_computing(array, pairs, mode: str, kwargs: dict) -> Tensor:
    """``np.pad(array, pairs, mode=mode, **kwargs)`` for the modes above, recorded.

    >>> x = ad.tensor([1.0, 2.0, 6.0], requires_grad=True)
    >>> y = np.pad(x, (1, 2), mode="mean")
    >>> y.sum().backward(); y, x.grad
    (tensor([3., 1., 2., 6., 3., 3.], requires_grad=True), array([2., 2., 2.]))
    """
    option = _OPTIONS.get(mode, "stat_length")
    unknown = set(kwargs) - {option}
    if unknown:
        raise TypeError(f"pad: the argument(s) {sorted(unknown)} do not apply to "
                        f"mode={mode!r}")
    given = kwargs.get(option, 0 if mode == "linear_ramp" else None)
    ramp_from_tensors = mode == "linear_ramp" and _holds_tensor(given)
    if ramp_from_tensors:       # (their values, for NumPy's checks and integer arrays)
        given = from_nested(given) if type(given) in SEQUENCES else given
        kwargs = {option: given.data}
    else:
        refuse_tensor_values(option, given)
    data = array.data
    complex_ramp = mode == "linear_ramp" and data.dtype.kind == "c"
    if complex_ramp:
        _refuse_complex_ramp_gradient(array, given if ramp_from_tensors else None)
    if data.dtype.kind not in "fc" or complex_ramp:   # (no gradient: NumPy's rounding of ints)
        return Tensor(made("pad", np.pad, (data, pairs), {"mode": mode, **kwargs}))
    # NumPy's checks and messages (an empty axis, a stat_length of 0), on a corner
    np.pad(data[(slice(0, 1),) * data.ndim], pairs, mode=mode, **kwargs)
    if ramp_from_tensors:
        options = _tensor_end_values_per_axis(given, data.ndim, data.dtype)
    else:
        per_axis = _end_values_per_axis if mode == "linear_ramp" else _per_axis
        options = per_axis(given, data.ndim)
    current = array
    for axis, (widths, extra) in enumerate(zip(pairs, options)):
        if widths == (0, 0):
            continue
        if mode == "linear_ramp":
            start, end = _ramp_sides(current, axis, widths, extra)
        else:
            start, end = _statistic_sides(current, axis, widths, extra, _STATISTICS[mode])
        shape = list(current.shape)
        parts = []
        for side, width in ((start, widths[0]), (end, widths[1])):
            shape[axis] = width
            parts.append(np.broadcast_to(side, tuple(shape)))
        current = concatenate([parts[0], current, parts[1]], axis=axis)
    return current
