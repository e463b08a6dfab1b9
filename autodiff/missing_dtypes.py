"""PyTorch's dtypes that NumPy lacks: bfloat16.

NumPy has no bfloat16, so no array (and no Tensor) can hold it.  Asking for it, by
name (``dtype="bfloat16"``), as ``torch.bfloat16`` or as ml_dtypes' type, raises an
error naming the function and what to use instead (float16 or float32), where NumPy's
own says only ``data type 'bfloat16' not understood``.  ``ad.bfloat16`` is not
defined; the module's ``__getattr__`` says the same.
"""

from __future__ import annotations

import numpy as np

#: what the errors suggest, for a keyword (``dtype=``) or for a conversion method
_INSTEAD = {True: "pass dtype=float16 for 16-bit {0}, or float32",
            False: "use half() (float16) for 16-bit {0}, or float() (float32)"}


def bfloat16_error(where: str, stored: str = "values", by_keyword: bool = False) -> TypeError:
    """What ``to("bfloat16")`` and ``bfloat16()`` raise (``by_keyword``: what
    ``dtype="bfloat16"`` raises): NumPy has no such dtype.

    >>> print(bfloat16_error("zeros", by_keyword=True))
    zeros: NumPy has no bfloat16 dtype, so values cannot be stored in it; pass dtype=float16
    for 16-bit values, or float32
    """
    return TypeError(f"{where}: NumPy has no bfloat16 dtype, so {stored} cannot be stored "
                     f"in it; {_INSTEAD[by_keyword].format(stored)}")


def is_bfloat16(value) -> bool:
    """Whether ``value`` names bfloat16: ``"bfloat16"``, ``torch.bfloat16`` (a
    torch.dtype) or ml_dtypes' bfloat16 (a type)."""
    if not isinstance(value, (str, type, np.dtype)) and type(value).__name__ != "dtype":
        return False
    return str(getattr(value, "__name__", value)).rsplit(".", 1)[-1] == "bfloat16"


def unknown_dtype_error(where: str, error: TypeError) -> TypeError:
    """NumPy's ``error`` made clear when it is about bfloat16: naming ``where`` and what
    to pass instead; any other error as it is.

    >>> unknown_dtype_error("eye", TypeError("data type 'bfloat16' not understood"))
    TypeError('eye: NumPy has no bfloat16 dtype, so values cannot be stored in it; ...')
    """
    message = str(error)
    if "data type" in message and "bfloat16'" in message:
        return bfloat16_error(where, by_keyword=True)
    if "ScalarType BFloat16" in message:        # (torch's .numpy() of a bfloat16 tensor)
        return TypeError(f"{where}: the torch.Tensor is bfloat16, which NumPy has no dtype "
                         "for, so its values cannot be stored here; convert it first with "
                         ".float() (float32), or .half() for 16-bit values")
    return error


def numpy_dtype(where: str, dtype) -> np.dtype:
    """``np.dtype(dtype)``, with bfloat16 refused by name (``unknown_dtype_error``).

    >>> numpy_dtype("tensor", "float32")
    dtype('float32')
    """
    try:
        return np.dtype(from_torch_dtype(where, dtype))
    except TypeError as error:
        raise unknown_dtype_error(where, error) from error


def from_torch_dtype(where: str, dtype):
    """NumPy's dtype of the same name for a ``torch.dtype`` (``torch.float32``:
    float32); anything else as it is.  A torch dtype NumPy lacks is refused by name.

    >>> from_torch_dtype("to", "float32")
    'float32'
    """
    if type(dtype).__name__ != "dtype" or not type(dtype).__module__.startswith("torch"):
        return dtype
    name = str(dtype).rsplit(".", 1)[-1]
    if name == "bfloat16":
        raise bfloat16_error(where, by_keyword=True)
    try:
        return np.dtype(name)
    except TypeError:
        raise TypeError(f"{where}: {dtype} has no NumPy counterpart, so values cannot be "
                        "stored in it; pass a NumPy dtype (np.float32, np.int64, ...)") from None
