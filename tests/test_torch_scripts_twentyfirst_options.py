"""The twenty-first round's scripts that lean on less common options of common layers
and losses (see test_torch_scripts_twentyfirst.py for how they run): an
``nn.Embedding(max_norm=)`` that renormalises looked-up rows in place, pooling with
``count_include_pad=False``, ``ceil_mode=True`` and ``divisor_override``, convolutions
with ``padding_mode='replicate'``, stride and dilation, a sequence tagger's
``F.cross_entropy`` over ``(N, C, L)`` logits with class ``weight``, ``ignore_index``
and ``label_smoothing`` together (and ``F.nll_loss(weight=)`` beside it), cross-entropy
with probability targets, smoothing and weights, resizing by ``F.interpolate`` in
``'area'``, ``'nearest-exact'``, ``'bicubic'`` (``align_corners=True``) and
``antialias=True`` modes, an upsampling decoder with ``nn.ReplicationPad2d`` and
``nn.ReflectionPad1d``, ``F.embedding_bag`` with ``mode='max'`` and
``per_sample_weights``, and a multi-label classifier by
``BCEWithLogitsLoss(pos_weight=, weight=)``."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import adam_steps, side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2421)


def test_embedding_with_max_norm_renormalises_looked_up_rows_in_place():
    ids = np.array([[0, 2, 5], [5, 1, 2]])
    targets = DATA.normal(size=(2, 3, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        embedding = nn.Embedding(8, 4, max_norm=1.0)
        with torch.no_grad():
            embedding.weight.mul_(3.0)
        copy_weights(embedding)
        x, y = torch.from_numpy(ids), torch.from_numpy(targets)
        losses = adam_steps(torch, embedding, lambda: F.mse_loss(embedding(x), y),
                            steps=3, lr=0.1)
        return losses, embedding, embedding.weight.norm(dim=1)
    side_by_side(script)


def test_pooling_with_count_include_pad_ceil_mode_and_divisor_override():
    images = DATA.normal(size=(2, 2, 7, 7))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(
            nn.Conv2d(2, 3, 3, padding=1),
            nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
            nn.ReLU(),
            nn.MaxPool2d(2, ceil_mode=True),
            nn.Flatten(), nn.Linear(3 * 2 * 2, 2))
        copy_weights(model)
        x = torch.from_numpy(images)
        losses = adam_steps(torch, model, lambda: model(x).pow(2).mean(), steps=3, lr=0.01)
        summed = F.avg_pool2d(x, 2, divisor_override=1)
        padded = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=True)
        return losses, model, summed, padded
    side_by_side(script)


def test_convolutions_with_replicate_padding_stride_and_dilation():
    images = DATA.normal(size=(2, 1, 9, 9))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=2, dilation=2, padding_mode="replicate"), nn.GELU(),
            nn.Conv2d(4, 4, 3, stride=2, padding=1, padding_mode="replicate"), nn.GELU(),
            nn.Conv2d(4, 1, 1))
        copy_weights(model)
        x = torch.from_numpy(images)
        losses = adam_steps(torch, model, lambda: F.l1_loss(model(x), x[:, :, ::2, ::2]),
                            steps=3, lr=0.01)
        return losses, model
    side_by_side(script)


def test_sequence_tagger_cross_entropy_with_weight_ignore_index_and_smoothing():
    tokens = DATA.normal(size=(3, 6, 5))
    tags = DATA.integers(0, 4, size=(3, 6))
    tags[0, 4:] = -100
    tags[2, 5] = -100
    class_weights = np.array([0.5, 1.0, 2.0, 1.5])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        encoder = nn.GRU(5, 8, batch_first=True, bidirectional=True)
        tagger = nn.Linear(16, 4)
        copy_weights(encoder, tagger)
        params = list(encoder.parameters()) + list(tagger.parameters())
        optimizer = torch.optim.Adam(params, lr=0.01)
        x, y = torch.from_numpy(tokens), torch.from_numpy(tags)
        weight = torch.from_numpy(class_weights)
        criterion = nn.CrossEntropyLoss(weight=weight, ignore_index=-100, label_smoothing=0.1)
        history = []
        for _ in range(3):
            hidden, _ = encoder(x)
            logits = tagger(hidden)                              # (N, L, C)
            loss = criterion(logits.permute(0, 2, 1), y)         # (N, C, L)
            nll = F.nll_loss(F.log_softmax(logits, -1).reshape(-1, 4), y.reshape(-1),
                             weight=weight, ignore_index=-100)
            summed = F.cross_entropy(logits.reshape(-1, 4), y.reshape(-1), weight=weight,
                                     label_smoothing=0.2, reduction="sum")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), nll.item(), summed.item()))
        return history, encoder, tagger
    side_by_side(script)


def test_cross_entropy_with_probability_targets_smoothing_and_weights():
    inputs = DATA.normal(size=(6, 4))
    soft = DATA.dirichlet(np.ones(3), size=6)

    def script(torch, copy_weights):
        F = torch.nn.functional
        model = torch.nn.Linear(4, 3)
        copy_weights(model)
        x, p = torch.from_numpy(inputs), torch.from_numpy(soft)
        weight = torch.tensor([1.0, 2.0, 0.5])
        losses = adam_steps(
            torch, model,
            lambda: F.cross_entropy(model(x), p, weight=weight, label_smoothing=0.1),
            steps=3, lr=0.05)
        per_sample = F.cross_entropy(model(x), p, reduction="none", label_smoothing=0.2)
        return losses, model, per_sample.detach()
    side_by_side(script)


def test_resizing_by_interpolate_in_area_nearest_exact_bicubic_and_antialias_modes():
    images = DATA.normal(size=(1, 2, 9, 9))

    def script(torch, copy_weights):
        F = torch.nn.functional
        x = torch.tensor(images, requires_grad=True)
        area = F.interpolate(x, size=(4, 5), mode="area")
        nearest = F.interpolate(x, scale_factor=0.5, mode="nearest-exact")
        bicubic = F.interpolate(x, size=(12, 12), mode="bicubic", align_corners=True)
        smooth = F.interpolate(x, size=(4, 4), mode="bilinear", antialias=True,
                               align_corners=False)
        loss = area.pow(2).sum() + nearest.sum() + bicubic.sin().sum() + smooth.pow(3).sum()
        loss.backward()
        return area, nearest, bicubic, smooth, x.grad
    side_by_side(script)


def test_upsampling_decoder_with_replication_and_reflection_padding():
    codes = DATA.normal(size=(2, 3, 4, 4))
    signal = DATA.normal(size=(2, 2, 10))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        decoder = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"), nn.ReplicationPad2d(1),
            nn.Conv2d(3, 4, 3), nn.ReLU(),
            nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
            nn.ReplicationPad2d((1, 1, 1, 1)), nn.Conv2d(4, 1, 3))
        smoother = nn.Sequential(nn.ReflectionPad1d(2), nn.Conv1d(2, 2, 5))
        copy_weights(decoder, smoother)
        z, s = torch.from_numpy(codes), torch.from_numpy(signal)
        losses = adam_steps(torch, decoder, lambda: decoder(z).pow(2).mean(), steps=2,
                            lr=0.01)
        smooth_losses = adam_steps(torch, smoother, lambda: F.mse_loss(smoother(s), s),
                                   steps=2, lr=0.01)
        return losses, smooth_losses, decoder, smoother
    side_by_side(script)


def test_embedding_bag_with_max_mode_and_per_sample_weights():
    flat_ids = np.array([1, 3, 4, 0, 2, 2, 7, 5])
    offsets = np.array([0, 3, 5])
    sample_weights = DATA.uniform(0.5, 1.5, size=8)
    targets = DATA.normal(size=(3, 4))

    def script(torch, copy_weights):
        F = torch.nn.functional
        table = torch.nn.Parameter(torch.from_numpy(DATA_TABLE.copy()))
        optimizer = torch.optim.SGD([table], lr=0.1)
        ids, offs = torch.from_numpy(flat_ids), torch.from_numpy(offsets)
        w, y = torch.from_numpy(sample_weights), torch.from_numpy(targets)
        history = []
        for _ in range(3):
            pooled_max = F.embedding_bag(ids, table, offs, mode="max")
            pooled_sum = F.embedding_bag(ids, table, offs, mode="sum", per_sample_weights=w,
                                         padding_idx=0)
            loss = F.mse_loss(pooled_max + pooled_sum, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), pooled_max.detach(), pooled_sum.detach()))
        return history, table
    side_by_side(script)


DATA_TABLE = DATA.normal(size=(8, 4))


def test_multi_label_classifier_by_bce_with_pos_weight_and_weight():
    inputs = DATA.normal(size=(10, 5))
    labels = (DATA.uniform(size=(10, 3)) < np.array([0.1, 0.5, 0.3])).astype(np.float64)

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
        copy_weights(model)
        y = torch.from_numpy(labels)
        positives = y.sum(dim=0)
        pos_weight = (len(y) - positives) / positives.clamp(min=1)
        criterion = nn.BCEWithLogitsLoss(pos_weight=pos_weight,
                                         weight=torch.tensor([1.0, 0.5, 2.0]))
        x = torch.from_numpy(inputs)
        losses = adam_steps(torch, model, lambda: criterion(model(x), y), steps=3, lr=0.01)
        probabilities = torch.sigmoid(model(x)).detach()
        return losses, model, pos_weight, (probabilities > 0.5).to(torch.int64)
    side_by_side(script)
