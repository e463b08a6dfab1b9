"""``ReduceLROnPlateau``: lower the lr when a watched metric stops improving.

Re-exported from ``ad.optim.lr_scheduler``, with PyTorch's algorithm, arguments and
defaults: ``sched.step(val_loss)`` once per evaluation.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..compile.hooks import refused_in_trace, replayed
from ..tensor import Tensor
from .lr_scheduler import EPOCH_DEPRECATED, LRScheduler
from .optimizer import Optimizer, check_nonnegative, user_stacklevel

__all__ = ["ReduceLROnPlateau"]


_NO_METRIC = object()


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by ``factor`` when a metric has stopped improving (PyTorch's
    algorithm and defaults); call ``sched.step(metric)`` once per evaluation.

    A metric improves on the best so far when it is below ``best * (1 - threshold)``
    (``mode="min"``, ``threshold_mode="rel"``) or ``best - threshold`` (``"abs"``);
    with ``mode="max"``, above ``best * (1 + threshold)`` or ``best + threshold``.  A
    NaN never improves.  After more than ``patience`` steps in a row without an
    improvement, each group's lr becomes ``max(lr * factor, min_lr)`` (``min_lr`` one
    number, or one per group) unless that lowers it by no more than ``eps``; the next
    ``cooldown`` steps then count no bad steps.

    >>> w = ad.nn.Parameter([0.0])
    >>> opt = ad.optim.SGD([w], lr=1.0)
    >>> sched = ad.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    >>> lrs = []
    >>> for val_loss in [3.0, 2.0, 2.0, 2.0, 1.0, 1.5, 1.5]:
    ...     sched.step(val_loss); lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr=0, eps: float = 1e-8):
        where = "ReduceLROnPlateau"
        if not isinstance(optimizer, Optimizer):
            LRScheduler.__init__(self, optimizer)          # raises the usual TypeError
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) \
                or not 0 <= factor < 1:
            raise ValueError(f"{where}: factor must be a number in [0, 1) (a reduction "
                             f"multiplies the lr by it), got {factor!r}")
        _check_count(where, "patience", patience)
        _check_count(where, "cooldown", cooldown)
        check_nonnegative(where, threshold=threshold, eps=eps)
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"{where}: expected {n} values of min_lr (one per parameter "
                                 f"group), got {len(min_lr)}")
            for value in min_lr:
                check_nonnegative(where, min_lr=value)
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            check_nonnegative(where, min_lr=min_lr)
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * n
        _check_modes(where, mode, threshold_mode, threshold)
        self.optimizer = optimizer
        self.factor = factor
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        """Whether the steps right after a reduction are still being skipped."""
        return self.cooldown_counter > 0

    def _is_better(self, current: float, best: float) -> bool:
        """Whether ``current`` improves on ``best`` by more than the threshold."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return current < best * (1.0 - self.threshold)
        if self.mode == "min":
            return current < best - self.threshold
        if self.threshold_mode == "rel":
            return current > best * (self.threshold + 1.0)
        return current > best + self.threshold

    @replayed
    def step(self, metrics=_NO_METRIC, epoch: int | None = None) -> None:
        """Record one value of the watched metric and lower the lr if it has stopped
        improving; ``metrics`` is a number, a 0-d array or a one-element Tensor.
        ``epoch`` (deprecated, as in PyTorch, and warned about) sets ``last_epoch``."""
        current = _metric_value(metrics)
        if epoch is None:
            self.last_epoch += 1
        else:
            if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) \
                    or epoch < 0:
                raise ValueError(f"ReduceLROnPlateau.step: epoch must be an int >= 0 (or, "
                                 f"better, omitted), got {epoch!r}")
            warnings.warn(EPOCH_DEPRECATED.format("ReduceLROnPlateau"), UserWarning,
                          stacklevel=user_stacklevel())
            self.last_epoch = int(epoch)
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0         # bad steps in the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self):
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"ReduceLROnPlateau.step(): the optimizer has {len(groups)} parameter "
                    f"groups, but min_lr was given as a list of {len(self.min_lrs)} (one per "
                    "group when the scheduler was made); a group was added since "
                    "(add_param_group). Set sched.min_lrs to a list with one value per "
                    "group.")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    @refused_in_trace
    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned (checked before anything changes)."""
        where = "ReduceLROnPlateau.load_state_dict"
        missing = sorted({"best", "num_bad_epochs", "cooldown_counter", "mode",
                          "threshold_mode", "last_epoch"} - set(state_dict))
        if missing:
            raise KeyError(f"{where}: the state has no {', '.join(map(repr, missing))}; "
                           "was it saved from another scheduler?")
        _check_modes(where, state_dict["mode"], state_dict["threshold_mode"],
                     state_dict.get("threshold", self.threshold))
        self.__dict__.update(state_dict)

    def __repr__(self):
        return (f"ReduceLROnPlateau(mode={self.mode!r}, best={self.best}, "
                f"num_bad_epochs={self.num_bad_epochs}, "
                f"cooldown_counter={self.cooldown_counter}, last_lr={self.get_last_lr()})")


def _check_count(where, name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{where}: {name} must be an int >= 0, got {value!r}")


def _check_modes(where, mode, threshold_mode, threshold):
    if mode not in ("min", "max"):
        raise ValueError(f"{where}: mode must be 'min' (a loss) or 'max' (an accuracy), "
                         f"got {mode!r}")
    if threshold_mode not in ("rel", "abs"):
        raise ValueError(f"{where}: threshold_mode must be 'rel' or 'abs', "
                         f"got {threshold_mode!r}")
    if mode == "min" and threshold_mode == "rel" and threshold >= 1:
        # best * (1 - threshold) <= 0 (NaN while best is inf): no metric would ever improve
        raise ValueError(f"{where}: threshold must be < 1 with mode='min' and "
                         "threshold_mode='rel' (an improvement is a value below best * "
                         f"(1 - threshold)), got {threshold!r}; for a fixed margin use "
                         "threshold_mode='abs'")


def _metric_value(metrics) -> float:
    """``ReduceLROnPlateau.step``'s metric as a float, or an error that says what to pass."""
    where = "ReduceLROnPlateau.step"
    if metrics is _NO_METRIC:
        raise TypeError(f"{where}() needs the metric it watches: call sched.step(val_loss) "
                        "once per evaluation, with the validation loss (mode='min') or "
                        "accuracy (mode='max') as a number")
    value = metrics.data if isinstance(metrics, Tensor) else metrics
    if isinstance(value, (np.ndarray, np.generic)):
        if value.size != 1:
            raise ValueError(f"{where}: the metric must be one number, got an array of shape "
                             f"{value.shape}; reduce it first (e.g. metric.mean())")
        if value.dtype.kind not in "iuf":
            raise TypeError(f"{where}: the metric must be a real number (the validation loss "
                            f"or accuracy), got a {type(value).__name__} of dtype "
                            f"{value.dtype}")
        return float(value.reshape(()))
    if isinstance(value, (bool, str, bytes, complex)) or value is None:
        raise TypeError(f"{where}: the metric must be a number (the validation loss or "
                        f"accuracy), got {type(value).__name__} {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: the metric must be a number (a float, a 0-d array or a "
                        f"one-element Tensor), got {type(value).__name__}") from None
