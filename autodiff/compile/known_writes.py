"""Captured arrays that compiled plans write in place, with the checksum each write
left, shared by every compiled function of the process.

A plan reads a captured NumPy array itself (not a copy) and traces again when its
checksum changes between calls, since a change made outside the library is not one
the plan knows of.  An array a plan updates in place (an average kept under
``ad.no_grad()``, ``ad.tensor(ema).mul_(0.9).add_(...)``) changes at each of that
plan's replays by a write it knows; when another compiled function reads the same
array (an evaluation step over the average), it finds the checksum the last such
write left and keeps its plan, reading the new values as an input, instead of
tracing again after every call of the first function.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

__all__ = ["note_written", "left_by_a_plan"]

#: ``id(array) -> (weak reference to the array, checksum its last known write left)``;
#: an entry goes when its array does.
_last_written: dict = {}
_lock = threading.Lock()


def note_written(array: np.ndarray, crc: int) -> None:
    """Record that a compiled plan (its trace or a replay) left ``array`` with checksum
    ``crc``."""
    key = id(array)
    with _lock:
        entry = _last_written.get(key)
        if entry is not None and entry[0]() is array:
            _last_written[key] = (entry[0], crc)
            return
        _last_written[key] = (weakref.ref(array, lambda _, key=key: _forget(key)), crc)


def left_by_a_plan(array: np.ndarray, crc: int) -> bool:
    """Whether ``array``'s checksum ``crc`` is the one the last in-place write of a
    compiled plan left (so the array's change between two calls is one a plan made).

    >>> a = np.zeros(2)
    >>> note_written(a, 11)
    >>> left_by_a_plan(a, 11), left_by_a_plan(a, 12), left_by_a_plan(np.zeros(2), 11)
    (True, False, False)
    """
    entry = _last_written.get(id(array))
    return entry is not None and entry[0]() is array and entry[1] == crc


def _forget(key) -> None:
    with _lock:
        entry = _last_written.get(key)
        if entry is not None and entry[0]() is None:
            del _last_written[key]
