"""Elementwise ops: arithmetic with broadcasting, transcendental functions, activations.

Each entry is the forward (a NumPy function on arrays) and one rule per input,
``(formula, rule)``; the formula is the rule in words for graphs and tutorials.
"""

from __future__ import annotations

import numbers
import operator

import numpy as np

from .. import kernels
from ..kernels import numpy_twins as _twins
from ..tensor import Tensor
from ..grad_mode import is_grad_enabled
from ..missing_dtypes import numpy_dtype
from .namespace import xp_function
from .registry import defop, implements, implements_without_gradient
from .operands import tensor_of
from . import diagnostic_fields as notes
from .saturation import SIGMOID, TANH
from ..zeroing_notes import note

_BROADCAST_HINT = ("Shapes broadcast when, aligned from the right, each pair of sizes is "
                   "equal or one of them is 1; reshape or expand_dims one operand to fix it")


def _binary(name, forward, rule_a, rule_b, doc, **fields):
    return defop(name, forward, doc=doc, hint=_BROADCAST_HINT, numpy=forward, a=rule_a,
                 b=rule_b, **fields)


def _torch_form(name, method, keyword):
    """``(keywords, function)`` for ``defop``'s ``torch_keywords``: the op called with
    PyTorch's keyword ``keyword`` (``ad.divide(a, b, rounding_mode="floor")``) is
    ``Tensor.<method>`` of its first operand, as ``torch.<name>`` is."""
    def torch_form(input, other, **kwargs):
        extra = sorted(set(kwargs) - {keyword})
        if extra:
            raise TypeError(f"{name}: with {keyword}= (PyTorch's form) it takes no other "
                            f"keyword argument, got {', '.join(extra)}=; compute the "
                            f"result, then store it (out[...] = result)")
        return getattr(tensor_of(input, other), method)(other, **kwargs)
    torch_form.__name__ = torch_form.__qualname__ = name
    return frozenset({keyword}), torch_form


def _share(xp, g, power, difference):
    """``g / (1 + power(difference))``: the share of ``g`` of one input of logaddexp (or
    logaddexp2); a power that overflows gives the right 0, without NumPy's warning."""
    with np.errstate(over="ignore"):
        return g / (1 + power(difference))


def _both_inf(a, b):
    return np.isinf(a) & np.isinf(b)


add = _binary(
    "add", np.add,
    ("g", lambda xp, g, ans, a, b: g),
    ("g", lambda xp, g, ans, a, b: g), reads=(), sum_signs=(1, 1),
    singular=[(_both_inf, "inf - inf is NaN")],     # (anomaly.py says where the inf came from)
    torch_keywords=_torch_form("add", "add", "alpha"),
    doc="a + b with broadcasting (``alpha=``: a + alpha * b, as ``torch.add``).\n\n"
        ">>> ad.add(ad.tensor([1.0, 2.0]), 1.0)\ntensor([2., 3.])")

subtract = _binary(
    "subtract", np.subtract,
    ("g", lambda xp, g, ans, a, b: g),
    ("-g", lambda xp, g, ans, a, b: -g), reads=(), sum_signs=(1, -1),
    singular=[(_both_inf, "inf - inf is NaN")],     # (anomaly.py says where the inf came from)
    torch_keywords=_torch_form("subtract", "sub", "alpha"),
    doc="a - b with broadcasting (``alpha=``: a - alpha * b, as ``torch.subtract``).\n\n"
        ">>> ad.subtract(ad.tensor([1.0, 2.0]), 1.0)\ntensor([0., 1.])")

multiply = _binary(
    "multiply", np.multiply,
    ("g * b", lambda xp, g, ans, a, b: g * b),
    ("g * a", lambda xp, g, ans, a, b: g * a),
    singular=[(lambda a, b: ((a == 0) & np.isinf(b)) | (np.isinf(a) & (b == 0)),
               "0 * inf is NaN")],
    zeroes_all="by a factor that is zero everywhere", multilinear=True, error_measure=True,
    doc="a * b with broadcasting.\n\n>>> ad.multiply(ad.tensor([1.0, 2.0]), 3.0)\ntensor([3., 6.])")

