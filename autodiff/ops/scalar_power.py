"""The ``**`` operator of a 0-d Tensor, computed as NumPy computes it on scalars.

In NumPy code a 0-d value is nearly always a NumPy scalar (``a[0]``, ``a.sum()``), and
``x ** y`` of two NumPy scalars goes through NumPy's scalar arithmetic, whose ``pow``
is the C library's: on CPUs with AVX-512 its last bit differs from the power ufunc's
SIMD loop for about 5% of float64 and a third of float32 values.  ``operator_power``
is the ``power`` op with a forward that takes that path when both operands are 0-d
floats (or one is a Python or NumPy number), and the ufunc otherwise; its rules,
name and everything else are ``power``'s.  ``np.power(t, y)`` stays the ufunc, as
NumPy's does on scalars too (and so does ``np.float32(2) ** t``, which NumPy hands to
the Tensor as ``np.power``).
"""

from __future__ import annotations

import numpy as np

from .elementwise import power

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_NUMBERS = (int, float, np.floating, np.integer)


def _scalar(x):
    """``x`` as the NumPy scalar (or number) it stands for, or None."""
    if x.__class__ is np.ndarray:
        return x[()] if x.ndim == 0 and x.dtype in _FLOATS else None
    return x if isinstance(x, _NUMBERS) and x.__class__ is not bool else None


def _operator_power(a, b):
    if (a.__class__ is np.ndarray and a.ndim) or (b.__class__ is np.ndarray and b.ndim):
        return np.power(a, b)           # (arrays, the common case: checked first)
    sa, sb = _scalar(a), _scalar(b)
    if sa is None or sb is None or (a.__class__ is not np.ndarray
                                    and b.__class__ is not np.ndarray):
        return np.power(a, b)
    return np.asarray(sa ** sb)


class _OperatorPower(type(power)):
    """``power`` with the forward above; the twins other modules give ``power`` later
    (complex_ops.py, half_math.py) are read from it."""
    complex_twin = property(lambda self: power.complex_twin)
    half_twin = property(lambda self: power.half_twin)
    half_numbers = property(lambda self: power.half_numbers)


# (not copy.copy: an Op copies as itself, so that graphs keep their ops when copied)
operator_power = object.__new__(_OperatorPower)
operator_power.__dict__.update(
    (k, v) for k, v in vars(power).items()
    if k not in ("complex_twin", "half_twin", "half_numbers"))
operator_power.forward = operator_power.kernel = _operator_power
