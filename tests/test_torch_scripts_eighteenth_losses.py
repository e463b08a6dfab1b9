"""The eighteenth round of PyTorch scripts, losses and meta-learning as papers' code
writes them (see test_torch_scripts_eighteenth.py for the method): Reptile's outer
step by interpolating state dicts (``copy.deepcopy`` of the weights before,
``load_state_dict`` of the interpolation), CORAL ordinal regression (one shared weight,
a bias per rank threshold, ``logsigmoid`` terms weighted by importance), the Cox
partial likelihood as pycox writes it (``sort(descending=True)``, a shifted
``exp().cumsum().log()``) beside ``logcumsumexp``, torchvision's generalized IoU loss
for box regression (an intersection written through a boolean mask), and generalized
and symmetric cross-entropy for noisy labels.  Changed from the originals: Reptile's
``param.data -= lr * param.grad.data`` (NumPy's arrays here) is written under
``no_grad`` on the parameter, and torchvision's ``torch.max(x1, x1g)`` of two tensors,
refused here naming ``torch.maximum``, is written so.  The rest ran unchanged."""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1823)


def test_reptile_outer_loop_by_interpolating_weights():
    tasks = [(DATA.uniform(-2, 2, size=(6, 1)), DATA.uniform(0.5, 2), DATA.uniform(0, 3))
             for _ in range(3)]

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))
        copy_weights(model)
        innerstepsize, innerepochs, outerstepsize0, niterations = 0.02, 3, 0.1, len(tasks)
        history = []
        for iteration, (xs, amplitude, phase) in enumerate(tasks):
            weights_before = copy.deepcopy(model.state_dict())
            x = torch.from_numpy(xs)
            y = amplitude * torch.sin(x + phase)
            for _ in range(innerepochs):
                model.zero_grad()
                loss = (model(x) - y).pow(2).mean()
                loss.backward()
                for param in model.parameters():
                    with torch.no_grad():
                        param -= innerstepsize * torch.as_tensor(param.grad)
            weights_after = model.state_dict()
            outerstepsize = outerstepsize0 * (1 - iteration / niterations)
            model.load_state_dict({name: weights_before[name] + (
                weights_after[name] - weights_before[name]) * outerstepsize
                for name in weights_before})
            history.append(loss.item())
        return history, model
    side_by_side(script)


def test_coral_ordinal_regression_with_shared_weights_and_rank_biases():
    xs, ranks = DATA.normal(size=(10, 3)), DATA.integers(0, 4, size=10)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        num_classes = 4

        class CoralNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Sequential(nn.Linear(3, 5), nn.ReLU())
                self.fc = nn.Linear(5, 1, bias=False)
                self.linear_1_bias = nn.Parameter(torch.zeros(num_classes - 1).float()
                                                  .double())

            def forward(self, x):
                logits = self.fc(self.features(x)) + self.linear_1_bias
                return logits, torch.sigmoid(logits)

        def levels_from_labels(labels):
            return (torch.arange(num_classes - 1).unsqueeze(0) < labels.unsqueeze(1)).to(
                torch.float64)

        def coral_loss(logits, levels, importance=None):
            term = (F.logsigmoid(logits) * levels
                    + (F.logsigmoid(logits) - logits) * (1 - levels))
            if importance is not None:
                term = term * importance
            return -torch.mean(term.sum(dim=1))

        model = CoralNet()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
        x, y = torch.from_numpy(xs), torch.from_numpy(ranks)
        importance = torch.tensor([1.0, 0.8, 0.6])
        losses = []
        for _ in range(4):
            logits, probas = model(x)
            loss = coral_loss(logits, levels_from_labels(y), importance)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        predicted = torch.sum(probas > 0.5, dim=1)
        mae = torch.sum(torch.abs(predicted - y)).float() / y.size(0)
        return losses, model, predicted, mae.item()
    side_by_side(script)


def test_cox_partial_likelihood_by_logcumsumexp_over_sorted_times():
    xs = DATA.normal(size=(9, 4))
    times = DATA.exponential(size=9)
    events = DATA.integers(0, 2, size=9).astype(float)
    events[0] = 1.0

    def script(torch, copy_weights):
        nn = torch.nn

        def cox_ph_loss(log_h, durations, events, eps=1e-7):
            idx = durations.sort(descending=True)[1]
            events = events[idx]
            log_h = log_h[idx]
            gamma = log_h.max()
            log_cumsum_h = log_h.sub(gamma).exp().cumsum(0).add(eps).log().add(gamma)
            return -log_h.sub(log_cumsum_h).mul(events).sum().div(events.sum())

        def cox_by_logcumsumexp(log_h, durations, events):
            order = torch.argsort(durations, descending=True)
            log_h, events = log_h[order], events[order]
            return -((log_h - torch.logcumsumexp(log_h, dim=0)) * events).sum() / events.sum()

        net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.BatchNorm1d(6), nn.Linear(6, 1,
                                                                                     bias=False))
        copy_weights(net)
        optimizer = torch.optim.AdamW(net.parameters(), lr=1e-2, weight_decay=1e-3)
        x, t, e = (torch.from_numpy(a) for a in (xs, times, events))
        history = []
        for _ in range(3):
            log_h = net(x).squeeze(-1)
            loss = cox_ph_loss(log_h, t, e)
            other = cox_by_logcumsumexp(log_h, t, e)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), other.item()))
        return history, net
    side_by_side(script)


