"""The gamma family: ``Gamma``, ``Chi2``, ``Beta`` and ``Dirichlet``, with PyTorch's
names, parameters and conventions; re-exported by ``autodiff.distributions``, whose
``kl_divergence`` knows their same-family pairs.

``log_prob``, ``entropy``, ``mean`` and ``variance`` are differentiable in the
parameters (through ``lgamma`` and ``digamma``).  ``sample`` draws with NumPy's
generator.  A gamma draw is not a simple function of its shape parameter, so there is
no ``rsample`` in the concentrations (PyTorch's uses implicit reparameterization,
which is not implemented here): ``Gamma.rsample`` is ``standard_gamma / rate``,
differentiable in ``rate``, and refuses a concentration that requires grad;
``Chi2``, ``Beta`` and ``Dirichlet`` refuse ``rsample`` when a parameter requires grad
(otherwise there is no gradient to give, and ``rsample`` is ``sample``).

>>> g = ad.distributions.Gamma(2.0, 0.5)
>>> g.mean, g.variance, g.log_prob(1.0)               # α/β, α/β², log(β² x e^(-βx))
(tensor(4.), tensor(8.), tensor(-1.88629436))
"""

from __future__ import annotations

import numpy as np

from .compile.hooks import made
from .distributions import (_KL, Distribution, _as_float_tensor, _broadcast, _checked,
                            _operand, _sample_shape, _values)
from .distributions_checks import (_broadcast_value, _first_index, _in_support,
                                   _in_unit_interval, _positive)
from .distributions_continuous import _float_parameters
from .ops.elementwise import clip, log, where
from .ops.shape import stack
from .ops.special import digamma, lgamma, xlogy
from .tensor import Tensor

__all__ = ["Gamma", "Chi2", "Beta", "Dirichlet"]


def _no_rsample(owner: str, parameters: str) -> NotImplementedError:
    return NotImplementedError(
        f"{owner}.rsample: a reparameterized sample needs the gradient of a gamma draw "
        f"with respect to its shape parameter ({parameters}), which is not implemented "
        "(PyTorch uses implicit reparameterization). Use sample() with the "
        "score-function estimator f(x) * log_prob(x), or a Normal / LogNormal "
        "approximation if you need a pathwise gradient.")


def _constant_rsample(dist, shape_parameters, names, shape, rng, sample_shape) -> Tensor:
    """``dist.sample(...)`` where no shape parameter requires grad (the draw then has
    no gradient to carry); a refusal where one does, rather than a silent zero."""
    if any(param.requires_grad for param in shape_parameters):
        raise _no_rsample(type(dist).__name__, names)
    return dist.sample(shape, rng, sample_shape=sample_shape)


def _standard_gamma(rng, shape, concentration):
    from .nn.module import _generator
    alpha = np.broadcast_to(concentration, shape)
    # size=: without it a 0-d concentration gives a Python float, not an array.
    return _generator(rng).standard_gamma(alpha, size=shape).astype(concentration.dtype)


def _positive_floats(draws):
    """``draws`` with those that underflowed to 0 raised to the smallest normal float of
    their dtype, as PyTorch clamps its gamma draws (a small concentration puts much of
    the mass below it: a 0 would be outside the support, its log_prob +inf)."""
    return np.maximum(draws, np.finfo(draws.dtype).tiny)


def _inside_unit_interval(draws):
    """``draws`` clamped to the floats strictly inside (0, 1), as PyTorch's Beta and
    Dirichlet samples (a 0 or 1 would have an infinite log_prob)."""
    dtype = draws.dtype
    return np.clip(draws, np.finfo(dtype).tiny, np.nextafter(dtype.type(1), dtype.type(0)))


def _lifted_to_tiny(values):
    """What ``_positive_floats`` adds to ``values``: a constant, so that the gradient of
    an rsample is that of the draw (PyTorch clamps its sample outside autograd too)."""
    return _positive_floats(values) - values


def _log_standard_gamma(gen, alpha):
    """log of standard gamma draws of shape ``alpha.shape``, without underflow: for
    α < 1, log G(α + 1) + log(U) / α (G(α + 1) U^(1/α) is a G(α) draw), whose exponent
    would underflow to 0 for a small α."""
    small = alpha < 1
    log_draws = np.log(gen.standard_gamma(np.where(small, alpha + 1, alpha)))
    log_uniform = np.log1p(-gen.random(alpha.shape))          # log of U in (0, 1]
    return np.where(small, log_draws + log_uniform / alpha, log_draws)


