"""The twenty-seventh round of PyTorch scripts: each is written once against the
``torch`` namespace and run twice, with PyTorch and with autodiff in its place, from
the same initial weights (``torch_side_by_side.side_by_side``), and what they return
(losses, outputs, gradients, parameters after a few steps) is compared to 1e-10 in
float64.  This file: models -- a transformer decoder trained with a causal mask and
key padding masks, a sub-pixel (``PixelShuffle``) super-resolution net with bilinear
``Upsample``, a patch model through ``Fold``/``Unfold``, a grouped and dilated conv
autoencoder with ``ConvTranspose2d(output_padding=1)`` and ``AdaptiveAvgPool2d`` on
odd sizes, ``Bilinear`` under ``CosineEmbeddingLoss``, a GRU seq2seq with teacher
forcing, and ``to_torch_state_dict`` round trips of every module with a layout or
buffers of its own.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import autodiff as ad  # noqa: E402
from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(27027)


def test_transformer_decoder_with_causal_and_padding_masks_trains():
    memory_in = DATA.normal(size=(2, 5, 8))
    target_in = DATA.normal(size=(2, 4, 8))
    memory_pad = np.array([[False, False, False, True, True], [False] * 5])
    target_pad = np.array([[False] * 4, [False, False, False, True]])
    goal = DATA.normal(size=(2, 4, 8))

    def script(torch, copy_weights):
        nn = torch.nn
        layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0,
                                           batch_first=True, norm_first=True)
        decoder = nn.TransformerDecoder(layer, num_layers=2)
        copy_weights(decoder)
        causal = nn.Transformer.generate_square_subsequent_mask(4)
        opt = torch.optim.Adam(decoder.parameters(), lr=0.01)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            out = decoder(torch.tensor(target_in), torch.tensor(memory_in), tgt_mask=causal,
                          tgt_key_padding_mask=torch.tensor(target_pad),
                          memory_key_padding_mask=torch.tensor(memory_pad))
            keep = ~torch.tensor(target_pad)
            loss = ((out - torch.tensor(goal)) ** 2)[keep].mean()
            loss.backward()
            opt.step()
            losses.append(loss)
        return losses, causal, decoder
    side_by_side(script)


def test_multihead_attention_weights_with_masks_and_their_gradients():
    q_in, kv_in = DATA.normal(size=(3, 2, 6)), DATA.normal(size=(4, 2, 6))
    attn_mask = np.triu(np.ones((3, 4), dtype=bool), k=2)
    pad = np.array([[False, False, False, True], [False, False, False, False]])

    def script(torch, copy_weights):
        mha = torch.nn.MultiheadAttention(6, 3, bias=True, add_bias_kv=False)
        copy_weights(mha)
        q = torch.tensor(q_in, requires_grad=True)
        kv = torch.tensor(kv_in, requires_grad=True)
        out, weights = mha(q, kv, kv, attn_mask=torch.tensor(attn_mask),
                           key_padding_mask=torch.tensor(pad), average_attn_weights=False)
        (out.pow(2).sum() + weights[:, 1].sum()).backward()
        return out, weights, q.grad, kv.grad, mha.in_proj_weight.grad, mha.out_proj.bias.grad
    side_by_side(script)


def test_pixel_shuffle_super_resolution_with_bilinear_upsample():
    low = DATA.normal(size=(2, 1, 5, 5))
    high = DATA.normal(size=(2, 1, 10, 10))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
                              nn.Conv2d(8, 4, 3, padding=1), nn.PixelShuffle(2))
        skip = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        copy_weights(model)
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        x, y = torch.tensor(low), torch.tensor(high)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            pred = model(x) + skip(x)
            loss = nn.functional.l1_loss(pred, y) + 0.1 * nn.functional.mse_loss(
                nn.functional.pixel_unshuffle(pred, 2), nn.functional.pixel_unshuffle(y, 2))
            loss.backward()
            opt.step()
            losses.append(loss)
        nearest = nn.functional.interpolate(x, size=(7, 9), mode="nearest")
        bicubic = nn.functional.interpolate(x, scale_factor=1.5, mode="bicubic",
                                            align_corners=True)
        return losses, model, nearest, bicubic
    side_by_side(script)


def test_patch_model_through_fold_and_unfold():
    images = DATA.normal(size=(2, 3, 6, 6))

    def script(torch, copy_weights):
        nn = torch.nn
        unfold = nn.Unfold(kernel_size=2, stride=2)
        fold = nn.Fold(output_size=(6, 6), kernel_size=2, stride=2)
        mixer = nn.Linear(12, 12)
        copy_weights(mixer)
        x = torch.tensor(images, requires_grad=True)
        patches = unfold(x)                                 # (N, 12, 9)
        mixed = mixer(patches.transpose(1, 2)).transpose(1, 2)
        out = fold(mixed)
        overlap = nn.functional.fold(nn.functional.unfold(x, 3, padding=1, stride=1),
                                     (6, 6), 3, padding=1)
        (out.tanh().sum() + overlap.square().mean()).backward()
        return patches, out, overlap, x.grad, mixer.bias.grad
    side_by_side(script)


def test_grouped_dilated_autoencoder_with_output_padding():
    images = DATA.normal(size=(2, 4, 9, 9))

    def script(torch, copy_weights):
        nn = torch.nn
        encoder = nn.Sequential(nn.Conv2d(4, 8, 3, stride=2, padding=2, dilation=2, groups=2),
                                nn.BatchNorm2d(8), nn.GELU())
        decoder = nn.Sequential(nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1,
                                                   output_padding=1, groups=4),
                                nn.Conv2d(4, 4, 2))         # 9 -> 5 -> 10 -> 9
        head = nn.Sequential(nn.AdaptiveAvgPool2d((3, 2)), nn.Flatten(), nn.Linear(48, 2))
        copy_weights(encoder, decoder, head)
        params = [*encoder.parameters(), *decoder.parameters(), *head.parameters()]
        opt = torch.optim.AdamW(params, lr=0.01)
        x = torch.tensor(images)
        losses, shapes = [], []
        for _ in range(3):
            opt.zero_grad()
            code = encoder(x)
            recon = decoder(code)
            shapes.append(torch.tensor(list(code.shape) + list(recon.shape)))
            loss = nn.functional.mse_loss(recon, x) + head(code).pow(2).mean()
            loss.backward()
            opt.step()
            losses.append(loss)
        odd = nn.ConvTranspose2d(2, 2, 3, stride=2, output_padding=1)
        copy_weights(odd)
        return losses, shapes, encoder, decoder, head, odd(x[:, :2]), \
            nn.functional.adaptive_max_pool2d(x, (4, 5))
    side_by_side(script)


def test_bilinear_similarity_under_cosine_embedding_loss():
    left, right = DATA.normal(size=(6, 4)), DATA.normal(size=(6, 3))
    same = np.array([1, -1, 1, 1, -1, -1])

    def script(torch, copy_weights):
        nn = torch.nn
        mix = nn.Bilinear(4, 3, 5)
        proj = nn.Linear(4, 5, bias=False)
        copy_weights(mix, proj)
        opt = torch.optim.Adam([*mix.parameters(), *proj.parameters()], lr=0.02)
        criterion = nn.CosineEmbeddingLoss(margin=0.2)
        a, b, y = torch.tensor(left), torch.tensor(right), torch.tensor(same)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = criterion(mix(a, b), proj(a), y)
            loss.backward()
            opt.step()
            losses.append(loss)
        return losses, mix, proj
    side_by_side(script)


def test_gru_seq2seq_with_teacher_forcing():
    source = DATA.integers(1, 7, size=(3, 5))
    target = DATA.integers(1, 7, size=(3, 4))
    forcing = [True, False, True, True]

    def script(torch, copy_weights):
        nn = torch.nn
        embed = nn.Embedding(7, 6, padding_idx=0)
        encoder = nn.GRU(6, 8, batch_first=True)
        decoder = nn.GRUCell(6, 8)
        out = nn.Linear(8, 7)
        copy_weights(embed, encoder, decoder, out)
        params = [p for m in (embed, encoder, decoder, out) for p in m.parameters()]
        opt = torch.optim.Adam(params, lr=0.01)
        src, tgt = torch.tensor(source), torch.tensor(target)
        losses = []
        for _ in range(2):
            opt.zero_grad()
            _, h = encoder(embed(src))
            h = h[0]
            token = torch.zeros(3, dtype=torch.long)
            loss = 0.0
            for t in range(4):
                h = decoder(embed(token), h)
                logits = out(h)
                loss = loss + nn.functional.cross_entropy(logits, tgt[:, t])
                token = tgt[:, t] if forcing[t] else logits.argmax(-1)
            loss = loss / 4
            loss.backward()
            nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            losses.append(loss)
        return losses, embed, encoder, decoder, out
    side_by_side(script)


ROUND_TRIPS = {
    "Bilinear": lambda nn: nn.Bilinear(3, 2, 4),
    "Conv1d grouped": lambda nn: nn.Conv1d(2, 4, 3, groups=2),
    "ConvTranspose2d": lambda nn: nn.ConvTranspose2d(2, 3, 3, stride=2, output_padding=1),
    "ConvTranspose1d grouped": lambda nn: nn.ConvTranspose1d(4, 2, 3, groups=2),
    "BatchNorm2d": lambda nn: nn.BatchNorm2d(3),
    "InstanceNorm1d tracked": lambda nn: nn.InstanceNorm1d(3, affine=True,
                                                           track_running_stats=True),
    "GroupNorm": lambda nn: nn.GroupNorm(2, 4),
    "RMSNorm": lambda nn: nn.RMSNorm(3),
    "EmbeddingBag": lambda nn: nn.EmbeddingBag(5, 3),
    "PReLU": lambda nn: nn.PReLU(3),
    "LSTM stacked": lambda nn: nn.LSTM(3, 4, num_layers=2, batch_first=True),
    "LSTM projected": lambda nn: nn.LSTM(3, 4, proj_size=2),
    "GRU bidirectional": lambda nn: nn.GRU(3, 4, bidirectional=True),
    "LSTMCell": lambda nn: nn.LSTMCell(3, 4),
    "MultiheadAttention kdim": lambda nn: nn.MultiheadAttention(4, 2, kdim=3, vdim=5),
    "TransformerDecoderLayer": lambda nn: nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0),
    "Sequential with BatchNorm1d": lambda nn: nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4),
                                                            nn.ReLU(), nn.Linear(4, 2)),
}


@pytest.mark.parametrize("name", sorted(ROUND_TRIPS))
def test_torch_state_dicts_round_trip_exactly(name):
    make = ROUND_TRIPS[name]
    torch.manual_seed(0)
    theirs = make(torch.nn).double()
    for module in theirs.modules():                 # running stats that are not the defaults
        if getattr(module, "running_mean", None) is not None:
            module.running_mean.uniform_()
            module.running_var.uniform_(0.5, 2.0)
            module.num_batches_tracked.fill_(7)
    saved = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    ours = make(ad.nn)
    ours.load_torch_state_dict(saved)
    back = ours.to_torch_state_dict()
    assert sorted(back) == sorted(saved)
    for key, value in saved.items():
        assert np.asarray(back[key]).shape == value.shape, key
        np.testing.assert_array_equal(np.asarray(back[key]), value, err_msg=key)
