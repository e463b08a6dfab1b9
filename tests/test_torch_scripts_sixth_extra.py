"""The sixth round of PyTorch scripts, last part (see test_torch_scripts_sixth.py for
the method): prototypical networks with ``torch.cdist``, per-group ``LambdaLR`` warmups
chained with ``PolynomialLR``, generalized advantage estimation with ``flip`` and a
reversed loop, patches taken and put back with ``nn.Unfold`` / ``nn.Fold``, activation
checkpointing, an LSTM with ``proj_size`` over ``pack_sequence``, and the multi-class
and multi-label margin losses."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(66)


# --- Prototypical networks with cdist -----------------------------------------------

def test_prototypical_network_with_cdist_to_class_prototypes():
    support = DATA.normal(size=(3, 3, 4, 5))            # episodes, classes, shots, features
    query = DATA.normal(size=(3, 3, 2, 5))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        # (the last layer without bias: distances do not see a shift of every embedding,
        # so its gradient would be rounding alone, which Adam divides by its own size)
        encoder = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 4, bias=False))
        copy_weights(encoder)
        optimizer = torch.optim.Adam(encoder.parameters(), lr=1e-2)
        losses, accuracies = [], []
        for episode in range(3):
            n_way, n_shot = support.shape[1], support.shape[2]
            s = encoder(torch.from_numpy(support[episode]).reshape(n_way * n_shot, -1))
            prototypes = s.view(n_way, n_shot, -1).mean(dim=1)
            q = encoder(torch.from_numpy(query[episode]).reshape(-1, 5))
            dists = torch.cdist(q, prototypes) ** 2
            log_p_y = F.log_softmax(-dists, dim=1)
            target = torch.arange(n_way).repeat_interleave(2)
            loss = F.nll_loss(log_p_y, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            accuracies.append((log_p_y.argmax(dim=1) == target).float().mean().item())
        return losses, accuracies, encoder
    side_by_side(script)


# --- Per-group LambdaLR warmups chained with PolynomialLR ---------------------------

def test_per_group_lambda_lr_chained_with_polynomial_decay():
    inputs = DATA.normal(size=(8, 4, 3))
    targets = DATA.normal(size=(8, 4, 1))

    def script(torch, copy_weights):
        nn = torch.nn
        schedulers = torch.optim.lr_scheduler
        model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1))
        copy_weights(model)
        optimizer = torch.optim.SGD([{"params": model[0].parameters()},
                                     {"params": model[2].parameters(), "lr": 0.02}],
                                    lr=0.1, momentum=0.9)
        warmup = schedulers.LambdaLR(optimizer, lr_lambda=[lambda s: min(1.0, (s + 1) / 3),
                                                           lambda s: 0.95 ** s])
        decay = schedulers.PolynomialLR(optimizer, total_iters=6, power=2.0)
        scheduler = schedulers.ChainedScheduler([warmup, decay])
        losses, lrs = [], []
        for i in range(8):
            loss = nn.functional.mse_loss(model(torch.from_numpy(inputs[i])),
                                          torch.from_numpy(targets[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            lrs.append(scheduler.get_last_lr())
        return losses, lrs, model
    side_by_side(script)


# --- Generalized advantage estimation ------------------------------------------------

def test_generalized_advantage_estimation_with_flip_and_a_reversed_loop():
    states = DATA.normal(size=(6, 3))
    rewards = DATA.normal(size=6)
    dones = np.array([0, 0, 1, 0, 0, 0], dtype=np.float64)

    def script(torch, copy_weights):
        nn = torch.nn
        critic = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 1))
        copy_weights(critic)
        optimizer = torch.optim.Adam(critic.parameters(), lr=1e-2)
        gamma, lam = 0.99, 0.95
        r, d = torch.from_numpy(rewards), torch.from_numpy(dones)
        losses, all_advantages = [], []
        for _ in range(3):
            values = critic(torch.from_numpy(states)).squeeze(-1)
            with torch.no_grad():
                next_values = torch.cat([values[1:], torch.zeros(1)])
                deltas = r + gamma * next_values * (1 - d) - values
                advantages = torch.zeros_like(r)
                gae = 0.0
                for t in reversed(range(len(r))):
                    gae = deltas[t] + gamma * lam * (1 - d[t]) * gae
                    advantages[t] = gae
                returns = advantages + values
                discounted = torch.flip(torch.cumsum(torch.flip(r, dims=[0]), dim=0), dims=[0])
            loss = (returns - values).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            all_advantages.append(advantages)
        return losses, all_advantages, discounted, critic
    side_by_side(script)


# --- Patches with nn.Unfold and nn.Fold ----------------------------------------------

def test_patch_autoencoder_with_unfold_and_fold():
    images = DATA.normal(size=(3, 2, 2, 6, 6))

    def script(torch, copy_weights):
        nn = torch.nn
        unfold = nn.Unfold(kernel_size=3, stride=3)
        fold = nn.Fold(output_size=(6, 6), kernel_size=3, stride=3)
        overlap_unfold = nn.Unfold(kernel_size=2, padding=1, stride=1, dilation=1)
        overlap_fold = nn.Fold(output_size=(6, 6), kernel_size=2, padding=1)
        patch_net = nn.Sequential(nn.Linear(18, 6), nn.GELU(), nn.Linear(6, 18))
        copy_weights(patch_net)
        optimizer = torch.optim.Adam(patch_net.parameters(), lr=1e-2)
        losses = []
        for i in range(3):
            x = torch.from_numpy(images[i])
            patches = unfold(x)                                  # (N, C*3*3, L)
            recon = fold(patch_net(patches.transpose(1, 2)).transpose(1, 2))
            loss = nn.functional.mse_loss(recon, x)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        x = torch.from_numpy(images[0])
        counts = overlap_fold(overlap_unfold(torch.ones_like(x)))
        averaged = overlap_fold(overlap_unfold(x)) / counts
        assert torch.allclose(averaged, x)
        return losses, counts, patch_net
    side_by_side(script)


# --- Activation checkpointing --------------------------------------------------------

def test_activation_checkpointing_gives_the_same_gradients():
    inputs = DATA.normal(size=(3, 4, 5))
    targets = DATA.normal(size=(3, 4, 2))

    def script(torch, copy_weights):
        nn = torch.nn
        checkpoint = torch.utils.checkpoint.checkpoint

        class Deep(nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(5, 5), nn.Tanh())
                                             for _ in range(3)])
                self.head = nn.Linear(5, 2)

            def forward(self, x, use_checkpoint):
                for block in self.blocks:
                    x = checkpoint(block, x, use_reentrant=False) if use_checkpoint else block(x)
                return self.head(x)

        model = Deep()
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for i in range(3):
            x, y = torch.from_numpy(inputs[i]), torch.from_numpy(targets[i])
            optimizer.zero_grad()
            nn.functional.mse_loss(model(x, False), y).backward()
            plain = [p.grad + 0 for p in model.parameters()]
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(x, True), y)
            loss.backward()
            assert all(bool(((p.grad + 0) == g).all()) for p, g in zip(model.parameters(), plain))
            optimizer.step()
            losses.append(loss.item())
        return losses, model
    side_by_side(script)


# --- An LSTM with proj_size over pack_sequence ---------------------------------------

def test_lstm_with_projections_over_pack_sequence():
    lengths = [5, 3, 2]
    sequences = [DATA.normal(size=(3, n, 4)) for n in lengths]
    targets = DATA.normal(size=(3, 3, 2))

    def script(torch, copy_weights):
        nn = torch.nn
        rnn_utils = nn.utils.rnn
        lstm = nn.LSTM(input_size=4, hidden_size=6, proj_size=2, num_layers=2)
        copy_weights(lstm)
        optimizer = torch.optim.Adam(lstm.parameters(), lr=1e-2)
        losses = []
        for i in range(3):
            packed = rnn_utils.pack_sequence([torch.from_numpy(s[i]) for s in sequences])
            output, (h_n, c_n) = lstm(packed)
            assert h_n.shape == (2, 3, 2) and c_n.shape == (2, 3, 6)
            padded, lens = rnn_utils.pad_packed_sequence(output)
            loss = nn.functional.mse_loss(h_n[-1], torch.from_numpy(targets[i])) \
                + padded.pow(2).sum() / lens.sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, lstm
    side_by_side(script)


# --- Multi-class and multi-label margin losses ---------------------------------------

def test_multi_margin_and_multi_label_soft_margin_losses():
    inputs = DATA.normal(size=(3, 5, 4))
    classes = DATA.integers(0, 3, size=(3, 5))
    labels = (DATA.uniform(size=(3, 5, 3)) < 0.4).astype(np.float64)

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(4, 6), nn.LeakyReLU(0.1), nn.Linear(6, 3))
        copy_weights(model)
        multi_margin = nn.MultiMarginLoss(p=2, margin=0.5, weight=torch.tensor([1.0, 2.0, 0.5]))
        soft_margin = nn.MultiLabelSoftMarginLoss(weight=torch.tensor([0.5, 1.0, 1.5]))
        optimizer = torch.optim.Adamax(model.parameters(), lr=0.02)
        losses = []
        for i in range(3):
            out = model(torch.from_numpy(inputs[i]))
            a = multi_margin(out, torch.from_numpy(classes[i]))
            b = soft_margin(out, torch.from_numpy(labels[i]))
            optimizer.zero_grad()
            (a + b).backward()
            optimizer.step()
            losses.append((a.item(), b.item()))
        return losses, model
    side_by_side(script)
