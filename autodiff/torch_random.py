"""PyTorch's random functions: ``ad.randn_like``, ``ad.rand_like``, ``ad.randint`` and
``ad.multinomial``.

Without ``rng=`` they draw from the library's generator, which ``ad.manual_seed``
seeds (as ``ad.rand`` and ``ad.randn`` do); ``rng=`` takes an int seed or a
``np.random.Generator``.  NumPy's global random state is never touched.
"""

from __future__ import annotations

import numpy as np

from .compile.hooks import made
from .creation import _generator, _shape, rand, randn
from .tensor import Tensor

__all__ = ["randn_like", "rand_like", "randint", "multinomial"]


def _like(where: str, t, dtype):
    data = np.asarray(getattr(t, "data", t))
    dtype = data.dtype if dtype is None else np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{where}: draws float32 or float64 values, but the dtype is {dtype} "
                        f"(shape {data.shape}); pass dtype=np.float64 (or np.float32)")
    return data.shape, dtype


def randn_like(input, *, dtype=None, rng=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples with ``input``'s shape and dtype, as ``torch.randn_like``.

    >>> ad.manual_seed(0); a = ad.randn_like(ad.zeros(3))
    >>> ad.manual_seed(0); bool((a.data == ad.randn_like(ad.zeros(3)).data).all())
    True
    """
    shape, dtype = _like("randn_like", input, dtype)
    return randn(shape, rng=rng, dtype=dtype, requires_grad=requires_grad)


def rand_like(input, *, dtype=None, rng=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples on ``[0, 1)`` with ``input``'s shape and dtype, as
    ``torch.rand_like``.

    >>> ad.rand_like(ad.zeros((2, 2), dtype=np.float32), rng=0).dtype
    dtype('float32')
    """
    shape, dtype = _like("rand_like", input, dtype)
    return rand(shape, rng=rng, dtype=dtype, requires_grad=requires_grad)


def _integers(rng, low, high, size, dtype):
    return _generator(rng).integers(low, high, size=size, dtype=dtype)


def randint(*args, size=None, rng=None, dtype=np.int64) -> Tensor:
    """Integers drawn uniformly from ``[low, high)``, as ``torch.randint``: called as
    ``randint(high, size)`` or ``randint(low, high, size)`` (``size`` a tuple, which
    may also go by keyword).

    >>> t = ad.randint(3, 7, (4,), rng=0)
    >>> t.shape, bool(((3 <= t.data) & (t.data < 7)).all()), t.dtype
    ((4,), True, dtype('int64'))
    """
    if size is None and args:
        *args, size = args
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError("randint: call it as randint(high, size) or randint(low, high, size)")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint: size must be a tuple of ints, got {size!r} (PyTorch's "
                        "randint takes the shape as a tuple: randint(0, 10, (3,)))")
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"randint: {name} must be an int, got {value!r}")
    if high <= low:
        raise ValueError(f"randint: the range [low, high) = [{low}, {high}) is empty; need "
                         "low < high")
    dtype = np.dtype(dtype)
    if dtype.kind not in "iu":
        raise TypeError(f"randint: dtype must be an integer dtype, got {dtype}")
    shape = _shape(tuple(size), "randint")
    return Tensor(made("randint", _integers, (rng, int(low), int(high), shape, dtype),
                       stateful=True))


def _draw_categories(rng, probabilities, num_samples, replacement):
    generator = _generator(rng)
    rows = probabilities.reshape(-1, probabilities.shape[-1])
    drawn = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for r, row in enumerate(rows):
        drawn[r] = generator.choice(row.size, size=num_samples, replace=replacement,
                                    p=row / row.sum())
    return drawn.reshape(probabilities.shape[:-1] + (num_samples,))


def multinomial(input, num_samples: int, replacement: bool = False, *, rng=None) -> Tensor:
    """Category indices drawn with probabilities proportional to the non-negative
    weights in each row of ``input`` (1-D or 2-D), as ``torch.multinomial``: shape
    ``(num_samples,)`` or ``(rows, num_samples)``, int64, no gradient.  Without
    replacement each row needs at least ``num_samples`` nonzero weights.

    >>> ad.multinomial(ad.tensor([0.0, 1.0, 0.0]), 2, replacement=True, rng=0)
    tensor([1, 1])
    """
    weights = np.asarray(getattr(input, "data", input))
    if weights.ndim not in (1, 2) or weights.dtype.kind != "f":
        raise ValueError(f"multinomial: input must be a 1-D or 2-D float tensor of weights, "
                         f"got shape {weights.shape}, dtype {weights.dtype}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) \
            or num_samples <= 0:
        raise ValueError(f"multinomial: num_samples must be a positive int, got "
                         f"{num_samples!r}")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"multinomial: the weights (shape {weights.shape}) must be finite "
                         "and non-negative")
    if weights.size == 0 or np.any(weights.sum(axis=-1) <= 0):
        raise ValueError(f"multinomial: every row of the weights (shape {weights.shape}) "
                         "needs a positive sum")
    if not replacement:
        fewest = int((weights > 0).sum(axis=-1).min())
        if num_samples > fewest:
            raise ValueError(
                f"multinomial: cannot draw {num_samples} samples without replacement from a "
                f"row with only {fewest} nonzero weights (shape {weights.shape}); draw "
                "fewer, or pass replacement=True")
    drawn = made("multinomial", _draw_categories,
                 (rng, weights.astype(np.float64), int(num_samples), bool(replacement)),
                 stateful=True)
    return Tensor(drawn)
