"""Conventions a PyTorch script meets, checked against hand-computed values (no torch):
softmax over a lane of only -inf, 0-d Tensor.argsort, ad.unique's NaNs and counts."""
import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape", [(3, 2), (3, 40)])   # the NumPy path and the kernel's
def test_softmax_of_a_lane_of_only_minus_inf_is_nan_without_a_warning(name, shape):
    x = np.zeros(shape)
    x[0] = -np.inf
    x[2, 0] = np.inf
    x[1] = np.arange(shape[1])
    t = ad.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = getattr(F, name)(t, dim=1)
        out.sum().backward()
    assert np.isnan(out.data[0]).all() and np.isnan(out.data[2]).all()
    row = np.arange(shape[1]) - np.log(np.exp(np.arange(shape[1])).sum())
    expected = np.exp(row) if name == "softmax" else row
    np.testing.assert_allclose(out.data[1], expected, rtol=1e-12)
    assert np.isfinite(t.grad[1]).all()


def test_softmax_of_finite_logits_is_unchanged():
    out = F.softmax(ad.tensor([[0.0, np.log(3.0)]]), dim=1)
    np.testing.assert_allclose(out.data, [[0.25, 0.75]], rtol=1e-14)


def test_argsort_of_a_0d_tensor_is_pytorchs_0d_index_unless_numpys_keywords_say():
    t = ad.tensor(2.0)
    assert t.argsort().shape == () and t.argsort().item() == 0
    assert t.argsort(descending=True).shape == () and t.argsort(stable=True).shape == ()
    assert t.argsort(axis=-1).shape == (1,)                   # NumPy's keyword: NumPy's
    assert t.argsort(kind="stable").shape == (1,)
    assert np.argsort(t).shape == np.argsort(np.array(2.0)).shape == (1,)
    assert ad.tensor([3.0, 1.0]).argsort().tolist() == [1, 0]


def test_unique_with_several_nans_warns_that_numpy_merges_them():
    x = ad.tensor([1.0, np.nan, 2.0, np.nan])
    with pytest.warns(ad.ConventionWarning, match="torch.unique") as record:
        values, counts = ad.unique(x, return_counts=True)
    assert record[0].filename == __file__
    assert np.isnan(values.data[2]) and values.shape == (3,) and counts.tolist() == [1, 1, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values, counts = ad.unique(x, return_counts=True, equal_nan=False)   # PyTorch's
        assert values.shape == (4,) and counts.tolist() == [1, 1, 1, 1]
        assert ad.unique(x, equal_nan=True).shape == (3,)
        assert ad.unique(ad.tensor([1.0, np.nan, 1.0])).shape == (2,)   # one NaN: no warning
        assert x.unique().shape == (4,)                       # Tensor.unique: PyTorch's
        assert np.unique(x).shape == (3,)                 # NumPy's call: NumPy's, quietly


def test_trigamma_agrees_with_mpmath_to_rounding():
    mpmath = pytest.importorskip("mpmath")
    points = [0.8, 1.5, 2.5, 3.0]
    expected = [float(mpmath.polygamma(1, x)) for x in points]
    np.testing.assert_allclose(ad.special.polygamma(1, ad.tensor(points)).data, expected,
                               rtol=1e-15)


def test_nonzero_as_tuple_of_a_0d_tensor_is_one_index_array_as_pytorchs():
    for value, expected in ((2.0, [0]), (0.0, [])):
        for result in (ad.tensor(value).nonzero(as_tuple=True),
                       ad.nonzero(ad.tensor(value), as_tuple=True)):
            assert len(result) == 1 and np.asarray(result[0]).tolist() == expected
    assert ad.tensor(2.0).nonzero(as_tuple=False).shape == (1, 0)


def test_collated_tuples_are_a_list_of_batches_as_pytorchs():
    from autodiff.data_loader import default_collate
    dataset = ad.data.TensorDataset(ad.tensor([[0.0, 1.0], [2.0, 3.0]]), ad.tensor([0, 1]))
    batch = next(iter(ad.data.DataLoader(dataset, batch_size=2)))
    assert type(batch) is list and len(batch) == 2
    features, labels = batch
    assert features.shape == (2, 2) and labels.tolist() == [0, 1]
    assert type(default_collate([(1, 2.0), (3, 4.0)])) is list


def test_celu_and_cross_map_lrn_gradients_are_exact_where_pytorchs_are_not():
    # (PyTorch's CELU gradient is off by ~1e-9 and CrossMapLRN2d's backward by ~1e-3)
    x = np.array([-2.0, -0.5, -3.7, 0.3])
    t = ad.tensor(x, requires_grad=True)
    ad.nn.CELU(0.7)(t).sum().backward()
    np.testing.assert_allclose(t.grad, np.where(x > 0, 1.0, np.exp(x / 0.7)), rtol=1e-15)
    images = np.random.default_rng(9).normal(size=(1, 4, 2, 2))
    assert ad.gradcheck(lambda v: (ad.nn.CrossMapLRN2d(3)(v) ** 2).sum(), [images])
