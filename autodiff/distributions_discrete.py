"""Counting distributions and one-hot categories: ``Poisson``, ``Geometric``,
``Binomial`` and ``OneHotCategorical``, with PyTorch's names, parameters and
conventions; re-exported by ``autodiff.distributions``, whose ``kl_divergence``
knows their same-family pairs.

Their values are whole numbers (floats, as in PyTorch), so none has ``rsample``:
``sample`` draws with NumPy's generator, and gradients reach the parameters through
``log_prob`` (the score-function estimator) and ``entropy``.

>>> ad.distributions.Poisson(2.0).log_prob(3.0)      # log(2³ e⁻² / 3!)
tensor(-1.71231793)
"""

from __future__ import annotations

import numpy as np

from .compile.hooks import made
from .distributions import (_KL, Categorical, Distribution, _as_float_tensor, _broadcast,
                            _checked, _kl_bernoulli, _kl_categorical, _operand,
                            _set_success_probs, _softplus, _values)
from .distributions_checks import _broadcast_value, _first_bad
from .distributions_surface import enumerated, made_support, whole_count
from .ops.elementwise import exp, floor, log, log1p, minimum, where
from .ops.special import lgamma, xlogy
from .tensor import Tensor

__all__ = ["Poisson", "Geometric", "Binomial", "OneHotCategorical",
           "OneHotCategoricalStraightThrough"]


def _counts(value, batch_shape, owner, most=None):
    """Raise unless every value is a whole number ≥ 0 (and ≤ ``most`` if given) that
    broadcasts with the batch, as PyTorch's ``validate_args`` does."""
    _broadcast_value(owner, value, batch_shape)
    bad = ~(_whole(value) & (value >= 0))
    wanted = "whole numbers ≥ 0"
    if most is not None:
        shape = np.broadcast_shapes(np.shape(value), np.shape(most))
        value = np.broadcast_to(value, shape)
        bad = np.broadcast_to(bad, shape) | ~(value <= most)
        wanted = "whole numbers in [0, total_count]"
    if bad.any():
        raise ValueError(f"{owner}.log_prob: values must be {wanted} (the support); got "
                         f"{_first_bad(value, bad)}")
    return True


def _non_negative_rate(data):
    bad = ~(data >= 0)
    if bad.any():
        raise ValueError(f"Poisson: rate (the mean) must be ≥ 0; got {_first_bad(data, bad)}")
    return True


def _success_probs(data, owner):
    bad = ~((data > 0) & (data <= 1))
    if bad.any():
        raise ValueError(f"{owner}: probs (the success probability) must lie in (0, 1]; "
                         f"got {_first_bad(data, bad)}")
    return True


def _whole(data):
    """Where ``data`` holds whole numbers: finite (inf equals its rounding, but is no
    count), and equal to its rounding."""
    return np.isfinite(data) & (data == np.round(data))


def _whole_counts(data):
    bad = ~(_whole(data) & (data >= 0))
    if bad.any():
        raise ValueError(f"Binomial: total_count must be whole numbers ≥ 0; got "
                         f"{_first_bad(data, bad)}")
    return True


def _count_array(count, dtype):
    """``total_count`` as an array of ``dtype``, checked to hold whole numbers ≥ 0."""
    count = np.asarray(count)
    _whole_counts(count)
    return count.astype(dtype)


def _no_entropy(owner):
    return NotImplementedError(
        f"{owner}.entropy: there is no closed form (PyTorch has none either); estimate it "
        "by sampling: -log_prob(x).mean(0) for x = sample((n,))")


class Poisson(Distribution):
    """The number of events at ``rate`` per unit: ``rate**k exp(-rate) / k!``.

    >>> p = ad.distributions.Poisson(ad.tensor([1.0, 4.0]))
    >>> p.mean, p.sample((3,), rng=0).shape
    (tensor([1., 4.]), (3, 2))
    """

    def __init__(self, rate):
        self.rate = _as_float_tensor(rate, "Poisson", "rate")
        _checked(_non_negative_rate, self.rate.data)
        self.batch_shape = self.rate.shape

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        """floor(rate) (where rate is whole, rate - 1 is a mode too), as in PyTorch."""
        return floor(self.rate)

    @property
    def variance(self) -> Tensor:
        return self.rate

    def _params(self):
        return (self.rate.data,)

    @staticmethod
    def _draw(shape, gen, rate):
        return gen.poisson(rate, shape).astype(rate.dtype)

    def log_prob(self, value) -> Tensor:
        """k log(rate) - rate - log k! for whole numbers k ≥ 0 (0 log 0 counts as 0)."""
        _checked(_counts, _values(value), self.batch_shape, "Poisson")
        value = _operand(value, self.rate)
        return xlogy(value, self.rate) - self.rate - lgamma(value + 1)

    def entropy(self) -> Tensor:
        raise _no_entropy("Poisson")


