"""What a plan checks before each replay, in words: ``print(step.plan)`` and
``ad.viz.draw(step.plan)`` list it.

A replay is right only while what the trace read is unchanged (``captures.py``,
``why_plan_does_not_fit``): the flags of tensors, modules and optimizers (and the
lists and tensor values a constant was made from), the modules' members, the names the
function reads (its globals and closure, a module's attributes), the settings it read
from them, the shape and order of each captured tensor's array and the values of each
NumPy array it captured (a checksum).  A call that finds one changed traces again.

>>> RATE = 0.5
>>> w = ad.tensor([1.0, 2.0], requires_grad=True, name="w")
>>> f = ad.compile(lambda x: (w * x * RATE).sum())
>>> _ = f(np.ones(2))
>>> print("\\n".join(replay_checks(f.plan)))
w: .requires_grad is True
no gradient hook on w
module autodiff.compile.plan_checks: the names w still refer to the same objects
the setting RATE == 0.5
the arrays of w (float64[2], C order) keep their shape, dtype and memory order
"""

from __future__ import annotations

import reprlib

from .captures import SUBMODULE_NAMES, DictItems
from .grad_presence import GradPresence
from .provenance import leaf_label
from .values_read import ValueRead

_SHOWN = reprlib.Repr()
_SHOWN.maxstring, _SHOWN.maxother, _SHOWN.maxlist = 40, 40, 6


def replay_checks(plan) -> list:
    """One line per kind of check the plan makes before each replay (the tensors or
    modules checked alike named on one line), in the order it makes them."""
    grouped: dict = {}          # what is checked -> the names it is checked for
    for obj, attribute, value in plan.flags:
        subject, check = _flag(obj, attribute, value)
        grouped.setdefault(check, []).append(subject)
    lines = [_joined(check, subjects) for check, subjects in grouped.items()]
    member_keys = list(dict.fromkeys(repr(key) for _, key, _ in plan.members
                                     if key is not SUBMODULE_NAMES))
    if member_keys:
        lines.append(f"the modules' members {_listed(member_keys)} are the same objects")
    listed = sum(key is SUBMODULE_NAMES for _, key, _ in plan.members)
    if listed:
        lines.append(f"the submodules of {listed} module{'s' * (listed != 1)}: the same "
                     "names, in the same order")
    by_place: dict = {}          # where the names live -> the names
    held: dict = {}              # where the names live -> the kinds of what they hold
    for where, key, value in plan.bindings:
        by_place.setdefault(_place(where, key, plan), []).append(key)
        held.setdefault(_place(where, key, plan), []).append(type(value).__name__)
    for place, names in by_place.items():
        if names[0] is None:            # (a closure's cells: their names are not kept)
            lines.append(f"{place}: its {len(names)} name{'s' * (len(names) != 1)} "
                         f"(holding {_listed(sorted(held[place]))}) still refer to the "
                         "same objects")
        else:
            lines.append(f"{place}: the names {_listed([str(n) for n in names])} still "
                         "refer to the same objects")
    for name, _, _, value in plan.settings:
        if callable(value) or _is_object(value):
            lines.append(f"{name} is the same {type(value).__name__}")
        else:
            lines.append(f"the setting {name} == {_SHOWN.repr(value)}")
    arrays = [f"{_tensor_name(tensor, slot)} ({plan.slots[slot].dtype}"
              f"{list(plan.slots[slot].shape)}, {plan.slots[slot].memory_order} order)"
              for tensor, slot in plan.captured]
    if arrays:
        lines.append(f"the arrays of {_listed(arrays)} keep their shape, dtype and "
                     "memory order")
    for slot in plan.checksums:
        op, line = plan.constant_sites.get(slot, ("an op", "?"))
        lines.append(f"the values of v{slot}, read by '{op}' at {line} (by a checksum)")
    return lines


