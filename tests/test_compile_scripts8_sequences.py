"""Recurrent and attention training scripts (as in test_torch_scripts*.py) compiled as
steps and compared with their eager twins over 20 calls (``compile_scripts8.py``): an
LSTM classifier with gradient clipping, a GRU language model carrying its hidden state,
a GRUCell loop, a bidirectional LSTM tagger with ignore_index, a GRU seq2seq with
Bahdanau attention and teacher forcing, a Transformer encoder with a padding mask and
warmup, a GPT block with a triu mask filled with -inf, MultiheadAttention pooling with a
key padding mask, scaled_dot_product_attention with RMSNorm/SwiGLU, the full
nn.Transformer, a ViT patch embedding with a class token and einsum attention, and an
EmbeddingBag text classifier."""

from __future__ import annotations

import math

import numpy as np

from compile_scripts8 import F, compiled_like_eager, draws, nn, torch
from compile_twins import training_step

#: Fused comparisons of attention trained by Adam: see ``compiled_like_eager``
#: (test_an_attention_keys_bias_gets_a_gradient_that_is_zero_but_for_rounding).
NULL_KEY_BIAS = 1e5


def test_lstm_classifier_with_clip_grad_norm_and_adam():
    def make():
        class Classifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(4, 6, num_layers=2, batch_first=True)
                self.fc = nn.Linear(6, 3)

            def forward(self, x):
                out, (h, c) = self.lstm(x)
                return self.fc(out[:, -1, :])

        model = Classifier()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

        def step(x, labels):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), labels)
            loss.backward()
            norm = nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            optimizer.step()
            return loss, norm
        return step, {"model": model, "optimizer": optimizer}
    compiled_like_eager(make, draws(21, (3, 5, 4), ("int", 3, (3,))))


def test_gru_language_model_with_hidden_state_carried_as_an_argument():
    def make():
        class LanguageModel(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(10, 6)
                self.gru = nn.GRU(6, 8, batch_first=True)
                self.head = nn.Linear(8, 10)

            def forward(self, tokens, hidden):
                out, hidden = self.gru(self.embed(tokens), hidden)
                return self.head(out), hidden

        model = LanguageModel()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)

        def step(tokens, targets, hidden):
            optimizer.zero_grad()
            logits, hidden = model(tokens, hidden)
            loss = F.cross_entropy(logits.reshape(-1, 10), targets.reshape(-1))
            loss.backward()
            nn.utils.clip_grad_value_(model.parameters(), 0.25)
            optimizer.step()
            return loss, hidden.detach()
        return step, {"model": model, "optimizer": optimizer}
    compiled_like_eager(make, draws(22, ("int", 10, (2, 6)), ("int", 10, (2, 6)), (1, 2, 8)))


def test_gru_cell_char_model_unrolled_with_step_lr():
    def make():
        cell, head, embed = nn.GRUCell(5, 7), nn.Linear(7, 9), nn.Embedding(9, 5)
        params = [*cell.parameters(), *head.parameters(), *embed.parameters()]
        optimizer = torch.optim.Adam(params, lr=1e-2)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.7)

        def step(chars):
            h = torch.zeros(chars.shape[0], 7)
            loss = 0
            for t in range(chars.shape[1] - 1):
                h = cell(embed(chars[:, t]), h)
                loss = loss + F.cross_entropy(head(h), chars[:, t + 1])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            return loss.detach() / (chars.shape[1] - 1)
        return step, {"cell": cell, "head": head, "embed": embed, "optimizer": optimizer,
                      "scheduler": scheduler}
    compiled_like_eager(make, draws(23, ("int", 9, (3, 5))))


