"""The twentieth round's training scripts (see test_torch_scripts_twentieth.py for how
they run): quantisation-aware training with fake quantisation (the range by
``torch.aminmax``, ``round`` passed straight through by ``detach``), magnitude pruning
(a threshold by ``kthvalue``, masks kept by ``register_buffer``, the sparsity by
``torch.count_nonzero``), BinaryConnect (weights binarised by ``torch.heaviside``,
straight-through to the real-valued ones, clamped by ``clamp_`` under ``no_grad``),
temperature scaling of a classifier's probabilities (``torch.logit(eps=)``), a
PyG-style global mean pool over a batch of graphs (the batch vector by
``torch.repeat_interleave``, ``index_add_``, ``bincount``), a product network's pairwise
field interactions by ``torch.combinations``, Kim's text CNN (``F.adaptive_max_pool1d``
over time), an LSTM over ``pack_sequence(enforce_sorted=False)``, convolutions with
``padding='same'`` and ``padding_mode='circular'``, a functional training loop by
``torch.func.grad_and_value(has_aux=True)`` over ``functional_call``, and an MLP of
``Softsign`` / ``Hardtanh`` / ``Tanhshrink``."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2021)


def linear_with_weight_transform(torch, transform):
    """A linear layer class whose forward uses ``transform(weight)`` (a straight-through
    quantiser or binariser), the weight in PyTorch's (out, in) layout as F.linear reads it."""
    nn, F = torch.nn, torch.nn.functional

    class TransformedLinear(nn.Module):
        def __init__(self, in_features, out_features):
            super().__init__()
            self.weight = nn.Parameter(torch.empty(out_features, in_features))
            self.bias = nn.Parameter(torch.zeros(out_features))
            nn.init.uniform_(self.weight, -0.5, 0.5)

        def forward(self, x):
            return F.linear(x, transform(self.weight), self.bias)

    return TransformedLinear


