"""ad.distributions against torch.distributions for ``validate_args``, the cross-family
``kl_divergence`` pairs, and the families Weibull, InverseGamma, Kumaraswamy,
NegativeBinomial, VonMises and GeneralizedPareto (LowRankMultivariateNormal and
LKJCholesky: test_distributions_more_families_matrices): values in float64 and float32,
gradients in the parameters (against PyTorch's and central differences), and sample
moments within 6 standard errors."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import distributions as D
from distribution_torch_checks import (assert_moments, central_differences,
                                       compare_with_torch, operand_of, ours_with_grads,
                                       theirs_with_grads, torch_modules)


# ----- validate_args ----------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda M: M.Normal(0.0, -1.0), lambda M: M.Exponential(-2.0),
    lambda M: M.Gamma(-1.0, 1.0), lambda M: M.Beta(1.0, 0.0),
    lambda M: M.Laplace(0.0, -1.0), lambda M: M.Poisson(-1.0),
    lambda M: M.Bernoulli(probs=1.5), lambda M: M.HalfNormal(-1.0),
    lambda M: M.Chi2(-1.0),
])
def test_bad_parameters_raise_a_value_error_unless_validate_args_is_false(make):
    torch, td = torch_modules()
    with pytest.raises(ValueError):
        make(td)
    with pytest.raises(ValueError):
        make(D)

    def unchecked(M):
        # The same parameters, through the keyword every constructor takes.
        import functools
        M = type("M", (), {name: functools.partial(getattr(M, name), validate_args=False)
                           for name in ("Normal", "Exponential", "Gamma", "Beta", "Laplace",
                                        "Poisson", "Bernoulli", "HalfNormal", "StudentT",
                                        "Chi2")})
        return make(M)
    unchecked(td)
    unchecked(D)


def test_student_t_with_validate_args_false_does_not_check_df():
    # (PyTorch's StudentT checks df anyway, in the Chi2 it makes without passing the flag.)
    assert D.StudentT(-1.0, validate_args=False).df.item() == -1.0


@pytest.mark.parametrize("name, params, value", [
    ("Exponential", (2.0,), -1.0), ("Normal", (0.0, 1.0), float("nan")),
    ("Gamma", (2.0, 3.0), -0.5), ("Laplace", (0.0, 2.0), float("nan")),
    ("Uniform", (0.0, 1.0), 2.0), ("Poisson", (2.0,), 1.5),
])
def test_log_prob_outside_the_support_raises_or_gives_pytorchs_value(name, params, value):
    torch, td = torch_modules()
    params64 = [torch.tensor(p, dtype=torch.float64) for p in params]
    with pytest.raises(ValueError):
        getattr(td, name)(*params64).log_prob(torch.tensor(value, dtype=torch.float64))
    with pytest.raises(ValueError, match=f"{name}"):
        getattr(D, name)(*params).log_prob(value)
    expected = getattr(td, name)(*params64, validate_args=False).log_prob(
        torch.tensor(value, dtype=torch.float64))
    with np.errstate(all="ignore"):
        got = getattr(D, name)(*params, validate_args=False).log_prob(value)
    np.testing.assert_allclose(got.data, expected.numpy(), rtol=1e-12)


def test_set_default_validate_args_applies_to_distributions_made_without_it():
    try:
        D.Distribution.set_default_validate_args(False)
        quiet = D.Normal(0.0, -1.0)
        assert quiet.scale.item() == -1.0
        assert D.Exponential(1.0).log_prob(-1.0).item() == 1.0      # log 1 - 1 · (-1)
        with pytest.raises(ValueError, match="Normal: scale"):
            D.Normal(0.0, -1.0, validate_args=True)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="Exponential.log_prob: values must be ≥ 0"):
        D.Exponential(1.0).log_prob(-1.0)
    with pytest.raises(ValueError, match="set_default_validate_args: expected True or False"):
        D.Distribution.set_default_validate_args("no")


def test_validate_args_is_kept_by_expand_and_passed_to_inner_distributions():
    quiet = D.Normal(ad.tensor([0.0]), 1.0, validate_args=False).expand((3,))
    assert quiet._validate_args is False
    assert np.isnan(quiet.log_prob(np.nan).data).all()
    # Chi2 makes a Gamma inside: the flag reaches its check too.
    assert D.Chi2(-2.0, validate_args=False).concentration.item() == -1.0
    assert D.Normal(0.0, 1.0)._validate_args is True
    with pytest.raises(TypeError, match="Normal: validate_args must be True, False or None"):
        D.Normal(0.0, 1.0, validate_args="yes")


def test_a_distribution_defined_outside_takes_pytorchs_base_constructor():
    class Coin(D.Distribution):
        def __init__(self, p, validate_args=None):
            self.p = p
            super().__init__((2,), validate_args=validate_args)

    assert Coin(0.5).batch_shape == (2,) and Coin(0.5).event_shape == ()
    assert Coin(0.5)._validate_args is True
    assert Coin(0.5, validate_args=False)._validate_args is False
    assert Coin(0.5, False)._validate_args is False


def test_validate_args_holds_in_a_compiled_step():
    def unchecked(scale, x):
        return D.Normal(0.0, scale, validate_args=False).log_prob(x)

    def checked(scale, x):
        return D.Normal(0.0, scale).log_prob(x)
    quiet, loud = ad.compile(unchecked), ad.compile(checked)
    for step in (quiet, loud):
        np.testing.assert_allclose(step(ad.tensor(1.0), ad.tensor(0.5)).item(),
                                   -0.125 - 0.5 * np.log(2 * np.pi), rtol=1e-14)
    with np.errstate(invalid="ignore"):
        assert np.isnan(quiet(ad.tensor(-1.0), ad.tensor(np.nan)).item())
    with pytest.raises(ValueError, match="Normal: scale"):
        loud(ad.tensor(-1.0), ad.tensor(0.5))


# ----- kl_divergence between families ------------------------------------------------

_LINE = ([-0.3, 0.4, 1.2], [0.6, 1.5, 2.5])          # loc, scale
_POS = ([0.7, 1.5, 3.0], [0.5, 1.2, 2.0])            # concentration, rate
_UNIT_COVER = ([-0.5, -0.1, -1.0], [1.1, 1.5, 2.0])    # Uniform q covering [0, 1]
_INSIDE_UNIT = ([0.1, 0.05, 0.3], [0.6, 0.95, 0.35])  # Uniform p inside (0, 1)
_POSITIVE_INTERVAL = ([0.1, 0.05, 2.0], [0.6, 3.0, 2.5])

KL_PAIRS = {
    "Bernoulli-Poisson": (lambda M, p, r: M.kl_divergence(M.Bernoulli(probs=p), M.Poisson(r)),
                          ([0.2, 0.5, 0.9], [0.3, 1.0, 2.5])),
    "Beta-Exponential": (lambda M, a, b, r: M.kl_divergence(M.Beta(a, b), M.Exponential(r)),
                         (*_POS, [0.5, 1.0, 3.0])),
    "Beta-Gamma": (lambda M, a, b, c, r: M.kl_divergence(M.Beta(a, b), M.Gamma(c, r)),
                   (*_POS, *_POS)),
    "Beta-Normal": (lambda M, a, b, m, s: M.kl_divergence(M.Beta(a, b), M.Normal(m, s)),
                    (*_POS, *_LINE)),
    "Beta-Uniform": (lambda M, a, b, lo, hi: M.kl_divergence(M.Beta(a, b), M.Uniform(lo, hi)),
                     (*_POS, *_UNIT_COVER)),
    "Exponential-Gamma": (lambda M, r, c, q: M.kl_divergence(M.Exponential(r), M.Gamma(c, q)),
                          ([0.5, 1.0, 3.0], *_POS)),
    "Exponential-Gumbel": (lambda M, r, m, s: M.kl_divergence(M.Exponential(r),
                                                              M.Gumbel(m, s)),
                           ([0.5, 1.0, 3.0], *_LINE)),
    "Exponential-Normal": (lambda M, r, m, s: M.kl_divergence(M.Exponential(r),
                                                              M.Normal(m, s)),
                           ([0.5, 1.0, 3.0], *_LINE)),
    "Gamma-Exponential": (lambda M, c, q, r: M.kl_divergence(M.Gamma(c, q), M.Exponential(r)),
                          (*_POS, [0.5, 1.0, 3.0])),
    "Gamma-Gumbel": (lambda M, c, r, m, s: M.kl_divergence(M.Gamma(c, r), M.Gumbel(m, s)),
                     (*_POS, *_LINE)),
    "Gamma-Normal": (lambda M, c, r, m, s: M.kl_divergence(M.Gamma(c, r), M.Normal(m, s)),
                     (*_POS, *_LINE)),
    "Gumbel-Normal": (lambda M, a, b, m, s: M.kl_divergence(M.Gumbel(a, b), M.Normal(m, s)),
                      (*_LINE, [0.1, -0.5, 2.0], [1.0, 0.7, 3.0])),
    "Laplace-Normal": (lambda M, a, b, m, s: M.kl_divergence(M.Laplace(a, b), M.Normal(m, s)),
                       (*_LINE, [0.1, -0.5, 2.0], [1.0, 0.7, 3.0])),
    "Normal-Gumbel": (lambda M, a, b, m, s: M.kl_divergence(M.Normal(a, b), M.Gumbel(m, s)),
                      (*_LINE, [0.1, -0.5, 2.0], [1.0, 0.7, 3.0])),
    "Normal-Laplace": (lambda M, a, b, m, s: M.kl_divergence(M.Normal(a, b), M.Laplace(m, s)),
                       (*_LINE, [0.1, -0.5, 2.0], [1.0, 0.7, 3.0])),
    "Uniform-Beta": (lambda M, lo, hi, a, b: M.kl_divergence(M.Uniform(lo, hi), M.Beta(a, b)),
                     (*_INSIDE_UNIT, *_POS)),
    "Uniform-Exponential": (lambda M, lo, hi, r: M.kl_divergence(M.Uniform(lo, hi),
                                                                 M.Exponential(r)),
                            (*_POSITIVE_INTERVAL, [0.5, 1.0, 3.0])),
    "Uniform-Gamma": (lambda M, lo, hi, c, r: M.kl_divergence(M.Uniform(lo, hi),
                                                              M.Gamma(c, r)),
                      (*_POSITIVE_INTERVAL, *_POS)),
    "Uniform-Gumbel": (lambda M, lo, hi, m, s: M.kl_divergence(M.Uniform(lo, hi),
                                                               M.Gumbel(m, s)),
                       ([-1.0, 0.0, 2.0], [0.5, 3.0, 2.5], *_LINE)),
    "Uniform-Normal": (lambda M, lo, hi, m, s: M.kl_divergence(M.Uniform(lo, hi),
                                                               M.Normal(m, s)),
                       ([-1.0, 0.0, 2.0], [0.5, 3.0, 2.5], *_LINE)),
}


@pytest.mark.parametrize("pair", sorted(KL_PAIRS))
def test_cross_family_kl_matches_pytorch_and_central_differences(pair):
    build, params = KL_PAIRS[pair]
    compare_with_torch(build, params)


# The same pairs where p has mass outside q's support: +inf there (and a zero gradient).
KL_SUPPORT_MISMATCH = {
    "Beta-Uniform": (lambda M, a, b, lo, hi: M.kl_divergence(M.Beta(a, b), M.Uniform(lo, hi)),
                     (*_POS, [-0.5, 0.2, -1.0], [1.0, 1.5, 0.9])),
    "Uniform-Beta": (lambda M, lo, hi, a, b: M.kl_divergence(M.Uniform(lo, hi), M.Beta(a, b)),
                     ([-0.1, 0.2, 0.3], [0.6, 0.9, 1.2], *_POS)),
    "Uniform-Exponential": (lambda M, lo, hi, r: M.kl_divergence(M.Uniform(lo, hi),
                                                                 M.Exponential(r)),
                            ([-0.1, 0.2, -3.0], [0.6, 1.0, 1.2], [0.5, 1.0, 3.0])),
    "Uniform-Gamma": (lambda M, lo, hi, c, r: M.kl_divergence(M.Uniform(lo, hi),
                                                              M.Gamma(c, r)),
                      ([-0.1, 0.2, -3.0], [0.6, 1.0, 1.2], *_POS)),
}


@pytest.mark.parametrize("pair", sorted(KL_SUPPORT_MISMATCH))
def test_cross_family_kl_is_infinite_where_supports_differ_with_finite_gradients(pair):
    build, params = KL_SUPPORT_MISMATCH[pair]
    for dtype in (np.float64, np.float32):
        value, grads = ours_with_grads(build, params, dtype)
        with np.errstate(all="ignore"):
            expected, expected_grads = theirs_with_grads(build, params, dtype)
        assert np.isinf(value).any() and np.isfinite(value).any()
        np.testing.assert_allclose(value, expected, rtol=2e-5)
        for grad, expected_grad in zip(grads, expected_grads):
            assert np.isfinite(grad).all()
            # PyTorch's is NaN where its masked-out branch is (x log x of a negative x).
            known = np.isfinite(expected_grad)
            np.testing.assert_allclose(grad[known], expected_grad[known], rtol=2e-5, atol=1e-6)
        assert (grads[0][np.isinf(value)] == 0).all()


_MAKERS = {
    "Normal": lambda M, dt: M.Normal(_t(M, [0.0, 1.0], dt), _t(M, [1.0, 2.0], dt)),
    "Laplace": lambda M, dt: M.Laplace(_t(M, [0.0, 1.0], dt), _t(M, [1.0, 2.0], dt)),
    "Gumbel": lambda M, dt: M.Gumbel(_t(M, [0.0, 1.0], dt), _t(M, [1.0, 2.0], dt)),
    "Exponential": lambda M, dt: M.Exponential(_t(M, [0.5, 2.0], dt)),
    "Gamma": lambda M, dt: M.Gamma(_t(M, [0.5, 2.0], dt), _t(M, [1.0, 3.0], dt)),
    "Beta": lambda M, dt: M.Beta(_t(M, [0.5, 2.0], dt), _t(M, [1.0, 3.0], dt)),
    "Uniform": lambda M, dt: M.Uniform(_t(M, [0.0, 0.2], dt), _t(M, [1.0, 0.5], dt)),
    "Poisson": lambda M, dt: M.Poisson(_t(M, [0.5, 2.0], dt)),
    "Bernoulli": lambda M, dt: M.Bernoulli(probs=_t(M, [0.5, 0.2], dt)),
    "Binomial": lambda M, dt: M.Binomial(_t(M, [3.0, 4.0], dt), probs=_t(M, [0.5, 0.2], dt)),
}


def _t(M, values, dtype):
    if M is D:
        return ad.tensor(np.asarray(values, dtype))
    torch, _ = torch_modules()
    return torch.tensor(np.asarray(values, dtype))


@pytest.mark.parametrize("p_name, q_name", [
    ("Exponential", "Beta"), ("Exponential", "Uniform"), ("Gamma", "Beta"),
    ("Gamma", "Uniform"), ("Gumbel", "Beta"), ("Gumbel", "Exponential"), ("Gumbel", "Gamma"),
    ("Gumbel", "Uniform"), ("Laplace", "Beta"), ("Laplace", "Exponential"),
    ("Laplace", "Gamma"), ("Laplace", "Uniform"), ("Normal", "Beta"),
    ("Normal", "Exponential"), ("Normal", "Gamma"), ("Normal", "Uniform"),
    ("Poisson", "Bernoulli"), ("Poisson", "Binomial")])
def test_kl_of_a_family_against_one_with_a_smaller_support_is_infinite(p_name, q_name):
    torch, td = torch_modules()
    for dtype in (np.float64, np.float32):
        got = D.kl_divergence(_MAKERS[p_name](D, dtype), _MAKERS[q_name](D, dtype))
        expected = td.kl_divergence(_MAKERS[p_name](td, dtype), _MAKERS[q_name](td, dtype))
        assert got.dtype == dtype and got.shape == tuple(expected.shape)
        np.testing.assert_array_equal(got.data, expected.numpy())


def test_every_pair_pytorch_has_for_our_families_is_registered():
    _KL_REGISTRY = pytest.importorskip("torch.distributions.kl")._KL_REGISTRY  # noqa: N806
    import autodiff.distributions as module
    module._load_all()
    ours = {(p.__name__, q.__name__) for p, q in module._KL}
    have = set(module.__all__)
    theirs = {(p.__name__, q.__name__) for p, q in _KL_REGISTRY
              if p.__name__ in have and q.__name__ in have}
    assert theirs - ours == set()


# ----- Weibull, InverseGamma, Kumaraswamy, NegativeBinomial, VonMises -----------------

_FAMILIES = {
    "Weibull": (([0.7, 1.5, 3.0], [0.6, 1.0, 2.5]), [0.4, 1.2, 2.0], ["cdf", "icdf"]),
    "InverseGamma": (([2.5, 3.5, 4.2], [0.5, 1.2, 2.0]), [0.4, 1.2, 2.0], []),
    "Kumaraswamy": (([0.7, 1.5, 3.0], [0.6, 1.0, 2.5]), [0.2, 0.5, 0.9], ["cdf", "icdf"]),
}


@pytest.mark.parametrize("name", sorted(_FAMILIES))
@pytest.mark.parametrize("method", ["log_prob", "cdf", "icdf", "entropy", "mean",
                                    "variance"])
def test_new_families_match_pytorch_and_central_differences(name, method):
    params, values, has = _FAMILIES[name]
    if method in ("cdf", "icdf") and method not in has:
        return
    probs = [0.1, 0.5, 0.95]

    def build(M, a, b):
        dist = getattr(M, name)(a, b)
        if method in ("log_prob", "cdf"):
            return getattr(dist, method)(operand_of(M, values, a))
        if method == "icdf":
            return dist.icdf(operand_of(M, probs, a))
        return dist.entropy() if method == "entropy" else getattr(dist, method)
    compare_with_torch(build, params)


def test_inverse_gamma_cdf_matches_pytorch_in_the_rate():
    # (Neither library differentiates the incomplete gamma function in its first argument.)
    def build(M, rate):
        return M.InverseGamma(2.5, rate).cdf(operand_of(M, [0.4, 1.2, 2.0], rate))
    compare_with_torch(build, ([0.5, 1.2, 2.0],), rtol32=1e-4)


def test_weibull_and_kumaraswamy_modes():
    torch, td = torch_modules()
    k = np.array([1.5, 3.0])
    np.testing.assert_allclose(D.Weibull(2.0, k).mode.data,
                               td.Weibull(torch.tensor(2.0, dtype=torch.float64),
                                          torch.tensor(k)).mode.numpy(), rtol=1e-12)
    # For concentration ≤ 1 the density is largest at 0 (PyTorch's formula: NaN or 1).
    assert (D.Weibull(2.0, [0.5, 1.0]).mode.data == 0).all()
    # Kumaraswamy: PyTorch's formula is NaN for every concentration0 > 1; ours is the
    # maximum of the density, NaN where there is none inside (0, 1).
    kuma = D.Kumaraswamy(np.array([2.0, 1.5, 3.0, 0.5]), np.array([3.0, 1.0, 1.5, 2.0]))
    mode = kuma.mode.data
    assert np.isnan(mode[3]) and np.isfinite(mode[:3]).all()
    inside = D.Kumaraswamy(np.array([2.0, 1.5, 3.0]), np.array([3.0, 1.0, 1.5]))
    # (b = 1: the density a x^(a-1) is largest at 1, finite there; PyTorch's log_prob
    # at 0 and 1 is NaN, from 0 · log 0.)
    np.testing.assert_allclose(inside.log_prob(np.array([0.5, 1.0, 0.5])).data[1],
                               np.log(1.5), rtol=1e-15)
    for step in (-1e-4, 1e-4):
        assert (inside.log_prob(np.clip(mode[:3] + step, 0, 1)).data
                <= inside.log_prob(mode[:3]).data + 1e-12).all()


@pytest.mark.parametrize("make", [
    lambda: D.Weibull(np.array([0.7, 1.5]), np.array([1.5, 3.0])),
    lambda: D.InverseGamma(np.array([5.5, 7.0]), np.array([0.5, 2.0])),
    lambda: D.Kumaraswamy(np.array([0.7, 3.0]), np.array([0.6, 2.5])),
    lambda: D.NegativeBinomial(np.array([3.0, 0.5]), probs=np.array([0.3, 0.8])),
    lambda: D.NegativeBinomial(np.array([4.5]), logits=np.array([-1.0])),
])
def test_new_families_sample_moments(make):
    dist = make()
    samples = dist.sample((400_000,), rng=7).data
    assert_moments(samples, dist.mean.data, dist.variance.data)
    if dist.has_rsample:
        assert_moments(dist.rsample((400_000,), rng=8).data, dist.mean.data,
                        dist.variance.data)


def test_new_families_rsample_is_differentiable_in_the_parameters():
    scale = ad.tensor([1.5, 2.0], requires_grad=True)
    draw = D.Weibull(scale, 2.0).rsample((5,), rng=0)
    draw.sum().backward()
    np.testing.assert_allclose(scale.grad, (draw.data / scale.data).sum(0), rtol=1e-12)
    a = ad.tensor(2.0, requires_grad=True)
    b = ad.tensor(3.0, requires_grad=True)
    kuma = D.Kumaraswamy(a, b).rsample((4,), rng=1)
    kuma.sum().backward()
    assert np.isfinite([a.grad, b.grad]).all() and a.grad > 0 and b.grad < 0
    rate = ad.tensor(2.0, requires_grad=True)
    inverse = D.InverseGamma(3.0, rate).rsample((3,), rng=2)
    inverse.sum().backward()
    np.testing.assert_allclose(rate.grad, (inverse.data / rate.data).sum(), rtol=1e-12)


@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_negative_binomial_matches_pytorch_and_central_differences(kind):
    success = [0.2, 0.5, 0.7] if kind == "probs" else [-1.0, 0.5, 2.0]
    counts = [0.0, 3.0, 7.0]

    def log_prob(M, total_count, p):
        return M.NegativeBinomial(total_count, **{kind: p}).log_prob(operand_of(M, counts, p))
    compare_with_torch(log_prob, ([3.0, 0.5, 2.5], success))
    for moment in ("mean", "variance"):
        compare_with_torch(lambda M, r, p: getattr(M.NegativeBinomial(r, **{kind: p}),
                                                    moment), ([3.0, 0.5, 2.5], success))
    torch, td = torch_modules()
    ours = D.NegativeBinomial(np.array([3.0, 0.5, 12.5]), **{kind: np.array(success)})
    theirs = td.NegativeBinomial(torch.tensor([3.0, 0.5, 12.5], dtype=torch.float64),
                                 **{kind: torch.tensor(success, dtype=torch.float64)})
    np.testing.assert_array_equal(ours.mode.data, theirs.mode.numpy())


def test_negative_binomial_edges_and_errors_match_pytorch():
    torch, td = torch_modules()
    # total_count 0: all the mass at 0.
    ours = D.NegativeBinomial(np.array([0.0, 0.0]), probs=np.array([0.3, 0.0]))
    theirs = td.NegativeBinomial(torch.tensor([0.0, 0.0], dtype=torch.float64),
                                 probs=torch.tensor([0.3, 0.0], dtype=torch.float64))
    for k in ([0.0, 0.0], [2.0, 1.0]):
        np.testing.assert_allclose(ours.log_prob(k).data,
                                   theirs.log_prob(torch.tensor(k, dtype=torch.float64)),
                                   rtol=1e-12)
    for make in (lambda M, t: M.NegativeBinomial(t(2.0), probs=t(1.0)),
                 lambda M, t: M.NegativeBinomial(t(-1.0), probs=t(0.5)),
                 lambda M, t: M.NegativeBinomial(t(2.0), probs=t(0.5)).log_prob(t(1.5)),
                 lambda M, t: M.NegativeBinomial(t(2.0), probs=t(0.5)).log_prob(t(-1.0))):
        with pytest.raises(ValueError):
            make(td, lambda v: torch.tensor(v, dtype=torch.float64))
        with pytest.raises(ValueError, match="NegativeBinomial"):
            make(D, np.float64)
    with pytest.raises(ValueError, match="pass exactly one of probs= or logits="):
        D.NegativeBinomial(2.0)


def test_von_mises_matches_pytorch():
    # PyTorch's log I0 is a polynomial approximation good to about 1e-7 (relative) in
    # float64; ours is log(i0e(κ)) + κ, exact to rounding.
    angles = [0.3, -3.0, 2.9]

    def log_prob(M, loc, kappa):
        return M.VonMises(loc, kappa).log_prob(operand_of(M, angles, loc))
    compare_with_torch(log_prob, ([0.5, -2.0, 3.0], [0.3, 2.0, 50.0]), rtol64=1e-6,
                        rtol32=1e-5)
    compare_with_torch(lambda M, loc, kappa: M.VonMises(loc, kappa).variance,
                        ([0.5, -2.0, 3.0], [0.3, 2.0, 50.0]), rtol64=1e-6, rtol32=1e-5)


def test_von_mises_entropy_sampling_and_errors():
    vm = D.VonMises(np.array([0.5, -2.0, 3.0]), np.array([0.3, 2.0, 50.0]))
    grid = np.linspace(-np.pi, np.pi, 200_001)[:, None]
    density = np.exp(vm.log_prob(grid).data)
    integrand = -density * np.log(density)
    step = grid[1, 0] - grid[0, 0]
    np.testing.assert_allclose((density.sum(0) - density[[0, -1]].sum(0) / 2) * step, 1.0,
                               rtol=1e-9)
    np.testing.assert_allclose((integrand.sum(0) - integrand[[0, -1]].sum(0) / 2) * step,
                               vm.entropy().data, rtol=1e-8)
    samples = vm.sample((400_000,), rng=3).data
    assert samples.min() >= -np.pi and samples.max() <= np.pi
    # E cos(x - loc) = I1(κ) / I0(κ) = 1 - the circular variance.
    assert_moments(np.cos(samples - vm.loc.data), 1 - vm.variance.data,
                    np.cos(samples - vm.loc.data).var(0))
    torch, td = torch_modules()
    with pytest.raises(ValueError):
        td.VonMises(torch.tensor(0.0), torch.tensor(-1.0))
    with pytest.raises(ValueError, match="VonMises: concentration must be > 0"):
        D.VonMises(0.0, -1.0)
    assert D.VonMises(0.0, -1.0, validate_args=False).concentration.item() == -1.0


@pytest.mark.parametrize("make", [
    lambda M, t: M.Weibull(t(1.0), t(2.0)), lambda M, t: M.InverseGamma(t(2.0), t(1.0)),
    lambda M, t: M.Kumaraswamy(t(2.0), t(1.0)),
    lambda M, t: M.NegativeBinomial(t(2.0), probs=t(0.5)),
    lambda M, t: M.VonMises(t(0.0), t(1.0))])
def test_new_families_support_and_arg_constraints_are_pytorchs(make):
    torch, td = torch_modules()
    ours = make(D, float)
    theirs = make(td, lambda v: torch.tensor(v, dtype=torch.float64))
    assert repr(ours.support) == repr(theirs.support)
    assert {k: repr(v) for k, v in ours.arg_constraints.items()} == \
        {k: repr(v) for k, v in theirs.arg_constraints.items()}
    assert ours.batch_shape == tuple(theirs.batch_shape)
    assert ours.expand((3,)).sample(rng=0).shape == (3,)


# ----- GeneralizedPareto --------------------------------------------------------------

_GP_PARAMS = ([0.5, -1.0, 0.0, 1.0], [1.0, 2.0, 0.5, 1.5], [0.3, -0.4, 0.05, -0.7])


@pytest.mark.parametrize("what", ["log_prob", "cdf", "icdf", "mean", "variance", "entropy"])
def test_generalized_pareto_matches_pytorch_and_central_differences(what):
    values, probs = [1.0, 0.5, 0.3, 2.0], [0.1, 0.5, 0.9, 0.3]

    def build(M, loc, scale, concentration):
        dist = M.GeneralizedPareto(loc, scale, concentration)
        if what in ("log_prob", "cdf"):
            return getattr(dist, what)(operand_of(M, values, loc))
        if what == "icdf":
            return dist.icdf(operand_of(M, probs, loc))
        return dist.entropy() if what == "entropy" else getattr(dist, what)
    # (PyTorch's log_prob and cdf fail in float64: they compare with a float32 zero.)
    dtypes = (np.float32,) if what in ("log_prob", "cdf") else (np.float64, np.float32)
    compare_with_torch(build, _GP_PARAMS, dtypes=dtypes)


@pytest.mark.parametrize("what", ["log_prob", "cdf", "icdf"])
def test_generalized_pareto_at_zero_and_minus_one_concentration(what):
    # Where ξ counts as 0 (|ξ| ≤ 1e-8, as PyTorch's isclose), and at ξ = -1 (a flat
    # density): PyTorch's values, and gradients in ξ that are the derivatives (PyTorch's
    # is 0 at ξ = 0, and d(1/ξ + 1)/dξ instead of the derivative at ξ = -1).
    torch, td = torch_modules()
    params = ([0.0, 1.0, 0.5], [0.5, 1.5, 1.0], [0.0, -1.0, 1e-9])
    values, probs = [0.3, 2.0, 1.7], [0.3, 0.9, 0.6]

    def ours(*arrays):
        dist = D.GeneralizedPareto(*[ad.tensor(a) for a in arrays])
        return getattr(dist, what)(probs if what == "icdf" else values)
    value = ours(*map(np.asarray, params)).data
    theirs = td.GeneralizedPareto(*[torch.tensor(v, dtype=torch.float32) for v in params])
    expected = getattr(theirs, what)(torch.tensor(probs if what == "icdf" else values))
    np.testing.assert_allclose(value, expected.numpy(), rtol=1e-6, atol=1e-6)
    concentration = ad.tensor(params[2], requires_grad=True)
    dist = D.GeneralizedPareto(params[0], params[1], concentration)
    getattr(dist, what)(probs if what == "icdf" else values).sum().backward()
    numeric = central_differences(lambda c: ours(params[0], params[1], c).sum(),
                                  [np.asarray(params[2])], eps=1e-5)[0]
    # (ξ = 1e-9 ± 1e-5 leaves the near-zero branch: the first-order term stands in.)
    np.testing.assert_allclose(concentration.grad, numeric, rtol=1e-4, atol=1e-6)


def test_generalized_pareto_sampling_support_and_errors():
    dist = D.GeneralizedPareto(np.array([0.5, -1.0, 0.0]), np.array([1.0, 2.0, 0.5]),
                               np.array([0.1, -0.4, 0.0]))
    for draws in (dist.sample((400_000,), rng=9).data, dist.rsample((400_000,), rng=10).data):
        assert_moments(draws, dist.mean.data, dist.variance.data)
        assert (draws >= dist.loc.data).all() and (draws[:, 1] <= -1.0 + 2.0 / 0.4).all()
    # The mean exists for ξ < 1, the variance for ξ < ½ (NaN otherwise, as PyTorch's).
    heavy = D.GeneralizedPareto(0.0, 1.0, np.array([0.6, 1.0]))
    assert np.isfinite(heavy.mean.data[0]) and np.isnan(heavy.mean.data[1])
    assert np.isnan(heavy.variance.data).all()
    torch, td = torch_modules()
    theirs = td.GeneralizedPareto(*[torch.tensor(v, dtype=torch.float32) for v in _GP_PARAMS])
    ours = D.GeneralizedPareto(*[np.asarray(v, np.float32) for v in _GP_PARAMS])
    assert repr(ours.arg_constraints) == repr(theirs.arg_constraints)
    np.testing.assert_array_equal(ours.support.upper_bound.data,
                                  theirs.support.upper_bound.numpy())
    for bad in ([0.0, 0.0, 0.0, 1.5], [1.0, 4.5, 0.3, 2.0]):     # below loc; above the end
        with pytest.raises(ValueError):
            theirs.log_prob(torch.tensor(bad))
        with pytest.raises(ValueError, match="GeneralizedPareto.log_prob: values must lie"):
            ours.log_prob(np.asarray(bad, np.float32))
    with pytest.raises(ValueError, match="GeneralizedPareto: scale must be > 0"):
        D.GeneralizedPareto(0.0, -1.0, 0.5)


@pytest.mark.parametrize("make", [
    lambda: D.GeneralizedPareto(0.0, 1.0, ad.tensor([0.1, 0.2])),
    lambda: D.LKJCholesky(3, ad.tensor([1.0, 2.0])),
    lambda: D.VonMises(0.0, ad.tensor([1.0, 2.0])),
    lambda: D.NegativeBinomial(ad.tensor([1.0, 2.0]), logits=0.0),
    lambda: D.Kumaraswamy(ad.tensor([1.0, 2.0]), 2.0),
    lambda: D.Weibull(ad.tensor([1.0, 2.0]), 2.0),
    lambda: D.InverseGamma(ad.tensor([3.0, 2.0]), 2.0),
    lambda: D.LowRankMultivariateNormal(np.zeros((2, 3)), np.ones((3, 1)), np.ones(3))])
def test_new_families_expand_as_pytorchs_do(make):
    dist = make()
    wider = dist.expand((4, 2))
    assert wider.batch_shape == (4, 2) and wider.event_shape == dist.event_shape
    draws = wider.sample(rng=0)
    assert draws.shape == (4, 2) + dist.event_shape
    np.testing.assert_allclose(wider.log_prob(draws).data,
                               dist.log_prob(draws).data, rtol=1e-12)
