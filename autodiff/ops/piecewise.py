"""Piecewise functions: remainders, NaN-ignoring extremes, rounding, cleaning, select,
steps and signs.

Their derivatives are constant on each piece: ``mod`` and ``fmod`` pass ``g`` to the
dividend and ``-g * floor(a / b)`` (``trunc`` for fmod) to the divisor; at the jumps,
where ``a / b`` is an integer, they are not differentiable and the rule gives the
one-sided value of the piece the forward chose.  ``floor_divide`` (``//``),
``trunc_divide``, ``ceil`` and ``trunc`` have zero gradient, like ``floor``; so does
``heaviside`` in its first argument, and ``copysign`` in its second (only its sign
counts).
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..tensor import Tensor
from .elementwise import astype, where
from .registry import defop, implements, implements_without_gradient

_BROADCAST_HINT = ("Shapes broadcast when, aligned from the right, each pair of sizes is "
                   "equal or one of them is 1; reshape or expand_dims one operand to fix it")


def _values(x):
    """The array behind x: piece indices and masks are constants of the rule."""
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _zero_rule(xp, g, ans, x, *args, **kwargs):
    return xp.zeros_like(g)


def _floor_quotient(a, b):
    """The integer n of the piece ``a % b == a - n * b`` that NumPy's remainder is on.

    NumPy's floor_divide, not floor(a / b): a / b can round up onto the next integer
    (1.0 / 0.1 == 10.0, while 1.0 % 0.1 == 0.0999... == 1.0 - 9 * 0.1)."""
    return np.floor_divide(a, b)


def _mod_grad_b(xp, g, ans, a, b):
    return -g * _floor_quotient(_values(a), _values(b))


def _fmod_grad_b(xp, g, ans, a, b):
    a, b = _values(a), _values(b)
    # fmod rounds the quotient towards 0: one more than the floor where the two differ
    quotient = _floor_quotient(a, b) + (np.fmod(a, b) != np.remainder(a, b))
    return -g * quotient


mod = defop(
    "mod", np.remainder, hint=_BROADCAST_HINT, numpy=np.remainder,
    singular=[(lambda a, b: b == 0, "a remainder by 0 is NaN; keep the divisor away from 0")],
    doc="Remainder with the sign of the divisor, ``a % b`` (``np.remainder`` is the same).\n\n"
        ">>> ad.mod(ad.tensor([5.5, -5.5]), 2.0)\ntensor([1.5, 0.5])",
    a=("g", lambda xp, g, ans, a, b: g),
    b=("-g * floor(a / b)", _mod_grad_b), reads={"a": (), "b": ("a", "b")})

fmod = defop(
    "fmod", np.fmod, hint=_BROADCAST_HINT, numpy=np.fmod,
    singular=[(lambda a, b: b == 0, "fmod by 0 is NaN; keep the divisor away from 0")],
    doc="Remainder with the sign of the dividend (C's fmod).\n\n"
        ">>> ad.fmod(ad.tensor([5.5, -5.5]), 2.0)\ntensor([ 1.5, -1.5])",
    a=("g", lambda xp, g, ans, a, b: g),
    b=("-g * trunc(a / b)", _fmod_grad_b), reads={"a": (), "b": ("a", "b")})


def _chosen_rule(first):
    """fmax/fmin: g to the operand the output equals (NaN loses), g/2 each on a tie."""
    def rule(xp, g, ans, a, b):
        chosen = _values(ans) == _values(a if first else b)
        tie = _values(a) == _values(b)
        return xp.where(tie, g / 2, xp.where(chosen, g, 0))
    return rule


fmax = defop(
    "fmax", np.fmax, hint=_BROADCAST_HINT, numpy=np.fmax,
    zeroes="gives zero gradient where the other operand wins",
    doc="Elementwise maximum that ignores NaN; ties split the gradient evenly.\n\n"
        ">>> ad.fmax(ad.tensor([1.0, np.nan]), 0.5)\ntensor([1. , 0.5])",
    a=("g where ans == a (g/2 on a tie)", _chosen_rule(True)),
    b=("g where ans == b (g/2 on a tie)", _chosen_rule(False)))

fmin = defop(
    "fmin", np.fmin, hint=_BROADCAST_HINT, numpy=np.fmin,
    zeroes="gives zero gradient where the other operand wins",
    doc="Elementwise minimum that ignores NaN; ties split the gradient evenly.\n\n"
        ">>> ad.fmin(ad.tensor([1.0, np.nan]), 0.5)\ntensor([0.5, 0.5])",
    a=("g where ans == a (g/2 on a tie)", _chosen_rule(True)),
    b=("g where ans == b (g/2 on a tie)", _chosen_rule(False)))

fabs = defop(
    "fabs", np.fabs, numpy=np.fabs, zeroes="has zero gradient at 0",
    doc="|x| for real x; the gradient at 0 is 0.\n\n>>> ad.fabs(ad.tensor([-2.0]))\ntensor([2.])",
    x=("g * sign(x)", lambda xp, g, ans, x: g * np.sign(_values(x))))
floor_divide = defop(
    "floor_divide", np.floor_divide, hint=_BROADCAST_HINT, numpy=np.floor_divide,
    zero_grad_ae=True, reads=(),
    doc="floor(a / b), ``a // b``; zero gradient (it is constant between its jumps).\n\n"
        ">>> ad.floor_divide(ad.tensor([5.5, -5.5]), 2.0)\ntensor([ 2., -3.])",
    a=("0", lambda xp, g, ans, a, b: xp.zeros_like(g)),
    b=("0", lambda xp, g, ans, a, b: xp.zeros_like(g)))




def _trunc_divide_forward(a, b):
    return np.trunc(np.true_divide(a, b))


trunc_divide = defop(
    "trunc_divide", _trunc_divide_forward, hint=_BROADCAST_HINT, zero_grad_ae=True,
    reads=(),
    doc="trunc(a / b), PyTorch's ``div(a, b, rounding_mode='trunc')`` of floats; zero "
        "gradient, +0 as PyTorch's (trunc of a recorded a / b would pass -0 back where "
        "b < 0).\n\n>>> ad.ops.piecewise.trunc_divide(ad.tensor([-7.0, 7.0]), 2.0)\n"
        "tensor([-3.,  3.])",
    a=("0", lambda xp, g, ans, a, b: xp.zeros_like(g)),
    b=("0", lambda xp, g, ans, a, b: xp.zeros_like(g)))


@implements(np.divmod)
def divmod_pair(a, b) -> tuple:
    """``(a // b, a % b)``, as ``np.divmod`` (and Python's ``divmod(t, x)``): the
    quotient has zero gradient, the remainder ``mod``'s.

    >>> np.divmod(ad.tensor([5.5, -5.5]), 2.0)
    (tensor([ 2., -3.]), tensor([1.5, 0.5]))
    """
    return floor_divide(a, b), mod(a, b)


ceil = defop(
    "ceil", np.ceil, numpy=np.ceil, zero_grad_ae=True, reads=(),
    doc="Smallest integer >= x; zero gradient.\n\n>>> ad.ceil(ad.tensor([1.2]))\ntensor([2.])",
    x=("0", _zero_rule))
trunc = defop(
    "trunc", np.trunc, numpy=np.trunc, zero_grad_ae=True, reads=(),
    doc="x rounded towards zero; zero gradient.\n\n"
        ">>> ad.trunc(ad.tensor([-1.7, 1.7]))\ntensor([-1.,  1.])",
    x=("0", _zero_rule))


@implements(np.fix)
def fix(x, out=None) -> Tensor:
    """x rounded towards zero, as ``np.fix`` (the same values as ``trunc``); zero gradient.

    >>> ad.fix(ad.tensor([-1.7, 1.7]))
    tensor([-1.,  1.])
    """
    if out is not None:
        raise TypeError("numpy.fix on a Tensor: the argument(s) ['out'] are not supported "
                        "by autodiff; call it without them")
    return trunc(x)


implements_without_gradient(np.isposinf, np.isneginf)


def _nan_to_num_forward(x, nan=0.0, posinf=None, neginf=None):
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


_nan_to_num = defop(
    "nan_to_num", _nan_to_num_forward,
    zeroes="gives zero gradient to the NaN and inf entries it replaced",
    doc="NaN and ±inf replaced by finite numbers; the gradient is g where x is finite, "
        "else 0.\n\n>>> ad.nan_to_num(ad.tensor([np.nan, 1.0]))\ntensor([0., 1.])",
    x=("where(isfinite(x), g, 0)",
       lambda xp, g, ans, x, **replacements: xp.where(np.isfinite(_values(x)), g, 0)),
    nan=None, posinf=None, neginf=None, elementwise=True)


@implements(np.nan_to_num)
def nan_to_num(x, copy: bool = True, nan: float = 0.0, posinf=None, neginf=None) -> Tensor:
    """Replace NaN by ``nan`` and ±inf by ``posinf``/``neginf`` (the largest finite
    values by default), as ``np.nan_to_num``; the replaced entries get no gradient, and
    a replacement given as a Tensor (``nan=np.nanmean(x)``) gets theirs.

    >>> x = ad.tensor([np.nan, np.inf, 2.0], requires_grad=True)
    >>> y = ad.nan_to_num(x, posinf=9.0)
    >>> y.sum().backward(); y, x.grad
    (tensor([0., 9., 2.], requires_grad=True), array([0., 0., 1.]))
    """
    replacements = {"nan": nan, "posinf": posinf, "neginf": neginf}
    learned = {name: value for name, value in replacements.items() if isinstance(value, Tensor)}
    result = _nan_to_num(x, **{**replacements, **dict.fromkeys(learned, 0.0)})
    if learned:
        result = _replaced_by_tensors(x, result, learned)
    if copy or not isinstance(x, Tensor):
        return result
    # copy=False: NumPy replaces in x itself and returns x (recorded as x[...] = result)
    from ..inplace import fill
    return fill(x, result, "nan_to_num")


#: The entries each replacement of nan_to_num fills.
_REPLACED = {"nan": np.isnan, "posinf": np.isposinf, "neginf": np.isneginf}


def _replaced_by_tensors(x, result, learned):
    """``result`` (nan_to_num of ``x`` with 0 for the replacements given as Tensors) with
    those Tensors, cast to its dtype as NumPy writes them, where they replace."""
    data = _values(x)
    if data.dtype.kind == "c":
        raise TypeError("nan_to_num: replacements given as Tensors are supported for real "
                        f"arrays, not {data.dtype} (NumPy replaces in the real and the "
                        "imaginary parts apart): replace in x.real and x.imag, or pass "
                        "numbers (t.item())")
    if data.dtype.kind != "f":
        return result                   # (integers hold no NaN or inf)
    for name, value in learned.items():
        if not _broadcasts_to(value.shape, data.shape):
            raise ValueError(f"nan_to_num: {name}= of shape {value.shape} does not "
                             f"broadcast to x's shape {data.shape}")
        # (computed again at each replay of ad.compile, as the op's own rule reads x)
        replaced = made(f"nan_to_num {name} entries", _REPLACED[name], (data,))
        result = where(replaced, astype(value, data.dtype), result)
    return result


def _broadcasts_to(shape, target) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _integer(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _torch_select(input, dim, index, dim_keyword, index_keyword):
    """``torch.select(input, dim, index)``, positional or by keyword."""
    from .operands import tensor_of
    dim = dim_keyword if dim is None else dim
    index = index_keyword if index_keyword is not None else index
    if not (_integer(dim) and _integer(index)):
        raise TypeError(f"select: PyTorch's select(input, dim, index) takes two ints, got "
                        f"dim={dim!r}, index={index!r}; NumPy's is select(condlist, "
                        "choicelist, default)")
    return tensor_of(input).select(int(dim), int(index))


@implements(np.select)
def select(condlist, choicelist=None, default=0, *, dim=None, index=None) -> Tensor:
    """``choicelist[i]`` where ``condlist[i]`` is the first true condition, else
    ``default``, as ``np.select``; each choice gets the gradient where it was picked.
    PyTorch's ``select(input, dim, index)`` (two ints after a tensor, or ``dim=`` and
    ``index=``) is ``input.select(dim, index)``: the slice at ``index`` along ``dim``.

    >>> x = ad.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    >>> y = ad.select([x < 0, x < 1], [-x, x * x], default=1.0)
    >>> y.sum().backward(); y, x.grad
    (tensor([2.  , 0.25, 1.  ], requires_grad=True), array([-1.,  1.,  0.]))
    """
    if dim is not None or index is not None or _integer(choicelist):
        return _torch_select(condlist, choicelist, default, dim, index)
    if choicelist is None:
        raise TypeError("select() missing 1 required positional argument: 'choicelist' "
                        "(NumPy's select(condlist, choicelist, default))")
    condlist, choicelist = list(condlist), list(choicelist)
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: {len(condlist)} conditions but {len(choicelist)} "
                         "choices; pass one choice per condition")
    if not condlist:
        raise ValueError("select: condlist is empty; pass at least one condition")
    for i, cond in enumerate(condlist):
        dtype = _values(cond).dtype
        if dtype.kind != "b":
            raise TypeError(f"select: condition {i} has dtype {dtype}, not bool; "
                            "compare first, e.g. x > 0")
    result = default
    for cond, choice in zip(reversed(condlist), reversed(choicelist)):
        result = where(cond, choice, result)
    if not isinstance(result, Tensor):
        result = Tensor(result)
    dtype = _select_dtype(choicelist, default)
    # (where() pairs two Python numbers into a float64 array: NumPy keeps them weak)
    return result if result.dtype == dtype else result.astype(dtype)


def _select_dtype(choicelist, default):
    """The dtype ``np.select`` gives these choices: Python numbers stay weak (a float
    choice with float32 arrays is float32), arrays and NumPy scalars do not."""
    def stand_in(value):
        if isinstance(value, (Tensor, np.ndarray, np.generic)):
            return np.zeros(1, _values(value).dtype)
        return value
    never = [np.zeros(1, bool)] * len(choicelist)
    return np.select(never, [stand_in(c) for c in choicelist], stand_in(default)).dtype



heaviside = defop(
    "heaviside", np.heaviside, hint=_BROADCAST_HINT, numpy=np.heaviside,
    zeroes="gives zero gradient to x1 (a step), and to x2 except where x1 == 0",
    doc="The step function: 0 where x1 < 0, 1 where x1 > 0, x2 where x1 == 0.\n\n"
        ">>> ad.heaviside(ad.tensor([-1.0, 0.0, 2.0]), 0.5)\ntensor([0. , 0.5, 1. ])",
    a=("0", lambda xp, g, ans, a, b: xp.zeros_like(g)),
    b=("g where x1 == 0", lambda xp, g, ans, a, b: xp.where(_values(a) == 0, g, 0)),
    reads={"a": (), "b": ("a",)})


def _copysign_rule(xp, g, ans, a, b):
    # sign(x1): 0 at x1 = ±0, the kink of |x1| (as abs's gradient there); the sign of
    # x2 is its sign bit, which decides the output's even at ±0.
    return g * (np.sign(_values(a)) * np.copysign(1.0, _values(b)))


copysign = defop(
    "copysign", np.copysign, hint=_BROADCAST_HINT, numpy=np.copysign,
    zeroes="gives zero gradient to x2 (only its sign is used)",
    doc="|x1| with the sign of x2; x2 gets no gradient.\n\n"
        ">>> ad.copysign(ad.tensor([2.0, -3.0]), -1.0)\ntensor([-2., -3.])",
    a=("g * sign(x1) * copysign(1, x2)", _copysign_rule),
    b=("0", lambda xp, g, ans, a, b: xp.zeros_like(g)),
    reads={"a": ("a", "b"), "b": ()})
