"""``x * y`` and ``abs(x)`` of 0-d complex Tensors are NumPy's arithmetic of complex
scalars (autodiff/ops/scalar_power.py).  In NumPy code a 0-d value is nearly always a
NumPy scalar (``z[2]``, ``z.sum()``).  The product of two complex scalars is the
textbook ``(ac - bd) + (ad + bc)i`` while the multiply ufunc's loop fuses the
multiply-adds, and Python's ``abs`` of a complex scalar is the C library's ``hypot``
while the absolute ufunc has a SIMD loop; on AVX-512 the last bit differs for about 40%
and a third of draws, so a program carrying an impedance up a layered earth in complex
scalars (test_numpy_programs_eighteenth_more.py) was a bit off NumPy's.
``np.multiply`` and ``np.abs`` stay the ufuncs, arrays and real numbers are unchanged,
and gradients, forward mode, in-place products and compiled replays follow; so does a
NumPy scalar on the left, ``c * t``, which NumPy hands to the Tensor as the ufunc.

Beside them, a complex array's ``**`` of a Python number takes NumPy's fast paths, as
an ndarray's does: ``z ** 2`` is ``np.square``, ``z ** -1`` ``np.reciprocal`` and
``z ** 0.5`` ``np.sqrt`` (and ``z **= 2`` is ``np.square(z, out=z)``), each a last-bit
difference from the power ufunc for a quarter to three quarters of complex entries.
(The comparisons are bitwise: the code paths are NumPy's own.)"""

import sys

import numpy as np
import pytest

import autodiff as ad

from compile_twins import assert_replays_equal_eager
from numpy_program_checks import central_difference

COMPLEX = [np.complex128, np.complex64]


def _draws(dtype, count=200):
    rng = np.random.default_rng(18)
    return (rng.normal(size=count) + 1j * rng.normal(size=count)).astype(dtype)


def _same(got, expected):
    assert got.dtype == np.asarray(expected).dtype
    assert got.data.tobytes() == np.asarray(expected).tobytes()


@pytest.mark.parametrize("dtype", COMPLEX)
def test_a_product_of_0d_complex_tensors_is_numpys_scalar_product(dtype):
    values = _draws(dtype)
    t = ad.tensor(values, requires_grad=True)
    for i in range(values.size - 1):
        _same(t[i] * t[i + 1], values[i] * values[i + 1])


@pytest.mark.parametrize("dtype", COMPLEX)
def test_numbers_and_real_0d_tensors_on_either_side(dtype):
    values = _draws(dtype, 100)
    real = np.random.default_rng(19).normal(size=100)
    t, r = ad.tensor(values, requires_grad=True), ad.tensor(real, requires_grad=True)
    for i in range(values.size):
        a = values[i]
        for expected, got in [(a * (0.3 - 1.7j), t[i] * (0.3 - 1.7j)),
                              ((0.3 - 1.7j) * a, (0.3 - 1.7j) * t[i]),
                              (a * real[i], t[i] * r[i]), (real[i] * a, r[i] * t[i]),
                              (values.sum() * a, t.sum() * t[i])]:
            _same(got, expected)


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("requires_grad", [True, False])
def test_a_0d_complex_tensor_times_a_python_number_is_numpys_scalar_product(
        dtype, requires_grad):
    # t * 0.5 takes multiply itself, without the twin's check: a complex times a real
    # is one rounding per part in the ufunc and in the scalar product alike, signed
    # zeros, infinities and subnormals included
    specials = [0.0, -0.0, 1.0, -2.5, np.inf, -np.inf, 1e-310, 1e308, 0.1]
    parts = np.array([(a, b) for a in specials for b in specials])
    values = (parts[:, 0] + 1j * parts[:, 1]).astype(dtype)
    t = ad.tensor(values, requires_grad=requires_grad)
    with np.errstate(all="ignore"):
        for number in specials + [3, -2, 0, 7.25]:
            for i in range(values.size):
                for got, expected in [(t[i] * number, values[i] * number),
                                      (number * t[i], number * values[i])]:
                    assert got.dtype == expected.dtype
                    for part in (np.real, np.imag):
                        np.testing.assert_array_equal(part(got.data), part(expected))
                        if not np.isnan(part(expected)):     # (signed zeros)
                            assert np.signbit(part(got.data)) == np.signbit(part(expected))


@pytest.mark.skipif(sys.version_info < (3, 11), reason="told apart by BINARY_OP")
@pytest.mark.parametrize("dtype", COMPLEX)
def test_a_numpy_scalar_times_a_0d_complex_tensor_is_numpys_scalar_product(dtype):
    # NumPy hands c * t to the Tensor as np.multiply(c, t): the line's instruction
    # tells the operator from the ufunc written out
    values = _draws(dtype, 100)
    t = ad.tensor(values, requires_grad=True)
    for c in (dtype(0.7 + 1.9j), np.float64(-1.3), np.complex128(0.2 - 0.45j)):
        for i in range(values.size):
            _same(c * t[i], c * values[i])
            product = c
            product *= t[i]
            _same(product, c * values[i])
            np.testing.assert_array_equal(np.multiply(c, t[i]).data,
                                          np.multiply(c, values[i]))
    gradient = ad.grad(lambda p: np.real(dtype(0.7 + 1.9j) * (p[0] + 1j * p[1])))(
        np.array([0.3, -0.2]))
    np.testing.assert_allclose(gradient, [0.7, -1.9], rtol=1e-6)


