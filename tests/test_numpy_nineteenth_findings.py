"""What the nineteenth round of NumPy programs found in the library, each with a test
that failed before the fix.

``np.linalg.cond(x, p)`` with ``p`` other than None, 2 and -2 is
``norm(x, p) * norm(inv(x), p)``, and NumPy inverts a float32 (or complex64) matrix in
float64, multiplies the float32 norm of ``x`` by the float64 norm of that inverse and
rounds the product to float32 only at the end.  The library inverted in float32, so
its condition number differed from NumPy's in the last bits (``'fro'`` of a 2 x 2
float32 matrix: 2.0263693 against NumPy's 2.026369)."""

import numpy as np
import pytest

import autodiff as ad

_NORMS = [1, -1, np.inf, -np.inf, "fro", "nuc"]


def _matrices(dtype):
    rng = np.random.default_rng(19)
    matrices = rng.normal(size=(40, 3, 3)) + 3.0 * np.eye(3)
    if np.issubdtype(dtype, np.complexfloating):
        matrices = matrices + 0.5j * rng.normal(size=(40, 3, 3))
    return matrices.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
@pytest.mark.parametrize("p", _NORMS, ids=str)
def test_cond_of_single_precision_matrices_is_numpys_to_the_bit(p, dtype):
    matrices = _matrices(dtype)
    value = np.linalg.cond(ad.tensor(matrices, requires_grad=True), p)
    expected = np.linalg.cond(matrices, p)
    assert value.dtype == expected.dtype == np.float32
    np.testing.assert_array_equal(value.data, expected)
    for matrix in matrices[:5]:                    # unbatched, one matrix at a time
        one = np.linalg.cond(ad.tensor(matrix, requires_grad=True), p)
        assert one.dtype == np.float32
        np.testing.assert_array_equal(one.data, np.linalg.cond(matrix, p))


@pytest.mark.parametrize("p", _NORMS, ids=str)
def test_cond_gradient_of_a_float32_matrix_is_float32_and_the_float64_gradient(p):
    matrix = _matrices(np.float32)[0]
    grad32 = ad.grad(lambda x: np.linalg.cond(x, p))(matrix)
    grad64 = ad.grad(lambda x: np.linalg.cond(x, p))(matrix.astype(np.float64))
    assert grad32.dtype == np.float32
    # float32 rounding of the matrix and the norms: well inside 1e-4 relative here
    np.testing.assert_allclose(grad32, grad64, rtol=1e-4, atol=1e-4 * np.abs(grad64).max())
