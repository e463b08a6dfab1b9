"""ad.distributions against torch.distributions where they disagreed: infinite counts,
HalfNormal's and Gumbel's icdf slopes at the ends, MultivariateNormal's matrix
gradients, StudentT's log_prob and entropy at large df, LogitRelaxedBernoulli's tails,
the Binomial and transformed KL pairs, and gamma-family draws of small concentrations;
each also against finite differences, closed forms or high-precision references."""

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff import distributions as D
from autodiff.gradcheck import gradcheck

from distribution_torch_checks import torch_modules


def _torch():
    return torch_modules()      # (with PyTorch's default of validating arguments)


def _t(torch, value, requires_grad=False):
    return torch.tensor(np.asarray(value, np.float64), requires_grad=requires_grad)


# ----- counts: +inf is not a whole number ----------------------------------------------

@pytest.mark.parametrize("name, args", [("Poisson", (2.0,)), ("Geometric", (0.5,)),
                                        ("Binomial", (3.0, 0.5))])
def test_an_infinite_count_is_outside_the_support(name, args):
    # Poisson.log_prob(inf) gave NaN and Geometric's -inf (inf == round(inf) passed the
    # whole-number check); PyTorch's support check refuses it.
    dist = getattr(D, name)(*args)
    for value in (np.inf, [1.0, np.inf], -np.inf):
        with pytest.raises(ValueError, match=rf"{name}.log_prob: values must be whole "
                                             r"numbers .* got -?inf"):
            dist.log_prob(value)
    assert not dist.support.check(ad.tensor(np.inf)).data
    np.testing.assert_allclose(dist.log_prob([0.0, 2.0]).data.shape, (2,))
    torch, td = _torch()
    with pytest.raises(ValueError, match="support"):
        getattr(td, name)(*[_t(torch, a) for a in args]).log_prob(_t(torch, np.inf))


def test_binomial_refuses_an_infinite_total_count():
    with pytest.raises(ValueError, match="Binomial: total_count must be whole numbers ≥ 0; "
                                         "got inf"):
        D.Binomial(np.inf, probs=0.5)
    torch, td = _torch()
    with pytest.raises(ValueError, match="total_count"):
        td.Binomial(_t(torch, np.inf), probs=_t(torch, 0.5))


# ----- icdf slopes at the ends of [0, 1] ----------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_half_normal_icdf_slope_at_zero_is_pytorchs(dtype):
    # icdf applied |.| to scale √2 erfinv(p), already ≥ 0: the slope at p = 0 came out 0
    # instead of scale √(π/2) (|.| has a zero gradient at 0).
    p = ad.tensor(np.array([0.0, 0.3, 0.9], dtype), requires_grad=True)
    scale = ad.tensor(np.array(2.0, dtype), requires_grad=True)
    quantile = D.HalfNormal(scale).icdf(p)
    quantile.sum().backward()
    assert quantile.dtype == dtype and p.grad.dtype == dtype
    assert p.grad[0] == pytest.approx(2.0 * math.sqrt(math.pi / 2), rel=1e-6)
    torch, td = _torch()
    tp = torch.tensor(np.array([0.0, 0.3, 0.9], dtype), requires_grad=True)
    tscale = torch.tensor(np.array(2.0, dtype), requires_grad=True)
    tq = td.HalfNormal(tscale).icdf(tp)
    tq.sum().backward()
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(quantile.data, tq.detach().numpy(), rtol=rtol)
    np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=rtol)
    np.testing.assert_allclose(scale.grad, tscale.grad.numpy(), rtol=rtol)


