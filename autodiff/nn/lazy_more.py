"""``nn.LazyBatchNorm1d/2d/3d``, ``nn.LazyInstanceNorm1d/2d/3d`` and
``nn.LazyConvTranspose1d/2d/3d``: the layer whose ``num_features`` (``in_channels``)
is read from its first input, as PyTorch's, following ``lazy.py``.

Until the first forward, the parameters (and running statistics) are
``UninitializedParameter`` (``UninitializedBuffer``) placeholders; the first forward
materializes the same ``Parameter`` objects (so an optimizer made before trains them)
with what the plain layer starts with, and the module becomes that layer.  A state
loaded before gives them their shapes and values instead, as in PyTorch.  A compiled
function that would make them refuses.  The defaults are PyTorch's: the lazy instance
norms have ``affine=True`` and ``track_running_stats=True`` (the plain ones False).
"""

from __future__ import annotations

import numpy as np

from .conv3d import ConvTranspose1d, ConvTranspose3d
from .conv_transpose import ConvTranspose2d
from .instance_norm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .lazy import LazyModuleMixin, _refuse_in_a_trace, materialize_conv
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, _shape_of
from .parameter import UninitializedBuffer, UninitializedParameter

# The plain layer's __init__ runs with a size it accepts; the arrays are then emptied.
_PLACEHOLDER_SIZE = 1


class _LazyNorm(LazyModuleMixin):
    """A batch or instance norm whose ``num_features`` comes from its first input."""

    _becomes: type

    def _empty_placeholders(self):
        self.num_features = 0
        for name in ("weight", "bias"):
            param = getattr(self, name)
            if param is not None:
                setattr(self, name, UninitializedParameter(dtype=param.dtype))
        for name in ("running_mean", "running_var"):
            buffer = getattr(self, name)
            if buffer is not None:
                setattr(self, name, UninitializedBuffer(dtype=buffer.dtype))

    def _loaded_templates(self):
        return dict.fromkeys(("weight", "bias", "running_mean", "running_var"), ("n",))

    def reset_parameters(self) -> None:
        """Nothing before the first call (no arrays yet), as PyTorch's, else the
        norm's own reset."""
        if not self.has_uninitialized_params():
            self._becomes.reset_parameters(self)

    def forward(self, input):
        where, dims = type(self).__name__, self._becomes._dims
        _refuse_in_a_trace(where)
        loaded = [value for value in (self.weight, self.running_mean) if value is not None]
        if loaded and not self.has_uninitialized_params():     # a loaded state gave them
            self.num_features = loaded[0].shape[0]
            self.__class__ = self._becomes
            return self.forward(input)
        shape = _shape_of(input)
        # an instance norm takes an unbatched input too (channels on axis 0)
        axis = 0 if issubclass(self._becomes, _INSTANCE_NORMS) and len(shape) == dims[0] else 1
        if len(shape) not in dims or shape[axis] < 1:
            raise ValueError(f"{where}: the first input must be {self._layout} (its axis "
                             f"{axis} gives num_features), got shape {tuple(shape)}")
        features = int(shape[axis])
        self.num_features = features
        # The same objects take the plain layer's starting values.
        for name, start in (("weight", np.ones), ("bias", np.zeros)):
            param = getattr(self, name)
            if param is not None:
                dtype = param.dtype
                param.materialize((features,))
                param.data = start(features, dtype)
        for name, start in (("running_mean", np.zeros), ("running_var", np.ones)):
            buffer = getattr(self, name)
            if buffer is not None:              # (the same object becomes a Tensor)
                dtype = buffer.dtype
                buffer.materialize((features,))
                buffer.data = start(features, dtype)
        self.__class__ = self._becomes
        return self.forward(input)


_INSTANCE_NORMS = (InstanceNorm1d, InstanceNorm2d, InstanceNorm3d)


class _LazyBatchNorm(_LazyNorm):
    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, *, bias: bool = True, dtype=np.float64):
        self._becomes.__init__(self, _PLACEHOLDER_SIZE, eps, momentum, affine,
                               track_running_stats, bias=bias, dtype=dtype)
        self._empty_placeholders()


class _LazyInstanceNorm(_LazyNorm):
    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, *, bias: bool = True, dtype=np.float64):
        self._becomes.__init__(self, _PLACEHOLDER_SIZE, eps, momentum, affine,
                               track_running_stats, bias=bias, dtype=dtype)
        self._empty_placeholders()


class LazyBatchNorm1d(_LazyBatchNorm, BatchNorm1d):
    """``BatchNorm1d`` with ``num_features`` read from axis 1 of the first input (it then
    becomes a ``BatchNorm1d``), as ``torch.nn.LazyBatchNorm1d``.

    >>> bn = ad.nn.LazyBatchNorm1d()
    >>> bn.weight
    <UninitializedParameter>
    >>> bn(ad.tensor(np.ones((4, 3)))).shape, type(bn).__name__, bn.weight.shape
    ((4, 3), 'BatchNorm1d', (3,))
    """

    _becomes = BatchNorm1d


