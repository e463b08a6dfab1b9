"""The tape: graph nodes and the iterative reverse pass.

A ``Node`` records one operation: which op ran, the raw input values it saw, its
output value, and where each input came from (``parents``).  Nodes point only to
their parents, never to the tensors that consume them, so a graph is freed as soon
as the last tensor referring to it goes away, without waiting for ``gc``.

``run_backward`` walks the graph without recursion, newest node first: every node is
numbered when it is recorded, after its inputs, so by the time the pass reaches a
node every consumer it can reach has sent its share, and only then is its rule
applied (PyTorch's engine orders its work by the same kind of number).  Unless
``retain_graph``, it then releases the node's saved values; a later pass that reaches
a released node of an op whose rules read no values runs it again on stand-ins
(``revive.py``), and raises "already freed" for any other.
"""

from __future__ import annotations

import itertools
import sys
import threading
import weakref
from typing import TYPE_CHECKING, Sequence

from heapq import heappop, heappush

import numpy as np

from . import collector as _collector
from . import hooks as _hooks
from . import pass_end as _pass_end
from .observers import BackwardObserver, observe_backward  # noqa: F401  (re-exported)
from .grad_mode import (  # noqa: F401  (re-exported: the rest of the library imports them from here)
    _grad_mode, _SetGradEnabled, enable_grad, is_grad_enabled, no_grad)
from .graph_errors import not_float_leaf_error, refuse_a_grad_stored_anew, rule_shape_error
from .graph_node import Node, differentiable_edges, release  # noqa: F401  (re-exported)
from .explain_retained import retained_root_reference

if TYPE_CHECKING:
    from .tensor import Tensor


#: The stamp of the latest in-place write that recorded no node (``overwrites.py``);
#: each node keeps the stamp current when it was recorded.
write_epoch = 0

#: Numbers the nodes in the order they are recorded (``Node._seq``): a node's number is
#: larger than its inputs', which is the order the reverse pass needs.
next_seq = itertools.count().__next__

#: The node number current when a backward pass last wrote ``.grad`` (no ``inputs``):
#: graphs recorded before it are not the one an optimizer step's gradients came from
#: (``optim/stale_graphs.py``).
grads_written_at = -1

#: Non-leaf tensors whose gradient a reverse pass also keeps in ``.grad``
#: (``Tensor.retain_grad``): node -> weak reference to the tensor.
retained = weakref.WeakKeyDictionary()


class _RetainedGradients(BackwardObserver):
    """Collects the gradients of the intermediates that asked for ``retain_grad()``."""

    def __init__(self):
        self.tensors = {}
        for node, ref in list(retained.items()):
            t = ref()
            if t is not None and t._node is node:
                self.tensors[node] = t
        self.received = []

    def on_node(self, node, g):
        t = self.tensors.get(node)
        if t is not None and g is not None:
            self.received.append((t, g))


def _release_side_branches(side_branches):
    """Free the nodes that fed the output only through non-differentiable edges.

    No gradient from this output ever reaches them, but they belong to its graph: a
    backward that frees the graph frees them too, so that the leaf arrays they saved
    are released (and writable again) along with the rest.
    """
    stack = list(side_branches)
    while stack:
        node = stack.pop()
        if node.args is None:
            continue
        release(node)
        for parent in node.parents:
            if parent.__class__ is Node and parent.args is not None:
                stack.append(parent)


def _is_uniquely_owned(array) -> bool:
    # An array that nobody else references: a gradient can become a leaf's .grad
    # without a copy, and a .grad can take the next gradient in place.  Called
    # directly from _accumulate_into_leaf, so the expected references are four: the
    # caller's (run_backward's variable, or the leaf's .grad slot), the local name in
    # _accumulate_into_leaf, this function's parameter and getrefcount's argument.
    return (type(array) is np.ndarray and array.base is None
            and sys.getrefcount(array) <= 4)


