"""Poisson, Geometric, Binomial, OneHotCategorical: probabilities, entropies and
moments against sums written out in NumPy over the support (and SciPy / PyTorch /
autograd where installed), gradients by finite differences, sample frequencies, the
refused rsample, errors."""

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff.distributions import (Binomial, Categorical, Geometric, OneHotCategorical,
                                    Poisson, kl_divergence)

RNG = np.random.default_rng(13)


def np_lgamma(x):
    return np.vectorize(math.lgamma)(x)


def test_poisson_log_prob_sums_to_one_with_the_right_moments():
    rate = np.array([0.3, 2.5, 9.0])
    k = np.arange(80.0)[:, None]
    log_p = Poisson(rate).log_prob(k).data
    np.testing.assert_allclose(log_p, k * np.log(rate) - rate - np_lgamma(k + 1), rtol=1e-13)
    p = np.exp(log_p)
    np.testing.assert_allclose(p.sum(0), 1.0, rtol=1e-13)
    np.testing.assert_allclose((k * p).sum(0), Poisson(rate).mean.data, rtol=1e-12)
    np.testing.assert_allclose(((k - rate) ** 2 * p).sum(0), Poisson(rate).variance.data,
                               rtol=1e-12)
    assert Poisson(0.0).log_prob(0.0).item() == 0.0                 # 0 log 0 = 0
    assert Poisson(0.0).log_prob(1.0).item() == -np.inf


@pytest.mark.parametrize("parameterization", ["probs", "logits"])
def test_geometric_log_prob_entropy_and_moments(parameterization):
    probs = np.array([0.1, 0.5, 0.9])
    g = Geometric(probs=probs) if parameterization == "probs" else \
        Geometric(logits=np.log(probs / (1 - probs)))
    k = np.arange(600.0)[:, None]
    log_p = g.log_prob(k).data
    np.testing.assert_allclose(log_p, k * np.log1p(-probs) + np.log(probs), rtol=1e-12)
    p = np.exp(log_p)
    np.testing.assert_allclose(p.sum(0), 1.0, rtol=1e-12)
    np.testing.assert_allclose((k * p).sum(0), g.mean.data, rtol=1e-10)
    np.testing.assert_allclose(((k - g.mean.data) ** 2 * p).sum(0), g.variance.data, rtol=1e-10)
    np.testing.assert_allclose(g.entropy().data, -(p * log_p).sum(0), rtol=1e-10)


def test_geometric_certain_success():
    g = Geometric(probs=np.array([1.0, 0.5]))
    np.testing.assert_array_equal(g.log_prob(np.array([[0.0], [2.0]])).data,
                                  [[0.0, math.log(0.5)], [-np.inf, 3 * math.log(0.5)]])
    assert g.entropy().data[0] == 0.0 and g.mean.data[0] == 0.0
    probs = ad.tensor([1.0, 0.5], requires_grad=True)
    Geometric(probs=probs).log_prob(0.0).sum().backward()
    np.testing.assert_allclose(probs.grad, [1.0, 2.0])            # d log p / dp, no NaN
    assert kl_divergence(Geometric(probs=0.5), Geometric(probs=1.0)).item() == np.inf
    assert kl_divergence(Geometric(probs=1.0), Geometric(probs=1.0)).item() == 0.0
    # A finite logit is never certain, even where its probability rounds to 1.
    assert np.isfinite(kl_divergence(Geometric(probs=0.5), Geometric(logits=40.0)).item())
    assert np.isfinite(Geometric(logits=40.0).log_prob(2.0).item())


