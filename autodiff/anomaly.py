"""Never silently wrong: anomaly detection and the guard on saved leaf arrays.

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

Mutation guard (always on)
    A backward pass reads the values its ops saved in the forward pass.  If user
    code changed one of them in place in between (``w.data -= lr * w.grad`` before
    ``loss.backward()``), the gradients would be silently wrong.  The choice made
    here is that **the mutation raises**: when an op that needs a gradient for a
    leaf tensor (one created with ``requires_grad=True``, i.e. a parameter) saves
    that leaf's array, the array is made read-only, and NumPy refuses any in-place
    change (``ValueError: output array is read-only``).  The array becomes writable
    again as soon as no live graph still needs it: at the end of a backward pass
    that frees the graph (no ``retain_graph``), or when the graph is dropped
    (``del loss``).  ``ad.explain(w)`` names the ops still holding a read-only
    array.  So the usual loop -- forward, ``backward()``, in-place optimizer step
    -- just works, and stepping before ``backward()`` (or between two backward
    passes with ``retain_graph=True``) raises instead of corrupting gradients.

    It is leaf-only because that is what is cheap: a leaf parent is already
    singled out on the recording path, so ops on intermediate values pay one
    identity test; ops that use a parameter pay about 1 µs for the bookkeeping
    (one weak reference and one flag change per use).  Not covered: arrays of
    tensors that do not require grad (input batches), ``.data`` of intermediate
    results, and other views of the same memory (``a`` when the leaf wraps
    ``a[1:]``).  A leaf array that was already read-only is left alone.

A memory note for training loops: ``total += loss`` with a Tensor ``loss`` keeps
every step's graph alive (each sum is a new node that points to the previous one)
and keeps the parameters read-only; accumulate ``loss.item()`` instead.
"""

from __future__ import annotations

import linecache
import os
import sys
import threading
import weakref

import numpy as np

from . import graph
from .graph import Node, _grad_mode

