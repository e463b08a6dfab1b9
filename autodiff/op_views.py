"""Tensors that an op made as a view of its input's memory (``h.T``, ``h.reshape(-1)``,
``np.ravel(h)``, ``np.diagonal(h)``), other than basic indexing (``h[0]``, the pieces of
``ad.split``), whose views ``inplace.py`` follows.

A recorded in-place update gives a tensor a new array (``inplace.py``).  The views
that lay out a tensor anew (``h.T``, ``h.reshape(-1)``) are followed: ``note`` gives
them a pending link up to ``h`` (``layout_views.py``), and until a write settles it
they are found from ``h`` here, by its memory.  A view made by another op would go on
showing the old array, where NumPy's and PyTorch's views show the update; and a
recorded update of such a view would not reach the tensor it views, where PyTorch's
would.  Both would be silently different, so ``inplace.py`` refuses them, naming the
op, with what this module remembers:

* ``views_of_memory``: the live views made by ops that share a tensor's memory;
* ``viewed_tensor``: for a view made by an op, a live tensor whose memory it shows
  (the op's input, or what that input viewed in turn: ``h.reshape(-1).T``).

Everything is held by weak references: a view nobody holds is forgotten with it, and
a view of a temporary (``(a @ b).reshape(-1)``, whose input is gone) is free to update.

>>> h = ad.tensor(np.zeros((2, 3)))
>>> flat = h.reshape(-1)
>>> viewed_tensor(flat) is h, [v is flat for v, _ in views_of_memory(h.data)]
(True, [True])
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

from .layout_views import LAYOUT_OPS

_nd = np.ndarray

# id(view tensor) -> (weak reference to it, op name, weak references to the tensors
# whose memory it shows); id(memory owner) -> {id(view tensor), ...}
_entries: dict = {}
_by_owner: dict = {}
# Reentrant: a weak reference's callback (``forget``) may run in this thread while it
# holds the lock, when the cycle collector frees a view during an allocation.
_lock = threading.RLock()


def note(view, op_name: str, inputs) -> None:
    """Remember ``view``, the output tensor of op ``op_name``, when its array views the
    memory of one of ``inputs`` (the op's arguments, tensors among them)."""
    array = view.data
    owner = array.base
    if owner is None or op_name == "getitem":        # (basic indexing: inplace.py)
        return
    bases = []
    for a in inputs:
        data = getattr(a, "data", None)
        if data.__class__ is _nd and (owner is data or owner is data.base):
            bases.append(weakref.ref(a))
            entry = _entries.get(id(a))
            if entry is not None and entry[0]() is a:
                bases += entry[2]               # what that input viewed in turn
            if a is inputs[0] and op_name in LAYOUT_OPS:
                # Followed too, as a view of its input (layout_views.py): the link up,
                # pending; what it needs (its Layout, the link down) is worked out when
                # a write needs it, from the arrays as they are now.
                view._view_link = (a, op_name, data, array, inputs)
    if not bases:
        return
    key, vid = id(owner), id(view)

    def forget(ref, key=key, vid=vid):
        with _lock:
            entry = _entries.get(vid)
            if entry is not None and entry[0] is ref:
                del _entries[vid]
                ids = _by_owner.get(key)
                if ids is not None:
                    ids.discard(vid)
                    if not ids:
                        del _by_owner[key]

    with _lock:
        _entries[vid] = (weakref.ref(view, forget), op_name, tuple(bases))
        _by_owner.setdefault(key, set()).add(vid)


def viewed_tensor(t):
    """A live tensor whose memory ``t`` (made by an op as a view) still shows, or None;
    ``view_op(t)`` names the op."""
    entry = _entries.get(id(t))
    if entry is None or entry[0]() is not t:
        return None
    for ref in entry[2]:
        base = ref()
        if base is not None and np.may_share_memory(base.data, t.data):
            return base
    return None


def view_op(t) -> str | None:
    """The name of the op that made ``t`` as a view, if it did."""
    entry = _entries.get(id(t))
    return entry[1] if entry is not None and entry[0]() is t else None


def views_of_memory(array) -> list:
    """``(view, op name)`` for the live tensors made by ops as views that may share
    memory with ``array``."""
    owner = array if array.base is None else array.base
    with _lock:
        ids = tuple(_by_owner.get(id(owner), ()))     # (a callback frees nothing here)
        entries = [_entries.get(vid) for vid in ids]
    found = []
    for entry in entries:
        if entry is None:
            continue
        view = entry[0]()
        if view is not None and np.may_share_memory(view.data, array):
            found.append((view, entry[1]))
    return found
