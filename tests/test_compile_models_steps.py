"""Compiled training steps with what real loops put around a model: gradient clipping
and accumulation, optimizers with param groups, a scheduler stepped between calls,
metrics under ``no_grad``, a batch size that changes, a GAN's two optimizers, masks
computed from the data, weighted and smoothed losses and an EMA kept in a buffer;
each against an eager twin (``compile_twins.py``)."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F
from compile_twins import run_twins, training_step

FUSE = [pytest.param(False, id="bitwise"), pytest.param(True, id="fused")]


def _data(n, batch=6, features=5, classes=3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((batch, features)).astype(dtype),
             rng.integers(0, classes, size=batch)) for _ in range(n)]


def _groupnorm_net(dtype=np.float64):
    return nn.Sequential(nn.Linear(5, 8, rng=1, dtype=dtype), nn.Unflatten(1, (4, 2)),
                         nn.GroupNorm(2, 4, dtype=dtype), nn.Flatten(), nn.Tanh(),
                         nn.Linear(8, 3, rng=2, dtype=dtype))


OPTIMIZERS = {
    "sgd nesterov": lambda groups: ad.optim.SGD(groups, lr=0.05, momentum=0.9,
                                                nesterov=True, weight_decay=1e-2),
    "adam": lambda groups: ad.optim.Adam(groups, lr=1e-2, weight_decay=1e-2, amsgrad=True),
    "adamw": lambda groups: ad.optim.AdamW(groups, lr=1e-2, weight_decay=0.1),
    "rmsprop": lambda groups: ad.optim.RMSprop(groups, lr=1e-2, momentum=0.5, centered=True,
                                               weight_decay=1e-2),
}


def _clipped(kind, dtype):
    def make():
        model = _groupnorm_net(dtype)
        first, last = model[0], model[5]
        opt = OPTIMIZERS[kind]([
            {"params": first.parameters()},
            {"params": [*model[2].parameters(), *last.parameters()], "lr": 3e-3,
             "weight_decay": 0.0}])

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            norm = nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            opt.step()
            return loss, norm
        return step, {"model": model, "opt": opt}
    return make


@pytest.mark.parametrize("fuse", FUSE)
@pytest.mark.parametrize("kind", sorted(OPTIMIZERS))
def test_groupnorm_net_with_clipping_and_param_groups(fuse, kind):
    run_twins(_clipped(kind, np.float64), _data(20), fuse=fuse)


@pytest.mark.parametrize("kind", ["adam", "sgd nesterov"])
def test_groupnorm_net_in_float32(kind):
    run_twins(_clipped(kind, np.float32), _data(20, dtype=np.float32))


def test_a_scheduler_stepped_between_calls_sets_the_learning_rate_of_each_replay():
    def make():
        model = _groupnorm_net()
        opt = ad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        scheduler = ad.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        return training_step(model, opt), {"model": model, "opt": opt, "scheduler": scheduler}

    def between(k, things):
        if k:
            things["scheduler"].step()
    compiled, _, twin = run_twins(make, _data(20), between=between)
    assert twin["opt"].param_groups[0]["lr"] == 0.1 * 0.5 ** 6
    assert compiled.traces == 1


def test_gradient_accumulation_over_two_micro_batches_with_an_accuracy_metric():
    def make():
        model = _groupnorm_net()
        opt = ad.optim.Adam(model.parameters(), lr=1e-2)

        def step(x, y):
            opt.zero_grad()
            total = 0.0
            for part in (slice(0, 3), slice(3, 6)):
                loss = F.cross_entropy(model(x[part]), y[part]) / 2
                loss.backward()
                total = total + loss.detach()
            opt.step()
            with ad.no_grad():
                accuracy = (model(x).argmax(1) == ad.tensor(y)).float().mean()
            return {"loss": total, "accuracy": accuracy}
        return step, {"model": model, "opt": opt}
    run_twins(make, _data(20))


def test_a_batch_size_that_changes_traces_once_per_size():
    def make():
        model = _groupnorm_net()
        opt = ad.optim.SGD(model.parameters(), lr=0.1)
        return training_step(model, opt), {"model": model, "opt": opt}
    batches = [_data(1, batch=b, seed=k)[0] for k, b in enumerate([6, 4, 6, 4, 5] * 4)]
    compiled, _, _ = run_twins(make, batches)
    assert compiled.traces == 3


def test_gan_step_with_two_optimizers_and_detach():
    def make():
        generator = nn.Sequential(nn.Linear(2, 6, rng=3), nn.LeakyReLU(0.2),
                                  nn.Linear(6, 4, rng=4))
        critic = nn.Sequential(nn.Linear(4, 6, rng=5), nn.LeakyReLU(0.2),
                               nn.Linear(6, 1, rng=6))
        opt_g = ad.optim.Adam(generator.parameters(), lr=2e-3, betas=(0.5, 0.999))
        opt_d = ad.optim.Adam(critic.parameters(), lr=2e-3, betas=(0.5, 0.999))

        def step(noise, real):
            fake = generator(noise)
            ones, zeros = ad.ones((len(real), 1)), ad.zeros((len(real), 1))
            opt_d.zero_grad()
            loss_d = (F.binary_cross_entropy_with_logits(critic(real), ones)
                      + F.binary_cross_entropy_with_logits(critic(fake.detach()), zeros))
            loss_d.backward()
            opt_d.step()
            opt_g.zero_grad()
            loss_g = F.binary_cross_entropy_with_logits(critic(fake), ones)
            loss_g.backward()
            opt_g.step()
            return loss_d, loss_g
        return step, {"generator": generator, "critic": critic, "opt_g": opt_g,
                      "opt_d": opt_d}
    rng = np.random.default_rng(4)
    batches = [(rng.standard_normal((5, 2)), rng.standard_normal((5, 4)) + 1.0)
               for _ in range(20)]
    run_twins(make, batches)


def test_masks_computed_from_the_data_with_where_clamp_and_masked_fill():
    def make():
        w = nn.Parameter(np.linspace(-1.0, 1.0, 15).reshape(5, 3))
        opt = ad.optim.SGD([w], lr=0.1, momentum=0.5)

        def step(x, y):
            h = x @ w
            h = ad.where(h > 0, h, 0.1 * h)                 # a leaky ReLU by mask
            h = h.clamp(-0.8, 0.8)
            h = h.masked_fill(ad.tensor(x[:, :3]) < -1.0, 0.0)
            opt.zero_grad()
            loss = F.cross_entropy(h, y)
            loss.backward()
            opt.step()
            return loss
        return step, {"w": w, "opt": opt}
    run_twins(make, _data(20))


@pytest.mark.parametrize("fuse", FUSE)
def test_cross_entropy_with_label_smoothing_and_ignore_index(fuse):
    def make():
        model = _groupnorm_net()
        opt = ad.optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y, label_smoothing=0.1, ignore_index=1)
            loss.backward()
            opt.step()
            return loss
        return step, {"model": model, "opt": opt}
    run_twins(make, _data(20), fuse=fuse)


@pytest.mark.parametrize("fuse", FUSE)
def test_nll_loss_with_class_weights(fuse):
    weight = np.array([0.2, 1.0, 3.0])

    def make():
        model = _groupnorm_net()
        opt = ad.optim.Adam(model.parameters(), lr=1e-2)

        def step(x, y):
            opt.zero_grad()
            loss = F.nll_loss(F.log_softmax(model(x), 1), y, weight=ad.tensor(weight))
            loss.backward()
            opt.step()
            return loss
        return step, {"model": model, "opt": opt}
    run_twins(make, _data(20), fuse=fuse)


class _WithAverage(nn.Module):
    """A model keeping an exponential moving average of its weights in buffers."""

    def __init__(self):
        super().__init__()
        self.net = _groupnorm_net()
        for name, p in self.net.named_parameters():
            self.register_buffer("ema_" + name.replace(".", "_"), p.data.copy())

    def update_average(self, decay):
        with ad.no_grad():
            for name, p in self.net.named_parameters():
                average = ad.tensor(getattr(self, "ema_" + name.replace(".", "_")))
                average.mul_(decay).add_(p * (1.0 - decay))


def test_an_exponential_moving_average_kept_in_buffers_under_no_grad():
    def make():
        model = _WithAverage()
        opt = ad.optim.SGD(model.net.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model.net(x), y)
            loss.backward()
            opt.step()
            model.update_average(0.9)
            return loss
        return step, {"model": model, "opt": opt}
    compiled, _, twin = run_twins(make, _data(20))
    assert compiled.traces == 1         # (the plan's own writes into the buffers)
    assert not np.array_equal(twin["model"].ema_0_weight, twin["model"].net[0].weight.data)


def _ctc_model():
    frames = nn.Linear(3, 5, rng=0)
    opt = ad.optim.SGD(frames.parameters(), lr=0.1)

    def step(x, targets, input_lengths, target_lengths):
        opt.zero_grad()
        log_probs = F.log_softmax(frames(x), 2)
        loss = F.ctc_loss(log_probs, targets, input_lengths, target_lengths)
        loss.backward()
        opt.step()
        return loss
    return step, {"frames": frames, "opt": opt}


@pytest.mark.parametrize("fuse", FUSE)
def test_ctc_with_padded_targets_whose_lengths_change_between_calls(fuse):
    # (the longest target differs between calls: the padded targets' shape is fixed)
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((6, 2, 3)), rng.integers(1, 5, (2, 3)),
                rng.integers(4, 7, 2), np.array([1 + k % 3, 1])) for k in range(12)]
    with np.errstate(invalid="ignore"):
        compiled, _, _ = run_twins(_ctc_model, batches, fuse=fuse)
    assert compiled.traces == 1


def test_ctc_of_targets_padded_wider_than_the_longest_is_the_same_bitwise():
    rng = np.random.default_rng(1)
    log_probs = ad.tensor(rng.standard_normal((7, 3, 5)), requires_grad=True)
    targets, lengths = rng.integers(1, 5, (3, 6)), np.array([2, 0, 3])
    results = []
    for width in (3, 6):
        log_probs.grad = None
        loss = F.ctc_loss(F.log_softmax(log_probs, 2), targets[:, :width], np.array([7, 5, 6]),
                          lengths, reduction="none")
        loss.sum().backward()
        results.append((loss.data.tobytes(), log_probs.grad.tobytes()))
    assert results[0] == results[1]


@pytest.mark.parametrize("average", ["swa", "ema multi", "ema one by one with buffers"])
def test_an_averaged_model_updated_inside_the_step(average):
    # (the update branches on its count: the first copies, the later ones average)
    swa_utils = ad.optim.swa_utils
    options = {"swa": {}, "ema multi": {"multi_avg_fn": swa_utils.get_ema_multi_avg_fn(0.9)},
               "ema one by one with buffers": {"avg_fn": swa_utils.get_ema_avg_fn(0.8),
                                               "use_buffers": True}}[average]

    def make():
        model = nn.Sequential(nn.Linear(5, 6, rng=1), nn.BatchNorm1d(6), nn.Tanh(),
                              nn.Linear(6, 3, rng=2))
        opt = ad.optim.SGD(model.parameters(), lr=0.1)
        averaged = swa_utils.AveragedModel(model, **options)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            averaged.update_parameters(model)
            with ad.no_grad():
                averaged_loss = F.cross_entropy(averaged(x), y)
            return loss, averaged_loss
        return step, {"model": model, "opt": opt, "averaged": averaged}
    compiled, _, twin = run_twins(make, _data(8), fuse=False)
    assert compiled.traces == 1 and int(twin["averaged"].n_averaged) == 8

