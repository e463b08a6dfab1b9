"""ad.optim.lr_scheduler's ConstantLR, PolynomialLR, MultiplicativeLR,
CosineAnnealingWarmRestarts, CyclicLR, SequentialLR and ChainedScheduler: lr sequences
against their closed forms and hand-computed values (PyTorch's, including its quirks),
state_dict round trips and errors."""

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.optim import lr_scheduler as S


def make_optimizer(opt_class=ad.optim.SGD, lrs=(0.1,), dtype=np.float64, **kwargs):
    groups = [{"params": [nn.Parameter(np.zeros(1, dtype=dtype))], "lr": lr} for lr in lrs]
    return opt_class(groups, **kwargs)


def run(sched, steps):
    """The lr of every group before each of ``steps`` optimizer steps."""
    opt = sched.optimizer
    seen = []
    for _ in range(steps):
        seen.append([group["lr"] for group in opt.param_groups])
        assert sched.get_last_lr() == seen[-1]
        for p in opt.params:
            p.grad = np.zeros_like(p.data)
        opt.step()
        sched.step()
    return np.array(seen)


def test_constant_lr():
    sched = S.ConstantLR(make_optimizer(lrs=(0.1, 0.4)), factor=0.25, total_iters=3)
    t = np.arange(7)[:, None]
    np.testing.assert_allclose(run(sched, 7), np.where(t < 3, 0.25, 1.0) * [[0.1, 0.4]],
                               rtol=1e-15)
    default = S.ConstantLR(make_optimizer())
    np.testing.assert_allclose(run(default, 7)[:, 0], [0.1 / 3] * 5 + [0.1] * 2, rtol=1e-15)
    assert default.last_epoch == 7


@pytest.mark.parametrize("power", [1.0, 2.0, 0.5])
def test_polynomial_lr(power):
    sched = S.PolynomialLR(make_optimizer(lrs=(0.1, 1.0)), total_iters=6, power=power)
    t = np.minimum(np.arange(9), 6)[:, None]
    np.testing.assert_allclose(run(sched, 9), (1 - t / 6) ** power * [[0.1, 1.0]],
                               rtol=1e-13, atol=1e-18)
    default = S.PolynomialLR(make_optimizer())            # total_iters=5, power=1
    np.testing.assert_allclose(run(default, 6)[:, 0], [0.1, 0.08, 0.06, 0.04, 0.02, 0.0],
                               atol=1e-16)


def test_multiplicative_lr_one_function_per_group():
    sched = S.MultiplicativeLR(make_optimizer(lrs=(0.1, 1.0)),
                               lr_lambda=[lambda k: 0.5, lambda k: 1 + k])
    # each step multiplies by f(last_epoch), counted from 1
    expected = [[0.1 * 0.5 ** t, math.factorial(t + 1)] for t in range(5)]
    np.testing.assert_allclose(run(sched, 5), expected, rtol=1e-15)


def test_cosine_warm_restarts_restart_and_lengthen_the_period():
    sched = S.CosineAnnealingWarmRestarts(make_optimizer(lrs=(0.1, 0.02)), T_0=3, T_mult=2,
                                          eta_min=0.001)
    # periods 3, 6, 12: T_cur is 0 1 2 | 0 1 2 3 4 5 | 0 1 ...
    t_cur = [0, 1, 2, 0, 1, 2, 3, 4, 5, 0, 1]
    t_i = [3, 3, 3, 6, 6, 6, 6, 6, 6, 12, 12]
    expected = [[0.001 + (base - 0.001) * (1 + math.cos(math.pi * c / i)) / 2
                 for base in (0.1, 0.02)] for c, i in zip(t_cur, t_i)]
    np.testing.assert_allclose(run(sched, 11), expected, rtol=1e-15)
    assert (sched.T_cur, sched.T_i, sched.last_epoch) == (2, 12, 11)


def test_cosine_warm_restarts_jump_to_fractional_epochs():
    opt = make_optimizer(lrs=(1.0,))
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=4)
    for epoch, t_cur in [(0.5, 0.5), (3.75, 3.75), (4.0, 0.0), (9.5, 1.5)]:
        sched.step(epoch)
        assert sched.T_cur == t_cur and sched.last_epoch == math.floor(epoch)
        assert sched.get_last_lr()[0] == (1 + math.cos(math.pi * t_cur / 4)) / 2
    sched.step()                           # on from epoch 9 (PyTorch's interleaving)
    assert (sched.last_epoch, sched.T_cur) == (10, 2.5)
    # T_mult = 2: periods 2, 4, 8 start at 0, 2, 6; epoch 7.5 is 1.5 into the third
    grown = S.CosineAnnealingWarmRestarts(make_optimizer(lrs=(1.0,)), T_0=2, T_mult=2)
    grown.step(7.5)
    assert (grown.T_cur, grown.T_i, grown.last_epoch) == (1.5, 8, 7)
    grown.step(1.0)                        # back inside the first period
    assert (grown.T_cur, grown.T_i) == (1.0, 2)
    for bad in (-1, float("nan"), "3", float("inf")):
        with pytest.raises(ValueError, match=r"CosineAnnealingWarmRestarts.step: epoch must "
                                             r"be a finite number >= 0"):
            sched.step(bad)


