"""The eighteenth round's features with the machinery they are used with: ``.grad``'s
``GradArray`` methods inside ``ad.compile`` (refused by name, and the spellings a
replay repeats against eager), in float16 and on empty gradients against PyTorch, in
hooks, ``zero_grad(set_to_none=False)``, copies and pickles; ``t.narrow`` with a 0-d
tensor start and ``t.remainder`` under ``ad.compile``, vmap and forward mode."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.compile import TraceError
from autodiff.grad_arrays import GradArray

X = np.random.default_rng(18).normal(size=(4, 3))


def _model():
    model = nn.Linear(3, 2, rng=0)
    return model, ad.optim.SGD(model.parameters(), lr=0.1)


def _run(step, compiled, calls=3):
    """The results of ``step`` on three batches and the weight after, on a new model."""
    model, opt = _model()
    run = ad.compile(lambda x: step(model, opt, x)) if compiled else (
        lambda x: step(model, opt, x))
    results = [np.asarray(run(X + i).data).copy() for i in range(calls)]
    return results + [model.weight.data.copy()]


def _eager_and_compiled(step):
    return _run(step, False), _run(step, True)


# ----- .grad's PyTorch methods inside ad.compile -----------------------------------------

@pytest.mark.parametrize("method, call, advice", [
    ("zero_", lambda g: g.zero_(), "opt.zero_grad()"),
    ("clamp_", lambda g: g.clamp_(-0.1, 0.1), "clip_grad_value_"),
    ("norm", lambda g: g.norm(), "clip_grad_norm_"),
    ("mul_", lambda g: g.mul_(0.5), "weight_decay="),
    ("add_", lambda g: g.add_(g, alpha=0.1), "clip_grad_norm_"),
    ("fill_", lambda g: g.fill_(1.0), "clip_grad_value_"),
    ("clone", lambda g: g.clone(), "ad.tensor(p.grad)"),
    ("float", lambda g: g.float(), "ad.tensor(p.grad)"),
])
def test_a_grad_method_in_a_compiled_step_is_refused_by_name(method, call, advice):
    # (while tracing .grad is the plain buffer: NumPy's bare AttributeError named neither
    # the method's meaning under compile nor what a replay repeats)
    model, opt = _model()

    @ad.compile
    def step(x):
        opt.zero_grad()
        (model(x) ** 2).sum().backward()
        call(model.weight.grad)
        opt.step()

    with pytest.raises(TraceError) as info:
        step(X)
    message = str(info.value)
    assert f"{method} called on .grad of weight" in message
    assert "test_cross_features_eighteenth.py:" in message and advice in message


@pytest.mark.parametrize("keyword, call", [
    ("dim", lambda g: g.sum(dim=1)), ("keepdim", lambda g: g.mean(keepdim=True)),
    ("dim", lambda g: g.max(dim=1)),
])
def test_pytorchs_dim_keywords_on_grad_in_a_compiled_step_are_refused(keyword, call):
    # (NumPy's bare "_sum() got an unexpected keyword argument 'dim'")
    w = ad.tensor(np.ones((2, 3)), requires_grad=True)

    @ad.compile
    def step(x):
        w.grad = None
        (w * x).sum().backward()
        return call(w.grad)

    with pytest.raises(TraceError, match=f"{keyword}= given to a method of .grad of "
                                         r"leaf\[2, 3\] at test_cross_features_eighteenth"):
        step(np.ones((2, 3)))


def test_grad_sums_by_dim_as_a_tensor_replay_as_eager_grad_sums():
    w = ad.tensor(np.ones((2, 3)), requires_grad=True)

    def step(x):
        w.grad = None
        (w * x).sum().backward()
        return ad.tensor(w.grad).sum(dim=1, keepdim=True)

    compiled = ad.compile(step)
    for scale in (1.0, 2.0, -0.5):
        x = np.arange(6.0).reshape(2, 3) * scale
        np.testing.assert_array_equal(compiled(x).data, step(x).data)
        np.testing.assert_array_equal(step(x).data, w.grad.sum(dim=1, keepdim=True))


def test_an_attribute_error_of_the_users_own_is_left_as_it_is():
    @ad.compile
    def step(x):
        return np.zeros(2).zero_()

    with pytest.raises(AttributeError, match="zero_"):
        step(X)


def _clamped_eagerly(model, opt, x):
    opt.zero_grad()
    loss = (model(x) ** 2).sum()
    loss.backward()
    for p in model.parameters():
        p.grad.clamp_(-0.5, 0.5)
    opt.step()
    return loss


def _clipped_by_value(model, opt, x):
    opt.zero_grad()
    loss = (model(x) ** 2).sum()
    loss.backward()
    nn.utils.clip_grad_value_(model.parameters(), 0.5)
    opt.step()
    return loss


def test_clip_grad_value_compiled_is_grad_clamp_eagerly():
    eager, compiled = _run(_clamped_eagerly, False), _run(_clipped_by_value, True)
    for a, b in zip(eager, compiled):
        np.testing.assert_array_equal(a, b)


def _norm_read(model, opt, x):
    opt.zero_grad(set_to_none=False)
    (model(x) ** 2).sum().backward()
    norm = ad.tensor(model.weight.grad).norm()
    opt.step()
    return norm


def test_a_grad_norm_read_as_a_tensor_replays_and_matches_grad_norm():
    eager, compiled = _eager_and_compiled(_norm_read)
    for a, b in zip(eager, compiled):
        np.testing.assert_array_equal(a, b)
    model, _ = _model()
    (model(X) ** 2).sum().backward()
    assert model.weight.grad.norm() == pytest.approx(eager[0].item(), rel=1e-15)


def test_clip_grad_norm_total_replays_as_grad_norms_of_eager():
    def step(model, opt, x):
        opt.zero_grad()
        (model(x) ** 2).sum().backward()
        total = nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        opt.step()
        return total

    eager, compiled = _eager_and_compiled(step)
    for a, b in zip(eager, compiled):
        np.testing.assert_array_equal(a, b)
    model, opt = _model()
    opt.zero_grad()
    (model(X) ** 2).sum().backward()
    by_grads = np.sqrt(sum(float(p.grad.norm()) ** 2 for p in model.parameters()))
    assert float(eager[0]) == pytest.approx(by_grads, rel=1e-14)


# ----- GradArray.norm in float16 and on empty gradients, against PyTorch --------------------

@pytest.mark.parametrize("p", [2, "fro", 1, 3, float("inf"), 0])
def test_float16_grad_norm_is_summed_in_float32_as_pytorchs(p):
    torch = pytest.importorskip("torch")
    w = ad.tensor(np.ones((2, 3), np.float16), requires_grad=True)
    (w * 600.0).sum().backward()                    # gradients of 600: squares overflow
    tw = torch.ones((2, 3), dtype=torch.float16, requires_grad=True)
    (tw * 600.0).sum().backward()
    ours, theirs = w.grad.norm(p=p), tw.grad.norm(p=p)
    assert ours.dtype == np.float16 and np.isfinite(ours)
    assert float(ours) == float(theirs)             # (both round a float32 sum to float16)
    by_row = w.grad.norm(p=p, dim=1)
    np.testing.assert_array_equal(by_row, tw.grad.norm(p=p, dim=1).numpy())


def test_float16_grad_norm_matches_clip_grad_norm_total():
    w = ad.tensor(np.ones(5, np.float16), requires_grad=True)
    (w * 300.0).sum().backward()
    expected = float(w.grad.norm())
    assert float(nn.utils.clip_grad_norm_([w], 1e6)) == expected


@pytest.mark.parametrize("p", [float("inf"), -float("inf")])
def test_an_extreme_norm_of_an_empty_grad_is_refused_as_pytorchs(p):
    torch = pytest.importorskip("torch")
    g = np.zeros((0, 3)).view(GradArray)
    with pytest.raises(ValueError, match="norm of no entries"):
        g.norm(p=p)
    with pytest.raises(ValueError, match="norm of no entries"):
        g.norm(p=p, dim=0)
    with pytest.raises(RuntimeError):
        torch.zeros(0, 3).norm(p=p)
    # along the other dim there is nothing to reduce over nothing: empty, as PyTorch's
    assert g.norm(p=p, dim=1).shape == tuple(torch.zeros(0, 3).norm(p=p, dim=1).shape)
    assert float(g.norm()) == float(torch.zeros(0, 3).norm()) == 0.0


# ----- GradArray methods in hooks, zero_grad, copies -------------------------------------

def test_post_accumulate_hook_clamping_grad_against_pytorch():
    torch = pytest.importorskip("torch")
    start = np.array([1.0, -2.0, 0.25])

    def clamp(p):
        p.grad.clamp_(-1, 1)

    w = ad.tensor(start, requires_grad=True)
    w.register_post_accumulate_grad_hook(clamp)
    tw = torch.tensor(start, requires_grad=True)
    tw.register_post_accumulate_grad_hook(clamp)
    for _ in range(2):                              # the second backward accumulates
        (w ** 3).sum().backward()
        (tw ** 3).sum().backward()
    np.testing.assert_array_equal(w.grad, tw.grad.numpy())
    assert isinstance(w.grad, GradArray)


def test_a_held_grad_sees_zero_grad_keep_and_the_next_backward():
    torch = pytest.importorskip("torch")
    model, opt = _model()
    tmodel = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        tmodel.weight.copy_(torch.from_numpy(model.weight.data.T.copy()))   # (in, out) here
        tmodel.bias.copy_(torch.from_numpy(model.bias.data.copy()))
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.1)
    held, theld = [], []
    for _ in range(2):
        (model(X) ** 2).sum().backward()
        (tmodel(torch.from_numpy(X)) ** 2).sum().backward()
        held.append(model.weight.grad)
        theld.append(tmodel.weight.grad)
        opt.zero_grad(set_to_none=False)
        topt.zero_grad(set_to_none=False)
    assert held[0] is held[1] and theld[0] is theld[1]
    np.testing.assert_array_equal(held[0], 0.0)
    (model(X) ** 2).sum().backward()
    (tmodel(torch.from_numpy(X)) ** 2).sum().backward()
    np.testing.assert_allclose(held[0], theld[0].numpy().T, rtol=1e-14)


def test_copies_of_a_model_whose_grad_was_read_as_pytorchs():
    torch = pytest.importorskip("torch")
    model, _ = _model()
    (model(X) ** 2).sum().backward()
    g = model.weight.grad
    tmodel = torch.nn.Linear(3, 2)
    tmodel(torch.ones(1, 3)).sum().backward()
    # PyTorch 2's deepcopy and pickle of a module leave the copy's .grad None
    assert (copy.deepcopy(model).weight.grad is None) == (
        copy.deepcopy(tmodel).weight.grad is None)
    again = pickle.loads(pickle.dumps(model))
    assert (again.weight.grad is None) == (
        pickle.loads(pickle.dumps(tmodel)).weight.grad is None)
    (again(X) ** 2).sum().backward()
    np.testing.assert_array_equal(again.weight.grad, g)
    assert isinstance(again.weight.grad, GradArray)
    kept = pickle.loads(pickle.dumps(g))
    assert type(kept) is GradArray and kept.norm() == g.norm()
    assert not np.shares_memory(copy.deepcopy(g), g)


# ----- narrow with a 0-d tensor start under ad.compile ------------------------------------

def test_narrow_by_a_captured_0d_start_is_a_condition_of_the_plan():
    # (its value was read past the trace: every replay took the first call's slice)
    start = ad.tensor(1)
    step = ad.compile(lambda a: a.narrow(0, start, 2) * 2)
    got = []
    for value in (1, 1, 5, 1):
        start.fill_(value)
        got.append(step(np.arange(10.0)).tolist())
    assert got == [[2.0, 4.0], [2.0, 4.0], [10.0, 12.0], [2.0, 4.0]]
    assert step.traces == 2


@pytest.mark.parametrize("start", [ad.tensor(3), np.array(3)])
def test_narrow_by_a_traced_0d_start_is_refused_naming_narrow(start):
    step = ad.compile(lambda a, s: a.narrow(0, s, 2))
    with pytest.raises(TraceError, match="narrow's start.*test_cross_features_eighteenth"):
        step(np.arange(10.0), start)


def test_narrow_by_a_0d_start_under_the_transforms_against_pytorch():
    torch = pytest.importorskip("torch")
    x = np.arange(8.0).reshape(2, 4)
    mapped = ad.vmap(lambda a: a.narrow(0, ad.tensor(1), 2))(ad.tensor(x))
    # (torch.vmap has no batching rule for narrow by a tensor start: row by row)
    tmapped = torch.stack([row.narrow(0, torch.tensor(1), 2) for row in torch.from_numpy(x)])
    np.testing.assert_array_equal(mapped.data, tmapped.numpy())
    jac = ad.func.jacfwd(lambda a: a.narrow(0, ad.tensor(1), 2))(ad.tensor(x[0]))
    tjac = torch.func.jacfwd(lambda a: a.narrow(0, torch.tensor(1), 2))(torch.from_numpy(x[0]))
    np.testing.assert_array_equal(jac.data, tjac.numpy())


# ----- remainder under compile, vmap and forward mode -------------------------------------

DIVIDEND = np.array([-3.5, -0.0, 2.25, 5.0, -2.0, 4.0])
DIVISOR = np.array([2.0, 1.5, -1.0, -3.0, 2.0, -2.0])


@pytest.mark.parametrize("spelling", ["tensor", "array", "list", "argument"])
def test_remainder_by_a_divisor_of_values_replays_under_compile(spelling):
    # (the divisor's sign was taken with NumPy on its values: compile refused the mask
    # as an array made during the call)
    divisor = {"tensor": ad.tensor(DIVISOR), "array": DIVISOR,
               "list": DIVISOR.tolist()}.get(spelling)
    if spelling == "argument":
        step = ad.compile(lambda a, d: a.remainder(d))
        got = [step(DIVIDEND + i, DIVISOR) for i in range(3)]
    else:
        step = ad.compile(lambda a: a.remainder(divisor))
        got = [step(DIVIDEND + i) for i in range(3)]
    for i, result in enumerate(got):
        expected = ad.tensor(DIVIDEND + i).remainder(ad.tensor(DIVISOR))
        np.testing.assert_array_equal(result.data, expected.data)
        assert np.array_equal(np.signbit(result.data), np.signbit(expected.data))


def test_compiled_remainder_against_pytorch_with_its_gradients():
    torch = pytest.importorskip("torch")
    d = ad.tensor(DIVISOR)

    @ad.compile
    def step(a):
        a.requires_grad_()
        out = a.remainder(d)
        (out * out).sum().backward()
        return out, a.grad

    for shift in (0.0, 0.75):
        out, grad = step(DIVIDEND + shift)
        ta = torch.tensor(DIVIDEND + shift, requires_grad=True)
        tout = torch.remainder(ta, torch.from_numpy(DIVISOR))
        (tout * tout).sum().backward()
        np.testing.assert_array_equal(out.data, tout.detach().numpy())
        np.testing.assert_array_equal(np.signbit(out.data), np.signbit(tout.detach().numpy()))
        np.testing.assert_array_equal(grad, ta.grad.numpy())


def test_remainder_under_vmap_and_jvp_against_pytorch():
    torch = pytest.importorskip("torch")
    x, d = DIVIDEND.reshape(2, 3), DIVISOR.reshape(2, 3)
    mapped = ad.vmap(lambda a, b: a.remainder(b))(ad.tensor(x), ad.tensor(d))
    tmapped = torch.vmap(torch.remainder)(torch.from_numpy(x), torch.from_numpy(d))
    np.testing.assert_array_equal(mapped.data, tmapped.numpy())
    assert np.array_equal(np.signbit(mapped.data), np.signbit(tmapped.numpy()))
    ones = np.ones_like(x)
    out, tangent = ad.jvp(lambda a, b: a.remainder(b), (ad.tensor(x), ad.tensor(d)),
                          (ad.tensor(ones), ad.tensor(ones)))
    tout, ttangent = torch.func.jvp(torch.remainder, (torch.from_numpy(x), torch.from_numpy(d)),
                                    (torch.ones(2, 3, dtype=torch.float64),) * 2)
    np.testing.assert_array_equal(np.asarray(out), tout.numpy())
    np.testing.assert_array_equal(np.asarray(tangent), ttangent.numpy())


def test_optimizer_in_backward_by_post_accumulate_hooks_against_pytorch():
    # (PyTorch's pattern: each parameter steps and zeroes its .grad as it is reached)
    torch = pytest.importorskip("torch")

    def train(model, optim, tensor):
        optimizers = {p: optim.SGD([p], lr=0.1, momentum=0.9) for p in model.parameters()}

        def step_and_zero(p):
            optimizers[p].step()
            p.grad.zero_()

        for p in model.parameters():
            p.register_post_accumulate_grad_hook(step_and_zero)
        for i in range(3):
            (model(tensor(X + i)) ** 2).sum().backward()

    model, _ = _model()
    tmodel = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        tmodel.weight.copy_(torch.from_numpy(model.weight.data.T.copy()))
        tmodel.bias.copy_(torch.from_numpy(model.bias.data.copy()))
    train(model, ad.optim, ad.tensor)
    train(tmodel, torch.optim, torch.from_numpy)
    np.testing.assert_allclose(model.weight.data.T, tmodel.weight.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(model.bias.data, tmodel.bias.detach().numpy(), rtol=1e-13)
    np.testing.assert_array_equal(model.weight.grad, 0.0)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_grad_methods_between_compiled_accumulating_calls_as_eager(set_to_none):
    # (a compiled forward-backward accumulates into the buffer the GradArray methods
    # changed in between, as eager calls do)
    def train(compiled):
        model, opt = _model()

        def forward_backward(x):
            loss = (model(x) ** 2).sum()
            loss.backward()
            return loss

        run = ad.compile(forward_backward) if compiled else forward_backward
        losses = []
        for i in range(6):
            losses.append(run(X + i).item())
            if i % 2 == 1:
                for p in model.parameters():
                    p.grad.clamp_(-0.5, 0.5).mul_(0.5)
                opt.step()
                opt.zero_grad(set_to_none=set_to_none)
        return losses, model.weight.data.copy()

    (eager, w_eager), (compiled, w_compiled) = train(False), train(True)
    assert eager == compiled
    np.testing.assert_array_equal(w_eager, w_compiled)


def test_get_total_norm_in_a_compiled_step_names_clip_grad_norm():
    # (its refusal said "the next call reads what it loaded", load_state_dict's reason)
    model, opt = _model()

    @ad.compile
    def step(x):
        opt.zero_grad()
        (model(x) ** 2).sum().backward()
        return nn.utils.get_total_norm([p.grad for p in model.parameters()])

    with pytest.raises(TraceError) as info:
        step(X)
    message = str(info.value)
    assert "get_total_norm is called at test_cross_features_eighteenth.py:" in message
    assert "clip_grad_norm_(params, max_norm) returns the total norm" in message
    assert "what it loaded" not in message
