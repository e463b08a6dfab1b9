"""PyTorch's ``F.linear_cross_entropy``: the cross-entropy of ``linear(input, weight,
bias)`` against ``target``, in one call (PyTorch's reference computation; its chunked
``options=`` path is a memory saving that computes the same, so an
``nn.LinearCrossEntropyOptions`` is accepted and changes nothing).

>>> x, w = ad.ones((2, 3)), ad.zeros((4, 3))
>>> round(F.linear_cross_entropy(x, w, np.array([0, 3])).item(), 6)      # log(4)
1.386294
"""

from __future__ import annotations

import math

from ..ops.operands import tensor_of
from .functional_distance import linear
from .losses import cross_entropy

__all__ = ["linear_cross_entropy"]


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,
                         reduction: str = "mean", ignore_index: int | None = None,
                         label_smoothing: float = 0.0, options=None):
    """``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``, as
    PyTorch's ``F.linear_cross_entropy``: ``input`` is ``(in,)`` or ``(N, in)``,
    ``linear_weight`` ``(C, *out_features, in)`` (a K-dimensional loss when
    ``out_features`` is not empty), ``ignore_index`` None is -100 for class indices."""
    from .linear_cross_entropy_module import LinearCrossEntropyOptions

    if options is not None and not isinstance(options, LinearCrossEntropyOptions):
        raise TypeError(f"linear_cross_entropy: options must be an "
                        f"nn.LinearCrossEntropyOptions or None, got {options!r}")
    input, linear_weight = tensor_of(input), tensor_of(linear_weight)
    if not 1 <= input.ndim <= 2:
        raise RuntimeError(f"linear_cross_entropy: expected input with dimensionality 1 or "
                           f"2, got {input.ndim} (shape {input.shape})")
    if linear_weight.ndim < 2:
        raise RuntimeError(f"linear_cross_entropy: expected linear_weight with "
                           f"dimensionality at least 2, got {linear_weight.ndim}")
    in_features = input.shape[-1]
    if linear_weight.shape[-1] != in_features:
        raise RuntimeError(f"linear_cross_entropy: expected equal input and linear_weight "
                           f"last dimensions (in_features), got {in_features} and "
                           f"{linear_weight.shape[-1]}, respectively")
    num_classes, out_features = linear_weight.shape[0], linear_weight.shape[1:-1]
    if linear_bias is not None and tuple(tensor_of(linear_bias).shape) != (num_classes,
                                                                          *out_features):
        raise RuntimeError(f"linear_cross_entropy: expected linear_bias shape "
                           f"{(num_classes, *out_features)}, got "
                           f"{tuple(tensor_of(linear_bias).shape)}")
    if out_features and input.ndim == 1:
        raise RuntimeError(f"linear_cross_entropy: K-dimensional loss defined by "
                           f"linear_weight shape {linear_weight.shape} requires batched "
                           f"input, (N, {in_features}), got unbatched input with shape "
                           f"{input.shape}")
    logits_shape = (*input.shape[:-1], num_classes, *out_features)
    target_shape = tuple(getattr(target, "shape", ()))
    if target_shape == logits_shape and ignore_index is not None:
        raise RuntimeError("linear_cross_entropy: ignore_index cannot be specified when "
                           "target contains probabilities")
    if out_features:
        rows = math.prod(out_features, start=num_classes)
        linear_weight = linear_weight.reshape(rows, in_features)
        if linear_bias is not None:
            linear_bias = tensor_of(linear_bias).reshape(rows)
    logits = linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight,
                         ignore_index=-100 if ignore_index is None else ignore_index,
                         reduction=reduction, label_smoothing=label_smoothing)
