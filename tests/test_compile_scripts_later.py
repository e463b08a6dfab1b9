"""Training loops of the later PyTorch script rounds (test_torch_scripts_twelfth ..
fifteenth*.py) as compiled steps, compared with the same loop run eagerly
(``compile_scripts8.py``): model, loss and optimizer step compiled, four calls on fresh
batches, then two on batches of another size (the step traces again), the results,
weights, gradients and optimizer/scheduler state equal bit for bit without fusion and
within a few ulp with it.  Here: a GPT-2 block with causal SDPA and tied output
weights, an RMSNorm/SwiGLU block, a LoRA adapter on a frozen linear, rotary position
embeddings, an ALiBi float attention mask, a CLIP loss with a clamped learned scale,
Barlow Twins and VICReg, distillation by KLDivLoss, focal and soft dice losses, a GCN
by index_add_, PointNet, a transformer encoder with a padding mask, a VAE, a siamese
network, a causal TCN and clip_grad_norm_ under LambdaLR warmup."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError
from compile_scripts8 import F, compiled_like_eager, made, nn, torch, two_sizes


class CausalSelfAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.c_attn, self.c_proj, self.heads = nn.Linear(d, 3 * d), nn.Linear(d, d), heads

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class GPTBlock(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = CausalSelfAttention(d, heads)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(approximate="tanh"),
                                 nn.Linear(4 * d, d))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocab=11, d=8, block_size=8):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(block_size, d)
        self.h = nn.ModuleList([GPTBlock(d, 2) for _ in range(2)])
        self.ln_f = nn.LayerNorm(d)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(0, idx.size(1), dtype=torch.long))
        for block in self.h:
            x = block(x)
        return F.linear(self.ln_f(x), self.wte.weight)      # tied with the embedding


def test_gpt2_blocks_with_causal_sdpa_and_tied_output_weights_by_adamw():
    def next_token_loss(model, idx):
        logits = model(idx[:, :-1])
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), idx[:, 1:].reshape(-1))

    def make():
        model = GPT()
        return made(model, torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1),
                     next_token_loss)
    # (fused: the attention keys' bias gets a gradient zero but for rounding, which
    # AdamW divides by its own size: see compiled_like_eager's fused_scale)
    compiled_like_eager(make, two_sizes(1, [("int", 11, (2, 7))], [("int", 11, (3, 7))]),
                        traces=2, fused_scale=1e5)


class SwiGLUBlock(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.norm = nn.RMSNorm(d, eps=1e-6)
        self.w1, self.w3 = nn.Linear(d, hidden, bias=False), nn.Linear(d, hidden, bias=False)
        self.w2 = nn.Linear(hidden, d, bias=False)

    def forward(self, x):
        h = self.norm(x)
        return x + self.w2(F.silu(self.w1(h)) * self.w3(h))


def test_rmsnorm_swiglu_block_by_adamw():
    def make():
        model = SwiGLUBlock(8, 12)
        return made(model, torch.optim.AdamW(model.parameters(), lr=1e-2),
                     lambda model, x, y: F.mse_loss(model(x), y))
    compiled_like_eager(make, two_sizes(2, [(4, 3, 8), (4, 3, 8)], [(2, 3, 8), (2, 3, 8)]),
                        traces=2)


class LoRALinear(nn.Module):
    def __init__(self, base, rank=2, alpha=4.0):
        super().__init__()
        self.base = base
        self.base.requires_grad_(False)
        self.lora_A = nn.Parameter(torch.randn(rank, base.in_features) * 0.1)
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, rank))
        self.scaling = alpha / rank

    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.T @ self.lora_B.T) * self.scaling


def test_lora_adapter_on_a_frozen_linear_by_sgd_over_the_trainable_parameters():
    def make():
        model = LoRALinear(nn.Linear(6, 4))
        trainable = [p for p in model.parameters() if p.requires_grad]
        return made(model, torch.optim.SGD(trainable, lr=0.1),
                     lambda model, x, y: F.mse_loss(model(x), y))
    compiled_like_eager(make, two_sizes(3, [(8, 6), (8, 4)], [(5, 6), (5, 4)]), traces=2)


def _rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class RotaryScores(nn.Module):
    def __init__(self, d=6):
        super().__init__()
        self.q, self.k, self.d = nn.Linear(d, d), nn.Linear(d, d), d

    def forward(self, x):
        inv_freq = 1.0 / (10000 ** (torch.arange(0, self.d, 2).double() / self.d))
        t = torch.arange(x.shape[1], dtype=inv_freq.dtype)
        emb = torch.cat([torch.einsum("i,j->ij", t, inv_freq)] * 2, dim=-1)
        cos, sin = emb.cos()[None], emb.sin()[None]
        q, k = self.q(x), self.k(x)
        q_rot, k_rot = q * cos + _rotate_half(q) * sin, k * cos + _rotate_half(k) * sin
        return q_rot @ k_rot.transpose(-2, -1) / self.d ** 0.5


def test_rotary_position_embeddings_by_cos_sin_and_rotate_half_by_adam():
    def make():
        model = RotaryScores()
        return made(model, torch.optim.Adam(model.parameters(), lr=1e-2),
                     lambda model, x: model(x).softmax(-1).pow(2).sum())
    compiled_like_eager(make, two_sizes(4, [(2, 5, 6)], [(3, 5, 6)]), traces=2)


def _alibi_mask(n_heads, seq):
    start = 2 ** (-2 ** -(math.log2(n_heads) - 3))
    slopes = torch.tensor([start * start ** i for i in range(n_heads)])
    pos = torch.arange(seq)
    rel = (pos[None, :] - pos[:, None]).abs().neg().double()
    causal = torch.triu(torch.full((seq, seq), float("-inf")), diagonal=1)
    return slopes[:, None, None] * rel[None] + causal


def test_alibi_position_bias_as_a_float_attention_mask_by_sgd():
    def attention_loss(model, x):
        h = model(x)
        out = F.scaled_dot_product_attention(h, h, h, attn_mask=_alibi_mask(4, x.shape[2]))
        return out.pow(2).mean()

    def make():
        model = nn.Linear(3, 3)
        return made(model, torch.optim.SGD(model.parameters(), lr=0.1), attention_loss)
    compiled_like_eager(make, two_sizes(5, [(2, 4, 5, 3)], [(3, 4, 5, 3)]), traces=2)


class CLIP(nn.Module):
    def __init__(self):
        super().__init__()
        self.image_proj = nn.Linear(5, 3, bias=False)
        self.text_proj = nn.Linear(4, 3, bias=False)
        self.logit_scale = nn.Parameter(torch.ones([]) * np.log(1 / 0.07))

    def forward(self, image, text):
        image_features = F.normalize(self.image_proj(image), dim=-1)
        text_features = F.normalize(self.text_proj(text), dim=-1)
        logits_per_image = self.logit_scale.exp() * image_features @ text_features.t()
        return logits_per_image, logits_per_image.t()


def _clip_twin(largest_scale):
    """The CLIP step, the learned scale clamped to ``[0, largest_scale]`` after it."""
    model = CLIP()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

    def step(image, text):
        labels = torch.arange(len(image))
        logits_i, logits_t = model(image, text)
        loss = (F.cross_entropy(logits_i, labels) + F.cross_entropy(logits_t, labels)) / 2
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, largest_scale())
        return loss
    return step, {"model": model, "optimizer": optimizer}


CLIP_BATCHES = two_sizes(6, [(6, 5), (6, 4)], [(4, 5), (4, 4)])


def test_clip_contrastive_loss_with_a_learned_scale_clamped_after_each_step():
    compiled_like_eager(lambda: _clip_twin(lambda: math.log(100)), CLIP_BATCHES, traces=2)


def test_clip_scale_clamped_to_a_numpy_scalar_made_in_the_step_is_refused_at_its_line():
    # as the script writes it, np.log(100): a NumPy scalar made in the call, which the
    # trace cannot tell from one computed from values (x.data.max())
    step, _ = _clip_twin(lambda: np.log(100))
    with pytest.raises(TraceError, match=r"in-place clamp' at test_compile_scripts_later"
                       r"\.py:\d+ was made during the call"):
        ad.compile(step)(*CLIP_BATCHES[0])


def _off_diagonal(x):
    n, m = x.shape
    return x.flatten()[:-1].view(n - 1, n + 1)[:, 1:].flatten()


def _barlow_and_vicreg(model, view_a, view_b):
    za, zb = model(view_a), model(view_b)
    n = za.shape[0]
    bn_a = (za - za.mean(0)) / za.std(0, unbiased=False)
    bn_b = (zb - zb.mean(0)) / zb.std(0, unbiased=False)
    c = bn_a.T @ bn_b / n
    barlow = torch.diagonal(c).add(-1).pow(2).sum() + 5e-3 * _off_diagonal(c).pow(2).sum()
    xa, xb = za - za.mean(dim=0), zb - zb.mean(dim=0)
    std_a = torch.sqrt(xa.var(dim=0, correction=1) + 0.0001)
    std_b = torch.sqrt(xb.var(dim=0, correction=1) + 0.0001)
    std_loss = torch.mean(F.relu(1 - std_a)) / 2 + torch.mean(F.relu(1 - std_b)) / 2
    cov_a, cov_b = (xa.T @ xa) / (n - 1), (xb.T @ xb) / (n - 1)
    cov_loss = _off_diagonal(cov_a).pow(2).sum() / 4 + _off_diagonal(cov_b).pow(2).sum() / 4
    return barlow + 25 * F.mse_loss(za, zb) + 25 * std_loss + cov_loss


def test_barlow_twins_and_vicreg_losses_of_an_encoder_on_two_views():
    def make():
        model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 4))
        return made(model, torch.optim.SGD(model.parameters(), lr=0.05), _barlow_and_vicreg)
    compiled_like_eager(make, two_sizes(7, [(8, 4), (8, 4)], [(6, 4), (6, 4)]), traces=2)


def test_distillation_by_kldivloss_batchmean_with_an_eval_teacher_under_no_grad():
    def make():
        teacher = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 3)).eval()
        student = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3))
        kl = nn.KLDivLoss(reduction="batchmean")

        def loss_of(student, x, y):
            with torch.no_grad():
                teacher_logits = teacher(x)
            student_logits = student(x)
            soft = kl(F.log_softmax(student_logits / 4.0, dim=1),
                      F.softmax(teacher_logits / 4.0, dim=1)) * 16.0
            return 0.7 * soft + 0.3 * F.cross_entropy(student_logits, y)
        return made(student, torch.optim.SGD(student.parameters(), lr=0.1), loss_of,
                     teacher=teacher)
    compiled_like_eager(make, two_sizes(8, [(10, 5), ("int", 3, (10,))],
                                         [(7, 5), ("int", 3, (7,))]), traces=2)


def _focal_and_dice(model, images, masks, binary):
    logits = model(images)
    p = torch.sigmoid(logits[:, :1])
    ce = F.binary_cross_entropy_with_logits(logits[:, :1], binary, reduction="none")
    p_t = p * binary + (1 - p) * (1 - binary)
    alpha_t = 0.25 * binary + 0.75 * (1 - binary)
    focal_binary = (alpha_t * ce * ((1 - p_t) ** 2.0)).mean()
    log_pt = F.log_softmax(logits, dim=1).gather(1, masks.unsqueeze(1)).squeeze(1)
    focal = (-(1 - log_pt.exp()) ** 2.0 * log_pt).mean()
    probs = F.softmax(logits, dim=1)
    one_hot = F.one_hot(masks, num_classes=logits.shape[1]).permute(0, 3, 1, 2).double()
    intersection = torch.sum(probs * one_hot, (0, 2, 3))
    cardinality = torch.sum(probs + one_hot, (0, 2, 3))
    dice = 1.0 - (2.0 * intersection / (cardinality + 1e-6)).mean()
    return focal_binary + focal + dice


def test_focal_and_soft_dice_losses_of_a_segmentation_head():
    def make():
        model = nn.Conv2d(2, 3, 3, padding=1)
        return made(model, torch.optim.Adam(model.parameters(), lr=1e-2), _focal_and_dice)
    compiled_like_eager(make, two_sizes(
        9, [(2, 2, 5, 4), ("int", 3, (2, 5, 4)), ("bits", (2, 1, 5, 4))],
        [(3, 2, 5, 4), ("int", 3, (3, 5, 4)), ("bits", (3, 1, 5, 4))]), traces=2)


class GCNLayer(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.lin = nn.Linear(c_in, c_out)

    def forward(self, x, edge_index):
        src, dst = edge_index
        deg = torch.zeros(x.shape[0]).index_add_(0, dst, torch.ones(dst.shape[0])) + 1
        norm = deg.pow(-0.5)
        h = self.lin(x)
        messages = h[src] * (norm[src] * norm[dst]).unsqueeze(-1)
        return torch.zeros_like(h).index_add_(0, dst, messages) + h / deg.unsqueeze(-1)


class GCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = GCNLayer(3, 8), GCNLayer(8, 2)

    def forward(self, x, edge_index):
        return self.conv2(F.relu(self.conv1(x, edge_index)), edge_index)


def test_graph_convolutions_by_index_add_over_edges_given_at_each_call():
    def make():
        model = GCN()
        return made(model, torch.optim.Adam(model.parameters(), lr=0.05, weight_decay=5e-4),
                     lambda model, x, edges, y: F.cross_entropy(model(x, edges), y))
    compiled_like_eager(make, two_sizes(10, [(6, 3), ("int", 6, (2, 8)), ("int", 2, (6,))],
                                         [(7, 3), ("int", 7, (2, 9)), ("int", 2, (7,))]),
                        traces=2)


class PointNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv1d(3, 8, 1), nn.Conv1d(8, 16, 1)
        self.bn1, self.bn2 = nn.BatchNorm1d(8), nn.BatchNorm1d(16)
        self.fc = nn.Linear(16, 2)

    def forward(self, x):
        x = F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))
        x, _ = torch.max(x, 2, keepdim=True)
        return self.fc(x.view(-1, 16))


def test_pointnet_pooling_by_max_over_points_with_batch_norm_and_momentum():
    def make():
        model = PointNet()
        return made(model, torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9),
                     lambda model, x, y: F.cross_entropy(model(x), y))
    compiled_like_eager(make, two_sizes(11, [(4, 3, 10), ("int", 2, (4,))],
                                         [(5, 3, 10), ("int", 2, (5,))]), traces=2)


class PaddedClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 8, padding_idx=0)
        layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.head = nn.Linear(8, 2)

    def forward(self, src):
        pad = src == 0
        h = self.encoder(self.embed(src), src_key_padding_mask=pad)
        keep = (~pad).unsqueeze(-1).double()
        return self.head((h * keep).sum(1) / keep.sum(1))


def _padded_tokens(seed, batch, n):
    """``n`` batches of tokens 1..9 padded with 0 after a random length (at least 1)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        tokens = rng.integers(1, 10, size=(batch, 6))
        tokens[np.arange(6) >= rng.integers(1, 7, size=(batch, 1))] = 0
        out.append((tokens, rng.integers(0, 2, size=batch)))
    return out


