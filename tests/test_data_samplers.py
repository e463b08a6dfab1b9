"""ad.data's PyTorch data utilities: Dataset, IterableDataset, ConcatDataset, StackDataset,
ChainDataset, the samplers, default_convert, get_worker_info, and DataLoader's sampler=,
batch_sampler= and iterable data sets with PyTorch's exclusions and len() rules (compared
with torch.utils.data when it is installed)."""

import collections

import numpy as np
import pytest

import autodiff as ad

data = ad.data
X = np.arange(20.0).reshape(10, 2)
Y = np.arange(10)


class Count(data.IterableDataset):
    def __init__(self, n, sized=True):
        self.n, self.sized = n, sized

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        if not self.sized:
            raise TypeError("no len")
        return self.n


class Squares(data.Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        return {"x": np.array([i, i * i], dtype=float), "label": i % 2}


# ----- data sets -------------------------------------------------------------------------

def test_concat_dataset_indexes_across_the_parts_and_from_the_end():
    parts = [data.TensorDataset(X[:3], Y[:3]), data.TensorDataset(X[3:3]),
             data.TensorDataset(X[3:], Y[3:])]
    ds = data.ConcatDataset(parts)
    assert len(ds) == 10 and ds.cumulative_sizes == [3, 3, 10]
    assert [int(ds[i][1]) for i in range(10)] == list(range(10))
    assert int(ds[-1][1]) == 9 and int(ds[-10][1]) == 0
    with pytest.raises(IndexError, match="ConcatDataset: index 10 is out of range for 10"):
        ds[10]
    with pytest.raises(IndexError, match="index -11"):
        ds[-11]
    both = Squares() + Squares()
    assert isinstance(both, data.ConcatDataset) and len(both) == 12
    assert both[7]["label"] == 1
    with pytest.raises(ValueError, match="ConcatDataset: datasets should not be an empty"):
        data.ConcatDataset([])
    with pytest.raises(TypeError, match="data set 1 is an IterableDataset"):
        data.ConcatDataset([Squares(), Count(3)])


def test_concat_dataset_matches_pytorch():
    torch_data = pytest.importorskip("torch.utils.data")
    parts = [[1, 2, 3], [], [4, 5]]
    ours, theirs = data.ConcatDataset(parts), torch_data.ConcatDataset(parts)
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-5, 5)] == [theirs[i] for i in range(-5, 5)]


def test_stack_dataset_gives_tuples_or_dicts():
    ds = data.StackDataset(X, Y)
    assert len(ds) == 10
    np.testing.assert_array_equal(ds[3][0], X[3]) and ds[3][1] == 3
    named = data.StackDataset(x=X, y=Y)
    assert set(named[2]) == {"x", "y"} and named[2]["y"] == 2
    batch = next(iter(data.DataLoader(named, batch_size=4)))
    np.testing.assert_array_equal(batch["x"], X[:4])
    with pytest.raises(ValueError, match=r"StackDataset: size mismatch .*\{0: 10, 1: 3\}"):
        data.StackDataset(X, Y[:3])
    with pytest.raises(ValueError, match="but both types are given"):
        data.StackDataset(X, y=Y)


def test_chain_dataset_and_iterable_addition():
    chained = Count(2) + Count(3)
    assert isinstance(chained, data.ChainDataset)
    assert list(chained) == [0, 1, 0, 1, 2] and len(chained) == 5
    with pytest.raises(TypeError, match="ChainDataset: data set 1 is a list, not an "
                                        "IterableDataset"):
        list(data.ChainDataset([Count(2), [1, 2]]))


def test_base_classes_say_what_to_define():
    with pytest.raises(NotImplementedError, match="define __getitem__"):
        data.Dataset()[0]
    with pytest.raises(NotImplementedError, match="define __iter__"):
        iter(data.IterableDataset())
    with pytest.raises(NotImplementedError, match="yielding indices"):
        iter(data.Sampler())
    assert isinstance(data.TensorDataset(X), data.Dataset)
    assert isinstance(data.Subset(data.TensorDataset(X), [1]), data.Dataset)
    assert data.get_worker_info() is None


# ----- samplers --------------------------------------------------------------------------

def test_sequential_and_batch_samplers():
    assert list(data.SequentialSampler(range(4))) == [0, 1, 2, 3]
    batches = data.BatchSampler(data.SequentialSampler(range(7)), 3, drop_last=False)
    assert list(batches) == [[0, 1, 2], [3, 4, 5], [6]] and len(batches) == 3
    dropped = data.BatchSampler(range(7), 3, drop_last=True)
    assert list(dropped) == [[0, 1, 2], [3, 4, 5]] and len(dropped) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, "
                                         "but got batch_size=0"):
        data.BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        data.BatchSampler(range(3), 2, 1)


