"""Rearranging: ops that put the same elements in a new order (flip, roll, moveaxis,
rot90, ravel, fftshift ...).  Each gradient puts ``g`` back in the old order.

``flip`` and ``roll`` are ops; the rest are built from them and from ``transpose`` and
``reshape``, following NumPy's own definitions, so their results equal NumPy's.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from ..tensor import Tensor
from .registry import defop, implements
from .indexing import take
from .shape import flatten, swapaxes, transpose


def _flip_forward(x, axis=None):
    return np.flip(x, axis)


flip = defop(
    "flip", _flip_forward, numpy={np.flip: lambda m, axis=None: flip(m, axis)},
    doc="Reverse the order of elements along ``axis`` (all axes when None).\n\n"
        ">>> ad.flip(ad.tensor([1.0, 2.0, 3.0]))\ntensor([3., 2., 1.])",
    x=("flip(g, axis)", lambda xp, g, ans, x, axis=None: xp.flip(g, axis)), axis=None,
    aliases={"dims": "axis"}, reads=())


def _negated(shift):
    if isinstance(shift, (tuple, list)):
        return tuple(-int(s) for s in shift)
    return -np.asarray(shift) if np.ndim(shift) else -int(shift)


def _roll_forward(x, shift, axis=None):
    return np.roll(x, shift, axis)


roll = defop(
    "roll", _roll_forward, numpy={np.roll: lambda a, shift, axis=None: roll(a, shift, axis)},
    doc="Shift elements cyclically by ``shift`` along ``axis`` (flattened when None).\n\n"
        ">>> ad.roll(ad.tensor([1.0, 2.0, 3.0]), 1)\ntensor([3., 1., 2.])",
    x=("roll(g, -shift, axis)",
       lambda xp, g, ans, x, shift, axis=None: xp.roll(g, _negated(shift), axis)),
    shift=None, axis=None, aliases={"shifts": "shift", "dims": "axis"}, reads=())


def _shape(a):
    return a.shape if isinstance(a, Tensor) else np.shape(a)


@implements(np.moveaxis)
def moveaxis(a, source, destination) -> Tensor:
    """Move axes to new positions, the others keeping their order (``np.moveaxis``).

    >>> ad.moveaxis(ad.tensor(np.zeros((2, 3, 4))), 0, -1).shape
    (3, 4, 2)
    """
    ndim = len(_shape(a))
    try:
        source = normalize_axis_tuple(source, ndim, "source")
        destination = normalize_axis_tuple(destination, ndim, "destination")
    except ValueError as error:     # (AxisError too: a dim out of range)
        raise type(error)(f"moveaxis: {error} (source={source!r}, destination="
                          f"{destination!r}, for a {ndim}-D tensor); name each dim once, "
                          f"in [{-ndim}, {ndim})") from None
    if len(source) != len(destination):
        raise ValueError("moveaxis: `source` and `destination` arguments must have the "
                         "same number of elements")
    order = [n for n in range(ndim) if n not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return transpose(a, tuple(order))


@implements(np.rollaxis)
def rollaxis(a, axis: int, start: int = 0) -> Tensor:
    """Roll ``axis`` backwards until it lies before position ``start`` (``np.rollaxis``;
    ``moveaxis`` says the same more plainly).

    >>> ad.rollaxis(ad.tensor(np.zeros((2, 3, 4))), 2).shape
    (4, 2, 3)
    """
    n = len(_shape(a))
    axis = normalize_axis_index(axis, n)
    if start < 0:
        start += n
    if not 0 <= start < n + 1:
        raise np.exceptions.AxisError(
            f"rollaxis: 'start' arg requires {-n} <= start < {n + 1}, but {start} was passed in")
    if axis < start:
        start -= 1
    order = list(range(n))
    order.remove(axis)
    order.insert(start, axis)
    return transpose(a, tuple(order))


@implements(np.flipud)
def flipud(m) -> Tensor:
    """Reverse the rows (axis 0), as ``np.flipud``.

    >>> ad.flipud(ad.tensor([[1.0], [2.0]]))
    tensor([[2.],
            [1.]])
    """
    if len(_shape(m)) < 1:
        raise ValueError("flipud: input must be >= 1-d")
    return flip(m, 0)


@implements(np.fliplr)
def fliplr(m) -> Tensor:
    """Reverse the columns (axis 1), as ``np.fliplr``.

    >>> ad.fliplr(ad.tensor([[1.0, 2.0]]))
    tensor([[2., 1.]])
    """
    if len(_shape(m)) < 2:
        raise ValueError("fliplr: input must be >= 2-d")
    return flip(m, 1)


@implements(np.rot90)
def rot90(m, k: int = 1, axes=(0, 1), *, dims=None) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``, as ``np.rot90``
    (PyTorch's ``dims=`` names them too).

    >>> ad.rot90(ad.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([[2., 4.],
            [1., 3.]])
    """
    from ..argument_aliases import renamed_argument
    axes = tuple(renamed_argument("rot90", "axes", axes, (0, 1), "dims", dims))
    ndim = len(_shape(m))
    if len(axes) != 2:
        raise ValueError("rot90: len(axes) must be 2")
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == ndim:
        raise ValueError("rot90: axes must be different")
    if not all(-ndim <= a < ndim for a in axes):
        raise ValueError(f"rot90: axes={axes} out of range for a tensor of ndim={ndim}")
    k %= 4
    if k == 0:
        return m if isinstance(m, Tensor) else Tensor(m)
    if k == 2:
        return flip(flip(m, axes[0]), axes[1])
    order = list(range(ndim))
    order[axes[0]], order[axes[1]] = order[axes[1]], order[axes[0]]
    if k == 1:
        return transpose(flip(m, axes[1]), tuple(order))
    return flip(transpose(m, tuple(order)), axes[1])


