"""ad.lobpcg against np.linalg.eigh and torch.lobpcg (values, eigenvectors up to sign,
gradients of sign-free losses), with central-difference gradient checks in float64."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad


def _spd(rng, m, batch=()):
    root = rng.standard_normal(batch + (m, m))
    return root @ np.swapaxes(root, -1, -2) + m * np.eye(m)


def _symmetric(s):
    return (s + s.mT) / 2 if isinstance(s, ad.Tensor) else (s + np.swapaxes(s, -1, -2)) / 2


@pytest.mark.parametrize("largest", [True, False, None])
@pytest.mark.parametrize("k", [1, 3])
def test_values_and_vectors_match_eigh(largest, k):
    rng = np.random.default_rng(k)
    A = _spd(rng, 10)
    E, X = ad.lobpcg(ad.tensor(A), k=k, largest=largest)
    values, vectors = np.linalg.eigh(A)
    chosen = np.arange(9, 9 - k, -1) if largest in (True, None) else np.arange(k)
    np.testing.assert_allclose(E.data, values[chosen], rtol=1e-12)
    np.testing.assert_allclose(np.abs(np.sum(X.data * vectors[:, chosen], axis=0)),
                               np.ones(k), rtol=1e-10)
    np.testing.assert_allclose(A @ X.data, X.data * E.data, atol=1e-10)


@pytest.mark.parametrize("largest", [True, False])
def test_generalized_problem_matches_torch(largest):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    A, B = _spd(rng, 12), _spd(rng, 12)
    E, X = ad.lobpcg(ad.tensor(A), k=2, B=ad.tensor(B), largest=largest)
    tE, tX = torch.lobpcg(torch.tensor(A), k=2, B=torch.tensor(B), largest=largest,
                          X=torch.tensor(rng.standard_normal((12, 2))))
    np.testing.assert_allclose(E.data, tE.numpy(), rtol=1e-8)
    np.testing.assert_allclose(np.abs(X.data), np.abs(tX.numpy()), atol=1e-6)
    np.testing.assert_allclose(X.data.T @ B @ X.data, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(A @ X.data, B @ X.data * E.data, atol=1e-9)


def test_batched_input_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    A = _spd(rng, 9, (2, 3))
    E, X = ad.lobpcg(ad.tensor(A), k=2)
    tE, tX = torch.lobpcg(torch.tensor(A), k=2)
    assert E.shape == tuple(tE.shape) and X.shape == tuple(tX.shape)
    np.testing.assert_allclose(E.data, tE.numpy(), rtol=1e-8)


def test_gradients_match_torch_for_a_sign_free_loss():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    A = _spd(rng, 9)
    weights = rng.standard_normal(2)
    projector_weights = rng.standard_normal((9, 9))

    a = ad.tensor(A, requires_grad=True)
    E, X = ad.lobpcg(a, k=2)
    ((E * ad.tensor(weights)).sum() + ((X @ X.mT) * ad.tensor(projector_weights)).sum()
     ).backward()

    ta = torch.tensor(A, requires_grad=True)
    tE, tX = torch.lobpcg(ta, k=2)
    ((tE * torch.tensor(weights)).sum()
     + ((tX @ tX.mT) * torch.tensor(projector_weights)).sum()).backward()
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(a.grad, a.grad.T, atol=1e-12)


@pytest.mark.parametrize("with_b", [False, True])
@pytest.mark.parametrize("largest", [True, False])
def test_gradients_against_central_differences(with_b, largest):
    rng = np.random.default_rng(6)
    A = _spd(rng, 7)
    B = _spd(rng, 7)
    weights = rng.standard_normal(2)
    projector_weights = rng.standard_normal((7, 7))

    def loss(a, b):
        E, X = ad.lobpcg(_symmetric(a), k=2, B=_symmetric(b) if with_b else None,
                         largest=largest)
        return (E * ad.tensor(weights)).sum() + ((X @ X.mT) * ad.tensor(projector_weights)).sum()

    assert ad.gradcheck(loss, [A, B], eps=1e-6, atol=1e-6, rtol=1e-5)


def test_eigenvalue_gradient_is_the_outer_product_of_the_eigenvector():
    rng = np.random.default_rng(7)
    a = ad.tensor(_spd(rng, 6), requires_grad=True)
    E, X = ad.lobpcg(a, k=1)
    E.sum().backward()
    v = X.data[:, 0]
    np.testing.assert_allclose(a.grad, np.outer(v, v), atol=1e-12)


def test_refusals_name_lobpcg_and_the_fix():
    torch = pytest.importorskip("torch")
    A = _spd(np.random.default_rng(8), 5)
    with pytest.raises(ValueError, match=r"LOBPCG algorithm is not applicable"):
        torch.lobpcg(torch.tensor(A), k=2)
    with pytest.raises(ValueError, match=r"lobpcg: .*\(=5\) is smaller than 3 x .*\(=2\).*eigh"):
        ad.lobpcg(ad.tensor(A), k=2)
    with pytest.raises(ValueError, match="lobpcg: A must be a batch of square matrices"):
        ad.lobpcg(ad.tensor(np.ones((6, 5))), k=1)
    with pytest.raises(ValueError, match="lobpcg: A and B must have the same shape"):
        ad.lobpcg(ad.tensor(A), k=1, B=ad.tensor(np.eye(4)))
    with pytest.raises(ValueError, match="lobpcg: B must be symmetric positive-definite"):
        ad.lobpcg(ad.tensor(A), k=1, B=ad.tensor(-np.eye(5)))
    with pytest.raises(ValueError, match="method must be 'basic' or 'ortho'"):
        ad.lobpcg(ad.tensor(A), k=1, method="fast")


def test_k_defaults_to_the_columns_of_x_as_in_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    A = _spd(rng, 12)
    start = rng.standard_normal((12, 3))
    E, X = ad.lobpcg(ad.tensor(A), X=ad.tensor(start))
    tE, tX = torch.lobpcg(torch.tensor(A), X=torch.tensor(start))
    assert E.shape == tuple(tE.shape) == (3,)
    np.testing.assert_allclose(E.data, tE.numpy(), rtol=1e-8)
    assert ad.lobpcg(ad.tensor(A))[0].shape == tuple(torch.lobpcg(torch.tensor(A))[0].shape)