divide = _binary(
    "divide", np.true_divide,
    ("g / b", lambda xp, g, ans, a, b: g / b),
    # (a / b) / b, not a / b**2: b**2 overflows or underflows long before the result
    ("-g * (a / b) / b", lambda xp, g, ans, a, b: -g * (a / b) / b),
    singular=[(lambda a, b: (a == 0) & (b == 0),
               "0 / 0 is NaN; add an eps to the denominator or mask it with where first"),
              (_both_inf, "inf / inf is NaN")],
    torch_keywords=_torch_form("divide", "div", "rounding_mode"),
    doc="a / b with broadcasting; ``rounding_mode='trunc'`` or ``'floor'`` rounds the\n"
        "quotient, as ``torch.divide``.\n\n"
        ">>> ad.divide(ad.tensor([1.0, 2.0]), 2.0)\ntensor([0.5, 1. ])\n"
        ">>> ad.divide(ad.tensor([-7.0, 7.0]), 2.0, rounding_mode='floor')\n"
        "tensor([-4.,  3.])")


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
    singular=[(lambda a, b: a < 0, "a negative base raised to a non-integer power is NaN; "
                                   "use abs(x) ** p or make sure the base is positive")],
    overflows=notes.POWER_OVERFLOW, error_measure=True,
    doc="a ** b elementwise.\n\n>>> ad.power(ad.tensor([2.0, 3.0]), 2)\ntensor([4., 9.])")


def _winner_rule(beats, first):
    """The rule of maximum (beats = >) or minimum (beats = <) for input a or b."""
    def rule(xp, g, ans, a, b):
        mine, other = (a, b) if first else (b, a)
        wins = beats(mine, other)
        ties = a == b
        if getattr(ans.dtype, "kind", "f") in "fc":     # a NaN wins (NumPy returns it)
            mine_nan, other_nan = xp.isnan(mine), xp.isnan(other)
            wins = xp.logical_or(wins, xp.logical_and(mine_nan, xp.logical_not(other_nan)))
            ties = xp.logical_or(ties, xp.logical_and(mine_nan, other_nan))
        return xp.where(wins, g, xp.where(ties, g / 2, 0))
    return rule


maximum = _binary(
    "maximum", np.maximum,
    ("g where a > b or a is NaN, g/2 where a == b", _winner_rule(operator.gt, True)),
    ("g where b > a or b is NaN, g/2 where a == b", _winner_rule(operator.gt, False)),
    zeroes="gives zero gradient where the other operand wins",
    doc="Elementwise larger of a and b; ties split the gradient evenly, and where one is "
        "NaN (the result) it gets the gradient (PyTorch passes it to both).\n\n"
        ">>> ad.maximum(ad.tensor([1.0, 5.0]), 3.0)\ntensor([3., 5.])")

minimum = _binary(
    "minimum", np.minimum,
    ("g where a < b or a is NaN, g/2 where a == b", _winner_rule(operator.lt, True)),
    ("g where b < a or b is NaN, g/2 where a == b", _winner_rule(operator.lt, False)),
    zeroes="gives zero gradient where the other operand wins",
    doc="Elementwise smaller of a and b; ties split the gradient evenly, and where one is "
        "NaN (the result) it gets the gradient (PyTorch passes it to both).\n\n"
        ">>> ad.minimum(ad.tensor([1.0, 5.0]), 3.0)\ntensor([1., 3.])")

logaddexp = _binary(
    "logaddexp", np.logaddexp,
    # sigmoid(a - b): exp(a - ans) carries ans's rounding, large when ans is
    ("g / (1 + exp(b - a))", lambda xp, g, ans, a, b: _share(xp, g, xp.exp, b - a)),
    ("g / (1 + exp(a - b))", lambda xp, g, ans, a, b: _share(xp, g, xp.exp, a - b)),
    doc="log(exp(a) + exp(b)) without overflow.\n\n>>> ad.logaddexp(0.0, ad.tensor([0.0]))\n"
        "tensor([0.69314718])")


