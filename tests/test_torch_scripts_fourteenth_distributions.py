"""The distributions the fourteenth round of PyTorch scripts reached for and did not
find: ``ContinuousBernoulli`` (with PyTorch's kl_divergence pairs), ``FisherSnedecor``,
``Wishart``, ``OneHotCategoricalStraightThrough``, and the transforms and ``register_kl``
under ``torch.distributions`` itself (``D.AffineTransform``, ``D.register_kl``), which
were only in ``.transforms`` / ``.kl``; ``ExponentialFamily`` is refused by name with
what to use instead.  Checked
against PyTorch (float64, to 1e-12 where the formula is PyTorch's) and against central
differences; the scripts run with both libraries from the same weights."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

D = ad.distributions
DATA = np.random.default_rng(1414_3)
PROBS = np.array([1e-4, 0.2, 0.4995, 0.5, 0.5005, 0.7, 0.999])    # (3 inside the lims)
VALUES = np.array([0.0, 0.3, 0.5, 0.9, 1.0, 0.25, 0.7])
TOL = 1e-12


def _both(make_ours, make_theirs, probs):
    torch = pytest.importorskip("torch")
    ours_p = ad.tensor(probs, requires_grad=True)
    theirs_p = torch.tensor(probs, requires_grad=True)
    return ours_p, make_ours(ours_p), theirs_p, make_theirs(theirs_p), torch


def _close(ours, theirs, tol=TOL):
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("by", ["probs", "logits"])
@pytest.mark.parametrize("what", ["mean", "variance", "stddev", "entropy", "log_prob", "cdf",
                                  "icdf"])
def test_continuous_bernoulli_values_and_gradients_match_pytorch(by, what):
    params = PROBS if by == "probs" else np.log(PROBS) - np.log1p(-PROBS)
    ours_p, ours, theirs_p, theirs, torch = _both(
        lambda p: D.ContinuousBernoulli(**{by: p}),
        lambda p: torch_distributions().ContinuousBernoulli(**{by: p}), params)
    if what in ("log_prob", "cdf", "icdf"):
        ours_out = getattr(ours, what)(ad.tensor(VALUES))
        theirs_out = getattr(theirs, what)(torch.tensor(VALUES))
    elif what == "entropy":
        ours_out, theirs_out = ours.entropy(), theirs.entropy()
    else:
        ours_out, theirs_out = getattr(ours, what), getattr(theirs, what)
    _close(ours_out, theirs_out)
    weights = DATA.normal(size=PROBS.shape)
    (ours_out * ad.tensor(weights)).sum().backward()
    (theirs_out * torch.tensor(weights)).sum().backward()
    # (the series inside the lims, and clamps, give gradients of a few ulps' worth of
    # different rounding; 1e-9 relative bounds that)
    np.testing.assert_allclose(ours_p.grad, theirs_p.grad.numpy(), rtol=1e-9, atol=1e-9)


def torch_distributions():
    return pytest.importorskip("torch").distributions


@pytest.mark.parametrize("probs", [0.2, 0.7, 0.9])
def test_continuous_bernoulli_log_prob_gradients_against_finite_differences(probs):
    values = np.array([0.1, 0.6, 0.95])

    def log_prob(p, x):
        return D.ContinuousBernoulli(probs=p).log_prob(x).sum()

    assert ad.gradcheck(log_prob, [np.full(3, probs), values])
    assert ad.gradgradcheck(log_prob, [np.full(3, probs), values])
    assert ad.gradcheck(lambda p: D.ContinuousBernoulli(probs=p).entropy().sum(),
                        [np.full(2, probs)])


def test_continuous_bernoulli_density_integrates_to_one_and_rsample_is_its_icdf():
    cb = D.ContinuousBernoulli(probs=ad.tensor([0.1, 0.4995, 0.8]))
    grid = np.linspace(0, 1, 20001)[:, None]
    density = np.exp(cb.log_prob(ad.tensor(grid)).data)
    np.testing.assert_allclose(np.trapezoid(density, grid[:, 0], axis=0), 1.0, rtol=1e-7)
    draws = cb.sample((20000,), rng=0).data
    assert ((draws >= 0) & (draws <= 1)).all()
    # the sample mean within 5 standard errors of the mean
    error = np.abs(draws.mean(0) - cb.mean.data) / (cb.stddev.data / np.sqrt(20000))
    assert (error < 5).all(), error
    probs = ad.tensor([0.3], requires_grad=True)
    draw = D.ContinuousBernoulli(probs=probs).rsample((4,), rng=1)
    u = np.random.default_rng(1).random((4, 1))
    np.testing.assert_allclose(draw.data, D.ContinuousBernoulli(probs=[0.3]).icdf(u).data,
                               rtol=1e-12)
    draw.sum().backward()
    assert probs.grad is not None and np.isfinite(probs.grad).all()
    assert D.ContinuousBernoulli(probs=0.3).rsample(rng=0).requires_grad is False


def _kl_pairs():
    """(p's family, q's, a maker of the pair from a distributions module and a tensor
    constructor)."""
    return [
        ("ContinuousBernoulli", "ContinuousBernoulli",
         lambda L, t: (L.ContinuousBernoulli(t([0.2, 0.4999, 0.8])),
                       L.ContinuousBernoulli(t([0.6, 0.3, 0.5001])))),
        ("Beta", "ContinuousBernoulli",
         lambda L, t: (L.Beta(t([2.0, 0.5, 3.0]), t([1.5, 0.7, 3.0])),
                       L.ContinuousBernoulli(t([0.3, 0.5, 0.9])))),
        ("ContinuousBernoulli", "Exponential",
         lambda L, t: (L.ContinuousBernoulli(t([0.3, 0.5, 0.9])),
                       L.Exponential(t([0.5, 1.0, 2.0])))),
        ("ContinuousBernoulli", "Normal",
         lambda L, t: (L.ContinuousBernoulli(t([0.3, 0.5, 0.9])),
                       L.Normal(t([0.0, 0.5, 2.0]), t([1.0, 0.3, 2.0])))),
        ("ContinuousBernoulli", "Uniform",
         lambda L, t: (L.ContinuousBernoulli(t([0.3, 0.5, 0.9])),
                       L.Uniform(t([-1.0, 0.2, -0.5]), t([2.0, 3.0, 0.9])))),
        ("Uniform", "ContinuousBernoulli",
         lambda L, t: (L.Uniform(t([0.1, -0.2, 0.3]), t([0.9, 0.5, 1.2])),
                       L.ContinuousBernoulli(t([0.3, 0.5, 0.9])))),
        ("Normal", "ContinuousBernoulli",
         lambda L, t: (L.Normal(t([0.0, 0.5, 2.0]), t([1.0, 0.3, 2.0])),
                       L.ContinuousBernoulli(t([0.3, 0.5, 0.9])))),
        ("ContinuousBernoulli", "Pareto",
         lambda L, t: (L.ContinuousBernoulli(t([0.3, 0.5, 0.9])),
                       L.Pareto(t([1.0, 0.5, 2.0]), t([1.0, 3.0, 2.0])))),
        ("Gamma", "ContinuousBernoulli",
         lambda L, t: (L.Gamma(t([1.0, 0.5, 2.0]), t([1.0, 3.0, 2.0])),
                       L.ContinuousBernoulli(t([0.3, 0.5, 0.9])))),
    ]


@pytest.mark.parametrize("name, make", [(f"{p}-{q}", make) for p, q, make in _kl_pairs()])
def test_continuous_bernoulli_kl_pairs_match_pytorch(name, make):
    torch = pytest.importorskip("torch")
    ours = D.kl_divergence(*make(D, ad.tensor))
    theirs = torch.distributions.kl_divergence(
        *make(torch.distributions, lambda v: torch.tensor(v, dtype=torch.float64)))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_kl_against_a_uniform_on_exactly_the_unit_interval_is_finite():
    # (PyTorch's tests ">= 0" and "<= 1" give +inf here, though the supports agree)
    cb = D.ContinuousBernoulli(probs=0.3)
    unit = D.Uniform(0.0, 1.0)
    np.testing.assert_allclose(D.kl_divergence(cb, unit).data, -cb.entropy().data, rtol=1e-12)
    grid = np.linspace(0.0, 1.0, 200001)
    log_ratio = cb.log_prob(grid).data                       # log q = 0 on [0, 1]
    by_quadrature = np.trapezoid(np.exp(log_ratio) * log_ratio, grid)
    np.testing.assert_allclose(D.kl_divergence(cb, unit).data, by_quadrature, rtol=1e-6)
    np.testing.assert_allclose(D.kl_divergence(unit, cb).data,
                               -np.trapezoid(cb.log_prob(grid).data, grid), rtol=1e-6)


def test_continuous_bernoulli_refuses_values_outside_the_unit_interval():
    cb = D.ContinuousBernoulli(probs=0.3)
    with pytest.raises(ValueError, match=r"ContinuousBernoulli.log_prob: values must lie in "
                                         r"\[0, 1\].*1.5"):
        cb.log_prob(1.5)
    with pytest.raises(ValueError, match=r"ContinuousBernoulli: probs must lie in \[0, 1\]"):
        D.ContinuousBernoulli(probs=1.2)
    assert cb.support.check(ad.tensor(0.0)).data and cb.expand((3,)).batch_shape == (3,)


@pytest.mark.parametrize("df1, df2", [(3.0, 10.0), (0.7, 1.5), (5.0, 3.0), (12.0, 4.5)])
def test_fisher_snedecor_matches_pytorch(df1, df2):
    torch = pytest.importorskip("torch")
    values = np.array([0.05, 0.5, 1.0, 2.5, 9.0])
    ours_d = [ad.tensor(np.full(5, df1), requires_grad=True), ad.tensor(df2, requires_grad=True)]
    theirs_d = [torch.tensor(np.full(5, df1), requires_grad=True),
                torch.tensor(df2, dtype=torch.float64, requires_grad=True)]
    ours, theirs = D.FisherSnedecor(*ours_d), torch.distributions.FisherSnedecor(*theirs_d)
    for what in ("mean", "variance", "mode"):
        np.testing.assert_allclose(getattr(ours, what).data,
                                   getattr(theirs, what).detach().numpy(), rtol=TOL)
    ours_lp, theirs_lp = ours.log_prob(ad.tensor(values)), theirs.log_prob(torch.tensor(values))
    _close(ours_lp, theirs_lp)
    ours_lp.sum().backward()
    theirs_lp.sum().backward()
    for mine, their in zip(ours_d, theirs_d):
        np.testing.assert_allclose(mine.grad, their.grad.numpy(), rtol=1e-10)
    assert ad.gradcheck(lambda a, b: D.FisherSnedecor(a, b).log_prob(values).sum(),
                        [np.full(5, df1), np.array(df2)])


def test_fisher_snedecor_draws_and_what_it_refuses():
    f = D.FisherSnedecor(ad.tensor([4.0, 8.0]), 12.0)
    draws = f.sample((40000,), rng=0).data
    assert draws.shape == (40000, 2) and (draws > 0).all()
    error = np.abs(draws.mean(0) - f.mean.data) / (f.stddev.data / np.sqrt(40000))
    assert (error < 5).all(), error
    np.testing.assert_array_equal(f.rsample((3,), rng=1).data, f.sample((3,), rng=1).data)
    with pytest.raises(NotImplementedError, match="FisherSnedecor.rsample.*df1 and df2"):
        D.FisherSnedecor(ad.tensor(4.0, requires_grad=True), 12.0).rsample()
    with pytest.raises(ValueError, match="FisherSnedecor.*df2"):
        D.FisherSnedecor(1.0, -2.0)
    with pytest.raises(ValueError, match="FisherSnedecor.log_prob: values must be > 0"):
        f.log_prob(ad.tensor([-1.0, 1.0]))
    assert repr(f.support) == "GreaterThan(lower_bound=0.0)"
    assert sorted(f.arg_constraints) == ["df1", "df2"]


def test_one_hot_categorical_straight_through_passes_the_gradient_of_probs():
    torch = pytest.importorskip("torch")
    logits = np.array([[0.2, -1.0, 0.5], [1.0, 0.0, -0.3]])
    weights = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]])
    grads = []
    for lib, make in ((ad, ad.tensor), (torch, torch.tensor)):
        theta = make(logits, requires_grad=True)
        d = lib.distributions.OneHotCategoricalStraightThrough(logits=theta)
        draw = d.rsample((5,))
        assert d.has_rsample and tuple(draw.shape) == (5, 2, 3)
        assert (draw.detach().numpy() if lib is torch else draw.data).sum(-1).tolist() == \
            [[1.0, 1.0]] * 5
        (draw * make(weights)).sum().backward()
        grads.append(theta.grad if lib is ad else theta.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


@pytest.mark.parametrize("name", ["ExponentialFamily"])
def test_what_is_not_here_is_refused_by_name_with_what_to_use(name):
    with pytest.raises(AttributeError, match=f"PyTorch's {name} is not implemented here; "):
        getattr(D, name)
    assert not hasattr(D, "NoSuchDistribution")


def test_transforms_and_register_kl_are_reached_from_distributions_itself():
    pytest.importorskip("torch")
    from torch_side_by_side import side_by_side

    def script(torch, copy_weights):
        Dist = torch.distributions
        loc = torch.tensor([0.1, -0.3], requires_grad=True)
        base = Dist.Normal(loc, torch.ones(2))
        log_normal = Dist.TransformedDistribution(
            base, [Dist.AffineTransform(loc=1.0, scale=2.0), Dist.ExpTransform()])
        values = torch.tensor([1.5, 4.0])
        log_prob = log_normal.log_prob(values)
        log_prob.sum().backward()

        class Shifted(Dist.Normal):
            pass

        @Dist.register_kl(Shifted, Dist.Normal)
        def _kl_shifted_normal(p, q):
            return (p.loc - q.loc) ** 2

        kl = Dist.kl_divergence(Shifted(torch.tensor(2.0), torch.tensor(1.0)),
                                Dist.Normal(torch.tensor(0.5), torch.tensor(1.0)))
        return log_prob, loc.grad, kl, isinstance(Dist.identity_transform, Dist.Transform)
    side_by_side(script)


def test_a_vae_with_a_continuous_bernoulli_likelihood():
    pytest.importorskip("torch")
    from torch_side_by_side import side_by_side
    images = DATA.random(size=(3, 6, 8))                     # grey levels in [0, 1]
    noise = DATA.normal(size=(3, 6, 2))

    def script(torch, copy_weights):
        nn = torch.nn
        Dist = torch.distributions

        class VAE(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = nn.Sequential(nn.Linear(8, 10), nn.ReLU(), nn.Linear(10, 4))
                self.decoder = nn.Sequential(nn.Linear(2, 10), nn.ReLU(), nn.Linear(10, 8))

            def forward(self, x, eps):
                mu, log_var = self.encoder(x).chunk(2, dim=-1)
                z = mu + torch.exp(0.5 * log_var) * eps
                likelihood = Dist.ContinuousBernoulli(logits=self.decoder(z))
                kl = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp(), dim=-1)
                return -likelihood.log_prob(x).sum(-1) + kl, likelihood.mean

        model = VAE()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        losses = []
        for x, eps in zip(images, noise):
            loss, _ = model(torch.from_numpy(x), torch.from_numpy(eps))
            optimizer.zero_grad()
            loss.mean().backward()
            optimizer.step()
            losses.append(loss.mean().item())
        with torch.no_grad():
            _, reconstruction = model(torch.from_numpy(images[0]), torch.zeros(6, 2))
        return losses, reconstruction, model
    side_by_side(script, tol=1e-9)


def _wishart_inputs():
    rng = np.random.default_rng(7)
    a = rng.normal(size=(2, 3, 3))
    cov = a @ a.transpose(0, 2, 1) + np.eye(3)
    x = rng.normal(size=(4, 2, 3, 5))
    return np.array([3.5, 6.0]), cov, x @ x.swapaxes(-1, -2) + 0.1 * np.eye(3)


@pytest.mark.parametrize("given", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_wishart_values_and_gradients_match_pytorch(given):
    torch = pytest.importorskip("torch")
    df, cov, values = _wishart_inputs()
    matrix = np.linalg.cholesky(cov) if given == "scale_tril" else (
        np.linalg.inv(cov) if given == "precision_matrix" else cov)
    results = []
    for lib, make in ((ad, ad.tensor), (torch, torch.tensor)):
        nu, m = make(df, requires_grad=True), make(matrix, requires_grad=True)
        w = lib.distributions.Wishart(nu, **{given: m})
        outputs = [w.log_prob(make(values)), w.entropy(), w.mean, w.variance, w.mode]
        sum(o.sum() for o in outputs[:4]).backward()
        as_array = (lambda t: t.detach().numpy()) if lib is torch else (lambda t: t.data)
        grads = (nu.grad.numpy(), m.grad.numpy()) if lib is torch else (nu.grad, m.grad)
        results.append([as_array(o) for o in outputs] + list(grads))
    if given == "scale_tril":
        # (the upper triangle of scale_tril is not a parameter here, as in
        # MultivariateNormal: no gradient; PyTorch's L Lᵀ reads it, and gives it one)
        results[1][-1] = np.tril(results[1][-1])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_wishart_log_prob_against_finite_differences():
    df, cov, values = _wishart_inputs()
    tril = np.linalg.cholesky(cov)

    def log_prob(nu, scale_tril):
        return D.Wishart(nu, scale_tril=ad.tril(scale_tril)).log_prob(values[0]).sum()

    assert ad.gradcheck(log_prob, [df, tril])
    # in the value too, along symmetric directions (the support is symmetric matrices)
    assert ad.gradcheck(lambda x: D.Wishart(df, covariance_matrix=cov)
                        .log_prob((x + np.swapaxes(x, -1, -2)) / 2).sum(), [values[1]])
    assert ad.gradgradcheck(lambda nu, c: D.Wishart(
        nu, covariance_matrix=(c + np.swapaxes(c, -1, -2)) / 2).entropy().sum(), [df, cov])


def test_wishart_draws_their_mean_and_a_gradient_through_the_scale():
    df, cov, _ = _wishart_inputs()
    w = D.Wishart(ad.tensor(df), covariance_matrix=ad.tensor(cov))
    draws = w.sample((20000,), rng=0).data
    assert draws.shape == (20000, 2, 3, 3)
    np.testing.assert_allclose(draws, draws.swapaxes(-1, -2), rtol=1e-12)
    assert (np.linalg.eigvalsh(draws) > 0).all()
    error = np.abs(draws.mean(0) - w.mean.data) / np.sqrt(w.variance.data / 20000)
    assert (error < 5).all(), error.max()
    np.testing.assert_allclose(w.rsample((2,), rng=3).data, w.sample((2,), rng=3).data,
                               rtol=1e-12)
    tril = np.linalg.cholesky(cov)
    assert ad.gradcheck(lambda t: (D.Wishart(df, scale_tril=ad.tril(t)).rsample(rng=1) ** 2)
                        .sum(), [tril])


def test_wishart_refuses_what_pytorch_refuses_and_warns_on_low_df():
    with pytest.raises(ValueError, match="Wishart: df must be greater than the dimension - 1 "
                                         "= 2; got 1.5"):
        D.Wishart(1.5, covariance_matrix=np.eye(3))
    with pytest.warns(UserWarning, match="Low df values detected") as record:
        D.Wishart(2.5, covariance_matrix=np.eye(3))
    assert record[0].filename == __file__
    with pytest.raises(ValueError, match="Wishart: pass exactly one of covariance_matrix="):
        D.Wishart(4.0, covariance_matrix=np.eye(2), scale_tril=np.eye(2))
    with pytest.raises(ValueError, match="Wishart: covariance_matrix must be positive definite"):
        D.Wishart(4.0, covariance_matrix=-np.eye(2))
    w = D.Wishart(4.0, covariance_matrix=np.eye(2))
    with pytest.raises(ValueError, match="Wishart.log_prob: each value must be positive "
                                         "definite"):
        w.log_prob(-np.eye(2))
    with pytest.raises(ValueError, match="Wishart.log_prob: values must be 2 x 2 matrices"):
        w.log_prob(np.eye(3))
    with pytest.raises(NotImplementedError, match="Wishart.rsample.*df"):
        D.Wishart(ad.tensor(4.0, requires_grad=True), covariance_matrix=np.eye(2)).rsample()
    assert repr(w.support) == "PositiveDefinite()" and "df" in w.arg_constraints


def test_map_estimate_of_a_precision_matrix_under_a_wishart_prior():
    pytest.importorskip("torch")
    from torch_side_by_side import side_by_side
    points = DATA.normal(size=(30, 3)) @ np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0],
                                                   [0.0, -0.3, 0.5]])

    def script(torch, copy_weights):
        Dist = torch.distributions
        raw = torch.zeros(3, 3, requires_grad=True)          # L = tril(raw), exp on the diagonal
        prior = Dist.Wishart(torch.tensor(5.0), covariance_matrix=torch.eye(3) / 5.0)
        x = torch.from_numpy(points)
        optimizer = torch.optim.Adam([raw], lr=0.05)
        history = []
        for _ in range(6):
            L = torch.tril(raw, -1) + torch.diag(torch.exp(torch.diagonal(raw)))
            precision = L @ L.T
            likelihood = Dist.MultivariateNormal(torch.zeros(3), precision_matrix=precision)
            log_posterior = likelihood.log_prob(x).sum() + prior.log_prob(precision)
            optimizer.zero_grad()
            (-log_posterior).backward()
            optimizer.step()
            history.append(log_posterior.item())
        return history, raw, prior.entropy(), prior.mode
    side_by_side(script)
