"""Python values that change between calls of a compiled step, each compared with the
eager twin after every call (``compile_twins.run_twins``, bit for bit without fusion): a
float argument new at every call, an int that sets a loop's range, a bool flag, a
keyword argument, a default argument, a global the step reads, a list the step appends
to (a Python effect a replay does not repeat), and containers as arguments (a dict of
arrays, a tuple or NamedTuple of batches, a dataclass config)."""

from __future__ import annotations

import dataclasses
import typing
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F
from autodiff.compile import NotReplayedWarning, TraceError
from compile_twins import run_twins as _run_twins


def run_twins(make, batches, **kw):
    return _run_twins(make, batches, seed=0, **kw)


def _data(n=4, seed=29):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((4, 3)), rng.integers(0, 2, 4)) for _ in range(n)]


def _setup():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    opt = ad.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    return model, opt


def _train(model, opt, x, y, lr=None, scale=1.0):
    if lr is not None:
        opt.param_groups[0]["lr"] = lr
    opt.zero_grad()
    loss = F.cross_entropy(model(x) * scale, y)
    loss.backward()
    opt.step()
    return loss


def test_a_float_argument_new_at_every_call_traces_again_each_time():
    """``step(x, y, scale)`` with a Python float the step computes with: each value is
    its own signature (a Python number is fixed into the plan), so each call traces."""
    def make():
        model, opt = _setup()

        def step(x, y, scale):
            return _train(model, opt, x, y, scale=scale)
        return step, {"model": model, "optimizer": opt}
    batches = [(x, y, 1.0 + 0.25 * k) for k, (x, y) in enumerate(_data())]
    compiled, _, _ = run_twins(make, batches, fuse=False)
    assert compiled.traces == len(batches)


def test_a_float_learning_rate_argument_written_into_the_group_is_refused():
    """``opt.param_groups[0]['lr'] = lr`` inside the step would not be repeated by a
    replay: refused while tracing, naming the group and the key."""
    model, opt = _setup()

    @ad.compile
    def step(x, y, lr):
        return _train(model, opt, x, y, lr=lr)
    x, y = _data(1)[0]
    with pytest.raises(TraceError, match=r"param_groups\[0\]\['lr'\]"):
        step(x, y, 0.05)


def test_a_repeating_float_argument_replays_the_plan_of_its_value():
    def make():
        model, opt = _setup()

        def step(x, y, scale):
            return _train(model, opt, x, y, scale=scale)
        return step, {"model": model, "optimizer": opt}
    batches = [(x, y, (0.5, 2.0)[k % 2]) for k, (x, y) in enumerate(_data(6))]
    compiled, _, _ = run_twins(make, batches, fuse=False)
    assert compiled.traces == 2


def test_an_int_argument_setting_a_loop_range():
    def make():
        model, opt = _setup()

        def step(x, y, k):
            opt.zero_grad()
            h = x
            for _ in range(k):
                h = ad.tanh(h)
            loss = F.cross_entropy(model(h), y)
            loss.backward()
            opt.step()
            return loss
        return step, {"model": model, "optimizer": opt}
    batches = [(x, y, (1, 3, 1, 3, 0)[k]) for k, (x, y) in enumerate(_data(5))]
    compiled, _, _ = run_twins(make, batches, fuse=False)
    assert compiled.traces == 3


def test_a_bool_flag_argument():
    def make():
        model, opt = _setup()

        def step(x, y, clip):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            if clip:
                nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            opt.step()
            return loss
        return step, {"model": model, "optimizer": opt}
    batches = [(x, y, k % 2 == 0) for k, (x, y) in enumerate(_data(5))]
    compiled, _, _ = run_twins(make, batches, fuse=False)
    assert compiled.traces == 2


