"""The regularized incomplete gamma functions ``P(a, x)`` (``gammainc``) and
``Q(a, x) = 1 - P(a, x)`` (``gammaincc``) on ndarrays, with PyTorch's values at the
edges (NaN for a < 0, x < 0 and a = x = 0 or a = x = inf; P(0, x > 0) = 1).

Below ``x = a + 1`` P by its power series ``x**a e**-x / Gamma(a + 1) sum x**k /
((a + 1) ... (a + k))``, above Q by Legendre's continued fraction (modified Lentz);
the other one is 1 minus it, but for Q at a <= 1/2 and x < 1.1 (P near 1 there), its
own series (Cephes' ``igamc_series``).  The prefactor ``x**a e**-x / Gamma(a)`` is
``a**a e**-a / Gamma(a)`` (Stirling's series, after the recurrence up to a >= 10) times
``exp(a (log1p(t) - t))``, t = (x - a) / a, whose exponent is small near x = a: no
large terms cancel.
"""

from __future__ import annotations

import numpy as np

from .special_math import (_STIRLING, _horner, _lgamma_taylor, _quiet, as_float64,
                           float_result_dtype)

_EPS = 2.0 ** -53
_TINY = 1e-300
_MAX_TERMS = 100_000


_STIRLING_FROM = 10.0
#: log1p(t) - t = sum_{k>=2} (-1)**(k+1) t**k / k for |t| < 1/4 (28 terms reach 1e-18)
_LOG1PMX_SERIES = tuple((-1.0) ** (k + 1) / k for k in range(2, 30))


def _log_ratio_minus(x, a):
    """log(x / a) - (x - a) / a, accurate where x is near a (a series in t = (x - a) / a,
    about -t**2 / 2) and where x is far below a (log of the ratio, not of 1 + t)."""
    t = (x - a) / a
    small = np.abs(t) < 0.25
    s = np.where(small, t, 0.0)
    total = np.zeros_like(s)
    for c in _LOG1PMX_SERIES[::-1]:
        total = total * s + c
    return np.where(small, total * s * s, np.log(x / a) - t)


def _stirling_correction(b):
    """lgamma(b) - ((b - 1/2) log b - b + log(2 pi) / 2), for b >= 10."""
    z = 1.0 / (b * b)
    total = np.zeros_like(b)
    for c in _STIRLING[::-1]:
        total = total * z + c
    return total / b


def _gamma_scale(a):
    """a**a e**-a / Gamma(a), from Stirling's series at b = a + n >= 10 and the
    recurrence Gamma(a) = Gamma(b) / (a (a + 1) ... (b - 1))."""
    steps = np.where(a < _STIRLING_FROM, np.ceil(_STIRLING_FROM - a), 0.0)
    b = a + steps
    scale = np.sqrt(b / (2.0 * np.pi)) * np.exp(-_stirling_correction(b))
    ratio = np.ones_like(a)
    for j in range(int(steps.max()) if steps.size else 0):
        ratio = np.where(j < steps, ratio * ((a + j) / b), ratio)
    return scale * np.exp(steps) * np.exp(a * np.log(a / b)) * ratio


def _prefactor(a, x):
    """x**a e**-x / Gamma(a) = (a**a e**-a / Gamma(a)) exp(a (log(1 + t) - t)) with
    t = (x - a) / a: the exponent is computed small where x is near a."""
    return _gamma_scale(a) * np.exp(a * _log_ratio_minus(x, a))


def _lower_series(a, x):
    """P(a, x) by the power series (x < a + 1)."""
    term = np.ones_like(a)
    total = np.ones_like(a)
    active = np.arange(a.size)
    k = 0
    while active.size and k < _MAX_TERMS:
        k += 1
        term[active] = term[active] * x[active] / (a[active] + k)
        total[active] += term[active]
        active = active[np.abs(term[active]) > _EPS / 4 * total[active]]
    return _prefactor(a, x) / a * total


