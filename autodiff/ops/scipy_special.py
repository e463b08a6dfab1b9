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

import numpy as np

from .elementwise import _power_grad_base, _power_grad_exponent
from .diagnostic_fields import EXP_OVERFLOW, OVERFLOW
from .registry import defop
from .special import _erfc_rule, _erfinv_rule, _xlogy_jvp, _xlogy_x_rule, _xlogy_y_rule
from .special_torch import entr as _torch_entr
from .special_torch import (_erfcx_rule, _i1e_rule, _incomplete_gamma_a_rule,
                            _incomplete_gamma_density, _log_quietly, _xlog1py_x_rule,
                            _xlog1py_y_rule, _zeta_x_rule)

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_LOG_SQRT_TWO_PI = 0.5 * math.log(2.0 * math.pi)
_LN2, _LN10 = math.log(2.0), math.log(10.0)


def _scipy_function(name):
    def forward(*args):
        from scipy import special
        return getattr(special, name)(*args)
    forward.__name__ = name
    return forward


def scipy_function_in_float64(name, index=None):
    """SciPy's ``name`` (output ``index`` of it, if given) computed in float64 and rounded
    to float32 / float16 where NumPy's rules give those: for the functions whose float32
    loops SciPy gets wrong (the Mathieu functions' give NaN, the spheroidal ones' do not
    return)."""
    def forward(*args):
        from scipy import special
        dtype = np.result_type(*args)
        narrow = dtype.kind == "f" and dtype.itemsize < 8
        result = getattr(special, name)(*args, dtype=np.float64) if narrow else \
            getattr(special, name)(*args)
        result = result if index is None else result[index]
        return result.astype(dtype) if narrow else result
    forward.__name__ = name if index is None else f"{name}_{index}"
    return forward


def _hurwitz_zeta(x, q):
    from scipy.special import _ufuncs      # (scipy.special.zeta(x, q) calls it)
    return _ufuncs._zeta(x, q)


def _unary(name, formula, rule, example, **fields):
    return defop(f"scipy_{name}", _scipy_function(name), elementwise=True,
                 doc=f"``scipy.special.{name}`` on a Tensor (SciPy's values, the library's "
                     f"gradient).\n\n{example}",
                 x=(formula, rule), **fields)


def _binary(name, first, second, example, names=("x", "y"), singular=()):
    return defop(f"scipy_{name}", _scipy_function(name), elementwise=True,
                 doc=f"``scipy.special.{name}`` on Tensors (SciPy's values, the library's "
                     f"gradients).\n\n{example}", singular=singular,
                 **dict(zip(names, (first, second))))


def _incomplete_gamma(name, formula, sign, example):
    """SciPy's regularized incomplete gamma ``name``: the library's slope in x, none in a
    (PyTorch's neither)."""
    def x_rule(xp, g, ans, a, x):
        return sign * g * _incomplete_gamma_density(xp, a, x)

    outside = (lambda a, x: (np.asarray(a) < 0) | (np.asarray(x) < 0),
               f"{name}(a, x) is NaN for a < 0 or x < 0 (it is defined for a, x >= 0); keep "
               "them in the domain (e.g. x = softplus(raw) or clip(x, 0, None))")
    return _binary(name, ("not implemented (PyTorch's neither)", _incomplete_gamma_a_rule(name)),
                   (formula, x_rule), example, names=("a", "x"), singular=[outside])


def slope_refused(name, argument, why, *, meaning=None, only=None):
    """The rule of an argument of SciPy's ``name`` that has no slope in the library: it
    raises, naming the function, the argument (and ``meaning``), ``why``, and what to pass
    (``only``: the arguments that can require grad)."""
    described = f"{argument} ({meaning})" if meaning else argument
    advice = f"pass {argument} as a number or an array, or a Tensor that does not require grad"
    if only:
        advice = f"only {only} can require grad ({advice})"
    message = (f"{name}: the derivative with respect to {described} is not implemented "
               f"({why}); {advice}")

    def refused(xp, g, ans, *inputs):
        raise NotImplementedError(message)
    return refused


def _quietly(rule):
    """``rule`` without NumPy's warnings at the domain's edges (log 0, x / 0), where SciPy's
    forward is silent and the slope is the infinity or NaN PyTorch's would be."""
    def quiet(*args):
        with np.errstate(divide="ignore", invalid="ignore"):
            return rule(*args)
    return quiet


def _betaln_rule(xp, g, ans, x, y):
    return g * (xp.digamma(x) - xp.digamma(x + y))


