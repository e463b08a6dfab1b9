"""PyTorch's ``*_copy`` functions (``view_copy``, ``transpose_copy``, ``permute_copy``,
``expand_copy``, ``diagonal_copy``, ``squeeze_copy``, ``unsqueeze_copy``, ``t_copy``,
``detach_copy``, ``alias_copy``, ``select_copy``, ``slice_copy``, ``split_copy``,
``split_with_sizes_copy``, ``unbind_copy``, ``unfold_copy``): each is the view method
of the same name followed by a row-major copy, so the result shares no memory with
the input.  Both steps are recorded, so gradients flow as through the view.

>>> x = ad.arange(6.0).reshape(2, 3)
>>> y = ad.transpose_copy(x, 0, 1); y.shape, y.is_contiguous(), y.data_ptr() == x.data_ptr()
((3, 2), True, False)
"""

from __future__ import annotations

import operator

from .memory_formats import contiguous_format
from .ops.operands import tensor_of
from .tensor import Tensor

__all__ = ["view_copy", "transpose_copy", "permute_copy", "expand_copy", "diagonal_copy",
           "squeeze_copy", "unsqueeze_copy", "t_copy", "detach_copy", "alias_copy",
           "select_copy", "slice_copy", "split_copy", "split_with_sizes_copy", "unbind_copy",
           "unfold_copy"]


def _copied(view: Tensor) -> Tensor:
    return view.clone(memory_format=contiguous_format)


def view_copy(input, size) -> Tensor:
    """A copy of ``input.view(size)``, as ``torch.view_copy``.

    >>> ad.view_copy(ad.arange(6.0), (2, 3)).shape
    (2, 3)
    """
    return _copied(tensor_of(input).view(size))


def transpose_copy(input, dim0: int, dim1: int) -> Tensor:
    """A copy of ``input`` with dims ``dim0`` and ``dim1`` swapped (PyTorch's
    ``transpose(dim0, dim1)``), as ``torch.transpose_copy``."""
    return _copied(tensor_of(input).swapaxes(dim0, dim1))


def permute_copy(input, dims) -> Tensor:
    """A copy of ``input.permute(dims)``, as ``torch.permute_copy``."""
    return _copied(tensor_of(input).permute(*dims))


def expand_copy(input, size, *, implicit: bool = False) -> Tensor:
    """A copy of ``input.expand(size)`` (every entry its own memory), as
    ``torch.expand_copy``.

    >>> ad.expand_copy(ad.tensor([1.0, 2.0]), (3, 2)).stride()
    (2, 1)
    """
    return _copied(tensor_of(input).expand(*size))


def diagonal_copy(input, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A copy of ``input.diagonal(offset, dim1, dim2)``, as ``torch.diagonal_copy``."""
    return _copied(tensor_of(input).diagonal(offset, dim1, dim2))


def squeeze_copy(input, dim=None) -> Tensor:
    """A copy of ``input.squeeze(dim)``, as ``torch.squeeze_copy``."""
    return _copied(tensor_of(input).squeeze(dim))


def unsqueeze_copy(input, dim: int) -> Tensor:
    """A copy of ``input.unsqueeze(dim)``, as ``torch.unsqueeze_copy``."""
    return _copied(tensor_of(input).unsqueeze(dim))


def t_copy(input) -> Tensor:
    """A copy of ``input.t()``, as ``torch.t_copy``."""
    return _copied(tensor_of(input).t())


def detach_copy(input) -> Tensor:
    """A copy of ``input.detach()`` (no history, memory of its own), as
    ``torch.detach_copy``."""
    return _copied(tensor_of(input).detach())


def alias_copy(input) -> Tensor:
    """A copy of ``input`` (recorded), as ``torch.alias_copy``."""
    return _copied(tensor_of(input))


def select_copy(input, dim: int, index: int) -> Tensor:
    """A copy of ``input.select(dim, index)``, as ``torch.select_copy``."""
    return _copied(tensor_of(input).select(dim, index))


def slice_copy(input, dim: int = 0, start=None, end=None, step: int = 1) -> Tensor:
    """A copy of the entries ``start:end:step`` along ``dim`` (PyTorch's ``slice``,
    ``x[..., start:end:step]``), as ``torch.slice_copy``; ``step`` must be positive.

    >>> ad.slice_copy(ad.arange(6.0).reshape(2, 3), 1, 1, None, 1)
    tensor([[1., 2.],
            [4., 5.]])
    """
    input = tensor_of(input)
    step = operator.index(step)
    if step <= 0:
        raise RuntimeError(f"slice_copy: slice step must be positive, got {step}; flip the "
                         "tensor (ad.flip) for a reversed order")
    if input.ndim == 0:
        raise IndexError("slice_copy: a 0-d tensor has no dim to slice")
    axis = operator.index(dim)
    if not -input.ndim <= axis < input.ndim:
        raise IndexError(f"slice_copy: dim {dim} is out of range for a tensor of shape "
                         f"{input.shape}")
    key = (slice(None),) * (axis % input.ndim) + (slice(start, end, step),)
    return _copied(input[key])


def split_copy(input, split_size, dim: int = 0) -> tuple:
    """Copies of the pieces of ``input.split(split_size, dim)``, as
    ``torch.split_copy``."""
    return tuple(_copied(piece) for piece in tensor_of(input).split(split_size, dim))


def split_with_sizes_copy(input, split_sizes, dim: int = 0) -> tuple:
    """Copies of the pieces of ``input.split_with_sizes(split_sizes, dim)``, as
    ``torch.split_with_sizes_copy``."""
    return tuple(_copied(piece)
                 for piece in tensor_of(input).split_with_sizes(split_sizes, dim))


def unbind_copy(input, dim: int = 0) -> tuple:
    """Copies of the slices of ``input.unbind(dim)``, as ``torch.unbind_copy``."""
    return tuple(_copied(piece) for piece in tensor_of(input).unbind(dim))


def unfold_copy(input, dimension: int, size: int, step: int) -> Tensor:
    """A copy of ``input.unfold(dimension, size, step)``, as ``torch.unfold_copy``."""
    return _copied(tensor_of(input).unfold(dimension, size, step))
