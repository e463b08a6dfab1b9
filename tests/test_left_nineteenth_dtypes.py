"""PyTorch's dtype shorthands of a Tensor that has that dtype already return the tensor
itself (so an in-place change through them is seen), as PyTorch's."""

import numpy as np
import pytest

import autodiff as ad

SAME_DTYPE = [
    ("double", np.float64, ()), ("float", np.float32, ()), ("half", np.float16, ()),
    ("long", np.int64, ()), ("int", np.int32, ()), ("short", np.int16, ()),
    ("byte", np.uint8, ()), ("char", np.int8, ()), ("bool", np.bool_, ()),
    ("cfloat", np.complex64, ()), ("cdouble", np.complex128, ()),
    ("type", np.float64, (np.float64,)), ("type", np.float32, ("torch.FloatTensor",)),
]


@pytest.mark.parametrize("method, dtype, args", SAME_DTYPE)
def test_shorthand_of_the_same_dtype_is_the_tensor_itself(method, dtype, args):
    t = ad.tensor(np.array([1, 0, 1]).astype(dtype))
    assert getattr(t, method)(*args) is t
    assert t.to(t.dtype) is t and t.type_as(t) is t


def test_in_place_change_through_the_shorthand_is_seen_as_in_pytorch():
    torch = pytest.importorskip("torch")
    t, reference = ad.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0], dtype=torch.float64)
    t.double().mul_(3)
    reference.double().mul_(3)
    t.type(np.float64).add_(1)
    reference.type(torch.float64).add_(1)
    np.testing.assert_array_equal(t.numpy(), reference.numpy())


def test_shorthand_of_another_dtype_is_a_new_tensor_on_the_tape():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = x.float()
    assert y is not x and y.dtype == np.float32
    (y * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_same_dtype_shorthand_keeps_the_gradient_path():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    (x.double() ** 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_parameter_shorthand_is_the_parameter_itself_as_pytorch():
    torch = pytest.importorskip("torch")
    p = ad.nn.Parameter(np.ones(2))
    reference = torch.nn.Parameter(torch.ones(2, dtype=torch.float64))
    assert (p.double() is p) == (reference.double() is reference) is True


# ----- bool add with alpha, integer norm ------------------------------------------------

@pytest.mark.parametrize("alpha", [2, -1, 0, 1, 3])
@pytest.mark.parametrize("other", [[True, True, False, False], True, False])
def test_bool_add_with_an_int_alpha_stays_bool_as_pytorch(alpha, other):
    torch = pytest.importorskip("torch")
    values = [True, False, True, False]
    result = ad.tensor(values).add(ad.tensor(other) if isinstance(other, list) else other,
                                   alpha=alpha)
    expected = torch.tensor(values).add(
        torch.tensor(other) if isinstance(other, list) else other, alpha=alpha)
    assert result.dtype == np.bool_
    assert result.tolist() == expected.tolist()


def test_bool_add_of_an_int_tensor_promotes_as_pytorch():
    torch = pytest.importorskip("torch")
    result = ad.tensor([True, False]).add(ad.tensor([1, 2]), alpha=2)
    expected = torch.tensor([True, False]).add(torch.tensor([1, 2]), alpha=2)
    assert result.dtype == np.int64 and result.tolist() == expected.tolist()


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
def test_norm_of_an_integer_tensor_is_refused_naming_float(dtype):
    torch = pytest.importorskip("torch")
    values = np.array([1, 0, 1]).astype(dtype)
    with pytest.raises(RuntimeError):
        torch.tensor(values).norm()
    with pytest.raises(TypeError, match=rf"norm: the tensor is {np.dtype(dtype)}.*\.float\(\)"):
        ad.tensor(values).norm()
    np.testing.assert_allclose(ad.tensor(values).float().norm().numpy(),
                               torch.tensor(values).float().norm().numpy(), rtol=1e-6)


# ----- kept as NumPy's ndarray methods (README, PyTorch habits) --------------------------

def test_integer_mean_and_std_keep_ndarrays_methods_where_pytorch_refuses():
    torch = pytest.importorskip("torch")
    values = np.array([1, 2, 4])
    with pytest.raises(RuntimeError):
        torch.tensor(values).mean()
    assert ad.tensor(values).mean().item() == values.mean()
    assert ad.tensor(values).std(ddof=0).item() == values.std()
    assert (ad.tensor(values) > 1).mean().item() == pytest.approx(2 / 3)


def test_uint8_all_and_any_give_bool_as_ndarrays_where_pytorch_gives_uint8():
    torch = pytest.importorskip("torch")
    values = np.array([[1, 0], [2, 3]], dtype=np.uint8)
    assert torch.tensor(values).all(dim=1).dtype == torch.uint8
    result = ad.tensor(values).all(dim=1)
    assert result.dtype == np.bool_ and result.tolist() == [False, True]
    x = ad.tensor([[5.0, 6.0], [7.0, 8.0]])
    assert x[ad.tensor(values).any(dim=1)].shape == (2, 2)     # a mask, not indices
