"""Small synthetic data sets and a mini-batch iterator; PyTorch's ``DataLoader``,
``TensorDataset``, ``Subset`` and ``random_split`` (from ``data_loader``), its data set
classes (``data_sets``) and samplers (``data_samplers``).

Every generator takes a ``seed`` (an int or a ``np.random.Generator``) and never
touches NumPy's global random state, so results repeat exactly.
"""

from __future__ import annotations

from typing import Iterator, NamedTuple

import numpy as np

from .generator import checked_seed
from .data_loader import (DataLoader, Subset, TensorDataset, default_collate, default_convert,
                          random_split)
from .data_samplers import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                            SubsetRandomSampler, WeightedRandomSampler)
from .data_sets import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset,
                        get_worker_info)

__all__ = ["spiral", "ratings", "Ratings", "batches", "DataLoader", "TensorDataset", "Subset",
           "random_split", "default_collate", "default_convert", "Dataset", "IterableDataset",
           "ConcatDataset", "StackDataset", "ChainDataset", "Sampler", "SequentialSampler",
           "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler",
           "get_worker_info"]


def _rng(seed, where="data") -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool)
                             or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"{where}: seed must be an int or a np.random.Generator, got "
                        f"{type(seed).__name__} {seed!r}")
    return np.random.default_rng(None if seed is None else checked_seed(seed, where))


def _positive(value, what, where):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{where}: {what} must be a positive int, got {value!r}")
    return int(value)


def spiral(samples: int, classes: int, seed: int | np.random.Generator = 0,
           noise: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """The classic interleaved spiral: ``classes`` arms of ``samples`` points each.

    Arm ``k`` is traced by radius ``r`` going from 0 to 1 while the angle sweeps
    four radians starting at ``4k`` (plus Gaussian noise of scale ``noise``); the
    point is ``(r sin 2.5θ, r cos 2.5θ)``.  No straight line separates the arms,
    so a linear model fails and a small MLP succeeds.

    Returns ``X`` (float64, shape ``(samples * classes, 2)``) and ``y`` (int64 class
    of each row, arm by arm).

    >>> X, y = ad.data.spiral(100, 3)
    >>> X.shape, y.shape, np.bincount(y)
    ((300, 2), (300,), array([100, 100, 100]))
    """
    samples = _positive(samples, "samples", "spiral")
    classes = _positive(classes, "classes", "spiral")
    rng = _rng(seed)
    X = np.empty((samples * classes, 2))
    y = np.empty(samples * classes, dtype=np.int64)
    radius = np.linspace(0.0, 1.0, samples)
    for k in range(classes):
        rows = slice(k * samples, (k + 1) * samples)
        angle = np.linspace(4.0 * k, 4.0 * (k + 1), samples) + noise * rng.standard_normal(samples)
        X[rows, 0] = radius * np.sin(2.5 * angle)
        X[rows, 1] = radius * np.cos(2.5 * angle)
        y[rows] = k
    return X, y


class Ratings(NamedTuple):
    """Rating triples: ``users[i]`` gave ``items[i]`` the rating ``ratings[i]``."""

    users: np.ndarray    # int64 ids in [0, n_users)
    items: np.ndarray    # int64 ids in [0, n_items)
    ratings: np.ndarray  # float64 in [low, high]


def ratings(n_users: int, n_items: int, n: int, seed: int | np.random.Generator = 0, *,
            n_factors: int = 4, low: float = 1.0, high: float = 5.0,
            noise: float = 0.3) -> Ratings:
    """Synthetic ratings from a latent-factor model with user and item biases.

    Each user ``u`` and item ``i`` get ``n_factors`` latent factors and a bias; the
    rating is ``mid + b_u + b_i + f_u · f_i + noise``, clipped to ``[low, high]``
    (``mid`` is the middle of the range).  ``n`` distinct (user, item) pairs are
    drawn uniformly, so a pair never appears twice.

    Returns a ``Ratings`` named tuple ``(users, items, ratings)`` of int64, int64 and
    float64 arrays of length ``n``; unpack it as ``users, items, r = ad.data.ratings(...)``.

    >>> users, items, r = ad.data.ratings(50, 40, 500)
    >>> users.shape, float(r.min()) >= 1.0, float(r.max()) <= 5.0
    ((500,), True, True)
    """
    where = "ratings"
    n_users = _positive(n_users, "n_users", where)
    n_items = _positive(n_items, "n_items", where)
    n = _positive(n, "n", where)
    n_factors = _positive(n_factors, "n_factors", where)
    if n > n_users * n_items:
        raise ValueError(f"ratings: n={n} is more than the {n_users * n_items} distinct "
                         f"(user, item) pairs of {n_users} users and {n_items} items")
    if not high > low:
        raise ValueError(f"ratings: need low < high, got low={low}, high={high}")
    rng = _rng(seed)
    spread = (high - low) / 4
    user_factors = rng.standard_normal((n_users, n_factors)) * np.sqrt(spread / n_factors)
    item_factors = rng.standard_normal((n_items, n_factors)) * np.sqrt(spread / n_factors)
    user_bias = rng.standard_normal(n_users) * spread / 2
    item_bias = rng.standard_normal(n_items) * spread / 2
    pairs = rng.choice(n_users * n_items, size=n, replace=False)
    users, items = np.divmod(pairs, n_items)
    users = users.astype(np.int64)
    items = items.astype(np.int64)
    value = ((low + high) / 2 + user_bias[users] + item_bias[items]
             + np.einsum("nk,nk->n", user_factors[users], item_factors[items])
             + noise * rng.standard_normal(n))
    return Ratings(users, items, np.clip(value, low, high))


def batches(X: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool = True,
            seed: int | np.random.Generator | None = None,
            drop_last: bool = False) -> Iterator[tuple]:
    """Yield ``(X[idx], y[idx])`` mini-batches covering the data once (one epoch).

    With ``shuffle`` each call draws a new order, as PyTorch's ``DataLoader`` does each
    epoch: from the generator ``ad.nn.manual_seed`` seeds (so a run repeats itself), or
    from ``seed`` (a Generator; an int gives the same order at every call).  The last
    batch may be smaller unless ``drop_last``.

    >>> X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    >>> [len(yb) for _, yb in ad.data.batches(X, y, 2)]
    [2, 2, 1]
    """
    batch_size = _positive(batch_size, "batch_size", "batches")
    if X is None or y is None:
        raise TypeError(f"batches: {'X' if X is None else 'y'} is None; pass the inputs and "
                        "the labels (arrays or tensors with one row per example)")
    # Python lists are indexed with an array of rows below: as arrays, as NumPy would
    X, y = (np.asarray(v) if isinstance(v, (list, tuple)) else v for v in (X, y))
    n = len(X)
    if len(y) != n:
        raise ValueError(f"batches: X has {n} rows but y has {len(y)}; they must match")
    if shuffle:
        from .nn.module import _generator      # the generator ad.nn.manual_seed seeds
        rng = _generator(None) if seed is None else _rng(seed, "batches")
        order = rng.permutation(n)
    else:
        order = np.arange(n)
    stop = n - n % batch_size if drop_last else n
    return _iterate(X, y, order, stop, batch_size)


def _iterate(X, y, order, stop, batch_size):
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]
