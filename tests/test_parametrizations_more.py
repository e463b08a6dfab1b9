"""``nn.utils.parametrizations.spectral_norm`` and ``orthogonal``: values, buffers,
power iterations, eval mode and gradients against PyTorch (after copying its random
``_u`` / ``_v`` / ``base`` buffers), and gradients against central finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

import torch_float64
from torch_float64 import numeric_gradient

torch = torch_float64.torch     # the fixture: PyTorch in float64

P = nn.utils.parametrizations
RNG = np.random.default_rng(7)




def _twins(kind, torch):
    """The same layer in both libraries (PyTorch's holding our weights) and an input."""
    if kind == "linear":
        ours, theirs, x = nn.Linear(5, 3, rng=0), torch.nn.Linear(5, 3), (4, 5)
    elif kind == "conv":
        ours, theirs, x = nn.Conv2d(2, 3, 3, rng=0), torch.nn.Conv2d(2, 3, 3), (2, 2, 5, 5)
    elif kind == "conv_transpose1d":
        ours, theirs = nn.ConvTranspose1d(2, 3, 3, rng=0), torch.nn.ConvTranspose1d(2, 3, 3)
        x = (2, 2, 4)
    else:
        ours, theirs = nn.ConvTranspose2d(2, 3, 3, rng=0), torch.nn.ConvTranspose2d(2, 3, 3)
        x = (2, 2, 4, 4)
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.to_torch_state_dict().items()})
    return ours, theirs, RNG.standard_normal(x)


def _copy_buffers(ours, theirs, torch, names):
    """PyTorch's random buffers (``_u`` / ``_v`` / ``base``) into ours."""
    state = {k: torch.from_numpy(v) for k, v in ours.to_torch_state_dict().items()}
    for key, value in theirs.state_dict().items():
        if key.rsplit(".", 1)[-1] in names:
            state[key] = value
    ours.load_torch_state_dict(state)


# ----- spectral_norm ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["linear", "conv", "conv_transpose1d", "conv_transpose2d"])
@pytest.mark.parametrize("steps", [1, 3])
def test_spectral_norm_matches_pytorch(kind, steps, torch):
    ours, theirs, x = _twins(kind, torch)
    P.spectral_norm(ours, n_power_iterations=steps)
    torch.nn.utils.parametrizations.spectral_norm(theirs, n_power_iterations=steps)
    assert sorted(ours.to_torch_state_dict()) == sorted(theirs.state_dict())
    their_buffers = dict(theirs.named_buffers())
    for name, value in ours.named_buffers():
        assert value.shape == tuple(their_buffers[name].shape), name
    _copy_buffers(ours, theirs, torch, ("_u", "_v"))
    for _ in range(3):                   # each forward reads the weight: one iteration each
        out, expected = ours(ad.tensor(x)), theirs(torch.from_numpy(x))
        np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-11,
                                   atol=1e-13)
    (out ** 2).sum().backward()
    (expected ** 2).sum().backward()
    original = ours.parametrizations.weight.original
    their_original = theirs.parametrizations.weight.original
    grad = original.grad.T if kind == "linear" else original.grad
    np.testing.assert_allclose(grad, their_original.grad.numpy(), rtol=1e-9, atol=1e-12)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.to_torch_state_dict()[key], value.numpy(),
                                   rtol=1e-11, atol=1e-13, err_msg=key)
    ours.eval()
    theirs.eval()
    frozen = ours.parametrizations.weight[0]._u.copy()
    for _ in range(2):
        np.testing.assert_allclose(ours(ad.tensor(x)).numpy(),
                                   theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-11,
                                   atol=1e-13)
    np.testing.assert_array_equal(ours.parametrizations.weight[0]._u, frozen)


