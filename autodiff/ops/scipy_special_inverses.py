"""SciPy's distribution functions and their inverses on Tensors: ``scipy.special.gdtr(a,
b, x)``, ``fdtri(dfn, dfd, p)``, ``betaincinv(a, b, y)``, ``nrdtrimn(p, std, x)`` ...
record.

As in ``scipy_special.py`` the forwards are SciPy's own ufuncs (SciPy's values exactly)
and the slopes closed forms through ``xp`` (so they have slopes of their own):

- A distribution function's slope in its variable is its density (gamma ``gdtr``,
  negative binomial ``nbdtr``, Snedecor's F ``fdtr``, noncentral chi-square ``chndtr``,
  and their complements, with the opposite sign).  ``gdtr(a, b, x) = P(b, a x)`` has a
  slope in the rate a too, ``x`` times the density; Tukey's lambda law ``tklmbda`` one
  in its shape, by implicit differentiation of its quantile function.
- An inverse ``x = F^-1(p)`` has the slope ``1 / F'(x)`` in p (implicit
  differentiation, the density read at SciPy's answer), and where a parameter enters
  the inverse in closed form (the gamma law's rate, the normal law's mean and standard
  deviation) its slope in that parameter as well.
- A slope that needs a distribution function's derivative in a shape parameter
  (degrees of freedom, counts, a and b of the beta law, noncentrality) has no closed
  form: it is refused, by an error naming the function, the argument and what to pass
  instead, as ``gammainc``'s slope in its shape is.  The inverses that solve for such
  a parameter (``chdtriv``, ``bdtrik``, ``gdtrib`` ...) are refused in every argument:
  their values record, their slopes raise.

SciPy floors the counts it takes as integers (``nbdtr``'s k and n, ``bdtri``'s, ``pdtri``'s
k); the slopes follow.
"""

from __future__ import annotations

import math

import numpy as np

from .registry import defop
from .scipy_special import _exprel_slope, _quietly, _scipy_function, slope_refused
from .scipy_special_bessel import _stdtr_t_rule
from .scipy_special_distributions import _beta_density
from .scipy_special_hypergeometric import _binomial_density, _kolmogorov_rule
from .special_torch import _incomplete_gamma_density

_SQRT_TWO_PI = math.sqrt(2.0 * math.pi)

_SHAPE = ("it needs the distribution function's derivative in a shape parameter, which has "
          "no closed form")


def _refused(name, argument, meaning, why=_SHAPE):
    """The ``(formula, rule)`` of an argument without a slope: the rule raises an error
    naming the function, the argument and what to pass instead."""
    return ("not implemented (no closed form)",
            slope_refused(name, argument, why, meaning=meaning))


def _op(name, example, **rules):
    return defop(f"scipy_{name}", _scipy_function(name), elementwise=True,
                 doc=f"``scipy.special.{name}`` on Tensors (SciPy's values, the library's "
                     f"gradients).\n\n>>> from scipy import special\n>>> special.{example}",
                 **rules)


# -- densities -----------------------------------------------------------------------------

def _gamma_density(xp, rate, shape, x):
    """``d/dx gdtr(rate, shape, x)``: ``rate`` times the incomplete gamma density at
    ``rate x``."""
    return rate * _incomplete_gamma_density(xp, shape, rate * x)


def _f_density(xp, dfn, dfd, x):
    """Snedecor's F density: the beta density of ``(dfn/2, dfd/2)`` at ``w = dfn x /
    (dfd + dfn x)``, times ``dw/dx = dfn dfd / (dfd + dfn x)^2``."""
    total = dfd + dfn * x
    return _beta_density(xp, dfn / 2, dfd / 2, dfn * x / total) * (dfn * dfd / (total * total))


def _negative_binomial_density(xp, k, n, p):
    """``d/dp nbdtr(k, n, p) = d/dp betainc(n, k + 1, p)``, k and n floored as SciPy's."""
    return _beta_density(xp, xp.floor(n), xp.floor(k) + 1, p)


