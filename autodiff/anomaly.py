"""Never silently wrong: ``detect_anomaly``, which names the op that made a NaN or inf.

``detect_anomaly()``
    While active (in this thread), every recorded op remembers the line of user
    code that created it (``node.trace``), its output is checked for NaN created
    from NaN-free inputs, and every gradient the reverse pass computes is checked
    for NaN or inf created from a finite upstream gradient.  The first such op
    raises ``AnomalyError`` naming the op, the line, the values at the bad
    positions and, when it can tell, the cause -- above all the ``where`` trap,
    where a zero gradient from an unselected ``where`` branch meets an infinite
    local derivative (0 * inf = NaN).  Outside the block nothing of this runs: the
    tape tests one hook attribute per op and per gradient edge.

The guard on saved leaf arrays (never silently wrong gradients after an in-place
change) is ``autodiff.guard``.
"""

from __future__ import annotations

import sys
import threading
import warnings
import weakref

import numpy as np

from .anomaly_accumulation import check_accumulation
from .anomaly_origins import (LOG_OF_A_SUM_ADVICE, first_input_with_inf, huge_input,
                              inf_input_cause, inf_origin, infinite_derivative_cause,
                              infinite_output_note, is_float_array,
                              is_log_of_a_sum, leaves_holding_nan, overflow_cause)
from .anomaly_trace import (RuleTrace, _created, inside_a_rule_cause, user_frame_trace,
                            where_created)
from .anomaly_values import _at, _fmt, _holds_at, _index_text, _raw, _stats
from .compile import hooks as _compile_hooks
from .graph import BackwardObserver, Node, _grad_mode, _reverse_pass
from .grad_mode import decorated
from .ops.local import local_derivative
from .revive import is_stand_in

__all__ = ["AnomalyError", "detect_anomaly"]

class AnomalyError(RuntimeError):
    """Raised inside ``detect_anomaly()`` at the first op that creates a NaN or inf."""


# ----------------------------------------------------------------------------------
# naming inputs
# ----------------------------------------------------------------------------------
def _listed(names) -> tuple[str, str]:
    """``'input a and input b'`` and the verb that goes with them (``'are'``, ``'is'``)."""
    return " and ".join(_input_label(n) for n in names), "are" if len(names) > 1 else "is"


def _input_names(op, n):
    names = list(op.input_names) if op.input_names else []
    return [names[i] if i < len(names) else f"input {i}" for i in range(n)]


def _input_source(node, i) -> str:
    """Which of the user's tensors an op's input is, as `` (op's input: the leaf 'w')``
    or `` (op's input: the result of sum)``: the rule's names (``x``, ``a``) are the op's
    own and may clash with the user's (a leaf ``x`` two ops before sqrt's ``x``)."""
    parent = node.parents[i] if node.parents and i < len(node.parents) else None
    if parent is None:
        return ""
    op = getattr(parent, "op", None)
    if op is not None:
        named = f" '{parent.name}'" if getattr(parent, "name", None) else ""
        return f" ({node.op.name}'s input: the result{named} of {op.name})"
    name = getattr(parent, "name", None)
    return f" ({node.op.name}'s input: the leaf '{name}')" if name else \
        f" ({node.op.name}'s input: a leaf)"


def _input_label(name: str) -> str:
    """``input a`` for a named input, ``input 0`` (not ``input input 0``) for the others."""
    return name if name.startswith("input ") else f"input {name}"


# ----------------------------------------------------------------------------------
# detect_anomaly: the state and the two hooks
# ----------------------------------------------------------------------------------
class _IdMap:
    """A dict keyed by object identity whose entries vanish with the key.

    (WeakKeyDictionary compares keys with ``==``, which a Tensor answers elementwise.)
    """

    def __init__(self):
        self.data = {}

    def get(self, key, default=None):
        entry = self.data.get(id(key))
        return entry[1] if entry is not None and entry[0]() is key else default

    def setdefault(self, key, default):
        entry = self.data.get(id(key))
        if entry is not None and entry[0]() is key:
            return entry[1]
        ident = id(key)
        owner = weakref.ref(self)       # (not self.data: the callback would make a cycle)
        ref = weakref.ref(key, lambda r: owner() is not None and owner()._drop(ident, r))
        self.data[ident] = (ref, default)
        return default

    def _drop(self, ident, ref) -> None:
        if self.data.get(ident, (ref,))[0] is ref:
            del self.data[ident]


