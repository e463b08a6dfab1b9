"""Tensor-method conventions checked against PyTorch: conversions, ``new_*``, fills,
``scatter_(reduce=)``, ``lerp``, ``addcmul``/``addcdiv``, ``logit(eps=)``,
``nan_to_num`` and ``clamp`` with tensor bounds; and ``addcmul``'s float ``value`` on
integer tensors, which PyTorch rounds toward zero, refused."""

import warnings

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")

F64 = torch.float64


def _scatter(mod, reduce):
    t = ad.zeros((2, 3)) if mod is ad else torch.zeros(2, 3, dtype=F64)
    src = ad.ones((1, 3)) * 2 if mod is ad else torch.ones(1, 3, dtype=F64) * 2
    return t.scatter_(0, mod.tensor([[0, 1, 0]]), src, reduce=reduce)


#: label -> a call of the library's module or torch; both give the same dtype and values.
CASES = {
    "float of big int64": lambda m: m.tensor([2 ** 53 + 1, 2 ** 62 + 3]).float(),
    "long of nan and inf": lambda m: m.tensor([np.nan, np.inf, -np.inf, 1.7]).long(),
    "to(int) truncates": lambda m: m.tensor([-1.7, 1.7]).to(int),
    "int truncates": lambda m: m.tensor([-1.7, 1.7]).int(),
    "byte wraps": lambda m: m.tensor([-1.0, 256.0]).byte(),
    "type string": lambda m: m.tensor([1, 2]).type("torch.FloatTensor"),
    "new_tensor of ints from float": lambda m: m.tensor(np.array([1.0])).new_tensor([1, 2]),
    "new_tensor of floats from int": lambda m: m.tensor([1]).new_tensor([1.5]),
    "new_full float on int": lambda m: m.tensor([1]).new_full((2,), 1.5),
    "new_zeros of int": lambda m: m.tensor([1]).new_zeros(2),
    "masked_fill float on int":
        lambda m: m.tensor([1, 2]).masked_fill(m.tensor([True, False]), 2.7),
    "masked_fill_ float on int":
        lambda m: m.tensor([1, 2]).masked_fill_(m.tensor([True, False]), 2.7),
    "index_fill float on int":
        lambda m: m.tensor([[1, 2], [3, 4]]).index_fill(1, m.tensor([0]), 2.5),
    "fill_ float on int": lambda m: m.tensor([1, 2]).fill_(2.7),
    "scatter_ reduce add": lambda m: _scatter(m, "add"),
    "scatter_ reduce multiply": lambda m: _scatter(m, "multiply"),
    "lerp int weight":
        lambda m: m.tensor(np.array([0.0, 1.0])).lerp(m.tensor(np.array([2.0, 3.0])), 1),
    "addcdiv value": lambda m: m.tensor(np.array([1.0])).addcdiv(
        m.tensor(np.array([2.0])), m.tensor(np.array([4.0])), value=2),
    "addcmul int value on ints": lambda m: m.tensor([1]).addcmul(
        m.tensor([2]), m.tensor([4]), value=2),
    "logit eps": lambda m: m.tensor(np.array([0.0, 0.5, 1.0])).logit(eps=1e-6),
    "nan_to_num float32": lambda m: m.tensor(np.float32([np.nan, np.inf, -np.inf])).nan_to_num(),
    "nan_to_num float16": lambda m: m.tensor(
        np.float16([np.nan, np.inf, -np.inf])).nan_to_num(),
    "clamp float32 by float64 tensors": lambda m: m.tensor(np.float32([0.5, 3.0])).clamp(
        m.tensor(np.array([1.0])), m.tensor(np.array([2.0]))),
    "clamp int by float tensors": lambda m: m.tensor([0, 3]).clamp(
        m.tensor(np.array([0.5])), m.tensor(np.array([2.5]))),
    "clamp min above max": lambda m: m.tensor(np.array([0.0, 3.0])).clamp(2.0, 1.0),
    "clamp by a NaN bound": lambda m: m.tensor(np.array([0.5])).clamp(
        m.tensor(np.array([np.nan]))),
}


@pytest.mark.parametrize("label", list(CASES))
def test_method_matches_pytorch(label):
    call = CASES[label]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # (NumPy's "invalid value in cast", ...)
        got = call(ad)
        expected = call(torch)
    assert str(got.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_array_equal(got.data, expected.numpy())


@pytest.mark.parametrize("spelling", ["method", "function", "in place"])
def test_addcmul_refuses_a_float_value_on_integer_tensors(spelling):
    # PyTorch rounds the value toward zero: 1 + 0.5 * 2 * 4 gives 1
    assert torch.tensor([1]).addcmul(torch.tensor([2]), torch.tensor([4]), value=0.5) == 1
    t, a, b = ad.tensor([1]), ad.tensor([2]), ad.tensor([4])
    call = {"method": lambda: t.addcmul(a, b, value=0.5),
            "function": lambda: ad.addcmul(t, a, b, value=0.5),
            "in place": lambda: t.addcmul_(a, b, value=0.5)}[spelling]
    with pytest.raises(TypeError, match=r"addcmul: value=0\.5 is a float, but the tensors "
                                        r"are integers \(int64, int64, int64\).*int value"):
        call()
    assert t.data.tolist() == [1]


def test_addcmul_float_value_with_a_float_operand_is_float():
    got = ad.tensor([1]).addcmul(ad.tensor([2.0]), ad.tensor([4]), value=0.5)
    expected = torch.tensor([1]).addcmul(torch.tensor([2.0], dtype=F64), torch.tensor([4]),
                                         value=0.5)
    assert got.dtype == np.float64 and got.data.tolist() == expected.tolist() == [5.0]


def test_a_0d_float64_tensor_promotes_float32_as_numpy_documented():
    # NumPy 2 promotes by a 0-d array's dtype; PyTorch keeps float32 (README says so)
    x32 = ad.tensor(np.float32([1.0, 2.0]))
    y32 = ad.tensor(np.float32([3.0, 4.0]))
    assert (x32 * ad.tensor(0.5)).dtype == np.float64
    assert x32.lerp(y32, ad.tensor(0.5)).dtype == np.float64
    assert (torch.ones(2) * torch.tensor(0.5, dtype=F64)).dtype == torch.float32
    assert (x32 * ad.tensor(0.5).item()).dtype == np.float32
    assert (x32 * ad.tensor(0.5, dtype=x32.dtype)).dtype == np.float32
