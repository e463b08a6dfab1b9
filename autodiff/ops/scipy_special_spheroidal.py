"""SciPy's spheroidal wave functions on Tensors: ``s, sp = scipy.special.pro_ang1(m, n, c,
t)``, ``pro_rad1``, ``pro_rad2``, ``obl_ang1``, ``obl_rad1``, ``obl_rad2`` and their
``_cv`` variants (``pro_ang1_cv(m, n, c, cv, t)``) record, the function and its
derivative each an op of its own; the characteristic values ``pro_cv(m, n, c)`` and
``obl_cv(m, n, c)`` record without slopes.

The forwards are SciPy's (its values exactly), computed in float64 for float32 and
float16 inputs and rounded back (SciPy's float32 loops do not return).  SciPy returns
the derivative in x as the second output, so the function's slope is that output.  The
derivative's slope is the spheroidal equation (DLMF 30.2.1), through ``xp`` (so it has
slopes of its own), with ``lambda`` the characteristic value (``pro_cv`` / ``obl_cv``,
or the ``cv`` passed):

* prolate, angular and radial: ``(1 - x^2) y'' - 2x y' + (lambda - c^2 x^2 - m^2 /
  (1 - x^2)) y = 0``;
* oblate angular: the same with ``c^2 -> -c^2``;
* oblate radial (in ``xi``, the equation at ``i xi``): ``(1 + x^2) y'' + 2x y' -
  (lambda - c^2 x^2 - m^2 / (1 + x^2)) y = 0``.

Where SciPy's values do not satisfy that equation the slope would not be theirs, so it is
refused, naming why: ``pro_rad2``'s values near x = 1 are off by up to tens of percent at
some (m, n, c) (its derivative output's slope is refused; the function's own slope, its
derivative output, agrees with SciPy's values), and ``obl_rad2``'s derivative output is
not the slope of its function output (both refused).  The ``_cv`` variants' second
slopes hold only where ``cv`` is the characteristic value; elsewhere they raise.  The
integer parameters m, n, the spheroidal parameter c and cv get no gradient: asking for
one raises, naming it.  The oblate radial functions are defined for x >= 0 (the oblate
coordinate xi); below it SciPy's ``obl_rad1`` and ``obl_rad2`` are NaN, and so are
``obl_rad1``'s slopes.
"""

from __future__ import annotations

import numpy as np

from .registry import defop
from .scipy_special import _quietly, scipy_function_in_float64, slope_refused

_PRO_RAD2_INACCURATE = (
    "SciPy's pro_rad2 does not satisfy the spheroidal equation near x = 1 (at m = 1, "
    "n = 2, c = 1.5, x = 1.5 the slope of its derivative output is -6.69, the equation "
    "gives -5.12), so no slope of that output would match its values")
_OBL_RAD2_INCONSISTENT = (
    "SciPy's obl_rad2 derivative output is not the slope of its function output: at "
    "m = 1, n = 2, c = 1.5, x = 1 it is -6.93 while the function's slope by central "
    "differences is 0.60, and obl_rad2(0, 1, 1, x) is about 1e-320 for x <= 1; no slope "
    "would match SciPy's values")


def _output(name, index):
    return scipy_function_in_float64(name, index)


def _parameters(name, names):
    """The refused rules of the parameters ``names`` of SciPy's ``name``."""
    meanings = {"m": ("the order", "it is an integer"),
                "n": ("the degree", "it is an integer"),
                "c": ("the spheroidal parameter", "it has no closed form in SciPy's functions"),
                "cv": ("the characteristic value", "it is determined by m, n and c")}
    only = "x" if "x" in names else None
    return {argument: ("not implemented",
                       slope_refused(name, argument, meanings[argument][1],
                                     meaning=meanings[argument][0], only=only))
            for argument in names if argument != "x"}


def _characteristic(name, example):
    return defop(f"scipy_{name}", scipy_function_in_float64(name), elementwise=True,
                 doc=f"``scipy.special.{name}`` on Tensors (SciPy's values; the slopes in "
                     f"m, n and c raise, naming them).\n\n>>> from scipy import special\n"
                     f">>> special.{name}(0.0, 2.0, ad.tensor([0.0]))\n{example}",
                 **_parameters(name, ("m", "n", "c")))


pro_cv = _characteristic("pro_cv", "tensor([6.])")
obl_cv = _characteristic("obl_cv", "tensor([6.])")


def _second_derivative(kind):
    """``y''`` from the spheroidal equation of ``kind``, given lambda, c, m, x, y, y'."""
    def prolate(xp, lam, c, m, x, y, yp):
        one_minus = 1 - x * x
        return (2 * x * yp - (lam - c * c * x * x - m * m / one_minus) * y) / one_minus

    def oblate(xp, lam, c, m, x, y, yp):
        one_minus = 1 - x * x
        return (2 * x * yp - (lam + c * c * x * x - m * m / one_minus) * y) / one_minus

    def oblate_radial(xp, lam, c, m, x, y, yp):
        one_plus = 1 + x * x
        return (-2 * x * yp + (lam - c * c * x * x - m * m / one_plus) * y) / one_plus

    return {"prolate": prolate, "oblate": oblate, "oblate_radial": oblate_radial}[kind]


