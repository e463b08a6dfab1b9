"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

import numpy as np

from . import fused
from .optimizer import Optimizer, check_implementation_flags, check_nonnegative


class SGD(Optimizer):
    """Stochastic gradient descent, in PyTorch's arithmetic and with its defaults.

    ``d = grad + weight_decay * p``; with momentum ``buf = momentum * buf +
    (1 - dampening) * d`` (first step: ``buf = d``) and ``d = d + momentum * buf``
    (``nesterov=True``) or ``d = buf``; then ``p -= lr * d``.  ``maximize=True``
    climbs instead (``grad`` is negated first).

    >>> w = ad.nn.Parameter([1.0, -2.0])
    >>> opt = ad.optim.SGD([w], lr=0.5)
    >>> (w * w).sum().backward(); opt.step(); w.data
    array([0., 0.])
    """

    _state_keys = frozenset({"momentum_buffer"})

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False,
                 *, maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None):
        flags = check_implementation_flags("SGD", foreach=foreach, fused=fused,
                                           differentiable=differentiable)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=bool(nesterov),
                                      maximize=bool(maximize), **flags))

    def _check_group(self, group, where):
        check_nonnegative(where, lr=group["lr"], momentum=group["momentum"],
                          dampening=group["dampening"], weight_decay=group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"{where}: nesterov=True needs momentum > 0 and dampening = 0 "
                             f"(as in PyTorch), got momentum={group['momentum']}, "
                             f"dampening={group['dampening']}")

    def _update(self, data, grad, state, group):
        if fused.update(self, data, grad, state, group):    # one compiled pass
            return
        d = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            d = d + group["weight_decay"] * data
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = np.array(d, dtype=data.dtype, copy=True)
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * d
            state["momentum_buffer"] = buf
            d = d + momentum * buf if group["nesterov"] else buf
        data -= group["lr"] * d


fused.PREPARE[SGD] = fused.prepare_sgd
fused.GROUP_SOURCES[SGD] = fused.sgd_group_sources
fused.STATE_SOURCES[SGD] = fused.sgd_state_sources
