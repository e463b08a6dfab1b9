"""ad.optim.NAdam, RAdam and Adamax: their updates against PyTorch's formulas written out
in NumPy and against steps worked out by hand, validation, saving and resuming bitwise,
and compiled training steps (with a SequentialLR schedule) equal to eager ones."""

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F
from training_reference import assert_same_optimizer_state, mlp_batches

RNG = np.random.default_rng(5)


# ----- references: PyTorch's single-tensor algorithms, one gradient per step ------------

def nadam_reference(x, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                    momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    m, v, mu_product = np.zeros_like(x), np.zeros_like(x), 1.0
    for t, g in enumerate(grads, start=1):
        g = -g if maximize else g
        if decoupled_weight_decay:
            x = x * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * x
        mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        mu_product *= mu
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        denom = np.sqrt(v / (1 - b2 ** t)) + eps
        x = x - lr * (1 - mu) / (1 - mu_product) * g / denom
        x = x - lr * mu_next / (1 - mu_product * mu_next) * m / denom
    return x


def radam_reference(x, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                    decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    m, v = np.zeros_like(x), np.zeros_like(x)
    rho_inf = 2 / (1 - b2) - 1
    for t, g in enumerate(grads, start=1):
        g = -g if maximize else g
        if decoupled_weight_decay:
            x = x * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho_t > 5:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                             / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            x = x - lr * m_hat * math.sqrt(1 - b2 ** t) / (np.sqrt(v) + eps) * rect
        else:
            x = x - lr * m_hat
    return x


def adamax_reference(x, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                     maximize=False):
    b1, b2 = betas
    m, u = np.zeros_like(x), np.zeros_like(x)
    for t, g in enumerate(grads, start=1):
        g = -g if maximize else g
        g = g + weight_decay * x
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        x = x - lr / (1 - b1 ** t) * m / u
    return x


REFERENCES = {"NAdam": nadam_reference, "RAdam": radam_reference, "Adamax": adamax_reference}

CONFIGS = [
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1, momentum_decay=0.05)),
    ("NAdam", dict(lr=0.05, weight_decay=0.2, decoupled_weight_decay=True, maximize=True)),
    ("NAdam", dict(lr=0.05, betas=(0.3, 0.9), eps=1e-4)),          # lerp's other branch
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1)),   # rectified from step 6
    ("RAdam", dict(lr=0.05, betas=(0.3, 0.5), weight_decay=0.2, decoupled_weight_decay=True,
                   maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.05, betas=(0.3, 0.9), eps=1e-3, weight_decay=0.1, maximize=True)),
]


def run(opt, params, grads_per_step):
    for grads in grads_per_step:
        for p, g in zip(params, grads):
            p.grad = g.copy()
        opt.step()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,kwargs", CONFIGS)
def test_steps_match_the_reference_update(name, kwargs, dtype):
    start = RNG.standard_normal((3, 4)).astype(dtype)
    grads = [(RNG.standard_normal((3, 4)) * RNG.uniform(0.1, 3.0)).astype(dtype)
             for _ in range(12)]
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


