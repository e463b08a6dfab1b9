"""Forward hooks on a ``Module``, as in PyTorch: ``register_forward_pre_hook`` and
``register_forward_hook`` return a handle whose ``remove()`` takes the hook off.

A pre-hook ``hook(module, args)`` runs before ``forward`` and may return new
positional arguments (a tuple, or one value); a hook ``hook(module, args, output)``
runs after it and may return a new output.  ``None`` keeps what was there.  Hooks run
in the order they were registered (``prepend=True`` puts one first).  Keyword
arguments reach ``forward`` but not the hooks, unless a hook is registered
``with_kwargs=True``: then it is ``hook(module, args, kwargs)`` returning ``None`` or
``(new_args, new_kwargs)``, or ``hook(module, args, kwargs, output)``.  A forward hook
registered ``always_call=True`` runs (with output ``None``) even when ``forward``
raised, before the error goes on.

``register_module_forward_pre_hook`` / ``register_module_forward_hook`` (PyTorch's
``torch.nn.modules.module`` functions) register hooks that every module runs, before
its own.

A compiled function refuses a module with hooks while tracing: a hook is Python code
that the replay of the recorded ops would not run again (an activation stored in a
dict would keep the traced values).  A hook registered after the trace makes the next
call trace again, which refuses it.  The exception is a pre-hook that says it computes
only from the module's parameters and buffers, on the tape (``compile_traced``, as
pruning's): it runs while tracing, so its ops are recorded and replayed, and its
``show_current()`` (a replayed method) sets its ``refreshed_attributes`` on the module
again at each replay, so nothing it leaves there is stale.
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

    def __init__(self, hooks: dict, key: int, flags: tuple = ()):
        self._hooks, self.id, self._flags = hooks, key, flags

    def remove(self) -> None:
        self._hooks.pop(self.id, None)
        for flagged in self._flags:              # the hook's with_kwargs / always_call marks
            flagged.discard(self.id)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class HookMethods:
    """The hook methods of ``Module``."""

    @property
    def _has_forward_hooks(self) -> bool:
        """Whether a call runs hooks: forward ones, or the backward ones set up around
        it.  (A compiled plan fits only while the modules it called have none: flags.)
        ``Module.__call__`` makes the same test inline: a change here goes there too."""
        return bool(self._forward_hooks or self._forward_pre_hooks
                    or GLOBAL_HOOKS._forward_hooks or GLOBAL_HOOKS._forward_pre_hooks
                    or self.__dict__.get("_backward_hooks")
                    or self.__dict__.get("_backward_pre_hooks"))

    @property
    def _hooks_for_compile(self):
        """What a compiled plan checks of the module's hooks: False when it has none,
        else which hooks it has (a plan traced them all: pruning's pre-hooks), so that
        any other registered later traces again, which refuses it."""
        if not self._has_forward_hooks:
            return False
        return (tuple(self._forward_pre_hooks), tuple(self._forward_hooks),
                tuple(GLOBAL_HOOKS._forward_pre_hooks), tuple(GLOBAL_HOOKS._forward_hooks),
                bool(self.__dict__.get("_backward_hooks")
                     or self.__dict__.get("_backward_pre_hooks")))

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before each ``forward``; a result that is not
        ``None`` replaces the positional arguments.  With ``with_kwargs=True`` it is
        ``hook(module, args, kwargs)``, returning ``None`` or ``(new_args, new_kwargs)``;
        ``prepend=True`` runs it before the hooks already registered.

        >>> net = ad.nn.Linear(1, 1, bias=False); net.weight.data[...] = 1.0
        >>> _ = net.register_forward_pre_hook(lambda m, args: args[0] * 2)
        >>> net(ad.tensor([[3.0]]))
        tensor([[6.]], requires_grad=True)
        """
        return _registered(self, "register_forward_pre_hook", hook, prepend,
                           with_kwargs=with_kwargs)

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False,
                              with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after each ``forward``; a result that is
        not ``None`` replaces the output.  The usual use: keep a layer's activations.
        With ``with_kwargs=True`` it is ``hook(module, args, kwargs, output)``;
        ``always_call=True`` runs it (with output ``None``) also when ``forward``
        raised; ``prepend=True`` runs it before the hooks already registered.

        >>> net = ad.nn.Sequential(ad.nn.Linear(2, 3), ad.nn.ReLU())
        >>> seen = {}
        >>> handle = net[0].register_forward_hook(lambda m, args, out: seen.update(h=out))
        >>> _ = net(ad.tensor(np.ones((4, 2)))); seen["h"].shape
        (4, 3)
        """
        return _registered(self, "register_forward_hook", hook, prepend,
                           with_kwargs=with_kwargs, always_call=always_call)


class _GlobalHooks:
    """The hooks every module runs before its own, kept as a module keeps its own
    (``_registered`` and ``_flagged`` serve both)."""

    def __init__(self):
        self._forward_pre_hooks, self._forward_hooks = {}, {}


GLOBAL_HOOKS = _GlobalHooks()


def register_module_forward_pre_hook(hook: Callable) -> RemovableHandle:
    """Call ``hook(module, args)`` before the ``forward`` of every module, before the
    module's own pre-hooks (PyTorch's ``torch.nn.modules.module`` function); a result
    that is not ``None`` replaces the positional arguments.

    >>> seen = []
    >>> handle = ad.nn.modules.module.register_module_forward_pre_hook(
    ...     lambda m, args: seen.append(type(m).__name__))
    >>> _ = ad.nn.Sequential(ad.nn.Linear(2, 2), ad.nn.ReLU())(ad.ones(1, 2)); seen
    ['Sequential', 'Linear', 'ReLU']
    >>> handle.remove()
    """
    _check_callable("register_module_forward_pre_hook", hook)
    return _registered(GLOBAL_HOOKS, "register_forward_pre_hook", hook)


def register_module_forward_hook(hook: Callable, *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """Call ``hook(module, args, output)`` after the ``forward`` of every module, before
    the module's own hooks (PyTorch's ``torch.nn.modules.module`` function); a result
    that is not ``None`` replaces the output.  ``with_kwargs`` and ``always_call`` as in
    ``Module.register_forward_hook``.

    >>> shapes = []
    >>> handle = ad.nn.modules.module.register_module_forward_hook(
    ...     lambda m, args, out: shapes.append((type(m).__name__, out.shape)))
    >>> _ = ad.nn.Sequential(ad.nn.Linear(2, 3))(ad.ones(1, 2)); shapes
    [('Linear', (1, 3)), ('Sequential', (1, 3))]
    >>> handle.remove()
    """
    _check_callable("register_module_forward_hook", hook)
    return _registered(GLOBAL_HOOKS, "register_forward_hook", hook, with_kwargs=with_kwargs,
                       always_call=always_call)


def _check_callable(where: str, hook) -> None:
    if not callable(hook):
        raise TypeError(f"{where}: expected a callable, got {type(hook).__name__}")


def _pre_hooks(module) -> list:
    return [*GLOBAL_HOOKS._forward_pre_hooks.items(), *module._forward_pre_hooks.items()]


def _hooks_after(module) -> list:
    return [*GLOBAL_HOOKS._forward_hooks.items(), *module._forward_hooks.items()]


def _flagged_both(module, hooks_name: str, flag: str) -> set:
    return set(_flagged(module, hooks_name, flag)) | set(_flagged(GLOBAL_HOOKS, hooks_name,
                                                                   flag))


def _flag_set(module, hooks_name: str, flag: str) -> set:
    """The ids of ``module``'s hooks in ``hooks_name`` registered with ``flag`` (made on
    first use: most modules have none)."""
    return module.__dict__.setdefault(f"{hooks_name}_{flag}", set())


def _flagged(module, hooks_name: str, flag: str) -> set:
    return module.__dict__.get(f"{hooks_name}_{flag}", ())


def _registered(module, method: str, hook: Callable, prepend: bool = False,
                **flags: bool) -> RemovableHandle:
    if not callable(hook):
        raise TypeError(f"{type(module).__name__}.{method}: expected a callable, got "
                        f"{type(hook).__name__}")
    hooks_name = "_" + method.removeprefix("register_") + "s"
    hooks = module.__dict__[hooks_name]
    key = next(_ids)
    if prepend:
        earlier = list(hooks.items())
        hooks.clear()                 # in place: the handles of the others hold this dict
        hooks[key] = hook
        hooks.update(earlier)
    else:
        hooks[key] = hook
    marks = []
    for flag, on in flags.items():
        marks.append(_flag_set(module, hooks_name, flag))
        if on:
            marks[-1].add(key)
    return RemovableHandle(hooks, key, tuple(marks))


def call_with_hooks(module, args: tuple, kwargs: dict):
    """``module.forward(*args, **kwargs)`` with its pre-hooks and hooks around it."""
    from ..compile import hooks as compile_hooks
    tracer = compile_hooks.active
    if tracer is not None and tracer.owns_thread():
        if not _traced_pre_hooks_only(module):
            _refuse_hooks_in_trace(module, tracer)
        hooks = [hook for _, hook in _pre_hooks(module)]
        for hook in hooks:
            result = hook(module, args)       # (traced: the forward reads what it records)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = _forward_and_hooks(module, args, kwargs)
        for hook in hooks:
            # A replay sets the module's attributes again (a replayed call); until this
            # trace ends they stay the traced tensors, which later code of the call may
            # read, and which are not tensors the call left behind.
            traced = {name: vars(module)[name] for name in hook.refreshed_attributes}
            hook.show_current()
            for name, value in traced.items():
                object.__setattr__(module, name, value)
                tracer.made_during.discard(id(value))
        return output
    with_kwargs = _flagged(module, "_forward_pre_hooks", "with_kwargs")
    for key, hook in _pre_hooks(module):
        if key in with_kwargs:
            result = hook(module, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"{type(module).__name__}: a forward pre-hook registered with "
                        "with_kwargs=True must return None or a tuple of (new_args, "
                        f"new_kwargs), but got {result!r}")
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    if has_backward_hooks(module):
        # (PyTorch's order: the outputs are hooked after the forward hooks ran)
        from .module_backward_hooks import call_with_backward_hooks
        return call_with_backward_hooks(
            module, args, kwargs, lambda *a, **k: _forward_and_hooks(module, a, k))
    return _forward_and_hooks(module, args, kwargs)


def _traced_pre_hooks_only(module) -> bool:
    """Whether ``module``'s hooks are all pre-hooks that a compiled function records
    (``compile_traced``: they compute only from parameters and buffers, on the tape)."""
    return (not _hooks_after(module) and not has_backward_hooks(module)
            and not _flagged(module, "_forward_pre_hooks", "with_kwargs")
            and all(getattr(hook, "compile_traced", False) for _, hook in _pre_hooks(module)))


def _refuse_hooks_in_trace(module, tracer) -> None:
    from ..compile.provenance import user_line
    from ..compile.refusals import TraceError
    kinds = [kind for kind, present in (
        ("forward", _pre_hooks(module) or _hooks_after(module)),
        ("backward", has_backward_hooks(module))) if present]
    names = [_hook_name(hook) for _, hook in _pre_hooks(module) + _hooks_after(module)
             if not getattr(hook, "compile_traced", False)] or ["backward hooks"]
    instead = sorted({hook.compile_instead for hook in module._forward_pre_hooks.values()
                      if hasattr(hook, "compile_instead")})
    made_by = " / ".join(f"nn.utils.{name.rsplit('.', 1)[1]}" for name in instead)
    remedy = (f"The hook comes from {made_by}: use {' / '.join(instead)} instead, "
              "whose parametrization a compiled function replays." if instead else
              "Remove the hooks (handle.remove()) before calling the compiled "
              "function, or run the model eagerly while you need them.")
    raise TraceError(
        f"compile: {type(module).__name__} has {' and '.join(kinds)} hooks "
        f"({', '.join(names)}) and is called at "
        f"{user_line()} inside the compiled function {tracer.name}; a hook would run "
        f"only while tracing (every replay skips Python code between ops). {remedy}")


def _hook_name(hook) -> str:
    """``name (file:line)`` of a hook function; the class name of a hook object."""
    code = getattr(hook, "__code__", None)
    name = getattr(hook, "__name__", None) or type(hook).__name__
    return name if code is None else f"{name} ({code.co_filename}:{code.co_firstlineno})"


def _forward_and_hooks(module, args: tuple, kwargs: dict):
    with_kwargs = _flagged_both(module, "_forward_hooks", "with_kwargs")
    called = set()
    try:
        output = module.forward(*args, **kwargs)
        for key, hook in _hooks_after(module):
            called.add(key)
            result = (hook(module, args, kwargs, output) if key in with_kwargs
                      else hook(module, args, output))
            if result is not None:
                output = result
    except Exception:
        _call_always_called_hooks(module, args, kwargs, with_kwargs, called)
        raise
    return output


def _call_always_called_hooks(module, args, kwargs, with_kwargs, called) -> None:
    """PyTorch's ``always_call``: after a failed forward (or hook), the hooks marked so
    that did not run yet run with output ``None``; their own errors become warnings."""
    import warnings
    always = _flagged_both(module, "_forward_hooks", "always_call")
    for key, hook in _hooks_after(module):
        if key in always and key not in called:
            try:
                if key in with_kwargs:
                    hook(module, args, kwargs, None)
                else:
                    hook(module, args, None)
            except Exception as error:
                warnings.warn(f"{type(module).__name__}: a forward hook with "
                              f"always_call=True raised {error!r} after forward had "
                              "failed; the first error is the one raised", stacklevel=4)