def _held_by_trace(array) -> bool:
    """Whether ``array`` is read-only because ``ad.compile``'s trace holds it (the
    user's code read that ``.grad`` during the traced call)."""
    from .guard import held_by_trace
    return held_by_trace(array)


def _held_elsewhere(current) -> bool:
    """Whether something besides the leaf holds its ``.grad`` array ``current``.
    Called as ``_add_into_grad``'s argument, where the call's pending first argument and
    this function's frame hold it too (``_is_uniquely_owned`` counts four)."""
    return not (current.base is None and sys.getrefcount(current) <= 5)


def _add_into_grad(current, grad, held_elsewhere) -> None:
    """Add ``grad`` into the ``.grad`` array ``current`` in place, as PyTorch's; called
    where ``current`` is writeable or read-only only because ``ad.compile``'s trace holds
    it (its replays add in place too: the hold is lifted for this write, and a trace
    where a graph saved the array as well is refused).  A write into an array that
    something else holds (``held_elsewhere``) is stamped (``overwrites.py``), so that a
    graph that saved it (``loss = (v * w.grad).sum()``) refuses its backward, as
    PyTorch's version counter does, instead of reading the sum; an array left as it
    was is not."""
    if current.flags.writeable:
        if held_elsewhere:
            _overwrites.note_write(current)
        np.add(current, grad, out=current)
        return
    from .compile import hooks
    tracer = hooks.active
    with tracer.held.lifted(current):
        if not current.flags.writeable:
            refuse_a_grad_stored_anew(tracer)
        if held_elsewhere:
            _overwrites.note_write(current)
        np.add(current, grad, out=current)


def _add(previous, gradient):
    return previous + gradient


def _add_in_place(previous, gradient):
    """``previous + gradient``, written into ``previous`` when the reverse pass alone
    holds it: a partial sum of a value used more than once is then one buffer, not a
    fresh array per use.  The references expected are the caller's variable, this
    parameter and getrefcount's argument (the pass popped it from ``pending``)."""
    if (type(previous) is np.ndarray and previous.base is None
            and sys.getrefcount(previous) <= 3 and previous.flags.writeable
            and type(gradient) is np.ndarray and previous.shape == gradient.shape
            and previous.dtype == gradient.dtype):
        return np.add(previous, gradient, out=previous)
    return previous + gradient


_NAMESPACES: tuple = ()
#: ``tensor.set_grad_slot`` (stores ``t._grad`` past ``Parameter.__setattr__``), bound by
#: ``_namespaces()``.
_set_grad_slot = None


def _namespaces():
    """``(numpy_xp, tensor_xp, Tensor)``, imported on first use (they import this module)."""
    global _NAMESPACES, _set_grad_slot
    if not _NAMESPACES:
        from .ops.namespace import numpy_xp, tensor_xp
        from .tensor import Tensor, set_grad_slot
        _NAMESPACES = (numpy_xp, tensor_xp, Tensor)
        _set_grad_slot = set_grad_slot
    return _NAMESPACES


def run_backward(root: Tensor, root_grad, *, inputs: Sequence[Tensor] | None = None,
                 retain_graph: bool = False, create_graph: bool = False,
                 stop_at: Sequence[Tensor] = (), through_inputs: bool = False) -> list | None:
    """Propagate ``root_grad`` from tensor ``root`` back through the tape.

    Without ``inputs`` the gradients are accumulated into the ``.grad`` of every leaf
    that requires grad.  With ``inputs`` (a sequence of tensors) nothing is written
    to ``.grad``; the gradient for each input is returned instead (``None`` for an
    input the root does not depend on).  Gradients stop at the inputs: nothing flows
    past an input into the graph that produced it, and an input listed twice gets its
    gradient twice.  With ``through_inputs=True`` (``torch.autograd.grad``'s meaning)
    each input gets its total derivative instead: the pass goes on past an input that
    another input depends on.  Tensors in ``stop_at`` are boundaries too, receiving
    nothing (for values known not to depend on the inputs).  Callbacks registered by
    ``pass_end.at_pass_end`` during the pass run after it.
    """
    ends: list = []
    _pass_end.running.append(ends)
    try:
        result = _run_pass(root, root_grad, inputs, retain_graph, create_graph, stop_at,
                           through_inputs)
    finally:
        _pass_end.running.pop()
    for callback in ends:
        callback()
    return result


