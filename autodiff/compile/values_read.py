"""Values of untraced tensors read into Python while tracing.

A tensor the trace does not follow (a buffer, a tensor captured from outside that
needs no gradient) may give its value to Python: ``if self.initialized.item() == 0:``,
``range(int(n))``.  The plan holds the path that value chose, so a replay is right only
while the tensor holds the same value: each such read becomes one of the plan's
``flags`` (``ValueRead.value``, the value at the read), and a call finding another value
traces again (or replays the plan made for that value, if it is still cached).  (A
tensor the call wrote from traced values before the read is traced, and its read
refused: ``refusals.refuse_value_leaving``.)

>>> flag = ad.tensor(0)
>>> @ad.compile
... def f(x):
...     if flag.item() == 0:
...         flag.fill_(1)
...         return x * 2
...     return x * 3
>>> f(np.ones(1)), f(np.ones(1)), f.traces
(tensor([2.]), tensor([3.]), 2)
"""

from __future__ import annotations

import numpy as np

#: The reads that take a tensor's value into Python (``Tensor.value_hook``'s ``what``);
#: ``np.asarray`` and DLPack give the array itself, which the refusals of arrays made
#: in the call follow.
_VALUE_READS = ("item()", "bool()", "tolist()", "an integer index", "a format string",
                "() (an if/while on its value)")


class Snapshot:
    """A tensor's values at a read, compared exactly (dtype, shape and bytes)."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = np.array(array, copy=True)

    def __eq__(self, other):
        a, b = self.array, other.array
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()

    __hash__ = None

    def __repr__(self):
        return np.array2string(self.array, threshold=8)


class ValueRead:
    """The plan's flag for one tensor whose value a trace read: ``value`` is the
    tensor's value now."""

    __slots__ = ("tensor", "label")

    def __init__(self, tensor, label):
        self.tensor, self.label = tensor, label

    @property
    def value(self) -> Snapshot:
        return Snapshot(self.tensor.data)


def note(tracer, tensor, what: str, line: str) -> None:
    """Record that the trace read ``tensor``'s value into Python (``what`` at
    ``line``): the first read of each tensor from before the call."""
    if (id(tensor) in tracer.made_during or id(tensor) in tracer.values_read
            or not any(read in what for read in _VALUE_READS)):
        return
    label = f"the value of a tensor read by {what.split(' (')[0]} at {line}"
    tracer.values_read[id(tensor)] = (ValueRead(tensor, label), "value", Snapshot(tensor.data))
