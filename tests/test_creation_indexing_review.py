"""Creation functions, assignment by index and the selection methods on edge inputs:
NumPy's values and error types, PyTorch's meaning for PyTorch's methods, gradients
against np.add.at and central differences."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(11)


# ----- creation -----------------------------------------------------------------------

def test_arange_of_none_raises_as_numpy_does():
    with pytest.raises(TypeError):
        np.arange(None)
    with pytest.raises(TypeError, match="arange: got None for stop"):
        ad.arange(None)
    np.testing.assert_array_equal(ad.arange(3, None).data, np.arange(3, None))


@pytest.mark.parametrize("make", [
    lambda: ad.zeros(-1), lambda: ad.ones(2, -3), lambda: ad.full((-1,), 1.0),
    lambda: ad.rand(-2, rng=0), lambda: ad.randn((3, -1), rng=0)])
def test_negative_sizes_raise_numpys_value_error(make):
    with pytest.raises(ValueError):
        np.zeros(-1)
    with pytest.raises(ValueError, match="non-negative ints"):
        make()


# ----- t[key] = v: the value's gradient ---------------------------------------------

@pytest.mark.parametrize("key, value_shape", [
    (Ellipsis, (1, 1, 4)), (0, (1, 1, 4)), (np.array([0, 2]), (1, 1, 2, 4)),
    ((slice(None), 1), (1, 3)), ((np.array([0, 1]), np.array([1, 2])), (1, 2))])
def test_setitem_value_with_leading_size_one_axes(key, value_shape):
    # NumPy drops a value's leading size-1 axes when it writes; the gradient keeps them.
    xd, vd, w = RNG.standard_normal((3, 4)), RNG.standard_normal(value_shape), \
        RNG.standard_normal((3, 4))
    x0 = ad.tensor(xd, requires_grad=True)
    v = ad.tensor(vd, requires_grad=True)
    x = x0 * 1.0
    x[key] = v
    expected = xd.copy()
    expected[key] = vd
    np.testing.assert_array_equal(x.data, expected)
    (x * ad.tensor(w)).sum().backward()
    ids = np.full((3, 4), -1)
    ids[key] = np.arange(vd.size).reshape(value_shape)
    gv = np.bincount(ids[ids >= 0], w[ids >= 0], minlength=vd.size).reshape(value_shape)
    gx = w.copy()
    gx[key] = 0
    assert v.grad.shape == value_shape
    np.testing.assert_allclose(v.grad, gv)
    np.testing.assert_allclose(x0.grad, gx)


def test_setitem_value_with_leading_axes_second_order():
    w = RNG.standard_normal((3, 4))

    def f(v):
        x = ad.setitem(ad.tensor(np.zeros((3, 4))), v, np.array([0, 2]))
        return (ad.tensor(w) * x ** 3).sum()

    vd = RNG.standard_normal((1, 1, 4))
    hessian = np.asarray(getattr(h := ad.hessian(f)(ad.tensor(vd)), "data", h))
    # f = sum_j (w[0, j] + w[2, j]) v_j**3
    diag = 6 * (w[0] + w[2]) * vd.reshape(4)
    np.testing.assert_allclose(hessian.reshape(4, 4), np.diag(diag), atol=1e-12)


# ----- selection methods -------------------------------------------------------------

@pytest.mark.parametrize("dim", [1, 5, -2])
def test_gather_on_a_0d_tensor_checks_dim(dim):
    x = ad.tensor(1.5)
    with pytest.raises(IndexError, match="gather: dim="):
        x.gather(dim, np.array(0))
    assert x.gather(-1, np.array(0)).item() == 1.5


@pytest.mark.parametrize("sizes", [(2.7, 3), (-1, 3.9), ("2", 3), (True, 3)])
def test_expand_rejects_sizes_that_are_not_ints(sizes):
    with pytest.raises(TypeError, match="expand: sizes must be ints"):
        ad.tensor([[1.0], [2.0]]).expand(*sizes)
    assert ad.tensor([[1.0], [2.0]]).expand(np.int64(2), 3).shape == (2, 3)


@pytest.mark.parametrize("k", [0, 2])
def test_topk_on_a_0d_tensor_takes_k_1_only(k):
    with pytest.raises(ValueError, match="0-d tensor"):
        ad.tensor(1.0).topk(k)
    values, indices = ad.tensor(1.0).topk(1)
    assert values.shape == indices.shape == ()


@pytest.mark.parametrize("kwargs", [dict(dim=0), dict(dim=-1), dict(descending=True)])
def test_argsort_with_pytorchs_arguments_on_a_0d_tensor(kwargs):
    x = ad.tensor(2.0)
    indices = x.argsort(**kwargs)
    assert indices.shape == () and indices.item() == 0
    assert indices.shape == x.sort(dim=0).indices.shape
    with pytest.raises(IndexError, match="argsort: dim="):
        x.argsort(dim=1)
    assert x.argsort().shape == ()                                # PyTorch's call
    assert x.argsort(axis=-1).shape == np.argsort(np.array(2.0)).shape   # NumPy's: (1,)


@pytest.mark.parametrize("dims", [(), []])
def test_roll_with_empty_dims_rolls_the_flattened_tensor(dims):
    # PyTorch's roll: empty dims (as None) roll the flattened tensor
    a = np.arange(6.0).reshape(2, 3)
    x = ad.tensor(a, requires_grad=True)
    y = x.roll(1, dims)
    np.testing.assert_array_equal(y.data, np.roll(a, 1))
    (y * ad.tensor(a)).sum().backward()
    np.testing.assert_array_equal(x.grad, np.roll(a, -1))
    np.testing.assert_array_equal(x.roll(1, axis=()).data, a)   # np.roll's axis=()


def test_index_add_gradient_keeps_the_leading_size_one_axes_of_g():
    g = ad.tensor(np.array([[1.0, 2.0]]), requires_grad=True)
    y = ad.index_add(g, (3,), slice(0, 2))
    np.testing.assert_array_equal(y.data, [1.0, 2.0, 0.0])
    (y * ad.tensor([3.0, 4.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(g.grad, [[3.0, 4.0]])
