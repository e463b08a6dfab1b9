"""The twenty-first round's model and training scripts (see
test_torch_scripts_twentyfirst.py for how they run): a small AlexNet
(``nn.LocalResponseNorm``, ``nn.ConstantPad2d``, ``nn.AvgPool1d`` over the pooled
features), a self-normalising network (``nn.SELU`` with ``nn.AlphaDropout`` and
``F.alpha_dropout`` in evaluation), a categorical VAE by the straight-through
Gumbel-softmax with its Gumbel noise drawn explicitly, LISTA and iterative hard
thresholding (``F.softshrink`` / ``F.hardshrink`` unrolled), an MLP of less common
activations (``F.rrelu`` in evaluation, ``F.celu(alpha=)``, ``torch.logaddexp2``), a
video model whose clip is rearranged by ``movedim``, ``swapaxes`` and ``unbind`` with
features joined by ``torch.column_stack`` / ``torch.dstack`` and ``broadcast_tensors``,
anchor matching for a detector (``torch.nonzero``, ``torch.argwhere``,
``index_select``, ``torch.take``), a trimmed-mean loss by ``torch.msort`` checked by
``torch.isclose``, block floating point by ``torch.frexp`` / ``torch.ldexp`` with a
straight-through rounding, and second-order pooling by ``torch.addbmm``."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import adam_steps, side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2121)


def test_small_alexnet_with_local_response_norm_and_constant_padding():
    images = DATA.normal(size=(2, 3, 12, 12))
    labels = np.array([1, 3])

    def script(torch, copy_weights):
        nn = torch.nn

        class TinyAlexNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Sequential(
                    nn.Conv2d(3, 8, kernel_size=3, stride=2), nn.ReLU(inplace=True),
                    nn.LocalResponseNorm(size=3, alpha=1e-3, beta=0.75, k=2.0),
                    nn.MaxPool2d(kernel_size=2),
                    nn.ConstantPad2d(1, 0.5),
                    nn.Conv2d(8, 6, kernel_size=3), nn.ReLU())
                self.pool = nn.AvgPool1d(kernel_size=2)
                self.classifier = nn.Linear(6 * 2 * 2 // 2, 4)

            def forward(self, x):
                x = self.features(x)
                x = self.pool(torch.flatten(x, 1).unsqueeze(1)).squeeze(1)
                return self.classifier(x)

        model = TinyAlexNet()
        copy_weights(model)
        x, y = torch.from_numpy(images), torch.from_numpy(labels)
        losses = adam_steps(torch, model,
                            lambda: torch.nn.functional.cross_entropy(model(x), y),
                            steps=3, lr=0.01)
        return losses, model
    side_by_side(script)


def test_self_normalising_network_with_alpha_dropout_in_evaluation():
    inputs = DATA.normal(size=(16, 5))
    targets = DATA.normal(size=(16, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Linear(5, 12), nn.SELU(), nn.AlphaDropout(p=0.2),
                              nn.Linear(12, 12), nn.SELU(), nn.AlphaDropout(p=0.2),
                              nn.Linear(12, 1))
        copy_weights(model)
        model.eval()
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        losses = adam_steps(torch, model, lambda: F.mse_loss(model(x), y), steps=3, lr=0.01)
        hidden = F.alpha_dropout(F.selu(x), p=0.5, training=False)
        return losses, model, model(x).detach(), hidden
    side_by_side(script)


def test_categorical_vae_by_straight_through_gumbel_softmax_with_explicit_noise():
    inputs = (DATA.uniform(size=(6, 10)) > 0.5).astype(np.float64)
    uniforms = DATA.uniform(1e-6, 1 - 1e-6, size=(3, 6, 4, 3))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        latents, categories, tau = 4, 3, 0.7
        encoder = nn.Linear(10, latents * categories)
        decoder = nn.Linear(latents * categories, 10)
        copy_weights(encoder, decoder)
        params = list(encoder.parameters()) + list(decoder.parameters())
        optimizer = torch.optim.Adam(params, lr=0.01)
        x = torch.from_numpy(inputs)
        history = []
        for step in range(3):
            logits = encoder(x).view(-1, latents, categories)
            gumbels = -torch.log(-torch.log(torch.from_numpy(uniforms[step])))
            y_soft = F.softmax((logits + gumbels) / tau, dim=-1)
            index = y_soft.argmax(dim=-1, keepdim=True)
            y_hard = torch.zeros_like(logits).scatter_(-1, index, 1.0)
            z = y_hard - y_soft.detach() + y_soft
            recon = decoder(z.view(len(x), -1))
            q = F.softmax(logits, dim=-1)
            kl = (q * (torch.log(q + 1e-20) - np.log(1.0 / categories))).sum((1, 2)).mean()
            bce = F.binary_cross_entropy_with_logits(recon, x, reduction="sum") / len(x)
            loss = bce + kl
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), kl.item(), index.squeeze(-1)))
        return history, encoder, decoder
    side_by_side(script)


def test_lista_and_iterative_hard_thresholding_unrolled_with_shrink_functions():
    dictionary = DATA.normal(size=(8, 12)) / np.sqrt(8)
    codes = DATA.normal(size=(12, 5)) * (DATA.uniform(size=(12, 5)) < 0.25)
    signals = (dictionary @ codes).T

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        D = torch.from_numpy(dictionary)
        L = torch.linalg.matrix_norm(D, ord=2) ** 2

        class LISTA(nn.Module):
            def __init__(self, unrolled=3):
                super().__init__()
                self.W_e = nn.Linear(8, 12, bias=False)
                self.S = nn.Linear(12, 12, bias=False)
                self.unrolled = unrolled

            def forward(self, y):
                b = self.W_e(y)
                z = F.softshrink(b, lambd=0.05)
                for _ in range(self.unrolled):
                    z = F.softshrink(b + self.S(z), lambd=0.05)
                return z

        model = LISTA()
        copy_weights(model)
        y = torch.from_numpy(signals)
        losses = adam_steps(torch, model, lambda: F.mse_loss(model(y) @ D.T, y),
                            steps=3, lr=0.01)
        z = torch.zeros(len(y), 12)
        for _ in range(5):
            z = F.hardshrink(z + (y - z @ D.T) @ D / L, lambd=0.1)
        return losses, model, z, nn.Hardshrink(0.2)(y), nn.Softshrink(0.2)(y)
    side_by_side(script)


def test_mlp_of_rrelu_in_evaluation_celu_and_logaddexp2():
    inputs = DATA.normal(size=(12, 4))
    targets = DATA.normal(size=(12, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1, self.fc2, self.out = nn.Linear(4, 8), nn.Linear(8, 8), nn.Linear(8, 1)

            def forward(self, x):
                h = F.rrelu(self.fc1(x), lower=0.1, upper=0.3, training=self.training)
                h = F.celu(self.fc2(h), alpha=0.5)
                return self.out(torch.logaddexp2(h, -h))

        model = Net()
        copy_weights(model)
        model.eval()
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        losses = adam_steps(torch, model, lambda: F.mse_loss(model(x), y), steps=3, lr=0.01)
        return losses, model, nn.RReLU(0.1, 0.3).eval()(x), nn.CELU(0.5)(x)
    side_by_side(script)


def test_video_clip_rearranged_by_movedim_swapaxes_and_unbind():
    clips = DATA.normal(size=(2, 4, 3, 6, 6))        # (batch, time, channels, H, W)
    labels = np.array([0, 2])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        conv = nn.Conv3d(3, 5, kernel_size=(2, 3, 3), padding=(0, 1, 1))
        head = nn.Linear(5 * 3 + 2, 3)
        copy_weights(conv, head)
        optimizer = torch.optim.SGD(list(conv.parameters()) + list(head.parameters()), lr=0.1)
        x, y = torch.from_numpy(clips), torch.from_numpy(labels)
        history = []
        for _ in range(3):
            features = F.relu(conv(torch.movedim(x, 1, 2)))      # (B, C, T', H, W)
            per_frame = torch.swapaxes(features.mean(dim=(3, 4)), 1, 2)   # (B, T', C)
            frames = torch.unbind(per_frame, dim=1)
            motion = torch.column_stack([frames[-1].norm(dim=1), frames[0].norm(dim=1)])
            stacked = torch.dstack(frames).flatten(1)                    # (B, C * T')
            scale, shifted = torch.broadcast_tensors(torch.ones(1, 1), motion)
            logits = head(torch.cat([stacked, scale * shifted], dim=1))
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), motion.detach()))
        return history, conv, head
    side_by_side(script)


def test_anchor_matching_for_a_detector_by_nonzero_argwhere_and_index_select():
    anchors = np.sort(DATA.uniform(0, 10, size=(20, 2)), axis=1)
    boxes = np.array([[1.0, 3.0], [5.0, 8.0]])
    inputs = DATA.normal(size=(20, 4))

    def script(torch, copy_weights):
        F = torch.nn.functional
        head = torch.nn.Linear(4, 3)           # objectness and two offsets per anchor
        copy_weights(head)
        optimizer = torch.optim.SGD(head.parameters(), lr=0.1)
        a, gt = torch.from_numpy(anchors), torch.from_numpy(boxes)
        lo = torch.maximum(a[:, None, 0], gt[None, :, 0])
        hi = torch.minimum(a[:, None, 1], gt[None, :, 1])
        inter = (hi - lo).clamp(min=0)
        union = (a[:, 1] - a[:, 0])[:, None] + (gt[:, 1] - gt[:, 0])[None] - inter
        iou = inter / union
        best_iou, best_gt = iou.max(dim=1)
        positive = torch.nonzero(best_iou > 0.3, as_tuple=False).squeeze(1)
        pairs = torch.argwhere(iou > 0.3)
        x = torch.from_numpy(inputs)
        history = []
        for _ in range(3):
            out = head(x)
            objectness = F.binary_cross_entropy_with_logits(
                out[:, 0], (best_iou > 0.3).to(out.dtype))
            deltas = torch.index_select(out[:, 1:], 0, positive)
            goal = torch.index_select(gt, 0, best_gt[positive]) \
                - torch.index_select(a, 0, positive)
            regression = F.smooth_l1_loss(deltas, goal)
            loss = objectness + regression
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), torch.take(out, positive * 3).detach()))
        return history, positive, pairs, head
    side_by_side(script)


def test_trimmed_mean_loss_by_msort_checked_by_isclose():
    inputs = DATA.normal(size=(20, 3))
    targets = inputs @ np.array([1.0, -1.0, 0.5]) + 0.1 * DATA.normal(size=20)
    targets[[2, 7, 11]] += 8.0                                   # outliers

    def script(torch, copy_weights):
        model = torch.nn.Linear(3, 1)
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        history = []
        previous = torch.tensor(float("inf"))
        for _ in range(6):
            squared = (model(x).squeeze(1) - y) ** 2
            kept = torch.msort(squared)[: int(0.8 * len(y))]
            loss = kept.mean()
            converged = torch.isclose(loss.detach(), previous, rtol=1e-3)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            previous = loss.detach()
            history.append((loss.item(), converged))
        return history, model
    side_by_side(script)


def test_block_floating_point_by_frexp_and_ldexp_with_straight_through_rounding():
    inputs = DATA.normal(size=(10, 6))
    targets = DATA.normal(size=(10, 2))
    start = DATA.normal(size=(2, 6))

    def script(torch, copy_weights):
        weight = torch.nn.Parameter(torch.tensor(start))
        optimizer = torch.optim.SGD([weight], lr=0.05)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)

        def quantise(w, bits=3):
            mantissa, exponent = torch.frexp(w.detach())
            rounded = torch.ldexp(torch.round(mantissa * 2 ** bits) / 2 ** bits, exponent)
            return w + (rounded - w).detach()

        history = []
        for _ in range(3):
            loss = ((x @ quantise(weight).T - y) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            mantissa, exponent = torch.frexp(weight.detach())
            history.append((loss.item(), mantissa, exponent))
        return history, weight
    side_by_side(script)


def test_second_order_pooling_of_feature_maps_by_addbmm():
    images = DATA.normal(size=(3, 2, 5, 5))

    def script(torch, copy_weights):
        conv = torch.nn.Conv2d(2, 4, kernel_size=3)
        copy_weights(conv)
        optimizer = torch.optim.SGD(conv.parameters(), lr=0.05)
        x = torch.from_numpy(images)
        history = []
        for _ in range(3):
            f = conv(x).flatten(2)                                      # (B, C, N)
            prior = torch.eye(4)
            pooled = torch.addbmm(prior, f, f.transpose(1, 2), beta=0.5,
                                  alpha=1.0 / (len(x) * f.shape[-1]))
            loss = ((pooled - torch.eye(4)) ** 2).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), pooled.detach()))
        return history, conv
    side_by_side(script)
