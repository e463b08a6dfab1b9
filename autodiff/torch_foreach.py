"""PyTorch's ``torch._foreach_*`` functions: one op applied to each tensor of a list
(an EMA of weights: ``torch._foreach_mul_(ema, decay)`` then
``torch._foreach_add_(ema, params, alpha=1 - decay)``).  PyTorch fuses them into few
kernels; here each is a loop over the tensors' own methods, with the same values, and
the out-of-place ones are recorded, so gradients flow through them as through the
methods.

>>> ema = [ad.ones(2), ad.zeros(1)]
>>> ad._foreach_mul_(ema, 0.5)
>>> ema
[tensor([0.5, 0.5]), tensor([0.])]
"""

from __future__ import annotations

from .grad_arrays import GradArray
from .tensor import Tensor

#: the unary functions (each also with a trailing underscore, in place)
_UNARY = ("abs", "acos", "asin", "atan", "ceil", "cos", "cosh", "erf", "erfc", "exp",
          "expm1", "floor", "frac", "lgamma", "log", "log10", "log1p", "log2", "neg",
          "reciprocal", "round", "rsqrt", "sigmoid", "sign", "sin", "sinh", "sqrt", "tan",
          "tanh", "trunc")
#: the binary ones: a list and a number, a list of numbers, a tensor or a list of tensors
_BINARY = ("add", "sub", "mul", "div", "maximum", "minimum", "pow", "clamp_min",
           "clamp_max")


