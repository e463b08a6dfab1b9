"""A seventh round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; losses per step and final weights must agree (float64 to 1e-10).
Random parts take their draws from NumPy so both runs see the same numbers.  Here,
the idioms of decoder-only language models: ``F.scaled_dot_product_attention`` with
``is_causal`` and masks, a GPT block with a ``triu`` causal mask filled with ``-inf``,
rotary position embeddings, an ``nn.RMSNorm`` / SwiGLU block, ``nn.MultiheadAttention``
with a key padding mask and ``need_weights=False``, and an
``nn.AdaptiveLogSoftmaxWithLoss`` head (more in test_torch_scripts_seventh_vision.py,
_probabilistic.py, _training.py and _more.py; what they found missing is in
test_torch_scripts_seventh_gaps.py and _gaps_more.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(71)


# --- scaled_dot_product_attention with is_causal and masks --------------------------

def test_scaled_dot_product_attention_causal_bool_and_float_masks():
    tokens = DATA.normal(size=(3, 2, 5, 8))
    targets = DATA.normal(size=(3, 2, 5, 8))
    keep = DATA.uniform(size=(5, 5)) < 0.7
    np.fill_diagonal(keep, True)
    bias = DATA.normal(size=(5, 5))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class Attention(nn.Module):
            def __init__(self, dim, heads):
                super().__init__()
                self.heads = heads
                self.qkv = nn.Linear(dim, 3 * dim)
                self.proj = nn.Linear(dim, dim)

            def forward(self, x, mode):
                B, T, C = x.shape
                q, k, v = self.qkv(x).split(C, dim=2)
                q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2)
                           for t in (q, k, v))
                if mode == "causal":
                    y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
                elif mode == "bool":
                    y = F.scaled_dot_product_attention(q, k, v, attn_mask=torch.from_numpy(keep))
                else:
                    y = F.scaled_dot_product_attention(q, k, v, attn_mask=torch.from_numpy(bias),
                                                       scale=0.5)
                return self.proj(y.transpose(1, 2).contiguous().view(B, T, C))

        model = Attention(8, 2)
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        losses, checks = [], []
        for i in range(3):
            x = torch.from_numpy(tokens[i])
            loss = sum(F.mse_loss(model(x, mode), torch.from_numpy(targets[i]))
                       for mode in ("causal", "bool", "float"))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            with torch.no_grad():        # the causal attention by hand
                q = k = v = x.view(2, 5, 2, 4).transpose(1, 2)
                scores = q @ k.transpose(-2, -1) / math.sqrt(4)
                causal = torch.ones(5, 5, dtype=torch.bool).tril(diagonal=0)
                scores = scores.masked_fill(~causal, float("-inf"))
                by_hand = torch.softmax(scores, dim=-1) @ v
                built_in = F.scaled_dot_product_attention(q, k, v, is_causal=True)
                checks.append((by_hand - built_in).abs().max().item())
        assert max(checks) < 1e-12
        return losses, model
    side_by_side(script)


# --- A GPT block with a triu causal mask filled with -inf ---------------------------

def test_gpt_decoder_with_triu_causal_mask_masked_fill_and_tanh_gelu():
    text = DATA.integers(0, 11, size=(3, 2, 7))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class CausalSelfAttention(nn.Module):
            def __init__(self, n_embd, n_head, block_size):
                super().__init__()
                self.n_head = n_head
                self.c_attn = nn.Linear(n_embd, 3 * n_embd)
                self.c_proj = nn.Linear(n_embd, n_embd)
                mask = torch.triu(torch.ones(block_size, block_size), diagonal=1).bool()
                self.register_buffer("mask", mask, persistent=False)

            def forward(self, x):
                B, T, C = x.size()
                q, k, v = self.c_attn(x).chunk(3, dim=-1)
                k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
                q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
                v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
                att = att.masked_fill(self.mask[:T, :T], float("-inf"))
                att = F.softmax(att, dim=-1)
                y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
                return self.c_proj(y)

        class Block(nn.Module):
            def __init__(self, n_embd, n_head, block_size):
                super().__init__()
                self.ln_1 = nn.LayerNorm(n_embd)
                self.attn = CausalSelfAttention(n_embd, n_head, block_size)
                self.ln_2 = nn.LayerNorm(n_embd)
                self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd),
                                         nn.GELU(approximate="tanh"),
                                         nn.Linear(4 * n_embd, n_embd))

            def forward(self, x):
                x = x + self.attn(self.ln_1(x))
                return x + self.mlp(self.ln_2(x))

        class GPT(nn.Module):
            def __init__(self, vocab_size, n_embd=8, n_head=2, block_size=8, n_layer=2):
                super().__init__()
                self.wte = nn.Embedding(vocab_size, n_embd)
                self.wpe = nn.Embedding(block_size, n_embd)
                self.h = nn.ModuleList([Block(n_embd, n_head, block_size)
                                        for _ in range(n_layer)])
                self.ln_f = nn.LayerNorm(n_embd)
                self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)

            def forward(self, idx, targets=None):
                b, t = idx.size()
                pos = torch.arange(0, t, dtype=torch.long)
                x = self.wte(idx) + self.wpe(pos)
                for block in self.h:
                    x = block(x)
                logits = self.lm_head(self.ln_f(x))
                loss = None
                if targets is not None:
                    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1),
                                           ignore_index=-1)
                return logits, loss

        model = GPT(11)
        copy_weights(model)
        assert "h.0.attn.mask" not in model.state_dict()
        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, betas=(0.9, 0.95),
                                      weight_decay=0.1)
        losses = []
        for i in range(3):
            batch = torch.from_numpy(text[i])
            x, y = batch[:, :-1], batch[:, 1:].clone()
            y[:, 0] = -1                          # no loss on the first position
            logits, loss = model(x, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():                     # greedy generation of three tokens
            idx = torch.from_numpy(text[0][:, :3])
            for _ in range(3):
                logits, _ = model(idx[:, -8:])
                next_token = torch.argmax(logits[:, -1, :], dim=-1, keepdim=True)
                idx = torch.cat((idx, next_token), dim=1)
        return losses, idx, model
    side_by_side(script)


# --- Rotary position embeddings -----------------------------------------------------

def test_rotary_position_embeddings_with_stack_cat_and_unbind():
    tokens = DATA.normal(size=(3, 2, 6, 8))
    targets = DATA.normal(size=(3, 2, 6, 8))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        def rotate_half(x):
            x1, x2 = x.chunk(2, dim=-1)
            return torch.cat((-x2, x1), dim=-1)

        def rotate_pairs(x, cos, sin):        # the interleaved (GPT-J) spelling
            x1, x2 = x[..., ::2], x[..., 1::2]
            rotated = torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)
            return rotated.flatten(-2)

        class RotaryEmbedding(nn.Module):
            def __init__(self, dim, base=10000.0):
                super().__init__()
                inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
                self.register_buffer("inv_freq", inv_freq, persistent=False)

            def forward(self, seq_len):
                t = torch.arange(seq_len, dtype=self.inv_freq.dtype)
                freqs = torch.outer(t, self.inv_freq)
                emb = torch.cat((freqs, freqs), dim=-1)
                return emb.cos()[None, None, :, :], emb.sin()[None, None, :, :], freqs

        class RoPEAttention(nn.Module):
            def __init__(self, dim, heads):
                super().__init__()
                self.heads = heads
                self.qkv = nn.Linear(dim, 3 * dim, bias=False)
                self.out = nn.Linear(dim, dim)
                self.rotary = RotaryEmbedding(dim // heads)

            def forward(self, x, interleaved):
                B, T, C = x.shape
                qkv = self.qkv(x).view(B, T, 3, self.heads, C // self.heads)
                q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
                cos, sin, freqs = self.rotary(T)
                if interleaved:
                    q, k = (rotate_pairs(t, freqs.cos(), freqs.sin()) for t in (q, k))
                else:
                    q = q * cos + rotate_half(q) * sin
                    k = k * cos + rotate_half(k) * sin
                y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
                return self.out(y.transpose(1, 2).reshape(B, T, C))

        model = RoPEAttention(8, 2)
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
        losses = []
        for i in range(3):
            x, y = torch.from_numpy(tokens[i]), torch.from_numpy(targets[i])
            loss = F.mse_loss(model(x, False), y) + F.l1_loss(model(x, True), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model
    # The frequencies are float32 (``.float()``), and PyTorch's float32 cosine is not
    # always correctly rounded (cos(1) is one ulp off), so the runs differ by ~1e-10.
    side_by_side(script, tol=1e-8)


# --- RMSNorm and a SwiGLU feed-forward ----------------------------------------------

def test_llama_style_block_with_rms_norm_and_swiglu():
    tokens = DATA.normal(size=(3, 2, 5, 8))
    targets = DATA.normal(size=(3, 2, 5, 8))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class RMSNorm(nn.Module):             # the hand-written one, beside nn.RMSNorm
            def __init__(self, dim, eps=1e-6):
                super().__init__()
                self.eps = eps
                self.weight = nn.Parameter(torch.ones(dim))

            def forward(self, x):
                norm = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
                return norm * self.weight

        class SwiGLU(nn.Module):
            def __init__(self, dim, hidden):
                super().__init__()
                self.w1 = nn.Linear(dim, hidden, bias=False)
                self.w2 = nn.Linear(hidden, dim, bias=False)
                self.w3 = nn.Linear(dim, hidden, bias=False)

            def forward(self, x):
                return self.w2(F.silu(self.w1(x)) * self.w3(x))

        class FusedSwiGLU(nn.Module):
            def __init__(self, dim, hidden):
                super().__init__()
                self.w12 = nn.Linear(dim, 2 * hidden, bias=False)
                self.w3 = nn.Linear(hidden, dim, bias=False)

            def forward(self, x):
                x1, x2 = self.w12(x).chunk(2, dim=-1)
                return self.w3(nn.SiLU()(x1) * x2)

        class Block(nn.Module):
            def __init__(self, dim):
                super().__init__()
                self.attention_norm = nn.RMSNorm(dim, eps=1e-6)
                self.ffn_norm = RMSNorm(dim)
                self.mixer = nn.Linear(dim, dim, bias=False)
                self.feed_forward = SwiGLU(dim, 12)
                self.fused = FusedSwiGLU(dim, 6)
                self.final = nn.RMSNorm([5, dim], elementwise_affine=False)

            def forward(self, x):
                h = x + self.mixer(self.attention_norm(x))
                h = h + self.feed_forward(self.ffn_norm(h)) + self.fused(h)
                return self.final(h)

        model = Block(8)
        copy_weights(model)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
        losses = []
        for i in range(3):
            out = model(torch.from_numpy(tokens[i]))
            loss = F.mse_loss(out, torch.from_numpy(targets[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            x = torch.from_numpy(tokens[0])
            by_function = F.rms_norm(x, (8,), model.attention_norm.weight, eps=1e-6)
            difference = (by_function - model.attention_norm(x)).abs().max().item()
        assert difference < 1e-12
        return losses, model
    side_by_side(script)


# --- nn.MultiheadAttention with a key padding mask and need_weights=False -----------

def test_multihead_attention_pooling_with_key_padding_mask_and_no_weights():
    tokens = DATA.integers(1, 9, size=(3, 4, 6))
    lengths = np.array([[6, 4, 2, 5], [3, 6, 6, 1], [2, 2, 5, 6]])
    for batch, batch_lengths in zip(tokens, lengths):
        for row, length in zip(batch, batch_lengths):
            row[length:] = 0
    labels = DATA.integers(0, 2, size=(3, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class Classifier(nn.Module):
            def __init__(self, vocab, dim, heads):
                super().__init__()
                self.embed = nn.Embedding(vocab, dim, padding_idx=0)
                self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
                self.norm = nn.LayerNorm(dim)
                self.head = nn.Linear(dim, 2)

            def forward(self, x):
                padding = x == 0
                h = self.embed(x)
                attended, weights = self.attn(h, h, h, key_padding_mask=padding,
                                              need_weights=False)
                assert weights is None
                h = self.norm(h + attended)
                keep = (~padding).unsqueeze(-1).to(h.dtype)
                pooled = (h * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1.0)
                return self.head(pooled)

        model = Classifier(9, 8, 2)
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        losses = []
        for i in range(3):
            logits = model(torch.from_numpy(tokens[i]))
            loss = F.cross_entropy(logits, torch.from_numpy(labels[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():           # averaged weights: zero on padded keys
            h = model.embed(torch.from_numpy(tokens[0]))
            _, weights = model.attn(h, h, h, key_padding_mask=torch.from_numpy(tokens[0] == 0))
        return losses, weights, model
    side_by_side(script)


# --- An adaptive softmax head over a frequency-sorted vocabulary ---------------------

def test_adaptive_log_softmax_language_model_with_cutoffs():
    text = DATA.integers(0, 20, size=(3, 3, 6))

    def script(torch, copy_weights):
        nn = torch.nn

        class LanguageModel(nn.Module):
            def __init__(self, vocab, dim):
                super().__init__()
                self.embed = nn.Embedding(vocab, dim)
                self.rnn = nn.GRU(dim, dim, batch_first=True)
                self.adaptive = nn.AdaptiveLogSoftmaxWithLoss(dim, vocab, cutoffs=[4, 10],
                                                              div_value=2.0)

            def forward(self, x, y):
                h, _ = self.rnn(self.embed(x))
                return self.adaptive(h.reshape(-1, h.size(-1)), y.reshape(-1))

        model = LanguageModel(20, 8)
        copy_weights(model)
        optimizer = torch.optim.Adagrad(model.parameters(), lr=0.1)
        losses = []
        for i in range(3):
            batch = torch.from_numpy(text[i])
            output, loss = model(batch[:, :-1], batch[:, 1:])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append((loss.item(), output.sum().item()))
        model.eval()
        with torch.no_grad():
            h, _ = model.rnn(model.embed(torch.from_numpy(text[0])))
            flat = h.reshape(-1, 8)
            log_probs = model.adaptive.log_prob(flat)
            predictions = model.adaptive.predict(flat)
        assert bool((predictions == log_probs.argmax(dim=1)).all())
        return losses, log_probs, predictions, model
    side_by_side(script)
