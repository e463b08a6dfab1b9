"""ad.optim.Muon against torch.optim.Muon on the weights of Linear layers (stored
transposed here): exactly when PyTorch's bfloat16 Newton-Schulz steps run in float64
(Tensor.bfloat16 patched to a copy), to bfloat16's precision as PyTorch ships it; and
PyTorch's refusals."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad


def _train(torch, options, shapes, steps=4):
    rng = np.random.default_rng(0)
    ours = [ad.nn.Linear(i, o, bias=False, rng=0) for i, o in shapes]
    theirs = [torch.nn.Linear(i, o, bias=False).double() for i, o in shapes]
    for our, their in zip(ours, theirs):
        weight = rng.standard_normal((their.out_features, their.in_features))
        our.weight.data[...] = weight.T
        with torch.no_grad():
            their.weight.copy_(torch.tensor(weight))
    our_opt = ad.optim.Muon([m.weight for m in ours], **options)
    their_opt = torch.optim.Muon([m.weight for m in theirs], **options)
    for _ in range(steps):
        x = rng.standard_normal((6, shapes[0][0]))
        our_out, their_out = ad.tensor(x), torch.tensor(x)
        for our, their in zip(ours, theirs):
            our_out, their_out = ad.tanh(our(our_out)), torch.tanh(their(their_out))
        our_opt.zero_grad(), their_opt.zero_grad()
        (our_out ** 2).sum().backward()
        (their_out ** 2).sum().backward()
        our_opt.step(), their_opt.step()
    return [m.weight.data for m in ours], [m.weight.detach().numpy().T for m in theirs]


OPTIONS = [dict(lr=0.02), dict(lr=0.05, nesterov=False, momentum=0.9, weight_decay=0.01),
           dict(lr=0.01, adjust_lr_fn="match_rms_adamw", ns_steps=3),
           dict(lr=0.01, adjust_lr_fn="original", ns_coefficients=(2.0, -1.5, 0.5))]


@pytest.mark.parametrize("options", OPTIONS)
def test_muon_matches_torch_with_its_newton_schulz_in_float(options, monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.Tensor, "bfloat16", lambda self: self.clone())
    ours, theirs = _train(torch, options, [(5, 3), (3, 7), (7, 7)])
    for our, their in zip(ours, theirs):
        np.testing.assert_allclose(our, their, rtol=1e-10, atol=1e-12)


def test_muon_matches_torch_to_bfloat16_precision():
    torch = pytest.importorskip("torch")
    ours, theirs = _train(torch, dict(lr=0.02), [(5, 3), (3, 7)], steps=2)
    for our, their in zip(ours, theirs):
        np.testing.assert_allclose(our, their, atol=5e-3)
        assert not np.array_equal(our, their)      # (bfloat16 rounding is visible)


def test_orthogonalized_pushes_singular_values_towards_one():
    from autodiff.optim.muon import orthogonalized
    matrix = np.random.default_rng(1).standard_normal((6, 4))
    result = orthogonalized(matrix, (3.4445, -4.775, 2.0315), 5, 1e-7)
    singular = np.linalg.svd(result, compute_uv=False)
    assert result.shape == (6, 4)
    assert 0.5 < singular.min() and singular.max() < 1.5
    # The same singular vectors: an odd polynomial in M M^T times M.
    u, _, vt = np.linalg.svd(matrix, full_matrices=False)
    in_their_basis = u.T @ result @ vt.T
    np.testing.assert_allclose(in_their_basis - np.diag(in_their_basis.diagonal()), 0,
                               atol=1e-12)


@pytest.mark.parametrize("kwargs, words", [(dict(lr=-1.0), "lr"),
                                           (dict(momentum=-0.5), "momentum"),
                                           (dict(weight_decay=-0.1), "weight_decay"),
                                           (dict(adjust_lr_fn="rms"), "adjust_lr_fn")])
def test_muon_refuses_what_torch_refuses(kwargs, words):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError):
        torch.optim.Muon([torch.zeros(2, 2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=f"Muon: {words}"):
        ad.optim.Muon([ad.nn.Parameter(np.zeros((2, 2)))], **kwargs)


def test_muon_refuses_parameters_that_are_not_matrices_as_torch_does():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="Muon only supports 2D parameters"):
        torch.optim.Muon([torch.zeros(3, requires_grad=True)])
    with pytest.raises(ValueError, match="Muon only supports 2D parameters.*AdamW"):
        ad.optim.Muon([ad.nn.Parameter(np.zeros(3))])
    with pytest.raises(ValueError, match="ns_steps must be an int in \\[0, 100\\)"):
        ad.optim.Muon([ad.nn.Parameter(np.zeros((2, 2)))], ns_steps=100)
