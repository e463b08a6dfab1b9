"""Transposed 2-D convolution (``F.conv_transpose2d``, ``nn.ConvTranspose2d``) with
PyTorch's arguments and weight layout (in_channels, out_channels/groups, kh, kw).

A transposed convolution is the gradient of ``conv2d`` with respect to its input: the
same weight read as a conv2d weight (O = in_channels, C/groups = out_channels/groups)
maps the output image back onto an input of the requested size.  It is computed by
the op that conv2d's backward uses (a GEMM with the weight, then col2im), so its
gradients, and their gradients, are conv2d and its weight gradient.

Output size along each axis, as in PyTorch:
``(in - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1``.
"""

from __future__ import annotations

import numpy as np

from ..ops import conv as _conv
from ..ops import shape as _shape
from ..tensor import Tensor
from . import functional_conv as FC
from .complex_conv import also_complex
from .conv import _checked_channels, _ConvBase, _init_conv_parameters, _set_geometry, _tuple
from .half_precision import check_float16_operands
from .unbatched import BATCHED_LAYOUTS, is_unbatched, unbatched_too


def _checked_output_padding(output_padding, stride, dilation, where):
    if not isinstance(output_padding, tuple):
        output_padding = FC._pair(output_padding, "output_padding", where, minimum=0)
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise ValueError(f"{where}: output_padding {output_padding} must be smaller than "
                             f"either the stride {stride} or the dilation {dilation} along "
                             "each axis (PyTorch's rule); larger outputs are not reachable")
    return output_padding


@also_complex
@unbatched_too("N, C, H, W")
def _conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation,
                      where):
    w_shape, groups = FC._checked_weight_and_groups(
        x, weight, groups, "in_channels, out_channels/groups", where)
    c_in, c_out_g, kh, kw = w_shape
    if c_in % groups:
        raise ValueError(f"{where}: groups={groups} must divide in_channels={c_in} (axis 0 "
                         f"of the weight, shape {tuple(w_shape)})")
    n, _, h, w = FC._check_image(x, where, channels=c_in)
    stride = FC._pair(stride, "stride", where)
    dilation = FC._pair(dilation, "dilation", where)
    if isinstance(padding, str):
        raise ValueError(f"{where}: padding must be an int or a pair of ints, got {padding!r} "
                         "(PyTorch has no string padding for transposed convolutions)")
    padding = FC._pair(padding, "padding", where, minimum=0)
    output_padding = _checked_output_padding(output_padding, stride, dilation, where)
    out_hw, pads, extra = [], [], []
    for size, k, s, p, d, op in zip((h, w), (kh, kw), stride, padding, dilation,
                                    output_padding):
        full = (size - 1) * s + d * (k - 1) + 1        # every position some input reaches
        out = full - 2 * p + op
        if out < 1:
            raise ValueError(f"{where}: the output would have size {out} along an axis "
                             f"(input {size}, kernel {k}, stride {s}, padding {p}, dilation "
                             f"{d}, output_padding {op}; input shape {(n, c_in, h, w)}); "
                             "use less padding")
        # The conv2d whose input gradient this is pads p before and p - op after, so that
        # its output has exactly `size` positions; when op > p, the last op - p rows lie
        # beyond every input's reach and are zeros appended afterwards.
        pads += [p, max(p - op, 0)]
        extra.append(max(op - p, 0))
        out_hw.append(out)
    c_out = c_out_g * groups
    if bias is not None and FC._shape_of(bias) != (c_out,):
        raise ValueError(f"{where}: expected a bias of shape ({c_out},) (out_channels = "
                         f"weight.shape[1] * groups), got {tuple(FC._shape_of(bias))}")
    check_float16_operands(where, x, weight, bias)
    reached = (n, c_out, out_hw[0] - extra[0], out_hw[1] - extra[1])

    def transposed(x, weight, bias):
        out = _conv.conv2d_input_grad(x, weight, x_shape=reached, stride=stride,
                                      padding=tuple(pads), dilation=dilation, groups=groups)
        if any(extra):
            out = _conv.constant_pad(out, widths=((0, 0), (0, 0), (0, extra[0]), (0, extra[1])),
                                     value=0.0)
        return out if bias is None else out + _shape.reshape(bias, (1, c_out, 1, 1))
    # float16 as PyTorch's CPU kernel computes it, not rounded once: the GEMM's columns
    # round to float16, then each overlapping add of col2im and the bias add round again
    return transposed(FC._as_tensor(x), weight, bias)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups: int = 1, dilation=1) -> Tensor:
    """Transposed 2-D convolution of NCHW ``input`` with ``weight`` (in, out/groups, kh, kw),
    plus ``bias`` (out,), as ``torch.nn.functional.conv_transpose2d`` (note PyTorch's order
    of arguments: ``groups`` before ``dilation``).  It is the gradient of ``conv2d`` with
    respect to its input, so ``<conv2d(x, w), y> == <x, conv_transpose2d(y, w)>``.

    >>> y = F.conv_transpose2d(ad.tensor(np.ones((1, 1, 2, 2))), ad.tensor(np.ones((1, 1, 2, 2))))
    >>> y[0, 0]
    tensor([[1., 2., 1.],
            [2., 4., 2.],
            [1., 2., 1.]])
    >>> F.conv_transpose2d(ad.tensor(np.ones((1, 3, 4, 4))), ad.tensor(np.ones((3, 2, 3, 3))),
    ...                    stride=2, padding=1, output_padding=1).shape
    (1, 2, 8, 8)
    """
    return _conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, "conv_transpose2d")


