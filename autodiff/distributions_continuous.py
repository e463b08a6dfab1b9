"""Continuous distributions on the real line or half-line: ``Laplace``, ``LogNormal``,
``HalfNormal``, ``Cauchy``, ``Gumbel`` and ``StudentT``, with PyTorch's names,
parameters and conventions; re-exported by ``autodiff.distributions``, whose
``kl_divergence`` knows their same-family pairs but StudentT's (which has no closed form).

Each but StudentT is a location-scale family: ``rsample`` is ``loc + scale * eps``
(then ``exp`` for LogNormal, ``abs`` for HalfNormal) with ``eps`` drawn from the
standard member of the family and held constant, so gradients reach every parameter.

>>> lap = ad.distributions.Laplace(0.0, 2.0)
>>> lap.log_prob(0.0), lap.entropy()                 # -log 4, 1 + log 4
(tensor(-1.38629436), tensor(2.38629436))
"""

from __future__ import annotations

import math

import numpy as np

from .compile.hooks import made
from .distributions import (_KL, Distribution, _as_float_tensor, _broadcast, _checked,
                            _kl_normal, _normal_cdf, _normal_icdf, _operand,
                            _sample_shape, _values)
from .distributions_checks import _in_support, _not_nan, _positive, _unit_probabilities
from .ops.activations import erf
from .ops.elementwise import abs, exp, expm1, log, log1p, where
from .ops.special import digamma, erfinv, lgamma
from .ops.trig import arctan, tan
from .tensor import Tensor

