"""Round 24 of the PyTorch scripts (see test_torch_scripts_twentyfourth.py): training
habits.  ``OneCycleLR`` in three phases with linear annealing cycling Adam's first beta,
``ReduceLROnPlateau`` maximising a score with an absolute threshold, a cooldown and a
floor per group, a linear warm-up joined to cosine annealing by ``SequentialLR``,
``PolynomialLR`` and ``ExponentialLR`` chained, AdamW with ``amsgrad`` and no decay on
biases and norms, gradient accumulation under a fixed loss scale undone by
``grad.div_`` before ``clip_grad_value_``, an EMA by ``AveragedModel`` beside ``SWALR``
with cosine annealing, a checkpoint of ``RAdam(decoupled_weight_decay=True)`` and
``StepLR`` restored from a ``BytesIO``, ten optimizers with their less-used options,
``LBFGS`` with the strong Wolfe line search, ``clip_grad_norm_`` in the infinity norm
then ``get_total_norm`` and ``clip_grads_with_norm_``, knowledge distillation by
``kl_div(log_target=True)`` with a temperature, mixup against soft targets, NT-Xent with
a diagonal masked by ``-inf``, a VAE whose KL term is ``kl_divergence`` of two
``Independent`` normals, ``CyclicLR`` in ``exp_range`` mode cycling SGD's momentum,
``CosineAnnealingWarmRestarts(T_mult=2)`` and then ``LambdaLR`` (one lambda per group),
``MultiplicativeLR`` and ``ConstantLR`` stepped together, an ``Optimizer`` subclass
keeping per-parameter state with step pre- and post-hooks, and ``zero_grad()`` leaving
gradients at None.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2425)
INPUTS = DATA.normal(size=(8, 3))
TARGETS = DATA.normal(size=(8, 1))


def _fit(torch, model, optimizer, steps, after_step=None):
    F = torch.nn.functional
    x, y = torch.from_numpy(INPUTS), torch.from_numpy(TARGETS)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        if after_step is not None:
            after_step()
        losses.append(loss.detach())
    return torch.stack(losses)


def test_one_cycle_in_three_phases_cycles_adams_first_beta():
    def script(torch, copy_weights):
        model = torch.nn.Linear(3, 1)
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.9, 0.99))
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=0.1, total_steps=10, three_phase=True,
            anneal_strategy="linear", pct_start=0.3, div_factor=10, final_div_factor=100)
        rates, betas = [], []

        def record():
            scheduler.step()
            rates.append(optimizer.param_groups[0]["lr"])
            betas.append(optimizer.param_groups[0]["betas"][0])
        losses = _fit(torch, model, optimizer, 10, record)
        return losses, torch.tensor(rates), torch.tensor(betas), model
    side_by_side(script)


def test_plateau_on_a_maximised_score_with_absolute_threshold_and_cooldown():
    scores = [0.5, 0.6, 0.6, 0.6, 0.61, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]

    def script(torch, copy_weights):
        model = torch.nn.Linear(2, 1)
        optimizer = torch.optim.SGD([{"params": [model.weight]},
                                     {"params": [model.bias], "lr": 0.5}],
                                    lr=1.0, momentum=0.9)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="max", factor=0.5, patience=1, threshold=0.05,
            threshold_mode="abs", cooldown=2, min_lr=[0.1, 0.2])
        rates = []
        for score in scores:
            scheduler.step(score)
            rates.append([group["lr"] for group in optimizer.param_groups])
        return torch.tensor(rates), torch.tensor(scheduler.get_last_lr())
    side_by_side(script)


def test_linear_warm_up_then_cosine_annealing_by_sequential_lr():
    def script(torch, copy_weights):
        schedulers = torch.optim.lr_scheduler
        model = torch.nn.Linear(3, 1)
        copy_weights(model)
        optimizer = torch.optim.AdamW(model.parameters(), lr=0.1, weight_decay=0.1)
        warm_up = schedulers.LinearLR(optimizer, start_factor=0.1, total_iters=3)
        cosine = schedulers.CosineAnnealingLR(optimizer, T_max=5, eta_min=0.01)
        scheduler = schedulers.SequentialLR(optimizer, [warm_up, cosine], milestones=[3])
        rates = []

        def record():
            scheduler.step()
            rates.append(scheduler.get_last_lr()[0])
        losses = _fit(torch, model, optimizer, 9, record)
        return losses, torch.tensor(rates), model
    side_by_side(script)


def test_polynomial_and_exponential_decay_chained():
    def script(torch, copy_weights):
        schedulers = torch.optim.lr_scheduler
        model = torch.nn.Linear(3, 1)
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        scheduler = schedulers.ChainedScheduler([
            schedulers.PolynomialLR(optimizer, total_iters=4, power=2.0),
            schedulers.ExponentialLR(optimizer, gamma=0.9)])
        rates = []

        def record():
            scheduler.step()
            rates.append(optimizer.param_groups[0]["lr"])
        losses = _fit(torch, model, optimizer, 6, record)
        return losses, torch.tensor(rates), model
    side_by_side(script)


def test_adamw_with_amsgrad_and_no_decay_on_biases_and_norms():
    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(3, 6), nn.LayerNorm(6), nn.GELU(approximate="tanh"),
                              nn.Linear(6, 1))
        copy_weights(model)
        decay = [p for p in model.parameters() if p.ndim >= 2]
        no_decay = [p for p in model.parameters() if p.ndim < 2]
        optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                                       {"params": no_decay, "weight_decay": 0.0}],
                                      lr=0.05, amsgrad=True)
        return _fit(torch, model, optimizer, 4), model
    side_by_side(script)


def test_gradient_accumulation_under_a_fixed_loss_scale():
    def script(torch, copy_weights):
        F = torch.nn.functional
        model = torch.nn.Linear(3, 1)
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        scale, micro_batches = 1024.0, 4
        skipped = []
        for _ in range(2):
            optimizer.zero_grad(set_to_none=True)
            for k in range(micro_batches):
                rows = slice(2 * k, 2 * k + 2)
                xb, yb = torch.from_numpy(INPUTS[rows]), torch.from_numpy(TARGETS[rows])
                loss = F.mse_loss(model(xb), yb) / micro_batches
                (loss * scale).backward()
            for p in model.parameters():
                p.grad.div_(scale)
            finite = all(bool(torch.isfinite(p.grad).all()) for p in model.parameters())
            torch.nn.utils.clip_grad_value_(model.parameters(), 0.5)
            if finite:
                optimizer.step()
            skipped.append(not finite)
        return model, skipped
    side_by_side(script)


def test_weight_average_by_ema_beside_swalr_with_cosine_annealing():
    def script(torch, copy_weights):
        nn, swa_utils = torch.nn, torch.optim.swa_utils
        model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
        copy_weights(model)
        average = swa_utils.AveragedModel(
            model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.8), use_buffers=True)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        swa = swa_utils.SWALR(optimizer, swa_lr=0.05, anneal_epochs=3, anneal_strategy="cos")
        rates = []

        def record():
            average.update_parameters(model)
            swa.step()
            rates.append(optimizer.param_groups[0]["lr"])
        losses = _fit(torch, model, optimizer, 4, record)
        average.eval()
        with torch.no_grad():
            prediction = average(torch.from_numpy(INPUTS))
        return losses, prediction, average.n_averaged, torch.tensor(rates), average.module
    side_by_side(script)


def test_radam_with_decoupled_decay_restored_from_a_checkpoint():
    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
        copy_weights(model)
        optimizer = torch.optim.RAdam(model.parameters(), lr=0.01, weight_decay=0.01,
                                      decoupled_weight_decay=True)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 2, 0.5)
        _fit(torch, model, optimizer, 2, scheduler.step)
        buffer = io.BytesIO()
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "epoch": 2}, buffer)
        buffer.seek(0)
        straight_on = _fit(torch, model, optimizer, 2, scheduler.step)
        checkpoint = torch.load(buffer, weights_only=True)
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
        resumed = _fit(torch, model, optimizer, 2, scheduler.step)
        return straight_on, resumed, checkpoint["epoch"], model
    side_by_side(script)


def test_ten_optimizers_with_their_less_used_options():
    def script(torch, copy_weights):
        optim = torch.optim
        makers = [
            lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1,
                                    weight_decay=0.01),
            lambda p: optim.Adadelta(p, lr=1.0, rho=0.8, weight_decay=0.01),
            lambda p: optim.RMSprop(p, lr=0.01, centered=True, momentum=0.5,
                                    weight_decay=0.01),
            lambda p: optim.Rprop(p, lr=0.01, etas=(0.4, 1.3), step_sizes=(1e-4, 0.1)),
            lambda p: optim.ASGD(p, lr=0.05, t0=2, lambd=1e-3),
            lambda p: optim.NAdam(p, lr=0.01, momentum_decay=0.005,
                                  decoupled_weight_decay=True, weight_decay=0.1),
            lambda p: optim.Adamax(p, lr=0.02, weight_decay=0.01),
            lambda p: optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01),
            lambda p: optim.Adam(p, lr=0.05, maximize=True, amsgrad=True),
            lambda p: optim.RAdam(p, lr=0.05),
        ]
        results = []
        for make in makers:
            model = torch.nn.Linear(3, 1)
            copy_weights(model)
            results.append((_fit(torch, model, make(model.parameters()), 7), model))
        return results
    side_by_side(script)


def test_lbfgs_with_the_strong_wolfe_line_search():
    def script(torch, copy_weights):
        F = torch.nn.functional
        model = torch.nn.Linear(3, 1)
        copy_weights(model)
        optimizer = torch.optim.LBFGS(model.parameters(), lr=1, max_iter=5, history_size=3,
                                      line_search_fn="strong_wolfe")
        x, y = torch.from_numpy(INPUTS), torch.from_numpy(TARGETS)

        def closure():
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), y) + 0.1 * model.weight.pow(4).sum()
            loss.backward()
            return loss
        losses = [optimizer.step(closure).detach() for _ in range(3)]
        return torch.stack(losses), model
    side_by_side(script)


def test_gradient_clipping_by_infinity_norm_then_by_a_precomputed_total():
    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 1))
        copy_weights(model)
        model(torch.from_numpy(INPUTS)).pow(2).sum().backward()
        largest = nn.utils.clip_grad_norm_(model.parameters(), 0.5, norm_type=float("inf"))
        total = nn.utils.get_total_norm([p.grad for p in model.parameters()], norm_type=3.0)
        nn.utils.clip_grads_with_norm_(model.parameters(), 0.1, total)
        return largest, total, [p.grad.norm() for p in model.parameters()]
    side_by_side(script)


def test_knowledge_distillation_with_log_target_kl_and_a_temperature():
    inputs = DATA.normal(size=(6, 4))
    labels = DATA.integers(0, 3, size=6)

    def script(torch, copy_weights):
        F = torch.nn.functional
        teacher, student = torch.nn.Linear(4, 3), torch.nn.Linear(4, 3)
        copy_weights(teacher, student)
        optimizer = torch.optim.SGD(student.parameters(), lr=0.1, momentum=0.9, nesterov=True)
        x, y = torch.from_numpy(inputs), torch.from_numpy(labels)
        temperature, losses = 2.0, []
        for _ in range(3):
            optimizer.zero_grad()
            with torch.no_grad():
                teacher_log = F.log_softmax(teacher(x) / temperature, dim=1)
            logits = student(x)
            distill = F.kl_div(F.log_softmax(logits / temperature, dim=1), teacher_log,
                               reduction="batchmean", log_target=True) * temperature ** 2
            loss = 0.7 * distill + 0.3 * F.cross_entropy(logits, y, label_smoothing=0.2)
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
        return torch.stack(losses), student
    side_by_side(script)


def test_mixup_against_soft_targets_with_a_fixed_ratio():
    inputs = DATA.normal(size=(6, 4))
    labels = DATA.integers(0, 3, size=6)
    order = DATA.permutation(6)

    def script(torch, copy_weights):
        F = torch.nn.functional
        model = torch.nn.Linear(4, 3)
        copy_weights(model)
        ratio, perm = 0.3, torch.from_numpy(order)
        x = torch.from_numpy(inputs)
        mixed = ratio * x + (1 - ratio) * x[perm]
        one_hot = F.one_hot(torch.from_numpy(labels), 3).to(torch.float64)
        soft = ratio * one_hot + (1 - ratio) * one_hot[perm]
        loss = F.cross_entropy(model(mixed), soft)
        loss.backward()
        return loss, [p.grad.norm() for p in model.parameters()]
    side_by_side(script)


def test_nt_xent_contrastive_loss_with_the_diagonal_masked():
    views = DATA.normal(size=(4, 5))
    noisy = views + 0.1 * DATA.normal(size=(4, 5))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        projector = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
        copy_weights(projector)
        z = F.normalize(projector(torch.cat([torch.from_numpy(views),
                                             torch.from_numpy(noisy)])), dim=1)
        similarity = (z @ z.T / 0.5).masked_fill(torch.eye(8, dtype=torch.bool),
                                                 float("-inf"))
        loss = F.cross_entropy(similarity, torch.arange(8).roll(4))
        loss.backward()
        return loss, [p.grad.norm() for p in projector.parameters()]
    side_by_side(script)


def test_vae_with_kl_divergence_of_independent_normals():
    inputs = DATA.normal(size=(4, 3))
    noise = DATA.normal(size=(4, 2))

    def script(torch, copy_weights):
        D = torch.distributions
        encoder, decoder = torch.nn.Linear(3, 4), torch.nn.Linear(2, 3)
        copy_weights(encoder, decoder)
        optimizer = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=0.01)
        x, losses = torch.from_numpy(inputs), []
        prior = D.Independent(D.Normal(torch.zeros(2), torch.ones(2)), 1)
        for _ in range(3):
            optimizer.zero_grad()
            mean, log_variance = encoder(x).chunk(2, dim=-1)
            scale = (0.5 * log_variance).exp()
            posterior = D.Independent(D.Normal(mean, scale), 1)
            z = mean + scale * torch.from_numpy(noise)
            reconstruction = D.Normal(decoder(z), 0.5).log_prob(x).sum(-1)
            loss = (D.kl_divergence(posterior, prior) - reconstruction).mean()
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
        return torch.stack(losses), encoder, decoder, posterior.entropy()
    side_by_side(script)


def test_cyclic_lr_in_exp_range_mode_cycling_sgd_momentum():
    def script(torch, copy_weights):
        model = torch.nn.Linear(3, 1)
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        scheduler = torch.optim.lr_scheduler.CyclicLR(
            optimizer, base_lr=0.01, max_lr=0.1, step_size_up=2, step_size_down=3,
            mode="exp_range", gamma=0.9, cycle_momentum=True, base_momentum=0.8,
            max_momentum=0.95)
        rates, momenta = [], []

        def record():
            scheduler.step()
            rates.append(optimizer.param_groups[0]["lr"])
            momenta.append(optimizer.param_groups[0]["momentum"])
        losses = _fit(torch, model, optimizer, 8, record)
        return losses, torch.tensor(rates), torch.tensor(momenta), model
    side_by_side(script)


def test_warm_restarts_with_t_mult_then_lambda_multiplicative_and_constant_together():
    def script(torch, copy_weights):
        schedulers = torch.optim.lr_scheduler
        model = torch.nn.Linear(3, 1)
        copy_weights(model)

        def two_groups():
            return torch.optim.SGD([{"params": [model.weight]},
                                    {"params": [model.bias], "lr": 0.05}], lr=0.1)
        optimizer = two_groups()
        restarts = schedulers.CosineAnnealingWarmRestarts(optimizer, T_0=2, T_mult=2,
                                                          eta_min=0.001)
        rates = []

        def record():
            restarts.step()
            rates.append([group["lr"] for group in optimizer.param_groups])
        first = _fit(torch, model, optimizer, 8, record)
        optimizer = two_groups()
        stacked = [schedulers.LambdaLR(optimizer, [lambda e: 0.9 ** e, lambda e: 1 / (e + 1)]),
                   schedulers.MultiplicativeLR(optimizer, lambda e: 0.95),
                   schedulers.ConstantLR(optimizer, factor=0.5, total_iters=2)]
        stacked_rates = []

        def record_stacked():
            for scheduler in stacked:
                scheduler.step()
            stacked_rates.append([group["lr"] for group in optimizer.param_groups])
        second = _fit(torch, model, optimizer, 5, record_stacked)
        return first, torch.tensor(rates), second, torch.tensor(stacked_rates), model
    side_by_side(script)


def test_optimizer_subclass_with_per_parameter_state_and_step_hooks():
    def script(torch, copy_weights):
        class SignMomentum(torch.optim.Optimizer):
            def __init__(self, params, lr=0.01, beta=0.9):
                super().__init__(params, dict(lr=lr, beta=beta))

            @torch.no_grad()
            def step(self, closure=None):
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        state = self.state[p]
                        if len(state) == 0:
                            state["buffer"] = torch.zeros_like(p)
                            state["step"] = 0
                        state["step"] += 1
                        state["buffer"].mul_(group["beta"]).add_(p.grad,
                                                                 alpha=1 - group["beta"])
                        p.add_(state["buffer"].sign(), alpha=-group["lr"])

        model = torch.nn.Linear(3, 1)
        copy_weights(model)
        optimizer = SignMomentum(model.parameters(), lr=0.05)
        calls = []
        optimizer.register_step_pre_hook(lambda opt, args, kwargs: calls.append("pre"))
        optimizer.register_step_post_hook(lambda opt, args, kwargs: calls.append("post"))
        losses = _fit(torch, model, optimizer, 4)
        return losses, model, calls, optimizer.state[model.weight]["step"]
    side_by_side(script)


def test_zero_grad_sets_gradients_to_none_by_default():
    def script(torch, copy_weights):
        model = torch.nn.Linear(3, 1)
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.1, foreach=False)
        losses = _fit(torch, model, optimizer, 2)
        optimizer.zero_grad()
        return losses, [p.grad is None for p in model.parameters()], model
    side_by_side(script)
