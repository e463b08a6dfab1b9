"""The twenty-sixth round of PyTorch scripts, training loops (see
test_torch_scripts_twentysixth.py for the method): weight-decay parameter groups
(no decay on biases and norms) under ``OneCycleLR`` with ``three_phase=True``, Adamax
and ASGD side by side under ``CosineAnnealingWarmRestarts`` stepped by fractional
epochs, ``CyclicLR('exp_range')`` over SGD with Nesterov momentum, an EMA of the
weights by ``swa_utils.AveragedModel(multi_avg_fn=get_ema_multi_avg_fn)`` with
``update_bn``, L-BFGS with ``line_search_fn='strong_wolfe'`` on a logistic
regression, knowledge distillation (``KLDivLoss(log_target=True)`` at a temperature)
with mixup and label smoothing, a VAE step with the reparameterization noise from
NumPy and ``distributions.kl_divergence``, and a checkpoint of model, optimizer and
scheduler resumed into fresh objects.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(26261)


def _mlp(nn):
    return nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.Tanh(), nn.Linear(8, 3))


def test_weight_decay_groups_under_a_three_phase_one_cycle():
    inputs = DATA.normal(size=(6, 4))
    labels = np.array([0, 2, 1, 1, 0, 2])

    def script(torch, copy_weights):
        nn = torch.nn
        model = _mlp(nn)
        copy_weights(model)
        decay, no_decay = [], []
        for name, p in model.named_parameters():
            (no_decay if name.endswith("bias") or p.ndim == 1 else decay).append(p)
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                                 {"params": no_decay, "weight_decay": 0.0}], lr=0.01)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=8,
                                                    three_phase=True, anneal_strategy="linear")
        x, y = torch.tensor(inputs), torch.tensor(labels)
        losses, lrs = [], []
        for _ in range(8):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y, label_smoothing=0.05)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss)
            lrs.append(torch.tensor([g["lr"] for g in opt.param_groups]))
        return losses, lrs, model
    side_by_side(script)


def test_adamax_and_asgd_under_warm_restarts_by_fractional_epochs():
    inputs = DATA.normal(size=(8, 4))
    targets = DATA.normal(size=(8, 3))

    def script(torch, copy_weights):
        nn = torch.nn
        first, second = _mlp(nn), _mlp(nn)
        copy_weights(first, second)
        opts = [torch.optim.Adamax(first.parameters(), lr=0.02, weight_decay=0.01),
                torch.optim.ASGD(second.parameters(), lr=0.05, t0=2, lambd=1e-3)]
        scheds = [torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2,
                                                                       eta_min=1e-3)
                  for o in opts]
        x, t = torch.tensor(inputs), torch.tensor(targets)
        losses = []
        batches = 2
        for epoch in range(3):
            for i in range(batches):
                part = slice(4 * i, 4 * i + 4)
                for model, opt, sched in zip((first, second), opts, scheds):
                    opt.zero_grad()
                    loss = nn.functional.mse_loss(model(x[part]), t[part])
                    loss.backward()
                    opt.step()
                    sched.step(epoch + i / batches)
                    losses.append(loss)
        lrs = torch.tensor([s.get_last_lr()[0] for s in scheds])
        with torch.no_grad():                  # evaluate with ASGD's averaged weights
            for p in second.parameters():
                p.copy_(opts[1].state[p]["ax"])
            evaluated = second(x)
        return losses, first, second, evaluated, lrs
    side_by_side(script)


def test_exp_range_cyclic_lr_over_nesterov_sgd():
    inputs = DATA.normal(size=(5, 4))
    targets = DATA.normal(size=(5, 3))

    def script(torch, copy_weights):
        nn = torch.nn
        model = _mlp(nn)
        copy_weights(model)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True,
                              dampening=0.0)
        sched = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.001, max_lr=0.05,
                                                  step_size_up=2, mode="exp_range",
                                                  gamma=0.9, base_momentum=0.8,
                                                  max_momentum=0.95)
        x, t = torch.tensor(inputs), torch.tensor(targets)
        losses, lrs = [], []
        for _ in range(6):
            opt.zero_grad()
            loss = nn.functional.smooth_l1_loss(model(x), t, beta=0.5)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss)
            lrs.append(torch.tensor([opt.param_groups[0]["lr"],
                                     opt.param_groups[0]["momentum"]]))
        return losses, lrs, model
    side_by_side(script)


def test_ema_of_weights_by_averaged_model_and_update_bn():
    inputs = DATA.normal(size=(6, 4))
    targets = DATA.normal(size=(6, 2))

    def script(torch, copy_weights):
        nn = torch.nn
        swa = torch.optim.swa_utils
        model = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2))
        copy_weights(model)
        ema = swa.AveragedModel(model, multi_avg_fn=swa.get_ema_multi_avg_fn(0.9))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        x, t = torch.tensor(inputs), torch.tensor(targets)
        losses = []
        for _ in range(4):
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(x), t)
            loss.backward()
            opt.step()
            ema.update_parameters(model)
            losses.append(loss)
        loader = [x[:3], x[3:]]
        swa.update_bn(loader, ema)
        ema.eval()
        with torch.no_grad():
            evaluated = ema(x)
        return losses, evaluated, ema.n_averaged, model, ema.module
    side_by_side(script)


def test_lbfgs_with_strong_wolfe_on_logistic_regression():
    inputs = DATA.normal(size=(20, 3))
    labels = (inputs @ np.array([1.0, -2.0, 0.5]) + 0.3 > 0).astype(float)

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Linear(3, 1)
        copy_weights(model)
        opt = torch.optim.LBFGS(model.parameters(), lr=1, max_iter=10, history_size=5,
                                line_search_fn="strong_wolfe")
        x, y = torch.tensor(inputs), torch.tensor(labels)
        losses = []

        def closure():
            opt.zero_grad()
            logits = model(x).squeeze(-1)
            loss = nn.functional.binary_cross_entropy_with_logits(logits, y)
            loss = loss + 0.01 * model.weight.pow(2).sum()
            loss.backward()
            return loss
        for _ in range(2):
            losses.append(opt.step(closure))
        return losses, model
    side_by_side(script)


def test_distillation_with_mixup_and_label_smoothing():
    inputs = DATA.normal(size=(6, 4))
    labels = np.array([0, 1, 2, 2, 1, 0])
    lam = 0.7
    perm = DATA.permutation(6)

    def script(torch, copy_weights):
        nn = torch.nn
        teacher, student = _mlp(nn), _mlp(nn)
        copy_weights(teacher, student)
        teacher.eval()
        opt = torch.optim.Adam(student.parameters(), lr=0.01)
        kd = nn.KLDivLoss(reduction="batchmean", log_target=True)
        ce = nn.CrossEntropyLoss(label_smoothing=0.1)
        x, y = torch.tensor(inputs), torch.tensor(labels)
        index = torch.tensor(perm)
        temperature = 2.0
        losses = []
        for _ in range(3):
            mixed = lam * x + (1 - lam) * x[index]
            with torch.no_grad():
                soft = torch.log_softmax(teacher(mixed) / temperature, dim=1)
            logits = student(mixed)
            hard = lam * ce(logits, y) + (1 - lam) * ce(logits, y[index])
            distill = kd(torch.log_softmax(logits / temperature, dim=1), soft)
            loss = 0.5 * hard + 0.5 * temperature ** 2 * distill
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(torch.stack([hard, distill]))
        return losses, student
    side_by_side(script)


def test_vae_step_with_numpy_noise_and_kl_divergence():
    inputs = DATA.random(size=(4, 6))
    noise = DATA.normal(size=(3, 4, 2))

    def script(torch, copy_weights):
        nn, D = torch.nn, torch.distributions
        encoder = nn.Linear(6, 4)
        decoder = nn.Sequential(nn.Linear(2, 6), nn.Sigmoid())
        copy_weights(encoder, decoder)
        params = list(encoder.parameters()) + list(decoder.parameters())
        opt = torch.optim.Adam(params, lr=0.01)
        x = torch.tensor(inputs)
        losses = []
        for step in range(3):
            mu, log_var = encoder(x).chunk(2, dim=-1)
            std = torch.exp(0.5 * log_var)
            z = mu + std * torch.tensor(noise[step])
            recon = decoder(z)
            posterior = D.Independent(D.Normal(mu, std), 1)
            prior = D.Independent(D.Normal(torch.zeros_like(mu), torch.ones_like(std)), 1)
            kl = D.kl_divergence(posterior, prior).mean()
            closed = (-0.5 * (1 + log_var - mu.pow(2) - log_var.exp()).sum(-1)).mean()
            bce = nn.functional.binary_cross_entropy(recon, x, reduction="sum") / 4
            elbo_terms = posterior.log_prob(z) - prior.log_prob(z)
            loss = bce + kl
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(torch.stack([bce, kl, closed, elbo_terms.mean()]))
        return losses, encoder, decoder
    side_by_side(script)


def test_checkpoint_of_model_optimizer_and_scheduler_resumed():
    inputs = DATA.normal(size=(6, 4))
    targets = DATA.normal(size=(6, 3))

    def script(torch, copy_weights):
        nn = torch.nn
        model = _mlp(nn)
        copy_weights(model)
        x, t = torch.tensor(inputs), torch.tensor(targets)

        def make(model):
            opt = torch.optim.RAdam(model.parameters(), lr=0.01, weight_decay=0.01)
            sched = torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=6, power=2.0)
            return opt, sched

        def train(model, opt, sched, steps):
            out = []
            for _ in range(steps):
                opt.zero_grad()
                loss = nn.functional.mse_loss(model(x), t)
                loss.backward()
                opt.step()
                sched.step()
                out.append(loss)
            return out
        opt, sched = make(model)
        losses = train(model, opt, sched, 3)
        buffer = io.BytesIO()
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                    "sched": sched.state_dict(), "epoch": 3}, buffer)
        buffer.seek(0)
        checkpoint = torch.load(buffer, weights_only=False)
        fresh = _mlp(nn)
        fresh.load_state_dict(checkpoint["model"])
        opt2, sched2 = make(fresh)
        opt2.load_state_dict(checkpoint["opt"])
        sched2.load_state_dict(checkpoint["sched"])
        losses += train(fresh, opt2, sched2, 3)
        return losses, fresh, torch.tensor(sched2.get_last_lr()), checkpoint["epoch"] == 3
    side_by_side(script)
