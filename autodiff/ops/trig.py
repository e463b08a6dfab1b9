"""Trigonometric and hyperbolic functions, their inverses, and angle conversions.

``sin``, ``cos`` and ``tanh`` live in ``elementwise``; this module adds the rest of
NumPy's trigonometric ufuncs.  Each rule is the derivative from the textbook, written
with the output (``ans``) where that saves a function call.  The inverse functions
are not differentiable at the ends of their domain (``arcsin`` and ``arccos`` at ±1,
``arccosh`` at 1, ``arctanh`` at ±1): there the gradient is ±inf, as in NumPy's
limits, and NaN outside the domain, where the forward is NaN too.  ``sinc``'s
gradient follows its Taylor series near 0, where the closed form cancels.
"""

from __future__ import annotations

import numpy as np

from .registry import defop
from .diagnostic_fields import OVERFLOW

_BROADCAST_HINT = ("Shapes broadcast when, aligned from the right, each pair of sizes is "
                   "equal or one of them is 1; reshape or expand_dims one operand to fix it")

_DEGREES_PER_RADIAN = 180.0 / np.pi
_RADIANS_PER_DEGREE = np.pi / 180.0


def _unary(name, forward, formula, rule, doc, numpy=None, **fields):
    return defop(name, forward, doc=doc, numpy=forward if numpy is None else numpy,
                 x=(formula, rule), **fields)


def _outside(lo, hi, name):
    return [(lambda x: (x < lo) | (x > hi),
             f"{name} of a number outside [{lo}, {hi}] is NaN; keep the input in the domain "
             "(e.g. clip it first)")]


# 1 - x**2 near |x| = 1 and x**2 ± 1 for large |x| are written without squaring x:
# 1 - x * x loses the digits x * x rounded away (1e5 ulp off at x = 1 - 1e-10), and
# x * x overflows from |x| = 1.3e154 (1.8e19 in float32), where the gradient is 1 / |x|.


def _arctan_grad(xp, g, ans, x):
    # 1 + x * x is x * x to rounding for |x| > 2**32, and overflows long before the
    # gradient underflows; each branch sees safe values where the other is taken.
    big = xp.abs(x) > 2.0 ** 32
    large = xp.where(big, x, 1.0)
    small = xp.where(big, 0.0, x)
    return xp.where(big, (g / large) / large, g / (1 + small * small))


tan = _unary(
    "tan", np.tan, "g * (1 + ans**2)", lambda xp, g, ans, x: g * (1 + ans * ans),
    "Tangent.\n\n>>> ad.tan(ad.tensor([0.0, np.pi / 4]))\ntensor([0., 1.])")
arcsin = _unary(
    "arcsin", np.arcsin, "g / sqrt((1 - x) * (1 + x))",
    lambda xp, g, ans, x: g / xp.sqrt((1 - x) * (1 + x)),
    "Inverse sine, in [-pi/2, pi/2].\n\n>>> ad.arcsin(ad.tensor([0.0, 1.0]))\n"
    "tensor([0.        , 1.57079633])", singular=_outside(-1, 1, "arcsin"))
arccos = _unary(
    "arccos", np.arccos, "-g / sqrt((1 - x) * (1 + x))",
    lambda xp, g, ans, x: -g / xp.sqrt((1 - x) * (1 + x)),
    "Inverse cosine, in [0, pi].\n\n>>> ad.arccos(ad.tensor([1.0, 0.0]))\n"
    "tensor([0.        , 1.57079633])", singular=_outside(-1, 1, "arccos"))
arctan = _unary(
    "arctan", np.arctan, "g / (1 + x**2), (g / x) / x for |x| > 2**32", _arctan_grad,
    "Inverse tangent, in (-pi/2, pi/2).\n\n>>> ad.arctan(ad.tensor([0.0, 1.0]))\n"
    "tensor([0.        , 0.78539816])")
sinh = _unary(
    "sinh", np.sinh, "g * cosh(x)", lambda xp, g, ans, x: g * xp.cosh(x),
    "Hyperbolic sine.\n\n>>> ad.sinh(ad.tensor([0.0]))\ntensor([0.])", overflows=OVERFLOW)
cosh = _unary(
    "cosh", np.cosh, "g * sinh(x)", lambda xp, g, ans, x: g * xp.sinh(x),
    "Hyperbolic cosine.\n\n>>> ad.cosh(ad.tensor([0.0]))\ntensor([1.])", overflows=OVERFLOW)
arcsinh = _unary(
    "arcsinh", np.arcsinh, "g / hypot(x, 1)",
    lambda xp, g, ans, x: g / xp.hypot(x, 1),
    "Inverse hyperbolic sine.\n\n>>> ad.arcsinh(ad.tensor([0.0]))\ntensor([0.])")
arccosh = _unary(
    "arccosh", np.arccosh, "g / (sqrt(x - 1) * sqrt(x + 1))",
    lambda xp, g, ans, x: g / (xp.sqrt(x - 1) * xp.sqrt(x + 1)),
    "Inverse hyperbolic cosine (x >= 1).\n\n>>> ad.arccosh(ad.tensor([1.0]))\ntensor([0.])",
    singular=_outside(1, np.inf, "arccosh"))
arctanh = _unary(
    "arctanh", np.arctanh, "g / ((1 - x) * (1 + x))",
    lambda xp, g, ans, x: g / ((1 - x) * (1 + x)),
    "Inverse hyperbolic tangent (|x| < 1).\n\n>>> ad.arctanh(ad.tensor([0.0]))\ntensor([0.])",
    singular=_outside(-1, 1, "arctanh"))
