"""A Python number in an attribute of a user's optimizer that its traced call changes:
``self.t += 1`` in the ``step()`` of an Adam written by hand, ``self.calls += 1``.

A replay runs no Python code, so such a number would stay where the trace left it.
Two kinds are told apart by reading the code that could use it (the methods of the
optimizer's classes the user wrote, and the compiled function with the functions it
reaches, ``reached_functions``):

* a counter that code only counts up by a constant (``self.calls += 1``, ``self.calls
  = self.calls + 1``) and reads nowhere else is carried: each replay adds to it what
  the traced call added, as eager execution would;
* any other (one read elsewhere, as the bias correction ``1 - beta1 ** self.t``
  reads it, or set to another value) is refused while tracing: what the call computed
  from it is fixed into the plan as numbers, and every replay would apply the traced
  values while eager execution counts on.  The refusal names the optimizer and the
  attribute and says how to keep the count in a 0-d tensor, which a replay updates.
"""

from __future__ import annotations

import dis
import types

from ..code_walk import nested_code
from .refusals import TraceError
from .state_numbers import optimizers_stepped_by_user

_NUMBERS = (int, float)
_ADDS = ("+", "+=")


def optimizer_attribute_numbers(roots) -> dict:
    """``{(id(optimizer), name): (optimizer, name, number)}`` for the Python numbers in
    the attributes of the optimizers ``roots`` (``(label, object)`` pairs) reach whose
    ``step()`` the user wrote (a library optimizer's is replayed as a call)."""
    found = {}
    for item in optimizers_stepped_by_user(roots):
        found.update(((id(item), name), (item, name, value))
                     for name, value in list(vars(item).items())
                     if type(value) in _NUMBERS)
    return found


def carried_counters(name, fn, before) -> list:
    """``[(optimizer, attribute, added)]``: the numbers of ``before``
    (``optimizer_attribute_numbers`` before the traced call of ``fn``, whose name is
    ``name``) the call changed, each a counter a replay carries; refuse any other."""
    from .hyperparameters import same_value
    from .reached import reached_functions, written_by_user

    changed = [(optimizer, attribute, old, getattr(optimizer, attribute, None))
               for optimizer, attribute, old in before.values()]
    changed = [entry for entry in changed if not same_value(entry[2], entry[3])]
    if not changed:
        return []
    counters = []
    for optimizer, attribute, old, new in changed:
        kind = type(optimizer)
        codes = [f.__code__ for f in _functions_of(kind, written_by_user)]
        codes += [getattr(getattr(f, "__func__", f), "__code__", None)
                  for f in reached_functions(fn)]
        uses = _uses(attribute, [c for c in codes if c is not None])
        if type(old) is int and type(new) is int and uses == "counted":
            counters.append((optimizer, attribute, new - old))
            continue
        how = ("reads it besides counting it up (as a bias correction 1 - beta1 ** "
               f"self.{attribute} does)" if uses == "read" else
               "sets it otherwise than counting it up by a constant" if uses == "set"
               else "changes a number that is no int")
        raise TraceError(
            f"compile: {name} changed the Python number {kind.__name__}.{attribute} of "
            f"an optimizer while tracing ({old!r} -> {new!r}), and the code {how}: a "
            "replay runs no Python code, so what the call computed from it is fixed "
            "into the plan as numbers, while eager execution counts on. Keep it in a "
            f"0-d tensor: self.{attribute} = ad.zeros(()) in __init__; self.{attribute} "
            f"+= 1 under ad.no_grad() then updates it in place and 1 - beta1 ** "
            f"self.{attribute} computes with tensor ops, which a replay repeats (as "
            "PyTorch's optimizers keep their step).")
    return counters


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
    if one reads it otherwise, ``"set"`` if one stores anything else into it (outside
    an ``__init__``, where the count starts)."""
    result = "counted"
    for outer in codes:
        for code in nested_code(outer):
            instructions = [i for i in dis.get_instructions(code)
                            if i.opname not in ("COPY", "SWAP", "LOAD_FAST", "CACHE")]
            for k, instruction in enumerate(instructions):
                if instruction.argval != attribute:
                    continue
                if instruction.opname in ("LOAD_ATTR", "LOAD_METHOD"):
                    if not _counted_from(instructions, k, attribute):
                        return "read"
                elif instruction.opname == "STORE_ATTR" and code.co_name != "__init__":
                    if k < 3 or not _counted_from(instructions, k - 3, attribute):
                        result = "set"
    return result


def _counted_from(instructions, k, attribute) -> bool:
    """Whether ``instructions[k:k + 4]`` read ``.attribute``, add a number constant and
    store the sum back into ``.attribute``."""
    window = instructions[k:k + 4]
    return (len(window) == 4 and window[0].opname == "LOAD_ATTR"
            and window[1].opname == "LOAD_CONST" and type(window[1].argval) in _NUMBERS
            and window[2].opname == "BINARY_OP" and window[2].argrepr in _ADDS
            and window[3].opname == "STORE_ATTR" and window[3].argval == attribute)
