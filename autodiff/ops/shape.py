"""Shape ops: they move or regroup elements; their rules move the gradient back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from .. import kernels as _kernels
from .namespace import xp_function
from .reduce import reject_numpy_arguments
from .registry import defop, defop_joint, implements, implements_without_gradient

if TYPE_CHECKING:
    from ..tensor import Tensor


_add_reduce = np.add.reduce


def sum_to_array(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``x`` over the axes that broadcasting added or stretched, giving ``shape``."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    if lead < 0:
        raise ValueError(f"sum_to: cannot sum shape {x.shape} to the larger shape {shape}")
    if lead and x.shape[lead:] == shape:
        # Only leading axes were added (a bias's gradient): the same reduction, without
        # keepdims and a reshape, so the result is a fresh array of its own (base None)
        # that a leaf's .grad can take without a copy.
        # (np.add.reduce is what ndarray.sum calls, without the method's argument
        # parsing: the same bits, tests/test_eager_fast_paths.py)
        if type(x) is np.ndarray:
            if lead == 1 and x.ndim == 2:   # (the same bits in one compiled call)
                return _kernels.sum_rows(x)
            return _add_reduce(x, 0 if lead == 1 else tuple(range(lead)))
        return np.sum(x, axis=tuple(range(lead)))
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    if axes:
        x = np.sum(x, axis=axes, keepdims=True)
    return x.reshape(shape)


def _reshape_numpy(a, shape=None, order="C", *, newshape=None, copy=None):
    reject_numpy_arguments("reshape", order=None if order in ("C", "F") else order)
    shape = shape if shape is not None else newshape
    if copy is False:       # NumPy's ValueError when the new shape needs a copy
        np.reshape(getattr(a, "data", a), shape, order=order, copy=False)
    result = reshape_in_order(a, shape, order)
    return result.copy(order=order) if copy else result     # (copy=True: in that order)


_reshape_numpy.numpy_kwargs = ("order", "copy")     # (interop refuses them otherwise)


def reshape_in_order(a, shape, order="C"):
    """``np.reshape(a, shape, order=order)`` for order 'C' or 'F' (Fortran order: the
    first index changes fastest), recorded.

    >>> np.reshape(ad.tensor([1.0, 2.0, 3.0, 4.0]), (2, 2), order="F")
    tensor([[1., 3.],
            [2., 4.]])
    """
    if order == "C":
        return reshape(a, shape)
    if order != "F":
        raise TypeError(f"reshape: order={order!r} is not supported; use 'C' or 'F'")
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    # Fortran order is C order on the axes reversed
    return transpose(reshape(transpose(a), shape[::-1]))


reshape = defop(
    "reshape", np.reshape, numpy={np.reshape: _reshape_numpy}, adds_axis=True,
    doc="Same elements, new shape (one dimension may be -1).\n\n"
        ">>> ad.reshape(ad.tensor([1.0, 2.0, 3.0, 4.0]), (2, 2)).shape\n(2, 2)",
    hint="the new shape must have the same number of elements",
    x=("reshape(g, x.shape)", lambda xp, g, ans, x, shape: xp.reshape(g, x.shape)),
    shape=None, reads=())


def _axes_one_by_one(axes) -> TypeError:
    error = TypeError(
        f"transpose: got the axes {axes} one by one; ad.transpose(x, dim0, dim1) is "
        "PyTorch's swap of two axes, and NumPy's takes a permutation of all axes as one "
        "tuple (ad.transpose(x, (1, 0, 2))); ad.swapaxes(x, a, b) swaps two")
    error._autodiff_explained = True
    return error


def _transpose_forward(x, axes=None, *more):
    if more:
        raise _axes_one_by_one((axes, *more))
    return np.transpose(x, axes)


def _transpose_two_dims(x, *dims):
    """``ad.transpose(x, dim0, dim1)``: PyTorch's swap of two axes.  NumPy's transpose
    takes the axes as one argument, so no NumPy call reads this one otherwise."""
    if len(dims) != 2:
        raise _axes_one_by_one(dims)
    for position, d in enumerate(dims):
        if not isinstance(d, (int, np.integer)) or isinstance(d, (bool, np.bool_)):
            raise TypeError(f"transpose: dim{position} must be an int, got "
                            f"{type(d).__name__} {d!r} (as PyTorch's transpose(x, dim0, "
                            "dim1)); NumPy's transpose takes a permutation of all axes as "
                            "one tuple, ad.transpose(x, (1, 0, 2))")
    ndim = np.ndim(x.data if hasattr(x, "data") else x)
    order = list(range(ndim))
    for d in dims:
        if not -(ndim or 1) <= d < (ndim or 1):
            raise IndexError(f"transpose: dim {d} is out of range for a {ndim}-D tensor; "
                             f"use dims in [{-(ndim or 1)}, {ndim or 1})")
    if ndim == 0:
        return transpose(x)
    a, b = (int(d) % ndim for d in dims)
    order[a], order[b] = order[b], order[a]
    return transpose(x, tuple(order))


def _transpose_rule(xp, g, ans, x, axes=None):
    if axes is None:
        return xp.transpose(g)
    inverse = tuple(np.argsort([a % x.ndim for a in axes]))
    return xp.transpose(g, inverse)


transpose = defop(
    "transpose", _transpose_forward, numpy=np.transpose, adds_axis=True,
    doc="Permute axes (reverse them when ``axes`` is None).\n\n"
        ">>> ad.transpose(ad.tensor([[1.0, 2.0]])).shape\n(2, 1)",
    x=("transpose(g, inverse(axes))", _transpose_rule), axes=None, reads=(),
    torch_by_position=_transpose_two_dims)
transpose.torch_by_position_types = (int, np.integer)


def _swapaxes_forward(x, axis1, axis2):
    # An array's own method: np.swapaxes's Python wrapper costs more than the swap, and
    # the matmul rules call it on every backward.
    return x.swapaxes(axis1, axis2) if type(x) is np.ndarray else np.swapaxes(x, axis1, axis2)


swapaxes = defop(
    "swapaxes", _swapaxes_forward, numpy=np.swapaxes, adds_axis=True,
    doc="Exchange two axes.\n\n>>> ad.swapaxes(ad.tensor(np.zeros((2, 3))), 0, 1).shape\n(3, 2)",
    x=("swapaxes(g, axis1, axis2)",
       lambda xp, g, ans, x, axis1, axis2: xp.swapaxes(g, axis1, axis2)),
    axis1=None, axis2=None, reads=())

expand_dims = defop(
    "expand_dims", np.expand_dims, numpy=np.expand_dims, adds_axis=True,
    doc="Insert a size-1 axis.\n\n>>> ad.expand_dims(ad.tensor([1.0, 2.0]), 0).shape\n(1, 2)",
    x=("reshape(g, x.shape)", lambda xp, g, ans, x, axis: xp.reshape(g, x.shape)), axis=None,
    reads=())


def _squeeze_forward(x, axis=None):
    return np.squeeze(x, axis)


def _squeeze_dims(input, axis=None, *, dim):
    """``torch.squeeze(x, dim=...)``: the method's reading of ``dim`` (an int or a tuple,
    each of size 1)."""
    from .operands import tensor_of
    if axis is not None:
        raise TypeError(f"squeeze: got both axis={axis!r} and dim={dim!r}; they are the "
                        "same argument (NumPy's and PyTorch's name), pass one")
    return tensor_of(input).squeeze(dim=dim)


squeeze = defop(
    "squeeze", _squeeze_forward, numpy=np.squeeze,
    doc="Remove size-1 axes (those named by ``axis``, or PyTorch's ``dim=``).\n\n"
        ">>> ad.squeeze(ad.tensor([[1.0, 2.0]])).shape\n(2,)",
    x=("reshape(g, x.shape)", lambda xp, g, ans, x, axis=None: xp.reshape(g, x.shape)),
    axis=None, reads=(), torch_keywords=(frozenset({"dim"}), _squeeze_dims))


def _flatten_forward(x, start_dim=0, end_dim=-1):
    if (start_dim, end_dim) in ((0, -1), (0, x.ndim - 1)):
        return np.reshape(x, -1)
    n = x.ndim or 1          # (a 0-d input flattens to one element, as in PyTorch)
    for d in (start_dim, end_dim):
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or not -n <= d < n:
            raise IndexError(f"flatten: dim {d!r} is out of range for a tensor of shape "
                             f"{x.shape}; use ints in [{-n}, {n})")
    start, end = start_dim % n, end_dim % n
    if start > end:
        raise ValueError(f"flatten: start_dim={start_dim} comes after end_dim={end_dim} "
                         f"for a tensor of shape {x.shape}")
    return np.reshape(x, x.shape[:start] + (-1,) + x.shape[end + 1:])


flatten = defop(
    "flatten", _flatten_forward,
    doc="The axes from ``start_dim`` to ``end_dim`` as one axis (all of them by default), "
        "as ``torch.flatten``.\n\n>>> ad.flatten(ad.tensor(np.zeros((2, 3)))).shape\n(6,)\n"
        ">>> ad.flatten(ad.zeros(2, 3, 4), 1).shape\n(2, 12)",
    x=("reshape(g, x.shape)",
       lambda xp, g, ans, x, start_dim=0, end_dim=-1: xp.reshape(g, x.shape)),
    start_dim=None, end_dim=None, reads=())

broadcast_to = defop(
    "broadcast_to", np.broadcast_to, adds_axis=True,
    numpy={np.broadcast_to: lambda array, shape: broadcast_to(array, shape)},
    doc="Repeat along size-1 (or new leading) axes to reach ``shape``.\n\n"
        ">>> ad.broadcast_to(ad.tensor([1.0, 2.0]), (3, 2)).shape\n(3, 2)",
    hint="each axis must be 1 or equal to the target, counting from the right",
    x=("sum_to(g, x.shape)", lambda xp, g, ans, x, shape: xp.sum_to(g, x.shape)),
    shape=None, reads=())

sum_to = defop(
    "sum_to", sum_to_array,
    doc="Sum over broadcast axes down to ``shape`` (the adjoint of broadcast_to).\n\n"
        ">>> ad.sum_to(ad.tensor(np.ones((3, 2))), (1, 2))\ntensor([[3., 3.]])",
    x=("broadcast_to(g, x.shape)", lambda xp, g, ans, x, shape: xp.broadcast_to(g, x.shape)),
    shape=None, reads=())


def _split_points(sizes):
    ends = np.cumsum(sizes)
    return zip(ends - np.asarray(sizes), ends)


def _concatenate_joint(xp, g, ans, needs, *parts, axis=0):
    if axis is None:                      # NumPy joined the inputs flattened
        return [xp.reshape(g[int(start):int(stop)], part.shape) if need else None
                for need, (start, stop), part in zip(needs, _split_points(
                    [part.size for part in parts]), parts)]
    axis = axis % ans.ndim
    grads = []
    for need, (start, stop), part in zip(needs, _split_points([p.shape[axis] for p in parts]),
                                         parts):
        key = (slice(None),) * axis + (slice(int(start), int(stop)),)
        grads.append(g[key] if need else None)
    return grads


class _DefaultAxis(int):
    """NumPy's default ``axis=0``, told apart from an ``axis=0`` the caller wrote, so
    that ``axis=0, dim=1`` is refused instead of taking one of the two."""


_AXIS_0 = _DefaultAxis(0)


def _dim_alias(where: str, axis: int, dim: int | None) -> int:
    """PyTorch's ``dim=`` for NumPy's ``axis=`` (NumPy's default axis is 0 here)."""
    if dim is None:
        return int(axis) if axis is _AXIS_0 else axis
    if axis is not _AXIS_0:
        raise TypeError(f"{where}: got both axis={axis!r} and dim={dim!r}; they are the "
                        "same argument, pass one")
    return dim


def _concatenate_forward(*parts, axis=0):
    return np.concatenate(parts, axis=axis)


_concatenate = defop_joint(
    "concatenate", _concatenate_forward, "each input gets its slice of g along axis",
    _concatenate_joint, hint="all inputs need the same shape except along axis, the one they are "
    "joined on (axis= / dim=); reshape or slice the ones that differ",
    reads=())


def in_join_dtype(name: str, parts: Sequence, dtype=None, casting="same_kind") -> list:
    """The arrays that ``np.concatenate`` and the other joins take with ``dtype=`` and
    ``casting=``: NumPy checks the casting (on empty arrays of the parts' dtypes, with
    NumPy's error) and each part is cast to the result's dtype, on the tape for a
    Tensor; as given when neither is passed.

    >>> [p.dtype for p in in_join_dtype("stack", [ad.tensor([1.0]), np.ones(1)], "float32")]
    [dtype('float32'), dtype('float32')]
    """
    from ..tensor import Tensor
    from .elementwise import astype
    from .operands import tensor_of
    parts = list(parts)
    if dtype is None and casting == "same_kind":
        return parts
    dtypes = [p.dtype if isinstance(p, Tensor) else np.result_type(p) for p in parts]
    try:
        target = np.concatenate([np.empty(0, d) for d in dtypes], dtype=dtype,
                                casting=casting).dtype
    except TypeError as error:
        raise TypeError(f"{name}: {error}") from None
    if dtype is None:
        return parts
    if target.kind != "f" and any(isinstance(p, Tensor) and p.requires_grad for p in parts):
        raise TypeError(f"{name}: dtype={target} would join Tensors that require grad as "
                        f"{target}, where no gradient flows; cast them explicitly "
                        "(ad.astype(t, ...)) or join t.detach()")
    return [astype(tensor_of(p), target) for p in parts]


def _into(join, name, tensors, axis, dim, dtype, casting, out):
    """``join(tensors, ..., out=out)``: the result written into the Tensor ``out`` by the
    in-place rules (NumPy's and PyTorch's ``out=``); returns ``out``."""
    from ..out_arguments import call_into       # (it imports the tensor module)
    return call_into(join, name, (tensors, axis),
                     {"dim": dim, "dtype": dtype, "casting": casting, "out": out})


@implements(np.concatenate)
def concatenate(tensors: Sequence, axis: int = _AXIS_0, out=None, *,
                dim: int | None = None, dtype=None, casting: str = "same_kind") -> Tensor:
    """Join tensors along an existing axis; NumPy's ``dtype=`` casts the inputs first.
    ``out=`` a Tensor receives the result.

    >>> ad.concatenate([ad.tensor([1.0]), ad.tensor([2.0, 3.0])])
    tensor([1., 2., 3.])
    """
    if out is not None:
        return _into(concatenate, "concatenate", tensors, axis, dim, dtype, casting, out)
    tensors = in_join_dtype("concatenate", tensors, dtype, casting)
    return _concatenate(*tensors, axis=_dim_alias("concatenate", axis, dim))


concatenate.numpy_kwargs = ("dtype", "casting")      # (interop refuses them otherwise)


def _stack_joint(xp, g, ans, needs, *parts, axis=0):
    axis = axis % ans.ndim
    return [g[(slice(None),) * axis + (i,)] if need else None for i, need in enumerate(needs)]


def _stack_forward(*parts, axis=0):
    return np.stack(parts, axis=axis)


_stack = defop_joint("stack", _stack_forward, "input i gets g[..., i, ...] along axis",
                     _stack_joint, hint="all inputs need the same shape", reads=())


@implements(np.stack)
def stack(tensors: Sequence, axis: int = _AXIS_0, out=None, *, dim: int | None = None,
          dtype=None, casting: str = "same_kind") -> Tensor:
    """Join same-shaped tensors along a new axis; NumPy's ``dtype=`` casts the inputs
    first.  ``out=`` a Tensor receives the result.

    >>> ad.stack([ad.tensor([1.0, 2.0]), ad.tensor([3.0, 4.0])]).shape
    (2, 2)
    """
    if out is not None:
        return _into(stack, "stack", tensors, axis, dim, dtype, casting, out)
    tensors = in_join_dtype("stack", tensors, dtype, casting)
    return _stack(*tensors, axis=_dim_alias("stack", axis, dim))


stack.numpy_kwargs = ("dtype", "casting")      # (interop refuses them otherwise)


def _parts(parts):
    """The arrays a rule's ``xp.concatenate`` / ``xp.stack`` joins: given one by one
    (``xp.concatenate(a, b, axis=-1)``, the ops' own form) or as NumPy takes them, one
    list or tuple (``xp.concatenate([a, b])``, which would otherwise be one part)."""
    if len(parts) == 1 and isinstance(parts[0], (list, tuple)):
        return tuple(parts[0])
    return parts


xp_function("concatenate",
            lambda *parts, axis=0: np.concatenate(_parts(parts), axis=axis),
            lambda *parts, axis=0: _concatenate(*_parts(parts), axis=axis))
xp_function("stack",
            lambda *parts, axis=0: np.stack(_parts(parts), axis=axis),
            lambda *parts, axis=0: _stack(*_parts(parts), axis=axis))


def array(nested, dtype=None):
    """A Tensor from nested lists that mix Tensors and numbers, recorded on the tape
    (``np.array`` would silently drop the Tensors' gradients).

    >>> x = ad.tensor(2.0, requires_grad=True)
    >>> a = ad.array([[x, 1.0], [3.0, x * x]])
    >>> a.sum().backward(); x.grad
    array(5.)
    """
    from ..tensor import Tensor
    from .registry import holds_tensor

    if isinstance(nested, Tensor):
        result = nested
    elif isinstance(nested, (list, tuple)) and holds_tensor(nested):
        result = stack([array(item) for item in nested])
    else:
        return Tensor(nested, dtype=dtype)
    return result if dtype is None else result.astype(dtype)


@implements(np.split)
def split(x, indices_or_sections: int | Sequence[int], axis: int = _AXIS_0, *,
          dim: int | None = None) -> list[Tensor]:
    """Split into a list of tensors, like ``np.split`` (each piece is a slice of x).

    With ``dim=`` too, the second argument keeps NumPy's meaning, a number of equal
    sections or a list of split indices, not PyTorch's (a section size or a list of
    sizes): ``ad.split(x, 3, dim=1)`` gives three pieces, ``torch.split(x, 3, dim=1)``
    pieces of size 3; where the two differ, a ``ConventionWarning`` says so at the
    caller's line (``x.split(3, dim=1)`` is PyTorch's; ``axis=1`` NumPy's, silent).

    >>> [p.shape for p in ad.split(ad.tensor(np.zeros(6)), 3)]
    [(2,), (2,), (2,)]
    """
    from .indexing import getitem

    axis = _dim_alias("split", axis, dim)
    shape = np.shape(x)
    ndim = len(shape)
    if not -ndim <= axis < ndim:
        raise ValueError(f"split: axis {axis} is out of range for a tensor of shape {shape}")
    axis %= ndim
    n = shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0 or n % sections:
            torch_hint = (f" (torch.split's pieces of size {sections} are "
                          f"x.split({sections}, dim={dim}))" if dim is not None else "")
            raise ValueError(
                f"split: an axis of size {n} cannot be split into {sections} equal parts; "
                f"pass a list of split indices instead{torch_hint}")
        bounds = [i * (n // sections) for i in range(sections + 1)]
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    if dim is not None:     # PyTorch's spelling, NumPy's meaning
        from ..conventions import warn_of_numpy_split
        warn_of_numpy_split(indices_or_sections, dim, n)
    # plain slices, as NumPy takes them: negative indices count from the end, and a
    # point below the previous one gives an empty piece
    return [getitem(x, (slice(None),) * axis + (slice(start, stop),))
            for start, stop in zip(bounds[:-1], bounds[1:])]


def split_spelled(x, indices_or_sections, *axis, **keywords) -> list[Tensor]:
    """``ad.split``: ``split``, NumPy's ``np.split``; an axis given by position, which
    ``torch.split(x, split_size, dim)`` spells the same, warns (``ConventionWarning``)
    where PyTorch's reading, pieces of that size, would cut otherwise.

    >>> [p.shape for p in ad.split(ad.zeros(6), 3, axis=0)]
    [(2,), (2,), (2,)]
    """
    pieces = split(x, indices_or_sections, *axis, **keywords)
    if axis:
        from ..conventions import warn_of_numpy_split
        dim = int(axis[0])
        warn_of_numpy_split(indices_or_sections, dim, np.shape(x)[dim], by_position=True)
    return pieces


implements_without_gradient(np.shape, np.ndim, np.size, np.result_type)
