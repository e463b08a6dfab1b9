"""``nn.LazyLinear`` and ``nn.LazyConv1d/2d/3d``: a ``Linear`` whose ``n_in`` (a
convolution whose ``in_channels``) is read from its first input, as PyTorch's.

Until the first forward, ``weight`` and ``bias`` are ``UninitializedParameter``
objects (``nn.parameter``: no shape yet; an optimizer may already hold them).  The
first forward materializes those same objects and fills them with their initial
values, drawn as ``Linear`` (``Conv2d``, ...) draws them, and the module becomes a
``Linear`` (a ``Conv2d``, ...), as PyTorch turns its lazy modules into the plain ones.
A state loaded before the first forward gives the parameters their shapes and values
instead (checked against the layer's sizes), as PyTorch's lazy modules take it.  An
optimizer step before the first forward finds no gradient for them (and warns, naming
them); a compiled function that would make the parameters refuses, as their shapes
would be fixed into its plan.
"""

from __future__ import annotations

import math

import numpy as np

from ..compile import hooks
from ..tensor import Tensor
from .conv import Conv1d, Conv2d, _ConvNd, _positive, _set_geometry, checked_padding_mode
from .conv3d import Conv3d
from .init import mark_in_out
from .conv_transpose import _ConvTransposeNd
from .module import Module, _generator
from .modules import Linear, _float_dtype, _positive_int, float_or_complex_dtype, uniform_values
from .parameter import UninitializedParameter, is_lazy


def _refuse_in_a_trace(where):
    if hooks.active is not None:
        raise RuntimeError(
            f"{where}: its parameters are made at the first call, which cannot happen "
            "inside a compiled function (their shapes would be fixed into its plan); "
            "call the model once on an example input before compiling")


def _placeholder_parameters(module, bias: bool) -> None:
    """``module.weight`` and ``module.bias`` (or a None bias) as parameters without a
    shape yet, of ``module._dtype``."""
    module.weight = UninitializedParameter(dtype=module._dtype)
    if bias:
        module.bias = UninitializedParameter(dtype=module._dtype)
    else:
        module.register_parameter("bias", None)


class LazyModuleMixin:
    """What the lazy layers share, as PyTorch's ``LazyModuleMixin``: whether they still
    have uninitialized parameters or buffers, and the check of the shapes a loaded
    state gives them (``_loaded_templates``: for each name, its shape with ``"n"``
    where the size read from the first input goes)."""

    cls_to_become: type | None = None

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer is still uninitialized (before the first call).

        >>> ad.nn.LazyLinear(2).has_uninitialized_params()
        True
        """
        return any(is_lazy(value) for value in (*self._parameters.values(),
                                                *self._buffers.values()))

    def _check_loaded_shapes(self, where, shapes) -> None:
        templates, size = self._loaded_templates(), None
        for name, shape in shapes.items():
            template = templates.get(name)
            fits = template is not None and len(shape) == len(template) and all(
                want == "n" or want == got for want, got in zip(template, shape))
            sizes = {got for want, got in zip(template or (), shape) if want == "n"}
            if fits and size is not None and sizes - {size}:
                fits = False
            if not fits:
                wanted = tuple("?" if want == "n" else want for want in template or ())
                raise ValueError(
                    f"{where}: {name!r} of the {type(self).__name__} gets shape "
                    f"{tuple(shape)} from the state, which does not fit the layer (it "
                    f"needs {wanted}, ? the size its first input would give"
                    f"{', the same in every array' if size is not None else ''}); was the "
                    "state saved from a layer with other sizes?")
            size = next(iter(sizes), size)


class LazyLinear(LazyModuleMixin, Module):
    """``Linear(n_in, out_features)`` with ``n_in`` taken from the last axis of the first
    input, as ``torch.nn.LazyLinear``; the weight keeps the library's ``(n_in, n_out)``
    layout (``load_torch_state_dict`` converts, as for ``Linear``).

    >>> layer = ad.nn.LazyLinear(2, rng=0)
    >>> layer.weight
    <UninitializedParameter>
    >>> layer(ad.tensor(np.ones((4, 3)))).shape
    (4, 2)
    >>> type(layer).__name__, layer.weight.shape
    ('Linear', (3, 2))
    """

    def __init__(self, out_features: int, bias: bool = True, *, rng=None, dtype=np.float64):
        super().__init__()
        self.n_in = 0
        self.n_out = _positive_int(out_features, "out_features", "LazyLinear")
        self._dtype = float_or_complex_dtype(dtype, "LazyLinear")
        self._rng = rng
        _placeholder_parameters(self, bias)

    in_features, out_features = Linear.in_features, Linear.out_features
    cls_to_become = Linear
    _transposed = Linear._transposed                   # (the PyTorch layout conversions)
    _torch_export, _torch_import = Linear._torch_export, Linear._torch_import

    def reset_parameters(self, *, rng=None) -> None:
        """Nothing before the first call (no parameters yet), else ``Linear``'s."""
        if not self.has_uninitialized_params():
            Linear.reset_parameters(self, rng=rng)

    def forward(self, input) -> Tensor:
        _refuse_in_a_trace("LazyLinear")
        if self.has_uninitialized_params():
            shape = input.shape if isinstance(input, Tensor) else np.shape(input)
            if not shape or shape[-1] < 1:
                raise ValueError(f"LazyLinear(out_features={self.n_out}): the first input "
                                 "must have a last axis of size >= 1 (it gives in_features), "
                                 f"got shape {tuple(shape)}")
            self._materialize(int(shape[-1]))
        else:                                   # a loaded state gave the parameters
            self.n_in = self.weight.shape[0]
        del self._dtype, self._rng
        self.__class__ = Linear
        return Linear.forward(self, input)

    def _materialize(self, n_in):
        gen = _generator(self._rng)
        bound = 1.0 / math.sqrt(n_in)
        dtype = self.weight.dtype                  # (the one made with, or a later .to's)
        # The same Parameter objects take their values, so an optimizer that already
        # holds them trains them.
        self.weight.materialize((n_in, self.n_out))
        mark_in_out(self.weight)
        self.weight.data = uniform_values(gen, bound, (n_in, self.n_out), dtype)
        if self.bias is not None:
            self.bias.materialize((self.n_out,))
            self.bias.data = uniform_values(gen, bound, (self.n_out,), dtype)
        self.n_in = n_in

    def _loaded_templates(self):
        return {"weight": ("n", self.n_out), "bias": (self.n_out,)}

    def extra_repr(self) -> str:
        return f"in_features=0, out_features={self.n_out}, bias={self.bias is not None}"


