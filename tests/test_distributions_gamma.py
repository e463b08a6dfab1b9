"""Gamma, Chi2, Beta, Dirichlet: densities, entropies, moments and KL against formulas
written out in NumPy and numerical integration (and SciPy / PyTorch / autograd where
installed), gradients by finite differences, sample moments, the refused rsample."""

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff.distributions import Beta, Chi2, Dirichlet, Gamma, kl_divergence

RNG = np.random.default_rng(19)


def np_lgamma(x):
    return np.vectorize(math.lgamma)(x)


def np_digamma(x, h=1e-5):
    return (np_lgamma(x + h) - np_lgamma(x - h)) / (2 * h)


def test_gamma_log_prob_entropy_moments_by_formula_and_integration():
    alpha, rate = np.array([1.5, 2.0, 7.0]), np.array([0.5, 2.0, 3.0])
    g = Gamma(alpha, rate)
    x = np.linspace(1e-9, 120.0, 1_200_001)[:, None]
    log_p = g.log_prob(x).data
    want = (alpha * np.log(rate) + (alpha - 1) * np.log(x) - rate * x - np_lgamma(alpha))
    np.testing.assert_allclose(log_p, want, rtol=1e-11, atol=1e-11)
    p = np.exp(log_p)
    np.testing.assert_allclose(np.trapezoid(p, x, axis=0), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.trapezoid(x * p, x, axis=0), g.mean.data, rtol=1e-6)
    np.testing.assert_allclose(np.trapezoid((x - g.mean.data) ** 2 * p, x, axis=0),
                               g.variance.data, rtol=1e-6)
    np.testing.assert_allclose(g.entropy().data, -np.trapezoid(p * log_p, x, axis=0), rtol=1e-6)
    np.testing.assert_allclose(g.mean.data, alpha / rate, rtol=1e-15)
    np.testing.assert_allclose(g.variance.data, alpha / rate ** 2, rtol=1e-15)


def test_chi2_is_gamma_of_half_df_and_half():
    df = np.array([1.0, 3.0, 10.0])
    x = RNG.uniform(0.1, 8.0, (4, 3))
    c, g = Chi2(df), Gamma(df / 2, 0.5)
    np.testing.assert_allclose(c.log_prob(x).data, g.log_prob(x).data, rtol=1e-15)
    np.testing.assert_allclose(c.entropy().data, g.entropy().data, rtol=1e-15)
    np.testing.assert_allclose(c.mean.data, df, rtol=1e-15)
    np.testing.assert_allclose(c.variance.data, 2 * df, rtol=1e-15)
    assert kl_divergence(c, Chi2(df)).data.tolist() == [0.0] * 3
    np.testing.assert_allclose(kl_divergence(c, Chi2(df + 1)).data,
                               kl_divergence(g, Gamma((df + 1) / 2, 0.5)).data, rtol=1e-15)


def test_beta_log_prob_entropy_moments_by_formula_and_integration():
    a, b = np.array([1.5, 2.0, 6.0]), np.array([3.0, 1.2, 2.5])
    beta = Beta(a, b)
    x = np.linspace(0.0, 1.0, 1_000_001)[:, None]
    with np.errstate(divide="ignore"):                   # log 0 at the ends
        log_p = beta.log_prob(x).data
    inner = x[1:-1]
    want = ((a - 1) * np.log(inner) + (b - 1) * np.log1p(-inner)
            - (np_lgamma(a) + np_lgamma(b) - np_lgamma(a + b)))
    np.testing.assert_allclose(log_p[1:-1], want, rtol=1e-10, atol=1e-12)
    assert (log_p[0] == -np.inf).all() and log_p[-1].tolist()[:2] == [-np.inf, -np.inf]
    p = np.exp(log_p)
    np.testing.assert_allclose(np.trapezoid(p, x, axis=0), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.trapezoid(x * p, x, axis=0), beta.mean.data, rtol=1e-6)
    np.testing.assert_allclose(np.trapezoid((x - beta.mean.data) ** 2 * p, x, axis=0),
                               beta.variance.data, rtol=1e-5)
    terms = np.where(p > 0, p * np.where(p > 0, log_p, 0.0), 0.0)
    np.testing.assert_allclose(beta.entropy().data, -np.trapezoid(terms, x, axis=0), rtol=1e-5)


