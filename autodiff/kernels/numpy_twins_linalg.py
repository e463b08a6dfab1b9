"""Pure-NumPy versions of the linear-algebra kernels (``jit_linalg``'s reference)."""

from __future__ import annotations

import numpy as np


def getrf_panel(x: np.ndarray, pivots: np.ndarray, start: int, stop: int) -> None:
    """Columns ``start:stop`` of LAPACK's ``getrf`` on each matrix of ``x`` (b, m, n),
    in place, one column at a time on the whole batch: the pivot (the first entry of
    largest magnitude in its column, a NaN before any number, as ``np.argmax``) swapped
    into place along the whole row, its 1-based row in ``pivots`` (b, min(m, n)), the
    column below it divided by it (a zero pivot leaves the column as it is), and the
    rank-one update of the panel's columns; then the panel's rows right of it, by
    forward substitution with the panel's unit L.  The rows and
    columns from ``stop`` on are left for one matrix product (``kernels.getrf``).

    >>> x = np.array([[[1.0, 2.0], [3.0, 4.0]]]); pivots = np.empty((1, 2), np.int32)
    >>> getrf_panel(x, pivots, 0, 2); x[0], pivots[0]
    (array([[3.        , 4.        ],
           [0.33333333, 0.66666667]]), array([2, 2], dtype=int32))
    """
    rows = np.arange(x.shape[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(start, stop):
            p = j + np.argmax(np.abs(x[:, j:, j]), axis=-1)
            pivots[:, j] = p + 1
            row_j = x[rows, j].copy()
            x[rows, j] = x[rows, p]
            x[rows, p] = row_j
            pivot = x[:, j, j]
            below = x[:, j + 1:, j]
            x[:, j + 1:, j] = np.where((pivot != 0)[:, None], below / pivot[:, None], below)
            x[:, j + 1:, j + 1:stop] -= x[:, j + 1:, j, None] * x[:, j, None, j + 1:stop]
        for j in range(start, stop):        # then U12 = L11^-1 A12, after all the swaps
            x[:, j + 1:stop, stop:] -= x[:, j + 1:stop, j, None] * x[:, j, None, stop:]