__all__ = ["AnomalyError", "detect_anomaly"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class AnomalyError(RuntimeError):
    """Raised inside ``detect_anomaly()`` at the first op that creates a NaN or inf."""


# ----------------------------------------------------------------------------------
# where user code created an op
# ----------------------------------------------------------------------------------
class Trace(tuple):
    """``(filename, lineno, function)`` of the user code that created an op."""

    __slots__ = ()

    def __new__(cls, filename, lineno, function):
        return tuple.__new__(cls, (filename, lineno, function))

    filename = property(lambda self: self[0])
    lineno = property(lambda self: self[1])
    function = property(lambda self: self[2])

    @property
    def line(self) -> str:
        """The source line, stripped ('' if unavailable)."""
        return linecache.getline(self[0], self[1]).strip()

    def __str__(self):
        name = self[0]
        try:
            rel = os.path.relpath(name)
            if not rel.startswith(".."):
                name = rel
        except ValueError:
            pass
        return f"{name}:{self[1]}"


def user_frame_trace(skip=1):
    """The first frame outside the autodiff package, as a ``Trace`` (or None)."""
    frame = sys._getframe(skip)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return None
    return Trace(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)


def where_created(node) -> str:
    """'created at file:line' for a node, or '' when anomaly mode did not record it."""
    trace = getattr(node, "trace", None)
    if trace is None:
        return ""
    if isinstance(trace, Trace):
        line = trace.line
        return f"created at {trace}" + (f": `{line}`" if line else "")
    return f"created at {trace}"


def _created(node):
    trace = getattr(node, "trace", None)
    return f"created at {trace}" if trace is not None else "creation site not recorded"


# ----------------------------------------------------------------------------------
# value formatting
# ----------------------------------------------------------------------------------
def _raw(value):
    return value.data if hasattr(value, "data") and hasattr(value, "_node") else value


def _is_float_array(value):
    return isinstance(value, (np.ndarray, np.generic, float, complex)) and \
        np.asarray(value).dtype.kind in "fc"


def _fmt(values, limit=4):
    values = np.asarray(values).ravel()
    shown = ", ".join(f"{v:.6g}" if np.isrealobj(v) else str(v) for v in values[:limit])
    more = f", ... ({values.size} in all)" if values.size > limit else ""
    return f"[{shown}{more}]"


def _stats(value):
    a = np.asarray(value)
    if a.size == 0:
        return f"empty, shape {a.shape}"
    if a.dtype.kind not in "fc":
        return f"shape {a.shape}, {a.dtype}"
    finite = a[np.isfinite(a)]
    parts = [f"shape {a.shape}"]
    if finite.size:
        parts.append(f"finite range [{finite.min():.6g}, {finite.max():.6g}]")
    n_nan = int(np.isnan(a).sum())
    n_inf = int(np.isinf(a).sum())
    if n_nan:
        parts.append(f"{n_nan} NaN")
    if n_inf:
        parts.append(f"{n_inf} inf")
    return ", ".join(parts)


def _at(value, mask):
    """The entries of ``value`` at ``mask`` (broadcasting value), or its statistics."""
    a = np.asarray(value)
    if a.dtype.kind not in "fcbiu":
        return None
    try:
        return _fmt(np.broadcast_to(a, mask.shape)[mask])
    except ValueError:
        return "(" + _stats(a) + ")"


def _index_text(mask):
    first = tuple(int(i) for i in np.argwhere(mask)[0]) if mask.ndim else ()
    return f"{int(mask.sum())} of {mask.size} entries, first at index {first}"


def _input_names(op, n):
    names = list(op.input_names) if op.input_names else []
    return [names[i] if i < len(names) else f"input {i}" for i in range(n)]


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
        data = self.data
        ref = weakref.ref(key, lambda r: data.pop(ident, None) if data.get(ident, (r,))[0]
                          is r else None)
        data[ident] = (ref, default)
        return default


class _AnomalyState:
    def __init__(self):
        # parent (Node or leaf Tensor) -> [(weakref to consumer node, position, raw gradient)]
        self.sent = _IdMap()
        # node -> raw upstream gradient it received
        self.upstream = weakref.WeakKeyDictionary()
        # where-node -> its condition array (saved before the node is released)
        self.conditions = weakref.WeakKeyDictionary()


class _Local(threading.local):
    state = None
    depth = 0


_local = _Local()


def _on_record(node):
    node.trace = user_frame_trace(2)
    ans = node.ans
    if ans.dtype.kind not in "fc" or not np.isnan(ans).any():
        return
    for a in node.args:
        if _is_float_array(a) and np.isnan(a).any():
            return                      # NaN came in; it was created earlier
    raise AnomalyError(_forward_message(node))


def _forward_cause(node, bad):
    name = node.op.name
    args = [np.asarray(a) for a in node.args if _is_float_array(a) or isinstance(a, int)]

    def at(i):
        try:
            return np.broadcast_to(args[i], bad.shape)[bad]
        except (ValueError, IndexError):
            return None

    x = at(0)
    if name in ("log", "log1p", "sqrt") and x is not None:
        limit = -1 if name == "log1p" else 0
        if (x < limit).any():
            return (f"{name} of a number below {limit} is NaN; keep the input in the domain "
                    f"(e.g. clip it, or take {name} of abs(x) + eps)")
    if name == "power" and x is not None and (x < 0).any():
        return ("a negative base raised to a non-integer power is NaN; use abs(x) ** p "
                "or make sure the base is positive")
    y = at(1) if len(args) > 1 else None
    if name == "divide" and x is not None and y is not None:
        if ((x == 0) & (y == 0)).any():
            return "0 / 0 is NaN; add an eps to the denominator or mask it with where first"
        if (np.isinf(x) & np.isinf(y)).any():
            return "inf / inf is NaN; an earlier op overflowed to inf"
    if name in ("add", "subtract") and x is not None and y is not None:
        if (np.isinf(x) & np.isinf(y)).any():
            return "inf - inf is NaN; an earlier op overflowed to inf (exp of a large number?)"
    if name == "multiply" and x is not None and y is not None:
        if (((x == 0) & np.isinf(y)) | (np.isinf(x) & (y == 0))).any():
            return "0 * inf is NaN; an earlier op overflowed to inf or divided by zero"
    if any(np.isinf(a).any() for a in args if a.dtype.kind in "fc"):
        return "an input contains inf (created by an earlier op), and inf turned into NaN here"
    return None


def _forward_message(node):
    op = node.op
    bad = np.isnan(node.ans)
    lines = [f"{op.name}: the forward pass produced NaN from inputs without NaN "
             f"({_index_text(bad)})."]
    where = where_created(node)
    lines.append(f"  op {where}" if where else "  op creation site unknown")
    names = _input_names(op, len(node.args))
    for name, a in zip(names, node.args):
        if _is_float_array(a) or isinstance(a, int):
            shown = _at(a, bad)
            if shown is not None:
                lines.append(f"  input {name} at those positions: {shown}")
    cause = _forward_cause(node, bad)
    if cause:
        lines.append(f"  cause: {cause}.")
    return "\n".join(lines)


def _on_gradient(node, g, i, gi):
    state = _local.state
    if state is None:
        return
    g_raw = np.asarray(_raw(g))
    gi_raw = np.asarray(_raw(gi))
    parent = node.parents[i]
    state.upstream[node] = g_raw
    if node.op.name == "where" and node.args is not None and node not in state.conditions:
        state.conditions[node] = np.asarray(node.args[0])
    sent = state.sent.setdefault(parent, [])
    if len(sent) > 16:                  # a parameter lives across steps: drop dead graphs
        sent[:] = [entry for entry in sent if entry[0]() is not None]
    sent.append((weakref.ref(node), i, gi_raw))
    if gi_raw.dtype.kind not in "fc" or np.isfinite(gi_raw).all():
        return
    if g_raw.dtype.kind in "fc" and not np.isfinite(g_raw).all():
        return                          # the NaN/inf came from further up
    raise AnomalyError(_backward_message(state, node, g_raw, i, gi_raw))


def _local_derivative(node, i, g_shape, g_dtype):
    """The VJP of input ``i`` with an upstream gradient of ones (None if not computable)."""
    from .ops.namespace import numpy_xp

    op = node.op
    if node.args is None:
        return None
    ones = np.ones(g_shape, dtype=g_dtype)
    try:
        with np.errstate(all="ignore"):
            if op.rules is not None:
                rule = op.rules[i]
                if rule is None:
                    return None
                out = rule(numpy_xp, ones, node.ans, *node.args, **(node.kwargs or {}))
            else:
                out = op.vjp(numpy_xp, ones, node.ans, node.args, node.kwargs,
                             node.parents)[i]
        return np.asarray(_raw(out))
    except Exception:
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
            if consumer.op.name == "where" and pos in (1, 2):
                cond = state.conditions.get(consumer)
                if cond is not None:
                    try:
                        sel = np.broadcast_to(cond, mask.shape)[mask]
                    except ValueError:
                        sel = None
                    if sel is not None and ((not sel.any()) if pos == 1 else sel.all()):
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
             f"{names[i]} from a finite upstream gradient ({_index_text(bad)})."]
    where = where_created(node)
    lines.append(f"  op {where}" if where else "  op creation site unknown")
    lines.append(f"  rule: {op.describe()}")
    same = g.shape == bad.shape
    lines.append("  upstream gradient g at those positions: " +
                 (_fmt(g[bad]) if same else "(" + _stats(g) + ")"))
    if node.args is not None:
        for name, a in zip(names, node.args):
            if _is_float_array(a):
                shown = _at(a, bad)
                if shown is not None:
                    lines.append(f"  input {name} at those positions: {shown}")
    local = _local_derivative(node, i, g.shape, g.dtype)
    local_inf = False
    if local is not None and local.shape == bad.shape:
        vals = local[bad]
        local_inf = bool(np.isinf(vals).any() or np.isnan(vals).any())
        lines.append(f"  local derivative (the rule with g = 1) at those positions: {_fmt(vals)}")
    zero_g = same and bool((g[bad] == 0).all())
    if zero_g and local_inf:
        where_node, chain = _trace_zero(state, node, bad)
        if where_node is not None:
            via = ", ".join(c.op.name for c in chain)
            via = f" (the zero passed on through {via})" if via else ""
            lines.append(
                f"  cause: the upstream gradient here is 0 because `where` "
                f"({_created(where_node)}) did not select these positions{via}, but the local "
                f"derivative is inf, and 0·inf = NaN; feed the unselected positions a safe "
                f"value (`where(mask, x, safe)`) before the op. For example, instead of "
                f"`where(mask, f(x), 0)` write `x_safe = where(mask, x, safe)` with a safe "
                f"that keeps f finite, then `where(mask, f(x_safe), 0)`.")
        else:
            sender = f" (sent by {chain[0].op.name}, {_created(chain[0])})" if chain else ""
            lines.append(
                f"  cause: the upstream gradient here is 0{sender}, but the local derivative "
                "is inf, and 0·inf = NaN. Keep the input of this op away from the point "
                "where its derivative is infinite (clip it, or add an eps).")
    elif local_inf:
        lines.append(f"  cause: the derivative of {op.name} is infinite at these inputs "
                     "(e.g. sqrt or log at 0, or division by 0); add an eps or clip the "
                     "input away from that point.")
    return "\n".join(lines)


