"""Special functions on ndarrays: lgamma, digamma, polygamma, hurwitz_zeta, erfc, erfinv.

Plain NumPy, no Tensor.  Everything is computed in float64; float32 and float16
inputs get their own dtype back, other inputs float64.

* ``hurwitz_zeta(s, q)`` for integer ``s >= 2``: Euler–Maclaurin summation (Cephes'
  ``zeta``): the terms ``(q + k)**-s`` until ``q + k > 9`` (at least 9 of them), then
  the tail from 12 Bernoulli terms; an asymptotic series for ``q > 1e8``; for
  ``q < -100`` the reflection formula instead of thousands of terms.
* ``digamma``: the Taylor series around its positive zero (coefficients Hurwitz zeta
  values) on [1, 2], the recurrence down to [1, 2] below 10, the asymptotic series
  above, reflection for negative x, and like SciPy a Taylor series around the zero
  at -0.504, so the relative error stays small near both zeros.
* ``lgamma``: Taylor series around 1, around 2 and around the minimum at 1.4616
  (coefficients zeta values again), the recurrence below 10, Stirling's series above,
  reflection for x < -0.5.  (Python's ``math.lgamma`` is off by up to hundreds of ulp
  near 1 and 2 and for negative x, so it is not used.)
* ``erfc``: ``math.erfc`` (the C library's), elementwise.
* ``erfinv``: Giles' single-precision approximation refined by Halley's method on
  ``math.erf``, or on ``math.erfc`` for ``|x| > 0.5`` so that ``1 - |x|`` keeps its
  relative accuracy near ±1.

Measured against 50-digit values (``tests/test_special_functions.py``): within 4 ulp
in float64, except where the result is much smaller than the terms it is computed
from: near the zeros of lgamma and digamma for x < -1 and of polygamma(n) for even n
and x < 0 (the error there is a few ulp of the terms), and polygamma(n, x) for
x < -100, whose reflection formula raises cot(pi x) to the power n + 1 (about n ulp).
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import numpy as np

EULER_GAMMA = 0.57721566490153286061
#: digamma's positive zero (the minimum of lgamma), rounded to float64, and digamma
#: and lgamma there (50-digit values: the zero itself is not a float).
DIGAMMA_ROOT = 1.4616321449683623
DIGAMMA_AT_ROOT = -9.2412655217294275e-17
LGAMMA_AT_ROOT = -0.12148629053584961
#: digamma's zero in (-1, 0), rounded, and digamma there.
DIGAMMA_NEGATIVE_ROOT = -0.504083008264455409
DIGAMMA_AT_NEGATIVE_ROOT = 7.2897639029768949e-17

_EPS = 2.0 ** -53
_LOG_PI = math.log(math.pi)
_PI_HIGH = math.pi
_PI_LOW = 1.2246467991473532e-16            # pi - _PI_HIGH
_PI_SPLIT = (3.1415926814079285, -2.781813535079891e-08)    # _PI_HIGH in 26-bit halves
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
#: Cephes' Euler–Maclaurin constants: (2k)! / B_2k.
_EULER_MACLAURIN = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0,
                    -1.8924375803183791606e9, 7.47242496e10, -2.950130727918164224e12,
                    1.1646782814350067249e14, -4.5979787224074726105e15,
                    1.8152105401943546773e17, -7.1661652561756670113e18)
#: The Bernoulli numbers B_2k, k = 1..8; digamma's asymptotic series has B_2k / (2k)
#: and Stirling's B_2k / (2k (2k - 1)).
_BERNOULLI = (Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30),
              Fraction(5, 66), Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510))
_DIGAMMA_ASYMPTOTIC = tuple(float(b / (2 * k)) for k, b in enumerate(_BERNOULLI, 1))
_STIRLING = tuple(float(b / (2 * k * (2 * k - 1))) for k, b in enumerate(_BERNOULLI, 1))


# ----- helpers ------------------------------------------------------------------

def as_float64(x):
    """``x`` as a float64 array, and the dtype of the result: a float input's own,
    float64 for any other.

    >>> as_float64(np.array([1, 2]))
    (array([1., 2.]), dtype('float64'))
    """
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    return x.astype(np.float64), dtype


def float_result_dtype(*operands):
    """The dtype of a function of several operands (arrays or Python numbers, before
    any conversion): NumPy 2's promotion of them, in which a Python number is weak
    (a float32 array with 2.0 stays float32, as in PyTorch), and float64 where that
    is not a float dtype (integers, bools).

    >>> float_result_dtype(np.ones(2, np.float32), 2.0), float_result_dtype(np.arange(2), 2)
    (dtype('float32'), dtype('float64'))
    """
    dtype = np.result_type(*[o if type(o) in (bool, int, float) or isinstance(
        o, (np.ndarray, np.generic)) else np.asarray(o) for o in operands])
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _result(values, dtype):
    return np.asarray(values, dtype=np.float64).astype(dtype, copy=False)


def _order(n, name, minimum):
    if isinstance(n, np.ndarray) and n.ndim == 0:
        n = n[()]
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n!r}")
    return int(n)


def _horner(coefficients, z):
    """``sum(c[k] * z**k)``."""
    total = np.full_like(z, coefficients[-1])
    for c in coefficients[-2::-1]:
        total = total * z + c
    return total


def _near_integer(x):
    """``x - round(x)`` (exact) for finite ``x``: in [-0.5, 0.5]."""
    return x - np.round(x)


def _sin_pi(r):
    """``|sin(pi r)|`` for ``r`` in [-0.5, 0.5], accurate to an ulp or so."""
    a = np.abs(r)
    return np.where(a <= 0.25, np.sin(np.pi * a), np.cos(np.pi * (0.5 - a)))


def _tan_pi(b):
    """``tan(pi b)`` for ``b`` in [0, 0.25], with the rounding of ``pi b`` (and of pi)
    corrected to first order: tan(p + e) = tan(p) + e (1 + tan(p)**2)."""
    p = _PI_HIGH * b
    # p's rounding error, exactly (Dekker's product: factors split in 26-bit halves)
    scaled = b * 134217729.0
    b_high = scaled - (scaled - b)
    b_low = b - b_high
    error = ((_PI_SPLIT[0] * b_high - p) + _PI_SPLIT[0] * b_low + _PI_SPLIT[1] * b_high
             + _PI_SPLIT[1] * b_low) + _PI_LOW * b
    t = np.tan(p)
    return t + error * (1.0 + t * t)


def _cot_pi(r):
    """``cot(pi r)`` for ``r`` in [-0.5, 0.5]: near ±0.5 from tan of the (exact)
    distance to it, so cot(pi / 2) is 0 and not 6e-17."""
    a = np.abs(r)
    cot = np.where(a <= 0.25, 1.0 / _tan_pi(a), _tan_pi(0.5 - a))
    return np.copysign(cot, r)


def _quiet(function):
    """Run ``function`` without NumPy's warnings: poles and overflow give ±inf on
    purpose, and NaN in gives NaN out."""
    @functools.wraps(function)
    def quiet(*args):
        with np.errstate(all="ignore"):
            return function(*args)
    return quiet


def _elementwise(function, x):
    """A Python float function applied to each entry of a float64 array."""
    return np.asarray(np.frompyfunc(function, 1, 1)(x), dtype=np.float64)


# ----- Hurwitz zeta ---------------------------------------------------------------

@_quiet
def hurwitz_zeta(s, q):
    """The Hurwitz zeta function ``sum((q + k)**-s for k >= 0)`` for an integer ``s >= 2``.

    ``q`` a non-positive integer gives inf; negative non-integers are fine.

    >>> hurwitz_zeta(2, np.array([1.0, 2.0])) * 6 / np.pi**2     # zeta(2) = pi**2 / 6
    array([1.       , 0.3920729])
    """
    s = _order(s, "hurwitz_zeta: s", 2)
    q, dtype = as_float64(q)
    return _result(_zeta(s, q.ravel()).reshape(q.shape), dtype)


def _zeta(s, q):
    """``hurwitz_zeta`` on a 1-D float64 array."""
    out = np.full(q.shape, np.nan)
    pole = (q <= 0) & (q == np.floor(q))         # also q = -inf
    out[pole] = np.inf
    out[q == np.inf] = 0.0
    finite = np.isfinite(q) & ~pole
    large = finite & (q > 1e8)
    if large.any():
        # DLMF 25.11.43: q**(1-s) (1/(s-1) + 1/(2q) + s/(12 q**2) + ...)
        v = q[large]
        out[large] = v ** (1.0 - s) * (1.0 / (s - 1) + 0.5 / v + s / (12.0 * v * v))
    reflected = finite & (q < -100)
    if reflected.any():
        out[reflected] = _zeta_reflected(s, q[reflected])
    summed = finite & ~large & ~reflected
    if summed.any():
        out[summed] = _zeta_euler_maclaurin(s, q[summed])
    return out


def _zeta_euler_maclaurin(s, q):
    # The terms are summed with Neumaier's compensation, and each is corrected for
    # the rounding of q + k (to first order: (a + e)**-s = a**-s (1 - s e / a)).
    # ``s`` is a number or an array of q's shape (zeta for a real s).
    s = np.broadcast_to(np.asarray(s, dtype=np.float64), q.shape)
    total = q ** -s
    compensation = np.zeros_like(q)
    last = np.zeros_like(q)                  # the last term added, b in Cephes
    w = q.copy()                             # where the sum stopped
    converged = np.zeros(q.shape, bool)
    active = np.flatnonzero(np.ones(q.shape, bool))
    k = 0
    while active.size:
        k += 1
        v, order = q[active], s[active]
        a = v + k
        back = a - v
        rounding = (v - (a - back)) + (k - back)
        b = a ** -order
        b = b - b * (order * rounding / a)
        before = total[active]
        after = before + b
        compensation[active] += np.where(np.abs(before) >= np.abs(b),
                                         (before - after) + b, (b - after) + before)
        total[active] = after
        last[active] = b
        w[active] = a
        # Done when what is left, about b a / (s - 1), is negligible (Cephes stops
        # when b is, which drops up to 5 ulp of terms for a tiny q).
        done = (a > 0) & (np.abs(b) * (1.0 + a / (order - 1)) < 0.25 * _EPS * np.abs(after))
        converged[active[done]] = True
        active = active[~done & ((k < 9) | (a <= 9.0))]
    # Past the last term: the integral, minus half that term, and Bernoulli terms;
    # kept apart from the sum (it is the smaller part) and added once.
    tail = np.flatnonzero(~converged)
    if tail.size:
        wt, b, order = w[tail], last[tail], s[tail]
        scale = np.abs(total[tail])
        remainder = b * wt / (order - 1) - 0.5 * b
        factor = np.ones_like(wt)
        going = np.ones(wt.shape, bool)
        j = 0.0
        for constant in _EULER_MACLAURIN:
            factor = factor * (order + j)
            b = b / wt
            t = factor * b / constant
            remainder = np.where(going, remainder + t, remainder)
            going &= np.abs(t) >= 0.25 * _EPS * scale
            j += 1.0
            factor = factor * (order + j)
            b = b / wt
            j += 1.0
        compensation[tail] += remainder
    # (a first term that overflowed: inf, and inf - inf in the compensation)
    return np.where(np.isinf(total), total, total + compensation)


@functools.cache
def _cot_derivative(n):
    """Coefficients (by power of c) of P_n(c) / n!, where the n-th derivative of
    cot(pi x) is pi**n P_n(cot(pi x)): P_0 = c, P_{k+1} = -(1 + c**2) P_k'."""
    p = [0, 1]
    for _ in range(n):
        dp = [i * p[i] for i in range(1, len(p))] + [0, 0]
        p = [-(dp[i] + (dp[i - 2] if i >= 2 else 0)) for i in range(len(dp))]
    factorial = math.factorial(n)
    return tuple(float(Fraction(c, factorial)) for c in p)


