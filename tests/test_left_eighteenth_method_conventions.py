"""Tensor-method conventions against PyTorch: ``bincount`` with weights (PyTorch's
dtype, and a gradient for the weights, which it used to drop silently), the division
methods of bool tensors (refused, as PyTorch), and a sweep of ties, NaN, halfway and
negative cases of the selection, statistics and integer-division methods."""

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")
nan = np.nan


def _ours(result):
    parts = result if isinstance(result, tuple) else (result,)
    return [(str(p.dtype), np.asarray(p.data)) for p in parts]


def _theirs(result):
    parts = result if isinstance(result, tuple) else (result,)
    return [(str(p.dtype).replace("torch.", ""), p.numpy()) for p in parts]


def _agree(call, values, dtype=None):
    values = np.array(values, dtype=dtype)
    ours, theirs = _ours(call(ad.tensor(values))), _theirs(call(torch.tensor(values)))
    assert [d for d, _ in ours] == [d for d, _ in theirs]
    for (_, mine), (_, reference) in zip(ours, theirs):
        assert mine.shape == reference.shape
        np.testing.assert_array_equal(mine, reference)


# ----- bincount -------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int64])
def test_bincount_with_weights_has_pytorchs_dtype(dtype):
    ids, weights = np.array([0, 2, 2, 5]), np.array([0.5, 1.0, 2.0, 3.0]).astype(dtype)
    ours = ad.tensor(ids).bincount(weights=ad.tensor(weights), minlength=7)
    theirs = torch.tensor(ids).bincount(torch.tensor(weights), minlength=7)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_bincount_gives_the_weights_their_gradient():
    weights = ad.tensor([0.5, 1.0, 2.0, 3.0], requires_grad=True)
    counts = ad.tensor([0, 2, 2, 1]).bincount(weights=weights)
    (counts * ad.tensor([10.0, 20.0, 30.0])).sum().backward()
    np.testing.assert_array_equal(weights.grad, [10.0, 30.0, 30.0, 20.0])
    assert ad.gradcheck(lambda w: (ad.tensor([1, 1, 0]).bincount(weights=w) ** 2).sum(),
                        [np.array([0.3, -1.2, 2.0])])


def test_bincount_of_float32_weights_keeps_a_float32_gradient():
    weights = ad.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    ad.tensor([1, 1]).bincount(weights=weights).sum().backward()
    assert weights.grad.dtype == np.float32


def test_bincount_without_weights_is_unchanged():
    _agree(lambda t: t.bincount(minlength=5), [0, 2, 2])
    _agree(lambda t: t.bincount(), [3, 3, 0], dtype=np.uint8)


# ----- bool division --------------------------------------------------------------------

_BOOL_DIVISIONS = {
    "div floor": lambda t: t.div(True, rounding_mode="floor"),
    "div trunc": lambda t: t.div(True, rounding_mode="trunc"),
    "floor_divide": lambda t: t.floor_divide(True),
    "fmod": lambda t: t.fmod(True),
    "remainder": lambda t: t.remainder(True),
    "fmod_": lambda t: t.fmod_(True),
    "ad.div floor": lambda t: ad.div(t, True, rounding_mode="floor")
    if isinstance(t, ad.Tensor) else torch.div(t, True, rounding_mode="floor"),
}


@pytest.mark.parametrize("name", list(_BOOL_DIVISIONS))
def test_dividing_bools_is_refused_as_in_pytorch(name):
    call = _BOOL_DIVISIONS[name]
    with pytest.raises(RuntimeError, match="not implemented for 'Bool'"):
        call(torch.tensor([True, False]))
    with pytest.raises(TypeError, match=r"both operands are bool.*t\.long\(\)"):
        call(ad.tensor([True, False]))


def test_a_bool_divided_by_an_int_is_pytorchs():
    _agree(lambda t: t.div(2, rounding_mode="trunc"), [True, False])
    _agree(lambda t: t.floor_divide(2), [True, False])


