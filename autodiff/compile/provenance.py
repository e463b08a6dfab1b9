"""Where a value the tracer sees came from: the user's line, the library call the
user's code made, whether the user's code passed the value in, and whether it is made
of Python numbers only (a constant, fixed at the trace as Python numbers are)."""

from __future__ import annotations

import inspect
import os
import sys

from ..ops.operands import python_numbers  # noqa: F401  (re-exported)
from ..tape_drop import in_library
from ..tensor import Tensor

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def user_line() -> str:
    """``file:line`` of the innermost frame outside this library and NumPy's Python
    code (``np.poly1d`` calling ``trim_zeros`` on a traced tensor: the user's line
    that made the poly1d)."""
    frame = sys._getframe(1)
    while frame is not None:
        if not in_library(frame.f_code.co_filename):
            return frame_line(frame)
        frame = frame.f_back
    return "?"


def numpy_caller() -> str:
    """The NumPy function the user's code called that called into this library
    (``" (inside np.poly1d)"``), or ``""`` when the user's code called it directly."""
    frame, outermost = sys._getframe(1), None
    while frame is not None and in_library(frame.f_code.co_filename):
        if not os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
            outermost = frame
        frame = frame.f_back
    if outermost is None:
        return ""
    code = outermost.f_code
    name = getattr(code, "co_qualname", code.co_name).split(".")[0]
    return f" (inside np.{name})"


def frame_line(frame, lineno=None) -> str:
    """``file:line`` of ``frame`` (at ``lineno`` when given: a traceback's line).

    >>> frame_line(sys._getframe()).startswith("<doctest")
    True
    """
    return f"{os.path.basename(frame.f_code.co_filename)}:{lineno or frame.f_lineno}"


def leaf_label(leaf) -> str:
    """A tensor's name for messages: its name, else ``leaf`` and its shape.

    >>> leaf_label(Tensor([1.0, 2.0]))
    'leaf[2]'
    """
    name = getattr(leaf, "_name", None)
    return name if name is not None else f"leaf{list(leaf.shape)}"


def entry_frame():
    """The frame of the library call the user's code made (the outermost library
    frame), or None."""
    frame = sys._getframe(2)
    entry = None
    while frame is not None and os.path.abspath(
            frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        entry, frame = frame, frame.f_back
    return entry if frame is not None else None


def passed_in(value, user_made) -> bool:
    """Whether the user's code gave ``value``, or a tensor holding it that the user's
    code made (``ad.tensor(x.data.sum())``), to the library call now running, rather
    than the library making it (from a Python number, say)."""
    entry = entry_frame()
    if entry is None:
        return False
    code = entry.f_code
    count = (code.co_argcount + code.co_kwonlyargcount
             + bool(code.co_flags & inspect.CO_VARARGS)
             + bool(code.co_flags & inspect.CO_VARKEYWORDS))
    local = entry.f_locals
    for a in nested_items([local.get(name) for name in code.co_varnames[:count]]):
        if a is value or (isinstance(a, Tensor) and a.data is value and id(a) in user_made):
            return True
    return False


def nested_items(value):
    """The items of ``value`` and of the tuples, lists and dicts in it, at any depth.

    >>> list(nested_items([1, (2, {"a": 3})]))
    [3, 2, 1]
    """
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, (tuple, list)):
            todo.extend(item)
        elif isinstance(item, dict):
            todo.extend(item.values())
        else:
            yield item
