"""Hooks around an optimizer's ``step()``, as PyTorch's
``opt.register_step_pre_hook(hook)`` and ``opt.register_step_post_hook(hook)``.

A pre-hook ``hook(optimizer, args, kwargs)`` runs before each step (``args`` starts
with the optimizer, as in PyTorch) and may return ``(new_args, new_kwargs)``; a
post-hook ``hook(optimizer, args, kwargs)`` runs after it.  The hooks run inside the
step a compiled function replays, so a replay runs them too.
``register_optimizer_step_pre_hook`` / ``register_optimizer_step_post_hook`` (PyTorch's
``torch.optim.optimizer`` functions, here under ``ad.optim.optimizer``) register a hook
for the step of every optimizer; as in PyTorch the global pre-hooks run before the
optimizer's own, the global post-hooks after them.

>>> w = ad.nn.Parameter([1.0])
>>> opt = ad.optim.SGD([w], lr=0.5)
>>> steps = []
>>> handle = opt.register_step_post_hook(lambda o, args, kwargs: steps.append(w.item()))
>>> w.grad = np.ones(1); opt.step(); opt.step(); steps
[0.5, 0.0]
"""

from __future__ import annotations

import functools
from typing import Callable

from ..compile.hooks import replayed


#: The hooks of every optimizer's step, by handle id (PyTorch's
#: ``_global_optimizer_pre_hooks`` / ``_global_optimizer_post_hooks``).
global_pre_hooks: dict = {}
global_post_hooks: dict = {}


def _hooks(optimizer, kind: str) -> dict:
    return optimizer.__dict__.setdefault(f"_optimizer_step_{kind}_hooks", {})


def _register(optimizer, kind: str, hook: Callable):
    from ..nn.module_hooks import RemovableHandle, _ids
    if not callable(hook):
        raise TypeError(f"{type(optimizer).__name__}.register_step_{kind}_hook: expected a "
                        f"callable, got {type(hook).__name__}")
    hooks = _hooks(optimizer, kind)
    key = next(_ids)
    hooks[key] = hook
    return RemovableHandle(hooks, key)


def _register_global(hooks: dict, hook: Callable, where: str):
    from ..nn.module_hooks import RemovableHandle, _ids
    if not callable(hook):
        raise TypeError(f"{where}: expected a callable, got {type(hook).__name__}")
    key = next(_ids)
    hooks[key] = hook
    return RemovableHandle(hooks, key)


def register_optimizer_step_pre_hook(hook: Callable):
    """Call ``hook(optimizer, args, kwargs)`` before the ``step()`` of every optimizer
    (before its own pre-hooks), as ``torch.optim.optimizer.
    register_optimizer_step_pre_hook``; a result that is not None must be
    ``(new_args, new_kwargs)``.  Returns a handle (``remove()``).

    >>> seen = []
    >>> handle = ad.optim.optimizer.register_optimizer_step_pre_hook(
    ...     lambda opt, args, kwargs: seen.append(type(opt).__name__))
    >>> w = ad.nn.Parameter([1.0]); w.grad = np.ones(1)
    >>> ad.optim.SGD([w], lr=0.1).step(); ad.optim.Adam([w]).step(); handle.remove()
    >>> seen
    ['SGD', 'Adam']
    """
    return _register_global(global_pre_hooks, hook, "register_optimizer_step_pre_hook")


def register_optimizer_step_post_hook(hook: Callable):
    """Call ``hook(optimizer, args, kwargs)`` after the ``step()`` of every optimizer
    (after its own post-hooks), as ``torch.optim.optimizer.
    register_optimizer_step_post_hook``.  Returns a handle (``remove()``).

    >>> steps = []
    >>> handle = ad.optim.optimizer.register_optimizer_step_post_hook(
    ...     lambda opt, args, kwargs: steps.append(w.item()))
    >>> w = ad.nn.Parameter([1.0]); w.grad = np.ones(1)
    >>> ad.optim.SGD([w], lr=0.5).step(); handle.remove(); steps
    [0.5]
    """
    return _register_global(global_post_hooks, hook, "register_optimizer_step_post_hook")


def register_step_pre_hook(self, hook: Callable):
    """Call ``hook(optimizer, args, kwargs)`` before each ``step()``; a result that is
    not None must be ``(new_args, new_kwargs)``.  Returns a handle (``remove()``)."""
    return _register(self, "pre", hook)


def register_step_post_hook(self, hook: Callable):
    """Call ``hook(optimizer, args, kwargs)`` after each ``step()``.  Returns a handle
    (``remove()``)."""
    return _register(self, "post", hook)


def has_step_hooks(self) -> bool:
    """Whether a step hook is registered, for this optimizer or for all (a compiled
    plan replays the step through the fused kernels only while none is)."""
    return bool(global_pre_hooks or global_post_hooks
                or self.__dict__.get("_optimizer_step_pre_hooks")
                or self.__dict__.get("_optimizer_step_post_hooks"))


def _with_step_hooks(step: Callable) -> Callable:
    def stepped(*args, **kwargs):
        optimizer = args[0]
        for hook in [*global_pre_hooks.values(),
                     *optimizer.__dict__.get("_optimizer_step_pre_hooks", {}).values()]:
            result = hook(optimizer, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"{type(optimizer).__name__}.step: a step pre-hook must return None "
                        f"or a tuple of (new_args, new_kwargs), but got {result!r}")
                args, kwargs = result
        out = step(*args, **kwargs)
        for hook in [*optimizer.__dict__.get("_optimizer_step_post_hooks", {}).values(),
                     *global_post_hooks.values()]:
            hook(optimizer, args, kwargs)
        return out
    functools.update_wrapper(stepped, step)
    return stepped


def patch_step(cls) -> None:
    """Make ``cls.step`` run the step hooks, once per class (PyTorch patches the
    class of each optimizer made, too); inside ``@replayed`` when the step is."""
    step = cls.step
    if getattr(step, "_runs_step_hooks", False):
        return
    if getattr(step, "_replayed", False):
        hooked = replayed(_with_step_hooks(step.__wrapped__))
    else:
        hooked = _with_step_hooks(step)
    hooked._runs_step_hooks = True
    cls.step = hooked
