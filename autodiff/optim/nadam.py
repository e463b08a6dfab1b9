"""``NAdam``: Adam with Nesterov momentum and a warming-up momentum schedule."""

from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, check_adam_group, check_implementation_flags, lerp_,
                        prepared_gradient)


class NAdam(Optimizer):
    """NAdam (Dozat), in PyTorch's arithmetic and with its defaults.

    At step ``t`` the momentum coefficient is ``mu_t = b1 * (1 - 0.5 * 0.96 **
    (t * momentum_decay))`` and ``mu_product`` their running product.  With
    ``g = grad + weight_decay * p`` (or, with ``decoupled_weight_decay=True``, the
    plain gradient after ``p *= 1 - lr * weight_decay``): ``m = b1 m + (1-b1) g``,
    ``v = b2 v + (1-b2) g²``, ``denom = sqrt(v / (1 - b2^t)) + eps``, then
    ``p -= lr (1 - mu_t) / (1 - mu_product) * g / denom`` and
    ``p -= lr mu_{t+1} / (1 - mu_product * mu_{t+1}) * m / denom``.  The state of
    each parameter is ``step``, ``mu_product``, ``exp_avg`` and ``exp_avg_sq``;
    ``mu_product`` takes the parameter's dtype, where PyTorch keeps it in its default
    dtype (float32 unless changed, so its float64 steps differ in the last digits).

    >>> w = ad.nn.Parameter([1.0])
    >>> opt = ad.optim.NAdam([w], lr=0.1)
    >>> w.grad = np.array([2.0]); opt.step(); w.data.round(4)
    array([0.8944])
    """

    _state_keys = _required_state = frozenset({"step", "mu_product", "exp_avg", "exp_avg_sq"})

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False):
        flags = check_implementation_flags("NAdam", foreach=foreach, capturable=capturable,
                                           differentiable=differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay,
                                      decoupled_weight_decay=bool(decoupled_weight_decay),
                                      maximize=bool(maximize), **flags))

    def _check_group(self, group, where):
        check_adam_group(group, where, "momentum_decay")

    def _update(self, data, grad, state, group):
        b1, b2 = group["betas"]
        lr = group["lr"]
        grad = prepared_gradient(data, grad, group, group["decoupled_weight_decay"])
        if "step" not in state:
            state["step"] = np.array(0, dtype=np.int64)
            state["mu_product"] = np.ones((), dtype=data.dtype)
            state["exp_avg"] = np.zeros_like(data)
            state["exp_avg_sq"] = np.zeros_like(data)
        state["step"] += 1
        t = int(state["step"])
        mu = b1 * (1.0 - 0.5 * (0.96 ** (t * group["momentum_decay"])))
        mu_next = b1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * group["momentum_decay"])))
        mu_product = state["mu_product"]
        mu_product *= mu
        m, v = state["exp_avg"], state["exp_avg_sq"]
        lerp_(m, grad, 1 - b1)
        v *= b2
        v += (1 - b2) * grad * grad
        denom = np.sqrt(v / (1 - b2 ** t))
        denom += group["eps"]
        product = float(mu_product)
        # Two separate steps, each (value * numerator) / denom: PyTorch's two addcdiv_.
        data += ((-lr * (1.0 - mu) / (1.0 - product)) * grad) / denom
        data += (((-lr * mu_next) / (1.0 - product * mu_next)) * m) / denom
