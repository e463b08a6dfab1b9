"""The seventh round of PyTorch scripts, likelihoods and losses (see
test_torch_scripts_seventh.py for the method): a CTC-trained recognizer, a mixture
density network by ``torch.logsumexp`` beside ``MixtureSameFamily``, a RealNVP flow of
affine coupling layers with its log-determinant, heteroscedastic regression with
``GaussianNLLLoss`` and count regression with ``PoissonNLLLoss``, learning to rank with
``MarginRankingLoss``, Gaussian-process regression by Cholesky factors, and a
tanh-squashed Gaussian policy with a learned entropy temperature."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(73)


# --- A CTC-trained recognizer ----------------------------------------------------------

def test_ctc_recognizer_with_bidirectional_gru_and_greedy_decoding():
    frames = DATA.normal(size=(3, 9, 2, 4))                  # (T, N, features)
    targets = DATA.integers(1, 5, size=(3, 2, 4))
    target_lengths = np.array([[4, 2], [3, 3], [1, 4]])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class Recognizer(nn.Module):
            def __init__(self, features, hidden, classes):
                super().__init__()
                self.rnn = nn.GRU(features, hidden, bidirectional=True)
                self.fc = nn.Linear(2 * hidden, classes)

            def forward(self, x):
                out, h_n = self.rnn(x)
                return self.fc(out).log_softmax(2), h_n

        model = Recognizer(4, 5, 5)
        copy_weights(model)
        ctc = nn.CTCLoss(blank=0, zero_infinity=True)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        losses = []
        for i in range(3):
            log_probs, h_n = model(torch.from_numpy(frames[i]))
            input_lengths = torch.full(size=(2,), fill_value=9, dtype=torch.long)
            loss = ctc(log_probs, torch.from_numpy(targets[i]), input_lengths,
                       torch.from_numpy(target_lengths[i]))
            flat = torch.cat([torch.from_numpy(targets[i][k, :n])
                              for k, n in enumerate(target_lengths[i])])
            summed = F.ctc_loss(log_probs, flat, input_lengths,
                                torch.from_numpy(target_lengths[i]), reduction="sum")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            h = h_n.view(1, 2, 2, 5)                  # (layers, directions, batch, hidden)
            final = torch.cat([h[-1, 0], h[-1, 1]], dim=1)
            losses.append((loss.item(), summed.item(), final.sum().item()))
        with torch.no_grad():
            log_probs, _ = model(torch.from_numpy(frames[0]))
            best = log_probs.argmax(dim=2).t()                    # (N, T)
            decoded = []
            for path in best.tolist():
                collapsed = [p for k, p in enumerate(path) if k == 0 or p != path[k - 1]]
                decoded.append([p for p in collapsed if p != 0])
        assert all(isinstance(p, int) for row in decoded for p in row)
        return losses, [str(row) for row in decoded], model
    side_by_side(script)


# --- A mixture density network ------------------------------------------------------

def test_mixture_density_network_by_logsumexp_and_mixture_same_family():
    inputs = DATA.uniform(-1, 1, size=(3, 8, 1))
    targets = np.sin(3 * inputs) + 0.1 * DATA.normal(size=(3, 8, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        D = torch.distributions

        class MDN(nn.Module):
            def __init__(self, hidden, components):
                super().__init__()
                self.body = nn.Sequential(nn.Linear(1, hidden), nn.Tanh())
                self.pi = nn.Linear(hidden, components)
                self.mu = nn.Linear(hidden, components)
                self.log_sigma = nn.Linear(hidden, components)

            def forward(self, x):
                h = self.body(x)
                return self.pi(h), self.mu(h), self.log_sigma(h).clamp(-5, 5)

        def mdn_loss(logits, mu, log_sigma, y):
            log_pi = F.log_softmax(logits, dim=-1)
            z = (y - mu) / torch.exp(log_sigma)
            log_normal = -0.5 * z ** 2 - log_sigma - 0.5 * math.log(2 * math.pi)
            return -torch.logsumexp(log_pi + log_normal, dim=-1).mean()

        model = MDN(8, 3)
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        losses = []
        for i in range(3):
            x, y = torch.from_numpy(inputs[i]), torch.from_numpy(targets[i])
            logits, mu, log_sigma = model(x)
            loss = mdn_loss(logits, mu, log_sigma, y)
            mixture = D.MixtureSameFamily(D.Categorical(logits=logits),
                                          D.Normal(mu, log_sigma.exp()))
            by_distribution = -mixture.log_prob(y.squeeze(-1)).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append((loss.item(), by_distribution.item(), mixture.mean.sum().item(),
                           mixture.variance.sum().item()))
        return losses, model
    side_by_side(script)


# --- A RealNVP flow of affine coupling layers ----------------------------------------

def test_realnvp_affine_coupling_flow_with_log_det_and_inverse():
    samples = DATA.normal(size=(3, 16, 2)) @ np.array([[1.0, 0.8], [0.0, 0.4]]) + 0.5

    def script(torch, copy_weights):
        nn = torch.nn

        class Coupling(nn.Module):
            def __init__(self, dim, hidden, mask):
                super().__init__()
                self.register_buffer("mask", mask)
                self.scale = nn.Sequential(nn.Linear(dim, hidden), nn.LeakyReLU(),
                                           nn.Linear(hidden, dim), nn.Tanh())
                self.shift = nn.Sequential(nn.Linear(dim, hidden), nn.LeakyReLU(),
                                           nn.Linear(hidden, dim))

            def forward(self, x):
                x_masked = x * self.mask
                s = self.scale(x_masked) * (1 - self.mask)
                t = self.shift(x_masked) * (1 - self.mask)
                y = x_masked + (1 - self.mask) * (x * torch.exp(s) + t)
                return y, s.sum(dim=1)

            def inverse(self, y):
                y_masked = y * self.mask
                s = self.scale(y_masked) * (1 - self.mask)
                t = self.shift(y_masked) * (1 - self.mask)
                return y_masked + (1 - self.mask) * (y - t) * torch.exp(-s)

        class RealNVP(nn.Module):
            def __init__(self):
                super().__init__()
                masks = [torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])] * 2
                self.layers = nn.ModuleList([Coupling(2, 8, m) for m in masks])
                self.prior = torch.distributions.MultivariateNormal(torch.zeros(2),
                                                                    torch.eye(2))

            def forward(self, x):
                log_det = torch.zeros(x.shape[0])
                for layer in self.layers:
                    x, ld = layer(x)
                    log_det = log_det + ld
                return x, log_det

            def log_prob(self, x):
                z, log_det = self(x)
                return self.prior.log_prob(z) + log_det

            def inverse(self, z):
                for layer in reversed(self.layers):
                    z = layer.inverse(z)
                return z

        flow = RealNVP()
        copy_weights(flow)
        optimizer = torch.optim.Adam([p for p in flow.parameters() if p.requires_grad], lr=5e-3)
        losses = []
        for i in range(3):
            x = torch.from_numpy(samples[i])
            loss = -flow.log_prob(x).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            x = torch.from_numpy(samples[0])
            z, _ = flow(x)
            error = (flow.inverse(z) - x).abs().max().item()
        assert error < 1e-12
        return losses, z, flow
    side_by_side(script)


# --- Heteroscedastic regression and count regression ---------------------------------

def test_gaussian_nll_and_poisson_nll_regressions():
    inputs = DATA.uniform(-2, 2, size=(3, 10, 1))
    targets = inputs * 1.5 + DATA.normal(size=(3, 10, 1)) * (0.2 + np.abs(inputs))
    counts = DATA.poisson(np.exp(0.5 * inputs[..., 0] + 1)).astype(np.float64)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class MeanVariance(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Linear(1, 8), nn.Softplus())
                self.mean = nn.Linear(8, 1)
                self.var = nn.Sequential(nn.Linear(8, 1), nn.Softplus())

            def forward(self, x):
                h = self.body(x)
                return self.mean(h), self.var(h) + 1e-6

        model, rate = MeanVariance(), nn.Linear(1, 1)
        copy_weights(model, rate)
        gaussian = nn.GaussianNLLLoss(full=True)
        poisson = nn.PoissonNLLLoss(log_input=True, full=True)
        optimizer = torch.optim.Adam(list(model.parameters()) + list(rate.parameters()), lr=1e-2)
        losses = []
        for i in range(3):
            x, y = torch.from_numpy(inputs[i]), torch.from_numpy(targets[i])
            mean, var = model(x)
            g = gaussian(mean, y, var)
            g_scalar_var = F.gaussian_nll_loss(mean, y, torch.ones(10, 1) * 0.5, reduction="sum")
            log_rate = rate(x).squeeze(-1)
            p = poisson(log_rate, torch.from_numpy(counts[i]))
            p_rate = F.poisson_nll_loss(log_rate.exp(), torch.from_numpy(counts[i]),
                                        log_input=False, reduction="none")
            loss = g + p
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append((g.item(), g_scalar_var.item(), p.item(), p_rate.sum().item()))
        return losses, model, rate
    side_by_side(script)


# --- Learning to rank with MarginRankingLoss ----------------------------------------

def test_pairwise_ranking_with_margin_ranking_and_soft_margin_losses():
    left = DATA.normal(size=(3, 8, 5))
    right = DATA.normal(size=(3, 8, 5))
    preference = np.where(DATA.uniform(size=(3, 8)) < 0.5, 1.0, -1.0)

    def script(torch, copy_weights):
        nn = torch.nn
        scorer = nn.Sequential(nn.Linear(5, 6), nn.Hardtanh(-2.0, 2.0), nn.Linear(6, 1))
        copy_weights(scorer)
        ranking = nn.MarginRankingLoss(margin=0.5)
        soft_margin = nn.SoftMarginLoss()
        optimizer = torch.optim.Rprop(scorer.parameters(), lr=0.01, etas=(0.4, 1.3),
                                      step_sizes=(1e-4, 1.0))
        losses = []
        for i in range(3):
            s1 = scorer(torch.from_numpy(left[i])).squeeze(1)
            s2 = scorer(torch.from_numpy(right[i])).squeeze(1)
            y = torch.from_numpy(preference[i])
            loss = ranking(s1, s2, y) + soft_margin(s1 - s2, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            agreement = ((s1 - s2).sign() == y).float().mean()
            losses.append((loss.item(), agreement.item()))
        return losses, scorer
    side_by_side(script)


# --- Gaussian-process regression by Cholesky factors ---------------------------------

def test_gaussian_process_marginal_likelihood_with_cholesky():
    x_train = np.sort(DATA.uniform(-3, 3, size=(12, 1)), axis=0)
    y_train = np.sin(x_train[:, 0]) + 0.1 * DATA.normal(size=12)
    x_test = np.linspace(-3, 3, 5)[:, None]

    def script(torch, copy_weights):
        nn = torch.nn

        class GP(nn.Module):
            def __init__(self):
                super().__init__()
                self.log_lengthscale = nn.Parameter(torch.tensor(0.0))
                self.log_outputscale = nn.Parameter(torch.tensor(0.0))
                self.log_noise = nn.Parameter(torch.tensor(-1.0))

            def kernel(self, a, b):
                sq = torch.cdist(a, b).pow(2)
                return self.log_outputscale.exp() * torch.exp(-0.5 * sq
                                                              / self.log_lengthscale.exp() ** 2)

            def nll(self, x, y):
                n = x.shape[0]
                K = self.kernel(x, x) + self.log_noise.exp() * torch.eye(n)
                L = torch.linalg.cholesky(K)
                alpha = torch.cholesky_solve(y.unsqueeze(-1), L)
                return (0.5 * (y.unsqueeze(-1) * alpha).sum()
                        + torch.log(torch.diagonal(L)).sum() + 0.5 * n * math.log(2 * math.pi))

            def predict(self, x, y, x_new):
                K = self.kernel(x, x) + self.log_noise.exp() * torch.eye(x.shape[0])
                L = torch.linalg.cholesky(K)
                K_s = self.kernel(x, x_new)
                v = torch.linalg.solve_triangular(L, K_s, upper=False)
                alpha = torch.cholesky_solve(y.unsqueeze(-1), L)
                mean = (K_s.T @ alpha).squeeze(-1)
                var = self.log_outputscale.exp() - (v * v).sum(0)
                return mean, var

        gp = GP()
        copy_weights(gp)
        optimizer = torch.optim.Adam(gp.parameters(), lr=0.1)
        x, y = torch.from_numpy(x_train), torch.from_numpy(y_train)
        losses = []
        for _ in range(5):
            loss = gp.nll(x, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            K = gp.kernel(x, x) + gp.log_noise.exp() * torch.eye(12)
            sign, logabsdet = torch.linalg.slogdet(K)
            check = 0.5 * y @ torch.linalg.solve(K, y) + 0.5 * logabsdet + 6 * math.log(2 * math.pi)
            mean, var = gp.predict(x, y, torch.from_numpy(x_test))
        assert abs(check.item() - gp.nll(x, y).item()) < 1e-9 and sign.item() == 1.0
        return losses, mean, var, gp
    side_by_side(script)


# --- A tanh-squashed Gaussian policy with a learned temperature ----------------------

def test_tanh_squashed_gaussian_policy_with_learned_entropy_temperature():
    states = DATA.normal(size=(3, 6, 3))
    noise = DATA.normal(size=(3, 6, 2))
    q_values = DATA.normal(size=(3, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        D = torch.distributions

        class Actor(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 4))

            def forward(self, state, eps):
                mean, log_std = self.net(state).chunk(2, dim=-1)
                log_std = torch.clamp(log_std, -20, 2)
                std = log_std.exp()
                normal = D.Normal(mean, std)
                x_t = mean + std * eps                            # rsample with given noise
                y_t = torch.tanh(x_t)
                log_prob = normal.log_prob(x_t)
                log_prob -= torch.log(1 - y_t.pow(2) + 1e-6)
                log_prob = log_prob.sum(1, keepdim=True)
                exact = (normal.log_prob(x_t) - 2 * (math.log(2) - x_t - F.softplus(-2 * x_t)))
                return y_t, log_prob, exact.sum(1, keepdim=True)

        actor = Actor()
        copy_weights(actor)
        log_alpha = torch.zeros(1, requires_grad=True)
        target_entropy = -2.0
        actor_optimizer = torch.optim.Adam(actor.parameters(), lr=3e-3)
        alpha_optimizer = torch.optim.Adam([log_alpha], lr=3e-3)
        losses = []
        for i in range(3):
            state = torch.from_numpy(states[i])
            action, log_pi, exact = actor(state, torch.from_numpy(noise[i]))
            q = torch.from_numpy(q_values[i]).unsqueeze(1) - (action ** 2).sum(1, keepdim=True)
            alpha = log_alpha.exp()
            actor_loss = (alpha.detach() * log_pi - q).mean()
            actor_optimizer.zero_grad()
            actor_loss.backward()
            actor_optimizer.step()
            alpha_loss = -(log_alpha * (log_pi + target_entropy).detach()).mean()
            alpha_optimizer.zero_grad()
            alpha_loss.backward()
            alpha_optimizer.step()
            losses.append((actor_loss.item(), alpha_loss.item(), exact.sum().item()))
        return losses, log_alpha, actor
    side_by_side(script)