def test_numpys_spellings_of_bool_division_keep_numpys_result():
    values = np.array([True, False])
    assert (ad.tensor(values) // True).tolist() == (values // True).tolist()
    assert np.fmod(ad.tensor(values), True).dtype == np.fmod(values, True).dtype


# ----- a sweep against PyTorch ----------------------------------------------------------

_SWEEP = {
    "argmax ties": (lambda t: t.argmax(), [1.0, 3.0, 3.0, 2.0]),
    "argmax NaN": (lambda t: t.argmax(), [1.0, nan, 3.0, nan]),
    "argmin NaN": (lambda t: t.argmin(), [1.0, nan, -3.0, nan]),
    "argmax dim": (lambda t: t.argmax(dim=1), [[1.0, 3.0, 3.0], [nan, 0.0, nan]]),
    "sort stable NaN": (lambda t: tuple(t.sort(dim=0, stable=True)),
                        [3.0, nan, 1.0, nan, 1.0, -0.0, 0.0]),
    "sort descending stable": (lambda t: tuple(t.sort(dim=0, descending=True, stable=True)),
                               [3.0, nan, 1.0, nan, 1.0]),
    "argsort stable": (lambda t: t.argsort(stable=True), [3.0, nan, 1.0, nan, 1.0]),
    "topk NaN": (lambda t: tuple(t.topk(2)), [1.0, nan, 3.0, 2.0]),
    "topk distinct unsorted": (lambda t: t.topk(3, sorted=True)[0], [5.0, 1.0, 3.0, 4.0]),
    "median even": (lambda t: t.median(), [4.0, 1.0, 3.0, 2.0]),
    "median NaN": (lambda t: t.median(), [4.0, nan, 3.0, 2.0]),
    "median dim": (lambda t: tuple(t.median(dim=0)), [4.0, 1.0, 3.0, 1.0]),
    "median dim NaN": (lambda t: tuple(t.median(dim=1)), [[4.0, nan, 3.0, 1.0],
                                                          [1.0, 2.0, 3.0, 4.0]]),
    "median int": (lambda t: t.median(), [4, 1, 3, 2]),
    "nanmedian": (lambda t: t.nanmedian(), [4.0, nan, 3.0, 2.0]),
    "mode ties": (lambda t: tuple(t.mode()), [1.0, 2.0, 2.0, 3.0, 3.0]),
    "mode last index": (lambda t: tuple(t.mode()), [0.0, 7.0, 0.0, 7.0, 7.0, 0.0]),
    "mode dim": (lambda t: tuple(t.mode(dim=0)), [[1.0, 2.0], [1.0, 3.0], [2.0, 3.0]]),
    "kthvalue distinct": (lambda t: tuple(t.kthvalue(2)), [3.0, 1.0, 4.0, 2.0]),
    "kthvalue NaN": (lambda t: tuple(t.kthvalue(3)), [3.0, nan, 1.0, 2.0]),
    "histc": (lambda t: t.histc(bins=4, min=0, max=4), [0.0, 1.0, 1.5, 4.0, 4.5, -1.0, 2.0]),
    "histc range of the data": (lambda t: t.histc(bins=3), [1.0, 2.0, 2.0, 3.0]),
    "histc constant": (lambda t: t.histc(bins=3), [2.0, 2.0]),
    "diff n=2": (lambda t: t.diff(n=2), [1.0, 4.0, 9.0, 16.0]),
    "diff bool": (lambda t: t.diff(), [True, False, False, True]),
    "cummax ties": (lambda t: tuple(t.cummax(0)), [1.0, 3.0, 3.0, 2.0, 3.0]),
    "cummin ties": (lambda t: tuple(t.cummin(0)), [3.0, 1.0, 1.0, 2.0, 1.0]),
    "cummax NaN": (lambda t: tuple(t.cummax(0)), [1.0, nan, 3.0, nan]),
    "cummin int ties": (lambda t: tuple(t.cummin(0)), [3, 1, 1, 2, 1]),
    "renorm": (lambda t: t.renorm(2, 0, 1.0), [[3.0, 4.0], [0.3, 0.4]]),
    "round halfway": (lambda t: t.round(), [0.5, 1.5, 2.5, -0.5, -1.5]),
    "round decimals": (lambda t: t.round(decimals=1), [0.25, 0.35, -0.25, 2.675, 1.05]),
    "round negative decimals": (lambda t: t.round(decimals=-1), [15.0, 25.0, -35.0, 5.0]),
    "round int": (lambda t: t.round(), [1, 2, 3]),
    "div trunc int": (lambda t: t.div(2, rounding_mode="trunc"), [-7, -6, 7, 6]),
    "div floor int": (lambda t: t.div(2, rounding_mode="floor"), [-7, -6, 7, 6]),
    "div floor by negative": (lambda t: t.div(-2, rounding_mode="floor"), [-7, -6, 7, 6]),
    "div trunc uint8": (lambda t: t.div(2, rounding_mode="trunc"), np.array([7, 6], np.uint8)),
    "floor_divide negative": (lambda t: t.floor_divide(2), [-7, -6, 7, 6]),
    "floor_divide by negative": (lambda t: t.floor_divide(-2), [-7, -6, 7, 6]),
    "floor_divide float": (lambda t: t.floor_divide(-2.0), [-7.0, -6.0, 7.0, 6.0]),
    "fmod int": (lambda t: t.fmod(3), [-7, -6, 7, 6]),
    "fmod by negative": (lambda t: t.fmod(-3), [-7, -6, 7, 6]),
    "remainder int": (lambda t: t.remainder(3), [-7, -6, 7, 6]),
    "remainder by negative": (lambda t: t.remainder(-3), [-7, -6, 7, 6]),
    "fmod float": (lambda t: t.fmod(-3.0), [-7.0, -6.0, 7.0, 6.0]),
    "fmod uint8": (lambda t: t.fmod(3), np.array([7, 6], np.uint8)),
}


@pytest.mark.parametrize("name", list(_SWEEP))
def test_tensor_methods_agree_with_pytorch(name):
    call, values = _SWEEP[name]
    _agree(call, values)


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "nearest", "midpoint"])
@pytest.mark.parametrize("q", [0.4, 0.5, 0.25, 0.75])
def test_quantile_interpolations_agree_with_pytorch(interpolation, q):
    for values in ([1.0, 2.0, 3.0, 4.0, 10.0], [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0, 5.0,
                                                                     6.0]):
        values = np.array(values)
        ours = ad.tensor(values).quantile(q, interpolation=interpolation)
        theirs = torch.tensor(values).quantile(q, interpolation=interpolation)
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-15)


