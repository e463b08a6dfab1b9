"""PyTorch's data set classes: ``Dataset`` and ``IterableDataset`` (the base classes),
``ConcatDataset``, ``StackDataset`` and ``ChainDataset``.

A map-style data set has ``len()`` and integer indexing (one example per index); an
iterable data set yields its examples one after the other.  ``a + b`` concatenates
two data sets of the same style, as in PyTorch.
"""

from __future__ import annotations

import bisect
from typing import Iterator


class Dataset:
    """Base class of map-style data sets: subclasses define ``__getitem__`` (and
    ``__len__``, which ``DataLoader`` and the samplers need).  ``a + b`` is
    ``ConcatDataset([a, b])``.

    >>> class Squares(ad.data.Dataset):
    ...     def __len__(self): return 3
    ...     def __getitem__(self, i): return i * i
    >>> both = Squares() + Squares()
    >>> len(both), both[4]
    (6, 1)
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} is a Dataset without __getitem__; "
                                  "define __getitem__(self, index) returning one example")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base class of data sets read as a stream: subclasses define ``__iter__``.
    ``DataLoader`` takes its examples in the order they come (no ``shuffle`` or
    sampler); ``a + b`` is ``ChainDataset([a, b])``.

    >>> class Count(ad.data.IterableDataset):
    ...     def __iter__(self): return iter(range(5))
    >>> [b.tolist() for b in ad.data.DataLoader(Count(), batch_size=2)]
    [[0, 1], [2, 3], [4]]
    """

    def __iter__(self) -> Iterator:
        raise NotImplementedError(f"{type(self).__name__} is an IterableDataset without "
                                  "__iter__; define __iter__(self) yielding the examples")

    def __add__(self, other) -> "ChainDataset":
        return ChainDataset([self, other])


class ConcatDataset(Dataset):
    """The examples of several map-style data sets one after the other.

    >>> ds = ad.data.ConcatDataset([[1, 2], [3, 4, 5]])
    >>> len(ds), ds[2], ds[-1], ds.cumulative_sizes
    (5, 3, 5, [2, 5])
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for i, dataset in enumerate(self.datasets):
            if isinstance(dataset, IterableDataset):
                raise TypeError(f"ConcatDataset: data set {i} is an IterableDataset, which "
                                "has no indices; chain iterable data sets with ChainDataset")
        self.cumulative_sizes = []
        total = 0
        for dataset in self.datasets:
            total += len(dataset)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for {n} examples")
        if index < 0:
            index += n
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


class StackDataset(Dataset):
    """Example ``i`` of several data sets of the same length together: a tuple of them
    (given as positional arguments) or a dict (given as keywords).

    >>> ds = ad.data.StackDataset(image=[10, 20], label=[0, 1])
    >>> len(ds), ds[1]
    (2, {'image': 20, 'label': 1})
    """

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("StackDataset: supported either tuple-like (positional "
                             "arguments) or dict-like (keyword arguments) input/output, "
                             "but both types are given")
        if not args and not kwargs:
            raise ValueError("StackDataset: give at least one data set")
        self.datasets = args if args else kwargs
        parts = list(args) if args else list(kwargs.values())
        lengths = [len(dataset) for dataset in parts]
        if len(set(lengths)) != 1:
            names = list(range(len(args))) if args else list(kwargs)
            raise ValueError(f"StackDataset: size mismatch between the data sets: lengths "
                             f"{dict(zip(names, lengths))}; they must all be equal")
        self._length = lengths[0]

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {key: dataset[index] for key, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)


class ChainDataset(IterableDataset):
    """The examples of several iterable data sets, one stream after the other.

    >>> class Count(ad.data.IterableDataset):
    ...     def __init__(self, n): self.n = n
    ...     def __iter__(self): return iter(range(self.n))
    >>> list(ad.data.ChainDataset([Count(2), Count(3)]))
    [0, 1, 0, 1, 2]
    """

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self) -> Iterator:
        for i, dataset in enumerate(self.datasets):
            if not isinstance(dataset, IterableDataset):
                raise TypeError(f"ChainDataset: data set {i} is a {type(dataset).__name__}, "
                                "not an IterableDataset (ChainDataset only supports "
                                "IterableDataset; concatenate map-style ones with "
                                "ConcatDataset)")
            yield from dataset

    def __len__(self) -> int:
        total = 0
        for i, dataset in enumerate(self.datasets):
            if not isinstance(dataset, IterableDataset):
                raise TypeError(f"ChainDataset: data set {i} is a {type(dataset).__name__}, "
                                "not an IterableDataset")
            total += len(dataset)
        return total


def get_worker_info():
    """Always ``None``: data is loaded in the main process (there are no workers), as
    PyTorch's ``get_worker_info`` answers there.

    >>> ad.data.get_worker_info() is None
    True
    """
    return None
