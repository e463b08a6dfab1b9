"""Complex convolutions (``F.conv1d`` ... ``F.conv_transpose3d`` and the ``Conv`` layers
with a complex dtype) and complex ``Embedding`` tables (both were refused): values and
gradients (first and second order, PyTorch's convention for complex values) equal
PyTorch's to 1e-10 relative in complex128 (PyTorch sums a complex convolution by
Gauss's three real products, here four: another rounding), and central differences
over the real and imaginary parts; PyTorch refuses the gradient of a complex lookup,
so the table's is checked against central differences."""

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from complex_checks import (check_against_central_differences, check_against_torch,
                            central_differences, sample)

#: name: (input shape, weight shape, bias size, keyword arguments)
CONVOLUTIONS = {
    "conv1d": ((2, 4, 7), (6, 2, 3), 6, dict(stride=2, padding=1, groups=2)),
    "conv2d": ((2, 2, 5, 5), (3, 2, 2, 2), 3, dict(padding=1, dilation=2)),
    "conv2d unbatched": ((2, 5, 4), (3, 2, 3, 2), 3, dict(stride=(2, 1))),
    "conv3d": ((1, 2, 4, 4, 3), (3, 2, 2, 2, 2), 3, dict(padding=(1, 0, 1))),
    "conv_transpose1d": ((1, 2, 5), (2, 3, 3), 3, dict(stride=2, output_padding=1)),
    "conv_transpose2d": ((1, 2, 4, 3), (2, 3, 2, 2), 3, dict(stride=2, padding=1)),
    "conv_transpose3d": ((1, 2, 3, 2, 3), (2, 2, 2, 2, 2), 2, dict()),
}


def _calls(name):
    x_shape, w_shape, n_bias, kwargs = CONVOLUTIONS[name]
    fn = name.split()[0]

    def ours(x, w, b):
        return getattr(F, fn)(x, w, b, **kwargs)

    def theirs(x, w, b):
        import torch
        return getattr(torch.nn.functional, fn)(x, w, b, **kwargs)
    return ours, theirs, [sample(x_shape), sample(w_shape), sample((n_bias,))]


@pytest.mark.parametrize("name", sorted(CONVOLUTIONS))
def test_complex_convolutions_are_pytorchs_to_second_order(name):
    pytest.importorskip("torch")
    ours, theirs, arrays = _calls(name)
    check_against_torch(ours, theirs, arrays, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["conv1d", "conv2d", "conv_transpose2d"])
def test_complex_convolution_gradients_match_central_differences(name):
    ours, _, arrays = _calls(name)
    check_against_central_differences(ours, arrays)


def test_a_real_operand_with_complex_ones_is_refused_as_pytorch():
    x, w = sample((1, 2, 5, 5)), sample((3, 2, 2, 2))
    with pytest.raises(TypeError, match=r"conv2d: the input, weight and bias must have one "
                                        r"dtype .*input float64, weight complex128.*"
                                        r"astype\(np\.complex128\)"):
        F.conv2d(ad.tensor(x.real), ad.tensor(w))
    with pytest.raises(TypeError, match=r"input complex64, weight complex128"):
        F.conv2d(ad.tensor(x.astype(np.complex64)), ad.tensor(w))
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.nn.functional.conv2d(torch.tensor(x.real), torch.tensor(w))


@pytest.mark.parametrize("layer, shape, kwargs", [
    ("Conv1d", (2, 4, 9), {}), ("Conv2d", (2, 4, 6, 6), {"padding": 1,
                                                        "padding_mode": "reflect"}),
    ("Conv3d", (1, 4, 4, 4, 4), {}), ("ConvTranspose2d", (1, 4, 3, 3), {"stride": 2})])
def test_complex_layers_are_pytorchs(layer, shape, kwargs):
    torch = pytest.importorskip("torch")
    ours = getattr(ad.nn, layer)(4, 2, 3, rng=0, dtype=np.complex128, **kwargs)
    theirs = getattr(torch.nn, layer)(4, 2, 3, dtype=torch.complex128, **kwargs)
    assert ours.weight.dtype == np.complex128 and ours.bias.dtype == np.complex128
    # PyTorch's uniform_: each part within the kaiming bound 1 / sqrt(fan_in)
    bound = 1 / np.sqrt(np.prod(ours.weight.shape[1:]))
    assert np.abs(ours.weight.data.real).max() <= bound
    assert np.abs(ours.weight.data.imag).max() <= bound and ours.weight.data.imag.any()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
        theirs.bias.copy_(torch.tensor(ours.bias.data))
    x = sample(shape)
    y, y_t = ours(ad.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(y.data, y_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    (np.abs(y) ** 2).sum().backward()
    (y_t.abs() ** 2).sum().backward()
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"max_norm": 0.7},
                                    {"max_norm": 1.0, "norm_type": 1.0}], ids=str)
def test_complex_embedding_lookups_are_pytorchs_with_a_gradient(kwargs):
    torch = pytest.importorskip("torch")
    table, ids = sample((5, 3)), np.array([[0, 2], [2, 4]])
    ours = ad.tensor(table.copy(), requires_grad=True)
    theirs = torch.tensor(table.copy())
    rows = F.embedding(ids, ours, **kwargs)
    with torch.no_grad():
        their_rows = torch.nn.functional.embedding(torch.tensor(ids), theirs, **kwargs)
    np.testing.assert_allclose(rows.data, their_rows.numpy(), rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-15)   # (max_norm: in place)
    # PyTorch refuses the gradient ("embedding does not support automatic
    # differentiation for outputs with complex dtype"); ours is the lookup's
    with pytest.raises(RuntimeError, match="complex"):
        torch.nn.functional.embedding(torch.tensor(ids), theirs.requires_grad_())
    weights = sample(rows.shape)
    np.sum(np.real(rows * weights)).backward()
    start = ours.data.copy()

    def loss(values):
        return np.sum(np.real(F.embedding(ids, ad.tensor(values), padding_idx=kwargs.get(
            "padding_idx")).data * weights))
    (expected,) = central_differences(loss, [start])
    if "padding_idx" in kwargs:
        expected[kwargs["padding_idx"]] = 0         # (that row gets no gradient)
    np.testing.assert_allclose(ours.grad, expected, rtol=1e-7, atol=1e-9)


def test_a_complex_embedding_table_starts_as_pytorchs_complex_normal():
    table = ad.nn.Embedding(2000, 50, dtype=np.complex128, rng=0).weight.data
    # each part has variance std**2 / 2 (4 standard errors of a variance of 1e5 draws)
    for part in (table.real, table.imag):
        assert abs(np.var(part) - 0.5) < 4 * 0.5 * np.sqrt(2 / part.size)
    small = ad.nn.Embedding(4, 3, dtype=np.complex64, padding_idx=1, rng=0)
    assert small.weight.dtype == np.complex64 and not small.weight.data[1].any()
