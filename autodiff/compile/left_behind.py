"""Tensors a traced call made and left where the function's names reach them.

A replay runs none of the function's Python code: ``history.append(loss)``,
``stats["last"] = loss`` or ``self.cache = h`` in a module's forward happen once,
while tracing, and the list, dict or module then keeps the traced call's tensor
while every later call computes new values.  After a trace,
``warn_of_tensors_left_behind`` looks through what the function reaches by name
(its closure, the globals it names, the object of a bound method) and the modules
the call used, for tensors the call made, and warns naming where each one is
(``history[0]``, ``model.cache``), at the line that called the compiled function.
"""

from __future__ import annotations

import types
import warnings

import numpy as np

from ..tensor import Tensor

_MAX_DEPTH = 12             # model -> its dict -> _modules -> block -> ... -> an attribute
_MAX_OBJECTS = 20000        # objects looked at, in all
_MAX_ITEMS = 1000           # items looked at in one list or dict (the last ones: appends)
_SKIPPED = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
            types.MethodType, type, np.ndarray, np.generic, str, bytes, int, float,
            complex, bool, type(None))


class StaleTensorWarning(UserWarning):
    """A compiled function left a tensor it made in an object that outlives the call
    (a list, a dict, a module attribute): replays do not run that Python code, so the
    object keeps the first call's tensor."""


def warn_of_tensors_left_behind(tracer, plan, roots, stacklevel) -> None:
    """Warn for each tensor made during the traced call that ``roots`` (``(label,
    object)`` pairs) reach, other than the leaves and captured tensors the plan
    itself uses again.

    >>> from autodiff.compile.tracer import Tracer
    >>> from autodiff.compile.plan import Plan
    >>> warn_of_tensors_left_behind(Tracer("f"), Plan("f", [], [], [], [], None, []),
    ...                             [("history", [])], stacklevel=1)  # nothing to say
    """
    used_again = {id(t) for _, t in plan.leaves if isinstance(t, Tensor)}
    used_again |= {id(t) for t, _ in plan.captured}
    found = []
    todo = [(obj, label, 0) for label, obj in reversed(roots)]
    seen: set = set()
    while todo and len(seen) < _MAX_OBJECTS:
        item, path, depth = todo.pop()
        if id(item) in seen or isinstance(item, _SKIPPED) or _internal(item):
            continue
        seen.add(id(item))
        if isinstance(item, Tensor):
            if id(item) in tracer.made_during and id(item) not in used_again:
                found.append((path, item))
            continue
        if depth >= _MAX_DEPTH:
            continue
        todo += reversed(_parts(item, path, depth + 1))
    for path, tensor in found:
        warnings.warn(
            f"compile: {tracer.name} left a tensor it made (shape {tensor.shape}) in "
            f"{path}; a replay does not run the function's Python code, so {path} keeps "
            "this first call's tensor while later calls compute new values. Return the "
            "tensor from the compiled function and store it after the call "
            "(history.append(step(x))), or keep it outside the compiled function.",
            StaleTensorWarning, stacklevel=stacklevel + 1)


def _parts(item, path, depth) -> list:
    """What ``item`` holds, as ``(object, path, depth)``."""
    if isinstance(item, dict):
        entries = list(item.items())[-_MAX_ITEMS:]
        return [(v, f"{path}[{k!r}]", depth) for k, v in entries]
    if isinstance(item, (list, tuple)):
        start = max(len(item) - _MAX_ITEMS, 0)
        return [(item[i], f"{path}[{i}]", depth) for i in range(start, len(item))]
    if isinstance(item, (set, frozenset)):
        return [(v, f"an item of {path}", depth) for v in list(item)[:_MAX_ITEMS]]
    if not hasattr(item, "__dict__"):
        return []
    parts = []
    for key, value in vars(item).items():
        if key in _MODULE_TABLES and isinstance(value, dict):
            # A module's submodules and parameters read as its attributes: model.fc
            parts += [(v, f"{path}.{k}", depth) for k, v in value.items()]
        elif not key.startswith("__"):
            parts.append((value, f"{path}.{key}", depth))
    return parts


_MODULE_TABLES = ("_modules", "_parameters", "_buffers")


def _internal(item) -> bool:
    """The compiler's own objects (a ``Compiled`` the function names, its plans)."""
    return type(item).__module__.startswith("autodiff.compile")
