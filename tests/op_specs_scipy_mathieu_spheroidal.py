"""Specs for SciPy's Mathieu and spheroidal wave functions and modified Fresnel integrals
called on Tensors (autodiff/ops/scipy_special_mathieu.py, scipy_special_spheroidal.py,
scipy_special_pairs.py).  Imported at the end of op_specs.py, whose helpers they use.
The references are SciPy's own functions (the ops' forwards call them), so the specs
check the library's slopes in x, first and second order, against central differences
of SciPy's values; the characteristic values, and the outputs whose slopes are refused
(SciPy's values do not satisfy their equation), are checked forward only (order -1).
Complex values are checked through ``real + 2 imag``."""

from __future__ import annotations

from scipy import special

from op_specs import unary

#: Mathieu function: (order m, parameter q, the x range: degrees for cem and sem)
_MATHIEU = {
    "mathieu_cem": (2, 1.3, (-170.0, 170.0)),
    "mathieu_sem": (3, -0.7, (-170.0, 170.0)),
    "mathieu_modcem1": (1, 1.3, (0.1, 2.0)),
    "mathieu_modcem2": (0, 0.8, (0.1, 2.0)),
    "mathieu_modsem1": (2, 1.7, (0.1, 2.0)),
    "mathieu_modsem2": (1, 0.6, (0.1, 2.0)),
}
#: spheroidal family: (its x range, the order checked of output 0, of output 1)
_SPHEROIDAL = {
    "pro_ang1": ((-0.9, 0.9), 2, 2),
    "pro_rad1": ((1.1, 4.0), 2, 2),
    "pro_rad2": ((1.1, 4.0), 1, -1),
    "obl_ang1": ((-0.9, 0.9), 2, 2),
    "obl_rad1": ((0.05, 3.0), 2, 2),
    "obl_rad2": ((0.0, 3.0), -1, -1),
}
_M, _N, _C = 1, 3, 1.7
_SUFFIXES = ("", "_derivative")


def _mathieu(name, index):
    m, q, (lo, hi) = _MATHIEU[name]
    function = getattr(special, name)
    return unary(f"scipy_{name}{_SUFFIXES[index]}", lambda t: function(m, q, t)[index],
                 lambda x: function(m, q, x)[index], lo, hi)


def _spheroidal(family, index, with_cv):
    (lo, hi), *orders = _SPHEROIDAL[family]
    if with_cv:
        cv = getattr(special, f"{family[:3]}_cv")(_M, _N, _C)
        function = getattr(special, f"{family}_cv")

        def call(x):
            return function(_M, _N, _C, cv, x)[index]
    else:
        function = getattr(special, family)

        def call(x):
            return function(_M, _N, _C, x)[index]
    name = f"scipy_{family}{'_cv' if with_cv else ''}{_SUFFIXES[index]}"
    return unary(name, call, call, lo, hi, order=orders[index])


def _both_parts(value):
    return value.real + 2 * value.imag


def _fresnel(name, index, part, lo):
    function = getattr(special, name)
    return unary(f"scipy_{name}_{part}", lambda t: _both_parts(function(t)[index]),
                 lambda x: _both_parts(function(x)[index]), lo, 3.0)


SPECS = [
    unary("scipy_mathieu_a", lambda t: special.mathieu_a(2, t),
          lambda q: special.mathieu_a(2, q), -3.0, 3.0, order=-1),
    unary("scipy_mathieu_b", lambda t: special.mathieu_b(3, t),
          lambda q: special.mathieu_b(3, q), -3.0, 3.0, order=-1),
    *(_mathieu(name, index) for name in _MATHIEU for index in (0, 1)),
    unary("scipy_pro_cv", lambda t: special.pro_cv(_M, _N, t),
          lambda c: special.pro_cv(_M, _N, c), 0.1, 4.0, order=-1),
    unary("scipy_obl_cv", lambda t: special.obl_cv(_M, _N, t),
          lambda c: special.obl_cv(_M, _N, c), 0.1, 4.0, order=-1),
    *(_spheroidal(family, index, with_cv) for family in _SPHEROIDAL for index in (0, 1)
      for with_cv in (False, True)),
    _fresnel("modfresnelp", 0, "fp", 0.05),
    _fresnel("modfresnelp", 1, "kp", -3.0),
    _fresnel("modfresnelm", 0, "fm", 0.05),
    _fresnel("modfresnelm", 1, "km", -3.0),
]
