"""One element picked by integers, ``e = h[1, 2]``: a copy, as NumPy's scalar, whose
PyTorch in-place methods also write into ``h``, as PyTorch's 0-d view would.

NumPy code relies on the copy: ``tmp = h[0, 1]; h[0, 1] = h[1, 0]; h[1, 0] = tmp``
swaps, and ``s = h[0, 0]; s += h[1, 1]`` leaves ``h`` alone.  PyTorch code writes
``h[1, 2].add_(1)`` or ``h[1][2].fill_(0)`` to change ``h``; those methods do not exist
on NumPy's scalars, so here they write the element's new value back into ``h``
(recorded or not, with ``inplace.set_item``'s rules).  The augmented operators keep
NumPy's meaning and update the copy only.  What differs from PyTorch: the copy does
not follow later writes into ``h``, and a hook registered on it before such a method
also sees the gradient that reaches ``h`` through the write (the element is a tensor
of its own, as a non-view is in PyTorch).
"""

from __future__ import annotations

import numpy as np

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
    a copy (``view_table._viewed`` gives None for it)."""
    element._view_link = (base, key, None)


def write_back(t, where: str) -> None:
    """After the in-place method ``where`` wrote ``t``: when ``t`` is an element copy,
    write its new value into the tensor it was picked from (the augmented operators,
    NumPy's, do not)."""
    link = getattr(t, "_view_link", None)
    if link is None or len(link) != 3 or where in _OPERATORS:
        return
    from .inplace import set_item
    set_item(link[0], link[1], t, where)