def test_dirichlet_of_two_is_a_beta_and_the_formulas_hold():
    a, b = RNG.uniform(0.5, 4.0, 3), RNG.uniform(0.5, 4.0, 3)
    d, beta = Dirichlet(np.stack([a, b], -1)), Beta(a, b)
    assert d.batch_shape == (3,) and d.event_shape == (2,)
    x = RNG.uniform(0.05, 0.95, (5, 3))
    np.testing.assert_allclose(d.log_prob(np.stack([x, 1 - x], -1)).data,
                               beta.log_prob(x).data, rtol=1e-12)
    np.testing.assert_allclose(d.entropy().data, beta.entropy().data, rtol=1e-12)
    np.testing.assert_allclose(d.mean.data[..., 0], beta.mean.data, rtol=1e-14)
    np.testing.assert_allclose(d.variance.data[..., 0], beta.variance.data, rtol=1e-13)
    alpha = RNG.uniform(0.5, 4.0, 4)
    total = alpha.sum()
    d = Dirichlet(alpha)
    want = (np_lgamma(alpha).sum() - math.lgamma(total) + (total - 4) * np_digamma(total)
            - ((alpha - 1) * np_digamma(alpha)).sum())
    assert d.entropy().item() == pytest.approx(want, rel=1e-8)


def test_kl_against_numerical_integration_and_the_dirichlet_beta_identity():
    x = np.linspace(1e-9, 80.0, 800_001)
    for p, q in [(Gamma(2.0, 1.5), Gamma(3.5, 0.7)), (Gamma(1.2, 0.4), Gamma(1.2, 0.4)),
                 (Chi2(3.0), Gamma(2.0, 1.0))]:
        lp, lq = p.log_prob(x).data, q.log_prob(x).data
        want = np.trapezoid(np.exp(lp) * (lp - lq), x)
        assert kl_divergence(p, q).item() == pytest.approx(want, abs=1e-6)
    u = np.linspace(0.0, 1.0, 1_000_001)[1:-1]
    p, q = Beta(2.5, 1.5), Beta(1.2, 3.0)
    lp, lq = p.log_prob(u).data, q.log_prob(u).data
    assert kl_divergence(p, q).item() == pytest.approx(np.trapezoid(np.exp(lp) * (lp - lq), u),
                                                       abs=1e-5)
    dp, dq = Dirichlet([[2.5, 1.5]]), Dirichlet([[1.2, 3.0]])
    assert kl_divergence(dp, dq).item() == pytest.approx(kl_divergence(p, q).item(), rel=1e-12)


def test_against_scipy_stats():
    stats = pytest.importorskip("scipy.stats")
    alpha, rate = np.array([0.7, 2.5]), np.array([1.3, 0.4])
    x = np.array([0.3, 2.0])
    pairs = [(Gamma(alpha, rate), stats.gamma(alpha, scale=1 / rate), x),
             (Chi2(alpha), stats.chi2(alpha), x),
             (Beta(alpha, rate), stats.beta(alpha, rate), np.array([0.3, 0.9]))]
    for ours, theirs, values in pairs:
        np.testing.assert_allclose(ours.log_prob(values).data, theirs.logpdf(values), rtol=1e-12)
        np.testing.assert_allclose(ours.entropy().data, theirs.entropy(), rtol=1e-12)
        np.testing.assert_allclose(ours.mean.data, theirs.mean(), rtol=1e-12)
        np.testing.assert_allclose(ours.variance.data, theirs.var(), rtol=1e-12)
    conc, v = np.array([0.7, 2.5, 1.2]), np.array([0.2, 0.5, 0.3])
    d = Dirichlet(conc)
    assert d.log_prob(v).item() == pytest.approx(stats.dirichlet(conc).logpdf(v), rel=1e-12)
    assert d.entropy().item() == pytest.approx(stats.dirichlet(conc).entropy(), rel=1e-12)
    np.testing.assert_allclose(d.variance.data, stats.dirichlet(conc).var(), rtol=1e-12)


def test_against_torch():
    torch = pytest.importorskip("torch")
    td = torch.distributions
    a, b = np.array([0.7, 2.5]), np.array([1.3, 0.4])
    ta, tb = torch.tensor(a), torch.tensor(b)
    for ours, theirs in [((Gamma(a, b), Gamma(b, a)), (td.Gamma(ta, tb), td.Gamma(tb, ta))),
                         ((Beta(a, b), Beta(b, a)), (td.Beta(ta, tb), td.Beta(tb, ta))),
                         ((Chi2(a), Chi2(b)), (td.Chi2(ta), td.Chi2(tb))),
                         ((Dirichlet(np.stack([a, b])), Dirichlet(np.stack([b, a]))),
                          (td.Dirichlet(torch.stack([ta, tb])),
                           td.Dirichlet(torch.stack([tb, ta]))))]:
        np.testing.assert_allclose(kl_divergence(*ours).data, td.kl_divergence(*theirs).numpy(),
                                   rtol=1e-10)
        np.testing.assert_allclose(ours[0].entropy().data, theirs[0].entropy().numpy(),
                                   rtol=1e-10)
        np.testing.assert_allclose(ours[0].mean.data, theirs[0].mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours[0].variance.data, theirs[0].variance.numpy(), rtol=1e-12)
        value = theirs[0].sample((3,))
        np.testing.assert_allclose(ours[0].log_prob(value.numpy()).data,
                                   theirs[0].log_prob(value).numpy(), rtol=1e-10)


