"""The shortcuts of the eager hot path give the same bits as the general code."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.ops.shape import sum_to_array


def _general_sum_to(x, shape):
    """The general reduction: keepdims over the added and stretched axes, then reshape."""
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    return np.sum(x, axis=axes, keepdims=True).reshape(shape)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("big, small", [((128, 256), (256,)), ((3, 1), (1,)),
                                        ((2, 3, 4), (3, 4)), ((2, 3, 4), (4,)),
                                        ((5, 0), (0,)), ((2, 3, 4), (3, 1))])
def test_sum_to_leading_axes_equals_the_general_reduction_bit_for_bit(dtype, big, small):
    x = np.random.default_rng(0).standard_normal(big).astype(dtype) * 1e3
    got = sum_to_array(x, small)
    want = _general_sum_to(x, small)
    assert got.shape == want.shape and got.dtype == want.dtype
    assert np.array_equal(got.view(np.uint8), want.view(np.uint8))


def test_a_bias_gradient_is_its_own_array_and_needs_no_copy():
    rng = np.random.default_rng(1)
    x = ad.tensor(rng.standard_normal((6, 4)))
    w = ad.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    b = ad.tensor(np.zeros(3), requires_grad=True)
    g = rng.standard_normal((6, 3))
    (x @ w + b).backward(g)
    assert b.grad.base is None                  # a fresh array, not a view of a temporary
    assert np.array_equal(b.grad, np.sum(g, axis=0, keepdims=True).reshape(3))
    b.grad = None
    (x @ w + b).backward(g)                     # the second backward accumulates as before
    first = b.grad.copy()
    (x @ w + b).backward(g)
    assert np.array_equal(b.grad, first + first)


def test_sum_to_still_refuses_a_larger_shape():
    with pytest.raises(ValueError, match="cannot sum shape"):
        sum_to_array(np.ones(3), (2, 3))
