"""``np.pad`` in modes 'reflect' and 'symmetric' with ``reflect_type='odd'``: each
padded entry is ``2 * edge - mirrored``, the mirror image turned about the edge value.

Built as NumPy builds it (``numpy/lib/_arraypad_impl.py``): axis by axis on the array
already padded along the earlier axes, and along an axis in chunks at most as long as
the area filled so far (a pad wider than the array reflects the padding too, about the
new edge), with NumPy's arithmetic, so the values are NumPy's to the bit.  Each chunk
is a gather (``take``) of the filled area and a product and difference with its edge,
so the gradient reaches the entries it was mirrored from and the edges.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made     # (computed again at each replay of ad.compile)
from .indexing import take
from .shape import concatenate


def _positions(first: int, step: int, count: int):
    """``count`` positions from ``first`` by ``step``, the entries a chunk gathers."""
    return made("odd reflection positions", _arithmetic, (first, step, count))


def _arithmetic(first, step, count):
    return first + step * np.arange(count)


def _along(axis: int, part: slice) -> tuple:
    return (slice(None),) * axis + (part,)


def _filled_length(length: int, period: int, symmetric: bool) -> int:
    """How much of the filled area a chunk may mirror (NumPy's ``old_length``): whole
    periods of the original length, without the edge itself for 'reflect'."""
    if symmetric:
        return length // period * period
    return (length - 1) // (period - 1) * (period - 1)


def _pad_axis(filled, axis: int, left: int, right: int, symmetric: bool):
    """``filled`` padded along ``axis`` by ``left`` and ``right`` odd reflections."""
    period = filled.shape[axis]
    if period == 1:         # (NumPy's legacy rule: a single entry is repeated)
        return take(filled, _positions(0, 0, left + 1 + right), axis=axis)
    offset = 1 if symmetric else 0
    while left > 0 or right > 0:
        length = filled.shape[axis]
        usable = _filled_length(length, period, symmetric)
        parts = [filled]
        if left > 0:
            count = min(usable, left)
            mirrored = take(filled, _positions(count - offset, -1, count), axis=axis)
            parts.insert(0, 2 * filled[_along(axis, slice(0, 1))] - mirrored)
            left -= count
        if right > 0:
            count = min(usable, right)
            mirrored = take(filled, _positions(length - 2 + offset, -1, count), axis=axis)
            parts.append(2 * filled[_along(axis, slice(length - 1, length))] - mirrored)
            right -= count
        filled = concatenate(parts, axis=axis)
    return filled


def pad_odd(array, pairs, mode: str):
    """``np.pad(array, pairs, mode=mode, reflect_type='odd')`` recorded on the tape
    (``mode`` 'reflect' or 'symmetric', ``pairs`` one ``(before, after)`` per axis).

    >>> pad_odd(ad.tensor([1.0, 2.0, 4.0]), [(2, 1)], "reflect")
    tensor([-2.,  0.,  1.,  2.,  4.,  6.])
    """
    padded = array
    for axis, (left, right) in enumerate(pairs):
        if left or right:
            padded = _pad_axis(padded, axis, left, right, mode == "symmetric")
    return padded