def test_steps_worked_out_by_hand():
    # Adamax: m = 0.1 g, u = |g| + eps, step 1 moves by (lr / 0.1) * 0.1 g / |g| = lr.
    p = nn.Parameter([1.0, 1.0])
    run(ad.optim.Adamax([p], lr=0.5, eps=0.0), [p], [[np.array([4.0, -0.25])]])
    np.testing.assert_allclose(p.data, [0.5, 1.5], rtol=1e-15)
    # ... and u = max(0.999 * 4, |1|) = 3.996 at step 2: m = 0.09 * 4 + 0.1 * 1 = 0.46.
    s = nn.Parameter([1.0])
    run(ad.optim.Adamax([s], lr=0.5, eps=0.0), [s], [[np.array([4.0])], [np.array([1.0])]])
    np.testing.assert_allclose(s.data, [1.0 - 0.5 - (0.5 / 0.19) * 0.46 / 3.996], rtol=1e-14)
    # RAdam: rho_t <= 5 for the first steps (b2 = 0.999), so it moves by lr * m_hat = lr * g.
    q = nn.Parameter([0.0])
    run(ad.optim.RAdam([q], lr=0.1), [q], [[np.array([3.0])]])
    np.testing.assert_allclose(q.data, [-0.3], rtol=1e-15)
    # NAdam's first step: mu1 = 0.9 (1 - 0.5 * 0.96^0.004), mu2 likewise, v_hat = g², so
    # p -= lr (1 - mu1) / (1 - mu1) * sign(g) + lr mu2 / (1 - mu1 mu2) * 0.1 * sign(g).
    r = nn.Parameter([0.0])
    run(ad.optim.NAdam([r], lr=0.1, eps=0.0), [r], [[np.array([-2.0])]])
    mu1 = 0.9 * (1 - 0.5 * 0.96 ** 0.004)
    mu2 = 0.9 * (1 - 0.5 * 0.96 ** 0.008)
    np.testing.assert_allclose(r.data, [0.1 + 0.1 * mu2 / (1 - mu1 * mu2) * 0.1], rtol=1e-14)


def test_radam_switches_to_the_rectified_step_when_rho_exceeds_five():
    # b2 = 0.9: rho_inf = 19, rho_t = 19 - 2 t 0.9^t / (1 - 0.9^t) is 4.2 at t = 5, 5.5 at 6.
    b2 = 0.9
    rho = [19 - 2 * t * b2 ** t / (1 - b2 ** t) for t in (5, 6)]
    assert rho[0] <= 5 < rho[1]
    p = nn.Parameter(np.zeros(2))
    opt = ad.optim.RAdam([p], lr=0.1, betas=(0.9, b2), eps=0.0)
    g = np.array([1.0, -2.0])
    before = []
    for _ in range(6):
        before.append(p.data.copy())
        p.grad = g.copy()
        opt.step()
    # a constant gradient: m_hat = g; plain steps move by lr * g ...
    np.testing.assert_allclose(before[5] - before[4], -0.1 * g, rtol=1e-14)
    # ... the rectified step by lr * r_6 * sign(g) (v_hat = g²)
    rect = math.sqrt((rho[1] - 4) * (rho[1] - 2) * 19 / (15 * 17 * rho[1]))
    np.testing.assert_allclose(p.data - before[5], -0.1 * rect * np.sign(g), rtol=1e-13)


@pytest.mark.parametrize("name", ["NAdam", "RAdam"])
def test_decoupled_weight_decay_shrinks_the_parameter_outside_the_moments(name):
    p = nn.Parameter([2.0, -4.0])
    opt = getattr(ad.optim, name)([p], lr=0.1, weight_decay=0.5, decoupled_weight_decay=True)
    p.grad = np.zeros(2)
    opt.step()                              # zero gradient: the moments stay 0
    np.testing.assert_array_equal(p.data, np.array([2.0, -4.0]) * (1 - 0.1 * 0.5))
    assert not np.any(opt.state[0]["exp_avg"])
    coupled = nn.Parameter([2.0, -4.0])
    other = getattr(ad.optim, name)([coupled], lr=0.1, weight_decay=0.5)
    coupled.grad = np.zeros(2)
    other.step()                            # L2: the decay enters the moments
    np.testing.assert_allclose(other.state[0]["exp_avg"], 0.1 * 0.5 * np.array([2.0, -4.0]))


@pytest.mark.parametrize("name", ["NAdam", "RAdam", "Adamax"])
def test_maximize_is_the_step_on_the_negated_gradient(name):
    start, grads = RNG.standard_normal(5), [RNG.standard_normal(5) for _ in range(8)]
    up, down = nn.Parameter(start.copy()), nn.Parameter(start.copy())
    run(getattr(ad.optim, name)([up], lr=0.05, maximize=True), [up], [[g] for g in grads])
    run(getattr(ad.optim, name)([down], lr=0.05), [down], [[-g] for g in grads])
    assert up.data.tobytes() == down.data.tobytes()