def _upper_series(a, x):
    """Q(a, x) for a <= 1/2 and x < 1.1, where ``1 - P`` would lose Q's digits (P near
    1): Cephes' ``igamc_series``, ``Q = -expm1(a log x - lgamma(1 + a)) - a x**a /
    Gamma(1 + a) sum((-x)**n / (n! (a + n)) for n >= 1)``, lgamma(1 + a) by its Taylor
    series (1 + a is not rounded)."""
    factor = np.ones_like(a)
    total = np.zeros_like(a)
    active = np.arange(a.size)
    n = 0
    while active.size and n < _MAX_TERMS:
        n += 1
        factor[active] *= -x[active] / n
        term = factor[active] / (a[active] + n)
        total[active] += term
        active = active[np.abs(term) > _EPS / 4 * np.abs(total[active])]
    log_scaled = a * np.log(x) - _horner(_lgamma_taylor(1.0), a)
    return -np.expm1(log_scaled) - a * np.exp(log_scaled) * total


def _upper_fraction(a, x):
    """Q(a, x) by the continued fraction (x >= a + 1), modified Lentz."""
    b = x + 1.0 - a
    c = np.full_like(a, 1.0 / _TINY)
    d = 1.0 / b
    h = d.copy()
    active = np.arange(a.size)
    k = 0
    while active.size and k < _MAX_TERMS:
        k += 1
        an = -k * (k - a[active])
        b[active] += 2.0
        d_new = an * d[active] + b[active]
        d_new = np.where(np.abs(d_new) < _TINY, _TINY, d_new)
        c_new = b[active] + an / c[active]
        c_new = np.where(np.abs(c_new) < _TINY, _TINY, c_new)
        d[active] = 1.0 / d_new
        c[active] = c_new
        delta = d[active] * c_new
        h[active] *= delta
        active = active[np.abs(delta - 1.0) > _EPS / 4]
    return _prefactor(a, x) * h


def _both(a, x):
    """(P, Q) on float64 arrays broadcast together, flat."""
    p = np.full(a.shape, np.nan)
    q = np.full(a.shape, np.nan)
    valid = (a >= 0) & (x >= 0)
    edge = valid & ((x == 0) | (a == 0) | np.isinf(a) | np.isinf(x))
    lower_edge = edge & ((x == 0) | (np.isinf(a) & np.isfinite(x))) & (a > 0)
    upper_edge = edge & ((a == 0) | (np.isinf(x) & np.isfinite(a))) & (x > 0)
    p[lower_edge], q[lower_edge] = 0.0, 1.0
    p[upper_edge], q[upper_edge] = 1.0, 0.0
    inside = valid & ~edge
    series = inside & (x < a + 1.0)
    fraction = inside & ~series
    if series.any():
        p[series] = _lower_series(a[series], x[series])
        q[series] = 1.0 - p[series]
        # Cephes' choice of where Q by its own series is the better one (P > 1/2
        # there, so 1 - Q keeps P's digits, and P + Q stays 1 to an ulp)
        near_one = series & (a <= 0.5) & (x < 1.1) & np.where(
            x < 0.5, a <= -0.4 / np.log(np.where(x < 0.5, x, 0.5)), a <= 1.1 * x)
        if near_one.any():
            q[near_one] = _upper_series(a[near_one], x[near_one])
            p[near_one] = 1.0 - q[near_one]
    if fraction.any():
        q[fraction] = _upper_fraction(a[fraction], x[fraction])
        p[fraction] = 1.0 - q[fraction]
    return p, q


def _evaluate(a, x, which):
    dtype = float_result_dtype(a, x)
    a, _ = as_float64(a)
    x, _ = as_float64(x)
    a, x = np.broadcast_arrays(a, x)
    shape = a.shape
    p, q = _both(a.ravel().copy(), x.ravel().copy())
    return (p if which == "p" else q).reshape(shape).astype(dtype, copy=False)


@_quiet
def gammainc(a, x):
    """The regularized lower incomplete gamma function P(a, x).

    >>> gammainc(np.array([1.0, 2.0]), np.array([1.0, 3.0]))    # 1 - 1/e, 1 - 4/e**3
    array([0.63212056, 0.80085173])
    """
    return _evaluate(a, x, "p")


@_quiet
def gammaincc(a, x):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x).

    >>> gammaincc(np.array([1.0, 2.0]), np.array([1.0, 3.0]))   # 1/e, 4/e**3
    array([0.36787944, 0.19914827])
    """
    return _evaluate(a, x, "q")
