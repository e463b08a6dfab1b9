"""SciPy's special functions on Tensors: ``scipy.special.expit(t)`` records.

SciPy's special functions are ufuncs, so called on a Tensor they reach
``Tensor.__array_ufunc__`` as NumPy's do.  Those below are ops whose forward is
SciPy's own ufunc, so the values are SciPy's exactly, and whose gradients are the
library's rules (to any order: they call other ops through ``xp``).  The library does
not import SciPy: a forward looks it up when it runs, which only happens once the
caller has imported ``scipy.special``.

The op names carry a ``scipy_`` prefix (``scipy_expit``): graphs and errors show
which implementation ran.
"""

from __future__ import annotations

import math
import sys

from .registry import defop
from .special import _erfc_rule, _erfinv_rule, _xlogy_jvp, _xlogy_x_rule, _xlogy_y_rule

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_LOG_SQRT_TWO_PI = 0.5 * math.log(2.0 * math.pi)


def _scipy_function(name):
    def forward(*args):
        from scipy import special
        return getattr(special, name)(*args)
    forward.__name__ = name
    return forward


def _unary(name, formula, rule, example):
    return defop(f"scipy_{name}", _scipy_function(name), elementwise=True,
                 doc=f"``scipy.special.{name}`` on a Tensor (SciPy's values, the library's "
                     f"gradient).\n\n{example}",
                 x=(formula, rule))


_EXAMPLE = (">>> from scipy import special\n"
            ">>> special.{name}(ad.tensor([{value}]))\ntensor([{result}])")

_OPS = {
    "expit": _unary("expit", "g * e / (1 + e)**2, e = exp(-|x|)",
                    lambda xp, g, ans, x: g * xp.sigmoid_derivative(x),
                    _EXAMPLE.format(name="expit", value="0.0", result="0.5")),
    "log_expit": _unary("log_expit", "g * expit(-x)",
                        lambda xp, g, ans, x: g * xp.sigmoid(-x),
                        _EXAMPLE.format(name="log_expit", value="0.0",
                                        result="-0.69314718")),
    "logit": _unary("logit", "g / (x (1 - x))",
                    lambda xp, g, ans, x: g / (x * (1 - x)),
                    _EXAMPLE.format(name="logit", value="0.5", result="0.")),
    "erf": _unary("erf", "g * 2/sqrt(pi) * exp(-x**2)",
                  lambda xp, g, ans, x: g * (_TWO_OVER_SQRT_PI * xp.exp(-(x * x))),
                  _EXAMPLE.format(name="erf", value="0.0", result="0.")),
    "erfc": _unary("erfc", "g * -2/sqrt(pi) * exp(-x**2)", _erfc_rule,
                   _EXAMPLE.format(name="erfc", value="0.0", result="1.")),
    "erfinv": _unary("erfinv", "g * sqrt(pi)/2 * exp(ans**2)", _erfinv_rule,
                     _EXAMPLE.format(name="erfinv", value="0.0", result="0.")),
    "ndtr": _unary("ndtr", "g * exp(-x**2 / 2) / sqrt(2 pi)",
                   lambda xp, g, ans, x: g * xp.exp(-(x * x) / 2 - _LOG_SQRT_TWO_PI),
                   _EXAMPLE.format(name="ndtr", value="0.0", result="0.5")),
    "log_ndtr": _unary("log_ndtr", "g * exp(-x**2 / 2 - log sqrt(2 pi) - ans)",
                       lambda xp, g, ans, x: g * xp.exp(-(x * x) / 2 - _LOG_SQRT_TWO_PI - ans),
                       _EXAMPLE.format(name="log_ndtr", value="0.0", result="-0.69314718")),
    "gammaln": _unary("gammaln", "g * digamma(x)",
                      lambda xp, g, ans, x: g * xp.digamma(x),
                      _EXAMPLE.format(name="gammaln", value="1.0", result="0.")),
    "psi": _unary("psi", "g * polygamma(1, x)",
                  lambda xp, g, ans, x: g * xp.polygamma(1, x),
                  _EXAMPLE.format(name="psi", value="1.0", result="-0.57721566")),
    "i0": _unary("i0", "g * I1(x)", lambda xp, g, ans, x: g * xp.bessel_i1(x),
                 _EXAMPLE.format(name="i0", value="0.0", result="1.")),
    "i1": _unary("i1", "g * (I0(x) - I1(x) / x)",
                 lambda xp, g, ans, x: g * (xp.i0(x) - xp.bessel_i1_over_x(x)),
                 _EXAMPLE.format(name="i1", value="0.0", result="0.")),
    "xlogy": defop(
        "scipy_xlogy", _scipy_function("xlogy"), elementwise=True, jvp=_xlogy_jvp,
        doc="``scipy.special.xlogy`` on Tensors (SciPy's values; the gradients of "
            "``ad.xlogy``).\n\n>>> from scipy import special\n"
            ">>> special.xlogy(ad.tensor([0.0, 2.0]), ad.tensor([0.0, 1.0]))\n"
            "tensor([0., 0.])",
        x=("xlogy(g, y), 0 where x == 0 and y <= 0 (PyTorch's)", _xlogy_x_rule),
        y=("g * x / y", _xlogy_y_rule)),
}


def op_for(ufunc):
    """The op that runs ``ufunc`` on Tensors when it is one of SciPy's special
    functions above, else None."""
    name = getattr(ufunc, "__name__", None)
    op = _OPS.get(name)
    if op is None:
        return None
    special = sys.modules.get("scipy.special")
    return op if special is not None and getattr(special, name, None) is ufunc else None
