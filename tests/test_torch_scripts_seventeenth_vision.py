"""The seventeenth round of PyTorch scripts, vision (see test_torch_scripts_seventeenth.py
for the method): a ViT patch embedding by ``nn.Unfold`` checked against a strided
``Conv2d`` (its weight read off the ``Linear`` as ``proj(I) - b``, whatever the layout),
with MAE's random masking by ``argsort`` of noise and the patches put back by ``Fold``;
overlapping ``Unfold`` / ``Fold`` with dilation, padding and stride, averaged by the fold
of ones; a spatial transformer through every ``padding_mode``, both ``align_corners``
and ``nearest``; and ``F.interpolate``'s ``nearest-exact``, ``bicubic``, antialiased
``bilinear``, ``area`` and ``recompute_scale_factor`` with a ``pixel_shuffle`` round trip.

A spatial transformer started at a map that lands sampling points exactly on pixel
centres (an identity-like ``theta`` with zero translation) sits on bilinear sampling's
kinks, where the gradient's side depends on the last bit of ``affine_grid``'s matrix
product (PyTorch's ``bmm`` and NumPy's ``matmul`` round differently): the start here is
moved off them.  Every script here ran unchanged."""

from __future__ import annotations


import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1719)


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
