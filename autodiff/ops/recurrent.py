"""Whole-sequence LSTM and GRU layers as single ops, with hand-written backward passes.

The input projection of every time step (``x @ W_ih + b``) is one GEMM done outside
by ordinary ops; these ops run the recurrence.  The forward keeps the activated
gates of every step as the node's saved state (``saves=True``: dropped when a
backward frees the graph), and a plain ``backward()`` runs backpropagation through
time in one loop: per step one small GEMM for the hidden state's gradient and fused
elementwise work, and at the end one GEMM for the recurrent weight's gradient over
all steps.

With ``create_graph=True`` the same gradients are built from differentiable ops
(the recurrence is recomputed from the inputs), so second derivatives work.

LSTM (gate order i, f, g, o, as PyTorch)::

    z = gx[t] + h @ w_hh;  i, f, o = sigmoid(z_i, z_f, z_o);  g = tanh(z_g)
    c' = f * c + i * g;    h' = o * tanh(c')

GRU (gate order r, z, n, as PyTorch; ``r`` multiplies ``h @ W_hn + b_hn``)::

    a = h @ w_hh + b_hh;   r = sigmoid(gx_r + a_r);  z = sigmoid(gx_z + a_z)
    n = tanh(gx_n + r * a_n);  h' = (1 - z) * n + z * h
"""

from __future__ import annotations

import contextlib

import numpy as np

from .. import kernels
from . import elementwise as ew
from . import linalg as la
from . import shape as sh
from .namespace import add_to_namespaces
from .registry import defop_joint


_blas_controller = None
_blas_limit_depth = 0               # how many one_blas_thread() blocks are open


@contextlib.contextmanager
def one_blas_thread():
    """Run the per-step products on one BLAS thread (when threadpoolctl is installed).

    Each step's product is small ((B, H) @ (H, 4H): 2 MFLOP for B=32, H=128).  Threading
    it gains little on an idle machine, and when the cores are shared OpenBLAS's
    threads wait for each other: measured here with 2 cores under load, one such
    product took 56 ms on 2 threads and 0.35 ms on one; the recurrent weight's gradient
    (H, T*B) @ (T*B, 4H) for T*B = 1120 took 93 ms on 2 threads and 14 ms on one.  The
    limit applies only while the loop over time steps (and that gradient) runs.  A
    block opened inside another is free (the outer one holds the limit), so a caller
    running the ops many times opens one around them.

    >>> with one_blas_thread():
    ...     pass
    """
    global _blas_controller, _blas_limit_depth
    if _blas_controller is None:
        try:
            from threadpoolctl import ThreadpoolController
            _blas_controller = ThreadpoolController()
        except Exception:           # not installed (it is optional), or no BLAS found
            _blas_controller = False
    if _blas_controller is False or _blas_limit_depth:
        yield
        return
    _blas_limit_depth += 1
    try:
        with _blas_controller.limit(limits=1, user_api="blas"):
            yield
    finally:
        _blas_limit_depth -= 1


def _sigmoid(x):
    return kernels.sigmoid(np.ascontiguousarray(x))


# ----- LSTM --------------------------------------------------------------------------------

def _lstm_forward(gx, h0, c0, w_hh):
    """gx (T, B, 4H), h0 and c0 (B, H), w_hh (H, 4H) -> (T, B, 2H) holding [h_t, c_t],
    and the activated gates of every step (T, B, 4H) for the backward.

    Over one step h0 may have another size S than H, with w_hh (S, 4H): a step of an
    LSTM with projections, whose h is projected outside the op."""
    steps, batch, four_h = gx.shape
    hidden = four_h // 4
    if w_hh.shape[0] != hidden and steps != 1:
        raise ValueError(f"lstm_layer: w_hh of shape {w_hh.shape} has {w_hh.shape[0]} rows, "
                         f"not the hidden size {hidden}, which only one step can take (a "
                         f"step of an LSTM with projections), but gx has {steps} steps "
                         f"(shape {gx.shape}); run the steps one at a time")
    out = np.empty((steps, batch, 2 * hidden), dtype=gx.dtype)
    gates = np.empty_like(gx)
    h, c = h0, c0
    with one_blas_thread():
        for t in range(steps):
            z = gx[t] + h @ w_hh
            kernels.lstm_cell_forward(z, c, gates[t], out[t])
            h, c = out[t, :, :hidden], out[t, :, hidden:]
    return out, gates


def _lstm_kernel(gx, h0, c0, w_hh):
    return _lstm_forward(gx, h0, c0, w_hh)[0]


