"""``x ** y`` of a 0-d Tensor is NumPy's ``**`` of scalars (autodiff/ops/scalar_power.py):
NumPy's scalar arithmetic takes the C library's pow, whose last bit differs from the
power ufunc's SIMD loop on some CPUs (on AVX-512: about 5% of float64 and a third of
float32 draws), so a 0-d Tensor standing for ``a[0]`` or ``a.sum()`` gave values a bit
off NumPy's.  ``np.power`` stays the ufunc, arrays are unchanged, and gradients,
forward mode and compiled replays follow.  A NumPy scalar to the power of a Tensor,
``np.float32(2) ** t``, reaches the Tensor as the ufunc ``np.power``, and is told from a
written ``np.power`` by the instruction the line is executing (Python 3.11 on)."""

import sys

import numpy as np
import pytest

import autodiff as ad

from compile_twins import assert_replays_equal_eager
from numpy_program_checks import central_difference

EXPONENTS = [3, 1.5, -2.5, 0.3, 7, -1, 2, 0.5]


def _draws(dtype, count=200):
    return np.random.default_rng(16).uniform(0.05, 3.0, count).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("exponent", EXPONENTS)
def test_a_0d_tensor_to_a_number_is_numpys_scalar_power(exponent, dtype):
    values = _draws(dtype)
    t = ad.tensor(values, requires_grad=True)
    for i in range(values.size):
        expected = values[i] ** exponent                 # a NumPy scalar's **
        got = t[i] ** exponent
        assert got.dtype == np.asarray(expected).dtype
        assert got.data.tobytes() == np.asarray(expected).tobytes()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numbers_and_0d_tensors_on_either_side(dtype):
    values = _draws(dtype, 100)
    t = ad.tensor(values, requires_grad=True)
    for i in range(values.size - 1):
        a, b = values[i], values[i + 1]
        for expected, got in [(2.0 ** a, 2.0 ** t[i]), (a ** b, t[i] ** t[i + 1]),
                              (a ** np.float64(1.7), t[i] ** np.float64(1.7)),
                              (t.data.sum() ** 1.3, t.sum() ** 1.3)]:
            assert got.dtype == np.asarray(expected).dtype
            np.testing.assert_array_equal(got.data, expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_np_power_and_arrays_stay_the_ufuncs(dtype):
    values = _draws(dtype, 100)
    t = ad.tensor(values, requires_grad=True)
    np.testing.assert_array_equal((t ** 1.5).data, values ** 1.5)
    np.testing.assert_array_equal((t[:1] ** 1.5).data, values[:1] ** 1.5)
    for i in range(values.size):
        np.testing.assert_array_equal(np.power(t[i], 1.5).data, np.power(values[i], 1.5))
        np.testing.assert_array_equal((ad.tensor(np.array(values[i])) ** 3).data,
                                      values[i] ** 3)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="told apart by BINARY_OP")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_numpy_scalar_to_the_power_of_a_0d_tensor_is_numpys_scalar_power(dtype):
    values = _draws(dtype)
    t = ad.tensor(values, requires_grad=True)
    for base in (dtype(2.0), dtype(0.37), dtype(5.5)):
        for i in range(values.size):
            expected, got = base ** values[i], base ** t[i]
            assert got.dtype == np.asarray(expected).dtype
            assert got.data.tobytes() == np.asarray(expected).tobytes()
            written = np.power(base, t[i])          # written as the ufunc: stays the ufunc
            np.testing.assert_array_equal(written.data, np.power(base, values[i]))
    gradient = ad.grad(lambda p: dtype(1.7) ** p[0])(values[:1].astype(np.float64))
    np.testing.assert_allclose(gradient, [np.log(1.7) * 1.7 ** float(values[0])], rtol=1e-5)


def test_integer_0d_tensors_and_their_errors_are_numpys():
    assert (ad.tensor(np.int64(3)) ** 2).item() == 9
    with pytest.raises(ValueError, match="Integers to negative integer powers"):
        ad.tensor(np.int64(3)) ** -1


