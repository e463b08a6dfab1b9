"""PyTorch's dtypes for the Tensor methods on integer and bool tensors: a narrow unsigned
tensor's sums and products in int64 (NumPy's functions keep uint64), and bool
``sign``/``sgn``/``conj``; the other unary methods of bool and integer tensors checked
against PyTorch (its result, or a refusal where PyTorch refuses)."""

import numpy as np
import pytest

import autodiff as ad

_UNSIGNED = [np.uint8, np.uint16, np.uint32]
_METHODS = {
    "sum": lambda t: t.sum(),
    "sum(0)": lambda t: t.sum(0),
    "sum(dim=0, keepdim=True)": lambda t: t.sum(dim=0, keepdim=True),
    "prod": lambda t: t.prod(),
    "prod(0)": lambda t: t.prod(0),
    "cumsum(0)": lambda t: t.cumsum(0),
    "cumprod(0)": lambda t: t.cumprod(0),
    "nansum": lambda t: t.nansum(),
    "trace": lambda t: t.trace(),
    "sum_to_size": lambda t: t.sum_to_size(1, 2),
}


@pytest.mark.parametrize("dtype", _UNSIGNED)
@pytest.mark.parametrize("name", list(_METHODS))
def test_unsigned_sums_and_products_as_methods_are_int64_as_pytorch(dtype, name):
    torch = pytest.importorskip("torch")
    values = np.array([[200, 3], [100, 2]], dtype=dtype)
    got = _METHODS[name](ad.tensor(values))
    assert got.dtype == np.int64, name
    try:
        expected = _METHODS[name](torch.tensor(values.astype(np.int64)).to(
            getattr(torch, np.dtype(dtype).name)))
    except NotImplementedError:         # (PyTorch's trace has no uint16/uint32 kernel)
        expected = _METHODS[name](torch.tensor(values.astype(np.int64)))
    assert str(expected.dtype) == "torch.int64"
    np.testing.assert_array_equal(got.data, expected.numpy())


@pytest.mark.parametrize("dtype", [np.uint8, np.uint32])
def test_a_difference_of_unsigned_sums_does_not_wrap(dtype):
    small, large = ad.tensor(np.array([1, 2], dtype)), ad.tensor(np.array([5, 5], dtype))
    assert (small.sum() - large.sum()).item() == -7
    assert (small.cumsum(0) - large.cumsum(0)).tolist() == [-4, -7]


@pytest.mark.parametrize("function", [np.sum, np.prod, np.cumsum, np.nansum, np.cumprod,
                                      ad.sum, ad.prod, np.trace])
def test_numpy_functions_keep_numpys_uint64(function):
    values = np.array([[1, 2], [3, 4]], np.uint8)
    assert function(ad.tensor(values)).dtype == function(values).dtype == np.uint64


def test_sum_to_size_of_the_same_size_keeps_the_dtype_as_pytorch():
    values = np.array([[200, 100]], np.uint8)
    assert ad.tensor(values).sum_to_size(1, 2).dtype == np.uint8


def test_uint64_and_signed_and_bool_sums_are_unchanged():
    assert ad.tensor(np.array([1, 2], np.uint64)).sum().dtype == np.uint64
    assert ad.tensor(np.array([1, 2], np.int8)).sum().dtype == np.int64
    assert ad.tensor(np.array([True, True])).cumsum(0).tolist() == [1, 2]
    assert ad.tensor(np.array([True, True])).sum().dtype == np.int64


def test_a_float_tensor_and_a_dtype_argument_are_unchanged():
    assert ad.tensor(np.array([1.0, 2.0], np.float32)).sum().dtype == np.float32
    values = ad.tensor(np.array([1, 2], np.uint8))
    assert values.sum(dtype=np.float64).dtype == np.float64
    assert values.cumsum(0, dtype=np.float32).dtype == np.float32


def test_a_float_tensor_sum_keeps_its_gradient():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 1.0])


# ----- bool and integer unary methods -------------------------------------------------

_BOOL = np.array([True, False, True])


@pytest.mark.parametrize("name", ["sign", "sgn", "conj"])
def test_bool_sign_sgn_and_conj_are_bool_as_pytorch(name):
    torch = pytest.importorskip("torch")
    got = getattr(ad.tensor(_BOOL), name)()
    expected = getattr(torch.tensor(_BOOL), name)()
    assert got.dtype == np.bool_ and str(expected.dtype) == "torch.bool"
    np.testing.assert_array_equal(got.data, expected.numpy())