def test_quantisation_aware_training_with_fake_quantisation():
    inputs = DATA.normal(size=(16, 4))
    targets = DATA.normal(size=(16, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        def fake_quantize(x, bits=4):
            lo, hi = torch.aminmax(x.detach())
            scale = (hi - lo) / (2 ** bits - 1)
            q = torch.round((x - lo) / scale) * scale + lo
            return x + (q - x).detach()

        QuantLinear = linear_with_weight_transform(torch, fake_quantize)

        model = nn.Sequential(QuantLinear(4, 8), nn.ReLU(), QuantLinear(8, 2))
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
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


def test_magnitude_pruning_with_masks_in_buffers():
    inputs = DATA.normal(size=(20, 6))
    labels = DATA.integers(0, 3, size=20)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class MaskedLinear(linear_with_weight_transform(torch, lambda w: w)):
            def __init__(self, in_features, out_features):
                super().__init__(in_features, out_features)
                self.register_buffer("mask", torch.ones_like(self.weight))

            def prune(self, amount):
                with torch.no_grad():
                    k = int(amount * self.weight.numel())
                    threshold = self.weight.abs().flatten().kthvalue(k).values
                    self.mask.copy_((self.weight.abs() > threshold).to(self.mask.dtype))

            def forward(self, x):
                return F.linear(x, self.weight * self.mask, self.bias)

        model = nn.Sequential(MaskedLinear(6, 10), nn.ReLU(), MaskedLinear(10, 3))
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        x, y = torch.from_numpy(inputs), torch.from_numpy(labels)
        history = []
        for amount in (0.0, 0.3, 0.5):
            if amount:
                for m in model.modules():
                    if isinstance(m, MaskedLinear):
                        m.prune(amount)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            kept = sum(torch.count_nonzero(b).item() for n, b in model.named_buffers())
            history.append((loss.item(), kept))
        return history, model
    side_by_side(script)


def test_binaryconnect_with_heaviside_binarised_weights():
    inputs = DATA.normal(size=(12, 5))
    labels = DATA.integers(0, 2, size=12).astype(np.float64)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        def binarize(w):
            hard = 2 * torch.heaviside(w, torch.tensor(1.0)) - 1
            return w + (hard - w).detach()

        BinaryLinear = linear_with_weight_transform(torch, binarize)

        model = nn.Sequential(BinaryLinear(5, 8), nn.Hardtanh(), nn.Linear(8, 1))
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
        x, y = torch.from_numpy(inputs), torch.from_numpy(labels)
        losses = []
        for _ in range(4):
            loss = F.binary_cross_entropy_with_logits(model(x).squeeze(1), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                model[0].weight.clamp_(-1, 1)
            losses.append(loss.item())
        return losses, model
    side_by_side(script)


def test_temperature_scaling_of_probabilities_by_logit():
    probs = DATA.dirichlet(np.ones(4) * 0.5, size=25)
    probs[0] = [1.0, 0.0, 0.0, 0.0]
    labels = DATA.integers(0, 4, size=25)

    def script(torch, copy_weights):
        F = torch.nn.functional
        logits = torch.logit(torch.from_numpy(probs), eps=1e-6)
        log_temperature = torch.zeros(1, requires_grad=True)
        optimizer = torch.optim.SGD([log_temperature], lr=0.1)
        y = torch.from_numpy(labels)
        history = []
        for _ in range(5):
            loss = F.cross_entropy(logits / log_temperature.exp(), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append(loss.item())
        return history, log_temperature, logits
    side_by_side(script)


def test_global_mean_pool_over_a_batch_of_graphs():
    counts = np.array([3, 5, 2, 4])
    features = DATA.normal(size=(counts.sum(), 4))
    targets = DATA.normal(size=(4, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        node_mlp = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
        head = nn.Linear(8, 1)
        copy_weights(node_mlp, head)
        optimizer = torch.optim.Adam([*node_mlp.parameters(), *head.parameters()], lr=0.01)
        sizes = torch.from_numpy(counts)
        batch = torch.repeat_interleave(torch.arange(len(sizes)), sizes)
        x, y = torch.from_numpy(features), torch.from_numpy(targets)
        losses = []
        for _ in range(3):
            h = node_mlp(x)
            pooled = torch.zeros(len(sizes), h.shape[1]).index_add_(0, batch, h)
            pooled = pooled / torch.bincount(batch).unsqueeze(1)
            loss = F.mse_loss(head(pooled), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, batch, pooled.detach(), node_mlp, head
    side_by_side(script)


def test_product_network_pairwise_field_interactions_by_combinations():
    fields, dim = 4, 3
    indices = DATA.integers(0, 5, size=(10, fields))
    clicks = DATA.integers(0, 2, size=10).astype(np.float64)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        embedding = nn.Embedding(5 * fields, dim)
        pairs = torch.combinations(torch.arange(fields), r=2)
        head = nn.Linear(fields * dim + len(pairs), 1)
        copy_weights(embedding, head)
        optimizer = torch.optim.Adagrad([*embedding.parameters(), *head.parameters()], lr=0.1)
        offsets = torch.arange(fields) * 5
        ids, y = torch.from_numpy(indices) + offsets, torch.from_numpy(clicks)
        losses = []
        for _ in range(3):
            e = embedding(ids)
            inner = (e[:, pairs[:, 0]] * e[:, pairs[:, 1]]).sum(dim=-1)
            z = torch.cat([e.flatten(1), inner], dim=1)
            loss = F.binary_cross_entropy_with_logits(head(z).squeeze(-1), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, pairs, embedding, head
    side_by_side(script)


def test_kim_text_cnn_with_adaptive_max_pool_over_time():
    tokens = DATA.integers(0, 20, size=(6, 9))
    labels = DATA.integers(0, 2, size=6)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class TextCNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(20, 5, padding_idx=0)
                self.convs = nn.ModuleList([nn.Conv1d(5, 4, k) for k in (2, 3, 4)])
                self.dropout = nn.Dropout(0.5)
                self.fc = nn.Linear(12, 2)

            def forward(self, x):
                x = self.embedding(x).permute(0, 2, 1)
                pooled = [F.adaptive_max_pool1d(F.relu(conv(x)), 1).squeeze(-1)
                          for conv in self.convs]
                return self.fc(self.dropout(torch.cat(pooled, dim=1)))

        model = TextCNN()
        copy_weights(model)
        optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
        x, y = torch.from_numpy(tokens), torch.from_numpy(labels)
        losses = []
        for _ in range(3):
            model.train(False)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            predictions = model(x).argmax(dim=1)
        return losses, predictions, model
    side_by_side(script)


def test_lstm_over_pack_sequence_unsorted():
    lengths = [3, 5, 2]
    sequences = [DATA.normal(size=(n, 3)) for n in lengths]
    targets = DATA.normal(size=(3, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        pack_sequence = nn.utils.rnn.pack_sequence
        pad_packed_sequence = nn.utils.rnn.pad_packed_sequence
        lstm = nn.LSTM(3, 4)
        copy_weights(lstm)
        optimizer = torch.optim.SGD(lstm.parameters(), lr=0.1)
        losses = []
        for _ in range(3):
            packed = pack_sequence([torch.from_numpy(s) for s in sequences],
                                   enforce_sorted=False)
            output, (h_n, c_n) = lstm(packed)
            padded, out_lengths = pad_packed_sequence(output, batch_first=True)
            loss = F.mse_loss(h_n[-1], torch.from_numpy(targets)) + padded.pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, padded.detach(), out_lengths, lstm
    side_by_side(script)


def test_same_and_circular_padding_for_a_periodic_field():
    fields = DATA.normal(size=(2, 1, 6, 6))
    signals = DATA.normal(size=(2, 2, 7))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        conv2d = nn.Conv2d(1, 3, 3, padding=1, padding_mode="circular")
        conv1d = nn.Conv1d(2, 2, 4, padding="same", dilation=2)
        copy_weights(conv2d, conv1d)
        optimizer = torch.optim.Adam([*conv2d.parameters(), *conv1d.parameters()], lr=0.01)
        u, s = torch.from_numpy(fields), torch.from_numpy(signals)
        losses = []
        for _ in range(3):
            v = conv2d(u)
            periodic = (v - torch.roll(v, shifts=1, dims=-1)).pow(2).mean()
            w = conv1d(s)
            loss = periodic + F.mse_loss(w, s)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, v.shape, w.shape, conv2d, conv1d
    side_by_side(script)


def test_functional_training_loop_by_grad_and_value_with_aux():
    inputs = DATA.normal(size=(10, 3))
    targets = DATA.normal(size=(10, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        functional_call, grad_and_value = torch.func.functional_call, torch.func.grad_and_value
        model = nn.Sequential(nn.Linear(3, 6), nn.Softsign(), nn.Linear(6, 6),
                              nn.Tanhshrink(), nn.Linear(6, 2))
        copy_weights(model)
        params = {k: v.detach() for k, v in model.named_parameters()}
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)

        def loss_fn(params, x, y):
            out = functional_call(model, params, (x,))
            return F.mse_loss(out, y), out.abs().mean()

        history = []
        for _ in range(3):
            grads, (loss, activity) = grad_and_value(loss_fn, has_aux=True)(params, x, y)
            params = {k: p - 0.1 * grads[k] for k, p in params.items()}
            history.append((loss, activity))
        # the parameters themselves differ in layout (Linear's weight is (in, out) here)
        return history, functional_call(model, params, (x,))
    side_by_side(script)
