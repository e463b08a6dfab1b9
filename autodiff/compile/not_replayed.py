"""What a traced call did in plain Python that a replay does not do again.

A replay runs none of the function's Python code, so these effects happen only once,
while tracing, and are warned about (``NotReplayedWarning``, at the line that called
the compiled function, or that showed the tensor):

* a tensor the call made and left where the function's names reach it
  (``history.append(loss)``, ``stats["last"] = loss``, ``self.cache = h`` in a
  module's forward): that list, dict or module keeps the first call's tensor while
  later calls compute new values (``warn_of_tensors_left_behind``);
* a tensor shown while tracing (``print(loss)``, ``repr``, ``str``): only the first
  call shows it (``warn_of_shown_tensor``, once per line);
* an array stored where the function's names reach it (``self.mean = 0.9 *
  self.mean + 0.1 * x.data.mean(0)``, ``stats["mu"] = mu``): it stays the first
  call's array (``arrays_reached`` before and after, ``warn_of_arrays_left_behind``);
* an array the function's names reach changed in place by NumPy in the call
  (``self.mean *= 0.9``, ``G[0] += 1``): it keeps the values the trace left, while
  eager execution changes it at every call (``array_sums`` before and after,
  ``warn_of_arrays_changed``);
* a number the function's names hold, or an attribute of a module they reach, or an
  entry of a dict or plain object they reach that its code names, changed by the call
  (``global steps; steps += 1``, ``self.calls += 1`` in a forward, ``state["k"] += 1``,
  ``last_lr = opt.param_groups[0]["lr"]``): it keeps the value the trace left
  (``numbers_reached`` and ``numbers_in_containers`` before and after the call,
  ``warn_of_numbers_changed``).
"""

from __future__ import annotations

import os
import sys
import types
import warnings
import zlib

import numpy as np

from ..tensor import Tensor

_MAX_DEPTH = 12             # model -> its dict -> _modules -> block -> ... -> an attribute
_MAX_OBJECTS = 20000        # objects looked at, in all
_MAX_ITEMS = 1000           # items looked at in one list or dict (the last ones: appends)
_SKIPPED = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
            types.MethodType, type, np.generic, str, bytes, int, float,
            complex, bool, type(None))


class NotReplayedWarning(UserWarning):
    """A compiled function's trace did something in plain Python that its replays do
    not do again: it showed a tensor (``print``), left a tensor it made in a list, a
    dict or a module attribute, or changed a number its names reach (a counter)."""


def warn_of_tensors_left_behind(tracer, plan, roots, stacklevel,
                                spare_optimizer_state=False) -> bool:
    """Warn for each tensor made during the traced call that ``roots`` (``(label,
    object)`` pairs) reach, other than the leaves and captured tensors the plan
    itself uses again.  With ``spare_optimizer_state``, a tensor an optimizer's state
    holds (made lazily in its first ``step()``: ``state["exp_avg"] =
    zeros_like(p)``) is not warned of; returns whether there was one, so that the
    caller traces again, the state then being there before the call.

    >>> from autodiff.compile.tracer import Tracer
    >>> from autodiff.compile.plan import Plan
    >>> warn_of_tensors_left_behind(Tracer("f"), Plan("f", [], [], [], [], None, []),
    ...                             [("history", [])], stacklevel=1)  # nothing to say
    False
    """
    from ..optim.optimizer import Optimizer

    used_again = {id(t) for _, t in plan.leaves if isinstance(t, Tensor)}
    used_again |= {id(t) for t, _ in plan.captured}
    found, in_state = [], set()
    for item, path in reachable(roots):
        if isinstance(item, Optimizer) and spare_optimizer_state:
            in_state |= {id(t) for state in item.state for t in state.values()}
        elif (isinstance(item, Tensor) and id(item) in tracer.made_during
              and id(item) not in used_again):
            found.append((path, item))
    made_state = [pair for pair in found if id(pair[1]) in in_state]
    for path, tensor in found if not made_state else []:
        warnings.warn(
            f"compile: {tracer.name} left a tensor it made (shape {tensor.shape}) in "
            f"{path}; a replay does not run the function's Python code, so {path} keeps "
            "this first call's tensor while later calls compute new values. Return the "
            "tensor from the compiled function and store it after the call "
            "(history.append(step(x))), or keep it outside the compiled function.",
            NotReplayedWarning, stacklevel=stacklevel + 1)
    return bool(made_state)


