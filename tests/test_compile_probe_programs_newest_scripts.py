"""Training loops of the seventeenth and eighteenth PyTorch script rounds
(test_torch_scripts_seventeenth*.py, test_torch_scripts_eighteenth*.py) as compiled
steps, compared with the same loop run eagerly (``compile_scripts8.py``): model, loss
and optimizer step compiled, four calls on fresh batches, then two on batches of
another size (the step traces again), the results, weights, gradients and optimizer
state equal bit for bit without fusion and, where the fused kernels compile in seconds,
within a few ulp with it (``UNFUSED``: checked without fusion only).  Here: a Fourier
neural operator with complex spectral weights under Adam, an RNNCell and a GRUCell
unrolled by split, Adafactor, clip_grad_norm_ by the infinity norm, an ArcFace margin
head, a VQ-VAE quantiser, Poincaré embeddings by Riemannian SGD under no_grad and a
DDPM step by its noise schedule."""

from __future__ import annotations

import math

import numpy as np

from compile_scripts8 import UNFUSED, F, compiled_like_eager, made, nn, torch, two_sizes

DATA = np.random.default_rng(1718)
SPECTRAL_START = DATA.uniform(size=(2, 3, 3, 4)) + 1j * DATA.uniform(size=(2, 3, 3, 4))


class SpectralConv1d(nn.Module):
    def __init__(self, channels, modes, start):
        super().__init__()
        self.modes = modes
        self.weights = nn.Parameter(torch.tensor(start / channels ** 2, dtype=torch.cdouble))

    def forward(self, x):
        x_ft = torch.fft.rfft(x)
        out_ft = torch.zeros(x.shape[0], self.weights.shape[1], x.size(-1) // 2 + 1,
                             dtype=torch.cdouble)
        out_ft[:, :, :self.modes] = torch.einsum("bix,iox->box", x_ft[:, :, :self.modes],
                                                 self.weights)
        return torch.fft.irfft(out_ft, n=x.size(-1))


class FNO1d(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc0, self.fc1 = nn.Linear(1, 3), nn.Linear(3, 1)
        self.conv0, self.conv1 = (SpectralConv1d(3, 4, start) for start in SPECTRAL_START)
        self.w0, self.w1 = nn.Conv1d(3, 3, 1), nn.Conv1d(3, 3, 1)

    def forward(self, x):
        x = self.fc0(x.permute(0, 2, 1)).permute(0, 2, 1)
        x = F.gelu(self.conv0(x) + self.w0(x))
        x = self.conv1(x) + self.w1(x)
        return self.fc1(x.permute(0, 2, 1)).permute(0, 2, 1)


def test_fourier_neural_operator_with_complex_spectral_weights_by_adam():
    def make():
        model = FNO1d()
        return made(model, torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4),
                    lambda model, x, y: F.mse_loss(model(x), y))
    compiled_like_eager(make, two_sizes(1, [(4, 1, 16), (4, 1, 16)], [(2, 1, 16), (2, 1, 16)]),
                        traces=2)


class UnrolledPredictor(nn.Module):
    def __init__(self):
        super().__init__()
        self.cell1 = nn.RNNCell(2, 6, nonlinearity="relu")
        self.cell2 = nn.GRUCell(6, 4, bias=False)
        self.linear = nn.Linear(4, 1)

    def forward(self, input):
        outputs = []
        h1, h2 = torch.zeros(input.size(1), 6), torch.zeros(input.size(1), 4)
        for input_t in input.split(1, dim=0):
            h1 = self.cell1(input_t.squeeze(0), h1)
            h2 = self.cell2(h1, h2)
            outputs += [self.linear(h2)]
        return torch.stack(outputs, 0)


def test_rnn_and_gru_cells_unrolled_by_split_with_sgd_momentum():
    def make():
        model = UnrolledPredictor()
        return made(model, torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5),
                    lambda model, x, y: nn.MSELoss()(model(x), y))
    compiled_like_eager(make, two_sizes(2, [(5, 3, 2), (5, 3, 1)], [(5, 2, 2), (5, 2, 1)]),
                        traces=2, fuse_modes=UNFUSED)