def test_half_normal_icdf_gradients_match_finite_differences():
    assert gradcheck(lambda s, p: D.HalfNormal(s).icdf(p),
                     (np.array([0.5, 2.0]), np.array([1e-4, 0.7])))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gumbel_icdf_at_the_ends_is_pytorchs(dtype):
    # PyTorch's Gumbel maps p to tiny + p (1 - eps - tiny) first (it transforms a
    # Uniform(tiny, 1 - eps)): finite values and slopes at 0 and 1, where the exact
    # formula gave -inf with a NaN slope at 0 and +inf at 1.
    p = ad.tensor(np.array([0.0, 0.3, 0.999, 1.0], dtype), requires_grad=True)
    quantile = D.Gumbel(np.array(1.0, dtype), np.array(2.0, dtype)).icdf(p)
    quantile.sum().backward()
    assert np.isfinite(quantile.data).all() and np.isfinite(p.grad).all()
    assert (p.grad > 0).all()
    torch, td = _torch()
    tp = torch.tensor(np.array([0.0, 0.3, 0.999, 1.0], dtype), requires_grad=True)
    expected = td.Gumbel(torch.tensor(np.array(1.0, dtype)),
                         torch.tensor(np.array(2.0, dtype))).icdf(tp)
    expected.sum().backward()
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(quantile.data, expected.detach().numpy(), rtol=rtol)
    # (In float32 near p = 1, PyTorch's slope is 1e-4 off the formula.)
    close = [0, 1, 2, 3] if dtype == np.float64 else [0, 1]
    np.testing.assert_allclose(p.grad[close], tp.grad.numpy()[close], rtol=rtol)


# ----- MultivariateNormal: the matrix's gradient is symmetric, as PyTorch's -----------

_COV = np.array([[2.0, 0.3, -0.2], [0.3, 1.0, 0.1], [-0.2, 0.1, 0.5]])
_VALUES = np.array([[0.5, -0.2, 1.0], [1.0, 3.0, -0.5]])


def _mvn_terms(mvn, values, eps):
    """log_prob, entropy and an rsample from the given noise, summed."""
    return (mvn.log_prob(values).sum() + mvn.entropy()
            + (mvn.loc + (mvn.scale_tril @ eps.T).T).sum())


@pytest.mark.parametrize("name", ["covariance_matrix", "precision_matrix"])
def test_multivariate_normal_matrix_gradient_is_pytorchs(name):
    # The gradient went through NumPy's cholesky, which puts both halves of each
    # off-diagonal pair on the lower triangle (and through inv, an asymmetric matrix);
    # PyTorch's is symmetric.  The sum over each pair was right, each entry was not.
    matrix = _COV if name == "covariance_matrix" else np.linalg.inv(_COV)
    eps = np.random.default_rng(3).standard_normal((4, 3))
    given = ad.tensor(matrix, requires_grad=True)
    loc = ad.tensor([0.1, 0.2, -0.3], requires_grad=True)
    _mvn_terms(D.MultivariateNormal(loc, **{name: given}), ad.tensor(_VALUES),
               ad.tensor(eps)).backward()
    np.testing.assert_allclose(given.grad, given.grad.T, rtol=1e-12, atol=1e-14)
    torch, td = _torch()
    tgiven, tloc = _t(torch, matrix, True), _t(torch, [0.1, 0.2, -0.3], True)
    _mvn_terms(td.MultivariateNormal(tloc, **{name: tgiven}), _t(torch, _VALUES),
               _t(torch, eps)).backward()
    np.testing.assert_allclose(given.grad, tgiven.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(loc.grad, tloc.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["covariance_matrix", "precision_matrix"])
def test_multivariate_normal_matrix_gradient_matches_symmetric_finite_differences(name):
    # Moving entry (i, j) of a symmetric matrix moves (j, i) too: the finite difference
    # along E_ij + E_ji is grad_ij + grad_ji, and the diagonal's is grad_ii.
    matrix = _COV if name == "covariance_matrix" else np.linalg.inv(_COV)
    eps = np.random.default_rng(4).standard_normal((2, 3))

    def total(m):
        mvn = D.MultivariateNormal(np.array([0.1, 0.2, -0.3]), **{name: m})
        return _mvn_terms(mvn, ad.tensor(_VALUES), ad.tensor(eps))

    given = ad.tensor(matrix, requires_grad=True)
    total(given).backward()
    h = 1e-6
    for i in range(3):
        for j in range(i + 1):
            step = np.zeros((3, 3))
            step[i, j] = step[j, i] = h
            slope = (total(matrix + step).item() - total(matrix - step).item()) / (2 * h)
            want = given.grad[i, j] + (given.grad[j, i] if i != j else 0.0)
            assert slope == pytest.approx(want, rel=1e-6, abs=1e-8)
            assert given.grad[i, j] == pytest.approx(given.grad[j, i], rel=1e-12)


# ----- StudentT at large df ------------------------------------------------------------

def _student_t_reference(df, x):
    """log_prob at x (loc 0, scale 1) and entropy, at 40 digits."""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(40):
        df, x = mpmath.mpf(df), mpmath.mpf(x)
        half = df / 2
        log_prob = (mpmath.loggamma(half + 0.5) - mpmath.loggamma(half)
                    - mpmath.log(mpmath.pi * df) / 2 - (half + 0.5) * mpmath.log1p(x * x / df))
        entropy = ((half + 0.5) * (mpmath.digamma(half + 0.5) - mpmath.digamma(half))
                   + mpmath.log(df) / 2 + mpmath.loggamma(half) + mpmath.log(mpmath.pi) / 2
                   - mpmath.loggamma(half + 0.5))
        return float(log_prob), float(entropy)


@pytest.mark.parametrize("df", [0.3, 3.0, 15.9, 16.0, 59.9, 60.0, 1e3, 1e5, 1e8, 1e12, 1e16])
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-14), (np.float32, 4e-7)])
def test_student_t_log_prob_and_entropy_keep_their_precision_at_large_df(df, dtype, rtol):
    # lgamma((df + 1) / 2) - lgamma(df / 2) subtracted two numbers of size df log df:
    # at df = 1e6 the float32 log_prob was off by 0.06, at df = 1e8 by 8.9 (float64 at
    # df = 1e16, by 18); the entropy's digamma difference likewise.  PyTorch's formula
    # is the same (its float32 log_prob at df = 1e10 is 0 instead of 1.38).
    want_log_prob, want_entropy = _student_t_reference(df, 0.7)
    t = D.StudentT(np.array(df, dtype))
    log_prob, entropy = t.log_prob(np.array(0.7, dtype)), t.entropy()
    assert log_prob.dtype == dtype and entropy.dtype == dtype
    assert log_prob.item() == pytest.approx(want_log_prob, rel=rtol)
    assert entropy.item() == pytest.approx(want_entropy, rel=rtol)