def _where_numpy(condition, *branches):
    if not branches:
        # np.where(cond) is np.nonzero(cond): index arrays, which need no gradient
        values = condition.data if isinstance(condition, Tensor) else condition
        if np.ndim(values) == 0:
            np.nonzero(values)              # (NumPy's own error for a 0-d condition)
        return _true_indices(values, "np.where")
    if len(branches) != 2:
        raise TypeError(f"numpy.where: got a condition and {len(branches)} more argument(s); "
                        "call np.where(cond, a, b) to pick, or np.where(cond) for the indices "
                        "of the true entries")
    return where(condition, *branches)


def _true_indices(condition, label):
    """The indices of ``condition``'s true entries, one int64 array per axis (a 0-d
    condition counts as 1-d, as in PyTorch); inside ``ad.compile`` refused by
    ``label``, since their size depends on the values."""
    from ..compile import hooks
    values = np.asarray(condition.data if isinstance(condition, Tensor) else condition)
    indices = tuple(i.astype(np.int64, copy=False) for i in np.nonzero(np.atleast_1d(values)))
    tracer = hooks.active
    if tracer is not None and tracer.owns_thread():
        tracer.on_numpy_result(np.nonzero, (condition,), {}, indices, name=label)
    return indices


def _where_forward(condition, *branches):
    if len(branches) != 2:
        error = TypeError(f"where takes a condition and two values to pick from, or the "
                          f"condition alone (the indices of its true entries, as "
                          f"nonzero(cond, as_tuple=True)); got {1 + len(branches)} "
                          f"arguments. Call where(cond, a, b) to pick")
        error._autodiff_explained = True        # (the op's hint about shapes is beside it)
        raise error
    return np.where(condition, *branches)


where = defop(
    "where", _where_forward, hint=_BROADCAST_HINT, numpy={np.where: _where_numpy},
    doc="Pick ``a`` where ``cond`` is true, else ``b`` (no gradient through ``cond``).\n\n"
        "Beware: the unselected branch is still computed, and an inf or NaN in its\n"
        "derivative turns into NaN; feed unselected positions a safe value.\n\n"
        "With only ``cond``, PyTorch's ``where(cond)``: the indices of its true entries,\n"
        "one int64 tensor per axis (``nonzero(cond, as_tuple=True)``).\n\n"
        ">>> x = ad.tensor([-1.0, 2.0])\n>>> ad.where(x > 0, x, 0.0)\ntensor([0., 2.])",
    selects=True, index_inputs={0: "condition"}, reads=(),
    zeroes="gives zero gradient to the positions it did not select",
    zeroes_all={"a": "never selects its first branch (the condition is False everywhere), "
                     "so that branch gets zero gradient",
                "b": "never selects its second branch (the condition is True everywhere), "
                     "so that branch gets zero gradient"},
    cond=None,
    a=("where(cond, g, 0)", lambda xp, g, ans, cond, a, b: xp.where(cond, g, 0)),
    b=("where(cond, 0, g)", lambda xp, g, ans, cond, a, b: xp.where(cond, 0, g)), elementwise=True)


class _WhereOp(type(where)):
    """``where`` with PyTorch's one-argument form: ``where(cond)`` is
    ``nonzero(cond, as_tuple=True)``, a tuple of int64 index tensors (no gradient)."""

    def _call1(self, condition):
        return tuple(Tensor(i) for i in _true_indices(condition, "ad.where"))


where.__class__ = _WhereOp      # (the registered op itself, so every other path is unchanged)


