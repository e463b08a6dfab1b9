"""Keeping the tape out of Python's cycle collector.

CPython's cycle collector visits every object it tracks, and a graph that grows by
one node per op keeps triggering collections: each young collection looks at the
newest nodes, and each full one at every node of every live graph.  On a chain of
100,000 scalar ops that was a third of the time.  Yet the collector has nothing to
find in a tape: a node points only to its inputs (older nodes and leaves), to arrays
and to numbers, so no cycle can pass through it.  Reference counting frees a graph
by itself.

So the one- and two-input call paths of ``ops/registry.py`` note in each node
whether that is provably so, as its depth (``node._depth``; negative when not):

- the op is one of the library's (a user's ``defop`` may close over anything, and
  every node points to its op) and keeps no ``saved`` state;
- every input is a node of depth >= 0, a plain ``Tensor`` leaf (a ``Parameter`` has
  a ``__dict__`` and could point anywhere), or a constant of a type in ``ATOMIC``
  (an array, a number, a string; not a list or a dict).

By induction nothing reachable from such a node can lead back to it, so the
collector may stop tracking it (``untrack_address``, CPython's ``PyObject_GC_UnTrack``).
That call costs a fifth of recording a small op (ctypes), and a short graph dies
before the collector looks at it twice, so only nodes deeper than ``UNTRACK_DEPTH``
are untracked: those of the graphs that grow long enough to cost.

A leaf (or a hooked node) can come to point into a graph that holds it, and
``track_graphs`` then hands that graph back to the collector:

- a recorded in-place update gives the tensor a node (``inplace._adopt``; nodes made
  while it was a leaf hold the tensor itself);
- a gradient hook on an intermediate (``hooks.py``, kept in its node) may close over
  anything, the tensor itself or what is made from it later;
- ``backward(create_graph=True)`` stores a gradient with its own graph in
  ``leaf.grad`` (the reference cycle PyTorch warns about too), and ``ad.grad``, the
  forward-mode transforms and the others return such gradients, which the caller may
  store there.

A leaf's name is kept as a plain ``str`` (a subclass could point anywhere).  A leaf
made by basic indexing points to the tensor it views (``view_table.py``), which the
cases above and below cover in turn.  Not seen: a Tensor assigned by hand to
``.data`` (which warns that it leaves the tape), a Tensor other than a gradient
assigned to ``.grad``, an object other than a bool assigned to ``.requires_grad``,
a graph stored in an attribute of a ``Parameter`` (or other subclass) that a plain
view of it feeds (``v = p[0]`` under ``no_grad``), or a hook on a leaf that closes
over a deep graph made from that leaf.  A cycle made that way
through deep nodes lives until the process ends.  (Copying an op returns the op
itself, like copying a function.)

Elsewhere than CPython (no ``ctypes.pythonapi``) nothing is untracked.
"""

from __future__ import annotations

import ctypes
import gc
import sys
import threading

import numpy as np

is_tracked = gc.is_tracked

#: Nodes deeper than this (the longest chain of ops back to a leaf) leave the collector.
UNTRACK_DEPTH = 500

#: Argument types that cannot point to anything: numbers, strings, None, and arrays
#: (NumPy's arrays are invisible to the collector anyway).  Not ``is_tracked``: an
#: empty or all-numbers dict is untracked until something else is put in it.
ATOMIC = frozenset({
    bool, int, float, complex, str, type(None), np.ndarray, np.bool_,
    np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
    np.float16, np.float32, np.float64, np.longdouble,
    np.complex64, np.complex128, np.clongdouble})


def _c_function(name):
    # Called with the object's address, ``id(obj)`` (CPython): a ``c_void_p``
    # argument costs ctypes about half of what converting a ``py_object`` does.
    try:
        return ctypes.PYFUNCTYPE(None, ctypes.c_void_p)((name, ctypes.pythonapi))
    except AttributeError:
        return None


#: ``untrack_address(id(obj))``: the collector stops visiting ``obj``, which the
#: caller holds (None where unavailable).
untrack_address = _c_function("PyObject_GC_UnTrack")
_track_address = _c_function("PyObject_GC_Track")


_WALKED = -2                 # node._depth of a node that track_graphs went through
_lock = threading.Lock()     # is_tracked-then-track must not interleave across threads


_OP_MAKERS = ("autodiff.ops.registry", "autodiff.ops.define")


def defined_by_the_library() -> bool:
    """True when the op being made (by ``ops/define.py`` and ``ops/registry.py``) is
    defined in this package rather than in a user's module."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") in _OP_MAKERS:
        frame = frame.f_back
    return frame is not None and frame.f_globals.get("__name__", "").startswith("autodiff.")


def track_graphs(tensors) -> None:
    """Have the collector track again every node reachable from ``tensors``' nodes
    (anything else in ``tensors``, such as an array or None, is skipped).

    >>> import autodiff as ad
    >>> x = ad.tensor(2.0, requires_grad=True)
    >>> y = x
    >>> for _ in range(UNTRACK_DEPTH + 10):
    ...     y = ad.sin(y)
    >>> y.backward(create_graph=True)
    >>> is_tracked(x.grad.node)      # the gradient's graph points back to x
    True
    """
    from .graph import Node
    stack = [t._node for t in tensors if getattr(t, "_node", None) is not None]
    while stack:
        node = stack.pop()
        if node._depth == _WALKED:
            continue                    # it and all it comes from are tracked already
        node._depth = _WALKED           # (< 0: what is made from it stays tracked too)
        if _track_address is not None:
            with _lock:
                if not is_tracked(node):
                    _track_address(id(node))
        for parent in node.parents:
            if parent.__class__ is Node:
                stack.append(parent)
