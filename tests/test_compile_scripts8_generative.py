"""Generative training scripts (as in test_torch_scripts*.py) compiled as steps and
compared with their eager twins over 20 calls (``compile_scripts8.py``): a GAN with
two optimizers, detach and a requires_grad toggle, a DCGAN, a WGAN with weight
clipping, a WGAN-GP gradient penalty through ``autograd.grad(create_graph=True)``, VAEs
(noise passed in, ``randn_like`` from the default generator, ``distributions.Normal``
with ``kl_divergence``), a conditional VAE over one-hot labels, a RealNVP affine
coupling flow and a planar flow, and a mixture density network."""

from __future__ import annotations

import math

import pytest

from autodiff.compile import TraceError
from compile_scripts8 import F, compiled_like_eager, draws, nn, torch


def _gan():
    generator = nn.Sequential(nn.Linear(3, 8), nn.LeakyReLU(0.2), nn.Linear(8, 4))
    discriminator = nn.Sequential(nn.Linear(4, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    return generator, discriminator


def test_gan_with_two_optimizers_detach_and_a_requires_grad_toggle():
    def make():
        generator, discriminator = _gan()
        opt_g = torch.optim.Adam(generator.parameters(), lr=2e-3, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-3, betas=(0.5, 0.999))

        def step(real, z):
            ones, zeros = torch.ones(real.shape[0], 1), torch.zeros(real.shape[0], 1)
            fake = generator(z)
            for p in discriminator.parameters():
                p.requires_grad_(True)
            opt_d.zero_grad()
            loss_d = (F.binary_cross_entropy_with_logits(discriminator(real), ones)
                      + F.binary_cross_entropy_with_logits(discriminator(fake.detach()), zeros))
            loss_d.backward()
            opt_d.step()
            for p in discriminator.parameters():
                p.requires_grad_(False)
            opt_g.zero_grad()
            loss_g = F.binary_cross_entropy_with_logits(discriminator(fake), ones)
            loss_g.backward()
            opt_g.step()
            return loss_d, loss_g
        return step, {"generator": generator, "discriminator": discriminator,
                      "opt_g": opt_g, "opt_d": opt_d}
    compiled_like_eager(make, draws(41, (6, 4), (6, 3)))


def test_dcgan_with_transposed_convolutions_batchnorm_and_bce():
    def make():
        generator = nn.Sequential(nn.ConvTranspose2d(3, 4, 4, 1, 0, bias=False),
                                  nn.BatchNorm2d(4), nn.ReLU(True),
                                  nn.ConvTranspose2d(4, 1, 4, 2, 1, bias=False), nn.Tanh())
        discriminator = nn.Sequential(nn.Conv2d(1, 4, 4, 2, 1, bias=False),
                                      nn.LeakyReLU(0.2, inplace=True),
                                      nn.Conv2d(4, 1, 4, 1, 0, bias=False), nn.Sigmoid())
        criterion = nn.BCELoss()
        opt_g = torch.optim.Adam(generator.parameters(), lr=2e-3, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-3, betas=(0.5, 0.999))

        def step(real, noise):
            b = real.size(0)
            label = torch.full((b,), 1.0)
            discriminator.zero_grad()
            error_real = criterion(discriminator(real).view(-1), label)
            error_real.backward()
            fake = generator(noise)
            label.fill_(0.0)
            error_fake = criterion(discriminator(fake.detach()).view(-1), label)
            error_fake.backward()
            opt_d.step()
            generator.zero_grad()
            label.fill_(1.0)
            error_g = criterion(discriminator(fake).view(-1), label)
            error_g.backward()
            opt_g.step()
            return (error_real + error_fake).detach(), error_g
        return step, {"generator": generator, "discriminator": discriminator,
                      "opt_g": opt_g, "opt_d": opt_d}
    compiled_like_eager(make, draws(42, (3, 1, 8, 8), (3, 3, 1, 1)))


def test_wgan_with_weight_clipping_several_critic_steps_and_rmsprop():
    def make():
        generator, critic = _gan()
        opt_g = torch.optim.RMSprop(generator.parameters(), lr=5e-3)
        opt_c = torch.optim.RMSprop(critic.parameters(), lr=5e-3)

        def step(real, z):
            for _ in range(3):
                opt_c.zero_grad()
                loss_c = -(critic(real).mean() - critic(generator(z).detach()).mean())
                loss_c.backward()
                opt_c.step()
                with torch.no_grad():
                    for p in critic.parameters():
                        p.clamp_(-0.1, 0.1)
            opt_g.zero_grad()
            loss_g = -critic(generator(z)).mean()
            loss_g.backward()
            opt_g.step()
            return loss_c, loss_g
        return step, {"generator": generator, "critic": critic, "opt_g": opt_g,
                      "opt_c": opt_c}
    compiled_like_eager(make, draws(43, (6, 4), (6, 3)))


def test_wgan_gp_gradient_penalty_through_autograd_grad_is_refused_at_the_trace():
    # (a replay cannot run autograd.grad's second backward: refused, naming the line)
    def make():
        generator, critic = _gan()
        opt_g = torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.0, 0.9))
        opt_c = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.0, 0.9))

        def step(real, z, alpha):
            fake = generator(z)
            mixed = (alpha * real + (1 - alpha) * fake.detach()).requires_grad_(True)
            grads, = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
            penalty = ((grads.norm(2, dim=1) - 1) ** 2).mean()
            opt_c.zero_grad()
            loss_c = critic(fake.detach()).mean() - critic(real).mean() + 10 * penalty
            loss_c.backward()
            opt_c.step()
            opt_g.zero_grad()
            loss_g = -critic(fake).mean()
            loss_g.backward()
            opt_g.step()
            return loss_c, loss_g, penalty
        return step, {"generator": generator, "critic": critic, "opt_g": opt_g,
                      "opt_c": opt_c}
    step, things = make()
    (real, z, alpha), = draws(44, (6, 4), (6, 3), ("uniform", (6, 1)), n=1)
    with pytest.raises(TraceError, match=r"ad.autograd.grad is called at "
                                         r"test_compile_scripts8_generative.py:\d+ inside"):
        torch.compile(step)(real, z, alpha)


