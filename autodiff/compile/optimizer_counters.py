"""A Python number in an attribute of a user's optimizer that its traced call changes:
``self.t += 1`` in the ``step()`` of an Adam written by hand, ``self.calls += 1``.

A replay runs no Python code, so such a number would stay where the trace left it.
The optimizers are ``ad.optim.Optimizer``s whose ``step()`` the user wrote, and the
objects of classes the user wrote with a ``step()`` and a ``zero_grad()`` (an optimizer
written from scratch) or an ``optimizer`` attribute (a scheduler).  Two kinds are
told apart by reading the code that could use it (the methods of the optimizer's
classes the user wrote, of every class the user wrote among the objects the function
reaches, and the compiled function with the functions it reaches,
``reached_functions``); a use by name in a string (``getattr(self, "t")``) counts as
a read:

* a counter that code only counts up by a constant (``self.calls += 1``, ``self.calls
  = self.calls + 1``) and reads nowhere else is carried: each replay adds to it what
  the traced call added, as eager execution would;
* any other (one read elsewhere, as the bias correction ``1 - beta1 ** self.t``
  reads it, or set to another value) is refused while tracing: what the call computed
  from it is fixed into the plan as numbers, and every replay would apply the traced
  values while eager execution counts on.  The refusal names the optimizer and the
  attribute and says how to keep the count in a 0-d tensor, which a replay updates.

A module of a class the user wrote is scanned the same way for its int attributes
(``self.calls += 1`` in a forward), reading only the code the function reaches: a
counter is carried, one read otherwise refused (naming the line of the read), and any
other change left to ``not_replayed.warn_of_numbers_changed``, which warns.

What the scan cannot see (``getattr(self, name)`` with ``name`` a variable, a read in
code of an object no root reaches) is seen while the call runs: ``reads_watched``
gives the user's class of each such optimizer, for the call, a ``__getattribute__``
that notes where each read of one of its numbers comes from (``type(opt)`` stays what
it is); a read that is not the first step of counting it up by a constant, or a read
of its ``__dict__`` by the user's code, is a read as well.
"""

from __future__ import annotations

import dis
import sys
import types
from contextlib import contextmanager

from ..code_walk import nested_code
from .refusals import TraceError

_NUMBERS = (int, float)
_ADDS = ("+", "+=")


def optimizer_attribute_numbers(roots) -> dict:
    """``{(id(optimizer), name): (optimizer, name, number)}`` for the Python numbers in
    the attributes of the optimizers ``roots`` (``(label, object)`` pairs) reach whose
    ``step()`` the user wrote (a library optimizer's is replayed as a call)."""
    from ..nn.module import Module
    from ..optim.optimizer import Optimizer
    from .not_replayed import reachable
    from .reached import written_by_user

    found = {}
    for item, _ in reachable(roots):
        step = getattr(type(item), "step", None)
        # (an optimizer of the user's own that does not subclass Optimizer, or a
        # scheduler: a class the user wrote with step() and zero_grad() or an optimizer)
        own = isinstance(item, Optimizer) or (
            callable(step) and hasattr(item, "__dict__")
            and (callable(getattr(item, "zero_grad", None)) or "optimizer" in vars(item))
            and written_by_user(type(item).__module__))
        if own and written_by_user(getattr(step, "__module__", None)):
            found.update(((id(item), name), (item, name, value))
                         for name, value in list(vars(item).items())
                         if type(value) in _NUMBERS)
        elif isinstance(item, Module) and written_by_user(type(item).__module__):
            # (a module's counter, ``self.calls += 1`` in a forward the user wrote)
            found.update(((id(item), name), (item, name, value))
                         for name, value in list(vars(item).items()) if type(value) is int)
    return found


@contextmanager
def reads_watched(before):
    """Within it the objects of ``before`` (``optimizer_attribute_numbers``) note the
    reads of their numbers (and of their ``__dict__``) into the yielded
    ``{attribute: {(code, offset)}}``, ``offset`` the reading instruction's.  The
    ``__getattribute__`` of their classes the user wrote is replaced for the call (and
    put back after it), so ``type(opt)`` stays what it is; an object of a class of the
    library's is not watched (the scan decides)."""
    reads: dict = {}
    watched: dict = {}
    for owner, attribute, _ in before.values():
        watched.setdefault(id(owner), {"__dict__"}).add(attribute)
    patched = []
    try:
        for kind in {type(owner) for owner, _, _ in before.values()}:
            if not _patchable(kind):
                continue
            had = vars(kind).get("__getattribute__", _ABSENT)
            kind.__getattribute__ = _watching(kind.__getattribute__, watched, reads)
            patched.append((kind, had))
        yield reads
    finally:
        for kind, had in patched:
            if had is _ABSENT:
                del kind.__getattribute__
            else:
                kind.__getattribute__ = had


