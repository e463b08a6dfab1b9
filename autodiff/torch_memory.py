"""NumPy views of a ``torch.Tensor``'s memory that the library can freeze and thaw.

``t.numpy()`` gives an array whose base is the torch.Tensor, which NumPy cannot
check for writeability, so once made read-only (as the library does to an array a
graph saved, until backward) it can never be made writeable again: a parameter
given as ``p.data = torch_tensor`` or ``ad.tensor(torch_tensor)`` refused every
update after its first forward pass.  The view made here reads the same memory
through a ctypes buffer, which NumPy can check, and keeps the tensor alive.
"""

from __future__ import annotations

import ctypes

import numpy as np

from .missing_dtypes import unknown_dtype_error


def is_torch_tensor(value) -> bool:
    """Whether ``value`` is a ``torch.Tensor`` (checked without importing torch)."""
    return type(value).__module__.startswith("torch") and hasattr(value, "numpy")


def numpy_view(value, where: str) -> np.ndarray:
    """An ndarray sharing a ``torch.Tensor``'s memory, as ``value.numpy()``, whose
    writeable flag can be turned off and on again (a bfloat16 tensor is refused,
    naming ``where`` and the conversion to make)."""
    tensor = value.detach().cpu().resolve_conj().resolve_neg()
    try:
        array = tensor.numpy()
    except TypeError as error:          # (bfloat16)
        raise unknown_dtype_error(where, error) from error
    if array.size == 0:
        return array.copy()
    low, high = np.lib.array_utils.byte_bounds(array)
    memory = (ctypes.c_char * (high - low)).from_address(low)
    memory.owner = tensor               # (the memory stays alive as long as the view)
    return np.ndarray(array.shape, array.dtype, buffer=memory, strides=array.strides,
                      offset=array.__array_interface__["data"][0] - low)
