"""PyTorch's memory formats: ``ad.channels_last`` (an image batch ``(N, C, H, W)``
stored with the channels last, as ``(N, H, W, C)`` in memory), ``channels_last_3d``,
``contiguous_format`` (row-major) and ``preserve_format``.  A format changes how
the entries lie in memory (``stride()``), never their values or the shape: NumPy
arrays hold any layout, so ``t.to(memory_format=ad.channels_last)``,
``t.contiguous(memory_format=...)``, ``t.is_contiguous(memory_format=...)``,
``t.clone(memory_format=...)`` and ``model.to(memory_format=...)`` work as PyTorch's.

>>> x = ad.zeros(2, 3, 4, 5).to(memory_format=ad.channels_last)
>>> x.shape, x.stride(), x.is_contiguous(memory_format=ad.channels_last)
((2, 3, 4, 5), (60, 1, 15, 3), True)
"""

from __future__ import annotations

import numpy as np

__all__ = ["memory_format", "contiguous_format", "channels_last", "channels_last_3d",
           "preserve_format"]


class memory_format:
    """The type of PyTorch's memory-format constants (``torch.memory_format``)."""

    __slots__ = ("_name",)

    def __init__(self, name: str):
        self._name = name

    def __repr__(self) -> str:
        return f"torch.{self._name}"

    def __reduce__(self):
        return self._name          # pickled by name: the same constant after loading


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")

#: For each channels-last format: the rank it needs and the order of the axes in memory.
_CHANNELS_LAST = {channels_last: (4, (0, 2, 3, 1)), channels_last_3d: (5, (0, 2, 3, 4, 1))}


def check_format(where: str, fmt) -> None:
    if not isinstance(fmt, memory_format):
        raise TypeError(f"{where}: memory_format must be ad.contiguous_format, "
                        f"ad.channels_last, ad.channels_last_3d or ad.preserve_format, got "
                        f"{fmt!r}")


def axis_order(where: str, fmt, ndim: int) -> tuple | None:
    """The order of the axes in memory that ``fmt`` asks of an ``ndim``-d array
    (None: ``preserve_format``, keep the layout)."""
    check_format(where, fmt)
    if fmt is preserve_format:
        return None
    if fmt is contiguous_format:
        return tuple(range(ndim))
    rank, order = _CHANNELS_LAST[fmt]
    if ndim != rank:
        raise RuntimeError(f"{where}: required rank {rank} tensor to use {fmt._name} format, "
                           f"got a {ndim}-d one")
    return order


def is_in_format(array: np.ndarray, order: tuple) -> bool:
    """Whether ``array``'s entries lie row-major in the axis order ``order``."""
    return bool(array.transpose(order).flags.c_contiguous)


def expanded_clone_order(array: np.ndarray) -> tuple | None:
    """The axis order (outermost first) in which PyTorch's ``clone`` lays out a copy of
    an expanded ``array`` (one with a zero stride), which NumPy's order 'K' would not
    follow; None for any other array, whose 'K' copy is laid out as PyTorch's.  This is
    PyTorch's ``infer_dense_strides``: a stable insertion sort of the axes by stride,
    where a zero stride compares with nothing."""
    shape, strides = array.shape, [abs(s) for s in array.strides]
    if not any(step == 0 and size != 1 for step, size in zip(strides, shape)):
        return None

    def order_of(inner, outer):       # > 0: swap them, < 0: in order, 0: undecided
        if strides[inner] == 0 or strides[outer] == 0:
            return 0
        if strides[inner] != strides[outer]:
            return 1 if strides[inner] > strides[outer] else -1
        return 1 if shape[inner] > shape[outer] else 0

    innermost_first = list(range(array.ndim - 1, -1, -1))
    for i in range(1, array.ndim):
        moving = i
        for before in range(i - 1, -1, -1):
            comparison = order_of(innermost_first[before], innermost_first[moving])
            if comparison > 0:
                innermost_first[before], innermost_first[moving] = (
                    innermost_first[moving], innermost_first[before])
                moving = before
            elif comparison < 0:
                break
    return tuple(reversed(innermost_first))


def laid_out(array: np.ndarray, order: tuple) -> np.ndarray:
    """``array``'s values, in a new array laid out row-major in the axis order ``order``."""
    inverse = tuple(np.argsort(order))
    return np.ascontiguousarray(array.transpose(order)).transpose(inverse)


def relaid_tensor(tensor, order: tuple):
    """``tensor`` laid out in axis order ``order``, on the tape (views and a copy, so
    the gradient flows back unchanged); the tensor itself when it already is."""
    if is_in_format(tensor.data, order):
        return tensor
    inverse = tuple(int(i) for i in np.argsort(order))
    return tensor.permute(*order).contiguous().permute(*inverse)


def like_layout(where: str, made, like, fmt):
    """``made`` (a new Tensor of ``like``'s shape, row-major) laid out as ``fmt`` asks:
    by default (``preserve_format``) as ``like`` is when ``like`` is channels-last."""
    if fmt is None:
        fmt = preserve_format
    array = np.asarray(getattr(like, "data", like))
    order = axis_order(where, fmt, array.ndim)
    if order is None:                   # preserve: PyTorch keeps a dense layout it knows
        order = next((layout for rank, layout in _CHANNELS_LAST.values()
                      if array.ndim == rank and not array.flags.c_contiguous
                      and is_in_format(array, layout)), None)
    if order is None or is_in_format(made.data, order):
        return made
    made.data = laid_out(made.data, order)
    return made