def test_bool_sign_of_a_0d_tensor_and_a_new_tensor():
    flag = ad.tensor(np.bool_(True))
    assert flag.sign().shape == () and flag.sign().item() is True
    source = ad.tensor(_BOOL.copy())
    result = source.sign()
    result.data[0] = False               # a new tensor, as PyTorch's sign
    assert source.data[0]


def test_bool_conj_matches_ndarray_conj_while_np_conjugate_keeps_numpys_int8():
    assert ad.tensor(_BOOL).conj().dtype == _BOOL.conj().dtype == np.bool_
    assert np.conjugate(ad.tensor(_BOOL)).dtype == np.conjugate(_BOOL).dtype == np.int8


def test_numpys_sign_of_bool_is_still_refused():
    with pytest.raises((TypeError, ValueError), match="sign"):
        np.sign(ad.tensor(_BOOL))


_UNARY = ["neg", "negative", "abs", "absolute", "sgn", "sign", "positive", "bitwise_not",
          "logical_not", "conj", "square", "__invert__", "__neg__"]


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "int64"])
@pytest.mark.parametrize("name", _UNARY)
def test_integer_unary_methods_match_pytorch(dtype, name):
    torch = pytest.importorskip("torch")
    values = np.array([0, 3, 100], dtype) if dtype == "uint8" else np.array([-3, 0, 5], dtype)
    got = getattr(ad.tensor(values), name)()
    expected = getattr(torch.tensor(values), name)()
    assert str(got.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_array_equal(got.data, expected.numpy())


@pytest.mark.parametrize("name", ["neg", "negative", "__neg__"])
def test_bool_negation_is_refused_as_in_pytorch(name):
    with pytest.raises(TypeError, match="negative"):
        getattr(ad.tensor(_BOOL), name)()


@pytest.mark.parametrize("name", ["bitwise_not", "logical_not", "__invert__"])
def test_bool_not_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    got = getattr(ad.tensor(_BOOL), name)()
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got.data, getattr(torch.tensor(_BOOL), name)().numpy())


@pytest.mark.parametrize("name", ["abs", "absolute", "positive"])
def test_bool_abs_and_positive_give_the_identity_where_pytorch_has_no_kernel(name):
    # PyTorch refuses abs / positive of bool (no kernel); the values are the identity,
    # as NumPy's np.abs gives, so the library returns them rather than refuse.
    got = getattr(ad.tensor(_BOOL), name)()
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got.data, _BOOL)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int32])
@pytest.mark.parametrize("name", ["cumsum_", "cumprod_"])
def test_in_place_running_sums_of_narrow_integers_wrap_as_pytorch(dtype, name):
    torch = pytest.importorskip("torch")
    values = np.array([100, 3, 1]).astype(dtype)
    ours, theirs = ad.tensor(values.copy()), torch.tensor(values.copy())
    assert getattr(ours, name)(0) is ours
    getattr(theirs, name)(0)
    assert ours.dtype == dtype
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_an_in_place_running_sum_of_bools_is_still_refused():
    with pytest.raises(TypeError, match="cumsum_: the result has dtype int64"):
        ad.tensor([True, False]).cumsum_(0)


@pytest.mark.parametrize("call", [
    lambda m, t, d: t.sum(dtype=d),
    lambda m, t, d: t.cumsum(0, dtype=d),
    lambda m, t, d: t.prod(dtype=d),
    lambda m, t, d: t.sum(dim=0, dtype=d)])
@pytest.mark.parametrize("dtype", ["uint8", "int16", "int64"])
def test_an_integer_dtype_for_an_integer_tensor_is_computed_in_it_as_pytorch(call, dtype):
    torch = pytest.importorskip("torch")
    values = np.array([200, 100, 3], np.uint8)
    ours = call("ad", ad.tensor(values), np.dtype(dtype))
    theirs = call("torch", torch.tensor(values), getattr(torch, dtype))
    assert ours.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_numpys_integer_dtype_argument_is_numpys_and_replays_in_compile():
    values = np.array([[200, 100], [3, 4]], np.uint8)
    for function in (np.sum, np.cumsum, np.prod, np.nansum):
        got = function(ad.tensor(values), axis=0, dtype=np.uint8)
        np.testing.assert_array_equal(got.data, function(values, axis=0, dtype=np.uint8))
    step = ad.compile(lambda x: x.sum(dtype=np.uint8))
    for row in (values[0], np.array([255, 2], np.uint8)):
        assert step(ad.tensor(row)).item() == np.sum(row, dtype=np.uint8)


def test_an_integer_dtype_for_a_float_tensor_is_still_refused():
    with pytest.raises(TypeError, match="dtype=int64 would compute a float64 tensor"):
        ad.tensor([1.0]).sum(dtype=np.int64)
