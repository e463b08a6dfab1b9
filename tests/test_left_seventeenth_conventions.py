"""``narrow`` with a 0-d tensor start, ``ad.split(x, n, d)`` (PyTorch's and NumPy's
signature at once) and the error of ``np.poly`` of a 0-d tensor."""

import warnings

import numpy as np
import pytest

import autodiff as ad


# ----- narrow ----------------------------------------------------------------------

@pytest.mark.parametrize("start", [1, -2, 0, 3])
def test_narrow_takes_a_0d_integer_tensor_start_as_pytorch(start):
    torch = pytest.importorskip("torch")
    values = np.arange(10.0).reshape(5, 2)
    expected = torch.tensor(values).narrow(0, torch.tensor(start), 2).numpy()
    got = ad.tensor(values).narrow(0, ad.tensor(start), 2)
    np.testing.assert_array_equal(got.data, expected)
    np.testing.assert_array_equal(ad.narrow(ad.tensor(values), 0, ad.tensor(start), 2).data,
                                  expected)


def test_narrow_takes_a_0d_integer_tensor_length():
    got = ad.arange(5.0).narrow(0, 1, ad.tensor(np.int32(3)))
    np.testing.assert_array_equal(got.data, [1.0, 2.0, 3.0])


def test_narrow_with_a_tensor_start_keeps_the_gradient():
    x = ad.tensor(np.arange(4.0), requires_grad=True)
    x.narrow(0, ad.tensor(1), 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0, 0.0])


@pytest.mark.parametrize("start", [ad.tensor(1.0), ad.tensor([1]), ad.tensor(True), 1.0])
def test_narrow_refuses_other_starts_naming_the_start(start):
    torch = pytest.importorskip("torch")
    torch_start = torch.tensor(start.data) if isinstance(start, ad.Tensor) else start
    with pytest.raises((RuntimeError, TypeError)):
        torch.arange(5.0).narrow(0, torch_start, 2)
    with pytest.raises(TypeError, match=r"narrow: start must be an int or a 0-d integer "
                                        r"tensor, got .*pass an int"):
        ad.arange(5.0).narrow(0, start, 2)


# ----- ad.split(x, n, d) -------------------------------------------------------------

def _split_warnings(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pieces = call()
    return [p.shape for p in pieces], [w for w in caught
                                       if issubclass(w.category, ad.ConventionWarning)]


def test_split_with_a_positional_dim_warns_where_pytorch_cuts_otherwise():
    x = ad.zeros((2, 6))
    shapes, caught = _split_warnings(lambda: ad.split(x, 2, 1))
    assert shapes == [(2, 3), (2, 3)]                       # NumPy's: 2 equal parts
    assert len(caught) == 1 and caught[0].filename == __file__
    message = str(caught[0].message)
    assert "ad.split(x, 2, 1) is NumPy's np.split" in message
    assert "torch.split(x, 2, 1) makes pieces of size 2" in message
    assert "x.split(2, dim=1)" in message and "axis=1" in message


def test_split_with_positional_list_warns_naming_cut_points_and_sizes():
    shapes, caught = _split_warnings(lambda: ad.split(ad.zeros(6), [2, 4], 0))
    assert shapes == [(2,), (2,), (2,)]
    assert len(caught) == 1
    assert "cut at the indices [2, 4]" in str(caught[0].message)
    assert "sizes [2, 4]" in str(caught[0].message)


def test_split_readings_that_agree_or_numpys_spellings_stay_silent():
    torch = pytest.importorskip("torch")
    x = ad.zeros((2, 9))
    for call in (lambda: ad.split(x, 3, 1),               # 3 pieces of 3 either way
                 lambda: np.split(x, 3, 1),               # NumPy's own spelling
                 lambda: ad.split(x, 3, axis=1)):
        shapes, caught = _split_warnings(call)
        assert shapes == [(2, 3)] * 3 and caught == []
    assert [p.shape for p in torch.split(torch.zeros(2, 9), 3, 1)] == [(2, 3)] * 3


def test_split_by_position_reads_as_before_and_pytorchs_method_is_pytorchs():
    torch = pytest.importorskip("torch")
    values = np.arange(12.0).reshape(2, 6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ad.ConventionWarning)
        ours = ad.split(ad.tensor(values), 2, 1)
    for got, expected in zip(ours, np.split(values, 2, 1)):
        np.testing.assert_array_equal(got.data, expected)
    for got, expected in zip(ad.tensor(values).split(2, 1),
                             torch.split(torch.tensor(values), 2, 1)):
        np.testing.assert_array_equal(got.data, expected.numpy())


# ----- np.poly of a 0-d tensor ------------------------------------------------------

def test_poly_of_a_0d_tensor_names_np_poly_and_the_fix():
    with pytest.raises(TypeError):
        np.poly(np.array(2.0))                  # NumPy refuses a 0-d array too
    with pytest.raises(TypeError, match=r"np\.poly: a 0-d tensor where NumPy takes a "
                                        r"sequence .* t\.reshape\(1\)"):
        np.poly(ad.tensor(2.0))
    np.testing.assert_array_equal(np.poly(ad.tensor(2.0).reshape(1)).data, np.poly([2.0]))


def test_len_of_a_0d_tensor_keeps_its_own_error():
    with pytest.raises(TypeError, match=r"len\(\) of a 0-d tensor"):
        len(ad.tensor(2.0))
