"""Writes into a complex Tensor's parts (autodiff/complex_part_writes.py), as NumPy's
``z.real = x``, ``z.imag = y``, ``z.real *= 2`` and ``z.real[0] = 5``: before, a Tensor
had no setter there (Python's bare "property 'real' of 'Tensor' object has no setter"),
and a write into ``z.real`` or ``z.imag`` changed a copy and left ``z`` as it was, where
NumPy's part is a view of ``z``."""

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


def _part_written_by_index(p):
    z = p[:3] * (1 + 0.5j)
    z.real[1] = p[3] ** 2
    part = np.imag(z)
    part[::2] *= p[4:6]
    return np.sum(np.abs(z) ** 2 * _WEIGHTS)


def _part_updated_by_an_operator(p):
    z = np.exp(1j * p[:3]) * p[3:]
    imaginary = z.imag
    imaginary += p[:3]
    return np.sum(np.angle(z) * _WEIGHTS)


@pytest.mark.parametrize("program", [_scaled_real_part, _parts_assigned,
                                     _real_of_a_real_array, _part_written_by_index,
                                     _part_updated_by_an_operator])
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


@pytest.mark.parametrize("write", [
    lambda z: z.real.__setitem__(0, 5.0),
    lambda z: z.imag[1:].__imul__(2),
    lambda z: z.imag.fill(0.5),
    lambda z: np.real(z).__iadd__(1.0),
], ids=["item", "slice of the part", "fill", "augmented operator"])
def test_a_write_into_a_part_reaches_the_complex_tensor_as_numpys_view(write):
    values = np.array([1 + 2j, 3 + 4j])
    expected, tensor = values.copy(), ad.tensor(values.copy())
    write(expected)
    write(tensor)
    np.testing.assert_array_equal(tensor.data, expected)


def test_a_part_taken_before_its_tensor_changed_refuses_a_write():
    z = ad.tensor(np.array([1 + 2j, 3 + 4j]))
    part = z.real
    z[0] = 7 + 7j
    with pytest.raises(RuntimeError, match=r"real part .* taken before that tensor "
                                           r"changed.*r = z\.real"):
        part[1] = 5.0
    np.testing.assert_array_equal(z.data, [7 + 7j, 3 + 4j])


def test_a_write_into_a_part_of_a_leaf_that_requires_grad_is_refused_first():
    z = ad.tensor(np.array([1 + 2j, 3 + 4j]), requires_grad=True)
    part = z.imag
    with pytest.raises(RuntimeError, match="leaf that requires grad"):
        part[0] = 0.0
    np.testing.assert_array_equal(z.data, [1 + 2j, 3 + 4j])