def test_diff_with_prepend_and_append_agrees_with_pytorch():
    values = np.array([[1.0, 4.0], [9.0, 16.0]])
    ours = ad.tensor(values).diff(dim=0, prepend=ad.tensor([[0.0, 0.0]]),
                                  append=ad.tensor([[1.0, 1.0]]))
    theirs = torch.tensor(values).diff(dim=0, prepend=torch.tensor([[0.0, 0.0]]),
                                       append=torch.tensor([[1.0, 1.0]]))
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_ties_of_topk_and_kthvalue_take_the_first_in_order():
    # PyTorch's indices among ties come from its selection algorithm (undocumented, and
    # not the first: topk([1, 3, 3, 2, 3], 2) gives [2, 4] there); the values agree.
    top = ad.tensor([1.0, 3.0, 3.0, 2.0, 3.0]).topk(2)
    assert top.values.tolist() == torch.tensor([1.0, 3.0, 3.0, 2.0, 3.0]).topk(2)[0].tolist()
    assert top.indices.tolist() == [1, 2]
    kth = ad.tensor([3.0, 1.0, 1.0, 2.0]).kthvalue(2)
    assert kth.values.item() == 1.0 and kth.indices.item() == 2


def test_the_median_method_is_pytorchs_lower_median_and_np_median_numpys():
    values = np.array([4.0, 1.0, 3.0, 2.0])
    assert ad.tensor(values).median().item() == torch.tensor(values).median().item() == 2.0
    assert np.median(ad.tensor(values)).item() == np.median(values) == 2.5
    x, tx = ad.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    x.median().backward()
    tx.median().backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())


def test_topk_unsorted_gives_pytorchs_entries_in_some_order():
    # (PyTorch leaves the order of sorted=False unspecified; the entries agree)
    values = np.array([5.0, 1.0, 3.0, 2.0, 4.0, 9.0, 0.0])
    ours = ad.tensor(values).topk(3, sorted=False)
    theirs = torch.tensor(values).topk(3, sorted=False)
    assert sorted(zip(ours.values.tolist(), ours.indices.tolist())) == \
        sorted(zip(theirs.values.tolist(), theirs.indices.tolist()))
