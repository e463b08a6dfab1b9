"""The seventh round of PyTorch scripts, images (see test_torch_scripts_seventh.py for
the method): a style-transfer residual block with reflection padding and
``InstanceNorm2d``, depthwise-separable convolutions (``groups=``) with ``GroupNorm``,
ESPCN super-resolution with ``PixelShuffle``, the U-Net ``Up`` block padding its
upsampled map with ``F.pad`` before ``torch.cat``, a spectrally normalised
discriminator, a small 3-D convolutional video classifier, and magnitude pruning with
``torch.nn.utils.prune``."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

pytest.importorskip("torch.nn.utils.prune")         # the scripts' `import torch.nn.utils.prune`
from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(72)


# --- A style-transfer residual block: reflection padding and InstanceNorm2d ---------

def test_style_transfer_residual_blocks_with_reflection_pad_and_instance_norm():
    images = DATA.uniform(size=(3, 2, 3, 8, 8))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class ConvLayer(nn.Module):
            def __init__(self, in_channels, out_channels, kernel_size, stride):
                super().__init__()
                self.reflection_pad = nn.ReflectionPad2d(kernel_size // 2)
                self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

            def forward(self, x):
                return self.conv2d(self.reflection_pad(x))

        class ResidualBlock(nn.Module):
            def __init__(self, channels):
                super().__init__()
                self.conv1 = ConvLayer(channels, channels, kernel_size=3, stride=1)
                self.in1 = nn.InstanceNorm2d(channels, affine=True)
                self.conv2 = ConvLayer(channels, channels, kernel_size=3, stride=1)
                self.in2 = nn.InstanceNorm2d(channels, affine=True, track_running_stats=True)
                self.relu = nn.ReLU()

            def forward(self, x):
                residual = x
                out = self.relu(self.in1(self.conv1(x)))
                return self.in2(self.conv2(out)) + residual

        class TransformerNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = ConvLayer(3, 4, kernel_size=3, stride=1)
                self.in1 = nn.InstanceNorm2d(4, affine=True)
                self.res = nn.Sequential(ResidualBlock(4), ResidualBlock(4))
                self.deconv = nn.Conv2d(4, 3, 3, padding=1, padding_mode="reflect")

            def forward(self, x):
                y = F.relu(self.in1(self.conv1(x)))
                return self.deconv(self.res(y))

        def gram_matrix(y):
            b, ch, h, w = y.size()
            features = y.view(b, ch, w * h)
            return features.bmm(features.transpose(1, 2)) / (ch * h * w)

        model = TransformerNet()
        copy_weights(model)
        # (SGD: a convolution's bias before an InstanceNorm has a zero gradient up to
        # rounding, which Adam's normalisation would blow up differently in each library)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        mse_loss = nn.MSELoss()
        losses = []
        for i in range(3):
            x = torch.from_numpy(images[i])
            y = model(x)
            content_loss = mse_loss(y, x)
            padded = F.pad(x, (2, 2, 2, 2), mode="reflect")
            style_loss = mse_loss(gram_matrix(y), gram_matrix(x)) \
                + mse_loss(gram_matrix(F.avg_pool2d(padded, 3, stride=1)), gram_matrix(y))
            loss = content_loss + 10.0 * style_loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append((content_loss.item(), style_loss.item()))
        model.eval()
        with torch.no_grad():
            stylised = model(torch.from_numpy(images[0])).clamp(0, 1)
        return losses, stylised, model
    side_by_side(script)


# --- Depthwise-separable convolutions with GroupNorm --------------------------------

def test_depthwise_separable_convolutions_with_group_norm_and_hardswish():
    images = DATA.normal(size=(3, 4, 4, 8, 8))
    labels = DATA.integers(0, 3, size=(3, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class DepthwiseSeparable(nn.Module):
            def __init__(self, in_ch, out_ch, stride=1):
                super().__init__()
                self.depthwise = nn.Conv2d(in_ch, in_ch, 3, stride=stride, padding=1,
                                           groups=in_ch, bias=False)
                self.pointwise = nn.Conv2d(in_ch, out_ch, 1, bias=False)
                self.norm1 = nn.GroupNorm(2, in_ch)
                self.norm2 = nn.GroupNorm(num_groups=4, num_channels=out_ch, eps=1e-6)

            def forward(self, x):
                x = F.hardswish(self.norm1(self.depthwise(x)))
                return F.hardswish(self.norm2(self.pointwise(x)))

        model = nn.Sequential(
            DepthwiseSeparable(4, 8, stride=2),
            nn.Conv2d(8, 8, 3, padding=1, groups=4),      # grouped, not depthwise
            DepthwiseSeparable(8, 8),
            nn.AdaptiveAvgPool2d((1, 1)),
            nn.Flatten(),
            nn.Linear(8, 3),
        )
        copy_weights(model)
        optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3, momentum=0.9)
        losses = []
        for i in range(3):
            logits = model(torch.from_numpy(images[i]))
            loss = F.cross_entropy(logits, torch.from_numpy(labels[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        assert model[0].depthwise.weight.shape == torch.Size([4, 1, 3, 3])
        return losses, model
    side_by_side(script)


# --- ESPCN super-resolution with PixelShuffle ---------------------------------------

def test_espcn_super_resolution_with_pixel_shuffle_and_psnr():
    high = DATA.uniform(size=(3, 2, 1, 8, 8))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class ESPCN(nn.Module):
            def __init__(self, upscale_factor):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 8, kernel_size=5, padding=2)
                self.conv2 = nn.Conv2d(8, 4, kernel_size=3, padding=1)
                self.conv3 = nn.Conv2d(4, upscale_factor ** 2, kernel_size=3, padding=1)
                self.pixel_shuffle = nn.PixelShuffle(upscale_factor)

            def forward(self, x):
                x = torch.tanh(self.conv1(x))
                x = torch.tanh(self.conv2(x))
                return torch.sigmoid(self.pixel_shuffle(self.conv3(x)))

        model = ESPCN(upscale_factor=2)
        copy_weights(model)
        unshuffle = nn.PixelUnshuffle(2)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        criterion = nn.MSELoss()
        losses, psnrs = [], []
        for i in range(3):
            target = torch.from_numpy(high[i])
            low = F.avg_pool2d(target, 2)
            assert unshuffle(target).shape == (2, 4, 4, 4)
            assert bool((F.pixel_shuffle(unshuffle(target), 2) == target).all())
            output = model(low)
            loss = criterion(output, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            psnrs.append(10 * torch.log10(1 / loss.detach()).item())
        with torch.no_grad():
            bicubic = F.interpolate(F.avg_pool2d(torch.from_numpy(high[0]), 2),
                                    scale_factor=2, mode="bicubic", align_corners=False)
        return losses, psnrs, bicubic, model
    side_by_side(script)


# --- The U-Net Up block: upsample, pad to the skip's size, concatenate ------------

def test_unet_up_blocks_with_f_pad_to_the_skip_and_both_upsamplings():
    images = DATA.normal(size=(3, 2, 1, 9, 11))
    masks = (DATA.uniform(size=(3, 2, 1, 9, 11)) < 0.4).astype(np.float64)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class DoubleConv(nn.Module):
            def __init__(self, in_channels, out_channels, mid_channels=None):
                super().__init__()
                mid_channels = mid_channels or out_channels
                self.double_conv = nn.Sequential(
                    nn.Conv2d(in_channels, mid_channels, kernel_size=3, padding=1, bias=False),
                    nn.BatchNorm2d(mid_channels),
                    nn.ReLU(inplace=True),
                    nn.Conv2d(mid_channels, out_channels, kernel_size=3, padding=1, bias=False),
                    nn.BatchNorm2d(out_channels),
                    nn.ReLU(inplace=True))

            def forward(self, x):
                return self.double_conv(x)

        class Up(nn.Module):
            def __init__(self, in_channels, out_channels, bilinear=True):
                super().__init__()
                if bilinear:
                    self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
                    self.conv = DoubleConv(in_channels, out_channels, in_channels // 2)
                else:
                    self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2,
                                                 stride=2)
                    self.conv = DoubleConv(in_channels, out_channels)

            def forward(self, x1, x2):
                x1 = self.up(x1)
                diffY = x2.size()[2] - x1.size()[2]
                diffX = x2.size()[3] - x1.size()[3]
                x1 = F.pad(x1, [diffX // 2, diffX - diffX // 2, diffY // 2, diffY - diffY // 2])
                return self.conv(torch.cat([x2, x1], dim=1))

        class UNet(nn.Module):
            def __init__(self, bilinear):
                super().__init__()
                self.inc = DoubleConv(1, 4)
                self.down = nn.Sequential(nn.MaxPool2d(2), DoubleConv(4, 8 if not bilinear else 4))
                self.up = Up(8, 4, bilinear)
                self.outc = nn.Conv2d(4, 1, kernel_size=1)

            def forward(self, x):
                x1 = self.inc(x)
                x2 = self.down(x1)
                return self.outc(self.up(x2, x1))

        bilinear, transposed = UNet(True), UNet(False)
        copy_weights(bilinear, transposed)
        params = list(bilinear.parameters()) + list(transposed.parameters())
        optimizer = torch.optim.Adam(params, lr=1e-2)
        criterion = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0]))
        losses = []
        for i in range(3):
            x, y = torch.from_numpy(images[i]), torch.from_numpy(masks[i])
            logits_a, logits_b = bilinear(x), transposed(x)
            loss = criterion(logits_a, y) + criterion(logits_b, y)
            probs = torch.sigmoid(logits_a)
            dice = 1 - (2 * (probs * y).sum() + 1) / (probs.sum() + y.sum() + 1)
            loss = loss + dice
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append((loss.item(), dice.item()))
        with torch.no_grad():
            x = torch.from_numpy(images[0])
            resized = [F.interpolate(x, size=(4, 6), mode="bilinear", align_corners=corners)
                       for corners in (True, False)]
            resized.append(F.interpolate(x, scale_factor=0.5, mode="area"))
            resized.append(F.interpolate(x, size=(13, 7), mode="nearest-exact"))
        return losses, resized, bilinear, transposed
    side_by_side(script)


# --- A spectrally normalised discriminator ------------------------------------------

def test_spectral_norm_discriminator_with_hinge_loss():
    real = DATA.normal(size=(3, 4, 6))
    fake = DATA.normal(size=(3, 4, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        spectral_norm = nn.utils.parametrizations.spectral_norm
        discriminator = nn.Sequential(
            spectral_norm(nn.Linear(6, 8)), nn.LeakyReLU(0.2),
            spectral_norm(nn.Linear(8, 8), n_power_iterations=2), nn.LeakyReLU(0.2),
            nn.Linear(8, 1))
        copy_weights(discriminator)
        optimizer = torch.optim.Adam(discriminator.parameters(), lr=2e-3, betas=(0.0, 0.9))
        losses, sigmas = [], []
        for i in range(3):
            d_real = discriminator(torch.from_numpy(real[i]))
            d_fake = discriminator(torch.from_numpy(fake[i]))
            loss = F.relu(1.0 - d_real).mean() + F.relu(1.0 + d_fake).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            with torch.no_grad():
                w = discriminator[0].weight
                sigmas.append(torch.linalg.matrix_norm(w, ord=2).item())
        discriminator.eval()
        with torch.no_grad():
            scores = discriminator(torch.from_numpy(real[0]))
        return losses, sigmas, scores, discriminator
    side_by_side(script)


# --- A 3-D convolutional video classifier --------------------------------------------

def test_video_classifier_with_conv3d_batch_norm_3d_and_adaptive_pool():
    clips = DATA.normal(size=(3, 2, 3, 4, 6, 6))         # (batch, channels, frames, h, w)
    labels = DATA.integers(0, 3, size=(3, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(
            nn.Conv3d(3, 4, kernel_size=(3, 3, 3), padding=1, bias=False),
            nn.BatchNorm3d(4),
            nn.ReLU(),
            nn.MaxPool3d(kernel_size=(1, 2, 2)),
            nn.Conv3d(4, 6, kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)),
            nn.Dropout3d(p=0.0),
            nn.ReLU(),
            nn.AdaptiveAvgPool3d(1),
            nn.Flatten(1),
            nn.Linear(6, 3))
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
        scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[1, 2], gamma=0.5)
        losses, lrs = [], []
        for i in range(3):
            model.train()
            loss = F.cross_entropy(model(torch.from_numpy(clips[i])), torch.from_numpy(labels[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            lrs.append(scheduler.get_last_lr())
        model.eval()
        with torch.no_grad():
            probabilities = F.softmax(model(torch.from_numpy(clips[0])), dim=1)
        return losses, lrs, probabilities, model
    side_by_side(script)


# --- Magnitude pruning with torch.nn.utils.prune -------------------------------------

def test_l1_unstructured_pruning_then_fine_tuning_and_remove():
    inputs = DATA.normal(size=(4, 6, 5))
    targets = DATA.integers(0, 3, size=(4, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        prune = torch.nn.utils.prune
        model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for i in range(4):
            if i == 1:                              # prune after a first step
                prune.l1_unstructured(model[0], name="weight", amount=0.3)
                prune.l1_unstructured(model[2], name="weight", amount=5)
                prune.l1_unstructured(model[0], name="bias", amount=0.25)
                assert prune.is_pruned(model)        # the optimizer keeps weight_orig
            loss = F.cross_entropy(model(torch.from_numpy(inputs[i])), torch.from_numpy(targets[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        names = sorted(name for name, _ in model.named_buffers())
        sparsity = [float(torch.sum(model[k].weight == 0)) / model[k].weight.nelement()
                    for k in (0, 2)]
        kept = [model[0].weight_mask.sum().item(), model[2].weight_mask.sum().item(),
                model[0].bias_mask.sum().item()]
        prune.remove(model[0], "weight")
        prune.remove(model[0], "bias")
        prune.remove(model[2], "weight")
        assert not prune.is_pruned(model)
        return losses, names, sparsity, kept, model
    side_by_side(script)
