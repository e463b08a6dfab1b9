"""``Tensor.is_inference``: the tensors made inside an ``inference_mode()`` block.

PyTorch calls them inference tensors.  Nothing on the op path looks for the block:
while one is open (in any thread) an op hook (``registry.kernel_hook``, which every op
that records nothing calls when set) notes each result made in a thread whose block
is in effect, except a view of a tensor made outside (PyTorch's rule); ``ad.tensor``,
``ad.from_numpy``, ``ad.as_tensor`` and the creation functions (``zeros``, ``ones``,
``full``, ``arange``, ``rand``, ...) note theirs, and so does ``ad.compile``'s call for
the results of a compiled function called in the block.  The note is the Tensor slot
``_inference``, unset (and free) on every other tensor; a view of a noted tensor is
found to be one through its view links when asked, and ``detach()`` of one is one.
A view made in the block of a tensor made outside keeps that tensor's
``requires_grad``, as PyTorch's does; PyTorch's answer to view or copy decides: so
do ``t.flatten()`` (when PyTorch's is a view or ``t`` itself), ``t.conj()``, ``.real``,
``.imag``, ``view_as_real`` and ``t.unfold`` (copies here), and ``flip`` and ``rot90``
(NumPy views, PyTorch copies) give inference tensors.  Unlike PyTorch's, an inference
tensor here may still be used later in a recorded computation.
"""

from __future__ import annotations

import threading

import numpy as np

from .grad_mode import _grad_mode

#: ``inference_mode(True)`` blocks open now, over all threads (a cheap test).
open_blocks = 0
#: Whether a block was ever opened: before, no tensor is noted, and ``detach``,
#: ``flatten`` and ``conj`` need not ask.
ever_opened = False
_lock = threading.Lock()
_previous_hook = None       # the op hook installed before the first open block
_registry = None            # autodiff.ops.registry (imported when a block opens)


def note(tensor) -> None:
    """Mark ``tensor`` as made in inference mode when this thread's block is in effect."""
    if _grad_mode.inference_mode:
        tensor._inference = True


def note_results(result, args) -> None:
    """Mark the tensors among ``result`` (a compiled function's, whose replay makes them
    without the op hook) as made in inference mode when this thread's block is in
    effect, except those sharing memory with a tensor argument made outside it."""
    if not _grad_mode.inference_mode:
        return
    from .pytrees import flatten
    from .tensor import Tensor
    normal = [a.data for a in flatten(args)[0] if isinstance(a, Tensor) and not is_noted(a)]
    for value in flatten(result)[0]:
        if isinstance(value, Tensor) and not any(np.may_share_memory(value.data, a)
                                                 for a in normal):
            note(value)


def as_view_of(result, source) -> None:
    """Give ``result``, a copy of ``source`` made where PyTorch makes a view of it (or
    gives ``source`` itself), the flags of that view: an inference tensor's is one at
    any time; in the block, a normal tensor's is normal and requires grad as it does."""
    if is_noted(source):
        result._inference = True
    elif _grad_mode.inference_mode:
        result._inference = False
        if source.requires_grad:
            result.requires_grad = True


def is_noted(tensor) -> bool:
    """Whether ``tensor`` was noted, or is a view of a noted one, made at any time (as
    PyTorch's): looked up through its view links, when asked."""
    from .op_views import viewed_tensor

    while tensor is not None:
        if getattr(tensor, "_inference", False):
            return True
        link = getattr(tensor, "_view_link", None)      # (base, key) of basic indexing
        tensor = link[0] if link is not None else viewed_tensor(tensor)
    return False


class _Chaining(threading.local):
    active = False      # this thread is inside the previous hook, called from _op_hook


_chaining = _Chaining()


def _op_hook(op, args, raw, kwargs, out):
    """``registry.kernel_hook`` while a block is open: the result, noted."""
    previous = _previous_hook
    if previous is not None and not _chaining.active:
        # (a dual level entered inside the block chains back to this hook: once only)
        _chaining.active = True
        try:
            result = previous(op, args, raw, kwargs, out)
        finally:
            _chaining.active = False
    else:
        result = _registry._unrecorded(out)
        if result.data.base is not None:
            _registry.note_op_view(result, op.name, args)
    viewed = _viewed_normal_tensors(op, out, result, args)
    if not viewed:
        note(result)
    elif any(t.requires_grad for t in viewed):
        result.requires_grad = True         # (PyTorch's view keeps its base's)
    return result


#: Ops whose result is a view in PyTorch and a copy here (``real``/``imag`` of a
#: complex tensor, ``view_as_real``, ``Tensor.unfold``'s windows) ...
_VIEWS_IN_PYTORCH = frozenset({"real", "imag", "view_as_real", "view_as_complex",
                               "sliding_window_view"})
#: ... and the other way round (``flip``, ``fliplr``, ``flipud``, ``rot90``: NumPy views).
_COPIES_IN_PYTORCH = frozenset({"flip"})


def _viewed_normal_tensors(op, out, result, args) -> list:
    """The tensors made outside inference mode that ``result`` views in PyTorch:
    PyTorch's view of a normal tensor is a normal one (``x[0]`` is a view there, a
    NumPy scalar here)."""
    name = op.name
    if name in _COPIES_IN_PYTORCH:
        return []
    if name in _VIEWS_IN_PYTORCH:
        source = args[0]
        if (isinstance(source, _registry.Tensor) and not is_noted(source)
                and (source.dtype.kind == "c" or name not in ("real", "imag"))):
            return [source]
        return []
    if result.data.base is not None:
        return [a for a in args if isinstance(a, _registry.Tensor) and not is_noted(a)
                and np.may_share_memory(result.data, a.data)]
    if (name == "getitem" and out.__class__ is not np.ndarray
            and isinstance(args[0], _registry.Tensor) and not is_noted(args[0])):
        return [args[0]]
    return []


def block_opened() -> None:
    global open_blocks, _registry, _previous_hook, ever_opened
    from .ops import registry as _registry

    with _lock:
        if open_blocks == 0:
            _previous_hook = _registry.kernel_hook
            _registry.kernel_hook = _op_hook
        open_blocks += 1
        ever_opened = True


def block_closed() -> None:
    global open_blocks, _previous_hook
    with _lock:
        open_blocks -= 1
        if open_blocks == 0:
            if _registry.kernel_hook is _op_hook:
                _registry.kernel_hook = _previous_hook
            _previous_hook = None
