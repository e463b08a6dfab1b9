"""What the fifth round of PyTorch scripts found missing, each checked by hand first
and then against PyTorch where it is installed: forward hooks registered with
``with_kwargs``, ``prepend`` and ``always_call``; ``lr_scheduler._LRScheduler`` (the
older name custom schedules subclass) and ``autograd.Variable`` of old scripts;
``init._calculate_fan_in_and_fan_out`` of custom ``reset_parameters``; ``numpy(force=)``;
``register_post_accumulate_grad_hook`` (the optimizer step during backward), and
compiled replays that no longer skip a gradient hook registered after the trace;
an optimizer's ``register_step_pre_hook`` / ``register_step_post_hook``."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

R = np.random.default_rng(55)


class _Scaled(nn.Module):
    def __init__(self, lib=ad):
        super().__init__()
        self.lin = lib.nn.Linear(2, 2)

    def forward(self, x, scale=1.0, fail=False):
        if fail:
            raise ValueError("forward failed")
        return self.lin(x) * scale


# --- forward hooks: with_kwargs, prepend, always_call -------------------------------

def test_a_pre_hook_with_kwargs_sees_and_replaces_the_keyword_arguments():
    model = _Scaled()
    x = ad.tensor(R.normal(size=(3, 2)))
    plain = model.lin(x).numpy()
    seen = []

    def double_the_scale(module, args, kwargs):
        seen.append(dict(kwargs))
        return args, {**kwargs, "scale": kwargs.get("scale", 1.0) * 2}

    handle = model.register_forward_pre_hook(double_the_scale, with_kwargs=True)
    np.testing.assert_allclose(model(x, scale=3.0).numpy(), plain * 6)
    np.testing.assert_allclose(model(x).numpy(), plain * 2)
    assert seen == [{"scale": 3.0}, {}]
    handle.remove()
    assert not model.__dict__["_forward_pre_hooks_with_kwargs"]
    np.testing.assert_allclose(model(x, scale=3.0).numpy(), plain * 3)


def test_a_pre_hook_with_kwargs_must_return_none_or_args_and_kwargs():
    model = _Scaled()
    model.register_forward_pre_hook(lambda m, args, kwargs: args, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"_Scaled: a forward pre-hook registered with "
                                           r"with_kwargs=True must return None or a tuple "
                                           r"of \(new_args, new_kwargs\)"):
        model(ad.ones(1, 2))


def test_a_forward_hook_with_kwargs_gets_them_before_the_output():
    model = _Scaled()
    x = ad.tensor(R.normal(size=(2, 2)))
    model.register_forward_hook(lambda m, args, kwargs, out: out + kwargs["scale"],
                                with_kwargs=True)
    np.testing.assert_allclose(model(x, scale=2.0).numpy(), model.lin(x).numpy() * 2 + 2)


def test_prepend_runs_a_hook_before_those_already_registered():
    model = _Scaled()
    order = []
    model.register_forward_pre_hook(lambda m, a: order.append("pre 1"))
    first = model.register_forward_pre_hook(lambda m, a: order.append("pre 0"), prepend=True)
    model.register_forward_hook(lambda m, a, o: order.append("hook 1"))
    model.register_forward_hook(lambda m, a, o: order.append("hook 0"), prepend=True)
    model(ad.ones(1, 2))
    assert order == ["pre 0", "pre 1", "hook 0", "hook 1"]
    first.remove()
    order.clear()
    model(ad.ones(1, 2))
    assert order == ["pre 1", "hook 0", "hook 1"]


def test_an_always_called_hook_runs_with_none_when_forward_raises():
    model = _Scaled()
    outputs = []
    model.register_forward_hook(lambda m, a, out: outputs.append(out), always_call=True)
    model.register_forward_hook(lambda m, a, out: outputs.append("ordinary"))
    with pytest.raises(ValueError, match="forward failed"):
        model(ad.ones(1, 2), fail=True)
    assert outputs == [None]
    model(ad.ones(1, 2))
    assert len(outputs) == 3 and outputs[2] == "ordinary"

    def broken(m, a, out):
        raise KeyError("in the hook")

    model.register_forward_hook(broken, always_call=True)
    with pytest.warns(UserWarning, match="always_call=True raised KeyError"):
        with pytest.raises(ValueError, match="forward failed"):
            model(ad.ones(1, 2), fail=True)


def test_hook_options_match_torch():
    torch = pytest.importorskip("torch")

    def run(lib):
        class Scaled(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = lib.nn.Linear(2, 2)

            def forward(self, x, scale=1.0, fail=False):
                if fail:
                    raise ValueError("boom")
                return self.lin(x) * scale

        model = Scaled()
        if lib is ad:
            model.lin.load_torch_state_dict(start)
        else:
            model.double().lin.load_state_dict({k: lib.from_numpy(v) for k, v in start.items()})
        log = []
        model.register_forward_pre_hook(
            lambda m, args, kwargs: (args, {**kwargs, "scale": 2.0}), with_kwargs=True)
        model.register_forward_pre_hook(lambda m, args: log.append("pre first"), prepend=True)
        model.register_forward_hook(
            lambda m, args, kwargs, out: log.append(sorted(kwargs)) or out + 1,
            with_kwargs=True)
        model.register_forward_hook(lambda m, args, out: log.append(out is None),
                                    always_call=True)
        x = lib.from_numpy(R_FIXED)
        out = model(x, scale=3.0)
        try:
            model(x, fail=True)
        except ValueError as error:
            log.append(str(error))
        return log, out.detach().numpy()

    R_FIXED = np.random.default_rng(0).normal(size=(2, 2))
    start = {"weight": R.normal(size=(2, 2)), "bias": R.normal(size=2)}
    theirs = run(torch)
    ours = run(ad)
    assert ours[0] == theirs[0]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)


# --- _LRScheduler and Variable, names of older scripts -----------------------------

class _Warmup:
    """A custom warm-up schedule written as in older scripts, for either library."""

    @staticmethod
    def make(lib):
        class WarmupLR(lib.optim.lr_scheduler._LRScheduler):
            def __init__(self, optimizer, warmup_steps, last_epoch=-1):
                self.warmup_steps = warmup_steps
                super().__init__(optimizer, last_epoch)

            def get_lr(self):
                factor = min(1.0, (self.last_epoch + 1) / self.warmup_steps)
                return [base_lr * factor for base_lr in self.base_lrs]
        return WarmupLR


def test_a_custom_schedule_subclasses_the_older_lr_scheduler_name():
    assert issubclass(ad.optim.lr_scheduler._LRScheduler, ad.optim.lr_scheduler.LRScheduler)
    w = nn.Parameter([1.0])
    optimizer = ad.optim.SGD([w], lr=0.4)
    scheduler = _Warmup.make(ad)(optimizer, warmup_steps=4)
    lrs = [optimizer.param_groups[0]["lr"]]
    for _ in range(5):
        w.grad = np.zeros(1)
        optimizer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    np.testing.assert_allclose(lrs, [0.1, 0.2, 0.3, 0.4, 0.4, 0.4])
    assert scheduler.state_dict()["warmup_steps"] == 4


def test_variable_is_a_detached_tensor_sharing_the_values():
    x = ad.tensor([1.0, 2.0])
    v = ad.autograd.Variable(x, requires_grad=True)
    assert type(v) is ad.Tensor and v is not x and v.requires_grad and v.is_leaf
    assert np.shares_memory(v.numpy(), x.numpy())
    made = ad.tensor([1.0], requires_grad=True) * 3
    plain = ad.autograd.Variable(made)
    assert not plain.requires_grad and plain.grad_fn is None
    assert isinstance(ad.zeros(1), ad.autograd.Variable)
    assert not isinstance(np.zeros(1), ad.autograd.Variable)
    (v * v).sum().backward()
    np.testing.assert_array_equal(v.grad, [2.0, 4.0])
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        ad.autograd.Variable([1.0])
    with pytest.warns(UserWarning, match="volatile was removed"):
        ad.autograd.Variable(x, volatile=True)


def test_the_older_names_match_torch():
    torch = pytest.importorskip("torch")

    def lrs(lib):
        w = lib.nn.Parameter(lib.zeros(1))
        optimizer = lib.optim.Adam([w], lr=0.3)
        scheduler = _Warmup.make(lib)(optimizer, warmup_steps=3)
        seen = []
        for _ in range(5):
            (w * 2).sum().backward()
            optimizer.step()
            scheduler.step()
            seen.append(scheduler.get_last_lr())
        return seen

    np.testing.assert_allclose(lrs(ad), lrs(torch), rtol=1e-15)
    data = np.array([1.0, -2.0])
    for lib in (torch, ad):
        v = lib.autograd.Variable(lib.from_numpy(data.copy()), requires_grad=True)
        assert v.requires_grad and v.is_leaf and isinstance(v, lib.autograd.Variable)


# --- a custom reset_parameters, numpy(force=True) -----------------------------------

def _custom_linear(lib):
    class MyLinear(lib.nn.Module):
        """PyTorch's Linear written out, as custom layers copy it."""

        def __init__(self, in_features, out_features, weight_shape):
            super().__init__()
            self.weight = lib.nn.Parameter(lib.empty(*weight_shape))
            self.bias = lib.nn.Parameter(lib.empty(out_features))
            self.reset_parameters()

        def reset_parameters(self):
            lib.nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
            fan_in, _ = lib.nn.init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            lib.nn.init.uniform_(self.bias, -bound, bound)
    return MyLinear