__all__ = ["Laplace", "LogNormal", "HalfNormal", "Cauchy", "Gumbel", "StudentT"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_EULER_GAMMA = 0.57721566490153286061


def _float_parameters(owner: str, **given) -> dict[str, Tensor]:
    """The parameters as float Tensors; Python numbers take the float dtype of the first
    parameter that is not one (``Laplace(0.0, float32_array)`` stays float32, as in
    PyTorch)."""
    arrays = {name: _as_float_tensor(value, owner, name) for name, value in given.items()
              if not isinstance(value, (int, float))}
    like = next(iter(arrays.values()), None)
    return {name: arrays[name] if name in arrays else
            _as_float_tensor(value, owner, name, like=like)
            for name, value in given.items()}


def _standard_noise(kind, rng, shape, dtype):
    """``shape`` draws of the standard member of a family (``kind`` is the name of a
    ``np.random.Generator`` method: ``standard_normal``, ``laplace``, ...)."""
    from .nn.module import _generator
    return getattr(_generator(rng), kind)(size=shape).astype(dtype)


def _below(data, bound):
    return data < bound


def _farther_than_one(data):
    return np.abs(data) > 1


def _where_data(condition, *arrays):
    """A constant mask, computed again from the parameters at each compiled replay."""
    return made("distribution parameter mask", condition, arrays)


class _LocationScale(Distribution):
    """``loc + scale * eps`` with ``eps`` from ``_noise`` (a Generator method)."""

    has_rsample = True
    _noise = "standard_normal"

    def __init__(self, loc, scale):
        owner = type(self).__name__
        params = _float_parameters(owner, loc=loc, scale=scale)
        _checked(_positive, params["scale"].data, owner, "scale")
        _checked(_not_nan, params["loc"].data, owner, "loc")
        self.batch_shape, (self.loc, self.scale) = _broadcast(owner, **params)

    def _params(self):
        return self.loc.data, self.scale.data

    @property
    def mode(self) -> Tensor:
        """The most probable value: ``loc`` (Laplace, Cauchy, Gumbel)."""
        return self.loc

    # The sample as a function of ``z = loc + scale * eps`` (None: z itself): a NumPy
    # function, so that it works on arrays (``sample``) and is recorded on Tensors
    # (``rsample``).
    _transform = None

    @classmethod
    def _transformed(cls, z):
        return z if cls._transform is None else cls._transform(z)

    @classmethod
    def _draw(cls, shape, gen, loc, scale):
        return cls._transformed(loc + scale * _standard_noise(cls._noise, gen, shape, loc.dtype))

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """Values that are a differentiable function of the parameters:
        ``loc + scale * eps`` with ``eps`` drawn from the standard family, a constant."""
        owner = f"{type(self).__name__}.rsample"
        shape = _sample_shape(shape if sample_shape is None else sample_shape, owner)
        eps = made(f"{owner} noise", _standard_noise,
                   (self._noise, rng, shape + self.batch_shape, self.loc.data.dtype),
                   stateful=True)
        return self._transformed(self.loc + self.scale * Tensor(eps, name="eps"))

    # For ``cdf`` and ``icdf``: the support of the values, the inverse of ``_transform``
    # (None: none), and the cdf of ``eps`` and its inverse, on Tensors.
    _support = "real"
    _untransform = None
    _standard_cdf = _standard_icdf = None

    def cdf(self, value) -> Tensor:
        """P(X ≤ value), differentiable in the parameters and in ``value``."""
        _checked(_in_support, _values(value), self.batch_shape, type(self).__name__,
                 self._support, "cdf")
        value = _operand(value, self.loc)
        z = value if self._untransform is None else self._untransform(value)
        return self._standard_cdf((z - self.loc) / self.scale)

    def icdf(self, value) -> Tensor:
        """The value x with P(X ≤ x) = ``value`` (a probability in [0, 1]): the inverse
        of ``cdf``."""
        _checked(_unit_probabilities, _values(value), f"{type(self).__name__}.icdf")
        with np.errstate(divide="ignore"):       # ±inf at 0 and 1 is the answer (log 0)
            eps = self._standard_icdf(_operand(value, self.loc))
        quantile = self.loc + self.scale * eps
        return self._transformed(quantile) if self._icdf_through_transform else quantile

    # False where ``_standard_icdf`` is already the quantile of the transformed noise
    # (HalfNormal's is that of |eps|: applying |.| again would give a zero gradient at 0).
    _icdf_through_transform = True


class Laplace(_LocationScale):
    """The Laplace distribution: density ``exp(-|x - loc| / scale) / (2 scale)``.

    >>> lap = ad.distributions.Laplace(ad.tensor([0.0, 1.0]), 0.5)
    >>> lap.mean, lap.variance                           # loc, 2 scale²
    (tensor([0., 1.]), tensor([0.5, 0.5]))
    """

    _noise = "laplace"

    # Each half on its own: the one-line forms 0.5 - 0.5 sign(z) expm1(-|z|) and
    # -sign(p - ½) log1p(-2 |p - ½|) (PyTorch's) cancel in the lower tail (cdf(-40) = 0,
    # icdf(1e-20) = -inf), and sign() gives them a zero slope at the median.
    @staticmethod
    def _standard_cdf(z):
        lower = _where_data(_below, _values(z), 0.0)
        return where(lower, 0.5 * exp(where(lower, z, 0.0)),
                     1 - 0.5 * exp(-where(lower, 0.0, z)))

    @staticmethod
    def _standard_icdf(p):
        lower = _where_data(_below, _values(p), 0.5)
        return where(lower, log(2 * where(lower, p, 0.5)),
                     -log(2 - 2 * where(lower, 0.5, p)))

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale ** 2

    @property
    def stddev(self) -> Tensor:
        return 2 ** 0.5 * self.scale

    def log_prob(self, value) -> Tensor:
        """-log(2 scale) - |value - loc| / scale."""
        _checked(_in_support, _values(value), self.batch_shape, "Laplace", "real")
        value = _operand(value, self.loc)
        return -log(2 * self.scale) - abs(value - self.loc) / self.scale

    def entropy(self) -> Tensor:
        """1 + log(2 scale), one value per batch element."""
        return 1 + log(2 * self.scale)


class LogNormal(_LocationScale):
    """``exp(X)`` for ``X ~ Normal(loc, scale)``: ``loc`` and ``scale`` are those of the
    logarithm, as in PyTorch and ``np.random.lognormal``.

    >>> ln = ad.distributions.LogNormal(0.0, 1.0)
    >>> ln.log_prob(1.0), ln.mean                         # -log √(2π), exp(1/2)
    (tensor(-0.91893853), tensor(1.64872127))
    """

    _transform = staticmethod(np.exp)
    _support, _untransform = "positive", staticmethod(log)
    _standard_cdf, _standard_icdf = staticmethod(_normal_cdf), staticmethod(_normal_icdf)

    @property
    def mean(self) -> Tensor:
        return exp(self.loc + self.scale ** 2 / 2)

    @property
    def mode(self) -> Tensor:
        return exp(self.loc - self.scale ** 2)

    @property
    def variance(self) -> Tensor:
        scale2 = self.scale ** 2
        return expm1(scale2) * exp(2 * self.loc + scale2)

    def log_prob(self, value) -> Tensor:
        """The Normal log-density of ``log value``, minus ``log value``; values > 0."""
        _checked(_in_support, _values(value), self.batch_shape, "LogNormal", "positive")
        log_value = log(_operand(value, self.loc))
        z = (log_value - self.loc) / self.scale
        return -0.5 * z ** 2 - log(self.scale) - _LOG_SQRT_2PI - log_value

    def entropy(self) -> Tensor:
        """½ + log √(2π) + log scale + loc, one value per batch element."""
        return log(self.scale) + self.loc + (0.5 + _LOG_SQRT_2PI)


class HalfNormal(_LocationScale):
    """``|X|`` for ``X ~ Normal(0, scale)``; values ≥ 0.

    >>> hn = ad.distributions.HalfNormal(ad.tensor([1.0, 2.0]))
    >>> hn.batch_shape, hn.log_prob(0.0)                  # log(2 / √(2π) / scale)
    ((2,), tensor([-0.22579135, -0.91893853]))
    """

    def __init__(self, scale):
        scale = _as_float_tensor(scale, "HalfNormal", "scale")
        super().__init__(Tensor(0.0, dtype=scale.data.dtype), scale)

    _transform = staticmethod(np.abs)
    _support = "non-negative"
    _icdf_through_transform = False

    @staticmethod
    def _standard_cdf(z):                      # of |eps|: 2 Φ(z) - 1
        return erf(z / math.sqrt(2))

    @staticmethod
    def _standard_icdf(p):
        return math.sqrt(2) * erfinv(p)

    @property
    def mean(self) -> Tensor:
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def mode(self) -> Tensor:
        return Tensor(np.zeros(self.batch_shape, self.scale.data.dtype))

    @property
    def variance(self) -> Tensor:
        return self.scale ** 2 * (1 - 2 / math.pi)

    def log_prob(self, value) -> Tensor:
        """log 2 plus the Normal(0, scale) log-density, for values ≥ 0."""
        _checked(_in_support, _values(value), self.batch_shape, "HalfNormal", "non-negative")
        value = _operand(value, self.loc)
        z = value / self.scale
        return -0.5 * z ** 2 - log(self.scale) + (math.log(2) - _LOG_SQRT_2PI)

    def entropy(self) -> Tensor:
        """½ log(π scale² / 2) + ½, one value per batch element."""
        return log(self.scale) + 0.5 * (math.log(math.pi / 2) + 1)


class Cauchy(_LocationScale):
    """The Cauchy distribution: density ``1 / (π scale (1 + ((x - loc) / scale)²))``.

    As in PyTorch, ``mean`` is NaN and ``variance`` +inf (neither exists).

    >>> c = ad.distributions.Cauchy(0.0, 1.0)
    >>> c.log_prob(1.0), c.mean                           # -log(2π)
    (tensor(-1.83787707), tensor(nan))
    """

    _noise = "standard_cauchy"

    @staticmethod
    def _standard_cdf(z):
        # arctan(z) / π + ½ cancels far in the lower tail (0 at z = -1e17, where the cdf
        # is 3e-18): there it is arctan(-1 / z) / π, and in the upper one 1 - arctan(1 / z) / π.
        far = _where_data(_farther_than_one, _values(z))
        inner = where(far, 0.0, z)
        outer = 1 / where(far, z, 1.0)
        tail = where(_where_data(_below, _values(z), 0.0), -arctan(outer), math.pi - arctan(outer))
        return where(far, tail / math.pi, arctan(inner) / math.pi + 0.5)

    @staticmethod
    def _standard_icdf(p):
        # tan(π (p - ½)) written as -cot(π p) below ½ and cot(π (1 - p)) above: π (p - ½)
        # rounds past ±π/2 near 0 and 1 (in float32, tan then has the wrong sign, as
        # PyTorch's does), where π p and π (1 - p) keep their precision (±inf at the ends).
        lower = made("Cauchy.icdf lower half", np.less, (_values(p), 0.5))
        return where(lower, -1 / tan(math.pi * p), 1 / tan(math.pi * (1 - p)))

    @property
    def mean(self) -> Tensor:
        return Tensor(np.full(self.batch_shape, np.nan, self.loc.data.dtype))

    @property
    def variance(self) -> Tensor:
        return Tensor(np.full(self.batch_shape, np.inf, self.loc.data.dtype))

    def log_prob(self, value) -> Tensor:
        """-log π - log scale - log(1 + ((value - loc) / scale)²)."""
        _checked(_in_support, _values(value), self.batch_shape, "Cauchy", "real")
        value = _operand(value, self.loc)
        z = (value - self.loc) / self.scale
        return -log1p(z ** 2) - log(self.scale) - math.log(math.pi)

    def entropy(self) -> Tensor:
        """log(4π scale), one value per batch element."""
        return log(self.scale) + math.log(4 * math.pi)


class Gumbel(_LocationScale):
    """The Gumbel (type-I extreme value) distribution: with ``z = (x - loc) / scale``,
    density ``exp(-z - exp(-z)) / scale``.

    >>> g = ad.distributions.Gumbel(0.0, 1.0)
    >>> g.log_prob(0.0), g.mean                           # -1, Euler's gamma
    (tensor(-1.), tensor(0.57721566))
    """

    _noise = "gumbel"

    @staticmethod
    def _standard_cdf(z):
        return exp(-exp(-z))

    @staticmethod
    def _standard_icdf(p):
        # 0 - log p, not -log p: at p = 1 that is +0 rather than -0, so that the slope
        # there comes out +inf (the icdf increases), not -inf.
        return -log(0.0 - log(p))

    def icdf(self, value) -> Tensor:
        """loc - scale · log(-log u), for the probability ``value`` mapped to
        u = tiny + value · (1 - eps - tiny) first, as PyTorch's (its Gumbel transforms a
        Uniform(tiny, 1 - eps)): so icdf(0) and icdf(1) are finite, and so are their
        slopes (at 0 it was -inf with a NaN slope)."""
        _checked(_unit_probabilities, _values(value), "Gumbel.icdf")
        dtype = self.loc.data.dtype
        info = np.finfo(dtype)
        width = float(dtype.type(1 - info.eps) - info.tiny)
        u = float(info.tiny) + _operand(value, self.loc) * width
        return self.loc + self.scale * self._standard_icdf(u)

    @property
    def mean(self) -> Tensor:
        return self.loc + self.scale * _EULER_GAMMA

    @property
    def variance(self) -> Tensor:
        return self.scale ** 2 * (math.pi ** 2 / 6)

    @property
    def stddev(self) -> Tensor:
        return self.scale * (math.pi / math.sqrt(6))

    def log_prob(self, value) -> Tensor:
        """-(z + exp(-z)) - log scale with z = (value - loc) / scale."""
        _checked(_in_support, _values(value), self.batch_shape, "Gumbel", "real")
        value = _operand(value, self.loc)
        z = (value - self.loc) / self.scale
        return -(z + exp(-z)) - log(self.scale)

    def entropy(self) -> Tensor:
        """log scale + 1 + Euler's gamma, one value per batch element."""
        return log(self.scale) + (1 + _EULER_GAMMA)


def _student_t_noise(rng, shape, df):
    """Standard Student's t draws, ``N / sqrt(chi2(df) / df)``."""
    from .nn.module import _generator
    gen = _generator(rng)
    df = np.broadcast_to(df, shape)
    normal = gen.standard_normal(shape)
    chi2 = gen.chisquare(df)
    return (normal / np.sqrt(chi2 / df)).astype(df.dtype)


def _more_than(data, bound):
    return data > bound


class StudentT(Distribution):
    """Student's t with ``df`` degrees of freedom, shifted by ``loc`` and scaled by
    ``scale`` (PyTorch's ``StudentT(df, loc=0., scale=1.)``).

    ``mean`` is NaN where df ≤ 1; ``variance`` is +inf for 1 < df ≤ 2 and NaN for
    df ≤ 1, as in PyTorch.  ``rsample`` is ``loc + scale * t`` with the standard t draw
    ``t`` a constant: its gradient reaches ``loc`` and ``scale`` but not ``df``, so it
    refuses a ``df`` that requires grad rather than silently dropping that gradient.

    >>> t = ad.distributions.StudentT(3.0)
    >>> t.log_prob(0.0), t.variance                       # log(2 / (π √3)), 3 / (3 - 2)
    (tensor(-1.00088885), tensor(3.))
    """

    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0):
        params = _float_parameters("StudentT", df=df, loc=loc, scale=scale)
        _checked(_positive, params["df"].data, "StudentT", "df")
        _checked(_positive, params["scale"].data, "StudentT", "scale")
        _checked(_not_nan, params["loc"].data, "StudentT", "loc")
        self.batch_shape, (self.df, self.loc, self.scale) = _broadcast("StudentT", **params)

    @property
    def mean(self) -> Tensor:
        return where(_where_data(_more_than, self.df.data, 1), self.loc, np.nan)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        finite = _where_data(_more_than, self.df.data, 2)
        exists = _where_data(_more_than, self.df.data, 1)
        safe_df = where(finite, self.df, 3.0)
        value = where(finite, self.scale ** 2 * safe_df / (safe_df - 2), np.inf)
        return where(exists, value, np.nan)

    def _params(self):
        return self.df.data, self.loc.data, self.scale.data

    @staticmethod
    def _draw(shape, gen, df, loc, scale):
        return loc + scale * _student_t_noise(gen, shape, df)

    def rsample(self, shape=(), rng=None, *, sample_shape=None) -> Tensor:
        """``loc + scale * t`` with ``t`` a constant standard t draw (see the class)."""
        if self.df.requires_grad:
            raise NotImplementedError(
                "StudentT.rsample: df requires grad, but the sample's gradient with respect "
                "to df (through the chi-square draw) is not implemented, and dropping it "
                "would be silently wrong. Pass df as a constant (df.detach()), or use "
                "sample() with the score-function estimator f(x) * log_prob(x) for df.")
        shape = _sample_shape(shape if sample_shape is None else sample_shape,
                              "StudentT.rsample")
        t = made("StudentT.rsample noise", _student_t_noise,
                 (rng, shape + self.batch_shape, self.df.data), stateful=True)
        return self.loc + self.scale * Tensor(t, name="t")

    def log_prob(self, value) -> Tensor:
        """lgamma((df + 1) / 2) - lgamma(df / 2) - ½ log(π df) - log scale
        - (df + 1) / 2 · log(1 + z² / df), with z = (value - loc) / scale."""
        _checked(_in_support, _values(value), self.batch_shape, "StudentT", "real")
        value = _operand(value, self.loc)
        z = (value - self.loc) / self.scale
        df = self.df
        # lgamma((df + 1) / 2) - lgamma(df / 2) - ½ log(π df), without subtracting two
        # large lgammas when df is large.
        return (_half_step_lgamma(df / 2) - _LOG_SQRT_2PI
                - log(self.scale) - (df + 1) / 2 * log1p(z ** 2 / df))

    def entropy(self) -> Tensor:
        """log scale + (df + 1) / 2 · (ψ((df + 1) / 2) - ψ(df / 2)) + ½ log df
        + log B(df / 2, ½), one value per batch element."""
        # With h = df / 2: ψ(h + ½) - ψ(h) = 1 / (2h) + r'(h), and ½ log df + log B(h, ½)
        # = ½ log(2π) - r(h), for r of ``_half_step_lgamma`` (no cancellation at large df).
        half = self.df / 2
        return (log(self.scale) + (half + 0.5) * (0.5 / half + _half_step_digamma(half))
                + _LOG_SQRT_2PI - _half_step_lgamma(half))


