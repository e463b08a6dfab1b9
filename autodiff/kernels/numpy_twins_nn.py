"""Pure-NumPy versions of the nn kernels (erf, GELU, layer norm): the reference the
JIT kernels in ``jit_nn`` must match.

``erf`` is evaluated from Chebyshev series fitted to ``math.erf`` / ``math.erfc`` in
double precision (the constants below): ``erf(x) = x * S(x**2)`` for ``|x| < 1``, and
``erf(x) = sign(x) * (1 - exp(-x**2) * R_k(|x|))`` on [1, 2), [2, 3.5), [3.5, 6), where
``R(x) = erfc(x) * exp(x**2)`` is smooth; beyond 6, erf is ±1 in float64.  Measured
against ``math.erf`` on a dense grid: within 4 ulp.  (The compiled GELU computes
the normal CDF differently, see ``jit_nn``; the two agree to about 1e-13 relative.)
"""

from __future__ import annotations

import math

import numpy as np

_ERF_SMALL = (
    0.9754769393826539, -0.14226120510371365, 0.010035582187599765,
    -0.0005768764699767463, 2.741993125218789e-05, -1.104317550731336e-06,
    3.8488755401833336e-08, -1.1808582523645012e-09, 3.233417817963855e-11,
    -7.991029185887647e-13, 1.7972306002433632e-14, -3.773451912935855e-16,
    -9.930136612989092e-18,
)
_ERFC_SCALED = (
    (1.0, 2.0, (
        0.331427281639452, -0.0850021377067432, 0.009951127341466132,
        -0.0010810888102208349, 0.00011023243631194889, -1.063683051824423e-05,
        9.775012680548434e-07, -8.597922867339083e-08, 7.267708402765008e-09,
        -5.923543885163793e-10, 4.6683936521125916e-11, -3.5661181080591022e-12,
        2.645934551214008e-13, -1.91204780483105e-14, 1.335603374447033e-15,
    )),
    (2.0, 3.5, (
        0.19943078169681194, -0.049380025359927374, 0.0058404963818926925,
        -0.0006632226933017996, 7.25917893551171e-05, -7.682952765979702e-06,
        7.883915794790782e-07, -7.861599624105926e-08, 7.632681898740243e-09,
        -7.22722103865322e-10, 6.683957251226841e-11, -6.0454654797252045e-12,
        5.353808133741495e-13, -4.647770878607934e-14, 3.967137221993865e-15,
        -3.2461516308944236e-16, 3.336151536689612e-17, 0.0,
        9.930136612989092e-18,
    )),
    (3.5, 6.0, (
        0.12011119518612726, -0.03077508367843979, 0.0038653971628057394,
        -0.0004764955310463019, 5.770371528145826e-05, -6.8706380375262045e-06,
        8.049536979277067e-07, -9.285957123012599e-08, 1.055453757917291e-08,
        -1.1826608010876273e-09, 1.3071368569849918e-10, -1.4257239802648098e-11,
        1.5353243165291732e-12, -1.6331705161609197e-13, 1.715894131154382e-14,
        -1.7801199267967828e-15, 1.8562497141807215e-16, -9.930136612989092e-18,
        7.447602459741818e-18,
    )),
)

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_C = math.sqrt(2.0 / math.pi)
_TANH_K = 0.044715


def _chebyshev(t, coeffs):
    """sum c_k T_k(t) by Clenshaw's recurrence (t in [-1, 1])."""
    b1 = np.zeros_like(t)
    b2 = np.zeros_like(t)
    t2 = 2.0 * t
    for c in coeffs[:0:-1]:
        b1, b2 = t2 * b1 - b2 + c, b1
    return t * b1 - b2 + coeffs[0]


