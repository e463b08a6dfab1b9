"""Probability distributions whose parameters are Tensors, with PyTorch's names and
conventions: ``Normal``, ``Bernoulli``, ``Categorical`` and ``kl_divergence`` here;
``Uniform``, ``Exponential`` (``distributions_more``), ``Laplace``, ``LogNormal``,
``HalfNormal``, ``Cauchy``, ``Gumbel``, ``StudentT`` (``distributions_continuous``),
``Poisson``, ``Geometric``, ``Binomial``, ``OneHotCategorical``
(``distributions_discrete``), ``MultivariateNormal``, ``Independent``
(``distributions_multivariate``), ``Gamma``, ``Chi2``, ``Beta``, ``Dirichlet``
(``distributions_gamma``), ``TransformedDistribution``, ``LogisticNormal``, ``biject_to``,
``transform_to`` (``distributions_transformed``), ``LogitRelaxedBernoulli``,
``RelaxedBernoulli`` (``distributions_relaxed``), ``ExpRelaxedCategorical``,
``RelaxedOneHotCategorical`` (``distributions_relaxed_categorical``), ``Weibull``,
``InverseGamma``, ``Kumaraswamy`` (``distributions_positive``), ``NegativeBinomial``,
``Multinomial``, ``VonMises``, ``LowRankMultivariateNormal``, ``GeneralizedPareto``,
``LKJCholesky`` (modules of their names), ``HalfCauchy``, ``Pareto``
(``distributions_heavy_tailed``), and the
submodules ``constraints`` and ``transforms``, each module loaded on first use.
``kl_divergence`` of two families is in ``distributions_kl_cross``; ``validate_args=``
(every constructor) in ``distributions_validation``.

``sample()`` draws values with no gradient (a constant, like ``torch``'s ``sample``);
``rsample()`` draws them as a differentiable function of the parameters (the
reparameterization trick, ``loc + scale * eps`` for a Normal).  ``log_prob``,
``entropy``, ``mean``, ``mode``, ``variance`` and (where PyTorch has them) ``cdf`` and
``icdf`` are differentiable in the parameters.

Randomness comes from ``rng=`` (an int seed or a ``np.random.Generator``), or else
from the library's generator that ``ad.nn.manual_seed`` reseeds; NumPy's global
random state is never touched.

>>> mu = ad.tensor(0.5, requires_grad=True)
>>> p = ad.distributions.Normal(mu, 2.0)
>>> z = p.rsample(rng=0)                 # mu + 2 * eps: differentiable in mu
>>> p.log_prob(z).backward()             # mu cancels in log_prob(mu + 2 eps)
>>> mu.grad
array(0.)
"""

from __future__ import annotations

import math

import numpy as np

from .graph import no_grad
from .compile.hooks import made
from .distributions_checks import (_binary_values, _category_indices, _category_logits,
                                   _category_weights, _flat_broadcast,
                                   _not_nan, _positive, _real_values,
                                   _unit_probabilities)
from .distributions_subclassing import check_parameters as _check_parameters
from .distributions_surface import DistributionSurface as _DistributionSurface
from .distributions_validation import VALIDATED_METHODS as _VALIDATED_METHODS
from .distributions_validation import set_default as _set_default_validation
from .distributions_validation import validated_method as _validated_method
from .distributions_validation import with_validate_args as _with_validate_args
from .distributions_surface import (_CentredAtLoc, bernoulli_support, categorical_support,
                                    param_shape)
from .ops.elementwise import clip, log, where
from .ops.indexing import getitem
from .ops.shape import broadcast_to, reshape
from .ops.special import erfc
from .tensor import Tensor
from .distributions_params import (  # noqa: F401  (the other distribution modules import them from here)
    _as_float_tensor, _broadcast, _checked, _logits_from_probs, _one_of, _operand,
    _sample_from, _sample_shape, _set_success_probs, _softplus, _standard_normal, _values)

