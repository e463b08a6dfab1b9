"""``np.subtract.reduce``/``.accumulate`` and ``np.divide.reduce``/``.accumulate`` on
Tensors: the first entry of a lane minus (or divided by) each later one in turn.

The forwards are NumPy's own, so the values are NumPy's to the bit (a running
difference rounds after each step, which ``x[0] - sum(x[1:])`` would not).  Along the
lane, ``r = x0 - x1 - ... - xk`` passes ``g`` to ``x0`` and ``-g`` to each later entry;
``r = x0 / x1 / ... / xk`` passes ``g / (x1 ... xk)`` to ``x0`` (finite also where x0
is 0) and ``-g r / xj`` to each later entry.  A running version sums those over the
outputs each entry reaches.  NumPy refuses more than one axis (the ufuncs are not
reorderable); ``reduce``'s default axis is 0, as NumPy's.
"""

from __future__ import annotations

import numpy as np

from .cumulative import reverse_cumsum
from .registry import defop
from .ufunc_methods import accumulate_adapter, reduce_adapter


def _lane_axis(shape, axis):
    """The one axis a reduction or running op of an input of ``shape`` works along, or
    None where it reduces nothing (a 0-d input, ``axis=()``: the result is the input)."""
    if len(shape) == 0 or axis == ():
        return None
    if type(axis) is tuple:
        (axis,) = axis
    return 0 if axis is None else axis % len(shape)


def _first(shape, axis):
    """A constant mask, True at the first entry along ``axis`` (size 1 elsewhere)."""
    lane = [1] * len(shape)
    lane[axis] = shape[axis]
    return (np.arange(shape[axis]) == 0).reshape(lane)


def _kept(xp, g, shape, axis, keepdims):
    """``g`` of a reduction of an input of ``shape`` with the reduced axis kept (size 1)."""
    if keepdims:
        return g
    return xp.reshape(g, shape[:axis] + (1,) + shape[axis + 1:])


def _subtract_reduce_rule(xp, g, ans, x, axis=0, keepdims=False):
    axis = _lane_axis(x.shape, axis)
    if axis is None:
        return g
    return _kept(xp, g, x.shape, axis, keepdims) * np.where(_first(x.shape, axis), 1.0, -1.0)


def _subtract_accumulate_rule(xp, g, ans, x, axis=0):
    axis = _lane_axis(x.shape, axis)
    return reverse_cumsum(xp, g, axis) * np.where(_first(x.shape, axis), 1.0, -1.0)


def _later_product(xp, x, axis):
    """The product of the entries after the first along ``axis`` (kept, size 1)."""
    later = (slice(None),) * axis + (slice(1, None),)
    return xp.prod(x[later], axis=axis, keepdims=True)


def _divide_reduce_rule(xp, g, ans, x, axis=0, keepdims=False):
    axis = _lane_axis(x.shape, axis)
    if axis is None:
        return g
    first = _first(x.shape, axis)
    g, ans = _kept(xp, g, x.shape, axis, keepdims), _kept(xp, ans, x.shape, axis, keepdims)
    later = xp.where(first, 1.0, x)            # (the first entry's own division is unused)
    return xp.where(first, g / _later_product(xp, x, axis), -g * ans / later)


def _divide_accumulate_rule(xp, g, ans, x, axis=0):
    # out_k = x0 / (x1 ... xk): x0 gets sum_k g_k out_k / x0 written as
    # sum_k g_k / (x1 ... xk), and xj (j >= 1) gets -sum_{k >= j} g_k out_k / xj.
    axis = _lane_axis(x.shape, axis)
    first = _first(x.shape, axis)
    later = xp.where(first, 1.0, x)
    divisors = xp.cumprod(later, axis=axis)    # x1 ... xk (1 for k = 0)
    to_first = xp.sum(g / divisors, axis=axis, keepdims=True)
    return xp.where(first, to_first, -reverse_cumsum(xp, g * ans, axis) / later)


def _subtract_reduce_forward(x, axis=0, keepdims=False):
    return np.subtract.reduce(x, axis=axis, keepdims=keepdims)


def _subtract_accumulate_forward(x, axis=0):
    return np.subtract.accumulate(x, axis=axis)


def _divide_reduce_forward(x, axis=0, keepdims=False):
    return np.divide.reduce(x, axis=axis, keepdims=keepdims)


def _divide_accumulate_forward(x, axis=0):
    return np.divide.accumulate(x, axis=axis)


subtract_reduce = defop(
    "subtract_reduce", _subtract_reduce_forward,
    numpy={np.subtract.reduce: reduce_adapter("subtract.reduce", "subtract_reduce")},
    doc="``x[0] - x[1] - ...`` along ``axis``, as ``np.subtract.reduce``; the gradient "
        "is g for the first entry and -g for the others.\n\n"
        ">>> np.subtract.reduce(ad.tensor([10.0, 1.0, 2.0]))\ntensor(7.)",
    x=("g at the first entry, -g at the later ones", _subtract_reduce_rule),
    axis=None, keepdims=None, reads=())

subtract_accumulate = defop(
    "subtract_accumulate", _subtract_accumulate_forward,
    numpy={np.subtract.accumulate: accumulate_adapter("subtract.accumulate",
                                                      "subtract_accumulate")},
    doc="Running ``x[0] - x[1] - ...`` along ``axis``, as ``np.subtract.accumulate``.\n\n"
        ">>> np.subtract.accumulate(ad.tensor([10.0, 1.0, 2.0]))\ntensor([10.,  9.,  7.])",
    x=("running sum of g from the end, negated after the first entry",
       _subtract_accumulate_rule),
    axis=None, reads=())

divide_reduce = defop(
    "divide_reduce", _divide_reduce_forward,
    numpy={np.divide.reduce: reduce_adapter("divide.reduce", "divide_reduce")},
    doc="``x[0] / x[1] / ...`` along ``axis``, as ``np.divide.reduce``.\n\n"
        ">>> np.divide.reduce(ad.tensor([12.0, 2.0, 3.0]))\ntensor(2.)",
    x=("g / (x1 ... xk) at the first entry, -g * ans / x at the later ones",
       _divide_reduce_rule),
    axis=None, keepdims=None, reads={"x": ("x", "ans")})

divide_accumulate = defop(
    "divide_accumulate", _divide_accumulate_forward,
    numpy={np.divide.accumulate: accumulate_adapter("divide.accumulate",
                                                    "divide_accumulate")},
    doc="Running ``x[0] / x[1] / ...`` along ``axis``, as ``np.divide.accumulate``.\n\n"
        ">>> np.divide.accumulate(ad.tensor([12.0, 2.0, 3.0]))\ntensor([12.,  6.,  2.])",
    x=("sum over later outputs of g / (x1 ... xk) at the first entry, "
       "-(running sum of g * ans from the end) / x at the later ones",
       _divide_accumulate_rule),
    axis=None, reads={"x": ("x", "ans")})
