"""SciPy's special functions of two outputs on Tensors: ``S, C = scipy.special.fresnel(t)``,
``si, ci = sici(t)`` and ``shi, chi = shichi(t)`` record, each output an op of its own.

The forwards are SciPy's (its values exactly); the slopes are the integrands that
define them, through ``xp`` (so they have slopes of their own): ``sin(pi t^2 / 2)`` and
``cos(pi t^2 / 2)`` for Fresnel's ``S`` and ``C``; ``sin t / t`` and ``cos t / t`` for
``si`` and ``ci``; ``sinh t / t`` and ``cosh t / t`` for ``shi`` and ``chi`` (1 at 0 for
``si`` and ``shi``, inf at 0 for ``ci`` and ``chi``, whose value is -inf there).  For
t < 0 SciPy's ``ci`` and ``chi`` are the real parts, ``ci(|t|)`` and ``chi(|t|)``, whose
slopes are the same formulas.
"""

from __future__ import annotations

import math

from .registry import defop
from .scipy_special import _quietly


def _part(name, index):
    def forward(x):
        from scipy import special
        return getattr(special, name)(x)[index]
    forward.__name__ = f"{name}_{index}"
    return forward


def _over_x_at_zero_one(xp, numerator, x):
    """``numerator(x) / x``, 1 at x = 0 (its limit for sin and sinh)."""
    zero = x == 0
    inside = xp.where(zero, 1.0, x)
    return xp.where(zero, 1.0, numerator(inside) / inside)


def _output(name, index, op_name, formula, rule, example):
    return defop(f"scipy_{op_name}", _part(name, index), elementwise=True,
                 doc=f"Output {index} of ``scipy.special.{name}`` on a Tensor (SciPy's "
                     f"values, the library's gradient); ``{name}(t)`` on a Tensor returns "
                     f"both.\n\n>>> from scipy import special\n>>> {example}",
                 x=(formula, rule))


_HALF_PI = math.pi / 2

fresnel_s = _output("fresnel", 0, "fresnel_s", "g * sin(pi x^2 / 2)",
                    lambda xp, g, ans, x: g * xp.sin(_HALF_PI * x * x),
                    "special.fresnel(ad.tensor([0.0]))[0]\ntensor([0.])")
fresnel_c = _output("fresnel", 1, "fresnel_c", "g * cos(pi x^2 / 2)",
                    lambda xp, g, ans, x: g * xp.cos(_HALF_PI * x * x),
                    "special.fresnel(ad.tensor([0.0]))[1]\ntensor([0.])")
sici_si = _output("sici", 0, "sici_si", "g * sin(x) / x, g at 0",
                  lambda xp, g, ans, x: g * _over_x_at_zero_one(xp, xp.sin, x),
                  "special.sici(ad.tensor([0.0]))[0]\ntensor([0.])")
sici_ci = _output("sici", 1, "sici_ci", "g * cos(x) / x, inf at 0",
                  _quietly(lambda xp, g, ans, x: g * (xp.cos(x) / x)),
                  "special.sici(ad.tensor([1.0]))[1]\ntensor([0.33740392])")
shichi_shi = _output("shichi", 0, "shichi_shi", "g * sinh(x) / x, g at 0",
                     lambda xp, g, ans, x: g * _over_x_at_zero_one(xp, xp.sinh, x),
                     "special.shichi(ad.tensor([0.0]))[0]\ntensor([0.])")
shichi_chi = _output("shichi", 1, "shichi_chi", "g * cosh(x) / x, inf at 0",
                     _quietly(lambda xp, g, ans, x: g * (xp.cosh(x) / x)),
                     "special.shichi(ad.tensor([1.0]))[1]\ntensor([0.83786694])")


def _pair(first, second):
    def both(x):
        return first(x), second(x)
    return both


OPS = {
    "fresnel": _pair(fresnel_s, fresnel_c),
    "sici": _pair(sici_si, sici_ci),
    "shichi": _pair(shichi_shi, shichi_chi),
}
