"""PyTorch's elementwise Tensor methods under its names (``log1p``, ``asin``, ``atan2``,
``remainder``, ...) and the in-place unary methods (``exp_``, ``sigmoid_``, ...), each
made from a table entry naming the library's function.

Each is built from recorded ops, so gradients come from their rules; the in-place
ones go through ``inplace.py`` as ``add_`` does.
"""

from __future__ import annotations

import functools
import importlib

import numpy as np

@functools.cache
def _function(path: str):
    """The function at ``"module:name"``, imported on a method's first call (this module
    is imported while ``Tensor`` is being defined) and kept."""
    module, name = path.rsplit(":", 1)
    return getattr(importlib.import_module(module, __package__), name)


def _values(other):
    """A tensor's array, a list as an array, anything else as it is (a NumPy scalar's
    ``.data`` is a memoryview of its bytes, not its value)."""
    from .tensor import Tensor
    if isinstance(other, (list, tuple)):
        return np.asarray(other)
    return other.data if isinstance(other, Tensor) else other


def float_operand(t, other=None):
    """``t`` as PyTorch's float-valued methods read it: converted to the default float
    dtype (float64) when it (with ``other``) promotes to integers or bools, as
    PyTorch's "integer -> default dtype"; NumPy's ufuncs would give the smallest float
    holding the values instead (float16 for uint8, int8 and bool; float32 for int16).

    >>> ad.tensor(np.array([4], np.uint8)).sqrt()
    tensor([2.])
    """
    kind = t.data.dtype.kind if other is None else \
        np.result_type(t.data, _values(other)).kind
    if kind not in "biu":
        return t
    from .ops.elementwise import astype
    return astype(t, np.float64)


def signed_sum_operand(t):
    """``t`` as PyTorch's sums and products read it (``t.sum()``, ``t.cumsum(0)``,
    ``t.prod()``, ``t.nansum()``...): an unsigned integer tensor narrower than 64 bits
    in int64, PyTorch's accumulating dtype for every integer but uint64, where NumPy's
    ``np.sum`` gives uint64 (so a difference of sums would wrap around).

    >>> ad.tensor(np.array([200, 100], np.uint8)).sum().dtype
    dtype('int64')
    """
    dtype = t.data.dtype
    if dtype.kind != "u" or dtype.itemsize >= 8:
        return t
    from .ops.elementwise import astype
    return astype(t, np.int64)


def square_as_torch(t):
    """PyTorch's ``square``: of a bool tensor in int64 (NumPy's ``np.square`` gives int8).

    >>> ad.tensor([True, False]).square()
    tensor([1, 0])
    """
    from .ops.elementwise import astype, square
    return square(astype(t, np.int64) if t.data.dtype == np.bool_ else t)


def remainder_as_torch(t, other):
    """PyTorch's ``remainder``: ``fmod`` moved by ``other`` where its sign differs from
    ``other``'s, so a zero result keeps the dividend's sign (``-2.0 % 2.0`` is -0.0,
    where NumPy's ``np.remainder`` gives +0.0); the other values are NumPy's too.

    >>> ad.tensor([-2.0, -7.0]).remainder(2.0)
    tensor([-0.,  1.])
    """
    from .ops.piecewise import fmod, mod
    from .ops.elementwise import where
    from .tensor import Tensor
    if np.result_type(t.data, _values(other)).kind not in "fc":
        return mod(t, other)            # (an integer zero has no sign)
    truncated = fmod(t, other)
    # (compared by a tensor op, which ad.compile replays: NumPy on the divisor's
    # values made an array that its trace refused)
    divisor = other if isinstance(other, Tensor) else Tensor(other)
    divisor_negative = divisor < 0
    moved = (truncated != 0) & ((truncated < 0) != divisor_negative)
    return where(moved, truncated + other, truncated)


class _UnaryUpdate:
    """A one-input op in the form ``inplace.update`` takes, ``op(t, other)`` and
    ``forward(array, other)`` (``other`` is unused)."""

    def __init__(self, op):
        self.op, self.name = op, op.name

    def __call__(self, t, _unused):
        return self.op(t)

    def forward(self, array, _unused):
        return self.op.forward(array)


class _FloatUnaryUpdate(_UnaryUpdate):
    """A float-valued one-input op: an integer or bool tensor's update is float64, as
    PyTorch's, which ``inplace.update`` then refuses to store (``uint8_t.sqrt_()``)."""

    def __call__(self, t, _unused):
        return self.op(float_operand(t))

    def forward(self, array, _unused):
        return self.op.forward(array.astype(np.float64) if array.dtype.kind in "biu" else array)



class ElementwiseMethods:
    """The methods made from the tables below (a base of ``TorchMethods``)."""

    __slots__ = ()      # (a base of Tensor: no __dict__ per tensor)


