"""Loss modules with PyTorch's names, constructor arguments and defaults:
``criterion = nn.CrossEntropyLoss(); loss = criterion(logits, y)``.

Each is a thin ``Module`` over its function in ``nn.functional``: ``forward(input,
target)`` calls it with the options given to the constructor.  Class weights (and
``pos_weight``) are buffers named as in PyTorch, so they are in ``state_dict()``.
PyTorch's deprecated ``size_average`` and ``reduce`` arguments are refused with the
``reduction=`` that says the same.  Unlike PyTorch's, whose reprs are bare
(``MSELoss()``), a loss prints its options: ``MSELoss(reduction='mean')``.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..tensor import Tensor
from . import losses, losses_binary, losses_more
from .module import Module

_REDUCTIONS = ("mean", "sum", "none")


def _legacy_reduction(size_average, reduce):
    """The ``reduction`` that PyTorch reads from its deprecated arguments."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


def _shown(value):
    if isinstance(value, np.ndarray):
        return np.array2string(value, separator=", ", threshold=8,
                               formatter={"float_kind": lambda v: f"{v:g}"})
    return repr(value)


def _weight_array(owner, name, value, per_class):
    """``value`` as the float array kept in the buffer ``name`` (None stays None)."""
    if value is None:
        return None
    array = value.data if isinstance(value, Tensor) else np.asarray(value)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{owner}: {name} must be numbers (an array of weights), got "
                        f"{type(value).__name__} of dtype {array.dtype}")
    array = np.array(array, dtype=array.dtype if array.dtype.kind == "f" else np.float64)
    if per_class and array.ndim != 1:
        raise ValueError(f"{owner}: {name} must be 1-D, one weight per class, got shape "
                         f"{array.shape}")
    return array


