"""Leaves with ``requires_grad`` the traced call makes from a NumPy array.

``ad.tensor(a, requires_grad=True)`` wraps ``a`` (no copy), and a replay reads the
traced tensor's array, as it does a parameter's.  That is right for an array that
lives across calls (``G``, a global or a closure's variable: eager wraps the same
array each call), and wrong for one the call makes (``x.data * 2``, ``np.ones(2)``):
eager wraps a new array each call, while a replay would read the traced values, or
those an update in place left there by the call before.  A replay cannot compute
such an array again (NumPy ran outside the library), so the trace refuses it, naming
the line, as ``refusals.check_fresh_constants`` refuses the arrays of constants.

An array counts as living across calls when it is reachable from what existed before
the call: the globals and closure variables of the user's frames running the call,
and the arguments of the outermost one, through up to ``_DEPTH`` items, attributes
and elements (``G``, ``self.G``, ``cfg["G"]``).
"""

from __future__ import annotations

import os
import weakref

import numpy as np

from .provenance import _PACKAGE_DIR, frame_line
from .refusals import TraceError

_DEPTH = 3
_BUDGET = 20000             # objects looked at, at most, per array


def made(tracer, tensor, array, entry) -> None:
    """``ad.tensor`` (frame ``entry``) made ``tensor`` from ``array`` in the user's
    code: note it when ``array`` was made in the call (see the module docstring)."""
    tracer.user_made.add(id(tensor))
    if type(array) is not np.ndarray or entry is None or entry.f_back is None:
        return
    user = entry.f_back
    if not _reachable(array, _roots(user)):
        # Weakly: a strong reference would count as a holder in check_fresh_constants.
        tracer.fresh_leaf_arrays[id(tensor)] = (weakref.ref(array), frame_line(user))


def check(tracer, tensor) -> None:
    """Refuse ``tensor``, captured by the plan, if it is a leaf with ``requires_grad``
    made in the call over an array the call made."""
    found = tracer.fresh_leaf_arrays.get(id(tensor))
    if found is None or not tensor.requires_grad or tensor.data is not found[0]():
        return
    raise TraceError(
        f"compile: a tensor of shape {tensor.shape} with requires_grad, made at "
        f"{found[1]} from a NumPy array made during the call (NumPy on .data or .grad, "
        "np.ones, a random draw), would keep its traced values in a replay, and carry "
        "one call's in-place updates into the next; eager execution makes it anew at "
        "every call. Make it from Python numbers (ad.tensor([1.0, 1.0], "
        "requires_grad=True)) or with library functions (ad.ones(2, requires_grad="
        "True)), or make it outside the compiled function and pass it in or capture it.")


def _roots(frame) -> list:
    """What existed before the call, seen from ``frame``: the globals and closure
    variables of the user's frames up to the call, and the outermost one's arguments."""
    roots = []
    outermost = None
    while frame is not None and not os.path.abspath(
            frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        code = frame.f_code
        roots.append(frame.f_globals)
        local_names = frame.f_locals
        roots.extend(local_names[name] for name in code.co_freevars if name in local_names)
        outermost, frame = frame, frame.f_back
    if outermost is not None:
        code = outermost.f_code
        count = code.co_argcount + code.co_kwonlyargcount
        count += bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)  # *args, **kw
        roots.extend(outermost.f_locals.get(name) for name in code.co_varnames[:count])
    return roots


def _reachable(array, roots) -> bool:
    seen: set = set()
    level = roots
    for _ in range(_DEPTH + 1):
        following = []
        for value in level:
            if value is array:
                return True
            if id(value) in seen or value is None or isinstance(value, (int, float, str)):
                continue
            seen.add(id(value))
            if len(seen) > _BUDGET:
                return True             # too much to look through: assume it lives on
            if isinstance(value, np.ndarray):
                continue
            if isinstance(value, dict):
                following.extend(value.values())
            elif isinstance(value, (list, tuple, set, frozenset)):
                following.extend(value)
            else:
                attributes = getattr(value, "__dict__", None)
                if type(attributes) is dict:
                    following.extend(attributes.values())
        level = following
    return False
