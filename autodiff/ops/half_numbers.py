"""float16 tensors multiplied or divided by a Python number, as PyTorch computes them.

NumPy's rule for ``half_array * 0.1`` (NEP 50) casts the Python float to float16
first (0.0999755859375) and rounds the product again: about 30 % of the results
differ from PyTorch's, which computes in float32 with the number as float32
("opmath") and rounds once.  ``t * c``, ``c * t``, ``t / c`` and the in-place
``t *= c``, ``t /= c`` do as PyTorch for a float16 tensor and a Python int or float,
and so do their gradients (``g * c`` and ``g / c``, in float32, rounded once).
``c / t`` is PyTorch's ``reciprocal(t) * c``: the reciprocal rounded to float16, then
multiplied as above; its gradient is PyTorch's chain of float16 steps too.

``+``, ``-`` and ``**`` with a Python number keep NumPy's rule: PyTorch's float16
results are the same there.  A NumPy scalar operand (``np.float16(0.1)``) is an array
and keeps NumPy's rule.  The function forms with the number second (``ad.multiply(t,
0.1)``, ``t.mul(0.1)``, ``ad.divide(t, 0.1)``, and NumPy's ``np.multiply(t, 0.1)``,
which runs the same op on a Tensor) give the operators' values, as ``torch.mul`` does;
with the number first (``ad.multiply(0.1, t)``) they keep NumPy's rule, as
``torch.mul(0.1, t)`` and ``torch.div(0.1, t)`` do.

The ops ``multiply`` and ``divide`` hold a twin (``Op.half_numbers``) with these
forwards and rules; their call paths hand a float16 array with a Python number to it,
so float32 and float64 calls never reach this module.

>>> x = np.array([1.0, 3.0], np.float16)
>>> (ad.tensor(x) * 0.1).tolist(), (x * 0.1).tolist()
([0.0999755859375, 0.300048828125], [0.0999755859375, 0.2998046875])
"""

from __future__ import annotations

import numpy as np

from .define import REGISTRY
from .namespace import numpy_xp
from .registry import Op

_F16 = np.dtype(np.float16)
_F32 = np.float32
_nd = np.ndarray


def _rounded(values):
    return np.asarray(values).astype(_F16)


def _times_number(x, number):
    """``x * number`` for a float16 array and a Python number: in float32, rounded once."""
    return _rounded(x.astype(_F32) * _F32(number))


def _multiply(a, b):
    """``a * b``, one of them a float16 array and the other a Python number."""
    return _times_number(a, b) if a.__class__ is _nd else _times_number(b, a)


def _divide(a, b):
    """``a / b``: a float16 array by a number in float32, rounded once; a number by a
    float16 array as PyTorch's ``reciprocal(b) * a``."""
    if a.__class__ is _nd:
        return _rounded(a.astype(_F32) / _F32(b))
    return _times_number(np.reciprocal(b), a)


def _times(xp, g, number):
    """``g * number`` for an upstream gradient ``g``: an array rounded once here; a
    Tensor (``create_graph``) through ``*``, which rounds once itself."""
    return _times_number(g, number) if xp is numpy_xp else g * number


def _over_number(xp, g, ans, a, b):
    if xp is numpy_xp:
        return _rounded(g.astype(_F32) / _F32(b))
    return g / b


def _number_over(xp, g, ans, a, b):
    # PyTorch's steps for reciprocal(b) * a: the product's gradient g * a, then the
    # reciprocal's, -(g * a) * (r * r), each step rounded to float16
    reciprocal = 1 / b
    return -_times(xp, g, a) * (reciprocal * reciprocal)


def _twin(op, forward, rules) -> Op:
    """``op`` with the forward and rules above (same name and fields): what a float16
    array and a Python number record."""
    twin = object.__new__(Op)
    twin.__dict__.update(op.__dict__)
    twin.forward = twin.kernel = forward
    twin._scalar2 = None
    twin.rules = rules
    twin.half_twin = None
    twin.half_numbers = None
    return twin


def _install():
    multiply = REGISTRY["multiply"]
    multiply.half_numbers = _twin(multiply, _multiply, (
        lambda xp, g, ans, a, b: _times(xp, g, b),
        lambda xp, g, ans, a, b: _times(xp, g, a)))
    divide = REGISTRY["divide"]
    divide.half_numbers = _twin(divide, _divide, (_over_number, _number_over))


_install()