class Gamma(Distribution):
    """The gamma distribution with shape ``concentration`` (α) and ``rate`` (β, 1 /
    scale): density ``β^α x^(α-1) e^(-βx) / Γ(α)`` for x > 0.

    ``rate`` is PyTorch's (NumPy's ``gamma`` takes the scale 1 / β).

    >>> g = ad.distributions.Gamma(ad.tensor([1.0, 3.0]), 2.0)
    >>> g.entropy()                                         # Exponential(2) first
    tensor([0.30685282, 1.15443133])
    """

    has_rsample = True

    def __init__(self, concentration, rate):
        owner = type(self).__name__
        params = _float_parameters(owner, concentration=concentration, rate=rate)
        _checked(_positive, params["concentration"].data, owner, "concentration")
        _checked(_positive, params["rate"].data, owner, "rate")
        self.batch_shape, (self.concentration, self.rate) = _broadcast(owner, **params)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        """(α - 1) / β, or 0 where α < 1 (the density is largest at 0 there)."""
        return clip((self.concentration - 1) / self.rate, 0.0, None)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate ** 2

    def _params(self):
        return self.concentration.data, self.rate.data

    @staticmethod
    def _draw(shape, gen, concentration, rate):
        return _positive_floats(_standard_gamma(gen, shape, concentration) / rate)

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``standard_gamma(concentration) / rate``, a differentiable function of ``rate``
        only: refused when ``concentration`` requires grad (see the module)."""
        if self.concentration.requires_grad:
            raise _no_rsample(type(self).__name__, "concentration")
        shape = _sample_shape(shape if sample_shape is None else sample_shape,
                              f"{type(self).__name__}.rsample")
        eps = made(f"{type(self).__name__}.rsample noise", _standard_gamma,
                   (rng, shape + self.batch_shape, self.concentration.data), stateful=True)
        value = Tensor(eps, name="standard_gamma") / self.rate
        return value + Tensor(made("Gamma.rsample clamp", _lifted_to_tiny, (value.data,)))

    def log_prob(self, value) -> Tensor:
        """α log β + (α - 1) log x - β x - lgamma(α), for values ≥ 0 (as in PyTorch, at 0:
        log β where α = 1, -inf where α > 1, +inf where α < 1)."""
        _checked(_in_support, _values(value), self.batch_shape, type(self).__name__,
                 "non-negative")
        value = _operand(value, self.rate)
        alpha, beta = self.concentration, self.rate
        return xlogy(alpha, beta) + xlogy(alpha - 1, value) - beta * value - lgamma(alpha)

    def cdf(self, value) -> Tensor:
        """P(X ≤ value) = P(α, β value), the regularized lower incomplete gamma function,
        as PyTorch's: differentiable in ``value`` and ``rate``; like PyTorch's, not in
        ``concentration`` (its backward raises rather than drop that gradient).

        >>> ad.distributions.Gamma(1.0, 2.0).cdf(0.5)          # 1 - e^(-1)
        tensor(0.63212056)
        """
        from .ops.special_torch import gammainc
        _checked(_in_support, _values(value), self.batch_shape, type(self).__name__,
                 "non-negative", "cdf")
        return gammainc(self.concentration, self.rate * _operand(value, self.rate))

    def entropy(self) -> Tensor:
        """α - log β + lgamma(α) + (1 - α) ψ(α), one value per batch element."""
        alpha = self.concentration
        return alpha - log(self.rate) + lgamma(alpha) + (1 - alpha) * digamma(alpha)


class Chi2(Gamma):
    """The chi-square distribution with ``df`` degrees of freedom: ``Gamma(df / 2, 1/2)``.

    >>> c = ad.distributions.Chi2(ad.tensor([1.0, 4.0]))
    >>> c.mean, c.variance                                   # df, 2 df
    (tensor([1., 4.]), tensor([2., 8.]))
    """

    def __init__(self, df):
        df = _as_float_tensor(df, "Chi2", "df")
        _checked(_positive, df.data, "Chi2", "df")
        self.df = df
        super().__init__(df / 2, Tensor(np.asarray(0.5, df.data.dtype)))

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``sample``, refused when ``df`` requires grad (see the module)."""
        return _constant_rsample(self, (self.df,), "df", shape, rng, sample_shape)


def _lbeta(a: Tensor, b: Tensor) -> Tensor:
    return lgamma(a) + lgamma(b) - lgamma(a + b)


