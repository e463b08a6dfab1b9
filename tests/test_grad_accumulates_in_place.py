"""A leaf's ``.grad`` array takes later gradients and ``zero_grad(set_to_none=False)``
in place, as PyTorch's ``grad += new`` and ``grad.zero_()``: a name the user kept for
it sees the change."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad


def test_a_kept_grad_sees_the_next_backward():
    w = ad.tensor([1.0, 1.0], requires_grad=True)
    (w * 2).sum().backward()
    kept = w.grad
    (w * 3).sum().backward()
    assert w.grad is kept
    np.testing.assert_array_equal(kept, [5.0, 5.0])


def test_zero_grad_without_none_zeroes_the_kept_array():
    w = ad.nn.Parameter([1.0, 2.0])
    opt = ad.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    kept = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is kept
    np.testing.assert_array_equal(kept, [0.0, 0.0])
    model = ad.nn.Linear(2, 1)
    model(ad.tensor([[1.0, 2.0]])).sum().backward()
    kept = model.weight.grad
    model.zero_grad(set_to_none=False)
    assert model.weight.grad is kept and not kept.any()


def test_gradients_of_two_leaves_from_one_array_stay_apart():
    # (the add rule passes one array to both inputs: each .grad must own its values)
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = ad.tensor([3.0, 4.0], requires_grad=True)
    (x + y).sum().backward()
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])


def test_matches_pytorch_over_an_accumulating_loop():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    data = rng.normal(size=(3, 4, 2))
    ours = ad.nn.Parameter(np.ones((2,)))
    theirs = torch.ones(2, dtype=torch.float64, requires_grad=True)
    kept_ours, kept_theirs = [], []
    for batch in data:
        (ad.tensor(batch) @ ours).pow(2).sum().backward()
        (torch.from_numpy(batch) @ theirs).pow(2).sum().backward()
        kept_ours.append(ours.grad)
        kept_theirs.append(theirs.grad)
    for a, b in zip(kept_ours, kept_theirs):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-14)
