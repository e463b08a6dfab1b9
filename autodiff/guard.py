"""The mutation guard: leaf arrays saved by a live graph are read-only.

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
(one weak reference and one flag change per use).  Arrays of tensors that do not
require grad (input batches) and of intermediate results are not made read-only:
the library's own in-place updates of them are checked by the reverse pass instead
(``overwrites.py``); a NumPy write into them (``t.data += 1``) is not seen, nor one
into other views of a leaf's memory (``a`` when the leaf wraps ``a[1:]``).  A leaf
array that was already read-only is left alone.

An op's output that views a guarded leaf's memory (``w.T``, ``w[0]``,
``w.reshape(...)``) is read-only with it, and writable again when it is released:
NumPy copies the flag into a view only when it makes it, so ``w.T`` made just before
``w`` was guarded would otherwise stay writable, and ``w.T.data[...] = 0`` would
change the saved values.  An in-place tensor update of such a view under
``no_grad`` (``w_t += 1``) still writes, as PyTorch allows: it is stamped, and a
backward that needs the old values refuses (``overwrites.py``).  A view made by an
op on such a view (``w.T[0]``), or under ``no_grad``, while the leaf is guarded is
read-only by NumPy's rule; it is writable again with the leaf (``adopt_view``).

An op whose rules read no values (``defop``'s ``reads=()``: ``w.T``, ``w[0]``,
``w.reshape(...)``) guards nothing itself, even when its output views a leaf's memory:
the leaf is guarded by the op that saves the view for a rule that reads it
(``leaf_views``), as PyTorch's views share their base's version counter.  So a view
kept for logging (``row = w[0]``) does not block an optimizer step, and shows the new
values after it, as a NumPy view does; and views made before the leaf is guarded are
made read-only with it.

A function transform gives a parameter to the function as a fresh input on top of it
(``transforms.transform_input``, an identity whose output is the parameter's own array,
not a leaf): ``note_fresh_input`` notes it as a view of the parameter, so the ops that
read it guard the parameter as if they read it, while the transform runs
(``holding_inputs``).  When the outermost running transform returns, it lets go of
the holds its ops took on those parameters: its results (Tensors with a graph, when
they can still be differentiated) do not block ``w -= lr * g`` or an optimizer step,
as with ``torch.func`` and JAX.  Library writes into such a parameter while those
ops live (``unguarded_reads``) are then stamped, so that a later backward through
the results that would read the old values raises (``overwrites.py``); a NumPy write
(``w.data[...] = v``) is not seen there, as for any array that is not guarded.

While ``ad.compile`` traces, it holds some arrays read-only too (``trace_held``,
see ``compile/readonly.py``): the guard still guards them, and leaves them read-only
when its graphs are freed; the trace makes them writable when it ends.

A memory note for training loops: ``total += loss`` with a Tensor ``loss`` keeps
every step's graph alive (each sum is a new node that points to the previous one)
and keeps the parameters read-only; accumulate ``loss.item()`` instead.
"""

from __future__ import annotations

import sys
import threading
import weakref

import numpy as np

from .graph import Node, next_seq
from .revive import keep_constants

__all__ = ["adopt_view", "guard_leaf_views", "guard_leaves", "holding_inputs",
           "is_broadcast", "is_guarded_view", "leaf_views", "note_fresh_input",
           "note_unguarded_write", "release_guarded_leaves", "savers_of", "trace_held",
           "unguarded_reads", "writing_through"]


class _Guard:
    __slots__ = ("array", "savers", "on_dead", "views", "__weakref__")

    def __init__(self, array, key):
        self.array = array
        self.savers = set()         # weak references to the nodes that saved it
        self.on_dead = lambda ref: _on_saver_dead(ref, key)
        self.views = None           # the ops' outputs viewing it, read-only with it


#: id(array) -> _Guard for every leaf array made read-only by a live graph.
guarded_arrays: dict = {}
_guards = guarded_arrays
_lock = threading.RLock()

#: id(view) -> _Guard for each op output that views a guarded array (``w.T``, ``w[0]``)
#: and is read-only while that array is.
guarded_views: dict = {}

#: id(array) -> array for the arrays a running trace holds read-only (empty otherwise).
trace_held: dict = {}


