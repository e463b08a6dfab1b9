"""ad.optim.lr_scheduler.ReduceLROnPlateau: lr sequences worked out by hand from
PyTorch's rules (patience, cooldown, rel/abs thresholds, min and max modes, min_lr,
eps, NaN metrics), the metrics it accepts and refuses, saving and resuming, and lr
drops reaching compiled training steps."""

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.compile import TraceError
from autodiff.optim import lr_scheduler as S
from training_reference import mlp_batches, mlp_training

NAN = float("nan")


def make_optimizer(lrs=(1.0,)):
    return ad.optim.SGD([{"params": [nn.Parameter([0.0])], "lr": lr} for lr in lrs])


def follow(sched, metrics):
    """Step through ``metrics``; the lrs after each step, and the counters."""
    lrs, bad, cooldown = [], [], []
    for metric in metrics:
        sched.step(metric)
        lrs.append(sched.get_last_lr())
        assert lrs[-1] == [group["lr"] for group in sched.optimizer.param_groups]
        bad.append(sched.num_bad_epochs)
        cooldown.append(sched.cooldown_counter)
    return lrs, bad, cooldown


def test_the_lr_drops_after_more_than_patience_steps_without_improvement():
    sched = S.ReduceLROnPlateau(make_optimizer(), factor=0.5, patience=2, threshold=0.0)
    assert sched.get_last_lr() == [1.0] and sched.last_epoch == 0
    lrs, bad, _ = follow(sched, [5, 4, 4, 4, 4, 3, 3, 3, 3])
    # 4 equals the best 4: not an improvement. The third bad step in a row (> 2) drops it.
    assert [lr[0] for lr in lrs] == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25]
    assert bad == [0, 0, 1, 2, 0, 0, 1, 2, 0]
    assert sched.best == 3 and sched.last_epoch == 9


def test_patience_zero_drops_at_each_step_without_improvement():
    sched = S.ReduceLROnPlateau(make_optimizer(), factor=0.1, patience=0)
    lrs, _, _ = follow(sched, [1.0, 2.0, 0.5, 0.6])
    np.testing.assert_allclose([lr[0] for lr in lrs], [1.0, 0.1, 0.1, 0.01], rtol=1e-15)


def test_cooldown_skips_the_steps_after_a_drop():
    sched = S.ReduceLROnPlateau(make_optimizer(), factor=0.5, patience=0, cooldown=2)
    lrs, bad, cooldown = follow(sched, [1.0] * 8)
    assert [lr[0] for lr in lrs] == [1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]
    assert cooldown == [0, 2, 1, 0, 2, 1, 0, 2]
    assert bad == [0] * 8
    assert sched.in_cooldown


def test_an_improvement_during_the_cooldown_still_becomes_the_best():
    sched = S.ReduceLROnPlateau(make_optimizer(), factor=0.5, patience=0, cooldown=3)
    follow(sched, [2.0, 3.0])             # dropped at the second step, cooldown 3
    lrs, _, cooldown = follow(sched, [1.0, 1.5, 1.5, 1.5])
    assert sched.best == 1.0
    assert [lr[0] for lr in lrs] == [0.5, 0.5, 0.5, 0.25]
    assert cooldown == [2, 1, 0, 3]


@pytest.mark.parametrize("threshold_mode,lrs,best", [
    ("rel", [1.0, 0.5, 0.25], 10.0),     # 9.5 is not below 10 * (1 - 0.1) = 9
    ("abs", [1.0, 1.0, 0.5], 9.5),       # 9.5 is below 10 - 0.1; then 9.5 is not below 9.4
])
def test_threshold_mode_rel_and_abs_in_min_mode(threshold_mode, lrs, best):
    sched = S.ReduceLROnPlateau(make_optimizer(), factor=0.5, patience=0, threshold=0.1,
                                threshold_mode=threshold_mode)
    seen, _, _ = follow(sched, [10.0, 9.5, 9.5])
    assert [lr[0] for lr in seen] == lrs
    assert sched.best == best


def test_max_mode_waits_for_the_metric_to_rise():
    sched = S.ReduceLROnPlateau(make_optimizer(), mode="max", factor=0.1, patience=1,
                                threshold=0.0)
    lrs, bad, _ = follow(sched, [0.5, 0.6, 0.6, 0.55, 0.7])
    np.testing.assert_allclose([lr[0] for lr in lrs], [1, 1, 1, 0.1, 0.1], rtol=1e-15)
    assert bad == [0, 0, 1, 0, 0] and sched.best == 0.7


