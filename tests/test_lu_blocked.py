"""The blocked LU behind ``ad.linalg.lu_factor`` (``autodiff.kernels.getrf``): the Numba
panel kernel against its NumPy twin (bit for bit), and the factors against LAPACK's
(SciPy's ``lu_factor``) and PyTorch's: the same pivots, ties and singular matrices
included, and the packed LU to the rounding that separates two LAPACKs.
"""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import kernels

pytestmark = pytest.mark.filterwarnings("ignore:Diagonal number .* is exactly zero")

EPS = np.finfo(np.float64).eps
# panel boundaries (LU_PANEL = 16) crossed or not, square, wide and tall
SHAPES = [(3, 1, 1), (3, 2, 2), (2, 15, 15), (2, 16, 16), (2, 17, 17), (2, 40, 40),
          (2, 37, 53), (2, 53, 37), (4, 128, 128)]


def _twin_getrf(a, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(kernels, "JIT_ENABLED", False)
        return kernels.getrf(a)


def _scipy_lu(a):
    linalg = pytest.importorskip("scipy.linalg")
    flat = a.reshape((-1,) + a.shape[-2:])
    factors = [linalg.lu_factor(m, check_finite=False) for m in flat]
    lu = np.stack([f[0] for f in factors]).reshape(a.shape)
    pivots = np.stack([f[1] for f in factors]).reshape(a.shape[:-2] + (-1,))
    return lu, pivots + 1


def _assert_close_to(lu, reference, a):
    """Within n eps of the largest entry of each matrix: two correct LAPACKs differ by
    that much (the order of the updates' sums differs)."""
    n = max(a.shape[-2:])
    scale = np.abs(reference).max(axis=(-2, -1), keepdims=True)
    assert np.all(np.abs(lu - reference) <= 2 * n * EPS * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_panel_kernel_equals_its_numpy_twin_bit_for_bit(shape, dtype, monkeypatch):
    pytest.importorskip("autodiff.kernels.jit", reason="Numba is not installed")
    a = np.random.default_rng(sum(shape)).standard_normal(shape).astype(dtype)
    a[0, :, 0] = 0.0                                    # a zero pivot on the way
    with monkeypatch.context() as patch:
        patch.setattr(kernels, "JIT_ENABLED", True)
        patch.setattr(kernels, "MIN_LU", 1)
        compiled = kernels.getrf(a)
    twin = _twin_getrf(a, monkeypatch)
    np.testing.assert_array_equal(compiled[0], twin[0])
    np.testing.assert_array_equal(compiled[1], twin[1])
    assert compiled[0].dtype == dtype and compiled[1].dtype == np.int32


@pytest.mark.parametrize("shape", SHAPES)
def test_factors_match_lapack(shape):
    a = np.random.default_rng(len(shape) + shape[-1]).standard_normal(shape)
    lu, pivots = ad.linalg.lu_factor(a)
    reference, reference_pivots = _scipy_lu(a)
    np.testing.assert_array_equal(pivots.data, reference_pivots)
    _assert_close_to(lu.data, reference, a)


def _reconstruct(lu, pivots):
    P, L, U = ad.lu_unpack(lu, pivots)
    return (P @ L @ U).data


def test_ties_and_singular_matrices_give_lapacks_pivots_and_factors():
    rng = np.random.default_rng(7)
    # entries in {-1, 0, 1}: equal magnitudes everywhere, and LAPACK takes the first
    ties = rng.integers(-1, 2, (5, 40, 40)).astype(np.float64)
    ties[0] = np.outer(rng.integers(-1, 2, 40), rng.integers(-1, 2, 40))   # rank one
    ties[1, :, 5] = 0.0                                                   # a zero column
    ties[2] = 0.0
    lu, pivots, info = ad.linalg.lu_factor_ex(ties)
    reference, reference_pivots = _scipy_lu(ties)
    np.testing.assert_array_equal(pivots.data, reference_pivots)
    _assert_close_to(lu.data, reference, ties)
    # rank one and zero: every step is exact, so the factors are LAPACK's bit for bit
    np.testing.assert_array_equal(lu.data[[0, 2]], reference[[0, 2]])
    np.testing.assert_array_equal(info.data[:3], [2, 6, 1])


def test_rank_deficient_matrices_are_factored_as_pytorch_does():
    """Where the pivots past the rank are chosen among rounding errors, two LAPACKs
    choose differently; the factors still reproduce A, and exact ties match."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 50, 50))
    a[0, 30] = a[0, 2]                                      # a repeated row
    a[1, :, 17:] = a[1, :, :33] * 2.0                       # columns that repeat
    a[2] = np.round(4 * a[2]) / 4                           # many exact ties
    ours = ad.linalg.lu_factor_ex(a)
    theirs = torch.linalg.lu_factor_ex(torch.tensor(a))
    np.testing.assert_array_equal(ours.pivots.data[2], theirs.pivots.numpy()[2])
    _assert_close_to(ours.LU.data[2], theirs.LU.numpy()[2], a)
    np.testing.assert_allclose(_reconstruct(ours.LU, ours.pivots), a, atol=1e-12)


def test_nan_is_pivoted_as_numpys_argmax_and_spreads():
    a = np.random.default_rng(1).standard_normal((1, 20, 20))
    a[0, 7, 0] = np.nan
    lu, pivots = kernels.getrf(a)
    assert pivots[0, 0] == 8
    assert np.isnan(lu[0, 1:, 1:]).all()


def test_gradients_of_a_blocked_factorization_match_pytorch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(5).standard_normal((2, 40, 40)) + 4 * np.eye(40)
    weights = np.random.default_rng(6).standard_normal((2, 40, 40))
    x = ad.tensor(a, requires_grad=True)
    (ad.linalg.lu_factor(x).LU * weights).sum().backward()
    t = torch.tensor(a, requires_grad=True)
    (torch.linalg.lu_factor(t).LU * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-10, atol=1e-10)
