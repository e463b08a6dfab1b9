"""SciPy's Faddeeva function, ``zetac``, ``gammasgn``, ``round``, ``radian``,
``ellipkm1``, ``hyperu`` and Wright's Bessel functions on Tensors:
``scipy.special.wofz(t)`` ... record.

As elsewhere the forward is SciPy's ufunc (its values exactly) and the slopes are the
library's, through ``xp`` (so they have slopes of their own):

- ``wofz``: ``w'(z) = -2 z w(z) + 2i / sqrt(pi)``, holomorphic, so the gradient is
  ``g * conj(w')`` (PyTorch's convention), for real or complex z.
- ``zetac`` (``zeta(x) - 1``): its slope is zeta's in x, which neither SciPy nor PyTorch
  has in closed form: asking for it raises, as for ``zeta(x, q)`` in x.
- ``gammasgn`` and ``round``: piecewise constant, a zero gradient, as ``np.sign`` and
  ``np.round`` have.
- ``radian(d, m, s)``: linear, ``pi / 180`` times ``1``, ``1/60`` and ``1/3600``.
- ``ellipkm1(p) = K(1 - p)``: ``-K'(1 - p)``, ``-(E(1 - p) - p K(1 - p)) / (2 p (1 - p))``,
  by K's series near p = 1 and -inf at p = 0 (where the value is inf).
- ``hyperu(a, b, x)``: ``-a U(a + 1, b + 1, x)`` in x (DLMF 13.3.22).
- ``wright_bessel(a, b, x)``: ``Phi(a, a + b; x)`` in x, its series term by term;
  ``log_wright_bessel``: ``exp(log_wright_bessel(a, a + b, x) - ans)``.

The parameters (a, b) get no gradient: asking for one raises, naming it.
"""

from __future__ import annotations

import math

import numpy as np

from .registry import defop
from .scipy_special import _quietly, _scipy_function, slope_refused
from .scipy_special_bessel import _K_SLOPE_SERIES, _SERIES_BELOW

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_DEGREE = math.pi / 180.0


def _op(name, example, **rules):
    return defop(f"scipy_{name}", _scipy_function(name), elementwise=True,
                 doc=f"``scipy.special.{name}`` on Tensors (SciPy's values, the library's "
                     f"gradients).\n\n>>> from scipy import special\n>>> special.{example}",
                 **rules)


def _zero_rule(xp, g, ans, *args):
    return xp.zeros_like(g)


def _wofz_rule(xp, g, ans, z):
    return g * xp.conj(-2 * z * ans + 2j / math.sqrt(math.pi))


_zetac_rule = slope_refused(
    "zetac", "x", "it is zeta's in x, which has no closed form in SciPy's functions; "
    "PyTorch's zeta takes none in x either")


def _parameter_refused(name, argument):
    return ("not implemented",
            slope_refused(name, argument, "it has no closed form in SciPy's functions",
                          only="x"))


def _ellipkm1_rule(xp, g, ans, p):
    # -K'(m) at m = 1 - p; K'(m) = (E(m) - (1 - m) K(m)) / (2 m (1 - m)), with 1 - m = p
    # exact and K(1 - p) = ans (SciPy's, accurate for small p); its series near m = 0
    m = 1 - p
    small, pole = xp.abs(m) < _SERIES_BELOW, p == 0
    inner = xp.where(small, m, 0.0)
    outer_p = xp.where(xp.logical_or(small, pole), 0.5, p)
    total = 0.0
    for c in _K_SLOPE_SERIES:
        total = total * inner + c
    outer_m = 1 - outer_p
    away = ((xp.scipy_ellipe(outer_m) - outer_p * xp.scipy_ellipkm1(outer_p))
            / (2 * outer_m * outer_p))
    return g * xp.where(pole, -np.inf, -xp.where(small, total, away))


OPS = {
    "wofz": _op("wofz", "wofz(ad.tensor([0.0]))\ntensor([1.+0.j], dtype=complex128)",
                z=("g * conj(-2 z ans + 2i / sqrt(pi))", _wofz_rule)),
    "zetac": _op("zetac", "zetac(ad.tensor([2.0]))\ntensor([0.64493407])",
                 x=("not implemented (zeta's slope in x: no closed form)", _zetac_rule)),
    "gammasgn": _op("gammasgn", "gammasgn(ad.tensor([-0.5, 2.0]))\ntensor([-1.,  1.])",
                    zero_grad_ae=True, x=("0", _zero_rule)),
    "round": _op("round", "round(ad.tensor([0.4, 2.5]))\ntensor([0., 2.])",
                 zero_grad_ae=True, x=("0", _zero_rule)),
    "radian": _op("radian", "radian(ad.tensor([180.0]), 0.0, 0.0)\ntensor([3.14159265])",
                  d=("g * pi / 180", lambda xp, g, ans, d, m, s: g * _DEGREE),
                  m=("g * pi / (180 * 60)", lambda xp, g, ans, d, m, s: g * (_DEGREE / 60)),
                  s=("g * pi / (180 * 3600)",
                     lambda xp, g, ans, d, m, s: g * (_DEGREE / 3600))),
    "ellipkm1": _op("ellipkm1", "ellipkm1(ad.tensor([1.0]))\ntensor([1.57079633])",
                    p=("g * -(ellipe(1 - p) - p ellipkm1(p)) / (2 p (1 - p)), K's series "
                       "near p = 1, -inf at p = 0", _quietly(_ellipkm1_rule))),
}
OPS.update({
    "hyperu": _op("hyperu", "hyperu(1.0, 1.0, ad.tensor([1.0]))\ntensor([0.59634736])",
                  a=_parameter_refused("hyperu", "a"), b=_parameter_refused("hyperu", "b"),
                  x=("g * -a hyperu(a + 1, b + 1, x)",
                     lambda xp, g, ans, a, b, x: g * (-a * xp.scipy_hyperu(a + 1, b + 1, x)))),
    "wright_bessel": _op(
        "wright_bessel", "wright_bessel(0.0, 1.0, ad.tensor([1.0]))\ntensor([2.71828183])",
        a=_parameter_refused("wright_bessel", "a"), b=_parameter_refused("wright_bessel", "b"),
        x=("g * wright_bessel(a, a + b, x)",
           lambda xp, g, ans, a, b, x: g * xp.scipy_wright_bessel(a, a + b, x))),
    "log_wright_bessel": _op(
        "log_wright_bessel", "log_wright_bessel(0.0, 1.0, ad.tensor([1.0]))\ntensor([1.])",
        a=_parameter_refused("log_wright_bessel", "a"),
        b=_parameter_refused("log_wright_bessel", "b"),
        x=("g * exp(log_wright_bessel(a, a + b, x) - ans)",
           lambda xp, g, ans, a, b, x: g * xp.exp(xp.scipy_log_wright_bessel(a, a + b, x)
                                                  - ans))),
})
OPS["wofz"].complex_twin = OPS["wofz"]      # (its rule holds for complex z)
