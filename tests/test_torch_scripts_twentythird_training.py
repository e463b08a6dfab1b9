"""Round 23 of the PyTorch scripts (see test_torch_scripts_twentythird.py): training
habits.  A parameter group added by ``optimizer.add_param_group`` after a ``LambdaLR``
was built (both libraries refuse the next ``scheduler.step()``; the script builds a new
``LambdaLR`` with one lambda per group, the first group's ``initial_lr`` kept), a
checkpoint of model, ``AdamW`` and ``OneCycleLR`` written by ``torch.save`` to a
``BytesIO`` mid-run and resumed into fresh objects (checked against the uninterrupted
run), gradient accumulation with ``clip_grad_norm_(foreach=True)``, no weight decay on
biases and norms, and ``CosineAnnealingWarmRestarts`` stepped by fractional epochs, an
exponential moving average by ``AveragedModel(multi_avg_fn=get_ema_multi_avg_fn(0.9),
use_buffers=True)`` over a model with ``BatchNorm1d``, early stopping on a validation
loss with ``ReduceLROnPlateau`` and the best ``copy.deepcopy(model.state_dict())``
restored, and discriminative fine-tuning: a backbone frozen by ``requires_grad_(False)``
with an optimizer over ``filter(lambda p: p.requires_grad, ...)``, then unfrozen into a
new group with a lower rate.
"""

from __future__ import annotations

import copy
import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

import autodiff as ad  # noqa: E402

DATA = np.random.default_rng(2325)
INPUTS = DATA.normal(size=(12, 4))
TARGETS = DATA.normal(size=(12, 2))


def _regression(torch):
    nn = torch.nn
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))


@pytest.mark.filterwarnings(r"ignore:Detected call of `lr_scheduler.step\(\)` before")
def test_param_group_added_after_lambda_lr_needs_a_new_scheduler():
    for lib in (torch, ad):         # both refuse to schedule a group they were not made for
        model = _regression(lib)
        optimizer = lib.optim.SGD(model[0].parameters(), lr=0.1)
        scheduler = lib.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: 0.8 ** epoch)
        optimizer.add_param_group({'params': model[2].parameters(), 'lr': 0.03})
        with pytest.raises(ValueError):
            scheduler.step()

    def script(torch, copy_weights):
        F = torch.nn.functional
        model = _regression(torch)
        copy_weights(model)
        x, y = torch.from_numpy(INPUTS), torch.from_numpy(TARGETS)
        optimizer = torch.optim.SGD(model[0].parameters(), lr=0.1, momentum=0.9)
        decay = lambda epoch: 0.8 ** epoch  # noqa: E731
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, decay)
        rates, losses = [], []
        for epoch in range(5):
            if epoch == 2:
                optimizer.add_param_group({'params': model[2].parameters(), 'lr': 0.03})
                scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, [decay, decay])
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step()
            rates.append([group['lr'] for group in optimizer.param_groups])
            losses.append(loss.item())
        return rates, scheduler.get_last_lr(), torch.tensor(losses), model
    side_by_side(script)


def test_checkpoint_saved_mid_run_resumes_identically():
    def script(torch, copy_weights):
        F = torch.nn.functional
        x, y = torch.from_numpy(INPUTS), torch.from_numpy(TARGETS)

        def build():
            model = _regression(torch)
            optimizer = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.05)
            scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.05,
                                                            total_steps=8)
            return model, optimizer, scheduler

        def train(model, optimizer, scheduler, steps):
            losses = []
            for _ in range(steps):
                optimizer.zero_grad()
                loss = F.mse_loss(model(x), y)
                loss.backward()
                optimizer.step()
                scheduler.step()
                losses.append(loss.item())
            return losses

        model, optimizer, scheduler = build()
        copy_weights(model)
        start = copy.deepcopy(model.state_dict())
        straight = train(model, optimizer, scheduler, 6)

        model, optimizer, scheduler = build()
        model.load_state_dict(start)
        first = train(model, optimizer, scheduler, 3)
        buffer = io.BytesIO()
        torch.save({'epoch': 3, 'model': model.state_dict(),
                    'optimizer': optimizer.state_dict(),
                    'scheduler': scheduler.state_dict()}, buffer)
        buffer.seek(0)
        checkpoint = torch.load(buffer, weights_only=False)
        model, optimizer, scheduler = build()
        model.load_state_dict(checkpoint['model'])
        optimizer.load_state_dict(checkpoint['optimizer'])
        scheduler.load_state_dict(checkpoint['scheduler'])
        resumed = first + train(model, optimizer, scheduler, 3)
        return (torch.tensor(straight), torch.tensor(resumed), checkpoint['epoch'],
                scheduler.get_last_lr(), model)
    theirs, ours = side_by_side(script)
    np.testing.assert_allclose(ours[1], ours[0], rtol=1e-12)


