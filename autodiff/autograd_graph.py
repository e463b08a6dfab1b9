"""``ad.autograd.graph``: the context managers of ``torch.autograd.graph`` that scripts
wrap around a forward pass to change how the graph keeps what it saves.

``save_on_cpu`` moves the saved tensors to the CPU; every array here is already in
memory, so it changes nothing (a script written for a GPU runs as written).
``saved_tensors_hooks(pack_hook, unpack_hook)`` would run Python code on each saved
value, which the graph here does not call back into: it raises, naming what to do
instead, rather than let the hooks silently not run.
"""

from __future__ import annotations

__all__ = ["save_on_cpu", "saved_tensors_hooks"]


class saved_tensors_hooks:
    """PyTorch's ``torch.autograd.graph.saved_tensors_hooks``: refused (see the module).

    >>> ad.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t)
    Traceback (most recent call last):
    ...
    NotImplementedError: autograd.graph.saved_tensors_hooks: ...
    """

    def __init__(self, pack_hook, unpack_hook):
        raise NotImplementedError(
            "autograd.graph.saved_tensors_hooks: the graph keeps the values it saves as "
            "they are and calls no hooks on them, so pack_hook and unpack_hook would "
            "never run; run the block without them (save_on_cpu, which has nothing to "
            "move here, is accepted)")


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