def _chi2_density(xp, v, x):
    return 0.5 * _incomplete_gamma_density(xp, v / 2, x / 2)


def _noncentral_chi2_density(xp, x, df, nc):
    """``exp(-(x + nc)/2) (x/nc)^(df/4 - 1/2) I_{df/2 - 1}(sqrt(nc x)) / 2``, with ``I``
    scaled (``ive``) so nothing overflows; the chi-square density where nc = 0."""
    central = nc == 0
    safe_nc = xp.where(central, 1.0, nc)
    root = xp.sqrt(safe_nc * x)
    order = df / 2 - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        log_part = -(x + safe_nc) / 2 + root + (order / 2) * xp.log(x / safe_nc)
        density = 0.5 * xp.exp(log_part) * xp.scipy_ive(order, root)
    return xp.where(central, _chi2_density(xp, df, x), density)


def _t_density(xp, df, t):
    return _stdtr_t_rule(xp, 1.0, None, df, t)


def _kolmogorov_slope(xp, y):
    """``kolmogorov'(y)``, never above 0: -0 where it underflows (y < 0.04, and at
    y = inf), so that ``kolmogi``'s slope there, at p = 1 and at p = 0 (its limits), is
    -inf (kolmogorov falls), not +inf or NaN."""
    infinite = y == np.inf
    finite = -xp.abs(_kolmogorov_rule(xp, 1.0, None, xp.where(infinite, 1.0, y)))
    return xp.where(infinite, -0.0, finite)


def _tukey_lambda_density(xp, probability, lmbda):
    """``1 / Q'(F)`` of the Tukey lambda law, ``Q(F) = (F^l - (1 - F)^l) / l`` (``logit``
    at l = 0): ``Q'(F) = F^(l-1) + (1 - F)^(l-1)`` for every l; 0 outside the support
    (where F is 0 or 1)."""
    inside = xp.logical_and(probability > 0, probability < 1)
    f = xp.where(inside, probability, 0.5)
    return xp.where(inside, 1 / (xp.power(f, lmbda - 1) + xp.power(1 - f, lmbda - 1)), 0.0)


def _tklmbda_lmbda_rule(xp, g, ans, x, lmbda):
    """``-dQ/dl / Q'(F)`` at ``F = ans`` (implicit differentiation of ``Q(F; l) = x``):
    with ``Q = expm1(l log F) / l - expm1(l log(1 - F)) / l``, ``dQ/dl = L1^2 e(l L1) -
    L2^2 e(l L2)``, ``L1 = log F``, ``L2 = log(1 - F)``, ``e`` the slope of ``exprel``
    (its series near 0, so l = 0, the logistic law, is no special case); 0 outside the
    support.  (SciPy returns the logistic law's values for |l| < 1e-4, off by up to
    about 1e-4 times this slope; the slope is the law's, not that plateau's 0.)"""
    inside = xp.logical_and(ans > 0, ans < 1)
    f = xp.where(inside, ans, 0.5)
    lower, upper = xp.log(f), xp.log1p(-f)
    shift = (lower * lower * _exprel_slope(xp, lmbda * lower)
             - upper * upper * _exprel_slope(xp, lmbda * upper))
    return g * xp.where(inside, -shift * _tukey_lambda_density(xp, f, lmbda), 0.0)


# -- distribution functions ----------------------------------------------------------------

def _signed(sign, density):
    return lambda xp, g, ans, *inputs: g * (sign * density(xp, *inputs))


def _gdtr_rules(name, sign):
    return dict(
        a=(f"{'-' if sign < 0 else ''}g * x * density_P(b, a x)", _quietly(
            lambda xp, g, ans, a, b, x: g * (sign * x * _incomplete_gamma_density(xp, b, a * x)))),
        b=_refused(name, "b", "the shape"),
        x=(f"{'-' if sign < 0 else ''}g * a * density_P(b, a x)",
           _quietly(_signed(sign, _gamma_density))))


