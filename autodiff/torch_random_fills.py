"""PyTorch's in-place random fills: ``uniform_``, ``normal_``, ``bernoulli_``,
``exponential_``, ``random_``, ``cauchy_``, ``log_normal_`` and ``geometric_`` (and
``bernoulli``, the new-tensor draw).

They draw from ``rng=`` (an int seed, an ``ad.Generator`` or a ``np.random.Generator``;
PyTorch's ``generator=`` means the same), or without them from the library's
generator, which ``ad.manual_seed`` seeds; NumPy's global random state is never
touched.  They write with ``inplace.fill``: into the array under
``ad.no_grad()`` or on a tensor that does not require grad, recorded on one that is
not a leaf (whose old values then get no gradient, as in PyTorch), and refused on a
leaf that requires grad in grad mode (``with ad.no_grad(): w.normal_()``, as
``nn.init`` does).
"""

from __future__ import annotations

import numpy as np


def _float(where: str, t):
    if t.dtype.kind != "f":
        raise TypeError(f"{where}: draws floating-point values, but the tensor holds "
                        f"{t.dtype} (shape {t.shape}); use random_ for integers, or convert "
                        "the tensor first")


def _number(where: str, name: str, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
            or not np.isfinite(value):
        raise TypeError(f"{where}: {name} must be a finite number, got {value!r}")
    return float(value)


def _draw(where: str, t, draw, rng, generator, *args):
    """``draw(numpy_generator, shape, *args)`` cast to ``t``'s dtype, written into ``t``,
    drawn from ``rng=`` or ``generator=`` (at most one given)."""
    from .compile.hooks import made
    from .generator import chosen_rng
    from .inplace import fill
    rng = chosen_rng(where, rng, generator)
    values = made(where, _drawn, (draw, rng, t.shape, t.dtype) + args, stateful=True)
    return fill(t, values, where)


def _drawn(draw, rng, shape, dtype, *args):
    from .creation import _generator
    return np.asarray(draw(_generator(rng), shape, *args)).astype(dtype)


def _uniform(generator, shape, low, high):
    return generator.uniform(low, high, size=shape)


def _normal(generator, shape, mean, std):
    return generator.normal(mean, std, size=shape)


def _bernoulli(generator, shape, p):
    return generator.random(shape) < p


def _exponential(generator, shape, rate):
    return generator.exponential(1.0 / rate, size=shape)


def _integers(generator, shape, low, high):
    return generator.integers(low, high, size=shape, endpoint=False)


def _cauchy(generator, shape, median, sigma):
    return median + sigma * generator.standard_cauchy(size=shape)


def _log_normal(generator, shape, mean, std):
    return generator.lognormal(mean, std, size=shape)


def _geometric(generator, shape, p, dtype):
    trials = generator.geometric(p, size=shape)
    largest = int(np.iinfo(dtype).max) if dtype.kind in "iu" else np.inf
    if trials.size and trials.max() > largest:
        raise ValueError(f"geometric_: drew {trials.max()} trials, more than the tensor's "
                         f"dtype {dtype} holds (at most {largest}); fill a wider dtype "
                         "(np.int64 or a float)")
    return trials


class TorchRandomFills:
    """In-place random fills under PyTorch's names (mixed into ``Tensor``)."""

    __slots__ = ()

    def uniform_(self, from_=0.0, to=1.0, *, generator=None, rng=None):
        """Fill with values drawn uniformly from ``[from_, to)`` (PyTorch's ``from``);
        returns self.

        >>> ad.zeros(3).uniform_(2.0, 3.0, rng=0).data.min() >= 2.0
        np.True_
        """
        _float("uniform_", self)
        low, high = _number("uniform_", "from_", from_), _number("uniform_", "to", to)
        if low > high:
            raise ValueError(f"uniform_: from_={from_} is larger than to={to}")
        return _draw("uniform_", self, _uniform, rng, generator, low, high)

    def normal_(self, mean=0.0, std=1.0, *, generator=None, rng=None):
        """Fill with normal samples of ``mean`` and ``std``; returns self.

        >>> ad.manual_seed(0); a = ad.zeros(2).normal_()
        <autodiff.Generator object at ...>
        >>> ad.manual_seed(0); bool((ad.zeros(2).normal_().data == a.data).all())
        <autodiff.Generator object at ...>
        True
        """
        _float("normal_", self)
        mean, std = _number("normal_", "mean", mean), _number("normal_", "std", std)
        if std < 0:
            raise ValueError(f"normal_: std must be >= 0, got {std}")
        return _draw("normal_", self, _normal, rng, generator, mean, std)

    def bernoulli_(self, p=0.5, *, generator=None, rng=None):
        """Fill with 1 with probability ``p`` (a number, or a tensor that broadcasts to
        this shape), else 0; returns self.

        >>> ad.zeros(3).bernoulli_(1.0, rng=0)
        tensor([1., 1., 1.])
        """
        probabilities = np.asarray(getattr(p, "data", p), dtype=np.float64)
        if probabilities.ndim:
            try:
                probabilities = np.broadcast_to(probabilities, self.shape)
            except ValueError:
                raise ValueError(f"bernoulli_: p of shape {probabilities.shape} does not "
                                 f"broadcast to the tensor's shape {self.shape}") from None
        if np.any(~((probabilities >= 0) & (probabilities <= 1))):
            raise ValueError("bernoulli_: p must be in [0, 1]")
        if self.dtype.kind not in "fiub":
            raise TypeError(f"bernoulli_: cannot fill a tensor of dtype {self.dtype}")
        return _draw("bernoulli_", self, _bernoulli, rng, generator, probabilities)

    def exponential_(self, lambd=1.0, *, generator=None, rng=None):
        """Fill with exponential samples of rate ``lambd`` (mean ``1 / lambd``);
        returns self.

        >>> bool((ad.zeros(4).exponential_(2.0, rng=0).data > 0).all())
        True
        """
        _float("exponential_", self)
        rate = _number("exponential_", "lambd", lambd)
        if rate <= 0:
            raise ValueError(f"exponential_: lambd must be positive, got {lambd}")
        return _draw("exponential_", self, _exponential, rng, generator, rate)

    def random_(self, *bounds, generator=None, rng=None):
        """Fill with integers drawn uniformly, as PyTorch's ``random_``:
        ``random_(to)`` from ``[0, to)``, ``random_(from, to)`` from ``[from, to)``,
        ``random_()`` from ``[0, 2**mantissa]`` for floats (every integer the dtype
        holds exactly) and ``[0, max]`` for integers; returns self.

        >>> bool(((ad.zeros(5).random_(3, rng=0).data) < 3).all())
        True
        """
        for bound in bounds:
            if isinstance(bound, bool) or not isinstance(bound, (int, np.integer)):
                raise TypeError(f"random_: the bounds must be ints, got {bounds!r}")
        if len(bounds) > 2:
            raise TypeError(f"random_: takes random_(), random_(to) or random_(from, to), "
                            f"got {len(bounds)} bounds")
        if self.dtype.kind == "f":
            top = 2 ** (np.finfo(self.dtype).nmant + 1) + 1
        elif self.dtype.kind in "iu":
            top = int(np.iinfo(self.dtype).max) + 1
        elif self.dtype == bool:
            top = 2
        else:
            raise TypeError(f"random_: cannot fill a tensor of dtype {self.dtype}")
        low, high = (0, top) if not bounds else (0, bounds[0]) if len(bounds) == 1 \
            else bounds
        if low >= high:
            raise ValueError(f"random_: the range [{low}, {high}) is empty; need from < to")
        if self.dtype.kind in "iu" and (low < np.iinfo(self.dtype).min or high > top):
            raise ValueError(f"random_: [{low}, {high}) does not fit in {self.dtype}")
        return _draw("random_", self, _integers, rng, generator, int(low), int(high))

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None, rng=None):
        """Fill with Cauchy samples of location ``median`` and scale ``sigma``;
        returns self.

        >>> float(np.median(ad.zeros(10001).cauchy_(5.0, 0.1, rng=0).data)) > 4.9
        True
        """
        _float("cauchy_", self)
        median, sigma = _number("cauchy_", "median", median), _number("cauchy_", "sigma", sigma)
        if sigma <= 0:
            raise ValueError(f"cauchy_: sigma must be > 0, got {sigma}")
        return _draw("cauchy_", self, _cauchy, rng, generator, median, sigma)

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None, rng=None):
        """Fill with ``exp`` of normal samples of ``mean`` and ``std`` (PyTorch's
        defaults, 1 and 2); returns self.

        >>> bool((ad.zeros(4).log_normal_(rng=0).data > 0).all())
        True
        """
        _float("log_normal_", self)
        mean, std = _number("log_normal_", "mean", mean), _number("log_normal_", "std", std)
        if std <= 0:
            raise ValueError(f"log_normal_: std must be > 0, got {std}")
        return _draw("log_normal_", self, _log_normal, rng, generator, mean, std)

    def geometric_(self, p, *, generator=None, rng=None):
        """Fill with the number of trials up to the first success, each a success with
        probability ``p`` (1, 2, ...); returns self.

        >>> bool((ad.zeros(5).geometric_(0.5, rng=0).data >= 1).all())
        True
        """
        p = _number("geometric_", "p", p)
        if not 0 < p < 1:
            raise ValueError(f"geometric_: p must be in (0, 1), got {p}")
        if self.dtype.kind not in "fiu":
            raise TypeError(f"geometric_: cannot fill a tensor of dtype {self.dtype}")
        return _draw("geometric_", self, _geometric, rng, generator, p, self.dtype)

    def bernoulli(self, p=None, *, generator=None, rng=None):
        """0/1 draws, each 1 with probability this tensor's value (or the number ``p``),
        as ``ad.bernoulli(self)``; a new tensor.

        >>> ad.tensor([0.0, 1.0]).bernoulli(rng=0)
        tensor([0., 1.])
        """
        from .torch_random import bernoulli
        return bernoulli(self, p, generator=generator, rng=rng)
