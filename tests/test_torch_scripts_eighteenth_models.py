"""The eighteenth round of PyTorch scripts, models as papers' reference code writes them
(see test_torch_scripts_eighteenth.py for the method): ArcFace's additive angular
margin head (``F.linear`` of normalised rows (``F.normalize``), the one-hot by ``scatter_``), a
VQ-VAE quantiser (distances by ``matmul``, codes by ``argmin`` and ``scatter_``, the
straight-through ``inputs + (quantized - inputs).detach()``, the commitment loss and
the perplexity), Poincaré embeddings trained by Riemannian SGD under ``no_grad`` with
the projection back into the ball, an entropic optimal-transport cost by Sinkhorn's
``logsumexp`` iterations over ``cdist``, Kipf's GCN with a symmetrically normalised
adjacency (``torch.sparse_coo_tensor`` and ``torch.sparse.mm`` in PyTorch; there are no
sparse tensors here, and the error says so and names the dense matrix, which the script
then uses), denoising score matching over a geometric ladder of noise levels, and a DDPM
training step (``cumprod`` of the schedule, ``extract`` by ``gather``, ``q_sample``).
The VQ-VAE's ``weight.data.copy_()`` is written under ``no_grad`` on the weight, since
``.data`` is NumPy's array here; the GCN ran after the sparse error was made clear
(see _gaps.py); the rest ran unchanged."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

import autodiff as ad  # noqa: E402

DATA = np.random.default_rng(1819)


def test_arcface_additive_angular_margin_head():
    xs, labels = DATA.normal(size=(8, 5)), DATA.integers(0, 4, size=8)
    centres = DATA.normal(size=(4, 3))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class ArcMarginProduct(nn.Module):
            def __init__(self, in_features, out_features, s=8.0, m=0.3, easy_margin=False):
                super().__init__()
                self.s, self.m = s, m
                self.weight = nn.Parameter(torch.tensor(centres))
                self.easy_margin = easy_margin
                self.cos_m, self.sin_m = math.cos(m), math.sin(m)
                self.th = math.cos(math.pi - m)
                self.mm = math.sin(math.pi - m) * m

            def forward(self, input, label):
                cosine = F.linear(F.normalize(input), F.normalize(self.weight))
                sine = torch.sqrt((1.0 - torch.pow(cosine, 2)).clamp(0, 1))
                phi = cosine * self.cos_m - sine * self.sin_m
                if self.easy_margin:
                    phi = torch.where(cosine > 0, phi, cosine)
                else:
                    phi = torch.where(cosine > self.th, phi, cosine - self.mm)
                one_hot = torch.zeros(cosine.size())
                one_hot.scatter_(1, label.view(-1, 1).long(), 1)
                output = (one_hot * phi) + ((1.0 - one_hot) * cosine)
                return output * self.s

        backbone = nn.Sequential(nn.Linear(5, 6), nn.PReLU(), nn.Linear(6, 3))
        copy_weights(backbone)
        head = ArcMarginProduct(3, 4)
        optimizer = torch.optim.SGD([{"params": backbone.parameters()},
                                     {"params": head.parameters()}], lr=0.1, momentum=0.9,
                                    weight_decay=5e-4)
        x, y = torch.from_numpy(xs), torch.from_numpy(labels)
        losses = []
        for _ in range(4):
            optimizer.zero_grad()
            loss = F.cross_entropy(head(backbone(x), y), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, backbone, head.weight.detach()
    side_by_side(script)


def test_vq_vae_quantiser_with_straight_through_and_commitment():
    xs = DATA.normal(size=(6, 4))
    codebook = DATA.normal(size=(5, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class VectorQuantizer(nn.Module):
            def __init__(self, num_embeddings, embedding_dim, commitment_cost):
                super().__init__()
                self._embedding = nn.Embedding(num_embeddings, embedding_dim)
                with torch.no_grad():   # (weight.data.copy_: .data is NumPy's here)
                    self._embedding.weight.copy_(torch.from_numpy(codebook))
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
                e_latent_loss = F.mse_loss(quantized.detach(), inputs)
                q_latent_loss = F.mse_loss(quantized, inputs.detach())
                loss = q_latent_loss + self._commitment_cost * e_latent_loss
                quantized = inputs + (quantized - inputs).detach()
                avg_probs = torch.mean(encodings, dim=0)
                perplexity = torch.exp(-torch.sum(avg_probs * torch.log(avg_probs + 1e-10)))
                return loss, quantized, perplexity, encoding_indices.squeeze(1)

        encoder, decoder = nn.Linear(4, 2), nn.Linear(2, 4)
        copy_weights(encoder, decoder)
        vq = VectorQuantizer(5, 2, commitment_cost=0.25)
        params = list(encoder.parameters()) + list(vq.parameters()) + list(decoder.parameters())
        optimizer = torch.optim.Adam(params, lr=2e-2, amsgrad=False)
        x = torch.from_numpy(xs)
        history = []
        for _ in range(4):
            optimizer.zero_grad()
            vq_loss, quantized, perplexity, codes = vq(encoder(x))
            recon_error = F.mse_loss(decoder(quantized), x)
            loss = recon_error + vq_loss
            loss.backward()
            optimizer.step()
            history.append((loss.item(), perplexity.item(), codes.tolist()))
        return history, encoder, decoder, vq._embedding.weight.detach()
    side_by_side(script)


def test_poincare_embeddings_by_riemannian_sgd():
    pairs = np.array([[0, 1], [0, 2], [1, 3], [2, 4], [1, 5]])
    negatives = DATA.integers(0, 6, size=(4, 5, 3))
    start = DATA.uniform(-1e-3, 1e-3, size=(6, 2))

    def script(torch, copy_weights):
        nn = torch.nn
        eps = 1e-5

        def arcosh(x):
            x = torch.clamp(x, min=1 + eps)
            return torch.log(x + torch.sqrt(x * x - 1))

        def poincare_distance(u, v):
            sq = torch.sum((u - v) ** 2, dim=-1)
            alpha = 1 - torch.sum(u * u, dim=-1)
            beta = 1 - torch.sum(v * v, dim=-1)
            return arcosh(1 + 2 * sq / (alpha * beta))

        emb = nn.Embedding(6, 2, sparse=False)
        with torch.no_grad():
            emb.weight.copy_(torch.from_numpy(start))
        lr, losses = 0.3, []
        for negs in negatives:
            u = emb(torch.from_numpy(pairs[:, 0]))
            candidates = emb(torch.cat([torch.from_numpy(pairs[:, 1:]),
                                        torch.from_numpy(negs[:, :2])], dim=1))
            d = poincare_distance(u.unsqueeze(1).expand_as(candidates), candidates)
            loss = nn.functional.cross_entropy(-d, torch.zeros(len(pairs), dtype=torch.long))
            emb.zero_grad()
            loss.backward()
            with torch.no_grad():
                w = emb.weight
                scale = ((1 - w.pow(2).sum(-1, keepdim=True)) ** 2) / 4
                w.sub_(lr * scale * emb.weight.grad)
                norms = w.norm(dim=-1, keepdim=True)
                w.copy_(torch.where(norms >= 1, w / norms * (1 - eps), w))
            losses.append(loss.item())
        return losses, emb.weight.detach()
    side_by_side(script)


def test_sinkhorn_divergence_between_point_clouds():
    source = DATA.normal(size=(5, 2))
    target = DATA.normal(size=(6, 2)) + 1.0

    def script(torch, copy_weights):
        def sinkhorn(x, y, eps=0.5, iters=30):
            C = torch.cdist(x, y, p=2) ** 2
            n, m = C.shape
            log_a = torch.full((n,), -math.log(n))
            log_b = torch.full((m,), -math.log(m))
            f, g = torch.zeros(n), torch.zeros(m)
            for _ in range(iters):
                f = -eps * torch.logsumexp((g[None, :] - C) / eps + log_b[None, :], dim=1)
                g = -eps * torch.logsumexp((f[:, None] - C) / eps + log_a[:, None], dim=0)
            P = torch.exp((f[:, None] + g[None, :] - C) / eps + log_a[:, None] + log_b[None, :])
            return torch.sum(P * C), P

        x = torch.tensor(source, requires_grad=True)
        y = torch.from_numpy(target)
        optimizer = torch.optim.SGD([x], lr=0.5)
        costs = []
        for _ in range(3):
            optimizer.zero_grad()
            cost, plan = sinkhorn(x, y)
            cost.backward()
            optimizer.step()
            costs.append(cost.item())
        return costs, plan, x.detach(), x.grad
    side_by_side(script)


def test_gcn_with_a_sparse_normalised_adjacency():
    edges = np.array([[0, 1], [1, 2], [2, 3], [3, 4], [4, 0], [1, 3]])
    features = DATA.normal(size=(5, 4))
    labels = np.array([0, 1, 0, 1, 1])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        n = 5
        index = torch.from_numpy(np.concatenate([edges, edges[:, ::-1], np.stack(
            [np.arange(n)] * 2, axis=1)]).T.copy())
        values = torch.ones(index.shape[1])
        degree = torch.zeros(n).index_add_(0, index[0], values)
        norm = degree[index[0]].rsqrt() * degree[index[1]].rsqrt()
        if torch is ad:     # no sparse tensors here: the dense matrix the error names
            with pytest.raises(AttributeError, match="sparse tensors do not exist here"):
                torch.sparse_coo_tensor(index, norm, (n, n))
            with pytest.raises(AttributeError, match="multiply by @"):
                torch.sparse.mm
            adj = torch.zeros(n, n).index_put_(tuple(index), norm, accumulate=True)
            spmm = torch.matmul
        else:
            adj = torch.sparse_coo_tensor(index, norm, (n, n), check_invariants=True).coalesce()
            spmm = torch.sparse.mm

        class GCN(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin1, self.lin2 = nn.Linear(4, 6), nn.Linear(6, 2)

            def forward(self, x, adj):
                x = F.relu(spmm(adj, self.lin1(x)))
                return F.log_softmax(spmm(adj, self.lin2(x)), dim=1)

        model = GCN()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
        x, y = torch.from_numpy(features), torch.from_numpy(labels)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = F.nll_loss(model(x, adj)[:3], y[:3])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model, adj.to_dense()
    side_by_side(script)


def test_denoising_score_matching_over_noise_levels():
    xs = DATA.normal(size=(8, 2)) * 0.5 + 1.0
    noise = DATA.normal(size=(3, 8, 2))
    level_picks = DATA.integers(0, 4, size=(3, 8))

    def script(torch, copy_weights):
        nn = torch.nn
        sigmas = torch.tensor(np.exp(np.linspace(np.log(1.0), np.log(0.05), 4)))

        class ScoreNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(3, 16), nn.Softplus(), nn.Linear(16, 2))

            def forward(self, x, sigma):
                return self.net(torch.cat([x, sigma.log()], dim=1)) / sigma

        model = ScoreNet()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        x = torch.from_numpy(xs)
        losses = []
        for z, picks in zip(noise, level_picks):
            used_sigmas = sigmas[torch.from_numpy(picks)].view(x.shape[0], 1)
            perturbed = x + torch.from_numpy(z) * used_sigmas
            target = -(perturbed - x) / (used_sigmas ** 2)
            scores = model(perturbed, used_sigmas)
            loss = (0.5 * ((scores - target) ** 2).sum(dim=-1)
                    * used_sigmas.squeeze() ** 2).mean(dim=0)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model
    side_by_side(script)


def test_ddpm_training_step_with_its_noise_schedule():
    xs = DATA.normal(size=(6, 3))
    noise = DATA.normal(size=(3, 6, 3))
    steps = DATA.integers(0, 50, size=(3, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        T = 50
        betas = torch.linspace(1e-4, 0.02, T)
        alphas = 1.0 - betas
        alphas_cumprod = torch.cumprod(alphas, dim=0)
        alphas_cumprod_prev = F.pad(alphas_cumprod[:-1], (1, 0), value=1.0)
        sqrt_alphas_cumprod = torch.sqrt(alphas_cumprod)
        sqrt_one_minus_alphas_cumprod = torch.sqrt(1.0 - alphas_cumprod)
        posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)

        def extract(a, t, x_shape):
            batch_size = t.shape[0]
            out = a.gather(-1, t)
            return out.reshape(batch_size, *((1,) * (len(x_shape) - 1)))

        def q_sample(x_start, t, noise):
            return (extract(sqrt_alphas_cumprod, t, x_start.shape) * x_start
                    + extract(sqrt_one_minus_alphas_cumprod, t, x_start.shape) * noise)

        class Denoiser(nn.Module):
            def __init__(self):
                super().__init__()
                self.time_mlp = nn.Sequential(nn.Linear(1, 8), nn.SiLU(), nn.Linear(8, 8))
                self.net = nn.Sequential(nn.Linear(3 + 8, 16), nn.SiLU(), nn.Linear(16, 3))

            def forward(self, x, t):
                emb = self.time_mlp(t.float().unsqueeze(-1).double() / T)
                return self.net(torch.cat((x, emb), dim=-1))

        model = Denoiser()
        copy_weights(model)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
        x_start = torch.from_numpy(xs)
        losses = []
        for z, t in zip(noise, steps):
            t, z = torch.from_numpy(t), torch.from_numpy(z)
            x_noisy = q_sample(x_start, t, z)
            loss = F.smooth_l1_loss(z, model(x_noisy, t))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model, posterior_variance
    side_by_side(script)
