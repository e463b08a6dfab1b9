"""``F.embedding``: rows of a table looked up by integer ids (the function behind
``nn.Embedding``).

The lookup is a gather (``take``), whose backward scatter-adds, so an id that appears
several times receives the sum of its gradients.  With ``padding_idx`` the looked-up
rows pass through ``where(id != padding_idx, rows, stop_gradient(rows))``: the same
values, but no gradient reaches the padding row, as in PyTorch.

With ``max_norm``, the rows the ids look up whose ``norm_type``-norm exceeds it are
first rescaled in the table itself, without gradient, as PyTorch's
``embedding_renorm_``: ``row *= max_norm / (norm + 1e-7)``.  The write is the one
``with ad.no_grad(): weight[ids] = rows`` makes (an optimizer's kind of write), so a
table that a live graph saved for its backward is refused there and then (PyTorch
lets the write through and its backward refuses), and a compiled function replays it.

With ``scale_grad_by_freq``, the rows' gradients are divided by their ids' counts in
the call's ids, as PyTorch's, by a ``Function`` whose backward scales them.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..grad_mode import no_grad
from ..inplace import set_item
from ..ops import elementwise as ew
from ..function import Function
from ..ops.indexing import take
from ..ops.operands import constant_argument
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


def refuse_sparse_or_scaled_gradients(scale_grad_by_freq, sparse, where):
    """Refuse ``sparse=True`` and ``scale_grad_by_freq=True`` (``embedding`` takes the
    second; ``embedding_bag`` does not), naming the one given: gradients here are dense
    and unscaled."""
    if sparse:
        raise ValueError(
            f"{where}: sparse=True is not supported (gradients here are dense arrays); leave "
            "it False: ad.optim.SparseAdam takes the dense gradient and updates only the rows "
            "it touches, as PyTorch's SparseAdam does with the sparse one")
    if scale_grad_by_freq:
        raise ValueError(
            f"{where}: scale_grad_by_freq=True is not supported (gradients here are "
            "unscaled); leave it False and divide the loss's terms by the counts of their "
            "indices instead")


def renorm_arguments(max_norm, norm_type, where):
    """``(max_norm, norm_type)`` as floats, checked; ``max_norm`` None stays None."""
    if max_norm is None:
        return None, norm_type
    values = []
    for name, value in (("max_norm", max_norm), ("norm_type", norm_type)):
        value = constant_argument(value, where, name, "it rescales the table without gradient")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer,
                                                              np.floating)):
            raise TypeError(f"{where}: {name} must be a real number, got {value!r}")
        values.append(float(value))
    if np.isnan(values[0]) or np.isnan(values[1]):
        raise ValueError(f"{where}: max_norm and norm_type must not be NaN, got "
                         f"max_norm={max_norm!r}, norm_type={norm_type!r}")
    return tuple(values)


def _renormed_rows(table, ids, max_norm, norm_type):
    """The rows ``table[ids]``, each rescaled to ``max_norm / (norm + 1e-7)`` times itself
    where its norm exceeds ``max_norm`` (PyTorch's ``embedding_renorm_``: the norm is
    taken in the table's dtype, the scale in float64)."""
    rows = table[ids]
    if rows.shape[-1] == 0:
        return rows
    norms = np.linalg.norm(rows, ord=norm_type, axis=-1).astype(np.float64)
    over = norms > max_norm
    scale = (max_norm / (norms + 1e-7)).astype(table.dtype)
    return np.where(over[..., None], rows * scale[..., None], rows)


def renorm_(weight, ids, max_norm, norm_type, where):
    """Rescale in place, without gradient, the rows of ``weight`` that ``ids`` look up
    whose ``norm_type``-norm exceeds ``max_norm`` (what ``F.embedding(max_norm=)`` does
    before its lookup).

    >>> table = ad.tensor([[3.0, 4.0], [0.3, 0.4]])
    >>> _ = renorm_(table, np.array([0, 1]), 1.0, 2.0, "embedding")
    >>> np.round(table.data, 6)
    array([[0.6, 0.8],
           [0.3, 0.4]])
    """
    if not isinstance(weight, Tensor):
        raise TypeError(f"{where}: max_norm rescales the table in place, so weight must be "
                        f"a Tensor (a Parameter), got {type(weight).__name__}")
    rows = made("embedding max_norm rows", _renormed_rows,
                (weight.data, ids, max_norm, norm_type))
    # An id looked up twice writes the same row twice: the values are equal.
    with no_grad():
        set_item(weight, ids, rows, f"{where} (max_norm)")
    return weight


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False, *,
              where: str = "embedding") -> Tensor:
    """The rows ``weight[input]``, shape ``input.shape + (dim,)``, for a table ``weight``
    of shape ``(n, dim)`` and integer ids ``input`` in ``[0, n)``.

    With ``padding_idx`` (negative counts from the end) that row gets no gradient: its
    value is looked up as it is, but the gradient rows of its ids are dropped, as in
    PyTorch.  A complex table's rows have the gradient of the lookup in PyTorch's
    convention for complex values (the cotangent rows added up per id), which PyTorch
    itself refuses to compute ("embedding does not support automatic differentiation
    for outputs with complex dtype").  With ``max_norm``, the looked-up rows whose
    ``norm_type``-norm exceeds it are first rescaled to that norm in ``weight`` itself,
    without gradient (see the module's notes: a table a live graph saved is refused).
    With ``scale_grad_by_freq``, each id's gradient row is divided by the number of
    times the id appears in ``input``, as PyTorch's (the values are unchanged).
    ``sparse`` is PyTorch's, taken at False and refused at True, naming what to do
    instead (gradients here are dense).

    >>> F.embedding([0], ad.tensor([[3.0, 4.0]]), max_norm=1.0)
    tensor([[0.59999999, 0.79999998]])
    >>> table = ad.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    >>> F.embedding([2, 0, 2], table, padding_idx=0).sum().backward()
    >>> table.grad
    array([[0., 0.],
           [0., 0.],
           [2., 2.]])
    >>> table.grad = None
    >>> F.embedding([2, 0, 2], table, scale_grad_by_freq=True).sum().backward()
    >>> table.grad                                # each id's rows averaged, not summed
    array([[1., 1.],
           [0., 0.],
           [1., 1.]])
    """
    max_norm, norm_type = renorm_arguments(max_norm, norm_type, where)
    refuse_sparse_or_scaled_gradients(False, sparse, where)
    shape = tuple(weight.shape if isinstance(weight, Tensor) else np.shape(weight))
    if len(shape) != 2:
        raise ValueError(f"{where}: weight must be a table of shape (n, dim), one row per id, "
                         f"got shape {shape}")
    dtype = weight.dtype if isinstance(weight, Tensor) else np.asarray(weight).dtype
    if dtype.kind not in "fc":
        raise TypeError(f"{where}: weight must hold floating-point or complex values, got "
                        f"dtype {dtype}")
    padding_idx = padding_index(padding_idx, shape[0], where)
    ids = check_ids(input, shape[0], where)
    if max_norm is not None:
        renorm_(weight, ids, max_norm, norm_type, where)
    rows = take(weight, ids, axis=0)
    if padding_idx is not None:
        keep = made("embedding padding mask", _not_padding, (ids, padding_idx))
        rows = ew.where(keep, rows, ew.stop_gradient(rows))
    if scale_grad_by_freq:
        rows = _gradient_divided_by_counts(rows, ids)
    return rows


