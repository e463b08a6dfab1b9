"""ad.compile against eager execution on training steps of kinds earlier rounds did not
cover: two optimizers (a GAN), clipping by norm and by value, a weight average kept
in the step, a dict of loss terms weighted by changing Python floats, distillation from
a frozen teacher, in-batch negatives, distributions with rng=, masks from comparisons,
parameters replaced, state loaded and weight decay changed between calls, a dict
argument whose structure changes, a returned tensor the caller changes in place.
Each runs ~20 calls eagerly and compiled from the same start, and compares the
values returned and the parameters left, bitwise in float64 (or to a few ulp where the
compiled step fuses elementwise work)."""
import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn
import autodiff.nn.functional as F
from autodiff.compile import NotReplayedWarning

_CALLS = 20


def _run(make, compile_it, calls=_CALLS):
    step, arguments, state = make()
    run = ad.compile(step) if compile_it else step
    outputs = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotReplayedWarning)
        warnings.simplefilter("ignore", RuntimeWarning)        # (traced again)
        for k in range(calls):
            out = run(*arguments(k))
            outputs.append([np.array(t.data if isinstance(t, ad.Tensor) else t, copy=True)
                            for t in (out if isinstance(out, (tuple, list)) else [out])])
    return outputs, [np.array(a, copy=True) for a in state()], run


def _agree(make, rtol=0.0, calls=_CALLS):
    eager, eager_state, _ = _run(make, False, calls)
    compiled, compiled_state, run = _run(make, True, calls)
    for got, want in zip(compiled + [compiled_state], eager + [eager_state]):
        for a, b in zip(got, want):
            if rtol:
                np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-300)
            else:
                assert a.dtype == b.dtype and np.array_equal(a, b)
    return run


def _params(*modules):
    return lambda: [p.data for m in modules for p in m.parameters()]