def test_defaults_are_pytorchs():
    p = nn.Parameter([1.0])
    flags = dict(foreach=None, capturable=False, differentiable=False)
    nadam = ad.optim.NAdam([p]).param_groups[0]
    assert {k: v for k, v in nadam.items() if k != "params"} == dict(
        lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
        decoupled_weight_decay=False, maximize=False, **flags)
    radam = ad.optim.RAdam([p]).param_groups[0]
    assert {k: v for k, v in radam.items() if k != "params"} == dict(
        lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
        maximize=False, **flags)
    adamax = ad.optim.Adamax([p]).param_groups[0]
    assert {k: v for k, v in adamax.items() if k != "params"} == dict(
        lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False, **flags)


HYPERPARAMETERS = [(name, key) for name in ("NAdam", "RAdam", "Adamax")
                   for key in ("lr", "eps", "weight_decay")] + [("NAdam", "momentum_decay")]


@pytest.mark.parametrize("name,key", HYPERPARAMETERS)
@pytest.mark.parametrize("value", [-0.1, float("nan"), float("inf")])
def test_hyperparameters_are_validated(name, key, value):
    p = nn.Parameter([1.0])
    cls = getattr(ad.optim, name)
    with pytest.raises(ValueError, match=rf"{name}: {key} must be a finite number >= 0, "
                                         rf"got {value!r}"):
        cls([p], **{key: value})
    with pytest.raises(ValueError, match=rf"{name}: parameter group 1: {key} must be"):
        cls([{"params": [p]}, {"params": [nn.Parameter([2.0])], key: value}])


@pytest.mark.parametrize("name", ["NAdam", "RAdam", "Adamax"])
@pytest.mark.parametrize("betas", [(1.0, 0.9), (0.9, -0.1), (0.9,), "ab"])
def test_betas_are_validated(name, betas):
    with pytest.raises(ValueError, match=rf"{name}: betas must be"):
        getattr(ad.optim, name)([nn.Parameter([1.0])], betas=betas)


def test_bad_params_and_a_negative_lr_set_later_are_refused():
    model = nn.Linear(2, 1, rng=0)
    with pytest.raises(TypeError, match=r"NAdam: params is the method 'parameters' .* call it"):
        ad.optim.NAdam(model.parameters)
    p = nn.Parameter([1.0])
    opt = ad.optim.RAdam([p], lr=0.1)
    opt.param_groups[0]["lr"] = -0.1
    p.grad = np.array([1.0])
    with pytest.raises(ValueError, match=r"RAdam.step: param_groups\[0\]\['lr'\] is -0.1"):
        opt.step()
    assert p.data[0] == 1.0 and opt.state[0] == {}


def test_state_is_made_at_the_first_step_in_the_parameters_dtype():
    p = nn.Parameter(np.ones(3, dtype=np.float32))
    opt = ad.optim.NAdam([p], lr=0.1)
    assert opt.state[0] == {}
    for _ in range(3):
        p.grad = np.array([1.0, -2.0, 0.5], dtype=np.float32)
        opt.step()
    assert sorted(opt.state[0]) == ["exp_avg", "exp_avg_sq", "mu_product", "step"]
    assert opt.state[0]["mu_product"].shape == () and opt.state[0]["mu_product"].dtype == \
        np.float32 and p.data.dtype == np.float32
    mus = [0.9 * (1 - 0.5 * 0.96 ** (t * 4e-3)) for t in (1, 2, 3)]
    np.testing.assert_allclose(opt.state[0]["mu_product"], np.prod(mus), rtol=1e-6)
    assert not any(k.startswith("state.") for k in ad.optim.Adamax([p]).state_dict())


CLASSES = [(ad.optim.NAdam, dict(lr=0.05, weight_decay=1e-3, momentum_decay=0.01)),
           (ad.optim.RAdam, dict(lr=0.05, weight_decay=1e-3, decoupled_weight_decay=True)),
           (ad.optim.Adamax, dict(lr=0.05, weight_decay=1e-3))]


