"""The eighth round of PyTorch scripts, continued (see test_torch_scripts_eighth.py):
the optimizers and schedules engineers reach for: a warm-up ``SequentialLR`` resumed
from its and the optimizer's ``state_dict`` in fresh objects, ``ChainedScheduler``
over ``MultiplicativeLR`` and ``StepLR``, ``CyclicLR`` with a custom ``scale_fn``,
``OneCycleLR`` stepped per batch with SGD momentum cycling, ``PolynomialLR`` beside
``ReduceLROnPlateau`` in ``'max'`` mode, L-BFGS on a least-squares fit, ``ASGD``'s
averaged weights for evaluation, ``Rprop``, ``NAdam`` / ``RAdam`` with decoupled decay
and ``Adamax`` in per-parameter groups, and unfreezing a backbone by
``add_param_group`` under a ``LambdaLR`` made before it."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(83)


def _regression(n_steps, n=8, n_in=3):
    return DATA.normal(size=(n_steps, n, n_in)), DATA.normal(size=(n_steps, n, 1))


# --- A warm-up SequentialLR resumed from state_dicts in fresh objects ---------------

def test_warmup_sequential_lr_resumed_from_scheduler_and_optimizer_state_dicts():
    inputs, targets = _regression(8)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        sched = torch.optim.lr_scheduler
        model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 1))
        copy_weights(model)

        def make(model):
            optimizer = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.05)
            warmup = sched.LinearLR(optimizer, start_factor=0.1, end_factor=1.0, total_iters=3)
            decay = sched.ExponentialLR(optimizer, gamma=0.8)
            return optimizer, sched.SequentialLR(optimizer, [warmup, decay], milestones=[3])

        optimizer, scheduler = make(model)
        losses, lrs = [], []
        for step in range(8):
            if step == 4:                        # resume: fresh objects, loaded states
                saved = (optimizer.state_dict(), scheduler.state_dict())
                optimizer, scheduler = make(model)
                optimizer.load_state_dict(saved[0])
                scheduler.load_state_dict(saved[1])
            loss = F.mse_loss(model(torch.from_numpy(inputs[step])),
                              torch.from_numpy(targets[step]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            lrs.append(scheduler.get_last_lr())
        assert scheduler.last_epoch == 8
        return losses, lrs, optimizer.param_groups[0]["lr"], model
    side_by_side(script)


# --- ChainedScheduler over MultiplicativeLR and StepLR, with Nesterov SGD -----------

def test_chained_scheduler_of_multiplicative_and_step_lr_with_nesterov():
    inputs, targets = _regression(7)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        sched = torch.optim.lr_scheduler
        model = nn.Sequential(nn.Linear(3, 4), nn.ELU(), nn.Linear(4, 1))
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                                    weight_decay=1e-3)
        scheduler = sched.ChainedScheduler([
            sched.MultiplicativeLR(optimizer, lr_lambda=lambda epoch: 0.95),
            sched.StepLR(optimizer, step_size=3, gamma=0.5)])
        losses, lrs = [], []
        for step in range(7):
            loss = F.smooth_l1_loss(model(torch.from_numpy(inputs[step])),
                                    torch.from_numpy(targets[step]), beta=0.5)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            lrs.append(scheduler.get_last_lr()[0])
        return losses, lrs, model
    side_by_side(script)


# --- CyclicLR with a custom scale_fn, momentum cycled ------------------------------

def test_cyclic_lr_with_a_custom_scale_fn_by_iterations():
    inputs, targets = _regression(9)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Linear(3, 6), nn.Softsign(), nn.Linear(6, 1))
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        scheduler = torch.optim.lr_scheduler.CyclicLR(
            optimizer, base_lr=0.01, max_lr=0.1, step_size_up=2, step_size_down=3,
            scale_fn=lambda x: 1 / (1.0 + 0.1 * x), scale_mode="iterations",
            base_momentum=0.8, max_momentum=0.95)
        losses, lrs, momenta = [], [], []
        for step in range(9):
            loss = F.l1_loss(model(torch.from_numpy(inputs[step])), torch.from_numpy(targets[step]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            lrs.append(scheduler.get_last_lr()[0])
            momenta.append(optimizer.param_groups[0]["momentum"])
        return losses, lrs, momenta, model
    side_by_side(script)


# --- OneCycleLR stepped per batch over epochs, SGD momentum cycled ------------------

def test_one_cycle_lr_per_batch_over_epochs_with_sgd_momentum():
    inputs, targets = _regression(4, n=12)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Linear(3, 8), nn.Mish(), nn.Linear(8, 1))
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        epochs, steps_per_epoch = 4, 3
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=0.2, epochs=epochs, steps_per_epoch=steps_per_epoch,
            pct_start=0.25, div_factor=10.0, final_div_factor=100.0)
        losses, lrs, momenta = [], [], []
        for epoch in range(epochs):
            x, y = torch.from_numpy(inputs[epoch]), torch.from_numpy(targets[epoch])
            for xb, yb in zip(x.split(4), y.split(4)):
                loss = F.mse_loss(model(xb), yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                scheduler.step()
                losses.append(loss.item())
                lrs.append(scheduler.get_last_lr()[0])
                momenta.append(optimizer.param_groups[0]["momentum"])
        assert math.isclose(max(lrs), 0.2, rel_tol=1e-12)
        return losses, lrs, momenta, model
    side_by_side(script)


# --- PolynomialLR for one model, ReduceLROnPlateau('max') on a score for another ----

def test_polynomial_lr_and_reduce_on_plateau_in_max_mode_with_cooldown():
    inputs = DATA.normal(size=(8, 10, 3))
    labels = DATA.integers(0, 2, size=(8, 10))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        sched = torch.optim.lr_scheduler
        first, second = nn.Linear(3, 2), nn.Linear(3, 2)
        copy_weights(first, second)
        opt_first = torch.optim.Adam(first.parameters(), lr=0.05)
        opt_second = torch.optim.Adam(second.parameters(), lr=0.05)
        poly = sched.PolynomialLR(opt_first, total_iters=6, power=2.0)
        plateau = sched.ReduceLROnPlateau(opt_second, mode="max", factor=0.5, patience=1,
                                          threshold=0.05, threshold_mode="abs", cooldown=1,
                                          min_lr=1e-3)
        losses, poly_lrs, plateau_lrs, scores = [], [], [], []
        for step in range(8):
            x, y = torch.from_numpy(inputs[step]), torch.from_numpy(labels[step])
            for model, optimizer in ((first, opt_first), (second, opt_second)):
                loss = F.cross_entropy(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            with torch.no_grad():
                score = (second(x).argmax(1) == y).double().mean().item()
            poly.step()
            plateau.step(score)
            scores.append(score)
            poly_lrs.append(poly.get_last_lr()[0])
            plateau_lrs.append(opt_second.param_groups[0]["lr"])
        return losses, poly_lrs, plateau_lrs, scores, first, second
    side_by_side(script)


# --- L-BFGS on an exponential-decay fit, without a line search ----------------------

def test_lbfgs_curve_fit_with_history_and_tolerances():
    t = np.linspace(0, 3, 25)
    observed = 2.0 * np.exp(-1.3 * t) + 0.4 + 0.01 * DATA.normal(size=25)

    def script(torch, copy_weights):
        nn = torch.nn

        class Decay(nn.Module):
            def __init__(self):
                super().__init__()
                self.amplitude = nn.Parameter(torch.tensor(1.0))
                self.rate = nn.Parameter(torch.tensor(0.5))
                self.offset = nn.Parameter(torch.tensor(0.0))

            def forward(self, t):
                return self.amplitude * torch.exp(-self.rate * t) + self.offset

        model = Decay()
        copy_weights(model)
        times, values = torch.from_numpy(t), torch.from_numpy(observed)
        optimizer = torch.optim.LBFGS(model.parameters(), lr=0.8, max_iter=6, history_size=4,
                                      tolerance_grad=1e-9, tolerance_change=1e-12)
        evaluations = []

        def closure():
            optimizer.zero_grad()
            loss = (model(times) - values).pow(2).mean()
            loss.backward()
            evaluations.append(loss.item())
            return loss

        outer = [optimizer.step(closure).item() for _ in range(3)]
        state = optimizer.state[optimizer.param_groups[0]["params"][0]]
        return outer, evaluations, state["n_iter"], state["func_evals"], model
    side_by_side(script)


# --- ASGD's averaged weights for evaluation, Rprop on full batches ------------------

def test_asgd_averaged_weights_for_evaluation_and_rprop_on_full_batches():
    inputs, targets = _regression(6, n=10)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        averaged_model = nn.Linear(3, 1)
        resilient_model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
        copy_weights(averaged_model, resilient_model)
        asgd = torch.optim.ASGD(averaged_model.parameters(), lr=0.05, lambd=1e-3, alpha=0.75,
                                t0=2.0)
        rprop = torch.optim.Rprop(resilient_model.parameters(), lr=0.02, etas=(0.4, 1.3),
                                  step_sizes=(1e-4, 0.5))
        losses, eval_losses = [], []
        for step in range(6):
            x, y = torch.from_numpy(inputs[step]), torch.from_numpy(targets[step])
            for model, optimizer in ((averaged_model, asgd), (resilient_model, rprop)):
                loss = F.mse_loss(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            with torch.no_grad():             # evaluate with the averages in place
                current = [p.detach().clone() for p in averaged_model.parameters()]
                for p in averaged_model.parameters():
                    p.copy_(asgd.state[p]["ax"])
                eval_losses.append(F.mse_loss(averaged_model(x), y).item())
                for p, keep in zip(averaged_model.parameters(), current):
                    p.copy_(keep)
        etas = [float(asgd.state[p]["eta"]) for p in averaged_model.parameters()]
        return losses, eval_losses, etas, averaged_model, resilient_model
    side_by_side(script)


# --- NAdam / RAdam with decoupled decay, Adamax, in per-parameter groups -------------

def test_decoupled_nadam_radam_and_adamax_in_per_parameter_groups():
    inputs, targets = _regression(5)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        models = [nn.Sequential(nn.Linear(3, 5), nn.LayerNorm(5), nn.GELU(), nn.Linear(5, 1))
                  for _ in range(3)]
        copy_weights(*models)

        def groups(model, lr):
            decay = [p for n, p in model.named_parameters() if n.endswith("weight")
                     and p.dim() > 1]
            no_decay = [p for n, p in model.named_parameters() if not (n.endswith("weight")
                                                                       and p.dim() > 1)]
            return [{"params": decay, "weight_decay": 0.1},
                    {"params": no_decay, "weight_decay": 0.0, "lr": lr / 2}]

        optimizers = [
            torch.optim.NAdam(groups(models[0], 0.02), lr=0.02, decoupled_weight_decay=True,
                              momentum_decay=0.004),
            torch.optim.RAdam(groups(models[1], 0.02), lr=0.02, decoupled_weight_decay=True),
            torch.optim.Adamax(groups(models[2], 0.05), lr=0.05, betas=(0.8, 0.99)),
        ]
        losses = []
        for step in range(5):
            x, y = torch.from_numpy(inputs[step]), torch.from_numpy(targets[step])
            for model, optimizer in zip(models, optimizers):
                loss = F.mse_loss(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        group_lrs = [[g["lr"] for g in o.param_groups] for o in optimizers]
        return losses, group_lrs, models
    side_by_side(script)


# --- Unfreezing a backbone by add_param_group under a LambdaLR made before ----------

def test_unfreezing_by_add_param_group_under_a_lambda_lr_made_before():
    inputs = DATA.normal(size=(6, 8, 4))
    labels = DATA.integers(0, 3, size=(6, 8))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        backbone = nn.Sequential(nn.Linear(4, 6), nn.ReLU())
        head = nn.Linear(6, 3)
        copy_weights(backbone, head)
        backbone.requires_grad_(False)
        optimizer = torch.optim.Adam(head.parameters(), lr=0.02)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: 0.9 ** epoch)
        losses, lrs, refused = [], [], []
        for step in range(6):
            if step == 3:
                backbone.requires_grad_(True)
                optimizer.add_param_group({"params": backbone.parameters(), "lr": 0.002})
            x, y = torch.from_numpy(inputs[step]), torch.from_numpy(labels[step])
            loss = F.cross_entropy(head(backbone(x)), y, label_smoothing=0.1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            try:                              # the LambdaLR knew one group, not two
                scheduler.step()
            except ValueError:
                refused.append(step)
                scheduler = torch.optim.lr_scheduler.LambdaLR(
                    optimizer, [lambda epoch: 0.9 ** (epoch + 3), lambda epoch: 1.0])
            losses.append(loss.item())
            lrs.append([g["lr"] for g in optimizer.param_groups])
        return losses, lrs, refused, backbone, head
    side_by_side(script)
