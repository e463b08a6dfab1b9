"""What the seventeenth set of NumPy programs (test_numpy_programs_seventeenth.py and
test_numpy_programs_seventeenth_more.py) found.

``np.poly`` of complex roots on the tape (a Butterworth filter's poles) was refused as
if the roots were a matrix's eigenvalues, "a gradient through the roots of a (4,)
matrix": the product of the factors ``x - r`` is as differentiable for complex roots as
for real ones.  It now gives NumPy's coefficients, real when the roots are their own
conjugates as a set, as NumPy makes them, with a gradient.

``numpy.polynomial``'s functions of roots (``polyroots``, ``polyfromroots``,
``polyvalfromroots``, ``polycompanion``) with arguments on the tape were refused
without naming the function, with advice about Vandermonde matrices that does not apply
to roots; the message now names the function called and the NumPy code that keeps its
arguments on the tape, and that code gives numpy.polynomial's values.

Probing the programs' ``np.hypot.reduce`` found ``initial=`` and ``where=`` refused for
the ufuncs whose reductions run one slice at a time (``hypot``, ``fmod``, ``power`` ...),
though NumPy takes them, and their ``reduceat`` refused as having no rule; both now run
the op slice by slice in NumPy's order, so the values are NumPy's (the definition's
for ``power`` and ``arctan2`` along a contiguous axis, where NumPy 2.4's loops skip
entries: test_sequential_reduce_definition.py) and the gradient is the op's, to
``initial=`` too when it is a Tensor.  NumPy hands ``np.hypot.reduce(a, initial=t)`` to
the Tensor only when the array is one, and otherwise reads ``t`` as a number: the
message now names the reduction and ``np.hypot.reduce(ad.tensor(a), initial=t)``.

Probing ``np.poly`` further found it refused by ``ad.compile`` for real roots too (its
constant factor 1 was an array made outside the library); it now replays, and complex
roots given to a compiled function are refused, since whether the coefficients are
real is read from their values.  ``np.bmat`` of a list holding Tensors advised
``np.bmat(np.stack(list))``, which returns None (np.bmat of anything but a list, a
string or an ndarray does); the message now advises ``np.block``.
"""

import functools

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile.refusals import TraceError
from numpy_program_checks import central_difference

_P = np.polynomial.polynomial
_rng = np.random.default_rng(20261219)


def _roots(parameters, pairs):
    """Complex roots from real parameters: conjugate pairs, or unrelated complex roots."""
    real, imaginary = parameters[:2], parameters[2:4]
    first = real + 1j * imaginary
    if pairs:
        return np.concatenate([first, np.conj(first)])
    return np.concatenate([first, parameters[4:5] - 0.5j])


def _coefficient_power(parameters, pairs):
    coefficients = np.poly(_roots(parameters, pairs))
    return np.sum(np.abs(coefficients * np.arange(1, coefficients.shape[0] + 1)) ** 2)


@pytest.mark.parametrize("pairs", [True, False], ids=["conjugate pairs", "unpaired"])
def test_poly_of_complex_roots_on_the_tape_is_numpys_with_a_gradient(pairs):
    parameters = _rng.normal(size=5)
    roots = _roots(parameters, pairs)
    coefficients = np.poly(ad.tensor(roots, requires_grad=True))
    expected = np.poly(roots)
    assert coefficients.dtype == expected.dtype == (np.float64 if pairs else np.complex128)
    np.testing.assert_array_equal(coefficients.data, expected)
    gradient = ad.grad(lambda t: _coefficient_power(t, pairs))(parameters)
    numerical = central_difference(lambda a: _coefficient_power(a, pairs), parameters)
    np.testing.assert_allclose(gradient, numerical, rtol=1e-6, atol=1e-6)


