"""Regression tests from a review of the PyTorch-named functions, methods and layers:
inputs that gave a result where PyTorch refuses them, and errors that did not say what
was wrong."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.gradcheck import gradcheck


# ----- index_reduce: the source must match the input in every dim but ``dim`` -----------
def test_index_reduce_refuses_a_source_narrower_than_the_input():
    # (it scattered into the first two columns only, leaving the third as it was)
    with pytest.raises(ValueError, match=r"index_reduce: source of shape \(2, 2\).*\(2, 3\)"):
        ad.index_reduce(ad.ones((5, 3)), 0, ad.tensor([1, 2]), ad.ones((2, 2)), "prod")
    with pytest.raises(ValueError, match="index_reduce"):
        ad.ones((5, 3)).index_reduce(1, ad.tensor([0]), ad.ones((4, 1)), "amax")


def test_index_reduce_of_a_0d_tensor_reduces_its_one_entry():
    out = ad.index_reduce(ad.tensor(3.0), 0, ad.tensor([0]), ad.tensor(2.0), "prod")
    assert out.shape == () and float(out) == 6.0
    with pytest.raises(ValueError, match="index_reduce: a 0-d input"):
        ad.index_reduce(ad.tensor(3.0), 0, ad.tensor([0, 0]), ad.tensor([2.0, 5.0]), "mean")


def test_index_reduce_of_a_0d_tensor_gradient_by_finite_differences():
    x = ad.tensor(1.5, requires_grad=True)
    s = ad.tensor(-0.7, requires_grad=True)
    assert gradcheck(lambda a, b: ad.index_reduce(a, 0, ad.tensor([0]), b, "prod"), [x, s])


def test_index_reduce_0d_and_full_source_match_pytorch():
    torch = pytest.importorskip("torch")
    ours = ad.index_reduce(ad.tensor(3.0), 0, ad.tensor([0]), ad.tensor(2.0), "prod")
    theirs = torch.index_reduce(torch.tensor(3.0, dtype=torch.float64), 0, torch.tensor([0]),
                                torch.tensor(2.0, dtype=torch.float64), "prod")
    assert np.allclose(ours.data, theirs.numpy())
    rng = np.random.default_rng(0)
    x, s = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    ours = ad.index_reduce(ad.tensor(x), 1, ad.tensor([2, 2]), ad.tensor(s), "amin")
    theirs = torch.index_reduce(torch.tensor(x), 1, torch.tensor([2, 2]), torch.tensor(s),
                                "amin")
    assert np.allclose(ours.data, theirs.numpy())
    with pytest.raises(RuntimeError):       # PyTorch refuses the narrower source too
        torch.index_reduce(torch.ones((5, 3)), 0, torch.tensor([1, 2]), torch.ones((2, 2)),
                           "prod")
