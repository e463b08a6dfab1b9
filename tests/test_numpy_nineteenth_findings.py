"""What the nineteenth round of NumPy programs found in the library, each with a test
that failed before the fix.

``np.linalg.cond(x, p)`` with ``p`` other than None, 2 and -2 is
``norm(x, p) * norm(inv(x), p)``, and NumPy inverts a float32 (or complex64) matrix in
float64, multiplies the float32 norm of ``x`` by the float64 norm of that inverse and
rounds the product to float32 only at the end.  The library inverted in float32, so
its condition number differed from NumPy's in the last bits (``'fro'`` of a 2 x 2
float32 matrix: 2.0263693 against NumPy's 2.026369).

``np.convolve`` and ``np.correlate`` of two float16 sequences: NumPy's half-precision
dot adds the products in float32 and rounds once, where the library summed in float16
(rounding at every tap), off by up to a few float16 ulps (for a signal of 24 entries
and a kernel of 2, most outputs of every mode differed).  Windows of float16 audio
samples convolved by a short filter met it.  Two sequences of different float dtypes
(float32 with float64, float16 with float32 ...) NumPy converts to their common type
first and sums as two of that type; the library multiplied them as they were, off in
the last bits of most outputs."""

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


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("function", [np.convolve, np.correlate], ids=lambda f: f.__name__)
def test_float16_convolve_and_correlate_are_numpys_to_the_bit(function, mode):
    rng = np.random.default_rng(1916)
    for signal_length, kernel_length in [(24, 2), (24, 5), (30, 11), (30, 12), (40, 17),
                                         (6, 12), (1, 1), (3, 3)]:
        signal = rng.normal(size=signal_length).astype(np.float16)
        kernel = rng.normal(size=kernel_length).astype(np.float16)
        value = function(ad.tensor(signal, requires_grad=True),
                         ad.tensor(kernel, requires_grad=True), mode=mode)
        expected = function(signal, kernel, mode=mode)
        assert value.dtype == expected.dtype == np.float16
        np.testing.assert_array_equal(value.data, expected)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_float16_convolve_gradient_is_float16_and_the_float64_gradient(mode):
    rng = np.random.default_rng(16)
    signal = rng.normal(size=20).astype(np.float16)
    kernel = rng.normal(size=4).astype(np.float16)
    weights = rng.normal(size=np.convolve(signal, kernel, mode=mode).size)

    def loss(a, v):
        return np.convolve(a, v, mode=mode) @ weights

    grads16 = ad.grad(loss, argnums=(0, 1))(signal, kernel)
    grads64 = ad.grad(loss, argnums=(0, 1))(signal.astype(np.float64),
                                             kernel.astype(np.float64))
    for grad16, grad64 in zip(grads16, grads64):
        assert grad16.dtype == np.float16
        # each entry a sum of a few products rounded to float16 (eps 1e-3)
        np.testing.assert_allclose(grad16, grad64, rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("dtypes", [(np.float16, np.float32), (np.float32, np.float64),
                                    (np.float16, np.float64), (np.float32, np.complex64)],
                         ids=lambda d: f"{np.dtype(d[0]).name}-{np.dtype(d[1]).name}")
@pytest.mark.parametrize("function", [np.convolve, np.correlate], ids=lambda f: f.__name__)
def test_convolve_and_correlate_of_two_float_dtypes_are_numpys_to_the_bit(function, dtypes):
    rng = np.random.default_rng(1917)
    for signal_length, kernel_length in [(13, 7), (9, 5), (6, 12), (30, 16)]:
        for mode in ("full", "same", "valid"):
            signal = (3 * rng.normal(size=signal_length)).astype(dtypes[0])
            kernel = (3 * rng.normal(size=kernel_length)).astype(dtypes[1])
            for a, v in ((signal, kernel), (kernel, signal)):
                ta, tv = ad.tensor(a, requires_grad=True), ad.tensor(v, requires_grad=True)
                value = function(ta, tv, mode=mode)
                expected = function(a, v, mode=mode)
                assert value.dtype == expected.dtype
                np.testing.assert_array_equal(value.data, expected)
                value.real.sum().backward()
                assert ta.grad.dtype == a.dtype and tv.grad.dtype == v.dtype


def test_float16_convolve_compiles_and_replays_numpys_values():
    rng = np.random.default_rng(1918)
    kernel = rng.normal(size=4).astype(np.float16)
    step = ad.compile(lambda signal: np.convolve(signal, kernel, mode="same"))
    for _ in range(3):                                  # the trace, then replays
        signal = rng.normal(size=20).astype(np.float16)
        np.testing.assert_array_equal(step(ad.tensor(signal)).data,
                                      np.convolve(signal, kernel, mode="same"))
