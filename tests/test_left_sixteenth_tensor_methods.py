"""Tensor methods PyTorch users call that were silently different, checked against
PyTorch: ``t.unique`` gave one NaN for every NaN entry (NumPy's ``np.unique``, which
takes NaN as equal to NaN), where PyTorch's counts each NaN as a value of its own
(NaN != NaN); ``np.unique(t)`` and ``ad.unique(t)``, NumPy's spellings, keep NumPy's."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

NAN = float("nan")
WITH_NAN = [NAN, 1.0, NAN, 0.0, 1.0]


def test_unique_counts_each_nan_on_its_own():
    values, inverse, counts = ad.tensor(WITH_NAN).unique(return_inverse=True,
                                                          return_counts=True)
    np.testing.assert_array_equal(values.data, [0.0, 1.0, NAN, NAN])
    np.testing.assert_array_equal(counts.data, [1, 2, 1, 1])
    np.testing.assert_array_equal(values.data[inverse.data], WITH_NAN)   # rebuilds the input
    assert sorted(inverse.data[[0, 2]].tolist()) == [2, 3]               # one slot per NaN


def test_unique_sorted_false_and_2d_input_count_each_nan_too():
    data = np.array([[NAN, 2.0], [NAN, 2.0]])
    values, counts = ad.tensor(data).unique(sorted=False, return_counts=True)
    np.testing.assert_array_equal(values.data, [2.0, NAN, NAN])
    np.testing.assert_array_equal(counts.data, [2, 1, 1])


def test_rows_with_nan_are_distinct_along_a_dim():
    rows = np.array([[NAN, 1.0], [NAN, 1.0], [0.0, 1.0]])
    values, counts = ad.tensor(rows).unique(dim=0, return_counts=True)
    assert values.shape == (3, 2)
    np.testing.assert_array_equal(counts.data, [1, 1, 1])


def test_numpys_spellings_keep_one_nan():
    t = ad.tensor(WITH_NAN)
    np.testing.assert_array_equal(np.asarray(np.unique(t)), [0.0, 1.0, NAN])
    np.testing.assert_array_equal(np.asarray(ad.unique(t)), [0.0, 1.0, NAN])


def test_values_without_nan_are_unchanged():
    values, inverse, counts = ad.tensor([3, 1, 3, 2]).unique(return_inverse=True,
                                                              return_counts=True)
    assert values.data.tolist() == [1, 2, 3] and counts.data.tolist() == [1, 1, 2]
    assert inverse.data.tolist() == [2, 0, 2, 1]


def test_unique_against_pytorch():
    torch = pytest.importorskip("torch")
    for kwargs in ({}, {"sorted": False}):
        theirs = torch.tensor(WITH_NAN, dtype=torch.float64).unique(
            return_inverse=True, return_counts=True, **kwargs)
        ours = ad.tensor(WITH_NAN).unique(return_inverse=True, return_counts=True, **kwargs)
        for mine, other in zip(ours, theirs):
            assert mine.shape == tuple(other.shape)
            np.testing.assert_array_equal(mine.data, other.numpy())


# ----- ties: PyTorch leaves the index among equal entries unspecified -------------------

def test_topk_and_kthvalue_values_agree_with_pytorch_and_ties_take_the_stable_order():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(16)
    for _ in range(50):
        data = rng.integers(0, 3, size=int(rng.integers(2, 9))).astype(float)
        k = int(rng.integers(1, data.size + 1))
        ours, theirs = ad.tensor(data).topk(k), torch.tensor(data).topk(k)
        np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
        order = np.argsort(-data, kind="stable")[:k]           # first ones among ties
        np.testing.assert_array_equal(ours.indices.data, order)
        ours, theirs = ad.tensor(data).kthvalue(k), torch.tensor(data).kthvalue(k)
        assert ours.values.item() == theirs.values.item()
        assert ours.indices.item() == np.argsort(data, kind="stable")[k - 1]
