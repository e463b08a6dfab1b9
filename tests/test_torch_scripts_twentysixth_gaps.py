"""What the twenty-sixth round of PyTorch scripts found different, each decided per
spelling and checked by hand (and against PyTorch where it is installed):

- ``ad.unique`` told itself from NumPy code's ``np.unique(t)`` by walking the stack for
  the file that defines it; it is now an entry of its own that asks for the warning
  about merged NaNs, while ``np.unique(t)`` keeps NumPy's meaning quietly;
- ``ad.empty(0).mean()`` (and ``ad.mean``, ``F.mse_loss`` of empty tensors) warned
  NumPy's "Mean of empty slice" where PyTorch gives NaN quietly: PyTorch's spellings are
  now quiet, ``np.mean(t)`` and ``np.median(t)`` still warn as NumPy does;
- ``nn.LPPool1d/2d`` of a negative input warned "invalid value encountered in power"
  (the NaN was PyTorch's): now quiet, value and gradient NaN as PyTorch's;
- ``torch.unique(x, dim=0)`` met Python's bare "unexpected keyword argument 'dim'":
  ``ad.unique`` takes PyTorch's ``dim=`` as NumPy's ``axis=``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.nn import functional as F

NANS = [1.0, np.nan, 2.0, np.nan]


def test_ad_unique_is_its_own_entry_and_warns_where_nans_merge():
    assert ad.unique is not np.unique and ad.unique.__name__ == "unique"
    x = ad.tensor(NANS)
    with pytest.warns(ad.ConventionWarning, match="torch.unique") as record:
        values = ad.unique(x)
    assert record[0].filename == __file__ and values.shape == (3,)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ad.unique(x, equal_nan=False).shape == (4,)
        assert np.unique(x).shape == (3,)                     # NumPy code: quietly NumPy's
        assert np.unique(x, equal_nan=False).shape == (4,)
        assert x.unique().shape == (4,)                       # Tensor.unique: PyTorch's


def test_ad_unique_of_a_list_of_tensors_and_its_gradient():
    a = ad.tensor(2.0, requires_grad=True)
    b = ad.tensor(1.0, requires_grad=True)
    values, index = ad.unique([a, b, a], return_index=True)
    assert values.tolist() == [1.0, 2.0] and index.tolist() == [1, 0]
    (values * ad.tensor([3.0, 5.0])).sum().backward()
    assert a.grad == 5.0 and b.grad == 3.0


def test_mean_of_an_empty_tensor_is_quiet_nan_in_pytorchs_spellings():
    e = ad.empty(0, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for result in (e.mean(), ad.mean(e), ad.empty(0, 3).mean(dim=0),
                       F.mse_loss(e, ad.zeros(0)), F.l1_loss(e, ad.zeros(0))):
            assert np.isnan(result.data).all()
        e.mean().backward()                          # (an empty gradient, no 1 / 0)
    assert e.grad.shape == (0,)


def test_np_mean_and_np_median_of_an_empty_tensor_warn_as_numpy_at_the_users_line():
    e = ad.empty(0, 3)
    for call in (lambda: np.mean(e), lambda: np.mean(e, axis=0), lambda: np.median(e)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = call()
        assert "Mean of empty slice" in {str(w.message) for w in caught}
        assert {w.filename for w in caught} == {__file__}
        assert np.isnan(result.data).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.mean(e, axis=1).shape == (0,)              # no empty lane: quiet


NEGATIVE = np.array([-1.0, -2.0, 3.0, 0.5])


@pytest.mark.parametrize("norm_type, expected", [
    (3, [np.nan, (3.0 ** 3 + 0.5 ** 3) ** (1 / 3)]),      # -1 - 8 < 0: NaN
    (1.5, [np.nan, (3.0 ** 1.5 + 0.5 ** 1.5) ** (1 / 1.5)]),   # (-2) ** 1.5: NaN
    (2, [5.0 ** 0.5, (9.0 + 0.25) ** 0.5]),
])
def test_lp_pool_of_negative_inputs_is_quiet_nan_as_pytorchs(norm_type, expected):
    x = ad.tensor(NEGATIVE.reshape(1, 1, 4), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = ad.nn.LPPool1d(norm_type, 2)(x)
        y.sum().backward()
    np.testing.assert_allclose(y.data.ravel(), expected, rtol=1e-14)
    # a window that is NaN has NaN gradients, the others their own
    for window, value in enumerate(expected):
        lane = x.grad.ravel()[2 * window:2 * window + 2]
        assert np.isnan(lane).all() == np.isnan(value)


def test_lp_pool_values_and_gradients_agree_with_pytorch_on_negative_inputs():
    torch = pytest.importorskip("torch")
    data = np.array([[-1.0, 2.0], [3.0, -0.5]]).reshape(1, 1, 2, 2)
    for norm_type in (3, 1.5, 2, 1):
        x = ad.tensor(data, requires_grad=True)
        y = F.lp_pool2d(x, norm_type, 2)
        y.sum().backward()
        theirs_x = torch.tensor(data, requires_grad=True)
        theirs = torch.nn.functional.lp_pool2d(theirs_x, norm_type, 2)
        theirs.sum().backward()
        np.testing.assert_allclose(y.data, theirs.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(x.grad, theirs_x.grad.numpy(), rtol=1e-12)


def test_ad_unique_takes_pytorchs_dim_for_the_distinct_slices():
    rows = ad.tensor([[1.0, 2.0], [1.0, 2.0], [0.0, 1.0]], requires_grad=True)
    values, inverse = ad.unique(rows, dim=0, return_inverse=True)
    assert values.tolist() == [[0.0, 1.0], [1.0, 2.0]] and inverse.tolist() == [1, 1, 0]
    values.sum().backward()                      # each slice's gradient to its first row
    assert rows.grad.tolist() == [[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]]
    with pytest.raises(TypeError, match="both axis=0 and dim=0"):
        ad.unique(rows, axis=0, dim=0)
