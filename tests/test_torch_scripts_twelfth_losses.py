"""The twelfth round of PyTorch scripts, losses (see test_torch_scripts_twelfth.py
for the method): the embedding and ranking losses (``TripletMarginLoss`` with ``p=1``
and ``swap=True``, ``MarginRankingLoss``, ``HingeEmbeddingLoss``), the regression
likelihoods (``PoissonNLLLoss``, ``GaussianNLLLoss`` with a shared variance, ``HuberLoss``,
``SmoothL1Loss``) and ``MultiLabelSoftMarginLoss`` with class weights, each in its three
``reduction=`` modes with the gradients of its inputs; a focal loss written by hand
beside ``sigmoid_focal_loss`` as torchvision writes it; and ``CrossEntropyLoss`` with
``label_smoothing=``, ``ignore_index=`` and ``weight=`` together, on class indices, on
per-pixel logits and on probability targets."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1213)
REDUCTIONS = ("none", "sum", "mean")


def _leaf(torch, values):
    return torch.tensor(values, requires_grad=True)


def _losses_and_gradients(torch, make_loss, *arrays, targets=()):
    """Each reduction of ``make_loss(reduction)`` on fresh leaves made from ``arrays``
    (with ``targets`` as constants): the loss and each leaf's gradient."""
    results = []
    for reduction in REDUCTIONS:
        leaves = [_leaf(torch, values) for values in arrays]
        constants = [torch.from_numpy(values) for values in targets]
        loss = make_loss(reduction)(*leaves, *constants)
        (loss.sum() if reduction == "none" else loss).backward()
        results.append([loss] + [leaf.grad for leaf in leaves])
    return results


def test_embedding_and_ranking_losses_in_each_reduction():
    anchor, positive, negative = (DATA.normal(size=(5, 3)) for _ in range(3))
    first, second = DATA.normal(size=6), DATA.normal(size=6)
    order = DATA.choice([-1.0, 1.0], size=6)
    distances = np.abs(DATA.normal(size=(4, 3)))
    similar = DATA.choice([-1.0, 1.0], size=(4, 3))

    def script(torch, copy_weights):
        nn = torch.nn
        triplet = _losses_and_gradients(
            torch, lambda r: nn.TripletMarginLoss(margin=0.5, p=1, swap=True, reduction=r),
            anchor, positive, negative)
        triplet_l2 = _losses_and_gradients(
            torch, lambda r: nn.TripletMarginLoss(margin=1.0, p=2, eps=1e-6, reduction=r),
            anchor, positive, negative)
        ranking = _losses_and_gradients(
            torch, lambda r: nn.MarginRankingLoss(margin=0.2, reduction=r),
            first, second, targets=(order,))
        hinge = _losses_and_gradients(
            torch, lambda r: nn.HingeEmbeddingLoss(margin=0.8, reduction=r),
            distances, targets=(similar,))
        return triplet, triplet_l2, ranking, hinge
    side_by_side(script)


def test_regression_likelihoods_in_each_reduction():
    log_rate = DATA.normal(size=(4, 3))
    counts = DATA.poisson(2.0, size=(4, 3)).astype(float)
    rate = np.exp(DATA.normal(size=(4, 3)))
    mean, target = DATA.normal(size=(4, 3)), DATA.normal(size=(4, 3))
    shared_variance = np.exp(DATA.normal(size=(4, 1)))
    prediction = DATA.normal(scale=2.0, size=(4, 3))

    def script(torch, copy_weights):
        nn = torch.nn
        poisson_log = _losses_and_gradients(
            torch, lambda r: nn.PoissonNLLLoss(log_input=True, full=True, reduction=r),
            log_rate, targets=(counts,))
        poisson_rate = _losses_and_gradients(
            torch, lambda r: nn.PoissonNLLLoss(log_input=False, eps=1e-6, reduction=r),
            rate, targets=(counts,))
        def gaussian_nll(reduction):
            criterion = nn.GaussianNLLLoss(full=True, eps=1e-4, reduction=reduction)
            return lambda mean, variance, target: criterion(mean, target, variance)

        gaussian = _losses_and_gradients(torch, gaussian_nll, mean, shared_variance,
                                         targets=(target,))
        huber = _losses_and_gradients(
            torch, lambda r: nn.HuberLoss(delta=0.7, reduction=r), prediction,
            targets=(target,))
        smooth_l1 = _losses_and_gradients(
            torch, lambda r: nn.SmoothL1Loss(beta=0.7, reduction=r), prediction,
            targets=(target,))
        return poisson_log, poisson_rate, gaussian, huber, smooth_l1
    side_by_side(script)


