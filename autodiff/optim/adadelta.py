"""``Adadelta``: steps scaled by the ratio of running RMS of past updates and gradients."""

from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, check_implementation_flags, check_nonnegative,
                        next_step, prepared_gradient)


class Adadelta(Optimizer):
    """Adadelta (Zeiler), in PyTorch's arithmetic and with its defaults.

    ``g = grad + weight_decay * p``; ``v = rho v + (1 - rho) g²``;
    ``delta = sqrt(u + eps) / sqrt(v + eps) * g``; ``u = rho u + (1 - rho) delta²``;
    then ``p -= lr * delta``.  ``maximize=True`` climbs instead.  The state of each
    parameter is ``step``, ``square_avg`` (``v``) and ``acc_delta`` (``u``).

    >>> w = ad.nn.Parameter([1.0])
    >>> opt = ad.optim.Adadelta([w], eps=1e-2)
    >>> w.grad = np.array([3.0]); opt.step(); w.data   # 1 - sqrt(0.01 / (0.1 * 9 + 0.01)) * 3
    array([0.68551455])
    """

    _state_keys = _required_state = frozenset({"step", "square_avg", "acc_delta"})

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False):
        flags = check_implementation_flags("Adadelta", foreach=foreach, capturable=capturable,
                                           differentiable=differentiable)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=bool(maximize), **flags))

    def _check_group(self, group, where):
        check_nonnegative(where, lr=group["lr"], rho=group["rho"], eps=group["eps"],
                          weight_decay=group["weight_decay"])
        if group["rho"] > 1:
            raise ValueError(f"{where}: rho must be in [0, 1], got {group['rho']!r}")

    def _update(self, data, grad, state, group):
        rho, eps = group["rho"], group["eps"]
        grad = prepared_gradient(data, grad, group)
        next_step(state, data, "square_avg", "acc_delta")
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        square_avg += (1 - rho) * (grad * grad)
        delta = np.sqrt(acc_delta + eps)
        delta /= np.sqrt(square_avg + eps)
        delta *= grad
        acc_delta *= rho
        acc_delta += (1 - rho) * (delta * delta)
        data -= group["lr"] * delta
