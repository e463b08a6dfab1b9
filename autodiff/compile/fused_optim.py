"""The optimizer update of a plan, fused into one pass per parameter.

A trace records ``opt.step()`` as a ``call`` step that replays the bound method.
For ``SGD``, ``Adam`` and ``AdamW`` this pass replaces it with a ``FusedStep``: on
each replay it reads the hyperparameters from ``opt.param_groups`` (so a learning
rate set by a scheduler is used), updates the same state arrays the optimizer keeps
(``momentum_buffer``, ``exp_avg``, ``step``, ...) in place and counts the step, then
runs one Numba kernel per parameter (``autodiff.kernels.jit_optim``).  The results
equal ``opt.step()`` bit for bit, so eager and compiled steps can be mixed and
``opt.state_dict()`` is always the optimizer's own.

Whenever the fast path does not apply, the replay calls ``opt.step()`` itself, which
then does everything it does eagerly (warnings about missing gradients, creating
the state on a first step, errors): a parameter without a gradient or with a
gradient of another shape or dtype, arrays that are not C-contiguous float32/float64,
state not yet created or restored in another dtype, hyperparameters that are not
Python numbers (a NumPy float64 ``lr`` makes the NumPy code compute in float64), a
subclass (its ``_update`` may differ), and always under ``AUTODIFF_JIT=0`` (the
optimizer's NumPy code is then the replay, so the plan still runs without Numba).
"""

from __future__ import annotations

import math

import numpy as np

from .. import kernels
from ..optim.adam import Adam, AdamW
from ..optim.sgd import SGD
from .plan import Plan

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_nd = np.ndarray


def fuse_optimizer_steps(plan: Plan) -> Plan:
    """Replace the plan's ``opt.step()`` calls of SGD, Adam and AdamW with a
    ``FusedStep`` (nothing changes under ``AUTODIFF_JIT=0``).

    >>> w = ad.nn.Parameter(np.array([1.0, 2.0]))
    >>> opt = ad.optim.SGD([w], lr=0.25, momentum=0.5)
    >>> @ad.compile
    ... def step(x):
    ...     opt.zero_grad(); (w * x).sum().backward(); opt.step()
    >>> for _ in range(3):
    ...     step(np.ones(2))
    >>> w.data                      # steps of 0.25, 0.375, 0.4375, as eager
    array([-0.0625,  0.9375])
    >>> fused = [i for i in step.plan.instrs if i.label.endswith("(fused)")]
    >>> len(fused) == (1 if ad.kernels.JIT_ENABLED else 0)
    True
    """
    if not kernels.JIT_ENABLED:
        return plan
    for instr in plan.instrs:
        if instr.kind != "call" or getattr(instr.fn, "__name__", "") != "step":
            continue
        opt = instr.args[0]
        if type(opt) in _PREPARE:
            instr.fn = FusedStep(instr.fn)
            instr.extra["fused"] = True
            instr.label += " (fused)"
    return plan


class FusedStep:
    """``opt.step()`` as one kernel per parameter; ``method(opt)`` when that cannot be
    (``fallbacks`` counts those calls)."""

    def __init__(self, method):
        self.method = method
        self.module = None
        self.fallbacks = 0

    def __call__(self, opt):
        module = self.module
        if module is None:
            module = self.module = _load()
        if module is False:
            return self._fall_back(opt)
        prepare = _PREPARE[type(opt)]
        work = []
        states = opt.state
        position = 0
        for group in opt.param_groups:
            for p in group["params"]:
                data, grad = p.data, p.grad
                if not (type(grad) is _nd and type(data) is _nd and data.dtype in _FLOATS
                        and grad.dtype is data.dtype and grad.shape == data.shape
                        and data.flags.c_contiguous and grad.flags.c_contiguous
                        and data.flags.writeable):
                    return self._fall_back(opt)
                args = prepare(data, grad.reshape(-1), states[position], group)
                if args is None:
                    return self._fall_back(opt)
                work.append(args)
                position += 1
        run = {"sgd": module.sgd_update, "adam": module.adam_update}
        for kind, state, args in work:
            if kind == "adam":
                state["step"] += 1
                args = _adam_scalars(args, int(state["step"]))
            run[kind](*args)
        opt._step_count += 1
        return None

    def _fall_back(self, opt):
        self.fallbacks += 1
        return self.method(opt)


def _load():
    """The kernels module, or False when Numba is unavailable."""
    if kernels._load() is False:
        return False
    try:
        from ..kernels import jit_optim
    except Exception:       # pragma: no cover - Numba present but broken
        return False
    return jit_optim


def _state_array(state, key, data):
    value = state.get(key)
    if (type(value) is _nd and value.dtype is data.dtype and value.shape == data.shape
            and value.flags.c_contiguous and value.flags.writeable):
        return value.reshape(-1)
    return None


def _python_numbers(*values) -> bool:
    """Hyperparameters the NumPy code would cast to the array's dtype (Python numbers;
    a NumPy float64 ``lr`` would make it compute in float64: left to the optimizer)."""
    return all(type(v) is float or type(v) is int for v in values)


def _prepare_sgd(data, grad, state, group):
    if not _python_numbers(group["lr"], group["weight_decay"], group["momentum"],
                           group["dampening"]):
        return None
    cast = data.dtype.type
    flat = data.reshape(-1)
    momentum = group["momentum"]
    buf = flat
    if momentum:
        buf = _state_array(state, "momentum_buffer", data)
        if buf is None:                 # the first step makes the buffer: eager does it
            return None
    args = (flat, grad, buf, cast(group["lr"]), cast(group["weight_decay"]),
            cast(momentum), cast(1 - group["dampening"]), bool(group["nesterov"]),
            bool(group["maximize"]), bool(momentum))
    return ("sgd", state, args)


def _prepare_adam(data, grad, state, group, decoupled):
    if not _python_numbers(group["lr"], group["weight_decay"], group["eps"], *group["betas"]):
        return None
    if "step" not in state or not isinstance(state["step"], np.ndarray):
        return None
    m = _state_array(state, "exp_avg", data)
    v = _state_array(state, "exp_avg_sq", data)
    if m is None or v is None:
        return None
    v_max = v
    if group["amsgrad"]:
        v_max = _state_array(state, "max_exp_avg_sq", data)
        if v_max is None:
            return None
    return ("adam", state, (data.reshape(-1), grad, m, v, v_max, group, decoupled))


def _adam_scalars(args, t):
    """The kernel's arguments for step ``t``, each scalar as the NumPy code forms it
    (a Python float, then cast to the parameter's dtype)."""
    flat, grad, m, v, v_max, group, decoupled = args
    cast = flat.dtype.type
    b1, b2 = group["betas"]
    lr, wd = group["lr"], group["weight_decay"]
    return (flat, grad, m, v, v_max, cast(b1), cast(1 - b1), cast(b2), cast(1 - b2),
            cast(wd), cast(1 - lr * wd), cast(lr / (1 - b1 ** t)),
            cast(math.sqrt(1 - b2 ** t)), cast(group["eps"]), bool(group["maximize"]),
            decoupled, bool(group["amsgrad"]))


_PREPARE = {
    SGD: _prepare_sgd,
    Adam: lambda data, grad, state, group: _prepare_adam(data, grad, state, group, False),
    AdamW: lambda data, grad, state, group: _prepare_adam(data, grad, state, group, True),
}