def test_adafactor_on_a_small_regressor_by_smooth_l1():
    def make():
        model = nn.Sequential(nn.Linear(5, 6), nn.SiLU(), nn.Linear(6, 2))
        return made(model, torch.optim.Adafactor(model.parameters(), lr=1e-2,
                                                 weight_decay=1e-2),
                    lambda model, x, y: F.smooth_l1_loss(model(x), y, beta=0.5))
    compiled_like_eager(make, two_sizes(3, [(16, 5), (16, 2)], [(10, 5), (10, 2)]), traces=2)


def test_clip_grad_norm_by_the_infinity_norm_in_the_step():
    def make():
        model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 1))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

        def step(x, y):
            optimizer.zero_grad()
            loss = F.mse_loss(model(x * 5), y)
            loss.backward()
            total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5,
                                             norm_type=math.inf)
            optimizer.step()
            return loss, total
        return step, {"model": model, "optimizer": optimizer}
    compiled_like_eager(make, two_sizes(4, [(8, 4), (8, 1)], [(6, 4), (6, 1)]), traces=2)


class ArcMarginProduct(nn.Module):
    def __init__(self, in_features, out_features, s=8.0, m=0.3):
        super().__init__()
        self.s, self.m = s, m
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        self.cos_m, self.sin_m = math.cos(m), math.sin(m)
        self.th, self.mm = math.cos(math.pi - m), math.sin(math.pi - m) * m

    def forward(self, input, label):
        cosine = F.linear(F.normalize(input), F.normalize(self.weight))
        sine = torch.sqrt((1.0 - torch.pow(cosine, 2)).clamp(0, 1))
        phi = cosine * self.cos_m - sine * self.sin_m
        phi = torch.where(cosine > self.th, phi, cosine - self.mm)
        one_hot = torch.zeros(cosine.size())
        one_hot.scatter_(1, label.view(-1, 1).long(), 1)
        return ((one_hot * phi) + ((1.0 - one_hot) * cosine)) * self.s


def test_arcface_margin_head_by_sgd_over_two_parameter_groups():
    def make():
        backbone = nn.Sequential(nn.Linear(5, 6), nn.PReLU(), nn.Linear(6, 3))
        head = ArcMarginProduct(3, 4)
        optimizer = torch.optim.SGD([{"params": backbone.parameters()},
                                     {"params": head.parameters()}], lr=0.1, momentum=0.9,
                                    weight_decay=5e-4)

        def step(x, y):
            optimizer.zero_grad()
            loss = F.cross_entropy(head(backbone(x), y), y)
            loss.backward()
            optimizer.step()
            return loss
        return step, {"backbone": backbone, "head": head, "optimizer": optimizer}
    compiled_like_eager(make, two_sizes(5, [(8, 5), ("int", 4, (8,))],
                                        [(5, 5), ("int", 4, (5,))]), traces=2, fuse_modes=UNFUSED)


class VectorQuantizer(nn.Module):
    def __init__(self, num_embeddings, embedding_dim, commitment_cost):
        super().__init__()
        self._embedding = nn.Embedding(num_embeddings, embedding_dim)
        self._commitment_cost = commitment_cost
        self._num_embeddings = num_embeddings

    def forward(self, inputs):
        flat_input = inputs.view(-1, inputs.shape[-1])
        distances = (torch.sum(flat_input**2, dim=1, keepdim=True)
                     + torch.sum(self._embedding.weight**2, dim=1)
                     - 2 * torch.matmul(flat_input, self._embedding.weight.t()))
        encoding_indices = torch.argmin(distances, dim=1).unsqueeze(1)
        encodings = torch.zeros(encoding_indices.shape[0], self._num_embeddings)
        encodings.scatter_(1, encoding_indices, 1)
        quantized = torch.matmul(encodings, self._embedding.weight).view(inputs.shape)
        loss = (F.mse_loss(quantized, inputs.detach())
                + self._commitment_cost * F.mse_loss(quantized.detach(), inputs))
        quantized = inputs + (quantized - inputs).detach()
        avg_probs = torch.mean(encodings, dim=0)
        perplexity = torch.exp(-torch.sum(avg_probs * torch.log(avg_probs + 1e-10)))
        return loss, quantized, perplexity


