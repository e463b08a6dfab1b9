"""The settings a compiled function reaches inside the containers it names: the
entries of a dict or list, an object's or a user module's attributes, a class's
defaults (``cfg["clip"]["norm"]``, ``args.opt.lr``, ``SCALES[1]``, ``Helper.factor``),
each with the path a check before each replay reads it again by
(``captures.captured_settings``)."""

from __future__ import annotations

import functools
import types

import numpy as np

from ..tensor import Tensor
from .array_reads import ANY_KEY
from .constant_sources import Contents
from .held_objects import MOST_OBJECTS_FOLLOWED
from .reached import class_defaults, class_settings, users_module, written_by_user

#: What a path reading finds where an entry or attribute is gone.
_MISSING = object()


def _users_class(value) -> bool:
    """Whether ``value`` is a class the user defined (``class Helper:``)."""
    return isinstance(value, type) and written_by_user(value.__module__)


class _Path(tuple):
    """The entries and attributes read one after another from a captured container to
    a setting inside it (``cfg["clip"]["norm"]``, ``args.opt.lr``, ``scales[1]``): each
    step ``("item", key)`` or ``("attr", name)``.  Read again before each replay, from
    the container down, so that a container replaced on the way is seen too."""

    def read(self, container):
        for how, key in self:
            if how == "attr":
                container = _plain_attribute(container, key)
            elif how == "contents":
                container = Contents(container) if type(container) is list else _MISSING
            elif type(container) is dict:
                container = container.get(key, _MISSING)
            elif type(container) in (list, tuple) and type(key) is int and (
                    -len(container) <= key < len(container)):
                container = container[key]
            else:
                container = _MISSING
            if container is _MISSING:
                break
        return container


#: How many entries or attributes deep a setting inside a captured container is looked for.
_SETTING_DEPTH = 3


def _settings_inside(name, value, keys, attributes) -> list:
    """The settings inside ``value`` (a dict, list, tuple or plain object a name holds)
    under keys the code writes (or, in a container of up to ``MOST_OBJECTS_FOLLOWED``
    entries, any key or index holding a plain object, which a loop reads) and
    attributes it reads, down to ``_SETTING_DEPTH``
    levels: those of the first level as ``(name[key], dict or vars(object), key,
    setting)``, deeper ones and list items as ``(name..., value, _Path, setting)``."""
    from .setting_values import is_setting

    found, seen = [], {id(value)}
    todo = [(value, name, ())]
    while todo:
        container, label, path = todo.pop()
        if type(container) is dict:
            # (and the plain objects under any key: ``for k in heads: heads[k].scale``)
            # (and, where the code indexes by keys it computes, ``table[prefix + "_w"]``,
            # the arrays, objects, settings and dicts under any key)
            few = len(container) <= MOST_OBJECTS_FOLLOWED
            any_key = few and ANY_KEY in keys
            members = [(f"{label}[{k!r}]", ("item", k), container, k, v)
                       for k, v in container.items()
                       if k in keys or few and _plain_object(v) or any_key and (
                           type(v) is dict or is_setting(v) or _held_object(v))]
        elif type(container) in (list, tuple):
            # (indices from the end left out: ``history[-1]`` of a list the function
            # appends to would trace again at every call; a short list of numbers
            # counts whole, as it may be given whole: ``spacing=SPACINGS``)
            whole = _numbers_given_whole(container)
            if whole and (len(container) > _ENTRIES_CHECKED_ONE_BY_ONE
                          or not all(type(v) in _NUMBERS for v in container)):
                # (a long one, or rows of numbers (``ad.tensor(ROWS)``): its contents
                # compared whole, one flag for all entries, the rows' entries too)
                found.append((label, value, _Path(path + (("contents", None),)),
                              Contents(container)))
                continue
            # (and the plain objects it holds, which a loop reads: ``for c in cfgs:
            # x = x * c.scale``)
            few = len(container) <= MOST_OBJECTS_FOLLOWED
            indices = (range(len(container)) if whole else sorted(
                {k for k in keys if type(k) is int and 0 <= k < len(container)}
                | {k for k, v in enumerate(container) if few and _plain_object(v)}))
            members = [(f"{label}[{k}]", ("item", k), None, None, container[k])
                       for k in indices]
        elif users_module(container):          # (``model.RATE`` of ``import model``)
            table = vars(container)
            members = [(f"{label}.{k}", ("attr", k), table, k, v)
                       for k, v in table.items() if k in attributes]
        elif _users_class(container):          # (``Helper.factor`` of a class named)
            members = [(f"{label}.{k}", ("attr", k), None, None, v)
                       for k, v in class_defaults(container).items() if k in attributes]
        elif _plain_object(container):
            table = vars(container)
            members = [(f"{label}.{k}", ("attr", k), table, k, v)
                       for k, v in table.items() if k in attributes]
            # a class's default the object does not set (``class Config: lr = 0.1``),
            # read through a path: the object's own value set later is seen
            members += [(f"{label}.{k}", ("attr", k), None, None, v)
                        for k, v in class_settings(container).items()
                        if k in attributes and k not in table]
        else:
            continue
        for member, step, table, key, inner in members:
            if is_setting(inner) or _held_object(inner):
                if path or table is None:
                    found.append((member, value, _Path(path + (step,)), inner))
                else:
                    found.append((member, table, key, inner))
            elif len(path) + 1 < _SETTING_DEPTH and id(inner) not in seen:
                seen.add(id(inner))
                todo.append((inner, member, path + (step,)))
    return found


