"""Views that an op makes by laying out a tensor's elements anew (``h.T``,
``h.permute(1, 0)``, ``h.reshape(-1)``, ``h.unsqueeze(0)``), when NumPy returns a view
of ``h``'s memory: they are linked to ``h`` in ``view_table.py`` as views by indexing
are, with a ``Layout`` for key, so that ``inplace.py`` follows writes through them.
Making one only notes its op (``op_views.note``); its ``Layout`` is worked out when a
write needs it (``view_table.settle``).

A recorded write into ``v = L(h)`` gives ``h`` the value ``L⁻¹(v_new)`` (transpose
back by the inverse permutation, reshape back to ``h``'s shape), as PyTorch does, and
every live view of ``h`` takes ``L(h)`` again.  The overlapping windows of
``np.lib.stride_tricks.sliding_window_view(h, ...)`` are such a layout too, one that
cannot be laid back (NumPy makes them read-only, and a write into them is refused):
they only take ``L(h)`` again when ``h`` is updated.

>>> h = ad.tensor(np.zeros((2, 3)))
>>> t = h.T
>>> with ad.no_grad():
...     t[0] = 1
>>> h.data[:, 0].tolist()
[1.0, 1.0]
"""

from __future__ import annotations

import numpy as np

#: The ops whose output, when it shares its input's memory, lays out the same elements
#: anew (a permutation of axes, or a new shape in C order), or shows them in reverse
#: along some axes (``flip``, and through it ``fliplr``, ``flipud``, ``rot90``), which
#: is basic indexing (``h[:, ::-1]``) and is linked with that key.
#: ``sliding_window_view`` shows them in overlapping windows: NumPy's view is read-only,
#: so only the tensor is written, and the windows take ``sliding_window_view(h)`` again.
LAYOUT_OPS = frozenset({"transpose", "swapaxes", "reshape", "flatten", "expand_dims",
                        "squeeze", "flip", "sliding_window_view"})


class Layout:
    """How a view lays out the elements of the tensor it views: ``transpose(base,
    perm)`` when ``perm`` is set, ``sliding_window_view(base, *windows)`` when
    ``windows`` (``(window_shape, axis)``) is, else ``reshape(base, shape)``."""

    __slots__ = ("perm", "shape", "base_shape", "windows")

    def __init__(self, perm, shape, base_shape, windows=None):
        self.perm = perm
        self.shape = shape
        self.base_shape = base_shape
        self.windows = windows

    def __repr__(self):
        if self.perm is not None:
            return f"Layout(transpose {self.perm})"
        if self.windows is not None:
            return f"Layout(windows {self.windows[0]} along axes {self.windows[1]})"
        return f"Layout(reshape {self.base_shape} -> {self.shape})"

    def of_array(self, array):
        """The view of ``array`` (of the base's shape) laid out as this view is."""
        if self.perm is not None:
            return array.transpose(self.perm)
        if self.windows is not None:
            from .ops.windows import window_view

            return window_view(array, *self.windows)
        return np.reshape(array, self.shape)

    def of(self, base):
        """The view of tensor ``base``, recorded."""
        from .ops.shape import reshape, transpose

        if self.perm is not None:
            return transpose(base, self.perm)
        if self.windows is not None:
            from .ops.windows import windows_of

            return windows_of(base, *self.windows)
        return reshape(base, self.shape)

    def back(self, view):
        """Tensor ``view``'s elements laid out as the base's, recorded."""
        from .ops.shape import reshape, transpose

        if self.windows is not None:    # (a write into windows is refused before this)
            raise ValueError("sliding_window_view: overlapping windows cannot be laid "
                             "back out as the tensor they view; build a new tensor.")

        if self.perm is not None:
            return transpose(view, tuple(int(i) for i in np.argsort(self.perm)))
        return reshape(view, self.base_shape)


def select(array, key):
    """``array[key]``, or the layout ``key`` of ``array`` (a view either way, for a
    basic ``key``)."""
    return key.of_array(array) if key.__class__ is Layout else array[key]


def new_base_value(base, view_tensor, key):
    """The new value of ``base`` after a recorded update of ``view_tensor``, its view
    by ``key``: ``base`` with ``view_tensor`` written at ``key``, or ``view_tensor``
    laid out as ``base`` (``Layout.back``) in an array of its own, in C order when
    ``base``'s was, so that its views (``base.reshape(-1)``) are views again, as
    before the update; the views of ``base`` then view that array."""
    from .ops.elementwise import copy
    from .ops.indexing import setitem

    if key.__class__ is not Layout:
        return setitem(base, view_tensor, key)
    return copy(key.back(view_tensor), order="C" if base.data.flags.c_contiguous else "K")


