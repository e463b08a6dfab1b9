"""More of PyTorch's in-place Tensor methods, made from one table: ``t.atan2_(y)`` is
``t.atan2(y)`` written into ``t``, ``t.ge_(0)`` stores ``t >= 0`` as 0/1 in ``t``'s
own dtype, and the ``bitwise_*`` methods (out of place and in place) on integers and
bools.

Every one computes the out-of-place method's result with recorded ops and writes it
with ``inplace.fill``, the rules of ``add_``: recorded in grad mode on a tensor that
is not a leaf (so gradients through it stay right), refused on a leaf that requires
grad in grad mode, written into the array otherwise (an array a live graph saved is
not overwritten).  A result of a kind the tensor cannot hold (floats into an integer
tensor) is refused, as PyTorch refuses it.  Comparisons and logical ops give no
gradient: the old values get a zero gradient, as in PyTorch.

>>> t = ad.tensor([1.0, -2.0]); t.ge_(0) is t, t
(True, tensor([1., 0.]))
"""

from __future__ import annotations

import inspect

import numpy as np

#: PyTorch's in-place method -> the out-of-place method whose result it stores
_STORED = {name + "_": name for name in (
    "absolute acos acosh arccos arccosh arcsin arcsinh arctan arctanh arctan2 asin asinh "
    "atan atan2 atanh ceil copysign cosh cumprod cumsum deg2rad digamma divide erf erfc "
    "erfinv exp2 fix floor floor_divide fmod frac heaviside hypot i0 lerp lgamma log10 "
    "log2 logit multiply nan_to_num polygamma rad2deg remainder renorm round rsqrt sgn "
    "sign sinc sinh subtract tan trunc true_divide xlogy addcdiv addcmul addmm addmv addr "
    "addbmm baddbmm gcd lcm ldexp nextafter mvlgamma index_reduce igamma igammac").split()}

#: in-place methods whose result is a bool stored as 0/1 in the tensor's dtype
_STORED_AS_NUMBERS = {name + "_": name for name in (
    "eq ne ge gt le lt greater greater_equal less less_equal not_equal logical_and "
    "logical_or logical_xor logical_not").split()}

#: PyTorch's bitwise method -> the NumPy function it is (integers and bools only)
_BITWISE = {
    "bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or,
    "bitwise_xor": np.bitwise_xor, "bitwise_not": np.invert,
    "bitwise_left_shift": np.left_shift, "bitwise_right_shift": np.right_shift,
}


def _refuse_another_shape(t, result, where: str) -> None:
    if result.shape != t.shape:
        raise ValueError(f"{where}: the result has shape {result.shape} (the operands "
                         f"broadcast) but the tensor has shape {t.shape}; an in-place "
                         f"update cannot change a tensor's shape (PyTorch refuses it too). "
                         f"Use t = t.{where[:-1]}(...) for a new tensor")


def _refuse_another_kind(t, result, where: str) -> None:
    """Raise when ``result`` holds values ``t``'s dtype cannot store (floats into an
    integer tensor), as PyTorch's "result type Float can't be cast" error does; an
    integer result is stored in an integer tensor's dtype, wrapping as PyTorch's
    (``uint8.cumsum_(0)`` sums in uint8 there)."""
    if t.dtype.kind in "iu" and result.dtype.kind in "iu":
        return
    if not np.can_cast(result.dtype, t.dtype, casting="same_kind"):
        raise TypeError(
            f"{where}: the result has dtype {result.dtype}, which a {t.dtype} tensor "
            f"cannot hold in place (PyTorch refuses it too); convert first, "
            f"t = t.double().{where}(...), or use t.{where[:-1]}(...) for a new tensor")


def _stored_method(name: str, base: str):
    def method(self, *args, **kwargs):
        from .inplace import bypass_hooked_views, fill
        bypass_hooked_views(self)
        result = getattr(self, base)(*args, **kwargs)
        _refuse_another_shape(self, result, name)
        _refuse_another_kind(self, result, name)
        return fill(self, result, name)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"``{base}`` in place, as PyTorch's ``Tensor.{name}`` (the rules of "
                      f"``add_``); takes ``{base}``'s arguments and returns self.")
    return method


