"""More learning-rate schedules, under PyTorch's names, arguments and lr sequences.

``ConstantLR``, ``PolynomialLR``, ``MultiplicativeLR``, ``CosineAnnealingWarmRestarts``
and ``CyclicLR`` change the lr by themselves; ``SequentialLR`` runs other schedulers one
after another (a warm-up, then a decay) and ``ChainedScheduler`` steps several at once.
They are re-exported from ``ad.optim.lr_scheduler``.

>>> w = ad.nn.Parameter([0.0])
>>> opt = ad.optim.SGD([w], lr=1.0)
>>> S = ad.optim.lr_scheduler
>>> warmup = S.LinearLR(opt, start_factor=0.25, total_iters=3)
>>> decay = S.ExponentialLR(opt, gamma=0.5)
>>> sched = S.SequentialLR(opt, [warmup, decay], milestones=[3])
>>> lrs = []
>>> for _ in range(6):
...     lrs.append(sched.get_last_lr()[0]); w.grad = np.zeros(1); opt.step(); sched.step()
>>> lrs
[0.25, 0.5, 0.75, 1.0, 0.5, 0.25]
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import Any, Callable

from ..compile.hooks import refused_in_trace, replayed
from .lr_scheduler import (CosineAnnealingLR, ExponentialLR, LinearLR, LRScheduler,
                           MultiStepLR, ReduceLROnPlateau, StepLR, _check_cycle_momentum,
                           _check_factor, _check_positive_int, _lambdas_state, _per_group,
                           _set_momentum, _start_momentum, load_with_lambdas)
from .optimizer import Optimizer, check_nonnegative

__all__ = ["ConstantLR", "PolynomialLR", "MultiplicativeLR", "CosineAnnealingWarmRestarts",
           "SequentialLR", "ChainedScheduler", "CyclicLR"]


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class ConstantLR(LRScheduler):
    """Multiply the lr by ``factor`` for the first ``total_iters`` steps, then restore it.

    >>> w = ad.nn.Parameter([0.0])
    >>> opt = ad.optim.SGD([w], lr=0.5)
    >>> sched = ad.optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2)
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(3):
    ...     w.grad = np.zeros(1); opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [0.25, 0.25, 0.5, 0.5]
    """

    _follows_added_groups = True

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1):
        # factor 0 is refused: restoring the lr divides by it (PyTorch fails there too)
        _check_factor("ConstantLR", "factor", factor, 0, 1, low_open=True)
        _check_positive_int("ConstantLR", "total_iters", total_iters)
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [group["lr"] * self.factor for group in groups]
        if self.last_epoch != self.total_iters:
            return [group["lr"] for group in groups]
        return [group["lr"] * (1.0 / self.factor) for group in groups]

    def _get_closed_form_lr(self):
        return [base * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
                for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decay the lr to 0 over ``total_iters`` steps, ``lr = initial_lr * (1 - t /
    total_iters) ** power`` (computed recursively, as PyTorch does), then keep it.

    >>> w = ad.nn.Parameter([0.0])
    >>> opt = ad.optim.SGD([w], lr=1.0)
    >>> sched = ad.optim.lr_scheduler.PolynomialLR(opt, total_iters=4, power=2.0)
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(5):
    ...     w.grad = np.zeros(1); opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """

    _follows_added_groups = True

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1):
        _check_positive_int("PolynomialLR", "total_iters", total_iters)
        check_nonnegative("PolynomialLR", power=power)
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups, t, total = self.optimizer.param_groups, self.last_epoch, self.total_iters
        if self._is_initial or t > total:
            return [group["lr"] for group in groups]
        factor = ((1.0 - t / total) / (1.0 - (t - 1) / total)) ** self.power
        return [group["lr"] * factor for group in groups]

    def _get_closed_form_lr(self):
        fraction = 1.0 - min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * fraction ** self.power for base in self.base_lrs]


