"""Products beyond matmul: inner, outer, tensordot, kron and cross, as NumPy defines them.

``tensordot``, ``inner`` and ``dot_nd`` (``np.dot`` beyond 2-D) are primitives (their
forward is NumPy's own function, and their VJPs are tensordots again); ``outer``,
``kron`` and ``cross`` are built from other ops in exactly the arithmetic NumPy uses,
so their forwards agree with NumPy's bit for bit and their gradients come from the ops
they are made of.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..tensor import Tensor
from .registry import defop, implements


def as_operand(x):
    """Tensors as they are, anything else as an ndarray (rules read ``.ndim``)."""
    return x if isinstance(x, Tensor) else np.asarray(x)


def normalize_tensordot_axes(axes, ndim_a: int, ndim_b: int):
    """NumPy's ``axes`` forms (an int N, a pair of ints, a pair of sequences) as two
    lists of non-negative axes."""
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0:
            raise ValueError(f"tensordot: axes={n} must not be negative")
        axes_a, axes_b = list(range(ndim_a - n, ndim_a)), list(range(n))
    else:
        try:
            axes_a, axes_b = axes
        except (TypeError, ValueError):
            raise ValueError(f"tensordot: axes must be an int or a pair (axes_a, axes_b), "
                             f"not {axes!r}") from None
        axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    if len(axes_a) != len(axes_b):
        raise ValueError(f"tensordot: axes_a {axes_a} and axes_b {axes_b} must have the "
                         "same length")
    for axis, ndim, which in [(k, ndim_a, "a") for k in axes_a] + [(k, ndim_b, "b")
                                                                 for k in axes_b]:
        if not -ndim <= axis < ndim:
            raise ValueError(f"tensordot: axis {axis} is out of range for {which}, which "
                             f"has {ndim} dimensions")
    return [int(k) % ndim_a for k in axes_a], [int(k) % ndim_b for k in axes_b]


def _tensordot_forward(a, b, axes=2):
    return np.tensordot(a, b, axes)


def _inverse(order):
    return tuple(int(k) for k in np.argsort(order))


def _tensordot_grad_a(xp, g, ans, a, b, axes=2):
    axes_a, axes_b = normalize_tensordot_axes(axes, a.ndim, b.ndim)
    free_a = [k for k in range(a.ndim) if k not in axes_a]
    free_b = [k for k in range(b.ndim) if k not in axes_b]
    # g @ b over b's free axes leaves a's free axes, then b's contracted axes in b's order
    part = xp.tensordot(g, b, (list(range(len(free_a), g.ndim)), free_b))
    order = free_a + [axes_a[axes_b.index(k)] for k in sorted(axes_b)]
    return xp.transpose(part, _inverse(order))


def _tensordot_grad_b(xp, g, ans, a, b, axes=2):
    axes_a, axes_b = normalize_tensordot_axes(axes, a.ndim, b.ndim)
    free_a = [k for k in range(a.ndim) if k not in axes_a]
    free_b = [k for k in range(b.ndim) if k not in axes_b]
    part = xp.tensordot(a, g, (free_a, list(range(len(free_a)))))
    order = [axes_b[axes_a.index(k)] for k in sorted(axes_a)] + free_b
    return xp.transpose(part, _inverse(order))


_tensordot = defop(
    "tensordot", _tensordot_forward,
    doc="np.tensordot's primitive (axes in normal form); call ad.tensordot",
    hint="the contracted axes of a and b must have equal lengths", multilinear=True,
    a=("tensordot(g, b, (b's free axes of g, b's free axes)), axes put back in a's order",
       _tensordot_grad_a),
    b=("tensordot(a, g, (a's free axes, a's free axes of g)), axes put back in b's order",
       _tensordot_grad_b))


@implements(np.tensordot)
def tensordot(a, b, axes=2, *, dims=None) -> Tensor:
    """``np.tensordot``: sum products over the given axes of a and b (``dims=`` is
    PyTorch's name for ``axes``).

    ``axes`` is an int N (the last N axes of a with the first N of b), a pair of ints,
    or a pair of sequences of axes.

    >>> a = ad.tensor(np.arange(6.0).reshape(2, 3))
    >>> ad.tensordot(a, ad.tensor(np.ones((3, 4))), axes=1).shape
    (2, 4)
    >>> ad.tensordot(a, a, axes=([0, 1], [0, 1]))
    tensor(55.)
    """
    if dims is not None:
        if axes != 2:
            raise TypeError(f"tensordot: got both axes={axes!r} and dims={dims!r}; they are "
                            "the same argument (NumPy's and PyTorch's name), pass one")
        axes = dims
    a, b = as_operand(a), as_operand(b)
    normalize_tensordot_axes(axes, a.ndim, b.ndim)   # an early, clear error
    if isinstance(axes, (int, np.integer)):
        axes = int(axes)
    else:                                 # hashable, plain ints: the form saved on the tape
        first, second = axes
        axes = (tuple(np.atleast_1d(first).tolist()), tuple(np.atleast_1d(second).tolist()))
    return _tensordot(a, b, axes=axes)


def _dot_axes(a, b):
    """np.dot's contraction as tensordot axes: a's last axis with b's second-to-last
    (its only one when 1-D); the result's axes are laid out as tensordot's."""
    return (a.ndim - 1,), (max(b.ndim - 2, 0),)


_dot_nd = defop(
    "dot_nd", np.dot,
    doc="np.dot of operands one of which has more than 2 axes: NumPy's own products "
        "(one inner product per output element), so its values are NumPy's bit for bit; "
        "call ad.dot\n\n"
        ">>> ad.dot(ad.tensor(np.ones((2, 1, 3))), ad.tensor(np.ones((3, 2)))).shape\n"
        "(2, 1, 2)",
    hint="dot needs the last axis of a as long as the second-to-last of b",
    a=("tensordot's rule for a over a's last and b's second-to-last axes",
       lambda xp, g, ans, a, b: _tensordot_grad_a(xp, g, ans, a, b, _dot_axes(a, b))),
    b=("tensordot's rule for b over a's last and b's second-to-last axes",
       lambda xp, g, ans, a, b: _tensordot_grad_b(xp, g, ans, a, b, _dot_axes(a, b))))


def _inner_grad_a(xp, g, ans, a, b):
    lead_a = a.ndim - 1
    return xp.tensordot(g, b, (list(range(lead_a, g.ndim)), list(range(b.ndim - 1))))


def _inner_grad_b(xp, g, ans, a, b):
    lead_a = a.ndim - 1
    return xp.tensordot(g, a, (list(range(lead_a)), list(range(lead_a))))


_inner = defop(
    "inner", np.inner, doc="np.inner for inputs of at least 1 dimension; call ad.inner",
    hint="inner needs the last axes of a and b to have the same length", multilinear=True,
    a=("tensordot(g, b) over b's leading axes", _inner_grad_a),
    b=("tensordot(g, a) over a's leading axes", _inner_grad_b))


@implements(np.inner)
def inner(a, b) -> Tensor:
    """``np.inner``: sum of products over the last axes (a product when one is 0-d).

    >>> ad.inner(ad.tensor([1.0, 2.0]), ad.tensor([3.0, 4.0]))
    tensor(11.)
    >>> ad.inner(ad.tensor(np.ones((2, 3))), ad.tensor(np.ones((4, 3)))).shape
    (2, 4)
    """
    from .elementwise import multiply

    a, b = as_operand(a), as_operand(b)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    return _inner(a, b)


@implements(np.outer)
def outer(a, b) -> Tensor:
    """``np.outer``: every element of ``a`` (flattened) times every element of ``b``.

    >>> ad.outer(ad.tensor([1.0, 2.0]), ad.tensor([1.0, 10.0, 100.0]))
    tensor([[  1.,  10., 100.],
            [  2.,  20., 200.]])
    """
    from .elementwise import multiply
    from .shape import reshape

    return multiply(reshape(a, (-1, 1)), reshape(b, (1, -1)))


@implements(np.kron)
def kron(a, b) -> Tensor:
    """``np.kron``: the Kronecker product (blocks ``a[i, j] * b``), for any dimensions.

    >>> ad.kron(ad.tensor(np.eye(2)), ad.tensor([[1.0, 2.0]]))
    tensor([[1., 2., 0., 0.],
            [0., 0., 1., 2.]])
    """
    from .elementwise import multiply
    from .operands import as_numpy_converts
    from .shape import reshape

    shape_a, shape_b = np.shape(a), np.shape(b)
    if not shape_a or not shape_b:
        return multiply(as_numpy_converts(a), as_numpy_converts(b))
    nd = max(len(shape_a), len(shape_b))
    shape_a = (1,) * (nd - len(shape_a)) + shape_a
    shape_b = (1,) * (nd - len(shape_b)) + shape_b
    # a as (a0, 1, a1, 1, ...) times b as (1, b0, 1, b1, ...), then merge each pair
    spread_a = reshape(a, tuple(k for n in shape_a for k in (n, 1)))
    spread_b = reshape(b, tuple(k for n in shape_b for k in (1, n)))
    product = multiply(spread_a, spread_b)
    return reshape(product, tuple(m * n for m, n in zip(shape_a, shape_b)))


def _operand(x):
    """A Tensor as it is, a list that holds Tensors recorded, anything else an array
    (composites index their operands)."""
    from .registry import from_nested, holds_tensor

    if isinstance(x, Tensor):
        return x
    if isinstance(x, (list, tuple)) and holds_tensor(x):
        return from_nested(x)
    return np.asarray(x)


def moveaxis_last(x, axis):
    """Move one axis of ``x`` to the end (through a recorded transpose)."""
    from .shape import transpose

    ndim = np.ndim(x)
    axis %= ndim
    if axis == ndim - 1:
        return x
    return transpose(x, tuple(k for k in range(ndim) if k != axis) + (axis,))


def _check_axis(axis, ndim, name):
    if not isinstance(axis, (int, np.integer)) or not -ndim <= axis < ndim:
        raise ValueError(f"cross: {name}={axis!r} is out of bounds for an array of "
                         f"dimension {ndim}")
    return int(axis) % ndim


@implements(np.cross)
def cross(a, b, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """``np.cross``: the cross product of 3-vectors (2-vectors: deprecated by NumPy).

    The vectors lie along ``axisa``/``axisb``, the result along ``axisc``; ``axis``
    (PyTorch's ``dim``) sets all three.

    >>> ad.cross(ad.tensor([1.0, 0.0, 0.0]), ad.tensor([0.0, 1.0, 0.0]))
    tensor([0., 0., 1.])
    """
    from .elementwise import multiply, negative, subtract
    from .shape import stack, transpose

    if dim is not None:
        if axis is not None:
            raise TypeError(f"cross: got both axis={axis!r} and dim={dim!r}; they are the "
                            "same argument (NumPy's and PyTorch's name), pass one")
        axis = dim
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _operand(a), _operand(b)
    nda, ndb = np.ndim(a), np.ndim(b)
    if nda < 1 or ndb < 1:
        raise ValueError("cross: at least one array has zero dimension")
    a = moveaxis_last(a, _check_axis(axisa, nda, "axisa"))
    b = moveaxis_last(b, _check_axis(axisb, ndb, "axisb"))
    na, nb = np.shape(a)[-1], np.shape(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(f"cross: incompatible dimensions for cross product: vectors of "
                         f"length {na} and {nb} (each must be 2 or 3)")
    if na == 2 or nb == 2:
        warnings.warn("Arrays of 2-dimensional vectors are deprecated. Use arrays of "
                      "3-dimensional vectors instead. (deprecated in NumPy 2.0)",
                      DeprecationWarning, stacklevel=2)
    a0, a1, b0, b1 = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    z = subtract(multiply(a0, b1), multiply(a1, b0))
    if na == 2 and nb == 2:
        return z
    # The same products as NumPy's, with the missing third component taken as 0
    if na == 3 and nb == 3:
        a2, b2 = a[..., 2], b[..., 2]
        x = subtract(multiply(a1, b2), multiply(a2, b1))
        y = subtract(multiply(a2, b0), multiply(a0, b2))
    elif na == 2:
        b2 = b[..., 2]
        x, y = multiply(a1, b2), negative(multiply(a0, b2))
    else:
        a2 = a[..., 2]
        x, y = negative(multiply(a2, b1)), multiply(a2, b0)
    result = stack([x, y, z], axis=-1)
    ndim = np.ndim(result)
    axisc = _check_axis(axisc, ndim, "axisc")
    if axisc == ndim - 1:
        return result
    order = list(range(ndim - 1))
    order.insert(axisc, ndim - 1)
    return transpose(result, tuple(order))


@implements(np.linalg.tensordot)
def _linalg_tensordot(x1, x2, /, *, axes=2):
    """``tensordot`` (the array-API spelling, ``axes`` by keyword)."""
    return tensordot(x1, x2, axes)


@implements(np.linalg.outer)
def _linalg_outer(x1, x2, /):
    """``outer`` of two 1-D inputs (other dimensions raise, as in NumPy)."""
    if np.ndim(x1) != 1 or np.ndim(x2) != 1:
        raise ValueError(f"numpy.linalg.outer: input arrays must be one-dimensional, but "
                         f"they have {np.ndim(x1)} and {np.ndim(x2)} dimensions")
    return outer(x1, x2)


@implements(np.linalg.cross)
def _linalg_cross(x1, x2, /, *, axis=-1):
    """``cross`` of 3-vectors along ``axis`` (2-vectors raise, as in NumPy)."""
    if np.shape(x1)[axis] != 3 or np.shape(x2)[axis] != 3:
        raise ValueError(f"numpy.linalg.cross: both inputs must be (arrays of) 3-vectors, "
                         f"but they have {np.shape(x1)[axis]} and {np.shape(x2)[axis]} "
                         "components")
    return cross(x1, x2, axis=axis)