@pytest.mark.parametrize("df", [0.7, 5.0, 59.0, 61.0, 200.0, 1e4])
def test_student_t_gradients_match_pytorch_and_finite_differences(df):
    # On both sides of where the series take over (df = 60 in float64).
    params = (np.array([df, 2 * df]), np.array([0.2, -1.0]), np.array([1.5, 0.5]))
    values = np.array([[0.9, -2.0], [3.0, 0.1]])
    assert gradcheck(lambda d, loc, s, x: D.StudentT(d, loc, s).log_prob(x),
                     params + (values,))
    assert gradcheck(lambda d, s: D.StudentT(d, 0.0, s).entropy(), (params[0], params[2]))
    ours = [ad.tensor(p, requires_grad=True) for p in params]
    total = D.StudentT(*ours).log_prob(values).sum() + D.StudentT(*ours).entropy().sum()
    total.backward()
    torch, td = _torch()
    theirs = [_t(torch, p, True) for p in params]
    their_total = (td.StudentT(*theirs).log_prob(_t(torch, values)).sum()
                   + td.StudentT(*theirs).entropy().sum())
    their_total.backward()
    # PyTorch's own formula loses digits as df grows (about 1e-11 at df = 1e4).
    assert total.item() == pytest.approx(their_total.item(), rel=1e-9)
    for mine, their in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad, their.grad.numpy(), rtol=1e-6, atol=1e-12)


# ----- LogitRelaxedBernoulli far in the tails ------------------------------------------

