"""The twenty-first round's architectures not met before (see
test_torch_scripts_twentyfirst.py for how they run): a neural cellular automaton
(Sobel perception by a depthwise ``F.conv2d(groups=)``, a stochastic update mask drawn
explicitly, alive masking by ``F.max_pool2d``), slot attention (a softmax over the
slots, a weighted mean, ``nn.GRUCell`` updates), retrieval by a modern Hopfield
network, SoftSort's differentiable permutation, a highway network (its gate bias set by
``nn.init.constant_``), a neural SDE by Euler-Maruyama steps with explicit Brownian
increments, Tversky and Dice losses for segmentation, online hard example mining by
``topk`` of per-sample losses, prompt tuning of a frozen ``nn.TransformerEncoder``, a
spiking network trained through a surrogate gradient (a ``torch.autograd.Function``
over leaky integrate-and-fire steps), a mixture of softmaxes, random Fourier features
of coordinates, and a Swin-style relative position bias indexed from a table."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import adam_steps, side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2521)


def test_neural_cellular_automaton_with_sobel_perception_and_alive_masking():
    seed_state = np.zeros((1, 4, 8, 8))
    seed_state[:, 3:, 4, 4] = 1.0
    target = DATA.uniform(size=(1, 3, 8, 8))
    update_masks = (DATA.uniform(size=(4, 1, 1, 8, 8)) < 0.5).astype(np.float64)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        sobel_x = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8
        identity = torch.zeros(3, 3)
        identity[1, 1] = 1.0
        kernels = torch.stack([identity, sobel_x, sobel_x.T])          # (3, 3, 3)
        kernels = kernels.repeat(4, 1, 1).unsqueeze(1)                 # (12, 1, 3, 3)
        update = nn.Sequential(nn.Conv2d(12, 16, 1), nn.ReLU(), nn.Conv2d(16, 4, 1))
        copy_weights(update)
        optimizer = torch.optim.Adam(update.parameters(), lr=0.01)
        goal = torch.from_numpy(target)
        losses = []
        for _ in range(2):
            state = torch.from_numpy(seed_state)
            for step in range(4):
                alive_before = F.max_pool2d(state[:, 3:4], 3, stride=1, padding=1) > 0.1
                perception = F.conv2d(state, kernels, padding=1, groups=4)
                state = state + update(perception) * torch.from_numpy(update_masks[step])
                alive = alive_before & (F.max_pool2d(state[:, 3:4], 3, stride=1,
                                                     padding=1) > 0.1)
                state = state * alive.to(state.dtype)
            loss = F.mse_loss(state[:, :3], goal)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, state.detach(), update
    side_by_side(script)


def test_slot_attention_with_gru_cell_updates():
    inputs = DATA.normal(size=(2, 6, 8))
    initial_slots = DATA.normal(size=(2, 3, 8))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class SlotAttention(nn.Module):
            def __init__(self, dim, iterations=3, eps=1e-8):
                super().__init__()
                self.iterations, self.eps, self.scale = iterations, eps, dim ** -0.5
                self.to_q, self.to_k = nn.Linear(dim, dim), nn.Linear(dim, dim)
                self.to_v = nn.Linear(dim, dim)
                self.gru = nn.GRUCell(dim, dim)
                self.norm_inputs, self.norm_slots = nn.LayerNorm(dim), nn.LayerNorm(dim)

            def forward(self, x, slots):
                b, n_slots, d = slots.shape
                x = self.norm_inputs(x)
                k, v = self.to_k(x), self.to_v(x)
                for _ in range(self.iterations):
                    previous = slots
                    q = self.to_q(self.norm_slots(slots))
                    attn = torch.einsum("bid,bjd->bij", q, k).mul(self.scale)
                    attn = attn.softmax(dim=1) + self.eps              # over the slots
                    attn = attn / attn.sum(dim=-1, keepdim=True)       # weighted mean
                    updates = torch.einsum("bjd,bij->bid", v, attn)
                    slots = self.gru(updates.reshape(-1, d), previous.reshape(-1, d))
                    slots = slots.reshape(b, n_slots, d)
                return slots

        model = SlotAttention(8)
        copy_weights(model)
        x, s0 = torch.from_numpy(inputs), torch.from_numpy(initial_slots)
        losses = adam_steps(torch, model,
                            lambda: F.mse_loss(model(x, s0).mean(dim=1), x.mean(dim=1)),
                            steps=2, lr=0.01)
        return losses, model, model(x, s0).detach()
    side_by_side(script)


def test_retrieval_by_a_modern_hopfield_network():
    patterns = DATA.normal(size=(5, 16))
    query = patterns[2] + 0.8 * DATA.normal(size=16)

    def script(torch, copy_weights):
        X = torch.from_numpy(patterns)
        log_beta = torch.tensor(np.log(0.5), requires_grad=True)
        xi = torch.from_numpy(query)
        states = []
        for _ in range(3):
            xi = X.T @ torch.softmax(log_beta.exp() * (X @ xi), dim=0)
            states.append(xi)
        energy = -torch.logsumexp(log_beta.exp() * (X @ xi), dim=0) / log_beta.exp() \
            + 0.5 * xi @ xi
        energy.backward()
        return states, energy, log_beta.grad, torch.argmax(X @ xi)
    side_by_side(script)


def test_softsort_differentiable_permutation():
    scores = DATA.normal(size=(3, 6))
    values = DATA.normal(size=(3, 6))

    def script(torch, copy_weights):
        s = torch.tensor(scores, requires_grad=True)
        v = torch.from_numpy(values)
        tau = 0.3
        ranked = s.sort(descending=True, dim=-1).values
        pairwise = -(ranked.unsqueeze(-1) - s.unsqueeze(-2)).abs() / tau
        permutation = pairwise.softmax(dim=-1)
        soft_sorted = (permutation @ v.unsqueeze(-1)).squeeze(-1)
        hard = torch.zeros_like(permutation).scatter_(
            -1, permutation.topk(1, dim=-1)[1], 1.0)
        straight = (hard - permutation).detach() + permutation
        hard_sorted = (straight @ v.unsqueeze(-1)).squeeze(-1)
        loss = (soft_sorted * torch.linspace(1, 0, 6)).sum() + hard_sorted[:, 0].sum()
        loss.backward()
        return permutation, soft_sorted, hard_sorted, s.grad
    side_by_side(script)


def test_highway_network_with_gate_bias_set_by_init_constant():
    inputs = DATA.normal(size=(8, 6))
    targets = DATA.normal(size=(8, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class Highway(nn.Module):
            def __init__(self, size, layers=2):
                super().__init__()
                self.transforms = nn.ModuleList([nn.Linear(size, size) for _ in range(layers)])
                self.gates = nn.ModuleList([nn.Linear(size, size) for _ in range(layers)])
                for gate in self.gates:
                    nn.init.constant_(gate.bias, -2.0)

            def forward(self, x):
                for transform, gate in zip(self.transforms, self.gates):
                    t = torch.sigmoid(gate(x))
                    x = t * F.relu(transform(x)) + (1 - t) * x
                return x

        model = nn.Sequential(Highway(6), nn.Linear(6, 1))
        copy_weights(model)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        losses = adam_steps(torch, model, lambda: F.mse_loss(model(x), y), steps=3, lr=0.01)
        return losses, model
    side_by_side(script)


def test_neural_sde_by_euler_maruyama_with_explicit_brownian_increments():
    steps, paths, dt = 10, 16, 0.1
    increments = DATA.normal(size=(steps, paths, 1)) * np.sqrt(dt)
    observed_mean, observed_std = 1.5, 0.4

    def script(torch, copy_weights):
        nn = torch.nn
        drift = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
        diffusion = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Softplus())
        copy_weights(drift, diffusion)
        params = list(drift.parameters()) + list(diffusion.parameters())
        optimizer = torch.optim.Adam(params, lr=0.01)
        dW = torch.from_numpy(increments)
        history = []
        for _ in range(2):
            y = torch.zeros(paths, 1)
            for i in range(steps):
                t = torch.full((paths, 1), i * dt)
                state = torch.cat([y, t], dim=1)
                y = y + drift(state) * dt + diffusion(state) * dW[i]
            loss = (y.mean() - observed_mean) ** 2 + (y.std(correction=1) - observed_std) ** 2
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), y.detach().squeeze(1)))
        return history, drift, diffusion
    side_by_side(script)


def test_tversky_and_dice_losses_for_segmentation():
    images = DATA.normal(size=(2, 1, 8, 8))
    masks = (DATA.uniform(size=(2, 1, 8, 8)) < 0.3).astype(np.float64)

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 1, 1))
        copy_weights(model)
        x, target = torch.from_numpy(images), torch.from_numpy(masks)

        def tversky(probs, target, alpha=0.7, beta=0.3, smooth=1.0):
            dims = (1, 2, 3)
            tp = (probs * target).sum(dims)
            fp = (probs * (1 - target)).sum(dims)
            fn = ((1 - probs) * target).sum(dims)
            return 1 - ((tp + smooth) / (tp + alpha * fp + beta * fn + smooth)).mean()

        def dice(probs, target, smooth=1.0):
            inter = (probs * target).flatten(1).sum(1)
            union = probs.flatten(1).sum(1) + target.flatten(1).sum(1)
            return 1 - ((2 * inter + smooth) / (union + smooth)).mean()

        losses = adam_steps(
            torch, model,
            lambda: tversky(torch.sigmoid(model(x)), target)
            + 0.5 * dice(torch.sigmoid(model(x)), target), steps=3, lr=0.01)
        return losses, model
    side_by_side(script)


def test_online_hard_example_mining_by_topk_of_per_sample_losses():
    inputs = DATA.normal(size=(16, 4))
    labels = DATA.integers(0, 3, size=16)

    def script(torch, copy_weights):
        F = torch.nn.functional
        model = torch.nn.Linear(4, 3)
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
        x, y = torch.from_numpy(inputs), torch.from_numpy(labels)
        history = []
        for _ in range(3):
            per_sample = F.cross_entropy(model(x), y, reduction="none")
            hard_losses, hard_index = per_sample.topk(k=6)
            loss = hard_losses.mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), hard_index))
        return history, model
    side_by_side(script)


def test_prompt_tuning_of_a_frozen_transformer_encoder():
    tokens = DATA.normal(size=(2, 5, 8))
    labels = np.array([1, 0])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0,
                                           batch_first=True)
        encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        head = nn.Linear(8, 2)
        copy_weights(encoder, head)
        for p in list(encoder.parameters()) + list(head.parameters()):
            p.requires_grad_(False)
        prompt = nn.Parameter(torch.from_numpy(0.1 * np.ones((3, 8))))
        optimizer = torch.optim.Adam([prompt], lr=0.05)
        x, y = torch.from_numpy(tokens), torch.from_numpy(labels)
        losses = []
        for _ in range(3):
            sequence = torch.cat([prompt.expand(len(x), -1, -1), x], dim=1)
            logits = head(encoder(sequence)[:, 0])
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, prompt, encoder
    side_by_side(script)


def test_spiking_network_trained_through_a_surrogate_gradient():
    spikes_in = (DATA.uniform(size=(6, 4, 5)) < 0.3).astype(np.float64)   # (time, B, in)
    targets = np.array([2.0, 0.0, 1.0, 3.0])

    def script(torch, copy_weights):
        nn = torch.nn

        class SurrogateSpike(torch.autograd.Function):
            @staticmethod
            def forward(ctx, membrane):
                ctx.save_for_backward(membrane)
                return (membrane > 0) * 1.0

            @staticmethod
            def backward(ctx, grad_output):
                (membrane,) = ctx.saved_tensors
                return grad_output / (1 + 10 * torch.abs(membrane)) ** 2

        fc = nn.Linear(5, 3)
        readout = nn.Linear(3, 1)
        copy_weights(fc, readout)
        optimizer = torch.optim.Adam(list(fc.parameters()) + list(readout.parameters()),
                                     lr=0.05)
        inputs, y = torch.from_numpy(spikes_in), torch.from_numpy(targets)
        history = []
        for _ in range(3):
            membrane = torch.zeros(4, 3)
            counts = torch.zeros(4, 3)
            for t in range(inputs.shape[0]):
                membrane = 0.8 * membrane + fc(inputs[t])
                spike = SurrogateSpike.apply(membrane - 1.0)
                membrane = membrane - spike                             # soft reset
                counts = counts + spike
            loss = ((readout(counts).squeeze(1) - y) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), counts))
        return history, fc, readout
    side_by_side(script)


def test_mixture_of_softmaxes_output_layer():
    hidden = DATA.normal(size=(6, 8))
    labels = DATA.integers(0, 5, size=6)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        components, vocab, dim = 3, 5, 8
        prior = nn.Linear(dim, components)
        latent = nn.Linear(dim, components * dim)
        decoder = nn.Linear(dim, vocab)
        copy_weights(prior, latent, decoder)
        modules = nn.ModuleList([prior, latent, decoder])
        h, y = torch.from_numpy(hidden), torch.from_numpy(labels)

        def loss_of():
            mixture = F.log_softmax(prior(h), dim=-1)                        # (B, K)
            contexts = torch.tanh(latent(h)).view(-1, components, dim)
            log_probs = F.log_softmax(decoder(contexts), dim=-1)             # (B, K, V)
            log_mixed = torch.logsumexp(mixture.unsqueeze(-1) + log_probs, dim=1)
            return F.nll_loss(log_mixed, y)

        losses = adam_steps(torch, modules, loss_of, steps=3, lr=0.01)
        return losses, modules
    side_by_side(script)


def test_random_fourier_features_of_pixel_coordinates():
    side = 6
    image = DATA.uniform(size=(side * side, 3))
    frequencies = DATA.normal(size=(2, 8)) * 5.0

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        axis = torch.linspace(0, 1, side)
        grid = torch.stack(torch.meshgrid(axis, axis, indexing="xy"), dim=-1).reshape(-1, 2)
        B = torch.from_numpy(frequencies)
        projected = 2 * np.pi * grid @ B
        features = torch.cat([torch.sin(projected), torch.cos(projected)], dim=-1)
        mlp = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3), nn.Sigmoid())
        copy_weights(mlp)
        target = torch.from_numpy(image)
        losses = adam_steps(torch, mlp, lambda: F.mse_loss(mlp(features), target),
                            steps=3, lr=0.01)
        return losses, mlp, features
    side_by_side(script)


def test_swin_style_relative_position_bias_indexed_from_a_table():
    windows = DATA.normal(size=(2, 9, 8))                       # 3 x 3 windows

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        size, heads, dim = 3, 2, 8

        class WindowAttention(nn.Module):
            def __init__(self):
                super().__init__()
                self.qkv = nn.Linear(dim, 3 * dim)
                self.table = nn.Parameter(torch.zeros((2 * size - 1) ** 2, heads))
                coords = torch.stack(torch.meshgrid(torch.arange(size), torch.arange(size),
                                                    indexing="ij")).flatten(1)
                relative = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)
                relative = relative.contiguous()
                relative[:, :, 0] += size - 1
                relative[:, :, 1] += size - 1
                relative[:, :, 0] *= 2 * size - 1
                self.register_buffer("index", relative.sum(-1))

            def forward(self, x):
                b, n, _ = x.shape
                qkv = self.qkv(x).reshape(b, n, 3, heads, dim // heads).permute(2, 0, 3, 1, 4)
                q, k, v = qkv[0], qkv[1], qkv[2]
                attn = (q @ k.transpose(-2, -1)) * (dim // heads) ** -0.5
                bias = self.table[self.index.view(-1)].view(n, n, -1).permute(2, 0, 1)
                attn = F.softmax(attn + bias.unsqueeze(0), dim=-1)
                return (attn @ v).transpose(1, 2).reshape(b, n, dim)

        model = WindowAttention()
        with torch.no_grad():
            model.table.copy_(torch.from_numpy(0.02 * np.arange(50.0).reshape(25, 2) % 0.3))
        copy_weights(model)
        x = torch.from_numpy(windows)
        losses = adam_steps(torch, model, lambda: model(x).pow(2).mean(), steps=3, lr=0.01)
        return losses, model, model.index
    side_by_side(script)
