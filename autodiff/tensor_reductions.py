"""A Tensor's reductions as methods: ``t.sum``, ``t.mean``, ``t.max``, ``t.min``, with
NumPy's ``axis``/``keepdims``/``initial``/``where``/``dtype`` and PyTorch's
``dim``/``keepdim``/``dtype``.

A mixin of ``Tensor``; the ops it calls are bound by ``bind()`` (run by
``autodiff.tensor`` once the ops exist, as they build on Tensor).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .conventions import keepdim_after_axis, method_axis
from .missing_dtypes import numpy_dtype
from .argument_aliases import axis_alias
from .spellings import extreme_along_dim, refuse_positional_extreme
from .torch_elementwise_methods import signed_sum_operand

if TYPE_CHECKING:
    from .tensor import Axis, Tensor

_NO_VALUE = np._NoValue     # NumPy's "not given" for initial=


class ReductionMethods:
    """``Tensor.sum``, ``mean``, ``max`` and ``min``."""

    __slots__ = ()

    def sum(self, *positional, axis: Axis = None, keepdims: bool = False,
            dim=None, keepdim=None, initial=_NO_VALUE, where=True, dtype=None,
            out=None) -> Tensor:
        axis, positional = method_axis("sum", axis, positional, keepdim is not None)
        keepdim = keepdim_after_axis("sum", positional, keepdim)
        axis, keepdims = axis_alias("sum", axis, keepdims, dim, keepdim)
        return numpy_reduction("sum", np.sum, sum, sum_operand(self, dtype, out), axis,
                               keepdims, initial, where, dtype, out)

    def mean(self, *positional, axis: Axis = None, keepdims: bool = False,
             dim=None, keepdim=None, where=True, dtype=None, out=None) -> Tensor:
        axis, positional = method_axis("mean", axis, positional, keepdim is not None)
        keepdim = keepdim_after_axis("mean", positional, keepdim)
        axis, keepdims = axis_alias("mean", axis, keepdims, dim, keepdim)
        return numpy_reduction("mean", np.mean, mean, self, axis, keepdims, _NO_VALUE, where,
                               dtype, out)

    def max(self, *positional, axis: Axis = None, keepdims: bool = False,
            dim=None, keepdim=None, initial=_NO_VALUE, where=True, out=None) -> Tensor:
        """``ad.max``: the largest values over ``axis`` (NumPy); with PyTorch's ``dim=``,
        PyTorch's ``(values, indices)``; with a Tensor ``other`` (``t.max(other)``),
        PyTorch's elementwise maximum.

        >>> t = ad.tensor([[1.0, 5.0], [7.0, 0.0]])
        >>> t.max(axis=1), t.max(dim=1).indices
        (tensor([5., 7.]), tensor([1, 0]))
        """
        return _extreme("max", self, positional, axis, keepdims, dim, keepdim, initial,
                        where, out)

    def min(self, *positional, axis: Axis = None, keepdims: bool = False,
            dim=None, keepdim=None, initial=_NO_VALUE, where=True, out=None) -> Tensor:
        """``ad.min``: the smallest values over ``axis`` (NumPy); with PyTorch's ``dim=``,
        PyTorch's ``(values, indices)``; with a Tensor ``other`` (``t.min(other)``),
        PyTorch's elementwise minimum.

        >>> t = ad.tensor([[1.0, 5.0], [7.0, 0.0]])
        >>> t.min(axis=1), t.min(dim=1).indices
        (tensor([1., 0.]), tensor([0, 1]))
        """
        return _extreme("min", self, positional, axis, keepdims, dim, keepdim, initial,
                        where, out)


def _extreme(name, tensor, positional, axis, keepdims, dim, keepdim, initial, where, out):
    """``tensor.max(...)`` or ``tensor.min(...)`` (``name``): PyTorch's ``(values,
    indices)`` along a ``dim``, else NumPy's reduction over ``axis``."""
    if positional and _elementwise_pair(positional, axis, dim, keepdim, keepdims, initial,
                                        where):
        pairwise = maximum if name == "max" else minimum
        return pairwise(tensor, positional[0]) if out is None else \
            pairwise(tensor, positional[0], out=out)        # (torch.max(a, b, out=o))
    if positional:
        dim = _dim_read_as_torch(positional, axis, dim, keepdim)
        if dim is None:
            refuse_positional_extreme(name, positional)
    if dim is not None:
        return extreme_along_dim(name, tensor, axis, keepdims, dim=dim, keepdim=keepdim)
    axis, keepdims = axis_alias(name, axis, keepdims, dim, keepdim)
    numpy_function, op = (np.max, max) if name == "max" else (np.min, min)
    return numpy_reduction(name, numpy_function, op, tensor, axis, keepdims, initial, where,
                           None, out)