def test_transformer_encoder_with_a_padding_mask_changing_at_each_call():
    def make():
        model = PaddedClassifier()
        return made(model, torch.optim.SGD(model.parameters(), lr=0.1),
                     lambda model, src, y: F.cross_entropy(model(src), y))
    compiled_like_eager(make, _padded_tokens(12, 3, 4) + _padded_tokens(13, 2, 2), traces=2)


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc_mu, self.fc_logvar = nn.Linear(16, 8), nn.Linear(8, 2), nn.Linear(8, 2)
        self.fc3, self.fc4 = nn.Linear(2, 8), nn.Linear(8, 16)

    def forward(self, x, eps):
        h = F.relu(self.fc1(x.view(-1, 16)))
        mu, logvar = self.fc_mu(h), self.fc_logvar(h)
        z = mu + eps * torch.exp(0.5 * logvar)
        return self.fc4(F.relu(self.fc3(z))), mu, logvar


def _vae_loss(model, x, eps):
    recon, mu, logvar = model(x, eps)
    bce = F.binary_cross_entropy_with_logits(recon, x.view(-1, 16), reduction="sum")
    return bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def test_vae_by_bce_with_logits_plus_kl_with_the_noise_given_at_each_call():
    def make():
        model = VAE()
        return made(model, torch.optim.Adam(model.parameters(), lr=1e-2), _vae_loss)
    compiled_like_eager(make, two_sizes(14, [("bits", (6, 16)), (6, 2)],
                                         [("bits", (4, 16)), (4, 2)]), traces=2)


