"""``np.linalg.tensorsolve`` and ``np.linalg.tensorinv``, written as NumPy writes them:
a transpose and reshapes around ``solve`` / ``inv``, so the values are NumPy's and the
gradients those of the recorded ``solve`` and ``inv``."""

from __future__ import annotations

import math
import operator

import numpy as np

from ..tensor import Tensor
from .decompositions import solve
from .linalg import inv
from .operands import tensor_of
from .registry import implements
from .shape import reshape, transpose


@implements(np.linalg.tensorsolve)
def tensorsolve(a, b, axes=None) -> Tensor:
    """x with ``np.tensordot(a, x, axes=x.ndim) == b``, as ``np.linalg.tensorsolve``
    (``axes``: the axes of ``a`` moved to the end first); ``a.shape[b.ndim:]`` is x's
    shape and its size must equal that of ``b``.

    >>> a = ad.tensor(np.eye(6).reshape(6, 2, 3) * 2.0)
    >>> ad.linalg.tensorsolve(a, ad.tensor(np.arange(6.0)))
    tensor([[0. , 0.5, 1. ],
            [1.5, 2. , 2.5]])
    """
    a, b = tensor_of(a), tensor_of(b)
    an = a.ndim
    if axes is not None:
        order = list(range(an))
        for k in axes:
            if k not in order:
                raise ValueError(f"tensorsolve: axes={axes!r} names an axis that a of shape "
                                 f"{a.shape} does not have, or names one twice; give "
                                 f"distinct axes in [0, {an})")
            order.remove(k)
            order.insert(an, k)
        a = transpose(a, tuple(order))
    shape = a.shape[-(an - b.ndim):]         # NumPy's slice, also when an == b.ndim
    size = math.prod(shape)
    if a.size != size ** 2:
        raise np.linalg.LinAlgError(
            f"tensorsolve: a of shape {a.shape} and b of shape {b.shape} do not make a "
            f"square system: prod(a.shape[b.ndim:]) = {size} must equal "
            f"prod(a.shape[:b.ndim]) = {a.size // size if size else 0}")
    if b.size != size:
        raise ValueError(f"tensorsolve: b of shape {b.shape} has {b.size} entries but the "
                         f"solution's shape a.shape[b.ndim:] = {shape} has {size}; b must "
                         "have as many entries as x")
    return reshape(solve(reshape(a, (size, size)), reshape(b, (-1,))), shape)


@implements(np.linalg.tensorinv)
def tensorinv(a, ind=2) -> Tensor:
    """The inverse of ``a`` for ``np.tensordot(., ., ind)``, as ``np.linalg.tensorinv``:
    of shape ``a.shape[ind:] + a.shape[:ind]``.

    >>> ad.linalg.tensorinv(ad.tensor(np.eye(4).reshape(4, 2, 2) * 2.0), ind=1).shape
    (2, 2, 4)
    """
    a = tensor_of(a)
    try:
        ind = operator.index(ind)
    except TypeError as error:
        raise TypeError(f"tensorinv: ind must be an integer, not {type(ind).__name__}") \
            from error
    if ind <= 0:
        raise ValueError(f"tensorinv: ind must be a positive integer, got {ind}")
    size = math.prod(a.shape[ind:])
    return reshape(inv(reshape(a, (size, -1))), a.shape[ind:] + a.shape[:ind])
