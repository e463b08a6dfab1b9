"""Dim arguments that NumPy and PyTorch read differently: ``t.transpose(a, b)`` (NumPy's
full axis order, or PyTorch's swap of two dims) and ``permute``'s dims (PyTorch refuses
one named twice or out of range), and ``t.flatten()`` (NumPy's order, or PyTorch's
dims).

>>> transpose_axes(3, (0, 2))
(2, 1, 0)
"""

from __future__ import annotations

import numpy as np

from . import inference_tensors as _inference_tensors


def refuse_repeated_dims(where: str, dims, ndim: int) -> None:
    """Raise when ``dims`` holds a dim out of range for a ``ndim``-D tensor, or names
    one dim twice (``permute(0, -3, 1)`` of a 3-D tensor), as PyTorch refuses both."""
    seen = {}
    for d in dims:
        if not -(ndim or 1) <= int(d) < (ndim or 1):
            raise IndexError(f"{where}: dim {d} of {tuple(dims)} is out of range for a "
                             f"{ndim}-D tensor; use dims in [{-(ndim or 1)}, {ndim or 1})")
        axis = int(d) % (ndim or 1)
        if axis in seen:
            raise ValueError(
                f"{where}: dims {tuple(dims)} name dim {axis} twice ({seen[axis]} and {d}) "
                f"for a {ndim}-D tensor; name each dim once (PyTorch refuses repeated dims "
                "too)")
        seen[axis] = d


def transpose_axes(ndim: int, axes: tuple):
    """NumPy's ``transpose(axes)``, or PyTorch's two-axis swap when that is unambiguous.

    Returns the full permutation to apply.

    >>> transpose_axes(3, (0, 2))        # PyTorch: swap axes 0 and 2
    (2, 1, 0)
    >>> transpose_axes(3, (1, 0, 2))     # NumPy: a permutation of all axes
    (1, 0, 2)
    >>> transpose_axes(2, (1, -1))       # PyTorch: a dim swapped with itself, no change
    (0, 1)
    """
    if len(axes) != 2:
        return axes
    if ndim <= 1:
        # Two axes of a 0-D or 1-D tensor: PyTorch's swap (NumPy's transpose takes one
        # axis there), of dims in [-1, 0] as PyTorch's: no change.
        for d in axes:
            if not -1 <= int(d) < 1:
                raise IndexError(f"transpose: dim {d} is out of range for a {ndim}-D "
                                 "tensor; use dims in [-1, 1)")
        return tuple(range(ndim))
    a, b = (int(x) % ndim if -ndim <= int(x) < ndim else int(x) for x in axes)
    if ndim == 2:
        if a == b and 0 <= a < ndim:
            return (0, 1)            # (NumPy refuses a repeated axis: PyTorch's no-op)
        if (a, b) == (0, 1):
            raise ValueError(
                "transpose(0, 1) on a 2-D tensor means opposite things in NumPy (the axes "
                "in their current order: no change) and in PyTorch (swap them: the "
                "transpose). Write t.T or t.transpose() for the transpose, or "
                "t.swapaxes(0, 1); leave the call out for no change.")
        return axes                  # (1, 0): the transpose in both libraries
    if not (0 <= a < ndim and 0 <= b < ndim):
        # (NumPy's AxisError: an IndexError, as PyTorch's, and a ValueError, as NumPy's)
        raise np.exceptions.AxisError(
            f"transpose: axes {axes} are out of range for a {ndim}-D tensor; use dims in "
            f"[{-ndim}, {ndim})")
    order = list(range(ndim))
    order[a], order[b] = order[b], order[a]
    return tuple(order)


def flattened(t, start_dim, end_dim, order):
    """``t.flatten(...)``: NumPy's ``flatten(order)`` (a copy) when called with no dims or
    an order, PyTorch's ``flatten(start_dim, end_dim)`` otherwise."""
    from .ops.elementwise import copy
    from .ops.rearrange import ravel
    from .ops.shape import flatten, reshape

    if order is not None:           # NumPy's flatten(order="F") by name
        if start_dim is not None:
            raise TypeError(f"flatten: got order={order!r} and start_dim={start_dim!r}")
        start_dim = order
    if start_dim is None and end_dim is None:
        start_dim = "C"
    if isinstance(start_dim, str):  # NumPy's flatten(order); PyTorch's dims are ints
        if end_dim is not None:
            raise TypeError(f"flatten: got order={start_dim!r} and end_dim={end_dim!r}; "
                            "NumPy's flatten(order) takes no dims, PyTorch's "
                            "flatten(start_dim, end_dim) takes ints")
        raveled = ravel(t, start_dim)
        flat = copy(raveled)                # ndarray.flatten: always a copy
        if _inference_tensors.ever_opened and np.may_share_memory(raveled.data, t.data):
            _inference_tensors.as_view_of(flat, t)      # (PyTorch's is a view there)
        return flat
    start_dim = 0 if start_dim is None else start_dim
    end_dim = -1 if end_dim is None else end_dim
    n = t.ndim
    for d in (start_dim, end_dim):
        if not -(n or 1) <= d < (n or 1):
            raise IndexError(f"flatten: dim {d} is out of range for a tensor of shape "
                             f"{t.shape}; use dims in [{-(n or 1)}, {n or 1})")
    start, end = start_dim % (n or 1), end_dim % (n or 1)
    if start > end:
        raise ValueError(f"flatten: start_dim={start_dim} comes after end_dim={end_dim} "
                         f"for a tensor of shape {t.shape}")
    if start == end and n:
        return t
    if n == 0:
        return flatten(t)
    return reshape(t, t.shape[:start] + (-1,) + t.shape[end + 1:])
