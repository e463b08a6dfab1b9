"""``Rprop``: per-entry step sizes that grow while the gradient keeps its sign."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, check_implementation_flags, check_nonnegative


def _pair(where, key, value):
    try:
        first, second = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {key} must be a pair of numbers, got {value!r}") from None
    return first, second


class Rprop(Optimizer):
    """Resilient backpropagation, in PyTorch's arithmetic and with its defaults.

    Each entry keeps its own step size (starting at ``lr``): multiplied by
    ``etas[1]`` when the gradient kept its sign since the last step, by ``etas[0]``
    when it flipped (and that entry then does not move, and counts as a zero gradient
    next time), then clamped into ``step_sizes``; ``p -= sign(grad) * step_size``.
    Only the gradient's sign is used.  The state of each parameter is ``step``,
    ``prev`` (the last gradient) and ``step_size``.  ``etas`` and ``step_sizes`` are
    kept as pairs of floats (PyTorch keeps them as given: ``(1e-06, 50)`` there).

    >>> w = ad.nn.Parameter([0.0, 0.0])
    >>> opt = ad.optim.Rprop([w], lr=0.1)
    >>> for g in ([1.0, 1.0], [2.0, -1.0]):
    ...     w.grad = np.array(g); opt.step()
    >>> w.data                   # steps of 0.1 then 0.12 (same sign) and 0 (flipped)
    array([-0.22, -0.1 ])
    """

    _state_keys = _required_state = frozenset({"step", "prev", "step_size"})

    def __init__(self, params, lr: float = 1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50),
                 *, capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False):
        flags = check_implementation_flags("Rprop", foreach=foreach, capturable=capturable,
                                           differentiable=differentiable)
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes,
                                      maximize=bool(maximize), **flags))

    def _check_group(self, group, where):
        check_nonnegative(where, lr=group["lr"])
        etaminus, etaplus = group["etas"] = _pair(where, "etas", group["etas"])
        if not 0.0 < etaminus < 1.0 < etaplus:
            raise ValueError(f"{where}: etas must be (etaminus, etaplus) with 0 < etaminus "
                             f"< 1 < etaplus, got {group['etas']!r}")
        low, high = group["step_sizes"] = _pair(where, "step_sizes", group["step_sizes"])
        if not 0.0 <= low <= high:
            raise ValueError(f"{where}: step_sizes must be (min, max) with 0 <= min <= max, "
                             f"got {group['step_sizes']!r}")

    def _update(self, data, grad, state, group):
        etaminus, etaplus = group["etas"]
        low, high = group["step_sizes"]
        if group["maximize"]:
            grad = -grad
        if "step" not in state:
            state["step"] = np.array(0, dtype=np.int64)
            state["prev"] = np.zeros_like(data)
            state["step_size"] = np.full_like(data, group["lr"])
        state["step"] += 1
        prev, step_size = state["prev"], state["step_size"]
        agreement = np.sign(grad * prev)
        factor = np.where(agreement > 0, etaplus, np.where(
            agreement < 0, etaminus, np.where(agreement == 0, 1.0, agreement)))   # (nan stays)
        factor = factor.astype(data.dtype, copy=False)
        step_size *= factor
        np.clip(step_size, low, high, out=step_size)
        # Where the sign flipped the entry stays put and forgets its gradient, as PyTorch
        # does (it finds those entries as the ones whose factor equals etaminus).
        grad = np.where(factor == data.dtype.type(etaminus), 0, grad).astype(data.dtype,
                                                                               copy=False)
        data -= np.sign(grad) * step_size
        prev[...] = grad