#: PyTorch's method name -> the library's function ("module:name"), an example input
#: and what the method gives for it (shown in the method's docstring).
_ELEMENTWISE = {
    "absolute": (".ops.elementwise:abs", "[-1.0, 2.0]", "tensor([1., 2.])"),
    "neg": (".ops.elementwise:negative", "[1.0, -2.0]", "tensor([-1.,  2.])"),
    "negative": (".ops.elementwise:negative", "[1.0, -2.0]", "tensor([-1.,  2.])"),
    "sgn": (".torch_functions_extra:sgn", "[-3.0, 0.0]", "tensor([-1.,  0.])"),
    "exp2": (".ops.exponentials:exp2", "[3.0]", "tensor([8.])"),
    "expm1": (".ops.elementwise:expm1", "[0.0]", "tensor([0.])"),
    "log1p": (".ops.elementwise:log1p", "[0.0]", "tensor([0.])"),
    "log2": (".ops.exponentials:log2", "[8.0]", "tensor([3.])"),
    "log10": (".ops.exponentials:log10", "[100.0]", "tensor([2.])"),
    "tan": (".ops.trig:tan", "[0.0]", "tensor([0.])"),
    "sinh": (".ops.trig:sinh", "[0.0]", "tensor([0.])"),
    "cosh": (".ops.trig:cosh", "[0.0]", "tensor([1.])"),
    "asin": (".ops.trig:arcsin", "[1.0]", "tensor([1.57079633])"),
    "arcsin": (".ops.trig:arcsin", "[1.0]", "tensor([1.57079633])"),
    "acos": (".ops.trig:arccos", "[1.0]", "tensor([0.])"),
    "arccos": (".ops.trig:arccos", "[1.0]", "tensor([0.])"),
    "atan": (".ops.trig:arctan", "[1.0]", "tensor([0.78539816])"),
    "arctan": (".ops.trig:arctan", "[1.0]", "tensor([0.78539816])"),
    "asinh": (".ops.trig:arcsinh", "[0.0]", "tensor([0.])"),
    "arcsinh": (".ops.trig:arcsinh", "[0.0]", "tensor([0.])"),
    "acosh": (".ops.trig:arccosh", "[1.0]", "tensor([0.])"),
    "arccosh": (".ops.trig:arccosh", "[1.0]", "tensor([0.])"),
    "atanh": (".ops.trig:arctanh", "[0.0]", "tensor([0.])"),
    "arctanh": (".ops.trig:arctanh", "[0.0]", "tensor([0.])"),
    "deg2rad": (".ops.trig:deg2rad", "[180.0]", "tensor([3.14159265])"),
    "rad2deg": (".ops.trig:rad2deg", "[np.pi]", "tensor([180.])"),
    "sinc": (".ops.trig:sinc", "[0.0]", "tensor([1.])"),
    "erf": (".ops.activations:erf", "[0.0]", "tensor([0.])"),
    "erfc": (".ops.special:erfc", "[0.0]", "tensor([1.])"),
    "erfinv": (".ops.special:erfinv", "[0.0]", "tensor([0.])"),
    "lgamma": (".ops.special:lgamma", "[3.0]", "tensor([0.69314718])"),
    "digamma": (".ops.special:digamma", "[1.0]", "tensor([-0.57721566])"),
    "ceil": (".ops.piecewise:ceil", "[1.5]", "tensor([2.])"),
    "trunc": (".ops.piecewise:trunc", "[-1.5]", "tensor([-1.])"),
    "fix": (".ops.piecewise:trunc", "[-1.5]", "tensor([-1.])"),
    "isnan": (".ops.compare:isnan", "[np.nan, 1.0]", "tensor([ True, False])"),
    "isinf": (".ops.compare:isinf", "[np.inf, 1.0]", "tensor([ True, False])"),
    "isfinite": (".ops.compare:isfinite", "[np.inf, 1.0]", "tensor([False,  True])"),
    "signbit": (".ops.compare:signbit", "[-0.0, 1.0]", "tensor([ True, False])"),
}

