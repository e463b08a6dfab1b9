"""Arrays whose dtype is an equal copy of NumPy's built-in object (unpickled data)
enter the library with the built-in object: the fast paths compare dtypes by
identity, and NumPy hands the copy on to every result computed from it."""

import pickle

import numpy as np
import pytest

import autodiff as ad
from autodiff.canonical_dtypes import canonical_dtype, with_canonical_dtype


def unpickled(array):
    return pickle.loads(pickle.dumps(array))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int64, np.bool_,
                                   np.complex128, np.uint8])
def test_an_unpickled_dtype_is_an_equal_copy_and_is_given_back_the_builtin(dtype):
    array = unpickled(np.arange(6).reshape(2, 3).astype(dtype))
    assert array.dtype == np.dtype(dtype) and array.dtype is not np.dtype(dtype)
    assert (array * 1).dtype is not np.dtype(dtype)        # NumPy passes the copy on
    fixed = with_canonical_dtype(array)
    assert fixed.dtype is np.dtype(dtype)
    assert np.shares_memory(fixed, array) and fixed.shape == array.shape
    np.testing.assert_array_equal(fixed, array)


@pytest.mark.parametrize("make", [ad.tensor, ad.as_tensor, ad.from_numpy, ad.Tensor,
                                  ad.nn.Parameter])
def test_tensors_made_from_unpickled_arrays_hold_the_builtin_dtype(make):
    x = unpickled(np.linspace(-2, 2, 5))
    t = make(x)
    assert t.data.dtype is np.dtype(np.float64)
    np.testing.assert_array_equal(t.data, x)


def test_training_on_unpickled_data_keeps_builtin_dtypes_downstream():
    x = ad.tensor(unpickled(np.linspace(-2, 2, 5).astype(np.float32)), requires_grad=True)
    y = ad.tanh(ad.tanh(x * 0.5) + 1)
    assert y.data.dtype is np.dtype(np.float32)
    y.sum().backward()
    assert x.grad.dtype is np.dtype(np.float32)
    expected = np.linspace(-2, 2, 5)
    inner = np.tanh(expected * 0.5)
    np.testing.assert_allclose(
        x.grad, (1 - np.tanh(inner + 1) ** 2) * (1 - inner ** 2) * 0.5, rtol=1e-6)


def test_dtypes_that_have_no_builtin_twin_are_left_alone():
    big_endian = np.dtype(">f8")
    assert canonical_dtype(big_endian) is big_endian
    with_metadata = np.dtype(np.float64, metadata={"unit": "m"})
    assert canonical_dtype(with_metadata) is with_metadata
    record = np.dtype([("a", np.float64)])
    assert canonical_dtype(record) is record
    assert canonical_dtype(np.dtype(np.float64)) is np.dtype(np.float64)