def _zeta_reflected(s, q):
    """zeta(s, q) = (-1)**(s-1) (pi**s P_{s-1}(cot(pi q)) / (s-1)! + zeta(s, 1 - q)),
    the reflection formula of polygamma, for negative non-integer q."""
    cot = _cot_pi(_near_integer(q))
    lattice = math.pi ** s * _horner(_cot_derivative(s - 1), cot)
    value = lattice + _zeta(s, 1.0 - q)
    return value if s % 2 else -value


# ----- digamma and polygamma ----------------------------------------------------

_TERMS_AT_ROOT = 42            # |x - root| <= 0.54 on [1, 2]
_TERMS_AT_NEGATIVE_ROOT = 60   # |x - root| < 0.25 (the pole at -1 is 0.496 away)
_NEGATIVE_ROOT_RADIUS = 0.25


@functools.cache
def _taylor_at(root, value, terms):
    """Coefficients of digamma's Taylor series at ``root``: the n-th derivative over
    n! is (-1)**(n+1) zeta(n+1, root)."""
    q = np.array([root])
    return (value,) + tuple((-1.0) ** (n + 1) * float(_zeta(n + 1, q)[0])
                            for n in range(1, terms + 1))


def _digamma_near_root(z):
    """digamma(DIGAMMA_ROOT + z) for |z| <= 0.54."""
    return _horner(_taylor_at(DIGAMMA_ROOT, DIGAMMA_AT_ROOT, _TERMS_AT_ROOT), z)


