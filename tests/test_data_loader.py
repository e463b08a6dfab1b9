"""ad.data.DataLoader, TensorDataset, Subset and random_split (PyTorch's names)."""

import numpy as np
import pytest

import autodiff as ad

data = ad.data
X = np.arange(20.0).reshape(10, 2)
Y = np.arange(10)


def _epoch(loader):
    return np.concatenate([yb for _, yb in loader])


def test_batches_cover_the_data_once_in_order_without_shuffle():
    loader = data.DataLoader(data.TensorDataset(X, Y), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [len(yb) for _, yb in batches] == [4, 4, 2]
    np.testing.assert_array_equal(batches[1][0], X[4:8])
    np.testing.assert_array_equal(_epoch(loader), Y)


def test_drop_last():
    loader = data.DataLoader(data.TensorDataset(X, Y), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [len(yb) for _, yb in loader] == [4, 4]


def test_shuffle_draws_a_new_order_each_epoch_and_repeats_after_manual_seed():
    loader = data.DataLoader(data.TensorDataset(X, Y), batch_size=3, shuffle=True)
    ad.nn.manual_seed(3)
    first, second = _epoch(loader), _epoch(loader)
    assert sorted(first) == list(Y) and sorted(second) == list(Y)
    assert not np.array_equal(first, second)
    ad.nn.manual_seed(3)
    np.testing.assert_array_equal(_epoch(loader), first)


def test_an_int_seed_gives_the_same_order_every_epoch():
    loader = data.DataLoader(data.TensorDataset(X, Y), batch_size=3, shuffle=True, seed=5)
    order = _epoch(loader)
    assert not np.array_equal(order, Y)
    np.testing.assert_array_equal(_epoch(loader), order)


def test_examples_and_labels_stay_paired_when_shuffled():
    loader = data.DataLoader(data.TensorDataset(X, Y), batch_size=3, shuffle=True, seed=1)
    for xb, yb in loader:
        np.testing.assert_array_equal(xb, X[yb])


class Squares:
    """A data set written by hand: dict examples built one by one."""

    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"x": np.array([i, i * i], dtype=float), "label": i % 2}


def test_a_hand_written_dataset_is_collated_field_by_field():
    batch = next(iter(data.DataLoader(Squares(), batch_size=3)))
    np.testing.assert_array_equal(batch["x"], [[0, 0], [1, 1], [2, 4]])
    np.testing.assert_array_equal(batch["label"], [0, 1, 0])
    assert [len(b["label"]) for b in data.DataLoader(Squares(), batch_size=2)] == [2, 2, 1]
    unbatched = list(data.DataLoader(Squares(), batch_size=None))
    assert len(unbatched) == 5 and unbatched[2]["label"] == 0


def test_collate_fn_and_tensor_fields_keep_their_history():
    w = ad.tensor(np.ones(2), requires_grad=True)
    items = [(w * float(i),) for i in range(4)]
    (stacked,) = next(iter(data.DataLoader(items, batch_size=4)))
    stacked.sum().backward()
    np.testing.assert_array_equal(w.grad, [6.0, 6.0])
    lengths = data.DataLoader(Squares(), batch_size=2, collate_fn=len)
    assert list(lengths) == [2, 2, 1]


def test_random_split_is_a_disjoint_cover():
    dataset = data.TensorDataset(X, Y)
    parts = data.random_split(dataset, [0.6, 0.4], seed=0)
    assert [len(p) for p in parts] == [6, 4]
    labels = np.concatenate([[p[i][1] for i in range(len(p))] for p in parts])
    assert sorted(labels) == list(Y) and not np.array_equal(labels, Y)
    assert [len(p) for p in data.random_split(dataset, [3, 7])] == [3, 7]
    assert [len(p) for p in data.random_split(data.TensorDataset(np.arange(11.0)),
                                              [0.5, 0.5])] == [6, 5]     # as PyTorch
    sub = data.Subset(dataset, [9, 2])
    assert sub[0][1] == 9 and len(list(data.DataLoader(sub, batch_size=2))) == 1


def test_errors_name_what_is_wrong():
    with pytest.raises(ValueError, match=r"\[10, 3\] examples"):
        data.TensorDataset(X, np.arange(3))
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        data.DataLoader(data.TensorDataset(X), batch_size=0)
    with pytest.raises(ValueError, match="add up to 9"):
        data.random_split(data.TensorDataset(X), [4, 5])
    with pytest.raises(TypeError, match="seed must be None, an int"):
        data.DataLoader(data.TensorDataset(X), seed="a")
    with pytest.raises(IndexError, match=r"indices must lie in \[-10, 10\)"):
        data.Subset(data.TensorDataset(X), [10])
    with pytest.raises(ValueError, match="cannot stack the examples"):
        list(data.DataLoader([np.zeros(2), np.zeros(3)], batch_size=2))


def test_a_training_loop_over_a_loader_fits_a_line():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1))
    y = 3 * x + 1
    model = ad.nn.Linear(1, 1, rng=0)
    opt = ad.optim.SGD(model.parameters(), lr=0.1)
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=16, shuffle=True, seed=0)
    for _ in range(30):
        for xb, yb in loader:
            opt.zero_grad()
            ad.nn.functional.mse_loss(model(xb), yb).backward()
            opt.step()
    np.testing.assert_allclose([model.weight.data.item(), model.bias.data.item()], [3, 1],
                               atol=1e-3)
