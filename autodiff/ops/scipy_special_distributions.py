"""SciPy's distribution functions on Tensors: ``scipy.special.stdtr(df, t)`` records.

The cumulative distribution functions of Student's t, chi-square, Poisson and beta
laws, the inverses of the incomplete gamma function, and Owen's T, Spence's dilogarithm,
Wright's omega and ``ndtri_exp``, as scientists call them next to NumPy.  As in
``scipy_special.py`` the forwards are SciPy's own ufuncs (SciPy's values exactly) and
the gradients the library's rules.  A distribution's slope in its variable is its
density; its slopes in shape parameters (degrees of freedom, counts, a and b) have no
closed form and are refused, naming what to pass instead, as PyTorch refuses
``igamma``'s slope in its first argument.
"""

from __future__ import annotations

import math

import numpy as np

from .registry import defop
from .scipy_special import _quietly, _scipy_function
from .special_torch import _incomplete_gamma_density

_LOG_SQRT_TWO_PI = 0.5 * math.log(2.0 * math.pi)
_LOG_PI = math.log(math.pi)


def _shape_refused(name, argument, meaning):
    """The rule of an argument without a gradient: an error naming the function, the
    argument and what to pass."""
    def rule(xp, g, ans, *args):
        raise NotImplementedError(
            f"scipy.special.{name}: the derivative with respect to {argument} ({meaning}) is "
            f"not implemented (it has no closed form; PyTorch's igamma has none in its first "
            f"argument either); pass {argument} as a number or an array, or a Tensor that "
            f"does not require grad")
    return rule


def _student_density(xp, df, t):
    log_density = xp.lgamma((df + 1.0) / 2) - xp.lgamma(df / 2.0) - 0.5 * (xp.log(df) + _LOG_PI) \
        - (df + 1.0) / 2 * xp.log1p(t * t / df)
    return xp.exp(log_density)


def _beta_density(xp, a, b, x):
    with np.errstate(divide="ignore", invalid="ignore"):
        log_density = xp.xlogy(a - 1.0, x) + xp.xlog1py(b - 1.0, -x) \
            - (xp.lgamma(a) + xp.lgamma(b) - xp.lgamma(a + b))
        return xp.exp(log_density)


def _owens_t_h_rule(xp, g, ans, h, a):
    # dT/dh = -exp(-h^2 / 2) erf(a h / sqrt 2) / (2 sqrt(2 pi))
    return g * (-xp.exp(-(h * h) / 2 - _LOG_SQRT_TWO_PI) * xp.erf(a * h / math.sqrt(2.0)) / 2)


def _owens_t_a_rule(xp, g, ans, h, a):
    # dT/da = exp(-h^2 (1 + a^2) / 2) / (2 pi (1 + a^2))
    spread = 1 + a * a
    return g * (xp.exp(-(h * h) * spread / 2) / (2 * math.pi * spread))


def _spence_rule(xp, g, ans, z):
    # spence(z) = integral from 1 to z of log(t) / (1 - t) dt: slope log(z) / (1 - z), -1 at 1
    at_one = z == 1
    safe = xp.where(at_one, 2.0, z)
    return g * xp.where(at_one, -1.0, xp.log(safe) / (1 - safe))


def _op(name, doc, **rules):
    return defop(f"scipy_{name}", _scipy_function(name), elementwise=True,
                 doc=f"``scipy.special.{name}`` on Tensors (SciPy's values, the library's "
                     f"gradients).\n\n>>> from scipy import special\n{doc}", **rules)


def _cdf_pair(name, complement, args, variable, density, example, complement_example):
    """The ops of a distribution function ``name`` and its complement (if SciPy has one):
    slopes +density and -density in ``variable``, the other arguments refused."""
    def rising(xp, g, ans, *inputs):
        return g * density(xp, *inputs)

    def falling(xp, g, ans, *inputs):
        return -g * density(xp, *inputs)

    ops = {}
    pairs = [(name, rising, example), (complement, falling, complement_example)]
    for op_name, rule, text in pairs[:1 if complement is None else 2]:
        rules = {argument: ("not implemented (no closed form)",
                            _shape_refused(op_name, argument, meaning))
                 for argument, meaning in args}
        rules[variable] = ("g * density" if rule is rising else "-g * density", rule)
        ops[op_name] = _op(op_name, text, **rules)
    return ops