def _triangle(t, up, down):
    """Position in the cycle: 0 at base_lr, 1 at max_lr."""
    x = t % (up + down)
    return x / up if x <= up else 1 - (x - up) / down


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_lr_modes_and_momentum(mode):
    opt = make_optimizer(lrs=(1.0, 1.0), momentum=0.5)
    sched = S.CyclicLR(opt, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3, step_size_down=5,
                       mode=mode, gamma=0.9)
    momenta = []
    seen = []
    for t in range(20):
        momenta.append(opt.param_groups[0]["momentum"])
        seen.append(run(sched, 1)[0])
    for t in range(20):
        cycle = t // 8 + 1
        scale = {"triangular": 1.0, "triangular2": 0.5 ** (cycle - 1),
                 "exp_range": 0.9 ** t}[mode]
        height = _triangle(t, 3, 5) * scale
        np.testing.assert_allclose(seen[t], [0.01 + 0.09 * height, 0.02 + 0.08 * height],
                                   rtol=1e-13)
        np.testing.assert_allclose(momenta[t], 0.9 - 0.1 * height, rtol=1e-13)
    assert opt.param_groups[0]["max_momentum"] == 0.9
    assert opt.param_groups[0]["base_momentum"] == 0.8


def test_cyclic_lr_cycles_adams_beta1_and_takes_a_scale_function():
    opt = make_optimizer(ad.optim.Adam, betas=(0.5, 0.99))
    sched = S.CyclicLR(opt, base_lr=0.001, max_lr=0.003, step_size_up=2,
                       scale_fn=lambda x: 1 / x, scale_mode="cycle", base_momentum=0.85,
                       max_momentum=0.95)
    assert opt.param_groups[0]["betas"] == (0.95, 0.99)
    lrs = run(sched, 9)[:, 0]
    np.testing.assert_allclose(lrs, [0.001, 0.002, 0.003, 0.002, 0.001, 0.0015, 0.002,
                                     0.0015, 0.001 + 0.002 * 0 / 3], rtol=1e-13)
    np.testing.assert_allclose(opt.param_groups[0]["betas"][0], 0.95 - 0.1 * 0.5 / 3,
                               rtol=1e-13)   # step 9: halfway up the third cycle
    assert opt.param_groups[0]["betas"][1] == 0.99


def test_cyclic_lr_needs_momentum_or_betas_to_cycle_momentum():
    with pytest.raises(ValueError, match=r"CyclicLR: cycle_momentum=True needs an optimizer "
                                         r"with momentum or betas; Adagrad has neither"):
        S.CyclicLR(make_optimizer(ad.optim.Adagrad), base_lr=0.01, max_lr=0.1)
    sched = S.CyclicLR(make_optimizer(ad.optim.Adagrad), base_lr=0.01, max_lr=0.1,
                       step_size_up=1, cycle_momentum=False)
    np.testing.assert_allclose(run(sched, 4)[:, 0], [0.01, 0.1, 0.01, 0.1])


def test_sequential_lr_warmup_then_decay_restarts_the_decay_at_its_step_zero():
    opt = make_optimizer(lrs=(0.1, 0.2))
    warmup = S.LinearLR(opt, start_factor=0.2, total_iters=4)
    decay = S.ExponentialLR(opt, gamma=0.5)
    # making ExponentialLR kept the lr warmup had set; SequentialLR resets and restarts
    sched = S.SequentialLR(opt, [warmup, decay], milestones=[4])
    assert sched.last_epoch == 0 and (warmup.last_epoch, decay.last_epoch) == (0, -1)
    seen = run(sched, 8)
    factors = [0.2, 0.4, 0.6, 0.8, 1.0, 0.5, 0.25, 0.125]
    np.testing.assert_allclose(seen, np.outer(factors, [0.1, 0.2]), rtol=1e-15)
    assert (sched.last_epoch, warmup.last_epoch, decay.last_epoch) == (8, 3, 4)


