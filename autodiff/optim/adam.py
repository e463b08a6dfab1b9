"""``Adam`` and ``AdamW``: adaptive moments, with L2 or decoupled weight decay."""

from __future__ import annotations

import math

import numpy as np

from . import fused
from .optimizer import Optimizer, check_adam_group, check_implementation_flags


class Adam(Optimizer):
    """Adam (Kingma & Ba), with bias correction, in the same arithmetic as PyTorch.

    ``g = grad + weight_decay * p`` (L2; ``decoupled_weight_decay=True`` is the decay
    of ``AdamW`` instead, as in PyTorch),
    ``m = b1 m + (1-b1) g``, ``v = b2 v + (1-b2) g²`` (``amsgrad=True`` keeps the
    running maximum of ``v`` and uses it below), then
    ``p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``.

    >>> w = ad.nn.Parameter([1.0])
    >>> opt = ad.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w.data      # the first step moves by ~lr
    array([0.9])
    """

    _state_keys = frozenset({"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"})
    _required_state = frozenset({"step", "exp_avg", "exp_avg_sq"})

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False):
        where = type(self).__name__
        flags = check_implementation_flags(where, foreach=foreach, fused=fused,
                                           capturable=capturable, differentiable=differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=bool(amsgrad), maximize=bool(maximize),
                                      decoupled_weight_decay=bool(decoupled_weight_decay),
                                      **flags))

    def _check_group(self, group, where):
        check_adam_group(group, where)

    def _decay(self, data, grad, group):
        """L2 puts the decay into the gradient; decoupled decay shrinks the parameter."""
        if not group["weight_decay"]:
            return grad
        if group["decoupled_weight_decay"]:
            data *= 1 - group["lr"] * group["weight_decay"]
            return grad
        return grad + group["weight_decay"] * data

    def _update(self, data, grad, state, group):
        if fused.update(self, data, grad, state, group):    # one compiled pass
            return
        b1, b2 = group["betas"]
        if group["maximize"]:
            grad = -grad
        grad = self._decay(data, grad, group)
        if "step" not in state:
            state["step"] = np.array(0, dtype=np.int64)
            state["exp_avg"] = np.zeros_like(data)
            state["exp_avg_sq"] = np.zeros_like(data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(data)
        state["step"] += 1
        t = int(state["step"])
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= b1
        m += (1 - b1) * grad
        v *= b2
        v += (1 - b2) * (grad * grad)
        if group["amsgrad"]:
            if "max_exp_avg_sq" not in state:        # amsgrad switched on mid-training
                state["max_exp_avg_sq"] = np.zeros_like(data)
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        step_size = group["lr"] / (1 - b1 ** t)
        denom = np.sqrt(v) / math.sqrt(1 - b2 ** t) + group["eps"]
        data -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as PyTorch computes it.

    Each step first shrinks the parameter, ``p *= 1 - lr * weight_decay``, then
    takes the Adam step on the plain gradient (the decay never enters ``m`` or
    ``v``).  Defaults as in PyTorch: ``lr=1e-3``, ``weight_decay=1e-2``.

    >>> w = ad.nn.Parameter([1.0])
    >>> opt = ad.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = np.zeros(1); opt.step(); w.data         # a zero gradient: only the decay
    array([0.95])
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)


fused.PREPARE[Adam] = fused.PREPARE[AdamW] = fused.prepare_adam
fused.GROUP_SOURCES[Adam] = fused.GROUP_SOURCES[AdamW] = fused.adam_group_sources
fused.STATE_SOURCES[Adam] = fused.STATE_SOURCES[AdamW] = fused.adam_state_sources
fused.ANY_SIZE.update((Adam, AdamW))