def test_max_mode_with_an_absolute_threshold():
    sched = S.ReduceLROnPlateau(make_optimizer(), mode="max", patience=1, threshold=0.05,
                                threshold_mode="abs")
    _, bad, _ = follow(sched, [0.5, 0.54, 0.56, 0.6])
    assert bad == [0, 1, 0, 1]           # 0.54 <= 0.55; 0.56 > 0.55; 0.6 <= 0.61
    assert sched.best == 0.56 and sched.get_last_lr() == [1.0]


@pytest.mark.parametrize("mode,threshold_mode,metrics", [
    ("min", "rel", [2.0, 1.0, 0.75]),     # 1.0 is not below 2 * 0.5; 0.75 is
    ("min", "abs", [2.0, 1.5, 1.25]),     # 1.5 is not below 2 - 0.5; 1.25 is
    ("max", "rel", [2.0, 3.0, 3.5]),      # 3.0 is not above 2 * 1.5; 3.5 is
    ("max", "abs", [1.0, 1.5, 1.75]),     # 1.5 is not above 1 + 0.5; 1.75 is
])
def test_a_metric_exactly_at_the_threshold_is_not_an_improvement(mode, threshold_mode,
                                                                 metrics):
    sched = S.ReduceLROnPlateau(make_optimizer(), mode=mode, threshold=0.5,
                                threshold_mode=threshold_mode, patience=5)
    _, bad, _ = follow(sched, metrics)
    assert bad == [0, 1, 0] and sched.best == metrics[2]


def test_max_mode_rel_threshold_with_negative_metrics_is_pytorchs():
    # best * (1 + threshold) lies below a negative best: a slightly lower metric still
    # counts as an improvement (PyTorch computes it this way too).
    sched = S.ReduceLROnPlateau(make_optimizer(), mode="max", patience=0, threshold=0.1)
    _, bad, _ = follow(sched, [-1.0, -1.05])
    assert bad == [0, 0] and sched.best == -1.05


def test_min_lr_bounds_each_group_and_eps_skips_tiny_changes():
    opt = make_optimizer(lrs=(1.0, 0.1))
    sched = S.ReduceLROnPlateau(opt, factor=0.5, patience=0, min_lr=[0.3, 0.01])
    lrs, _, _ = follow(sched, [1.0] * 6)
    np.testing.assert_allclose(np.array(lrs), [[1.0, 0.1], [0.5, 0.05], [0.3, 0.025],
                                               [0.3, 0.0125], [0.3, 0.01], [0.3, 0.01]],
                               rtol=1e-15)
    one = S.ReduceLROnPlateau(make_optimizer(lrs=(1.0, 0.1)), factor=0.5, patience=0,
                              min_lr=0.2)
    lrs, _, _ = follow(one, [1.0] * 3)
    assert lrs == [[1.0, 0.1], [0.5, 0.1], [0.25, 0.1]]   # 0.1 is already below min_lr
    # eps: a drop of 5e-8 is not more than eps = 1e-7, so the lr stays
    tiny = S.ReduceLROnPlateau(make_optimizer(lrs=(1e-7,)), factor=0.5, patience=0,
                               eps=1e-7)
    assert follow(tiny, [1.0, 1.0, 1.0])[0] == [[1e-7]] * 3
    small_eps = S.ReduceLROnPlateau(make_optimizer(lrs=(1e-7,)), factor=0.5, patience=0,
                                    eps=1e-9)
    assert follow(small_eps, [1.0, 1.0])[0] == [[1e-7], [5e-8]]


def test_a_nan_metric_is_a_bad_step_and_never_the_best():
    sched = S.ReduceLROnPlateau(make_optimizer(), factor=0.5, patience=1)
    lrs, bad, _ = follow(sched, [1.0, NAN, NAN, 0.5])
    assert bad == [0, 1, 0, 0] and [lr[0] for lr in lrs] == [1, 1, 0.5, 0.5]
    assert sched.best == 0.5
    first = S.ReduceLROnPlateau(make_optimizer(), patience=5)
    follow(first, [NAN, 3.0])
    assert first.best == 3.0 and first.num_bad_epochs == 0


@pytest.mark.parametrize("metric,value", [
    (0.5, 0.5), (3, 3.0), (np.float32(0.25), 0.25), (np.int64(2), 2.0), (np.array(0.5), 0.5),
    (np.array([0.5]), 0.5), (ad.tensor(0.75), 0.75),
    (ad.tensor([0.5], requires_grad=True), 0.5), (ad.tensor(np.float32(0.125)), 0.125)])
def test_a_number_array_or_tensor_metric_is_read_as_a_float(metric, value):
    sched = S.ReduceLROnPlateau(make_optimizer(), patience=0)
    sched.step(metric)
    assert sched.best == value and type(sched.best) is float


