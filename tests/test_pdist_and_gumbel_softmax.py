"""F.pdist and F.gumbel_softmax: values against NumPy written here, gradients against
finite differences, pdist against PyTorch when installed."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F

RNG = np.random.default_rng(9)


def ref_pdist(x, p):
    i, j = np.triu_indices(len(x), 1)
    d = np.abs(x[i] - x[j])
    if p == np.inf:
        return d.max(axis=1)
    return (d ** p).sum(axis=1) ** (1 / p)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, np.inf])
def test_pdist_matches_numpy_and_gradchecks(p):
    x = RNG.standard_normal((5, 3))
    np.testing.assert_allclose(F.pdist(ad.tensor(x), p).data, ref_pdist(x, p), rtol=1e-13)
    assert ad.gradcheck(lambda u: (F.pdist(u, p) ** 2).sum(), [x])
    if p in (2.0, 3.0):
        assert ad.gradcheck(lambda u: ad.grad(lambda v: (F.pdist(v, p) ** 3).sum())(u).sum(),
                            [x])


def test_pdist_edge_cases_and_errors():
    x = ad.tensor(np.array([[1.0, 2.0], [1.0, 2.0], [4.0, 6.0]]), requires_grad=True)
    out = F.pdist(x)
    np.testing.assert_allclose(out.data, [0.0, 5.0, 5.0])
    out.sum().backward()                                  # zero distance: gradient 0
    np.testing.assert_allclose(x.grad, [[-0.6, -0.8], [-0.6, -0.8], [1.2, 1.6]])
    assert F.pdist(ad.tensor(np.ones((1, 3)))).shape == (0,)
    assert F.pdist(ad.tensor(np.ones((3, 2), np.float32))).dtype == np.float32
    with pytest.raises(ValueError, match=r"pdist: expected a 2-D input \(N, M\)"):
        F.pdist(ad.tensor(np.ones((2, 3, 4))))
    with pytest.raises(ValueError, match="pdist: p must be a number >= 0"):
        F.pdist(ad.tensor(np.ones((2, 3))), -1.0)


def test_pdist_against_pytorch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((6, 4))
    x[4] = x[1]                                            # a zero distance
    for p in [2.0, 1.0, 3.0, 0.5, np.inf]:
        ours, theirs = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        a, b = F.pdist(ours, p), torch.nn.functional.pdist(theirs, p)
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-13)
        g = RNG.standard_normal(a.shape)
        (a * g).sum().backward()
        (b * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_zero_norm_distances_stay_on_the_tape_with_gradient_zero():
    # p=0 counts the differing coordinates: PyTorch's gradient is 0 (it was off the tape)
    x = np.array([[1.0, 2.0], [1.0, 5.0], [7.0, 0.0]], np.float32)
    for distances in (lambda u: F.pdist(u, 0), lambda u: ad.cdist(u, u[:2] * 2.0, p=0),
                      lambda u: u.norm(0, dim=1), lambda u: ad.linalg.norm(u, 0, axis=1)):
        u = ad.tensor(x, requires_grad=True)
        out = distances(u)
        np.testing.assert_array_equal(out.data, distances(ad.tensor(x)).data)
        assert out.requires_grad and out.dtype == np.float32
        out.sum().backward()
        np.testing.assert_array_equal(u.grad, np.zeros_like(x))
    np.testing.assert_array_equal(F.pdist(ad.tensor(x), 0).data, [1.0, 2.0, 2.0])
    infinite = ad.tensor(np.array([np.inf, 0.0, 1.0]), requires_grad=True)
    infinite.norm(0).backward()                             # no inf * 0 = NaN
    np.testing.assert_array_equal(infinite.grad, [0.0, 0.0, 0.0])


def test_zero_norm_pdist_against_pytorch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((4, 3))
    x[2, 1] = x[0, 1]
    ours, theirs = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    a, b = F.pdist(ours, 0), torch.nn.functional.pdist(theirs, 0)
    np.testing.assert_array_equal(a.data, b.detach().numpy())
    a.sum().backward()
    b.sum().backward()
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


def _softmax(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("dim", [-1, 0])
def test_gumbel_softmax_is_softmax_of_noisy_logits_with_the_seeded_noise(dim):
    logits = RNG.standard_normal((3, 4))
    noise = -np.log(np.random.default_rng(4).exponential(size=(3, 4)))
    soft = F.gumbel_softmax(ad.tensor(logits), tau=0.5, dim=dim, rng=4)
    np.testing.assert_allclose(soft.data, _softmax((logits + noise) / 0.5, dim), rtol=1e-12)
    hard = F.gumbel_softmax(ad.tensor(logits), tau=0.5, hard=True, dim=dim, rng=4)
    expected = (soft.data == soft.data.max(axis=dim, keepdims=True)).astype(float)
    np.testing.assert_array_equal(hard.data, expected)


def test_gumbel_softmax_samples_the_categorical_and_hard_passes_the_soft_gradient():
    probs = np.array([0.2, 0.3, 0.5])
    samples = F.gumbel_softmax(ad.tensor(np.log(np.tile(probs, (40000, 1)))), hard=True, rng=0)
    np.testing.assert_allclose(samples.data.mean(axis=0), probs, atol=0.01)
    weights = ad.tensor([[1.0, 2.0, 3.0]])
    grads = []
    for hard in (False, True):
        logits = ad.tensor(np.log([probs]), requires_grad=True)
        (F.gumbel_softmax(logits, tau=0.7, hard=hard, rng=1) * weights).sum().backward()
        grads.append(logits.grad)
    np.testing.assert_allclose(grads[0], grads[1])          # straight through
    x = RNG.standard_normal((2, 3))
    assert ad.gradcheck(lambda u: (F.gumbel_softmax(u, tau=0.8, rng=2) ** 2).sum(), [x])
    assert ad.gradcheck(lambda u: ad.grad(lambda v: (F.gumbel_softmax(v, rng=3) ** 3)
                                          .sum())(u).sum(), [x])


def test_gumbel_softmax_errors():
    with pytest.raises(ValueError, match="gumbel_softmax: tau is a temperature"):
        F.gumbel_softmax(ad.tensor([1.0, 2.0]), tau=0.0)
    with pytest.raises(TypeError, match="gumbel_softmax"):
        F.gumbel_softmax(ad.tensor([1, 2]))
    with pytest.raises(ValueError, match="gumbel_softmax: dim=2 is out of range"):
        F.gumbel_softmax(ad.tensor([[1.0, 2.0]]), dim=2)
