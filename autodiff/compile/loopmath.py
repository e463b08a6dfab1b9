"""exp and expm1 for generated loops: the vectorizable ones of ``autodiff.kernels.jit``
as ordinary Numba functions, one per precision; and NumPy's pairwise summation, so
that a sum computed in a loop is NumPy's sum to the last bit.

``autodiff.kernels.jit`` inlines ``fexp`` at the Numba level (``inline="always"``),
which costs about a second of compile time per call site: fine for a hand-written
kernel with one exp, not for a generated loop with fifty.  Called as ordinary
functions they are compiled once, and LLVM still inlines them into the loop, which
still vectorizes (measured: the same speed, a fraction of the compile time).
Imported only by generated kernels, so only when Numba is in use.
"""

from __future__ import annotations

import numba
import numpy as np

from ..kernels import jit as _jit

_OPTIONS = {"cache": True, "error_model": "numpy"}

exp32 = numba.njit(**_OPTIONS)(_jit._exp32)
exp64 = numba.njit(**_OPTIONS)(_jit._exp64)
expm1_32 = numba.njit(**_OPTIONS)(_jit._expm1_32)
expm1_64 = numba.njit(**_OPTIONS)(_jit._expm1_64)
# For arguments known to be <= 0 (or NaN): the same results, without the overflow
# clamp and with one power of two instead of two (codegen.py decides when).
exp_nonpositive32 = numba.njit(**_OPTIONS)(_jit._exp_nonpositive32)
exp_nonpositive64 = numba.njit(**_OPTIONS)(_jit._exp_nonpositive64)
expm1_nonpositive32 = numba.njit(**_OPTIONS)(_jit._expm1_nonpositive32)
expm1_nonpositive64 = numba.njit(**_OPTIONS)(_jit._expm1_nonpositive64)


@numba.njit(**_OPTIONS)
def _pairwise_block(a, lo, n, zero):
    # A run of at most 128 (numpy/_core/src/umath/loops_utils.h.src, pairwise_sum).
    if n < 8:
        res = zero
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = lo + 8
    end = lo + n - n % 8
    while i < end:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < lo + n:
        res += a[i]
        i += 1
    return res


@numba.njit(**_OPTIONS)
def pairwise_sum(a, lo, n, zero):
    """``a[lo:lo + n].sum()`` in NumPy's order: runs of at most 128 summed with 8
    accumulators, longer runs cut in halves at a multiple of 8, the halves' sums
    added.  NumPy recurses; this walks the same tree with a stack (Numba's cache
    does not keep recursive functions).  ``zero`` is 0 in the array's dtype."""
    if n <= 128:
        return _pairwise_block(a, lo, n, zero)
    starts = np.empty(256, np.int64)        # pending tasks: a run, or "add the top two"
    counts = np.empty(256, np.int64)        # (count -1)
    sums = np.full(128, zero)
    tasks = 1
    starts[0], counts[0] = lo, n
    done = 0
    while tasks:
        tasks -= 1
        start, count = starts[tasks], counts[tasks]
        if count < 0:
            done -= 1
            sums[done - 1] = sums[done - 1] + sums[done]
        elif count <= 128:
            sums[done] = _pairwise_block(a, start, count, zero)
            done += 1
        else:
            half = count // 2
            half -= half % 8
            starts[tasks], counts[tasks] = 0, -1
            starts[tasks + 1], counts[tasks + 1] = start + half, count - half
            starts[tasks + 2], counts[tasks + 2] = start, half
            tasks += 3
    return sums[0]