@pytest.mark.parametrize("parameterization", ["probs", "logits"])
def test_binomial_log_prob_entropy_and_moments(parameterization):
    n, probs = np.array([[0.0], [1.0], [7.0], [20.0]]), np.array([0.2, 0.5, 0.95])
    b = Binomial(n, probs=probs) if parameterization == "probs" else \
        Binomial(n, logits=np.log(probs / (1 - probs)))
    assert b.batch_shape == (4, 3)
    k = np.arange(21.0)[:, None, None]
    k_in = np.minimum(k, n)
    want = (np_lgamma(n + 1) - np_lgamma(k_in + 1) - np_lgamma(n - k_in + 1)
            + k_in * np.log(probs) + (n - k_in) * np.log1p(-probs))
    log_p = b.log_prob(k_in).data
    np.testing.assert_allclose(log_p, want, rtol=1e-11, atol=1e-13)
    p = np.where(k <= n, np.exp(log_p), 0.0)
    np.testing.assert_allclose(p.sum(0), 1.0, rtol=1e-12)
    np.testing.assert_allclose((k * p).sum(0), b.mean.data, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(((k - b.mean.data) ** 2 * p).sum(0), b.variance.data,
                               rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(b.entropy().data, -(np.where(p > 0, p * log_p, 0.0)).sum(0),
                               rtol=1e-11, atol=1e-15)


def test_binomial_of_a_certain_outcome_follows_pytorchs_clamp():
    b = Binomial(5, probs=np.array([0.0, 1.0]))
    np.testing.assert_allclose(b.log_prob(np.array([0.0, 5.0])).data, 0.0, atol=1e-13)
    assert b.log_prob(np.array([1.0, 4.0])).data.max() < -30        # about log(eps)


def test_one_hot_categorical_is_a_categorical_of_one_hot_rows():
    logits = RNG.standard_normal((2, 4))
    oh, cat = OneHotCategorical(logits=logits), Categorical(logits=logits)
    assert oh.batch_shape == (2,) and oh.event_shape == (4,)
    rows = np.eye(4)[[[1, 3], [0, 2]]].transpose(0, 1, 2)
    np.testing.assert_allclose(oh.log_prob(rows).data,
                               cat.log_prob(np.array([[1, 3], [0, 2]])).data, rtol=1e-15)
    np.testing.assert_allclose(oh.entropy().data, cat.entropy().data, rtol=1e-15)
    np.testing.assert_allclose(oh.mean.data, cat.probs.data, rtol=1e-15)
    np.testing.assert_allclose(oh.variance.data, cat.probs.data * (1 - cat.probs.data))
    draws = oh.sample((50_000,), rng=4).data
    assert draws.shape == (50_000, 2, 4) and (draws.sum(-1) == 1).all()
    np.testing.assert_array_equal(draws.argmax(-1), cat.sample((50_000,), rng=4).data)
    np.testing.assert_allclose(draws.mean(0), cat.probs.data, atol=0.01)
    other = OneHotCategorical(probs=RNG.uniform(0.1, 1.0, 4))
    np.testing.assert_allclose(kl_divergence(oh, other).data,
                               kl_divergence(cat, other._categorical).data, rtol=1e-15)


def test_against_scipy_stats():
    stats = pytest.importorskip("scipy.stats")
    k = np.arange(12.0)
    np.testing.assert_allclose(Poisson(3.2).log_prob(k).data, stats.poisson.logpmf(k, 3.2),
                               rtol=1e-12)
    # SciPy's geom counts trials from 1.
    np.testing.assert_allclose(Geometric(probs=0.3).log_prob(k).data,
                               stats.geom.logpmf(k + 1, 0.3), rtol=1e-12)
    assert Geometric(probs=0.3).entropy().item() == pytest.approx(stats.geom.entropy(0.3),
                                                                  rel=1e-12)
    np.testing.assert_allclose(Binomial(11, probs=0.35).log_prob(k).data,
                               stats.binom.logpmf(k, 11, 0.35), rtol=1e-12)
    assert Binomial(11, probs=0.35).entropy().item() == pytest.approx(
        stats.binom.entropy(11, 0.35), rel=1e-12)


def test_against_torch():
    torch = pytest.importorskip("torch")
    td = torch.distributions
    k = np.arange(6.0)
    kt = torch.tensor(k)
    for ours, theirs in [(Poisson(2.5), td.Poisson(torch.tensor(2.5, dtype=torch.float64))),
                         (Geometric(probs=0.3), td.Geometric(probs=torch.tensor(0.3))),
                         (Geometric(logits=-0.7), td.Geometric(logits=torch.tensor(-0.7))),
                         (Binomial(7, logits=0.4), td.Binomial(7, logits=torch.tensor(0.4)))]:
        np.testing.assert_allclose(ours.log_prob(k).data, theirs.log_prob(kt).numpy(),
                                   rtol=1e-6)
        assert ours.mean.item() == pytest.approx(float(theirs.mean), rel=1e-6)
        assert ours.variance.item() == pytest.approx(float(theirs.variance), rel=1e-6)
        if not isinstance(ours, Poisson):
            assert ours.entropy().item() == pytest.approx(float(theirs.entropy()), rel=1e-6)
    for ours, theirs in [((Poisson(2.5), Poisson(0.7)),
                          (td.Poisson(torch.tensor(2.5)), td.Poisson(torch.tensor(0.7)))),
                         ((Geometric(probs=0.3), Geometric(probs=0.6)),
                          (td.Geometric(torch.tensor(0.3)), td.Geometric(torch.tensor(0.6)))),
                         ((Binomial(5, probs=0.3), Binomial(5, probs=0.6)),
                          (td.Binomial(5, torch.tensor(0.3)), td.Binomial(5, torch.tensor(0.6))))]:
        assert kl_divergence(*ours).item() == pytest.approx(float(td.kl_divergence(*theirs)),
                                                            rel=1e-6)


def test_kl_against_sums_over_the_support():
    k = np.arange(400.0)
    for p, q in [(Poisson(2.5), Poisson(0.7)), (Geometric(probs=0.3), Geometric(probs=0.6)),
                 (Geometric(logits=0.2), Geometric(logits=-1.0)),
                 (Binomial(9, probs=0.3), Binomial(9, logits=1.5))]:
        if isinstance(p, Binomial):
            k = np.arange(10.0)
        lp, lq = p.log_prob(k).data, q.log_prob(k).data
        want = (np.exp(lp) * (lp - lq)).sum()
        assert kl_divergence(p, q).item() == pytest.approx(want, rel=1e-10)
    assert kl_divergence(Poisson(1.0), Poisson(0.0)).item() == np.inf
    # As PyTorch: a smaller total_count for p is not implemented, a larger one is +inf.
    with pytest.raises(NotImplementedError, match="smaller total_count than q's"):
        kl_divergence(Binomial(3, probs=0.5), Binomial(4, probs=0.5))
    assert kl_divergence(Binomial(4, probs=0.5), Binomial(3, probs=0.5)).item() == np.inf


def test_sample_frequencies_and_dtypes():
    n = 100_000
    x = Poisson(np.array([0.5, 6.0])).sample((n,), rng=1).data
    assert np.all(np.abs(x.mean(0) - [0.5, 6.0]) < 5 * np.sqrt(np.array([0.5, 6.0]) / n))
    g = Geometric(probs=np.array([0.2, 0.7]))
    x = g.sample((n,), rng=2).data
    assert x.min() == 0 and np.all(np.abs(x.mean(0) - g.mean.data)
                                   < 5 * np.sqrt(g.variance.data / n))
    b = Binomial(np.array([3.0, 40.0]), probs=0.25)
    x = b.sample((n,), rng=3).data
    assert (x <= [3, 40]).all() and np.all(np.abs(x.mean(0) - b.mean.data)
                                           < 5 * np.sqrt(b.variance.data / n))
    f32 = np.full(2, 0.5, np.float32)
    for dist in (Poisson(f32), Geometric(probs=f32), Binomial(4, probs=f32),
                 OneHotCategorical(probs=f32)):
        assert dist.sample((3,), rng=0).dtype == np.float32
        assert not dist.sample(rng=0).requires_grad


@pytest.mark.parametrize("make", [lambda: Poisson(1.0), lambda: Geometric(probs=0.5),
                                  lambda: Binomial(3, probs=0.5),
                                  lambda: OneHotCategorical(logits=[0.0, 1.0])])
def test_rsample_is_refused_because_the_values_are_discrete(make):
    dist = make()
    with pytest.raises(NotImplementedError, match=rf"{type(dist).__name__}.rsample: .* is "
                                                  "discrete.*score-function"):
        dist.rsample((2,), rng=0)


def _gradient_cases():
    counts = RNG.integers(0, 6, (2, 3)).astype(float)
    return {
        "Poisson log_prob": (lambda r: Poisson(r).log_prob(counts), [RNG.uniform(0.5, 3, 3)]),
        "Poisson kl": (lambda a, b: kl_divergence(Poisson(a), Poisson(b)),
                       [RNG.uniform(0.5, 3, 3), RNG.uniform(0.5, 3, (2, 1))]),
        "Geometric(probs) log_prob": (lambda p: Geometric(probs=p).log_prob(counts),
                                      [RNG.uniform(0.2, 0.8, 3)]),
        "Geometric(logits) log_prob": (lambda z: Geometric(logits=z).log_prob(counts),
                                       [RNG.standard_normal(3)]),
        "Geometric entropy": (lambda p: Geometric(probs=p).entropy(), [RNG.uniform(0.2, 0.8, 3)]),
        "Geometric kl": (lambda a, b: kl_divergence(Geometric(probs=a), Geometric(logits=b)),
                         [RNG.uniform(0.2, 0.8, 3), RNG.standard_normal(3)]),
        "Binomial log_prob": (lambda z: Binomial(6, logits=z).log_prob(counts),
                              [RNG.standard_normal(3)]),
        "Binomial entropy": (lambda p: Binomial(np.array([0.0, 2.0, 5.0]), probs=p).entropy(),
                             [RNG.uniform(0.2, 0.8, 3)]),
        "Binomial kl": (lambda a, b: kl_divergence(Binomial(4, probs=a), Binomial(4, logits=b)),
                        [RNG.uniform(0.2, 0.8, 3), RNG.standard_normal(3)]),
        "OneHotCategorical log_prob and entropy": (
            lambda z: OneHotCategorical(logits=z).log_prob(np.eye(3)) + OneHotCategorical(
                logits=z).entropy(), [RNG.standard_normal(3)]),
    }


@pytest.mark.parametrize("name", sorted(_gradient_cases()))
def test_gradients_first_and_second_order(name):
    func, inputs = _gradient_cases()[name]
    assert ad.gradcheck(func, inputs)
    assert ad.gradgradcheck(func, inputs)


def test_poisson_gradient_agrees_with_hips_autograd():
    agrad = pytest.importorskip("autograd")
    astats = pytest.importorskip("autograd.scipy.stats")
    k, rate = np.arange(6.0), 2.3
    r = ad.tensor(rate, requires_grad=True)
    Poisson(r).log_prob(k).sum().backward()
    assert r.grad == pytest.approx(agrad.grad(lambda r: astats.poisson.logpmf(k, r).sum())(rate),
                                   rel=1e-12)


def test_bad_parameters_and_values_are_refused():
    with pytest.raises(ValueError, match=r"Poisson: rate \(the mean\) must be ≥ 0; got -1.0"):
        Poisson(-1.0)
    with pytest.raises(ValueError, match=r"Poisson.log_prob: values must be whole numbers ≥ 0 "
                                         r"\(the support\); got 1.5 at index \(1,\)"):
        Poisson(1.0).log_prob([1.0, 1.5])
    with pytest.raises(ValueError, match=r"Geometric: probs .* must lie in \(0, 1\]; got 0.0"):
        Geometric(probs=0.0)
    with pytest.raises(ValueError, match="Geometric: pass exactly one of probs= or logits="):
        Geometric(probs=0.5, logits=0.0)
    with pytest.raises(ValueError, match="Geometric: logits must not be NaN or infinite"):
        Geometric(logits=np.inf)
    with pytest.raises(ValueError, match="Geometric.log_prob: values must be whole numbers"):
        Geometric(probs=0.5).log_prob(-1.0)
    with pytest.raises(ValueError, match="Binomial: total_count must be whole numbers ≥ 0; "
                                         "got 2.5"):
        Binomial(2.5, probs=0.5)
    with pytest.raises(ValueError, match=r"Binomial: probs must lie in \[0, 1\]"):
        Binomial(2, probs=1.5)
    with pytest.raises(ValueError, match=r"Binomial.log_prob: values must be whole numbers in "
                                         r"\[0, total_count\] \(the support\); got 4.0 at "
                                         r"index \(1,\)"):
        Binomial(np.array([5.0, 3.0]), probs=0.5).log_prob(4.0)
    with pytest.raises(ValueError, match="OneHotCategorical.log_prob: each row must hold a "
                                         r"single 1 and otherwise 0 at row \(1,\)"):
        OneHotCategorical(logits=[0.0, 0.0]).log_prob([[1.0, 0.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="one-hot vectors of length 2 along the last axis; "
                                         r"got shape \(3,\)"):
        OneHotCategorical(logits=[0.0, 0.0]).log_prob([0.0, 1.0, 0.0])
    with pytest.raises(NotImplementedError, match=r"Poisson.entropy: there is no closed form"):
        Poisson(1.0).entropy()
