"""``Adafactor``: Adam-like steps with the second moment of a matrix kept as one row
and one column of running means (memory in ``rows + columns``, not ``rows * columns``)."""

from __future__ import annotations

import math

import numpy as np

from .optimizer import Optimizer, check_implementation_flags, check_nonnegative, lerp_


def _eps_pair(where, eps):
    try:
        eps1, eps2 = eps
    except (TypeError, ValueError):
        raise ValueError(f"{where}: eps must be a pair (eps1 or None, eps2), got "
                         f"{eps!r}") from None
    if eps1 is not None and not (isinstance(eps1, (int, float)) and eps1 >= 0):
        raise ValueError(f"{where}: eps1 must be None or a number >= 0, got {eps1!r}")
    if not (isinstance(eps2, (int, float)) and eps2 >= 0):
        raise ValueError(f"{where}: eps2 must be a number >= 0, got {eps2!r}")
    return eps1, eps2


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern), in PyTorch's arithmetic and with its defaults.

    At step ``t``: ``beta = t^beta2_decay`` (the weight of the new gradient),
    ``rho = min(lr, 1/sqrt(t))`` and ``alpha = max(eps2, RMS(p)) * rho``; weight decay
    shrinks ``p`` by ``1 - lr * weight_decay``.  A parameter of 2 or more axes keeps
    the running means of ``g²`` over its last axis (``row_var``) and second-to-last axis
    (``col_var``) and estimates ``v = row_var @ col_var / mean(row_var)``; a vector keeps
    ``variance`` itself.  Then ``u = g / sqrt(max(v, eps1²))`` and
    ``p -= alpha * u / max(1, RMS(u) / d)``.  ``eps1`` None is the dtype's machine
    epsilon.  (The estimate is the same for a matrix and its transpose, so
    ``Linear``'s ``(n_in, n_out)`` weight gets PyTorch's update.)

    >>> w = ad.nn.Parameter([3.0, -4.0])
    >>> opt = ad.optim.Adafactor([w])
    >>> w.grad = np.array([1.0, 2.0]); opt.step(); w.data   # moves by RMS(w) * lr * sign
    array([ 2.96464466, -4.03535534])
    """

    _complex_as_real_pairs = False     # (its update mixes entries: see complex_parameters.py)

    _state_keys = frozenset({"step", "row_var", "col_var", "variance"})
    _required_state = frozenset({"step"})
    _reduced_state = frozenset({"row_var", "col_var"})

    def __init__(self, params, lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps=(None, 1e-3), d: float = 1.0, weight_decay: float = 0.0, *,
                 foreach: bool | None = None, maximize: bool = False):
        flags = check_implementation_flags("Adafactor", foreach=foreach)
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                                      weight_decay=weight_decay, maximize=bool(maximize), **flags))

    def _check_group(self, group, where):
        check_nonnegative(where, lr=group["lr"], weight_decay=group["weight_decay"])
        group["eps"] = _eps_pair(where, group["eps"])
        if not group["beta2_decay"] <= 0:
            raise ValueError(f"{where}: beta2_decay should be <= 0 but is: "
                             f"{group['beta2_decay']!r}")
        if not group["d"] >= 1:
            raise ValueError(f"{where}: clipping threshold d should be >= 1 but is: "
                             f"{group['d']!r}")

    # eps1=None cannot be saved in an array that np.load reads back without pickle: it
    # is saved as nan, and read back as None.
    def state_dict(self) -> dict[str, np.ndarray]:
        out = super().state_dict()
        for key, value in out.items():
            if key.endswith(".eps") and value.dtype == object:
                out[key] = np.array([np.nan if v is None else v for v in value], float)
        return out

    def load_state_dict(self, state_dict) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            eps1, eps2 = group["eps"]
            if eps1 is not None and math.isnan(eps1):
                group["eps"] = (None, eps2)

    def _update(self, data, grad, state, group):
        if group["maximize"]:
            grad = -grad
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(np.finfo(data.dtype).eps)
        if "step" not in state:
            state["step"] = np.array(0, dtype=np.int64)
            if data.ndim > 1:
                state["row_var"] = np.zeros(data.shape[:-1] + (1,), data.dtype)
                state["col_var"] = np.zeros(data.shape[:-2] + (1,) + data.shape[-1:],
                                            data.dtype)
            else:
                state["variance"] = np.zeros_like(data)
        state["step"] += 1
        t = float(state["step"])
        beta = t ** group["beta2_decay"]
        rho = min(group["lr"], 1 / t ** 0.5)
        alpha = max(eps2, float(np.linalg.norm(data.ravel())) / data.size ** 0.5) * rho
        if group["weight_decay"]:
            data *= 1 - group["lr"] * group["weight_decay"]
        if data.ndim > 1:
            row_var, col_var = state["row_var"], state["col_var"]
            lerp_(row_var, np.mean(grad * grad, axis=-1, keepdims=True), beta)
            lerp_(col_var, np.mean(grad * grad, axis=-2, keepdims=True), beta)
            estimate = row_var @ col_var
            estimate /= np.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
        else:
            variance = state["variance"]
            lerp_(variance, grad * grad, beta)
            estimate = variance.copy()
        update = 1 / np.sqrt(np.maximum(estimate, eps1 * eps1))
        update *= grad
        denom = max(1.0, float(np.linalg.norm(update.ravel())) / (update.size ** 0.5
                                                                   * group["d"]))
        data -= (alpha / denom) * update
