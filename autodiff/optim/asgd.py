"""``ASGD``: SGD with a decaying step size and a running average of the iterates."""

from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, check_implementation_flags, check_nonnegative,
                        prepared_gradient)


class ASGD(Optimizer):
    """Averaged SGD (Polyak & Juditsky), in PyTorch's arithmetic and with its defaults.

    ``g = grad + weight_decay * p``; ``p = p (1 - lambd eta) - eta g``; the average
    ``ax`` follows ``p`` (``ax += mu (p - ax)``, a copy while ``mu`` is 1); then at
    step ``t`` ``eta = lr / (1 + lambd lr t)^alpha`` and ``mu = 1 / max(1, t - t0)``.
    The parameter itself is the plain SGD iterate: the average is ``state["ax"]``
    (copy it into the parameter to evaluate with it).  The state of each parameter is
    ``step``, ``eta``, ``mu`` (0-d arrays) and ``ax``.

    ``eta`` and ``mu`` take the parameter's dtype, so a float32 parameter steps in
    float32 and a float64 one in float64.  PyTorch keeps them in its default dtype
    (float32 unless changed): its float64 steps use a float32 ``eta`` and agree with
    these only under ``torch.set_default_dtype(torch.float64)``.

    >>> w = ad.nn.Parameter([1.0])
    >>> opt = ad.optim.ASGD([w], lr=0.1, lambd=0.0)
    >>> w.grad = np.array([2.0]); opt.step(); w.data      # 1 - 0.1 * 2
    array([0.8])
    """

    _state_keys = _required_state = frozenset({"step", "eta", "mu", "ax"})

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False):
        flags = check_implementation_flags("ASGD", foreach=foreach, capturable=capturable,
                                           differentiable=differentiable)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay, maximize=bool(maximize), **flags))

    def _check_group(self, group, where):
        check_nonnegative(where, lr=group["lr"], lambd=group["lambd"], alpha=group["alpha"],
                          t0=group["t0"], weight_decay=group["weight_decay"])

    def _update(self, data, grad, state, group):
        lr, lambd = group["lr"], group["lambd"]
        grad = prepared_gradient(data, grad, group)
        if "step" not in state:
            # eta and mu as 0-d arrays of the parameter's dtype (PyTorch keeps them as
            # tensors of its default dtype: the same numbers for float32 parameters)
            state["step"] = np.array(0, dtype=np.int64)
            state["eta"] = np.array(lr, dtype=data.dtype)
            state["mu"] = np.array(1.0, dtype=data.dtype)
            state["ax"] = np.zeros_like(data)
        state["step"] += 1
        step = int(state["step"])
        eta = float(state["eta"])
        data *= 1 - lambd * eta
        data -= eta * grad
        ax, mu = state["ax"], float(state["mu"])
        if mu != 1:
            ax += (data - ax) * data.dtype.type(mu)
        else:
            ax[...] = data
        state["eta"][...] = lr / ((1 + lambd * lr * step) ** group["alpha"])
        state["mu"][...] = 1 / max(1, step - group["t0"])
