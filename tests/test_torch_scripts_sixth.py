"""A sixth round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; losses per step and final weights must agree (float64 to 1e-10,
float32 to 1e-5).  Random parts take their draws from NumPy so both runs see the same
numbers.  Here, losses and training tricks: a character-level CNN text classifier,
knowledge distillation with temperature-softened logits, mixup, focal losses, the
SimCLR NT-Xent loss, a hand-written label-smoothing loss, a masked loss over missing
targets with ``torch.where``, and Huber regression (more in
test_torch_scripts_sixth_models.py, _training.py, _more.py and _extra.py; what they
found missing is in test_torch_scripts_sixth_gaps.py).

Lines written otherwise than the tutorials write them, by the library's documented
conventions (each fails loudly or warns when written PyTorch's way):
- ``.grad`` and ``.data`` are NumPy arrays: ``p.data.clamp_(-c, c)`` and
  ``weight.data.zero_()`` are written under ``torch.no_grad()`` on the parameter,
  ``target.data.unsqueeze(1)`` as ``target.unsqueeze(1)``, ``grad.abs()`` compared
  elementwise, and ``torch.func.grad``'s per-sample gradients go through
  ``torch.as_tensor``;
- ``torch.max(x, 1)`` is NumPy's (values only; unpacking it warns): ``dim=1``;
- ``t.std()`` is NumPy's ddof=0 (warns): ``std(unbiased=True)``;
- ``torch.min(a, b)`` of two tensors raises, naming ``torch.minimum``;
- ``torch.equal`` is elementwise: ``(a == b).all()``;
- there is no ``'meta'`` device: the ensembling recipe deep-copies the base model.
A Linear before a BatchNorm has no bias here (``bias=False``, as the tutorials often
write it): its gradient is zero up to rounding, which Adam's normalisation would
blow up into different weights in each library."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(61)


# --- A character-level CNN text classifier ------------------------------------------

def test_char_cnn_text_classifier_with_adaptive_max_pool_and_eval_accuracy():
    texts = DATA.integers(1, 12, size=(4, 5, 10))
    texts[:, :, 7:] = 0                        # padding at the end of every text
    labels = DATA.integers(0, 3, size=(4, 5))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class CharCNN(nn.Module):
            def __init__(self, vocab_size, embed_dim, n_filters, kernel_sizes, n_classes):
                super().__init__()
                self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
                self.convs = nn.ModuleList([nn.Conv1d(embed_dim, n_filters, k, padding=k // 2)
                                            for k in kernel_sizes])
                self.pool = nn.AdaptiveMaxPool1d(1)
                self.dropout = nn.Dropout(0.0)
                self.fc = nn.Linear(n_filters * len(kernel_sizes), n_classes)

            def forward(self, x):
                embedded = self.embedding(x).permute(0, 2, 1)        # (batch, embed, length)
                pooled = [self.pool(F.relu(conv(embedded))).squeeze(-1) for conv in self.convs]
                return self.fc(self.dropout(torch.cat(pooled, dim=1)))

        model = CharCNN(12, 6, 4, (3, 5), 3)
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        criterion = nn.CrossEntropyLoss()
        losses = []
        for i in range(3):
            model.train()
            logits = model(torch.from_numpy(texts[i]))
            loss = criterion(logits, torch.from_numpy(labels[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        assert bool((model.embedding.weight.grad[0] == 0).all())   # padding_idx's row
        model.eval()
        with torch.no_grad():
            logits = model(torch.from_numpy(texts[3]))
            predictions = logits.argmax(dim=1)
            accuracy = (predictions == torch.from_numpy(labels[3])).float().mean().item()
        return losses, logits, accuracy, model
    side_by_side(script)


# --- Knowledge distillation with temperature-softened logits -----------------------

def test_knowledge_distillation_with_kl_div_of_softened_logits():
    inputs = DATA.normal(size=(4, 6, 5))
    targets = DATA.integers(0, 4, size=(4, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        teacher = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 4))
        student = nn.Sequential(nn.Linear(5, 4))
        copy_weights(teacher, student)
        teacher.eval()
        T, alpha = 3.0, 0.7
        kl_loss = nn.KLDivLoss(reduction="batchmean")
        kl_log_target = nn.KLDivLoss(reduction="batchmean", log_target=True)
        optimizer = torch.optim.SGD(student.parameters(), lr=0.2, momentum=0.8)
        losses, soft_losses = [], []
        for i in range(4):
            x, y = torch.from_numpy(inputs[i]), torch.from_numpy(targets[i])
            with torch.no_grad():
                teacher_logits = teacher(x)
            student_logits = student(x)
            soft_targets = F.softmax(teacher_logits / T, dim=-1)
            soft_prob = F.log_softmax(student_logits / T, dim=-1)
            soft_loss = kl_loss(soft_prob, soft_targets) * T ** 2
            same = kl_log_target(soft_prob, F.log_softmax(teacher_logits / T, dim=-1)) * T ** 2
            assert torch.allclose(soft_loss, same)
            manual = torch.sum(soft_targets * (soft_targets.log() - soft_prob)) \
                / soft_prob.size()[0] * (T ** 2)
            loss = alpha * soft_loss + (1 - alpha) * F.cross_entropy(student_logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            soft_losses.append((soft_loss.item(), manual.item()))
        assert all(p.grad is None for p in teacher.parameters())
        return losses, soft_losses, student, teacher
    side_by_side(script)


# --- mixup -----------------------------------------------------------------------

def test_mixup_with_a_permuted_batch_and_mixed_targets():
    inputs = DATA.normal(size=(4, 6, 5))
    targets = DATA.integers(0, 3, size=(4, 6))
    lams = DATA.beta(0.4, 0.4, size=4)
    permutations = np.stack([DATA.permutation(6) for _ in range(4)])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Linear(5, 8), nn.ELU(), nn.Linear(8, 3))
        copy_weights(model)
        criterion = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=5e-4)

        def mixup_data(x, y, lam, index):
            mixed_x = lam * x + (1 - lam) * x[index, :]
            return mixed_x, y, y[index], lam

        def mixup_criterion(pred, y_a, y_b, lam):
            return lam * criterion(pred, y_a) + (1 - lam) * criterion(pred, y_b)

        losses, soft_losses, corrects = [], [], []
        for i in range(4):
            x, y = torch.from_numpy(inputs[i]), torch.from_numpy(targets[i])
            index = torch.from_numpy(permutations[i])
            mixed_x, y_a, y_b, lam = mixup_data(x, y, float(lams[i]), index)
            outputs = model(mixed_x)
            loss = mixup_criterion(outputs, y_a, y_b, lam)
            # the same loss with mixed one-hot targets (cross_entropy takes probabilities)
            one_hot = F.one_hot(y, num_classes=3).to(x.dtype)
            soft = F.cross_entropy(outputs, lam * one_hot + (1 - lam) * one_hot[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            _, predicted = torch.max(outputs.detach(), dim=1)
            corrects.append((lam * predicted.eq(y_a).cpu().sum().float()
                             + (1 - lam) * predicted.eq(y_b).cpu().sum().float()).item())
            losses.append(loss.item())
            soft_losses.append(soft.item())
        np.testing.assert_allclose(losses, soft_losses, rtol=1e-12)
        return losses, corrects, model
    side_by_side(script)


# --- Focal losses: multi-class and sigmoid -----------------------------------------

def test_focal_losses_multiclass_and_sigmoid():
    inputs = DATA.normal(size=(3, 8, 4))
    targets = DATA.integers(0, 3, size=(3, 8))
    binary = (DATA.uniform(size=(3, 8, 2)) < 0.3).astype(np.float64)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class FocalLoss(nn.Module):
            def __init__(self, alpha, gamma=2.0, reduction="mean"):
                super().__init__()
                self.register_buffer("alpha", alpha)
                self.gamma, self.reduction = gamma, reduction

            def forward(self, inputs, targets):
                ce_loss = F.cross_entropy(inputs, targets, reduction="none")
                pt = torch.exp(-ce_loss)
                focal = self.alpha[targets] * (1 - pt) ** self.gamma * ce_loss
                return focal.mean() if self.reduction == "mean" else focal.sum()

        def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0):
            p = torch.sigmoid(inputs)
            ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
            p_t = p * targets + (1 - p) * (1 - targets)
            loss = ce_loss * ((1 - p_t) ** gamma)
            alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
            return (alpha_t * loss).sum() / max(1.0, targets.sum().item())

        class TwoHeads(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Linear(4, 8), nn.SELU())
                self.classes, self.flags = nn.Linear(8, 3), nn.Linear(8, 2)

            def forward(self, x):
                h = self.body(x)
                return self.classes(h), self.flags(h)

        model = TwoHeads()
        copy_weights(model)
        focal = FocalLoss(alpha=torch.tensor([0.25, 0.5, 0.25]), gamma=2.0)
        assert "alpha" in model.state_dict() or "alpha" in focal.state_dict()
        optimizer = torch.optim.Adam(model.parameters(), lr=0.02, betas=(0.8, 0.99))
        losses = []
        for i in range(3):
            class_logits, flag_logits = model(torch.from_numpy(inputs[i]))
            multiclass = focal(class_logits, torch.from_numpy(targets[i]))
            sigmoid = sigmoid_focal_loss(flag_logits, torch.from_numpy(binary[i]))
            loss = multiclass + sigmoid
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append((multiclass.item(), sigmoid.item()))
        return losses, model
    side_by_side(script)


# --- SimCLR's NT-Xent loss ---------------------------------------------------------

def test_simclr_nt_xent_loss_with_normalize_mm_and_a_masked_diagonal():
    views = DATA.normal(size=(3, 2, 5, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        encoder = nn.Sequential(nn.Linear(6, 8, bias=False), nn.BatchNorm1d(8), nn.ReLU())
        projection = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 4))
        copy_weights(encoder, projection)
        optimizer = torch.optim.Adam(list(encoder.parameters()) + list(projection.parameters()),
                                     lr=1e-2)
        temperature, losses, top1s = 0.5, [], []

        def info_nce_loss(features):
            batch = features.shape[0] // 2
            labels = torch.cat([torch.arange(batch) for _ in range(2)], dim=0)
            labels = (labels.unsqueeze(0) == labels.unsqueeze(1)).float()
            features = F.normalize(features, dim=1)
            similarity = torch.matmul(features, features.T)
            mask = torch.eye(labels.shape[0], dtype=torch.bool)
            labels = labels[~mask].view(labels.shape[0], -1)
            similarity = similarity[~mask].view(similarity.shape[0], -1)
            positives = similarity[labels.bool()].view(labels.shape[0], -1)
            negatives = similarity[~labels.bool()].view(similarity.shape[0], -1)
            logits = torch.cat([positives, negatives], dim=1) / temperature
            return logits, torch.zeros(logits.shape[0], dtype=torch.long)

        def nt_xent(z_i, z_j):
            z = F.normalize(torch.cat([z_i, z_j], dim=0), dim=1)
            n = z_i.shape[0]
            sim = torch.mm(z, z.t()) / temperature
            sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
            targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
            return F.cross_entropy(sim, targets)

        for i in range(3):
            x = torch.cat([torch.from_numpy(views[i, 0]), torch.from_numpy(views[i, 1])])
            features = projection(encoder(x))
            logits, labels = info_nce_loss(features)
            loss = F.cross_entropy(logits, labels)
            same = nt_xent(features[:5], features[5:])
            assert abs(loss.item() - same.item()) < 1e-12
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            top1s.append((logits.argmax(dim=1) == labels).float().mean().item())
        return losses, top1s, encoder, projection
    side_by_side(script)


# --- A hand-written label smoothing loss, beside the built-in one -------------------

def test_hand_written_label_smoothing_loss_with_scatter_beside_the_built_in():
    inputs = DATA.normal(size=(3, 7, 4))
    targets = DATA.integers(0, 5, size=(3, 7))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class LabelSmoothingLoss(nn.Module):
            def __init__(self, classes, smoothing=0.0, dim=-1):
                super().__init__()
                self.confidence = 1.0 - smoothing
                self.smoothing, self.cls, self.dim = smoothing, classes, dim

            def forward(self, pred, target):
                pred = pred.log_softmax(dim=self.dim)
                with torch.no_grad():
                    true_dist = torch.zeros_like(pred)
                    true_dist.fill_(self.smoothing / (self.cls - 1))
                    true_dist.scatter_(1, target.unsqueeze(1), self.confidence)
                return torch.mean(torch.sum(-true_dist * pred, dim=self.dim))

        class LinearSmoothing(nn.Module):       # PyTorch's convention: eps spread over C
            def __init__(self, epsilon=0.1):
                super().__init__()
                self.epsilon = epsilon

            def forward(self, preds, target):
                n = preds.size()[-1]
                log_preds = F.log_softmax(preds, dim=-1)
                loss = -log_preds.sum(dim=-1).mean()
                nll = F.nll_loss(log_preds, target)
                return self.epsilon * (loss / n) + (1 - self.epsilon) * nll

        model = nn.Sequential(nn.Linear(4, 6), nn.Softsign(), nn.Linear(6, 5))
        copy_weights(model)
        smoothing = LabelSmoothingLoss(5, smoothing=0.1)
        linear = LinearSmoothing(0.1)
        builtin = nn.CrossEntropyLoss(label_smoothing=0.1)
        optimizer = torch.optim.NAdam(model.parameters(), lr=0.02)
        losses = []
        for i in range(3):
            logits = model(torch.from_numpy(inputs[i]))
            target = torch.from_numpy(targets[i])
            loss = smoothing(logits, target)
            assert abs(linear(logits, target).item() - builtin(logits, target).item()) < 1e-12
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append((loss.item(), builtin(logits, target).item()))
        return losses, model
    side_by_side(script)


# --- A masked loss over missing targets with torch.where ---------------------------

def test_masked_regression_loss_over_nan_targets_with_where():
    inputs = DATA.normal(size=(3, 6, 4))
    targets = DATA.normal(size=(3, 6, 3))
    targets[DATA.uniform(size=targets.shape) < 0.3] = np.nan

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3))
        copy_weights(model)
        optimizer = torch.optim.RMSprop(model.parameters(), lr=0.01, alpha=0.9, centered=True)

        def masked_mse(pred, target):
            mask = ~torch.isnan(target)
            diff = torch.where(mask, pred - target, torch.zeros_like(pred))
            return diff.pow(2).sum() / mask.sum()

        losses, others = [], []
        for i in range(3):
            pred = model(torch.from_numpy(inputs[i]))
            target = torch.from_numpy(targets[i])
            loss = masked_mse(pred, target)
            mask = ~target.isnan()
            selected = torch.masked_select(pred, mask)
            by_select = nn.functional.mse_loss(selected, target[mask])
            by_nan_to_num = ((pred - target.nan_to_num()) ** 2 * mask).sum() / mask.sum()
            by_nanmean = ((pred - target) ** 2).nanmean()
            optimizer.zero_grad()
            loss.backward()
            assert all(torch.isfinite(p.grad).all() for p in model.parameters())
            optimizer.step()
            losses.append(loss.item())
            others.append([by_select.item(), by_nan_to_num.item(), by_nanmean.item()])
        return losses, others, model
    side_by_side(script)


# --- Huber regression with outliers ------------------------------------------------

def test_huber_regression_with_smooth_l1_and_huber_losses_and_exponential_lr():
    inputs = DATA.normal(size=(5, 8, 3))
    true_w = np.array([[1.5], [-2.0], [0.5]])
    targets = inputs @ true_w + 0.1 * DATA.normal(size=(5, 8, 1))
    targets[:, ::4] += 20.0                      # outliers

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Linear(3, 1)
        copy_weights(model)
        smooth_l1 = nn.SmoothL1Loss(beta=0.5)
        huber = nn.HuberLoss(delta=2.0, reduction="sum")
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
        scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.8)
        losses, lrs = [], []
        for i in range(5):
            pred = model(torch.from_numpy(inputs[i]))
            target = torch.from_numpy(targets[i])
            loss = smooth_l1(pred, target) + 0.01 * huber(pred, target)
            per_item = nn.functional.huber_loss(pred, target, reduction="none", delta=2.0)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append((loss.item(), per_item.max().item()))
            lrs.append(scheduler.get_last_lr()[0])
        return losses, lrs, model
    side_by_side(script)