def test_fan_helpers_give_the_fans_of_the_layer():
    init = ad.nn.init
    assert init._calculate_fan_in_and_fan_out(nn.Linear(5, 3).weight) == (5, 3)
    assert init._calculate_fan_in_and_fan_out(nn.Conv2d(2, 4, 3).weight) == (18, 36)
    assert init._calculate_correct_fan(nn.Conv1d(3, 6, 5).weight, "fan_out") == 30
    assert init._calculate_correct_fan(nn.Linear(5, 3).weight, "FAN_IN") == 5
    with pytest.raises(ValueError, match="mode 'fan_avg' not supported"):
        init._calculate_correct_fan(nn.Linear(5, 3).weight, "fan_avg")
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init._calculate_fan_in_and_fan_out(nn.Linear(5, 3).bias)
    with pytest.warns(ad.ConventionWarning, match="layout='out_in'"):   # (not a Linear's)
        layer = _custom_linear(ad)(50, 2, (50, 2))   # this library's (in, out) layout
    assert np.abs(layer.bias.numpy()).max() <= 1 / math.sqrt(50)
    assert np.abs(layer.weight.numpy()).max() <= 1 / math.sqrt(50)
    assert np.abs(layer.weight.numpy()).max() > 0.5 / math.sqrt(50)


