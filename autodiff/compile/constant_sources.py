"""The lists and dicts a constant of the plan was made from.

A constant the call makes with NumPy from Python numbers (``call_constants.py``) may
read them from a list or dict that outlives the call: ``np.array(COEFFS)`` with a
module's ``COEFFS = [1.0, 2.0]``, ``np.ones(3) * cfg["scales"]``.  Rebinding the name
traces again (``captures.py``), but ``COEFFS[0] = 5.0`` keeps the same list: so each
such list or dict becomes one of the plan's ``flags``, its contents at the read
compared exactly (pickled: ``-0.0`` and ``0.0`` apart) before each replay, and a call
finding other contents traces again.  A list only the call held (``np.array([1.0,
2.0])``, a literal made anew at each call) is dropped when the trace ends.

>>> COEFFS = [1.0, 2.0]
>>> w = ad.tensor([1.0, 1.0])
>>> f = ad.compile(lambda x: (x * np.array(COEFFS)).sum())
>>> f(w), f(w), f.traces
(tensor(3.), tensor(3.), 1)
>>> COEFFS[0] = 5.0
>>> f(w), f.traces
(tensor(7.), 2)
"""

from __future__ import annotations

import pickle
import reprlib
import sys
import weakref

from .values_read import ValueRead

#: tracer -> [(container, Contents at its first read)] (weak: a trace's own).
_READ: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Contents:
    """A list's or dict's contents at a read, compared exactly."""

    __slots__ = ("pickled", "shown")

    def __init__(self, container):
        try:
            self.pickled = pickle.dumps(container, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:               # (not picklable: never equal, so traced again)
            self.pickled = object()
        self.shown = reprlib.repr(container)

    def __eq__(self, other):
        return type(other) is Contents and self.pickled == other.pickled

    __hash__ = None

    def __repr__(self):
        return self.shown


class ContainerRead(ValueRead):
    """The plan's flag for one list or dict a constant was made from: ``value`` is
    its contents now."""

    __slots__ = ("container",)

    def __init__(self, container, label):
        super().__init__(None, label)
        self.container = container

    @property
    def value(self) -> Contents:
        return Contents(self.container)


def note(tracer, containers) -> None:
    """Record the lists and dicts ``containers`` that a constant of the trace
    ``tracer`` is being made from (the first read of each)."""
    reads = _READ.setdefault(tracer, [])
    for container in containers:
        if not any(container is seen for seen, _ in reads):
            reads.append((container, Contents(container)))


def flags(tracer, line_of=None) -> list:
    """The plan's flags for the containers noted in ``tracer`` that something besides
    the trace still holds (a name, an object): those a later call may find changed."""
    flagged = []
    for container, contents in _READ.pop(tracer, []):
        # (references: the list's tuple, this loop's name and getrefcount's argument)
        if sys.getrefcount(container) > 3:
            label = f"a {type(container).__name__} a constant of the plan was made from"
            flagged.append((ContainerRead(container, label), "value", contents))
    return flagged