deg2rad = _unary(
    "deg2rad", np.deg2rad, "g * pi / 180", lambda xp, g, ans, x: g * _RADIANS_PER_DEGREE,
    "Degrees to radians (``np.radians`` is the same).\n\n"
    ">>> ad.deg2rad(ad.tensor([180.0]))\ntensor([3.14159265])",
    numpy=(np.deg2rad, np.radians), reads=())
rad2deg = _unary(
    "rad2deg", np.rad2deg, "g * 180 / pi", lambda xp, g, ans, x: g * _DEGREES_PER_RADIAN,
    "Radians to degrees (``np.degrees`` is the same).\n\n"
    ">>> ad.rad2deg(ad.tensor([np.pi]))\ntensor([180.])",
    numpy=(np.rad2deg, np.degrees), reads=())


# Divided by r = hypot(x, y) twice: x**2 + y**2 under- or overflows long before r.  At
# the origin (r = 0), where atan2 has no derivative, the gradient is 0, as PyTorch's.
def _radius_or_one(xp, y, x):
    r = xp.hypot(x, y)
    return xp.where(r == 0, 1.0, r)


def _arctan2_grad_y(xp, g, ans, y, x):
    r = _radius_or_one(xp, y, x)
    return g * (x / r) / r


def _arctan2_grad_x(xp, g, ans, y, x):
    r = _radius_or_one(xp, y, x)
    return -g * (y / r) / r


arctan2 = defop(
    "arctan2", np.arctan2, hint=_BROADCAST_HINT, numpy=np.arctan2,
    guarded_point="the origin (both inputs 0)",
    doc="The angle of the point (x, y), in [-pi, pi]; note the order ``arctan2(y, x)``.\n\n"
        "Not differentiable at the origin, where the gradient is 0, as PyTorch's (HIPS\n"
        "autograd's is NaN there).  Its second derivatives at the origin are NaN, as\n"
        "PyTorch's, with NumPy's RuntimeWarning (invalid value in divide) from the\n"
        "radius's derivative there, where PyTorch is silent.\n\n"
        ">>> ad.arctan2(ad.tensor([1.0]), ad.tensor([1.0]))\ntensor([0.78539816])",
    y=("g * x / (x**2 + y**2)", _arctan2_grad_y),
    x=("-g * y / (x**2 + y**2)", _arctan2_grad_x))

hypot = defop(
    "hypot", np.hypot, hint=_BROADCAST_HINT, numpy=np.hypot,
    guarded_point="the origin (both inputs 0)",
    doc="sqrt(a**2 + b**2) without overflow.\n\n"
        "Not differentiable at a = b = 0, where the gradient is NaN.\n\n"
        ">>> ad.hypot(ad.tensor([3.0]), 4.0)\ntensor([5.])",
    a=("g * a / ans", lambda xp, g, ans, a, b: g * a / ans),
    b=("g * b / ans", lambda xp, g, ans, a, b: g * b / ans))
hypot.infinite_grad = (
    "at a = b = 0 (a zero length, such as a point's distance to itself) its derivative "
    "a / hypot(a, b) is 0 / 0. Keep the length away from 0: np.hypot.reduce(..., "
    "initial=eps), or hypot(a, b + eps), or leave those pairs out")


def _sinc_series_coefficients(terms):
    """c_k = (-1)^k 2k / (2k+1)!, k = 1..terms: sinc's Taylor series in y = pi x,
    differentiated once, is y * sum_k c_k y^(2k-2)."""
    coefficients, factorial = [], 1.0
    for k in range(1, terms + 1):
        factorial *= (2 * k) * (2 * k + 1)
        coefficients.append((-1) ** k * 2 * k / factorial)
    return coefficients


# 13 terms: the first neglected one is below 1e-21 for |pi x| < 2, and stays below
# rounding through the fourth derivative.
_SINC_SLOPE_SERIES = _sinc_series_coefficients(13)


def _sinc_slope(xp, x):
    """d sinc / dx, to rounding everywhere, written with ops so that its own
    derivatives are right too: for |pi x| < 2 the derivative of sinc's Taylor series,
    elsewhere (cos(pi x) - sinc(x)) / x, whose subtraction cancels near 0."""
    y = np.pi * x
    near = xp.abs(y) < 2
    z = y * y
    series = _SINC_SLOPE_SERIES[-1]
    for c in reversed(_SINC_SLOPE_SERIES[:-1]):
        series = series * z + c
    far_x = xp.where(near, 1.0, x)      # (1 where the series serves: no 0 / 0 there)
    far_y = np.pi * far_x
    far = (xp.cos(far_y) - xp.sin(far_y) / far_y) / far_x
    return xp.where(near, np.pi * y * series, far)


sinc = _unary(
    "sinc", np.sinc, "g * (cos(pi x) - sinc(x)) / x, by its Taylor series for |pi x| < 2",
    lambda xp, g, ans, x: g * _sinc_slope(xp, x),
    "sin(pi x) / (pi x), and 1 at 0: NumPy's values.  The derivatives are right to "
    "rounding at 0 and near it, to every order (the gradient follows sinc's Taylor "
    "series where |pi x| < 2).\n\n>>> ad.sinc(ad.tensor([0.0, 0.5]))\n"
    "tensor([1.        , 0.63661977])", elementwise=True)
