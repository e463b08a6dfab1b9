"""What the sixth round of PyTorch scripts found missing or different, each compared
with PyTorch: ``ad.transpose(x, dim0, dim1)`` (torchvision's channel shuffle),
``func.stack_module_state`` (the model-ensembling tutorial) and hardsigmoid's slope,
which PyTorch's backward takes as the float32 constant ``1.0f / 6.0f`` in every dtype
(a MobileNet block's squeeze-and-excitation).  ``optimizer.state[p]`` is in
test_optimizer_state_by_parameter.py."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import func
from autodiff.nn import functional as F

RNG = np.random.default_rng(65)


# ----- ad.transpose(x, dim0, dim1) -----------------------------------------------------

@pytest.mark.parametrize("shape, dims", [((2, 3), (0, 1)), ((2, 3), (1, 0)), ((2, 3), (-1, 0)),
                                         ((2, 3, 4), (1, 2)), ((2, 3, 4), (0, -1)),
                                         ((2, 3, 4, 5), (3, 1)), ((2, 3, 4), (1, 1)),
                                         ((4,), (0, 0))])
def test_transpose_of_two_dims_swaps_them_as_torch(shape, dims):
    torch = pytest.importorskip("torch")
    x = RNG.normal(size=shape)
    weights = RNG.normal(size=torch.transpose(torch.tensor(x), *dims).shape)
    theirs = torch.tensor(x, requires_grad=True)
    out = torch.transpose(theirs, *dims)
    (out * torch.tensor(weights)).sum().backward()
    ours = ad.tensor(x, requires_grad=True)
    result = ad.transpose(ours, *dims)
    (result * ad.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(result.data, out.detach().numpy())
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())
    assert ad.gradcheck(lambda t: (ad.transpose(t, *dims) * weights).sum(), [x])


def test_transpose_keeps_numpys_one_tuple_and_refuses_more_than_two_dims():
    x = ad.tensor(RNG.normal(size=(2, 3, 4)))
    assert ad.transpose(x, (2, 0, 1)).shape == (4, 2, 3)
    assert ad.transpose(x).shape == (4, 3, 2)
    with pytest.raises(TypeError, match=r"transpose: got the axes \(2, 0, 1\) one by one"):
        ad.transpose(x, 2, 0, 1)
    with pytest.raises(IndexError, match=r"transpose: dim 3 is out of range for a 3-D"):
        ad.transpose(x, 0, 3)


# ----- func.stack_module_state ---------------------------------------------------------

def test_stack_module_state_stacks_new_leaves_as_torch():
    torch = pytest.importorskip("torch")
    theirs = [torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
              for _ in range(3)]
    ours = [ad.nn.Sequential(ad.nn.Linear(3, 4), ad.nn.BatchNorm1d(4)) for _ in range(3)]
    for model, reference in zip(ours, theirs):
        model.load_torch_state_dict(reference.state_dict())
    their_params, their_buffers = torch.func.stack_module_state(theirs)
    params, buffers = func.stack_module_state(ours)
    assert list(params) == list(their_params) and list(buffers) == list(their_buffers)
    for name, value in params.items():
        assert value.requires_grad and value.grad_fn is None        # a new leaf
        expected = their_params[name].detach().numpy()
        if name.endswith("0.weight"):                # (Linear's weight is (in, out) here)
            expected = expected.transpose(0, 2, 1)
        np.testing.assert_array_equal(value.data, expected)
    for name, value in buffers.items():
        assert not value.requires_grad
        np.testing.assert_array_equal(value.data, their_buffers[name].numpy())
    params["1.bias"].sum().backward()
    assert all(p.grad is None for model in ours for p in model.parameters())


def test_stack_module_state_refuses_what_torch_refuses():
    with pytest.raises(RuntimeError, match="at least one model"):
        func.stack_module_state([])
    with pytest.raises(RuntimeError, match="one class"):
        func.stack_module_state([ad.nn.Linear(2, 2), ad.nn.Sequential(ad.nn.Linear(2, 2))])
    with pytest.raises(RuntimeError, match="same mode"):
        func.stack_module_state([ad.nn.Linear(2, 2), ad.nn.Linear(2, 2).eval()])
    frozen = ad.nn.Linear(2, 2)
    frozen.weight.requires_grad_(False)
    with pytest.raises(RuntimeError, match="'weight' of every model.*requires_grad"):
        func.stack_module_state([ad.nn.Linear(2, 2), frozen])


# ----- hardsigmoid's slope -------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_hardsigmoid_gradient_is_torchs_bit_for_bit(dtype):
    torch = pytest.importorskip("torch")
    x = np.concatenate([RNG.uniform(-5, 5, size=50), [-3.0, 3.0, 0.0, np.nan, np.inf]])
    g = RNG.normal(size=x.shape)
    g[-1] = np.nan                        # outside (-3, 3) no gradient passes, NaN or not
    x, g = x.astype(dtype), g.astype(dtype)
    theirs = torch.tensor(x, requires_grad=True)
    torch.nn.functional.hardsigmoid(theirs).backward(torch.tensor(g))
    ours = ad.tensor(x, requires_grad=True)
    out = ad.nn.Hardsigmoid()(ours)
    out.backward(ad.tensor(g))
    np.testing.assert_array_equal(out.data, torch.nn.functional.hardsigmoid(
        torch.tensor(x)).numpy())
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())
    assert ours.grad.dtype == np.dtype(dtype)


def test_hardsigmoid_gradient_against_finite_differences_and_higher_orders():
    x = np.array([-4.2, -2.5, -0.3, 0.7, 2.9, 3.6])
    assert ad.gradcheck(lambda t: (F.hardsigmoid(t) ** 2).sum(), [x])
    slope = float(np.float32(1 / 6))
    second = np.diag(ad.hessian(lambda t: (F.hardsigmoid(t) ** 2).sum())(x))
    np.testing.assert_allclose(second, np.where(np.abs(x) < 3, 2 * slope * slope, 0.0),
                               rtol=1e-15)
    np.testing.assert_allclose(np.diag(ad.jacfwd(F.hardsigmoid)(x)),
                               np.where(np.abs(x) < 3, slope, 0.0), rtol=1e-15)
