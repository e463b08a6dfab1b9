"""LowRankMultivariateNormal and LKJCholesky against torch.distributions: values and
gradients in float64 and float32, gradients against central differences, kl_divergence
with MultivariateNormal, and samples (moments within 6 standard errors)."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import distributions as D
from distribution_torch_checks import assert_moments, operand_of, compare_with_torch, torch_modules


# ----- LowRankMultivariateNormal ------------------------------------------------------

_LR = np.random.default_rng(3)
_LR_PARAMS = (_LR.normal(size=(2, 3)), _LR.normal(size=(2, 3, 2)), _LR.uniform(0.5, 2, 3))
_LR_VALUES = _LR.normal(size=(4, 2, 3)).tolist()


@pytest.mark.parametrize("what", ["log_prob", "entropy", "covariance_matrix",
                                  "precision_matrix", "scale_tril", "variance"])
def test_low_rank_normal_matches_pytorch_and_central_differences(what):
    def build(M, loc, factor, diag):
        dist = M.LowRankMultivariateNormal(loc, factor, diag)
        if what == "log_prob":
            return dist.log_prob(operand_of(M, _LR_VALUES, loc))
        return dist.entropy() if what == "entropy" else getattr(dist, what)
    compare_with_torch(build, _LR_PARAMS, rtol32=1e-4)


@pytest.mark.parametrize("other_first", [False, True])
@pytest.mark.parametrize("other", ["LowRankMultivariateNormal", "MultivariateNormal"])
def test_low_rank_normal_kl_pairs_match_pytorch(other, other_first):
    if other == "LowRankMultivariateNormal" and other_first:
        return                                   # the same pair as other_first=False
    given = {"LowRankMultivariateNormal": ([0.1, 0.2, 0.3], [[1.0], [0.5], [-0.5]],
                                           [1.0, 2.0, 0.5]),
             "MultivariateNormal": ([0.5, -1.0, 0.0], [[2.0, 0.3, 0.0], [0.3, 1.0, 0.2],
                                                       [0.0, 0.2, 0.7]])}[other]

    def build(M, loc, factor, diag):
        low_rank = M.LowRankMultivariateNormal(loc, factor, diag)
        fixed = getattr(M, other)(*[operand_of(M, v, loc) for v in given])
        pair = (fixed, low_rank) if other_first else (low_rank, fixed)
        return M.kl_divergence(*pair)
    compare_with_torch(build, _LR_PARAMS, rtol32=1e-4)


def test_low_rank_normal_samples_have_its_mean_and_covariance():
    loc, factor, diag = _LR_PARAMS
    dist = D.LowRankMultivariateNormal(loc, factor, diag)
    n = 400_000
    for draws in (dist.sample((n,), rng=4).data, dist.rsample((n,), rng=5).data):
        assert draws.shape == (n, 2, 3)
        assert_moments(draws, loc, dist.variance.data)
        centered = draws - loc
        products = centered[..., :, None] * centered[..., None, :]
        covariance = dist.covariance_matrix.data
        spread = products.std(0)
        assert (np.abs(products.mean(0) - covariance) < 6 * spread / np.sqrt(n)).all()


def test_low_rank_normal_rsample_gradients_and_errors():
    loc = ad.tensor(np.zeros(3), requires_grad=True)
    factor = ad.tensor(np.ones((3, 1)), requires_grad=True)
    draw = D.LowRankMultivariateNormal(loc, factor, np.ones(3)).rsample((4,), rng=0)
    draw.sum().backward()
    np.testing.assert_array_equal(loc.grad, [4.0, 4.0, 4.0])
    assert factor.grad.shape == (3, 1) and np.isfinite(factor.grad).all()
    torch, td = torch_modules()
    t = lambda v: torch.tensor(np.asarray(v, np.float64))      # noqa: E731
    for args in (([0.0, 0.0], np.ones((3, 1)), [1.0, 1.0]),          # W has 3 rows
                 ([0.0, 0.0], np.ones((2, 1)), [1.0, 1.0, 1.0]),     # D has length 3
                 ([0.0, 0.0], np.ones((2, 1)), [1.0, -1.0])):        # D not positive
        with pytest.raises(ValueError):
            td.LowRankMultivariateNormal(*map(t, args))
        with pytest.raises(ValueError, match="LowRankMultivariateNormal: cov_"):
            D.LowRankMultivariateNormal(*args)
    with pytest.raises(ValueError, match="LowRankMultivariateNormal.log_prob: values must be "
                                         "vectors of length 2"):
        D.LowRankMultivariateNormal([0.0, 0.0], np.ones((2, 1)), [1.0, 1.0]).log_prob([1.0])


# ----- LKJCholesky --------------------------------------------------------------------

@pytest.mark.parametrize("dim", [2, 3, 5])
def test_lkj_cholesky_log_prob_matches_pytorch_and_central_differences(dim):
    torch, td = torch_modules()
    factors = td.LKJCholesky(dim, torch.tensor(1.5, dtype=torch.float64)).sample(
        (2, 3)).numpy().tolist()

    def build(M, concentration):
        return M.LKJCholesky(dim, concentration).log_prob(operand_of(M, factors, concentration))
    compare_with_torch(build, ([0.5, 1.0, 3.0],), rtol32=1e-4)


@pytest.mark.parametrize("dim", [2, 3, 5])
def test_lkj_cholesky_samples_are_correlation_factors_with_the_lkj_marginals(dim):
    # (PyTorch's sampler fails this from dim 3 on, in rows ≥ 2: for dim 4 and η = 1 the
    # variance of the correlation in row 2 is 0.25, not 0.2.)
    eta = np.array([0.5, 1.0, 3.0])
    factors = D.LKJCholesky(dim, eta).sample((200_000,), rng=11).data
    assert factors.shape == (200_000, 3, dim, dim)
    assert D.constraints.corr_cholesky.check(ad.tensor(factors)).data.all()
    correlation = factors @ np.swapaxes(factors, -1, -2)
    # Each correlation r of LKJ(η) has (r + 1) / 2 ~ Beta(β, β), β = η - 1 + dim / 2.
    beta = eta - 1 + dim / 2
    for i in range(1, dim):
        for j in range(i):
            assert_moments(correlation[..., i, j], np.zeros(3), 1 / (2 * beta + 1))


def test_lkj_cholesky_errors_match_pytorch():
    torch, td = torch_modules()
    for make in (lambda M, t: M.LKJCholesky(1, t(1.0)),
                 lambda M, t: M.LKJCholesky(3, t(-1.0)),
                 lambda M, t: M.LKJCholesky(2, t(1.0)).log_prob(t([[1.0, 0.0], [0.5, 0.5]]))):
        with pytest.raises(ValueError):
            make(td, lambda v: torch.tensor(v, dtype=torch.float64))
        with pytest.raises(ValueError, match="LKJCholesky"):
            make(D, lambda v: np.asarray(v, np.float64))
    ours, theirs = D.LKJCholesky(3, 2.0), td.LKJCholesky(3, torch.tensor(2.0))
    assert ours.event_shape == tuple(theirs.event_shape) == (3, 3)
    assert repr(ours.support) == repr(theirs.support)
