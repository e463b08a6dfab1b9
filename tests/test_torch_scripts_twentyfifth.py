"""A twenty-fifth round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; values must agree (float64 to 1e-10).  Here, image and layer
shapes: a super-resolution head of ``Bilinear`` features, ``PixelShuffle`` and
``Upsample`` in its modes; patches through ``Unfold``/``Fold``; transposed convolutions
with ``output_padding``, groups and dilation beside ``padding='same'`` with reflect and
circular padding; adaptive pools of sizes that do not divide; normalisation layers
with cumulative running statistics; ``EmbeddingBag`` with per-sample weights; padding,
pooling and normalisation modules (circular, reflect, replicate, constant pads,
``Softmax2d``, ``RMSNorm``, ``InstanceNorm3d``, ``GLU`` ...) in one network.
(Losses, optimizers and schedules: _training.py; tensor idioms: _idioms.py.)
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2525)


def _grads(module):
    return [p.grad.norm() for p in module.parameters()]   # (layouts may differ)


def test_super_resolution_head_with_bilinear_features_and_pixel_shuffle():
    images = DATA.normal(size=(2, 3, 4, 4))
    codes = DATA.normal(size=(2, 5))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        conv = nn.Conv2d(3, 8, 3, padding=1)
        mix = nn.Bilinear(5, 5, 3)
        model = nn.ModuleList([conv, mix])
        copy_weights(model)
        x = torch.tensor(images, requires_grad=True)
        c = torch.tensor(codes, requires_grad=True)
        y = nn.PixelShuffle(2)(conv(x))                  # (2, 2, 8, 8)
        back = nn.PixelUnshuffle(2)(y)
        scale = mix(c, c).reshape(2, 3, 1, 1)
        up = [F.interpolate(y, scale_factor=1.5, mode="bilinear", align_corners=False),
              F.interpolate(y, size=(5, 7), mode="bilinear", align_corners=True),
              F.interpolate(y, scale_factor=0.5, mode="nearest"),
              F.interpolate(y, size=(9, 9), mode="nearest-exact"),
              F.interpolate(y, size=(6, 10), mode="bicubic", align_corners=False),
              nn.Upsample(scale_factor=2, mode="nearest")(y),
              F.interpolate(x, scale_factor=2, mode="area")]
        loss = sum(u.square().mean() for u in up) + (x * scale).sum() + back.sum()
        loss.backward()
        return up, back, loss, x.grad, c.grad, _grads(model)
    side_by_side(script)


def test_patch_mixer_through_unfold_and_fold():
    images = DATA.normal(size=(2, 3, 6, 5))

    def script(torch, copy_weights):
        nn = torch.nn
        unfold = nn.Unfold(kernel_size=(2, 3), dilation=(1, 1), padding=1, stride=(2, 1))
        fold = nn.Fold(output_size=(6, 5), kernel_size=(2, 3), padding=1, stride=(2, 1))
        mixer = nn.Linear(18, 18)
        copy_weights(mixer)
        x = torch.tensor(images, requires_grad=True)
        patches = unfold(x)                               # (2, 18, L)
        mixed = mixer(patches.transpose(1, 2)).transpose(1, 2)
        out = fold(mixed)
        counts = fold(unfold(torch.ones_like(x)))
        loss = (out / counts).pow(2).sum()
        loss.backward()
        return patches, out, counts, loss, x.grad, _grads(mixer)
    side_by_side(script)


def test_transposed_grouped_and_dilated_convolutions():
    images = DATA.normal(size=(2, 4, 5, 6))
    signal = DATA.normal(size=(3, 2, 11))

    def script(torch, copy_weights):
        nn = torch.nn
        up = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2,
                                dilation=1)
        up2 = nn.ConvTranspose2d(6, 2, (2, 3), stride=(3, 2), output_padding=(2, 1),
                                 dilation=(2, 1), bias=False)
        grouped = nn.Conv2d(4, 8, 3, groups=4, dilation=2, padding=2)
        same = nn.Conv1d(2, 4, 4, padding="same", dilation=2, padding_mode="reflect")
        circular = nn.Conv1d(2, 2, 3, padding=2, padding_mode="circular", groups=2)
        model = nn.ModuleList([up, up2, grouped, same, circular])
        copy_weights(model)
        x = torch.tensor(images, requires_grad=True)
        s = torch.tensor(signal, requires_grad=True)
        a = up2(up(x))
        b = grouped(x)
        c = same(s)
        d = circular(s)
        sized = up(x, output_size=[10, 12])
        loss = a.square().sum() + b.tanh().sum() + c.pow(2).mean() + d.sum() + sized.sum()
        loss.backward()
        return a, b, c, d, sized, loss, x.grad, s.grad, _grads(model)
    side_by_side(script)


def test_adaptive_pools_of_sizes_that_do_not_divide():
    images = DATA.normal(size=(2, 3, 7, 5))
    volume = DATA.normal(size=(1, 2, 5, 4, 3))
    series = DATA.normal(size=(2, 3, 10))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        x = torch.tensor(images, requires_grad=True)
        v = torch.tensor(volume, requires_grad=True)
        s = torch.tensor(series, requires_grad=True)
        avg = nn.AdaptiveAvgPool2d((3, None))(x)
        peak, where = nn.AdaptiveMaxPool2d((4, 3), return_indices=True)(x)
        avg3 = F.adaptive_avg_pool3d(v, (2, 3, 2))
        max1 = F.adaptive_max_pool1d(s, 4)
        avg1 = nn.AdaptiveAvgPool1d(3)(s)
        unpooled = F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2,
                                  output_size=(7, 5))
        loss = (avg.sum() + peak.square().sum() + avg3.exp().sum() + max1.sum()
                + avg1.pow(3).sum() + unpooled.sum())
        loss.backward()
        return avg, peak, where, avg3, max1, avg1, unpooled, x.grad, v.grad, s.grad
    side_by_side(script)


def test_normalisation_layers_with_cumulative_statistics_and_no_tracking():
    batches = [DATA.normal(size=(4, 3, 2, 2)) for _ in range(3)]
    rows = DATA.normal(size=(5, 6))

    def script(torch, copy_weights):
        nn = torch.nn
        cumulative = nn.BatchNorm2d(3, momentum=None)
        untracked = nn.BatchNorm1d(6, track_running_stats=False, affine=False)
        group = nn.GroupNorm(3, 6, eps=1e-3)
        instance = nn.InstanceNorm2d(3, affine=True, track_running_stats=True)
        layer = nn.LayerNorm((6,), elementwise_affine=True, bias=False)
        model = nn.ModuleList([cumulative, untracked, group, instance, layer])
        copy_weights(model)
        outs = []
        for batch in batches:
            x = torch.tensor(batch, requires_grad=True)
            y = instance(cumulative(x))
            outs.append(y)
            y.square().sum().backward()
        r = torch.tensor(rows)
        z = layer(group(untracked(r).reshape(5, 6, 1)).reshape(5, 6))
        z.sum().backward()
        model.eval()
        evaluated = [cumulative(torch.tensor(batches[0])), instance(torch.tensor(batches[1])),
                     untracked(r)]
        return (outs, z, evaluated, cumulative.running_mean, cumulative.running_var,
                cumulative.num_batches_tracked, instance.running_var, _grads(model))
    side_by_side(script)


def test_embedding_bags_with_offsets_weights_and_padding():
    words = np.array([3, 1, 4, 1, 5, 0, 2, 6])
    offsets = np.array([0, 3, 3, 6])
    ends = np.array([0, 3, 3, 6, 8])
    weights = DATA.uniform(0.5, 1.5, size=8)
    rows = np.array([[1, 2, 0], [4, 4, 5]])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        summed = nn.EmbeddingBag(7, 4, mode="sum", padding_idx=0)
        averaged = nn.EmbeddingBag(7, 4, mode="mean", include_last_offset=True)
        largest = nn.EmbeddingBag(7, 4, mode="max", max_norm=1.0)
        model = nn.ModuleList([summed, averaged, largest])
        copy_weights(model)
        w = torch.tensor(weights, requires_grad=True)
        idx, off = torch.from_numpy(words), torch.from_numpy(offsets)
        a = summed(idx, off, per_sample_weights=w)
        b = averaged(idx, torch.from_numpy(ends))
        c = largest(torch.from_numpy(rows))
        d = F.embedding_bag(idx, summed.weight, off, mode="mean")
        loss = a.square().sum() + b.sum() + c.pow(2).sum() + d.sum()
        loss.backward()
        return a, b, c, d, w.grad, largest.weight, _grads(model)
    side_by_side(script)


def test_padding_pooling_and_normalisation_modules_in_one_network():
    images = DATA.normal(size=(2, 3, 4, 5))
    volume = DATA.normal(size=(1, 2, 3, 4, 5))
    series = DATA.normal(size=(2, 3, 6))

    def script(torch, copy_weights):
        nn = torch.nn
        image_path = nn.Sequential(
            nn.ZeroPad2d((1, 0, 2, 1)), nn.CircularPad2d((1, 2, 0, 1)), nn.Softmax2d(),
            nn.Hardshrink(0.1), nn.PReLU(3, init=0.1), nn.LocalResponseNorm(2, alpha=0.1,
                                                                           beta=0.5, k=2.0),
            nn.GroupNorm(1, 3), nn.LayerNorm([8, 9], eps=1e-3), nn.RMSNorm([9]),
            nn.UpsamplingBilinear2d(size=(5, 8)), nn.Flatten(1, 2))
        volume_path = nn.Sequential(nn.ReflectionPad3d(1), nn.InstanceNorm3d(2),
                                    nn.AvgPool3d(2, stride=1, padding=1,
                                                 count_include_pad=False),
                                    nn.MaxPool3d((1, 2, 2), ceil_mode=True), nn.SELU())
        series_path = nn.Sequential(nn.ConstantPad1d((2, 2), 3.5), nn.ReplicationPad1d(2),
                                    nn.GLU(-1), nn.Unflatten(2, (1, 7)), nn.Flatten(2),
                                    nn.Softsign(), nn.Threshold(0.2, -1.0))
        model = nn.ModuleList([image_path, volume_path, series_path])
        copy_weights(model)
        x, v, s = (torch.tensor(a, requires_grad=True) for a in (images, volume, series))
        outs = [image_path(x), volume_path(v), series_path(s)]
        sum((o * o).sum() for o in outs).backward()
        return outs, x.grad, v.grad, s.grad, [p.grad.norm() for p in model.parameters()]
    side_by_side(script)
