"""What the twentieth round of NumPy programs found in the library, each with a test
that failed before the fix.

``np.float_power`` of complex numbers: NumPy computes it (in complex128), and its
derivatives are power's, but the op refused to record complex values that require
grad ("its gradient rule is written for real numbers").  A program taking a metal's
refractive index as ``np.float_power`` of its complex permittivity met it.  It now records power's
complex rules (``g * conj(f')``).

``np.nan_to_num`` of complex numbers: NumPy replaces NaN and inf in the real and the
imaginary parts apart; the op refused complex values that require grad (an impedance
fit clearing the residuals of missing readings met it).  Its complex
rule passes each part of the gradient where that part of the input is finite.

``np.full((2, 2), t)`` of a Tensor fill value: the tape-drop message took the shape, a
tuple, for a list of Tensors and advised ``np.full(np.stack(list))``; it now names
``np.full_like(t, value, shape=shape)``, as it did for an integer shape.

Found but not the library's: NumPy's own ``np.power.reduce`` and ``np.arctan2.reduce`` of a
1-D float array gave ``f(a[0], a[-1])`` (NumPy 2.4 on a CPU with AVX512), skipping the
middle entries, where the library folds left as NumPy's ``accumulate`` does; a test pins
the left fold (it passed before this round too)."""

import numpy as np
import pytest

import autodiff as ad
from numpy_program_checks import central_difference

_P = np.array([0.3, -1.2, 0.5, 1.0, 0.4, -0.7])


def _complex(a):
    return a[:3] + 1j * a[3:]


@pytest.mark.parametrize("program", [
    lambda a: np.abs(np.sum(np.float_power(_complex(a), 2.5))),
    lambda a: np.abs(np.sum(np.float_power(_complex(a), a[3:]))),
    lambda a: np.real(np.sum(np.float_power(1.5 + 0.5j, _complex(a)))),
    lambda a: np.abs(np.sum(np.float_power(_complex(a), a[3:] + 1j * a[:3]))),
    lambda a: np.abs(np.float_power(_complex(a)[0], 1.5)),                 # a 0-d base
    lambda a: np.abs(np.sum(np.float_power(_complex(a)[:, None], np.array([[0.5, 2.0]])))),
], ids=["real exponent", "real tensor exponent", "complex exponent", "both complex",
        "0-d", "broadcast size-1"])
def test_float_power_of_complex_numbers_is_numpys_with_their_gradient(program):
    value, grad = ad.value_and_grad(program)(_P.copy())
    assert value.dtype == np.float64
    np.testing.assert_array_equal(value, program(_P.copy()))
    np.testing.assert_allclose(grad, central_difference(program, _P), rtol=1e-6, atol=1e-8)


def test_float_power_of_complex64_computes_in_complex128_as_numpy_does():
    z = ad.tensor(_complex(_P).astype(np.complex64), requires_grad=True)
    result = np.float_power(z, 2)
    assert result.dtype == np.complex128
    np.testing.assert_array_equal(result.data, np.float_power(z.data, 2))
    np.abs(np.sum(result)).backward()
    assert z.grad.dtype == np.complex64
    wide = ad.tensor(z.data.astype(np.complex128), requires_grad=True)
    np.abs(np.sum(np.float_power(wide, 2))).backward()
    # the same derivative, rounded to complex64 once
    np.testing.assert_allclose(z.grad, wide.grad, rtol=1e-6)


def test_float_power_of_complex_numbers_matches_pytorch():
    torch = pytest.importorskip("torch")
    base, exponent = _complex(_P), np.array([2.5, -0.5, 1.25])
    z = ad.tensor(base, requires_grad=True)
    np.abs(np.sum(np.float_power(z, exponent))).backward()
    zt = torch.tensor(base, requires_grad=True)
    torch.abs(torch.sum(torch.float_power(zt, torch.tensor(exponent)))).backward()
    np.testing.assert_allclose(z.grad, zt.grad.numpy(), rtol=1e-12)


def test_nan_to_num_of_complex_numbers_replaces_each_part_and_passes_its_gradient():
    values = np.array([1 + 2j, complex(np.nan, 1.0), complex(2.0, np.inf),
                       complex(-np.inf, np.nan), 0.5 - 0.5j])
    z = ad.tensor(values, requires_grad=True)
    result = np.nan_to_num(z, nan=-1.0, posinf=5.0)
    np.testing.assert_array_equal(result.data, np.nan_to_num(values, nan=-1.0, posinf=5.0))
    weights = np.array([1 + 1j, 2 - 1j, 3 + 0.5j, -1j, 2.0])
    np.real(np.sum(result * weights)).backward()
    # d Re(w y) / d Re(x) + i d / d Im(x) = conj(w), in the parts that were finite
    np.testing.assert_array_equal(z.grad, [1 - 1j, 1j, 3, 0, 2])


def test_nan_to_num_of_finite_complex_numbers_has_the_identitys_gradient_and_hessian():
    def program(a):
        return np.abs(np.sum(np.nan_to_num(_complex(a)) ** 2))
    value, grad = ad.value_and_grad(program)(_P.copy())
    np.testing.assert_array_equal(value, program(_P.copy()))
    np.testing.assert_allclose(grad, central_difference(program, _P), rtol=1e-6, atol=1e-8)
    gradient = ad.grad(program)
    numerical = np.stack([(gradient(_P + step) - gradient(_P - step)) / 2e-6
                          for step in np.eye(6) * 1e-6])
    np.testing.assert_allclose(ad.hessian(program)(_P.copy()), numerical, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("ufunc", [np.power, np.arctan2], ids=lambda u: u.__name__)
def test_reduce_of_a_non_reorderable_ufunc_is_the_left_fold(ufunc):
    # NumPy 2.4 on an AVX512 CPU reduces a 1-D float array by these two ufuncs to
    # f(a[0], a[-1]), skipping the middle; its accumulate folds left, as the library's
    # reduce does.  Within 2 ulps of accumulate's last entry: NumPy's vector loop and
    # the scalar one the library's fold calls may round the last bit differently.
    values = np.array([1.1, 1.2, 1.3, 1.4, 1.5])
    x = ad.tensor(values, requires_grad=True)
    result = ufunc.reduce(x)
    np.testing.assert_allclose(result.data, ufunc.accumulate(values)[-1], rtol=4.5e-16)
    result.backward()
    np.testing.assert_allclose(
        x.grad, central_difference(lambda a: ufunc.accumulate(a)[-1], values),
        rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("program, shape", [
    (lambda p: np.sum(np.full((2, 2), p[0]) * p[1]), (2, 2)),
    (lambda p: np.sum(np.full([3], p[0]) * p[1]), [3]),
    (lambda p: np.sum(np.full((3,), p[0]) * p[1]), (3,)),
], ids=["(2, 2)", "[3]", "(3,)"])
def test_np_full_of_a_tensor_with_a_tuple_shape_names_the_fill_value_and_the_fix(program,
                                                                                  shape):
    # the shape written out, a tuple, is not a list of Tensors: np.full_like is the fix
    p = np.array([0.7, -1.3])
    message = r"by np\.full, NumPy code .*np\.full_like\(t, value, shape=shape\)"
    with pytest.raises(TypeError, match=message + r".* at .*test_numpy_twentieth_findings"):
        ad.grad(program)(p)
    with pytest.warns(ad.TapeDropWarning, match=message):
        program(ad.tensor(p, requires_grad=True))
    fixed = ad.grad(lambda t: np.sum(np.full_like(t, t[0], shape=shape) * t[1]))(p)
    np.testing.assert_allclose(fixed, central_difference(program, p), rtol=1e-6)
