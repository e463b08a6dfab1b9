"""More sixteenth-round PyTorch scripts (see test_torch_scripts_sixteenth.py for how
they run): a masked-language-model data collator (special tokens by ``torch.isin``,
``masked_fill_``, ``labels[~masked] = -100``, 80/10/10 replacement) feeding
``cross_entropy``, quantile regression by a pinball loss checked with ``torch.quantile``
and ``median(dim=)``, the KL divergence of two multivariate normals by ``trace``,
``logdet`` and ``cholesky_solve`` against ``torch.distributions``, a center loss whose
distance matrix is built by ``addmm_(beta=1, alpha=-2)``, Invariant Information
Clustering's loss (``p_i_j[(p_i_j < EPS).data] = EPS`` on a tensor in the graph,
``torch.where`` on the expanded marginals), and a
Tucker decomposition fitted through ``torch.tensordot``."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(16160)


def test_masked_language_model_collator_with_isin_and_ignore_index():
    batch = DATA.integers(5, 20, size=(3, 8))
    batch[:, 0], batch[:, -1], batch[2, 5:] = 1, 2, 0        # [CLS], [SEP], [PAD]
    mask_draws, replace_draws, random_draws = (DATA.uniform(size=(3, 8)) for _ in range(3))
    random_words = DATA.integers(5, 20, size=(3, 8))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        pad_id, mask_id, special_ids = 0, 3, torch.tensor([0, 1, 2])

        def mask_tokens(inputs, mlm_probability=0.3):
            labels = inputs.clone()
            probability_matrix = torch.full(labels.shape, mlm_probability, dtype=torch.float64)
            special_tokens_mask = torch.isin(labels, special_ids)
            probability_matrix.masked_fill_(special_tokens_mask, value=0.0)
            # torch.bernoulli(probability_matrix), with the draws taken from NumPy
            masked_indices = torch.from_numpy(mask_draws) < probability_matrix
            labels[~masked_indices] = -100
            indices_replaced = (torch.from_numpy(replace_draws) < 0.8) & masked_indices
            inputs[indices_replaced] = mask_id
            indices_random = ((torch.from_numpy(random_draws) < 0.5) & masked_indices
                              & ~indices_replaced)
            inputs[indices_random] = torch.from_numpy(random_words)[indices_random]
            return inputs, labels

        inputs, labels = mask_tokens(torch.from_numpy(batch.copy()))
        model = nn.Sequential(nn.Embedding(20, 6, padding_idx=pad_id), nn.Linear(6, 20))
        copy_weights(model)
        logits = model(inputs)
        loss = F.cross_entropy(logits.view(-1, 20), labels.view(-1), ignore_index=-100)
        loss.backward()
        counted = (labels != -100).sum().item()
        return inputs, labels, counted, loss, model[0].weight.grad
    side_by_side(script)


def test_quantile_regression_by_a_pinball_loss():
    inputs = DATA.uniform(-1, 1, size=(40, 1))
    targets = 2 * inputs + 0.5 * DATA.standard_t(3, size=(40, 1))

    def script(torch, copy_weights):
        nn = torch.nn
        quantiles = torch.tensor([0.1, 0.5, 0.9])

        def pinball_loss(preds, target):
            errors = target - preds
            # (torch.max of two tensors is refused here: NumPy's max would read the
            # second as the axis; maximum says it)
            return torch.maximum((quantiles - 1) * errors, quantiles * errors).mean()

        model = nn.Linear(1, 3)
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        losses = []
        for _ in range(6):
            loss = pinball_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            residuals = y - model(x)
            coverage = (residuals < 0).double().mean(dim=0)
            empirical = torch.quantile(y, quantiles, dim=0)
            median, where = y.squeeze(1).median(dim=0)
            # (the method: torch.nanmedian(x) of an even count is NumPy's mean of the two
            # middle values here, PyTorch's the lower one)
            nan_median = torch.cat([y.squeeze(1), torch.tensor([float("nan")])]).nanmedian()
        return losses, coverage, empirical, median, where, nan_median, model
    side_by_side(script)


def test_kl_of_two_multivariate_normals_by_trace_and_logdet():
    mean_p, mean_q = DATA.normal(size=3), DATA.normal(size=3)
    root_p, root_q = DATA.normal(size=(3, 3)), DATA.normal(size=(3, 3))

    def script(torch, copy_weights):
        mu_p = torch.tensor(mean_p, requires_grad=True)
        mu_q = torch.tensor(mean_q)
        a_p = torch.tensor(root_p, requires_grad=True)
        a_q = torch.tensor(root_q)
        cov_p = a_p @ a_p.T + torch.eye(3, dtype=torch.float64)
        cov_q = a_q @ a_q.T + torch.eye(3, dtype=torch.float64)
        k = mu_p.shape[0]
        chol_q = torch.linalg.cholesky(cov_q)
        diff = (mu_q - mu_p).unsqueeze(-1)
        kl = 0.5 * (torch.trace(torch.cholesky_solve(cov_p, chol_q))
                    + (diff.T @ torch.cholesky_solve(diff, chol_q)).squeeze() - k
                    + torch.logdet(cov_q) - torch.logdet(cov_p))
        by_hand = kl.detach(), *torch.autograd.grad(kl, (mu_p, a_p), retain_graph=True)
        D = torch.distributions
        reference = D.kl_divergence(D.MultivariateNormal(mu_p, covariance_matrix=cov_p),
                                    D.MultivariateNormal(mu_q, scale_tril=chol_q))
        reference.backward()
        return by_hand, reference, mu_p.grad, a_p.grad, torch.linalg.det(cov_p)
    side_by_side(script)


def test_center_loss_distance_matrix_by_in_place_addmm():
    features, labels = DATA.normal(size=(3, 6, 4)), DATA.integers(0, 3, size=(3, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class CenterLoss(nn.Module):
            def __init__(self, num_classes=3, feat_dim=4):
                super().__init__()
                self.num_classes = num_classes
                self.centers = nn.Parameter(torch.zeros(num_classes, feat_dim))

            def forward(self, x, labels):
                batch_size = x.size(0)
                distmat = (torch.pow(x, 2).sum(dim=1, keepdim=True)
                           .expand(batch_size, self.num_classes)
                           + torch.pow(self.centers, 2).sum(dim=1, keepdim=True)
                           .expand(self.num_classes, batch_size).t())
                distmat.addmm_(x, self.centers.t(), beta=1, alpha=-2)
                classes = torch.arange(self.num_classes).long()
                labels = labels.unsqueeze(1).expand(batch_size, self.num_classes)
                mask = labels.eq(classes.expand(batch_size, self.num_classes))
                dist = distmat * mask.float()
                return dist.clamp(min=1e-12, max=1e+12).sum() / batch_size

        backbone, head = nn.Linear(4, 4), nn.Linear(4, 3)
        center_loss = CenterLoss()
        copy_weights(backbone, head)
        with torch.no_grad():
            center_loss.centers.copy_(torch.eye(3, 4))
        optimizer = torch.optim.SGD(list(backbone.parameters()) + list(head.parameters()),
                                    lr=0.1)
        optimizer_centers = torch.optim.SGD(center_loss.parameters(), lr=0.5)
        losses = []
        for x, y in zip(features, labels):
            x, y = torch.from_numpy(x), torch.from_numpy(y)
            feats = backbone(x)
            loss = F.cross_entropy(head(feats), y) + 0.1 * center_loss(feats, y)
            optimizer.zero_grad()
            optimizer_centers.zero_grad()
            loss.backward()
            optimizer.step()
            for param in center_loss.parameters():
                # (the original's param.grad.data: .grad is an ndarray here, whose .data
                # is its raw buffer)
                param.grad *= (1. / 0.1)            # centers learn at their own rate
            optimizer_centers.step()
            losses.append(loss.item())
        return losses, center_loss.centers, backbone, head
    side_by_side(script)


def test_invariant_information_clustering_loss_with_a_masked_floor():
    views, augmented = DATA.normal(size=(3, 16, 5)), DATA.normal(size=(3, 16, 5))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        EPS = 1e-3

        def IID_loss(x_out, x_tf_out, lamb=1.0):
            _, k = x_out.size()
            p_i_j = (x_out.unsqueeze(2) * x_tf_out.unsqueeze(1)).sum(dim=0)
            p_i_j = (p_i_j + p_i_j.t()) / 2.
            p_i_j = p_i_j / p_i_j.sum()
            p_i = p_i_j.sum(dim=1).view(k, 1).expand(k, k)
            p_j = p_i_j.sum(dim=0).view(1, k).expand(k, k)
            p_i_j[(p_i_j < EPS).data] = EPS
            # p_i and p_j are expanded views: PyTorch refuses writes into them
            p_j = torch.where(p_j < EPS, torch.tensor([EPS], dtype=p_j.dtype), p_j)
            p_i = torch.where(p_i < EPS, torch.tensor([EPS], dtype=p_i.dtype), p_i)
            loss = - p_i_j * (torch.log(p_i_j) - lamb * torch.log(p_j) - lamb * torch.log(p_i))
            return loss.sum()

        model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 4))
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        losses = []
        for x, x_tf in zip(views, augmented):
            z = F.softmax(model(torch.from_numpy(x)), dim=1)
            z_tf = F.softmax(model(torch.from_numpy(x + 0.1 * x_tf)), dim=1)
            loss = IID_loss(z, z_tf)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            p = F.softmax(model(torch.from_numpy(views[0])), dim=1)
            entropy = torch.special.entr(p.mean(dim=0)).sum()
            cross = -torch.special.xlogy(p, p).sum(dim=1)
        return losses, entropy, cross, model
    side_by_side(script)


def test_tucker_decomposition_fitted_through_tensordot():
    target = DATA.normal(size=(4, 5, 3))
    starts = [DATA.normal(size=s) for s in ((2, 2, 2), (4, 2), (5, 2), (3, 2))]

    def script(torch, copy_weights):
        X = torch.from_numpy(target)
        core, *factors = (torch.tensor(s, requires_grad=True) for s in starts)
        optimizer = torch.optim.Adam([core, *factors], lr=0.05)

        def reconstruct(core, factors):
            out = core
            for factor in factors:
                # contract the leading mode, which tensordot moves to the end
                out = torch.tensordot(out, factor, dims=([0], [1]))
            return out

        errors = []
        for _ in range(6):
            approximation = reconstruct(core, factors)
            loss = (approximation - X).pow(2).sum() / X.pow(2).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            errors.append(loss.item())
        mode_product = torch.tensordot(X, factors[0], dims=([0], [0]))
        return errors, reconstruct(core, factors), core.grad, mode_product
    side_by_side(script)