@implements(np.ravel)
def ravel(a, order: str = "C") -> Tensor:
    """All elements as one axis, read in ``order`` ('C' rows first, 'F' columns first;
    'A' and 'K' follow the memory layout as in NumPy), as ``np.ravel``.

    >>> ad.ravel(ad.tensor([[1.0, 2.0], [3.0, 4.0]]), order="F")
    tensor([1., 3., 2., 4.])
    """
    data = a.data if isinstance(a, Tensor) else np.asarray(a)
    if order in ("A", "K"):
        if data.flags.c_contiguous or data.ndim <= 1:
            order = "C"
        elif data.flags.f_contiguous:
            order = "F"
        elif order == "A":
            order = "C"
        else:                             # memory order of a strided view: gather it
            return take(a, _keep_order_positions(data), axis=None)
    if order == "C":
        return flatten(a)
    if order == "F":
        return flatten(transpose(a))
    raise ValueError(f"ravel: order must be one of 'C', 'F', 'A', or 'K' (got {order!r})")


ravel.numpy_kwargs = ("order",)       # np.ravel(t, order=...) reaches ravel (see interop)


def _keep_order_positions(data):
    """The C-order positions of ``data``'s entries in the order ``np.ravel(data, 'K')``
    reads them.  That is NumPy's iterator order: a stable insertion sort of the axes
    by |stride| starting from the innermost, in which a zero stride (a broadcast axis,
    or one of length 1) compares with nothing, so it keeps its place.  Negative
    strides are not reversed."""
    strides = [0 if n == 1 else abs(s) for n, s in zip(data.shape, data.strides)]
    perm = list(range(data.ndim))[::-1]   # innermost first
    for i in range(1, len(perm)):
        axis, place = perm[i], i
        for j in range(i - 1, -1, -1):
            other = perm[j]
            if strides[axis] and strides[other]:
                if strides[other] <= strides[axis]:
                    break
                place = j
        perm.insert(place, perm.pop(i))
    return np.arange(data.size).reshape(data.shape).transpose(perm[::-1]).reshape(-1)


def _shifts(x, axes, sign):
    shape = _shape(x)
    if axes is None:
        axes = tuple(range(len(shape)))
    if isinstance(axes, (int, np.integer)):
        return sign * (shape[axes] // 2), axes
    return tuple(sign * (shape[ax] // 2) for ax in axes), tuple(axes)


@implements(np.fft.fftshift)
def fftshift(x, axes=None) -> Tensor:
    """Move the zero-frequency entry to the centre, as ``np.fft.fftshift`` (a roll).

    >>> ad.fftshift(ad.tensor([0.0, 1.0, 2.0, -2.0, -1.0]))
    tensor([-2., -1.,  0.,  1.,  2.])
    """
    shift, axes = _shifts(x, axes, 1)
    return roll(x, shift, axes)


@implements(np.fft.ifftshift)
def ifftshift(x, axes=None) -> Tensor:
    """The inverse of ``fftshift``, as ``np.fft.ifftshift``.

    >>> ad.ifftshift(ad.tensor([-2.0, -1.0, 0.0, 1.0, 2.0]))
    tensor([ 0.,  1.,  2., -2., -1.])
    """
    shift, axes = _shifts(x, axes, -1)
    return roll(x, shift, axes)



@implements(np.matrix_transpose)
def matrix_transpose(x) -> Tensor:
    """The last two axes swapped (each matrix of a stack transposed), as
    ``np.matrix_transpose``.

    >>> ad.matrix_transpose(ad.tensor(np.zeros((4, 2, 3)))).shape
    (4, 3, 2)
    """
    if np.ndim(x.data if isinstance(x, Tensor) else x) < 2:
        raise ValueError(f"matrix_transpose: needs at least 2 dimensions, got shape "
                         f"{np.shape(x.data if isinstance(x, Tensor) else x)}")
    return swapaxes(x, -1, -2)
