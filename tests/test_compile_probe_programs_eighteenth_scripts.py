"""Training loops of the nineteenth PyTorch script round (test_torch_scripts_nineteenth*.py)
as compiled steps, compared with the same loop run eagerly (``compile_scripts8.py``):
model, loss and optimizer step compiled, four calls on fresh batches, then two on
batches of another size (the step traces again), the results, weights, gradients and
optimizer state equal bit for bit without fusion and, where the fused kernels compile
in seconds, within a few ulp with it (``UNFUSED``: checked without fusion only).  Here:
DeepFM by offset field embeddings and BatchNorm1d under Adam(foreach=True), a DCN-v2
cross network under Adagrad(fused=True), a two-tower retriever on in-batch negatives
under Adam(fused=True), a WaveNet stack of causal dilated convolutions, causal linear
attention by running sums under RMSprop(foreach=True), a selective scan under
AdamW(fused=True), a Perceiver's cross-attention from learned latents (MultiheadAttention
with kdim/vdim) and T5's relative position buckets as an attention bias."""

from __future__ import annotations

import math

import numpy as np
import pytest

from compile_scripts8 import UNFUSED, F, compiled_like_eager, made, nn, torch, two_sizes


#: Fused, the bias of the linear layer before BatchNorm1d gets a gradient that is zero
#: but for rounding (the normalisation takes out any constant), which Adam divides by
#: its own size: see ``compiled_like_eager``.
PRE_NORM_BIAS = 1e5


class DeepFM(nn.Module):
    def __init__(self, field_dims, embed_dim):
        super().__init__()
        self.offsets = torch.tensor([0, *np.cumsum(field_dims)[:-1]])
        self.linear = nn.Embedding(sum(field_dims), 1)
        self.bias = nn.Parameter(torch.zeros(1))
        self.embedding = nn.Embedding(sum(field_dims), embed_dim)
        self.mlp = nn.Sequential(nn.Linear(len(field_dims) * embed_dim, 8),
                                 nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))

    def forward(self, x):
        x = x + self.offsets.unsqueeze(0)
        embed_x = self.embedding(x)
        square_of_sum = torch.sum(embed_x, dim=1) ** 2
        sum_of_square = torch.sum(embed_x ** 2, dim=1)
        fm = 0.5 * torch.sum(square_of_sum - sum_of_square, dim=1, keepdim=True)
        linear = torch.sum(self.linear(x), dim=1) + self.bias
        deep = self.mlp(embed_x.view(-1, embed_x.size(1) * embed_x.size(2)))
        return (linear + fm + deep).squeeze(1)


def test_deepfm_with_batchnorm_by_adam_foreach():
    def make():
        model = DeepFM([4, 3, 5], 3)
        return made(model, torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-6,
                                            foreach=True),
                    lambda model, x, y: nn.BCEWithLogitsLoss()(model(x), y))
    compiled_like_eager(make, two_sizes(19, [("int", 3, (12, 3)), ("bits", (12,))],
                                        [("int", 3, (8, 3)), ("bits", (8,))]),
                        traces=2, fused_scale=PRE_NORM_BIAS)


class CrossNetwork(nn.Module):
    def __init__(self, dim, num_layers):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(dim, dim) for _ in range(num_layers))

    def forward(self, x0):
        x = x0
        for layer in self.layers:
            x = x0 * layer(x) + x
        return x


class DCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.cross = CrossNetwork(5, 3)
        self.deep = nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Dropout(0.0))
        self.head = nn.Linear(11, 1)

    def forward(self, x):
        return self.head(torch.cat([self.cross(x), self.deep(x)], dim=1)).squeeze(-1)


def test_dcn_v2_cross_network_by_adagrad_fused():
    def make():
        model = DCN()
        return made(model, torch.optim.Adagrad(model.parameters(), lr=0.05, fused=True),
                    lambda model, x, y: F.mse_loss(model(x), y))
    compiled_like_eager(make, two_sizes(20, [(8, 5), (8,)], [(5, 5), (5,)]), traces=2,
                        fuse_modes=UNFUSED)


