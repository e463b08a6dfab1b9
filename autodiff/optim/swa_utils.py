"""Weight averaging, as PyTorch's ``torch.optim.swa_utils``: ``AveragedModel`` keeps a
copy of a model whose parameters are the running average (SWA, by default) or an
exponential moving average (``get_ema_multi_avg_fn``) of the model's; ``SWALR``
anneals each group's lr to a constant ``swa_lr``; ``update_bn`` recomputes the
BatchNorm statistics of the averaged model with one pass over the data.

>>> model = ad.nn.Linear(2, 1, rng=0)
>>> swa_model = ad.optim.swa_utils.AveragedModel(model)
>>> opt = ad.optim.SGD(model.parameters(), lr=0.1)
>>> swa_scheduler = ad.optim.swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=2)
>>> for step in range(4):
...     loss = (model(ad.tensor([[1.0, 2.0]])) ** 2).sum()
...     opt.zero_grad(); loss.backward(); opt.step()
...     swa_model.update_parameters(model); swa_scheduler.step()
>>> int(swa_model.n_averaged), swa_scheduler.get_last_lr()
(4, [0.05])
"""

from __future__ import annotations

import copy
import itertools
import math
from typing import Any, Callable

import numpy as np

from ..compile.hooks import replayed_function
from ..grad_mode import no_grad
from ..nn.buffer import buffer_values, is_tensor_buffer
from ..nn.module import Module
from ..nn.normalization import _BatchNorm
from ..tensor import Tensor
from .lr_scheduler import LRScheduler, _per_group
from .optimizer import Optimizer

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn",
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]


def _check_decay(where, decay):
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"{where}: decay must be in [0, 1] (the weight kept of the "
                         f"average at each update), got {decay!r}")


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """PyTorch's ``lerp``: the form that rounds least for the weight given."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


def _is_inexact(tensor) -> bool:
    return np.issubdtype(np.asarray(tensor.data).dtype, np.inexact)


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable:
    """The in-place exponential moving average of lists of tensors, for
    ``AveragedModel(model, multi_avg_fn=...)``:
    ``average = decay * average + (1 - decay) * current``.

    >>> ema = ad.optim.swa_utils.AveragedModel(
    ...     ad.nn.Linear(2, 1), multi_avg_fn=ad.optim.swa_utils.get_ema_multi_avg_fn(0.9))
    """
    _check_decay("get_ema_multi_avg_fn", decay)

    def ema_update(averaged: list, current: list, num_averaged) -> None:
        with no_grad():
            for average, now in zip(averaged, current):
                a, c = np.asarray(average.data), np.asarray(now.data)
                if _is_inexact(average):
                    average.copy_(Tensor(_lerp(a, c, 1 - decay).astype(a.dtype, copy=False)))
                else:
                    average.copy_(Tensor(a * decay + c * (1 - decay)))
    return ema_update


def get_swa_multi_avg_fn() -> Callable:
    """The in-place equal-weight running average of lists of tensors (SWA):
    ``average += (current - average) / (num_averaged + 1)``."""

    def swa_update(averaged: list, current: list, num_averaged) -> None:
        n = int(np.asarray(getattr(num_averaged, "data", num_averaged)))
        with no_grad():
            for average, now in zip(averaged, current):
                a, c = np.asarray(average.data), np.asarray(now.data)
                if _is_inexact(average):
                    mixed = _lerp(a, c, 1 / (n + 1))
                else:
                    mixed = a + (c - a) / (n + 1)
                average.copy_(Tensor(np.asarray(mixed).astype(a.dtype, copy=False)))
    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable:
    """The exponential moving average of one tensor, for ``AveragedModel(model, avg_fn=...)``:
    returns ``decay * average + (1 - decay) * current``."""
    _check_decay("get_ema_avg_fn", decay)

    def ema_update(averaged, current, num_averaged):
        with no_grad():
            return decay * averaged + (1 - decay) * current
    return ema_update


def get_swa_avg_fn() -> Callable:
    """The equal-weight running average of one tensor (SWA): returns
    ``average + (current - average) / (num_averaged + 1)``."""

    def swa_update(averaged, current, num_averaged):
        with no_grad():
            return averaged + (current - averaged) / (num_averaged + 1)
    return swa_update


def _as_tensor(value) -> Tensor:
    """A Tensor sharing the memory of a parameter or buffer array, without a graph."""
    if isinstance(value, Tensor):
        return value.detach()
    return Tensor(value)


class AveragedModel(Module):
    """A copy of ``model`` whose parameters are the average of the model's at each
    ``update_parameters(model)`` call: the equal-weight average by default (SWA), or
    what ``avg_fn`` (one tensor at a time, returning the new average) or
    ``multi_avg_fn`` (lists, updated in place) computes.  The first update copies the
    model's parameters.  Buffers are copied from the model at each update, or averaged
    too with ``use_buffers=True``.  Calling it calls the copy.

    >>> model = ad.nn.Linear(2, 1)
    >>> ema = ad.optim.swa_utils.AveragedModel(
    ...     model, multi_avg_fn=ad.optim.swa_utils.get_ema_multi_avg_fn(0.999))
    >>> ema.update_parameters(model)
    >>> out = ema(ad.ones(3, 2))
    """

    def __init__(self, model: Module, device=None, avg_fn: Callable | None = None,
                 multi_avg_fn: Callable | None = None, use_buffers: bool = False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("AveragedModel: only one of avg_fn and multi_avg_fn should "
                                 "be provided")
        if not isinstance(model, Module):
            raise TypeError(f"AveragedModel: expected a module (ad.nn.Module) to average, "
                            f"got {type(model).__name__}")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", np.array(0, dtype=np.int64))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Average ``model``'s parameters (and buffers, with ``use_buffers=True``) into
        this copy's, and count one more model averaged.  Inside a compiled function
        each replay runs the update again (it branches on the count, and the average
        functions may be any Python code)."""
        _update_average(self, model)


