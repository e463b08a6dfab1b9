"""Regressions found reviewing Weibull, InverseGamma, NegativeBinomial, GeneralizedPareto
and the other recent families against ``torch.distributions``."""

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff.distributions import (Chi2, Gamma, GeneralizedPareto, Geometric, InverseGamma,
                                    NegativeBinomial)
from autodiff.gradcheck import numerical_grad


# ----- sample() of scalar parameters with sample_shape=() ----------------------------

SCALAR_FAMILIES = {
    "Gamma": lambda t: Gamma(t(2.0), t(1.5)),
    "Chi2": lambda t: Chi2(t(3.0)),
    "InverseGamma": lambda t: InverseGamma(t(2.0), t(1.5)),
    "NegativeBinomial": lambda t: NegativeBinomial(t(2.0), probs=t(0.3)),
    "NegativeBinomial r=0": lambda t: NegativeBinomial(t(0.0), logits=t(0.3)),
    "Geometric": lambda t: Geometric(t(0.3)),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("family", sorted(SCALAR_FAMILIES))
def test_scalar_parameters_sample_one_value_of_their_dtype(family, dtype):
    # A 0-d parameter broadcast to shape () made NumPy's sampler return a Python
    # number, and .astype raised AttributeError.
    dist = SCALAR_FAMILIES[family](lambda x: np.asarray(x, dtype))
    for shape in [(), (1,), (2, 3)]:
        draws = dist.sample(shape, rng=0)
        assert draws.shape == shape and draws.dtype == dtype
        assert np.all(draws.data >= 0)
    assert dist.sample().shape == ()
    if dist.has_rsample:
        assert dist.rsample(rng=0).shape == ()


def test_scalar_sample_draws_the_same_stream_as_a_batch():
    # The fix passes size= rather than broadcasting: the draws stay those of the seed.
    batch = Gamma(np.full(4, 2.0), 1.0).sample(rng=5).data
    scalar = Gamma(2.0, 1.0).sample((4,), rng=5).data
    np.testing.assert_array_equal(batch, scalar)


def test_scalar_samples_follow_their_distributions_moments():
    torch = pytest.importorskip("torch")
    nb = NegativeBinomial(2.0, probs=0.3)
    draws = np.array([nb.sample(rng=seed).item() for seed in range(4000)])
    reference = torch.distributions.NegativeBinomial(torch.tensor(2.0), probs=torch.tensor(0.3))
    assert abs(draws.mean() - reference.mean.item()) < 4 * math.sqrt(
        reference.variance.item() / draws.size)


# ----- GeneralizedPareto with a concentration that counts as 0 -------------------------

def _exact_log_prob(xi, z):
    return -(1 / xi + 1) * math.log1p(xi * z)


@pytest.mark.parametrize("xi", [1e-8, 3e-9, -1e-9])
def test_generalized_pareto_near_zero_concentration_far_in_the_tail(xi):
    # The first-order expansion in ξ was used for every z: at ξ = 1e-8, z = 1e9 it gave
    # log_prob = +4e9 (exact: -2.4e8) and cdf NaN.
    gp = GeneralizedPareto(0.0, 1.0, xi)
    upper = -1 / xi if xi < 0 else math.inf
    for z in [1e2, 1e4, 1e6, 1e8, 1e9, 1e10]:
        if z >= upper:
            continue
        got = gp.log_prob(z).item()
        assert got == pytest.approx(_exact_log_prob(xi, z), rel=1e-9)
        assert got < 0
        assert 0 <= gp.cdf(z).item() <= 1


def test_generalized_pareto_near_zero_matches_torch_where_torch_is_accurate():
    torch = pytest.importorskip("torch")
    loc, scale = np.float32(0.5), np.float32(2.0)
    values = np.array([0.5, 0.8, 3.0, 20.0], np.float32)
    for xi in [0.0, 1e-9, -1e-9]:
        ours = GeneralizedPareto(loc, scale, np.float32(xi))
        theirs = torch.distributions.GeneralizedPareto(torch.tensor(loc), torch.tensor(scale),
                                                       torch.tensor(np.float32(xi)))
        for method in ("log_prob", "cdf"):
            np.testing.assert_allclose(getattr(ours, method)(values).data,
                                       getattr(theirs, method)(torch.tensor(values)).numpy(),
                                       rtol=1e-6, atol=1e-7)


def test_generalized_pareto_icdf_of_one_is_the_top_of_the_support():
    # icdf(1) was NaN at ξ = 0 (0 · inf) and -inf at ξ = -1e-9 (PyTorch: +inf at both).
    torch = pytest.importorskip("torch")
    for xi in [0.0, 1e-9, 1e-12]:
        assert GeneralizedPareto(0.5, 2.0, xi).icdf(1.0).item() == math.inf
        reference = torch.distributions.GeneralizedPareto(0.5, 2.0, xi).icdf(torch.tensor(1.0))
        assert reference.item() == math.inf
    # ξ < 0: the support ends at loc - scale / ξ, reached at p = 1 by the exact formula
    # for every such ξ (PyTorch gives +inf where it rounds ξ to 0, outside its support).
    for xi in [-0.5, -1e-9]:
        gp = GeneralizedPareto(0.5, 2.0, xi)
        assert gp.icdf(1.0).item() == pytest.approx(0.5 - 2.0 / xi, rel=1e-12)
        assert gp.log_prob(gp.icdf(0.999).item()).item() < 0


@pytest.mark.parametrize("xi", [0.0, 1e-9, -1e-9, 5e-9])
@pytest.mark.parametrize("method", ["log_prob", "cdf", "icdf"])
def test_generalized_pareto_near_zero_gradients_match_central_differences(xi, method):
    # Values on both sides of the expansion's reach |ξ z| ≤ 1e-5.
    values = np.array([0.3, 2.0, 40.0]) if method != "icdf" else np.array([0.1, 0.5, 0.9])
    params = [np.array(0.1), np.array(1.5), np.array(xi)]

    def total(loc, scale, concentration):
        dist = GeneralizedPareto(loc, scale, concentration)
        return getattr(dist, method)(values + (0.1 if method != "icdf" else 0.0)).sum()

    tensors = [ad.tensor(p, requires_grad=True) for p in params]
    total(*tensors).backward()
    numeric = numerical_grad(total, params, eps=1e-7)
    for tensor, expected in zip(tensors, numeric):
        np.testing.assert_allclose(tensor.grad, expected, rtol=1e-5, atol=1e-6)


def test_generalized_pareto_far_tail_gradient_matches_central_differences():
    values = np.array([1e6, 1e8])            # |ξ z| = 0.01 and 1: the exact formula

    def total(loc, scale, concentration):
        return GeneralizedPareto(loc, scale, concentration).log_prob(values).sum()

    params = [np.array(0.0), np.array(1.0), np.array(1e-8)]
    tensors = [ad.tensor(p, requires_grad=True) for p in params]
    total(*tensors).backward()
    # A step in ξ far below ξ itself; loc and scale by the usual step.
    steps = [1e-4, 1e-6, 1e-12]
    for index, (tensor, step) in enumerate(zip(tensors, steps)):
        def along(x, index=index):
            return total(*[x if k == index else params[k] for k in range(3)])
        expected = numerical_grad(along, [params[index]], eps=step)
        np.testing.assert_allclose(tensor.grad, expected, rtol=1e-4)



@pytest.mark.parametrize("xi", [0.0, 2e-9])
@pytest.mark.parametrize("method", ["log_prob", "cdf", "icdf"])
def test_generalized_pareto_near_zero_hessian_matches_differences_of_the_gradient(xi, method):
    # With the first-order expansion alone, the second derivative in ξ at ξ ≈ 0 was 0
    # (exact for log_prob: -Σ (2 z³/3 - z²)); PyTorch's is 0 too (its ξ slope is 0).
    values = np.array([0.7, 1.5, 3.0]) if method != "icdf" else np.array([0.2, 0.5, 0.9])
    params = [np.array(0.1), np.array(1.3), np.array(xi)]

    def total(loc, scale, concentration):
        return getattr(GeneralizedPareto(loc, scale, concentration), method)(values).sum()

    def gradient(*arrays):
        tensors = [ad.tensor(a, requires_grad=True) for a in arrays]
        total(*tensors).backward()
        return np.array([t.grad for t in tensors])

    step = 1e-5                              # the differences leave |ξ| ≤ 1e-8: exact formulas
    differences = np.stack([
        (gradient(*[p + step * (k == i) for k, p in enumerate(params)])
         - gradient(*[p - step * (k == i) for k, p in enumerate(params)])) / (2 * step)
        for i in range(3)])
    hessian = ad.autograd.functional.hessian(total, tuple(ad.tensor(p) for p in params))
    ours = np.array([[float(hessian[i][j].data) for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(ours, differences, rtol=1e-4, atol=1e-5)
    assert abs(ours[2, 2]) > 0.1


# ----- rsample of a continuous family without one ------------------------------------

@pytest.mark.parametrize("make", [lambda: ad.distributions.VonMises(0.0, 1.0),
                                  lambda: ad.distributions.LKJCholesky(3, 1.0)])
def test_rsample_refusal_of_a_continuous_family_does_not_call_it_discrete(make):
    dist = make()
    with pytest.raises(NotImplementedError, match="no reparameterized sample") as caught:
        dist.rsample()
    assert "discrete" not in str(caught.value)
    with pytest.raises(NotImplementedError, match="is discrete"):
        ad.distributions.Poisson(2.0).rsample()


# ----- a Python float value keeps float32 parameters float32 ---------------------------

FLOAT32_FAMILIES = {
    "InverseGamma": lambda f: ad.distributions.InverseGamma(f(2.0), f(1.5)),
    "NegativeBinomial": lambda f: NegativeBinomial(f(2.0), probs=f(0.3)),
    "Poisson": lambda f: ad.distributions.Poisson(f(2.0)),
    "Binomial": lambda f: ad.distributions.Binomial(f(4.0), probs=f(0.3)),
    "Weibull": lambda f: ad.distributions.Weibull(f(1.0), f(2.0)),
}


@pytest.mark.parametrize("family", sorted(FLOAT32_FAMILIES))
def test_python_float_value_keeps_the_parameters_float32(family):
    # log(1.0) of a Python float is float64: InverseGamma, NegativeBinomial, Poisson and
    # Binomial returned float64 for float32 parameters (PyTorch keeps float32).
    torch = pytest.importorskip("torch")
    ours = FLOAT32_FAMILIES[family](np.float32)
    theirs = FLOAT32_FAMILIES[family](lambda x: torch.tensor(x, dtype=torch.float32))
    got = ours.log_prob(1.0)
    assert got.dtype == np.float32
    expected = theirs.log_prob(torch.tensor(1.0)).item()
    assert got.item() == pytest.approx(expected, rel=1e-6)
    wide = FLOAT32_FAMILIES[family](np.float64).log_prob(1.0)
    assert wide.dtype == np.float64


# ----- LKJCholesky float32 samples with a small concentration ------------------------

@pytest.mark.parametrize("dim", [2, 5])
def test_lkj_cholesky_float32_samples_stay_in_the_support(dim):
    # Correlations near ±1 left 1 - Σ w² below float64's tiny-clamped square root, which
    # rounded to a diagonal of 0 in float32: 17% of LKJCholesky(2, 0.05) samples were
    # outside the support, their log_prob +inf (or its own validation refused them).
    from autodiff.distributions_constraints import corr_cholesky
    lkj = ad.distributions.LKJCholesky(dim, np.float32(0.05))
    draws = lkj.sample((400,), rng=1)
    assert draws.dtype == np.float32
    assert np.all(np.diagonal(draws.data, axis1=-2, axis2=-1) > 0)
    assert np.all(corr_cholesky._holds(draws.data))
    assert np.all(np.isfinite(lkj.log_prob(draws).data))


# ----- constructor signatures as PyTorch's ---------------------------------------------

def test_validate_args_may_be_given_positionally_as_in_pytorch():
    torch = pytest.importorskip("torch")
    D = ad.distributions
    weibull = D.Weibull(1.0, 2.0, False)
    assert weibull._validate_args is False
    assert np.isnan(weibull.log_prob(-1.0).item())
    with pytest.raises(ValueError, match="must be > 0"):
        D.Weibull(1.0, 2.0, True).log_prob(-1.0)
    nb = D.NegativeBinomial(2.0, None, 0.3, False)           # total_count, probs, logits
    assert nb._validate_args is False and nb.logits.item() == pytest.approx(0.3)
    assert torch.distributions.NegativeBinomial(2.0, None, torch.tensor(0.3), False) \
        ._validate_args is False
    with pytest.raises(TypeError, match="Weibull"):
        D.Weibull(1.0, 2.0, False, validate_args=False)
    with pytest.raises(TypeError):
        D.Weibull(1.0, 2.0, False, True)                    # one too many


def test_independent_and_transformed_take_pytorchs_keyword_names():
    torch = pytest.importorskip("torch")
    D = ad.distributions
    T = torch.distributions
    independent = D.Independent(base_distribution=D.Normal(np.zeros(2), 1.0),
                                reinterpreted_batch_ndims=1)
    reference = T.Independent(base_distribution=T.Normal(torch.zeros(2, dtype=torch.float64),
                                                         1.0), reinterpreted_batch_ndims=1)
    x = np.array([0.3, -1.2])
    assert independent.log_prob(x).item() == pytest.approx(
        reference.log_prob(torch.tensor(x)).item(), rel=1e-12)
    transformed = D.TransformedDistribution(base_distribution=D.Normal(0.0, 1.0),
                                            transforms=[D.transforms.ExpTransform()])
    theirs = T.TransformedDistribution(base_distribution=T.Normal(0.0, 1.0),
                                       transforms=[T.transforms.ExpTransform()])
    assert transformed.log_prob(2.0).item() == pytest.approx(
        theirs.log_prob(torch.tensor(2.0)).item(), rel=1e-6)
