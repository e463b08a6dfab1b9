"""3-D convolution and the 1-D and 3-D transposed convolutions, with PyTorch's
arguments and weight layouts (``F.conv3d``, ``F.conv_transpose1d``,
``F.conv_transpose3d``, ``nn.Conv3d``, ``nn.ConvTranspose1d``, ``nn.ConvTranspose3d``).

A 3-D convolution of (N, C, D, H, W) input is a sum over the kernel's depth taps of
2-D convolutions: tap ``k`` convolves the depth slices ``k * dilation + d * stride``
(d = 0 .. Do-1, taken as N*Do images) with ``weight[:, :, k]``.  Its transpose sends
each input depth slice through ``conv_transpose2d`` with ``weight[:, :, k]`` and adds
the result at depth ``d * stride + k * dilation``.  Both are built from the recorded
2-D ops (so gradients of every order are theirs) and leave the 2-D paths as they are.
The 1-D transposed convolution is the 2-D one on a height-1 image.
"""

from __future__ import annotations

import numpy as np

from ..ops import conv as _conv
from ..ops import shape as _shape
from ..ops.indexing import getitem
from ..tensor import Tensor
from . import functional_conv as FC
from .conv import _ConvNd
from .conv_transpose import _checked_output_padding, _conv_transpose2d, _ConvTransposeNd
from .complex_conv import also_complex
from .half_precision import check_float16_operands, rounded_once
from .unbatched import unbatched_too

_ALL = slice(None)


def _triple(value, what, where, minimum=1):
    return FC._int_tuple(value, 3, what, where, minimum)


def check_volume(x, where, channels=None):
    """The shape of a 5-D (N, C, D, H, W) input, refused (naming ``where``) otherwise."""
    return FC.check_batched(x, where, "N, C, D, H, W", channels)


