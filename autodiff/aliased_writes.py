"""Writes whose values are a view of the array written into (``t[t > 0] = t[0, :6]``,
``np.place(t, mask, t[0])``).

NumPy reads such values while it writes for a boolean mask and for ``np.place``, so
what lands depends on the order of its loop (values already overwritten are read
again); a recorded write of the library takes the values as they were before it, as
any copy would.  Where the two differ the write is refused, as PyTorch refuses a write
from overlapping memory, naming the copy to write instead; where they agree (slices,
integer indices: NumPy copies first; a row written with itself) it goes ahead, and
``t[key] = values`` is only checked for a key holding a mask (``masks_in``).
"""

from __future__ import annotations

import sys

import numpy as np


def _owner(array: np.ndarray) -> np.ndarray:
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _address(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]


def _same_view_of(array: np.ndarray, owner: np.ndarray, copied: np.ndarray) -> np.ndarray:
    return np.ndarray(array.shape, array.dtype, buffer=copied,
                      offset=_address(array) - _address(owner), strides=array.strides)


def numpy_reads_while_writing(target: np.ndarray, values: np.ndarray, write) -> bool:
    """Whether NumPy's ``write(target, values)``, with ``values`` sharing memory with
    ``target``, gives ``target`` other values than writing a copy of ``values`` does:
    both run on copies (the shared memory copied whole, so that the views overlap as
    they do); False when that cannot be told or the write itself fails (the write's own
    error follows).

    >>> a = np.array([[-1.0, 2.0, -3.0], [4.0, 5.0, -6.0]])
    >>> numpy_reads_while_writing(a, a[0], lambda t, v: t.__setitem__(t > 0, v))
    True
    >>> numpy_reads_while_writing(a, a[0], lambda t, v: t.__setitem__(1, v))
    False
    """
    owner = _owner(target)
    if _owner(values) is not owner or not (owner.flags.c_contiguous
                                           or owner.flags.f_contiguous):
        return False
    copied = owner.copy(order="K")
    try:
        if copied.strides != owner.strides:
            return False
        overlapping = _same_view_of(target, owner, copied)
        write(overlapping, _same_view_of(values, owner, copied))
        apart = target.copy()
        write(apart, values.copy())
    except (TypeError, ValueError, IndexError, BufferError):
        return False
    return not np.array_equal(overlapping, apart, equal_nan=apart.dtype.kind in "fc")


def masks_in(key) -> bool:
    """Whether the index ``key`` holds a boolean mask (an array of bools), the one kind
    of ``t[key] = values`` where NumPy reads the values while it writes: for slices,
    integers and integer arrays it copies overlapping values first, so the check (two
    copies of the whole array) is skipped there.

    >>> masks_in((slice(None), np.array([True, False]))), masks_in(slice(1, None))
    (True, False)
    """
    parts = key if isinstance(key, tuple) else (key,)
    return any(isinstance(part, np.ndarray) and part.dtype == bool and part.ndim
               for part in parts)


def refuse_overlapping_values(where: str, target, values, write, copy_instead: str) -> None:
    """Raise naming ``where`` and ``copy_instead`` when ``values`` (a Tensor or array)
    shares memory with ``target`` (a Tensor) and NumPy's ``write`` would read them
    while it writes (``numpy_reads_while_writing``)."""
    raw = getattr(values, "data", values)
    if not (isinstance(raw, np.ndarray) and raw.ndim and type(target.data) is np.ndarray
            and np.may_share_memory(raw, target.data)):
        return
    if numpy_reads_while_writing(target.data, raw, write):
        raise ValueError(
            f"{where}: the values (shape {raw.shape}) are a view of the tensor written into "
            f"(shape {target.shape}), which NumPy reads while it writes, so values it has "
            "already overwritten would be read again; PyTorch refuses writes from "
            f"overlapping memory too. Write a copy of them: {copy_instead}")


def refuse_aliased_setitem(where: str, t, key, value) -> None:
    """The refusals of ``t[key] = value`` (``key`` normalized) whose values share memory
    with ``t``: rows swapped by ``rng.shuffle``, and values NumPy would read while it
    writes them.  Called by ``inplace.set_item``, itself called by ``__setitem__``."""
    _refuse_shuffle_by_swaps(t, value, 3)   # (this, set_item, __setitem__, the caller)
    if masks_in(key):               # (NumPy copies overlapping values for other keys)
        refuse_overlapping_values(where, t, value, lambda a, v: a.__setitem__(key, v),
                                  "t[key] = values.copy()")


def _refuse_shuffle_by_swaps(t, value, caller_depth: int) -> None:
    """``rng.shuffle(t)`` on a Tensor of two or more dimensions: NumPy shuffles an
    object other than an ndarray by swapping ``t[i], t[j] = t[j], t[i]``, and the rows
    of a Tensor are views, so the first write changes the row the second one copies
    (rows come out duplicated, with only NumPy's general warning)."""
    if t.data.ndim < 2:                 # (every setitem passes here: the cheap test first)
        return
    from .tensor import Tensor
    if not (isinstance(value, Tensor) and value.ndim > 0
            and np.may_share_memory(value.data, t.data)):
        return
    from .tape_drop import numpy_random_callee
    name = numpy_random_callee(sys._getframe(caller_depth + 1))
    if name is not None and name.endswith(".shuffle"):
        raise TypeError(
            f"{name} of a Tensor of shape {t.shape}: NumPy shuffles an object other than "
            "an ndarray by swapping its rows one pair at a time, and a Tensor's rows are "
            "views, so rows would come out duplicated. Shuffle by indexing instead, which "
            "also stays on the tape: t = t[rng.permutation(len(t))]")
