"""What the eighteenth round of PyTorch scripts found missing or unclear, checked by
hand and against PyTorch where it is installed:

- ``torch.sparse_coo_tensor`` / ``torch.sparse.mm`` (a GCN's normalised adjacency, as
  Kipf's code builds it) met Python's bare "module 'autodiff' has no attribute": there
  are no sparse tensors here, and the error now says so and names the dense matrix by
  ``index_put_(..., accumulate=True)`` and ``@``, which give PyTorch's values and the
  gradient to the values."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(1822)


@pytest.mark.parametrize("name", ["sparse_coo_tensor", "sparse_csr_tensor", "sparse"])
def test_sparse_names_say_there_are_no_sparse_tensors(name):
    with pytest.raises(AttributeError, match=f"no attribute '{name}': sparse tensors do "
                                             r"not exist here.*index_put_.*accumulate=True"):
        getattr(ad, name)
    assert not hasattr(ad, name)


def test_the_dense_matrix_the_sparse_error_names_adds_repeats_and_differentiates():
    indices = np.array([[0, 1, 1, 2], [2, 0, 0, 1]])
    values = ad.tensor(RNG.normal(size=4), requires_grad=True)
    features = RNG.normal(size=(3, 2))
    dense = ad.zeros(3, 3).index_put_(tuple(ad.tensor(indices)), values, accumulate=True)
    expected = np.zeros((3, 3))
    np.add.at(expected, tuple(indices), values.data)
    np.testing.assert_array_equal(dense.data, expected)
    (dense @ ad.tensor(features)).sum().backward()
    # d/dv_k of sum(A @ X) = sum of row indices[1, k] of X
    np.testing.assert_allclose(values.grad, features.sum(axis=1)[indices[1]], rtol=1e-15)


def test_the_dense_matrix_matches_torch_sparse_mm():
    torch = pytest.importorskip("torch")
    indices = np.array([[0, 1, 1, 2], [2, 0, 0, 1]])
    values, features = RNG.normal(size=4), RNG.normal(size=(3, 2))
    theirs_values = torch.tensor(values, requires_grad=True)
    sparse = torch.sparse_coo_tensor(torch.from_numpy(indices), theirs_values, (3, 3),
                                     check_invariants=True)
    theirs = torch.sparse.mm(sparse, torch.from_numpy(features))
    theirs.pow(2).sum().backward()
    ours_values = ad.tensor(values, requires_grad=True)
    dense = ad.zeros(3, 3).index_put_(tuple(ad.tensor(indices)), ours_values, accumulate=True)
    ours = dense @ ad.tensor(features)
    ours.pow(2).sum().backward()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours_values.grad, theirs_values.grad.numpy(), rtol=1e-12,
                               atol=1e-14)