class Geometric(Distribution):
    """The number of failures before the first success, in trials that succeed with
    probability ``probs`` in (0, 1] (or ``sigmoid(logits)``): ``(1 - p)**k p``.

    As in PyTorch, the count starts at 0 (NumPy's ``geometric`` counts the trials, from
    1), and ``log_prob(0)`` is 0 where ``probs`` is 1.

    >>> g = ad.distributions.Geometric(probs=0.25)
    >>> g.mean, g.variance                                # (1 - p) / p, (1 - p) / p²
    (tensor(3.), tensor(12.))
    """

    def __init__(self, probs=None, logits=None):
        _set_success_probs(self, "Geometric", probs, logits, check=_success_probs)
        if probs is not None:
            # Where a success is certain (p = 1), log(1 - p) = -inf: the k log(1 - p)
            # terms below take 0 there (and log_prob -inf for k > 0), with no NaN
            # gradient, from a log(1 - p) computed at a harmless p = 0 instead.
            self._certain = made("Geometric certain", np.equal, (self.probs.data, 1.0))
            self._log_p = log(self.probs)
            self._log_fail = log1p(-where(self._certain, 0.0, self.probs))
        else:
            self._certain = None                   # finite logits: never certain
            self._log_p, self._log_fail = -_softplus(-self.logits), -_softplus(self.logits)
        self.batch_shape = self.probs.shape

    @property
    def mean(self) -> Tensor:
        return 1 / self.probs - 1

    @property
    def mode(self) -> Tensor:
        return Tensor(np.zeros(self.batch_shape, self.probs.data.dtype))

    @property
    def variance(self) -> Tensor:
        return (1 / self.probs - 1) / self.probs

    def _params(self):
        return (self.probs.data,)

    @staticmethod
    def _draw(shape, gen, probs):
        return (gen.geometric(probs, size=shape) - 1).astype(probs.dtype)

    def log_prob(self, value) -> Tensor:
        """k log(1 - p) + log p for whole numbers k ≥ 0."""
        _checked(_counts, _values(value), self.batch_shape, "Geometric")
        value = _operand(value, self.probs)
        log_p = value * self._log_fail + self._log_p
        if self._certain is None:
            return log_p
        impossible = made("Geometric impossible", _failures_when_certain,
                          (self._certain, _values(value)))
        return where(impossible, -np.inf, log_p)

    def entropy(self) -> Tensor:
        """-((1 - p) log(1 - p) + p log p) / p, one value per batch element."""
        return -((1 - self.probs) * self._log_fail + self.probs * self._log_p) / self.probs


def _failures_when_certain(certain, value):
    return certain & (value > 0)