def test_spectral_norm_starts_near_one_and_has_pytorchs_dims(torch):
    ad.nn.manual_seed(0)
    layer = P.spectral_norm(nn.Linear(6, 4, rng=1))
    sigma = np.linalg.svd(layer.weight.data, compute_uv=False)[0]
    assert abs(sigma - 1.0) < 1e-4                         # 15 steps when made, as PyTorch's
    up = P.spectral_norm(nn.ConvTranspose1d(2, 5, 3, rng=0))
    their_up = torch.nn.utils.parametrizations.spectral_norm(torch.nn.ConvTranspose1d(2, 5, 3))
    assert up.parametrizations.weight[0]._u.shape == tuple(
        their_up.parametrizations.weight[0]._u.shape) == (5,)     # dim 1 for a transpose
    bias_normed = P.spectral_norm(nn.Linear(2, 3, rng=0), name="bias")
    np.testing.assert_allclose(bias_normed.bias.data,
                               bias_normed.parametrizations.bias.original.data
                               / np.linalg.norm(bias_normed.parametrizations.bias.original.data))
    with pytest.raises(ValueError, match="n_power_iterations to be a positive int"):
        P.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(IndexError, match="dimension out of range"):
        P.spectral_norm(nn.Linear(2, 2), dim=2)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'w'"):
        P.spectral_norm(nn.Linear(2, 2), name="w")


def test_spectral_norm_gradient_against_finite_differences():
    layer = P.spectral_norm(nn.Conv1d(2, 3, 2, rng=3), n_power_iterations=2).eval()
    x = RNG.standard_normal((2, 2, 5))
    ad.tanh(layer(ad.tensor(x))).sum().backward()
    original = layer.parametrizations.weight.original

    def loss():
        return float(ad.tanh(layer(ad.tensor(x))).sum().item())
    np.testing.assert_allclose(original.grad, numeric_gradient(loss, original.data),
                               rtol=1e-6, atol=1e-9)


# ----- orthogonal ------------------------------------------------------------------------

CASES = [("linear_square", None), ("linear_square", "cayley"), ("linear_square", "householder"),
         ("linear_tall", None), ("linear_tall", "matrix_exp"), ("linear_wide", "cayley"),
         ("linear_wide", None), ("conv", None), ("conv", "matrix_exp")]


def _orthogonal_twins(kind, torch):
    sizes = {"linear_square": (3, 3), "linear_tall": (2, 5), "linear_wide": (5, 2)}
    if kind == "conv":                   # a batch of 3x3 matrices (the last two axes)
        ours, theirs = nn.Conv2d(2, 4, 3, rng=0), torch.nn.Conv2d(2, 4, 3)
        x = RNG.standard_normal((2, 2, 5, 5))
    else:
        n_in, n_out = sizes[kind]
        ours, theirs = nn.Linear(n_in, n_out, rng=0), torch.nn.Linear(n_in, n_out)
        x = RNG.standard_normal((4, n_in))
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.to_torch_state_dict().items()})
    return ours, theirs, x


def _orthonormal(weight):
    matrix = weight if weight.shape[-2] >= weight.shape[-1] else np.swapaxes(weight, -1, -2)
    gram = np.swapaxes(matrix, -1, -2) @ matrix
    return np.allclose(gram, np.eye(matrix.shape[-1]), atol=1e-12)


