"""SciPy's orthogonal polynomials on Tensors: ``scipy.special.eval_legendre(n, t)``,
``eval_chebyt``, ``eval_chebyu``, ``eval_chebyc``, ``eval_chebys``, ``eval_hermite``,
``eval_hermitenorm``, ``eval_laguerre``, ``eval_genlaguerre``, ``eval_gegenbauer``,
``eval_jacobi`` and the shifted ``eval_sh_legendre``, ``eval_sh_chebyt``,
``eval_sh_chebyu``, ``eval_sh_jacobi``, and the associated Legendre function ``lpmv``
record.

The forwards are SciPy's (its values exactly).  The slope in x is each family's
derivative identity, a polynomial of the next family up, through ``xp`` (so it has
slopes of its own), with no division by ``x^2 - 1``:

- ``C_n^a' = 2a C_{n-1}^(a+1)``, so ``P_n' = C_{n-1}^(3/2)`` and ``U_n' = 2 C_{n-1}^2``;
- ``T_n' = n U_{n-1}``; ``chebyc(n, x) = 2 T_n(x/2)``, ``chebys(n, x) = U_n(x/2)``;
- ``H_n' = 2n H_{n-1}``, ``He_n' = n He_{n-1}`` (0 for n = 0);
- ``L_n^a' = -L_{n-1}^(a+1)``;
- ``P_n^(a,b)' = (n + a + b + 1) / 2 P_{n-1}^(a+1,b+1)``;
- the shifted ones at ``2x - 1``, times 2, and ``G_n^(p,q)' = n G_{n-1}^(p+2,q+1)``
  (SciPy's ``G_n^(p,q) = P_n^(p-q,q-1)(2x - 1) / binom(2n + p - 1, n)``).

``lpmv(m, v, x)``: for m = 0 in [-1, 1] Legendre's ``P_v' = C_{v-1}^(3/2)`` (every
order, through x = +-1; NaN at x = -1 for v not an integer, where P_v is infinite); else
``(x^2 - 1) P' = v x P_v^m - (v + m) P_{v-1}^m`` (DLMF 14.10.5), NaN at x = +-1 (its
limit there is infinite, 0 or one-sided, by m).

These hold for SciPy's non-integer degrees too (its hypergeometric definitions; at
degree -1 they are 0).  The degree n and the parameters (alpha, beta, p, q) get no
gradient: asking for one raises, naming it.
"""

from __future__ import annotations

import numpy as np

from .registry import defop
from .scipy_special import _quietly, _scipy_function, slope_refused


def _refused(name, argument, what):
    return slope_refused(name, argument, "it is an integer for the polynomials, and "
                         "SciPy's functions give no closed form otherwise", meaning=what,
                         only="x")


_WHAT = {"n": "the degree", "alpha": "a parameter", "beta": "a parameter",
         "p": "a parameter", "q": "a parameter", "m": "the order", "v": "the degree"}


def _op(name, arguments, formula, slope, example):
    """``scipy.special.name(*arguments, x)``: the slope in x by ``slope(xp, *args)``."""
    rules = {argument: ("not implemented", _refused(name, argument, _WHAT[argument]))
             for argument in arguments}
    rules["x"] = (formula, _quietly(lambda xp, g, ans, *args: g * slope(xp, *args)))
    return defop(f"scipy_{name}", _scipy_function(name), elementwise=True,
                 doc=f"``scipy.special.{name}`` on Tensors (SciPy's values, the library's "
                     f"gradient in x).\n\n>>> from scipy import special\n>>> special.{example}",
                 **rules)


def _gegenbauer_slope(xp, n, alpha, x):
    return 2 * alpha * xp.scipy_eval_gegenbauer(n - 1, alpha + 1, x)


def _chebyt_slope(xp, n, x):
    return n * xp.scipy_eval_chebyu(n - 1, x)


