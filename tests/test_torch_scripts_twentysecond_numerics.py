"""Round 22 of the PyTorch scripts (see test_torch_scripts_twentysecond.py): numerical
and probabilistic scripts.  Non-maximum suppression written in tensors (box areas,
pairwise IoU by ``torch.maximum`` / ``torch.minimum`` of broadcast corners, a loop over
``argsort(descending=True)``), a Gaussian mixture fitted by EM (``MultivariateNormal``
log-densities of a batch of components, responsibilities by ``torch.logsumexp``,
weighted means and covariances by ``torch.einsum``), split conformal prediction
(``torch.quantile(interpolation='higher')`` of calibration scores, prediction sets and
adaptive sets by a sorted cumulative softmax ``scatter``-ed back), NeuralSort's relaxed
permutation matrices in a differentiable top-k loss, k-means by ``torch.cdist`` and
``index_add_`` with ``torch.bincount(minlength=)``, ROC AUC and average precision by
sorted cumulative sums and ``torch.trapezoid``, a Wishart log-density by
``torch.special.multigammaln`` and ``torch.logdet`` over a ``torch.logspace(base=2)``
grid of degrees of freedom, least squares by ``torch.linalg.qr(mode='r')`` on the normal
equations, and a small CNN with ``nn.PReLU(num_parameters=)``, ``nn.Hardtanh(min_val=,
max_val=)`` and ``F.mish``.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import adam_steps, side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2322)


def test_non_maximum_suppression_written_in_tensors():
    corners = DATA.uniform(0, 10, size=(12, 2))
    sizes = DATA.uniform(2, 5, size=(12, 2))
    boxes_np = np.concatenate([corners, corners + sizes], axis=1)
    scores_np = DATA.uniform(size=12)

    def script(torch, copy_weights):
        def box_area(boxes):
            return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])

        def box_iou(boxes1, boxes2):
            area1, area2 = box_area(boxes1), box_area(boxes2)
            lt = torch.maximum(boxes1[:, None, :2], boxes2[:, :2])
            rb = torch.minimum(boxes1[:, None, 2:], boxes2[:, 2:])
            wh = (rb - lt).clamp(min=0)
            inter = wh[:, :, 0] * wh[:, :, 1]
            return inter / (area1[:, None] + area2 - inter)

        def nms(boxes, scores, threshold):
            order = scores.argsort(descending=True)
            keep = []
            while order.numel() > 0:
                i = order[0]
                keep.append(i.item())
                if order.numel() == 1:
                    break
                iou = box_iou(boxes[i].unsqueeze(0), boxes[order[1:]]).squeeze(0)
                order = order[1:][iou <= threshold]
            return torch.tensor(keep, dtype=torch.long)

        boxes = torch.from_numpy(boxes_np).requires_grad_()
        scores = torch.from_numpy(scores_np)
        keep = nms(boxes.detach(), scores, 0.3)
        kept_iou = box_iou(boxes[keep], boxes[keep])
        overlap = (kept_iou - torch.eye(len(keep))).sum()
        overlap.backward()
        return keep, kept_iou, boxes.grad
    side_by_side(script)


def test_gaussian_mixture_fitted_by_expectation_maximisation():
    points = np.concatenate([DATA.normal(size=(15, 2)) * 0.5 + [2, 0],
                             DATA.normal(size=(15, 2)) * 0.7 - [1, 1]])

    def script(torch, copy_weights):
        X = torch.from_numpy(points)
        K, n = 2, len(X)
        means = X[torch.tensor([0, 20])].clone()
        covariances = torch.eye(2).expand(K, 2, 2).clone()
        weights = torch.full((K,), 1.0 / K)
        history = []
        for _ in range(5):
            components = torch.distributions.MultivariateNormal(
                means, covariance_matrix=covariances)
            log_joint = components.log_prob(X.unsqueeze(1)) + torch.log(weights)   # (n, K)
            log_likelihood = torch.logsumexp(log_joint, dim=1)
            responsibilities = torch.exp(log_joint - log_likelihood.unsqueeze(1))
            counts = responsibilities.sum(dim=0)
            weights = counts / n
            means = responsibilities.T @ X / counts.unsqueeze(1)
            centred = X.unsqueeze(1) - means                                       # (n, K, 2)
            covariances = torch.einsum("nk,nki,nkj->kij", responsibilities, centred, centred) \
                / counts[:, None, None] + 1e-6 * torch.eye(2)
            history.append(log_likelihood.sum().item())
        return history, weights, means, covariances
    side_by_side(script)


def test_split_conformal_prediction_sets_and_adaptive_sets():
    cal_logits = DATA.normal(size=(30, 4)) * 2
    cal_labels = DATA.integers(0, 4, size=30)
    test_logits = DATA.normal(size=(5, 4)) * 2

    def script(torch, copy_weights):
        F = torch.nn.functional
        alpha = 0.2
        probs = F.softmax(torch.from_numpy(cal_logits), dim=1)
        labels = torch.from_numpy(cal_labels)
        n = len(labels)
        scores = 1 - probs[torch.arange(n), labels]
        q_level = np.ceil((n + 1) * (1 - alpha)) / n
        qhat = torch.quantile(scores, q_level, interpolation="higher")
        test_probs = F.softmax(torch.from_numpy(test_logits), dim=1)
        prediction_sets = test_probs >= (1 - qhat)
        # adaptive prediction sets: cumulative mass of the classes sorted by probability
        sorted_probs, order = test_probs.sort(dim=1, descending=True)
        cumulative = sorted_probs.cumsum(dim=1)
        cal_sorted, cal_order = probs.sort(dim=1, descending=True)
        cal_cumulative = cal_sorted.cumsum(dim=1)
        rank_of_label = (cal_order == labels.unsqueeze(1)).int().argmax(dim=1)
        aps_scores = cal_cumulative.gather(1, rank_of_label.unsqueeze(1)).squeeze(1)
        aps_qhat = torch.quantile(aps_scores, q_level, interpolation="higher")
        in_set_sorted = (cumulative - sorted_probs) <= aps_qhat
        adaptive_sets = torch.zeros_like(in_set_sorted).scatter(1, order, in_set_sorted)
        return qhat, prediction_sets, aps_qhat, adaptive_sets, \
            prediction_sets.sum(dim=1).float().mean()
    side_by_side(script)


def test_neuralsort_relaxed_permutations_in_a_differentiable_top_k_loss():
    scores_np = DATA.normal(size=(3, 5))
    relevance = DATA.uniform(size=(3, 5))

    def script(torch, copy_weights):
        def neural_sort(s, tau):
            n = s.size(1)
            s = s.unsqueeze(-1)                                    # (B, n, 1)
            A = torch.abs(s - s.transpose(1, 2))                   # (B, n, n)
            B = A @ torch.ones(n, 1)                               # (B, n, 1)
            scaling = (n + 1 - 2 * (torch.arange(n) + 1)).double()
            C = s @ scaling.unsqueeze(0)                           # (B, n, n)
            P_max = (C - B).transpose(1, 2)
            return torch.softmax(P_max / tau, dim=-1)

        scores = torch.tensor(scores_np, requires_grad=True)     # (a copy: it is updated)
        y = torch.from_numpy(relevance)
        optimizer = torch.optim.SGD([scores], lr=0.5)
        history = []
        for tau in (1.0, 0.5, 0.25):
            P = neural_sort(scores, tau)
            sorted_relevance = P @ y.unsqueeze(-1)                 # (B, n, 1)
            top2 = sorted_relevance[:, :2].sum()
            loss = -top2
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), P.detach().sum(dim=1)))
        return history, scores
    side_by_side(script)


def test_k_means_by_cdist_index_add_and_bincount():
    points = np.concatenate([DATA.normal(size=(10, 2)) + 3, DATA.normal(size=(10, 2)) - 3,
                             DATA.normal(size=(10, 2)) + [3, -3]])

    def script(torch, copy_weights):
        X = torch.from_numpy(points)
        centroids = X[torch.tensor([0, 10, 20])].clone()
        history = []
        for _ in range(4):
            distances = torch.cdist(X, centroids)
            assignment = distances.argmin(dim=1)
            sums = torch.zeros_like(centroids).index_add_(0, assignment, X)
            counts = torch.bincount(assignment, minlength=3).clamp(min=1)
            centroids = sums / counts.unsqueeze(1)
            inertia = distances.gather(1, assignment.unsqueeze(1)).pow(2).sum()
            history.append((assignment, inertia))
        # a soft assignment's inertia, differentiable in the centroids
        c = centroids.clone().requires_grad_()
        soft = torch.softmax(-torch.cdist(X, c) ** 2, dim=1)
        soft_inertia = (soft * torch.cdist(X, c) ** 2).sum()
        soft_inertia.backward()
        return history, centroids, soft_inertia, c.grad
    side_by_side(script)


def test_roc_auc_and_average_precision_by_sorted_cumulative_sums():
    labels_np = DATA.integers(0, 2, size=40)
    scores_np = labels_np * 0.8 + DATA.normal(size=40)

    def script(torch, copy_weights):
        y = torch.from_numpy(labels_np).double()
        scores = torch.from_numpy(scores_np)
        order = torch.argsort(scores, descending=True)
        y_sorted = y[order]
        tps = torch.cumsum(y_sorted, dim=0)
        fps = torch.cumsum(1 - y_sorted, dim=0)
        tpr = torch.cat([torch.zeros(1), tps / tps[-1]])
        fpr = torch.cat([torch.zeros(1), fps / fps[-1]])
        auc = torch.trapezoid(tpr, fpr)
        precision = tps / (tps + fps)
        recall = tps / tps[-1]
        average_precision = (torch.diff(recall, prepend=torch.zeros(1)) * precision).sum()
        best = torch.argmax(2 * precision * recall / (precision + recall))
        threshold = scores[order][best]
        return auc, average_precision, threshold, tpr, fpr
    side_by_side(script)


def test_wishart_log_density_by_multigammaln_over_a_logspace_grid():
    samples = DATA.normal(size=(4, 3, 3))
    scatters = samples @ np.swapaxes(samples, -1, -2) + np.eye(3)

    def script(torch, copy_weights):
        p = 3
        X = torch.from_numpy(scatters)
        log_scale = torch.zeros(3, requires_grad=True)
        dfs = torch.logspace(2, 4, steps=3, base=2)             # 4, 8, 16

        def wishart_log_density(X, V, df):
            return ((df - p - 1) / 2 * torch.logdet(X)
                    - 0.5 * torch.diagonal(torch.linalg.solve(V, X), dim1=-2, dim2=-1).sum(-1)
                    - df * p / 2 * np.log(2) - df / 2 * torch.logdet(V)
                    - torch.special.multigammaln(df / 2, p))

        results = []
        for df in dfs:
            V = torch.diag(torch.exp(log_scale)) / df
            results.append(wishart_log_density(X, V, df).sum())
        total = torch.stack(results)
        total.sum().backward()
        return dfs, total, log_scale.grad
    side_by_side(script)


def test_least_squares_by_qr_r_factor_on_the_normal_equations():
    design_np = np.column_stack([np.ones(12), DATA.normal(size=(12, 2))])
    target_np = design_np @ np.array([0.5, -1.0, 2.0]) + 0.1 * DATA.normal(size=12)

    def script(torch, copy_weights):
        A = torch.from_numpy(design_np)
        b = torch.from_numpy(target_np).requires_grad_()
        # (R alone here, as NumPy's; PyTorch's is (Q, R) with Q empty, and it has no
        # gradient: only b is differentiated)
        R = torch.linalg.qr(A, mode="r")
        if isinstance(R, tuple):
            R = R[1]
        rhs = A.T @ b
        y = torch.linalg.solve_triangular(R.T, rhs.unsqueeze(1), upper=False)
        x = torch.linalg.solve_triangular(R, y, upper=True).squeeze(1)
        residual = ((A @ x - b) ** 2).sum()
        residual.backward()
        return R.abs(), x, residual, b.grad
    side_by_side(script)


def test_small_cnn_with_prelu_per_channel_hardtanh_bounds_and_mish():
    images = DATA.normal(size=(3, 2, 6, 6))
    labels = np.array([0, 2, 1])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(2, 4, 3)
                self.act1 = nn.PReLU(num_parameters=4, init=0.2)
                self.conv2 = nn.Conv2d(4, 4, 3)
                self.clip = nn.Hardtanh(min_val=-0.5, max_val=1.5)
                self.fc = nn.Linear(4, 3)

            def forward(self, x):
                x = self.act1(self.conv1(x))
                x = self.clip(self.conv2(x))
                x = F.mish(x).mean(dim=(2, 3))
                return self.fc(F.hardtanh(x, min_val=-1.0, max_val=1.0))

        model = Net()
        copy_weights(model)
        x, y = torch.from_numpy(images), torch.from_numpy(labels)
        losses = adam_steps(torch, model, lambda: F.cross_entropy(model(x), y),
                            steps=3, lr=0.02)
        return losses, model, model.act1.weight
    side_by_side(script)
