"""The second derivatives of ``det`` at singular and nearly singular matrices: the
recorded gradient switches from ``det(a) * inv(a).T`` (whose derivative loses every
digit there) to the determinants of the minors, for real matrices as for complex ones.

The reference is exact: by Leibniz's formula, d2 det / da_ij da_kl sums the signed
products of the entries of the permutations taking i to j and k to l."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autodiff as ad


def _permutation_sign(perm) -> int:
    inversions = sum(perm[i] > perm[j] for i in range(len(perm)) for j in range(i + 1, len(perm)))
    return -1 if inversions % 2 else 1


def leibniz_hessian(a: np.ndarray) -> np.ndarray:
    """d2 det(a) / da_ij da_kl of one matrix, summed term by term (exact up to rounding)."""
    n = a.shape[-1]
    hessian = np.zeros((n, n, n, n), dtype=a.dtype)
    for perm in itertools.permutations(range(n)):
        sign = _permutation_sign(perm)
        for i, k in itertools.permutations(range(n), 2):
            rest = np.prod([a[m, perm[m]] for m in range(n) if m not in (i, k)])
            hessian[i, perm[i], k, perm[k]] += sign * rest
    return hessian


def _with_singular_values(n: int, values, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    u, _, vh = np.linalg.svd(rng.standard_normal((n, n)))
    return (u * np.asarray(values, dtype=float)) @ vh


# (n, singular values): exactly singular of rank n - 1 and n - 2, nearly singular
# (condition numbers 1e9 and beyond, past the switch at 1 / sqrt(eps)), and regular
CASES = {
    "2x2 rank 1": (2, [1.7, 0.0]),
    "2x2 zero": (2, [0.0, 0.0]),
    "2x2 near rank 1": (2, [1.7, 1e-9]),
    "3x3 rank 2": (3, [2.0, 0.8, 0.0]),
    "3x3 rank 1": (3, [2.0, 0.0, 0.0]),
    "3x3 near rank 2": (3, [2.0, 0.8, 1e-9]),
    "3x3 near rank 1": (3, [2.0, 1e-8, 1e-10]),
    "4x4 rank 3": (4, [2.0, 1.1, 0.5, 0.0]),
    "4x4 rank 2": (4, [2.0, 1.1, 0.0, 0.0]),
    "4x4 regular": (4, [2.0, 1.1, 0.5, 0.3]),
}


@pytest.mark.parametrize("name", CASES)
def test_det_hessian_at_singular_and_nearly_singular_matrices_is_exact(name):
    n, values = CASES[name]
    a = _with_singular_values(n, values, seed=n)
    hessian = ad.hessian(np.linalg.det)(a)
    # (the recorded det(a) * inv(a).T gave errors of 1e+2 to 1e+3 at rank n - 1)
    np.testing.assert_allclose(hessian, leibniz_hessian(a), rtol=0, atol=1e-12)


def test_det_hessian_of_a_1x1_matrix_is_zero():
    for value in (0.0, 1e-300, 2.5):
        hessian = ad.hessian(np.linalg.det)(np.array([[value]]))
        np.testing.assert_array_equal(hessian, np.zeros((1, 1, 1, 1)))


def test_det_hessian_of_a_batch_mixing_singular_and_regular_matrices():
    batch = np.stack([_with_singular_values(3, [2.0, 0.8, 0.0], 0),
                      _with_singular_values(3, [2.0, 0.8, 0.5], 1),
                      _with_singular_values(3, [2.0, 0.8, 1e-10], 2)])
    hessian = ad.hessian(lambda a: np.linalg.det(a).sum())(batch)     # (3, 3, 3, 3, 3, 3)
    for b in range(3):
        np.testing.assert_allclose(hessian[b, :, :, b], leibniz_hessian(batch[b]),
                                   rtol=0, atol=1e-12)
        others = [c for c in range(3) if c != b]
        np.testing.assert_array_equal(hessian[b][:, :, others], 0.0)


def test_det_hessian_agrees_with_central_differences_of_the_gradient():
    a = _with_singular_values(3, [1.5, 0.7, 0.0], seed=5)
    hessian = ad.hessian(np.linalg.det)(a)
    step = 1e-5
    numeric = np.zeros((3, 3, 3, 3))
    for row, col in itertools.product(range(3), repeat=2):
        shift = np.zeros((3, 3))
        shift[row, col] = step
        numeric[:, :, row, col] = (ad.grad(np.linalg.det)(a + shift)
                                   - ad.grad(np.linalg.det)(a - shift)) / (2 * step)
    np.testing.assert_allclose(hessian, numeric, rtol=0, atol=1e-8)


def test_complex_det_second_order_at_a_singular_matrix_is_exact():
    a = _with_singular_values(3, [2.0, 0.8, 0.0], 0) * np.exp(0.3j)
    a[0] *= 1j                                          # a complex matrix, still singular
    x = ad.tensor(a, requires_grad=True)
    (grad,) = ad.autograd.grad(ad.linalg.det(x).real, x, create_graph=True)
    direction = np.arange(9.0).reshape(3, 3) / 9
    (second,) = ad.autograd.grad((grad.real * direction).sum(), x)
    # d Re(det) / d Re(a) = Re(cofactors); its derivative along Re(a) in (k, l)
    expected = np.einsum("ij,ijkl->kl", direction, leibniz_hessian(a).real)
    np.testing.assert_allclose(second.real, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", ["2x2 rank 1", "3x3 rank 2", "3x3 near rank 2", "4x4 rank 2"])
def test_det_hessian_agrees_with_torch(name):
    torch = pytest.importorskip("torch")
    n, values = CASES[name]
    a = _with_singular_values(n, values, seed=n)
    expected = torch.func.hessian(torch.linalg.det)(torch.tensor(a)).numpy()
    np.testing.assert_allclose(ad.hessian(np.linalg.det)(a), expected, rtol=0, atol=1e-12)