class _ConvTransposeNd(_ConvBase):
    """What ``ConvTranspose1d/2d/3d`` share: PyTorch's arguments for ``_dims`` spatial
    axes, the weight (in_channels, out_channels/groups, *kernel), output_size and repr."""

    _dims = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 *, rng=None, dtype=np.float64):
        super().__init__()
        where, n = type(self).__name__, self._dims
        self.in_channels, self.out_channels, self.groups = _checked_channels(
            in_channels, out_channels, groups, where)
        if padding_mode != "zeros":
            raise ValueError(f"{where}: only padding_mode='zeros' is supported for transposed "
                             f"convolutions (as in PyTorch), got {padding_mode!r}")
        if isinstance(padding, str):
            raise ValueError(f"{where}: padding must be an int or a tuple of {n} ints, got "
                             f"{padding!r} (PyTorch has no string padding here)")
        _set_geometry(self, kernel_size, stride, padding, dilation, where)
        self.output_padding = _checked_output_padding(
            _tuple(output_padding, n, "output_padding", where, 0), self.stride,
            self.dilation, where)
        self.padding_mode = padding_mode
        shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        _init_conv_parameters(self, shape, bias, rng, dtype, where)

    def _output_padding_for(self, x, output_size, where):
        n = self._dims
        sizes = tuple(int(s) for s in output_size)
        shape = FC._shape_of(x)
        # As PyTorch's: output_size may also list the sizes of the input's (N,) C axes.
        leading = 1 if is_unbatched(x, BATCHED_LAYOUTS[n], where) else 2
        if len(sizes) == n + leading:
            sizes = sizes[leading:]
        in_sizes = shape[leading:]
        if len(sizes) != n:
            raise ValueError(f"{where}: output_size must hold {n} (or {n + leading}) sizes for "
                             f"an input with {n} spatial axes, got {tuple(output_size)} (input "
                             f"shape {tuple(shape)})")
        padding = []
        for axis, (want, size, k, s, p, d) in enumerate(zip(
                sizes, in_sizes, self.kernel_size, self.stride, self.padding, self.dilation)):
            smallest = (size - 1) * s - 2 * p + d * (k - 1) + 1
            if not smallest <= want <= smallest + s - 1:
                raise ValueError(f"{where}: output_size {sizes} is not reachable from input "
                                 f"size {tuple(in_sizes)}: along axis {axis + leading} it must lie "
                                 f"in [{smallest}, {smallest + s - 1}]")
            padding.append(want - smallest)
        return tuple(padding)

    def extra_repr(self):
        n = self._dims
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * n:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution over NCHW images, as ``torch.nn.ConvTranspose2d``:
    ``weight`` has shape (in_channels, out_channels/groups, kh, kw) and ``bias``
    (out_channels,), both uniform in ±1/sqrt(out_channels/groups * kh * kw) at the
    start (PyTorch's default), drawn from ``rng``.  ``forward(x, output_size=None)``
    picks the output_padding that gives ``output_size`` (H, W), as PyTorch does.

    >>> up = ad.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, rng=0)
    >>> up(ad.tensor(np.zeros((1, 4, 5, 5)))).shape
    (1, 2, 10, 10)
    >>> up.weight.shape
    (4, 2, 3, 3)
    """

    _dims = 2

    def forward(self, input, output_size=None):
        where = self._label()
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = self._output_padding_for(input, output_size, where)
        return _conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                 output_padding, self.groups, self.dilation, where)