def _run_pass(root, root_grad, inputs, retain_graph, create_graph, stop_at, through_inputs):
    global grads_written_at
    numpy_xp, tensor_xp, Tensor = _namespaces()
    if inputs is None:
        grads_written_at = next_seq()
    if create_graph:
        retain_graph = True
        xp = tensor_xp
        if not isinstance(root_grad, Tensor):
            root_grad = Tensor._make(np.asarray(root_grad), None, False)
    else:
        xp = numpy_xp
        if isinstance(root_grad, Tensor):
            root_grad = root_grad.data

    wanted_nodes = {}
    wanted_leaves = {}
    if inputs is not None:
        for k, t in enumerate(inputs):
            if t._node is not None:
                wanted_nodes.setdefault(t._node, []).append(k)
            else:
                wanted_leaves.setdefault(id(t), []).append(k)
    # where the pass stops: every input (and stop_at), or with through_inputs stop_at only
    stop_nodes = wanted_nodes
    if through_inputs:
        stop_nodes = {t._node for t in stop_at if t._node is not None}
    for t in stop_at:
        if t._node is not None:
            wanted_nodes.setdefault(t._node, [])
    results = [None] * (len(inputs) if inputs is not None else 0)
    leaf_grads = {}
    retaining = _RetainedGradients() if inputs is None and retained.data else None

    def deliver_leaf(leaf, grad):
        key = id(leaf)
        if inputs is not None:
            for k in wanted_leaves.get(key, ()):
                results[k] = grad if results[k] is None else results[k] + grad
            return
        entry = leaf_grads.get(key)
        if entry is None:
            leaf_grads[key] = [leaf, grad]
        else:
            entry[1] = entry[1] + grad

    root_node = root._node
    if root_node is None:
        deliver_leaf(root, root_grad)
    elif root_node in stop_nodes:
        if _hooks.registered:
            root_grad = _hooks.run_hooks(root_node, root_grad, create_graph)
        for k in wanted_nodes[root_node]:
            results[k] = root_grad
    else:
        # Under detect_anomaly every gradient is checked and a NaN/inf is reported with
        # the op and the user's line; NumPy's RuntimeWarning from inside a rule would
        # only repeat it, pointing at this library's code.  Otherwise it stays: it is
        # then the only sign of a non-finite gradient.
        observers = _grad_mode.observers
        quiet = _observed_pass(observers) if observers else None
        # Recording is off during the pass (on with create_graph), switched here rather
        # than with _SetGradEnabled and a nullcontext: a few calls fewer per backward.
        recording = _grad_mode._enabled
        if recording is not create_graph:
            _grad_mode.enabled = create_graph
        try:
            if quiet is not None:
                quiet.__enter__()
            if retaining is not None and retaining.tensors:
                with observe_backward(retaining):
                    _reverse_pass(root_node, root_grad, xp, create_graph, retain_graph,
                                  deliver_leaf, wanted_nodes, results, stop_nodes)
            else:
                _reverse_pass(root_node, root_grad, xp, create_graph, retain_graph,
                              deliver_leaf, wanted_nodes, results, stop_nodes)
        except BaseException:
            # The pass may have released nodes that held parameters read-only before it
            # failed: those must not stay read-only for a graph nobody can run again.
            if _guard.guarded_arrays and not retain_graph:
                _guard.release_guarded_leaves()
            raise
        finally:
            if quiet is not None:
                quiet.__exit__(None, None, None)
            if _grad_mode._enabled is not recording:
                _grad_mode.enabled = recording

    if _guard.guarded_arrays and not retain_graph:
        _guard.release_guarded_leaves()
    if inputs is not None:
        if _hooks.registered:
            results = [_hooks.run_hooks(t, r, create_graph) if r is not None
                       and t._node is None else r for t, r in zip(inputs, results)]
        for observer in _grad_mode.observers:
            for t, grad in zip(inputs, results):
                observer.on_leaf(t, grad)
        if create_graph:
            # The caller may store them where their graphs lead back (x.grad = g).
            _collector.track_graphs(results)
        return results
    # For explain(): once freed, the graph's skeleton (nodes and edges, no saved
    # arrays) is small, so the last one is kept; a retained graph only weakly, and
    # its skeleton once its output is gone (explain_retained.py).
    if root._node is None:
        _grad_mode.last_root = weakref.ref(root)
    elif retain_graph:
        _grad_mode.last_root = retained_root_reference(root)
    else:
        _grad_mode.last_root = root._node
    _grad_mode.backwards += 1
    observers = _grad_mode.observers
    hooked = bool(_hooks.registered)
    after_accumulating = []
    while leaf_grads:
        leaf, grad = leaf_grads.popitem()[1]     # popped, so the dict holds no reference
        if hooked:
            grad = _hooks.run_hooks(leaf, grad, create_graph)
        for observer in observers:
            observer.on_leaf(leaf, grad)
            observer.on_accumulate(leaf)
        _accumulate_into_leaf(leaf, grad, create_graph)
        if _hooks.post_accumulate:
            after_accumulating.append(leaf)
    for leaf in after_accumulating:             # (once every .grad is complete)
        _hooks.run_post_accumulate_hooks(leaf)
    if retaining is not None:
        for t, g in retaining.received:
            _accumulate_into_leaf(t, g, create_graph)
    return None


