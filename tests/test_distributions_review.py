"""ad.distributions: inputs PyTorch refuses are refused (never a silent NaN or a
truncated shape), and Uniform / Exponential against closed forms."""

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff.distributions import (Bernoulli, Categorical, Exponential, Laplace, Normal, Uniform,
                                    kl_divergence)

RNG = np.random.default_rng(7)


# ----- refused inputs ----------------------------------------------------------------

@pytest.mark.parametrize("shape", [(2.5,), 3.0, (2, -1), "3"])
def test_a_sample_shape_that_is_not_non_negative_ints_is_refused(shape):
    # int() would have truncated (2.5,) to 2 samples; torch.Size refuses it.
    for dist, method in [(Normal(0.0, 1.0), "sample"), (Normal(0.0, 1.0), "rsample"),
                         (Bernoulli(probs=0.3), "sample"),
                         (Categorical(logits=[0.0, 1.0]), "sample"),
                         (Uniform(0.0, 1.0), "rsample"), (Exponential(1.0), "rsample")]:
        name = f"{type(dist).__name__}.{method}"
        with pytest.raises(TypeError, match=rf"{name}: sample_shape must be an int or a "
                                            r"tuple of non-negative ints"):
            getattr(dist, method)(shape, rng=0)
    assert Normal(0.0, 1.0).sample(np.int64(3), rng=0).shape == (3,)
    assert Normal(0.0, 1.0).sample([2, np.int32(1)], rng=0).shape == (2, 1)
    assert Normal(0.0, 1.0).sample((0,), rng=0).shape == (0,)


def test_categorical_probs_that_are_infinite_or_overflow_are_refused():
    # They gave probs [nan, 0] and [0, 0] without an error.
    with pytest.raises(ValueError, match=r"Categorical: probs must be ≥ 0 and finite; "
                                         r"got inf at index \(0,\)"):
        Categorical(probs=[np.inf, 1.0])
    with pytest.raises(ValueError, match="positive sum that is finite .* got a sum of inf"):
        Categorical(probs=[1e308, 1e308])
    np.testing.assert_allclose(Categorical(probs=[1e307, 3e307]).probs.data, [0.25, 0.75])


def test_categorical_logits_of_plus_inf_or_a_row_of_minus_inf_are_refused():
    # They gave NaN probabilities; PyTorch refuses both.
    with pytest.raises(ValueError, match=r"Categorical: logits must not be NaN or \+inf; "
                                         r"got inf at index \(1,\)"):
        Categorical(logits=[0.0, np.inf])
    with pytest.raises(ValueError, match=r"every logit of a row is -inf \(row \(1,\)\)"):
        Categorical(logits=[[0.0, -np.inf], [-np.inf, -np.inf]])
    with pytest.raises(ValueError, match="every logit of a row is -inf, so no category"):
        Categorical(logits=[-np.inf, -np.inf])
    masked = Categorical(logits=[0.0, -np.inf])             # one -inf still masks
    assert masked.log_prob(1).item() == -np.inf and masked.log_prob(0).item() == 0.0


def test_normal_log_prob_of_nan_is_refused():
    # It returned NaN; PyTorch raises (NaN is outside the support).
    with pytest.raises(ValueError, match=r"Normal.log_prob: values must be real numbers, "
                                         r"not NaN .*got nan at index \(1,\)"):
        Normal(0.0, 1.0).log_prob(np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="not NaN"):
        Normal(0.0, 1.0).log_prob(ad.tensor(np.nan))
    assert Normal(0.0, 1.0).log_prob(np.inf).item() == -np.inf     # inf is in the support


@pytest.mark.parametrize("logit", [np.inf, -np.inf])
def test_bernoulli_infinite_logits_are_refused(logit):
    # log_prob and entropy were inf - inf = NaN.
    with pytest.raises(ValueError, match=r"Bernoulli: logits must not be NaN or infinite; "
                                         r"got -?inf at index \(1,\) .*certain, pass probs="):
        Bernoulli(logits=[0.0, logit])
    certain = Bernoulli(probs=float(logit > 0))
    assert certain.log_prob(float(logit > 0)).item() == pytest.approx(0.0, abs=1e-15)
    assert certain.entropy().item() == pytest.approx(0.0, abs=1e-13)


# ----- Uniform -----------------------------------------------------------------------

