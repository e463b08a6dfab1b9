"""``np.i0``, the modified Bessel function of order 0, with its derivatives.

``I0' = I1`` and ``I1' = I0 - I1 / x``, so three ops serve every order: ``i0``
(NumPy's own values), ``bessel_i1`` and ``bessel_i1_over_x`` (``I1(x) / x``, even and
equal to 1/2 at 0, so the derivative of ``I1`` needs no division at 0), which takes
the order of its own derivative (``derivative=``, whose rule is the next one).

``I1`` is evaluated on the two intervals NumPy's ``I0`` uses: up to |x| = 8 by its
power series, whose terms are all positive (nothing cancels), beyond by a Chebyshev
series of ``exp(-x) sqrt(x) I1(x)`` in ``t = 16 / x - 1``, whose coefficients below
were computed with mpmath at 40 digits (60 Chebyshev nodes, kept down to 1e-19 of
the leading one).  Measured against 50-digit values on [-700, 700]: ``I1`` within
3 ulp, ``I1 / x`` within 4, its first four derivatives within 3, 4, 5 and 7
(``tests/test_bessel.py`` keeps some of those values).
"""

from __future__ import annotations

import math

import numpy as np

from ..kernels.numpy_twins_nn import _chebyshev
from ..kernels.special_math import as_float64
from .define import defop

#: I1(x) / x = 1/2 sum (x**2 / 4)**k / (k! (k + 1)!): positive terms, summed by Horner
#: (30 terms reach 1e-17 of the sum at |x| = 8).
_SERIES = tuple(1.0 / (math.factorial(k) * math.factorial(k + 1)) for k in range(32))[::-1]

_SQRT_X_I1_LARGE = (
    0.38928811750914006, -0.0097610974913614684, -0.00011058893876262372,
    -3.8825648088776904e-6, -2.5122362378702089e-7, -2.6314688468895195e-8,
    -3.835380385964237e-9, -5.5897434621965838e-10, -1.8974958123505412e-11,
    3.2526035830154882e-11, 1.4125807436613781e-11, 2.0356285441470895e-12,
    -7.1985517762459085e-13, -4.0835511110921973e-13, -2.1015418427726643e-14,
    4.2724400167119514e-14, 1.0420276984128803e-14, -3.8144030724370078e-15,
    -1.8803547755107824e-15, 3.3082023109209283e-16, 2.9626289976459501e-16,
    -3.209525921993424e-17, -4.6503053684893583e-17, 4.4143483230717079e-18,
    7.5172963108421048e-18, -9.3141788673268834e-19, -1.242193275194891e-18,
    2.4142767194548485e-19, 2.0269443840532852e-19, -6.3942671882690978e-20,
)


def _float(x):
    """``x`` as a flat float64 array, the dtype to return and the shape."""
    values, dtype = as_float64(x)
    return values.reshape(-1), dtype, values.shape


def _series(a):
    """``I1(a) / a`` for ``a <= 8`` by its power series."""
    y = 0.25 * (a * a)
    total = np.zeros_like(y)
    for c in _SERIES:
        total = total * y + c
    return 0.5 * total


def _scaled_large(a):
    """``I1(a) / exp(a)`` times ``exp(a / 2)``, for ``a > 8``: one more factor
    ``exp(a / 2)`` gives ``I1(a)`` without overflowing before it does."""
    series = _chebyshev(16.0 / a - 1.0, _SQRT_X_I1_LARGE)
    return series * np.exp(0.5 * a) / np.sqrt(a)


def i1_values(x):
    """``I1(x)`` (odd in x).

    >>> i1_values(np.array([0.0, 1.0, -1.0]))
    array([ 0.       ,  0.5651591, -0.5651591])
    """
    v, dtype, shape = _float(x)
    a = np.abs(v)
    out = np.empty_like(a)
    small = a <= 8.0
    out[small] = a[small] * _series(a[small])
    large = ~small
    if large.any():
        with np.errstate(over="ignore", invalid="ignore"):
            half = _scaled_large(a[large])
            out[large] = half * np.exp(0.5 * a[large])
        out[np.isinf(a)] = np.inf
    out = np.copysign(out, v)
    out[np.isnan(v)] = np.nan
    return out.reshape(shape).astype(dtype, copy=False)