def _digamma_positive(x):
    """digamma on a 1-D array of positive finite floats."""
    out = np.empty_like(x)
    large = x >= 10.0
    v = x[large]
    z = (1.0 / v) ** 2
    out[large] = np.log(v) - 0.5 / v - z * _horner(_DIGAMMA_ASYMPTOTIC, z)
    middle = (x >= 1.0) & ~large
    v = x[middle]
    # digamma(v) = digamma(v - m) + sum(1 / (v - k), k = 1..m), v - m in [1, 2] (exact)
    m = np.maximum(np.ceil(v - 2.0), 0.0)
    shift = np.zeros_like(v)
    for k in range(1, 9):
        shift += 1.0 / np.where(k <= m, v - k, np.inf)
    out[middle] = _digamma_near_root(v - m - DIGAMMA_ROOT) + shift
    small = x < 1.0
    v = x[small]
    # digamma(v) = digamma(v + 1) - 1/v, with v + 1 - root = v - (root - 1) carried
    # in two parts, since v + 1 would round.
    c = DIGAMMA_ROOT - 1.0
    hi = v - c
    back = hi - v
    lo = (v - (hi - back)) - (c + back)
    slope = _horner(_taylor_at(DIGAMMA_ROOT, DIGAMMA_AT_ROOT, _TERMS_AT_ROOT)[1:8]
                    * np.arange(1, 8), hi)
    out[small] = _digamma_near_root(hi) + slope * lo - 1.0 / v
    return out