class LazyBatchNorm2d(_LazyBatchNorm, BatchNorm2d):
    """``BatchNorm2d`` with ``num_features`` read from the first input (see
    ``LazyBatchNorm1d``).

    >>> bn = ad.nn.LazyBatchNorm2d()
    >>> bn(ad.tensor(np.ones((2, 3, 4, 4)))).shape, bn.running_mean.shape
    ((2, 3, 4, 4), (3,))
    """

    _becomes = BatchNorm2d


class LazyBatchNorm3d(_LazyBatchNorm, BatchNorm3d):
    """``BatchNorm3d`` with ``num_features`` read from the first input (see
    ``LazyBatchNorm1d``).

    >>> ad.nn.LazyBatchNorm3d()(ad.tensor(np.ones((2, 3, 2, 2, 2)))).shape
    (2, 3, 2, 2, 2)
    """

    _becomes = BatchNorm3d


class LazyInstanceNorm1d(_LazyInstanceNorm, InstanceNorm1d):
    """``InstanceNorm1d`` with ``num_features`` read from the first input's channel axis
    (1, or 0 for an unbatched input), as ``torch.nn.LazyInstanceNorm1d``, whose defaults
    ``affine=True, track_running_stats=True`` it keeps.

    >>> norm = ad.nn.LazyInstanceNorm1d()
    >>> norm(ad.tensor(np.ones((2, 3, 5)))).shape, norm.weight.shape
    ((2, 3, 5), (3,))
    """

    _becomes = InstanceNorm1d


class LazyInstanceNorm2d(_LazyInstanceNorm, InstanceNorm2d):
    """``InstanceNorm2d`` with ``num_features`` read from the first input (see
    ``LazyInstanceNorm1d``).

    >>> ad.nn.LazyInstanceNorm2d()(ad.tensor(np.ones((2, 3, 4, 4)))).shape
    (2, 3, 4, 4)
    """

    _becomes = InstanceNorm2d


class LazyInstanceNorm3d(_LazyInstanceNorm, InstanceNorm3d):
    """``InstanceNorm3d`` with ``num_features`` read from the first input (see
    ``LazyInstanceNorm1d``).

    >>> ad.nn.LazyInstanceNorm3d()(ad.tensor(np.ones((1, 3, 2, 2, 2)))).shape
    (1, 3, 2, 2, 2)
    """

    _becomes = InstanceNorm3d


class _LazyConvTranspose(LazyModuleMixin):
    """A transposed convolution whose ``in_channels`` comes from its first input."""

    _becomes: type
    _dims: int

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 groups=1, bias=True, dilation=1, padding_mode="zeros", *, rng=None,
                 dtype=np.float64):
        # groups in_channels pass the plain layer's checks; the draws it makes come from
        # a generator of their own, so the first forward draws what the plain layer would.
        self._becomes.__init__(self, groups, out_channels, kernel_size, stride, padding,
                               output_padding, groups, bias, dilation, padding_mode,
                               rng=np.random.default_rng(0), dtype=dtype)
        self.in_channels = 0
        self._rng, self._dtype = rng, self.weight.dtype
        self.weight = UninitializedParameter(dtype=self._dtype)
        if self.bias is not None:
            self.bias = UninitializedParameter(dtype=self._dtype)

    def _loaded_templates(self):
        return {"weight": ("n", self.out_channels // self.groups) + self.kernel_size,
                "bias": (self.out_channels,)}

    def forward(self, input, output_size=None):
        materialize_conv(self, input, lambda in_channels: (
            in_channels, self.out_channels // self.groups) + self.kernel_size)
        return self.forward(input, output_size)


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """``ConvTranspose1d`` with ``in_channels`` read from the first input (it then becomes
    a ``ConvTranspose1d``), as ``torch.nn.LazyConvTranspose1d``.

    >>> up = ad.nn.LazyConvTranspose1d(4, 3, stride=2, rng=0)
    >>> up(ad.tensor(np.ones((1, 2, 5)))).shape, up.weight.shape
    ((1, 4, 11), (2, 4, 3))
    """

    _becomes, _dims = ConvTranspose1d, 1


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """``ConvTranspose2d`` with ``in_channels`` read from the first input (see
    ``LazyConvTranspose1d``).

    >>> up = ad.nn.LazyConvTranspose2d(4, 3, stride=2, rng=0)
    >>> up(ad.tensor(np.ones((1, 2, 5, 5)))).shape, type(up).__name__
    ((1, 4, 11, 11), 'ConvTranspose2d')
    """

    _becomes, _dims = ConvTranspose2d, 2


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """``ConvTranspose3d`` with ``in_channels`` read from the first input (see
    ``LazyConvTranspose1d``).

    >>> ad.nn.LazyConvTranspose3d(2, 2, stride=2, rng=0)(ad.tensor(np.ones((1, 3, 1, 2, 2)))).shape
    (1, 2, 2, 4, 4)
    """

    _becomes, _dims = ConvTranspose3d, 3
