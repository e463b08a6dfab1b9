"""Elementwise ops: arithmetic with broadcasting, transcendental functions, activations.

Each entry is the forward (a NumPy function on arrays) and one rule per input,
``(formula, rule)``; the formula is the rule in words for graphs and tutorials.
"""

from __future__ import annotations

import numbers
import operator

import numpy as np

from .. import kernels
from .registry import defop

_BROADCAST_HINT = ("Shapes broadcast when, aligned from the right, each pair of sizes is "
                   "equal or one of them is 1; reshape or expand_dims one operand to fix it")


def _binary(name, forward, rule_a, rule_b, doc):
    return defop(name, forward, doc=doc, hint=_BROADCAST_HINT, a=rule_a, b=rule_b)


add = _binary(
    "add", np.add,
    ("g", lambda xp, g, ans, a, b: g),
    ("g", lambda xp, g, ans, a, b: g),
    doc="a + b with broadcasting.\n\n>>> ad.add(ad.tensor([1.0, 2.0]), 1.0)\ntensor([2., 3.])")

subtract = _binary(
    "subtract", np.subtract,
    ("g", lambda xp, g, ans, a, b: g),
    ("-g", lambda xp, g, ans, a, b: -g),
    doc="a - b with broadcasting.\n\n>>> ad.subtract(ad.tensor([1.0, 2.0]), 1.0)\ntensor([0., 1.])")

multiply = _binary(
    "multiply", np.multiply,
    ("g * b", lambda xp, g, ans, a, b: g * b),
    ("g * a", lambda xp, g, ans, a, b: g * a),
    doc="a * b with broadcasting.\n\n>>> ad.multiply(ad.tensor([1.0, 2.0]), 3.0)\ntensor([3., 6.])")

divide = _binary(
    "divide", np.true_divide,
    ("g / b", lambda xp, g, ans, a, b: g / b),
    ("-g * a / b**2", lambda xp, g, ans, a, b: -g * a / (b * b)),
    doc="a / b with broadcasting.\n\n>>> ad.divide(ad.tensor([1.0, 2.0]), 2.0)\ntensor([0.5, 1. ])")


def _power_grad_base(xp, g, ans, a, b):
    if isinstance(b, numbers.Number):
        if b == 0:
            return g * 0
        return g * b * a ** (b - 1)
    # x**0 has derivative 0 everywhere, including x = 0 where b * x**(b-1) is 0 * inf.
    return g * b * a ** xp.where(b != 0, b - 1, 1)


def _power_grad_exponent(xp, g, ans, a, b):
    # d(a**b)/db = log(a) * a**b; at a = 0 the product is 0 (for b > 0), not 0 * -inf.
    safe_a = xp.where(a == 0, 1, a)
    return g * xp.log(safe_a) * ans


power = _binary(
    "power", np.power,
    ("g * b * a**(b-1)", _power_grad_base),
    ("g * log(a) * a**b", _power_grad_exponent),
    doc="a ** b elementwise.\n\n>>> ad.power(ad.tensor([2.0, 3.0]), 2)\ntensor([4., 9.])")


def _winner_rule(beats, first):
    """The rule of maximum (beats = >) or minimum (beats = <) for input a or b."""
    def rule(xp, g, ans, a, b):
        wins = beats(a, b) if first else beats(b, a)
        return xp.where(wins, g, xp.where(a == b, g / 2, 0))
    return rule


maximum = _binary(
    "maximum", np.maximum,
    ("g where a > b, g/2 where a == b", _winner_rule(operator.gt, True)),
    ("g where b > a, g/2 where a == b", _winner_rule(operator.gt, False)),
    doc="Elementwise larger of a and b; ties split the gradient evenly.\n\n"
        ">>> ad.maximum(ad.tensor([1.0, 5.0]), 3.0)\ntensor([3., 5.])")

minimum = _binary(
    "minimum", np.minimum,
    ("g where a < b, g/2 where a == b", _winner_rule(operator.lt, True)),
    ("g where b < a, g/2 where a == b", _winner_rule(operator.lt, False)),
    doc="Elementwise smaller of a and b; ties split the gradient evenly.\n\n"
        ">>> ad.minimum(ad.tensor([1.0, 5.0]), 3.0)\ntensor([1., 3.])")