class MultiplicativeLR(LRScheduler):
    """Multiply the lr by ``lr_lambda(last_epoch)`` at every step (one function, or one
    per parameter group).  ``state_dict()`` saves the attributes of callable objects,
    not functions, as PyTorch does.

    >>> w = ad.nn.Parameter([0.0])
    >>> opt = ad.optim.SGD([w], lr=1.0)
    >>> sched = ad.optim.lr_scheduler.MultiplicativeLR(opt, lambda step: 0.5)
    >>> for _ in range(3):
    ...     w.grad = np.zeros(1); opt.step(); sched.step()
    >>> sched.get_last_lr()
    [0.125]
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list,
                 last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            LRScheduler.__init__(self, optimizer)          # raises the usual TypeError
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"MultiplicativeLR: expected {n} lr_lambdas (one per "
                                 f"parameter group), got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"MultiplicativeLR: lr_lambda must be a function of the step "
                                f"giving a factor (e.g. lambda step: 0.95), got "
                                f"{type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups = self.optimizer.param_groups
        if self._is_initial:
            return [group["lr"] for group in groups]
        return [group["lr"] * fn(self.last_epoch) for fn, group in zip(self.lr_lambdas, groups)]

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer; ``"lr_lambdas"`` as in PyTorch."""
        state = super().state_dict()
        state["lr_lambdas"] = _lambdas_state(self.lr_lambdas)
        return state

    @refused_in_trace
    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned (and the callable objects' attributes)."""
        load_with_lambdas(self, state_dict)


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing from ``initial_lr`` to ``eta_min`` that restarts (SGDR, Loshchilov
    & Hutter): ``lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2``
    where ``T_cur`` counts the steps since the last restart and the period ``T_i`` starts
    at ``T_0`` and is multiplied by ``T_mult`` at each restart.  ``step(epoch)`` jumps to
    ``epoch``, which may be fractional (``step(epoch + i / batches_per_epoch)``), as in
    PyTorch.

    >>> w = ad.nn.Parameter([0.0])
    >>> opt = ad.optim.SGD([w], lr=1.0)
    >>> sched = ad.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2)
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(4):
    ...     w.grad = np.zeros(1); opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> [round(lr, 6) for lr in lrs]
    [1.0, 0.5, 1.0, 0.5, 1.0]
    >>> sched.step(1.5); round(sched.get_last_lr()[0], 6)      # 3/4 of the first period
    0.146447
    """

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1):
        where = "CosineAnnealingWarmRestarts"
        _check_positive_int(where, "T_0", T_0)
        if isinstance(T_mult, bool) or not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"{where}: T_mult must be an int >= 1, got {T_mult!r}")
        if not _is_number(eta_min) or not math.isfinite(eta_min):
            raise ValueError(f"{where}: eta_min must be a finite number, got {eta_min!r}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [self.eta_min + (base - self.eta_min)
                * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base in self.base_lrs]

    @replayed
    def step(self, epoch: float | None = None) -> None:
        """Advance one step, or jump to ``epoch`` (a number >= 0, fractional allowed)."""
        self._check_count_of_groups(
            "make the scheduler after the last add_param_group (as in PyTorch)")
        if epoch is not None and (not _is_number(epoch) or not epoch >= 0
                                  or not math.isfinite(epoch)):
            raise ValueError(f"CosineAnnealingWarmRestarts.step: epoch must be a finite "
                             f"number >= 0 (or omitted), got {epoch!r}")
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        elif epoch >= self.T_0:
            if self.T_mult == 1:
                self.T_cur = epoch % self.T_0
            else:
                n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                self.T_i = self.T_0 * self.T_mult ** n
        else:
            self.T_i = self.T_0
            self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


# PyTorch's closed forms of the schedulers defined in lr_scheduler.py: what
# ``SequentialLR`` sets when it hands over to one of them at a milestone.
_CLOSED_FORMS = {
    StepLR: lambda s: [base * s.gamma ** (s.last_epoch // s.step_size) for base in s.base_lrs],
    MultiStepLR: lambda s: [base * s.gamma ** bisect_right(sorted(s.milestones.elements()),
                                                           s.last_epoch)
                            for base in s.base_lrs],
    ExponentialLR: lambda s: [base * s.gamma ** s.last_epoch for base in s.base_lrs],
    CosineAnnealingLR: lambda s: [s.eta_min + (base - s.eta_min)
                                  * (1 + math.cos(math.pi * s.last_epoch / s.T_max)) / 2
                                  for base in s.base_lrs],
    LinearLR: lambda s: [base * (s.start_factor + (s.end_factor - s.start_factor)
                                 * min(s.total_iters, s.last_epoch) / s.total_iters)
                         for base in s.base_lrs],
}


#: Why a group added after a scheduler stops it where it restarts from its initial lrs.
_RESTARTS_FROM_BASE = (
    "it restarts from each group's initial lr here, and a group added (add_param_group) "
    "after the scheduler was made has none in it (PyTorch raises here too). Make the "
    "scheduler after the last add_param_group.")


def _restart_at(scheduler: LRScheduler, epoch: int) -> None:
    """Set ``scheduler`` to ``epoch`` as PyTorch's ``_update_lr(epoch)`` does: its
    closed form when it has one, else ``get_lr()`` (which may read the current lr)."""
    scheduler._check_count_of_groups(_RESTARTS_FROM_BASE)
    scheduler.last_epoch = epoch
    closed_form = getattr(scheduler, "_get_closed_form_lr", None)
    if closed_form is None:
        closed_form = next((_CLOSED_FORMS[cls].__get__(scheduler) for cls in
                            type(scheduler).__mro__ if cls in _CLOSED_FORMS), None)
    values = closed_form() if closed_form is not None else scheduler.get_lr()
    for group, lr in zip(scheduler.optimizer.param_groups, values):
        group["lr"] = lr
    scheduler._last_lr = [group["lr"] for group in scheduler.optimizer.param_groups]


def _check_schedulers(where: str, schedulers, optimizer) -> list:
    if isinstance(schedulers, LRScheduler) or not hasattr(schedulers, "__iter__"):
        raise TypeError(f"{where}: schedulers must be a list of schedulers, got "
                        f"{type(schedulers).__name__}")
    schedulers = list(schedulers)
    if not schedulers:
        raise ValueError(f"{where}: expects at least one scheduler, got none")
    for i, scheduler in enumerate(schedulers):
        if not isinstance(scheduler, LRScheduler):
            raise TypeError(f"{where}: schedulers[{i}] is a {type(scheduler).__name__}, not "
                            "an lr scheduler")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(f"{where}: schedulers[{i}] is a ReduceLROnPlateau, which steps on "
                             "a metric (step(val_loss)); step it on its own")
        if optimizer is not None and scheduler.optimizer is not optimizer:
            raise ValueError(f"{where}: schedulers[{i}] ({type(scheduler).__name__}) belongs "
                             "to another optimizer; all must share one")
    return schedulers


class _Composite(LRScheduler):
    """What ``SequentialLR`` and ``ChainedScheduler`` share: saving their schedulers."""

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer; the schedulers' own states under
        ``"_schedulers"`` (as in PyTorch)."""
        state = {key: value for key, value in self.__dict__.items()
                 if key not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    @refused_in_trace
    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned, and each scheduler's state."""
        state = dict(state_dict)
        saved = state.pop("_schedulers", None)
        if saved is None or len(saved) != len(self._schedulers):
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected the states of "
                             f"{len(self._schedulers)} schedulers under '_schedulers'")
        self.__dict__.update(state)
        for scheduler, scheduler_state in zip(self._schedulers, saved):
            scheduler.load_state_dict(scheduler_state)

    def get_lr(self):
        raise NotImplementedError(f"{type(self).__name__} sets the lr through its schedulers; "
                                  "read it with get_last_lr()")