def _beta_rule(xp, g, ans, x, y):
    return g * (ans * (xp.digamma(x) - xp.digamma(x + y)))


def _exprel_slope(xp, u):
    """``d/du expm1(u) / u = (u e^u - expm1(u)) / u^2``: by its Taylor series
    ``sum u^k / (k! (k + 2))`` where ``|u| < 0.01`` (the difference cancels there), and as
    ``e^(u/2) (u - 1) / u^2 e^(u/2) + 1 / u^2`` above 1: no inf - inf, and no overflow
    (nor NumPy's warning of one) where ``e^u`` overflows but the slope does not; inf,
    silently, where the slope does (as SciPy's ``exprel`` is inf there)."""
    small, large = xp.abs(u) < 0.01, u > 1
    middle = xp.where(xp.logical_or(small, large), 0.5, u)
    upper = xp.where(large, u, 2.0)
    series = 0.5 + u * (1 / 3 + u * (1 / 8 + u * (1 / 30 + u * (1 / 144 + u / 840))))
    overflows = upper + xp.log(upper - 1) - 2 * xp.log(upper) > _log_of_largest(u)
    kept = xp.where(overflows, 2.0, upper)
    half = xp.exp(kept / 2)             # e^u as two halves: finite wherever the slope is
    grown = xp.where(overflows, np.inf,
                     half * ((kept - 1) / (kept * kept)) * half + 1 / (kept * kept))
    return xp.where(small, series, xp.where(
        large, grown, (middle * xp.exp(middle) - xp.expm1(middle)) / (middle * middle)))


def _log_of_largest(u) -> float:
    """``log`` of the largest finite number of ``u``'s (floating) dtype."""
    dtype = np.result_type(getattr(u, "dtype", np.float64), np.float16)
    return float(np.log(np.finfo(dtype).max))


def _box_cox_rules(base):
    """The slopes of SciPy's Box-Cox transform ``expm1(lmbda L) / lmbda`` of
    ``L = log(b)``, ``b = base(x)`` (``x`` for ``boxcox``, ``1 + x`` for ``boxcox1p``):
    ``b**(lmbda - 1)`` in x, and ``L^2 exprel'(lmbda L)`` in lmbda, ``L^2 / 2`` at
    lmbda = 0; where ``b = 0`` (the value ``-1 / lmbda`` for lmbda > 0), ``1 / lmbda^2``
    for lmbda > 0 and NaN otherwise (the value is -inf there)."""
    def x_rule(xp, g, ans, x, lmbda):
        return g * xp.power(base(x), lmbda - 1)

    def lmbda_rule(xp, g, ans, x, lmbda):
        at_zero = base(x) == 0
        logged = xp.log(xp.where(at_zero, 1.0, base(x)))
        slope = logged * logged * _exprel_slope(xp, lmbda * logged)
        safe = xp.where(lmbda > 0, lmbda, 1.0)
        return g * xp.where(at_zero, xp.where(lmbda > 0, 1 / (safe * safe), np.nan), slope)

    return x_rule, lmbda_rule


_BOXCOX_X, _BOXCOX_LMBDA = _box_cox_rules(lambda x: x)
_BOXCOX1P_X, _BOXCOX1P_LMBDA = _box_cox_rules(lambda x: 1 + x)


def _inverse_box_cox_rules(shift):
    """The slopes of SciPy's inverse Box-Cox ``b = exp(log1p(lmbda y) / lmbda)`` (``exp(y)``
    at lmbda = 0), the value ``ans = b - shift`` (``inv_boxcox``: 0, ``inv_boxcox1p``: 1):
    ``b**(1 - lmbda)`` in y, and ``b y^2 h(lmbda y)`` in lmbda with
    ``h(u) = (u / (1 + u) - log1p(u)) / u^2``, by its series where ``|u| < 1e-3``."""
    def y_rule(xp, g, ans, y, lmbda):
        return g * xp.power(ans + shift, 1 - lmbda)

    def lmbda_rule(xp, g, ans, y, lmbda):
        u = lmbda * y
        small = xp.abs(u) < 1e-3
        safe = xp.where(small, 1.0, u)
        series = -0.5 + u * (2 / 3 + u * (-0.75 + u * (0.8 - u * 5 / 6)))
        h = xp.where(small, series, (safe / (1 + safe) - xp.log1p(safe)) / (safe * safe))
        return g * ((ans + shift) * (y * y) * h)

    return _quietly(y_rule), _quietly(lmbda_rule)


