"""Recording the reverse pass of a traced call (the ``backward`` half of ``Tracer``).

Every gradient edge becomes a ``rule`` step (or a ``joint`` step for all inputs of a
node, then a ``pick`` per input), followed by the ``sum_to`` / ``astype`` the pass
applied; the contributions to one value are added in the order the pass added them
(``add`` steps), and each leaf that received a gradient gets a ``leaf_grad`` step.
A pass the plan could not reproduce (``create_graph=True``, a graph recorded before
the call, a ``.grad`` changed outside the library) is refused.
"""

from __future__ import annotations

import threading

import numpy as np

from ..graph import Node, _in_dtype
from ..ops.namespace import numpy_xp
from ..tensor import Tensor
from .plan import Ref
from .provenance import leaf_label as _leaf_label
from .provenance import user_line
from .refusals import TraceError


def _in_input_dtype(value, dtype):
    """A gradient in its input's dtype, as the reverse pass gives it (graph._in_dtype)."""
    return _in_dtype(numpy_xp, np.asarray(value), dtype)


class ReversePass:
    """The reverse-pass methods of ``Tracer`` (``on_node`` and ``on_edge`` are called
    by the engine's ``BackwardObserver``); they use the tracer's slots and steps."""

    def on_node(self, node, g):
        """The reverse pass completed ``node``'s gradient ``g`` (each pass anew)."""
        if g is None or threading.get_ident() != self.thread or self.suspended:
            return
        if isinstance(g, Tensor):
            raise TraceError(
                f"compile: backward(create_graph=True) through '{node.op.name}' at "
                f"{user_line()} is not supported in a compiled function")
        if id(node) not in self.recorded:
            raise TraceError(
                f"compile: the backward at {user_line()} reaches '{node.op.name}', an op "
                f"recorded before the call: a tensor given to {self.name} carries the graph "
                "that made it, and a replay cannot follow a graph built outside the compiled "
                "function. Build that part inside the function, or pass t.detach() if no "
                "gradient should flow back out of it")
        self.node_slots[node] = self.gradient_of(node, g)

    def on_edge(self, node, position, g, gi, rule_output):
        """The reverse pass sent ``gi`` from ``node`` into its input ``position``."""
        if threading.get_ident() != self.thread or self.suspended:
            return
        if isinstance(g, Tensor) or isinstance(gi, Tensor):
            raise TraceError(
                f"compile: backward(create_graph=True) through '{node.op.name}' at "
                f"{user_line()} is not supported in a compiled function")
        g_slot = self.node_slots[node]
        op = node.op
        args = node.args
        line = user_line()
        arg_refs = tuple(self.ref(a, p if isinstance(p, Tensor) else None, op.name, line)
                         for a, p in zip(args, node.parents))
        kwargs = {k: self.ref(v, None, op.name, line) for k, v in (node.kwargs or {}).items()}
        ans = Ref(self.by_id[id(node.ans)])
        if op.rules is None:
            # One joint call serves every input of the node in a pass; another pass
            # (retain_graph, then a backward with another gradient) calls it again.
            joint = self.joint_slots.get((node, g_slot))
            if joint is None:
                needs = tuple(p is not None and p.requires_grad for p in node.parents)
                joint_kwargs = dict(kwargs)
                if getattr(op, "saves", False):
                    joint_kwargs["saved"] = Ref(self.saved_slots[node])
                joint = self.new_slot(None)
                self.joint_slots[(node, g_slot)] = joint
                self.emit("joint", op.name, op.joint,
                          (numpy_xp, Ref(g_slot), ans, needs) + arg_refs, joint_kwargs,
                          (joint,))
            slot = self.unkept_slot(rule_output)
            self.emit("pick", f"{op.name}[{position}]", None, (Ref(joint),), {}, (slot,),
                      position=position)
        else:
            rule = op.rules[position]
            slot = self.unkept_slot(rule_output)
            self.emit("rule", f"{op.name}.{op.input_name(position)}", rule,
                      (numpy_xp, Ref(g_slot), ans) + arg_refs, kwargs, (slot,), line)
        value = rule_output
        arg = args[position]
        if np.shape(value) != arg.shape:
            value = numpy_xp.sum_to(value, arg.shape)
            slot = self.follow("sum_to", numpy_xp.sum_to, slot, arg.shape, value)
        if np.result_type(value) != arg.dtype:
            # as the reverse pass: a real input takes the real part of a complex gradient
            value = _in_input_dtype(value, arg.dtype)
            slot = self.follow("astype", _in_input_dtype, slot, arg.dtype, value)
        if not _same(value, gi):
            raise TraceError(
                f"compile: the gradient of '{op.name}' was not its rule's output brought to "
                "its input's shape and dtype; the plan could not reproduce this pass")
        self.by_id[id(gi)] = slot
        self.slot_values[slot] = len(self.keep)
        self.keep.append(gi)
        parent = node.parents[position]
        if parent.__class__ is Node:
            self.contributions.setdefault(parent, []).append((slot, gi))
        else:
            self.leaf_part(parent, slot, gi)

    def follow(self, kind, fn, slot, what, value):
        out = self.unkept_slot(value)
        self.emit(kind, str(what), fn, (Ref(slot), what), {}, (out,))
        return out

    def gradient_of(self, node, g):
        """The slot of ``node``'s complete gradient ``g`` (first edge out of it)."""
        parts = self.contributions.pop(node, None)
        if parts is None:                   # the root of a new reverse pass
            self.flush()
            slot = self.by_id.get(id(g))
            if slot is None:
                g = np.asarray(g)
                if not (g.size and np.all(g == 1)):
                    slot = self.ref(g, None, node.op.name, user_line()).index
                else:
                    slot = self.new_slot(g)
                    self.emit("ones", str(g.shape), np.ones, (g.shape, g.dtype), {},
                              (slot,))
        else:
            slot, total = parts[0]
            for part, value in parts[1:]:
                total = total + value
                out = self.unkept_slot(total)
                self.emit("add", "", None, (Ref(slot), Ref(part)), {}, (out,))
                slot = out
            if not _same(total, g):
                raise TraceError(f"compile: the gradient of '{node.op.name}' was not the sum "
                                 "of its parts; this reverse pass cannot be replayed")
            self.by_id[id(g)] = slot
            self.slot_values[slot] = len(self.keep)
            self.keep.append(g)
        self.node_slots[node] = slot
        return slot

    def leaf_part(self, leaf, slot, gi):
        entry = self.leaf_parts.get(id(leaf))
        if entry is None:
            entry = self.leaf_parts[id(leaf)] = [leaf, [], leaf.grad]
            self.leaves[id(leaf)] = self.leaf_ref(leaf)
        entry[1].append((slot, gi))

    def on_leaf(self, leaf):
        """The pass is about to add its gradient into ``leaf.grad`` (in place when the
        leaf has one, as eager backward does)."""
        if threading.get_ident() == self.thread and not self.suspended:
            self.stored_into.add(id(leaf))

    def flush(self):
        """Emit the ``leaf_grad`` steps of the reverse pass that just ended, and a
        ``clear_grad`` step for each ``.grad`` set to None by hand since the last event."""
        if self.leaf_parts:
            self.flush_leaves()

    def flush_leaves(self):
        parts, self.leaf_parts = self.leaf_parts, {}
        stored_into, self.stored_into = self.stored_into, set()
        for leaf, pieces, before in parts.values():
            slot, total = pieces[0]
            for part, value in pieces[1:]:
                total = total + value
                out = self.unkept_slot(total)
                self.emit("add", "", None, (Ref(slot), Ref(part)), {}, (out,))
                slot = out
            after = leaf.grad
            if after is None or (after is before and id(leaf) not in stored_into):
                raise TraceError(
                    f"compile: after a backward, the .grad of {_leaf_label(leaf)} is not what "
                    f"the reverse pass stored (seen at {user_line()}): it was changed outside "
                    "the library (use opt.zero_grad(), which a replay repeats), or the pass "
                    "returned its gradients (ad.grad, backward(inputs=...)), which a compiled "
                    "function does not support yet")
            view = len(pieces) == 1 and getattr(pieces[0][1], "base", None) is not None
            array = type(total) is np.ndarray and total.ndim > 0
            out = self.new_slot(after)
            # A leaf made during the call starts each replay without a gradient, as
            # its eager twin does (the replay's leaf is the traced object, kept).
            fresh = before is None and id(leaf) in self.made_during
            self.emit("leaf_grad", _leaf_label(leaf), None, (Ref(slot),), {}, (out,),
                      effect=True, leaf=self.leaf_ref(leaf), copy=True, view=view,
                      array=array, fresh=fresh)


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))
