"""The twenty-first round's probabilistic scripts (see test_torch_scripts_twentyfirst.py
for how they run): a Tobit model of censored targets (``torch.special.log_ndtr`` for
the censored likelihood, ``ndtr`` and the inverse Mills ratio by
``torch.special.erfcx``), predictive intervals by ``torch.special.ndtri`` trained by a
pinball loss, concrete relaxations scored by ``RelaxedBernoulli`` and
``RelaxedOneHotCategorical`` (their samples drawn explicitly), a correlation matrix with
an ``LKJCholesky`` prior reached through ``CorrCholeskyTransform`` and its
``log_abs_det_jacobian``, a ``Wishart`` log-density beside the one written with
``torch.mvlgamma``, a Gamma shape fitted by Newton steps (``torch.digamma``,
``torch.polygamma(1, .)``) with ``torch.special.xlog1py`` in a geometric likelihood,
compositional data under a ``LogisticNormal`` with an ``InverseGamma`` prior on its
scale, and a Zipf exponent chosen over a grid by ``torch.special.zeta``."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2221)


def test_tobit_regression_of_censored_targets_by_log_ndtr_and_erfcx():
    inputs = DATA.normal(size=(30, 2))
    latent = inputs @ np.array([1.5, -0.5]) + 0.5 + 0.7 * DATA.normal(size=30)
    targets = np.maximum(latent, 0.0)                     # censored at zero

    def script(torch, copy_weights):
        special = torch.special
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        censored = y <= 0
        model = torch.nn.Linear(2, 1)
        copy_weights(model)
        log_sigma = torch.zeros(1, requires_grad=True)
        optimizer = torch.optim.Adam(list(model.parameters()) + [log_sigma], lr=0.05)
        history = []
        for _ in range(4):
            mu = model(x).squeeze(1)
            sigma = log_sigma.exp()
            z = (y - mu) / sigma
            observed = -0.5 * z ** 2 - 0.5 * np.log(2 * np.pi) - torch.log(sigma)
            below = special.log_ndtr(-mu / sigma)
            nll = -torch.where(censored, below, observed).mean()
            optimizer.zero_grad()
            nll.backward()
            optimizer.step()
            with torch.no_grad():
                p_censored = special.ndtr(-mu / sigma)
                # inverse Mills ratio phi(a) / (1 - Phi(a)) without cancellation
                a = -mu / sigma
                mills = np.sqrt(2 / np.pi) / special.erfcx(a / np.sqrt(2))
                expected = p_censored * 0 + (1 - p_censored) * (mu + sigma * mills)
            history.append((nll.item(), expected))
        return history, model, log_sigma
    side_by_side(script)


def test_predictive_intervals_by_ndtri_trained_with_a_pinball_loss():
    inputs = DATA.uniform(-1, 1, size=(40, 1))
    targets = np.sin(3 * inputs[:, 0]) + (0.2 + 0.3 * np.abs(inputs[:, 0])) \
        * DATA.normal(size=40)

    def script(torch, copy_weights):
        nn = torch.nn
        net = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 2))
        copy_weights(net)
        optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        quantiles = torch.tensor([0.1, 0.5, 0.9])
        z = torch.special.ndtri(quantiles)

        def pinball(pred, target, q):
            error = target.unsqueeze(1) - pred
            return torch.maximum(q * error, (q - 1) * error).mean()

        history = []
        for _ in range(4):
            mean, log_scale = net(x).unbind(dim=1)
            bands = mean.unsqueeze(1) + log_scale.exp().unsqueeze(1) * z
            loss = pinball(bands, y, quantiles)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            coverage = ((y >= bands[:, 0]) & (y <= bands[:, 2])).double().mean()
            history.append((loss.item(), coverage.item()))
        return history, z, net
    side_by_side(script)


def test_concrete_relaxations_scored_by_relaxed_bernoulli_and_one_hot_categorical():
    uniforms = DATA.uniform(1e-6, 1 - 1e-6, size=(3, 5, 4))
    gumbel_uniforms = DATA.uniform(1e-6, 1 - 1e-6, size=(3, 5, 3))

    def script(torch, copy_weights):
        D = torch.distributions
        gate_logits = torch.zeros(4, requires_grad=True)
        class_logits = torch.zeros(3, requires_grad=True)
        temperature = torch.tensor(0.5)
        optimizer = torch.optim.SGD([gate_logits, class_logits], lr=0.1)
        history = []
        for step in range(3):
            u = torch.from_numpy(uniforms[step])
            noise = torch.log(u) - torch.log1p(-u)
            gates = torch.sigmoid((gate_logits + noise) / temperature)
            gumbels = -torch.log(-torch.log(torch.from_numpy(gumbel_uniforms[step])))
            classes = torch.softmax((class_logits + gumbels) / temperature, dim=-1)
            gate_prior = D.RelaxedBernoulli(temperature, logits=gate_logits)
            class_prior = D.RelaxedOneHotCategorical(temperature, logits=class_logits)
            score = gate_prior.log_prob(gates.detach()).sum() \
                + class_prior.log_prob(classes.detach()).sum()
            objective = (gates.sum(dim=1) - 2).pow(2).mean() + classes[:, 0].mean() \
                - 0.01 * score
            optimizer.zero_grad()
            objective.backward()
            optimizer.step()
            history.append((objective.item(), score.item(), gates.detach(), classes.detach()))
        return history, gate_logits, class_logits
    side_by_side(script)


def test_correlation_with_an_lkj_prior_through_corr_cholesky_transform():
    observations = DATA.multivariate_normal(
        np.zeros(3), [[1.0, 0.6, 0.2], [0.6, 1.0, -0.3], [0.2, -0.3, 1.0]], size=25)

    def script(torch, copy_weights):
        D = torch.distributions
        transform = D.transforms.CorrCholeskyTransform()
        unconstrained = torch.zeros(3, requires_grad=True)
        log_scales = torch.zeros(3, requires_grad=True)
        optimizer = torch.optim.Adam([unconstrained, log_scales], lr=0.1)
        prior = D.LKJCholesky(3, concentration=2.0)
        x = torch.from_numpy(observations)
        history = []
        for _ in range(4):
            L_corr = transform(unconstrained)
            log_prior = prior.log_prob(L_corr) \
                + transform.log_abs_det_jacobian(unconstrained, L_corr)
            scale_tril = torch.diag(log_scales.exp()) @ L_corr
            likelihood = D.MultivariateNormal(torch.zeros(3), scale_tril=scale_tril)
            loss = -(likelihood.log_prob(x).sum() + log_prior)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), (L_corr @ L_corr.T).detach()))
        return history, unconstrained, log_scales
    side_by_side(script)


def test_wishart_log_density_beside_the_one_written_with_mvlgamma():
    factors = DATA.normal(size=(4, 3, 3))
    samples = factors @ np.swapaxes(factors, -1, -2) + 3 * np.eye(3)

    def script(torch, copy_weights):
        raw = torch.zeros(3, 3, requires_grad=True)
        log_df = torch.tensor(np.log(5.0), requires_grad=True)
        optimizer = torch.optim.SGD([raw, log_df], lr=0.01)
        X = torch.from_numpy(samples)
        p = 3
        history = []
        for _ in range(3):
            scale_tril = torch.tril(raw, -1) + torch.diag(torch.exp(torch.diagonal(raw)))
            df = p - 1 + torch.exp(log_df)
            wishart = torch.distributions.Wishart(df, scale_tril=scale_tril)
            log_prob = wishart.log_prob(X)
            V = scale_tril @ scale_tril.T
            by_hand = ((df - p - 1) / 2 * torch.logdet(X)
                       - 0.5 * torch.diagonal(torch.linalg.solve(V, X), dim1=-2,
                                              dim2=-1).sum(-1)
                       - df * p / 2 * np.log(2) - df / 2 * torch.logdet(V)
                       - torch.mvlgamma(df / 2, p))
            loss = -log_prob.mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), log_prob.detach(), by_hand.detach()))
        return history, raw, log_df
    side_by_side(script)


def test_gamma_shape_by_newton_steps_with_digamma_and_polygamma():
    waits = DATA.gamma(2.5, 1.0, size=60)
    failures = DATA.geometric(0.3, size=25) - 1

    def script(torch, copy_weights):
        x = torch.from_numpy(waits)
        s = torch.log(x.mean()) - torch.log(x).mean()
        shape = (3 - s + torch.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s)
        steps = []
        for _ in range(4):
            residual = torch.log(shape) - torch.digamma(shape) - s
            slope = 1 / shape - torch.polygamma(1, shape)
            shape = shape - residual / slope
            steps.append(shape)
        rate = shape / x.mean()
        # a geometric likelihood of failure counts k: k log(1 - p) + log(p)
        logit = torch.zeros((), requires_grad=True)
        k = torch.from_numpy(failures.astype(np.float64))
        optimizer = torch.optim.SGD([logit], lr=0.05)
        fits = []
        for _ in range(3):
            p = torch.sigmoid(logit)
            nll = -(torch.special.xlog1py(k, -p) + torch.log(p)).mean()
            optimizer.zero_grad()
            nll.backward()
            optimizer.step()
            fits.append(nll.item())
        geometric = torch.distributions.Geometric(probs=torch.sigmoid(logit.detach()))
        return steps, rate, fits, logit, geometric.log_prob(k).mean()
    side_by_side(script)


def test_compositional_data_under_a_logistic_normal_with_an_inverse_gamma_prior():
    raw = DATA.normal(size=(20, 2)) * 0.5 + np.array([0.3, -0.2])
    parts = np.exp(np.concatenate([raw, np.zeros((20, 1))], axis=1))
    compositions = parts / parts.sum(axis=1, keepdims=True)

    def script(torch, copy_weights):
        D = torch.distributions
        loc = torch.zeros(2, requires_grad=True)
        log_variance = torch.zeros(2, requires_grad=True)
        optimizer = torch.optim.Adam([loc, log_variance], lr=0.1)
        x = torch.from_numpy(compositions)
        prior = D.InverseGamma(torch.tensor(3.0), torch.tensor(1.0))
        history = []
        for _ in range(4):
            variance = log_variance.exp()
            likelihood = D.LogisticNormal(loc, variance.sqrt())
            loss = -(likelihood.log_prob(x).sum() + prior.log_prob(variance).sum())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append(loss.item())
        return history, loc, log_variance, prior.mean, prior.variance
    side_by_side(script)


def test_zipf_exponent_chosen_over_a_grid_by_the_zeta_function():
    ranks = np.floor(DATA.pareto(1.2, size=80) + 1)

    def script(torch, copy_weights):
        k = torch.from_numpy(ranks)
        exponents = torch.linspace(1.5, 3.5, 21)
        with torch.no_grad():
            log_likelihood = -exponents * torch.log(k).sum() \
                - len(k) * torch.log(torch.special.zeta(exponents, torch.tensor(1.0)))
        best = exponents[log_likelihood.argmax()]
        tail = torch.special.zeta(best, torch.tensor(5.0)) / torch.special.zeta(best, 1.0)
        return log_likelihood, best, tail
    side_by_side(script)