def test_two_tower_retrieval_on_in_batch_negatives_by_adam_fused():
    def make():
        query_tower = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        doc_tower = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
        optimizer = torch.optim.Adam([*query_tower.parameters(), *doc_tower.parameters()],
                                     lr=1e-2, fused=True)

        def step(q_batch, d_batch):
            q = F.normalize(query_tower(q_batch), dim=-1)
            d = F.normalize(doc_tower(d_batch), dim=-1)
            logits = q @ d.T / 0.1
            labels = torch.arange(logits.size(0))
            loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss, (logits.argmax(dim=1) == labels).float().mean()
        return step, {"query_tower": query_tower, "doc_tower": doc_tower,
                      "optimizer": optimizer}
    compiled_like_eager(make, two_sizes(21, [(6, 4), (6, 5)], [(4, 4), (4, 5)]), traces=2)


class ResidualBlock(nn.Module):
    def __init__(self, channels, skip_channels, dilation):
        super().__init__()
        self.dilation = dilation
        self.filter_conv = nn.Conv1d(channels, channels, 2, dilation=dilation)
        self.gate_conv = nn.Conv1d(channels, channels, 2, dilation=dilation)
        self.residual = nn.Conv1d(channels, channels, 1)
        self.skip = nn.Conv1d(channels, skip_channels, 1)

    def forward(self, x):
        padded = F.pad(x, (self.dilation, 0))
        z = torch.tanh(self.filter_conv(padded)) * torch.sigmoid(self.gate_conv(padded))
        return x + self.residual(z), self.skip(z)


class WaveNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_conv = nn.Conv1d(1, 4, 1)
        self.blocks = nn.ModuleList(ResidualBlock(4, 6, d) for d in (1, 2, 4))
        self.output = nn.Sequential(nn.ReLU(), nn.Conv1d(6, 4, 1))

    def forward(self, x):
        x = self.input_conv(x)
        skips = 0
        for block in self.blocks:
            x, skip = block(x)
            skips = skips + skip
        return self.output(skips)


def test_wavenet_of_causal_dilated_convolutions_by_adam():
    def make():
        model = WaveNet()
        # (the last block's residual conv feeds nothing: its gradient stays None)
        del model.blocks[2].residual
        model.blocks[2].residual = nn.Identity()
        return made(model, torch.optim.Adam(model.parameters(), lr=1e-2),
                    lambda model, x, y: F.cross_entropy(model(x), y))
    compiled_like_eager(make, two_sizes(22, [(2, 1, 20), ("int", 4, (2, 20))],
                                        [(3, 1, 12), ("int", 4, (3, 12))]),
                        traces=2, fuse_modes=UNFUSED)


class LinearAttention(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.to_qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, eps=1e-6):
        q, k, v = self.to_qkv(x).chunk(3, dim=-1)
        q, k = F.elu(q) + 1, F.elu(k) + 1
        kv = torch.einsum("bnd,bne->bnde", k, v).cumsum(dim=1)
        k_sum = k.cumsum(dim=1)
        numerator = torch.einsum("bnd,bnde->bne", q, kv)
        denominator = torch.einsum("bnd,bnd->bn", q, k_sum).unsqueeze(-1) + eps
        return self.proj(numerator / denominator)


def test_causal_linear_attention_by_rmsprop_foreach():
    def make():
        model = LinearAttention(6)
        return made(model, torch.optim.RMSprop(model.parameters(), lr=1e-2, foreach=True),
                    lambda model, x, y: F.mse_loss(model(x), y))
    compiled_like_eager(make, two_sizes(23, [(2, 7, 6), (2, 7, 6)], [(3, 5, 6), (3, 5, 6)]),
                        traces=2)


class SelectiveSSM(nn.Module):
    def __init__(self, d_model, d_state):
        super().__init__()
        A = torch.arange(1, d_state + 1, dtype=torch.float64).repeat(d_model, 1)
        self.A_log = nn.Parameter(torch.log(A))
        self.D = nn.Parameter(torch.ones(d_model))
        self.x_proj = nn.Linear(d_model, 2 * d_state + 1, bias=False)
        self.dt_proj = nn.Linear(1, d_model)
        self.d_state = d_state

    def forward(self, x):
        b, length, d = x.shape
        A = -torch.exp(self.A_log)
        B, C, dt = self.x_proj(x).split([self.d_state, self.d_state, 1], dim=-1)
        delta = F.softplus(self.dt_proj(dt))
        deltaA = torch.exp(torch.einsum("bld,dn->bldn", delta, A))
        deltaB_u = torch.einsum("bld,bln,bld->bldn", delta, B, x)
        state = torch.zeros(b, d, self.d_state)
        ys = []
        for i in range(length):
            state = deltaA[:, i] * state + deltaB_u[:, i]
            ys.append(torch.einsum("bdn,bn->bd", state, C[:, i]))
        return torch.stack(ys, dim=1) + x * self.D


