"""np.sinc and np.round / np.around / np.rint of complex Tensors, which NumPy computes:
sinc is holomorphic (its gradient follows complex_ops.py's convention, checked against
central differences of the real and imaginary parts and against PyTorch's torch.sinc),
round rounds both parts and has a zero gradient."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from complex_checks import (check_against_central_differences, check_against_torch,
                            sample)

#: the series branch (|pi z| < 2), the closed form beyond it, and values near 0
SCALES = [1.0, 0.01, 1.2]


def sinc_points():
    return np.concatenate([sample((2, 3)).ravel() * scale for scale in SCALES])


def test_sinc_values_are_numpys_bitwise():
    z = np.concatenate([sinc_points(), [0j, 1e-300 + 0j, 3 + 0j, 2j, -4.5 + 7j]])
    for dtype in (np.complex128, np.complex64):
        got = np.sinc(ad.tensor(z.astype(dtype), requires_grad=True))
        assert got.dtype == dtype and got.requires_grad
        np.testing.assert_array_equal(got.data, np.sinc(z.astype(dtype)))
        np.testing.assert_array_equal(ad.sinc(ad.tensor(z.astype(dtype))).data,
                                      np.sinc(z.astype(dtype)))


@pytest.mark.parametrize("scale", SCALES)
def test_sinc_gradient_matches_central_differences(scale):
    check_against_central_differences(np.sinc, [sample((2, 3)) * scale])


@pytest.mark.parametrize("scale", SCALES)
def test_sinc_second_order_matches_central_differences_of_the_gradient(scale):
    z = sample((3,)) * scale

    def gradient(values):
        tensor = ad.tensor(values, requires_grad=True)
        (np.sinc(tensor).abs() ** 2).sum().backward()
        return tensor.grad

    tensor = ad.tensor(z, requires_grad=True)
    (grad,) = ad.autograd.grad((np.sinc(tensor).abs() ** 2).sum(), [tensor],
                               create_graph=True)
    (grad.real.sum() + 2 * grad.imag.sum()).backward()
    eps, expected = 1e-6, np.zeros_like(z)
    for i in range(z.size):
        for unit in (1, 1j):
            step = np.zeros_like(z)
            step[i] = eps * unit
            moved = (gradient(z + step) - gradient(z - step)) / (2 * eps)
            expected[i] += (moved.real.sum() + 2 * moved.imag.sum()) * unit
    np.testing.assert_allclose(tensor.grad, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("scale", SCALES)
def test_sinc_values_gradients_and_second_order_match_torch(scale):
    torch = pytest.importorskip("torch")
    check_against_torch(lambda z: z.sinc(), torch.sinc, [sample((2, 3)) * scale])


@pytest.mark.parametrize("function", [np.round, np.around, np.rint, ad.round],
                         ids=lambda f: f.__module__ + "." + f.__name__)
def test_round_of_complex_rounds_both_parts_with_zero_gradient(function):
    z = sample((2, 3)) * 7.3
    tensor = ad.tensor(z, requires_grad=True)
    rounded = function(tensor)
    np.testing.assert_array_equal(rounded.data, np.round(z))
    assert rounded.dtype == np.complex128 and rounded.requires_grad
    (rounded.abs() ** 2 + rounded.real).sum().backward()
    np.testing.assert_array_equal(tensor.grad, np.zeros_like(z))
    assert tensor.grad.dtype == np.complex128


def test_round_of_complex_to_decimals_is_numpys():
    z = sample((4,)) * 7.3
    tensor = ad.tensor(z, requires_grad=True)
    for decimals in (-1, 0, 2):
        np.testing.assert_array_equal(np.round(tensor, decimals).data, np.round(z, decimals))
        np.testing.assert_array_equal(np.around(tensor, decimals=decimals).data,
                                      np.around(z, decimals=decimals))
    (np.round(tensor, 2).real.sum() + (tensor * 0).real.sum()).backward()
    np.testing.assert_array_equal(tensor.grad, np.zeros_like(z))


@pytest.mark.parametrize("scale", SCALES)
def test_sinc_of_a_complex_dual_matches_central_differences(scale):
    import autodiff.forward_ad as fwAD
    z, direction = sample((4,)) * scale, sample((4,))
    with fwAD.dual_level():
        dual = fwAD.make_dual(ad.tensor(z), ad.tensor(direction))
        tangent = fwAD.unpack_dual(np.sinc(dual)).tangent
    eps = 1e-6
    expected = (np.sinc(z + eps * direction) - np.sinc(z - eps * direction)) / (2 * eps)
    np.testing.assert_allclose(tangent.data, expected, rtol=1e-6, atol=1e-8)
