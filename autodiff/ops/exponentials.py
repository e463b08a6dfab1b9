"""Logarithms and exponentials in bases 2 and 10, the cube root, and float_power.

The natural ``exp``, ``log``, ``expm1``, ``log1p`` and ``logaddexp`` live in
``elementwise``; these are the same functions in other bases, with the constant
``log(base)`` in their derivatives.
"""

from __future__ import annotations

import numpy as np

from .elementwise import _power_grad_base, _power_grad_exponent, _share
from .diagnostic_fields import EXP_OVERFLOW, POWER_OVERFLOW
from .registry import defop

_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))
# g * (1 / log(base)) / x, not g / (x * log(base)): x * log(10) overflows for x above
# 7.8e307, and both products lose digits when they fall among the subnormals.
_INV_LN2 = 1.0 / _LN2
_INV_LN10 = 1.0 / _LN10


def _unary(name, forward, formula, rule, doc, **fields):
    return defop(name, forward, doc=doc, numpy=forward, x=(formula, rule), **fields)


def _below_zero(name):
    return [(lambda x: x < 0, f"{name} of a number below 0 is NaN; keep the input in the "
                              "domain (e.g. clip it, or take it of abs(x) + eps)")]


log2 = _unary(
    "log2", np.log2, "g / (x * log(2))", lambda xp, g, ans, x: (g * _INV_LN2) / x,
    "Base-2 logarithm.\n\n>>> ad.log2(ad.tensor([8.0]))\ntensor([3.])",
    singular=_below_zero("log2"), logarithm=True)
log10 = _unary(
    "log10", np.log10, "g / (x * log(10))", lambda xp, g, ans, x: (g * _INV_LN10) / x,
    "Base-10 logarithm.\n\n>>> ad.log10(ad.tensor([100.0]))\ntensor([2.])",
    singular=_below_zero("log10"), logarithm=True)
exp2 = _unary(
    "exp2", np.exp2, "g * ans * log(2)", lambda xp, g, ans, x: g * (ans * _LN2),
    "2 ** x elementwise.\n\n>>> ad.exp2(ad.tensor([3.0]))\ntensor([8.])", overflows=EXP_OVERFLOW)

logaddexp2 = defop(
    "logaddexp2", np.logaddexp2, numpy=np.logaddexp2,
    hint=("Shapes broadcast when, aligned from the right, each pair of sizes is equal or "
          "one of them is 1; reshape or expand_dims one operand to fix it"),
    doc="log2(2**a + 2**b) without overflow.\n\n"
        ">>> ad.logaddexp2(ad.tensor([1.0]), 1.0)\ntensor([2.])",
    a=("g / (1 + 2**(b - a))", lambda xp, g, ans, a, b: _share(xp, g, xp.exp2, b - a)),
    b=("g / (1 + 2**(a - b))", lambda xp, g, ans, a, b: _share(xp, g, xp.exp2, a - b)))


cbrt = _unary(
    "cbrt", np.cbrt, "g / (3 * ans**2)", lambda xp, g, ans, x: g / (3.0 * (ans * ans)),
    "Cube root, real for negative x too.\n\nThe derivative is infinite at 0.\n\n"
    ">>> ad.cbrt(ad.tensor([-8.0, 27.0]))\ntensor([-2.,  3.])",
    singular=[(lambda x: x == 0, "cbrt's derivative is infinite at 0; keep the input "
                                 "away from 0 (e.g. cbrt(x + eps))")],
    guarded_point="0")


float_power = defop(
    "float_power", np.float_power, numpy=np.float_power,
    hint=("Shapes broadcast when, aligned from the right, each pair of sizes is equal or "
          "one of them is 1; reshape or expand_dims one operand to fix it"),
    singular=[(lambda a, b: a < 0, "a negative base raised to a non-integer power is NaN; "
                                   "use abs(x) ** p or make sure the base is positive")],
    overflows=POWER_OVERFLOW,
    doc="a ** b computed in float64 (or wider), as ``np.float_power``; the rules are "
        "power's.\n\n>>> ad.float_power(ad.tensor(np.array([2.0], dtype=np.float32)), 3)\n"
        "tensor([8.])",
    a=("g * b * a**(b-1)", _power_grad_base), b=("g * log(a) * a**b", _power_grad_exponent))
