"""How often a compiled training step traces: a model switched between ``train()`` and
``eval()`` between calls replays one plan per mode, and an array the step itself
updates in place (an average kept under ``no_grad``) does not make the next call trace
again, while a change made between calls still does.  And the twin harness itself
fails on a step whose replay silently differs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F
from compile_twins import run_twins


def _dropout_net():
    model = nn.Sequential(nn.Linear(4, 6, rng=0), nn.BatchNorm1d(6), nn.ReLU(),
                          nn.Dropout(0.5, rng=1), nn.Linear(6, 2, rng=2))
    opt = ad.optim.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        loss = F.cross_entropy(model(x), y)
        if model.training:
            opt.zero_grad()
            loss.backward()
            opt.step()
        return loss.detach()
    return step, {"model": model, "opt": opt}


def test_a_model_switched_between_train_and_eval_replays_one_plan_per_mode():
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((5, 4)), rng.integers(0, 2, 5)) for _ in range(24)]

    def between(k, things):             # two training calls, then one evaluation
        things["model"].train(k % 3 != 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)      # (no "traced again" warning)
        # (the first layer's bias feeds BatchNorm: its gradient is rounding around zero,
        # compared in ulp of 1)
        compiled, _, _ = run_twins(_dropout_net, batches, between=between, scale=1.0)
    assert compiled.traces == 2
    assert len(compiled.plans) == 2


def test_a_plan_kept_for_other_settings_still_notices_a_changed_array():
    scale = np.ones(3)
    layer = nn.Dropout(0.5, rng=0)

    @ad.compile
    def forward(x):
        return layer(x * ad.tensor(scale))

    x = np.ones(3)
    forward(x)
    layer.eval()
    forward(x)
    layer.train()
    forward(x)
    assert forward.traces == 2 and len(forward.plans) == 2
    scale[0] = 2.0                  # both plans read a captured array that changed
    forward(x)
    assert forward.traces == 3
    layer.eval()                    # the eval plan, kept, no longer fits either
    np.testing.assert_array_equal(forward(x).data, [2.0, 1.0, 1.0])
    assert forward.traces == 4 and len(forward.plans) == 2


def _running_average_step(running):
    @ad.compile
    def step(x):
        with ad.no_grad():
            ad.tensor(running).mul_(0.5).add_(x.sum(0))
        return x * 2.0
    return step


def test_an_array_the_step_updates_in_place_does_not_trace_again_at_each_call():
    running, expected = np.zeros(3), np.zeros(3)
    step = _running_average_step(running)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for k in range(12):
            x = np.full((2, 3), float(k))
            step(x)
            expected = expected * 0.5 + x.sum(0)
            np.testing.assert_array_equal(running, expected)
    assert step.traces == 1


def test_an_array_the_step_updates_in_place_and_changed_between_calls_is_read_again():
    running = np.zeros(3)
    step = _running_average_step(running)
    step(np.ones((2, 3)))
    step(np.ones((2, 3)))
    running[:] = 10.0                       # a reset between calls
    step(np.ones((2, 3)))
    np.testing.assert_array_equal(running, [7.0, 7.0, 7.0])
    assert step.traces == 2


def test_the_twin_harness_fails_on_a_replay_that_takes_the_traced_branch():
    def make():
        w = nn.Parameter(np.ones(2))
        opt = ad.optim.SGD([w], lr=0.5)

        def step(x):
            loss = (w * x).sum()
            if (x.data > 0).all():          # a branch on .data: not seen by the trace
                loss = loss * 2.0
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return step, {"w": w, "opt": opt}
    with pytest.raises(AssertionError, match="call 1"):
        run_twins(make, [(np.ones(2),), (-np.ones(2),)], fuse=False)


def test_a_setting_in_a_config_dict_changed_between_calls_traces_again():
    config = {"max_norm": 0.5, "epoch": 0}

    def make():
        config["max_norm"] = 0.5
        model = nn.Linear(4, 3, rng=1)
        opt = ad.optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config["max_norm"])
            opt.step()
            return loss
        return step, {"model": model, "opt": opt}

    def between(k, things):
        config["epoch"] = k                 # a key the step does not name: no new trace
        if k == 3:
            config["max_norm"] = 0.01
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((6, 4)), rng.integers(0, 3, 6)) for _ in range(6)]
    compiled, _, _ = run_twins(make, batches, between=between, fuse=False)
    assert compiled.traces == 2


@pytest.mark.parametrize("kind", ["namespace", "dataclass"])
def test_a_setting_read_from_a_config_object_changed_between_calls_traces_again(kind):
    import argparse
    import dataclasses

    @dataclasses.dataclass
    class Config:
        max_norm: float = 0.5
        log_every: int = 10

    config = argparse.Namespace(max_norm=0.5, log_every=10) if kind == "namespace" else Config()

    def make():
        config.max_norm = 0.5
        model = nn.Linear(4, 3, rng=1)
        opt = ad.optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config.max_norm)
            opt.step()
            return loss
        return step, {"model": model, "opt": opt}

    def between(k, things):
        config.log_every = k                # an attribute the step does not read
        if k == 3:
            config.max_norm = 0.01
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((6, 4)), rng.integers(0, 3, 6)) for _ in range(6)]
    compiled, _, _ = run_twins(make, batches, between=between, fuse=False)
    assert compiled.traces == 2


def test_a_number_in_a_dict_read_under_an_int_key_changed_between_calls_traces_again():
    scales = {0: 2.0, 1: 3.0}

    @ad.compile
    def scaled(x):
        return x * scales[0]

    np.testing.assert_array_equal(scaled(np.ones(2)).data, [2.0, 2.0])
    scales[1] = 4.0                     # a key the function does not name
    np.testing.assert_array_equal(scaled(np.ones(2)).data, [2.0, 2.0])
    scales[0] = 5.0
    np.testing.assert_array_equal(scaled(np.ones(2)).data, [5.0, 5.0])
    assert scaled.traces == 2