def _contrastive(model, a, b, label, margin=2.0):
    distance = F.pairwise_distance(model(a), model(b), keepdim=True)
    return torch.mean(label * torch.pow(distance, 2)
                      + (1 - label) * torch.pow(torch.clamp(margin - distance, min=0.0), 2))


def test_siamese_network_with_a_hand_written_contrastive_loss_by_rmsprop():
    def make():
        model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))
        return made(model, torch.optim.RMSprop(model.parameters(), lr=1e-2), _contrastive)
    # (RMSprop divides each gradient by its running size: a few ulp of a small
    # gradient become a few ulp of the step, fused)
    compiled_like_eager(make, two_sizes(15, [(6, 5), (6, 5), ("bits", (6, 1))],
                                         [(4, 5), (4, 5), ("bits", (4, 1))]),
                        traces=2, fused_ulps=256)


class CausalConv1d(nn.Conv1d):
    def __init__(self, c_in, c_out, kernel_size, dilation):
        super().__init__(c_in, c_out, kernel_size, dilation=dilation)
        self.left = (kernel_size - 1) * dilation

    def forward(self, x):
        return super().forward(F.pad(x, (self.left, 0)))


class TemporalBlock(nn.Module):
    def __init__(self, c_in, c_out, dilation):
        super().__init__()
        self.conv1 = CausalConv1d(c_in, c_out, 3, dilation)
        self.conv2 = CausalConv1d(c_out, c_out, 3, dilation)
        self.skip = nn.Conv1d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x):
        return F.relu(F.relu(self.conv2(F.relu(self.conv1(x)))) + self.skip(x))


