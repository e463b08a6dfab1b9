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


@pytest.mark.parametrize("ignore_index, target", [
    (-100, [0, 2, 1, 2]),            # nothing ignored: the fused op
    (-100, [0, -100, 1, 2]),         # the default index present: the general path
    (1, [0, 2, 1, 2]),               # an index inside [0, C), present
    (1, [0, 2, 0, 2]),               # an index inside [0, C), absent: the fused op
    (7, [0, 7, 1, 2]),               # an index past the classes, present
])
def test_cross_entropy_skips_exactly_the_ignored_targets(ignore_index, target):
    from autodiff.nn import functional as F
    logits = np.random.default_rng(2).standard_normal((4, 3))
    z = ad.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(z, np.array(target), ignore_index=ignore_index)
    loss.backward()
    kept = [i for i, t in enumerate(target) if t != ignore_index]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    want = -np.mean([log_probs[i, target[i]] for i in kept])
    np.testing.assert_allclose(loss.item(), want, rtol=1e-12)
    assert np.all(z.grad[[i for i in range(4) if i not in kept]] == 0)


def test_cross_entropy_still_names_a_target_out_of_range():
    from autodiff.nn import functional as F
    with pytest.raises(IndexError, match="target holds class 5"):
        F.cross_entropy(ad.tensor(np.zeros((2, 3))), np.array([0, 5]), ignore_index=1)
    with pytest.raises(IndexError, match="target holds class 5"):
        F.cross_entropy(ad.tensor(np.zeros((2, 3))), np.array([-100, 5]))


def test_a_zero_d_grad_held_elsewhere_accumulates_into_a_new_array_not_a_scalar():
    s = ad.tensor(np.array(0.5), requires_grad=True)
    (s * 2.0).backward()
    held = s.grad                           # held: the next gradient cannot go in place
    (s * 3.0).backward()
    assert type(s.grad) is np.ndarray and s.grad.shape == () and s.grad == 5.0
    assert held == 2.0
