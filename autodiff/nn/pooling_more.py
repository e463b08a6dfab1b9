"""Adaptive 2-D pooling and 1-D pooling with PyTorch's arguments (part of ``F`` and
``nn``).

Adaptive pooling splits each spatial axis of size ``n`` into ``out`` windows, window
``i`` covering ``[floor(i * n / out), ceil((i + 1) * n / out))`` as PyTorch does; the
windows may differ in size by one and overlap.  The average is two products with 0/1
window matrices divided by the window sizes; the maximum is taken along the width
then along the height with ``max_pool2d``'s op, which keeps PyTorch's choice of the
first maximum in row-major order for the gradient.

The 1-D pools are the 2-D ones on a height-1 image.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..ops import conv as _conv
from ..ops import shape as _shape
from ..ops.indexing import getitem
from ..ops.linalg import matmul
from ..tensor import Tensor
from . import functional_conv as FC
from .conv import _MaxPoolNd, _is_int
from .half_precision import rounded_once
from .module import Module
from .unbatched import unbatched_too


# ----- adaptive pooling ---------------------------------------------------------------------

def _adaptive_sizes(x, output_size, where):
    shape = FC._check_image(x, where)
    FC._float_input(x, where)
    sizes = (tuple(output_size) if isinstance(output_size, (tuple, list))
             else (output_size, output_size))
    if len(sizes) != 2 or not all(s is None or (_is_int(s) and s >= 1) for s in sizes):
        raise ValueError(f"{where}: output_size must be an int >= 1, None, or a pair of them "
                         f"(None keeps that axis's size), got {output_size!r}")
    if min(shape[2:]) < 1:
        raise ValueError(f"{where}: the input has an empty spatial axis (shape {tuple(shape)})")
    return shape, tuple(int(n) if s is None else int(s) for s, n in zip(sizes, shape[2:]))


def _windows(n, out):
    """PyTorch's adaptive windows: (starts, ends) of the ``out`` windows over ``n``."""
    i = np.arange(out)
    return (i * n) // out, ((i + 1) * n + out - 1) // out


def _window_matrix(n, out, dtype, transposed=False):
    """(out, n) matrix with 1 where input position j is in window i (or its transpose)."""
    starts, ends = _windows(n, out)
    j = np.arange(n)
    inside = (j >= starts[:, None]) & (j < ends[:, None])
    return np.ascontiguousarray(inside.T if transposed else inside, dtype=dtype)


def _window_counts(size, out_hw, dtype):
    (h, w), (ho, wo) = size, out_hw
    (sh, eh), (sw, ew) = _windows(h, ho), _windows(w, wo)
    return ((eh - sh)[:, None] * (ew - sw)[None, :]).astype(dtype)


@unbatched_too("N, C, H, W")
def adaptive_avg_pool2d(input, output_size) -> Tensor:
    """Mean over PyTorch's adaptive windows of NCHW ``input``, giving an (N, C, *output_size)
    output whatever the input's size, as ``torch.nn.functional.adaptive_avg_pool2d``.
    ``output_size`` is an int, a pair, or a pair with ``None`` (keep that axis).

    >>> x = ad.tensor(np.arange(10.0).reshape(1, 1, 2, 5))
    >>> F.adaptive_avg_pool2d(x, (1, 3))[0, 0]
    tensor([[3. , 4.5, 6. ]])
    """
    where = "adaptive_avg_pool2d"
    shape, (ho, wo) = _adaptive_sizes(input, output_size, where)
    h, w = shape[2:]

    def averaged(x):
        rows = made("adaptive window matrix", _window_matrix, (h, ho, x.dtype))
        cols = made("adaptive window matrix", _window_matrix, (w, wo, x.dtype, True))
        total = matmul(matmul(rows, x), cols)         # (N, C, Ho, Wo) window sums
        counts = made("adaptive window counts", _window_counts, ((h, w), (ho, wo), x.dtype))
        return total / counts
    # float16 summed in float32 and rounded once, as PyTorch's CPU kernel
    return rounded_once(averaged, FC._as_tensor(input))


