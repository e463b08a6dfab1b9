"""Which tensors view which: the links that basic indexing makes (``row = out[0]``),
and layout ops (``out.T``, ``layout_views.py``), so that in-place updates of either
reach the other (``inplace.py``).

- Up: a view holds ``(base, key)`` in its ``_view_link`` slot (unset on other
  tensors), as a PyTorch view holds its ``._base``: the base lives as long as its
  views, and a cycle through a view (``x.grad = x[:]``) is the collector's to find.
- Down: ``_views_of``: id(tensor) -> (weak reference to it, {bucket: [weak references
  to its views]}), where a view taken with a key that starts with an integer
  (``out[t]``, ``out[t, j]``) is in bucket ``t`` and the others in bucket None: writing
  ``out[t]`` then looks at bucket ``t`` and bucket None only.  Weak, so the table
  keeps nothing alive.
- Pending: a view made by a layout op holds ``(base, op name, base's array, its
  array, the op's inputs)`` until a write needs its links (``_settle``): making
  ``h.T`` then costs one tuple; until settled it is found from ``h`` by their shared
  memory (``op_views.views_of_memory``), which ``h`` keeps until a write settles it.
- One element picked by integers is a copy that holds ``(base, key, None)``, no view
  (``element_copies.py``).
"""

from __future__ import annotations

import threading
import weakref

from .layout_views import match
from .op_views import _by_owner as _op_views_by_owner
from .op_views import views_of_memory

_views_of: dict = {}

#: The written part of a recorded update that wrote the whole tensor.
_ALL = None


def _forget(table, key, ref):
    entry = table.get(key)
    if entry is not None and entry[0] is ref:
        del table[key]


def _viewed(t):
    """``(base, key)`` when ``t`` was made by ``base[key]`` (basic indexing) or laid out
    from ``base`` as ``key``, a ``Layout``, says (``layout_views.py``), else None."""
    try:
        link = t._view_link
    except AttributeError:              # unset: not a view (or not a Tensor)
        return None
    if len(link) == 2:
        return link
    return None if len(link) == 3 else _settle(t)     # (3: an element copy's link)


def _settle(view):
    """Work out the ``Layout`` of ``view``, a view made by a layout op whose link is
    still pending (``(base, op name, base's array, view's array, op inputs)``, as
    ``op_views.note`` left it), and link it both ways; unlink it when the op did not
    lay out ``base``'s elements anew in the same memory.  Returns its link, or None."""
    with _tables_lock:
        link = getattr(view, "_view_link", None)
        if link is None or len(link) == 2:         # (another thread settled it)
            return link
        if len(link) == 3:                         # (an element copy: not a view)
            return None
        base, op_name, base_array, view_array, inputs = link
        layout = None
        if base_array.dtype == view_array.dtype:
            layout = match(op_name, base_array, view_array, inputs[1:])
        if layout is None:
            del view._view_link
            return None
        _link_unlocked(view, base, layout)
        return view._view_link


def settle_views_of(owner) -> None:
    """Link down (into ``_views_of``) the views laid out from ``owner`` whose links are
    still pending: before ``owner``'s views are looked up, or it takes another array
    (they are found by its memory, which they share until then)."""
    array = owner.data
    if id(array if array.base is None else array.base) not in _op_views_by_owner:
        return                              # (no view made by an op shows its memory)
    for view, _ in views_of_memory(array):
        link = getattr(view, "_view_link", None)
        if link is not None and len(link) == 5 and link[0] is owner:
            _settle(view)


def in_an_indexing_view(t, besides=None) -> bool:
    """Whether ``t`` was made by basic indexing (or a layout op, ``layout_views.py``) of
    a live tensor, or has live views made that way other than ``besides``: a new shape
    of ``t`` (``resize_``, ``squeeze_``) would not reach them."""
    if _viewed(t) is not None:
        return True
    settle_views_of(t)
    entry = _views_of.get(id(t))
    return entry is not None and entry[0]() is t and any(
        ref() is not None and ref() is not besides
        for refs in entry[1].values() for ref in refs)


#: Held while ``_link`` changes the tables: threads indexing one tensor at once pruned
#: the same bucket twice (KeyError), and a pruning could drop a view another thread
#: had just added.
_tables_lock = threading.Lock()


def _link(view, base, key) -> None:
    with _tables_lock:
        _link_unlocked(view, base, key)


def _link_unlocked(view, base, key) -> None:
    view._view_link = (base, key)
    entry = _views_of.get(id(base))
    if entry is None or entry[0]() is not base:
        entry = _views_of[id(base)] = (
            weakref.ref(base, lambda ref, k=id(base): _forget(_views_of, k, ref)), {})
    buckets = entry[1]
    bucket = _bucket(key, base.shape)
    views = buckets.get(bucket)
    if views is None:
        if len(buckets) >= 16 and len(buckets) & (len(buckets) - 1) == 0:
            _drop_dead_buckets(buckets)     # (one bucket per row index: out[t], t < n)
        views = buckets[bucket] = []
    if len(views) >= 16 and len(views) & (len(views) - 1) == 0:
        views[:] = [ref for ref in views if ref() is not None]     # amortized pruning
    views.append(weakref.ref(view))


def _drop_dead_buckets(buckets) -> None:
    for bucket, refs in list(buckets.items()):
        live = [ref for ref in refs if ref() is not None]
        if live:
            refs[:] = live
        else:
            del buckets[bucket]


def _bucket(key, shape):
    """The bucket of a view taken with ``key`` from a tensor of ``shape``: its row for
    one integer (``out[-1]`` is row n - 1, as ``out[n - 1]``), None for any other key."""
    if type(key) is not int:
        return None
    return key + shape[0] if key < 0 and shape else key


def _views_in(entry, part, shape) -> list:
    """The live views of a ``_views_of`` entry (of a tensor of ``shape``) that a write
    of ``part`` may overlap."""
    buckets = entry[1]
    row = None if part is _ALL else _bucket(part, shape)
    if row is None:
        refs = [ref for bucket in list(buckets.values()) for ref in list(bucket)]
    else:
        refs = list(buckets.get(row, ())) + list(buckets.get(None, ()))
    return [v for v in (ref() for ref in refs) if v is not None]


def _views_up(t) -> list:
    """The ``(view, (base, key))`` links from ``t`` up to the tensor owning the memory."""
    chain = []
    view = _viewed(t)
    while view is not None:
        chain.append((t, view))
        t = view[0]
        view = _viewed(t)
    return chain


def note_view(view, base, key) -> None:
    """Remember that ``view`` (made by ``base[key]``) shares ``base``'s memory, so that
    in-place updates of either reach the other (see the module docstring)."""
    _link(view, base, key)