overwrite = defop(
    "overwrite", lambda value, old: np.where(True, value, old),
    doc="``value`` over all of ``old`` (broadcast to its shape): what a recorded "
        "``fill_``, ``zero_`` or ``copy_`` records; ``old`` gets no gradient.\n\n"
        ">>> ad.ops.elementwise.overwrite(2.0, ad.tensor([1.0, 5.0]))\ntensor([2., 2.])",
    hint=_BROADCAST_HINT, reads=(),
    zeroes="gives zero gradient to the old values: an in-place method (fill_, zero_, "
           "copy_, masked_fill_ or another) overwrote them",
    zeroes_all={"old": "overwrote every value in place (fill_, zero_, copy_ or an in-place "
                       "method such as masked_fill_), so the old values get no gradient "
                       "through it; they (and what they came from) get gradient only if "
                       "the new values were computed from them"},
    value=("g", lambda xp, g, ans, value, old: g),
    old=("0", lambda xp, g, ans, value, old: xp.zeros_like(g)))

_ANGLE_OF_REALS = ("is the angle of real numbers (0 or pi, whatever the value), so its "
                   "input gets zero gradient")


def overwrite_by(value, old, by: str):
    """``overwrite(value, old)``, with what ``explain`` says of it naming ``by``, the
    in-place method that recorded it (or ``"angle"``, the angle of real numbers)."""
    result = overwrite(value, old)
    if by == "angle":
        zeroes, every_value = _ANGLE_OF_REALS, _ANGLE_OF_REALS
    else:
        zeroes = f"gives zero gradient to the old values: {by} overwrote them in place"
        every_value = (f"overwrote every value in place ({by}), so the old values get no "
                       "gradient through it; they (and what they came from) get gradient "
                       "only if the new values were computed from them")
    note(getattr(result, "_node", None), zeroes, {"old": every_value})
    return result


def _unary(name, forward, formula, rule, doc, numpy=None, **fields):
    return defop(name, forward, doc=doc, numpy=forward if numpy is None else numpy,
                 x=(formula, rule), **fields)


def _below(limit):
    return lambda x: x < limit


negative = _unary("negative", np.negative, "-g", lambda xp, g, ans, x: -g,
                  "-x.\n\n>>> ad.negative(ad.tensor([1.0]))\ntensor([-1.])", reads=())
exp = _unary("exp", kernels.exp, "g * ans", lambda xp, g, ans, x: g * ans,
             "e ** x elementwise.\n\n>>> ad.exp(ad.tensor([0.0]))\ntensor([1.])", numpy=np.exp,
             overflows=notes.EXP_OVERFLOW)
log = _unary("log", np.log, "g / x", lambda xp, g, ans, x: g / x,
             "Natural logarithm.\n\n>>> ad.log(ad.tensor([1.0]))\ntensor([0.])", logarithm=True,
             singular=[(_below(0), "log of a number below 0 is NaN; keep the input in the "
                                   "domain (e.g. clip it, or take log of abs(x) + eps)")])
log1p = _unary("log1p", np.log1p, "g / (1 + x)", lambda xp, g, ans, x: g / (1 + x),
               "log(1 + x), accurate for small x.\n\n>>> ad.log1p(ad.tensor([0.0]))\ntensor([0.])",
               singular=[(_below(-1), "log1p of a number below -1 is NaN; keep the input in "
                                      "the domain (e.g. clip it, or take log1p of abs(x) + "
                                      "eps)")])
# g * exp(x), not g * (ans + 1): for x < 0, ans + 1 cancels (x = -20: 1e8 ulp off)
expm1 = _unary("expm1", np.expm1, "g * exp(x)", lambda xp, g, ans, x: g * xp.exp(x),
               "exp(x) - 1, accurate for small x.\n\n>>> ad.expm1(ad.tensor([0.0]))\ntensor([0.])",
               overflows=notes.EXP_OVERFLOW)
sqrt = _unary("sqrt", np.sqrt, "g / (2 * ans)", lambda xp, g, ans, x: g / (2 * ans),
              "Square root (its gradient is inf at 0).\n\n"
              ">>> ad.sqrt(ad.tensor([4.0]))\ntensor([2.])", guarded_point="0", error_measure=True,
              singular=[(_below(0), "sqrt of a number below 0 is NaN; keep the input in the "
                                    "domain (e.g. clip it, or take sqrt of abs(x) + eps)")])
