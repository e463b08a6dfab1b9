"""ad.optim.Adadelta, Rprop and ASGD: their updates against PyTorch's formulas written out
in NumPy (and against PyTorch itself when installed), steps worked out by hand, defaults,
validation, parameter groups, saving and resuming bitwise, missing-gradient warnings, and
compiled training steps (which replay the eager step: no fused kernel) equal to eager."""

import math
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F
from training_reference import assert_same_optimizer_state, mlp_training

RNG = np.random.default_rng(17)


# ----- references: PyTorch's single-tensor algorithms, in float64 ------------------------

def adadelta_reference(x, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    v, u = np.zeros_like(x), np.zeros_like(x)
    for g in grads:
        g = -g if maximize else g
        g = g + weight_decay * x
        v = rho * v + (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        x = x - lr * delta
    return x


def rprop_reference(x, grads, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50),
                    maximize=False):
    prev, size = np.zeros_like(x), np.full_like(x, lr)
    for g in grads:
        g = -g if maximize else g
        same = g * prev
        size = np.clip(size * np.where(same > 0, etas[1], np.where(same < 0, etas[0], 1.0)),
                       *step_sizes)
        g = np.where(same < 0, 0.0, g)
        x = x - np.sign(g) * size
        prev = g
    return x


def asgd_reference(x, grads, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0,
                   maximize=False):
    eta, mu, ax = lr, 1.0, np.zeros_like(x)
    for t, g in enumerate(grads, start=1):
        g = -g if maximize else g
        g = g + weight_decay * x
        x = x * (1 - lambd * eta) - eta * g
        ax = ax + mu * (x - ax)
        eta = lr / (1 + lambd * lr * t) ** alpha
        mu = 1 / max(1, t - t0)
    return x, ax


REFERENCES = {"Adadelta": adadelta_reference, "Rprop": rprop_reference,
              "ASGD": lambda *a, **k: asgd_reference(*a, **k)[0]}

CONFIGS = [
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.7, eps=1e-3, weight_decay=0.1)),
    ("Adadelta", dict(lr=0.2, rho=0.95, maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.7), step_sizes=(1e-3, 0.2))),
    ("Rprop", dict(lr=0.1, etas=(0.6, 1.1), maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=3, weight_decay=0.1)),   # mu < 1 from t 5
    ("ASGD", dict(lr=0.1, lambd=0.1, t0=0, maximize=True)),
]


def run(opt, params, grads_per_step):
    for grads in grads_per_step:
        for p, g in zip(params, grads):
            p.grad = g.copy()
        opt.step()