class VAE(nn.Module):
    def __init__(self, features=10, latent=2, condition=0):
        super().__init__()
        self.fc1 = nn.Linear(features + condition, 8)
        self.fc21, self.fc22 = nn.Linear(8, latent), nn.Linear(8, latent)
        self.fc3, self.fc4 = nn.Linear(latent + condition, 8), nn.Linear(8, features)

    def encode(self, x):
        h = F.relu(self.fc1(x))
        return self.fc21(h), self.fc22(h)

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))


def _vae_loss(recon, x, mu, logvar):
    bce = F.binary_cross_entropy(recon, x, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def test_vae_with_reparameterization_noise_passed_in():
    def make():
        model = VAE()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

        def step(x, eps):
            mu, logvar = model.encode(x)
            z = mu + eps * torch.exp(0.5 * logvar)
            loss = _vae_loss(model.decode(z), x, mu, logvar)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss.detach() / x.shape[0]
        return step, {"model": model, "optimizer": optimizer}
    compiled_like_eager(make, draws(45, ("bits", (5, 10)), (5, 2)))


def test_vae_with_randn_like_from_the_default_generator():
    def make():
        model = VAE()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

        def step(x):
            mu, logvar = model.encode(x)
            std = torch.exp(0.5 * logvar)
            z = mu + torch.randn_like(std) * std
            loss = _vae_loss(model.decode(z), x, mu, logvar)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"model": model, "optimizer": optimizer}
    compiled_like_eager(make, draws(46, ("bits", (5, 10))), seed=3)


def test_vae_with_normal_rsample_bernoulli_log_prob_and_kl_divergence():
    D = torch.distributions

    def make():
        model = VAE()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

        def step(x):
            mu, logvar = model.encode(x)
            posterior = D.Normal(mu, torch.exp(0.5 * logvar))
            z = posterior.rsample()
            likelihood = D.Bernoulli(probs=model.decode(z).clamp(1e-6, 1 - 1e-6))
            prior = D.Normal(torch.zeros_like(mu), torch.ones_like(mu))
            elbo = likelihood.log_prob(x).sum(1) - D.kl_divergence(posterior, prior).sum(1)
            loss = -elbo.mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"model": model, "optimizer": optimizer}
    compiled_like_eager(make, draws(47, ("bits", (5, 10))), seed=4)