def _same_memory(a, b) -> bool:
    """Whether arrays ``a`` and ``b`` show the same elements in the same places (the
    strides of axes of size 1 do not matter)."""
    return (a.shape == b.shape
            and a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
            and all(n == 1 or s == t for n, s, t in zip(a.shape, a.strides, b.strides)))


def match(op_name: str, base_array, view_array, op_args=()):
    """The ``Layout`` that makes ``view_array`` from ``base_array`` (by op ``op_name``,
    called with ``op_args`` after the array) without copying, or None when it does not;
    for ``flip``, the basic key that does (``_reversal``).  ``view_array`` shares the
    memory of ``base_array`` (``op_views.note`` saw to it)."""
    if op_name == "flip":
        return _reversal(base_array, view_array)
    if op_name == "sliding_window_view":
        return _windows(base_array, view_array, op_args)
    if op_name in ("transpose", "swapaxes"):
        perm = _permutation_named(op_name, base_array.ndim, op_args)
        # Axes given by keyword are not in op_args, but a permutation that gives the
        # view's shape and strides (in the same memory, from the same start) is its own.
        if perm is None or not _permuted_as(base_array, view_array, perm):
            perm = _permutation(base_array, view_array)
        return None if perm is None else Layout(perm, view_array.shape, base_array.shape)
    # Every reshaping op here reads in C order: a C-contiguous result of a C-contiguous
    # input, both in the same memory, is that reshape; other layouts are compared.
    if base_array.size != view_array.size:
        return None
    if not (base_array.flags.c_contiguous and view_array.flags.c_contiguous):
        try:
            reshaped = np.reshape(base_array, view_array.shape, copy=False)
        except ValueError:
            return None
        if not _same_memory(reshaped, view_array):
            return None
    return Layout(None, view_array.shape, base_array.shape)


def _reversal(base_array, view_array):
    """The key of slices (``::-1`` on the axes whose strides are negated) that shows
    ``view_array`` as ``base_array[key]``, or None.

    >>> h = np.zeros((2, 3))
    >>> _reversal(h, np.flip(h, 1))
    (slice(None, None, None), slice(None, None, -1))
    """
    if base_array.shape != view_array.shape:
        return None
    key = tuple(slice(None, None, -1) if n > 1 and s == -t and s else slice(None)
                for n, s, t in zip(base_array.shape, base_array.strides, view_array.strides))
    return key if _same_memory(base_array[key], view_array) else None


def _windows(base_array, view_array, op_args):
    """The ``Layout`` of ``view_array`` as ``base_array``'s windows of ``op_args``
    (``(window_shape, axis)``, as tuples), or None when it is not that view."""
    from .ops.windows import window_view

    try:
        window_shape, axis = (tuple(int(i) for i in arg) for arg in op_args)
    except (TypeError, ValueError):
        return None
    if not _same_memory(window_view(base_array, window_shape, axis), view_array):
        return None
    return Layout(None, view_array.shape, base_array.shape, (window_shape, axis))


_REVERSED = [tuple(range(n - 1, -1, -1)) for n in range(8)]


def _permutation_named(op_name, ndim, op_args):
    """The permutation of axes that ``transpose(x, *op_args)`` or ``swapaxes(x,
    *op_args)`` makes, when the arguments name it."""
    try:
        if op_name == "transpose":
            axes = op_args[0] if op_args else None
            if axes is None:
                return _REVERSED[ndim] if ndim < 8 else tuple(range(ndim - 1, -1, -1))
            return tuple(int(a) % ndim for a in axes)
        perm = list(range(ndim))
        a, b = int(op_args[0]) % ndim, int(op_args[1]) % ndim
        perm[a], perm[b] = perm[b], perm[a]
        return tuple(perm)
    except (TypeError, ValueError, IndexError, ZeroDivisionError):
        return None


def _permuted_as(base_array, view_array, perm) -> bool:
    try:
        permuted = base_array.transpose(perm)
    except ValueError:
        return False
    return permuted.shape == view_array.shape and permuted.strides == view_array.strides


def _permutation(base_array, view_array):
    """The axes of ``base_array`` that ``view_array`` shows in turn, or None."""
    if base_array.ndim != view_array.ndim:
        return None
    perm = []
    for size, stride in zip(view_array.shape, view_array.strides):
        candidates = [axis for axis, (n, s) in enumerate(zip(base_array.shape,
                                                             base_array.strides))
                      if axis not in perm and n == size and (s == stride or size == 1)]
        if not candidates:
            return None
        perm.append(candidates[0])
    perm = tuple(perm)
    return perm if _same_memory(base_array.transpose(perm), view_array) else None