def test_selective_scan_by_adamw_fused():
    def make():
        model = SelectiveSSM(3, 4)
        return made(model, torch.optim.AdamW(model.parameters(), lr=1e-2, fused=True),
                    lambda model, x, y: F.mse_loss(model(x), y))
    compiled_like_eager(make, two_sizes(24, [(2, 9, 3), (2, 9, 3)], [(1, 6, 3), (1, 6, 3)]),
                        traces=2, fuse_modes=UNFUSED)


class Perceiver(nn.Module):
    def __init__(self, input_dim, latent_dim, num_latents, num_classes):
        super().__init__()
        self.latents = nn.Parameter(torch.randn(num_latents, latent_dim) * 0.1)
        self.cross_attn = nn.MultiheadAttention(latent_dim, 2, kdim=input_dim,
                                                vdim=input_dim, batch_first=True)
        self.norm = nn.LayerNorm(latent_dim)
        self.self_attn = nn.MultiheadAttention(latent_dim, 2, batch_first=True)
        self.head = nn.Linear(latent_dim, num_classes)

    def forward(self, x):
        latents = self.latents.unsqueeze(0).expand(x.size(0), -1, -1)
        attended, _ = self.cross_attn(latents, x, x)
        latents = self.norm(latents + attended)
        attended, weights = self.self_attn(latents, latents, latents)
        latents = latents + attended
        return self.head(latents.mean(dim=1)), weights


def test_perceiver_cross_attention_from_a_learned_latent_array():
    def make():
        model = Perceiver(5, 8, 4, 3)
        return made(model, torch.optim.Adam(model.parameters(), lr=5e-3),
                    lambda model, x, y: F.cross_entropy(model(x)[0], y))
    compiled_like_eager(make, two_sizes(44, [(3, 10, 5), ("int", 3, (3,))],
                                        [(2, 7, 5), ("int", 3, (2,))]),
                        traces=2, fuse_modes=UNFUSED)


def relative_position_bucket(relative_position, num_buckets=8, max_distance=20):
    num_buckets //= 2
    buckets = (relative_position > 0).to(torch.long) * num_buckets
    relative_position = torch.abs(relative_position)
    max_exact = num_buckets // 2
    is_small = relative_position < max_exact
    if_large = max_exact + (
        torch.log(relative_position.float() / max_exact)
        / math.log(max_distance / max_exact) * (num_buckets - max_exact)
    ).to(torch.long)
    if_large = torch.minimum(if_large, torch.full_like(if_large, num_buckets - 1))
    return buckets + torch.where(is_small, relative_position, if_large)

class BucketedAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.bias = nn.Embedding(8, heads)
        self.heads = heads

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = (t.view(b, n, self.heads, -1).transpose(1, 2)
                   for t in self.qkv(x).chunk(3, dim=-1))
        context = torch.arange(n)[:, None]
        memory = torch.arange(n)[None, :]
        bucket = relative_position_bucket(memory - context)
        position_bias = self.bias(bucket).permute(2, 0, 1).unsqueeze(0)
        scores = q @ k.transpose(-2, -1) + position_bias
        out = F.softmax(scores, dim=-1) @ v
        return out.transpose(1, 2).reshape(b, n, d)


# log(0) for the distance 0, then its cast, as NumPy warns (the value is not used)
@pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
def test_t5_relative_position_buckets_as_an_attention_bias():
    def make():
        model = BucketedAttention(4, 2)
        return made(model, torch.optim.Adam(model.parameters(), lr=1e-2),
                    lambda model, x, y: F.mse_loss(model(x), y))
    compiled_like_eager(make, two_sizes(45, [(2, 12, 4), (2, 12, 4)], [(2, 9, 4), (2, 9, 4)]),
                        traces=2, fuse_modes=UNFUSED)
