"""Gradient hooks: ``t.register_hook(fn)`` calls ``fn(grad)`` each time a reverse pass
has ``t``'s whole gradient, before it is used; a value ``fn`` returns replaces it.

As in PyTorch:

- a leaf's hooks see the sum of what all its uses sent in the pass, before it is
  added to ``.grad`` (and before ``ad.grad`` / ``backward(inputs=...)`` return it);
- an intermediate's hooks see its gradient before its op's rules pass it on, so a
  replaced gradient is what flows further back (and what ``retain_grad()`` keeps);
- a hook belongs to the value it was registered on: for an intermediate, the node
  that made it, so after an in-place change of the tensor it still sees the gradient
  of the value from before the change; and an in-place update of a view (``v =
  h[1:]; v.mul_(2)``) reaches ``h`` without passing through that node, as PyTorch's
  ``CopySlices``, so the hook sees only the gradient of ``v``'s uses from before;
- hooks run in the order they were registered; ``handle.remove()`` removes one;
- as in ``torch.func``, a hook registered inside a function transform's function
  belongs to that transform: it runs in the transform's own reverse pass (and in a
  ``backward()`` or vjp pullback run inside it), not when an outer transform, or a
  ``backward()`` after the transform returned, differentiates the recorded gradient
  again (``jacrev(grad(f))`` is then the derivative of ``grad(f)``).  Outside any
  transform PyTorch's eager rule holds: a double backward runs a hook again.

``grad`` is what the pass carries: an ndarray in a plain ``backward()`` (shown to the
hook as a ``GradArray`` view, as ``.grad`` is, so PyTorch's ``g.norm()``,
``g.mean(dim=(2, 3), keepdim=True)``, ``g.clone()`` work on it and on what the hook
keeps), a Tensor under ``create_graph=True`` (so a hook's arithmetic is recorded for
higher order).

``p.register_post_accumulate_grad_hook(fn)`` (a leaf only) calls ``fn(p)`` after a
``backward()`` has added to ``p.grad``: the place for an optimizer step per parameter,
during the backward pass.  ``ad.grad`` (which fills no ``.grad``) does not call it.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from typing import Any, Callable

import numpy as np

from . import collector
from .grad_mode import _grad_mode

#: Held while an owner's hooks are added or removed (both registries share its
#: ``_hooks`` slot): threads registering hooks on one tensor at once each gave it a
#: new dict, and all but one of their hooks were lost.
_registration_lock = threading.Lock()


class _Registry:
    """owner -> {handle id: hook}, in registration order.

    The hooks live on their owner (a tensor's or a node's ``_hooks`` slot, a dict of
    registry -> hooks), so a hook that refers to its own tensor (``y.register_hook(
    lambda g: g * y.data)``) makes a cycle the collector can free, as in PyTorch.
    The registry holds its owners weakly, only to say whether any has hooks
    (``bool(registry)``, the backward pass's one test while none does) and to find
    them in one dict lookup.  Keyed by identity: a Tensor cannot be a
    ``WeakKeyDictionary`` key, whose lookups compare keys with ``==``."""

    def __init__(self):
        self._owners = {}               # id(owner) -> weak reference

    def __bool__(self) -> bool:
        return bool(self._owners)

    def get(self, owner) -> dict | None:
        ref = self._owners.get(id(owner))
        if ref is None or ref() is not owner:
            return None
        return owner._hooks.get(self)

    def add(self, owner, hook_id: int, entry) -> None:
        """Register ``entry`` as ``owner``'s hook ``hook_id`` (after those it has)."""
        with _registration_lock:
            self._functions_of(owner)[hook_id] = entry

    def _functions_of(self, owner) -> dict:
        functions = self.get(owner)
        if functions is None:
            key = id(owner)
            # (the dict bound now: at interpreter exit the module's globals may be gone
            # before the last owners are collected)
            self._owners[key] = weakref.ref(owner, lambda ref, key=key, owners=self._owners:
                                            owners.pop(key) if owners.get(key) is ref
                                            else None)
            try:
                by_registry = owner._hooks
            except AttributeError:
                by_registry = owner._hooks = {}
            functions = by_registry[self] = {}
        return functions

    def discard(self, owner, hook_id: int) -> None:
        with _registration_lock:
            self._discard_unlocked(owner, hook_id)

    def _discard_unlocked(self, owner, hook_id: int) -> None:
        functions = self.get(owner)
        if functions is not None:
            functions.pop(hook_id, None)
            if not functions:
                del owner._hooks[self]
                del self._owners[id(owner)]


#: leaf tensors and nodes (intermediates) -> their hooks
registered = _Registry()
#: leaf tensors -> their post-accumulate-grad hooks
post_accumulate = _Registry()

_next_id = itertools.count().__next__


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook (twice is fine)."""

    __slots__ = ("_owner", "_id", "_registry")

    def __init__(self, owner, hook_id: int, registry: _Registry = registered):
        self._owner = weakref.ref(owner)
        self._id = hook_id
        self._registry = registry

    def remove(self) -> None:
        owner = self._owner()
        if owner is not None:
            self._registry.discard(owner, self._id)


def register_hook(tensor, hook: Callable) -> RemovableHandle:
    """Register ``hook(grad)`` on ``tensor`` (see the module); returns a handle.

    >>> x = ad.tensor([1.0, -2.0], requires_grad=True)
    >>> h = x * 3
    >>> handle = h.register_hook(lambda g: g * 10)     # scale the gradient flowing back
    >>> h.sum().backward(); x.grad
    array([30., 30.])
    >>> handle.remove()
    """
    if not callable(hook):
        raise TypeError(f"register_hook: the hook must be callable, got "
                        f"{type(hook).__name__}")
    if not tensor.requires_grad:
        raise RuntimeError(
            f"register_hook: this tensor (shape {tensor.shape}) does not require grad, so "
            "no gradient reaches it and the hook would never run; create it with "
            "requires_grad=True or register the hook on a tensor that requires grad")
    level = _grad_mode.transform_level
    if level is not None and level.forward_mode:
        raise RuntimeError(
            f"register_hook: called inside the function of ad.jvp or ad.jacfwd (tensor of "
            f"shape {tensor.shape}); forward mode runs no reverse pass, so the hook would "
            "never run and the result would not show it (torch.func refuses it too). "
            "Use ad.jacrev or ad.vjp to have the hook change the gradient, or register "
            "it outside the transform")
    owner = tensor._node if tensor._node is not None else tensor
    hook_id = _next_id()
    registered.add(owner, hook_id, (hook, level))
    from .compile.refusals import note_line
    note_line("hook", hook_id)              # (a refusal of the hook in a trace names it)
    if owner is not tensor:
        collector.track_graphs([tensor])    # the hook may close over what comes from it
    return RemovableHandle(owner, hook_id)


def register_post_accumulate_grad_hook(tensor, hook: Callable) -> RemovableHandle:
    """Register ``hook(tensor)`` to run after each ``backward()`` adds to the leaf
    ``tensor``'s ``.grad``; the hook returns None.  Returns a handle.

    >>> w = ad.nn.Parameter([1.0, 2.0])
    >>> opt = ad.optim.SGD([w], lr=0.5)
    >>> def step_now(p):
    ...     opt.step(); opt.zero_grad()
    >>> _ = w.register_post_accumulate_grad_hook(step_now)
    >>> (w * w).sum().backward(); w
    Parameter([0., 0.])
    """
    if not callable(hook):
        raise TypeError(f"register_post_accumulate_grad_hook: the hook must be callable, "
                        f"got {type(hook).__name__}")
    if not tensor.requires_grad:
        raise RuntimeError("register_post_accumulate_grad_hook: cannot register a hook on a "
                           "tensor that doesn't require gradient")
    if tensor._node is not None:
        raise RuntimeError("register_post_accumulate_grad_hook: post accumulate grad hooks "
                           "cannot be registered on non-leaf tensors (this one was made by "
                           "an op); register it on the parameter, or use register_hook")
    hook_id = _next_id()
    post_accumulate.add(tensor, hook_id, hook)
    return RemovableHandle(tensor, hook_id, post_accumulate)


def run_post_accumulate_hooks(leaf) -> None:
    """The post-accumulate-grad hooks of ``leaf``, after its ``.grad`` was added to."""
    functions = post_accumulate.get(leaf)
    if not functions:
        return
    from .compile.refusals import refuse_while_tracing
    refuse_while_tracing(
        "a post-accumulate-grad hook (register_post_accumulate_grad_hook)",
        "the hook is Python code run after the gradient is added, which a replay of the "
        "plan would skip", "Remove it (handle.remove()) before calling the compiled "
        "function, or call the step without ad.compile.")
    for hook in list(functions.values()):
        result = hook(leaf)
        if result is not None:
            name = getattr(hook, "__name__", type(hook).__name__)
            raise TypeError(f"register_post_accumulate_grad_hook: the hook {name} returned "
                            f"{type(result).__name__}; it must return None (it may change "
                            "the tensor and its .grad in place)")


def has_gradient_hooks(tensor) -> bool:
    """Whether a hook of either kind is registered on the leaf ``tensor``."""
    return registered.get(tensor) is not None or post_accumulate.get(tensor) is not None


class GradientHookWatch:
    """``hooked``: whether any of ``tensors`` has a gradient hook (a compiled plan that
    captured them replays only while none has: a replay skips Python hooks).  Costs
    one test per replay while no hook exists anywhere."""

    __slots__ = ("tensors",)

    def __init__(self, tensors: list):
        self.tensors = tensors

    @property
    def hooked(self) -> bool:
        if not registered and not post_accumulate:
            return False
        return any(has_gradient_hooks(t) for t in self.tensors)


def _runs_within(current, level) -> bool:
    """Whether transform level ``current`` is ``level`` or runs inside it."""
    while current is not None:
        if current is level:
            return True
        current = current.parent
    return False


def run_hooks(owner, grad: Any, create_graph: bool) -> Any:
    """``grad`` through the hooks registered on ``owner`` (a leaf tensor or a node)."""
    functions = registered.get(owner)
    if not functions:
        return grad
    from .compile.refusals import hook_registration_line, refuse_while_tracing
    from .ops.operands import array_of, tensor_of

    kinds = {"multi" if getattr(hook, "from_multi_grad_hook", False) else type(hook).__name__
             for hook, _ in functions.values()}
    refuse_while_tracing(
        "a gradient hook (register_multi_grad_hook)" if kinds == {"multi"} else
        "a gradient hook (grad_fn.register_prehook)" if kinds == {"PreHook"} else
        "a gradient hook (grad_fn.register_hook)" if kinds == {"PostHook"} else
        "a gradient hook (register_hook)", "the hook is Python code run on the gradient, "
        "which a replay of the plan would skip", "Remove it (handle.remove()) before "
        "calling the compiled function, or call the step without ad.compile.",
        line=hook_registration_line(functions))

    from .anomaly import check_hook
    from .function_notes import arrays_explained
    from .grad_arrays import shown_to_hook
    from .grad_attr import watching_grad_writes

    current = _grad_mode.transform_level
    for hook, level in list(functions.values()):
        if level is not None and not _runs_within(current, level):
            continue        # registered inside a transform that is not running this pass
        if hook.__class__.__name__ == "PostHook":   # (a node's: node_hooks.py)
            hook.install(owner, grad)
            continue
        kind = "register_prehook" if type(hook).__name__ == "PreHook" else "register_hook"
        name = getattr(hook, "__qualname__", type(hook).__name__)
        with watching_grad_writes(), arrays_explained(f"the gradient hook {name} ({kind})"):
            result = hook(shown_to_hook(grad))
        if result is None:
            continue
        if create_graph:
            new = tensor_of(result)
        else:
            new = array_of(result)      # (np.asarray: a GradArray returned goes on plain)
        if new.shape != np.shape(grad) or new.dtype != grad.dtype:
            from .node_hooks import refuse_changed
            refuse_changed(kind, hook, "", new, grad, grad)
        check_hook(kind, hook, owner, grad, new)
        grad = new
    return grad
