"""What users change about the model between calls of a compiled step, each compared
with the eager twin after every call (``compile_twins.run_twins``, bit for bit without
fusion): ``train()`` / ``eval()`` toggled outside the step (Dropout, BatchNorm),
freezing a layer with ``requires_grad_(False)`` and back, ``load_state_dict``, a
replaced submodule, the weights changed through ``p.data = ...``, ``p.copy_(...)``,
``p.mul_`` under ``no_grad`` and ``nn.init``, a hook added after the first trace, and
the layers' generator reseeded before a call with dropout."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F
from autodiff.compile import TraceError
from compile_twins import run_twins as _run_twins, training_step


def run_twins(make, batches, **kw):
    return _run_twins(make, batches, seed=0, **kw)


def _batches(n=4, seed=19):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((4, 3)), rng.integers(0, 2, 4)) for _ in range(n)]


def _trainer(make_model, lr=0.1):
    def make():
        model = make_model()
        opt = ad.optim.SGD(model.parameters(), lr=lr, momentum=0.5)
        return training_step(model, opt), {"model": model, "optimizer": opt}
    return make


def _mlp():
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))


def _with_dropout_and_batchnorm():
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(4, 2))


def test_train_and_eval_toggled_between_calls():
    def between(k, things):
        things["model"].train(k % 3 != 1)
    compiled, _, _ = run_twins(_trainer(_with_dropout_and_batchnorm), _batches(6),
                               fuse=False, between=between)
    assert compiled.traces == 2         # one plan per mode, each replayed


def test_the_generator_reseeded_before_calls_with_dropout():
    """The replay draws the dropout masks eager execution draws after the reseed."""
    def between(k, things):
        ad.manual_seed(100 + k % 2)
    run_twins(_trainer(_with_dropout_and_batchnorm), _batches(4), fuse=False,
              between=between)


def test_a_frozen_layer_and_back():
    def between(k, things):
        things["model"][0].requires_grad_(k not in (1, 2))
    compiled, _, twin = run_twins(_trainer(_mlp), _batches(5), fuse=False, between=between)
    assert compiled.traces == 2


def test_model_load_state_dict_between_calls():
    saved = {}

    def between(k, things):
        model = things["model"]
        if k == 1:
            saved[id(model)] = {n: v.copy() for n, v in model.state_dict().items()}
        if k == 3:
            model.load_state_dict(saved[id(model)])
    compiled, _, _ = run_twins(_trainer(_with_dropout_and_batchnorm), _batches(5),
                               fuse=False, between=between)
    assert compiled.traces == 1


@pytest.mark.filterwarnings("ignore:SGD.step. parameter 'fc")   # the old layer's
def test_a_replaced_submodule_traces_again():
    """``model.fc = nn.Linear(...)``: the optimizer is given the new layer's parameters
    too, so the step trains it."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Linear(3, 4)
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(F.relu(self.body(x)))

    def between(k, things):
        if k == 2:
            model = things["model"]
            model.fc = nn.Linear(4, 2)
            things["optimizer"].add_param_group({"params": model.fc.parameters()})
    compiled, _, twin = run_twins(_trainer(Net), _batches(4), fuse=False, between=between)
    assert compiled.traces == 2


WEIGHT_CHANGES = {
    "data assigned": lambda w: setattr(w, "data", w.data * 0.5),
    "data assigned a new shape-equal array": lambda w: setattr(
        w, "data", np.full(w.shape, 0.25)),
    "copy_ under no_grad": lambda w: _no_grad(lambda: w.copy_(ad.tensor(np.full(w.shape, -0.5)))),
    "mul_ under no_grad": lambda w: _no_grad(lambda: w.mul_(0.5)),
    "data slice written": lambda w: w.data.__setitem__(0, 1.5),
    "init.constant_": lambda w: nn.init.constant_(w, 0.125),
    "init.xavier_uniform_": lambda w: nn.init.xavier_uniform_(w),
    "init.normal_": lambda w: nn.init.normal_(w, std=0.3),
}


def _no_grad(fn):
    with ad.no_grad():
        fn()


