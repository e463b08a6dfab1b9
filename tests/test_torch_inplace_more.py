"""PyTorch's indexed updates and in-place methods from torch_inplace_methods and
scatter_reduce, and the random fills of torch_random_fills, checked against NumPy
(no PyTorch needed): values, gradients (gradcheck in float64) and the in-place rules
of ``add_`` (refused on a leaf that requires grad in grad mode, written into the
array under no_grad, recorded on other tensors)."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(5)
A = RNG.normal(size=(3, 4))


def _x(array):
    return ad.tensor(np.array(array, dtype=np.float64), requires_grad=True)


def _check(f, *arrays):
    assert ad.gradcheck(f, tuple(_x(a) for a in arrays))


def _in_place_rules(name, call):
    """``call(t)`` runs the in-place method ``name`` on ``t``: refused on a leaf that
    requires grad in grad mode, allowed under no_grad (same object, its array written),
    and recorded on a non-leaf with the same gradient as the out-of-place result."""
    leaf = _x(A)
    with pytest.raises(RuntimeError, match=f"{name}: tensor .* is a leaf that requires grad"):
        call(leaf)
    with ad.no_grad():
        out = call(leaf)
    assert out is leaf
    plain = ad.tensor(A.copy())
    assert call(plain) is plain
    np.testing.assert_array_equal(leaf.data, plain.data)
    x = _x(A)
    h = x * 1.0
    assert call(h) is h and h.requires_grad
    weights = RNG.normal(size=h.shape)
    (h * weights).sum().backward()
    assert ad.gradcheck(lambda x: call(x * 1.0), (_x(A),))
    return plain.data


# ----- index_* -------------------------------------------------------------------------

def test_index_add():
    index, source = np.array([2, 0, 2]), RNG.normal(size=(3, 4))
    expected = A.copy()
    np.add.at(expected, index, 2 * source)
    np.testing.assert_allclose(ad.tensor(A).index_add(0, index, source, alpha=2).data,
                               expected)
    written = _in_place_rules("index_add_", lambda t: t.index_add_(0, index, source,
                                                                    alpha=2))
    np.testing.assert_allclose(written, expected)
    _check(lambda x, s: x.index_add(1, np.array([3, 3]), s), A, A[:, :2])
    with pytest.raises(TypeError, match="index_add: the source has dtype float32"):
        ad.tensor(A).index_add(0, index, source.astype(np.float32))
    with pytest.raises(ValueError, match=r"index_add: the source has shape \(2, 4\)"):
        ad.tensor(A).index_add(0, index, source[:2])
    with pytest.raises(IndexError, match="index_add: index 3 is out of range"):
        ad.tensor(A).index_add(0, np.array([3]), source[:1])
    assert ad.tensor(2.0).index_add(0, np.array([0, 0]), ad.tensor([1.0, 1.0])).item() == 4.0


def test_index_fill_and_index_copy():
    expected = A.copy()
    expected[:, [0, 2]] = -1.0
    np.testing.assert_array_equal(ad.tensor(A).index_fill(1, np.array([0, 2]), -1.0).data,
                                  expected)
    written = _in_place_rules("index_fill_", lambda t: t.index_fill_(1, np.array([0, 2]),
                                                                      -1.0))
    np.testing.assert_array_equal(written, expected)
    value = _x(3.0)
    ad.tensor(A).index_fill(0, np.array([1]), value).sum().backward()
    assert value.grad == 4.0                    # a 0-d tensor value gets its gradient
    with pytest.raises(ValueError, match="index_fill: value must be a number or a 0-d"):
        ad.tensor(A).index_fill(0, np.array([1]), np.ones(4))
    source = RNG.normal(size=(3, 2))
    expected = A.copy()
    expected[:, [3, 0]] = source
    np.testing.assert_array_equal(ad.tensor(A).index_copy(1, np.array([3, 0]), source).data,
                                  expected)
    written = _in_place_rules("index_copy_", lambda t: t.index_copy_(1, np.array([3, 0]),
                                                                      source))
    np.testing.assert_array_equal(written, expected)
    _check(lambda x, s: x.index_copy(0, np.array([1]), s), A, A[:1])
    with pytest.raises(ValueError, match="index_copy: the indices write some position"):
        ad.tensor(A).index_copy(1, np.array([0, 0]), source)


def test_index_put():
    rows, cols = np.array([0, 2]), np.array([1, 1])
    values = np.array([5.0, 6.0])
    expected = A.copy()
    expected[rows, cols] = values
    np.testing.assert_array_equal(ad.tensor(A).index_put((rows, cols), values).data, expected)
    expected = A.copy()
    np.add.at(expected, (np.array([0, 0, 2]),), A[1])
    np.testing.assert_allclose(ad.tensor(A).index_put((np.array([0, 0, 2]),), A[1],
                                                      accumulate=True).data, expected)
    mask = A > 0
    expected = A.copy()
    expected[mask] = 0.5
    np.testing.assert_array_equal(
        ad.tensor(A).index_put((ad.tensor(mask),), ad.tensor(0.5)).data, expected)
    written = _in_place_rules("index_put_", lambda t: t.index_put_((rows, cols), values))
    np.testing.assert_array_equal(written[rows, cols], values)
    _check(lambda x, v: x.index_put((np.array([1, 1]),), v, accumulate=True), A, A[0])
    _check(lambda x, v: x.index_put((np.array([2, 0]), np.array([-1, 1])), v), A, [1.0, 2.0])
    with pytest.raises(ValueError, match="index_put: the indices write some position"):
        ad.tensor(A).index_put((np.array([0, 0]),), A[0])
    with pytest.raises(ValueError, match="index_put: values of shape"):
        ad.tensor(A).index_put((rows,), np.ones(3))
    with pytest.raises(TypeError, match="index_put: indices must be a tuple"):
        ad.tensor(A).index_put(rows, values)


# ----- masks, scatters, diagonals, put_ -------------------------------------------------------

def test_masked_fill_and_masked_scatter():
    mask = A > 0
    written = _in_place_rules("masked_fill_", lambda t: t.masked_fill_(mask, 2.0))
    np.testing.assert_array_equal(written, np.where(mask, 2.0, A))
    source = np.arange(12.0)
    expected = A.copy()
    expected[mask] = source[:mask.sum()]
    np.testing.assert_array_equal(ad.tensor(A).masked_scatter(mask, source).data, expected)
    row_mask = np.array([True, False, True, False])           # broadcast over rows
    expected = A.copy()
    expected[np.broadcast_to(row_mask, A.shape)] = source[:6]
    np.testing.assert_array_equal(ad.tensor(A).masked_scatter(row_mask, source).data,
                                  expected)
    written = _in_place_rules("masked_scatter_", lambda t: t.masked_scatter_(mask, source))
    np.testing.assert_array_equal(written, ad.tensor(A).masked_scatter(mask, source).data)
    _check(lambda x, s: x.masked_scatter(mask, s), A, np.ones(12))
    with pytest.raises(ValueError, match="masked_scatter: the mask selects"):
        ad.tensor(A).masked_scatter(mask, np.ones(1))
    with pytest.raises(TypeError, match="masked_scatter: the mask must be bool"):
        ad.tensor(A).masked_scatter(A, source)


def test_scatter_add_in_place():
    index = np.array([[0, 1, 0, 2], [2, 2, 0, 0]])
    src = RNG.normal(size=(2, 4))
    expected = ad.tensor(A).scatter_add(1, index, src).data
    written = _in_place_rules("scatter_add_", lambda t: t.scatter_add_(1, index, src))
    np.testing.assert_array_equal(written, expected)


@pytest.mark.parametrize("reduce, ufunc", [("sum", np.add), ("prod", np.multiply),
                                           ("amax", np.maximum), ("amin", np.minimum),
                                           ("mean", None)])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_against_numpy(reduce, ufunc, include_self):
    index = np.array([[0, 1, 0, 2], [2, 2, 0, 0]])
    src = RNG.normal(size=(2, 4))
    rows = np.arange(2)[:, None] * np.ones_like(index)
    touched = np.zeros(A.shape, bool)
    touched[rows, index] = True
    if reduce == "mean":
        total = np.where(touched & (not include_self), 0.0, A)
        count = np.where(touched, float(include_self), 1.0)
        np.add.at(total, (rows, index), src)
        np.add.at(count, (rows, index), 1.0)
        expected = total / count
    else:
        identity = {"sum": 0.0, "prod": 1.0, "amax": -np.inf, "amin": np.inf}[reduce]
        expected = np.where(touched & (not include_self), identity, A)
        ufunc.at(expected, (rows, index), src)
    result = ad.tensor(A).scatter_reduce(1, index, src, reduce, include_self=include_self)
    np.testing.assert_allclose(result.data, expected)
    _check(lambda x, s: x.scatter_reduce(1, index, s, reduce, include_self=include_self),
           A, src)
    written = _in_place_rules("scatter_reduce_", lambda t: t.scatter_reduce_(
        1, index, src, reduce, include_self=include_self))
    np.testing.assert_allclose(written, expected)


def test_scatter_reduce_ties_share_the_gradient_and_zeros_are_exact():
    x = _x([1.0, 5.0])
    src = _x([5.0, 5.0, 2.0])
    x.scatter_reduce(0, np.array([1, 1, 0]), src, "amax").sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 1 / 3])
    np.testing.assert_allclose(src.grad, [1 / 3, 1 / 3, 1.0])
    x = _x([1.0, np.inf])
    src = _x([np.inf, np.inf, 2.0])
    out = x.scatter_reduce(0, np.array([1, 1, 0]), src, "amax")
    out.sum().backward()
    np.testing.assert_array_equal(out.data, [2.0, np.inf])
    np.testing.assert_allclose(x.grad, [0.0, 1 / 3])        # infinite ties share it too
    np.testing.assert_allclose(src.grad, [1 / 3, 1 / 3, 1.0])
    x = _x([2.0, 3.0])
    src = _x([0.0, 4.0])
    x.scatter_reduce(0, np.array([0, 0]), src, "prod").sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 1.0])
    np.testing.assert_allclose(src.grad, [8.0, 0.0])
    ints = ad.tensor([1, 2]).scatter_reduce(0, np.array([0, 0]), ad.tensor([4, 3]), "amax",
                                            include_self=False)
    np.testing.assert_array_equal(ints.data, [4, 2])
    with pytest.raises(ValueError, match="scatter_reduce: reduce must be one of"):
        ad.tensor(A).scatter_reduce(0, np.zeros((1, 1), int), A[:1, :1], "add")
    with pytest.raises(TypeError, match="scatter_reduce: reduce='mean' needs"):
        ad.tensor([1, 2]).scatter_reduce(0, np.array([0]), ad.tensor([1]), "mean")


def test_fill_diagonal_and_put():
    expected = A.copy()
    np.fill_diagonal(expected, 9.0)
    written = _in_place_rules("fill_diagonal_", lambda t: t.fill_diagonal_(9.0))
    np.testing.assert_array_equal(written, expected)
    tall = np.zeros((7, 3))
    np.fill_diagonal(tall, 1.0, wrap=True)
    np.testing.assert_array_equal(ad.zeros((7, 3)).fill_diagonal_(1.0, wrap=True).data, tall)
    with pytest.raises(ValueError, match="fill_diagonal_: needs a matrix"):
        ad.zeros((2, 3, 3)).fill_diagonal_(1.0)
    expected = A.copy().reshape(-1)
    expected[[0, 11, 5]] = [1.0, 2.0, 3.0]
    written = _in_place_rules("put_", lambda t: t.put_(np.array([0, -1, 5]),
                                                        ad.tensor([1.0, 2.0, 3.0])))
    np.testing.assert_array_equal(written, expected.reshape(A.shape))
    expected = A.copy().reshape(-1)
    np.add.at(expected, [0, 0, 5], [1.0, 2.0, 3.0])
    np.testing.assert_allclose(ad.tensor(A).put_(np.array([0, 0, 5]), ad.tensor(
        [1.0, 2.0, 3.0]), accumulate=True).data, expected.reshape(A.shape))
    with pytest.raises(ValueError, match="put_: the indices write some position"):
        ad.tensor(A).put_(np.array([1, 1]), ad.tensor([1.0, 2.0]))
    with pytest.raises(IndexError, match="put_: an index is out of range"):
        ad.tensor(A).put_(np.array([12]), ad.tensor([1.0]))


def test_detach_and_t_in_place():
    x = _x(A)
    h = x * 2
    assert h.detach_() is h and h.is_leaf and not h.requires_grad
    np.testing.assert_array_equal(h.data, 2 * A)
    t = ad.tensor(A.copy())
    assert t.t_() is t and t.shape == (4, 3)
    np.testing.assert_array_equal(t.data, A.T)
    with pytest.raises(RuntimeError, match="t_: tensor .* is a leaf that requires grad"):
        _x(A).t_()
    x = _x(A)
    h = x * 3
    h.t_()
    assert h.shape == (4, 3)
    (h * np.arange(12.0).reshape(4, 3)).sum().backward()
    np.testing.assert_array_equal(x.grad, 3 * np.arange(12.0).reshape(4, 3).T)
    with ad.no_grad():
        leaf = _x(A)
        leaf.t_()
    assert leaf.shape == (4, 3)
    base = ad.tensor(A.copy())
    row = base[0]
    with pytest.raises(RuntimeError, match="t_: tensor of shape .* has views"):
        base.t_()
    del row


# ----- random fills ------------------------------------------------------------------------------

@pytest.mark.parametrize("name, args", [("uniform_", (2.0, 3.0)), ("normal_", (1.0, 0.5)),
                                        ("bernoulli_", (0.3,)), ("exponential_", (2.0,)),
                                        ("random_", (5,))])
def test_random_fills_seeded_and_in_place(name, args):
    t = ad.zeros(1000)
    assert getattr(t, name)(*args, rng=0) is t
    again = getattr(ad.zeros(1000), name)(*args, rng=0)
    np.testing.assert_array_equal(t.data, again.data)
    ad.manual_seed(1)
    first = getattr(ad.zeros(1000), name)(*args).data.copy()
    ad.manual_seed(1)
    np.testing.assert_array_equal(getattr(ad.zeros(1000), name)(*args).data, first)
    assert getattr(ad.zeros(3, dtype=np.float32), name)(*args, rng=0).dtype == np.float32
    leaf = ad.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=f"{name}: tensor .* is a leaf that requires"):
        getattr(leaf, name)(*args)
    with ad.no_grad():
        getattr(leaf, name)(*args, rng=0)
    x = ad.ones(3, requires_grad=True)
    h = x * 2
    getattr(h, name)(*args, rng=0)
    (h * 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, 0.0)          # the old values get no gradient


def test_random_fill_distributions():
    data = ad.zeros(20000).uniform_(2.0, 3.0, rng=0).data
    assert 2.0 <= data.min() and data.max() < 3.0 and abs(data.mean() - 2.5) < 0.01
    data = ad.zeros(20000).normal_(1.0, 0.5, rng=0).data
    assert abs(data.mean() - 1.0) < 0.02 and abs(data.std() - 0.5) < 0.02
    data = ad.zeros(20000).bernoulli_(0.3, rng=0).data
    assert set(np.unique(data)) <= {0.0, 1.0} and abs(data.mean() - 0.3) < 0.02
    np.testing.assert_array_equal(ad.zeros(2).bernoulli_(ad.tensor([0.0, 1.0]), rng=0).data,
                                  [0.0, 1.0])
    data = ad.zeros(20000).exponential_(2.0, rng=0).data
    assert data.min() > 0 and abs(data.mean() - 0.5) < 0.02
    data = ad.zeros(2000).random_(3, 6, rng=0).data
    assert set(np.unique(data)) == {3.0, 4.0, 5.0}
    ints = ad.tensor(np.zeros(2000, np.int8)).random_(rng=0).data
    assert ints.min() >= 0 and ints.max() <= 127 and ints.dtype == np.int8
    with pytest.raises(TypeError, match="normal_: draws floating-point values"):
        ad.tensor([1, 2]).normal_()
    with pytest.raises(ValueError, match="uniform_: from_=3.0 is larger than to=2.0"):
        ad.zeros(2).uniform_(3.0, 2.0)
    with pytest.raises(ValueError, match="bernoulli_: p must be in"):
        ad.zeros(2).bernoulli_(1.5)
    with pytest.raises(ValueError, match=r"random_: the range \[4, 4\) is empty"):
        ad.zeros(2).random_(4, 4)
    with pytest.raises(ValueError, match="random_: .* does not fit in int8"):
        ad.tensor(np.zeros(2, np.int8)).random_(0, 1000)
