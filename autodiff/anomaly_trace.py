"""Where user code created an op: ``detect_anomaly`` records it on each node it watches
(``node.trace``) and names it in its reports."""

from __future__ import annotations

import linecache
import os
import sys

from .graph import Node

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class Trace(tuple):
    """``(filename, lineno, function)`` of the user code that created an op."""

    __slots__ = ()

    def __new__(cls, filename, lineno, function):
        return tuple.__new__(cls, (filename, lineno, function))

    filename = property(lambda self: self[0])
    lineno = property(lambda self: self[1])
    function = property(lambda self: self[2])

    @property
    def line(self) -> str:
        """The source line, stripped ('' if unavailable)."""
        return linecache.getline(self[0], self[1]).strip()

    def __str__(self):
        name = self[0]
        try:
            rel = os.path.relpath(name)
            if not rel.startswith(".."):
                name = rel
        except ValueError:
            pass
        return f"{name}:{self[1]}"


def user_frame_trace(skip: int = 1) -> Trace | None:
    """The first frame outside the autodiff package, as a ``Trace`` (or None)."""
    frame = sys._getframe(skip)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return None
    return Trace(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)


def where_created(node: Node) -> str:
    """'created at file:line' for a node, or '' when anomaly mode did not record it."""
    trace = getattr(node, "trace", None)
    if trace is None:
        return ""
    if isinstance(trace, Trace):
        line = trace.line
        return f"created at {trace}" + (f": `{line}`" if line else "")
    return f"created at {trace}"


def _created(node):
    trace = getattr(node, "trace", None)
    return f"created at {trace}" if trace is not None else "creation site not recorded"
