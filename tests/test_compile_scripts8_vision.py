"""Convolutional training scripts (as in test_torch_scripts*.py) compiled as steps and
compared with their eager twins over 20 calls (``compile_scripts8.py``): a LeNet with
BatchNorm and dropout, ResNet basic blocks with a strided shortcut, depthwise
separable convolutions with GroupNorm and hardswish, a U-Net block with transposed
convolutions and interpolate, pixel-shuffle super-resolution, a mobile inverted
residual with squeeze-excitation, style-transfer residual blocks with reflection
padding and InstanceNorm, a Conv3d video classifier, a denoising autoencoder, a
char-CNN text classifier, mixup and knowledge distillation."""

from __future__ import annotations

import numpy as np

from compile_scripts8 import F, compiled_like_eager, draws, nn, torch
from compile_twins import training_step


def test_lenet_with_batchnorm_maxpool_dropout_and_nesterov_sgd():
    def make():
        model = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4, 6, 3), nn.ReLU(), nn.Dropout(0.25), nn.Flatten(),
            nn.Linear(6 * 2 * 2, 10))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                                    weight_decay=5e-4)

        def step(images, labels):
            model.train()
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
            return loss
        return step, {"model": model, "optimizer": optimizer}
    compiled_like_eager(make, draws(1, (4, 1, 8, 8), ("int", 10, (4,))))


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride=stride,
                                                      bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        out += identity
        return F.relu(out)


def test_resnet_blocks_with_adam_and_step_lr_stepped_in_the_step():
    def make():
        model = nn.Sequential(BasicBlock(3, 4), BasicBlock(4, 6, stride=2),
                              nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(6, 5))
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)
        things = {"model": model, "optimizer": optimizer, "scheduler": scheduler}
        return training_step(model, optimizer, scheduler=scheduler), things
    compiled_like_eager(make, draws(2, (3, 3, 6, 6), ("int", 5, (3,))))


def test_depthwise_separable_convolutions_with_group_norm_hardswish_and_adamw_cosine():
    def make():
        model = nn.Sequential(
            nn.Conv2d(2, 4, 3, padding=1), nn.GroupNorm(2, 4), nn.Hardswish(),
            nn.Conv2d(4, 4, 3, padding=1, groups=4), nn.Conv2d(4, 8, 1), nn.GroupNorm(4, 8),
            nn.Hardswish(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3))
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.05)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10,
                                                               eta_min=1e-4)

        def step(images, labels):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels, label_smoothing=0.1)
            loss.backward()
            optimizer.step()
            scheduler.step()
            return loss
        return step, {"model": model, "optimizer": optimizer, "scheduler": scheduler}
    compiled_like_eager(make, draws(3, (4, 2, 6, 6), ("int", 3, (4,))))


class UNetBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.down = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.bottom = nn.Sequential(nn.Conv2d(4, 8, 3, padding=1), nn.ReLU())
        self.up_transposed = nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.fuse = nn.Conv2d(12, 4, 3, padding=1)
        self.head = nn.Conv2d(4, 1, 1)

    def forward(self, x):
        skip = self.down(x)
        bottom = self.bottom(skip)
        up = self.up_transposed(bottom)
        resized = F.interpolate(bottom, scale_factor=2, mode="bilinear", align_corners=False)
        skip_up = F.interpolate(skip, size=up.shape[-2:], mode="nearest")
        h = F.relu(self.fuse(torch.cat([up, resized[:, :4], skip_up], dim=1)))
        return self.head(h)


def test_unet_block_with_transposed_conv_interpolate_cat_and_bce_with_logits():
    def make():
        model = UNetBlock()
        optimizer = torch.optim.Adagrad(model.parameters(), lr=0.05)

        def step(images, masks):
            optimizer.zero_grad()
            loss = F.binary_cross_entropy_with_logits(
                model(images), masks, pos_weight=torch.tensor([2.0]))
            loss.backward()
            optimizer.step()
            return loss
        return step, {"model": model, "optimizer": optimizer}
    compiled_like_eager(make, draws(4, (2, 1, 8, 8), ("bits", (2, 1, 8, 8))))