def test_gradient_accumulation_with_clipping_and_fractional_warm_restarts():
    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.ReLU(), nn.Linear(8, 2))
        copy_weights(model)
        decay, no_decay = [], []
        for name, p in model.named_parameters():
            (no_decay if p.ndim == 1 else decay).append(p)
        optimizer = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.1},
                                       {'params': no_decay, 'weight_decay': 0.0}], lr=0.02)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
            optimizer, T_0=1, T_mult=2, eta_min=1e-3)
        batches = [(torch.from_numpy(INPUTS[i:i + 3]), torch.from_numpy(TARGETS[i:i + 3]))
                   for i in range(0, 12, 3)]
        accumulation, iters = 2, 2
        norms, rates = [], []
        for epoch in range(3):
            for i, (xb, yb) in enumerate(batches):
                loss = F.mse_loss(model(xb), yb) / accumulation
                loss.backward()
                if (i + 1) % accumulation == 0:
                    norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5,
                                                                foreach=True))
                    optimizer.step()
                    optimizer.zero_grad()
                    scheduler.step(epoch + (i // accumulation + 1) / iters)
                    rates.append(scheduler.get_last_lr())
        return torch.stack(norms), rates, model
    side_by_side(script)


def test_ema_of_weights_and_buffers_with_averaged_model():
    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        swa_utils = torch.optim.swa_utils
        model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2))
        copy_weights(model)
        ema = swa_utils.AveragedModel(model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.9),
                                      use_buffers=True)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        x, y = torch.from_numpy(INPUTS), torch.from_numpy(TARGETS)
        for _ in range(4):
            optimizer.zero_grad()
            F.mse_loss(model(x), y).backward()
            optimizer.step()
            ema.update_parameters(model)
        ema.eval()
        with torch.no_grad():
            prediction = ema(x)
        return prediction, ema.n_averaged, ema.module
    side_by_side(script)


def test_early_stopping_restores_the_best_state():
    validation = DATA.normal(size=(6, 4)), DATA.normal(size=(6, 2))

    def script(torch, copy_weights):
        F = torch.nn.functional
        model = _regression(torch)
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.2)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5,
                                                               patience=0)
        x, y = torch.from_numpy(INPUTS), torch.from_numpy(TARGETS)
        xv, yv = (torch.from_numpy(v) for v in validation)
        best, best_state, bad_epochs, history = float('inf'), None, 0, []
        for epoch in range(12):
            model.train()
            optimizer.zero_grad()
            F.mse_loss(model(x), y).backward()
            optimizer.step()
            model.eval()
            with torch.no_grad():
                val_loss = F.mse_loss(model(xv), yv).item()
            scheduler.step(val_loss)
            history.append((val_loss, optimizer.param_groups[0]['lr']))
            if val_loss < best - 1e-4:
                best, best_state, bad_epochs = val_loss, copy.deepcopy(model.state_dict()), 0
            else:
                bad_epochs += 1
                if bad_epochs >= 3:
                    break
        model.load_state_dict(best_state)
        with torch.no_grad():
            restored = F.mse_loss(model(xv), yv)
        return history, epoch, restored, model
    side_by_side(script)


def test_frozen_backbone_then_unfrozen_with_a_lower_rate():
    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        backbone = nn.Sequential(nn.Linear(4, 8), nn.GELU())
        head = nn.Linear(8, 2)
        model = nn.Sequential(backbone, head)
        copy_weights(model)
        backbone.requires_grad_(False)
        optimizer = torch.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()),
                                     lr=0.05)
        x, y = torch.from_numpy(INPUTS), torch.from_numpy(TARGETS)
        trainable, losses = [], []
        for epoch in range(5):
            if epoch == 2:
                backbone.requires_grad_(True)
                optimizer.add_param_group({'params': backbone.parameters(), 'lr': 0.005})
            trainable.append(sum(p.numel() for p in model.parameters() if p.requires_grad))
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return trainable, torch.tensor(losses), [g['lr'] for g in optimizer.param_groups], model
    side_by_side(script)
