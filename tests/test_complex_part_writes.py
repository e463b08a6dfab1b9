"""Assignment to a Tensor's ``real`` and ``imag`` (autodiff/complex_part_writes.py), as
NumPy's ``z.real = x``, ``z.imag = y`` and ``z.real *= 2``: before, a Tensor had no
setter there and NumPy code that builds or edits a complex array by its parts failed
with Python's bare "property 'real' of 'Tensor' object has no setter"."""

import numpy as np
import pytest

import autodiff as ad
from numpy_program_checks import central_difference

_WEIGHTS = np.array([1.0, 2.0, 3.0])


def _scaled_real_part(p):
    z = p[:3] + 1j * p[3:]
    z.real *= 2
    return np.sum(np.abs(z) ** 2 * _WEIGHTS)


def _parts_assigned(p):
    z = np.zeros_like(p[:3], dtype=complex)
    z.real = p[:3] ** 2
    z.imag = np.sin(p[3:])
    return np.sum(np.angle(z) * _WEIGHTS)


def _real_of_a_real_array(p):
    a = p * 1.0
    a.real = p[::-1] ** 2
    return np.sum(a * np.arange(6.0))


@pytest.mark.parametrize("program", [_scaled_real_part, _parts_assigned,
                                     _real_of_a_real_array])
def test_assigning_a_part_gives_numpys_value_and_a_gradient_that_matches(program):
    p = np.random.default_rng(7).normal(size=6)
    value, grad = ad.value_and_grad(program)(p.copy())
    assert value.dtype == np.float64
    np.testing.assert_array_equal(value, program(p.copy()))
    np.testing.assert_allclose(grad, central_difference(program, p), rtol=1e-6, atol=1e-6)


def test_a_written_part_is_cast_to_the_tensors_part_dtype_as_numpys():
    z = ad.zeros(2, dtype=np.complex64)
    z.real = np.array([1.5, 2.5])
    expected = np.zeros(2, dtype=np.complex64)
    expected.real = np.array([1.5, 2.5])
    assert z.dtype == np.complex64
    np.testing.assert_array_equal(z.data, expected)


def test_the_gradient_reaches_the_kept_part_and_the_written_one():
    source = ad.tensor([1.0 + 2.0j, -1.0 + 0.5j], requires_grad=True)
    written = ad.tensor([3.0, 4.0], requires_grad=True)
    z = source * 1.0
    z.real = written
    (z.real * np.array([1.0, 2.0]) + z.imag * np.array([5.0, 7.0])).sum().backward()
    np.testing.assert_array_equal(written.grad, [1.0, 2.0])
    np.testing.assert_allclose(source.grad, [0.0 + 5.0j, 0.0 + 7.0j])   # imag kept only


def test_a_real_tensor_has_no_imaginary_part_to_set_as_in_numpy():
    with pytest.raises(TypeError, match="imaginary part to set"):
        np.zeros(2).imag = 1.0
    with pytest.raises(TypeError, match=r"t\.imag = \.\.\..*float64.*astype\(np\.complex128\)"):
        ad.tensor([1.0, 2.0]).imag = 1.0


def test_a_complex_value_for_the_real_part_warns_and_keeps_its_real_part_as_numpy():
    z = ad.zeros(2, dtype=np.complex128)
    with pytest.warns(np.exceptions.ComplexWarning):
        z.real = np.array([1.0 + 9.0j, 2.0])
    np.testing.assert_array_equal(z.data, [1.0, 2.0])