_ABSENT = object()


def _patchable(kind) -> bool:
    """Whether ``kind`` is a class the user wrote whose attributes can be set (not one
    whose metaclass has its own ``__setattr__``)."""
    from .reached import written_by_user

    return written_by_user(kind.__module__) and type(kind).__setattr__ is type.__setattr__


def _watching(get, watched, reads):
    """A ``__getattribute__`` doing what ``get`` does that notes in ``reads`` the place
    of each read of an attribute ``watched`` names for the object read."""

    def __getattribute__(self, attribute):
        names = watched.get(id(self))
        if names is not None and attribute in names:
            frame = sys._getframe(1)
            reads.setdefault(attribute, set()).add((frame.f_code, frame.f_lasti))
        return get(self, attribute)

    return __getattribute__


def _read_while_running(attribute, reads) -> str | None:
    """``"file:line"`` of a read of ``attribute`` the watched call made other than
    counting it up by a constant (``reads_watched``), else None."""
    from .reached import written_by_user

    for code, offset in reads.get(attribute, ()):
        instructions = [i for i in dis.get_instructions(code)
                        if i.opname not in ("COPY", "SWAP", "LOAD_FAST", "CACHE")]
        at = [k for k, i in enumerate(instructions) if i.offset == offset]
        if at and _counted_from(instructions, at[0], attribute):
            continue
        return _place(code, offset)
    for code, offset in reads.get("__dict__", ()):
        if written_by_user(_module_of(code.co_filename)):
            return _place(code, offset)
    return None


def _place(code, offset) -> str:
    """``"file:line"`` of the instruction at ``offset`` in ``code``."""
    line = next((i.positions.lineno for i in dis.get_instructions(code)
                 if i.offset == offset and i.positions), code.co_firstlineno)
    return f"{code.co_filename.rsplit('/', 1)[-1]}:{line}"


def _module_of(filename) -> str:
    """The name of the loaded module whose file is ``filename`` ("" if none is)."""
    for name, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) == filename:
            return name
    return ""


def carried_counters(name, fn, before, roots=(), reads=None) -> list:
    """``[(optimizer, attribute, added)]``: the numbers of ``before``
    (``optimizer_attribute_numbers`` before the traced call of ``fn``, whose name is
    ``name``) the call changed, each a counter a replay carries; refuse any other.
    The code read is the optimizer's classes', the functions ``fn`` reaches, and the
    methods of every class the user wrote among the objects ``roots`` reach (a
    scheduler that reads ``optimizer.t``); ``reads`` what ``reads_watched`` saw."""
    from ..nn.module import Module
    from .hyperparameters import same_value
    from .not_replayed import reachable
    from .reached import reached_functions, written_by_user

    changed = [(optimizer, attribute, old, getattr(optimizer, attribute, None))
               for optimizer, attribute, old in before.values()]
    changed = [entry for entry in changed if not same_value(entry[2], entry[3])]
    if not changed:
        return []
    counters = []
    reached = [getattr(getattr(f, "__func__", f), "__code__", None)
               for f in reached_functions(fn)]
    kinds = {type(item) for item, _ in reachable(roots)
             if hasattr(item, "__dict__") and written_by_user(type(item).__module__)}
    held = [f.__code__ for kind in kinds for f in _functions_of(kind, written_by_user)]
    for optimizer, attribute, old, new in changed:
        kind = type(optimizer)
        # (a module's methods the call did not reach may read the count it carries)
        module = isinstance(optimizer, Module)
        own = [] if module else [f.__code__ for f in _functions_of(kind, written_by_user)]
        codes = [c for c in own + reached + ([] if module else held) if c is not None]
        uses = _uses(attribute, codes)
        seen_at = _read_while_running(attribute, reads or {})
        if uses == "counted" and seen_at is not None:
            uses = "seen"
        if type(old) is int and type(new) is int and uses == "counted":
            counters.append((optimizer, attribute, new - old))
            continue
        if module and (uses == "set" or type(new) is not int):
            continue        # (a record the call sets: warn_of_numbers_changed names it)
        example = "" if module else f" (as a bias correction 1 - beta1 ** self.{attribute} does)"
        how = (f"reads it besides counting it up{example}, at "
               f"{_read_place(attribute, codes)}" if uses == "read" else
               f"names it in a string (getattr(self, {attribute!r})), a read the scan cannot "
               "tell from a count" if uses == "named" else
               "sets it otherwise than counting it up by a constant" if uses == "set"
               else f"read it at {seen_at} while tracing besides counting it up (by a "
               "name held in a variable, or in code the scan does not reach)"
               if uses == "seen"
               else "changes a number that is no int")
        raise TraceError(
            f"compile: {name} changed the Python number {kind.__name__}.{attribute} of "
            f"{'a module' if module else 'an optimizer'} while tracing ({old!r} -> "
            f"{new!r}), and the code {how}: a "
            "replay runs no Python code, so what the call computed from it is fixed "
            "into the plan as numbers, while eager execution counts on. Keep it in a "
            f"0-d tensor: self.{attribute} = ad.zeros(()) in __init__; self.{attribute} "
            f"+= 1 under ad.no_grad() then updates it in place and 1 - beta1 ** "
            f"self.{attribute} computes with tensor ops, which a replay repeats (as "
            "PyTorch's optimizers keep their step).")
    return counters


