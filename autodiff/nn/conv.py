"""Convolution and pooling layers: Conv1d, Conv2d, MaxPool2d, AvgPool2d (PyTorch's
arguments, NCHW images, weights in PyTorch's layout)."""

from __future__ import annotations

import math

import numpy as np

from . import functional_conv as FC
from .module import Module, Parameter, _generator
from .unbatched import BATCHED_LAYOUTS, is_unbatched


def _tuple(value, n, what, where, minimum):
    """``value`` (an int, or ``n`` of them, each >= ``minimum``) as a tuple of ``n``; a
    string (padding='same') as it is."""
    if isinstance(value, str):
        return value
    values = (value,) * n if _is_int(value) else tuple(value) if _is_sequence(value) else None
    if values is None or len(values) != n or not all(_is_int(v) and v >= minimum
                                                      for v in values):
        raise ValueError(f"{where}: {what} must be an int >= {minimum} or a tuple of {n} "
                         f"such ints, got {value!r}")
    return tuple(int(v) for v in values)


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_sequence(value) -> bool:
    return isinstance(value, (tuple, list))


def _positive(value, what, where):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{where}: {what} must be a positive int, got {value!r}")
    return int(value)


def _set_geometry(module, kernel_size, stride, padding, dilation, where) -> None:
    """A convolution's ``kernel_size``, ``stride``, ``padding`` and ``dilation``, each
    checked and made a tuple of ``module._dims`` ints (padding may be 'same'/'valid')."""
    n = module._dims
    module.kernel_size = _tuple(kernel_size, n, "kernel_size", where, 1)
    module.stride = _tuple(stride, n, "stride", where, 1)
    module.padding = _tuple(padding, n, "padding", where, 0)
    module.dilation = _tuple(dilation, n, "dilation", where, 1)


def _checked_channels(in_channels, out_channels, groups, where):
    """``in_channels``, ``out_channels`` and ``groups`` of a convolution layer as
    positive ints, ``groups`` dividing both channel counts."""
    in_channels = _positive(in_channels, "in_channels", where)
    out_channels = _positive(out_channels, "out_channels", where)
    groups = _positive(groups, "groups", where)
    for what, count in (("in_channels", in_channels), ("out_channels", out_channels)):
        if count % groups:
            raise ValueError(f"{where}: groups={groups} must divide {what}={count}")
    return in_channels, out_channels, groups


def _init_conv_parameters(module, weight_shape, bias, rng, dtype, where):
    """Give a convolution layer its ``weight`` of ``weight_shape`` and, if ``bias``, a
    ``bias`` of shape (module.out_channels,), of floating-point or complex ``dtype``,
    drawn from ``rng``."""
    dtype = np.dtype(dtype)
    if dtype.kind not in "fc":
        raise TypeError(f"{where}: dtype must be a floating-point or complex type, not "
                        f"{dtype}")
    gen = _generator(rng)
    # PyTorch's default: kaiming_uniform_(a=sqrt(5)) for the weight, which is
    # U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same bound for the bias.  fan_in is
    # the size of the weight's axes after the first (for a transposed convolution,
    # out_channels/groups * the kernel size).
    # A complex dtype draws the real and imaginary parts each so (PyTorch's uniform_);
    # its convolutions are four real ones (complex_conv.py).
    from .modules import uniform_values
    bound = 1.0 / math.sqrt(math.prod(weight_shape[1:]))
    module.weight = Parameter(uniform_values(gen, bound, weight_shape, dtype))
    if bias:
        module.bias = Parameter(uniform_values(gen, bound, (module.out_channels,), dtype))
    else:
        module.register_parameter("bias", None)


def reset_conv_parameters(module, rng=None) -> None:
    """A convolution's weight and bias uniform in ``±1/sqrt(fan_in)`` again, in place
    (the bound of ``_init_conv_parameters``)."""
    from .parameter import is_lazy
    from .reset import redraw_uniform
    if is_lazy(module.weight):          # a lazy convolution before its first call: no-op
        return
    redraw_uniform(module, 1.0 / math.sqrt(math.prod(module.weight.shape[1:])), rng)


_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def checked_padding_mode(mode, where):
    """``mode`` if it is one of PyTorch's convolution padding modes, else a ValueError."""
    if mode not in _PADDING_MODES:
        raise ValueError(f"{where}: padding_mode must be one of "
                         f"{', '.join(map(repr, _PADDING_MODES))}, got {mode!r}")
    return mode


class _ConvBase(Module):
    """What ordinary and transposed convolutions share: re-drawing the parameters and
    the label the tools print."""

    def reset_parameters(self, *, rng=None) -> None:
        """Weight and bias uniform in ``±1/sqrt(fan_in)`` again, in place."""
        reset_conv_parameters(self, rng)

    def _label(self):
        return (f"{type(self).__name__}({self.in_channels}, {self.out_channels}, "
                f"kernel_size={self.kernel_size})")