@pytest.mark.parametrize("dtype, far", [(np.float64, -1000.0), (np.float32, -100.0)])
def test_logit_relaxed_bernoulli_log_prob_is_finite_far_in_the_tails(dtype, far):
    # log(1 + exp(d)) overflowed to inf past d ~ 709 (88 in float32): log_prob was -inf
    # where the density is log t + d - 2 softplus(d) = log t - |d| + ..., finite (PyTorch's
    # formula is the same and gives -inf too).
    temperature, logits = np.array(10.0, dtype), np.array(0.5, dtype)
    values = np.array([far, 0.3, 4.0], dtype)
    d = logits - values * temperature
    want = np.log(temperature) + d - 2 * np.logaddexp(0.0, d.astype(np.float64))
    value = ad.tensor(values, requires_grad=True)
    log_p = D.LogitRelaxedBernoulli(temperature, logits=logits).log_prob(value)
    assert log_p.dtype == dtype and np.isfinite(log_p.data).all()
    np.testing.assert_allclose(log_p.data, want, rtol=1e-6 if dtype == np.float32 else 1e-14)
    log_p.sum().backward()
    # d/dvalue = -t (1 - 2 sigmoid(d)) = t tanh(d / 2): t far in the tail, where d is large.
    np.testing.assert_allclose(value.grad, temperature * np.tanh(d / 2),
                               rtol=1e-5 if dtype == np.float32 else 1e-12)
    assert gradcheck(lambda t, lg, v: D.LogitRelaxedBernoulli(t, logits=lg).log_prob(v),
                     (np.array([0.5, 10.0]), np.array([0.5, -1.0]), np.array([-80.0, 2.0])))
    torch = pytest.importorskip("torch")
    from torch.distributions.relaxed_bernoulli import LogitRelaxedBernoulli
    their = LogitRelaxedBernoulli(torch.tensor(temperature), logits=torch.tensor(logits))
    np.testing.assert_allclose(log_p.data[1:], their.log_prob(torch.tensor(values[1:])).numpy(),
                               rtol=1e-6 if dtype == np.float32 else 1e-13)


# ----- kl_divergence: the pairs PyTorch has between Binomials and transformed ----------

def test_binomial_kl_with_a_larger_total_count_for_p_is_infinite():
    # It raised ValueError for any two different counts; PyTorch gives +inf where p's
    # count is larger (p gives mass to counts q never takes) and refuses a smaller one.
    p = D.Binomial(np.array([6.0, 5.0]), probs=ad.tensor([0.3, 0.3], requires_grad=True))
    q = D.Binomial(5.0, probs=0.4)
    kl = D.kl_divergence(p, q)
    assert kl.data[0] == np.inf
    k = np.arange(6.0)
    log_p, log_q = D.Binomial(5.0, probs=0.3).log_prob(k).data, q.log_prob(k).data
    assert kl.data[1] == pytest.approx((np.exp(log_p) * (log_p - log_q)).sum(), rel=1e-12)
    with pytest.raises(NotImplementedError, match="smaller total_count"):
        D.kl_divergence(q, p)
    torch, td = _torch()
    theirs = td.kl_divergence(td.Binomial(_t(torch, [6.0, 5.0]), probs=_t(torch, [0.3, 0.3])),
                              td.Binomial(5.0, probs=_t(torch, 0.4)))
    np.testing.assert_allclose(kl.data, theirs.numpy(), rtol=1e-12)
    with pytest.raises(NotImplementedError):
        td.kl_divergence(td.Binomial(5.0, probs=_t(torch, 0.4)),
                         td.Binomial(_t(torch, [6.0, 5.0]), probs=_t(torch, [0.3, 0.3])))