abs = _unary("abs", np.abs, "g * sign(x)", lambda xp, g, ans, x: g * xp.sign(x),
             "|x|; the gradient at 0 is 0.\n\n>>> ad.abs(ad.tensor([-2.0]))\ntensor([2.])",
             zeroes="has zero gradient at 0", guarded_point="0", error_measure=True)
sin = _unary("sin", np.sin, "g * cos(x)", lambda xp, g, ans, x: g * xp.cos(x),
             "Sine.\n\n>>> ad.sin(ad.tensor([0.0]))\ntensor([0.])")
cos = _unary("cos", np.cos, "-g * sin(x)", lambda xp, g, ans, x: -g * xp.sin(x),
             "Cosine.\n\n>>> ad.cos(ad.tensor([0.0]))\ntensor([1.])")
tanh = _unary("tanh", kernels.tanh, "g * (1 - ans**2)",
              lambda xp, g, ans, x: xp.tanh_backward(g, x),
              "Hyperbolic tangent.\n\n>>> ad.tanh(ad.tensor([0.0]))\ntensor([0.])", numpy=np.tanh,
              saturation=TANH)
square = _unary("square", np.square, "g * 2 * x", lambda xp, g, ans, x: g * (2 * x),
                "x ** 2.\n\n>>> ad.square(ad.tensor([3.0]))\ntensor([9.])",
                overflows=notes.OVERFLOW, error_measure=True)
reciprocal = _unary("reciprocal", np.reciprocal, "-g * ans**2",
                    lambda xp, g, ans, x: -g * (ans * ans),
                    "1 / x.\n\n>>> ad.reciprocal(ad.tensor([4.0]))\ntensor([0.25])")


@implements(np.positive)
def positive(x: Tensor) -> Tensor:
    """+x: a copy, as ``np.positive`` and ``+a`` make a new array (PyTorch's ``+t`` is
    ``t`` itself: writing into the result here never changes ``x``); refused for
    bool, as NumPy does."""
    x = tensor_of(x)
    if x.dtype == bool:
        raise TypeError("numpy.positive: not defined for a bool Tensor (NumPy refuses it "
                        "too); use x.astype(int) first")
    return x.copy(order="K")           # (a ufunc keeps the layout)


# The activations run through ``autodiff.kernels`` (compiled one-pass loops for large
# float arrays); their backward helpers xp.<name>_backward are the same formulas, one
# pass on arrays in a plain backward, recorded ops with create_graph=True.
# sigmoid's and tanh's read the input, not the output: where the output rounds to
# +-1, ans * (1 - ans) and 1 - ans**2 lose every digit (0 instead of 4e-18 at
# sigmoid(40)).  Recorded, they multiply by the derivative ops below, whose own
# rules (s'' = -s' tanh(x/2), tanh'' = -2 tanh' tanh) keep every order accurate: the
# product rule through s(x) s(-x) would cancel near 0 (450 ulp at x = -0.001).
sigmoid_derivative = _unary(
    "sigmoid_derivative", _twins.sigmoid_derivative, "-g * ans * tanh(x / 2)",
    lambda xp, g, ans, x: -g * (ans * xp.tanh(x * 0.5)),
    "sigmoid'(x) = sigmoid(x) (1 - sigmoid(x)), accurate where sigmoid saturates.\n\n"
    ">>> ad.sigmoid_derivative(ad.tensor([0.0]))\ntensor([0.25])", numpy=(), elementwise=True)
tanh_derivative = _unary(
    "tanh_derivative", _twins.tanh_derivative, "-2 * g * ans * tanh(x)",
    lambda xp, g, ans, x: -2 * g * (ans * xp.tanh(x)),
    "tanh'(x) = 1 - tanh(x)**2, accurate where tanh saturates.\n\n"
    ">>> ad.tanh_derivative(ad.tensor([0.0]))\ntensor([1.])", numpy=(), elementwise=True)
xp_function("sigmoid_backward", kernels.sigmoid_backward,
            lambda g, x: g * sigmoid_derivative(x))
