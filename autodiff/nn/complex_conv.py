"""Complex convolutions (``F.conv1d`` ... ``F.conv_transpose3d`` of complex input and
weight, as PyTorch's): a product of complex numbers is four real ones,

    (xr + i xi) * (wr + i wi) = (xr wr - xi wi) + i (xr wi + xi wr),

and a convolution is linear in each argument, so it is four real convolutions of the
parts (the bias's real and imaginary parts added to the two halves), joined by
``ad.complex``.  The parts are taken and joined by recorded ops whose rules follow
PyTorch's convention for complex gradients (``z.grad = dL/dx + i dL/dy``), so the
gradients of input, weight and bias are PyTorch's with no rule of their own.  PyTorch
computes the same sums by Gauss's three products, in another rounding.  As in PyTorch,
the input, weight and bias share one dtype: a real one with complex others is refused.

>>> x = ad.tensor([[[1.0 + 1.0j, 2.0, 0.0]]])
>>> F.conv1d(x, ad.tensor([[[1.0j, 1.0]]]))
tensor([[[1.+1.j, 0.+2.j]]], dtype=complex128)
"""

from __future__ import annotations

import functools

import numpy as np

from ..tensor import Tensor


def _dtype(value):
    return value.dtype if isinstance(value, Tensor) else np.asarray(value).dtype


def also_complex(convolve):
    """Decorator of a real convolution ``convolve(x, weight, bias, ..., where)``: complex
    operands are convolved as four real convolutions of their parts."""
    @functools.wraps(convolve)
    def convolved(x, weight, bias, *args):
        if holds_complex(x, weight, bias):
            return complex_convolution(convolve, args[-1], x, weight, bias, *args)
        return convolve(x, weight, bias, *args)
    return convolved


def holds_complex(*values) -> bool:
    """Whether any of ``values`` (None skipped) is complex."""
    return any(value is not None and _dtype(value).kind == "c" for value in values)


def complex_convolution(convolve, where, x, weight, bias, *args):
    """``convolve(x, weight, bias, *args)`` of complex operands, as four real
    convolutions of their parts."""
    from ..ops.complex_ops import complex as joined
    from ..ops.complex_parts import imag, real

    dtypes = {name: _dtype(value) for name, value in
              (("input", x), ("weight", weight), ("bias", bias)) if value is not None}
    if len(set(dtypes.values())) != 1:
        described = ", ".join(f"{name} {dtype}" for name, dtype in dtypes.items())
        widest = np.result_type(*dtypes.values())
        raise TypeError(
            f"{where}: the input, weight and bias must have one dtype (PyTorch refuses "
            f"others too), got {described}; cast them, e.g. x.astype(np.{widest}) and "
            f"weight.astype(np.{widest})")
    xr, xi, wr, wi = real(x), imag(x), real(weight), imag(weight)
    br = bi = None
    if bias is not None:
        br, bi = real(bias), imag(bias)
    real_part = convolve(xr, wr, br, *args) - convolve(xi, wi, None, *args)
    imag_part = convolve(xr, wi, bi, *args) + convolve(xi, wr, None, *args)
    return joined(real_part, imag_part)
