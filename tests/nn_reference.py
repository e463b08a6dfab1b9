"""Plain-loop NumPy references for convolution, pooling and recurrent layers.

Written for clarity, not speed: every output element is a sum written out, with the
definitions PyTorch documents (cross-correlation, floor-mode output sizes, -inf
padding for max pooling, both biases and gate orders of LSTM/GRU).
"""

from __future__ import annotations

import numpy as np


def pad4(x, padding):
    top, bottom, left, right = padding
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))


def conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    xp = pad4(x, padding)
    n, c, h, wd = xp.shape
    o, cg, kh, kw = w.shape
    ho = (h - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    og = o // groups
    out = np.zeros((n, o, ho, wo))
    for ni in range(n):
        for oi in range(o):
            group = oi // og
            for r in range(ho):
                for s in range(wo):
                    total = 0.0
                    for ci in range(cg):
                        for i in range(kh):
                            for j in range(kw):
                                total += (w[oi, ci, i, j]
                                          * xp[ni, group * cg + ci, r * stride[0] + i * dilation[0],
                                               s * stride[1] + j * dilation[1]])
                    out[ni, oi, r, s] = total + (0.0 if b is None else b[oi])
    return out


def conv2d_input_grad(g, w, x_shape, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1),
                      groups=1):
    """The adjoint of conv2d in x: every output gradient spread back over its window."""
    top, bottom, left, right = padding
    n, c, h, wd = x_shape
    dxp = np.zeros((n, c, h + top + bottom, wd + left + right))
    o, cg, kh, kw = w.shape
    og = o // groups
    for ni in range(n):
        for oi in range(o):
            group = oi // og
            for r in range(g.shape[2]):
                for s in range(g.shape[3]):
                    for ci in range(cg):
                        for i in range(kh):
                            for j in range(kw):
                                contribution = g[ni, oi, r, s] * w[oi, ci, i, j]
                                dxp[ni, group * cg + ci, r * stride[0] + i * dilation[0],
                                    s * stride[1] + j * dilation[1]] += contribution
    return dxp[:, :, top:top + h, left:left + wd]


def conv2d_weight_grad(x, g, w_shape, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1),
                       groups=1):
    xp = pad4(x, padding)
    o, cg, kh, kw = w_shape
    og = o // groups
    dw = np.zeros(w_shape)
    for oi in range(o):
        group = oi // og
        for ci in range(cg):
            for i in range(kh):
                for j in range(kw):
                    total = 0.0
                    for ni in range(x.shape[0]):
                        for r in range(g.shape[2]):
                            for s in range(g.shape[3]):
                                total += g[ni, oi, r, s] * xp[ni, group * cg + ci,
                                                              r * stride[0] + i * dilation[0],
                                                              s * stride[1] + j * dilation[1]]
                    dw[oi, ci, i, j] = total
    return dw


def unfold(x, kernel, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1)):
    xp = pad4(x, padding)
    n, c, h, wd = xp.shape
    kh, kw = kernel
    ho = (h - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, c * kh * kw, ho * wo))
    for ni in range(n):
        for ci in range(c):
            for i in range(kh):
                for j in range(kw):
                    row = (ci * kh + i) * kw + j
                    for r in range(ho):
                        for s in range(wo):
                            out[ni, row, r * wo + s] = xp[ni, ci, r * stride[0] + i * dilation[0],
                                                          s * stride[1] + j * dilation[1]]
    return out


def fold(cols, output_size, kernel, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1)):
    top, bottom, left, right = padding
    (h, wd), (kh, kw) = output_size, kernel
    n = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    hp, wp = h + top + bottom, wd + left + right
    ho = (hp - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wp - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, c, hp, wp))
    for ni in range(n):
        for ci in range(c):
            for i in range(kh):
                for j in range(kw):
                    row = (ci * kh + i) * kw + j
                    for r in range(ho):
                        for s in range(wo):
                            out[ni, ci, r * stride[0] + i * dilation[0],
                                s * stride[1] + j * dilation[1]] += cols[ni, row, r * wo + s]
    return out[:, :, top:top + h, left:left + wd]


