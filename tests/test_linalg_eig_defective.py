"""``np.linalg.eig`` / ``eigvals`` at repeated and defective eigenvalues of a general
matrix: a result that weighs two repeated eigenvalues differently, or that uses the
(parallel) eigenvectors of a defective matrix, warns naming the user's line
(``DegenerateGradientWarning``; PyTorch documents these gradients as ill-defined and
gives them silently); the threshold is eigh's, a gap of sqrt(eps) times the largest
|eigenvalue|, checked on both sides, where the gradient away from it is PyTorch's and
the analytic one."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad

HERE = __file__
_S = np.eye(3) + 0.3 * np.random.default_rng(11).standard_normal((3, 3))
_TOL = np.sqrt(np.finfo(np.float64).eps) * 2.0          # (the largest |eigenvalue| is 2)


def _similar(gap):
    """A diagonalizable matrix with eigenvalues 1, 1 + gap and 2."""
    return _S @ np.diag([1.0, 1.0 + gap, 2.0]) @ np.linalg.inv(_S)


def _weighted_eigvals(a, weights):
    t = ad.tensor(a, requires_grad=True)
    (np.linalg.eigvals(t) * weights).real.sum().backward()
    return t.grad


@pytest.mark.parametrize("gap", [0.0, 0.25 * _TOL])
def test_repeated_eigenvalues_weighed_differently_warn_at_the_users_line(gap):
    with pytest.warns(ad.linalg.DegenerateGradientWarning,
                      match=r"eigvals: eigenvalues \d and \d are (nearly )?equal.*weighs them "
                            r"differently.*symmetric function") as record:
        _weighted_eigvals(_similar(gap), [1.0, 2.0, 3.0])
    assert record[0].filename == HERE


@pytest.mark.parametrize("gap", [0.0, 0.25 * _TOL, 10 * _TOL])
def test_a_symmetric_function_of_repeated_eigenvalues_stays_quiet(gap):
    a = _similar(gap)
    eigenvalues = np.linalg.eigvals(a)
    weights = np.where(np.abs(eigenvalues - 2.0) < 0.5, 3.0, 1.0)   # (equal on the pair)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grad = _weighted_eigvals(a, weights)
    # d(sum of the pair's eigenvalues + 3 * the third) = trace of the spectral projectors
    projector = _S @ np.diag([0.0, 0.0, 1.0]) @ np.linalg.inv(_S)
    np.testing.assert_allclose(grad, np.eye(3) + 2 * projector.T, atol=1e-6)


def test_just_above_the_threshold_is_quiet_and_pytorchs():
    torch = pytest.importorskip("torch")
    a = _similar(4 * _TOL)
    weights = [1.0, 2.0, 3.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grad = _weighted_eigvals(a, weights)
    theirs = torch.tensor(a, requires_grad=True)
    (torch.linalg.eigvals(theirs) * torch.tensor(weights)).real.sum().backward()
    # the same formula on LAPACK's eigenvectors; the gap amplifies rounding by 1/gap
    np.testing.assert_allclose(grad, theirs.grad.numpy(), rtol=1e-6,
                               atol=1e-6 * np.abs(grad).max())


def test_a_defective_matrix_warns_and_a_nearly_defective_one_is_exact():
    torch = pytest.importorskip("torch")
    with pytest.warns(ad.linalg.DegenerateGradientWarning, match=r"eigvals: eigenvalues 0 "
                                                                 r"and 1 are equal \(1\.0\)"):
        _weighted_eigvals(np.array([[1.0, 1.0], [0.0, 1.0]]), [1.0, 0.0])
    # eigenvalues 1 +- sqrt(c): a gap of 2e-6, above the threshold; d(1 + sqrt(c))/dc is
    # 1 / (2 sqrt(c)) = 5e5, large but exact
    c = 1e-12
    a = np.array([[1.0, 1.0], [c, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = ad.tensor(a, requires_grad=True)
        w = np.linalg.eigvals(t)
        k = int(np.argmax(w.data.real))
        w[k].real.backward()
    np.testing.assert_allclose(t.grad, [[0.5, 0.5 * np.sqrt(c)], [0.5 / np.sqrt(c), 0.5]],
                               rtol=1e-6)
    theirs = torch.tensor(a, requires_grad=True)
    values = torch.linalg.eigvals(theirs)
    values[int(values.real.argmax())].real.backward()
    np.testing.assert_allclose(t.grad, theirs.grad.numpy(), rtol=1e-9)


def _first_row_sizes(a):
    t = ad.tensor(a, requires_grad=True)
    w, v = np.linalg.eig(t)
    k = int(np.argmax(w.data.real))
    (np.abs(v[0, k]) ** 2).backward()
    return t.grad


def test_eigenvectors_of_a_defective_matrix_warn_rather_than_give_zero():
    # (their coupling is at rounding level, which at a diagonalizable matrix means an
    # exact 0; a defective matrix has one eigenvector, not an eigenspace)
    with pytest.warns(ad.linalg.DegenerateGradientWarning,
                      match=r"eig: eigenvalues 0 and 1 .*parallel.*defective") as record:
        _first_row_sizes(np.array([[1.0, 1.0], [0.0, 1.0]]))
    assert record[0].filename == HERE
    # nearly defective, with the gap above the threshold: quiet, and PyTorch's
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 1.0], [1e-12, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grad = _first_row_sizes(a)
    theirs = torch.tensor(a, requires_grad=True)
    values, vectors = torch.linalg.eig(theirs)
    (vectors[0, int(values.real.argmax())].abs() ** 2).backward()
    np.testing.assert_allclose(grad, theirs.grad.numpy(), rtol=1e-6, atol=1e-12)


def test_the_eigenvectors_of_a_diagonalizable_repeated_eigenvalue_are_unchanged():
    # an unused pair at a diagonalizable repeated eigenvalue: quiet, as before
    a = _similar(0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grad = _first_row_sizes(a)
    assert np.isfinite(grad).all()