def _place(where, key, plan) -> str:
    """Where a name the plan checks lives: a closure, a module's globals, a class's
    namespace or an object's attributes (named by its class when the plan checks a
    flag of it too, as it does of each nn.Module it reads)."""
    if key is None:
        return "the function's closure"
    get = getattr(where, "get", None)
    if get is None:
        return "a namespace"
    if get("__qualname__") is not None and get("__module__") is not None:
        return f"class {get('__qualname__')}"
    if get("__name__") is not None and get("__builtins__") is not None:
        return f"module {get('__name__')}"
    for obj, _, _ in plan.flags:
        if getattr(obj, "__dict__", None) is where:
            return f"the attributes of {_module_name(obj)}"
        for cls in type(obj).__mro__:
            if _same_namespace(vars(cls), where):
                return f"class {cls.__qualname__}"
    return "an object's attributes"


def _same_namespace(namespace, where) -> bool:
    """Whether ``where`` is a class's ``namespace``: each access to ``cls.__dict__``
    makes a new proxy, so the entries are compared (by identity: no value's ``==``)."""
    return namespace.keys() == where.keys() and all(namespace[k] is where[k] for k in where)


def _module_name(obj) -> str:
    """``Linear(3, 4)``: a module's class and its positional settings (two layers of
    one class told apart); other objects by their class."""
    kind = type(obj).__name__
    extra_repr = getattr(obj, "extra_repr", None)
    if not callable(extra_repr):
        return kind
    try:
        positional = [part for part in _top_level_parts(str(extra_repr()))
                      if part and "=" not in part and "\n" not in part]
    except Exception:               # (a user's extra_repr: the class name is enough)
        return kind
    return f"{kind}({', '.join(positional)})" if positional else kind


def _top_level_parts(text: str) -> list:
    """``text`` split at the commas outside brackets: ``sizes=[2, 64, 3], bias=True``
    is two parts (a split at every comma made ``MLP(64, 3])`` of ``sizes=[2, 64, 3]``)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += (char in "([{") - (char in ")]}")
        if char == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def _joined(check: str, subjects: list) -> str:
    """``check`` said of ``subjects`` (none: ``check`` alone)."""
    return f"{_listed(subjects)}: {check}" if subjects[0] else check


def _listed(subjects: list) -> str:
    """The first few of ``subjects``, the rest counted."""
    more = len(subjects) - 6
    return ", ".join(subjects[:6]) + (f" and {more} more" if more > 0 else "")


def _flag(obj, attribute, value) -> tuple:
    """(what is checked, the check) for one of the plan's flags."""
    shown = _SHOWN.repr(value)
    if isinstance(obj, GradPresence):
        read_at = obj.label.rsplit(" (", 1)[-1].rstrip(")")
        return "", (f"the .grad of {leaf_label(obj.tensor)} {'is' if value else 'is not'} "
                    f"None, as when {read_at}")
    if isinstance(obj, ValueRead):
        return "", f"{obj.label} still holds {shown}"
    if isinstance(obj, DictItems):
        return "", f"{obj.label}[{attribute!r}] == {shown}"
    kind = type(obj).__name__
    if kind in ("Tensor", "Parameter"):
        return _tensor_name(obj), f".{attribute} is {shown}"
    if kind == "GradientHookWatch":
        names = ", ".join(_tensor_name(t) for t in obj.tensors[:4])
        more = f" and {len(obj.tensors) - 4} more" if len(obj.tensors) > 4 else ""
        return "", f"{'no' if value is False else 'a'} gradient hook on {names}{more}"
    if attribute == "_has_step_hooks":
        return kind, f"{'no ' if not value else ''}step hooks"
    if attribute == "_hooks_for_compile":
        return _module_name(obj), "the same forward hooks"
    return _module_name(obj), f".{attribute} is {shown}"


def _tensor_name(tensor, slot=None) -> str:
    name = getattr(tensor, "_name", None)
    if name:
        return name
    where = f" v{slot}" if slot is not None else ""
    shape = getattr(tensor, "shape", None)
    kind = type(tensor).__name__.lower() if type(tensor).__name__ != "Parameter" else "tensor"
    return f"a captured {kind}{where}" + (f" of shape {tuple(shape)}" if shape is not None else "")


def _is_object(value) -> bool:
    return not isinstance(value, (bool, int, float, complex, str, bytes, tuple,
                                  type(None)))
