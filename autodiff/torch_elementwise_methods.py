"""PyTorch's elementwise Tensor methods under its names (``log1p``, ``asin``, ``atan2``,
``remainder``, ...) and the in-place unary methods (``exp_``, ``sigmoid_``, ...), each
made from a table entry naming the library's function.

Each is built from recorded ops, so gradients come from their rules; the in-place
ones go through ``inplace.py`` as ``add_`` does.
"""

from __future__ import annotations

import functools
import importlib

@functools.cache
def _function(path: str):
    """The function at ``"module:name"``, imported on a method's first call (this module
    is imported while ``Tensor`` is being defined) and kept."""
    module, name = path.rsplit(":", 1)
    return getattr(importlib.import_module(module, __package__), name)


class _UnaryUpdate:
    """A one-input op in the form ``inplace.update`` takes, ``op(t, other)`` and
    ``forward(array, other)`` (``other`` is unused)."""

    def __init__(self, op):
        self.op, self.name = op, op.name

    def __call__(self, t, _unused):
        return self.op(t)

    def forward(self, array, _unused):
        return self.op.forward(array)



class ElementwiseMethods:
    """The methods made from the tables below (a base of ``TorchMethods``)."""


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
    "remainder": (".ops.piecewise:mod", "[-7.0]", "3.0", "tensor([2.])"),
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


def _unary_method(name, path, example, shown):
    def method(self):
        return _function(path)(self)
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
        return _function(path)(self, other)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"PyTorch's ``Tensor.{name}``: ``ad.{path.split(':')[1]}(self, "
                      f"other)``, recorded.\n\n>>> ad.tensor({example}).{name}({other})\n"
                      f"{shown}\n")
    return method


def _in_place_method(name, path):
    def method(self):
        from .inplace import update
        return update(self, _UnaryUpdate(_function(path)), None, name)
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