_OPS = {}
_OPS.update(_cdf_pair(
    "stdtr", None, [("df", "the degrees of freedom")], "t", _student_density,
    ">>> special.stdtr(3.0, ad.tensor([0.0]))\ntensor([0.5])", None))
_OPS.update(_cdf_pair(
    "chdtr", "chdtrc", [("v", "the degrees of freedom")], "x",
    lambda xp, v, x: 0.5 * _incomplete_gamma_density(xp, v / 2.0, x / 2.0),
    ">>> special.chdtr(2.0, ad.tensor([2.0]))\ntensor([0.63212056])",
    ">>> special.chdtrc(2.0, ad.tensor([2.0]))\ntensor([0.36787944])"))
_OPS.update(_cdf_pair(
    "pdtrc", "pdtr", [("k", "the count, floored by SciPy")], "m",
    lambda xp, k, m: _incomplete_gamma_density(xp, xp.floor(k) + 1.0, m),
    ">>> special.pdtrc(0, ad.tensor([1.0]))\ntensor([0.63212056])",
    ">>> special.pdtr(0, ad.tensor([1.0]))\ntensor([0.36787944])"))
_OPS.update(_cdf_pair(
    "betainc", "betaincc", [("a", "a shape parameter"), ("b", "a shape parameter")], "x",
    _beta_density,
    ">>> special.betainc(1.0, 1.0, ad.tensor([0.25]))\ntensor([0.25])",
    ">>> special.betaincc(1.0, 1.0, ad.tensor([0.25]))\ntensor([0.75])"))
_OPS.update(
    gammaincinv=_op("gammaincinv", ">>> special.gammaincinv(1.0, ad.tensor([0.5]))\n"
                                   "tensor([0.69314718])",
                    a=("not implemented (no closed form)",
                       _shape_refused("gammaincinv", "a", "the shape")),
                    y=("g / density(a, ans), inf at y = 0 for a > 1", _quietly(
                        lambda xp, g, ans, a, y: g / _incomplete_gamma_density(xp, a, ans)))),
    gammainccinv=_op("gammainccinv", ">>> special.gammainccinv(1.0, ad.tensor([0.5]))\n"
                                     "tensor([0.69314718])",
                     a=("not implemented (no closed form)",
                        _shape_refused("gammainccinv", "a", "the shape")),
                     y=("-g / density(a, ans), -inf at y = 1 for a > 1", _quietly(
                         lambda xp, g, ans, a, y: -g / _incomplete_gamma_density(xp, a, ans)))),
    owens_t=_op("owens_t", ">>> special.owens_t(ad.tensor([0.0]), 1.0)\ntensor([0.125])",
                h=("g * -exp(-h^2 / 2) erf(a h / sqrt 2) / (2 sqrt(2 pi))", _owens_t_h_rule),
                a=("g * exp(-h^2 (1 + a^2) / 2) / (2 pi (1 + a^2))", _owens_t_a_rule)),
    spence=_op("spence", ">>> special.spence(ad.tensor([1.0]))\ntensor([0.])",
               z=("g * log(z) / (1 - z), -g at z = 1 (-inf at 0, NaN below as the value)",
                  _quietly(_spence_rule))),
    wrightomega=_op("wrightomega", ">>> special.wrightomega(ad.tensor([1.0]))\ntensor([1.])",
                    x=("g * ans / (1 + ans)", lambda xp, g, ans, x: g * (ans / (1 + ans)))),
    ndtri_exp=_op("ndtri_exp", ">>> special.ndtri_exp(ad.tensor([-0.5]))\n"
                               "tensor([0.27028802])",
                  y=("g * exp(y + ans^2 / 2) sqrt(2 pi)", lambda xp, g, ans, y:
                     g * xp.exp(y + ans * ans / 2 + _LOG_SQRT_TWO_PI))),
)
