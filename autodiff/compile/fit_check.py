"""Whether a cached plan still fits, asked on every call by one function made per plan.

``why_plan_does_not_fit`` (``captures.py``) is the definition: it walks the plan's
lists of what a replay needs unchanged (module settings and flags, the objects in
modules' tables, the names the function holds, the captured tensors' arrays, the
captured arrays' checksums) and says what changed.  Each call asks the question, but
only needs the answer yes or no; the walk's loops, tuple unpacking and calls cost
more than the tests themselves (about a fifth of a small compiled training step).
So the tests are written out here, one line each, into a function made the first
time the plan is checked:

    def fits(plan):
        value = o0.training
        if value is not v0 and not same_value(value, v0): return False
        if t1.get('weight') is not m1: return False
        data = d2.data
        if data.shape != s2 or data.dtype != k2 or not data.flags.c_contiguous: return False
        ...
        return True

Two properties asked on every call are written out as the reads they make (when the
object's class has the library's own): a module's ``_hooks_for_compile`` while it has
no hooks (its hook tables, and the global ones once), and a tensor's
``requires_grad`` (``_requires_grad``).

When it answers no, the walk runs to say why (``Compiled._fitting_plan``), so the
messages and the plan's bookkeeping stay in one place.

>>> w = ad.tensor([1.0, 2.0])
>>> @ad.compile
... def f(x):
...     return (w * x).sum()
>>> f(np.ones(2)); plan_fits(f.plan)
tensor(3.)
True
>>> w.data = np.ones(3); plan_fits(f.plan)
False
"""

from __future__ import annotations

import keyword

from .captures import DictItems, changed_setting_or_checksum
from .grad_presence import GradPresence
from .hyperparameters import same_value
from .members import SUBMODULE_NAMES
from .plan import memory_order

_MISSING = object()


def plan_fits(plan) -> bool:
    """Whether ``plan`` can be replayed as things stand, by the plan's generated check:
    True when every test passes, which is when ``why_plan_does_not_fit(plan)`` is None."""
    sizes = (len(plan.flags), len(plan.members), len(plan.bindings), len(plan.captured),
             len(plan.settings), len(plan.checksums))
    made = getattr(plan, "fit_check", None)
    if made is None or made[0] != sizes:        # (made anew if a list grew since)
        made = plan.fit_check = (sizes, _make_check(plan))
    return made[1](plan)


def _make_check(plan):
    # (the plan is an argument, not one of the names: the plan holds the function, and
    # a reference back would keep a dropped plan alive until a cycle collection)
    names = {"same_value": same_value, "memory_order": memory_order, "MISSING": _MISSING,
             "changed": changed_setting_or_checksum}
    lines = ["def fits(plan):", "    try:"]

    def add(value, prefix):
        name = f"{prefix}{len(names)}"
        names[name] = value
        return name

    hookless = [obj for obj, attribute, value in plan.flags
                if attribute == "_hooks_for_compile" and value is False and _plain_hooks(obj)]
    if hookless:
        from ..nn.module_hooks import GLOBAL_HOOKS
        g = add(GLOBAL_HOOKS, "g")
        lines.append(f"        if {g}._forward_hooks or {g}._forward_pre_hooks: return False")
    for obj, attribute, value in plan.flags:
        if attribute == "_hooks_for_compile" and value is False and _plain_hooks(obj):
            # (the property's own test, inlined: two property calls a module otherwise)
            o = add(obj, "o")
            lines += [f"        if {o}._forward_hooks or {o}._forward_pre_hooks: return False",
                      f"        d = {o}.__dict__",
                      "        if d.get('_backward_hooks') or d.get('_backward_pre_hooks'): "
                      "return False"]
            continue
        if isinstance(obj, GradPresence):
            # (one ``is None`` per .grad the traced code read: its property, inlined)
            test = "is not" if value else "is"
            lines.append(f"        if {add(obj.tensor, 'o')}._grad {test} None: return False")
            continue
        o, v = add(obj, "o"), add(value, "v")
        if attribute == "requires_grad" and _plain_requires_grad(obj):
            read = f"{o}._requires_grad"        # (the property's own read, inlined)
        elif (type(attribute) is str and attribute.isidentifier()
                and not keyword.iskeyword(attribute) and not isinstance(obj, DictItems)):
            read = f"{o}.{attribute}"
        else:
            read = f"getattr({o}, {add(attribute, 'a')}, MISSING)"
        lines += [f"        value = {read}",
                  f"        if value is not {v} and not same_value(value, {v}): return False"]
    for table, key, value in plan.members:
        t, m = add(table, "t"), add(value, "m")
        if key is SUBMODULE_NAMES:
            lines.append(f"        if tuple({t}) != {m}: return False")
        else:
            lines.append(f"        if {t}.get({add(key, 'k')}) is not {m}: return False")
    for where, key, value in plan.bindings:
        w, b = add(where, "w"), add(value, "b")
        read = f"{w}.cell_contents" if key is None else f"{w}.get({add(key, 'k')})"
        lines.append(f"        if {read} is not {b}: return False")
    for tensor, slot in plan.captured:
        info = plan.slots[slot]
        d, s, k = add(tensor, "d"), add(info.shape, "s"), add(info.dtype, "k")
        order = ("not data.flags.c_contiguous" if info.memory_order == "C"
                 else f"memory_order(data) != {add(info.memory_order, 'r')}")
        lines += [f"        data = {d}.data",
                  f"        if data.shape != {s} or data.dtype != {k} or {order}: return False"]
    if plan.settings or plan.checksums:
        lines.append("        if changed(plan) is not None: return False")
    lines += ["    except (AttributeError, ValueError):", "        return False",
              "    return True"]
    exec(compile("\n".join(lines), f"<fit check of {plan.name}>", "exec"), names)
    return names["fits"]


def _plain_hooks(module) -> bool:
    """Whether ``module``'s class answers ``_hooks_for_compile`` with the library's
    own properties, so that the check may test the hook tables they read directly."""
    from ..nn.module_hooks import HookMethods
    kind = type(module)
    return (getattr(kind, "_hooks_for_compile", None) is HookMethods.__dict__["_hooks_for_compile"]
            and getattr(kind, "_has_forward_hooks", None)
            is HookMethods.__dict__["_has_forward_hooks"])


def _plain_requires_grad(tensor) -> bool:
    """Whether ``tensor.requires_grad`` is the ``Tensor`` property, which reads
    ``_requires_grad``."""
    from ..tensor import Tensor
    return getattr(type(tensor), "requires_grad", None) is Tensor.__dict__["requires_grad"]