def test_kl_of_transformed_distributions_through_the_same_transforms_is_the_bases():
    # It raised NotImplementedError; PyTorch registers (TransformedDistribution,
    # TransformedDistribution): the KL of the bases when the transforms are equal.
    loc = ad.tensor([0.1, -0.4], requires_grad=True)
    scale = ad.tensor([1.0, 0.5], requires_grad=True)
    kl = D.kl_divergence(D.LogisticNormal(loc, scale), D.LogisticNormal([0.0, 1.0], 2.0))
    kl.backward()
    base_loc = ad.tensor([0.1, -0.4], requires_grad=True)
    base_scale = ad.tensor([1.0, 0.5], requires_grad=True)
    base = D.kl_divergence(D.Normal(base_loc, base_scale), D.Normal(ad.tensor([0.0, 1.0]), 2.0))
    base.sum().backward()
    assert kl.item() == pytest.approx(base.sum().item(), rel=1e-14)
    np.testing.assert_allclose(loc.grad, base_loc.grad, rtol=1e-14)
    np.testing.assert_allclose(scale.grad, base_scale.grad, rtol=1e-14)
    exp = D.transforms.ExpTransform
    through_exp = D.kl_divergence(D.TransformedDistribution(D.Normal(np.zeros(3), 1.0), exp()),
                                  D.TransformedDistribution(D.Normal(1.0, 2.0), [exp()]))
    np.testing.assert_allclose(through_exp.data,
                               D.kl_divergence(D.Normal(np.zeros(3), 1.0), D.Normal(1.0, 2.0)).data)
    with pytest.raises(NotImplementedError, match="only through the same transforms"):
        D.kl_divergence(D.TransformedDistribution(D.Normal(0.0, 1.0), exp()),
                        D.TransformedDistribution(D.Normal(0.0, 1.0),
                                                  D.transforms.SigmoidTransform()))
    torch, td = _torch()
    tloc, tscale = _t(torch, [0.1, -0.4], True), _t(torch, [1.0, 0.5], True)
    theirs = td.kl_divergence(td.LogisticNormal(tloc, tscale),
                              td.LogisticNormal(_t(torch, [0.0, 1.0]), _t(torch, 2.0)))
    theirs.backward()
    assert kl.item() == pytest.approx(theirs.item(), rel=1e-13)
    np.testing.assert_allclose(loc.grad, tloc.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(scale.grad, tscale.grad.numpy(), rtol=1e-12)


# ----- gamma-family draws of small concentrations --------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gamma_beta_dirichlet_draws_of_small_concentrations_stay_in_the_support(dtype):
    # Gamma draws underflowed to 0 (log_prob +inf), float32 Beta draws rounded to 0 or 1,
    # and Dirichlet rows whose gamma draws all underflowed were 0/0 = NaN (12% of the
    # float32 draws of Dirichlet([0.01, 0.01])).  PyTorch clamps them to the smallest
    # normal float and below 1, which these now do too.
    tiny, below_one = np.finfo(dtype).tiny, np.nextafter(dtype(1), dtype(0))
    gamma = D.Gamma(dtype(0.001), dtype(3.0))
    beta = D.Beta(dtype(0.01), dtype(0.01))
    dirichlet = D.Dirichlet(np.array([0.01, 0.01, 0.001], dtype))
    for dist, low, high in [(gamma, tiny, np.inf), (beta, tiny, below_one),
                            (dirichlet, tiny, below_one)]:
        draws = dist.sample((20_000,), rng=0).data
        assert draws.dtype == dtype
        assert not np.isnan(draws).any()
        assert draws.min() >= low and draws.max() <= high
        assert np.isfinite(dist.log_prob(draws).data).all()
    rate = ad.tensor(dtype(3.0), requires_grad=True)
    draws = D.Gamma(dtype(0.001), rate).rsample((1000,), rng=0)
    draws.sum().backward()
    assert draws.data.min() == tiny
    # d(G / rate)/d rate = -G / rate: the clamp is a constant, as PyTorch's in-place one.
    assert rate.grad == pytest.approx(-(draws.data.astype(np.float64) / 3.0).sum(), rel=1e-5)
    torch, td = _torch()
    theirs = td.Dirichlet(torch.tensor(np.array([0.01, 0.01], dtype))).sample((20_000,))
    assert theirs.min().item() >= tiny and theirs.max().item() <= below_one


def test_dirichlet_draws_have_its_moments():
    # The draws are normalized gamma draws taken in logs (G(a + 1) U^(1/a) for a < 1).
    dist = D.Dirichlet(np.array([0.3, 0.7, 0.05]))
    draws = dist.sample((400_000,), rng=3).data
    np.testing.assert_allclose(draws.sum(-1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(draws.mean(0), dist.mean.data, atol=3e-3)
    np.testing.assert_allclose(draws.var(0), dist.variance.data, rtol=2e-2)
    # The share of draws below 1e-10 in the last entry, a Beta(0.05, 1) marginal whose
    # cdf is x^0.05: 1e-10^0.05 = 0.316.
    assert (draws[:, 2] < 1e-10).mean() == pytest.approx(1e-10 ** 0.05, abs=5e-3)


# ----- Gamma.cdf, which PyTorch 2.13 has ----------------------------------------------

@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-13), (np.float32, 2e-6)])
def test_gamma_and_chi2_cdf_are_the_regularized_incomplete_gamma(dtype, rtol):
    # Gamma.cdf and Chi2.cdf raised AttributeError; PyTorch has them (gammainc).
    mpmath = pytest.importorskip("mpmath")
    alpha = np.array([[0.5], [2.0], [30.0]], dtype)
    rate = ad.tensor(np.array([0.5, 3.0], dtype), requires_grad=True)
    value = ad.tensor(np.array([1e-3, 1.0, 10.0], dtype)[:, None, None], requires_grad=True)
    cdf = D.Gamma(alpha, rate).cdf(value)
    assert cdf.dtype == dtype and cdf.shape == (3, 3, 2)
    want = np.vectorize(lambda a, x: float(mpmath.gammainc(a, 0, x, regularized=True)))(
        alpha.astype(np.float64), rate.data.astype(np.float64) * value.data)
    # (below the smallest normal float, float32 keeps few digits or none)
    np.testing.assert_allclose(cdf.data, want, rtol=rtol, atol=10 * np.finfo(dtype).tiny)
    values = np.array([0.5, 2.0], dtype)
    np.testing.assert_allclose(D.Chi2(dtype(3.0)).cdf(values).data,
                               D.Gamma(dtype(1.5), dtype(0.5)).cdf(values).data)
    cdf.sum().backward()
    torch, td = _torch()
    their_rate = torch.tensor(np.array([0.5, 3.0], dtype), requires_grad=True)
    their_value = torch.tensor(value.data, requires_grad=True)
    theirs = td.Gamma(torch.tensor(alpha), their_rate).cdf(their_value)
    theirs.sum().backward()
    # (PyTorch's float64 igamma is 3e-10 off the reference at some of these points.)
    np.testing.assert_allclose(cdf.data, theirs.detach().numpy(), rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(rate.grad, their_rate.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(value.grad, their_value.grad.numpy(), rtol=1e-5)
    with pytest.raises(ValueError, match="Gamma.cdf: values must be"):
        D.Gamma(dtype(2.0), dtype(1.0)).cdf(dtype(-1.0))


def test_gamma_cdf_gradients_match_finite_differences_and_refuse_the_concentrations():
    assert gradcheck(lambda r, x: D.Gamma(np.array([0.7, 4.0]), r).cdf(x),
                     (np.array([0.5, 2.0]), np.array([0.3, 2.5])))
    concentration = ad.tensor([0.7, 4.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="derivative with respect to a"):
        D.Gamma(concentration, 1.0).cdf(np.array([0.3, 2.5])).sum().backward()


# ----- Normal.icdf in the lower tail -----------------------------------------------------

@pytest.mark.parametrize("dtype, probabilities, rtol", [
    (np.float64, [1e-300, 1e-20, 1e-12, 1e-4, 0.3, 0.9, 1 - 1e-8], 1e-14),
    (np.float32, [1e-30, 1e-8, 1e-4, 0.3, 0.9], 1e-6)])
def test_normal_and_log_normal_icdf_keep_the_lower_tail(dtype, probabilities, rtol):
    # √2 erfinv(2p - 1) rounded 2p - 1 to -1 below p ~ 1e-17 (float64) and 1e-8
    # (float32), giving -inf, and lost digits before (4e-7 at p = 1e-12); PyTorch's
    # formula is the same.  Φ⁻¹ is now ndtri.
    mpmath = pytest.importorskip("mpmath")
    p = np.array(probabilities, dtype)
    with mpmath.workdps(60):                      # Φ⁻¹ by solving log Φ(x) = log p
        want = np.array([float(mpmath.findroot(
            lambda x, q=mpmath.mpf(float(q)): mpmath.log(mpmath.ncdf(x)) - mpmath.log(q),
            -np.sqrt(-2 * np.log(float(q))) if q < 0.5 else 1.0)) for q in p])
    normal = D.Normal(dtype(1.0), dtype(2.0)).icdf(p)
    assert normal.dtype == dtype and np.isfinite(normal.data).all()
    np.testing.assert_allclose(normal.data, 1.0 + 2.0 * want, rtol=rtol)
    log_normal = D.LogNormal(dtype(0.5), dtype(0.25)).icdf(p)
    np.testing.assert_allclose(log_normal.data, np.exp(0.5 + 0.25 * want), rtol=rtol * 4)
    edges = D.Normal(dtype(0.0), dtype(1.0)).icdf(np.array([0.0, 1.0], dtype)).data
    assert list(edges) == [-np.inf, np.inf]


def test_normal_icdf_gradients_match_pytorch_and_finite_differences():
    p = np.array([1e-4, 0.3, 0.9])
    assert gradcheck(lambda loc, scale, q: D.Normal(loc, scale).icdf(q),
                     (np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.5, 3.0]), p))
    loc, scale = ad.tensor(0.5, requires_grad=True), ad.tensor(2.0, requires_grad=True)
    value = ad.tensor(np.array([1e-12, 1e-4, 0.3, 0.9, 0.0, 1.0]), requires_grad=True)
    with np.errstate(invalid="ignore"):          # -inf + inf in scale's gradient
        D.Normal(loc, scale).icdf(value).sum().backward()
    assert list(value.grad[-2:]) == [np.inf, np.inf]
    # d icdf / dp = scale / pdf(z): √(2π) scale exp(z² / 2).
    z = D.Normal(0.0, 1.0).icdf(value.data[:4]).data
    np.testing.assert_allclose(value.grad[:4], 2.0 * np.sqrt(2 * np.pi) * np.exp(z ** 2 / 2),
                               rtol=1e-13)
    torch, td = _torch()
    tloc, tscale, tvalue = _t(torch, 0.5, True), _t(torch, 2.0, True), _t(torch, value.data, True)
    td.Normal(tloc, tscale).icdf(tvalue).sum().backward()
    # (not at 1e-12, where PyTorch's erfinv formula is 2e-5 off)
    np.testing.assert_allclose(value.grad[1:], tvalue.grad.numpy()[1:], rtol=1e-6)
    np.testing.assert_allclose(loc.grad, tloc.grad.numpy())
    # scale's gradient is the sum of the icdfs of N(0, 1), infinite at 0 and 1.
    assert np.isnan(scale.grad) and np.isnan(tscale.grad.item())


# ----- Laplace's cdf / icdf and Cauchy's cdf in the tails and at the median -------------

@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-14), (np.float32, 1e-6)])
def test_laplace_cdf_and_icdf_keep_the_tails(dtype, rtol):
    # 0.5 - 0.5 sign(z) expm1(-|z|) and -sign(p - ½) log1p(-2|p - ½|) (PyTorch's too)
    # cancelled in the lower tail: cdf(loc - 40 scale) was 0 (it is e^-40 / 2), and
    # icdf(1e-20) -inf (it is loc + scale log(2e-20)).
    lap = D.Laplace(dtype(0.3), dtype(2.0))
    z = np.array([-40.0, -10.0, -0.5, 0.0, 0.5, 10.0, 30.0])
    cdf = lap.cdf((0.3 + 2.0 * z).astype(dtype))
    want = np.where(z < 0, 0.5 * np.exp(np.minimum(z, 0)), 1 - 0.5 * np.exp(-np.maximum(z, 0)))
    assert cdf.dtype == dtype
    np.testing.assert_allclose(cdf.data, want, rtol=rtol)
    p = np.array([1e-30, 1e-20, 1e-12, 0.2, 0.5, 0.9, 1 - 1e-7], dtype)
    p64 = p.astype(np.float64)
    want = 0.3 + 2.0 * np.where(p64 < 0.5, np.log(2 * p64), -np.log(2 - 2 * p64))
    np.testing.assert_allclose(lap.icdf(p).data, want, rtol=rtol)


