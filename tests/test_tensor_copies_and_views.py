"""Copies, views and in-place operators of Tensors as NumPy has them: a view taken with a
negative index follows writes to its row, flatten, +t and copy.copy copy, every
augmented assignment writes in place, deepcopy of a graph is refused and pickling saves
its values; clamp_ takes tensor bounds; retain_grad survives an in-place update."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import autodiff as ad


def test_a_view_taken_with_a_negative_index_follows_writes_to_its_row():
    x = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x * 1
    last = y[-1]
    y[1] = ad.tensor([10.0, 20.0, 30.0])
    np.testing.assert_array_equal(last.data, [10.0, 20.0, 30.0])
    last.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))
    y = ad.tensor(np.arange(6.0).reshape(2, 3)) * 1
    first, row = y[0], y[-1]
    y[-2] = 0.0
    y[1] += 100.0
    np.testing.assert_array_equal(first.data, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(row.data, [103.0, 104.0, 105.0])


@pytest.mark.parametrize("make", [lambda t: t.flatten(), lambda t: t.flatten("C"),
                                  lambda t: +t, lambda t: np.positive(t),
                                  lambda t: copy.copy(t)],
                         ids=["flatten", "flatten C", "+t", "np.positive", "copy.copy"])
def test_copies_share_no_memory(make):
    a = ad.tensor(np.arange(6.0).reshape(2, 3))
    made = make(a)
    made += 1.0
    np.testing.assert_array_equal(a.data, np.arange(6.0).reshape(2, 3))
    w = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (make(w) * 2).sum().backward()
    np.testing.assert_array_equal(w.grad, np.full((2, 3), 2.0))


@pytest.mark.parametrize("symbol, start, other", [
    ("**=", [1.0, 5.0, 7.0], 2.0), ("//=", [1.0, 5.0, 7.0], 2.0),
    ("%=", [1.0, 5.0, 7.0], 3.0), ("&=", [1, 5, 7], 3), ("|=", [1, 5, 7], 8),
    ("^=", [1, 5, 7], 2)])
def test_every_augmented_assignment_writes_in_place(symbol, start, other):
    base, expected = ad.tensor(np.array(start)), np.array(start)
    view, expected_view = base[1:], expected[1:]
    namespace = {"v": view, "e": expected_view, "o": other}
    exec(f"v {symbol} o\ne {symbol} o", namespace)
    assert namespace["v"] is view
    np.testing.assert_array_equal(base.data, expected)
    a = ad.tensor(np.eye(2) * 2)
    alias = a
    a @= ad.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(alias.data, [[2.0, 4.0], [6.0, 8.0]])


def test_deepcopy_of_a_graph_is_refused_and_pickle_saves_the_values():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    with pytest.raises(RuntimeError, match=r"copy.deepcopy: this tensor .* made by "
                                           r"'multiply' and has a graph"):
        copy.deepcopy(y)
    loaded = pickle.loads(pickle.dumps(y))
    assert loaded.is_leaf and loaded.requires_grad
    np.testing.assert_array_equal(loaded.data, [3.0, 6.0])
    w = ad.nn.Parameter(np.ones(2))
    w.grad = np.full(2, 5.0)
    twin = copy.deepcopy(w)
    assert type(twin) is ad.nn.Parameter and twin is not w
    assert not np.shares_memory(twin.data, w.data)
    assert twin.grad is None                    # as PyTorch's Parameter


def test_pickle_drops_grad_and_deepcopy_keeps_a_tensors_as_pytorch():
    # A pickled or deep-copied model kept each parameter's .grad: the first step of a
    # resumed backward(); step(); zero_grad() loop added a stale gradient
    t = ad.tensor([1.0, 2.0], requires_grad=True, name="t")
    t.grad = np.full(2, 5.0)
    model = ad.nn.Linear(2, 2, rng=0)
    model.weight.grad = np.ones((2, 2))
    for copied in (pickle.loads(pickle.dumps(t)), pickle.loads(pickle.dumps(model)).weight,
                   copy.deepcopy(model).weight):
        assert copied.grad is None and copied.requires_grad
    kept = copy.deepcopy(t)
    np.testing.assert_array_equal(kept.grad, t.grad)
    assert not np.shares_memory(kept.grad, t.grad) and kept.name == "t"
    np.testing.assert_array_equal(model.weight.grad, np.ones((2, 2)))   # the original's stays


def test_clamp_takes_tensor_bounds():
    y = ad.tensor([0.0, 3.0])
    y.clamp_(ad.tensor(0.5), ad.tensor(2.0))
    np.testing.assert_array_equal(y.data, [0.5, 2.0])
    low = ad.tensor(0.5, requires_grad=True)
    y = ad.tensor([0.0, 3.0])
    y.clamp_(low, ad.tensor(2.0))
    y.sum().backward()
    assert low.grad == 1.0


def test_retain_grad_survives_an_in_place_update():
    x = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x * 2
    y.retain_grad()
    y[0] *= 3
    (y * y).sum().backward()
    assert y.retains_grad
    np.testing.assert_array_equal(y.grad, 2 * y.data)


@pytest.mark.parametrize("make, values", [
    (lambda t: np.conj(t), [1.0, 2.0]), (lambda t: np.conjugate(t), [1.0, 2.0]),
    (lambda t: np.pad(t, 0), 1.5), (lambda t: np.tile(t, 1), [1.0, 2.0])],
    ids=["conj", "conjugate", "pad 0-d", "tile once"])
def test_numpy_functions_that_copy_give_copies(make, values):
    h = ad.tensor(np.array(values)) * 2.0
    made = make(h)
    assert made is not h and not np.shares_memory(made.data, h.data)
    assert made.data.flags.writeable


def test_copysign_gradient_is_zero_at_a_signed_zero_as_abs():
    x = ad.tensor([0.0, -0.0, -2.0], requires_grad=True)
    np.copysign(x, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, -1.0])


def test_a_tensor_made_from_a_tensor_is_a_copy_as_torch_tensor():
    c = ad.tensor([1.0, 2.0])
    d = ad.tensor(c)
    d[0] = -5.0
    assert c.data.tolist() == [1.0, 2.0]


def test_asarray_with_copy_false_refuses_a_conversion_as_numpy():
    t = ad.tensor([1.0, 2.0])
    assert np.asarray(t, copy=False) is t.data
    with pytest.raises(ValueError, match="Unable to avoid copy"):
        np.asarray(t, dtype=np.float32, copy=False)


def test_repr_names_dtypes_other_than_the_defaults_and_empty_shapes():
    assert repr(ad.tensor(np.array([44], np.uint8))) == "tensor([44], dtype=uint8)"
    assert repr(ad.tensor(np.zeros((0, 3)))) == "tensor([], shape=(0, 3), dtype=float64)"
    assert repr(ad.tensor([1, 2])) == "tensor([1, 2])"