logaddexp = _binary(
    "logaddexp", np.logaddexp,
    ("g * exp(a - ans)", lambda xp, g, ans, a, b: g * xp.exp(a - ans)),
    ("g * exp(b - ans)", lambda xp, g, ans, a, b: g * xp.exp(b - ans)),
    doc="log(exp(a) + exp(b)) without overflow.\n\n>>> ad.logaddexp(0.0, ad.tensor([0.0]))\n"
        "tensor([0.69314718])")

where = defop(
    "where", np.where, hint=_BROADCAST_HINT,
    doc="Pick ``a`` where ``cond`` is true, else ``b`` (no gradient through ``cond``).\n\n"
        "Beware: the unselected branch is still computed, and an inf or NaN in its\n"
        "derivative turns into NaN; feed unselected positions a safe value.\n\n"
        ">>> x = ad.tensor([-1.0, 2.0])\n>>> ad.where(x > 0, x, 0.0)\ntensor([0., 2.])",
    cond=None,
    a=("where(cond, g, 0)", lambda xp, g, ans, cond, a, b: xp.where(cond, g, 0)),
    b=("where(cond, 0, g)", lambda xp, g, ans, cond, a, b: xp.where(cond, 0, g)))


def _unary(name, forward, formula, rule, doc):
    return defop(name, forward, doc=doc, x=(formula, rule))


negative = _unary("negative", np.negative, "-g", lambda xp, g, ans, x: -g,
                  "-x.\n\n>>> ad.negative(ad.tensor([1.0]))\ntensor([-1.])")
exp = _unary("exp", kernels.exp, "g * ans", lambda xp, g, ans, x: g * ans,
             "e ** x elementwise.\n\n>>> ad.exp(ad.tensor([0.0]))\ntensor([1.])")
log = _unary("log", np.log, "g / x", lambda xp, g, ans, x: g / x,
             "Natural logarithm.\n\n>>> ad.log(ad.tensor([1.0]))\ntensor([0.])")
log1p = _unary("log1p", np.log1p, "g / (1 + x)", lambda xp, g, ans, x: g / (1 + x),
               "log(1 + x), accurate for small x.\n\n>>> ad.log1p(ad.tensor([0.0]))\ntensor([0.])")
expm1 = _unary("expm1", np.expm1, "g * (ans + 1)", lambda xp, g, ans, x: g * (ans + 1),
               "exp(x) - 1, accurate for small x.\n\n>>> ad.expm1(ad.tensor([0.0]))\ntensor([0.])")
sqrt = _unary("sqrt", np.sqrt, "g / (2 * ans)", lambda xp, g, ans, x: g / (2 * ans),
              "Square root (its gradient is inf at 0).\n\n"
              ">>> ad.sqrt(ad.tensor([4.0]))\ntensor([2.])")
abs = _unary("abs", np.abs, "g * sign(x)", lambda xp, g, ans, x: g * xp.sign(x),
             "|x|; the gradient at 0 is 0.\n\n>>> ad.abs(ad.tensor([-2.0]))\ntensor([2.])")
sin = _unary("sin", np.sin, "g * cos(x)", lambda xp, g, ans, x: g * xp.cos(x),
             "Sine.\n\n>>> ad.sin(ad.tensor([0.0]))\ntensor([0.])")
cos = _unary("cos", np.cos, "-g * sin(x)", lambda xp, g, ans, x: -g * xp.sin(x),
             "Cosine.\n\n>>> ad.cos(ad.tensor([0.0]))\ntensor([1.])")
tanh = _unary("tanh", kernels.tanh, "g * (1 - ans**2)",
              lambda xp, g, ans, x: xp.tanh_backward(g, ans),
              "Hyperbolic tangent.\n\n>>> ad.tanh(ad.tensor([0.0]))\ntensor([0.])")
square = _unary("square", np.square, "g * 2 * x", lambda xp, g, ans, x: g * (2 * x),
                "x ** 2.\n\n>>> ad.square(ad.tensor([3.0]))\ntensor([9.])")
reciprocal = _unary("reciprocal", np.reciprocal, "-g * ans**2",
                    lambda xp, g, ans, x: -g * (ans * ans),
                    "1 / x.\n\n>>> ad.reciprocal(ad.tensor([4.0]))\ntensor([0.25])")