def _variable_cdf(name, sign, parameters, variable, density, example):
    """The op of a distribution function ``name``: ``sign * density`` in ``variable``, the
    ``parameters`` (``(argument, meaning)`` pairs, in SciPy's order before it) refused."""
    rules = {argument: _refused(name, argument, meaning) for argument, meaning in parameters}
    rules[variable] = (f"{'-' if sign < 0 else ''}g * density", _quietly(_signed(sign, density)))
    return _op(name, example, **rules)


_COUNTS = [("k", "the count, floored by SciPy"), ("n", "the number of successes, floored by SciPy")]
_FREEDOMS = [("dfn", "the numerator's degrees of freedom"),
             ("dfd", "the denominator's degrees of freedom")]

_OPS = {
    "gdtr": _op("gdtr", "gdtr(1.0, 2.0, ad.tensor([1.0]))\ntensor([0.26424112])",
                **_gdtr_rules("gdtr", 1.0)),
    "gdtrc": _op("gdtrc", "gdtrc(1.0, 2.0, ad.tensor([1.0]))\ntensor([0.73575888])",
                 **_gdtr_rules("gdtrc", -1.0)),
    "nbdtr": _variable_cdf("nbdtr", 1.0, _COUNTS, "p", _negative_binomial_density,
                           "nbdtr(1, 2, ad.tensor([0.5]))\ntensor([0.5])"),
    "nbdtrc": _variable_cdf("nbdtrc", -1.0, _COUNTS, "p", _negative_binomial_density,
                            "nbdtrc(1, 2, ad.tensor([0.5]))\ntensor([0.5])"),
    "fdtr": _variable_cdf("fdtr", 1.0, _FREEDOMS, "x", _f_density,
                          "fdtr(2.0, 2.0, ad.tensor([1.0]))\ntensor([0.5])"),
    "fdtrc": _variable_cdf("fdtrc", -1.0, _FREEDOMS, "x", _f_density,
                           "fdtrc(2.0, 2.0, ad.tensor([1.0]))\ntensor([0.5])"),
    "chndtr": _op("chndtr", "chndtr(ad.tensor([0.0]), 3.0, 1.0)\ntensor([0.])",
                  x=("g * noncentral chi-square density(x; df, nc)",
                     _quietly(lambda xp, g, ans, x, df, nc:
                              g * _noncentral_chi2_density(xp, x, df, nc))),
                  df=_refused("chndtr", "df", "the degrees of freedom"),
                  nc=_refused("chndtr", "nc", "the noncentrality")),
    "tklmbda": _op("tklmbda", "tklmbda(ad.tensor([0.0]), 0.5)\ntensor([0.5])",
                   x=("g / (F^(l-1) + (1 - F)^(l-1)), F = ans (0 outside the support)",
                      _quietly(lambda xp, g, ans, x, lmbda:
                               g * _tukey_lambda_density(xp, ans, lmbda))),
                   lmbda=("-g * dQ/dl / Q'(F), Q the quantile function, F = ans (the "
                          "law's, also where SciPy's values are the logistic's, |l| < 1e-4)",
                          _quietly(_tklmbda_lmbda_rule))),
}


# -- inverses: 1 / density at SciPy's answer -------------------------------------------------

def _inverse_rule(sign, density):
    """``sign / density(*parameters, ans)``: the slope of an inverse distribution function
    in its probability (the density's arguments are the parameters, then the answer)."""
    def rule(xp, g, ans, *inputs):
        return g * (sign / density(xp, *inputs[:-1], ans))
    return _quietly(rule)


def _inverse(name, sign, parameters, probability, density, example):
    """The op of an inverse ``name(*parameters, probability)``: its slope in the
    probability by implicit differentiation, the parameters refused."""
    rules = {argument: _refused(name, argument, meaning) for argument, meaning in parameters}
    rules[probability] = (f"{'-' if sign < 0 else ''}g / density(ans)",
                          _inverse_rule(sign, density))
    return _op(name, example, **rules)