class Binomial(Distribution):
    """The number of successes in ``total_count`` trials that each succeed with
    probability ``probs`` (or ``sigmoid(logits)``).

    ``total_count`` holds whole numbers ≥ 0; a float Tensor of them gets the gradient
    of the smooth formula in it (as in PyTorch), other counts are constants.  As for
    Bernoulli, ``probs`` are clamped to [eps, 1 - eps] when converted to logits, as in
    PyTorch.

    >>> b = ad.distributions.Binomial(10, probs=ad.tensor([0.5, 0.2]))
    >>> b.mean, b.log_prob(5.0)                            # n p; log(C(10, 5) p⁵ (1 - p)⁵)
    (tensor([5., 2.]), tensor([-1.40204272, -3.63347823]))
    """

    def __init__(self, total_count=1, probs=None, logits=None):
        _set_success_probs(self, "Binomial", probs, logits)
        if isinstance(total_count, Tensor) and total_count.data.dtype.kind == "f":
            # Kept as it is, so that a gradient reaches it (log_prob is smooth in it), as
            # in PyTorch; its values are checked at each call.
            _checked(_whole_counts, total_count.data)
            count = total_count
        else:
            count = total_count.data if isinstance(total_count, Tensor) else total_count
            if np.asarray(count).dtype.kind not in "fiub":
                raise TypeError(f"Binomial: total_count must be numbers, got dtype "
                                f"{np.asarray(count).dtype}")
            # Through ``made``: a compiled step reads and checks each call's counts.
            count = Tensor(made("Binomial total_count", _count_array,
                                (count, self.probs.data.dtype)))
        self.batch_shape, (self.total_count, self.probs, self.logits) = _broadcast(
            "Binomial", total_count=count, probs=self.probs, logits=self.logits)

    has_enumerate_support = True

    @property
    def param_shape(self) -> tuple:
        """The shape of ``probs`` (and of ``logits``)."""
        return self.probs.shape

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """0 … total_count along a new first axis; the count must be the same over
        the batch (as in PyTorch)."""
        count = made("Binomial count", whole_count, (self.total_count.data,))
        values = made_support("range", count + 1, self.probs.data.dtype)
        return enumerated(values, self.batch_shape, (), expand)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        """floor((n + 1) p), at most n, as in PyTorch."""
        return minimum(floor((self.total_count + 1) * self.probs), self.total_count)

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def _params(self):
        return self.total_count.data, self.probs.data

    @staticmethod
    def _draw(shape, gen, total_count, probs):
        return gen.binomial(total_count.astype(np.int64), probs, shape).astype(probs.dtype)

    def log_prob(self, value) -> Tensor:
        """log C(n, k) + k · logits - n · softplus(logits), written so as not to cancel."""
        n = self.total_count
        _checked(_counts, _values(value), self.batch_shape, "Binomial", n.data)
        value = _operand(value, self.probs)
        return (lgamma(n + 1) - lgamma(value + 1) - lgamma(n - value + 1)
                + value * self.logits - n * _softplus(self.logits))

    def entropy(self) -> Tensor:
        """-Σ_k P(k) log P(k) over the support k = 0 … total_count (as PyTorch, by
        enumerating it: the cost grows with the largest total_count)."""
        n = self.total_count
        k, possible = made("Binomial support", _support, (n.data,))
        log_p = (lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)
                 + k * self.logits - n * _softplus(self.logits))
        return -where(possible, exp(log_p) * log_p, 0.0).sum(axis=0)


def _support(total_count):
    """Every count 0 … max(total_count) along a new first axis, clipped to each
    element's own total_count, and where it is in that element's support."""
    k = np.arange(total_count.max(initial=0) + 1, dtype=total_count.dtype)
    k = k.reshape((-1,) + (1,) * total_count.ndim)
    return np.minimum(k, total_count), k <= total_count


def _one_hot(index, categories, dtype):
    return np.eye(categories, dtype=dtype)[index]


def _one_hot_rows(value, categories, batch_shape):
    """The category of each one-hot row of ``value``; raise unless each row along the
    last axis holds a single 1 and otherwise 0."""
    if value.ndim < 1 or value.shape[-1] != categories:
        raise ValueError(f"OneHotCategorical.log_prob: values must be one-hot vectors of "
                         f"length {categories} along the last axis; got shape {value.shape}")
    _broadcast_value("OneHotCategorical", value[..., 0], batch_shape)
    bad = ~(((value == 0) | (value == 1)).all(-1) & (value.sum(-1) == 1))
    if bad.any():
        where_ = f" at row {tuple(int(i) for i in np.argwhere(bad)[0])}" if bad.ndim else ""
        raise ValueError(f"OneHotCategorical.log_prob: each row must hold a single 1 and "
                         f"otherwise 0{where_} (use Categorical for category indices)")
    return value.argmax(-1)


