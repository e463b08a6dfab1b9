"""Packed sequences as ``torch.nn.utils.rnn``'s: ``PackedSequence``,
``pack_padded_sequence``, ``pad_packed_sequence``, ``pack_sequence``,
``unpack_sequence`` and ``unpad_sequence``; reached as ``ad.nn.utils.rnn``.

A packed batch keeps only the valid steps: ``data`` holds, time step after time step,
the rows of the sequences still running at that step, longest sequence first, and
``batch_sizes[t]`` says how many there are.  Packing and padding are gathers
(``take``) on the tape, so gradients flow back through both; padding positions get
none.  ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` take a PackedSequence
(``recurrent_packed.py``).

Sequences of equal length keep their order when ``enforce_sorted=False`` sorts them
(a stable sort; PyTorch's sort may order ties otherwise, which changes
``sorted_indices`` but no padded result).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..compile.hooks import made
from ..ops import shape as sh
from ..ops.indexing import take
from ..ops.operands import tensor_of
from ..tensor import Tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pack_sequence",
           "unpack_sequence", "unpad_sequence"]

_UNSORTED_MESSAGE = ("`lengths` array must be sorted in decreasing order when `enforce_sorted` "
                     "is True. You can pass `enforce_sorted=False` to pack_padded_sequence "
                     "and/or pack_sequence to sidestep this requirement if you do not need "
                     "ONNX exportability.")


def _int64_tensor(values) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.int64))


def _integers(values, what: str, where: str) -> np.ndarray:
    """``values`` (a list, array or Tensor of whole numbers) as a 1-D int64 array."""
    array = np.asarray(values)     # (a compiled function refuses reading a traced tensor)
    if array.ndim != 1:
        raise RuntimeError(f"{where}: '{what}' argument should be a 1D list or int64 tensor, "
                           f"but got {array.ndim}D with shape {array.shape}")
    if array.dtype == bool or array.dtype.kind not in "iuf" or (
            array.dtype.kind == "f" and not np.all(array == np.round(array))):
        raise TypeError(f"{where}: '{what}' must hold whole numbers (the length of each "
                        f"sequence), got {array.tolist()!r}")
    return array.astype(np.int64)


def checked_batch_sizes(sequence, rows: int, where: str) -> np.ndarray:
    """A PackedSequence's batch_sizes as an int64 array, checked against its ``rows``
    of data (positive, non-increasing, adding up to the rows)."""
    sizes = _integers(sequence.batch_sizes, "batch_sizes", where)
    if len(sizes) == 0 or np.any(np.diff(sizes) > 0) or sizes[-1] < 1 or sizes.sum() != rows:
        raise ValueError(f"{where}: the PackedSequence's batch_sizes {sizes.tolist()} must be "
                         f"positive, non-increasing and add up to the {rows} rows of its "
                         "data; make it with pack_padded_sequence or pack_sequence")
    return sizes


def checked_permutation(indices, batch: int, what: str, where: str) -> np.ndarray:
    """A PackedSequence's sorted_indices or unsorted_indices as an int64 array, checked
    to be a permutation of the ``batch`` rows."""
    rows = _integers(indices, what, where)
    if not np.array_equal(np.sort(rows), np.arange(batch)):
        raise ValueError(f"{where}: the PackedSequence's {what} {rows.tolist()} must be a "
                         f"permutation of the {batch} sequences' rows")
    return rows


class PackedSequence(namedtuple("PackedSequence",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A batch of sequences packed by time step, as ``torch.nn.utils.rnn.PackedSequence``:
    ``data`` (sum of lengths, *), ``batch_sizes`` (int64, one count per time step),
    ``sorted_indices`` (the batch order packed, longest first; None when the input was
    already sorted) and ``unsorted_indices`` (its inverse).  Made by
    ``pack_padded_sequence`` or ``pack_sequence``, not by hand.

    >>> packed = ad.nn.utils.rnn.pack_sequence([ad.tensor([1.0, 2.0]), ad.tensor([3.0])])
    >>> packed.data, packed.batch_sizes
    (tensor([1., 3., 2.]), tensor([2, 1]))
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if batch_sizes is None:
            raise TypeError("PackedSequence: batch_sizes is required; make packed batches "
                            "with pack_padded_sequence or pack_sequence")
        if not isinstance(batch_sizes, Tensor):
            batch_sizes = _int64_tensor(_integers(batch_sizes, "batch_sizes",
                                                  "PackedSequence"))
        if sorted_indices is not None and not isinstance(sorted_indices, Tensor):
            sorted_indices = _int64_tensor(sorted_indices)
        if unsorted_indices is None and sorted_indices is not None:
            rows = checked_permutation(sorted_indices, len(sorted_indices), "sorted_indices",
                                       "PackedSequence")
            inverse = np.empty(len(rows), dtype=np.int64)
            inverse[rows] = np.arange(len(rows))
            unsorted_indices = _int64_tensor(inverse)
        elif unsorted_indices is not None and not isinstance(unsorted_indices, Tensor):
            unsorted_indices = _int64_tensor(unsorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """The same packing with ``data.to(*args, **kwargs)`` (a dtype or device)."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._replace(data=data)

    def cpu(self) -> PackedSequence:
        return self

    def double(self) -> PackedSequence:
        return self.to(np.float64)

    def float(self) -> PackedSequence:
        return self.to(np.float32)

    @property
    def is_cuda(self) -> bool:
        return False


