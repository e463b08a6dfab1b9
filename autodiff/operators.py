"""Python's operators on a Tensor (``+``, ``*``, ``@``, ``<``, ``&``, ``+=`` ...): which op
each one calls (mixed into ``Tensor``).

The binary arithmetic operators skip the generic argument handling of
``Op.__call__``: they always have one or two positional operands, and they are the
hottest path of every program.  With a Python number as the other operand they take
a shorter path still (``Op._call_number``), which scalar chains spend their time in.
The ops are bound by ``bind()`` once ``autodiff.tensor`` has made the ops (they are
built on ``Tensor``, so this module cannot import them first).
"""

from __future__ import annotations

import builtins
import math
import operator

import numpy as np

#: The operand classes that take ``Op._call_number`` (exactly: a bool or a NumPy
#: scalar goes through ``_call2``).
_NUMBERS = frozenset({float, int})


class OperatorMethods:
    """The operator methods of ``Tensor``.

    >>> x = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> (2 * x + 1).tolist(), (x < 1.5).tolist()
    ([3.0, 5.0], [True, False])
    >>> divmod(ad.tensor([5.5, -5.5]), 2.0)
    (tensor([ 2., -3.]), tensor([1.5, 0.5]))
    >>> round(ad.tensor(2.5)), round(ad.tensor([1.234, 5.678]), 1)
    (2, tensor([1.2, 5.7]))
    """

    __slots__ = ()

    # ----- in-place updates (autodiff/inplace.py has the rules) ---------------
    def __iadd__(self, other):
        return inplace.update(self, add, other, "+=")

    def __isub__(self, other):
        return inplace.update(self, subtract, other, "-=")

    def __imul__(self, other):
        return inplace.update(self, _operator_multiply, other, "*=")

    def __itruediv__(self, other):
        return inplace.update(self, divide, other, "/=")

    def __ipow__(self, other):
        if other.__class__ in _NUMBERS and self.data.dtype.kind == "c" and self.data.ndim:
            fast = _complex_fast_power(other)
            if fast is not None:
                return fast(self, out=self)
        return inplace.update(self, _operator_power, other, "**=")

    def __ifloordiv__(self, other):
        return inplace.update(self, floor_divide, other, "//=")

    def __imod__(self, other):
        return inplace.update(self, mod, other, "%=")

    def __imatmul__(self, other):
        return inplace.update(self, matmul, other, "@=")

    def __iand__(self, other):
        return inplace.update(self, bitwise_and, other, "&=")

    def __ior__(self, other):
        return inplace.update(self, bitwise_or, other, "|=")

    def __ixor__(self, other):
        return inplace.update(self, bitwise_xor, other, "^=")

    # ----- arithmetic ----------------------------------------------------------
    def __add__(self, other):
        if other.__class__ in _NUMBERS:
            return _add_number(self, other, False)
        return _add(self, other)

    def __radd__(self, other):
        if other.__class__ in _NUMBERS:
            return _add_number(self, other, True)
        return _add(other, self)

    def __sub__(self, other):
        if other.__class__ in _NUMBERS:
            return _subtract_number(self, other, False)
        return _subtract(self, other)

    def __rsub__(self, other):
        if other.__class__ in _NUMBERS:
            return _subtract_number(self, other, True)
        return _subtract(other, self)

    # ``*``, ``**`` and ``abs()`` of a 0-d tensor take the twins of scalar_power.py
    # (NumPy's scalar arithmetic: its last bit); an array takes the op, as NumPy's
    # arrays take the ufunc, without the twin's check on every call.  ``t * number`` and
    # a real ``abs()`` take the op: a complex times a real, and a real ``abs()``, are one
    # rounding either way (the twin's check would cost a scalar chain 2 %).
    def __mul__(self, other):
        if other.__class__ in _NUMBERS:
            return _multiply_number(self, other, False)
        return (_multiply if self.data.ndim else _scalar_multiply)(self, other)

    def __rmul__(self, other):
        if other.__class__ in _NUMBERS:
            return _multiply_number(self, other, True)
        return (_multiply if self.data.ndim else _scalar_multiply)(other, self)

    def __truediv__(self, other):
        if other.__class__ in _NUMBERS:
            return _divide_number(self, other, False)
        return _divide(self, other)

    def __rtruediv__(self, other):
        if other.__class__ in _NUMBERS:
            return _divide_number(self, other, True)
        return _divide(other, self)

    def __pow__(self, other):
        data = self.data
        if other.__class__ in _NUMBERS:
            if other.__class__ is int and other == 2 and data.dtype.kind == "b":
                return square(self)  # ndarray's ** 2 is np.square: int8 for bools
            if not data.ndim:
                return _scalar_power_number(self, other, False)
            if data.dtype.kind == "c":
                fast = _complex_fast_power(other)
                if fast is not None:
                    return fast(self)
            return _power_number(self, other, False)
        return (_power if data.ndim else _scalar_power)(self, other)

    def __rpow__(self, other):
        return (_power if self.data.ndim else _scalar_power)(other, self)

    def __mod__(self, other):
        return _mod(self, other)

    def __rmod__(self, other):
        return _mod(other, self)

    def __floordiv__(self, other):
        return floor_divide(self, other)

    def __rfloordiv__(self, other):
        return floor_divide(other, self)

    def __divmod__(self, other):
        # (t // x, t % x), as np.divmod: floor_divide's zero gradient and mod's
        return floor_divide(self, other), _mod(self, other)

    def __rdivmod__(self, other):
        return floor_divide(other, self), _mod(other, self)

    def __matmul__(self, other):
        return _matmul(self, other)

    def __rmatmul__(self, other):
        return _matmul(other, self)

    def __neg__(self):
        return _negative(self)

    def __pos__(self):
        return positive(self)

    def __abs__(self):
        data = self.data
        return abs(self) if data.ndim or data.dtype.kind != "c" else _operator_abs(self)

    # ----- Python's rounding: round(t), math.floor / ceil / trunc --------------
    def __round__(self, ndigits=None):
        """``round(t, n)`` is ``t.round(n)``, a Tensor (NumPy's values, zero gradient),
        as ``round`` keeps a NumPy scalar's type; ``round(t)`` is a Python int (half to
        even), for a tensor of one element, as ``round`` of a NumPy scalar."""
        if ndigits is None:
            return _python_int(self, "round", builtins.round, "t.round()")
        return _round(self, operator.index(ndigits))

    def __floor__(self):
        return _python_int(self, "math.floor", math.floor, "ad.floor(t)")

    def __ceil__(self):
        return _python_int(self, "math.ceil", math.ceil, "ad.ceil(t)")

    def __trunc__(self):
        return _python_int(self, "math.trunc", math.trunc, "ad.trunc(t)")

    # ----- comparisons and logic (no gradient) ---------------------------------
    def __lt__(self, other):
        return less(self, other)

    def __le__(self, other):
        return less_equal(self, other)

    def __gt__(self, other):
        return greater(self, other)

    def __ge__(self, other):
        return greater_equal(self, other)

    def __eq__(self, other):
        return equal(self, other)

    def __ne__(self, other):
        return not_equal(self, other)

    # & | ^ ~ are NumPy's bitwise ops: logical on bools, bit by bit on integers.
    def __and__(self, other):
        return bitwise_and(self, other)

    def __rand__(self, other):
        return bitwise_and(other, self)

    def __or__(self, other):
        return bitwise_or(self, other)

    def __ror__(self, other):
        return bitwise_or(other, self)

    def __xor__(self, other):
        return bitwise_xor(self, other)

    def __rxor__(self, other):
        return bitwise_xor(other, self)

    def __invert__(self):
        return invert(self)

    # << and >> shift integers, as for ndarrays (np.left_shift: no gradient).
    def __lshift__(self, other):
        return np.left_shift(self, other)

    def __rlshift__(self, other):
        return np.left_shift(other, self)

    def __rshift__(self, other):
        return np.right_shift(self, other)

    def __rrshift__(self, other):
        return np.right_shift(other, self)


