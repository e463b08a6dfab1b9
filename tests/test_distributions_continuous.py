"""Laplace, LogNormal, HalfNormal, Cauchy, Gumbel, StudentT: densities, entropies and
moments against formulas written out in NumPy and numerical integration (and SciPy /
PyTorch where installed), gradients by finite differences, sample moments, errors."""

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff.distributions import (Cauchy, Gumbel, HalfNormal, Laplace, LogNormal,
                                    StudentT, kl_divergence)

RNG = np.random.default_rng(11)
EULER = 0.5772156649015329
LOG_2PI = math.log(2 * math.pi)


def np_lgamma(x):
    return np.vectorize(math.lgamma)(x)


def np_digamma(x, h=1e-5):
    return (np_lgamma(x + h) - np_lgamma(x - h)) / (2 * h)


# The log-density of each, written out by hand; and the parameters to try.
LOG_DENSITY = {
    "Laplace": lambda x, loc, s: -np.log(2 * s) - np.abs(x - loc) / s,
    "LogNormal": lambda x, loc, s: (-(np.log(x) - loc) ** 2 / (2 * s ** 2) - np.log(s)
                                    - 0.5 * LOG_2PI - np.log(x)),
    "HalfNormal": lambda x, s: math.log(2) - x ** 2 / (2 * s ** 2) - np.log(s) - 0.5 * LOG_2PI,
    "Cauchy": lambda x, loc, s: -np.log(math.pi * s * (1 + ((x - loc) / s) ** 2)),
    "Gumbel": lambda x, loc, s: -((x - loc) / s + np.exp(-(x - loc) / s)) - np.log(s),
    "StudentT": lambda x, df, loc, s: (np_lgamma((df + 1) / 2) - np_lgamma(df / 2)
                                       - 0.5 * np.log(df * math.pi) - np.log(s)
                                       - (df + 1) / 2 * np.log1p(((x - loc) / s) ** 2 / df)),
}
CLASSES = {"Laplace": Laplace, "LogNormal": LogNormal, "HalfNormal": HalfNormal,
           "Cauchy": Cauchy, "Gumbel": Gumbel, "StudentT": StudentT}
PARAMS = {"Laplace": (0.3, 1.5), "LogNormal": (0.2, 0.6), "HalfNormal": (1.3,),
          "Cauchy": (-0.5, 0.8), "Gumbel": (0.4, 1.2), "StudentT": (4.5, 0.3, 1.4)}
# (mean, variance) written out by hand.
MOMENTS = {
    "Laplace": lambda loc, s: (loc, 2 * s ** 2),
    "LogNormal": lambda loc, s: (math.exp(loc + s ** 2 / 2),
                                 (math.exp(s ** 2) - 1) * math.exp(2 * loc + s ** 2)),
    "HalfNormal": lambda s: (s * math.sqrt(2 / math.pi), s ** 2 * (1 - 2 / math.pi)),
    "Cauchy": lambda loc, s: (math.nan, math.inf),
    "Gumbel": lambda loc, s: (loc + EULER * s, math.pi ** 2 / 6 * s ** 2),
    "StudentT": lambda df, loc, s: (loc, s ** 2 * df / (df - 2)),
}


def _grid(name):
    # Wide enough that the tails left out weigh < 1e-6 (Cauchy's and StudentT's decay
    # slowly: they are checked with a looser tolerance below).
    if name in ("LogNormal", "HalfNormal"):
        return np.linspace(1e-9, 40.0, 400_001)
    return np.linspace(-4000.0, 4000.0, 4_000_001) if name in ("Cauchy", "StudentT") \
        else np.linspace(-60.0, 60.0, 600_001)


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_log_prob_matches_the_formula_and_integrates_to_one(name):
    dist = CLASSES[name](*PARAMS[name])
    x = _grid(name)
    log_p = dist.log_prob(x).data
    np.testing.assert_allclose(log_p, LOG_DENSITY[name](x, *PARAMS[name]), rtol=1e-11,
                               atol=1e-12)
    density = np.exp(log_p)
    tol = 2e-3 if name in ("Cauchy", "StudentT") else 1e-6
    assert np.trapezoid(density, x) == pytest.approx(1.0, abs=tol)
    # The entropy is -∫ p log p.
    entropy = -np.trapezoid(density * log_p, x)
    assert dist.entropy().item() == pytest.approx(entropy, abs=tol * 10)
    mean, variance = MOMENTS[name](*PARAMS[name])
    if math.isfinite(mean):
        assert dist.mean.item() == pytest.approx(mean, rel=1e-13)
        assert dist.variance.item() == pytest.approx(variance, rel=1e-13)
        assert dist.stddev.item() == pytest.approx(math.sqrt(variance), rel=1e-13)
        if name != "StudentT":                     # its tails make the integral slow
            assert np.trapezoid(x * density, x) == pytest.approx(mean, abs=1e-5)
    else:
        assert math.isnan(dist.mean.item()) and dist.variance.item() == math.inf


