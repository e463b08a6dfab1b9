"""Numba kernels for softmax and log-softmax along the last axis, forward and backward,
loaded with ``jit``.

Same conventions as ``jit``: float32/float64 C-contiguous arrays already checked by
the dispatcher, serial loops over the rows of a (rows, C) view, results matching
``numpy_twins``; large calls run in parts over the rows (``parts.py``).

The row helpers (``_exp_shifted_row``, ``_row_sum``, ``_row_dot``) and ``fexp`` come
from ``jit``, where the cross-entropy kernels share them: Numba's cache tracks only
this file, so after changing them there, clear the cache (``__pycache__/*.nbi``) or
touch this file.
"""

from __future__ import annotations

import math

import numpy as np

from .jit import _MATH, _exp_shifted_row, _in_parts, _kernel, _row_dot, _row_sum, fexp


@_kernel(fastmath=_MATH, nogil=True)
def _softmax_fwd(x, out, one):
    for i in range(x.shape[0]):
        outr = out[i]
        s, m = _exp_shifted_row(x[i], outr)
        inv = one / s
        for j in range(outr.size):
            outr[j] *= inv


@_kernel(fastmath=_MATH, nogil=True)
def _softmax_bwd(g, s, out):
    for i in range(g.shape[0]):
        gr, sr, outr = g[i], s[i], out[i]
        dot = _row_dot(gr, sr)
        for j in range(gr.size):
            outr[j] = sr[j] * (gr[j] - dot)


@_kernel(fastmath=_MATH, nogil=True)
def _log_softmax_fwd(x, out):
    for i in range(x.shape[0]):
        xr, outr = x[i], out[i]
        s, m = _exp_shifted_row(xr, outr)
        lse = math.log(s)
        for j in range(xr.size):
            outr[j] = (xr[j] - m) - lse


@_kernel(fastmath=_MATH, nogil=True)
def _log_softmax_bwd(g, ans, out):
    for i in range(g.shape[0]):
        gr, ar, outr = g[i], ans[i], out[i]
        total = _row_sum(gr)
        for j in range(gr.size):
            outr[j] = gr[j] - fexp(ar[j]) * total


def _rows(a):
    return a.reshape(-1, a.shape[-1])


def _by_rows(kernel, arrays, *extra):
    """``kernel`` over (rows, C) views of ``arrays`` (the last is the output, returned),
    in parts over the rows when large."""
    rows = tuple(_rows(a) for a in arrays)
    _in_parts(kernel, rows, extra, rows[0].shape[1])
    return arrays[-1]


def softmax(x, axis=-1):
    return _by_rows(_softmax_fwd, (x, np.empty_like(x)), x.dtype.type(1))


def softmax_backward(g, s, axis=-1):
    return _by_rows(_softmax_bwd, (g, s, np.empty_like(g)))


def log_softmax(x, axis=-1):
    return _by_rows(_log_softmax_fwd, (x, np.empty_like(x)))


def log_softmax_backward(g, ans, axis=-1):
    return _by_rows(_log_softmax_bwd, (g, ans, np.empty_like(g)))
