"""What users change about the optimizer between calls of a compiled step: each change
takes effect exactly as in eager execution (``compile_twins.run_twins``: the compiled
step and its eager twin compared after every call, bit for bit without fusion, within a
few ulp with it), traces again, or is refused naming what changed.

Covered: ``param_groups[0][...]`` (lr, momentum, weight_decay, betas) set between calls,
a scheduler stepped outside the step, ``add_param_group``, ``load_state_dict``,
``zero_grad(set_to_none=True)`` outside the step, and a new optimizer object bound to
the step's name."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F
from compile_twins import run_twins as _run_twins, training_step


def run_twins(make, batches, **kw):
    return _run_twins(make, batches, seed=0, **kw)


def _batches(n=4, seed=9):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((4, 3)), rng.integers(0, 2, 4)) for _ in range(n)]


def _classifier(make_optimizer, *, model=None):
    """``make`` of a tiny classifier step trained by ``make_optimizer(model)``."""
    def make():
        net = model() if model else nn.Linear(3, 2)
        opt = make_optimizer(net)
        return training_step(net, opt), {"model": net, "optimizer": opt}
    return make


OPTIMIZERS = {
    "sgd": lambda m: ad.optim.SGD(m.parameters(), lr=0.1, momentum=0.5, weight_decay=0.01),
    "adam": lambda m: ad.optim.Adam(m.parameters(), lr=0.05, betas=(0.9, 0.99),
                                    weight_decay=0.01),
    "adamw": lambda m: ad.optim.AdamW(m.parameters(), lr=0.05),
}

CHANGES = {
    "lr": lambda k, group: group.__setitem__("lr", 0.3 / (k + 1)),
    "momentum": lambda k, group: group.__setitem__("momentum", 0.2 * k),
    "weight_decay": lambda k, group: group.__setitem__("weight_decay", 0.1 * k),
    "betas": lambda k, group: group.__setitem__("betas", (0.5 + 0.1 * k, 0.9)),
}


@pytest.mark.parametrize("kind, change", [("sgd", "lr"), ("sgd", "momentum"),
                                          ("sgd", "weight_decay"), ("adam", "lr"),
                                          ("adam", "betas"), ("adamw", "weight_decay")])
def test_a_hyperparameter_set_between_calls_takes_effect(kind, change):
    def between(k, things):
        if k:
            CHANGES[change](k, things["optimizer"].param_groups[0])
    compiled, _, twin = run_twins(_classifier(OPTIMIZERS[kind]), _batches(), fuse=False,
                                  between=between)
    assert compiled.traces == 1


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_a_hyperparameter_set_between_fused_calls_takes_effect(kind):
    def between(k, things):
        if k:
            CHANGES["lr"](k, things["optimizer"].param_groups[0])
    compiled, _, _ = run_twins(_classifier(OPTIMIZERS[kind]), _batches(), fuse=True,
                               between=between, scale=1.0)
    assert compiled.traces == 1


def test_a_scheduler_stepped_outside_the_step_takes_effect():
    def make():
        step, things = _classifier(OPTIMIZERS["sgd"])()
        things["scheduler"] = ad.optim.lr_scheduler.StepLR(things["optimizer"], 1,
                                                           gamma=0.5)
        return step, things

    def between(k, things):
        if k:
            things["scheduler"].step()
    compiled, eager, twin = run_twins(make, _batches(), fuse=False, between=between)
    assert twin["optimizer"].param_groups[0]["lr"] == 0.1 * 0.5 ** 3
    assert compiled.traces == 1


def test_add_param_group_between_calls_trains_the_new_group():
    def make():
        net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        opt = ad.optim.SGD(net[0].parameters(), lr=0.1, momentum=0.5)
        return training_step(net, opt), {"model": net, "optimizer": opt}

    def between(k, things):
        if k == 2:
            things["optimizer"].add_param_group({"params": things["model"][2].parameters(),
                                                 "lr": 0.05})
    compiled, _, twin = run_twins(make, _batches(5), fuse=False, between=between)
    before = twin["model"][2].weight.data.copy()
    compiled(*_batches(1, seed=3)[0])
    assert not np.array_equal(twin["model"][2].weight.data, before)


def test_optimizer_load_state_dict_between_calls_is_read_by_the_next_call():
    saved = {}

    def between(k, things):
        opt = things["optimizer"]
        if k == 1:
            saved[id(opt)] = opt.state_dict()
        if k == 3:
            opt.load_state_dict(saved[id(opt)])
    for kind in ("sgd", "adam"):
        compiled, _, _ = run_twins(_classifier(OPTIMIZERS[kind]), _batches(5), fuse=False,
                                   between=between)
        assert compiled.traces <= 2


def test_zero_grad_set_to_none_outside_a_step_that_accumulates():
    """A step without zero_grad accumulates into ``.grad``; setting the gradients to
    None between calls restarts the sum, as in eager execution."""
    def make():
        net = nn.Linear(3, 2)
        opt = ad.optim.SGD(net.parameters(), lr=0.1)

        def step(x, y):
            F.cross_entropy(net(x), y).backward()
            opt.step()
        return step, {"model": net, "optimizer": opt}

    def between(k, things):
        if k % 2 == 0:
            things["optimizer"].zero_grad(set_to_none=True)
    run_twins(make, _batches(5), fuse=False, between=between)


def test_zero_grad_keeping_zeros_outside_a_step_that_accumulates():
    def make():
        net = nn.Linear(3, 2)
        opt = ad.optim.Adam(net.parameters(), lr=0.05)

        def step(x, y):
            F.cross_entropy(net(x), y).backward()
            opt.step()
        return step, {"model": net, "optimizer": opt}

    def between(k, things):
        if k == 2:
            things["optimizer"].zero_grad(set_to_none=False)
    run_twins(make, _batches(4), fuse=False, between=between)


def test_a_new_optimizer_bound_to_the_captured_name_is_used():
    """``opt = ad.optim.Adam(...)`` between calls (the step reads ``opt`` from its
    scope) traces again with the new optimizer."""
    def make():
        net = nn.Linear(3, 2)
        box = {"opt": ad.optim.SGD(net.parameters(), lr=0.1)}
        opt = box["opt"]

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            return loss

        def swap():
            nonlocal opt
            opt = ad.optim.Adam(net.parameters(), lr=0.05)
            box["opt"] = opt
        return step, {"model": net, "optimizer": box, "swap": swap}

    def between(k, things):
        if k == 2:
            things["swap"]()
    compiled, _, twin = run_twins(make, _batches(5), fuse=False, between=between)
    assert compiled.traces == 2
    assert isinstance(twin["optimizer"]["opt"], ad.optim.Adam)


def _save_and_load(k, things):
    opt, model = things["optimizer"], things["model"]
    if k == 1:
        _SAVED[id(opt)] = opt.state_dict(), {n: v.copy() for n, v in model.state_dict().items()}
    if k == 3:
        opt.load_state_dict(_SAVED[id(opt)][0])
        model.load_state_dict(_SAVED[id(opt)][1])


_SAVED: dict = {}
FUSED_CHANGES = {
    "sgd momentum from 0": (lambda m: ad.optim.SGD(m.parameters(), lr=0.1),
                            lambda k, t: k == 2 and t["optimizer"].param_groups[0]
                            .__setitem__("momentum", 0.9)),
    "adam amsgrad on": (lambda m: ad.optim.Adam(m.parameters(), lr=0.05),
                        lambda k, t: k == 2 and t["optimizer"].param_groups[0]
                        .__setitem__("amsgrad", True)),
    "adam frozen layer": (lambda m: ad.optim.Adam(m.parameters(), lr=0.05),
                          lambda k, t: t["model"][0].requires_grad_(k not in (1, 2))),
    "adam state loaded": (lambda m: ad.optim.Adam(m.parameters(), lr=0.05), _save_and_load),
}


@pytest.mark.parametrize("fuse", [False, True])
@pytest.mark.parametrize("what", sorted(FUSED_CHANGES))
def test_optimizer_changes_with_and_without_fusion(what, fuse):
    """The fused optimizer pass prepares each parameter's update once and keeps it
    while the group's values and the state are the same objects: a new value, a state
    loaded or a frozen parameter prepares it again."""
    make_optimizer, between = FUSED_CHANGES[what]
    model = lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))  # noqa: E731
    run_twins(_classifier(make_optimizer, model=model), _batches(5), fuse=fuse,
              between=between, scale=1.0)


@pytest.mark.parametrize("make_optimizer, key", [
    (lambda ps: ad.optim.SGD(ps, lr=0.1, momentum=0.9), "momentum_buffer"),
    (lambda ps: ad.optim.Adam(ps, lr=0.1), "exp_avg"),
    (lambda ps: ad.optim.AdamW(ps, lr=0.1), "exp_avg_sq"),
    (lambda ps: ad.optim.Adam(ps, lr=0.1), "step"),
])
def test_a_state_array_made_read_only_between_calls_is_refused_as_eager_step_refuses(
        make_optimizer, key):
    # The fused update writes through flat views made at the first replay; the flag
    # that counts is the state's own array's (a view keeps the flag it was made with).
    # The replay then runs opt.step(), which refuses as it does eagerly.
    results = []
    for compiled in (True, False):
        w = ad.nn.Parameter(np.ones(3))
        opt = make_optimizer([w])

        def step(x):
            opt.zero_grad()
            (w * x).sum().backward()
            opt.step()
        if compiled:
            step = ad.compile(step)
        for _ in range(3):
            step(np.ones(3))
        frozen = opt.state[0][key]
        kept = frozen.copy()
        frozen.flags.writeable = False
        with pytest.raises(ValueError, match="read-only"):
            step(np.ones(3))
        np.testing.assert_array_equal(frozen, kept)
        results.append([w.data.copy()] + [np.copy(v) for v in opt.state[0].values()])
    for compiled_value, eager_value in zip(*results):
        np.testing.assert_allclose(compiled_value, eager_value, rtol=1e-15)
