"""``Adagrad``: divide each entry's step by the root of its summed squared gradients."""

from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, check_implementation_flags, check_nonnegative,
                        prepared_gradient)


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), in PyTorch's arithmetic and with its defaults.

    ``g = grad + weight_decay * p``; at step ``t`` (counted per parameter from 1)
    ``clr = lr / (1 + (t - 1) * lr_decay)``, ``sum += g²`` (``sum`` starts at
    ``initial_accumulator_value``) and ``p -= clr * g / (sqrt(sum) + eps)``.
    ``maximize=True`` climbs instead (``grad`` is negated first).  The state of each
    parameter is ``step`` and ``sum``.

    >>> w = ad.nn.Parameter([1.0, 1.0])
    >>> opt = ad.optim.Adagrad([w], lr=0.5)
    >>> w.grad = np.array([2.0, -4.0]); opt.step(); w.data      # 1 -/+ 0.5 * g / |g|
    array([0.5, 1.5])
    >>> opt.state[0]["sum"]
    array([ 4., 16.])
    """

    _state_keys = _required_state = frozenset({"step", "sum"})

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None):
        flags = check_implementation_flags("Adagrad", foreach=foreach, fused=fused,
                                           differentiable=differentiable)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      maximize=bool(maximize), **flags))

    def _check_group(self, group, where):
        check_nonnegative(where, lr=group["lr"], lr_decay=group["lr_decay"], eps=group["eps"],
                          weight_decay=group["weight_decay"],
                          initial_accumulator_value=group["initial_accumulator_value"])

    def _update(self, data, grad, state, group):
        grad = prepared_gradient(data, grad, group)
        if "step" not in state:
            state["step"] = np.array(0, dtype=np.int64)
            state["sum"] = np.full_like(data, group["initial_accumulator_value"])
        state["step"] += 1
        clr = group["lr"] / (1 + (int(state["step"]) - 1) * group["lr_decay"])
        total = state["sum"]
        total += grad * grad
        std = np.sqrt(total)
        std += group["eps"]
        # (clr * g) / std, in that order: PyTorch's addcdiv_ rounds the same way.
        data -= (clr * grad) / std
