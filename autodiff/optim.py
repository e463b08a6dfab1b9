"""Optimizers: ``SGD`` and ``Adam``.

``step()`` updates each parameter's ``.data`` in place from its ``.grad``; nothing
is recorded on the tape.  A parameter whose ``.grad`` is None is left unchanged and
reported once with a ``NoGradientWarning``: that almost always means the loss does
not depend on it (it is unused, or it only appears in a comparison or as a ``where``
condition, which pass no gradient).

>>> model = ad.nn.Linear(2, 1, rng=0)
>>> opt = ad.optim.SGD(model.named_parameters(), lr=0.1)
>>> loss = (model(ad.tensor([[1.0, 2.0]])) ** 2).sum()
>>> opt.zero_grad(); loss.backward(); opt.step()
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .tensor import Tensor


class NoGradientWarning(UserWarning):
    """A parameter reached ``step()`` with ``.grad`` None, so it was not updated."""


def _collect(params, where):
    """Normalize the ``params`` argument into parallel lists of tensors and names."""
    from .nn.module import Module

    if isinstance(params, Module):
        params = params.named_parameters()
    if isinstance(params, Tensor):
        params = [params]
    tensors, names = [], []
    for i, item in enumerate(params):
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            name, tensor = item
        else:
            name, tensor = None, item
        if not isinstance(tensor, Tensor):
            raise TypeError(
                f"{where}: item {i} of params is a {type(tensor).__name__}, not a Tensor; pass "
                "model.parameters(), model.named_parameters() or a list of Parameters")
        if not tensor.requires_grad or tensor._node is not None:
            raise TypeError(
                f"{where}: item {i} of params ({name or tensor.name or 'unnamed'}, shape "
                f"{tensor.shape}) is not a leaf that requires grad; optimizers update "
                "Parameters (or tensors created with requires_grad=True), not results of ops")
        if any(t is tensor for t in tensors):
            raise ValueError(f"{where}: parameter {name or tensor.name or i} appears twice in "
                             "params; each parameter must be listed once")
        if name is None:
            name = tensor.name if tensor.name is not None else f"#{i}"
        tensors.append(tensor)
        names.append(name)
    if not tensors:
        raise ValueError(f"{where}: got an empty list of parameters (a generator that was "
                         "already consumed?); pass model.parameters() fresh")
    return tensors, names


class Optimizer:
    """Base class: holds the parameters, their names and per-parameter state.

    Subclasses implement ``_update(param_data, grad, state)``.
    """

    def __init__(self, params, **hyper):
        where = type(self).__name__
        self.params, self.names = _collect(params, where)
        self.state = [{} for _ in self.params]
        self._warned = set()
        for key, value in hyper.items():
            setattr(self, key, value)

    def zero_grad(self) -> None:
        """Set ``.grad = None`` on every parameter."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient; warn once about those that don't."""
        where = f"{type(self).__name__}.step"
        work = []
        for i, p in enumerate(self.params):
            grad = p.grad
            if grad is None:
                self._warn_no_gradient(i)
                continue
            grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad)
            if grad.shape != p.data.shape:
                raise ValueError(
                    f"{where}: parameter {self.names[i]!r} has shape "
                    f"{p.data.shape} but its .grad has shape {grad.shape}")
            if not p.data.flags.writeable:
                # Checked for all parameters before any is changed: no half-done step.
                raise RuntimeError(
                    f"{where}: cannot update parameter {self.names[i]!r} in place: its array "
                    "is read-only, because a graph that still needs its current value is "
                    "alive (step() called before backward(), or a graph kept with "
                    "retain_graph=True or through a stored tensor). Call backward() first, "
                    "or drop the graph (del loss); ad.explain(param) names the ops holding it.")
            work.append((i, p, grad))
        for i, p, grad in work:
            self._update(p.data, grad, self.state[i])

    def _warn_no_gradient(self, i):
        if i in self._warned:
            return
        self._warned.add(i)
        p = self.params[i]
        warnings.warn(
            f"{type(self).__name__}.step: parameter {self.names[i]!r} (shape {p.shape}) has no "
            "gradient (.grad is None) and was not updated. The loss probably does not depend "
            "on it: it is not connected to the loss, or it is used only in a comparison or "
            "as a `where` condition, which pass no gradient (use it in arithmetic, e.g. a "
            "sigmoid instead of a hard threshold). ad.explain(param) after backward() shows "
            "which. This warning is shown once per parameter.",
            NoGradientWarning, stacklevel=3)

    def _update(self, data, grad, state):  # pragma: no cover - abstract
        raise NotImplementedError

    # ----- saving and resuming ---------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """The optimizer's running state as ``{"<position>.<key>": ndarray}`` (copies).

        Save it next to the model's ``state_dict`` to resume training exactly.
        """
        out = {}
        for i, state in enumerate(self.state):
            for key, value in state.items():
                out[f"{i}.{key}"] = np.array(value, copy=True)
        return out

    def load_state_dict(self, state) -> None:
        """Restore what ``state_dict`` returned (for the same parameters, in the same order)."""
        where = f"{type(self).__name__}.load_state_dict"
        new = [{} for _ in self.params]
        for full_key in state.keys():
            position, _, key = full_key.partition(".")
            if not position.isdigit() or int(position) >= len(self.params) or not key:
                raise KeyError(f"{where}: unexpected key {full_key!r} for an optimizer with "
                               f"{len(self.params)} parameters")
            value = np.array(state[full_key], copy=True)
            p = self.params[int(position)]
            if value.ndim and value.shape != p.shape:
                raise ValueError(f"{where}: {full_key!r} has shape {value.shape} but parameter "
                                 f"{self.names[int(position)]!r} has shape {p.shape}")
            new[int(position)][key] = value
        self.state = new

    def __repr__(self):
        hyper = ", ".join(f"{k}={v}" for k, v in self._hyper().items())
        return f"{type(self).__name__}({len(self.params)} parameters, {hyper})"

    def _hyper(self):
        return {}


def _check_nonnegative(where, **values):
    for key, value in values.items():
        if not (isinstance(value, (int, float)) and value >= 0 and math.isfinite(value)):
            raise ValueError(f"{where}: {key} must be a finite number >= 0, got {value!r}")


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum and weight decay (as in PyTorch).

    ``d = grad + weight_decay * p``; with momentum ``buf = momentum * buf + d`` (first
    step: ``buf = d``) and ``d = buf``; then ``p -= lr * d``.

    >>> w = ad.nn.Parameter([1.0, -2.0])
    >>> opt = ad.optim.SGD([w], lr=0.5)
    >>> (w * w).sum().backward(); opt.step(); w.data
    array([0., 0.])
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        _check_nonnegative("SGD", lr=lr, momentum=momentum, weight_decay=weight_decay)
        super().__init__(params, lr=lr, momentum=momentum, weight_decay=weight_decay)

    def _update(self, data, grad, state):
        d = grad
        if self.weight_decay:
            d = d + self.weight_decay * data
        if self.momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = np.array(d, dtype=data.dtype, copy=True)
            else:
                buf *= self.momentum
                buf += d
            state["momentum_buffer"] = buf
            d = buf
        data -= self.lr * d

    def _hyper(self):
        return {"lr": self.lr, "momentum": self.momentum, "weight_decay": self.weight_decay}


class Adam(Optimizer):
    """Adam (Kingma & Ba), with bias correction, in the same arithmetic as PyTorch.

    ``m = b1 m + (1-b1) g``, ``v = b2 v + (1-b2) g²``,
    ``p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``.
    ``weight_decay`` adds ``weight_decay * p`` to the gradient (L2, not AdamW).

    >>> w = ad.nn.Parameter([1.0])
    >>> opt = ad.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w.data      # the first step moves by ~lr
    array([0.9])
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        b1, b2 = betas
        _check_nonnegative("Adam", lr=lr, eps=eps, weight_decay=weight_decay)
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"Adam: betas must be in [0, 1), got {betas!r}")
        super().__init__(params, lr=lr, betas=(float(b1), float(b2)), eps=eps,
                         weight_decay=weight_decay)

    def _update(self, data, grad, state):
        b1, b2 = self.betas
        if self.weight_decay:
            grad = grad + self.weight_decay * data
        if "step" not in state:
            state["step"] = np.array(0, dtype=np.int64)
            state["exp_avg"] = np.zeros_like(data)
            state["exp_avg_sq"] = np.zeros_like(data)
        state["step"] += 1
        t = int(state["step"])
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= b1
        m += (1 - b1) * grad
        v *= b2
        v += (1 - b2) * (grad * grad)
        step_size = self.lr / (1 - b1 ** t)
        denom = np.sqrt(v) / math.sqrt(1 - b2 ** t) + self.eps
        data -= step_size * (m / denom)

    def _hyper(self):
        return {"lr": self.lr, "betas": self.betas, "eps": self.eps,
                "weight_decay": self.weight_decay}
