"""Turning a plan into one generated Python function that replays it.

Each step becomes one line of straight-line code over local variables ``v<k>``;
functions and constants are bound by name (``F<k>``, ``K<k>``).  The function
builds no Tensor and no Node (except the Tensors it returns), and its locals are
freed when it returns, so memory stays flat from one call to the next.
``plan.source`` holds the generated code, and ``plan.steps_by_line`` the step of
each of its lines (an error a replay raises gets a note naming that step's op and
the line it was traced at: ``note_replay_error``).

A leaf's gradient is read and written in its slot (``t._grad``, the one behind the
checked ``.grad`` property: a plan's gradients have the leaf's shape and dtype, since
a change of either traces again).  While another ``ad.compile`` traces a call that
replays this plan, the tracer must see those reads and writes, so the same steps
with ``.grad`` are generated too (``plan.replay_traced``, ``plan.traced_source``).
"""

from __future__ import annotations

import numpy as np

from ..graph import _accumulate_into_leaf
from ..grad_mode import _grad_mode
from ..tensor import Tensor, set_grad_slot
from .literals import anew
from .outputs import output_source
from .plan import Plan, Ref


class _Namespace:
    def __init__(self):
        self.names: dict = {"ASARRAY": np.asarray, "MAKE": Tensor._make}
        self.by_id: dict = {}

    def const(self, value, prefix="K") -> str:
        key = (prefix, id(value))
        name = self.by_id.get(key)
        if name is None:
            name = f"{prefix}{len(self.by_id)}"
            self.by_id[key] = name
            self.names[name] = value
        return name

    def expr(self, template) -> str:
        if template.__class__ is Ref:
            return f"v{template.index}"
        if isinstance(template, tuple) and _has_ref(template):
            inner = ", ".join(self.expr(t) for t in template)
            return f"({inner}{',' if len(template) == 1 else ''})"
        if isinstance(template, list) and _has_ref(template):
            return "[" + ", ".join(self.expr(t) for t in template) + "]"
        if template is Ellipsis:
            return "..."
        if template is None or isinstance(template, (bool, int, str)):
            return repr(template)
        return self.const(template)


def _has_ref(values) -> bool:
    stack = list(values)
    while stack:
        v = stack.pop()
        if v.__class__ is Ref:
            return True
        if isinstance(v, (tuple, list)):
            stack.extend(v)
    return False


def build(plan: Plan, input_kinds: dict) -> None:
    """Generate ``plan.replay(args, kwargs)``; ``input_kinds[position]`` is
    ``"tensor"`` or ``"array"`` (how the argument's array is reached)."""
    ns = _Namespace()
    plan.source = _source(plan, input_kinds, ns, "_grad", plan.steps_by_line)
    plan.traced_source = _source(plan, input_kinds, ns, "grad", {})
    namespace = dict(ns.names)
    namespace["__name__"] = __name__    # warnings raised in it: see warning_lines.py
    plan.functions = [v for k, v in ns.names.items() if k.startswith("F")]
    plan.replay = _define(plan.source, f"<autodiff plan {plan.name}>", namespace)
    plan.replay_traced = (plan.replay if plan.traced_source == plan.source  # (no leaf grads)
                          else _define(plan.traced_source,
                                       f"<autodiff plan {plan.name} (traced)>", namespace))


def note_replay_error(plan: Plan, error: BaseException) -> None:
    """Add to ``error``, raised by ``plan``'s replay, a note naming the step that raised
    it: its op and the user's line it was traced at (NumPy's message alone names
    neither, where eager's names the op)."""
    filename = f"<autodiff plan {plan.name}>"
    tb, lineno = error.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            lineno = tb.tb_lineno
        tb = tb.tb_next
    instr = plan.steps_by_line.get(lineno)
    if instr is not None:
        where = f", traced at {instr.line}" if instr.line else ""
        error.add_note(f"compile: raised while replaying {plan.name}, by its step "
                       f"{instr.kind} '{instr.label}'{where}")


