"""ad.compile: what a replay returns and the counters a user's optimizer keeps.

* A replayed step returns its loss as the trace did: ``requires_grad``, a ``grad_fn``
  naming the same op, its dtype, shape and value; a backward through it after the
  call raises, naming the compiled function, instead of doing nothing.
* A Python number an optimizer written by hand counts in an attribute: a logging
  counter (``self.calls += 1``, read nowhere else) is carried by each replay; one the
  step computes with (``1 - beta1 ** self.t``) is refused while tracing.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn
import autodiff.nn.functional as F


def _data(steps, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(6, 3)), rng.integers(0, 2, 6)) for _ in range(steps)]


def _classifier_step():
    ad.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = ad.optim.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        loss = F.cross_entropy(model(ad.as_tensor(x)), ad.as_tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step


def test_a_replayed_loss_looks_like_the_traced_and_the_eager_one():
    eager, compiled = _classifier_step(), ad.compile(_classifier_step())
    for x, y in _data(4):
        want, got = eager(x, y), compiled(x, y)
        assert got.requires_grad and want.requires_grad
        assert got.grad_fn.name() == want.grad_fn.name() == "CrossEntropyBackward0"
        assert not got.is_leaf
        assert (got.dtype, got.shape, got.item()) == (want.dtype, want.shape, want.item())
    assert compiled.traces == 1


def test_a_backward_through_a_replayed_loss_raises_naming_the_compiled_function():
    compiled = ad.compile(_classifier_step())
    losses = [compiled(x, y) for x, y in _data(3)]
    w = ad.tensor(2.0, requires_grad=True)
    for attempt in (lambda: losses[-1].backward(),
                    lambda: (losses[1] + losses[2]).backward(),
                    lambda: (losses[2] * w).backward(),
                    lambda: ad.autograd.grad(losses[2] * w, [w])):
        with pytest.raises(RuntimeError, match=r"made by 'cross_entropy' was returned by a "
                                               r"replay of the compiled function step"):
            attempt()
    assert w.grad is None
    # as eager execution, where the call's backward freed the graph:
    with pytest.raises(RuntimeError, match=r"already freed"):
        _classifier_step()(*_data(1)[0]).backward()


def test_a_replayed_loss_of_a_value_free_op_refuses_too():
    """(eager execution could run a released 'sum' again: a replay's has no inputs)"""
    layer = nn.Linear(3, 1)
    opt = ad.optim.SGD(layer.parameters(), lr=0.1)

    @ad.compile
    def step(x):
        loss = layer(x).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    x = np.ones((2, 3))
    losses = [step(x) for _ in range(3)]
    assert [loss.grad_fn.name() for loss in losses] == ["SumBackward0"] * 3
    before = layer.weight.grad.copy()
    with pytest.raises(RuntimeError, match=r"plan ran the call's backward through it"):
        losses[-1].backward()
    np.testing.assert_array_equal(layer.weight.grad, before)


def test_a_replayed_forward_returns_a_tensor_that_requires_grad_and_refuses_backward():
    w = ad.tensor(np.ones(3), requires_grad=True)
    forward = ad.compile(lambda x: ad.tanh(x * w).sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ad.TapeDropWarning)
        traced = forward(np.ones(3))
    replayed = forward(np.ones(3))
    assert traced.requires_grad and replayed.requires_grad
    assert replayed.grad_fn.name() == traced.grad_fn.name() == "SumBackward0"
    with pytest.raises(RuntimeError, match=r"graph no backward of the call used"):
        (replayed * 2).backward()
    assert w.grad is None


def test_a_replay_under_no_grad_returns_tensors_without_grad():
    compiled = ad.compile(lambda x, y: F.cross_entropy(model(ad.as_tensor(x)),
                                                       ad.as_tensor(y)))
    model = nn.Linear(3, 2)
    with ad.no_grad():
        results = [compiled(x, y) for x, y in _data(3)]
    assert not any(r.requires_grad or r.grad_fn is not None for r in results)


def test_replayed_outputs_hold_no_graph_alive():
    import gc
    import weakref
    compiled = ad.compile(_classifier_step())
    for x, y in _data(2):
        compiled(x, y)
    loss = compiled(*_data(1)[0])
    node = weakref.ref(loss._node)
    del loss
    gc.collect()
    assert node() is None


class _HandAdam(ad.optim.Optimizer):
    """Adam written by hand, counting its steps in ``self.t`` (``bias``) or not."""

    def __init__(self, params, bias, lr=0.05, tensor_count=False):
        super().__init__(params, dict(lr=lr))
        self.bias = bias
        self.t = ad.zeros(()) if tensor_count else 0
        self.calls = 0
        self.m = [ad.zeros_like(p) for p in self.param_groups[0]["params"]]

    @ad.no_grad()
    def step(self):
        self.calls += 1
        if self.bias:
            self.t += 1
        lr = self.param_groups[0]["lr"]
        for p, m in zip(self.param_groups[0]["params"], self.m):
            m.mul_(0.9).add_(ad.as_tensor(p.grad) * 0.1)
            correction = (1 - 0.9 ** self.t) if self.bias else 1.0
            p.sub_(m * (lr / correction))


def _hand_adam_run(compile_it, bias, tensor_count=False, steps=5):
    ad.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = _HandAdam(model.parameters(), bias, tensor_count=tensor_count)

    def step(x, y):
        loss = F.mse_loss(model(ad.as_tensor(x)), ad.as_tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    run = ad.compile(step) if compile_it else step
    rng = np.random.default_rng(1)
    losses = [run(rng.normal(size=(4, 3)), rng.normal(size=(4, 2))).item()
              for _ in range(steps)]
    return losses, opt, model, run


def test_a_logging_counter_of_a_hand_written_optimizer_is_carried_without_a_word():
    want, eager_opt, eager_model, _ = _hand_adam_run(False, bias=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got, opt, model, run = _hand_adam_run(True, bias=False)
    assert got == want
    assert opt.calls == eager_opt.calls == 5 and type(opt.calls) is int
    np.testing.assert_array_equal(model.weight.data, eager_model.weight.data)
    assert run.traces == 1


def test_a_counter_feeding_a_bias_correction_is_refused_naming_it():
    from autodiff.compile import TraceError
    with pytest.raises(TraceError, match=r"changed the Python number _HandAdam\.t of an "
                                         r"optimizer while tracing \(0 -> 1\), and the code "
                                         r"reads it besides counting it up"):
        _hand_adam_run(True, bias=True)


def test_the_refusals_advice_a_0d_tensor_count_replays_as_eager():
    want, _, eager_model, _ = _hand_adam_run(False, bias=True, tensor_count=True)
    got, opt, model, run = _hand_adam_run(True, bias=True, tensor_count=True)
    np.testing.assert_allclose(got, want, rtol=1e-13)
    np.testing.assert_allclose(model.weight.data, eager_model.weight.data, rtol=1e-13)
    assert float(opt.t) == 5 and opt.calls == 5 and run.traces == 1


class _ResettingCounter(ad.optim.SGD):
    def step(self):
        self.seen = 7                   # a number set, not counted
        return super().step()


def test_a_number_set_rather_than_counted_is_refused():
    from autodiff.compile import TraceError
    model = nn.Linear(3, 1)
    opt = _ResettingCounter(model.parameters(), lr=0.1)
    opt.seen = 0

    @ad.compile
    def step(x):
        loss = model(x).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    with pytest.raises(TraceError, match=r"sets it otherwise than counting it up"):
        step(np.ones((2, 3)))