_INV_BOXCOX_Y, _INV_BOXCOX_LMBDA = _inverse_box_cox_rules(0.0)
_INV_BOXCOX1P_Y, _INV_BOXCOX1P_LMBDA = _inverse_box_cox_rules(1.0)


def _negative_delta_is_nan(xp, delta, slope):
    """``slope``, NaN where ``delta < 0`` (SciPy's value is inf there)."""
    return xp.where(delta < 0, np.nan, slope)


def _huber_delta_rule(xp, g, ans, delta, r):
    size = xp.abs(r)
    return g * _negative_delta_is_nan(xp, delta, xp.where(size <= delta, 0.0, size - delta))


def _huber_r_rule(xp, g, ans, delta, r):
    return g * _negative_delta_is_nan(xp, delta,
                                      xp.where(xp.abs(r) <= delta, r, delta * xp.sign(r)))


def _pseudo_huber_delta_rule(xp, g, ans, delta, r):
    # 2 (h - delta) - r^2 / h with h = hypot(delta, r), without its cancellation; 0 at
    # delta = r = 0, its limit (it is at most |r| near there), not 0/0
    h, squared = _nonzero_hypot(xp, delta, r), r * r
    return g * _negative_delta_is_nan(xp, delta, squared * squared / (h * (h + delta) ** 2))


def _pseudo_huber_r_rule(xp, g, ans, delta, r):
    # (0 at delta = r = 0: the limit, at most |delta|, as huber's and PyTorch's
    # huber_loss's slope at r = 0)
    return g * _negative_delta_is_nan(xp, delta, r * delta / _nonzero_hypot(xp, delta, r))


