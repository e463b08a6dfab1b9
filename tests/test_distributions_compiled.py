"""The distributions added beside Normal/Bernoulli/Categorical in a compiled step: each
replay draws again (from a seed or a Generator), reads the parameters of its call, and
checks the values of its call."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import distributions as D


def _close(a, b):
    a, b = (np.asarray(getattr(v, "data", v)) for v in (a, b))
    np.testing.assert_allclose(b, a, rtol=1e-11, atol=1e-300)


@pytest.mark.parametrize("rng", ["seed", "generator"])
def test_draws_and_gradients_agree_with_eager_at_each_replay(rng):
    def make():
        gen = np.random.default_rng(4) if rng == "generator" else 4
        w = ad.nn.Parameter(np.array([[0.5, -0.2], [0.1, 0.3]]))

        def step(x, counts, simplex):
            h = x @ w
            loc, scale = h[:, 0], ad.exp(h[:, 1])
            cov = ad.eye(2, dtype=np.float64) * (1 + scale[:2, None] ** 2)
            draws = [D.Laplace(loc, scale).rsample(rng=gen),
                     D.LogNormal(loc, scale).rsample(rng=gen),
                     D.HalfNormal(scale).rsample(rng=gen),
                     D.Cauchy(loc, scale).rsample(rng=gen),
                     D.Gumbel(loc, scale).rsample(rng=gen),
                     D.StudentT(3.0, loc, scale).rsample(rng=gen),
                     D.Gamma(2.0, scale).rsample(rng=gen),
                     D.MultivariateNormal(h[:2], cov).rsample(rng=gen).sum(-1)]
            log_probs = [D.Poisson(scale).log_prob(counts),
                         D.Geometric(probs=ad.sigmoid(loc)).log_prob(counts),
                         D.Binomial(counts + 2, logits=loc).log_prob(counts),
                         D.Dirichlet(ad.exp(h)).log_prob(simplex),
                         D.Beta(scale, 2.0).entropy(),
                         D.StudentT(scale + 0.5, loc).variance]
            constants = [D.Poisson(scale).sample(rng=gen), D.Beta(scale, 1.0).sample(rng=gen),
                         D.OneHotCategorical(logits=h).sample(rng=gen)]
            loss = sum(ad.tanh(d).sum() for d in draws) + sum(lp.sum() for lp in log_probs)
            w.grad = None
            loss.backward()
            return (loss, w.grad, *constants)
        return step

    eager, compiled = make(), ad.compile(make())
    data = np.random.default_rng(2)
    for n in (4, 4, 5):
        x = data.normal(size=(n, 2))
        counts = data.integers(0, 4, n).astype(float)
        simplex = data.dirichlet(np.ones(2), n)
        for a, b in zip(eager(x, counts, simplex), compiled(x, counts, simplex)):
            _close(a, b)


def test_value_checks_run_at_each_replay():
    cases = [
        (lambda s, x: D.Laplace(0.0, s).log_prob(x).sum(), (np.ones(2), np.ones(2)),
         (np.array([1.0, -1.0]), np.ones(2)), "scale must be > 0"),
        (lambda s, x: D.LogNormal(0.0, s).log_prob(x).sum(), (np.ones(2), np.ones(2)),
         (np.ones(2), np.array([1.0, 0.0])), "values must be > 0"),
        (lambda r, k: D.Poisson(r).log_prob(k).sum(), (np.ones(2), np.ones(2)),
         (np.ones(2), np.array([1.0, 0.5])), "whole numbers"),
        (lambda n, k: D.Binomial(n, probs=0.5).log_prob(k).sum(), (np.full(2, 3.0), np.ones(2)),
         (np.full(2, 3.0), np.array([1.0, 4.0])), r"\[0, total_count\]"),
        (lambda c, x: D.Dirichlet(c).log_prob(x), (np.ones(2), np.full(2, 0.5)),
         (np.ones(2), np.array([0.5, 0.6])), "add up to 1"),
        (lambda c, x: D.MultivariateNormal(x, c).entropy(), (np.eye(2), np.zeros(2)),
         (np.array([[1.0, 2.0], [2.0, 1.0]]), np.zeros(2)), "positive definite"),
    ]
    for fn, good, bad, message in cases:
        compiled = ad.compile(fn)
        compiled(*good)
        _close(fn(*good), compiled(*good))
        with pytest.raises(ValueError, match=message):
            compiled(*bad)
