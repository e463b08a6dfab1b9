"""The seventeenth round of PyTorch scripts, vision (see test_torch_scripts_seventeenth.py
for the method): neural style transfer as the tutorial writes it (``ContentLoss`` /
``StyleLoss`` modules by Gram matrices, a total-variation loss, the input image optimised
by L-BFGS with ``clamp_`` in the closure), the super-resolution network of PyTorch's
examples (``PixelShuffle``, ``orthogonal_`` with ``calculate_gain('relu')``, PSNR), a
U-Net with skip connections by ``torch.cat`` and ``F.pad``, upsampling by
``F.interpolate(align_corners=True)`` or ``ConvTranspose2d`` (BCE plus a soft Dice
loss), MobileNet's depthwise-separable blocks (``groups=``, ``ReLU6``, RMSprop), a ViT
patch embedding by ``nn.Unfold`` checked against a strided ``Conv2d`` with MAE's random
masking by ``argsort`` and ``Fold``, overlapping ``Unfold`` / ``Fold`` with dilation,
padding and stride averaged by the fold of ones, a spatial transformer through every
``padding_mode`` and ``align_corners`` and ``nearest``, and ``F.interpolate``'s
``nearest-exact``, ``bicubic``, antialiased ``bilinear``, ``area`` modes.

A spatial transformer started at a map that lands sampling points exactly on pixel
centres (an identity-like ``theta`` with zero translation) sits on bilinear sampling's
kinks, where the gradient's side depends on the last bit of ``affine_grid``'s matrix
product (PyTorch's ``bmm`` and NumPy's ``matmul`` round differently): the start here is
moved off them.  Every script here ran unchanged."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1719)


def test_neural_style_transfer_with_gram_matrices_and_total_variation():
    content = DATA.uniform(size=(1, 3, 8, 8))
    style_img = DATA.uniform(size=(1, 3, 8, 8))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        def gram_matrix(input):
            a, b, c, d = input.size()
            features = input.view(a * b, c * d)
            G = torch.mm(features, features.t())
            return G.div(a * b * c * d)
        class StyleLoss(nn.Module):
            def __init__(self, target_feature):
                super().__init__()
                self.target = gram_matrix(target_feature).detach()
            def forward(self, input):
                self.loss = F.mse_loss(gram_matrix(input), self.target)
                return input
        class ContentLoss(nn.Module):
            def __init__(self, target):
                super().__init__()
                self.target = target.detach()
            def forward(self, input):
                self.loss = F.mse_loss(input, self.target)
                return input
        def tv_loss(img):
            return (torch.sum(torch.abs(img[:, :, :, :-1] - img[:, :, :, 1:])) +
                    torch.sum(torch.abs(img[:, :, :-1, :] - img[:, :, 1:, :])))
        features = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
                                 nn.Conv2d(4, 4, 3, padding=1))
        copy_weights(features)
        for p in features.parameters():
            p.requires_grad_(False)
        c_img, s_img = torch.from_numpy(content), torch.from_numpy(style_img)
        model = nn.Sequential(features[0], ContentLoss(features[0](c_img)), features[1],
                              features[2])
        sl = StyleLoss(features[:3](s_img))
        model.add_module("style_loss_3", sl)
        input_img = c_img.clone().requires_grad_(True)
        optimizer = torch.optim.LBFGS([input_img])
        losses = []
        for _ in range(2):
            def closure():
                with torch.no_grad():
                    input_img.clamp_(0, 1)
                optimizer.zero_grad()
                model(input_img)
                loss = 1e3 * sl.loss + model[1].loss + 1e-4 * tv_loss(input_img)
                loss.backward()
                losses.append(loss.item())
                return loss
            optimizer.step(closure)
        with torch.no_grad():
            input_img.clamp_(0, 1)
        return losses, input_img
    side_by_side(script)


def test_super_resolution_by_pixel_shuffle():
    xs = DATA.uniform(size=(2, 1, 4, 4))
    ys = DATA.uniform(size=(2, 1, 12, 12))

    def script(torch, copy_weights):
        nn = torch.nn
        init = torch.nn.init
        class Net(nn.Module):
            def __init__(self, upscale_factor):
                super().__init__()
                self.relu = nn.ReLU()
                self.conv1 = nn.Conv2d(1, 8, (5, 5), (1, 1), (2, 2))
                self.conv2 = nn.Conv2d(8, 8, (3, 3), (1, 1), (1, 1))
                self.conv4 = nn.Conv2d(8, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
                self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
            def forward(self, x):
                x = self.relu(self.conv1(x))
                x = self.relu(self.conv2(x))
                return self.pixel_shuffle(self.conv4(x))
        model = Net(3)
        init.orthogonal_(model.conv1.weight, init.calculate_gain('relu'))
        copy_weights(model)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        x, y = torch.from_numpy(xs), torch.from_numpy(ys)
        psnrs = []
        for _ in range(4):
            opt.zero_grad()
            mse = nn.MSELoss()(model(x), y)
            mse.backward()
            opt.step()
            psnrs.append(10 * math.log10(1 / mse.item()))
        return psnrs, model
    side_by_side(script)


def test_unet_skip_connections_by_cat_and_interpolate_or_transposed_conv():
    xs = DATA.normal(size=(2, 1, 8, 8))
    ms = DATA.integers(0, 2, size=(2, 1, 8, 8)).astype(float)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        class DoubleConv(nn.Sequential):
            def __init__(self, i, o):
                super().__init__(nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o),
                                 nn.ReLU(inplace=True),
                                 nn.Conv2d(o, o, 3, padding=1, bias=False), nn.BatchNorm2d(o),
                                 nn.ReLU(inplace=True))
        class Up(nn.Module):
            def __init__(self, i, o, bilinear):
                super().__init__()
                self.bilinear = bilinear
                if not bilinear:
                    self.up = nn.ConvTranspose2d(i, i // 2, kernel_size=2, stride=2)
                self.conv = DoubleConv(i + i // 2 if bilinear else i, o)
            def forward(self, x1, x2):
                if self.bilinear:
                    x1 = F.interpolate(x1, scale_factor=2, mode="bilinear", align_corners=True)
                else:
                    x1 = self.up(x1)
                diffY = x2.size()[2] - x1.size()[2]
                diffX = x2.size()[3] - x1.size()[3]
                x1 = F.pad(x1, [diffX // 2, diffX - diffX // 2, diffY // 2, diffY - diffY // 2])
                return self.conv(torch.cat([x2, x1], dim=1))
        class UNet(nn.Module):
            def __init__(self, bilinear):
                super().__init__()
                self.inc = DoubleConv(1, 4)
                self.down = nn.Sequential(nn.MaxPool2d(2), DoubleConv(4, 8))
                self.up = Up(8, 4, bilinear)
                self.outc = nn.Conv2d(4, 1, 1)
            def forward(self, x):
                x1 = self.inc(x)
                x2 = self.down(x1)
                return self.outc(self.up(x2, x1))
        out = []
        for bilinear in (True, False):
            model = UNet(bilinear)
            copy_weights(model)
            opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
            x, m = torch.from_numpy(xs), torch.from_numpy(ms)
            for _ in range(3):
                opt.zero_grad()
                logits = model(x)
                probs = torch.sigmoid(logits)
                dice = 1 - (2 * (probs * m).sum() + 1) / (probs.sum() + m.sum() + 1)
                loss = F.binary_cross_entropy_with_logits(logits, m) + dice
                loss.backward()
                opt.step()
                out.append(loss.item())
            out.append(model)
        return out
    side_by_side(script)


def test_depthwise_separable_convolutions():
    xs = DATA.normal(size=(4, 4, 8, 8))
    ys = DATA.integers(0, 3, size=4)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        def conv_dw(inp, oup, stride):
            return nn.Sequential(
                nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False), nn.BatchNorm2d(inp),
                nn.ReLU6(inplace=True),
                nn.Conv2d(inp, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup),
                nn.ReLU6(inplace=True))
        model = nn.Sequential(conv_dw(4, 8, 1), conv_dw(8, 12, 2), nn.AdaptiveAvgPool2d(1),
                              nn.Flatten(), nn.Linear(12, 3))
        copy_weights(model)
        n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
        opt = torch.optim.RMSprop(model.parameters(), lr=1e-2, alpha=0.9, momentum=0.9)
        x, y = torch.from_numpy(xs), torch.from_numpy(ys)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            pred = model(x)
        return n_params, losses, pred, model, model[0][0].weight.shape[1]
    side_by_side(script)


def test_vit_patch_embedding_by_unfold_with_mae_masking():
    imgs = DATA.normal(size=(2, 3, 8, 8))
    mask_noise = DATA.uniform(size=(2, 4))

    def script(torch, copy_weights):
        nn = torch.nn
        patch, dim = 4, 6
        unfold = nn.Unfold(kernel_size=patch, stride=patch)
        proj = nn.Linear(3 * patch * patch, dim)
        conv = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)
        copy_weights(proj)
        with torch.no_grad():       # the same embedding as a strided conv (proj(I) - b = Wᵀ)
            weight = (proj(torch.eye(3 * patch * patch)) - proj.bias).T
            conv.weight.copy_(weight.reshape(dim, 3, patch, patch))
            conv.bias.copy_(proj.bias)
        x = torch.from_numpy(imgs)
        patches = unfold(x).transpose(1, 2)            # (B, L, C*p*p)
        tokens = proj(patches)
        assert torch.allclose(conv(x).flatten(2).transpose(1, 2), tokens, atol=1e-12)
        # MAE-style random masking by argsort of noise, then reconstruct with Fold
        ids_shuffle = torch.argsort(torch.from_numpy(mask_noise), dim=1)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        keep = ids_shuffle[:, :2]
        kept = torch.gather(tokens, 1, keep.unsqueeze(-1).repeat(1, 1, dim))
        mask = torch.ones(2, 4)
        mask[:, :2] = 0
        mask = torch.gather(mask, 1, ids_restore)
        fold = nn.Fold(output_size=(8, 8), kernel_size=patch, stride=patch)
        back = fold(patches.transpose(1, 2))
        loss = ((tokens - tokens.mean(-1, keepdim=True)) ** 2).mean(-1)
        loss = (loss * mask).sum() / mask.sum()
        loss.backward()
        return tokens, kept, mask, back, ids_restore, loss, proj.bias.grad
    side_by_side(script)


def test_overlapping_unfold_and_fold_averaged_by_the_fold_of_ones():
    xs = DATA.normal(size=(2, 3, 7, 6))

    def script(torch, copy_weights):
        nn = torch.nn
        x = torch.tensor(xs, requires_grad=True)
        unfold = nn.Unfold(kernel_size=(3, 2), dilation=(1, 2), padding=1, stride=(2, 1))
        cols = unfold(x)
        fold = nn.Fold(output_size=(7, 6), kernel_size=(3, 2), dilation=(1, 2), padding=1,
                       stride=(2, 1))
        back = fold(cols)
        divisor = fold(unfold(torch.ones_like(x)))
        recon = back / divisor
        (recon.pow(3).sum() + cols.sum()).backward()
        return cols, back, divisor, recon, x.grad
    side_by_side(script)


def test_spatial_transformer_through_every_padding_mode():
    imgs = DATA.uniform(size=(2, 1, 10, 10))
    ys = DATA.integers(0, 3, size=2)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        class STN(nn.Module):
            def __init__(self):
                super().__init__()
                self.loc = nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2), nn.ReLU(),
                                         nn.Flatten(), nn.Linear(4 * 4 * 4, 6))
                with torch.no_grad():
                    self.loc[-1].weight.zero_()
                    self.loc[-1].bias.copy_(torch.tensor([0.9, 0.1, 0.05, -0.1, 1.1, 0.0123]))
                self.fc = nn.Linear(100, 3)
            def forward(self, x, mode, padding_mode, align):
                theta = self.loc(x).view(-1, 2, 3)
                grid = F.affine_grid(theta, x.size(), align_corners=align)
                x = F.grid_sample(x, grid, mode=mode, padding_mode=padding_mode,
                                  align_corners=align)
                return self.fc(x.flatten(1))
        model = STN()
        copy_weights(model)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        x, y = torch.from_numpy(imgs), torch.from_numpy(ys)
        out = []
        for mode, pm, align in [("bilinear", "border", False), ("bilinear", "reflection", True),
                                ("bilinear", "zeros", False), ("nearest", "border", True)]:
            opt.zero_grad()
            loss = F.cross_entropy(model(x, mode, pm, align), y)
            loss.backward()
            opt.step()
            out.append(loss.item())
        return out, model
    side_by_side(script)


def test_interpolate_modes_and_pixel_shuffle_round_trip():
    xs = DATA.normal(size=(1, 2, 5, 6))

    def script(torch, copy_weights):
        F = torch.nn.functional
        x = torch.tensor(xs, requires_grad=True)
        outs = [F.interpolate(x, size=(7, 9), mode="nearest-exact"),
                F.interpolate(x, scale_factor=1.5, mode="bicubic", align_corners=False),
                F.interpolate(x, size=(3, 4), mode="bilinear", antialias=True),
                F.interpolate(x, size=(3, 4), mode="area"),
                torch.nn.Upsample(scale_factor=2, mode="nearest")(x),
                F.interpolate(x, scale_factor=(2, 1.5), mode="bilinear",
                              recompute_scale_factor=True),
                F.pixel_unshuffle(F.pixel_shuffle(torch.cat([x, x], 1), 2), 2)]
        sum((o * o).sum() for o in outs).backward()
        return outs, x.grad
    side_by_side(script)
