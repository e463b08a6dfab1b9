"""Dim arguments that NumPy and PyTorch read differently: ``t.transpose(a, b)`` (NumPy's
full axis order, or PyTorch's swap of two dims) and ``permute``'s dims (PyTorch refuses
one named twice or out of range).

>>> transpose_axes(3, (0, 2))
(2, 1, 0)
"""

from __future__ import annotations

import numpy as np


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
