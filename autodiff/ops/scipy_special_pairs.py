"""SciPy's special functions of two outputs on Tensors: ``S, C = scipy.special.fresnel(t)``,
``si, ci = sici(t)`` and ``shi, chi = shichi(t)`` record, each output an op of its own.

The forwards are SciPy's (its values exactly); the slopes are the integrands that
define them, through ``xp`` (so they have slopes of their own): ``sin(pi t^2 / 2)`` and
``cos(pi t^2 / 2)`` for Fresnel's ``S`` and ``C``; ``sin t / t`` and ``cos t / t`` for
``si`` and ``ci``; ``sinh t / t`` and ``cosh t / t`` for ``shi`` and ``chi`` (1 at 0 for
``si`` and ``shi``, inf at 0 for ``ci`` and ``chi``, whose value is -inf there).  For
t < 0 SciPy's ``ci`` and ``chi`` are the real parts, ``ci(|t|)`` and ``chi(|t|)``, whose
slopes are the same formulas.

``fp, kp = modfresnelp(t)`` and ``fm, km = modfresnelm(t)`` (complex of a real t) record
too: ``F+(x) = integral(exp(i t^2), t=x..inf)`` has slope ``-exp(i x^2)``, and
``K+ = F+ exp(-i (x^2 + pi/4)) / sqrt(pi)`` has ``-exp(-i pi/4) / sqrt(pi) - 2i x K+``
(``F-``, ``K-``: i -> -i); the gradient is ``g * conj(slope)`` (PyTorch's convention),
whose real part reaches x.  SciPy's ``fp`` and ``fm`` for x < 0 are not that integral
(their imaginary parts differ), so their slopes there raise, naming it; ``kp`` and ``km``
agree with theirs for every x.
"""

from __future__ import annotations

import math

import numpy as np

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


def _integral_slope(name, sign):
    """The slope ``-exp(sign i x^2)`` of ``name``'s F output, refused for x < 0, where
    SciPy's values are not the integral."""
    def rule(xp, g, ans, x):
        negative = np.asarray(getattr(x, "data", x)) < 0
        if negative.any():
            raise NotImplementedError(
                f"{name}: the derivative of output 0 with respect to x < 0 is not "
                f"implemented (SciPy's values there are not integral(exp({sign}1j t^2), "
                f"t=x..inf): {name}(-1.0)[0] has imaginary part "
                f"{_negative_one_imaginary(name)}, the integral's is "
                f"{'+' if sign == '' else '-'}0.937); output 1 has its slope for every x; "
                "keep x >= 0 for output 0")
        slope = -xp.exp((1j if sign == "" else -1j) * (x * x))
        return g * xp.conj(slope)
    return rule


def _negative_one_imaginary(name):
    return {"modfresnelp": "-0.278", "modfresnelm": "-2.784"}[name]


def _scaled_slope(sign):
    """The slope of K+ (``sign`` 1) or K- (``sign`` -1): ``-exp(-sign i pi/4) / sqrt(pi)
    - sign 2i x K``."""
    constant = -complex(np.exp(-sign * 0.25j * math.pi)) / math.sqrt(math.pi)

    def rule(xp, g, ans, x):
        return g * xp.conj(constant - (sign * 2j) * (x * ans))
    return rule


def _complex_output(name, index, op_name, formula, rule, example):
    op = _output(name, index, op_name, formula, rule, example)
    op.complex_twin = op        # (complex values of a real x: conjugated rules)
    return op


modfresnelp_fp = _complex_output(
    "modfresnelp", 0, "modfresnelp_fp", "g * conj(-exp(i x^2)), x >= 0 only",
    _integral_slope("modfresnelp", ""),
    "special.modfresnelp(ad.tensor([0.0]))[0].data.round(8)\narray([0.62665707+0.62665707j])")
modfresnelp_kp = _complex_output(
    "modfresnelp", 1, "modfresnelp_kp", "g * conj(-exp(-i pi/4) / sqrt(pi) - 2i x ans)",
    _scaled_slope(1), "special.modfresnelp(ad.tensor([0.0]))[1].data.round(8)\n"
                      "array([0.5+0.j])")
modfresnelm_fm = _complex_output(
    "modfresnelm", 0, "modfresnelm_fm", "g * conj(-exp(-i x^2)), x >= 0 only",
    _integral_slope("modfresnelm", "-"),
    "special.modfresnelm(ad.tensor([0.0]))[0].data.round(8)\narray([0.62665707-0.62665707j])")
modfresnelm_km = _complex_output(
    "modfresnelm", 1, "modfresnelm_km", "g * conj(-exp(i pi/4) / sqrt(pi) + 2i x ans)",
    _scaled_slope(-1), "special.modfresnelm(ad.tensor([0.0]))[1].data.round(8)\n"
                       "array([0.5+0.j])")


def _pair(first, second):
    def both(x):
        return first(x), second(x)
    return both


OPS = {
    "fresnel": _pair(fresnel_s, fresnel_c),
    "sici": _pair(sici_si, sici_ci),
    "shichi": _pair(shichi_shi, shichi_chi),
    "modfresnelp": _pair(modfresnelp_fp, modfresnelp_kp),
    "modfresnelm": _pair(modfresnelm_fm, modfresnelm_km),
}
