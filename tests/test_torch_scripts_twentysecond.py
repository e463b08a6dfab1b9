"""A twenty-second round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; values must agree (float64 to 1e-10).  Random parts take their
draws from NumPy so both runs see the same numbers.  Here, language-model habits and
sequence models: greedy decoding with a key/value cache grown by ``torch.cat`` (checked
against recomputing the whole prefix), nucleus (top-p) filtering by a sorted cumulative
softmax scattered back, then a draw by ``torch.searchsorted`` of an explicit uniform,
a repetition penalty by ``gather`` / ``torch.where`` / ``scatter_``, image features
spliced into token embeddings by ``masked_scatter`` (the multimodal models' habit), a
pointer network whose chosen inputs are masked by ``masked_fill(-inf)``, a gated
convolutional language model (``F.glu``, ``nn.GLU``, causal ``F.pad``), a WaveNet on
mu-law codes (``torch.sign``, ``log1p``, ``F.one_hot(num_classes=)``, dilated causal
convolutions with gated ``tanh * sigmoid`` units and skip connections), Bayesian
personalised ranking (``F.logsigmoid`` of score differences) and GloVe's weighted least
squares trained by ``Adagrad``.  (Training habits: _training.py; numerical and
probabilistic scripts: _numerics.py; more: _more.py; what the round found: _gaps.py.)
Of the round's 35 scripts, 24 ran unchanged.  Five needed the library fixed: the
repetition penalty's ``scatter_`` of repeated tokens, the learning-rate range test's
``len(optimizer.state)`` after a restore, the Wishart density's ``torch.logspace(steps=,
base=)``, the graph readout's ``torch.repeat_interleave(sizes)`` and the Kalman gain's
``torch.linalg.solve(..., left=False)``.  Six changed around the library's documented
differences: gradient centralisation uses convolutions only and the ensemble compares
its biases' gradients (a Linear's weight is ``(in, out)`` here), the rolling median
writes ``torch.nonzero(..., as_tuple=False)`` (as the warning names), NMS writes
``torch.maximum`` for torchvision's ``torch.max`` of two tensors (as earlier rounds
decided), NeuralSort copies the array its optimizer updates (``torch.from_numpy``
shares it with PyTorch's run), and the least-squares fit reads R from
``torch.linalg.qr(A, mode='r')``, R alone here and PyTorch's ``(Q, R)`` (through which
PyTorch gives no gradient, so only ``b`` is differentiated).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import adam_steps, side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2022)


def _tiny_causal_lm(torch, vocab, dim, heads):
    nn, F = torch.nn, torch.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = nn.Linear(dim, 3 * dim)
            self.proj = nn.Linear(dim, dim)

        def forward(self, x, cache=None):
            B, T, C = x.shape
            q, k, v = self.qkv(x).chunk(3, dim=-1)
            q, k, v = (t.view(B, T, heads, C // heads).transpose(1, 2) for t in (q, k, v))
            if cache is not None:
                k = torch.cat([cache[0], k], dim=2)
                v = torch.cat([cache[1], v], dim=2)
            if cache is None:
                y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            else:       # one new query sees every cached key
                y = F.scaled_dot_product_attention(q, k, v)
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            return self.proj(y), (k, v)

    class TinyLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(vocab, dim)
            self.pos = nn.Embedding(16, dim)
            self.attn = CausalSelfAttention()
            self.ln = nn.LayerNorm(dim)
            self.head = nn.Linear(dim, vocab, bias=False)

        def forward(self, idx, cache=None, start=0):
            positions = torch.arange(start, start + idx.size(1))
            x = self.tok(idx) + self.pos(positions)
            a, cache = self.attn(self.ln(x), cache)
            return self.head(x + a), cache

    return TinyLM()


def test_greedy_decoding_with_a_key_value_cache_matches_recomputing_the_prefix():
    prompt = DATA.integers(0, 11, size=(2, 4))

    def script(torch, copy_weights):
        model = _tiny_causal_lm(torch, vocab=11, dim=8, heads=2)
        copy_weights(model)
        model.eval()
        idx = torch.from_numpy(prompt)
        with torch.no_grad():
            logits, cache = model(idx)
            cached_steps, full_steps = [], []
            generated = idx
            for _ in range(4):
                next_token = logits[:, -1, :].argmax(dim=-1, keepdim=True)
                generated = torch.cat([generated, next_token], dim=1)
                logits, cache = model(next_token, cache, start=generated.size(1) - 1)
                full_logits, _ = model(generated)
                cached_steps.append(logits[:, -1])
                full_steps.append(full_logits[:, -1])
        return generated, cached_steps, full_steps, cache[0].shape[2]

    theirs, ours = side_by_side(script)
    # the cache must give what recomputing the whole prefix gives
    np.testing.assert_allclose(np.stack([t.numpy() for t in theirs[1]]),
                               np.stack([t.numpy() for t in theirs[2]]), atol=1e-12)


def test_nucleus_filtering_and_a_draw_by_searchsorted_of_an_explicit_uniform():
    scores = DATA.normal(size=(3, 9)) * 2
    uniforms = DATA.uniform(size=(3, 1))

    def script(torch, copy_weights):
        F = torch.nn.functional
        logits = torch.from_numpy(scores).requires_grad_()
        top_p, temperature = 0.8, 0.7
        scaled = logits / temperature
        sorted_logits, sorted_indices = torch.sort(scaled, descending=True)
        cumulative = torch.cumsum(F.softmax(sorted_logits, dim=-1), dim=-1)
        sorted_to_remove = cumulative > top_p
        sorted_to_remove[..., 1:] = sorted_to_remove[..., :-1].clone()
        sorted_to_remove[..., 0] = False
        to_remove = sorted_to_remove.scatter(1, sorted_indices, sorted_to_remove)
        filtered = scaled.masked_fill(to_remove, float("-inf"))
        probs = F.softmax(filtered, dim=-1)
        cdf = torch.cumsum(probs, dim=-1).detach()
        tokens = torch.searchsorted(cdf, torch.from_numpy(uniforms), right=True)
        log_prob = torch.log(probs.gather(1, tokens)).sum()
        log_prob.backward()
        return to_remove, probs, tokens, log_prob, logits.grad
    side_by_side(script)


def test_repetition_penalty_by_gather_where_and_scatter_of_repeated_tokens():
    scores = DATA.normal(size=(2, 10))
    previous = np.array([[1, 4, 4, 7], [0, 2, 9, 2]])         # tokens seen twice

    def script(torch, copy_weights):
        penalty = 1.3
        scores_now = torch.from_numpy(scores)
        input_ids = torch.from_numpy(previous)
        with torch.no_grad():                       # as generation runs it
            score = torch.gather(scores_now, 1, input_ids)
            score = torch.where(score < 0, score * penalty, score / penalty)
            penalised = scores_now.clone().scatter_(1, input_ids, score)
            greedy = penalised.argmax(dim=-1)
        return penalised, greedy
    side_by_side(script)


def test_image_features_spliced_into_token_embeddings_by_masked_scatter():
    ids = np.array([[5, 0, 0, 0, 3, 2], [0, 0, 0, 4, 1, 2]])      # 0: the image token
    patches = DATA.normal(size=(2, 3, 6))

    def script(torch, copy_weights):
        nn = torch.nn
        embed = nn.Embedding(7, 4)
        projector = nn.Sequential(nn.Linear(6, 4), nn.GELU(), nn.Linear(4, 4))
        lm_head = nn.Linear(4, 7)
        copy_weights(embed, projector, lm_head)
        input_ids = torch.from_numpy(ids)

        def loss_fn():
            inputs_embeds = embed(input_ids)
            image_features = projector(torch.from_numpy(patches)).reshape(-1, 4)
            mask = (input_ids == 0).unsqueeze(-1).expand_as(inputs_embeds)
            inputs_embeds = inputs_embeds.masked_scatter(mask, image_features)
            logits = lm_head(inputs_embeds)
            labels = input_ids[:, 1:].masked_fill(input_ids[:, 1:] == 0, -100)
            return torch.nn.functional.cross_entropy(
                logits[:, :-1].reshape(-1, 7), labels.reshape(-1), ignore_index=-100)

        params = list(embed.parameters()) + list(projector.parameters()) \
            + list(lm_head.parameters())
        optimizer = torch.optim.AdamW(params, lr=0.01)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = loss_fn()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, embed, projector, lm_head
    side_by_side(script)


def test_pointer_network_masks_chosen_inputs_and_decodes_greedily():
    points = DATA.uniform(size=(3, 5, 2))
    orders = np.argsort(points[:, :, 0], axis=1)           # learn to sort by x

    def script(torch, copy_weights):
        nn = torch.nn

        class PointerNet(nn.Module):
            def __init__(self, hidden=8):
                super().__init__()
                self.embed = nn.Linear(2, hidden)
                self.encoder = nn.LSTM(hidden, hidden, batch_first=True)
                self.decoder = nn.LSTMCell(hidden, hidden)
                self.W1 = nn.Linear(hidden, hidden, bias=False)
                self.W2 = nn.Linear(hidden, hidden, bias=False)
                self.v = nn.Linear(hidden, 1, bias=False)
                self.start = nn.Parameter(torch.zeros(hidden))

            def forward(self, x, targets=None):
                B, n, _ = x.shape
                e = self.embed(x)
                enc, (h, c) = self.encoder(e)
                h, c = h[0], c[0]
                inp = self.start.expand(B, -1)
                mask = torch.zeros(B, n, dtype=torch.bool)
                log_probs, chosen = [], []
                for t in range(n):
                    h, c = self.decoder(inp, (h, c))
                    u = self.v(torch.tanh(self.W1(enc) + self.W2(h).unsqueeze(1))).squeeze(-1)
                    u = u.masked_fill(mask, float("-inf"))
                    log_p = torch.log_softmax(u, dim=-1)
                    pick = targets[:, t] if targets is not None else log_p.argmax(dim=-1)
                    log_probs.append(log_p.gather(1, pick.unsqueeze(1)).squeeze(1))
                    chosen.append(pick)
                    mask = mask.clone()
                    mask[torch.arange(B), pick] = True
                    inp = e[torch.arange(B), pick]
                return torch.stack(log_probs, 1), torch.stack(chosen, 1)

        model = PointerNet()
        copy_weights(model)
        x, y = torch.from_numpy(points), torch.from_numpy(orders)
        losses = adam_steps(torch, model, lambda: -model(x, y)[0].sum(1).mean(),
                            steps=3, lr=0.02)
        with torch.no_grad():
            _, greedy = model(x)
        return losses, model, greedy
    side_by_side(script)


def test_gated_convolutional_language_model_with_glu():
    tokens = DATA.integers(0, 9, size=(2, 10))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class GatedCNN(nn.Module):
            def __init__(self, vocab=9, dim=6, k=3):
                super().__init__()
                self.k = k
                self.embed = nn.Embedding(vocab, dim)
                self.conv1 = nn.Conv1d(dim, 2 * dim, k)
                self.conv2 = nn.Conv1d(dim, 2 * dim, k)
                self.glu = nn.GLU(dim=1)
                self.out = nn.Linear(dim, vocab)

            def forward(self, idx):
                x = self.embed(idx).transpose(1, 2)                  # (B, C, T)
                h = F.glu(self.conv1(F.pad(x, (self.k - 1, 0))), dim=1)
                h = h + self.glu(self.conv2(F.pad(h, (self.k - 1, 0))))
                return self.out(h.transpose(1, 2))

        model = GatedCNN()
        copy_weights(model)
        idx = torch.from_numpy(tokens)

        def loss_fn():
            logits = model(idx[:, :-1])
            return F.cross_entropy(logits.reshape(-1, 9), idx[:, 1:].reshape(-1))
        losses = adam_steps(torch, model, loss_fn, steps=3, lr=0.01)
        return losses, model
    side_by_side(script)


# (the last block's residual output is unused, as in WaveNet: its weights get no gradient)
@pytest.mark.filterwarnings("ignore::autodiff.NoGradientWarning")
def test_wavenet_on_mu_law_codes_with_dilated_gated_convolutions():
    wave = np.sin(np.linspace(0, 6 * np.pi, 25)) * 0.8 + 0.05 * DATA.normal(size=25)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        mu = 15

        def mu_law_encode(x):
            y = torch.sign(x) * torch.log1p(mu * torch.abs(x)) / math.log1p(mu)
            return ((y + 1) / 2 * mu + 0.5).long()

        class ResidualBlock(nn.Module):
            def __init__(self, channels, dilation):
                super().__init__()
                self.dilation = dilation
                self.filter = nn.Conv1d(channels, channels, 2, dilation=dilation)
                self.gate = nn.Conv1d(channels, channels, 2, dilation=dilation)
                self.residual = nn.Conv1d(channels, channels, 1)
                self.skip = nn.Conv1d(channels, channels, 1)

            def forward(self, x):
                padded = F.pad(x, (self.dilation, 0))
                z = torch.tanh(self.filter(padded)) * torch.sigmoid(self.gate(padded))
                return x + self.residual(z), self.skip(z)

        class WaveNet(nn.Module):
            def __init__(self, channels=6):
                super().__init__()
                self.input = nn.Conv1d(mu + 1, channels, 1)
                self.blocks = nn.ModuleList([ResidualBlock(channels, d) for d in (1, 2, 4)])
                self.output = nn.Sequential(nn.ReLU(), nn.Conv1d(channels, channels, 1),
                                            nn.ReLU(), nn.Conv1d(channels, mu + 1, 1))

            def forward(self, codes):
                x = self.input(F.one_hot(codes, num_classes=mu + 1).permute(0, 2, 1).double())
                skips = 0
                for block in self.blocks:
                    x, s = block(x)
                    skips = skips + s
                return self.output(skips)

        codes = mu_law_encode(torch.from_numpy(wave)).unsqueeze(0)
        model = WaveNet()
        copy_weights(model)
        losses = adam_steps(
            torch, model,
            lambda: F.cross_entropy(model(codes[:, :-1]), codes[:, 1:]), steps=3, lr=0.01)
        return codes, losses, model
    side_by_side(script)


def test_bayesian_personalised_ranking_with_logsigmoid_of_score_differences():
    users = DATA.integers(0, 5, size=12)
    positives = DATA.integers(0, 8, size=12)
    negatives = (positives + DATA.integers(1, 8, size=12)) % 8

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class BPR(nn.Module):
            def __init__(self):
                super().__init__()
                self.user = nn.Embedding(5, 4)
                self.item = nn.Embedding(8, 4)
                self.item_bias = nn.Embedding(8, 1)

            def score(self, u, i):
                return (self.user(u) * self.item(i)).sum(dim=-1) + self.item_bias(i).squeeze(-1)

            def forward(self, u, i, j):
                difference = self.score(u, i) - self.score(u, j)
                regulariser = 1e-3 * (self.user(u).norm(2, dim=-1).pow(2)
                                      + self.item(i).norm(2, dim=-1).pow(2)
                                      + self.item(j).norm(2, dim=-1).pow(2)).mean()
                return -F.logsigmoid(difference).mean() + regulariser

        model = BPR()
        copy_weights(model)
        u, i, j = (torch.from_numpy(a) for a in (users, positives, negatives))
        losses = adam_steps(torch, model, lambda: model(u, i, j), steps=4, lr=0.05)
        with torch.no_grad():
            ranking = (model.user.weight @ model.item.weight.T
                       + model.item_bias.weight.T).topk(3, dim=1).indices
        return losses, model, ranking
    side_by_side(script)


def test_glove_weighted_least_squares_trained_by_adagrad():
    counts = np.floor(DATA.exponential(3.0, size=(6, 6))) + np.eye(6)

    def script(torch, copy_weights):
        nn = torch.nn

        class GloVe(nn.Module):
            def __init__(self, vocab=6, dim=3):
                super().__init__()
                self.w = nn.Embedding(vocab, dim)
                self.c = nn.Embedding(vocab, dim)
                self.bw = nn.Embedding(vocab, 1)
                self.bc = nn.Embedding(vocab, 1)

            def forward(self, i, j, x):
                weight = torch.pow(x / 5.0, 0.75).clamp(max=1.0)
                dot = (self.w(i) * self.c(j)).sum(-1) + self.bw(i).squeeze(-1) \
                    + self.bc(j).squeeze(-1)
                return (weight * (dot - torch.log(x)) ** 2).sum()

        model = GloVe()
        copy_weights(model)
        X = torch.from_numpy(counts)
        i, j = torch.nonzero(X, as_tuple=True)
        optimizer = torch.optim.Adagrad(model.parameters(), lr=0.1)
        losses = []
        for _ in range(4):
            optimizer.zero_grad()
            loss = model(i, j, X[i, j])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        vectors = model.w.weight + model.c.weight
        return losses, model, vectors
    side_by_side(script)