def test_entropies_written_out():
    loc, scale = RNG.standard_normal(3), RNG.uniform(0.3, 2.0, 3)
    np.testing.assert_allclose(Laplace(loc, scale).entropy().data, 1 + np.log(2 * scale),
                               rtol=1e-14)
    np.testing.assert_allclose(LogNormal(loc, scale).entropy().data,
                               loc + 0.5 + 0.5 * LOG_2PI + np.log(scale), rtol=1e-13)
    np.testing.assert_allclose(HalfNormal(scale).entropy().data,
                               0.5 * np.log(math.pi * scale ** 2 / 2) + 0.5, rtol=1e-13)
    np.testing.assert_allclose(Cauchy(loc, scale).entropy().data, np.log(4 * math.pi * scale),
                               rtol=1e-14)
    np.testing.assert_allclose(Gumbel(loc, scale).entropy().data, np.log(scale) + 1 + EULER,
                               rtol=1e-14)
    df = RNG.uniform(0.5, 8.0, 3)
    want = (np.log(scale) + (df + 1) / 2 * (np_digamma((df + 1) / 2) - np_digamma(df / 2))
            + 0.5 * np.log(df) + np_lgamma(df / 2) + np_lgamma(0.5) - np_lgamma((df + 1) / 2))
    np.testing.assert_allclose(StudentT(df, loc, scale).entropy().data, want, rtol=1e-8)


def test_student_t_moments_where_they_do_not_exist():
    t = StudentT(np.array([0.5, 1.0, 1.5, 2.0, 3.0]), 2.0, 2.0)
    np.testing.assert_array_equal(t.mean.data, [np.nan, np.nan, 2.0, 2.0, 2.0])
    np.testing.assert_array_equal(t.variance.data, [np.nan, np.nan, np.inf, np.inf, 12.0])


def test_against_scipy_stats():
    stats = pytest.importorskip("scipy.stats")
    loc, scale, df = 0.4, 1.7, 3.5
    x = RNG.uniform(0.1, 5.0, 6)
    pairs = [(Laplace(loc, scale), stats.laplace(loc, scale)),
             (LogNormal(loc, scale), stats.lognorm(scale, scale=math.exp(loc))),
             (HalfNormal(scale), stats.halfnorm(scale=scale)),
             (Cauchy(loc, scale), stats.cauchy(loc, scale)),
             (Gumbel(loc, scale), stats.gumbel_r(loc, scale)),
             (StudentT(df, loc, scale), stats.t(df, loc, scale))]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.log_prob(x).data, theirs.logpdf(x), rtol=1e-12)
        assert ours.entropy().item() == pytest.approx(float(theirs.entropy()), rel=1e-12)
        if not isinstance(ours, Cauchy):
            assert ours.mean.item() == pytest.approx(theirs.mean(), rel=1e-12)
            assert ours.variance.item() == pytest.approx(theirs.var(), rel=1e-12)


