"""ad.optim.lr_scheduler: each schedule's lr sequence against its closed form."""

import math
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.optim import lr_scheduler as S


def make_optimizer(opt_class=ad.optim.SGD, lrs=(0.1,), **kwargs):
    groups = [{"params": [nn.Parameter([0.0])], "lr": lr} for lr in lrs]
    return opt_class(groups, **kwargs)


def run(sched, steps):
    """The lr of every group before each of ``steps`` optimizer steps."""
    opt = sched.optimizer
    seen = []
    for _ in range(steps):
        seen.append([group["lr"] for group in opt.param_groups])
        assert sched.get_last_lr() == seen[-1]
        for p in opt.params:
            p.grad = np.zeros(1)
        opt.step()
        sched.step()
    return np.array(seen)


def test_step_lr():
    sched = S.StepLR(make_optimizer(lrs=(0.1, 0.4)), step_size=3, gamma=0.5)
    assert sched.last_epoch == 0
    t = np.arange(10)
    np.testing.assert_allclose(run(sched, 10), np.outer(0.5 ** (t // 3), [0.1, 0.4]),
                               rtol=1e-15)
    assert sched.last_epoch == 10


def test_multi_step_lr_counts_repeated_milestones():
    sched = S.MultiStepLR(make_optimizer(), milestones=[6, 2, 6], gamma=0.1)
    expected = [0.1 * 0.1 ** sum(m <= t for m in (2, 6, 6)) for t in range(9)]
    np.testing.assert_allclose(run(sched, 9)[:, 0], expected, rtol=1e-14)


def test_exponential_lr():
    sched = S.ExponentialLR(make_optimizer(), gamma=0.9)
    np.testing.assert_allclose(run(sched, 12)[:, 0], 0.1 * 0.9 ** np.arange(12), rtol=1e-14)


@pytest.mark.parametrize("eta_min", [0.0, 0.01])
def test_cosine_annealing_follows_the_cosine_past_t_max(eta_min):
    # PyTorch computes it recursively; the values are the closed form, which climbs
    # back up after T_max (period 2 * T_max).
    T = 7
    sched = S.CosineAnnealingLR(make_optimizer(lrs=(0.1, 0.02)), T_max=T, eta_min=eta_min)
    t = np.arange(3 * T + 2)[:, None]
    base = np.array([[0.1, 0.02]])
    expected = eta_min + (base - eta_min) * (1 + np.cos(np.pi * t / T)) / 2
    np.testing.assert_allclose(run(sched, 3 * T + 2), expected, rtol=1e-12, atol=1e-17)


def test_linear_lr():
    sched = S.LinearLR(make_optimizer(), start_factor=0.25, end_factor=0.75, total_iters=4)
    factors = [0.25 + 0.5 * min(t, 4) / 4 for t in range(8)]
    np.testing.assert_allclose(run(sched, 8)[:, 0], 0.1 * np.array(factors), rtol=1e-14)
    default = S.LinearLR(make_optimizer())
    np.testing.assert_allclose(run(default, 7)[:, 0],
                               0.1 * np.array([1 / 3 + (2 / 3) * min(t, 5) / 5
                                               for t in range(7)]), rtol=1e-14)


def test_lambda_lr_one_function_per_group():
    sched = S.LambdaLR(make_optimizer(lrs=(0.1, 1.0)),
                       lr_lambda=[lambda k: 1 / (k + 1), lambda k: 0.5 ** k])
    seen = run(sched, 5)
    k = np.arange(5)
    np.testing.assert_allclose(seen, np.stack([0.1 / (k + 1), 0.5 ** k], axis=1), rtol=1e-15)
    state = sched.state_dict()
    assert "lr_lambdas" not in state and "optimizer" not in state and state["last_epoch"] == 5


def one_cycle_closed_form(t, total, max_lr, pct_start=0.3, div=25.0, final_div=1e4,
                          strategy="cos", low=0.85, high=0.95):
    """1cycle in two phases: (lr, momentum) at step t."""
    start, end = max_lr / div, max_lr / div / final_div
    peak = pct_start * total - 1

    def anneal(a, b, pct):
        if strategy == "cos":
            return b + (a - b) * (1 + math.cos(math.pi * pct)) / 2
        return a + (b - a) * pct
    if t <= peak:
        return anneal(start, max_lr, t / peak), anneal(high, low, t / peak)
    pct = (t - peak) / (total - 1 - peak)
    return anneal(max_lr, end, pct), anneal(low, high, pct)


@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_one_cycle_lr_and_momentum(strategy):
    total = 20
    opt = make_optimizer(momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=total, anneal_strategy=strategy)
    lrs, momenta = [], []
    for _ in range(total):
        lrs.append(opt.param_groups[0]["lr"])
        momenta.append(opt.param_groups[0]["momentum"])
        opt.params[0].grad = np.zeros(1)
        opt.step()
        if len(lrs) < total:
            sched.step()
    expected = [one_cycle_closed_form(t, total, 1.0, strategy=strategy) for t in range(total)]
    np.testing.assert_allclose(lrs, [e[0] for e in expected], rtol=1e-12)
    np.testing.assert_allclose(momenta, [e[1] for e in expected], rtol=1e-12)
    assert lrs[0] == pytest.approx(1.0 / 25) and max(lrs) == pytest.approx(1.0, rel=0.02)
    assert lrs[-1] == pytest.approx(1.0 / 25 / 1e4)
    sched.step()                                   # step number total: still allowed
    with pytest.raises(ValueError, match=r"OneCycleLR: stepped 21 times, but total_steps is "
                                         r"20"):
        sched.step()


def test_one_cycle_cycles_adam_beta1_and_takes_epochs():
    opt = make_optimizer(ad.optim.Adam, lrs=(0.1, 0.1), betas=(0.9, 0.99))
    sched = S.OneCycleLR(opt, max_lr=[0.5, 0.2], epochs=2, steps_per_epoch=5)
    assert sched.total_steps == 10
    seen = run(sched, 10)
    expected = [[one_cycle_closed_form(t, 10, m)[0] for m in (0.5, 0.2)] for t in range(10)]
    np.testing.assert_allclose(seen, expected, rtol=1e-12)
    assert opt.param_groups[0]["betas"][1] == 0.99
    assert opt.param_groups[0]["betas"][0] == pytest.approx(one_cycle_closed_form(10, 10, 0.5)[1])


def test_one_cycle_three_phase():
    total, pct = 20, 0.3
    opt = make_optimizer(momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=total, three_phase=True)
    seen = run(sched, total)[:, 0]
    start, end = 1.0 / 25, 1.0 / 25 / 1e4
    e1, e2 = pct * total - 1, 2 * pct * total - 2

    def cos(a, b, p):
        return b + (a - b) * (1 + math.cos(math.pi * p)) / 2
    expected = [cos(start, 1.0, t / e1) if t <= e1 else
                cos(1.0, start, (t - e1) / (e2 - e1)) if t <= e2 else
                cos(start, end, (t - e2) / (total - 1 - e2)) for t in range(total)]
    np.testing.assert_allclose(seen, expected, rtol=1e-12)


def test_schedulers_compose_like_pytorchs_chainable_form():
    opt = make_optimizer(lrs=(1.0,))
    first = S.ExponentialLR(opt, gamma=0.9)
    second = S.StepLR(opt, step_size=3, gamma=0.1)
    seen = []
    for _ in range(8):
        seen.append(opt.param_groups[0]["lr"])
        opt.params[0].grad = np.zeros(1)
        opt.step()
        first.step()
        second.step()
    t = np.arange(8)
    np.testing.assert_allclose(seen, 0.9 ** t * 0.1 ** (t // 3), rtol=1e-14)


@pytest.mark.parametrize("make", [
    lambda opt: S.StepLR(opt, step_size=2, gamma=0.5),
    lambda opt: S.CosineAnnealingLR(opt, T_max=5),
    lambda opt: S.OneCycleLR(opt, max_lr=0.3, total_steps=12),
    lambda opt: S.LinearLR(opt, total_iters=4),
])
def test_scheduler_state_dict_resumes_the_same_sequence(make):
    reference = make(make_optimizer(momentum=0.9))
    full = run(reference, 11)
    opt = make_optimizer(momentum=0.9)
    sched = make(opt)
    run(sched, 5)
    saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
    assert saved_sched["last_epoch"] == 5
    new_opt = make_optimizer(momentum=0.9)
    new_sched = make(new_opt)                  # built first, then both states loaded
    new_opt.load_state_dict(saved_opt)
    new_sched.load_state_dict(saved_sched)
    assert new_sched.last_epoch == 5 and new_sched.get_last_lr() == sched.get_last_lr()
    np.testing.assert_array_equal(run(new_sched, 6), full[5:])


def test_scheduler_needs_an_optimizer():
    model = nn.Linear(2, 1, rng=0)
    with pytest.raises(TypeError, match=r"StepLR: expected an optimizer \(ad.optim.SGD, Adam, "
                                        r"AdamW, RMSprop, ...\) as the first argument, got "
                                        r"Linear \(that is the model; pass the optimizer"):
        S.StepLR(model, step_size=2)
    with pytest.raises(TypeError, match="OneCycleLR: expected an optimizer .* got NoneType"):
        S.OneCycleLR(None, max_lr=0.1, total_steps=10)
    with pytest.raises(TypeError, match="LambdaLR: expected an optimizer .* got list"):
        S.LambdaLR([1.0], lr_lambda=lambda k: 1.0)


def test_bad_arguments():
    opt = make_optimizer(lrs=(0.1, 0.2))
    with pytest.raises(ValueError, match="StepLR: step_size must be an int > 0, got 0"):
        S.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match=r"LambdaLR: expected 2 lr_lambdas \(one per parameter "
                                         r"group\), got 1"):
        S.LambdaLR(opt, lr_lambda=[lambda k: 1.0])
    with pytest.raises(ValueError, match="OneCycleLR: give total_steps, or both epochs and "
                                         "steps_per_epoch"):
        S.OneCycleLR(opt, max_lr=0.1, epochs=3)
    with pytest.raises(ValueError, match=r"LinearLR: start_factor must be in \(0, 1\], got 0"):
        S.LinearLR(opt, start_factor=0)
    with pytest.raises(KeyError, match=r"CosineAnnealingLR: last_epoch=3 resumes a schedule, but "
                                       r"param_groups\[0\] has no 'initial_lr'"):
        S.CosineAnnealingLR(make_optimizer(), T_max=5, last_epoch=3)


def test_scheduler_step_before_optimizer_step_warns_at_the_users_line():
    opt = make_optimizer()
    sched = S.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match=r"StepLR.step\(\) was called before the optimizer's "
                                         r"step\(\): the first value of the schedule is "
                                         r"skipped") as record:
        sched.step()
    assert record[0].filename == __file__
    opt2 = make_optimizer()
    sched2 = S.StepLR(opt2, step_size=2)
    opt2.params[0].grad = np.zeros(1)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()


@pytest.mark.parametrize("make", [
    lambda opt: S.OneCycleLR(opt, max_lr=0.3, total_steps=12),
    lambda opt: S.LambdaLR(opt, lambda e: 0.5 ** e),
])
def test_a_group_added_after_the_scheduler_is_refused_at_its_next_step(make):
    # Stepping on would leave the new group off the schedule: PyTorch raises, and so
    # does this.  (StepLR, MultiStepLR, ExponentialLR, LinearLR, ConstantLR and
    # PolynomialLR step each group's current lr, so a new group follows them, as in
    # PyTorch: test_torch_scripts_tenth_gaps.py; CosineAnnealingLR too, up to its
    # restart from the initial lrs: test_cross_features_eleventh_state.py.)
    opt = make_optimizer(momentum=0.9)
    sched = make(opt)
    opt.add_param_group({"params": [nn.Parameter(np.zeros(2))], "lr": 1.0})
    for p in opt.params:
        p.grad = np.zeros(p.shape)
    opt.step()
    with pytest.raises(ValueError, match="2 parameter groups.*made for 1.*add_param_group"):
        sched.step()
