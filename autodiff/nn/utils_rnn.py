"""``torch.nn.utils.rnn``'s functions, reached as ``ad.nn.utils.rnn``: ``pad_sequence``
stacks sequences of different lengths into one padded batch, and the packed
sequences (``PackedSequence``, ``pack_padded_sequence``, ``pad_packed_sequence``,
``pack_sequence``, ``unpack_sequence``, ``unpad_sequence``) are in
``packed_sequence.py``.

The results are built with the library's ops (``pad`` and ``stack``, gathers for the
packed ones), so gradients flow back to each sequence; the padding gets none.
"""

from __future__ import annotations

import numpy as np

from ..ops.replicate import pad
from ..ops.shape import stack
from ..tensor import Tensor, tensor
from .packed_sequence import (PackedSequence, pack_padded_sequence, pack_sequence,
                              pad_packed_sequence, unpack_sequence, unpad_sequence)

__all__ = ["pad_sequence", "PackedSequence", "pack_padded_sequence", "pad_packed_sequence",
           "pack_sequence", "unpack_sequence", "unpad_sequence", "invert_permutation"]


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes ``(L_i, *)`` into ``(max L, B, *)`` (``batch_first``:
    ``(B, max L, *)``), filling the missing steps with ``padding_value`` after each
    sequence (``padding_side="right"``) or before it (``"left"``).  A Tensor instead of
    a list is read as its rows.

    >>> a, b = ad.tensor([1.0, 2.0, 3.0]), ad.tensor([4.0])
    >>> ad.nn.utils.rnn.pad_sequence([a, b], batch_first=True)
    tensor([[1., 2., 3.],
            [4., 0., 0.]])
    >>> ad.nn.utils.rnn.pad_sequence([a, b], batch_first=True, padding_side="left").data[1]
    array([0., 0., 4.])
    """
    where = "pad_sequence"
    if padding_side not in ("left", "right"):
        raise ValueError(f"{where}: expected padding_side to be one of left or right, "
                         f"but got {padding_side!r}")
    if isinstance(sequences, (Tensor, np.ndarray)):
        sequences = [sequences[i] for i in range(len(sequences))]
    sequences = [s if isinstance(s, Tensor) else tensor(s) for s in sequences]
    if not sequences:
        raise ValueError(f"{where}: received an empty list of sequences")
    trailing = sequences[0].shape[1:]
    for i, s in enumerate(sequences):
        if s.ndim == 0 or s.shape[1:] != trailing:
            raise ValueError(f"{where}: every sequence must have shape (length, *{trailing}) "
                             f"like the first one; sequence {i} has shape {s.shape}")
    longest = max(s.shape[0] for s in sequences)
    dtype = sequences[0].dtype           # (as PyTorch: the first sequence's dtype)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        before, after = (0, missing) if padding_side == "right" else (missing, 0)
        if s.dtype != dtype:
            s = s.astype(dtype)
        if missing:
            s = pad(s, [(before, after)] + [(0, 0)] * len(trailing),
                    constant_values=padding_value)
        padded.append(s)
    return stack(padded, axis=0 if batch_first else 1)


def invert_permutation(permutation):
    """PyTorch's ``invert_permutation``: the permutation that undoes ``permutation`` (a
    1-d tensor of indices; ``None`` gives ``None``), as ``PackedSequence`` uses it.

    >>> ad.nn.utils.rnn.invert_permutation(ad.tensor([2, 0, 1]))
    tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    order = np.asarray(permutation.data if isinstance(permutation, Tensor) else permutation)
    if order.ndim != 1 or order.dtype.kind not in "iu" or \
            not np.array_equal(np.sort(order), np.arange(order.size)):
        raise ValueError(f"invert_permutation: expected a 1-d tensor holding each of 0 .. "
                         f"n-1 once, got {order!r}")
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size, dtype=order.dtype)
    return tensor(inverse)
