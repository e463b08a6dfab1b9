"""Hooks on a node of the tape (PyTorch's ``grad_fn.register_prehook`` and
``grad_fn.register_hook``, on ``torch.autograd.graph.Node``).

``register_prehook(fn)`` calls ``fn(grad_outputs)`` when the pass has the node's whole
upstream gradient, as a one-tuple; a tuple it returns replaces it (the tensor hook of
the node's output, in PyTorch's signature).  ``register_hook(fn)`` calls
``fn(grad_inputs, grad_outputs)`` after the node's rules, with one gradient per input
(None for an input that gets none), each summed to its input's shape (in a plain pass,
``GradArray`` views, as a tensor hook's); a tuple it returns replaces them (with
PyTorch's checks: the shape and dtype of each, and None where the input gets none).
Both run only where a hook is registered: the reverse pass reaches them through its
one test for hooks (``hooks.run_hooks``), which gives the node a stand-in op for that
step (``_PostHooked``) whose ``vjp`` runs the rules and then the hooks.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .grad_mode import _grad_mode
from .hooks import RemovableHandle, _next_id, registered


class PreHook:
    """``fn(grad_outputs)`` as a gradient hook of the node (``hooks.run_hooks`` runs it)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable):
        self.fn = fn

    def __call__(self, grad):
        result = self.fn((grad,))
        if result is None:
            return None
        if not isinstance(result, (tuple, list)) or len(result) != 1:
            raise TypeError(f"register_prehook: the hook must return None or a tuple of one "
                            f"gradient (the node has one output), got {result!r}")
        return result[0]


class PostHook:
    """``fn(grad_inputs, grad_outputs)``: ``hooks.run_hooks`` hands the node to
    ``install`` instead of calling it."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable):
        self.fn = fn

    def install(self, node, grad) -> None:
        if node.op.__class__ is not _PostHooked:
            node.op = _PostHooked(node.op)
        node.op.hooks.append((self.fn, grad))


class _PostHooked:
    """The op of a node for the one step of the pass that runs its post-hooks: its own
    rules first, then the hooks; then the node gets its op back."""

    rules = None

    def __init__(self, op):
        self.op = op
        self.hooks = []

    def __getattr__(self, name):
        return getattr(self.op, name)

    def vjp(self, xp, g, ans, args, kwargs, parents, node):
        from .anomaly import check_hook
        from .grad_arrays import shown_to_hook
        op = self.op
        node.op = op
        grads = list(op.vjp(xp, g, ans, args, kwargs, parents, node))
        for i, (gi, arg) in enumerate(zip(grads, args)):
            if gi is not None and gi.shape != np.shape(arg):
                grads[i] = xp.sum_to(gi, np.shape(arg))
        for fn, upstream in self.hooks:
            result = fn(tuple(shown_to_hook(gi) for gi in grads), (shown_to_hook(upstream),))
            if result is None:
                continue
            if not isinstance(result, (tuple, list)) or len(result) != len(grads):
                raise TypeError(
                    f"register_hook: the hook of {op.name}'s node must return None or a "
                    f"tuple of {len(grads)} gradient(s), one per input, got {result!r}")
            for i, (new, old) in enumerate(zip(result, grads)):
                if old is None and new is not None:
                    raise RuntimeError(
                        f"register_hook: the hook {hook_name(fn)} of {op.name}'s node "
                        f"returned a gradient for input {i} (shape {np.shape(new)}), which "
                        "gets none (it does not require grad, or the op has no gradient "
                        "for it); PyTorch refuses it too (\"can't replace a None gradient "
                        "with a non-None value\"): return None in its place")
            new_grads = [None if new is None else _like(new, old, arg, fn, op.name)
                         for new, old, arg in zip(result, grads, args)]
            for i, (new, old) in enumerate(zip(new_grads, grads)):
                check_hook("register_hook", fn, node, old, new, input_index=i)
            grads = new_grads
        return grads


def _like(new, old, arg, fn, op_name):
    """``new`` as the pass carries gradients (an array in a plain pass), refused unless
    it has the shape of the input it is for and the dtype of ``old``, the gradient it
    replaces."""
    from .tensor import Tensor
    if isinstance(old, Tensor):
        new = new if isinstance(new, Tensor) else Tensor(np.asarray(new))
    else:
        new = np.asarray(new.data if isinstance(new, Tensor) else new)
    if new.shape != np.shape(arg) or new.dtype != old.dtype:
        refuse_changed("register_hook", fn, f" of {op_name}'s node", new, old, arg, "an input")
    return new


class HookDtypeError(TypeError, RuntimeError):
    """A hook returned a gradient of another dtype (a RuntimeError in PyTorch)."""


def refuse_changed(method: str, fn, where: str, new, old, arg,
                   of: str = "a gradient") -> None:
    """Refuse a hook's gradient ``new`` whose shape is not ``arg``'s or whose dtype is
    not ``old``'s (PyTorch refuses both: "hook ... has changed the type of value")."""
    if new.shape != np.shape(arg):
        raise ValueError(
            f"{method}: the hook {hook_name(fn)}{where} returned a gradient of shape "
            f"{new.shape} for {of} of shape {np.shape(arg)}; return one of the same "
            "shape (or None to leave it unchanged)")
    raise HookDtypeError(
        f"{method}: the hook {hook_name(fn)}{where} returned a gradient of dtype {new.dtype} "
        f"for a gradient of dtype {old.dtype}; a hook may not change the gradient's dtype "
        f"(PyTorch refuses it too): return one of dtype {old.dtype}, e.g. "
        f"g.astype(np.{old.dtype}), or None to leave it unchanged")


def hook_name(fn) -> str:
    """The name of a hook function, for messages."""
    fn = getattr(fn, "fn", fn)      # (a PreHook's or PostHook's function)
    return getattr(fn, "__name__", type(fn).__name__)


def register(node, hook) -> RemovableHandle:
    """Register ``hook`` (a ``PreHook`` or ``PostHook``) on ``node``; returns a handle."""
    if not callable(hook.fn):
        raise TypeError(f"register_hook: the hook must be callable, got "
                        f"{type(hook.fn).__name__}")
    hook_id = _next_id()
    registered.add(node, hook_id, (hook, _grad_mode.transform_level))
    from .compile.refusals import note_line
    note_line("hook", hook_id)              # (a refusal of the hook in a trace names it)
    return RemovableHandle(node, hook_id)
