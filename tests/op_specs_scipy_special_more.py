"""Specs for SciPy's Faddeeva, Airy, Kelvin and Hankel functions, orthogonal polynomials
and a few others called on Tensors (autodiff/ops/scipy_special_assorted.py,
scipy_special_airy.py, scipy_special_kelvin.py, scipy_special_hankel.py,
scipy_special_polynomials.py).  Imported at the end of op_specs.py, whose helpers they
use.  The references are SciPy's own functions (the ops' forwards call them), so the
specs check the library's gradients, first and second order, against central
differences.  Complex values are checked through ``real + 2 imag`` (both parts, one real
output)."""

from __future__ import annotations

from hypothesis.extra.numpy import mutually_broadcastable_shapes
from scipy import special

from op_specs import Case, Spec, binary, unary, values


def _both_parts(value):
    return value.real + 2 * value.imag if value.dtype.kind == "c" else value


def _output(function, index, lo, hi, signed=False, parts=False):
    """A spec of output ``index`` of SciPy's several-output ``function``."""
    def pick(value):
        return _both_parts(value) if parts else value
    name = f"scipy_{function}_{_PARTS[function][index]}"
    ufunc = getattr(special, function)
    return unary(name, lambda t: pick(ufunc(t)[index]), lambda x: pick(ufunc(x)[index]),
                 lo, hi, signed=signed)


_PARTS = {"airy": ("ai", "aip", "bi", "bip"), "airye": ("eai", "eaip", "ebi", "ebip"),
          "kelvin": ("be", "ke", "bep", "kep")}


def _radian_case(data):
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3),
                       label="shapes")
    inputs = [values(data, shape, -200.0, 200.0) for shape in shapes.input_shapes]
    return Case(lambda d, m, s: special.radian(d, m, s), inputs, special.radian)


def _kelvin(name, lo, hi):
    ufunc = getattr(special, name)
    return unary(f"scipy_{name}", lambda t: ufunc(t), ufunc, lo, hi)


def _cylinder(name, lo, hi):
    """A spec of ``name(1.3, x)``, both parts of complex values."""
    ufunc = getattr(special, name)
    return unary(f"scipy_{name}", lambda t: _both_parts(ufunc(1.3, t)),
                 lambda x: _both_parts(ufunc(1.3, x)), lo, hi)


def _polynomial(name, parameters, lo=-1.5, hi=1.5):
    """A spec of ``name(3, *parameters, x)``, a polynomial of degree 3 in x."""
    ufunc = getattr(special, name)
    return unary(f"scipy_{name}", lambda t: ufunc(3, *parameters, t),
                 lambda x: ufunc(3, *parameters, x), lo, hi)


_POLYNOMIALS = [("eval_legendre", ()), ("eval_chebyt", ()), ("eval_chebyu", ()),
                ("eval_chebyc", ()), ("eval_chebys", ()), ("eval_hermite", ()),
                ("eval_hermitenorm", ()), ("eval_laguerre", ()), ("eval_genlaguerre", (0.7,)),
                ("eval_gegenbauer", (0.7,)), ("eval_jacobi", (0.6, 1.3)),
                ("eval_sh_legendre", ()), ("eval_sh_chebyt", ()), ("eval_sh_chebyu", ()),
                ("eval_sh_jacobi", (2.5, 1.3))]


def _carlson(name, count, order):
    """A spec of Carlson's ``name`` of ``count`` broadcast arguments in [0.1, 3]."""
    ufunc = getattr(special, name)

    def draw(data):
        shapes = data.draw(mutually_broadcastable_shapes(num_shapes=count, max_dims=3,
                                                         max_side=3), label="shapes")
        inputs = [values(data, shape, 0.1, 3.0) for shape in shapes.input_shapes]
        return Case(lambda *t: ufunc(*t), inputs, ufunc)
    return Spec(f"scipy_{name}", draw, order)


SPECS = [
    unary("scipy_wofz", lambda t: _both_parts(special.wofz(t)),
          lambda x: _both_parts(special.wofz(x)), -4.0, 4.0),
    # (zetac's slope, zeta's in x, is refused: forward only)
    unary("scipy_zetac", lambda t: special.zetac(t), special.zetac, -6.0, 8.0, order=-1),
    unary("scipy_gammasgn", lambda t: special.gammasgn(t), special.gammasgn, -4.0, 4.0,
          order=1),
    unary("scipy_round", lambda t: special.round(t), special.round, -4.0, 4.0, order=1),
    Spec("scipy_radian", _radian_case),
    unary("scipy_ellipkm1", lambda t: special.ellipkm1(t), special.ellipkm1, 0.05, 2.0),
    *(_output("airy", i, -4.0, 3.0) for i in range(4)),
    *(_output("airye", i, 0.1, 4.0) for i in range(2)),
    *(_output("airye", i, 0.1, 3.0, signed=True) for i in (2, 3)),
    *(_kelvin(name, -5.0, 5.0) for name in ("ber", "bei", "berp", "beip")),
    *(_kelvin(name, 0.2, 5.0) for name in ("ker", "kei", "kerp", "keip")),
    *(_output("kelvin", i, -5.0, 5.0, parts=True) for i in (0, 2)),
    *(_output("kelvin", i, 0.2, 5.0, parts=True) for i in (1, 3)),
    *(_cylinder(name, 0.3, 6.0) for name in ("hankel1", "hankel2", "hankel1e", "hankel2e",
                                             "jve", "yve")),
    *(_polynomial(name, parameters) for name, parameters in _POLYNOMIALS),
    *(unary(f"scipy_{name}{suffix}", lambda t, f=getattr(special, name), i=i: f(0.7, t)[i],
            lambda x, f=getattr(special, name), i=i: f(0.7, x)[i], -3.0, 3.0)
      for name in ("pbdv", "pbvv", "pbwa")
      for i, suffix in enumerate(("", "_derivative"))),
    unary("scipy_hyperu", lambda t: special.hyperu(0.7, 1.3, t),
          lambda x: special.hyperu(0.7, 1.3, x), 0.3, 4.0),
    unary("scipy_wright_bessel", lambda t: special.wright_bessel(0.5, 1.2, t),
          lambda x: special.wright_bessel(0.5, 1.2, x), 0.0, 4.0),
    unary("scipy_log_wright_bessel", lambda t: special.log_wright_bessel(0.5, 1.2, t),
          lambda x: special.log_wright_bessel(0.5, 1.2, x), 0.0, 4.0),
    unary("scipy_lpmv", lambda t: special.lpmv(1, 2.5, t), lambda x: special.lpmv(1, 2.5, x),
          -0.9, 0.9),
    # (the slopes in m and Carlson's hold R_D, whose slopes hold R_D and R_J: second order)
    binary("scipy_ellipkinc", lambda phi, m: special.ellipkinc(phi, m), special.ellipkinc,
           a_range=(-4.0, 4.0), b_range=(-1.0, 0.9)),
    binary("scipy_ellipeinc", lambda phi, m: special.ellipeinc(phi, m), special.ellipeinc,
           a_range=(-4.0, 4.0), b_range=(-1.0, 0.9)),
    _carlson("elliprf", 3, 2), _carlson("elliprg", 3, 2), _carlson("elliprc", 2, 2),
    _carlson("elliprd", 3, 2), _carlson("elliprj", 4, 2),
    *(unary(f"scipy_ellipj_{part}", lambda t, i=i: special.ellipj(t, 0.6)[i],
            lambda x, i=i: special.ellipj(x, 0.6)[i], -4.0, 4.0)
      for i, part in enumerate(("sn", "cn", "dn", "ph"))),
]
