"""MultivariateNormal and Independent: densities, entropies and KL against formulas
written out in NumPy (and SciPy / PyTorch / autograd where installed), the three ways
to give the covariance, gradients by finite differences, sample moments, errors."""

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff.distributions import (Bernoulli, Independent, MultivariateNormal, Normal,
                                    kl_divergence)

RNG = np.random.default_rng(17)
LOG_2PI = math.log(2 * math.pi)


def _covariances(*batch, size=3):
    a = RNG.standard_normal(batch + (size, size))
    return a @ np.swapaxes(a, -1, -2) + 0.5 * np.eye(size)


def np_log_density(x, loc, cov):
    diff = x - loc
    solved = np.linalg.solve(cov, diff[..., None])[..., 0]
    return -0.5 * ((diff * solved).sum(-1) + np.linalg.slogdet(cov)[1]
                   + loc.shape[-1] * LOG_2PI)


@pytest.mark.parametrize("given", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_log_prob_entropy_moments_match_the_formulas(given):
    cov, loc = _covariances(2), RNG.standard_normal(3)
    matrix = {"covariance_matrix": cov, "precision_matrix": np.linalg.inv(cov),
              "scale_tril": np.linalg.cholesky(cov)}[given]
    mvn = MultivariateNormal(loc, **{given: matrix})
    assert mvn.batch_shape == (2,) and mvn.event_shape == (3,)
    x = RNG.standard_normal((4, 2, 3))
    np.testing.assert_allclose(mvn.log_prob(x).data, np_log_density(x, loc, cov), rtol=1e-12)
    np.testing.assert_allclose(mvn.entropy().data,
                               0.5 * (3 * (1 + LOG_2PI) + np.linalg.slogdet(cov)[1]),
                               rtol=1e-12)
    np.testing.assert_allclose(mvn.mean.data, np.broadcast_to(loc, (2, 3)), rtol=1e-15)
    np.testing.assert_allclose(mvn.variance.data, np.diagonal(cov, axis1=-2, axis2=-1),
                               rtol=1e-12)
    np.testing.assert_allclose(mvn.covariance_matrix.data, cov, rtol=1e-12)
    np.testing.assert_allclose(mvn.precision_matrix.data, np.linalg.inv(cov), rtol=1e-9)
    np.testing.assert_allclose(mvn.scale_tril.data, np.linalg.cholesky(cov), rtol=1e-10,
                               atol=1e-14)


def test_against_scipy_and_torch():
    cov, loc, x = _covariances(size=4), RNG.standard_normal(4), RNG.standard_normal((5, 4))
    mvn = MultivariateNormal(loc, cov)
    stats = pytest.importorskip("scipy.stats")
    theirs = stats.multivariate_normal(loc, cov)
    np.testing.assert_allclose(mvn.log_prob(x).data, theirs.logpdf(x), rtol=1e-12)
    assert mvn.entropy().item() == pytest.approx(theirs.entropy(), rel=1e-12)
    torch = pytest.importorskip("torch")
    td = torch.distributions
    cov_q, loc_q = _covariances(size=4), RNG.standard_normal(4)
    p_t = td.MultivariateNormal(torch.tensor(loc), torch.tensor(cov))
    q_t = td.MultivariateNormal(torch.tensor(loc_q), torch.tensor(cov_q))
    assert kl_divergence(mvn, MultivariateNormal(loc_q, cov_q)).item() == pytest.approx(
        float(td.kl_divergence(p_t, q_t)), rel=1e-10)
    np.testing.assert_allclose(mvn.log_prob(x).data, p_t.log_prob(torch.tensor(x)).numpy(),
                               rtol=1e-12)


def test_kl_against_the_formula_with_broadcast_batches():
    cov_p, cov_q = _covariances(2), _covariances(3, 1)
    loc_p, loc_q = RNG.standard_normal(3), RNG.standard_normal((3, 2, 3))
    got = kl_divergence(MultivariateNormal(loc_p, cov_p), MultivariateNormal(loc_q, cov_q))
    assert got.shape == (3, 2)
    q_inv = np.linalg.inv(cov_q)
    diff = loc_q - loc_p
    want = 0.5 * (np.trace(q_inv @ cov_p, axis1=-2, axis2=-1)
                  + np.einsum("...i,...ij,...j", diff, q_inv, diff) - 3
                  + np.linalg.slogdet(cov_q)[1] - np.linalg.slogdet(cov_p)[1])
    np.testing.assert_allclose(got.data, want, rtol=1e-10)
    same = MultivariateNormal(loc_p, cov_p)
    np.testing.assert_allclose(kl_divergence(same, same).data, 0.0, atol=1e-13)


def test_samples_have_the_right_mean_and_covariance():
    cov, loc = _covariances(size=2), np.array([1.0, -2.0])
    mvn = MultivariateNormal(loc, cov)
    for draw in (mvn.sample, mvn.rsample):
        x = draw((200_000,), rng=6).data
        assert x.shape == (200_000, 2)
        np.testing.assert_allclose(x.mean(0), loc, atol=5 * math.sqrt(cov.max() / 200_000))
        np.testing.assert_allclose(np.cov(x.T), cov, rtol=0.03, atol=0.02)
    assert not mvn.sample(rng=0).requires_grad


def test_rsample_is_loc_plus_scale_tril_times_eps():
    cov, loc = _covariances(size=3), RNG.standard_normal(3)
    z = MultivariateNormal(loc, cov).rsample((4,), rng=2)
    eps = np.random.default_rng(2).standard_normal((4, 3))
    np.testing.assert_allclose(z.data, loc + eps @ np.linalg.cholesky(cov).T, rtol=1e-13)


def test_scale_tril_gradient_is_lower_triangular():
    tril = ad.tensor(np.linalg.cholesky(_covariances(size=3)), requires_grad=True)
    MultivariateNormal(np.zeros(3), scale_tril=tril).log_prob(RNG.standard_normal(3)).backward()
    assert (np.triu(tril.grad, 1) == 0).all() and (tril.grad[np.tril_indices(3)] != 0).all()


def _gradient_cases():
    a = RNG.standard_normal((3, 3)) * 0.5
    cov_of = lambda a: a @ np.swapaxes(a, -1, -2) + np.eye(3)  # noqa: E731
    loc, x = RNG.standard_normal((2, 3)), RNG.standard_normal((4, 2, 3))
    tril = np.tril(RNG.standard_normal((3, 3)) * 0.3) + np.eye(3)
    return {
        "log_prob (loc, covariance, value)":
            (lambda m, a, v: MultivariateNormal(m, cov_of(a)).log_prob(v), [loc, a, x]),
        "log_prob (precision)":
            (lambda a: MultivariateNormal(np.zeros(3), precision_matrix=cov_of(a)).log_prob(x),
             [a]),
        "log_prob (scale_tril)":
            (lambda t: MultivariateNormal(np.zeros(3), scale_tril=ad.tril(t)).log_prob(x),
             [tril]),
        "entropy": (lambda a: MultivariateNormal(np.zeros(3), cov_of(a)).entropy(), [a]),
        "rsample": (lambda m, a: ad.sin(MultivariateNormal(m, cov_of(a)).rsample((2,), rng=0)),
                    [loc, a]),
        "kl": (lambda m, a, b: kl_divergence(MultivariateNormal(m, cov_of(a)),
                                             MultivariateNormal(np.ones(3), cov_of(b))),
               [loc, a, RNG.standard_normal((3, 3)) * 0.5]),
        "Independent log_prob and entropy":
            (lambda m, s: Independent(Normal(m, s), 1).log_prob(x)
             + Independent(Normal(m, s), 1).entropy(), [loc, RNG.uniform(0.5, 2, 3)]),
        "Independent kl": (lambda m, s: kl_divergence(Independent(Normal(m, s), 2),
                                                      Independent(Normal(-m, s * 2), 2)),
                           [loc, RNG.uniform(0.5, 2, 3)]),
    }


@pytest.mark.parametrize("name", sorted(_gradient_cases()))
def test_gradients_first_and_second_order(name):
    func, inputs = _gradient_cases()[name]
    assert ad.gradcheck(func, inputs)
    assert ad.gradgradcheck(func, inputs)


def test_log_prob_gradient_agrees_with_hips_autograd():
    agrad = pytest.importorskip("autograd")
    amvn = pytest.importorskip("autograd.scipy.stats.multivariate_normal")
    cov, loc, x = _covariances(size=3), RNG.standard_normal(3), RNG.standard_normal((4, 3))
    loc_t, cov_t = ad.tensor(loc, requires_grad=True), ad.tensor(cov, requires_grad=True)
    MultivariateNormal(loc_t, cov_t).log_prob(x).sum().backward()
    want_loc = agrad.grad(lambda m: amvn.logpdf(x, m, cov).sum())(loc)
    want_cov = agrad.grad(lambda c: amvn.logpdf(x, loc, c).sum())(cov)
    np.testing.assert_allclose(loc_t.grad, want_loc, rtol=1e-10)
    # Cholesky reads the lower triangle: the symmetric gradient is G + Gᵀ - diag(G).
    sym = cov_t.grad + cov_t.grad.T - np.diag(np.diag(cov_t.grad))
    np.testing.assert_allclose(sym, want_cov + want_cov.T - np.diag(np.diag(want_cov)),
                               rtol=1e-9)


def test_independent_sums_over_the_reinterpreted_axes():
    loc, scale = RNG.standard_normal((2, 3)), RNG.uniform(0.5, 2.0, (2, 3))
    base = Normal(loc, scale)
    ind = Independent(base, 1)
    assert ind.batch_shape == (2,) and ind.event_shape == (3,) and ind.has_rsample
    x = RNG.standard_normal((5, 2, 3))
    np.testing.assert_allclose(ind.log_prob(x).data, base.log_prob(x).data.sum(-1), rtol=1e-14)
    np.testing.assert_allclose(ind.entropy().data, base.entropy().data.sum(-1), rtol=1e-14)
    np.testing.assert_array_equal(ind.sample((4,), rng=1).data, base.sample((4,), rng=1).data)
    np.testing.assert_array_equal(ind.rsample((4,), rng=1).data, base.rsample((4,), rng=1).data)
    assert ind.mean is base.mean and ind.variance.shape == (2, 3)
    both = Independent(base, 2)
    assert both.batch_shape == () and both.event_shape == (2, 3)
    assert both.log_prob(x).shape == (5,)
    np.testing.assert_allclose(Independent(base, 0).log_prob(x).data, base.log_prob(x).data)
    q = Normal(0.0, np.ones((2, 3)))
    np.testing.assert_allclose(kl_divergence(ind, Independent(q, 1)).data,
                               kl_divergence(base, q).data.sum(-1), rtol=1e-14)
    # A diagonal MultivariateNormal is an Independent Normal.
    mvn = MultivariateNormal(loc, scale_tril=np.eye(3) * scale[..., None])
    np.testing.assert_allclose(mvn.log_prob(x).data, ind.log_prob(x).data, rtol=1e-12)
    with pytest.raises(NotImplementedError, match="Bernoulli.rsample"):
        Independent(Bernoulli(probs=np.full(3, 0.5)), 1).rsample()


def test_bad_arguments_are_refused():
    cov = _covariances(size=2)
    with pytest.raises(ValueError, match="pass exactly one of covariance_matrix=, "
                                         "precision_matrix= or scale_tril= .got none"):
        MultivariateNormal(np.zeros(2))
    with pytest.raises(ValueError, match="got covariance_matrix, scale_tril"):
        MultivariateNormal(np.zeros(2), cov, scale_tril=np.eye(2))
    with pytest.raises(ValueError, match="covariance_matrix must be symmetric"):
        MultivariateNormal(np.zeros(2), [[1.0, 0.5], [0.0, 1.0]])
    with pytest.raises(ValueError, match="precision_matrix must be positive definite"):
        MultivariateNormal(np.zeros(2), precision_matrix=[[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match=r"scale_tril must be lower triangular; it has entries "
                                         r"above the diagonal \(batch index \(1,\)\)"):
        MultivariateNormal(np.zeros(2), scale_tril=np.stack([np.eye(2), np.ones((2, 2))]))
    with pytest.raises(ValueError, match="scale_tril must have a positive diagonal"):
        MultivariateNormal(np.zeros(2), scale_tril=-np.eye(2))
    with pytest.raises(ValueError, match="must be square matrices .* got shape \\(2, 3\\)"):
        MultivariateNormal(np.zeros(2), np.ones((2, 3)))
    with pytest.raises(ValueError, match="loc must be vectors of length 2"):
        MultivariateNormal(np.zeros(3), cov)
    with pytest.raises(ValueError, match="MultivariateNormal: loc must not be NaN"):
        MultivariateNormal(np.array([0.0, np.nan]), cov)
    with pytest.raises(ValueError, match="values must be vectors of length 2 .* got shape "
                                         "\\(3,\\)"):
        MultivariateNormal(np.zeros(2), cov).log_prob(np.zeros(3))
    with pytest.raises(ValueError, match="event_shape .2,. and .3,."):
        kl_divergence(MultivariateNormal(np.zeros(2), cov),
                      MultivariateNormal(np.zeros(3), np.eye(3)))
    with pytest.raises(ValueError, match=r"reinterpreted_batch_ndims must be an int in \[0, 1\]"):
        Independent(Normal(np.zeros(3), 1.0), 2)
    with pytest.raises(TypeError, match="Independent: base_distribution must be a distribution"):
        Independent(np.zeros(3), 1)
    with pytest.raises(NotImplementedError, match="reinterpret 1 and 0 batch axes"):
        kl_divergence(Independent(Normal(np.zeros(3), 1.0), 1),
                      Independent(Normal(np.zeros(3), 1.0), 0))
    with pytest.raises(NotImplementedError, match=r"no closed form for \(MultivariateNormal, "
                                                  r"Independent\)"):
        kl_divergence(MultivariateNormal(np.zeros(2), cov),
                      Independent(Normal(np.zeros(2), 1.0), 1))
