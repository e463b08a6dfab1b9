"""Backward hooks on a ``Module``, as in PyTorch: ``register_full_backward_hook`` and
``register_full_backward_pre_hook``.

- ``hook(module, grad_input, grad_output)`` runs once the gradients with respect to
  the module's positional inputs are known; ``grad_input`` has one entry per
  positional argument (``None`` for one that is not a tensor requiring grad),
  ``grad_output`` one per output.  A result that is not ``None`` replaces
  ``grad_input`` in what flows further back.
- ``hook(module, grad_output)`` (a pre-hook) runs once the gradients of the outputs
  are known, before they enter the module's ops; a result that is not ``None``
  replaces ``grad_output``.

The gradients are Tensors (without a graph, unless the pass is itself recorded with
``create_graph=True``), as PyTorch's.  How: the module's inputs that require grad are
packed into one flat tensor before ``forward`` and its outputs after it, and a tensor
hook on each pack sees all of their gradients at once (PyTorch wraps them in one
identity Function for the same reason).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..tensor import Tensor


class BackwardHookMethods:
    """The backward hook methods of ``Module``."""

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False):
        """Call ``hook(module, grad_input, grad_output)`` each time the gradients with
        respect to the module's inputs are computed; a result that is not ``None``
        replaces ``grad_input``.

        >>> lin = ad.nn.Linear(2, 1); seen = []
        >>> _ = lin.register_full_backward_hook(lambda m, gi, go: seen.append(go[0].shape))
        >>> lin(ad.tensor(np.ones((3, 2)), requires_grad=True)).sum().backward(); seen
        [(3, 1)]
        """
        return _registered(self, "_backward_hooks", "register_full_backward_hook", hook,
                           prepend)

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False):
        """Call ``hook(module, grad_output)`` each time the gradients of the module's
        outputs are known, before they flow into it; a result that is not ``None``
        replaces ``grad_output``.

        >>> lin = ad.nn.Linear(2, 1)
        >>> _ = lin.register_full_backward_pre_hook(lambda m, go: (go[0] * 0,))
        >>> lin(ad.tensor(np.ones((3, 2)))).sum().backward(); lin.weight.grad
        array([[0.],
               [0.]])
        """
        return _registered(self, "_backward_pre_hooks", "register_full_backward_pre_hook",
                           hook, prepend)

    def register_backward_hook(self, hook: Callable):
        """Refused: PyTorch's deprecated form, whose ``grad_input`` is that of the
        module's last op rather than of its inputs."""
        raise NotImplementedError(
            f"{type(self).__name__}.register_backward_hook is PyTorch's deprecated form "
            "(its grad_input is the last op's, not the module's inputs'); use "
            "register_full_backward_hook(hook), which calls hook(module, grad_input, "
            "grad_output) with the gradients of the module's inputs")


def _registered(module, slot: str, method: str, hook: Callable, prepend: bool):
    from .module_hooks import RemovableHandle, _ids
    if not callable(hook):
        raise TypeError(f"{type(module).__name__}.{method}: expected a callable, got "
                        f"{type(hook).__name__}")
    hooks = module.__dict__.get(slot)
    if hooks is None:
        hooks = {}
        object.__setattr__(module, slot, hooks)
    key = next(_ids)
    if prepend:
        items = list(hooks.items())
        hooks.clear()
        hooks[key] = hook
        hooks.update(items)
    else:
        hooks[key] = hook
    return RemovableHandle(hooks, key)


def has_backward_hooks(module) -> bool:
    return bool(module.__dict__.get("_backward_hooks") or
                module.__dict__.get("_backward_pre_hooks"))


