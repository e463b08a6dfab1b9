"""Tensor methods that copy, select and sort (autodiff/selections.py): PyTorch's meaning
for PyTorch's names, NumPy's for ndarray's, an error where a call could mean either;
gradients by finite differences and against HIPS autograd."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

autograd = pytest.importorskip("autograd")
anp = autograd.numpy

RNG = np.random.default_rng(7)
I01 = np.array([[2, 2], [0, 1]])

# name -> (method call on a Tensor, the same with autograd.numpy on an array, input shape)
CASES = {
    "expand": (lambda t: t.expand(4, -1, 3), lambda a: a * anp.ones((4, 2, 3)), (2, 1)),
    "expand-0d": (lambda t: t.expand(2, 3), lambda a: a * anp.ones((2, 3)), ()),
    "expand_as": (lambda t: t.expand_as(np.zeros((3, 2, 3))),
                  lambda a: a * anp.ones((3, 2, 3)), (1, 3)),
    "chunk": (lambda t: ad.concatenate([c * (i + 1) for i, c in enumerate(t.chunk(3, 1))], 1),
              lambda a: anp.concatenate([a[:, :3], a[:, 3:6] * 2, a[:, 6:] * 3], 1), (2, 7)),
    "gather": (lambda t: t.gather(1, I01),
               lambda a: a[np.arange(2)[:, None], I01], (2, 3)),
    "gather-smaller-index": (lambda t: t.gather(0, np.array([[1], [1], [0]])),
                             lambda a: a[np.array([[1], [1], [0]]), np.array([[0]])], (2, 3)),
    "index_select": (lambda t: t.index_select(1, np.array([2, 0, 2])),
                     lambda a: a[:, [2, 0, 2]], (2, 3)),
    "index_select-0d-index": (lambda t: t.index_select(0, ad.tensor(1)),
                              lambda a: a[1:2], (3, 1)),
    "sort": (lambda t: t.sort(dim=0).values, lambda a: anp.sort(a), (5,)),
    "sort-descending": (lambda t: t.sort(descending=True).values,
                        lambda a: anp.sort(a)[::-1], (5,)),
    "topk": (lambda t: t.topk(2).values, lambda a: anp.sort(a)[::-1][:2], (5,)),
    "topk-smallest": (lambda t: t.topk(3, largest=False).values,
                      lambda a: anp.sort(a)[:3], (4,)),
    "flip": (lambda t: t.flip(0, 2), lambda a: a[::-1, :, ::-1], (2, 1, 3)),
    "roll": (lambda t: t.roll((1, -1), (0, 1)), lambda a: anp.roll(anp.roll(a, 1, 0), -1, 1),
             (2, 3)),
    "roll-flat": (lambda t: t.roll(2), lambda a: anp.roll(a, 2), (2, 3)),
    "tile": (lambda t: t.tile(2, 1, 2), lambda a: anp.tile(a, (2, 1, 2)), (2, 3)),
    "tile-0d": (lambda t: t.tile(3), lambda a: anp.tile(a, 3), ()),
    "repeat-sizes": (lambda t: t.repeat(2, 1, 2), lambda a: anp.tile(a, (2, 1, 2)), (2, 3)),
    "repeat-axis": (lambda t: t.repeat(2, axis=0), lambda a: anp.repeat(a, 2, axis=0), (2, 3)),
    "repeat_interleave": (lambda t: t.repeat_interleave(3),
                          lambda a: anp.repeat(a, 3), (2, 1)),
    "clone": (lambda t: t.clone(), lambda a: a + 0.0, (2,)),
}


@pytest.mark.parametrize("name", CASES)
def test_values_and_gradients_match_autograd_and_finite_differences(name):
    method, reference, shape = CASES[name]
    x = RNG.standard_normal(shape)
    out = method(ad.tensor(x))
    expected = reference(x)
    np.testing.assert_array_equal(out.data, expected)
    w = RNG.standard_normal(np.shape(expected))
    assert ad.gradcheck(lambda t: (method(t) * w).sum(), [x])
    t = ad.tensor(x, requires_grad=True)
    (method(t) * w).sum().backward()
    np.testing.assert_allclose(t.grad, autograd.grad(lambda a: anp.sum(reference(a) * w))(x),
                               rtol=1e-13, atol=1e-13)


def test_scatter_add_values_and_gradients():
    x, src = RNG.standard_normal((2, 4)), RNG.standard_normal((2, 3))
    index = np.array([[0, 3, 3], [1, 1, 0]])
    expected = x.copy()
    for i in range(2):
        for j in range(3):
            expected[i, index[i, j]] += src[i, j]
    out = ad.tensor(x).scatter_add(1, index, ad.tensor(src))
    np.testing.assert_allclose(out.data, expected)
    w = RNG.standard_normal((2, 4))
    assert ad.gradcheck(lambda a, s: (a.scatter_add(1, index, s) * w).sum(), [x, src])
    # a src larger than the index: only its leading part is used, as in PyTorch
    big = RNG.standard_normal((3, 4))
    out = ad.tensor(x).scatter_add(0, np.array([[1, 0, 1], [0, 0, 1]]), ad.tensor(big))
    expected = x.copy()
    for i in range(2):
        for j in range(3):
            expected[[[1, 0, 1], [0, 0, 1]][i][j], j] += big[i, j]
    np.testing.assert_allclose(out.data, expected)


def test_sort_and_topk_order_nan_and_ties_as_pytorch():
    v = ad.tensor([1.0, np.nan, 3.0, 1.0], requires_grad=True)
    values, indices = v.sort(descending=True)        # NaN first, ties in original order
    np.testing.assert_array_equal(values.data, [np.nan, 3.0, 1.0, 1.0])
    np.testing.assert_array_equal(indices.data, [1, 2, 0, 3])
    np.testing.assert_array_equal(v.sort(dim=0).indices.data, [0, 3, 2, 1])
    np.testing.assert_array_equal(v.topk(2).indices.data, [1, 2])
    np.testing.assert_array_equal(v.topk(2, largest=False).indices.data, [0, 3])
    np.testing.assert_array_equal(v.argsort(descending=True).data, [1, 2, 0, 3])
    w = ad.tensor([[3.0, 1.0], [0.0, 2.0]], requires_grad=True)
    values, indices = w.topk(1, dim=0)
    assert values.shape == indices.shape == (1, 2)
    values.sum().backward()
    np.testing.assert_array_equal(w.grad, [[1.0, 0.0], [0.0, 1.0]])
    s = ad.tensor(3.0)
    assert s.sort(dim=0).values.shape == s.topk(1).indices.shape == ()


def test_chunk_sizes_are_pytorchs():
    # ceil(n / chunks) per piece, so fewer pieces than asked can come back
    expected = {(5, 3): [2, 2, 1], (6, 4): [2, 2, 2], (7, 3): [3, 3, 1], (0, 3): [0, 0, 0],
                (2, 5): [1, 1], (4, 1): [4]}
    for (n, k), sizes in expected.items():
        assert [c.shape[0] for c in ad.tensor(np.zeros(n)).chunk(k)] == sizes
    assert isinstance(ad.tensor(np.zeros(2)).chunk(1), tuple)


def test_tolist_is_an_explicit_silent_exit():
    import warnings
    x = ad.tensor([[1.0, 2.0]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.tolist() == [[1.0, 2.0]] and (x * 2).sum().tolist() == 6.0
    assert ad.tensor([1, 2]).tolist() == [1, 2]


def test_ndarray_sort_in_place_with_numpys_arguments():
    y = ad.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    assert y.sort(axis=1) is None
    np.testing.assert_array_equal(y.data, [[1.0, 2.0, 3.0], [0.0, 4.0, 5.0]])
    x = ad.tensor([[3.0, 1.0], [0.0, 2.0]], requires_grad=True)
    h = x * 1.0
    h.sort(axis=0)                              # recorded on an intermediate
    (h * ad.tensor([[1.0, 10.0], [100.0, 1000.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad, [[100.0, 10.0], [1.0, 1000.0]])
    with pytest.raises(RuntimeError, match="no_grad"):
        x.sort(axis=0)                          # a leaf that requires grad


@pytest.mark.parametrize("call", [lambda t: t.sort(), lambda t: t.sort(0),
                                  lambda t: t.sort(axis=0, dim=0)],
                         ids=["no-args", "positional", "both"])
def test_an_ambiguous_sort_raises_naming_both_meanings(call):
    with pytest.raises(TypeError, match=r"in place and returns None.*\(values, indices\)"):
        call(ad.tensor([[2.0, 1.0]]))


@pytest.mark.parametrize("shape,args", [((3,), (2,)), ((2, 3), (2, 1)), ((2, 3), ((2, 2),))])
def test_an_ambiguous_repeat_raises(shape, args):
    with pytest.raises(TypeError, match="means different things.*repeat_interleave.*tile"):
        ad.tensor(np.zeros(shape)).repeat(*args)


def test_repeat_takes_the_only_reading_that_applies():
    x = ad.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.repeat(2).data, np.repeat(x.data, 2))    # NumPy's only
    np.testing.assert_array_equal(x.repeat(1, 2, 1).data, np.tile(x.data, (1, 2, 1)))


@pytest.mark.parametrize("call,error,message", [
    (lambda t: t.expand(3, 3), ValueError, r"axis 0 has size 2 and cannot become 3"),
    (lambda t: t.expand(3), ValueError, r"1 sizes \(3,\) for a tensor of shape \(2, 1\)"),
    (lambda t: t.expand(-1, 2, 1), ValueError, r"-1 keeps an existing axis"),
    (lambda t: t.chunk(0), ValueError, "positive int"),
    (lambda t: t.gather(0, np.array([[-1]])), IndexError, r"index -1 is out of range"),
    (lambda t: t.gather(0, np.array([2, 0])), ValueError, "same number"),
    (lambda t: t.gather(1, np.array([[0], [0], [0]])), ValueError, "larger than"),
    (lambda t: t.gather(0, np.array([[0.0]])), TypeError, "integers"),
    (lambda t: t.index_select(0, np.array([[0]])), ValueError, "1-D"),
    (lambda t: t.index_select(0, np.array([2])), IndexError, r"\[0, 2\)"),
    (lambda t: t.index_select(2, np.array([0])), IndexError, "dim=2 is out of range"),
    (lambda t: t.topk(3, dim=0), ValueError, r"k=3 is out of range"),
    (lambda t: t.scatter_add(0, np.array([[0]]), np.zeros((1, 1), np.float32)), TypeError,
     "dtype float32"),
])
def test_bad_arguments_raise_naming_the_method_and_shapes(call, error, message):
    with pytest.raises(error, match=message):
        call(ad.tensor([[1.0], [2.0]]))
