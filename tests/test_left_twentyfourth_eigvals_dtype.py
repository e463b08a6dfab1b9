"""``eigvals``/``eig`` of a real matrix with real eigenvalues: NumPy's dtype (real) for
``np.linalg.eigvals`` and ``ad.linalg.eigvals`` alike (the same function; its docstring
says that ``torch.linalg.eigvals`` is always complex), with the values and gradient
PyTorch's once made complex."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

REAL_SPECTRUM = np.array([[2.0, 1.0], [1.0, 3.0]])
ROTATION = np.array([[0.0, -1.0], [1.0, 0.0]])


@pytest.mark.parametrize("matrix", [REAL_SPECTRUM, REAL_SPECTRUM.astype(np.float32),
                                    np.stack([REAL_SPECTRUM, ROTATION]),
                                    np.triu(np.arange(1.0, 10.0).reshape(3, 3))],
                         ids=["float64", "float32", "batch with a complex pair", "triangular"])
def test_dtype_is_numpys_for_both_spellings(matrix):
    expected = np.linalg.eigvals(matrix)
    for call in (np.linalg.eigvals, ad.linalg.eigvals):
        ours = call(ad.tensor(matrix))
        assert ours.dtype == expected.dtype
        np.testing.assert_allclose(np.sort_complex(ours.data.ravel()),
                                   np.sort_complex(expected.ravel()), rtol=1e-5)
    assert np.linalg.eig(ad.tensor(matrix)).eigenvalues.dtype == np.linalg.eig(matrix)[0].dtype


def test_docstring_says_torchs_is_complex():
    assert "torch.linalg.eigvals`` is always complex" in " ".join(
        ad.linalg.eigvals.__doc__.split())


def test_real_eigenvalues_values_and_gradient_match_torchs_complex_ones():
    torch = pytest.importorskip("torch")
    weights = np.array([1.0, -2.0])
    a = ad.tensor(REAL_SPECTRUM, requires_grad=True)
    ours = ad.linalg.eigvals(a)
    assert ours.dtype == np.float64
    order = np.argsort(ours.data)
    (ours[order] * ad.tensor(weights)).sum().backward()
    t = torch.tensor(REAL_SPECTRUM, requires_grad=True)
    theirs = torch.linalg.eigvals(t)
    assert theirs.dtype == torch.complex128
    their_order = np.argsort(theirs.real.detach().numpy())
    (theirs.real[their_order] * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.data[order], theirs.real.detach().numpy()[their_order])
    np.testing.assert_allclose(a.grad, t.grad.numpy(), atol=1e-12)
    as_torch = ad.linalg.eigvals(ad.tensor(REAL_SPECTRUM)).astype(np.complex128)
    assert as_torch.dtype == np.complex128
