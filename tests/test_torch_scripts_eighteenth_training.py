"""The eighteenth round of PyTorch scripts, training as blog posts and reference code
write it (see test_torch_scripts_eighteenth.py for the method): FiLM conditioning of a
conv net, a learning-rate range test (an exponentially growing lr set through
``param_groups``, a bias-corrected smoothed loss, stopping at 4x the best), SAM as an
``Optimizer`` subclass wrapping SGD (``first_step`` / ``second_step``, ``p.data =`` the
saved weights, the adaptive variant), a hypernetwork generating a target network's
weights for ``F.linear``, Glow's ActNorm with its data-dependent initialisation (a
``uint8`` buffer as the flag, ``fill_(1)``), and an MMD domain-adaptation loss with a
multi-bandwidth Gaussian kernel, and pytorchtools' ``EarlyStopping`` (the best weights
saved by ``torch.save(model.state_dict(), path)`` and loaded back by ``torch.load``
when validation stops improving).  FiLM's ``torch.split(params, 4, dim=-1)`` and the
hypernetwork's ``torch.split(params, sizes, dim=-1)`` ran as NumPy's ``np.split``
(``ad.split`` keeps NumPy's meaning), which now warns (see _gaps.py): they are written
``params.split(...)``, PyTorch's method.  SAM's ``p.data.clone()`` and ActNorm's
``loc.data.copy_()`` meet NumPy's arrays (``.data`` is one here): ``p.detach().clone()``
and ``copy_`` under ``no_grad``; ActNorm's ``flatten.std(1)`` warns that it is NumPy's
(divides by n) and is written ``std(1, unbiased=True)``.  The rest ran unchanged."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1820)


def test_film_conditioning_of_a_conv_net():
    images, conditions = DATA.normal(size=(4, 2, 6, 6)), DATA.normal(size=(4, 3))
    labels = DATA.integers(0, 3, size=4)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class FiLM(nn.Module):
            def forward(self, x, gammas, betas):
                gammas = gammas.unsqueeze(2).unsqueeze(3).expand_as(x)
                betas = betas.unsqueeze(2).unsqueeze(3).expand_as(x)
                return (gammas * x) + betas

        class FiLMedNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(2, 4, 3, padding=1)
                self.bn = nn.BatchNorm2d(4, affine=False)
                self.film_generator = nn.Linear(3, 2 * 4)
                self.film = FiLM()
                self.classifier = nn.Linear(4, 3)

            def forward(self, x, c):
                film_params = self.film_generator(c)
                gammas, betas = film_params.split(4, dim=-1)   # (see _gaps.py)
                x = F.relu(self.film(self.bn(self.conv(x)), 1 + gammas, betas))
                return self.classifier(F.adaptive_avg_pool2d(x, 1).flatten(1))

        model = FiLMedNet()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
        x, c, y = (torch.from_numpy(a) for a in (images, conditions, labels))
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x, c), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        return losses, model, model(x, c)
    side_by_side(script)


def test_learning_rate_range_test_with_a_smoothed_loss():
    xs, ys = DATA.normal(size=(10, 4, 3)), DATA.normal(size=(10, 4, 1))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-5)
        criterion = nn.MSELoss()

        def find_lr(init_value=1e-5, final_value=10.0, beta=0.98):
            num = len(xs) - 1
            mult = (final_value / init_value) ** (1 / num)
            lr = init_value
            optimizer.param_groups[0]["lr"] = lr
            avg_loss, best_loss, batch_num = 0.0, 0.0, 0
            losses, log_lrs = [], []
            for inputs, labels in zip(xs, ys):
                batch_num += 1
                optimizer.zero_grad()
                loss = criterion(model(torch.from_numpy(inputs)), torch.from_numpy(labels))
                avg_loss = beta * avg_loss + (1 - beta) * loss.item()
                smoothed_loss = avg_loss / (1 - beta**batch_num)
                if batch_num > 1 and smoothed_loss > 4 * best_loss:
                    return log_lrs, losses
                if smoothed_loss < best_loss or batch_num == 1:
                    best_loss = smoothed_loss
                losses.append(smoothed_loss)
                log_lrs.append(np.log10(lr))
                loss.backward()
                optimizer.step()
                lr *= mult
                optimizer.param_groups[0]["lr"] = lr
            return log_lrs, losses

        log_lrs, losses = find_lr()
        return log_lrs, losses, model
    side_by_side(script)


def test_sharpness_aware_minimization_as_an_optimizer_subclass():
    xs, labels = DATA.normal(size=(8, 4)), DATA.integers(0, 3, size=8)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class SAM(torch.optim.Optimizer):
            def __init__(self, params, base_optimizer, rho=0.05, adaptive=False, **kwargs):
                assert rho >= 0.0, f"Invalid rho, should be non-negative: {rho}"
                defaults = dict(rho=rho, adaptive=adaptive, **kwargs)
                super().__init__(params, defaults)
                self.base_optimizer = base_optimizer(self.param_groups, **kwargs)
                self.param_groups = self.base_optimizer.param_groups
                self.defaults.update(self.base_optimizer.defaults)

            @torch.no_grad()
            def first_step(self, zero_grad=False):
                grad_norm = self._grad_norm()
                for group in self.param_groups:
                    scale = group["rho"] / (grad_norm + 1e-12)
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        self.state[p]["old_p"] = p.detach().clone()   # (.data is NumPy's)
                        e_w = (torch.pow(p, 2) if group["adaptive"] else 1.0) * p.grad \
                            * scale.to(p)
                        p.add_(e_w)
                if zero_grad:
                    self.zero_grad()

            @torch.no_grad()
            def second_step(self, zero_grad=False):
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        p.data = self.state[p]["old_p"]
                self.base_optimizer.step()
                if zero_grad:
                    self.zero_grad()

            def _grad_norm(self):
                return torch.norm(torch.stack([
                    ((torch.abs(p) if group["adaptive"] else 1.0) * p.grad).norm(p=2)
                    for group in self.param_groups for p in group["params"]
                    if p.grad is not None]), p=2)

        model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
        copy_weights(model)
        optimizer = SAM(model.parameters(), torch.optim.SGD, rho=0.1, adaptive=True,
                        lr=0.1, momentum=0.9)
        x, y = torch.from_numpy(xs), torch.from_numpy(labels)
        losses = []
        for _ in range(3):
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.first_step(zero_grad=True)
            F.cross_entropy(model(x), y).backward()
            optimizer.second_step(zero_grad=True)
            losses.append(loss.item())
        return losses, model
    side_by_side(script)


def test_hypernetwork_generating_a_target_networks_weights():
    embeddings, xs = DATA.normal(size=(3, 2)), DATA.normal(size=(3, 5, 4))
    ys = DATA.normal(size=(3, 5, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class HyperNetwork(nn.Module):
            def __init__(self, z_dim=2, in_dim=4, hidden=3):
                super().__init__()
                self.in_dim, self.hidden = in_dim, hidden
                n_params = hidden * in_dim + hidden + hidden + 1
                self.net = nn.Sequential(nn.Linear(z_dim, 16), nn.ELU(), nn.Linear(16, n_params))

            def forward(self, z, x):
                params = self.net(z)
                sizes = [self.hidden * self.in_dim, self.hidden, self.hidden, 1]
                w1, b1, w2, b2 = params.split(sizes, dim=-1)   # (see _gaps.py)
                h = F.elu(F.linear(x, w1.view(self.hidden, self.in_dim), b1))
                return F.linear(h, w2.view(1, self.hidden), b2)

        hyper = HyperNetwork()
        copy_weights(hyper)
        optimizer = torch.optim.RMSprop(hyper.parameters(), lr=1e-2, centered=True)
        losses = []
        for _ in range(2):
            for z, x, y in zip(embeddings, xs, ys):
                optimizer.zero_grad()
                out = hyper(torch.from_numpy(z), torch.from_numpy(x))
                loss = F.mse_loss(out, torch.from_numpy(y))
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        return losses, hyper
    side_by_side(script)


def test_glow_actnorm_with_data_dependent_initialisation():
    batches = DATA.normal(size=(3, 4, 2, 3, 3)) * 2 + 0.5

    def script(torch, copy_weights):
        nn = torch.nn

        class ActNorm(nn.Module):
            def __init__(self, in_channel, logdet=True):
                super().__init__()
                self.loc = nn.Parameter(torch.zeros(1, in_channel, 1, 1))
                self.scale = nn.Parameter(torch.ones(1, in_channel, 1, 1))
                self.register_buffer("initialized", torch.tensor(0, dtype=torch.uint8))
                self.logdet = logdet

            def initialize(self, input):
                with torch.no_grad():
                    flatten = input.permute(1, 0, 2, 3).contiguous().view(input.shape[1], -1)
                    mean = flatten.mean(1).unsqueeze(1).unsqueeze(2).unsqueeze(3) \
                        .permute(1, 0, 2, 3)
                    std = flatten.std(1, unbiased=True).unsqueeze(1).unsqueeze(2).unsqueeze(3) \
                        .permute(1, 0, 2, 3)
                    # (rosinality's self.loc.data.copy_(-mean): .data is NumPy's here)
                    self.loc.copy_(-mean)
                    self.scale.copy_(1 / (std + 1e-6))

            def forward(self, input):
                _, _, height, width = input.shape
                if self.initialized.item() == 0:
                    self.initialize(input)
                    self.initialized.fill_(1)
                log_abs = torch.log(torch.abs(self.scale))
                logdet = height * width * torch.sum(log_abs)
                return self.scale * (input + self.loc), logdet

        actnorm = ActNorm(2)
        conv = nn.Conv2d(2, 2, 1)
        copy_weights(conv)
        optimizer = torch.optim.Adam(list(actnorm.parameters()) + list(conv.parameters()),
                                     lr=1e-2)
        history = []
        for batch in batches:
            out, logdet = actnorm(torch.from_numpy(batch))
            z = conv(out)
            nll = 0.5 * (z ** 2).sum() / batch.shape[0] - logdet
            optimizer.zero_grad()
            nll.backward()
            optimizer.step()
            history.append((nll.item(), actnorm.initialized.item()))
        return history, actnorm.loc.detach(), actnorm.scale.detach(), conv
    side_by_side(script)


def test_maximum_mean_discrepancy_domain_adaptation_loss():
    source, target = DATA.normal(size=(6, 3)), DATA.normal(size=(5, 3)) + 0.7
    labels = DATA.integers(0, 2, size=6)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        def gaussian_kernel(source, target, kernel_mul=2.0, kernel_num=3, fix_sigma=None):
            n_samples = int(source.size()[0]) + int(target.size()[0])
            total = torch.cat([source, target], dim=0)
            total0 = total.unsqueeze(0).expand(int(total.size(0)), int(total.size(0)),
                                               int(total.size(1)))
            total1 = total.unsqueeze(1).expand(int(total.size(0)), int(total.size(0)),
                                               int(total.size(1)))
            L2_distance = ((total0 - total1) ** 2).sum(2)
            bandwidth = torch.sum(L2_distance.data) / (n_samples**2 - n_samples)
            bandwidth /= kernel_mul ** (kernel_num // 2)
            bandwidth_list = [bandwidth * (kernel_mul**i) for i in range(kernel_num)]
            kernel_val = [torch.exp(-L2_distance / bw) for bw in bandwidth_list]
            return sum(kernel_val)

        def mmd(source, target):
            batch_size = int(source.size()[0])
            kernels = gaussian_kernel(source, target)
            XX = kernels[:batch_size, :batch_size]
            YY = kernels[batch_size:, batch_size:]
            XY = kernels[:batch_size, batch_size:]
            YX = kernels[batch_size:, :batch_size]
            return torch.mean(XX) + torch.mean(YY) - torch.mean(XY) - torch.mean(YX)

        features = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
        head = nn.Linear(4, 2)
        copy_weights(features, head)
        optimizer = torch.optim.SGD([{"params": features.parameters()},
                                     {"params": head.parameters(), "lr": 0.05}], lr=0.1)
        xs, xt, y = torch.from_numpy(source), torch.from_numpy(target), torch.from_numpy(labels)
        losses = []
        for _ in range(3):
            fs, ft = features(xs), features(xt)
            loss = F.cross_entropy(head(fs), y) + 0.5 * mmd(fs, ft)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, features, head
    side_by_side(script)


def test_pytorchtools_early_stopping_with_a_checkpoint_file(tmp_path):
    train_x, train_y = DATA.normal(size=(4, 5, 3)), DATA.normal(size=(4, 5, 1))
    valid_x, valid_y = DATA.normal(size=(2, 5, 3)), DATA.normal(size=(2, 5, 1))

    def script(torch, copy_weights):
        nn = torch.nn
        path = str(tmp_path / f"checkpoint_{torch.__name__}.pt")

        class EarlyStopping:
            def __init__(self, patience=7, verbose=False, delta=0, path="checkpoint.pt",
                         trace_func=print):
                self.patience, self.verbose = patience, verbose
                self.counter, self.best_score, self.early_stop = 0, None, False
                self.val_loss_min = np.inf
                self.delta, self.path, self.trace_func = delta, path, trace_func

            def __call__(self, val_loss, model):
                score = -val_loss
                if self.best_score is None:
                    self.best_score = score
                    self.save_checkpoint(val_loss, model)
                elif score < self.best_score + self.delta:
                    self.counter += 1
                    if self.counter >= self.patience:
                        self.early_stop = True
                else:
                    self.best_score = score
                    self.save_checkpoint(val_loss, model)
                    self.counter = 0

            def save_checkpoint(self, val_loss, model):
                torch.save(model.state_dict(), self.path)
                self.val_loss_min = val_loss

        model = nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Dropout(0.0), nn.Linear(6, 1))
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
        criterion = nn.MSELoss()
        early_stopping = EarlyStopping(patience=2, path=path)
        avg_train_losses, avg_valid_losses, stopped_at = [], [], None
        for epoch in range(1, 30):
            train_losses, valid_losses = [], []
            model.train()
            for data, target in zip(train_x, train_y):
                optimizer.zero_grad()
                loss = criterion(model(torch.from_numpy(data)), torch.from_numpy(target))
                loss.backward()
                optimizer.step()
                train_losses.append(loss.item())
            model.eval()
            for data, target in zip(valid_x, valid_y):
                output = model(torch.from_numpy(data))
                valid_losses.append(criterion(output, torch.from_numpy(target)).item())
            avg_train_losses.append(np.average(train_losses))
            avg_valid_losses.append(np.average(valid_losses))
            early_stopping(np.average(valid_losses), model)
            if early_stopping.early_stop:
                stopped_at = epoch
                break
        assert stopped_at is not None and len(avg_valid_losses) == stopped_at
        model.load_state_dict(torch.load(path))
        return (avg_train_losses, avg_valid_losses, stopped_at, early_stopping.val_loss_min,
                model)
    side_by_side(script)
