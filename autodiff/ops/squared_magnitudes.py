"""The sum of squared magnitudes of a complex array, in NumPy's own steps, for its
2- and Frobenius norms and its variances: ``x.real.dot(x.real) + x.imag.dot(x.imag)``
of a raveled array, or ``add.reduce((x.conj() * x).real, axis, where=)`` over axes
(norms), or in a copy laid out as NumPy's (``like``): ``steps="var"``, np.var's
squares of the real and imaginary parts added into the real parts, or
``steps="nanvar"``, its product with the conjugate.  Each reads strided views of
complex values, which BLAS and NumPy's pairwise sums add in another order than
contiguous copies, and a complex product may round otherwise than the parts'
squares, so only these very steps give NumPy's last bit.

For a real loss the gradient (PyTorch's convention, complex_ops.py) is ``2 g x``.
"""

from __future__ import annotations

import numpy as np

from .define import defop
from .reduce import _kept_shape


def _forward(x, axis=None, keepdims=False, where=None, steps="norm", like=None):
    if steps == "norm":
        if axis is None and where is None:  # a 1-D array (raveled in memory order)
            real, imag = x.real, x.imag
            return np.asarray(real.dot(real) + imag.dot(imag))
        squares = (x.conj() * x).real
    else:
        # NumPy's copy of the deviations, in the memory layout of ``like`` (its input)
        buffer = np.empty_like(x if like is None else like, dtype=x.dtype)
        buffer[...] = x
        if steps == "var":      # the parts squared in place, added into the real parts
            pairs = buffer.view((buffer.real.dtype, (2,)))
            np.multiply(pairs, pairs, out=pairs)
            squares = np.add(pairs[..., 0], pairs[..., 1], out=buffer.real).real
        else:                   # nanvar's product with the conjugate, in place
            squares = np.multiply(buffer, buffer.conj(), out=buffer).real
    return np.add.reduce(squares, axis=axis, keepdims=keepdims,
                         where=True if where is None else where)


def _rule(xp, g, ans, x, axis=None, keepdims=False, where=None, steps="norm", like=None):
    spread = g if axis is None and not keepdims else xp.reshape(
        g, _kept_shape(x.shape, axis))
    gradient = spread * (2 * x)
    return gradient if where is None else xp.where(where, gradient, 0)


def _jvp(xp, tangents, ans, x, axis=None, keepdims=False, where=None, steps="norm",
         like=None):
    (tangent,) = tangents
    change = xp.real(xp.conj(x) * tangent)
    if where is not None:
        change = xp.where(where, change, 0)
    return 2 * xp.sum(change, axis=axis, keepdims=keepdims)


squared_magnitudes = defop(
    "squared_magnitudes", _forward, jvp=_jvp,
    doc="The sum of |x|^2 of a complex array over ``axis`` (all of a 1-D one when None) "
        "and the entries ``where`` chooses, in NumPy's steps for its norms and "
        "variances; the gradient is 2 g x where chosen.\n\n"
        ">>> ad.ops.squared_magnitudes.squared_magnitudes(ad.tensor([3 + 4j, 1j]))\n"
        "tensor(26.)",
    x=("2 g x", _rule), axis=None, keepdims=None, where=None, steps=None, like=None,
    reads={"x": ("x",)})
squared_magnitudes.complex_twin = squared_magnitudes    # (its rule holds for complex x)
