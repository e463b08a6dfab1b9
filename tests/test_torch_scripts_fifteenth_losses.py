"""Fifteenth-round PyTorch scripts (see test_torch_scripts_fifteenth.py for how they
run), losses and small models: a CLIP contrastive loss (``logit_scale.exp()``, symmetric
cross-entropy), Barlow Twins (``torch.diagonal`` and the ``flatten()[:-1].view(n - 1,
n + 1)[:, 1:]`` off-diagonal) and VICReg losses, knowledge distillation by
``KLDivLoss(reduction="batchmean")`` with a temperature, a focal loss, a soft Dice loss
over ``F.one_hot`` masks, CTC training with greedy decoding, a graph network passing
messages by ``index_add_``, a PointNet pooling by ``max(dim=)``, and an
``nn.TransformerEncoder(enable_nested_tensor=False)`` with ``src_key_padding_mask``."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(151515)


def test_clip_contrastive_loss_with_a_learned_logit_scale():
    images, texts = DATA.normal(size=(6, 5)), DATA.normal(size=(6, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class CLIP(nn.Module):
            def __init__(self):
                super().__init__()
                self.image_proj = nn.Linear(5, 3, bias=False)
                self.text_proj = nn.Linear(4, 3, bias=False)
                self.logit_scale = nn.Parameter(torch.ones([]) * np.log(1 / 0.07))

            def forward(self, image, text):
                image_features = F.normalize(self.image_proj(image), dim=-1)
                text_features = F.normalize(self.text_proj(text), dim=-1)
                logits_per_image = self.logit_scale.exp() * image_features @ text_features.t()
                return logits_per_image, logits_per_image.t()

        model = CLIP()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        image, text = torch.from_numpy(images), torch.from_numpy(texts)
        labels = torch.arange(len(image))
        losses = []
        for _ in range(3):
            logits_i, logits_t = model(image, text)
            loss = (F.cross_entropy(logits_i, labels) + F.cross_entropy(logits_t, labels)) / 2
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0, np.log(100))
            losses.append(loss.item())
        return losses, model.logit_scale.grad, model
    side_by_side(script)


def test_barlow_twins_and_vicreg_losses_on_two_views():
    view_a, view_b = DATA.normal(size=(8, 4)), DATA.normal(size=(8, 4))

    def script(torch, copy_weights):
        def off_diagonal(x):
            n, m = x.shape
            assert n == m
            return x.flatten()[:-1].view(n - 1, n + 1)[:, 1:].flatten()

        za = torch.tensor(view_a, requires_grad=True)
        zb = torch.tensor(view_b, requires_grad=True)
        n = za.shape[0]
        bn_a = (za - za.mean(0)) / za.std(0, unbiased=False)
        bn_b = (zb - zb.mean(0)) / zb.std(0, unbiased=False)
        c = bn_a.T @ bn_b / n
        on_diag = torch.diagonal(c).add(-1).pow(2).sum()   # add_ through a view: _gaps.py
        off_diag = off_diagonal(c).pow(2).sum()
        barlow = on_diag + 5e-3 * off_diag

        repr_loss = torch.nn.functional.mse_loss(za, zb)
        xa, xb = za - za.mean(dim=0), zb - zb.mean(dim=0)
        # VICReg writes var(dim=0): here NumPy's n divisor, with a warning (_gaps.py)
        std_a = torch.sqrt(xa.var(dim=0, correction=1) + 0.0001)
        std_b = torch.sqrt(xb.var(dim=0, correction=1) + 0.0001)
        std_loss = (torch.mean(torch.nn.functional.relu(1 - std_a)) / 2
                    + torch.mean(torch.nn.functional.relu(1 - std_b)) / 2)
        cov_a, cov_b = (xa.T @ xa) / (n - 1), (xb.T @ xb) / (n - 1)
        cov_loss = off_diagonal(cov_a).pow(2).sum() / 4 + off_diagonal(cov_b).pow(2).sum() / 4
        vicreg = 25 * repr_loss + 25 * std_loss + cov_loss
        (barlow + vicreg).backward()
        return barlow, vicreg, off_diagonal(c), za.grad, zb.grad
    side_by_side(script)


def test_knowledge_distillation_with_kldivloss_batchmean_and_temperature():
    inputs, labels = DATA.normal(size=(10, 5)), DATA.integers(0, 3, size=10)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        teacher = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 3))
        student = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3))
        copy_weights(teacher, student)
        teacher.eval()
        kl = nn.KLDivLoss(reduction="batchmean")
        optimizer = torch.optim.SGD(student.parameters(), lr=0.1)
        x, y = torch.from_numpy(inputs), torch.from_numpy(labels)
        T, alpha, losses = 4.0, 0.7, []
        for _ in range(4):
            with torch.no_grad():
                teacher_logits = teacher(x)
            student_logits = student(x)
            soft = kl(F.log_softmax(student_logits / T, dim=1),
                      F.softmax(teacher_logits / T, dim=1)) * T * T
            loss = alpha * soft + (1 - alpha) * F.cross_entropy(student_logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        log_target = F.kl_div(F.log_softmax(student_logits, 1), F.log_softmax(teacher_logits, 1),
                              reduction="batchmean", log_target=True)
        return losses, log_target, student
    side_by_side(script)


def test_focal_loss_and_soft_dice_loss_for_segmentation():
    logits_np = DATA.normal(size=(2, 3, 5, 4))
    masks_np = DATA.integers(0, 3, size=(2, 5, 4))
    binary_np = (DATA.random(size=(2, 1, 5, 4)) > 0.7).astype(float)

    def script(torch, copy_weights):
        F = torch.nn.functional
        logits = torch.tensor(logits_np, requires_grad=True)
        masks = torch.from_numpy(masks_np)

        def focal_loss(logit, target, alpha=0.25, gamma=2.0):
            p = torch.sigmoid(logit)
            ce = F.binary_cross_entropy_with_logits(logit, target, reduction="none")
            p_t = p * target + (1 - p) * (1 - target)
            alpha_t = alpha * target + (1 - alpha) * (1 - target)
            return (alpha_t * ce * ((1 - p_t) ** gamma)).mean()

        def multiclass_focal(logit, target, gamma=2.0):
            log_pt = F.log_softmax(logit, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
            return (-(1 - log_pt.exp()) ** gamma * log_pt).mean()

        def dice_loss(logit, target, eps=1e-6):
            probs = F.softmax(logit, dim=1)
            one_hot = F.one_hot(target, num_classes=logit.shape[1]).permute(0, 3, 1, 2).double()
            dims = (0, 2, 3)
            intersection = torch.sum(probs * one_hot, dims)
            cardinality = torch.sum(probs + one_hot, dims)
            return 1.0 - (2.0 * intersection / (cardinality + eps)).mean()

        binary = focal_loss(logits[:, :1], torch.from_numpy(binary_np))
        focal = multiclass_focal(logits, masks)
        dice = dice_loss(logits, masks)
        (binary + focal + dice).backward()
        return binary, focal, dice, logits.grad
    side_by_side(script)


def test_ctc_training_with_greedy_decoding():
    features = DATA.normal(size=(12, 2, 4))
    targets_np = np.array([[1, 2, 2, 3], [3, 1, 0, 0]])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 4))   # blank = 0
        copy_weights(model)
        ctc = nn.CTCLoss(blank=0, zero_infinity=True)
        optimizer = torch.optim.Adam(model.parameters(), lr=5e-2)
        x, targets = torch.from_numpy(features), torch.from_numpy(targets_np)
        input_lengths = torch.tensor([12, 10])
        target_lengths = torch.tensor([4, 2])
        losses = []
        for _ in range(5):
            log_probs = F.log_softmax(model(x), dim=2)
            loss = ctc(log_probs, targets, input_lengths, target_lengths)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        best = log_probs.argmax(dim=2).T
        decoded = []
        for b in range(best.shape[0]):
            path = torch.unique_consecutive(best[b, :input_lengths[b]])
            decoded.append([int(s) for s in path if s != 0])
        return losses, best, decoded
    side_by_side(script)


def test_graph_network_message_passing_by_index_add():
    node_features = DATA.normal(size=(6, 3))
    edges = np.array([[0, 1, 1, 2, 3, 4, 5, 5], [1, 0, 2, 1, 4, 3, 0, 3]])
    labels = np.array([0, 1, 0, 1, 1, 0])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class GCNLayer(nn.Module):
            def __init__(self, c_in, c_out):
                super().__init__()
                self.lin = nn.Linear(c_in, c_out)

            def forward(self, x, edge_index):
                src, dst = edge_index
                deg = torch.zeros(x.shape[0]).index_add_(0, dst, torch.ones(dst.shape[0])) + 1
                norm = deg.pow(-0.5)
                h = self.lin(x)
                messages = h[src] * (norm[src] * norm[dst]).unsqueeze(-1)
                out = torch.zeros_like(h).index_add_(0, dst, messages)
                return out + h / deg.unsqueeze(-1)

        class GCN(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1, self.conv2 = GCNLayer(3, 8), GCNLayer(8, 2)

            def forward(self, x, edge_index):
                return self.conv2(F.relu(self.conv1(x, edge_index)), edge_index)

        model = GCN()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05, weight_decay=5e-4)
        x, edge_index = torch.from_numpy(node_features), torch.from_numpy(edges)
        y, train_mask = torch.from_numpy(labels), torch.tensor([1, 1, 1, 0, 1, 0]).bool()
        losses = []
        for _ in range(5):
            out = model(x, edge_index)
            loss = F.cross_entropy(out[train_mask], y[train_mask])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        accuracy = (out.argmax(1)[~train_mask] == y[~train_mask]).double().mean()
        return losses, out, accuracy, model
    side_by_side(script)


def test_pointnet_classifier_pooling_by_max_over_points():
    clouds, labels = DATA.normal(size=(4, 3, 10)), DATA.integers(0, 2, size=4)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class PointNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv1d(3, 8, 1)
                self.conv2 = nn.Conv1d(8, 16, 1)
                self.bn1, self.bn2 = nn.BatchNorm1d(8), nn.BatchNorm1d(16)
                self.fc = nn.Linear(16, 2)

            def forward(self, x):
                x = F.relu(self.bn1(self.conv1(x)))
                x = F.relu(self.bn2(self.conv2(x)))
                x, critical = torch.max(x, 2, keepdim=True)
                return self.fc(x.view(-1, 16)), critical.squeeze(-1)

        model = PointNet()
        copy_weights(model)
        # not Adam: batch norm cancels the conv biases' gradients to rounding noise,
        # which Adam's normalisation would blow up to steps of size lr
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        x, y = torch.from_numpy(clouds), torch.from_numpy(labels)
        losses = []
        for _ in range(3):
            logits, critical = model(x)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        permuted = x[:, :, torch.from_numpy(np.random.default_rng(0).permutation(10))]
        model.eval()
        with torch.no_grad():
            invariant = model(x)[0] - model(permuted)[0]
        return losses, critical, invariant.abs().max(), model
    side_by_side(script)


def test_transformer_encoder_without_nested_tensors_and_a_padding_mask():
    tokens = DATA.integers(1, 10, size=(3, 6))
    tokens[1, 4:] = 0
    tokens[2, 2:] = 0

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class Classifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(10, 8, padding_idx=0)
                layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0,
                                                   batch_first=True)
                self.encoder = nn.TransformerEncoder(layer, num_layers=2,
                                                     enable_nested_tensor=False)
                self.head = nn.Linear(8, 2)

            def forward(self, src):
                pad = src == 0
                h = self.encoder(self.embed(src), src_key_padding_mask=pad)
                keep = (~pad).unsqueeze(-1).double()
                return self.head((h * keep).sum(1) / keep.sum(1))

        model = Classifier()
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        src, y = torch.from_numpy(tokens), torch.tensor([0, 1, 1])
        losses = []
        for _ in range(3):
            loss = F.cross_entropy(model(src), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model
    side_by_side(script)
