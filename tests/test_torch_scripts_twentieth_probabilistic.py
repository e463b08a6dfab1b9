"""The twentieth round's probabilistic scripts (see test_torch_scripts_twentieth.py for
how they run): a Gaussian copula (uniform margins to normal scores by
``torch.erfinv``, the correlation by a ``MultivariateNormal(scale_tril=)`` built from
``tril`` and ``softplus``), a complex-valued layer from real and imaginary parameters
(``torch.complex``, a modReLU, ``.abs()`` and ``.angle()``), a KL divergence against a
label distribution with zeros by ``torch.xlogy``, masked-token filling by
``masked_scatter`` (a learned mask token), a robust regression that rescales residuals
by their median absolute deviation (``torch.median(dim=)``), Beta regression of
proportions (``Beta.log_prob``, ``mean``, ``entropy``, ``kl_divergence`` of two
``Beta``s), a Gamma likelihood for positive targets, DeepAR's negative-binomial
likelihood for counts (``NegativeBinomial(total_count, logits=)``), a ``HalfNormal``
prior on a scale, a ``Binomial`` likelihood of successes out of trials, a mixture
density network through ``MixtureSameFamily`` and a hurdle model's
``torch.where``."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import adam_steps, side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2022)


# Adam steps on a loss closure: the losses
_fit = partial(adam_steps, steps=3, lr=0.02)


def test_gaussian_copula_with_erfinv_normal_scores():
    uniforms = DATA.uniform(0.02, 0.98, size=(15, 3))

    def script(torch, copy_weights):
        D = torch.distributions
        u = torch.from_numpy(uniforms)
        z = torch.erfinv(2 * u - 1) * 2 ** 0.5
        raw = torch.zeros(3, 3, requires_grad=True)
        optimizer = torch.optim.Adam([raw], lr=0.05)
        history = []
        for _ in range(4):
            L = torch.tril(raw, diagonal=-1) + torch.diag(torch.nn.functional.softplus(
                torch.diagonal(raw)) + 0.5)
            copula = D.MultivariateNormal(torch.zeros(3), scale_tril=L)
            loss = -(copula.log_prob(z) - D.Normal(0.0, 1.0).log_prob(z).sum(-1)).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append(loss.item())
        return history, z, copula.covariance_matrix.detach()
    side_by_side(script)


def test_complex_layer_from_real_and_imaginary_parameters():
    signals = DATA.normal(size=(6, 4)) + 1j * DATA.normal(size=(6, 4))
    targets = DATA.uniform(size=(6, 3))

    def script(torch, copy_weights):
        nn = torch.nn

        class ComplexLinear(nn.Module):
            def __init__(self, n_in, n_out):
                super().__init__()
                self.real = nn.Linear(n_in, n_out, bias=False)
                self.imag = nn.Linear(n_in, n_out, bias=False)
                self.threshold = nn.Parameter(torch.full((n_out,), -0.1))

            def forward(self, z):
                re = self.real(z.real) - self.imag(z.imag)
                im = self.real(z.imag) + self.imag(z.real)
                out = torch.complex(re, im)
                magnitude = out.abs()
                scale = torch.relu(magnitude + self.threshold) / (magnitude + 1e-9)
                return out * scale

        model = ComplexLinear(4, 3)
        copy_weights(model)
        z = torch.from_numpy(signals)
        y = torch.from_numpy(targets)
        losses = _fit(torch, model, lambda: ((model(z).abs() - y) ** 2).mean())
        out = model(z).detach()
        return losses, out.abs(), out.angle(), model
    side_by_side(script)


def test_kl_divergence_against_labels_with_zeros_by_xlogy():
    inputs = DATA.normal(size=(8, 5))
    soft_labels = DATA.dirichlet(np.ones(4), size=8)
    soft_labels[soft_labels < 0.15] = 0.0
    soft_labels /= soft_labels.sum(axis=1, keepdims=True)

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Linear(5, 4)
        copy_weights(model)
        x, p = torch.from_numpy(inputs), torch.from_numpy(soft_labels)

        def loss_fn():
            log_q = torch.log_softmax(model(x), dim=-1)
            return (torch.xlogy(p, p) - p * log_q).sum(dim=-1).mean()

        losses = _fit(torch, model, loss_fn)
        reference = nn.functional.kl_div(torch.log_softmax(model(x), -1), p,
                                         reduction="batchmean")
        return losses, reference.detach(), model
    side_by_side(script)


def test_masked_tokens_filled_by_masked_scatter():
    tokens = DATA.normal(size=(3, 5, 4))
    masked = DATA.uniform(size=(3, 5)) < 0.4

    def script(torch, copy_weights):
        nn = torch.nn
        mask_token = nn.Parameter(torch.from_numpy(DATA_MASK_TOKEN.copy()))
        decoder = nn.Linear(4, 4)
        copy_weights(decoder)
        optimizer = torch.optim.Adam([mask_token, *decoder.parameters()], lr=0.05)
        x = torch.from_numpy(tokens)
        mask = torch.from_numpy(masked)
        losses = []
        for _ in range(3):
            n = int(mask.sum())
            filled = x.masked_scatter(mask.unsqueeze(-1), mask_token.expand(n, 4))
            loss = ((decoder(filled) - x) ** 2)[mask].mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, filled.detach(), mask_token, decoder
    side_by_side(script)


DATA_MASK_TOKEN = DATA.normal(size=4)


def test_robust_regression_scaled_by_median_absolute_deviation():
    inputs = DATA.normal(size=(21, 3))
    targets = inputs @ np.array([1.0, -1.0, 2.0]) + 0.1 * DATA.normal(size=21)
    targets[::5] += 8.0

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Linear(3, 1)
        copy_weights(model)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)

        def loss_fn():
            r = model(x).squeeze(-1) - y
            med = torch.median(r)
            mad = torch.median((r - med).abs()).detach() * 1.4826
            return nn.functional.huber_loss(r / mad, torch.zeros_like(r), delta=1.345)

        losses = _fit(torch, model, loss_fn, lr=0.05)
        residuals = (model(x).squeeze(-1) - y).detach().view(3, 7)
        values, indices = torch.median(residuals, dim=1)
        return losses, values, indices, model
    side_by_side(script)


def test_beta_regression_of_proportions():
    inputs = DATA.normal(size=(12, 3))
    proportions = DATA.beta(2.0, 5.0, size=12)

    def script(torch, copy_weights):
        nn, F, D = torch.nn, torch.nn.functional, torch.distributions
        model = nn.Linear(3, 2)
        copy_weights(model)
        x, y = torch.from_numpy(inputs), torch.from_numpy(proportions)

        def predictive():
            a, b = F.softplus(model(x)).unbind(-1)
            return D.Beta(a + 1e-3, b + 1e-3)

        def loss_fn():
            dist = predictive()
            prior = D.Beta(torch.tensor(2.0), torch.tensor(2.0))
            return -dist.log_prob(y).mean() + 0.1 * D.kl_divergence(dist, prior).mean()

        losses = _fit(torch, model, loss_fn)
        dist = predictive()
        return losses, dist.mean.detach(), dist.entropy().detach(), dist.variance.detach()
    side_by_side(script)


def test_gamma_likelihood_for_positive_targets():
    inputs = DATA.normal(size=(14, 2))
    rainfall = DATA.gamma(2.0, 1.5, size=14)

    def script(torch, copy_weights):
        nn, F, D = torch.nn, torch.nn.functional, torch.distributions
        model = nn.Sequential(nn.Linear(2, 6), nn.ELU(), nn.Linear(6, 2))
        copy_weights(model)
        x, y = torch.from_numpy(inputs), torch.from_numpy(rainfall)

        def loss_fn():
            concentration, rate = F.softplus(model(x)).unbind(-1)
            return -D.Gamma(concentration, rate).log_prob(y).mean()

        losses = _fit(torch, model, loss_fn)
        return losses, model
    side_by_side(script)


def test_deepar_negative_binomial_likelihood_for_counts():
    series = DATA.normal(size=(4, 6, 2))
    counts = DATA.poisson(3.0, size=(4, 6)).astype(np.float64)

    def script(torch, copy_weights):
        nn, F, D = torch.nn, torch.nn.functional, torch.distributions
        rnn = nn.GRU(2, 5, batch_first=True)
        head = nn.Linear(5, 2)
        copy_weights(rnn, head)
        x, y = torch.from_numpy(series), torch.from_numpy(counts)
        params = [*rnn.parameters(), *head.parameters()]
        optimizer = torch.optim.Adam(params, lr=0.02)
        history = []
        for _ in range(3):
            h, _ = rnn(x)
            raw_count, logits = head(h).unbind(-1)
            dist = D.NegativeBinomial(total_count=F.softplus(raw_count), logits=logits)
            loss = -dist.log_prob(y).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), dist.mean.detach()))
        return history, rnn, head
    side_by_side(script)


def test_half_normal_prior_and_binomial_likelihood():
    trials = DATA.integers(5, 15, size=10).astype(np.float64)
    successes = np.floor(trials * DATA.uniform(0.2, 0.8, size=10))
    groups = DATA.normal(size=(10, 2))

    def script(torch, copy_weights):
        D = torch.distributions
        weights = torch.zeros(2, requires_grad=True)
        log_scale = torch.zeros((), requires_grad=True)
        optimizer = torch.optim.Adam([weights, log_scale], lr=0.1)
        x = torch.from_numpy(groups)
        n, k = torch.from_numpy(trials), torch.from_numpy(successes)
        history = []
        for _ in range(4):
            scale = log_scale.exp()
            log_prior = D.HalfNormal(1.0).log_prob(scale) \
                + D.Normal(0.0, scale).log_prob(weights).sum()
            likelihood = D.Binomial(total_count=n, logits=x @ weights).log_prob(k).sum()
            loss = -(likelihood + log_prior + log_scale)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append(loss.item())
        return history, weights, log_scale
    side_by_side(script)


def test_mixture_density_network_through_mixture_same_family():
    inputs = DATA.uniform(-1, 1, size=(16, 1))
    targets = np.sin(3 * inputs[:, 0]) + 0.1 * DATA.normal(size=16)

    def script(torch, copy_weights):
        nn, F, D = torch.nn, torch.nn.functional, torch.distributions
        model = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 9))
        copy_weights(model)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)

        def mixture():
            logits, means, raw_scales = model(x).chunk(3, dim=-1)
            return D.MixtureSameFamily(D.Categorical(logits=logits),
                                       D.Normal(means, F.softplus(raw_scales) + 1e-3))

        losses = _fit(torch, model, lambda: -mixture().log_prob(y).mean())
        dist = mixture()
        return losses, dist.mean.detach(), dist.variance.detach(), model
    side_by_side(script)


def test_hurdle_model_with_where():
    inputs = DATA.normal(size=(12, 3))
    amounts = np.where(DATA.uniform(size=12) < 0.4, 0.0, DATA.lognormal(0.0, 0.5, size=12))

    def script(torch, copy_weights):
        nn, F, D = torch.nn, torch.nn.functional, torch.distributions
        model = nn.Linear(3, 3)
        copy_weights(model)
        x, y = torch.from_numpy(inputs), torch.from_numpy(amounts)

        def loss_fn():
            zero_logit, loc, raw_scale = model(x).unbind(-1)
            positive = y > 0
            log_amount = D.LogNormal(loc, F.softplus(raw_scale)).log_prob(
                torch.where(positive, y, torch.ones_like(y)))
            log_lik = torch.where(positive, F.logsigmoid(-zero_logit) + log_amount,
                                  F.logsigmoid(zero_logit))
            return -log_lik.mean()

        losses = _fit(torch, model, loss_fn)
        return losses, model
    side_by_side(script)
