"""What a ``Parameter`` refuses: being made while ``ad.compile`` traces (its values
would be drawn once, at the trace), and ``p.data = value`` for a value that is neither
an array nor a tensor."""

from __future__ import annotations

import numpy as np

from ..compile import hooks as _hooks
from ..torch_memory import is_torch_tensor, numpy_view


def refuse_a_parameter_made_in_a_trace():
    """A parameter made while ``ad.compile`` traces (``nn.Linear(3, 2)`` built inside the
    compiled function) would keep the values drawn at the trace at every replay, where
    each eager call draws new ones: refused, naming the line."""
    tracer = _hooks.active
    if tracer.owns_thread():
        from ..compile.provenance import user_line
        from ..compile.refusals import TraceError

        raise TraceError(
            f"compile: a Parameter (a layer's weights) is made at {user_line()} inside the "
            f"compiled function {tracer.name}; its values would be drawn once, at the "
            "trace, and every replay would reuse them, where each eager call makes new "
            "ones. Build the modules outside the compiled function and call them inside")


def data_of(value) -> np.ndarray:
    """What ``p.data = value`` stores for a ``value`` that is no ndarray nor Tensor: a
    ``torch.Tensor``'s values as a NumPy view of its memory (as PyTorch's ``p.data = t``
    shares ``t``'s storage); anything else is refused, as PyTorch refuses it (a list or
    a number stored as ``.data`` broke the next op far from this line)."""
    if is_torch_tensor(value):
        return numpy_view(value, "Parameter.data")
    raise TypeError(
        f"Parameter.data: must be an array or a tensor, got {type(value).__name__} "
        f"{value!r:.60}, as PyTorch's p.data = ... (a tensor) needs; write "
        "p.data = np.asarray(value, dtype=p.dtype), or copy values in with "
        "p.data[...] = value")
