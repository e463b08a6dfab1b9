"""Where user code created an op: ``detect_anomaly`` records it on each node it watches
(``node.trace``) and names it in its reports.  An op recorded by the gradient rule of
another op (a higher derivative) is named as part of that op, the one the user wrote."""

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


class RuleTrace(Trace):
    """A ``Trace`` of an op recorded by the gradient rule of another op (a backward with
    ``create_graph=True``): also the name of that op and where the user created it."""

    __slots__ = ()

    def __new__(cls, trace, rule_op, rule_site):
        return tuple.__new__(cls, (*trace, rule_op, rule_site))

    rule_op = property(lambda self: self[3])
    rule_site = property(lambda self: self[4])


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
    if isinstance(trace, RuleTrace):
        site = f" (created at {trace.rule_site})" if trace.rule_site is not None else ""
        return (f"recorded by the gradient rule of {trace.rule_op}{site}, which the backward "
                f"pass at {Trace.__str__(trace)} ran with create_graph=True")
    if isinstance(trace, Trace):
        line = trace.line
        return f"created at {trace}" + (f": `{line}`" if line else "")
    return f"created at {trace}"


def _created(node):
    trace = getattr(node, "trace", None)
    return f"created at {trace}" if trace is not None else "creation site not recorded"


def inside_a_rule_cause(trace) -> str:
    """The cause of a NaN made by an op that the gradient rule of another op recorded
    for a higher derivative: the user wrote that op, not the where or hypot inside."""
    from .ops.registry import REGISTRY          # (the entry's guarded_point says where)
    op = trace.rule_op
    entry = REGISTRY.get(op)
    point = ((entry.guarded_point if entry is not None else None)
             or "the point where its derivative is infinite")
    return (f"  cause: this op is internal to the gradient rule of {op} (recorded for a "
            f"higher derivative with create_graph=True), not in your code: at {point} "
            f"{op} has no finite derivative of this order, and the rule's guard sends 0 "
            f"into an infinite local derivative (0·inf = NaN). Keep the inputs of {op} away "
            f"from {point} when taking this derivative (add an eps, or mask those entries "
            f"out before {op}).")