def _python_int(t, name: str, convert, elementwise: str) -> int:
    """``convert(t.item())``: the Python int ``round(t)`` or ``math.floor(t)`` gives, for
    a tensor of one element (as ``float(t)``); a tensor that requires grad, in grad
    mode, leaves the tape here, so this warns as ``math.exp(t)`` does (raises inside a
    transform)."""
    if t.data.size != 1:
        raise ValueError(
            f"{name}: only a tensor with exactly one element converts to a Python int; "
            f"this one has shape {t.shape}. For every element, {elementwise} gives a "
            "Tensor.")
    if t._requires_grad and _grad_mode.enabled:
        tape_drop(t, f"converted to a Python int by {name}() ({elementwise} stays on "
                     "the tape)")
    return convert(t.item())


def _complex_fast_power(exponent):
    """The ufunc an ndarray's ``**`` (and ``**=``) of a Python number takes instead of
    ``np.power`` (NumPy's fast paths: ``a ** 2`` is ``np.square``, ``a ** -1``
    ``np.reciprocal``, ``a ** 0.5`` ``np.sqrt``), or None.  Used for complex arrays,
    where they differ from the power ufunc in the last bit (real ones agree; a NumPy
    scalar takes neither)."""
    if exponent.__class__ is int:
        return np.square if exponent == 2 else np.reciprocal if exponent == -1 else None
    return np.sqrt if exponent == 0.5 else None


def bind() -> None:
    """Bind the ops the operators call (run by ``autodiff.tensor`` once they exist)."""
    global inplace, add, subtract, multiply, divide, square, abs, floor_divide
    global less, less_equal, greater, greater_equal, equal, not_equal
    global bitwise_and, bitwise_or, bitwise_xor, invert
    global _add, _subtract, _multiply, _divide, _power, _matmul, _negative, _mod
    global _add_number, _subtract_number, _multiply_number, _divide_number, _power_number
    global positive, power, mod, matmul, _round, _grad_mode, tape_drop, _operator_power
    global _operator_multiply, _operator_abs, _scalar_multiply
    global _scalar_power, _scalar_power_number
    from . import inplace
    from .graph import _grad_mode
    from .tape_drop import tape_drop
    from .ops.compare import (bitwise_and, bitwise_or, bitwise_xor, equal, greater,
                              greater_equal, invert, less, less_equal, not_equal)
    from .ops.elementwise import (abs, add, divide, multiply, negative, positive, power,
                                  square, subtract)
    from .ops.elementwise import round as _round
    from .ops.linalg import matmul
    from .ops.piecewise import floor_divide, mod
    # (NumPy's scalar **, and complex * and abs() on 0-d)
    from .ops.scalar_power import operator_abs, operator_multiply, operator_power
    _operator_abs = operator_abs
    _operator_power, _operator_multiply = operator_power, operator_multiply
    _scalar_multiply = operator_multiply._call2
    _scalar_power, _scalar_power_number = operator_power._call2, operator_power._call_number
    _add, _subtract, _multiply = add._call2, subtract._call2, multiply._call2
    _divide, _power, _matmul = divide._call2, power._call2, matmul._call2
    _add_number, _subtract_number = add._call_number, subtract._call_number
    _multiply_number, _divide_number = multiply._call_number, divide._call_number
    _power_number = power._call_number
    _negative = negative._call1
    _mod = mod._call2