def reachable(roots):
    """``(object, path)`` for what ``roots`` (``(label, object)`` pairs) reach through
    lists, tuples, sets, dicts and objects' attributes (``model.fc.cache``,
    ``env['gen']``), depth first, each object once, tensors and arrays not looked
    into; bounded
    (``_MAX_DEPTH``, ``_MAX_OBJECTS``, ``_MAX_ITEMS``).

    >>> [path for _, path in reachable([("env", {"rate": [0.5]})])]
    ['env', "env['rate']"]
    """
    todo = [(obj, label, 0) for label, obj in reversed(roots)]
    seen: set = set()
    while todo and len(seen) < _MAX_OBJECTS:
        item, path, depth = todo.pop()
        if id(item) in seen or isinstance(item, _SKIPPED) or _internal(item):
            continue
        seen.add(id(item))
        yield item, path
        if depth < _MAX_DEPTH and not isinstance(item, (Tensor, np.ndarray)):
            todo += reversed(_parts(item, path, depth + 1))


def arrays_reached(roots) -> dict:
    """``{path: array}`` for the NumPy arrays ``roots`` reach (``reachable``), but for
    the state of optimizers, which a replay updates in place.

    >>> arrays_reached([("stats", {"mean": np.zeros(2)})])
    {"stats['mean']": array([0., 0.])}
    """
    from ..optim.optimizer import Optimizer

    found, kept = {}, set()
    for item, path in reachable(roots):
        if isinstance(item, np.ndarray):
            found[path] = item
        elif isinstance(item, Optimizer):
            kept |= {id(a) for state in item.state for a in state.values()}
    return {path: a for path, a in found.items() if id(a) not in kept}


def warn_of_arrays_left_behind(name, before, after, stacklevel) -> None:
    """Warn for each array of ``after`` (``arrays_reached`` after the traced call) that
    is not the object ``before`` had at its place: the call stored it (``self.mean =
    0.9 * self.mean + 0.1 * x.data.mean(0)``, ``stats['mu'] = mu``), and a replay,
    which runs no Python code, does not store the next one."""
    for path, array in after.items():
        if before.get(path) is array:
            continue
        warnings.warn(
            f"compile: {name} stored an array in {path} while tracing; a replay does not "
            f"run the function's Python code, so {path} keeps this first call's array "
            "(and every replay reuses its values where the function reads it). Compute "
            "it with tensor ops and update the stored array in place under ad.no_grad() "
            "(a replay repeats those), or store it after the call.",
            NotReplayedWarning, stacklevel=stacklevel + 1)


def array_sums(arrays) -> dict:
    """``{path: checksum}`` of the arrays of ``arrays_reached`` (not object arrays)."""
    return {path: zlib.crc32(np.ascontiguousarray(a).view(np.uint8).reshape(-1).data)
            for path, a in arrays.items() if not a.dtype.hasobject}