def test_batch_sampler_matches_pytorch():
    torch_data = pytest.importorskip("torch.utils.data")
    for n in (0, 1, 6, 7):
        for size in (1, 3, 10):
            for drop in (False, True):
                ours = data.BatchSampler(range(n), size, drop)
                theirs = torch_data.BatchSampler(range(n), size, drop)
                assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_random_sampler_permutes_and_repeats_by_seed():
    sampler = data.RandomSampler(range(10), generator=3)
    first = list(sampler)
    assert sorted(first) == list(range(10)) and first != list(range(10))
    assert list(sampler) == first                       # an int: the same order each time
    rng_sampler = data.RandomSampler(range(10), generator=np.random.default_rng(3))
    assert list(rng_sampler) == first and list(rng_sampler) != first   # goes on drawing
    ad.nn.manual_seed(4)
    default = data.RandomSampler(range(10))
    a, b = list(default), list(default)
    ad.nn.manual_seed(4)
    assert list(default) == a and a != b


def test_random_sampler_num_samples_and_replacement():
    more = list(data.RandomSampler(range(4), num_samples=10, generator=0))
    assert len(more) == 10
    assert sorted(more[:4]) == sorted(more[4:8]) == [0, 1, 2, 3]   # whole permutations first
    assert len(set(more[8:])) == 2
    drawn = list(data.RandomSampler(range(3), replacement=True, num_samples=3000, generator=0))
    counts = np.bincount(drawn, minlength=3)
    assert len(drawn) == 3000 and np.all(np.abs(counts - 1000) < 120)
    assert len(data.RandomSampler(range(4), replacement=True, num_samples=9)) == 9
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, "
                                         "but got num_samples=0"):
        data.RandomSampler(range(4), num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean value, but got "
                                        "replacement=1"):
        data.RandomSampler(range(4), replacement=1)
    with pytest.raises(TypeError, match="seed must be None, an int"):
        data.RandomSampler(range(4), generator="x")


def test_subset_random_sampler_and_weighted_random_sampler():
    sub = data.SubsetRandomSampler([3, 8, 5, 1], generator=1)
    assert sorted(sub) == [1, 3, 5, 8] and len(sub) == 4
    weighted = data.WeightedRandomSampler([1.0, 3.0, 0.0], 4000, generator=0)
    counts = np.bincount(list(weighted), minlength=3)
    assert counts[2] == 0 and abs(counts[1] / 4000 - 0.75) < 0.03 and len(weighted) == 4000
    distinct = list(data.WeightedRandomSampler([1.0, 1.0, 5.0, 0.0], 3, replacement=False,
                                               generator=0))
    assert sorted(distinct) == [0, 1, 2]
    with pytest.raises(ValueError, match="cannot draw 3 indices without replacement when "
                                         "only 2 weights are positive"):
        data.WeightedRandomSampler([1.0, 0.0, 1.0], 3, replacement=False)
    with pytest.raises(ValueError, match=r"weights should be a 1d sequence but given weights "
                                         r"have shape \(2, 2\)"):
        data.WeightedRandomSampler(np.ones((2, 2)), 3)
    with pytest.raises(ValueError, match="weights must be finite and >= 0"):
        data.WeightedRandomSampler([1.0, -1.0], 3)
    with pytest.raises(ValueError, match="the weights sum to 0"):
        data.WeightedRandomSampler([0.0, 0.0], 3)


def test_default_convert():
    Pair = collections.namedtuple("Pair", "a b")
    out = data.default_convert([Pair(np.float32(1.5), "s"), {"k": (np.int64(3), 2.0)}])
    assert isinstance(out, list) and isinstance(out[0], Pair)
    assert isinstance(out[0].a, np.ndarray) and out[0].a.dtype == np.float32
    assert out[0].a.shape == () and out[0].b == "s"
    assert isinstance(out[1]["k"][0], np.ndarray) and out[1]["k"][1] == 2.0
    array = np.ones(3)
    assert data.default_convert(array) is array


# ----- DataLoader with samplers and iterable data sets -------------------------------------

def test_a_sampler_chooses_the_indices():
    loader = data.DataLoader(data.TensorDataset(X, Y), batch_size=3,
                             sampler=data.SubsetRandomSampler([9, 1, 4, 6], generator=0))
    labels = np.concatenate([yb for _, yb in loader])
    assert sorted(labels) == [1, 4, 6, 9] and len(loader) == 2
    for xb, yb in loader:
        np.testing.assert_array_equal(xb, X[yb])
    unbatched = data.DataLoader(Squares(), batch_size=None,
                                sampler=data.SequentialSampler(range(3)))
    assert [e["label"] for e in unbatched] == [0, 1, 0] and len(unbatched) == 3


