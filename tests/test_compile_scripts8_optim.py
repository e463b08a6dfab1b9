"""Every optimizer and scheduler of the tutorial scripts (test_torch_scripts*.py) in a
compiled training step, compared with its eager twin over 20 calls
(``compile_scripts8.py``): the optimizers not covered by the model scripts (Rprop,
ASGD, Adadelta, Adafactor, SGD with maximize, L-BFGS with a closure), schedulers
stepped inside the step (CyclicLR cycling momentum, OneCycleLR cycling Adam's betas,
warm restarts stepped by fractions, PolynomialLR, ConstantLR, MultiplicativeLR,
ChainedScheduler, per-group LambdaLR, a custom ``_LRScheduler`` subclass) and between
calls (ReduceLROnPlateau on a validation loss; inside the step, given the loss's array),
param groups, gradient accumulation over calls, and SWA with SWALR and an AveragedModel;
L-BFGS's closure is refused."""

from __future__ import annotations

import pytest

from autodiff.compile import TraceError
from compile_scripts8 import F, compiled_like_eager, draws, nn, torch
from compile_twins import training_step

lr_scheduler = torch.optim.lr_scheduler


def _model():
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))


def _batches(seed, n=20):
    return draws(seed, (6, 5), ("int", 3, (6,)), n=n)


def _twin(make_optimizer, make_scheduler=None, *, clip=None):
    """``make`` of a classifier trained by ``make_optimizer(model)``, its scheduler
    ``make_scheduler(optimizer)`` stepped after each optimizer step."""
    def make():
        model = _model()
        optimizer = make_optimizer(model)
        scheduler = make_scheduler(optimizer) if make_scheduler else None

        def step(x, y):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            if clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            return loss
        things = {"model": model, "optimizer": optimizer}
        if scheduler is not None:
            things["scheduler"] = scheduler
        return step, things
    return make


OPTIMIZERS = {
    "rprop": lambda m: torch.optim.Rprop(m.parameters(), lr=1e-2, etas=(0.4, 1.3)),
    "asgd": lambda m: torch.optim.ASGD(m.parameters(), lr=5e-2, t0=5, weight_decay=1e-3),
    "adadelta": lambda m: torch.optim.Adadelta(m.parameters(), lr=1.0, rho=0.8),
    "adafactor": lambda m: torch.optim.Adafactor(m.parameters(), lr=1e-2),
    "sgd dampening": lambda m: torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.5,
                                               dampening=0.2, weight_decay=1e-2),
    "adam maximize": lambda m: torch.optim.Adam(m.parameters(), lr=1e-2, maximize=True),
    "nadam decoupled": lambda m: torch.optim.NAdam(m.parameters(), lr=1e-2,
                                                   weight_decay=1e-2,
                                                   decoupled_weight_decay=True,
                                                   momentum_decay=5e-3),
    "radam decoupled": lambda m: torch.optim.RAdam(m.parameters(), lr=1e-2,
                                                   weight_decay=1e-2,
                                                   decoupled_weight_decay=True),
    "adagrad": lambda m: torch.optim.Adagrad(m.parameters(), lr=0.1,
                                             initial_accumulator_value=0.1),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_in_a_compiled_step(name):
    compiled_like_eager(_twin(OPTIMIZERS[name]), _batches(81))


SCHEDULERS = {
    "cyclic lr cycling momentum": (
        lambda m: torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9),
        lambda o: lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3,
                                        mode="triangular2")),
    "cyclic exp_range": (
        lambda m: torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9),
        lambda o: lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2,
                                        mode="exp_range", gamma=0.9)),
    "one cycle cycling adam betas": (
        lambda m: torch.optim.Adam(m.parameters(), lr=1e-2),
        lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.05, total_steps=25, three_phase=True,
                                          anneal_strategy="linear")),
    "polynomial": (
        lambda m: torch.optim.SGD(m.parameters(), lr=0.1),
        lambda o: lr_scheduler.PolynomialLR(o, total_iters=12, power=2.0)),
    "constant": (
        lambda m: torch.optim.SGD(m.parameters(), lr=0.1),
        lambda o: lr_scheduler.ConstantLR(o, factor=0.5, total_iters=6)),
    "multiplicative": (
        lambda m: torch.optim.Adam(m.parameters(), lr=1e-2),
        lambda o: lr_scheduler.MultiplicativeLR(o, lambda epoch: 0.95)),
    "chained": (
        lambda m: torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9),
        lambda o: lr_scheduler.ChainedScheduler([
            lr_scheduler.ConstantLR(o, factor=0.2, total_iters=4),
            lr_scheduler.ExponentialLR(o, gamma=0.9)])),
    "warm restarts": (
        lambda m: torch.optim.AdamW(m.parameters(), lr=1e-2),
        lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2,
                                                           eta_min=1e-4)),
}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler_stepped_inside_a_compiled_step(name):
    make_optimizer, make_scheduler = SCHEDULERS[name]
    compiled_like_eager(_twin(make_optimizer, make_scheduler, clip=1.0), _batches(82))


def test_param_groups_with_per_group_lambda_lr_and_no_decay_for_biases():
    def make():
        model = _model()
        decay = [p for n, p in model.named_parameters() if n.endswith("weight")]
        no_decay = [p for n, p in model.named_parameters() if n.endswith("bias")]
        optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                                       {"params": no_decay, "weight_decay": 0.0, "lr": 5e-3}],
                                      lr=1e-2)
        scheduler = lr_scheduler.LambdaLR(optimizer, [lambda s: 0.9 ** s,
                                                      lambda s: 1 / (1 + s)])
        things = {"model": model, "optimizer": optimizer, "scheduler": scheduler}
        return training_step(model, optimizer, scheduler=scheduler), things
    compiled_like_eager(make, _batches(83))


