"""NumPy arrays a compiled function reaches by name whose values a replay does not read.

An array given to an op is read by each replay (or checksummed: a change traces
again).  But Python may read an array's values while tracing, where no op sees it:
``float(self.gain)``, ``self.table[3]``, ``if MASK.any():``; what it computed from
them is fixed into the plan, and NumPy arrays cannot report such reads (as tensors do,
``values_read.py``).  So each small array the function's names reach that the plan
holds no part of, and that the call left unchanged, becomes one of the plan's
``flags``: its contents are compared before each replay, and a call finding them
changed (``model.gain += 0.5`` between calls) traces again.

>>> GAIN = np.ones(())
>>> w = ad.tensor([1.0, 2.0])
>>> f = ad.compile(lambda x: (w * x).sum() * float(GAIN))
>>> f(np.ones(2)), f.traces
(tensor(3.), 1)
>>> GAIN += 1.0
>>> f(np.ones(2)), f.traces
(tensor(6.), 2)
"""

from __future__ import annotations

import numpy as np

from .values_read import Snapshot, ValueRead

#: Arrays up to this many bytes are compared before each replay; a larger one (a data
#: set a step indexes into) would cost a copy per call, and is left to the plan.
MAX_BYTES = 4096


class ArrayRead(ValueRead):
    """The plan's flag for one array whose values the trace may have read into Python:
    ``value`` is its contents now."""

    __slots__ = ("array",)

    def __init__(self, array, label):
        super().__init__(None, label)
        self.array = array

    @property
    def value(self) -> Snapshot:
        return Snapshot(self.array)


def array_flags(plan, arrays, sums_before, sums_after, replayed_arrays=()) -> list:
    """The flags for the arrays of ``arrays`` (``{path: array}``: ``arrays_reached``
    after the call, ``sums_*`` their ``array_sums`` before and after it) and of the
    plan's ``bindings`` (the arrays the functions it reaches name, ``GAIN`` in a
    module's forward) that the call did not change and that share no memory with an
    array the plan holds, nor with ``replayed_arrays``: the arrays of objects whose
    ``@replayed`` methods the plan calls again (spectral norm's power-iteration vectors),
    which each replay reads and writes anew."""
    held = [a.view(np.ndarray) for a in plan.constant_values.values()
            if isinstance(a, np.ndarray)]
    held += [t.data for t, _ in plan.captured]
    held += list(replayed_arrays)
    changed = {id(arrays[path]) for path, crc in sums_after.items()
               if path in sums_before and sums_before[path] != crc}
    named = {id(a) for a in arrays.values()}
    arrays = dict(arrays)
    for _, key, value in plan.bindings:
        if isinstance(value, np.ndarray) and id(value) not in named:
            named.add(id(value))
            arrays[key if isinstance(key, str) else "a name's array"] = value
    flags = []
    for path, array in arrays.items():
        if (array.nbytes > MAX_BYTES or array.dtype.hasobject or id(array) in changed
                or any(np.may_share_memory(array, other) for other in held)):
            continue
        label = f"the values of the array {path}"
        flags.append((ArrayRead(array, label), "value", Snapshot(array)))
    return flags