def test_numpy_takes_force():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    assert np.shares_memory(x.numpy(force=True), x.numpy())
    np.testing.assert_array_equal(x.numpy(force=True), [1.0, 2.0])


def test_fan_helpers_match_torch():
    torch = pytest.importorskip("torch")
    for make in (lambda lib: lib.nn.Linear(7, 3), lambda lib: lib.nn.Conv2d(2, 5, (3, 2)),
                 lambda lib: lib.nn.ConvTranspose1d(4, 6, 3), lambda lib: lib.nn.Bilinear(2, 3, 4)):
        theirs, ours = make(torch).weight, make(ad).weight
        assert ad.nn.init._calculate_fan_in_and_fan_out(ours) == \
            torch.nn.init._calculate_fan_in_and_fan_out(theirs)
        for mode in ("fan_in", "fan_out"):
            assert ad.nn.init._calculate_correct_fan(ours, mode) == \
                torch.nn.init._calculate_correct_fan(theirs, mode)


# --- post-accumulate-grad hooks: the optimizer step inside backward -----------------

def _optimizer_in_backward(lib, start, batches):
    """The PyTorch tutorial's optimizer-in-backward loop: one optimizer per parameter,
    stepped by a post-accumulate-grad hook."""
    model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 1))
    if lib is ad:
        model.load_torch_state_dict(start)
    else:
        model.double().load_state_dict({k: lib.from_numpy(v) for k, v in start.items()})
    optimizer_dict = {p: lib.optim.Adam([p], lr=0.05) for p in model.parameters()}

    def optimizer_hook(parameter) -> None:
        optimizer_dict[parameter].step()
        optimizer_dict[parameter].zero_grad()

    for p in model.parameters():
        p.register_post_accumulate_grad_hook(optimizer_hook)
    losses = []
    for x in batches:
        loss = model(lib.from_numpy(x)).pow(2).mean()
        loss.backward()
        losses.append(loss.item())
    return losses, model, [p.grad for p in model.parameters()]


START = {"0.weight": R.normal(size=(4, 3)), "0.bias": R.normal(size=4),
         "2.weight": R.normal(size=(1, 4)), "2.bias": R.normal(size=1)}
BATCHES = R.normal(size=(3, 5, 3))


def test_a_post_accumulate_hook_steps_as_a_step_after_backward():
    losses, model, grads = _optimizer_in_backward(ad, START, BATCHES)
    assert grads == [None] * 4                   # each hook cleared its parameter's .grad
    plain = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    plain.load_torch_state_dict(START)
    optimizer = ad.optim.Adam(plain.parameters(), lr=0.05)
    for x, seen in zip(BATCHES, losses):
        loss = plain(ad.tensor(x)).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        assert loss.item() == seen
    for ours, reference in zip(model.parameters(), plain.parameters()):
        np.testing.assert_allclose(ours.numpy(), reference.numpy(), rtol=1e-14)


