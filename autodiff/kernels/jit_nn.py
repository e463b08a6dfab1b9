"""Numba kernels for the nn ops (erf, GELU, layer norm, cross-entropy), loaded with ``jit``.

Same conventions as ``jit``: float32/float64 C-contiguous arrays already checked by
the dispatcher, serial loops, results matching ``numpy_twins_nn``; arithmetic in
float64 whatever the array dtype, rounded once on store.

* ``erf`` calls ``math.erf`` (accurate to an ulp; not vectorized, about 4x NumPy's exp).
* GELU never calls erf: it evaluates the normal CDF from a fitted erfc (below) with
  the vectorizable ``fexp``; the backward reads the CDF off the forward output.  The
  float32 forward is ``jit_gelu``'s (correctly rounded but for a few values in 10**9).
* Layer norm works row by row (a row stays in L1 across its passes).
* Cross-entropy too, except for few classes (``_NARROW_CLASSES``): then blocks of rows
  are transposed, so that the max, exp and sum loops run along a block's rows.
* Large calls run in parts on several threads (``parts.py``); the layer-norm
  backward sums its weight and bias gradients by fixed blocks of rows, so they do not
  depend on the number of parts.

``fexp`` and ``_exp_shifted_row`` come from ``jit``: Numba's cache tracks only this
file, so after changing them there, clear the cache (``__pycache__/*.nbi``) or touch
this file.
"""

from __future__ import annotations

import math

import numpy as np

from . import jit_gelu, parts
from .jit import (_exp_shifted_row, _flat_call, _flat_call_pair, _in_parts, _kernel, _maxnum,
                  fexp, fexp_nonpositive)

_MATH = {"contract"}
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_TANH_C = math.sqrt(2.0 / math.pi)
_TANH_K = 0.044715


@_kernel(nogil=True)
def _erf_fwd(x, out):
    for i in range(x.size):
        out[i] = math.erf(x[i])


@_kernel(fastmath=_MATH, nogil=True)
def _erf_bwd(g, x, out):
    for i in range(g.size):
        v = float(x[i])
        out[i] = g[i] * (_TWO_OVER_SQRT_PI * math.exp(-v * v))


# ----- GELU (the float32 forward is in jit_gelu) ---------------------------------------
# Phi(x) = 1 - erfc(x / sqrt 2) / 2 for x >= 0, erfc(|x| / sqrt 2) / 2 for x < 0, with
# erfc(z) = t exp(P(t) - z**2), t = 1 / (1 + z/2): P is a polynomial in t of degree 20,
# fitted to math.erfc on z in [0, 26] (erfc is below the smallest double beyond).
# Measured relative error of erfc: 1.4e-13.  No branches and no libm calls, so the
# loops vectorize (fexp is the vectorizable exp).

_ZMAX = 26.0
_U_SCALE = 2.1538461538461537       # u = (2t - (1 + t_min)) / (1 - t_min) maps t to [-1, 1]
_U_SHIFT = -1.1538461538461537
# P in powers of u, highest first (Horner order)
_P64 = (
    -4.207812442412201e-09, 1.0466887433303912e-07, -1.1518472406335466e-07,
    -7.761030265474951e-07, 1.539029818544124e-06, 2.1916589849166544e-06,
    -9.224255577519111e-06, 1.4587941343725728e-06, 3.593480265252606e-05,
    -4.6324452809552345e-05, -9.730583701579209e-05, 0.0002895245793282781,
    0.00014140487903340675, -0.0013757317707498225, 0.00037508076971972396,
    0.006438727272844729, -0.004919030152169049, -0.039436671655632784,
    0.03192442598083635, 0.6301987137975611, -0.6235239226142538,
)


