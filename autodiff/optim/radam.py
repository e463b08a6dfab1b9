"""``RAdam``: Adam with a rectified (variance-corrected) adaptive learning rate."""

from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, check_adam_group, check_implementation_flags, lerp_,
                        next_step, prepared_gradient)


class RAdam(Optimizer):
    """RAdam (Liu et al.), in PyTorch's arithmetic and with its defaults.

    With ``g = grad + weight_decay * p`` (or, with ``decoupled_weight_decay=True``,
    the plain gradient after ``p *= 1 - lr * weight_decay``): ``m = b1 m + (1-b1) g``,
    ``v = b2 v + (1-b2) g²``, ``m̂ = m / (1 - b1^t)``.  While the length of the
    approximated moving average ``rho_t = rho_inf - 2 t b2^t / (1 - b2^t)`` (with
    ``rho_inf = 2 / (1 - b2) - 1``) is at most 5 the step is plain momentum,
    ``p -= lr * m̂``; after that ``p -= lr * m̂ * sqrt(1 - b2^t) / (sqrt(v) + eps) * r_t``
    with the rectification ``r_t = sqrt((rho_t-4)(rho_t-2) rho_inf /
    ((rho_inf-4)(rho_inf-2) rho_t))``.  The state of each parameter is ``step``,
    ``exp_avg`` and ``exp_avg_sq``.

    >>> w = ad.nn.Parameter([1.0])
    >>> opt = ad.optim.RAdam([w], lr=0.1)
    >>> w.grad = np.array([2.0]); opt.step(); w.data     # the first steps: lr * m̂
    array([0.8])
    """

    _state_keys = _required_state = frozenset({"step", "exp_avg", "exp_avg_sq"})

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False):
        flags = check_implementation_flags("RAdam", foreach=foreach, capturable=capturable,
                                           differentiable=differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=bool(decoupled_weight_decay),
                                      maximize=bool(maximize), **flags))

    def _check_group(self, group, where):
        check_adam_group(group, where)

    def _update(self, data, grad, state, group):
        b1, b2 = group["betas"]
        lr = group["lr"]
        grad = prepared_gradient(data, grad, group, group["decoupled_weight_decay"])
        t = next_step(state, data, "exp_avg", "exp_avg_sq")
        m, v = state["exp_avg"], state["exp_avg_sq"]
        lerp_(m, grad, 1 - b1)
        v *= b2
        v += (1 - b2) * grad * grad
        bias_correction2 = 1 - b2 ** t
        corrected = m / (1 - b1 ** t)
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * (b2 ** t) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            root = np.sqrt(v)
            root += group["eps"]
            data -= corrected * lr * (bias_correction2 ** 0.5 / root) * rect
        else:
            data -= corrected * lr