@_quiet
def digamma(x):
    """The digamma function psi(x), the derivative of lgamma.

    At 0 it is ``-inf`` (``+inf`` at ``-0.0``); NaN at negative integers and ``-inf``,
    as PyTorch's and SciPy's.

    >>> digamma(np.array([1.0, 0.5]))      # -gamma, -gamma - 2 log 2
    array([-0.57721566, -1.96351003])
    """
    x, dtype = as_float64(x)
    return _result(_digamma(x.ravel()).reshape(x.shape), dtype)


def _digamma(x):
    out = np.full(x.shape, np.nan)
    out[x == np.inf] = np.inf
    zero = x == 0
    out[zero] = np.copysign(np.inf, -x[zero])
    positive = (x > 0) & (x < np.inf)
    out[positive] = _digamma_positive(x[positive])
    negative = (x < 0) & (x > -np.inf) & (x != np.floor(x))
    near = negative & (np.abs(x - DIGAMMA_NEGATIVE_ROOT) < _NEGATIVE_ROOT_RADIUS)
    coefficients = _taylor_at(DIGAMMA_NEGATIVE_ROOT, DIGAMMA_AT_NEGATIVE_ROOT,
                              _TERMS_AT_NEGATIVE_ROOT)
    out[near] = _horner(coefficients, x[near] - DIGAMMA_NEGATIVE_ROOT)
    reflected = negative & ~near
    v = x[reflected]
    # digamma(v) = digamma(1 - v) - pi cot(pi v)
    out[reflected] = _digamma_positive(1.0 - v) - np.pi * _cot_pi(_near_integer(v))
    return out