# The others come from ``__getattr__`` (at the end).
__all__ = ["Distribution", "Normal", "Bernoulli", "Categorical", "kl_divergence",  # noqa: F822
           "Uniform", "Exponential", "Laplace", "LogNormal", "HalfNormal", "Cauchy", "Gumbel",
           "StudentT", "Poisson", "Geometric", "Binomial", "OneHotCategorical", "Multinomial",
           "HalfCauchy", "Pareto",
           "MultivariateNormal", "Independent", "Gamma", "Chi2", "Beta", "Dirichlet",
           "TransformedDistribution", "LogisticNormal", "LogitRelaxedBernoulli",
           "RelaxedBernoulli", "ExpRelaxedCategorical", "RelaxedOneHotCategorical",
           "Weibull", "InverseGamma", "Kumaraswamy", "NegativeBinomial", "VonMises",
           "LowRankMultivariateNormal", "GeneralizedPareto", "LKJCholesky",
           "MixtureSameFamily", "ContinuousBernoulli", "FisherSnedecor",
           "OneHotCategoricalStraightThrough", "Wishart", "biject_to", "transform_to",
           "constraints", "transforms"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


class Distribution(_DistributionSurface):
    """Base class: ``batch_shape``, ``event_shape``, ``sample`` / ``rsample``, ``stddev``,
    ``expand`` and ``perplexity`` (``distributions_surface``).

    ``event_shape`` is the shape of one value (``()`` for a number, ``(k,)`` for a
    vector of k), as in PyTorch: ``sample(shape)`` has shape
    ``shape + batch_shape + event_shape``, and ``log_prob`` gives one number per value.
    """

    batch_shape: tuple[int, ...] = ()
    event_shape: tuple[int, ...] = ()
    has_rsample = False
    # Whether parameters and values are checked (``distributions_validation``); an
    # instance made with ``validate_args=`` holds its own.
    _validate_args = True

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        """For a distribution defined outside the library, as PyTorch's:
        ``super().__init__(batch_shape, event_shape, validate_args=...)``.

        >>> class Coin(ad.distributions.Distribution):
        ...     def __init__(self, p):
        ...         self.p = p
        ...         super().__init__((), validate_args=False)
        >>> Coin(0.5).batch_shape, Coin(0.5)._validate_args
        ((), False)
        """
        self.batch_shape = tuple(batch_shape)
        self.event_shape = tuple(event_shape)
        if validate_args is not None:
            self._validate_args = bool(validate_args)
        if self._validate_args:                 # its arg_constraints, as PyTorch's
            _check_parameters(self)

    def __init_subclass__(cls, **kwargs):
        # Every constructor takes ``validate_args=`` and every log_prob / cdf / icdf
        # follows it, as in PyTorch.
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _with_validate_args(cls.__dict__["__init__"])
        for name in _VALIDATED_METHODS:
            if name in cls.__dict__ and callable(cls.__dict__[name]):
                setattr(cls, name, _validated_method(cls.__dict__[name]))

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Check parameters and values (True, the default) or not, for distributions
        made without ``validate_args=``, as PyTorch's.

        >>> ad.distributions.Distribution.set_default_validate_args(False)
        >>> ad.distributions.Normal(0.0, -1.0).scale       # not checked
        tensor(-1.)
        >>> ad.distributions.Distribution.set_default_validate_args(True)
        """
        _set_default_validation(value)
        Distribution._validate_args = bool(value)

    def sample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """Draw ``shape + batch_shape`` values as a constant (no gradient)."""
        shape = _sample_shape(shape if sample_shape is None else sample_shape,
                              f"{type(self).__name__}.sample")
        # Through ``made``: a compiled step draws again, from the parameters of its call.
        drawn = made(f"{type(self).__name__}.sample", _sample_from,
                     (type(self)._draw, rng, shape + self.batch_shape, *self._params()),
                     stateful=True)
        with no_grad():
            return Tensor(drawn)

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """Draw values that are a differentiable function of the parameters."""
        name = type(self).__name__
        if not self.support.is_discrete:            # VonMises, LKJCholesky: as PyTorch's
            raise NotImplementedError(
                f"{name}.rsample: {name} has no reparameterized sample (nor has PyTorch's). "
                "Use sample() with the score-function (REINFORCE) estimator, "
                "f(x) * log_prob(x), if you need a gradient through the draws.")
        raise NotImplementedError(
            f"{name}.rsample: a {name} sample is discrete, so "
            "it is not a differentiable function of the parameters and there is no "
            "reparameterized sample. Use sample() with the score-function (REINFORCE) "
            "estimator, f(x) * log_prob(x), or a continuous relaxation (Gumbel-softmax / "
            "Concrete) if you need a pathwise gradient.")

    @property
    def stddev(self) -> Tensor:
        return self.variance ** 0.5

    @property
    def support(self):
        """The set the values lie in, a constraint of ``ad.distributions.constraints``.

        >>> ad.distributions.Beta(2.0, 3.0).support
        Interval(lower_bound=0.0, upper_bound=1.0)
        """
        from .distributions_supports import support_of
        return support_of(self)

    @property
    def arg_constraints(self) -> dict:
        """The constraints of the parameters, by name (as PyTorch's)."""
        from .distributions_supports import arg_constraints_of
        return arg_constraints_of(self)

    def _params(self) -> tuple:
        """The parameter arrays ``_draw`` reads."""
        raise NotImplementedError

    @staticmethod
    def _draw(shape, gen, *params):
        """``shape`` (sample shape + batch shape) values drawn from ``gen``."""
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(batch_shape={self.batch_shape})"


class Normal(_CentredAtLoc, Distribution):
    """The normal distribution N(loc, scale²) (``scale`` is the standard deviation).

    >>> p = ad.distributions.Normal(ad.tensor([0.0, 1.0]), 2.0)
    >>> p.batch_shape, p.sample((5,), rng=0).shape
    ((2,), (5, 2))
    >>> p.log_prob(ad.tensor([0.0, 1.0]))           # -log(2) - log(2 pi) / 2
    tensor([-1.61208571, -1.61208571])
    """

    has_rsample = True

    def __init__(self, loc, scale):
        if isinstance(loc, (int, float)):
            scale = _as_float_tensor(scale, "Normal", "scale")
            loc = _as_float_tensor(loc, "Normal", "loc", like=scale)
        else:
            loc = _as_float_tensor(loc, "Normal", "loc")
            scale = _as_float_tensor(scale, "Normal", "scale", like=loc)
        _checked(_positive, scale.data, "Normal", "scale (the standard deviation)")
        _checked(_not_nan, loc.data, "Normal", "loc")
        self.batch_shape, (self.loc, self.scale) = _broadcast("Normal", loc=loc, scale=scale)

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale ** 2

    def _params(self):
        return self.loc.data, self.scale.data

    @staticmethod
    def _draw(shape, gen, loc, scale):
        return loc + scale * gen.standard_normal(shape).astype(loc.dtype)

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``loc + scale * eps`` with ``eps ~ N(0, 1)`` a constant: gradients reach both.

        >>> mu = ad.tensor(1.0, requires_grad=True)
        >>> z = ad.distributions.Normal(mu, 0.5).rsample((3,), rng=0)
        >>> z.sum().backward(); mu.grad                 # dz/dmu = 1 for each sample
        array(3.)
        """
        shape = _sample_shape(shape if sample_shape is None else sample_shape,
                              "Normal.rsample")
        eps = made("Normal.rsample noise", _standard_normal,
                   (rng, shape + self.batch_shape, self.loc.data.dtype), stateful=True)
        return self.loc + self.scale * Tensor(eps, name="eps")

    def log_prob(self, value) -> Tensor:
        """log N(value; loc, scale²) = -(value - loc)² / (2 scale²) - log scale - log √(2π)."""
        _checked(_real_values, _values(value))
        value = _operand(value, self.loc)
        z = (value - self.loc) / self.scale
        return -0.5 * z ** 2 - log(self.scale) - _LOG_SQRT_2PI

    def cdf(self, value) -> Tensor:
        """P(X ≤ value) = Φ((value - loc) / scale).

        >>> ad.distributions.Normal(1.0, 2.0).cdf(ad.tensor([1.0, -np.inf]))
        tensor([0.5, 0. ])
        """
        _checked(_real_values, _values(value), "Normal.cdf")
        return _normal_cdf((_operand(value, self.loc) - self.loc) / self.scale)

    def icdf(self, value) -> Tensor:
        """The value with cdf ``value`` (probabilities in [0, 1]): loc + scale Φ⁻¹(value)."""
        _checked(_unit_probabilities, _values(value), "Normal.icdf")
        return self.loc + self.scale * _normal_icdf(_operand(value, self.loc))

    def entropy(self) -> Tensor:
        """½ + log √(2π) + log scale, one value per batch element."""
        return log(self.scale) + (0.5 + _LOG_SQRT_2PI)


class Bernoulli(Distribution):
    """A 0/1 variable that is 1 with probability ``probs`` (or ``sigmoid(logits)``).

    Exactly one of ``probs=`` / ``logits=`` (finite: an infinite logit raises, where
    PyTorch gives NaN log_probs and entropy).  As in PyTorch, ``probs`` are clamped to
    [eps, 1 - eps] when converted to logits (eps of their dtype), so ``log_prob`` of an
    impossible outcome is about -36 (float64) rather than -inf, and so is that of any
    probability below eps.  Samples are floats.

    >>> b = ad.distributions.Bernoulli(probs=ad.tensor([0.2, 0.9]))
    >>> b.log_prob(ad.tensor([1.0, 0.0]))           # log 0.2, log 0.1
    tensor([-1.60943791, -2.30258509])
    """

    has_enumerate_support = True
    enumerate_support, param_shape = bernoulli_support, param_shape

    def __init__(self, probs=None, logits=None):
        _set_success_probs(self, "Bernoulli", probs, logits)
        self.batch_shape = self.probs.shape

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        """1 where probs > ½, 0 where below, NaN at ½ (both are modes), as in PyTorch."""
        return Tensor(made("Bernoulli mode", _bernoulli_mode, (self.probs.data,)))

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def _params(self):
        return (self.probs.data,)

    @staticmethod
    def _draw(shape, gen, probs):
        return (gen.random(shape) < probs).astype(probs.dtype)

    def log_prob(self, value) -> Tensor:
        """value · logits - softplus(logits), i.e. log p for 1 and log(1 - p) for 0,
        written so as not to cancel for large logits of either sign."""
        _checked(_binary_values, _values(value))
        value = _operand(value, self.logits)
        from .nn.losses_binary import logit_cross_entropy
        return -logit_cross_entropy(self.logits, value)

    def entropy(self) -> Tensor:
        """-p log p - (1 - p) log(1 - p) = softplus(logits) - p · logits."""
        return _softplus(self.logits) - self.probs * self.logits


class Categorical(Distribution):
    """One of K categories; the last axis of ``probs`` / ``logits`` holds the K scores.

    Exactly one of ``probs=`` (non-negative; normalized along the last axis, as in
    PyTorch) or ``logits=`` (unnormalized log-probabilities). ``batch_shape`` is the
    shape without the last axis.  Samples are int64 category indices.  As in PyTorch,
    a probability below eps (such as 0) counts as eps in ``logits`` (log_prob about -36);
    a logit of -inf masks its category (log_prob -inf).  ``mean`` and
    ``variance`` are NaN, as in PyTorch (categories are labels, not numbers).

    >>> c = ad.distributions.Categorical(logits=ad.tensor([[0.0, 0.0], [0.0, 1e9]]))
    >>> c.batch_shape, c.sample((3,), rng=0).shape
    ((2,), (3, 2))
    >>> c.log_prob(np.array([0, 1]))
    tensor([-0.69314718,  0.        ])
    """

    def __init__(self, probs=None, logits=None):
        from .nn.functional import log_softmax, softmax
        _one_of("Categorical", probs, logits)
        given = _as_float_tensor(probs if logits is None else logits, "Categorical",
                                 "probs" if logits is None else "logits")
        if given.ndim < 1 or given.shape[-1] < 1:
            raise ValueError(f"Categorical: the last axis holds the categories, so "
                             f"{'probs' if logits is None else 'logits'} needs at least "
                             f"one dimension of size ≥ 1; got shape {given.shape}")
        if logits is None:
            _checked(_category_weights, given.data)
            self.probs = given / given.sum(axis=-1, keepdims=True)
            # As in PyTorch, a probability of 0 becomes log(eps) (about -36), not -inf.
            self.logits = log(clip(self.probs, float(np.finfo(given.data.dtype).eps), None))
        else:
            _checked(_category_logits, given.data)
            self.logits = log_softmax(given, axis=-1)
            self.probs = softmax(given, axis=-1)
        self.batch_shape = given.shape[:-1]
        self.num_categories = given.shape[-1]
        self._probs_given = logits is None

    has_enumerate_support = True
    enumerate_support, param_shape = categorical_support, param_shape

    @property
    def mean(self) -> Tensor:
        return Tensor(np.full(self.batch_shape, np.nan, self.probs.data.dtype))

    @property
    def variance(self) -> Tensor:
        return self.mean

    @property
    def mode(self) -> Tensor:
        """The most probable category (the first of a tie), int64, as in PyTorch."""
        return Tensor(made("Categorical mode", np.argmax, (self.probs.data, -1)))

    def _params(self):
        return (self.probs.data,)

    @staticmethod
    def _draw(shape, gen, probs):
        cdf = np.cumsum(probs, axis=-1)
        u = gen.random(shape + (1,)) * cdf[..., -1:]
        index = (cdf < u).sum(axis=-1)
        return np.minimum(index, probs.shape[-1] - 1).astype(np.int64)

    def log_prob(self, value) -> Tensor:
        """The log-probability of each category index in ``value`` (its batch broadcasts)."""
        # Through ``made``: a compiled step converts and checks each call's values.
        index = made("Categorical indices", _category_indices,
                     (np.asarray(value.data if isinstance(value, Tensor) else value),
                      self.num_categories))
        try:
            shape = np.broadcast_shapes(index.shape, self.batch_shape)
        except ValueError:
            raise ValueError(f"Categorical.log_prob: values of shape {index.shape} do not "
                             f"broadcast with batch_shape {self.batch_shape}") from None
        table = reshape(broadcast_to(self.logits, shape + (self.num_categories,)),
                        (-1, self.num_categories))
        rows = made("arange", np.arange, (table.shape[0],))
        flat = made("Categorical indices", _flat_broadcast, (index, shape))
        return reshape(getitem(table, (rows, flat)), shape)

    def entropy(self) -> Tensor:
        """-Σ_k p_k log p_k along the categories (0 · log 0 counts as 0)."""
        return -(self.probs * _finite(self.logits)).sum(axis=-1)


def _normal_cdf(z):
    """Φ(z) = ½ erfc(-z / √2), accurate far in the lower tail too."""
    return 0.5 * erfc(-z / math.sqrt(2))


def _normal_icdf(p):
    """Φ⁻¹(p) by ndtri: √2 erfinv(2p - 1) loses the lower tail in 2p - 1 (float64: -inf
    below p ≈ 1e-17 and 4e-7 off at 1e-12; float32: -inf at 1e-8)."""
    from .ops.special_torch import ndtri
    return ndtri(p)


def _bernoulli_mode(probs):
    return np.where(probs == 0.5, np.nan, probs > 0.5).astype(probs.dtype)


def _finite(log_p: Tensor) -> Tensor:
    # log-probabilities of -inf (masked categories) become the most negative float, so
    # that p · log p = 0 · (-1.8e308) = 0 instead of NaN, with a zero (not NaN) gradient.
    return clip(log_p, float(np.finfo(log_p.data.dtype).min), None)


def _kl_normal(p: Normal, q: Normal) -> Tensor:
    ratio = p.scale / q.scale
    return ((p.loc - q.loc) / q.scale) ** 2 * 0.5 + 0.5 * (ratio ** 2 - 1) - log(ratio)


def _never(probs: Tensor, logits: Tensor, probs_given: bool) -> np.ndarray:
    """Where an event has probability exactly 0: a probability of 0 given as such (its
    logit was clamped to log(eps)), or a logit of -inf.  Not a finite logit whose
    probability rounds to 0, which is merely tiny."""
    return (probs.data == 0) & ((logits.data == -np.inf) | probs_given)


def _kl_terms(p_probs, terms, q_never):
    """``terms`` (p·(log p − log q) per event) with an event p can take and q never
    takes at +inf, and an event p never takes at 0 (as PyTorch's KL sets them)."""
    terms = where(q_never & (p_probs.data > 0), np.inf, terms)
    return where(p_probs.data == 0, 0.0, terms)


def _kl_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    # log p = -softplus(-l) and log(1 - p) = -softplus(l) for logits l.
    ones = p.probs * (_softplus(-q.logits) - _softplus(-p.logits))
    zeros = (1 - p.probs) * (_softplus(q.logits) - _softplus(p.logits))
    given = q._probs_given
    return (_kl_terms(p.probs, ones, _never(q.probs, q.logits, given))
            + _kl_terms(1 - p.probs, zeros, _never(1 - q.probs, -q.logits, given)))


def _kl_categorical(p: Categorical, q: Categorical) -> Tensor:
    if p.num_categories != q.num_categories:
        raise ValueError(f"kl_divergence: the two Categoricals have {p.num_categories} and "
                         f"{q.num_categories} categories; they must have the same number")
    terms = p.probs * (_finite(p.logits) - _finite(q.logits))
    return _kl_terms(p.probs, terms, _never(q.probs, q.logits, q._probs_given)).sum(axis=-1)


_KL = {(Normal, Normal): _kl_normal, (Bernoulli, Bernoulli): _kl_bernoulli,
       (Categorical, Categorical): _kl_categorical}


def _kl_rule(p_type, q_type):
    """The closed form registered for the nearest pair of classes of p and q, if any."""
    for p_base in p_type.__mro__:
        for q_base in q_type.__mro__:
            if (p_base, q_base) in _KL:
                return _KL[p_base, q_base]
    return None


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p ‖ q) = E_p[log p(x) - log q(x)] in closed form, one value per batch element,
    for the pairs PyTorch has (of one family, or of two: ``distributions_kl_cross``).

    It is +inf where q gives probability exactly 0 (a probability of 0 given as
    ``probs=``, or a logit of -inf) to an event p can take.  Unlike PyTorch, a finite
    logit whose probability rounds to 0 or 1 (``Bernoulli(logits=50.0)``) is not
    treated as certain: the result stays finite, where PyTorch gives inf.

    >>> N = ad.distributions.Normal
    >>> kl_divergence(N(0.0, 1.0), N(1.0, 1.0))      # (mu_p - mu_q)^2 / 2
    tensor(0.5)
    """
    rule = _kl_rule(type(p), type(q))
    if rule is None:
        _load_all()                              # the pairs of families of two modules
        rule = _kl_rule(type(p), type(q))
    if rule is not None:
        return rule(p, q)
    pairs = ", ".join(f"({a.__name__}, {b.__name__})" for a, b in _KL)
    raise NotImplementedError(f"kl_divergence: no closed form for ({type(p).__name__}, "
                              f"{type(q).__name__}); implemented pairs: {pairs}. Estimate it "
                              "by sampling instead: mean of p.log_prob(x) - q.log_prob(x) "
                              "for x = p.sample(...)")


# Distributions defined in the modules that build on the helpers here (and register
# their pairs in ``_KL``), each imported on first use, to keep ``import autodiff`` light.
_ELSEWHERE = {
    "distributions_more": ("Uniform", "Exponential"),
    "distributions_continuous": ("Laplace", "LogNormal", "HalfNormal", "Cauchy", "Gumbel",
                                 "StudentT"),
    "distributions_discrete": ("Poisson", "Geometric", "Binomial", "OneHotCategorical",
                               "OneHotCategoricalStraightThrough"),
    "distributions_multivariate": ("MultivariateNormal", "Independent"),
    "distributions_gamma": ("Gamma", "Chi2", "Beta", "Dirichlet"),
    "distributions_transformed": ("TransformedDistribution", "LogisticNormal", "biject_to",
                                  "transform_to"),
    "distributions_relaxed": ("LogitRelaxedBernoulli", "RelaxedBernoulli"),
    "distributions_relaxed_categorical": ("ExpRelaxedCategorical",
                                          "RelaxedOneHotCategorical"),
    "distributions_positive": ("Weibull", "InverseGamma", "Kumaraswamy"),
    "distributions_negative_binomial": ("NegativeBinomial",),
    "distributions_multinomial": ("Multinomial",),
    "distributions_heavy_tailed": ("HalfCauchy", "Pareto"),
    "distributions_von_mises": ("VonMises",),
    "distributions_low_rank": ("LowRankMultivariateNormal",),
    "distributions_generalized_pareto": ("GeneralizedPareto",),
    "distributions_lkj": ("LKJCholesky",),
    "distributions_mixture": ("MixtureSameFamily",),
    "distributions_continuous_bernoulli": ("ContinuousBernoulli",),
    "distributions_fisher_snedecor": ("FisherSnedecor",),
    "distributions_wishart": ("Wishart",),
    "distributions_kl_cross": (),             # kl_divergence of pairs of families
}
_HOME = {name: module for module, names in _ELSEWHERE.items() for name in names}


def _load_all() -> None:
    """Import every module of distributions, so that ``_KL`` holds all the pairs."""
    import importlib
    for module in _ELSEWHERE:
        importlib.import_module(f"{__package__}.{module}")


# What PyTorch's ``torch.distributions`` has that is not here, and what to use instead.
_NOT_HERE = {
    "ExponentialFamily": "subclass Distribution and write log_prob and entropy directly "
                         "(an entropy from the log-normalizer is not implemented)",
}


def __getattr__(name):
    if name in _HOME:
        import importlib
        return getattr(importlib.import_module(f"{__package__}.{_HOME[name]}"), name)
    # the transforms and register_kl, re-exported as in ``torch.distributions``
    for module in _reexporting():
        if name in module.__all__:
            return getattr(module, name)
    if name in _NOT_HERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}: PyTorch's "
                             f"{name} is not implemented here; {_NOT_HERE[name]}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_HOME)
                  | {name for module in _reexporting() for name in module.__all__})


def _reexporting():
    """The submodules whose names are this module's too (once they are imported)."""
    return [globals()[key] for key in ("transforms", "kl") if key in globals()]


# ``ad.distributions.constraints``, ``.transforms`` and ``.kl`` are modules of
# their own; listed in ``sys.modules`` under those names too, so that
# ``from autodiff.distributions.transforms import ExpTransform`` works as in PyTorch.
def _submodules():
    import sys
    from . import (distributions_constraints, distributions_kl, distributions_transforms,
                   distributions_utils)
    for name, module in (("constraints", distributions_constraints),
                         ("transforms", distributions_transforms),
                         ("kl", distributions_kl), ("utils", distributions_utils)):
        globals()[name] = module
        sys.modules.setdefault(f"{__name__}.{name}", module)


_submodules()
