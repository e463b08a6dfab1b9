"""The public attributes of each distribution against torch.distributions' (what torch
has that ours lacks must be nothing but the differences listed here with a reason),
enumerate_support, perplexity and the moments that have no closed form."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import distributions as D

# Attributes torch's distributions have that ours do not, on purpose.
ON_EVERY_DISTRIBUTION = {
    "sample_n": "deprecated in PyTorch (it warns to use sample((n,)))",
    "set_default_validate_args": "ours always validate their arguments; there is no "
                                 "global switch to turn that off",
}
# torch's base class defines cdf / icdf to raise NotImplementedError; ours have them
# only where they exist, so that hasattr(d, "cdf") tells (TransformedDistribution's cdf
# relies on it).
NO_CDF = {"cdf": "no closed form here (torch's raises NotImplementedError)",
          "icdf": "no closed form here (torch's raises NotImplementedError)"}
# torch builds these as TransformedDistributions of another; ours compute them directly.
TRANSFORMED_IN_TORCH = {"base_dist": "torch builds it as a TransformedDistribution",
                        "transforms": "torch builds it as a TransformedDistribution"}
EXPECTED = {name: NO_CDF for name in
            ("Bernoulli", "Categorical", "StudentT", "Poisson", "Geometric", "Binomial",
             "OneHotCategorical", "MultivariateNormal", "Independent",
             "Beta", "Dirichlet", "ExpRelaxedCategorical", "LogitRelaxedBernoulli")}
EXPECTED.update({name: {"icdf": NO_CDF["icdf"]} for name in ("Gamma", "Chi2")})
EXPECTED.update({name: TRANSFORMED_IN_TORCH for name in ("LogNormal", "HalfNormal",
                                                         "Gumbel")})


def _all(d, tensor, relaxed):
    """One of each distribution that torch has too, built from ``d`` (ours or torch's)."""
    return [d.Normal(tensor(0.0), tensor(1.0)), d.Bernoulli(probs=tensor(0.3)),
            d.Categorical(probs=tensor([0.2, 0.3, 0.5])), d.Uniform(tensor(-1.0), tensor(2.0)),
            d.Exponential(tensor(1.5)), d.Laplace(tensor(0.0), tensor(1.0)),
            d.LogNormal(tensor(0.0), tensor(1.0)), d.HalfNormal(tensor(1.0)),
            d.Cauchy(tensor(0.0), tensor(1.0)), d.Gumbel(tensor(0.0), tensor(1.0)),
            d.StudentT(tensor(3.0)), d.Poisson(tensor(2.0)), d.Geometric(tensor(0.3)),
            d.Binomial(tensor(5.0), tensor(0.3)), d.OneHotCategorical(tensor([0.2, 0.8])),
            d.MultivariateNormal(tensor([0.0, 0.0]), tensor([[1.0, 0.2], [0.2, 1.0]])),
            d.Independent(d.Normal(tensor([0.0, 0.0]), tensor(1.0)), 1),
            d.Gamma(tensor(2.0), tensor(1.0)), d.Chi2(tensor(2.0)),
            d.Beta(tensor(1.0), tensor(2.0)), d.Dirichlet(tensor([1.0, 2.0])),
            d.LogisticNormal(tensor([0.0, 0.0]), tensor(1.0)),
            d.TransformedDistribution(d.Normal(tensor(0.0), tensor(1.0)),
                                      d.transforms.ExpTransform()),
            d.RelaxedBernoulli(tensor(0.5), probs=tensor(0.3)),
            d.RelaxedOneHotCategorical(tensor(0.5), probs=tensor([0.2, 0.8])),
            relaxed.ExpRelaxedCategorical(tensor(0.5), probs=tensor([0.2, 0.8])),
            relaxed.LogitRelaxedBernoulli(tensor(0.5), probs=tensor(0.3))]


def _public(obj) -> set:
    names = set()
    for name in dir(obj):
        if name.startswith("_"):
            continue
        try:
            getattr(obj, name)
        except AttributeError:
            continue
        except Exception:               # NotImplementedError and the like: it is there
            pass
        names.add(name)
    return names


def test_torchs_public_attributes_are_ours_but_the_listed_differences():
    torch = pytest.importorskip("torch")
    from torch.distributions import relaxed_bernoulli, relaxed_categorical

    class Relaxed:
        ExpRelaxedCategorical = relaxed_categorical.ExpRelaxedCategorical
        LogitRelaxedBernoulli = relaxed_bernoulli.LogitRelaxedBernoulli

    ours = _all(D, lambda v: ad.tensor(np.array(v, dtype=np.float64)), D)
    theirs = _all(torch.distributions, lambda v: torch.tensor(v, dtype=torch.float64),
                  Relaxed)
    differences = {}
    for mine, their in zip(ours, theirs):
        name = type(mine).__name__
        assert name == type(their).__name__
        allowed = set(ON_EVERY_DISTRIBUTION) | set(EXPECTED.get(name, {}))
        missing = _public(their) - _public(mine) - allowed
        if missing:
            differences[name] = sorted(missing)
        # the listed reasons are still true: each one is missing indeed
        stale = set(EXPECTED.get(name, {})) & _public(mine)
        assert not stale, f"{name} now has {sorted(stale)}: drop them from EXPECTED"
    assert differences == {}


@pytest.mark.parametrize("make", [
    lambda d, t: d.Bernoulli(probs=t([[0.2, 0.7, 0.5]])),
    lambda d, t: d.Categorical(probs=t([[0.2, 0.8], [0.5, 0.5]])),
    lambda d, t: d.Binomial(t([3.0, 3.0]), probs=t([0.2, 0.6])),
    lambda d, t: d.OneHotCategorical(probs=t([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])),
    lambda d, t: d.Independent(d.Bernoulli(probs=t([0.2, 0.7])), 0)],
    ids=["Bernoulli", "Categorical", "Binomial", "OneHotCategorical", "Independent"])
@pytest.mark.parametrize("expand", [True, False])
def test_enumerate_support_is_torchs(make, expand):
    torch = pytest.importorskip("torch")
    ours = make(D, lambda v: ad.tensor(np.array(v, dtype=np.float64)))
    theirs = make(torch.distributions, lambda v: torch.tensor(v, dtype=torch.float64))
    assert ours.has_enumerate_support and theirs.has_enumerate_support
    values = ours.enumerate_support(expand)
    expected = theirs.enumerate_support(expand)
    assert values.shape == tuple(expected.shape)
    assert values.data.dtype == np.dtype(str(expected.dtype).replace("torch.", ""))
    np.testing.assert_array_equal(values.data, expected.numpy())
    np.testing.assert_allclose(ours.log_prob(values).data,
                               theirs.log_prob(expected).numpy(), rtol=1e-12)


def test_enumerate_support_refuses_what_torch_refuses():
    for d in (D.Normal(0.0, 1.0), D.Poisson(2.0)):
        assert not d.has_enumerate_support
        with pytest.raises(NotImplementedError, match="support is not finite"):
            d.enumerate_support()
    with pytest.raises(NotImplementedError, match="total_count differs across the batch"):
        D.Binomial(np.array([2.0, 3.0]), probs=0.5).enumerate_support()
    independent = D.Independent(D.Bernoulli(probs=np.array([0.2, 0.7])), 1)
    assert not independent.has_enumerate_support
    with pytest.raises(NotImplementedError, match="product of supports"):
        independent.enumerate_support()


def test_perplexity_is_the_exponential_of_the_entropy():
    torch = pytest.importorskip("torch")
    probs = np.array([[0.2, 0.3, 0.5], [0.9, 0.05, 0.05]])
    np.testing.assert_allclose(
        D.Categorical(probs=probs).perplexity().data,
        torch.distributions.Categorical(probs=torch.tensor(probs)).perplexity().numpy(),
        rtol=1e-12)
    scale = ad.tensor(2.0, requires_grad=True)
    D.Normal(0.0, scale).perplexity().backward()     # d/ds of s √(2πe) = √(2πe)
    np.testing.assert_allclose(scale.grad, np.sqrt(2 * np.pi * np.e), rtol=1e-12)


def test_moments_without_a_closed_form_say_so():
    d = D.RelaxedOneHotCategorical(0.5, probs=np.array([0.2, 0.8]))
    for what in ("mean", "variance", "mode"):
        with pytest.raises(NotImplementedError, match=what):
            getattr(d, what)
    with pytest.raises(NotImplementedError, match="ExpRelaxedCategorical.entropy is not "
                                                  "implemented"):
        d.base_dist.entropy()