def materialize_conv(module, x, weight_shape) -> None:
    """Make lazy convolution ``module`` the plain one: ``in_channels`` read from its first
    input ``x``, ``weight`` of shape ``weight_shape(in_channels)`` (and ``bias``) drawn
    into its placeholder Parameters as ``_init_conv_parameters`` draws them, from the
    ``_rng`` it kept; ``in_channels`` read from the weight if a
    loaded state gave the parameters."""
    where = type(module).__name__
    _refuse_in_a_trace(where)
    if not module.has_uninitialized_params():
        weight = module.weight.shape
        transposed = issubclass(module._becomes, _ConvTransposeNd)
        module.in_channels = weight[0] if transposed else weight[1] * module.groups
        del module._dtype, module._rng
        module.__class__ = module._becomes
        return
    shape = x.shape if isinstance(x, Tensor) else np.shape(x)
    channel_axis = 0 if len(shape) == module._dims + 1 else 1     # unbatched: (C, ...)
    if (len(shape) not in (module._dims + 1, module._dims + 2) or shape[channel_axis] < 1
            or shape[channel_axis] % module.groups):
        raise ValueError(f"{where}: the first input must be (N, C, ...) or unbatched "
                         f"(C, ...) with {module._dims} spatial axes and C (which gives "
                         f"in_channels) a multiple of groups={module.groups}, got shape "
                         f"{tuple(shape)}")
    module.in_channels = int(shape[channel_axis])
    weight_shape = weight_shape(module.in_channels)
    gen = _generator(module._rng)
    bound = 1.0 / math.sqrt(math.prod(weight_shape[1:]))
    dtype = module.weight.dtype                  # (the one made with, or a later .to's)
    module.weight.materialize(weight_shape)
    module.weight.data = gen.uniform(-bound, bound, weight_shape).astype(dtype)
    if module.bias is not None:
        module.bias.materialize((module.out_channels,))
        module.bias.data = gen.uniform(-bound, bound, (module.out_channels,)).astype(dtype)
    del module._dtype, module._rng
    module.__class__ = module._becomes


class _LazyConvNd(LazyModuleMixin, _ConvNd):
    _becomes = Conv2d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", *, rng=None, dtype=np.float64):
        Module.__init__(self)
        where = type(self).__name__
        self.in_channels = 0
        self.out_channels = _positive(out_channels, "out_channels", where)
        self.groups = _positive(groups, "groups", where)
        if self.out_channels % self.groups:
            raise ValueError(f"{where}: groups={self.groups} must divide "
                             f"out_channels={self.out_channels}")
        _set_geometry(self, kernel_size, stride, padding, dilation, where)
        self.padding_mode = checked_padding_mode(padding_mode, where)
        self._dtype, self._rng = _float_dtype(dtype, where), rng
        _placeholder_parameters(self, bias)

    def forward(self, input):
        materialize_conv(self, input, lambda in_channels: (
            self.out_channels, in_channels // self.groups) + self.kernel_size)
        return self.forward(input)

    def _loaded_templates(self):
        return {"weight": (self.out_channels, "n") + self.kernel_size,
                "bias": (self.out_channels,)}


class LazyConv1d(_LazyConvNd):
    """``Conv1d`` with ``in_channels`` read from the first input (it then becomes a
    ``Conv1d``), as ``torch.nn.LazyConv1d``.

    >>> conv = ad.nn.LazyConv1d(4, 3, rng=0)
    >>> conv(ad.tensor(np.ones((1, 2, 5)))).shape, conv.weight.shape
    ((1, 4, 3), (4, 2, 3))
    """

    _dims, _becomes = 1, Conv1d


class LazyConv2d(_LazyConvNd):
    """``Conv2d`` with ``in_channels`` read from the first input (it then becomes a
    ``Conv2d``), as ``torch.nn.LazyConv2d``.

    >>> conv = ad.nn.LazyConv2d(4, 3, padding=1, rng=0)
    >>> conv(ad.tensor(np.ones((1, 3, 5, 5)))).shape, type(conv).__name__
    ((1, 4, 5, 5), 'Conv2d')
    """

    _dims, _becomes = 2, Conv2d


class LazyConv3d(_LazyConvNd):
    """``Conv3d`` with ``in_channels`` read from the first input (it then becomes a
    ``Conv3d``), as ``torch.nn.LazyConv3d``.

    >>> ad.nn.LazyConv3d(2, 1, rng=0)(ad.tensor(np.ones((1, 3, 2, 2, 2)))).shape
    (1, 2, 2, 2, 2)
    """

    _dims, _becomes = 3, Conv3d