def warn_of_arrays_changed(plan, before, sums, after, written, stacklevel) -> None:
    """Warn for each array of ``before`` (``arrays_reached`` before the traced call,
    ``sums`` their ``array_sums``) that is still in its place but changed its values
    during the call outside what a replay repeats: the user's NumPy wrote into it
    (``self.mean *= 0.9``, ``G[0] += 1``).  Writes a replay repeats are those into the
    arrays ``written`` (in-place tensor ops) and into what the plan's ``call`` steps
    (``@replayed`` methods and functions) reach."""
    now = array_sums({path: a for path, a in after.items() if before.get(path) is a})
    changed = [path for path, crc in now.items() if sums.get(path, crc) != crc]
    if not changed:
        return
    replayed = reachable([(i.label, i.args[0]) for i in plan.instrs if i.kind == "call"])
    kept = {id(item) for item, _ in replayed if isinstance(item, np.ndarray)}
    for path in changed:
        array = after[path]
        if id(array) in kept or any(np.may_share_memory(array, w) for w in written):
            continue
        warnings.warn(
            f"compile: {plan.name} changed the array {path} in place while tracing, "
            "outside the library (NumPy on it); a replay does not run the function's "
            f"Python code, so later calls leave {path} as this first call left it. "
            "Update it with in-place tensor ops under ad.no_grad() (a replay repeats "
            "those), or change it outside the compiled function.",
            NotReplayedWarning, stacklevel=stacklevel + 1)


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
    """The compiler's own objects (a ``Compiled`` the function names, its plans), but
    for arrays (a ``CallConstant`` the call left behind is the user's array)."""
    return type(item).__module__.startswith("autodiff.compile") and not isinstance(
        item, np.ndarray)


def numbers_reached(named) -> dict:
    """``{label: number}``: the numbers among ``named`` (``(label, value)`` pairs: the
    function's closure, globals, bound object's attributes) and the number attributes
    of the modules among them and of their submodules (``model.fc.calls``).

    >>> numbers_reached([("steps", 3), ("model", ad.nn.Linear(2, 1)), ("f", print)])
    {'steps': 3, 'model.n_in': 2, 'model.n_out': 1}
    """
    from ..nn.module import Module

    found = {}
    for label, value in named:
        if _is_number(value):
            found[label] = value
        elif isinstance(value, Module):
            for path, module in value.named_modules():
                prefix = f"{label}.{path}" if path else label
                found.update((f"{prefix}.{key}", v) for key, v in vars(module).items()
                             if _is_number(v))
    return found


def numbers_in_containers(fn) -> dict:
    """``{label: number}``: the numbers ``fn`` reaches in a dict under a key its code
    names or in an attribute its code reads of a plain object (``state["k"]``,
    ``args.steps``: ``captures.captured_settings``), which its code may count up.

    >>> state = {"k": 0}
    >>> numbers_in_containers(lambda: state["k"])
    {"state['k']": 0}
    """
    from .captures import captured_settings
    return {label: value for label, _, _, value in captured_settings(fn)
            if _is_number(value)}


def warn_of_numbers_changed(name, before, after, stacklevel) -> None:
    """Warn for each number of ``before`` that ``after`` (``numbers_reached`` before
    and after the traced call) gives another value, or adds."""
    from .hyperparameters import same_value

    for label in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(label, _MISSING), after.get(label, _MISSING)
        if old is _MISSING or new is _MISSING or not same_value(old, new):
            change = (f"set to {new!r}" if old is _MISSING else
                      f"removed (it was {old!r})" if new is _MISSING else
                      f"{old!r} -> {new!r}")
            warnings.warn(
                f"compile: {name} changed {label} while tracing ({change}); a replay does "
                f"not run the function's Python code, so {label} stays as the first call "
                "left it. Count or record outside the compiled function (after each "
                "call), or keep the value in a tensor that in-place tensor ops update "
                "under ad.no_grad() (a replay repeats those).",
                NotReplayedWarning, stacklevel=stacklevel + 1)


_MISSING = object()

_SIZED = (list, dict, set)
_SIZES_DEPTH = 3            # a name -> its list of dicts -> an entry's list