@unbatched_too("N, C, H, W")
def adaptive_max_pool2d(input, output_size, return_indices: bool = False) -> Tensor:
    """Maximum over PyTorch's adaptive windows of NCHW ``input``, as
    ``torch.nn.functional.adaptive_max_pool2d``; the gradient of each output goes to
    the first maximum of its window in row-major order.  ``return_indices=True`` also
    returns where each maximum is (``h * W + w``, int64, as PyTorch).

    >>> x = ad.tensor(np.arange(10.0).reshape(1, 1, 2, 5))
    >>> F.adaptive_max_pool2d(x, (1, 2))[0, 0]
    tensor([[7., 9.]])
    """
    where = "adaptive_max_pool2d"
    shape, (ho, wo) = _adaptive_sizes(input, output_size, where)
    x = FC._as_tensor(input)
    out = _max_along(_max_along(x, 3, wo), 2, ho)
    if return_indices:
        return out, adaptive_max_indices(x, (ho, wo))
    return out


def adaptive_max_indices(x, out_sizes) -> Tensor:
    """PyTorch's ``return_indices`` of an adaptive max pooling of ``x`` (N, C, ...): the
    flat index, in its plane, of each window's first maximum in row-major order, as an
    int64 Tensor computed off the tape (no gradient flows through indices)."""
    return Tensor(made("adaptive max pool indices", _adaptive_max_indices,
                       (x.data, tuple(out_sizes))))


def _adaptive_max_indices(x, out_sizes):
    spatial = x.shape[2:]
    windows = [_windows(n, out) for n, out in zip(spatial, out_sizes)]
    result = np.empty(x.shape[:2] + tuple(out_sizes), dtype=np.int64)
    for cell in np.ndindex(*out_sizes):
        starts = [int(windows[axis][0][i]) for axis, i in enumerate(cell)]
        key = tuple(slice(start, int(windows[axis][1][i]))
                    for axis, (start, i) in enumerate(zip(starts, cell)))
        block = x[(slice(None), slice(None)) + key]
        cells = int(np.prod(block.shape[2:]))              # (N or C may be 0)
        first = np.argmax(block.reshape(block.shape[:2] + (cells,)), axis=2)   # NaN first
        local = np.unravel_index(first, block.shape[2:])
        result[(slice(None), slice(None)) + cell] = np.ravel_multi_index(
            tuple(p + start for p, start in zip(local, starts)), spatial)
    return result


def _max_along(x, axis, out):
    """Adaptive maxima along ``axis`` (2 or 3) of a 4-D tensor, by max_pool2d's op."""
    n = x.shape[axis]
    starts, ends = _windows(n, out)
    sizes = ends - starts
    if n % out == 0:               # equal windows that tile the axis: one strided pool
        return _pool_axis(x, axis, int(sizes[0]), int(sizes[0]), out)
    parts = []
    for start, end in zip(starts.tolist(), ends.tolist()):
        key = [slice(None)] * 4
        key[axis] = slice(start, end)
        parts.append(_pool_axis(getitem(x, tuple(key)), axis, end - start, end - start, 1))
    return _shape.concatenate(parts, axis=axis)


def _pool_axis(x, axis, k, s, out):
    kernel = (k, 1) if axis == 2 else (1, k)
    stride = (s, 1) if axis == 2 else (1, s)
    out_hw = (out, x.shape[3]) if axis == 2 else (x.shape[2], out)
    return _conv.max_pool2d(x, kernel=kernel, stride=stride, padding=(0, 0),
                            dilation=(1, 1), out_hw=out_hw)


