"""Selections built from recorded ops: ``np.compress``, ``np.extract``, ``np.choose`` and
``np.unstack`` on Tensors.

Which entries are picked comes from NumPy itself, run on index arrays, so its checks,
its error cases and (for ``choose``) its ``mode`` rules are NumPy's exactly; the picking
is then ``take``, ``where`` or indexing, whose gradients go to the picked entries (an
entry picked twice gets both gradients).  The condition, and ``choose``'s index
array, get no gradient.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..compile.refusals import refuse_while_tracing
from ..tensor import Tensor
from .elementwise import where
from .indexing import getitem, take
from .operands import array_of, tensor_of
from .reduce import reject_numpy_arguments
from .registry import implements
from .shape import broadcast_to

_normalize_axis = np.lib.array_utils.normalize_axis_index


def _axis(name, axis, ndim):
    try:
        return int(_normalize_axis(axis, ndim))
    except np.exceptions.AxisError as error:
        raise np.exceptions.AxisError(f"{name}: {error} (a tensor with {ndim} "
                                      "dimensions)") from None


@implements(np.compress)
def compress(condition, a, axis=None, out=None) -> Tensor:
    """The slices of ``a`` along ``axis`` (of ``a`` flattened when None) where the 1-D
    ``condition`` is true, as ``np.compress``; a shorter condition leaves out the rest.

    >>> a = ad.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    >>> rows = np.compress([True, False, True], a, axis=0)
    >>> rows.sum().backward(); rows, a.grad
    (tensor([[1., 2.],
            [5., 6.]], requires_grad=True), array([[1., 1.],
           [0., 0.],
           [1., 1.]]))
    """
    reject_numpy_arguments("compress", out=out)
    a = tensor_of(a)
    _refuse_array_condition("np.compress", condition)
    keep = array_of(condition)
    if axis is not None:
        axis = _axis("compress", axis, a.ndim)
    length = a.size if axis is None else a.shape[axis]
    try:
        picked = np.compress(keep, np.arange(length))      # NumPy's rules and checks
    except (ValueError, IndexError, TypeError) as error:
        raise type(error)(
            f"compress: {error} (condition of shape {keep.shape}, a of shape {a.shape}, "
            f"axis={axis}: the condition has one entry per "
            f"{'entry of a' if axis is None else 'slice along the axis'})") from None
    picked = made("compress positions", _compressed_positions, (_plain(condition), length))
    return take(a, picked, axis=axis)


def _plain(condition):
    """A condition as NumPy reads it (a list of Python bools stays a list: made of
    Python numbers, it is a constant of a compiled plan)."""
    return condition.data if isinstance(condition, Tensor) else condition


def _compressed_positions(condition, length):
    return np.compress(condition, np.arange(length))


def _flat_positions(condition):
    return np.nonzero(np.ravel(condition))[0]


def _refuse_array_condition(name, condition):
    """In a compiled trace, refuse a condition held in an array (a Tensor or ndarray):
    how many entries it selects is read from its values, which may differ at each call.
    A condition of Python bools is a constant (its positions are made again at each
    replay)."""
    if isinstance(condition, (Tensor, np.ndarray)):
        refuse_while_tracing(
            name, "how many entries it selects (the length of its result) is read from "
            "the condition's values", "Use ad.where(condition, x, 0) (and the "
            "condition's sum as a count), or call it outside the compiled function.")


@implements(np.extract)
def extract(condition, arr) -> Tensor:
    """The entries of ``arr`` where ``condition`` is true, both flattened, as
    ``np.extract``.

    >>> x = ad.tensor([[1.0, -2.0], [-3.0, 4.0]], requires_grad=True)
    >>> y = np.extract(x.data > 0, x)
    >>> (y * y).sum().backward(); y, x.grad
    (tensor([1., 4.], requires_grad=True), array([[2., 0.],
           [0., 8.]]))
    """
    arr = tensor_of(arr)
    _refuse_array_condition("np.extract", condition)
    keep = array_of(condition)
    picked = np.nonzero(np.ravel(keep))[0]
    if picked.size and picked[-1] >= arr.size:
        raise IndexError(
            f"extract: the condition (shape {keep.shape}) is true at flat position "
            f"{picked[-1]}, past the end of arr (shape {arr.shape}, {arr.size} entries); "
            "give a condition of arr's shape")
    picked = made("extract positions", _flat_positions, (_plain(condition),))
    return take(arr, picked, axis=None)


def _choice_list(choices):
    """``choices`` as a list of the arrays (or Tensors) to choose from."""
    if isinstance(choices, Tensor):
        if choices.ndim == 0:
            raise ValueError("choose: choices is a 0-d tensor; pass a sequence of arrays, "
                             "or a tensor whose first axis indexes the choices")
        return [choices[k] for k in range(choices.shape[0])]
    if isinstance(choices, np.ndarray):
        return list(choices) if choices.ndim else [choices]
    return list(choices)


@implements(np.choose)
def choose(a, choices, out=None, mode="raise") -> Tensor:
    """``choices[a[i]][i]`` at each position ``i`` of ``a`` broadcast with the choices, as
    ``np.choose`` (``mode`` 'raise', 'wrap' or 'clip' for out-of-range indices).  Each
    choice gets the gradient of the positions that chose it; ``a`` gets none.

    >>> x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = np.choose([0, 1, 0], [x, 10.0 * x])
    >>> y.sum().backward(); y, x.grad
    (tensor([ 1., 20.,  3.], requires_grad=True), array([ 1., 10.,  1.]))
    """
    reject_numpy_arguments("choose", out=out)
    index = array_of(a)
    options = _choice_list(choices)
    raw = [c.data if isinstance(c, Tensor) else c for c in options]   # (Python numbers: weak)
    try:
        expected = np.choose(index, raw, mode=mode)             # NumPy's checks and dtype
    except (ValueError, IndexError, TypeError) as error:
        shapes = ", ".join(str(np.shape(c)) for c in raw)
        raise type(error)(
            f"choose: {error} (a of shape {index.shape}, dtype {index.dtype}; "
            f"{len(raw)} choices of shapes {shapes}; mode={mode!r}). a holds, at each "
            "position, the number of the choice to take: integers in [0, number of "
            "choices), or any integers with mode='wrap' or 'clip'") from None
    # (a Tensor that a replay of ad.compile computes again from its own index)
    which = Tensor(made("choose positions", _choices_taken,
                        (index, len(raw), mode, expected.shape)))
    result = broadcast_to(tensor_of(options[0]), expected.shape)
    for k in range(1, len(options)):
        result = where(which == k, options[k], result)
    if result.dtype != expected.dtype:
        result = result.astype(expected.dtype)
    elif len(options) == 1:     # (a view of the one choice; np.choose gives a new array)
        result = result.copy()
    return result


def _choices_taken(index, n, mode, shape):
    """Which choice ``np.choose`` takes at each position, broadcast to ``shape``."""
    return np.broadcast_to(np.choose(index, [np.array(k) for k in range(n)], mode=mode),
                           shape)


def unstack(x, /, *, axis=0) -> tuple:
    """The slices of ``x`` along ``axis``, as a tuple of Tensors (``np.unstack``, the
    inverse of ``np.stack``).

    >>> a, b = ad.unstack(ad.tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1)
    >>> a, b
    (tensor([1., 3.]), tensor([2., 4.]))
    """
    x = tensor_of(x)
    if x.ndim == 0:
        raise ValueError("unstack: the input must be at least 1-d, got a 0-d tensor "
                         "(as NumPy)")
    axis = _axis("unstack", axis, x.ndim)
    before = (slice(None),) * axis
    return tuple(getitem(x, before + (i,)) for i in range(x.shape[axis]))


if hasattr(np, "unstack"):                  # NumPy 2.1 and later
    implements(np.unstack)(unstack)