def test_step_without_a_metric_or_with_something_else_is_refused():
    sched = S.ReduceLROnPlateau(make_optimizer())
    with pytest.raises(TypeError, match=r"ReduceLROnPlateau.step\(\) needs the metric it "
                                        r"watches: call sched.step\(val_loss\)"):
        sched.step()
    for bad in (None, "0.5", True, np.bool_(True), 1j, [0.5], object()):
        with pytest.raises(TypeError, match="ReduceLROnPlateau.step: the metric must be"):
            sched.step(bad)
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau.step: the metric must be one "
                                         r"number, got an array of shape \(3,\)"):
        sched.step(ad.tensor([0.1, 0.2, 0.3]))
    assert sched.last_epoch == 0 and sched.best == math.inf     # nothing was counted


@pytest.mark.parametrize("kwargs,message", [
    (dict(factor=1.0), r"factor must be a number in \[0, 1\) .* got 1.0"),
    (dict(factor=-0.5), r"factor must be a number in \[0, 1\)"),
    (dict(factor=NAN), r"factor must be a number in \[0, 1\)"),
    (dict(patience=-1), r"patience must be an int >= 0, got -1"),
    (dict(patience=2.5), r"patience must be an int >= 0, got 2.5"),
    (dict(cooldown=-2), r"cooldown must be an int >= 0, got -2"),
    (dict(threshold=-1e-4), r"threshold must be a finite number >= 0, got -0.0001"),
    (dict(threshold=1.0), r"threshold must be < 1 with mode='min' and threshold_mode='rel' "
                          r"\(an improvement is a value below best \* \(1 - threshold\)\), "
                          r"got 1.0"),
    (dict(eps=NAN), r"eps must be a finite number >= 0, got nan"),
    (dict(min_lr=-0.1), r"min_lr must be a finite number >= 0, got -0.1"),
    (dict(min_lr=[0.1, 0.2]), r"expected 1 values of min_lr \(one per parameter group\), "
                              r"got 2"),
    (dict(mode="minimum"), r"mode must be 'min' \(a loss\) or 'max' \(an accuracy\), "
                           r"got 'minimum'"),
    (dict(threshold_mode="relative"), r"threshold_mode must be 'rel' or 'abs', "
                                      r"got 'relative'"),
])
def test_bad_arguments_are_refused_naming_the_value(kwargs, message):
    with pytest.raises(ValueError, match="ReduceLROnPlateau: " + message):
        S.ReduceLROnPlateau(make_optimizer(), **kwargs)


def test_it_needs_an_optimizer():
    with pytest.raises(TypeError, match=r"ReduceLROnPlateau: expected an optimizer .* got "
                                        r"Linear \(that is the model"):
        S.ReduceLROnPlateau(nn.Linear(2, 1, rng=0))


def test_a_group_added_later_follows_a_single_min_lr_but_not_a_list():
    opt = make_optimizer()
    sched = S.ReduceLROnPlateau(opt, factor=0.5, patience=0, min_lr=0.1)
    opt.add_param_group({"params": [nn.Parameter([1.0])], "lr": 0.4})
    assert follow(sched, [1.0, 1.0])[0] == [[1.0, 0.4], [0.5, 0.2]]
    assert sched.min_lrs == [0.1, 0.1]
    listed = make_optimizer()
    sched = S.ReduceLROnPlateau(listed, factor=0.5, patience=0, min_lr=[0.1])
    listed.add_param_group({"params": [nn.Parameter([1.0])], "lr": 0.4})
    sched.step(1.0)
    with pytest.raises(RuntimeError, match=r"the optimizer has 2 parameter groups, but min_lr "
                                           r"was given as a list of 1"):
        sched.step(1.0)


def test_state_dict_resumes_the_same_sequence():
    metrics = [5.0, 4.0, 4.5, 4.5, 4.5, 3.0, 3.1, 3.1, 3.2, 2.0, 2.5, 2.5, 2.5, 2.5]
    kwargs = dict(factor=0.5, patience=1, cooldown=1, min_lr=[0.05, 0.2])
    reference = S.ReduceLROnPlateau(make_optimizer(lrs=(1.0, 0.5)), **kwargs)
    full = follow(reference, metrics)
    opt = make_optimizer(lrs=(1.0, 0.5))
    sched = S.ReduceLROnPlateau(opt, **kwargs)
    follow(sched, metrics[:6])
    saved, saved_opt = sched.state_dict(), opt.state_dict()
    assert "optimizer" not in saved
    assert (saved["best"], saved["num_bad_epochs"], saved["last_epoch"]) == \
        (sched.best, sched.num_bad_epochs, 6)
    new_opt = make_optimizer(lrs=(1.0, 0.5))
    resumed = S.ReduceLROnPlateau(new_opt)           # other settings: the state has them
    new_opt.load_state_dict(saved_opt)
    resumed.load_state_dict(saved)
    assert (resumed.factor, resumed.patience, resumed.cooldown, resumed.min_lrs) == \
        (0.5, 1, 1, [0.05, 0.2])
    rest = follow(resumed, metrics[6:])
    assert rest == tuple(part[6:] for part in full)
    assert min(lr[1] for lr in full[0]) == 0.2     # (the sequence reached a min_lr)