class _Pack:
    """Tensors requiring grad at some positions of a sequence, packed into one flat
    tensor and unpacked again: the pack's gradient is all of theirs at once."""

    def __init__(self, where: str, values: tuple):
        from ..graph import is_grad_enabled
        self.count = len(values)
        self.positions = [k for k, v in enumerate(values)
                          if isinstance(v, Tensor) and v.requires_grad and is_grad_enabled()]
        self.shapes = [values[k].shape for k in self.positions]
        dtypes = {values[k].dtype for k in self.positions}
        if len(dtypes) > 1:
            raise NotImplementedError(
                f"{where}: backward hooks need the module's tensors that require grad to "
                f"have one dtype, got {sorted(str(d) for d in dtypes)}; convert them to "
                "one dtype before the call")
        self.packed = None

    def unpacked(self, values: tuple) -> tuple:
        """``values`` with each tensor requiring grad now read from the pack."""
        if not self.positions:
            return values
        from ..ops.shape import concatenate
        self.packed = concatenate([values[k].reshape(-1) for k in self.positions])
        out = list(values)
        start = 0
        for k, shape in zip(self.positions, self.shapes):
            size = int(np.prod(shape, dtype=np.int64))
            out[k] = self.packed[start:start + size].reshape(shape)
            start += size
        return tuple(out)

    def split(self, grad) -> tuple:
        """The pack's gradient as one entry per position (None where nothing is packed)."""
        out = [None] * self.count
        start = 0
        for k, shape in zip(self.positions, self.shapes):
            size = int(np.prod(shape, dtype=np.int64))
            piece = grad[start:start + size].reshape(shape)
            out[k] = piece if isinstance(piece, Tensor) else Tensor(piece)
            start += size
        return tuple(out)

    def joined(self, where: str, grads, like):
        """A hook's replacement gradients as the pack's gradient (``like``'s kind)."""
        grads = tuple(grads) if isinstance(grads, (tuple, list)) else (grads,)
        if len(grads) != self.count:
            raise ValueError(f"{where}: the hook returned {len(grads)} gradients for "
                             f"{self.count} entries; return one per entry (None where "
                             "there is none)")
        parts = []
        for k, shape in zip(self.positions, self.shapes):
            g = grads[k]
            if g is None:
                g = np.zeros(shape)
            value = g if isinstance(like, Tensor) else np.asarray(getattr(g, "data", g))
            if tuple(np.shape(getattr(value, "data", value))) != tuple(shape):
                raise ValueError(f"{where}: the hook returned a gradient of shape "
                                 f"{np.shape(getattr(value, 'data', value))} for entry {k}, "
                                 f"whose shape is {shape}")
            if value.dtype != like.dtype and grads[k] is not None:
                from ..node_hooks import HookDtypeError
                raise HookDtypeError(
                    f"{where}: the hook returned a gradient of dtype {value.dtype} for entry "
                    f"{k}, whose gradient is {like.dtype}; a hook may not change the "
                    f"gradient's dtype (PyTorch refuses it too): return one of dtype "
                    f"{like.dtype} (or None to leave it unchanged)")
            parts.append(value.reshape(-1))
        if isinstance(like, Tensor):
            from ..ops.shape import concatenate
            return concatenate(parts)
        return np.concatenate(parts).astype(like.dtype, copy=False)


def call_with_backward_hooks(module, args: tuple, kwargs: dict, call: Callable):
    """``call(*args, **kwargs)`` (the forward and its forward hooks) with the
    module's backward hooks set up on its inputs and outputs."""
    name = type(module).__name__
    inputs = _Pack(name, args)
    args = inputs.unpacked(args)
    output = call(*args, **kwargs)
    several = isinstance(output, (tuple, list))
    outputs = _Pack(name, tuple(output) if several else (output,))
    if not outputs.positions:
        return output                  # nothing flows back through this call
    unpacked = outputs.unpacked(tuple(output) if several else (output,))
    seen = {}

    def on_outputs(grad):
        grad_output = outputs.split(grad)
        for hook in list(module.__dict__.get("_backward_pre_hooks", {}).values()):
            result = hook(module, grad_output)
            if result is not None:
                grad = outputs.joined(f"{name} backward pre-hook", result, grad)
                grad_output = outputs.split(grad)
        seen["grad_output"] = grad_output
        if not inputs.positions:       # no input wants a gradient: the hooks run now
            _run_without_inputs(module, name, len(args), grad_output)
        return grad

    def on_inputs(grad):
        grad_input = inputs.split(grad)
        grad_output = seen.get("grad_output", (None,) * outputs.count)
        for hook in list(module.__dict__.get("_backward_hooks", {}).values()):
            result = hook(module, grad_input, grad_output)
            if result is not None:
                grad = inputs.joined(f"{name} backward hook", result, grad)
                grad_input = inputs.split(grad)
        return grad

    outputs.packed.register_hook(on_outputs)
    if inputs.positions:
        inputs.packed.register_hook(on_inputs)
    # (the hooks are kept while the packs' nodes live: they must not hold the packs)
    inputs.packed = outputs.packed = None
    if not several:
        return unpacked[0]
    if hasattr(output, "_fields"):     # a named tuple
        return type(output)(*unpacked)
    return type(output)(unpacked)


def _run_without_inputs(module, name, count, grad_output):
    for hook in list(module.__dict__.get("_backward_hooks", {}).values()):
        result = hook(module, (None,) * count, grad_output)
        if result is not None and any(g is not None for g in result):
            raise RuntimeError(
                f"{name} backward hook: no input of the module requires grad, so the hook "
                "may only return None (or None for every gradient)")
