"""LayerNorm, GroupNorm and BatchNorm1d/2d/3d: the functions (``F.layer_norm``,
``F.group_norm``, ``F.batch_norm``) and layers.

``layer_norm`` is one fused op (``autodiff.ops.normalization``); ``group_norm`` runs
it on the input viewed as ``(N, groups, values per group)``, then scales and shifts
each channel, so both get their gradients of every order from that op.  ``batch_norm``
is a composition of primitives (mean, variance, arithmetic), so its gradients of every
order come from theirs; its running statistics (Tensors, or ndarrays given to
``F.batch_norm``) are updated in place, outside the graph, exactly as PyTorch updates
them (``running_stats.py``):

    running_mean = (1 - momentum) * running_mean + momentum * batch_mean
    running_var  = (1 - momentum) * running_var  + momentum * batch_var * n / (n - 1)

(the running variance is unbiased; the batch is normalised with the biased one).
The update is a ``@replayed`` call, so a compiled training step makes it again at
each replay (with the batch statistics of that replay).
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made, replayed
from ..ops import reduce as rd
from ..ops.normalization import layer_norm as _layer_norm
from ..ops.operands import array_of, constant_argument
from ..ops.shape import reshape
from ..tensor import Tensor
from .half_precision import rounded_once
from .module import Module, Parameter
from .reset import refill
from .running_stats import (count_batch, fill_stat, note_written, register_running_stats,
                            writable_values)


def _shape_of(x):
    return tuple(x.shape if isinstance(x, Tensor) else np.shape(x))


def _normalized_shape(normalized_shape, where):
    if isinstance(normalized_shape, (int, np.integer)):
        normalized_shape = (normalized_shape,)
    shape = tuple(int(n) for n in normalized_shape)
    if not shape or any(n < 1 for n in shape):
        raise ValueError(f"{where}: normalized_shape must be positive sizes, got "
                         f"{normalized_shape!r}")
    return shape


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5,
               *, where: str = "layer_norm") -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` axes, then ``* weight + bias``.

    Each slice gets mean 0 and (biased) variance 1: ``(x - mean) / sqrt(var + eps)``.

    >>> F.layer_norm(ad.tensor([[1.0, 3.0], [2.0, 2.0]]), (2,))
    tensor([[-0.999995,  0.999995],
            [ 0.      ,  0.      ]])
    """
    shape = _normalized_shape(normalized_shape, where)
    in_shape = _shape_of(input)
    k = len(shape)
    if in_shape[len(in_shape) - k:] != shape or len(in_shape) < k:
        raise ValueError(
            f"{where}: expected an input whose last {k} axis size(s) are {shape} "
            f"(shape (*, {', '.join(map(str, shape))})), got shape {in_shape}")
    dtype = input.dtype if isinstance(input, Tensor) else np.asarray(input).dtype
    if dtype.kind != "f":
        raise TypeError(f"{where}: expected floating-point values, got dtype {dtype}")
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and _shape_of(param) != shape:
            raise ValueError(f"{where}: {name} must have shape {shape}, got {_shape_of(param)}")
        _check_same_dtype(where, name, param, dtype)
    eps = constant_argument(eps, where, "eps", "layer_norm's fused op has no rule for it")
    return rounded_once(lambda x, weight, bias: _layer_norm(x, weight, bias, normalized_ndim=k,
                                                            eps=float(eps)),
                        input, weight, bias)


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5,
               *, where: str = "group_norm") -> Tensor:
    """Split the channels (axis 1) of ``(N, C, *)`` input into ``num_groups`` groups and
    normalise each group of each sample, then ``* weight + bias`` per channel.

    Each group (its ``C / num_groups`` channels and all their positions) gets mean 0
    and (biased) variance 1: ``(x - mean) / sqrt(var + eps)``.  ``C`` must be divisible
    by ``num_groups``; ``weight`` and ``bias`` have shape ``(C,)``.  As PyTorch's
    ``group_norm``.

    >>> x = ad.tensor([[[1.0], [3.0], [5.0], [5.0]]])          # (N, C, L) = (1, 4, 1)
    >>> F.group_norm(x, 2).data.ravel()
    array([-0.999995,  0.999995,  0.      ,  0.      ])
    """
    x = input if isinstance(input, Tensor) else Tensor(np.asarray(input))
    if x.ndim < 2:
        raise ValueError(f"{where}: expected input of shape (N, C, *) with the channels on "
                         f"axis 1, got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{where}: expected floating-point values, got dtype {x.dtype}")
    groups = _group_count(num_groups, where)
    channels = x.shape[1]
    if channels % groups:
        raise ValueError(f"{where}: the number of channels (axis 1) must be divisible by "
                         f"num_groups, got input of shape {x.shape} and num_groups={groups}; "
                         f"use a num_groups that divides {channels} "
                         f"({_divisors_text(channels)})")
    if x.size == groups:                        # PyTorch's check, on the same inputs
        raise ValueError(f"{where}: expected more than 1 value per group, got input of shape "
                         f"{x.shape} and num_groups={groups}: each group would hold a single "
                         "value, which normalises to 0; use fewer groups or a larger input")
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and _shape_of(param) != (channels,):
            raise ValueError(f"{where}: {name} must have shape ({channels},), one value per "
                             f"channel of the input of shape {x.shape}, got {_shape_of(param)}")
        _check_same_dtype(where, name, param, x.dtype)
    eps = constant_argument(eps, where, "eps", "group_norm uses layer_norm's fused op, which "
                            "has no rule for it")
    per_group = (channels // groups) * int(np.prod(x.shape[2:], dtype=np.int64))

    def normalized(x, weight, bias):
        out = x                                 # (no values: nothing to normalise)
        if per_group:
            grouped = reshape(x, (x.shape[0], groups, per_group))
            out = reshape(_layer_norm(grouped, None, None, normalized_ndim=1, eps=float(eps)),
                          x.shape)
        return _scale_and_shift(out, weight, bias, (1, channels) + (1,) * (x.ndim - 2))
    return rounded_once(normalized, x, weight, bias)


def _scale_and_shift(out, weight, bias, channel_shape):
    """``out * weight + bias`` with the per-channel ``weight`` and ``bias`` (either may be
    None) reshaped to ``channel_shape``, to broadcast along axis 1."""
    if weight is not None:
        out = out * reshape(weight, channel_shape)
    if bias is not None:
        out = out + reshape(bias, channel_shape)
    return out


def _check_same_dtype(where, name, param, dtype):
    """PyTorch refuses a weight or bias of another dtype than the input (NumPy would
    promote the result to the wider one)."""
    param_dtype = getattr(param, "dtype", None)
    if param_dtype is not None and param_dtype != dtype:
        raise TypeError(f"{where}: the input is {dtype} but {name} is {param_dtype}; "
                        f"convert the input (x.astype(np.{param_dtype})), or build the "
                        f"layer with dtype=np.{dtype}")


def _group_count(num_groups, where):
    if isinstance(num_groups, bool) or not isinstance(num_groups, (int, np.integer)) \
            or num_groups < 1:
        raise ValueError(f"{where}: num_groups must be a positive int, got {num_groups!r}")
    return int(num_groups)


def _divisors_text(n):
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    if len(divisors) > 12:
        divisors = divisors[:6] + ["..."] + divisors[-6:]
    return ", ".join(map(str, divisors))


def _set_running_stats_options(module, name, eps, momentum, affine, track_running_stats):
    """``eps``, ``momentum`` (in [0, 1], or None), ``affine`` and ``track_running_stats``
    of a batch or instance norm layer, checked and stored on ``module``."""
    module.eps = _checked_eps(eps, name)
    momentum = constant_argument(momentum, name, "momentum", _LAYER_KEEPS_FLOATS)
    module.momentum = None if momentum is None else float(momentum)
    if module.momentum is not None and not 0 <= module.momentum <= 1:
        raise ValueError(f"{name}: momentum must be in [0, 1] (the weight of each new "
                         f"batch in the running statistics) or None, got {momentum!r}")
    module.affine = bool(affine)
    module.track_running_stats = bool(track_running_stats)


def constant_running_arguments(where, running_mean, running_var, momentum):
    """Refuse a Tensor that requires grad as the running statistics or ``momentum``
    (they get no gradient); returns ``momentum``."""
    for name, value in (("running_mean", running_mean), ("running_var", running_var)):
        constant_argument(value, where, name, "the running statistics are updated in place, "
                          "outside the graph", read=False)
    return constant_argument(momentum, where, "momentum",
                             "it only blends the running statistics, outside the graph")


def batch_norm(input, running_mean, running_var, weight=None, bias=None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5,
               *, where: str = "batch_norm") -> Tensor:
    """Normalise each channel (axis 1) of ``(N, C, ...)`` input, as PyTorch's ``batch_norm``.

    ``training=True``: use the batch's mean and biased variance, and update
    ``running_mean`` / ``running_var`` in place (if given: Tensors, as in PyTorch, or
    ndarrays) with ``momentum``, the variance unbiased.  ``training=False``: use the
    running statistics.  A Tensor ``eps`` that requires grad gets its gradient; the
    running statistics and ``momentum`` get none, and a Tensor that requires grad passed
    for them is refused (as PyTorch does).

    >>> rm, rv = ad.zeros(2), ad.ones(2)
    >>> y = F.batch_norm(ad.tensor([[1.0, 2.0], [3.0, 6.0]]), rm, rv, training=True)
    >>> rm, rv
    (tensor([0.2, 0.4]), tensor([1.1, 1.7]))
    """
    momentum = constant_running_arguments(where, running_mean, running_var, momentum)
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{where}: running_mean and running_var must both be given or both be "
                         "None, as in PyTorch; got only "
                         f"{'running_mean' if running_var is None else 'running_var'}")
    stats = _RunningStats(running_mean, running_var, momentum)
    tracked = training and running_mean is not None
    if tracked and momentum is None:
        raise TypeError(f"{where}: momentum=None with running statistics: pass a number "
                        "(PyTorch's default is 0.1; the layers' momentum=None, a cumulative "
                        "average, needs the count of batches that only they keep)")
    return _batch_norm(input, stats, weight, bias, training, stats if tracked else None,
                       eps, where)