def _nonzero_hypot(xp, delta, r):
    """``hypot(delta, r)``, 1 where both are 0 (where the rules' numerators are 0)."""
    h = xp.hypot(delta, r)
    return xp.where(h == 0, 1.0, h)


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
    "expm1": _unary("expm1", "g * exp(x)", lambda xp, g, ans, x: g * xp.exp(x),
                    _EXAMPLE.format(name="expm1", value="0.0", result="0."),
                    overflows=EXP_OVERFLOW),
    "log1p": _unary("log1p", "g / (1 + x)", lambda xp, g, ans, x: g / (1 + x),
                    _EXAMPLE.format(name="log1p", value="0.0", result="0.")),
    "exp2": _unary("exp2", "g * ans * log(2)", lambda xp, g, ans, x: g * (ans * _LN2),
                   _EXAMPLE.format(name="exp2", value="3.0", result="8."),
                   overflows=EXP_OVERFLOW),
    "exp10": _unary("exp10", "g * ans * log(10)", lambda xp, g, ans, x: g * (ans * _LN10),
                    _EXAMPLE.format(name="exp10", value="2.0", result="100."),
                    overflows=EXP_OVERFLOW),
    "cbrt": _unary("cbrt", "g / (3 * ans**2)", lambda xp, g, ans, x: g / (3.0 * (ans * ans)),
                   _EXAMPLE.format(name="cbrt", value="8.0", result="2.")),
    "ndtri": _unary("ndtri", "g * sqrt(2 pi) * exp(ans**2 / 2)",
                    lambda xp, g, ans, x: g * xp.exp(ans * ans / 2 + _LOG_SQRT_TWO_PI),
                    _EXAMPLE.format(name="ndtri", value="0.5", result="0.")),
    "gamma": _unary("gamma", "g * ans * digamma(x)",
                    lambda xp, g, ans, x: g * (ans * xp.digamma(x)),
                    _EXAMPLE.format(name="gamma", value="4.0", result="6.")),
    "entr": _unary("entr", "g * -(log(x) + 1)",
                   lambda xp, g, ans, x: g * -(1.0 + _log_quietly(xp, x)),
                   _EXAMPLE.format(name="entr", value="1.0", result="-0.")),
    "betaln": _binary("betaln", ("g * (digamma(x) - digamma(x + y))", _betaln_rule),
                      ("g * (digamma(y) - digamma(x + y))",
                       lambda xp, g, ans, x, y: _betaln_rule(xp, g, ans, y, x)),
                      ">>> from scipy import special\n"
                      ">>> special.betaln(ad.tensor([1.0]), ad.tensor([2.0]))\n"
                      "tensor([-0.69314718])"),
    "xlog1py": _binary("xlog1py", ("xlog1py(g, y), 0 where x == 0 and y <= -1 (PyTorch's)",
                                   _xlog1py_x_rule),
                       ("g * x / (1 + y)", _xlog1py_y_rule),
                       ">>> from scipy import special\n"
                       ">>> special.xlog1py(ad.tensor([2.0]), ad.tensor([0.0]))\n"
                       "tensor([0.])",
                       singular=[(lambda x, y: (np.asarray(y) < -1) & (np.asarray(x) != 0),
                                  "xlog1py(x, y) = x log(1 + y) is NaN for y < -1 (the log "
                                  "of a negative number); keep 1 + y above 0")]),
    "rel_entr": _binary("rel_entr", ("g * (log(x / y) + 1)",
                                     _quietly(lambda xp, g, ans, x, y: g * (xp.log(x / y) + 1))),
                        ("g * -x / y", _quietly(lambda xp, g, ans, x, y: g * (-x / y))),
                        ">>> from scipy import special\n"
                        ">>> special.rel_entr(ad.tensor([1.0]), ad.tensor([1.0]))\n"
                        "tensor([0.])"),
    "kl_div": _binary("kl_div", ("g * log(x / y)",
                                 _quietly(lambda xp, g, ans, x, y: g * xp.log(x / y))),
                      ("g * (1 - x / y)", _quietly(lambda xp, g, ans, x, y: g * (1 - x / y))),
                      ">>> from scipy import special\n"
                      ">>> special.kl_div(ad.tensor([1.0]), ad.tensor([1.0]))\n"
                      "tensor([0.])"),
    "erfcx": _unary("erfcx", "g * (2 x ans - 2 / sqrt(pi)), by its asymptotic series for "
                    "x >= 10", _erfcx_rule,
                    _EXAMPLE.format(name="erfcx", value="0.0", result="1."),
                    overflows=OVERFLOW),
    "i0e": _unary("i0e", "g * (i1e(x) - sign(x) ans)",
                  lambda xp, g, ans, x: g * (xp.i1e(x) - xp.sign(x) * ans),
                  _EXAMPLE.format(name="i0e", value="0.0", result="1.")),
    "i1e": _unary("i1e", "g * (i0e(x) - ans (sign(x) + 1 / x)), g / 2 at 0", _i1e_rule,
                  _EXAMPLE.format(name="i1e", value="0.0", result="0.")),
    "gammainc": _incomplete_gamma(
        "gammainc", "g * x**(a - 1) e**-x / Gamma(a)", 1.0, ">>> from scipy import special\n"
                    ">>> special.gammainc(1.0, ad.tensor([1.0]))\ntensor([0.63212056])"),
    "gammaincc": _incomplete_gamma(
        "gammaincc", "-g * x**(a - 1) e**-x / Gamma(a)", -1.0, ">>> from scipy import special\n"
                     ">>> special.gammaincc(1.0, ad.tensor([1.0]))\ntensor([0.36787944])"),
    "xlogy": defop(
        "scipy_xlogy", _scipy_function("xlogy"), elementwise=True, jvp=_xlogy_jvp,
        doc="``scipy.special.xlogy`` on Tensors (SciPy's values; the gradients of "
            "``ad.xlogy``).\n\n>>> from scipy import special\n"
            ">>> special.xlogy(ad.tensor([0.0, 2.0]), ad.tensor([0.0, 1.0]))\n"
            "tensor([0., 0.])",
        x=("xlogy(g, y), 0 where x == 0 and y <= 0 (PyTorch's)", _xlogy_x_rule),
        y=("g * x / y", _xlogy_y_rule)),
    "beta": _binary("beta", ("g * ans * (digamma(x) - digamma(x + y))", _beta_rule),
                    ("g * ans * (digamma(y) - digamma(x + y))",
                     lambda xp, g, ans, x, y: _beta_rule(xp, g, ans, y, x)),
                    ">>> from scipy import special\n"
                    ">>> special.beta(ad.tensor([2.0]), 3.0)\ntensor([0.08333333])"),
    "loggamma": _unary("loggamma", "g * digamma(x), real x only",
                       lambda xp, g, ans, x: g * xp.digamma(x),
                       _EXAMPLE.format(name="loggamma", value="4.0", result="1.79175947")),
    "exprel": _unary("exprel", "g * (x e^x - expm1(x)) / x^2, its series near 0",
                     lambda xp, g, ans, x: g * _exprel_slope(xp, x),
                     _EXAMPLE.format(name="exprel", value="0.0", result="1.")),
    "boxcox": _binary("boxcox", ("g * x**(lmbda - 1)", _BOXCOX_X),
                      ("g * L**2 exprel'(lmbda L), L = log(x)", _BOXCOX_LMBDA),
                      ">>> from scipy import special\n"
                      ">>> special.boxcox(ad.tensor([4.0]), 0.5)\ntensor([2.])",
                      names=("x", "lmbda")),
    "boxcox1p": _binary("boxcox1p", ("g * (1 + x)**(lmbda - 1)", _BOXCOX1P_X),
                        ("g * L**2 exprel'(lmbda L), L = log1p(x)", _BOXCOX1P_LMBDA),
                        ">>> from scipy import special\n"
                        ">>> special.boxcox1p(ad.tensor([3.0]), 0.5)\ntensor([2.])",
                        names=("x", "lmbda")),
    "inv_boxcox": _binary("inv_boxcox", ("g * ans**(1 - lmbda)", _INV_BOXCOX_Y),
                          ("g * ans y^2 h(lmbda y), h(u) = (u / (1 + u) - log1p(u)) / u^2",
                           _INV_BOXCOX_LMBDA),
                          ">>> from scipy import special\n"
                          ">>> special.inv_boxcox(ad.tensor([2.0]), 0.5)\ntensor([4.])",
                          names=("y", "lmbda")),
    "inv_boxcox1p": _binary("inv_boxcox1p", ("g * (1 + ans)**(1 - lmbda)", _INV_BOXCOX1P_Y),
                            ("g * (1 + ans) y^2 h(lmbda y), h(u) = (u / (1 + u) - log1p(u)) "
                             "/ u^2", _INV_BOXCOX1P_LMBDA),
                            ">>> from scipy import special\n"
                            ">>> special.inv_boxcox1p(ad.tensor([2.0]), 0.5)\ntensor([3.])",
                            names=("y", "lmbda")),
    "huber": _binary("huber", ("g * max(|r| - delta, 0); NaN where delta < 0",
                               _huber_delta_rule),
                     ("g * clip(r, -delta, delta); NaN where delta < 0", _huber_r_rule),
                     ">>> from scipy import special\n"
                     ">>> special.huber(1.0, ad.tensor([0.5, 2.0]))\ntensor([0.125, 1.5  ])",
                     names=("delta", "r")),
    "pseudo_huber": _binary("pseudo_huber",
                            ("g * r**4 / (h (h + delta)**2), h = hypot(delta, r); NaN where "
                             "delta < 0", _pseudo_huber_delta_rule),
                            ("g * r delta / hypot(delta, r); NaN where delta < 0",
                             _pseudo_huber_r_rule),
                            ">>> from scipy import special\n"
                            ">>> special.pseudo_huber(1.0, ad.tensor([2.0]))\n"
                            "tensor([1.23606798])",
                            names=("delta", "r")),
    "erfcinv": _unary("erfcinv", "g * -sqrt(pi)/2 * exp(ans**2)",
                      lambda xp, g, ans, x: -_erfinv_rule(xp, g, ans, x),
                      _EXAMPLE.format(name="erfcinv", value="0.5", result="0.47693628")),
    "erfi": _unary("erfi", "g * 2/sqrt(pi) * exp(x**2)",
                   lambda xp, g, ans, x: g * (_TWO_OVER_SQRT_PI * xp.exp(x * x)),
                   _EXAMPLE.format(name="erfi", value="0.0", result="0.")),
    "dawsn": _unary("dawsn", "g * (1 - 2 x ans)", lambda xp, g, ans, x: g * (1 - 2 * x * ans),
                    _EXAMPLE.format(name="dawsn", value="0.0", result="0.")),
    "cosm1": _unary("cosm1", "g * -sin(x)", lambda xp, g, ans, x: g * -xp.sin(x),
                    _EXAMPLE.format(name="cosm1", value="0.0", result="0.")),
    "exp1": _unary("exp1", "g * -exp(-x) / x", lambda xp, g, ans, x: g * (-xp.exp(-x) / x),
                   _EXAMPLE.format(name="exp1", value="1.0", result="0.21938393")),
    "expi": _unary("expi", "g * exp(x) / x", lambda xp, g, ans, x: g * (xp.exp(x) / x),
                   _EXAMPLE.format(name="expi", value="1.0", result="1.89511782")),
    "powm1": _binary("powm1", ("g * y * x**(y - 1), 0 where y == 0 (power's)",
                               lambda xp, g, ans, x, y: _power_grad_base(xp, g, ans + 1, x, y)),
                     ("g * (ans + 1) * log(x), 0 where x == 0 (power's)",
                      lambda xp, g, ans, x, y: _power_grad_exponent(xp, g, ans + 1, x, y)),
                     ">>> from scipy import special\n"
                     ">>> special.powm1(ad.tensor([4.0]), 0.5)\ntensor([1.])"),
    "_zeta": defop(
        "scipy_zeta", _hurwitz_zeta, elementwise=True,
        doc="``scipy.special.zeta(x, q)`` on Tensors, the Hurwitz zeta function (SciPy's "
            "values; the gradients of ``ad.special.zeta``: none in x, as in PyTorch).\n\n"
            ">>> from scipy import special\n"
            ">>> special.zeta(2.0, ad.tensor([1.0]))     # pi**2 / 6\ntensor([1.64493407])",
        x=("not implemented (PyTorch's neither)", _zeta_x_rule),
        q=("g * -x * zeta(x + 1, q)", lambda xp, g, ans, x, q: g * (-x * xp.zeta(x + 1.0, q)))),
}