def _series_derivative(a, n):
    """The n-th derivative of ``I1(a) / a`` for ``0 <= a <= 8``, term by term:
    ``sum_k c_k (2k)! / (2k - n)! a**(2k - n)`` with ``c_k = 1 / (2 4**k k! (k+1)!)``,
    every term positive (nothing cancels)."""
    y = a * a
    total = np.zeros_like(a)
    first = (n + 1) // 2                        # the first k with 2k >= n
    for k in range(len(_SERIES) + first - 1, first - 1, -1):
        c = math.perm(2 * k, n) / (2.0 * 4.0 ** k * math.factorial(k) * math.factorial(k + 1))
        total = total * y + c
    return total * a if n % 2 else total


def i1_over_x_values(x, derivative=0):
    """``I1(x) / x`` (even in x, 1/2 at 0), or its ``derivative``-th derivative.

    Up to |x| = 8 from the power series; beyond, from ``I1 / x`` and ``I0`` by the
    recurrence ``q(m+1) = (I0(m) - (m + 2) q(m)) / x``, where ``I0(m)``, ``I0``'s m-th
    derivative, is ``x q(m-1) + (m - 1) q(m-2)`` (``x q`` for m = 1).

    >>> i1_over_x_values(np.array([0.0, 2.0]))
    array([0.5       , 0.79531843])
    >>> i1_over_x_values(np.array([0.0, 1.0]), derivative=1)
    array([0.        , 0.13574767])
    """
    if isinstance(derivative, (bool, np.bool_)) or not isinstance(derivative, (int, np.integer)) \
            or derivative < 0:
        raise ValueError(f"bessel_i1_over_x: derivative must be an integer >= 0 (the order "
                         f"of the derivative of I1(x) / x), got {derivative!r}")
    n = int(derivative)
    v, dtype, shape = _float(x)
    a = np.abs(v)
    out = np.empty_like(a)
    small = a <= 8.0
    out[small] = _series_derivative(a[small], n)
    large = ~small
    if large.any():
        b = a[large]
        with np.errstate(over="ignore", invalid="ignore"):
            q = [_scaled_large(b) / b * np.exp(0.5 * b)]     # q(0) = I1 / x
            i0_derivative = np.i0(b)                          # I0(0)
            for m in range(n):
                q.append((i0_derivative - (m + 2) * q[m]) / b)
                i0_derivative = b * q[m] + (m * q[m - 1] if m >= 1 else 0.0)   # I0(m+1)
            out[large] = q[n]
        out[np.isinf(a)] = np.inf
    if n % 2:
        out = np.copysign(out, v)               # odd derivatives of an even function
    out[np.isnan(v)] = np.nan
    return out.reshape(shape).astype(dtype, copy=False)


def _i0_forward(x):
    x = np.asarray(x)
    out = np.i0(x)
    return out.astype(x.dtype, copy=False) if x.dtype.kind == "f" else out


i0 = defop(
    "i0", _i0_forward, numpy=np.i0,
    doc="The modified Bessel function of the first kind, order 0 (``np.i0``); its\n"
        "derivative is ``I1``.\n\n"
        ">>> x = ad.tensor([0.0, 1.0], requires_grad=True)\n"
        ">>> y = np.i0(x); y.sum().backward(); y, x.grad\n"
        "(tensor([1.        , 1.26606588], requires_grad=True), array([0.       , 0.5651591]))",
    x=("g * I1(x)", lambda xp, g, ans, x: g * xp.bessel_i1(x)), elementwise=True)

bessel_i1 = defop(
    "bessel_i1", i1_values,
    doc="The modified Bessel function of the first kind, order 1 (the derivative of\n"
        "``np.i0``).\n\n"
        ">>> ad.bessel_i1(ad.tensor([1.0]))\ntensor([0.5651591])",
    x=("g * (I0(x) - I1(x) / x)",
       lambda xp, g, ans, x: g * (xp.i0(x) - xp.bessel_i1_over_x(x))), elementwise=True)

bessel_i1_over_x = defop(
    "bessel_i1_over_x", i1_over_x_values,
    doc="``I1(x) / x``, 1/2 at 0, or its ``derivative``-th derivative (the derivatives\n"
        "of ``bessel_i1`` and of ``np.i0`` use it, to any order).\n\n"
        ">>> ad.bessel_i1_over_x(ad.tensor([0.0, 1.0]), derivative=1)\n"
        "tensor([0.        , 0.13574767])",
    x=("g * (d/dx)^(derivative + 1) (I1(x) / x)",
       lambda xp, g, ans, x, derivative=0: g * xp.bessel_i1_over_x(x, derivative=derivative + 1)),
    derivative=None, elementwise=True)
