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

While ``ad.compile`` traces, it holds some arrays read-only too (``trace_held``,
see ``compile/readonly.py``): the guard still guards them, and leaves them read-only
when its graphs are freed; the trace makes them writable when it ends.

A memory note for training loops: ``total += loss`` with a Tensor ``loss`` keeps
every step's graph alive (each sum is a new node that points to the previous one)
and keeps the parameters read-only; accumulate ``loss.item()`` instead.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

from .graph import Node

__all__ = ["guard_leaves", "release_guarded_leaves", "savers_of", "trace_held"]


class _Guard:
    __slots__ = ("array", "savers", "on_dead", "__weakref__")

    def __init__(self, array, key):
        self.array = array
        self.savers = set()         # weak references to the nodes that saved it
        self.on_dead = lambda ref: _on_saver_dead(ref, key)


#: id(array) -> _Guard for every leaf array made read-only by a live graph.
guarded_arrays: dict = {}
_guards = guarded_arrays
_lock = threading.RLock()

#: id(array) -> array for the arrays a running trace holds read-only (empty otherwise).
trace_held: dict = {}


def _writable_again(array) -> None:
    if id(array) not in trace_held:
        array.setflags(write=True)


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
        # O(1) per death: a graph dropped without backward may have thousands of savers.
        # Savers already freed by a backward are swept by release_guarded_leaves.
        guard.savers.discard(ref)
        if not guard.savers:
            del _guards[key]
            _writable_again(guard.array)


_ref = weakref.ref


def guard_leaves(node: Node) -> None:
    """Make the arrays of ``node``'s leaf parents read-only while ``node`` needs them."""
    args = node.args
    i = -1
    arity = node._arity                 # node.parents, inlined (hot path)
    parents = ((node._p0, node._p1) if arity == 2 else (node._p0,) if arity == 1
               else node._parents)
    read = inputs_read(node.op, parents)
    with _lock:
        for parent in parents:
            i += 1
            if parent is None or parent.__class__ is Node or not parent.requires_grad:
                continue
            array = args[i]
            if type(array) is not np.ndarray:
                continue
            if i not in read and not views_memory_of(node.ans, array):
                continue                # no rule reads it, and the output is no view of it
            guard = _guards.get(id(array))
            if guard is None:
                if not array.flags.writeable and id(array) not in trace_held:
                    continue            # read-only already (the user's choice): leave it
                guard = _guards[id(array)] = _Guard(array, id(array))
                array.setflags(write=False)
            guard.savers.add(_ref(node, guard.on_dead))


#: op -> {which inputs need a gradient: the positions read}; weak, as a user's op
#: may close over anything.
_read_cache = weakref.WeakKeyDictionary()


def views_memory_of(out, array) -> bool:
    """Whether ``out`` is a view of ``array``'s memory (``w[0]``, ``w.T``; NumPy gives
    a view of a view the same base).  An op whose output views a parameter saves the
    parameter's values for whatever saves the output, so it is guarded all the same."""
    base = getattr(out, "base", None)
    return base is not None and (base is array or base is array.base)


def inputs_read(op, parents) -> frozenset:
    """The input positions whose values the rules that will run read (a rule that
    reads only ``x.shape``, as indexing's does, needs no guard)."""
    by_need = _read_cache.get(op)
    if by_need is None:
        by_need = _read_cache[op] = {}
    need = tuple(p is not None and p.requires_grad for p in parents)
    read = by_need.get(need)
    if read is None:
        from .overwrites import read_by
        read = by_need[need] = frozenset(read_by(op, parents)[0])
    return read


def release_guarded_leaves() -> None:
    """Make writable again every guarded array whose saving graphs were all freed."""
    # A node can die while this runs (a collection triggered by an allocation here), and
    # its weak reference's callback, _on_saver_dead, then runs on this thread (the lock
    # is reentrant): it may discard from ``guard.savers`` or remove the guard.  So the
    # savers are read from a snapshot, and a guard is removed only if still there.
    with _lock:
        for key, guard in list(_guards.items()):
            savers = tuple(guard.savers)
            for ref in savers:
                if _is_live(ref()):
                    break
            else:                       # every saver freed (the usual case after backward)
                if _guards.get(key) is guard:
                    del _guards[key]
                    _writable_again(guard.array)
                continue
            guard.savers = {r for r in savers if _is_live(r())}


def _is_live(node) -> bool:
    return node is not None and node.args is not None


def savers_of(array: np.ndarray) -> list[Node]:
    """The live nodes that hold ``array`` read-only (for ``explain``)."""
    guard = _guards.get(id(array))
    if guard is None or guard.array is not array:
        return []
    return [n for n in (r() for r in guard.savers) if n is not None and n.args is not None]
