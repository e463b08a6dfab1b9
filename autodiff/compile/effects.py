"""What plan steps call besides ops: in-place writes into arrays, functions a replay
calls again (``@replayed_function``), arrays the library makes off the tape (checked
to keep their traced shape), and module buffers read again at each replay.
"""

from __future__ import annotations

import numpy as np

from ..guard import note_unguarded_write


# Each write is stamped, as the eager in-place methods do (inplace._noted), when the
# results of a function transform that returned still read the array (guard.py).

def write_update(target, value, forward):
    target[...] = forward(target, value)
    note_unguarded_write(target)


def write_item(target, value, key):
    target[key] = value
    note_unguarded_write(target)


def write_clamp(target, lo, hi):
    np.clip(target, lo, hi, out=target)
    note_unguarded_write(target)


class CallWith:
    """``fn(*args, **kwargs)`` for a replayed function (the step holds ``args``)."""

    def __init__(self, fn):
        self.fn = fn
        self.__name__ = getattr(fn, "__name__", "function")

    def __call__(self, args, **kwargs):
        return self.fn(*args, **kwargs)


class NthResult:
    """``fn(*args, **kwargs)[n]``: one of the arrays a NumPy function returns together,
    each of a size the values do not change (``np.unravel_index``, ``np.ix_``)."""

    def __init__(self, fn, n):
        self.fn, self.n = fn, n
        self.__name__ = f"{getattr(fn, '__name__', 'function')}[{n}]"

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)[self.n]


class SameShape:
    """``fn`` for a step that makes an array off the tape (``hooks.made``), or for an op
    whose result's shape or dtype depends on the values (``Op.result_from_values``,
    with ``dtype``): a replay that gets another shape (or dtype) than the trace did
    raises, naming the step, instead of running the plan's later steps on it (their
    shapes and dtypes are fixed)."""

    __slots__ = ("fn", "shape", "label", "line", "dtype", "remedy", "__name__")

    def __init__(self, fn, shape, label, line, dtype=None, remedy=None):
        self.fn, self.shape, self.label, self.line = fn, shape, label, line
        self.dtype, self.remedy = dtype, remedy
        self.__name__ = getattr(fn, "__name__", "function")

    def __call__(self, *args, **kwargs):
        value = self.fn(*args, **kwargs)
        if np.shape(value) != self.shape or (
                self.dtype is not None and np.asarray(value).dtype != self.dtype):
            # (a maker may say what to do instead: ``fn.when_shape_changes``)
            remedy = self.remedy or getattr(
                self.fn, "when_shape_changes",
                "Call the function that makes it outside the compiled function.")
            now, then = np.shape(value), self.shape
            if self.dtype is not None:
                now, then = f"{now} {np.asarray(value).dtype}", f"{then} {self.dtype}"
            what, verb, whats = ("shape", "depends", "shapes") if self.dtype is None else (
                "shape and dtype", "depend", "shapes and dtypes")
            raise RuntimeError(
                f"compile: '{self.label}' at {self.line} gave an array of {what} {now} "
                f"at this call but {then} when traced: its {what} {verb} on the values, "
                f"and a plan's {whats} are fixed. {remedy}")
        return value


class Buffer:
    """A module's buffer as a plan captures it: ``data`` is the module's attribute now."""

    requires_grad = False

    def __init__(self, module, name):
        self.module, self.name = module, name

    @property
    def data(self):
        return getattr(self.module, self.name)


def checked(op, fn, value, line):
    """``fn``, or for an op whose result's shape or dtype depends on the values
    (``op.result_from_values`` says what to do then, as eig's real-or-complex
    eigenvalues) a ``SameShape`` that raises at a replay giving another one."""
    remedy = getattr(op, "result_from_values", None)
    if remedy is None:
        return fn
    return SameShape(fn, value.shape, op.name, line, dtype=value.dtype, remedy=remedy)
