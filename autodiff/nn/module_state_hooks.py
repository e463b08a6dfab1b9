"""The ``state_dict`` and ``load_state_dict`` hooks of a ``Module``, as in PyTorch.

* ``register_state_dict_pre_hook(hook)``: ``hook(module, prefix, keep_vars)`` before
  ``state_dict`` collects the entries;
* ``register_state_dict_post_hook(hook)``: ``hook(module, state_dict, prefix,
  local_metadata)`` after, free to change ``state_dict`` in place;
* ``register_load_state_dict_pre_hook(hook)``: ``hook(module, state_dict, prefix,
  local_metadata, strict, missing_keys, unexpected_keys, error_msgs)`` before loading,
  free to change ``state_dict`` (a copy of the one given) in place, e.g. to rename the
  keys of an older checkpoint; a message appended to ``error_msgs`` makes the load raise;
* ``register_load_state_dict_post_hook(hook)``: ``hook(module, incompatible_keys)``
  after loading, free to empty its lists in place (keys it expects to be missing).

Each hook runs for the module it was registered on, wherever that module sits in the
tree (``prefix`` is its dotted name with a final dot, ``""`` for the root).  Pre-hooks
run parents first, post-hooks children first.  ``local_metadata`` is an empty dict
(PyTorch's holds the module's ``_version``, which the modules here do not have).  With
load post-hooks present, as in PyTorch, the matching keys are loaded before a strict
load raises for the keys the hooks left.  Unlike PyTorch, a load pre-hook gets the
whole (copied) state dict, not only the keys under its prefix, and every load
post-hook sees the final missing and unexpected keys, not those found so far.
"""

from __future__ import annotations

from typing import Callable

from .module_hooks import RemovableHandle, _ids

_KINDS = ("_state_dict_pre_hooks", "_state_dict_hooks", "_load_state_dict_pre_hooks",
          "_load_state_dict_post_hooks")


