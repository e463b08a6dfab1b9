"""What a compiled function reaches by name, checked around a trace and before each
replay.

A trace notes the random generators, modules, settings and objects the function
reaches through its closure, its globals and (for a bound method) its object, and
refuses draws a replay could not repeat (``check_generators``,
``check_generators_made_in_call``).  Before each replay ``why_plan_does_not_fit``
compares them with what the plan saw: a changed setting, a rebound name, a captured
array with new values or a captured tensor with a new shape trace again.
"""

from __future__ import annotations

import dis
import functools
import pickle
import types
import zlib

import numpy as np

from ..code_walk import nested_code
from ..tensor import Tensor
from .array_reads import ANY_KEY, _indexes_by_computed_keys
from .container_settings import (_MISSING, _Path, _held_object, _plain_object,
                                 _settings_inside, _users_class)
from .held_objects import MOST_OBJECTS_FOLLOWED
from .hyperparameters import same_value
from .known_writes import left_by_a_plan
from .not_replayed import reachable
from .plan import memory_order
from .provenance import nested_items
from .object_calls import functions_by_calls
from .reached import (class_defaults, class_settings, functions_by_attribute,
                      module_settings, reached_functions, unique_places)
from .members import SUBMODULE_NAMES
from .tracer import TraceError
from .values_read import ValueRead


def _captured_names(fn) -> list:
    """What ``fn`` reaches by name, as ``(name, where, key, value)``: its closure's
    cells (``where`` the cell, ``key`` None), the globals its code names, the
    attributes of the object a bound method belongs to (``where`` a dict)."""
    found = []
    owner = getattr(fn, "__self__", None)
    if owner is not None and hasattr(owner, "__dict__"):
        table = vars(owner)
        found += [(f"{type(owner).__name__}.{k}", table, k, v) for k, v in table.items()]
        fn = getattr(fn, "__func__", fn)
    code = getattr(fn, "__code__", None)
    if code is not None:
        for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
            try:
                found.append((name, cell, None, cell.cell_contents))
            except ValueError:          # a cell not filled yet
                pass
        table = getattr(fn, "__globals__", {})
        # (with the globals the lambdas and functions written inside it read: a nested
        # ``lambda r: r * SCALE`` given to vmap reads SCALE at each call as much)
        names = list(code.co_names)
        names += sorted(_globals_read(code).difference(names))
        found += [(name, table, name, table[name]) for name in names if name in table]
    return found


def named_values(fn) -> list:
    """``(name, value)`` for what ``fn`` reaches by name (``_captured_names``)."""
    return [(name, value) for name, _, _, value in _captured_names(fn)]


def captured_generators(fn) -> list:
    """The NumPy generators ``fn`` reaches by name."""
    return [(name, value) for name, _, _, value in _captured_names(fn)
            if isinstance(value, (np.random.Generator, np.random.RandomState))]


def captured_objects(fn) -> list:
    """``_objects_named`` of ``fn`` and of the functions it calls by name
    (``reached_functions``)."""
    from ..nn.module import Module

    found = []
    for f in reached_functions(fn):
        # (a module's tensors and arrays that a forward reached by ``model(x)`` reads:
        # the plan reads them live, ``members.py``; a buffer replaced stays one plan)
        owner = getattr(f, "__self__", None) if f is not fn else None
        members = vars(owner) if isinstance(owner, Module) else None
        found += [entry for entry in _objects_named(f) if entry[0] is not members
                  or not isinstance(entry[2], (Tensor, np.ndarray))]
    return unique_places(found, lambda entry: entry[:2])


def _objects_named(fn) -> list:
    """The tensors, arrays, generators, modules, optimizers and schedulers ``fn`` reaches
    by name, as ``(where, key, object)``: a replay fits only while the names still hold
    them.  So do the functions, dicts, lists and plain objects (a dataclass config) it
    reads by name: the trace followed the function called (``act = F.gelu``) and read
    the settings in the container (``cfg = Config(scale=2.0)``) that the name held."""
    from ..nn.module import Module
    from ..optim.lr_scheduler import LRScheduler
    from ..optim.optimizer import Optimizer

    from ..generator import Generator

    kinds = (Tensor, Module, Optimizer, LRScheduler, np.ndarray, np.random.Generator,
             np.random.RandomState, Generator)
    plain = getattr(fn, "__func__", fn)
    code = getattr(plain, "__code__", None)
    read = _globals_read(code) if code is not None else set()
    table = getattr(plain, "__globals__", None)
    # (a global only where the code reads it as one: co_names also holds attribute names)
    return [(where, key, value) for _, where, key, value in _captured_names(fn)
            if isinstance(value, kinds) or (
                (where is not table or key in read) and followed_by_identity(value))
            ] + [(where, key, function)     # (``model.loss``, ``self.helper`` rebound)
                 for where, key, function, _ in (functions_by_attribute(fn)
                                                 + functions_by_calls(fn))]


