"""PyTorch's samplers: which indices of a data set ``DataLoader`` reads, and in which
order.  ``SequentialSampler``, ``RandomSampler``, ``SubsetRandomSampler``,
``WeightedRandomSampler`` yield indices; ``BatchSampler`` groups them into lists.

Random samplers take ``generator=``: None draws from the generator
``ad.nn.manual_seed`` seeds (a new order at each ``iter``), an ``ad.Generator`` or a
``np.random.Generator`` goes on drawing from itself, and an int gives the same order
at every ``iter``.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from .generator import Generator, checked_seed


def _generator(seed, where) -> np.random.Generator:
    if seed is None:
        from .nn.module import _generator as layers_generator   # ad.nn.manual_seed's
        return layers_generator(None)
    if isinstance(seed, Generator):
        return seed.numpy_generator()
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{where}: seed must be None, an int, an ad.Generator or a "
                        f"np.random.Generator (so must generator=), got "
                        f"{type(seed).__name__} {seed!r}")
    return np.random.default_rng(checked_seed(seed, where))


def _positive_int(value, what, where) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{where}: {what} should be a positive integer value, but got "
                         f"{what}={value!r}")
    return int(value)


def _boolean(value, what, where) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: {what} should be a boolean value, but got "
                        f"{what}={value!r}")
    return bool(value)


class Sampler:
    """Base class: ``__iter__`` yields indices (or, for a batch sampler, lists of them);
    ``__len__`` says how many, when known.

    >>> class Evens(ad.data.Sampler):
    ...     def __init__(self, n): self.n = n
    ...     def __iter__(self): return iter(range(0, self.n, 2))
    ...     def __len__(self): return (self.n + 1) // 2
    >>> [b.tolist() for b in ad.data.DataLoader(list(range(10)), sampler=Evens(10),
    ...                                            batch_size=2)]
    [[0, 2], [4, 6], [8]]
    """

    def __init__(self, data_source=None):
        pass

    def __iter__(self) -> Iterator:
        raise NotImplementedError(f"{type(self).__name__} is a Sampler without __iter__; "
                                  "define __iter__(self) yielding indices")


class SequentialSampler(Sampler):
    """The indices ``0, 1, ..., len(data_source) - 1``, in order.

    >>> list(ad.data.SequentialSampler([7, 8, 9]))
    [0, 1, 2]
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Random indices of ``data_source``: a new permutation at each ``iter``, or with
    ``replacement`` independent uniform draws.  ``num_samples`` (default: the data
    set's length) indices per ``iter``; without replacement more than the length
    chains whole permutations, as in PyTorch.

    >>> sorted(ad.data.RandomSampler(range(5), generator=0))
    [0, 1, 2, 3, 4]
    >>> len(list(ad.data.RandomSampler(range(5), replacement=True, num_samples=12)))
    12
    """

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator=None):
        where = "RandomSampler"
        self.data_source = data_source
        self.replacement = _boolean(replacement, "replacement", where)
        self._num_samples = num_samples
        self.generator = generator
        _generator(generator, where)                # checked now, not at the first iter
        _positive_int(self.num_samples, "num_samples", where)

    @property
    def num_samples(self) -> int:
        # (as in PyTorch: the data set's length may change after the sampler is made)
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, count = len(self.data_source), self.num_samples
        rng = _generator(self.generator, "RandomSampler")
        if self.replacement:
            yield from rng.integers(0, n, size=count).tolist()
            return
        for _ in range(count // n):
            yield from rng.permutation(n).tolist()
        if count % n:
            yield from rng.permutation(n)[:count % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a new random order at each ``iter``.

    >>> sorted(ad.data.SubsetRandomSampler([3, 8, 5], generator=0))
    [3, 5, 8]
    """

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator
        _generator(generator, "SubsetRandomSampler")

    def __iter__(self) -> Iterator:
        order = _generator(self.generator, "SubsetRandomSampler").permutation(len(self.indices))
        for i in order.tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``
    (with ``replacement``, independently; without it, never the same index twice).

    >>> list(ad.data.WeightedRandomSampler([0.0, 1.0, 0.0], 3, generator=0))
    [1, 1, 1]
    """

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None):
        where = "WeightedRandomSampler"
        self.num_samples = _positive_int(num_samples, "num_samples", where)
        self.replacement = _boolean(replacement, "replacement", where)
        weights = np.asarray(weights.data if hasattr(weights, "_node") else weights,
                             dtype=np.float64)
        if weights.ndim != 1:
            raise ValueError(f"{where}: weights should be a 1d sequence but given weights "
                             f"have shape {weights.shape}")
        if not (np.all(np.isfinite(weights)) and np.all(weights >= 0)):
            raise ValueError(f"{where}: weights must be finite and >= 0, got {weights}")
        positive = int(np.count_nonzero(weights))
        if positive == 0:
            raise ValueError(f"{where}: the weights sum to 0; at least one must be positive")
        if not self.replacement and self.num_samples > positive:
            raise ValueError(f"{where}: cannot draw {self.num_samples} indices without "
                             f"replacement when only {positive} weights are positive")
        self.weights = weights
        self.generator = generator
        _generator(generator, where)

    def __iter__(self) -> Iterator[int]:
        rng = _generator(self.generator, "WeightedRandomSampler")
        chosen = rng.choice(len(self.weights), size=self.num_samples,
                            replace=self.replacement, p=self.weights / self.weights.sum())
        return iter(chosen.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """The indices of ``sampler`` grouped into lists of ``batch_size`` (the last one
    shorter, or dropped with ``drop_last``).

    >>> list(ad.data.BatchSampler(ad.data.SequentialSampler(range(5)), 2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        where = "BatchSampler"
        self.batch_size = _positive_int(batch_size, "batch_size", where)
        if not isinstance(drop_last, (bool, np.bool_)):
            raise ValueError(f"{where}: drop_last should be a boolean value, but got "
                             f"drop_last={drop_last!r}")
        self.sampler = sampler
        self.drop_last = bool(drop_last)

    def __iter__(self) -> Iterator[list]:
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
