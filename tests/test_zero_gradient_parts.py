"""np.angle and np.imag of a float tensor stay on the tape with gradient 0, as np.sign
and np.floor (and torch.angle of a real tensor, whose gradient is 0)."""

import numpy as np
import pytest

import autodiff as ad

DTYPES = [np.float64, np.float32, np.float16]
VALUES = [-2.0, 0.0, -0.0, 3.0, np.nan, -np.inf, np.inf]
PARTS = {
    "angle": (lambda t: np.angle(t), lambda a: np.angle(a)),
    "angle-deg": (lambda t: np.angle(t, deg=True), lambda a: np.angle(a, deg=True)),
    "imag": (np.imag, np.imag),
    "ad.imag": (ad.imag, np.imag),
    "Tensor.imag": (lambda t: t.imag, np.imag),
    "sign": (np.sign, np.sign),
    "floor": (np.floor, np.floor),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", PARTS)
def test_values_are_numpys_to_the_bit_and_the_gradient_is_zero(name, dtype):
    ours, numpys = PARTS[name]
    data = np.array(VALUES, dtype=dtype)
    x = ad.tensor(data, requires_grad=True)
    out = ours(x)
    expected = numpys(data)
    assert out.requires_grad and out.dtype == expected.dtype
    assert out.data.tobytes() == expected.tobytes()
    (out * 2.0).sum().backward()
    assert x.grad.dtype == dtype
    np.testing.assert_array_equal(x.grad, np.zeros_like(data))


@pytest.mark.parametrize("name", PARTS)
def test_second_order_is_zero(name):
    ours, _ = PARTS[name]
    x = ad.tensor([-1.5, 0.5, 2.0], requires_grad=True)
    (first,) = ad.autograd.grad((x * x * ours(x)).sum(), [x], create_graph=True)
    np.testing.assert_array_equal(first.data, 2 * x.data * ours(x).data)
    (second,) = ad.autograd.grad(first.sum(), [x], allow_unused=True)
    np.testing.assert_array_equal(second, 2 * ours(x).data)


@pytest.mark.parametrize("name", PARTS)
def test_a_compiled_function_replays_them_as_eager(name):
    ours, _ = PARTS[name]

    def step(x):
        x = ad.tensor(x, requires_grad=True)
        (x * ours(x) + ours(x)).sum().backward()
        return x.grad

    compiled = ad.compile(step)
    for data in ([3.0, -1.0, 0.5], [-2.0, 4.0, -0.0], [1.0, 1.0, -7.0]):
        data = np.array(data)
        assert step(data).tobytes() == compiled(data).tobytes()


def test_integer_and_complex_inputs_are_numpys_off_the_tape():
    assert np.angle(ad.tensor([1, -2])).dtype == np.angle(np.array([1, -2])).dtype
    assert np.imag(ad.tensor([1, -2])).dtype == np.int64
    z = ad.tensor(np.array([1.0 + 2.0j]))
    assert not np.angle(z).requires_grad and np.imag(z).tolist() == [2.0]


def test_torch_angle_of_a_real_tensor_has_gradient_zero_and_its_imag_is_refused():
    torch = pytest.importorskip("torch")
    t = torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    out = torch.angle(t)
    assert out.requires_grad
    out.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(np.angle(ad.tensor(t.detach().numpy())).data,
                                  out.detach().numpy())
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with "
                                           "non-complex dtypes"):
        torch.imag(t)