def followed_by_identity(value) -> bool:
    """A function, dict, list or plain object: what a name or a module attribute holds
    that a plan depends on (``act = F.gelu``, ``self.cfg = Config(...)``), and that
    another object in its place makes the plan unfit."""
    return (type(value) in (dict, list) or _plain_object(value) or isinstance(
        value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType,
                functools.partial)))


def plain_settings(holder, table, names) -> list:
    """``(object, attribute, value)`` of the settings in the plain objects and dicts
    that ``table``'s entries ``names`` hold (``self.cfg.scale``, ``self.cfg["scale"]``
    of a module ``holder``): a plan that read them fits only while they keep their values
    (a dict's entries are read through ``DictItems``)."""
    from .setting_values import is_setting

    found = []
    for name in names:
        value = table.get(name)
        if type(value) is dict:
            items = DictItems(value, f"{type(holder).__name__}.{name}")
            found += [(items, key, v) for key, v in value.items()
                      if type(key) is str and is_setting(v)]
        elif _plain_object(value):
            own = vars(value)
            found += [(value, key, v) for key, v in own.items() if is_setting(v)]
            found += [(value, key, v) for key, v in class_settings(value).items()
                      if key not in own]
    return found


class DictItems:
    """A dict's entries read as attributes (``getattr(DictItems(cfg), "scale")``), for a
    plan's checks of the settings it read; named after where the dict is."""

    __slots__ = ("table", "label")

    def __init__(self, table: dict, label: str):
        self.table, self.label = table, label

    def __getattr__(self, key):
        try:
            return object.__getattribute__(self, "table")[key]
        except KeyError:
            raise AttributeError(key) from None

    def __repr__(self):
        return self.label


def check_generators_made_in_call(plan, fn, args, kwargs, modules) -> None:
    """Refuse a random generator that a recorded step draws from but that nothing from
    before the call holds (``rng=np.random.default_rng(7)`` written in the function):
    eager execution makes it anew, so every call draws the same numbers, while a
    replay keeps drawing from the one object the trace made."""
    from ..generator import Generator, default_generator
    from ..nn import layer_rng
    from ..nn.module import Module

    kinds = (np.random.Generator, np.random.RandomState)
    # (a step given an ad.Generator as rng= draws from the generator's NumPy one; the
    # generator's own replayed methods, manual_seed, draw nothing)
    held = [(i, a.numpy_generator() if isinstance(a, Generator) else a) for i in plan.instrs
            if not (i.kind == "call" and i.args and isinstance(i.args[0], Generator))
            for a in (*i.args, *(i.kwargs or {}).values())
            if isinstance(a, kinds + (Generator,)) and a is not default_generator]
    if not held:
        return
    known = {id(layer_rng._rng)}
    # (also inside what the names hold: a dict of settings, an object's attribute)
    known |= {id(v) for v, _ in reachable(named_values(fn)) if isinstance(v, kinds)}
    known |= {id(v) for v in (*args, *kwargs.values())}
    known |= {id(v.numpy_generator()) for v in (*args, *kwargs.values())
              if isinstance(v, Generator)}
    roots = [m for m, _ in modules.values()]
    roots += [v for _, _, _, v in _captured_names(fn) if isinstance(v, Module)]
    for root in roots:
        for module in root.modules():
            known |= {id(v) for v in vars(module).values() if isinstance(v, kinds)}
            # (an ad.Generator's draws come from its NumPy generator, which the steps hold)
            known |= {id(v.numpy_generator()) for v in vars(module).values()
                      if isinstance(v, Generator)}
    for instr, generator in held:
        if id(generator) not in known:
            raise TraceError(
                f"compile: {plan.name} draws from a random generator made during the "
                f"call ({instr.label}, at {instr.line or 'an unknown line'}): eager "
                "execution makes it anew at every call, drawing the same numbers each "
                "time, but a replay would keep drawing from the one the trace made. Pass "
                "an int seed (rng=7: a generator made at each call), or make the "
                "generator once outside the function, where the function reaches it (a "
                "global, a closure variable, a module's attribute).")