#: id(array) -> weak reference, for leaf arrays whose guard was released while the array
#: they view was still read-only for another guard (``x = ad.tensor(B)`` and
#: ``y = ad.tensor(B.T)``, both saved): NumPy lifts a view's flag only over a writable
#: base, so they are made writable when a later release frees that base.
_waiting_for_base: dict = {}


def _writable_again(guard) -> None:
    array = guard.array
    if id(array) not in trace_held:
        try:
            array.setflags(write=True)
        except ValueError:
            _waiting_for_base[id(array)] = weakref.ref(array)
        else:
            if _waiting_for_base:
                _lift_waiting()
    views = guard.views
    if views is None:
        return
    guard.views = None
    writable = array.flags.writeable
    for view in views:
        del guarded_views[id(view)]
        # Referenced only by ``views`` (the loop and the call hold the others): no one
        # can write through it, so its flag need not change (the usual case: the
        # intermediate ``w.T`` died with its graph).
        if writable and _refcount(view) > 3 and not (trace_held and held_by_trace(view)):
            try:
                view.setflags(write=True)
            except ValueError:          # it views memory something else made read-only
                pass


def _lift_waiting() -> None:
    """Make writable the arrays of ``_waiting_for_base`` whose base is now writable
    (those a guard holds again wait for its release instead)."""
    for key, ref in list(_waiting_for_base.items()):
        array = ref()
        if array is None or key in _guards:
            del _waiting_for_base[key]
            continue
        try:
            array.setflags(write=True)
        except ValueError:
            continue                    # its base is still read-only
        del _waiting_for_base[key]


def _guard_view(guard, view, guarded_before: bool) -> None:
    """Make ``view`` (an op's output over ``guard.array``'s memory) read-only while the
    guard holds that array, and writable again with it.  NumPy copies the flag into a
    view when it makes it, and never after: ``w.T`` made just before ``w`` was guarded
    would stay writable, and a write through it would change the saved values."""
    if id(view) in guarded_views:
        return
    if view.flags.writeable:
        view.setflags(write=False)
    elif not guarded_before or is_broadcast(view):
        return                          # read-only by NumPy's or its owner's choice
    # (else made read-only because the guarded array was: writable with it again)
    _hold_view(guard, view)


def _hold_view(guard, view) -> None:
    """Note ``view`` as read-only with ``guard``'s array, writable again with it."""
    if guard.views is None:
        guard.views = []
    guard.views.append(view)
    guarded_views[id(view)] = guard


def adopt_view(out) -> None:
    """Hold ``out``, an op's read-only output over a guarded leaf's memory made by an
    op that is not on the leaf itself (``w.T[0]``, or any view under ``no_grad``),
    with that leaf: NumPy made it read-only because the leaf was, and it is writable
    again when the leaf is released.

    >>> adopt_view(np.zeros(2)[:1])
    """
    base = out.base
    with _lock:
        guard = _guards.get(id(base))
        if guard is None or guard.array is not base or id(out) in guarded_views \
                or is_broadcast(out):
            return
        _hold_view(guard, out)


def is_guarded_view(array) -> bool:
    """Whether ``array`` is an op's output read-only only because it views a guarded
    leaf (``w.T``): an in-place tensor update under ``no_grad`` may still write it, as
    the reverse pass then checks the stamp of that write (``overwrites.py``).

    >>> is_guarded_view(np.zeros(2))
    False
    """
    guard = guarded_views.get(id(array))
    return guard is not None and any(view is array for view in guard.views or ())


class writing_through:
    """Context manager: the guarded view ``view`` is writable inside (a library write
    that ``overwrites.note_write`` stamps).

    >>> with writing_through(np.zeros(2)): pass
    """

    __slots__ = ("chain", "lifted")

    def __init__(self, view):
        self.chain = []
        while isinstance(view, np.ndarray):
            self.chain.append(view)
            view = view.base
        self.lifted = []

    def __enter__(self):
        for array in reversed(self.chain):  # NumPy lifts a view only over a writable base
            if not array.flags.writeable:
                array.setflags(write=True)
                self.lifted.append(array)

    def __exit__(self, *exc):
        for array in reversed(self.lifted):
            array.setflags(write=False)
        self.lifted = []


