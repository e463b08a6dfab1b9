"""Forward hooks on a ``Module``, as in PyTorch: ``register_forward_pre_hook`` and
``register_forward_hook`` return a handle whose ``remove()`` takes the hook off.

A pre-hook ``hook(module, args)`` runs before ``forward`` and may return new
positional arguments (a tuple, or one value); a hook ``hook(module, args, output)``
runs after it and may return a new output.  ``None`` keeps what was there.  Hooks run
in the order they were registered.  Keyword arguments reach ``forward`` but not the
hooks, as in PyTorch without ``with_kwargs``.

A compiled function refuses a module with hooks while tracing: a hook is Python code
that the replay of the recorded ops would not run again (an activation stored in a
dict would keep the traced values).  A hook registered after the trace makes the next
call trace again, which refuses it.
"""

from __future__ import annotations

import itertools
from typing import Callable

from .module_backward_hooks import has_backward_hooks

_ids = itertools.count()


class RemovableHandle:
    """What registering a hook returns; ``remove()`` unregisters it (twice is harmless).

    >>> net = ad.nn.Linear(2, 1)
    >>> handle = net.register_forward_hook(lambda m, args, out: None)
    >>> handle.remove(); len(net._forward_hooks)
    0
    """

    def __init__(self, hooks: dict, key: int):
        self._hooks, self.id = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class HookMethods:
    """The hook methods of ``Module``."""

    @property
    def _has_forward_hooks(self) -> bool:
        """Whether a call runs hooks: forward ones, or the backward ones set up around
        it.  (A compiled plan fits only while the modules it called have none: flags.)"""
        return bool(self._forward_hooks or self._forward_pre_hooks
                    or self.__dict__.get("_backward_hooks")
                    or self.__dict__.get("_backward_pre_hooks"))

    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, args)`` before each ``forward``; a result that is not
        ``None`` replaces the positional arguments.

        >>> net = ad.nn.Linear(1, 1, bias=False); net.weight.data[...] = 1.0
        >>> _ = net.register_forward_pre_hook(lambda m, args: args[0] * 2)
        >>> net(ad.tensor([[3.0]]))
        tensor([[6.]], requires_grad=True)
        """
        return _registered(self, "register_forward_pre_hook", hook)

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after each ``forward``; a result that is
        not ``None`` replaces the output.  The usual use: keep a layer's activations.

        >>> net = ad.nn.Sequential(ad.nn.Linear(2, 3), ad.nn.ReLU())
        >>> seen = {}
        >>> handle = net[0].register_forward_hook(lambda m, args, out: seen.update(h=out))
        >>> _ = net(ad.tensor(np.ones((4, 2)))); seen["h"].shape
        (4, 3)
        """
        return _registered(self, "register_forward_hook", hook)


def _registered(module, method: str, hook: Callable) -> RemovableHandle:
    if not callable(hook):
        raise TypeError(f"{type(module).__name__}.{method}: expected a callable, got "
                        f"{type(hook).__name__}")
    hooks = module.__dict__["_" + method.removeprefix("register_") + "s"]
    key = next(_ids)
    hooks[key] = hook
    return RemovableHandle(hooks, key)


def call_with_hooks(module, args: tuple, kwargs: dict):
    """``module.forward(*args, **kwargs)`` with its pre-hooks and hooks around it."""
    from ..compile import hooks as compile_hooks
    tracer = compile_hooks.active
    if tracer is not None and tracer.owns_thread():
        from ..compile.provenance import user_line
        from ..compile.refusals import TraceError
        kinds = [kind for kind, present in (
            ("forward", module._forward_hooks or module._forward_pre_hooks),
            ("backward", has_backward_hooks(module))) if present]
        raise TraceError(
            f"compile: {type(module).__name__} has {' and '.join(kinds)} hooks and is "
            "called at "
            f"{user_line()} inside the compiled function {tracer.name}; a hook would run "
            "only while tracing (every replay skips Python code between ops). Remove the "
            "hooks (handle.remove()) before calling the compiled function, or run the "
            "model eagerly while you need them.")
    for hook in list(module._forward_pre_hooks.values()):
        result = hook(module, args)
        if result is not None:
            args = result if isinstance(result, tuple) else (result,)
    if has_backward_hooks(module):
        # (PyTorch's order: the outputs are hooked after the forward hooks ran)
        from .module_backward_hooks import call_with_backward_hooks
        return call_with_backward_hooks(
            module, args, kwargs, lambda *a, **k: _forward_and_hooks(module, a, k))
    return _forward_and_hooks(module, args, kwargs)


def _forward_and_hooks(module, args: tuple, kwargs: dict):
    output = module.forward(*args, **kwargs)
    for hook in list(module._forward_hooks.values()):
        result = hook(module, args, output)
        if result is not None:
            output = result
    return output
