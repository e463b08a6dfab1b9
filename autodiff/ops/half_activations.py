"""The activations that are compositions of ops, for float16 inputs: one op that
computes them in float32 and rounds once, as PyTorch's CPU kernels do.

A composition such as ``x * sigmoid(x)`` rounds every step to float16 (a third of
SiLU's float16 values 1 ulp off); ``F.silu`` and its kin route a float16 input here
instead, where the value and the slope are evaluated on float32 copies and rounded
to float16 once, forward and backward.  float32 and float64 inputs never come here.

Each activation is a pair of formulas over an ``xp`` namespace, the value and the
slope, so that with ``create_graph=True`` the slope is recorded (in float32) and
differentiates again.

>>> x = ad.tensor(np.array([-1.0, 2.0], np.float16))
>>> activation_in_float32(x, "silu")
tensor([-0.269,  1.762], dtype=float16)
"""

from __future__ import annotations

import numpy as np

from .namespace import numpy_xp
from .registry import defop

_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)


def _softplus(xp, x):
    """``log(1 + exp(x))``; exp only sees ``-|x|``."""
    return xp.where(x > 0, x, 0.0) + xp.log1p(xp.exp(-xp.abs(x)))


def _elu_value(xp, x, negative_coef, positive_coef, input_scale):
    negative = x < 0
    left = xp.expm1(xp.where(negative, x, 0.0) * input_scale) * negative_coef
    return xp.where(negative, left, x * positive_coef)


def _elu_slope(xp, x, negative_coef, positive_coef, input_scale):
    negative = x < 0
    left = xp.exp(xp.where(negative, x, 0.0) * input_scale) * (negative_coef * input_scale)
    # at 0 the left slope, as the float32 composition (and PyTorch) takes it
    return xp.where(negative, left, xp.where(x == 0, negative_coef * input_scale,
                                             positive_coef))


def _hardswish_value(xp, x):
    return x * xp.where(x <= -3.0, 0.0, xp.where(x < 3.0, x + 3.0, 6.0)) / 6.0


def _hardswish_slope(xp, x):
    return xp.where(x <= -3.0, 0.0, xp.where(x < 3.0, x / 3.0 + 0.5, 1.0))


def _hardsigmoid_slope(xp, x):
    return xp.where(x > -3.0, xp.where(x < 3.0, 1.0 / 6.0, 0.0), 0.0)


def _softplus_value(xp, x, beta, threshold):
    scaled = x * beta
    linear = scaled > threshold
    return xp.where(linear, x, _softplus(xp, xp.where(linear, 0.0, scaled)) / beta)


def _softplus_slope(xp, x, beta, threshold):
    scaled = x * beta
    return xp.where(scaled > threshold, 1.0, xp.sigmoid(scaled))


def _tanhshrink_value(xp, x):
    # x - tanh(x) cancels for small x (in float32, 184 float16 values in [-12, 12]
    # rounded the wrong way): the difference is taken in float64.
    wide = xp.astype(x, np.float64)
    return xp.astype(wide - xp.tanh(wide), x.dtype)


def _logit_value(xp, x, eps=None):
    if eps is not None:
        x = xp.where(x < eps, eps, xp.where(x > 1.0 - eps, 1.0 - eps, x))
    return xp.log(x) - xp.log1p(-x)


def _logit_slope(xp, x, eps=None):
    slope = 1.0 / (x * (1.0 - x))
    if eps is None:
        return slope
    return xp.where(xp.logical_or(x < eps, x > 1.0 - eps), 0.0, slope)


def _in_band(xp, x, lambd):
    return xp.logical_and(x >= -lambd, x <= lambd)


def _mish_slope(xp, x):
    softplus = _softplus(xp, x)
    return xp.tanh(softplus) + x * xp.sigmoid(x) * xp.tanh_derivative(softplus)


#: name -> (value(xp, x, *coefficients), slope(xp, x, *coefficients))
ACTIVATIONS = {
    "silu": (lambda xp, x: x * xp.sigmoid(x),
             lambda xp, x: xp.sigmoid(x) + x * xp.sigmoid_derivative(x)),
    "softplus": (_softplus_value, _softplus_slope),
    "mish": (lambda xp, x: x * xp.tanh(_softplus(xp, x)), _mish_slope),
    "elu": (_elu_value, _elu_slope),
    "logsigmoid": (lambda xp, x: xp.where(x < 0, x, 0.0) - xp.log1p(xp.exp(-xp.abs(x))),
                   lambda xp, x: xp.sigmoid(-x)),
    "hardswish": (_hardswish_value, _hardswish_slope),
    "hardsigmoid": (lambda xp, x: xp.clip(x + 3.0, 0.0, 6.0) / 6.0, _hardsigmoid_slope),
    "softsign": (lambda xp, x: x / (xp.abs(x) + 1.0),
                 lambda xp, x: 1.0 / ((xp.abs(x) + 1.0) * (xp.abs(x) + 1.0))),
    "softshrink": (lambda xp, x, lambd: xp.where(_in_band(xp, x, lambd), 0.0,
                                                 x - lambd * xp.sign(x)),
                   lambda xp, x, lambd: xp.where(_in_band(xp, x, lambd), 0.0, 1.0)),
    "logit": (_logit_value, _logit_slope),
    "tanhshrink": (_tanhshrink_value, lambda xp, x: xp.tanh(x) * xp.tanh(x)),
}


def _wide(dtype) -> np.dtype:
    """float32 for float16 (the one rounding at the end); float32 and float64 as they are."""
    return np.promote_types(dtype, _F32)


def _forward(x, kind, coefficients=()):
    value, _ = ACTIVATIONS[kind]
    with np.errstate(over="ignore"):
        return value(numpy_xp, x.astype(_wide(x.dtype)), *coefficients).astype(x.dtype)


def _rule(xp, g, ans, x, kind, coefficients=()):
    _, slope = ACTIVATIONS[kind]
    with np.errstate(over="ignore"):
        dtype = _wide(x.dtype)
        wide = xp.astype(g, dtype) * slope(xp, xp.astype(x, dtype), *coefficients)
    return xp.astype(wide, g.dtype)


activation_in_float32 = defop(
    "activation_in_float32", _forward,
    doc="The activation ``kind`` (``'silu'``, ``'softplus'`` with ``coefficients``\n"
        "``(beta, threshold)``, ``'mish'``, ``'elu'`` with ``coefficients``\n"
        "``(negative_coef, positive_coef, input_scale)``, ``'logsigmoid'``,\n"
        "``'hardswish'``, ``'hardsigmoid'``, ``'softsign'``, ``'softshrink'`` with\n"
        "``coefficients`` ``(lambd,)``, ``'tanhshrink'``, ``'logit'`` with ``(eps,)``\n"
        "or none) of a float16 ``x``, computed in float32 and rounded once, as PyTorch's kernels\n"
        "(float32 and float64 in their own precision);\n"
        "``F.silu`` and the others call it for float16 inputs.\n\n"
        ">>> x = ad.tensor(np.array([1.0], np.float16))\n"
        ">>> ad.ops.half_activations.activation_in_float32(x, 'softsign')\n"
        "tensor([0.5], dtype=float16)",
    x=("g * slope(x), in float32, rounded once", _rule), kind=None, coefficients=None,
    elementwise=True)


def rounds_once(x) -> bool:
    """Whether ``x`` (a Tensor) is float16, so that an activation should take
    ``activation_in_float32`` rather than its composition."""
    return x.data.dtype == _F16
