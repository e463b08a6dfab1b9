"""PyTorch's Tensor-method spellings settled: ``t.max(other)``/``t.min(other)`` with a
Tensor ``other`` (the elementwise maximum/minimum), and ``ad.max``'s NumPy reading."""

import numpy as np
import pytest

import autodiff as ad


def _pair(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(-2, 3, size=(3, 4)).astype(float)      # small ints: many ties
    b = rng.integers(-2, 3, size=(4,)).astype(float)
    return a, b


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("seed", range(4))
def test_tensor_method_with_a_tensor_is_the_elementwise_extreme_as_pytorch(name, seed):
    torch = pytest.importorskip("torch")
    a, b = _pair(seed)
    x, y = ad.tensor(a, requires_grad=True), ad.tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    weights = np.arange(1.0, 13.0).reshape(3, 4)
    out = getattr(x, name)(y)
    (out * ad.tensor(weights)).sum().backward()
    expected = getattr(tx, name)(ty)
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())
    # ties split the gradient in halves, exactly as PyTorch's rule does
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())
    np.testing.assert_array_equal(y.grad, ty.grad.numpy())


def test_tensor_method_extreme_matches_maximum_and_finite_differences():
    a = np.array([[0.3, -1.2], [2.0, 0.7]])
    b = np.array([0.1, 0.5])
    np.testing.assert_array_equal(ad.tensor(a).max(ad.tensor(b)).numpy(), np.maximum(a, b))
    np.testing.assert_array_equal(ad.tensor(a).min(ad.tensor(b)).numpy(), np.minimum(a, b))
    gradient = ad.grad(lambda t: (t.max(ad.tensor(b)) ** 2).sum())(ad.tensor(a))
    step = 1e-6
    numeric = np.zeros_like(a)
    for index in np.ndindex(a.shape):
        shift = np.zeros_like(a)
        shift[index] = step
        numeric[index] = ((np.maximum(a + shift, b) ** 2).sum()
                          - (np.maximum(a - shift, b) ** 2).sum()) / (2 * step)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-7)


def test_tensor_method_extreme_propagates_nan_as_pytorch():
    torch = pytest.importorskip("torch")
    a, b = np.array([np.nan, 1.0, 2.0]), np.array([0.0, np.nan, 1.0])
    np.testing.assert_array_equal(ad.tensor(a).max(ad.tensor(b)).numpy(),
                                  torch.tensor(a).max(torch.tensor(b)).numpy())


def test_int_positional_stays_refused_and_dim_gives_values_and_indices():
    x = ad.tensor([[1.0, 5.0], [7.0, 0.0]])
    with pytest.raises(TypeError, match=r"axis=1 for the values or dim=1"):
        x.max(1)
    assert x.max(dim=1).indices.tolist() == [1, 0]


def test_tensor_other_with_a_dim_or_keepdim_is_refused():
    x, y = ad.tensor([1.0, 5.0]), ad.tensor([3.0, 3.0])
    with pytest.raises(TypeError, match=r"takes no axis, dim or keepdim.*ad\.maximum"):
        x.max(y, keepdim=True)
    with pytest.raises(TypeError, match=r"takes no axis, dim or keepdim.*ad\.minimum"):
        x.min(y, 0)


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("function", [ad.max, np.max, ad.min, np.min])
def test_numpy_max_given_a_tensor_for_the_axis_names_maximum(function, requires_grad):
    x = ad.tensor([1.0, 5.0], requires_grad=True)
    other = ad.tensor([3.0, 3.0], requires_grad=requires_grad)
    pairwise = "maximum" if function in (ad.max, np.max) else "minimum"
    with pytest.raises(TypeError, match=rf"elementwise {pairwise}.*ad\.{pairwise}\("):
        function(x, other)
