"""A ufunc's methods on Tensors: ``np.add.reduce``, ``np.multiply.accumulate``,
``np.subtract.outer`` ...

- ``outer`` works for every two-input ufunc that runs an op: ``f.outer(a, b)`` is
  ``f`` of ``a`` with one new axis per axis of ``b``, against ``b``, NumPy's own
  definition, so the values are NumPy's and the gradient is the op's.
- ``reduce`` and ``accumulate`` run the reduction that is NumPy's own for that ufunc
  (``np.sum`` is ``np.add.reduce``, ``np.cumsum`` is ``np.add.accumulate``): an op
  declares them in its ``numpy=`` with the adapters made here (``ops/reduce.py``,
  ``ops/multiplicative.py``, ``ops/cumulative.py``, ``ops/ufunc_differences.py`` for
  ``np.subtract`` and ``np.divide``), and ``reduce``'s default axis is 0, as NumPy's;
  ``initial=`` and ``where=`` of ``add``, ``multiply``, ``maximum`` and ``minimum``'s
  ``reduce`` are those of ``np.sum``, ``np.prod``, ``np.max`` and ``np.min``.
- ``reduceat`` is ``np.add.reduceat`` and the extremes' (``np.maximum.reduceat`` ...,
  ``ops/segment_sums.py``); the other ``reduceat`` raise, naming the method.
- ``at`` writes in place (``ops/ufunc_at.py``): recorded for ``np.add.at`` and
  ``np.subtract.at``, refused for the others while recording.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..tensor import Tensor
from .registry import REGISTRY

_NO_VALUE = np._NoValue

#: The ufunc reductions that are NumPy's masked ones (np.sum is np.add.reduce ...): with
#: initial= or where=, they run ``masked_reduction`` under that name.
_MASKED_REDUCTIONS = {"add.reduce": "sum", "multiply.reduce": "prod",
                      "maximum.reduce": "max", "minimum.reduce": "min"}


def outer(op: Callable, ufunc: np.ufunc, a, b) -> Tensor:
    """``ufunc.outer(a, b)`` with ``op`` (the op that runs ``ufunc``).

    >>> np.subtract.outer(ad.tensor([10.0, 20.0]), ad.tensor([1.0, 2.0, 3.0]))
    tensor([[ 9.,  8.,  7.],
            [19., 18., 17.]])
    """
    from .operands import as_numpy_converts
    from .shape import reshape
    a_shape, b_ndim = np.shape(_data(a)), np.ndim(_data(b))
    if not isinstance(a, Tensor):
        a = Tensor(np.asarray(a))
    return op(reshape(a, a_shape + (1,) * b_ndim), as_numpy_converts(b))


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def reduce_adapter(numpy_name: str, op_name: str) -> Callable:
    """``ufunc.reduce``'s signature (``numpy_name``, e.g. "add.reduce") mapped onto the
    reduction op ``op_name``."""
    def reduce(array, axis=0, dtype=None, out=None, keepdims=False, initial=_NO_VALUE,
               where=True):
        masked = _MASKED_REDUCTIONS.get(numpy_name)
        if masked and (initial is not _NO_VALUE or where is not True):
            # np.sum is np.add.reduce: the same masked reduction as np.sum(where=, initial=)
            from .masked_reductions import masked_reduction
            _refuse(numpy_name, dtype=dtype, out=out)
            return masked_reduction(masked, array, axis, bool(keepdims), initial, where,
                                    f"np.{numpy_name}")
        _refuse(numpy_name, dtype=dtype, out=out,
                initial=None if initial is _NO_VALUE else initial,
                where=None if where is True else where)
        return REGISTRY[op_name](array, axis=axis, keepdims=bool(keepdims))
    reduce.__name__ = numpy_name
    return reduce


def accumulate_adapter(numpy_name: str, op_name: str) -> Callable:
    """``ufunc.accumulate``'s signature mapped onto the running op ``op_name``."""
    def accumulate(array, axis=0, dtype=None, out=None):
        _refuse(numpy_name, dtype=dtype, out=out)
        ndim = np.ndim(_data(array))
        if ndim == 0:
            raise TypeError(f"numpy.{numpy_name}: cannot accumulate on a scalar (the input "
                            "is 0-d), as NumPy says; pass an array of at least one dimension")
        if type(axis) is tuple and len(axis) == 1:
            axis = axis[0]
        if axis is None and ndim == 1:
            axis = 0
        if axis is None or type(axis) is tuple:
            raise ValueError(f"numpy.{numpy_name}: accumulate does not allow multiple axes "
                             f"(axis={axis!r} on an input of shape {np.shape(_data(array))}), "
                             "as NumPy says; give one axis")
        return REGISTRY[op_name](array, axis)
    accumulate.__name__ = numpy_name
    return accumulate


def _refuse(name, **given):
    used = sorted(k for k, v in given.items() if v is not None)
    if used:
        raise TypeError(f"numpy.{name} on a Tensor: the argument(s) {used} are not supported "
                        "by autodiff; call it without them")