def test_sequential_lr_at_a_milestone_sets_the_next_scheduler_to_its_step_zero():
    # With a closed form (ConstantLR, CosineAnnealingLR): initial_lr times its value at 0,
    # not where the previous one left the lr.  Without one (LambdaLR): get_lr() at 0.
    # MultiplicativeLR's get_lr multiplies the current lr by f(0) (PyTorch's arithmetic).
    opt = make_optimizer(lrs=(1.0,))
    sched = S.SequentialLR(opt, [S.ExponentialLR(opt, gamma=0.5),
                                 S.ConstantLR(opt, factor=0.1, total_iters=2),
                                 S.LambdaLR(opt, lambda k: 3.0 + k),
                                 S.MultiplicativeLR(opt, lambda k: 2.0 + k),
                                 S.CosineAnnealingLR(opt, T_max=4, eta_min=0.5)],
                           milestones=[2, 5, 7, 9])
    seen = run(sched, 12)[:, 0]
    np.testing.assert_allclose(seen, [1.0, 0.5,          # exponential
                                      0.1, 0.1, 1.0,     # constant from initial_lr
                                      3.0, 4.0,          # lambda at 0 and 1
                                      8.0, 24.0,         # 4 * f(0), then * f(1)
                                      1.0, 0.5 + 0.5 * (1 + math.cos(math.pi / 4)) / 2,
                                      0.75], rtol=1e-14)


def test_chained_scheduler_composes_its_schedulers():
    opt = make_optimizer(lrs=(0.05,))
    sched = S.ChainedScheduler([S.ConstantLR(opt, factor=0.1, total_iters=20),
                                S.ExponentialLR(opt, gamma=0.9)], optimizer=opt)
    seen = run(sched, 23)[:, 0]
    expected = [0.05 * 0.9 ** t * (0.1 if t < 20 else 1.0) for t in range(23)]
    np.testing.assert_allclose(seen, expected, rtol=1e-13)
    assert not hasattr(sched, "last_epoch")            # (as in PyTorch)
    assert "ConstantLR, ExponentialLR" in repr(sched)


def _sequential(opt):
    return S.SequentialLR(opt, [S.LinearLR(opt, start_factor=0.25, total_iters=3),
                                S.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=2)],
                          milestones=[3])


def _chained(opt):
    return S.ChainedScheduler([S.PolynomialLR(opt, total_iters=10, power=2.0),
                               S.MultiStepLR(opt, milestones=[4, 6], gamma=0.5)])


class Halve:
    """A callable object: its attributes are saved in the scheduler's state."""

    def __init__(self):
        self.rate = 0.5

    def __call__(self, k):
        return self.rate


SCHEDULES = {
    "constant": lambda opt: S.ConstantLR(opt, factor=0.5, total_iters=4),
    "polynomial": lambda opt: S.PolynomialLR(opt, total_iters=8, power=1.5),
    "multiplicative": lambda opt: S.MultiplicativeLR(opt, lambda k: 0.9),
    "warm restarts": lambda opt: S.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2),
    "cyclic": lambda opt: S.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=3,
                                     mode="triangular2"),
    "sequential": _sequential,
    "chained": _chained,
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_state_dict_resumes_the_same_sequence(name, dtype):
    opt = make_optimizer(ad.optim.NAdam, lrs=(0.1, 0.05), dtype=dtype)
    sched = SCHEDULES[name](opt)
    run(sched, 5)
    saved_opt, saved = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in saved
    rest = run(sched, 9)

    fresh_opt = make_optimizer(ad.optim.NAdam, lrs=(0.1, 0.05), dtype=dtype)
    fresh = SCHEDULES[name](fresh_opt)
    fresh_opt.load_state_dict(saved_opt)
    fresh.load_state_dict(saved)
    assert fresh.get_last_lr() == [group["lr"] for group in fresh_opt.param_groups]
    np.testing.assert_array_equal(run(fresh, 9), rest)
    assert getattr(fresh, "last_epoch", None) == getattr(sched, "last_epoch", None)
    assert all(p.data.dtype == dtype for p in fresh_opt.params)


def test_state_dict_keeps_the_nested_states_and_callable_objects():
    opt = make_optimizer()
    halve = Halve()
    sched = S.SequentialLR(opt, [S.MultiplicativeLR(opt, halve),
                                 S.ExponentialLR(opt, gamma=0.9)], milestones=[2])
    saved = sched.state_dict()
    assert [s["last_epoch"] for s in saved["_schedulers"]] == [0, -1]
    assert saved["_schedulers"][0]["lr_lambdas"] == [{"rate": 0.5}]
    assert S.MultiplicativeLR(opt, lambda k: 1.0).state_dict()["lr_lambdas"] == [None]
    other_halve = Halve()
    other_halve.rate = 0.25
    other = S.MultiplicativeLR(make_optimizer(), other_halve)
    other.load_state_dict(saved["_schedulers"][0])
    assert other_halve.rate == 0.5
    cyclic = S.CyclicLR(make_optimizer(), 0.01, 0.1, scale_fn=halve)
    assert cyclic.state_dict()["_scale_fn_custom"] == {"rate": 0.5}
    with pytest.raises(ValueError, match=r"SequentialLR.load_state_dict: expected the states "
                                         r"of 2 schedulers"):
        sched.load_state_dict({"last_epoch": 3})