def sizes_reached(named) -> dict:
    """``{label: (container, size)}`` for the lists, dicts and sets ``named`` (``(label,
    value)`` pairs) hold, and those inside them or in the attributes of the user's plain
    objects they hold, a few levels deep; not inside the library's objects (a module's
    tables, an optimizer's state), which replayed methods update.

    >>> {k: n for k, (_, n) in sizes_reached([("history", [[1], 2])]).items()}
    {'history': 2, 'history[0]': 1}
    """
    from .captures import _plain_object

    found, seen = {}, set()
    todo = [(value, label, 0) for label, value in reversed(named)]
    while todo and len(seen) < _MAX_OBJECTS:
        item, label, depth = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if type(item) in _SIZED or isinstance(item, _SIZED) and _plain_class(item):
            found[label] = (item, len(item))
            inner = (list(item.items()) if isinstance(item, dict) else
                     list(enumerate(item)) if isinstance(item, list) else [])
        elif _plain_object(item) and not isinstance(item, (Tensor, np.ndarray)):
            inner = [(f".{k}", v) for k, v in vars(item).items() if not k.startswith("__")]
        else:
            continue
        if depth + 1 < _SIZES_DEPTH:
            for key, value in inner[-_MAX_ITEMS:]:
                path = f"{label}{key}" if isinstance(key, str) and key[:1] == "." else (
                    f"{label}[{key!r}]")
                todo.append((value, path, depth + 1))
    return found


def _plain_class(item) -> bool:
    """A subclass of list, dict or set of the user's or the standard library's
    (``collections.OrderedDict``, ``defaultdict``), not one of the library's."""
    return not (type(item).__module__ or "").startswith("autodiff")


def warn_of_sizes_changed(name, before, stacklevel) -> None:
    """Warn for each list, dict or set of ``before`` (``sizes_reached`` before the
    traced call) that the call grew or shrank: a replay runs none of the function's
    Python code, so it appends nothing, and a value computed from the container
    (``len(history)``) stays the one the trace saw.  Containers that took a tensor or an
    array are left to the warnings about those (``warn_of_tensors_left_behind``,
    ``warn_of_arrays_left_behind``)."""
    for label, (container, size) in before.items():
        now = len(container)
        if now == size:
            continue
        items = container.values() if isinstance(container, dict) else container
        if any(isinstance(v, (Tensor, np.ndarray)) for v in list(items)[-_MAX_ITEMS:]):
            continue
        kind = type(container).__name__
        warnings.warn(
            f"compile: {name} changed the size of the {kind} {label} while tracing "
            f"({size} -> {now} items); a replay does not run the function's Python code, "
            f"so later calls leave {label} as this first call left it, and a value the "
            f"function computes from it (len({label})) stays the one this call saw. "
            "Record outside the compiled function (after each call), or keep the value "
            "in a tensor that in-place tensor ops update under ad.no_grad().",
            NotReplayedWarning, stacklevel=stacklevel + 1)


def _is_number(value) -> bool:
    return (type(value) in (int, float, complex)
            or (isinstance(value, np.generic) and not isinstance(value, np.bool_)))


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SHOWING = ("__repr__", "__str__", "__format__")


def warn_of_shown_tensor(tracer, tensor) -> None:
    """``tensor.shown_hook`` (called by a tensor's ``__repr__``) while ``tracer``
    traces: the user's code showed a tensor (``print(loss)``, ``f"{loss}"``; not the
    library's own messages), once per line of theirs."""
    if not tracer.owns_thread():
        return
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_name in _SHOWING and _in_package(frame):
        frame, level = frame.f_back, level + 1      # (__repr__, and __format__ calling it)
    if frame is None or _in_package(frame):
        return
    where = (frame.f_code.co_filename, frame.f_lineno)
    shown = tracer.__dict__.setdefault("shown_at", set())
    if where in shown:
        return
    shown.add(where)
    warnings.warn(
        f"compile: {tracer.name} shows a tensor of shape {tensor.shape} (print, repr or "
        "str) while tracing; only this first call shows it: a replay runs none of the "
        "function's Python code, so later calls show nothing. Return the tensor and "
        "print it after the call (print(step(x)) shows each call's value).",
        NotReplayedWarning, stacklevel=level + 1)


def _in_package(frame) -> bool:
    return os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR)
