"""The checks shared by the NumPy-program tests (test_numpy_programs_third.py to
test_numpy_programs_sixth.py): each program is ``program(xp, p)``, a scalar function
of a 1-D float64 parameter array ``p`` written once for ``xp`` = ``numpy`` (on an
ndarray, or on a Tensor through NumPy's dispatch) or ``autograd.numpy``.

``central_difference`` is also used on its own by the other tests of NumPy code on
Tensors (test_numpy_programs_more.py, test_numpy_fourth_findings.py,
test_numpy_scatters.py)."""

import warnings

import numpy as np
import pytest

import autodiff as ad


def central_difference(f, p, eps=1e-6):
    """The gradient of the scalar function ``f`` at the 1-D array ``p`` by central
    differences, one coordinate at a time.

    >>> central_difference(lambda a: (a ** 2).sum(), np.array([1.0, -2.0]))
    array([ 2., -4.])
    """
    grad = np.zeros_like(p)
    for i in range(p.size):
        step = np.zeros_like(p)
        step[i] = eps
        grad[i] = (f(p + step) - f(p - step)) / (2 * eps)
    return grad


def value_and_gradient(program, p):
    """``ad.value_and_grad`` of the program as written, with any TapeDropWarning an
    error (inside the transform a tape drop raises anyway)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.TapeDropWarning)
        return ad.value_and_grad(lambda t: program(np, t))(p.copy())


def check_numpys_value(program, p):
    """The value under ``ad.value_and_grad`` is NumPy's to the bit (shape, dtype and
    value), and the program run directly on a Tensor gives a Tensor on the tape."""
    value, _ = value_and_gradient(program, p)
    expected = program(np, p.copy())
    assert value.shape == () and value.dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(value, expected)
    on_a_tensor = program(np, ad.tensor(p.copy(), requires_grad=True))
    assert isinstance(on_a_tensor, ad.Tensor) and on_a_tensor.requires_grad


def check_gradient_matches_central_differences(program, p):
    """``ad.grad`` of the program against central differences of it run on ndarrays."""
    _, grad = value_and_gradient(program, p)
    numerical = central_difference(lambda a: program(np, a), p)
    np.testing.assert_allclose(grad, numerical, rtol=1e-6, atol=1e-6)


def check_hessian_matches_central_differences_of_its_gradient(program, p):
    """``ad.hessian`` of the program against central differences of ``ad.grad``."""
    hessian = ad.hessian(lambda t: program(np, t))(p.copy())
    gradient = ad.grad(lambda t: program(np, t))
    numerical = np.stack([(gradient(p + step) - gradient(p - step)) / 2e-6
                          for step in np.eye(p.size) * 1e-6])
    np.testing.assert_allclose(hessian, numerical, rtol=1e-5, atol=1e-5)


def check_gradient_matches_hips_autograd(program, p):
    """``ad.grad`` of the program against HIPS autograd's (skipped without autograd)."""
    autograd = pytest.importorskip("autograd")
    import autograd.numpy as anp
    _, grad = value_and_gradient(program, p)
    expected = autograd.grad(lambda a: program(anp, a))(p.copy())
    np.testing.assert_allclose(grad, expected, rtol=1e-9, atol=1e-12)


def check_float32_keeps_numpys_dtype(program, p):
    """On float32 parameters the program is NumPy's to the bit in NumPy's result dtype
    (float32 where only float32 arrays and Python numbers meet, float64 where float64
    constants promote), and the gradient is float32 like the parameters, within
    float32's precision of the float64 gradient."""
    p32 = p.astype(np.float32)
    value, grad = value_and_gradient(program, p32)
    expected = np.asarray(program(np, p32.copy()))
    assert value.dtype == expected.dtype
    np.testing.assert_array_equal(value, expected)
    assert grad.dtype == np.float32
    _, grad64 = value_and_gradient(program, p)
    np.testing.assert_allclose(grad, grad64, rtol=1e-3, atol=1e-3 * np.abs(grad64).max())


def program_tests(programs, float32: bool = False, finite: bool = False) -> dict:
    """The four tests of a round of programs, parametrized over ``programs`` (tuples
    ``(program, p, whether HIPS autograd has every function it calls)``), by name; with
    ``float32`` a fifth (``check_float32_keeps_numpys_dtype``), and with ``finite`` one
    that each program's value and gradient are finite at its point (the other checks
    compare NaN equal to NaN): a test module binds them with
    ``globals().update(program_tests(PROGRAMS))``."""
    every = [(program, p) for program, p, _ in programs]
    ids = [program.__name__ for program, _ in every]
    with_autograd = [(program, p) for program, p, supported in programs if supported]
    each = pytest.mark.parametrize("program, p", every, ids=ids)

    @each
    def test_a_program_gives_numpys_value(program, p):
        check_numpys_value(program, p)

    @each
    def test_a_programs_gradient_matches_central_differences(program, p):
        check_gradient_matches_central_differences(program, p)

    @each
    def test_a_programs_hessian_matches_central_differences_of_its_gradient(program, p):
        check_hessian_matches_central_differences_of_its_gradient(program, p)

    @pytest.mark.parametrize("program, p", with_autograd,
                             ids=[program.__name__ for program, _ in with_autograd])
    def test_a_programs_gradient_matches_hips_autograd(program, p):
        check_gradient_matches_hips_autograd(program, p)

    @each
    def test_a_program_on_float32_parameters_keeps_numpys_dtype(program, p):
        check_float32_keeps_numpys_dtype(program, p)

    tests = [test_a_program_gives_numpys_value,
             test_a_programs_gradient_matches_central_differences,
             test_a_programs_hessian_matches_central_differences_of_its_gradient,
             test_a_programs_gradient_matches_hips_autograd]
    @each
    def test_a_program_and_its_gradient_are_finite_at_its_point(program, p):
        value, grad = ad.value_and_grad(lambda t: program(np, t))(p.copy())
        assert np.isfinite(value) and np.all(np.isfinite(grad))

    if float32:
        tests.append(test_a_program_on_float32_parameters_keeps_numpys_dtype)
    if finite:
        tests.append(test_a_program_and_its_gradient_are_finite_at_its_point)
    return {test.__name__: test for test in tests}