def _batch_norm(input, stats, weight, bias, training, update, eps, where):
    """``batch_norm`` with the running statistics in ``stats.running_mean`` and
    ``stats.running_var``: a BatchNorm module's buffers (read from the module again at
    each replay of a compiled step: ``load_state_dict`` may have replaced them) or
    ``F.batch_norm``'s tensors or arrays.  When training, ``update(mean, var, count)`` takes the
    batch's statistics (arrays) to blend into the running ones."""
    running_mean, running_var = stats.running_mean, stats.running_var
    x = input if isinstance(input, Tensor) else Tensor(np.asarray(input))
    if x.ndim < 2:
        raise ValueError(f"{where}: expected input of shape (N, C, ...), got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{where}: expected floating-point values, got dtype {x.dtype}")
    channels = x.shape[1]
    for name, array in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        if array is not None and _shape_of(array) != (channels,):
            raise ValueError(f"{where}: {name} must have shape ({channels},) for input of "
                             f"shape {x.shape}, got {_shape_of(array)}")
    for name, param in (("weight", weight), ("bias", bias)):
        _check_same_dtype(where, name, param, x.dtype)
    # float16 statistics in float32, the output rounded once (as PyTorch's CPU kernel)
    return rounded_once(
        lambda x, weight, bias: _normalized(x, stats, weight, bias, training, update, eps,
                                            where), x, weight, bias)


