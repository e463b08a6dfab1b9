"""More compiled training loops against eager twins (``compile_twins.py``): what a
loop does between calls (reseeding, freezing a layer, accumulating gradients over
calls, a one-cycle schedule of learning rate and momentum, a new param group, eager
forwards), a hidden state carried across calls, attention weights, masks computed
from activations, a compiled train step beside a compiled eval step; the steps a
plan cannot follow, refused while tracing naming the line; and the models replayed
under ``AUTODIFF_JIT=0``."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.compile import TraceError
from autodiff.nn import functional as F
from compile_twins import assert_same, flat_values, run_twins


def _data(n, batch=6, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((batch, 4)), rng.integers(0, 3, batch)) for _ in range(n)]


def _dropout_net():
    return nn.Sequential(nn.Linear(4, 6, rng=1), nn.Tanh(), nn.Dropout(0.3),
                         nn.Linear(6, 3, rng=2))


def _trainer(make_optimizer=lambda params: ad.optim.SGD(params, lr=0.1), update=True):
    """A make() for ``run_twins``: a dropout net (default generator) and a step that
    zeroes, backpropagates and steps (or, ``update=False``, only backpropagates)."""
    def make():
        model = _dropout_net()
        opt = make_optimizer(model.parameters())

        def step(x, y):
            if update:
                opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            if update:
                opt.step()
            return loss
        return step, {"model": model, "opt": opt}
    return make


def test_the_default_generator_reseeded_between_calls_gives_the_eager_dropout_masks():
    def between(k, things):
        if k % 2 == 0:
            nn.manual_seed(k)
    run_twins(_trainer(), _data(8), between=between, seed=0)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_gradients_accumulated_over_calls_and_stepped_between_them(set_to_none):
    def between(k, things):
        if k % 3 == 0:
            if k:
                things["opt"].step()
            things["opt"].zero_grad(set_to_none=set_to_none)
    compiled, _, _ = run_twins(_trainer(update=False), _data(12), between=between, seed=0)
    assert compiled.traces <= 2         # (first with .grad None, then with arrays)


def test_a_layer_frozen_and_unfrozen_between_calls():
    def between(k, things):
        things["model"][0].weight.requires_grad_(not 3 <= k < 6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # (Adam's note of a parameter without grad)
        compiled, _, _ = run_twins(_trainer(lambda p: ad.optim.Adam(p, lr=1e-2)), _data(9),
                                   between=between, seed=0)
    assert compiled.traces == 2


def test_a_one_cycle_schedule_of_learning_rate_and_momentum_between_calls():
    def make():
        step, things = _trainer(lambda p: ad.optim.SGD(p, lr=0.1, momentum=0.9))()
        things["scheduler"] = ad.optim.lr_scheduler.OneCycleLR(things["opt"], max_lr=0.5,
                                                               total_steps=20)
        return step, things

    def between(k, things):
        if k:
            things["scheduler"].step()
    compiled, _, twin = run_twins(make, _data(12), between=between, seed=0)
    assert compiled.traces == 1
    assert twin["opt"].param_groups[0]["momentum"] < 0.9


def test_a_param_group_added_between_calls():
    def make():
        step_of_net, things = _trainer(lambda p: ad.optim.Adam(p, lr=1e-2))()
        model, opt = things["model"], things["opt"]
        offset = nn.Parameter(np.zeros(3))

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x) + offset, y)
            loss.backward()
            opt.step()
            return loss
        return step, {**things, "offset": offset}

    def between(k, things):
        if k == 3:
            things["opt"].add_param_group({"params": [things["offset"]], "lr": 0.1})
    run_twins(make, _data(8), between=between, seed=0)


def test_a_recurrent_state_carried_from_call_to_call():
    def make():
        rnn, head = nn.LSTM(4, 5, batch_first=True, rng=3), nn.Linear(5, 3, rng=4)
        opt = ad.optim.Adam([*rnn.parameters(), *head.parameters()], lr=1e-2)

        def step(x, y, h, c):
            opt.zero_grad()
            out, (h, c) = rnn(x, (h, c))
            loss = F.cross_entropy(head(out[:, -1]), y)
            loss.backward()
            opt.step()
            return loss, h.detach(), c.detach()
        return step, {"rnn": rnn, "head": head, "opt": opt}
    rng = np.random.default_rng(0)
    chunks = [(rng.standard_normal((3, 6, 4)), rng.integers(0, 3, 3)) for _ in range(10)]
    logs = []
    for compiled in (False, True):
        step, things = make()
        run = ad.compile(step) if compiled else step
        h = c = np.zeros((1, 3, 5))
        log = []
        for x, y in chunks:
            x, h, c = (x, h, c) if compiled else (ad.tensor(x), ad.tensor(h), ad.tensor(c))
            loss, h, c = run(x, y, h, c)
            h, c = h.data, c.data
            log.append(flat_values((loss, h, c)) + flat_values(things, "state"))
        logs.append(log)
    for k, (got, want) in enumerate(zip(logs[1], logs[0])):
        assert_same(got, want, bitwise=False, where=f"chunk {k}", ulps=32 * (k + 1))


def test_attention_weights_with_a_padding_mask_bitwise():
    # (the key bias's gradient is rounding noise around zero, which Adam scales up:
    # fused exp shifts that noise, so only the unfused replay is compared here)
    def make():
        attention = nn.MultiheadAttention(4, 2, batch_first=True, rng=0)
        opt = ad.optim.Adam(attention.parameters(), lr=1e-2)

        def step(x, padding):
            opt.zero_grad()
            out, weights = attention(x, x, x, key_padding_mask=padding)
            loss = (out ** 2).mean()
            loss.backward()
            opt.step()
            return loss, weights.detach()
        return step, {"attention": attention, "opt": opt}
    rng = np.random.default_rng(0)
    padding = np.array([[False, False, True], [False, False, False]])
    run_twins(make, [(rng.standard_normal((2, 3, 4)), padding) for _ in range(20)], fuse=False)


def test_masks_computed_from_activations():
    def make():
        first, last = nn.Linear(4, 6, rng=1), nn.Linear(6, 3, rng=2)
        opt = ad.optim.SGD([*first.parameters(), *last.parameters()], lr=0.1, momentum=0.9)

        def step(x, y):
            h = first(x)
            h = h.masked_fill(h < -0.5, 0.1)
            h = ad.where(h.detach() > h.mean(), h, h * 0.5)
            h = h * (h > 0)
            h = ad.clamp(h, min=ad.tensor(np.full(6, -0.2)), max=h.detach().mean())
            h = ad.nan_to_num(ad.log(h + 0.1))
            opt.zero_grad()
            loss = F.cross_entropy(last(F.relu6(h * 3)), y)
            loss.backward()
            opt.step()
            return loss
        return step, {"first": first, "last": last, "opt": opt}
    run_twins(make, _data(20))


def test_a_compiled_train_step_beside_a_compiled_eval_step_and_eager_forwards():
    def setup(compiled):
        nn.manual_seed(0)
        # (no bias before the batch norm, as usual: its gradient would be rounding
        # alone, which Adam divides by its own size)
        model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, bias=False, rng=1),
                              nn.BatchNorm2d(2),
                              nn.ReLU(), nn.Dropout(0.3), nn.Flatten(), nn.Linear(32, 3, rng=2))
        opt = ad.optim.Adam(model.parameters(), lr=1e-2)

        def train_step(x, y):
            model.train()
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss

        def eval_step(x, y):
            model.eval()
            with ad.no_grad():
                out = model(x)
                return F.cross_entropy(out, y), (out.argmax(1) == ad.tensor(y)).float().mean()
        steps = (train_step, eval_step)
        return model, opt, [ad.compile(s) for s in steps] if compiled else steps
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((4, 1, 4, 4)), rng.integers(0, 3, 4)) for _ in range(10)]
    logs = []
    for compiled in (False, True):
        model, opt, (train, evaluate) = setup(compiled)
        log = []
        for k, (x, y) in enumerate(batches):
            args = (x, y) if compiled else (ad.tensor(x), y)
            log.append(flat_values(train(*args)) + flat_values({"model": model, "opt": opt}))
            if k % 3 == 2:
                log.append(flat_values(evaluate(*args)) + flat_values(model))
                model.train()
                model(ad.tensor(x))     # eager: draws a mask, updates the running stats
        logs.append(log)
    for k, (got, want) in enumerate(zip(logs[1], logs[0])):
        assert_same(got, want, bitwise=False, where=f"entry {k}", ulps=32 * (k + 1))
    assert train.traces == 1 and evaluate.traces == 1


def _refused_line(step, *args):
    """The line number a TraceError of ``step(*args)`` names in this file."""
    with pytest.raises(TraceError) as refusal:
        step(*args)
    name = os.path.basename(__file__)
    assert name in str(refusal.value), str(refusal.value)
    return int(str(refusal.value).split(f"{name}:")[1].split()[0].rstrip(",:;)"))


def _line_of(fn, text):
    lines, first = inspect.getsourcelines(fn)
    return first + next(k for k, line in enumerate(lines) if text in line)


def test_a_gradient_penalty_through_autograd_grad_is_refused_naming_the_line():
    critic = nn.Sequential(nn.Linear(4, 6, rng=0), nn.Tanh(), nn.Linear(6, 1, rng=1))
    opt = ad.optim.Adam(critic.parameters(), lr=1e-3)

    def step(real, fake):
        opt.zero_grad()
        mix = (0.5 * real + 0.5 * fake).requires_grad_()
        slope, = ad.autograd.grad(critic(mix).sum(), [mix], create_graph=True)
        loss = critic(fake).mean() - critic(real).mean() + ((slope ** 2).sum(1) - 1).mean()
        loss.backward()
        opt.step()
        return loss
    rng = np.random.default_rng(0)
    line = _refused_line(ad.compile(step), rng.standard_normal((5, 4)),
                         rng.standard_normal((5, 4)))
    assert line == _line_of(step, "ad.autograd.grad")


@pytest.mark.parametrize("how", ["item", "boolean selection", "packed lengths"])
def test_steps_a_plan_cannot_follow_are_refused_naming_the_line(how):
    rnn, head = nn.GRU(4, 3, batch_first=True, rng=0), nn.Linear(3, 3, rng=1)
    opt = ad.optim.SGD([*rnn.parameters(), *head.parameters()], lr=0.1)

    def step(x, y, lengths):
        opt.zero_grad()
        if how == "packed lengths":
            x = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True,
                                                  enforce_sorted=False)
        _, h = rnn(x)
        logits = head(h[-1])
        if how == "boolean selection":
            keep = ad.tensor(y != 1)
            logits, y = logits[keep], ad.tensor(y)[keep]
        loss = F.cross_entropy(logits, y)
        loss.backward()
        opt.step()
        if how == "item":
            return loss.item()
        return loss
    rng = np.random.default_rng(0)
    args = (rng.standard_normal((4, 5, 4)), np.array([0, 1, 2, 1]), np.array([5, 2, 3, 4]))
    marker = {"item": "loss.item()", "boolean selection": "logits[keep]",
              "packed lengths": "pack_padded_sequence"}[how]
    assert _refused_line(ad.compile(step), *args) == _line_of(step, marker)


_WITHOUT_JIT = """
import numpy as np
from autodiff import kernels
import test_compile_models as models
import test_compile_models_steps as steps
from compile_twins import run_twins
assert not kernels.JIT_ENABLED
run_twins(models._cnn(None), models._batches(6, (4, 1, 4, 4), 3), seed=3)
run_twins(models._recurrent("lstm", np.float32), models._batches(6, (4, 6, 3), (4, 2),
          dtype=np.float32))