def test_poly_of_complex64_roots_and_of_one_root_keeps_numpys_dtype():
    for roots in (np.array([1.0 + 2.0j, 1.0 - 2.0j], dtype=np.complex64),
                  np.array([0.5 - 1.5j]), np.array([2.0 + 0.0j, 1.0 + 1.0j, 1.0 - 1.0j])):
        coefficients = np.poly(ad.tensor(roots, requires_grad=True))
        expected = np.poly(roots)
        assert coefficients.dtype == expected.dtype
        np.testing.assert_array_equal(coefficients.data, expected)


def test_poly_of_a_matrix_on_the_tape_is_still_refused_and_bad_shapes_are_numpys_error():
    with pytest.raises(TypeError, match=r"poly: a gradient through the roots of a \(2, 2\) "
                                        r"matrix .*eigvalsh"):
        np.poly(ad.tensor(np.eye(2) + 1j, requires_grad=True))
    with pytest.raises(ValueError, match="input must be 1d or non-empty square 2d array"):
        np.poly(ad.tensor(np.ones((2, 2, 2)), requires_grad=True))


_COEFFICIENTS = np.array([0.06, -1.0, 1.0])
_POINTS = np.array([0.5, -0.2, 1.5])

# (the function, what the message advises, that advice as code, NumPy's function as code)
_ROOT_FUNCTIONS = [
    ("polyroots", r"np\.sort\(np\.roots\(c\[::-1\]\)\)",
     lambda c: np.sort(np.roots(c[::-1])), _P.polyroots),
    ("polyfromroots", r"np\.poly\(r\)\[::-1\]", lambda r: np.poly(r)[::-1], _P.polyfromroots),
    ("polyvalfromroots", r"np\.prod\(np\.subtract\.outer\(x, r\), axis=-1\)",
     lambda r: np.prod(np.subtract.outer(_POINTS, r), axis=-1),
     lambda r: _P.polyvalfromroots(_POINTS, r)),
    ("polycompanion", r"np\.column_stack\(\[np\.eye\(n, n - 1, k=-1\), -c\[:-1\] / c\[-1\]\]\)",
     lambda c: np.column_stack([np.eye(2, 1, k=-1), -c[:-1] / c[-1]]), _P.polycompanion),
]


@pytest.mark.parametrize("name, advice, advised, numpys", _ROOT_FUNCTIONS,
                         ids=[entry[0] for entry in _ROOT_FUNCTIONS])
