"""ad.data: spiral, ratings, batches — seeded, and never touching NumPy's global state."""

import numpy as np
import pytest

import autodiff as ad


def global_state():
    return np.random.get_state()[1].copy()


def test_spiral_shapes_classes_and_geometry():
    before = global_state()
    X, y = ad.data.spiral(100, 3)
    np.testing.assert_array_equal(global_state(), before)
    assert X.shape == (300, 2) and X.dtype == np.float64
    assert y.shape == (300,) and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [100, 100, 100])
    radius = np.linalg.norm(X, axis=1)
    assert radius.max() <= 1 + 1e-12
    np.testing.assert_allclose(radius[:100], np.linspace(0, 1, 100), atol=1e-12)
    X4, y4 = ad.data.spiral(50, 4, seed=3)
    assert X4.shape == (200, 2) and set(y4) == {0, 1, 2, 3}


def test_spiral_is_seeded():
    a, _ = ad.data.spiral(20, 3, seed=5)
    b, _ = ad.data.spiral(20, 3, seed=5)
    c, _ = ad.data.spiral(20, 3, seed=6)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    with pytest.raises(ValueError, match="spiral: samples must be a positive int"):
        ad.data.spiral(0, 3)


def test_spiral_is_not_linearly_separable_but_has_structure():
    # A linear softmax classifier stays far from perfect on the spiral.
    X, y = ad.data.spiral(100, 3, seed=0)
    layer = ad.nn.Linear(2, 3, rng=0)
    opt = ad.optim.Adam(layer.parameters(), lr=0.05)
    for _ in range(300):
        loss = ad.nn.functional.cross_entropy(layer(ad.tensor(X)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    accuracy = np.mean(layer(ad.tensor(X)).data.argmax(axis=1) == y)
    assert 0.34 < accuracy < 0.7


def test_ratings_triples():
    before = global_state()
    data = ad.data.ratings(30, 20, 400, seed=1)
    np.testing.assert_array_equal(global_state(), before)
    users, items, r = data
    assert data.users is users and data.ratings is r
    assert users.dtype == np.int64 and items.dtype == np.int64 and r.dtype == np.float64
    assert users.shape == items.shape == r.shape == (400,)
    assert users.min() >= 0 and users.max() < 30 and items.min() >= 0 and items.max() < 20
    assert r.min() >= 1.0 and r.max() <= 5.0 and r.std() > 0.3
    assert len(set(zip(users.tolist(), items.tolist()))) == 400   # no pair twice
    again = ad.data.ratings(30, 20, 400, seed=1)
    np.testing.assert_array_equal(again.ratings, r)
    assert not np.array_equal(ad.data.ratings(30, 20, 400, seed=2).ratings, r)


def test_ratings_have_user_and_item_effects():
    users, items, r = ad.data.ratings(40, 40, 1600, seed=0)   # every pair: a full matrix
    table = np.zeros((40, 40))
    table[users, items] = r
    # biases: the spread of per-item means is much larger than noise alone would give
    assert table.mean(axis=0).std() > 0.2 and table.mean(axis=1).std() > 0.2
    with pytest.raises(ValueError, match="ratings: n=1601 is more than the 1600"):
        ad.data.ratings(40, 40, 1601)
    lo_hi = ad.data.ratings(10, 10, 50, low=0.0, high=1.0)
    assert lo_hi.ratings.min() >= 0 and lo_hi.ratings.max() <= 1


def test_batches_cover_the_data_once():
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    got = list(ad.data.batches(X, y, 4, seed=0))
    assert [len(b) for _, b in got] == [4, 4, 2]
    seen = np.concatenate([b for _, b in got])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    for xb, yb in got:
        np.testing.assert_array_equal(xb[:, 0], 2 * yb)      # rows stay paired
    again = [b for _, b in ad.data.batches(X, y, 4, seed=0)]
    np.testing.assert_array_equal(np.concatenate(again), seen)
    ordered = [b.tolist() for _, b in ad.data.batches(X, y, 4, shuffle=False)]
    assert ordered == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [len(b) for _, b in ad.data.batches(X, y, 4, drop_last=True)] == [4, 4]


def test_batches_without_a_seed_reshuffle_each_epoch_repeatably_after_manual_seed():
    X, y = np.zeros((12, 1)), np.arange(12)

    def epoch():
        return np.concatenate([b for _, b in ad.data.batches(X, y, 5)])

    ad.nn.manual_seed(7)
    first, second = epoch(), epoch()
    assert not np.array_equal(first, second)            # as PyTorch's DataLoader
    assert sorted(first.tolist()) == list(range(12))
    ad.nn.manual_seed(7)
    np.testing.assert_array_equal(epoch(), first)
    np.testing.assert_array_equal(epoch(), second)


def test_batches_with_a_generator_reshuffle_each_epoch_and_validate():
    X, y = np.zeros((8, 1)), np.arange(8)
    rng = np.random.default_rng(0)
    first = np.concatenate([b for _, b in ad.data.batches(X, y, 3, seed=rng)])
    second = np.concatenate([b for _, b in ad.data.batches(X, y, 3, seed=rng)])
    assert not np.array_equal(first, second)
    with pytest.raises(ValueError, match="batches: X has 8 rows but y has 7"):
        ad.data.batches(X, y[:7], 3)
    with pytest.raises(ValueError, match="batches: batch_size must be a positive int"):
        ad.data.batches(X, y, 0)


def test_batches_takes_lists_and_names_a_missing_y_or_a_bad_seed():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    from_lists = list(ad.data.batches(X.tolist(), y.tolist(), 4, seed=1))
    from_arrays = list(ad.data.batches(X, y, 4, seed=1))
    for (xa, ya), (xb, yb) in zip(from_lists, from_arrays):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    with pytest.raises(TypeError, match="batches: y is None"):
        ad.data.batches(X, None, 4)
    with pytest.raises(TypeError, match="batches: seed must be an int"):
        ad.data.batches(X, y, 4, seed="a")
