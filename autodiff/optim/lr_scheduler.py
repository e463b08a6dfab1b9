"""Learning-rate schedules: change each parameter group's ``lr`` once per ``step()``.

The classes, arguments and lr sequences are PyTorch's (``torch.optim.lr_scheduler``),
including its recursive ("chainable") update for ``StepLR``, ``MultiStepLR``,
``ExponentialLR``, ``CosineAnnealingLR`` and ``LinearLR``: each new lr is computed
from the group's current lr, so two schedulers on one optimizer compose.  Creating
a scheduler performs step 0 (``last_epoch == 0``); call ``sched.step()`` after
``opt.step()``.  ``ReduceLROnPlateau`` instead follows a metric: ``sched.step(val_loss)``
lowers the lr when the metric stops improving.

>>> w = ad.nn.Parameter([1.0])
>>> opt = ad.optim.SGD([w], lr=1.0)
>>> sched = ad.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 4], gamma=0.1)
>>> lrs = []
>>> for _ in range(5):
...     lrs.append(sched.get_last_lr()[0]); w.grad = np.zeros(1); opt.step(); sched.step()
>>> [round(lr, 6) for lr in lrs]
[1.0, 1.0, 0.1, 0.1, 0.01]
"""

from __future__ import annotations

import math
import types
import warnings
from collections import Counter
from typing import Any, Callable

import numpy as np

from ..compile.hooks import refuse_value_read_in_trace, refused_in_trace, replayed
from .optimizer import Optimizer, user_stacklevel

__all__ = ["LRScheduler", "_LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR",
           "CosineAnnealingLR", "OneCycleLR", "LinearLR", "LambdaLR", "ReduceLROnPlateau",
           "ConstantLR", "PolynomialLR", "MultiplicativeLR", "CosineAnnealingWarmRestarts",
           "SequentialLR", "ChainedScheduler", "CyclicLR"]


#: The warning for ``sched.step(epoch)``, deprecated in PyTorch (which still takes it).
EPOCH_DEPRECATED = ("{}.step(epoch): the epoch argument is deprecated (as in PyTorch, which "
                    "warns too); it sets last_epoch to epoch and the lr to the schedule's "
                    "value there. Call sched.step() without it, once per epoch.")