_EQUATIONS = {
    "prolate": "(2x sp - (cv - c^2 x^2 - m^2 / (1 - x^2)) s) / (1 - x^2)",
    "oblate": "(2x sp - (cv + c^2 x^2 - m^2 / (1 - x^2)) s) / (1 - x^2)",
    "oblate_radial": "(-2x sp + (cv - c^2 x^2 - m^2 / (1 + x^2)) s) / (1 + x^2)",
}
#: name: (the equation's kind, why its derivative output's slope is refused, why its
#: function output's slope is refused), None where there is one
_FAMILIES = {
    "pro_ang1": ("prolate", None, None),
    "pro_rad1": ("prolate", None, None),
    "pro_rad2": ("prolate", _PRO_RAD2_INACCURATE, None),
    "obl_ang1": ("oblate", None, None),
    "obl_rad1": ("oblate_radial", None, None),
    "obl_rad2": ("oblate_radial", _OBL_RAD2_INCONSISTENT, _OBL_RAD2_INCONSISTENT),
}
#: family: x of its example (m = 0, n = 1, c = 1), and its two values rounded to 8 places
_EXAMPLES = {"pro_ang1": ("0.5", "0.48775318", "0.92695348"),
             "pro_rad1": ("1.5", "0.41382055", "0.1446255"),
             "pro_rad2": ("1.5", "-0.95316626", "1.60008454"),
             "obl_ang1": ("0.5", "0.51275564", "1.0769924"),
             "obl_rad1": ("0.5", "0.15622885", "0.29654104"),
             "obl_rad2": ("2.0", "-0.28733874", "0.46966287")}


def _data(value):
    return np.asarray(getattr(value, "data", value))


def _check_characteristic(name, family, m, n, c, cv):
    """Raise unless ``cv`` is the characteristic value of (m, n, c): the equation, and so
    the derivative output's slope, holds only there."""
    from scipy import special
    characteristic = f"{family[:3]}_cv"
    exact = np.asarray(getattr(special, characteristic)(_data(m), _data(n), _data(c)))
    given, exact = np.broadcast_arrays(_data(cv), exact)
    off = np.abs(given - exact) > 1e-8 * np.maximum(1.0, np.abs(exact))
    if np.any(off):
        raise ValueError(
            f"{name}: the derivative of output 1 in x holds the spheroidal equation, which "
            f"SciPy's values satisfy only where cv is {characteristic}(m, n, c); cv = "
            f"{float(given[off][0])!r} there, where {characteristic} gives "
            f"{float(exact[off][0])!r}; pass cv = {characteristic}(m, n, c) (or call "
            f"{family} without cv)")


def _pair(family, with_cv):
    kind, derivative_refused, value_refused = _FAMILIES[family]
    name = f"{family}_cv" if with_cv else family
    names = ("m", "n", "c", "cv", "x") if with_cv else ("m", "n", "c", "x")
    characteristic = f"{family[:3]}_cv"
    second = _second_derivative(kind)

    def split(arguments):
        if with_cv:
            return arguments
        m, n, c, x = arguments
        return m, n, c, None, x

    def value_rule(xp, g, ans, *arguments):
        if value_refused:
            raise NotImplementedError(_refusal(name, 0, value_refused))
        return g * getattr(xp, f"scipy_{name}_derivative")(*arguments)

    def derivative_rule(xp, g, ans, *arguments):
        if derivative_refused:
            raise NotImplementedError(_refusal(name, 1, derivative_refused))
        m, n, c, cv, x = split(arguments)
        if with_cv:
            _check_characteristic(name, family, m, n, c, cv)
        else:
            cv = getattr(xp, f"scipy_{characteristic}")(m, n, c)
        y = getattr(xp, f"scipy_{name}")(*arguments)
        return g * second(xp, cv, c, m, x, y, ans)

    value_formula = ("not implemented" if value_refused else f"g * {name}(...)[1]")
    derivative_formula = ("not implemented" if derivative_refused else
                          f"g * {_EQUATIONS[kind]}"
                          + ("" if with_cv else f", cv = {characteristic}(m, n, c)"))
    x, *values = _EXAMPLES[family]
    call = (f"special.{name}(0.0, 1.0, 1.0, special.{characteristic}(0.0, 1.0, 1.0), "
            f"ad.tensor([{x}]))" if with_cv else
            f"special.{name}(0.0, 1.0, 1.0, ad.tensor([{x}]))")
    ops = []
    for index, (suffix, formula, rule) in enumerate(
            (("", value_formula, value_rule),
             ("_derivative", derivative_formula, derivative_rule))):
        parameters = _parameters(name, names)
        ops.append(defop(
            f"scipy_{name}{suffix}", _output(name, index), elementwise=True,
            doc=f"Output {index} of ``scipy.special.{name}`` on Tensors (SciPy's values, "
                f"the library's gradient in x); ``{name}({', '.join(names[:-1])}, t)`` on "
                f"a Tensor returns both.\n\n>>> from scipy import special\n"
                f">>> {call}[{index}].data.round(8)\narray([{values[index]}])",
            **parameters, x=(formula, _quietly(rule))))

    def both(*arguments):
        return ops[0](*arguments), ops[1](*arguments)
    return both


def _refusal(name, index, why):
    return (f"{name}: the derivative of output {index} with respect to x is not implemented "
            f"({why}); pass x as a number or an array, or a Tensor that does not require grad")


OPS = {"pro_cv": pro_cv, "obl_cv": obl_cv,
       **{family: _pair(family, False) for family in _FAMILIES},
       **{f"{family}_cv": _pair(family, True) for family in _FAMILIES}}