xp_function("tanh_backward", kernels.tanh_backward, lambda g, x: g * tanh_derivative(x))
xp_function("relu_backward", kernels.relu_backward, lambda g, x: where(x > 0, g, 0))
xp_function("leaky_relu_backward", kernels.leaky_relu_backward,
            lambda g, x, slope=0.01: where(x > 0, g, g * slope))

sigmoid = defop("sigmoid", kernels.sigmoid,
                doc="1 / (1 + exp(-x)), stable for large |x|.\n\n"
                    ">>> ad.sigmoid(ad.tensor([0.0]))\ntensor([0.5])",
                x=("g * ans * (1 - ans)", lambda xp, g, ans, x: xp.sigmoid_backward(g, x)),
                elementwise=True, saturation=SIGMOID,
                probability="nn.functional.logsigmoid(x) for log(sigmoid(x)) and "
                            "logsigmoid(-x) for log(1 - sigmoid(x)), or "
                            "nn.functional.binary_cross_entropy_with_logits")

relu = defop("relu", kernels.relu,
             doc="max(x, 0); the gradient at 0 is 0.\n\n>>> ad.relu(ad.tensor([-1.0, 2.0]))\n"
                 "tensor([0., 2.])",
             zeroes="passes zero gradient where its input is <= 0 (a dead relu if all are)",
             zeroes_all="whose inputs are all <= 0 (a dead relu: zero gradient everywhere)",
             # relu(x) > 0 exactly where x > 0: the rule reads the output, as PyTorch's
             # does, so a compiled step need not keep the input.
             x=("g * (ans > 0)", lambda xp, g, ans, x: xp.relu_backward(g, ans)), elementwise=True)

def _leaky_relu_grad_slope(xp, g, ans, x, slope=0.01):
    return xp.where(x > 0, 0, g * x)


leaky_relu = defop(
    "leaky_relu", kernels.leaky_relu,
    doc="x where x > 0, else slope * x; a Tensor slope gets the gradient g * x where "
        "x <= 0.\n\n>>> ad.leaky_relu(ad.tensor([-1.0, 2.0]), 0.1)\n"
        "tensor([-0.1,  2. ])",
    x=("g where x > 0, g * slope elsewhere",
       lambda xp, g, ans, x, slope=0.01: xp.leaky_relu_backward(g, x, slope)),
    slope=("g * x where x <= 0, else 0", _leaky_relu_grad_slope), elementwise=True)


def _clip_forward(x, lo=None, hi=None):
    return np.clip(x, lo, hi)


# PyTorch's clamp conventions: x keeps the gradient on a tie with a bound, lo gets it
# where x < lo (and lo < hi), hi where x > hi or lo > hi (np.clip then gives hi
# everywhere).  Where lo == hi and x < lo, PyTorch gives it to no one; here hi gets
# it, so that moving both bounds together moves the output.
def _clip_grad_x(xp, g, ans, x, lo=None, hi=None):
    inside = None
    if lo is not None:
        inside = x >= lo
    if hi is not None:
        inside = (x <= hi) if inside is None else inside & (x <= hi)
    return g if inside is None else xp.where(inside, g, 0)


def _clip_grad_lo(xp, g, ans, x, lo=None, hi=None):
    below = x < lo
    if hi is not None:
        below = below & (lo < hi)
    return xp.where(below, g, 0)


def _clip_grad_hi(xp, g, ans, x, lo=None, hi=None):
    above = x > hi
    if lo is not None:
        above = above | ((hi <= lo) & (x < lo))
    return xp.where(above, g, 0)


