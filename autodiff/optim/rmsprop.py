"""``RMSprop``: divide the gradient by a running root-mean-square of its recent values."""

from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, check_implementation_flags, check_nonnegative,
                        next_step, prepared_gradient)


class RMSprop(Optimizer):
    """RMSprop (Hinton), in PyTorch's arithmetic and with its defaults.

    ``g = grad + weight_decay * p``; ``v = alpha v + (1 - alpha) g²``; with
    ``centered=True`` also ``a = alpha a + (1 - alpha) g`` and ``v - a²`` replaces
    ``v``; ``denom = sqrt(v) + eps``.  Without momentum ``p -= lr * g / denom``;
    with it ``buf = momentum * buf + g / denom`` and ``p -= lr * buf``.

    >>> w = ad.nn.Parameter([1.0])
    >>> opt = ad.optim.RMSprop([w], lr=0.01)
    >>> w.grad = np.array([2.0]); opt.step(); w.data      # 1 - 0.01 * 2 / sqrt(0.01 * 4)
    array([0.9])
    """

    _state_keys = frozenset({"step", "square_avg", "grad_avg", "momentum_buffer"})
    _required_state = frozenset({"step", "square_avg"})

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 *, capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False):
        flags = check_implementation_flags("RMSprop", foreach=foreach, capturable=capturable,
                                           differentiable=differentiable)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=bool(centered),
                                      maximize=bool(maximize), **flags))

    def _check_group(self, group, where):
        check_nonnegative(where, lr=group["lr"], alpha=group["alpha"], eps=group["eps"],
                          weight_decay=group["weight_decay"], momentum=group["momentum"])
        if group["alpha"] > 1:
            raise ValueError(f"{where}: alpha must be in [0, 1], got {group['alpha']!r}")

    def _update(self, data, grad, state, group):
        alpha = group["alpha"]
        grad = prepared_gradient(data, grad, group)
        next_step(state, data, "square_avg")
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * (grad * grad)
        if group["centered"]:
            grad_avg = state.setdefault("grad_avg", np.zeros_like(data))
            grad_avg *= alpha
            grad_avg += (1 - alpha) * grad
            denom = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            denom = np.sqrt(square_avg)
        denom += group["eps"]
        if group["momentum"] > 0:
            buf = state.setdefault("momentum_buffer", np.zeros_like(data))
            buf *= group["momentum"]
            buf += grad / denom
            data -= group["lr"] * buf
        else:
            data -= group["lr"] * (grad / denom)
