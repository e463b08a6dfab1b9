"""Specs for the special functions of autodiff/ops/special.py (lgamma, digamma,
polygamma, erfc, erfinv, xlogy).  Imported at the end of op_specs.py, whose helpers
they use: import op_specs (its SPECS include these), not this module on its own.

The references are independent of the library's kernels: ``math.lgamma`` and
``math.erfc``; erfinv by bisection on ``math.erf``; digamma and polygamma by the
recurrence up to 20 and the asymptotic series there, in plain Python (about 1e-14
relative, enough for the forward check's 1e-12; their accuracy to a few ulp is
tested against 50-digit values in tests/test_special_functions.py).

Inputs stay where finite differences are well conditioned: x in [0.5, 5], or negative
and at least 0.3 from a pole, for the gamma family; erfinv in [-0.9, 0.9]; xlogy with
y in [0.3, 3] and some x exactly 0.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import autodiff as ad
from op_specs import SHAPES, Case, Spec, _rng, unary, values

# B_2k / (2k)!, for the Euler-Maclaurin tails below
_BERNOULLI_OVER_FACTORIAL = [1 / 12, -1 / 720, 1 / 30240, -1 / 1209600, 1 / 47900160,
                             -691 / 1307674368000]


def _digamma_reference(x):
    total = 0.0
    while x < 20:
        total -= 1 / x
        x += 1
    z = 1 / (x * x)
    series = z * (1 / 12 - z * (1 / 120 - z * (1 / 252 - z * (1 / 240 - z / 132))))
    return total + math.log(x) - 0.5 / x - series


def _hurwitz_zeta_reference(s, x):
    """sum((x + k)**-s) for integer s >= 2: terms up to 20, then Euler-Maclaurin."""
    total = 0.0
    while x < 20:
        total += x ** -s
        x += 1
    tail = x ** (1 - s) / (s - 1) + 0.5 * x ** -s
    rising = s
    for j, coefficient in enumerate(_BERNOULLI_OVER_FACTORIAL):
        tail += coefficient * rising * x ** (-s - 2 * j - 1)
        rising *= (s + 2 * j + 1) * (s + 2 * j + 2)
    return total + tail


def _polygamma_reference(n, x):
    if n == 0:
        return _digamma_reference(x)
    return (-1) ** (n + 1) * math.factorial(n) * _hurwitz_zeta_reference(n + 1, x)


def _erfinv_reference(x):
    lo, hi = -6.0, 6.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if math.erf(mid) < x:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


_lgamma_reference = np.vectorize(math.lgamma, otypes=[float])
_erfc_reference = np.vectorize(math.erfc, otypes=[float])


def _gamma_domain(data, shape):
    """x in [0.5, 5], or in (-3, 0) at least 0.3 from the poles at the integers."""
    rng = _rng(data)
    positive = values(data, shape, 0.5, 5.0)
    negative = -rng.integers(0, 3, size=shape) - values(data, shape, 0.3, 0.7)
    return np.where(values(data, shape, 0.0, 1.0) < 0.7, positive, negative)


def _gamma_family(name, ad_func, reference):
    def draw(data):
        x = _gamma_domain(data, data.draw(SHAPES, label="shape"))
        return Case(ad_func, [x], np.vectorize(reference, otypes=[float]))
    return Spec(name, draw)


def _polygamma_case(data):
    n = data.draw(st.integers(0, 3), label="n")
    x = _gamma_domain(data, data.draw(SHAPES, label="shape"))
    return Case(lambda t: ad.polygamma(n, t), [x],
                np.vectorize(lambda v: _polygamma_reference(n, v), otypes=[float]))


def _xlogy_reference(x, y):
    return np.where(x == 0, 0.0, x * np.log(y))


def _xlogy_case(data):
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
                       label="shapes")
    x = values(data, shapes.input_shapes[0])
    x = np.where(values(data, x.shape, 0.0, 1.0) < 0.25, 0.0, x)
    y = values(data, shapes.input_shapes[1], 0.3, 3.0)
    return Case(ad.xlogy, [x, y], _xlogy_reference)


SPECS = [
    Spec("lgamma", lambda data: Case(ad.lgamma, [_gamma_domain(data, data.draw(SHAPES))],
                                     _lgamma_reference)),
    _gamma_family("digamma", ad.digamma, _digamma_reference),
    Spec("polygamma", _polygamma_case, notes="n in 0..3, a constant"),
    unary("erfc", ad.erfc, _erfc_reference, -3, 3),
    unary("erfinv", ad.erfinv, np.vectorize(_erfinv_reference, otypes=[float]), -0.9, 0.9),
    Spec("xlogy", _xlogy_case, notes="y > 0; a quarter of the x exactly 0"),
]