def is_broadcast(array) -> bool:
    """Whether ``array`` repeats elements (a stride of 0): read-only by NumPy's choice.

    >>> is_broadcast(np.broadcast_to(np.zeros(1), (3,))), is_broadcast(np.zeros(3))
    (True, False)
    """
    return any(stride == 0 and n > 1 for stride, n in zip(array.strides, array.shape))


def held_by_trace(array) -> bool:
    """Whether ``array`` is read-only because a trace holds it or the array it views.

    >>> held_by_trace(np.zeros(2))
    False
    """
    while isinstance(array, np.ndarray):
        if id(array) in trace_held:
            return True
        array = array.base
    return False


def _on_saver_dead(ref, key):
    with _lock:
        guard = _guards.get(key)
        if guard is None:
            return
        # O(1) per death, amortized: a graph dropped without backward may have thousands
        # of savers (_has_live_saver looks at each released or freed saver once).
        guard.savers.discard(ref)
        _release_if_unneeded(key, guard)


def _release_if_unneeded(key, guard) -> None:
    """Drop ``guard`` (``_guards[key]``) and make its array writable again when no live
    node needs it.  A callback of a dying node (_on_saver_dead) may run on this thread
    meanwhile (the lock is reentrant) and remove it first: removed only if still there."""
    if not _has_live_saver(guard) and _guards.get(key) is guard:
        del _guards[key]
        _writable_again(guard)


def _has_live_saver(guard) -> bool:
    """Whether a node still needs ``guard.array``.  Savers are taken out until a live
    one is found (and put back), so each released or freed saver is looked at once,
    however many graphs stay alive (rebuilding the set on each backward made n passes
    over n live graphs cost n**2)."""
    savers = guard.savers
    while savers:
        ref = savers.pop()
        if _is_live(ref()):
            savers.add(ref)
            return True
    return False


_ref = weakref.ref
_refcount = sys.getrefcount


def guard_leaves(node: Node) -> None:
    """Make the arrays of ``node``'s leaf parents read-only while ``node`` needs them,
    and those of the leaves its inputs view (``leaf_views``)."""
    args = node.args
    i = -1
    arity = node._arity                 # node.parents, inlined (hot path)
    parents = ((node._p0, node._p1) if arity == 2 else (node._p0,) if arity == 1
               else node._parents)
    op = node.op
    out = node.ans
    out_is_view = out.base is not None
    if op.value_free:                   # what a second backward needs (revive.py)
        keep_constants(node)
        if not out_is_view:
            return                      # (b + bias): no value read, no view to note
    read = inputs_read(op, parents)
    with _lock:
        for parent in parents:
            i += 1
            if parent is None or not parent.requires_grad:
                continue
            if parent.__class__ is Node:
                if leaf_views:
                    _through_leaf_view(node, i, parent, read, out, out_is_view)
                continue
            array = args[i]
            if type(array) is not np.ndarray:
                continue
            viewed = out_is_view and views_memory_of(out, array)
            if i not in read:
                if not viewed:
                    continue            # no rule reads it, and the output is no view of it
                if op.value_free:       # w.T, w[0]: guarded by the ops that read it
                    _note_leaf_view(node, array, out)
                    continue
            guard, guarded_before = _guard(node, array)
            if guard is not None and viewed:
                _guard_view(guard, out, guarded_before)


def guard_leaf_views(node: Node) -> None:
    """``guard_leaves`` for a node without leaf parents: guard the leaves its inputs
    view, if its rules read those inputs (called while ``leaf_views`` is not empty)."""
    arity = node._arity                 # node.parents, inlined (on every op meanwhile)
    parents = ((node._p0, node._p1) if arity == 2 else (node._p0,) if arity == 1
               else node._parents)
    read = None
    i = -1
    for parent in parents:
        i += 1
        if parent.__class__ is not Node or id(parent) not in leaf_views:
            continue
        if read is None:
            read = inputs_read(node.op, parents)
            out = node.ans
        with _lock:
            _through_leaf_view(node, i, parent, read, out, out.base is not None)