@pytest.mark.parametrize("cls,kwargs", CLASSES)
def test_state_dict_round_trip_continues_bitwise(cls, kwargs, tmp_path):
    def make():
        model = nn.MLP([2, 5, 3], rng=0)
        groups = [{"params": model.layers[0].parameters()},
                  {"params": model.layers[1].parameters(), "lr": 0.02, "betas": (0.8, 0.99)}]
        return model, cls(groups, **kwargs)

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
    assert int(saved["state.0.step"]) == 4
    assert tuple(saved["param_groups.1.betas"]) == (0.8, 0.99)
    np.savez(tmp_path / "model.npz", **model.state_dict())
    np.savez(tmp_path / "opt.npz", **saved)
    saved["state.0.exp_avg"][...] = 1e6         # a copy: the optimizer's state is untouched
    assert np.all(np.abs(opt.state[0]["exp_avg"]) < 1e3)
    train(model, opt, 4)

    resumed, fresh = make()
    with np.load(tmp_path / "model.npz") as state:
        resumed.load_state_dict(state)
    with np.load(tmp_path / "opt.npz") as state:
        fresh.load_state_dict(state)
    assert fresh.param_groups[1]["betas"] == (0.8, 0.99)
    train(resumed, fresh, 4)
    for a, b in zip(model.parameters(), resumed.parameters()):
        assert a.data.tobytes() == b.data.tobytes()
    assert_same_optimizer_state(opt, fresh)


def test_load_state_dict_refuses_another_optimizers_state():
    p = nn.Parameter([1.0, 2.0])
    nadam = ad.optim.NAdam([p])
    p.grad = np.ones(2)
    nadam.step()
    with pytest.raises(KeyError, match=r"Adamax.load_state_dict: parameter group 0 of the "
                                       r"state has 'decoupled_weight_decay', 'momentum_decay'"):
        ad.optim.Adamax([p]).load_state_dict(nadam.state_dict())


# ----- ad.compile ------------------------------------------------------------------------

def _training(cls, dtype, schedule_inside):
    model = nn.MLP([5, 12, 3], rng=0)
    for p in model.parameters():
        p.data = p.data.astype(dtype)
    opt = cls(model.parameters(), lr=0.02, weight_decay=1e-3)
    S = ad.optim.lr_scheduler
    sched = S.SequentialLR(opt, [S.LinearLR(opt, start_factor=0.1, total_iters=4),
                                 S.CosineAnnealingLR(opt, T_max=12, eta_min=1e-3)],
                           milestones=[4])

    def step(xb, yb):
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if schedule_inside:
            sched.step()
        return loss
    return model, opt, sched, step


@pytest.mark.parametrize("schedule_inside", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls", [ad.optim.NAdam, ad.optim.RAdam, ad.optim.Adamax])
def test_a_compiled_training_step_with_a_sequential_schedule_equals_eager_bitwise(
        cls, dtype, schedule_inside):
    eager_model, eager_opt, eager_sched, eager = _training(cls, dtype, schedule_inside)
    model, opt, sched, step = _training(cls, dtype, schedule_inside)
    compiled = ad.compile(step)
    for i, (xb, yb) in enumerate(mlp_batches(20, dtype)):
        assert eager(xb, yb).data.tobytes() == compiled(xb, yb).data.tobytes(), f"step {i}"
        if not schedule_inside:             # stepped between the compiled calls
            eager_sched.step()
            sched.step()
        assert opt.param_groups[0]["lr"] == eager_opt.param_groups[0]["lr"]
    assert sched.last_epoch == eager_sched.last_epoch == 20
    assert sched.get_last_lr() == eager_sched.get_last_lr()
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert p.data.dtype == dtype
        assert p.data.tobytes() == q.data.tobytes()
    for s, t in zip(eager_opt.state, opt.state):
        assert int(s["step"]) == int(t["step"]) == 20
        for key in s:
            assert np.asarray(s[key]).tobytes() == np.asarray(t[key]).tobytes(), key