class _AnomalyState:
    def __init__(self):
        # parent (Node or leaf Tensor) -> [(weakref to consumer node, position, raw gradient)]
        self.sent = _IdMap()
        # node -> raw upstream gradient it received
        self.upstream = weakref.WeakKeyDictionary()
        # selecting node (where) -> {position: bool mask of the elements it selected
        # from that input}, saved before the node is released
        self.selected = weakref.WeakKeyDictionary()
        # the report of a NaN gradient made where the forward values were already NaN
        # (missing data kept as NaN): raised only if the NaN reaches a gradient asked for
        self.pending = None
        # (op name, creation site) of the node whose gradient rule runs now: the ops a
        # rule records under create_graph are that op's, not the user's
        self.in_rule_of = None
        self.root_seen = True           # set False as a pass starts


class _Local(threading.local):
    state = None
    depth = 0


_local = _Local()


def active() -> bool:
    """Whether ``detect_anomaly`` is on in this thread (``ad.compile`` then runs the
    function eagerly: a replay records no ops to check)."""
    return _local.state is not None


def _chained(previous):
    """The record hook of a block entered while ``previous`` was installed (an open
    ``saved_tensors_hooks`` block's, which must still pack the nodes): both run."""
    if previous is None or previous is _on_record:
        return _on_record

    def on_record(node):
        _on_record(node)
        previous(node)
    return on_record


def _on_record(node):
    trace = user_frame_trace(2)
    state = _local.state
    if state is not None and state.in_rule_of is not None:
        if _in_reverse_pass():
            trace = RuleTrace(trace, *state.in_rule_of) if trace is not None else None
        else:
            state.in_rule_of = None
    node.trace = trace
    ans = node.ans
    if ans.dtype.kind not in "fc" or not np.isnan(ans).any():
        return
    if _in_reverse_pass():
        return      # a rule recorded for create_graph: its result is checked as a gradient
    for a in node.args:
        if is_float_array(a) and np.isnan(a).any():
            return                      # NaN came in; it was created earlier
    for a in (node.kwargs or {}).values():
        if is_float_array(a) and np.isnan(a).any():
            return                      # asked for: np.pad(..., constant_values=np.nan)
    raise AnomalyError(_forward_message(node))


def _in_reverse_pass() -> bool:
    code = _reverse_pass.__code__
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code is code:
            return True
        frame = frame.f_back
    return False


def _forward_cause(node, bad):
    """The op's own explanation (its ``singular`` entries) of the NaN at ``bad``."""
    args = node.args
    for test, cause in node.op.singular:
        try:
            with np.errstate(all="ignore"):
                hit = np.broadcast_to(np.asarray(test(*args, **(node.kwargs or {}))),
                                      bad.shape)[bad]
        except Exception:             # a test that does not apply to these inputs
            continue
        if hit.any():
            return cause + _where_the_inf_came_from(node)
    names = _input_names(node.op, len(args))
    k = first_input_with_inf(node)
    if k is None:
        return None
    return (f"{_input_label(names[k])} contains inf ({inf_origin(node, k)}), and inf turned "
            "into NaN here")


def _cancels_infinities(op) -> bool:
    """Whether ``op``'s entry names inf - inf among its singular points (add, subtract)."""
    return any(isinstance(cause, str) and cause.startswith("inf - inf")
               for _, cause in op.singular)


def _where_the_inf_came_from(node) -> str:
    """``; the inf in input a was made by log, created at ...``, when an input holds inf
    (an op's cause such as "inf - inf is NaN" cannot know which op made it)."""
    k = first_input_with_inf(node)
    if k is None:
        return ""
    names = _input_names(node.op, len(node.args))
    origin = inf_origin(node, k)
    masked = ""
    if _cancels_infinities(node.op) and origin.startswith("made by where") \
            and "constant input holding inf" in origin:
        masked = (". A mask that fills with -inf leaves a row with every position masked "
                  "all -inf, and its max -inf too (softmax's x - max(x) is then -inf - "
                  "(-inf)): fill with a large finite value instead (-1e9, or "
                  "np.finfo(x.dtype).min), or keep one position of each row unmasked")
    return f"; the inf in {_input_label(names[k])} was {origin}{masked}"


