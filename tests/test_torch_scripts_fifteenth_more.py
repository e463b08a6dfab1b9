"""More fifteenth-round PyTorch scripts (see test_torch_scripts_fifteenth.py for how
they run): beam search over a small decoder's log-probabilities (``topk`` over the
flattened beams, ``div`` with ``rounding_mode="floor"``, ``index_select``), CutMix
with soft-label ``cross_entropy`` (probability targets), and stochastic depth (drop
path) by a per-sample mask scaled by ``div(keep_prob)``."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1505)


def test_beam_search_over_a_small_decoder():
    start_state = DATA.normal(size=(1, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        embed, cell, out = nn.Embedding(7, 6), nn.GRUCell(6, 6), nn.Linear(6, 7)
        copy_weights(embed, cell, out)
        beam, eos = 3, 0
        with torch.no_grad():
            # repeat(beam, 1) is refused here, as NumPy's repeat means another thing;
            # expand (or tile) says which
            hidden = torch.from_numpy(start_state).expand(beam, -1)
            tokens = torch.full((beam, 1), 1, dtype=torch.long)
            scores = torch.tensor([0.0] + [float("-inf")] * (beam - 1))
            for _ in range(4):
                hidden = cell(embed(tokens[:, -1]), hidden)
                log_probs = F.log_softmax(out(hidden), dim=-1)
                candidates = (scores[:, None] + log_probs).view(-1)
                scores, flat = candidates.topk(beam)
                origin = torch.div(flat, 7, rounding_mode="floor")
                token = flat % 7
                hidden = hidden.index_select(0, origin)
                tokens = torch.cat([tokens.index_select(0, origin), token[:, None]], dim=1)
            finished = (tokens == eos).any(dim=1)
        return tokens, scores, finished
    side_by_side(script)


def test_cutmix_with_soft_label_cross_entropy():
    images, labels = DATA.normal(size=(4, 2, 8, 8)), DATA.integers(0, 3, size=4)
    permutation, lam = DATA.permutation(4), 0.7

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(),
                              nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
        x, y = torch.from_numpy(images), torch.from_numpy(labels)
        index = torch.from_numpy(permutation)
        H, W = x.shape[2:]
        cut = int(W * np.sqrt(1 - lam))
        x1, y1 = 2, 1
        x2, y2 = min(x1 + cut, W), min(y1 + cut, H)
        mixed = x.clone()
        mixed[:, :, y1:y2, x1:x2] = x[index, :, y1:y2, x1:x2]
        area_lam = 1 - (x2 - x1) * (y2 - y1) / (W * H)
        target = (area_lam * F.one_hot(y, 3).double()
                  + (1 - area_lam) * F.one_hot(y[index], 3).double())
        losses = []
        for _ in range(3):
            loss = F.cross_entropy(model(mixed), target, label_smoothing=0.05)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return mixed, target, losses, model
    side_by_side(script)


def test_stochastic_depth_drop_path_with_a_fixed_mask():
    inputs = DATA.normal(size=(6, 5))
    keep_masks = (DATA.random(size=(3, 6, 1)) > 0.3).astype(float)

    def script(torch, copy_weights):
        nn = torch.nn

        def drop_path(x, keep, keep_prob, training):
            if not training or keep_prob == 1.0:
                return x
            return x.div(keep_prob) * keep

        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.norm, self.fc = nn.LayerNorm(5), nn.Linear(5, 5)

            def forward(self, x, keep):
                return x + drop_path(torch.tanh(self.fc(self.norm(x))), keep, 0.7,
                                     self.training)

        blocks = nn.ModuleList([Block() for _ in range(3)])
        copy_weights(blocks)
        x = torch.from_numpy(inputs)
        h = x
        for block, keep in zip(blocks, torch.from_numpy(keep_masks)):
            h = block(h, keep)
        h.pow(2).mean().backward()
        blocks.eval()
        with torch.no_grad():
            e = x
            for block, keep in zip(blocks, torch.from_numpy(keep_masks)):
                e = block(e, keep)
        return h, e, [b.norm.weight.grad for b in blocks], [b.fc.bias.grad for b in blocks]
    side_by_side(script)
