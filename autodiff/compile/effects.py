"""What plan steps call besides ops: in-place writes into arrays, functions a replay
calls again (``@replayed_function``), and module buffers read again at each replay.
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


class Buffer:
    """A module's buffer as a plan captures it: ``data`` is the module's attribute now."""

    requires_grad = False

    def __init__(self, module, name):
        self.module, self.name = module, name

    @property
    def data(self):
        return getattr(self.module, self.name)