def _forward_message(node):
    op = node.op
    bad = np.isnan(node.ans)
    lines = [f"{op.name}: the forward pass produced NaN from inputs without NaN "
             f"({_index_text(bad)})."]
    where = where_created(node)
    lines.append(f"  op {where}" if where else "  op creation site unknown")
    names = _input_names(op, len(node.args))
    for name, a in zip(names, node.args):
        if is_float_array(a) or isinstance(a, int):
            shown = _at(a, bad)
            if shown is not None:
                lines.append(f"  {_input_label(name)} at those positions: {shown}")
    cause = _forward_cause(node, bad)
    if cause:
        lines.append(f"  cause: {cause}.")
    return "\n".join(lines)


class _AnomalyObserver(BackwardObserver):
    """Checks every gradient the reverse pass computes (registered by detect_anomaly)."""

    reports_non_finite = True

    def on_pass(self):
        if _local.state is not None:
            _local.state.pending = None
            _local.state.root_seen = False

    def on_node(self, node, g):
        if _local.state is not None:
            if not _local.state.root_seen:      # the pass's first node: its output's
                _local.state.root_seen = True
                note = infinite_output_note(node)
                if note:
                    warnings.warn(note, RuntimeWarning, stacklevel=2)
            _local.state.in_rule_of = (node.op.name, node.trace)
        _check_sum(node, g, f"the output of {node.op.name}", where_created(node))

    def on_edge(self, node, i, g, gi, rule_output):
        _check_gradient(node, g, i, gi)

    def on_leaf(self, leaf, grad):
        node = leaf._node
        state = _local.state
        if state is not None and state.pending is not None and has_nan(grad):
            raise AnomalyError(state.pending)
        label = "the tensor " + (leaf.name or f"of shape {leaf.shape}")
        _check_sum(leaf if node is None else node, grad, label,
                   None if node is None else where_created(node))

    def on_accumulate(self, leaf):
        check_accumulation(leaf)


_OBSERVER = _AnomalyObserver()


def _check_gradient(node, g, i, gi):
    state = _local.state
    if state is None:
        return
    g_raw = np.asarray(_raw(g))
    gi_raw = np.asarray(_raw(gi))
    parent = node.parents[i]
    state.upstream[node] = g_raw
    if node.op.selects and node.args is not None:
        selected = state.selected.get(node)
        if selected is None:
            selected = state.selected[node] = {}
        if i not in selected:
            local = local_derivative(node, i)
            selected[i] = None if local is None else local != 0
    sent = state.sent.setdefault(parent, [])
    if sent and sent[0][0]() is None:   # a parameter lives across steps: drop dead graphs
        sent[:] = [entry for entry in sent if entry[0]() is not None]
    sent.append((weakref.ref(node), i, gi_raw))
    if gi_raw.dtype.kind not in "fc" or np.isfinite(gi_raw).all():
        return
    if g_raw.dtype.kind in "fc" and not np.isfinite(g_raw).all():
        return                          # the NaN/inf came from further up
    message = _backward_message(state, node, g_raw, i, gi_raw)
    if node.args is not None and any(_holds_at(a, ~np.isfinite(gi_raw), np.isnan)
                                     for a in node.args if is_float_array(a)):
        # The values here were NaN already (np.nan kept for missing data, skipped by
        # nansum or masked by where): a NaN gradient of them is no anomaly unless it
        # reaches a gradient that was asked for, as a NaN value is unless it reaches
        # the output.
        if state.pending is None:
            state.pending = message
        return
    raise AnomalyError(message)


def has_nan(value) -> bool:
    """Whether ``value`` (an array, a number or a Tensor's values) holds NaN."""
    raw = np.asarray(_raw(value)) if value is not None else None
    return raw is not None and raw.dtype.kind in "fc" and bool(np.isnan(raw).any())