run_twins(models._transformer, [(np.ones((4, 5, 8)) * k, np.zeros((4, 5), bool),
                                 np.arange(4) % 3) for k in range(4)])
run_twins(steps._clipped("adam", np.float64), steps._data(6))
print("agreed")
"""


def test_models_replay_as_eager_with_the_fused_groups_run_by_numpy():
    tests = os.path.dirname(os.path.abspath(__file__))
    path = os.pathsep.join([os.path.dirname(tests), tests, os.environ.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-c", _WITHOUT_JIT], capture_output=True,
                          text=True, timeout=300,
                          env=dict(os.environ, AUTODIFF_JIT="0", PYTHONPATH=path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "agreed"


def test_a_critic_with_spectral_and_weight_norm_parametrizations():
    parametrizations = nn.utils.parametrizations

    def make():
        critic = nn.Sequential(parametrizations.spectral_norm(nn.Linear(4, 6, rng=0)),
                               nn.LeakyReLU(0.2),
                               parametrizations.weight_norm(nn.Linear(6, 1, rng=1)))
        opt = ad.optim.Adam(critic.parameters(), lr=1e-2, betas=(0.5, 0.9))

        def step(real, fake):
            opt.zero_grad()
            loss = F.softplus(-critic(real)).mean() + F.softplus(critic(fake)).mean()
            loss.backward()
            opt.step()
            return loss
        return step, {"critic": critic, "opt": opt}
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((5, 4)) + 1.0, rng.standard_normal((5, 4)))
               for _ in range(12)]
    compiled, _, _ = run_twins(make, batches, fuse=False, seed=0)
    assert compiled.traces == 1


@pytest.mark.parametrize("normalise", ["spectral_norm", "weight_norm"])
def test_the_hook_of_the_older_spectral_or_weight_norm_is_refused_naming_the_replacement(
        normalise):
    critic = nn.Sequential(getattr(nn.utils, normalise)(nn.Linear(4, 6, rng=0)), nn.Tanh())

    @ad.compile
    def step(x):
        return critic(x).sum()
    with pytest.raises(TraceError, match=rf"comes from nn\.utils\.{normalise}: use "
                                         rf"nn\.utils\.parametrizations\.{normalise} instead"):
        step(np.ones((2, 4)))
