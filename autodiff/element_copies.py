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

import weakref

import numpy as np

#: id(element) -> (weak references to it and to the tensor it was picked from, the
#: key).  Weak both ways, so that the table keeps nothing alive; dead entries are
#: dropped each time the table doubles (a callback per element would cost more than
#: the read it follows).
_elements: dict = {}
_prune_at = [1024]

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
    """Remember that ``element`` was read from ``base[key]`` (one element)."""
    _elements[id(element)] = (weakref.ref(element), weakref.ref(base), key)
    if len(_elements) >= _prune_at[0]:
        for element_id, entry in list(_elements.items()):
            if entry[0]() is None:
                del _elements[element_id]
        _prune_at[0] = max(1024, 2 * len(_elements))


def write_back(t, where: str) -> None:
    """After the in-place method ``where`` wrote ``t``: when ``t`` is an element copy,
    write its new value into the tensor it was picked from (the augmented operators,
    NumPy's, do not)."""
    entry = _elements.get(id(t))
    if entry is None or entry[0]() is not t or where in _OPERATORS:
        return
    base = entry[1]()
    if base is not None:                # (else nothing can see the write)
        from .inplace import set_item
        set_item(base, entry[2], t, where)
