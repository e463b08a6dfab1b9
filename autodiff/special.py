"""Special functions by SciPy's names (``scipy.special``) and PyTorch's
(``torch.special``), as differentiable ops.

``gammaln`` is ``ad.lgamma``, ``psi`` is ``ad.digamma`` and ``expit`` is ``ad.sigmoid``;
the others shared with the top level have the same names there (``ad.erf``,
``ad.xlogy``, ``ad.logit`` ...).  ``ndtr``, ``log_ndtr``, ``ndtri``, ``erfcx``, ``i0e``,
``i1``, ``i1e``, ``entr``, ``xlog1py``, ``zeta``, ``gammainc``, ``gammaincc``,
``multigammaln``, the orthogonal polynomials and the Bessel functions without gradient
live here only.
Accurate to a few ulp in float64 (see ``autodiff.kernels.special_math`` and
``autodiff.kernels.special_torch_math``).

>>> from autodiff import special
>>> special.gammaln(ad.tensor([4.0]))              # log(3!)
tensor([1.79175947])
>>> x = ad.tensor([1.0], requires_grad=True)
>>> special.psi(x).backward(); x.grad              # polygamma(1, 1) = pi**2 / 6
array([1.64493407])
"""

import math

from .ops.activations import erf
from .ops.bessel import bessel_i1 as i1
from .ops.special import digamma, erfc, erfinv, lgamma, polygamma, xlogy
from .ops.special_torch import (
    entr, erfcx, gammainc, gammaincc, i0e, i1e, log_ndtr, ndtr, ndtri, xlog1py, zeta)
from .ops.special_torch_values import (
    POLYNOMIALS, airy_ai, bessel_j0, bessel_j1, bessel_y0, bessel_y1, modified_bessel_i0,
    modified_bessel_i1, modified_bessel_k0, modified_bessel_k1, scaled_modified_bessel_k0,
    scaled_modified_bessel_k1, spherical_bessel_j0)

globals().update(POLYNOMIALS)     # chebyshev_polynomial_t, ..., legendre_polynomial_p

gammaln = lgamma
psi = digamma


def multigammaln(a, p):
    """The log of the multivariate gamma function of dimension ``p``,
    ``p (p - 1) / 4 log(pi) + sum(lgamma(a - j / 2) for j < p)``
    (``torch.special.multigammaln``, SciPy's ``multigammaln``).

    >>> ad.special.multigammaln(ad.tensor([2.5]), 2)       # log(pi**0.5 Gamma(2.5) Gamma(2))
    tensor([0.85704781])
    """
    from .ops.shape import expand_dims
    from .ops.reduce import sum as total
    from .tensor import Tensor, tensor

    if isinstance(p, bool) or not isinstance(p, int):
        raise TypeError(f"multigammaln: p must be an int (the dimension), got {p!r}")
    if p < 1:
        raise ValueError(f"multigammaln: p has to be greater than or equal to 1, got {p}")
    a = a if isinstance(a, Tensor) else tensor(a)
    if a.dtype.kind != "f":
        raise TypeError(f"multigammaln: a must be a float tensor, got dtype {a.dtype} "
                        "(PyTorch's neither takes integers); convert it with .double()")
    halves = [-(p - 1 - j) / 2 for j in range(p)]          # -(p - 1)/2, ..., -1/2, 0
    shifted = expand_dims(a, -1) + tensor(halves, dtype=a.dtype)
    return total(lgamma(shifted), axis=-1) + p * (p - 1) / 4 * math.log(math.pi)


#: Names of the top-level functions this module shows too (``expit``: ``sigmoid``), looked
#: up on first use: they are defined after this module is imported.
_TOP_LEVEL = {"expit": "sigmoid", "logit": "logit", "log1p": "log1p", "expm1": "expm1",
              "exp2": "exp2", "i0": "i0", "sinc": "sinc", "logsumexp": "logsumexp",
              "softmax": "softmax", "log_softmax": "log_softmax", "round": "round"}


def __getattr__(name):
    if name in _TOP_LEVEL:
        import autodiff
        return getattr(autodiff, _TOP_LEVEL[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["gammaln", "digamma", "psi", "polygamma", "erf", "erfc", "erfinv", "xlogy",
           "i1", "entr", "erfcx", "i0e", "i1e", "log_ndtr", "ndtr", "ndtri", "xlog1py",
           "zeta", "gammainc", "gammaincc", "multigammaln", "modified_bessel_i0",
           "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
           "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0",
           "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "airy_ai", *POLYNOMIALS,
           *_TOP_LEVEL]
