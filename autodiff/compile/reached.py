"""What a compiled function reaches beyond the names its own code reads, that a replay
depends on as much: the user's functions it calls by name (``helper(x)`` reading a
global ``temperature``), and the settings a class defines that its objects read as
their own attributes until they set them (``class Config: lr = 0.1``; ``class
Net(Module): scale = 2.0``).  ``captures.py`` adds what these find to the plan's
checks, so changing them between calls traces again instead of replaying the values
the trace fixed.
"""

from __future__ import annotations

import functools
import os
import types

from .held_objects import held_objects
from .object_calls import functions_by_calls
from .setting_values import is_setting

#: Modules whose functions a compiled function calls without their globals tying the
#: plan (their settings are the library's, or fixed).
_LIBRARY_ROOTS = frozenset({"autodiff", "numpy", "scipy", "torch", "builtins"})
#: How many calls deep ``reached_functions`` follows functions named by functions (a
#: step, its model's forward, a block's, a layer's, helpers calling helpers).  The walk
#: runs once per trace and adds to the plan's checks only what the functions it finds
#: read; the bound keeps a trace from wandering through a whole package of the user's.
#: A function deeper than that makes no constant of the plan (``creator_scopes.py``).
_FUNCTION_DEPTH = 16


def reached_functions(fn) -> list:
    """``fn`` and the user's functions it reaches by name (its closure and the globals
    its code reads), through an attribute (``model.loss``, ``self.helper``,
    ``Net.helper``: ``functions_by_attribute``) or by calling or making an object
    (``model(x)``, ``Loss()(y)``, ``super().forward(x)``: ``object_calls.py``), and
    theirs, down to ``_FUNCTION_DEPTH``: a replay depends on the names those read too.

    >>> def helper(x):
    ...     return x * 2
    >>> helper.__module__ = "train"         # (a user's function, not the library's)
    >>> [f.__name__ for f in reached_functions(lambda x: helper(x))]
    ['<lambda>', 'helper']
    """
    from .captures import _captured_names, _globals_read

    found = [fn]
    seen = {(id(getattr(fn, "__func__", fn)), id(getattr(fn, "__self__", None)))}
    todo = [(fn, 0)]
    while todo:
        current, depth = todo.pop()
        if depth >= _FUNCTION_DEPTH:
            continue
        plain = getattr(current, "__func__", current)
        code = getattr(plain, "__code__", None)
        read = _globals_read(code) if code is not None else set()
        table = getattr(plain, "__globals__", None)
        named = [value for _, where, key, value in _captured_names(current)
                 if where is not table or key in read]
        if isinstance(current, functools.partial):      # (``ad.compile(partial(f, k=2))``)
            named.append(current.func)
        for value in (named + [callee for *_, callee in functions_by_attribute(current)]
                      + [callee for *_, callee in functions_by_calls(current)]):
            plain_value = getattr(value, "__func__", value)
            key = (id(plain_value), id(getattr(value, "__self__", None)))
            if (type(plain_value) is types.FunctionType and key not in seen
                    and written_by_user(plain_value.__module__)):
                seen.add(key)
                found.append(value)
                todo.append((value, depth + 1))
    return found