def test_keyword_and_default_arguments():
    model, opt = _setup()
    eager_model, eager_opt = _setup()
    eager_model.load_state_dict(model.state_dict())

    def step(model, opt, x, y, *, scale=1.0, smoothing=0.0):
        opt.zero_grad()
        loss = F.cross_entropy(model(x) * scale, y, label_smoothing=smoothing)
        loss.backward()
        opt.step()
        return loss

    compiled = ad.compile(lambda x, y, **kw: step(model, opt, x, y, **kw), fuse=False)
    calls = [{}, {"scale": 2.0}, {}, {"smoothing": 0.1}, {"scale": 2.0},
             {"smoothing": 0.1, "scale": 1.0}]
    for (x, y), kw in zip(_data(len(calls)), calls):
        want = step(eager_model, eager_opt, ad.tensor(x), ad.tensor(y), **kw)
        got = compiled(x, y, **kw)
        np.testing.assert_array_equal(got.data, want.data)
        for p, q in zip(model.parameters(), eager_model.parameters()):
            np.testing.assert_array_equal(p.data, q.data)
    assert compiled.traces == 4     # {}, scale=2, smoothing=0.1, both


SETTINGS = {"scale": 1.0}
SCALE = 1.0


def test_a_global_the_step_reads_changes_between_calls():
    def make():
        model, opt = _setup()

        def step(x, y):
            return _train(model, opt, x, y, scale=SCALE)
        return step, {"model": model, "optimizer": opt}

    def between(k, things):
        global SCALE
        SCALE = (1.0, 2.0, 2.0, 0.5)[k]
    try:
        compiled, _, _ = run_twins(make, _data(4), fuse=False, between=between)
    finally:
        globals()["SCALE"] = 1.0
    assert compiled.traces == 3


def test_a_global_dict_entry_the_step_reads_changes_between_calls():
    def make():
        model, opt = _setup()

        def step(x, y):
            return _train(model, opt, x, y, scale=SETTINGS["scale"])
        return step, {"model": model, "optimizer": opt}

    def between(k, things):
        SETTINGS["scale"] = (1.0, 2.0, 2.0, 0.5)[k]
    try:
        compiled, _, _ = run_twins(make, _data(4), fuse=False, between=between)
    finally:
        SETTINGS["scale"] = 1.0
    assert compiled.traces == 3


def test_a_list_the_step_appends_to_is_appended_to_only_while_tracing():
    """Plain Python effects happen only while tracing (documented, as with
    ``torch.jit.trace``); a tensor the call made left in the list is warned about."""
    model, opt = _setup()
    calls, losses = [], []

    @ad.compile
    def step(x, y):
        calls.append(1)
        loss = _train(model, opt, x, y)
        losses.append(loss)
        return loss
    data = _data(3)
    with pytest.warns(NotReplayedWarning, match="losses"):
        step(*data[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x, y in data[1:]:
            step(x, y)
    assert calls == [1] and len(losses) == 1


def test_an_appended_list_read_back_by_length_traces_once():
    """A step that appends to a list and reads ``len(history)`` fixes the length the
    trace saw; it warns that the number it reached changed?"""
    model, opt = _setup()
    history = []

    @ad.compile
    def step(x, y):
        loss = _train(model, opt, x, y, scale=1.0 + len(history))
        history.append(0)
        return loss
    x, y = _data(1)[0]
    step(x, y)
    step(x, y)
    assert len(history) in (1, 2)


class Batch(typing.NamedTuple):
    x: np.ndarray
    y: np.ndarray


@dataclasses.dataclass
class Config:
    scale: float = 1.0
    smoothing: float = 0.0


CONTAINERS = {
    "dict": lambda x, y: {"x": x, "y": y},
    "tuple": lambda x, y: (x, y),
    "list": lambda x, y: [x, y],
    "namedtuple": lambda x, y: Batch(x, y),
    "dataclass": lambda x, y: Config(),
}


@pytest.mark.parametrize("kind", sorted(CONTAINERS))
def test_a_container_argument_is_refused_naming_it(kind):
    model, opt = _setup()
    step = ad.compile(lambda batch: batch)
    x, y = _data(1)[0]
    with pytest.raises(TypeError, match="argument 0"):
        step(CONTAINERS[kind](x, y))
