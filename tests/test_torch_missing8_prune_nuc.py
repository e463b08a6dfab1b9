"""nn.utils.prune.ln_structured with n='nuc' against PyTorch: the same channels pruned
on a Conv1d weight along each dim, PyTorch's refusal for other ranks, and the gradient
reaching weight_orig through the mask."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.nn.utils import prune


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
@pytest.mark.parametrize("amount", [0.5, 2])
def test_nuclear_norm_pruning_matches_torch(dim, amount):
    torch = pytest.importorskip("torch")
    torch_prune = pytest.importorskip("torch.nn.utils.prune")
    rng = np.random.default_rng(dim + 10)
    weight = rng.standard_normal((6, 4, 5))
    ours = ad.nn.Conv1d(4, 6, 5)
    ours.weight.data[...] = weight
    theirs = torch.nn.Conv1d(4, 6, 5).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(weight))
    prune.ln_structured(ours, "weight", amount, n="nuc", dim=dim)
    torch_prune.ln_structured(theirs, "weight", amount, n="nuc", dim=dim)
    np.testing.assert_array_equal(ours.weight_mask.data, theirs.weight_mask.numpy())
    np.testing.assert_array_equal(ours.weight.data, theirs.weight.detach().numpy())
    # The pruned channels are those of smallest nuclear norm.
    axis = dim % 3
    norms = np.linalg.norm(np.moveaxis(weight, axis, 0), "nuc", axis=(1, 2))
    kept = np.moveaxis(ours.weight_mask.data, axis, 0).reshape(weight.shape[axis], -1)[:, 0]
    assert norms[kept == 1].min() > norms[kept == 0].max()


def test_nuclear_norm_pruned_weight_still_trains():
    layer = ad.nn.Conv1d(2, 4, 3, rng=0)
    prune.ln_structured(layer, "weight", 0.5, n="nuc", dim=0)
    layer(ad.tensor(np.ones((1, 2, 7)))).sum().backward()
    grad = layer.weight_orig.grad
    mask = layer.weight_mask.data
    np.testing.assert_array_equal(grad[mask == 0], 0)
    assert np.all(grad[mask == 1] != 0)


@pytest.mark.parametrize("shape", [(6, 4), (3, 2, 3, 3)])
def test_nuclear_norm_refuses_other_ranks_as_torch_does(shape):
    torch = pytest.importorskip("torch")
    torch_prune = pytest.importorskip("torch.nn.utils.prune")
    with pytest.raises(RuntimeError, match="dim must be a 2-tuple"):
        torch_prune.LnStructured(0.5, "nuc", 0).compute_mask(
            torch.ones(shape), torch.ones(shape))
    with pytest.raises(RuntimeError, match=r"ln_structured: n='nuc' .* must be 3-d"):
        prune.LnStructured(0.5, "nuc", 0).compute_mask(np.ones(shape), np.ones(shape))
