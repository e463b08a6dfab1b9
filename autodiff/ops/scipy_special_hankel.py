"""SciPy's Hankel functions and scaled Bessel functions of the first and second kind on
Tensors: ``scipy.special.hankel1(v, t)``, ``hankel2``, ``hankel1e``, ``hankel2e``,
``jve``, ``yve`` record.

The forwards are SciPy's (its values exactly); the slopes in x are the recurrence
``Z_v' = (Z_{v-1} - Z_{v+1}) / 2`` of every cylinder function, through ``xp`` (so they
have slopes of their own), plus the scale's slope for the scaled ones:
``hankel1e = hankel1 e^(-ix)`` adds ``-i hankel1e``, ``hankel2e = hankel2 e^(ix)`` adds
``i hankel2e``.  The Hankel functions are holomorphic and complex-valued (of real or
complex x): the gradient is ``g * conj(Z')`` (PyTorch's convention).  ``jve`` and
``yve`` scale by ``e^(-|Im x|)``, 1 for real x, where the slope is the recurrence; for
complex x that scale is not holomorphic, and their slope raises naming the function.
The order v gets no gradient (as for ``jv``): asking for it raises.
"""

from __future__ import annotations

from .scipy_special import _binary, _quietly
from .scipy_special_bessel import _example, _order_rule


def _is_complex(value) -> bool:
    return value.dtype.kind == "c"


def _recurrence(name, scale):
    """The slope in x of ``name(v, x)``: ``(Z_{v-1} - Z_{v+1}) / 2 + scale * ans``,
    conjugated for complex values."""
    def rule(xp, g, ans, v, x):
        function = getattr(xp, f"scipy_{name}")
        slope = (function(v - 1, x) - function(v + 1, x)) / 2
        if scale:
            slope = slope + scale * ans
        return g * (xp.conj(slope) if _is_complex(ans) else slope)
    return _quietly(rule)


def _real_only(name, rule):
    def real(xp, g, ans, v, x):
        if _is_complex(ans):
            raise NotImplementedError(
                f"{name}: the derivative with respect to complex x is not implemented (its "
                "scale exp(-|Im x|) is not holomorphic); for real x it has one, or use "
                f"{name[:2]}v(v, x) times the scale written with ad.imag / ad.abs")
        return rule(xp, g, ans, v, x)
    return real


def _op(name, formula, rule, example):
    op = _binary(name, ("not implemented (as for jv)", _order_rule(name)), (formula, rule),
                 example, names=("v", "x"))
    op.complex_twin = op        # (conjugated for complex values, or refused by name)
    return op


OPS = {
    "hankel1": _op("hankel1", "g * conj(hankel1(v - 1, x) - hankel1(v + 1, x)) / 2",
                   _recurrence("hankel1", 0),
                   ">>> from scipy import special\n"
                   ">>> special.hankel1(0.5, ad.tensor([1.0])).data.round(8)\n"
                   "array([0.67139671-0.43109887j])"),
    "hankel2": _op("hankel2", "g * conj(hankel2(v - 1, x) - hankel2(v + 1, x)) / 2",
                   _recurrence("hankel2", 0),
                   ">>> from scipy import special\n"
                   ">>> special.hankel2(0.5, ad.tensor([1.0])).data.round(8)\n"
                   "array([0.67139671+0.43109887j])"),
    "hankel1e": _op("hankel1e", "g * conj((hankel1e(v - 1, x) - hankel1e(v + 1, x)) / 2 "
                                "- i ans)", _recurrence("hankel1e", -1j),
                    ">>> from scipy import special\n"
                    ">>> special.hankel1e(0.5, ad.tensor([1.0])).data.round(8)\n"
                    "array([0.-0.79788456j])"),
    "hankel2e": _op("hankel2e", "g * conj((hankel2e(v - 1, x) - hankel2e(v + 1, x)) / 2 "
                                "+ i ans)", _recurrence("hankel2e", 1j),
                    ">>> from scipy import special\n"
                    ">>> special.hankel2e(0.5, ad.tensor([1.0])).data.round(8)\n"
                    "array([0.+0.79788456j])"),
    "jve": _op("jve", "g * (jve(v - 1, x) - jve(v + 1, x)) / 2, real x only",
               _real_only("jve", _recurrence("jve", 0)),
               _example("jve(1.0, ad.tensor([0.0]))", "0.")),
    "yve": _op("yve", "g * (yve(v - 1, x) - yve(v + 1, x)) / 2, real x only",
               _real_only("yve", _recurrence("yve", 0)),
               _example("yve(0.0, ad.tensor([1.0]))", "0.08825696")),
}
