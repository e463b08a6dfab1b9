"""``F.embedding_bag`` and ``nn.EmbeddingBag``: the sum, mean or maximum of the table
rows of each bag of ids, without building the (bags, ids, dim) gather, as PyTorch's.

Bags are the rows of a 2-D ``input``, or the runs ``input[offsets[i]:offsets[i + 1]]``
of a 1-D one.  Ids equal to ``padding_idx`` are left out of their bag (and out of
its count for the mean).  An empty bag gives zeros.  The rows are gathered once
(``take``); a sum or mean is a (bags, ids) 0/1 matrix times them, a maximum picks,
for each bag and column, the first row holding it (PyTorch's choice for the
gradient).  ``per_sample_weights`` (mode ``'sum'`` only) scale each id's row.

With ``max_norm``, the rows the ids look up (all of them, padding ids included) are
first rescaled in the table, without gradient, by ``F.embedding``'s renorm
(PyTorch's ``embedding_renorm_``), after every argument has been checked.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..ops import elementwise as ew
from ..ops import shape as _shape
from ..ops.indexing import take
from ..ops.linalg import matmul
from ..ops.ordering import take_along_axis
from ..tensor import Tensor
from .embedding import (check_ids, padding_index, refuse_sparse_or_scaled_gradients, renorm_,
                        renorm_arguments)
from .module import Module, Parameter, _generator
from .half_precision import rounded_once
from .modules import _float_dtype, _positive_int, check_table
from .reset import redraw_table

_MODES = ("sum", "mean", "max")


def _bag_of_each_id(count, offsets, include_last_offset, where):
    """The bag of each of ``count`` ids of a 1-D input (-1: after the last bag)."""
    offsets = np.asarray(offsets)
    if offsets.ndim != 1 or offsets.dtype.kind not in "iu":
        raise ValueError(f"{where}: offsets must be a 1-D array of integers, got "
                         f"{offsets.dtype} values of shape {offsets.shape}")
    if offsets.size == 0 or offsets[0] != 0:
        raise ValueError(f"{where}: offsets must start at 0 (the first bag starts with the "
                         f"first id), got {offsets[:3].tolist()}...")
    if np.any(np.diff(offsets) < 0) or offsets[-1] > count:
        raise ValueError(f"{where}: offsets must be non-decreasing and at most the number of "
                         f"ids ({count}), got {offsets.tolist()}")
    if include_last_offset and offsets[-1] != count:
        # (PyTorch's documented contract; its CPU kernel silently runs the last bag to
        # the end of the ids instead)
        raise ValueError(f"{where}: with include_last_offset=True the last offset must be "
                         f"the number of ids ({count}), got {offsets[-1]}; end the "
                         f"offsets with {count}, or drop the ids after {offsets[-1]}")
    ends = offsets[1:] if include_last_offset else np.append(offsets[1:], count)
    starts = offsets[:len(ends)]
    bag = np.full(count, -1, dtype=np.intp)
    for i, (start, end) in enumerate(zip(starts.tolist(), ends.tolist())):
        bag[start:end] = i
    return bag


def _counted(bag, ids, padding_idx):
    """Which ids count: inside a bag, and not the padding id."""
    return (bag >= 0) if padding_idx is None else (bag >= 0) & (ids != padding_idx)


def _membership(bag, ids, bags, padding_idx, mean, dtype):
    """(bags, ids) matrix: 1 (or 1/count for the mean) where an id counts in a bag."""
    counted = _counted(bag, ids, padding_idx)
    matrix = np.zeros((bags, ids.size))
    matrix[bag[counted], np.flatnonzero(counted)] = 1.0
    if mean:
        matrix /= np.maximum(matrix.sum(axis=1, keepdims=True), 1.0)
    return matrix.astype(dtype)


def _bag_sizes(bag, ids, bags, padding_idx):
    """(bags, 1) float32 counts of the ids that count in each bag (1 for an empty bag)."""
    sizes = np.bincount(bag[_counted(bag, ids, padding_idx)], minlength=bags)
    return np.maximum(sizes, 1).astype(np.float32).reshape(bags, 1)


def _bag_slots(bag, ids, bags, padding_idx):
    """(bags, longest bag) matrix of the positions of each bag's counted ids, -1 after."""
    counted = np.flatnonzero(_counted(bag, ids, padding_idx))
    owners = bag[counted]
    sizes = np.bincount(owners, minlength=bags)
    slots = np.full((bags, max(int(sizes.max(initial=0)), 1)), -1, dtype=np.intp)
    rank = np.arange(counted.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    slots[owners, rank] = counted
    return slots


def _first_max_positions(rows, slots):
    """For each bag and column, the position of the bag's first maximum (0 if empty)."""
    values = np.where((slots >= 0)[:, :, None], rows[np.maximum(slots, 0)], -np.inf)
    best = np.argmax(values, axis=1)                         # the first one, NaN first
    return np.maximum(np.take_along_axis(slots, best, axis=1), 0)


def _non_empty(slots):
    return slots[:, :1] >= 0


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights=None, include_last_offset: bool = False,
                  padding_idx=None, *, where: str = "embedding_bag") -> Tensor:
    """The ``mode`` (``'sum'``, ``'mean'`` or ``'max'``) of the rows ``weight[ids]`` of
    each bag, shape ``(bags, dim)``, as ``torch.nn.functional.embedding_bag``.  With
    ``max_norm``, the looked-up rows whose ``norm_type``-norm exceeds it are first
    rescaled to that norm in ``weight`` itself, without gradient (as ``F.embedding``).

    >>> table = ad.tensor(np.arange(8.0).reshape(4, 2))
    >>> F.embedding_bag(np.array([0, 1, 3, 2]), table, offsets=np.array([0, 2]), mode="sum")
    tensor([[ 2.,  4.],
            [10., 12.]])
    """
    max_norm, norm_type = renorm_arguments(max_norm, norm_type, where)
    refuse_sparse_or_scaled_gradients(scale_grad_by_freq, sparse, where)
    if mode not in _MODES:
        raise ValueError(f"{where}: mode must be one of {list(_MODES)}, got {mode!r}")
    shape = tuple(weight.shape if isinstance(weight, Tensor) else np.shape(weight))
    if len(shape) != 2:
        raise ValueError(f"{where}: weight must be a table of shape (n, dim), got {shape}")
    padding_idx = padding_index(padding_idx, shape[0], where)
    ids = check_ids(input, shape[0], where)
    if ids.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{where}: offsets must be None for a 2-D input (each row is a "
                             f"bag), got input of shape {ids.shape}")
        bags = ids.shape[0]
        bag = made(f"{where} bags", _rows_as_bags, (ids.shape,))
    elif ids.ndim == 1:
        if offsets is None:
            raise ValueError(f"{where}: a 1-D input needs offsets (where each bag starts); "
                             "or pass a 2-D input with one bag per row")
        raw_offsets = offsets.data if isinstance(offsets, Tensor) else offsets
        bag = made(f"{where} bags", _bag_of_each_id,
                   (ids.size, raw_offsets, include_last_offset, where), stateful=True)
        bags = len(raw_offsets) - (1 if include_last_offset else 0)
    else:
        raise ValueError(f"{where}: input must be 1-D (with offsets) or 2-D (bags as rows), "
                         f"got shape {ids.shape}")
    if per_sample_weights is not None:
        if mode != "sum":
            raise ValueError(f"{where}: per_sample_weights is only supported with mode='sum' "
                             f"(as PyTorch), got mode={mode!r}")
        psw_shape = tuple(np.shape(per_sample_weights))
        if psw_shape != ids.shape:
            raise ValueError(f"{where}: per_sample_weights must have the input's shape "
                             f"{ids.shape}, got {psw_shape}")
    if max_norm is not None:
        renorm_(weight, ids, max_norm, norm_type, where)
    flat_ids = made(f"{where} ids in a row", np.ravel, (ids,))
    rows = take(weight, flat_ids, axis=0)                           # (ids, dim)
    if per_sample_weights is not None:
        psw = per_sample_weights if isinstance(per_sample_weights, Tensor) \
            else Tensor(np.asarray(per_sample_weights))
        rows = rows * _shape.reshape(psw, (-1, 1))
    if mode == "max" and flat_ids.size:
        slots = made(f"{where} bag slots", _bag_slots, (bag, flat_ids, bags, padding_idx))
        positions = made(f"{where} maxima", _first_max_positions, (rows.data, slots))
        chosen = take_along_axis(rows, positions, axis=0)
        return ew.where(made(f"{where} non-empty bags", _non_empty, (slots,)), chosen, 0.0)
    if rows.dtype != np.float16:
        matrix = made(f"{where} bag matrix", _membership,
                      (bag, flat_ids, bags, padding_idx, mode == "mean", rows.dtype))
        return matmul(matrix, rows)
    # float16 as PyTorch's CPU kernel: each bag summed in float32 and rounded, then a
    # mean divided by its count and rounded again
    sums = rounded_once(lambda rows: matmul(made(f"{where} bag matrix", _membership, (
        bag, flat_ids, bags, padding_idx, False, rows.dtype)), rows), rows)
    if mode == "sum":
        return sums
    counts = made(f"{where} bag sizes", _bag_sizes, (bag, flat_ids, bags, padding_idx))
    return rounded_once(lambda sums: sums / counts, sums)


