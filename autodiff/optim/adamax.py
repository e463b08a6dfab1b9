"""``Adamax``: Adam with the infinity norm of past gradients in place of their RMS."""

from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, check_adam_group, check_implementation_flags, lerp_,
                        next_step, prepared_gradient)


class Adamax(Optimizer):
    """Adamax (Kingma & Ba), in PyTorch's arithmetic and with its defaults.

    ``g = grad + weight_decay * p``; ``m = b1 m + (1-b1) g``;
    ``u = max(b2 u, |g| + eps)``; then ``p -= (lr / (1 - b1^t)) * m / u``.  The state
    of each parameter is ``step``, ``exp_avg`` and ``exp_inf``.

    >>> w = ad.nn.Parameter([1.0])
    >>> opt = ad.optim.Adamax([w], lr=0.1, eps=0.0)
    >>> w.grad = np.array([-3.0]); opt.step(); w.data     # the first step moves by lr
    array([1.1])
    """

    _state_keys = _required_state = frozenset({"step", "exp_avg", "exp_inf"})

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False):
        flags = check_implementation_flags("Adamax", foreach=foreach, capturable=capturable,
                                           differentiable=differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      maximize=bool(maximize), **flags))

    def _check_group(self, group, where):
        check_adam_group(group, where)

    def _update(self, data, grad, state, group):
        b1, b2 = group["betas"]
        grad = prepared_gradient(data, grad, group)
        t = next_step(state, data, "exp_avg", "exp_inf")
        m, u = state["exp_avg"], state["exp_inf"]
        lerp_(m, grad, 1 - b1)
        u *= b2
        norm = np.abs(grad)
        norm += group["eps"]
        np.maximum(u, norm, out=u)
        clr = group["lr"] / (1 - b1 ** t)
        data += (-clr * m) / u