def test_uniform_closed_forms():
    low, high = RNG.uniform(-2, 0, (2, 3)), RNG.uniform(0.5, 3, 3)
    u = Uniform(low, high)
    assert u.batch_shape == (2, 3)
    width = high - low
    x = low + RNG.random((4, 2, 3)) * width
    np.testing.assert_allclose(u.log_prob(x).data, np.broadcast_to(-np.log(width), x.shape),
                               rtol=1e-14)
    np.testing.assert_allclose(u.entropy().data, np.log(width), rtol=1e-14)
    np.testing.assert_allclose(u.mean.data, (low + high) / 2, rtol=1e-14)
    np.testing.assert_allclose(u.variance.data, width ** 2 / 12, rtol=1e-14)
    np.testing.assert_allclose(u.stddev.data, width / math.sqrt(12), rtol=1e-14)
    # PyTorch's convention: the density is 0 at high, and low is in the support.
    np.testing.assert_array_equal(
        Uniform(0.0, 2.0).log_prob(np.array([0.0, 2.0])).data, [-math.log(2.0), -np.inf])
    stats = pytest.importorskip("scipy.stats")
    assert u.entropy().data[0, 0] == pytest.approx(
        stats.uniform.entropy(low[0, 0], width[0, 0]), rel=1e-14)


def test_uniform_kl():
    p, q = Uniform(0.0, np.array([1.0, 2.0, 1.0])), Uniform(np.array([-1.0, 0.0, 0.5]), 3.0)
    want = [math.log(4.0), math.log(3.0 / 2.0), np.inf]       # q misses [0, 0.5) of p
    np.testing.assert_allclose(kl_divergence(p, q).data, want, rtol=1e-14)
    assert kl_divergence(q, p).data.tolist() == [np.inf] * 3
    assert kl_divergence(p, p).data.tolist() == [0.0] * 3


def test_uniform_sampling_and_rsample_gradients():
    u = Uniform(np.array([0.0, -2.0]), np.array([1.0, 6.0]))
    x = u.sample(100_000, rng=1).data
    assert x.shape == (100_000, 2) and not u.sample(rng=1).requires_grad
    assert (x >= [0.0, -2.0]).all() and (x < [1.0, 6.0]).all()
    se = np.array([1.0, 8.0]) / math.sqrt(12 * 100_000)
    assert np.all(np.abs(x.mean(0) - [0.5, 2.0]) < 5 * se)
    low = ad.tensor(1.0, requires_grad=True)
    high = ad.tensor(3.0, requires_grad=True)
    z = Uniform(low, high).rsample((5,), rng=2)
    unit = np.random.default_rng(2).random(5)
    np.testing.assert_allclose(z.data, 1.0 + 2.0 * unit, rtol=1e-15)   # low + u (high - low)
    z.sum().backward()
    assert low.grad == pytest.approx((1 - unit).sum()) and high.grad == pytest.approx(unit.sum())
    f32 = Uniform(np.zeros(3, np.float32), 1.0)
    for draw in (f32.sample, f32.rsample):
        assert draw((4,), rng=0).dtype == np.float32
    assert f32.log_prob(np.float64(0.5)).dtype == np.float32 and f32.entropy().dtype == np.float32


def test_uniform_errors():
    with pytest.raises(ValueError, match=r"Uniform: low must be < high; got low = 2.0, "
                                         r"high = 1.0 at index \(1,\)"):
        Uniform([0.0, 2.0], 1.0)
    for low in (1.0, np.nan):
        with pytest.raises(ValueError, match="low must be < high"):
            Uniform(low, 1.0)
    with pytest.raises(ValueError, match=r"Uniform.log_prob: values must lie in \[low, high\]; "
                                         r"got 1.5 for \[0.0, 1.0\] at index \(1,\)"):
        Uniform(0.0, 1.0).log_prob([0.5, 1.5])
    with pytest.raises(ValueError, match="do not broadcast with batch_shape"):
        Uniform(np.zeros(2), 1.0).log_prob(np.zeros(3))


# ----- Exponential -------------------------------------------------------------------

