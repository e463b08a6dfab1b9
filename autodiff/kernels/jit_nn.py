"""Numba kernels for the nn ops (erf, GELU, layer norm), loaded with ``jit``.

Same conventions as ``jit``: float32/float64 C-contiguous arrays already checked by
the dispatcher, serial loops, results matching ``numpy_twins_nn``.  ``math.erf`` and
``math.exp`` are libm calls (accurate to an ulp, not vectorized); each kernel makes
one pass over its arrays, which is what beats the many passes of the NumPy forms.
Arithmetic is in float64 whatever the array dtype, then rounded once on store.
"""

from __future__ import annotations

import math

import numpy as np

from .jit import _kernel

_MATH = {"contract"}
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_TANH_C = math.sqrt(2.0 / math.pi)
_TANH_K = 0.044715


@_kernel()
def _erf_fwd(x, out):
    for i in range(x.size):
        out[i] = math.erf(x[i])


@_kernel(fastmath=_MATH)
def _erf_bwd(g, x, out):
    for i in range(g.size):
        v = float(x[i])
        out[i] = g[i] * (_TWO_OVER_SQRT_PI * math.exp(-v * v))


@_kernel(fastmath=_MATH)
def _gelu_fwd(x, out):
    for i in range(x.size):
        v = float(x[i])
        out[i] = v * (0.5 + 0.5 * math.erf(v * _SQRT_HALF))


@_kernel(fastmath=_MATH)
def _gelu_bwd(g, x, out):
    for i in range(g.size):
        v = float(x[i])
        cdf = 0.5 + 0.5 * math.erf(v * _SQRT_HALF)
        out[i] = g[i] * (cdf + v * (_INV_SQRT_2PI * math.exp(-0.5 * v * v)))


@_kernel(fastmath=_MATH)
def _gelu_tanh_fwd(x, out):
    for i in range(x.size):
        v = float(x[i])
        out[i] = 0.5 * v * (1.0 + math.tanh(_TANH_C * (v + _TANH_K * v * v * v)))


@_kernel(fastmath=_MATH)
def _gelu_tanh_bwd(g, x, out):
    for i in range(g.size):
        v = float(x[i])
        v2 = v * v
        t = math.tanh(_TANH_C * (v + _TANH_K * v2 * v))
        dinner = _TANH_C * (1.0 + 3.0 * _TANH_K * v2)
        out[i] = g[i] * (0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * dinner)


@_kernel(fastmath=_MATH)
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


@_kernel(fastmath=_MATH)
def _layer_norm_bwd(g, x, mean, rstd, weight, grad_x, grad_weight, grad_bias, affine):
    n, d = x.shape
    for i in range(n):
        row, grow, out = x[i], g[i], grad_x[i]
        mu, r = mean[i], rstd[i]
        sum_g = 0.0
        sum_gx = 0.0
        for j in range(d):
            xhat = (row[j] - mu) * r
            gj = grow[j]
            grad_weight[j] += gj * xhat
            grad_bias[j] += gj
            gh = gj * weight[j] if affine else gj
            sum_g += gh
            sum_gx += gh * xhat
        a = sum_g / d
        b = sum_gx / d
        for j in range(d):
            xhat = (row[j] - mu) * r
            gh = grow[j] * weight[j] if affine else grow[j]
            out[j] = r * (gh - a - xhat * b)


def _flat(kernel, x):
    out = np.empty_like(x)
    kernel(x.reshape(-1), out.reshape(-1))
    return out


def _flat_pair(kernel, g, x):
    out = np.empty_like(g)
    kernel(g.reshape(-1), x.reshape(-1), out.reshape(-1))
    return out


def erf(x):
    return _flat(_erf_fwd, x)


def erf_backward(g, x):
    return _flat_pair(_erf_bwd, g, x)


def gelu(x, approximate="none"):
    return _flat(_gelu_tanh_fwd if approximate == "tanh" else _gelu_fwd, x)


def gelu_backward(g, x, approximate="none"):
    return _flat_pair(_gelu_tanh_bwd if approximate == "tanh" else _gelu_bwd, g, x)


def layer_norm(x, weight, bias, eps):
    n, d = x.shape
    y = np.empty_like(x)
    mean = np.empty(n, np.float64)
    rstd = np.empty(n, np.float64)
    affine = weight is not None
    dummy = np.empty(0, x.dtype)
    _layer_norm_fwd(x, weight if affine else dummy, bias if affine else dummy, y, mean, rstd,
                    float(eps), affine)
    return y, mean, rstd


def layer_norm_backward(g, x, mean, rstd, weight):
    d = x.shape[1]
    affine = weight is not None
    grad_x = np.empty_like(x)
    grad_weight = np.zeros(d, np.float64)
    grad_bias = np.zeros(d, np.float64)
    _layer_norm_bwd(g, x, mean, rstd, weight if affine else np.empty(0, x.dtype), grad_x,
                    grad_weight, grad_bias, affine)
    return grad_x, grad_weight.astype(x.dtype), grad_bias.astype(x.dtype)
