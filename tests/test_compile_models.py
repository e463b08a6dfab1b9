"""Compiled training steps of models other than MLPs, each against an eager twin from
the same start on the same batches (``compile_twins.py``): over many calls the returned
values, parameters, buffers, gradients and optimizer state agree (bit for bit without
fusion, within a few ulp with it)."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F
from compile_twins import run_twins, training_step

FUSE = [pytest.param(False, id="bitwise"), pytest.param(True, id="fused")]


def _batches(n, *shapes_and_classes, seed=0, dtype=np.float64):
    """``n`` argument tuples: a normal array per shape, class indices per int."""
    rng = np.random.default_rng(seed)
    return [tuple(rng.integers(0, s, size=4) if isinstance(s, int)
                  else rng.standard_normal(s).astype(dtype) for s in shapes_and_classes)
            for _ in range(n)]


def _cnn(dropout_rng):
    def make():
        model = nn.Sequential(
            nn.Conv2d(1, 3, 3, padding=1, rng=1), nn.BatchNorm2d(3), nn.ReLU(),
            nn.MaxPool2d(2), nn.Dropout(0.3, rng=dropout_rng), nn.Flatten(),
            nn.Linear(12, 3, rng=2))
        opt = ad.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        return training_step(model, opt), {"model": model, "opt": opt}
    return make


@pytest.mark.parametrize("fuse", FUSE)
@pytest.mark.parametrize("dropout_rng", [7, None], ids=["own generator", "default generator"])
def test_cnn_with_batchnorm_maxpool_and_dropout(fuse, dropout_rng):
    # (the convolution's bias feeds BatchNorm, so its gradient is rounding noise around
    # zero, summed from terms of order 1: compared in ulp of 1)
    compiled, eager, _ = run_twins(_cnn(dropout_rng), _batches(20, (4, 1, 4, 4), 3),
                                   fuse=fuse, seed=3, scale=1.0)
    assert compiled.traces == 1
    assert int(eager["model"][1].num_batches_tracked) == 20


def test_cnn_switched_to_eval_between_calls_traces_again_and_freezes_running_stats():
    def between(k, things):
        things["model"].train(k % 3 != 2)
    compiled, _, twin = run_twins(_cnn(7), _batches(9, (4, 1, 4, 4), 3), between=between,
                                  scale=1.0)      # (the bias before BatchNorm: see above)
    assert compiled.traces == 2
    assert int(twin["model"][1].num_batches_tracked) == 6


def _recurrent(kind, dtype):
    def make():
        cell = {"lstm": nn.LSTM, "gru": nn.GRU}[kind](
            3, 5, num_layers=2, batch_first=True, rng=4, dtype=dtype)
        head = nn.Linear(5, 2, rng=5, dtype=dtype)
        opt = ad.optim.Adam([*cell.parameters(), *head.parameters()], lr=1e-2)

        def step(x, target):
            opt.zero_grad()
            out, _ = cell(x)
            loss = ((head(out[:, -1]) - target) ** 2).mean()
            loss.backward()
            opt.step()
            return {"loss": loss, "last": out[:, -1].detach()}
        return step, {"cell": cell, "head": head, "opt": opt}
    return make


@pytest.mark.parametrize("fuse", FUSE)
@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_recurrent_sequence_models(fuse, kind, dtype):
    batches = _batches(20, (4, 6, 3), (4, 2), dtype=dtype)
    run_twins(_recurrent(kind, dtype), batches, fuse=fuse)


def _transformer():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True, rng=6)
    head = nn.Linear(8, 3, rng=7)
    opt = ad.optim.AdamW([*layer.parameters(), *head.parameters()], lr=1e-2,
                         weight_decay=0.1)
    causal = nn.Transformer.generate_square_subsequent_mask(5)

    def step(x, padding, y):
        opt.zero_grad()
        h = layer(x, src_mask=causal, src_key_padding_mask=padding)
        loss = F.cross_entropy(head(h[:, 0]), y)
        loss.backward()
        opt.step()
        return loss
    return step, {"layer": layer, "head": head, "opt": opt}


@pytest.mark.parametrize("fuse", FUSE)
def test_transformer_encoder_layer_with_causal_and_padding_masks(fuse):
    rng = np.random.default_rng(1)
    batches = []
    for _ in range(20):
        lengths = rng.integers(1, 6, size=4)
        padding = np.arange(5)[None, :] >= lengths[:, None]
        batches.append((rng.standard_normal((4, 5, 8)), padding, rng.integers(0, 3, 4)))
    run_twins(_transformer, batches, fuse=fuse)


def _embedding(max_norm):
    def make():
        table = nn.Embedding(10, 4, padding_idx=0, max_norm=max_norm, rng=8)
        norm = nn.LayerNorm(4)
        bias = nn.Parameter(np.zeros(10))
        opt = ad.optim.RMSprop([*table.parameters(), *norm.parameters(), bias],
                               lr=1e-2, momentum=0.5, weight_decay=1e-3)

        def step(ids, y):
            opt.zero_grad()
            # the output layer tied to the embedding table
            logits = F.linear(norm(table(ids)).mean(1), table.weight, bias)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            opt.step()
            return loss
        return step, {"table": table, "norm": norm, "bias": bias, "opt": opt}
    return make


@pytest.mark.parametrize("fuse", FUSE)
@pytest.mark.parametrize("max_norm", [None, 1.0], ids=["tied", "tied with max_norm"])
def test_embedding_with_padding_idx_and_max_norm_tied_to_the_output(fuse, max_norm):
    rng = np.random.default_rng(2)
    batches = [(rng.integers(0, 10, size=(4, 3)), rng.integers(0, 10, size=4))
               for _ in range(20)]
    _, eager, _ = run_twins(_embedding(max_norm), batches, fuse=fuse)
    start = _embedding(max_norm)()[1]["table"].weight.data
    assert (np.linalg.norm(start, axis=1) > 1.2).sum() >= 7     # max_norm has work to do
    if max_norm is not None:        # the rows last looked up, renormalised in place
        rows = np.unique(batches[-1][0])
        assert (np.linalg.norm(eager["table"].weight.data[rows], axis=1) < 1.1).all()


def _encoder_stack():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True, norm_first=True,
                                       activation="gelu", rng=0)
    encoder, head = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8)), nn.Linear(8, 3, rng=5)
    opt = ad.optim.SGD([*encoder.parameters(), *head.parameters()], lr=1e-2, momentum=0.9)
    causal = nn.Transformer.generate_square_subsequent_mask(5)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(head(encoder(x, mask=causal, is_causal=True)[:, -1]), y)
        loss.backward()
        opt.step()
        return loss
    return step, {"encoder": encoder, "head": head, "opt": opt}


@pytest.mark.parametrize("fuse", FUSE)
def test_a_stack_of_pre_norm_gelu_encoder_layers(fuse):
    run_twins(_encoder_stack, _batches(20, (4, 5, 8), 3), fuse=fuse, seed=0)


def test_a_transformer_encoder_decoder_with_causal_and_padding_masks():
    # (bitwise only: the key biases' gradients are rounding noise around zero, which
    # Adam scales up, so fused exp shifts them by more than a few ulp)
    def make():
        model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
                               dim_feedforward=16, dropout=0.1, batch_first=True, rng=0)
        head = nn.Linear(8, 5, rng=1)
        opt = ad.optim.Adam([*model.parameters(), *head.parameters()], lr=1e-3)
        causal = nn.Transformer.generate_square_subsequent_mask(4)

        def step(source, target, labels, padding):
            opt.zero_grad()
            out = model(source, target, tgt_mask=causal, src_key_padding_mask=padding,
                        tgt_is_causal=True)
            loss = F.cross_entropy(head(out).reshape(-1, 5), labels.reshape(-1))
            loss.backward()
            opt.step()
            return loss
        return step, {"model": model, "head": head, "opt": opt}
    rng = np.random.default_rng(0)
    padding = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]], bool)
    batches = [(rng.standard_normal((2, 5, 8)), rng.standard_normal((2, 4, 8)),
                rng.integers(0, 5, (2, 4)), padding) for _ in range(8)]
    run_twins(make, batches, fuse=False, seed=0)


class _ResidualBlock(nn.Module):
    def __init__(self, seed):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 3, 3, padding=1, bias=False, rng=seed)
        self.norm1 = nn.BatchNorm2d(3)
        self.conv2 = nn.Conv2d(3, 3, 3, padding=1, bias=False, rng=seed + 1)
        self.norm2 = nn.BatchNorm2d(3)

    def forward(self, x):
        h = F.relu(self.norm1(self.conv1(x)), inplace=True)
        h = self.norm2(self.conv2(h))
        h += x
        return F.relu(h)


def test_residual_blocks_with_in_place_adds_and_no_decay_groups():
    def make():
        model = nn.Sequential(_ResidualBlock(0), _ResidualBlock(2), nn.AdaptiveAvgPool2d(1),
                              nn.Flatten(), nn.Linear(3, 2, rng=4))
        named = list(model.named_parameters())
        decay = [p for name, p in named if name.endswith("weight") and p.ndim > 1]
        rest = [p for name, p in named if not (name.endswith("weight") and p.ndim > 1)]
        opt = ad.optim.SGD([{"params": decay, "weight_decay": 5e-4},
                            {"params": rest, "weight_decay": 0.0}],
                           lr=0.1, momentum=0.9, nesterov=True)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
            loss.backward()
            opt.step()
            return loss
        return step, {"model": model, "opt": opt}
    run_twins(make, _batches(20, (4, 3, 4, 4), 2))


def test_a_text_cnn_and_a_conv_autoencoder():
    def text_cnn():
        table = nn.Embedding(20, 6, padding_idx=0, rng=0)
        conv, head = nn.Conv1d(6, 4, 3, padding=1, rng=1), nn.Linear(4, 2, rng=2)
        opt = ad.optim.Adagrad([*table.parameters(), *conv.parameters(), *head.parameters()],
                               lr=0.1)

        def step(ids, y):
            opt.zero_grad()
            h = F.adaptive_max_pool1d(conv(table(ids).transpose(1, 2)).relu(), 1)
            loss = F.cross_entropy(head(h.squeeze(-1)), y)
            loss.backward()
            opt.step()
            return loss
        return step, {"table": table, "conv": conv, "head": head, "opt": opt}

    def autoencoder():
        model = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1, rng=0), nn.GELU(),
                              nn.ConvTranspose2d(4, 1, 4, stride=2, padding=1, rng=1),
                              nn.Upsample(scale_factor=2, mode="bilinear"), nn.AvgPool2d(2),
                              nn.Sigmoid())
        opt = ad.optim.NAdam(model.parameters(), lr=1e-2)

        def step(x):
            opt.zero_grad()
            loss = F.binary_cross_entropy(model(x), (x > 0).float())
            loss.backward()
            opt.step()
            return loss
        return step, {"model": model, "opt": opt}
    rng = np.random.default_rng(0)
    run_twins(text_cnn, [(rng.integers(0, 20, (4, 7)), rng.integers(0, 2, 4))
                         for _ in range(20)])
    run_twins(autoencoder, [(rng.standard_normal((2, 1, 6, 6)),) for _ in range(20)])


def test_a_variational_autoencoder_with_reparameterised_noise():
    def make():
        encoder, decoder = nn.Linear(6, 4, rng=0), nn.Linear(2, 6, rng=1)
        opt = ad.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=1e-2)

        def step(x):
            opt.zero_grad()
            mu, log_var = encoder(x).chunk(2, dim=1)
            z = mu + ad.randn_like(mu) * (0.5 * log_var).exp()   # the default generator
            kl = -0.5 * (1 + log_var - mu ** 2 - log_var.exp()).sum(1).mean()
            loss = F.mse_loss(decoder(z), x, reduction="sum") / len(x) + kl
            loss.backward()
            opt.step()
            return loss
        return step, {"encoder": encoder, "decoder": decoder, "opt": opt}
    run_twins(make, _batches(20, (5, 6)), seed=4)