def counted_labels(named, counters) -> list:
    """The labels ``not_replayed.numbers_reached`` gives the module counters of
    ``counters`` (``carried_counters``) among ``named``: ``model.calls``, which a
    replay carries and no warning names."""
    from ..nn.module import Module

    carried = {(id(owner), attribute) for owner, attribute, _ in counters}
    labels = []
    for label, value in named:
        if isinstance(value, Module) and carried:
            for path, module in value.named_modules():
                prefix = f"{label}.{path}" if path else label
                labels += [f"{prefix}.{key}" for key in vars(module)
                           if (id(module), key) in carried]
    return labels


def _functions_of(kind, written_by_user) -> list:
    """The plain functions in the classes of ``kind``'s MRO that the user wrote."""
    found = []
    for klass in kind.__mro__:
        if not written_by_user(klass.__module__):
            continue
        for value in vars(klass).values():
            value = getattr(value, "__func__", value)     # (static and class methods)
            value = getattr(value, "__wrapped__", value)  # (@ad.no_grad() on step)
            if isinstance(value, types.FunctionType):
                found.append(value)
    return found


def _uses(attribute, codes) -> str:
    """``"counted"`` if every use of ``.attribute`` in ``codes`` counts it up by a
    constant (a read of it, a constant, an addition and the store back), ``"read"``
    if one reads it otherwise, ``"named"`` if one holds its name as a string (``getattr``,
    ``__dict__``), ``"set"`` if one stores anything else into it (outside an
    ``__init__``, where the count starts)."""
    result = "counted"
    for outer in codes:
        for code in nested_code(outer):
            instructions = [i for i in dis.get_instructions(code)
                            if i.opname not in ("COPY", "SWAP", "LOAD_FAST", "CACHE")]
            for k, instruction in enumerate(instructions):
                if instruction.opname == "LOAD_CONST" and instruction.argval == attribute:
                    return "named"          # getattr(self, "t"), self.__dict__["t"]
                if instruction.argval != attribute:
                    continue
                if instruction.opname in ("LOAD_ATTR", "LOAD_METHOD"):
                    if not _counted_from(instructions, k, attribute):
                        return "read"
                elif instruction.opname == "STORE_ATTR" and code.co_name != "__init__":
                    if k < 3 or not _counted_from(instructions, k - 3, attribute):
                        result = "set"
    return result


def _read_place(attribute, codes) -> str:
    """``"file:line"`` of the first read of ``.attribute`` in ``codes`` that does not
    count it up (``_uses`` found one)."""
    for outer in codes:
        for code in nested_code(outer):
            instructions = [i for i in dis.get_instructions(code)
                            if i.opname not in ("COPY", "SWAP", "LOAD_FAST", "CACHE")]
            for k, instruction in enumerate(instructions):
                if (instruction.opname in ("LOAD_ATTR", "LOAD_METHOD")
                        and instruction.argval == attribute
                        and not _counted_from(instructions, k, attribute)):
                    return _place(code, instruction.offset)
    return "?"


def _counted_from(instructions, k, attribute) -> bool:
    """Whether ``instructions[k:k + 4]`` read ``.attribute``, add a number constant and
    store the sum back into ``.attribute``."""
    window = instructions[k:k + 4]
    return (len(window) == 4 and window[0].opname == "LOAD_ATTR"
            and window[1].opname == "LOAD_CONST" and type(window[1].argval) in _NUMBERS
            and (window[2].opname in ("INPLACE_ADD", "BINARY_ADD")       # (Python 3.10)
                 or window[2].opname == "BINARY_OP" and window[2].argrepr in _ADDS)
            and window[3].opname == "STORE_ATTR" and window[3].argval == attribute)