def test_laplace_cdf_and_icdf_slopes_at_the_median():
    # sign() made both slopes 0 at the median (PyTorch's too): the cdf's is the density
    # there, 1 / (2 scale), and the icdf's its inverse, 2 scale.
    value = ad.tensor(np.array([0.3, -5.0, 4.0]), requires_grad=True)
    lap = D.Laplace(0.3, 2.0)
    lap.cdf(value).sum().backward()
    np.testing.assert_allclose(value.grad, np.exp(lap.log_prob(value.data).data), rtol=1e-14)
    p = ad.tensor(np.array([0.5, 0.1, 0.8]), requires_grad=True)
    lap.icdf(p).sum().backward()
    np.testing.assert_allclose(p.grad, 1 / np.exp(lap.log_prob(lap.icdf(p.data).data).data),
                               rtol=1e-13)
    assert p.grad[0] == pytest.approx(4.0, rel=1e-14)
    assert gradcheck(lambda loc, scale, x: D.Laplace(loc, scale).cdf(x),
                     (np.array([0.3, -1.0]), np.array([2.0, 0.5]), np.array([-3.0, 0.2])))
    assert gradcheck(lambda loc, scale, q: D.Laplace(loc, scale).icdf(q),
                     (np.array([0.3, -1.0]), np.array([2.0, 0.5]), np.array([0.1, 0.7])))
    torch, td = _torch()
    tvalue, tp = _t(torch, [-5.0, 4.0], True), _t(torch, [0.1, 0.8], True)
    their = td.Laplace(_t(torch, 0.3), _t(torch, 2.0))
    their.cdf(tvalue).sum().backward()
    their.icdf(tp).sum().backward()
    np.testing.assert_allclose(value.grad[1:], tvalue.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(p.grad[1:], tp.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(lap.cdf([-5.0, 4.0]).data,
                               their.cdf(_t(torch, [-5.0, 4.0])).numpy(), rtol=1e-14)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-14), (np.float32, 1e-6)])