def _pdtri_density(xp, k, m):
    return _incomplete_gamma_density(xp, xp.floor(k) + 1, m)


def _gdtrix_p_rule(xp, g, ans, a, b, p):
    return g / _gamma_density(xp, a, b, ans)


def _gdtria_p_rule(xp, g, ans, p, b, x):
    # a = gammaincinv(b, p) / x
    return g / (x * _incomplete_gamma_density(xp, b, ans * x))


def _nrdtrimn_p_rule(xp, g, ans, p, std, x):
    # mean = x - std ndtri(p)
    z = xp.scipy_ndtri(p)
    return g * (-std * _SQRT_TWO_PI * xp.exp(z * z / 2))


def _nrdtrisd_p_rule(xp, g, ans, mn, p, x):
    # std = (x - mn) / ndtri(p)
    z = xp.scipy_ndtri(p)
    return g * (-(x - mn) / (z * z) * _SQRT_TWO_PI * xp.exp(z * z / 2))


_OPS.update(
    bdtri=_inverse("bdtri", -1.0, _COUNTS[:1] + [("n", "the number of trials, floored by "
                                                       "SciPy")], "y", _binomial_density,
                   "bdtri(1, 2, ad.tensor([0.75]))\ntensor([0.5])"),
    nbdtri=_inverse("nbdtri", 1.0, _COUNTS, "y", _negative_binomial_density,
                    "nbdtri(1, 2, ad.tensor([0.5]))\ntensor([0.5])"),
    pdtri=_inverse("pdtri", -1.0, [("k", "the count, floored by SciPy")], "y", _pdtri_density,
                   "pdtri(0, ad.tensor([0.5]))\ntensor([0.69314718])"),
    chdtri=_inverse("chdtri", -1.0, [("v", "the degrees of freedom")], "p", _chi2_density,
                    "chdtri(2.0, ad.tensor([0.5]))\ntensor([1.38629436])"),
    fdtri=_inverse("fdtri", 1.0, _FREEDOMS, "p", _f_density,
                   "fdtri(2.0, 2.0, ad.tensor([0.5]))\ntensor([1.])"),
    stdtrit=_inverse("stdtrit", 1.0, [("df", "the degrees of freedom")], "p", _t_density,
                     "stdtrit(3.0, ad.tensor([0.5]))\ntensor([0.])"),
    betaincinv=_inverse("betaincinv", 1.0, [("a", "a shape parameter"),
                                            ("b", "a shape parameter")], "y", _beta_density,
                        "betaincinv(1.0, 1.0, ad.tensor([0.25]))\ntensor([0.25])"),
    betainccinv=_inverse("betainccinv", -1.0, [("a", "a shape parameter"),
                                               ("b", "a shape parameter")], "y", _beta_density,
                         "betainccinv(1.0, 1.0, ad.tensor([0.25]))\ntensor([0.75])"),
    chndtrix=_op("chndtrix", "chndtrix(ad.tensor([0.5]), 2.0, 0.0)\ntensor([1.38629436])",
                 p=("g / noncentral chi-square density(ans; df, nc)", _quietly(
                     lambda xp, g, ans, p, df, nc:
                     g / _noncentral_chi2_density(xp, ans, df, nc))),
                 df=_refused("chndtrix", "df", "the degrees of freedom"),
                 nc=_refused("chndtrix", "nc", "the noncentrality")),
    kolmogi=_op("kolmogi", "kolmogi(ad.tensor([0.5]))\ntensor([0.82757356])",
                p=("g / kolmogorov'(ans)", _quietly(
                    lambda xp, g, ans, p: g / _kolmogorov_slope(xp, ans)))),
    smirnovi=_op("smirnovi", "smirnovi(1, ad.tensor([0.5]))\ntensor([0.5])",
                 n=_refused("smirnovi", "n", "the sample size, floored by SciPy",
                            "it is an integer count"),
                 p=("g / _smirnovp(n, ans), SciPy's (first order only)", _quietly(
                     lambda xp, g, ans, n, p: g / xp.scipy_smirnovp(n, ans)))),
    gdtrix=_op("gdtrix", "gdtrix(1.0, 1.0, ad.tensor([0.5]))\ntensor([0.69314718])",
               a=("g * -ans / a", lambda xp, g, ans, a, b, p: g * (-ans / a)),
               b=_refused("gdtrix", "b", "the shape"),
               p=("g / (a density_P(b, a ans))", _quietly(_gdtrix_p_rule))),
    gdtria=_op("gdtria", "gdtria(ad.tensor([0.5]), 1.0, 1.0)\ntensor([0.69314718])",
               p=("g / (x density_P(b, ans x))", _quietly(_gdtria_p_rule)),
               b=_refused("gdtria", "b", "the shape"),
               x=("g * -ans / x", lambda xp, g, ans, p, b, x: g * (-ans / x))),
    nrdtrimn=_op("nrdtrimn", "nrdtrimn(ad.tensor([0.5]), 2.0, 1.0)\ntensor([1.])",
                 p=("g * -std sqrt(2 pi) exp(ndtri(p)^2 / 2)", _nrdtrimn_p_rule),
                 std=("g * -ndtri(p)", lambda xp, g, ans, p, std, x: g * -xp.scipy_ndtri(p)),
                 x=("g", lambda xp, g, ans, p, std, x: g * xp.ones_like(ans))),
    nrdtrisd=_op("nrdtrisd", "nrdtrisd(0.0, ad.tensor([0.75]), 1.0)\ntensor([1.48260222])",
                 mn=("g * -1 / ndtri(p)", _quietly(
                     lambda xp, g, ans, mn, p, x: g * (-1 / xp.scipy_ndtri(p)))),
                 p=("g * -(x - mn) sqrt(2 pi) exp(z^2 / 2) / z^2, z = ndtri(p)",
                    _quietly(_nrdtrisd_p_rule)),
                 x=("g / ndtri(p)", _quietly(
                     lambda xp, g, ans, mn, p, x: g / xp.scipy_ndtri(p)))),
)


