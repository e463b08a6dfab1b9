"""The error function and GELU as ops: one fused forward and a one-pass backward each.

In a plain ``backward()`` the rules call the kernels (``autodiff.kernels``); with
``create_graph=True`` the same formulas are recorded from ``erf`` and ``exp`` ops, so
second derivatives work.
"""

from __future__ import annotations

import math

from .. import kernels
from . import elementwise as ew
from .namespace import xp_function
from .registry import defop
from .saturation import ERF

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_C = math.sqrt(2.0 / math.pi)
_TANH_K = 0.044715


def _erf_backward_tensor(g, x):
    return g * (_TWO_OVER_SQRT_PI * ew.exp(-(x * x)))


xp_function("erf_backward", kernels.erf_backward, _erf_backward_tensor)

erf = defop(
    "erf", kernels.erf,
    doc="The error function 2/sqrt(pi) * integral of exp(-t**2) from 0 to x.\n\n"
        ">>> ad.erf(ad.tensor([0.0, 1.0]))\ntensor([0.        , 0.84270079])",
    x=("g * 2/sqrt(pi) * exp(-x**2)", lambda xp, g, ans, x: xp.erf_backward(g, x)),
    elementwise=True, saturation=ERF)


def _gelu_backward_tensor(g, x, ans, approximate="none"):
    if approximate == "tanh":
        # 0.5 (1 + tanh a) = sigmoid(2a) and 0.5 (1 - tanh² a) = 2 s (1 - s): no
        # cancellation for x < -2, as in the kernels (1 - s = sigmoid(-2a)).
        x2 = x * x
        a2 = (2.0 * _TANH_C) * (x + _TANH_K * x2 * x)
        s = ew.sigmoid(a2)
        dinner = _TANH_C * (1.0 + 3.0 * _TANH_K * x2)
        return g * (s + 2.0 * x * (s * ew.sigmoid(-a2)) * dinner)
    cdf = 0.5 * (1.0 + erf(x * _SQRT_HALF))
    return g * (cdf + x * (_INV_SQRT_2PI * ew.exp(-0.5 * (x * x))))


xp_function("gelu_backward", kernels.gelu_backward, _gelu_backward_tensor)

gelu = defop(
    "gelu", kernels.gelu,
    doc="x * Phi(x) (Phi the standard normal CDF), or with approximate='tanh'\n"
        "0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3))); see F.gelu.",
    x=("g * (Phi(x) + x * phi(x))",
       lambda xp, g, ans, x, approximate="none": xp.gelu_backward(g, x, ans, approximate)),
    approximate=None, elementwise=True)