def _pool_windows(x, kernel, stride, padding, dilation, out_hw, fill):
    n, c, h, wd = x.shape
    for ni in range(n):
        for ci in range(c):
            for r in range(out_hw[0]):
                for s in range(out_hw[1]):
                    cells = []
                    for i in range(kernel[0]):
                        for j in range(kernel[1]):
                            hi = r * stride[0] - padding[0] + i * dilation[0]
                            wi = s * stride[1] - padding[1] + j * dilation[1]
                            inside = 0 <= hi < h and 0 <= wi < wd
                            cells.append((x[ni, ci, hi, wi] if inside else fill, inside))
                    yield ni, ci, r, s, cells


def max_pool2d(x, kernel, stride, padding=(0, 0), dilation=(1, 1), out_hw=None):
    n, c, h, wd = x.shape
    if out_hw is None:
        out_hw = tuple((size + 2 * p - d * (k - 1) - 1) // st + 1 for size, k, st, p, d in
                       zip((h, wd), kernel, stride, padding, dilation))
    out = np.zeros((n, c) + tuple(out_hw))
    for ni, ci, r, s, cells in _pool_windows(x, kernel, stride, padding, dilation, out_hw,
                                             -np.inf):
        out[ni, ci, r, s] = max(v for v, _ in cells)
    return out


def avg_pool2d(x, kernel, stride, padding=(0, 0), count_include_pad=True):
    """Floor mode; divisor: the window size, or the cells inside the unpadded input."""
    n, c, h, wd = x.shape
    out_hw = tuple((size + 2 * p - k) // st + 1 for size, k, st, p in
                   zip((h, wd), kernel, stride, padding))
    out = np.zeros((n, c) + out_hw)
    for ni, ci, r, s, cells in _pool_windows(x, kernel, stride, padding, (1, 1), out_hw, 0.0):
        divisor = len(cells) if count_include_pad else sum(inside for _, inside in cells)
        out[ni, ci, r, s] = sum(v for v, _ in cells) / divisor
    return out


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def lstm_layer(gx, h0, c0, w_hh):
    """[h_t, c_t] for each step: gates i, f, g, o from gx[t] + h @ w_hh."""
    hidden = h0.shape[1]
    h, c, outs = h0, c0, []
    for t in range(gx.shape[0]):
        z = gx[t] + h @ w_hh
        i = sigmoid(z[:, :hidden])
        f = sigmoid(z[:, hidden:2 * hidden])
        g = np.tanh(z[:, 2 * hidden:3 * hidden])
        o = sigmoid(z[:, 3 * hidden:])
        c = f * c + i * g
        h = o * np.tanh(c)
        outs.append(np.concatenate([h, c], axis=1))
    return np.stack(outs)


def gru_layer(gx, h0, w_hh, b_hh):
    """h_t for each step: r, z, n with r applied to (h @ W_hn + b_hn)."""
    hidden = h0.shape[1]
    h, outs = h0, []
    for t in range(gx.shape[0]):
        a = h @ w_hh + b_hh
        r = sigmoid(gx[t, :, :hidden] + a[:, :hidden])
        z = sigmoid(gx[t, :, hidden:2 * hidden] + a[:, hidden:2 * hidden])
        n = np.tanh(gx[t, :, 2 * hidden:] + r * a[:, 2 * hidden:])
        h = (1 - z) * n + z * h
        outs.append(h)
    return np.stack(outs)


def lstm(x, params, h0, c0):
    """Multi-layer LSTM on (T, B, in) with PyTorch-layout params per layer:
    (W_ih (4H, in), W_hh (4H, H), b_ih, b_hh).  Returns output, h_n, c_n."""
    hs, cs = [], []
    for layer, (w_ih, w_hh, b_ih, b_hh) in enumerate(params):
        gx = x @ w_ih.T + b_ih + b_hh
        out = lstm_layer(gx, h0[layer], c0[layer], w_hh.T)
        hidden = w_hh.shape[1]
        x = out[:, :, :hidden]
        hs.append(out[-1, :, :hidden])
        cs.append(out[-1, :, hidden:])
    return x, np.stack(hs), np.stack(cs)


def gru(x, params, h0):
    hs = []
    for layer, (w_ih, w_hh, b_ih, b_hh) in enumerate(params):
        x = gru_layer(x @ w_ih.T + b_ih, h0[layer], w_hh.T, b_hh)
        hs.append(x[-1])
    return x, np.stack(hs)