def test_warm_restarts_stepped_by_fractions_of_an_epoch_between_calls():
    def make():
        model = _model()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        scheduler = lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=2)
        things = {"model": model, "optimizer": optimizer, "scheduler": scheduler}
        return training_step(model, optimizer), things

    def between(k, things):             # the tutorial's scheduler.step(epoch + i / iters)
        things["scheduler"].step(k / 4)
    compiled_like_eager(make, _batches(84), between=between)


def test_a_custom_lr_scheduler_subclass_with_get_lr():
    class WarmupLR(lr_scheduler._LRScheduler):
        def __init__(self, optimizer, warmup_steps, last_epoch=-1):
            self.warmup_steps = warmup_steps
            super().__init__(optimizer, last_epoch)

        def get_lr(self):
            factor = min(1.0, (self.last_epoch + 1) / self.warmup_steps)
            return [base_lr * factor for base_lr in self.base_lrs]
    compiled_like_eager(_twin(lambda m: torch.optim.Adam(m.parameters(), lr=1e-2),
                              lambda o: WarmupLR(o, warmup_steps=6)), _batches(85))


def test_reduce_lr_on_plateau_stepped_between_calls_on_a_validation_loss():
    # (the tutorial's epoch loop: the validation loss is computed outside the step)
    (x_valid, y_valid), = _batches(86, n=1)

    def make():
        step, things = _twin(lambda m: torch.optim.SGD(m.parameters(), lr=0.5))()
        things["plateau"] = lr_scheduler.ReduceLROnPlateau(things["optimizer"], factor=0.5,
                                                           patience=1, threshold=0.05)
        return step, things

    def between(k, things):
        with torch.no_grad():
            loss = F.cross_entropy(things["model"](torch.tensor(x_valid)), y_valid)
        things["plateau"].step(float(loss))
    _, _, twin = compiled_like_eager(make, _batches(87), between=between)
    assert twin["optimizer"].param_groups[0]["lr"] < 0.5


def test_reduce_lr_on_plateau_stepped_inside_the_step_with_the_loss_array():
    def make():
        model = _model()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        plateau = lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=1,
                                                 threshold=0.05)

        def step(x, y):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            plateau.step(loss.data)         # (an array: each replay passes its own)
            return loss
        return step, {"model": model, "optimizer": optimizer, "plateau": plateau}
    _, _, twin = compiled_like_eager(make, _batches(91))
    assert twin["optimizer"].param_groups[0]["lr"] < 0.5


def test_reduce_lr_on_plateau_given_the_loss_tensor_inside_the_step_is_refused():
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    plateau = lr_scheduler.ReduceLROnPlateau(optimizer)

    def step(x, y):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        plateau.step(loss)
        return loss
    (x, y), = _batches(87, n=1)
    with pytest.raises(TraceError, match=r"ReduceLROnPlateau.step is called with arguments "
                                         r"at test_compile_scripts8_optim.py:\d+, one a "
                                         r"Tensor.*pass its array \(t.data\)"):
        torch.compile(step)(x, y)


def test_gradient_accumulation_over_two_calls_with_the_step_in_the_second():
    def make():
        model = _model()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

        def accumulate(x, y, update):
            loss = F.cross_entropy(model(x), y) / 2
            loss.backward()
            return loss

        def step(x, y, update):
            loss = accumulate(x, y, update)
            if update:                      # a Python bool argument: one plan each
                optimizer.step()
                optimizer.zero_grad()
            return loss
        return step, {"model": model, "optimizer": optimizer}
    batches = [(x, y, k % 2 == 1) for k, (x, y) in enumerate(_batches(88))]
    compiled_like_eager(make, batches, traces=2)


def test_lbfgs_with_a_closure_in_the_compiled_step_is_refused_naming_the_line():
    # (L-BFGS calls the closure a number of times its line search decides from values)
    def make():
        model = nn.Linear(3, 1)
        optimizer = torch.optim.LBFGS(model.parameters(), lr=1, max_iter=4, history_size=3)

        def step(x, y):
            def closure():
                optimizer.zero_grad()
                loss = F.binary_cross_entropy_with_logits(model(x), y)
                loss.backward()
                return loss
            return optimizer.step(closure)
        return step, {"model": model, "optimizer": optimizer}
    step, _ = make()
    (x, y), = draws(89, (8, 3), ("bits", (8, 1)), n=1)
    with pytest.raises(TraceError, match=r"LBFGS.step is called with arguments at "
                                         r"test_compile_scripts8_optim.py:\d+, one a function"):
        torch.compile(step)(x, y)


def test_swa_with_swalr_after_a_cosine_schedule_and_an_averaged_model():
    swa_utils = torch.optim.swa_utils

    def make():
        model = _model()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        averaged = swa_utils.AveragedModel(model)
        swa_scheduler = swa_utils.SWALR(optimizer, swa_lr=0.05, anneal_epochs=3)

        def step(x, y):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            averaged.update_parameters(model)
            swa_scheduler.step()
            return loss
        return step, {"model": model, "optimizer": optimizer, "averaged": averaged,
                      "swa_scheduler": swa_scheduler}
    compiled_like_eager(make, _batches(90))
