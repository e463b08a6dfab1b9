"""``torch.special``'s functions that PyTorch gives no gradient (their outputs never
require grad, whatever the inputs): the orthogonal polynomial families
(``chebyshev_polynomial_t`` ... ``legendre_polynomial_p``, the degree ``n`` a tensor
or a number) and ``modified_bessel_i0``, ``modified_bessel_i1``, ``modified_bessel_k0``,
``modified_bessel_k1``, ``scaled_modified_bessel_k0``, ``scaled_modified_bessel_k1``,
``spherical_bessel_j0``, ``bessel_j0``, ``bessel_j1``, ``bessel_y0``, ``bessel_y1`` and
``airy_ai``.
For gradients of I0 and I1 use ``ad.special.i0`` and ``ad.special.i1``.
"""

from __future__ import annotations

import numpy as np

from ..kernels import airy, bessel_first_second, modified_bessel_k, orthogonal_polynomials
from ..kernels.special_math import as_float64
from .bessel import i1_values
from .define import nondifferentiable

_NO_GRADIENT = "{name} passes no gradient, as in PyTorch (its output never requires grad)"

_POLYNOMIAL_EXAMPLES = {   # (x, n, the result) for the docstrings
    "chebyshev_polynomial_t": ("[0.25, 2.0]", "3", "tensor([-0.6875, 26.    ])"),
    "chebyshev_polynomial_u": ("[0.25, 2.0]", "3", "tensor([-0.875, 56.   ])"),
    "chebyshev_polynomial_v": ("[0.25, 2.0]", "3", "tensor([-0.125, 41.   ])"),
    "chebyshev_polynomial_w": ("[0.25, 2.0]", "3", "tensor([-1.625, 71.   ])"),
    "shifted_chebyshev_polynomial_t": ("[0.25, 2.0]", "3", "tensor([ 1., 99.])"),
    "shifted_chebyshev_polynomial_u": ("[0.25, 2.0]", "3", "tensor([  1., 204.])"),
    "shifted_chebyshev_polynomial_v": ("[0.25, 2.0]", "3", "tensor([  1., 169.])"),
    "shifted_chebyshev_polynomial_w": ("[0.25, 2.0]", "3", "tensor([  1., 239.])"),
    "hermite_polynomial_h": ("[0.25, 2.0]", "3", "tensor([-2.875, 40.   ])"),
    "hermite_polynomial_he": ("[0.25, 2.0]", "3", "tensor([-0.734375,  2.      ])"),
    "laguerre_polynomial_l": ("[0.25, 2.0]", "3", "tensor([ 0.34114583, -0.33333333])"),
    "legendre_polynomial_p": ("[0.25, 2.0]", "3", "tensor([-0.3359375, 17.       ])"),
}


def _polynomial(name):
    x_text, n_text, result = _POLYNOMIAL_EXAMPLES[name]

    def forward(x, n):
        return orthogonal_polynomials.evaluate(name, x, n)
    forward.__name__ = name
    return nondifferentiable(
        name, forward, 2,
        doc=f"``torch.special.{name}(x, n)``: the polynomial of degree ``n`` (a tensor or a "
            "number, truncated to an integer; 0 for n < 0) at ``x``, by PyTorch's "
            "recurrence.  No gradient, as in PyTorch.\n\n"
            f">>> ad.special.{name}(ad.tensor({x_text}), {n_text})\n{result}",
        blocks=_NO_GRADIENT.format(name=name), elementwise=True)


POLYNOMIALS = {name: _polynomial(name) for name in _POLYNOMIAL_EXAMPLES}


def _in_dtype(function):
    def forward(x):
        values, dtype = as_float64(x)
        with np.errstate(all="ignore"):
            return np.asarray(function(values)).astype(dtype, copy=False)
    forward.__name__ = function.__name__
    return forward


def _spherical_j0(x):
    """sin(x) / x, by its Taylor series 1 - x**2/6 + x**4/120 - ... near 0."""
    small = np.abs(x) < 0.5
    y = x * x
    series = 1.0 - y / 6 * (1.0 - y / 20 * (1.0 - y / 42 * (1.0 - y / 72 * (
        1.0 - y / 110 * (1.0 - y / 156 * (1.0 - y / 210))))))
    with np.errstate(invalid="ignore", divide="ignore"):
        far = np.sin(x) / x
    return np.where(small, series, np.where(np.isinf(x), 0.0, far))


