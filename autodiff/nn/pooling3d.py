"""3-D pooling and 1-D / 3-D adaptive pooling with PyTorch's arguments (part of ``F``
and ``nn``).

A pooling window over (depth, height, width) is a box, so it pools in two stages:
each depth slice with the 2-D op (the slices taken as N*D images), then along the
depth.  The maximum of a box is the maximum over depth of the per-slice maxima, and
taking the first maximum at each stage gives the first one in (d, h, w) order, the one
PyTorch sends the gradient to.  The number of cells an average divides by is a
product of the counts along each axis, so the 2-D average followed by the depth
average divides by exactly PyTorch's count (with ``count_include_pad`` and
``ceil_mode``).  The 1-D adaptive pools are the 2-D ones on a height-1 image.
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..compile.hooks import made
from ..ops import conv as _conv
from ..ops import shape as _shape
from ..ops.indexing import getitem
from ..ops.linalg import matmul
from ..tensor import Tensor
from . import functional_conv as FC
from . import pooling_more as PM
from .conv import _MaxPoolNd, _is_int
from .conv3d import _triple, as_planes, check_volume, from_planes
from .half_precision import rounded_once
from .module import Module
from .unbatched import unbatched_too

_ALL = slice(None)


def _pool3d_args(x, kernel_size, stride, padding, dilation, where):
    shape = check_volume(x, where)
    FC._float_input(x, where)
    kernel = _triple(kernel_size, "kernel_size", where)
    stride = kernel if stride is None or stride == () else _triple(stride, "stride", where)
    padding = _triple(padding, "padding", where, minimum=0)
    dilation = _triple(dilation, "dilation", where)
    return shape, kernel, stride, padding, dilation


@unbatched_too("N, C, D, H, W")
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:
    """Maximum over each (kd, kh, kw) window of (N, C, D, H, W) ``input``, as
    ``torch.nn.functional.max_pool3d`` (``stride`` defaults to ``kernel_size``; padding
    counts as -inf).  The gradient of each output goes to the first maximum of its
    window in (d, h, w) order; a window holding NaN outputs NaN.  ``return_indices=True``
    also returns where each maximum is (``d * H * W + h * W + w``, int64, as PyTorch),
    for ``F.max_unpool3d``.

    >>> x = ad.tensor(np.arange(8.0).reshape(1, 1, 2, 2, 2))
    >>> F.max_pool3d(x, 2)
    tensor([[[[[7.]]]]])
    >>> F.max_pool3d(x, (2, 1, 1), return_indices=True)[1].ravel()
    tensor([4, 5, 6, 7])
    """
    where = "max_pool3d"
    shape, kernel, stride, padding, dilation = _pool3d_args(input, kernel_size, stride, padding,
                                                            dilation, where)
    out = FC._pool_sizes(shape, kernel, stride, padding, dilation, ceil_mode, where)
    FC._refuse_windows_in_padding(shape[2:], kernel, stride, padding, dilation, out, where)
    n, c = shape[:2]
    (do, ho, wo), (kd, kh, kw) = out, kernel
    planes = _conv.max_pool2d(as_planes(FC._as_tensor(input)), kernel=(kh, kw),
                              stride=stride[1:], padding=padding[1:], dilation=dilation[1:],
                              out_hw=(ho, wo))                       # (N*D, C, Ho, Wo)
    columns = _shape.reshape(from_planes(planes, n, shape[2]), (n, c, shape[2], ho * wo))
    deep = _conv.max_pool2d(columns, kernel=(kd, 1), stride=(stride[0], 1),
                            padding=(padding[0], 0), dilation=(dilation[0], 1),
                            out_hw=(do, ho * wo))
    out = _shape.reshape(deep, (n, c, do, ho, wo))
    if return_indices:
        indices = made("max pool indices", _max_indices_3d,
                       (FC._as_tensor(input).data, kernel, stride, padding, dilation, (do, ho, wo)))
        return out, Tensor(indices)
    return out


def _max_indices_3d(x, kernel, stride, padding, dilation, out):
    """``d * H * W + h * W + w`` of each window's first maximum, by the same two stages
    as the values: the in-plane index of each depth slice's maximum, then the depth."""
    n, c, depth, h, w = x.shape
    do, ho, wo = out
    planes = np.ascontiguousarray(x.transpose(0, 2, 1, 3, 4).reshape(n * depth, c, h, w))
    pooled, in_plane = kernels.max_pool2d(planes, (ho, wo), kernel[1:], stride[1:], padding[1:],
                                          dilation[1:])
    pooled = pooled.reshape(n, depth, c, ho * wo).transpose(0, 2, 1, 3)
    in_plane = in_plane.reshape(n, depth, c, ho * wo).transpose(0, 2, 1, 3)
    deepest = kernels.max_pool2d(np.ascontiguousarray(pooled), (do, ho * wo), (kernel[0], 1),
                                 (stride[0], 1), (padding[0], 0), (dilation[0], 1))[1]
    d = deepest // (ho * wo)                       # the depth of each maximum
    hw = np.take_along_axis(in_plane, d, axis=2)
    return (d * (h * w) + hw).reshape(n, c, do, ho, wo).astype(np.int64)


