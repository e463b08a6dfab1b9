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

#: id(element) -> (weak reference to it, the tensor it was picked from, the key).  The
#: tensor is held as a view holds its base (``h[0][1].fill_(4)`` writes through the
#: row, a temporary); the entry goes when the element does.
_elements: dict = {}


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
    element_id = id(element)
    _elements[element_id] = (weakref.ref(element, lambda ref: _forget(element_id, ref)),
                             base, key)


def _forget(element_id, ref) -> None:
    entry = _elements.get(element_id)
    if entry is not None and entry[0] is ref:
        del _elements[element_id]


def write_back(t, where: str) -> None:
    """After the in-place method ``where`` wrote ``t``: when ``t`` is an element copy,
    write its new value into the tensor it was picked from (the augmented operators,
    NumPy's, do not)."""
    entry = _elements.get(id(t))
    if entry is None or entry[0]() is not t or where in _OPERATORS:
        return
    from .inplace import set_item
    set_item(entry[1], entry[2], t, where)