@pytest.mark.parametrize("change", sorted(WEIGHT_CHANGES))
def test_a_weight_changed_between_calls(change):
    def between(k, things):
        if k == 2:
            ad.manual_seed(5)       # (the same draws for nn.init in both twins)
            WEIGHT_CHANGES[change](things["model"][0].weight)
    compiled, _, _ = run_twins(_trainer(_mlp), _batches(4), fuse=False, between=between)
    assert compiled.traces == 1


def test_weight_data_of_a_new_dtype_traces_again():
    """``w.data = w.data.astype(np.float64)`` in a float32 model changes what the plan
    computes in: the next call traces again and follows eager execution's
    mixed-precision path (the last layer, given float32, computes in float64; a float32
    layer given float64 is refused, as PyTorch refuses it)."""
    def between(k, things):
        if k == 2:
            w = things["model"][2].weight
            w.data = w.data.astype(np.float64)
    batches = [(x.astype(np.float32), y) for x, y in _batches(4)]
    compiled, _, twin = run_twins(_trainer(lambda: _mlp().float()), batches, fuse=False,
                                  between=between)
    assert twin["model"][2].weight.dtype == ad.float64
    assert compiled.traces == 2


HOOKS = {
    "forward hook": lambda model: model[0].register_forward_hook(
        lambda m, i, out: out * 2.0),
    "forward pre-hook": lambda model: model[2].register_forward_pre_hook(
        lambda m, args: (args[0] + 1.0,)),
    "full backward hook": lambda model: model[2].register_full_backward_hook(
        lambda m, gin, gout: tuple(None if g is None else g * 0.5 for g in gin)),
    "tensor hook": lambda model: model[0].weight.register_hook(lambda g: g * 3.0),
}


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_a_hook_added_after_the_first_trace_is_refused_then_removed(hook):
    """A hook would run only while tracing: one added after the first trace makes the
    next call trace again, which refuses it naming the hook; once removed, the first
    plan replays again and the step goes on as eager execution does."""
    make = _trainer(_mlp)
    ad.manual_seed(0)
    eager_step, eager = make()
    ad.manual_seed(0)
    step, twin = make()
    compiled = ad.compile(step, fuse=False)
    batches = _batches(4)
    for x, y in batches[:2]:
        eager_step(ad.tensor(x), ad.tensor(y))
        compiled(x, y)
    handle = HOOKS[hook](twin["model"])
    before = [p.data.copy() for p in twin["model"].parameters()]
    with pytest.raises(TraceError, match="hook"):
        compiled(*batches[2])
    for p, was in zip(twin["model"].parameters(), before):
        np.testing.assert_array_equal(p.data, was)
    handle.remove()
    for x, y in batches[2:]:
        want = eager_step(ad.tensor(x), ad.tensor(y))
        got = compiled(x, y)
        np.testing.assert_array_equal(got.data, want.data)
    for p, q in zip(twin["model"].parameters(), eager["model"].parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    assert compiled.traces == 1


def test_train_eval_fused():
    def between(k, things):
        things["model"].train(k % 2 == 0)
    compiled, _, _ = run_twins(_trainer(_with_dropout_and_batchnorm), _batches(4),
                               fuse=True, between=between, scale=1.0)
    assert compiled.traces == 2


@pytest.mark.parametrize("kind", ["ad.Generator", "np.random.Generator"])
def test_a_captured_generator_reseeded_between_calls(kind):
    """``F.dropout(h, rng=g)`` with a generator the step captures, reseeded (or replaced
    by a reseeded one) between calls: the replay draws what eager execution draws."""
    def new_generator(seed):
        return ad.Generator().manual_seed(seed) if kind == "ad.Generator" else (
            np.random.default_rng(seed))

    def make():
        model = _mlp()
        opt = ad.optim.SGD(model.parameters(), lr=0.1)
        holder = {"g": new_generator(0)}

        def step(x, y):
            opt.zero_grad()
            h = F.dropout(model[0](x), 0.5, rng=holder["g"])
            loss = F.cross_entropy(model[2](model[1](h)), y)
            loss.backward()
            opt.step()
            return loss
        return step, {"model": model, "optimizer": opt, "holder": lambda: holder}

    def between(k, things):
        holder = things["holder"]()
        if kind == "ad.Generator" and k % 2:
            holder["g"].manual_seed(7)
        elif k % 2:
            holder["g"] = new_generator(7)
    run_twins(make, _batches(5), fuse=False, between=between)
