"""The twenty-ninth round of PyTorch scripts, distributions (see
test_torch_scripts_twentyninth.py for the method): a SAC policy's tanh-squashed Normal
(``TransformedDistribution`` with ``TanhTransform(cache_size=1)`` and an affine rescale,
under ``Independent``) trained by Adam; the transforms one by one (stick-breaking,
softmax, lower-Cholesky, power, softplus, ``StackTransform``, ``CatTransform``,
``IndependentTransform``, ``ReshapeTransform``, ``CorrCholeskyTransform``) with their
log-determinants and inverses; ``biject_to`` / ``transform_to`` onto each constraint,
positive-definite matrices included; ``Categorical`` from logits beside ``Normal``,
``Independent``, ``kl_divergence`` and a log-normal by transforms; the discrete and
multivariate families' log-probabilities, entropies, moments and modes; batch and event
shapes under ``expand``, ``Independent(…, 2)`` and ``MixtureSameFamily``; and
distributions written as PyTorch's docs write them -- a truncated exponential with
``arg_constraints``, a ``dependent_property`` support and ``broadcast_all``; a coin with
``lazy_property`` logits and probabilities and an ``expand`` by
``_get_checked_instance`` -- beside ``torch.distributions.utils`` itself and a covariance
fitted by maximum likelihood through ``transform_to(constraints.positive_definite)``.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(29292929)


def test_sac_tanh_squashed_gaussian_policy():
    obs = DATA.normal(size=(4, 3))
    eps = DATA.normal(size=(3, 4, 2))

    def script(torch, cw):
        nn, D = torch.nn, torch.distributions
        T = D.transforms
        policy = nn.Linear(3, 4)
        cw(policy)
        opt = torch.optim.Adam(policy.parameters(), lr=0.01)
        losses = []
        for step in range(3):
            opt.zero_grad()
            mu, log_std = policy(torch.tensor(obs)).chunk(2, dim=-1)
            std = log_std.clamp(-5, 2).exp()
            squash = [T.TanhTransform(cache_size=1), T.AffineTransform(0.5, 2.0)]
            dist = D.Independent(D.TransformedDistribution(D.Normal(mu, std), squash), 1)
            pre = mu + std * torch.tensor(eps[step])
            action = squash[1](squash[0](pre))
            log_prob = dist.log_prob(action)
            loss = (0.2 * log_prob - action.pow(2).sum(-1)).mean()
            loss.backward()
            opt.step()
            ladj = T.ComposeTransform(squash).log_abs_det_jacobian(pre, action)
            losses.append((loss, log_prob, ladj, T.ComposeTransform(squash).inv(action)))
        return losses, policy

    side_by_side(script)


def test_transforms_one_by_one_with_log_determinants_and_inverses():
    x = DATA.normal(size=(3, 4))
    m = DATA.normal(size=(3, 3))

    def script(torch, cw):
        T = torch.distributions.transforms
        X = torch.tensor(x, requires_grad=True)
        M = torch.tensor(m, requires_grad=True)
        stick = T.StickBreakingTransform()
        y1 = stick(X)
        power = T.PowerTransform(torch.tensor(2.5))
        y2 = power(X.exp())
        soft = T.SoftplusTransform()
        y3 = soft(X)
        stack = T.StackTransform([T.ExpTransform(), T.SigmoidTransform()], dim=0)
        y4 = stack(X[:2])
        cat = T.CatTransform([T.ExpTransform(), T.TanhTransform()], dim=1, lengths=[1, 3])
        y5 = cat(X)
        each = T.IndependentTransform(T.ExpTransform(), 1)
        corr = T.CorrCholeskyTransform()
        y6 = corr(X[:, :3])
        values = [y1, stick.log_abs_det_jacobian(X, y1), T.SoftmaxTransform()(X),
                  T.LowerCholeskyTransform()(M), y2, power.log_abs_det_jacobian(X.exp(), y2),
                  y3, soft.log_abs_det_jacobian(X, y3), y4,
                  stack.log_abs_det_jacobian(X[:2], y4), y5, cat.log_abs_det_jacobian(X, y5),
                  each.log_abs_det_jacobian(X, each(X)), T.ReshapeTransform((4,), (2, 2))(X),
                  y6, corr.log_abs_det_jacobian(X[:, :3], y6)]
        sum(v.pow(2).sum() for v in values).backward()
        return values, X.grad, M.grad, stick.inv(y1), corr.inv(y6), cat.inv(y5)

    side_by_side(script)


def test_biject_to_and_transform_to_onto_each_constraint():
    x = DATA.normal(size=(3, 3))

    def script(torch, cw):
        D = torch.distributions
        C = D.constraints
        X = torch.tensor(x, requires_grad=True)
        results = []
        for constraint in [C.positive, C.unit_interval, C.simplex, C.corr_cholesky,
                           C.interval(-1.0, 3.0), C.greater_than(2.0), C.less_than(-1.0),
                           C.real, C.independent(C.positive, 1)]:
            t = D.biject_to(constraint)
            y = t(X)
            results.append((y, bool(constraint.check(y).all())))
            y.pow(2).sum().backward()
        for constraint in [C.lower_cholesky, C.positive_definite, C.positive_semidefinite,
                           C.simplex]:
            t = D.transform_to(constraint)
            y = t(X)
            results.append((y, bool(constraint.check(y).all())))
            y.pow(2).sum().backward()
        return results, X.grad

    side_by_side(script)


def test_categorical_normal_independent_kl_and_a_transformed_log_normal():
    logits = DATA.normal(size=(3, 4))
    mu, sd = DATA.normal(size=(3, 2)), DATA.random((3, 2)) + 0.5
    eps = DATA.normal(size=(3, 2))

    def script(torch, cw):
        D = torch.distributions
        L = torch.tensor(logits, requires_grad=True)
        M = torch.tensor(mu, requires_grad=True)
        S = torch.tensor(sd, requires_grad=True)
        cat = D.Categorical(logits=L)
        normal = D.Normal(M, S)
        x = M + S * torch.tensor(eps)
        diag = D.Independent(normal, 1)
        prior = D.Independent(D.Normal(torch.zeros(3, 2), torch.ones(3, 2)), 1)
        kl = D.kl_divergence(diag, prior)
        log_normal = D.TransformedDistribution(
            D.Normal(M, S), [D.transforms.AffineTransform(loc=1.0, scale=2.0),
                             D.transforms.ExpTransform()])
        y = log_normal.log_prob(torch.tensor(np.exp(1 + 2 * eps)))
        uniform = D.Categorical(probs=torch.full((3, 4), 0.25))
        total = (cat.log_prob(torch.tensor([0, 3, 1])).sum() + cat.entropy().sum()
                 + normal.log_prob(x).sum() + diag.log_prob(x).sum() + kl.sum() + y.sum()
                 + D.kl_divergence(cat, uniform).sum() + normal.cdf(torch.zeros(3, 2)).sum()
                 + normal.icdf(torch.full((3, 2), 0.2)).sum())
        total.backward()
        return (total, cat.probs, cat.logits, diag.batch_shape, diag.event_shape, kl, y,
                L.grad, M.grad, S.grad, cat.mode, normal.stddev, normal.variance)

    side_by_side(script)


def test_discrete_and_multivariate_families():
    logits = DATA.normal(size=(3, 4))
    mu = DATA.normal(size=2)
    a = DATA.normal(size=(2, 2))
    cov = a @ a.T + np.eye(2)
    points = DATA.normal(size=(5, 2))

    def script(torch, cw):
        D = torch.distributions
        L = torch.tensor(logits, requires_grad=True)
        Mu = torch.tensor(mu, requires_grad=True)
        full = lambda v: torch.full((3, 4), v)          # noqa: E731
        one_hot = D.OneHotCategorical(logits=L)
        coin = D.Bernoulli(logits=L)
        mvn = D.MultivariateNormal(Mu, covariance_matrix=torch.tensor(cov))
        wider = D.MultivariateNormal(torch.zeros(2),
                                     scale_tril=torch.linalg.cholesky(torch.tensor(cov) * 2))
        binomial = D.Binomial(total_count=5, logits=L)
        geometric = D.Geometric(logits=L)
        negative = D.NegativeBinomial(total_count=3.0, logits=L)
        continuous = D.ContinuousBernoulli(logits=L)
        multinomial = D.Multinomial(7, logits=L)
        counts = torch.tensor([[1.0, 2, 4, 0], [0, 0, 7, 0], [3, 3, 0, 1]])
        total = (one_hot.log_prob(torch.eye(4)[[0, 3, 2]]).sum() + one_hot.entropy().sum()
                 + coin.log_prob((torch.tensor(logits) > 0).double()).sum()
                 + coin.entropy().sum() + mvn.log_prob(torch.tensor(points)).sum()
                 + mvn.entropy() + D.kl_divergence(mvn, wider)
                 + binomial.log_prob(full(2.0)).sum()
                 + D.Poisson(L.exp()).log_prob(full(3.0)).sum()
                 + geometric.log_prob(full(2.0)).sum() + geometric.entropy().sum()
                 + negative.log_prob(full(4.0)).sum() + continuous.log_prob(full(0.3)).sum()
                 + continuous.mean.sum() + continuous.entropy().sum()
                 + multinomial.log_prob(counts).sum()
                 + D.kl_divergence(coin, D.Bernoulli(probs=full(0.3))).sum())
        total.backward()
        return (total, L.grad, Mu.grad, mvn.precision_matrix, mvn.scale_tril,
                wider.covariance_matrix, binomial.mean, binomial.variance, negative.mean,
                negative.variance, geometric.mean, continuous.variance, multinomial.mean,
                mvn.mode, one_hot.mode, coin.mode, geometric.mode, negative.mode)

    side_by_side(script)


def test_batch_and_event_shapes_under_expand_independent_and_mixtures():
    def script(torch, cw):
        D = torch.distributions
        normal = D.Normal(torch.zeros(3, 1), torch.ones(3, 1))
        wide = normal.expand((3, 4))
        block = D.Independent(D.Normal(torch.zeros(2, 3, 4), torch.ones(2, 3, 4)), 2)
        weights = D.Categorical(probs=torch.tensor([[0.2, 0.8], [0.5, 0.5]]))
        mixture = D.MixtureSameFamily(weights, D.Normal(torch.tensor([[0.0, 1.0], [2.0, 3.0]]),
                                                        torch.tensor([[1.0, 2.0], [0.5, 1.0]])))
        at = torch.tensor([0.3, 1.2])
        return (wide.batch_shape, block.batch_shape, block.event_shape,
                wide.log_prob(torch.ones(3, 4)), block.log_prob(torch.zeros(2, 3, 4)),
                mixture.log_prob(at), mixture.mean, mixture.variance, mixture.cdf(at),
                weights.enumerate_support(), weights.enumerate_support(expand=False),
                normal.sample((5,)).shape, block.sample().shape, wide.rsample((2,)).shape,
                weights.param_shape)

    side_by_side(script)


def test_a_truncated_exponential_written_as_pytorchs_docs_say():
    values = DATA.random((5, 3))

    def script(torch, cw):
        D = torch.distributions
        C = D.constraints

        class TruncatedExponential(D.Distribution):
            arg_constraints = {"rate": C.positive, "high": C.positive}
            has_rsample = True

            def __init__(self, rate, high, validate_args=None):
                self.rate, self.high = D.utils.broadcast_all(rate, high)
                super().__init__(self.rate.shape, validate_args=validate_args)

            @C.dependent_property(is_discrete=False, event_dim=0)
            def support(self):
                return C.interval(0.0, self.high)

            def log_prob(self, value):
                if self._validate_args:
                    self._validate_sample(value)
                return (torch.log(self.rate) - self.rate * value
                        - torch.log(-torch.expm1(-self.rate * self.high)))

        rate = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)
        opt = torch.optim.SGD([rate], lr=0.1)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            d = TruncatedExponential(rate, 1.5, validate_args=True)
            loss = -d.log_prob(torch.tensor(values)).mean()
            loss.backward()
            opt.step()
            losses.append(loss)
        refused = []
        for bad in (lambda: d.log_prob(torch.tensor([2.0, 0.1, 0.1])),
                    lambda: TruncatedExponential(torch.tensor([-1.0]), 1.0)):
            try:
                bad()
                refused.append(False)
            except ValueError:
                refused.append(True)
        inside = d.support.check(torch.tensor([[0.5, 2.0, -0.1]]))
        return (losses, rate, refused, d._extended_shape((4,)), inside,
                C.is_dependent(TruncatedExponential.support))

    side_by_side(script)


def test_a_coin_with_lazy_probabilities_and_its_own_expand():
    logits = DATA.normal(size=3)

    def script(torch, cw):
        D = torch.distributions
        C, U = D.constraints, D.utils

        class Coin(D.Distribution):
            arg_constraints = {"probs": C.unit_interval, "logits": C.real}
            support = C.boolean

            def __init__(self, probs=None, logits=None, validate_args=None):
                if probs is not None:
                    (self.probs,) = U.broadcast_all(probs)
                else:
                    (self.logits,) = U.broadcast_all(logits)
                given = self.probs if probs is not None else self.logits
                super().__init__(given.shape, validate_args=validate_args)

            @U.lazy_property
            def logits(self):
                return U.probs_to_logits(self.probs, is_binary=True)

            @U.lazy_property
            def probs(self):
                return U.logits_to_probs(self.logits, is_binary=True)

            def expand(self, batch_shape, _instance=None):
                new = self._get_checked_instance(Coin, _instance)
                for name in ("probs", "logits"):
                    if name in self.__dict__:
                        setattr(new, name, getattr(self, name).expand(batch_shape))
                super(Coin, new).__init__(batch_shape, validate_args=False)
                new._validate_args = self._validate_args
                return new

            def log_prob(self, value):
                if self._validate_args:
                    self._validate_sample(value)
                return -torch.nn.functional.binary_cross_entropy_with_logits(
                    self.logits, value, reduction="none")

        L = torch.tensor(logits, requires_grad=True)
        coin = Coin(logits=L)
        wide = coin.expand((2, 3))
        log_prob = wide.log_prob(torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]))
        log_prob.sum().backward()
        by_probs = Coin(probs=torch.tensor([0.2, 0.9]))
        try:
            by_probs.log_prob(torch.tensor([0.5, 1.0]))
            refused = False
        except ValueError:
            refused = True
        return (log_prob, L.grad, wide.batch_shape, wide.probs, by_probs.logits, refused,
                "logits" in by_probs.__dict__, "probs" in coin.__dict__)

    side_by_side(script)


def test_distributions_utils():
    m = DATA.normal(size=(2, 4, 4))
    p = DATA.random((3, 4))

    def script(torch, cw):
        U = torch.distributions.utils
        results = []
        M = torch.tensor(m, requires_grad=True)
        for diag in [-2, -1, 0, 1, 2]:
            vec = U.tril_matrix_to_vec(M, diag)
            results.append((vec, U.vec_to_tril_matrix(vec * 2, diag)))
        P = torch.tensor(p, requires_grad=True)
        results += [U.probs_to_logits(P), U.probs_to_logits(P, is_binary=True),
                    U.logits_to_probs(P), U.logits_to_probs(P, True),
                    U.clamp_probs(torch.tensor([0.0, 1.0]))]
        results += list(U.broadcast_all(torch.tensor([[1.0], [2.0]]), 3.0,
                                        torch.tensor([1.0, 2.0, 3.0])))
        results.append(U.euler_constant)
        sum(r.pow(2).sum() for pair in results[:5] for r in pair).backward()
        sum(r.sum() for r in results[5:9]).backward()
        return results, M.grad, P.grad

    side_by_side(script)


def test_a_covariance_fitted_through_transform_to_positive_definite():
    points = DATA.normal(size=(20, 3)) @ np.array([[1.0, 0.3, 0.0], [0.0, 0.8, 0.2],
                                                   [0.0, 0.0, 0.5]])

    def script(torch, cw):
        D = torch.distributions
        raw = torch.zeros(3, 3, requires_grad=True)
        loc = torch.zeros(3, requires_grad=True)
        to_pd = D.transform_to(D.constraints.positive_definite)
        opt = torch.optim.Adam([raw, loc], lr=0.1)
        losses = []
        for _ in range(5):
            opt.zero_grad()
            nll = -D.MultivariateNormal(loc, covariance_matrix=to_pd(raw)).log_prob(
                torch.tensor(points)).mean()
            nll.backward()
            opt.step()
            losses.append(nll)
        return losses, raw, loc, to_pd(raw), to_pd.inv(to_pd(raw))

    side_by_side(script)
