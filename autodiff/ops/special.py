"""Special functions as ops: ``lgamma``, ``digamma``, ``polygamma``, ``erfc``,
``erfinv`` and ``xlogy``, with PyTorch's names and conventions (SciPy's names are in
``ad.special``).

The forwards are ``autodiff.kernels.special_math``.  The rules call other ops through
``xp`` (lgamma's calls digamma, digamma's ``polygamma(1, x)``, ``polygamma(n, x)``'s
``polygamma(n + 1, x)``, erfinv's reads its output), so with ``create_graph=True``
the gradients are recorded and differentiate to any order.
"""

from __future__ import annotations

import math

import numpy as np

from ..kernels import special_math
from .registry import defop
from .saturation import ERFC

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_HALF_SQRT_PI = 0.5 * math.sqrt(math.pi)


def _at_poles(x):
    return (x <= 0) & (x == np.floor(x))


lgamma = defop(
    "lgamma", special_math.lgamma,
    doc="log|Gamma(x)| (PyTorch's ``lgamma``, SciPy's ``gammaln``); +inf at 0, at the "
        "negative integers and at ±inf.\n\n"
        ">>> ad.lgamma(ad.tensor([0.5, 1.0, 10.0]))          # log(sqrt(pi)), 0, log(9!)\n"
        "tensor([ 0.57236494,  0.        , 12.80182748])",
    x=("g * digamma(x)", lambda xp, g, ans, x: g * xp.digamma(x)), elementwise=True)

digamma = defop(
    "digamma", special_math.digamma,
    doc="The digamma function psi(x) = d/dx lgamma(x).  As PyTorch's: -inf at 0 (+inf "
        "at -0.0), NaN at the negative integers and at -inf.\n\n"
        ">>> ad.digamma(ad.tensor([1.0, 0.5]))     # -euler_gamma, -euler_gamma - 2 log 2\n"
        "tensor([-0.57721566, -1.96351003])",
    singular=[(lambda x: _at_poles(x) & (x != 0),
               "digamma of a negative integer (or -inf) is NaN: it has poles there")],
    x=("g * polygamma(1, x)", lambda xp, g, ans, x: g * xp.polygamma(1, x)), elementwise=True)


def _polygamma_rule(xp, g, ans, n, x):
    return g * xp.polygamma(n + 1, x)


polygamma = defop(
    "polygamma", special_math.polygamma,
    doc="The n-th derivative of digamma, ``(-1)**(n+1) n! zeta(n+1, x)`` for an integer "
        "``n >= 1``; ``n = 0`` is digamma.  ``n`` is a constant (no gradient).  At 0 and "
        "the negative integers it is +inf for odd n and -inf for even n, as SciPy's.\n\n"
        ">>> ad.polygamma(1, ad.tensor([1.0, 0.5])) / np.pi**2     # 1/6, 1/2\n"
        "tensor([0.16666667, 0.5       ])",
    singular=[(lambda n, x: (np.asarray(n) == 0) & _at_poles(x) & (x != 0),
               "polygamma(0, x) is digamma, NaN at the negative integers (its poles)")],
    n=None, x=("g * polygamma(n + 1, x)", _polygamma_rule), elementwise=True)


def _erfc_rule(xp, g, ans, x):
    return g * (-_TWO_OVER_SQRT_PI * xp.exp(-(x * x)))


erfc = defop(
    "erfc", special_math.erfc,
    doc="The complementary error function 1 - erf(x), without cancellation where it is "
        "tiny.\n\n"
        ">>> ad.erfc(ad.tensor([0.0, 10.0]))\ntensor([1.00000000e+00, 2.08848758e-45])",
    x=("g * -2/sqrt(pi) * exp(-x**2)", _erfc_rule), elementwise=True, saturation=ERFC)


def _erfinv_rule(xp, g, ans, x):
    return g * (_HALF_SQRT_PI * xp.exp(ans * ans))


erfinv = defop(
    "erfinv", special_math.erfinv,
    doc="The inverse error function on (-1, 1): ±inf at ±1, NaN outside.\n\n"
        ">>> ad.erfinv(ad.tensor([0.0, 0.5]))\ntensor([0.        , 0.47693628])",
    singular=[(lambda x: np.abs(x) > 1, "erfinv is NaN outside [-1, 1]")],
    x=("g * sqrt(pi)/2 * exp(ans**2)", _erfinv_rule), elementwise=True)


def _xlogy_forward(x, y):
    dtype = special_math.float_result_dtype(x, y)   # (before a number becomes float64)
    x, y = np.asarray(x), np.asarray(y)
    zero = (x == 0) & ~np.isnan(y)
    # log(0) = -inf is the right answer (x * log 0 is -inf for x > 0), as SciPy's and
    # PyTorch's give it silently; a negative y still warns ("invalid value").
    with np.errstate(divide="ignore"):
        out = np.where(zero, 0.0, x * np.log(np.where(zero, 1.0, y)))
    return out if out.dtype.kind == "c" else out.astype(dtype, copy=False)


def _xlogy_x_rule(xp, g, ans, x, y):
    # PyTorch's: xlogy(g, y), then 0 where x == 0 and y <= 0 (there log(y) is -inf or
    # NaN, but the output is 0 whatever x does near 0).
    return xp.where(xp.logical_and(x == 0, y <= 0), 0.0, xp.xlogy(g, y))


def _xlogy_y_rule(xp, g, ans, x, y):
    # x / 0 = ±inf for x != 0 is the slope of x log y at y = 0, silent as in PyTorch.
    with np.errstate(divide="ignore"):
        return g * x / y


def _xlogy_jvp(xp, tangents, ans, x, y):
    # Given, since the x rule is not linear in g at g = 0 (xlogy(0, y) is 0 even where
    # log(y) is not finite), which the derived forward mode would need.
    tx, ty = tangents
    total = None if tx is None else _xlogy_x_rule(xp, tx, ans, x, y)
    if ty is not None:
        part = ty * x / y
        total = part if total is None else total + part
    return total


xlogy = defop(
    "xlogy", _xlogy_forward,
    doc="``x * log(y)``, and 0 where ``x == 0`` unless ``y`` is NaN (PyTorch's "
        "``xlogy``, SciPy's ``special.xlogy``).\n\n"
        "The gradients are PyTorch's: ``log(y)`` for x (0 where ``x == 0`` and "
        "``y <= 0``) and ``x / y`` for y (so NaN at ``x == y == 0``).\n\n"
        ">>> ad.xlogy(ad.tensor([0.0, 2.0, 0.0]), ad.tensor([0.0, np.e, np.nan]))\n"
        "tensor([ 0.,  2., nan])",
    singular=[(lambda x, y: (x != 0) & (y < 0), "x * log(y) of a negative y is NaN")],
    jvp=_xlogy_jvp,
    x=("xlogy(g, y), 0 where x == 0 and y <= 0 (PyTorch's)", _xlogy_x_rule),
    y=("g * x / y", _xlogy_y_rule))