def _clip_numpy(a, a_min=None, a_max=None, out=None, *, min=None, max=None, where=True,
                dtype=None, casting="same_kind"):
    lo, hi = a_min if a_min is not None else min, a_max if a_max is not None else max
    if dtype is not None:
        from ..ufunc_dtypes import in_clip_loop
        a, lo, hi = in_clip_loop(a, lo, hi, dtype, casting)
    if out is None:
        if where is not True:
            raise TypeError(
                "numpy.clip on a Tensor: where= without out= leaves the unselected entries "
                "unset (NumPy fills them with whatever memory held); give out= a Tensor "
                "holding the values to keep there (out=t.copy())")
        return clip(a, lo, hi)
    from .. import out_arguments
    from ..interop import _out_refused, check_numpy_kwargs
    if out_arguments.tensor_outs({"out": out}) is None:
        kwargs = {"out": out, "where": where, "casting": casting}
        if out_arguments.off_the_tape((a, lo, hi), kwargs):
            return out_arguments.on_arrays(np.clip, (a, lo, hi), kwargs)
        raise _out_refused(np._core.umath.clip, (a, lo, hi))
    # np.clip runs the ufunc np._core.umath.clip: out= and where= as for any ufunc
    return out_arguments.ufunc_into(clip, np._core.umath.clip, (a, lo, hi),
                                    {"out": out, "where": where, "casting": casting},
                                    check_numpy_kwargs)


_clip_numpy.numpy_kwargs = ("out", "where", "dtype", "casting")


clip = defop(
    "clip", _clip_forward, numpy={np.clip: _clip_numpy, np._core.umath.clip: None},
    doc="Limit x to [lo, hi]; the gradient is g inside (bounds included), 0 outside.\n\n"
        "Tensor bounds get the gradient where they win: lo where x < lo, hi where "
        "x > hi (and everywhere x is below both when lo >= hi, as np.clip then gives "
        "hi).\n\n"
        ">>> ad.clip(ad.tensor([-2.0, 0.5, 2.0]), -1, 1)\ntensor([-1. ,  0.5,  1. ])",
    zeroes="gives zero gradient where a bound wins",
    x=("g where lo <= x <= hi, else 0", _clip_grad_x),
    lo=("g where x < lo < hi, else 0", _clip_grad_lo),
    hi=("g where x > hi, or x < lo when hi <= lo, else 0", _clip_grad_hi), elementwise=True,
    aliases={"min": "lo", "max": "hi", "a_min": "lo", "a_max": "hi"})   # (PyTorch's, NumPy's)


def _zero_rule(xp, g, ans, x, *args, **kwargs):
    return xp.zeros_like(g)


def _round_numpy(a, decimals=0, out=None):
    if out is not None:
        raise TypeError("numpy.round on a Tensor: the argument(s) ['out'] are not supported "
                        "by autodiff; call it without them")
    return round(a, decimals)


def _rint_numpy(a, out=None):
    if out is not None:
        raise TypeError("numpy.rint on a Tensor: the argument(s) ['out'] are not supported "
                        "by autodiff; call it without them")
    if np.dtype(a.dtype).kind in "biu":     # NumPy: the smallest float that holds them
        return round(astype(a, np.rint(np.zeros(0, a.dtype)).dtype))
    return round(a)


round = defop("round", np.round, numpy={np.rint: _rint_numpy, np.round: _round_numpy,
                                        np.around: _round_numpy},
              doc="Round to the nearest integer (half to even); zero gradient.\n\n"
                  ">>> ad.round(ad.tensor([0.4, 1.6]))\ntensor([0., 2.])",
              zero_grad_ae=True, x=("0", _zero_rule), decimals=None, reads=(), elementwise=True)
floor = _unary("floor", np.floor, "0", _zero_rule,
               "Largest integer <= x; zero gradient.\n\n"
               ">>> ad.floor(ad.tensor([1.7]))\ntensor([1.])", zero_grad_ae=True,
               reads=())
sign = _unary("sign", np.sign, "0", _zero_rule,
              "-1, 0 or 1; zero gradient.\n\n"
              ">>> ad.sign(ad.tensor([-3.0, 0.0]))\ntensor([-1.,  0.])", zero_grad_ae=True,
              reads=())


def _copy_numpy(a, order="K", subok=False):
    return copy(a, order=order)         # (a Tensor either way: subok changes nothing)


_copy_numpy.numpy_kwargs = ("order", "subok")     # (interop would drop order='C')

