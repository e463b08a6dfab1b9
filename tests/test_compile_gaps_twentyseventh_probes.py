"""ad.compile probes: training steps compared with eager execution call by call.

Each step runs 20 calls eagerly and compiled, from the same start, and the losses,
metrics and parameters must agree (to a few ulp where a plan fuses): attention with
masks as arguments, a conv net with batch norm switched between train and eval,
dropout with rng=, label smoothing, a scheduler stepped between calls, a dict of
metrics, gradient accumulation inside one call and across calls, freezing and
unfreezing, add_param_group, float32, tied embedding weights with integer inputs,
a batch size changing at every call, vmap inside a step, an LSTM with gradient
clipping, an average of the parameters, settings changed between calls, a
reinitialised or replaced parameter, a reloaded optimizer state.  A learning rate
set inside the step from a Python number is refused naming the line.
"""

import copy
import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn
import autodiff.nn.functional as F
from autodiff.compile import TraceError

CALLS = 20


def _run(build, compile_it):
    step, call = build()
    if compile_it:
        step = ad.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = [[np.array(v, dtype=float) for v in call(i, step)] for i in range(CALLS)]
    return results, getattr(step, "traces", None)


# 1 MHA with masks as arguments
def _b_mha():
    mha = nn.MultiheadAttention(8, 2, batch_first=True, rng=0)
    opt = ad.optim.Adam(mha.parameters(), lr=1e-2)
    r = np.random.default_rng(1)
    xs = [ad.tensor(r.normal(size=(2, 5, 8))) for _ in range(CALLS)]
    masks = [r.random((2, 5)) < 0.3 for _ in range(CALLS)]
    for m in masks:
        m[:, 0] = False
    causal = np.triu(np.ones((5, 5), bool), 1)
    def step(x, kpm):
        out, w = mha(x, x, x, key_padding_mask=kpm, attn_mask=causal)
        loss = (out ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss, w
    return step, lambda i, s: [v.data if hasattr(v, "data") else v for v in s(xs[i], masks[i])]

# 2 conv + BN train/eval switched between calls
def _b_convbn():
    net = nn.Sequential(nn.Conv2d(1, 3, 3, rng=0), nn.BatchNorm2d(3), nn.ReLU(),
                        nn.Flatten(), nn.Linear(3 * 4 * 4, 2, rng=1))
    opt = ad.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    r = np.random.default_rng(2)
    xs = [ad.tensor(r.normal(size=(4, 1, 6, 6))) for _ in range(CALLS)]
    ys = [r.integers(0, 2, 4) for _ in range(CALLS)]
    def step(x, y):
        loss = F.cross_entropy(net(x), y)
        if net.training:
            opt.zero_grad()
            loss.backward()
            opt.step()
        return loss
    def call(i, s):
        net.train(i % 3 != 2)
        out = s(xs[i], ys[i])
        return [out.data, net[1].running_mean.data, net[1].running_var.data]
    return step, call

# 3 dropout with rng=
def _b_dropout():
    lin = nn.Linear(6, 3, rng=0)
    opt = ad.optim.SGD(lin.parameters(), lr=0.1)
    gen = np.random.default_rng(5)
    x = ad.tensor(np.random.default_rng(3).normal(size=(4, 6)))
    def step(x):
        h = F.dropout(x, 0.3, rng=gen)
        loss = (lin(h) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step, lambda i, s: [s(x).data, lin.weight.data]

# 4 label smoothing
def _b_smooth():
    lin = nn.Linear(5, 4, rng=0)
    opt = ad.optim.AdamW(lin.parameters(), lr=1e-2, weight_decay=0.1)
    r = np.random.default_rng(4)
    xs = [ad.tensor(r.normal(size=(6, 5))) for _ in range(CALLS)]
    ys = [r.integers(0, 4, 6) for _ in range(CALLS)]
    def step(x, y):
        loss = F.cross_entropy(lin(x), y, label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step, lambda i, s: [s(xs[i], ys[i]).data, lin.weight.data]

# 6 scheduler stepped outside
def _b_sched():
    lin = nn.Linear(3, 1, rng=0)
    opt = ad.optim.SGD(lin.parameters(), lr=0.1, momentum=0.5)
    sch = ad.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    x = ad.tensor(np.linspace(-1, 1, 12).reshape(4, 3))
    def step(x):
        loss = (lin(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    def call(i, s):
        out = s(x)
        sch.step()
        return [out.data, lin.weight.data]
    return step, call

# 7 dict of metrics
def _b_dict():
    lin = nn.Linear(4, 3, rng=0)
    opt = ad.optim.Adam(lin.parameters(), lr=1e-2)
    r = np.random.default_rng(6)
    xs = [ad.tensor(r.normal(size=(5, 4))) for _ in range(CALLS)]
    ys = [r.integers(0, 3, 5) for _ in range(CALLS)]
    def step(x, y):
        logits = lin(x)
        loss = F.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        with ad.no_grad():
            acc = (logits.argmax(-1) == ad.tensor(y)).float().mean()
        gnorm = ad.sqrt((ad.as_tensor(lin.weight.grad) ** 2).sum())
        return {"loss": loss, "acc": acc, "gnorm": gnorm}
    def call(i, s):
        d = s(xs[i], ys[i])
        return [d["loss"].item(), d["acc"].item(), d["gnorm"].item(), lin.weight.data]
    return step, call

# 8 grad accumulation over micro-batches in one call
def _b_accum():
    net = nn.MLP([3, 8, 1], rng=0)
    opt = ad.optim.Adam(net.parameters(), lr=1e-2)
    r = np.random.default_rng(7)
    xs = [ad.tensor(r.normal(size=(8, 3))) for _ in range(CALLS)]
    def step(x):
        opt.zero_grad()
        total = 0.0
        for k in range(4):
            loss = (net(x[2 * k:2 * k + 2]) ** 2).mean() / 4
            loss.backward()
            total = total + loss.detach()
        opt.step()
        return total
    return step, lambda i, s: [s(xs[i]).data, next(iter(net.parameters())).data]

# 9 freeze/unfreeze between calls
def _b_freeze():
    l1 = nn.Linear(3, 4, rng=0)
    l2 = nn.Linear(4, 1, rng=1)
    opt = ad.optim.SGD(list(l1.parameters()) + list(l2.parameters()), lr=0.1)
    x = ad.tensor(np.linspace(-1, 1, 12).reshape(4, 3))
    def step(x):
        loss = (l2(l1(x).tanh()) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    def call(i, s):
        for p in l1.parameters():
            p.requires_grad_(not (5 <= i < 12))
        return [s(x).data, l1.weight.data, l2.weight.data]
    return step, call

# 10 add_param_group between calls
def _b_addgroup():
    l1 = nn.Linear(3, 4, rng=0)
    l2 = nn.Linear(4, 1, rng=1)
    opt = ad.optim.Adam(l2.parameters(), lr=1e-2)
    x = ad.tensor(np.linspace(-1, 1, 12).reshape(4, 3))
    def step(x):
        loss = (l2(l1(x).tanh()) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    def call(i, s):
        if i == 6:
            opt.add_param_group({"params": list(l1.parameters()), "lr": 5e-3})
        return [s(x).data, l1.weight.data, l2.weight.data]
    return step, call

# 12 float32 model
def _b_f32():
    net = nn.MLP([3, 16, 2], rng=0)
    for p in net.parameters():
        p.data = p.data.astype(np.float32)
    opt = ad.optim.Adam(net.parameters(), lr=1e-2)
    r = np.random.default_rng(8)
    xs = [ad.tensor(r.normal(size=(6, 3)).astype(np.float32)) for _ in range(CALLS)]
    ys = [r.integers(0, 2, 6) for _ in range(CALLS)]
    def step(x, y):
        loss = F.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step, lambda i, s: [s(xs[i], ys[i]).data, next(iter(net.parameters())).data]

# 13 tied weights + 14 embedding int inputs change each call
def _b_tied():
    emb = nn.Embedding(10, 4, rng=0)
    bias = ad.tensor(np.zeros(10), requires_grad=True)
    opt = ad.optim.Adam(list(emb.parameters()) + [bias], lr=1e-2)
    r = np.random.default_rng(9)
    idx = [r.integers(0, 10, (3, 5)) for _ in range(CALLS)]
    def step(ids):
        h = emb(ids)
        logits = h @ emb.weight.T + bias
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, 10), ids[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step, lambda i, s: [s(idx[i]).data, emb.weight.data]

# 14b embedding ids passed as a tensor of ints
def _b_embtensor():
    emb = nn.Embedding(10, 4, rng=0)
    opt = ad.optim.SGD(emb.parameters(), lr=0.5)
    r = np.random.default_rng(10)
    idx = [ad.tensor(r.integers(0, 10, 6)) for _ in range(CALLS)]
    def step(ids):
        loss = (emb(ids) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step, lambda i, s: [s(idx[i]).data, emb.weight.data]

# 15 batch size changes each call
def _b_batch():
    lin = nn.Linear(3, 1, rng=0)
    opt = ad.optim.SGD(lin.parameters(), lr=0.1)
    r = np.random.default_rng(11)
    xs = [ad.tensor(r.normal(size=(2 + i, 3))) for i in range(CALLS)]
    def step(x):
        loss = (lin(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step, lambda i, s: [s(xs[i]).data, lin.weight.data]

# 16 vmap inside (per-example loss) without transform grad
def _b_vmap():
    w = ad.tensor(np.linspace(0.1, 0.3, 3), requires_grad=True)
    opt = ad.optim.SGD([w], lr=0.1)
    r = np.random.default_rng(12)
    xs = [ad.tensor(r.normal(size=(4, 3))) for _ in range(CALLS)]
    def step(x):
        per = ad.func.vmap(lambda row: (row * w).sum() ** 2)(x)
        loss = per.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step, lambda i, s: [s(xs[i]).data, w.data]

# 17 clip_grad_norm_ + LSTM
def _b_lstm():
    lstm = nn.LSTM(3, 4, batch_first=True, rng=0)
    head = nn.Linear(4, 1, rng=1)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = ad.optim.RMSprop(params, lr=1e-2)
    r = np.random.default_rng(13)
    xs = [ad.tensor(r.normal(size=(2, 5, 3))) for _ in range(CALLS)]
    def step(x):
        out, _ = lstm(x)
        loss = (head(out[:, -1]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        norm = nn.utils.clip_grad_norm_(params, 0.1)
        opt.step()
        return loss, norm
    return step, lambda i, s: [getattr(v, "data", v) for v in s(xs[i])] + [head.weight.data]

# 18 EMA of params under no_grad
def _b_ema():
    lin = nn.Linear(3, 2, rng=0)
    ema = [ad.tensor(p.data.copy()) for p in lin.parameters()]
    opt = ad.optim.SGD(lin.parameters(), lr=0.1)
    x = ad.tensor(np.linspace(-1, 1, 12).reshape(4, 3))
    def step(x):
        loss = (lin(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        with ad.no_grad():
            for e, p in zip(ema, lin.parameters()):
                e.mul_(0.9).add_(p * 0.1)
        return loss
    return step, lambda i, s: [s(x).data, ema[0].data]

# 19 momentum changed in param_groups between calls
def _b_momentum():
    lin = nn.Linear(3, 1, rng=0)
    opt = ad.optim.SGD(lin.parameters(), lr=0.1, momentum=0.9)
    x = ad.tensor(np.linspace(-1, 1, 12).reshape(4, 3))
    def step(x):
        loss = (lin(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    def call(i, s):
        opt.param_groups[0]["momentum"] = 0.9 if i < 10 else 0.5
        return [s(x).data, lin.weight.data]
    return step, call

# 20 loss weight as a tensor scalar read via .item() that changes
def _b_item():
    lin = nn.Linear(3, 1, rng=0)
    opt = ad.optim.SGD(lin.parameters(), lr=0.1)
    scale = ad.tensor(1.0)
    x = ad.tensor(np.linspace(-1, 1, 12).reshape(4, 3))
    def step(x):
        loss = (lin(x) ** 2).mean() * scale.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    def call(i, s):
        scale.data[...] = 1.0 + (i % 3)
        return [s(x).data, lin.weight.data]
    return step, call

# 21 micro-batch with grad accumulated across calls (zero_grad every 2 calls outside)
def _b_accum_calls():
    lin = nn.Linear(3, 1, rng=0)
    opt = ad.optim.SGD(lin.parameters(), lr=0.1)
    r = np.random.default_rng(14)
    xs = [ad.tensor(r.normal(size=(4, 3))) for _ in range(CALLS)]
    def step(x):
        loss = (lin(x) ** 2).mean()
        loss.backward()
        return loss
    def call(i, s):
        out = s(xs[i])
        if i % 2:
            opt.step()
            opt.zero_grad()
        return [out.data, lin.weight.data]
    return step, call


# 22 p.data rebound between calls (reinitialised)
def _b_rebind():
    lin = nn.Linear(3, 1, rng=0)
    opt = ad.optim.SGD(lin.parameters(), lr=0.1, momentum=0.9)
    x = ad.tensor(np.linspace(-1, 1, 12).reshape(4, 3))
    def step(x):
        loss = (lin(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    def call(i, s):
        if i == 7:
            lin.weight.data = np.full((3, 1), 0.5)
        return [s(x).data, lin.weight.data]
    return step, call

# 23 optimizer load_state_dict between calls
def _b_loadstate():
    lin = nn.Linear(3, 1, rng=0)
    opt = ad.optim.Adam(lin.parameters(), lr=0.05)
    x = ad.tensor(np.linspace(-1, 1, 12).reshape(4, 3))
    saved = {}
    def step(x):
        loss = (lin(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    def call(i, s):
        if i == 4:
            saved["s"] = copy.deepcopy(opt.state_dict())
        if i == 9:
            opt.load_state_dict(saved["s"])
        return [s(x).data, lin.weight.data]
    return step, call

# 24 MHA with dropout rng in train mode, eval switched
def _b_mhadrop():
    mha = nn.MultiheadAttention(8, 2, dropout=0.2, batch_first=True, rng=0)
    opt = ad.optim.SGD(mha.parameters(), lr=1e-2)
    r = np.random.default_rng(1)
    xs = [ad.tensor(r.normal(size=(2, 5, 8))) for _ in range(CALLS)]
    def step(x):
        out, _ = mha(x, x, x, need_weights=False)
        loss = (out ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    def call(i, s):
        mha.train(i % 4 != 3)
        return [s(xs[i]).data]
    return step, call

# 25 parameter replaced by assignment between calls
def _b_paramswap():
    lin = nn.Linear(3, 1, rng=0)
    x = ad.tensor(np.linspace(-1, 1, 12).reshape(4, 3))
    holder = {}
    def step(x):
        opt = holder["opt"]
        loss = (lin(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    holder["opt"] = ad.optim.SGD(lin.parameters(), lr=0.1)
    def call(i, s):
        if i == 5:
            lin.weight = nn.Parameter(np.full((3, 1), 0.3))
            holder["opt"] = ad.optim.SGD(lin.parameters(), lr=0.1)
        return [s(x).data, lin.weight.data]
    return step, call

# 26 one_hot of int inputs, num_classes given
def _b_onehot():
    lin = nn.Linear(5, 1, rng=0)
    opt = ad.optim.SGD(lin.parameters(), lr=0.1)
    r = np.random.default_rng(15)
    ids = [r.integers(0, 5, 4) for _ in range(CALLS)]
    def step(i):
        loss = (lin(F.one_hot(ad.tensor(i), 5) * 1.0) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step, lambda i, s: [s(ids[i]).data, lin.weight.data]


_PROBES = {name[3:]: build for name, build in list(globals().items())
           if name.startswith("_b_")}
_TRACES = {"convbn": 2, "freeze": 2, "batch": CALLS, "mhadrop": 2, "item": 3,
           "paramswap": 2}


@pytest.mark.parametrize("name", sorted(_PROBES))
def test_compiled_step_matches_eager_over_twenty_calls(name):
    eager, _ = _run(_PROBES[name], False)
    compiled, traces = _run(_PROBES[name], True)
    for eager_call, compiled_call in zip(eager, compiled):
        for e, c in zip(eager_call, compiled_call):
            np.testing.assert_allclose(c, e, rtol=1e-13, atol=1e-300)
    assert traces == _TRACES.get(name, 1)
    changed = [not np.array_equal(a[0], b[0]) for a, b in zip(eager, eager[1:])]
    assert any(changed)         # (the calls differ: a stale replay would show)


def test_a_learning_rate_set_in_the_step_from_a_python_number_is_refused():
    lin = nn.Linear(3, 1, rng=0)
    opt = ad.optim.SGD(lin.parameters(), lr=0.1)
    settings = {"lr": 0.05}

    def step(x):
        for group in opt.param_groups:
            group["lr"] = settings["lr"]
        loss = (lin(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    with pytest.raises(TraceError, match=r"param_groups\[0\]\['lr'\].*a replay would not "
                       r"repeat the assignment"):
        ad.compile(step)(ad.tensor(np.ones((4, 3))))
