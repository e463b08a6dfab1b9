"""More special functions on ndarrays, those of ``torch.special`` that
``special_math`` lacks: ndtr, log_ndtr, ndtri, erfcx, i0e, i1e, entr, xlog1py and
zeta for a real first argument.

Plain NumPy, computed in float64; float inputs get their own dtype back, others
float64 (the library's default dtype).

* ``ndtr(x)``: ``(1 + erf(x / sqrt 2)) / 2`` near 0, ``1 - erfc(x / sqrt 2) / 2`` above,
  ``erfcx(-x / sqrt 2) exp(-x**2 / 2) / 2`` below (``x**2 / 2`` from x, exactly).
* ``erfcx(x) = exp(x**2) erfc(x)``: ``x**2`` is split into its rounded value and the
  rounding error (Dekker's product), so ``exp`` sees it exactly; from x = 26 on, where
  ``erfc`` underflows, the asymptotic series ``1 / (x sqrt pi) sum (-1)**k
  (2k - 1)!! / (2 x**2)**k``; for x < 0, ``2 exp(x**2) - erfcx(-x)``.
* ``log_ndtr(x)``: ``log(erfcx(-x / sqrt 2) / 2) - x**2 / 2`` below -1 (no underflow),
  ``log(ndtr(x))`` on [-1, 0], ``log1p(-ndtr(-x))`` above.
* ``ndtri(p)``: ``sqrt 2 erfinv(2p - 1)`` on [1/4, 3/4], where ``2p - 1`` is exact;
  in the tails four Newton steps on ``log_ndtr(x) = log(min(p, 1 - p))`` (``1 - p``
  is exact for p >= 1/2), started from Abramowitz & Stegun 26.2.23 (error < 4.5e-4).
* ``i0e(x) = exp(-|x|) I0(x)``, ``i1e(x) = exp(-|x|) I1(x)``: power series up to
  |x| = 8, beyond a Chebyshev series of ``exp(-x) sqrt(x) I(x)`` in ``t = 16 / x - 1``
  (coefficients computed with mpmath at 40 digits, 60 nodes, kept down to 1e-19 of
  the leading one), which never overflows.
* ``zeta(x, q)``: ``special_math``'s Euler–Maclaurin sum, for a real ``x``.
"""

from __future__ import annotations

import math

import numpy as np

from . import special_math
from .numpy_twins_nn import _chebyshev
from .special_math import _elementwise, _quiet, as_float64, float_result_dtype

_SQRT_HALF = math.sqrt(0.5)
_SQRT_TWO = math.sqrt(2.0)
_SQRT_PI = math.sqrt(math.pi)
_SPLIT = 134217729.0                      # 2**27 + 1, Dekker's splitting constant
_ERFCX_ASYMPTOTIC_FROM = 26.0

_SQRT_X_I0_LARGE = (
    0.40224520550705442, 0.0033691164782556941, 6.889758346916824e-5,
    2.8913705208347565e-6, 2.0489185894690637e-7, 2.2666689904981781e-8,
    3.3962320257083863e-9, 4.9406023882249696e-10, 1.1889147107846438e-11,
    -3.1499165279632414e-11, -1.3215811840447713e-11, -1.7941785315068061e-12,
    7.1801244513836662e-13, 3.8527783827421427e-13, 1.5400862175214098e-14,
    -4.1505693472872221e-14, -9.5548466988283076e-15, 3.8116806693526224e-15,
    1.7725601330565264e-15, -3.4254856196772191e-16, -2.8276239805165835e-16,
    3.4612228676974611e-17, 4.46562142029676e-17, -4.8305044859441821e-18,
    -7.233180487874754e-18, 9.9214754121736986e-19, 1.1936508908459821e-18,
    -2.4887098371508072e-19, -1.9384264541609059e-19, 6.4446566973734439e-20,
)
#: I0(x) = sum (x**2 / 4)**k / k!**2: positive terms (30 reach 1e-17 at |x| = 8).
_I0_SERIES = tuple(1.0 / math.factorial(k) ** 2 for k in range(32))[::-1]


def _unary(function):
    """``function`` on a float64 copy of ``x``, quietly, in ``x``'s float dtype."""
    @_quiet
    def run(x):
        values, dtype = as_float64(x)
        flat = values.ravel()
        out = np.asarray(function(flat), dtype=np.float64)
        out[np.isnan(flat)] = np.nan
        return out.reshape(values.shape).astype(dtype, copy=False)
    run.__name__ = function.__name__.lstrip("_")
    run.__doc__ = function.__doc__
    return run


def _erf(z):
    return _elementwise(math.erf, z)


def _erfc(z):
    return _elementwise(math.erfc, z)


# ----- normal distribution ------------------------------------------------------------

