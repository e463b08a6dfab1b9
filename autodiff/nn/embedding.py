"""``F.embedding``: rows of a table looked up by integer ids (the function behind
``nn.Embedding``).

The lookup is a gather (``take``), whose backward scatter-adds, so an id that appears
several times receives the sum of its gradients.  With ``padding_idx`` the looked-up
rows pass through ``where(id != padding_idx, rows, stop_gradient(rows))``: the same
values, but no gradient reaches the padding row, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..ops import elementwise as ew
from ..ops.indexing import take
from ..tensor import Tensor


def check_ids(ids, n, where):
    """``ids`` as an integer array, each in ``[0, n)``; a compiled step checks each
    call's ids again."""
    raw = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
    if raw.dtype.kind not in "iu":
        if raw.dtype.kind == "b":
            reason = "bool values (a mask?); ids are row numbers, use np.flatnonzero(mask)"
        elif raw.size == 0 and raw.dtype.kind == "f":
            return raw.astype(np.intp)          # an empty list
        else:
            reason = f"dtype {raw.dtype}; convert with ids.astype(np.int64)"
        raise TypeError(f"{where}: ids must be integers in [0, {n}), got {reason}")
    return made("embedding ids", _ids_in_range, (raw, n, where))


def _ids_in_range(raw, n, where):
    if raw.size:
        lo, hi = raw.min(), raw.max()
        if lo < 0:
            raise IndexError(
                f"{where}: id {int(lo)} is negative; ids must be in [0, {n}) (negative ids "
                "are not wrapped around as in NumPy indexing)")
        if hi >= n:
            raise IndexError(f"{where}: id {int(hi)} is out of range for {n} rows; ids must "
                             f"be in [0, {n})")
    return raw


def padding_index(padding_idx, n, where):
    """``padding_idx`` as a row number in ``[0, n)`` (negative counts from the end, as in
    PyTorch), or None."""
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)):
        raise TypeError(f"{where}: padding_idx must be an int row number or None, got "
                        f"{padding_idx!r}")
    if not -n <= padding_idx < n:
        raise ValueError(f"{where}: padding_idx={int(padding_idx)} is out of range for a table "
                         f"of {n} rows; it must be in [-{n}, {n}) (negative counts from the "
                         "end)")
    return int(padding_idx) % n


def refuse_max_norm(max_norm, where):
    if max_norm is not None:
        raise ValueError(f"{where}: max_norm={max_norm!r} is not supported (PyTorch renormalises "
                         "the looked-up rows of the table in place during the forward); leave "
                         "it None, and if the rows must stay short, rescale them under "
                         "ad.no_grad() after each optimizer step")


def embedding(input, weight, padding_idx=None, max_norm=None, *,
              where: str = "embedding") -> Tensor:
    """The rows ``weight[input]``, shape ``input.shape + (dim,)``, for a table ``weight``
    of shape ``(n, dim)`` and integer ids ``input`` in ``[0, n)``.

    With ``padding_idx`` (negative counts from the end) that row gets no gradient: its
    value is looked up as it is, but the gradient rows of its ids are dropped, as in
    PyTorch.  ``max_norm`` is not supported and must stay None.

    >>> table = ad.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    >>> F.embedding([2, 0, 2], table, padding_idx=0).sum().backward()
    >>> table.grad
    array([[0., 0.],
           [0., 0.],
           [2., 2.]])
    """
    refuse_max_norm(max_norm, where)
    shape = tuple(weight.shape if isinstance(weight, Tensor) else np.shape(weight))
    if len(shape) != 2:
        raise ValueError(f"{where}: weight must be a table of shape (n, dim), one row per id, "
                         f"got shape {shape}")
    dtype = weight.dtype if isinstance(weight, Tensor) else np.asarray(weight).dtype
    if dtype.kind != "f":
        raise TypeError(f"{where}: weight must hold floating-point values, got dtype {dtype}")
    padding_idx = padding_index(padding_idx, shape[0], where)
    ids = check_ids(input, shape[0], where)
    rows = take(weight, ids, axis=0)
    if padding_idx is None:
        return rows
    keep = made("embedding padding mask", _not_padding, (ids, padding_idx))
    return ew.where(keep, rows, ew.stop_gradient(rows))


def _not_padding(ids, padding_idx):
    return (ids != padding_idx)[..., None]
