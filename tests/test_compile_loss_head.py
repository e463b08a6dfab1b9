"""The compiled loss head (autodiff/compile/loss_head.py): a classifier's bias add,
cross-entropy and their gradients replayed as one step, with eager's bits."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import kernels
from autodiff.compile.loss_head import cross_entropy_head
from autodiff.nn import functional as F

FUSED = "cross_entropy head (fused)"


def _labels(plan):
    return [instr.label for instr in plan.instrs]


def _classifier(dtype, classes, seed=0):
    rng = np.random.default_rng(seed)
    w1 = ad.tensor(rng.standard_normal((12, 32)).astype(dtype) * 0.3, requires_grad=True)
    w2 = ad.tensor(rng.standard_normal((32, classes)).astype(dtype) * 0.3, requires_grad=True)
    b2 = ad.tensor(rng.standard_normal(classes).astype(dtype), requires_grad=True)
    return [w1, w2, b2]


def _batches(dtype, classes, rows, count, seed=1):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((rows, 12)).astype(dtype),
             rng.integers(0, classes, rows)) for _ in range(count)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("classes, rows", [(10, 128), (3, 300), (40, 64), (17, 1)])
def test_training_with_the_fused_head_matches_eager_bit_for_bit(dtype, classes, rows):
    params_eager = _classifier(dtype, classes)
    params_compiled = _classifier(dtype, classes)
    opt_eager = ad.optim.SGD(params_eager, lr=0.1, momentum=0.9)
    opt_compiled = ad.optim.SGD(params_compiled, lr=0.1, momentum=0.9)

    def step(params, opt, x, y):
        w1, w2, b2 = params
        loss = F.cross_entropy(ad.tanh(x @ w1) @ w2 + b2, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    compiled = ad.compile(lambda x, y: step(params_compiled, opt_compiled, x, y))
    for x, y in _batches(dtype, classes, rows, 6):
        expected = step(params_eager, opt_eager, x, y)
        got = compiled(x, y)
        assert got.dtype == expected.dtype and got.shape == ()
        np.testing.assert_array_equal(got.data, expected.data)
        for p, q in zip(params_compiled, params_eager):
            np.testing.assert_array_equal(p.data, q.data)
            np.testing.assert_array_equal(p.grad, q.grad)
    assert FUSED in _labels(compiled.plan)
    assert not any(label.startswith("cross_entropy") and label != FUSED
                   for label in _labels(compiled.plan))


def test_the_head_is_left_alone_when_something_else_reads_the_logits():
    w, b = _classifier(np.float64, 5)[1:]
    x, y = _batches(np.float64, 5, 8, 1)[0]
    x = np.tanh(x @ np.ones((12, 32)) * 0.1)

    @ad.compile
    def step(x, y):
        logits = x @ w + b
        loss = F.cross_entropy(logits, y)
        loss.backward()
        return loss, logits

    loss, logits = step(x, y)
    assert FUSED not in _labels(step.plan)
    w.grad = b.grad = None
    loss_again, _ = step(x, y)
    grads = w.grad.copy(), b.grad.copy()
    w.grad = b.grad = None
    logits_eager = ad.tensor(x) @ w + b
    F.cross_entropy(logits_eager, y).backward()
    np.testing.assert_array_equal(loss_again.data, loss.data)
    np.testing.assert_array_equal(grads[0], w.grad)
    np.testing.assert_array_equal(grads[1], b.grad)


def test_the_head_is_left_alone_for_a_frozen_bias_or_a_scaled_loss():
    w, b = _classifier(np.float64, 4)[1:]
    b.requires_grad = False
    x, y = _batches(np.float64, 4, 16, 1)[0]
    h = np.tanh(x @ np.full((12, 32), 0.05))

    @ad.compile
    def frozen(x, y):
        loss = F.cross_entropy(x @ w + b, y)
        loss.backward()
        return loss

    frozen(h, y)
    assert FUSED not in _labels(frozen.plan)

    b.requires_grad = True

    @ad.compile
    def scaled(x, y):
        loss = F.cross_entropy(x @ w + b, y)
        (2 * loss).backward()
        return loss

    w.grad = b.grad = None
    scaled(h, y)
    assert FUSED not in _labels(scaled.plan)
    np.testing.assert_allclose(b.grad.sum(), 0.0, atol=1e-12)   # softmax rows sum to one


def test_a_target_out_of_range_at_a_replay_raises_eagers_error():
    w, b = _classifier(np.float32, 10)[1:]
    x = np.random.default_rng(2).standard_normal((128, 32)).astype(np.float32)
    y = np.arange(128) % 10

    @ad.compile
    def step(x, y):
        loss = F.cross_entropy(x @ w + b, y)
        loss.backward()
        return loss

    step(x, y)
    assert FUSED in _labels(step.plan)
    bad = y.copy()
    bad[7] = 10
    with pytest.raises(IndexError, match="target holds class 10, but the logits have 10"):
        step(x, bad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows, classes", [(128, 10), (300, 3), (64, 16), (64, 17),
                                           (1, 1000), (513, 1), (700, 2)])
def test_the_head_kernel_gives_the_values_of_the_calls_it_replaces(dtype, rows, classes):
    rng = np.random.default_rng(rows * classes)
    x = (rng.standard_normal((rows, classes)) * 4).astype(dtype)
    x[0, 0] = 60                            # a row whose softmax rounds to one-hot
    bias = rng.standard_normal(classes).astype(dtype)
    target = rng.integers(0, classes, rows)
    logits = ad.tensor(x + bias, requires_grad=True)
    loss = F.cross_entropy(logits, target)
    loss.backward()
    got_loss, got_grad, got_bias_grad = cross_entropy_head(x, bias, target)
    np.testing.assert_array_equal(got_loss, loss.data)
    assert got_loss.dtype == dtype and got_grad.dtype == dtype and got_bias_grad.dtype == dtype
    np.testing.assert_array_equal(got_grad, logits.grad)
    np.testing.assert_array_equal(got_bias_grad, logits.grad.sum(axis=0))
    if kernels.JIT_ENABLED:             # the kernel itself, not the calls it replaces
        k_loss, k_grad, k_bias_grad = kernels.cross_entropy_head(x, bias, target)
        np.testing.assert_array_equal(k_loss, loss.data)
        np.testing.assert_array_equal(k_grad, logits.grad)
        np.testing.assert_array_equal(k_bias_grad, logits.grad.sum(axis=0))
