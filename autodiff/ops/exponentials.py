"""Logarithms and exponentials in bases 2 and 10.

The natural ``exp``, ``log``, ``expm1``, ``log1p`` and ``logaddexp`` live in
``elementwise``; these are the same functions in other bases, with the constant
``log(base)`` in their derivatives.
"""

from __future__ import annotations

import numpy as np

from .registry import defop

_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))


def _unary(name, forward, formula, rule, doc, **fields):
    return defop(name, forward, doc=doc, numpy=forward, x=(formula, rule), **fields)


def _below_zero(name):
    return [(lambda x: x < 0, f"{name} of a number below 0 is NaN; keep the input in the "
                              "domain (e.g. clip it, or take it of abs(x) + eps)")]


log2 = _unary(
    "log2", np.log2, "g / (x * log(2))", lambda xp, g, ans, x: g / (x * _LN2),
    "Base-2 logarithm.\n\n>>> ad.log2(ad.tensor([8.0]))\ntensor([3.])",
    singular=_below_zero("log2"))
log10 = _unary(
    "log10", np.log10, "g / (x * log(10))", lambda xp, g, ans, x: g / (x * _LN10),
    "Base-10 logarithm.\n\n>>> ad.log10(ad.tensor([100.0]))\ntensor([2.])",
    singular=_below_zero("log10"))
exp2 = _unary(
    "exp2", np.exp2, "g * ans * log(2)", lambda xp, g, ans, x: g * (ans * _LN2),
    "2 ** x elementwise.\n\n>>> ad.exp2(ad.tensor([3.0]))\ntensor([8.])")

logaddexp2 = defop(
    "logaddexp2", np.logaddexp2, numpy=np.logaddexp2,
    hint=("Shapes broadcast when, aligned from the right, each pair of sizes is equal or "
          "one of them is 1; reshape or expand_dims one operand to fix it"),
    doc="log2(2**a + 2**b) without overflow.\n\n"
        ">>> ad.logaddexp2(ad.tensor([1.0]), 1.0)\ntensor([2.])",
    a=("g * 2**(a - ans)", lambda xp, g, ans, a, b: g * 2.0 ** (a - ans)),
    b=("g * 2**(b - ans)", lambda xp, g, ans, a, b: g * 2.0 ** (b - ans)))
