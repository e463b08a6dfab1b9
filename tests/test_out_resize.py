"""PyTorch-spelled functions with ``out=`` of another shape than the result resize it,
as PyTorch does: an empty ``out`` silently, one with elements with PyTorch's (deprecation)
warning, from the user's line.  (NumPy's functions keep refusing: NumPy refuses too.)"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad

A = np.array([[1.0, 2.0], [3.0, 4.0]])
V = np.array([0.5, -1.0])

# name: (call for ad and torch alike, the result's values)
CALLS = {
    "mul": (lambda lib, out: lib.mul(lib.tensor(V), 3.0, out=out), V * 3),
    "matmul": (lambda lib, out: lib.matmul(lib.tensor(A), lib.tensor(V), out=out), A @ V),
    "cat": (lambda lib, out: lib.cat([lib.tensor(V), lib.tensor(V)], out=out),
            np.concatenate([V, V])),
    "add": (lambda lib, out: lib.add(lib.tensor(A), lib.tensor(V), out=out), A + V),
}


@pytest.mark.parametrize("empty_shape", [(0,), (0, 3), (2, 0, 1)])
@pytest.mark.parametrize("name", CALLS)
def test_an_empty_out_is_resized_silently(name, empty_shape):
    call, expected = CALLS[name]
    out = ad.empty(empty_shape)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = call(ad, out)
    assert result is out
    assert out.shape == expected.shape and out.dtype == np.float64
    np.testing.assert_array_equal(out.data, expected)


@pytest.mark.parametrize("shape", [(7,), (2, 1, 3), (1,)])
@pytest.mark.parametrize("name", CALLS)
def test_an_out_with_elements_of_another_shape_is_resized_with_a_warning(name, shape):
    call, expected = CALLS[name]
    out = ad.full(shape, 9.0)
    with pytest.warns(UserWarning, match=rf"{name} with out=: an output with one or more "
                                         r"elements was resized since it had shape \[") as info:
        assert call(ad, out) is out
    assert info[0].filename == __file__                     # the user's line
    np.testing.assert_array_equal(out.data, expected)


def test_resizing_keeps_the_out_dtype_and_refuses_what_the_write_would_refuse():
    out = ad.empty(0, dtype=np.float32)
    ad.mul(ad.tensor(V), 3.0, out=out)
    assert out.dtype == np.float32 and out.shape == (2,)
    integers = ad.empty((0, 3), dtype=np.int64)
    with pytest.raises(TypeError, match="mul with out=: cannot cast the output from float64"):
        ad.mul(ad.tensor(V), 3.0, out=integers)
    assert integers.shape == (0, 3)                         # left as it was
    leaf = ad.empty(0, requires_grad=True)
    with pytest.raises(RuntimeError, match="mul with out=: tensor of shape \\(0,\\) is a leaf "
                                           "that requires grad"):
        ad.mul(ad.tensor(V), 3.0, out=leaf)
    assert leaf.shape == (0,)


def test_a_resized_out_carries_the_gradient():
    x = ad.tensor(V, requires_grad=True)
    out = ad.empty(0)
    (ad.mul(x, 3.0, out=out) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad, 18.0 * V)


def test_numpy_functions_keep_refusing_another_shape_as_numpy_does():
    with pytest.raises(ValueError):
        np.multiply(V, 3.0, out=np.empty(0))
    with pytest.raises(ValueError, match="numpy.var with out=: the result has shape"):
        np.var(ad.tensor(A), axis=0, out=ad.empty(0))
    with pytest.raises(ValueError, match="numpy.concatenate with out=: the result has shape"):
        np.concatenate([ad.tensor(V), ad.tensor(V)], out=ad.empty(0))


@pytest.mark.parametrize("shape", [(0,), (0, 2), (7,), (2, 1)])
@pytest.mark.parametrize("name", CALLS)
def test_resizing_agrees_with_torch(name, shape):
    torch = pytest.importorskip("torch")
    call, _ = CALLS[name]
    results = []
    for lib in (ad, torch):
        out = lib.zeros(shape, dtype=lib.float64)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call(lib, out)
        resized = [w for w in caught if "was resized" in str(w.message)]
        results.append((tuple(out.shape), np.asarray(out.tolist()), len(resized)))
    (shape_ad, values_ad, warned_ad), (shape_torch, values_torch, warned_torch) = results
    assert shape_ad == shape_torch
    np.testing.assert_array_equal(values_ad, values_torch)
    assert warned_ad == warned_torch == (0 if 0 in shape else 1)