@unbatched_too("N, C, D, H, W")
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over each (kd, kh, kw) window of (N, C, D, H, W) ``input``, as
    ``torch.nn.functional.avg_pool3d``: zero padding counts in the mean unless
    ``count_include_pad=False``; windows that ``ceil_mode`` lets run past the padding
    divide by the part inside it.  An int ``divisor_override`` divides every window's
    sum instead.

    >>> F.avg_pool3d(ad.tensor(np.arange(8.0).reshape(1, 1, 2, 2, 2)), 2)
    tensor([[[[[3.5]]]]])
    """
    where = "avg_pool3d"
    divisor_override = FC.checked_divisor(divisor_override, where)
    shape, kernel, stride, padding, _ = _pool3d_args(input, kernel_size, stride, padding, 1,
                                                     where)
    do = FC._pool_sizes(shape, kernel, stride, padding, (1, 1, 1), ceil_mode, where)[0]
    n, depth = shape[0], shape[2]
    (kd, kh, kw), (sd, sh, sw), (pd, ph, pw) = kernel, stride, padding

    def averaged(x):
        # with an override, the planes keep their sums (divided by 1) until the end
        planes = FC.avg_pool2d(as_planes(x), (kh, kw), (sh, sw), (ph, pw), ceil_mode,
                               count_include_pad, None if divisor_override is None else 1)
        x = from_planes(planes, n, depth)                            # (N, C, D, Ho, Wo)
        extra = max(0, (do - 1) * sd + kd - (depth + 2 * pd))
        if pd or extra:
            x = _conv.constant_pad(x, widths=((0, 0), (0, 0), (pd, pd + extra), (0, 0),
                                              (0, 0)), value=0.0)
        total = None
        for k in range(kd):
            part = getitem(x, (_ALL, _ALL, slice(k, k + sd * (do - 1) + 1, sd)))
            total = part if total is None else total + part
        if divisor_override is not None:
            return total / divisor_override
        divisor = made("pool divisor", _depth_divisor,
                       (depth, kd, sd, pd, extra, do, count_include_pad, x.dtype))
        return total / divisor
    # float16 in float32, rounded once (PyTorch has no float16 avg_pool3d on the CPU; this
    # is its float32 result on the same values, rounded to float16)
    return rounded_once(averaged, FC._as_tensor(input))


def _depth_divisor(n, k, s, p, extra, out, count_include_pad, dtype):
    """How many cells of each window along the depth fall inside the counted region,
    shaped to divide an (N, C, Do, Ho, Wo) sum."""
    counted = np.zeros(n + 2 * p + extra)
    if count_include_pad:
        counted[:n + 2 * p] = 1
    else:
        counted[p:p + n] = 1
    counts = np.lib.stride_tricks.sliding_window_view(counted, k)[::s][:out].sum(axis=1)
    return counts.astype(dtype).reshape(1, 1, out, 1, 1)


# ----- adaptive pooling ------------------------------------------------------------------------

def _adaptive_sizes(x, output_size, axes, where):
    """The input's shape and the output's sizes along its last ``axes`` axes (None keeps
    an axis's size)."""
    shape = FC.check_batched(x, where, "N, C, L" if axes == 1 else "N, C, D, H, W")
    FC._float_input(x, where)
    sizes = (tuple(output_size) if isinstance(output_size, (tuple, list))
             else (output_size,) * axes)
    if len(sizes) != axes or not all(s is None or (_is_int(s) and s >= 1) for s in sizes):
        raise ValueError(f"{where}: output_size must be an int >= 1"
                         + (", None, or a tuple of 3 of them (None keeps that axis's size)"
                            if axes == 3 else " (or a tuple of one)")
                         + f", got {output_size!r}")
    if min(shape[2:]) < 1:
        raise ValueError(f"{where}: the input has an empty spatial axis (shape {tuple(shape)})")
    return shape, tuple(int(n) if s is None else int(s) for s, n in zip(sizes, shape[2:]))


@unbatched_too("N, C, L")
def adaptive_avg_pool1d(input, output_size) -> Tensor:
    """Mean over PyTorch's adaptive windows of (N, C, L) ``input``, giving
    (N, C, output_size), as ``torch.nn.functional.adaptive_avg_pool1d``.

    >>> F.adaptive_avg_pool1d(ad.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), 2)
    tensor([[[2., 4.]]])
    """
    (n, c, length), (out,) = _adaptive_sizes(input, output_size, 1, "adaptive_avg_pool1d")
    image = _shape.reshape(FC._as_tensor(input), (n, c, 1, length))
    return _shape.reshape(PM.adaptive_avg_pool2d(image, (1, out)), (n, c, out))


@unbatched_too("N, C, L")
def adaptive_max_pool1d(input, output_size, return_indices: bool = False) -> Tensor:
    """Maximum over PyTorch's adaptive windows of (N, C, L) ``input``, as
    ``torch.nn.functional.adaptive_max_pool1d``; the gradient goes to the first maximum
    of each window; ``return_indices=True`` also returns their positions (int64).

    >>> F.adaptive_max_pool1d(ad.tensor([[[1.0, 5.0, 3.0, 4.0, 2.0]]]), 2)
    tensor([[[5., 4.]]])
    """
    where = "adaptive_max_pool1d"
    (n, c, length), (out,) = _adaptive_sizes(input, output_size, 1, where)
    x = FC._as_tensor(input)
    pooled = _shape.reshape(PM._max_along(_shape.reshape(x, (n, c, 1, length)), 3, out),
                            (n, c, out))
    if return_indices:
        return pooled, PM.adaptive_max_indices(x, (out,))
    return pooled


@unbatched_too("N, C, D, H, W")
def adaptive_avg_pool3d(input, output_size) -> Tensor:
    """Mean over PyTorch's adaptive windows of (N, C, D, H, W) ``input``, giving
    (N, C, *output_size), as ``torch.nn.functional.adaptive_avg_pool3d``; ``output_size``
    is an int or a triple (``None`` keeps that axis).

    >>> F.adaptive_avg_pool3d(ad.tensor(np.arange(8.0).reshape(1, 1, 2, 2, 2)), 1)
    tensor([[[[[3.5]]]]])
    """
    shape, (do, ho, wo) = _adaptive_sizes(input, output_size, 3, "adaptive_avg_pool3d")
    n, c, depth, h, w = shape

    def averaged(x):
        rows = made("adaptive window matrix", PM._window_matrix, (depth, do, x.dtype))
        counts = made("adaptive window counts", _depth_counts, (depth, do, x.dtype))
        deep = matmul(rows, _shape.reshape(x, (n, c, depth, h * w))) / counts  # (N, C, Do, H*W)
        planes = _shape.reshape(deep, (n, c * do, h, w))
        return _shape.reshape(PM.adaptive_avg_pool2d(planes, (ho, wo)), (n, c, do, ho, wo))
    return rounded_once(averaged, FC._as_tensor(input))      # float16: as adaptive_avg_pool2d


def _depth_counts(n, out, dtype):
    starts, ends = PM._windows(n, out)
    return (ends - starts).astype(dtype).reshape(out, 1)


@unbatched_too("N, C, D, H, W")
def adaptive_max_pool3d(input, output_size, return_indices: bool = False) -> Tensor:
    """Maximum over PyTorch's adaptive windows of (N, C, D, H, W) ``input``, as
    ``torch.nn.functional.adaptive_max_pool3d``; the gradient of each output goes to the
    first maximum of its window in (d, h, w) order.  ``return_indices=True`` also
    returns where each maximum is (``d * H * W + h * W + w``, int64).

    >>> F.adaptive_max_pool3d(ad.tensor(np.arange(8.0).reshape(1, 1, 2, 2, 2)), (2, 1, 1))
    tensor([[[[[3.]],
    <BLANKLINE>
              [[7.]]]]])
    """
    where = "adaptive_max_pool3d"
    shape, (do, ho, wo) = _adaptive_sizes(input, output_size, 3, where)
    n, c, depth, h, w = shape
    x = FC._as_tensor(input)
    planes = _shape.reshape(x, (n, c * depth, h, w))
    planes = PM._max_along(PM._max_along(planes, 3, wo), 2, ho)        # (N, C*D, Ho, Wo)
    deep = PM._max_along(_shape.reshape(planes, (n, c, depth, ho * wo)), 2, do)
    out = _shape.reshape(deep, (n, c, do, ho, wo))
    if return_indices:
        return out, PM.adaptive_max_indices(x, (do, ho, wo))
    return out


# ----- layers -----------------------------------------------------------------------------------

class MaxPool3d(_MaxPoolNd):
    """``F.max_pool3d`` as a layer (no parameters); with ``return_indices=True`` it returns
    ``(output, indices)``, for ``MaxUnpool3d``.

    >>> ad.nn.MaxPool3d(2)(ad.tensor(np.zeros((1, 1, 4, 4, 4)))).shape
    (1, 1, 2, 2, 2)
    """

    _function = staticmethod(max_pool3d)


class AvgPool3d(Module):
    """``F.avg_pool3d`` as a layer (no parameters; ``count_include_pad=True`` as PyTorch).

    >>> ad.nn.AvgPool3d(2)(ad.tensor(np.ones((1, 1, 2, 4, 4)))).shape
    (1, 1, 1, 2, 2)
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = FC.checked_divisor(divisor_override, "AvgPool3d")

    def forward(self, input):
        return avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _Adaptive(Module):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_Adaptive):
    """``F.adaptive_avg_pool1d`` as a layer (no parameters).

    >>> ad.nn.AdaptiveAvgPool1d(2)(ad.tensor(np.ones((1, 3, 7)))).shape
    (1, 3, 2)
    """

    def forward(self, input):
        return adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool3d(_Adaptive):
    """``F.adaptive_avg_pool3d`` as a layer (no parameters); ``AdaptiveAvgPool3d(1)`` is
    global average pooling.

    >>> ad.nn.AdaptiveAvgPool3d((1, None, 2))(ad.tensor(np.ones((1, 3, 4, 5, 6)))).shape
    (1, 3, 1, 5, 2)
    """

    def forward(self, input):
        return adaptive_avg_pool3d(input, self.output_size)


class _AdaptiveMax(_Adaptive):
    def __init__(self, output_size, return_indices: bool = False):
        super().__init__(output_size)
        self.return_indices = bool(return_indices)


class AdaptiveMaxPool1d(_AdaptiveMax):
    """``F.adaptive_max_pool1d`` as a layer (no parameters).

    >>> ad.nn.AdaptiveMaxPool1d(2)(ad.tensor(np.ones((1, 3, 7)))).shape
    (1, 3, 2)
    """

    def forward(self, input):
        return adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool3d(_AdaptiveMax):
    """``F.adaptive_max_pool3d`` as a layer (no parameters).

    >>> ad.nn.AdaptiveMaxPool3d(1)(ad.tensor(np.ones((2, 3, 4, 5, 6)))).shape
    (2, 3, 1, 1, 1)
    """

    def forward(self, input):
        return adaptive_max_pool3d(input, self.output_size, self.return_indices)