def _input_axes(x, batch_first, where):
    if x.ndim < 2:
        layout = "(B, T, *)" if batch_first else "(T, B, *)"
        raise ValueError(f"{where}: expected a padded batch of shape {layout}, got shape "
                         f"{x.shape}")
    return (x.shape[1], x.shape[0]) if batch_first else (x.shape[0], x.shape[1])


def pack_padded_sequence(input, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (``batch_first``: (B, T, *)) of sequences of the
    given ``lengths``.  With ``enforce_sorted`` (the default) the lengths must be in
    decreasing order; ``enforce_sorted=False`` sorts the batch and records the order
    in ``sorted_indices``.  Gradients flow back to the valid steps of ``input``.

    >>> padded = ad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 0.0]])
    >>> packed = ad.nn.utils.rnn.pack_padded_sequence(padded, [3, 2], batch_first=True)
    >>> packed.data, packed.batch_sizes
    (tensor([1., 4., 2., 5., 3.]), tensor([2, 2, 1]))
    """
    where = "pack_padded_sequence"
    x = tensor_of(input)
    steps, batch = _input_axes(x, batch_first, where)
    lengths = _integers(lengths, "lengths", where)
    if len(lengths) != batch:
        raise RuntimeError(f"{where}: Expected `len(lengths)` to be equal to batch_size, but "
                           f"got {len(lengths)} (batch_size={batch})")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(f"{where}: {_UNSORTED_MESSAGE}")
        order = None
        sorted_lengths = lengths
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_lengths = lengths[order]
    if batch == 0 or sorted_lengths[-1] <= 0:
        raise RuntimeError(f"{where}: Length of all samples has to be greater than 0, but "
                           f"found an element in 'lengths' that is <= 0 (lengths "
                           f"{lengths.tolist()})")
    if sorted_lengths[0] > steps:
        raise ValueError(f"{where}: a sequence of length {sorted_lengths[0]} does not fit the "
                         f"padded input's {steps} time steps (input shape {x.shape}, "
                         f"batch_first={batch_first}); pass each sequence's true length")
    batch_sizes = _count_above(sorted_lengths)
    # (made, from Python numbers: a compiled function computes it again at each replay)
    flat = made("pack_padded_sequence index", _packing_index,
                (tuple(batch_sizes.tolist()), None if order is None else tuple(order.tolist()),
                 steps, batch, batch_first))
    data = take(sh.reshape(x, (steps * batch,) + x.shape[2:]), flat, axis=0)
    return PackedSequence(data, _int64_tensor(batch_sizes),
                          None if order is None else _int64_tensor(order))


def _count_above(values: np.ndarray) -> np.ndarray:
    """For each k in 0 .. values[0] - 1, how many of the non-increasing ``values`` exceed k:
    of sorted lengths, the batch size of each step; of the batch sizes, the length of
    each packed row."""
    return (values[None, :] > np.arange(values[0])[:, None]).sum(1)


def _packing_index(batch_sizes, order, steps, batch, batch_first) -> np.ndarray:
    """The row of the flattened padded input that each packed row reads."""
    times = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    rows = np.concatenate([np.arange(size) for size in batch_sizes])
    if order is not None:
        rows = np.asarray(order)[rows]
    return rows * steps + times if batch_first else times * batch + rows


def pad_packed_sequence(sequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None):
    """Unpack to ``(padded, lengths)``: the padded batch (T, B, *) (``batch_first``:
    (B, T, *)) in the original batch order, filled with ``padding_value`` after each
    sequence up to ``total_length`` steps (default: the longest), and the lengths as an
    int64 Tensor.  The inverse of ``pack_padded_sequence``; gradients flow back to
    ``sequence.data``.

    >>> packed = ad.nn.utils.rnn.pack_sequence([ad.tensor([1.0, 2.0]), ad.tensor([3.0])])
    >>> ad.nn.utils.rnn.pad_packed_sequence(packed, batch_first=True)
    (tensor([[1., 2.],
            [3., 0.]]), tensor([2, 1]))
    """
    where = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{where}: expected a PackedSequence (from pack_padded_sequence or "
                        f"pack_sequence), got {type(sequence).__name__}")
    data = tensor_of(sequence.data)
    batch_sizes = checked_batch_sizes(sequence, data.shape[0] if data.ndim else 0, where)
    sorted_lengths = _count_above(batch_sizes)
    longest, batch = len(batch_sizes), int(batch_sizes[0])
    steps = longest
    if total_length is not None:
        if total_length < longest:
            raise ValueError(f"{where}: Expected total_length to be at least the length of "
                             f"the longest sequence in input, but got "
                             f"total_length={total_length} and max sequence length being "
                             f"{longest}")
        steps = int(total_length)
    if sequence.unsorted_indices is None:
        position = np.arange(batch)             # each sequence's row in the packed order
    else:
        position = checked_permutation(sequence.unsorted_indices, batch, "unsorted_indices", where)
    index = made("pad_packed_sequence index", _padding_index,
                 (tuple(batch_sizes.tolist()), tuple(position.tolist()), steps, batch_first))
    filler = Tensor(made("full", np.full, ((1,) + data.shape[1:], padding_value, data.dtype)))
    rows = take(sh.concatenate([data, filler], axis=0), index, axis=0)
    padded_shape = (batch, steps) if batch_first else (steps, batch)
    padded = sh.reshape(rows, padded_shape + data.shape[1:])
    return padded, _int64_tensor(sorted_lengths[position])


def _padding_index(batch_sizes, position, steps, batch_first) -> np.ndarray:
    """The packed row of each padded position, flattened from (T, B) (``batch_first``:
    (B, T)); the padding positions read the row after the last, the padding value."""
    batch_sizes, position = np.asarray(batch_sizes), np.asarray(position)
    sorted_lengths = _count_above(batch_sizes)
    starts = np.concatenate([[0], np.cumsum(batch_sizes)])[:-1]   # each step's first row
    times = np.arange(steps)[:, None]
    valid = times < sorted_lengths[position][None, :]
    index = np.where(valid, starts[np.minimum(times, len(batch_sizes) - 1)]
                     + position[None, :], batch_sizes.sum())
    return (index.T if batch_first else index).ravel()


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_i, *), longest first unless ``enforce_sorted=False``.

    >>> ad.nn.utils.rnn.pack_sequence([ad.tensor([1.0]), ad.tensor([2.0, 3.0])],
    ...                               enforce_sorted=False).sorted_indices
    tensor([1, 0])
    """
    from .utils_rnn import pad_sequence         # (utils_rnn imports this module)
    sequences = [tensor_of(s) for s in sequences]
    if not sequences:
        raise ValueError("pack_sequence: received an empty list of sequences")
    lengths = [s.shape[0] if s.ndim else 0 for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first: bool = False) -> list:
    """The list of sequences of a padded batch (T, B, *) (``batch_first``: (B, T, *)),
    each cut to its length.

    >>> padded = ad.tensor([[1.0, 2.0], [3.0, 0.0]])
    >>> ad.nn.utils.rnn.unpad_sequence(padded, [2, 1], batch_first=True)
    [tensor([1., 2.]), tensor([3.])]
    """
    where = "unpad_sequence"
    padded = tensor_of(padded_sequences)
    steps, batch = _input_axes(padded, batch_first, where)
    lengths = _integers(lengths, "lengths", where)
    if len(lengths) != batch or np.any(lengths < 0) or np.any(lengths > steps):
        raise ValueError(f"{where}: expected {batch} lengths between 0 and {steps} for a "
                         f"padded batch of shape {padded.shape} (batch_first={batch_first}), "
                         f"got {lengths.tolist()}")
    if not batch_first:
        padded = sh.swapaxes(padded, 0, 1)
    return [padded[b, :int(n)] for b, n in enumerate(lengths)]


def unpack_sequence(packed_sequences) -> list:
    """The list of sequences of a PackedSequence, in their original order.

    >>> packed = ad.nn.utils.rnn.pack_sequence([ad.tensor([1.0, 2.0]), ad.tensor([3.0])])
    >>> ad.nn.utils.rnn.unpack_sequence(packed)
    [tensor([1., 2.]), tensor([3.])]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
