"""NumPy's functions that PyTorch's namesakes answer differently (each documented in
the README's PyTorch differences), and a sweep of Tensor-method conventions against
PyTorch: each gives PyTorch's result or a clear refusal."""

import pathlib
import warnings

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")

README = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text()
_M = [[1.0, -2.0, 3.0], [0.0, 5.0, -6.0]]
_X = [3.0, 1.0, 2.0, 3.0, 1.0, 5.0]
_N = [3.0, np.nan, 1.0, 2.0]


def _readme_says(*phrases):
    flat = " ".join(README.split())
    for phrase in phrases:
        assert phrase in flat, phrase


# ---- NumPy's functions where PyTorch's function of the same name differs: NumPy's
# result, and the README says so

def test_ad_median_of_an_even_count_is_numpys_mean_of_the_middle_two():
    x = np.array([4.0, 1.0, 3.0, 2.0])
    assert ad.median(ad.tensor(x)).item() == np.median(x) == 2.5
    assert torch.median(torch.tensor(x)).item() == 2.0
    assert ad.tensor(x).median().item() == 2.0          # the method is PyTorch's
    _readme_says("`ad.median`/`ad.nanmedian` averaging the two middle values",
                 "`t.median()` is PyTorch's lower one")


@pytest.mark.parametrize("name", ["std", "var"])
def test_ad_std_and_var_divide_by_n_as_numpys(name):
    x = np.array(_M)
    got = getattr(ad, name)(ad.tensor(x), 1)
    np.testing.assert_allclose(got.data, getattr(np, name)(x, 1), rtol=1e-15)
    pytorchs = getattr(torch, name)(torch.tensor(x), 1).numpy()
    np.testing.assert_allclose(getattr(ad, name)(ad.tensor(x), 1, ddof=1).data, pytorchs,
                               rtol=1e-15)
    assert not np.allclose(got.data, pytorchs)
    _readme_says("`ad.std` and `ad.var` dividing by n")


def test_ad_quantile_and_percentile_default_to_linear_as_torch_quantile():
    x = np.array([4.0, 1.0, 3.0, 2.0, 7.0])
    for q in (0.0, 0.3, 0.5, 0.95):
        expected = torch.quantile(torch.tensor(x), q).item()
        assert ad.quantile(ad.tensor(x), q).item() == pytest.approx(expected, rel=1e-15)
        assert ad.percentile(ad.tensor(x), 100 * q).item() == pytest.approx(expected,
                                                                           rel=1e-15)


def test_ad_max_with_an_int_second_argument_is_numpys_values_and_unpacking_warns():
    x = np.array(_M)
    got = ad.max(ad.tensor(x), 1)
    np.testing.assert_array_equal(got.data, torch.max(torch.tensor(x), 1).values.numpy())
    with pytest.warns(ad.ConventionWarning):
        _, _ = ad.max(ad.tensor(x), 1)
    _readme_says("A name that NumPy gives another meaning keeps NumPy's (`ad.sort`, `ad.max`")


