"""The checks of what ``Tensor(data, requires_grad, dtype, name)`` is given, besides the
data: whether data may require grad, the ``requires_grad`` flag and the name."""

from __future__ import annotations

import numpy as np


def check_can_require_grad(array, where="tensor"):
    """Refuse ``requires_grad=True`` for data that is not floating-point (complex is
    allowed, as in PyTorch, and switches on the registry's complex checks).

    >>> check_can_require_grad(np.zeros(2, np.int64))
    Traceback (most recent call last):
    TypeError: tensor: requires_grad=True needs floating-point data, ...
    """
    if array.dtype.kind == "c":
        # complex leaves are allowed (PyTorch's convention: grad = dL/dx + i dL/dy);
        # from now on real results check their inputs for complex values (registry)
        from .ops.registry import note_complex_on_tape
        note_complex_on_tape()
        return
    if array.dtype.kind != "f":
        raise TypeError(
            f"{where}: requires_grad=True needs floating-point data, but the data is "
            f"{array.dtype} (shape {array.shape}). Integer and bool tensors (indices, masks) "
            "cannot have gradients; convert first, e.g. "
            "ad.tensor(data, dtype=np.float64, requires_grad=True).")


def checked_flag(requires_grad, data=None) -> bool:
    """``requires_grad`` given as something else than True or False: a NumPy bool, 0 or
    1 pass; anything else is refused (NumPy's positional ``dtype`` or ``order``, as in
    ``ad.tensor(x, np.float32)``, would turn it on; so would PyTorch's legacy
    ``Tensor(2, 3)``, sizes by position)."""
    if isinstance(requires_grad, (bool, np.bool_)) or (
            type(requires_grad) is int and requires_grad in (0, 1) and type(data) is not int):
        return bool(requires_grad)
    if type(data) is int and type(requires_grad) is int:
        raise TypeError(
            f"Tensor(data, requires_grad=False, dtype=None) takes data, not sizes: "
            f"Tensor({data}, {requires_grad}, ...) is PyTorch's legacy form for an "
            f"uninitialised tensor of shape ({data}, {requires_grad}, ...); use "
            f"ad.empty({data}, {requires_grad}) or ad.zeros({data}, {requires_grad}) instead")
    raise TypeError(f"requires_grad must be True or False, got {requires_grad!r}; a dtype or "
                    "NumPy's order passed by position lands here: pass dtype= by name")


def checked_name(name):
    """A tensor's ``name``: None or a plain str.

    >>> checked_name("W1")
    'W1'
    """
    if name is None or type(name) is str:
        return name
    if not isinstance(name, str):
        raise TypeError(f"Tensor.name must be a str or None, not {type(name).__name__}")
    return str.__str__(name)        # a plain str: a subclass could point anywhere
