"""Max unpooling (``F.max_unpool1d/2d/3d``, ``nn.MaxUnpool1d/2d/3d``), the partial
inverse of max pooling with ``return_indices=True``, as PyTorch's.

Each input value is put at its index (``h * W + w`` in its plane, ``d * H * W + ...``
in 3-D) of an otherwise zero output; the gradient of an input is the output gradient
read back at its index.  The output size is PyTorch's default
``(in - 1) * stride - 2 * padding + kernel`` along each axis, or ``output_size``.
When an index repeats within a plane (overlapping pooling windows that shared their
maximum), the last value written there is kept, as PyTorch's CPU loop keeps it, and
the gradient goes to that value alone: the derivative of what is computed (PyTorch's
backward reads the gradient back for every repeat, which counts it more than once).
"""

from __future__ import annotations

import math

import numpy as np

from ..compile.hooks import made
from ..ops import elementwise as ew
from ..ops import shape as _shape
from ..ops.indexing import index_add
from ..tensor import Tensor
from . import functional_conv as FC
from .conv import _tuple
from .module import Module
from .unbatched import unbatched_too

_LAYOUTS = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}


def _sizes(in_sizes, kernel, stride, padding, output_size, where):
    """PyTorch's output size: the default, or ``output_size`` when it lies within one
    stride of it."""
    default = tuple((n - 1) * s - 2 * p + k
                    for n, k, s, p in zip(in_sizes, kernel, stride, padding))
    if output_size is None:
        sizes = default
    else:
        sizes = tuple(int(v) for v in output_size)
        if len(sizes) == len(default) + 2:
            sizes = sizes[2:]
        if len(sizes) != len(default):
            raise ValueError(f"{where}: output_size must hold {len(default)} (or "
                             f"{len(default) + 2}) sizes, got {tuple(output_size)}")
        for axis, (want, size, s) in enumerate(zip(sizes, default, stride)):
            if not size - s < want < size + s:
                raise ValueError(f"{where}: output_size {sizes} is not reachable: along axis "
                                 f"{axis + 2} it must lie strictly between {size - s} and "
                                 f"{size + s} (the default size {size}, give or take a stride)")
    if min(sizes) < 1:
        raise ValueError(f"{where}: the output would have sizes {sizes} (input sizes "
                         f"{tuple(in_sizes)}, kernel {kernel}, stride {stride}, padding "
                         f"{padding}); use less padding")
    return sizes


def _positions(indices, plane, where):
    """Flat positions in the (N*C*plane) output of int ``indices`` (N, C, ...): each row's
    index plus the row's offset; refused when an index is outside its plane."""
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{where}: indices must be integers (as max pooling's "
                        f"return_indices gives), got dtype {indices.dtype}")
    rows = indices.reshape(indices.shape[0] * indices.shape[1], math.prod(indices.shape[2:]))
    bad = (rows < 0) | (rows >= plane)
    if bad.any():
        raise ValueError(f"{where}: index {int(rows[bad][0])} is outside the output plane of "
                         f"{plane} cells; indices must come from the max pooling whose output "
                         "this unpools (with the same kernel, stride and padding)")
    return (rows + (np.arange(rows.shape[0]) * plane)[:, None]).ravel()


def _last_writes(positions):
    """True where a flat position is written for the last time (earlier repeats lose)."""
    backwards = positions[::-1]
    _, first_backwards = np.unique(backwards, return_index=True)
    keep = np.zeros(positions.size, dtype=bool)
    keep[positions.size - 1 - first_backwards] = True
    return keep


def _max_unpool(input, indices, kernel_size, stride, padding, output_size, dims, where):
    x = FC._as_tensor(input)
    FC._float_input(x, where)
    if x.ndim != dims + 2:
        raise ValueError(f"{where}: expected a {dims + 2}-D input {_LAYOUTS[dims]}, got shape "
                         f"{x.shape}")
    index_array = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if index_array.shape != x.shape:
        raise ValueError(f"{where}: indices have shape {index_array.shape} but the input has "
                         f"shape {x.shape}; they must be the same (the pooling's output and "
                         "its indices)")
    kernel = _tuple(kernel_size, dims, "kernel_size", where, 1)
    stride = kernel if stride is None else _tuple(stride, dims, "stride", where, 1)
    padding = _tuple(padding, dims, "padding", where, 0)
    sizes = _sizes(x.shape[2:], kernel, stride, padding, output_size, where)
    n, c = x.shape[:2]
    plane = math.prod(sizes)
    positions = made(f"{where} positions", _positions, (index_array, plane, where),
                     stateful=True)
    keep = made(f"{where} last writes", _last_writes, (positions,))
    values = ew.where(keep, _shape.reshape(x, (-1,)), 0.0)
    out = index_add(values, (n * c * plane,), positions)
    return _shape.reshape(out, (n, c) + sizes)