class OneHotCategorical(Distribution):
    """A Categorical whose values are one-hot vectors of length K (``event_shape`` is
    ``(K,)``), as in PyTorch; ``probs=`` / ``logits=`` as for ``Categorical``.

    >>> oh = ad.distributions.OneHotCategorical(probs=ad.tensor([0.2, 0.8]))
    >>> oh.sample((3,), rng=0)
    tensor([[0., 1.],
            [0., 1.],
            [1., 0.]])
    >>> oh.log_prob(ad.tensor([1.0, 0.0]))                 # log 0.2
    tensor(-1.60943791)
    """

    def __init__(self, probs=None, logits=None):
        self._categorical = Categorical(probs=probs, logits=logits)
        self.probs, self.logits = self._categorical.probs, self._categorical.logits
        self.batch_shape = self._categorical.batch_shape
        self.event_shape = (self._categorical.num_categories,)

    has_enumerate_support = True

    @property
    def param_shape(self) -> tuple:
        """The shape of ``probs`` (and of ``logits``): batch_shape + (K,)."""
        return self.probs.shape

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The K one-hot rows along a new first axis."""
        size = self.event_shape[0]
        values = made_support("one-hot", size, self.probs.data.dtype)
        return enumerated(values, self.batch_shape, self.event_shape, expand)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        """The one-hot row of the most probable category."""
        return Tensor(made("OneHotCategorical one-hot", _one_hot,
                           (self._categorical.mode.data, self.event_shape[0],
                            self.probs.data.dtype)))

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``shape + batch_shape + (K,)`` one-hot rows, a constant (no gradient)."""
        index = self._categorical.sample(shape, rng, sample_shape=sample_shape)
        return Tensor(made("OneHotCategorical one-hot", _one_hot,
                           (index.data, self.event_shape[0], self.probs.data.dtype)))

    def log_prob(self, value) -> Tensor:
        """The log-probability of the category each one-hot row marks (as PyTorch, which
        reads the row's position of 1: no gradient in ``value``)."""
        index = made("OneHotCategorical indices", _one_hot_rows,
                     (np.asarray(_values(value)), self.event_shape[0], self.batch_shape))
        return self._categorical.log_prob(index)

    def entropy(self) -> Tensor:
        """The Categorical's entropy, one value per batch element."""
        return self._categorical.entropy()


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """A ``OneHotCategorical`` whose ``rsample`` is the one-hot draw plus
    ``probs - probs.detach()``: the draw as value, the gradient of ``probs`` (the
    straight-through estimator of Bengio et al., 2013), as PyTorch's.

    >>> probs = ad.tensor([0.2, 0.8], requires_grad=True)
    >>> d = ad.distributions.OneHotCategoricalStraightThrough(probs=probs)
    >>> (d.rsample(rng=0) * ad.tensor([1.0, 2.0])).sum().backward()
    >>> probs.grad                    # w - w·p: through the normalization probs / sum
    array([-0.8,  0.2])
    """

    has_rsample = True

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        draws = self.sample(shape, rng, sample_shape=sample_shape)
        return draws + (self.probs - self.probs.detach())


def _kl_poisson(p: Poisson, q: Poisson) -> Tensor:
    # p log(p / q) - (p - q); +inf where q's rate is 0 and p's is not.
    return xlogy(p.rate, p.rate) - xlogy(p.rate, q.rate) - (p.rate - q.rate)


def _kl_geometric(p: Geometric, q: Geometric) -> Tensor:
    # -H(p) - E_p[k] log(1 - q) - log q.
    kl = -p.entropy() - (p.mean * q._log_fail + q._log_p)
    if q._certain is None:                        # q from finite logits: never certain
        return kl
    mass_lost = made("Geometric KL support", _loses_mass, (p.probs.data, q._certain))
    return where(mass_lost, np.inf, kl)


def _loses_mass(p_probs, q_certain):
    """Where q can only give 0 (probs = 1) and p can give more."""
    return q_certain & (p_probs < 1)


def _more_counts(p_counts, q_counts):
    """Where p's total_count exceeds q's (p gives mass to counts q never takes); raise
    where it is below, as PyTorch does."""
    if (p_counts < q_counts).any():
        raise NotImplementedError(
            "kl_divergence: a Binomial p with a smaller total_count than q's "
            f"({p_counts} and {q_counts}) is not implemented (as in PyTorch); it has a "
            "closed form when they are the same, and is +inf when p's is larger")
    return p_counts > q_counts


def _kl_binomial(p: Binomial, q: Binomial) -> Tensor:
    kl = p.total_count * _kl_bernoulli(p, q)
    beyond_q = made("Binomial KL support", _more_counts,
                    (p.total_count.data, q.total_count.data))
    return where(beyond_q, np.inf, kl)


def _kl_one_hot(p: OneHotCategorical, q: OneHotCategorical) -> Tensor:
    return _kl_categorical(p._categorical, q._categorical)


_KL.update({(Poisson, Poisson): _kl_poisson, (Geometric, Geometric): _kl_geometric,
            (Binomial, Binomial): _kl_binomial,
            (OneHotCategorical, OneHotCategorical): _kl_one_hot})