def _rows_as_bags(shape):
    return np.repeat(np.arange(shape[0]), shape[1])


class EmbeddingBag(Module):
    """A table whose bags of ids are reduced to one row each (``F.embedding_bag``), as
    ``torch.nn.EmbeddingBag``: ``weight`` (num_embeddings, embedding_dim) starts N(0, 1)
    (the ``padding_idx`` row at zeros), drawn from ``rng``.  ``max_norm`` rescales, at
    each call and without gradient, the looked-up rows whose ``norm_type``-norm exceeds it.
    ``forward(input, offsets=None, per_sample_weights=None)``.

    >>> bag = ad.nn.EmbeddingBag(10, 3, mode="sum", rng=0)
    >>> bag(np.array([[1, 2], [4, 5]])).shape
    (2, 3)
    """

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, max_norm=None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        mode: str = "mean", sparse: bool = False,
                        include_last_offset: bool = False, padding_idx=None) -> "EmbeddingBag":
        """An EmbeddingBag whose table is a copy of ``embeddings`` (2-D), frozen unless
        ``freeze=False``, as PyTorch's.

        >>> bag = ad.nn.EmbeddingBag.from_pretrained(ad.tensor([[1.0], [3.0]]), mode="sum")
        >>> bag(ad.tensor([[0, 1]]))
        tensor([[4.]])
        """
        from .modules import _from_pretrained
        return _from_pretrained(cls, embeddings, freeze, max_norm=max_norm,
                                norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq,
                                mode=mode, sparse=sparse,
                                include_last_offset=include_last_offset,
                                padding_idx=padding_idx)

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm=None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                 sparse: bool = False, _weight=None, include_last_offset: bool = False,
                 padding_idx=None, *, rng=None, dtype=np.float64):
        super().__init__()
        self.num_embeddings = _positive_int(num_embeddings, "num_embeddings", "EmbeddingBag")
        self.embedding_dim = _positive_int(embedding_dim, "embedding_dim", "EmbeddingBag")
        where = f"EmbeddingBag({self.num_embeddings}, {self.embedding_dim})"
        max_norm, _ = renorm_arguments(max_norm, norm_type, where)
        refuse_sparse_or_scaled_gradients(scale_grad_by_freq, sparse, where)
        if mode not in _MODES:
            raise ValueError(f"{where}: mode must be one of {list(_MODES)}, got {mode!r}")
        self.mode, self.include_last_offset = mode, bool(include_last_offset)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = False, False
        self.padding_idx = padding_index(padding_idx, self.num_embeddings, where)
        if _weight is not None:
            table = np.array(_weight.data if isinstance(_weight, Tensor) else _weight)
            if table.shape != (self.num_embeddings, self.embedding_dim):
                raise ValueError(f"{where}: _weight must have shape "
                                 f"{(self.num_embeddings, self.embedding_dim)}, got "
                                 f"{table.shape}")
        else:
            dtype = _float_dtype(dtype, "EmbeddingBag")
            table = _generator(rng).standard_normal(
                (self.num_embeddings, self.embedding_dim)).astype(dtype)
            if self.padding_idx is not None:
                table[self.padding_idx] = 0
        self.weight = Parameter(table)

    def reset_parameters(self, *, rng=None) -> None:
        """The table ``N(0, 1)`` again, the ``padding_idx`` row zeros, in place."""
        redraw_table(self, 1.0, rng)

    def __setattr__(self, name, value):
        if name == "weight" and isinstance(value, Parameter) and "padding_idx" in self.__dict__:
            check_table(self._where(), self.num_embeddings, self.embedding_dim, value)
        super().__setattr__(name, value)

    def _where(self) -> str:
        return f"EmbeddingBag({self.num_embeddings}, {self.embedding_dim})"

    def forward(self, input, offsets=None, per_sample_weights=None):
        where, weight = self._where(), self.weight
        check_table(where, self.num_embeddings, self.embedding_dim, weight)
        return embedding_bag(input, weight, offsets, self.max_norm, self.norm_type, False,
                             self.mode, False, per_sample_weights, self.include_last_offset,
                             self.padding_idx, where=where)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        text += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text