#: PyTorch's two-input method name -> the library's function, an example (the tensor,
#: the other operand) and what it gives.
_ELEMENTWISE_PAIRS = {
    "mul": (".ops.elementwise:multiply", "[3.0]", "2.0", "tensor([6.])"),
    "multiply": (".ops.elementwise:multiply", "[3.0]", "2.0", "tensor([6.])"),
    "true_divide": (".ops.elementwise:divide", "[3.0]", "2.0", "tensor([1.5])"),
    "maximum": (".ops.elementwise:maximum", "[1.0, 5.0]", "[3.0, 3.0]", "tensor([3., 5.])"),
    "minimum": (".ops.elementwise:minimum", "[1.0, 5.0]", "[3.0, 3.0]", "tensor([1., 3.])"),
    "fmax": (".ops.piecewise:fmax", "[np.nan]", "[1.0]", "tensor([1.])"),
    "fmin": (".ops.piecewise:fmin", "[np.nan]", "[1.0]", "tensor([1.])"),
    "atan2": (".ops.trig:arctan2", "[1.0]", "[1.0]", "tensor([0.78539816])"),
    "arctan2": (".ops.trig:arctan2", "[1.0]", "[1.0]", "tensor([0.78539816])"),
    "hypot": (".ops.trig:hypot", "[3.0]", "[4.0]", "tensor([5.])"),
    "fmod": (".ops.piecewise:fmod", "[-7.0]", "3.0", "tensor([-1.])"),
    "remainder": (".torch_elementwise_methods:remainder_as_torch", "[-7.0]", "3.0", "tensor([2.])"),
    "copysign": (".ops.piecewise:copysign", "[2.0]", "-1.0", "tensor([-2.])"),
    "float_power": (".ops.exponentials:float_power", "[2.0]", "3", "tensor([8.])"),
    "logaddexp": (".ops.elementwise:logaddexp", "[0.0]", "[0.0]", "tensor([0.69314718])"),
    "logaddexp2": (".ops.exponentials:logaddexp2", "[0.0]", "[0.0]", "tensor([1.])"),
    "xlogy": (".ops.special:xlogy", "[0.0, 2.0]", "[0.0, 1.0]", "tensor([0., 0.])"),
}

#: In-place methods: PyTorch's name -> the library's one-input op.
_IN_PLACE = {
    "exp_": ".ops.elementwise:exp", "log_": ".ops.elementwise:log",
    "sqrt_": ".ops.elementwise:sqrt", "sigmoid_": ".ops.elementwise:sigmoid",
    "tanh_": ".ops.elementwise:tanh", "relu_": ".ops.elementwise:relu",
    "abs_": ".ops.elementwise:abs", "neg_": ".ops.elementwise:negative",
    "negative_": ".ops.elementwise:negative", "sin_": ".ops.elementwise:sin",
    "cos_": ".ops.elementwise:cos", "log1p_": ".ops.elementwise:log1p",
    "expm1_": ".ops.elementwise:expm1", "square_": ".ops.elementwise:square",
    "reciprocal_": ".ops.elementwise:reciprocal",
}


#: The methods whose result is a float for any real input: an integer or bool tensor is
#: read in the default float dtype first (``float_operand``), as PyTorch's.
_FLOAT_VALUED = frozenset(
    "exp2 expm1 log1p log2 log10 tan sinh cosh asin arcsin acos arccos atan arctan asinh "
    "arcsinh acosh arccosh atanh arctanh deg2rad rad2deg sinc erf erfc erfinv lgamma "
    "digamma atan2 arctan2 copysign hypot logaddexp logaddexp2 xlogy exp_ log_ sqrt_ "
    "sigmoid_ tanh_ sin_ cos_ log1p_ expm1_ reciprocal_".split())


def _unary_method(name, path, example, shown):
    def method(self):
        return _function(path)(float_operand(self) if name in _FLOAT_VALUED else self)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"PyTorch's ``Tensor.{name}``: ``ad.{path.split(':')[1]}(self)``, "
                      f"recorded.\n\n>>> ad.tensor({example}).{name}()\n{shown}\n")
    return method


#: The pair methods that divide integers, with NumPy's name of each: PyTorch raises on
#: an integer zero divisor (``integer_division.py``).
_DIVISIONS = {"fmod": "fmod", "remainder": "remainder"}


def _pair_method(name, path, example, other, shown):
    def method(self, other):
        if name in _DIVISIONS:
            from .integer_division import refuse_integer_division_by_zero
            refuse_integer_division_by_zero(name, _DIVISIONS[name], self, other)
        if name in _FLOAT_VALUED:
            self = float_operand(self, other)
        return _function(path)(self, other)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"PyTorch's ``Tensor.{name}``: ``ad.{path.split(':')[1]}(self, "
                      f"other)``, recorded.\n\n>>> ad.tensor({example}).{name}({other})\n"
                      f"{shown}\n")
    return method


def _in_place_method(name, path):
    def method(self):
        from .inplace import update
        made = _FloatUnaryUpdate if name in _FLOAT_VALUED else _UnaryUpdate
        return update(self, made(_function(path)), None, name)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"``{name[:-1]}`` in place, as PyTorch's ``Tensor.{name}`` (the rules "
                      f"of ``add_``); returns self.\n\n>>> t = ad.tensor([1.0])\n"
                      f">>> t.{name}() is t\nTrue\n")
    return method


for _name, _entry in _ELEMENTWISE.items():
    setattr(ElementwiseMethods, _name, _unary_method(_name, *_entry))
for _name, _entry in _ELEMENTWISE_PAIRS.items():
    setattr(ElementwiseMethods, _name, _pair_method(_name, *_entry))
for _name, _path in _IN_PLACE.items():
    setattr(ElementwiseMethods, _name, _in_place_method(_name, _path))
del _name, _entry, _path