def test_a_float32_model_follows_the_schedule():
    opt = make_optimizer(ad.optim.RAdam, lrs=(0.1,), dtype=np.float32)
    sched = S.SequentialLR(opt, [S.ConstantLR(opt, factor=0.5, total_iters=2),
                                 S.PolynomialLR(opt, total_iters=4)], milestones=[2])
    seen = run(sched, 7)[:, 0]
    np.testing.assert_allclose(seen, [0.05, 0.05, 0.1, 0.075, 0.05, 0.025, 0.0], atol=1e-16)
    assert opt.params[0].data.dtype == np.float32


def test_bad_arguments():
    opt = make_optimizer()
    model = nn.Linear(2, 1, rng=0)
    with pytest.raises(TypeError, match=r"ConstantLR: expected an optimizer .*that is the "
                                        r"model"):
        S.ConstantLR(model)
    cases = [
        (lambda: S.ConstantLR(opt, factor=0.0), r"ConstantLR: factor must be in \(0, 1\]"),
        (lambda: S.ConstantLR(opt, factor=1.5), r"ConstantLR: factor must be in"),
        (lambda: S.ConstantLR(opt, total_iters=0), r"ConstantLR: total_iters must be an int"),
        (lambda: S.PolynomialLR(opt, total_iters=2.5), r"PolynomialLR: total_iters must be"),
        (lambda: S.PolynomialLR(opt, power=-1.0), r"PolynomialLR: power must be a finite"),
        (lambda: S.CosineAnnealingWarmRestarts(opt, T_0=0), r"T_0 must be an int > 0"),
        (lambda: S.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=1.5),
         r"T_mult must be an int >= 1"),
        (lambda: S.CyclicLR(opt, 0.01, 0.1, mode="sine"), r"CyclicLR: mode must be"),
        (lambda: S.CyclicLR(opt, 0.01, 0.1, step_size_up=0), r"step_size_up must be a number"),
        (lambda: S.CyclicLR(opt, 0.01, 0.1, scale_mode="epoch"), r"scale_mode must be"),
        (lambda: S.CyclicLR(opt, [0.01, 0.02], 0.1), r"CyclicLR: expected 1 values of base_lr"),
        (lambda: S.CyclicLR(opt, -0.01, 0.1), r"CyclicLR: base_lr must be a finite number"),
        (lambda: S.MultiplicativeLR(opt, [lambda k: 1, lambda k: 1]),
         r"MultiplicativeLR: expected 1 lr_lambdas"),
        (lambda: S.SequentialLR(opt, [], milestones=[]), r"expects at least one scheduler"),
        (lambda: S.SequentialLR(opt, [S.ConstantLR(opt), S.ConstantLR(opt)], milestones=[]),
         r"SequentialLR: expects one milestone fewer than schedulers"),
        (lambda: S.SequentialLR(opt, [S.ConstantLR(opt)] * 3, milestones=[5, 2]),
         r"SequentialLR: milestones must be increasing ints"),
        (lambda: S.SequentialLR(opt, [S.ConstantLR(make_optimizer())], milestones=[]),
         r"SequentialLR: schedulers\[0\] \(ConstantLR\) belongs to another optimizer"),
        (lambda: S.ChainedScheduler([S.ConstantLR(opt), S.ReduceLROnPlateau(opt)]),
         r"ChainedScheduler: schedulers\[1\] is a ReduceLROnPlateau"),
        (lambda: S.ChainedScheduler([S.ConstantLR(opt)], optimizer=make_optimizer()),
         r"ChainedScheduler: schedulers\[0\] \(ConstantLR\) belongs to another"),
    ]
    for make, message in cases:
        with pytest.raises(ValueError, match=message):
            make()
    with pytest.raises(TypeError, match=r"MultiplicativeLR: lr_lambda must be a function"):
        S.MultiplicativeLR(opt, 0.9)
    with pytest.raises(TypeError, match=r"ChainedScheduler: schedulers\[0\] is a SGD, not an "
                                        r"lr scheduler"):
        S.ChainedScheduler([opt])
    with pytest.raises(TypeError, match=r"CyclicLR: expected an optimizer"):
        S.CyclicLR([1.0], 0.01, 0.1)


def test_the_new_schedulers_are_exported():
    for name in ("ConstantLR", "PolynomialLR", "MultiplicativeLR", "CosineAnnealingWarmRestarts",
                 "SequentialLR", "ChainedScheduler", "CyclicLR"):
        assert name in S.__all__ and getattr(ad.optim.lr_scheduler, name).__doc__
