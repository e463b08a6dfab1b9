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
