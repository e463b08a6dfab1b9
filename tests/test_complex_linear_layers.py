"""Complex ``ad.nn.Linear`` layers (PyTorch has them): parameters, forward and backward
against PyTorch's complex Linear and central differences; complex convolution and
Embedding layers are made (tests/test_complex_conv_embedding.py checks them)."""

import numpy as np
import pytest

import autodiff as ad


def _complex_normal(rng, *shape):
    return rng.normal(size=shape) + 1j * rng.normal(size=shape)


def _loss(lib, y):
    """A real loss of a complex output, using both parts."""
    return (y * y.conj()).real.sum() + (y.imag * 3).sum() - y.real.sum()


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64, "complex128"])
def test_a_complex_linear_has_complex_parameters_within_the_bound(dtype):
    layer = ad.nn.Linear(4, 3, dtype=dtype, rng=0)
    bound = 1 / np.sqrt(4)
    for param in (layer.weight, layer.bias):
        assert param.dtype == np.dtype(dtype)
        for part in (param.data.real, param.data.imag):     # each part uniform, as torch
            assert np.all(np.abs(part) <= bound) and np.std(part) > 0.05


def test_the_library_dtype_name_works_too():
    assert ad.nn.Linear(2, 2, dtype=ad.complex128).weight.dtype == np.complex128


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype, rtol", [("complex128", 1e-12), ("complex64", 2e-5)])
def test_forward_and_backward_match_pytorchs_complex_linear(bias, dtype, rtol):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    layer = ad.nn.Linear(4, 3, bias=bias, dtype=dtype, rng=2)
    x = _complex_normal(rng, 5, 4).astype(dtype)
    ours_x = ad.tensor(x, requires_grad=True)
    y = layer(ours_x)
    _loss(ad, y).backward()

    theirs = torch.nn.Linear(4, 3, bias=bias, dtype=getattr(torch, dtype))
    with torch.no_grad():                    # PyTorch's weight is (out, in)
        theirs.weight.copy_(torch.tensor(layer.weight.data.T))
        if bias:
            theirs.bias.copy_(torch.tensor(layer.bias.data))
    their_x = torch.tensor(x, requires_grad=True)
    their_y = theirs(their_x)
    _loss(torch, their_y).backward()

    # matrix products (BLAS) differ in the last bits: relative error bounded
    def close(a, b):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(b).max())

    close(y.data, their_y.detach().numpy())
    close(ours_x.grad, their_x.grad.numpy())
    close(layer.weight.grad.T, theirs.weight.grad.numpy())
    if bias:
        close(layer.bias.grad, theirs.bias.grad.numpy())
    assert layer.weight.grad.dtype == np.dtype(dtype)


def test_the_weight_gradient_matches_central_differences():
    # PyTorch's convention for a real loss of complex w: dL/d(re w) + 1j * dL/d(im w)
    rng = np.random.default_rng(3)
    layer = ad.nn.Linear(3, 2, dtype=np.complex128, rng=4)
    x = _complex_normal(rng, 4, 3)
    _loss(ad, layer(ad.tensor(x))).backward()
    weight = layer.weight.data.copy()

    def loss_at(w):
        layer.weight.data[...] = w
        return _loss(ad, layer(ad.tensor(x))).item()

    eps = 1e-6
    expected = np.zeros_like(weight)
    for index in np.ndindex(weight.shape):
        for step in (1.0, 1j):
            shift = np.zeros_like(weight)
            shift[index] = eps * step
            slope = (loss_at(weight + shift) - loss_at(weight - shift)) / (2 * eps)
            expected[index] += slope * step
    layer.weight.data[...] = weight
    np.testing.assert_allclose(layer.weight.grad, expected, rtol=1e-7, atol=1e-8)


def test_an_adam_step_on_a_complex_linear_matches_pytorchs():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    layer = ad.nn.Linear(3, 2, dtype=np.complex128, rng=6)
    theirs = torch.nn.Linear(3, 2, dtype=torch.complex128)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(layer.weight.data.T))
        theirs.bias.copy_(torch.tensor(layer.bias.data))
    ours_opt = ad.optim.Adam(layer.parameters(), lr=0.1)
    their_opt = torch.optim.Adam(theirs.parameters(), lr=0.1)
    for _ in range(3):
        x = _complex_normal(rng, 4, 3)
        ours_opt.zero_grad()
        _loss(ad, layer(ad.tensor(x))).backward()
        ours_opt.step()
        their_opt.zero_grad()
        _loss(torch, theirs(torch.tensor(x))).backward()
        their_opt.step()
    np.testing.assert_allclose(layer.weight.data.T, theirs.weight.detach().numpy(),
                               rtol=1e-12, atol=1e-12)


def test_a_linear_of_another_dtype_is_still_refused():
    with pytest.raises(TypeError, match="Linear: dtype must be a floating-point or "
                                        "complex type .* not int64"):
        ad.nn.Linear(4, 3, dtype=np.int64)


@pytest.mark.parametrize("make, name", [
    (lambda: ad.nn.Conv1d(2, 3, 3, dtype=np.complex128), "Conv1d"),
    (lambda: ad.nn.Conv2d(2, 3, 3, dtype=ad.complex64), "Conv2d"),
    (lambda: ad.nn.ConvTranspose2d(2, 3, 3, dtype=np.complex128), "ConvTranspose2d"),
    (lambda: ad.nn.Embedding(5, 3, dtype=np.complex128), "Embedding"),
])
def test_complex_convolution_and_embedding_layers_are_made(make, name):
    # (they were refused; tests/test_complex_conv_embedding.py checks them against PyTorch)
    layer = make()
    assert layer.weight.dtype.kind == "c" and layer.weight.data.imag.any()


def test_a_complex_input_to_a_real_convolution_is_refused_as_pytorch():
    with pytest.raises(TypeError, match=r"conv2d: the input, weight and bias must have one "
                                        r"dtype.*input complex128, weight float64"):
        ad.nn.functional.conv2d(np.ones((1, 1, 3, 3), complex), np.ones((1, 1, 2, 2)))


def test_pytorch_cannot_differentiate_a_complex_embedding():
    torch = pytest.importorskip("torch")
    table = torch.nn.Embedding(5, 3, dtype=torch.complex128)
    with pytest.raises(RuntimeError, match="does not support automatic differentiation"):
        table(torch.tensor([0, 2]))


def test_functional_linear_of_complex_operands_matches_pytorchs():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x, weight, bias = _complex_normal(rng, 5, 4), _complex_normal(rng, 3, 4), \
        _complex_normal(rng, 3)
    ours = [ad.tensor(v, requires_grad=True) for v in (x, weight, bias)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (x, weight, bias)]
    y = ad.nn.functional.linear(*ours)
    their_y = torch.nn.functional.linear(*theirs)
    _loss(ad, y).backward()
    _loss(torch, their_y).backward()
    # matrix products (BLAS): relative error bounded, not bitwise
    np.testing.assert_allclose(y.data, their_y.detach().numpy(), rtol=1e-12)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_a_lazy_linear_takes_a_complex_dtype_too():
    layer = ad.nn.LazyLinear(3, dtype=np.complex128, rng=0)
    out = layer(np.ones((2, 4)) * (1 + 1j))
    assert out.dtype == np.complex128 and type(layer) is ad.nn.Linear
    assert np.all(np.abs(layer.weight.data.imag) <= 0.5) and layer.weight.data.imag.std() > 0
    eager = ad.nn.Linear(4, 3, dtype=np.complex128, rng=0)     # the same draws
    np.testing.assert_array_equal(layer.weight.data, eager.weight.data)