def test_sample_moments_and_dtypes():
    n = 200_000
    for dist in (Gamma(np.array([0.5, 4.0]), np.array([2.0, 0.5])), Chi2(np.array([1.0, 6.0])),
                 Beta(np.array([0.5, 3.0]), np.array([2.0, 3.0])),
                 Dirichlet(np.array([[0.5, 1.0, 3.0]]))):
        x = dist.sample((n,), rng=8).data
        assert x.shape == (n,) + dist.batch_shape + dist.event_shape
        bound = 5 * np.sqrt(dist.variance.data / n)
        assert np.all(np.abs(x.mean(0) - dist.mean.data) < bound), type(dist).__name__
        np.testing.assert_allclose(x.var(0), dist.variance.data, rtol=0.05)
        assert not dist.sample(rng=0).requires_grad
    assert np.allclose(Dirichlet(np.ones(4)).sample((10,), rng=0).data.sum(-1), 1.0)
    f32 = np.full(2, 2.0, np.float32)
    for dist in (Gamma(f32, 1.0), Chi2(f32), Beta(f32, 1.0), Dirichlet(f32)):
        assert dist.sample((3,), rng=0).dtype == np.float32
        assert dist.entropy().dtype == np.float32


def test_gamma_rsample_differentiates_in_rate_only():
    rate = ad.tensor(2.0, requires_grad=True)
    z = Gamma(3.0, rate).rsample((4,), rng=5)
    eps = np.random.default_rng(5).standard_gamma(np.full(4, 3.0))
    np.testing.assert_allclose(z.data, eps / 2.0, rtol=1e-15)
    z.sum().backward()
    assert rate.grad == pytest.approx(-eps.sum() / 4.0)
    with pytest.raises(NotImplementedError, match=r"Gamma.rsample: .* shape parameter "
                                                  r"\(concentration\).*score-function"):
        Gamma(ad.tensor(3.0, requires_grad=True), 1.0).rsample()


@pytest.mark.parametrize("make,names", [(lambda p: Chi2(p), "df"),
                                        (lambda p: Beta(1.0, p), "concentration1 and "
                                                                 "concentration0"),
                                        (lambda p: Dirichlet(p * np.ones(2)), "concentration")])
def test_rsample_is_refused_for_shape_parameters_that_require_grad(make, names):
    dist = make(ad.tensor(3.0, requires_grad=True))
    with pytest.raises(NotImplementedError, match=rf"{type(dist).__name__}.rsample: .*\({names}\)"
                                                  r", which is not implemented"):
        dist.rsample((2,), rng=0)
    constant = make(ad.tensor(3.0))                      # nothing to differentiate
    np.testing.assert_array_equal(constant.rsample((2,), rng=0).data,
                                  constant.sample((2,), rng=0).data)


def _gradient_cases():
    x = RNG.uniform(0.2, 3.0, (2, 3))
    u = RNG.uniform(0.05, 0.95, (2, 3))
    simplex = RNG.dirichlet(np.ones(3), 2)
    alpha, rate = RNG.uniform(0.8, 3.0, 3), RNG.uniform(0.5, 2.0, (2, 1))
    return {
        "Gamma log_prob": (lambda a, b, v: Gamma(a, b).log_prob(v), [alpha, rate, x]),
        "Gamma entropy": (lambda a, b: Gamma(a, b).entropy(), [alpha, rate]),
        "Gamma kl": (lambda a, b, c: kl_divergence(Gamma(a, b), Gamma(c, 1.5)),
                     [alpha, rate, RNG.uniform(0.8, 3.0, 3)]),
        "Gamma rsample": (lambda b: ad.sin(Gamma(alpha, b).rsample((2,), rng=0)), [rate]),
        "Chi2 log_prob and entropy": (lambda d: Chi2(d).log_prob(x) + Chi2(d).entropy(),
                                      [alpha * 2]),
        "Beta log_prob": (lambda a, b, v: Beta(a, b).log_prob(v), [alpha, rate, u]),
        "Beta entropy, mean, variance": (
            lambda a, b: Beta(a, b).entropy() + Beta(a, b).mean + Beta(a, b).variance,
            [alpha, rate]),
        "Beta kl": (lambda a, b: kl_divergence(Beta(a, b), Beta(b, a)), [alpha, rate]),
        "Dirichlet log_prob": (lambda c: Dirichlet(c).log_prob(simplex),
                               [RNG.uniform(0.8, 3.0, 3)]),
        "Dirichlet entropy, mean, variance": (
            lambda c: Dirichlet(c).entropy()[..., None] + Dirichlet(c).mean
            + Dirichlet(c).variance, [RNG.uniform(0.8, 3.0, (2, 3))]),
        "Dirichlet kl": (lambda c, d: kl_divergence(Dirichlet(c), Dirichlet(d)),
                         [RNG.uniform(0.8, 3.0, (2, 3)), RNG.uniform(0.8, 3.0, 3)]),
    }