def test_cauchy_cdf_keeps_the_lower_tail(dtype, rtol):
    # arctan(z) / π + ½ cancelled for z far below 0: 0 at z = -1e17 (it is 3.2e-18).
    z = np.array([-1e30, -1e17, -1e10, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 1e10], dtype)
    value = ad.tensor(2.0 * z, requires_grad=True)
    cdf = D.Cauchy(dtype(0.0), dtype(2.0)).cdf(value)
    z64 = z.astype(np.float64)
    want = np.where(z64 < -1, np.arctan(-1 / np.where(z64 < -1, z64, -1.0)) / np.pi,
                    np.arctan(z64) / np.pi + 0.5)
    assert cdf.dtype == dtype
    np.testing.assert_allclose(cdf.data, want, rtol=rtol)
    cdf.sum().backward()
    density = 1 / (np.pi * 2.0 * (1 + z64 ** 2))
    np.testing.assert_allclose(value.grad, density, rtol=rtol * 10, atol=np.finfo(dtype).tiny)
    assert gradcheck(lambda loc, scale, x: D.Cauchy(loc, scale).cdf(x),
                     (np.array([0.3, -1.0, 0.0]), np.array([2.0, 0.5, 1.0]),
                      np.array([-30.0, 0.2, 1.5])))
    torch, td = _torch()
    near = np.array([-3.0, -0.5, 0.5, 3.0])
    theirs = td.Cauchy(_t(torch, 0.0), _t(torch, 2.0)).cdf(_t(torch, near))
    np.testing.assert_allclose(D.Cauchy(0.0, 2.0).cdf(near).data, theirs.numpy(), rtol=1e-14)


def test_laplace_and_cauchy_cdf_read_each_calls_values_in_a_compiled_step():
    def step(loc, x, p):
        return D.Laplace(loc, 2.0).cdf(x), D.Laplace(loc, 2.0).icdf(p), D.Cauchy(loc, 1.0).cdf(x)

    compiled = ad.compile(step)
    data = np.random.default_rng(8)
    for n in (3, 3, 5):
        args = 3 * data.normal(size=n), 3 * data.normal(size=n), data.uniform(size=n)
        for ours, eager in zip(compiled(*args), step(*args)):
            np.testing.assert_allclose(ours.data, eager.data, rtol=1e-13)
