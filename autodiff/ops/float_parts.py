"""A float's parts: ``np.modf``, ``np.frexp`` and their inverse ``np.ldexp`` on Tensors,
``np.spacing``, the distance to the next float, and ``np.nextafter``, the next float.

The integral part of ``modf`` and the exponent of ``frexp`` are piecewise constant
(zero gradient); the fractional part has gradient ``g`` (``x`` minus a constant
between the integers) and the mantissa ``g * 2**-e`` (``x`` scaled by the constant
``2**-e`` between the powers of two).  ``spacing`` is constant from one power of two
to the next, so its gradient is zero almost everywhere, as ``floor``'s.
``nextafter(x, y)`` is ``x`` moved by one step towards ``y``: gradient ``g`` for ``x``
(``x`` plus a step that is constant between powers of two) and zero for ``y``, which
only gives the direction.  The values
are NumPy's own.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..tensor import Tensor
from .define import defop
from .diagnostic_fields import OVERFLOW
from .elementwise import _zero_rule
from .numpy_dispatch import implements
from .operands import array_of
from .piecewise import trunc


ldexp = defop(
    "ldexp", np.ldexp, numpy=np.ldexp, reads=(), overflows=OVERFLOW,
    hint="n must be an integer array broadcastable with x",
    doc="``x * 2**n`` for integer ``n`` (exact, as ``np.ldexp``); the gradient of ``x`` is "
        "``g * 2**n``, ``n`` has none.\n\n"
        ">>> x = ad.tensor([1.5, 3.0], requires_grad=True)\n"
        ">>> y = np.ldexp(x, [2, -1])\n"
        ">>> y.sum().backward(); y, x.grad\n"
        "(tensor([6. , 1.5], requires_grad=True), array([4. , 0.5]))",
    x=("g * 2**n", lambda xp, g, ans, x, n: xp.ldexp(g, n)), n=None)

spacing = defop(
    "spacing", np.spacing, numpy=np.spacing, zero_grad_ae=True, reads=(),
    doc="The step from ``x`` to the next float away from zero (negative for negative "
        "``x``), as ``np.spacing``; a step function, so zero gradient.\n\n"
        ">>> np.spacing(ad.tensor([1.0, 2.0]))\n"
        "tensor([2.22044605e-16, 4.44089210e-16])",
    x=("0", _zero_rule))

nextafter = defop(
    "nextafter", np.nextafter, numpy=np.nextafter, reads=(), elementwise=True,
    hint="x and y broadcast like arithmetic",
    doc="The next float after ``x`` towards ``y``, as ``np.nextafter``; gradient ``g`` for "
        "``x`` and zero for ``y`` (it only gives the direction).\n\n"
        ">>> x = ad.tensor([1.0, 1.0], requires_grad=True)\n"
        ">>> y = np.nextafter(x, ad.tensor([2.0, 0.0]))\n"
        ">>> y.sum().backward(); y - 1.0, x.grad\n"
        "(tensor([ 2.22044605e-16, -1.11022302e-16], requires_grad=True), array([1., 1.]))",
    x=("g", lambda xp, g, ans, x, y: g), y=("0", _zero_rule))

modf_fraction = defop(
    "modf_fraction", lambda x: np.modf(x)[0],
    doc="The fractional part of ``x`` (the first output of ``np.modf``, with its sign); "
        "gradient ``g``.\n\n"
        ">>> ad.ops.float_parts.modf_fraction(ad.tensor([2.5, -1.25]))\n"
        "tensor([ 0.5 , -0.25])",
    x=("g", lambda xp, g, ans, x: g), reads=(), elementwise=True)

frexp_mantissa = defop(
    "frexp_mantissa", lambda x: np.frexp(x)[0],
    doc="The mantissa ``m`` of ``x = m * 2**e`` with ``0.5 <= |m| < 1`` (the first "
        "output of ``np.frexp``); gradient ``g * 2**-e``.\n\n"
        ">>> ad.ops.float_parts.frexp_mantissa(ad.tensor([8.0, -3.0]))\n"
        "tensor([ 0.5 , -0.75])",
    x=("g * 2**-e", lambda xp, g, ans, x: xp.ldexp(g, -np.frexp(array_of(x))[1])), elementwise=True)


@implements(np.modf)
def modf(x, /) -> tuple:
    """``(fractional part, integral part)``, as ``np.modf``: the fraction's gradient
    is ``g``, the integral part's zero.

    >>> x = ad.tensor([2.5, -1.25], requires_grad=True)
    >>> fraction, whole = np.modf(x)
    >>> (fraction + whole).sum().backward(); fraction.data, whole.data, x.grad
    (array([ 0.5 , -0.25]), array([ 2., -1.]), array([1., 1.]))
    """
    return modf_fraction(x), trunc(x)


@implements(np.frexp)
def frexp(x, /) -> tuple:
    """``(mantissa, exponent)`` with ``x = mantissa * 2**exponent``, as ``np.frexp``:
    the mantissa's gradient is ``g * 2**-exponent``; the exponent is an integer
    Tensor (int32, as NumPy's) without gradient.

    >>> x = ad.tensor([8.0, 3.0], requires_grad=True)
    >>> mantissa, exponent = np.frexp(x)
    >>> mantissa.sum().backward(); mantissa, exponent, x.grad
    (tensor([0.5 , 0.75], requires_grad=True), tensor([4, 2], dtype=int32), array([0.0625, 0.25  ]))
    """
    # (the exponent: computed again at each replay of ad.compile)
    return frexp_mantissa(x), Tensor(made("frexp exponent", _exponent, (array_of(x),)))


def _exponent(values):
    return np.frexp(values)[1]