modified_bessel_i0 = nondifferentiable(
    "modified_bessel_i0", _in_dtype(np.i0), 1,
    doc="The modified Bessel function of the first kind of order 0 "
        "(``torch.special.modified_bessel_i0``).  No gradient, as in PyTorch (use "
        "``ad.special.i0`` for one).\n\n"
        ">>> ad.special.modified_bessel_i0(ad.tensor([0.0, 1.0]))\n"
        "tensor([1.        , 1.26606588])",
    blocks=_NO_GRADIENT.format(name="modified_bessel_i0"), elementwise=True)

modified_bessel_i1 = nondifferentiable(
    "modified_bessel_i1", _in_dtype(i1_values), 1,
    doc="The modified Bessel function of the first kind of order 1 "
        "(``torch.special.modified_bessel_i1``).  No gradient, as in PyTorch (use "
        "``ad.special.i1`` for one).\n\n"
        ">>> ad.special.modified_bessel_i1(ad.tensor([0.0, 1.0]))\n"
        "tensor([0.       , 0.5651591])",
    blocks=_NO_GRADIENT.format(name="modified_bessel_i1"), elementwise=True)

spherical_bessel_j0 = nondifferentiable(
    "spherical_bessel_j0", _in_dtype(_spherical_j0), 1,
    doc="The spherical Bessel function of the first kind of order 0, ``sin(x) / x`` "
        "(``torch.special.spherical_bessel_j0``).  No gradient, as in PyTorch.\n\n"
        ">>> ad.special.spherical_bessel_j0(ad.tensor([0.0, np.pi]))\n"
        "tensor([1.00000000e+00, 3.89817183e-17])",
    blocks=_NO_GRADIENT.format(name="spherical_bessel_j0"), elementwise=True)


def _second_kind(name, forward, what, example, result):
    return nondifferentiable(
        name, forward, 1,
        doc=f"{what} (``torch.special.{name}``): inf at 0, NaN for x < 0.  No gradient, as "
            f"in PyTorch.\n\n>>> ad.special.{name}(ad.tensor({example}))\n{result}",
        blocks=_NO_GRADIENT.format(name=name), elementwise=True)


modified_bessel_k0 = _second_kind(
    "modified_bessel_k0", modified_bessel_k.k0,
    "The modified Bessel function of the second kind of order 0", "[1.0, 10.0]",
    "tensor([4.21024438e-01, 1.77800623e-05])")
modified_bessel_k1 = _second_kind(
    "modified_bessel_k1", modified_bessel_k.k1,
    "The modified Bessel function of the second kind of order 1", "[1.0, 10.0]",
    "tensor([6.01907230e-01, 1.86487735e-05])")
scaled_modified_bessel_k0 = _second_kind(
    "scaled_modified_bessel_k0", modified_bessel_k.k0e,
    "``exp(x) * K0(x)``, without underflow", "[1.0, 1000.0]",
    "tensor([1.14446308, 0.03962832])")
scaled_modified_bessel_k1 = _second_kind(
    "scaled_modified_bessel_k1", modified_bessel_k.k1e,
    "``exp(x) * K1(x)``, without underflow", "[1.0, 1000.0]",
    "tensor([1.63615349, 0.03964813])")


def _first_second_kind(name, forward, what, result):
    return nondifferentiable(
        name, forward, 1,
        doc=f"{what} (``torch.special.{name}``).  No gradient, as in PyTorch.\n\n"
            f">>> ad.special.{name}(ad.tensor([1.0, 100.0]))\n{result}",
        blocks=_NO_GRADIENT.format(name=name), elementwise=True)


bessel_j0 = _first_second_kind(
    "bessel_j0", bessel_first_second.j0, "The Bessel function of the first kind of order 0",
    "tensor([0.76519769, 0.01998585])")
bessel_j1 = _first_second_kind(
    "bessel_j1", bessel_first_second.j1, "The Bessel function of the first kind of order 1",
    "tensor([ 0.44005059, -0.07714535])")
bessel_y0 = _first_second_kind(
    "bessel_y0", bessel_first_second.y0,
    "The Bessel function of the second kind of order 0 (-inf at 0, NaN for x < 0)",
    "tensor([ 0.08825696, -0.07724431])")
bessel_y1 = _first_second_kind(
    "bessel_y1", bessel_first_second.y1,
    "The Bessel function of the second kind of order 1 (-inf at 0, NaN for x < 0)",
    "tensor([-0.78121282, -0.02037231])")

airy_ai = nondifferentiable(
    "airy_ai", airy.airy_ai, 1,
    doc="Airy's function Ai (``torch.special.airy_ai``).  No gradient, as in PyTorch.\n\n"
        ">>> ad.special.airy_ai(ad.tensor([0.0, -10.0]))\n"
        "tensor([0.35502805, 0.04024124])",
    blocks=_NO_GRADIENT.format(name="airy_ai"), elementwise=True)
