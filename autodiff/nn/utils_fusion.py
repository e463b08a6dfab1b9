"""Folding an eval-mode batch norm into the layer before it (``fuse_conv_bn_eval``,
``fuse_linear_bn_eval`` and their ``*_weights`` halves), and ``skip_init``, as in
``torch.nn.utils``.

A batch norm in eval mode is the affine map ``(x - mean) / sqrt(var + eps) * w + b``
per channel, so it folds into the weights and bias of a convolution or ``Linear``
that feeds it: the fused layer gives the same outputs with one op less.
"""

from __future__ import annotations

import copy

import numpy as np

from ..tensor import Tensor
from .buffer import is_tensor_buffer
from .module import Module, Parameter


def _array(value):
    return np.asarray(value.data if isinstance(value, Tensor) else value)


def _fused_parameter(array, like) -> Parameter:
    """``array`` as a Parameter that requires grad as ``like`` did; a bias made where the
    layer had none does not (PyTorch's: it starts from a zeros tensor)."""
    param = Parameter(array)
    if like is None or (isinstance(like, Tensor) and not like.requires_grad):
        param.requires_grad_(False)
    return param


def _check_eval(layer, bn, where):
    if layer.training or bn.training:
        raise ValueError(f"{where}: fusion is only for eval mode ({type(layer).__name__}"
                         f".training={layer.training}, {type(bn).__name__}.training="
                         f"{bn.training}); call .eval() on both first (in training mode the "
                         "batch norm uses each batch's statistics, which cannot be folded)")
    if getattr(bn, "running_mean", None) is None:
        raise ValueError(f"{where}: {type(bn).__name__} has no running statistics "
                         "(track_running_stats=False), so there is nothing to fold")


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b,
                         transpose: bool = False) -> tuple[Parameter, Parameter]:
    """The weight and bias of a convolution followed by an eval-mode batch norm, as
    one convolution: ``w * s`` per output channel and ``(b - mean) * s + bn_b``, with
    ``s = bn_w / sqrt(var + eps)``; ``transpose`` for a transposed convolution (output
    channels on axis 1 of its weight).  ``None`` biases and batch-norm weights count as
    0 and 1.

    >>> w, b = ad.nn.utils.fuse_conv_bn_weights(np.ones((2, 1, 1, 1)), None, np.zeros(2),
    ...                                         np.full(2, 4.0), 0.0, None, np.ones(2))
    >>> w.data.ravel(), b.data
    (array([0.5, 0.5]), array([1., 1.]))
    """
    weight = _array(conv_w)
    mean, var = _array(bn_rm), _array(bn_rv)
    bias = np.zeros_like(mean) if conv_b is None else _array(conv_b)
    scale = (np.ones_like(mean) if bn_w is None else _array(bn_w)) / np.sqrt(var + bn_eps)
    shift = np.zeros_like(mean) if bn_b is None else _array(bn_b)
    shape = [1, -1] if transpose else [-1, 1]
    fused_w = (weight * scale.reshape(shape + [1] * (weight.ndim - 2))).astype(weight.dtype)
    fused_b = ((bias - mean) * scale + shift).astype(bias.dtype if conv_b is not None
                                                      else weight.dtype)
    return _fused_parameter(fused_w, conv_w), _fused_parameter(fused_b, conv_b)


def fuse_conv_bn_eval(conv: Module, bn: Module, transpose: bool = False) -> Module:
    """A copy of ``conv`` that computes ``bn(conv(x))`` (both in eval mode) alone.

    >>> conv, bn = ad.nn.Conv2d(1, 2, 3, rng=0).eval(), ad.nn.BatchNorm2d(2).eval()
    >>> bn.running_mean[...] = [0.5, -1.0]
    >>> x = ad.tensor(np.ones((1, 1, 4, 4)))
    >>> fused = ad.nn.utils.fuse_conv_bn_eval(conv, bn)
    >>> bool(np.allclose(fused(x).data, bn(conv(x)).data))
    True
    """
    where = "fuse_conv_bn_eval"
    _check_eval(conv, bn, where)
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        conv.weight, conv.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias,
        transpose)
    return fused


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b
                           ) -> tuple[Parameter, Parameter]:
    """The weight and bias of a ``Linear`` followed by an eval-mode batch norm, as one
    ``Linear``.  The weight is in this library's ``(n_in, n_out)`` layout, so the
    scale multiplies its columns (PyTorch's rows).

    >>> w, b = ad.nn.utils.fuse_linear_bn_weights(np.ones((3, 2)), np.zeros(2), np.ones(2),
    ...                                           np.ones(2), 0.0, np.array([2.0, 3.0]), None)
    >>> w.data[0], b.data
    (array([2., 3.]), array([-2., -3.]))
    """
    weight = _array(linear_w)
    mean, var = _array(bn_rm), _array(bn_rv)
    bias = np.zeros_like(mean) if linear_b is None else _array(linear_b)
    scale = (np.ones_like(mean) if bn_w is None else _array(bn_w)) / np.sqrt(var + bn_eps)
    shift = np.zeros_like(mean) if bn_b is None else _array(bn_b)
    fused_w = (weight * scale).astype(weight.dtype)
    fused_b = ((bias - mean) * scale + shift).astype(bias.dtype if linear_b is not None
                                                      else weight.dtype)
    return _fused_parameter(fused_w, linear_w), _fused_parameter(fused_b, linear_b)


def fuse_linear_bn_eval(linear: Module, bn: Module) -> Module:
    """A copy of ``linear`` that computes ``bn(linear(x))`` (both in eval mode) alone.

    >>> linear, bn = ad.nn.Linear(3, 2, rng=0).eval(), ad.nn.BatchNorm1d(2).eval()
    >>> bn.running_var[...] = [4.0, 0.25]
    >>> x = ad.tensor(np.ones((5, 3)))
    >>> fused = ad.nn.utils.fuse_linear_bn_eval(linear, bn)
    >>> bool(np.allclose(fused(x).data, bn(linear(x)).data))
    True
    """
    where = "fuse_linear_bn_eval"
    _check_eval(linear, bn, where)
    n_out = linear.weight.shape[-1]
    if bn.num_features not in (n_out, 1):
        raise ValueError(f"{where}: the Linear has {n_out} outputs but the "
                         f"{type(bn).__name__} normalizes {bn.num_features} features; to "
                         "fuse, they must be equal (or the batch norm have 1 feature)")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(
        linear.weight, linear.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight,
        bn.bias)
    return fused


def skip_init(module_cls, *args, **kwargs) -> Module:
    """``module_cls(*args, **kwargs)`` with its parameters and buffers left
    uninitialized (arbitrary values: ``np.empty``), as ``torch.nn.utils.skip_init``;
    set them before use (``nn.init``, ``load_state_dict``).  The layer is still built
    with its usual initialization first: no time is saved, only the contract is kept.

    >>> layer = ad.nn.utils.skip_init(ad.nn.Linear, 3, 2)
    >>> layer.weight.shape, layer.weight.dtype
    ((3, 2), dtype('float64'))
    """
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise TypeError(f"skip_init: expected a Module class, got {module_cls!r}")
    module = module_cls(*args, **kwargs)
    for sub in module.modules():
        for param in sub._parameters.values():
            if param is not None:
                param.data = np.empty_like(param.data)
        for name, array in list(sub._buffers.items()):
            if is_tensor_buffer(array):             # (the same tensor object stays)
                array.data = np.empty_like(array.data)
            elif array is not None:
                setattr(sub, name, np.empty_like(array))
    return module
