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

from .data_samplers import BatchSampler, RandomSampler, SequentialSampler, _generator
from .data_sets import Dataset, IterableDataset
from .tensor import Tensor


def _rows(value) -> int:
    shape = np.shape(value.data if isinstance(value, Tensor) else value)
    if not shape:
        raise ValueError(f"TensorDataset: every array needs a first axis of examples, got "
                         f"a 0-d {type(value).__name__}")
    return shape[0]


class TensorDataset(Dataset):
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


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices``, in that order.

    >>> sub = ad.data.Subset(ad.data.TensorDataset(np.arange(5.0)), [4, 0])
    >>> len(sub), sub[0]
    (2, (np.float64(4.0),))
    """

    def __init__(self, dataset, indices: Sequence[int]):
        self.dataset = dataset
        rows = np.asarray(indices, dtype=np.int64).reshape(-1)
        # A list stays the list it was (PyTorch's Subset keeps what it is given, and
        # random_split's subsets hold lists), so `a.indices + b.indices` joins them.
        self.indices = indices if isinstance(indices, list) else rows
        n = len(dataset)
        if rows.size and (rows.min() < -n or rows.max() >= n):
            raise IndexError(f"Subset: indices must lie in [-{n}, {n}) for a data set of "
                             f"{n} examples, got [{rows.min()}, {rows.max()}]")

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        if isinstance(index, (list, np.ndarray)):
            return self.dataset[np.asarray(self.indices, dtype=np.int64)[np.asarray(index)]]
        return self.dataset[int(self.indices[index])]


def random_split(dataset, lengths: Sequence[float], seed=None, *,
                 generator=None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given lengths,
    or fractions summing to 1 (the remainder goes one by one to the first subsets, as
    in PyTorch).  ``seed`` as in ``DataLoader``; ``generator=`` (PyTorch's name) takes
    the same values (an ``ad.Generator``, a ``np.random.Generator`` or an int).

    >>> train, test = ad.data.random_split(ad.data.TensorDataset(np.arange(10.0)), [0.8, 0.2])
    >>> len(train), len(test)
    (8, 2)
    """
    if generator is not None:
        if seed is not None:
            raise TypeError("random_split: give seed= or generator=, not both")
        seed = generator
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
    return [Subset(dataset, order[a:b].tolist()) for a, b in zip(starts[:-1], starts[1:])]


def default_collate(examples: list) -> Any:
    """Stack a list of examples field by field: a tuple or list of fields gives a list
    of the fields' batches (PyTorch's; named tuples keep their type), dicts stay dicts,
    strings a list of them, NumPy arrays and scalars one array with a new first axis,
    tensors one tensor (``ad.stack``, which keeps their history), and Python numbers a
    tensor, as
    PyTorch collates them (a dataset returning ``(image_tensor, int_label)`` gives a
    tensor of labels, int64 or float64).

    >>> default_collate([(np.zeros(2), np.int64(1)), (np.ones(2), np.int64(0))])
    [array([[0., 0.],
           [1., 1.]]), array([1, 0])]
    >>> default_collate([(ad.zeros(2), 1), (ad.ones(2), 0)])
    [tensor([[0., 0.],
            [1., 1.]]), tensor([1, 0])]
    >>> from collections import namedtuple
    >>> Pair = namedtuple("Pair", "x name")
    >>> default_collate([Pair(1.5, "a"), Pair(2.5, "b")])
    Pair(x=tensor([1.5, 2.5]), name=['a', 'b'])
    """
    first = examples[0]
    if isinstance(first, (tuple, list)):
        kind = type(first).__name__
        if any(not isinstance(e, (tuple, list)) or len(e) != len(first) for e in examples):
            raise TypeError("DataLoader: the examples of a batch differ in structure; each "
                            f"must be a {kind} of {len(first)} fields like the first")
        fields = [default_collate([e[i] for e in examples]) for i in range(len(first))]
        # a named tuple keeps its type (batch.x), as in PyTorch; a plain tuple or a
        # list gives a list of the fields' batches, as PyTorch's (``x, y = batch``)
        return type(first)(*fields) if hasattr(first, "_fields") else fields
    if isinstance(first, (str, bytes)):
        return list(examples)           # strings are kept as they are, in a list
    if isinstance(first, dict):
        return {key: default_collate([e[key] for e in examples]) for key in first}
    if isinstance(first, Tensor):
        from .ops.shape import stack
        return stack(examples, axis=0)
    if isinstance(first, (bool, int, float)) and all(
            isinstance(e, (bool, int, float)) for e in examples):
        return Tensor(np.array(examples, dtype=_python_number_dtype(examples)))
    try:
        return np.stack([np.asarray(e) for e in examples])
    except ValueError as error:
        raise ValueError(f"DataLoader: cannot stack the examples of a batch ({error}); give "
                         "examples of one shape, or a collate_fn that pads them") from None


