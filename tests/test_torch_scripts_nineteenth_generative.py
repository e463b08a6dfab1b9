"""The nineteenth round's generative and probabilistic scripts (see
test_torch_scripts_nineteenth.py for how they run): a DDPM training step (a linear beta
schedule, ``torch.cumprod`` of the alphas, per-sample timesteps picked by indexing and
``view(-1, 1)``, a sinusoidal time embedding) and its ancestral sampler under
``torch.no_grad``, conditional flow matching (straight paths, the velocity regressed,
then Euler steps), an energy-based model trained by contrastive divergence with
Langevin sampling (``torch.autograd.grad`` of the energy with respect to the samples,
``requires_grad_`` on a detached copy), sliced score matching (a Hutchinson-style
projection of the score's Jacobian by ``autograd.grad(create_graph=True)``), Bayes by
backprop (a ``softplus`` scale, the reparameterised weight, the KL to the prior by
``torch.distributions.kl_divergence`` of two ``Normal``s), a conditional neural process
(a mean-pooled context encoding, a ``Normal`` predictive's ``log_prob``) and BYOL
(online and target networks, the target moved by an exponential moving average under
``no_grad`` with ``mul_``/``add_``, the loss by ``F.normalize`` and ``detach``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1921)


def test_ddpm_training_step_and_ancestral_sampling():
    x0s = DATA.normal(size=(4, 2)) * 0.5 + 1.0
    noises = DATA.normal(size=(3, 4, 2))
    steps = DATA.integers(0, 10, size=(3, 4))
    sampling_noise = DATA.normal(size=(10, 3, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        T = 10
        betas = torch.linspace(1e-4, 0.2, T)
        alphas = 1.0 - betas
        alphas_cumprod = torch.cumprod(alphas, dim=0)

        def timestep_embedding(t, dim=4):
            half = dim // 2
            freqs = torch.exp(-math.log(100.0) * torch.arange(half) / half)
            args = t.float().view(-1, 1) * freqs.view(1, -1)
            return torch.cat([torch.sin(args), torch.cos(args)], dim=-1)

        class Denoiser(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(6, 16), nn.SiLU(), nn.Linear(16, 2))

            def forward(self, x, t):
                return self.net(torch.cat([x, timestep_embedding(t)], dim=-1))

        model = Denoiser()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        x0 = torch.from_numpy(x0s)
        losses = []
        for noise, t in zip(torch.from_numpy(noises), torch.from_numpy(steps)):
            a_bar = alphas_cumprod[t].view(-1, 1)
            x_t = a_bar.sqrt() * x0 + (1 - a_bar).sqrt() * noise
            loss = F.mse_loss(model(x_t, t), noise)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())

        with torch.no_grad():
            x = torch.from_numpy(sampling_noise[0])
            for i in reversed(range(T)):
                t = torch.full((x.shape[0],), i, dtype=torch.long)
                eps = model(x, t)
                mean = (x - betas[i] / (1 - alphas_cumprod[i]).sqrt() * eps) / alphas[i].sqrt()
                if i > 0:
                    x = mean + betas[i].sqrt() * torch.from_numpy(sampling_noise[i])
                else:
                    x = mean
        return losses, x
    side_by_side(script)


def test_conditional_flow_matching_and_euler_sampling():
    data = DATA.normal(size=(3, 8, 2)) * 0.3 + np.array([2.0, -1.0])
    sources = DATA.normal(size=(3, 8, 2))
    times = DATA.uniform(size=(3, 8, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        velocity = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 2))
        copy_weights(velocity)
        optimizer = torch.optim.Adam(velocity.parameters(), lr=1e-2)
        losses = []
        for x1, x0, t in zip(torch.from_numpy(data), torch.from_numpy(sources),
                             torch.from_numpy(times)):
            x_t = (1 - t) * x0 + t * x1
            target = x1 - x0
            loss = F.mse_loss(velocity(torch.cat([x_t, t], dim=-1)), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())

        @torch.no_grad()
        def sample(x, n_steps=5):
            dt = 1.0 / n_steps
            for k in range(n_steps):
                t = torch.full((x.shape[0], 1), k * dt)
                x = x + dt * velocity(torch.cat([x, t], dim=-1))
            return x
        return losses, sample(torch.from_numpy(sources[0]))
    side_by_side(script)


def test_energy_based_model_with_langevin_sampling():
    data = DATA.normal(size=(2, 6, 2)) + 1.0
    starts = DATA.uniform(-2, 2, size=(2, 6, 2))
    langevin_noise = DATA.normal(size=(2, 5, 6, 2))

    def script(torch, copy_weights):
        nn = torch.nn
        energy = nn.Sequential(nn.Linear(2, 12), nn.SiLU(), nn.Linear(12, 1))
        copy_weights(energy)
        optimizer = torch.optim.Adam(energy.parameters(), lr=1e-2)

        def langevin(x, noise, step_size=0.05):
            x = x.detach().clone().requires_grad_(True)
            for k in range(noise.shape[0]):
                grad_x, = torch.autograd.grad(energy(x).sum(), x)
                x = x - step_size * grad_x + math.sqrt(2 * step_size) * noise[k]
                x = x.detach().requires_grad_(True)
            return x.detach()

        losses = []
        for real, start, noise in zip(torch.from_numpy(data), torch.from_numpy(starts),
                                      torch.from_numpy(langevin_noise)):
            fake = langevin(start, noise)
            loss = energy(real).mean() - energy(fake).mean() \
                + 0.1 * (energy(real) ** 2 + energy(fake) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, fake, energy
    side_by_side(script)


def test_sliced_score_matching_with_random_projections():
    data = DATA.normal(size=(3, 5, 2)) * np.array([1.0, 0.5])
    projections = DATA.normal(size=(3, 5, 2))

    def script(torch, copy_weights):
        nn = torch.nn
        score = nn.Sequential(nn.Linear(2, 10), nn.Softplus(), nn.Linear(10, 2))
        copy_weights(score)
        optimizer = torch.optim.SGD(score.parameters(), lr=0.05)
        losses = []
        for x, v in zip(torch.from_numpy(data), torch.from_numpy(projections)):
            x = x.requires_grad_(True)
            s = score(x)
            sv = torch.sum(s * v)
            grad_sv, = torch.autograd.grad(sv, x, create_graph=True)
            loss_1 = 0.5 * torch.sum(s * v, dim=-1) ** 2
            loss_2 = torch.sum(v * grad_sv, dim=-1)
            loss = (loss_1 + loss_2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, score
    side_by_side(script)


def test_bayes_by_backprop_with_a_kl_to_the_prior():
    xs = DATA.normal(size=(10, 3))
    ys = xs @ np.array([[1.0], [-2.0], [0.5]]) + 0.1 * DATA.normal(size=(10, 1))
    eps = DATA.normal(size=(4, 2, 3, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        D = torch.distributions

        class BayesLinear(nn.Module):
            def __init__(self, n_in, n_out):
                super().__init__()
                self.mu = nn.Parameter(torch.zeros(n_in, n_out))
                self.rho = nn.Parameter(torch.full((n_in, n_out), -3.0))
                self.prior = D.Normal(torch.zeros(n_in, n_out), torch.ones(n_in, n_out))

            def forward(self, x, epsilon):
                sigma = F.softplus(self.rho)
                weight = self.mu + sigma * epsilon
                self.kl = D.kl_divergence(D.Normal(self.mu, sigma), self.prior).sum()
                return x @ weight

        layer = BayesLinear(3, 1)
        copy_weights(layer)
        optimizer = torch.optim.Adam(layer.parameters(), lr=0.05)
        x, y = torch.from_numpy(xs), torch.from_numpy(ys)
        losses = []
        for step_eps in torch.from_numpy(eps):
            optimizer.zero_grad()
            nll = sum(F.mse_loss(layer(x, e), y, reduction="sum") for e in step_eps) / 2
            loss = nll + layer.kl / x.shape[0]
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, layer
    side_by_side(script)


def test_conditional_neural_process_predictive_log_likelihood():
    functions = [(a, p) for a, p in DATA.uniform(0.5, 2, size=(3, 2))]
    grid = np.linspace(-2, 2, 9)[:, None]

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class CNP(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8))
                self.decoder = nn.Sequential(nn.Linear(9, 8), nn.ReLU(), nn.Linear(8, 2))

            def forward(self, x_context, y_context, x_target):
                r = self.encoder(torch.cat([x_context, y_context], dim=-1)).mean(dim=0)
                r = r.expand(x_target.shape[0], -1)
                out = self.decoder(torch.cat([r, x_target], dim=-1))
                mu, log_sigma = out.chunk(2, dim=-1)
                sigma = 0.1 + 0.9 * F.softplus(log_sigma)
                return torch.distributions.Normal(mu, sigma)

        model = CNP()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
        x = torch.from_numpy(grid)
        losses = []
        for amplitude, phase in functions:
            y = amplitude * torch.sin(x + phase)
            dist = model(x[::2], y[::2], x)
            loss = -dist.log_prob(y).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, dist.mean, dist.stddev
    side_by_side(script)


def test_byol_with_an_ema_target_network():
    views = DATA.normal(size=(3, 2, 6, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        import copy

        def mlp(n_in, n_out):
            return nn.Sequential(nn.Linear(n_in, 8), nn.BatchNorm1d(8), nn.ReLU(),
                                 nn.Linear(8, n_out))

        online = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), mlp(6, 3))
        predictor = mlp(3, 3)
        copy_weights(online, predictor)
        target = copy.deepcopy(online)
        for p in target.parameters():
            p.requires_grad = False
        optimizer = torch.optim.SGD(list(online.parameters()) + list(predictor.parameters()),
                                    lr=0.05)

        def regression_loss(p, z):
            p, z = F.normalize(p, dim=-1), F.normalize(z, dim=-1)
            return 2 - 2 * (p * z).sum(dim=-1)

        losses = []
        tau = 0.9
        for v1, v2 in torch.from_numpy(views):
            p1, p2 = predictor(online(v1)), predictor(online(v2))
            with torch.no_grad():
                z1, z2 = target(v1), target(v2)
            loss = (regression_loss(p1, z2.detach()) + regression_loss(p2, z1.detach())).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                for online_p, target_p in zip(online.parameters(), target.parameters()):
                    target_p.mul_(tau).add_(online_p, alpha=1 - tau)
            losses.append(loss.item())
        return losses, online, target
    side_by_side(script)