@unbatched_too("N, C, L", also=("indices",))
def max_unpool1d(input, indices, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Undo ``F.max_pool1d(..., return_indices=True)`` as far as possible: each value of
    (N, C, L) ``input`` goes to its index, zeros elsewhere, as
    ``torch.nn.functional.max_unpool1d``.

    >>> y, i = F.max_pool1d(ad.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2, return_indices=True)
    >>> F.max_unpool1d(y, i, 2)
    tensor([[[0., 3., 2., 0.]]])
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1,
                       "max_unpool1d")


@unbatched_too("N, C, H, W", also=("indices",))
def max_unpool2d(input, indices, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Undo ``F.max_pool2d(..., return_indices=True)`` as far as possible: each value of
    (N, C, H, W) ``input`` goes to its index, zeros elsewhere, as
    ``torch.nn.functional.max_unpool2d``.

    >>> y, i = F.max_pool2d(ad.tensor([[[[1.0, 2.0], [4.0, 3.0]]]]), 2, return_indices=True)
    >>> F.max_unpool2d(y, i, 2)
    tensor([[[[0., 0.],
              [4., 0.]]]])
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2,
                       "max_unpool2d")


@unbatched_too("N, C, D, H, W", also=("indices",))
def max_unpool3d(input, indices, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Undo ``F.max_pool3d(..., return_indices=True)`` as far as possible: each value of
    (N, C, D, H, W) ``input`` goes to its index, zeros elsewhere, as
    ``torch.nn.functional.max_unpool3d``.

    >>> x = ad.tensor(np.arange(8.0).reshape(1, 1, 2, 2, 2))
    >>> y, i = F.max_pool3d(x, 2, return_indices=True)
    >>> F.max_unpool3d(y, i, 2).ravel()
    tensor([0., 0., 0., 0., 0., 0., 0., 7.])
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3,
                       "max_unpool3d")


class _MaxUnpoolNd(Module):
    _dims = 2
    _function = None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        where, n = type(self).__name__, self._dims
        self.kernel_size = _tuple(kernel_size, n, "kernel_size", where, 1)
        self.stride = (self.kernel_size if stride is None
                       else _tuple(stride, n, "stride", where, 1))
        self.padding = _tuple(padding, n, "padding", where, 0)

    def forward(self, input, indices, output_size=None):
        return type(self)._function(input, indices, self.kernel_size, self.stride,
                                    self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """``F.max_unpool1d`` as a layer: ``forward(input, indices, output_size=None)``.

    >>> pool, unpool = ad.nn.MaxPool1d(2, return_indices=True), ad.nn.MaxUnpool1d(2)
    >>> unpool(*pool(ad.tensor([[[1.0, 3.0, 2.0, 0.0]]])))
    tensor([[[0., 3., 2., 0.]]])
    """

    _dims = 1
    _function = staticmethod(max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    """``F.max_unpool2d`` as a layer: ``forward(input, indices, output_size=None)``.

    >>> pool, unpool = ad.nn.MaxPool2d(2, return_indices=True), ad.nn.MaxUnpool2d(2)
    >>> unpool(*pool(ad.tensor(np.ones((1, 1, 4, 4))))).shape
    (1, 1, 4, 4)
    """

    _dims = 2
    _function = staticmethod(max_unpool2d)


class MaxUnpool3d(_MaxUnpoolNd):
    """``F.max_unpool3d`` as a layer: ``forward(input, indices, output_size=None)``.

    >>> pool, unpool = ad.nn.MaxPool3d(2, return_indices=True), ad.nn.MaxUnpool3d(2)
    >>> unpool(*pool(ad.tensor(np.ones((1, 1, 2, 4, 4))))).shape
    (1, 1, 2, 4, 4)
    """

    _dims = 3
    _function = staticmethod(max_unpool3d)
