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
    # .grad views the engine's buffer: a fresh array, not a view of a temporary
    assert b.grad.base.base is None
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


@pytest.mark.parametrize("shape", [(4, 3), (64, 16), (1024, 600)])  # NumPy twin, one call, parts
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_plain_cross_entropy_leaves_the_target_checks_to_the_kernel(shape, dtype, monkeypatch):
    """The plain call (class targets, defaults) goes straight to the fused op, whose
    kernel checks every target; the general checks run only when a target is out of
    range or equal to ignore_index, and then say which, or ignore it."""
    from autodiff.nn import functional as F
    from autodiff.nn import losses
    checked = []
    general = losses._checked_class_targets
    monkeypatch.setattr(losses, "_checked_class_targets",
                        lambda *args, **kw: checked.append(1) or general(*args, **kw))
    rng = np.random.default_rng(5)
    n, c = shape
    logits = rng.standard_normal(shape).astype(dtype)
    target = rng.integers(0, c, n)
    shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    z = ad.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(z, target)
    loss.backward()
    assert checked == []
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(loss.item(), -log_probs[np.arange(n), target].mean(), rtol=tol)
    onehot = np.eye(c)[target]
    np.testing.assert_allclose(z.grad, (np.exp(log_probs) - onehot) / n, atol=tol / n)

    target[1] = -100                            # the default ignore_index: row 1 left out
    z = ad.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(z, target)
    loss.backward()
    assert checked == [1]
    kept = np.arange(n) != 1
    np.testing.assert_allclose(loss.item(), -log_probs[kept, target[kept]].mean(), rtol=tol)
    assert np.all(z.grad[1] == 0)

    target[1] = c                               # out of range: the general message
    with pytest.raises(IndexError, match=f"target holds class {c}, but logits"):
        F.cross_entropy(ad.tensor(logits, requires_grad=True), target)


def test_each_backward_gets_its_own_seed():
    """The 1 a backward starts from is a fresh array each time, so a gradient that is
    the seed itself (a leaf's own backward, or y = x + 0) can be changed freely."""
    w = ad.tensor(3.0, requires_grad=True)
    w.backward()
    w.grad[...] = 7.0
    v = ad.tensor(np.float32(2.0), requires_grad=True)
    v.backward()
    assert v.grad == 1.0 and v.grad.dtype == np.float32
    x = ad.tensor([[2.0]], requires_grad=True)
    (x + 0.0).backward()
    x.grad *= 5
    u = ad.tensor([[2.0]], requires_grad=True)
    (u + 0.0).backward()
    assert u.grad.tolist() == [[1.0]] and w.grad == 7.0


def test_a_float_array_becomes_a_tensor_without_a_copy_and_other_data_as_before():
    a = np.ones((2, 3), np.float32)
    t = ad.tensor(a, requires_grad=True)
    assert t.data is a and t.requires_grad and t.grad is None and t.name is None
    assert ad.tensor(a, dtype=np.float64).data.dtype == np.float64
    assert ad.tensor(np.arange(3)).data.dtype == np.arange(3).dtype
    with pytest.raises(TypeError, match="requires_grad=True needs floating-point data"):
        ad.tensor(np.arange(3), requires_grad=True)
    with pytest.raises(TypeError, match="Tensor.name must be a str"):
        ad.tensor(a, name=3)
    assert ad.tensor(a, name="w").name == "w"


def test_a_zero_d_grad_held_elsewhere_accumulates_in_place_and_stays_an_array():
    s = ad.tensor(np.array(0.5), requires_grad=True)
    (s * 2.0).backward()
    held = s.grad                           # held: the next gradient goes in place (PyTorch)
    (s * 3.0).backward()
    assert isinstance(s.grad, np.ndarray) and s.grad.shape == () and s.grad == 5.0
    assert s.grad is held