class Beta(Distribution):
    """The beta distribution on [0, 1]: density ``x^(α-1) (1-x)^(β-1) / B(α, β)`` with
    α = ``concentration1`` and β = ``concentration0``, as in PyTorch.

    >>> b = ad.distributions.Beta(2.0, 3.0)
    >>> b.mean, b.log_prob(0.5)                              # 2/5, log(12 / 16)
    (tensor(0.4), tensor(0.40546511))
    """

    def __init__(self, concentration1, concentration0):
        params = _float_parameters("Beta", concentration1=concentration1,
                                   concentration0=concentration0)
        for name, param in params.items():
            _checked(_positive, param.data, "Beta", name)
        self.batch_shape, (self.concentration1, self.concentration0) = _broadcast(
            "Beta", **params)

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        """That of the Dirichlet on (x, 1 - x), as in PyTorch: (α - 1) / (α + β - 2)
        where both exceed 1, the end of a concentration below 1, NaN for Beta(1, 1)."""
        pair = stack([self.concentration1, self.concentration0], axis=-1)
        return _dirichlet_mode(pair)[..., 0]

    @property
    def variance(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        total = a + b
        return a * b / (total ** 2 * (total + 1))

    def _params(self):
        return self.concentration1.data, self.concentration0.data

    @staticmethod
    def _draw(shape, gen, concentration1, concentration0):
        draws = gen.beta(concentration1, concentration0, shape)
        return _inside_unit_interval(draws.astype(concentration1.dtype))

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``sample``, refused when a concentration requires grad (see the module)."""
        return _constant_rsample(self, (self.concentration1, self.concentration0),
                                 "concentration1 and concentration0", shape, rng, sample_shape)

    def log_prob(self, value) -> Tensor:
        """(α - 1) log x + (β - 1) log(1 - x) - log B(α, β), for values in [0, 1]."""
        _checked(_in_unit_interval, _values(value), self.batch_shape, "Beta")
        value = _operand(value, self.concentration1)
        a, b = self.concentration1, self.concentration0
        return xlogy(a - 1, value) + xlogy(b - 1, 1 - value) - _lbeta(a, b)

    def entropy(self) -> Tensor:
        """log B(α, β) - (α - 1) ψ(α) - (β - 1) ψ(β) + (α + β - 2) ψ(α + β)."""
        a, b = self.concentration1, self.concentration0
        return (_lbeta(a, b) - (a - 1) * digamma(a) - (b - 1) * digamma(b)
                + (a + b - 2) * digamma(a + b))


def _simplex_values(value, categories, batch_shape):
    """Raise unless each vector along the last axis is ≥ 0 and adds up to 1."""
    if value.ndim < 1 or value.shape[-1] != categories:
        raise ValueError(f"Dirichlet.log_prob: values must be vectors of length "
                         f"{categories} along the last axis; got shape {value.shape}")
    _broadcast_value("Dirichlet", value[..., 0], batch_shape)
    eps = np.finfo(value.dtype if value.dtype.kind == "f" else np.float64).eps
    bad = ~((value >= 0).all(-1) & (np.abs(value.sum(-1) - 1) <= categories * 8 * eps))
    if bad.any():
        where_ = f" at row {_first_index(bad)}" if bad.ndim else ""
        raise ValueError("Dirichlet.log_prob: each value must be ≥ 0 and add up to 1 along "
                         f"the last axis (a point of the simplex){where_}")
    return True


class Dirichlet(Distribution):
    """The Dirichlet distribution over probability vectors of length K (the last axis
    of ``concentration``, so ``event_shape`` is ``(K,)``).

    >>> d = ad.distributions.Dirichlet(ad.tensor([1.0, 1.0, 1.0]))
    >>> d.event_shape, d.mean, d.log_prob(ad.tensor([0.2, 0.3, 0.5]))   # log 2!
    ((3,), tensor([0.33333333, 0.33333333, 0.33333333]), tensor(0.69314718))
    """

    def __init__(self, concentration):
        concentration = _as_float_tensor(concentration, "Dirichlet", "concentration")
        if concentration.ndim < 1:
            raise ValueError("Dirichlet: concentration needs at least one dimension (the "
                             f"last holds the K categories); got shape {concentration.shape}")
        _checked(_positive, concentration.data, "Dirichlet", "concentration")
        self.concentration = concentration
        self.batch_shape = concentration.shape[:-1]
        self.event_shape = concentration.shape[-1:]

    def _total(self) -> Tensor:
        return self.concentration.sum(-1, keepdims=True)

    @property
    def mode(self) -> Tensor:
        """max(α - 1, 0) normalized; where every α_k < 1, the first corner (e₀), as in
        PyTorch; NaN where every α_k is 1 (all points are modes)."""
        return _dirichlet_mode(self.concentration)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self._total()

    @property
    def variance(self) -> Tensor:
        total = self._total()
        return self.concentration * (total - self.concentration) / (total ** 2 * (total + 1))

    def _params(self):
        return (self.concentration.data,)

    @staticmethod
    def _draw(shape, gen, concentration):
        # NumPy's ``dirichlet`` takes one vector: normalized gamma draws instead, in logs
        # (gamma draws of a small concentration underflow to 0, and all of a row to 0/0).
        alpha = np.broadcast_to(concentration, shape + concentration.shape[-1:])
        log_draws = _log_standard_gamma(gen, alpha.astype(np.float64))
        log_draws -= log_draws.max(-1, keepdims=True)
        draws = np.exp(log_draws)
        return _inside_unit_interval((draws / draws.sum(-1, keepdims=True)).astype(alpha.dtype))

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``sample``, refused when ``concentration`` requires grad (see the module)."""
        return _constant_rsample(self, (self.concentration,), "concentration", shape, rng,
                                 sample_shape)

    def log_prob(self, value) -> Tensor:
        """Σ (α_k - 1) log x_k + lgamma(Σ α_k) - Σ lgamma(α_k), for points x of the simplex."""
        alpha = self.concentration
        _checked(_simplex_values, np.asarray(_values(value)), alpha.shape[-1],
                 self.batch_shape)
        value = _operand(value, self.concentration)
        return (xlogy(alpha - 1, value).sum(-1) + lgamma(alpha.sum(-1))
                - lgamma(alpha).sum(-1))

    def entropy(self) -> Tensor:
        """log B(α) + (α₀ - K) ψ(α₀) - Σ (α_k - 1) ψ(α_k), with α₀ = Σ α_k."""
        alpha = self.concentration
        total = alpha.sum(-1)
        log_beta = lgamma(alpha).sum(-1) - lgamma(total)
        return (log_beta + (total - alpha.shape[-1]) * digamma(total)
                - ((alpha - 1) * digamma(alpha)).sum(-1))


def _dirichlet_mode(concentration: Tensor) -> Tensor:
    above_one = clip(concentration - 1, 0.0, None)
    alpha = concentration.data
    corner = made("Dirichlet mode corner", _first_corner, (alpha,))
    # Where every α_k < 1 the density is unbounded at each corner: PyTorch takes the
    # first.  Where none is above 1 otherwise, PyTorch's 0 / 0 gives NaN.
    below_one = made("Dirichlet mode mask", _everywhere, (np.less, alpha))
    none_above_one = made("Dirichlet mode mask", _everywhere, (np.less_equal, alpha))
    # (divided by 1 where the total is 0, so that no 0 / 0 reaches the gradient)
    mode = above_one / where(none_above_one, 1.0, above_one.sum(-1, keepdims=True))
    return where(below_one, corner, where(none_above_one, np.nan, mode))


def _first_corner(concentration):
    corner = np.zeros_like(concentration)
    corner[..., 0] = 1
    return corner


def _everywhere(compare, concentration):
    """Where ``compare(α_k, 1)`` holds for every k of a vector (kept as an axis)."""
    return compare(concentration, 1).all(-1, keepdims=True)


def _kl_gamma(p: Gamma, q: Gamma) -> Tensor:
    return (q.concentration * log(p.rate / q.rate)
            + lgamma(q.concentration) - lgamma(p.concentration)
            + (p.concentration - q.concentration) * digamma(p.concentration)
            + (q.rate - p.rate) * (p.concentration / p.rate))


def _kl_beta(p: Beta, q: Beta) -> Tensor:
    p_total = p.concentration1 + p.concentration0
    q_total = q.concentration1 + q.concentration0
    return (_lbeta(q.concentration1, q.concentration0)
            - _lbeta(p.concentration1, p.concentration0)
            + (p.concentration1 - q.concentration1) * digamma(p.concentration1)
            + (p.concentration0 - q.concentration0) * digamma(p.concentration0)
            + (q_total - p_total) * digamma(p_total))


def _kl_dirichlet(p: Dirichlet, q: Dirichlet) -> Tensor:
    if p.event_shape != q.event_shape:
        raise ValueError(f"kl_divergence: the two Dirichlets have event_shape "
                         f"{p.event_shape} and {q.event_shape}; they must be the same")
    p_total = p.concentration.sum(-1, keepdims=True)
    q_total = q.concentration.sum(-1)
    return (lgamma(p_total[..., 0]) - lgamma(q_total)
            - (lgamma(p.concentration) - lgamma(q.concentration)).sum(-1)
            + ((p.concentration - q.concentration)
               * (digamma(p.concentration) - digamma(p_total))).sum(-1))


_KL.update({(Gamma, Gamma): _kl_gamma, (Beta, Beta): _kl_beta,
            (Dirichlet, Dirichlet): _kl_dirichlet})