def _python_number_dtype(numbers):
    """PyTorch's dtype for collated Python numbers: bool, int64, else float64."""
    if all(isinstance(n, bool) for n in numbers):
        return np.bool_
    return np.int64 if all(isinstance(n, int) for n in numbers) else np.float64


def default_convert(data) -> Any:
    """Turn NumPy scalars into 0-d arrays, through tuples, named tuples, lists and dicts;
    arrays, tensors, numbers and strings are kept.  PyTorch's ``default_convert``
    makes tensors of NumPy data; here batches are NumPy arrays, so it is the same
    walk ending in arrays.

    >>> default_convert({"x": np.float64(1.5), "ids": [np.int64(2), "a"]})
    {'x': array(1.5), 'ids': [array(2), 'a']}
    """
    if isinstance(data, np.generic) and data.dtype.kind not in "USO":
        return np.asarray(data)
    if isinstance(data, dict):
        converted = {key: default_convert(value) for key, value in data.items()}
        return converted if type(data) is dict else type(data)(converted)
    if isinstance(data, tuple) and hasattr(data, "_fields"):          # a named tuple
        return type(data)(*(default_convert(value) for value in data))
    if isinstance(data, (tuple, list)):
        return type(data)(default_convert(value) for value in data)
    return data


class DataLoader:
    """Mini-batches of a data set, as ``torch.utils.data.DataLoader`` (one process).

    ``batch_size`` examples per batch (``drop_last`` drops a short last one; ``None``
    gives the examples one by one, through ``collate_fn`` when one is given);
    ``shuffle`` draws a new order each epoch (each ``iter``) from the generator
    ``ad.nn.manual_seed`` seeds, or from ``seed`` or ``generator=`` (an int gives the
    same order every epoch; an ``ad.Generator`` or a ``np.random.Generator`` goes on
    drawing); ``collate_fn`` turns a list of
    examples into a batch (default: ``default_collate``).

    As in PyTorch, ``sampler=`` chooses the indices (instead of ``shuffle``) and
    ``batch_sampler=`` the lists of indices of each batch (instead of ``batch_size``,
    ``shuffle``, ``sampler`` and ``drop_last``); an ``IterableDataset`` is read in the
    order it yields its examples (no ``shuffle`` or sampler).  ``len(loader)`` counts
    the batches: of the batch sampler, or of an iterable data set's ``len()``.  These
    two are keyword arguments here: the fourth positional one is ``drop_last``.
    ``num_workers`` is accepted and the data are still loaded in this process (the
    batches are the same; ``get_worker_info()`` is None), and so are the options of
    PyTorch's worker processes and device copies, which change nothing here:
    ``pin_memory``, ``timeout``, ``worker_init_fn`` (never called: there is no worker),
    ``multiprocessing_context``, ``prefetch_factor``, ``persistent_workers``,
    ``pin_memory_device`` and ``in_order``.

    >>> X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    >>> loader = ad.data.DataLoader(ad.data.TensorDataset(X, y), batch_size=2)
    >>> len(loader), [yb.tolist() for _, yb in loader]
    (3, [[0, 1], [2, 3], [4]])
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = False,
                 drop_last: bool = False, collate_fn: Callable | None = None, seed=None,
                 generator=None, *, sampler=None, batch_sampler=None, num_workers: int = 0,
                 pin_memory: bool = False, timeout: float = 0, worker_init_fn=None,
                 multiprocessing_context=None, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True):
        where = "DataLoader"
        if batch_size is not None and (isinstance(batch_size, bool) or
                                       not isinstance(batch_size, (int, np.integer))
                                       or batch_size < 1):
            raise ValueError(f"DataLoader: batch_size must be a positive int or None, got "
                             f"{batch_size!r}")
        if not isinstance(drop_last, (bool, np.bool_)):
            raise TypeError(f"{where}: drop_last must be True or False, got "
                            f"{type(drop_last).__name__}; the fourth positional argument is "
                            "drop_last here (PyTorch's is sampler): pass sampler= and "
                            "batch_sampler= by keyword")
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)) \
                or num_workers < 0:
            raise ValueError(f"{where}: num_workers option should be non-negative; got "
                             f"{num_workers!r}")
        # PyTorch's checks of the worker options, so that a script refused there is
        # refused here too; otherwise these options change nothing in one process.
        if timeout < 0:
            raise ValueError(f"{where}: timeout option should be non-negative; got {timeout!r}")
        if num_workers == 0 and (prefetch_factor is not None or persistent_workers):
            raise ValueError(f"{where}: prefetch_factor and persistent_workers need "
                             "num_workers > 0 (as in PyTorch); leave them out")
        if generator is not None and seed is not None:
            raise TypeError("DataLoader: give seed= or generator=, not both")
        if isinstance(dataset, IterableDataset):
            for name, value in (("shuffle", shuffle), ("sampler", sampler),
                                ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(f"{where} with IterableDataset: expected unspecified "
                                     f"{name} option, but got {name}={value!r} (an iterable "
                                     "data set chooses its own order)")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError(f"{where}: sampler option is mutually exclusive with shuffle "
                             "(a sampler chooses the order; use RandomSampler to shuffle)")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(f"{where}: batch_sampler option is mutually exclusive with "
                                 "batch_size, shuffle, sampler, and drop_last (the batch "
                                 "sampler chooses every batch)")
            batch_size = None
        elif batch_size is None and drop_last:
            raise ValueError(f"{where}: batch_size=None option disables auto-batching and is "
                             "mutually exclusive with drop_last")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.num_workers = int(num_workers)
        self.seed = seed if generator is None else generator
        _generator(self.seed, "DataLoader")      # checked now, not at the first epoch
        # (the default samplers are described here; __iter__ draws their order as arrays)
        self._default_sampler = sampler is None and batch_sampler is None
        if sampler is None and not isinstance(dataset, IterableDataset):
            # (an empty data set gives empty epochs, shuffled or not, as it always did
            # here; PyTorch's RandomSampler refuses it)
            sampler = (RandomSampler(dataset, generator=self.seed)
                       if shuffle and len(dataset) else SequentialSampler(dataset))
        self.sampler = sampler
        if batch_sampler is None and batch_size is not None and sampler is not None:
            batch_sampler = BatchSampler(sampler, batch_size, self.drop_last)
        self.batch_sampler = batch_sampler

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            try:
                n = len(self.dataset)
            except TypeError:
                raise TypeError(f"DataLoader: the IterableDataset "
                                f"{type(self.dataset).__name__} has no len(), so neither "
                                "has the loader; define __len__ on it") from None
        else:
            return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator:
        if isinstance(self.dataset, IterableDataset):
            return self._stream()
        if not self._default_sampler:
            return self._sampled()
        return self._indexed()

    def _indexed(self):
        n = len(self.dataset)
        order = (_generator(self.seed, "DataLoader").permutation(n) if self.shuffle
                 else np.arange(n))
        if self.batch_size is None:
            for i in order:
                yield self._one(self.dataset[int(i)])
            return
        stop = n - n % self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            yield self._batch(order[start:start + self.batch_size])

    def _sampled(self):
        if self.batch_sampler is None:
            for index in self.sampler:
                yield self._one(self.dataset[index])
            return
        for rows in self.batch_sampler:
            yield self._batch(rows)

    def _stream(self):
        if self.batch_size is None:
            for example in self.dataset:
                yield self._one(example)
            return
        collate = self.collate_fn or default_collate
        batch = []
        for example in self.dataset:
            batch.append(example)
            if len(batch) == self.batch_size:
                yield collate(batch)
                batch = []
        if batch and not self.drop_last:
            yield collate(batch)

    def _one(self, example):
        return example if self.collate_fn is None else self.collate_fn(example)

    def _batch(self, rows):
        if isinstance(self.dataset, TensorDataset) and self.collate_fn is None:
            # one fancy index per array, no per-example loop; a list, as collated
            return list(self.dataset[np.asarray(rows, dtype=np.int64)])
        collate = self.collate_fn or default_collate
        return collate([self.dataset[_index(i)] for i in rows])


def _index(i):
    """A NumPy integer index as a Python int (data sets written by hand expect one)."""
    return int(i) if isinstance(i, np.integer) else i
