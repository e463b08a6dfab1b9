"""The twenty-ninth round of PyTorch scripts: each is written once against the
``torch`` namespace and run twice, with PyTorch and with autodiff in its place, from
the same initial weights (``torch_side_by_side.side_by_side``), and what they return
(losses, outputs, gradients, parameters after a few steps) is compared to 1e-10 in
float64.  This file: transformer pieces and the losses around them --
``nn.MultiheadAttention`` (sequence-first) with a boolean ``key_padding_mask`` and
``attn_mask`` together, ``average_attn_weights=False``, a float padding mask and
``need_weights=False``; ``scaled_dot_product_attention(is_causal=True)`` with more keys
than queries; a pre-norm ``TransformerEncoderLayer`` (GELU) with a causal mask beside a
float padding mask, trained by AdamW; ``Embedding.from_pretrained`` frozen and not (with
``padding_idx``); ``EmbeddingBag`` in its three modes with empty bags and a
``padding_idx``, and with 2-D input and ``per_sample_weights``; a sinusoidal positional
encoding kept in a buffer; ``cross_entropy`` with class weights, ``ignore_index`` and
label smoothing at once on ``(N, C, d)`` logits in each reduction; ``nll_loss`` on
``(N, C, d1, d2)`` with weights and an ignored class; ``kl_div`` with and without
``log_target`` in each reduction; ``binary_cross_entropy_with_logits`` with
``pos_weight`` and ``weight``; the ranking losses (``margin_ranking_loss``,
``triplet_margin_loss`` with ``swap`` and ``p``, ``cosine_embedding_loss``);
``smooth_l1_loss(beta=)`` including ``beta=0`` beside ``huber_loss(delta=)``;
``ctc_loss`` over batches of different input lengths; and ``Embedding`` with
``scale_grad_by_freq`` (to second order by ``autograd.grad(create_graph=True)``).
Weights and gradients of ``Linear`` layers are compared through the modules
(PyTorch's ``(out, in)`` layout).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2929)


def test_multihead_attention_with_padding_and_attention_masks_together():
    q = DATA.normal(size=(5, 2, 8))
    kv = DATA.normal(size=(6, 2, 8))
    padding = np.array([[False] * 5 + [True], [False] * 4 + [True] * 2])
    banned = np.triu(np.ones((5, 6), bool), 2)

    def script(torch, cw):
        m = torch.nn.MultiheadAttention(8, 2)
        cw(m)
        opt = torch.optim.SGD(m.parameters(), lr=0.1)
        Q, K = torch.tensor(q), torch.tensor(kv)
        out, per_head = m(Q, K, K, key_padding_mask=torch.tensor(padding),
                          attn_mask=torch.tensor(banned), need_weights=True,
                          average_attn_weights=False)
        out2, averaged = m(Q, K, K, key_padding_mask=torch.tensor(padding * -1e9))
        out3, none = m(Q, K, K, need_weights=False)
        loss = out.sum() + out2.pow(2).sum() + per_head.pow(2).sum() + out3.sum()
        loss.backward()
        grad = m.in_proj_weight.grad.clone()
        opt.step()
        return out, per_head, out2, averaged, out3, none is None, grad, m

    side_by_side(script)


def test_causal_attention_with_more_keys_than_queries():
    q = DATA.normal(size=(2, 3, 4, 5))
    k = DATA.normal(size=(2, 3, 6, 5))
    v = DATA.normal(size=(2, 3, 6, 2))

    def script(torch, cw):
        F = torch.nn.functional
        Q = torch.tensor(q, requires_grad=True)
        K = torch.tensor(k, requires_grad=True)
        V = torch.tensor(v, requires_grad=True)
        out = F.scaled_dot_product_attention(Q, K, V, is_causal=True, dropout_p=0.0)
        scaled = F.scaled_dot_product_attention(Q, K, V, is_causal=True, scale=0.3)
        (out.pow(2).sum() + scaled.sum()).backward()
        return out, scaled, Q.grad, K.grad, V.grad

    side_by_side(script)


def test_pre_norm_encoder_layer_with_causal_and_padding_masks():
    x = DATA.normal(size=(2, 5, 8))
    padding = np.where([[False] * 5, [False] * 3 + [True] * 2], -np.inf, 0.0)  # float,
    # as the causal mask is (PyTorch deprecates a bool padding mask beside a float one)

    def script(torch, cw):
        nn = torch.nn
        layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0,
                                           activation="gelu", batch_first=True,
                                           norm_first=True)
        cw(layer)
        causal = nn.Transformer.generate_square_subsequent_mask(5)
        opt = torch.optim.AdamW(layer.parameters(), lr=0.01, weight_decay=0.05)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            y = layer(torch.tensor(x), src_mask=causal,
                      src_key_padding_mask=torch.tensor(padding), is_causal=True)
            loss = y.pow(2).mean()
            loss.backward()
            opt.step()
            losses.append(loss)
        return losses, causal, layer

    side_by_side(script)


def test_pretrained_embeddings_frozen_and_fine_tuned():
    table = DATA.normal(size=(6, 3))
    idx = np.array([[0, 2, 5], [1, 1, 4]])

    def script(torch, cw):
        nn = torch.nn
        frozen = nn.Embedding.from_pretrained(torch.tensor(table))
        tuned = nn.Embedding.from_pretrained(torch.tensor(table), freeze=False, padding_idx=1)
        opt = torch.optim.SGD(tuned.parameters(), lr=0.5)
        losses = []
        for _ in range(2):
            opt.zero_grad()
            loss = (frozen(torch.tensor(idx)) * tuned(torch.tensor(idx)).tanh()).sum()
            loss.backward()
            opt.step()
            losses.append(loss)
        return (losses, frozen.weight.requires_grad, len(list(frozen.parameters())),
                frozen.weight.grad is None, tuned.weight, frozen.weight)

    side_by_side(script)


def test_embedding_bag_modes_with_empty_bags_and_padding():
    idx = np.array([1, 2, 4, 5, 4, 3, 2, 0])
    offsets = np.array([0, 2, 2, 5])                      # the second bag is empty
    weights = DATA.random(8)

    def script(torch, cw):
        nn = torch.nn
        results = []
        for mode in ["sum", "mean", "max"]:
            bag = nn.EmbeddingBag(6, 3, mode=mode, padding_idx=2)
            cw(bag)
            out = bag(torch.tensor(idx), torch.tensor(offsets))
            out.pow(2).sum().backward()
            results.append((out, bag.weight.grad))
        bag = nn.EmbeddingBag(6, 3, mode="sum")
        cw(bag)
        out = bag(torch.tensor(idx).view(2, 4),
                  per_sample_weights=torch.tensor(weights).view(2, 4))
        out.sum().backward()
        results.append((out, bag.weight.grad))
        return results

    side_by_side(script)


def test_sinusoidal_positional_encoding_in_a_buffer():
    tokens = np.array([[1, 4, 2, 0], [3, 3, 1, 2]])

    def script(torch, cw):
        nn = torch.nn

        class PositionalEncoding(nn.Module):
            def __init__(self, d_model, max_len=10):
                super().__init__()
                position = torch.arange(max_len).unsqueeze(1)
                div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0)
                                                                    / d_model))
                pe = torch.zeros(max_len, 1, d_model)
                pe[:, 0, 0::2] = torch.sin(position * div_term)
                pe[:, 0, 1::2] = torch.cos(position * div_term)
                self.register_buffer("pe", pe)

            def forward(self, x):
                return x + self.pe[: x.size(0)]

        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(5, 6)
                self.pos = PositionalEncoding(6)
                self.head = nn.Linear(6, 5)

            def forward(self, src):
                return self.head(self.pos(self.embed(src) * math.sqrt(6)))

        model = Model()
        cw(model)
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        src = torch.tensor(tokens).t()                  # (seq, batch)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            logits = model(src[:-1])
            loss = nn.functional.cross_entropy(logits.reshape(-1, 5), src[1:].reshape(-1))
            loss.backward()
            opt.step()
            losses.append(loss)
        return losses, model, sorted(model.state_dict()), model.pos.pe

    side_by_side(script)


def test_cross_entropy_with_weights_ignore_index_and_smoothing_together():
    logits = DATA.normal(size=(3, 4, 5))
    target = np.array([[0, 1, -100, 3, 2], [3, 3, 1, -100, 0], [1, 2, 0, 3, 3]])
    weight = DATA.random(4) + 0.5

    def script(torch, cw):
        F = torch.nn.functional
        results = []
        for reduction in ["mean", "sum", "none"]:
            x = torch.tensor(logits, requires_grad=True)
            loss = F.cross_entropy(x, torch.tensor(target), weight=torch.tensor(weight),
                                   ignore_index=-100, label_smoothing=0.2,
                                   reduction=reduction)
            loss.sum().backward()
            results.append((loss, x.grad))
        module = torch.nn.CrossEntropyLoss(weight=torch.tensor(weight), label_smoothing=0.1)
        results.append(module(torch.tensor(logits), torch.tensor(target)))
        return results

    side_by_side(script)


def test_nll_loss_per_pixel_with_weights_and_an_ignored_class():
    scores = DATA.normal(size=(2, 3, 2, 4))
    target = DATA.integers(0, 3, size=(2, 2, 4))
    target[0, 0, 0] = 7
    weight = DATA.random(3) + 0.3

    def script(torch, cw):
        F = torch.nn.functional
        results = []
        for reduction in ["none", "mean", "sum"]:
            x = torch.tensor(scores, requires_grad=True)
            loss = F.nll_loss(F.log_softmax(x, 1), torch.tensor(target),
                              weight=torch.tensor(weight), ignore_index=7,
                              reduction=reduction)
            loss.sum().backward()
            results.append((loss, x.grad))
        return results

    side_by_side(script)


def test_kl_div_with_and_without_log_target_in_each_reduction():
    a = DATA.normal(size=(3, 4))
    b = DATA.normal(size=(3, 4))

    def script(torch, cw):
        F = torch.nn.functional
        results = []
        for reduction in ["batchmean", "sum", "none", "mean"]:
            for log_target in [True, False]:
                x = torch.tensor(a, requires_grad=True)
                target = F.log_softmax(torch.tensor(b), -1)
                if not log_target:
                    target = target.exp()
                loss = F.kl_div(F.log_softmax(x, -1), target, reduction=reduction,
                                log_target=log_target)
                loss.sum().backward()
                results.append((loss, x.grad))
        return results

    side_by_side(script)


def test_bce_with_logits_pos_weight_and_weight():
    logits = DATA.normal(size=(4, 3))
    target = (DATA.random((4, 3)) > 0.5).astype(float)
    pos_weight = DATA.random(3) + 0.5
    weight = DATA.random((4, 1))

    def script(torch, cw):
        F = torch.nn.functional
        x = torch.tensor(logits, requires_grad=True)
        loss = F.binary_cross_entropy_with_logits(x, torch.tensor(target),
                                                  weight=torch.tensor(weight),
                                                  pos_weight=torch.tensor(pos_weight))
        loss.backward()
        per_item = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pos_weight),
                                              reduction="none")
        return loss, x.grad, per_item(torch.tensor(logits), torch.tensor(target))

    side_by_side(script)


def test_ranking_losses():
    a, b = DATA.normal(size=5), DATA.normal(size=5)
    y = np.array([1.0, -1, 1, -1, 1])
    anchor, positive, negative = (DATA.normal(size=(5, 4)) for _ in range(3))

    def script(torch, cw):
        F = torch.nn.functional
        x1 = torch.tensor(a, requires_grad=True)
        x2 = torch.tensor(b, requires_grad=True)
        an = torch.tensor(anchor, requires_grad=True)
        po = torch.tensor(positive, requires_grad=True)
        ne = torch.tensor(negative, requires_grad=True)
        l1 = F.margin_ranking_loss(x1, x2, torch.tensor(y), margin=0.3)
        l2 = F.triplet_margin_loss(an, po, ne, margin=0.5, p=1, swap=True)
        l3 = F.triplet_margin_loss(an, po, ne, margin=2.0, p=3, eps=1e-6, reduction="sum")
        l4 = F.cosine_embedding_loss(an, po, torch.tensor(y), margin=0.2)
        l5 = F.cosine_embedding_loss(an, po, torch.tensor(y), reduction="none")
        (l1 + l2 + l3 + l4 + l5.sum()).backward()
        return l1, l2, l3, l4, l5, x1.grad, x2.grad, an.grad, po.grad, ne.grad

    side_by_side(script)


def test_smooth_l1_beta_including_zero_beside_huber_delta():
    a = DATA.normal(size=(4, 3)) * 2
    b = DATA.normal(size=(4, 3))

    def script(torch, cw):
        F = torch.nn.functional
        results = []
        for beta in [0.5, 0.0, 2.0]:
            x = torch.tensor(a, requires_grad=True)
            loss = F.smooth_l1_loss(x, torch.tensor(b), beta=beta)
            loss.backward()
            results.append((loss, x.grad))
        for delta in [0.3, 1.0, 3.0]:
            x = torch.tensor(a, requires_grad=True)
            loss = F.huber_loss(x, torch.tensor(b), delta=delta, reduction="sum")
            loss.backward()
            results.append((loss, x.grad))
        return results

    side_by_side(script)


def test_ctc_loss_over_inputs_of_different_lengths():
    scores = DATA.normal(size=(7, 2, 5))
    targets = np.array([[1, 2, 2], [3, 1, 0]])

    def script(torch, cw):
        F = torch.nn.functional
        results = []
        for reduction in ["mean", "sum", "none"]:
            x = torch.tensor(scores, requires_grad=True)
            loss = F.ctc_loss(F.log_softmax(x, -1), torch.tensor(targets),
                              torch.tensor([7, 6]), torch.tensor([3, 2]), blank=0,
                              reduction=reduction)
            loss.sum().backward()
            results.append((loss, x.grad))
        return results

    side_by_side(script)


def test_embedding_gradients_scaled_by_frequency_to_second_order():
    idx = np.array([[1, 2, 2], [5, 2, 1]])
    weights = DATA.random(6) + 0.2

    def script(torch, cw):
        nn, F = torch.nn, torch.nn.functional
        emb = nn.Embedding(6, 3, scale_grad_by_freq=True, padding_idx=5)
        cw(emb)
        opt = torch.optim.SGD(emb.parameters(), lr=0.1)
        losses = []
        for _ in range(2):
            opt.zero_grad()
            loss = emb(torch.tensor(idx)).pow(2).sum()
            loss.backward()
            opt.step()
            losses.append(loss)
        table = torch.tensor(DATA_TABLE, requires_grad=True)
        rows = F.embedding(torch.tensor([3, 0, 3, 3]), table, scale_grad_by_freq=True)
        (grad,) = torch.autograd.grad((rows ** 3).sum(), [table], create_graph=True)
        (grad * torch.tensor(weights[:4, None])).sum().backward()
        return losses, emb, grad, table.grad

    side_by_side(script)


DATA_TABLE = DATA.normal(size=(4, 2))