def _through_leaf_view(node, i, parent, read, out, out_is_view) -> None:
    """Input ``i`` of ``node`` comes from ``parent``; if that is a view of a leaf that
    no node guarded (``leaf_views``), guard the leaf now if ``node`` reads the view,
    or pass the view on if ``node`` is another view that reads nothing."""
    entry = leaf_views.get(id(parent))
    if entry is None or entry[0]() is not parent:
        return
    array = entry[1]
    viewed = out_is_view and views_memory_of(out, array)
    if i not in read:
        if not viewed:
            return                      # the values are not needed: nothing to guard
        if node.op.value_free:
            _note_leaf_view(node, array, out)
            return
    guard, guarded_before = _guard(node, array)
    if guard is not None:
        if node.args[i] is not array:   # (a transform's fresh input is the array itself)
            _guard_view(guard, node.args[i], guarded_before)
        if viewed:
            _guard_view(guard, out, guarded_before)


def _guard(node, array):
    """Hold leaf ``array`` read-only while ``node`` lives (and is not freed); returns
    ``(guard, guarded_before)``, the guard None for an array read-only already."""
    guard = _guards.get(id(array))
    if guard is not None:
        guard.savers.add(_ref(node, guard.on_dead))
        return guard, True
    if not array.flags.writeable and id(array) not in trace_held:
        return None, False              # read-only already (the user's choice): leave it
    guard = _guards[id(array)] = _Guard(array, id(array))
    array.setflags(write=False)
    guard.savers.add(_ref(node, guard.on_dead))
    if leaf_views:                      # views made before: read-only with it
        for _, leaf, view in leaf_views.copy().values():    # (see release_guarded_leaves)
            if leaf is array:
                _guard_view(guard, view, False)
    return guard, False


#: id(node) -> (weak reference to the node, leaf array, output) for each live node of an
#: op that reads no values (``Op.value_free``) whose output views the array of a leaf
#: that requires grad (``w.T``, ``w[0]``, ``w.reshape(...)``).  Such a node does not
#: guard the leaf: the op that saves the view for a rule that reads it does
#: (``guard_leaf_views``), as PyTorch's views share their base's version counter.
leaf_views: dict = {}


def _note_leaf_view(node, array, view) -> None:
    key = id(node)
    leaf_views[key] = (_ref(node, lambda ref: _drop_entry(leaf_views, key, ref)), array, view)


def note_fresh_input(node, source) -> None:
    """Note ``node``, a transform's fresh input on top of ``source`` whose output is
    ``source``'s own array, as a view of the leaf array behind it: the ops that read
    the fresh input then hold that leaf read-only, as they would the leaf itself.

    >>> from autodiff.transforms import transform_input
    >>> w = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> x = transform_input(w); note_fresh_input(x._node, w)
    >>> y = x * x; w.data.flags.writeable
    False
    """
    if source._node is None:
        array = source.data
    else:                               # a fresh input (or a view) of a leaf itself
        entry = leaf_views.get(id(source._node))
        if entry is None or entry[0]() is not source._node:
            return
        array = entry[1]
    if type(array) is np.ndarray:
        with _lock:
            _note_leaf_view(node, array, node.ans)
        hold = getattr(_holding, "current", None)
        if hold is not None:
            hold.arrays[id(array)] = array


_holding = threading.local()            # .current: the innermost running holding_inputs


class holding_inputs:
    """Context manager around a transform's run (its function and its own backward or
    forward passes): the leaf arrays behind its fresh inputs (``note_fresh_input``)
    stay held by the ops that read them until the outermost running transform ends;
    then the holds taken meanwhile are let go (``unguarded_reads``).  ``arrays`` (id ->
    array) is shared by the runs of one transform (``vjp`` and its pullback).

    >>> with holding_inputs(): pass
    """

    __slots__ = ("arrays", "outer", "start")

    def __init__(self, arrays=None):
        self.arrays = {} if arrays is None else arrays

    def __enter__(self):
        self.outer = getattr(_holding, "current", None)
        self.start = next_seq()         # the nodes recorded from here have larger numbers
        _holding.current = self
        return self

    def __exit__(self, *exc):
        _holding.current = self.outer
        if self.outer is not None:      # an outer transform still reads them
            self.outer.arrays.update(self.arrays)
        elif self.arrays:
            _let_go(self.arrays.values(), self.start)
        return False


#: id(array) -> (weak reference to the array, [weak references to nodes]) for each leaf
#: array that nodes recorded by a transform still read after it let go of their holds
#: (``holding_inputs``): a library write into it is stamped (``note_unguarded_write``).
unguarded_reads: dict = {}


