"""A twenty-sixth round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; values must agree (float64 to 1e-10).  Random parts take their
draws from NumPy so both runs see the same numbers.  Here, integer bookkeeping inside
models and the tensor corners it leans on: a hashed-bucket embedding (``remainder`` of
negative ids, ``div(rounding_mode='floor')`` / ``'trunc'``, ``fmod``), a time-series
model that mixes integer steps with Python floats (an int tensor times a float, ``/``
of ints, ``torch.where`` with scalars), a ranking head trained on ``argsort(stable=True)``
ranks and ``sort(descending=True, stable=True)``, 0-d tensor methods in a loss, a
masked language model's loss by ``nn.NLLLoss(weight=, ignore_index=)`` beside
``MultiLabelSoftMarginLoss`` and ``PoissonNLLLoss(log_input=False)``, a seq2seq GRU
with teacher forcing picked by NumPy draws, and an ``nn.Transformer`` trained through
``generate_square_subsequent_mask`` with key padding masks.  (Training loops with
schedulers and optimizers: _training.py.)
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2626)


def test_hashed_bucket_embedding_with_signed_integer_arithmetic():
    ids = np.array([[-7, 13, 0, -1], [22, -15, 8, 5]])

    def script(torch, copy_weights):
        nn = torch.nn
        table = nn.Embedding(5, 3)
        head = nn.Linear(3, 1)
        copy_weights(table, head)
        opt = torch.optim.SGD(list(table.parameters()) + list(head.parameters()), lr=0.1)
        x = torch.tensor(ids)
        buckets = x % 5                                  # PyTorch's (and Python's) sign
        floors = torch.div(x, 3, rounding_mode="floor")
        truncs = torch.div(x, 3, rounding_mode="trunc")
        fmods = torch.fmod(x, 5)
        both = torch.remainder(x, -3)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            features = table(buckets) + table((fmods.abs() + truncs.abs()) % 5)
            score = head(features).squeeze(-1)
            loss = (score - floors.to(score.dtype)).pow(2).mean()
            loss.backward()
            opt.step()
            losses.append(loss)
        return buckets, floors, truncs, fmods, both, x // 4, losses, table, head
    side_by_side(script)


def test_integer_steps_mixed_with_python_floats_in_a_time_series_model():
    series = DATA.normal(size=(3, 6))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Linear(3, 1)
        copy_weights(model)
        steps = torch.arange(6)                          # int64
        scaled = steps * 0.5                             # float (the default dtype)
        halves = steps / 2                               # true division: float
        decay = torch.where(steps > 2, 0.25, 1.0)        # scalars: the default float
        mixed = torch.where(steps % 2 == 0, steps, -1)   # ints stay ints
        y = torch.tensor(series, requires_grad=True)
        features = torch.stack([y * decay, y * scaled, y - halves], dim=-1)
        out = model(features).squeeze(-1)
        weights = (steps + 1).double() / (steps + 1).sum()
        loss = (out * weights).sum() + (mixed.double() * y).mean()
        loss.backward()
        return (scaled, halves, decay, mixed, weights, out, loss, y.grad,
                model.weight.grad.norm(), model.bias.grad)
    side_by_side(script)


def test_ranking_head_on_stable_ranks():
    scores = np.array([[0.5, 0.1, 0.5, 0.9, 0.1], [0.3, 0.3, 0.3, 0.2, 0.8]])
    features = DATA.normal(size=(2, 5, 4))

    def script(torch, copy_weights):
        nn = torch.nn
        scorer = nn.Linear(4, 1)
        copy_weights(scorer)
        target = torch.tensor(scores)
        ranks = torch.argsort(target, dim=1, stable=True)
        values, order = torch.sort(target, dim=1, descending=True, stable=True)
        positions = torch.empty_like(order)
        positions.scatter_(1, order, torch.arange(5).expand(2, 5))
        gains = 1.0 / torch.log2(positions.double() + 2.0)
        x = torch.tensor(features, requires_grad=True)
        predicted = scorer(x).squeeze(-1)
        listwise = -(torch.softmax(target, dim=1) * torch.log_softmax(predicted, dim=1)).sum()
        pairs = predicted.gather(1, order)
        pairwise = torch.nn.functional.relu(pairs[:, 1:] - pairs[:, :-1] + 0.1).sum()
        loss = listwise + pairwise + (gains * predicted).sum()
        loss.backward()
        return (ranks, values, order, positions, gains, loss, x.grad,
                scorer.weight.grad.norm(), scorer.bias.grad)
    side_by_side(script)


def test_zero_dimensional_tensors_in_a_loss():
    values = DATA.normal(size=5)

    def script(torch, copy_weights):
        w = torch.tensor(values, requires_grad=True)
        temperature = torch.tensor(0.7, requires_grad=True)
        total = w.sum()
        peak = w.max()
        scale = temperature.exp().clamp(min=0.5, max=5.0)
        clipped = total.clamp(-1.0, 1.0)
        as_list = [peak.item(), scale.tolist(), total.sign().item()]
        logits = w / scale
        loss = (torch.logsumexp(logits, dim=0) - peak / scale
                + clipped.abs() + total.square() * 0.1 + scale.log().neg())
        loss.backward()
        return (peak, scale, clipped, loss, w.grad, temperature.grad,
                torch.tensor(as_list), torch.tensor(peak.dim()), torch.tensor(loss.numel()))
    side_by_side(script)


def test_masked_language_model_losses_with_class_weights_and_ignore_index():
    tokens = np.array([[3, 1, 4, 1], [5, 0, 2, 6]])
    masked = np.array([[1, 0, 1, 0], [0, 1, 1, 0]], dtype=bool)
    tags = (DATA.random(size=(2, 4)) > 0.5).astype(float)
    counts = np.array([[0.0, 2.0, 1.0, 3.0], [4.0, 0.0, 1.0, 2.0]])

    def script(torch, copy_weights):
        nn = torch.nn
        embed = nn.Embedding(7, 6)
        decoder = nn.Linear(6, 7)
        tagger = nn.Linear(6, 4)
        rate = nn.Linear(6, 1)
        copy_weights(embed, decoder, tagger, rate)
        params = [p for m in (embed, decoder, tagger, rate) for p in m.parameters()]
        opt = torch.optim.Adam(params, lr=0.01)
        x = torch.tensor(tokens)
        labels = x.masked_fill(~torch.tensor(masked), -100)
        inputs = x.masked_fill(torch.tensor(masked), 0)
        weight = torch.linspace(0.5, 1.5, 7)
        nll = nn.NLLLoss(weight=weight, ignore_index=-100)
        multilabel = nn.MultiLabelSoftMarginLoss(weight=torch.tensor([1.0, 2.0, 0.5, 1.0]))
        poisson = nn.PoissonNLLLoss(log_input=False, full=True)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            h = embed(inputs)
            log_probs = torch.log_softmax(decoder(h), dim=-1)
            mlm = nll(log_probs.reshape(-1, 7), labels.reshape(-1))
            tag = multilabel(tagger(h.mean(dim=1)), torch.tensor(tags[:, :4]))
            rates = torch.nn.functional.softplus(rate(h)).squeeze(-1)
            count = poisson(rates, torch.tensor(counts))
            loss = mlm + tag + count
            loss.backward()
            opt.step()
            losses.append(torch.stack([mlm, tag, count]))
        return labels, losses, embed, decoder, tagger, rate
    side_by_side(script)


def test_seq2seq_gru_with_teacher_forcing_chosen_by_numpy_draws():
    source = DATA.integers(1, 8, size=(2, 5))
    target = DATA.integers(1, 8, size=(2, 4))
    forcing = DATA.random(size=(3, 4)) < 0.5

    def script(torch, copy_weights):
        nn = torch.nn
        embed = nn.Embedding(8, 5, padding_idx=0)
        encoder = nn.GRU(5, 6, batch_first=True)
        decoder = nn.GRUCell(5, 6)
        out = nn.Linear(6, 8)
        model = nn.ModuleList([embed, encoder, decoder, out])
        copy_weights(model)
        opt = torch.optim.RMSprop(model.parameters(), lr=0.01, momentum=0.5)
        src, tgt = torch.tensor(source), torch.tensor(target)
        losses = []
        for step in range(3):
            opt.zero_grad()
            _, h = encoder(embed(src))
            h = h.squeeze(0)
            token = torch.zeros(2, dtype=torch.long)
            loss = 0.0
            for t in range(4):
                h = decoder(embed(token), h)
                logits = out(h)
                loss = loss + nn.functional.cross_entropy(logits, tgt[:, t])
                token = tgt[:, t] if forcing[step, t] else logits.argmax(dim=-1)
            loss = loss / 4
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            losses.append(loss)
        return losses, model
    side_by_side(script)


def test_transformer_with_causal_and_key_padding_masks():
    source = DATA.normal(size=(2, 5, 8))
    target = DATA.normal(size=(2, 4, 8))
    src_pad = np.array([[False, False, False, True, True], [False] * 5])
    tgt_pad = np.array([[False, False, False, True], [False] * 4])

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1,
                               num_decoder_layers=1, dim_feedforward=16, dropout=0.0,
                               batch_first=True)
        copy_weights(model)
        opt = torch.optim.AdamW(model.parameters(), lr=0.01)
        causal = nn.Transformer.generate_square_subsequent_mask(4)
        src, tgt = torch.tensor(source), torch.tensor(target)
        losses = []
        for _ in range(2):
            opt.zero_grad()
            y = model(src, tgt, tgt_mask=causal,
                      src_key_padding_mask=torch.tensor(src_pad),
                      tgt_key_padding_mask=torch.tensor(tgt_pad),
                      memory_key_padding_mask=torch.tensor(src_pad))
            keep = (~torch.tensor(tgt_pad)).unsqueeze(-1).to(y.dtype)
            loss = ((y - tgt) ** 2 * keep).sum() / keep.sum()
            loss.backward()
            opt.step()
            losses.append(loss)
        return causal, losses, model
    side_by_side(script, allow_nan=False)