# -- inverses that solve for a shape parameter: every slope refused ------------------------

def _solved_for(name, solved, arguments, example):
    """An inverse that returns the shape parameter ``solved``: its slopes in every argument
    hold the distribution function's derivative in that parameter (no closed form)."""
    why = (f"the slope of {solved}, the parameter it solves for, needs the distribution "
           "function's derivative in it, which has no closed form")
    return _op(name, example, **{argument: _refused(name, argument, meaning, why)
                                 for argument, meaning in arguments})


_P, _X = ("p", "the probability"), ("x", "the variable")
_SOLVED = {
    "gdtrib": ("b", [("a", "the rate"), _P, _X], "gdtrib(1.0, ad.tensor([0.5]), 1.0)",
               "1.31425001"),
    "bdtrik": ("k", [("y", "the probability"), ("n", "the number of trials"),
                     ("p", "the success probability")], "bdtrik(ad.tensor([0.5]), 4.0, 0.5)",
               "1.5"),
    "bdtrin": ("n", [("k", "the count"), ("y", "the probability"),
                     ("p", "the success probability")], "bdtrin(1.0, ad.tensor([0.5]), 0.5)",
               "3."),
    "chdtriv": ("v", [_P, _X], "chdtriv(ad.tensor([0.5]), 1.0)", "1.5971476"),
    "stdtridf": ("df", [_P, ("t", "the variable")], "stdtridf(ad.tensor([0.75]), 1.0)",
                 "1."),
    "nbdtrik": ("k", [("y", "the probability"), ("n", "the number of successes"),
                      ("p", "the success probability")], "nbdtrik(ad.tensor([0.5]), 2.0, 0.5)",
                "1."),
    "nbdtrin": ("n", [("k", "the count"), ("y", "the probability"),
                      ("p", "the success probability")], "nbdtrin(1.0, ad.tensor([0.5]), 0.5)",
                "2."),
    "btdtria": ("a", [_P, ("b", "a shape parameter"), _X],
                "btdtria(ad.tensor([0.5]), 1.0, 0.5)", "1."),
    "btdtrib": ("b", [("a", "a shape parameter"), _P, _X],
                "btdtrib(1.0, ad.tensor([0.5]), 0.5)", "1."),
    "fdtridfd": ("dfd", [("dfn", "the numerator's degrees of freedom"), _P, _X],
                 "fdtridfd(2.0, ad.tensor([0.5]), 1.0)", "2."),
    "pdtrik": ("k", [_P, ("m", "the mean")], "pdtrik(ad.tensor([0.5]), 1.0)",
               "0.31425001"),
    "chndtridf": ("df", [_X, _P, ("nc", "the noncentrality")],
                  "chndtridf(1.0, ad.tensor([0.5]), 0.0)", "1.5971476"),
    "chndtrinc": ("nc", [_X, ("df", "the degrees of freedom"), _P],
                  "chndtrinc(2.0, 1.0, ad.tensor([0.5]))", "1.98314138"),
}
_OPS.update({name: _solved_for(name, solved, arguments, f"{call}\ntensor([{value}])")
             for name, (solved, arguments, call, value) in _SOLVED.items()})