copy = defop(
    "copy", lambda x, order="K": np.array(x, copy=True, order=order),
    numpy={np.copy: _copy_numpy},
    doc="The values of ``x`` in a new array (``np.copy``, ``ndarray.copy``); the gradient\n"
        "passes unchanged.  ``order`` is the new array's layout, as NumPy's: 'K' (the\n"
        "default, np.copy's) follows ``x``'s, 'C' (``ndarray.copy``'s) is row-major.\n\n"
        ">>> ad.copy(ad.tensor([1.0, 2.0]))\ntensor([1., 2.])",
    x=("g", lambda xp, g, ans, x, order="K": g), order=None, reads=(), elementwise=True)


def _astype_forward(x, dtype):
    # A new array even for the same dtype, as ndarray.astype: the output must not be
    # the input's own array (a parameter's would then change under the saved graph).
    return x.astype(dtype)


_astype_op = defop(
    "astype", _astype_forward,
    doc="Convert to another dtype; the gradient converts back.\n\n"
        ">>> ad.astype(ad.tensor([1.0]), 'float32').dtype\ndtype('float32')",
    x=("astype(g, x.dtype)", lambda xp, g, ans, x, dtype: xp.astype(g, x.dtype)),
    dtype=None, reads=(), elementwise=True)


def astype(x, dtype) -> Tensor:
    """Convert to another dtype; between float dtypes the gradient converts back.

    A cast to an integer or bool dtype is not differentiable: its result does not
    require grad (as a hard threshold, it would pass no gradient).  A cast to a
    complex dtype is recorded: a real input's gradient is the real part of g.

    >>> ad.astype(ad.tensor([1.0]), 'float32').dtype
    dtype('float32')
    """
    kind = (dtype := numpy_dtype("astype", dtype)).kind     # (a torch.dtype: NumPy's)
    if kind == "c" and isinstance(x, Tensor) and x.requires_grad and is_grad_enabled():
        return _astype_op(x, dtype)     # on the tape (complex_ops.py: its rule)
    if kind != "f":
        data = x.data if isinstance(x, Tensor) else np.asarray(x)
        from ..compile.hooks import made    # (compile imports ops) cast again at a replay
        return Tensor._make(made("astype", _cast, (data, dtype)), None, False)
    return _astype_op(x, dtype)


def _cast(data, dtype):
    return data.astype(dtype)


astype.op = _astype_op


@implements(np.astype)
def numpy_astype(x, dtype, /, *, copy=True, device=None) -> Tensor:
    """``np.astype``: the same as ``x.astype(dtype)`` (``ad.astype``); with
    ``copy=False`` and the dtype ``x`` already has, ``x`` itself, as NumPy returns.

    >>> x = ad.tensor([1.5], requires_grad=True)
    >>> y = np.astype(x, np.float32); y.dtype, np.astype(x, x.dtype, copy=False) is x
    (dtype('float32'), True)
    """
    if device is not None and str(device) != "cpu":
        raise ValueError(f"astype: device {str(device)!r} is not available; arrays live in "
                         "NumPy, on the CPU (device='cpu' or None)")
    if not copy and isinstance(x, Tensor) and np.dtype(dtype) == x.dtype:
        return x
    return astype(x, dtype)


def _astype_array(x, dtype):
    return np.asarray(x).astype(dtype, copy=False)


def _zeros_like_tensor(x):
    return Tensor(np.zeros_like(x.data if isinstance(x, Tensor) else x))


def _ones_like_tensor(x):
    return Tensor(np.ones_like(x.data if isinstance(x, Tensor) else x))


xp_function("astype", _astype_array, astype)
xp_function("zeros_like", np.zeros_like, _zeros_like_tensor)
xp_function("ones_like", np.ones_like, _ones_like_tensor)
implements_without_gradient(np.zeros_like, np.ones_like)


def _identity_forward(x):
    return x


stop_gradient = defop(
    "stop_gradient", _identity_forward,
    doc="Identity in the forward pass; no gradient flows back through it.\n\n"
        ">>> x = ad.tensor([2.0], requires_grad=True)\n"
        ">>> y = x * ad.stop_gradient(x)      # d y / d x = stop_gradient(x) = 2\n",
    blocks="stop_gradient blocks the gradient by design",
    x=None)