def check_hook(method: str, fn, owner, old, new, input_index=None) -> None:
    """In ``detect_anomaly``, raise when a gradient hook on ``owner`` (a node, or a leaf
    tensor) turned the finite gradient ``old`` into ``new`` holding NaN or inf (for the
    node's input ``input_index`` when given): the pass would blame the next op's rule,
    or with the NaN upstream of every op, nothing at all."""
    if _local.state is None or old is None or new is None:
        return
    new_raw, old_raw = np.asarray(_raw(new)), np.asarray(_raw(old))
    if new_raw.dtype.kind not in "fc" or np.isfinite(new_raw).all():
        return
    if old_raw.dtype.kind in "fc" and not np.isfinite(old_raw).all():
        return                          # the NaN/inf came from further up
    from .node_hooks import hook_name
    bad = ~np.isfinite(new_raw)
    kind = "NaN" if np.isnan(new_raw).any() else "inf"
    if not isinstance(owner, Node):
        on = f"the leaf tensor {owner.name or f'of shape {owner.shape}'}"
    elif input_index is None:
        on = f"the output of {owner.op.name}"
    else:
        on = f"{owner.op.name}'s node, for input {input_index},"
    lines = [f"{method}: the hook {hook_name(fn)} on {on} returned {kind} in place of a "
             f"finite gradient ({_index_text(bad)})."]
    where = where_created(owner) if isinstance(owner, Node) else None
    if where:
        lines.append(f"  op {where}")
    lines.append(f"  given {_at(old_raw, bad)}, returned {_at(new_raw, bad)} there")
    raise AnomalyError("\n".join(lines))


def _check_sum(receiver, total, label, where):
    """Raise when ``total``, the gradient summed over the uses of ``receiver`` (a node or
    a leaf) in this pass, is not finite although every use sent a finite one: the sum
    itself overflowed (NumPy's warning about it is silenced in anomaly mode)."""
    state = _local.state
    if state is None or total is None:
        return
    total = np.asarray(_raw(total))
    if total.dtype.kind not in "fc" or np.isfinite(total).all():
        return
    parts = [gi for ref, _, gi in state.sent.get(receiver, []) if ref() is not None]
    if len(parts) < 2 or not all(p.dtype.kind not in "fc" or np.isfinite(p).all()
                                 for p in parts):
        return                          # a part was not finite: reported where it was made
    bad = ~np.isfinite(total)
    lines = [f"{label}: the sum of the gradients from its {len(parts)} uses overflowed to "
             f"inf although each use's gradient is finite ({_index_text(bad)})."]
    if where:
        lines.append(f"  tensor {where}")
    for k, part in enumerate(parts):
        shown = _at(part, bad) if part.shape == bad.shape else None
        lines.append(f"  use {k + 1} sent " + (shown if shown is not None
                                              else "(" + _stats(part) + ")"))
    lines.append("  cause: the gradients are near the largest float of their dtype; scale "
                 "the loss down (or compute in float64).")
    raise AnomalyError("\n".join(lines))


def _any_to(selected, shape):
    """``selected`` (a where's bool selection, of its output's shape) brought to an
    input's ``shape``: an input element counts as selected if any of its broadcast
    copies is; None if the shapes do not broadcast."""
    selected = np.asarray(selected)
    if selected.shape == tuple(shape):
        return selected
    try:
        if selected.ndim < len(shape):
            return np.broadcast_to(selected, shape)
        lead = selected.ndim - len(shape)
        reduced = selected.any(axis=tuple(range(lead))) if lead else selected
        axes = tuple(k for k, n in enumerate(shape) if n == 1 and reduced.shape[k] != 1)
        if axes:
            reduced = reduced.any(axis=axes, keepdims=True)
        return np.broadcast_to(reduced, shape)
    except ValueError:
        return None


def _trace_zero(state, node, mask):
    """Why the upstream gradient of ``node`` is 0 at ``mask``: (where-node or None, chain)."""
    chain = []
    current = node
    for _ in range(200):
        senders = state.sent.get(current, [])
        found = None
        for ref, pos, gi in senders:
            consumer = ref()
            if consumer is None or gi.shape != mask.shape:
                continue
            if not (gi[mask] == 0).all():
                continue
            if consumer.op.selects:
                selected = state.selected.get(consumer, {}).get(pos)
                if selected is not None:
                    sel = _any_to(selected, mask.shape)
                    if sel is not None:
                        sel = sel[mask]
                    if sel is not None and not sel.any():
                        return consumer, chain
            found = consumer
            break
        if found is None:
            return None, chain
        chain.append(found)
        up = state.upstream.get(found)
        if up is None or up.shape != mask.shape or not (up[mask] == 0).all():
            return None, chain
        current = found
    return None, chain