def _normalized(x, stats, weight, bias, training, update, eps, where):
    running_mean, running_var = stats.running_mean, stats.running_var
    channels = x.shape[1]
    stats_shape = (1, channels) + (1,) * (x.ndim - 2)
    if training:
        axes = (0,) + tuple(range(2, x.ndim))
        count = x.size // channels
        if count <= 1:
            raise ValueError(f"{where}: expected more than 1 value per channel when training, "
                             f"got input of shape {x.shape}: the batch statistics of one "
                             "value are undefined. Train on batches of 2 or more, or call "
                             "model.eval() to use the running statistics")
        mean = rd.mean(x, axis=axes, keepdims=True)
        centered = x - mean
        var = rd.mean(centered * centered, axis=axes, keepdims=True)
        out = centered * (var + eps) ** -0.5
        if update is not None:
            update(mean.data, var.data, count)
    else:
        if running_mean is None or running_var is None:
            raise ValueError(f"{where}: training=False needs running_mean and running_var")
        if isinstance(eps, Tensor):         # a Tensor eps gets its gradient, as in training
            var = made("batch_norm variance", _as_variance, (stats, x.dtype, stats_shape))
            scale = (var + eps) ** -0.5
        else:
            scale = made("batch_norm scale", _inverse_std, (stats, eps, x.dtype, stats_shape))
        shift = made("batch_norm shift", _as_stats, (stats, x.dtype, stats_shape))
        out = (x - shift) * scale
    return _scale_and_shift(out, weight, bias, stats_shape)


def _inverse_std(stats, eps, dtype, shape):
    running_var = array_of(stats.running_var)  # (float16 ones: in float32)
    running_var = running_var.astype(np.result_type(running_var.dtype, dtype), copy=False)
    return (1.0 / np.sqrt(running_var + eps)).astype(dtype).reshape(shape)


def _as_variance(stats, dtype, shape):
    return array_of(stats.running_var).astype(dtype).reshape(shape)


def _as_stats(stats, dtype, shape):
    return array_of(stats.running_mean).astype(dtype).reshape(shape)


