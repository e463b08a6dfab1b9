"""A fifteenth round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; values must agree (float64 to 1e-10).  Random parts take their
draws from NumPy so both runs see the same numbers.  Here, language-model pieces: a
GPT-2-style block (``F.scaled_dot_product_attention(is_causal=True)``, weight tying by
``F.linear``), rotary position embeddings by ``cos``/``sin`` and ``rotate_half``, an
``nn.RMSNorm`` + SwiGLU block, greedy generation with a key/value cache, LoRA adapters on
a frozen ``Linear`` (``requires_grad_(False)``), mixture-of-experts routing
by ``topk`` and ``scatter_add``, label-smoothed cross-entropy with ``ignore_index``,
Llama's rotary embeddings by ``torch.polar`` and ``view_as_complex``, top-k / top-p
filtering of logits (``sort``, ``cumsum``, ``scatter``) and an ALiBi bias as a float
``attn_mask`` (training utilities: test_torch_scripts_fifteenth_training.py; losses
and small models: _losses.py; what the round found different: _gaps.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1515)


def test_gpt2_block_with_causal_sdpa_and_tied_output_weights():
    tokens = DATA.integers(0, 11, size=(2, 7))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class CausalSelfAttention(nn.Module):
            def __init__(self, d, heads):
                super().__init__()
                self.c_attn = nn.Linear(d, 3 * d)
                self.c_proj = nn.Linear(d, d)
                self.heads = heads

            def forward(self, x):
                B, T, C = x.size()
                q, k, v = self.c_attn(x).split(C, dim=2)
                q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
                k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
                v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
                y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
                y = y.transpose(1, 2).contiguous().view(B, T, C)
                return self.c_proj(y)

        class Block(nn.Module):
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
                self.wte = nn.Embedding(vocab, d)
                self.wpe = nn.Embedding(block_size, d)
                self.h = nn.ModuleList([Block(d, 2) for _ in range(2)])
                self.ln_f = nn.LayerNorm(d)

            def forward(self, idx):
                pos = torch.arange(0, idx.size(1), dtype=torch.long)
                x = self.wte(idx) + self.wpe(pos)
                for block in self.h:
                    x = block(x)
                return F.linear(self.ln_f(x), self.wte.weight)   # tied with the embedding

        model = GPT()
        copy_weights(model)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
        idx = torch.from_numpy(tokens)
        losses = []
        for _ in range(3):
            logits = model(idx[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), idx[:, 1:].reshape(-1))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model.wte.weight.grad, model
    side_by_side(script)


def test_rotary_position_embeddings_by_cos_sin_and_rotate_half():
    queries, keys = DATA.normal(size=(2, 2, 5, 6)), DATA.normal(size=(2, 2, 5, 6))

    def script(torch, copy_weights):
        def rotate_half(x):
            x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
            return torch.cat((-x2, x1), dim=-1)

        dim, seq_len = 6, 5
        inv_freq = 1.0 / (10000 ** (torch.arange(0, dim, 2).double() / dim))
        t = torch.arange(seq_len, dtype=inv_freq.dtype)
        freqs = torch.einsum("i,j->ij", t, inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None, :, :], emb.sin()[None, None, :, :]
        q = torch.tensor(queries, requires_grad=True)
        k = torch.tensor(keys, requires_grad=True)
        q_rot = q * cos + rotate_half(q) * sin
        k_rot = k * cos + rotate_half(k) * sin
        scores = q_rot @ k_rot.transpose(-2, -1) / dim ** 0.5
        scores.softmax(-1).pow(2).sum().backward()
        return q_rot, scores, q.grad, k.grad
    side_by_side(script)


def test_rmsnorm_swiglu_block_trained_by_adamw():
    inputs, targets = DATA.normal(size=(4, 3, 8)), DATA.normal(size=(4, 3, 8))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class SwiGLU(nn.Module):
            def __init__(self, d, hidden):
                super().__init__()
                self.w1 = nn.Linear(d, hidden, bias=False)
                self.w2 = nn.Linear(hidden, d, bias=False)
                self.w3 = nn.Linear(d, hidden, bias=False)

            def forward(self, x):
                return self.w2(F.silu(self.w1(x)) * self.w3(x))

        class Block(nn.Module):
            def __init__(self, d):
                super().__init__()
                self.norm = nn.RMSNorm(d, eps=1e-6)
                self.ffn = SwiGLU(d, 12)

            def forward(self, x):
                return x + self.ffn(self.norm(x))

        model = Block(8)
        copy_weights(model)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        losses = []
        for _ in range(4):
            loss = F.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model
    side_by_side(script)


def test_greedy_generation_with_a_key_value_cache_matches_full_recompute():
    prompt = DATA.integers(0, 9, size=(1, 3))

    def script(torch, copy_weights):
        nn = torch.nn

        class TinyDecoder(nn.Module):
            def __init__(self, vocab=9, d=6):
                super().__init__()
                self.embed = nn.Embedding(vocab, d)
                self.pos = nn.Embedding(16, d)
                self.qkv = nn.Linear(d, 3 * d)
                self.out = nn.Linear(d, vocab)

            def forward(self, idx, start=0, past=None):
                pos = torch.arange(start, start + idx.shape[1])
                x = self.embed(idx) + self.pos(pos)
                q, k, v = self.qkv(x).chunk(3, dim=-1)
                if past is not None:
                    k = torch.cat([past[0], k], dim=1)
                    v = torch.cat([past[1], v], dim=1)
                scores = q @ k.transpose(1, 2) / k.shape[-1] ** 0.5
                t_q, t_k = q.shape[1], k.shape[1]
                mask = torch.ones(t_q, t_k, dtype=torch.bool).tril(diagonal=t_k - t_q)
                scores = scores.masked_fill(~mask, float("-inf"))
                return self.out(scores.softmax(-1) @ v), (k, v)

        model = TinyDecoder()
        copy_weights(model)
        model.eval()
        idx = torch.from_numpy(prompt)
        with torch.no_grad():
            logits, past = model(idx)
            cached, last_logits = idx, []
            for _ in range(5):
                next_token = logits[:, -1, :].argmax(dim=-1, keepdim=True)
                cached = torch.cat([cached, next_token], dim=1)
                logits, past = model(next_token, start=cached.shape[1] - 1, past=past)
                last_logits.append(logits[:, -1])
            full, _ = model(cached)
        return cached, torch.stack(last_logits, 1), full[:, -6:]
    theirs, ours = side_by_side(script)
    np.testing.assert_allclose(ours[1].numpy()[:, :-1], ours[2].numpy()[:, 1:-1], atol=1e-12)


def test_lora_adapter_on_a_frozen_linear_then_merged():
    inputs, targets = DATA.normal(size=(8, 6)), DATA.normal(size=(8, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

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

        model = LoRALinear(nn.Linear(6, 4))
        copy_weights(model)
        trainable = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.SGD(trainable, lr=0.1)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        for _ in range(5):
            loss = F.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            adapted = model(x)
        frozen_grad = model.base.weight.grad
        n_trainable = sum(p.numel() for p in trainable)
        return loss.item(), adapted, frozen_grad, n_trainable, model
    theirs, ours = side_by_side(script)
    assert ours[3] == 2 * 6 + 4 * 2      # merging the adapter: the _gaps.py file


def test_mixture_of_experts_routing_by_topk_and_scatter_add():
    inputs = DATA.normal(size=(10, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class MoE(nn.Module):
            def __init__(self, d=4, n_experts=3, k=2):
                super().__init__()
                self.gate = nn.Linear(d, n_experts, bias=False)
                self.experts = nn.ModuleList([nn.Linear(d, d) for _ in range(n_experts)])
                self.k = k

            def forward(self, x):
                weights, chosen = self.gate(x).topk(self.k, dim=-1)
                weights = F.softmax(weights, dim=-1)
                out = torch.zeros_like(x)
                for i, expert in enumerate(self.experts):
                    token, slot = torch.where(chosen == i)
                    if token.numel() == 0:
                        continue
                    y = expert(x[token]) * weights[token, slot, None]
                    out = out.scatter_add(0, token[:, None].expand(-1, x.shape[1]), y)
                load = torch.zeros(len(self.experts)).scatter_add_(
                    0, chosen.flatten(), torch.ones(chosen.numel()))
                return out, load

        model = MoE()
        copy_weights(model)
        x = torch.from_numpy(inputs)
        out, load = model(x)
        out.pow(2).sum().backward()
        torch.optim.SGD(model.parameters(), lr=0.1).step()   # Linear grads: by the weights
        return out, load, [e.bias.grad for e in model.experts], model
    side_by_side(script)


def test_label_smoothed_cross_entropy_with_ignore_index_on_padded_targets():
    logits_np = DATA.normal(size=(3, 5, 7))
    targets_np = DATA.integers(0, 7, size=(3, 5))
    targets_np[0, 3:] = -100
    targets_np[2, 1:] = 0

    def script(torch, copy_weights):
        nn = torch.nn
        logits = torch.tensor(logits_np, requires_grad=True)
        targets = torch.from_numpy(targets_np)
        mean_loss = nn.CrossEntropyLoss(label_smoothing=0.1)(
            logits.view(-1, 7), targets.view(-1))
        pad_zero = nn.CrossEntropyLoss(ignore_index=0, label_smoothing=0.2,
                                       reduction="sum")(logits.transpose(1, 2),
                                                        targets.clamp(min=0))
        per_token = torch.nn.functional.cross_entropy(
            logits.transpose(1, 2), targets, label_smoothing=0.3, reduction="none")
        (mean_loss + pad_zero + per_token.sum()).backward()
        return mean_loss, pad_zero, per_token, logits.grad
    side_by_side(script)


def test_llama_rotary_embeddings_by_polar_and_view_as_complex():
    xq_np, xk_np = DATA.normal(size=(2, 5, 2, 6)), DATA.normal(size=(2, 5, 2, 6))

    def script(torch, copy_weights):
        def precompute_freqs_cis(dim, end, theta=10000.0):
            freqs = 1.0 / (theta ** (torch.arange(0, dim, 2)[: (dim // 2)].double() / dim))
            t = torch.arange(end, dtype=torch.float64)
            freqs = torch.outer(t, freqs)
            return torch.polar(torch.ones_like(freqs), freqs)
        def reshape_for_broadcast(freqs_cis, x):
            ndim = x.ndim
            shape = [d if i == 1 or i == ndim - 1 else 1 for i, d in enumerate(x.shape)]
            return freqs_cis.view(*shape)
        def apply_rotary_emb(xq, xk, freqs_cis):
            xq_ = torch.view_as_complex(xq.reshape(*xq.shape[:-1], -1, 2))
            xk_ = torch.view_as_complex(xk.reshape(*xk.shape[:-1], -1, 2))
            freqs_cis = reshape_for_broadcast(freqs_cis, xq_)
            xq_out = torch.view_as_real(xq_ * freqs_cis).flatten(3)
            xk_out = torch.view_as_real(xk_ * freqs_cis).flatten(3)
            return xq_out.type_as(xq), xk_out.type_as(xk)
        xq = torch.tensor(xq_np, requires_grad=True)
        xk = torch.tensor(xk_np, requires_grad=True)
        freqs_cis = precompute_freqs_cis(6, 5)
        q, k = apply_rotary_emb(xq, xk, freqs_cis)
        scores = torch.matmul(q.transpose(1, 2), k.transpose(1, 2).transpose(2, 3)) / 6 ** 0.5
        scores.softmax(-1).pow(2).sum().backward()
        return freqs_cis.real, freqs_cis.imag, q, k, xq.grad, xk.grad
    side_by_side(script)


def test_top_k_top_p_filtering_of_next_token_logits():
    logits_np = DATA.normal(size=(3, 10))

    def script(torch, copy_weights):
        F = torch.nn.functional
        def top_k_top_p_filtering(logits, top_k=0, top_p=1.0, filter_value=-float("Inf")):
            if top_k > 0:
                indices_to_remove = logits < torch.topk(logits, top_k)[0][..., -1, None]
                logits = logits.masked_fill(indices_to_remove, filter_value)
            if top_p < 1.0:
                sorted_logits, sorted_indices = torch.sort(logits, descending=True)
                cumulative_probs = torch.cumsum(F.softmax(sorted_logits, dim=-1), dim=-1)
                sorted_indices_to_remove = cumulative_probs > top_p
                sorted_indices_to_remove[..., 1:] = sorted_indices_to_remove[..., :-1].clone()
                sorted_indices_to_remove[..., 0] = 0
                indices_to_remove = sorted_indices_to_remove.scatter(1, sorted_indices,
                                                                     sorted_indices_to_remove)
                logits = logits.masked_fill(indices_to_remove, filter_value)
            return logits
        logits = torch.tensor(logits_np, requires_grad=True)
        filtered = top_k_top_p_filtering(logits / 0.8, top_k=6, top_p=0.9)
        probs = F.softmax(filtered, dim=-1)
        (probs * torch.arange(10.0)).sum().backward()
        return filtered, probs, logits.grad, (probs > 0).sum(-1)
    side_by_side(script)


def test_alibi_position_bias_as_a_float_attention_mask():
    x_np = DATA.normal(size=(2, 4, 5, 3))

    def script(torch, copy_weights):
        F = torch.nn.functional
        def get_slopes(n):
            start = 2 ** (-2 ** -(math.log2(n) - 3))
            return [start * start ** i for i in range(n)]
        n_heads, seq = 4, 5
        slopes = torch.tensor(get_slopes(n_heads))
        pos = torch.arange(seq)
        rel = (pos[None, :] - pos[:, None]).abs().neg().double()
        alibi = slopes[:, None, None] * rel[None]
        causal = torch.triu(torch.full((seq, seq), float("-inf")), diagonal=1)
        x = torch.tensor(x_np, requires_grad=True)
        out = F.scaled_dot_product_attention(x, x, x, attn_mask=alibi + causal)
        out.sum().backward()
        return alibi, out, x.grad
    side_by_side(script)
