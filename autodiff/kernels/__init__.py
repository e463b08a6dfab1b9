"""Hot-path kernels on plain ndarrays (no Tensor import).

Each kernel has a NumPy twin in ``numpy_twins``; the ops call only the names
exported here.  With Numba available, float32/float64 C-contiguous arrays that are
large enough go to the compiled kernels in ``jit``; everything else (float16,
integers, non-contiguous views, 0-d and tiny arrays, where the call overhead would
dominate) takes the twin, so results are identical there.  ``AUTODIFF_JIT=0`` in the
environment (read at import) selects the twins everywhere; ``JIT_ENABLED`` tells
which.

Compilation is lazy: ``import autodiff`` neither imports Numba nor compiles
anything; the first large call imports ``jit`` and compiles (or loads from Numba's
on-disk cache) the kernels it needs.  If the cache cannot be written the kernels are
compiled without it; if Numba is missing or a kernel fails to compile, the twin is
used and a warning says so once.

Which path each name takes is decided by measurement (``python -m bench``): where
NumPy's own SIMD loop is as fast as a compiled one (``tanh``, ``exp``, ``relu``
forward), the name is the NumPy function.

>>> import numpy as np
>>> from autodiff import kernels
>>> kernels.sigmoid(np.zeros(3))
array([0.5, 0.5, 0.5])
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from . import numpy_twins as _twins

JIT_ENABLED = os.environ.get("AUTODIFF_JIT", "1").strip().lower() not in ("0", "false", "no", "off")

#: Below these sizes (elements) the NumPy twin is used: a compiled call costs about
#: 1 µs, and small programs then never pay for importing Numba and loading kernels.
MIN_ELEMENTWISE = 1024
MIN_ROWS = 512
MIN_SCATTER = 256

_nd = np.ndarray
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))     # native byte order only
_jit = None          # the ``jit`` module once loaded; False when unavailable
_failed = set()      # kernels that could not be compiled: they use the twin


def _load():
    global _jit
    if _jit is None:
        try:
            from . import jit as module
        except Exception as error:  # Numba missing or broken: NumPy everywhere
            warnings.warn(f"autodiff.kernels: Numba kernels unavailable ({error!r}); "
                          "using the NumPy versions", RuntimeWarning, stacklevel=3)
            module = False
        _jit = module
    return _jit


def _call(name, twin, *args):
    module = _jit if _jit is not None else _load()
    if module is False or name in _failed:
        return twin(*args)
    try:
        return getattr(module, name)(*args)
    except module.CompileFailure as error:
        if isinstance(error, OSError) and module._CACHE:
            module.disable_cache()          # e.g. a read-only cache location
            return _call(name, twin, *args)
        _failed.add(name)
        warnings.warn(f"autodiff.kernels: compiling {name} failed ({error!r}); using the "
                      "NumPy version", RuntimeWarning, stacklevel=3)
        return twin(*args)


def _ok(a, minimum):
    # type check first: it is the cheap test that rejects scalars and Python floats.
    return (type(a) is _nd and a.size >= minimum and a.dtype in _FLOATS
            and a.flags.c_contiguous)


def _ok2(a, b, minimum):
    return (_ok(a, minimum) and type(b) is _nd and b.dtype is a.dtype and b.shape == a.shape
            and b.flags.c_contiguous)


def _last_axis(a, axis):
    return type(axis) is int and (axis == -1 or axis == a.ndim - 1)


# ----- elementwise ------------------------------------------------------------------
# NumPy's own SIMD loops for tanh and exp are as fast as or faster than a compiled
# loop here, and exp's backward is one multiply: these stay NumPy.
tanh = np.tanh
exp = np.exp
relu = _twins.relu


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), stable for any finite x.

    >>> sigmoid(np.array([0.0, 100.0]))
    array([0.5, 1. ])
    """
    if JIT_ENABLED and _ok(x, MIN_ELEMENTWISE):
        return _call("sigmoid", _twins.sigmoid, x)
    return _twins.sigmoid(x)


def sigmoid_backward(g: np.ndarray, s: np.ndarray) -> np.ndarray:
    """g * s * (1 - s), given the sigmoid output s."""
    if JIT_ENABLED and _ok2(g, s, MIN_ELEMENTWISE):
        return _call("sigmoid_backward", _twins.sigmoid_backward, g, s)
    return _twins.sigmoid_backward(g, s)


def tanh_backward(g: np.ndarray, t: np.ndarray) -> np.ndarray:
    """g * (1 - t**2), given the tanh output t."""
    if JIT_ENABLED and _ok2(g, t, MIN_ELEMENTWISE):
        return _call("tanh_backward", _twins.tanh_backward, g, t)
    return _twins.tanh_backward(g, t)