def test_temporal_convolutional_network_of_causal_dilated_convolutions():
    def next_step_loss(model, series):
        return F.mse_loss(model(series[..., :-1]), series[..., 1:])

    def make():
        model = nn.Sequential(*[TemporalBlock(2 if i == 0 else 6, 6, 2 ** i) for i in range(3)],
                              nn.Conv1d(6, 2, 1))
        return made(model, torch.optim.Adam(model.parameters(), lr=1e-2), next_step_loss)
    compiled_like_eager(make, two_sizes(16, [(4, 2, 16)], [(3, 2, 16)]), traces=2)


def test_clip_grad_norm_foreach_under_lambdalr_warmup_then_cosine():
    def lr_lambda(step, warmup=3, total=10):
        if step < warmup:
            return float(step + 1) / warmup
        return 0.5 * (1.0 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))

    def make():
        model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1))
        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-2)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)

        def step(x, y):
            loss = F.mse_loss(model(x), y) * 10
            optimizer.zero_grad()
            loss.backward()
            norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5, foreach=True)
            optimizer.step()
            scheduler.step()
            return loss, norm
        return step, {"model": model, "optimizer": optimizer, "scheduler": scheduler}
    compiled_like_eager(make, two_sizes(17, [(16, 5), (16, 1)], [(12, 5), (12, 1)]),
                        traces=2)