# Where the asymptotic series below replace lgamma and digamma (their error there is
# below the dtype's precision; lgamma itself grows like h log h, so the difference of two
# of them loses digits as h grows).
_SERIES_FROM = {np.dtype(np.float64): 30.0, np.dtype(np.float32): 8.0}


def _at_least(data, bound):
    return data >= bound


def _series_split(half: Tensor):
    """The mask where ``half`` is large enough for the series, and ``half`` made safe for
    each branch (so that neither branch's gradient is NaN where it is not used)."""
    start = _SERIES_FROM.get(half.data.dtype, 30.0)
    large = _where_data(_at_least, half.data, start)
    return large, where(large, half, start), where(large, start, half)


def _half_step_lgamma(half: Tensor) -> Tensor:
    """r(h) = lgamma(h + ½) - lgamma(h) - ½ log h, which is about -1 / (8h) for large h:
    directly for small h, and for large h by its asymptotic series (from the Bernoulli
    polynomials at ½) -1/(8h) + 1/(192h³) - 1/(640h⁵) + 17/(14336h⁷)."""
    large, big, small = _series_split(half)
    u = 1 / big                          # in powers of 1/h: no overflow for huge h
    u2 = u ** 2
    series = u * (-1 / 8 + u2 * (1 / 192 + u2 * (-1 / 640 + u2 * (17 / 14336))))
    direct = lgamma(small + 0.5) - lgamma(small) - 0.5 * log(small)
    return where(large, series, direct)


