"""Python values that change between calls of a compiled step, each compared with the
eager twin after every call (``compile_twins.run_twins``, bit for bit without fusion): a
float argument new at every call, an int that sets a loop's range, a bool flag, a
keyword argument, a default argument, a global the step reads, a list or dict the step
fills (a Python effect a replay does not repeat: warned about), and containers as
arguments (a dict of arrays, a tuple or NamedTuple of batches, a dataclass config)."""

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
from compile_twins import assert_same, flat_values, run_twins as _run_twins


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


def test_a_float_argument_new_at_every_call_warns_once_the_cache_is_full():
    model, opt = _setup()
    step = ad.compile(lambda x, y, scale: _train(model, opt, x, y, scale=scale),
                      cache_size=2, fuse=False)
    with pytest.warns(RuntimeWarning, match=r"3 times so far \(argument 2: 1\.25 -> "
                                            r"1\.5\).*as arrays or tensors"):
        for k, (x, y) in enumerate(_data(4)):
            step(x, y, 1.0 + 0.25 * k)
    assert step.traces == 4 and len(step.plans) == 2


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
    ``torch.jit.trace``); the trace warns of each list it grew, naming it."""
    model, opt = _setup()
    calls, losses = [], []

    @ad.compile
    def step(x, y):
        calls.append(1)
        loss = _train(model, opt, x, y)
        losses.append(loss)
        return loss
    data = _data(3)
    with pytest.warns(NotReplayedWarning) as caught:
        step(*data[0])
    messages = [str(w.message) for w in caught]
    assert any("list calls" in m and "0 -> 1 items" in m for m in messages), messages
    assert any("tensor it made" in m and "losses" in m for m in messages), messages
    assert not any("list losses" in m for m in messages)    # (said once, of the tensor)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x, y in data[1:]:
            step(x, y)
    assert calls == [1] and len(losses) == 1


def test_a_value_computed_from_an_appended_list_is_warned_about():
    """``len(history)`` read by the step is fixed at the trace: a replay keeps the
    trace's value while eager execution counts on; the trace says so."""
    model, opt = _setup()
    history = {"seen": []}

    @ad.compile
    def step(x, y):
        loss = _train(model, opt, x, y, scale=1.0 + len(history["seen"]))
        history["seen"].append(0)
        return loss
    x, y = _data(1)[0]
    with pytest.warns(NotReplayedWarning, match=r"list history\['seen'\].*len\("):
        step(x, y)
    step(x, y)
    assert history["seen"] == [0]


def test_a_counter_dict_the_step_fills_is_warned_about():
    model, opt = _setup()
    counts = {}

    @ad.compile
    def step(x, y):
        counts[len(counts)] = 1.0
        return _train(model, opt, x, y)
    with pytest.warns(NotReplayedWarning, match=r"dict counts while tracing \(0 -> 1 items\)"):
        step(*_data(1)[0])


class Batch(typing.NamedTuple):
    x: np.ndarray
    y: np.ndarray


@dataclasses.dataclass
class Config:
    scale: float = 1.0
    clip: bool = False


@dataclasses.dataclass(frozen=True)
class Frozen:
    batch: tuple
    smoothing: float = 0.0


def _as_tensors(value):
    """``value`` with each array in it as a tensor (what the compiled function gives
    its code), for the eager twin."""
    if isinstance(value, np.ndarray):
        return ad.tensor(value)
    if isinstance(value, dict):
        return {k: _as_tensors(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*map(_as_tensors, value))
    if isinstance(value, (list, tuple)):
        return type(value)(map(_as_tensors, value))
    if dataclasses.is_dataclass(value):
        fields = {f.name: _as_tensors(getattr(value, f.name))
                  for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **fields)
    return value


def _container_step(model, opt):
    def step(batch, cfg, offsets):
        if isinstance(batch, Frozen):
            (x, y), smoothing = batch.batch, batch.smoothing
        elif isinstance(batch, dict):
            x, y, smoothing = batch["x"], batch["y"], 0.0
        else:
            (x, y), smoothing = batch, 0.0
        opt.zero_grad()
        loss = F.cross_entropy(model(x) * cfg.scale + offsets[0], y,
                               label_smoothing=smoothing)
        loss.backward()
        if cfg.clip:
            nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        opt.step()
        with ad.no_grad():
            return {"loss": loss, "logits": model(x)}
    return step


def test_containers_as_arguments_follow_eager_execution():
    """A dict, a tuple, a NamedTuple and a frozen dataclass of batches, a dataclass
    config and a list of arrays: the plan takes their leaves; another structure or
    another number inside traces again, new array values replay."""
    ad.manual_seed(0)
    model, opt = _setup()
    ad.manual_seed(0)
    eager_model, eager_opt = _setup()
    compiled = ad.compile(_container_step(model, opt), fuse=False)
    eager = _container_step(eager_model, eager_opt)
    batches = {"dict": lambda x, y: {"x": x, "y": y}, "tuple": lambda x, y: (x, y),
               "namedtuple": Batch, "frozen": lambda x, y: Frozen((x, y), 0.1)}
    calls = [("dict", Config()), ("dict", Config()), ("namedtuple", Config()),
             ("tuple", Config(scale=2.0)), ("frozen", Config()), ("dict", Config()),
             ("namedtuple", Config(clip=True)), ("frozen", Config())]
    for k, ((kind, cfg), (x, y)) in enumerate(zip(calls, _data(len(calls)))):
        arguments = (batches[kind](x, y), cfg, [np.full(2, 0.25 * k)])
        want = eager(*_as_tensors(arguments))
        got = compiled(*arguments)
        assert_same(flat_values(got), flat_values(want), bitwise=True, where=f"call {k}")
        assert_same(flat_values(model), flat_values(eager_model), bitwise=True,
                    where=f"call {k}")
    assert compiled.traces == 5     # dict, namedtuple, tuple (scale 2), frozen, clip


def test_a_container_argument_is_given_as_it_is_when_it_holds_no_array():
    """A dict of tensors and a dataclass of numbers reach the function as the very
    objects the caller passed (what the function does to them happens as in eager
    execution while tracing)."""
    seen = []

    @ad.compile
    def step(batch, cfg):
        seen.append((id(batch), id(cfg)))
        return batch["x"] * cfg.scale
    batch, cfg = {"x": ad.tensor(np.ones(2))}, Config(scale=3.0)
    with pytest.warns(NotReplayedWarning, match="list seen"):
        np.testing.assert_array_equal(step(batch, cfg).data, [3.0, 3.0])
    assert seen == [(id(batch), id(cfg))]
    batch["x"] = ad.tensor(np.full(2, 2.0))
    np.testing.assert_array_equal(step(batch, cfg).data, [6.0, 6.0])
    assert step.traces == 1


def test_a_container_holding_another_object_is_refused_naming_where():
    model, opt = _setup()
    step = ad.compile(lambda batch: batch["x"])
    x, _ = _data(1)[0]
    with pytest.raises(TypeError, match=r"argument 0\['model'\] is a Sequential"):
        step({"x": x, "model": model})
