"""ad.optim.Adagrad: its update against PyTorch's formula written out in NumPy and
against steps worked out by hand, per-parameter step counts, validation, saving and
resuming bitwise, and compiled training steps equal to eager ones."""

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F
from training_reference import mlp_batches, mlp_training

RNG = np.random.default_rng(11)


def adagrad_reference(start, grads, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                      initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    """PyTorch's Adagrad update (non-sparse), in float64, one gradient per step."""
    x = start.astype(np.float64)
    total = np.full_like(x, initial_accumulator_value)
    for t, g in enumerate(grads, start=1):
        g = g.astype(np.float64)
        if maximize:
            g = -g
        g = g + weight_decay * x
        clr = lr / (1 + (t - 1) * lr_decay)
        total = total + g * g
        x = x - clr * g / (np.sqrt(total) + eps)
    return x, total


def run(opt, params, grads_per_step):
    for grads in grads_per_step:
        for p, g in zip(params, grads):
            p.grad = g.copy()
        opt.step()


CONFIGS = [
    dict(),
    dict(lr=0.1),
    dict(lr=0.1, lr_decay=0.2),
    dict(lr=0.05, weight_decay=0.3),
    dict(lr=0.1, initial_accumulator_value=0.5),
    dict(lr=0.2, eps=1e-3, maximize=True),
    dict(lr=0.3, lr_decay=0.1, weight_decay=0.05, initial_accumulator_value=0.2, eps=1e-6),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", CONFIGS)
def test_steps_match_the_reference_update(kwargs, dtype):
    start = RNG.standard_normal((3, 4)).astype(dtype)
    grads = [(RNG.standard_normal((3, 4)) * scale).astype(dtype)
             for scale in (2.0, 0.5, 1.0, 3.0, 0.1, 1.0, 0.7)]
    p = nn.Parameter(start.copy())
    opt = ad.optim.Adagrad([p], **kwargs)
    run(opt, [p], [[g] for g in grads])
    expected, expected_sum = adagrad_reference(start, grads, **kwargs)
    assert p.data.dtype == opt.state[0]["sum"].dtype == dtype
    tolerance = dict(rtol=1e-12, atol=1e-14) if dtype == np.float64 else \
        dict(rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(p.data, expected, **tolerance)
    np.testing.assert_allclose(opt.state[0]["sum"], expected_sum, **tolerance)
    assert int(opt.state[0]["step"]) == len(grads)
    assert np.max(np.abs(expected - start)) > 1e-3      # (the steps moved the parameter)


def test_state_is_step_and_sum_in_the_parameters_dtype():
    p = nn.Parameter(np.ones(3, dtype=np.float32))
    opt = ad.optim.Adagrad([p], lr=0.1, initial_accumulator_value=0.25)
    assert opt.state[0] == {}                  # made at the first step
    for g in ([1.0, 2.0, 0.0], [3.0, 0.0, 0.5]):
        p.grad = np.array(g, dtype=np.float32)
        opt.step()
    assert sorted(opt.state[0]) == ["step", "sum"]
    assert int(opt.state[0]["step"]) == 2
    assert opt.state[0]["sum"].dtype == np.float32 and p.data.dtype == np.float32
    np.testing.assert_array_equal(opt.state[0]["sum"],
                                  np.float32([0.25 + 1 + 9, 0.25 + 4 + 0, 0.25 + 0 + 0.25]))


def test_steps_worked_out_by_hand():
    # lr 1, gradient 3 then 4, lr_decay 1: step 1 moves by 1 * 3 / sqrt(9) = 1; step 2
    # by (1 / (1 + 1)) * 4 / sqrt(9 + 16) = 0.4.
    p = nn.Parameter([10.0])
    opt = ad.optim.Adagrad([p], lr=1.0, lr_decay=1.0, eps=0.0)
    run(opt, [p], [[np.array([3.0])], [np.array([4.0])]])
    np.testing.assert_allclose(p.data, [10.0 - 1.0 - 0.4], rtol=1e-15)
    # the accumulator starts at 16: a gradient of 3 moves by 3 / sqrt(16 + 9) = 0.6
    q = nn.Parameter([1.0])
    run(ad.optim.Adagrad([q], lr=1.0, initial_accumulator_value=16.0, eps=0.0), [q],
        [[np.array([3.0])]])
    np.testing.assert_allclose(q.data, [0.4], rtol=1e-15)
    # weight decay enters the gradient: p = 2, grad 0, decay 0.5 -> g = 1, move by lr
    r = nn.Parameter([2.0])
    run(ad.optim.Adagrad([r], lr=0.25, weight_decay=0.5, eps=0.0), [r], [[np.array([0.0])]])
    np.testing.assert_allclose(r.data, [1.75], rtol=1e-15)
    # maximize climbs: the same step, the other way
    s = nn.Parameter([0.0])
    run(ad.optim.Adagrad([s], lr=0.5, maximize=True, eps=0.0), [s], [[np.array([-2.0])]])
    np.testing.assert_allclose(s.data, [-0.5], rtol=1e-15)


def test_each_parameter_counts_its_own_steps_for_lr_decay():
    # A parameter without a gradient is not updated and its step count stays behind,
    # so its lr decays by its own count (as in PyTorch).
    a, b = nn.Parameter([0.0]), nn.Parameter([0.0], name="b")
    opt = ad.optim.Adagrad([a, b], lr=1.0, lr_decay=1.0, eps=0.0)
    a.grad = np.array([1.0])
    with pytest.warns(ad.optim.NoGradientWarning, match=r"Adagrad.step: parameter 'b'"):
        opt.step()
    assert b.data[0] == 0.0 and opt.state[1] == {}
    a.grad, b.grad = np.array([1.0]), np.array([1.0])
    opt.step()
    # a: 1 / sqrt(1) then (1 / 2) * 1 / sqrt(2); b: its first step, full lr
    np.testing.assert_allclose(a.data, [-1.0 - 0.5 / np.sqrt(2.0)], rtol=1e-15)
    np.testing.assert_allclose(b.data, [-1.0], rtol=1e-15)
    assert [int(s["step"]) for s in opt.state] == [2, 1]


def test_parameter_groups_take_their_own_hyperparameters():
    start = [RNG.standard_normal(4), RNG.standard_normal(2)]
    grads = [[RNG.standard_normal(4), RNG.standard_normal(2)] for _ in range(5)]
    params = [nn.Parameter(a.copy()) for a in start]
    opt = ad.optim.Adagrad([{"params": [params[0]]},
                            {"params": [params[1]], "lr": 0.3, "lr_decay": 0.5,
                             "initial_accumulator_value": 1.0}],
                           lr=0.05, weight_decay=0.1)
    run(opt, params, grads)
    first, _ = adagrad_reference(start[0], [g[0] for g in grads], lr=0.05, weight_decay=0.1)
    second, _ = adagrad_reference(start[1], [g[1] for g in grads], lr=0.3, lr_decay=0.5,
                                  weight_decay=0.1, initial_accumulator_value=1.0)
    np.testing.assert_allclose(params[0].data, first, rtol=1e-12)
    np.testing.assert_allclose(params[1].data, second, rtol=1e-12)


def test_defaults_are_pytorchs():
    group = ad.optim.Adagrad([nn.Parameter([1.0])]).param_groups[0]
    assert (group["lr"], group["lr_decay"], group["weight_decay"],
            group["initial_accumulator_value"], group["eps"], group["maximize"]) \
        == (1e-2, 0.0, 0.0, 0.0, 1e-10, False)


@pytest.mark.parametrize("name", ["lr", "lr_decay", "weight_decay",
                                  "initial_accumulator_value", "eps"])
@pytest.mark.parametrize("value", [-0.1, float("nan"), float("inf")])
def test_hyperparameters_are_validated(name, value):
    p = nn.Parameter([1.0])
    with pytest.raises(ValueError, match=rf"Adagrad: {name} must be a finite number >= 0, "
                                         rf"got {value!r}"):
        ad.optim.Adagrad([p], **{name: value})
    with pytest.raises(ValueError, match=rf"Adagrad: parameter group 1: {name} must be"):
        ad.optim.Adagrad([{"params": [p]}, {"params": [nn.Parameter([2.0])], name: value}])


def test_bad_params_and_a_negative_lr_set_later_are_refused():
    model = nn.Linear(2, 1, rng=0)
    with pytest.raises(TypeError, match=r"Adagrad: params is the method 'parameters' .* "
                                        r"call it"):
        ad.optim.Adagrad(model.parameters)
    p = nn.Parameter([1.0])
    opt = ad.optim.Adagrad([p], lr=0.1)
    opt.param_groups[0]["lr"] = -0.1
    p.grad = np.array([1.0])
    with pytest.raises(ValueError, match=r"Adagrad.step: param_groups\[0\]\['lr'\] is -0.1"):
        opt.step()
    assert p.data[0] == 1.0 and opt.state[0] == {}


def test_state_dict_round_trip_continues_bitwise(tmp_path):
    def make():
        model = nn.MLP([2, 5, 3], rng=0)
        groups = [{"params": model.layers[0].parameters()},
                  {"params": model.layers[1].parameters(), "lr": 0.02, "lr_decay": 0.1}]
        return model, ad.optim.Adagrad(groups, lr=0.05, weight_decay=1e-3,
                                       initial_accumulator_value=0.1)

    X, y = ad.data.spiral(10, 3, seed=2)

    def train(model, opt, steps):
        for _ in range(steps):
            loss = F.cross_entropy(model(ad.tensor(X)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

    model, opt = make()
    train(model, opt, 4)
    saved = opt.state_dict()
    assert {k.split(".", 2)[2] for k in saved if k.startswith("state.")} == {"step", "sum"}
    assert int(saved["state.0.step"]) == 4
    assert saved["param_groups.1.lr_decay"] == 0.1
    np.savez(tmp_path / "model.npz", **model.state_dict())
    np.savez(tmp_path / "opt.npz", **saved)
    saved["state.0.sum"][...] = -1.0             # a copy: the optimizer's state is untouched
    assert np.all(opt.state[0]["sum"] >= 0.1)
    train(model, opt, 4)

    resumed, fresh = make()
    with np.load(tmp_path / "model.npz") as state:
        resumed.load_state_dict(state)
    with np.load(tmp_path / "opt.npz") as state:
        fresh.load_state_dict(state)
    train(resumed, fresh, 4)
    for a, b in zip(model.parameters(), resumed.parameters()):
        assert a.data.tobytes() == b.data.tobytes()
    for i, (s, t) in enumerate(zip(opt.state, fresh.state)):
        assert int(s["step"]) == int(t["step"]) == 8
        assert s["sum"].tobytes() == t["sum"].tobytes(), f"state {i}"


def test_load_state_dict_refuses_another_optimizers_state():
    p = nn.Parameter([1.0, 2.0])
    rms = ad.optim.RMSprop([p])
    p.grad = np.ones(2)
    rms.step()
    with pytest.raises(KeyError, match=r"Adagrad.load_state_dict: parameter group 0 of the "
                                       r"state has 'alpha'.*another optimizer"):
        ad.optim.Adagrad([p]).load_state_dict(rms.state_dict())


# ----- ad.compile ------------------------------------------------------------------------

def _training(dtype):
    return mlp_training(lambda ps: ad.optim.Adagrad(
        ps, lr=0.05, lr_decay=0.01, weight_decay=1e-3, initial_accumulator_value=0.1), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_compiled_training_step_equals_eager_bitwise(dtype):
    eager_model, eager_opt, eager = _training(dtype)
    model, opt, step = _training(dtype)
    compiled = ad.compile(step)
    for i, (xb, yb) in enumerate(mlp_batches(20, dtype)):
        assert eager(xb, yb).data.tobytes() == compiled(xb, yb).data.tobytes(), f"step {i}"
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert p.data.dtype == dtype
        assert p.data.tobytes() == q.data.tobytes()
    for s, t in zip(eager_opt.state, opt.state):
        assert int(s["step"]) == int(t["step"]) == 20
        assert s["sum"].tobytes() == t["sum"].tobytes()


def test_a_compiled_step_follows_hyperparameters_changed_between_calls():
    eager_model, eager_opt, eager = _training(np.float64)
    model, opt, step = _training(np.float64)
    compiled = ad.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for i, (xb, yb) in enumerate(mlp_batches(10, np.float64, seed=1)):
            if i == 4:
                for o in (eager_opt, opt):
                    o.param_groups[0].update(lr=0.01, lr_decay=0.5, weight_decay=0.0)
            assert eager(xb, yb).data.tobytes() == compiled(xb, yb).data.tobytes()
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert p.data.tobytes() == q.data.tobytes()