def _modules_named(fn) -> list:
    """The modules ``fn`` reaches by name, and a bound method's own module."""
    from ..nn.module import Module

    roots = [value for _, _, _, value in _captured_names(fn) if isinstance(value, Module)]
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, Module):
        roots.append(owner)
    return roots


def training_flags(fn) -> dict:
    """``{id(module): (module, module.training)}`` for the modules ``fn`` reaches by
    name (a bound method's module too) and their submodules."""
    return {id(m): (m, m.training) for root in _modules_named(fn) for m in root.modules()}


def captured_settings(fn) -> list:
    """``_settings_named`` of ``fn`` and of the functions it calls by name
    (``reached_functions``: ``helper(x)`` reading a global ``temperature``), the
    helpers' named ``helper: temperature``."""
    found = []
    # (the own settings of a module ``fn`` names, or of one of theirs, as a forward
    # reached by ``model(x)`` reads them, are flags of the plan already: those of the
    # modules the call called, and ``settings_of_captured_modules``)
    flagged = {id(m) for root in _modules_named(fn) for m in root.modules()}
    for f in reached_functions(fn):
        prefix = "" if f is fn else f"{getattr(f, '__name__', 'a function')}: "
        owner = getattr(f, "__self__", None) if f is not fn else None
        own = vars(owner) if id(owner) in flagged else None
        found += [(prefix + name, where, key, value)
                  for name, where, key, value in _settings_named(f) if where is not own]
    return unique_places(found, lambda entry: entry[1:3])


def _settings_named(fn) -> list:
    """The numbers, strings, bools and None (and tuples of them) ``fn`` reaches by name,
    as ``(name, where, key, value)``: the trace fixed their values into the plan (``x *
    scale``, ``if use_aux:``), so a replay fits only while the names hold equal values.

    An entry of a dict reached by name counts too when the function's code names its
    key (``cfg["clip"]``), as ``("cfg['clip']", cfg, "clip", value)``, and so does an
    attribute the code reads of a plain object reached by name (``args.clip`` of an
    ``argparse.Namespace``, a dataclass), as ``("args.clip", vars(args), "clip", value)``;
    so do those further in, and the items of a list under an index the code writes
    (``cfg["clip"]["norm"]``, ``args.opt.lr``, ``scales[1]``: ``_settings_inside``).

    >>> scale = 0.5
    >>> [(name, value) for name, _, _, value in captured_settings(lambda x: x * scale)]
    [('scale', 0.5)]
    """
    from .setting_values import is_setting

    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    read = _globals_read(code) if code is not None else set()
    keys = _keys_written(code) if code is not None else set()
    if code is not None and any(_indexes_by_computed_keys(c) for c in nested_code(code)):
        keys.add(ANY_KEY)
    attributes = _attributes_read(code) if code is not None else set()
    table = getattr(getattr(fn, "__func__", fn), "__globals__", None)
    # (a global only where the code reads it as one: co_names also holds the names of
    # attributes, and ``opt.step()`` must not tie the plan to a global loop counter ``step``)
    found = []
    whole = _names_read_whole(code) if code is not None else set()
    for name, where, key, value in _captured_names(fn):
        if where is table and key not in read:
            continue
        if is_setting(value):
            found.append((name, where, key, value))
        elif (type(value) is dict and name in whole
                and len(value) <= MOST_OBJECTS_FOLLOWED):
            # (read by a key the code holds in a variable, ``WEIGHTS[name]`` in a loop
            # over the terms, or iterated: any of its entries may be fixed into the plan)
            found += _settings_inside(name, value, keys | set(value), attributes)
        else:
            found += _settings_inside(name, value, keys, attributes)
    owner = getattr(fn, "__self__", None)
    if owner is not None and (_plain_object(owner) or _users_class(owner)):
        # a method's ``self.factor`` (a classmethod's ``cls.factor``) where the class
        # defines it (``class Helper: factor = 1.5``): read through a path, so the
        # object's own value set later is seen too
        own = {} if _users_class(owner) else vars(owner)
        defaults = class_defaults(owner) if _users_class(owner) else class_settings(owner)
        name = owner.__name__ if _users_class(owner) else type(owner).__name__
        found += [(f"{name}.{k}", owner, _Path((("attr", k),)), v)
                  for k, v in defaults.items() if k in attributes and k not in own]
    return found


