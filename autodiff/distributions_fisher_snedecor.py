"""``FisherSnedecor``, the F distribution, with PyTorch's name, parameters (``df1``,
``df2``) and formulas; re-exported by ``autodiff.distributions``.  PyTorch registers no
``kl_divergence`` pair for it, and has no ``cdf``, ``icdf`` or ``entropy``: neither
has this one.

A draw is ``(X1 / df1) / (X2 / df2)`` for chi-square X1, X2 (two gamma draws), so, as
for ``Chi2``, ``rsample`` is refused where a ``df`` requires grad (the gradient of a
gamma draw in its shape parameter is not implemented) and is ``sample`` otherwise.

>>> f = ad.distributions.FisherSnedecor(4.0, 6.0)
>>> f.mean, f.log_prob(1.0)                          # df2 / (df2 - 2)
(tensor(1.5), tensor(-0.88015169))
"""

from __future__ import annotations

import numpy as np

from .distributions import Distribution, _broadcast, _checked, _operand, _values
from .distributions_checks import _in_support, _positive
from .distributions_continuous import _float_parameters, _where_data
from .distributions_gamma import _constant_rsample, _positive_floats, _standard_gamma
from .ops.elementwise import log, log1p, where
from .ops.special import lgamma, xlogy
from .tensor import Tensor

__all__ = ["FisherSnedecor"]


def _above(data, bound):
    return data > bound


class FisherSnedecor(Distribution):
    """The F distribution with ``df1`` and ``df2`` degrees of freedom, on x > 0.

    ``mean`` is NaN where df2 ≤ 2 and ``variance`` where df2 ≤ 4 (undefined), as in
    PyTorch.

    >>> ad.distributions.FisherSnedecor(ad.tensor([3.0, 5.0]), 10.0).variance.round(4)
    tensor([1.9097, 1.3542])
    """

    has_rsample = True

    def __init__(self, df1, df2):
        params = _float_parameters("FisherSnedecor", df1=df1, df2=df2)
        for name, param in params.items():
            _checked(_positive, param.data, "FisherSnedecor", name)
        self.batch_shape, (self.df1, self.df2) = _broadcast("FisherSnedecor", **params)

    @property
    def mean(self) -> Tensor:
        defined = _where_data(_above, self.df2.data, 2)
        df2 = where(defined, self.df2, 3.0)
        return where(defined, df2 / (df2 - 2), np.nan)

    @property
    def mode(self) -> Tensor:
        """(df1 - 2) / df1 · df2 / (df2 + 2) where df1 > 2, NaN elsewhere, as PyTorch's."""
        defined = _where_data(_above, self.df1.data, 2)
        df1 = where(defined, self.df1, 3.0)
        return where(defined, (df1 - 2) / df1 * self.df2 / (self.df2 + 2), np.nan)

    @property
    def variance(self) -> Tensor:
        defined = _where_data(_above, self.df2.data, 4)
        df1, df2 = self.df1, where(defined, self.df2, 5.0)
        value = 2 * df2 ** 2 * (df1 + df2 - 2) / (df1 * (df2 - 2) ** 2 * (df2 - 4))
        return where(defined, value, np.nan)

    def _params(self):
        return self.df1.data, self.df2.data

    @staticmethod
    def _draw(shape, gen, df1, df2):
        ratio = ((_standard_gamma(gen, shape, df1 / 2) / df1)
                 / (_standard_gamma(gen, shape, df2 / 2) / df2))
        return _positive_floats(ratio.astype(df1.dtype))

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``sample``, refused when ``df1`` or ``df2`` requires grad (see the module)."""
        return _constant_rsample(self, (self.df1, self.df2), "df1 and df2", shape, rng,
                                 sample_shape)

    def log_prob(self, value) -> Tensor:
        """log Γ((d1 + d2)/2) - log Γ(d1/2) - log Γ(d2/2) + d1/2 log(d1/d2)
        + (d1/2 - 1) log x - (d1 + d2)/2 log(1 + d1 x / d2), for values > 0."""
        _checked(_in_support, _values(value), self.batch_shape, "FisherSnedecor", "positive")
        value = _operand(value, self.df1)
        half1, half2, ratio = self.df1 * 0.5, self.df2 * 0.5, self.df1 / self.df2
        return (lgamma(half1 + half2) - lgamma(half1) - lgamma(half2) + half1 * log(ratio)
                + xlogy(half1 - 1, value) - (half1 + half2) * log1p(ratio * value))
