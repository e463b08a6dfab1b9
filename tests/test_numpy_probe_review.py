"""NumPy calls on Tensors with arguments NumPy accepts: positional initial/where of the
reductions, a Python-number repeats, einsum's own default order/casting."""

import numpy as np
import pytest

import autodiff as ad


def _x():
    return ad.tensor(np.array([[1.0, np.nan, 3.0], [2.0, 5.0, 1.0]]), requires_grad=True)


@pytest.mark.parametrize("call", [
    lambda a: np.sum(a, 0, None, None, False, 2.0),
    lambda a: np.sum(a, 0, None, None, False, np._NoValue, _data(a) > 1),
    lambda a: np.max(a, 0, None, False, 2.0),
    lambda a: np.amin(a, 0, None, False, 2.0),
])
def test_reductions_take_positional_initial_and_where(call):
    x = _x()
    y = call(x)
    np.testing.assert_array_equal(y.data, call(x.data))
    ad.nansum(y).backward()
    assert x.grad.shape == x.shape


def _data(a):
    return a.data if isinstance(a, ad.Tensor) else a


@pytest.mark.parametrize("call", [
    lambda x: np.nansum(x, 0, None, None, False, 2.0),
    lambda x: np.nanmax(x, 0, None, False, 2.0),
    lambda x: np.nanmin(x, 0, None, False, 9.0, _data(x) > 1),
])
def test_reductions_take_positional_initial_and_where_as_numpy(call):
    x = _x()
    np.testing.assert_array_equal(call(x).data, call(x.data))


def test_a_nan_extreme_with_where_and_no_initial_raises_as_numpy():
    with pytest.raises(ValueError, match="identity"):
        np.nanmin(_x(), 0, None, False, np._NoValue, _x().data > 1)


def test_reductions_take_positional_defaults():
    x = _x()
    y = np.nanmax(x, 0, None, True)
    z = np.sum(x, 1, None, None, True, np._NoValue, True)
    np.testing.assert_array_equal(y.data, np.nanmax(x.data, 0, None, True))
    np.testing.assert_array_equal(z.data, np.sum(x.data, 1, None, None, True))
    (y.sum() + ad.nansum(z)).backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0, 1.0], [2.0, 2.0, 1.0]])


@pytest.mark.parametrize("repeats", [2.0, np.float64(2.0), [1.0, 0.0, 2.0]])
def test_repeat_takes_python_number_repeats_as_numpy(repeats):
    x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = np.repeat(x, repeats)
    np.testing.assert_array_equal(y.data, np.repeat(x.data, repeats))
    y.sum().backward()
    copies = np.bincount(np.repeat(np.arange(3), repeats), minlength=3)
    np.testing.assert_array_equal(x.grad, copies)


@pytest.mark.parametrize("kwargs", [{"order": "K"}, {"casting": "safe"},
                                    {"order": "C", "casting": "same_kind"}])
def test_einsum_takes_its_own_defaults(kwargs):
    a = np.arange(6.0).reshape(2, 3)
    x = ad.tensor(a, requires_grad=True)
    y = np.einsum("ij,kj->ik", x, a, **kwargs)
    np.testing.assert_allclose(y.data, np.einsum("ij,kj->ik", a, a, **kwargs))
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.broadcast_to(a.sum(0), (2, 3)))


@pytest.mark.parametrize("kwargs", [{"order": "F"}, {"order": "A"}])
def test_einsum_refuses_other_order(kwargs):
    x = ad.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(TypeError, match="numpy.einsum.*not supported"):
        np.einsum("ij->j", x, **kwargs)


def test_einsum_checks_casting_as_numpy():
    x = ad.tensor(np.ones((2, 3)), requires_grad=True)
    single = np.ones((2, 3), np.float32)
    with pytest.raises(TypeError, match="could not be cast from dtype\\('float32'\\) to "
                                        "dtype\\('float64'\\) according to the rule 'no'"):
        np.einsum("ij,ij->j", x, single, casting="no")
    with pytest.raises(TypeError, match="could not be cast"):
        np.einsum("ij,ij->j", x.data, single, casting="no")
    same = np.einsum("ij,ij->j", x, x, casting="no")
    np.testing.assert_array_equal(same.data, np.einsum("ij,ij->j", x.data, x.data))