def _not_padding(ids, padding_idx):
    return (ids != padding_idx)[..., None]


def _inverse_counts(ids, dtype):
    """1 / (how many times each id appears in ``ids``), one per id, shaped as rows."""
    _, inverse, counts = np.unique(ids.reshape(-1), return_inverse=True, return_counts=True)
    return (1.0 / counts[inverse]).astype(dtype).reshape(ids.shape + (1,))


class _DividedByCounts(Function):
    """The rows as they are; backward divides each row's gradient by its id's count.
    Differentiated again, that division is a constant factor whose own derivative is
    taken as 1, as PyTorch's double backward of ``embedding_dense_backward`` (an
    unscaled gather): the second derivative is that of the first gradient as a
    function of the table."""

    @staticmethod
    def forward(ctx, rows, scale):
        ctx.scale = scale
        return rows * 1.0

    @staticmethod
    def backward(ctx, grad):
        if not isinstance(grad, Tensor):
            return grad * ctx.scale, None
        scaled = grad * Tensor(ctx.scale)
        # the scaled values, with the derivative of grad itself (identity)
        return ew.stop_gradient(scaled) + (grad - ew.stop_gradient(grad)), None


def _gradient_divided_by_counts(rows, ids):
    real = np.finfo(rows.dtype).dtype
    scale = made("embedding frequency scale", _inverse_counts, (ids, real))
    return _DividedByCounts.apply(rows, scale)
