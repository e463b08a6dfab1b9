"""ad.distributions: closed forms, sampling statistics, gradients, and clear errors."""

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff.distributions import Bernoulli, Categorical, Normal, kl_divergence

RNG = np.random.default_rng(3)
LOG_2PI = math.log(2 * math.pi)


def np_log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


# ----- closed forms written out in NumPy ---------------------------------------------

def test_normal_log_prob_entropy_kl_match_closed_forms():
    loc, scale = RNG.standard_normal((2, 3)), RNG.uniform(0.3, 2.0, 3)
    x = RNG.standard_normal((4, 2, 3))
    p = Normal(loc, scale)
    assert p.batch_shape == (2, 3)
    want = -(x - loc) ** 2 / (2 * scale ** 2) - np.log(scale) - 0.5 * LOG_2PI
    np.testing.assert_allclose(p.log_prob(x).data, want, rtol=1e-13)
    np.testing.assert_allclose(p.entropy().data,
                               np.broadcast_to(0.5 * np.log(2 * np.pi * np.e * scale ** 2),
                                               (2, 3)), rtol=1e-13)
    loc_q, scale_q = RNG.standard_normal(3), RNG.uniform(0.3, 2.0, (2, 3))
    kl = kl_divergence(p, Normal(loc_q, scale_q)).data
    want_kl = (np.log(scale_q / scale) + (scale ** 2 + (loc - loc_q) ** 2) / (2 * scale_q ** 2)
               - 0.5)
    np.testing.assert_allclose(kl, want_kl, rtol=1e-12)
    assert kl_divergence(p, p).data == pytest.approx(np.zeros((2, 3)), abs=1e-15)
    np.testing.assert_allclose(p.mean.data, loc)
    np.testing.assert_allclose(p.stddev.data, np.broadcast_to(scale, (2, 3)))
    np.testing.assert_allclose(p.variance.data, np.broadcast_to(scale ** 2, (2, 3)))