@_kernel(fastmath=_MATH, nogil=True)
def _gelu64_fwd(x, out):
    for i in range(x.size):
        v = float(x[i])
        z = abs(v) * _SQRT_HALF
        t = 1.0 / (1.0 + 0.5 * z)
        u = t * _U_SCALE + _U_SHIFT
        p = _P64[0]
        p = p * u + _P64[1]
        p = p * u + _P64[2]
        p = p * u + _P64[3]
        p = p * u + _P64[4]
        p = p * u + _P64[5]
        p = p * u + _P64[6]
        p = p * u + _P64[7]
        p = p * u + _P64[8]
        p = p * u + _P64[9]
        p = p * u + _P64[10]
        p = p * u + _P64[11]
        p = p * u + _P64[12]
        p = p * u + _P64[13]
        p = p * u + _P64[14]
        p = p * u + _P64[15]
        p = p * u + _P64[16]
        p = p * u + _P64[17]
        p = p * u + _P64[18]
        p = p * u + _P64[19]
        p = p * u + _P64[20]
        zc = z if z < _ZMAX else _ZMAX
        h = 0.5 * t * fexp(p - zc * zc)            # erfc(z) / 2
        h = h if z < _ZMAX else 0.0
        cdf = h if v < 0.0 else 1.0 - h
        out[i] = v * cdf


@_kernel(fastmath=_MATH, nogil=True)
def _gelu_bwd(g, x, y, out):
    """The backward needs Phi(x) + x phi(x); Phi(x) = y / x is read off the forward's
    output y (exact to an ulp of y), so only phi's exp is computed."""
    for i in range(x.size):
        v = float(x[i])
        cdf = float(y[i]) / v if abs(v) > 1e-5 else 0.5 + v * _INV_SQRT_2PI
        out[i] = g[i] * (cdf + v * (_INV_SQRT_2PI * fexp(-0.5 * v * v)))


@_kernel(fastmath=_MATH, nogil=True)
def _gelu_tanh_fwd(x, out):
    for i in range(x.size):
        v = float(x[i])
        a = _TANH_C * (v + _TANH_K * v * v * v)
        one_plus_t = 2.0 / (1.0 + fexp(-2.0 * a))      # 1 + tanh(a), without cancelling
        out[i] = 0.5 * v * one_plus_t


@_kernel(fastmath=_MATH, nogil=True)
def _gelu_tanh_bwd(g, x, out):
    for i in range(g.size):
        v = float(x[i])
        v2 = v * v
        a = _TANH_C * (v + _TANH_K * v2 * v)
        one_plus_t = 2.0 / (1.0 + fexp(-2.0 * a))
        one_minus_t = 2.0 - one_plus_t                  # 1 - t^2 = (1 - t)(1 + t)
        dinner = _TANH_C * (1.0 + 3.0 * _TANH_K * v2)
        out[i] = g[i] * (0.5 * one_plus_t + 0.5 * v * (one_minus_t * one_plus_t) * dinner)


# Layer norm calls no exp, so its sums may be reassociated (which vectorizes them).
@_kernel(fastmath={"contract", "reassoc"}, nogil=True)
def _layer_norm_fwd(x, weight, bias, y, mean, rstd, eps, affine):
    n, d = x.shape
    for i in range(n):
        row = x[i]
        s = 0.0
        for j in range(d):
            s += row[j]
        mu = s / d
        ss = 0.0
        for j in range(d):
            c = row[j] - mu
            ss += c * c
        r = 1.0 / math.sqrt(ss / d + eps)
        mean[i] = mu
        rstd[i] = r
        out = y[i]
        if affine:
            for j in range(d):
                out[j] = (row[j] - mu) * r * weight[j] + bias[j]
        else:
            for j in range(d):
                out[j] = (row[j] - mu) * r