@pytest.mark.parametrize("exponent", EXPONENTS)
def test_gradients_and_second_order(exponent):
    def f(p):
        return p[0] ** exponent + 2.0 ** p[1] + p[0] ** p[1] + p.sum() ** exponent
    p0 = np.array([1.3, 0.7])
    np.testing.assert_allclose(ad.grad(f)(p0), central_difference(f, p0), rtol=1e-6)
    assert ad.gradgradcheck(f, [p0])
    tangent = ad.jvp(f, (p0,), (np.array([1.0, -0.5]),))[1]
    np.testing.assert_allclose(tangent, ad.grad(f)(p0) @ np.array([1.0, -0.5]), rtol=1e-12)


def test_a_compiled_function_replays_the_scalar_power():
    w = ad.tensor(np.array([1.3, 0.7, 2.1]), requires_grad=True)

    def step(x):
        loss = (w[0] * x[0]) ** 3.3 + w.sum() ** 1.7 + 2.0 ** (w[1] * x[1])
        loss.backward()
        return loss

    assert_replays_equal_eager(
        step, w, [np.array([0.9, 1.1]), np.array([1.7, 0.3]), np.array([0.4, 2.2])])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm", [
    lambda a: np.linalg.norm(a, 3), lambda a: np.linalg.norm(a, ord=1.5),
    lambda a: np.linalg.norm(a, -2.5), lambda a: np.linalg.norm(a, 3, keepdims=True),
    lambda a: np.linalg.norm(a.reshape(4, 6), 3, axis=1),
    lambda a: np.linalg.vector_norm(a, ord=3),
    lambda a: np.linalg.vector_norm(a.reshape(4, 6), ord=0.7, keepdims=True),
    lambda a: np.linalg.vector_norm(a.reshape(2, 3, 4), ord=3, axis=(0, 2))],
    ids=["ord 3", "ord 1.5", "ord -2.5", "keepdims", "rows", "vector_norm",
         "vector_norm keepdims", "vector_norm axes"])
def test_a_p_norms_root_is_numpys(norm, dtype):
    # NumPy takes the root by `ret **= 1 / ord`: on a NumPy scalar for a whole vector
    rng = np.random.default_rng(17)
    for _ in range(50):
        a = rng.normal(size=24).astype(dtype)
        expected = norm(a)
        got = norm(ad.tensor(a, requires_grad=True))
        assert got.dtype == np.asarray(expected).dtype
        np.testing.assert_array_equal(got.data, expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_in_place_power_of_a_0d_tensor_is_numpys_scalar_power(dtype):
    values = _draws(dtype, 100)
    t = ad.tensor(values, requires_grad=True)
    for i in range(values.size):
        s = t[i] * 1.0
        s **= 1.7                       # NumPy: s = s ** 1.7 on a scalar
        expected = values[i] * dtype(1.0)
        expected **= 1.7
        np.testing.assert_array_equal(s.data, expected)
    s = t[0] * 1.0
    s **= 3.0
    s.backward()
    np.testing.assert_allclose(t.grad[0], 3 * values[0] ** 2, rtol=1e-6)


def test_the_operator_twins_hold_their_ops_float16_and_complex_twins():
    # the twins are copies made before the float16 and complex twins are installed;
    # finish_twins gives them those at the end of the import (ad.fft and the other
    # modules imported on first use install none for these ops)
    import autodiff.distributions  # noqa: F401
    import autodiff.fft  # noqa: F401
    from autodiff.ops.scalar_power import _TWINS
    assert {op.name for op, _ in _TWINS} == {"power", "multiply", "abs"}
    for op, twin in _TWINS:
        assert type(twin) is type(op) and twin.name == op.name
        assert twin.half_twin is op.half_twin and twin.half_numbers is op.half_numbers
        assert twin.complex_twin is not None and op.complex_twin is not None
        assert twin.complex_twin.rules == op.complex_twin.rules
        assert twin.complex_twin.forward is twin.forward is not op.forward
        assert twin.complex_twin.complex_twin is twin.complex_twin