def _gradients(dtype, steps=12):
    # every third step flips the sign: Rprop's shrinking branch is taken
    return [(RNG.standard_normal((3, 4)) * RNG.uniform(0.1, 3.0) * (-1 if t % 3 == 0 else 1))
            .astype(dtype) for t in range(steps)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,kwargs", CONFIGS)
def test_steps_match_the_reference_update(name, kwargs, dtype):
    start = RNG.standard_normal((3, 4)).astype(dtype)
    grads = _gradients(dtype)
    p = nn.Parameter(start.copy())
    opt = getattr(ad.optim, name)([p], **kwargs)
    run(opt, [p], [[g] for g in grads])
    expected = REFERENCES[name](start.astype(np.float64), [g.astype(np.float64) for g in grads],
                                **kwargs)
    assert p.data.dtype == dtype
    assert all(value.dtype == dtype for key, value in opt.state[0].items() if key != "step")
    tolerance = dict(rtol=1e-12, atol=1e-14) if dtype == np.float64 else \
        dict(rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(p.data, expected, **tolerance)
    assert int(opt.state[0]["step"]) == len(grads)
    assert np.max(np.abs(expected - start)) > 1e-3      # (the steps moved the parameter)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,kwargs", CONFIGS)
def test_steps_and_state_match_pytorch(name, kwargs, dtype):
    torch = pytest.importorskip("torch")
    start = RNG.standard_normal((3, 4)).astype(dtype)
    grads = _gradients(dtype)
    p = nn.Parameter(start.copy())
    opt = getattr(ad.optim, name)([p], **kwargs)
    previous = torch.get_default_dtype()
    # (ASGD keeps eta and mu in PyTorch's default dtype; here in the parameter's)
    torch.set_default_dtype(torch.float64 if dtype == np.float64 else torch.float32)
    try:
        t = torch.tensor(start.copy(), requires_grad=True)
        reference = getattr(torch.optim, name)([t], **kwargs)
        for g in grads:
            p.grad = g.copy()
            opt.step()
            t.grad = torch.tensor(g.copy())
            reference.step()
    finally:
        torch.set_default_dtype(previous)
    tolerance = dict(rtol=1e-13, atol=1e-15) if dtype == np.float64 else \
        dict(rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(p.data, t.detach().numpy(), **tolerance)
    theirs = reference.state[t]
    assert set(opt.state[0]) == set(theirs)
    for key, value in opt.state[0].items():
        np.testing.assert_allclose(value, theirs[key].numpy(), **tolerance, err_msg=key)


def test_steps_worked_out_by_hand():
    # Adadelta, first step: v = 0.1 g², delta = sqrt(eps) / sqrt(0.1 g² + eps) * g.
    p = nn.Parameter([1.0])
    run(ad.optim.Adadelta([p], eps=1e-2), [p], [[np.array([3.0])]])
    np.testing.assert_allclose(p.data, [1.0 - 0.1 / math.sqrt(0.91) * 3.0], rtol=1e-15)
    # Rprop: steps of lr, then lr * 1.2 while the sign holds, none where it flips, then
    # lr * 0.5 after the flip (the flipped entry's gradient counts as zero in between).
    q = nn.Parameter([0.0, 0.0])
    opt = ad.optim.Rprop([q], lr=0.1)
    run(opt, [q], [[np.array([1.0, 1.0])], [np.array([2.0, -1.0])]])
    np.testing.assert_allclose(q.data, [-0.22, -0.1], rtol=1e-15)
    np.testing.assert_allclose(opt.state[0]["step_size"], [0.12, 0.05], rtol=1e-15)
    np.testing.assert_array_equal(opt.state[0]["prev"], [2.0, 0.0])
    run(opt, [q], [[np.array([5.0, -7.0])]])
    np.testing.assert_allclose(q.data, [-0.22 - 0.144, -0.1 + 0.05], rtol=1e-15)
    # ASGD: the first step is plain SGD with weight decay lambd; the average copies it.
    r = nn.Parameter([2.0])
    opt = ad.optim.ASGD([r], lr=0.1, lambd=0.5, alpha=1.0)
    run(opt, [r], [[np.array([1.0])]])
    np.testing.assert_allclose(r.data, [2.0 * 0.95 - 0.1], rtol=1e-15)
    np.testing.assert_array_equal(opt.state[0]["ax"], r.data)
    np.testing.assert_allclose(opt.state[0]["eta"], 0.1 / 1.05, rtol=1e-15)


def test_asgd_averages_the_iterates_once_past_t0():
    start = RNG.standard_normal(4)
    grads = [RNG.standard_normal(4) for _ in range(9)]
    p = nn.Parameter(start.copy())
    opt = ad.optim.ASGD([p], lr=0.05, lambd=0.0, t0=2)
    iterates = []
    for g in grads:
        p.grad = g.copy()
        opt.step()
        iterates.append(p.data.copy())
    # step t uses mu = 1 / max(1, t - 1 - t0): 1 up to step 4 (a copy), 1/2 at step 5,
    # 1/3 at step 6...: ax is the mean of the iterates from step 4 on
    np.testing.assert_allclose(opt.state[0]["ax"], np.mean(iterates[3:], axis=0), rtol=1e-13)
    np.testing.assert_allclose(opt.state[0]["ax"], asgd_reference(
        start, grads, lr=0.05, lambd=0.0, t0=2)[1], rtol=1e-13)


def test_defaults_are_pytorchs():
    p = nn.Parameter([1.0])
    groups = {name: {k: v for k, v in getattr(ad.optim, name)([p]).param_groups[0].items()
                     if k != "params"} for name in ("Adadelta", "Rprop", "ASGD")}
    flags = dict(foreach=None, capturable=False, differentiable=False)
    assert groups["Adadelta"] == dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0,
                                      maximize=False, **flags)
    assert groups["Rprop"] == dict(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50),
                                   maximize=False, **flags)
    assert groups["ASGD"] == dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                                  maximize=False, **flags)


def test_defaults_are_pytorchs_own():
    torch = pytest.importorskip("torch")
    t = torch.zeros(1, requires_grad=True)
    for name in ("Adadelta", "Rprop", "ASGD"):
        ours = getattr(ad.optim, name)([nn.Parameter([1.0])]).defaults
        theirs = getattr(torch.optim, name)([t]).defaults
        assert {k: v for k, v in theirs.items() if k in ours} == \
            {k: tuple(v) if isinstance(v, tuple) else v for k, v in ours.items()}, name


