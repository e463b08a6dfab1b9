"""``Muon``: momentum whose update is orthogonalized by a Newton–Schulz iteration."""

from __future__ import annotations

import math

import numpy as np

from .optimizer import Optimizer, check_nonnegative, lerp_

_ADJUSTMENTS = (None, "original", "match_rms_adamw")


def orthogonalized(matrix: np.ndarray, coefficients, steps: int, eps: float) -> np.ndarray:
    """PyTorch's ``_zeropower_via_newtonschulz``: ``steps`` quintic Newton–Schulz steps
    ``X <- a X + (b G + c G @ G) @ X`` with ``G = X @ X.T``, from ``X = M / ||M||_F``
    (the wide orientation), which push the singular values of ``M`` towards 1."""
    a, b, c = coefficients
    tall = matrix.shape[0] > matrix.shape[1]
    x = matrix.T if tall else matrix
    x = x / max(float(np.linalg.norm(x)), eps)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * (gram @ gram)) @ x
    return x.T if tall else x


class Muon(Optimizer):
    """PyTorch's ``Muon`` for 2-d parameters (the weights of hidden layers; biases and
    embeddings belong with AdamW): ``B = mu B + (1-mu) g``; the update ``U`` is
    ``g + mu (B - g)`` (``nesterov``) or ``B``, orthogonalized by ``ns_steps``
    Newton–Schulz steps; then ``p *= 1 - lr weight_decay`` and ``p -= lr' U``.

    ``lr' = lr sqrt(max(1, fan_out / fan_in))`` (``adjust_lr_fn`` None or
    ``"original"``) or ``0.2 lr sqrt(max(fan_in, fan_out))`` (``"match_rms_adamw"``).
    A matrix here is used as ``x @ W``, stored ``(fan_in, fan_out)`` (a ``Linear``'s
    weight), so the ratio is ``shape[1] / shape[0]``: PyTorch's for every ``Linear`` and
    RNN weight, which PyTorch stores transposed.

    PyTorch runs the Newton–Schulz steps in bfloat16, which NumPy lacks; they run here
    in the parameter's dtype, so the updates agree with PyTorch's to bfloat16's
    precision (about 1%), and exactly with the same steps in float.

    >>> w = ad.nn.Parameter(np.eye(2))
    >>> opt = ad.optim.Muon([w], lr=0.1, weight_decay=0.0)
    >>> w.grad = np.array([[1.0, 0.0], [0.0, 1.0]]); opt.step()
    >>> np.round(w.data, 2)
    array([[0.89, 0.  ],
           [0.  , 0.89]])
    """

    _complex_as_real_pairs = False     # (its update mixes entries: see complex_parameters.py)

    _state_keys = _required_state = frozenset({"momentum_buffer"})

    def __init__(self, params, lr: float = 1e-3, weight_decay: float = 0.1,
                 momentum: float = 0.95, nesterov: bool = True,
                 ns_coefficients=(3.4445, -4.775, 2.0315), eps: float = 1e-7,
                 ns_steps: int = 5, adjust_lr_fn: str | None = None):
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, momentum=momentum,
                                      nesterov=bool(nesterov), ns_coefficients=ns_coefficients,
                                      eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn))

    def _check_group(self, group, where):
        check_nonnegative(where, lr=group["lr"], weight_decay=group["weight_decay"],
                          momentum=group["momentum"], eps=group["eps"])
        if group["adjust_lr_fn"] not in _ADJUSTMENTS:
            raise ValueError(f"{where}: adjust_lr_fn must be None, 'original' or "
                             f"'match_rms_adamw', got {group['adjust_lr_fn']!r}")
        steps = group["ns_steps"]
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) \
                or not 0 <= steps < 100:
            raise ValueError(f"{where}: ns_steps must be an int in [0, 100) (PyTorch: "
                             f"'Number of steps must be less than 100'), got {steps!r}")
        try:
            group["ns_coefficients"] = tuple(float(c) for c in group["ns_coefficients"])
        except (TypeError, ValueError):
            group["ns_coefficients"] = ()
        if len(group["ns_coefficients"]) != 3:
            raise ValueError(f"{where}: ns_coefficients must be 3 numbers (a, b, c), got "
                             f"{group['ns_coefficients']!r}")
        for p in group["params"]:
            if p.ndim != 2:
                raise ValueError(f"{where}: Muon only supports 2D parameters, got one of "
                                 f"shape {p.shape}; optimize biases, norms and embeddings "
                                 "with another optimizer (AdamW) in its own group")

    def _update(self, data, grad, state, group):
        momentum = group["momentum"]
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = np.zeros_like(grad)
        buffer = state["momentum_buffer"]
        lerp_(buffer, grad, 1 - momentum)
        if group["nesterov"]:
            update = np.array(grad, dtype=buffer.dtype)
            lerp_(update, buffer, momentum)
        else:
            update = buffer
        update = orthogonalized(update, group["ns_coefficients"], group["ns_steps"],
                                group["eps"])
        fan_in, fan_out = data.shape
        if group["adjust_lr_fn"] == "match_rms_adamw":
            ratio = 0.2 * math.sqrt(max(fan_in, fan_out))
        else:
            ratio = math.sqrt(max(1, fan_out / fan_in)) if fan_in else 1.0   # (empty: 1)
        data *= 1 - group["lr"] * group["weight_decay"]
        data -= (group["lr"] * ratio) * update.astype(data.dtype, copy=False)
