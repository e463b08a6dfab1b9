"""One element picked by integers, ``e = h[1, 2]``: a copy, as NumPy's scalar, whose
PyTorch in-place methods also write into ``h``, as PyTorch's 0-d view would.

NumPy code relies on the copy: ``tmp = h[0, 1]; h[0, 1] = h[1, 0]; h[1, 0] = tmp``
swaps, and ``s = h[0, 0]; s += h[1, 1]`` leaves ``h`` alone.  PyTorch code writes
``h[1, 2].add_(1)`` or ``h[1][2].fill_(0)`` to change ``h``; those methods do not exist
on NumPy's scalars, so here they write the element's new value back into ``h``
(recorded or not, with ``inplace.set_item``'s rules), and so do the in-place methods
of a view of the element (``h[1, 2][...].mul_(2)``).  The augmented operators keep
NumPy's meaning and update the copy only.  What differs from PyTorch: the copy does
not follow later writes into ``h`` (though an in-place method on it takes ``h``'s
current value first, unless an augmented operator made the copy its own).
"""

from __future__ import annotations

import numpy as np

from . import complex_part_writes as _complex_parts
from . import graph as _graph
from . import hooks as _hooks
from .graph import _grad_mode
from .overwrites import _written_after
from .view_table import _views_up

#: The ``where`` names of the augmented operators (``inplace.update``'s callers).
_OPERATORS = frozenset({"+=", "-=", "*=", "/=", "**=", "//=", "%=", "@=", "&=", "|=",
                        "^="})


def picks_one_element(key, ndim: int) -> bool:
    """Whether ``key`` is one integer per axis of an ``ndim``-d array (NumPy's scalar
    read).

    >>> picks_one_element((1, 2), 2), picks_one_element((1, ...), 2)
    (True, False)
    """
    parts = key if type(key) is tuple else (key,)
    if len(parts) != ndim:
        return False
    for p in parts:
        if p.__class__ is not int and not isinstance(p, np.integer):
            return False            # (a bool is not an int here: a mask)
    return True


def note_element(element, base, key) -> None:
    """Remember that ``element`` was read from ``base[key]`` (one element): in its
    ``_view_link`` slot, as a view holds its base, with a third entry that says it is
    a copy (``view_table._viewed`` gives None for it): ``[whether an augmented operator
    changed it since, base's array and the write stamp (overwrites.py) when they last
    agreed]``."""
    element._view_link = (base, key, [False, base.data, _graph.write_epoch])


def _element_written(t):
    """``(element, its link)`` for the element copy that a write into ``t`` changes
    (``t`` itself, or a tensor ``t`` views), or None."""
    link = getattr(t, "_view_link", None)
    if link is None:                    # (neither an element nor a view: the common case)
        return None
    if len(link) == 3:
        return t, link
    for _, (base, _) in _views_up(t):
        link = getattr(base, "_view_link", None)
        if link is not None and len(link) == 3:
            return base, link
    return None


def before_write(t, where: str) -> None:
    """Before the in-place update ``where`` writes ``t``, when ``t`` is an element copy
    or a view of one:

    - in grad mode, raise when the write-back would go into a leaf that requires grad,
      as PyTorch refuses an in-place update of a view of one (``w[0, 1].add_(1)``),
      before anything changed;
    - when ``t`` is an element that only in-place methods changed and its tensor has
      changed at that place since it was read (``e = h[2]; h.mul_(2); e.add_(1)``),
      ``t`` takes the tensor's current value first, as PyTorch's view shows it, so
      the method works on it (``h[2]`` becomes ``2 h[2] + 1``, not ``h[2] + 1``);
    - an augmented operator (NumPy's meaning, the copy alone) marks ``t`` as its own.

    (A write into a complex tensor's part is checked first: complex_part_writes.py.)
    """
    if _complex_parts.taken:
        _complex_parts.before_part_write(t, where)
    if where in _OPERATORS:
        link = getattr(t, "_view_link", None)
        if link is not None and len(link) == 3:
            link[2][0] = True
        return
    found = _element_written(t)
    if found is None:
        return
    if _grad_mode.enabled:
        _refuse_leaf_origin(found, where)
    _refresh(t, found)


def refresh_element(t) -> None:
    """Before an in-place method computes ``t``'s new value from ``t`` (``exp_``,
    ``masked_fill_``: ``before_write`` runs only when it stores it): when ``t`` is an
    element whose tensor changed there since it was read, or whose node has a hook,
    ``t`` takes the tensor's current value first (``before_write``)."""
    found = _element_written(t)
    if found is not None:
        _refresh(t, found)


def _refresh(t, found) -> None:
    element, (base, key, state) = found
    diverged, array, stamp = state
    if element is t and not diverged and t.data.shape == () and (
            _changed_since(base, key, array, stamp) or _hooked(t)):
        # (taken again, a hook on the element sees only the gradient of its uses from
        # before the update, as PyTorch's CopySlices bypasses the view's old grad_fn)
        from .inplace import _take
        from .ops.indexing import getitem
        _take(t, getitem(base, key))
        state[1:] = base.data, _graph.write_epoch


def _changed_since(base, key, array, stamp) -> bool:
    """Whether ``base[key]`` may have changed since ``base`` held ``array`` at write
    stamp ``stamp``: a recorded update gave it another array (``h.mul_(1)`` too, for the
    gradient), or a write that records nothing reached those bytes.  Decided by the
    writes, not the values, so that a compiled step decides it as every call would."""
    if base.data is not array:
        return True
    if _graph.write_epoch == stamp:
        return False
    parts = key if type(key) is tuple else (key,)
    return _written_after(base.data[parts + (Ellipsis,)], stamp)


def _hooked(t) -> bool:
    """Whether a hook was registered on the node that made ``t`` (in grad mode)."""
    return bool(_hooks.registered and t._node is not None and _grad_mode.enabled
                and _hooks.registered.get(t._node))


def _refuse_leaf_origin(found, where: str) -> None:
    while found is not None:            # elements of elements: up to the first tensor
        origin = found[1][0]
        for tensor in [origin] + [base for _, (base, _) in _views_up(origin)]:
            if tensor.requires_grad and tensor._node is None:
                from .inplace_refusals import _label
                raise RuntimeError(
                    f"{where}: this tensor is one element of tensor {_label(tensor)}, a "
                    "leaf that requires grad; its in-place methods write into that "
                    "tensor, as a PyTorch view of it would, and in grad mode that update "
                    "would not be part of any gradient. Wrap the update in `with "
                    "ad.no_grad():`, or build a new value (e = e + x) instead.")
        found = _element_written(origin)


def write_back(t, where: str) -> None:
    """After the in-place method ``where`` wrote ``t``: when ``t`` is an element copy,
    or a view of one, write the element's new value into the tensor it was picked
    from (the augmented operators, NumPy's, do not)."""
    if _complex_parts.taken:        # (a complex tensor's part: written back always)
        _complex_parts.after_part_write(t, where)
    if where in _OPERATORS:
        return
    # ``t`` itself, or a tensor it views: ``h[1, 2][...].mul_(2)`` or
    # ``h[1, 2].view(1).add_(1)`` wrote the element through a view of it.
    found = _element_written(t)
    if found is not None:
        from .inplace import set_item   # (inplace imports this module)
        element, (base, key, state) = found
        set_item(base, key, element, where)     # (which writes ``base`` back in turn)
        state[1:] = base.data, _graph.write_epoch