def _half_step_digamma(half: Tensor) -> Tensor:
    """r'(h) = ψ(h + ½) - ψ(h) - 1 / (2h), the derivative of ``_half_step_lgamma``:
    1/(8h²) - 1/(64h⁴) + 1/(128h⁶) - 17/(2048h⁸) for large h."""
    large, big, small = _series_split(half)
    u2 = (1 / big) ** 2
    series = u2 * (1 / 8 + u2 * (-1 / 64 + u2 * (1 / 128 + u2 * (-17 / 2048))))
    direct = digamma(small + 0.5) - digamma(small) - 0.5 / small
    return where(large, series, direct)


def _kl_laplace(p: Laplace, q: Laplace) -> Tensor:
    # PyTorch's closed form: with r = p.scale / q.scale and d = |p.loc - q.loc|,
    # KL = -log r + d / q.scale + r exp(-d / p.scale) - 1.
    ratio = p.scale / q.scale
    distance = abs(p.loc - q.loc)
    return -log(ratio) + distance / q.scale + ratio * exp(-distance / p.scale) - 1


def _kl_cauchy(p: Cauchy, q: Cauchy) -> Tensor:
    # log(((s_p + s_q)² + (l_p - l_q)²) / (4 s_p s_q)), as PyTorch's.
    return (log((p.scale + q.scale) ** 2 + (p.loc - q.loc) ** 2)
            - log(4 * p.scale * q.scale))


def _kl_gumbel(p: Gumbel, q: Gumbel) -> Tensor:
    # With r = s_p / s_q: -log r + (l_p - l_q) / s_q + r γ
    # + exp((l_q - l_p) / s_q + lgamma(1 + r)) - 1 - γ.
    ratio = p.scale / q.scale
    shift = (p.loc - q.loc) / q.scale
    return (-log(ratio) + shift + ratio * _EULER_GAMMA + exp(lgamma(1 + ratio) - shift)
            - (1 + _EULER_GAMMA))


_KL.update({(Laplace, Laplace): _kl_laplace, (Cauchy, Cauchy): _kl_cauchy,
            (Gumbel, Gumbel): _kl_gumbel,
            # The KL of two LogNormals (or HalfNormals) is that of their Normals: the map
            # (exp, or |x| on a symmetric pair) is the same for both.
            (LogNormal, LogNormal): _kl_normal, (HalfNormal, HalfNormal): _kl_normal})
