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


# ----- RMSNorm, recurrent cells, rearranging layers ---------------------------------------

def rms_norm(x, normalized_ndim, weight=None, eps=None):
    """Each slice over the last ``normalized_ndim`` axes over its root mean square, one
    slice at a time; eps None: the dtype's machine epsilon."""
    if eps is None:
        eps = np.finfo(x.dtype).eps
    lead = x.shape[:x.ndim - normalized_ndim]
    out = np.zeros(x.shape)
    for index in np.ndindex(*lead):
        values = x[index].astype(np.float64)
        out[index] = values / np.sqrt(np.sum(values * values) / values.size + eps)
    return out if weight is None else out * weight


def rnn_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    """One Elman step with PyTorch-layout weights (H, in) and (H, H)."""
    z = x @ w_ih.T + h @ w_hh.T
    if b_ih is not None:
        z = z + b_ih + b_hh
    return np.tanh(z) if nonlinearity == "tanh" else np.maximum(z, 0)


def lstm_cell(x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step, PyTorch-layout weights (4H, in), (4H, H), gates i, f, g, o."""
    z = x @ w_ih.T + h @ w_hh.T
    if b_ih is not None:
        z = z + b_ih + b_hh
    i, f, g, o = np.split(z, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c


def gru_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step, PyTorch-layout weights (3H, in), (3H, H), gates r, z, n."""
    gi, gh = x @ w_ih.T, h @ w_hh.T
    if b_ih is not None:
        gi, gh = gi + b_ih, gh + b_hh
    i_r, i_z, i_n = np.split(gi, 3, axis=-1)
    h_r, h_z, h_n = np.split(gh, 3, axis=-1)
    r, z = sigmoid(i_r + h_r), sigmoid(i_z + h_z)
    n = np.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h


def pixel_shuffle(x, r):
    """out[..., c, h*r + i, w*r + j] = x[..., c*r*r + i*r + j, h, w]."""
    *batch, channels, height, width = x.shape
    c = channels // (r * r)
    out = np.zeros((*batch, c, height * r, width * r), x.dtype)
    for ci in range(c):
        for i in range(r):
            for j in range(r):
                out[..., ci, i::r, j::r] = x[..., ci * r * r + i * r + j, :, :]
    return out


def pixel_unshuffle(x, r):
    """The inverse: out[..., c*r*r + i*r + j, h, w] = x[..., c, h*r + i, w*r + j]."""
    *batch, c, height, width = x.shape
    out = np.zeros((*batch, c * r * r, height // r, width // r), x.dtype)
    for ci in range(c):
        for i in range(r):
            for j in range(r):
                out[..., ci * r * r + i * r + j, :, :] = x[..., ci, i::r, j::r]
    return out


def channel_shuffle(x, groups):
    """out[:, k] = x[:, (k % groups) * (C // groups) + k // groups]."""
    channels = x.shape[1]
    per_group = channels // groups
    out = np.zeros_like(x)
    for k in range(channels):
        out[:, k] = x[:, (k % groups) * per_group + k // groups]
    return out


def pad_last_axes(x, padding, mode="constant", value=0.0):
    """PyTorch's padding order ((left, right) of the last axis first), one axis at a
    time: negative amounts crop, then ``np.pad`` with the matching mode."""
    numpy_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
                  "circular": "wrap"}[mode]
    for k in range(len(padding) // 2):
        axis = x.ndim - 1 - k
        before, after = padding[2 * k], padding[2 * k + 1]
        keep = [slice(None)] * x.ndim
        keep[axis] = slice(max(-before, 0), x.shape[axis] - max(-after, 0))
        x = x[tuple(keep)]
        widths = [(0, 0)] * x.ndim
        widths[axis] = (max(before, 0), max(after, 0))
        kwargs = {"constant_values": value} if mode == "constant" else {}
        x = np.pad(x, widths, mode=numpy_mode, **kwargs)
    return x