# -- noncentral t and F: their densities are not implemented ---------------------------------

def _noncentral(name, arguments, example, law):
    why = f"the noncentral {law} density it needs is not implemented"
    return _op(name, example, **{argument: _refused(name, argument, meaning, why)
                                 for argument, meaning in arguments})


_DF, _NC = ("df", "the degrees of freedom"), ("nc", "the noncentrality")
_DFN, _DFD = _FREEDOMS
_NONCENTRAL = {
    "nctdtr": ([_DF, _NC, ("t", "the variable")], "nctdtr(3.0, 0.0, ad.tensor([0.0]))", "0.5",
               "t"),
    "nctdtridf": ([_P, _NC, ("t", "the variable")], "nctdtridf(ad.tensor([0.75]), 0.0, 1.0)",
                  "1.", "t"),
    "nctdtrinc": ([_DF, _P, ("t", "the variable")], "nctdtrinc(3.0, ad.tensor([0.5]), 1.0)",
                  "0.91714458", "t"),
    "nctdtrit": ([_DF, _NC, _P], "nctdtrit(3.0, 0.0, ad.tensor([0.5]))", "0.", "t"),
    "ncfdtr": ([_DFN, _DFD, _NC, ("f", "the variable")],
               "ncfdtr(2.0, 2.0, 0.0, ad.tensor([1.0]))", "0.5", "F"),
    "ncfdtri": ([_DFN, _DFD, _NC, _P], "ncfdtri(2.0, 2.0, 0.0, ad.tensor([0.5]))", "1.", "F"),
    "ncfdtridfd": ([_DFN, _P, _NC, ("f", "the variable")],
                   "ncfdtridfd(2.0, ad.tensor([0.5]), 0.0, 1.0)", "2.", "F"),
    "ncfdtridfn": ([_P, _DFD, _NC, ("f", "the variable")],
                   "ncfdtridfn(ad.tensor([0.5]), 2.0, 0.0, 1.0)", "2.", "F"),
    "ncfdtrinc": ([_DFN, _DFD, _P, ("f", "the variable")],
                  "ncfdtrinc(2.0, 2.0, ad.tensor([0.25]), 1.0)", "2.77255536", "F"),
}
_OPS.update({name: _noncentral(name, arguments, f"{call}\ntensor([{value}])", law)
             for name, (arguments, call, value, law) in _NONCENTRAL.items()})