@_kernel(fastmath={"contract", "reassoc"}, nogil=True)
def _layer_norm_bwd(g, x, mean, rstd, weight, grad_x, grad_weight, grad_bias, affine,
                    block):
    n, d = x.shape
    for i in range(n):
        row, grow, out = x[i], g[i], grad_x[i]
        mu, r = mean[i], rstd[i]
        weight_sum, bias_sum = grad_weight[i // block], grad_bias[i // block]
        for j in range(d):                      # column sums: separate loop, vectorizes
            gj = grow[j]
            weight_sum[j] += gj * ((row[j] - mu) * r)
            bias_sum[j] += gj
        sum_g = 0.0
        sum_gx = 0.0
        if affine:
            for j in range(d):
                gh = grow[j] * weight[j]
                sum_g += gh
                sum_gx += gh * ((row[j] - mu) * r)
        else:
            for j in range(d):
                gh = grow[j]
                sum_g += gh
                sum_gx += gh * ((row[j] - mu) * r)
        a = sum_g / d
        b = sum_gx / d
        if affine:
            for j in range(d):
                out[j] = r * (grow[j] * weight[j] - a - (row[j] - mu) * r * b)
        else:
            for j in range(d):
                out[j] = r * (grow[j] - a - (row[j] - mu) * r * b)


def erf(x):
    return _flat_call(_erf_fwd, x)


def erf_backward(g, x):
    return _flat_call_pair(_erf_bwd, g, x)


def gelu(x, approximate="none"):
    if approximate == "tanh":
        return _flat_call(_gelu_tanh_fwd, x)
    if x.dtype == np.float32:
        return jit_gelu.gelu(x)
    return _flat_call(_gelu64_fwd, x)


def gelu_backward(g, x, ans, approximate="none"):
    if approximate == "tanh":
        return _flat_call_pair(_gelu_tanh_bwd, g, x)
    out = np.empty_like(g)
    _in_parts(_gelu_bwd, (g.reshape(-1), x.reshape(-1), ans.reshape(-1), out.reshape(-1)), ())
    return out


def layer_norm(x, weight, bias, eps):
    n, d = x.shape
    y = np.empty_like(x)
    mean = np.empty(n, np.float64)
    rstd = np.empty(n, np.float64)
    affine = weight is not None
    dummy = np.empty(0, x.dtype)
    parts.call_in_parts(_layer_norm_fwd, (x, weight if affine else dummy, bias if affine
                                          else dummy, y, mean, rstd, float(eps), affine),
                        (True, False, False, True, True, True, False, False), d)
    return y, mean, rstd


def layer_norm_backward(g, x, mean, rstd, weight):
    # The weight and bias gradients sum over every row: each block of rows sums into
    # its own row of a (blocks, d) array, and the blocks are added in order at the end.
    # Blocks depend on the shape alone, so parts on any number of threads give the same
    # sums.
    n, d = x.shape
    affine = weight is not None
    weight = weight if affine else np.empty(0, x.dtype)
    block = max(_NORM_BLOCK_ROWS, -(-n // _NORM_MAX_BLOCKS))
    blocks = max(1, -(-n // block))
    grad_x = np.empty_like(x)
    grad_weight = np.zeros((blocks, d), np.float64)
    grad_bias = np.zeros((blocks, d), np.float64)

    def run_blocks(first, last):
        rows = slice(first * block, min(last * block, n))
        _layer_norm_bwd(g[rows], x[rows], mean[rows], rstd[rows], weight, grad_x[rows],
                        grad_weight[first:last], grad_bias[first:last], affine, block)
    parts.run_parts(run_blocks, blocks, block * d)
    return (grad_x, grad_weight.sum(axis=0).astype(x.dtype),
            grad_bias.sum(axis=0).astype(x.dtype))


_NORM_BLOCK_ROWS = 256       # rows summed together before the blocks are added
_NORM_MAX_BLOCKS = 64        # at most this many (blocks, d) rows, however many rows


# Cross-entropy: the forward writes the gradient (softmax - onehot) * scale directly
# (scale = 1/N), so forward + backward touch the (N, C) arrays twice in all: read the
# logits once, write the gradient once.  Without a backward, the loss alone needs no
# (N, C) output: each row's exponentials go to one scratch row that stays in L1.
# Each row's loss goes to ``row_loss`` (float64), summed afterwards, so the loss is
# the same however many threads ran parts of the rows (``parts.py``: the kernels
# release the GIL).  A bad target returns the marker -1 - row (0 otherwise).


@_kernel()
def _class_of(target, i, c):
    t = target[i]
    return t if 0 <= t < c else -1


@_kernel(fastmath=_MATH, nogil=True)
def _cross_entropy_grad(x, target, grad, row_loss, scale, one):
    n, c = x.shape
    for i in range(n):
        t = _class_of(target, i, c)
        if t < 0:
            return -1.0 - i
        xr, gr = x[i], grad[i]
        s, m = _exp_shifted_row(xr, gr)
        row_loss[i] = math.log(s) - (xr[t] - m)
        p_target = gr[t] / s
        k = scale / s
        for j in range(c):
            gr[j] *= k
        gr[t] = (p_target - one) * scale
    return 0.0


@_kernel(fastmath=_MATH, nogil=True)
def _cross_entropy_loss(x, target, row_loss, scratch):
    n, c = x.shape
    for i in range(n):
        t = _class_of(target, i, c)
        if t < 0:
            return -1.0 - i
        xr = x[i]
        s, m = _exp_shifted_row(xr, scratch)
        row_loss[i] = math.log(s) - (xr[t] - m)
    return 0.0


# Few classes (the spiral's 3, the digits' 10): a row is too short for its loops to
# vectorize, and the per-row work dominates.  So blocks of rows are transposed into a
# (C, block) scratch, and the max, exp and sum loops run along the block's rows.  Each
# row's arithmetic is the row kernel's, in the same order (its sum of C terms left to
# right, where the row kernel's reassociating sum may pair them differently for C >= 8:
# the two differ by an ulp at most).  From about 24 classes (float64) the row kernels
# are faster.
_NARROW_CLASSES = 16
_NARROW_BLOCK = 128


@_kernel(fastmath=_MATH)
def _exp_shifted_block(x, start, rows, xt, m, s):
    """For rows start .. start + rows of x: xt[j, r] = exp(x[start + r, j] - m[r]),
    m[r] the row's max, s[r] the row's sum of xt[:, r]."""
    c = x.shape[1]
    for r in range(rows):
        for j in range(c):
            xt[j, r] = x[start + r, j]
    _exp_shifted_columns(xt, rows, m, s)


@_kernel(fastmath=_MATH)
def _exp_shifted_columns(xt, rows, m, s):
    """The part of ``_exp_shifted_block`` after the transpose, on columns 0 .. rows
    of xt (C, block)."""
    c = xt.shape[0]
    for r in range(rows):
        m[r] = xt[0, r]
    for j in range(1, c):
        xj = xt[j]
        for r in range(rows):
            m[r] = _maxnum(m[r], xj[r])
    for j in range(c):
        xj = xt[j]
        for r in range(rows):
            xj[r] = fexp_nonpositive(xj[r] - m[r])      # <= 0, or NaN
    for r in range(rows):
        s[r] = xt[0, r]
    for j in range(1, c):
        xj = xt[j]
        for r in range(rows):
            s[r] += xj[r]


@_kernel()
def _first_bad_class(target, start, rows, c):
    for r in range(start, start + rows):
        if _class_of(target, r, c) < 0:
            return r
    return -1


@_kernel(fastmath=_MATH, nogil=True)
def _cross_entropy_narrow(x, target, grad, row_loss, scale, one, with_grad):
    """``_cross_entropy_grad`` (``with_grad``) or ``_cross_entropy_loss`` (``grad``
    unused) for few classes."""
    n, c = x.shape
    xt = np.empty((c, _NARROW_BLOCK), x.dtype)
    m = np.empty(_NARROW_BLOCK, x.dtype)
    s = np.empty(_NARROW_BLOCK, x.dtype)
    for start in range(0, n, _NARROW_BLOCK):
        rows = min(_NARROW_BLOCK, n - start)
        bad = _first_bad_class(target, start, rows, c)
        if bad >= 0:
            return -1.0 - bad
        _exp_shifted_block(x, start, rows, xt, m, s)
        for r in range(rows):
            i = start + r
            t = target[i]
            row_loss[i] = math.log(s[r]) - (x[i, t] - m[r])
            if with_grad:
                p_target = xt[t, r] / s[r]
                k = scale / s[r]
                for j in range(c):
                    grad[i, j] = xt[j, r] * k
                grad[i, t] = (p_target - one) * scale
    return 0.0


def _cross_entropy_grad_narrow(x, target, grad, row_loss, scale, one):
    return _cross_entropy_narrow(x, target, grad, row_loss, scale, one, True)


def _cross_entropy_loss_narrow(x, target, row_loss):
    unused = np.empty((0, x.shape[1]), x.dtype)
    one = x.dtype.type(1)
    return _cross_entropy_narrow(x, target, unused, row_loss, one, one, False)


# ----- the loss head of a compiled step: cross_entropy(x + bias) and its gradients ------
# One call in place of a compiled step's seven (the bias add, the loss, its seed and
# backward, the add's two rules and the bias gradient's sum: compile/loss_head.py).  The
# arithmetic is that of ``np.add`` and of the kernels above, value for value, and the
# bias gradient sums the gradient's rows in order, as NumPy's sum over axis 0 does, so
# the results are the unfused steps' bit for bit.

@_kernel(fastmath=_MATH, nogil=True)
def _cross_entropy_head(x, bias, target, grad, bias_grad, row_loss, scale, one):
    n, c = x.shape
    if c <= _NARROW_CLASSES:
        xt = np.empty((c, _NARROW_BLOCK), x.dtype)
        m = np.empty(_NARROW_BLOCK, x.dtype)
        s = np.empty(_NARROW_BLOCK, x.dtype)
        picked = np.empty(_NARROW_BLOCK, x.dtype)    # each row's logit of its target
        for start in range(0, n, _NARROW_BLOCK):
            rows = min(_NARROW_BLOCK, n - start)
            bad = _first_bad_class(target, start, rows, c)
            if bad >= 0:
                return -1.0 - bad
            for r in range(rows):
                for j in range(c):
                    xt[j, r] = x[start + r, j] + bias[j]
                picked[r] = xt[target[start + r], r]
            _exp_shifted_columns(xt, rows, m, s)
            for r in range(rows):
                i = start + r
                t = target[i]
                row_loss[i] = math.log(s[r]) - (picked[r] - m[r])
                p_target = xt[t, r] / s[r]
                k = scale / s[r]
                for j in range(c):
                    grad[i, j] = xt[j, r] * k
                grad[i, t] = (p_target - one) * scale
    else:
        for i in range(n):
            t = _class_of(target, i, c)
            if t < 0:
                return -1.0 - i
            xr, gr = x[i], grad[i]
            for j in range(c):
                gr[j] = xr[j] + bias[j]
            picked_t = gr[t]
            s_i, m_i = _exp_shifted_row(gr, gr)
            row_loss[i] = math.log(s_i) - (picked_t - m_i)
            p_target = gr[t] / s_i
            k = scale / s_i
            for j in range(c):
                gr[j] *= k
            gr[t] = (p_target - one) * scale
    for j in range(c):
        bias_grad[j] = grad[0, j]
    for i in range(1, n):
        for j in range(c):
            bias_grad[j] += grad[i, j]
    return 0.0


def cross_entropy_head(x, bias, target):
    """(mean cross-entropy of x + bias, its gradient in the logits, that gradient
    summed over the rows); the dispatcher checked the arrays, and ``n`` >= 1."""
    n, c = x.shape
    grad = np.empty((n, c), x.dtype)
    bias_grad = np.empty(c, x.dtype)
    row_loss = np.empty(n)
    dtype = x.dtype.type
    marker = _cross_entropy_head(x, bias, target, grad, bias_grad, row_loss,
                                 dtype(1.0 / n), dtype(1))
    if marker < 0:
        _mean_loss([(0, marker)], row_loss, x, target)     # raises, naming the row
    return np.asarray(np.add.reduce(row_loss) / n, dtype=x.dtype), grad, bias_grad


def _mean_loss(markers, row_loss, logits, target):
    for start, marker in markers:
        if marker <= -1.0:      # the bad-target marker -1 - row (of the part from start)
            row = start + int(-1.0 - marker)
            raise IndexError(f"cross_entropy: target {target[row]} in row {row} is out of "
                             f"range for {logits.shape[1]} classes")
    # (np.add.reduce is what ndarray.sum calls, without its Python wrapper)
    return np.asarray(np.add.reduce(row_loss) / logits.shape[0], dtype=logits.dtype)


def cross_entropy(logits, target):
    n, c = logits.shape
    grad = np.empty((n, c), logits.dtype)   # (logits is C-contiguous: empty_like's layout)
    row_loss = np.empty(n)
    dtype = logits.dtype.type
    scale, one = dtype(1.0 / n), dtype(1)
    kernel = _cross_entropy_grad_narrow if c <= _NARROW_CLASSES else _cross_entropy_grad
    count = parts.how_many(n, c)
    if count == 1:                      # (the common case, without the parts' slicing)
        markers = [(0, kernel(logits, target, grad, row_loss, scale, one))]
    else:
        def rows(start, stop):
            return start, kernel(logits[start:stop], target[start:stop], grad[start:stop],
                                 row_loss[start:stop], scale, one)
        markers = parts.run_parts(rows, n, c, count)
    return _mean_loss(markers, row_loss, logits, target), grad


def cross_entropy_loss(logits, target):
    n, c = logits.shape
    row_loss = np.empty(n)

    def rows(start, stop):
        if c <= _NARROW_CLASSES:
            return start, _cross_entropy_loss_narrow(logits[start:stop], target[start:stop],
                                                     row_loss[start:stop])
        scratch = np.empty(c, logits.dtype)
        return start, _cross_entropy_loss(logits[start:stop], target[start:stop],
                                          row_loss[start:stop], scratch)
    markers = parts.run_parts(rows, n, c)
    return _mean_loss(markers, row_loss, logits, target)


# ----- relu forward -------------------------------------------------------------------
# NumPy's maximum against a scalar 0 takes its strided (non-SIMD) loop: this one is
# about 15% faster on a (300, 64) float64 array and gives the same bits (a NaN kept
# with its payload, -0.0 made +0.0, as np.maximum(x, 0) does).


@_kernel(nogil=True)
def _relu_fwd(x, out, zero):
    for i in range(x.size):
        v = x[i]
        out[i] = v if (v > zero or v != v) else zero


def relu(x, out=None):
    if out is None:
        out = np.empty_like(x)
    _in_parts(_relu_fwd, (x.reshape(-1), out.reshape(-1)), (x.dtype.type(0),))
    return out


@_kernel()
def sum_rows(x, out):
    """``np.add.reduce(x, 0, out=out)`` of a C-contiguous (N, C) array with C >= 2 (a
    bias's gradient), bit for bit: NumPy adds the rows in order into a zeroed row (a
    sum along an outer axis), and so does this loop; LLVM vectorizes it across the
    columns, never along a sum (no fastmath).  One call, where NumPy's inner loop is
    called once per row.  (``out`` is NumPy's: an array made here would have Numba's
    memory record as its base, and a .grad takes only arrays of their own uncopied.)"""
    zero = out.dtype.type(0)
    for j in range(x.shape[1]):
        out[j] = zero
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[j] += x[i, j]