def _ndtr(x):
    """The standard normal CDF.

    >>> ndtr(np.array([0.0, -30.0]))
    array([5.00000000e-001, 4.90671393e-198])
    """
    z = x * _SQRT_HALF
    near = np.abs(z) < _SQRT_HALF
    upper = 1.0 - 0.5 * _erfc(np.where(z > 0, z, 0.0))
    out = np.where(near, 0.5 + 0.5 * _erf(np.where(near, z, 0.0)), upper)
    lower = (z < 0) & ~near
    if lower.any():
        # erfcx(-z) exp(-x**2 / 2) / 2, with x**2 / 2 from x itself: the rounding of
        # z = x / sqrt 2 would cost x**2 ulp in exp(-z**2)
        v = x[lower]
        out[lower] = 0.5 * _erfcx_positive(-z[lower]) * _exp_square(v, -0.5)
    return out


def _exp_square(x, scale=1.0):
    """``exp(scale * x**2)`` (``scale`` a power of 2) with the rounding of ``x**2``
    corrected: exp(h + l) = exp(h) (1 + l)."""
    high = x * x
    scaled = x * _SPLIT
    x_high = scaled - (scaled - x)
    x_low = x - x_high
    low = ((x_high * x_high - high) + 2.0 * x_high * x_low) + x_low * x_low
    exponent = scale * high
    return np.where(np.isinf(exponent), np.exp(exponent), np.exp(exponent) * (1.0 + scale * low))


def _erfcx_positive(a):
    """erfcx on values >= 0 (or NaN)."""
    large = a >= _ERFCX_ASYMPTOTIC_FROM
    small = np.where(large, 0.0, a)
    out = _exp_square(small) * _erfc(small)
    if large.any():
        b = a[large]
        inverse = 0.5 / (b * b)
        term = np.ones_like(b)
        total = np.ones_like(b)
        for k in range(1, 12):
            term = term * -(2 * k - 1) * inverse
            total = total + term
        out[large] = total / (b * _SQRT_PI)
    out[a == np.inf] = 0.0
    return out


def _erfcx(x):
    """The scaled complementary error function ``exp(x**2) erfc(x)``.

    >>> erfcx(np.array([0.0, 30.0, -1.0]))
    array([1.        , 0.01879589, 5.00898008])
    """
    negative = x < 0
    out = _erfcx_positive(np.abs(x))
    if negative.any():
        v = x[negative]
        out[negative] = 2.0 * _exp_square(v) - out[negative]
    return out


def _log_ndtr(x):
    """``log(ndtr(x))``, without underflow in the lower tail.

    >>> log_ndtr(np.array([0.0, -40.0]))
    array([-6.93147181e-01, -8.04608442e+02])
    """
    t = x * _SQRT_HALF
    lower = x < -1.0
    # above 0, log1p of the small upper tail; on [-1, 0] the log of ndtr itself
    safe = np.where(lower, 0.0, x)
    out = np.where(safe > 0, np.log1p(-_ndtr(-safe)), np.log(_ndtr(safe)))
    if lower.any():
        u = t[lower]
        v = x[lower]
        out[lower] = np.log(0.5 * _erfcx_positive(-u)) - 0.5 * (v * v)
    return out


# Abramowitz & Stegun 26.2.23
_AS_NUMERATOR = (2.515517, 0.802853, 0.010328)
_AS_DENOMINATOR = (1.0, 1.432788, 0.189269, 0.001308)


def _ndtri(p):
    """The inverse of ndtr: ``ndtr(ndtri(p)) == p``; ±inf at 1 and 0, NaN outside.

    >>> ndtri(np.array([0.5, 0.975, 1e-300]))
    array([  0.        ,   1.95996398, -37.0470963 ])
    """
    out = np.full(p.shape, np.nan)
    out[p == 0.0] = -np.inf
    out[p == 1.0] = np.inf
    central = (p >= 0.25) & (p <= 0.75)
    out[central] = _SQRT_TWO * special_math.erfinv(2.0 * p[central] - 1.0)
    tails = (p > 0.0) & (p < 1.0) & ~central
    if tails.any():
        q = p[tails]
        upper = q > 0.5
        small = np.where(upper, 1.0 - q, q)          # exact for q >= 1/2
        t = np.sqrt(-2.0 * np.log(small))
        x = -(t - special_math._horner(_AS_NUMERATOR, t)
              / special_math._horner(_AS_DENOMINATOR, t))
        log_small = np.log(small)
        for _ in range(4):
            # Newton on f(x) = log_ndtr(x) - log(small): no underflow, even for a
            # subnormal p; f'(x) = pdf(x) / ndtr(x) = exp(-x**2 / 2 - log_ndtr(x)) / sqrt(2 pi)
            log_cdf = _log_ndtr(x)
            slope = np.exp(-0.5 * x * x - log_cdf) / math.sqrt(2.0 * math.pi)
            x = x - (log_cdf - log_small) / slope
        out[tails] = np.where(upper, -x, x)
    return out