def _lstm_vjp_numpy(g, ans, needs, gx, h0, c0, w_hh, gates):
    steps, batch, four_h = gx.shape
    hidden = four_h // 4
    g = np.asarray(g, dtype=gx.dtype)
    d_gates = np.empty_like(gates)
    dh_next = np.zeros_like(c0)                     # the gradient of h_t (B, H), t > 0
    dc_next = np.zeros_like(c0)
    dc_prev = np.empty_like(c0)
    w_t = np.ascontiguousarray(w_hh.T)
    with one_blas_thread():
        for t in range(steps - 1, -1, -1):
            c_prev = ans[t - 1, :, hidden:] if t else c0
            kernels.lstm_cell_backward(g[t, :, :hidden], g[t, :, hidden:], dh_next, dc_next,
                                       gates[t], ans[t, :, hidden:], c_prev, d_gates[t],
                                       dc_prev)
            dc_next, dc_prev = dc_prev, dc_next
            dh_next = d_gates[t] @ w_t
        grad_w = None
        if needs[3]:
            h_prev = (h0[None] if steps == 1 else
                      np.concatenate([h0[None], ans[:-1, :, :hidden]]))
            grad_w = h_prev.reshape(-1, w_hh.shape[0]).T @ d_gates.reshape(-1, four_h)
    return [d_gates, dh_next, dc_next, grad_w]


def _lstm_vjp_tensor(g, ans, needs, gx, h0, c0, w_hh, saved_gates):
    # saved_gates (constants) are not used: the gates are recomputed, recorded.
    steps = gx.shape[0]
    hidden = gx.shape[2] // 4
    acts, cs, hs = [], [c0], [h0]
    h, c = h0, c0
    for t in range(steps):                           # the forward, recorded
        z = gx[t] + la.matmul(h, w_hh)
        i = ew.sigmoid(z[:, :hidden])
        f = ew.sigmoid(z[:, hidden:2 * hidden])
        gg = ew.tanh(z[:, 2 * hidden:3 * hidden])
        o = ew.sigmoid(z[:, 3 * hidden:])
        c = f * c + i * gg
        h = o * ew.tanh(c)
        acts.append((i, f, gg, o))
        cs.append(c)
        hs.append(h)
    d_gates = [None] * steps
    dh_next, dc_next = 0.0, 0.0
    for t in range(steps - 1, -1, -1):
        i, f, gg, o = acts[t]
        tc = ew.tanh(cs[t + 1])
        dh = g[t, :, :hidden] + dh_next
        dc = g[t, :, hidden:] + dc_next + dh * o * (1 - tc * tc)
        dz = sh.concatenate([dc * gg * i * (1 - i), dc * cs[t] * f * (1 - f),
                             dc * i * (1 - gg * gg), dh * tc * o * (1 - o)], axis=1)
        d_gates[t] = dz
        dc_next = dc * f
        dh_next = la.matmul(dz, sh.swapaxes(w_hh, 0, 1))
    d_all = sh.stack(d_gates, axis=0)
    grad_w = None
    if needs[3]:
        h_prev = sh.reshape(sh.stack(hs[:-1], axis=0), (-1, w_hh.shape[0]))
        grad_w = la.matmul(sh.swapaxes(h_prev, 0, 1), sh.reshape(d_all, (-1, 4 * hidden)))
    return [d_all, dh_next, dc_next, grad_w]


def _lstm_joint(xp, g, ans, needs, gx, h0, c0, w_hh, saved=None):
    return xp.lstm_layer_vjp(g, ans, needs, gx, h0, c0, w_hh, saved)


add_to_namespaces("lstm_layer_vjp", _lstm_vjp_numpy, _lstm_vjp_tensor)

lstm_layer = defop_joint(
    "lstm_layer", _lstm_forward,
    "backpropagation through time over the LSTM cell (gates i, f, g, o)", _lstm_joint,
    input_names=("gx", "h0", "c0", "w_hh"), saves=True, kernel=_lstm_kernel,
    doc="One LSTM layer over a whole sequence: (T, B, 4H) input projections, h0, c0, "
        "w_hh (H, 4H) -> (T, B, 2H) = [h_t, c_t] (see ad.nn.LSTM); over one step h0 and "
        "w_hh may have P rows instead of H (a step of an LSTM with projections).")


# ----- GRU ---------------------------------------------------------------------------------

def _gru_forward(gx, h0, w_hh, b_hh):
    """gx (T, B, 3H), h0 (B, H), w_hh (H, 3H), b_hh (3H,) -> (T, B, H), and r, z, n
    and a_n of every step (T, B, 4H) for the backward."""
    steps, batch, three_h = gx.shape
    hidden = three_h // 3
    out = np.empty((steps, batch, hidden), dtype=gx.dtype)
    saved = np.empty((steps, batch, 4 * hidden), dtype=gx.dtype)   # r, z, n, a_n
    h = h0
    with one_blas_thread():
        for t in range(steps):
            a = h @ w_hh + b_hh
            rz = _sigmoid(gx[t, :, :2 * hidden] + a[:, :2 * hidden])
            r, z = rz[:, :hidden], rz[:, hidden:]
            a_n = a[:, 2 * hidden:]
            n = np.tanh(gx[t, :, 2 * hidden:] + r * a_n)
            h = n + z * (h - n)
            out[t] = h
            s = saved[t]
            s[:, :2 * hidden] = rz
            s[:, 2 * hidden:3 * hidden] = n
            s[:, 3 * hidden:] = a_n
    return out, saved