def _list(where: str, tensors) -> list:
    """The tensors of a list or tuple: Tensors, or ``.grad`` arrays (PyTorch's
    ``_foreach_zero_([p.grad for p in params])``), which take their in-place methods."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{where}: expects a list or tuple of tensors, got "
                        f"{type(tensors).__name__}")
    for k, t in enumerate(tensors):
        if not isinstance(t, (Tensor, GradArray)):
            raise TypeError(f"{where}: item {k} is a {type(t).__name__}, not a Tensor (nor "
                            "a .grad array)")
    return list(tensors)


def _bound(where: str, t, method: str):
    """``t.method``; a ``.grad`` array without it is refused naming what it has."""
    if isinstance(t, GradArray) and not hasattr(t, method):
        raise TypeError(f"{where}: a .grad array (p.grad) has no {method}: it is an ndarray "
                        "off the tape with PyTorch's in-place zero_, fill_, add_, sub_, "
                        "mul_, div_, clamp_, abs_ and neg_ (_foreach_mul_(grads, c), "
                        "_foreach_zero_(grads)); compute out of place with NumPy on it")
    return getattr(t, method)


def _per_tensor(where: str, tensors: list, other) -> list:
    """``other`` for each tensor: a list or tuple gives one per tensor, anything else
    (a number, a tensor) is the same for all."""
    if isinstance(other, (list, tuple)):
        if len(other) != len(tensors):
            raise ValueError(f"{where}: got {len(tensors)} tensors but {len(other)} "
                             "operands; give one per tensor, or one number for all")
        return list(other)
    return [other] * len(tensors)


def _unary(name: str, in_place: bool):
    method = name + "_" if in_place else name
    where = f"_foreach_{method}"

    def apply(self):
        tensors = _list(where, self)
        results = [_bound(where, t, method)() for t in tensors]
        return None if in_place else results
    apply.__doc__ = (f"``t.{method}()`` for each tensor of the list"
                     + (" (in place; returns None)" if in_place else "") + ".")
    return where, apply


def _binary(name: str, in_place: bool):
    method = name + "_" if in_place else name
    where = f"_foreach_{method}"

    def apply(self, other, *, alpha=None):
        tensors = _list(where, self)
        others = _per_tensor(where, tensors, other)
        if alpha is not None and name not in ("add", "sub"):
            raise TypeError(f"{where}: takes alpha= only in _foreach_add and _foreach_sub")
        keywords = {} if alpha is None else {"alpha": alpha}
        if in_place and not hasattr(Tensor, method):      # maximum_, minimum_
            for t, o in zip(tensors, others):
                t.copy_(_bound(where, t, name)(o))
            return None
        results = [_bound(where, t, method)(o, **keywords) for t, o in zip(tensors, others)]
        return None if in_place else results
    apply.__doc__ = (f"``t.{method}(other)`` for each tensor of the list, ``other`` a "
                     "number, a tensor, or a list of one per tensor"
                     + (" (in place; returns None)" if in_place else "") + ".")
    return where, apply


def _pointwise(name: str, in_place: bool):
    method = name + "_" if in_place else name
    where = f"_foreach_{method}"

    def apply(self, tensor1, tensor2, value=1):
        tensors = _list(where, self)
        firsts, seconds = _list(where, tensor1), _list(where, tensor2)
        if not len(tensors) == len(firsts) == len(seconds):
            raise ValueError(f"{where}: the three lists must have the same length, got "
                             f"{len(tensors)}, {len(firsts)} and {len(seconds)}")
        values = _per_tensor(where, tensors, value)
        results = [_bound(where, t, method)(a, b, value=v)
                   for t, a, b, v in zip(tensors, firsts, seconds, values)]
        return None if in_place else results
    apply.__doc__ = (f"``t.{method}(tensor1, tensor2, value=)`` for each tensor of the list"
                     + (" (in place; returns None)" if in_place else "") + ".")
    return where, apply


def _lerp(in_place: bool):
    method = "lerp_" if in_place else "lerp"
    where = f"_foreach_{method}"

    def apply(self, tensors1, weight):
        tensors = _list(where, self)
        ends = _list(where, tensors1)
        if len(ends) != len(tensors):
            raise ValueError(f"{where}: got {len(tensors)} tensors but {len(ends)} ends")
        weights = _per_tensor(where, tensors, weight)
        results = [_bound(where, t, method)(e, w) for t, e, w in zip(tensors, ends, weights)]
        return None if in_place else results
    apply.__doc__ = ("``t.lerp(end, weight)`` for each tensor of the list"
                     + (" (in place; returns None)" if in_place else "") + ".")
    return where, apply


def _foreach_norm(self, ord=2, dtype=None) -> list:
    """The vector ``ord``-norm of each tensor of the list, as 0-d tensors.

    >>> ad._foreach_norm([ad.tensor([3.0, 4.0])])
    [tensor(5.)]
    """
    from .ops.norms import vector_norm
    tensors = _list("_foreach_norm", self)
    if dtype is not None:                       # PyTorch computes in the dtype asked for
        tensors = [t.to(dtype) for t in tensors]
    return [vector_norm(t, ord=ord) for t in tensors]


def _foreach_max(self) -> list:
    """The largest entry of each tensor of the list, as 0-d tensors."""
    return [t.max() for t in _list("_foreach_max", self)]


def _foreach_zero_(self) -> None:
    """Fill each tensor of the list with zeros, in place."""
    for t in _list("_foreach_zero_", self):
        t.zero_()


def _foreach_copy_(self, src, non_blocking: bool = False) -> None:
    """Copy ``src[k]`` into ``self[k]``, in place, for each pair of tensors."""
    tensors, sources = _list("_foreach_copy_", self), _list("_foreach_copy_", src)
    if len(tensors) != len(sources):
        raise ValueError(f"_foreach_copy_: got {len(tensors)} tensors but {len(sources)} "
                         "sources")
    for t, s in zip(tensors, sources):
        t.copy_(s)


def _foreach_clone(self) -> list:
    """A copy of each tensor of the list."""
    return [t.clone() for t in _list("_foreach_clone", self)]


def foreach_functions() -> dict:
    """Every ``_foreach_*`` function by its name (set on the package at import)."""
    functions = {"_foreach_norm": _foreach_norm, "_foreach_max": _foreach_max,
                 "_foreach_zero_": _foreach_zero_, "_foreach_copy_": _foreach_copy_,
                 "_foreach_clone": _foreach_clone}
    makers = [(_unary, name) for name in _UNARY] + [(_binary, name) for name in _BINARY]
    makers += [(_pointwise, "addcmul"), (_pointwise, "addcdiv")]
    for in_place in (False, True):
        for make, name in makers:
            where, function = make(name, in_place)
            functions[where] = function
        where, function = _lerp(in_place)
        functions[where] = function
    for where, function in functions.items():
        function.__name__ = function.__qualname__ = where
    return functions