def _backward_message(state, node, g, i, gi):
    op = node.op
    names = _input_names(op, len(node.parents))
    kind = "NaN" if np.isnan(gi).any() else "inf"
    bad = ~np.isfinite(gi)
    lines = [f"{op.name}: the backward pass produced {kind} in the gradient for "
             f"{names[i]}{_input_source(node, i)} from a finite upstream gradient "
             f"({_index_text(bad)})."]
    where = where_created(node)
    lines.append(f"  op {where}" if where else "  op creation site unknown")
    lines.append(f"  rule: {op.describe()}")
    same = g.shape == bad.shape
    lines.append("  upstream gradient g at those positions: " +
                 (_fmt(g[bad]) if same else "(" + _stats(g) + ")"))
    nan_inputs, inf_inputs = [], []
    if node.args is not None:
        for name, a in zip(names, node.args):
            if is_float_array(a) and not is_stand_in(a):  # (revive.py: only a shape)
                shown = _at(a, bad)
                if shown is not None:
                    lines.append(f"  {_input_label(name)} at those positions: {shown}")
                    if _holds_at(a, bad, np.isnan):
                        nan_inputs.append(name)
                    elif _holds_at(a, bad, np.isinf):
                        inf_inputs.append(name)
    local = local_derivative(node, i)
    local_inf = False
    if local is not None and local.shape == bad.shape:
        vals = local[bad]
        local_inf = bool(np.isinf(vals).any() or np.isnan(vals).any())
        lines.append(f"  local derivative (the rule with g = 1) at those positions: {_fmt(vals)}")
    zero_g = same and bool((g[bad] == 0).all())
    if nan_inputs:
        listed, are = _listed(nan_inputs)
        lines.append(
            f"  cause: {listed} of {op.name} {are} already NaN at those positions, so its "
            "derivative there is NaN too. No recorded op made that NaN from finite inputs "
            "(the forward check would have named it): it comes from the data, or from a "
            "value computed without recording (on a constant, under no_grad), passed on "
            "by the ops before this one. Look for it there (np.isnan(x).any()).")
        leaves = leaves_holding_nan(node)
        if leaves:
            lines.append(f"  leaves of this graph that hold NaN: {', '.join(leaves)}; a "
                         "parameter holds NaN after an update that diverged (a learning "
                         "rate too large, or a NaN gradient stepped with): check it "
                         "before the forward pass (np.isnan(p.data).any()).")
    elif zero_g and local_inf and isinstance(node.trace, RuleTrace):
        lines.append(inside_a_rule_cause(node.trace))
    elif zero_g and local_inf:
        where_node, chain = _trace_zero(state, node, bad)
        if where_node is not None:
            via = ", ".join(c.op.name for c in chain)
            via = f" (the zero passed on through {via})" if via else ""
            lines.append(
                f"  cause: the upstream gradient here is 0 because `{where_node.op.name}` "
                f"({_created(where_node)}) did not select these positions{via}, but the local "
                f"derivative is inf, and 0·inf = NaN; feed the unselected positions a safe "
                f"value (`where(mask, x, safe)`) before the op. For example, instead of "
                f"`where(mask, f(x), 0)` write `x_safe = where(mask, x, safe)` with a safe "
                f"that keeps f finite, then `where(mask, f(x_safe), 0)`.")
        else:
            sender = f" (sent by {chain[0].op.name}, {_created(chain[0])})" if chain else ""
            up = state.upstream.get(chain[-1]) if len(chain) > 1 else None
            if up is not None and up.shape == bad.shape and not (up[bad] == 0).all():
                # The last op of the chain received a nonzero gradient and sent 0: it
                # made the zero, the ones after it only passed it on.
                via = ", ".join(c.op.name for c in chain[-2::-1])
                sender = (f" (made by {chain[-1].op.name}, {_created(chain[-1])}, from a "
                          f"nonzero gradient, and passed on through {via})")
            overflowed = overflow_cause(node, gi.dtype, True, bad, label="the inf")
            if overflowed and is_log_of_a_sum(chain):
                overflowed = overflowed.rsplit("; ", 1)[0] + LOG_OF_A_SUM_ADVICE
            lines.append(
                f"  cause: the upstream gradient here is 0{sender}, but the local derivative "
                "is inf, and 0·inf = NaN." + ("" if overflowed else
                " Keep the input of this op away from the point where its derivative is "
                "infinite (clip it, or add an eps)."))
            lines.append(overflowed)
    elif local_inf and op.infinite_grad:
        lines.append(f"  cause: {op.name}: {op.infinite_grad}.")
    elif inf_inputs:
        listed, are = _listed(inf_inputs)
        lines.append(inf_input_cause(node, names.index(inf_inputs[0]), listed,
                                     "hold" if are == "are" else "holds"))
    elif local_inf and (overflowed := overflow_cause(node, gi.dtype, True, bad)):
        lines.append(overflowed)
    elif local_inf:
        infinite = "infinite" if np.isinf(vals).any() else "undefined (NaN)"
        lines.append(infinite_derivative_cause(node, infinite))
    elif local is not None and kind == "inf":       # an overflow of the rule itself
        huge = huge_input(node, names, _input_source) if node.args is not None else ""
        lines.append(overflow_cause(node, gi.dtype, False, bad, huge=huge))
    return "\n".join(line for line in lines if line)