def erf(x):
    """The error function, float64-accurate; float32 in gives float32 out."""
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    v = x.astype(np.float64)
    a = np.abs(v)
    out = np.where(np.isnan(v), v, np.sign(v))      # |x| >= 6 (and ±inf): ±1
    small = a < 1.0
    if small.any():
        s = v[small]
        out[small] = s * _chebyshev(2.0 * s * s - 1.0, _ERF_SMALL)
    for lo, hi, coeffs in _ERFC_SCALED:
        sel = (a >= lo) & (a < hi)
        if sel.any():
            s = a[sel]
            t = (2.0 * s - (lo + hi)) / (hi - lo)
            out[sel] = np.copysign(1.0 - np.exp(-s * s) * _chebyshev(t, coeffs), v[sel])
    return out.astype(dtype, copy=False)


def erf_backward(g, x):
    """g * 2/sqrt(pi) * exp(-x**2)."""
    return g * ((2.0 / math.sqrt(math.pi)) * np.exp(-(x * x)))


def gelu(x, approximate="none"):
    """x * Phi(x) (exact, via erf) or PyTorch's tanh approximation."""
    if approximate == "tanh":
        v = _wide(x)
        one_plus_t = _one_plus_tanh(_TANH_C * (v + _TANH_K * (v * v * v)))
        return (0.5 * v * one_plus_t).astype(x.dtype, copy=False)
    v = _wide(x)                    # 1 + erf(x / sqrt 2) cancels for x < -3
    return (v * (0.5 * (1.0 + erf(v * _SQRT_HALF)))).astype(x.dtype, copy=False)


def _wide(x):
    """``x`` in float64 when it is a narrower float (the compiled kernels compute so)."""
    return x.astype(np.float64) if x.dtype.kind == "f" and x.dtype.itemsize < 8 else x


def _one_plus_tanh(a):
    """``1 + tanh(a)`` as ``2 / (1 + exp(-2a))``: for a < -2 the sum of nearly opposite
    numbers would lose the value's leading digits (all of them in float32 from a < -9)."""
    with np.errstate(over="ignore"):
        return 2.0 / (1.0 + np.exp(-2.0 * a))


def gelu_backward(g, x, ans=None, approximate="none"):
    """g * d gelu / dx: Phi(x) + x phi(x), or the derivative of the tanh form (``ans``,
    the forward's output, is not needed here: Phi is evaluated again)."""
    if approximate == "tanh":
        v = _wide(x)
        v2 = v * v
        one_plus_t = _one_plus_tanh(_TANH_C * (v + _TANH_K * v2 * v))
        dinner = _TANH_C * (1.0 + 3.0 * _TANH_K * v2)
        slope = 0.5 * one_plus_t + 0.5 * v * ((2.0 - one_plus_t) * one_plus_t) * dinner
        return (g * slope).astype(np.result_type(g, x), copy=False)
    v = _wide(x)
    cdf = 0.5 * (1.0 + erf(v * _SQRT_HALF))
    slope = cdf + v * (_INV_SQRT_2PI * np.exp(-0.5 * (v * v)))
    return (g * slope).astype(np.result_type(g, x), copy=False)


def layer_norm(x, weight, bias, eps):
    """Normalise each row of a 2-d x; returns (y, mean, rstd) with mean, rstd per row."""
    mean = x.mean(axis=1, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    y = centered * rstd
    if weight is not None:
        y *= weight
    if bias is not None:
        y += bias
    return y.astype(x.dtype, copy=False), mean[:, 0], rstd[:, 0]


def layer_norm_backward(g, x, mean, rstd, weight):
    """Gradients (x, weight, bias) of layer_norm for a 2-d x, in one pass over g."""
    xhat = (x - mean[:, None]) * rstd[:, None]
    grad_weight = (g * xhat).sum(axis=0)
    grad_bias = g.sum(axis=0)
    gxhat = g * weight if weight is not None else g
    n = x.shape[1]
    grad_x = rstd[:, None] * (gxhat - gxhat.sum(axis=1, keepdims=True) / n
                              - xhat * ((gxhat * xhat).sum(axis=1, keepdims=True) / n))
    return grad_x.astype(x.dtype, copy=False), grad_weight, grad_bias
