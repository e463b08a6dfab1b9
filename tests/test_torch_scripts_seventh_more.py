"""The seventh round of PyTorch scripts, more models (see test_torch_scripts_seventh.py
for the method): a physics-informed network whose loss holds derivatives taken with
``torch.autograd.grad(..., grad_outputs=torch.ones_like(u), create_graph=True)``, an
FNet block mixing tokens with ``torch.fft.fft``, a temporal convolutional network of
dilated causal convolutions under ``nn.utils.weight_norm``, domain adaptation through a
gradient-reversal ``autograd.Function``, an advantage actor-critic with an entropy
bonus, and the optimizers' less common flags.

Lines written otherwise than the tutorials write them, by the library's documented
conventions: FNet's ``torch.fft`` mixing is written with real DFT matrices (as it was
written before ``ad.fft`` recorded complex values; both give torch's values), and the
gradient-reversal function returns ``x * 1.0`` and ``-grad_output * alpha`` rather
than ``x.view_as(x)`` and ``grad_output.neg() * alpha`` (an ``autograd.Function``'s
forward and backward receive ndarrays)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(77)


# --- A physics-informed network ------------------------------------------------------

def test_physics_informed_network_for_burgers_equation_with_autograd_grad():
    collocation = DATA.uniform(-1, 1, size=(3, 12, 2))            # (x, t) points
    boundary_x = DATA.uniform(-1, 1, size=(8, 1))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(2, 12), nn.Tanh(), nn.Linear(12, 12), nn.Tanh(),
                              nn.Linear(12, 1))
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
        nu = 0.01 / math.pi
        losses = []

        def residual(x, t):
            u = model(torch.cat([x, t], dim=1))
            u_x, u_t = torch.autograd.grad(u, [x, t], grad_outputs=torch.ones_like(u),
                                           create_graph=True)
            u_xx = torch.autograd.grad(u_x, x, grad_outputs=torch.ones_like(u_x),
                                       create_graph=True)[0]
            return u_t + u * u_x - nu * u_xx

        for i in range(3):
            points = torch.from_numpy(collocation[i])
            x = points[:, :1].clone().requires_grad_(True)
            t = points[:, 1:].clone().requires_grad_(True)
            x0 = torch.from_numpy(boundary_x)
            u0 = model(torch.cat([x0, torch.zeros_like(x0)], dim=1))
            loss_pde = residual(x, t).pow(2).mean()
            loss_ic = (u0 + torch.sin(math.pi * x0)).pow(2).mean()
            loss = loss_pde + loss_ic
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append((loss_pde.item(), loss_ic.item()))
        return losses, model
    side_by_side(script)


# --- An FNet block mixing tokens with the FFT ------------------------------------------

def test_fnet_block_with_fft_token_mixing_and_real_part():
    tokens = DATA.normal(size=(3, 2, 6, 8))
    labels = DATA.integers(0, 2, size=(3, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        def dft_angles(n, dtype):
            k = torch.arange(n, dtype=dtype)
            return 2 * math.pi * torch.outer(k, k) / n

        class FourierMixing(nn.Module):
            """``torch.fft.fft(torch.fft.fft(x, dim=-1), dim=-2).real`` with real DFT
            matrices (complex values never enter autodiff's tape: ``torch.fft`` is
            refused there, naming this spelling)."""

            def forward(self, x):
                seq = dft_angles(x.shape[-2], x.dtype)
                hidden = dft_angles(x.shape[-1], x.dtype)
                return (torch.cos(seq) @ x @ torch.cos(hidden)
                        - torch.sin(seq) @ x @ torch.sin(hidden))

        class FNetBlock(nn.Module):
            def __init__(self, dim, hidden):
                super().__init__()
                self.mixing = FourierMixing()
                self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
                self.ff = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

            def forward(self, x):
                x = self.norm1(x + self.mixing(x))
                return self.norm2(x + self.ff(x))

        class Classifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.block = FNetBlock(8, 16)
                self.head = nn.Linear(8, 2)

            def forward(self, x):
                h = self.block(x)
                angles = dft_angles(h.shape[1], h.dtype)[:h.shape[1] // 2 + 1]
                re, im = angles.cos() @ h, -(angles.sin() @ h)
                spectrum = torch.sqrt(re ** 2 + im ** 2)             # |rfft(h, dim=1)|
                return self.head(h.mean(dim=1) + 0.1 * spectrum.mean(dim=1))

        model = Classifier()
        copy_weights(model)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
        losses = []
        for i in range(3):
            loss = F.cross_entropy(model(torch.from_numpy(tokens[i])),
                                   torch.from_numpy(labels[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            x = torch.from_numpy(tokens[0])
            mixed = model.block.mixing(x).numpy()
        assert np.abs(mixed - np.fft.fft2(tokens[0]).real).max() < 1e-12
        return losses, model
    side_by_side(script)


# --- A temporal convolutional network ---------------------------------------------------

def test_temporal_convolutional_network_with_chomp_dilation_and_weight_norm():
    sequences = DATA.normal(size=(3, 2, 3, 16))
    targets = DATA.normal(size=(3, 2, 1))

    def script(torch, copy_weights):
        nn = torch.nn
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")            # the hook-based weight_norm's notice
            weight_norm = nn.utils.weight_norm

        class Chomp1d(nn.Module):
            def __init__(self, chomp_size):
                super().__init__()
                self.chomp_size = chomp_size

            def forward(self, x):
                return x[:, :, :-self.chomp_size].contiguous()

        class TemporalBlock(nn.Module):
            def __init__(self, n_inputs, n_outputs, kernel_size, dilation):
                super().__init__()
                padding = (kernel_size - 1) * dilation
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self.conv1 = weight_norm(nn.Conv1d(n_inputs, n_outputs, kernel_size,
                                                       padding=padding, dilation=dilation))
                    self.conv2 = weight_norm(nn.Conv1d(n_outputs, n_outputs, kernel_size,
                                                       padding=padding, dilation=dilation))
                self.net = nn.Sequential(self.conv1, Chomp1d(padding), nn.ReLU(), nn.Dropout(0.0),
                                         self.conv2, Chomp1d(padding), nn.ReLU(), nn.Dropout(0.0))
                self.downsample = (nn.Conv1d(n_inputs, n_outputs, 1)
                                   if n_inputs != n_outputs else None)
                self.relu = nn.ReLU()

            def forward(self, x):
                out = self.net(x)
                res = x if self.downsample is None else self.downsample(x)
                return self.relu(out + res)

        class TCN(nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = nn.Sequential(*[TemporalBlock(3 if i == 0 else 4, 4, 3, 2 ** i)
                                              for i in range(3)])
                self.linear = nn.Linear(4, 1)

            def forward(self, x):
                return self.linear(self.blocks(x)[:, :, -1])

        model = TCN()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
        losses = []
        for i in range(3):
            loss = nn.functional.mse_loss(model(torch.from_numpy(sequences[i])),
                                          torch.from_numpy(targets[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model
    side_by_side(script)


# --- Domain adaptation through gradient reversal ---------------------------------------

def test_domain_adversarial_training_with_a_gradient_reversal_function():
    source = DATA.normal(size=(3, 6, 4))
    target = DATA.normal(loc=0.5, size=(3, 6, 4))
    source_labels = DATA.integers(0, 3, size=(3, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class GradReverse(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x, alpha):
                ctx.alpha = alpha
                return x * 1.0          # (forward gets an ndarray here: no view_as)

            @staticmethod
            def backward(ctx, grad_output):
                return -grad_output * ctx.alpha, None        # (an ndarray: no .neg())

        features = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
        classifier = nn.Linear(8, 3)
        discriminator = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))
        copy_weights(features, classifier, discriminator)
        params = [*features.parameters(), *classifier.parameters(), *discriminator.parameters()]
        optimizer = torch.optim.SGD(params, lr=0.05, momentum=0.9)
        losses = []
        for i in range(3):
            p = i / 3
            alpha = 2.0 / (1.0 + np.exp(-10 * p)) - 1
            xs, xt = torch.from_numpy(source[i]), torch.from_numpy(target[i])
            fs, ft = features(xs), features(xt)
            class_loss = F.cross_entropy(classifier(fs), torch.from_numpy(source_labels[i]))
            domain_in = GradReverse.apply(torch.cat([fs, ft]), alpha)
            domain_labels = torch.cat([torch.zeros(6, 1), torch.ones(6, 1)])
            domain_loss = F.binary_cross_entropy_with_logits(discriminator(domain_in),
                                                             domain_labels)
            loss = class_loss + domain_loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append((class_loss.item(), domain_loss.item()))
        return losses, features, classifier, discriminator
    side_by_side(script)


# --- An advantage actor-critic with an entropy bonus -----------------------------------

def test_advantage_actor_critic_with_entropy_bonus_and_shared_body():
    states = DATA.normal(size=(3, 5, 4))
    actions = DATA.integers(0, 3, size=(3, 5))
    rewards = DATA.normal(size=(3, 5))
    dones = (DATA.uniform(size=(3, 5)) < 0.2).astype(np.float64)

    def script(torch, copy_weights):
        nn = torch.nn
        Categorical = torch.distributions.Categorical

        class ActorCritic(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Linear(4, 16), nn.ReLU())
                self.actor = nn.Linear(16, 3)
                self.critic = nn.Linear(16, 1)

            def forward(self, x):
                h = self.body(x)
                return Categorical(logits=self.actor(h)), self.critic(h).squeeze(-1)

        model = ActorCritic()
        copy_weights(model)
        optimizer = torch.optim.RMSprop(model.parameters(), lr=7e-4, alpha=0.99, eps=1e-5)
        gamma, entropy_coef, value_coef = 0.99, 0.01, 0.5
        losses = []
        for i in range(3):
            dist, values = model(torch.from_numpy(states[i]))
            returns, running = [], values[-1].detach()
            for r, d in zip(reversed(rewards[i].tolist()), reversed(dones[i].tolist())):
                running = r + gamma * running * (1.0 - d)
                returns.insert(0, running)
            returns = torch.stack(returns)
            advantages = returns - values
            log_probs = dist.log_prob(torch.from_numpy(actions[i]))
            actor_loss = -(log_probs * advantages.detach()).mean()
            critic_loss = advantages.pow(2).mean()
            entropy = dist.entropy().mean()
            loss = actor_loss + value_coef * critic_loss - entropy_coef * entropy
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            optimizer.step()
            losses.append((actor_loss.item(), critic_loss.item(), entropy.item()))
        return losses, model
    side_by_side(script)


# --- The optimizers' less common flags -------------------------------------------------

def test_optimizers_with_maximize_dampening_decoupled_decay_and_momentum_decay():
    inputs = DATA.normal(size=(4, 6, 3))
    targets = DATA.normal(size=(4, 6, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        models = [nn.Linear(3, 1) for _ in range(6)]
        copy_weights(*models)
        optimizers = [
            torch.optim.SGD(models[0].parameters(), lr=0.05, momentum=0.9, dampening=0.5),
            torch.optim.Adam(models[1].parameters(), lr=0.01, maximize=True),
            torch.optim.RAdam(models[2].parameters(), lr=0.01, weight_decay=0.1,
                              decoupled_weight_decay=True),
            torch.optim.NAdam(models[3].parameters(), lr=0.01, momentum_decay=0.004,
                              decoupled_weight_decay=True, weight_decay=0.05),
            torch.optim.Adagrad(models[4].parameters(), lr=0.1, lr_decay=0.01,
                                initial_accumulator_value=0.1),
            torch.optim.ASGD(models[5].parameters(), lr=0.05, t0=1, lambd=1e-3),
        ]
        losses = []
        for i in range(4):
            x, y = torch.from_numpy(inputs[i]), torch.from_numpy(targets[i])
            step = []
            for k, (model, optimizer) in enumerate(zip(models, optimizers)):
                loss = F.mse_loss(model(x), y)
                objective = -loss if k == 1 else loss          # maximized: the negative
                optimizer.zero_grad()
                objective.backward()
                optimizer.step()
                step.append(loss.item())
            losses.append(step)
        return (losses, *models)
    side_by_side(script)