def test_bidirectional_lstm_tagger_with_ignore_index_and_radam():
    def make():
        class Tagger(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(11, 5, padding_idx=0)
                self.lstm = nn.LSTM(5, 4, bidirectional=True, batch_first=True)
                self.out = nn.Linear(8, 4)

            def forward(self, tokens):
                h, _ = self.lstm(self.embed(tokens))
                return self.out(h)

        model = Tagger()
        optimizer = torch.optim.RAdam(model.parameters(), lr=1e-2)

        def step(tokens, tags):
            optimizer.zero_grad()
            logits = model(tokens)
            loss = F.cross_entropy(logits.view(-1, 4), tags.view(-1), ignore_index=-100)
            loss.backward()
            optimizer.step()
            return loss
        return step, {"model": model, "optimizer": optimizer}
    # (batch 3 holds no padding: cross_entropy takes its fused path there, and the
    # plan traced on padded targets traces again for it: one plan per path)
    batches = draws(24, ("int", 11, (3, 6)), ("int", 4, (3, 6)))
    for tokens, tags in batches:
        tags[tokens == 0] = -100
    assert sum((tags == -100).any() for _, tags in batches) not in (0, len(batches))
    compiled_like_eager(make, batches, traces=2)


class BahdanauAttention(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.Wa, self.Ua, self.Va = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden), \
            nn.Linear(hidden, 1)

    def forward(self, query, keys):
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys))).squeeze(2).unsqueeze(1)
        weights = F.softmax(scores, dim=-1)
        return torch.bmm(weights, keys), weights


def test_gru_seq2seq_with_bahdanau_attention_and_teacher_forcing():
    def make():
        class Decoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(7, 6)
                self.attention = BahdanauAttention(6)
                self.gru = nn.GRU(12, 6, batch_first=True)
                self.out = nn.Linear(6, 7)

            def forward(self, encoder_outputs, hidden, target):
                decoder_input = torch.zeros(target.shape[0], 1, dtype=torch.long)
                outputs = []
                for i in range(target.shape[1]):
                    context, _ = self.attention(hidden.permute(1, 0, 2), encoder_outputs)
                    output, hidden = self.gru(
                        torch.cat((self.embedding(decoder_input), context), dim=2), hidden)
                    outputs.append(self.out(output))
                    decoder_input = target[:, i].unsqueeze(1)       # teacher forcing
                return F.log_softmax(torch.cat(outputs, dim=1), dim=-1)

        embed, encoder, decoder = nn.Embedding(8, 6), nn.GRU(6, 6, batch_first=True), Decoder()
        params = [*embed.parameters(), *encoder.parameters(), *decoder.parameters()]
        optimizer = torch.optim.Adam(params, lr=1e-2)

        def step(source, target):
            optimizer.zero_grad()
            encoder_outputs, hidden = encoder(embed(source))
            log_probs = decoder(encoder_outputs, hidden, target)
            loss = F.nll_loss(log_probs.view(-1, 7), target.view(-1))
            loss.backward()
            optimizer.step()
            return loss
        return step, {"embed": embed, "encoder": encoder, "decoder": decoder,
                      "optimizer": optimizer}
    compiled_like_eager(make, draws(25, ("int", 8, (2, 5)), ("int", 7, (2, 4))),
                        fused_scale=NULL_KEY_BIAS)


def test_transformer_encoder_with_padding_mask_positional_buffer_and_warmup_lambda():
    def make():
        class Encoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(12, 8, padding_idx=0)
                position = torch.arange(10).unsqueeze(1)
                div_term = torch.exp(torch.arange(0, 8, 2) * (-math.log(10000.0) / 8))
                pe = torch.zeros(10, 8)
                pe[:, 0::2] = torch.sin(position * div_term)
                pe[:, 1::2] = torch.cos(position * div_term)
                self.register_buffer("pe", pe)
                layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.1,
                                                   batch_first=True, norm_first=True)
                self.encoder = nn.TransformerEncoder(layer, num_layers=2,
                                                     enable_nested_tensor=False)
                self.head = nn.Linear(8, 3)

            def forward(self, tokens):
                padding = tokens == 0
                x = self.embed(tokens) * math.sqrt(8) + self.pe[:tokens.shape[1]]
                h = self.encoder(x, src_key_padding_mask=padding)
                keep = (~padding).unsqueeze(-1).float()
                return self.head((h * keep).sum(1) / keep.sum(1))

        model = Encoder()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer,
                                                      lambda s: min(1.0, (s + 1) / 5))
        things = {"model": model, "optimizer": optimizer, "scheduler": scheduler}
        return training_step(model, optimizer, scheduler=scheduler), things
    batches = draws(26, ("int", 11, (3, 6)), ("int", 3, (3,)))
    for tokens, _ in batches:
        tokens += 1
        tokens[0, 4:] = 0
    compiled_like_eager(make, batches, fused_scale=NULL_KEY_BIAS)