class detect_anomaly:
    """Raise ``AnomalyError`` at the first op that creates NaN (forward) or NaN/inf (backward).

    Thread-local; nests; also usable as a decorator.  Slower than normal mode (each
    op records its source line and every array is scanned), so use it to debug.

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
        self._saved = (_grad_mode.on_record, _grad_mode.on_gradient, _local.state)
        if _local.state is None:
            _local.state = _AnomalyState()
        _grad_mode.on_record = _on_record
        _grad_mode.on_gradient = _on_gradient
        return self

    def __exit__(self, *exc):
        _grad_mode.on_record, _grad_mode.on_gradient, _local.state = self._saved
        return False

    def __call__(self, func):
        def wrapper(*args, **kwargs):
            with detect_anomaly():
                return func(*args, **kwargs)

        wrapper.__name__ = getattr(func, "__name__", "wrapper")
        wrapper.__doc__ = getattr(func, "__doc__", None)
        return wrapper


# ----------------------------------------------------------------------------------
# mutation guard: leaf arrays saved by live graphs are read-only
# ----------------------------------------------------------------------------------
class _Guard:
    __slots__ = ("array", "savers", "on_dead", "__weakref__")

    def __init__(self, array, key):
        self.array = array
        self.savers = set()         # weak references to the nodes that saved it
        self.on_dead = lambda ref: _on_saver_dead(ref, key)


_guards = graph.guarded_leaf_arrays      # id(array) -> _Guard
_lock = threading.RLock()


def _on_saver_dead(ref, key):
    with _lock:
        guard = _guards.get(key)
        if guard is None:
            return
        # O(1) per death: a graph dropped without backward may have thousands of savers.
        # Savers already freed by a backward are swept by release_guarded_leaves.
        guard.savers.discard(ref)
        if not guard.savers:
            del _guards[key]
            guard.array.setflags(write=True)


_ref = weakref.ref


def guard_leaves(node):
    """Make the arrays of ``node``'s leaf parents read-only while ``node`` needs them."""
    rules = node.op.rules
    args = node.args
    i = -1
    with _lock:
        for parent in node.parents:
            i += 1
            if parent is None or parent.__class__ is Node or not parent.requires_grad:
                continue
            if rules is not None and rules[i] is None:
                continue
            array = args[i]
            if type(array) is not np.ndarray:
                continue
            guard = _guards.get(id(array))
            if guard is None:
                if not array.flags.writeable:
                    continue            # read-only already (the user's choice): leave it
                guard = _guards[id(array)] = _Guard(array, id(array))
                array.setflags(write=False)
            guard.savers.add(_ref(node, guard.on_dead))


def release_guarded_leaves():
    """Make writable again every guarded array whose saving graphs were all freed."""
    with _lock:
        for key, guard in list(_guards.items()):
            alive = {r for r in guard.savers if (n := r()) is not None and n.args is not None}
            if alive:
                guard.savers = alive
            else:
                del _guards[key]
                guard.array.setflags(write=True)


def savers_of(array):
    """The live nodes that hold ``array`` read-only (for ``explain``)."""
    guard = _guards.get(id(array))
    if guard is None or guard.array is not array:
        return []
    return [n for n in (r() for r in guard.savers) if n is not None and n.args is not None]


graph.release_guarded_leaves = release_guarded_leaves
