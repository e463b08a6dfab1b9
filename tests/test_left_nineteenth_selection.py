"""Selections among ties and NaN (``topk``, ``kthvalue``, ``mode``, ``nanmedian``): the
values are PyTorch's; the indices follow the stable order documented in the README
("PyTorch habits"), where PyTorch's CPU indices come from its selection or unstable sort
and follow no rule simple to state (checked on many inputs below)."""

import numpy as np
import pytest

import autodiff as ad

ROWS = np.random.default_rng(0).integers(0, 4, size=(60, 13)).astype(float)   # many ties


def _stable_order(row, descending=False):
    return np.argsort(-row if descending else row, kind="stable")


@pytest.mark.parametrize("k", [1, 4, 13])
def test_topk_values_are_pytorchs_and_ties_take_the_first_index(k):
    torch = pytest.importorskip("torch")
    for largest in (True, False):
        result = ad.tensor(ROWS).topk(k, dim=1, largest=largest)
        expected = torch.tensor(ROWS).topk(k, dim=1, largest=largest)
        np.testing.assert_array_equal(result.values.numpy(), expected.values.numpy())
        order = np.array([_stable_order(row, largest)[:k] for row in ROWS])
        np.testing.assert_array_equal(result.indices.numpy(), order)
        function_form = ad.topk(ad.tensor(ROWS), k, 1, largest)
        np.testing.assert_array_equal(function_form.indices.numpy(), order)


def test_topk_unsorted_comes_back_sorted():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).random((4, 12))
    result = ad.tensor(x).topk(6, dim=1, sorted=False)
    expected = torch.tensor(x).topk(6, dim=1, sorted=False)
    np.testing.assert_array_equal(result.indices.numpy(), np.argsort(-x, axis=1)[:, :6])
    # the same set as PyTorch's, whose order is its selection's
    np.testing.assert_array_equal(np.sort(result.indices.numpy()),
                                  np.sort(expected.indices.numpy()))


@pytest.mark.parametrize("k", [1, 5, 13])
def test_kthvalue_is_pytorchs_value_at_the_stable_sorted_position(k):
    torch = pytest.importorskip("torch")
    result = ad.tensor(ROWS).kthvalue(k, dim=1)
    expected = torch.tensor(ROWS).kthvalue(k, dim=1)
    np.testing.assert_array_equal(result.values.numpy(), expected.values.numpy())
    order = np.array([_stable_order(row)[k - 1] for row in ROWS])
    np.testing.assert_array_equal(result.indices.numpy(), order)


def test_mode_is_pytorchs_value_at_its_last_index():
    torch = pytest.importorskip("torch")
    result = ad.tensor(ROWS).mode(dim=1)
    expected = torch.tensor(ROWS).mode(dim=1)
    np.testing.assert_array_equal(result.values.numpy(), expected.values.numpy())
    last = [np.flatnonzero(row == value)[-1] for row, value in zip(ROWS, result.values.numpy())]
    np.testing.assert_array_equal(result.indices.numpy(), last)


@pytest.mark.parametrize("row, value, index", [
    ([np.nan, 1.0, np.nan, 1.0], 1.0, 3),      # two NaNs and two 1s: the smaller, 1
    ([np.nan, 1.0, np.nan, 2.0], np.nan, 2),   # NaN counted as one value, the most frequent
    ([3.0, np.nan, np.nan], np.nan, 2),
    ([1.0, np.nan, 2.0, 2.0], 2.0, 3),
])
def test_mode_counts_nans_as_one_value_largest_of_all(row, value, index):
    result = ad.tensor(row).mode()
    np.testing.assert_array_equal(result.values.numpy(), value)
    assert result.indices.item() == index


@pytest.mark.parametrize("n", range(1, 9))
def test_nanmedian_of_an_all_nan_lane_is_nan_at_index_zero(n):
    torch = pytest.importorskip("torch")
    lane = np.full((2, n), np.nan)
    lane[1] = np.arange(n)
    result = ad.tensor(lane).nanmedian(dim=1)
    expected = torch.tensor(lane).nanmedian(dim=1)
    np.testing.assert_array_equal(result.values.numpy(), expected.values.numpy())
    assert result.indices[0].item() == 0
    assert result.indices[1].item() == expected.indices[1].item() == (n - 1) // 2
