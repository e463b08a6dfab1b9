"""The twelfth round of PyTorch scripts, tensor functions (see
test_torch_scripts_twelfth.py for the method): sequence features by ``diff(prepend=,
append=)``, ``logcumsumexp``, ``cummin`` and ``nanmean`` / ``nansum`` over missing
values; heads split by ``unflatten`` / ``movedim`` and chunks by ``tensor_split``;
attention scores by ``baddbmm(beta=, alpha=)`` as GPT-2 and BLOOM write them, a linear
layer by ``addmm``, an Adam step by ``addcmul_`` / ``addcdiv_`` and gating by ``lerp``
with tensor weights; L1 prototypes by ``cdist(p=1)`` with a calibration error binned by
``bucketize`` / ``histc``; and the less common elementwise and structural functions
(``narrow``, ``roll`` over two dims, ``kron``, ``block_diag``, ``cartesian_prod``,
``vander`` (as a constant), ``take_along_dim``, ``renorm``, ``hypot``, ``atan2``,
``copysign``, ``fmod``, ``sinc``, ``float_power``, ``cumulative_trapezoid``)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1214)


def test_sequence_features_by_diff_logcumsumexp_cummin_and_nan_reductions():
    series_values = DATA.normal(size=(4, 10)).cumsum(axis=1)
    missing = DATA.uniform(size=(4, 10)) < 0.2
    target_values = DATA.normal(size=4)

    def script(torch, copy_weights):
        nn = torch.nn
        head = nn.Linear(6, 1)
        copy_weights(head)
        series = torch.from_numpy(series_values)
        missing_mask = torch.from_numpy(missing)
        scale = torch.tensor(1.0, requires_grad=True)
        optimizer = torch.optim.SGD(list(head.parameters()) + [scale], lr=0.05)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            x = series * scale
            steps = torch.diff(x, dim=1, prepend=x[:, :1])
            second = torch.diff(x, n=2, dim=-1, prepend=x[:, :1], append=x[:, -1:])
            soft_running_max = torch.logcumsumexp(x, dim=-1)
            running_min, argmin = torch.cummin(x, dim=1)
            # (NaN put in by where, after the scaling: NaN * scale would make the
            # gradient of scale 0 * NaN = NaN)
            observed_scaled = torch.where(missing_mask, torch.nan, x)
            features = torch.stack([
                steps.abs().mean(dim=1),
                second.pow(2).mean(dim=1),
                soft_running_max[:, -1],
                running_min[:, -1],
                torch.nanmean(observed_scaled, dim=1),
                observed_scaled.nansum(dim=-1) / 10,
            ], dim=1)
            loss = ((head(features).squeeze(1) - torch.from_numpy(target_values)) ** 2).mean()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        total = torch.nansum(observed_scaled)
        keep = torch.nanmean(observed_scaled, dim=0, keepdim=True)
        return losses, head, scale, argmin, total, keep
    side_by_side(script)


def test_heads_by_unflatten_movedim_and_chunks_by_tensor_split():
    x_values = DATA.normal(size=(2, 5, 12))

    def script(torch, copy_weights):
        nn = torch.nn
        qkv = nn.Linear(12, 36)
        copy_weights(qkv)
        x = torch.tensor(x_values, requires_grad=True)
        q, k, v = qkv(x).tensor_split(3, dim=-1)
        # (batch, seq, heads * head_dim) -> (batch, heads, seq, head_dim)
        q, k, v = (t.unflatten(-1, (3, -1)).movedim(2, 1) for t in (q, k, v))
        weights = (q @ k.transpose(-2, -1) / 2.0).softmax(dim=-1)
        heads = (weights @ v).movedim((1, 2), (2, 1)).flatten(2)
        uneven = torch.tensor_split(heads, 4, dim=1)          # sizes 2, 1, 1, 1
        at_indices = torch.tensor_split(heads, [1, 4], dim=1)
        by_tensor = heads.tensor_split(torch.tensor([2, 3]), dim=1)
        loss = sum(chunk.sum() * (i + 1) for i, chunk in enumerate(uneven))
        loss = loss + at_indices[1].pow(2).sum() + by_tensor[2].mean()
        loss.backward()
        unflat = torch.arange(24).unflatten(0, (2, 3, 4)).movedim(-1, 0)
        return ([c.shape[1] for c in uneven], [c.shape[1] for c in at_indices],
                loss, x.grad, qkv, unflat)
    side_by_side(script)


def test_baddbmm_attention_addmm_linear_addcmul_adam_and_lerp_gating():
    x_values = DATA.normal(size=(2, 4, 6))
    bias_values = np.triu(np.full((4, 4), -1e4), k=1)
    target_values = DATA.normal(size=(2, 4, 6))
    # a hand-held (out, in) weight: addmm with weight.t() is PyTorch's nn.Linear layout
    weight_values, bias_values_proj = DATA.normal(scale=0.4, size=(12, 6)), DATA.normal(size=12)

    def script(torch, copy_weights):
        nn = torch.nn
        proj_weight = torch.tensor(weight_values, requires_grad=True)
        proj_bias = torch.tensor(bias_values_proj, requires_grad=True)
        gate = nn.Linear(6, 6)
        copy_weights(gate)
        params = [proj_weight, proj_bias] + list(gate.parameters())
        exp_avg = [torch.zeros_like(p) for p in params]
        exp_avg_sq = [torch.zeros_like(p) for p in params]
        x, target = torch.from_numpy(x_values), torch.from_numpy(target_values)
        alibi = torch.from_numpy(bias_values).expand(2, 4, 4)
        losses = []
        for step in range(1, 4):
            flat = torch.addmm(proj_bias, x.reshape(-1, 6), proj_weight.t(), beta=1.0,
                               alpha=1.0)
            q, k = flat.view(2, 4, 12).split(6, dim=-1)
            scores = torch.baddbmm(alibi, q, k.transpose(1, 2), beta=0.5,
                                   alpha=1 / np.sqrt(6))
            mixed = scores.softmax(dim=-1) @ x
            weight = torch.sigmoid(gate(x))
            out = torch.lerp(x, mixed, weight)
            loss = ((out - target) ** 2).mean() + 0.01 * torch.addmm(
                torch.zeros(6, 6), x[0].t(), x[1], beta=0.3, alpha=2.0).pow(2).mean()
            for p in params:
                p.grad = None
            loss.backward()
            with torch.no_grad():
                for p, m, v in zip(params, exp_avg, exp_avg_sq):
                    m.mul_(0.9).add_(p.grad, alpha=0.1)
                    v.mul_(0.999).addcmul_(p.grad, p.grad, value=0.001)
                    denom = (v / (1 - 0.999 ** step)).sqrt().add_(1e-8)
                    p.addcdiv_(m, denom, value=-0.01 / (1 - 0.9 ** step))
            losses.append(loss.item())
        a = torch.tensor(DATA_FIXED, requires_grad=True)
        combos = (torch.addcmul(a, a, a.flip(0), value=0.5)
                  + torch.addcdiv(a, a, a.exp(), value=-2)
                  + torch.lerp(a, a.flip(0), 0.25)
                  + a.lerp(torch.zeros(3), torch.tensor([0.0, 0.5, 1.0])))
        combos.sum().backward()
        # (the moments of gate.weight are in each library's own layout: not compared)
        return (losses, proj_weight, proj_bias, gate, exp_avg_sq[:2], exp_avg_sq[3],
                combos, a.grad)
    side_by_side(script)


DATA_FIXED = np.array([0.3, -1.2, 0.7])


def test_l1_prototypes_by_cdist_and_a_calibration_error_by_bucketize_and_histc():
    support_values = DATA.normal(size=(3, 4, 5))
    query_values = DATA.normal(size=(9, 5))
    query_labels = DATA.integers(0, 3, size=9)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        # (no bias on the last layer: distances between embeddings do not see it, so its
        # gradient is rounding noise, which Adam would blow up differently in each run)
        embed = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 4, bias=False))
        copy_weights(embed)
        optimizer = torch.optim.Adam(embed.parameters(), lr=0.01)
        support, query = torch.from_numpy(support_values), torch.from_numpy(query_values)
        labels = torch.from_numpy(query_labels)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            prototypes = embed(support).mean(dim=1)
            distances = torch.cdist(embed(query), prototypes, p=1)
            loss = F.cross_entropy(-distances, labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            probs = F.softmax(-torch.cdist(embed(query), embed(support).mean(1), p=1), 1)
            confidence, predicted = probs.max(dim=1)
            correct = (predicted == labels).double()
            edges = torch.linspace(0, 1, 6)
            bins = torch.bucketize(confidence, edges[1:-1], right=True)
            ece = torch.zeros(())
            for b in range(5):
                in_bin = bins == b
                if in_bin.any():
                    gap = (confidence[in_bin].mean() - correct[in_bin].mean()).abs()
                    ece += in_bin.double().mean() * gap
            counts = torch.histc(confidence, bins=5, min=0, max=1)
        return losses, embed, distances, bins, ece, counts
    side_by_side(script)


def test_less_common_elementwise_and_structural_functions():
    x_values = DATA.normal(size=(3, 4))
    y_values = DATA.normal(size=(3, 4))
    t_values = np.sort(DATA.uniform(0, 2, size=4))

    def script(torch, copy_weights):
        x = torch.tensor(x_values, requires_grad=True)
        y = torch.tensor(y_values, requires_grad=True)
        index = torch.tensor([[0, 3], [1, 1], [2, 0]])
        parts = [
            torch.narrow(x, 1, 1, 2).sum(dim=1),
            x.narrow(0, 2, 1).flatten(),
            torch.roll(x, shifts=(1, -1), dims=(0, 1)).diagonal(),
            torch.kron(x[:2, :2], y[:2, :2]).flatten(),
            torch.block_diag(x[:1, :2], y[:2, :1]).flatten(),
            torch.cartesian_prod(x[0, :2], y[0, :3]).prod(dim=1),
            torch.take_along_dim(x, index, dim=1).flatten(),
            torch.renorm(x, p=2, dim=0, maxnorm=1.0).flatten(),
            torch.hypot(x, y).flatten(),
            torch.atan2(y, x).flatten(),
            torch.copysign(x, y).flatten(),
            torch.fmod(x * 3, 1.5).flatten(),
            torch.sinc(x).flatten(),
            torch.float_power(x.abs() + 0.5, 1.5).flatten(),
            torch.cumulative_trapezoid(x, torch.from_numpy(t_values), dim=1).flatten(),
            torch.trapezoid(y, dx=0.5, dim=-1),
        ]
        out = torch.cat(parts)
        weights = torch.linspace(-1, 1, out.shape[0])
        (out * weights).sum().backward()
        signs = torch.signbit(x)
        # (PyTorch's vander has no working backward: it is compared as a constant)
        with torch.no_grad():
            powers = torch.vander(x[1], N=3), torch.vander(y[2], increasing=True)
        return out, x.grad, y.grad, signs, powers
    side_by_side(script)