class StateHookMethods:
    """The state hook methods of ``Module`` (see the module docstring)."""

    def register_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, prefix, keep_vars)`` before ``state_dict`` collects.

        >>> net = ad.nn.Sequential(ad.nn.Linear(2, 2)); seen = []
        >>> _ = net[0].register_state_dict_pre_hook(lambda m, prefix, keep: seen.append(prefix))
        >>> _ = net.state_dict(); seen
        ['0.']
        """
        return _registered(self, "_state_dict_pre_hooks", hook, "register_state_dict_pre_hook")

    def register_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata)`` after ``state_dict``
        collected; the hook may change ``state_dict`` in place.

        >>> net = ad.nn.Linear(2, 2)
        >>> def drop_bias(module, state_dict, prefix, local_metadata):
        ...     del state_dict[prefix + "bias"]
        >>> _ = net.register_state_dict_post_hook(drop_bias)
        >>> list(net.state_dict())
        ['weight']
        """
        return _registered(self, "_state_dict_hooks", hook, "register_state_dict_post_hook")

    def register_load_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` before ``load_state_dict`` loads; the hook may
        change ``state_dict`` (a copy) in place.

        >>> net = ad.nn.Linear(2, 2)
        >>> def rename(m, sd, prefix, meta, *rest):
        ...     if prefix + "w" in sd:
        ...         sd[prefix + "weight"] = sd.pop(prefix + "w")
        >>> _ = net.register_load_state_dict_pre_hook(rename)
        >>> net.load_state_dict({"w": np.ones((2, 2)), "bias": np.zeros(2)})
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        """
        return _registered(self, "_load_state_dict_pre_hooks", hook,
                           "register_load_state_dict_pre_hook")

    def register_load_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, incompatible_keys)`` after ``load_state_dict`` loaded; the
        hook may remove keys from its lists, which a strict load then does not refuse.

        >>> net = ad.nn.Linear(2, 2)
        >>> _ = net.register_load_state_dict_post_hook(
        ...     lambda m, keys: keys.missing_keys.remove("bias"))
        >>> net.load_state_dict({"weight": np.ones((2, 2))})
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        """
        return _registered(self, "_load_state_dict_post_hooks", hook,
                           "register_load_state_dict_post_hook")


def _registered(module, kind: str, hook: Callable, method: str) -> RemovableHandle:
    if not callable(hook):
        raise TypeError(f"{type(module).__name__}.{method}: expected a callable, got "
                        f"{type(hook).__name__}")
    hooks = module.__dict__.setdefault(kind, {})
    key = next(_ids)
    hooks[key] = hook
    return RemovableHandle(hooks, key)


def _hooks(module, kind: str) -> list:
    return list(module.__dict__.get(kind, {}).values())


def _parents_first(root, prefix: str) -> list:
    """``(dotted prefix, module)`` for every module of the tree, parents first."""
    return [(prefix + (name + "." if name else ""), module)
            for name, module in root.named_modules()]


def _children_first(root, prefix: str) -> list:
    """The same pairs, each module after all of its submodules (PyTorch's post-hook
    order), without recursion."""
    order, stack, seen = [], [(prefix, root, False)], set()
    while stack:
        name, module, expanded = stack.pop()
        if expanded:
            order.append((name, module))
            continue
        if id(module) in seen:
            continue
        seen.add(id(module))
        stack.append((name, module, True))
        children = [(name + child_name + ".", child) for child_name, child
                    in module._modules.items() if child is not None]
        stack.extend((n, c, False) for n, c in reversed(children))
    return order


def has_state_hooks(root, kinds=_KINDS) -> bool:
    """Whether any module of the tree has hooks of ``kinds``."""
    return any(module.__dict__.get(kind) for _, module in root.named_modules()
               for kind in kinds)


def hooked_state_dict(root, entries, prefix: str, keep_vars: bool, state: dict,
                      value_of: Callable) -> dict:
    """``state_dict`` with hooks: module by module, parents first, as PyTorch walks the
    tree: a module's pre-hooks, its own entries, its submodules, then its post-hooks
    (which so see the entries collected up to them)."""
    own = {}
    for full, module, name, is_param in entries:
        own.setdefault(id(module), []).append((full, module, name, is_param))
    stack, seen = [(prefix, root, False)], set()
    while stack:
        dotted, module, leaving = stack.pop()
        if leaving:
            for hook in _hooks(module, "_state_dict_hooks"):
                if hook(module, state, dotted, {}) is not None:
                    raise RuntimeError(f"{type(module).__name__}.state_dict: a state_dict "
                                       "post-hook must return None and change the "
                                       "state_dict in place")
            continue
        if id(module) in seen:
            continue
        seen.add(id(module))
        for hook in _hooks(module, "_state_dict_pre_hooks"):
            hook(module, dotted, keep_vars)
        for full, owner, name, is_param in own.get(id(module), ()):
            state[prefix + full] = value_of(owner, name, is_param)
        stack.append((dotted, module, True))
        children = [(dotted + child_name + ".", child) for child_name, child
                    in module._modules.items() if child is not None]
        stack.extend((n, c, False) for n, c in reversed(children))
    return state


def run_load_pre_hooks(root, state: dict, strict: bool) -> list:
    """Run the load pre-hooks on ``state`` (changed in place); the error messages they
    appended."""
    missing, unexpected, errors = [], [], []
    for name, module in _parents_first(root, ""):
        for hook in _hooks(module, "_load_state_dict_pre_hooks"):
            hook(module, state, name, {}, strict, missing, unexpected, errors)
    return errors


def run_load_post_hooks(root, keys) -> None:
    for _, module in _children_first(root, ""):
        for hook in _hooks(module, "_load_state_dict_post_hooks"):
            if hook(module, keys) is not None:          # (PyTorch's AssertionError)
                raise AssertionError(f"{type(module).__name__}.load_state_dict: a "
                                     "load_state_dict post-hook must return None and "
                                     "change incompatible_keys in place")
