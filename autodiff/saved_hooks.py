"""Packing and unpacking the values a node saves (``saved_tensors_hooks``).

Inside ``ad.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook)`` each node
recorded for a backward hands its saved arrays (its inputs and its output) to
``pack_hook``, and keeps what that returns instead.  When the block ends the nodes
drop the arrays themselves, as a backward pass releases them (so do those of a block
still open when a reverse pass starts in it); a reverse pass that
reaches such a node calls ``unpack_hook`` on each packed value and runs the node's
rules on what it returns (``revive.py`` asks here first).  Without ``retain_graph``
the packed values go with the pass, as PyTorch frees them; with it, each pass
unpacks them again.

PyTorch packs only the tensors each op's formula reads; here every array input and
the output of a node are packed, so the hooks may run more often than PyTorch's, on
the same values.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

from .grad_mode import _grad_mode
from .observers import BackwardObserver

__all__ = ["active", "pushed", "popped", "unpacked_args", "unpacked_values"]

#: node -> its _Packed values (while it keeps them)
_packed = weakref.WeakKeyDictionary()


class _Stack(threading.local):
    #: one per open block: (pack_hook, unpack_hook, weak references to the nodes it
    #: packed, the on_record hook and the observers before it)
    entries = ()
    packing = False     # a pack_hook is running


_stack = _Stack()


def _saved_tensor(value, parent):
    """What ``pack_hook`` receives: the leaf itself for a leaf's array, else a Tensor of
    the array that records nothing."""
    from .tensor import Tensor
    if isinstance(parent, Tensor) and parent.data is value:
        return parent
    return Tensor._make(value, None, False)


class _Packed:
    """What a node keeps in place of its arrays: the packed values, and its other
    inputs (numbers, axes) as they are."""

    __slots__ = ("unpack_hook", "args", "kinds", "ans", "ans_kind")

    def unpack(self, node) -> tuple:
        """The node's inputs and output from ``unpack_hook`` (checked against what was
        packed)."""
        args = tuple(_unpacked(self.unpack_hook, a, kind, node) if kind is not None else a
                     for a, kind in zip(self.args, self.kinds))
        return args, _unpacked(self.unpack_hook, self.ans, self.ans_kind, node)


def _kind(array):
    return array.shape, array.dtype


def _packer(entry):
    """The record hook of the block ``entry`` of the stack: the hook it found installed
    runs first (an outer block's, detect_anomaly's, an ad.compile trace's), then, while
    this block is the innermost, the node packs its values with its hooks (an inner
    block replaces an outer one's hooks, as PyTorch's)."""
    found = entry[3]

    def on_record(node):
        if found is not None:
            found(node)
        if _stack.entries and _stack.entries[-1] is entry and not _stack.packing:
            _pack(node, entry)
    return on_record


def _pack(node, entry) -> None:
    pack_hook, unpack_hook, nodes, _, _ = entry
    if not node.requires_grad:
        return
    packed = _Packed()
    packed.unpack_hook = unpack_hook
    packed.kinds = tuple(_kind(a) if a.__class__ is np.ndarray else None for a in node.args)
    packed.ans_kind = _kind(node.ans)
    _stack.packing = True               # (the ops pack_hook runs pack nothing)
    try:
        packed.args = tuple(pack_hook(_saved_tensor(a, p)) if kind is not None else a
                            for a, p, kind in zip(node.args, node.parents, packed.kinds))
        packed.ans = pack_hook(_saved_tensor(node.ans, None))
    finally:
        _stack.packing = False
    _packed[node] = packed
    nodes.append(weakref.ref(node))


def _release(nodes) -> None:
    """The packed nodes drop their own arrays (a reverse pass then unpacks them)."""
    for ref in nodes:
        node = ref()
        if node is not None and node.args is not None and node in _packed:
            node._shape, node._dtype = node.ans.shape, node.ans.dtype
            node.args = node.ans = None
    nodes.clear()


class _BeforeEachPass(BackwardObserver):
    """A backward inside the block reads unpacked values too: the nodes packed so far
    drop their arrays as the pass starts."""

    def on_pass(self) -> None:
        for _, _, nodes, _, _ in _stack.entries:
            _release(nodes)


_BEFORE_EACH_PASS = _BeforeEachPass()


def active() -> bool:
    """Whether a ``saved_tensors_hooks`` block is open in this thread (``ad.compile``
    then runs the function eagerly: a replay would run no hooks)."""
    return bool(_stack.entries)


def pushed(pack_hook, unpack_hook) -> None:
    """Start packing each node recorded in this thread with these hooks."""
    entry = (pack_hook, unpack_hook, [], _grad_mode.on_record, _grad_mode.observers)
    _stack.entries = _stack.entries + (entry,)
    _grad_mode.on_record = _packer(entry)
    if _BEFORE_EACH_PASS not in _grad_mode.observers:
        _grad_mode.observers = _grad_mode.observers + (_BEFORE_EACH_PASS,)


def popped() -> None:
    """End the innermost block: its nodes drop the arrays they packed."""
    _, _, nodes, _grad_mode.on_record, _grad_mode.observers = _stack.entries[-1]
    _stack.entries = _stack.entries[:-1]
    _release(nodes)


def unpacked_args(node, keep: bool):
    """The inputs of a node that dropped its arrays in a ``saved_tensors_hooks`` block,
    unpacked (its output too, into ``node.ans``), or None for any other node.  Without
    ``keep`` the packed values are let go."""
    packed = _packed.get(node) if _packed else None
    if packed is None:
        return None
    if not keep:
        del _packed[node]
    node.args, node.ans = packed.unpack(node)
    return node.args


def unpacked_values(node):
    """``(args, ans)``: the inputs and output of a node that dropped its arrays in a
    ``saved_tensors_hooks`` block, unpacked, for forward mode, which reads them to
    compute a tangent (the node keeps them packed for its backward); None for any other
    node."""
    packed = _packed.get(node) if _packed and node.args is None else None
    return None if packed is None else packed.unpack(node)


def _unpacked(unpack_hook, packed, kind, node):
    value = unpack_hook(packed)
    array = np.asarray(getattr(value, "data", value))
    if (array.shape, array.dtype) != kind:
        raise RuntimeError(
            f"saved_tensors_hooks: unpack_hook returned an array of shape {array.shape} and "
            f"dtype {array.dtype} for a value that {node.op.name} saved with shape "
            f"{kind[0]} and dtype {kind[1]}; unpack_hook must give back the packed value")
    return array