# The activations run through ``autodiff.kernels`` (compiled one-pass loops for large
# float arrays); their backward helpers xp.<name>_backward are the same formulas,
# registered in ops/namespace.py for both NumPy and Tensor (create_graph) mode.
sigmoid = _unary("sigmoid", kernels.sigmoid, "g * ans * (1 - ans)",
                 lambda xp, g, ans, x: xp.sigmoid_backward(g, ans),
                 "1 / (1 + exp(-x)), stable for large |x|.\n\n"
                 ">>> ad.sigmoid(ad.tensor([0.0]))\ntensor([0.5])")


relu = _unary("relu", kernels.relu, "g * (x > 0)", lambda xp, g, ans, x: xp.relu_backward(g, x),
              "max(x, 0); the gradient at 0 is 0.\n\n>>> ad.relu(ad.tensor([-1.0, 2.0]))\n"
              "tensor([0., 2.])")


leaky_relu = defop(
    "leaky_relu", kernels.leaky_relu,
    doc="x where x > 0, else slope * x.\n\n>>> ad.leaky_relu(ad.tensor([-1.0, 2.0]), 0.1)\n"
        "tensor([-0.1,  2. ])",
    x=("g where x > 0, g * slope elsewhere",
       lambda xp, g, ans, x, slope=0.01: xp.leaky_relu_backward(g, x, slope)),
    slope=None)


def _clip_forward(x, lo=None, hi=None):
    return np.clip(x, lo, hi)


def _clip_rule(xp, g, ans, x, lo=None, hi=None):
    inside = None
    if lo is not None:
        inside = x >= lo
    if hi is not None:
        inside = (x <= hi) if inside is None else inside & (x <= hi)
    return g if inside is None else xp.where(inside, g, 0)


clip = defop(
    "clip", _clip_forward,
    doc="Limit x to [lo, hi]; the gradient is g inside (bounds included), 0 outside.\n\n"
        ">>> ad.clip(ad.tensor([-2.0, 0.5, 2.0]), -1, 1)\ntensor([-1. ,  0.5,  1. ])",
    x=("g where lo <= x <= hi, else 0", _clip_rule), lo=None, hi=None)


def _zero_rule(xp, g, ans, x, *args, **kwargs):
    return xp.zeros_like(g)


round = defop("round", np.round,
              doc="Round to the nearest integer (half to even); zero gradient.\n\n"
                  ">>> ad.round(ad.tensor([0.4, 1.6]))\ntensor([0., 2.])",
              x=("0", _zero_rule), decimals=None)
floor = _unary("floor", np.floor, "0", _zero_rule,
               "Largest integer <= x; zero gradient.\n\n"
               ">>> ad.floor(ad.tensor([1.7]))\ntensor([1.])")
sign = _unary("sign", np.sign, "0", _zero_rule,
              "-1, 0 or 1; zero gradient.\n\n"
              ">>> ad.sign(ad.tensor([-3.0, 0.0]))\ntensor([-1.,  0.])")


def _astype_forward(x, dtype):
    return x.astype(dtype, copy=False)


_astype_op = defop(
    "astype", _astype_forward,
    doc="Convert to another dtype; the gradient converts back.\n\n"
        ">>> ad.astype(ad.tensor([1.0]), 'float32').dtype\ndtype('float32')",
    x=("astype(g, x.dtype)", lambda xp, g, ans, x, dtype: xp.astype(g, x.dtype)),
    dtype=None)


def astype(x, dtype):
    """Convert to another dtype; between float dtypes the gradient converts back.

    A cast to an integer, bool or complex dtype is not differentiable: its result
    does not require grad (as a hard threshold, it would pass no gradient).

    >>> ad.astype(ad.tensor([1.0]), 'float32').dtype
    dtype('float32')
    """
    if np.dtype(dtype).kind != "f":
        from ..tensor import Tensor
        data = x.data if isinstance(x, Tensor) else np.asarray(x)
        return Tensor._make(data.astype(dtype), None, False)
    return _astype_op(x, dtype)


astype.op = _astype_op


def _identity_forward(x):
    return x


stop_gradient = defop(
    "stop_gradient", _identity_forward,
    doc="Identity in the forward pass; no gradient flows back through it.\n\n"
        ">>> x = ad.tensor([2.0], requires_grad=True)\n"
        ">>> y = x * ad.stop_gradient(x)      # d y / d x = stop_gradient(x) = 2\n",
    x=None)