@pytest.mark.parametrize("parameterization", ["probs", "logits"])
def test_bernoulli_log_prob_entropy_kl_match_closed_forms(parameterization):
    prob = RNG.uniform(0.05, 0.95, (2, 3))
    kwargs = ({"probs": prob} if parameterization == "probs"
              else {"logits": np.log(prob) - np.log1p(-prob)})
    p = Bernoulli(**kwargs)
    assert p.batch_shape == (2, 3)
    x = (RNG.random((5, 2, 3)) < 0.5).astype(float)
    np.testing.assert_allclose(p.log_prob(x).data,
                               x * np.log(prob) + (1 - x) * np.log1p(-prob), rtol=1e-12)
    np.testing.assert_allclose(p.entropy().data,
                               -prob * np.log(prob) - (1 - prob) * np.log1p(-prob), rtol=1e-12)
    q = RNG.uniform(0.05, 0.95, 3)
    want = prob * np.log(prob / q) + (1 - prob) * np.log((1 - prob) / (1 - q))
    np.testing.assert_allclose(kl_divergence(p, Bernoulli(probs=q)).data, want,
                               rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(p.mean.data, prob, rtol=1e-12)
    np.testing.assert_allclose(p.variance.data, prob * (1 - prob), rtol=1e-12)


def test_bernoulli_certain_outcomes_follow_pytorchs_clamp():
    p = Bernoulli(probs=np.array([0.0, 1.0]))
    assert np.all(np.abs(p.log_prob(np.array([0.0, 1.0])).data) < 1e-15)   # certain: log 1
    impossible = p.log_prob(np.array([1.0, 0.0])).data
    np.testing.assert_allclose(impossible, np.log(np.finfo(float).eps), rtol=1e-6)
    np.testing.assert_allclose(p.entropy().data, 0.0, atol=1e-13)
    assert np.isfinite(kl_divergence(p, Bernoulli(probs=[0.5, 0.5])).data).all()


@pytest.mark.parametrize("parameterization", ["probs", "logits"])
def test_categorical_log_prob_entropy_kl_match_closed_forms(parameterization):
    weights = RNG.uniform(0.1, 2.0, (2, 4))
    prob = weights / weights.sum(-1, keepdims=True)
    p = (Categorical(probs=weights) if parameterization == "probs"      # normalized for us
         else Categorical(logits=np.log(weights) + 3.0))                # any shift is fine
    assert p.batch_shape == (2,) and p.num_categories == 4
    np.testing.assert_allclose(p.probs.data, prob, rtol=1e-12)
    x = np.array([[0, 3], [2, 2], [1, 0]])                               # (3, 2): batch broadcast
    want = np.log(prob)[np.arange(2), x]
    np.testing.assert_allclose(p.log_prob(x).data, want, rtol=1e-12)
    np.testing.assert_allclose(p.entropy().data, -(prob * np.log(prob)).sum(-1), rtol=1e-12)
    q_logits = RNG.standard_normal(4)
    q = np.exp(np_log_softmax(q_logits))
    np.testing.assert_allclose(kl_divergence(p, Categorical(logits=q_logits)).data,
                               (prob * np.log(prob / q)).sum(-1), rtol=1e-10)
    assert np.isnan(p.mean.data).all() and p.mean.shape == (2,)       # PyTorch's convention


def test_categorical_masked_logits_give_finite_entropy_and_gradients():
    logits = ad.tensor([0.0, -np.inf, 1.0], requires_grad=True)
    p = Categorical(logits=logits)
    prob = np.exp(np_log_softmax(np.array([0.0, -np.inf, 1.0])))
    want = -(prob[[0, 2]] * np.log(prob[[0, 2]])).sum()
    entropy = p.entropy()
    assert entropy.item() == pytest.approx(want, rel=1e-12)
    entropy.backward()
    assert np.isfinite(logits.grad).all() and logits.grad[1] == 0
    assert kl_divergence(p, p).item() == 0.0
    assert p.log_prob(1).item() == -np.inf


def test_against_scipy_stats():
    stats = pytest.importorskip("scipy.stats")
    loc, scale, x = 0.3, 1.7, RNG.standard_normal(6)
    np.testing.assert_allclose(Normal(loc, scale).log_prob(x).data,
                               stats.norm.logpdf(x, loc, scale), rtol=1e-12)
    assert Normal(loc, scale).entropy().item() == pytest.approx(stats.norm.entropy(loc, scale))
    k = np.array([0.0, 1.0, 1.0])
    np.testing.assert_allclose(Bernoulli(probs=0.3).log_prob(k).data,
                               stats.bernoulli.logpmf(k, 0.3), rtol=1e-12)
    assert Bernoulli(probs=0.3).entropy().item() == pytest.approx(stats.bernoulli.entropy(0.3))
    p, q = np.array([0.1, 0.6, 0.3]), np.array([0.3, 0.3, 0.4])
    assert Categorical(probs=p).entropy().item() == pytest.approx(stats.entropy(p))
    assert kl_divergence(Categorical(probs=p), Categorical(probs=q)).item() == \
        pytest.approx(stats.entropy(p, q))


# ----- sampling ----------------------------------------------------------------------

N_SAMPLES = 200_000     # standard errors below are ~0.2% of the scale; we allow 5 of them


def test_normal_samples_have_the_right_mean_and_variance():
    loc, scale = np.array([-1.0, 0.0, 2.5]), np.array([0.5, 1.0, 3.0])
    p = Normal(loc, scale)
    for draw in (p.sample, p.rsample):
        x = draw((N_SAMPLES,), rng=1).data
        assert x.shape == (N_SAMPLES, 3)
        se_mean = scale / np.sqrt(N_SAMPLES)
        se_var = scale ** 2 * np.sqrt(2 / (N_SAMPLES - 1))    # for normal data
        assert np.all(np.abs(x.mean(0) - loc) < 5 * se_mean)
        assert np.all(np.abs(x.var(0, ddof=1) - scale ** 2) < 5 * se_var)


def test_bernoulli_and_categorical_sample_frequencies():
    prob = np.array([0.05, 0.5, 0.9])
    x = Bernoulli(probs=prob).sample(N_SAMPLES, rng=2).data
    assert x.shape == (N_SAMPLES, 3) and set(np.unique(x)) <= {0.0, 1.0}
    assert np.all(np.abs(x.mean(0) - prob) < 5 * np.sqrt(prob * (1 - prob) / N_SAMPLES))
    cat = np.array([[0.1, 0.2, 0.7], [0.0, 1.0, 0.0]])
    k = Categorical(probs=cat).sample((N_SAMPLES,), rng=3).data
    assert k.shape == (N_SAMPLES, 2) and k.dtype == np.int64
    freq = np.stack([np.bincount(k[:, i], minlength=3) / N_SAMPLES for i in range(2)])
    assert np.all(np.abs(freq - cat) <= 5 * np.sqrt(cat * (1 - cat) / N_SAMPLES))
    assert (k[:, 1] == 1).all()                                  # a category of prob 1


def test_sample_is_a_constant_and_seeds_repeat():
    loc = ad.tensor([0.0, 1.0], requires_grad=True)
    p = Normal(loc, 1.0)
    s = p.sample((3,), rng=5)
    assert not s.requires_grad and s.shape == (3, 2)
    np.testing.assert_array_equal(s.data, p.sample((3,), rng=np.random.default_rng(5)).data)
    np.testing.assert_array_equal(s.data, p.sample(sample_shape=(3,), rng=5).data)
    assert p.rsample((3,), rng=5).requires_grad
    np.testing.assert_array_equal(s.data, p.rsample((3,), rng=5).data)
    ad.nn.manual_seed(11)
    a = p.sample()
    ad.nn.manual_seed(11)
    assert a.data.tolist() == p.sample().data.tolist()       # rng=None: the library's generator
    f32 = Normal(np.zeros(2, np.float32), np.float32(1))
    assert f32.sample(rng=0).dtype == np.float32 and f32.rsample(rng=0).dtype == np.float32
    for p32 in (Normal(ad.tensor([0.0], dtype="float32"), 1.0),      # a Python number
                Normal(0.0, ad.tensor([1.0], dtype="float32"))):     # follows the tensor
        assert p32.log_prob(np.float32(0.5)).dtype == np.float32
    with pytest.raises(TypeError, match="rng must be None, an int seed"):
        p.sample(rng="seed")


# ----- gradients ---------------------------------------------------------------------

def test_rsample_gradients_gradchecked_with_a_fixed_rng():
    loc, scale = RNG.standard_normal((2, 1)), RNG.uniform(0.5, 2.0, 3)

    def f(loc, scale):
        z = Normal(loc, scale).rsample((4,), rng=0)            # the same eps every call
        return (ad.tanh(z) * z).sum(axis=0)

    assert ad.gradcheck(f, [loc, scale])
    assert ad.gradgradcheck(f, [loc, scale])


def test_rsample_is_loc_plus_scale_times_eps():
    loc, scale = ad.tensor(1.5, requires_grad=True), ad.tensor(0.5, requires_grad=True)
    z = Normal(loc, scale).rsample((6,), rng=4)
    eps = np.random.default_rng(4).standard_normal(6)
    np.testing.assert_allclose(z.data, 1.5 + 0.5 * eps, rtol=1e-15)
    z.sum().backward()
    assert loc.grad == 6.0 and scale.grad == pytest.approx(eps.sum(), rel=1e-14)


def test_log_prob_of_its_own_rsample_has_exactly_zero_gradient_wrt_loc():
    loc = ad.tensor(RNG.standard_normal(3), requires_grad=True)
    scale = ad.tensor(RNG.uniform(0.5, 2.0, 3), requires_grad=True)
    p = Normal(loc, scale)
    p.log_prob(p.rsample((5,), rng=0)).sum().backward()
    assert (loc.grad == 0).all()                          # mu cancels in (mu + s eps - mu) / s
    np.testing.assert_allclose(scale.grad, -5 / scale.data, rtol=1e-12)  # only -log(scale)
    # ... while log_prob of a constant (sample(), or data) depends on loc:
    loc.zero_grad()
    x = p.sample((5,), rng=0)
    p.log_prob(x).sum().backward()
    np.testing.assert_allclose(loc.grad, ((x.data - loc.data) / scale.data ** 2).sum(0),
                               rtol=1e-12)
    assert (loc.grad != 0).all()


def _log_prob_funcs():
    x_normal = RNG.standard_normal((4, 3))
    x_binary = (RNG.random((4, 3)) < 0.4).astype(float)
    x_cat = np.array([[0, 2], [1, 1], [2, 0]])
    return {
        "normal(loc, scale, x)": (lambda loc, scale, x: Normal(loc, scale).log_prob(x),
                                  [RNG.standard_normal(3), RNG.uniform(0.5, 2, (1, 3)),
                                   x_normal]),
        "bernoulli(logits)": (lambda z: Bernoulli(logits=z).log_prob(x_binary),
                              [RNG.standard_normal(3)]),
        "bernoulli(probs)": (lambda p: Bernoulli(probs=p).log_prob(x_binary),
                             [RNG.uniform(0.2, 0.8, 3)]),
        "categorical(logits)": (lambda z: Categorical(logits=z).log_prob(x_cat),
                                [RNG.standard_normal((2, 3))]),
        "categorical(probs)": (lambda p: Categorical(probs=p).log_prob(x_cat),
                               [RNG.uniform(0.2, 1.0, (2, 3))]),
        "normal entropy": (lambda s: Normal(0.0, s).entropy(), [RNG.uniform(0.5, 2, 3)]),
        "bernoulli entropy": (lambda z: Bernoulli(logits=z).entropy(), [RNG.standard_normal(3)]),
        "categorical entropy": (lambda z: Categorical(logits=z).entropy(),
                                [RNG.standard_normal((2, 3))]),
        "normal kl": (lambda a, b, c, d: kl_divergence(Normal(a, b), Normal(c, d)),
                      [RNG.standard_normal(3), RNG.uniform(0.5, 2, 3), RNG.standard_normal(()),
                       RNG.uniform(0.5, 2, 3)]),
        "bernoulli kl": (lambda a, b: kl_divergence(Bernoulli(logits=a), Bernoulli(logits=b)),
                         [RNG.standard_normal(3), RNG.standard_normal(3)]),
        "categorical kl": (lambda a, b: kl_divergence(Categorical(logits=a),
                                                      Categorical(logits=b)),
                           [RNG.standard_normal((2, 3)), RNG.standard_normal(3)]),
        "categorical kl (probs)": (lambda a, b: kl_divergence(Categorical(probs=a),
                                                              Categorical(probs=b)),
                                   [RNG.uniform(0.2, 1, 3), RNG.uniform(0.2, 1, 3)]),
    }


@pytest.mark.parametrize("name", sorted(_log_prob_funcs()))
def test_gradients_first_and_second_order(name):
    func, inputs = _log_prob_funcs()[name]
    assert ad.gradcheck(func, inputs)
    assert ad.gradgradcheck(func, inputs)


def test_normal_log_prob_gradient_agrees_with_hips_autograd():
    agrad = pytest.importorskip("autograd")
    norm = pytest.importorskip("autograd.scipy.stats.norm")
    x, loc, scale = RNG.standard_normal(4), 0.2, 1.3

    def theirs(params):
        return norm.logpdf(x, params[0], params[1]).sum()

    loc_t = ad.tensor(loc, requires_grad=True)
    scale_t = ad.tensor(scale, requires_grad=True)
    Normal(loc_t, scale_t).log_prob(x).sum().backward()
    np.testing.assert_allclose([loc_t.grad, scale_t.grad],
                               agrad.grad(theirs)(np.array([loc, scale])), rtol=1e-12)


# ----- errors ------------------------------------------------------------------------

def test_clear_errors():
    with pytest.raises(ValueError, match=r"Normal: scale .* must be > 0; got -1.0 at index \(1,\)"):
        Normal(0.0, [1.0, -1.0])
    with pytest.raises(ValueError, match=r"Normal: scale .* must be > 0; got nan"):
        Normal(0.0, np.nan)
    with pytest.raises(ValueError, match=r"parameter shapes .* do not broadcast"):
        Normal(np.zeros(2), np.ones(3))
    with pytest.raises(TypeError, match="loc must be a float tensor"):
        Normal(ad.tensor([1, 2]), 1.0)
    for cls in (Bernoulli, Categorical):
        with pytest.raises(ValueError, match=f"{cls.__name__}: pass exactly one of .*both"):
            cls(probs=[0.5], logits=[0.0])
        with pytest.raises(ValueError, match="exactly one of .*neither"):
            cls()
    with pytest.raises(ValueError, match=r"Bernoulli: probs must lie in \[0, 1\]; got 1.5"):
        Bernoulli(probs=[0.2, 1.5])
    with pytest.raises(ValueError, match="Bernoulli.log_prob: values must be 0 or 1; got 0.5"):
        Bernoulli(probs=0.5).log_prob([1.0, 0.5])
    with pytest.raises(ValueError, match=r"Categorical: probs must be ≥ 0"):
        Categorical(probs=[0.5, -0.1])
    with pytest.raises(ValueError, match="positive sum"):
        Categorical(probs=[0.0, 0.0])
    with pytest.raises(ValueError, match="at least one dimension"):
        Categorical(logits=1.0)
    with pytest.raises(ValueError, match=r"indices in \[0, 3\).*range \[0, 3\]"):
        Categorical(logits=np.zeros(3)).log_prob([0, 3])
    with pytest.raises(ValueError, match="do not broadcast with batch_shape"):
        Categorical(logits=np.zeros((2, 3))).log_prob([0, 1, 2])
    with pytest.raises(NotImplementedError, match=r"no closed form for \(Normal, Bernoulli\)"):
        kl_divergence(Normal(0.0, 1.0), Bernoulli(probs=0.5))
    with pytest.raises(ValueError, match="3 and 2 categories"):
        kl_divergence(Categorical(logits=np.zeros(3)), Categorical(logits=np.zeros(2)))
    for dist in (Bernoulli(probs=0.5), Categorical(probs=[0.5, 0.5])):
        with pytest.raises(NotImplementedError, match="score-function .*relaxation"):
            dist.rsample()


def test_kl_is_inf_where_q_never_takes_an_event_p_takes():
    D = ad.distributions
    cases = [
        (D.Categorical(logits=[0.0, 0.0, 0.0]), D.Categorical(logits=[-np.inf, 0.0, 0.0])),
        (D.Categorical(probs=[0.0, 0.2, 0.8]), D.Categorical(probs=[0.5, 0.0, 0.5])),
        (D.Bernoulli(probs=0.2), D.Bernoulli(probs=0.0)),
        (D.Bernoulli(probs=0.3), D.Bernoulli(probs=1.0))]
    for p, q in cases:
        assert float(D.kl_divergence(p, q).data) == np.inf
    # An event p never takes costs nothing, and a finite logit is only unlikely.
    np.testing.assert_allclose(
        float(D.kl_divergence(D.Categorical(probs=[0.0, 0.5, 0.5]),
                              D.Categorical(probs=[0.0, 0.5, 0.5])).data), 0.0, atol=1e-15)
    np.testing.assert_allclose(float(D.kl_divergence(D.Bernoulli(logits=-100.0),
                                                     D.Bernoulli(logits=100.0)).data), 100.0)
    np.testing.assert_allclose(float(D.kl_divergence(D.Bernoulli(probs=1.0),
                                                     D.Bernoulli(probs=0.3)).data),
                               np.log(1 / 0.3))


@pytest.mark.parametrize("make", [
    lambda D: D.Normal(np.nan, 1.0), lambda D: D.Bernoulli(logits=np.nan),
    lambda D: D.Categorical(logits=[0.5, np.nan])], ids=["Normal loc", "Bernoulli", "Categorical"])
def test_nan_parameters_are_refused(make):
    with pytest.raises(ValueError, match="must not be NaN"):
        make(ad.distributions)
