"""Numba kernels for convolution and pooling (loaded with ``jit``, lazily).

``col2im`` scatters the columns of an im2col matrix back onto the (padded) image:
the adjoint of the strided-view gather that builds the columns.  ``max_pool2d``
finds each window's maximum and where it is; ``max_pool2d_backward`` sends each
output gradient to that place.  The NumPy twins are in ``numpy_twins``.

The compiled functions are registered through ``jit._kernel`` and stored on the
``jit`` module, so ``jit.disable_cache`` recompiles them like every other kernel.
"""

from __future__ import annotations

import numpy as np

from . import jit as _jit


def _register(fn):
    setattr(_jit, fn.__name__, _jit._kernel()(fn))


def _col2im_loop(cols, out, sh, sw, dh, dw):
    # cols: (G, N, Ho, Wo, kh, kw, Cg), any strides; out: (N, Hp, Wp, G, Cg), zero-filled.
    g_, n_, ho_, wo_, kh, kw, cg_ = cols.shape
    for g in range(g_):
        for n in range(n_):
            for ho in range(ho_):
                for wo in range(wo_):
                    for i in range(kh):
                        row = ho * sh + i * dh
                        for j in range(kw):
                            col = wo * sw + j * dw
                            for c in range(cg_):
                                out[n, row, col, g, c] += cols[g, n, ho, wo, i, j, c]


def _max_pool_loop(x, out, where, kh, kw, sh, sw, ph, pw, dh, dw):
    # x: (P, H, W); out, where: (P, Ho, Wo); where holds h * W + w of the maximum.
    # Windows are visited in row-major order, so the first maximum wins; a NaN wins
    # over numbers (the first NaN); padding is skipped, never chosen.
    p_, h_, w_ = x.shape
    ho_, wo_ = out.shape[1], out.shape[2]
    for p in range(p_):
        for ho in range(ho_):
            orow = out[p, ho]
            wrow = where[p, ho]
            for wo in range(wo_):
                orow[wo] = -np.inf
                wrow[wo] = -1
            for i in range(kh):
                r = ho * sh - ph + i * dh
                if r < 0 or r >= h_:
                    continue
                xr = x[p, r]
                for j in range(kw):
                    shift = j * dw - pw
                    lo = max(0, -(shift // sw))               # first wo with column >= 0
                    hi = min(wo_, (w_ - 1 - shift) // sw + 1)  # past the last inside
                    for wo in range(lo, hi):
                        s = wo * sw + shift
                        v = xr[s]
                        cur = orow[wo]
                        if v > cur or (v != v and cur == cur) or wrow[wo] < 0:
                            orow[wo] = v
                            wrow[wo] = r * w_ + s


def _max_pool_back_loop(g, where, out):
    # g, where: (P, L); out: (P, H*W) zero-filled.
    for p in range(g.shape[0]):
        for k in range(g.shape[1]):
            out[p, where[p, k]] += g[p, k]


for _fn in (_col2im_loop, _max_pool_loop, _max_pool_back_loop):
    _register(_fn)


def col2im(cols, padded_shape, stride, dilation):
    """Sum the (G, N, Ho, Wo, kh, kw, Cg) columns into zeros of ``padded_shape``
    (N, Hp, Wp, G, Cg)."""
    out = np.zeros(padded_shape, dtype=cols.dtype)
    _jit._col2im_loop(cols, out, stride[0], stride[1], dilation[0], dilation[1])
    return out


def max_pool2d(x, out_hw, kernel, stride, padding, dilation):
    """Window maxima of (N, C, H, W) ``x`` and the flat in-plane index of each."""
    n, c, h, w = x.shape
    out = np.empty((n * c,) + tuple(out_hw), dtype=x.dtype)
    where = np.empty((n * c,) + tuple(out_hw), dtype=np.int64)
    _jit._max_pool_loop(x.reshape(n * c, h, w), out, where, kernel[0], kernel[1], stride[0],
                        stride[1], padding[0], padding[1], dilation[0], dilation[1])
    return out.reshape((n, c) + tuple(out_hw)), where.reshape((n, c) + tuple(out_hw))


def max_pool2d_backward(g, where, x_shape):
    """Zeros of ``x_shape`` with each output gradient added at its window's maximum."""
    n, c, h, w = x_shape
    out = np.zeros((n * c, h * w), dtype=g.dtype)
    _jit._max_pool_back_loop(np.ascontiguousarray(g).reshape(n * c, -1),
                             where.reshape(n * c, -1), out)
    return out.reshape(x_shape)
