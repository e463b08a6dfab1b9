"""PyTorch's ``nn.LinearCrossEntropyLoss`` (a ``Linear`` head and the cross-entropy
of its logits, in one module) and ``nn.LinearCrossEntropyOptions`` (the settings of
PyTorch's chunked computation, which computes the same loss with less memory)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .linear_cross_entropy import linear_cross_entropy
from .loss_modules import _Loss, _weight_array
from .modules import Linear

__all__ = ["LinearCrossEntropyLoss", "LinearCrossEntropyOptions"]

_ACC_POLICIES = ("auto", "accurate", "balanced", "compact")


@dataclasses.dataclass
class LinearCrossEntropyOptions:
    """PyTorch's settings for computing ``linear_cross_entropy`` a chunk of the batch at
    a time, checked as PyTorch checks them.  Chunking saves memory, not arithmetic: the
    loss here is always computed whole (in the input's dtype), so an options object
    gives the same result as ``options=None``.

    >>> nn.LinearCrossEntropyOptions(batch_chunk_size=64)
    LinearCrossEntropyOptions(allow_retain_graph=False, batch_chunk_size=64, \
chunking_method='auto', acc_policy='auto', acc_dtype=None)
    """

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None

    def __post_init__(self):
        if self.acc_policy not in _ACC_POLICIES:
            raise ValueError(f"LinearCrossEntropyOptions: invalid acc_policy: "
                             f"{self.acc_policy!r} (one of {', '.join(_ACC_POLICIES)})")
        if self.chunking_method is not None and self.chunking_method != "auto":
            name, sep, factor = str(self.chunking_method).partition(":")
            factor = factor if sep else "1"
            if not (name == "aspect_ratio" and factor.isdigit() and int(factor) > 0):
                raise ValueError(f"LinearCrossEntropyOptions: invalid chunking_method: "
                                 f"{self.chunking_method!r} ('auto', 'aspect_ratio', "
                                 "'aspect_ratio:N' or None)")
        if not (self.batch_chunk_size is None or (
                isinstance(self.batch_chunk_size, int)
                and not isinstance(self.batch_chunk_size, bool)
                and self.batch_chunk_size > 0)):
            raise ValueError(f"LinearCrossEntropyOptions: batch_chunk_size must be positive "
                             f"int or None, got {self.batch_chunk_size!r}")
        if self.acc_dtype is not None and np.dtype(self.acc_dtype) not in (
                np.float16, np.float32, np.float64):
            raise ValueError(f"LinearCrossEntropyOptions: acc_dtype must be None, float16, "
                             f"float32 or float64, got {self.acc_dtype!r}")


class LinearCrossEntropyLoss(_Loss):
    """PyTorch's ``nn.LinearCrossEntropyLoss``: ``self.linear``, a ``Linear(in_features,
    num_classes * prod(out_features))`` without bias unless ``bias=True``, whose logits,
    reshaped to ``(N, num_classes, *out_features)``, go into the cross-entropy against
    ``target``; ``weight``, ``ignore_index`` (None: -100 for class indices),
    ``label_smoothing`` and ``reduction`` are ``CrossEntropyLoss``'s.  ``self.linear``
    keeps this library's ``(in, out)`` layout of a ``Linear``'s weight.

    >>> head = nn.LinearCrossEntropyLoss(3, 4)
    >>> head.linear.weight.data[...] = 0
    >>> round(head(ad.ones((2, 3)), np.array([0, 3])).item(), 6)        # log(4)
    1.386294
    """

    _shown_options = ("num_classes", "out_features", "reduction", "ignore_index",
                      "label_smoothing", "options")

    def __init__(self, in_features: int, num_classes: int, *, out_features=(),
                 bias: bool = False, device=None, dtype=None, reduction: str = "mean",
                 weight=None, ignore_index: int | None = None, label_smoothing: float = 0.0,
                 options: LinearCrossEntropyOptions | None = None, rng=None):
        from ..devices import check_device

        check_device("LinearCrossEntropyLoss", device)
        super().__init__(reduction)
        weight = _weight_array("LinearCrossEntropyLoss", "weight", weight, True)
        if weight is not None and weight.shape != (num_classes,):
            raise RuntimeError(f"LinearCrossEntropyLoss: expected weight shape to be "
                               f"{(num_classes,)}, got {tuple(weight.shape)}")
        if not 0.0 <= label_smoothing <= 1.0:
            raise RuntimeError(f"LinearCrossEntropyLoss: expected label_smoothing to be in "
                               f"range [0, 1], got {label_smoothing}")
        if options is not None and not isinstance(options, LinearCrossEntropyOptions):
            raise TypeError(f"LinearCrossEntropyLoss: options must be a "
                            f"LinearCrossEntropyOptions or None, got {options!r}")
        self.register_buffer("weight", weight)
        self.num_classes, self.out_features = num_classes, tuple(out_features)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing
        self.options = options
        self.linear = Linear(in_features, math.prod(self.out_features, start=num_classes),
                             bias=bias, rng=rng,
                             **({} if dtype is None else {"dtype": dtype}))

    def forward(self, input, target):
        in_features = self.linear.weight.shape[0]
        linear_weight = self.linear.weight.T.reshape(
            (self.num_classes, *self.out_features, in_features))
        bias = self.linear.bias
        linear_bias = (None if bias is None
                       else bias.reshape((self.num_classes, *self.out_features)))
        return linear_cross_entropy(input, linear_weight, target, linear_bias=linear_bias,
                                    weight=self.weight, reduction=self.reduction,
                                    ignore_index=self.ignore_index,
                                    label_smoothing=self.label_smoothing,
                                    options=self.options)

    def extra_repr(self) -> str:
        return (f"in_features={self.linear.weight.shape[0]}, num_classes={self.num_classes}, "
                f"out_features={self.out_features}, bias={self.linear.bias is not None}, "
                f"reduction={self.reduction}, ignore_index={self.ignore_index}, "
                f"label_smoothing={self.label_smoothing}, options={self.options}")
