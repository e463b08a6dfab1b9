"""Optimizer hyperparameters written by the traced function itself.

A replay repeats the optimizer's own calls (``opt.step()``, ``sched.step()``), which
read and write ``opt.param_groups``, but not a plain Python assignment in the
function (``opt.param_groups[0]["lr"] = lr``, ``group["lr"] *= 0.5``): eager
execution would make it at every call, a replay never.  So the groups of every live
optimizer are compared before and after each replayed call and at the end of the
trace; a change that no replayed call made is refused, naming the optimizer, the
group and the key.
"""

from __future__ import annotations

import numpy as np

from .refusals import TraceError


def snapshot() -> dict:
    """``id(opt) -> (opt, [group without its params, ...])`` for every live optimizer."""
    from ..optim.optimizer import live_optimizers

    return {id(opt): (opt, [{k: v for k, v in group.items() if k != "params"}
                            for group in opt.param_groups])
            for opt in list(live_optimizers)}


def same_value(a, b) -> bool:
    """The same value, 0.0 and -0.0 apart (1 / x tells them apart; an lr of -0.0 flips
    the sign of a zero step); also for the module settings a plan checks."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    try:
        equal = bool(a == b)
    except Exception:                   # (an array: compared by identity only)
        return False
    if equal and isinstance(a, (float, np.floating)) and a == 0:
        return np.signbit(a) == np.signbit(b)
    return equal


def check(before: dict, name: str, where: str) -> None:
    """Refuse a change of any optimizer's groups since ``before`` (a ``snapshot``)."""
    for opt, groups in before.values():
        now = opt.param_groups
        label = type(opt).__name__
        if len(now) != len(groups):
            raise TraceError(
                f"compile: {name} changed the parameter groups of {label} ({len(groups)} "
                f"-> {len(now)}) {where}; a replay would not repeat it. Add groups "
                "outside the compiled function.")
        for index, (old, group) in enumerate(zip(groups, now)):
            for key in set(old) | {k for k in group if k != "params"}:
                if not same_value(old.get(key), group.get(key)):
                    raise TraceError(
                        f"compile: {name} set {label}.param_groups[{index}][{key!r}] "
                        f"({old.get(key)!r} -> {group.get(key)!r}) {where}; a replay "
                        "would not repeat the assignment (eager execution makes it at "
                        "every call). Set it before calling the compiled function, or "
                        "with a learning-rate scheduler stepped inside it.")
