"""What a compiled function reaches beyond the names its own code reads, that a replay
depends on as much: the user's functions it calls by name (``helper(x)`` reading a
global ``temperature``), and the settings a class defines that its objects read as
their own attributes until they set them (``class Config: lr = 0.1``; ``class
Net(Module): scale = 2.0``).  ``captures.py`` adds what these find to the plan's
checks, so changing them between calls traces again instead of replaying the values
the trace fixed.
"""

from __future__ import annotations

import types

from .tracer import _is_setting

#: Modules whose functions a compiled function calls without their globals tying the
#: plan (their settings are the library's, or fixed).
_LIBRARY_ROOTS = frozenset({"autodiff", "numpy", "scipy", "torch", "builtins"})
#: How many calls deep ``reached_functions`` follows functions named by functions.
_FUNCTION_DEPTH = 3


def reached_functions(fn) -> list:
    """``fn`` and the user's functions it reaches by name (its closure and the globals
    its code reads), and theirs, down to ``_FUNCTION_DEPTH``: a replay depends on the
    names those read too.

    >>> def helper(x):
    ...     return x * 2
    >>> helper.__module__ = "train"         # (a user's function, not the library's)
    >>> [f.__name__ for f in reached_functions(lambda x: helper(x))]
    ['<lambda>', 'helper']
    """
    from .captures import _captured_names, _globals_read

    found, seen = [fn], {id(fn)}
    todo = [(fn, 0)]
    while todo:
        current, depth = todo.pop()
        if depth >= _FUNCTION_DEPTH:
            continue
        plain = getattr(current, "__func__", current)
        code = getattr(plain, "__code__", None)
        read = _globals_read(code) if code is not None else set()
        table = getattr(plain, "__globals__", None)
        for _, where, key, value in _captured_names(current):
            if (type(value) is types.FunctionType and id(value) not in seen
                    and (where is not table or key in read)
                    and (value.__module__ or "").split(".")[0] not in _LIBRARY_ROOTS):
                seen.add(id(value))
                found.append(value)
                todo.append((value, depth + 1))
    return found


def unique_places(entries, key_of) -> list:
    """``entries`` without repeats of the same place (``key_of``: where and key)."""
    from .captures import _Path

    seen, kept = set(), []
    for entry in entries:
        where, key = key_of(entry)
        place = (id(where), key if type(key) is not _Path else tuple(key))
        if place not in seen:
            seen.add(place)
            kept.append(entry)
    return kept


def class_settings(obj) -> dict:
    """The settings (numbers, strings, flags) ``obj``'s class and its bases define,
    which ``obj`` reads as its own attributes until it sets them.

    >>> class Config:
    ...     __module__ = "train"            # (a user's class, not the library's)
    ...     lr, name = 0.1, "run"
    >>> class_settings(Config())
    {'lr': 0.1, 'name': 'run'}
    """
    found = {}
    for cls in reversed(type(obj).__mro__[:-1]):
        if (cls.__module__ or "").split(".")[0] != "autodiff":   # (the library's: fixed)
            found.update((k, v) for k, v in vars(cls).items()
                         if not k.startswith("__") and _is_setting(v))
    return found


def module_settings(module) -> list:
    """``(attribute, value)`` of a module's settings other than ``training``: its own
    (``Dropout.p``, ``eps``) and the defaults its class defines (``class Net(Module):
    scale = 2.0``), which ``net.scale = 5.0`` later overrides."""
    own = vars(module)
    return ([(key, value) for key, value in own.items()
             if key != "training" and _is_setting(value)]
            + [(key, value) for key, value in class_settings(module).items()
               if key not in own])
