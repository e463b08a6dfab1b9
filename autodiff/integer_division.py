"""Integer division by zero in PyTorch's spellings: an error, as PyTorch raises one.

NumPy's integer ``remainder``, ``fmod`` and ``floor_divide`` by 0 give 0 and warn
(``RuntimeWarning: divide by zero``); PyTorch's raise ``RuntimeError:
ZeroDivisionError``.  The spellings only PyTorch has (``t.remainder(d)``,
``t.fmod(d)``, ``t.floor_divide(d)``, ``t.div(d, rounding_mode=...)``, ``ad.div`` and
their in-place forms) raise ``IntegerDivisionByZeroError``, which is both a
``RuntimeError`` (PyTorch's) and a ``ZeroDivisionError`` (Python's), so that either
``except`` catches it.  NumPy's spellings, which the library shares with NumPy
(``np.remainder(t, 0)``, ``ad.remainder``, ``ad.fmod``, ``ad.floor_divide``, ``t % 0``,
``t // 0``, ``divmod``), keep NumPy's result and its warning, shown at the user's line
(``warning_lines.py``).  A float division (``/``, or a float operand) gives inf or NaN
in both libraries.

>>> ad.tensor([7, 8]).remainder(ad.tensor([2, 0]))
Traceback (most recent call last):
...
autodiff.integer_division.IntegerDivisionByZeroError: remainder: integer division by zero ...
"""

from __future__ import annotations

import numpy as np


class IntegerDivisionByZeroError(RuntimeError, ZeroDivisionError):
    """An integer tensor divided by zero in one of PyTorch's spellings (PyTorch's
    ``RuntimeError: ZeroDivisionError``)."""


def refuse_integer_division_by_zero(where: str, numpy_name: str, t, divisor) -> None:
    """Raise ``IntegerDivisionByZeroError`` (naming ``where``) when ``t`` and ``divisor``
    promote to an integer dtype and ``divisor`` holds a 0.  ``ad.compile`` checks
    again at each replay, on that call's divisor.

    >>> refuse_integer_division_by_zero("fmod", "fmod", ad.tensor([3]), 2.0)  # (float: NaN)
    >>> refuse_integer_division_by_zero("fmod", "fmod", ad.tensor([3]), 0)
    Traceback (most recent call last):
    ...
    autodiff.integer_division.IntegerDivisionByZeroError: fmod: integer division by zero ...
    """
    from .compile.hooks import made
    from .tensor import Tensor
    # (not getattr(x, "data"): a NumPy scalar's .data is a memoryview of its bytes)
    values = t.data if isinstance(t, Tensor) else t
    divisors = divisor.data if isinstance(divisor, Tensor) else divisor
    if isinstance(divisors, (list, tuple)):
        divisors = np.asarray(divisors)
    kind = np.result_type(values, divisors).kind
    if kind == "b":
        raise TypeError(
            f"{where}: both operands are bool (the tensor has shape {np.shape(values)}); "
            "PyTorch refuses this division of bools (not implemented for 'Bool'), where "
            f"NumPy's np.{numpy_name} gives int8.  Convert first: t.long() for integers, "
            "t.double() for floats")
    if kind in "iu":
        made(f"{where} zero divisor check", _no_zero_divisor,
             (where, numpy_name, np.shape(values), np.result_type(values), divisors),
             stateful=True)


def _no_zero_divisor(where, numpy_name, shape, dtype, divisors):
    divisors = np.asarray(divisors)
    if not (divisors == 0).any():
        return divisors
    raise IntegerDivisionByZeroError(
        f"{where}: integer division by zero (the tensor has shape {shape}, dtype {dtype}; "
        f"the divisor, of shape {divisors.shape} and dtype {divisors.dtype}, holds 0); "
        f"PyTorch raises ZeroDivisionError here too, where NumPy's np.{numpy_name} gives "
        "0 with a warning.  Replace the zero divisors first (d = ad.where(d == 0, 1, d)), "
        "or divide floats (t.double()) for inf and NaN")