def _pads(padding, kernel, dilation, stride, where):
    """PyTorch's padding (an int, a triple, 'valid' or 'same') as 3 (before, after) pairs."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * 3
        if padding == "same":
            if stride != (1, 1, 1):
                raise ValueError(f"{where}: padding='same' needs stride 1, got stride {stride}")
            totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
            return tuple((t // 2, t - t // 2) for t in totals)
        raise ValueError(f"{where}: padding must be an int, a triple, 'same' or 'valid', "
                         f"got {padding!r}")
    return tuple((p, p) for p in _triple(padding, "padding", where, minimum=0))


def as_planes(x):
    """(N, C, D, H, W) -> (N*D, C, H, W): each depth slice as an image."""
    n, c, d, h, w = x.shape
    return _shape.reshape(_shape.transpose(x, (0, 2, 1, 3, 4)), (n * d, c, h, w))


def from_planes(y, n, depth):
    """(N*D, C, H, W) -> (N, C, D, H, W), the inverse of ``as_planes`` (D given: N may
    be 0)."""
    _, c, h, w = y.shape
    return _shape.transpose(_shape.reshape(y, (n, depth, c, h, w)), (0, 2, 1, 3, 4))


def _check_bias(bias, channels, where):
    if bias is not None and FC._shape_of(bias) != (channels,):
        raise ValueError(f"{where}: expected a bias of shape ({channels},), got "
                         f"{tuple(FC._shape_of(bias))}")


def _add_bias(out, bias, channels):
    if bias is None:
        return out
    return out + _shape.reshape(bias, (1, channels) + (1,) * (out.ndim - 2))


@also_complex
@unbatched_too("N, C, D, H, W")
def _conv3d(x, weight, bias, stride, padding, dilation, groups, where):
    FC._float_input(x, where)
    w_shape = FC._shape_of(weight)
    if len(w_shape) != 5:
        raise ValueError(f"{where}: expected a 5-D weight (out_channels, in_channels/groups, "
                         f"kd, kh, kw), got shape {tuple(w_shape)}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{where}: groups must be a positive int, got {groups!r}")
    o, cg, kd, kh, kw = w_shape
    if o % groups:
        raise ValueError(f"{where}: groups={groups} must divide out_channels={o}")
    n, _, depth, h, w = check_volume(x, where, channels=cg * int(groups))
    stride = _triple(stride, "stride", where)
    dilation = _triple(dilation, "dilation", where)
    pads = _pads(padding, (kd, kh, kw), dilation, stride, where)
    plane_pads = pads[1] + pads[2]
    FC._check_fits(where, (h, w), (kh, kw), plane_pads, dilation[1:], stride[1:])
    out_depth = _conv.out_size(depth, kd, stride[0], *pads[0], dilation[0])
    if out_depth < 1:
        raise ValueError(f"{where}: the kernel's depth (extent {dilation[0] * (kd - 1) + 1} "
                         f"with dilation) is larger than the padded input depth "
                         f"({depth + sum(pads[0])}, from {depth} with padding); use a smaller "
                         "kernel or more padding")
    _check_bias(bias, o, where)
    check_float16_operands(where, x, weight, bias)

    def convolved(x, weight, bias):
        if any(pads[0]):
            x = _conv.constant_pad(x, widths=((0, 0), (0, 0), pads[0], (0, 0), (0, 0)),
                                   value=0.0)
        total = None
        for k in range(kd):
            start = k * dilation[0]
            depths = slice(start, start + stride[0] * (out_depth - 1) + 1, stride[0])
            part = _conv.conv2d(as_planes(getitem(x, (_ALL, _ALL, depths))),
                                getitem(weight, (_ALL, _ALL, k)), stride=stride[1:],
                                padding=plane_pads, dilation=dilation[1:], groups=int(groups))
            total = part if total is None else total + part
        return _add_bias(from_planes(total, n, out_depth), bias, o)
    return rounded_once(convolved, FC._as_tensor(x), weight, bias)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """3-D convolution of (N, C, D, H, W) ``input`` with ``weight`` (out, in/groups, kd, kh,
    kw), plus ``bias`` (out,), as ``torch.nn.functional.conv3d`` (a cross-correlation);
    ``padding`` also takes ``'same'`` and ``'valid'``.

    >>> x = ad.tensor(np.ones((1, 1, 3, 3, 3)))
    >>> F.conv3d(x, ad.tensor(np.ones((1, 1, 2, 2, 2)))).shape
    (1, 1, 2, 2, 2)
    >>> float(F.conv3d(x, ad.tensor(np.ones((1, 1, 2, 2, 2))))[0, 0, 0, 0, 0])
    8.0
    """
    return _conv3d(input, weight, bias, stride, padding, dilation, groups, "conv3d")


@also_complex
@unbatched_too("N, C, D, H, W")
def _conv_transpose3d(x, weight, bias, stride, padding, output_padding, groups, dilation,
                      where):
    FC._float_input(x, where)
    w_shape = FC._shape_of(weight)
    if len(w_shape) != 5:
        raise ValueError(f"{where}: expected a 5-D weight (in_channels, out_channels/groups, "
                         f"kd, kh, kw), got shape {tuple(w_shape)}")
    c_in, c_out_g, kd = w_shape[:3]
    n, _, depth, h, w = check_volume(x, where, channels=c_in)
    stride = _triple(stride, "stride", where)
    dilation = _triple(dilation, "dilation", where)
    if isinstance(padding, str):
        raise ValueError(f"{where}: padding must be an int or a tuple of 3 ints, got "
                         f"{padding!r} (PyTorch has no string padding for transposed "
                         "convolutions)")
    padding = _triple(padding, "padding", where, minimum=0)
    output_padding = _triple(output_padding, "output_padding", where, minimum=0)
    _checked_output_padding(output_padding[:1] * 2, stride[:1] * 2, dilation[:1] * 2, where)
    sizes = [(size - 1) * s + d * (k - 1) + 1 - 2 * p + op for size, k, s, p, d, op in zip(
        (depth, h, w), w_shape[2:], stride, padding, dilation, output_padding)]
    if min(sizes) < 1:
        raise ValueError(f"{where}: the output would have sizes {tuple(sizes)} (input shape "
                         f"{(n, c_in, depth, h, w)}, kernel {tuple(w_shape[2:])}, stride "
                         f"{stride}, padding {padding}, dilation {dilation}, output_padding "
                         f"{output_padding}); use less padding")
    c_out = c_out_g * int(groups)
    _check_bias(bias, c_out, where)
    check_float16_operands(where, x, weight, bias)
    (sd, dd, pd, opd) = stride[0], dilation[0], padding[0], output_padding[0]
    full = (depth - 1) * sd + dd * (kd - 1) + 1          # every depth some input reaches
    spread = (depth - 1) * sd + 1

    def transposed(x, weight, bias):
        planes = as_planes(x)
        total = None
        for k in range(kd):
            part = _conv_transpose2d(planes, getitem(weight, (_ALL, _ALL, k)), None,
                                     stride[1:], padding[1:], output_padding[1:], groups,
                                     dilation[1:], where)
            part = from_planes(part, n, depth)                  # (N, C_out, D, Ho, Wo)
            if sd > 1:         # input slice d lands at depth d * stride: zeros in between
                c, ho, wo = part.shape[1], part.shape[3], part.shape[4]
                part = _shape.reshape(part, (n, c, depth, 1, ho, wo))
                part = _conv.constant_pad(part, widths=((0, 0),) * 3 + ((0, sd - 1),)
                                          + ((0, 0),) * 2, value=0.0)
                part = getitem(_shape.reshape(part, (n, c, depth * sd, ho, wo)),
                               (_ALL, _ALL, slice(0, spread)))
            before = k * dd
            part = _conv.constant_pad(part, widths=((0, 0), (0, 0),
                                                    (before, full - spread - before),
                                                    (0, 0), (0, 0)), value=0.0)
            total = part if total is None else total + part
        # Crop the padding: pd before, pd - opd after (zeros appended when opd > pd).
        total = getitem(total, (_ALL, _ALL, slice(pd, full - max(pd - opd, 0))))
        if opd > pd:
            total = _conv.constant_pad(total, widths=((0, 0), (0, 0), (0, opd - pd), (0, 0),
                                                      (0, 0)), value=0.0)
        return _add_bias(total, bias, c_out)
    return rounded_once(transposed, FC._as_tensor(x), weight, bias)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups: int = 1, dilation=1) -> Tensor:
    """Transposed 3-D convolution of (N, C, D, H, W) ``input`` with ``weight`` (in,
    out/groups, kd, kh, kw), plus ``bias`` (out,), as
    ``torch.nn.functional.conv_transpose3d`` (``groups`` before ``dilation``, as there):
    the gradient of ``conv3d`` with respect to its input.

    >>> F.conv_transpose3d(ad.tensor(np.ones((1, 2, 2, 2, 2))),
    ...                    ad.tensor(np.ones((2, 3, 3, 3, 3))), stride=2).shape
    (1, 3, 5, 5, 5)
    """
    return _conv_transpose3d(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, "conv_transpose3d")


def _one(value, what, where, minimum):
    """An int (or a tuple of one) as an int, for the 1-D functions."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{where}: {what} must be an int >= {minimum} (or a tuple of one), "
                         f"got {value!r}")
    return int(value)


