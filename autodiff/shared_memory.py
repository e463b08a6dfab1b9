"""Tensors in memory shared between processes: ``Tensor.share_memory_()``,
``Tensor.is_shared()`` and ``Module.share_memory()``, as PyTorch's for Hogwild-style
training with worker processes.

``share_memory_`` moves a tensor's values into an anonymous shared memory mapping
(values, shape, dtype and the Tensor object unchanged).  A process started with the
``fork`` start method (``multiprocessing.get_context("fork")``, Linux's default before
Python 3.14) inherits the mapping: what it writes into the tensor in place (an
optimizer step, ``t[...] = ...``) the parent sees, and the reverse.  Any other way of
reaching a process pickles the tensor (``spawn`` / ``forkserver``, a
``multiprocessing.Queue``, a ``Pool``'s arguments), which would deliver a copy that
shares nothing; that is refused with an error instead of letting updates get lost.
(PyTorch sends a handle to the shared block there; this library has no such channel.)

As PyTorch moves the whole storage, ``share_memory_`` of a view by indexing moves the
tensor it views, and the views by indexing of the moved tensor (made before or after)
show the shared memory.  Other tensors made before the move that showed the same memory
(``t.detach()``, ``t.reshape(...)``, ``t.T``) keep the old values, where PyTorch's follow:
make them after ``share_memory_()``.
"""

from __future__ import annotations

import mmap
from multiprocessing.reduction import ForkingPickler

import numpy as np


def shared_copy(array: np.ndarray) -> np.ndarray:
    """``array``'s values in a new array backed by an anonymous shared mapping.

    >>> moved = shared_copy(np.arange(3.0))
    >>> moved, in_shared_memory(moved), in_shared_memory(np.arange(3.0))
    (array([0., 1., 2.]), True, False)
    """
    mapping = mmap.mmap(-1, max(array.nbytes, 1))       # MAP_SHARED, kept alive by .base
    moved = np.ndarray(array.shape, array.dtype, buffer=mapping)
    moved[...] = array
    return moved


def in_shared_memory(array) -> bool:
    """Whether ``array`` (or what it is a view of) lives in a shared mapping."""
    base = array
    while isinstance(base, np.ndarray):
        base = base.base
    return isinstance(base, mmap.mmap)


def computed_apart_from_shared_memory(t, compute):
    """``compute()``, a recorded update of ``t``, with ``t`` holding a copy of its values
    while it runs when they are in shared memory: the update then writes its result into
    that memory (``inplace._take``), and the op must have saved the values from before it
    (PyTorch's in-place ops save a clone of the original too)."""
    shared = t.data
    if type(shared) is not np.ndarray or not in_shared_memory(shared):
        return compute()
    t.data = shared.copy()
    try:
        return compute()
    finally:
        t.data = shared


def keeps_shared_memory(t, result) -> bool:
    """Whether a recorded update of ``t`` to ``result`` writes into ``t``'s shared memory
    (``inplace._take``) rather than giving ``t`` the result's array."""
    return (type(t.data) is np.ndarray and in_shared_memory(t.data)
            and t.data.flags.writeable and type(result.data) is np.ndarray
            and result.data.shape == t.data.shape and result.data.dtype == t.data.dtype
            and not np.shares_memory(result.data, t.data))


def _refuse_pickling_shared(tensor):
    if in_shared_memory(tensor.data):
        raise RuntimeError(
            f"a {type(tensor).__name__} of shape {tensor.shape} in shared memory "
            "(share_memory_() / Module.share_memory()) is being pickled to reach another "
            "process (start method 'spawn' or 'forkserver', a Queue, a Pool's arguments); "
            "it would arrive as a copy that shares nothing, so the processes' updates "
            "would be lost. Start the workers with multiprocessing.get_context('fork') "
            "and let them reach the model without pickling (e.g. as Process args, or a "
            "global), or send plain arrays and merge the results yourself")
    return tensor.__reduce_ex__(4)


def register_pickling_refusal(tensor_class) -> None:
    """Refuse to send ``tensor_class`` and its subclasses (those defined by now) in shared
    memory through multiprocessing's pickler (PyTorch registers its own reducers there
    too)."""
    pending = [tensor_class]
    while pending:
        cls = pending.pop()
        ForkingPickler.register(cls, _refuse_pickling_shared)
        pending.extend(cls.__subclasses__())