@replayed_function
def _update_average(self: AveragedModel, model: Module) -> None:
    """``AveragedModel.update_parameters``, a call a compiled function replays."""
    if self.use_buffers:
        ours = itertools.chain(self.module.parameters(), self.module.buffers())
        theirs = itertools.chain(model.parameters(), model.buffers())
    else:
        ours, theirs = self.parameters(), model.parameters()
    averaged, current = [], []
    first = int(self.n_averaged) == 0
    for p_averaged, p_model in zip(ours, theirs):
        average, now = _as_tensor(p_averaged), _as_tensor(p_model)
        averaged.append(average)
        current.append(now)
        if first:
            with no_grad():
                average.copy_(now)
    if not first:
        n_averaged = Tensor(self.n_averaged.copy())
        if self.avg_fn is None:
            (self.multi_avg_fn or _swa_one_by_one)(averaged, current, n_averaged)
        else:
            with no_grad():
                for average, now in zip(averaged, current):
                    average.copy_(self.avg_fn(average, now, n_averaged))
    if not self.use_buffers:
        for b_average, b_model in zip(self.module.buffers(), model.buffers()):
            if is_tensor_buffer(b_average):
                with no_grad():
                    b_average.copy_(_as_tensor(b_model))
            else:
                np.copyto(b_average, buffer_values(b_model))
    self.n_averaged += 1


def _swa_one_by_one(averaged: list, current: list, n_averaged) -> None:
    """PyTorch's default average on the CPU: ``get_swa_avg_fn`` on each pair."""
    average_of = get_swa_avg_fn()
    n = int(np.asarray(n_averaged.data))
    with no_grad():
        for average, now in zip(averaged, current):
            average.copy_(average_of(average, now, n))


def update_bn(loader, model: Module, device=None) -> None:
    """Recompute the running statistics of every BatchNorm layer of ``model`` with one
    pass over ``loader`` (a batch is a tensor, or a list or tuple whose first item is
    the input), as the cumulative average over the batches; the layers' ``momentum``
    and the model's train/eval mode are put back after.

    >>> model = ad.nn.Sequential(ad.nn.Linear(2, 3), ad.nn.BatchNorm1d(3))
    >>> ad.optim.swa_utils.update_bn([ad.ones(4, 2), ad.zeros(4, 2)], model)
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    try:
        with no_grad():
            for batch in loader:
                if isinstance(batch, (list, tuple)):
                    batch = batch[0]
                if device is not None:
                    batch = batch.to(device)
                model(batch)
    finally:
        for module, momentum in momenta.items():
            module.momentum = momentum
        model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr from its current value to ``swa_lr`` over
    ``anneal_epochs`` steps (``anneal_strategy`` ``"cos"`` or ``"linear"``), then keep
    it there; ``swa_lr`` is one value or one per group, kept as ``group["swa_lr"]``.

    >>> w = ad.nn.Parameter([0.0])
    >>> opt = ad.optim.SGD([w], lr=1.0)
    >>> sched = ad.optim.swa_utils.SWALR(opt, swa_lr=0.1, anneal_epochs=2,
    ...                                  anneal_strategy="linear")
    >>> lrs = []
    >>> for _ in range(3):
    ...     w.grad = np.zeros(1); opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> [round(lr, 6) for lr in lrs]
    [0.55, 0.1, 0.1]
    """

    def __init__(self, optimizer: Optimizer, swa_lr, anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            LRScheduler.__init__(self, optimizer)          # raises its clear TypeError
        swa_lrs = _per_group("SWALR", "swa_lr", swa_lr, len(optimizer.param_groups))
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("SWALR: anneal_strategy must be one of 'cos' or 'linear', "
                             f"got {anneal_strategy!r}")
        self._set_anneal_func(anneal_strategy)
        if isinstance(anneal_epochs, bool) or not isinstance(anneal_epochs, int) \
                or anneal_epochs < 0:
            raise ValueError("SWALR: anneal_epochs must be an int equal or greater than 0, "
                             f"got {anneal_epochs!r}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = (self._cosine_anneal if anneal_strategy == "cos"
                            else self._linear_anneal)

    def get_lr(self) -> list[float]:
        # PyTorch's formula: recover the lr the annealing started from (the group's lr
        # may have been changed by another scheduler), then move alpha of the way.
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        groups = self.optimizer.param_groups
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(groups, prev_lrs)]

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer and the annealing function, as in PyTorch."""
        return {key: value for key, value in self.__dict__.items()
                if key not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned (the annealing function from its name)."""
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