@also_complex
@unbatched_too("N, C, L")
def _conv_transpose1d(x, weight, bias, stride, padding, output_padding, groups, dilation,
                      where):
    shape, w_shape = FC._shape_of(x), FC._shape_of(weight)
    FC.check_batched(x, where, "N, C, L")
    if len(w_shape) != 3:
        raise ValueError(f"{where}: expected a 3-D weight (in_channels, out_channels/groups, "
                         f"k), got shape {tuple(w_shape)}")
    if isinstance(padding, str):
        raise ValueError(f"{where}: padding must be an int, got {padding!r} (PyTorch has no "
                         "string padding for transposed convolutions)")
    stride, padding = _one(stride, "stride", where, 1), _one(padding, "padding", where, 0)
    output_padding = _one(output_padding, "output_padding", where, 0)
    dilation = _one(dilation, "dilation", where, 1)

    def transposed(x, weight, bias):
        x4 = _shape.reshape(x, (shape[0], shape[1], 1, shape[2]))
        w4 = _shape.reshape(weight, (w_shape[0], w_shape[1], 1, w_shape[2]))
        out = _conv_transpose2d(x4, w4, None, (1, stride), (0, padding), (0, output_padding),
                                groups, (1, dilation), where)
        _check_bias(bias, out.shape[1], where)       # (once the groups are checked)
        return _add_bias(_shape.reshape(out, (out.shape[0], out.shape[1], out.shape[3])),
                         bias, out.shape[1])
    check_float16_operands(where, x, weight, bias)
    return transposed(FC._as_tensor(x), weight, bias)     # float16: as conv_transpose2d


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups: int = 1, dilation=1) -> Tensor:
    """Transposed 1-D convolution of (N, C, L) ``input`` with ``weight`` (in, out/groups,
    k), plus ``bias`` (out,), as ``torch.nn.functional.conv_transpose1d`` (the 2-D one on
    a height-1 image).

    >>> F.conv_transpose1d(ad.tensor([[[1.0, 2.0]]]), ad.tensor([[[1.0, 1.0, 1.0]]]))
    tensor([[[1., 3., 3., 2.]]])
    """
    return _conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, "conv_transpose1d")


