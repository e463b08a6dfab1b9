"""``F.ctc_loss``: the connectionist temporal classification loss, as PyTorch's.

The arguments are checked here (with PyTorch's messages for bad lengths, prefixed with
the function's name), concatenated targets are padded, and the per-sequence losses of
the ``ctc_loss`` op (``autodiff/ops/ctc.py``, which holds the recursions and the
gradient rule) are reduced.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import branch, made
from ..ops import ctc
from ..ops import elementwise as ew
from ..ops import reduce as rd
from ..ops.shape import reshape
from ..tensor import Tensor
from .losses import _as_tensor, _check_reduction, _tracing
from .softmax import _check_float

_WHERE = "ctc_loss"


def _fail(message):
    raise ValueError(f"{_WHERE}: {message}")


def _lengths(value, name):
    """``input_lengths`` / ``target_lengths`` as a 1-D int64 array (from a tensor, an
    array, a list or a tuple of ints)."""
    if isinstance(value, (Tensor, np.ndarray)):
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.dtype.kind not in "iu":
            _fail(f"{name} must be integral (got dtype {array.dtype}); PyTorch says "
                  f"'{name} must be integral'")
        return array.astype(np.int64).reshape(-1)
    if isinstance(value, (list, tuple)):
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
                   for v in value):
            raise TypeError(f"{_WHERE}: {name} must be a tensor, list or tuple of ints, got "
                            f"{value!r}")
        return np.asarray(value, dtype=np.int64).reshape(-1)
    raise TypeError(f"{_WHERE}: {name} must be a tensor, list or tuple of ints (one per "
                    f"sequence), got {type(value).__name__} {value!r}; as in PyTorch, a "
                    f"bare number is refused: write [{value!r}] or a tensor")


def _target_array(targets):
    array = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            _fail(f"targets must be class indices; got non-integer values of dtype "
                  f"{array.dtype}")
    elif array.dtype.kind not in "iu":
        _fail(f"targets must be integer class indices, got dtype {array.dtype}")
    if array.ndim not in (1, 2):
        _fail(f"Expected 1 to 2 dimensions, but got {array.ndim}-dimensional tensor for "
              f"argument #2 'targets'")
    return array.astype(np.int64)


def _padded_targets(targets, batch, input_lengths, target_lengths, steps, width=None):
    """Check the lengths as PyTorch does; return the targets as (N, S) rows.

    Concatenated targets are padded to the longest target, or to ``width`` when given
    (a compiled step's fixed width, ``_traced_width``: the labels past a sequence's
    length are masked out, so the loss is the same bit for bit)."""
    for name, lengths in (("input_lengths", input_lengths), ("target_lengths", target_lengths)):
        if lengths.size != batch:
            _fail(f"{name} must be of size batch_size (got {lengths.size} lengths for a "
                  f"batch of {batch})")
    for length in target_lengths:
        if length < 0:
            _fail(f"Expected target_lengths to have value at least 0, but got value {length}")
    longest = int(target_lengths.max(initial=0))
    if targets.ndim == 1:                    # concatenated
        total = int(target_lengths.sum())
        if targets.shape[0] != total:
            _fail(f"Expected tensor to have size {total} at dimension 0, but got size "
                  f"{targets.shape[0]} for argument #2 'targets' (the concatenated targets "
                  f"must hold sum(target_lengths) = {total} labels)")
        padded = np.zeros((batch, longest if width is None else width), dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(target_lengths)[:-1]])
        for row, (start, length) in enumerate(zip(starts, target_lengths)):
            padded[row, :length] = targets[start:start + length]
    else:
        if targets.shape[0] != batch:
            _fail(f"Expected tensor to have size {batch} at dimension 0, but got size "
                  f"{targets.shape[0]} for argument #2 'targets'")
        if targets.shape[1] < longest:
            _fail(f"Expected tensor to have size at least {longest} at dimension 1, but got "
                  f"size {targets.shape[1]} for argument #2 'targets'")
        # All S columns (labels past a sequence's length are masked out), not the
        # first max(target_lengths): the shape then follows the targets' shape alone,
        # so a compiled step replays for any lengths.
        padded = targets
    for length in input_lengths:
        if length < 0:
            _fail(f"Expected input_lengths to have value at least 0, but got value {length}")
        if length > steps:
            _fail(f"Expected input_lengths to have value at most {steps}, but got value "
                  f"{length}")
    return padded


def _check_labels(padded, target_lengths, classes, blank):
    """Labels must be classes other than the blank (PyTorch does not check this: an
    out-of-range label reads outside log_probs and a blank label gives a meaningless
    number)."""
    used = np.arange(padded.shape[1]) < target_lengths[:, None]
    bad = used & ((padded < 0) | (padded >= classes))
    if bad.any():
        row, col = np.argwhere(bad)[0]
        _fail(f"target {padded[row, col]} (sequence {row}, position {col}) is not a class "
              f"in [0, {classes}) of log_probs' last axis")
    if (used & (padded == blank)).any():
        row, col = np.argwhere(used & (padded == blank))[0]
        _fail(f"target of sequence {row} at position {col} is the blank ({blank}); "
              f"targets must not contain the blank index")


def _checked_targets(targets, input_lengths, target_lengths, steps, batch, classes, blank,
                     width=None):
    """The targets as checked (N, S) rows of labels."""
    padded = _padded_targets(_target_array(targets), batch, input_lengths, target_lengths,
                             steps, width)
    _check_labels(padded, target_lengths, classes, blank)
    return padded


def _width_bucket(target_lengths) -> int:
    """The power of two at least the longest of ``target_lengths`` (at least 1)."""
    longest = int(np.max(target_lengths, initial=1))
    return 1 << max(longest - 1, 0).bit_length()


def _traced_width(targets, raw_target_lengths, target_lengths):
    """The width a compiled step pads concatenated 1-D targets to, the same at every
    replay: the power of two at least the longest target when the lengths are an
    argument of the compiled function (a replay whose longest target needs another
    power traces again: ``hooks.branch``), else the targets' total length, which
    their shape fixes.  None for padded (N, S) targets, whose width is S.

    >>> _width_bucket(np.array([3, 5])), _width_bucket(np.array([0, 1])), _width_bucket([8])
    (8, 1, 8)
    """
    shape = np.shape(targets.data if isinstance(targets, Tensor) else targets)
    if len(shape) != 1:
        return None
    total = shape[0]
    bucket = _width_bucket(target_lengths)
    if isinstance(raw_target_lengths, np.ndarray) and branch(
            "ctc_loss's padded width", raw_target_lengths, _width_bucket, bucket):
        return min(bucket, total)
    return total


def _divisors(target_lengths, dtype):
    return np.maximum(target_lengths, 1).astype(dtype)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """The connectionist temporal classification loss, as ``torch.nn.functional.ctc_loss``.

    ``log_probs`` (T, N, C) or unbatched (T, C) are log-probabilities over C classes
    (``log_softmax`` over the last axis); ``targets`` are labels other than ``blank``,
    padded (N, S) or all sequences' labels concatenated (sum(target_lengths),);
    ``input_lengths`` and ``target_lengths`` (N,) are tensors, lists or tuples.  The
    loss of a sequence is ``-log`` of the total probability of the alignments that
    collapse to its target; ``'mean'`` divides each by its target length (at least 1)
    and averages over the batch, ``'sum'`` adds them, ``'none'`` returns them.  An
    impossible alignment (a target too long for its input) has an infinite loss;
    ``zero_infinity=True`` makes it 0 with a zero gradient.

    The gradient is the derivative of the loss; through ``log_softmax`` it equals
    PyTorch's, whose gradient in ``log_probs`` themselves adds ``exp(log_probs)`` (see
    ``autodiff/ops/ctc.py``).  It cannot be differentiated again with respect to
    ``log_probs`` (nor can PyTorch's).

    >>> lp = F.log_softmax(ad.tensor([[[0.0, 1.0]], [[0.0, 1.0]]]), axis=-1)
    >>> F.ctc_loss(lp, [[1]], [2], [1], reduction="sum")
    tensor(0.07507866)
    """
    _check_reduction(_WHERE, reduction)
    _check_float(log_probs, _WHERE)
    log_probs = _as_tensor(log_probs)
    if log_probs.dtype not in (np.float32, np.float64):
        raise TypeError(f"{_WHERE}: log_probs must be float32 or float64 (as PyTorch's "
                        f"CPU kernel), got {log_probs.dtype}; convert with .astype")
    if log_probs.ndim not in (2, 3):
        _fail(f"log_probs must have shape (T, N, C) or (T, C), got shape "
              f"{tuple(log_probs.shape)}")
    if log_probs.size == 0:
        _fail(f"log_probs tensor must not be empty (got shape {tuple(log_probs.shape)})")
    batched = log_probs.ndim == 3
    if not batched:
        log_probs = reshape(log_probs, (log_probs.shape[0], 1, log_probs.shape[1]))
    steps, batch, classes = log_probs.shape
    if not (isinstance(blank, (int, np.integer)) and 0 <= blank < classes):
        _fail(f"blank must be in label range (got blank={blank!r} for {classes} classes)")
    # Made off the tape with ``made``, so that a compiled function checks and pads the
    # lengths and targets it is given on every replay.
    raw_target_lengths = target_lengths.data if isinstance(target_lengths, Tensor) else \
        target_lengths
    input_lengths = made("ctc_loss input_lengths", _lengths, (input_lengths, "input_lengths"))
    target_lengths = made("ctc_loss target_lengths", _lengths,
                          (target_lengths, "target_lengths"))
    width = _traced_width(targets, raw_target_lengths, target_lengths) if _tracing() else None
    targets = made("ctc_loss targets", _checked_targets,
                   (targets, input_lengths, target_lengths, steps, batch, classes, blank,
                    width), stateful=True)
    losses = ctc.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=int(blank),
                          zero_infinity=bool(zero_infinity))
    if reduction == "mean":
        divisors = made("ctc_loss divisors", _divisors, (target_lengths, log_probs.dtype))
        return rd.mean(ew.divide(losses, divisors))
    if reduction == "sum":
        return rd.sum(losses)
    return losses if batched else reshape(losses, ())