_OPS["entr"].infinite_grad = _torch_entr.infinite_grad
_OPS["rel_entr"].infinite_grad = (
    "its derivative in x holds log(x / y), -inf at x = 0 and NaN where x / y < 0, and its "
    "derivative in y is -x / y, infinite at y = 0 (where rel_entr itself is inf by "
    "definition); keep x and y above 0 (clip them, or add an eps)")

from .scipy_special_bessel import OPS as _BESSEL_OPS  # noqa: E402  (uses the helpers above)

_OPS.update(_BESSEL_OPS)


def op_for(ufunc):
    """The op that runs ``ufunc`` on Tensors when it is one of SciPy's special
    functions above or in ``scipy_special_distributions`` / ``scipy_special_bessel`` /
    ``scipy_special_hypergeometric`` / ``scipy_special_inverses`` /
    ``scipy_special_integrals`` / ``scipy_special_assorted`` / ``scipy_special_kelvin`` /
    ``scipy_special_hankel`` / ``scipy_special_polynomials`` / ``scipy_special_elliptic``
    (a function of two or more ops for ``scipy_special_pairs``', the two-output
    integrals', ``scipy_special_airy``'s, ``scipy_special_parabolic``'s,
    ``scipy_special_mathieu``'s, ``scipy_special_spheroidal``'s, ``kelvin`` and
    ``ellipj``), else None."""
    name = getattr(ufunc, "__name__", None)
    tables = (_OPS, _DISTRIBUTION_OPS, _HYPERGEOMETRIC_OPS, _PAIRS, _INVERSE_OPS,
              _INTEGRAL_OPS, _ASSORTED, _AIRY, _KELVIN, _HANKEL, _POLYNOMIALS, _ELLIPTIC,
              _PARABOLIC, _MATHIEU, _SPHEROIDAL)
    op = next((ops[name] for ops in tables if name in ops), None)
    if op is None:
        return None
    private = name in ("_zeta", "_lambertw")      # (what zeta(x, q) and lambertw call)
    special = sys.modules.get("scipy.special._ufuncs" if private else "scipy.special")
    return op if special is not None and getattr(special, name, None) is ufunc else None


