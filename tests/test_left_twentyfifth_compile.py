"""ad.compile and the Python counters of optimizers that do not subclass ad.optim.Optimizer,
and counters read where the scan of the step's code does not look."""
import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn
import autodiff.nn.functional as F
from autodiff.compile import TraceError


class _OwnAdam:
    """An optimizer written from scratch (no ad.optim.Optimizer), counting in ``self.t``
    and ``self.calls``; ``read`` says how the step reads ``t``."""

    def __init__(self, params, read, lr=0.05):
        self.params = list(params)
        self.lr = lr
        self.read = read
        self.t = 0
        self.calls = 0
        self.m = [ad.zeros_like(p) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @ad.no_grad()
    def step(self):
        self.calls += 1
        if self.read != "never":
            self.t += 1
        for p, m in zip(self.params, self.m):
            m.mul_(0.9).add_(ad.as_tensor(p.grad) * 0.1)
            if self.read == "attribute":
                correction = 1 - 0.9 ** self.t
            elif self.read == "getattr":
                correction = 1 - 0.9 ** getattr(self, "t")
            else:
                correction = 1.0
            p.sub_(m * (self.lr / correction))


class _Warmup:
    """A scheduler of the user's: it scales the optimizer's moments by its count."""

    def __init__(self, optimizer):
        self.optimizer = optimizer

    @ad.no_grad()
    def step(self):
        for m in self.optimizer.m:
            m.mul_(min(1.0, (self.optimizer.t + 1) / 3))


def _run(compile_it, read, scheduler=False, steps=5):
    ad.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = _OwnAdam(model.parameters(), read)
    warmup = _Warmup(opt) if scheduler else None

    def step(x, y):
        loss = F.mse_loss(model(ad.as_tensor(x)), ad.as_tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if warmup is not None:
            warmup.step()
        return loss
    run = ad.compile(step) if compile_it else step
    rng = np.random.default_rng(1)
    losses = [run(rng.normal(size=(4, 3)), rng.normal(size=(4, 2))).item()
              for _ in range(steps)]
    return losses, opt


def test_a_counter_of_an_optimizer_of_ones_own_is_carried_by_each_replay():
    eager, eager_opt = _run(False, "never")
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no NotReplayedWarning: it is carried
        compiled, opt = _run(True, "never")
    assert opt.calls == eager_opt.calls == 5
    np.testing.assert_allclose(compiled, eager, rtol=1e-12)


@pytest.mark.parametrize("read", ["attribute", "getattr"])
def test_a_counter_the_step_computes_with_is_refused(read):
    with pytest.raises(TraceError) as info:
        _run(True, read)
    message = str(info.value)
    assert "_OwnAdam.t" in message and "0-d tensor" in message


def test_a_counter_read_by_its_name_in_a_string_is_a_read():
    from autodiff.compile.optimizer_counters import _uses

    class Counting:
        def step(self):
            self.t += 1

        def rate(self):
            return 0.9 ** getattr(self, "t")

    assert _uses("t", [Counting.step.__code__]) == "counted"
    assert _uses("t", [Counting.step.__code__, Counting.rate.__code__]) == "named"


def test_a_counter_a_scheduler_reads_is_refused_not_left_stale():
    eager, _ = _run(False, "never", scheduler=True)
    assert len(set(np.round(eager, 12))) == len(eager)
    with pytest.raises(TraceError) as info:
        _run(True, "counted", scheduler=True)
    assert "_OwnAdam.t" in str(info.value)
    assert "reads it besides counting it up" in str(info.value)