def relu_backward(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    """g where x > 0, else 0."""
    if JIT_ENABLED and _ok2(g, x, MIN_ELEMENTWISE):
        return _call("relu_backward", _twins.relu_backward, g, x)
    return _twins.relu_backward(g, x)


def leaky_relu(x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """x where x > 0, else slope * x."""
    if JIT_ENABLED and _ok(x, MIN_ELEMENTWISE) and type(slope) in (float, int):
        return _call("leaky_relu", _twins.leaky_relu, x, slope)
    return _twins.leaky_relu(x, slope)


def leaky_relu_backward(g: np.ndarray, x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """g where x > 0, else slope * g."""
    if JIT_ENABLED and _ok2(g, x, MIN_ELEMENTWISE) and type(slope) in (float, int):
        return _call("leaky_relu_backward", _twins.leaky_relu_backward, g, x, slope)
    return _twins.leaky_relu_backward(g, x, slope)


# ----- softmax family (compiled along the last axis only) ---------------------------

def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x - max) / sum(exp(x - max)) along ``axis``.

    >>> softmax(np.array([[0.0, 0.0]]))
    array([[0.5, 0.5]])
    """
    if JIT_ENABLED and _ok(x, MIN_ROWS) and _last_axis(x, axis):
        return _call("softmax", _twins.softmax, x, axis)
    return _twins.softmax(x, axis)


def softmax_backward(g: np.ndarray, s: np.ndarray, axis: int = -1) -> np.ndarray:
    """s * (g - sum(g * s, axis)), given the softmax output s."""
    if JIT_ENABLED and _ok2(g, s, MIN_ROWS) and _last_axis(g, axis):
        return _call("softmax_backward", _twins.softmax_backward, g, s, axis)
    return _twins.softmax_backward(g, s, axis)


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """x - max - log(sum(exp(x - max))) along ``axis``."""
    if JIT_ENABLED and _ok(x, MIN_ROWS) and _last_axis(x, axis):
        return _call("log_softmax", _twins.log_softmax, x, axis)
    return _twins.log_softmax(x, axis)


def log_softmax_backward(g: np.ndarray, ans: np.ndarray, axis: int = -1) -> np.ndarray:
    """g - exp(ans) * sum(g, axis), given the log-softmax output ans."""
    if JIT_ENABLED and _ok2(g, ans, MIN_ROWS) and _last_axis(g, axis):
        return _call("log_softmax_backward", _twins.log_softmax_backward, g, ans, axis)
    return _twins.log_softmax_backward(g, ans, axis)


def _targets_ok(target, n):
    return (type(target) is _nd and target.shape == (n,) and target.dtype.isnative
            and (target.dtype.kind == "i" or (target.dtype.kind == "u" and target.itemsize < 8)))


def cross_entropy(logits: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean cross-entropy of (N, C) logits against integer targets, and the softmax.

    One pass per row: the probabilities are returned for the backward.

    >>> loss, probs = cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    >>> float(loss), probs[0, 0]
    (1.3862943611198906, np.float64(0.25))
    """
    if (JIT_ENABLED and _ok(logits, MIN_ROWS) and logits.ndim == 2
            and _targets_ok(target, logits.shape[0])):
        return _call("cross_entropy", _twins.cross_entropy, logits, target)
    return _twins.cross_entropy(logits, target)


def cross_entropy_backward(g: np.ndarray, probs: np.ndarray, target: np.ndarray) -> np.ndarray:
    """g * (probs - onehot(target)) / N."""
    if (JIT_ENABLED and _ok(probs, MIN_ROWS) and probs.ndim == 2
            and _targets_ok(target, probs.shape[0])
            and (type(g) in (float, int) or (isinstance(g, (_nd, np.generic))
                                             and g.dtype == probs.dtype and g.size == 1))):
        return _call("cross_entropy_backward", _twins.cross_entropy_backward, g, probs, target)
    return _twins.cross_entropy_backward(g, probs, target)


# ----- scatter-add ------------------------------------------------------------------

def _scatter_axis(out, key):
    """The axis and index array when ``key`` is one integer array (after full slices)."""
    if type(key) is _nd:
        return 0, key
    if type(key) is not tuple:
        return None
    axis = None
    for i, part in enumerate(key):
        if type(part) is _nd and axis is None:
            axis = i
        elif not (type(part) is slice and part == slice(None)):
            return None
    return None if axis is None else (axis, key[axis])


def scatter_add(out: np.ndarray, key, values: np.ndarray) -> np.ndarray:
    """out[key] += values with repeated indices accumulating (``np.add.at`` semantics).

    Compiled when ``key`` is one integer array, optionally after full slices
    (``(slice(None),) * axis + (idx,)``, as ``take`` produces), ``values`` has exactly
    the indexed shape and both arrays share a float dtype; otherwise ``np.add.at``.

    >>> scatter_add(np.zeros(3), np.array([0, 0, 2]), np.ones(3))
    array([2., 0., 1.])
    """
    if JIT_ENABLED and type(values) is _nd and values.size >= MIN_SCATTER and _ok(out, 1):
        found = _scatter_axis(out, key)
        if found is not None:
            axis, idx = found
            if (idx.dtype.kind == "i" and idx.dtype.isnative and values.dtype == out.dtype
                    and values.shape == out.shape[:axis] + idx.shape + out.shape[axis + 1:]):
                return _call("scatter_add", _scatter_twin, out, axis, idx,
                             np.ascontiguousarray(values))
    return _twins.scatter_add(out, key, values)


def _scatter_twin(out, axis, idx, values):
    return _twins.scatter_add(out, (slice(None),) * axis + (idx,), values)
