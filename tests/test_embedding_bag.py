"""F.embedding_bag and nn.EmbeddingBag: bags reduced against loops written here,
gradients against finite differences, and against PyTorch when installed."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn

RNG = np.random.default_rng(17)
IDS = np.array([1, 2, 4, 4, 0, 7, 3, 2, 9])
OFFSETS = np.array([0, 3, 3, 6])                # bags: [1 2 4] [] [4 0 7] [3 2 9]


def ref_bags(ids, offsets, table, mode, padding_idx=None, weights=None):
    ends = list(offsets[1:]) + [len(ids)]
    out = np.zeros((len(offsets), table.shape[1]))
    for b, (start, end) in enumerate(zip(offsets, ends)):
        members = [j for j in range(start, end) if ids[j] != padding_idx]
        if not members:
            continue
        rows = table[ids[members]] * (1.0 if weights is None else weights[members][:, None])
        out[b] = {"sum": rows.sum(0), "mean": rows.mean(0), "max": rows.max(0)}[mode]
    return out


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 4])
def test_bags_match_loops_and_gradcheck(mode, padding_idx):
    table = RNG.standard_normal((10, 3))
    out = F.embedding_bag(IDS, ad.tensor(table), OFFSETS, mode=mode, padding_idx=padding_idx)
    np.testing.assert_allclose(out.data, ref_bags(IDS, OFFSETS, table, mode, padding_idx),
                               rtol=1e-13)
    rows = F.embedding_bag(IDS.reshape(3, 3), ad.tensor(table), mode=mode,
                           padding_idx=padding_idx)
    np.testing.assert_allclose(rows.data, ref_bags(IDS, np.array([0, 3, 6]), table, mode,
                                                   padding_idx), rtol=1e-13)
    assert ad.gradcheck(lambda w: (F.embedding_bag(IDS, w, OFFSETS, mode=mode,
                                                   padding_idx=padding_idx) ** 2).sum(), [table])
    if mode != "max":
        assert ad.gradcheck(lambda w: ad.grad(lambda v: (F.embedding_bag(
            IDS, v, OFFSETS, mode=mode) ** 3).sum())(w).sum(), [table])


def test_per_sample_weights_include_last_offset_and_ties():
    table = RNG.standard_normal((10, 3))
    weights = RNG.standard_normal(9)
    out = F.embedding_bag(IDS, ad.tensor(table), OFFSETS, mode="sum",
                          per_sample_weights=ad.tensor(weights))
    np.testing.assert_allclose(out.data, ref_bags(IDS, OFFSETS, table, "sum", weights=weights),
                               rtol=1e-13)
    assert ad.gradcheck(lambda w, s: (F.embedding_bag(IDS, w, OFFSETS, mode="sum",
                                                      per_sample_weights=s) ** 2).sum(),
                        [table, weights])
    last = F.embedding_bag(IDS[:8], ad.tensor(table), np.array([0, 3, 3, 6, 8]), mode="mean",
                           include_last_offset=True)
    np.testing.assert_allclose(last.data, ref_bags(IDS[:8], OFFSETS, table, "mean"), rtol=1e-13)
    with pytest.raises(ValueError, match="the last offset must be the number of ids"):
        F.embedding_bag(IDS, ad.tensor(table), np.array([0, 3, 3, 6, 8]), mode="mean",
                        include_last_offset=True)          # (PyTorch's CPU: 9 in the last bag)
    tied = ad.tensor(np.array([[1.0, 5.0], [1.0, 2.0]]), requires_grad=True)
    F.embedding_bag(np.array([[0, 1]]), tied, mode="max").sum().backward()
    np.testing.assert_array_equal(tied.grad, [[1.0, 1.0], [0.0, 0.0]])   # the first maximum


def test_layer_init_repr_and_errors():
    bag = nn.EmbeddingBag(10, 3, mode="max", padding_idx=0, rng=0)
    assert bag.weight.shape == (10, 3) and np.all(bag.weight.data[0] == 0)
    assert repr(bag) == "EmbeddingBag(10, 3, mode='max', padding_idx=0)"
    np.testing.assert_allclose(bag(IDS, OFFSETS).data,
                               ref_bags(IDS, OFFSETS, bag.weight.data, "max", 0))
    assert list(bag.to_torch_state_dict()) == ["weight"]
    with pytest.raises(ValueError, match="embedding_bag: a 1-D input needs offsets"):
        F.embedding_bag(IDS, bag.weight)
    with pytest.raises(ValueError, match="offsets must be None for a 2-D input"):
        F.embedding_bag(IDS.reshape(3, 3), bag.weight, OFFSETS)
    with pytest.raises(ValueError, match="offsets must start at 0"):
        F.embedding_bag(IDS, bag.weight, np.array([1, 3]))
    with pytest.raises(ValueError, match="non-decreasing"):
        F.embedding_bag(IDS, bag.weight, np.array([0, 4, 3]))
    with pytest.raises(ValueError, match="per_sample_weights is only supported with mode='sum'"):
        F.embedding_bag(IDS, bag.weight, OFFSETS, per_sample_weights=np.ones(9))
    with pytest.raises(IndexError, match="id 12 is out of range for 10 rows"):
        F.embedding_bag(np.array([12]), bag.weight, np.array([0]))
    with pytest.raises(ValueError, match="mode must be one of"):
        nn.EmbeddingBag(10, 3, mode="min")


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    table = RNG.standard_normal((10, 3))
    table[4] = table[2]                                      # ties inside a bag
    cases = [dict(mode=m, padding_idx=p) for m in ("sum", "mean", "max") for p in (None, 4)]
    for kwargs in cases:
        for ids, offsets in [(IDS, OFFSETS), (IDS.reshape(3, 3), None)]:
            ours, theirs = ad.tensor(table, requires_grad=True), torch.tensor(table,
                                                                              requires_grad=True)
            a = F.embedding_bag(ids, ours, offsets, **kwargs)
            b = torch.nn.functional.embedding_bag(
                torch.tensor(ids), theirs, None if offsets is None else torch.tensor(offsets),
                **kwargs)
            np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-13, atol=1e-15)
            g = RNG.standard_normal(a.shape)
            (a * g).sum().backward()
            (b * torch.tensor(g)).sum().backward()
            np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-13, atol=1e-15)
    assert repr(nn.EmbeddingBag(10, 3)) == repr(torch.nn.EmbeddingBag(10, 3))