def test_vq_vae_quantiser_with_straight_through_and_commitment_by_adam():
    def make():
        encoder, vq, decoder = nn.Linear(4, 2), VectorQuantizer(5, 2, 0.25), nn.Linear(2, 4)
        params = list(encoder.parameters()) + list(vq.parameters()) + list(decoder.parameters())
        optimizer = torch.optim.Adam(params, lr=2e-2)

        def step(x):
            optimizer.zero_grad()
            vq_loss, quantized, perplexity = vq(encoder(x))
            loss = F.mse_loss(decoder(quantized), x) + vq_loss
            loss.backward()
            optimizer.step()
            return loss, perplexity
        return step, {"encoder": encoder, "vq": vq, "decoder": decoder, "optimizer": optimizer}
    compiled_like_eager(make, two_sizes(6, [(6, 4)], [(9, 4)]), traces=2, fuse_modes=UNFUSED)


def _poincare_distance(u, v, eps=1e-5):
    sq = torch.sum((u - v) ** 2, dim=-1)
    alpha = 1 - torch.sum(u * u, dim=-1)
    beta = 1 - torch.sum(v * v, dim=-1)
    x = torch.clamp(1 + 2 * sq / (alpha * beta), min=1 + eps)
    return torch.log(x + torch.sqrt(x * x - 1))


def test_poincare_embeddings_by_riemannian_sgd_under_no_grad():
    def make():
        emb = nn.Embedding(6, 2)
        with torch.no_grad():
            emb.weight.mul_(1e-3)

        def step(pairs, negatives):
            u = emb(pairs[:, 0])
            candidates = emb(torch.cat([pairs[:, 1:], negatives], dim=1))
            d = _poincare_distance(u.unsqueeze(1).expand_as(candidates), candidates)
            loss = F.cross_entropy(-d, torch.zeros(len(pairs), dtype=torch.long))
            emb.zero_grad()
            loss.backward()
            with torch.no_grad():
                w = emb.weight
                w.sub_(0.3 * ((1 - w.pow(2).sum(-1, keepdim=True)) ** 2) / 4 * emb.weight.grad)
                norms = w.norm(dim=-1, keepdim=True)
                w.copy_(torch.where(norms >= 1, w / norms * (1 - 1e-5), w))
            return loss
        return step, {"emb": emb}
    compiled_like_eager(make, two_sizes(7, [("int", 6, (5, 2)), ("int", 6, (5, 2))],
                                        [("int", 6, (3, 2)), ("int", 6, (3, 2))]), traces=2)


class Denoiser(nn.Module):
    def __init__(self, steps):
        super().__init__()
        self.steps = steps
        self.time_mlp = nn.Sequential(nn.Linear(1, 8), nn.SiLU(), nn.Linear(8, 8))
        self.net = nn.Sequential(nn.Linear(3 + 8, 16), nn.SiLU(), nn.Linear(16, 3))

    def forward(self, x, t):
        emb = self.time_mlp(t.float().unsqueeze(-1).double() / self.steps)
        return self.net(torch.cat((x, emb), dim=-1))


def test_ddpm_training_step_by_its_noise_schedule_and_gather():
    T = 50

    def make():
        alphas_cumprod = torch.cumprod(1.0 - torch.linspace(1e-4, 0.02, T), dim=0)
        sqrt_alphas_cumprod = torch.sqrt(alphas_cumprod)
        sqrt_one_minus_alphas_cumprod = torch.sqrt(1.0 - alphas_cumprod)

        def extract(a, t, x_shape):
            return a.gather(-1, t).reshape(t.shape[0], *((1,) * (len(x_shape) - 1)))

        model = Denoiser(T)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

        def step(x_start, noise, t):
            x_noisy = (extract(sqrt_alphas_cumprod, t, x_start.shape) * x_start
                       + extract(sqrt_one_minus_alphas_cumprod, t, x_start.shape) * noise)
            loss = F.smooth_l1_loss(noise, model(x_noisy, t))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"model": model, "optimizer": optimizer}
    compiled_like_eager(make, two_sizes(8, [(6, 3), (6, 3), ("int", T, (6,))],
                                        [(4, 3), (4, 3), ("int", T, (4,))]), traces=2)