# SciPy's distribution functions, defined with this module's helpers
from .scipy_special_distributions import _OPS as _DISTRIBUTION_OPS  # noqa: E402
from .scipy_special_hypergeometric import _OPS as _HYPERGEOMETRIC_OPS  # noqa: E402
from .scipy_special_pairs import OPS as _PAIRS  # noqa: E402  (two outputs: two ops each)
from .scipy_special_inverses import _OPS as _INVERSE_OPS  # noqa: E402
from .scipy_special_integrals import OPS as _INTEGRAL_OPS  # noqa: E402
from .scipy_special_assorted import OPS as _ASSORTED  # noqa: E402
from .scipy_special_airy import OPS as _AIRY  # noqa: E402  (four outputs: four ops each)
from .scipy_special_kelvin import OPS as _KELVIN  # noqa: E402
from .scipy_special_hankel import OPS as _HANKEL  # noqa: E402
from .scipy_special_polynomials import OPS as _POLYNOMIALS  # noqa: E402
from .scipy_special_elliptic import OPS as _ELLIPTIC  # noqa: E402
from .scipy_special_parabolic import OPS as _PARABOLIC  # noqa: E402  (two ops each)
from .scipy_special_mathieu import OPS as _MATHIEU  # noqa: E402  (two ops each)
from .scipy_special_spheroidal import OPS as _SPHEROIDAL  # noqa: E402  (two ops each)
