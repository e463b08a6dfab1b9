"""An eleventh round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; values must agree (float64 to 1e-10).  Random parts take their
draws from NumPy so both runs see the same numbers.  This round is about the tensor
functions users mix into losses and layers; here: a maximum-drawdown loss by
``cummax`` beside ``cummin`` and ``logcumsumexp``, k-max pooling by ``topk`` and
``sort(stable=True)`` with ``gather``, piecewise-linear calibration by ``bucketize`` and
``searchsorted``, segment means by ``unique(return_inverse=True)``,
``scatter_reduce('mean', include_self=False)`` and ``index_put_(accumulate=True)``, a
Gaussian with a learned Cholesky factor filled by ``tril_indices``, and a Pearson
correlation loss by ``torch.cov`` / ``corrcoef`` beside ``quantile`` and ``diff``
(layers and losses: test_torch_scripts_eleventh_nn.py; training and state:
_training.py; transforms and distributions: _func.py)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(111)


def test_max_drawdown_loss_by_cummax_beside_cummin_and_logcumsumexp():
    returns_values = DATA.normal(scale=0.05, size=(4, 12))
    feature_values = DATA.normal(size=(4, 12, 3))

    def script(torch, copy_weights):
        nn = torch.nn

        class Allocator(nn.Module):
            def __init__(self):
                super().__init__()
                self.score = nn.Linear(3, 1)

            def forward(self, features):
                return torch.tanh(self.score(features)).squeeze(-1)

        def max_drawdown(wealth):
            running_peak, _ = torch.cummax(wealth, dim=1)
            return ((running_peak - wealth) / running_peak).max(dim=1).values

        model = Allocator()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
        returns = torch.from_numpy(returns_values)
        features = torch.from_numpy(feature_values)
        losses = []
        for _ in range(5):
            optimizer.zero_grad()
            position = model(features)
            wealth = torch.cumprod(1 + position * returns, dim=1)
            trough, trough_at = torch.cummin(wealth, dim=1)
            soft_peak = torch.logcumsumexp(10 * wealth, dim=1) / 10
            loss = (max_drawdown(wealth).mean() - 0.1 * wealth[:, -1].mean()
                    + 0.01 * (soft_peak - wealth).mean() - 0.01 * trough.mean())
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        peak, peak_at = torch.cummax(wealth, dim=1)
        return losses, model, peak, peak_at, trough_at
    side_by_side(script)


def test_k_max_pooling_by_topk_and_stable_sort_with_gather():
    token_values = DATA.integers(0, 20, size=(5, 9))
    label_values = DATA.integers(0, 3, size=5)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class KMaxCNN(nn.Module):
            def __init__(self, k=3):
                super().__init__()
                self.k = k
                self.embed = nn.Embedding(20, 4)
                self.conv = nn.Conv1d(4, 6, kernel_size=3, padding=1)
                # (tanh, not relu: topk among tied zeros picks positions in an order
                # neither library promises)
                self.out = nn.Linear(6 * k, 3)

            def forward(self, tokens):
                x = self.conv(self.embed(tokens).transpose(1, 2)).tanh()
                # keep the k largest activations per channel, in their original order
                index = x.topk(self.k, dim=2).indices.sort(dim=2).values
                pooled = x.gather(2, index)
                return self.out(pooled.flatten(1))

        model = KMaxCNN()
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        tokens = torch.from_numpy(token_values)
        labels = torch.from_numpy(label_values)
        losses = []
        for _ in range(4):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(tokens), labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        logits = model(tokens)
        # ties: stable sorting keeps equal keys in input order
        ranks = torch.tensor([3, 1, 3, 2, 1, 3])
        stable_values, stable_order = torch.sort(ranks, dim=0, stable=True)
        descending_order = torch.argsort(ranks, descending=True, stable=True)
        smallest = torch.topk(logits, 2, dim=1, largest=False)
        return (losses, model, stable_values, stable_order, descending_order,
                smallest.values, smallest.indices)
    side_by_side(script)


def test_piecewise_linear_calibration_by_bucketize_and_searchsorted():
    score_values = DATA.uniform(-0.2, 1.2, size=30)
    target_values = (DATA.uniform(size=30) < score_values.clip(0, 1)).astype(float)

    def script(torch, copy_weights):
        F = torch.nn.functional
        knots = torch.linspace(0, 1, 6)
        heights = torch.linspace(0.05, 0.95, 6).logit().clone().requires_grad_()
        optimizer = torch.optim.Adam([heights], lr=0.1)
        scores = torch.from_numpy(score_values).clamp(0, 1)
        targets = torch.from_numpy(target_values)

        def calibrate(s):
            right = torch.bucketize(s, knots).clamp(1, len(knots) - 1)
            left = right - 1
            t = (s - knots[left]) / (knots[right] - knots[left])
            return torch.lerp(heights[left], heights[right], t)

        losses = []
        for _ in range(6):
            optimizer.zero_grad()
            loss = F.binary_cross_entropy_with_logits(calibrate(scores), targets)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        same_as_bucketize = torch.searchsorted(knots, scores)
        right_side = torch.bucketize(knots, knots, right=True)
        left_side = torch.searchsorted(knots, knots, side="left")
        return losses, heights, same_as_bucketize, right_side, left_side
    side_by_side(script)


def test_segment_means_by_unique_scatter_reduce_and_index_put_accumulate():
    id_values = DATA.choice([11, 4, 27, 4, 9], size=14)
    feature_values = DATA.normal(size=(14, 3))

    def script(torch, copy_weights):
        nn = torch.nn
        ids = torch.from_numpy(id_values)
        features = torch.from_numpy(feature_values)
        project = nn.Linear(3, 3)
        copy_weights(project)
        groups, inverse, counts = ids.unique(return_inverse=True, return_counts=True)
        hidden = project(features).tanh()
        index = inverse.unsqueeze(1).expand(-1, 3)
        means = torch.zeros(len(groups), 3).scatter_reduce(
            0, index, hidden, reduce="mean", include_self=False)
        sums = torch.zeros(len(groups), 3)
        sums.index_put_((inverse,), hidden, accumulate=True)
        maxes = torch.full((len(groups), 3), -1e9).scatter_reduce(
            0, index, hidden, reduce="amax", include_self=False)
        loss = (means ** 2).sum() + (sums / counts.unsqueeze(1) - means).abs().sum() \
            + maxes.sum()
        loss.backward()
        return (groups, inverse, counts, means, sums, maxes, loss,
                (project.weight.grad ** 2).sum(), project.bias.grad)
    side_by_side(script)


def test_gaussian_with_learned_cholesky_factor_filled_by_tril_indices():
    sample_values = DATA.multivariate_normal(
        [1.0, -0.5, 0.2], [[1.0, 0.6, 0.1], [0.6, 2.0, -0.3], [0.1, -0.3, 0.5]],
        size=40)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        D = 3

        class Gaussian(nn.Module):
            def __init__(self):
                super().__init__()
                self.loc = nn.Parameter(torch.zeros(D))
                self.tril_entries = nn.Parameter(torch.zeros(D * (D + 1) // 2))
                self.register_buffer("rows_cols", torch.tril_indices(D, D))

            def scale_tril(self):
                L = torch.zeros(D, D)
                L = L.index_put((self.rows_cols[0], self.rows_cols[1]), self.tril_entries)
                diagonal = F.softplus(torch.diagonal(L)) + 1e-3
                return torch.tril(L, diagonal=-1) + torch.diag_embed(diagonal)

            def forward(self, x):
                dist = torch.distributions.MultivariateNormal(
                    self.loc, scale_tril=self.scale_tril())
                return -dist.log_prob(x).mean()

        model = Gaussian()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
        samples = torch.from_numpy(sample_values)
        losses = []
        for _ in range(8):
            optimizer.zero_grad()
            loss = model(samples)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        L = model.scale_tril()
        upper = torch.triu_indices(D, D, offset=1)
        return losses, model, L @ L.T, upper
    side_by_side(script)


def test_pearson_correlation_loss_by_cov_and_corrcoef_beside_quantile_and_diff():
    x_values = DATA.normal(size=(25, 4))
    y_values = x_values @ DATA.normal(size=4) + 0.3 * DATA.normal(size=25)

    def script(torch, copy_weights):
        nn = torch.nn
        # (no output bias: every term is unchanged by a shift of the predictions, so its
        # gradient is rounding noise, which Adam would blow up into different weights)
        model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 1, bias=False))
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
        x, y = torch.from_numpy(x_values), torch.from_numpy(y_values)
        losses = []
        for _ in range(5):
            optimizer.zero_grad()
            prediction = model(x).squeeze(1)
            pair = torch.stack([prediction, y])
            covariance = torch.cov(pair)
            pearson = covariance[0, 1] / (covariance[0, 0] * covariance[1, 1]).sqrt()
            residual = y - prediction
            tau = torch.tensor([0.1, 0.5, 0.9])
            spread = torch.quantile(residual, tau)
            smooth = torch.diff(prediction.sort(dim=0).values, n=2).pow(2).mean()
            loss = 1 - pearson + 0.1 * torch.diff(spread).sum() + 0.01 * smooth
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        prediction = model(x).squeeze(1).detach()
        corr = torch.corrcoef(torch.stack([prediction, y]))
        weighted = torch.cov(torch.stack([prediction, y]), correction=0,
                             aweights=torch.linspace(0.5, 1.5, 25))
        median = torch.quantile(prediction, 0.5, interpolation="nearest")
        return losses, model, corr, weighted, median
    side_by_side(script)
