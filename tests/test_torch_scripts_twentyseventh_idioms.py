"""The twenty-seventh round of PyTorch scripts, tensor idioms and distributions (see
test_torch_scripts_twentyseventh.py for the method): integer division and remainder
signs, ``torch.where`` with scalars, stable ``argsort``/``sort``, 0-d tensor methods,
nested bool lists, a top-k masked attention built from ``gather``, ``scatter_add``,
``index_select`` and ``masked_fill``, ``bucketize``/``searchsorted`` histograms,
``unique`` with counts, a cumulative-sum ranking loss, and log-probabilities,
entropies, ``rsample`` gradients and KL divergences of several distribution families.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(27227)


def test_integer_division_remainder_and_where_with_scalars():
    def script(torch, copy_weights):
        a = torch.tensor([-7, 7, -7, 7, 0])
        b = torch.tensor([2, 2, -2, -2, 3])
        x = torch.tensor([-7.5, 7.5, -0.5, 2.0])
        mask = torch.tensor([[True, False], [False, True]])
        return [a // b, a % b, torch.remainder(a, 3), torch.fmod(a, 3),
                torch.div(a, b, rounding_mode="trunc"), torch.div(a, b, rounding_mode="floor"),
                a / b, torch.fmod(x, 2.0), torch.remainder(x, -2.0),
                torch.where(x > 0, x, 0.0), torch.where(x > 0, 1.0, -1.0),
                torch.where(mask, torch.tensor(1.0), torch.zeros(2, 2)),
                mask.long().sum(), torch.tensor([1, 2, 3]) * 1.5, torch.tensor([1, 2]) + True,
                torch.tensor(5) // 2, -torch.tensor(5) // 2, torch.tensor([5, -5]) >> 1]
    side_by_side(script)


def test_stable_sorts_and_zero_d_tensor_methods():
    values = np.array([2.0, 1.0, 2.0, 1.0, 0.0, 2.0])

    def script(torch, copy_weights):
        v = torch.tensor(values)
        s = torch.tensor(3.5)
        descending = torch.sort(v, stable=True, descending=True)
        return [torch.argsort(v, stable=True), descending.values, descending.indices,
                torch.argsort(v, descending=True, stable=True), v.topk(3).values,
                s.item(), s.dim(), s.numel(), s.exp(), s.clamp(max=1.0), s.int(), (-s).long(),
                s.sqrt().round(decimals=2), torch.tensor(-2.5).round(),
                torch.tensor([[True, False], [False, True]]).float().sum(0),
                torch.tensor([0.5]).expand(3), torch.tensor([1.0, float("nan")]).nan_to_num(0.0)]
    side_by_side(script)


def test_top_k_attention_from_gather_scatter_and_masked_fill():
    queries, keys = DATA.normal(size=(2, 3, 4)), DATA.normal(size=(2, 5, 4))
    values = DATA.normal(size=(2, 5, 4))

    def script(torch, copy_weights):
        q = torch.tensor(queries, requires_grad=True)
        k, v = torch.tensor(keys), torch.tensor(values, requires_grad=True)
        scores = q @ k.transpose(1, 2) / 2.0                        # (2, 3, 5)
        top = scores.topk(2, dim=-1)
        kept = torch.full_like(scores, float("-inf")).scatter(-1, top.indices, top.values)
        weights = kept.softmax(-1)
        out = weights @ v
        picked = torch.gather(scores, 2, top.indices)
        counts = torch.zeros(2, 5).scatter_add(1, top.indices.flatten(1),
                                                torch.ones(2, 6))
        selected = v.index_select(1, torch.tensor([4, 0, 0]))
        masked = scores.masked_fill(scores < 0, 0.0)
        (out.sum() + picked.pow(2).sum() + selected.sum() + masked.sum()).backward()
        return out, counts, q.grad, v.grad, torch.einsum("bqk,bkd->bqd", weights, v)
    side_by_side(script)


def test_histograms_from_bucketize_searchsorted_and_unique():
    samples = DATA.normal(size=20).round(1)

    def script(torch, copy_weights):
        x = torch.tensor(samples)
        edges = torch.tensor([-1.0, 0.0, 0.5, 1.0])
        left = torch.bucketize(x, edges)
        right = torch.bucketize(x, edges, right=True)
        where = torch.searchsorted(edges, x, side="right")
        uniq, inverse, counts = torch.unique(left, return_inverse=True, return_counts=True)
        hist = torch.zeros(5).scatter_add(0, left, torch.ones(20))
        cum = hist.cumsum(0) / 20
        return [left, right, where, uniq, inverse, counts, hist, cum,
                torch.histc(x, bins=4, min=-1.0, max=1.0), x.nonzero(as_tuple=False).squeeze(1)]
    side_by_side(script)


def test_cumulative_sum_listwise_ranking_loss_trains():
    features = DATA.normal(size=(4, 6, 3))
    relevance = DATA.integers(0, 3, size=(4, 6)).astype(np.float64)

    def script(torch, copy_weights):
        nn = torch.nn
        scorer = nn.Linear(3, 1)
        copy_weights(scorer)
        # (SGD: the loss does not move with the bias, whose gradient is rounding error
        # that Adam would scale up to a full step)
        opt = torch.optim.SGD(scorer.parameters(), lr=0.1, momentum=0.9)
        x, rel = torch.tensor(features), torch.tensor(relevance)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            scores = scorer(x).squeeze(-1)
            order = rel.argsort(dim=1, descending=True, stable=True)
            ranked = scores.gather(1, order)
            # ListMLE: -log P(order) = sum_i logsumexp(ranked[i:]) - ranked[i]
            tail = ranked.flip(1).logcumsumexp(1).flip(1)
            loss = (tail - ranked).sum(1).mean()
            loss.backward()
            opt.step()
            losses.append(loss)
        return losses, scorer
    side_by_side(script)


def test_distribution_families_log_prob_entropy_rsample_and_kl():
    points = DATA.random(size=(5,)) * 0.8 + 0.1
    noise = DATA.normal(size=(5,))

    def script(torch, copy_weights):
        D = torch.distributions
        loc = torch.tensor([0.3, -0.2, 0.1, 0.0, 0.5], requires_grad=True)
        raw = torch.tensor([0.1, 0.2, -0.3, 0.4, 0.0], requires_grad=True)
        scale = torch.nn.functional.softplus(raw) + 0.1
        x = torch.tensor(points)
        normal, laplace = D.Normal(loc, scale), D.Laplace(loc, scale)
        beta = D.Beta(scale + 1.0, scale + 2.0)
        gamma = D.Gamma(scale + 0.5, torch.tensor(2.0))
        student = D.StudentT(torch.tensor(4.0), loc, scale)
        logistic = D.LogNormal(loc, scale)
        cauchy = D.Cauchy(loc, scale)
        bernoulli = D.Bernoulli(logits=loc)
        cat = D.Categorical(logits=torch.stack([loc, raw, loc * raw]))
        sample = loc + scale * torch.tensor(noise)                   # rsample by hand
        total = (normal.log_prob(x).sum() + laplace.log_prob(x).sum() + beta.log_prob(x).sum()
                 + gamma.log_prob(x).sum() + student.log_prob(x).sum()
                 + logistic.log_prob(x).sum() + cauchy.log_prob(x).sum()
                 + bernoulli.log_prob((x > 0.5).double()).sum()
                 + cat.log_prob(torch.tensor([0, 4, 2])).sum()
                 + normal.entropy().sum() + beta.entropy().sum() + gamma.entropy().sum()
                 + bernoulli.entropy().sum() + cat.entropy().sum()
                 + D.kl_divergence(normal, D.Normal(torch.zeros(5), torch.ones(5))).sum()
                 + D.kl_divergence(beta, D.Beta(torch.ones(5), torch.ones(5))).sum()
                 + D.kl_divergence(gamma, D.Gamma(torch.ones(5), torch.ones(5))).sum()
                 + D.kl_divergence(laplace, D.Laplace(torch.zeros(5), torch.ones(5))).sum()
                 + normal.log_prob(sample).sum())
        total.backward()
        return [total, loc.grad, raw.grad, normal.cdf(x), normal.icdf(x), beta.mean,
                gamma.variance, student.variance, cat.probs, laplace.cdf(x)]
    side_by_side(script)