def test_a_batch_sampler_chooses_the_batches():
    batch_sampler = [[0, 5], [2], [9, 8, 7]]
    loader = data.DataLoader(Squares() + Squares(), batch_sampler=batch_sampler)
    assert len(loader) == 3 and loader.batch_size is None
    assert [b["label"].tolist() for b in loader] == [[0, 1], [0], [1, 0, 1]]
    tensors = data.DataLoader(data.TensorDataset(X, Y),
                              batch_sampler=data.BatchSampler(range(10), 4, drop_last=True))
    assert [yb.tolist() for _, yb in tensors] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_the_shuffled_order_is_the_random_sampler_of_the_same_seed():
    loader = data.DataLoader(data.TensorDataset(X, Y), batch_size=4, shuffle=True, seed=7)
    assert isinstance(loader.sampler, data.RandomSampler)
    assert isinstance(loader.batch_sampler, data.BatchSampler)
    order = np.concatenate([yb for _, yb in loader]).tolist()
    assert order == list(data.RandomSampler(range(10), generator=7))
    assert [b for b in loader.batch_sampler] == [order[:4], order[4:8], order[8:]]


def test_an_iterable_dataset_is_read_in_its_order():
    assert [b.tolist() for b in data.DataLoader(Count(7), batch_size=3)] == \
        [[0, 1, 2], [3, 4, 5], [6]]
    dropping = data.DataLoader(Count(7), batch_size=3, drop_last=True)
    assert len(dropping) == 2 and len(list(dropping)) == 2
    assert len(data.DataLoader(Count(7), batch_size=3)) == 3
    assert list(data.DataLoader(Count(3), batch_size=None)) == [0, 1, 2]
    assert [b.tolist() for b in data.DataLoader(Count(2) + Count(2), batch_size=3)] == \
        [[0, 1, 0], [1]]
    with pytest.raises(TypeError, match="IterableDataset Count has no len"):
        len(data.DataLoader(Count(3, sized=False)))
    assert list(data.DataLoader(Count(3), batch_size=None, collate_fn=lambda e: e * 10)) == \
        [0, 10, 20]


@pytest.mark.parametrize("kwargs,message", [
    (dict(shuffle=True), r"DataLoader with IterableDataset: expected unspecified shuffle "
                         r"option, but got shuffle=True"),
    (dict(sampler=[0]), r"expected unspecified sampler option"),
    (dict(batch_sampler=[[0]]), r"expected unspecified batch_sampler option"),
])
def test_an_iterable_dataset_refuses_an_order(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.DataLoader(Count(3), **kwargs)


@pytest.mark.parametrize("kwargs,message", [
    (dict(sampler=[0, 1], shuffle=True), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], shuffle=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], sampler=[0]), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], drop_last=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
    (dict(num_workers=-1), "num_workers option should be non-negative"),
])
def test_exclusive_options_are_refused_as_in_pytorch(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.DataLoader(data.TensorDataset(X), **kwargs)
    torch_data = pytest.importorskip("torch.utils.data")
    with pytest.raises(ValueError, match=message):
        torch_data.DataLoader(list(range(10)), **kwargs)


def test_a_sampler_given_positionally_is_refused():
    with pytest.raises(TypeError, match="the fourth positional argument is drop_last here "
                                        r"\(PyTorch's is sampler\)"):
        data.DataLoader(data.TensorDataset(X), 2, False, data.SequentialSampler(X))


def test_an_empty_dataset_gives_empty_epochs_even_shuffled():
    empty = data.TensorDataset(np.zeros((0, 2)))
    for shuffle in (False, True):
        loader = data.DataLoader(empty, batch_size=2, shuffle=shuffle)
        assert len(loader) == 0 and list(loader) == []
    with pytest.raises(ValueError, match="RandomSampler: num_samples should be a positive"):
        data.RandomSampler(empty)                       # as PyTorch's


def test_num_workers_gives_the_same_batches():
    ds = data.TensorDataset(X, Y)
    plain = [yb.tolist() for _, yb in data.DataLoader(ds, batch_size=3, shuffle=True, seed=2)]
    workers = data.DataLoader(ds, batch_size=3, shuffle=True, seed=2, num_workers=2)
    assert [yb.tolist() for _, yb in workers] == plain


def test_lengths_and_batches_match_pytorch_for_sequential_loaders():
    torch = pytest.importorskip("torch")
    torch_data = torch.utils.data
    values = list(range(11))
    for kwargs in (dict(batch_size=3), dict(batch_size=3, drop_last=True),
                   dict(batch_size=None), dict(sampler=[4, 2, 9], batch_size=2),
                   dict(batch_sampler=[[1, 2], [7]])):
        ours = data.DataLoader(values, **kwargs)
        theirs = torch_data.DataLoader(values, **kwargs)
        assert len(ours) == len(theirs)
        assert [np.asarray(b).tolist() for b in ours] == \
            [np.asarray(b).tolist() for b in theirs], kwargs

    class TorchCount(torch_data.IterableDataset):
        def __iter__(self):
            return iter(range(7))

        def __len__(self):
            return 7

    for kwargs in (dict(batch_size=3), dict(batch_size=3, drop_last=True)):
        ours, theirs = data.DataLoader(Count(7), **kwargs), \
            torch_data.DataLoader(TorchCount(), **kwargs)
        assert len(ours) == len(theirs)
        assert [b.tolist() for b in ours] == [b.tolist() for b in theirs]
