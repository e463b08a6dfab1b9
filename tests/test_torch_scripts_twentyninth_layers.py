"""The twenty-ninth round of PyTorch scripts, layers (see test_torch_scripts_twentyninth.py
for the method): ``F.interpolate`` in its 2-D modes (bilinear with and without
``align_corners``, ``scale_factor`` with ``recompute_scale_factor``, nearest and
nearest-exact, bicubic, area, bilinear with ``antialias``) and in 1-D and 3-D, with
``nn.Upsample`` / ``UpsamplingNearest2d`` / ``UpsamplingBilinear2d``; ``F.pad`` in its four
modes (negative padding too) and the padding modules; ``PixelShuffle`` /
``PixelUnshuffle``; ``ConvTranspose2d`` with ``output_padding``, ``groups``, ``dilation``
and ``output_size=``; ``padding='same'`` convolutions with dilation, an even kernel and
the circular and reflect padding modes; ``MaxPool2d(return_indices=True, ceil_mode=True)``
into ``MaxUnpool2d`` with ``output_size`` (and the 1-D pair); adaptive pooling to sizes
that do not divide the input (``None`` for a kept size, ``return_indices``); an ``LSTM``
with ``proj_size``, two layers, both directions and a given ``(h0, c0)``; and a
bidirectional two-layer ``GRU`` (batch-first) with ``h0`` trained by Adam, then run on an
unbatched sequence.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(292929)

INTERPOLATIONS_2D = [
    dict(size=(5, 7), mode="bilinear", align_corners=True),
    dict(size=(4, 9), mode="bilinear", align_corners=False),
    dict(scale_factor=1.7, mode="bilinear"),
    dict(scale_factor=(2, 0.6), mode="nearest"),
    dict(scale_factor=1.5, mode="nearest-exact"),
    dict(scale_factor=2.5, mode="bilinear", recompute_scale_factor=True),
    dict(size=(6, 4), mode="bicubic", align_corners=False),
    dict(size=(6, 4), mode="bicubic", align_corners=True),
    dict(size=(2, 3), mode="area"),
    dict(scale_factor=0.5, mode="bilinear", antialias=True),
]


def test_interpolate_in_its_2d_modes_and_the_upsampling_modules():
    x = DATA.normal(size=(1, 2, 3, 5))

    def script(torch, cw):
        nn, F = torch.nn, torch.nn.functional
        results = []
        for options in INTERPOLATIONS_2D:
            X = torch.tensor(x, requires_grad=True)
            out = F.interpolate(X, **options)
            out.pow(2).sum().backward()
            results.append((out, X.grad))
        results.append(nn.Upsample(scale_factor=2, mode="bilinear",
                                   align_corners=True)(torch.tensor(x)))
        results.append(nn.UpsamplingNearest2d(scale_factor=2)(torch.tensor(x)))
        results.append(nn.UpsamplingBilinear2d(size=(4, 4))(torch.tensor(x)))
        return results

    side_by_side(script)


def test_interpolate_in_1d_and_3d():
    line = DATA.normal(size=(2, 2, 5))
    volume = DATA.normal(size=(1, 1, 2, 3, 4))

    def script(torch, cw):
        F = torch.nn.functional
        results = []
        for options in [dict(size=8, mode="linear", align_corners=True),
                        dict(scale_factor=1.6, mode="linear"), dict(size=3, mode="nearest"),
                        dict(size=2, mode="area")]:
            X = torch.tensor(line, requires_grad=True)
            out = F.interpolate(X, **options)
            out.pow(2).sum().backward()
            results.append((out, X.grad))
        for options in [dict(size=(3, 4, 5), mode="trilinear", align_corners=False),
                        dict(scale_factor=2, mode="nearest"),
                        dict(size=(4, 2, 2), mode="trilinear", align_corners=True)]:
            X = torch.tensor(volume, requires_grad=True)
            out = F.interpolate(X, **options)
            out.pow(2).sum().backward()
            results.append((out, X.grad))
        return results

    side_by_side(script)


def test_pad_modes_and_padding_modules():
    x = DATA.normal(size=(1, 2, 3, 4))

    def script(torch, cw):
        nn, F = torch.nn, torch.nn.functional
        results = []
        for mode, pad in [("constant", (1, 2, 0, 1)), ("reflect", (2, 1, 1, 2)),
                          ("replicate", (3, 0, 2, 1)), ("circular", (1, 2, 2, 1)),
                          ("constant", (-1, 1, 0, -1))]:
            X = torch.tensor(x, requires_grad=True)
            if mode == "constant":
                out = F.pad(X, pad, mode=mode, value=0.5)
            else:
                out = F.pad(X, pad, mode=mode)
            (out * torch.arange(out.numel()).reshape(out.shape)).sum().backward()
            results.append((out, X.grad))
        results.append(F.pad(torch.tensor(x[0, 0]), (1, 1), mode="reflect"))
        results.append(nn.ReflectionPad2d((1, 0, 2, 1))(torch.tensor(x)))
        results.append(nn.ConstantPad1d(2, 3.5)(torch.tensor(x[0])))
        return results

    side_by_side(script)


def test_pixel_shuffle_and_unshuffle():
    x = DATA.normal(size=(2, 8, 3, 2))

    def script(torch, cw):
        nn = torch.nn
        X = torch.tensor(x, requires_grad=True)
        up = nn.PixelShuffle(2)(X)
        down = nn.PixelUnshuffle(2)(up)
        (up.pow(2).sum() + (down * X).sum()).backward()
        return up, down, X.grad

    side_by_side(script)


def test_transposed_convolution_with_output_padding_groups_and_dilation():
    x = DATA.normal(size=(2, 4, 3, 3))

    def script(torch, cw):
        nn = torch.nn
        grouped = nn.ConvTranspose2d(4, 6, kernel_size=3, stride=2, padding=1,
                                     output_padding=1, groups=2, dilation=2)
        uneven = nn.ConvTranspose2d(4, 2, kernel_size=(2, 3), stride=(3, 2), padding=(0, 1),
                                    output_padding=(2, 1), bias=False)
        cw(grouped, uneven)
        opt = torch.optim.SGD(list(grouped.parameters()) + list(uneven.parameters()), lr=0.1)
        X = torch.tensor(x, requires_grad=True)
        a, b = grouped(X), uneven(X)
        c = grouped(X, output_size=[8, 7])
        (a.pow(2).sum() + b.sum() + c.pow(3).sum()).backward()
        opt.step()
        return a, b, c, X.grad, grouped, uneven

    side_by_side(script)


def test_same_padding_convolutions_with_dilation_and_padding_modes():
    x = DATA.normal(size=(2, 3, 9))

    def script(torch, cw):
        nn = torch.nn
        even = nn.Conv1d(3, 4, kernel_size=4, padding="same", dilation=2)
        circular = nn.Conv1d(3, 4, kernel_size=3, padding="same", dilation=3,
                             padding_mode="circular")
        valid = nn.Conv1d(3, 4, kernel_size=2, padding="valid", stride=2)
        reflect = nn.Conv2d(3, 3, kernel_size=(2, 4), padding="same", groups=3,
                            padding_mode="reflect")
        cw(even, circular, valid, reflect)
        opt = torch.optim.SGD([p for m in (even, circular, valid, reflect)
                               for p in m.parameters()], lr=0.1)
        X = torch.tensor(x, requires_grad=True)
        a, b, c = even(X), circular(X), valid(X)
        d = reflect(X.unsqueeze(-1).expand(2, 3, 9, 5))
        (a.pow(2).sum() + b.sum() + c.sum() + d.pow(2).sum()).backward()
        opt.step()
        return a, b, c, d, X.grad, even, circular, valid, reflect

    side_by_side(script)


def test_max_pool_indices_into_max_unpool():
    x = DATA.normal(size=(1, 2, 5, 6))

    def script(torch, cw):
        nn = torch.nn
        pool = nn.MaxPool2d(2, stride=2, return_indices=True, ceil_mode=True)
        unpool = nn.MaxUnpool2d(2, stride=2)
        X = torch.tensor(x, requires_grad=True)
        pooled, indices = pool(X)
        back = unpool(pooled, indices, output_size=X.size())
        wider = unpool(pooled, indices, output_size=(6, 6))
        (back * X).sum().backward()
        pool1 = nn.MaxPool1d(3, stride=2, padding=1, return_indices=True)
        unpool1 = nn.MaxUnpool1d(3, stride=2, padding=1)
        a, j = pool1(X[0])
        return pooled, indices, back, wider, X.grad, a, j, unpool1(a, j, output_size=X[0].size())

    side_by_side(script)


def test_adaptive_pooling_to_sizes_that_do_not_divide_the_input():
    x = DATA.normal(size=(2, 3, 7, 5))

    def script(torch, cw):
        nn, F = torch.nn, torch.nn.functional
        X = torch.tensor(x, requires_grad=True)
        a = nn.AdaptiveAvgPool2d((3, 4))(X)
        b = nn.AdaptiveMaxPool2d((4, None))(X)
        c = nn.AdaptiveAvgPool2d(6)(X)
        d, where = F.adaptive_max_pool2d(X, (3, 3), return_indices=True)
        e = F.adaptive_avg_pool1d(X[:, :, 0], 3)
        (a.pow(2).sum() + b.sum() + c.pow(2).sum() + d.sum() + e.sum()).backward()
        return a, b, c, d, where, e, X.grad

    side_by_side(script)


def test_lstm_with_projections_both_directions_and_a_given_state():
    x = DATA.normal(size=(4, 2, 3))
    h0 = DATA.normal(size=(4, 2, 2))
    c0 = DATA.normal(size=(4, 2, 5))

    def script(torch, cw):
        lstm = torch.nn.LSTM(3, 5, num_layers=2, proj_size=2, bidirectional=True)
        cw(lstm)
        opt = torch.optim.SGD(lstm.parameters(), lr=0.1)
        X = torch.tensor(x, requires_grad=True)
        H = torch.tensor(h0, requires_grad=True)
        out, (h, c) = lstm(X, (H, torch.tensor(c0)))
        (out.pow(2).sum() + h.sum() + c.pow(2).sum()).backward()
        opt.step()
        return out, h, c, X.grad, H.grad, lstm

    side_by_side(script)


def test_bidirectional_gru_with_h0_trained_then_run_unbatched():
    x = DATA.normal(size=(2, 4, 3))
    h0 = DATA.normal(size=(4, 2, 5))

    def script(torch, cw):
        gru = torch.nn.GRU(3, 5, num_layers=2, bidirectional=True, batch_first=True)
        cw(gru)
        opt = torch.optim.Adam(gru.parameters(), lr=0.01)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            out, h = gru(torch.tensor(x), torch.tensor(h0))
            loss = out[:, -1].pow(2).sum() + h[-2:].sum()
            loss.backward()
            opt.step()
            losses.append((loss, out, h))
        single, h_single = gru(torch.tensor(x[0]), torch.tensor(h0[:, 0]))
        return losses, gru, single, h_single

    side_by_side(script)
