"""The ``**`` and ``*`` operators and ``abs()`` of 0-d Tensors, computed as NumPy
computes them on scalars.

In NumPy code a 0-d value is nearly always a NumPy scalar (``a[0]``, ``a.sum()``), and
``x ** y`` or ``x * y`` of two NumPy scalars goes through NumPy's scalar arithmetic,
not the ufunc's loop.  Its ``pow`` is the C library's: on CPUs with AVX-512 its last
bit differs from the power ufunc's SIMD loop for about 5% of float64 and a third of
float32 values.  Its complex product is the textbook ``(ac - bd) + (ad + bc)i``, while
the multiply ufunc's complex loop fuses the multiply-adds (on AVX-512 a last-bit
difference for about 40% of complex draws; real products are one rounding either
way), and its ``abs`` of a complex scalar is the C library's ``hypot``, not the
absolute ufunc's SIMD loop (a last-bit difference for about a third of draws).
``operator_power``, ``operator_multiply`` and ``operator_abs`` are the ``power``,
``multiply`` and ``abs`` ops with a forward that takes the scalar path when the
operands are 0-d (or one is a Python or NumPy number): floats for ``**`` (complex
powers of scalars are the ufunc's already), floats and complex numbers with a complex
one among them for ``*``, a complex number for ``abs``; the ufunc otherwise.  Their
rules, name and everything else are the ops' own.  ``np.power(t, y)``,
``np.multiply(s, t)`` and ``np.abs(t)`` stay the ufuncs, as NumPy's do on scalars too.
A NumPy scalar on the left, ``np.float32(2) ** t`` or ``c * t``, reaches the Tensor as
the ufunc (``np.power``, ``np.multiply``); ``operator_for_numpy_scalar`` tells it from a
written ``np.power(x, t)`` by the instruction the user's line is executing (Python
3.11 on; before, it stays the ufunc).
"""

from __future__ import annotations

import dis
import operator

import numpy as np

from .elementwise import abs as absolute
from .elementwise import multiply, power

_BINARY_OP = dis.opmap.get("BINARY_OP")             # (Python 3.11 on)

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_INEXACT = _FLOATS + (np.dtype(np.complex64), np.dtype(np.complex128))
_NUMBERS = (int, float, complex, np.floating, np.integer, np.complexfloating)


def _scalar(x, dtypes):
    """``x`` as the NumPy scalar (or number) it stands for, when a 0-d array of one of
    ``dtypes`` or a number; else None."""
    if x.__class__ is np.ndarray:
        return x[()] if x.ndim == 0 and x.dtype in dtypes else None
    return x if isinstance(x, _NUMBERS) and x.__class__ is not bool else None


def _is_complex(x) -> bool:
    return isinstance(x, (complex, np.complexfloating))


def _scalar_forward(ufunc, scalar_operation, dtypes, complex_only: bool):
    """A forward computing ``ufunc(a, b)``, or ``scalar_operation`` of the NumPy scalars
    ``a`` and ``b`` stand for when both are 0-d arrays of ``dtypes`` or numbers (at
    least one of them an array, and, with ``complex_only``, one of them complex)."""
    def forward(a, b):
        if (a.__class__ is np.ndarray and a.ndim) or (b.__class__ is np.ndarray and b.ndim):
            return ufunc(a, b)          # (arrays, the common case: checked first)
        sa, sb = _scalar(a, dtypes), _scalar(b, dtypes)
        if sa is None or sb is None or (a.__class__ is not np.ndarray
                                        and b.__class__ is not np.ndarray):
            return ufunc(a, b)
        if complex_only and not (_is_complex(sa) or _is_complex(sb)):
            return ufunc(a, b)
        return np.asarray(scalar_operation(sa, sb))
    return forward


def _scalar_abs(x):
    """``np.abs(x)``, or Python's ``abs`` of the complex scalar a 0-d complex ``x``
    stands for."""
    if x.__class__ is np.ndarray and x.ndim == 0 and x.dtype.kind == "c":
        return np.asarray(abs(x[()]))
    return np.abs(x)


def _with_forward(op, forward):
    """A copy of ``op`` computing with ``forward``: an instance of ``op``'s own class
    with ``op``'s fields set one by one, as ``Op.__init__`` sets them (not copy.copy: an
    Op copies as itself, so that graphs keep their ops when copied).  Reading fields off
    it stays as quick as off ``op``, where a subclass or a copied ``__dict__`` made
    every scalar product about 1,900 instructions dearer."""
    twin = object.__new__(type(op))
    for name, value in vars(op).items():
        setattr(twin, name, value)
    twin.forward = twin.kernel = forward
    return twin


#: (op, its twin with the scalar forward), for ``finish_twins``
_TWINS = []


def _operator_op(op, forward):
    """``op`` with ``forward``; its float16 twins and complex twin are set by
    ``finish_twins``, once every module has installed ``op``'s."""
    twin = _with_forward(op, forward)
    _TWINS.append((op, twin))
    return twin


operator_power = _operator_op(power, _scalar_forward(np.power, operator.pow, _FLOATS, False))
operator_multiply = _operator_op(
    multiply, _scalar_forward(np.multiply, operator.mul, _INEXACT, True))
operator_abs = _operator_op(absolute, _scalar_abs)


def finish_twins() -> None:
    """Give each twin ``op``'s float16 twins, and ``op``'s complex twin computing with
    the twin's forward, so that a node with complex values replays the scalar
    arithmetic (``autodiff/__init__.py`` calls this after the complex and float16
    twins are installed)."""
    for op, twin in _TWINS:
        twin.half_twin, twin.half_numbers = op.half_twin, op.half_numbers
        if op.complex_twin is not None:
            twin.complex_twin = _with_forward(op.complex_twin, twin.forward)
            twin.complex_twin.complex_twin = twin.complex_twin


#: ``BINARY_OP``'s arguments for each operator (and its in-place form), and its op.
_OPERATORS = {ufunc: ({i for i, (_, symbol) in enumerate(getattr(dis, "_nb_ops", ()))
                       if symbol in (written, written + "=")}, op)
              for ufunc, written, op in ((np.multiply, "*", operator_multiply),
                                         (np.power, "**", operator_power))}


def operator_for_numpy_scalar(ufunc, inputs, frame):
    """``operator_multiply`` or ``operator_power`` when ``frame`` (the user's line) is
    executing ``x * t`` or ``x ** t`` (or ``x *= t``) of a NumPy scalar ``x`` and a 0-d
    Tensor ``t``, which NumPy hands to the Tensor as ``ufunc``; None otherwise, and for
    ``np.multiply(x, t)`` written so."""
    arguments, op = _OPERATORS.get(ufunc, (None, None))
    if op is None or len(inputs) != 2 or frame is None or _BINARY_OP is None:
        return None
    a, b = inputs
    if not (isinstance(a, np.generic) and getattr(b, "shape", None) == ()
            and not isinstance(b, np.generic)):
        return None
    code, i = frame.f_code.co_code, frame.f_lasti
    if 0 <= i < len(code) - 1 and code[i] == _BINARY_OP and code[i + 1] in arguments:
        return op
    return None
