"""Numba kernel for LU with partial pivoting (loaded with ``jit``, lazily).

``getrf_panel`` factors columns ``start:stop`` of each matrix of a (b, m, n) batch in
place with the steps of its twin in ``numpy_twins_linalg`` (the same pivots, the same
operations on each entry in the same order, so the same bits): per column, the pivot
search, one row swap, the column divided by the pivot, then the rank-one update of the
panel's columns below, row by row along contiguous memory; then the panel's rows right
of it, by forward substitution.  No fastmath: a fused multiply-add
would change the update's rounding.
"""

from __future__ import annotations

from . import jit as _jit


def _register(fn):
    setattr(_jit, fn.__name__, _jit._kernel(nogil=True)(fn))


def _getrf_panel_loop(x, pivots, start, stop):
    # x: (b, m, n) C-contiguous, factored in place; pivots: (b, min(m, n)) int32.
    batch, m, n = x.shape
    for b in range(batch):
        a = x[b]
        for j in range(start, stop):
            p = j
            best = abs(a[j, j])
            if best == best:                      # a NaN pivot stays (np.argmax's choice)
                for i in range(j + 1, m):
                    value = abs(a[i, j])
                    if value != value:
                        p = i
                        break
                    if value > best:
                        p = i
                        best = value
            pivots[b, j] = p + 1
            if p != j:
                for c in range(n):
                    held = a[j, c]
                    a[j, c] = a[p, c]
                    a[p, c] = held
            pivot = a[j, j]
            if pivot != 0:
                for i in range(j + 1, m):
                    a[i, j] = a[i, j] / pivot
            top = a[j]
            for i in range(j + 1, m):
                row = a[i]
                factor = row[j]
                for c in range(j + 1, stop):
                    row[c] -= factor * top[c]
        # the panel's rows right of it, once its swaps are all done: U12 = L11^-1 A12
        for j in range(start, stop):
            top = a[j]
            for i in range(j + 1, stop):
                row = a[i]
                factor = row[j]
                for c in range(stop, n):
                    row[c] -= factor * top[c]


_register(_getrf_panel_loop)


def getrf_panel(x, pivots, start, stop):
    """Columns ``start:stop`` of ``getrf`` on ``x`` (b, m, n) in place (see the twin)."""
    _jit._getrf_panel_loop(x, pivots, start, stop)