# ----- exponentially scaled Bessel functions ------------------------------------------

def _i0e(x):
    """``exp(-|x|) I0(x)``.

    >>> i0e(np.array([0.0, 1.0, 1000.0]))
    array([1.        , 0.46575961, 0.01261724])
    """
    a = np.abs(x)
    small = a <= 8.0
    s = np.where(small, a, 0.0)
    y = 0.25 * s * s
    total = np.zeros_like(y)
    for c in _I0_SERIES:
        total = total * y + c
    out = np.where(small, total * np.exp(-s), 0.0)
    large = ~small & ~np.isnan(a)
    if large.any():
        b = a[large]
        out[large] = _chebyshev(16.0 / b - 1.0, _SQRT_X_I0_LARGE) / np.sqrt(b)
    out[np.isnan(a)] = np.nan
    return out


def _i1e(x):
    """``exp(-|x|) I1(x)`` (odd in x).

    >>> i1e(np.array([0.0, 1.0, -1000.0]))
    array([ 0.        ,  0.20791042, -0.01261093])
    """
    from ..ops.bessel import _SQRT_X_I1_LARGE, _series
    a = np.abs(x)
    small = a <= 8.0
    s = np.where(small, a, 0.0)
    out = np.where(small, s * _series(s) * np.exp(-s), 0.0)
    large = ~small & ~np.isnan(a)
    if large.any():
        b = a[large]
        out[large] = _chebyshev(16.0 / b - 1.0, _SQRT_X_I1_LARGE) / np.sqrt(b)
    out = np.copysign(out, x)
    out[np.isnan(a)] = np.nan
    return out


# ----- entropy, xlog1py ---------------------------------------------------------------

def _entr(x):
    """The elementwise entropy ``-x log x``: 0 at 0, -inf for x < 0.

    >>> entr(np.array([0.0, 0.5, -1.0]))
    array([0.        , 0.34657359,       -inf])
    """
    positive = x > 0
    out = np.where(x == 0, 0.0, np.where(x < 0, -np.inf, np.nan))
    out[positive] = -x[positive] * np.log(x[positive])
    out[x == np.inf] = -np.inf
    return out


ndtr = _unary(_ndtr)
log_ndtr = _unary(_log_ndtr)
ndtri = _unary(_ndtri)
erfcx = _unary(_erfcx)
i0e = _unary(_i0e)
i1e = _unary(_i1e)
entr = _unary(_entr)


@_quiet
def xlog1py(x, y):
    """``x * log1p(y)``, and 0 where ``x == 0`` unless ``y`` is NaN.

    >>> xlog1py(np.array([0.0, 2.0]), np.array([-1.0, 1.0]))
    array([0.        , 1.38629436])
    """
    dtype = float_result_dtype(x, y)
    x, y = np.asarray(x), np.asarray(y)
    x64, y64 = np.broadcast_arrays(x.astype(np.float64), y.astype(np.float64))
    zero = (x64 == 0) & ~np.isnan(y64)
    out = np.where(zero, 0.0, x64 * np.log1p(np.where(zero, 0.0, y64)))
    return out.astype(dtype, copy=False)


@_quiet
def zeta(x, q):
    """The Hurwitz zeta function ``sum((q + k)**-x for k >= 0)`` for real ``x``, as
    PyTorch's ``special.zeta``: inf at x = 1 and at the non-positive integers q, NaN for
    x < 1, for a negative q with a non-integer x, and for q = +inf.

    >>> zeta(np.array([2.0, 3.5]), np.array([1.0, 2.0]))
    array([1.64493407, 0.12673387])
    """
    dtype = float_result_dtype(x, q)
    x, q = np.asarray(x), np.asarray(q)
    s, v = (a.astype(np.float64).ravel() for a in np.broadcast_arrays(x, q))
    shape = np.broadcast_shapes(x.shape, q.shape)
    out = np.full(s.shape, np.nan)
    integer_q_pole = (v <= 0) & (v == np.floor(v))
    out[(s == 1) | ((s > 1) & integer_q_pole)] = np.inf
    integer_s = s == np.floor(s)
    finite_q = np.isfinite(v)
    summed = (s > 1) & finite_q & ~integer_q_pole & ((v > 0) | integer_s)
    infinite_s = summed & (s == np.inf)
    out[infinite_s] = np.where(v[infinite_s] < 1, np.inf, np.where(v[infinite_s] == 1, 1.0, 0.0))
    summed &= ~infinite_s
    reflected = summed & (v < -100) & (s <= 64)     # (beyond, P_{s-1} grows costly)
    for order in np.unique(s[reflected]):
        at = reflected & (s == order)
        out[at] = special_math._zeta(int(order), v[at])
    summed &= ~reflected
    if summed.any():
        out[summed] = special_math._zeta_euler_maclaurin(s[summed], v[summed])
    return out.reshape(shape).astype(dtype, copy=False)