def test_against_torch():
    torch = pytest.importorskip("torch")
    td = torch.distributions
    loc, scale, df = 0.4, 1.7, 3.5
    x = RNG.uniform(0.1, 5.0, 6)
    pairs = [(Laplace(loc, scale), td.Laplace(loc, scale)),
             (LogNormal(loc, scale), td.LogNormal(loc, scale)),
             (HalfNormal(scale), td.HalfNormal(scale)),
             (Cauchy(loc, scale), td.Cauchy(loc, scale)),
             (Gumbel(loc, scale), td.Gumbel(loc, scale)),
             (StudentT(df, loc, scale), td.StudentT(df, loc, scale))]
    xt = torch.tensor(x)
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.log_prob(x).data, theirs.log_prob(xt).numpy(),
                                   rtol=1e-6)
        assert ours.entropy().item() == pytest.approx(float(theirs.entropy()), rel=1e-6)
        np.testing.assert_allclose(ours.mean.data, theirs.mean.numpy(), rtol=1e-6)
        np.testing.assert_allclose(ours.variance.data, theirs.variance.numpy(), rtol=1e-6)
    p, q = (0.3, 1.2), (-0.4, 0.7)
    for name in ("Laplace", "Cauchy", "Gumbel", "LogNormal"):
        theirs = getattr(td, name)
        assert kl_divergence(CLASSES[name](*p), CLASSES[name](*q)).item() == pytest.approx(
            float(td.kl_divergence(theirs(*p), theirs(*q))), rel=1e-6)
    assert kl_divergence(HalfNormal(1.2), HalfNormal(0.7)).item() == pytest.approx(
        float(td.kl_divergence(td.HalfNormal(1.2), td.HalfNormal(0.7))), rel=1e-6)


@pytest.mark.parametrize("name", ["Laplace", "Cauchy", "Gumbel", "LogNormal", "HalfNormal"])
def test_kl_against_numerical_integration(name):
    # KL(p ‖ q) = ∫ p(x) (log p(x) - log q(x)) dx over a grid in a variable t, x = x(t),
    # that covers the heavy or long tails: x = e^t for LogNormal, x = loc + scale tan t
    # for Cauchy (then p(x) dx = dt / π).
    cls = CLASSES[name]
    t = np.linspace(-40.0, 40.0, 1_600_001)
    for p, q in [((0.3, 1.2), (-0.4, 0.7)), ((0.0, 1.0), (0.0, 1.0)), ((0.9, 0.5), (-0.3, 1.5))]:
        if name == "HalfNormal":
            p, q = p[1:], q[1:]
        if name == "Cauchy":
            t = -np.pi / 2 + np.pi * (np.arange(2_000_000) + 0.5) / 2_000_000   # midpoints
            x, dx_dt = p[0] + p[1] * np.tan(t), p[1] / np.cos(t) ** 2
        elif name == "LogNormal":
            x, dx_dt = np.exp(t), np.exp(t)
        else:
            x, dx_dt = t, 1.0
        if name == "HalfNormal":
            x, dx_dt = np.abs(t), 0.5                     # each x ≥ 0 twice
        lp, lq = cls(*p).log_prob(x).data, cls(*q).log_prob(x).data
        integrand = np.exp(lp) * (lp - lq) * dx_dt
        want = integrand.sum() * (t[1] - t[0]) if name == "Cauchy" else np.trapezoid(integrand, t)
        assert kl_divergence(cls(*p), cls(*q)).item() == pytest.approx(want, abs=1e-8)


# ----- sampling ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Laplace", "LogNormal", "HalfNormal", "Gumbel", "StudentT"])
def test_sample_and_rsample_moments(name):
    n = 200_000
    dist = CLASSES[name](*PARAMS[name])
    mean, variance = MOMENTS[name](*PARAMS[name])
    for draw in (dist.sample, dist.rsample):
        x = draw((n,), rng=5).data
        assert x.shape == (n,)
        assert abs(x.mean() - mean) < 5 * math.sqrt(variance / n)
        # The variance of a sample variance needs the fourth moment: a loose bound.
        assert x.var() == pytest.approx(variance, rel=0.05)
    assert not dist.sample(rng=0).requires_grad


def test_cauchy_samples_have_the_right_quartiles():
    x = Cauchy(1.0, 2.0).sample((200_000,), rng=3).data
    np.testing.assert_allclose(np.quantile(x, [0.25, 0.5, 0.75]), [-1.0, 1.0, 3.0], atol=0.05)


