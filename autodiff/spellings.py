"""PyTorch spellings on Tensor: ``view``, ``unsqueeze``, ``permute``, ``dim=`` and friends.

``Tensor`` inherits these methods, so code ported from PyTorch runs unchanged where
the two libraries mean the same thing; where they mean different things (a 2-D
``transpose(0, 1)``), it raises instead of guessing.
"""

from __future__ import annotations

import numpy as np


def axis_alias(where: str, axis, keepdims, dim=None, keepdim=None):
    """Resolve PyTorch's ``dim=``/``keepdim=`` against NumPy's ``axis=``/``keepdims=``.

    >>> axis_alias("sum", None, False, dim=1, keepdim=True)
    (1, True)
    """
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{where}: got both axis={axis!r} and dim={dim!r}; they are "
                            "the same argument (NumPy's and PyTorch's name), pass one")
        axis = dim
    if keepdim is not None:
        if keepdims not in (False, None) and bool(keepdims) != bool(keepdim):
            raise TypeError(f"{where}: got both keepdims={keepdims!r} and keepdim="
                            f"{keepdim!r}; they are the same argument, pass one")
        keepdims = keepdim
    if isinstance(axis, list):
        axis = tuple(axis)
    return axis, bool(keepdims)


def _dims(dims):
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        return tuple(dims[0])
    return tuple(dims)


def transpose_axes(ndim: int, axes: tuple):
    """NumPy's ``transpose(axes)``, or PyTorch's two-axis swap when that is unambiguous.

    Returns the full permutation to apply.

    >>> transpose_axes(3, (0, 2))        # PyTorch: swap axes 0 and 2
    (2, 1, 0)
    >>> transpose_axes(3, (1, 0, 2))     # NumPy: a permutation of all axes
    (1, 0, 2)
    """
    if len(axes) != 2 or ndim == 1:
        return axes
    a, b = (int(x) % ndim if -ndim <= int(x) < ndim else int(x) for x in axes)
    if ndim == 2:
        if (a, b) == (0, 1):
            raise ValueError(
                "transpose(0, 1) on a 2-D tensor means opposite things in NumPy (the axes "
                "in their current order: no change) and in PyTorch (swap them: the "
                "transpose). Write t.T or t.transpose() for the transpose, or "
                "t.swapaxes(0, 1); leave the call out for no change.")
        return axes                  # (1, 0): the transpose in both libraries
    if not (0 <= a < ndim and 0 <= b < ndim):
        raise ValueError(f"transpose: axes {axes} are out of range for a {ndim}-D tensor")
    order = list(range(ndim))
    order[a], order[b] = order[b], order[a]
    return tuple(order)


class PyTorchMethods:
    """Methods under PyTorch's names (mixed into ``Tensor``)."""

    __slots__ = ()

    def view(self, *shape):
        """``reshape`` under PyTorch's name (always a recorded reshape here).

        >>> ad.tensor(np.arange(6.0)).view(2, -1).shape
        (2, 3)
        """
        from .ops.shape import reshape
        return reshape(self, _dims(shape))

    def unsqueeze(self, dim: int):
        """Insert a size-1 axis at ``dim`` (``expand_dims``).

        >>> ad.tensor([1.0, 2.0]).unsqueeze(0).shape
        (1, 2)
        """
        from .ops.shape import expand_dims
        return expand_dims(self, dim)

    def permute(self, *dims):
        """Reorder all axes (``transpose(dims)``).

        >>> ad.tensor(np.zeros((2, 3, 4))).permute(2, 0, 1).shape
        (4, 2, 3)
        """
        from .ops.shape import transpose
        dims = _dims(dims)
        if len(dims) != self.ndim:
            raise ValueError(f"permute: got {len(dims)} dims {dims} for a tensor with "
                             f"{self.ndim} axes; name every axis once")
        return transpose(self, dims)

    def t(self):
        """The transpose of a tensor with at most 2 axes (PyTorch's ``t()``).

        >>> ad.tensor([[1.0, 2.0]]).t().shape
        (2, 1)
        """
        if self.ndim > 2:
            raise ValueError(f"t(): expects a tensor with at most 2 axes, got shape "
                             f"{self.shape}; use permute or swapaxes")
        from .ops.shape import transpose
        return transpose(self, None)

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Indices of the largest values (an integer tensor, no gradient).

        >>> ad.tensor([[1.0, 3.0], [4.0, 2.0]]).argmax(dim=1)
        tensor([1, 0])
        """
        from .tensor import Tensor
        axis, keepdims = axis_alias("argmax", axis, keepdims, dim, keepdim)
        return Tensor(np.argmax(self.data, axis=axis, keepdims=keepdims))

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Indices of the smallest values (an integer tensor, no gradient).

        >>> ad.tensor([[1.0, 3.0], [4.0, 2.0]]).argmin(dim=1)
        tensor([0, 1])
        """
        from .tensor import Tensor
        axis, keepdims = axis_alias("argmin", axis, keepdims, dim, keepdim)
        return Tensor(np.argmin(self.data, axis=axis, keepdims=keepdims))

    def clamp(self, min=None, max=None):
        """Limit the values to ``[min, max]`` (``clip``).

        >>> ad.tensor([-2.0, 0.5, 3.0]).clamp(min=0.0, max=1.0)
        tensor([0. , 0.5, 1. ])
        """
        from .ops.elementwise import clip
        return clip(self, min, max)

    def masked_fill(self, mask, value):
        """``value`` where ``mask`` is true, else this tensor's values.

        >>> ad.tensor([1.0, 2.0, 3.0]).masked_fill(np.array([True, False, True]), 0.0)
        tensor([0., 2., 0.])
        """
        from .ops.elementwise import where
        mask_data = getattr(mask, "data", mask)
        if np.asarray(mask_data).dtype != bool:
            raise TypeError(f"masked_fill: the mask must be bool, got "
                            f"{np.asarray(mask_data).dtype}; compare first, e.g. t > 0")
        return where(mask, value, self)
