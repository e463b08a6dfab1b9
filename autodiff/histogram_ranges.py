"""A Tensor in ``range=`` of ``np.histogram``, ``np.histogram2d`` or ``np.histogramdd``
whose data is an ndarray.

NumPy hands these functions to a Tensor only when the data, the bins or the weights
hold one; otherwise NumPy's own code runs with the Tensor in ``range`` and fails on
some line inside (an in-place ``keep &= a <= hi`` into an ndarray, a reshape), with a
message about that line.  The failure is explained here instead: the edges can carry
the gradient when they are given as ``bins``.
"""

from __future__ import annotations

import sys

from .tape_drop import _NUMPY_DIR, absolute
from .tensor import Tensor

_HISTOGRAMS = ("histogram", "histogram2d", "histogramdd")


def _holds_a_tensor(value) -> bool:
    if isinstance(value, Tensor):
        return True
    return isinstance(value, (tuple, list)) and any(_holds_a_tensor(v) for v in value)


def histogram_range_refusal() -> TypeError | None:
    """The error for a Tensor in the ``range`` of a NumPy histogram running on the
    stack (the outermost one, ``histogram2d`` rather than the ``histogramdd`` it
    calls), or None when there is none."""
    frame, found = sys._getframe(1), None
    while frame is not None:
        name = frame.f_code.co_name
        if (name in _HISTOGRAMS and absolute(frame.f_code.co_filename).startswith(_NUMPY_DIR)
                and _holds_a_tensor(frame.f_locals.get("range"))):
            found = name
        frame = frame.f_back
    if found is None:
        return None
    edges = ("bins=np.linspace(lo, hi, n + 1)" if found == "histogram"
             else "bins=[np.linspace(lo, hi, n + 1), ...] (one per axis)")
    return TypeError(
        f"np.{found} with a Tensor in range= and its data an ndarray: NumPy hands "
        f"np.{found} to a Tensor only when the data, bins or weights hold one, and its "
        f"own code cannot read a Tensor in range. Give the bin edges instead, {edges} "
        "or np.histogram_bin_edges(a, n, range=(lo, hi)), which keep their gradient "
        "(the counts have none), or plain numbers in range (float(hi)) when no "
        "gradient is needed")
