"""The eighth round of PyTorch scripts, continued (see test_torch_scripts_eighth.py):
losses in their everyday forms and the layers around them: ``CrossEntropyLoss`` with
class weights, ``ignore_index`` and label smoothing on per-pixel logits, a supervised
contrastive loss with ``F.normalize`` and batch-hard triplets by ``torch.cdist``,
multi-task heads with ``BCEWithLogitsLoss(pos_weight=)``, ``HuberLoss(delta=)``,
``PoissonNLLLoss(log_input=False, full=True)`` and ``GaussianNLLLoss(full=True)``, a
graph attention layer with a segment softmax by ``scatter_reduce_('amax',
include_self=False)`` and ``index_add_``, ``nn.EmbeddingBag`` with
``per_sample_weights`` and ``include_last_offset``, a knowledge-graph scorer by
``nn.Bilinear``, an ``nn.Transformer`` with ``batch_first``/``norm_first`` and
teacher forcing, and a GRU over a ``PackedSequence`` whose ``.data`` feeds a head."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(84)


# --- Per-pixel cross-entropy with class weights, ignore_index and smoothing ---------

def test_segmentation_cross_entropy_with_weights_ignore_index_and_label_smoothing():
    images = DATA.normal(size=(3, 2, 3, 5, 5))
    masks = DATA.integers(0, 4, size=(3, 2, 5, 5))
    masks[:, :, 0, :] = 255                      # an unlabelled border

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                              nn.Conv2d(8, 4, 1))
        copy_weights(model)
        criterion = nn.CrossEntropyLoss(weight=torch.tensor([0.5, 1.0, 2.0, 1.5]),
                                        ignore_index=255, label_smoothing=0.1)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        losses, ious = [], []
        for i in range(3):
            target = torch.from_numpy(masks[i])
            logits = model(torch.from_numpy(images[i]))
            loss = criterion(logits, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            with torch.no_grad():
                predicted, labelled = logits.argmax(1), target != 255
                hit = ((predicted == 1) & (target == 1) & labelled).sum()
                union = (((predicted == 1) | (target == 1)) & labelled).sum()
                ious.append((hit / union.clamp(min=1)).item())
        return losses, ious, model
    side_by_side(script)


# --- A supervised contrastive loss and batch-hard triplets by cdist -----------------

def test_supervised_contrastive_loss_and_batch_hard_triplets_by_cdist():
    inputs = DATA.normal(size=(3, 8, 5))
    labels = np.tile([0, 0, 1, 1, 2, 2, 3, 3], (3, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        encoder = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 4))
        copy_weights(encoder)
        optimizer = torch.optim.SGD(encoder.parameters(), lr=0.1, momentum=0.9)
        temperature, margin = 0.3, 0.5
        losses = []
        for i in range(3):
            x, y = torch.from_numpy(inputs[i]), torch.from_numpy(labels[i])
            z = F.normalize(encoder(x), dim=1)
            n = z.shape[0]
            logits = z @ z.T / temperature
            self_mask = torch.eye(n, dtype=torch.bool)
            logits = logits.masked_fill(self_mask, -1e9)
            positives = (y[:, None] == y[None, :]) & ~self_mask
            log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
            supcon = -(log_prob * positives).sum(1) / positives.sum(1)
            distances = torch.cdist(z, z)
            hardest_positive = (distances * positives).max(dim=1).values
            hardest_negative = distances.masked_fill(positives | self_mask, 1e9).min(dim=1).values
            triplet = F.relu(hardest_positive - hardest_negative + margin)
            loss = supcon.mean() + triplet.mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, encoder
    side_by_side(script)


# --- Multi-task heads: pos_weight BCE, Huber, Poisson and Gaussian NLL --------------

def test_multi_task_heads_with_pos_weight_bce_huber_poisson_and_gaussian_nll():
    inputs = DATA.normal(size=(3, 8, 4))
    tags = (DATA.uniform(size=(3, 8, 3)) < 0.2).astype(float)
    prices = DATA.normal(size=(3, 8, 1)) * 3
    counts = DATA.poisson(2.0, size=(3, 8, 1)).astype(float)
    measurements = DATA.normal(size=(3, 8, 2))

    def script(torch, copy_weights):
        nn = torch.nn

        class MultiTask(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Linear(4, 10), nn.SELU())
                self.tags = nn.Linear(10, 3)
                self.price = nn.Linear(10, 1)
                self.rate = nn.Linear(10, 1)
                self.mean = nn.Linear(10, 2)
                self.log_var = nn.Linear(10, 1)

            def forward(self, x):
                h = self.body(x)
                return (self.tags(h), self.price(h), nn.functional.softplus(self.rate(h)),
                        self.mean(h), self.log_var(h).exp())

        model = MultiTask()
        copy_weights(model)
        bce = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([4.0, 2.0, 1.0]))
        huber = nn.HuberLoss(delta=0.5, reduction="sum")
        poisson = nn.PoissonNLLLoss(log_input=False, full=True, eps=1e-6)
        gaussian = nn.GaussianNLLLoss(full=True, eps=1e-3)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        losses, parts = [], []
        for i in range(3):
            tag_logits, price, rate, mean, var = model(torch.from_numpy(inputs[i]))
            terms = [bce(tag_logits, torch.from_numpy(tags[i])),
                     huber(price, torch.from_numpy(prices[i])) / 8,
                     poisson(rate, torch.from_numpy(counts[i])),
                     gaussian(mean, torch.from_numpy(measurements[i]), var)]
            loss = sum(terms)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            parts.append([t.item() for t in terms])
        return losses, parts, model
    side_by_side(script)


# --- Graph attention with a segment softmax by scatter_reduce_ and index_add_ -------

def test_graph_attention_with_a_segment_softmax_by_scatter_reduce_amax():
    n_nodes = 6
    edges = np.array([[0, 1, 2, 3, 4, 5, 1, 2, 0, 3, 5, 4],
                      [1, 0, 1, 2, 3, 4, 2, 0, 3, 5, 0, 1]])
    features = DATA.normal(size=(n_nodes, 4))
    labels = DATA.integers(0, 2, size=n_nodes)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class GraphAttention(nn.Module):
            def __init__(self, n_in, n_out):
                super().__init__()
                self.lin = nn.Linear(n_in, n_out, bias=False)
                self.att_src = nn.Parameter(torch.randn(n_out) * 0.1)
                self.att_dst = nn.Parameter(torch.randn(n_out) * 0.1)

            def forward(self, x, edge_index):
                src, dst = edge_index
                h = self.lin(x)
                score = F.leaky_relu((h * self.att_src).sum(-1)[src]
                                     + (h * self.att_dst).sum(-1)[dst], 0.2)
                biggest = torch.zeros(x.size(0)).scatter_reduce_(
                    0, dst, score, reduce="amax", include_self=False)
                weight = (score - biggest[dst]).exp()
                total = torch.zeros(x.size(0)).index_add_(0, dst, weight)
                alpha = weight / total[dst]
                out = torch.zeros_like(h).index_add_(0, dst, alpha.unsqueeze(-1) * h[src])
                return out, alpha

        class GAT(nn.Module):
            def __init__(self):
                super().__init__()
                self.first, self.second = GraphAttention(4, 8), GraphAttention(8, 2)

            def forward(self, x, edge_index):
                h, _ = self.first(x, edge_index)
                return self.second(F.elu(h), edge_index)

        model = GAT()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.02, weight_decay=5e-4)
        x, edge_index = torch.from_numpy(features), torch.from_numpy(edges)
        losses = []
        for _ in range(4):
            logits, alpha = model(x, edge_index)
            loss = F.cross_entropy(logits, torch.from_numpy(labels))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        per_node = torch.zeros(n_nodes).index_add_(0, edge_index[1], alpha.detach())
        assert torch.allclose(per_node, torch.ones(n_nodes), atol=1e-12)
        return losses, alpha, model
    side_by_side(script)


# --- EmbeddingBag with per_sample_weights, include_last_offset, and a max bag --------

def test_embedding_bag_with_per_sample_weights_last_offset_and_a_max_bag():
    tokens = DATA.integers(0, 12, size=(3, 10))
    tf_idf = DATA.uniform(0.1, 1.0, size=(3, 10))
    offsets = np.array([0, 3, 4, 8, 10])
    labels = DATA.integers(0, 2, size=(3, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class BagClassifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.weighted = nn.EmbeddingBag(12, 5, mode="sum", include_last_offset=True)
                self.peak = nn.EmbeddingBag(12, 5, mode="max", include_last_offset=True)
                self.out = nn.Linear(10, 2)

            def forward(self, tokens, offsets, weights):
                return self.out(torch.cat([self.weighted(tokens, offsets,
                                                         per_sample_weights=weights),
                                           self.peak(tokens, offsets)], dim=1))

        model = BagClassifier()
        copy_weights(model)
        optimizer = torch.optim.Adagrad(model.parameters(), lr=0.1)
        losses = []
        off = torch.from_numpy(offsets)
        for i in range(3):
            logits = model(torch.from_numpy(tokens[i]), off, torch.from_numpy(tf_idf[i]))
            loss = F.cross_entropy(logits, torch.from_numpy(labels[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        mean_bag = nn.EmbeddingBag(12, 5, mode="mean")
        try:
            mean_bag(torch.from_numpy(tokens[0]), off[:-1],
                     per_sample_weights=torch.from_numpy(tf_idf[0]))
            refused = False
        except (ValueError, NotImplementedError, RuntimeError):
            refused = True
        return losses, refused, model
    side_by_side(script)


# --- A knowledge-graph scorer by nn.Bilinear with negative sampling -----------------

def test_knowledge_graph_scorer_by_bilinear_with_corrupted_tails():
    heads = DATA.integers(0, 7, size=(3, 6))
    tails = DATA.integers(0, 7, size=(3, 6))
    corrupted = DATA.integers(0, 7, size=(3, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class Scorer(nn.Module):
            def __init__(self):
                super().__init__()
                self.entities = nn.Embedding(7, 4, max_norm=1.0)
                self.relation = nn.Bilinear(4, 4, 1)

            def forward(self, h, t):
                return self.relation(self.entities(h), self.entities(t)).squeeze(-1)

        model = Scorer()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
        criterion = nn.BCEWithLogitsLoss()
        losses = []
        for i in range(3):
            h = torch.from_numpy(heads[i])
            positive = model(h, torch.from_numpy(tails[i]))
            negative = model(h, torch.from_numpy(corrupted[i]))
            scores = torch.cat([positive, negative])
            targets = torch.cat([torch.ones(6), torch.zeros(6)])
            loss = criterion(scores, targets) + F.margin_ranking_loss(
                positive, negative, torch.ones(6), margin=0.5)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        norms = model.entities.weight.detach().norm(dim=1)
        return losses, norms, model
    side_by_side(script)


# --- nn.Transformer with batch_first and norm_first, teacher forcing ---------------

def test_batch_first_norm_first_transformer_with_teacher_forcing_and_greedy_decoding():
    sources = DATA.integers(3, 10, size=(3, 2, 5))
    BOS = 1

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class Reverser(nn.Module):
            def __init__(self, vocab=10, d=8):
                super().__init__()
                self.embed = nn.Embedding(vocab, d)
                self.position = nn.Parameter(torch.zeros(1, 8, d))
                self.transformer = nn.Transformer(d, nhead=2, num_encoder_layers=1,
                                                  num_decoder_layers=1, dim_feedforward=16,
                                                  dropout=0.0, batch_first=True,
                                                  norm_first=True)
                self.out = nn.Linear(d, vocab)

            def forward(self, src, tgt_in):
                mask = nn.Transformer.generate_square_subsequent_mask(tgt_in.size(1))
                s = self.embed(src) + self.position[:, :src.size(1)]
                t = self.embed(tgt_in) + self.position[:, :tgt_in.size(1)]
                return self.out(self.transformer(s, t, tgt_mask=mask, tgt_is_causal=True))

        model = Reverser()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
        losses = []
        for i in range(3):
            src = torch.from_numpy(sources[i])
            target = src.flip(1)
            tgt_in = torch.cat([torch.full((2, 1), BOS), target[:, :-1]], dim=1)
            logits = model(src, tgt_in)
            loss = F.cross_entropy(logits.reshape(-1, 10), target.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            src = torch.from_numpy(sources[0])
            decoded = torch.full((2, 1), BOS)
            for _ in range(5):
                next_token = model(src, decoded)[:, -1].argmax(-1, keepdim=True)
                decoded = torch.cat([decoded, next_token], dim=1)
        return losses, decoded, model
    side_by_side(script)


# --- A GRU over a PackedSequence whose .data feeds a per-step head ------------------

def test_gru_over_a_packed_sequence_with_a_head_on_packed_data():
    lengths = np.array([5, 2, 4])
    sequences = DATA.normal(size=(3, 3, 5, 2))
    next_values = DATA.normal(size=(3, 3, 5, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        rnn_utils = nn.utils.rnn
        gru = nn.GRU(2, 6, batch_first=True)
        head = nn.Linear(6, 1)
        copy_weights(gru, head)
        optimizer = torch.optim.RMSprop(list(gru.parameters()) + list(head.parameters()),
                                        lr=0.01, centered=True)
        lens = torch.from_numpy(lengths)
        losses = []
        for i in range(3):
            packed = rnn_utils.pack_padded_sequence(torch.from_numpy(sequences[i]), lens,
                                                    batch_first=True, enforce_sorted=False)
            targets = rnn_utils.pack_padded_sequence(torch.from_numpy(next_values[i]), lens,
                                                     batch_first=True, enforce_sorted=False)
            output, h_n = gru(packed)
            assert output.batch_sizes.equal(targets.batch_sizes)    # (ad.equal is NumPy's)
            loss = F.mse_loss(head(output.data), targets.data)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        padded, out_lengths = rnn_utils.pad_packed_sequence(output, batch_first=True,
                                                            padding_value=-1.0, total_length=6)
        return (losses, padded.detach(), out_lengths, h_n.detach(), output.sorted_indices,
                gru, head)
    side_by_side(script)
