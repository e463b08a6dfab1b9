"""The eleventh round of PyTorch scripts, layers and losses (see
test_torch_scripts_eleventh.py for the method): a SegNet-style encoder-decoder that
unpools with ``MaxPool2d(return_indices=True)`` / ``MaxUnpool2d``, a decoder from a code
by ``nn.Unflatten`` and ``ConvTranspose2d(output_padding=)`` with ``PixelUnshuffle`` /
``ChannelShuffle``, an AlexNet-style stem with ``LocalResponseNorm``, ``LPPool2d`` and
``AdaptiveMaxPool2d``, the padding modes (``circular``, ``replicate``, ``reflect`` of
1-, 2- and 3-D maps, ``ZeroPad2d``, ``CircularPad1d``), ``F.interpolate``'s modes and
``grid_sample``'s padding modes, a ``LazyLinear`` head, a zoo of the rarer losses
(``HingeEmbeddingLoss``, ``TripletMarginWithDistanceLoss`` with a user's distance,
``MultiLabelSoftMarginLoss``, ``KLDivLoss(log_target=True)``, ``CTCLoss`` with
``zero_infinity``) and ``fuse_conv_bn_eval``."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import adam_steps, side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(112)


# Adam steps on a loss closure: the losses
_train = partial(adam_steps, steps=4, lr=0.05)


def test_segnet_encoder_decoder_unpooling_by_the_pooling_indices():
    image_values = DATA.normal(size=(2, 3, 8, 8))
    mask_values = DATA.integers(0, 4, size=(2, 8, 8))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class SegNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.enc1 = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6),
                                          nn.ReLU())
                self.enc2 = nn.Sequential(nn.Conv2d(6, 8, 3, padding=1), nn.ReLU())
                self.pool = nn.MaxPool2d(2, stride=2, return_indices=True)
                self.unpool = nn.MaxUnpool2d(2, stride=2)
                self.dec2 = nn.Sequential(nn.Conv2d(8, 6, 3, padding=1), nn.ReLU())
                self.dec1 = nn.Conv2d(6, 4, 3, padding=1)

            def forward(self, x):
                x = self.enc1(x)
                size1 = x.size()
                x, idx1 = self.pool(x)
                x = self.enc2(x)
                size2 = x.size()
                x, idx2 = self.pool(x)
                x = self.unpool(x, idx2, output_size=size2)
                x = self.dec2(x)
                x = self.unpool(x, idx1, output_size=size1)
                return self.dec1(x)

        model = SegNet()
        copy_weights(model)
        images, masks = torch.from_numpy(image_values), torch.from_numpy(mask_values)
        losses = _train(torch, model, lambda: F.cross_entropy(model(images), masks))
        pooled, indices = F.max_pool2d(images, 2, return_indices=True)
        restored = F.max_unpool2d(pooled, indices, 2)
        return losses, model, indices, restored
    side_by_side(script)


def test_decoder_by_unflatten_and_conv_transpose_with_output_padding():
    code_values = DATA.normal(size=(3, 6))
    target_values = DATA.normal(size=(3, 2, 7, 7))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        decoder = nn.Sequential(
            nn.Linear(6, 4 * 4 * 4), nn.ReLU(),
            nn.Unflatten(1, (4, 4, 4)),
            nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1, output_padding=1),  # 4 -> 8
            nn.ChannelShuffle(2), nn.GELU(),
            nn.Conv2d(4, 2, 2))                                                   # 8 -> 7
        encoder = nn.Sequential(nn.PixelUnshuffle(7), nn.Flatten(), nn.Linear(2 * 49, 6))
        copy_weights(decoder, encoder)
        code, target = torch.from_numpy(code_values), torch.from_numpy(target_values)
        parameters = nn.ModuleList([decoder, encoder])

        def loss_of():
            reconstruction = decoder(code)
            return F.mse_loss(reconstruction, target) + \
                F.mse_loss(encoder(reconstruction), code)

        losses = _train(torch, parameters, loss_of)
        up = nn.ConvTranspose2d(2, 3, 3, stride=2, dilation=2)
        copy_weights(up)
        shaped = up(target, output_size=[18, 18])
        return losses, decoder, encoder, shaped, up
    side_by_side(script)


def test_alexnet_stem_with_local_response_norm_lp_pool_and_adaptive_max_pool():
    image_values = DATA.uniform(size=(2, 3, 15, 15))
    label_values = np.array([1, 3])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=1), nn.ReLU(inplace=True),
            nn.LocalResponseNorm(size=5, alpha=1e-2, beta=0.75, k=2.0),
            nn.LPPool2d(2, kernel_size=3, stride=2),
            nn.Conv2d(8, 6, 3, padding=1), nn.Softplus(),
            nn.AdaptiveMaxPool2d((2, 3)), nn.Flatten(),
            nn.Dropout(p=0.0), nn.Linear(36, 4))
        copy_weights(model)
        images, labels = torch.from_numpy(image_values), torch.from_numpy(label_values)
        losses = _train(torch, model, lambda: F.cross_entropy(model(images), labels))
        stem = model[:4](images)
        values, where = F.adaptive_max_pool2d(stem, 3, return_indices=True)
        lp1 = F.lp_pool1d(stem.flatten(2), 3.0, kernel_size=4)
        return losses, model, values, where, lp1
    side_by_side(script)


def test_padding_modes_of_1d_2d_and_3d_maps():
    signal_values = DATA.normal(size=(2, 3, 9))
    image_values = DATA.normal(size=(2, 2, 5, 6))
    volume_values = DATA.normal(size=(1, 2, 3, 4, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        conv1, conv2, conv3 = nn.Conv1d(3, 3, 3), nn.Conv2d(2, 2, 3), nn.Conv3d(2, 1, 2)
        copy_weights(conv1, conv2, conv3)
        signal = torch.from_numpy(signal_values).requires_grad_()
        image = torch.from_numpy(image_values).requires_grad_()
        volume = torch.from_numpy(volume_values).requires_grad_()
        outs = [
            conv1(F.pad(signal, (2, 1), mode="circular")),
            conv1(F.pad(signal, (1, 3), mode="replicate")),
            conv1(nn.CircularPad1d(2)(signal)),
            conv2(F.pad(image, (1, 2, 2, 1), mode="reflect")),
            conv2(F.pad(image, (2, 2, 1, 1), mode="circular")),
            conv2(nn.ZeroPad2d((1, 0, 2, 1))(image)),
            conv2(nn.ReplicationPad2d(1)(image)),
            conv2(F.pad(image, (1, 1, 1, 1), value=0.5)),
            conv3(F.pad(volume, (1, 1, 1, 1, 1, 1), mode="replicate")),
            conv3(F.pad(volume, (1, 0, 0, 1, 1, 1), mode="circular")),
            conv3(nn.ReflectionPad3d(1)(volume)),
        ]
        loss = sum((o.tanh() * o).mean() for o in outs)
        loss.backward()
        return outs, loss, signal.grad, image.grad, volume.grad, conv2.bias.grad
    side_by_side(script)


def test_interpolate_modes_and_grid_sample_padding_modes():
    image_values = DATA.normal(size=(2, 2, 5, 6))
    volume_values = DATA.normal(size=(1, 2, 3, 4, 4))
    signal_values = DATA.normal(size=(2, 3, 7))
    grid_values = DATA.uniform(-1.3, 1.3, size=(2, 4, 5, 2))

    def script(torch, copy_weights):
        F = torch.nn.functional
        image = torch.from_numpy(image_values).requires_grad_()
        volume = torch.from_numpy(volume_values).requires_grad_()
        signal = torch.from_numpy(signal_values).requires_grad_()
        grid = torch.from_numpy(grid_values).requires_grad_()
        outs = [
            F.interpolate(image, scale_factor=2, mode="nearest"),
            F.interpolate(image, size=(7, 9), mode="nearest-exact"),
            F.interpolate(image, size=(8, 11), mode="bilinear", align_corners=True),
            F.interpolate(image, scale_factor=1.5, mode="bicubic", align_corners=False),
            F.interpolate(image, size=(3, 4), mode="area"),
            F.interpolate(image, scale_factor=0.7, mode="bilinear",
                          recompute_scale_factor=True),
            F.interpolate(volume, scale_factor=(2, 1.5, 1.5), mode="trilinear"),
            F.interpolate(signal, size=12, mode="linear", align_corners=False),
            F.upsample(image, scale_factor=2, mode="bilinear", align_corners=True),
        ]
        for padding_mode in ("zeros", "border", "reflection"):
            for align_corners in (False, True):
                outs.append(F.grid_sample(image, grid, mode="bilinear",
                                          padding_mode=padding_mode,
                                          align_corners=align_corners))
        outs.append(F.grid_sample(image, grid, mode="bicubic", padding_mode="border",
                                  align_corners=False))
        loss = sum((o * o.cos()).sum() for o in outs)
        loss.backward()
        return outs, loss, image.grad, volume.grad, signal.grad, grid.grad
    side_by_side(script)


def test_lazy_linear_head_materialized_by_a_dry_run():
    x_values = DATA.normal(size=(4, 2, 3, 3))
    y_values = DATA.normal(size=(4, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.LazyConv2d(3, 2), nn.ReLU(), nn.Flatten(),
                              nn.LazyLinear(5), nn.Tanh(), nn.LazyLinear(2))
        x, y = torch.from_numpy(x_values), torch.from_numpy(y_values)
        with torch.no_grad():
            model(x)                 # dry run: the lazy layers learn their input sizes
        copy_weights(model)
        kinds = [type(m).__name__ for m in model]
        shapes = [tuple(p.shape) for p in model[0].parameters()]
        losses = _train(torch, model, lambda: F.mse_loss(model(x), y))
        return losses, model, kinds, shapes, model[3].in_features
    side_by_side(script)


def test_the_rarer_losses():
    a_values, p_values, n_values = (DATA.normal(size=(5, 4)) for _ in range(3))
    sign_values = np.array([1.0, -1.0, -1.0, 1.0, -1.0])
    multilabel_values = (DATA.uniform(size=(5, 3)) < 0.4).astype(float)
    log_q_values = np.log(DATA.dirichlet(np.ones(3), size=5))
    log_probs_values = DATA.normal(size=(6, 2, 4))
    targets_values = np.array([[1, 2, 2], [3, 1, 0]])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        embed = nn.Linear(4, 3)
        copy_weights(embed)
        anchor, positive, negative = (torch.from_numpy(v) for v in
                                      (a_values, p_values, n_values))
        sign = torch.from_numpy(sign_values)
        multilabel = torch.from_numpy(multilabel_values)
        log_q = torch.from_numpy(log_q_values)
        log_probs = torch.from_numpy(log_probs_values).requires_grad_()

        def cosine_distance(x, y):
            return 1.0 - F.cosine_similarity(x, y)

        losses = {
            "hinge": nn.HingeEmbeddingLoss(margin=2.0)(
                (embed(anchor) - embed(positive)).norm(dim=1), sign),
            "triplet": nn.TripletMarginWithDistanceLoss(
                distance_function=cosine_distance, margin=0.3, swap=True)(
                embed(anchor), embed(positive), embed(negative)),
            "triplet_default": F.triplet_margin_with_distance_loss(
                embed(anchor), embed(positive), embed(negative), reduction="sum"),
            "multilabel": nn.MultiLabelSoftMarginLoss(
                weight=torch.tensor([1.0, 2.0, 0.5]))(embed(anchor), multilabel),
            "kl": nn.KLDivLoss(reduction="batchmean", log_target=True)(
                F.log_softmax(embed(anchor), dim=1), log_q),
            "kl_sum": F.kl_div(F.log_softmax(embed(positive), dim=1), log_q.exp(),
                               reduction="sum"),
            "ctc": nn.CTCLoss(blank=0, reduction="mean", zero_infinity=True)(
                log_probs.log_softmax(2), torch.from_numpy(targets_values),
                torch.tensor([6, 2]), torch.tensor([3, 2])),
            "ctc_flat": F.ctc_loss(log_probs.log_softmax(2), torch.tensor([1, 2, 3, 1]),
                                   torch.tensor([6, 5]), torch.tensor([2, 2]),
                                   reduction="none"),
        }
        total = sum(v.sum() for v in losses.values())
        total.backward()
        return losses, embed.bias.grad, log_probs.grad
    side_by_side(script)


def test_fuse_conv_bn_eval_after_training():
    x_values = DATA.normal(size=(3, 2, 6, 6))
    y_values = DATA.normal(size=(3, 4, 4, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        # (no conv bias: BatchNorm takes the mean out, so its gradient is rounding
        # noise, which Adam would blow up into different weights in each library)
        conv, bn = nn.Conv2d(2, 4, 3, bias=False), nn.BatchNorm2d(4)
        copy_weights(conv, bn)
        model = nn.Sequential(conv, bn)
        x, y = torch.from_numpy(x_values), torch.from_numpy(y_values)
        losses = _train(torch, model, lambda: F.mse_loss(model(x), y))
        model.eval()
        fused = torch.nn.utils.fusion.fuse_conv_bn_eval(conv, bn)
        with torch.no_grad():
            reference, fused_out = model(x), fused(x)
        return losses, model, fused, reference, fused_out
    side_by_side(script)