def test_numpy_polynomial_root_functions_on_the_tape_name_themselves_and_what_works(
        name, advice, advised, numpys):
    with pytest.raises(TypeError, match=rf"in np\.polynomial\.polynomial\.{name}, .*{advice}"):
        ad.grad(lambda t: np.sum(numpys(t)))(_COEFFICIENTS)
    # the advice is numpy.polynomial's values, on the tape
    np.testing.assert_allclose(advised(ad.tensor(_COEFFICIENTS)).data, numpys(_COEFFICIENTS),
                               rtol=1e-12, atol=1e-14)
    weights = np.arange(1.0, np.size(numpys(_COEFFICIENTS)) + 1).reshape(
        np.shape(numpys(_COEFFICIENTS)))
    gradient = ad.grad(lambda t: np.sum(advised(t) * weights))(_COEFFICIENTS)
    numerical = central_difference(lambda a: np.sum(numpys(a) * weights), _COEFFICIENTS)
    np.testing.assert_allclose(gradient, numerical, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("call, name", [
    (lambda t: np.polynomial.chebyshev.chebroots(t), r"np\.polynomial\.chebyshev\.chebroots"),
    (lambda t: np.polynomial.Polynomial(t)(_POINTS), r"np\.polynomial\.Polynomial\(\.\.\.\)"),
    (lambda t: np.polynomial.Polynomial.fit(_POINTS, t, 1).coef,
     r"np\.polynomial\.Polynomial\.fit"),
], ids=["chebroots", "Polynomial", "Polynomial.fit"])
def test_other_numpy_polynomial_functions_on_the_tape_name_themselves(call, name):
    with pytest.raises(TypeError, match=rf"by numpy\.polynomial, in {name}, .*polyvander"):
        ad.grad(lambda t: np.sum(call(t)))(_COEFFICIENTS)


_GRID = np.abs(_rng.normal(size=(3, 4))) + 0.5

# (a name, the call; NumPy's loops are right for each: commutative, along a strided axis,
# or over pairs)
_MASKED_CALLS = [
    ("hypot initial", lambda a: np.hypot.reduce(a, axis=1, initial=1.5)),
    ("hypot initial where", lambda a: np.hypot.reduce(
        a, axis=0, initial=0.7, where=np.array([True, False, True, True]))),
    ("hypot where", lambda a: np.hypot.reduce(a, axis=1, where=np.array([[True], [False],
                                                                          [True]]))),
    ("hypot initial all axes keepdims", lambda a: np.hypot.reduce(a, axis=(0, 1), initial=2.0,
                                                                  keepdims=True)),
    ("fmod initial", lambda a: np.fmod.reduce(a, axis=0, initial=7.5)),
    ("power initial strided", lambda a: np.power.reduce(a, axis=0, initial=1.2)),
    ("copysign initial nothing kept", lambda a: np.copysign.reduce(a, axis=0, initial=-1.0,
                                                                   where=False)),
    ("hypot reduceat", lambda a: np.hypot.reduceat(a, [0, 2, 2, 1], axis=1)),
    ("fmod reduceat", lambda a: np.fmod.reduceat(a, [1, 0], axis=0)),
    ("power reduceat pairs", lambda a: np.power.reduceat(a, [0, 2], axis=0)),
]


@pytest.mark.parametrize("name, call", _MASKED_CALLS, ids=[name for name, _ in _MASKED_CALLS])
def test_sequential_reductions_take_initial_where_and_reduceat_as_numpy(name, call):
    result = call(ad.tensor(_GRID, requires_grad=True))
    expected = call(_GRID)
    assert result.shape == expected.shape and result.dtype == expected.dtype
    np.testing.assert_array_equal(result.data, expected)
    weights = _rng.normal(size=expected.shape)
    gradient = ad.grad(lambda t: np.sum(call(t.reshape(_GRID.shape)) * weights))(_GRID.ravel())
    numerical = central_difference(lambda a: np.sum(call(a.reshape(_GRID.shape)) * weights),
                                   _GRID.ravel())
    np.testing.assert_allclose(gradient, numerical, rtol=1e-6, atol=1e-8)


def test_sequential_reductions_of_a_contiguous_axis_with_initial_follow_the_definition():
    # (NumPy 2.4's own power loop may skip the middle entries here; object arrays run
    # the definition, functools.reduce from initial=)
    row = np.linspace(1.1, 1.5, 5)
    result = np.power.reduce(ad.tensor(row), initial=1.3)
    np.testing.assert_allclose(result.data, functools.reduce(np.power, row, 1.3), rtol=4e-15)
    segments = np.power.reduceat(ad.tensor(row), [0, 3])
    expected = np.power.reduceat(row.astype(object), [0, 3]).astype(float)
    np.testing.assert_allclose(segments.data, expected, rtol=4e-15)


def test_sequential_reductions_keep_numpys_errors_empty_axes_and_float32():
    for call in (lambda a: np.arctan2.reduce(a, axis=0, where=np.array([True, False, True])),
                 lambda a: np.hypot.reduceat(a, [0, 9], axis=1)):
        with pytest.raises((ValueError, IndexError)) as numpys:
            call(np.ones((2, 3)))
        with pytest.raises(numpys.type, match=str(numpys.value)[:30].replace("[", r"\[")):
            call(ad.tensor(np.ones((2, 3)), requires_grad=True))
    empty = np.zeros((0, 3))
    np.testing.assert_array_equal(np.hypot.reduce(ad.tensor(empty), axis=0, initial=1.5).data,
                                  np.hypot.reduce(empty, axis=0, initial=1.5))
    no_segments = np.hypot.reduceat(ad.tensor(_GRID), [], axis=1)
    assert no_segments.shape == np.hypot.reduceat(_GRID, [], axis=1).shape == (3, 0)
    single = _GRID.astype(np.float32)
    for call in (lambda a: np.hypot.reduce(a, axis=1, initial=1.5),
                 lambda a: np.hypot.reduceat(a, [0, 2], axis=1)):
        result, expected = call(ad.tensor(single)), call(single)
        assert result.dtype == expected.dtype == np.float32
        np.testing.assert_array_equal(result.data, expected)


def test_initial_on_the_tape_gets_its_gradient_through_a_sequential_reduction():
    # (a Tensor initial= is the reduction's first operand, as NumPy's number would be)
    row = np.array([3.0, 4.0])
    for call in (lambda s: np.hypot.reduce(ad.tensor(row), initial=s),
                 lambda s: np.power.reduce(ad.tensor(row / 2.0), initial=s),
                 lambda s: np.sum(np.hypot.reduce(ad.tensor(np.ones((2, 3))), axis=0,
                                                  initial=s, where=np.array([True, False,
                                                                             True]))),
                 lambda s: np.sum(np.hypot.reduce(ad.tensor(np.zeros((0, 3))), axis=0,
                                                  initial=s))):
        start = np.array([1.3])
        gradient = ad.grad(lambda t: call(t[0]))(start)
        numerical = central_difference(lambda a: float(np.asarray(
            call(ad.tensor(a[0])).data)), start)
        np.testing.assert_allclose(gradient, numerical, rtol=1e-7)


def test_a_tensor_initial_for_an_ndarray_names_the_reduction_and_what_works():
    row = np.array([3.0, 4.0])
    with pytest.raises(ValueError) as raised:
        ad.grad(lambda s: np.hypot.reduce(row, initial=s))(np.float64(2.0))
    assert "by np.hypot.reduce, which reads initial= as a number when the array is an " \
           "ndarray" in str(raised.value.__cause__)
    assert "np.hypot.reduce(ad.tensor(a), initial=t) keeps t on the tape" in str(
        raised.value.__cause__)
    np.testing.assert_allclose(
        ad.grad(lambda s: np.hypot.reduce(ad.tensor(row), initial=s))(np.float64(2.0)),
        2.0 / np.hypot.reduce(row, initial=2.0), rtol=1e-15)


def test_poly_in_a_compiled_function_replays_and_refuses_complex_roots_that_change():
    # (its constant factor 1 was made outside the library, and the trace refused it)
    compiled = ad.compile(lambda t: np.poly(t) * np.array([1.0, 2.0, 3.0]))
    for roots in ([1.0, 2.0], [3.0, -0.5], [0.25, 0.75]):
        np.testing.assert_array_equal(compiled(ad.tensor(roots)).data,
                                      np.poly(roots) * np.array([1.0, 2.0, 3.0]))
    # whether the coefficients are real is read from the roots' values
    with pytest.raises(TraceError, match=r"poly at .*pair up with their conjugates"):
        ad.compile(lambda t: np.poly(t))(ad.tensor([1.0 + 1.0j, 1.0 - 1.0j]))


def _bmat_loss(t):
    return np.sum(np.asarray(np.bmat([[np.diag(t), np.eye(3)]])) ** 2)


def test_bmat_of_tensors_advises_block_not_bmat_of_a_stack():
    # (the advice was np.bmat(np.stack(list)), but np.bmat of a Tensor returns None)
    p = _rng.normal(size=3)
    with pytest.raises(TypeError, match=r"by np\.bmat, which makes a np\.matrix, .*"
                                        r"np\.block\(nested_list\) joins Tensors") as raised:
        ad.grad(_bmat_loss)(p)
    assert "np.bmat(np.stack" not in str(raised.value)
    gradient = ad.grad(lambda t: np.sum(np.block([[np.diag(t), np.eye(3)]]) ** 2))(p)
    np.testing.assert_allclose(gradient, central_difference(_bmat_loss, p), rtol=1e-7)