def _elementwise_pair(positional, axis, dim, keepdim, keepdims, initial, where) -> bool:
    """``t.max(other)`` with a Tensor ``other`` and nothing else but ``out=``: PyTorch's
    elementwise maximum (``torch.max(a, b)``), broadcasting, its gradient split on ties.
    (A reduction's keyword with it is refused, not dropped.)"""
    from .tensor import Tensor
    return (len(positional) == 1 and isinstance(positional[0], Tensor) and axis is None
            and dim is None and keepdim is None and keepdims is False
            and initial is _NO_VALUE and where is True)


def _dim_read_as_torch(positional, axis, dim, keepdim):
    """``t.max(1, keepdim=True)``: PyTorch's spelling ``keepdim=`` says the positional
    1 is PyTorch's dim (NumPy spells it keepdims=), so the result is PyTorch's
    ``(values, indices)``; None where the positional stays ambiguous."""
    if (keepdim is not None and len(positional) == 1 and axis is None and dim is None
            and isinstance(positional[0], (int, np.integer))
            and not isinstance(positional[0], bool)):
        return positional[0]
    return None


def numpy_reduction(name, numpy_function, op, tensor, axis, keepdims, initial, where, dtype,
                    out) -> Tensor:
    """``tensor.<name>(axis, keepdims=, initial=, where=, dtype=, out=)`` as ndarray's
    method: ``op`` when only ``axis`` and ``keepdims`` are given, NumPy's
    ``numpy_function`` for a ``dtype`` or ``out`` (``through_numpy``), the masked
    reduction for an ``initial`` or ``where``.

    >>> ad.tensor([1.0, 2.0, 3.0]).sum(where=np.array([True, False, True]))
    tensor(4.)
    """
    if dtype is not None or out is not None:
        return through_numpy(numpy_function, tensor, axis=axis, keepdims=keepdims,
                             dtype=dtype, out=out, initial=initial, where=where)
    if initial is not _NO_VALUE or where is not True:
        return masked_reduction(name, tensor, axis, keepdims, initial, where,
                                f"Tensor.{name}")
    return op(tensor, axis=axis, keepdims=keepdims)


def sum_operand(tensor, dtype, out):
    """The tensor a sum or product method reduces: with no ``dtype=`` or ``out=``,
    PyTorch's reading of a narrow unsigned tensor, in int64 (``signed_sum_operand``)."""
    if dtype is not None or out is not None:
        return tensor
    return signed_sum_operand(tensor)


def through_numpy(numpy_function, tensor, *args, **options):
    """``t.sum(..., dtype=d, out=o)`` (or another method with NumPy's ``dtype=`` or
    ``out=``) as ``np.sum(t, ..., dtype=d, out=o)``: NumPy's computation in ``d`` (a
    float dtype: the tensor is cast first, and the gradient casts back) and its refusal
    of an integer ``d`` for a float tensor; the result written into a Tensor ``o`` on the
    tape. Options left at their defaults (None, no value, ``where=True``) are not passed.

    >>> ad.tensor([1.0, 2.0]).sum(dtype=np.float32)
    tensor(3., dtype=float32)
    """
    given = {name: value for name, value in options.items()
             if value is not _NO_VALUE and value is not None
             and not (name == "where" and value is True)}
    if "dtype" in given:                # (a torch.dtype read as NumPy's of that name)
        given["dtype"] = numpy_dtype(numpy_function.__name__, given["dtype"])
    return numpy_function(tensor, *args, **given)


def bind() -> None:
    """Bind the ops the methods call (run by ``autodiff.tensor`` once they exist)."""
    global max, mean, min, sum, masked_reduction, maximum, minimum
    from .ops.elementwise import maximum, minimum
    from .ops.reduce import max, mean, min, sum
    from .ops.masked_reductions import masked_reduction
