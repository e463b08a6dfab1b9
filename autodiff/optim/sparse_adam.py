"""``SparseAdam``: Adam that touches only the rows a gradient reaches."""

from __future__ import annotations

import math

import numpy as np

from .optimizer import Optimizer, check_betas, next_step, plain_number


class SparseAdam(Optimizer):
    """PyTorch's ``SparseAdam``: Adam's update applied only to the rows (slices along
    dim 0) of a parameter that received gradient, the others and their moments left
    as they are; made for embedding tables, where a batch looks up a few rows.

    Gradients here are dense arrays, so a row "received gradient" when any of its
    entries is nonzero; on those rows the arithmetic is PyTorch's with the gradient
    PyTorch's ``nn.Embedding(sparse=True)`` gives: ``m = b1 m + (1-b1) g``,
    ``v = b2 v + (1-b2) g**2`` and ``p -= lr sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)``,
    where ``t`` counts the steps this parameter had a ``.grad`` (rows or not).  A row
    looked up whose gradient is exactly zero in every entry is taken as not looked up
    (PyTorch would still decay its moments).  Like PyTorch, it refuses ``lr <= 0`` and
    ``eps <= 0``, and has no ``weight_decay``.

    >>> table = ad.nn.Parameter(np.ones((3, 2)))
    >>> opt = ad.optim.SparseAdam([table], lr=0.1)
    >>> table.grad = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 0.0]]); opt.step()
    >>> table.data.round(6)             # row 1 moved (its zero entry has no momentum yet)
    array([[1. , 1. ],
           [0.9, 1. ],
           [1. , 1. ]])
    """

    _complex_as_real_pairs = False     # (its update mixes entries: see complex_parameters.py)

    _state_keys = _required_state = frozenset({"step", "exp_avg", "exp_avg_sq"})

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 maximize: bool = False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=bool(maximize)))

    def _check_group(self, group, where):
        for key in ("lr", "eps"):
            value = group[key] = plain_number(group[key])
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{where}: {key} must be a finite number > 0 (PyTorch's "
                                 f"SparseAdam refuses 0 too), got {value!r}")
        group["betas"] = check_betas(where, group["betas"])

    def _update(self, data, grad, state, group):
        b1, b2 = group["betas"]
        if group["maximize"]:
            grad = -grad
        t = next_step(state, data, "exp_avg", "exp_avg_sq")
        m, v = state["exp_avg"], state["exp_avg_sq"]
        if data.ndim == 0:                  # one row: the number itself (views, in place)
            data, grad, m, v = (a.reshape(1) for a in (data, grad, m, v))
        if grad.size == 0:                  # (an empty table: nothing moves, as in PyTorch)
            return
        rows = np.flatnonzero(np.any(grad.reshape(grad.shape[0], -1) != 0, axis=1))
        if not rows.size:
            return
        g = grad[rows]
        old_m, old_v = m[rows], v[rows]
        # PyTorch's order of operations: each moment moves by (g - old) * (1 - beta).
        new_m = old_m + (g - old_m) * (1 - b1)
        new_v = old_v + (g * g - old_v) * (1 - b2)
        m[rows], v[rows] = new_m, new_v
        step_size = group["lr"] * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        data[rows] += -step_size * (new_m / (np.sqrt(new_v) + group["eps"]))