@pytest.mark.parametrize("name,key", [("Adadelta", k) for k in ("lr", "rho", "eps",
                                                                 "weight_decay")]
                         + [("ASGD", k) for k in ("lr", "lambd", "alpha", "t0",
                                                  "weight_decay")] + [("Rprop", "lr")])
@pytest.mark.parametrize("value", [-0.1, float("nan"), float("inf")])
def test_hyperparameters_are_validated(name, key, value):
    p = nn.Parameter([1.0])
    cls = getattr(ad.optim, name)
    with pytest.raises(ValueError, match=rf"{name}: {key} must be a finite number >= 0, "
                                         rf"got {value!r}"):
        cls([p], **{key: value})
    with pytest.raises(ValueError, match=rf"{name}: parameter group 1: {key} must be"):
        cls([{"params": [p]}, {"params": [nn.Parameter([2.0])], key: value}])


@pytest.mark.parametrize("kwargs,message", [
    (dict(rho=1.5), r"Adadelta: rho must be in \[0, 1\]"),
    (dict(etas=(1.0, 1.2)), r"Rprop: etas must be \(etaminus, etaplus\) with 0 < etaminus"),
    (dict(etas=(0.5, 0.9)), r"Rprop: etas must be"),
    (dict(etas=0.5), r"Rprop: etas must be a pair of numbers"),
    (dict(step_sizes=(1.0, 0.1)), r"Rprop: step_sizes must be \(min, max\)"),
])
def test_ranges_are_validated(kwargs, message):
    cls = ad.optim.Adadelta if "rho" in kwargs else ad.optim.Rprop
    with pytest.raises(ValueError, match=message):
        cls([nn.Parameter([1.0])], **kwargs)


@pytest.mark.parametrize("name", ["Adadelta", "Rprop", "ASGD"])
def test_implementation_flags_are_taken_or_refused_as_elsewhere(name):
    cls = getattr(ad.optim, name)
    cls([nn.Parameter([1.0])], foreach=True)
    with pytest.raises(ValueError, match=rf"{name}: capturable=True is for CUDA graphs"):
        cls([nn.Parameter([1.0])], capturable=True)
    with pytest.raises(ValueError, match=rf"{name}: differentiable=True"):
        cls([nn.Parameter([1.0])], differentiable=True)


@pytest.mark.parametrize("name", ["Adadelta", "Rprop", "ASGD"])
def test_maximize_is_the_step_on_the_negated_gradient(name):
    start, grads = RNG.standard_normal(5), [RNG.standard_normal(5) for _ in range(8)]
    up, down = nn.Parameter(start.copy()), nn.Parameter(start.copy())
    run(getattr(ad.optim, name)([up], lr=0.05, maximize=True), [up], [[g] for g in grads])
    run(getattr(ad.optim, name)([down], lr=0.05), [down], [[-g] for g in grads])
    assert up.data.tobytes() == down.data.tobytes()


@pytest.mark.parametrize("name,group_kwargs", [("Adadelta", dict(lr=0.3, rho=0.5)),
                                               ("Rprop", dict(lr=0.2, etas=(0.4, 1.5))),
                                               ("ASGD", dict(lr=0.2, t0=1))])
def test_parameter_groups_take_their_own_hyperparameters(name, group_kwargs):
    cls = getattr(ad.optim, name)
    a, b = nn.Parameter(RNG.standard_normal(3)), nn.Parameter(RNG.standard_normal(2))
    a_alone, b_alone = nn.Parameter(a.data.copy()), nn.Parameter(b.data.copy())
    grouped = cls([{"params": [a]}, {"params": [b], **group_kwargs}], lr=0.05)
    first, second = cls([a_alone], lr=0.05), cls([b_alone], **group_kwargs)
    for _ in range(5):
        ga, gb = RNG.standard_normal(3), RNG.standard_normal(2)
        run(grouped, [a, b], [[ga, gb]])
        run(first, [a_alone], [[ga]])
        run(second, [b_alone], [[gb]])
    assert a.data.tobytes() == a_alone.data.tobytes()
    assert b.data.tobytes() == b_alone.data.tobytes()


