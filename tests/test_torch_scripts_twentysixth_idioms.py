"""The twenty-sixth round of PyTorch scripts, tensor idioms inside small models (see
test_torch_scripts_twentysixth.py for the method): segment means by ``scatter_add`` and
``bincount`` over a graph's edges found by ``nonzero`` and deduplicated by
``unique(dim=0)``, a convolution by hand (``unfold`` of a sequence, ``einsum`` with the
kernel) against ``F.conv1d``, top-p (nucleus) filtering by ``sort`` / ``cumsum`` /
``scatter`` before ``softmax``, ``EmbeddingBag(mode='mean')`` with offsets beside the
same bags by ``index_select`` and ``index_add``, layers initialised by ``nn.init``
(a Kaiming scale from ``calculate_gain('relu')`` and the weight's fan over NumPy's
draws, ``zeros_``, ``ones_``, ``constant_``, ``eye_``, ``dirac_``) and a conv /
batch-norm / pool stack whose shapes are checked on the way; masks and weights from
``torch.tensor`` of nested lists mixing bools with ints and floats; a siamese net
trained by ``CosineEmbeddingLoss``, ``MarginRankingLoss``, ``TripletMarginLoss(swap=
True)``, ``HuberLoss`` and ``GaussianNLLLoss`` together.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2600)


def test_segment_means_over_deduplicated_graph_edges():
    adjacency = np.array([[0, 1, 0, 1], [1, 0, 1, 0], [0, 0, 0, 1], [1, 1, 0, 0]])
    features = DATA.normal(size=(4, 3))

    def script(torch, copy_weights):
        nn = torch.nn
        layer = nn.Linear(3, 3)
        copy_weights(layer)
        a = torch.tensor(adjacency)
        edges = torch.nonzero(a + a.T, as_tuple=False)          # (E, 2), both directions
        undirected = torch.unique(torch.sort(edges, dim=1).values, dim=0)
        src, dst = edges[:, 0], edges[:, 1]
        x = torch.tensor(features, requires_grad=True)
        messages = layer(x)[src]
        total = torch.zeros(4, 3).scatter_add(0, dst.unsqueeze(1).expand(-1, 3), messages)
        degree = torch.bincount(dst, minlength=4).clamp(min=1).unsqueeze(1)
        mean = total / degree
        loss = (mean.relu() + x).pow(2).sum()
        loss.backward()
        return edges, undirected, degree, mean, loss, x.grad, layer.bias.grad
    side_by_side(script)


def test_convolution_by_hand_with_unfold_and_einsum():
    signal = DATA.normal(size=(2, 3, 9))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        conv = nn.Conv1d(3, 4, 3, stride=2)
        copy_weights(conv)
        x = torch.tensor(signal, requires_grad=True)
        windows = x.unfold(2, 3, 2)                             # (2, 3, 4, 3)
        by_hand = torch.einsum("bcwk,ock->bow", windows, conv.weight) + conv.bias[:, None]
        reference = F.conv1d(x, conv.weight, conv.bias, stride=2)
        loss = by_hand.tanh().sum() + 0.5 * reference.square().sum()
        loss.backward()
        return windows, by_hand, reference, loss, x.grad, conv.bias.grad
    side_by_side(script)


def test_nucleus_filtering_before_softmax():
    logits_np = DATA.normal(size=(3, 7)) * 2

    def script(torch, copy_weights):
        logits = torch.tensor(logits_np, requires_grad=True)
        top_p = 0.8
        sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
        cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
        remove = cumulative > top_p
        remove[..., 1:] = remove[..., :-1].clone()
        remove[..., 0] = False
        mask = remove.scatter(1, order, remove)
        filtered = logits.masked_fill(mask, float("-inf"))
        probs = torch.softmax(filtered, dim=-1)
        expected = (probs * torch.arange(7.0)).sum()
        expected.backward()
        kept = (~mask).sum(dim=1)
        return mask, probs, kept, expected, logits.grad
    side_by_side(script)


def test_embedding_bag_mean_with_offsets_beside_index_add():
    tokens = np.array([1, 4, 2, 2, 0, 3, 4])
    offsets = np.array([0, 2, 3])

    def script(torch, copy_weights):
        nn = torch.nn
        bag = nn.EmbeddingBag(5, 3, mode="mean")
        copy_weights(bag)
        t, o = torch.tensor(tokens), torch.tensor(offsets)
        pooled = bag(t, o)
        lengths = torch.diff(torch.cat([o, torch.tensor([len(tokens)])]))
        which = torch.repeat_interleave(torch.arange(3), lengths)
        rows = bag.weight.index_select(0, t)
        sums = torch.zeros(3, 3).index_add(0, which, rows)
        by_hand = sums / lengths.unsqueeze(1)
        loss = (pooled * torch.tensor([1.0, -2.0, 0.5])).sum() + by_hand.square().sum()
        loss.backward()
        return pooled, by_hand, lengths, which, loss, bag.weight.grad
    side_by_side(script)


def test_init_functions_and_a_conv_batchnorm_pool_stack():
    images = DATA.normal(size=(2, 3, 8, 8))
    draws = DATA.normal(size=(6, 3, 3, 3))

    def script(torch, copy_weights):
        nn = torch.nn
        init = nn.init
        conv = nn.Conv2d(3, 6, 3, padding=1)
        bn = nn.BatchNorm2d(6)
        head = nn.Linear(6, 2)
        square = nn.Linear(4, 4)
        identity = nn.Conv2d(3, 3, 3, padding=1, bias=False)
        fan_in = conv.weight[0].numel()
        gain = init.calculate_gain("relu")
        with torch.no_grad():
            conv.weight.copy_(torch.tensor(draws) * gain / math.sqrt(fan_in))
        init.zeros_(conv.bias)
        init.constant_(bn.weight, 0.5)
        init.eye_(square.weight)
        init.ones_(square.bias)
        init.dirac_(identity.weight)
        bound = gain * math.sqrt(6.0 / (6 + 2))
        init.constant_(head.weight, bound / 4)        # (Linear's layout differs here)
        with torch.no_grad():
            head.weight[:3] *= -1.0 if head.weight.shape[0] == 6 else 1.0
            head.weight[:, :3] *= -1.0 if head.weight.shape[1] == 6 else 1.0
        init.zeros_(head.bias)
        x = torch.tensor(images, requires_grad=True)
        h = conv(identity(x))
        shapes = [torch.tensor(h.shape)]
        h = torch.relu(bn(h))
        h = nn.functional.max_pool2d(h, 2)
        shapes.append(torch.tensor(h.shape))
        h = nn.functional.adaptive_avg_pool2d(h, 1).flatten(1)
        shapes.append(torch.tensor(h.shape))
        out = head(h)
        loss = out.logsumexp(dim=1).mean() + square(torch.ones(4)).sum()
        loss.backward()
        return (shapes, out, loss, x.grad, conv.bias.grad, bn.weight.grad,
                bn.running_mean, bn.running_var, torch.tensor(gain))
    side_by_side(script)


def test_nested_lists_with_bools_build_masks_and_class_weights():
    values = DATA.normal(size=(3, 4))

    def script(torch, copy_weights):
        valid = torch.tensor([[True, False, True, True], [1, 0, 0, 1], [True, True, 0, 0]])
        flags = torch.tensor([True, False, True])
        weights = torch.tensor([[1, 2.5], [True, 0]])           # floats: the default dtype
        counts = torch.tensor([[1, 2], [3, False]])             # ints: int64
        x = torch.tensor(values, requires_grad=True)
        kept = x * valid                                        # bool * float
        per_row = kept.sum(dim=1) / valid.sum(dim=1)            # float / int64
        loss = (per_row * flags).sum() + (weights * counts).sum() + flags.sum() * 0.5
        loss.backward()
        return valid, flags, weights, counts, per_row, loss, x.grad
    side_by_side(script)


def test_siamese_training_with_pair_and_triplet_losses():
    anchors = DATA.normal(size=(4, 5))
    positives = anchors + 0.1 * DATA.normal(size=(4, 5))
    negatives = DATA.normal(size=(4, 5))
    same = np.array([1, -1, 1, -1])

    def script(torch, copy_weights):
        nn = torch.nn
        net = nn.Sequential(nn.Linear(5, 6), nn.SiLU(), nn.Linear(6, 3))
        var_head = nn.Linear(3, 3)
        copy_weights(net, var_head)
        opt = torch.optim.Adam(list(net.parameters()) + list(var_head.parameters()), lr=0.01)
        cosine = nn.CosineEmbeddingLoss(margin=0.2)
        ranking = nn.MarginRankingLoss(margin=0.5)
        triplet = nn.TripletMarginLoss(margin=1.0, p=2, swap=True)
        huber = nn.HuberLoss(delta=0.3)
        gaussian = nn.GaussianNLLLoss(eps=1e-4)
        a, p, n = (torch.tensor(v) for v in (anchors, positives, negatives))
        y = torch.tensor(same)
        losses = []
        for _ in range(3):
            za, zp, zn = net(a), net(p), net(n)
            pair = torch.where(y > 0, zp.T, zn.T).T
            d_pos = (za - zp).norm(dim=1)
            d_neg = (za - zn).norm(dim=1)
            variance = nn.functional.softplus(var_head(za))
            terms = torch.stack([cosine(za, pair, y), ranking(d_neg, d_pos, torch.ones(4)),
                                 triplet(za, zp, zn), huber(za, zp),
                                 gaussian(za, zp.detach(), variance)])
            opt.zero_grad()
            terms.sum().backward()
            opt.step()
            losses.append(terms)
        return losses, net, var_head
    side_by_side(script)
