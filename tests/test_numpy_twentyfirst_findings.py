"""What the twenty-first round of NumPy programs (test_numpy_programs_twentyfirst*.py)
found, probing around its calls.

``np.vectorize(f)`` on a float32 Tensor called ``f`` on float32 0-d Tensors, while
NumPy's loop passes Python floats: ``f`` computes in double precision there and only
its results are cast, so with ``otypes=[float]`` the values differed from NumPy's by a
float32 rounding, and without ``otypes`` by a bit now and then.  The elements now reach
``f`` as float64 (complex128 for complex64), and the output types come, as NumPy's do,
from a call on the first element in its own dtype.  (A Python float is a weak scalar
in NumPy 2, so where ``f`` mixes its argument with a float32 array or scalar of its own
NumPy computes in float32 and the float64 element does not; no 0-d Tensor is weak.)

A draw from a generator made in the same expression,
``np.random.default_rng(0).normal(t, 1.0)``, dropped the tape with the general message;
it now names the draw and the reparameterisation, as ``rng.normal(t, 1.0)`` did."""

import warnings

import numpy as np
import pytest

import autodiff as ad

_rng = np.random.default_rng(20261223)


def _rounding_sensitive(v):
    return np.exp(v) * 3.0 - v / 7.0 + v * v * 0.1


@pytest.mark.parametrize("otypes", [None, [float], [np.float32], "d", [complex]])
def test_vectorize_of_a_float32_tensor_is_numpys_to_the_bit(otypes):
    x = _rng.normal(size=200).astype(np.float32)
    vectorized = np.vectorize(_rounding_sensitive, otypes=otypes)
    expected = vectorized(x)
    got = vectorized(ad.tensor(x, requires_grad=True))
    assert got.dtype == expected.dtype and got.requires_grad
    np.testing.assert_array_equal(got.data, expected)


def test_vectorize_of_a_float32_tensor_keeps_a_float32_gradient():
    x = _rng.normal(size=5).astype(np.float32)
    grad = ad.grad(lambda t: np.sum(np.vectorize(_rounding_sensitive)(t)))(x)
    assert grad.dtype == np.float32
    expected = 3.0 * np.exp(x.astype(np.float64)) - 1 / 7.0 + 0.2 * x
    np.testing.assert_allclose(grad, expected, rtol=1e-6)


def test_vectorize_of_a_complex64_tensor_is_numpys_to_the_bit():
    z = (_rng.normal(size=50) + 1j * _rng.normal(size=50)).astype(np.complex64)
    vectorized = np.vectorize(lambda v: np.exp(v) / (v + 3.0))
    expected = vectorized(z)
    got = vectorized(ad.tensor(z))
    assert got.dtype == expected.dtype == np.complex64
    np.testing.assert_array_equal(got.data, expected)


@pytest.mark.parametrize("cache", [False, True])
def test_vectorize_sees_the_elements_as_numpys_loop_does(cache):
    """NumPy calls ``f`` on the first element in its own dtype to find the output type,
    then on Python floats (with cache=True the first call's result is the first
    element's); the Tensor's calls are in the same dtypes, first element first."""
    def seen_by(record, dtype_of):
        def f(v):
            record.append(dtype_of(v))
            return v * 1.1 + 1
        return f

    x = np.array([0.3, 1.2, -0.7], dtype=np.float32)
    numpy_saw, tensor_saw = [], []
    expected = np.vectorize(seen_by(numpy_saw, lambda v: np.asarray(v).dtype), cache=cache)(x)
    got = np.vectorize(seen_by(tensor_saw, lambda v: v.dtype), cache=cache)(ad.tensor(x))
    assert tensor_saw == numpy_saw
    np.testing.assert_array_equal(got.data, expected)


def test_vectorize_of_a_float64_tensor_calls_the_function_once_per_element():
    calls = []
    np.vectorize(lambda v: calls.append(v) or v * 2)(ad.tensor([1.0, 2.0, 3.0]))
    assert len(calls) == 3


@pytest.mark.parametrize("draw, name", [
    (lambda t: np.random.default_rng(0).normal(t, 1.0), "numpy.random.Generator.normal"),
    (lambda t: np.random.default_rng(seed=[1, 2]).exponential(scale=t),
     "numpy.random.Generator.exponential"),
    (lambda t: np.random.RandomState(0).normal(loc=t), "numpy.random.RandomState.normal"),
    (lambda t: np.random.default_rng(0) . permutation(t), "numpy.random.Generator.permutation"),
], ids=["default_rng normal", "seeded exponential", "RandomState normal", "permutation"])
def test_a_draw_from_a_generator_made_in_the_same_expression_names_itself(draw, name):
    t = ad.tensor([0.5, 1.5], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw(t)
    drops = [w for w in caught if issubclass(w.category, ad.TapeDropWarning)]
    assert drops and drops[0].filename == __file__
    assert f"by {name}, which " in str(drops[0].message)