def test_load_state_dict_refuses_another_schedulers_state_and_a_bad_mode():
    opt = make_optimizer()
    sched = S.ReduceLROnPlateau(opt)
    with pytest.raises(KeyError, match=r"ReduceLROnPlateau.load_state_dict: the state has no "
                                       r"'best'.*another scheduler"):
        sched.load_state_dict(S.StepLR(make_optimizer(), step_size=2).state_dict())
    state = sched.state_dict()
    state["mode"] = "lowest"
    with pytest.raises(ValueError, match="mode must be 'min'"):
        sched.load_state_dict(state)
    assert sched.mode == "min"


def test_it_is_an_lr_scheduler():
    sched = S.ReduceLROnPlateau(make_optimizer())
    assert isinstance(sched, S.LRScheduler)
    assert "ReduceLROnPlateau" in S.__all__
    assert "ReduceLROnPlateau(mode='min', best=inf" in repr(sched)


# ----- ad.compile --------------------------------------------------------------------------

OPTIMIZERS = {
    "adagrad": lambda ps: ad.optim.Adagrad(ps, lr=0.1, lr_decay=0.01),
    "adam": lambda ps: ad.optim.Adam(ps, lr=0.01),
    "sgd momentum": lambda ps: ad.optim.SGD(ps, lr=0.1, momentum=0.9),
}


def _training(kind, dtype):
    model, opt, step = mlp_training(OPTIMIZERS[kind], dtype)
    return model, opt, S.ReduceLROnPlateau(opt, factor=0.5, patience=1), step


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", sorted(OPTIMIZERS))
def test_an_lr_drop_between_compiled_calls_reaches_the_compiled_step(kind, dtype):
    eager_model, eager_opt, eager_sched, eager = _training(kind, dtype)
    model, opt, sched, step = _training(kind, dtype)
    compiled = ad.compile(step)
    # three steps per "epoch", then the scheduler sees a validation metric
    metrics = [3.0, 2.0, 2.5, 2.5, 2.5, 1.0, 1.0, 1.0]
    batches = mlp_batches(3 * len(metrics), dtype, seed=4)
    for epoch, metric in enumerate(metrics):
        for xb, yb in batches[3 * epoch: 3 * epoch + 3]:
            assert eager(xb, yb).data.tobytes() == compiled(xb, yb).data.tobytes(), \
                f"epoch {epoch}"
        eager_sched.step(metric)
        sched.step(metric)
    start = OPTIMIZERS[kind]([nn.Parameter([0.0])]).param_groups[0]["lr"]
    assert opt.param_groups[0]["lr"] == eager_opt.param_groups[0]["lr"] == start / 4
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert p.data.tobytes() == q.data.tobytes()
    # the drops changed the training: without them the weights differ
    undropped_model, _, _, undropped = _training(kind, dtype)
    for xb, yb in batches:
        undropped(xb, yb)
    assert any(p.data.tobytes() != q.data.tobytes()
               for p, q in zip(undropped_model.parameters(), model.parameters()))


def test_a_step_on_the_losss_array_inside_a_compiled_function_is_replayed():
    def make():
        model, opt, _, inner = _training("adagrad", np.float64)
        sched = S.ReduceLROnPlateau(opt, factor=0.5, patience=0, threshold=0.5)

        def step(xb, yb):
            loss = inner(xb, yb)
            sched.step(loss.data)
            return loss
        return model, opt, sched, step

    eager_model, eager_opt, eager_sched, eager = make()
    model, opt, sched, step = make()
    compiled = ad.compile(step)
    for xb, yb in mlp_batches(10, np.float64, seed=7):
        assert eager(xb, yb).data.tobytes() == compiled(xb, yb).data.tobytes()
    assert sched.last_epoch == eager_sched.last_epoch == 10
    assert sched.best == eager_sched.best
    assert opt.param_groups[0]["lr"] == eager_opt.param_groups[0]["lr"] < 0.1 / 4
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert p.data.tobytes() == q.data.tobytes()


def test_a_tensor_metric_inside_a_compiled_function_is_refused_while_tracing():
    model, opt, sched, inner = _training("adagrad", np.float64)

    @ad.compile
    def step(xb, yb):
        loss = inner(xb, yb)
        sched.step(loss)        # its value would be fixed into the plan
        return loss

    with pytest.raises(TraceError, match=r"ReduceLROnPlateau.step(.|\n)*pass its array"):
        step(*mlp_batches(1, np.float64)[0])
