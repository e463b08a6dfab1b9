"""``Uniform`` and ``Exponential``, with PyTorch's names and conventions; re-exported by
``autodiff.distributions``, whose ``kl_divergence`` knows their pairs.

>>> U = ad.distributions.Uniform(0.0, 4.0)
>>> U.log_prob(1.0), U.entropy()                     # -log 4, log 4
(tensor(-1.38629436), tensor(1.38629436))
"""

from __future__ import annotations

import numpy as np

from .compile.hooks import made
from .distributions import (_KL, Distribution, _as_float_tensor, _broadcast, _checked,
                            _operand, _sample_shape, _values)
from .distributions_checks import (_broadcast_value, _first_bad, _first_index, _in_support,
                                   _positive, _unit_probabilities)
from .ops.elementwise import clip, expm1, log, log1p, where
from .distributions_validation import validating
from .tensor import Tensor

__all__ = ["Uniform", "Exponential"]


def _ordered_bounds(low, high):
    bad = ~(low < high)                          # NaN counts as bad
    if bad.any():
        where_ = "" if not bad.ndim else \
            f" at index {_first_index(bad)}"
        raise ValueError(f"Uniform: low must be < high; got low = {low[bad].flat[0]}, "
                         f"high = {high[bad].flat[0]}{where_}")
    return True


def _log_inside(value, low, high, validate=True):
    """0 where ``low <= value < high``, -inf at ``high`` (PyTorch's density is 0 there),
    in the parameters' dtype; a value outside [low, high] raises, as PyTorch's
    ``validate_args`` does (-inf without it)."""
    shape = _broadcast_value("Uniform", value, low.shape)
    value, low, high = (np.broadcast_to(a, shape) for a in (value, low, high))
    bad = ~((low <= value) & (value <= high))
    if validate and bad.any():
        index = _first_index(bad)
        raise ValueError(f"Uniform.log_prob: values must lie in [low, high]; got "
                         f"{value[index]} for [{low[index]}, {high[index]}]"
                         f"{f' at index {index}' if index else ''}")
    return np.where((low <= value) & (value < high), 0.0, -np.inf).astype(low.dtype)


def _nonnegative_values(value, batch_shape):
    _broadcast_value("Exponential", value, batch_shape)
    bad = ~(value >= 0)
    if bad.any():
        raise ValueError(f"Exponential.log_prob: values must be ≥ 0 (the support); got "
                         f"{_first_bad(value, bad)}")
    return True


def _unit_interval(rng, shape, dtype):
    from .nn.module import _generator
    gen = _generator(rng)
    u = gen.random(shape, dtype=np.float32 if dtype == np.float32 else np.float64)
    # [0, 1) in the parameters' dtype, also where rounding to it would give 1.
    return np.minimum(u.astype(dtype), np.nextafter(dtype.type(1), dtype.type(0)))


def _standard_exponential(rng, shape, dtype):
    from .nn.module import _generator
    return _generator(rng).standard_exponential(shape).astype(dtype)


