"""Numba kernels for one LSTM time step (loaded with ``jit``, lazily).

``lstm_cell_forward`` turns the pre-activations ``z`` (B, 4H) of one step into the
activated gates (i, f, g, o), the new cell state and the new hidden state in one
pass; ``lstm_cell_backward`` is its one-pass vector-Jacobian product.  The NumPy
twins are in ``numpy_twins``.  sigmoid and tanh use the vectorizable ``fexp`` /
``fexpm1`` of ``jit`` with the same formulas as its elementwise kernels.
"""

from __future__ import annotations

import math

from . import jit as _jit
from .jit import _MATH, fexp, fexpm1


def _register(fn):
    setattr(_jit, fn.__name__, _jit._kernel(fastmath=_MATH)(fn))


def _lstm_gates_loop(z, c_prev, act, hc, one, two):
    # z, act: (B, 4H); c_prev: (B, H); hc: (B, 2H) receives c in its second half.
    # One vectorizable exp per loop: all four blocks through sigmoid, then g by expm1.
    batch, hidden = c_prev.shape
    for b in range(batch):
        for k in range(4 * hidden):
            v = z[b, k]
            e = fexp(-abs(v))
            inv = one / (one + e)
            act[b, k] = inv if v >= 0 else e * inv
        for k in range(hidden):
            v = z[b, 2 * hidden + k]
            m = fexpm1(-two * abs(v))
            g = math.copysign(-m / (two + m), v)
            act[b, 2 * hidden + k] = g
            hc[b, hidden + k] = act[b, hidden + k] * c_prev[b, k] + act[b, k] * g


def _lstm_hidden_loop(act, hc, two):
    # h = o * tanh(c), with c already in the second half of hc.
    batch, hidden = act.shape[0], act.shape[1] // 4
    for b in range(batch):
        for k in range(hidden):
            c = hc[b, hidden + k]
            m = fexpm1(-two * abs(c))
            hc[b, k] = act[b, 3 * hidden + k] * math.copysign(-m / (two + m), c)


def _lstm_bwd_loop(gh, gc, dh_next, dc_next, act, c_now, c_prev, dz, dc_prev, one, two):
    # gh, gc, dh_next, dc_next, c_now, c_prev, dc_prev: (B, H); act, dz: (B, 4H).
    batch, hidden = c_prev.shape
    for b in range(batch):
        for k in range(hidden):
            i = act[b, k]
            f = act[b, hidden + k]
            g = act[b, 2 * hidden + k]
            o = act[b, 3 * hidden + k]
            c = c_now[b, k]
            m = fexpm1(-two * abs(c))
            tc = math.copysign(-m / (two + m), c)
            dh = gh[b, k] + dh_next[b, k]
            dc = gc[b, k] + dc_next[b, k] + dh * o * (one - tc * tc)
            dz[b, k] = dc * g * i * (one - i)
            dz[b, hidden + k] = dc * c_prev[b, k] * f * (one - f)
            dz[b, 2 * hidden + k] = dc * i * (one - g * g)
            dz[b, 3 * hidden + k] = dh * tc * o * (one - o)
            dc_prev[b, k] = dc * f


for _fn in (_lstm_gates_loop, _lstm_hidden_loop, _lstm_bwd_loop):
    _register(_fn)


def lstm_cell_forward(z, c_prev, act, hc):
    """Fill ``act`` with the gates (i, f, g, o) and ``hc`` with [h, c] for one step."""
    two = z.dtype.type(2)
    _jit._lstm_gates_loop(z, c_prev, act, hc, z.dtype.type(1), two)
    _jit._lstm_hidden_loop(act, hc, two)


def lstm_cell_backward(gh, gc, dh_next, dc_next, act, c_now, c_prev, dz, dc_prev):
    """Fill ``dz`` (pre-activation gradient) and ``dc_prev`` for one step."""
    one = act.dtype.type(1)
    _jit._lstm_bwd_loop(gh, gc, dh_next, dc_next, act, c_now, c_prev, dz, dc_prev, one,
                        act.dtype.type(2))