def _attributes_read(code) -> set:
    """The attribute names ``code`` and the functions and comprehensions in it read."""
    return {instr.argval for current in nested_code(code)
            for instr in dis.get_instructions(current)
            if instr.opname in ("LOAD_ATTR", "LOAD_METHOD")}


def _keys_written(code) -> set:
    """The strings and ints written in ``code`` and the functions and comprehensions in
    it (the keys ``cfg["clip"]`` or ``scales[0]`` may read)."""
    found = set()
    for current in nested_code(code):
        found.update(c for c in current.co_consts if type(c) in (str, int))
        # (small ints may be loaded without a constant: LOAD_SMALL_INT)
        found.update(instr.argval for instr in dis.get_instructions(current)
                     if instr.opname == "LOAD_SMALL_INT")
    return found


def _names_read_whole(code) -> set:
    """The names ``code`` (and the code written in it) loads other than to read one
    entry by a constant key (``cfg["clip"]``): ``WEIGHTS[name]``, ``cfg.items()``,
    ``for k in cfg``, ``f(cfg)``."""
    found = set()
    for current in nested_code(code):
        instructions = list(dis.get_instructions(current))
        for instr, after in zip(instructions, instructions[1:]):
            if (instr.opname in ("LOAD_GLOBAL", "LOAD_NAME", "LOAD_DEREF", "LOAD_CLASSDEREF")
                    and after.opname not in ("LOAD_CONST", "LOAD_SMALL_INT")):
                found.add(instr.argval)
    return found


def _globals_read(code) -> set:
    """The global names ``code`` and the functions and comprehensions written in it
    read (``LOAD_GLOBAL``, ``LOAD_NAME``)."""
    return {instr.argval for current in nested_code(code)
            for instr in dis.get_instructions(current)
            if instr.opname in ("LOAD_GLOBAL", "LOAD_NAME")}


def _setting_changed(settings) -> str | None:
    """None, or which captured setting (``captured_settings``) now holds another value."""
    for name, where, key, value in settings:
        now = _setting_now(where, key)
        if _held_object(value):
            if now is not value:
                return f"{name} holds another object"
        elif not same_value(now, value):
            return f"{name} changed ({value!r} -> {'(deleted)' if now is _MISSING else repr(now)})"
    return None


def settings_of_captured_modules(fn, flags) -> list:
    """The ``training`` flag and settings of the modules ``fn`` reaches by name (and of
    theirs), for those the call did not call: a method of theirs the function called
    (``model.loss(x)`` reading ``self.beta``, or ``ad.compile(model.training_step)``)
    may have read them."""
    seen = {id(obj) for obj, attribute, _ in flags if attribute == "training"}
    found = []
    for root in _modules_named(fn):
        for module in root.modules():
            if id(module) in seen:
                continue
            seen.add(id(module))
            found.append((module, "training", module.training))
            found += [(module, key, value) for key, value in module_settings(module)]
            found += plain_settings(module, vars(module), public_names(module))
    return found


def public_names(module) -> list:
    return [key for key in vars(module) if not key.startswith("_")]


def members_of_captured_modules(fn, called) -> list:
    """``module_members`` of the modules ``fn`` reaches by name (and of theirs) that the
    call did not call: a method of theirs the function called (``model.loss(x)``,
    ``ad.compile(model.training_step)``) may have called ``self.fc`` or ``self.act``."""
    from .members import module_members

    seen = set(called)
    found = []
    for root in _modules_named(fn):
        for module in root.modules():
            if id(module) not in seen:
                seen.add(id(module))
                found.append(module)
    return module_members(found)


def _rebound(bindings) -> str | None:
    """None, or the name (or "a name of its closure") bound to another object."""
    for where, key, value in bindings:
        if key is None:
            try:
                now = where.cell_contents
            except ValueError:
                return "a name of its closure"
            if now is not value:
                return "a name of its closure"
        elif where.get(key) is not value:
            return repr(key)
    return None


def rng_state(generator) -> bytes:
    if isinstance(generator, np.random.RandomState):
        return pickle.dumps(generator.get_state())
    return pickle.dumps(generator.bit_generator.state)


