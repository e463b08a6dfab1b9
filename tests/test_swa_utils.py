"""``ad.optim.swa_utils``: AveragedModel (SWA and EMA), SWALR and update_bn, checked by
hand, then against PyTorch's ``torch.optim.swa_utils`` where it is installed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.optim import swa_utils

R = np.random.default_rng(3)


def _snapshots(model, steps, data):
    """Train ``model`` with SGD for ``steps`` steps, yielding its parameters after each."""
    optimizer = ad.optim.SGD(model.parameters(), lr=0.1)
    for i in range(steps):
        loss = (model(ad.tensor(data[i])) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        yield [p.numpy().copy() for p in model.parameters()]


def test_the_default_average_is_the_mean_of_the_models_seen():
    model = nn.Linear(3, 2)
    averaged = swa_utils.AveragedModel(model)
    assert all(p is not q for p, q in zip(averaged.parameters(), model.parameters()))
    data = R.normal(size=(4, 5, 3))
    seen = []
    for snapshot in _snapshots(model, 4, data):
        averaged.update_parameters(model)
        seen.append(snapshot)
    assert int(averaged.n_averaged) == 4
    for k, p in enumerate(averaged.module.parameters()):
        np.testing.assert_allclose(p.numpy(), np.mean([s[k] for s in seen], axis=0),
                                   rtol=1e-14)
    x = ad.tensor(data[0])
    np.testing.assert_array_equal(averaged(x).numpy(), averaged.module(x).numpy())


def test_ema_by_multi_avg_fn_and_avg_fn_follow_the_formula():
    model = nn.Linear(2, 2)
    by_lists = swa_utils.AveragedModel(model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.8))
    one_by_one = swa_utils.AveragedModel(model, avg_fn=swa_utils.get_ema_avg_fn(0.8))
    expected = None
    for snapshot in _snapshots(model, 3, R.normal(size=(3, 4, 2))):
        by_lists.update_parameters(model)
        one_by_one.update_parameters(model)
        expected = snapshot if expected is None else \
            [0.8 * e + 0.2 * s for e, s in zip(expected, snapshot)]
    for ours, theirs, hand in zip(by_lists.module.parameters(),
                                  one_by_one.module.parameters(), expected):
        np.testing.assert_allclose(ours.numpy(), hand, rtol=1e-14)
        np.testing.assert_allclose(theirs.numpy(), hand, rtol=1e-14)
        assert not ours.requires_grad or ours.grad is None


def test_buffers_are_copied_or_averaged_with_use_buffers():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    copied = swa_utils.AveragedModel(model)
    averaged = swa_utils.AveragedModel(model, use_buffers=True)
    means = []
    for x in R.normal(size=(2, 5, 2)):
        model(ad.tensor(x))
        means.append(model[1].running_mean.clone())
        copied.update_parameters(model)
        averaged.update_parameters(model)
    np.testing.assert_array_equal(copied.module[1].running_mean, means[-1])
    np.testing.assert_allclose(averaged.module[1].running_mean, np.mean(means, axis=0))
    assert int(averaged.module[1].num_batches_tracked) == 1     # (1 + 2) // 2, integers


def test_update_bn_is_the_cumulative_average_over_the_loader_and_puts_back_the_mode():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, momentum=0.3))
    model.eval()
    batches = [R.normal(size=(6, 3)) for _ in range(3)]
    swa_utils.update_bn([(ad.tensor(b), 0) for b in batches], model)
    hidden = [model[0](ad.tensor(b)).numpy() for b in batches]
    np.testing.assert_allclose(model[1].running_mean,
                               np.mean([h.mean(0) for h in hidden], axis=0), rtol=1e-12)
    np.testing.assert_allclose(model[1].running_var,
                               np.mean([h.var(0, ddof=1) for h in hidden], axis=0),
                               rtol=1e-12)
    assert model[1].momentum == 0.3 and not model.training
    assert int(model[1].num_batches_tracked) == 3
    plain = nn.Linear(2, 2)
    swa_utils.update_bn([ad.ones(2, 2)], plain)                 # no BatchNorm: nothing


def test_swalr_anneals_to_swa_lr_by_hand():
    w = nn.Parameter([0.0])
    optimizer = ad.optim.SGD([{"params": [w]}, {"params": [nn.Parameter([1.0])], "lr": 0.5}],
                             lr=1.0)
    scheduler = swa_utils.SWALR(optimizer, swa_lr=[0.1, 0.2], anneal_epochs=3)
    lrs = []
    for _ in range(4):
        for group in optimizer.param_groups:
            for p in group["params"]:
                p.grad = np.zeros(1)
        optimizer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr())
    alphas = [(1 - math.cos(math.pi * t / 3)) / 2 for t in (1, 2, 3, 3)]
    for lr, alpha in zip(lrs, alphas):
        np.testing.assert_allclose(lr, [0.1 * alpha + 1.0 * (1 - alpha),
                                        0.2 * alpha + 0.5 * (1 - alpha)], rtol=1e-12)
    assert [g["swa_lr"] for g in optimizer.param_groups] == [0.1, 0.2]
    saved = scheduler.state_dict()
    assert "anneal_func" not in saved and "optimizer" not in saved
    other = swa_utils.SWALR(optimizer, swa_lr=0.3, anneal_strategy="linear")
    other.load_state_dict(saved)
    assert other.anneal_func(0.5) == scheduler.anneal_func(0.5) == 0.5 * (1 - math.cos(
        math.pi / 2))


def test_refusals_name_the_function_and_the_value():
    model = nn.Linear(2, 1)
    with pytest.raises(ValueError, match=r"get_ema_multi_avg_fn: decay must be in \[0, 1\]"):
        swa_utils.get_ema_multi_avg_fn(1.5)
    with pytest.raises(ValueError, match=r"get_ema_avg_fn: decay must be in \[0, 1\]"):
        swa_utils.get_ema_avg_fn(-0.1)
    with pytest.raises(AssertionError, match="only one of avg_fn and multi_avg_fn"):
        swa_utils.AveragedModel(model, avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    with pytest.raises(TypeError, match="AveragedModel: expected a module"):
        swa_utils.AveragedModel(list(model.parameters()))
    optimizer = ad.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="SWALR: anneal_strategy must be one of"):
        swa_utils.SWALR(optimizer, swa_lr=0.05, anneal_strategy="cosine")
    with pytest.raises(ValueError, match="SWALR: anneal_epochs must be an int"):
        swa_utils.SWALR(optimizer, swa_lr=0.05, anneal_epochs=2.5)
    with pytest.raises(ValueError, match="SWALR: expected 1 values of swa_lr"):
        swa_utils.SWALR(optimizer, swa_lr=[0.05, 0.01])
    with pytest.raises(TypeError, match="SWALR: expected an optimizer"):
        swa_utils.SWALR(model, swa_lr=0.05)


# --- against PyTorch ----------------------------------------------------------------

@pytest.mark.parametrize("strategy, epochs", [("cos", 3), ("linear", 2), ("cos", 0)])
def test_swalr_after_another_schedule_matches_torch(strategy, epochs):
    torch = pytest.importorskip("torch")

    def lrs(lib):
        w = lib.nn.Parameter(lib.zeros(1))
        optimizer = lib.optim.SGD([w], lr=0.3, momentum=0.9)
        first = lib.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.7)
        swa = lib.optim.swa_utils.SWALR(optimizer, swa_lr=0.05, anneal_epochs=epochs,
                                        anneal_strategy=strategy)
        seen = []
        for step in range(8):
            w.grad = None
            (w * 2).sum().backward()
            optimizer.step()
            (swa if step >= 3 else first).step()
            seen.append(optimizer.param_groups[0]["lr"])
        return seen

    np.testing.assert_allclose(lrs(ad), lrs(torch), rtol=1e-13)


def test_averaged_models_match_torch_in_float32():
    torch = pytest.importorskip("torch")
    data = R.normal(size=(5, 4, 3)).astype(np.float32)
    torch.manual_seed(0)
    start = torch.nn.Sequential(torch.nn.Linear(3, 4, bias=False), torch.nn.BatchNorm1d(4),
                                torch.nn.Linear(4, 2)).state_dict()

    def run(lib):
        model = lib.nn.Sequential(lib.nn.Linear(3, 4, bias=False), lib.nn.BatchNorm1d(4),
                                  lib.nn.Linear(4, 2))
        if lib is ad:
            model.load_torch_state_dict({k: v.numpy() for k, v in start.items()})
        else:
            model.load_state_dict(start)
        model = model.float()
        utils = lib.optim.swa_utils
        swa = utils.AveragedModel(model)
        ema = utils.AveragedModel(model, multi_avg_fn=utils.get_ema_multi_avg_fn(0.75),
                                  use_buffers=True)
        custom = utils.AveragedModel(model, avg_fn=lambda a, c, n: a * 0.5 + c * 0.5)
        optimizer = lib.optim.Adam(model.parameters(), lr=0.05)
        for x in data:
            loss = model(lib.from_numpy(x)).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            for averaged in (swa, ema, custom):
                averaged.update_parameters(model)
        utils.update_bn([lib.from_numpy(x) for x in data], swa)
        states = [averaged.to_torch_state_dict() if lib is ad else
                  {k: t.numpy() for k, t in averaged.state_dict().items()}
                  for averaged in (swa, ema, custom)]
        return states

    for ours, theirs in zip(run(ad), run(torch)):
        assert list(ours) == list(theirs)
        for key in theirs:
            assert np.asarray(ours[key]).dtype == theirs[key].dtype, key
            np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, atol=1e-6,
                                       err_msg=key)