def _chebyu_slope(xp, n, x):
    return 2 * xp.scipy_eval_gegenbauer(n - 1, 2.0, x)


def _legendre_slope(xp, n, x):
    return xp.scipy_eval_gegenbauer(n - 1, 1.5, x)


def _below(xp, n):
    """``n - 1``, 0 where n is 0 (SciPy's Hermite polynomials take no negative degree)."""
    return xp.maximum(n - 1, 0)


def _jacobi_slope(xp, n, alpha, beta, x):
    return (n + alpha + beta + 1) / 2 * xp.scipy_eval_jacobi(n - 1, alpha + 1, beta + 1, x)


def _sh_jacobi_slope(xp, n, p, q, x):
    # (degree 0 is evaluated at degree 1 - 1 = 0, times n = 0: SciPy's degree -1 is NaN)
    degree = xp.where(n == 0, 1, n)
    return n * xp.scipy_eval_sh_jacobi(degree - 1, p + 2, q + 1, x)


OPS = {
    "eval_legendre": _op("eval_legendre", ("n",), "g * eval_gegenbauer(n - 1, 3/2, x)",
                         _legendre_slope,
                         "eval_legendre(2, ad.tensor([1.0]))\ntensor([1.])"),
    "eval_chebyt": _op("eval_chebyt", ("n",), "g * n eval_chebyu(n - 1, x)", _chebyt_slope,
                       "eval_chebyt(2, ad.tensor([0.5]))\ntensor([-0.5])"),
    "eval_chebyu": _op("eval_chebyu", ("n",), "g * 2 eval_gegenbauer(n - 1, 2, x)",
                       _chebyu_slope, "eval_chebyu(2, ad.tensor([0.5]))\ntensor([0.])"),
    "eval_chebyc": _op("eval_chebyc", ("n",), "g * n eval_chebyu(n - 1, x / 2)",
                       lambda xp, n, x: _chebyt_slope(xp, n, x / 2),
                       "eval_chebyc(2, ad.tensor([1.0]))\ntensor([-1.])"),
    "eval_chebys": _op("eval_chebys", ("n",), "g * eval_gegenbauer(n - 1, 2, x / 2)",
                       lambda xp, n, x: _chebyu_slope(xp, n, x / 2) / 2,
                       "eval_chebys(2, ad.tensor([1.0]))\ntensor([0.])"),
    "eval_hermite": _op("eval_hermite", ("n",), "g * 2n eval_hermite(n - 1, x), 0 for n = 0",
                        lambda xp, n, x: 2 * n * xp.scipy_eval_hermite(_below(xp, n), x),
                        "eval_hermite(2, ad.tensor([1.0]))\ntensor([2.])"),
    "eval_hermitenorm": _op("eval_hermitenorm", ("n",),
                            "g * n eval_hermitenorm(n - 1, x), 0 for n = 0",
                            lambda xp, n, x: n * xp.scipy_eval_hermitenorm(_below(xp, n), x),
                            "eval_hermitenorm(2, ad.tensor([1.0]))\ntensor([0.])"),
    "eval_laguerre": _op("eval_laguerre", ("n",), "g * -eval_genlaguerre(n - 1, 1, x)",
                         lambda xp, n, x: -xp.scipy_eval_genlaguerre(n - 1, 1.0, x),
                         "eval_laguerre(1, ad.tensor([1.0]))\ntensor([0.])"),
    "eval_genlaguerre": _op("eval_genlaguerre", ("n", "alpha"),
                            "g * -eval_genlaguerre(n - 1, alpha + 1, x)",
                            lambda xp, n, alpha, x: -xp.scipy_eval_genlaguerre(
                                n - 1, alpha + 1, x),
                            "eval_genlaguerre(1, 1.0, ad.tensor([1.0]))\ntensor([1.])"),
    "eval_gegenbauer": _op("eval_gegenbauer", ("n", "alpha"),
                           "g * 2 alpha eval_gegenbauer(n - 1, alpha + 1, x)",
                           _gegenbauer_slope,
                           "eval_gegenbauer(1, 1.0, ad.tensor([1.0]))\ntensor([2.])"),
    "eval_jacobi": _op("eval_jacobi", ("n", "alpha", "beta"),
                       "g * (n + alpha + beta + 1) / 2 eval_jacobi(n - 1, alpha + 1, "
                       "beta + 1, x)", _jacobi_slope,
                       "eval_jacobi(1, 0.0, 0.0, ad.tensor([0.5]))\ntensor([0.5])"),
    "eval_sh_legendre": _op("eval_sh_legendre", ("n",),
                            "g * 2 eval_gegenbauer(n - 1, 3/2, 2x - 1)",
                            lambda xp, n, x: 2 * _legendre_slope(xp, n, 2 * x - 1),
                            "eval_sh_legendre(1, ad.tensor([1.0]))\ntensor([1.])"),
    "eval_sh_chebyt": _op("eval_sh_chebyt", ("n",), "g * 2n eval_chebyu(n - 1, 2x - 1)",
                          lambda xp, n, x: 2 * _chebyt_slope(xp, n, 2 * x - 1),
                          "eval_sh_chebyt(1, ad.tensor([1.0]))\ntensor([1.])"),
    "eval_sh_chebyu": _op("eval_sh_chebyu", ("n",),
                          "g * 4 eval_gegenbauer(n - 1, 2, 2x - 1)",
                          lambda xp, n, x: 2 * _chebyu_slope(xp, n, 2 * x - 1),
                          "eval_sh_chebyu(1, ad.tensor([1.0]))\ntensor([2.])"),
    "eval_sh_jacobi": _op("eval_sh_jacobi", ("n", "p", "q"),
                          "g * n eval_sh_jacobi(n - 1, p + 2, q + 1, x), 0 for n = 0",
                          _sh_jacobi_slope,
                          "eval_sh_jacobi(1, 2.0, 1.0, ad.tensor([1.0]))\ntensor([0.66666667])"),
}