def _data(n=8, d=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


def make_gan():
    gen, disc = nn.Linear(2, 3, rng=0), nn.Sequential(nn.Linear(3, 4, rng=1), nn.Tanh(),
                                                      nn.Linear(4, 1, rng=2))
    g_opt = ad.optim.Adam(gen.parameters(), lr=0.01)
    d_opt = ad.optim.SGD(disc.parameters(), lr=0.05, momentum=0.9)
    real, noise = _data(), _data(8, 2, seed=1)

    def step(real, z):
        fake = gen(z)
        d_loss = (F.binary_cross_entropy_with_logits(disc(real), ad.ones((8, 1)))
                  + F.binary_cross_entropy_with_logits(disc(fake.detach()), ad.zeros((8, 1))))
        d_opt.zero_grad()
        d_loss.backward()
        d_opt.step()
        g_loss = F.binary_cross_entropy_with_logits(disc(fake), ad.ones((8, 1)))
        g_opt.zero_grad()
        g_loss.backward()
        g_opt.step()
        return d_loss, g_loss

    return step, lambda k: (real + 0.01 * k, noise * (1 + 0.1 * k)), _params(gen, disc)


def make_clipped(kind):
    def make():
        model = nn.MLP([3, 5, 1], rng=0)
        opt = ad.optim.SGD(model.parameters(), lr=0.5)
        x, y = _data(), _data(8, 1, seed=2)

        def step(x, y):
            loss = F.mse_loss(model(x), y) * 30.0
            opt.zero_grad()
            loss.backward()
            if kind == "norm":
                total = nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            else:
                nn.utils.clip_grad_value_(model.parameters(), 0.05)
                total = loss
            opt.step()
            return loss, total

        return step, lambda k: (x * (1 + 0.05 * k), y), _params(model)
    return make


def make_weight_average():
    model = nn.Linear(3, 2, rng=0)
    average = [ad.tensor(p.data.copy()) for p in model.parameters()]
    opt = ad.optim.Adam(model.parameters(), lr=0.05)
    x = _data()

    def step(x):
        loss = (model(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        with ad.no_grad():
            for a, p in zip(average, model.parameters()):
                a.mul_(0.9).add_(p * 0.1)
        return loss

    return step, lambda k: (x + 0.1 * k,), lambda: [a.data for a in average] + _params(model)()


WEIGHTS = {"fit": 1.0, "size": 0.1}


def make_weighted_terms():
    model = nn.Linear(3, 2, rng=0)
    opt = ad.optim.SGD(model.parameters(), lr=0.1)
    x, y = _data(), _data(8, 2, seed=3)

    def step(x, y):
        out = model(x)
        terms = {"fit": F.mse_loss(out, y), "size": (model.weight ** 2).sum()}
        loss = sum(WEIGHTS[name] * term for name, term in terms.items())
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    def arguments(k):
        WEIGHTS["size"] = 0.1 if k % 4 < 2 else 0.3      # (between calls)
        return x, y

    return step, arguments, _params(model)


def make_distillation():
    teacher = nn.MLP([3, 6, 4], rng=5)
    teacher.eval()
    for p in teacher.parameters():
        p.requires_grad = False
    student = nn.Linear(3, 4, rng=0)
    opt = ad.optim.Adam(student.parameters(), lr=0.02)
    x = _data()

    def step(x, temperature):
        with ad.no_grad():
            soft = F.softmax(teacher(x) / temperature, axis=-1)
        log_p = F.log_softmax(student(x) / temperature, axis=-1)
        loss = -(soft * log_p).sum(axis=-1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step, lambda k: (x * (1 + 0.02 * k), ad.tensor(2.0 + (k % 3))), _params(student, teacher)


def make_contrastive():
    encoder = nn.Linear(3, 4, rng=0)
    opt = ad.optim.SGD(encoder.parameters(), lr=0.1)
    a, b = _data(), _data(seed=4)
    labels = np.arange(8)           # (made outside: a replay reads it as it is)

    def step(a, b):
        za, zb = encoder(a), encoder(b)
        za = za / ((za ** 2).sum(axis=1, keepdims=True) ** 0.5)
        zb = zb / ((zb ** 2).sum(axis=1, keepdims=True) ** 0.5)
        logits = za @ zb.T / 0.1
        loss = F.cross_entropy(logits, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step, lambda k: (a + 0.05 * k, b - 0.05 * k), _params(encoder)


def make_distributions():
    loc = nn.Parameter(np.zeros(3))
    log_scale = nn.Parameter(np.zeros(3))
    opt = ad.optim.Adam([loc, log_scale], lr=0.05)
    target = np.array([1.0, -1.0, 0.5])
    rng = np.random.default_rng(7)

    def step(rng):
        q = ad.distributions.Normal(loc, ad.exp(log_scale))
        z = q.rsample((16,), rng=rng)
        loss = ((z - target) ** 2).mean() + q.log_prob(z).mean() * 0.1
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step, lambda k: (rng,), lambda: [loc.data, log_scale.data]


def make_masked():
    model = nn.Linear(3, 1, rng=0)
    opt = ad.optim.SGD(model.parameters(), lr=0.1)
    x = _data()

    def step(x):
        out = model(x)
        mask = (x[:, :1] > 0) & (out < 1.0)
        loss = (ad.where(mask, out ** 2, out * 0.0)).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss, mask

    return step, lambda k: (x * (1 - 0.1 * k),), _params(model)


def make_replaced_parameter():
    model = nn.Linear(3, 2, rng=0)
    opt_box = [ad.optim.SGD(model.parameters(), lr=0.1)]
    x = _data()

    def step(x):
        loss = (model(x) ** 2).mean()
        opt_box[0].zero_grad()
        loss.backward()
        opt_box[0].step()
        return loss

    def arguments(k):
        if k == 7:
            model.weight = nn.Parameter(np.full((3, 2), 0.25))
            opt_box[0] = ad.optim.SGD(model.parameters(), lr=0.1)
        return (x,)

    return step, arguments, _params(model)


def make_loaded_state():
    model = nn.Linear(3, 2, rng=0)
    opt = ad.optim.Adam(model.parameters(), lr=0.05)
    saved = {}
    x = _data()

    def step(x):
        loss = (model(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    def arguments(k):
        if k == 5:
            saved["model"] = {k2: v.copy() for k2, v in model.state_dict().items()}
            saved["opt"] = opt.state_dict()
        if k in (9, 15):
            model.load_state_dict(saved["model"])
            opt.load_state_dict(saved["opt"])
        return (x,)

    return step, arguments, _params(model)


def make_weight_decay_groups():
    model = nn.Linear(3, 2, rng=0)
    opt = ad.optim.SGD([{"params": [model.weight], "weight_decay": 0.1},
                        {"params": [model.bias]}], lr=0.1)
    x = _data()

    def step(x):
        loss = (model(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    def arguments(k):
        opt.param_groups[0]["weight_decay"] = 0.1 if k < 10 else 0.5
        return (x,)

    return step, arguments, _params(model)


def make_scheduler_outside():
    model = nn.Linear(3, 2, rng=0)
    opt = ad.optim.Adam(model.parameters(), lr=0.05)
    sched = ad.optim.lr_scheduler.StepLR(opt, 3, gamma=0.5)
    x = _data()

    def step(x):
        loss = (model(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    def arguments(k):
        if k:
            sched.step()
        return (x,)

    return step, arguments, _params(model)


def make_changing_structure():
    model = nn.Linear(3, 1, rng=0)
    opt = ad.optim.SGD(model.parameters(), lr=0.05)
    x = _data()

    def step(batch):
        loss = sum((model(part) ** 2).mean() for part in batch["parts"]) * batch["scale"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    def arguments(k):
        parts = [x[: 2 + (k % 3)], x[4:]] if k % 2 else [x]
        return ({"parts": [ad.tensor(p) for p in parts], "scale": ad.tensor(1.0 + k)},)

    return step, arguments, _params(model)


_BITWISE = {"gan": make_gan, "clip_norm": make_clipped("norm"),
            "clip_value": make_clipped("value"), "weight_average": make_weight_average,
            "weighted_terms": make_weighted_terms, "distillation": make_distillation,
            "contrastive": make_contrastive, "distributions": make_distributions,
            "masked": make_masked,
            "replaced_parameter": make_replaced_parameter, "loaded_state": make_loaded_state,
            "weight_decay_groups": make_weight_decay_groups,
            "scheduler_outside": make_scheduler_outside,
            "changing_structure": make_changing_structure}


@pytest.mark.parametrize("name", sorted(_BITWISE))
def test_a_compiled_step_agrees_with_eager(name):
    _agree(_BITWISE[name], rtol=1e-13)


def _returned_and_changed(compile_it):
    w = nn.Parameter(np.ones(3))
    opt = ad.optim.SGD([w], lr=0.1)

    def step(x):
        out = w * x
        loss = (out ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return out.detach(), loss

    run = ad.compile(step) if compile_it else step
    seen = []
    for k in range(_CALLS):
        out, loss = run(np.arange(3.0) + k)
        seen.append((out.data.copy(), loss.item()))
        out.data += 100.0               # (the caller changes what it was given)
    return seen, w.data.copy()


def test_a_returned_tensor_the_caller_changes_in_place_leaves_the_next_call_alone():
    (eager, w_eager), (compiled, w_compiled) = (_returned_and_changed(False),
                                                _returned_and_changed(True))
    assert np.array_equal(w_eager, w_compiled)
    for (a, la), (b, lb) in zip(eager, compiled):
        assert np.array_equal(a, b) and la == lb