#: Held while a gradient is added into a leaf's ``.grad``: threads running backward
#: on graphs that share a parameter would otherwise lose each other's sums (the read
#: of ``.grad`` and the write back interleave, and NumPy's in-place add lets go of the
#: GIL).  PyTorch's accumulation is thread-safe too.
_accumulating = threading.Lock()


def _accumulate_into_leaf(leaf, grad, create_graph):
    # (``_grad``: the slot behind the checked ``.grad`` property; these values fit.  One
    # function, not a wrapper holding the lock: a second frame's reference to ``grad``
    # would make _is_uniquely_owned copy every gradient.)
    if leaf.data.dtype.kind != "f" and leaf.data.dtype.kind != "c":
        raise not_float_leaf_error(leaf)
    set_grad = _set_grad_slot or (_namespaces() and _set_grad_slot)
    with _accumulating:
        if not create_graph:
            if type(grad) is not np.ndarray:
                grad = np.asarray(grad)
            current = leaf._grad
            if current is None:
                set_grad(leaf, grad if _is_uniquely_owned(grad) else grad.copy(order="K"))
            elif isinstance(current, _namespaces()[2]):
                # A gradient with a graph, from an earlier backward(create_graph=True):
                # this pass records nothing, and the sum goes into that Tensor's own
                # array (a copy made for .grad), as PyTorch's ``grad += new`` under
                # no_grad: g = w.grad sees it, and g keeps its graph. Stamped, so that a
                # graph that saved the array refuses its backward.
                data = current.data
                if (type(data) is np.ndarray and data.flags.writeable
                        and data.shape == grad.shape and data.dtype == grad.dtype):
                    _add_into_grad(data, grad, True)
                else:
                    set_grad(leaf, np.asarray(data + grad))
            elif (type(current) is np.ndarray
                  and (current.flags.writeable or _held_by_trace(current))
                  and current.shape == grad.shape and current.dtype == grad.dtype):
                # The new gradient is added into the .grad array, as PyTorch's
                # ``grad += new``: a name the user kept for it (g = w.grad) sees the sum,
                # and a .grad in shared memory (Module.share_memory) stays shared.
                _add_into_grad(current, grad, _held_elsewhere(current))
            else:
                total = current + grad
                set_grad(leaf, total if type(total) is np.ndarray else np.asarray(total))  # 0-d
        else:
            # A first gradient is copied (recorded), as PyTorch's AccumulateGrad clones
            # it: .grad then owns its array, which a later plain backward adds into.
            set_grad(leaf, _recorded_copy(grad) if leaf._grad is None else leaf._grad + grad)
            # A .grad that is a Tensor points into a graph that points back to its
            # owner: a reference cycle, which only the cycle collector can free.
            _collector.track_graphs([leaf._grad])