class _Loss(Module):
    """What every loss module shares: the checks of ``reduction`` and of PyTorch's
    deprecated arguments, and a repr that lists the options (``_shown_options``)."""

    _shown_options: tuple = ("reduction",)
    _reductions = _REDUCTIONS

    def __init__(self, reduction="mean", size_average=None, reduce=None):
        super().__init__()
        owner = type(self).__name__
        if size_average is not None or reduce is not None:
            meant = _legacy_reduction(size_average, reduce)
            raise TypeError(
                f"{owner}: size_average and reduce are deprecated in PyTorch and not supported "
                f"here; pass reduction={meant!r} instead (what size_average={size_average!r}, "
                f"reduce={reduce!r} mean)")
        if not isinstance(reduction, str) or reduction not in self._reductions:
            names = ", ".join(repr(r) for r in self._reductions[:-1])
            raise ValueError(f"{owner}: reduction must be {names} or "
                             f"{self._reductions[-1]!r}, got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return ", ".join(f"{name}={_shown(getattr(self, name))}" for name in self._shown_options)


class CrossEntropyLoss(_Loss):
    """``F.cross_entropy`` as a module: logits (N, C) or (N, C, d1, ...) against class
    indices or class probabilities; ``weight`` (C,) is the buffer ``weight``.

    >>> criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    >>> criterion
    CrossEntropyLoss(weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.1)
    >>> criterion(ad.tensor([[2.0, 0.0, 0.0]]), np.array([0]))
    tensor(0.3728781)
    """

    _shown_options = ("weight", "ignore_index", "reduction", "label_smoothing")

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(reduction, size_average, reduce)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], "
                             f"got {label_smoothing}")
        self.register_buffer("weight", _weight_array("CrossEntropyLoss", "weight", weight, True))
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target) -> Tensor:
        return losses.cross_entropy(input, target, weight=self.weight,
                                    ignore_index=self.ignore_index, reduction=self.reduction,
                                    label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    """``F.nll_loss`` as a module: log-probabilities (N, C) or (N, C, d1, ...) against
    class indices; ``weight`` (C,) is the buffer ``weight``.

    >>> criterion = nn.NLLLoss(weight=np.array([1.0, 2.0, 1.0]))
    >>> criterion.state_dict()
    {'weight': StateArray([1., 2., 1.])}
    >>> criterion(F.log_softmax(ad.tensor([[2.0, 0.0, 0.0]])), np.array([0]))
    tensor(0.23954477)
    """

    _shown_options = ("weight", "ignore_index", "reduction")

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean"):
        super().__init__(reduction, size_average, reduce)
        self.register_buffer("weight", _weight_array("NLLLoss", "weight", weight, True))
        self.ignore_index = ignore_index

    def forward(self, input, target) -> Tensor:
        return losses.nll_loss(input, target, weight=self.weight,
                               ignore_index=self.ignore_index, reduction=self.reduction)


class NLLLoss2d(NLLLoss):
    """Deprecated, as in PyTorch: ``nn.NLLLoss``, which takes (N, C, H, W) input too.

    >>> nn.NLLLoss2d().reduction
    'mean'
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean"):
        warnings.warn("NLLLoss2d has been deprecated. Please use NLLLoss instead as a "
                      "drop-in replacement.", UserWarning, stacklevel=2)
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


class MSELoss(_Loss):
    """``F.mse_loss`` as a module: ``(input - target) ** 2``, reduced.

    >>> nn.MSELoss()(ad.tensor([1.0, 3.0]), ad.tensor([0.0, 1.0]))
    tensor(2.5)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(reduction, size_average, reduce)

    def forward(self, input, target) -> Tensor:
        return losses.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """``F.l1_loss`` as a module: ``|input - target|``, reduced.

    >>> nn.L1Loss(reduction="sum")(ad.tensor([1.0, 3.0]), ad.tensor([0.0, 1.0]))
    tensor(3.)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(reduction, size_average, reduce)

    def forward(self, input, target) -> Tensor:
        return losses_more.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """``F.smooth_l1_loss`` as a module: quadratic below ``beta``, linear above.

    >>> nn.SmoothL1Loss(beta=0.5)
    SmoothL1Loss(reduction='mean', beta=0.5)
    >>> nn.SmoothL1Loss()(ad.tensor([0.5, 3.0]), ad.tensor([0.0, 0.0]))
    tensor(1.3125)
    """

    _shown_options = ("reduction", "beta")

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 beta: float = 1.0):
        super().__init__(reduction, size_average, reduce)
        if not beta >= 0:
            raise ValueError(f"SmoothL1Loss: beta must be >= 0, got {beta}")
        self.beta = beta

    def forward(self, input, target) -> Tensor:
        return losses_more.smooth_l1_loss(input, target, reduction=self.reduction,
                                          beta=self.beta)


class HuberLoss(_Loss):
    """``F.huber_loss`` as a module: quadratic below ``delta``, linear (slope
    ``delta``) above.

    >>> nn.HuberLoss(delta=2.0)(ad.tensor([0.5, 3.0]), ad.tensor([0.0, 0.0]))
    tensor(2.0625)
    """

    _shown_options = ("reduction", "delta")

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        if not delta > 0:
            raise ValueError(f"HuberLoss: delta must be > 0, got {delta}")
        self.delta = delta

    def forward(self, input, target) -> Tensor:
        return losses.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_Loss):
    """``F.binary_cross_entropy`` as a module: probabilities in [0, 1] against float
    targets; ``weight`` (broadcast against the input) is the buffer ``weight``.

    >>> nn.BCELoss()(ad.tensor([0.9, 0.2]), ad.tensor([1.0, 0.0]))
    tensor(0.16425203)
    """

    _shown_options = ("weight", "reduction")

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(reduction, size_average, reduce)
        self.register_buffer("weight", _weight_array("BCELoss", "weight", weight, False))

    def forward(self, input, target) -> Tensor:
        return losses_binary.binary_cross_entropy(input, target, weight=self.weight,
                                           reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """``F.binary_cross_entropy_with_logits`` as a module; ``weight`` and ``pos_weight``
    (one per class, along the last axis) are buffers of those names.

    >>> criterion = nn.BCEWithLogitsLoss(pos_weight=np.array([2.0, 1.0]))
    >>> sorted(criterion.state_dict())
    ['pos_weight']
    >>> criterion(ad.tensor([[0.0, 0.0]]), ad.tensor([[1.0, 0.0]]))
    tensor(1.03972077)
    """

    _shown_options = ("weight", "reduction", "pos_weight")

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean",
                 pos_weight=None):
        super().__init__(reduction, size_average, reduce)
        owner = "BCEWithLogitsLoss"
        self.register_buffer("weight", _weight_array(owner, "weight", weight, False))
        self.register_buffer("pos_weight", _weight_array(owner, "pos_weight", pos_weight, False))

    def forward(self, input, target) -> Tensor:
        return losses_binary.binary_cross_entropy_with_logits(
            input, target, weight=self.weight, reduction=self.reduction,
            pos_weight=self.pos_weight)


class KLDivLoss(_Loss):
    """``F.kl_div`` as a module: log-probabilities against probabilities (or
    log-probabilities with ``log_target=True``).  Use ``reduction='batchmean'`` for
    the KL divergence averaged over the batch; ``'mean'`` (PyTorch's default) divides
    by the number of elements and warns.

    >>> criterion = nn.KLDivLoss(reduction="batchmean")
    >>> criterion
    KLDivLoss(reduction='batchmean', log_target=False)
    >>> criterion(F.log_softmax(ad.tensor([[1.0, 2.0, 0.5]])), ad.tensor([[0.2, 0.8, 0.0]]))
    tensor(0.16396636)
    """

    _shown_options = ("reduction", "log_target")
    _reductions = ("mean", "batchmean", "sum", "none")

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 log_target: bool = False):
        super().__init__(reduction, size_average, reduce)
        self.log_target = log_target

    def forward(self, input, target) -> Tensor:
        return losses_more.kl_div(input, target, reduction=self.reduction,
                                  log_target=self.log_target)
