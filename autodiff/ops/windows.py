"""Sliding windows: ``np.lib.stride_tricks.sliding_window_view`` on Tensors.

Each output entry is one input entry, and an input entry appears in every window
that covers it, so the gradient is the adjoint, a scatter-add of every window back
to where it was taken from (``sliding_window_adjoint``).  It loops over the offsets
inside a window (``prod(window_shape)`` steps), each adding the whole slab of
windows at that offset into a shifted slice of the input's shape, never over
output entries.  Both ops are linear and each one's gradient is the other, so
higher orders come for free.

The forward returns NumPy's read-only view of the input's memory, so the windows
show a later in-place update of the input, as NumPy's do: one under ``ad.no_grad()``
writes into that memory, and a recorded one moves the windows to the updated value
(they are linked to the input as a layout, ``layout_views.py``, and taken again,
recorded, so gradients flow through the update).  A window overlaps its neighbours,
so a write through one (which NumPy refuses by making them read-only) could not be
recorded: ``writeable=True`` is refused, and so is an in-place update of the result
(or of a view of it) in grad mode, where it would otherwise be recorded as a new
value that never reaches the input (``inplace.READ_ONLY_OUTPUTS``).
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import inplace
from ..tensor import Tensor
from .operands import array_of
from .registry import defop, implements

_sliding = np.lib.stride_tricks.sliding_window_view


def window_view(x, window_shape: tuple, axis: tuple):
    """NumPy's read-only view of the windows of array ``x`` (``window_shape`` along
    ``axis``, as tuples of ints NumPy has checked), made on the array that owns
    ``x``'s memory (NumPy's has a helper object for base), so that it is known as a
    view of ``x`` (``op_views.note``); a read-only copy where that memory cannot be
    taken as a buffer.

    >>> x = np.arange(4.0)
    >>> window_view(x, (3,), (0,)).base is x
    True
    """
    shape = list(x.shape)
    for ax, n in zip(axis, window_shape):
        shape[ax] -= n - 1
    shape = tuple(shape) + window_shape
    strides = x.strides + tuple(x.strides[ax] for ax in axis)
    owner = x.base
    try:
        if owner is None:
            out = np.ndarray(shape, x.dtype, buffer=x, strides=strides)
        else:
            start = x.__array_interface__["data"][0] - owner.__array_interface__["data"][0]
            out = np.ndarray(shape, x.dtype, buffer=owner, offset=start, strides=strides)
    except (TypeError, ValueError, AttributeError, BufferError):
        out = np.array(_sliding(x, window_shape, axis))
    out.flags.writeable = False
    return out


_window_forward = window_view


def _window_rule(xp, g, ans, x, window_shape, axis):
    return xp.sliding_window_adjoint(g, x.shape, window_shape=window_shape, axis=axis)


_window = defop(
    "sliding_window_view", _window_forward,
    doc="Every window of ``window_shape`` over the axes ``axis`` (NumPy's read-only\n"
        "view); the gradient adds each window back where it came from.\n\n"
        ">>> from autodiff.ops.windows import sliding_window_view\n"
        ">>> sliding_window_view(ad.tensor([1.0, 2.0, 3.0]), 2)\n"
        "tensor([[1., 2.],\n        [2., 3.]])",
    hint="each window must fit in its axis: window_shape[i] <= x.shape[axis[i]]",
    scatters=True, reads=(),
    x=("sliding_window_adjoint(g, x.shape, window_shape, axis)", _window_rule),
    window_shape=None, axis=None)
inplace.READ_ONLY_OUTPUTS.add("sliding_window_view")


def _adjoint_forward(g, shape, window_shape, axis):
    shape = tuple(shape)
    out = np.zeros(shape, dtype=g.dtype)
    counts = g.shape[:len(shape)]               # the number of windows along each axis
    for offsets in itertools.product(*(range(n) for n in window_shape)):
        starts = [0] * len(shape)
        for ax, offset in zip(axis, offsets):
            starts[ax] += offset
        target = tuple(slice(s, s + n) for s, n in zip(starts, counts))
        out[target] += g[(Ellipsis,) + offsets]
    return out


def _adjoint_rule(xp, gg, ans, g, shape, window_shape, axis):
    return xp.sliding_window_view(gg, window_shape=window_shape, axis=axis)


sliding_window_adjoint = defop(
    "sliding_window_adjoint", _adjoint_forward,
    doc="The adjoint of ``sliding_window_view``: zeros of ``shape`` with each window of\n"
        "``g`` added back where it was taken from (overlaps add up).\n\n"
        ">>> ad.ops.windows.sliding_window_adjoint(ad.tensor(np.ones((2, 2))), (3,),\n"
        "...                                       window_shape=(2,), axis=(0,))\n"
        "tensor([1., 2., 1.])",
    reads=(),
    g=("sliding_window_view(g_out, window_shape, axis)", _adjoint_rule),
    shape=None, window_shape=None, axis=None)


def _window_arguments(shape, window_shape, axis):
    """``window_shape`` and ``axis`` as tuples of ints (NumPy has checked them)."""
    window = tuple(int(n) for n in np.atleast_1d(np.asarray(window_shape)).ravel()) \
        if np.iterable(window_shape) else (int(window_shape),)
    if axis is None:
        axes = tuple(range(len(shape)))
    else:
        axes = np.lib.array_utils.normalize_axis_tuple(axis, len(shape), allow_duplicate=True)
    return window, tuple(int(a) for a in axes)


@implements(np.lib.stride_tricks.sliding_window_view)
def sliding_window_view(x, window_shape, axis=None, *, subok=False, writeable=False) -> Tensor:
    """Every window of ``window_shape`` along ``axis`` (all axes when None), as
    ``np.lib.stride_tricks.sliding_window_view``: the window axes come last.  The result
    is read-only, as NumPy's; its gradient adds each window back where it came from.

    >>> x = ad.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    >>> means = np.lib.stride_tricks.sliding_window_view(x, 3).mean(axis=-1)
    >>> means.sum().backward(); means, x.grad
    (tensor([2., 3.], requires_grad=True), array([0.33333333, 0.66666667, 0.66666667, 0.33333333]))
    """
    data = array_of(x)
    if writeable:
        raise ValueError(
            f"sliding_window_view: writeable=True is not supported on a Tensor (shape "
            f"{data.shape}): the windows overlap, so one write would change several "
            "entries and cannot be recorded. Take the windows read-only, and build a new "
            "tensor from them (w = windows * mask, or ad.where(...)) instead of writing.")
    try:
        _sliding(data, window_shape, axis)              # NumPy's checks
    except (ValueError, TypeError, np.exceptions.AxisError) as error:
        raise type(error)(f"sliding_window_view: {error} (x of shape {data.shape}, "
                          f"window_shape={window_shape!r}, axis={axis!r})") from error
    window, axes = _window_arguments(data.shape, window_shape, axis)
    return windows_of(x, window, axes)


def windows_of(x, window_shape: tuple, axis: tuple) -> Tensor:
    """The windows of ``x``, recorded, with ``window_shape`` and ``axis`` as tuples of
    ints (given by position, so that ``layout_views`` reads them from the op's inputs).

    >>> windows_of(ad.tensor([1.0, 2.0, 3.0]), (2,), (0,)).shape
    (2, 2)
    """
    return _window(x, window_shape, axis)


sliding_window_view.numpy_kwargs = ("subok",)   # (no effect on a Tensor's array)
