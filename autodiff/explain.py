"""``explain(t)``: why is this tensor's gradient None, or zero?

After a backward pass, ``explain`` walks the output's graph (every recorded edge,
including the non-differentiable ones that comparisons, ``where`` conditions and
``stop_gradient`` keep for provenance) and says which of these holds:

* the tensor does not require grad (or is not a leaf, so ``.grad`` is never filled);
* it is not connected to the output at all (``.detach()``, ``.data`` and
  ``no_grad`` leave no trace, so they look like this);
* it reaches the output only through non-differentiable edges -- a comparison, the
  condition of ``where``, ``stop_gradient`` -- which are named, with the path;
* a gradient does flow, but it is zero: the ops on the way that can zero it
  (``relu``, ``where``, ``clip``, ``maximum`` ...) are named, and when the graph was
  kept (``retain_graph=True``) the values say which one did (a dead ``relu``, a
  ``where`` that selected the other branch everywhere).

The output is the tensor of the last ``.backward()`` in this thread (a weak
reference kept by the tape), or the ``output=`` argument.  Graph walks are
iterative.  Lines of user code are shown for ops created under
``ad.detect_anomaly()``.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from .guard import savers_of
from .graph import Node, _grad_mode
from .graph_node import upstream
from .overwrites import outdated
from .saturation_notes import (saturation_notes, unchecked_saturating_ops,
                               unchecked_saturation_note, long_chain_note)
from .ops.local import local_derivative
from .tape_drop_memory import last_drop
from .tensor import Tensor
from .zeroing_notes import zeroing_texts
from .explain_retained import last_backward_leaf, skeleton_roots
from .explain_shape_notes import broadcast_loss_note
from .explain_zero_causes import (_hooks_on, _node_label, _zero_without_a_zeroing_op,
                                  zero_factor_note, zero_factors)

__all__ = ["explain"]

def _tensor_label(t):
    name = t.name
    shape = f"shape {t.shape}, {t.dtype}"
    return f"'{name}' ({shape})" if name else f"the tensor ({shape})"


def _item_label(item, target, root):
    if item is target:
        return "this tensor"
    if isinstance(item, Node):
        return _node_label(item) + (" = the output" if item is root else "")
    return _tensor_label(item)


def _edge_blocked(consumer, position):
    """Why no gradient flows from ``consumer`` into its input ``position`` (or None)."""
    op = consumer.op
    name = op.name
    parent = consumer.parents[position]
    rules = op.rules
    if rules is not None and rules[position] is None:
        role = op.index_inputs.get(position)
        if role is not None:
            return f"it is the {role} of {name}: no gradient flows into an index or condition"
        if op.blocks:
            return op.blocks
        return f"{name} passes no gradient to its input '{op.input_name(position)}'"
    if parent is not None and not parent.requires_grad:
        return f"the input of {name} does not require grad"
    return None


def _has_no_rule(consumer, position):
    rules = consumer.op.rules
    return rules is not None and rules[position] is None


def _walk(root, target):
    """0-1 BFS from ``root`` over every edge; blocked edges cost 1.

    Returns (reached, parent_of) where ``parent_of[item] = (consumer, position)``
    along a path to ``item`` with the fewest blocked edges, and ``consumers`` maps
    each item to the nodes that use it.
    """
    best = {root: 0}
    parent_of = {root: None}
    consumers = {}
    queue = deque([root])
    done = set()
    while queue:
        item = queue.popleft()
        if item in done:
            continue
        done.add(item)
        if not isinstance(item, Node):
            continue
        for position, parent in enumerate(item.parents):
            if parent is None:
                continue
            consumers.setdefault(parent, []).append((item, position))
            cost = best[item] + (1 if _edge_blocked(item, position) else 0)
            if cost < best.get(parent, 1 << 30):
                best[parent] = cost
                parent_of[parent] = (item, position)
                if cost == best[item]:
                    queue.appendleft(parent)
                else:
                    queue.append(parent)
    return best, parent_of, consumers


def _path(parent_of, target):
    """[(item, consumer, position), ...] from ``target`` up to the root."""
    path = []
    item = target
    while parent_of.get(item) is not None:
        consumer, position = parent_of[item]
        path.append((item, consumer, position))
        item = consumer
    return path


def _on_differentiable_paths(root, target, consumers):
    """Nodes lying on some differentiable path from ``target`` to ``root``."""
    on_path = set()
    stack = [target]
    seen = {target}
    while stack:
        item = stack.pop()
        for consumer, position in consumers.get(item, ()):
            if _edge_blocked(consumer, position) or consumer in seen:
                continue
            seen.add(consumer)
            on_path.add(consumer)
            stack.append(consumer)
    return on_path


def _zeroing_reason(node, target_items):
    """Why ``node`` may send zero gradient to its inputs; checks values when kept."""
    op = node.op
    name = op.name
    zeroes, zeroes_all = zeroing_texts(node)
    if op.zero_grad_ae:
        return f"{name} has zero gradient everywhere"
    partly = None
    if node.args is not None:               # values kept: is it zero for a target input?
        passes_everywhere = True            # (then the values clear it: it zeroed nothing)
        for position, parent in enumerate(node.parents):
            if parent is None or parent not in target_items:
                continue
            local = local_derivative(node, position, generic=True)
            if local is None or not np.all(local):
                passes_everywhere = False
            if partly is None and local is not None and local.shape == tuple(parent.shape):
                zeros = local.size - np.count_nonzero(local)    # (no broadcast sum after)
                if 0 < zeros < local.size:
                    partly = (f"{name} passes zero gradient to its input "
                              f"'{op.input_name(position)}' at {zeros} of {local.size} "
                              "positions (its local derivative is 0 there)")
            if local is not None and local.size and not np.any(local):
                text = zeroes_all
                if isinstance(text, dict):
                    text = text.get(op.input_name(position))
                if text is None:
                    text = (f"passes zero gradient to its input '{op.input_name(position)}' "
                            "everywhere (its local derivative is 0 at every position)")
                return f"{name} {text}"
        if passes_everywhere:
            return None
    elif isinstance(zeroes_all, dict) and not any(
            parent is not None and parent in target_items
            and op.input_name(position) in zeroes_all
            for position, parent in enumerate(node.parents)):
        return None     # values freed: the op zeroes only inputs not on the way (overwrite's old)
    if zeroes:
        return f"{name} {zeroes}"
    return partly


def _root_of_last_backward():
    """The root node of the last ``.backward()`` in this thread, if it is still known."""
    last = _grad_mode.last_root
    if last is None or last.__class__ is Node:
        return last
    tensor = last()
    return tensor._node if tensor is not None else None


def _last_backward_had_no_history() -> bool:
    """Whether the last ``.backward()`` was refused for a leaf that records nothing."""
    last = _grad_mode.last_root
    tensor = last() if last is not None and last.__class__ is not Node else None
    return tensor is not None and tensor._node is None and not tensor.requires_grad


def _is_parameter(t) -> bool:
    from .nn.module import Parameter

    return isinstance(t, Parameter)


def _leaves_without_grad(node, shown: int = 3, limit: int = 10_000) -> str | None:
    """The named leaf tensors ``node`` was computed from (``'x' (shape (3,))``, the
    first ``shown``; "" if none is named), when none of the tensors it was computed from
    requires grad and every op on the way has a gradient; else None (a comparison's bool
    result, or a leaf that requires grad: another reason)."""
    labels = []
    for item in upstream(node, limit):
        if isinstance(item, Node):
            if not getattr(item.op, "differentiable", True) or item.dtype is None \
                    or np.dtype(item.dtype).kind not in "fc":
                return None
        elif isinstance(item, Tensor):
            if item.requires_grad:
                return None
            label = repr(item.name) if item.name else "a tensor"
            labels.append(f"{label} (shape {item.shape})")
    more = f", and {len(labels) - shown} more" if len(labels) > shown else ""
    return ", ".join(labels[:shown]) + more


def _listed_nodes(nodes, shown: int = 5) -> str:
    """The first ``shown`` of ``nodes`` by label, and how many more there are."""
    listed = ", ".join(_node_label(n) for n in nodes[:shown])
    return listed + (f" and {len(nodes) - shown} more" if len(nodes) > shown else "")


def _not_finite_note(label: str, grad) -> str:
    """What a gradient holding NaN or inf means and how to find where it came from."""
    counts = [f"{word} in {n} of {grad.size} entries" for word, n in
              (("NaN", np.isnan(grad).sum()), ("inf", np.isinf(grad).sum())) if n]
    return (f"{label}: .grad holds {' and '.join(counts)}. An op on the path gave a "
            "value or derivative that is not finite (sqrt or log at 0, 0/0, an overflow), "
            "and the chain rule carried it here. Run the forward pass and "
            "backward again inside `with ad.detect_anomaly():` to name that op and the line "
            "that created it.")


def explain(t, output=None) -> str:
    """Say why ``t.grad`` is None or zero after a backward pass, naming the ops on the path.

    ``output`` is the tensor that ``backward`` ran from; by default the one of the
    last ``.backward()`` in this thread.  Returns the explanation as a string.

    >>> w = ad.tensor([1.0, -1.0], requires_grad=True)
    >>> x = ad.tensor([0.5, 2.0], requires_grad=True)
    >>> loss = ad.where(w > 0, x, 0.0).sum()
    >>> loss.backward()
    >>> print(ad.explain(w))       # w reaches the loss only through a comparison
    the tensor (shape (2,), float64): .grad is None.
    Why: it reaches the output (sum, shape ()) only through non-differentiable edges, ...
      path: this tensor -> greater -> where -> sum = the output
      blocked at greater: greater is a comparison: its bool result carries no gradient.
    ...
    """
    if not isinstance(t, Tensor):
        raise TypeError(f"explain: expected a Tensor, got {type(t).__name__}")
    label = _tensor_label(t)
    lines = []
    rounding = None
    grad = t.grad
    grad_data = grad.data if isinstance(grad, Tensor) else grad
    if grad is None:
        lines.append(f"{label}: .grad is None.")
    elif not np.all(np.isfinite(grad_data)):
        lines.append(_not_finite_note(label, np.asarray(grad_data)))
    elif not np.any(grad_data):
        lines.append(f"{label}: .grad is all zero.")
    else:
        lines.append(f"{label}: .grad is set and not all zero (nonzero entries: "
                     f"{int(np.count_nonzero(grad_data))} of {np.size(grad_data)}).")
        rounding = _rounding_note(grad_data)
        if rounding:
            lines.append(rounding)

    savers = savers_of(t.data)
    stale = [n for n in savers if outdated(n)]
    live = [n for n in savers if not outdated(n)]
    if live:
        lines.append(
            f"Its data is read-only while {len(live)} recorded op(s) of a live graph need "
            f"it for backward: {_listed_nodes(live)}. Run that "
            "graph's backward (or drop it, e.g. del loss) before changing the data in place.")
    if stale:
        lines.append(
            f"Its data is read-only while {len(stale)} recorded op(s) of an older graph hold "
            f"it: {_listed_nodes(stale)}. Values they saved were "
            "changed in place since (an optimizer step, an update under ad.no_grad()), so "
            "that graph's backward would raise InPlaceError; drop it (e.g. del loss) and "
            "compute the forward pass again.")

    if not t.requires_grad:
        from .forward_ad import carries_tangent

        if carries_tangent(t):
            lines.append(
                "Why: it does not require grad; it is a forward-mode dual (made by "
                "make_dual, or computed from one): its derivative is its tangent, pushed "
                "forward, not a .grad. Read it with forward_ad.unpack_dual(t).tangent; for a "
                ".grad, compute from tensors made with requires_grad=True and call "
                "backward().")
        elif t._node is not None and (leaves := _leaves_without_grad(t._node)) is not None:
            named = f" (among them {leaves})" if leaves else ""
            lines.append(
                f"Why: it does not require grad: none of the tensors it was computed from "
                f"(through {_node_label(t._node)}) requires grad{named}. A gradient "
                "flows only back to tensors made with requires_grad=True: create the ones "
                "to differentiate with ad.tensor(data, requires_grad=True) (or call "
                "p.requires_grad_() on them) before the forward pass.")
        elif t._node is not None:
            lines.append(
                f"Why: it does not require grad; it is the output of {_node_label(t._node)}, "
                "which carries no gradient (comparisons and logical ops return bool tensors; "
                "ops on tensors that do not require grad record nothing differentiable).")
        elif t.dtype.kind != "f":
            lines.append(
                f"Why: it does not require grad, and cannot: its dtype is {t.dtype}. Only "
                "floating-point tensors have gradients; convert it (dtype=np.float64) and "
                "pass requires_grad=True.")
        elif _is_parameter(t):          # (a module's: made requiring grad)
            lines.append(
                "Why: it is a Parameter that was frozen (requires_grad=False: "
                "p.requires_grad_(False), Embedding(_freeze=True), from_pretrained(freeze="
                "True) ...), so no gradient is computed for it and an optimizer leaves it "
                "as it is. To train it, call p.requires_grad_() before the forward pass.")
        else:
            lines.append(
                "Why: it does not require grad, so no gradient is computed for it. Create "
                "it with ad.tensor(data, requires_grad=True), or call t.requires_grad_() "
                "before using it.")
        return "\n".join(lines)

    if t._node is not None and not t.retains_grad:
        shape_note = broadcast_loss_note(t._node)
        if shape_note:
            lines.append(shape_note)
        lines.append(
            f"Why: it is not a leaf (it was computed by {_node_label(t._node)}); .grad is "
            "filled only for leaves, the tensors you created with requires_grad=True. To get "
            "the gradient with respect to an intermediate value, make it a leaf "
            "(v = v.detach().requires_grad_()) and compute from v, call v.retain_grad() "
            "before backward() to keep its .grad, or use ad.grad.")
        return "\n".join(lines)

    if output is None:
        root = _root_of_last_backward()
        if root is None and _last_backward_had_no_history():
            lines.append(
                "Why: not connected: the last backward() ran from a tensor with no recorded "
                "history (it raised), so no op links it to this one. Its value was made "
                "outside the graph: from a Python number (.item(), float(t)), from NumPy "
                "(.numpy(), .detach()) wrapped again in ad.tensor(...), or under "
                "ad.no_grad(). Compute the loss with Tensor operations on this tensor.")
            return "\n".join(lines)
        leaf_root = last_backward_leaf() if root is None else None
        if leaf_root is t:
            lines.append("It is itself the output of the backward pass.")
            return "\n".join(lines)
        if leaf_root is not None:
            lines.append(
                f"Why: not connected: the last backward() ran from a leaf tensor "
                f"({_tensor_label(leaf_root).removeprefix('the tensor (')} with no recorded "
                "history: it was made with requires_grad=True from a plain value (e.g. "
                "ad.tensor(loss.item(), requires_grad=True)), so backward() only set its own "
                ".grad and no op links it to this tensor. Compute the loss with Tensor "
                "operations on this tensor (no .item(), float(t) or .numpy() on the way) "
                "and call backward() on that result.")
            return "\n".join(lines)
        if root is None:
            lines.append("I cannot see the output: no backward pass has run in this thread, "
                         "or its output tensor is gone (the tape keeps only a weak reference, "
                         "so after f(x).sum().backward() or del loss it is freed). Keep the "
                         "output in a variable, or call explain(t, output=loss).")
            return "\n".join(lines)
    else:
        if output is t:
            lines.append("It is itself the output of the backward pass.")
            return "\n".join(lines)
        root = output._node
        if root is None:
            lines.append("Why: not connected: the output is a leaf with no recorded history.")
            return "\n".join(lines)
    out_text = f"the output ({_node_label(root)}, shape {root.shape})"

    item = t if t._node is None else t._node   # (an intermediate kept by retain_grad)
    if item is root:
        lines.append("It is itself the output of the backward pass.")
        return "\n".join(lines)
    from .compile.outputs import replayed_history_error
    replayed = replayed_history_error(root) if hasattr(root, "saved") else None
    if replayed is not None:        # (a replay of ad.compile records no tape)
        lines.append(f"Why: not connected to {out_text}: "
                     f"{str(replayed).removeprefix('backward: ')}")
        return "\n".join(lines)
    best, parent_of, consumers = _walk(root, item)
    if item not in best:
        dropped = last_drop(t)
        if dropped is not None:
            lines.append(f"Why: not connected to {out_text}: no recorded op links them. It "
                         f"left the tape when it was {dropped} (the TapeDropWarning there): "
                         "what is computed from that plain value has no link back to it.")
        lines.append(
            ("Other ways to cut the graph: if you used " if dropped is not None else
             f"Why: not connected to {out_text}: no recorded op links them. If you used ") +
            ".detach() or .data, took a Python number from it (.item(), float(t)), or "
            "computed part of it under ad.no_grad(), that cut the graph; an integer or "
            "index computed from it (argmax, argsort, nonzero, "
            "astype(int)) carries no gradient and leaves no edge either, so a value picked "
            "with such an index (table[w.argmax()]) does not depend on it differentiably; "
            "if you rebound the name (w = w * 2), the output uses the new tensor, not this "
            "one.")
        return "\n".join(lines)

    path = _path(parent_of, item)
    steps = " -> ".join(["this tensor"] + _repeats_folded(
        [_item_label(c, item, root) for _, c, _ in path]))
    if best[item] > 0:
        first_use = path[0][1]
        if item is t and not first_use.requires_grad and _edge_blocked(first_use, path[0][2]) \
                is None:
            lines.append(
                f"Why: it was set to require grad after the forward pass used it: "
                f"{_node_label(first_use)} ran while it did not, so it recorded no gradient "
                f"path to it, and nothing computed from that result requires grad (path: "
                f"{steps}). Set requires_grad=True (or call requires_grad_()) before the "
                "forward pass, then compute the output again and call backward().")
            return "\n".join(lines)
        blocks = [(consumer, position, _edge_blocked(consumer, position))
                  for _, consumer, position in path if _edge_blocked(consumer, position)]
        # An op with no rule for an input is the cause; edges after it merely carry a
        # value that no longer requires grad, so name them only if nothing else blocks.
        causes = [b for b in blocks if _has_no_rule(b[0], b[1])]
        blocks = causes or blocks
        lines.append(f"Why: it reaches {out_text} only through non-differentiable edges, so "
                     "no gradient flows back to it:")
        lines.append(f"  path: {steps}")
        for consumer, position, reason in blocks:
            lines.append(f"  blocked at {_node_label(consumer)}: {reason}.")
        advice = []
        if any(not c.op.differentiable or p in c.op.index_inputs for c, p, _ in blocks):
            advice.append("A hard comparison has zero derivative almost everywhere; if this "
                          "tensor should learn, replace the comparison by a smooth surrogate "
                          "(e.g. ad.sigmoid((x - threshold) / temperature)) that enters the "
                          "output through arithmetic.")
        for name in sorted({c.op.name for c, p, _ in blocks
                            if c.op.differentiable and c.op.blocks}):
            advice.append(f"Remove {name} if the gradient should flow there.")
        lines.extend(advice)
        return "\n".join(lines)

    lines.append(f"It is connected to {out_text} through differentiable ops: {steps}.")
    shape_note = broadcast_loss_note(root)
    if shape_note:
        lines.append(shape_note)
    on_path = _on_differentiable_paths(root, item, consumers)
    saturated = saturation_notes(on_path, on_path | {item})
    if saturated and grad is not None and not np.all(np.abs(grad_data) > 16 * _eps_of(grad_data)):
        if rounding in lines:       # (a saturated op, not a long path, made it small)
            lines.remove(rounding)
        lines.append("So the gradient is zero or vanishingly small where an op on the way "
                     "saturated:")
        lines.extend(f"  {note}." for note in saturated)
        if not np.any(grad_data) or rounding:
            return "\n".join(lines)
    # (a gradient below eps**2 is called vanished through a long path: on a short one,
    # an op that saturated is the likelier cause)
    vanished = bool(rounding) and "vanished" in rounding and len(on_path) >= 8
    unchecked = [] if saturated or vanished else unchecked_saturating_ops(on_path,
                                                                          on_path | {item})
    if unchecked and grad is not None and np.any(grad_data) \
            and not np.all(np.abs(grad_data) > 16 * _eps_of(grad_data)):
        if rounding in lines:       # (not rounding noise if an op saturated)
            lines.remove(rounding)
        lines.append(unchecked_saturation_note(unchecked, grad_data))
        if rounding:
            return "\n".join(lines)
    chain = long_chain_note(on_path, grad_data) if rounding in lines and not vanished \
        else None
    if chain:
        lines[lines.index(rounding)] = chain
    hooked = _hooks_on(item, on_path)
    if hooked and grad is not None and np.any(grad_data):
        lines.append("Gradient hooks on the way replace what flows there, so .grad is what "
                     f"they returned, not the chain rule alone: {'; '.join(hooked)}.")
    targets = on_path | {item}
    found = sorted((best.get(node, 0), _node_label(node), reason) for node in on_path
                   for reason in [_zeroing_reason(node, targets)] if reason)
    counts = {}                 # (label, reason) -> how many ops on the way say it
    for _, label, reason in found:
        counts[label, reason] = counts.get((label, reason), 0) + 1
    reasons = [f"  {label}{f' ({n} of them)' if n > 1 else ''}: {reason}."
               for (label, reason), n in counts.items()]
    if grad is None:
        lines.append(
            "Yet .grad is None: either no backward ran from this output since .grad was last "
            "reset (zero_grad / .grad = None), or every op on the way sent no gradient (a "
            "custom gradient returning None).")
    elif not np.any(grad_data):
        lines.append("So the gradient really is zero here. Ops on the way that can zero it:"
                     if reasons else _zero_without_a_zeroing_op(item, consumers, on_path))
    elif reasons and not np.all(grad_data):
        lines.append("Ops on the way that can zero some of its entries:")
    else:
        reasons = []            # (no entry is zero: what could zero one is beside the point)
    lines.extend(reasons)
    if reasons and grad is not None and not np.any(grad_data):
        factors = zero_factors(item, on_path)
        if factors:
            note = zero_factor_note(factors)
            lines.append("Also, " + note[0].lower() + note[1:])
    if grad is not None and not np.all(grad_data) and root in skeleton_roots:
        lines.append("(The graph was kept with retain_graph=True, but its output tensor is "
                     "gone, so explain sees only the graph's ops, not their values: keep the "
                     "output in a variable, loss = ..., to let explain check the values"
                     f"{' and say which op it was' if reasons else ''}.)")
    elif grad is not None and not np.all(grad_data) and root.args is None:
        if reasons:
            lines.append("(The graph was freed by backward; pass retain_graph=True to let "
                         "explain check the values and say which op it was.)")
        elif np.any(grad_data):
            lines.append("Some entries are zero, but the graph was freed by backward, so "
                         "explain cannot check the values to say which op zeroed them: pass "
                         "retain_graph=True to let it.")
    return "\n".join(lines)


def _repeats_folded(labels: list[str], longest: int = 8) -> list[str]:
    """``labels`` with each run of 3 or more repeats of a block of up to ``longest``
    labels written once, as ``(matmul -> add -> tanh) × 60``: an unrolled loop's path.

    >>> _repeats_folded(["in", "f", "g", "f", "g", "f", "g", "out"])
    ['in', '(f -> g) × 3', 'out']
    """
    folded = []
    i = 0
    while i < len(labels):
        best_length, best_count = 1, 1
        for length in range(1, longest + 1):
            block = labels[i:i + length]
            count = 1
            while labels[i + count * length:i + (count + 1) * length] == block:
                count += 1
            if count >= 3 and count * length > best_length * best_count:
                best_length, best_count = length, count
        if best_count >= 3:
            block = " -> ".join(labels[i:i + best_length])
            folded.append(f"({block}) × {best_count}" if best_length > 1
                          else f"{block} × {best_count}")
            i += best_length * best_count
        else:
            folded.append(labels[i])
            i += 1
    return folded


def _eps_of(grad) -> float:
    dtype = np.asarray(grad).dtype
    return float(np.finfo(dtype).eps) if dtype.kind == "f" else 0.0


def _rounding_note(grad) -> str:
    """A gradient that is zero in exact arithmetic (the sum of a normalized batch does
    not depend on the batch) comes out as rounding noise; say so rather than let the
    nonzero count suggest a real gradient."""
    dtype = np.asarray(grad).dtype
    if dtype not in (np.float32, np.float64):
        return ""
    largest = float(np.max(np.abs(grad)))
    eps = float(np.finfo(dtype).eps)
    if not 0 < largest <= 16 * eps:
        return ""
    if largest < eps * eps:
        # Rounding errors of a cancellation are about eps times the values cancelled;
        # a gradient this far below that has usually shrunk through many small factors.
        return (f"Every entry is at most {largest:.3g} in size: tiny, yet far below the "
                f"rounding error of values near 1 in {dtype} (eps {eps:.3g}), so it is "
                "probably a real gradient that vanished: a long path of factors below 1 "
                "(many tanh or sigmoid steps, a recurrent weight of small norm, an "
                "unrolled loop) multiplies it down. A gradient step barely changes this "
                "tensor; a shorter path, a residual connection or gated units (GRU, LSTM) "
                "keep the gradient from vanishing.")
    return (f"Every entry is at most {largest:.3g} in size, within rounding of zero for "
            f"{dtype} (eps {eps:.3g}): the gradient is probably exactly zero in exact "
            "arithmetic and these are rounding errors (e.g. the output is a sum of "
            "normalized values, which does not depend on the input).")