def _let_go(arrays, start) -> None:
    """Remove from the guards of ``arrays`` the nodes recorded since ``start`` (a
    ``next_seq`` number), noting them in ``unguarded_reads``.  (Nodes that another
    thread recorded meanwhile on the same parameter count too: nodes do not say which
    thread made them.)"""
    with _lock:
        for array in arrays:
            key = id(array)
            guard = _guards.get(key)
            if guard is None or guard.array is not array:
                continue
            # A snapshot: a saver that dies meanwhile leaves the set (_on_saver_dead).
            recent = [ref for ref in tuple(guard.savers)
                      if getattr(ref(), "_seq", -1) > start]
            if not recent:
                continue
            guard.savers.difference_update(recent)
            _note_unguarded(array, [ref for ref in recent if _is_live(ref())])
            _release_if_unneeded(key, guard)


def _note_unguarded(array, refs) -> None:
    key = id(array)
    entry = unguarded_reads.get(key)
    if entry is None or entry[0]() is not array:
        entry = unguarded_reads[key] = (
            _ref(array, lambda ref: _drop_entry(unguarded_reads, key, ref)), [])
    entry[1][:] = [ref for ref in entry[1] if _is_live(ref())] + refs


def note_unguarded_write(array) -> None:
    """Stamp a library write into the leaf array ``array`` for the reverse pass
    (``overwrites.py``) if nodes that a transform let go of still read it.

    >>> note_unguarded_write(np.zeros(2))
    """
    key = id(array)
    entry = unguarded_reads.get(key)
    if entry is None or entry[0]() is not array:
        return
    if any(_is_live(ref()) for ref in entry[1]):
        from .overwrites import note_write
        note_write(array)
    else:
        _drop_entry(unguarded_reads, key, entry[0])


def _drop_entry(table, key, ref) -> None:
    """Remove ``table[key]`` (``leaf_views``, ``unguarded_reads``) if it is still the
    entry whose weak reference is ``ref`` (a callback of that reference, or stale)."""
    with _lock:
        entry = table.get(key)
        if entry is not None and entry[0] is ref:
            del table[key]


def views_memory_of(out, array) -> bool:
    """Whether ``out`` is a view of ``array``'s memory (``w[0]``, ``w.T``; NumPy gives
    a view of a view the same base).  An op whose output views a parameter saves the
    parameter's values for whatever saves the output, so it is guarded all the same."""
    base = getattr(out, "base", None)
    return base is not None and (base is array or base is array.base)


def inputs_read(op, parents) -> frozenset:
    """The input positions whose values the rules that will run read (a rule that
    reads only ``x.shape``, as indexing's does, needs no guard).  Each op keeps them
    by which inputs need a gradient (``op._inputs_read``)."""
    by_need = op.__dict__.get("_inputs_read")
    if by_need is None:
        by_need = op._inputs_read = {}
    if len(parents) == 2:
        a, b = parents
        need = (a is not None and a.requires_grad, b is not None and b.requires_grad)
    else:
        need = tuple(p is not None and p.requires_grad for p in parents)
    read = by_need.get(need)
    if read is None:
        from .overwrites import read_by
        read = by_need[need] = frozenset(read_by(op, parents)[0])
    return read


def release_guarded_leaves() -> None:
    """Make writable again every guarded array whose saving graphs were all freed."""
    with _lock:
        # A copy made in one C call: list(items()) makes a tuple per entry, which can
        # run the cycle collector, whose freed nodes' callbacks delete entries.
        for key, guard in _guards.copy().items():
            _release_if_unneeded(key, guard)


def _is_live(node) -> bool:
    return node is not None and node.args is not None


def savers_of(array: np.ndarray) -> list[Node]:
    """The live nodes that hold ``array`` read-only, or the array it is a guarded view
    of (for ``explain``).

    >>> savers_of(np.zeros(2))
    []
    """
    guard = _guards.get(id(array))
    if guard is None or guard.array is not array:
        guard = guarded_views.get(id(array))
        if guard is None or not any(v is array for v in guard.views or ()):
            return []
    return [n for n in (r() for r in guard.savers) if n is not None and n.args is not None]
