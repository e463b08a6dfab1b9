"""ad.compile over training steps of many kinds, each compared with eager execution over
twenty calls: every learning-rate scheduler, micro-batches, set_to_none, parameter
groups added, layers frozen, settings changed between calls, checkpointing, custom
Functions, tensors made from the batch size, nested outputs, in-place ops on inputs,
label dtypes, float32/float64 and batch sizes alternating, generators passed or not;
and what a replay cannot follow (an LBFGS closure, .item(), a hook registered between
calls), refused naming the op and line."""
import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn
import autodiff.nn.functional as F
from autodiff.compile import NotReplayedWarning, TraceError
from autodiff.utils.checkpoint import checkpoint

S = ad.optim.lr_scheduler
CALLS = 20


def _batch(i, n=8, dtype=np.float64):
    rng = np.random.default_rng(i)
    return rng.normal(size=(n, 3)).astype(dtype), rng.integers(0, 2, n)


def _relu_net():
    return nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU(), nn.Linear(4, 2, rng=1))


def _flat(value) -> list:
    if isinstance(value, dict):
        return [a for key in sorted(value) for a in _flat(value[key])]
    if isinstance(value, (list, tuple)):
        return [a for item in value for a in _flat(item)]
    return [np.array(value.numpy() if hasattr(value, "numpy") else value, dtype=float)]


def _losses_and_weights(build, compiled):
    """Every call's output (kept until the end: a replay must not overwrite what an
    earlier call returned) and the parameters after the last call."""
    step, feed, model = build()
    run = ad.compile(step) if compiled else step
    outputs = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotReplayedWarning)     # nothing left stale
        warnings.filterwarnings("ignore", "compile: step is traced again")
        for i in range(CALLS):
            args, after = feed(i, model)
            outputs.append(run(*args))
            if after is not None:
                after(i, model)
    return _flat(outputs) + [p.numpy().copy() for p in model.parameters()]