def test_a_post_accumulate_hook_sees_the_whole_grad_and_is_refused_where_torch_refuses():
    w = nn.Parameter([1.0, 2.0])
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.copy()))
    (w * 3).sum().backward()
    (w * w).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    np.testing.assert_array_equal(seen[1], [5.0, 7.0])           # accumulated
    ad.autograd.grad((w * w).sum(), [w])                          # fills no .grad
    assert len(seen) == 2
    handle.remove()
    (w * 3).sum().backward()
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match="cannot be registered on non-leaf tensors"):
        (w * 2).register_post_accumulate_grad_hook(lambda p: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ad.ones(2).register_post_accumulate_grad_hook(lambda p: None)
    w.register_post_accumulate_grad_hook(lambda p: 5)
    with pytest.raises(TypeError, match="returned int; it must return None"):
        (w * 3).sum().backward()


@pytest.mark.parametrize("register", [
    lambda w: w.register_hook(lambda g: g * 10),
    lambda w: w.register_post_accumulate_grad_hook(lambda p: None)],
    ids=["register_hook", "register_post_accumulate_grad_hook"])
def test_a_gradient_hook_registered_after_a_compiled_trace_is_refused_not_skipped(register):
    w = nn.Parameter(np.ones(2))

    @ad.compile
    def step():
        loss = (w * 3).sum()
        loss.backward()
        return loss

    step()
    step()
    handle = register(w)
    with pytest.raises(ad.TraceError, match="hook"):
        step()
    handle.remove()
    w.grad = None
    step()
    np.testing.assert_array_equal(w.grad, [3.0, 3.0])


def test_optimizer_in_backward_matches_torch():
    torch = pytest.importorskip("torch")
    theirs = _optimizer_in_backward(torch, START, BATCHES)
    ours = _optimizer_in_backward(ad, START, BATCHES)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    state = ours[1].to_torch_state_dict()
    for key, value in theirs[1].state_dict().items():
        np.testing.assert_allclose(state[key], value.detach().numpy(), rtol=1e-10, err_msg=key)
    assert ours[2] == theirs[2] == [None] * 4


# --- optimizer step hooks -----------------------------------------------------------

def test_step_hooks_run_around_each_step_and_a_pre_hook_may_change_the_arguments():
    w = nn.Parameter([1.0, -1.0])
    optimizer = ad.optim.SGD([w], lr=0.5)
    seen = []
    pre = optimizer.register_step_pre_hook(
        lambda opt, args, kwargs: seen.append(("pre", args[0] is opt, dict(kwargs))))
    optimizer.register_step_post_hook(
        lambda opt, args, kwargs: seen.append(("post", w.numpy().tolist())))
    w.grad = np.array([1.0, 2.0])
    optimizer.step()
    assert seen == [("pre", True, {}), ("post", [0.5, -2.0])]
    pre.remove()
    seen.clear()

    def closure_adding_one(opt, args, kwargs):
        return args, {"closure": lambda: 1.0}

    optimizer.register_step_pre_hook(closure_adding_one)
    assert optimizer.step() == 1.0                               # the closure's loss
    assert seen == [("post", [0.0, -3.0])]
    other = ad.optim.Adam([nn.Parameter([1.0])])
    other.register_step_pre_hook(lambda opt, args, kwargs: 3)
    other.param_groups[0]["params"][0].grad = np.ones(1)
    with pytest.raises(RuntimeError, match="Adam.step: a step pre-hook must return None or "
                                           "a tuple of"):
        other.step()


def test_step_hooks_run_in_compiled_replays_also_when_registered_after_the_trace():
    w = nn.Parameter(np.ones(300))               # big enough for the fused kernels
    optimizer = ad.optim.SGD([w], lr=0.1, momentum=0.9)
    calls = []

    @ad.compile
    def step():
        optimizer.zero_grad()
        (w * w).sum().backward()
        optimizer.step()

    step()
    step()
    handle = optimizer.register_step_post_hook(lambda opt, a, k: calls.append(w.numpy()[0]))
    for _ in range(3):
        step()
    eager_w = nn.Parameter(np.ones(300))
    eager = ad.optim.SGD([eager_w], lr=0.1, momentum=0.9)
    expected = []
    for k in range(5):
        eager.zero_grad()
        (eager_w * eager_w).sum().backward()
        eager.step()
        if k >= 2:
            expected.append(eager_w.numpy()[0])
    assert calls == expected
    handle.remove()
    step()
    assert len(calls) == 3


def test_step_hooks_match_torch():
    torch = pytest.importorskip("torch")

    def run(lib):
        w = lib.nn.Parameter(lib.from_numpy(np.array([1.0, -2.0, 0.5])))
        optimizer = lib.optim.AdamW([w], lr=0.1)
        seen = []
        optimizer.register_step_pre_hook(
            lambda opt, args, kwargs: seen.append(len(args)) or None)
        optimizer.register_step_post_hook(
            lambda opt, args, kwargs: seen.append(float(w.detach().numpy().sum())))
        for _ in range(3):
            optimizer.zero_grad()
            (w ** 2).sum().backward()
            optimizer.step()
        return seen

    ours, theirs = run(ad), run(torch)
    assert ours[0::2] == theirs[0::2]
    np.testing.assert_allclose(ours[1::2], theirs[1::2], rtol=1e-12)
