"""The methods of NumPy's ndarray that make arrays of their Tensor arguments.

``W.dot(t)``, ``idx.choose([t, u])``, ``a.max(initial=t)``: NumPy hands none of these
calls to the Tensor, so it becomes an ndarray and the result leaves the tape.
``tape_drop.py`` names the method and what keeps the Tensor on the tape (most often
the NumPy function of the same name, which NumPy does hand to the Tensor).

>>> w = np.eye(2)
>>> ndarray_method_converting(w, np.ndarray.dot)[:28]
'by ndarray.dot, a method of '
"""

from __future__ import annotations

import linecache
import re

import numpy as np

#: A call of a method on the result of a call: ``np.array(idx).choose([t, u])``.
_CHAINED = re.compile(r"[\w.\s]+\((?:[^()]|\([^()]*\))*\)\s*\.\s*(\w+)\s*\((.*)\)\s*$", re.S)

#: What to write instead of the ndarray method, when not ``np.<name>(a, t, ...)``.
_INSTEAD_OF = {
    "dot": "np.dot(a, t) or a @ t keeps it on the tape",
    "fill": "a Tensor filled with t keeps it: a = np.full_like(t, t, shape=a.shape)",
    "put": "put into a Tensor: a = ad.tensor(a); np.put(a, indices, t)",
    "choose": "np.choose(a, [t, u]) keeps the choices on the tape",
    "max": "np.maximum(a.max(), t) keeps initial= on the tape",
    "min": "np.minimum(a.min(), t) keeps initial= on the tape",
    "sum": "a.sum() + t keeps initial= on the tape",
    "prod": "a.prod() * t keeps initial= on the tape",
}


def ndarray_method_converting(owner, called) -> str | None:
    """How the call ``owner.<method>(...)`` on the user's line converted the Tensor,
    when ``owner`` is an ndarray and ``called`` one of its methods; None otherwise."""
    if not isinstance(owner, np.ndarray) or not callable(called):
        return None
    name = getattr(called, "__name__", None)
    if name is None or getattr(np.ndarray, name, None) is not called:
        return None
    instead = _INSTEAD_OF.get(name)
    if instead is None:
        instead = (f"np.{name}(a, ...) hands the call to the Tensor" if hasattr(np, name)
                   else "write it with NumPy functions called on the Tensor")
    return (f"by ndarray.{name}, a method of an ndarray, which makes ndarrays of its "
            f"arguments without handing the call to the Tensor ({instead})")


def chained_ndarray_method(frame) -> str | None:
    """How the call running in ``frame`` converted the Tensor when that call is an
    ndarray method on an array made in the same expression (``np.array(idx).choose([t,
    u])``, not ``np.array([t, u]).sum()``, where the inner call converts); else None."""
    try:
        lineno, end_lineno, col, end_col = list(frame.f_code.co_positions())[frame.f_lasti // 2]
    except (AttributeError, IndexError, ValueError):
        return None
    if lineno is None or lineno != end_lineno or col is None or end_col is None:
        return None
    running = linecache.getline(frame.f_code.co_filename, lineno)[col:end_col]
    chained = _CHAINED.fullmatch(running.strip())
    if chained is None:
        return None
    return ndarray_method_converting(np.empty(0), getattr(np.ndarray, chained[1], None))