class detect_anomaly:
    """Raise ``AnomalyError`` at the first op that creates NaN (forward) or NaN/inf (backward).

    Thread-local; nests; also usable as a decorator.  Slower than normal mode (each
    op records its source line and every array is scanned), so use it to debug.

    The ``.grad`` of other leaves when it raises in a backward pass: PyTorch
    accumulates each leaf's gradient as its pass reaches the leaf, so the leaves
    reached before the failing op keep theirs.  Here leaves receive their gradients
    after the pass: an anomaly found during the pass leaves every ``.grad`` as it was;
    a NaN kept for missing data is reported when it reaches a leaf's gradient, during
    that accumulation (in the reverse of the order the pass reached the leaves), so
    the leaves accumulated before it hold theirs, as in PyTorch.  Zero the gradients
    (``optimizer.zero_grad()``) after catching an ``AnomalyError``.

    >>> x = ad.tensor([1.0], requires_grad=True)
    >>> with ad.detect_anomaly():
    ...     y = ad.where(x < 1, ad.sqrt(1 - x), 0.0)
    ...     y.sum().backward()
    Traceback (most recent call last):
    ...
    autodiff.anomaly.AnomalyError: sqrt: the backward pass produced NaN in the gradient ...
    ...cause: the upstream gradient here is 0 because `where` ... did not select these
    positions, but the local derivative is inf, and 0·inf = NaN; ...
    """

    def __enter__(self):
        if _compile_hooks.active is not None and _compile_hooks.active.owns_thread():
            _refuse_in_trace(_compile_hooks.active)
        # A stack, not one slot: one object may be entered again inside its own block.
        self.__dict__.setdefault("_saved_stack", []).append(
            (_grad_mode.on_record, _grad_mode.observers, _local.state))
        if _local.state is None:
            _local.state = _AnomalyState()
        _grad_mode.on_record = _chained(_grad_mode.on_record)
        if _OBSERVER not in _grad_mode.observers:
            _grad_mode.observers = _grad_mode.observers + (_OBSERVER,)
        return self

    def __exit__(self, *exc):
        _grad_mode.on_record, _grad_mode.observers, _local.state = self._saved_stack.pop()
        return False

    def __call__(self, func):
        return decorated(func, detect_anomaly)


def _refuse_in_trace(tracer):
    """``detect_anomaly`` entered inside a compiled function: the ops of its block would
    be neither traced (it takes over the record hook) nor checked by a replay."""
    from .compile.provenance import user_line
    from .compile.refusals import TraceError
    raise TraceError(
        f"compile: detect_anomaly is entered at {user_line()} inside the compiled function "
        f"{tracer.name}; a replay runs no Python code between ops, so it would check "
        "nothing. Enter it around the call instead (with detect_anomaly(): step(x)), "
        "which runs the compiled function eagerly, with every check.")
