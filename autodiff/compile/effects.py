"""What plan steps call besides ops: in-place writes into arrays, functions a replay
calls again (``@replayed_function``), and module buffers read again at each replay.
"""

from __future__ import annotations

import numpy as np


def write_update(target, value, forward):
    target[...] = forward(target, value)


def write_item(target, value, key):
    target[key] = value


def write_clamp(target, lo, hi):
    np.clip(target, lo, hi, out=target)


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