def _standard(model_of=_relu_net, optimizer_of=None, scheduler_of=None, body=None,
              between=None, batch_of=_batch):
    """A builder of the usual step: cross-entropy, zero_grad, backward, step (``body``
    replaces it), a scheduler stepped inside, ``between`` run after each call."""
    def build():
        model = model_of()
        opt = (optimizer_of or (lambda m: ad.optim.SGD(m.parameters(), lr=0.1)))(model)
        scheduler = scheduler_of(opt) if scheduler_of else None

        def step(x, y):
            if body is not None:
                return body(model, opt, x, y)
            loss = F.cross_entropy(model(ad.as_tensor(x)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if scheduler is not None:
                scheduler.step()
            return loss

        def feed(i, model):
            return batch_of(i), between and (lambda i, model: between(model, opt, i))
        return step, feed, model
    return build


def _sgd_momentum(m):
    return ad.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)


SCHEDULERS = {
    "StepLR": lambda o: S.StepLR(o, 3, 0.5),
    "MultiStepLR": lambda o: S.MultiStepLR(o, [2, 5, 9], 0.3),
    "ExponentialLR": lambda o: S.ExponentialLR(o, 0.9),
    "CosineAnnealingLR": lambda o: S.CosineAnnealingLR(o, 7),
    "LinearLR": lambda o: S.LinearLR(o, 0.2, 1.0, 6),
    "LambdaLR": lambda o: S.LambdaLR(o, lambda epoch: 1 / (1 + epoch)),
    "MultiplicativeLR": lambda o: S.MultiplicativeLR(o, lambda epoch: 0.95),
    "ConstantLR": lambda o: S.ConstantLR(o, 0.5, 4),
    "PolynomialLR": lambda o: S.PolynomialLR(o, 15, 2.0),
    "CosineAnnealingWarmRestarts": lambda o: S.CosineAnnealingWarmRestarts(o, 3, 2),
    "CyclicLR": lambda o: S.CyclicLR(o, 0.01, 0.1, step_size_up=3),
    "OneCycleLR": lambda o: S.OneCycleLR(o, 0.5, total_steps=CALLS + 5),
    "SequentialLR": lambda o: S.SequentialLR(
        o, [S.LinearLR(o, 0.1, 1.0, 3), S.ExponentialLR(o, 0.9)], milestones=[3]),
    "ChainedScheduler": lambda o: S.ChainedScheduler(
        [S.StepLR(o, 2, 0.5), S.ExponentialLR(o, 0.95)]),
}


def _plateau(model, opt, x, y):
    loss = F.cross_entropy(model(ad.as_tensor(x)), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    opt.plateau.step(loss.data)         # (the array, which each replay fills again)
    return loss


def _with_plateau(model):
    opt = ad.optim.SGD(model.parameters(), lr=0.5)
    opt.plateau = S.ReduceLROnPlateau(opt, patience=1)
    return opt


def _micro_batches(model, opt, x, y):
    opt.zero_grad()
    total = 0.0
    for start in range(0, x.shape[0], 4):
        loss = F.cross_entropy(model(ad.as_tensor(x[start:start + 4])), y[start:start + 4])
        (loss / 2).backward()
        total = total + loss.detach() / 2
    opt.step()
    return total


def _set_to_none(model, opt, x, y):
    model.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(ad.as_tensor(x)), y)
    loss.backward()
    opt.step()
    return loss


def _add_group(model, opt, i):
    if i == 4:
        opt.add_param_group({"params": model[2].parameters(), "lr": 0.05})


def _freeze(model, opt, i):
    if i in (3, 9):
        for p in model[0].parameters():
            p.requires_grad_(i == 9)


class _Tempered(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 2, rng=0)
        self.temperature = 1.0
        self.rectify = False

    def forward(self, x):
        out = self.lin(x) / self.temperature
        return ad.relu(out) if self.rectify else out


def _retemper(model, opt, i):
    model.temperature = 1.0 + 0.1 * i
    model.rectify = (i // 3) % 2 == 1


def _checkpointed(model, opt, x, y):
    hidden = checkpoint(model[0], ad.as_tensor(x))
    loss = F.cross_entropy(model[2](ad.relu(hidden)), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


class _Cube(ad.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


def _custom_function(model, opt, x, y):
    loss = F.cross_entropy(_Cube.apply(model(ad.as_tensor(x))), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


def _weights_from_batch_size(model, opt, x, y):
    n = x.shape[0]
    weights = ad.arange(n, dtype=np.float64) / n + ad.zeros(n)
    loss = (F.cross_entropy(model(ad.as_tensor(x)), y, reduction="none") * weights).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


def _nested_output(model, opt, x, y):
    logits = model(ad.as_tensor(x))
    loss = F.cross_entropy(logits, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    hits = (logits.argmax(1) == ad.as_tensor(y)).astype(np.float64).mean()
    return {"loss": loss, "more": (logits.detach(), [loss.detach() * 2, {"acc": hits}]),
            "grads": [p.grad for p in model.parameters()]}


def _in_place_on_input(model, opt, x, y):
    xt = ad.as_tensor(x)
    xt.mul_(2.0)
    loss = F.cross_entropy(model(xt), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


def _labels_of_dtype(i):
    x, y = _batch(i)
    return x, y.astype([np.int64, np.int32, np.int16, np.uint8][i % 4])


def _noisy(model, opt, x, y):
    xt = ad.as_tensor(x) + 0.1 * ad.randn(*x.shape)         # (the default generator)
    loss = F.cross_entropy(F.dropout(model(xt), 0.3, training=True), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


def _seeded(build):
    def seeded_build():
        ad.manual_seed(7)
        return build()
    return seeded_build


STEPS = {
    **{f"scheduler {name}": _standard(optimizer_of=_sgd_momentum, scheduler_of=make)
       for name, make in SCHEDULERS.items()},
    "ReduceLROnPlateau given loss.data": _standard(optimizer_of=_with_plateau,
                                                   body=_plateau),
    "micro-batches accumulated in the step": _standard(
        optimizer_of=lambda m: ad.optim.Adam(m.parameters(), lr=0.05), body=_micro_batches),
    "model.zero_grad(set_to_none=True)": _standard(optimizer_of=_sgd_momentum,
                                                   body=_set_to_none),
    "add_param_group between calls": _standard(
        optimizer_of=lambda m: ad.optim.SGD(m[0].parameters(), lr=0.1, momentum=0.9),
        between=_add_group),
    "requires_grad_ toggled between calls": _standard(
        optimizer_of=lambda m: ad.optim.Adam(m.parameters(), lr=0.1), between=_freeze),
    "lr set between calls": _standard(
        optimizer_of=lambda m: ad.optim.Adam(m.parameters(), lr=0.1),
        between=lambda m, o, i: o.param_groups[0].__setitem__("lr", 0.1 / (i + 2))),
    "betas set between calls": _standard(
        optimizer_of=lambda m: ad.optim.Adam(m.parameters(), lr=0.1),
        between=lambda m, o, i: o.param_groups[0].__setitem__("betas", (0.9 - i / 100,
                                                                        0.999))),
    "module float and flag changed between calls": _standard(model_of=_Tempered,
                                                             between=_retemper),
    "checkpoint": _standard(body=_checkpointed),
    "custom autograd.Function": _standard(model_of=lambda: nn.Linear(3, 2, rng=0),
                                          body=_custom_function),
    "arange/zeros sized by the batch": _standard(
        body=_weights_from_batch_size, batch_of=lambda i: _batch(i, 4 + i % 3)),
    "nested dict/tuple/list output with grads": _standard(body=_nested_output),
    "in-place op on an input": _standard(body=_in_place_on_input),
    "label dtypes alternating": _standard(batch_of=_labels_of_dtype),
    "float32 and float64 alternating": _standard(
        batch_of=lambda i: _batch(i, dtype=[np.float64, np.float32][i % 2])),
    "batch sizes beyond the plan cache": _standard(
        optimizer_of=lambda m: ad.optim.Adam(m.parameters(), lr=0.1),
        batch_of=lambda i: _batch(i, 2 + i % 12)),
    "randn and dropout from the default generator": _seeded(_standard(body=_noisy)),
}


#: Steps whose replays fuse a multiply and an add the eager ops round apart (a few ulp).
FUSED = {"arange/zeros sized by the batch"}


@pytest.mark.parametrize("kind", sorted(STEPS))
def test_a_compiled_step_equals_eager_bitwise_over_twenty_calls(kind):
    eager = _losses_and_weights(STEPS[kind], compiled=False)
    compiled = _losses_and_weights(STEPS[kind], compiled=True)
    assert len(compiled) == len(eager)
    for got, expected in zip(compiled, eager):
        if kind in FUSED:
            np.testing.assert_allclose(got, expected, rtol=4e-16, atol=4e-17)
        else:
            np.testing.assert_array_equal(got, expected)


def test_a_generator_passed_to_the_step_is_drawn_from_by_each_replay():
    def run(compiled):
        model = _relu_net()
        opt = ad.optim.SGD(model.parameters(), lr=0.1)

        def step(x, y, rng):
            h = F.dropout(model[0](ad.as_tensor(x) + 0.1 * ad.randn(*x.shape, rng=rng)),
                          0.3, training=True, rng=rng)
            loss = F.cross_entropy(model[2](h), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        run = ad.compile(step) if compiled else step
        rng = np.random.default_rng(11)
        return [run(*_batch(i), rng).item() for i in range(CALLS)], rng.random()
    assert run(True) == run(False)


def test_a_tanh_network_stays_within_a_few_ulp_where_fused():
    build = _standard(model_of=lambda: nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(),
                                                     nn.Linear(4, 2, rng=1)),
                      optimizer_of=lambda m: ad.optim.SGD(m[0].parameters(), lr=0.1,
                                                          momentum=0.9),
                      between=_add_group)
    eager = _losses_and_weights(build, compiled=False)
    compiled = _losses_and_weights(build, compiled=True)
    for got, expected in zip(compiled, eager):
        np.testing.assert_allclose(got, expected, rtol=0, atol=4e-16)


def _refusal(body):
    model = _relu_net()
    opt = ad.optim.LBFGS(model.parameters(), lr=0.5, max_iter=3) if body is _lbfgs else \
        ad.optim.SGD(model.parameters(), lr=0.1)
    step = ad.compile(lambda x, y: body(model, opt, x, y))
    with pytest.raises(TraceError) as info:
        step(*_batch(0))
    return str(info.value)


def _lbfgs(model, opt, x, y):
    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(model(ad.as_tensor(x)), y)
        loss.backward()
        return loss
    return opt.step(closure)


def _logs_item(model, opt, x, y):
    loss = F.cross_entropy(model(ad.as_tensor(x)), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(loss.item())
    return loss


def _plateau_given_the_tensor(model, opt, x, y):
    loss = F.cross_entropy(model(ad.as_tensor(x)), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    S.ReduceLROnPlateau(opt).step(loss)
    return loss


@pytest.mark.parametrize("body,says", [
    (_lbfgs, ["LBFGS.step", "a function", "closure"]),
    (_logs_item, ["item()", "cross_entropy", "outside the compiled function"]),
    (_plateau_given_the_tensor, ["ReduceLROnPlateau.step", "a Tensor", "t.data"]),
])
def test_what_a_replay_cannot_follow_is_refused_naming_the_op(body, says):
    message = _refusal(body)
    for words in says:
        assert words in message
    assert "test_compile_gaps_twentyfifth_steps.py:" in message


@pytest.mark.parametrize("register", [
    lambda m: m[0].weight.register_hook(lambda g: g * 0.5),
    lambda m: m[0].weight.register_post_accumulate_grad_hook(lambda p: None),
    lambda m: m[0].register_forward_pre_hook(lambda module, args: (args[0] * 2,)),
    lambda m: m[2].register_forward_hook(lambda module, args, out: out * 2),
    lambda m: m[2].register_full_backward_pre_hook(lambda module, grads: (grads[0] * 3,)),
], ids=["tensor", "post-accumulate", "forward-pre", "forward", "backward-pre"])
def test_a_hook_registered_between_calls_is_refused_at_the_next_call(register):
    model = _relu_net()
    opt = ad.optim.SGD(model.parameters(), lr=0.1)

    @ad.compile
    def step(x, y):
        loss = F.cross_entropy(model(ad.as_tensor(x)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    for i in range(3):
        step(*_batch(i))
    handle = register(model)
    try:
        with pytest.raises(TraceError) as info:
            step(*_batch(3))
    finally:
        handle.remove()
    assert "hook" in str(info.value)
    step(*_batch(4))                    # (removed: the plan fits again)