def check_generators(plan, generators):
    """Refuse draws from a captured generator that no recorded step made (the user's
    ``g.normal()``): a replay would reuse the traced numbers.  Draws through an op's
    ``rng=`` are steps holding the generator, made again at each replay."""
    changed = [(name, g) for name, g, state in generators if rng_state(g) != state]
    if not changed:
        return
    from ..generator import Generator
    values = list(nested_items([(i.args, i.kwargs) for i in plan.instrs]))
    held = {id(value) for value in values}
    held |= {id(v.numpy_generator()) for v in values if isinstance(v, Generator)}
    for name, g in changed:
        if id(g) not in held:
            raise TraceError(
                f"compile: {plan.name} drew numbers from the random generator {name!r} "
                "it captures outside the library (g.normal(), g.random(...)); a replay "
                "would reuse them. Pass the generator through an rng= argument of the op "
                "that needs it (ad.randn(..., rng=g)), or draw outside the compiled "
                "function and pass the numbers in as an argument.")


def checksum(array) -> int:
    return zlib.crc32(np.ascontiguousarray(array).view(np.uint8).reshape(-1).data)



def settings_differ(plan) -> bool:
    """Whether an object the plan reads has another ``training`` flag or setting than
    at the trace (``plan.flags``), or a name or entry the function reads holds another
    number, string, bool or None (``plan.settings``: ``cfg["scale"]`` alternating
    between two values): the plan fits again once they are switched back."""
    return any(not same_value(getattr(obj, attribute, _MISSING), value)
               for obj, attribute, value in plan.flags) or any(
        not _held_object(value) and not same_value(_setting_now(where, key), value)
        for _, where, key, value in plan.settings)


def _setting_now(where, key):
    """What a captured setting's place holds now (``_MISSING`` if nothing)."""
    try:
        if key is None:
            return where.cell_contents
        if type(key) is _Path:
            return key.read(where)
        return where.get(key, _MISSING)
    except ValueError:                      # a closure cell emptied (del)
        return _MISSING


def why_plan_does_not_fit(plan) -> str | None:
    """None, or why the plan no longer fits (trace again): a captured array changed its
    values, a captured tensor's array its shape or dtype (``p.data = ...``), a module
    its ``training`` flag or another setting, a module was given a new tensor,
    submodule or function (``model.fc = nn.Linear(...)``), a name of the function
    another object, or a captured tensor its ``requires_grad`` or its array's memory
    order (``plan.memory_order``)."""
    for obj, attribute, value in plan.flags:
        now = getattr(obj, attribute, _MISSING)
        if not same_value(now, value):
            if isinstance(obj, ValueRead):
                change = (value.change_to(now) if hasattr(value, "change_to")
                          else f"{value!r} -> {now!r}")
                return f"{obj.label} changed ({change})"
            owner = obj.label if isinstance(obj, DictItems) else type(obj).__name__
            return (f"{owner}.{attribute} changed "
                    f"({value!r} -> {'(deleted)' if now is _MISSING else repr(now)})")
    for table, key, value in plan.members:
        if key is SUBMODULE_NAMES:
            if tuple(table) != value:
                return (f"a module used in the call has other submodules ({list(value)} "
                        f"-> {list(table)})")
        elif table.get(key) is not value:
            return f"a module used in the call was given another {key!r}"
    rebound = _rebound(plan.bindings)
    if rebound:
        return f"{rebound} was bound to another object"
    changed = _setting_changed(plan.settings)
    if changed:
        return changed
    slots = plan.slots
    for tensor, slot in plan.captured:
        data = tensor.data
        if data.shape != slots[slot].shape or data.dtype != slots[slot].dtype:
            return (f"a captured tensor's array changed from {slots[slot].shape} "
                    f"{slots[slot].dtype} to {data.shape} {data.dtype}")
        if memory_order(data) != slots[slot].memory_order:
            return (f"a captured tensor's array changed its memory order "
                    f"({slots[slot].memory_order} -> {memory_order(data)})")
    return _changed_checksum(plan)


def changed_setting_or_checksum(plan) -> str | None:
    """The part of ``why_plan_does_not_fit`` that reads captured settings and the
    captured arrays' values (the rest ``fit_check.py`` writes out)."""
    return _setting_changed(plan.settings) or _changed_checksum(plan)


def _changed_checksum(plan) -> str | None:
    for slot, crc in plan.checksums.items():
        array = plan.constant_values[slot]
        now = checksum(array)
        if now != crc and left_by_a_plan(array, now):
            # another compiled function's known in-place write (an average it keeps):
            # the plan reads the array itself, so it takes the new values as an input
            plan.checksums[slot] = now
        elif now != crc:
            op, line = plan.constant_sites.get(slot, ("an op", "?"))
            return (f"the NumPy array the function captures, read by '{op}' at {line}, "
                    "changed its values")
    return None

