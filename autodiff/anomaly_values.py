"""How detect_anomaly's messages show values: a few entries, the statistics of an
array (shape, finite range, counts of NaN and inf), the entries at a mask.

>>> _fmt(np.array([1.0, np.nan, 3.0, 4.0, 5.0]))
'[1, nan, 3, 4, ... (5 in all)]'
"""

from __future__ import annotations

import numpy as np


def _raw(value):
    return value.data if hasattr(value, "data") and hasattr(value, "_node") else value


def _fmt(values, limit=4):
    values = np.asarray(values).ravel()
    shown = ", ".join(f"{v:.6g}" if np.isrealobj(v) else str(v) for v in values[:limit])
    more = f", ... ({values.size} in all)" if values.size > limit else ""
    return f"[{shown}{more}]"


def _stats(value):
    a = np.asarray(value)
    if a.size == 0:
        return f"empty, shape {a.shape}"
    if a.dtype.kind not in "fc":
        return f"shape {a.shape}, {a.dtype}"
    finite = a[np.isfinite(a)]
    parts = [f"shape {a.shape}"]
    if finite.size:
        parts.append(f"finite range [{finite.min():.6g}, {finite.max():.6g}]")
    n_nan = int(np.isnan(a).sum())
    n_inf = int(np.isinf(a).sum())
    if n_nan:
        parts.append(f"{n_nan} NaN")
    if n_inf:
        parts.append(f"{n_inf} inf")
    return ", ".join(parts)


def _at(value, mask):
    """The entries of ``value`` at ``mask`` (broadcasting value), or its statistics."""
    a = np.asarray(value)
    if a.dtype.kind not in "fcbiu":
        return None
    try:
        return _fmt(np.broadcast_to(a, mask.shape)[mask])
    except ValueError:
        return "(" + _stats(a) + ")"


def _holds_at(value, mask, test) -> bool:
    """Whether ``value`` (broadcast to ``mask``'s shape) holds an entry passing ``test``
    (``np.isnan``, ``np.isinf``) at ``mask``; anywhere, when its shape does not broadcast
    there (a matmul's input: every entry of it meets every entry of the gradient)."""
    a = np.asarray(value)
    if a.dtype.kind not in "fc":
        return False
    try:
        return bool(test(np.broadcast_to(a, mask.shape)[mask]).any())
    except ValueError:
        return bool(test(a).any())


def _index_text(mask):
    first = tuple(int(i) for i in np.argwhere(mask)[0]) if mask.ndim else ()
    return f"{int(mask.sum())} of {mask.size} entries, first at index {first}"
