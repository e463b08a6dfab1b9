"""A twenty-fourth round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; values must agree (float64 to 1e-10).  Random parts take their
draws from NumPy so both runs see the same numbers.  Here, sequence models with the
options PyTorch users reach for: a pre-norm ``TransformerEncoder`` with GELU, a causal
mask from ``generate_square_subsequent_mask`` beside a key padding mask and
``is_causal=True``; ``MultiheadAttention`` in sequence-first layout with a float
attention mask, a float key padding mask and per-head weights
(``average_attn_weights=False``); a GRU encoder-decoder trained with teacher forcing on
a fixed schedule and label smoothing; a two-layer bidirectional ``LSTM`` with
``proj_size`` over ``pack_padded_sequence(enforce_sorted=False)``; a full
``nn.Transformer`` with ``norm_first`` and memory padding; grouped-query
``scaled_dot_product_attention`` with a boolean mask and an explicit ``scale``; left
padding by ``pad_sequence(padding_side='left')`` beside ``pack_sequence`` and
``unpack_sequence``; a language model whose output layer shares the embedding through
``F.linear``; ``AdaptiveLogSoftmaxWithLoss``; and ``ctc_loss`` with
``zero_infinity=True`` on an impossible alignment.  (Training habits:
_training.py; tensor idioms, losses and module utilities: _idioms.py.)
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2424)


def _grad_norms(module):
    return [p.grad.norm() for p in module.parameters()]


def test_pre_norm_transformer_encoder_with_causal_and_padding_masks():
    inputs = DATA.normal(size=(2, 5, 8))
    padding = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]], bool)

    def script(torch, copy_weights):
        nn = torch.nn
        layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0,
                                           activation="gelu", batch_first=True,
                                           norm_first=True)
        encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        copy_weights(encoder)
        causal = nn.Transformer.generate_square_subsequent_mask(5)
        keep = ~torch.from_numpy(padding)
        x = torch.tensor(inputs, requires_grad=True)
        out = encoder(x, mask=causal, src_key_padding_mask=torch.from_numpy(padding),
                      is_causal=True)
        out[keep].pow(2).sum().backward()
        return out[keep], x.grad, _grad_norms(encoder)
    side_by_side(script)


def test_sequence_first_attention_with_float_masks_and_per_head_weights():
    queries = DATA.normal(size=(4, 2, 6))
    memory = DATA.normal(size=(3, 2, 6))
    bias = DATA.normal(size=(4, 3))
    padding = np.array([[0.0, 0.0, -np.inf], [0.0, 0.0, 0.0]])

    def script(torch, copy_weights):
        attention = torch.nn.MultiheadAttention(6, 3)
        copy_weights(attention)
        q = torch.tensor(queries, requires_grad=True)
        kv = torch.from_numpy(memory)
        out, weights = attention(q, kv, kv, attn_mask=torch.from_numpy(bias),
                                 key_padding_mask=torch.from_numpy(padding),
                                 average_attn_weights=False)
        (out.sum() + weights[:, 1].sum()).backward()
        return out, weights, q.grad, attention
    side_by_side(script)


def test_gru_encoder_decoder_with_teacher_forcing_and_label_smoothing():
    source = DATA.integers(1, 10, size=(3, 6))
    target = DATA.integers(1, 10, size=(3, 4))
    teacher_forcing = [True, False, True, False]

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        embed = nn.Embedding(10, 5, padding_idx=0)
        encoder = nn.GRU(5, 7, num_layers=2, batch_first=True, bidirectional=True)
        bridge = nn.Linear(14, 7)
        decoder = nn.GRUCell(5, 7)
        head = nn.Linear(7, 10)
        model = nn.ModuleList([embed, encoder, bridge, decoder, head])
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            _, hidden = encoder(embed(torch.from_numpy(source)))
            state = torch.tanh(bridge(torch.cat([hidden[-2], hidden[-1]], dim=1)))
            token = torch.zeros(3, dtype=torch.long)
            loss = 0
            for t in range(4):
                state = decoder(embed(token), state)
                logits = head(state)
                gold = torch.from_numpy(target[:, t])
                loss = loss + F.cross_entropy(logits, gold, label_smoothing=0.1)
                token = gold if teacher_forcing[t] else logits.argmax(-1)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            losses.append(loss.detach())
        return torch.stack(losses), model
    side_by_side(script)


def test_projected_bidirectional_lstm_over_unsorted_packed_batch():
    inputs = DATA.normal(size=(3, 5, 4))
    lengths = [3, 5, 2]

    def script(torch, copy_weights):
        rnn = torch.nn.utils.rnn
        lstm = torch.nn.LSTM(4, 6, num_layers=2, proj_size=3, bidirectional=True,
                             batch_first=True)
        copy_weights(lstm)
        x = torch.tensor(inputs, requires_grad=True)
        packed = rnn.pack_padded_sequence(x, torch.tensor(lengths), batch_first=True,
                                          enforce_sorted=False)
        out, (h, c) = lstm(packed)
        padded, found = rnn.pad_packed_sequence(out, batch_first=True, total_length=6)
        (padded.pow(2).sum() + h.sum() + c.sum()).backward()
        return padded, found, h, c, x.grad, _grad_norms(lstm)
    side_by_side(script)


def test_full_transformer_pre_norm_with_memory_padding():
    source = DATA.normal(size=(2, 5, 8))
    target = DATA.normal(size=(2, 4, 8))

    def script(torch, copy_weights):
        model = torch.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1,
                                     num_decoder_layers=2, dim_feedforward=12,
                                     dropout=0.0, batch_first=True, norm_first=True)
        copy_weights(model)
        causal = model.generate_square_subsequent_mask(4)
        padding = torch.tensor([[False] * 4 + [True], [False] * 5])
        out = model(torch.from_numpy(source), torch.from_numpy(target), tgt_mask=causal,
                    src_key_padding_mask=padding, memory_key_padding_mask=padding,
                    tgt_is_causal=True)
        out.pow(2).sum().backward()
        return out, _grad_norms(model)
    side_by_side(script)


def test_grouped_query_attention_with_a_boolean_band_and_explicit_scale():
    queries = DATA.normal(size=(2, 4, 3, 5))
    keys = DATA.normal(size=(2, 2, 6, 5))
    values = DATA.normal(size=(2, 2, 6, 5))

    def script(torch, copy_weights):
        q = torch.tensor(queries, requires_grad=True)
        v = torch.tensor(values, requires_grad=True)
        band = torch.ones(3, 6, dtype=torch.bool).tril(diagonal=2)
        out = torch.nn.functional.scaled_dot_product_attention(
            q, torch.from_numpy(keys), v, attn_mask=band, scale=0.3, enable_gqa=True)
        out.pow(2).sum().backward()
        return out, q.grad, v.grad
    side_by_side(script)


def test_left_padding_beside_packed_sequences_through_a_relu_rnn():
    sequences = [DATA.normal(size=(n, 2)) for n in (3, 1, 4)]

    def script(torch, copy_weights):
        rnn_utils = torch.nn.utils.rnn
        rnn = torch.nn.RNN(2, 3, nonlinearity="relu", batch_first=True)
        copy_weights(rnn)
        items = [torch.tensor(s, requires_grad=True) for s in sequences]
        left = rnn_utils.pad_sequence(items, batch_first=True, padding_value=-1.0,
                                      padding_side="left")
        packed = rnn_utils.pack_sequence(items, enforce_sorted=False)
        out, h = rnn(packed)
        unpacked = rnn_utils.unpack_sequence(out)
        (h.pow(2).sum() + sum(u.sum() for u in unpacked) + left.sum()).backward()
        return (left, h, unpacked, [t.grad for t in items], packed.batch_sizes,
                packed.sorted_indices, packed.unsorted_indices)
    side_by_side(script)


def test_language_model_with_output_layer_tied_to_the_embedding_by_f_linear():
    tokens = DATA.integers(0, 7, size=(2, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class TiedLM(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(7, 4)
                self.rnn = nn.GRU(4, 4, batch_first=True)
                self.out_bias = nn.Parameter(torch.zeros(7))

            def forward(self, t):
                hidden, _ = self.rnn(self.embed(t))
                return F.linear(hidden, self.embed.weight, self.out_bias)

        model = TiedLM()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        inputs = torch.from_numpy(tokens[:, :-1])
        targets = torch.from_numpy(tokens[:, 1:])
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            logits = model(inputs)
            loss = F.cross_entropy(logits.reshape(-1, 7), targets.reshape(-1))
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
        return torch.stack(losses), model, len(list(model.parameters()))
    side_by_side(script)


def test_adaptive_log_softmax_over_a_clustered_vocabulary():
    features = DATA.normal(size=(6, 8))
    targets = np.array([0, 3, 7, 11, 2, 9])

    def script(torch, copy_weights):
        head = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 12, cutoffs=[4, 8], div_value=2.0,
                                                   head_bias=True)
        copy_weights(head)
        x = torch.from_numpy(features)
        result = head(x, torch.from_numpy(targets))
        result.loss.backward()
        return (result.output, result.loss, head.log_prob(x), head.predict(x),
                _grad_norms(head))
    side_by_side(script)


def test_ctc_loss_with_zero_infinity_on_an_impossible_alignment():
    scores = DATA.normal(size=(6, 2, 5))

    def script(torch, copy_weights):
        F = torch.nn.functional
        x = torch.tensor(scores, requires_grad=True)
        log_probs = F.log_softmax(x, dim=2)
        # the first target needs more frames (7 labels with repeats) than its 6
        labels = torch.tensor([[1, 2, 2, 3, 4, 1, 1], [1, 3, 0, 0, 0, 0, 0]])
        loss = F.ctc_loss(log_probs, labels, torch.tensor([6, 5]), torch.tensor([7, 2]),
                          blank=0, reduction="sum", zero_infinity=True)
        loss.backward()
        return loss, x.grad
    side_by_side(script)
