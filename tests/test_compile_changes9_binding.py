"""What a compiled function is bound to: a bound method (``ad.compile(model.forward)``,
``ad.compile(trainer.step)``), one compiled function used with two models in turn, two
compiled functions sharing a model, a compiled function calling another, and a compiled
evaluation under ``ad.no_grad()``; each compared with eager execution after every call
(bit for bit without fusion)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F
from compile_twins import assert_same, flat_values, run_twins as _run_twins, training_step


def run_twins(make, batches, **kw):
    return _run_twins(make, batches, seed=0, **kw)


def _data(n=4, seed=49):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((4, 3)), rng.integers(0, 2, 4)) for _ in range(n)]


def _mlp():
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))


class Trainer:
    def __init__(self):
        self.model = _mlp()
        self.opt = ad.optim.Adam(self.model.parameters(), lr=0.05)
        self.smoothing = 0.0

    def step(self, x, y):
        self.opt.zero_grad()
        loss = F.cross_entropy(self.model(x), y, label_smoothing=self.smoothing)
        loss.backward()
        self.opt.step()
        return loss


@pytest.mark.filterwarnings("ignore:Adam.step. parameter '2")   # the replaced layer's
def test_a_compiled_bound_trainer_step_follows_its_attributes():
    def make():
        trainer = Trainer()
        return trainer.step, {"trainer": lambda: trainer, "model": trainer.model,
                              "optimizer": trainer.opt}

    def between(k, things):
        trainer = things["trainer"]()
        if k == 2:
            trainer.smoothing = 0.1
        if k == 3:
            setattr(trainer.model, "2", nn.Linear(4, 2))
            trainer.opt.add_param_group({"params": trainer.model[2].parameters()})
    compiled, _, _ = run_twins(make, _data(5), fuse=False, between=between)
    assert compiled.traces == 3


def test_a_compiled_model_forward_and_its_eval_mode():
    ad.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.3),
                          nn.Linear(4, 2))
    ad.manual_seed(0)
    eager = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.3),
                          nn.Linear(4, 2))
    forward = ad.compile(model.forward, fuse=False)
    for k, (x, _) in enumerate(_data(6)):
        for m in (model, eager):
            m.train(k % 3 != 2)
        ad.manual_seed(k)
        with ad.no_grad():
            want = eager(ad.tensor(x))
        ad.manual_seed(k)
        with ad.no_grad():
            got = forward(x)
        np.testing.assert_array_equal(got.data, want.data)
        assert_same(flat_values(model), flat_values(eager), bitwise=True, where=f"call {k}")
    assert forward.traces == 2


def test_one_compiled_step_used_with_two_models_in_turn():
    """The step reads the model and the optimizer from names rebound between calls."""
    def make():
        models = [_mlp(), _mlp()]
        opts = [ad.optim.SGD(m.parameters(), lr=0.1, momentum=0.5) for m in models]
        model, opt = models[0], opts[0]

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss

        def use(k):
            nonlocal model, opt
            model, opt = models[k], opts[k]
        return step, {"models": models, "optimizers": opts, "use": use}

    def between(k, things):
        things["use"](k % 2)
    compiled, _, twin = run_twins(make, _data(5), fuse=False, between=between)
    a, b = twin["models"]
    assert not np.array_equal(a[0].weight.data, b[0].weight.data)


def test_two_compiled_functions_sharing_a_model():
    """A training step and an evaluation of the same model, interleaved: the evaluation
    sees the weights the last training call left, as eager execution does."""
    def make():
        model = _mlp()
        opt = ad.optim.SGD(model.parameters(), lr=0.1)
        evaluate = ad.compile(lambda x: F.softmax(model(x), dim=1), fuse=False)
        things = {"model": model, "optimizer": opt, "evaluate": evaluate}
        return training_step(model, opt), things

    evaluations = []

    def between(k, things):
        with ad.no_grad():
            evaluations.append(things["evaluate"](_data(1, seed=k)[0][0]).data)
    run_twins(make, _data(4), fuse=False, between=between)
    eager, compiled = evaluations[:4], evaluations[4:]
    for k, (got, want) in enumerate(zip(compiled, eager)):
        np.testing.assert_array_equal(got, want, err_msg=f"evaluation {k}")


def test_a_compiled_function_calling_another():
    """The inner compiled function runs eagerly inside the outer one's trace, so the
    outer plan records its ops (and the backward through them); on its own, the inner
    one keeps replaying its own plan."""
    twins = iter([False, True])         # (run_twins makes the eager twin first)

    def make():
        model = _mlp()
        opt = ad.optim.SGD(model.parameters(), lr=0.1)

        def loss_function(x, y):
            return F.cross_entropy(model(x), y)
        compiled = next(twins)
        loss_of = ad.compile(loss_function, fuse=False) if compiled else loss_function

        def step(x, y):
            opt.zero_grad()
            loss = loss_of(x, y)
            loss.backward()
            opt.step()
            return loss
        return step, {"model": model, "optimizer": opt, "loss_of": loss_of}

    def between(k, things):
        with ad.no_grad():      # the inner function on its own: traced once, replayed
            x, y = _data(1, seed=k)[0]
            inner = things["loss_of"]
            results.append(inner(x, y) if hasattr(inner, "traces") else
                           inner(ad.tensor(x), ad.tensor(y)))
    results = []
    compiled, _, twin = run_twins(make, _data(4), fuse=False, between=between)
    assert compiled.traces == 1 and twin["loss_of"].traces == 1
    for got, want in zip(results[4:], results[:4]):
        np.testing.assert_array_equal(got.data, want.data)


def test_a_compiled_evaluation_under_no_grad():
    ad.manual_seed(0)
    model = _mlp()
    opt = ad.optim.SGD(model.parameters(), lr=0.1)
    evaluate = ad.compile(lambda x, y: F.cross_entropy(model(x), y), fuse=False)
    for k, (x, y) in enumerate(_data(4)):
        with ad.no_grad():
            want = F.cross_entropy(model(ad.tensor(x)), ad.tensor(y))
            got = evaluate(x, y)
        np.testing.assert_array_equal(got.data, want.data)
        assert not got.requires_grad
        opt.zero_grad()
        F.cross_entropy(model(ad.tensor(x)), ad.tensor(y)).backward()
        opt.step()
    assert evaluate.traces == 1


@dataclasses.dataclass
class Config:
    scale: float = 1.0


ACTIVATION = F.relu
CONFIG = Config()
CONFIG_DICT = {"scale": 1.0}


def _global_step():
    model = _mlp()
    opt = ad.optim.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        opt.zero_grad()
        logits = ACTIVATION(model(x)) * CONFIG.scale * CONFIG_DICT["scale"]
        loss = F.cross_entropy(logits, y)
        loss.backward()
        opt.step()
        return loss
    return step, {"model": model, "optimizer": opt}


REBINDINGS = {
    "a global function": ("ACTIVATION", lambda: ad.tanh),
    "a global dataclass config": ("CONFIG", lambda: Config(2.0)),
    "a global dict config": ("CONFIG_DICT", lambda: {"scale": 0.5}),
}


@pytest.mark.parametrize("what", sorted(REBINDINGS))
def test_a_global_the_step_reads_bound_to_another_object(what):
    """The trace followed the function the name held, and read the settings of the
    config it held: another object in its place traces again."""
    name, new = REBINDINGS[what]
    old = globals()[name]

    def between(k, things):
        globals()[name] = old if k < 2 else new()
    try:
        compiled, _, _ = run_twins(_global_step, _data(4), fuse=False, between=between)
    finally:
        globals()[name] = old
    # old, new, and for a config a new one again (each call binds a new object)
    assert compiled.traces == (2 if what == "a global function" else 3)


class Configured(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.cfg = Config()
        self.options = {"shift": 0.0}

    def forward(self, x):
        return self.fc(x) * self.cfg.scale + self.options["shift"]


MODULE_CHANGES = {
    "a field of its dataclass config": lambda m, k: setattr(m.cfg, "scale", 1.0 + (k > 1)),
    "its dataclass config replaced": lambda m, k: k == 2 and setattr(m, "cfg", Config(2.0)),
    "an entry of its dict": lambda m, k: m.options.__setitem__("shift", 0.5 * (k > 1)),
}


@pytest.mark.parametrize("what", sorted(MODULE_CHANGES))
def test_a_module_config_changed_between_calls(what):
    def make():
        model = Configured()
        opt = ad.optim.SGD(model.parameters(), lr=0.1)
        return training_step(model, opt), {"model": model, "optimizer": opt}

    def between(k, things):
        MODULE_CHANGES[what](things["model"], k)
    compiled, _, _ = run_twins(make, _data(4), fuse=False, between=between)
    assert compiled.traces == 2


def test_a_module_setting_change_is_named_when_retracing_too_often():
    model = Configured()
    step = ad.compile(lambda x: model(x), cache_size=2)
    x = _data(1)[0][0]
    with pytest.warns(RuntimeWarning, match=r"Configured.options.shift changed"):
        for k in range(4):
            model.options["shift"] = float(k)
            with ad.no_grad():
                step(x)


def test_a_compiled_function_given_a_captured_array_inside_another_trace():
    """The inner function gets the captured array as a tensor over it, so the outer
    plan knows it as a captured array: changed in place, it traces again."""
    w = ad.tensor(np.ones(3), requires_grad=True)
    weights = np.arange(3.0)
    inner = ad.compile(lambda a: (w * a).sum())

    @ad.compile
    def outer(x):
        w.grad = None
        loss = inner(weights) + (w * x).sum()
        loss.backward()
        return loss
    for k in range(3):
        x = np.full(3, float(k))
        np.testing.assert_array_equal(outer(x).data, np.sum(weights + x))
        np.testing.assert_array_equal(w.grad, weights + x)
    weights[0] = 10.0
    np.testing.assert_array_equal(outer(np.ones(3)).data, 16.0)
    np.testing.assert_array_equal(w.grad, [11.0, 2.0, 3.0])
    assert outer.traces == 2 and inner.traces == 0