def _define(source: str, filename: str, namespace: dict):
    """The ``replay`` function that ``source`` defines, run in ``namespace``."""
    exec(compile(source, filename, "exec"), namespace)
    return namespace["replay"]


def _source(plan: Plan, input_kinds: dict, ns: _Namespace, grad: str, steps: dict) -> str:
    """The replay function's code, with a leaf's gradient reached as ``leaf.<grad>``;
    ``steps`` is filled with the step of each of its line numbers."""
    live = getattr(plan, "live", None)
    lines = ["def replay(A, KW):"]
    for position, slot in plan.inputs:
        if live is not None and slot not in live:
            continue
        source = f"A[{position}]" if isinstance(position, int) else f"KW[{position!r}]"
        suffix = ".data" if input_kinds[position] == "tensor" else ""
        lines.append(f"    v{slot} = {source}{suffix}")
    first_values = getattr(plan, "literal_values", {})
    for tensor, slot in plan.captured:
        if live is None or slot in live:
            if slot in first_values:    # a leaf made from Python numbers: anew each call
                lines.append(f"    v{slot} = {ns.const(tensor, 'C')}.data = "
                             f"{ns.const(first_values[slot])}.copy('K')")
            else:
                lines.append(f"    v{slot} = {ns.const(tensor, 'C')}.data")
    copied = anew(plan) if first_values else ()
    passes = _pass_starts(plan.instrs)
    if passes:
        ns.names["GRAD_MODE"] = _grad_mode
    for s in plan.slots:
        if s.source == "constant" and (live is None or s.index in live):
            copy = ".copy('K')" if s.index in copied else ""     # (keeping its order)
            lines.append(f"    v{s.index} = {ns.const(plan.constant_values[s.index])}{copy}")
    for k, (instr, dead) in enumerate(zip(plan.instrs, _last_uses(plan))):
        if k in passes:             # a backward() the replay repeats, counted as eager's
            lines.append("    GRAD_MODE.backwards += 1")
        for text in _lines(instr, ns, grad):
            lines.append("    " + text)
            steps[len(lines)] = instr
        if dead:                    # free what nothing reads any more, as eager does
            lines.append("    del " + ", ".join(f"v{k}" for k in dead))
    lines.append(f"    return {output_source(plan.output, ns)}")
    return "\n".join(lines)


def _pass_starts(instrs) -> set:
    """The indices of the steps that begin storing a reverse pass's gradients into
    leaves (a ``leaf_grad`` not preceded by another, ``add`` steps aside): there a
    replay counts a ``backward()`` as eager does, so the hint of a loop that never
    zeroes its gradients (``optim/accumulation_hint.py``) sees it."""
    starts, in_pass = set(), False
    for k, instr in enumerate(instrs):
        if instr.kind == "leaf_grad":
            if not in_pass:
                starts.add(k)
            in_pass = True
        elif instr.kind != "add":
            in_pass = False
    return starts


def _last_uses(plan: Plan) -> list:
    """For each step, the slots it is the last to read (not the returned ones)."""
    from .optimize import output_refs

    kept = set(output_refs(plan.output))
    last: dict = {}
    for k, instr in enumerate(plan.instrs):
        for slot in instr.reads():
            last[slot] = k
    dead: list = [[] for _ in plan.instrs]
    for slot, k in last.items():
        if slot not in kept:
            dead[k].append(slot)
    for k, instr in enumerate(plan.instrs):     # results nobody reads (kept for effects)
        dead[k].extend(s for s in instr.outs if s not in last and s not in kept)
    return [sorted(set(d)) for d in dead]


def _call(instr, ns) -> str:
    parts = [ns.expr(a) for a in instr.args]
    parts += [f"{k}={ns.expr(v)}" for k, v in instr.kwargs.items()]
    return f"{ns.const(instr.fn, 'F')}({', '.join(parts)})"