def _blend(running_mean, running_var, mean, var, factor, count):
    """Running statistics (Tensors or ndarrays, in place) += factor * (batch statistics
    - running ones)."""
    mean_values, var_values = writable_values(running_mean), writable_values(running_var)
    if mean_values is not None:
        mean_values *= 1 - factor
        mean_values += factor * mean.reshape(mean_values.shape)
    if var_values is not None:
        var_values *= 1 - factor
        var_values += factor * var.reshape(var_values.shape) * (count / (count - 1))
    note_written(running_mean, running_var)


class _RunningStats:
    """``F.batch_norm``'s running statistics, and their update (replayed when compiled)."""

    def __init__(self, running_mean, running_var, momentum):
        self.running_mean, self.running_var, self.momentum = running_mean, running_var, momentum

    @replayed
    def __call__(self, mean, var, count):
        _blend(self.running_mean, self.running_var, mean, var, self.momentum, count)


_LAYER_KEEPS_FLOATS = "the layer keeps it as a float"


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` axes, with a learned scale and shift.

    ``weight`` starts at ones and ``bias`` at zeros (shape ``normalized_shape``);
    ``elementwise_affine=False`` leaves both out, ``bias=False`` only the shift.

    >>> ln = ad.nn.LayerNorm(4)
    >>> ln(ad.tensor(np.arange(8.0).reshape(2, 4))).shape
    (2, 4)
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, *, dtype=np.float64):
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape, "LayerNorm")
        self.eps = _checked_eps(eps, "LayerNorm")
        self.elementwise_affine = bool(elementwise_affine)
        _add_scale_and_shift(self, self.normalized_shape, elementwise_affine, bias, dtype)

    def forward(self, input):
        shape = self.normalized_shape
        # errors name the layer briefly, as it is usually written
        where = f"LayerNorm({shape[0] if len(shape) == 1 else shape}, eps={self.eps})"
        return layer_norm(input, shape, self.weight, self.bias, self.eps, where=where)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")

    def reset_parameters(self) -> None:
        """``weight`` ones and ``bias`` zeros again, in place."""
        refill(self, weight=1, bias=0)


def _add_scale_and_shift(module, shape, affine, bias, dtype):
    """``weight`` (ones) and ``bias`` (zeros) of ``shape``, or None where left out."""
    module.register_parameter("weight", Parameter(np.ones(shape, dtype)) if affine else None)
    module.register_parameter("bias", Parameter(np.zeros(shape, dtype))
                              if affine and bias else None)


class GroupNorm(Module):
    """Group normalisation of ``(N, C, *)`` input: the C channels are split into
    ``num_groups`` groups, each normalised per sample, then scaled and shifted per channel.

    ``weight`` starts at ones and ``bias`` at zeros (shape ``(num_channels,)``);
    ``affine=False`` leaves both out, ``bias=False`` only the shift.  Unlike BatchNorm
    it keeps no running statistics and behaves the same in ``train()`` and ``eval()``.
    Everything as ``torch.nn.GroupNorm``, except that an input whose channel count is
    not ``num_channels`` is refused also with ``affine=False``.

    >>> gn = ad.nn.GroupNorm(2, 4)
    >>> gn(ad.tensor(np.arange(24.0).reshape(2, 4, 3))).shape
    (2, 4, 3)
    >>> list(gn.state_dict())
    ['weight', 'bias']
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, *, bias: bool = True, dtype=np.float64):
        super().__init__()
        self.num_groups = _group_count(num_groups, "GroupNorm")
        if isinstance(num_channels, bool) or not isinstance(num_channels, (int, np.integer)) \
                or num_channels < 1:
            raise ValueError(f"GroupNorm: num_channels must be a positive int, got "
                             f"{num_channels!r}")
        self.num_channels = int(num_channels)
        if self.num_channels % self.num_groups:
            raise ValueError(f"GroupNorm: num_channels ({self.num_channels}) must be divisible "
                             f"by num_groups ({self.num_groups}); use a num_groups that divides "
                             f"{self.num_channels} ({_divisors_text(self.num_channels)})")
        self.eps = _checked_eps(eps, "GroupNorm")
        self.affine = bool(affine)
        _add_scale_and_shift(self, (self.num_channels,), affine, bias, dtype)

    def forward(self, input):
        where = f"GroupNorm({self.num_groups}, {self.num_channels}, eps={self.eps})"
        shape = _shape_of(input)
        if len(shape) >= 2 and shape[1] != self.num_channels:
            raise ValueError(f"{where}: expected {self.num_channels} channels on axis 1 "
                             f"(input of shape (N, {self.num_channels}, *)), got input of "
                             f"shape {shape}")
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps, where=where)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")

    def reset_parameters(self) -> None:
        """``weight`` ones and ``bias`` zeros again, in place."""
        refill(self, weight=1, bias=0)


def _checked_eps(eps, where):
    eps = float(constant_argument(eps, where, "eps", _LAYER_KEEPS_FLOATS))
    if not eps >= 0:
        raise ValueError(f"{where}: eps must be >= 0 (it is added to the variance), got {eps}")
    return eps


class _BatchNorm(Module):
    _dims: tuple = ()
    _layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *, bias: bool = True,
                 dtype=np.float64):
        super().__init__()
        name = type(self).__name__
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) \
                or num_features < 1:
            raise ValueError(f"{name}: num_features must be a positive int, got {num_features!r}")
        self.num_features = int(num_features)
        _set_running_stats_options(self, name, eps, momentum, affine, track_running_stats)
        _add_scale_and_shift(self, (self.num_features,), affine, bias, dtype)
        register_running_stats(self, (self.num_features,), dtype, track_running_stats)

    @replayed
    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches seen, in place (as PyTorch's).

        >>> bn = ad.nn.BatchNorm1d(2)
        >>> _ = bn(ad.tensor([[1.0, 2.0], [3.0, 6.0]])); bn.reset_running_stats()
        >>> bn.running_mean, bn.num_batches_tracked
        (tensor([0., 0.]), tensor(0))
        """
        if self.track_running_stats:
            fill_stat(self.running_mean, 0)
            fill_stat(self.running_var, 1)
            fill_stat(self.num_batches_tracked, 0)

    def reset_parameters(self) -> None:
        """``reset_running_stats()``, then ``weight`` ones and ``bias`` zeros, in place
        (as PyTorch's)."""
        from . import init
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def _check_input(self, x):
        shape = _shape_of(x)
        where = f"{type(self).__name__}({self.num_features})"
        if len(shape) not in self._dims:
            raise ValueError(f"{where}: expected a {' or '.join(f'{d}-d' for d in self._dims)} "
                             f"input {self._layout}, got shape {shape}")
        if shape[1] != self.num_features:
            raise ValueError(f"{where}: expected {self.num_features} channels (features) on "
                             f"axis 1, got input of shape {shape}")
        return where

    def forward(self, input):
        where = self._check_input(input)
        use_batch = self.training or self.running_mean is None
        update = self._track if self.training and self.track_running_stats else None
        # Without track_running_stats the buffers are None: the batch's statistics serve.
        return _batch_norm(input, self, self.weight, self.bias, use_batch, update, self.eps,
                           where)

    @replayed
    def _track(self, mean, var, count):
        batches = count_batch(self)
        factor = self.momentum
        if factor is None:                      # cumulative moving average
            factor = 1.0 / batches
        _blend(self.running_mean, self.running_var, mean, var, factor, count)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` input, per channel C.

    Training mode normalises with the batch statistics and updates the buffers
    ``running_mean``, ``running_var`` (unbiased) and ``num_batches_tracked``;
    ``eval()`` mode uses the running statistics.  ``momentum=None`` makes the running
    statistics a cumulative average.  ``weight`` starts at ones and ``bias`` at zeros;
    ``affine=False`` leaves both out, ``bias=False`` only the shift.  Everything as
    ``torch.nn.BatchNorm1d``: the buffers are Tensors updated in place, so a reference
    to one sees the updates, and ``bn.running_mean.copy_(m)``, ``.fill_(1)``,
    ``.zero_()`` (under ``ad.no_grad()``) set them.

    >>> bn = ad.nn.BatchNorm1d(2)
    >>> bn(ad.tensor([[1.0, 2.0], [3.0, 6.0]]))
    tensor([[-0.999995  , -0.99999875],
            [ 0.999995  ,  0.99999875]], requires_grad=True)
    >>> bn.running_mean, bn.num_batches_tracked.item()
    (tensor([0.2, 0.4]), 1)
    """

    _dims = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` images, per channel C (see ``BatchNorm1d``).

    >>> bn = ad.nn.BatchNorm2d(3)
    >>> bn(ad.tensor(np.ones((2, 3, 4, 4)))).shape
    (2, 3, 4, 4)
    """

    _dims = (4,)
    _layout = "(N, C, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of ``(N, C, D, H, W)`` volumes, per channel C (see
    ``BatchNorm1d``).

    >>> bn = ad.nn.BatchNorm3d(3)
    >>> bn(ad.tensor(np.ones((2, 3, 2, 4, 4)))).shape
    (2, 3, 2, 4, 4)
    """

    _dims = (5,)
    _layout = "(N, C, D, H, W)"
