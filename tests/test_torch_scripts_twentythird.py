"""A twenty-third round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; values must agree (float64 to 1e-10).  Random parts take their
draws from NumPy so both runs see the same numbers.  Here, classical statistics and
geometry as PyTorch users write them: a sliced Wasserstein distance (explicit random
projections, ``torch.sort`` of both projected clouds) minimised by Adam, a Chebyshev
series fitted by ``torch.linalg.lstsq(driver='gelsd')`` with the basis built by the
three-term recurrence, expectation-maximisation for a Gaussian mixture
(``torch.logsumexp`` responsibilities, M-step under ``no_grad``), k-means by
``torch.cdist``/``argmin``/``index_add_``/``bincount`` followed by a differentiable
soft assignment, Mahalanobis out-of-distribution scores through ``torch.einsum`` with
an ellipsis and an ODIN-style input perturbation by the sign of the input's gradient,
label propagation on a symmetrically normalised graph differentiated with respect to
its edge weights, and kernel density estimation whose bandwidth is learned from the
leave-one-out likelihood (``fill_diagonal_(-inf)`` of a log-kernel matrix), and
per-group linear fits by a batched ``torch.linalg.lstsq`` with an R-squared
differentiated through it.  (Models: _models.py; training habits: _training.py; what
the round found: _gaps.py.)
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2323)


def test_sliced_wasserstein_distance_minimised_by_adam():
    source = DATA.normal(size=(32, 3))
    target = DATA.normal(loc=1.5, scale=0.5, size=(32, 3))
    directions = DATA.normal(size=(3, 8))

    def script(torch, copy_weights):
        points = torch.tensor(source, requires_grad=True)
        goal = torch.from_numpy(target)
        theta = torch.from_numpy(directions)
        theta = theta / theta.norm(dim=0, keepdim=True)
        optimizer = torch.optim.Adam([points], lr=0.05)
        distances = []
        for _ in range(5):
            optimizer.zero_grad()
            projected, _ = torch.sort(points @ theta, dim=0)
            projected_goal, _ = torch.sort(goal @ theta, dim=0)
            swd = ((projected - projected_goal) ** 2).mean()
            swd.backward()
            optimizer.step()
            distances.append(swd.detach())
        return torch.stack(distances), points.detach()
    side_by_side(script)


def test_chebyshev_series_fitted_by_lstsq_with_the_gelsd_driver():
    xs = np.linspace(-1, 1, 40)
    ys = np.exp(xs) * np.sin(3 * xs)

    def script(torch, copy_weights):
        x = torch.from_numpy(xs)
        y = torch.tensor(ys, requires_grad=True)
        basis = [torch.ones_like(x), x]
        for _ in range(6):
            basis.append(2 * x * basis[-1] - basis[-2])
        A = torch.stack(basis, dim=1)
        coefficients = torch.linalg.lstsq(A, y.unsqueeze(1), driver='gelsd').solution
        residual = (A @ coefficients).squeeze(1) - y
        loss = residual.pow(2).sum() + coefficients[-1].abs().sum()
        loss.backward()
        return coefficients.squeeze(1), residual.abs().max(), y.grad
    side_by_side(script)


def test_gaussian_mixture_by_expectation_maximisation():
    points = np.concatenate([DATA.normal(-2, 0.6, size=(20, 2)),
                             DATA.normal(2, 0.8, size=(20, 2))])
    start_means = np.array([[-1.0, 0.0], [1.0, 0.5]])

    def script(torch, copy_weights):
        x = torch.from_numpy(points)
        means = torch.from_numpy(start_means).clone()
        variances = torch.ones(2, 2)
        weights = torch.full((2,), 0.5)
        history = []
        for _ in range(6):
            with torch.no_grad():
                diff = x.unsqueeze(1) - means.unsqueeze(0)             # (N, K, D)
                log_prob = -0.5 * ((diff ** 2) / variances
                                   + torch.log(2 * torch.pi * variances)).sum(-1)
                joint = log_prob + torch.log(weights)
                log_likelihood = torch.logsumexp(joint, dim=1)
                resp = torch.exp(joint - log_likelihood.unsqueeze(1))
                counts = resp.sum(0)
                means = (resp.T @ x) / counts.unsqueeze(1)
                diff = x.unsqueeze(1) - means.unsqueeze(0)
                variances = (resp.unsqueeze(-1) * diff ** 2).sum(0) / counts.unsqueeze(1) + 1e-6
                weights = counts / counts.sum()
                history.append(log_likelihood.mean())
        return torch.stack(history), means, variances, weights
    side_by_side(script)


def test_kmeans_then_soft_assignment_gradient():
    points = np.concatenate([DATA.normal(c, 0.3, size=(12, 2)) for c in (-2, 0, 2)])
    first = np.array([0, 12, 24])

    def script(torch, copy_weights):
        x = torch.from_numpy(points)
        centroids = x[torch.from_numpy(first)].clone()
        for _ in range(4):
            labels = torch.cdist(x, centroids).argmin(dim=1)
            sums = torch.zeros_like(centroids).index_add_(0, labels, x)
            counts = torch.bincount(labels, minlength=3).to(x.dtype)
            centroids = sums / counts.clamp(min=1).unsqueeze(1)
        centres = centroids.clone().requires_grad_(True)
        d2 = torch.cdist(x, centres) ** 2
        soft = torch.softmax(-d2 / 0.5, dim=1)
        loss = (soft * d2).sum(1).mean()
        loss.backward()
        return labels, counts, centroids, loss, centres.grad
    side_by_side(script)


def test_mahalanobis_scores_with_einsum_ellipsis_and_odin_perturbation():
    features = DATA.normal(size=(30, 4))
    labels = np.repeat(np.arange(3), 10)
    queries = DATA.normal(size=(2, 5, 4))

    def script(torch, copy_weights):
        f = torch.from_numpy(features)
        y = torch.from_numpy(labels)
        means = torch.stack([f[y == c].mean(0) for c in range(3)])
        centred = f - means[y]
        precision = torch.linalg.inv(centred.T @ centred / len(f))
        x = torch.tensor(queries, requires_grad=True)
        diff = x.unsqueeze(-2) - means                                  # (..., C, D)
        distance = torch.einsum('...ci,ij,...cj->...c', diff, precision, diff)
        score = -distance.min(dim=-1).values
        score.sum().backward()
        perturbed = x.detach() + 0.01 * x.grad.sign()
        diff = perturbed.unsqueeze(-2) - means
        again = -torch.einsum('...ci,ij,...cj->...c', diff, precision, diff).min(dim=-1).values
        return score, again, x.grad
    side_by_side(script)


def test_label_propagation_differentiated_by_edge_weights():
    n = 8
    edges = np.array([[0, 1], [1, 2], [2, 3], [3, 0], [4, 5], [5, 6], [6, 7], [7, 4], [3, 4]])
    edge_weights = DATA.uniform(0.5, 1.5, size=len(edges))
    seeds = np.zeros((n, 2))
    seeds[0, 0] = seeds[6, 1] = 1.0

    def script(torch, copy_weights):
        w = torch.tensor(edge_weights, requires_grad=True)
        index = torch.from_numpy(edges)
        W = torch.zeros(n, n)
        W = W.index_put((index[:, 0], index[:, 1]), w)
        W = W + W.T
        d = W.sum(1)
        d_inv_sqrt = d.pow(-0.5)
        S = d_inv_sqrt.unsqueeze(1) * W * d_inv_sqrt.unsqueeze(0)
        Y0 = torch.from_numpy(seeds)
        Y = Y0.clone()
        for _ in range(10):
            Y = 0.8 * S @ Y + 0.2 * Y0
        probabilities = Y / Y.sum(1, keepdim=True)
        loss = -torch.log(probabilities[3, 0]) - torch.log(probabilities[5, 1])
        loss.backward()
        return probabilities, w.grad
    side_by_side(script)


def test_kernel_density_bandwidth_from_leave_one_out_likelihood():
    samples = np.concatenate([DATA.normal(-1, 0.4, 15), DATA.normal(1.5, 0.7, 15)])

    def script(torch, copy_weights):
        x = torch.from_numpy(samples).unsqueeze(1)
        log_bandwidth = torch.zeros((), requires_grad=True)
        optimizer = torch.optim.SGD([log_bandwidth], lr=0.1)
        losses = []
        for _ in range(6):
            optimizer.zero_grad()
            h = log_bandwidth.exp()
            log_kernel = -0.5 * torch.cdist(x, x).pow(2) / h ** 2 - torch.log(h) \
                - 0.5 * torch.log(torch.tensor(2 * torch.pi))
            log_kernel = log_kernel.clone()
            log_kernel.fill_diagonal_(float('-inf'))
            loo = torch.logsumexp(log_kernel, dim=1) - torch.log(torch.tensor(len(x) - 1.0))
            loss = -loo.mean()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return torch.tensor(losses), log_bandwidth.detach()
    side_by_side(script)


def test_per_group_linear_fits_by_batched_lstsq():
    features = DATA.normal(size=(3, 10, 2))
    responses = features @ DATA.normal(size=(3, 2, 1)) + 0.1 * DATA.normal(size=(3, 10, 1))

    def script(torch, copy_weights):
        X = torch.tensor(features, requires_grad=True)
        y = torch.tensor(responses, requires_grad=True)
        design = torch.cat([X, torch.ones(3, 10, 1)], dim=-1)          # with an intercept
        fit = torch.linalg.lstsq(design, y, driver='gelsd')
        fitted = design @ fit.solution
        r2 = 1 - ((y - fitted) ** 2).sum((1, 2)) / ((y - y.mean(1, keepdim=True)) ** 2).sum((1, 2))
        (fit.solution.sum() + fit.residuals.sum() - r2.sum()).backward()
        return fit.solution, fit.residuals, fit.rank, r2, X.grad, y.grad
    side_by_side(script)