def test_generalized_iou_loss_for_box_regression():
    features = DATA.normal(size=(5, 4))
    anchors = np.abs(DATA.normal(size=(5, 2))) * 4
    targets = np.concatenate([anchors + DATA.uniform(-1, 1, size=(5, 2)),
                              anchors + 2 + np.abs(DATA.normal(size=(5, 2)))], axis=1)

    def script(torch, copy_weights):
        nn = torch.nn

        def generalized_box_iou_loss(boxes1, boxes2, reduction="mean", eps=1e-7):
            x1, y1, x2, y2 = boxes1.unbind(dim=-1)
            x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
            if torch.__name__ == "autodiff":    # torchvision's torch.max(x1, x1g) is refused
                with pytest.raises(TypeError, match=r"write ad\.maximum\(input, other\)"):
                    torch.max(x1, x1g)
            xkis1 = torch.maximum(x1, x1g)
            ykis1 = torch.maximum(y1, y1g)
            xkis2 = torch.minimum(x2, x2g)
            ykis2 = torch.minimum(y2, y2g)
            intsctk = torch.zeros_like(x1)
            mask = (ykis2 > ykis1) & (xkis2 > xkis1)
            intsctk[mask] = (xkis2[mask] - xkis1[mask]) * (ykis2[mask] - ykis1[mask])
            unionk = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - intsctk
            iouk = intsctk / (unionk + eps)
            xc1, yc1 = torch.minimum(x1, x1g), torch.minimum(y1, y1g)
            xc2, yc2 = torch.maximum(x2, x2g), torch.maximum(y2, y2g)
            area_c = (xc2 - xc1) * (yc2 - yc1)
            miouk = iouk - ((area_c - unionk) / (area_c + eps))
            loss = 1 - miouk
            return loss.mean() if reduction == "mean" else loss.sum()

        head = nn.Linear(4, 4)
        copy_weights(head)
        optimizer = torch.optim.SGD(head.parameters(), lr=0.05, momentum=0.9, nesterov=True)
        x, a, target = (torch.from_numpy(v) for v in (features, anchors, targets))
        losses = []
        for _ in range(4):
            deltas = head(x)
            xy = a + deltas[:, :2]
            wh = torch.exp(deltas[:, 2:]) * 2
            boxes = torch.cat([xy, xy + wh], dim=1)
            loss = generalized_box_iou_loss(boxes, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, head
    side_by_side(script)


def test_generalized_cross_entropy_for_noisy_labels():
    xs, labels = DATA.normal(size=(8, 4)), DATA.integers(0, 3, size=8)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class GCELoss(nn.Module):
            def __init__(self, q=0.7):
                super().__init__()
                self.q = q

            def forward(self, logits, targets):
                pred = F.softmax(logits, dim=1)
                pred = torch.clamp(pred, min=1e-7, max=1.0)
                label_one_hot = F.one_hot(targets, logits.size(1)).float().to(pred.dtype)
                gce = (1.0 - torch.pow(torch.sum(label_one_hot * pred, dim=1), self.q)) / self.q
                return gce.mean()

        class SCELoss(nn.Module):
            def __init__(self, alpha=0.1, beta=1.0, num_classes=3):
                super().__init__()
                self.alpha, self.beta, self.num_classes = alpha, beta, num_classes
                self.cross_entropy = nn.CrossEntropyLoss()

            def forward(self, pred, labels):
                ce = self.cross_entropy(pred, labels)
                pred = F.softmax(pred, dim=1)
                pred = torch.clamp(pred, min=1e-7, max=1.0)
                label_one_hot = F.one_hot(labels, self.num_classes).to(pred.dtype)
                label_one_hot = torch.clamp(label_one_hot, min=1e-4, max=1.0)
                rce = -1 * torch.sum(pred * torch.log(label_one_hot), dim=1)
                return self.alpha * ce + self.beta * rce.mean()

        model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
        copy_weights(model)
        gce, sce = GCELoss(), SCELoss()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        x, y = torch.from_numpy(xs), torch.from_numpy(labels)
        history = []
        for step in range(4):
            logits = model(x)
            loss = gce(logits, y) if step % 2 == 0 else sce(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append(loss.item())
        return history, model
    side_by_side(script)