def test_multilabel_tagger_by_multilabel_soft_margin_loss_with_class_weights():
    feature_values = DATA.normal(size=(6, 5))
    tag_values = (DATA.uniform(size=(6, 4)) < 0.3).astype(float)
    class_weights = np.array([1.0, 2.0, 0.5, 1.5])

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Linear(5, 4)
        copy_weights(model)
        features, tags = torch.from_numpy(feature_values), torch.from_numpy(tag_values)
        weight = torch.from_numpy(class_weights)
        per_reduction = _losses_and_gradients(
            torch, lambda r: nn.MultiLabelSoftMarginLoss(weight=weight, reduction=r),
            feature_values[:, :4], targets=(tag_values,))
        criterion = nn.MultiLabelSoftMarginLoss(weight=weight)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
        losses = []
        for _ in range(4):
            optimizer.zero_grad()
            loss = criterion(model(features), tags)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        predicted = (torch.sigmoid(model(features)) > 0.5).long()
        return per_reduction, losses, model, predicted
    side_by_side(script)


def test_focal_losses_written_by_hand():
    logit_values = DATA.normal(size=(8, 4))
    class_values = DATA.integers(0, 4, size=8)
    binary_logits = DATA.normal(size=(8, 3))
    binary_targets = (DATA.uniform(size=(8, 3)) < 0.3).astype(float)

    def script(torch, copy_weights):
        F = torch.nn.functional

        class FocalLoss(torch.nn.Module):
            def __init__(self, alpha, gamma=2.0, reduction="mean"):
                super().__init__()
                self.register_buffer("alpha", alpha)
                self.gamma, self.reduction = gamma, reduction

            def forward(self, logits, targets):
                log_p = F.log_softmax(logits, dim=-1)
                log_pt = log_p.gather(1, targets.unsqueeze(1)).squeeze(1)
                pt = log_pt.exp()
                loss = -self.alpha[targets] * (1 - pt) ** self.gamma * log_pt
                if self.reduction == "mean":
                    return loss.mean()
                return loss.sum() if self.reduction == "sum" else loss

        def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
            # torchvision.ops.sigmoid_focal_loss, line by line
            p = torch.sigmoid(inputs)
            ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
            p_t = p * targets + (1 - p) * (1 - targets)
            loss = ce_loss * ((1 - p_t) ** gamma)
            if alpha >= 0:
                alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
                loss = alpha_t * loss
            if reduction == "mean":
                loss = loss.mean()
            elif reduction == "sum":
                loss = loss.sum()
            return loss

        alpha = torch.tensor([0.25, 0.5, 0.75, 1.0])
        targets = torch.from_numpy(class_values)
        multi_class = []
        for reduction in ("none", "sum", "mean"):
            logits = torch.tensor(logit_values, requires_grad=True)
            loss = FocalLoss(alpha, gamma=1.5, reduction=reduction)(logits, targets)
            loss.sum().backward()
            multi_class.append([loss, logits.grad])
        binary = []
        for reduction in ("none", "sum", "mean"):
            logits = torch.tensor(binary_logits, requires_grad=True)
            loss = sigmoid_focal_loss(logits, torch.from_numpy(binary_targets),
                                      reduction=reduction)
            loss.sum().backward()
            binary.append([loss, logits.grad])
        return multi_class, binary
    side_by_side(script)


def test_cross_entropy_with_label_smoothing_ignore_index_and_class_weights():
    logit_values = DATA.normal(size=(7, 5))
    target_values = np.array([0, 3, -1, 4, 2, -1, 1])
    pixel_logits = DATA.normal(size=(2, 5, 3, 3))
    pixel_targets = DATA.integers(0, 5, size=(2, 3, 3))
    pixel_targets[0, 1, :] = 255
    probability_targets = DATA.dirichlet(np.ones(5), size=7)
    class_weights = np.array([1.0, 0.5, 2.0, 1.5, 0.8])

    def script(torch, copy_weights):
        nn = torch.nn
        weight = torch.from_numpy(class_weights)
        per_reduction = []
        for reduction in ("none", "sum", "mean"):
            criterion = nn.CrossEntropyLoss(weight=weight, ignore_index=-1,
                                            label_smoothing=0.1, reduction=reduction)
            logits = torch.tensor(logit_values, requires_grad=True)
            loss = criterion(logits, torch.from_numpy(target_values))
            loss.sum().backward()
            per_reduction.append([loss, logits.grad])
        segmentation = nn.CrossEntropyLoss(weight=weight, ignore_index=255,
                                           label_smoothing=0.2)
        pixels = torch.tensor(pixel_logits, requires_grad=True)
        pixel_loss = segmentation(pixels, torch.from_numpy(pixel_targets))
        pixel_loss.backward()
        soft = nn.CrossEntropyLoss(weight=weight, label_smoothing=0.15)
        logits = torch.tensor(logit_values, requires_grad=True)
        soft_loss = soft(logits, torch.from_numpy(probability_targets))
        soft_loss.backward()
        return per_reduction, pixel_loss, pixels.grad, soft_loss, logits.grad
    side_by_side(script)
