"""Ordering: sort and partition (a permutation of each lane), and take_along_axis.

``sort`` and ``partition`` reorder each lane of ``x`` by the permutation NumPy's
argsort / argpartition returns (``permute_along_axis``), so the gradient of each
output goes back to the input it came from: the inverse permutation, a gather.
Where values tie, the permutation picks one order of the tied entries and each gets
the gradient of the position it was put in (a valid one-sided derivative; sort is
not differentiable at ties).  ``take_along_axis`` may repeat indices, so its
backward is a scatter-add.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .operands import tensor_of
from .registry import defop, implements
from .shape import flatten


def _values(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _along_axis_key(shape, indices, axis):
    """The full NumPy index that take_along_axis(x, indices, axis) reads."""
    key = []
    for dim, size in enumerate(shape):
        if dim == axis:
            key.append(indices)
        else:
            fancy = [1] * len(shape)
            fancy[dim] = size
            key.append(np.arange(size).reshape(fancy))
    return tuple(key)


def _take_along_axis_forward(x, indices, axis=-1):
    return np.take_along_axis(x, indices, axis)


def _take_along_axis_rule(xp, g, ans, x, indices, axis=-1):
    if axis is None:
        return xp.reshape(xp.index_add(g, (x.size,), indices), x.shape)
    axis %= x.ndim
    key = _along_axis_key(x.shape, indices, axis)
    # The other axes of indices may be size 1 and broadcast: scatter from g's shape.
    return xp.index_add(g, x.shape, key)


_take_along_axis = defop(
    "take_along_axis", _take_along_axis_forward, scatters=True, index_inputs={1: "indices"},
    hint="indices must have the same number of dimensions as x and be integers in "
         "[-n, n) for an axis of size n",
    x=("index_add(zeros(x.shape), indices along axis, g)", _take_along_axis_rule),
    indices=None, axis=None, reads=())


def _inverse_permutation(permutation, axis):
    inverse = np.empty_like(permutation)
    positions = np.arange(permutation.shape[axis]).reshape(
        (-1,) + (1,) * (permutation.ndim - 1 - axis))
    np.put_along_axis(inverse, permutation, np.broadcast_to(positions, permutation.shape),
                      axis)
    return inverse


def _permute_rule(xp, g, ans, x, permutation, axis):
    axis %= x.ndim
    return xp.permute_along_axis(g, _inverse_permutation(permutation, axis), axis)


permute_along_axis = defop(
    "permute_along_axis", _take_along_axis_forward, index_inputs={1: "permutation"},
    doc="Reorder each lane along ``axis`` by ``permutation`` (an argsort result: every "
        "lane a permutation of 0..n-1); the gradient reorders g back.\n\n"
        ">>> x = ad.tensor([3.0, 1.0, 2.0])\n"
        ">>> ad.permute_along_axis(x, np.argsort(x.data), 0)\ntensor([1., 2., 3.])",
    x=("permute_along_axis(g, inverse permutation, axis)", _permute_rule),
    permutation=None, axis=None, reads=())


@implements(np.take_along_axis)
def take_along_axis(arr, indices, axis=-1) -> Tensor:
    """Pick entries along ``axis`` by matching index arrays, as
    ``np.take_along_axis``; repeated indices accumulate in the gradient.

    >>> x = ad.tensor([[3.0, 1.0, 2.0]], requires_grad=True)
    >>> y = ad.take_along_axis(x, np.array([[1, 1]]), axis=1)
    >>> y.sum().backward(); y, x.grad
    (tensor([[1., 1.]], requires_grad=True), array([[0., 2., 0.]]))
    """
    indices = _values(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"take_along_axis: indices must be integers, not {indices.dtype}")
    return _take_along_axis(arr, indices, axis=axis)


def _check_no_order(name, order):
    if order is not None:
        raise TypeError(f"{name}: order= (sorting structured arrays by field) is not "
                        "supported on tensors")


@implements(np.sort)
def sort(a, axis=-1, kind=None, order=None, *, stable=None, dim=None,
         descending=None) -> Tensor:
    """Sorted copy along ``axis`` (flattened when None), as ``np.sort``; each output's
    gradient goes back to the input it came from.  With PyTorch's ``dim=`` or
    ``descending=``, ``torch.sort``: ``(values, indices)``, as ``t.sort(dim=...)``.

    >>> x = ad.tensor([3.0, 1.0, 2.0], requires_grad=True)
    >>> y = ad.sort(x)
    >>> (y * ad.tensor([1.0, 10.0, 100.0])).sum().backward(); y, x.grad
    (tensor([1., 2., 3.], requires_grad=True), array([100.,   1.,  10.]))
    >>> ad.sort(ad.tensor([3.0, 1.0, 2.0]), dim=0, descending=True).indices
    tensor([0, 2, 1])
    """
    if dim is not None or descending is not None:
        if axis != -1 or kind is not None or order is not None:
            raise TypeError("sort: got NumPy's axis=/kind=/order= with PyTorch's dim=/"
                            "descending=; ad.sort(t, axis) is np.sort (a sorted copy), "
                            "ad.sort(t, dim=..., descending=...) is torch.sort "
                            "((values, indices)): pick one")
        return tensor_of(a).sort(dim=-1 if dim is None else dim,
                                 descending=bool(descending), stable=stable)
    if isinstance(kind, (bool, np.bool_)):
        raise TypeError(
            f"sort(t, {axis!r}, {kind!r}): the third argument is NumPy's kind (a string), "
            f"and a bool there is PyTorch's descending; ad.sort(t, axis) is np.sort (a "
            f"sorted copy). Write ad.sort(t, dim={axis!r}, descending={kind!r}) for "
            "PyTorch's (values, indices)")
    _check_no_order("sort", order)
    if axis is None:
        a, axis = flatten(a), -1
    _check_axis("sort", a, axis)
    # np.argsort on the Tensor itself: ad.compile then computes it again at each replay
    permutation = np.argsort(tensor_of(a), axis=axis, kind=kind, stable=stable)
    result = permute_along_axis(a, permutation, axis)
    if result.ndim > 1 and result.shape[0] == 2:       # (not lo, hi = ad.sort(pair))
        from ..conventions import warn_if_unpacked_as_torch_pair
        warn_if_unpacked_as_torch_pair("sort", "ad.sort(x, dim=-1) or x.sort(dim=-1)")
    return result


@implements(np.partition)
def partition(a, kth, axis=-1, kind="introselect", order=None) -> Tensor:
    """Entries rearranged so that position ``kth`` holds the value it would hold when
    sorted, smaller ones before it and larger after (``np.partition``).

    >>> ad.partition(ad.tensor([3.0, 1.0, 2.0]), 0)[0]
    tensor(1.)
    """
    _check_no_order("partition", order)
    if axis is None:
        a, axis = flatten(a), -1
    _check_axis("partition", a, axis)
    permutation = np.argpartition(tensor_of(a), kth, axis=axis, kind=kind)
    return permute_along_axis(a, permutation, axis)


def _check_axis(name, a, axis):
    """NumPy's AxisError for a 0-d input (``np.argsort`` would treat it as 1-d)."""
    ndim = np.ndim(a.data if isinstance(a, Tensor) else a)
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim, name)

