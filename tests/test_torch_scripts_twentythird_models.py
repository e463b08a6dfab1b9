"""Round 23 of the PyTorch scripts (see test_torch_scripts_twentythird.py): models.
A Set Transformer (induced set attention blocks and pooling by multihead attention with
learned seed vectors, ``nn.MultiheadAttention(batch_first=True)`` with a
``key_padding_mask``), a matching network (cosine attention of queries over a support
set by ``F.cosine_similarity`` of broadcast ``unsqueeze``s, ``F.one_hot`` labels mixed
by the attention), contrastive predictive coding (a ``nn.GRU`` context, one bilinear
``nn.Linear(bias=False)`` per future step, InfoNCE as ``F.cross_entropy`` against
``torch.arange``), a Kolmogorov-Arnold layer whose B-spline basis is built by the
Cox-de Boor recursion from boolean interval masks, an energy-based model sampled by
Langevin dynamics (``torch.autograd.grad`` with respect to the samples, explicit
noise) and trained by contrastive divergence, a gated residual network (``F.glu``,
``F.elu``, ``nn.LayerNorm``, a skip projection), a forecaster over sliding windows from
``Tensor.unfold`` trained with ``nn.HuberLoss(delta=)``, a Siamese network with the
contrastive loss over ``F.pairwise_distance(keepdim=True)``, a denoiser of dilated,
grouped ``nn.Conv2d(padding='same', padding_mode='reflect')`` layers, and cross-attention
with ``kdim=``/``vdim=``, ``add_bias_kv=True`` and ``add_zero_attn=True`` whose per-head
weights (``average_attn_weights=False``) enter the loss.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import adam_steps, side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2324)


def test_set_transformer_with_induced_attention_and_pooling():
    sets = DATA.normal(size=(3, 6, 4))
    lengths = np.array([6, 4, 5])
    targets = DATA.normal(size=(3, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class MAB(nn.Module):
            def __init__(self, dim, heads):
                super().__init__()
                self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
                self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
                self.ff = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))

            def forward(self, q, k, key_padding_mask=None):
                h = self.ln1(q + self.attn(q, k, k, key_padding_mask=key_padding_mask)[0])
                return self.ln2(h + self.ff(h))

        class SetTransformer(nn.Module):
            def __init__(self, dim=4, inducing=3):
                super().__init__()
                self.inducing = nn.Parameter(torch.randn(1, inducing, dim))
                self.seed = nn.Parameter(torch.randn(1, 1, dim))
                self.mab_in, self.mab_out = MAB(dim, 2), MAB(dim, 2)
                self.pool = MAB(dim, 2)
                self.head = nn.Linear(dim, 1)

            def forward(self, x, padding):
                B = x.size(0)
                h = self.mab_in(self.inducing.expand(B, -1, -1), x, key_padding_mask=padding)
                x = self.mab_out(x, h)                              # ISAB
                pooled = self.pool(self.seed.expand(B, -1, -1), x, key_padding_mask=padding)
                return self.head(pooled.squeeze(1))

        model = SetTransformer()
        copy_weights(model)
        x = torch.from_numpy(sets)
        padding = torch.arange(6).unsqueeze(0) >= torch.from_numpy(lengths).unsqueeze(1)
        y = torch.from_numpy(targets)
        losses = adam_steps(torch, model, lambda: F.mse_loss(model(x, padding), y), 3, 0.01)
        return torch.tensor(losses), model
    side_by_side(script)


def test_matching_network_attends_over_the_support_set():
    support = DATA.normal(size=(6, 5))
    support_labels = np.array([0, 0, 1, 1, 2, 2])
    queries = DATA.normal(size=(4, 5))
    query_labels = np.array([0, 1, 2, 1])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        encoder = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 8))
        copy_weights(encoder)
        s, q = encoder(torch.from_numpy(support)), encoder(torch.from_numpy(queries))
        similarity = F.cosine_similarity(q.unsqueeze(1), s.unsqueeze(0), dim=-1, eps=1e-8)
        attention = F.softmax(similarity * 10, dim=1)
        one_hot = F.one_hot(torch.from_numpy(support_labels), num_classes=3).to(q.dtype)
        probabilities = attention @ one_hot
        loss = F.nll_loss(torch.log(probabilities), torch.from_numpy(query_labels))
        loss.backward()
        # a Linear's weight is (in, out) here: weights compared by their gradients' norms
        return (probabilities, loss, encoder[0].bias.grad, encoder[2].bias.grad,
                [p.grad.norm() for p in encoder.parameters()])
    side_by_side(script)


def test_contrastive_predictive_coding_with_info_nce():
    sequences = DATA.normal(size=(4, 7, 3))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class CPC(nn.Module):
            def __init__(self, steps=2):
                super().__init__()
                self.encode = nn.Linear(3, 6)
                self.context = nn.GRU(6, 5, batch_first=True)
                self.predict = nn.ModuleList(nn.Linear(5, 6, bias=False) for _ in range(steps))

            def forward(self, x, t=3):
                z = self.encode(x)
                c, _ = self.context(z[:, :t + 1])
                c_t = c[:, -1]
                loss = 0
                for k, W in enumerate(self.predict, start=1):
                    logits = z[:, t + k] @ W(c_t).T      # (B, B): positives on the diagonal
                    loss = loss + F.cross_entropy(logits, torch.arange(x.size(0)))
                return loss / len(self.predict)

        model = CPC()
        copy_weights(model)
        x = torch.from_numpy(sequences)
        losses = adam_steps(torch, model, lambda: model(x), 3, 0.02)
        return torch.tensor(losses), model
    side_by_side(script)


def test_kolmogorov_arnold_layer_with_b_spline_basis():
    inputs = DATA.uniform(-1, 1, size=(16, 2))
    targets = np.sin(np.pi * inputs[:, :1]) + inputs[:, 1:] ** 2

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class KANLayer(nn.Module):
            def __init__(self, fan_in, fan_out, grid_size=5, order=3):
                super().__init__()
                h = 2 / grid_size
                grid = torch.arange(-order, grid_size + order + 1) * h - 1
                self.register_buffer('grid', grid.expand(fan_in, -1).contiguous())
                self.order = order
                self.coef = nn.Parameter(torch.randn(fan_out, fan_in, grid_size + order) * 0.1)
                self.base = nn.Linear(fan_in, fan_out)

            def b_splines(self, x):
                x = x.unsqueeze(-1)
                g = self.grid
                bases = ((x >= g[:, :-1]) & (x < g[:, 1:])).to(x.dtype)
                for k in range(1, self.order + 1):
                    left, right = g[:, :-(k + 1)], g[:, k + 1:]
                    bases = ((x - left) / (g[:, k:-1] - left) * bases[..., :-1]
                             + (right - x) / (right - g[:, 1:-k]) * bases[..., 1:])
                return bases                                          # (B, in, coefficients)

            def forward(self, x):
                spline = torch.einsum('bik,oik->bo', self.b_splines(x), self.coef)
                return self.base(F.silu(x)) + spline

        model = nn.Sequential(KANLayer(2, 3), KANLayer(3, 1))
        copy_weights(model)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        losses = adam_steps(torch, model, lambda: F.mse_loss(model(x), y), 4, 0.02)
        return torch.tensor(losses), model
    side_by_side(script)


def test_energy_based_model_with_langevin_sampling():
    data = DATA.normal(1.0, 0.5, size=(8, 2))
    start = DATA.uniform(-1, 1, size=(8, 2))
    noise = DATA.normal(size=(3, 5, 8, 2))

    def script(torch, copy_weights):
        nn = torch.nn
        energy = nn.Sequential(nn.Linear(2, 16), nn.SiLU(), nn.Linear(16, 1))
        copy_weights(energy)
        optimizer = torch.optim.Adam(energy.parameters(), lr=0.01)
        x_data = torch.from_numpy(data)
        losses = []
        for step in range(3):
            samples = torch.from_numpy(start).clone()
            for k in range(5):
                samples.requires_grad_(True)
                grad, = torch.autograd.grad(energy(samples).sum(), samples)
                samples = (samples - 0.05 * grad
                           + 0.01 * torch.from_numpy(noise[step, k])).detach()
            optimizer.zero_grad()
            loss = energy(x_data).mean() - energy(samples).mean() \
                + 0.1 * (energy(x_data) ** 2).mean()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return torch.tensor(losses), samples, energy
    side_by_side(script)


def test_gated_residual_network():
    inputs = DATA.normal(size=(6, 4))
    contexts = DATA.normal(size=(6, 3))
    targets = DATA.normal(size=(6, 5))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class GatedResidualNetwork(nn.Module):
            def __init__(self, fan_in, hidden, fan_out, context):
                super().__init__()
                self.fc1 = nn.Linear(fan_in, hidden)
                self.context = nn.Linear(context, hidden, bias=False)
                self.fc2 = nn.Linear(hidden, hidden)
                self.gate = nn.Linear(hidden, 2 * fan_out)
                self.skip = nn.Linear(fan_in, fan_out)
                self.norm = nn.LayerNorm(fan_out)

            def forward(self, a, c):
                eta2 = F.elu(self.fc1(a) + self.context(c), alpha=1.0)
                eta1 = self.fc2(eta2)
                return self.norm(self.skip(a) + F.glu(self.gate(eta1), dim=-1))

        model = GatedResidualNetwork(4, 8, 5, 3)
        copy_weights(model)
        a, c, y = (torch.from_numpy(v) for v in (inputs, contexts, targets))
        losses = adam_steps(torch, model, lambda: F.mse_loss(model(a, c), y), 3, 0.01)
        return torch.tensor(losses), model(a, c), model
    side_by_side(script)


def test_forecaster_over_unfolded_windows_with_huber_loss():
    series = np.sin(np.linspace(0, 6, 40)) + 0.1 * DATA.normal(size=40)

    def script(torch, copy_weights):
        nn = torch.nn
        x = torch.from_numpy(series)
        windows = x.unfold(0, 9, 2)                                   # (16, 9)
        history, future = windows[:, :8], windows[:, 8:]
        model = nn.Sequential(nn.Linear(8, 12), nn.ReLU(), nn.Linear(12, 1))
        copy_weights(model)
        criterion = nn.HuberLoss(delta=0.3)
        losses = []
        optimizer = torch.optim.RMSprop(model.parameters(), lr=0.01)
        for _ in range(4):
            optimizer.zero_grad()
            loss = criterion(model(history), future)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return windows, torch.tensor(losses), model
    side_by_side(script)


def test_siamese_network_with_contrastive_loss():
    left = DATA.normal(size=(8, 5))
    right = DATA.normal(size=(8, 5))
    same = DATA.integers(0, 2, size=(8, 1)).astype(float)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        tower = nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, 3))
        copy_weights(tower)
        label = torch.from_numpy(same)

        def loss_of():
            distance = F.pairwise_distance(tower(torch.from_numpy(left)),
                                           tower(torch.from_numpy(right)), keepdim=True)
            return (label * distance.pow(2)
                    + (1 - label) * torch.clamp(1.0 - distance, min=0.0).pow(2)).mean()

        losses = adam_steps(torch, tower, loss_of, 3, 0.02)
        return torch.tensor(losses), tower
    side_by_side(script)


def test_dilated_denoiser_with_reflect_padding_and_grouped_convolutions():
    clean = np.sin(np.linspace(0, 3, 7))[None, None, :, None] * np.ones((2, 2, 7, 7))
    noisy = clean + 0.2 * DATA.normal(size=clean.shape)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(
            nn.Conv2d(2, 4, 3, padding='same', padding_mode='reflect'), nn.ReLU(),
            nn.Conv2d(4, 4, 3, padding='same', padding_mode='reflect', groups=2, dilation=2),
            nn.ReLU(), nn.Conv2d(4, 2, 1))
        copy_weights(model)
        x, y = torch.from_numpy(noisy), torch.from_numpy(clean)
        losses = adam_steps(torch, model, lambda: F.l1_loss(x - model(x), y), 3, 0.01)
        return torch.tensor(losses), model
    side_by_side(script)


def test_cross_attention_with_key_value_dims_bias_kv_and_zero_attention():
    queries = DATA.normal(size=(2, 3, 6))
    keys = DATA.normal(size=(2, 5, 4))
    values = DATA.normal(size=(2, 5, 2))
    padding = np.array([[False] * 5, [False, False, False, True, True]])
    targets = DATA.normal(size=(2, 3, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        attention = nn.MultiheadAttention(6, 2, kdim=4, vdim=2, add_bias_kv=True,
                                          add_zero_attn=True, batch_first=True)
        copy_weights(attention)
        q, k, v, y = (torch.from_numpy(a) for a in (queries, keys, values, targets))
        mask = torch.from_numpy(padding)
        optimizer = torch.optim.Adam(attention.parameters(), lr=0.01)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            out, weights = attention(q, k, v, key_padding_mask=mask, need_weights=True,
                                     average_attn_weights=False)
            loss = F.mse_loss(out, y) + 0.1 * weights[:, :, :, -1].mean()   # zero slot
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return torch.tensor(losses), weights, attention
    side_by_side(script)
