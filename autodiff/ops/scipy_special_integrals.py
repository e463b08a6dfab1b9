"""SciPy's integrals of Bessel and Struve functions on Tensors: ``scipy.special.itstruve0(t)``,
``it2struve0``, ``itmodstruve0``, ``besselpoly(a, lmb, nu)`` and the two-output
``itj0y0``, ``it2j0y0``, ``iti0k0``, ``it2i0k0`` and the four-output ``itairy`` (each
output an op of its own, as in ``scipy_special_pairs.py``) record.

The forwards are SciPy's (its values exactly); the slope of an integral from 0 to x is
its integrand at x, and of one from x to infinity minus it, written through ``xp`` so
they have slopes of their own:

- ``itj0y0``: ``J0(x)``, ``Y0(x)``; ``iti0k0``: ``I0(x)``, ``K0(x)``.
- ``it2j0y0``: ``(1 - J0(x)) / x`` and ``-Y0(x) / x``; ``it2i0k0``: ``(I0(x) - 1) / x``
  and ``-K0(x) / x`` (the first of each by its power series below |x| = 1, where the
  difference cancels; 0 at x = 0).
- ``itairy``: ``Ai(x)``, ``Bi(x)``, ``Ai(-x)``, ``Bi(-x)`` (four outputs).  SciPy's
  integral of Ai over [0, |x|] (output 0 for x > 0, output 2 for x < 0) is wrong for
  2.5 <= |x| <= 9.3: off by more than 1e-6 relative from 2.6 on and by whole units near
  9 (4.85 at x = 9.1, where the integral is 0.3333): there the call warns, naming it.
  The slopes are the exact integrands, so they are the true integrals', not those of
  SciPy's values; its other outputs are good to about 1e-5 relative or better.
- ``itstruve0``: ``H0(x)``; ``itmodstruve0``: ``L0(x)``; ``it2struve0``: ``-H0(x) / x``
  (``-2 / pi`` at 0, its limit).
- ``besselpoly(a, lmb, nu) = int_0^1 x^lmb J_nu(2 a x) dx``: in a, by ``2 J_nu' =
  J_{nu-1} - J_{nu+1}``, ``besselpoly(a, lmb + 1, nu - 1) - besselpoly(a, lmb + 1, nu +
  1)``; its slopes in lmb and nu (which need ``log x`` and the order derivative under the
  integral) are refused, naming them.

For x < 0 SciPy's integrals of the even J0 and I0 are odd, of the odd H0 and L0 even (and
``it2struve0(-x) = pi - it2struve0(x)``): the same integrands are their slopes.  Y0 and
K0 are NaN there, and so are SciPy's integrals of them and the slopes.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..optim.optimizer import user_stacklevel
from .registry import defop
from .scipy_special import _quietly, _scipy_function, slope_refused
from .scipy_special_pairs import _pair, _part

_TWO_OVER_PI = 2.0 / math.pi
_SERIES_BELOW = 1.0     # ten terms of the series reach 1e-20 of the value below |x| = 1


def _output(name, index, formula, rule, example):
    return defop(f"scipy_{name}_{index}", _part(name, index), elementwise=True,
                 doc=f"Output {index} of ``scipy.special.{name}`` on a Tensor (SciPy's "
                     f"values, the library's gradient); ``{name}(t)`` on a Tensor returns "
                     f"both.\n\n>>> from scipy import special\n>>> special.{name}({example}",
                 x=(formula, rule))


def _unary(name, formula, rule, example):
    return defop(f"scipy_{name}", _scipy_function(name), elementwise=True,
                 doc=f"``scipy.special.{name}`` on a Tensor (SciPy's values, the library's "
                     f"gradient).\n\n>>> from scipy import special\n>>> special.{name}"
                     f"({example}", x=(formula, rule))


def _bessel_zero_difference_over_x(xp, x, bessel, sign):
    """``sign (1 - Z(x)) / x`` for ``Z`` = J0 (sign 1) or I0 (sign -1): ``sum_k>=1
    (-sign)^(k+1) (x^2/4)^k / (k!)^2 / x`` below |x| = 1, where ``1 - Z`` cancels; 0 at 0."""
    small = xp.abs(x) < _SERIES_BELOW
    inside = xp.where(small, 1.0, x)
    direct = sign * (1 - bessel(inside)) / inside
    near = xp.where(small, x, 0.5)
    quarter_square = near * near / 4
    term, series = near / 4, near / 4          # (x^2/4) / x, the first term
    for k in range(2, 11):
        term = term * (-sign) * quarter_square / (k * k)
        series = series + term
    return xp.where(small, series, direct)


def _it2j0_rule(xp, g, ans, x):
    return g * _bessel_zero_difference_over_x(xp, x, xp.scipy_j0, 1.0)


def _it2i0_rule(xp, g, ans, x):
    return g * _bessel_zero_difference_over_x(xp, x, xp.scipy_i0, -1.0)


def _it2struve0_rule(xp, g, ans, x):
    zero = x == 0
    inside = xp.where(zero, 1.0, x)
    return g * xp.where(zero, -_TWO_OVER_PI, -xp.scipy_struve(0.0, inside) / inside)


def _besselpoly_a_rule(xp, g, ans, a, lmb, nu):
    return g * (xp.scipy_besselpoly(a, lmb + 1, nu - 1) - xp.scipy_besselpoly(a, lmb + 1, nu + 1))


def _besselpoly_refused(argument, meaning):
    return ("not implemented (no closed form)",
            slope_refused("besselpoly", argument, "it has no closed form in SciPy's functions",
                          meaning=meaning, only="a, the first argument,"))


itj0y0_j = _output("itj0y0", 0, "g * J0(x)", lambda xp, g, ans, x: g * xp.scipy_j0(x),
                   "ad.tensor([0.0]))[0]\ntensor([0.])")
itj0y0_y = _output("itj0y0", 1, "g * Y0(x)", lambda xp, g, ans, x: g * xp.scipy_y0(x),
                   "ad.tensor([1.0]))[1]\ntensor([-0.63706938])")
it2j0y0_j = _output("it2j0y0", 0, "g * (1 - J0(x)) / x, its series below |x| = 1",
                    _it2j0_rule, "ad.tensor([0.0]))[0]\ntensor([0.])")
it2j0y0_y = _output("it2j0y0", 1, "g * -Y0(x) / x",
                    _quietly(lambda xp, g, ans, x: g * (-xp.scipy_y0(x) / x)),
                    "ad.tensor([1.0]))[1]\ntensor([0.3952729])")
iti0k0_i = _output("iti0k0", 0, "g * I0(x)", lambda xp, g, ans, x: g * xp.scipy_i0(x),
                   "ad.tensor([0.0]))[0]\ntensor([0.])")
iti0k0_k = _output("iti0k0", 1, "g * K0(x)", lambda xp, g, ans, x: g * xp.scipy_k0(x),
                   "ad.tensor([1.0]))[1]\ntensor([1.24250985])")
it2i0k0_i = _output("it2i0k0", 0, "g * (I0(x) - 1) / x, its series below |x| = 1",
                    _it2i0_rule, "ad.tensor([0.0]))[0]\ntensor([0.])")
it2i0k0_k = _output("it2i0k0", 1, "g * -K0(x) / x",
                    _quietly(lambda xp, g, ans, x: g * (-xp.scipy_k0(x) / x)),
                    "ad.tensor([1.0]))[1]\ntensor([0.20851829])")

ITAIRY = [
    _output("itairy", 0, "g * Ai(x)", lambda xp, g, ans, x: g * xp.scipy_airy_ai(x),
            "ad.tensor([0.0]))[0]\ntensor([0.])"),
    _output("itairy", 1, "g * Bi(x)", lambda xp, g, ans, x: g * xp.scipy_airy_bi(x),
            "ad.tensor([0.0]))[1]\ntensor([0.])"),
    _output("itairy", 2, "g * Ai(-x)", lambda xp, g, ans, x: g * xp.scipy_airy_ai(-x),
            "ad.tensor([0.0]))[2]\ntensor([0.])"),
    _output("itairy", 3, "g * Bi(-x)", lambda xp, g, ans, x: g * xp.scipy_airy_bi(-x),
            "ad.tensor([0.0]))[3]\ntensor([0.])"),
]

#: |x| where SciPy's integral of Ai over [0, |x|] is wrong (found against mpmath.quad)
_ITAIRY_WRONG = (2.5, 9.3)


def _itairy(x):
    """``itairy(x)`` on a Tensor: its four ops, with a warning where SciPy's first
    integral is wrong (see the module's docstring)."""
    data = np.abs(np.asarray(getattr(x, "data", x), dtype=float))
    low, high = _ITAIRY_WRONG
    wrong = (data >= low) & (data <= high)
    if np.any(wrong):
        warnings.warn(
            f"itairy: SciPy's integral of Ai over [0, |x|] (output 0 for x > 0, output 2 "
            f"for x < 0) is wrong for {low} <= |x| <= {high} (at x = 9.1 it gives 4.85, the "
            "integral being 0.3333), and here |x| = "
            f"{float(data[wrong].reshape(-1)[0]):g}; the gradient is the exact integrand "
            "Ai, the true integral's. For the value, use 1/3 minus the integral of Ai from "
            "|x| to infinity (scipy.integrate.quad of special.airy)", RuntimeWarning,
            stacklevel=user_stacklevel())
    return tuple(op(x) for op in ITAIRY)


OPS = {
    "itairy": _itairy,
    "itj0y0": _pair(itj0y0_j, itj0y0_y),
    "it2j0y0": _pair(it2j0y0_j, it2j0y0_y),
    "iti0k0": _pair(iti0k0_i, iti0k0_k),
    "it2i0k0": _pair(it2i0k0_i, it2i0k0_k),
    "itstruve0": _unary("itstruve0", "g * H0(x)",
                        lambda xp, g, ans, x: g * xp.scipy_struve(0.0, x),
                        "ad.tensor([0.0]))\ntensor([0.])"),
    "itmodstruve0": _unary("itmodstruve0", "g * L0(x)",
                           lambda xp, g, ans, x: g * xp.scipy_modstruve(0.0, x),
                           "ad.tensor([0.0]))\ntensor([0.])"),
    "it2struve0": _unary("it2struve0", "g * -H0(x) / x, -2 g / pi at 0", _it2struve0_rule,
                         "ad.tensor([0.0]))\ntensor([1.57079633])"),
    "besselpoly": defop(
        "scipy_besselpoly", _scipy_function("besselpoly"), elementwise=True,
        doc="``scipy.special.besselpoly(a, lmb, nu)`` on Tensors (SciPy's values; the "
            "library's gradient in a, none in lmb and nu).\n\n>>> from scipy import special\n"
            ">>> special.besselpoly(ad.tensor([0.0]), 1.0, 0.0)\ntensor([0.5])",
        a=("g * (besselpoly(a, lmb + 1, nu - 1) - besselpoly(a, lmb + 1, nu + 1))",
           _besselpoly_a_rule),
        lmb=_besselpoly_refused("lmb", "the power"),
        nu=_besselpoly_refused("nu", "the order")),
}
