"""Making a recorded plan smaller before it is replayed: dead-code elimination."""

from __future__ import annotations

from .plan import Plan, Ref, _collect_refs


def output_refs(template) -> list[int]:
    """The slots a plan's output structure reads."""
    found: list[int] = []
    stack = [template]
    while stack:
        item = stack.pop()
        if item.__class__ is Ref:
            found.append(item.index)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (tuple, list)):
            stack.extend(item)
    return found


def eliminate_dead_code(plan: Plan) -> Plan:
    """Drop the steps whose results nothing reads (steps with effects always stay:
    ``.grad`` updates, optimizer calls, ops given an rng or a ctx).

    >>> from autodiff.compile.plan import Instr
    >>> p = Plan("f", [], [Instr("add", "", None, (Ref(0), Ref(0)), {}, (1,))],
    ...          [], [], ("value", None), [])
    >>> len(eliminate_dead_code(p).instrs)
    0
    """
    live = set(output_refs(plan.output))
    kept = []
    for instr in reversed(plan.instrs):
        if instr.effect or any(k in live for k in instr.outs):
            kept.append(instr)
            found: list[int] = []
            _collect_refs(instr.args, found)
            _collect_refs(tuple(instr.kwargs.values()), found)
            live.update(found)
    kept.reverse()
    plan.removed += len(plan.instrs) - len(kept)
    plan.instrs = kept
    plan.live = live
    _decide_copies(plan)
    return plan


def same_arrays(values: dict) -> dict:
    """``{slot: the first slot of its array}`` over the traced ``values``: slots that
    were one array (a rule that passes its gradient on, ``add``'s to both inputs, or
    an argument given to ``backward``) are one array in a replay too."""
    first: dict = {}
    return {slot: first.setdefault(id(value), slot) for slot, value in sorted(values.items())}


def _decide_copies(plan: Plan) -> None:
    """A ``.grad`` may take a gradient array itself only when nothing else holds it
    (as the engine does with an array it owns alone); otherwise it gets a copy.  The
    slots of one array (``plan.same_array``) count as one: another leaf's ``.grad``
    or the caller's argument may be that array.  A step whose result is the same
    array only passes it on."""
    same = plan.same_array
    held = {root for slot, root in same.items() if plan.slots[slot].source != "computed"}
    reads: dict = {}
    for instr in plan.instrs:
        passes = () if instr.kind == "leaf_grad" else {same.get(k, k) for k in instr.outs}
        for k in instr.reads():
            root = same.get(k, k)
            if root not in passes:
                reads[root] = reads.get(root, 0) + 1
    for k in output_refs(plan.output):
        root = same.get(k, k)
        reads[root] = reads.get(root, 0) + 2
    for instr in plan.instrs:
        if instr.kind == "leaf_grad":
            slot = instr.args[0].index
            root = same.get(slot, slot)
            owned = (plan.slots[slot].source == "computed" and root not in held
                     and reads.get(root, 0) == 1 and not instr.extra["view"])
            instr.extra["copy"] = not owned