def test_espcn_super_resolution_with_pixel_shuffle_psnr_and_multistep_lr():
    def make():
        model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(),
                              nn.Conv2d(6, 4, 3, padding=1), nn.Tanh(),
                              nn.Conv2d(4, 4, 3, padding=1), nn.PixelShuffle(2))
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, amsgrad=True)
        scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[4, 9],
                                                         gamma=0.3)

        def step(low, high):
            optimizer.zero_grad()
            mse = F.mse_loss(model(low), high)
            mse.backward()
            optimizer.step()
            scheduler.step()
            with torch.no_grad():
                psnr = 10 * torch.log10(1 / mse)
            return mse, psnr
        return step, {"model": model, "optimizer": optimizer, "scheduler": scheduler}
    compiled_like_eager(make, draws(5, ("uniform", (2, 1, 4, 4)), ("uniform", (2, 1, 8, 8))))


class SqueezeExcitation(nn.Module):
    def __init__(self, channels, squeezed):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, squeezed, 1)
        self.fc2 = nn.Conv2d(squeezed, channels, 1)

    def forward(self, x):
        scale = F.adaptive_avg_pool2d(x, 1)
        scale = F.hardsigmoid(self.fc2(F.relu(self.fc1(scale))))
        return x * scale


class InvertedResidual(nn.Module):
    def __init__(self, channels, expanded):
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(channels, expanded, 1, bias=False), nn.BatchNorm2d(expanded), nn.ReLU6(),
            nn.Conv2d(expanded, expanded, 3, padding=1, groups=expanded, bias=False),
            nn.BatchNorm2d(expanded), nn.ReLU6(), SqueezeExcitation(expanded, 2),
            nn.Conv2d(expanded, channels, 1, bias=False), nn.BatchNorm2d(channels))

    def forward(self, x):
        return x + self.block(x)


def test_mobile_inverted_residual_with_squeeze_excitation_and_rmsprop_exponential():
    def make():
        model = nn.Sequential(InvertedResidual(3, 6), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                              nn.Linear(3, 4))
        optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-2, alpha=0.9, momentum=0.5)
        scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
        things = {"model": model, "optimizer": optimizer, "scheduler": scheduler}
        return training_step(model, optimizer, scheduler=scheduler), things
    # (RMSprop divides each gradient by its running size: a batch-norm weight's
    # gradient that is small at the second call carries its rounding, relative to the
    # terms it was summed from, into a momentum buffer of order 1)
    compiled_like_eager(make, draws(6, (3, 3, 5, 5), ("int", 4, (3,))), fused_ulps=512)


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), nn.InstanceNorm2d(
                channels, affine=True), nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels, affine=True))

    def forward(self, x):
        return x + self.body(x)


def test_style_transfer_residual_blocks_with_reflection_pad_instance_norm_and_gram():
    def make():
        model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), ResidualBlock(4),
                              ResidualBlock(4), nn.Conv2d(4, 3, 3, padding=1))
        optimizer = torch.optim.Adamax(model.parameters(), lr=1e-2)

        def gram(y):
            b, c, h, w = y.size()
            features = y.view(b, c, h * w)
            return features.bmm(features.transpose(1, 2)) / (c * h * w)

        def step(content, style):
            optimizer.zero_grad()
            out = model(content)
            loss = F.mse_loss(out, content) + 10.0 * F.mse_loss(gram(out), gram(style))
            loss.backward()
            optimizer.step()
            return loss
        return step, {"model": model, "optimizer": optimizer}
    compiled_like_eager(make, draws(7, (2, 3, 6, 6), (2, 3, 6, 6)))


def test_video_classifier_with_conv3d_batch_norm_3d_and_adaptive_max_pool():
    def make():
        # (no bias before the batch norm, as usual: its gradient would be rounding
        # alone, which NAdam divides by its own size)
        model = nn.Sequential(nn.Conv3d(1, 3, (2, 3, 3), padding=(0, 1, 1), bias=False),
                              nn.BatchNorm3d(3), nn.ELU(), nn.AdaptiveMaxPool3d((1, 2, 2)),
                              nn.Flatten(), nn.Linear(12, 2))
        optimizer = torch.optim.NAdam(model.parameters(), lr=1e-2)
        return training_step(model, optimizer), {"model": model, "optimizer": optimizer}
    compiled_like_eager(make, draws(8, (3, 1, 3, 4, 4), ("int", 2, (3,))))