class SequentialLR(_Composite):
    """Run ``schedulers`` one after another, switching at each of ``milestones`` (one
    fewer than the schedulers).  As in PyTorch: making it undoes the first step of every
    scheduler and restarts the first; at a milestone the next scheduler is set to its
    step 0 by its closed form (``get_lr()`` for those without one, e.g. ``LambdaLR``),
    so a decay starts from ``initial_lr`` rather than from where the warm-up ended.

    >>> w = ad.nn.Parameter([0.0])
    >>> opt = ad.optim.SGD([w], lr=1.0)
    >>> S = ad.optim.lr_scheduler
    >>> sched = S.SequentialLR(opt, [S.ConstantLR(opt, factor=0.1, total_iters=2),
    ...                              S.StepLR(opt, step_size=2, gamma=0.5)], milestones=[2])
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(5):
    ...     w.grad = np.zeros(1); opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [0.1, 0.1, 1.0, 1.0, 0.5, 0.5]
    """

    def __init__(self, optimizer: Optimizer, schedulers, milestones, last_epoch: int = -1):
        where = "SequentialLR"
        if not isinstance(optimizer, Optimizer):
            LRScheduler.__init__(self, optimizer)          # raises the usual TypeError
        schedulers = _check_schedulers(where, schedulers, optimizer)
        milestones = list(milestones)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"{where}: expects one milestone fewer than schedulers, got "
                             f"{len(schedulers)} schedulers and {len(milestones)} milestones")
        if not all(isinstance(m, int) and not isinstance(m, bool) for m in milestones) \
                or milestones != sorted(milestones):
            raise ValueError(f"{where}: milestones must be increasing ints (the steps at "
                             f"which the next scheduler takes over), got {milestones!r}")
        if not isinstance(last_epoch, int) or last_epoch < -1:
            raise ValueError(f"{where}: last_epoch must be an int >= -1, got {last_epoch!r}")
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self.recursive_undo()
        first = self._schedulers[bisect_right(milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def recursive_undo(self, sched=None) -> None:
        """Take back the step each scheduler made when it was created."""
        scheduler = self if sched is None else sched
        if hasattr(scheduler, "_schedulers"):
            for inner in scheduler._schedulers:
                self.recursive_undo(inner)
        elif hasattr(scheduler, "last_epoch"):
            scheduler.last_epoch -= 1

    @replayed
    def step(self) -> None:
        """Advance one step: the scheduler whose turn it is steps, or starts."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            _restart_at(scheduler, 0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_Composite):
    """Step every one of ``schedulers`` at each ``step()``, in order, so that their
    changes compose (e.g. a constant warm-up factor on top of an exponential decay).

    >>> w = ad.nn.Parameter([0.0])
    >>> opt = ad.optim.SGD([w], lr=1.0)
    >>> S = ad.optim.lr_scheduler
    >>> sched = S.ChainedScheduler([S.ConstantLR(opt, factor=0.5, total_iters=2),
    ...                             S.ExponentialLR(opt, gamma=0.5)])
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(3):
    ...     w.grad = np.zeros(1); opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [0.5, 0.25, 0.25, 0.125]
    """

    def __init__(self, schedulers, optimizer: Optimizer | None = None):
        where = "ChainedScheduler"
        if optimizer is not None and not isinstance(optimizer, Optimizer):
            LRScheduler.__init__(self, optimizer)          # raises the usual TypeError
        schedulers = _check_schedulers(where, schedulers, None)
        optimizer = optimizer or schedulers[0].optimizer
        _check_schedulers(where, schedulers, optimizer)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = [group["lr"] for group in schedulers[-1].optimizer.param_groups]

    @replayed
    def step(self) -> None:
        """Step each scheduler, in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = [group["lr"] for group in self._schedulers[-1].optimizer.param_groups]

    def __repr__(self):
        inner = ", ".join(type(s).__name__ for s in self._schedulers)
        return f"ChainedScheduler([{inner}], last_lr={self.get_last_lr()})"


class CyclicLR(LRScheduler):
    """The cyclical learning rate policy (Smith), stepped once per batch, as PyTorch
    computes it.

    The lr climbs linearly from ``base_lr`` to ``max_lr`` over ``step_size_up`` steps
    and comes back down over ``step_size_down`` (default: the same), the height of each
    cycle scaled by ``mode``: ``"triangular"`` (constant), ``"triangular2"`` (halved each
    cycle) or ``"exp_range"`` (``gamma ** step``), or by ``scale_fn(x)`` of the cycle
    number or of the step (``scale_mode``).  With ``cycle_momentum`` the momentum (or
    Adam's ``beta1``) moves the opposite way between ``max_momentum`` and
    ``base_momentum``; that needs an optimizer with momentum or betas.  ``base_lr`` and
    ``max_lr`` (and the momenta) are one number or one per parameter group.

    >>> w = ad.nn.Parameter([0.0])
    >>> opt = ad.optim.SGD([w], lr=1.0, momentum=0.9)
    >>> sched = ad.optim.lr_scheduler.CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2)
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(4):
    ...     w.grad = np.zeros(1); opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> [round(lr, 6) for lr in lrs]
    [0.1, 0.3, 0.5, 0.3, 0.1]
    """

    def __init__(self, optimizer: Optimizer, base_lr, max_lr, step_size_up: int = 2000,
                 step_size_down: int | None = None, mode: str = "triangular",
                 gamma: float = 1.0, scale_fn: Callable[[float], float] | None = None,
                 scale_mode: str = "cycle", cycle_momentum: bool = True,
                 base_momentum=0.8, max_momentum=0.9, last_epoch: int = -1):
        where = "CyclicLR"
        if not isinstance(optimizer, Optimizer):
            LRScheduler.__init__(self, optimizer)          # raises the usual TypeError
        n = len(optimizer.param_groups)
        base_lrs = _per_group(where, "base_lr", base_lr, n)
        max_lrs = _per_group(where, "max_lr", max_lr, n)
        for value in base_lrs:
            check_nonnegative(where, base_lr=value)
        for value in max_lrs:
            check_nonnegative(where, max_lr=value)
        for name, size in (("step_size_up", step_size_up), ("step_size_down", step_size_down)):
            if size is not None and (not _is_number(size) or not 0 < size < math.inf):
                raise ValueError(f"{where}: {name} must be a number of steps > 0, got {size!r}")
        if scale_fn is None and mode not in ("triangular", "triangular2", "exp_range"):
            raise ValueError(f"{where}: mode must be 'triangular', 'triangular2' or "
                             f"'exp_range' (or give scale_fn), got {mode!r}")
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"{where}: scale_fn must be a function of the cycle or step, got "
                            f"{type(scale_fn).__name__}")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"{where}: scale_mode must be 'cycle' or 'iterations', "
                             f"got {scale_mode!r}")
        if not _is_number(gamma):
            raise ValueError(f"{where}: gamma must be a number, got {gamma!r}")
        if cycle_momentum:
            _check_cycle_momentum(where, optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = max_lrs
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        if scale_fn is None:
            self.scale_mode = "iterations" if mode == "exp_range" else "cycle"
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums = _per_group(where, "base_momentum", base_momentum, n)
            self.max_momentums = _per_group(where, "max_momentum", max_momentum, n)
            if last_epoch == -1:
                _start_momentum(optimizer.param_groups, self.max_momentums,
                                self.base_momentums, self.use_beta1)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def scale_fn(self, x: float) -> float:
        """The height of the cycle at ``x`` (a cycle number or a step), relative to the
        first."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def get_lr(self):
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base + (high - base) * scale_factor * scale
               for base, high in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, low, high in zip(self.optimizer.param_groups, self.base_momentums,
                                        self.max_momentums):
                _set_momentum(group, high - (high - low) * scale_factor * scale,
                              self.use_beta1)
        return lrs

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer; a ``scale_fn`` that is a callable object is saved
        as its attributes, a function as None (as in PyTorch)."""
        state = super().state_dict()
        state["_scale_fn_custom"] = _lambdas_state([self._scale_fn_custom])[0] \
            if self._scale_fn_custom is not None else None
        return state

    @refused_in_trace
    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned (keeping this scheduler's ``scale_fn``)."""
        state = dict(state_dict)
        attributes = state.pop("_scale_fn_custom", None)
        self.__dict__.update(state)
        if attributes is not None and self._scale_fn_custom is not None:
            self._scale_fn_custom.__dict__.update(attributes)
