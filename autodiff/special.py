"""SciPy's names for the special functions (``scipy.special``), as differentiable ops.

``gammaln`` is ``ad.lgamma``, ``psi`` is ``ad.digamma`` and ``expit`` (also
``torch.special``'s name) is ``ad.sigmoid``; the others have the same names at the top
level (``ad.erf``, ``ad.xlogy``, ``ad.logit`` ...).  Accurate to a few ulp in
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

#: Names of the top-level functions this module shows too (``expit``: ``sigmoid``), looked
#: up on first use: they are defined after this module is imported.
_TOP_LEVEL = {"expit": "sigmoid", "logit": "logit", "log1p": "log1p", "expm1": "expm1",
              "exp2": "exp2", "i0": "i0", "sinc": "sinc", "logsumexp": "logsumexp"}


def __getattr__(name):
    if name in _TOP_LEVEL:
        import autodiff
        return getattr(autodiff, _TOP_LEVEL[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["gammaln", "digamma", "psi", "polygamma", "erf", "erfc", "erfinv",
           "xlogy", *_TOP_LEVEL]