class Uniform(Distribution):
    """The uniform distribution on [low, high) (``sample`` never gives ``high``).

    As in PyTorch, ``log_prob`` is ``-log(high - low)`` for ``low <= value < high``,
    -inf at ``value == high``, and raises for a value outside [low, high].

    >>> low = ad.tensor([0.0, 1.0], requires_grad=True)
    >>> u = ad.distributions.Uniform(low, 3.0)
    >>> u.rsample((4,), rng=0).shape, u.mean
    ((4, 2), tensor([1.5, 2. ], requires_grad=True))
    >>> u.log_prob(ad.tensor([0.5, 1.0]))            # -log 3, -log 2
    tensor([-1.09861229, -0.69314718], requires_grad=True)
    """

    has_rsample = True

    def __init__(self, low, high):
        if isinstance(low, (int, float)):
            high = _as_float_tensor(high, "Uniform", "high")
            low = _as_float_tensor(low, "Uniform", "low", like=high)
        else:
            low = _as_float_tensor(low, "Uniform", "low")
            high = _as_float_tensor(high, "Uniform", "high", like=low)
        self.batch_shape, (self.low, self.high) = _broadcast("Uniform", low=low, high=high)
        _checked(_ordered_bounds, self.low.data, self.high.data)

    @property
    def mean(self) -> Tensor:
        return (self.high + self.low) / 2

    @property
    def mode(self) -> Tensor:
        """NaN: every value of [low, high) is a mode (as in PyTorch)."""
        return Tensor(np.full(self.batch_shape, np.nan, self.low.data.dtype))

    @property
    def stddev(self) -> Tensor:
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low) ** 2 / 12

    def _params(self):
        return self.low.data, self.high.data

    @staticmethod
    def _draw(shape, gen, low, high):
        return low + _unit_interval(gen, shape, low.dtype) * (high - low)

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``low + u * (high - low)`` with ``u ~ U[0, 1)`` a constant: gradients reach both.

        >>> low = ad.tensor(1.0, requires_grad=True)
        >>> ad.distributions.Uniform(low, 2.0).rsample((3,), rng=0).sum().backward()
        >>> low.grad                                      # sum of 1 - u
        array(2.05227807)
        """
        shape = _sample_shape(shape if sample_shape is None else sample_shape,
                              "Uniform.rsample")
        u = made("Uniform.rsample noise", _unit_interval,
                 (rng, shape + self.batch_shape, self.low.data.dtype), stateful=True)
        return self.low + Tensor(u, name="u") * (self.high - self.low)

    def log_prob(self, value) -> Tensor:
        """``-log(high - low)`` inside [low, high), -inf at ``high``; no gradient in ``value``."""
        log_inside = made("Uniform support", _log_inside,
                          (_values(value), self.low.data, self.high.data, validating()),
                          stateful=True)
        return Tensor(log_inside) - log(self.high - self.low)

    def cdf(self, value) -> Tensor:
        """P(X ≤ value) = (value - low) / (high - low), clipped to [0, 1]."""
        return clip((_operand(value, self.low) - self.low) / (self.high - self.low), 0.0, 1.0)

    def icdf(self, value) -> Tensor:
        """low + value · (high - low) for probabilities ``value`` in [0, 1]."""
        _checked(_unit_probabilities, _values(value), "Uniform.icdf")
        return self.low + _operand(value, self.low) * (self.high - self.low)

    def entropy(self) -> Tensor:
        """log(high - low), one value per batch element."""
        return log(self.high - self.low)


class Exponential(Distribution):
    """The exponential distribution with density ``rate * exp(-rate * x)`` for x ≥ 0.

    ``rate`` is 1 / mean, as in PyTorch (NumPy's ``exponential`` takes the mean).
    ``log_prob`` of a negative value raises, as PyTorch's ``validate_args`` does.

    >>> e = ad.distributions.Exponential(ad.tensor([0.5, 2.0]))
    >>> e.mean, e.sample((3,), rng=0).shape
    (tensor([2. , 0.5]), (3, 2))
    >>> e.log_prob(1.0)                               # log(rate) - rate
    tensor([-1.19314718, -1.30685282])
    """

    has_rsample = True

    def __init__(self, rate):
        rate = _as_float_tensor(rate, "Exponential", "rate")
        _checked(_positive, rate.data, "Exponential", "rate (1 / mean)")
        self.rate = rate
        self.batch_shape = rate.shape

    @property
    def mean(self) -> Tensor:
        return 1 / self.rate

    @property
    def mode(self) -> Tensor:
        return Tensor(np.zeros(self.batch_shape, self.rate.data.dtype))

    @property
    def stddev(self) -> Tensor:
        return 1 / self.rate

    @property
    def variance(self) -> Tensor:
        return self.rate ** -2

    def _params(self):
        return (self.rate.data,)

    @staticmethod
    def _draw(shape, gen, rate):
        return gen.standard_exponential(shape).astype(rate.dtype) / rate

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``eps / rate`` with ``eps ~ Exponential(1)`` a constant: differentiable in rate.

        >>> rate = ad.tensor(2.0, requires_grad=True)
        >>> z = ad.distributions.Exponential(rate).rsample(rng=0)
        >>> z.backward(); bool(np.isclose(rate.grad, -z.item() / 2))   # -eps / rate²
        True
        """
        shape = _sample_shape(shape if sample_shape is None else sample_shape,
                              "Exponential.rsample")
        eps = made("Exponential.rsample noise", _standard_exponential,
                   (rng, shape + self.batch_shape, self.rate.data.dtype), stateful=True)
        return Tensor(eps, name="eps") / self.rate

    def log_prob(self, value) -> Tensor:
        """log(rate) - rate · value, for values ≥ 0."""
        _checked(_nonnegative_values, _values(value), self.batch_shape)
        value = _operand(value, self.rate)
        return log(self.rate) - self.rate * value

    def cdf(self, value) -> Tensor:
        """P(X ≤ value) = 1 - exp(-rate · value), for values ≥ 0."""
        _checked(_in_support, _values(value), self.batch_shape, "Exponential",
                 "non-negative", "cdf")
        return -expm1(-self.rate * _operand(value, self.rate))

    def icdf(self, value) -> Tensor:
        """-log(1 - value) / rate for probabilities ``value`` in [0, 1]."""
        _checked(_unit_probabilities, _values(value), "Exponential.icdf")
        with np.errstate(divide="ignore"):       # +inf at 1 is the answer (log 0)
            return -log1p(-_operand(value, self.rate)) / self.rate

    def entropy(self) -> Tensor:
        """1 - log(rate), one value per batch element."""
        return 1 - log(self.rate)


def _outside(p_low, p_high, q_low, q_high):
    return (q_low > p_low) | (q_high < p_high)


def _kl_uniform(p: Uniform, q: Uniform) -> Tensor:
    # +inf where p puts mass outside q's interval, as in PyTorch.
    outside = made("Uniform KL support", _outside,
                   (p.low.data, p.high.data, q.low.data, q.high.data))
    return where(outside, np.inf, log((q.high - q.low) / (p.high - p.low)))


def _kl_exponential(p: Exponential, q: Exponential) -> Tensor:
    ratio = q.rate / p.rate
    return ratio - log(ratio) - 1


_KL.update({(Uniform, Uniform): _kl_uniform, (Exponential, Exponential): _kl_exponential})
