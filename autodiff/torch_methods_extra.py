"""More of PyTorch's Tensor methods: ``pow_``, ``clamp_min``/``clamp_max`` (and in
place), ``tril_``/``triu_``, ``swapdims``, ``msort``, ``bincount`` and ``as_strided`` (of a
C-contiguous tensor, ``ops/strided.py``).

The in-place ones follow the rules of ``add_`` (``autodiff/inplace.py``): recorded in
grad mode, written into the array otherwise, refused on a leaf that requires grad.
"""

from __future__ import annotations

import numpy as np


def _inplace():
    from . import inplace
    return inplace


class TorchExtraMethods:
    """PyTorch's Tensor methods listed in the module docstring (mixed into ``Tensor``)."""

    __slots__ = ()

    def pow_(self, exponent):
        """In-place ``self **= exponent``; returns self.

        >>> ad.tensor([2.0, 3.0]).pow_(2)
        tensor([4., 9.])
        """
        from .ops.elementwise import power
        return _inplace().update(self, power, exponent, "pow_")

    def clamp_min(self, min):
        """The entries below ``min`` raised to it, as ``torch.clamp_min``.

        >>> ad.tensor([-1.0, 2.0]).clamp_min(0.0)
        tensor([0., 2.])
        """
        return self.clamp(min=min)

    def clamp_max(self, max):
        """The entries above ``max`` lowered to it, as ``torch.clamp_max``.

        >>> ad.tensor([-1.0, 2.0]).clamp_max(1.0)
        tensor([-1.,  1.])
        """
        return self.clamp(max=max)

    def clamp_min_(self, min):
        """``clamp_min`` in place; returns self."""
        return self.clamp_(min=min)

    def clamp_max_(self, max):
        """``clamp_max`` in place; returns self."""
        return self.clamp_(max=max)

    def tril_(self, diagonal: int = 0):
        """``tril`` in place: the entries above ``diagonal`` set to 0; returns self.

        >>> ad.ones((2, 2)).tril_()
        tensor([[1., 0.],
                [1., 1.]])
        """
        return _inplace().fill(self, self.tril(diagonal), "tril_")

    def triu_(self, diagonal: int = 0):
        """``triu`` in place: the entries below ``diagonal`` set to 0; returns self."""
        return _inplace().fill(self, self.triu(diagonal), "triu_")

    def swapdims(self, dim0: int, dim1: int):
        """PyTorch's other name of ``swapaxes``/``transpose(dim0, dim1)``.

        >>> ad.zeros((2, 3)).swapdims(0, 1).shape
        (3, 2)
        """
        return self.swapaxes(dim0, dim1)

    def msort(self):
        """The entries sorted along dim 0, as ``torch.msort`` (``ad.msort``)."""
        from .torch_functions_more import msort
        return msort(self)

    def bincount(self, weights=None, minlength: int = 0):
        """How many times each int 0, 1, ... occurs in this 1-D tensor, as
        ``torch.bincount``; with ``weights``, their sums, with a gradient for them (as
        ``np.bincount``; PyTorch's has none), in float32 for float32 weights and float64
        otherwise, PyTorch's dtypes.

        >>> ad.tensor([0, 1, 1, 3]).bincount()
        tensor([1, 2, 0, 1])
        """
        from .ops.operands import array_of
        from .tensor import Tensor
        if self.ndim != 1 or self.dtype.kind not in "iu":
            raise TypeError(f"bincount: needs a 1-D tensor of integers, got shape "
                            f"{self.shape} and dtype {self.dtype}")
        if weights is None:
            return Tensor(np.bincount(self.data, minlength=minlength))
        sums = np.bincount(self, weights, minlength=minlength)    # (recorded)
        sums = sums if isinstance(sums, Tensor) else Tensor(sums)
        return sums.astype(np.float32) if np.result_type(array_of(weights)) == np.float32 \
            else sums

    def as_strided(self, size, stride, storage_offset=None):
        """PyTorch's ``as_strided`` of a tensor whose array is C-contiguous (strides in
        elements over the flattened tensor), a read-only copy with a gradient
        (``ad.as_strided``); a non-contiguous array asks for ``.contiguous()`` first.

        >>> ad.arange(4.0).as_strided((2, 2), (1, 2))
        tensor([[0., 2.],
                [1., 3.]])
        """
        from .ops.strided import as_strided
        return as_strided(self, size, stride, storage_offset)