#: A list of numbers up to this long is checked entry by entry (``SPACINGS[1] changed``),
#: a longer one by its whole contents.
_ENTRIES_CHECKED_ONE_BY_ONE = 16


_NUMBERS = (int, float, bool)


def _numbers_given_whole(container) -> bool:
    """A list of numbers (``[1.0, 0.5]``), or of rows of them (lists or tuples, to any
    depth: ``[[1.0, 2.0], [3.0, 4.0]]``), which a call may read whole
    (``ad.gradient(t, spacing=SPACINGS)``, ``end_values=ENDS``, ``ad.tensor(ROWS)``)."""
    if type(container) is not list or not container:
        return False
    todo = [container]
    while todo:
        rows = todo.pop()
        for v in rows:
            if type(v) in (list, tuple) and v:
                todo.append(v)
            elif type(v) not in _NUMBERS:
                return False
    return True


def _plain_attribute(obj, key):
    """``obj.key`` of a plain object or a user's module, its own or its class's
    setting, else _MISSING."""
    if users_module(obj):
        return vars(obj).get(key, _MISSING)
    if _users_class(obj):
        return class_defaults(obj).get(key, _MISSING)
    if not _plain_object(obj):
        return _MISSING
    value = vars(obj).get(key, _MISSING)
    return class_settings(obj).get(key, _MISSING) if value is _MISSING else value


def _held_object(value) -> bool:
    """An object the plan used that a container's entry or a plain object's attribute
    may hold (``state["g"]``, a generator passed to ``rng=``; ``parts.model``): another
    object there makes the plan unfit, as for a name (``captured_objects``)."""
    from ..generator import Generator
    from ..nn.module import Module
    from ..optim.optimizer import Optimizer

    return isinstance(value, (Tensor, Module, Optimizer, np.ndarray, np.random.Generator,
                              np.random.RandomState, Generator, types.FunctionType,
                              types.BuiltinFunctionType, types.MethodType,
                              functools.partial))


def _plain_object(value) -> bool:
    """An instance of a user's or the standard library's class holding its attributes
    in a ``__dict__`` (not a class, function or module, nor the library's own objects,
    whose settings are followed otherwise)."""
    if isinstance(value, (type, types.ModuleType, types.FunctionType, types.MethodType,
                          types.BuiltinFunctionType)):
        return False
    root = (type(value).__module__ or "").split(".")[0]
    return root not in ("autodiff", "numpy", "builtins") and isinstance(
        getattr(value, "__dict__", None), dict)
