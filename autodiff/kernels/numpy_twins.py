"""Pure-NumPy versions of every kernel: the reference the JIT kernels must match."""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) without overflow for any finite x."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_derivative(x: np.ndarray) -> np.ndarray:
    """sigmoid'(x) = s (1 - s) as e / (1 + e)**2, e = exp(-|x|): from x, not from
    s = sigmoid(x), whose 1 - s has no correct digit where s rounds to 1 (x > 37 in
    float64)."""
    e = np.exp(-np.abs(x))
    inv = 1 / (1 + e)
    return e * inv * inv


def sigmoid_backward(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    return g * sigmoid_derivative(x)


def tanh_derivative(x: np.ndarray) -> np.ndarray:
    """tanh'(x) = 1 - tanh(x)**2 as 4e / (1 + e)**2, e = exp(-2|x|): 1 - t*t cancels as
    |t| nears 1 (at x = 5, 1.3e3 ulp off in float64; 0 for x > 19).  (``ad.compile``'s
    fused loops are generated from these formulas: their exp vectorizes, where a
    sech(x)**2 through cosh, as accurate in fewer NumPy calls, made a fused loop 4x
    slower.)"""
    e = np.exp(-2 * np.abs(x))
    d = 1 + e
    return (4 * e) / (d * d)


def tanh_backward(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    return g * tanh_derivative(x)


def tanh_backward_few_calls(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``tanh_backward`` as g / cosh(x)**2 in four to six NumPy calls instead of eight,
    for small arrays the kernels do not take (mixed dtypes, strided views), where each
    call costs more than its work.
    float64: 3 ulp at most, as ``tanh_backward``; float32 through a float64 cosh: 0.5
    ulp.  (Fused loops keep ``tanh_derivative``'s formula: its exp vectorizes, cosh
    does not.)  |x| is capped where the result is already 0, so cosh cannot overflow.

    >>> tanh_backward_few_calls(np.ones(2), np.array([0.0, 20.0]))
    array([1.0000000e+00, 1.6993417e-17])
    """
    if x.dtype == np.float32 and g.dtype == np.float32:
        c = np.cosh(np.minimum(np.abs(x), 100.0), dtype=np.float64)    # 4 e^-200 < f32's least
        return (g / (c * c)).astype(np.float32)
    c = np.cosh(np.minimum(np.abs(x), 400.0))                       # 4 e^-800 < f64's least
    return g / c / c


def relu(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.maximum(x, 0, out=out)


def relu_backward(g: np.ndarray, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    result = np.where(x > 0, g, 0)
    if out is None:
        return result
    np.copyto(out, result)
    return out


def leaky_relu(x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    return np.where(x > 0, x, x * slope)


def leaky_relu_backward(g: np.ndarray, x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    return np.where(x > 0, g, g * slope)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    largest = np.maximum.reduce(x, axis=axis, keepdims=True)
    if not _all_finite(largest):
        with np.errstate(invalid="ignore"):
            return _softmax_shifted(x - largest, axis)
    return _softmax_shifted(x - largest, axis)


def _softmax_shifted(shifted, axis):
    e = np.exp(shifted)
    return e / np.add.reduce(e, axis=axis, keepdims=True)


def _all_finite(largest: np.ndarray) -> bool:
    """Whether every lane's largest entry is finite.  Where one is not (a lane of
    only -inf, or holding +inf), ``x - largest`` meets inf - inf and the result there
    is NaN, as PyTorch's; only that case quiets NumPy's "invalid value" warning, so
    the usual call pays for this one check and no ``np.errstate``.

    >>> _all_finite(np.array([[1.0], [-np.inf]]))
    False
    """
    return bool(np.logical_and.reduce(np.isfinite(largest), axis=None))


def softmax_backward(g: np.ndarray, s: np.ndarray, axis: int = -1) -> np.ndarray:
    """s * (g - sum(g * s)): the vector-Jacobian product of softmax."""
    return s * (g - np.sum(g * s, axis=axis, keepdims=True))


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # (the ufuncs' reduce methods: np.max's and np.sum's values, without their wrappers)
    largest = np.maximum.reduce(x, axis=axis, keepdims=True)
    if not _all_finite(largest):
        with np.errstate(invalid="ignore"):
            return _log_softmax_shifted(x - largest, axis)
    return _log_softmax_shifted(x - largest, axis)


def _log_softmax_shifted(shifted, axis):
    return shifted - np.log(np.add.reduce(np.exp(shifted), axis=axis, keepdims=True))


def log_softmax_backward(g: np.ndarray, ans: np.ndarray, axis: int = -1) -> np.ndarray:
    """g - softmax * sum(g), with softmax = exp(ans)."""
    return g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)


def largest_as_unsigned(target: np.ndarray):
    """The largest integer target read as unsigned: a negative one becomes the largest,
    so one pass tells whether every target is in ``range(classes)``.

    >>> int(largest_as_unsigned(np.array([3, 0]))), bool(largest_as_unsigned(np.array([-1])) > 9)
    (3, True)
    """
    if target.dtype.kind == "u":
        return target.max()
    return target.view(_UNSIGNED[target.dtype.itemsize]).max()


_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def _check_classes(target, classes):
    """IndexError for a target outside ``range(classes)``, as the compiled kernels
    (NumPy's indexing would take -1 as the last class)."""
    if target.size and largest_as_unsigned(target) >= classes:
        row = int(np.argmax((target < 0) | (target >= classes)))
        raise IndexError(f"cross_entropy: target {target[row]} in row {row} is out of "
                         f"range for {classes} classes")


def cross_entropy_loss(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Mean cross-entropy of (N, C) logits against integer targets."""
    _check_classes(target, logits.shape[-1])
    logp = log_softmax(logits, axis=-1)
    n = logits.shape[0]
    return _mean_loss(logp[np.arange(n), target], n, logits.dtype)


def _mean_loss(picked, n, dtype):
    """``-np.mean(picked)`` as a ``dtype`` array (NaN when empty); for float32 and
    float64, np.mean's own two steps (sum, then divide by the count) without its wrapper."""
    if not n:
        return np.array(np.nan, dtype)
    if dtype.kind == "f" and dtype.itemsize >= 4:
        return np.asarray(-(np.add.reduce(picked) / n), dtype=dtype)
    return np.asarray(-np.mean(picked), dtype=dtype)    # (float16 sums in float32)


def cross_entropy(logits: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean cross-entropy and its gradient (softmax(logits) - onehot(target)) / N."""
    _check_classes(target, logits.shape[-1])
    logp = log_softmax(logits, axis=-1)
    n = logits.shape[0]
    rows = np.arange(n)
    loss = _mean_loss(logp[rows, target], n, logits.dtype)
    grad = np.exp(logp)
    grad[rows, target] -= 1
    grad *= logits.dtype.type(1 / n) if n else 0
    return loss, grad


def scatter_add(out: np.ndarray, key, values: np.ndarray) -> np.ndarray:
    """out[key] += values, accumulating repeated indices (np.add.at semantics)."""
    np.add.at(out, key, values)
    return out


def col2im(cols, padded_shape, stride, dilation):
    """Sum the (G, N, Ho, Wo, kh, kw, Cg) columns into zeros of ``padded_shape``
    (N, Hp, Wp, G, Cg): one strided add per kernel offset."""
    out = np.zeros(padded_shape, dtype=cols.dtype)
    ho, wo, kh, kw = cols.shape[2:6]
    (sh, sw), (dh, dw) = stride, dilation
    moved = np.moveaxis(cols, 0, -2)            # (N, Ho, Wo, kh, kw, G, Cg)
    for i in range(kh):
        for j in range(kw):
            out[:, i * dh:i * dh + sh * (ho - 1) + 1:sh,
                j * dw:j * dw + sw * (wo - 1) + 1:sw] += moved[:, :, :, i, j]
    return out


def max_pool2d(x, out_hw, kernel, stride, padding, dilation):
    """Window maxima of (N, C, H, W) ``x`` and the flat in-plane index (h * W + w) of
    each: the first maximum in row-major window order, or the first NaN."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    ho, wo = out_hw
    # Pad with -inf far enough for every window (ceil mode may reach past the padding).
    need_h = (ho - 1) * sh + (kh - 1) * dh + 1
    need_w = (wo - 1) * sw + (kw - 1) * dw + 1
    fill = -np.inf
    padded = np.full((n, c, max(need_h, h + ph), max(need_w, w + pw)), fill, dtype=x.dtype)
    padded[:, :, ph:ph + h, pw:pw + w] = x
    s = padded.strides
    windows = np.lib.stride_tricks.as_strided(
        padded, (n, c, ho, wo, kh, kw), (s[0], s[1], s[2] * sh, s[3] * sw, s[2] * dh, s[3] * dw))
    flat = windows.reshape(n, c, ho, wo, kh * kw)
    nan = np.isnan(flat)
    pick = np.where(nan.any(-1), np.argmax(nan, axis=-1), np.argmax(flat, axis=-1))
    real = np.zeros(padded.shape, dtype=bool)
    real[:, :, ph:ph + h, pw:pw + w] = True
    inside = np.lib.stride_tricks.as_strided(real, windows.shape, (
        real.strides[0], real.strides[1], real.strides[2] * sh, real.strides[3] * sw,
        real.strides[2] * dh, real.strides[3] * dw)).reshape(flat.shape)
    out = np.take_along_axis(flat, pick[..., None], -1)[..., 0]
    # A window whose real values are all -inf: the first real position (not padding).
    pick = np.where(out == -np.inf, np.argmax(inside, axis=-1), pick)
    i, j = np.divmod(pick, kw)
    rows = np.arange(ho)[:, None] * sh - ph + i * dh
    cols = np.arange(wo)[None, :] * sw - pw + j * dw
    return out, (rows * w + cols).astype(np.int64)


def max_pool2d_backward(g, where, x_shape):
    """Zeros of ``x_shape`` with each output gradient added at its window's maximum."""
    n, c, h, w = x_shape
    planes = (np.arange(n * c) * (h * w)).reshape(n, c, 1, 1)
    total = np.bincount((where + planes).ravel(), weights=np.ravel(g), minlength=n * c * h * w)
    return total.astype(g.dtype, copy=False).reshape(x_shape)


def lstm_cell_forward(z, c_prev, act, hc):
    """Fill ``act`` with the gates (i, f, g, o) and ``hc`` with [h, c] for one LSTM step."""
    hidden = c_prev.shape[1]
    act[:, :2 * hidden] = sigmoid(z[:, :2 * hidden])
    act[:, 2 * hidden:3 * hidden] = np.tanh(z[:, 2 * hidden:3 * hidden])
    act[:, 3 * hidden:] = sigmoid(z[:, 3 * hidden:])
    i, f, g, o = (act[:, k * hidden:(k + 1) * hidden] for k in range(4))
    c = f * c_prev + i * g
    hc[:, :hidden] = o * np.tanh(c)
    hc[:, hidden:] = c


def lstm_cell_backward(gh, gc, dh_next, dc_next, act, c_now, c_prev, dz, dc_prev):
    """Fill ``dz`` (the pre-activation gradient) and ``dc_prev`` for one LSTM step."""
    hidden = c_prev.shape[1]
    i, f, g, o = (act[:, k * hidden:(k + 1) * hidden] for k in range(4))
    tc = np.tanh(c_now)
    dh = gh + dh_next
    dc = gc + dc_next + dh * o * (1 - tc * tc)
    dz[:, :hidden] = dc * g * i * (1 - i)
    dz[:, hidden:2 * hidden] = dc * c_prev * f * (1 - f)
    dz[:, 2 * hidden:3 * hidden] = dc * i * (1 - g * g)
    dz[:, 3 * hidden:] = dh * tc * o * (1 - o)
    dc_prev[...] = dc * f
