"""``np.r_[...]`` and ``np.c_[...]`` with Tensors among the items, recorded on the tape.

NumPy's ``AxisConcatenator.__getitem__`` makes an ndarray of each item with
``np.array`` (written in C: a Tensor is converted, not asked) before joining them, so
the Tensors' gradients were lost there.  ``install`` (run when ``autodiff`` is
imported) gives the two objects ``np.r_`` and ``np.c_`` a subclass of their own
class whose ``__getitem__`` takes the same steps with functions a Tensor takes:
slices become ``np.arange`` / ``np.linspace`` constants, numbers take part in the
result's dtype as NumPy's weak scalars, each piece gets ``ndmin`` dimensions (placed
by ``trans1d``), is cast to the common dtype and ``np.concatenate`` joins them.  A key
without Tensors goes to NumPy's own code, unchanged.  Only ``np.r_`` and ``np.c_``
change: NumPy's classes, and ``np.ma.mr_``, stay as they are.

>>> t = ad.tensor([1.0, 2.0], requires_grad=True)
>>> np.r_[t, 0:2, 5.0]
tensor([1., 2., 0., 1., 5.], requires_grad=True)
>>> np.c_[t, t].shape
(2, 2)
"""

from __future__ import annotations

import sys

import numpy as np

from .compile.hooks import made
from .ops.operands import from_nested, holds_tensor
from .tensor import Tensor


class _JoinsTensors:
    """``__getitem__`` that records a join of Tensors; NumPy's for anything else."""

    __slots__ = ()

    def __getitem__(self, key):
        if isinstance(key, str):
            # (NumPy's matrix-builder syntax reads the names from its caller's frame)
            frame = sys._getframe(1)
            return np.bmat(key, frame.f_globals, frame.f_locals)
        items = key if isinstance(key, tuple) else (key,)
        if not holds_tensor(items):
            return super().__getitem__(key)
        return _join(self, items)


def _directive(text: str, ndmin: int, trans1d: int):
    """``(axis, ndmin, trans1d)`` after the string directive ``text`` (``'0,2'``,
    ``'1,2,0'``, ``'-1'``), as NumPy reads it."""
    try:
        if "," not in text:
            return int(text), ndmin, trans1d
        parts = text.split(",")
        axis, ndmin = int(parts[0]), int(parts[1])
        return axis, ndmin, int(parts[2]) if len(parts) == 3 else trans1d
    except ValueError as error:
        raise ValueError(f"unknown special directive {text!r}") from error


def _refuse_matrix(name: str, text: str):
    shape, index = ("a row", "[None, :]") if text == "r" else ("a column", "[:, None]")
    return TypeError(
        f"np.{name}[{text!r}, ...] with a Tensor among the items: the {text!r} directive "
        "makes an np.matrix, which holds an ndarray and cannot carry a gradient. Leave "
        f"{text!r} out and make {shape} of the 1-d result with {index} (np.{name}[...]"
        f"{index}): the same values as a 2-d Tensor, with * elementwise and @ the matrix "
        "product")


def _range_of(item: slice, ndmin: int, trans1d: int) -> np.ndarray:
    """A slice item as NumPy's concatenators read it: ``start:stop:step`` an
    ``np.arange``, ``start:stop:nj`` an ``np.linspace`` of ``n`` points."""
    start = 0 if item.start is None else item.start
    step = 1 if item.step is None else item.step
    if isinstance(step, (np.complexfloating, complex)):
        piece = np.linspace(start, item.stop, num=int(abs(step)))
    else:
        piece = np.arange(start, item.stop, step)
    if ndmin > 1:
        piece = np.array(piece, copy=None, ndmin=ndmin)
        if trans1d != -1:
            piece = piece.swapaxes(-1, trans1d)
    return piece


def _with_ndmin(piece, ndmin: int, trans1d: int):
    """``piece`` with at least ``ndmin`` dimensions, as ``np.array(piece, ndmin=ndmin)``
    (new axes in front) followed by NumPy's ``trans1d`` placement of the old ones."""
    ndim = piece.ndim
    if ndim >= ndmin:
        return piece
    piece = piece.reshape((1,) * (ndmin - ndim) + piece.shape)
    if trans1d == -1:
        return piece
    added, first = ndmin - ndim, trans1d
    if first < 0:
        first += added + 1
    axes = list(range(ndmin))
    return np.transpose(piece, axes[:first] + axes[added:] + axes[first:added])


def _join(concatenator, items):
    """NumPy's ``AxisConcatenator.__getitem__`` on ``items``, with Tensors kept on the
    tape."""
    name = "r_" if concatenator is np.r_ else "c_"
    axis, ndmin, trans1d = concatenator.axis, concatenator.ndmin, concatenator.trans1d
    pieces, dtypes = [], []
    for position, item in enumerate(items):
        if isinstance(item, str):
            if position != 0:
                raise ValueError("special directives must be the first entry.")
            if item in ("r", "c"):
                raise _refuse_matrix(name, item)
            axis, ndmin, trans1d = _directive(item, ndmin, trans1d)
            continue
        if holds_tensor(item):
            piece = _with_ndmin(from_nested(item), ndmin, trans1d)
            dtypes.append(piece.dtype)
        else:
            piece = item
            # (a number is a weak scalar in the promotion, as in NumPy's)
            dtypes.append(item if type(item) in np.ScalarType
                          else _constant_piece(item, ndmin, trans1d).dtype)
        pieces.append(piece)
    if not pieces:
        return concatenator.concatenate((), axis=axis)     # (NumPy's error)
    dtype = np.result_type(*dtypes)
    pieces = [(piece if piece.dtype == dtype else piece.astype(dtype))
              if isinstance(piece, Tensor)
              else made(f"np.{name}", _constant_piece, (piece, ndmin, trans1d, dtype))
              for piece in pieces]
    return concatenator.concatenate(tuple(pieces), axis=axis)


def _constant_piece(item, ndmin: int, trans1d: int, dtype=None) -> np.ndarray:
    """An item other than a Tensor as NumPy's concatenators make it: a slice a range,
    a number or an array-like an array of ``ndmin`` dimensions, cast to ``dtype``
    (a compiled function makes it again on replay, from the same item)."""
    if isinstance(item, slice):
        piece = _range_of(item, ndmin, trans1d)
    elif type(item) in np.ScalarType:
        piece = np.array(item, ndmin=ndmin)
    else:
        piece = _with_ndmin(np.array(item, copy=None, subok=True), ndmin, trans1d)
    return piece if dtype is None else np.array(piece, copy=None, subok=True, dtype=dtype)


def install() -> None:
    """Make ``np.r_`` and ``np.c_`` record joins of Tensors (once)."""
    for name in ("r_", "c_"):
        concatenator = getattr(np, name)
        if isinstance(concatenator, _JoinsTensors):
            continue
        numpy_class = type(concatenator)
        concatenator.__class__ = type(numpy_class.__name__, (_JoinsTensors, numpy_class), {
            "__slots__": (), "__doc__": numpy_class.__doc__, "__module__": __name__})