class AdaptiveAvgPool2d(Module):
    """``F.adaptive_avg_pool2d`` as a layer (no parameters); ``AdaptiveAvgPool2d(1)`` is
    global average pooling.

    >>> ad.nn.AdaptiveAvgPool2d((2, None))(ad.tensor(np.ones((1, 3, 5, 7)))).shape
    (1, 3, 2, 7)
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """``F.adaptive_max_pool2d`` as a layer (no parameters); with ``return_indices=True`` it
    returns ``(output, indices)``.

    >>> ad.nn.AdaptiveMaxPool2d(1)(ad.tensor(np.ones((2, 3, 5, 7)))).shape
    (2, 3, 1, 1)
    """

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        self.output_size, self.return_indices = output_size, bool(return_indices)

    def forward(self, input):
        return adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


# ----- 1-D pooling ----------------------------------------------------------------------------

def _int1(value, what, where, minimum):
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if not _is_int(value) or value < minimum:
        raise ValueError(f"{where}: {what} must be an int >= {minimum} (or a tuple of one), "
                         f"got {value!r}")
    return int(value)


def _pool1d_args(x, kernel_size, stride, padding, dilation, where):
    shape = FC.check_batched(x, where, "N, C, L")
    FC._float_input(x, where)
    k = _int1(kernel_size, "kernel_size", where, 1)
    s = k if stride is None or stride == () else _int1(stride, "stride", where, 1)
    p = _int1(padding, "padding", where, 0)
    d = _int1(dilation, "dilation", where, 1)
    if p > k // 2:
        raise ValueError(f"{where}: padding {p} must be at most half the kernel size {k}")
    span = d * (k - 1) + 1
    if shape[2] + 2 * p < span:
        raise ValueError(f"{where}: the kernel (extent {span} with dilation) is larger than the "
                         f"padded input ({shape[2] + 2 * p}, from {shape[2]} with padding {p}); "
                         f"input shape {tuple(shape)}")
    return shape, k, s, p, d


def _as_image(x, shape):
    return _shape.reshape(FC._as_tensor(x), (shape[0], shape[1], 1, shape[2]))


def _as_sequence(y):
    return _shape.reshape(y, (y.shape[0], y.shape[1], y.shape[3]))


@unbatched_too("N, C, L")
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    """Maximum over each window of (N, C, L) ``input``, as ``torch.nn.functional.max_pool1d``
    (``stride`` defaults to ``kernel_size``; padding counts as -inf; the gradient goes to
    the first maximum of each window).  ``return_indices=True`` also returns the
    position of each maximum (int64), for ``F.max_unpool1d``.

    >>> F.max_pool1d(ad.tensor([[[1.0, 3.0, 2.0, 5.0, 4.0]]]), 2)
    tensor([[[3., 5.]]])
    """
    where = "max_pool1d"
    shape, k, s, p, d = _pool1d_args(input, kernel_size, stride, padding, dilation, where)
    out = FC._pool_sizes((1, 1, 1, shape[2]), (1, k), (1, s), (0, p), (1, d), ceil_mode,
                         where)
    starts = np.arange(out[1]) * s - p
    taps = starts[:, None] + d * np.arange(k)
    empty = ~((taps >= 0) & (taps < shape[2])).any(axis=1)
    if empty.any():
        raise ValueError(f"{where}: the window of output {int(np.argmax(empty))} covers padding "
                         f"only (input length {shape[2]}, kernel {k}, stride {s}, padding {p}, "
                         f"dilation {d}): it has no input to take the maximum of. Use less "
                         "padding or dilation.")
    image = _as_image(input, shape)
    y = _conv.max_pool2d(image, kernel=(1, k), stride=(1, s), padding=(0, p), dilation=(1, d),
                         out_hw=out)
    if return_indices:       # h * W + w with h = 0: the position along the sequence
        indices = FC.max_indices(image, (1, k), (1, s), (0, p), (1, d), out)
        return _as_sequence(y), _as_sequence(indices)
    return _as_sequence(y)


@unbatched_too("N, C, L")
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over each window of (N, C, L) ``input``, as ``torch.nn.functional.avg_pool1d``:
    zero padding counts in the mean unless ``count_include_pad=False``.

    >>> F.avg_pool1d(ad.tensor([[[1.0, 3.0, 2.0, 6.0]]]), 2)
    tensor([[[2., 4.]]])
    """
    where = "avg_pool1d"
    shape, k, s, p, _ = _pool1d_args(input, kernel_size, stride, padding, 1, where)
    y = FC.avg_pool2d(_as_image(input, shape), (1, k), (1, s), (0, p), ceil_mode,
                      count_include_pad)
    return _as_sequence(y)


class MaxPool1d(_MaxPoolNd):
    """``F.max_pool1d`` as a layer (no parameters).

    >>> ad.nn.MaxPool1d(3, stride=2)(ad.tensor(np.zeros((1, 4, 9)))).shape
    (1, 4, 4)
    """

    _function = staticmethod(max_pool1d)


class AvgPool1d(Module):
    """``F.avg_pool1d`` as a layer (no parameters; ``count_include_pad=True`` as PyTorch).

    >>> ad.nn.AvgPool1d(2)(ad.tensor(np.ones((1, 1, 4))))
    tensor([[[1., 1.]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True):
        super().__init__()
        where = "AvgPool1d"
        # PyTorch keeps these as 1-tuples (its repr shows kernel_size=(3,)).
        self.kernel_size = (_int1(kernel_size, "kernel_size", where, 1),)
        self.stride = (self.kernel_size[0] if stride is None
                       else _int1(stride, "stride", where, 1),)
        self.padding = (_int1(padding, "padding", where, 0),)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
