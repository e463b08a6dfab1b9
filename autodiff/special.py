"""SciPy's names for the special functions (``scipy.special``), as differentiable ops.

``gammaln`` is ``ad.lgamma`` and ``psi`` is ``ad.digamma``; the others have the same
names at the top level (``ad.erf``, ``ad.xlogy`` ...).  Accurate to a few ulp in
float64 (see ``autodiff.kernels.special_math``).

>>> from autodiff import special
>>> special.gammaln(ad.tensor([4.0]))              # log(3!)
tensor([1.79175947])
>>> x = ad.tensor([1.0], requires_grad=True)
>>> special.psi(x).backward(); x.grad              # polygamma(1, 1) = pi**2 / 6
array([1.64493407])
"""

from .ops.activations import erf
from .ops.special import digamma, erfc, erfinv, lgamma, polygamma, xlogy

gammaln = lgamma
psi = digamma

__all__ = ["gammaln", "digamma", "psi", "polygamma", "erf", "erfc", "erfinv", "xlogy"]
