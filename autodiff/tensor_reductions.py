"""A Tensor's reductions as methods: ``t.sum``, ``t.mean``, ``t.max``, ``t.min``, with
NumPy's ``axis``/``keepdims``/``initial``/``where`` and PyTorch's ``dim``/``keepdim``.

A mixin of ``Tensor``; the ops it calls are bound by ``bind()`` (run by
``autodiff.tensor`` once the ops exist, as they build on Tensor).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .conventions import keepdim_after_axis
from .spellings import axis_alias, extreme_along_dim, refuse_positional_extreme

if TYPE_CHECKING:
    from .tensor import Axis, Tensor

_NO_VALUE = np._NoValue     # NumPy's "not given" for initial=


class ReductionMethods:
    """``Tensor.sum``, ``mean``, ``max`` and ``min``."""

    __slots__ = ()

    def sum(self, axis: Axis = None, *positional, keepdims: bool = False,
            dim=None, keepdim=None, initial=_NO_VALUE, where=True) -> Tensor:
        keepdim = keepdim_after_axis("sum", positional, keepdim)
        axis, keepdims = axis_alias("sum", axis, keepdims, dim, keepdim)
        if initial is not _NO_VALUE or where is not True:   # ndarray.sum's masking
            return masked_reduction("sum", self, axis, keepdims, initial, where,
                                    "Tensor.sum")
        return sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Axis = None, *positional, keepdims: bool = False,
             dim=None, keepdim=None, where=True) -> Tensor:
        keepdim = keepdim_after_axis("mean", positional, keepdim)
        axis, keepdims = axis_alias("mean", axis, keepdims, dim, keepdim)
        if where is not True:
            return masked_reduction("mean", self, axis, keepdims, _NO_VALUE, where,
                                    "Tensor.mean")
        return mean(self, axis=axis, keepdims=keepdims)

    def max(self, *positional, axis: Axis = None, keepdims: bool = False,
            dim=None, keepdim=None, initial=_NO_VALUE, where=True) -> Tensor:
        """``ad.max``: the largest values over ``axis`` (NumPy); with PyTorch's ``dim=``,
        PyTorch's ``(values, indices)``.

        >>> t = ad.tensor([[1.0, 5.0], [7.0, 0.0]])
        >>> t.max(axis=1), t.max(dim=1).indices
        (tensor([5., 7.]), tensor([1, 0]))
        """
        if positional:
            refuse_positional_extreme("max", positional)
        if dim is not None:
            return extreme_along_dim("max", self, axis, keepdims, dim=dim, keepdim=keepdim)
        axis, keepdims = axis_alias("max", axis, keepdims, dim, keepdim)
        if initial is not _NO_VALUE or where is not True:
            return masked_reduction("max", self, axis, keepdims, initial, where,
                                    "Tensor.max")
        return max(self, axis=axis, keepdims=keepdims)

    def min(self, *positional, axis: Axis = None, keepdims: bool = False,
            dim=None, keepdim=None, initial=_NO_VALUE, where=True) -> Tensor:
        """``ad.min``: the smallest values over ``axis`` (NumPy); with PyTorch's ``dim=``,
        PyTorch's ``(values, indices)``.

        >>> t = ad.tensor([[1.0, 5.0], [7.0, 0.0]])
        >>> t.min(axis=1), t.min(dim=1).indices
        (tensor([1., 0.]), tensor([0, 1]))
        """
        if positional:
            refuse_positional_extreme("min", positional)
        if dim is not None:
            return extreme_along_dim("min", self, axis, keepdims, dim=dim, keepdim=keepdim)
        axis, keepdims = axis_alias("min", axis, keepdims, dim, keepdim)
        if initial is not _NO_VALUE or where is not True:
            return masked_reduction("min", self, axis, keepdims, initial, where,
                                    "Tensor.min")
        return min(self, axis=axis, keepdims=keepdims)


def bind() -> None:
    """Bind the ops the methods call (run by ``autodiff.tensor`` once they exist)."""
    global max, mean, min, sum, masked_reduction
    from .ops.reduce import max, mean, min, sum
    from .ops.masked_reductions import masked_reduction