class Conv3d(_ConvNd):
    """3-D convolution over (N, C, D, H, W) volumes, as ``torch.nn.Conv3d``: ``weight``
    has shape (out_channels, in_channels/groups, kd, kh, kw), ``bias`` (out_channels,);
    both start uniform in ±1/sqrt(fan_in) (PyTorch's default), drawn from ``rng``.

    >>> conv = ad.nn.Conv3d(2, 4, 3, padding=1, rng=0)
    >>> conv(ad.tensor(np.zeros((1, 2, 4, 5, 6)))).shape
    (1, 4, 4, 5, 6)
    """

    _dims = 3

    def forward(self, input):
        input, padding = self._padded_input(input)
        return _conv3d(input, self.weight, self.bias, self.stride, padding, self.dilation,
                       self.groups, self._label())


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution over (N, C, L) sequences, as
    ``torch.nn.ConvTranspose1d``: ``weight`` (in_channels, out_channels/groups, k).
    ``forward(x, output_size=None)`` picks the output_padding that gives ``output_size``.

    >>> up = ad.nn.ConvTranspose1d(4, 2, 3, stride=2, rng=0)
    >>> up(ad.tensor(np.zeros((1, 4, 5)))).shape
    (1, 2, 11)
    """

    _dims = 1

    def forward(self, input, output_size=None):
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = self._output_padding_for(input, output_size, self._label())
        return _conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                 output_padding, self.groups, self.dilation, self._label())


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-D convolution over (N, C, D, H, W) volumes, as
    ``torch.nn.ConvTranspose3d``: ``weight`` (in_channels, out_channels/groups, kd, kh,
    kw).  ``forward(x, output_size=None)`` picks the output_padding that gives
    ``output_size``.

    >>> up = ad.nn.ConvTranspose3d(4, 2, 2, stride=2, rng=0)
    >>> up(ad.tensor(np.zeros((1, 4, 2, 3, 4)))).shape
    (1, 2, 4, 6, 8)
    """

    _dims = 3

    def forward(self, input, output_size=None):
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = self._output_padding_for(input, output_size, self._label())
        return _conv_transpose3d(input, self.weight, self.bias, self.stride, self.padding,
                                 output_padding, self.groups, self.dilation, self._label())