def _lines(instr, ns, attribute) -> list[str]:
    """The lines of one step; a leaf's gradient is ``leaf.<attribute>``."""
    kind = instr.kind
    outs = [f"v{k}" for k in instr.outs]
    into = instr.extra.get("into")
    if into is not None:            # buffers.py: the result is written into a buffer
        fn, args, buffer = into
        parts = ", ".join([ns.expr(a) for a in args] + [ns.const(buffer, "B")])
        return [f"{outs[0]} = {ns.const(fn, 'F')}({parts})"]
    if kind == "op":
        text = [f"{', '.join(outs)} = {_call(instr, ns)}"]
        if instr.extra.get("zero_d"):
            text.append(f"{outs[0]} = ASARRAY({outs[0]})")
        return text
    if kind in ("rule", "joint", "sum_to", "astype", "ones"):
        return [f"{outs[0]} = {_call(instr, ns)}"]
    if kind == "kernel":            # a fused group: one call returns all its outputs
        arrays = instr.extra.get("into_arrays")
        if arrays is None:
            return [f"{''.join(o + ', ' for o in outs)}= {_call(instr, ns)}"]
        run_into = instr.extra["kernel"].run_into
        parts = [ns.expr(a) for a in instr.args]
        parts += ["None" if b is None else ns.const(b, "B") for b in arrays]
        return [f"{''.join(o + ', ' for o in outs)}= {ns.const(run_into, 'F')}({', '.join(parts)})"]
    if kind == "pick":
        return [f"{outs[0]} = {ns.expr(instr.args[0])}[{instr.extra['position']}]"]
    if kind == "add":
        return [f"{outs[0]} = {ns.expr(instr.args[0])} + {ns.expr(instr.args[1])}"]
    if kind == "write":
        return [_call(instr, ns)]
    if kind == "call":              # a @replayed method: the object, then its arguments
        parts = [ns.const(instr.args[0])] + [ns.expr(a) for a in instr.args[1:]]
        parts += [f"{k}={ns.expr(v)}" for k, v in instr.kwargs.items()]
        return [f"{ns.const(instr.fn, 'F')}({', '.join(parts)})"]
    if kind == "clear_grad":
        where, what = instr.extra["leaf"]
        leaf = _leaf(where, what, ns)
        if attribute == "_grad":        # (past Parameter.__setattr__: tensor.set_grad_slot)
            return [f"{ns.const(set_grad_slot, 'F')}({leaf}, None)"]
        return [f"{leaf}.{attribute} = None"]
    if kind == "leaf_grad":
        where, what = instr.extra["leaf"]
        leaf = _leaf(where, what, ns)
        grad = ns.expr(instr.args[0])
        if not instr.extra.get("array"):
            grad = f"ASARRAY({grad})"
        first = f"{grad}.copy()" if instr.extra["copy"] else grad
        current = f"L.{attribute}"
        total = (f"{current} + {grad}" if instr.extra.get("array")
                 else f"ASARRAY({current} + {grad})")
        if attribute == "_grad":        # (under another trace: the property, as it was)
            total = f"{ns.const(_add_into_leaf, 'F')}(L, {grad})"
        if instr.extra.get("fresh"):
            total = first
        value = f"{first} if {current} is None else {total}"
        store = (f"{ns.const(set_grad_slot, 'F')}(L, {value})" if attribute == "_grad"
                 else f"{current} = {value}")
        return [f"L = {leaf}", store, f"{outs[0]} = {current}"]
    raise ValueError(f"replay: unknown step kind {kind!r}")


def _add_into_leaf(leaf, grad):
    """A replayed gradient added into a ``.grad`` that was not cleared, as eager
    backward adds it: under its lock, into a plain array (also where ``.grad`` held a
    Tensor from ``backward(create_graph=True)``)."""
    _accumulate_into_leaf(leaf, grad, False)
    return leaf._grad


def _leaf(where, what, ns) -> str:
    if where == "captured":
        return ns.const(what, "C")
    return f"A[{what}]" if isinstance(what, int) else f"KW[{what!r}]"
