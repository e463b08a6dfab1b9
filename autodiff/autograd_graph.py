"""``ad.autograd.graph``: the context managers of ``torch.autograd.graph`` that scripts
wrap around a forward pass to change how the graph keeps what it saves.

``save_on_cpu`` moves the saved tensors to the CPU; every array here is already in
memory, so it changes nothing (a script written for a GPU runs as written).
``saved_tensors_hooks(pack_hook, unpack_hook)`` runs Python code on each saved
value as it is recorded and as the backward reads it (``saved_hooks.py``).
``register_multi_grad_hook`` is in ``multi_grad_hooks.py``.
"""

from __future__ import annotations

from . import saved_hooks
from .grad_fn import GradFn as Node     # what t.grad_fn is (PyTorch's graph.Node)
from .multi_grad_hooks import register_multi_grad_hook

__all__ = ["Node", "register_multi_grad_hook", "save_on_cpu", "saved_tensors_hooks"]


class saved_tensors_hooks:
    """PyTorch's ``torch.autograd.graph.saved_tensors_hooks``: inside the block, each
    value the recorded ops save for backward goes through ``pack_hook`` (a Tensor in,
    anything out), and the backward uses ``unpack_hook`` of what it returned (an
    array or Tensor of the same shape and dtype).  PyTorch's ops save only what their
    formulas read; here every input and output of an op is packed (``saved_hooks.py``).
    A function compiled with ``ad.compile`` runs eagerly inside the block, so that the
    hooks run; entering the block inside a compiled function is refused.  Forward-mode
    tangents (``unpack_dual``, ``jvp``, ``jacfwd``) of ops recorded in the block read
    what ``unpack_hook`` gives back (PyTorch computes them as the op runs, from the
    values themselves: the same when ``unpack_hook`` undoes ``pack_hook``).

    >>> packed = []
    >>> def pack(t):
    ...     packed.append(t.shape)
    ...     return t.numpy().copy()
    >>> x = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> with ad.autograd.graph.saved_tensors_hooks(pack, lambda a: a):
    ...     y = (x * x).sum()
    >>> y.backward(); x.grad, len(packed) > 0
    (array([2., 4.]), True)
    """

    def __init__(self, pack_hook, unpack_hook):
        for name, hook in (("pack_hook", pack_hook), ("unpack_hook", unpack_hook)):
            if not callable(hook):
                raise TypeError(f"autograd.graph.saved_tensors_hooks: {name} must be "
                                f"callable, got {type(hook).__name__}")
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self) -> "saved_tensors_hooks":
        from .compile.refusals import refuse_while_tracing
        refuse_while_tracing(
            "saved_tensors_hooks is entered", "its hooks are Python code run on each "
            "value an op saves and each one the backward reads, which a replay of the "
            "plan would skip", "Enter it around the call instead (with "
            "saved_tensors_hooks(pack, unpack): step(x)), which runs the compiled "
            "function eagerly, with its hooks.")
        saved_hooks.pushed(self.pack_hook, self.unpack_hook)
        return self

    def __exit__(self, *exc) -> None:
        saved_hooks.popped()
        return None


class save_on_cpu:
    """PyTorch's ``torch.autograd.graph.save_on_cpu``: the saved values stay where they
    are, in memory (there is no other device), so the block runs as without it.

    >>> x = ad.ones(3, requires_grad=True)
    >>> with ad.autograd.graph.save_on_cpu(pin_memory=True):
    ...     y = (x.exp()).sum()
    >>> y.backward(); x.grad
    array([2.71828183, 2.71828183, 2.71828183])
    """

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda"):
        if not isinstance(pin_memory, bool):
            raise TypeError(f"autograd.graph.save_on_cpu: pin_memory must be a bool, got "
                            f"{type(pin_memory).__name__}")
        if not isinstance(device_type, str):
            raise TypeError(f"autograd.graph.save_on_cpu: device_type must be a str, got "
                            f"{type(device_type).__name__}")

    def __enter__(self) -> "save_on_cpu":
        return self

    def __exit__(self, *exc) -> None:
        return None
