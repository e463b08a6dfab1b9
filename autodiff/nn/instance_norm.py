"""InstanceNorm1d/2d/3d and ``F.instance_norm``: each channel of each sample normalised over
its positions, as PyTorch's.

With the input's statistics (training, or no running statistics) the input is viewed
as ``(N, C, positions)`` and normalised by ``layer_norm``'s fused op, the way
``group_norm`` uses it, so gradients of every order come from that op; a per-channel
scale and shift follow.  Running statistics, when given (a layer's are Tensors), are
updated in place outside the graph, as PyTorch updates them: the per-sample
statistics are averaged over the batch, the variance unbiased,

    running_mean = (1 - momentum) * running_mean + momentum * mean over N of sample means
    running_var  = (1 - momentum) * running_var  + momentum * mean over N of sample vars

and ``num_batches_tracked`` is never counted (PyTorch's instance norm leaves it at 0;
``momentum=None`` on a layer means 0: the running statistics stay as they are).
Without the input's statistics the running ones normalise, as in ``batch_norm``'s
evaluation mode.  The update is a ``@replayed`` call, so a compiled step makes it again
at each replay.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..compile.hooks import replayed
from ..ops.normalization import layer_norm as _layer_norm
from ..ops.operands import constant_argument
from ..ops.shape import reshape
from ..tensor import Tensor
from .half_precision import rounded_once
from .module import Module, Parameter
from .normalization import (_batch_norm, _BatchNorm, _check_same_dtype, _scale_and_shift,
                            _set_running_stats_options, _shape_of, constant_running_arguments)
from .running_stats import note_written, register_running_stats, writable_values


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5,
                  *, where: str = "instance_norm") -> Tensor:
    """Normalise each channel of each sample of ``(N, C, *)`` input over its positions,
    then ``* weight + bias`` per channel, as PyTorch's ``instance_norm``.

    ``use_input_stats=True``: each ``input[n, c]`` gets mean 0 and (biased) variance 1,
    and ``running_mean`` / ``running_var`` (if given, shape ``(C,)``) are updated in
    place with ``momentum``.  ``use_input_stats=False``: the running statistics
    normalise instead.  The running statistics and ``momentum`` get no gradient.

    >>> x = ad.tensor([[[1.0, 3.0], [2.0, 6.0]]])              # (N, C, L) = (1, 2, 2)
    >>> F.instance_norm(x)
    tensor([[[-0.999995  ,  0.999995  ],
             [-0.99999875,  0.99999875]]])
    >>> rm, rv = np.zeros(2), np.ones(2)
    >>> _ = F.instance_norm(x, rm, rv)
    >>> rm, rv
    (array([0.2, 0.4]), array([1.1, 1.7]))
    """
    momentum = constant_running_arguments(where, running_mean, running_var, momentum)
    tracked = running_mean is not None or running_var is not None
    if tracked and (running_mean is None or running_var is None):
        raise ValueError(f"{where}: running_mean and running_var must both be given or both be "
                         "None, as in PyTorch; got only "
                         f"{'running_mean' if running_var is None else 'running_var'}")
    if tracked and use_input_stats and momentum is None:
        raise TypeError(f"{where}: momentum=None with running statistics: pass a number "
                        "(PyTorch's default is 0.1)")
    stats = _RunningInstanceStats(running_mean, running_var, momentum)
    return _instance_norm(input, stats, weight, bias, use_input_stats,
                          stats if tracked else None, eps, where)


def _instance_norm(input, stats, weight, bias, use_input_stats, update, eps, where):
    """``instance_norm`` with the running statistics in ``stats.running_mean`` and
    ``stats.running_var`` (a layer's buffers, read again at each replay of a compiled
    step, or the function's arrays); with the input's statistics, ``update(values)``
    takes the input's array to blend its statistics into the running ones."""
    x = input if isinstance(input, Tensor) else Tensor(np.asarray(input))
    if x.ndim < 3:
        raise ValueError(f"{where}: expected input of shape (N, C, *) with at least one axis of "
                         f"positions after the channels, got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{where}: expected floating-point values, got dtype {x.dtype}")
    n, channels = x.shape[:2]
    for name, array in (("running_mean", stats.running_mean),
                        ("running_var", stats.running_var), ("weight", weight), ("bias", bias)):
        if array is not None and _shape_of(array) != (channels,):
            raise ValueError(f"{where}: {name} must have shape ({channels},), one value per "
                             f"channel of the input of shape {x.shape}, got {_shape_of(array)}")
    for name, param in (("weight", weight), ("bias", bias)):
        _check_same_dtype(where, name, param, x.dtype)
    if not use_input_stats:
        if stats.running_mean is None or stats.running_var is None:
            raise ValueError(f"{where}: use_input_stats=False needs running_mean and "
                             "running_var (the statistics that normalise the input)")
        return _batch_norm(x, stats, weight, bias, False, None, eps, where)
    positions = int(np.prod(x.shape[2:], dtype=np.int64))
    if positions == 1:                          # PyTorch's check, on the same inputs
        raise ValueError(f"{where}: expected more than 1 position per channel when using the "
                         f"input's statistics, got input of shape {x.shape}: each channel "
                         "would normalise to 0")
    eps = constant_argument(eps, where, "eps", "instance_norm uses layer_norm's fused op, "
                            "which has no rule for it")

    def normalized(x, weight, bias):
        out = x                                 # (no values: nothing to normalise)
        if positions:
            rows = reshape(x, (n, channels, positions))
            out = reshape(_layer_norm(rows, None, None, normalized_ndim=1, eps=float(eps)),
                          x.shape)
        return _scale_and_shift(out, weight, bias, (1, channels) + (1,) * (x.ndim - 2))
    if update is not None and positions and n:
        update(x.data)
    # float16 statistics in float32, the output rounded once (as PyTorch's CPU kernel)
    return rounded_once(normalized, x, weight, bias)


def _blend(running_mean, running_var, values, momentum):
    """Running statistics (in place) += momentum * (batch average of the per-sample
    statistics of ``values``, shape (N, C, *) - running ones)."""
    rows = values.reshape(values.shape[0], values.shape[1], -1)
    mean_values, var_values = writable_values(running_mean), writable_values(running_var)
    if mean_values is not None:
        mean_values *= 1 - momentum
        mean_values += momentum * rows.mean(axis=2).mean(axis=0)
    if var_values is not None:
        var_values *= 1 - momentum
        var_values += momentum * rows.var(axis=2, ddof=1).mean(axis=0)
    note_written(running_mean, running_var)


class _RunningInstanceStats:
    """``F.instance_norm``'s running statistics, and their update (replayed when compiled)."""

    def __init__(self, running_mean, running_var, momentum):
        self.running_mean, self.running_var, self.momentum = running_mean, running_var, momentum

    @replayed
    def __call__(self, values):
        _blend(self.running_mean, self.running_var, values, self.momentum)


class _InstanceNorm(Module):
    _dims: tuple = ()
    _layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, *,
                 bias: bool = True, dtype=np.float64):
        super().__init__()
        name = type(self).__name__
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) \
                or num_features < 1:
            raise ValueError(f"{name}: num_features must be a positive int, got {num_features!r}")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{name}: dtype must be a floating-point type such as float64 or "
                            f"float32, not {dtype}")
        self.num_features = int(num_features)
        _set_running_stats_options(self, name, eps, momentum, affine, track_running_stats)
        shape = (self.num_features,)
        self.register_parameter("weight", Parameter(np.ones(shape, dtype)) if affine else None)
        self.register_parameter("bias", Parameter(np.zeros(shape, dtype))
                                if affine and bias else None)
        register_running_stats(self, shape, dtype, self.track_running_stats)

    reset_running_stats = _BatchNorm.reset_running_stats
    reset_parameters = _BatchNorm.reset_parameters

    def forward(self, input):
        where = f"{type(self).__name__}({self.num_features})"
        shape = _shape_of(input)
        if len(shape) not in self._dims:
            raise ValueError(f"{where}: expected a {' or '.join(f'{d}-d' for d in self._dims)} "
                             f"input {self._layout}, got shape {shape}")
        unbatched = len(shape) == self._dims[0]
        channel_axis = 0 if unbatched else 1
        if shape[channel_axis] != self.num_features:
            message = (f"{where}: expected {self.num_features} channels (features) on axis "
                       f"{channel_axis} of the input {self._layout}, got shape {shape}")
            if self.affine or self.track_running_stats:
                raise ValueError(message)
            # PyTorch only warns here: num_features is used by nothing but the check.
            warnings.warn(f"{message}; num_features is not used (affine=False, "
                          "track_running_stats=False), so each channel is normalised as it is",
                          UserWarning, stacklevel=2)
        input = input if isinstance(input, Tensor) else Tensor(np.asarray(input))
        if unbatched:
            input = reshape(input, (1,) + shape)
        use_input_stats = self.training or not self.track_running_stats
        update = self._track if self.training and self.track_running_stats else None
        out = _instance_norm(input, self, self.weight, self.bias, use_input_stats, update,
                             self.eps, where)
        return reshape(out, shape) if unbatched else out

    @replayed
    def _track(self, values):
        _blend(self.running_mean, self.running_var, values, self.momentum or 0.0)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of ``(N, C, L)`` or unbatched ``(C, L)`` input: each channel
    of each sample normalised over its L positions.

    ``affine=False`` and ``track_running_stats=False`` by default, as in PyTorch: no
    parameters, and the input's statistics in ``train()`` and ``eval()`` alike.
    ``affine=True`` adds ``weight`` (ones) and ``bias`` (zeros) of shape ``(C,)``;
    ``track_running_stats=True`` adds the buffers ``running_mean``, ``running_var`` and
    ``num_batches_tracked``, updated in training and used after ``eval()``.
    Everything as ``torch.nn.InstanceNorm1d``.

    >>> norm = ad.nn.InstanceNorm1d(2, affine=True)
    >>> norm(ad.tensor([[1.0, 3.0], [2.0, 6.0]])).data        # unbatched (C, L)
    array([[-0.999995  ,  0.999995  ],
           [-0.99999875,  0.99999875]])
    >>> list(ad.nn.InstanceNorm1d(2, track_running_stats=True).state_dict())
    ['running_mean', 'running_var', 'num_batches_tracked']
    """

    _dims = (2, 3)
    _layout = "(C, L) or (N, C, L)"


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of ``(N, C, H, W)`` or unbatched ``(C, H, W)`` images: each
    channel of each image normalised over its H * W pixels (see ``InstanceNorm1d``).

    >>> norm = ad.nn.InstanceNorm2d(3)
    >>> norm
    InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)
    >>> norm(ad.tensor(np.arange(24.0).reshape(2, 3, 2, 2))).data[0, 0]
    array([[-1.34163542, -0.44721181],
           [ 0.44721181,  1.34163542]])
    """

    _dims = (3, 4)
    _layout = "(C, H, W) or (N, C, H, W)"


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of ``(N, C, D, H, W)`` or unbatched ``(C, D, H, W)``
    volumes: each channel of each sample normalised over its D * H * W cells (see
    ``InstanceNorm1d``).

    >>> ad.nn.InstanceNorm3d(3)(ad.tensor(np.ones((2, 3, 2, 2, 2)))).shape
    (2, 3, 2, 2, 2)
    """

    _dims = (4, 5)
    _layout = "(C, D, H, W) or (N, C, D, H, W)"