def _gru_kernel(gx, h0, w_hh, b_hh):
    return _gru_forward(gx, h0, w_hh, b_hh)[0]


def _gru_vjp_numpy(g, ans, needs, gx, h0, w_hh, b_hh, saved):
    steps, batch, three_h = gx.shape
    hidden = three_h // 3
    d_gx = np.empty_like(gx)
    d_a = np.empty_like(gx)
    dh_next = np.zeros_like(h0)
    with one_blas_thread():
        for t in range(steps - 1, -1, -1):
            s = saved[t]
            r, z, n, a_n = (s[:, k * hidden:(k + 1) * hidden] for k in range(4))
            h_prev = ans[t - 1] if t else h0
            dh = g[t] + dh_next
            dn_pre = dh * (1 - z) * (1 - n * n)
            dr_pre = dn_pre * a_n * r * (1 - r)
            dz_pre = dh * (h_prev - n) * z * (1 - z)
            dgx, da = d_gx[t], d_a[t]
            dgx[:, :hidden] = dr_pre
            dgx[:, hidden:2 * hidden] = dz_pre
            dgx[:, 2 * hidden:] = dn_pre
            da[:, :2 * hidden] = dgx[:, :2 * hidden]
            da[:, 2 * hidden:] = dn_pre * r
            dh_next = dh * z + da @ w_hh.T
        grad_w = grad_b = None
        if needs[2]:
            h_prev = np.concatenate([h0[None], ans[:-1]], axis=0).reshape(-1, hidden)
            grad_w = h_prev.T @ d_a.reshape(-1, three_h)
    if needs[3]:
        grad_b = d_a.reshape(-1, three_h).sum(axis=0)
    return [d_gx, dh_next, grad_w, grad_b]


def _gru_vjp_tensor(g, ans, needs, gx, h0, w_hh, b_hh, saved_gates):
    # saved_gates (constants) are not used: the gates are recomputed, recorded.
    steps = gx.shape[0]
    hidden = gx.shape[2] // 3
    saved, hs = [], [h0]
    h = h0
    for t in range(steps):                           # the forward, recorded
        a = la.matmul(h, w_hh) + b_hh
        r = ew.sigmoid(gx[t, :, :hidden] + a[:, :hidden])
        z = ew.sigmoid(gx[t, :, hidden:2 * hidden] + a[:, hidden:2 * hidden])
        a_n = a[:, 2 * hidden:]
        n = ew.tanh(gx[t, :, 2 * hidden:] + r * a_n)
        h = n + z * (h - n)
        saved.append((r, z, n, a_n))
        hs.append(h)
    d_gx, d_a = [None] * steps, [None] * steps
    dh_next = 0.0
    for t in range(steps - 1, -1, -1):
        r, z, n, a_n = saved[t]
        dh = g[t] + dh_next
        dn_pre = dh * (1 - z) * (1 - n * n)
        dr_pre = dn_pre * a_n * r * (1 - r)
        dz_pre = dh * (hs[t] - n) * z * (1 - z)
        d_gx[t] = sh.concatenate([dr_pre, dz_pre, dn_pre], axis=1)
        d_a[t] = sh.concatenate([dr_pre, dz_pre, dn_pre * r], axis=1)
        dh_next = dh * z + la.matmul(d_a[t], sh.swapaxes(w_hh, 0, 1))
    d_a_all = sh.reshape(sh.stack(d_a, axis=0), (-1, 3 * hidden))
    grad_w = grad_b = None
    if needs[2]:
        h_prev = sh.reshape(sh.stack(hs[:-1], axis=0), (-1, hidden))
        grad_w = la.matmul(sh.swapaxes(h_prev, 0, 1), d_a_all)
    if needs[3]:
        from .reduce import sum as _sum
        grad_b = _sum(d_a_all, axis=0)
    return [sh.stack(d_gx, axis=0), dh_next, grad_w, grad_b]


def _gru_joint(xp, g, ans, needs, gx, h0, w_hh, b_hh, saved=None):
    return xp.gru_layer_vjp(g, ans, needs, gx, h0, w_hh, b_hh, saved)


add_to_namespaces("gru_layer_vjp", _gru_vjp_numpy, _gru_vjp_tensor)

gru_layer = defop_joint(
    "gru_layer", _gru_forward,
    "backpropagation through time over the GRU cell (gates r, z, n)", _gru_joint,
    input_names=("gx", "h0", "w_hh", "b_hh"), saves=True, kernel=_gru_kernel,
    doc="One GRU layer over a whole sequence: (T, B, 3H) input projections, h0, "
        "w_hh (H, 3H), b_hh (3H,) -> (T, B, H) (see ad.nn.GRU).")