def test_rsample_is_the_transformed_standard_draw():
    loc, scale = ad.tensor(0.5, requires_grad=True), ad.tensor(2.0, requires_grad=True)
    for cls, standard, transform in [
            (Laplace, lambda g: g.laplace(size=4), lambda z: z),
            (LogNormal, lambda g: g.standard_normal(size=4), np.exp),
            (Cauchy, lambda g: g.standard_cauchy(size=4), lambda z: z),
            (Gumbel, lambda g: g.gumbel(size=4), lambda z: z)]:
        eps = standard(np.random.default_rng(9))
        z = cls(loc, scale).rsample((4,), rng=9)
        np.testing.assert_allclose(z.data, transform(0.5 + 2.0 * eps), rtol=1e-14)
        loc.zero_grad(), scale.zero_grad()
        z.sum().backward()
        np.testing.assert_allclose(loc.grad, transform(0.5 + 2.0 * eps).sum()
                                   if cls is LogNormal else 4.0, rtol=1e-13)
    z = HalfNormal(scale).rsample((4,), rng=9)
    np.testing.assert_allclose(z.data, 2.0 * np.abs(np.random.default_rng(9).standard_normal(4)),
                               rtol=1e-14)


def test_float32_parameters_stay_float32():
    f32 = np.ones(2, np.float32)
    for dist in (Laplace(0.0, f32), LogNormal(f32, 1.0), HalfNormal(f32), Cauchy(0.0, f32),
                 Gumbel(f32, 1.0), StudentT(f32 * 3)):
        for draw in (dist.sample, dist.rsample):
            assert draw((3,), rng=0).dtype == np.float32, type(dist).__name__
        assert dist.entropy().dtype == np.float32


def test_seeds_repeat_and_generators_advance():
    t = StudentT(3.0, 0.0, 1.0)
    np.testing.assert_array_equal(t.sample((5,), rng=2).data, t.sample((5,), rng=2).data)
    gen = np.random.default_rng(2)
    assert not np.array_equal(t.rsample((5,), rng=gen).data, t.rsample((5,), rng=gen).data)


# ----- gradients ---------------------------------------------------------------------

def _gradient_cases():
    loc, scale = RNG.standard_normal(3), RNG.uniform(0.5, 2.0, (2, 1))
    x = RNG.standard_normal((2, 3))
    positive = RNG.uniform(0.3, 3.0, (2, 3))
    df = RNG.uniform(1.5, 6.0, 3)
    cases = {}
    for name in ("Laplace", "Cauchy", "Gumbel"):
        cls = CLASSES[name]
        cases[f"{name} log_prob"] = (lambda a, b, v, cls=cls: cls(a, b).log_prob(v),
                                     [loc, scale, x])
        cases[f"{name} entropy"] = (lambda a, b, cls=cls: cls(a, b).entropy(), [loc, scale])
        cases[f"{name} rsample"] = (lambda a, b, cls=cls: ad.sin(cls(a, b).rsample((2,), rng=0)),
                                    [loc, scale])
    cases["LogNormal log_prob"] = (lambda a, b, v: LogNormal(a, b).log_prob(v),
                                   [loc, scale, positive])
    cases["LogNormal entropy, mean, variance"] = (
        lambda a, b: (LogNormal(a, b).entropy() + LogNormal(a, b).mean
                      + LogNormal(a, b).variance), [loc * 0.3, scale * 0.5])
    cases["LogNormal rsample"] = (lambda a, b: LogNormal(a, b).rsample((2,), rng=0),
                                  [loc * 0.3, scale * 0.5])
    cases["HalfNormal log_prob"] = (lambda b, v: HalfNormal(b).log_prob(v), [scale, positive])
    cases["HalfNormal rsample"] = (lambda b: HalfNormal(b).rsample((2,), rng=0) ** 2, [scale])
    cases["StudentT log_prob"] = (lambda d, a, b, v: StudentT(d, a, b).log_prob(v),
                                  [df, loc, scale, x])
    cases["StudentT entropy"] = (lambda d, b: StudentT(d, 0.0, b).entropy(), [df, scale])
    cases["StudentT variance"] = (lambda d, b: StudentT(d + 1, 0.0, b).variance, [df, scale])
    cases["StudentT rsample"] = (lambda a, b: ad.tanh(StudentT(df, a, b).rsample((2,), rng=0)),
                                 [loc, scale])
    for name in ("Laplace", "Cauchy", "Gumbel", "LogNormal"):
        cls = CLASSES[name]
        cases[f"{name} kl"] = (lambda a, b, c, d, cls=cls: kl_divergence(cls(a, b), cls(c, d)),
                               [loc, scale, RNG.standard_normal(3), RNG.uniform(0.5, 2.0, 3)])
    return cases


