"""float16 ops computed in float32 and rounded once, as PyTorch's CPU kernels do.

NumPy's float16 ufuncs compute in float32 and round once, but an op whose forward
or gradient rule is several NumPy calls rounds at every call in float16 (``sigmoid``
as ``1 / (1 + exp(-x))``: a third of its values 1 ulp off).  PyTorch's kernels
compute float16 in float32 ("opmath") and round the result once.  The ops named in
``FORWARDS`` and ``RULES`` do the same: where their float16 arrays would give a
float16 result, they are computed on float32 copies and the result is rounded to
float16 at the end.  The forwards test the dtype of their input; the rules are those
of a twin op (``Op.half_twin``) that float16 results record, so the backward of
other dtypes is untouched.

The rules round once in a plain ``backward()`` and with ``create_graph=True`` too
(there through recorded ``astype`` ops, in float32 between them).

>>> x = np.float16(-3.0)
>>> float(ad.sigmoid(ad.tensor([x])).data[0]) == float(np.float16(1 / (1 + np.exp(3.0))))
True
"""

from __future__ import annotations

import numpy as np

from .define import REGISTRY
from .namespace import _helpers, numpy_xp
from .registry import Op
from ..tensor import Tensor

_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)
_nd = np.ndarray

# sigmoid's and tanh's kernels (``autodiff.kernels``) round float16 once themselves,
# at no cost to large float32 and float64 arrays (they go to the compiled kernels
# first); their recorded rules (create_graph) are in RULES.

#: Ops whose forward is a composite of NumPy calls (float16 steps without this).
FORWARDS = ("sigmoid_derivative", "tanh_derivative", "xlogy", "sinc", "i0",
            "bessel_i1", "bessel_i1_over_x")
#: Ops whose gradient rule is a composite (the forward may be one correct ufunc).
RULES = ("sigmoid", "tanh", "sigmoid_derivative", "tanh_derivative", "erf", "erfc", "erfinv",
         "log1p", "expm1", "logaddexp", "logaddexp2", "xlogy", "log2", "log10", "exp2", "cbrt",
         "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "tan", "sinc",
         "bessel_i1", "bessel_i1_over_x", "lgamma", "digamma")


def _half_result(values) -> bool:
    """Whether these arguments hold a float16 array and nothing wider (a float32 or
    float64 array or NumPy scalar), so that NumPy's result would be float16."""
    if len(values) == 1:                    # (the common case, in one test)
        a = values[0]
        return a.__class__ is _nd and a.dtype is _F16
    half = False
    for a in values:
        if a.__class__ is _nd or isinstance(a, np.generic):
            kind, size = a.dtype.kind, a.dtype.itemsize
            if kind == "f" and size == 2:
                half = half or a.__class__ is _nd
            elif kind in "fc":
                return False
    return half


def _wide(a):
    if a.__class__ is _nd or isinstance(a, np.generic):
        return a.astype(_F32) if a.dtype == _F16 else a
    return a


def _round(out):
    if (out.__class__ is _nd or isinstance(out, np.generic)) and out.dtype == _F32:
        return np.asarray(out).astype(_F16)     # (a 0-d input gives a float32 scalar)
    return out


def forward_in_float32(forward):
    """``forward`` that, given float16 arrays (and nothing wider), computes in float32
    and rounds once.

    >>> f = forward_in_float32(lambda x: 1 / (1 + np.exp(-x)))
    >>> f(np.array([-3.0], np.float16)).dtype
    dtype('float16')
    """
    def rounded_once(*args, **kwargs):
        if not _half_result(args):
            return forward(*args, **kwargs)
        return _round(forward(*[_wide(a) for a in args], **kwargs))
    rounded_once.__name__ = getattr(forward, "__name__", "forward")
    rounded_once.__wrapped__ = forward
    return rounded_once


def rule_in_float32(rule):
    """A gradient rule that computes in float32 and rounds the gradient to float16 once:
    on arrays (a plain backward) with float32 copies, recorded (``create_graph=True``)
    through ``astype`` ops, so that higher derivatives follow.  Only the nodes of
    float16 results use it (``Op.half_twin``)."""
    def rounded_once(xp, g, ans, *args, **kwargs):
        if xp is numpy_xp:
            return _round(rule(xp, _wide(g), _wide(ans), *[_wide(a) for a in args],
                               **kwargs))
        wide = [xp.astype(a, _F32) if isinstance(a, Tensor) and a.dtype == _F16 else a
                for a in (g, ans) + args]
        out = rule(xp, *wide, **kwargs)
        return xp.astype(out, _F16) if isinstance(out, Tensor) and out.dtype == _F32 else out
    rounded_once.__wrapped__ = rule
    return rounded_once


def _half_twin(op):
    """``op`` with its rules computing in float32 (same name, forward and fields)."""
    twin = object.__new__(Op)
    twin.__dict__.update(op.__dict__)
    twin.rules = tuple(None if r is None else rule_in_float32(r) for r in op.rules)
    return twin


def _install():
    for name in FORWARDS:
        op = REGISTRY[name]
        kernel_is_forward = op.kernel is op.forward
        op.forward = forward_in_float32(op.forward)
        op.kernel = op.forward if kernel_is_forward else forward_in_float32(op.kernel)
        if name not in _helpers:
            setattr(numpy_xp, name, op.kernel)
    for name in RULES:
        op = REGISTRY[name]
        op.half_twin = _half_twin(op)


_install()