@pytest.mark.parametrize("name", ["Adadelta", "Rprop", "ASGD"])
def test_a_parameter_without_gradient_is_left_alone_with_a_warning(name):
    used, unused = nn.Parameter([1.0, 2.0]), nn.Parameter([3.0], name="offset")
    opt = getattr(ad.optim, name)([used, unused], lr=0.1)
    used.grad = np.array([1.0, -1.0])
    with pytest.warns(ad.NoGradientWarning, match=rf"{name}.step: parameter 'offset'"):
        opt.step()
    assert unused.data[0] == 3.0 and opt.state[1] == {} and not np.array_equal(
        used.data, [1.0, 2.0])
    with pytest.warns(ad.NoGradientWarning, match=rf"{name}.step: none of the 2 parameters"):
        getattr(ad.optim, name)([nn.Parameter([1.0]), nn.Parameter([2.0])]).step()


CLASSES = [(ad.optim.Adadelta, dict(lr=0.5, weight_decay=1e-3)),
           (ad.optim.Rprop, dict(lr=0.02, etas=(0.4, 1.3))),
           (ad.optim.ASGD, dict(lr=0.05, weight_decay=1e-3, t0=2))]


def _train(model, opt, steps):
    X, y = ad.data.spiral(10, 3, seed=2)
    for _ in range(steps):
        loss = F.cross_entropy(model(ad.tensor(X)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()


@pytest.mark.parametrize("cls,kwargs", CLASSES)
def test_state_dict_round_trip_continues_bitwise(cls, kwargs, tmp_path):
    def make():
        model = nn.MLP([2, 5, 3], rng=0)
        groups = [{"params": model.layers[0].parameters()},
                  {"params": model.layers[1].parameters(), "lr": 0.02}]
        return model, cls(groups, **kwargs)

    model, opt = make()
    _train(model, opt, 4)
    saved = opt.state_dict()
    assert int(saved["state.0.step"]) == 4 and float(saved["param_groups.1.lr"]) == 0.02
    np.savez(tmp_path / "model.npz", **model.state_dict())
    np.savez(tmp_path / "opt.npz", **saved)
    _train(model, opt, 4)

    resumed, fresh = make()
    with np.load(tmp_path / "model.npz") as state:
        resumed.load_state_dict(state)
    with np.load(tmp_path / "opt.npz") as state:
        fresh.load_state_dict(state)
    assert fresh.param_groups[0] == {**opt.param_groups[0], "params": fresh.params[:2]}
    _train(resumed, fresh, 4)
    for a, b in zip(model.parameters(), resumed.parameters()):
        assert a.data.tobytes() == b.data.tobytes()
    assert_same_optimizer_state(opt, fresh)


def test_load_state_dict_refuses_another_optimizers_state():
    p = nn.Parameter([1.0, 2.0])
    adadelta = ad.optim.Adadelta([p])
    p.grad = np.ones(2)
    adadelta.step()
    with pytest.raises(KeyError, match=r"ASGD.load_state_dict: parameter group 0 of the "
                                       r"state has 'eps', 'rho'"):
        ad.optim.ASGD([p]).load_state_dict(adadelta.state_dict())
    state = {k: v for k, v in adadelta.state_dict().items() if k.startswith("state.")}
    with pytest.raises(KeyError, match=r"Rprop.load_state_dict: the saved state of parameter "
                                       r"'#0' has 'acc_delta', 'square_avg'"):
        ad.optim.Rprop([p]).load_state_dict(state)


# ----- ad.compile: no fused kernel, so the replay calls step() itself ----------------------

def _training(cls, kwargs, dtype):
    return mlp_training(lambda ps: cls(ps, **kwargs), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls,kwargs", CLASSES)
def test_a_compiled_training_step_equals_eager_bitwise(cls, kwargs, dtype):
    eager_model, eager_opt, eager = _training(cls, kwargs, dtype)
    model, opt, step = _training(cls, kwargs, dtype)
    compiled = ad.compile(step)
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for i in range(15):
            xb, yb = rng.normal(size=(16, 5)).astype(dtype), rng.integers(0, 3, size=16)
            if i == 8:                   # a changed hyperparameter is read at the next replay
                for o in (eager_opt, opt):
                    o.param_groups[0]["lr"] /= 2
            assert eager(xb, yb).data.tobytes() == compiled(xb, yb).data.tobytes(), i
    assert not [i for i in compiled.plan.instrs if i.kind == "call" and i.label.endswith("(fused)")]
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert p.data.dtype == dtype
        assert p.data.tobytes() == q.data.tobytes()
    for s, t in zip(eager_opt.state, opt.state):
        assert int(s["step"]) == int(t["step"]) == 15
        for key in s:
            assert np.asarray(s[key]).tobytes() == np.asarray(t[key]).tobytes(), key
