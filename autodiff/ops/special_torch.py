"""``torch.special``'s functions that have no other name in the library, as ops:
``ndtr``, ``log_ndtr``, ``ndtri``, ``erfcx``, ``i0e``, ``i1e``, ``entr``, ``xlog1py``,
``zeta``, ``gammainc`` and ``gammaincc``.  They are reached as ``ad.special.<name>``.

The forwards are ``autodiff.kernels.special_torch_math``.  The rules are PyTorch's
formulas, written against ``xp`` so they differentiate again: ``ndtr' = pdf``,
``erfcx' = 2x erfcx - 2/sqrt(pi)``, ``i0e' = i1e - sign(x) i0e`` ...  As in PyTorch,
``zeta``, ``gammainc`` and ``gammaincc`` have no derivative with respect to their first
argument (asking for one raises).
"""

from __future__ import annotations

import math

import numpy as np

from ..kernels import incomplete_gamma
from ..kernels import special_torch_math as kernels
from .define import defop
from .diagnostic_fields import OVERFLOW

_LOG_SQRT_TWO_PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_TWO_OVER_PI = math.sqrt(2.0 / math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_HALF = math.sqrt(0.5)


def _log_ndtr_rule(xp, g, ans, x):
    # pdf(x) / ndtr(x) = sqrt(2 / pi) / erfcx(-x / sqrt 2): no underflow, no cancellation
    return g * (_SQRT_TWO_OVER_PI / xp.erfcx(-x * _SQRT_HALF))


#: erfcx'(x) = 2 x erfcx(x) - 2 / sqrt(pi) for x >= 10 by its asymptotic series
#: -(1 / sqrt(pi)) u sum((-1)**k (2k + 1)!! / 2**k u**k), u = 1 / x**2: the two terms
#: of the formula cancel to ~ 1 / x**2 there (all digits lost by x = 1e8)
_ERFCX_SLOPE_FROM = 10.0
_ERFCX_SLOPE_SERIES = tuple((-1.0) ** k * math.prod(range(1, 2 * k + 2, 2)) / 2.0 ** k
                            for k in range(15))


def _erfcx_rule(xp, g, ans, x):
    far = x >= _ERFCX_SLOPE_FROM
    # in float32 at least: the series' coefficients pass float16's largest value
    u = xp.square(1.0 / xp.where(far, x, np.float32(_ERFCX_SLOPE_FROM)))
    series = 0.0
    for c in _ERFCX_SLOPE_SERIES[::-1]:
        series = series * u + c
    asymptotic = -(u / math.sqrt(math.pi)) * series
    with np.errstate(invalid="ignore"):     # (inf * 0 at x = inf, where the series is used)
        return g * xp.where(far, asymptotic, 2.0 * x * ans - _TWO_OVER_SQRT_PI)


def _i1e_rule(xp, g, ans, x):
    # i1e' = i0e - i1e (sign(x) + 1 / x), 1/2 at 0 (where i1e(x) / x -> 1/2)
    at_zero = x == 0
    safe = xp.where(at_zero, 1.0, x)
    return g * xp.where(at_zero, 0.5, xp.i0e(x) - ans * (xp.sign(x) + 1.0 / safe))


def _xlog1py_x_rule(xp, g, ans, x, y):
    # PyTorch's: log1p(y), but 0 where x == 0 and y <= -1 (the output is 0 there
    # whatever x does near 0)
    return xp.where(xp.logical_and(x == 0, y <= -1), 0.0, xp.xlog1py(g, y))


def _xlog1py_y_rule(xp, g, ans, x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return g * x / (1.0 + y)


def _log_quietly(xp, x):
    # log(0) = -inf and log(x < 0) = NaN are entr's slopes there, silent as in PyTorch
    with np.errstate(divide="ignore", invalid="ignore"):
        return xp.log(x)


def _zeta_x_rule(xp, g, ans, x, q):
    raise NotImplementedError(
        "zeta: the derivative with respect to x (the first argument) is not implemented, "
        "as in PyTorch ('the derivative for 'zeta' is not implemented'); only q can "
        "require grad (pass x as a number or a Tensor that does not require grad)")


ndtr = defop(
    "ndtr", kernels.ndtr,
    doc="The standard normal CDF, ``(1 + erf(x / sqrt 2)) / 2`` (``torch.special.ndtr``), "
        "accurate in the lower tail.\n\n"
        ">>> ad.special.ndtr(ad.tensor([0.0, -3.0]))\ntensor([0.5      , 0.0013499])",
    x=("g * exp(-x**2 / 2) / sqrt(2 pi)",
       lambda xp, g, ans, x: g * xp.exp(-(x * x) / 2 - _LOG_SQRT_TWO_PI)),
    elementwise=True)

log_ndtr = defop(
    "log_ndtr", kernels.log_ndtr,
    doc="``log(ndtr(x))`` without underflow (``torch.special.log_ndtr``).\n\n"
        ">>> ad.special.log_ndtr(ad.tensor([0.0, -40.0]))\n"
        "tensor([-6.93147181e-01, -8.04608442e+02])",
    x=("g * pdf(x) / ndtr(x) = g * sqrt(2/pi) / erfcx(-x / sqrt 2)", _log_ndtr_rule),
    elementwise=True)

ndtri = defop(
    "ndtri", kernels.ndtri,
    doc="The inverse of ``ndtr`` (the standard normal quantile function, "
        "``torch.special.ndtri``): ±inf at 1 and 0, NaN outside [0, 1].\n\n"
        ">>> ad.special.ndtri(ad.tensor([0.5, 0.975]))\ntensor([0.        , 1.95996398])",
    x=("g * sqrt(2 pi) * exp(ans**2 / 2)",
       lambda xp, g, ans, x: g * xp.exp(ans * ans / 2 + _LOG_SQRT_TWO_PI)),
    elementwise=True)

erfcx = defop(
    "erfcx", kernels.erfcx,
    doc="The scaled complementary error function ``exp(x**2) * erfc(x)`` "
        "(``torch.special.erfcx``), without overflow for large x.\n\n"
        ">>> ad.special.erfcx(ad.tensor([0.0, 30.0]))\ntensor([1.        , 0.01879589])",
    x=("g * (2 x ans - 2 / sqrt(pi)), by its asymptotic series for x >= 10", _erfcx_rule),
    elementwise=True, overflows=OVERFLOW)

i0e = defop(
    "i0e", kernels.i0e,
    doc="The exponentially scaled modified Bessel function of order 0, "
        "``exp(-|x|) * I0(x)`` (``torch.special.i0e``).\n\n"
        ">>> ad.special.i0e(ad.tensor([0.0, 1000.0]))\ntensor([1.        , 0.01261724])",
    x=("g * (i1e(x) - sign(x) ans)",
       lambda xp, g, ans, x: g * (xp.i1e(x) - xp.sign(x) * ans)),
    elementwise=True)

i1e = defop(
    "i1e", kernels.i1e,
    doc="The exponentially scaled modified Bessel function of order 1, "
        "``exp(-|x|) * I1(x)`` (``torch.special.i1e``).\n\n"
        ">>> ad.special.i1e(ad.tensor([0.0, 1.0]))\ntensor([0.        , 0.20791042])",
    x=("g * (i0e(x) - ans (sign(x) + 1 / x)), g / 2 at 0", _i1e_rule),
    elementwise=True)

entr = defop(
    "entr", kernels.entr,
    doc="The elementwise entropy ``-x * log(x)``: 0 at 0, -inf for x < 0 "
        "(``torch.special.entr``).\n\n"
        ">>> ad.special.entr(ad.tensor([0.0, 0.5, -1.0]))\n"
        "tensor([0.        , 0.34657359,       -inf])",
    x=("g * -(1 + log(x))", lambda xp, g, ans, x: g * -(1.0 + _log_quietly(xp, x))),
    elementwise=True)
entr.infinite_grad = ("its derivative holds log(x), which is -inf at x = 0 and NaN for "
                      "x < 0 (where entr itself is -inf by definition); keep x above 0 "
                      "(clip it, or add an eps)")

xlog1py = defop(
    "xlog1py", kernels.xlog1py,
    doc="``x * log1p(y)``, and 0 where ``x == 0`` unless ``y`` is NaN "
        "(``torch.special.xlog1py``).\n\n"
        ">>> ad.special.xlog1py(ad.tensor([0.0, 2.0]), ad.tensor([-1.0, 1.0]))\n"
        "tensor([0.        , 1.38629436])",
    x=("xlog1py(g, y), 0 where x == 0 and y <= -1 (PyTorch's)", _xlog1py_x_rule),
    y=("g * x / (1 + y)", _xlog1py_y_rule),
    elementwise=True)

zeta = defop(
    "zeta", kernels.zeta,
    doc="The Hurwitz zeta function ``sum((q + k)**-x for k >= 0)`` "
        "(``torch.special.zeta``); no gradient with respect to x, as in PyTorch.\n\n"
        ">>> ad.special.zeta(ad.tensor([2.0]), ad.tensor([1.0]))     # pi**2 / 6\n"
        "tensor([1.64493407])",
    x=("not implemented (PyTorch's neither)", _zeta_x_rule),
    q=("g * -x * zeta(x + 1, q)", lambda xp, g, ans, x, q: g * (-x * xp.zeta(x + 1.0, q))),
    elementwise=True)


def _incomplete_gamma_a_rule(name):
    def rule(xp, g, ans, a, x):
        raise NotImplementedError(
            f"{name}: the derivative with respect to a (the first argument, 'input') is not "
            f"implemented, as in PyTorch ('the derivative for 'igamma: input' is not "
            f"implemented'); only x can require grad (pass a as a number or a Tensor that "
            f"does not require grad)")
    return rule


def _incomplete_gamma_density(xp, a, x):
    # d/dx P(a, x) = x**(a - 1) e**-x / Gamma(a) (PyTorch's formula; at x = 0, xlogy
    # makes it 1, not NaN, for a = 1, where PyTorch's is NaN; NaN for x < 0 as P)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_power = xp.where(x == 0, xp.xlogy(a - 1.0, x), (a - 1.0) * xp.log(x))
        return xp.exp(log_power - x - xp.lgamma(a))


gammainc = defop(
    "gammainc", incomplete_gamma.gammainc,
    doc="The regularized lower incomplete gamma function ``P(a, x)`` "
        "(``torch.special.gammainc``, SciPy's ``gammainc``); no gradient with respect to "
        "a, as in PyTorch.\n\n"
        ">>> ad.special.gammainc(ad.tensor([1.0, 2.0]), ad.tensor([1.0, 3.0]))\n"
        "tensor([0.63212056, 0.80085173])",
    a=("not implemented (PyTorch's neither)", _incomplete_gamma_a_rule("gammainc")),
    x=("g * x**(a - 1) e**-x / Gamma(a)",
       lambda xp, g, ans, a, x: g * _incomplete_gamma_density(xp, a, x)),
    elementwise=True)

gammaincc = defop(
    "gammaincc", incomplete_gamma.gammaincc,
    doc="The regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)`` "
        "(``torch.special.gammaincc``); no gradient with respect to a, as in PyTorch.\n\n"
        ">>> ad.special.gammaincc(ad.tensor([1.0, 2.0]), ad.tensor([1.0, 3.0]))\n"
        "tensor([0.36787944, 0.19914827])",
    a=("not implemented (PyTorch's neither)", _incomplete_gamma_a_rule("gammaincc")),
    x=("-g * x**(a - 1) e**-x / Gamma(a)",
       lambda xp, g, ans, a, x: -g * _incomplete_gamma_density(xp, a, x)),
    elementwise=True)
