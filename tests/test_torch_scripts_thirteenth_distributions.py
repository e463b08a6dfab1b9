"""Distributions the thirteenth round of PyTorch scripts found missing, checked by
hand and against PyTorch where it is installed: ``Multinomial`` (a bag-of-words topic
model's likelihood, ``Multinomial(total_count, logits=).log_prob(counts)``) with its
``mean``, ``variance``, ``entropy``, ``sample``, ``support`` and PyTorch's refusal of a
per-row ``total_count``; ``HalfCauchy`` (a prior on a scale) and ``Pareto`` (a tail
model), with ``rsample``, ``cdf``, ``icdf``, ``entropy``, their infinite moments and
``kl_divergence`` with a Pareto on either side."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autodiff as ad

LOGITS = np.random.default_rng(1301).normal(size=(3, 4))
COUNTS = np.array([[2.0, 0.0, 1.0, 1.0], [0.0, 1.0, 2.0, 1.0], [4.0, 0.0, 0.0, 0.0]])


def _by_hand(counts, probs):
    """log n! - Σ log x_k! + Σ x_k log p_k, term by term."""
    n = counts.sum()
    return (math.lgamma(n + 1) - sum(math.lgamma(x + 1) for x in counts)
            + sum(x * math.log(p) for x, p in zip(counts, probs) if x))


def test_multinomial_log_prob_matches_the_formula_and_its_gradient_finite_differences():
    logits = ad.tensor(LOGITS, requires_grad=True)
    log_prob = ad.distributions.Multinomial(4, logits=logits).log_prob(ad.tensor(COUNTS))
    probs = np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)
    expected = [_by_hand(c, p) for c, p in zip(COUNTS, probs)]
    np.testing.assert_allclose(log_prob.data, expected, rtol=1e-12)
    log_prob.sum().backward()
    # d/dlogits of Σ x log softmax(logits) = x - n p
    np.testing.assert_allclose(logits.grad, COUNTS - 4 * probs, rtol=1e-12, atol=1e-12)
    assert ad.gradcheck(lambda z: ad.distributions.Multinomial(4, logits=z)
                        .log_prob(ad.tensor(COUNTS)), (ad.tensor(LOGITS, requires_grad=True),))


def test_multinomial_moments_sample_and_support():
    probs = np.array([0.5, 0.25, 0.25])
    m = ad.distributions.Multinomial(8, probs=ad.tensor(probs))
    assert (m.batch_shape, m.event_shape) == ((), (3,))
    np.testing.assert_allclose(m.mean.data, 8 * probs)
    np.testing.assert_allclose(m.variance.data, 8 * probs * (1 - probs))
    draws = m.sample((4000,), rng=0).data
    assert draws.shape == (4000, 3) and (draws.sum(-1) == 8).all()
    # the mean of 4000 draws, within 5 standard errors
    assert np.all(np.abs(draws.mean(0) - 8 * probs) < 5 * np.sqrt(8 * probs * (1 - probs) / 4000))
    assert m.support.check(ad.tensor([[3.0, 3.0, 2.0], [9.0, 0.0, 0.0]])).data.tolist() == [
        True, False]
    assert m.support.event_dim == 1 and m.support.is_discrete


def test_multinomial_entropy_by_enumerating_every_outcome():
    probs = np.array([0.5, 0.3, 0.2])
    entropy = ad.distributions.Multinomial(3, probs=ad.tensor(probs)).entropy()
    outcomes = [(a, b, 3 - a - b) for a in range(4) for b in range(4 - a)]
    log_p = np.array([_by_hand(np.array(o, float), probs) for o in outcomes])
    np.testing.assert_allclose(entropy.data, -(np.exp(log_p) * log_p).sum(), rtol=1e-12)


def test_multinomial_refuses_what_pytorch_refuses_with_a_clear_message():
    with pytest.raises(NotImplementedError, match="one Python int for the whole batch"):
        ad.distributions.Multinomial(ad.tensor([3.0, 4.0]), logits=ad.zeros((2, 3)))
    m = ad.distributions.Multinomial(3, logits=ad.zeros(3))
    with pytest.raises(ValueError, match="summing to at most total_count=3"):
        m.log_prob(ad.tensor([2.0, 2.0, 0.0]))
    with pytest.raises(ValueError, match="vectors of 3 counts"):
        m.log_prob(ad.tensor([1.0, 2.0]))
    # unchecked, as PyTorch's: the log-likelihood of a document of any length
    unchecked = ad.distributions.Multinomial(logits=ad.zeros(3), validate_args=False)
    np.testing.assert_allclose(unchecked.log_prob(ad.tensor([2.0, 2.0, 0.0])).data,
                               _by_hand(np.array([2.0, 2.0, 0.0]), np.full(3, 1 / 3)))


def test_multinomial_agrees_with_pytorch_with_an_impossible_category():
    torch = pytest.importorskip("torch")
    logits_values = LOGITS.copy()
    logits_values[0, 1] = -np.inf           # a category never drawn: counted 0 times
    results = []
    previous = torch.get_default_dtype()
    # (PyTorch's entropy takes log n! of an integer tensor in the default dtype)
    torch.set_default_dtype(torch.float64)
    try:
        results.append(_multinomial_run(torch, logits_values))
    finally:
        torch.set_default_dtype(previous)
    results.append(_multinomial_run(ad, logits_values))
    for theirs, ours in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def _multinomial_run(lib, logits_values):
    logits = lib.tensor(logits_values, requires_grad=True)
    dist = lib.distributions.Multinomial(4, logits=logits)
    log_prob = dist.log_prob(lib.tensor(COUNTS))
    probs = lib.tensor(np.abs(LOGITS[1:]) + 0.1, requires_grad=True)
    entropy = lib.distributions.Multinomial(5, probs=probs).entropy()
    (log_prob.sum() + entropy.sum()).backward()
    return ([np.asarray(x.detach().numpy() if lib is not ad else x.data)
             for x in (log_prob, entropy, dist.mean, dist.variance)]
            + [np.asarray(logits.grad), np.asarray(probs.grad)])


def test_half_cauchy_and_pareto_by_their_formulas():
    scale, alpha, x = 0.5, 2.5, np.array([0.7, 1.0, 4.0])
    half_cauchy = ad.distributions.HalfCauchy(scale)
    np.testing.assert_allclose(half_cauchy.log_prob(ad.tensor(x)).data,
                               np.log(2 / (np.pi * scale * (1 + (x / scale) ** 2))), rtol=1e-13)
    np.testing.assert_allclose(half_cauchy.cdf(ad.tensor(x)).data,
                               2 / np.pi * np.arctan(x / scale), rtol=1e-13)
    np.testing.assert_allclose(half_cauchy.icdf(half_cauchy.cdf(ad.tensor(x))).data, x,
                               rtol=1e-12)
    pareto = ad.distributions.Pareto(scale, alpha)
    np.testing.assert_allclose(pareto.log_prob(ad.tensor(x)).data,
                               np.log(alpha * scale ** alpha / x ** (alpha + 1)), rtol=1e-13)
    np.testing.assert_allclose(pareto.cdf(ad.tensor(x)).data, 1 - (scale / x) ** alpha,
                               rtol=1e-13)
    np.testing.assert_allclose(pareto.icdf(pareto.cdf(ad.tensor(x))).data, x, rtol=1e-12)
    assert pareto.mean.item() == pytest.approx(alpha * scale / (alpha - 1))
    assert ad.distributions.Pareto(1.0, 0.5).mean.item() == np.inf
    assert ad.distributions.Pareto(1.0, 1.5).variance.item() == np.inf
    assert half_cauchy.mean.item() == half_cauchy.variance.item() == np.inf
    # the draws: the Pareto's mean within 5 standard errors (alpha > 2: a variance)
    draws = ad.distributions.Pareto(1.0, 4.0).rsample((20000,), rng=0).data
    assert draws.min() >= 1.0 and abs(draws.mean() - 4 / 3) < 5 * np.sqrt(2 / 9 / 20000)
    assert np.median(ad.distributions.HalfCauchy(2.0).sample((20000,), rng=1).data) \
        == pytest.approx(2.0, rel=0.05)          # the median of |Cauchy(0, s)| is s


def test_half_cauchy_and_pareto_gradients_and_their_refusals():
    def densities(scale, alpha):
        x = ad.tensor([1.3, 2.5])
        return (ad.distributions.HalfCauchy(scale).log_prob(x)
                + ad.distributions.Pareto(scale, alpha).log_prob(x)
                + ad.distributions.Pareto(scale, alpha).entropy())
    assert ad.gradcheck(densities, (ad.tensor([0.5, 1.0], requires_grad=True),
                                    ad.tensor([0.8, 3.0], requires_grad=True)))
    assert ad.gradgradcheck(densities, (ad.tensor([0.5, 1.0], requires_grad=True),
                                        ad.tensor([0.8, 3.0], requires_grad=True)))
    scale = ad.tensor(2.0, requires_grad=True)
    ad.distributions.Pareto(scale, 3.0).rsample((5,), rng=0).sum().backward()
    assert scale.grad > 0                     # every draw is scale times a constant
    with pytest.raises(ValueError, match=r"Pareto.log_prob: values must be ≥ scale"):
        ad.distributions.Pareto(2.0, 3.0).log_prob(1.0)
    with pytest.raises(ValueError, match="HalfCauchy.log_prob: values must be ≥ 0"):
        ad.distributions.HalfCauchy(1.0).log_prob(-1.0)
    with pytest.raises(ValueError, match="alpha must be > 0"):
        ad.distributions.Pareto(1.0, 0.0)


def test_half_cauchy_and_pareto_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    scales, alphas = np.array([0.5, 2.0]), np.array([0.8, 3.5])
    values, probabilities = np.array([1.3, 2.5]), np.array([0.2, 0.9])
    runs = []
    for lib in (torch, ad):
        scale = lib.tensor(scales, requires_grad=True)
        alpha = lib.tensor(alphas, requires_grad=True)
        half_cauchy = lib.distributions.HalfCauchy(scale)
        pareto = lib.distributions.Pareto(scale, alpha)
        x, p = lib.tensor(values), lib.tensor(probabilities)
        results = [half_cauchy.log_prob(x), half_cauchy.cdf(x), half_cauchy.icdf(p),
                   half_cauchy.entropy(), pareto.log_prob(x), pareto.cdf(x), pareto.icdf(p),
                   pareto.entropy()]
        sum(r.sum() for r in results).backward()
        moments = [half_cauchy.mean, half_cauchy.variance, half_cauchy.mode, pareto.mean,
                   pareto.variance, pareto.mode]
        runs.append([np.asarray(r.detach().numpy() if lib is torch else r.data)
                     for r in results + moments] + [np.asarray(scale.grad),
                                                    np.asarray(alpha.grad)])
    for theirs, ours in zip(*runs):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def _expected_over_pareto(scale, alpha, f):
    """E[f(X)] for X ~ Pareto(scale, alpha), as ∫ alpha e^(-alpha y) f(scale e^y) dy."""
    y = np.linspace(0.0, 60.0 / alpha, 400001)
    return np.trapezoid(alpha * np.exp(-alpha * y) * f(scale * np.exp(y)), y)


def test_kl_divergence_with_a_pareto_by_quadrature():
    D = ad.distributions
    scale, alpha = 0.8, 6.0
    p = D.Pareto(scale, alpha)

    def log_p(x):
        return np.log(alpha) + alpha * np.log(scale) - (alpha + 1) * np.log(x)

    targets = {
        "Pareto": (D.Pareto(0.5, 2.0),
                   lambda x: np.log(2.0) + 2.0 * np.log(0.5) - 3.0 * np.log(x)),
        "Exponential": (D.Exponential(1.5), lambda x: np.log(1.5) - 1.5 * x),
        "Gamma": (D.Gamma(2.0, 3.0),
                  lambda x: 2.0 * np.log(3.0) - math.lgamma(2.0) + np.log(x) - 3.0 * x),
        "Normal": (D.Normal(0.3, 1.2),
                   lambda x: -0.5 * ((x - 0.3) / 1.2) ** 2 - np.log(1.2 * np.sqrt(2 * np.pi))),
    }
    for name, (q, log_q) in targets.items():
        expected = _expected_over_pareto(scale, alpha, lambda x: log_p(x) - log_q(x))
        np.testing.assert_allclose(D.kl_divergence(p, q).item(), expected, rtol=1e-8,
                                   err_msg=name)
    uniform = D.Uniform(1.0, 3.0)
    x = np.linspace(1.0, 3.0, 200001)
    expected = np.trapezoid((-np.log(2.0) - log_p(x)) / 2.0, x)
    np.testing.assert_allclose(D.kl_divergence(uniform, p).item(), expected, rtol=1e-8)
    # +inf where p puts mass where q has none, or where a moment the formula needs is
    assert D.kl_divergence(D.Pareto(0.5, 2.0), D.Pareto(0.8, 2.0)).item() == np.inf
    assert D.kl_divergence(D.Uniform(0.2, 3.0), p).item() == np.inf
    assert D.kl_divergence(D.Pareto(1.0, 0.9), D.Exponential(1.0)).item() == np.inf
    assert D.kl_divergence(D.Pareto(1.0, 1.5), D.Normal(0.0, 1.0)).item() == np.inf
    assert D.kl_divergence(D.Normal(0.0, 1.0), p).item() == np.inf
    assert D.kl_divergence(p, D.Uniform(0.0, 5.0)).item() == np.inf


def test_kl_divergence_with_a_pareto_agrees_with_pytorch_with_gradients():
    torch = pytest.importorskip("torch")
    scales, alphas = np.array([0.8, 1.5, 0.5]), np.array([3.0, 0.9, 2.5])
    runs = []
    for lib in (torch, ad):
        D = lib.distributions
        scale = lib.tensor(scales, requires_grad=True)
        alpha = lib.tensor(alphas, requires_grad=True)
        rate = lib.tensor(np.array(1.3), requires_grad=True)        # (float64 in both)
        p = D.Pareto(scale, alpha)
        values = [D.kl_divergence(p, D.Pareto(lib.tensor(np.array(0.6)), rate)),
                  D.kl_divergence(p, D.Exponential(rate)),
                  D.kl_divergence(p, D.Gamma(lib.tensor(np.array(2.0)), rate)),
                  D.kl_divergence(p, D.Normal(lib.tensor(np.array(0.3)), rate)),
                  D.kl_divergence(D.Uniform(lib.tensor(np.array(1.0)), 2.0 + rate), p)]
        total = sum(v[v.isfinite()].sum() for v in values)
        total.backward()
        runs.append([np.asarray(v.detach().numpy() if lib is torch else v.data)
                     for v in values] + [np.asarray(g) for g in (scale.grad, alpha.grad,
                                                                 rate.grad)])
    for theirs, ours in zip(*runs):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10)