def _stored_as_numbers_method(name: str, base: str):
    def method(self, *args, **kwargs):
        from .inplace import bypass_hooked_views, fill
        bypass_hooked_views(self)
        truth = getattr(self, base)(*args, **kwargs)
        _refuse_another_shape(self, truth, name)
        return fill(self, truth.astype(self.dtype), name)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"``{base}`` in place, as PyTorch's ``Tensor.{name}``: the result is "
                      f"stored as 0/1 in the tensor's own dtype (no gradient); returns self.")
    return method


def _integers_only(where: str, *values) -> None:
    for value in values:
        dtype = np.result_type(getattr(value, "data", value))
        if dtype.kind not in "biu":
            raise TypeError(f"{where}: works on integer and bool tensors, got {dtype} "
                            f"(PyTorch refuses floats too); convert with .long() or "
                            f"compare first, e.g. (t > 0)")


def _bitwise_method(name: str, ufunc):
    unary = ufunc is np.invert

    def method(self, *other):
        from .compile.hooks import made     # (computed again at each replay)
        from .tensor import Tensor
        _integers_only(name, self, *other)
        arrays = [getattr(value, "data", value) for value in (self,) + other]
        return Tensor(made(name, ufunc, tuple(arrays)))

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"PyTorch's ``Tensor.{name}`` on integer or bool tensors (floats are "
                      f"refused, as PyTorch refuses them).")
    method.__signature__ = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + ([] if unary else [inspect.Parameter("other",
                                               inspect.Parameter.POSITIONAL_OR_KEYWORD)]))
    return method


class TensorInplaceMore:
    """PyTorch's in-place elementwise, comparison and bitwise methods (mixed into
    ``Tensor``); see the module's docstring."""

    __slots__ = ()

    def __init_subclass__(cls, **kwargs):
        """Give each generated method the signature of the method it stores the result
        of, once the class that has them all (``Tensor``) is made."""
        super().__init_subclass__(**kwargs)
        bitwise = {name + "_": name for name in _BITWISE}
        for name, base in {**_STORED, **_STORED_AS_NUMBERS, **bitwise}.items():
            source = getattr(cls, base, None)
            if source is None:
                continue
            try:                # (the last class made, Tensor, has the final say)
                TensorInplaceMore.__dict__[name].__signature__ = inspect.signature(source)
            except (TypeError, ValueError):         # (a builtin without one)
                pass

    def clip_(self, min=None, max=None):
        """PyTorch's ``clip_``: ``clamp_(min, max)``; returns self.

        >>> ad.tensor([-2.0, 2.0]).clip_(-1, 1)
        tensor([-1.,  1.])
        """
        from .inplace import clamp
        return clamp(self, min, max, "clip_")

    def float_power_(self, exponent):
        """``float_power`` in place on a float64 tensor (any other dtype is refused, as
        PyTorch refuses it: the result is float64); returns self.

        >>> ad.tensor([2.0]).float_power_(3)
        tensor([8.])
        """
        from .inplace import fill
        if self.dtype != np.float64:
            raise TypeError(f"float_power_: the tensor has dtype {self.dtype} but "
                            f"float_power's result is float64 (PyTorch refuses it too); "
                            f"use t = t.double() first, or t.float_power(x) for a new tensor")
        from .inplace import bypass_hooked_views
        bypass_hooked_views(self)
        return fill(self, self.float_power(exponent), "float_power_")


for _name, _base in _STORED.items():
    setattr(TensorInplaceMore, _name, _stored_method(_name, _base))
for _name, _base in _STORED_AS_NUMBERS.items():
    setattr(TensorInplaceMore, _name, _stored_as_numbers_method(_name, _base))
for _name, _ufunc in _BITWISE.items():
    setattr(TensorInplaceMore, _name, _bitwise_method(_name, _ufunc))
    setattr(TensorInplaceMore, _name + "_", _stored_method(_name + "_", _name))
del _name, _base, _ufunc
