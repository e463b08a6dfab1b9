"""Layers that only move values: PixelShuffle, PixelUnshuffle, ChannelShuffle, Fold and
Unfold, with their functions, in PyTorch's orders.

``pixel_shuffle`` with factor ``r`` moves (*, C*r*r, H, W) to (*, C, H*r, W*r): the
channel ``c*r*r + i*r + j`` becomes the sub-pixel (i, j) of channel ``c``;
``pixel_unshuffle`` is its inverse.  ``channel_shuffle`` with ``g`` groups views the
channels as (g, C/g) and transposes that to (C/g, g).  Each is a reshape, a transpose
and a reshape, so the gradient moves values back the same way (to every order).
"""

from __future__ import annotations

import numpy as np

from ..ops import shape as sh
from ..ops.operands import tensor_of
from ..tensor import Tensor
from .functional_conv import _pair, fold, unfold
from .module import Module


def _shape_of(x):
    return tuple(x.shape) if isinstance(x, Tensor) else np.shape(x)


def _factor(value, what, where):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{where}: {what} must be a positive int, got {value!r}")
    return int(value)


def _image(x, where):
    shape = _shape_of(x)
    if len(shape) < 3:
        raise ValueError(f"{where}: expected input of shape (*, C, H, W) with at least 3 "
                         f"axes, got shape {shape}")
    return tensor_of(x), shape


def pixel_shuffle(input, upscale_factor: int) -> Tensor:
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r) with ``r = upscale_factor``, as
    ``torch.nn.functional.pixel_shuffle``.

    >>> F.pixel_shuffle(ad.tensor(np.arange(4.0).reshape(1, 4, 1, 1)), 2)[0, 0]
    tensor([[0., 1.],
            [2., 3.]])
    """
    where = "pixel_shuffle"
    r = _factor(upscale_factor, "upscale_factor", where)
    x, shape = _image(input, where)
    *batch, channels, h, w = shape
    if channels % (r * r):
        raise ValueError(f"{where}: the channel axis (-3) must be divisible by "
                         f"upscale_factor**2 = {r * r}, got input of shape {shape}")
    c, k = channels // (r * r), len(batch)
    x = sh.reshape(x, (*batch, c, r, r, h, w))
    x = sh.transpose(x, tuple(range(k)) + tuple(k + a for a in (0, 3, 1, 4, 2)))
    return sh.reshape(x, (*batch, c, h * r, w * r))


def pixel_unshuffle(input, downscale_factor: int) -> Tensor:
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W) with ``r = downscale_factor``, the inverse of
    ``pixel_shuffle``, as ``torch.nn.functional.pixel_unshuffle``.

    >>> F.pixel_unshuffle(ad.tensor(np.arange(4.0).reshape(1, 1, 2, 2)), 2).ravel()
    tensor([0., 1., 2., 3.])
    """
    where = "pixel_unshuffle"
    r = _factor(downscale_factor, "downscale_factor", where)
    x, shape = _image(input, where)
    *batch, c, height, width = shape
    if height % r or width % r:
        raise ValueError(f"{where}: the height and width (axes -2 and -1) must be divisible "
                         f"by downscale_factor = {r}, got input of shape {shape}")
    h, w, k = height // r, width // r, len(batch)
    x = sh.reshape(x, (*batch, c, h, r, w, r))
    x = sh.transpose(x, tuple(range(k)) + tuple(k + a for a in (0, 2, 4, 1, 3)))
    return sh.reshape(x, (*batch, c * r * r, h, w))


def channel_shuffle(input, groups: int) -> Tensor:
    """Interleave the channels (axis 1) of (N, C, *) input from ``groups`` groups: view
    them as (groups, C/groups) and transpose, as ``torch.nn.functional.channel_shuffle``.

    >>> F.channel_shuffle(ad.tensor(np.arange(6.0).reshape(1, 6, 1)), 2).ravel()
    tensor([0., 3., 1., 4., 2., 5.])
    """
    where = "channel_shuffle"
    g = _factor(groups, "groups", where)
    shape = _shape_of(input)
    if len(shape) < 3:
        raise ValueError(f"{where}: expected input of shape (N, C, *) with more than 2 axes, "
                         f"got shape {shape}")
    n, channels, *rest = shape
    if channels % g:
        raise ValueError(f"{where}: the number of channels (axis 1) must be divisible by "
                         f"groups, got input of shape {shape} and groups={g}")
    x = tensor_of(input)
    x = sh.swapaxes(sh.reshape(x, (n, g, channels // g, *rest)), 1, 2)
    return sh.reshape(x, shape)


class PixelShuffle(Module):
    """``F.pixel_shuffle`` as a layer: (*, C*r*r, H, W) -> (*, C, H*r, W*r).

    >>> ad.nn.PixelShuffle(3)(ad.tensor(np.zeros((2, 18, 4, 5)))).shape
    (2, 2, 12, 15)
    """

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = _factor(upscale_factor, "upscale_factor", "PixelShuffle")

    def forward(self, input):
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """``F.pixel_unshuffle`` as a layer: (*, C, H*r, W*r) -> (*, C*r*r, H, W).

    >>> ad.nn.PixelUnshuffle(2)(ad.tensor(np.zeros((2, 3, 4, 6)))).shape
    (2, 12, 2, 3)
    """

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = _factor(downscale_factor, "downscale_factor", "PixelUnshuffle")

    def forward(self, input):
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"


class ChannelShuffle(Module):
    """``F.channel_shuffle`` as a layer.

    >>> ad.nn.ChannelShuffle(2)
    ChannelShuffle(groups=2)
    """

    def __init__(self, groups: int):
        super().__init__()
        self.groups = _factor(groups, "groups", "ChannelShuffle")

    def forward(self, input):
        return channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"


class Unfold(Module):
    """``F.unfold`` (im2col) as a layer: (N, C, H, W) -> (N, C*kh*kw, L), or
    (C, H, W) -> (C*kh*kw, L), as ``torch.nn.Unfold``.

    >>> ad.nn.Unfold(kernel_size=2)(ad.tensor(np.zeros((1, 3, 4, 5)))).shape
    (1, 12, 12)
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride
        _check_arguments(kernel_size, dilation, padding, stride, "Unfold")

    def forward(self, input):
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """``F.fold`` (col2im) as a layer: (N, C*kh*kw, L) -> (N, C, *output_size), or
    (C*kh*kw, L) -> (C, *output_size), overlapping entries summed, as ``torch.nn.Fold``.

    >>> fold = ad.nn.Fold(output_size=(3, 3), kernel_size=2)
    >>> fold(ad.tensor(np.ones((1, 4, 4))))[0, 0]
    tensor([[1., 2., 1.],
            [2., 4., 2.],
            [1., 2., 1.]])
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride
        _pair(output_size, "output_size", "Fold")
        _check_arguments(kernel_size, dilation, padding, stride, "Fold")

    def forward(self, input):
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                    self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


def _check_arguments(kernel_size, dilation, padding, stride, where):
    """Refuse bad sizes when the layer is built, as the function would at each call."""
    for value, what in ((kernel_size, "kernel_size"), (dilation, "dilation"),
                        (stride, "stride")):
        _pair(value, what, where)
    _pair(padding, "padding", where, minimum=0)