class LRScheduler:
    """Base class: ``base_lrs``, ``last_epoch``, ``step()``, ``get_last_lr()``,
    ``state_dict()`` and ``load_state_dict()``; subclasses implement ``get_lr()``."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        where = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            from ..nn.module import Module
            hint = (" (that is the model; pass the optimizer built from its parameters, "
                    f"e.g. {where}(ad.optim.SGD(model.parameters(), lr=0.1), ...))"
                    if isinstance(optimizer, Module) else "")
            raise TypeError(f"{where}: expected an optimizer (ad.optim.SGD, Adam, AdamW, "
                            f"RMSprop, ...) as the first argument, got "
                            f"{type(optimizer).__name__}{hint}")
        if not isinstance(last_epoch, int) or last_epoch < -1:
            raise ValueError(f"{where}: last_epoch must be an int >= -1, got {last_epoch!r}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for g, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{where}: last_epoch={last_epoch} resumes a schedule, but "
                                   f"param_groups[{g}] has no 'initial_lr'; load the "
                                   "optimizer's state_dict first, or start with last_epoch=-1")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._initial_step()

    def _initial_step(self):
        self._step_count = 0
        self._is_initial = True        # the constructor's step: keep the lr as it is
        try:
            self.step()
        finally:
            self._is_initial = False

    #: True for a schedule whose steps read only each group's current lr (``lr *
    #: gamma``): a group added after it was made follows it from there, as in PyTorch.
    _follows_added_groups = False

    def get_lr(self) -> list[float]:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The lr of each parameter group as last set by this scheduler (refused inside
        a compiled function, whose replays would reuse the traced rates)."""
        refuse_value_read_in_trace(
            f"{type(self).__name__}.get_last_lr",
            "Read it outside the compiled function, after each call; inside, the "
            "optimizer applies each group's current lr at every replay.")
        return list(self._last_lr)

    @replayed
    def step(self, epoch: int | None = None) -> None:
        """Advance one step (``last_epoch += 1``) and set each group's ``lr``.

        ``epoch`` (deprecated, as in PyTorch, and warned about) jumps to that step
        instead: the lr becomes the schedule's closed form there, or ``get_lr()`` for a
        schedule without one, as PyTorch computes it.
        """
        groups = self.optimizer.param_groups
        if not (self._follows_added_groups and epoch is None
                and len(groups) > len(self.base_lrs)):
            self._check_count_of_groups(
                "a group added (add_param_group) or removed after the scheduler was made "
                "would not follow the schedule. Make the scheduler after the last "
                "add_param_group.")
        if epoch is not None and (isinstance(epoch, bool)
                                  or not isinstance(epoch, (int, np.integer)) or epoch < 0):
            raise ValueError(f"{type(self).__name__}.step: epoch must be an int >= 0 (or, "
                             f"better, omitted), got {epoch!r}")
        if self._step_count == 1 and self.optimizer._step_count == 0:
            warnings.warn(
                f"{type(self).__name__}.step() was called before the optimizer's step(): "
                "the first value of the schedule is skipped. Call opt.step() first, then "
                "sched.step() (as in PyTorch).", UserWarning, stacklevel=user_stacklevel())
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATED.format(type(self).__name__), UserWarning,
                          stacklevel=user_stacklevel())
            from .lr_schedulers_more import _restart_at
            _restart_at(self, int(epoch))
            return
        self.last_epoch += 1
        for group, lr in zip(groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _check_count_of_groups(self, advice: str) -> None:
        """Refuse to step if the optimizer's group count changed; the error ends in ``advice``."""
        groups = self.optimizer.param_groups
        if len(groups) != len(self.base_lrs):
            raise ValueError(
                f"{type(self).__name__}.step(): the optimizer has {len(groups)} parameter "
                f"groups, but the scheduler was made for {len(self.base_lrs)}; {advice}")

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (and ``LambdaLR``'s functions), as in PyTorch."""
        return {key: value for key, value in self.__dict__.items()
                if key not in ("optimizer", "lr_lambdas")}

    @refused_in_trace
    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned."""
        self.__dict__.update(state_dict)

    def __repr__(self):
        return (f"{type(self).__name__}(last_epoch={self.last_epoch}, "
                f"last_lr={self.get_last_lr()})")


def _lambdas_state(lr_lambdas) -> list:
    """PyTorch's saved form of lr functions: None for a function or lambda, the
    attributes of a callable object (which ``load_state_dict`` puts back)."""
    return [None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
            for fn in lr_lambdas]


def load_with_lambdas(scheduler, state_dict) -> None:
    """``scheduler.__dict__`` from ``state_dict``, and its functions' attributes from the
    ``"lr_lambdas"`` entry (``_lambdas_state``) when there is one."""
    state = dict(state_dict)
    saved = state.pop("lr_lambdas", [None] * len(scheduler.lr_lambdas))
    scheduler.__dict__.update(state)
    for fn, attributes in zip(scheduler.lr_lambdas, saved):
        if attributes is not None:
            fn.__dict__.update(attributes)


def _check_positive_int(where, name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{where}: {name} must be an int > 0, got {value!r}")


def _check_factor(where, name, value, low, high, low_open=False):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and \
        (low < value if low_open else low <= value) and value <= high
    if not ok:
        bracket = "(" if low_open else "["
        raise ValueError(f"{where}: {name} must be in {bracket}{low}, {high}], got {value!r}")


class _LRScheduler(LRScheduler):
    """PyTorch's older name of ``LRScheduler``, still subclassed by custom schedules
    in many scripts (``class Warmup(lr_scheduler._LRScheduler)``)."""


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` steps:
    ``lr = initial_lr * gamma ** (last_epoch // step_size)``.

    >>> w = ad.nn.Parameter([0.0])
    >>> opt = ad.optim.SGD([w], lr=1.0)
    >>> sched = ad.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = [opt.param_groups[0]["lr"]]
    >>> for _ in range(4):
    ...     w.grad = np.zeros(1); opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    _follows_added_groups = True

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1):
        if isinstance(step_size, float) and step_size.is_integer():
            step_size = int(step_size)       # PyTorch's text-classification tutorial passes 1.0
        _check_positive_int("StepLR", "step_size", step_size)
        _check_factor("StepLR", "gamma", gamma, 0, math.inf)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups = self.optimizer.param_groups
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma for group in groups]


class MultiStepLR(LRScheduler):
    """Multiply the lr by ``gamma`` at each milestone: ``lr = initial_lr * gamma **
    (number of milestones <= last_epoch)`` (a repeated milestone counts twice)."""

    _follows_added_groups = True

    def __init__(self, optimizer: Optimizer, milestones, gamma: float = 0.1,
                 last_epoch: int = -1):
        milestones = list(milestones)
        if not all(isinstance(m, int) and not isinstance(m, bool) for m in milestones):
            raise TypeError(f"MultiStepLR: milestones must be ints, got {milestones!r}")
        self.milestones = Counter(sorted(milestones))
        _check_factor("MultiStepLR", "gamma", gamma, 0, math.inf)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups = self.optimizer.param_groups
        if self.last_epoch not in self.milestones:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma ** self.milestones[self.last_epoch]
                for group in groups]


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every step: ``lr = initial_lr * gamma ** last_epoch``."""

    _follows_added_groups = True

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        _check_factor("ExponentialLR", "gamma", gamma, 0, math.inf)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups = self.optimizer.param_groups
        if self._is_initial:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma for group in groups]


class CosineAnnealingLR(LRScheduler):
    """Cosine from ``initial_lr`` down to ``eta_min`` over ``T_max`` steps, computed
    recursively as PyTorch does; the values equal
    ``eta_min + (initial_lr - eta_min) * (1 + cos(pi * last_epoch / T_max)) / 2``
    (to round-off), which rises again after ``T_max`` (period ``2 * T_max``)."""

    _follows_added_groups = True     # (up to a restart from base_lrs, as PyTorch's)

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1):
        if isinstance(T_max, float) and T_max.is_integer():
            T_max = int(T_max)
        _check_positive_int("CosineAnnealingLR", "T_max", T_max)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups, t, T, low = self.optimizer.param_groups, self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return [group["lr"] for group in groups]
        if (self._step_count == 1 and t > 0) or (t - 1 - T) % (2 * T) == 0:
            from .lr_schedulers_more import _RESTARTS_FROM_BASE
            self._check_count_of_groups(_RESTARTS_FROM_BASE)
        if self._step_count == 1 and t > 0:      # resumed at last_epoch > 0: closed form
            return [low + (base - low) * (1 + math.cos(t * math.pi / T)) / 2
                    for base in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:
            return [group["lr"] + (base - low) * (1 - math.cos(math.pi / T)) / 2
                    for base, group in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
                * (group["lr"] - low) + low for group in groups]


class LinearLR(LRScheduler):
    """Scale the lr linearly from ``start_factor`` to ``end_factor`` times
    ``initial_lr`` over ``total_iters`` steps, then keep it (recursive, as PyTorch)."""

    _follows_added_groups = True

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1):
        _check_factor("LinearLR", "start_factor", start_factor, 0, 1, low_open=True)
        _check_factor("LinearLR", "end_factor", end_factor, 0, 1)
        _check_positive_int("LinearLR", "total_iters", total_iters)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups, t = self.optimizer.param_groups, self.last_epoch
        if t == 0:
            return [group["lr"] * self.start_factor for group in groups]
        if self._is_initial or t > self.total_iters:
            return [group["lr"] for group in groups]
        change = self.end_factor - self.start_factor
        factor = 1.0 + change / (self.total_iters * self.start_factor + (t - 1) * change)
        return [group["lr"] * factor for group in groups]


