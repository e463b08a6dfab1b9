"""A sixteenth round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; values must agree (float64 to 1e-10).  Random parts take their
draws from NumPy so both runs see the same numbers.  Here, training habits: early
stopping that keeps ``copy.deepcopy(model.state_dict())`` under ``ReduceLROnPlateau``
and restores it (PyTorch's ``{k: v.clone() for k, v in ...items()}`` fails here, on
NumPy arrays without ``clone``: ``state_dict()`` already holds copies), minGPT's
``configure_optimizers`` (``named_modules`` with full parameter names, a white- and a
blacklist of layer types), timm's
``ModelEmaV2`` (``copy_`` over ``state_dict(keep_vars=True).values()``: without
``keep_vars`` the values here are NumPy copies; BatchNorm buffers included),
BatchNorm frozen by a ``train()`` override testing ``nn.modules.batchnorm._BatchNorm``,
fine-tuning a head then unfreezing the backbone by ``add_param_group``, a Gauss-Newton
step by ``torch.autograd.functional.jvp``/``vjp`` and conjugate gradients, and
temperature scaling by L-BFGS with its expected calibration error (models: _models.py;
more: _more.py; layers and schedules: _layers.py; what the round found different:
_gaps.py)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1616)


def test_early_stopping_keeps_a_copied_best_state_and_restores_it():
    train_x, train_y = DATA.normal(size=(32, 4)), DATA.integers(0, 3, size=32)
    val_x, val_y = DATA.normal(size=(16, 4)), DATA.integers(0, 3, size=16)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(),
                              nn.Linear(16, 3))
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min",
                                                               factor=0.5, patience=1)
        x, y = torch.from_numpy(train_x), torch.from_numpy(train_y)
        vx, vy = torch.from_numpy(val_x), torch.from_numpy(val_y)
        best_loss, best, best_epoch, bad_epochs, patience = float("inf"), None, -1, 0, 3
        history = []
        for epoch in range(12):
            model.train()
            for i in range(0, len(x), 8):
                optimizer.zero_grad()
                loss = F.cross_entropy(model(x[i:i + 8]), y[i:i + 8])
                loss.backward()
                optimizer.step()
            model.eval()
            with torch.no_grad():
                logits = model(vx)
                val_loss = F.cross_entropy(logits, vy).item()
                accuracy = (logits.argmax(dim=1) == vy).float().mean().item()
            scheduler.step(val_loss)
            history.append((val_loss, accuracy, optimizer.param_groups[0]["lr"]))
            if val_loss < best_loss:
                best_loss, best_epoch, bad_epochs = val_loss, epoch, 0
                best = copy.deepcopy(model.state_dict())
            else:
                bad_epochs += 1
                if bad_epochs >= patience:
                    break
        last = copy.deepcopy(model.state_dict())
        model.load_state_dict(best)
        with torch.no_grad():
            restored_loss = F.cross_entropy(model(vx), vy).item()
        assert restored_loss == best_loss
        moved = [k for k in best if bool((best[k] != last[k]).any())]
        return history, best_epoch, epoch, model, moved
    side_by_side(script)


def test_mingpt_configure_optimizers_by_named_modules_and_full_names():
    tokens = DATA.integers(0, 10, size=(4, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class Tiny(nn.Module):
            def __init__(self, vocab=10, d=8, block=6):
                super().__init__()
                self.tok_emb = nn.Embedding(vocab, d)
                self.pos_emb = nn.Parameter(torch.zeros(1, block, d))
                self.ln_f = nn.LayerNorm(d)
                self.mlp = nn.Sequential(nn.Linear(d, 16), nn.GELU(), nn.Linear(16, d))
                self.head = nn.Linear(d, vocab, bias=False)

            def forward(self, idx):
                x = self.tok_emb(idx) + self.pos_emb[:, :idx.size(1), :]
                return self.head(self.ln_f(x + self.mlp(x)))

            def configure_optimizers(self, weight_decay, learning_rate, betas):
                decay, no_decay = set(), set()
                whitelist_weight_modules = (torch.nn.Linear, )
                blacklist_weight_modules = (torch.nn.LayerNorm, torch.nn.Embedding)
                for mn, m in self.named_modules():
                    for pn, p in m.named_parameters():
                        fpn = '%s.%s' % (mn, pn) if mn else pn
                        if pn.endswith('bias'):
                            no_decay.add(fpn)
                        elif pn.endswith('weight') and isinstance(m, whitelist_weight_modules):
                            decay.add(fpn)
                        elif pn.endswith('weight') and isinstance(m, blacklist_weight_modules):
                            no_decay.add(fpn)
                no_decay.add('pos_emb')
                param_dict = {pn: p for pn, p in self.named_parameters()}
                inter_params = decay & no_decay
                union_params = decay | no_decay
                assert len(inter_params) == 0
                assert len(param_dict.keys() - union_params) == 0
                optim_groups = [
                    {"params": [param_dict[pn] for pn in sorted(list(decay))],
                     "weight_decay": weight_decay},
                    {"params": [param_dict[pn] for pn in sorted(list(no_decay))],
                     "weight_decay": 0.0},
                ]
                return torch.optim.AdamW(optim_groups, lr=learning_rate, betas=betas), \
                    sorted(decay), sorted(no_decay)

        model = Tiny()
        copy_weights(model)
        optimizer, decay, no_decay = model.configure_optimizers(0.1, 1e-2, (0.9, 0.95))
        idx = torch.from_numpy(tokens)
        losses = []
        for _ in range(4):
            logits = model(idx[:, :-1])
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), idx[:, 1:].reshape(-1))
            model.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        sizes = [sum(p.numel() for p in g["params"]) for g in optimizer.param_groups]
        return decay, no_decay, sizes, losses, model
    side_by_side(script)


def test_timm_model_ema_v2_copies_over_state_dict_values():
    inputs, targets = DATA.normal(size=(5, 12, 3)), DATA.normal(size=(5, 12, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class ModelEmaV2(nn.Module):
            def __init__(self, model, decay=0.9):
                super().__init__()
                self.module = copy.deepcopy(model)
                self.module.eval()
                self.decay = decay

            def _update(self, model, update_fn):
                with torch.no_grad():
                    # keep_vars: the tensors themselves (without it, here, copies)
                    for ema_v, model_v in zip(self.module.state_dict(keep_vars=True).values(),
                                              model.state_dict(keep_vars=True).values()):
                        ema_v.copy_(update_fn(ema_v, model_v))

            def update(self, model):
                self._update(model, update_fn=lambda e, m: self.decay * e + (1. - self.decay) * m)

            def set(self, model):
                self._update(model, update_fn=lambda e, m: m)

        model = nn.Sequential(nn.Linear(3, 6), nn.BatchNorm1d(6), nn.Tanh(), nn.Linear(6, 2))
        copy_weights(model)
        ema = ModelEmaV2(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for x, y in zip(inputs, targets):
            model.train()
            loss = F.mse_loss(model(torch.from_numpy(x)), torch.from_numpy(y))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            ema.update(model)
        with torch.no_grad():
            ema_out = ema.module(torch.from_numpy(inputs[0]))
        counts = ema.module[1].num_batches_tracked.item(), model[1].num_batches_tracked.item()
        ema.set(model)
        return ema_out, counts, ema.module[1].running_var, model
    side_by_side(script)


def test_batchnorm_frozen_by_a_train_override_over_the_batchnorm_base_class():
    images, labels = DATA.normal(size=(3, 4, 2, 5, 5)), DATA.integers(0, 2, size=(3, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class Net(nn.Module):
            def __init__(self, freeze_bn=True):
                super().__init__()
                self.freeze_bn = freeze_bn
                self.features = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4),
                                              nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
                self.fc = nn.Linear(4, 2)

            def forward(self, x):
                return self.fc(self.features(x))

            def train(self, mode=True):
                super().train(mode)
                if self.freeze_bn:
                    for m in self.modules():
                        if isinstance(m, nn.modules.batchnorm._BatchNorm):
                            m.eval()
                            m.weight.requires_grad = False
                            m.bias.requires_grad = False
                return self

        model = Net()
        copy_weights(model)
        bn = model.features[1]
        with torch.no_grad():
            bn.running_mean.fill_(0.5)
            bn.running_var.fill_(2.0)
        model.train()
        optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()),
                                    lr=0.1, momentum=0.9)
        losses = []
        for x, y in zip(images, labels):
            loss = F.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        flags = [bn.training, model.training, bn.weight.grad is None,
                 bn.num_batches_tracked.item()]
        return losses, flags, model.features[0].weight.grad, model
    side_by_side(script)


def test_fine_tuning_a_head_then_unfreezing_the_backbone_by_add_param_group():
    inputs, targets = DATA.normal(size=(6, 8, 4)), DATA.integers(0, 3, size=(6, 8))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential()
        model.add_module("backbone", nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8)))
        model.add_module("head", nn.Linear(8, 3))
        copy_weights(model)
        for name, param in model.named_parameters():
            if not name.startswith("head"):
                param.requires_grad = False
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        optimizer = torch.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()),
                                     lr=1e-2)
        losses = []
        for epoch, (x, y) in enumerate(zip(inputs, targets)):
            if epoch == 3:
                for param in model.backbone.parameters():
                    param.requires_grad = True
                optimizer.add_param_group({"params": model.backbone.parameters(), "lr": 1e-3})
            loss = F.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        groups = [(len(g["params"]), g["lr"], g["betas"]) for g in optimizer.param_groups]
        steps = [optimizer.state[p]["step"] for p in model.parameters()]
        return trainable, losses, groups, steps, model
    side_by_side(script)


def test_gauss_newton_steps_by_functional_jvp_vjp_and_conjugate_gradients():
    times = np.linspace(0.0, 3.0, 12)
    observed = 2.0 * np.exp(-0.7 * times) + 0.3 + 0.01 * DATA.normal(size=12)

    def script(torch, copy_weights):
        t, y = torch.from_numpy(times), torch.from_numpy(observed)

        def residuals(params):
            a, b, c = params
            return a * torch.exp(-b * t) + c - y

        def ggn_vector_product(params, v, damping=1e-3):
            _, jv = torch.autograd.functional.jvp(residuals, params, v)
            _, jtjv = torch.autograd.functional.vjp(residuals, params, jv)
            return jtjv + damping * v

        def conjugate_gradient(matvec, b, iterations=6):
            x = torch.zeros_like(b)
            r = b.clone()
            p = r.clone()
            rs = r.dot(r)
            for _ in range(iterations):
                Ap = matvec(p)
                alpha = rs / p.dot(Ap)
                x = x + alpha * p
                r = r - alpha * Ap
                rs_new = r.dot(r)
                if rs_new.sqrt() < 1e-12:
                    break
                p = r + (rs_new / rs) * p
                rs = rs_new
            return x

        params = torch.tensor([1.0, 0.3, 0.0])
        costs = []
        for _ in range(4):
            r, gradient = torch.autograd.functional.vjp(residuals, params, residuals(params))
            step = conjugate_gradient(lambda v: ggn_vector_product(params, v), -gradient)
            params = params + step
            costs.append(0.5 * r.pow(2).sum().item())
        loss = lambda p: 0.5 * residuals(p).pow(2).sum()  # noqa: E731
        _, curvature = torch.autograd.functional.vhp(loss, params, torch.ones(3))
        return params, costs, curvature
    side_by_side(script)


def test_temperature_scaling_by_lbfgs_with_expected_calibration_error():
    features = DATA.normal(size=(48, 5))
    labels = DATA.integers(0, 4, size=48)

    def script(torch, copy_weights):
        nn, F, optim = torch.nn, torch.nn.functional, torch.optim
        data = torch.utils.data

        class _ECELoss(nn.Module):
            def __init__(self, n_bins=15):
                super().__init__()
                bin_boundaries = torch.linspace(0, 1, n_bins + 1)
                self.bin_lowers = bin_boundaries[:-1]
                self.bin_uppers = bin_boundaries[1:]

            def forward(self, logits, labels):
                softmaxes = F.softmax(logits, dim=1)
                # (torch.max(softmaxes, 1) is NumPy's max here, and refused when
                # unpacked into a pair: dim= says which)
                confidences, predictions = torch.max(softmaxes, dim=1)
                accuracies = predictions.eq(labels)
                ece = torch.zeros(1, device=logits.device)
                for bin_lower, bin_upper in zip(self.bin_lowers, self.bin_uppers):
                    in_bin = confidences.gt(bin_lower.item()) * confidences.le(bin_upper.item())
                    prop_in_bin = in_bin.float().mean()
                    if prop_in_bin.item() > 0:
                        accuracy_in_bin = accuracies[in_bin].float().mean()
                        avg_confidence_in_bin = confidences[in_bin].mean()
                        ece += torch.abs(avg_confidence_in_bin - accuracy_in_bin) * prop_in_bin
                return ece

        class ModelWithTemperature(nn.Module):
            def __init__(self, model):
                super().__init__()
                self.model = model
                self.temperature = nn.Parameter(torch.ones(1) * 1.5)

            def forward(self, input):
                return self.temperature_scale(self.model(input))

            def temperature_scale(self, logits):
                temperature = self.temperature.unsqueeze(1).expand(logits.size(0),
                                                                   logits.size(1))
                return logits / temperature

            def set_temperature(self, valid_loader):
                nll_criterion, ece_criterion = nn.CrossEntropyLoss(), _ECELoss()
                logits_list, labels_list = [], []
                with torch.no_grad():
                    for input, label in valid_loader:
                        logits_list.append(self.model(input))
                        labels_list.append(label)
                    logits = torch.cat(logits_list)
                    labels = torch.cat(labels_list)
                before = (nll_criterion(logits, labels).item(),
                          ece_criterion(logits, labels).item())
                optimizer = optim.LBFGS([self.temperature], lr=0.01, max_iter=50)

                def eval():
                    optimizer.zero_grad()
                    loss = nll_criterion(self.temperature_scale(logits), labels)
                    loss.backward()
                    return loss
                optimizer.step(eval)
                after = (nll_criterion(self.temperature_scale(logits), labels).item(),
                         ece_criterion(self.temperature_scale(logits), labels).item())
                return before, after

        net = nn.Linear(5, 4)
        copy_weights(net)
        with torch.no_grad():
            net.weight.mul_(4.0)
        loader = data.DataLoader(data.TensorDataset(torch.from_numpy(features),
                                                    torch.from_numpy(labels)), batch_size=16)
        scaled = ModelWithTemperature(net)
        before, after = scaled.set_temperature(loader)
        return before, after, scaled.temperature
    side_by_side(script)
