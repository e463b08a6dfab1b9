"""Comparing compiled (fused) results with eager ones: equal up to a few ulp.

A fused loop computes exp, tanh, sin ... with other functions than NumPy's (a few
ulp apart), so its results differ from eager ones by a few ulp of the values they
are computed from.  Where a result is a difference of nearly equal numbers (a
gradient summed from terms of both signs) its own ulp is much smaller than that, so
the bound is a few ulp of the largest magnitude in the array.
"""

import numpy as np


def ulp_distance(got, want) -> float:
    """The largest |got - want|, in ulp of the largest magnitude of ``want`` (inf when
    shapes, dtypes or the positions of inf/NaN differ)."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape or got.dtype != want.dtype:
        return float("inf")
    if want.dtype.kind != "f":
        return 0.0 if np.array_equal(got, want) else float("inf")
    finite = np.isfinite(want)
    if not np.array_equal(finite, np.isfinite(got)) or not np.array_equal(
            got[~finite], want[~finite], equal_nan=True):
        return float("inf")
    if not finite.any():
        return 0.0
    scale = np.max(np.abs(want[finite]))
    return float(np.max(np.abs(got[finite] - want[finite])) / np.spacing(scale))


def assert_few_ulp(got, want, ulps=32, what=""):
    distance = ulp_distance(got, want)
    assert distance <= ulps, f"{what}: {distance} ulp apart (bound {ulps})\n{got}\n{want}"