def _lpmv_slope(xp, m, v, x):
    # m = 0 inside [-1, 1]: Legendre's P_v' = C_{v-1}^(3/2), smooth through x = +-1 (P_v
    # is infinite at x = -1 for v not an integer: NaN there); else DLMF 14.10.5, NaN at
    # x = +-1 (written x * NaN there, so that its own slope is NaN, not a constant's 0)
    edge = xp.abs(x) == 1
    integer = v == xp.floor(v)
    legendre = xp.logical_and(
        xp.logical_and(m == 0, xp.abs(x) <= 1),
        xp.logical_not(xp.logical_and(x == -1, xp.logical_not(integer))))
    gegenbauer = xp.scipy_eval_gegenbauer(v - 1, 1.5, xp.where(legendre, x, 0.5))
    inside = xp.where(xp.logical_or(edge, legendre), 0.5, x)
    lower = xp.where(v + m == 0, 0.0,         # (SciPy's P_{v-1}^m there may be NaN)
                     (v + m) * xp.scipy_lpmv(m, v - 1, inside))
    away = (v * inside * xp.scipy_lpmv(m, v, inside) - lower) / (inside * inside - 1)
    refused = xp.logical_and(edge, xp.logical_not(legendre))
    undefined = xp.where(refused, x, 0.5) * xp.where(refused, np.nan, 0.0)
    return xp.where(legendre, gegenbauer, xp.where(edge, undefined, away))


OPS["lpmv"] = _op("lpmv", ("m", "v"),
                  "g * (v x P_v^m - (v + m) P_{v-1}^m) / (x^2 - 1); for m = 0 in [-1, 1] "
                  "g * C_{v-1}^(3/2)(x); NaN at x = +-1 otherwise", _lpmv_slope,
                  "lpmv(0, 1.0, ad.tensor([0.5]))\ntensor([0.5])")
