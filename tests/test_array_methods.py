"""The ndarray methods and PyTorch shorthands of array_methods.py: NumPy's values,
gradients by central differences, PyTorch's conversions."""

import numpy as np
import pytest

import autodiff as ad

A = np.random.default_rng(0).standard_normal((3, 4))


def _numerical_grad(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        grad[index] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


@pytest.mark.parametrize("method, args, kwargs", [
    ("diagonal", (), {}), ("diagonal", (1,), {}), ("diagonal", (), {"dim1": 1, "dim2": 0}),
    ("trace", (), {}), ("trace", (-1,), {}),
    ("take", ([0, 5, 5, 11],), {}), ("take", ([2, 0],), {"axis": 1}),
    ("compress", ([True, False, True],), {"axis": 0}), ("compress", ([0, 1, 1, 0, 1],), {}),
])
def test_recorded_methods_match_numpy_and_their_gradients_central_differences(
        method, args, kwargs):
    numpy_kwargs = {("axis1" if k == "dim1" else "axis2" if k == "dim2" else k): v
                    for k, v in kwargs.items()}
    expected = getattr(A, method)(*args, **numpy_kwargs)
    x = ad.tensor(A, requires_grad=True)
    out = getattr(x, method)(*args, **kwargs)
    np.testing.assert_array_equal(out.data, expected)
    weights = np.random.default_rng(1).standard_normal(np.shape(expected))
    (out * weights).sum().backward()
    numeric = _numerical_grad(
        lambda a: float((getattr(a, method)(*args, **numpy_kwargs) * weights).sum()), A)
    np.testing.assert_allclose(x.grad, numeric, rtol=1e-7, atol=1e-8)


def test_any_all_and_the_integer_methods_match_numpy():
    x = ad.tensor(np.array([[0.0, 2.0], [0.0, 0.0]]))
    np.testing.assert_array_equal(x.any(axis=1).data, [True, False])
    np.testing.assert_array_equal(x.all(dim=0, keepdim=True).data, [[False, False]])
    assert not x.all().item() and x.any().item()
    assert x.nonzero(as_tuple=True) == np.nonzero(x.data)
    np.testing.assert_array_equal(x.nonzero(as_tuple=False).data, [[0, 1]])
    with pytest.raises(TypeError, match="as_tuple=True .*as_tuple=False"):
        x.nonzero()
    s = ad.tensor([1.0, 3.0, 5.0])
    assert s.searchsorted(4.0) == 2 and s.searchsorted(3.0, side="right") == 2
    np.testing.assert_array_equal(ad.tensor(A).argpartition(1, axis=1).data,
                                  np.argpartition(A, 1, axis=1))


def test_fill_conj_real_imag_and_sizes():
    x = ad.tensor(np.zeros((2, 3), dtype=np.float32))
    assert x.fill(2.5) is None and (x.data == 2.5).all()
    y = ad.tensor([1.0, -2.0], requires_grad=True)
    assert y.real is y and y.conj() is not y and y.conjugate().tolist() == [1.0, -2.0]
    np.testing.assert_array_equal(y.imag.data, [0.0, 0.0])
    assert (x.itemsize, x.nbytes) == (4, 24)
    with pytest.raises(Exception, match="fill_|leaf"):
        y.fill(0.0)                     # a leaf that requires grad: refused as fill_ is


def test_pytorch_conversions_keep_the_tape_for_floats():
    x = ad.tensor(np.array([1.5, -2.0]), requires_grad=True)
    y = x.to(np.float32)
    assert y.dtype == np.float32 and y.requires_grad
    (y.double() * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    assert x.float().dtype == np.float32 and x.long().dtype == np.int64
    assert x.int().dtype == np.int32 and x.bool().dtype == np.bool_
    assert x.long().requires_grad is False
    assert x.to("cpu") is x and x.to(x) is x and x.to("cpu", copy=True) is not x
    assert x.to("float32").dtype == np.float32
    assert ad.tensor([1, 2]).type_as(x).dtype == np.float64
    with pytest.raises(ValueError, match="device 'cuda:0' is not available"):
        x.to("cuda:0")


def test_shorthands():
    x = ad.tensor(A, requires_grad=True)
    assert (x.numel(), x.dim()) == (12, 2) and x.contiguous() is x
    np.testing.assert_array_equal(x.pow(2).data, A ** 2)
    np.testing.assert_array_equal(x.mm(x.T).data, A @ A.T)
    with pytest.raises(ValueError, match="mm: needs two 2-D tensors"):
        x.mm(np.ones(4))
    np.testing.assert_allclose(x.softmax(1).data.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(x.log_softmax(dim=0).data).sum(axis=0), 1.0)
    zeros = ad.tensor(np.ones(2, dtype=np.float32)).new_zeros(2, 3)
    assert zeros.shape == (2, 3) and zeros.dtype == np.float32 and not zeros.requires_grad
    assert x.new_ones((2,)).tolist() == [1.0, 1.0]
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0]
    assert x.new_tensor([1, 2]).dtype == np.float64