def test_conditional_vae_with_one_hot_labels_and_cat():
    def make():
        model = VAE(condition=3)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

        def step(x, labels, eps):
            c = F.one_hot(labels, 3).float()
            mu, logvar = model.encode(torch.cat([x, c], 1))
            z = mu + eps * torch.exp(0.5 * logvar)
            loss = _vae_loss(model.decode(torch.cat([z, c], 1)), x, mu, logvar)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"model": model, "optimizer": optimizer}
    compiled_like_eager(make, draws(48, ("bits", (5, 10)), ("int", 3, (5,)), (5, 2)))


class AffineCoupling(nn.Module):
    def __init__(self, dim, flip):
        super().__init__()
        self.flip = flip
        self.net = nn.Sequential(nn.Linear(dim // 2, 8), nn.Tanh(), nn.Linear(8, dim))

    def forward(self, x):
        a, b = x.chunk(2, dim=1)
        if self.flip:
            a, b = b, a
        log_s, t = self.net(a).chunk(2, dim=1)
        log_s = torch.tanh(log_s)
        b = b * torch.exp(log_s) + t
        out = torch.cat([b, a] if self.flip else [a, b], dim=1)
        return out, log_s.sum(1)


def test_realnvp_affine_coupling_flow_with_log_det_and_standard_normal_prior():
    def make():
        layers = nn.ModuleList([AffineCoupling(4, flip=k % 2 == 1) for k in range(4)])
        optimizer = torch.optim.Adam(layers.parameters(), lr=5e-3, weight_decay=1e-4)

        def step(x):
            log_det = torch.zeros(x.shape[0])
            for layer in layers:
                x, ld = layer(x)
                log_det = log_det + ld
            log_prior = -0.5 * (x ** 2).sum(1) - 2 * math.log(2 * math.pi)
            loss = -(log_prior + log_det).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"layers": layers, "optimizer": optimizer}
    compiled_like_eager(make, draws(49, (8, 4)))


def test_planar_flow_variational_inference_with_softplus_constraint():
    def make():
        class Planar(nn.Module):
            def __init__(self, dim):
                super().__init__()
                self.u = nn.Parameter(torch.randn(dim) * 0.1)
                self.w = nn.Parameter(torch.randn(dim) * 0.1)
                self.b = nn.Parameter(torch.zeros(1))

            def forward(self, z):
                wu = (self.w * self.u).sum()
                u_hat = self.u + (F.softplus(wu) - 1 - wu) * self.w / (self.w ** 2).sum()
                lin = z @ self.w + self.b
                psi = (1 - torch.tanh(lin) ** 2).unsqueeze(1) * self.w
                log_det = torch.log((1 + psi @ u_hat).abs() + 1e-8)
                return z + u_hat * torch.tanh(lin).unsqueeze(1), log_det

        flows = nn.ModuleList([Planar(2) for _ in range(3)])
        optimizer = torch.optim.Adam(flows.parameters(), lr=1e-2)

        def step(z0):
            z, log_det = z0, 0
            for flow in flows:
                z, ld = flow(z)
                log_det = log_det + ld
            energy = 0.5 * ((torch.sqrt((z ** 2).sum(1)) - 2) / 0.4) ** 2
            loss = (energy - log_det).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"flows": flows, "optimizer": optimizer}
    compiled_like_eager(make, draws(50, (16, 2)))


def test_mixture_density_network_by_logsumexp():
    def make():
        model = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 9))
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

        def step(x, y):
            logits, mu, log_sigma = model(x).chunk(3, dim=1)
            log_pi = F.log_softmax(logits, dim=1)
            log_normal = (-0.5 * ((y - mu) / log_sigma.exp()) ** 2 - log_sigma
                          - 0.5 * math.log(2 * math.pi))
            loss = -torch.logsumexp(log_pi + log_normal, dim=1).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"model": model, "optimizer": optimizer}
    compiled_like_eager(make, draws(51, (10, 1), (10, 1)))
