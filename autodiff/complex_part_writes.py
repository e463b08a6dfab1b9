"""Assignment to a Tensor's ``real`` and ``imag``, as NumPy's ``z.real = x`` and
``z.imag = y`` (and so ``z.real *= 2``, which Python runs as a read, an update and this
assignment): the tensor is rewritten in place with the new part and its other part
kept, ``z[...] = x + i imag(z)``, recorded as any ``t[...] = value`` is, so the gradient
reaches both ``x`` and the kept part.  A real tensor's ``real`` is the tensor itself; it
has no imaginary part to set, which raises as NumPy's does."""

from __future__ import annotations

import warnings

import numpy as np


def write_complex_part(tensor, part: str, value) -> None:
    """Write ``value`` (broadcast to ``tensor``'s shape, cast to its part's dtype) as
    the ``part`` ("real" or "imag") of ``tensor`` in place.

    >>> z = ad.tensor([1.0 + 2.0j, 3.0 - 1.0j])
    >>> write_complex_part(z, "imag", 0.5)
    >>> z
    tensor([1.+0.5j, 3.+0.5j], dtype=complex128)
    """
    from .ops.complex_ops import complex_op
    from .ops.complex_parts import imag, real
    from .tensor import Tensor
    if tensor.dtype.kind != "c":
        if part == "imag":
            raise TypeError(
                f"t.imag = ...: a tensor of dtype {tensor.dtype} (shape {tensor.shape}) "
                f"has no imaginary part to set (NumPy's ndarray raises too); make it "
                f"complex first, e.g. t = t.astype(np.complex128)")
        tensor[...] = value
        return
    value = value if isinstance(value, Tensor) else Tensor(np.asarray(value))
    if value.dtype.kind == "c":
        warnings.warn("Casting complex values to real discards the imaginary part",
                      np.exceptions.ComplexWarning, stacklevel=3)
        value = real(value)
    part_dtype = np.finfo(tensor.dtype).dtype
    value = value.astype(part_dtype) if value.dtype != part_dtype else value
    kept = imag(tensor) if part == "real" else real(tensor)
    parts = (value, kept) if part == "real" else (kept, value)
    tensor[...] = complex_op(*parts)
