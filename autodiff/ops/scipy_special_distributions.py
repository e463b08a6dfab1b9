"""SciPy's distribution functions on Tensors: ``scipy.special.chdtr(v, x)`` records.

The cumulative distribution functions of chi-square, Poisson and beta laws, the
inverses of the incomplete gamma function, Wright's omega and ``ndtri_exp``, as
scientists call them next to NumPy (Student's t, Owen's T and Spence's dilogarithm are
in ``scipy_special_bessel.py``).  As in
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
from .scipy_special import _quietly, _scipy_function, slope_refused
from .special_torch import _incomplete_gamma_density

_LOG_SQRT_TWO_PI = 0.5 * math.log(2.0 * math.pi)


def _shape_refused(name, argument, meaning):
    """The rule of an argument without a gradient: an error naming the function, the
    argument and what to pass."""
    return slope_refused(name, argument, "it has no closed form; PyTorch's igamma has none "
                         "in its first argument either", meaning=meaning)


def _beta_density(xp, a, b, x):
    with np.errstate(divide="ignore", invalid="ignore"):
        log_density = xp.xlogy(a - 1.0, x) + xp.xlog1py(b - 1.0, -x) \
            - (xp.lgamma(a) + xp.lgamma(b) - xp.lgamma(a + b))
        return xp.exp(log_density)


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
    wrightomega=_op("wrightomega", ">>> special.wrightomega(ad.tensor([1.0]))\ntensor([1.])",
                    x=("g * ans / (1 + ans)", lambda xp, g, ans, x: g * (ans / (1 + ans)))),
    ndtri_exp=_op("ndtri_exp", ">>> special.ndtri_exp(ad.tensor([-0.5]))\n"
                               "tensor([0.27028802])",
                  y=("g * exp(y + ans^2 / 2) sqrt(2 pi)", lambda xp, g, ans, y:
                     g * xp.exp(y + ans * ans / 2 + _LOG_SQRT_TWO_PI))),
)