@_quiet
def polygamma(n, x):
    """The n-th derivative of digamma: ``(-1)**(n+1) n! zeta(n+1, x)`` for ``n >= 1``.

    ``n = 0`` is digamma.  At 0 and the negative integers it is ``+inf`` for odd
    ``n`` and ``-inf`` for even ``n``, as SciPy's (their limits from the right).

    >>> polygamma(1, np.array([1.0, 0.5])) / np.pi**2        # pi**2/6, pi**2/2
    array([0.16666667, 0.5       ])
    """
    n = _order(n, "polygamma: n", 0)
    if n == 0:
        return digamma(x)
    x, dtype = as_float64(x)
    factorial = float(math.factorial(n)) if n <= 170 else math.inf
    sign = 1.0 if n % 2 else -1.0
    values = (sign * factorial) * _zeta(n + 1, x.ravel())
    return _result(values.reshape(x.shape), dtype)


# ----- lgamma -----------------------------------------------------------------------

_TERMS_AT_ONE = 56     # |z| <= 0.5 about 1 (the pole at 0 is 1 away)
_TERMS_AT_TWO = 30     # |z| <= 0.5 about 2 (the pole at 0 is 2 away)
_TERMS_AT_MINIMUM = 24  # |z| <= 0.29 about the minimum


@functools.cache
def _lgamma_taylor(center):
    """lgamma(center + z) = lgamma(center) - gamma z (+ z for 2) +
    sum((-1)**k zeta(k, center) / k * z**k, k >= 2), for center 1 or 2."""
    terms = _TERMS_AT_ONE if center == 1.0 else _TERMS_AT_TWO
    q = np.array([center])
    return (0.0, center - 1.0 - EULER_GAMMA) + tuple(
        (-1.0) ** k * float(_zeta(k, q)[0]) / k for k in range(2, terms + 1))


@functools.cache
def _lgamma_at_minimum():
    d = _taylor_at(DIGAMMA_ROOT, DIGAMMA_AT_ROOT, _TERMS_AT_ROOT)
    return (LGAMMA_AT_ROOT, DIGAMMA_AT_ROOT) + tuple(
        d[k - 1] / k for k in range(2, _TERMS_AT_MINIMUM + 1))


def _lgamma_half_to_five_halves(x):
    """lgamma on [0.5, 2.5): a Taylor series about 1, the minimum or 2 (x minus each
    is exact)."""
    out = np.empty_like(x)
    below, above = x < 1.25, x >= 1.75
    middle = ~below & ~above
    out[below] = _horner(_lgamma_taylor(1.0), x[below] - 1.0)
    out[middle] = _horner(_lgamma_at_minimum(), x[middle] - DIGAMMA_ROOT)
    out[above] = _horner(_lgamma_taylor(2.0), x[above] - 2.0)
    return out


def _lgamma_positive(x):
    """lgamma on a 1-D array of positive finite floats."""
    out = np.empty_like(x)
    large = x >= 10.0
    v = x[large]
    z = (1.0 / v) ** 2
    out[large] = ((v - 0.5) * (np.log(v) - 1.0) + (_HALF_LOG_2PI - 0.5)
                  + _horner(_STIRLING, z) / v)
    middle = (x >= 0.5) & ~large
    v = x[middle]
    # lgamma(v) = lgamma(v - m) + log((v - 1)...(v - m)), v - m in [1.5, 2.5) (exact)
    m = np.maximum(np.floor(v - 1.5), 0.0)
    product = np.ones_like(v)
    for k in range(1, 9):
        product *= np.where(k <= m, v - k, 1.0)
    out[middle] = _lgamma_half_to_five_halves(v - m) + np.log(product)
    small = x < 0.5
    v = x[small]
    out[small] = _horner(_lgamma_taylor(1.0), v) - np.log(v)      # lgamma(1 + v) - log v
    return out


@_quiet
def lgamma(x):
    """``log|Gamma(x)|``; ``+inf`` at 0, the negative integers and ±inf.

    >>> lgamma(np.array([0.5, 1.0, 10.0]))          # log(sqrt(pi)), 0, log(9!)
    array([ 0.57236494,  0.        , 12.80182748])
    """
    x, dtype = as_float64(x)
    return _result(_lgamma(x.ravel()).reshape(x.shape), dtype)


