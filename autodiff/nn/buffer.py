"""``nn.Buffer``: PyTorch's (2.5+) way to register a buffer by assignment,
``self.running = nn.Buffer(t)``, as ``self.register_buffer('running', t)``."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor


class Buffer:
    """A value to be registered as a buffer when assigned to a Module's attribute:
    listed by ``named_buffers()`` and, when ``persistent``, saved by ``state_dict()``.
    A Tensor is kept as that tensor (as ``register_buffer`` keeps it), an ndarray as
    an ndarray; ``None`` gives an empty tensor, as in PyTorch.

    >>> m = ad.nn.Module()
    >>> m.count = ad.nn.Buffer(ad.zeros(()))
    >>> m.state_dict()
    {'count': StateArray(0.)}
    """

    def __init__(self, data=None, *, persistent: bool = True):
        if data is None:
            data = Tensor(np.empty(0))
        elif not isinstance(data, (Tensor, np.ndarray, np.generic)):
            raise TypeError(f"nn.Buffer: data must be a Tensor or an ndarray, got "
                            f"{type(data).__name__}")
        self.data = data if isinstance(data, Tensor) else np.asarray(data)
        self.persistent = bool(persistent)

    def __repr__(self):
        return f"Buffer({self.data!r}, persistent={self.persistent})"


def buffer_values(buffer) -> np.ndarray:
    """The array of values of a buffer: a Tensor buffer's ``.data``, an ndarray itself."""
    return buffer.data if isinstance(buffer, Tensor) else buffer


def is_tensor_buffer(buffer) -> bool:
    """Whether a buffer is kept as a Tensor (not an ndarray, ``None`` or a lazy layer's
    uninitialized placeholder)."""
    from .parameter import is_lazy
    return isinstance(buffer, Tensor) and not is_lazy(buffer)


def assigned_buffer(old, value, name, owner):
    """What ``module.<name> = value`` puts in a buffer: it keeps its kind, so code that
    uses it as a Tensor (or as an array, as the library's layers do) keeps working."""
    if is_tensor_buffer(old) and isinstance(value, (np.ndarray, np.generic)):
        return Tensor(np.asarray(value))
    if isinstance(old, np.ndarray) and is_tensor_buffer(value):
        value = value.data              # (an array buffer takes the tensor's values)
    return buffer_value(value, name, owner)


def buffer_value(value, name, owner):
    """What a buffer holds: a Tensor as itself (as PyTorch keeps it), an ndarray (or a
    NumPy scalar, as a 0-d array), ``None``, or a lazy layer's placeholder."""
    from .parameter import UninitializedBuffer      # (parameter.py imports module.py)
    if value is None or isinstance(value, (UninitializedBuffer, Tensor)):
        return value
    if not isinstance(value, (np.ndarray, np.generic)):
        raise TypeError(f"{owner}: cannot assign {type(value).__name__!r} as buffer "
                        f"{name!r} (a Tensor, an ndarray or None expected); wrap the value: "
                        f"ad.tensor(value) or np.asarray(value)")
    return np.asarray(value)