@pytest.mark.parametrize("name", sorted(_gradient_cases()))
def test_gradients_first_and_second_order(name):
    func, inputs = _gradient_cases()[name]
    assert ad.gradcheck(func, inputs)
    if not name.startswith("Laplace"):            # |x| has no second derivative at 0
        assert ad.gradgradcheck(func, inputs)


def test_student_t_gradients_agree_with_hips_autograd():
    agrad = pytest.importorskip("autograd")
    astats = pytest.importorskip("autograd.scipy.stats")
    aspecial = pytest.importorskip("autograd.scipy.special")
    anp = pytest.importorskip("autograd.numpy")
    x, params = RNG.uniform(-2.0, 2.0, 5), np.array([3.5, 0.2, 1.3])

    def their_entropy(p):
        df, scale = p[0], p[2]
        return (anp.log(scale) + (df + 1) / 2 * (aspecial.digamma((df + 1) / 2)
                                                  - aspecial.digamma(df / 2))
                + 0.5 * anp.log(df) + aspecial.betaln(df / 2, 0.5))

    for ours, theirs in [(lambda t: t.log_prob(x).sum(),
                          lambda p: astats.t.logpdf(x, *p).sum()),
                         (lambda t: t.entropy(), their_entropy)]:
        tensors = [ad.tensor(v, requires_grad=True) for v in params]
        ours(StudentT(*tensors)).backward()
        grads = [0.0 if t.grad is None else t.grad for t in tensors]   # entropy has no loc
        np.testing.assert_allclose(grads, agrad.grad(theirs)(params),
                                   rtol=1e-10, atol=1e-14)


# ----- errors ------------------------------------------------------------------------

def test_bad_parameters_and_values_are_refused():
    with pytest.raises(ValueError, match=r"Laplace: scale must be > 0; got -1.0 at index \(1,\)"):
        Laplace(0.0, [1.0, -1.0])
    with pytest.raises(ValueError, match="Gumbel: loc must not be NaN"):
        Gumbel(np.nan, 1.0)
    with pytest.raises(ValueError, match="HalfNormal: scale must be > 0; got 0.0"):
        HalfNormal(0.0)
    with pytest.raises(ValueError, match="StudentT: df must be > 0; got nan"):
        StudentT(np.nan)
    with pytest.raises(ValueError, match=r"LogNormal.log_prob: values must be > 0 \(the "
                                         r"support\); got 0.0 at index \(1,\)"):
        LogNormal(0.0, 1.0).log_prob([1.0, 0.0])
    with pytest.raises(ValueError, match="HalfNormal.log_prob: values must be ≥ 0"):
        HalfNormal(1.0).log_prob(-0.1)
    with pytest.raises(ValueError, match="Cauchy.log_prob: values must be real numbers, not NaN"):
        Cauchy(0.0, 1.0).log_prob(np.nan)
    with pytest.raises(ValueError, match="do not broadcast with batch_shape"):
        Laplace(np.zeros(2), 1.0).log_prob(np.zeros(3))
    with pytest.raises(ValueError, match="parameter shapes .* do not broadcast"):
        Cauchy(np.zeros(2), np.ones(3))
    with pytest.raises(TypeError, match="Gumbel.rsample: sample_shape must be"):
        Gumbel(0.0, 1.0).rsample((1.5,))
    assert HalfNormal(1.0).log_prob(0.0).item() == pytest.approx(math.log(2) - 0.5 * LOG_2PI)


def test_student_t_rsample_refuses_a_df_that_needs_its_gradient():
    df = ad.tensor(3.0, requires_grad=True)
    with pytest.raises(NotImplementedError, match=r"StudentT.rsample: df requires grad.*"
                                                  r"df.detach\(\)"):
        StudentT(df).rsample((2,), rng=0)
    loc = ad.tensor(1.0, requires_grad=True)
    z = StudentT(df.detach(), loc, 2.0).rsample((3,), rng=0)
    z.sum().backward()
    assert loc.grad == 3.0


def test_kl_between_families_without_a_closed_form_names_both():
    with pytest.raises(NotImplementedError, match=r"no closed form for \(Laplace, Gumbel\).*"
                                                  r"\(Laplace, Laplace\)"):
        kl_divergence(Laplace(0.0, 1.0), Gumbel(0.0, 1.0))
    with pytest.raises(NotImplementedError, match=r"no closed form for \(StudentT, StudentT\)"):
        kl_divergence(StudentT(3.0), StudentT(4.0))