def functions_by_attribute(fn) -> list:
    """The user's functions ``fn`` calls through an attribute, as ``(where, key,
    entry, callee)``: a module's (``model.loss(x)`` with ``import model``: ``where`` the
    module's dict) and a user class's methods called on an object ``fn`` reaches by
    name or is bound to (``self.helper(x)``, ``net.penalty()``: ``where`` the class's
    dict), or on the class (``Net.helper(self, h)``, also in a method followed as a
    function; ``entry`` what it holds there, a ``staticmethod`` say; ``callee`` the
    function, or the method bound to the object), also of an object a list, dict or
    config it names holds (``for h in heads: h.loss(x)``).  Only attributes ``fn``'s
    code reads are followed.

    >>> import types
    >>> model = types.ModuleType("model")
    >>> exec("def loss(x):\\n    return x * 2", vars(model))
    >>> [f.__name__ for *_, f in functions_by_attribute(lambda x: model.loss(x))]
    ['loss']
    """
    from .captures import _attributes_read, _captured_names

    plain = getattr(fn, "__func__", fn)
    code = getattr(plain, "__code__", None)
    if code is None:
        return []
    attributes = _attributes_read(code)
    holders = [value for _, _, _, value in _captured_names(fn)]
    # (and the user's objects they hold: ``for h in heads: h.loss(x)``, ``held_objects``)
    holders += [item for value in list(holders)
                for *_, item in held_objects(value, attributes)]
    if getattr(fn, "__self__", None) is not None:
        holders.append(fn.__self__)
    elif _defining_class(plain) is not None:   # (a method followed as a function)
        holders.append(_defining_class(plain))
    found, seen = [], set()
    for holder in holders:
        if isinstance(holder, types.ModuleType):
            if not users_module(holder):
                continue
            tables, instance = [vars(holder)], False
        elif isinstance(holder, type):
            # (a user's class named in the step: its static and class methods,
            # ``Helper.scale(t)``, and its functions, ``Model.helper(self, x)``)
            if not written_by_user(holder.__module__):
                continue
            tables, instance = [vars(cls) for cls in holder.__mro__[:-1]
                                if written_by_user(cls.__module__)], False
        elif not hasattr(holder, "__dict__"):
            continue
        else:
            tables = [vars(cls) for cls in type(holder).__mro__[:-1]
                      if written_by_user(cls.__module__)]
            instance = True
        for name in attributes:
            table = next((table for table in tables if name in table), None)
            entry = table.get(name) if table is not None else None
            value = (entry.__func__ if isinstance(entry, (staticmethod, classmethod))
                     else entry.fget if isinstance(entry, property) else entry)
            if (type(value) is types.FunctionType and written_by_user(value.__module__)
                    and (id(value), id(holder)) not in seen):
                seen.add((id(value), id(holder)))
                # (a method bound to its object: what it reads of ``self`` is followed
                # as for ``ad.compile(obj.method)``)
                # (a property's getter too: ``self.scale`` computed from ``self.factor``)
                callee = (types.MethodType(value, holder)
                          if (instance and type(entry) in (types.FunctionType, property))
                          or (not instance and type(entry) is classmethod) else value)
                found.append((table, name, entry, callee))
    return found


def _defining_class(function):
    """The class of the module's globals whose method ``function`` is (``Net.helper``,
    not one defined in a function), else None."""
    owner, dot, _ = function.__qualname__.rpartition(".")
    found = function.__globals__.get(owner) if dot and "<" not in owner else None
    return found if isinstance(found, type) else None


def users_module(value) -> bool:
    """Whether ``value`` is a module of the user's (``import model``), not NumPy's, the
    library's, the standard library's or an installed package's."""
    return (isinstance(value, types.ModuleType) and written_by_user(value.__name__)
            and user_scope(vars(value)))


def user_scope(scope) -> bool:
    """Whether the module globals ``scope`` are the user's (not in NumPy, the library,
    the standard library or an installed package)."""
    from .call_constants import _LIBRARY_DIRS

    file = scope.get("__file__")
    return file is None or not os.path.abspath(file).startswith(_LIBRARY_DIRS)


def written_by_user(module_name) -> bool:
    """Whether a function or class of the module named ``module_name`` is the user's
    (not the library's, NumPy's or another package's listed in ``_LIBRARY_ROOTS``)."""
    return (module_name or "").split(".")[0] not in _LIBRARY_ROOTS


def unique_places(entries, key_of) -> list:
    """``entries`` without repeats of the same place (``key_of``: where and key)."""
    from .container_settings import _Path

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
    return class_defaults(type(obj))


def class_defaults(klass) -> dict:
    """The settings ``cls`` and its bases define (not the library's own classes'):
    ``class_settings`` of its objects, and what ``Helper.factor`` or a classmethod's
    ``cls.factor`` reads."""
    found = {}
    for cls in reversed(klass.__mro__[:-1]):
        if (cls.__module__ or "").split(".")[0] != "autodiff":   # (the library's: fixed)
            found.update((k, v) for k, v in vars(cls).items()
                         if not k.startswith("__") and is_setting(v))
    return found


def module_settings(module) -> list:
    """``(attribute, value)`` of a module's settings other than ``training``: its own
    (``Dropout.p``, ``eps``) and the defaults its class defines (``class Net(Module):
    scale = 2.0``), which ``net.scale = 5.0`` later overrides."""
    own = vars(module)
    return ([(key, value) for key, value in own.items()
             if key != "training" and is_setting(value)]
            + [(key, value) for key, value in class_settings(module).items()
               if key not in own])