def test_exponential_closed_forms_and_kl():
    rate = RNG.uniform(0.2, 3.0, (2, 3))
    e = Exponential(rate)
    x = RNG.exponential(1.0, (4, 2, 3))
    np.testing.assert_allclose(e.log_prob(x).data, np.log(rate) - rate * x, rtol=1e-13)
    np.testing.assert_allclose(e.entropy().data, 1 - np.log(rate), rtol=1e-13)
    np.testing.assert_allclose(e.mean.data, 1 / rate, rtol=1e-14)
    np.testing.assert_allclose(e.stddev.data, 1 / rate, rtol=1e-14)
    np.testing.assert_allclose(e.variance.data, rate ** -2.0, rtol=1e-14)
    q = RNG.uniform(0.2, 3.0, 3)
    np.testing.assert_allclose(kl_divergence(e, Exponential(q)).data,
                               np.log(rate / q) + q / rate - 1, rtol=1e-12)
    stats = pytest.importorskip("scipy.stats")
    np.testing.assert_allclose(e.log_prob(x).data, stats.expon.logpdf(x, scale=1 / rate),
                               rtol=1e-13)
    assert Exponential(2.0).log_prob(0.0).item() == pytest.approx(math.log(2.0))


def test_exponential_sampling_rsample_and_errors():
    rate = np.array([0.5, 4.0])
    x = Exponential(rate).sample((100_000,), rng=3).data
    assert x.shape == (100_000, 2) and (x >= 0).all()
    assert np.all(np.abs(x.mean(0) - 1 / rate) < 5 / (rate * math.sqrt(100_000)))
    r = ad.tensor(2.0, requires_grad=True)
    z = Exponential(r).rsample((4,), rng=5)
    eps = np.random.default_rng(5).standard_exponential(4)
    np.testing.assert_allclose(z.data, eps / 2.0, rtol=1e-15)
    z.sum().backward()
    assert r.grad == pytest.approx(-eps.sum() / 4.0)              # d(eps / r)/dr
    f32 = Exponential(np.ones(2, np.float32))
    assert f32.sample(rng=0).dtype == np.float32 and f32.rsample(rng=0).dtype == np.float32
    with pytest.raises(ValueError, match=r"Exponential: rate .* must be > 0; got 0.0 at "
                                         r"index \(1,\)"):
        Exponential([1.0, 0.0])
    with pytest.raises(ValueError, match=r"Exponential.log_prob: values must be ≥ 0 .*got "
                                         r"-0.5 at index \(1,\)"):
        Exponential(1.0).log_prob([1.0, -0.5])
    with pytest.raises(NotImplementedError, match=r"no closed form for \(Exponential, Laplace\)"
                                                  r".*\(Exponential, Exponential\)"):
        kl_divergence(Exponential(1.0), Laplace(0.0, 1.0))


@pytest.mark.parametrize("name", ["uniform log_prob", "uniform entropy", "uniform kl",
                                  "uniform rsample", "exponential log_prob",
                                  "exponential entropy", "exponential kl",
                                  "exponential rsample"])
def test_gradients_first_and_second_order(name):
    low, high = RNG.uniform(-1, 0, 3), RNG.uniform(1, 2, 3)
    funcs = {
        "uniform log_prob": (lambda a, b: Uniform(a, b).log_prob(np.full((2, 3), 0.5)),
                             [low, high]),
        "uniform entropy": (lambda a, b: Uniform(a, b).entropy(), [low, high]),
        "uniform kl": (lambda a, b: kl_divergence(Uniform(a, b), Uniform(-2.0, 3.0)),
                       [low, high]),
        "uniform rsample": (lambda a, b: Uniform(a, b).rsample((2,), rng=0) ** 2,
                            [low, high]),
        "exponential log_prob": (lambda r, x: Exponential(r).log_prob(x),
                                 [RNG.uniform(0.5, 2, 3), RNG.uniform(0.1, 2, (2, 3))]),
        "exponential entropy": (lambda r: Exponential(r).entropy(), [RNG.uniform(0.5, 2, 3)]),
        "exponential kl": (lambda a, b: kl_divergence(Exponential(a), Exponential(b)),
                           [RNG.uniform(0.5, 2, 3), RNG.uniform(0.5, 2, (2, 1))]),
        "exponential rsample": (lambda r: ad.sin(Exponential(r).rsample((2,), rng=0)),
                                [RNG.uniform(0.5, 2, 3)]),
    }
    func, inputs = funcs[name]
    assert ad.gradcheck(func, inputs)
    assert ad.gradgradcheck(func, inputs)
