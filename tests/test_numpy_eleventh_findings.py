"""Focused tests of what the eleventh round of NumPy programs found
(test_numpy_programs_eleventh.py and the probes around it): ``np.real_if_close`` of a
complex Tensor on the tape dropped the gradient (its real result came back off the
tape, silently), and ``np.dot`` with an operand beyond 2-D summed in another order
than NumPy's (an einsum), so its last bit differed in most draws."""

import numpy as np
import pytest

import autodiff as ad

from numpy_program_checks import central_difference


def _circular_convolution(v):
    """Complex, with imaginary parts of rounding size (the product of two real signals'
    spectra is Hermitian)."""
    return np.fft.ifft(np.fft.fft(v) * np.fft.fft(np.array([0.5, 0.3, 0.0, 0.2])))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_real_if_close_of_a_complex_tensor_on_the_tape_keeps_the_gradient(dtype):
    x0 = np.array([0.5, -1.0, 2.0, 0.25], dtype=dtype)
    x = ad.tensor(x0, requires_grad=True)
    real = np.real_if_close(_circular_convolution(x), tol=1000)
    expected = np.real_if_close(_circular_convolution(x0), tol=1000)
    assert real.dtype == expected.dtype and real.dtype.kind == "f"
    np.testing.assert_array_equal(real.data, expected)
    assert real.requires_grad
    (real ** 2 * np.arange(1.0, 5.0)).sum().backward()
    numerical = central_difference(
        lambda v: (np.real(_circular_convolution(v)) ** 2 * np.arange(1.0, 5.0)).sum(),
        x0.astype(np.float64))
    np.testing.assert_allclose(x.grad, numerical, rtol=1e-4 if dtype == np.float32 else 1e-7)


def test_real_if_close_keeps_a_complex_tensor_whose_imaginary_parts_are_not_small():
    z = ad.tensor(np.array([1.0 + 1e-3j, 2.0]), requires_grad=True)
    kept = np.real_if_close(z)
    assert kept is z


@pytest.mark.parametrize("tol, imaginary", [(100, 1e-15), (100, 1e-13), (1e-10, 1e-11),
                                            (1e-10, 1e-9), (1, 0.5)])
def test_real_if_close_decides_as_numpy_does(tol, imaginary):
    data = np.array([1.0 + imaginary * 1j, -2.0, 3.0 - imaginary * 1j])
    z = ad.tensor(data, requires_grad=True)
    got, expected = np.real_if_close(z, tol=tol), np.real_if_close(data, tol=tol)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got.data, expected)
    assert got.requires_grad
    loss = (np.abs(got) ** 2).sum()
    loss.backward()
    np.testing.assert_allclose(z.grad.real, 2 * data.real)


def test_real_if_close_without_grad_and_of_a_real_tensor():
    data = np.array([1.0 + 1e-20j, 2.0])
    got = np.real_if_close(ad.tensor(data))
    np.testing.assert_array_equal(got.data, np.real_if_close(data))
    assert not got.requires_grad
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    assert np.real_if_close(x) is x


#: np.dot with an operand beyond 2-D: (shape of a, shape of b)
ND_DOT_SHAPES = [((2, 3, 5), (5, 4)), ((2, 3, 5), (3, 5, 4)), ((3, 5), (2, 5, 4)),
                 ((2, 3, 5), (5,)), ((5,), (2, 5, 4)), ((1, 1, 5), (1, 5, 1)),
                 ((2, 1, 3, 4), (4, 2))]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shapes", ND_DOT_SHAPES, ids=str)
def test_an_nd_dot_is_numpys_to_the_bit(shapes, dtype):
    # NumPy takes one inner product per output element; an einsum (as before) summed in
    # another order: the last bit differed in most draws
    rng = np.random.default_rng(11)
    for _ in range(20):
        a, b = (rng.normal(size=shape).astype(dtype) for shape in shapes)
        expected = np.dot(a, b)
        for got in (np.dot(ad.tensor(a, requires_grad=True), b), ad.dot(a, ad.tensor(b)),
                    ad.tensor(a).dot(ad.tensor(b))):
            assert got.dtype == expected.dtype and got.shape == expected.shape
            np.testing.assert_array_equal(got.data, expected)


@pytest.mark.parametrize("shapes", ND_DOT_SHAPES, ids=str)
def test_an_nd_dots_gradients_match_central_differences_to_second_order(shapes):
    rng = np.random.default_rng(12)
    a, b = (rng.normal(size=shape) for shape in shapes)
    assert ad.gradcheck(lambda x, y: np.dot(x, y), [a, b])
    assert ad.gradgradcheck(lambda x, y: np.dot(x, y), [a, b])


def test_a_complex_nd_dots_gradients_match_central_differences():
    from complex_checks import check_against_central_differences, sample
    check_against_central_differences(lambda x, y: np.dot(x, y),
                                      [sample((2, 2, 3)), sample((3, 2))])
    check_against_central_differences(lambda x, y: np.dot(x, y),
                                      [sample((3,)), sample((2, 3, 2))])
