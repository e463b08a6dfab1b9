"""PyTorch's data utilities over NumPy arrays: ``TensorDataset``, ``Subset``,
``random_split`` and ``DataLoader``.

A data set is anything with ``len()`` and integer indexing that returns one example
(a tuple of fields, a dict, an array or a number).  ``DataLoader`` draws a new order
every epoch when ``shuffle=True`` (from the generator ``ad.nn.manual_seed`` seeds, or
from ``seed=``), and stacks the examples of a batch field by field, as PyTorch's
default collate does, except that it gives NumPy arrays (which every op takes) rather
than tensors.  A ``TensorDataset`` is cut into batches by one fancy index per array,
without building the examples one by one.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .tensor import Tensor


def _rows(value) -> int:
    shape = np.shape(value.data if isinstance(value, Tensor) else value)
    if not shape:
        raise ValueError(f"TensorDataset: every array needs a first axis of examples, got "
                         f"a 0-d {type(value).__name__}")
    return shape[0]


class TensorDataset:
    """Examples ``i`` of arrays (or tensors) that share their first axis.

    >>> ds = ad.data.TensorDataset(np.arange(6.0).reshape(3, 2), np.array([0, 1, 0]))
    >>> len(ds), ds[1]
    (3, (array([2., 3.]), np.int64(1)))
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset: give at least one array")
        arrays = tuple(np.asarray(a) if isinstance(a, (list, tuple)) else a for a in arrays)
        sizes = [_rows(a) for a in arrays]
        if len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset: the arrays have {sizes} examples (first axis); "
                             "they must all have the same number")
        self.tensors = arrays

    def __len__(self) -> int:
        return _rows(self.tensors[0])

    def __getitem__(self, index):
        return tuple(a[index] for a in self.tensors)


class Subset:
    """The examples of ``dataset`` at ``indices``, in that order.

    >>> sub = ad.data.Subset(ad.data.TensorDataset(np.arange(5.0)), [4, 0])
    >>> len(sub), sub[0]
    (2, (np.float64(4.0),))
    """

    def __init__(self, dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(dataset)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset: indices must lie in [-{n}, {n}) for a data set of "
                             f"{n} examples, got [{self.indices.min()}, {self.indices.max()}]")

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        if isinstance(index, (list, np.ndarray)):
            return self.dataset[self.indices[np.asarray(index)]]
        return self.dataset[int(self.indices[index])]


def random_split(dataset, lengths: Sequence[float], seed=None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given lengths,
    or fractions summing to 1 (the remainder goes one by one to the first subsets, as
    in PyTorch).  ``seed`` as in ``DataLoader``.

    >>> train, test = ad.data.random_split(ad.data.TensorDataset(np.arange(10.0)), [0.8, 0.2])
    >>> len(train), len(test)
    (8, 2)
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(v, float) for v in lengths) and \
            math.isclose(sum(lengths), 1.0) and sum(lengths) <= 1:
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    else:
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0
                   for v in lengths):
            raise ValueError(f"random_split: lengths must be non-negative ints summing to "
                             f"{n}, or fractions summing to 1, got {lengths}")
        counts = [int(v) for v in lengths]
    if sum(counts) != n:
        raise ValueError(f"random_split: the lengths {lengths} add up to {sum(counts)}, but "
                         f"the data set has {n} examples")
    order = _generator(seed, "random_split").permutation(n)
    starts = np.cumsum([0] + counts)
    return [Subset(dataset, order[a:b]) for a, b in zip(starts[:-1], starts[1:])]


def default_collate(examples: list) -> Any:
    """Stack a list of examples field by field: tuples stay tuples, dicts stay dicts,
    arrays and numbers become one array with a new first axis (``ad.stack`` for
    tensors, which keeps their history).

    >>> default_collate([(np.zeros(2), 1), (np.ones(2), 0)])
    (array([[0., 0.],
           [1., 1.]]), array([1, 0]))
    """
    first = examples[0]
    if isinstance(first, tuple):
        if any(not isinstance(e, tuple) or len(e) != len(first) for e in examples):
            raise TypeError("DataLoader: the examples of a batch differ in structure; each "
                            f"must be a tuple of {len(first)} fields like the first")
        return tuple(default_collate([e[i] for e in examples]) for i in range(len(first)))
    if isinstance(first, dict):
        return {key: default_collate([e[key] for e in examples]) for key in first}
    if isinstance(first, Tensor):
        from .ops.shape import stack
        return stack(examples, axis=0)
    try:
        return np.stack([np.asarray(e) for e in examples])
    except ValueError as error:
        raise ValueError(f"DataLoader: cannot stack the examples of a batch ({error}); give "
                         "examples of one shape, or a collate_fn that pads them") from None


class DataLoader:
    """Mini-batches of a data set, as ``torch.utils.data.DataLoader`` (one process).

    ``batch_size`` examples per batch (``drop_last`` drops a short last one);
    ``shuffle`` draws a new order each epoch (each ``iter``) from the generator
    ``ad.nn.manual_seed`` seeds, or from ``seed`` (an int gives the same order every
    epoch; a ``np.random.Generator`` goes on drawing); ``collate_fn`` turns a list of
    examples into a batch (default: ``default_collate``).

    >>> X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    >>> loader = ad.data.DataLoader(ad.data.TensorDataset(X, y), batch_size=2)
    >>> len(loader), [yb.tolist() for _, yb in loader]
    (3, [[0, 1], [2, 3], [4]])
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool = False,
                 drop_last: bool = False, collate_fn: Callable | None = None, seed=None,
                 generator=None):
        if batch_size is not None and (isinstance(batch_size, bool) or
                                       not isinstance(batch_size, (int, np.integer))
                                       or batch_size < 1):
            raise ValueError(f"DataLoader: batch_size must be a positive int or None, got "
                             f"{batch_size!r}")
        if generator is not None and seed is not None:
            raise TypeError("DataLoader: give seed= or generator=, not both")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.seed = seed if generator is None else generator
        _generator(self.seed, "DataLoader")      # checked now, not at the first epoch

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator:
        n = len(self.dataset)
        order = (_generator(self.seed, "DataLoader").permutation(n) if self.shuffle
                 else np.arange(n))
        if self.batch_size is None:
            for i in order:
                yield self.dataset[int(i)]
            return
        stop = n - n % self.batch_size if self.drop_last else n
        whole = isinstance(self.dataset, TensorDataset) and self.collate_fn is None
        for start in range(0, stop, self.batch_size):
            rows = order[start:start + self.batch_size]
            if whole:                   # one fancy index per array, no per-example loop
                yield self.dataset[rows]
            else:
                collate = self.collate_fn or default_collate
                yield collate([self.dataset[int(i)] for i in rows])


def _generator(seed, where) -> np.random.Generator:
    if seed is None:
        from .nn.module import _generator as layers_generator   # ad.nn.manual_seed's
        return layers_generator(None)
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{where}: seed must be None, an int or a np.random.Generator, got "
                        f"{type(seed).__name__} {seed!r}")
    return np.random.default_rng(seed)