class _ConvNd(_ConvBase):
    _dims = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", *, rng=None,
                 dtype=np.float64):
        super().__init__()
        where = type(self).__name__
        self.in_channels, self.out_channels, self.groups = _checked_channels(
            in_channels, out_channels, groups, where)
        _set_geometry(self, kernel_size, stride, padding, dilation, where)
        self.padding_mode = checked_padding_mode(padding_mode, where)
        shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        _init_conv_parameters(self, shape, bias, rng, dtype, where)

    def extra_repr(self):
        # PyTorch's order and choice: the stride always, the others when not the default.
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        ones, zeros = (1,) * self._dims, (0,) * self._dims
        if self.padding != zeros:
            text += f", padding={self.padding}"
        if self.dilation != ones:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text

    def _padded_input(self, x):
        """``x`` and the padding left to the convolution.  A ``padding_mode`` other than
        'zeros' pads ``x`` here with ``F.pad`` (for 'same', the extra one of an even total
        after, as PyTorch's) and leaves the convolution none."""
        if self.padding_mode == "zeros" or self.padding == "valid":
            return x, self.padding
        is_unbatched(x, BATCHED_LAYOUTS[self._dims], self._label())   # the rank, before F.pad
        amounts = []
        for axis in reversed(range(self._dims)):       # F.pad lists the last axis first
            if self.padding == "same":
                total = self.dilation[axis] * (self.kernel_size[axis] - 1)
                amounts += [total // 2, total - total // 2]
            else:
                amounts += [self.padding[axis]] * 2
        return FC.pad(x, tuple(amounts), mode=self.padding_mode), (0,) * self._dims


class Conv2d(_ConvNd):
    """2-D convolution over NCHW images, as ``torch.nn.Conv2d``: ``weight`` has shape
    (out_channels, in_channels/groups, kh, kw), ``bias`` (out_channels,); both start
    uniform in ±1/sqrt(fan_in) (PyTorch's default), drawn from ``rng``.  ``padding_mode``
    'reflect', 'replicate' or 'circular' pads the input that way (``F.pad``) instead of
    with zeros, as in PyTorch (for Conv1d and Conv3d too).

    >>> conv = ad.nn.Conv2d(3, 8, 3, padding=1, rng=0)
    >>> conv(ad.tensor(np.zeros((2, 3, 5, 5)))).shape
    (2, 8, 5, 5)
    """

    _dims = 2

    def forward(self, input):
        input, padding = self._padded_input(input)
        return FC._conv2d(input, self.weight, self.bias, self.stride, padding,
                          self.dilation, self.groups, self._label())


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L) sequences, as ``torch.nn.Conv1d``: ``weight`` has
    shape (out_channels, in_channels/groups, k).

    >>> conv = ad.nn.Conv1d(4, 2, 3, rng=0)
    >>> conv(ad.tensor(np.zeros((1, 4, 10)))).shape
    (1, 2, 8)
    """

    _dims = 1

    def forward(self, input):
        input, padding = self._padded_input(input)
        padding = padding if isinstance(padding, str) else padding[0]
        return FC._conv1d(input, self.weight, self.bias, self.stride[0], padding,
                          self.dilation[0], self.groups, self._label())


class _MaxPoolNd(Module):
    """What the max pooling layers share (``MaxPool1d/2d/3d``): PyTorch's arguments,
    stride defaulting to the kernel size, repr, and a ``forward`` through the
    subclass's ``_function``."""

    _function = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = bool(return_indices), ceil_mode

    def forward(self, input):
        return type(self)._function(input, self.kernel_size, self.stride, self.padding,
                                    self.dilation, self.ceil_mode, self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
                f", dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """``F.max_pool2d`` as a layer (no parameters); with ``return_indices=True`` it returns
    ``(output, indices)``, for ``MaxUnpool2d``.

    >>> ad.nn.MaxPool2d(2)(ad.tensor(np.zeros((1, 1, 4, 4)))).shape
    (1, 1, 2, 2)
    """

    _function = staticmethod(FC.max_pool2d)


class AvgPool2d(Module):
    """``F.avg_pool2d`` as a layer (no parameters; ``count_include_pad=True`` as PyTorch).

    >>> ad.nn.AvgPool2d(2)(ad.tensor(np.ones((1, 1, 4, 4))))[0, 0]
    tensor([[1., 1.],
            [1., 1.]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None):
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.divisor_override = FC.checked_divisor(divisor_override, "AvgPool2d")
        # as PyTorch's, the attribute holds the kernel size when no stride is given
        self.stride = stride if stride is not None else kernel_size
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return FC.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                             self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