def test_denoising_autoencoder_with_transposed_convs_noise_argument_and_bce():
    def make():
        encoder = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
                                nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.LeakyReLU(0.2))
        decoder = nn.Sequential(nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1,
                                                   output_padding=1), nn.ReLU(),
                                nn.ConvTranspose2d(4, 1, 3, stride=2, padding=1,
                                                   output_padding=1), nn.Sigmoid())
        params = list(encoder.parameters()) + list(decoder.parameters())
        optimizer = torch.optim.Adam(params, lr=1e-2, betas=(0.8, 0.99))

        def step(clean, noise):
            noisy = torch.clamp(clean + 0.3 * noise, 0.0, 1.0)
            optimizer.zero_grad()
            loss = F.binary_cross_entropy(decoder(encoder(noisy)), clean)
            loss.backward()
            optimizer.step()
            return loss
        return step, {"encoder": encoder, "decoder": decoder, "optimizer": optimizer}
    compiled_like_eager(make, draws(9, ("bits", (2, 1, 8, 8)), (2, 1, 8, 8)))


def test_char_cnn_text_classifier_with_embedding_conv1d_and_adaptive_max_pool():
    def make():
        class CharCNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(12, 5, padding_idx=0)
                self.convs = nn.ModuleList([nn.Conv1d(5, 4, k) for k in (2, 3)])
                self.fc = nn.Linear(8, 3)
                self.dropout = nn.Dropout(0.2)

            def forward(self, tokens):
                x = self.embed(tokens).transpose(1, 2)
                pooled = [F.adaptive_max_pool1d(F.relu(conv(x)), 1).squeeze(2)
                          for conv in self.convs]
                return self.fc(self.dropout(torch.cat(pooled, 1)))

        model = CharCNN()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.8, dampening=0.1)

        def step(tokens, labels):
            optimizer.zero_grad()
            logits = model(tokens)
            loss = F.cross_entropy(logits, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            accuracy = (logits.argmax(1) == labels).float().mean()
            return loss, accuracy
        return step, {"model": model, "optimizer": optimizer}
    compiled_like_eager(make, draws(10, ("int", 12, (4, 7)), ("int", 3, (4,))))


def test_mixup_with_a_permutation_argument_and_mixed_targets():
    def make():
        model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(27, 4))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05)

        def step(images, labels, permutation, lam):
            mixed = lam * images + (1 - lam) * images[permutation]
            optimizer.zero_grad()
            logits = model(mixed)
            loss = lam * F.cross_entropy(logits, labels) + (1 - lam) * F.cross_entropy(
                logits, labels[permutation])
            loss.backward()
            optimizer.step()
            return loss
        return step, {"model": model, "optimizer": optimizer}
    rng = np.random.default_rng(11)
    batches = [(x, y, rng.permutation(4), rng.beta(0.4, 0.4, size=()))
               for x, y in draws(11, (4, 1, 5, 5), ("int", 4, (4,)))]
    compiled_like_eager(make, batches)


def test_knowledge_distillation_with_kl_div_of_softened_logits_and_frozen_teacher():
    def make():
        teacher = nn.Sequential(nn.Linear(6, 12), nn.ReLU(), nn.Linear(12, 4))
        student = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 4))
        for p in teacher.parameters():
            p.requires_grad_(False)
        teacher.eval()
        optimizer = torch.optim.Adam(student.parameters(), lr=1e-2)
        temperature = 3.0

        def step(x, labels):
            with torch.no_grad():
                soft_targets = F.softmax(teacher(x) / temperature, dim=-1)
            logits = student(x)
            distill = F.kl_div(F.log_softmax(logits / temperature, dim=-1), soft_targets,
                               reduction="batchmean") * temperature ** 2
            loss = 0.7 * distill + 0.3 * F.cross_entropy(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"teacher": teacher, "student": student, "optimizer": optimizer}
    compiled_like_eager(make, draws(12, (5, 6), ("int", 4, (5,))))
