"""Views that an op makes by laying out a tensor's elements anew (``h.T``,
``h.permute(1, 0)``, ``h.reshape(-1)``, ``h.unsqueeze(0)``), when NumPy returns a view
of ``h``'s memory: they are linked to ``h`` in ``view_table.py`` as views by indexing
are, with a ``Layout`` for key, so that ``inplace.py`` follows writes through them.

A recorded write into ``v = L(h)`` gives ``h`` the value ``L⁻¹(v_new)`` (transpose
back by the inverse permutation, reshape back to ``h``'s shape), as PyTorch does, and
every live view of ``h`` takes ``L(h)`` again.

>>> h = ad.tensor(np.zeros((2, 3)))
>>> t = h.T
>>> with ad.no_grad():
...     t[0] = 1
>>> h.data[:, 0].tolist()
[1.0, 1.0]
"""

from __future__ import annotations

import numpy as np

from .view_table import note_view

#: The ops whose output, when it shares its input's memory, lays out the same elements
#: anew (a permutation of axes, or a new shape in C order).
LAYOUT_OPS = frozenset({"transpose", "swapaxes", "reshape", "flatten", "expand_dims",
                        "squeeze"})


class Layout:
    """How a view lays out the elements of the tensor it views: ``transpose(base,
    perm)`` when ``perm`` is set, else ``reshape(base, shape)``."""

    __slots__ = ("perm", "shape", "base_shape")

    def __init__(self, perm, shape, base_shape):
        self.perm = perm
        self.shape = shape
        self.base_shape = base_shape

    def __repr__(self):
        if self.perm is not None:
            return f"Layout(transpose {self.perm})"
        return f"Layout(reshape {self.base_shape} -> {self.shape})"

    def of_array(self, array):
        """The view of ``array`` (of the base's shape) laid out as this view is."""
        if self.perm is not None:
            return array.transpose(self.perm)
        return np.reshape(array, self.shape)

    def of(self, base):
        """The view of tensor ``base``, recorded."""
        from .ops.shape import reshape, transpose

        if self.perm is not None:
            return transpose(base, self.perm)
        return reshape(base, self.shape)

    def back(self, view):
        """Tensor ``view``'s elements laid out as the base's, recorded."""
        from .ops.shape import reshape, transpose

        if self.perm is not None:
            return transpose(view, tuple(int(i) for i in np.argsort(self.perm)))
        return reshape(view, self.base_shape)


def _same_memory(a, b) -> bool:
    """Whether arrays ``a`` and ``b`` show the same elements in the same places (the
    strides of axes of size 1 do not matter)."""
    return (a.shape == b.shape
            and a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
            and all(n == 1 or s == t for n, s, t in zip(a.shape, a.strides, b.strides)))


def match(op_name: str, base_array, view_array):
    """The ``Layout`` that makes ``view_array`` from ``base_array`` (by op ``op_name``)
    without copying, or None when it does not."""
    if base_array.dtype != view_array.dtype:
        return None
    if op_name in ("transpose", "swapaxes"):
        perm = _permutation(base_array, view_array)
        return None if perm is None else Layout(perm, view_array.shape, base_array.shape)
    try:
        reshaped = np.reshape(base_array, view_array.shape, copy=False)
    except ValueError:
        return None
    if _same_memory(reshaped, view_array):
        return Layout(None, view_array.shape, base_array.shape)
    return None


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


def link(view, op_name: str, inputs) -> None:
    """Link ``view``, the output of op ``op_name``, to the input tensor whose elements it
    lays out anew in the same memory (see the module docstring)."""
    from .tensor import Tensor

    for a in inputs:
        if isinstance(a, Tensor) and a.data.__class__ is np.ndarray:
            layout = match(op_name, a.data, view.data)
            if layout is not None:
                note_view(view, a, layout)
            return