@pytest.mark.parametrize("kind, orthogonal_map", CASES)
@pytest.mark.parametrize("use_trivialization", [True, False])
def test_orthogonal_matches_pytorch(kind, orthogonal_map, use_trivialization, torch):
    ours, theirs, x = _orthogonal_twins(kind, torch)
    args = dict(orthogonal_map=orthogonal_map, use_trivialization=use_trivialization)
    P.orthogonal(ours, **args)
    torch.nn.utils.parametrizations.orthogonal(theirs, **args)
    assert sorted(ours.to_torch_state_dict()) == sorted(theirs.state_dict())
    # the starting weight is the weight orthogonalized, with no random draw in it
    np.testing.assert_allclose(_torch_weight(ours), theirs.weight.detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    _copy_buffers(ours, theirs, torch, ("base",))           # the random completion
    optimizers = (ad.optim.SGD(ours.parameters(), lr=0.01),
                  torch.optim.SGD(theirs.parameters(), lr=0.01))
    for _ in range(3):
        for opt in optimizers:
            opt.zero_grad()
        out, expected = ours(ad.tensor(x)), theirs(torch.from_numpy(x))
        np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
        (out ** 2).sum().backward()
        (expected ** 2).sum().backward()
        original = ours.parametrizations.weight.original
        grad = original.grad.T if kind != "conv" else original.grad
        np.testing.assert_allclose(grad, theirs.parametrizations.weight.original.grad.numpy(),
                                   rtol=1e-9, atol=1e-12)
        for opt in optimizers:
            opt.step()
    assert _orthonormal(_torch_weight(ours))
    np.testing.assert_allclose(_torch_weight(ours), theirs.weight.detach().numpy(),
                               rtol=1e-9, atol=1e-12)


def _torch_weight(module):
    weight = module.weight.data
    return weight.T if isinstance(module, nn.Linear) else weight


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)])
def test_orthogonal_gradient_against_finite_differences(orthogonal_map, shape):
    holder = nn.Module()
    holder.weight = nn.Parameter(RNG.standard_normal(shape))
    P.orthogonal(holder, orthogonal_map=orthogonal_map)
    original = holder.parametrizations.weight.original
    off_diagonal = 1.0 - np.eye(*shape)  # (householder reads the diagonal's truncation)
    with ad.no_grad():
        original[...] = original.data + 0.3 * RNG.standard_normal(shape) * off_diagonal
    weights = RNG.standard_normal(shape)
    (holder.weight * weights).sum().backward()

    def loss():
        return float((holder.weight * weights).sum().item())
    assert _orthonormal(holder.weight.data)
    numeric = numeric_gradient(loss, original.data)
    if orthogonal_map == "householder":
        # the diagonal enters through its truncation to an int (a sign, at -1 a jump):
        # no gradient, as in PyTorch; the finite difference there sees the jump
        assert not original.grad[np.eye(*shape, dtype=bool)].any()
        numeric = numeric * off_diagonal
    np.testing.assert_allclose(original.grad, numeric, rtol=1e-6, atol=1e-8)


def test_orthogonal_assignment_and_errors(torch):
    layer = P.orthogonal(nn.Linear(3, 3, rng=0))
    target = np.linalg.qr(RNG.standard_normal((3, 3)))[0]
    layer.weight = ad.tensor(target)                    # already orthogonal: kept
    np.testing.assert_allclose(layer.weight.data, target, atol=1e-12)
    with pytest.raises(ValueError, match="expected a matrix or batch of matrices, got a "
                                         "tensor of 1 dimensions"):
        P.orthogonal(nn.Linear(2, 2), name="bias")
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp"'):
        P.orthogonal(nn.Linear(2, 2), orthogonal_map="qr")
    with pytest.raises(ValueError, match=r"of shape \(3, 3\), got a tensor of shape \(2, 3\)"):
        layer.weight = ad.tensor(np.zeros((2, 3)))


def test_printing_a_spectral_normed_layer_runs_no_power_iteration(torch):
    torch.manual_seed(0)
    ad.nn.manual_seed(0)
    layer = P.spectral_norm(nn.Linear(3, 2, rng=0))
    their_layer = torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(3, 2))
    u = layer.parametrizations.weight[0]._u.copy()
    their_u = their_layer.parametrizations.weight[0]._u.clone()
    assert "Linear(3, 2" in repr(layer) and "in_features=3" in repr(their_layer)
    np.testing.assert_array_equal(layer.parametrizations.weight[0]._u, u)
    assert torch.equal(their_layer.parametrizations.weight[0]._u, their_u)
    layer.weight                                       # a read iterates, in both
    their_layer.weight
    assert not np.array_equal(layer.parametrizations.weight[0]._u, u)
    assert not torch.equal(their_layer.parametrizations.weight[0]._u, their_u)