@pytest.mark.parametrize("name", sorted(_gradient_cases()))
def test_gradients_first_and_second_order(name):
    func, inputs = _gradient_cases()[name]
    assert ad.gradcheck(func, inputs)
    assert ad.gradgradcheck(func, inputs)


def test_log_prob_gradients_agree_with_hips_autograd():
    agrad = pytest.importorskip("autograd")
    astats = pytest.importorskip("autograd.scipy.stats")
    anp = pytest.importorskip("autograd.numpy")
    aspecial = pytest.importorskip("autograd.scipy.special")
    x, u = RNG.uniform(0.2, 3.0, 4), RNG.uniform(0.1, 0.9, 4)
    simplex = RNG.dirichlet(np.ones(3))
    cases = [(lambda p: Gamma(p[0], p[1]).log_prob(x).sum(),
              # autograd's gamma.logpdf has rate 1 and no gradient in x: written out.
              lambda p: (p[0] * anp.log(p[1]) + (p[0] - 1) * anp.log(x) - p[1] * x
                         - aspecial.gammaln(p[0])).sum(), [1.7, 0.8]),
             (lambda p: Beta(p[0], p[1]).log_prob(u).sum(),
              lambda p: astats.beta.logpdf(u, p[0], p[1]).sum(), [1.7, 2.4]),
             (lambda p: Dirichlet(p).log_prob(simplex),
              lambda p: astats.dirichlet.logpdf(simplex, p), [1.7, 2.4, 0.9])]
    for ours, theirs, params in cases:
        params = np.array(params)
        t = ad.tensor(params, requires_grad=True)
        ours(t).backward()
        np.testing.assert_allclose(t.grad, agrad.grad(theirs)(params), rtol=1e-10)


def test_bad_parameters_and_values_are_refused():
    with pytest.raises(ValueError, match=r"Gamma: concentration must be > 0; got 0.0 at "
                                         r"index \(1,\)"):
        Gamma([1.0, 0.0], 1.0)
    with pytest.raises(ValueError, match="Gamma: rate must be > 0; got nan"):
        Gamma(1.0, np.nan)
    with pytest.raises(ValueError, match="Chi2: df must be > 0"):
        Chi2(-1.0)
    with pytest.raises(ValueError, match="Beta: concentration0 must be > 0"):
        Beta(1.0, 0.0)
    with pytest.raises(ValueError, match="Dirichlet: concentration must be > 0"):
        Dirichlet([1.0, -1.0])
    with pytest.raises(ValueError, match="Dirichlet: concentration needs at least one "
                                         "dimension"):
        Dirichlet(1.0)
    with pytest.raises(ValueError, match=r"Gamma.log_prob: values must be ≥ 0 \(the support\)"):
        Gamma(1.0, 1.0).log_prob(-1e-300)
    with pytest.raises(ValueError, match=r"Chi2.log_prob: values must be ≥ 0"):
        Chi2(1.0).log_prob(-1.0)
    with pytest.raises(ValueError, match=r"Beta.log_prob: values must lie in \[0, 1\] .*got "
                                         r"1.5 at index \(1,\)"):
        Beta(1.0, 1.0).log_prob([0.5, 1.5])
    with pytest.raises(ValueError, match=r"Dirichlet.log_prob: each value must be ≥ 0 and add "
                                         r"up to 1 .* at row \(1,\)"):
        Dirichlet([1.0, 1.0]).log_prob([[0.5, 0.5], [0.5, 0.6]])
    with pytest.raises(ValueError, match="vectors of length 2 along the last axis"):
        Dirichlet([1.0, 1.0]).log_prob([0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match="event_shape .2,. and .3,."):
        kl_divergence(Dirichlet([1.0, 1.0]), Dirichlet([1.0, 1.0, 1.0]))
    with pytest.raises(NotImplementedError, match=r"no closed form for \(Gamma, Dirichlet\)"):
        kl_divergence(Gamma(1.0, 1.0), Dirichlet([1.0, 1.0]))
