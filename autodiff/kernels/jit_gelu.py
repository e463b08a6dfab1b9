"""Exact GELU forward, x * Phi(x), on float32 arrays (loaded with ``jit``; ``jit_nn``
dispatches here and keeps the backward, which reads Phi off this output).

Computed in float64 and rounded once on store.  The normal CDF comes from

    erfc(z) = exp(-z**2) * t * Q(t),   t = 1 / (1 + z/4),   z = |x| / sqrt 2,

where Q(t) = erfc(z) exp(z**2) / t is smooth and bounded on t in (0, 1] (it tends to
2 / sqrt(pi) as z grows), so one polynomial covers all of z in [0, 20 / sqrt 2].  This is the
change of variable of the classical erfc approximations (Abramowitz & Stegun 7.1.26,
Numerical Recipes' ``erfcc``) with a longer polynomial: a degree-17 least-squares fit,
refined towards minimax relative error by Lawson's iteration against 50-digit erfc;
its relative error is 8.5e-16 in exact arithmetic, 1.1e-15 evaluated in float64.  Phi(x) is
erfc(|z|) / 2 for x < 0 and 1 - erfc(z) / 2 otherwise, so nothing cancels.  Every float32
result is the correctly rounded x Phi(x) but for 2 of the 4.3e9 finite inputs (1 ulp off;
checked against a float64 reference over every float32).

z**2 is taken as x*x / 2, which is exact for a float32 x: the exponential's argument
carries no rounding error, which matters because exp(-z**2) amplifies an absolute error
in z**2 by up to 200.  Beyond |x| = 20 (where x Phi(x) is below the smallest float32
subnormal for x < 0) the result is x or -0.

No branches and no libm calls, so the loop vectorizes.  With ``_pow2_f64`` from ``jit``
(Numba's cache tracks only this file: after changing it there, clear the cache).
"""

from __future__ import annotations

import math

import numpy as np

from .jit import _flat_call, _kernel, _pow2_f64

_MATH = {"contract"}
_SQRT_HALF = math.sqrt(0.5)

_X_MAX = 20.0
_T_SCALE_Z = 0.25                                  # t = 1 / (1 + z/4)
_T_MIN = 1.0 / (1.0 + _T_SCALE_Z * _X_MAX * _SQRT_HALF)
_U_SCALE = 2.0 / (1.0 - _T_MIN)                    # u = t * _U_SCALE + _U_SHIFT in [-1, 1]
_U_SHIFT = -(1.0 + _T_MIN) / (1.0 - _T_MIN)
# Q(t) / 2 in powers of u, highest first (Horner order).
_HALF_Q = (
    4.743631505815269e-10, 3.6306690805411216e-10, -8.407880587265128e-09,
    -1.3569744532318682e-08, 1.0725784119451527e-07, 3.843937516179628e-07,
    -8.305281247949202e-07, -8.590532531213482e-06, -1.55157054001969e-05,
    9.153578148640248e-05, 0.0008071980924979966, 0.0035165260085451605,
    0.01099711685556078, 0.027198410115542596, 0.055417749928666896,
    0.09487835675841423, 0.13767102682237306, 0.1694465458915713,
)

# exp(w) for w in [-200, 0]: 2**k p(r) as in ``jit._exp64`` (same reduction and polynomial),
# without its clamps, NaN test and subnormal handling, which this range never needs.
_LOG2E = 1.4426950408889634
_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10
_SHIFT = 6755399441055744.0                        # 1.5 * 2**52: x + _SHIFT rounds x
_EXP_Q = (2.510040371657669e-08, 2.7620112139572367e-07, 2.7557268421682613e-06,
          2.4801521246131495e-05, 0.0001984126986307828, 0.0013888888917245787,
          0.008333333333330056, 0.041666666666624066, 0.16666666666666669, 0.5000000000000001)


@_kernel(fastmath=_MATH, nogil=True)
def _gelu32_fwd(x, out):
    for i in range(x.size):
        v = np.float64(x[i])           # (Numba's float() of a float32 stays float32)
        a = abs(v)
        a = a if a < _X_MAX else _X_MAX                    # NaN too: its result is v * 0
        t = 1.0 / (1.0 + _T_SCALE_Z * (a * _SQRT_HALF))
        u = t * _U_SCALE + _U_SHIFT
        q = _HALF_Q[0]
        q = q * u + _HALF_Q[1]
        q = q * u + _HALF_Q[2]
        q = q * u + _HALF_Q[3]
        q = q * u + _HALF_Q[4]
        q = q * u + _HALF_Q[5]
        q = q * u + _HALF_Q[6]
        q = q * u + _HALF_Q[7]
        q = q * u + _HALF_Q[8]
        q = q * u + _HALF_Q[9]
        q = q * u + _HALF_Q[10]
        q = q * u + _HALF_Q[11]
        q = q * u + _HALF_Q[12]
        q = q * u + _HALF_Q[13]
        q = q * u + _HALF_Q[14]
        q = q * u + _HALF_Q[15]
        q = q * u + _HALF_Q[16]
        q = q * u + _HALF_Q[17]
        w = -0.5 * (a * a)
        k = (w * _LOG2E + _SHIFT) - _SHIFT
        r = (w - k * _LN2_HI) - k * _LN2_LO
        p = _EXP_Q[0] * r + _EXP_Q[1]
        p = p * r + _EXP_Q[2]
        p = p * r + _EXP_Q[3]
        p = p * r + _EXP_Q[4]
        p = p * r + _EXP_Q[5]
        p = p * r + _EXP_Q[6]
        p = p * r + _EXP_Q[7]
        p = p * r + _EXP_Q[8]
        p = p * r + _EXP_Q[9]
        gauss = (1.0 + (r + (r * r) * p)) * _pow2_f64(k)       # exp(-x**2 / 2)
        h = (t * q) * gauss                                     # erfc(|x| / sqrt 2) / 2
        h = h if abs(v) < _X_MAX else 0.0
        out[i] = v * (h if v < 0.0 else 1.0 - h)


def gelu(x):
    return _flat_call(_gelu32_fwd, x)

