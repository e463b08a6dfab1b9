"""SciPy's Mathieu functions on Tensors: ``y, yp = scipy.special.mathieu_cem(m, q, t)``,
``mathieu_sem`` and the modified ``mathieu_modcem1``, ``modcem2``, ``modsem1``,
``modsem2`` record, the function and its derivative each an op of its own; the
characteristic values ``mathieu_a(m, q)`` and ``mathieu_b(m, q)`` record without slopes.

The forwards are SciPy's (its values exactly), computed in float64 for float32 and
float16 inputs and rounded back (SciPy's float32 loops give NaN).  SciPy returns the
derivative in x as the second output, so the function's slope is that output, and the
derivative's slope is Mathieu's equation, through ``xp`` (so it has slopes of its own):
``y'' = -(a - 2q cos 2x) y`` for ``ce_m`` and ``se_m``, and ``y'' = (a - 2q cosh 2x) y``
for the modified functions, with ``a = mathieu_a(m, q)`` for the even (``ce``) and
``mathieu_b(m, q)`` for the odd (``se``) ones.

SciPy takes x in degrees for ``mathieu_cem`` and ``mathieu_sem`` but returns the
derivative in radians: ``mathieu_cem(m, q, x)[1]`` is ``d ce_m / d(x pi / 180)``.  The
slopes here are in the argument as passed (degrees), so they carry ``pi / 180``:
``d y / dx = yp pi / 180`` and ``d yp / dx = -(a - 2q cos(2x pi / 180)) y pi / 180``.
The modified functions take x in radians.

At q = 0 SciPy's second-kind modified functions (``modcem2``, ``modsem2``) return
``-1e300`` (a stand-in for their infinite limit) and a derivative of 0, which is not the
limit (``2 / pi`` for ``modcem2`` of order 0): their slopes in x raise there, naming it.
For q < 0 SciPy's modified functions are NaN, and so are their slopes (NaN, not a value).

The order m and the parameter q get no gradient: asking for one raises, naming it (the
slope of a characteristic value in q is an integral over the period, Hellmann-Feynman's
``<y, 2 cos(2x) y> / <y, y>``, which SciPy does not provide).
"""

from __future__ import annotations

import math

import numpy as np

from .registry import defop
from .scipy_special import scipy_function_in_float64, slope_refused
from .scipy_special_equations import equation_pair

_RADIANS_PER_DEGREE = math.pi / 180


def _output(name, index):
    return scipy_function_in_float64(name, index)


def _order_refused(name):
    return slope_refused(name, "m", "it is an integer order", meaning="the order",
                         only="x" if name not in ("mathieu_a", "mathieu_b") else None)


def _q_refused(name):
    why = ("the slope of a characteristic value in q is an integral over the period, "
           "which SciPy does not provide") if name in ("mathieu_a", "mathieu_b") else \
        "it has no closed form in SciPy's functions"
    return slope_refused(name, "q", why, meaning="the parameter",
                         only="x" if name not in ("mathieu_a", "mathieu_b") else None)


def _characteristic(name, example):
    return defop(f"scipy_{name}", scipy_function_in_float64(name), elementwise=True,
                 doc=f"``scipy.special.{name}`` on Tensors (SciPy's values; the slopes in m "
                     f"and q raise, naming them).\n\n>>> from scipy import special\n"
                     f">>> {example}",
                 m=("not implemented", _order_refused(name)),
                 q=("not implemented", _q_refused(name)))


mathieu_a = _characteristic("mathieu_a", "special.mathieu_a(2.0, ad.tensor([0.0]))\n"
                                         "tensor([4.])")
mathieu_b = _characteristic("mathieu_b", "special.mathieu_b(2.0, ad.tensor([0.0]))\n"
                                         "tensor([4.])")


def _circular_factor(xp, a, q, x):
    return 2 * q * xp.cos(2 * x) - a


def _modified_factor(xp, a, q, x):
    return a - 2 * q * xp.cosh(2 * x)


_CIRCULAR = ("-(a - 2q cos 2x)", _circular_factor)
_MODIFIED = ("a - 2q cosh 2x", _modified_factor)
#: name: (the characteristic value's function, whether x is in degrees, the equation's
#: factor of y in y'' written out, and computed from (a, q, x in radians))
_FAMILIES = {
    "mathieu_cem": ("mathieu_a", True, *_CIRCULAR),
    "mathieu_sem": ("mathieu_b", True, *_CIRCULAR),
    "mathieu_modcem1": ("mathieu_a", False, *_MODIFIED),
    "mathieu_modcem2": ("mathieu_a", False, *_MODIFIED),
    "mathieu_modsem1": ("mathieu_b", False, *_MODIFIED),
    "mathieu_modsem2": ("mathieu_b", False, *_MODIFIED),
}
_EXAMPLES = {     # (the call, and its two values rounded to 8 places)
    "mathieu_cem": ("mathieu_cem(1.0, 0.0, ad.tensor([60.0]))", "0.5", "-0.8660254"),
    "mathieu_sem": ("mathieu_sem(1.0, 0.0, ad.tensor([30.0]))", "0.5", "0.8660254"),
    "mathieu_modcem1": ("mathieu_modcem1(0.0, 1.0, ad.tensor([0.5]))", "0.46510641",
                        "-0.83812616"),
    "mathieu_modcem2": ("mathieu_modcem2(0.0, 1.0, ad.tensor([0.5]))", "0.35460962",
                        "0.72975167"),
    "mathieu_modsem1": ("mathieu_modsem1(1.0, 1.0, ad.tensor([0.5]))", "0.4046255",
                        "0.61617504"),
    "mathieu_modsem2": ("mathieu_modsem2(1.0, 1.0, ad.tensor([0.5]))", "-0.43963249",
                        "0.90387088"),
}


def _refuse_q_zero(name, q):
    """Raise where SciPy's second-kind modified function has q = 0 (its stand-in value)."""
    if name.endswith("2") and np.any(np.asarray(getattr(q, "data", q)) == 0):
        raise ValueError(
            f"{name}: no derivative in x at q = 0: SciPy returns -1e300 there for the "
            "function (a stand-in for its infinite limit) and 0 for its derivative, which is "
            "not the limit as q -> 0 (2/pi for modcem2 of order 0, infinite for the higher "
            "orders); take q > 0")


def _pair(name):
    characteristic, in_degrees, written, factor = _FAMILIES[name]
    scale = _RADIANS_PER_DEGREE if in_degrees else 1.0

    def equation_factor(xp, m, q, x):
        a = getattr(xp, f"scipy_{characteristic}")(m, q)
        return factor(xp, a, q, x * scale if in_degrees else x)

    return equation_pair(
        name, lambda index: _output(name, index), ("m", "q", "x"),
        {"m": ("not implemented", _order_refused(name)),
         "q": ("not implemented", _q_refused(name))},
        equation_factor, written=written, scale=scale,
        unit=" pi / 180" if in_degrees else "",
        where=f", a = {characteristic}(m, q), x = {'x pi / 180' if in_degrees else 'x'}",
        note=", x in degrees" if in_degrees else "", example=_EXAMPLES[name][0],
        values=_EXAMPLES[name][1:], check=lambda m, q, x: _refuse_q_zero(name, q))


OPS = {"mathieu_a": mathieu_a, "mathieu_b": mathieu_b,
       **{name: _pair(name) for name in _FAMILIES}}