def test_gpt_block_with_a_triu_mask_filled_with_minus_inf_and_one_cycle():
    def make():
        class Block(nn.Module):
            def __init__(self, dim=8, heads=2, block=6):
                super().__init__()
                self.heads = heads
                self.ln_1, self.ln_2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
                self.c_attn, self.c_proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
                self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(approximate="tanh"),
                                         nn.Linear(4 * dim, dim))
                mask = torch.triu(torch.ones(block, block), diagonal=1).bool()
                self.register_buffer("mask", mask, persistent=False)

            def attention(self, x):
                B, T, C = x.size()
                q, k, v = self.c_attn(x).chunk(3, dim=-1)
                q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2)
                           for t in (q, k, v))
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
                att = F.softmax(att.masked_fill(self.mask[:T, :T], float("-inf")), dim=-1)
                return self.c_proj((att @ v).transpose(1, 2).contiguous().view(B, T, C))

            def forward(self, x):
                x = x + self.attention(self.ln_1(x))
                return x + self.mlp(self.ln_2(x))

        embed, block, head = nn.Embedding(9, 8), Block(), nn.Linear(8, 9, bias=False)
        modules = nn.ModuleList([embed, block, head])
        optimizer = torch.optim.AdamW(modules.parameters(), lr=1e-2, betas=(0.9, 0.95))
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=2e-2,
                                                        total_steps=25)

        def step(tokens, targets):
            logits = head(block(embed(tokens)))
            loss = F.cross_entropy(logits.view(-1, 9), targets.view(-1))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            return loss
        return step, {"modules": modules, "optimizer": optimizer, "scheduler": scheduler}
    compiled_like_eager(make, draws(27, ("int", 9, (2, 6)), ("int", 9, (2, 6))),
                        fused_scale=NULL_KEY_BIAS)


def test_multihead_attention_pooling_with_key_padding_mask_and_no_weights():
    def make():
        attention = nn.MultiheadAttention(8, 2, batch_first=True)
        query = nn.Parameter(torch.randn(1, 1, 8))
        head = nn.Linear(8, 2)
        optimizer = torch.optim.Adam([*attention.parameters(), query, *head.parameters()],
                                     lr=1e-2)

        def step(x, padding, labels):
            pooled, _ = attention(query.expand(x.shape[0], -1, -1), x, x,
                                  key_padding_mask=padding, need_weights=False)
            loss = F.cross_entropy(head(pooled.squeeze(1)), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"attention": attention, "query": query, "head": head,
                      "optimizer": optimizer}
    batches = [(x, np.arange(5)[None, :] >= lengths[:, None], y)
               for x, lengths, y in draws(28, (3, 5, 8), ("int", 5, (3,)), ("int", 2, (3,)))]
    for _, padding, _ in batches:
        padding[:, 0] = False
    compiled_like_eager(make, batches, fused_scale=NULL_KEY_BIAS)