@pytest.mark.parametrize("dtype", COMPLEX)
def test_np_multiply_arrays_and_real_products_stay_the_ufuncs(dtype):
    values = _draws(dtype, 100)
    t = ad.tensor(values, requires_grad=True)
    np.testing.assert_array_equal((t * t[::-1]).data, values * values[::-1])
    np.testing.assert_array_equal((t[:1] * t[1:2]).data, values[:1] * values[1:2])
    for i in range(values.size - 1):
        np.testing.assert_array_equal(np.multiply(t[i], t[i + 1]).data,
                                      np.multiply(values[i], values[i + 1]))
    real = ad.tensor(values.real.astype(np.float64), requires_grad=True)
    assert (real[0] * real[1]).item() == values.real[0] * values.real[1]


@pytest.mark.parametrize("dtype", COMPLEX)
def test_abs_of_a_0d_complex_tensor_is_pythons_abs_of_numpys_scalar(dtype):
    values = _draws(dtype)
    t = ad.tensor(values, requires_grad=True)
    for i in range(values.size):
        _same(abs(t[i]), abs(values[i]))
        np.testing.assert_array_equal(np.abs(t[i]).data, np.abs(values[i]))
    np.testing.assert_array_equal(abs(t).data, abs(values))
    real = ad.tensor(values.real, requires_grad=True)
    _same(abs(real[3]), abs(values.real[3]))


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("exponent", [2, -1, 0.5, 2.0, -1.0, 0.5 + 0j, 3, 1, 0])
def test_a_complex_arrays_power_of_a_number_is_numpys_fast_path(exponent, dtype):
    values = _draws(dtype, 120)
    for shape in ((120,), (8, 15)):
        t = ad.tensor(values.reshape(shape), requires_grad=True)
        _same(t ** exponent, values.reshape(shape) ** exponent)
    t = ad.tensor(values, requires_grad=True)
    for i in range(0, values.size, 7):
        _same(t[i] ** exponent, values[i] ** exponent)   # (a NumPy scalar's **: no fast path)


@pytest.mark.parametrize("exponent", [2, -1, 0.5, 3, 2.0])
def test_a_complex_arrays_in_place_power_is_numpys_fast_path(exponent):
    values = _draws(np.complex128, 120)
    expected = values.copy()
    expected **= exponent                   # NumPy: np.square(a, out=a) for 2
    t = ad.tensor(values, requires_grad=True) * 1.0
    same = t
    t **= exponent
    assert t is same
    _same(t, expected)


def test_gradients_through_the_fast_paths():
    def f(p):
        z = p[:3] + 1j * p[3:]
        w = z * 1.0
        w **= 2
        return np.real(np.sum((z ** 2 + z ** -1 + z ** 0.5 + w) * np.array([1 - 1j, 2j, 0.5])))

    p0 = np.array([0.4, -1.1, 0.8, 0.3, 0.6, -0.9])
    np.testing.assert_allclose(ad.grad(f)(p0), central_difference(f, p0), rtol=1e-6,
                               atol=1e-8)
    assert ad.gradgradcheck(f, [p0])


def test_an_in_place_product_of_a_0d_complex_tensor_is_numpys():
    values = _draws(np.complex128, 100)
    t = ad.tensor(values, requires_grad=True)
    for i in range(values.size - 1):
        s = t[i] * 1.0
        s *= t[i + 1]                   # NumPy: s = s * z on a scalar
        expected = values[i] * 1.0
        expected *= values[i + 1]
        _same(s, expected)


def _impedance_loss(p):
    z = p[0] + 1j * p[1]
    w = p[2] * np.exp(1j * p[3])
    u = (z * w + z ** 2) * (1.5 - 0.5j)
    return np.real(u * np.conj(z)) + abs(u * w) ** 2 + abs(z)


def test_gradients_second_order_and_forward_mode():
    p0 = np.array([0.4, -1.1, 0.8, 0.3])
    gradient = ad.grad(_impedance_loss)(p0)
    np.testing.assert_allclose(gradient, central_difference(_impedance_loss, p0),
                               rtol=1e-6, atol=1e-8)
    assert ad.gradgradcheck(_impedance_loss, [p0])
    direction = np.array([1.0, -0.5, 0.25, 2.0])
    tangent = ad.jvp(_impedance_loss, (p0,), (direction,))[1]
    np.testing.assert_allclose(tangent, gradient @ direction, rtol=1e-10)


def test_a_compiled_function_replays_the_scalar_product():
    w = ad.tensor(np.array([1.3, 0.7, -2.1]), requires_grad=True)

    def step(x):
        z = (w[0] + 1j * w[1]) * (x[0] - 1j * x[1])
        loss = np.real(z * (w[2] + 1j * x[1]) * z) + abs(z * z)
        loss.backward()
        return loss

    assert_replays_equal_eager(
        step, w, [np.array([0.9, 1.1]), np.array([1.7, 0.3]), np.array([0.4, 2.2])])