def _in_dtype(xp, gradient, dtype):
    """A gradient in its input's dtype.  PyTorch's convention for complex numbers: a
    real input's gradient is the real part of a complex one, and a complex input's
    gradient from a real one has imaginary part 0."""
    if gradient.dtype.kind == "c" and dtype.kind != "c":
        gradient = xp.real(gradient)
        if gradient.dtype == dtype:
            return gradient
    elif dtype.kind == "c" and gradient.dtype.kind != "c":
        return xp.complex_from_real(gradient, dtype)
    return xp.astype(gradient, dtype)


def _recorded_copy(grad):
    """``grad`` copied, recorded when it is a Tensor (in a create_graph pass)."""
    if isinstance(grad, _namespaces()[2]):
        from .ops.elementwise import copy
        return copy(grad)
    return np.array(grad, copy=True)


def _observed_pass(observers):
    """Tell the observers a pass starts; NumPy's warnings quieted if one of them reports
    non-finite gradients itself (an ``np.errstate`` to enter), else None."""
    for observer in observers:
        observer.on_pass()
    if any(o.reports_non_finite for o in observers):
        return np.errstate(divide="ignore", invalid="ignore", over="ignore")
    return None


def _reverse_pass(root_node, root_grad, xp, create_graph, retain_graph,
                  deliver_leaf, wanted_nodes, results, stop_nodes):
    make = _namespaces()[2]._make
    # Nodes are taken newest first (highest ``_seq``).  A node is always newer than
    # its inputs, so every consumer of a node that the pass can reach is taken before
    # it: its gradient is complete when it comes up, and no consumer count is needed.
    # ``frontier`` is a heap of (-seq, node) for the nodes waiting with a partial
    # gradient in ``pending``; a chain, where each node has one input, never uses it.
    pending = {}
    frontier = []
    side_branches = []
    revived = []                        # released nodes given stand-ins, kept under retain_graph
    sum_to = xp.sum_to
    observers = _grad_mode.observers        # () unless viz.steps / detect_anomaly watch
    # Observers are shown each partial sum as its own array, so they get fresh sums.
    add_gradients = _add_in_place if not (create_graph or observers) else _add
    hooked = bool(_hooks.registered)        # Tensor.register_hook on any tensor
    node, g = root_node, root_grad
    while node is not None:
        if hooked and g is not None:
            g = _hooks.run_hooks(node, g, create_graph)
        if wanted_nodes:
            wanted = wanted_nodes.get(node)
            if wanted is not None:
                if node in stop_nodes:
                    for k in wanted:
                        results[k] = g
                    node = g = None
                    if frontier:
                        node = heappop(frontier)[1]
                        g = pending.pop(node)
                    continue
                for k in wanted:     # (a copy: sums further back may add into g in place)
                    results[k] = g if g is None or create_graph else g.copy()
        args = node.args
        if args is None:                # released by an earlier pass: revive.py, or the error
            args = _revive.revive(node, retain_graph)
            if retain_graph:
                revived.append(node)
        op = node.op
        rules = op.rules
        arity = node._arity             # node.parents, inlined (hot path)
        parents = ((node._p0, node._p1) if arity == 2 else (node._p0,) if arity == 1
                   else node._parents)
        # overwrites.py: a node older than the latest noted write is checked, read
        # anew for each node: a hook may write during the pass (``zero_grad()``, an
        # update under ``no_grad``), before a node that saved those values runs.
        if write_epoch and g is not None and getattr(node, "_epoch", 0) < write_epoch:
            _overwrites.check(node, parents)
        if observers:
            for observer in observers:
                observer.on_node(node, g)
        if g is not None:
            kwargs = node.kwargs
            if create_graph:
                rule_args = tuple(
                    make(a, p, p.requires_grad) if p.__class__ is Node
                    else (p if p is not None else a)
                    for a, p in zip(args, parents))
                ans = make(node.ans, node, True)
            else:
                rule_args = args
                ans = node.ans
            if rules is None:
                grads = op.vjp(xp, g, ans, rule_args, kwargs, parents, node)
        following = following_g = None  # the input to take next (when it is the only
        #                                 one) and its gradient, kept out of ``pending``
        i = -1
        for parent in parents:
            i += 1
            if parent is None:
                continue
            if not parent.requires_grad:
                if parent.__class__ is Node:
                    side_branches.append(parent)
                continue
            if rules is None:
                gi = grads[i] if g is not None else None
            else:
                rule = rules[i]
                if rule is None:
                    if parent.__class__ is Node:
                        side_branches.append(parent)
                    continue
                if g is None:
                    gi = None
                elif kwargs is None:
                    # (operands passed one by one: a *args call costs a tenth of a node)
                    gi = (rule(xp, g, ans, rule_args[0], rule_args[1]) if arity == 2
                          else rule(xp, g, ans, rule_args[0]) if arity == 1
                          else rule(xp, g, ans, *rule_args))
                else:
                    gi = rule(xp, g, ans, *rule_args, **kwargs)
            if gi is not None:
                arg = args[i]
                rule_output = gi
                if gi.shape != arg.shape:
                    try:                # (a broadcast input's gradient: summed to its shape)
                        gi = sum_to(gi, arg.shape)
                    except ValueError:
                        raise rule_shape_error(op, i, gi, arg, ans) from None
                if gi.dtype is not arg.dtype and gi.dtype != arg.dtype:
                    gi = _in_dtype(xp, gi, arg.dtype)
                if observers:
                    for observer in observers:
                        observer.on_edge(node, i, g, gi, rule_output)
            if parent.__class__ is Node:
                if parent is following:
                    following_g = (gi if following_g is None else following_g if gi is None
                                   else add_gradients(following_g, gi))
                elif parent in pending:
                    # Popped first: the sum may then reuse the partial sum's buffer.
                    previous = pending.pop(parent)
                    pending[parent] = (gi if previous is None else previous if gi is None
                                       else add_gradients(previous, gi))
                elif following is None:
                    following, following_g = parent, gi
                else:
                    pending[parent] = gi
                    heappush(frontier, (-parent._seq, parent))
            elif gi is not None:
                deliver_leaf(parent, gi)
        if not retain_graph:            # the same as release(node), inlined: hot path
            out = node.ans
            node._shape = out.shape
            node._dtype = out.dtype
            node.args = None
            node.ans = None
            node.saved = None
        if following is not None and (not frontier or following._seq > -frontier[0][0]):
            node, g = following, following_g
        elif frontier:
            if following is not None:
                pending[following] = following_g
                heappush(frontier, (-following._seq, following))
            node = heappop(frontier)[1]
            g = pending.pop(node)
        else:
            break
    if side_branches and not retain_graph:
        _release_side_branches(side_branches)
    for node in revived:                # released again, as they were before this pass
        release(node)


# The mutation guard builds on Node (imported last: guard imports this module).
from . import guard as _guard  # noqa: E402
from . import overwrites as _overwrites  # noqa: E402
from . import revive as _revive  # noqa: E402