class LambdaLR(LRScheduler):
    """``lr = initial_lr * lr_lambda(last_epoch)``; ``lr_lambda`` is one function or
    one per parameter group.  ``state_dict()`` saves the attributes of callable objects,
    not functions (as PyTorch does)."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list,
                 last_epoch: int = -1):
        n = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else None
        if isinstance(lr_lambda, (list, tuple)):
            if n is not None and len(lr_lambda) != n:
                raise ValueError(f"LambdaLR: expected {n} lr_lambdas (one per parameter "
                                 f"group), got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * (n or 1)
        for f in self.lr_lambdas:
            if not callable(f):
                raise TypeError(f"LambdaLR: lr_lambda must be a function of the step "
                                f"(e.g. lambda step: 0.95 ** step), got {type(f).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * f(self.last_epoch) for base, f in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer; with a callable object among the functions,
        also ``"lr_lambdas"`` as in PyTorch."""
        state = super().state_dict()
        saved = _lambdas_state(self.lr_lambdas)
        if any(attributes is not None for attributes in saved):
            state["lr_lambdas"] = saved
        return state

    @refused_in_trace
    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned (and the callable objects' attributes)."""
        load_with_lambdas(self, state_dict)


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin), as PyTorch computes it.

    The lr rises from ``max_lr / div_factor`` to ``max_lr`` over the first
    ``pct_start * total_steps - 1`` steps, then anneals to ``initial_lr /
    final_div_factor`` at step ``total_steps - 1`` (``anneal_strategy`` ``"cos"``:
    ``end + (start - end) * (1 + cos(pi * pct)) / 2``, or ``"linear"``).  With
    ``three_phase=True`` it comes back down to ``initial_lr`` first.  With
    ``cycle_momentum`` the momentum (or Adam's ``beta1``) moves the opposite way
    between ``max_momentum`` and ``base_momentum``.  Stepping past ``total_steps``
    is an error.
    """

    def __init__(self, optimizer: Optimizer, max_lr, total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None,
                 pct_start: float = 0.3, anneal_strategy: str = "cos",
                 cycle_momentum: bool = True, base_momentum=0.85, max_momentum=0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, last_epoch: int = -1):
        where = "OneCycleLR"
        if not isinstance(optimizer, Optimizer):
            LRScheduler.__init__(self, optimizer)          # raises the usual TypeError
        if total_steps is not None:
            _check_positive_int(where, "total_steps", total_steps)
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            _check_positive_int(where, "epochs", epochs)
            _check_positive_int(where, "steps_per_epoch", steps_per_epoch)
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError(f"{where}: give total_steps, or both epochs and steps_per_epoch")
        _check_factor(where, "pct_start", pct_start, 0, 1)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{where}: anneal_strategy must be 'cos' or 'linear', "
                             f"got {anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        total = self.total_steps
        if three_phase:
            self._schedule_phases = [
                dict(end_step=float(pct_start * total) - 1, start_lr="initial_lr",
                     end_lr="max_lr", start_momentum="max_momentum",
                     end_momentum="base_momentum"),
                dict(end_step=float(2 * pct_start * total) - 2, start_lr="max_lr",
                     end_lr="initial_lr", start_momentum="base_momentum",
                     end_momentum="max_momentum"),
                dict(end_step=total - 1, start_lr="initial_lr", end_lr="min_lr",
                     start_momentum="max_momentum", end_momentum="max_momentum")]
        else:
            self._schedule_phases = [
                dict(end_step=float(pct_start * total) - 1, start_lr="initial_lr",
                     end_lr="max_lr", start_momentum="max_momentum",
                     end_momentum="base_momentum"),
                dict(end_step=total - 1, start_lr="max_lr", end_lr="min_lr",
                     start_momentum="base_momentum", end_momentum="max_momentum")]
        groups = optimizer.param_groups
        max_lrs = _per_group(where, "max_lr", max_lr, len(groups))
        if last_epoch == -1:
            for lr, group in zip(max_lrs, groups):
                group["initial_lr"] = lr / div_factor
                group["max_lr"] = lr
                group["min_lr"] = group["initial_lr"] / final_div_factor
        else:
            needed = ("max_lr", "min_lr") + (("max_momentum", "base_momentum")
                                             if cycle_momentum else ())
            for g, group in enumerate(groups):
                missing = [key for key in needed if key not in group]
                if missing:
                    raise KeyError(f"{where}: last_epoch={last_epoch} resumes a schedule, but "
                                   f"param_groups[{g}] has no {', '.join(map(repr, missing))}; "
                                   "load the optimizer's state_dict first, or start with "
                                   "last_epoch=-1")
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            _check_cycle_momentum(where, optimizer)
            self.use_beta1 = "betas" in optimizer.defaults
            max_ms = _per_group(where, "max_momentum", max_momentum, len(groups))
            base_ms = _per_group(where, "base_momentum", base_momentum, len(groups))
            if last_epoch == -1:
                _start_momentum(groups, max_ms, base_ms, self.use_beta1)
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {step} times, but total_steps is "
                             f"{self.total_steps}; make total_steps (or epochs * "
                             "steps_per_epoch) cover the whole training loop")
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step <= end_step or i == len(self._schedule_phases) - 1:
                    pct = (step - start_step) / (end_step - start_step)
                    lr = self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    if self.cycle_momentum:
                        momentum = self._anneal(group[phase["start_momentum"]],
                                                group[phase["end_momentum"]], pct)
                    break
                start_step = end_step
            lrs.append(lr)
            if self.cycle_momentum:
                _set_momentum(group, momentum, self.use_beta1)
        return lrs


def _check_cycle_momentum(where, optimizer):
    """Refuse ``cycle_momentum=True`` for an optimizer with neither momentum nor betas."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(f"{where}: cycle_momentum=True needs an optimizer with momentum "
                         f"or betas; {type(optimizer).__name__} has neither (pass "
                         "cycle_momentum=False)")


def _set_momentum(group, momentum, use_beta1):
    """Set a group's momentum: beta1 of its ``betas`` (Adam's kin) or its ``momentum``."""
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


def _start_momentum(groups, max_momentums, base_momentums, use_beta1):
    """Start each group's momentum at its maximum; keep both bounds in the group."""
    for high, low, group in zip(max_momentums, base_momentums, groups):
        _set_momentum(group, high, use_beta1)
        group["max_momentum"] = high
        group["base_momentum"] = low


def _per_group(where, name, value, n):
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{where}: expected {n} values of {name} (one per parameter "
                             f"group), got {len(value)}")
        return list(value)
    return [value] * n


# (at the end: the modules below subclass the classes above)
from .lr_scheduler_plateau import ReduceLROnPlateau  # noqa: E402
from .lr_schedulers_more import (ChainedScheduler, ConstantLR,  # noqa: E402
                                 CosineAnnealingWarmRestarts, CyclicLR, MultiplicativeLR,
                                 PolynomialLR, SequentialLR)