def test_llama_block_with_rms_norm_swiglu_and_causal_sdpa():
    def make():
        class Block(nn.Module):
            def __init__(self, dim=8, hidden=12):
                super().__init__()
                self.norm1, self.norm2 = nn.RMSNorm(dim), nn.RMSNorm(dim)
                self.qkv, self.proj = nn.Linear(dim, 3 * dim, bias=False), nn.Linear(dim, dim)
                self.w1 = nn.Linear(dim, hidden, bias=False)
                self.w3 = nn.Linear(dim, hidden, bias=False)
                self.w2 = nn.Linear(hidden, dim, bias=False)

            def forward(self, x):
                B, T, C = x.shape
                q, k, v = self.qkv(self.norm1(x)).split(C, dim=2)
                q, k, v = (t.view(B, T, 2, C // 2).transpose(1, 2) for t in (q, k, v))
                y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
                x = x + self.proj(y.transpose(1, 2).reshape(B, T, C))
                h = self.norm2(x)
                return x + self.w2(F.silu(self.w1(h)) * self.w3(h))

        model = Block()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
        things = {"model": model, "optimizer": optimizer}
        return training_step(model, optimizer, loss_fn=F.mse_loss), things
    compiled_like_eager(make, draws(29, (2, 5, 8), (2, 5, 8)), fused_scale=NULL_KEY_BIAS)


def test_full_transformer_with_square_subsequent_mask_and_padding_masks():
    def make():
        model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                               dim_feedforward=12, dropout=0.0, batch_first=True)
        src_embed, tgt_embed, head = nn.Embedding(7, 8), nn.Embedding(7, 8), nn.Linear(8, 7)
        modules = nn.ModuleList([model, src_embed, tgt_embed, head])
        optimizer = torch.optim.Adam(modules.parameters(), lr=5e-3)
        causal = nn.Transformer.generate_square_subsequent_mask(4)

        def step(source, target_in, target_out, source_padding):
            out = model(src_embed(source), tgt_embed(target_in), tgt_mask=causal,
                        src_key_padding_mask=source_padding,
                        memory_key_padding_mask=source_padding)
            loss = F.cross_entropy(head(out).reshape(-1, 7), target_out.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"modules": modules, "optimizer": optimizer}
    batches = [(s, t[:, :4], t[:, 1:], np.arange(5)[None] >= np.array([[5], [3]]))
               for s, t in draws(30, ("int", 7, (2, 5)), ("int", 7, (2, 5)))]
    compiled_like_eager(make, batches, fused_scale=NULL_KEY_BIAS)


def test_vit_patch_embedding_with_class_token_and_einsum_attention():
    def make():
        class ViT(nn.Module):
            def __init__(self, dim=6):
                super().__init__()
                self.patch = nn.Conv2d(1, dim, 2, stride=2)
                self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
                self.pos = nn.Parameter(torch.randn(1, 5, dim) * 0.02)
                self.qkv = nn.Linear(dim, 3 * dim)
                self.norm = nn.LayerNorm(dim)
                self.head = nn.Linear(dim, 3)

            def forward(self, images):
                x = self.patch(images).flatten(2).transpose(1, 2)
                x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
                q, k, v = self.qkv(self.norm(x)).chunk(3, dim=-1)
                att = torch.einsum("bid,bjd->bij", q, k).softmax(dim=-1)
                x = x + torch.einsum("bij,bjd->bid", att, v)
                return self.head(x[:, 0])

        model = ViT()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
        warmup = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=4)
        cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=16)
        scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, [warmup, cosine],
                                                          milestones=[4])
        things = {"model": model, "optimizer": optimizer, "scheduler": scheduler}
        return training_step(model, optimizer, scheduler=scheduler), things
    compiled_like_eager(make, draws(31, (3, 1, 4, 4), ("int", 3, (3,))),
                        fused_scale=NULL_KEY_BIAS)


def test_embedding_bag_text_classifier_with_offsets_and_sgd_step_lr():
    def make():
        bag, fc = nn.EmbeddingBag(15, 6, mode="mean"), nn.Linear(6, 4)
        optimizer = torch.optim.SGD([*bag.parameters(), *fc.parameters()], lr=2.0)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.9)

        def step(text, offsets, labels):
            optimizer.zero_grad()
            loss = F.cross_entropy(fc(bag(text, offsets)), labels)
            loss.backward()
            nn.utils.clip_grad_norm_([*bag.parameters(), *fc.parameters()], 0.1)
            optimizer.step()
            scheduler.step()
            return loss
        return step, {"bag": bag, "fc": fc, "optimizer": optimizer, "scheduler": scheduler}
    batches = [(text, np.array([0, 3, 5]), labels)
               for text, labels in draws(32, ("int", 15, (9,)), ("int", 4, (3,)))]
    compiled_like_eager(make, batches)


def test_an_attention_keys_bias_gets_a_gradient_that_is_zero_but_for_rounding():
    # Why the fused comparisons above need NULL_KEY_BIAS: softmax does not see a
    # constant added to a row of scores, so the key's bias has a zero gradient but for
    # rounding, and Adam's first step moves it by lr * g / (|g| + eps), digits of noise.
    nn.manual_seed(0)
    attention = nn.MultiheadAttention(8, 2, batch_first=True)
    x = torch.tensor(np.random.default_rng(0).standard_normal((3, 5, 8)))
    out, _ = attention(x, x, x, need_weights=False)
    (out ** 2).sum().backward()
    grad = attention.in_proj_bias.grad
    assert np.abs(grad[8:16]).max() < 1e-14 < np.abs(grad[16:]).max()