def test_ad_cross_is_numpys_last_axis_and_the_method_asks_for_dim():
    rng = np.random.default_rng(40)
    a, b = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    np.testing.assert_array_equal(ad.cross(ad.tensor(a), ad.tensor(b)).data, np.cross(a, b))
    with pytest.raises(ValueError, match="pass dim="):
        ad.tensor(a).cross(ad.tensor(b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # (PyTorch's deprecation of no dim)
        pytorchs = torch.cross(torch.tensor(a), torch.tensor(b)).numpy()
    np.testing.assert_allclose(pytorchs, np.cross(a, b, axis=0), rtol=1e-15)
    _readme_says("`ad.cross` along the last axis where `torch.cross` without `dim` takes "
                 "the first dim of size 3")


def test_float16_cumsum_accumulates_in_float16_as_numpys_and_the_readme_says_so():
    x = np.full(3000, 0.1, np.float16)
    assert ad.tensor(x).cumsum(0)[-1].item() == np.cumsum(x)[-1] == 256.0
    assert torch.tensor(x).cumsum(0)[-1].item() == 300.0
    np.testing.assert_array_equal(ad.tensor(x).float().cumsum(0).half().data,
                                  torch.tensor(x).cumsum(0).numpy())
    _readme_says("`t.float().cumsum(0).half()` gives PyTorch's")


# ---- t.searchsorted(v, right=True): torch.searchsorted's keyword

def test_tensor_searchsorted_takes_pytorchs_right():
    t = ad.tensor([1.0, 2.0, 2.0, 3.0])
    expected = torch.searchsorted(torch.tensor([1.0, 2.0, 2.0, 3.0]),
                                  torch.tensor([2.0, 0.5]), right=True).numpy()
    np.testing.assert_array_equal(t.searchsorted(ad.tensor([2.0, 0.5]), right=True), expected)
    np.testing.assert_array_equal(t.searchsorted(ad.tensor([2.0]), right=False), [1])
    with pytest.raises(TypeError, match="side='right' and right=False, which disagree"):
        t.searchsorted(2.0, side="right", right=False)


# ---- Tensor methods that PyTorch also has: PyTorch's results

def _values(result):
    if isinstance(result, (tuple, list)):
        return tuple(_values(v) for v in result)
    if isinstance(result, ad.Tensor):
        return np.asarray(result.data)
    if isinstance(result, torch.Tensor):
        return result.numpy()
    return np.asarray(result)


def _assert_same(got, expected):
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for g, e in zip(got, expected):
            _assert_same(g, e)
        return
    assert got.shape == expected.shape and got.dtype == expected.dtype, (got, expected)
    np.testing.assert_array_equal(got, expected)


_SAME_AS_TORCH = {
    "unique counts": (lambda L, t: t.unique(sorted=False, return_counts=True), _X),
    "unique inverse": (lambda L, t: t.unique(sorted=False, return_inverse=True), _X),
    "unique dim": (lambda L, t: t.unique(dim=0), [[1.0, 2.0], [1.0, 2.0], [0.0, 1.0]]),
    "unique_consecutive": (lambda L, t: t.unique_consecutive(return_counts=True,
                                                             return_inverse=True),
                           [1.0, 1.0, 2.0, 2.0, 1.0]),
    "nonzero as_tuple": (lambda L, t: t.nonzero(as_tuple=True), _M),
    "argwhere": (lambda L, t: t.argwhere(), _M),
    "count_nonzero dim": (lambda L, t: t.count_nonzero(dim=1), _M),
    "count_nonzero dims": (lambda L, t: t.count_nonzero(dim=(0, 1)), _M),
    "bucketize right": (lambda L, t: L.bucketize(t, L.tensor([1.0, 2.0, 3.0]), right=True),
                        [0.5, 1.0, 2.5, 3.0, 4.0]),
    "histc": (lambda L, t: t.histc(bins=4), [0.0, 1.0, 2.0, 3.0, 4.0]),
    "histc bounds": (lambda L, t: t.histc(bins=4, min=1, max=3), [0.0, 1.0, 2.0, 3.0, 4.0]),
    "histc equal bounds": (lambda L, t: t.histc(bins=3, min=2, max=2), [2.0, 2.0, 2.0]),
    "cross dim": (lambda L, t: t.cross(L.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), dim=1),
                  _M),
    "diag_embed offset": (lambda L, t: t.diag_embed(offset=1), _M),
    "diag_embed dims": (lambda L, t: t.diag_embed(dim1=0, dim2=2), _M),
    "roll tuple": (lambda L, t: t.roll((1, -1), (0, 1)), _M),
    "roll flat": (lambda L, t: t.roll(2), _M),
    "flip negative": (lambda L, t: t.flip(-1), _M),
    "flip tuple": (lambda L, t: t.flip((0, -1)), _M),
    "expand -1": (lambda L, t: t.expand(3, -1), [[1.0, 2.0]]),
    "expand new dim": (lambda L, t: t.expand(2, -1, -1), [[1.0, 2.0]]),
    "tril_indices": (lambda L, t: L.tril_indices(3, 4, 1), [0.0]),
    "triu_indices": (lambda L, t: L.triu_indices(3, 3, -1), [0.0]),
    "scatter_reduce amax no self": (lambda L, t: t.scatter_reduce(
        0, L.tensor([0, 1, 0]), L.tensor([5.0, 6.0, 7.0]), reduce="amax",
        include_self=False), [1.0, 2.0, 3.0]),
    "scatter_reduce mean no self": (lambda L, t: t.scatter_reduce(
        0, L.tensor([0, 0, 0]), L.tensor([5.0, 6.0, 7.0]), reduce="mean",
        include_self=False), [1.0, 2.0, 3.0]),
    "scatter_reduce prod": (lambda L, t: t.scatter_reduce(
        0, L.tensor([0, 2, 0]), L.tensor([5.0, 6.0, 7.0]), reduce="prod"), [1.0, 2.0, 3.0]),
    "index_reduce prod": (lambda L, t: t.index_reduce(
        0, L.tensor([0, 2, 0]), L.tensor([5.0, 6.0, 7.0]), "prod"), [1.0, 2.0, 3.0]),
    "index_reduce mean no self": (lambda L, t: t.index_reduce(
        0, L.tensor([0, 2, 0]), L.tensor([5.0, 6.0, 7.0]), "mean", include_self=False),
        [1.0, 2.0, 3.0]),
    "index_reduce amin": (lambda L, t: t.index_reduce(
        0, L.tensor([0, 2, 0]), L.tensor([5.0, 6.0, -7.0]), "amin"), [1.0, 2.0, 3.0]),
    "logcumsumexp": (lambda L, t: t.logcumsumexp(1), [[1.0, -2.0, 3.0], [0.0, 0.0, 0.0]]),
    "logcumsumexp -inf": (lambda L, t: t.logcumsumexp(0), [-np.inf, -np.inf, 1.0]),
    "nan_to_num float16": (lambda L, t: t.nan_to_num(),
                           np.array([np.nan, np.inf, -np.inf], np.float16)),
    "nan_to_num float32": (lambda L, t: t.nan_to_num(),
                           np.array([np.nan, np.inf, -np.inf], np.float32)),
    "nan_to_num given": (lambda L, t: t.nan_to_num(1.0, 2.0, -2.0), [np.nan, np.inf, -np.inf]),
    "clamp min tensor": (lambda L, t: t.clamp(min=L.tensor([0.0, 0.0, 0.0])), _M),
    "clamp min above max": (lambda L, t: t.clamp(min=2.0, max=1.0), _M),
    "clamp tensors": (lambda L, t: t.clamp(L.tensor([0.0, -1.0, 0.0]),
                                           L.tensor([1.0, 1.0, 2.0])), _M),
    "lerp tensor weight": (lambda L, t: t.lerp(L.tensor([1.0, 1.0, 1.0]),
                                               L.tensor([0.25, 0.5, 0.75])), _M),
    "addcdiv value": (lambda L, t: t.addcdiv(L.tensor([1.0, 2.0, 3.0]),
                                             L.tensor([2.0, 4.0, 8.0]), value=0.5), _M),
    "addcmul value": (lambda L, t: t.addcmul(L.tensor([1.0, 2.0, 3.0]),
                                             L.tensor([2.0, 4.0, 8.0]), value=-2), _M),
    "where condition other": (lambda L, t: t.where(t > 0, L.tensor(10.0)), _M),
    "where condition number": (lambda L, t: t.where(t > 0, 10.0), _M),
    "masked_select": (lambda L, t: t.masked_select(L.tensor([True, False, True])), _M),
    "take negatives": (lambda L, t: t.take(L.tensor([-1, 0, -6])), _M),
    "put_ accumulate": (lambda L, t: t.clone().put_(L.tensor([0, 0, -1]),
                                                    L.tensor([1.0, 2.0, 3.0]),
                                                    accumulate=True), _M),
    "put_": (lambda L, t: t.clone().put_(L.tensor([1, -1]), L.tensor([10.0, 20.0])), _M),
    "cummax": (lambda L, t: tuple(t.cummax(1)), [[1.0, 3.0, 2.0, 3.0]]),
    "cummin": (lambda L, t: tuple(t.cummin(0)), [2.0, 1.0, 1.0, 3.0]),
    "kthvalue": (lambda L, t: tuple(t.kthvalue(2, 1)), _M),
    "topk smallest": (lambda L, t: tuple(t.topk(2, dim=1, largest=False)), _M),
    "sort descending stable": (lambda L, t: tuple(t.sort(descending=True, stable=True)), _X),
    "argsort descending stable": (lambda L, t: t.argsort(descending=True, stable=True), _X),
    "msort": (lambda L, t: t.msort(), _M),
    "aminmax": (lambda L, t: tuple(t.aminmax(dim=0)), _M),
    "mode": (lambda L, t: tuple(t.mode(1)), [[1.0, 2.0, 2.0, 1.0]]),
    "unfold": (lambda L, t: t.unfold(1, 2, 1), _M),
    "tensor_split sections": (lambda L, t: tuple(t.tensor_split(2, dim=1)), _M),
    "split sizes": (lambda L, t: tuple(t.split([1, 2], 1)), _M),
    "index_add alpha": (lambda L, t: t.index_add(0, L.tensor([0, 0]), L.tensor(
        [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]), alpha=2), _M),
    "masked_scatter": (lambda L, t: t.masked_scatter(
        t > 0, L.tensor([10.0, 20.0, 30.0, 40.0, 50.0, 60.0])), _M),
    "fmod negative": (lambda L, t: t.fmod(-4), _M),
    "remainder negative": (lambda L, t: t.remainder(-4), _M),
    "div floor": (lambda L, t: t.div(4, rounding_mode="floor"), _M),
    "div trunc": (lambda L, t: t.div(4, rounding_mode="trunc"), _M),
    "round decimals": (lambda L, t: t.round(decimals=1), [0.25, 0.35, -1.25]),
    "sign of nan": (lambda L, t: t.sign(), [np.nan, -0.0, 2.0]),
    "heaviside": (lambda L, t: t.heaviside(L.tensor([0.5])), [0.0, -1.0, 2.0]),
    "logit eps": (lambda L, t: t.logit(eps=0.1), [0.0, 0.5, 1.0]),
    "xlogy": (lambda L, t: t.xlogy(L.tensor([0.0, 2.0, np.nan])), [0.0, 1.0, 0.0]),
    "bincount minlength": (lambda L, t: t.bincount(minlength=5), np.array([1, 1, 3])),
    "sum_to_size": (lambda L, t: t.sum_to_size(1, 3), _M),
    "squeeze dims": (lambda L, t: t.squeeze((0, 2)), [[[1.0], [2.0]]]),
    "float16 sum": (lambda L, t: t.sum(), np.full(3000, 0.1, np.float16)),
    "copysign negative zero": (lambda L, t: t.copysign(-0.0), _M),
    "frexp": (lambda L, t: tuple(t.frexp()), _M),
    # NaN, as PyTorch places and propagates it
    "argmax of nan": (lambda L, t: t.argmax(), _N),
    "argmin of nan": (lambda L, t: t.argmin(), _N),
    "max of nan": (lambda L, t: t.max(), _N),
    "median of nan": (lambda L, t: t.median(), _N),
    "nanmedian": (lambda L, t: t.nanmedian(), _N),
    "sort of nan": (lambda L, t: tuple(t.sort(dim=-1)), _N),
    "sort of nan descending": (lambda L, t: tuple(t.sort(dim=-1, descending=True)), _N),
    "argsort of nan": (lambda L, t: t.argsort(dim=-1), _N),
    "topk of nan": (lambda L, t: tuple(t.topk(2)), _N),
    "kthvalue of nan": (lambda L, t: tuple(t.kthvalue(1)), _N),
    "cummax of nan": (lambda L, t: tuple(t.cummax(0)), _N),
    "logcumsumexp of nan": (lambda L, t: t.logcumsumexp(0), _N),
    "quantile of nan": (lambda L, t: t.quantile(0.5), _N),
    "nanquantile": (lambda L, t: t.nanquantile(0.5), _N),
    "clamp of nan": (lambda L, t: t.clamp(0, 2), _N),
    "clamp to a nan bound": (lambda L, t: t.clamp(min=np.nan), [1.0, 2.0]),
    "unique of nan": (lambda L, t: t.unique(), [np.nan, 1.0, np.nan]),
    # rounding and integer arithmetic
    "round half to even": (lambda L, t: t.round(), [0.5, 1.5, 2.5, -0.5]),
    "int of negative floats": (lambda L, t: t.int(), [-1.7, 1.7]),
    "floor_divide negative": (lambda L, t: t.floor_divide(-2), [5.0, -5.0, 3.0]),
    "abs of int8 min": (lambda L, t: t.abs(), np.array([-128], np.int8)),
    "negative uint8": (lambda L, t: -t, np.array([1], np.uint8)),
    "int true_divide": (lambda L, t: t.true_divide(2), np.array([3, -2])),
    "heaviside at zeros": (lambda L, t: t.heaviside(L.tensor(7.0)), [0.0, -0.0]),
    # shapes and repeats
    "repeat_interleave": (lambda L, t: t.repeat_interleave(2, dim=0), _M),
    "repeat_interleave counts": (lambda L, t: t.repeat_interleave(L.tensor([1, 2]), dim=0),
                                 _M),
    "repeat_interleave flat": (lambda L, t: t.repeat_interleave(2), _M),
    "hsplit": (lambda L, t: tuple(t.hsplit(3)), _M),
    "vsplit indices": (lambda L, t: tuple(t.vsplit([1])), _M),
    "diagflat offset": (lambda L, t: t.diagflat(1), [1.0, 2.0]),
    "rot90 k=-1": (lambda L, t: t.rot90(-1), _M),
    "mode of several": (lambda L, t: tuple(t.mode()), [3.0, 1.0, 3.0, 1.0, 2.0]),
    "cumprod through zero": (lambda L, t: t.cumprod(0), [2.0, 0.0, 3.0]),
    "norm inf": (lambda L, t: t.norm(float("inf")), _M),
    "norm 0": (lambda L, t: t.norm(0), _M),
    "renorm": (lambda L, t: t.renorm(1, 1, 2.0), _M),
}


@pytest.mark.parametrize("name", list(_SAME_AS_TORCH))
def test_tensor_methods_give_pytorchs_results(name):
    call, values = _SAME_AS_TORCH[name]
    values = np.array(values)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)      # (Python floats: float64, as here)
    try:
        expected = _values(call(torch, torch.tensor(values)))
    finally:
        torch.set_default_dtype(previous)
    _assert_same(_values(call(ad, ad.tensor(values))), expected)


@pytest.mark.parametrize("call, match", [
    (lambda t: t.nonzero(), "say which with as_tuple="),
    (lambda t: t.repeat(2, 1), "means different things"),
    (lambda t: t.T.view(-1), "cannot be viewed as shape"),
    (lambda t: t[:, ::2].view(-1), "cannot be viewed as shape")],
    ids=["nonzero", "repeat", "view of a transpose", "view of a strided slice"])
def test_ambiguous_or_impossible_methods_are_refused_with_what_to_write(call, match):
    with pytest.raises((TypeError, RuntimeError), match=match):
        call(ad.tensor(np.array(_M)))
