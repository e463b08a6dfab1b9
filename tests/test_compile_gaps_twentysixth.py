"""ad.compile: what a trace must not change and what a replay must not leave stale.

* The watch on an optimizer's counters while tracing leaves ``type(opt)`` as it is
  (``type(self) is X`` in a step behaves as in eager execution).
* A module's Python counter the forward computes with is refused, naming the attribute
  and line; one only counted up is carried by each replay.
* An array over 4,096 bytes the step reads into Python element by element
  (``float(self.table[3])``) and that is changed in place between calls traces again.
"""

import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn
from autodiff.compile import NotReplayedWarning, TraceError


class _TypeChecking(ad.optim.Optimizer):
    """SGD that takes another learning rate when its type is exactly this class."""

    def __init__(self, params):
        super().__init__(params, dict(lr=0.1))
        self.calls = 0
        self.seen = []

    @ad.no_grad()
    def step(self):
        self.calls += 1
        self.seen.append((type(self) is _TypeChecking, type(self).__name__))
        lr = 0.1 if type(self) is _TypeChecking else 0.3
        for p in self.param_groups[0]["params"]:
            p.sub_(ad.as_tensor(p.grad) * lr)


def _type_checking_run(compile_it, calls=6):
    model = nn.Linear(3, 2, rng=0)
    opt = _TypeChecking(model.parameters())
    x = np.linspace(-1, 1, 12).reshape(4, 3)

    def step(x):
        loss = (model(x) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    step = ad.compile(step) if compile_it else step
    losses = [step(x).item() for _ in range(calls)]
    return losses, opt, model


def test_the_counter_watch_leaves_the_optimizers_type_unchanged_while_tracing():
    with pytest.warns(NotReplayedWarning, match="the list opt.seen"):
        compiled, opt, model = _type_checking_run(True)
    eager, eager_opt, eager_model = _type_checking_run(False)
    assert compiled == eager
    assert opt.seen == [(True, "_TypeChecking")]          # (the trace's call)
    assert opt.calls == eager_opt.calls == 6
    assert np.array_equal(model.weight.data, eager_model.weight.data)
    assert "__getattribute__" not in vars(_TypeChecking)


class _Counted(nn.Module):
    """A linear layer counting its calls in ``self.calls``; ``scaled`` computes with
    the count (``out * (1 + self.calls)``)."""

    def __init__(self, scaled):
        super().__init__()
        self.fc = nn.Linear(3, 2, rng=0)
        self.scaled = scaled
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        out = self.fc(x)
        if self.scaled:
            out = out * (1.0 + 0.1 * self.calls)
        return out


def _counted_run(compile_it, scaled, calls=5):
    model = _Counted(scaled)
    outer = nn.Sequential(model, nn.Tanh())
    opt = ad.optim.SGD(outer.parameters(), lr=0.05)
    x = np.linspace(-1, 1, 12).reshape(4, 3)

    def step(x):
        loss = (outer(x) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    step = ad.compile(step) if compile_it else step
    return [step(x).item() for _ in range(calls)], model


def test_a_modules_counter_the_forward_computes_with_is_refused_naming_it_and_the_line():
    with pytest.raises(TraceError) as info:
        _counted_run(True, scaled=True)
    message = str(info.value)
    assert "_Counted.calls of a module" in message
    import inspect

    lines, first = inspect.getsourcelines(_Counted.forward)
    line = first + next(k for k, text in enumerate(lines) if "0.1 * self.calls" in text)
    assert f"test_compile_gaps_twentysixth.py:{line} " in message
    assert "ad.zeros(())" in message


def test_a_modules_counter_read_nowhere_else_is_carried_by_each_replay():
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotReplayedWarning)
        compiled, model = _counted_run(True, scaled=False)
    eager, eager_model = _counted_run(False, scaled=False)
    np.testing.assert_allclose(compiled, eager, rtol=1e-14)     # (fused: a few ulp)
    assert model.calls == eager_model.calls == 5


class _Looked(nn.Module):
    """Scales its output by an entry of a table over 4,096 bytes, picked by an entry of
    an index array over 4,096 bytes, both read into Python; ``history`` is an array
    the forward never names."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2, rng=0)
        self.table = np.linspace(0.5, 1.5, 1000)
        self.idx = np.arange(1000)
        self.history = np.zeros(1000)

    def forward(self, x):
        return self.fc(x) * float(self.table[int(self.idx[3])])


def _looked_run(compile_it, calls=8):
    model = _Looked()
    opt = ad.optim.SGD(model.parameters(), lr=0.05)
    x = np.linspace(-1, 1, 12).reshape(4, 3)

    def step(x):
        loss = (model(x) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    step = ad.compile(step) if compile_it else step
    losses = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # (traced again: on purpose)
        for k in range(calls):
            if k % 3 == 1:
                model.table[3] += 0.25          # (in place, between calls)
            if k % 3 == 2:
                model.idx[3] = 10 * k
            model.history[k] = k                # (named by no code the step reaches)
            losses.append(step(x).item())
    return losses, step


def test_a_large_array_read_element_by_element_and_changed_in_place_traces_again():
    compiled, step = _looked_run(True)
    eager, _ = _looked_run(False)
    np.testing.assert_allclose(compiled, eager, rtol=1e-14)
    assert len(set(np.round(eager, 10))) == len(eager)
    # (each change traces again; the unnamed history array, changed each call, does not)
    assert step.traces == 6


def test_a_large_array_flag_names_the_array_that_changed():
    from autodiff.compile.array_reads import ArrayChecksum

    _, step = _looked_run(True, calls=1)
    plan = next(iter(step.plans.values()))
    labels = sorted(flag.label for flag, _, _ in plan.flags if isinstance(flag, ArrayChecksum))
    assert labels == ["the values of the array model.idx", "the values of the array model.table"]
