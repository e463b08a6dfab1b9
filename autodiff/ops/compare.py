"""Comparisons, logical and bitwise ops: bool (or integer) results, no gradient.

They are still recorded (as non-differentiable nodes) when an input has history,
so that graph tools can show that a value was used only in a comparison.  NumPy's
searching and testing functions (argmax, nonzero, isclose ...) run on Tensors
without a gradient too.
"""

from __future__ import annotations

import numpy as np

from .registry import implements_without_gradient, nondifferentiable

_HINT = "Comparisons broadcast like arithmetic; reshape one operand to make the shapes agree"


def _cmp(name, forward, symbol):
    example = forward(np.array([1.0, 3.0]), 2.0)
    return nondifferentiable(
        name, forward, 2, hint=_HINT, numpy=forward,
        blocks=f"{name} is a comparison: its bool result carries no gradient",
        doc=f"Elementwise a {symbol} b as a bool tensor (no gradient).\n\n"
            f">>> ad.{name}(ad.tensor([1.0, 3.0]), 2.0)\n"
            f"tensor({np.array2string(example, separator=', ')})")


def _logical(name, forward, n_inputs, doc, hint=None):
    return nondifferentiable(
        name, forward, n_inputs, hint=hint, numpy=forward, doc=doc,
        blocks=f"{name} is a logical op: its bool result carries no gradient")


less = _cmp("less", np.less, "<")
less_equal = _cmp("less_equal", np.less_equal, "<=")
greater = _cmp("greater", np.greater, ">")
greater_equal = _cmp("greater_equal", np.greater_equal, ">=")
equal = _cmp("equal", np.equal, "==")
not_equal = _cmp("not_equal", np.not_equal, "!=")
logical_and = _logical(
    "logical_and", np.logical_and, 2, hint=_HINT,
    doc="Elementwise a and b (bool tensor).\n\n"
        ">>> x = ad.tensor([0.5, 2.0])\n>>> ad.logical_and(x > 0, x < 1)\ntensor([ True, False])")
logical_or = _logical(
    "logical_or", np.logical_or, 2, hint=_HINT,
    doc="Elementwise a or b (bool tensor).\n\n"
        ">>> x = ad.tensor([0.5, 2.0])\n>>> ad.logical_or(x < 0, x > 1)\ntensor([False,  True])")
logical_xor = _logical(
    "logical_xor", np.logical_xor, 2, hint=_HINT,
    doc="Elementwise a xor b: true where exactly one is true (bool tensor).\n\n"
        ">>> x = ad.tensor([0.5, 2.0])\n>>> ad.logical_xor(x > 0, x > 1)\ntensor([ True, False])")
logical_not = _logical(
    "logical_not", np.logical_not, 1,
    doc="Elementwise not x (bool tensor).\n\n"
        ">>> x = ad.tensor([0.5, -2.0])\n>>> ad.logical_not(x > 0)\ntensor([False,  True])")

_BITWISE_HINT = ("& | ^ ~ work on integers and bools, as in NumPy; on floats compare first, "
                 "as in (x > 0) & (x < 1)")


def _bitwise(name, forward, n_inputs, doc):
    return nondifferentiable(
        name, forward, n_inputs, hint=_BITWISE_HINT, numpy=forward,
        doc=doc, blocks=f"{name} is a bitwise op on integers or bools: it carries no gradient")


# The operators & | ^ ~ are these, as for ndarrays: on bool tensors they are the logical
# ops, on integer tensors they work bit by bit, and on floats NumPy refuses them.
bitwise_and = _bitwise(
    "bitwise_and", np.bitwise_and, 2,
    doc="a & b bit by bit for integers and bools, as NumPy (no gradient).\n\n"
        ">>> ad.bitwise_and(ad.tensor([5, 6]), 3)\ntensor([1, 2])")
bitwise_or = _bitwise(
    "bitwise_or", np.bitwise_or, 2,
    doc="a | b bit by bit for integers and bools, as NumPy (no gradient).\n\n"
        ">>> ad.bitwise_or(ad.tensor([5, 6]), 8)\ntensor([13, 14])")
bitwise_xor = _bitwise(
    "bitwise_xor", np.bitwise_xor, 2,
    doc="a ^ b bit by bit for integers and bools, as NumPy (no gradient).\n\n"
        ">>> ad.bitwise_xor(ad.tensor([True, False]), True)\ntensor([False,  True])")
invert = _bitwise(
    "invert", np.invert, 1,
    doc="~x bit by bit for integers (logical not for bools), as NumPy (no gradient).\n\n"
        ">>> ad.invert(ad.tensor([0, 5]))\ntensor([-1, -6])")

isnan = nondifferentiable("isnan", np.isnan, 1, numpy=np.isnan,
                          doc="Elementwise test for NaN (bool tensor).")
isfinite = nondifferentiable("isfinite", np.isfinite, 1, numpy=np.isfinite,
                             doc="Elementwise test for finite values (bool tensor).")
isinf = nondifferentiable("isinf", np.isinf, 1, numpy=np.isinf,
                          doc="Elementwise test for ±inf (bool tensor).")

signbit = nondifferentiable("signbit", np.signbit, 1, numpy=np.signbit,
                            doc="Elementwise test for a set sign bit (x < 0, and -0.0; bool "
                                "tensor).")

# Integer-only ufuncs (NumPy refuses floats): bit shifts and counts, gcd and lcm.
implements_without_gradient(np.left_shift, np.right_shift, np.bitwise_count, np.gcd, np.lcm)

implements_without_gradient(
    np.argwhere, np.flatnonzero, np.nanargmax, np.nanargmin, np.searchsorted, np.digitize,
    np.isin, np.isreal, np.iscomplex, np.isrealobj, np.iscomplexobj)
implements_without_gradient(
    np.argmax, np.argmin, np.argsort, np.argpartition, np.nonzero, np.count_nonzero, np.any, np.all,
    np.isclose, np.allclose, np.array_equal)
