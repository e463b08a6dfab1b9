"""np.vecdot, np.matvec, np.vecmat and np.linalg.multi_dot on Tensors: NumPy's values
bit for bit (multi_dot in NumPy's multiplication order), compiled replays, and the
errors.  Gradients on generated shapes are checked from tests/op_specs_products.py."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.ops.vector_products import chain_order

RNG = np.random.default_rng(11)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shapes, axis", [
    (((5,), (5,)), -1), (((2, 3, 5), (5,)), -1), (((4, 1, 5), (3, 5)), -1),
    (((5, 3), (5, 1)), 0), (((2, 5, 3), (5, 3)), -2), (((64, 300), (300,)), -1)])
def test_vecdot_equals_numpys(shapes, axis, dtype):
    a, b = (RNG.standard_normal(s).astype(dtype) for s in shapes)
    for call in (np.vecdot, np.linalg.vecdot, ad.vecdot):
        out = call(ad.tensor(a, requires_grad=True), ad.tensor(b), axis=axis)
        expected = np.vecdot(a, b, axis=axis)
        assert out.dtype == expected.dtype and np.array_equal(out.data, expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matvec_and_vecmat_equal_numpys(dtype):
    matrices = RNG.standard_normal((2, 1, 3, 40)).astype(dtype)
    vectors = RNG.standard_normal((4, 40)).astype(dtype)
    out = np.matvec(ad.tensor(matrices, requires_grad=True), ad.tensor(vectors))
    assert np.array_equal(out.data, np.matvec(matrices, vectors))
    left = RNG.standard_normal((4, 3)).astype(dtype)
    out = np.vecmat(ad.tensor(left), ad.tensor(matrices, requires_grad=True))
    assert np.array_equal(out.data, np.vecmat(left, matrices))


def _numpy_chain_order(shapes):
    from numpy.linalg._linalg import _multi_dot_matrix_chain_order
    return _multi_dot_matrix_chain_order([np.empty(s) for s in shapes])


def test_chain_order_is_numpys():
    pytest.importorskip("numpy.linalg._linalg")
    for _ in range(200):
        count = int(RNG.integers(4, 8))
        sizes = RNG.integers(1, 40, count + 1)
        shapes = [(int(sizes[k]), int(sizes[k + 1])) for k in range(count)]
        split = chain_order(shapes)
        theirs = _numpy_chain_order(shapes)
        assert all(split[i][j] == theirs[i, j]
                   for i in range(count) for j in range(i + 1, count))


@pytest.mark.parametrize("count", [2, 3, 4, 6])
def test_multi_dot_equals_numpys_bit_for_bit(count):
    for trial in range(30):
        sizes = RNG.integers(1, 30, count + 1)
        arrays = [RNG.standard_normal((sizes[k], sizes[k + 1])) for k in range(count)]
        if trial % 3 == 1:
            arrays[0] = arrays[0][0]
        if trial % 3 == 2:
            arrays[-1] = arrays[-1][:, 0]
        out = np.linalg.multi_dot([ad.tensor(a, requires_grad=True) for a in arrays])
        expected = np.linalg.multi_dot(arrays)
        assert out.shape == expected.shape and np.array_equal(out.data, expected)


def test_multi_dot_gradient_and_compiled_replay():
    w = ad.tensor(RNG.standard_normal((3, 4)), requires_grad=True)

    def loss(x):
        return ad.linalg.multi_dot([x[0], w.T, w, x[1]]) + ad.vecdot(x, x[:, ::-1]).sum()

    @ad.compile
    def step(x):
        w.grad = None
        value = loss(x)
        value.backward()
        return value, w.grad

    for x in (RNG.standard_normal((2, 4)), RNG.standard_normal((2, 4))):
        value, grad = step(x)
        w.grad = None
        eager = loss(x)
        eager.backward()
        assert float(value) == float(eager) and np.array_equal(grad, w.grad)
    assert ad.gradcheck(lambda t: ad.linalg.multi_dot([t, t.T, t]).sum(),
                        [RNG.standard_normal((3, 4))])


@pytest.mark.parametrize("call, error, words", [
    (lambda t: np.vecdot(t, t, axes=[(0,), (0,), ()]), TypeError, "['axes'] are not supported"),
    (lambda t: np.vecdot(t, t, out=np.empty(3)), TypeError, "with out= on a Tensor"),
    (lambda t: np.matvec(t, t[0], axes=[(0, 1), (0,), (0,)]), TypeError, "['axes']"),
    (lambda t: ad.vecdot(t, t, axis=2), np.exceptions.AxisError, "axis=2 is out of bounds"),
    (lambda t: ad.vecdot(t, t[:, :2]), ValueError, "vectors' axes to have the same length"),
    (lambda t: ad.matvec(t[0], t[0]), ValueError, "at least 2 and 1 dimensions"),
    (lambda t: np.linalg.multi_dot([t]), ValueError, "at least two arrays, got 1"),
    (lambda t: np.linalg.multi_dot([t, t[None], t]), np.linalg.LinAlgError,
     "array 1 has 3 dimensions"),
])
def test_errors_name_the_function_and_the_fix(call, error, words):
    with pytest.raises(error) as info:
        call(ad.tensor(RNG.standard_normal((3, 3)), requires_grad=True))
    assert words in str(info.value)