def _lgamma(x):
    out = np.full(x.shape, np.nan)
    out[np.isinf(x) | ((x <= 0) & (x == np.floor(x)))] = np.inf
    positive = (x > 0) & (x < np.inf)
    out[positive] = _lgamma_positive(x[positive])
    negative = (x < 0) & (x > -np.inf) & (x != np.floor(x))
    near_zero = negative & (x > -0.5)
    v = x[near_zero]
    out[near_zero] = _horner(_lgamma_taylor(1.0), v) - np.log(-v)   # lgamma(1 + v) - log|v|
    reflected = negative & ~near_zero
    v = x[reflected]
    # |Gamma(v) Gamma(-v)| = pi / |v sin(pi v)|
    out[reflected] = (_LOG_PI - np.log(-v * _sin_pi(_near_integer(v)))
                      - _lgamma_positive(-v))
    return out


# ----- erfc and erfinv --------------------------------------------------------------

@_quiet
def erfc(x):
    """``1 - erf(x)``, accurate where it is tiny (the C library's ``erfc``).

    >>> erfc(np.array([0.0, 10.0]))
    array([1.00000000e+00, 2.08848758e-45])
    """
    x, dtype = as_float64(x)
    return _result(_elementwise(math.erfc, x), dtype)


_GILES_CENTRAL = (1.50140941, 0.246640727, -0.00417768164, -0.00125372503, 0.00021858087,
                  -4.39150654e-06, -3.5233877e-06, 3.43273939e-07, 2.81022636e-08)
_GILES_TAIL = (2.83297682, 1.00167406, 0.00943887047, -0.0076224613, 0.00573950773,
               -0.00367342844, 0.00134934322, 0.000100950558, -0.000200214257)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


@_quiet
def erfinv(x):
    """The inverse error function: ``erf(erfinv(x)) == x`` on (-1, 1), ±inf at ±1 and
    NaN outside.

    >>> erfinv(np.array([0.0, 0.5, -0.999]))
    array([ 0.        ,  0.47693628, -2.32675377])
    """
    x, dtype = as_float64(x)
    flat = x.ravel()
    a = np.abs(flat)
    out = np.where(a == 1.0, np.inf, np.nan)
    inside = a < 1.0
    out[inside] = _erfinv_positive(a[inside])
    return _result(np.copysign(out, flat).reshape(x.shape), dtype)


def _erfinv_positive(a):
    """erfinv on a 1-D array in [0, 1)."""
    # Giles, "Approximating the erfinv function" (2010): relative error about 1e-7
    # for w up to 16, the end of float32's range.
    w = -np.log((1.0 - a) * (1.0 + a))
    y = a * np.where(w < 5.0, _horner(_GILES_CENTRAL, w - 2.5),
                     _horner(_GILES_TAIL, np.sqrt(w) - 3.0))
    far = w > 16.0
    if far.any():
        # Beyond, from erfc(y) ~ exp(-y**2) / (y sqrt(pi)) (1 - 1/(2 y**2)) = 1 - a:
        # a few fixed-point steps on y**2 = -log((1 - a) y sqrt(pi) / (1 - 1/(2 y**2))).
        log_complement = np.log(1.0 - a[far])
        guess = np.sqrt(-log_complement)
        for _ in range(4):
            guess = np.sqrt(-log_complement - np.log(guess * math.sqrt(math.pi))
                            + np.log1p(-0.5 / (guess * guess)))
        y[far] = guess
    # Halley's method on f(y) = erf(y) - a; for a > 1/2, f = (1 - a) - erfc(y), where
    # 1 - a is exact and erfc keeps the residual's relative accuracy.
    tail = a > 0.5
    complement = 1.0 - a[tail]
    residual = np.empty_like(a)
    for _ in range(3):
        residual[tail] = complement - _elementwise(math.erfc, y[tail])
        residual[~tail] = _elementwise(math.erf, y[~tail]) - a[~tail]
        step = residual / (_TWO_OVER_SQRT_PI * np.exp(-y * y))
        y = y - step / (1.0 + y * step)
    return y
