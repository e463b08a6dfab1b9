"""SGD, Adam and AdamW updates as one compiled pass per parameter.

``Optimizer.step`` of these three classes (not of subclasses, whose ``_update`` or
``_decay`` may differ) hands each parameter of at least ``kernels.MIN_ELEMENTWISE``
elements to ``update``, and Adam's and AdamW's parameters of any size once the
kernels are loaded (their dozen NumPy calls cost more than one kernel call; a small
program that never loads the kernels does not pay for Numba).  One Numba kernel
(``autodiff.kernels.jit_optim``) reads the parameter, its gradient and the state
arrays once and writes them once, where the NumPy code makes a pass and a temporary
per operation (Adam: about twelve).  The kernel's arithmetic is the NumPy code's,
operation by operation, in the same dtypes, so the results are equal bit for bit
(``tests/test_optim_fused.py``).  It declines (returns False, and the NumPy code
runs) for what it does not cover: arrays that are not C-contiguous float32/float64
of one dtype, state not yet made (the first step makes it) or restored in another
dtype, hyperparameters that are not Python numbers, ``AUTODIFF_JIT=0``, or no Numba.
``ad.compile`` replays a whole ``opt.step()`` through the same functions
(``autodiff/compile/fused_optim.py``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import kernels

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_nd = np.ndarray
_module = None          # autodiff.kernels.jit_optim once loaded; False if unavailable


def update(opt, data, grad, state, group) -> bool:
    """Update one parameter of ``opt`` (an exact SGD, Adam or AdamW) with the compiled
    kernel; False when it does not apply and nothing was changed.

    >>> w = ad.nn.Parameter(np.ones(2048))
    >>> opt = ad.optim.SGD([w], lr=0.5)
    >>> w.grad = np.ones(2048); opt.step(); float(w.data[0])
    0.5
    """
    kind = type(opt)
    prepare = PREPARE.get(kind)
    if prepare is None or not kernels.JIT_ENABLED or not fits(data, grad):
        return False
    if data.size < kernels.MIN_ELEMENTWISE and not (
            kind in ANY_SIZE and (_module or kernels.loaded())):    # (_module: loaded)
        return False
    work = prepare(data, grad.reshape(-1), state, group)
    if work is None:
        return False
    module = _module if _module is not None else load()
    if module is False:
        return False
    try:
        run(module, work, getattr(opt, "_fused_scalars", None))
    except Exception as error:      # the kernel did not compile (a read-only cache...)
        give_up(error)
        return False
    return True


def give_up(error) -> None:
    """Warn that a kernel failed, and use the NumPy code from now on."""
    global _module
    _module = False
    warnings.warn(f"autodiff.optim: the compiled optimizer update failed ({error!r}); "
                  "the optimizers' NumPy code runs instead", RuntimeWarning, stacklevel=4)


def fits(data, grad) -> bool:
    """A parameter array and its gradient the kernels take: C-contiguous, writable
    (the parameter), float32 or float64, of one dtype and shape."""
    dtype = data.dtype                  # (identity: `in (f32, f64)` compares, 3x slower)
    if not (type(grad) is _nd and type(data) is _nd and (dtype is _F64 or dtype is _F32)
            and grad.dtype is dtype and grad.shape == data.shape):
        return False
    flags = data.flags                  # (each .flags makes an object: read it once)
    return flags.c_contiguous and flags.writeable and grad.flags.c_contiguous


def run(module, work, scalars_seen=None) -> None:
    """Run one prepared update (``PREPARE``), counting an Adam step.

    ``scalars_seen`` (a dict, optional) keeps Adam's scalars across the parameters of
    one ``step()``: those of one group at one step count are the same.
    """
    kind, state, args = work
    if kind == "adam":
        counter = state["step"]
        step = int(counter) + 1
        key = (step, id(args[5]), args[0].dtype)        # the step count, group, dtype
        scalars = None if scalars_seen is None else scalars_seen.get(key)
        if scalars is None:
            scalars = adam_scalars(args, step)
            if scalars_seen is not None:
                scalars_seen[key] = scalars
        module.adam_update(*args[:5], scalars)
        counter.fill(step)      # counted once the update is done (as += 1, without a ufunc)
    else:
        module.sgd_update(*args)


def load():
    """The kernels module, or False when Numba is unavailable."""
    global _module
    if _module is None:
        _module = False
        if kernels._load() is not False:
            try:
                from ..kernels import jit_optim
                _module = jit_optim
            except Exception:       # pragma: no cover - Numba present but broken
                pass
    return _module


def _state_array(state, key, data):
    value = state.get(key)
    if type(value) is _nd and value.dtype is data.dtype and value.shape == data.shape:
        flags = value.flags
        if flags.c_contiguous and flags.writeable:
            return value.reshape(-1)
    return None


def _python_numbers(*values) -> bool:
    """Hyperparameters the NumPy code would cast to the array's dtype (Python numbers;
    a NumPy float64 ``lr`` would make it compute in float64: left to the optimizer)."""
    for v in values:                    # (a loop: all() over a generator costs 3 µs here)
        if type(v) is not float and type(v) is not int:
            return False
    return True


def prepare_sgd(data, grad, state, group):
    scalars = _sgd_scalars(group, data.dtype)
    if scalars is None:
        return None
    flat = data.reshape(-1)
    buf = flat
    if scalars[0][6]:                   # use_momentum
        buf = _state_array(state, "momentum_buffer", data)
        if buf is None:                 # the first step makes the buffer: eager does it
            return None
    return ("sgd", state, (flat, grad, buf) + scalars)


_sgd_scalars_made: dict = {}    # (id(group), dtype) -> (the raw values, their kernel arguments)


def _sgd_scalars(group, dtype):
    """SGD's kernel arguments after the arrays, for one group and dtype, or None when a
    hyperparameter is not a Python number.

    The casts (four NumPy scalars, 2 µs a parameter) are made once and kept while the
    group holds the very same objects: identity, not equality, so that ``-0.0`` after
    ``0.0`` or a NaN is cast again, exactly as the NumPy code would see it.
    """
    raw = sgd_group_sources(group)
    key = (id(group), dtype)
    made = _sgd_scalars_made.get(key)
    if made is not None:
        old = made[0]
        if (raw[0] is old[0] and raw[1] is old[1] and raw[2] is old[2] and raw[3] is old[3]
                and raw[4] is old[4] and raw[5] is old[5]):
            return made[1]
    lr, weight_decay, momentum, dampening, nesterov, maximize = raw
    if not _python_numbers(lr, weight_decay, momentum, dampening):
        return None
    scalars = (np.array([lr, weight_decay, momentum, 1 - dampening, bool(nesterov),
                         bool(maximize), bool(momentum)], dtype),)
    if len(_sgd_scalars_made) >= 64:    # groups come and go: keep the table small
        _sgd_scalars_made.clear()
    _sgd_scalars_made[key] = (raw, scalars)
    return scalars


_adam_numbers_seen: dict = {}   # id(group) -> its (lr, weight_decay, eps, betas) found numbers


def _adam_numbers(group) -> bool:
    """Whether Adam's hyperparameters in ``group`` are Python numbers (``_python_numbers``).

    Asked for every parameter at every step: the answer is kept while the group holds
    the very same objects (identity, as ``_sgd_scalars``; ``betas`` only when it is a
    tuple, which cannot change behind the check).
    """
    lr, weight_decay, eps, betas = (group["lr"], group["weight_decay"], group["eps"],
                                    group["betas"])
    seen = _adam_numbers_seen.get(id(group))
    if (seen is not None and lr is seen[0] and weight_decay is seen[1] and eps is seen[2]
            and betas is seen[3]):
        return True
    if not _python_numbers(lr, weight_decay, eps, *betas):
        return False
    if type(betas) is tuple:
        if len(_adam_numbers_seen) >= 64:   # groups come and go: keep the table small
            _adam_numbers_seen.clear()
        _adam_numbers_seen[id(group)] = (lr, weight_decay, eps, betas)
    return True


def prepare_adam(data, grad, state, group):
    if not _adam_numbers(group):
        return None
    counter = state.get("step")
    if not isinstance(counter, np.ndarray) or not counter.flags.writeable:
        return None             # (the kernel would update, then fail to count)
    m = _state_array(state, "exp_avg", data)
    v = _state_array(state, "exp_avg_sq", data)
    if m is None or v is None:
        return None
    v_max = v
    if group["amsgrad"]:
        v_max = _state_array(state, "max_exp_avg_sq", data)
        if v_max is None:
            return None
    return ("adam", state, (data.reshape(-1), grad, m, v, v_max, group,
                            group["decoupled_weight_decay"]))


def with_gradient(work, grad, state_arrays=()):
    """``work`` made by ``PREPARE`` for another step, with this step's flat gradient;
    None when one of ``state_arrays`` (the state's own arrays, whose flat views the
    work holds: ``STATE_SOURCES``) has become read-only since."""
    if not all_writeable(state_arrays):
        return None
    kind, state, args = work
    return kind, state, (args[0], grad) + args[2:]


def all_writeable(arrays) -> bool:
    """Whether every array may be written: the flag of the state's own array counts,
    as a view made earlier keeps the flag it was made with."""
    for array in arrays:
        if not array.flags.writeable:
            return False
    return True


def sgd_group_sources(group):
    """The hyperparameters ``prepare_sgd`` reads from a parameter group: while a group
    holds the very same objects, its parameters' prepared work stays valid
    (``ad.compile``'s fused step keeps it).  See ``sgd_state_sources`` too."""
    return (group["lr"], group["weight_decay"], group["momentum"], group["dampening"],
            group["nesterov"], group["maximize"])


def sgd_state_sources(state):
    """The state arrays ``prepare_sgd`` reads for a parameter."""
    return (state.get("momentum_buffer"),)


def adam_group_sources(group):
    """What ``prepare_adam`` reads from a parameter group (see ``sgd_group_sources``)."""
    return (group["lr"], group["weight_decay"], group["eps"], group["betas"],
            group["amsgrad"], group["decoupled_weight_decay"])


def adam_state_sources(state):
    """The state arrays ``prepare_adam`` reads for a parameter."""
    return (state.get("step"), state.get("exp_avg"), state.get("exp_avg_sq"),
            state.get("max_exp_avg_sq"))


def adam_scalars(args, t):
    """The kernel's scalars for step ``t`` (one array: see ``adam_update``), each as
    the NumPy code forms it: a Python float, then cast to the parameter's dtype."""
    flat, group, decoupled = args[0], args[5], args[6]
    b1, b2 = group["betas"]
    lr, wd = group["lr"], group["weight_decay"]
    return np.array([b1, 1 - b1, b2, 1 - b2, wd, 1 - lr * wd, lr / (1 - b1 ** t),
                     math.sqrt(1 - b2 ** t), group["eps"], bool(group["maximize"]),
                     decoupled, bool(group["amsgrad"])], flat.dtype)


#: The optimizer classes with a fused update (each registers itself where it is
#: defined): ``prepare(data, flat_grad, state, group)`` gives the work for ``run``,
#: or None.  Besides the parameter's array, that work depends on the objects
#: ``GROUP_SOURCES[cls](group)`` and ``STATE_SOURCES[cls](state)`` give.
PREPARE: dict = {}
GROUP_SOURCES: dict = {}
STATE_SOURCES: dict = {}
#: Those whose small parameters take the kernel too, once the kernels are loaded.
ANY_SIZE: set = set()
