"""The sum of squared magnitudes of a complex array, in NumPy's own steps, for its
2- and Frobenius norms: ``x.real.dot(x.real) + x.imag.dot(x.imag)`` of a raveled
array, or ``add.reduce((x.conj() * x).real, axis)`` over axes.  Both read strided
views of the complex values, which BLAS and NumPy's pairwise sums add in another
order than contiguous copies, so only these very steps give NumPy's last bit.

For a real loss the gradient (PyTorch's convention, complex_ops.py) is ``2 g x``.
"""

from __future__ import annotations

import numpy as np

from .define import defop
from .reduce import _kept_shape


def _forward(x, axis=None, keepdims=False):
    if axis is None:                    # a 1-D array (raveled in memory order)
        real, imag = x.real, x.imag
        return np.asarray(real.dot(real) + imag.dot(imag))
    return np.add.reduce((x.conj() * x).real, axis=axis, keepdims=keepdims)


def _rule(xp, g, ans, x, axis=None, keepdims=False):
    spread = g if axis is None else xp.reshape(g, _kept_shape(x.shape, axis))
    return spread * (2 * x)


def _jvp(xp, tangents, ans, x, axis=None, keepdims=False):
    (tangent,) = tangents
    return 2 * xp.sum(xp.real(xp.conj(x) * tangent), axis=axis, keepdims=keepdims)


squared_magnitudes = defop(
    "squared_magnitudes", _forward, jvp=_jvp,
    doc="The sum of |x|^2 of a complex array over ``axis`` (all of a 1-D one when None), "
        "in NumPy's steps for its norms; the gradient is 2 g x.\n\n"
        ">>> ad.ops.squared_magnitudes.squared_magnitudes(ad.tensor([3 + 4j, 1j]))\n"
        "tensor(26.)",
    x=("2 g x", _rule), axis=None, keepdims=None, reads={"x": ("x",)})
squared_magnitudes.complex_twin = squared_magnitudes    # (its rule holds for complex x)
