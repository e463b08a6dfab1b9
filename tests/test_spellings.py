"""PyTorch spellings and factories: same meaning as PyTorch, or an error where it differs."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad


def test_shape_methods():
    x = ad.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    assert x.view(6, 4).shape == (6, 4) and x.view((4, -1)).shape == (4, 6)
    assert x.unsqueeze(1).shape == (2, 1, 3, 4)
    assert x.permute(2, 0, 1).shape == (4, 2, 3)
    assert x.flatten(1).shape == (2, 12) and x.flatten().shape == (24,)
    assert x.flatten(0, 1).shape == (6, 4)
    assert ad.tensor(np.zeros((2, 3))).t().shape == (3, 2)
    with pytest.raises(ValueError, match="permute: got 2 dims"):
        x.permute(1, 0)
    with pytest.raises(ValueError, match="t\\(\\): expects a tensor with at most 2 axes"):
        x.t()
    (x.view(6, 4).permute(1, 0) * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((2, 3, 4), 2.0))


def test_transpose_with_two_axes_swaps_them_like_pytorch():
    x = ad.tensor(np.arange(24.0).reshape(2, 3, 4))
    np.testing.assert_array_equal(x.transpose(0, 2).data, np.swapaxes(x.data, 0, 2))
    np.testing.assert_array_equal(x.transpose(1, 0, 2).data, np.transpose(x.data, (1, 0, 2)))
    np.testing.assert_array_equal(x.transpose().data, x.data.T)
    m = ad.tensor(np.arange(6.0).reshape(2, 3))
    assert m.transpose(1, 0).shape == (3, 2)


def test_the_ambiguous_2d_transpose_explains_itself():
    with pytest.raises(ValueError, match="opposite things in NumPy.*and in PyTorch"):
        ad.tensor(np.zeros((2, 3))).transpose(0, 1)


@pytest.mark.filterwarnings("ignore::autodiff.ConventionWarning")  # NumPy's ddof=0 on purpose
def test_dim_and_keepdim_aliases():
    a = np.arange(6.0).reshape(2, 3)
    x = ad.tensor(a)
    for name in ("sum", "mean", "var"):
        got = getattr(x, name)(dim=1, keepdim=True).data
        np.testing.assert_array_equal(got, getattr(np, name)(a, axis=1, keepdims=True))
    with pytest.raises(TypeError, match="both axis=0 and dim=1"):
        x.sum(axis=0, dim=1)
    np.testing.assert_array_equal(x.argmax(dim=1).data, [2, 2])
    np.testing.assert_array_equal(x.argmin(dim=0, keepdim=True).data, [[0, 0, 0]])
    assert x.argmax().item() == 5


def test_max_and_min_with_dim_return_values_and_indices_like_pytorch():
    # PyTorch: t.max(dim=1) -> torch.return_types.max(values=tensor([5., 7.]),
    # indices=tensor([1, 0])); the gradient goes to the entry at the index, even at a tie.
    a = np.array([[1.0, 5.0, 5.0], [7.0, 0.0, 3.0]])
    x = ad.tensor(a, requires_grad=True)
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(values.data, [5.0, 7.0])
    np.testing.assert_array_equal(indices.data, [1, 0])
    assert indices.dtype == np.int64 and not indices.requires_grad
    assert x.max(dim=1)._fields == ("values", "indices")
    values.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 1, 0], [1, 0, 0]])
    for result in (x.min(dim=-1, keepdim=True), ad.min(x, dim=1, keepdim=True)):
        np.testing.assert_array_equal(result.values.data, [[1.0], [0.0]])
        np.testing.assert_array_equal(result.indices.data, [[0], [1]])
    np.testing.assert_array_equal(ad.max(x, dim=0).indices.data, [1, 0, 0])
    zero_d = ad.tensor(3.0).max(dim=0)
    assert zero_d.values.item() == 3.0 and zero_d.indices.item() == 0
    with_nan = ad.tensor([[1.0, np.nan, 2.0]]).max(dim=1)
    assert np.isnan(with_nan.values.item()) and with_nan.indices.item() == 1
    assert ad.gradcheck(lambda t: (t.max(dim=1).values ** 2).sum()
                        + t.min(dim=0, keepdim=True)[0].sum(), [a - [[0, 0, 1], [0, 0, 0]]])
    # NumPy's axis= (and dim=None, as if left out) still give the values only.
    np.testing.assert_array_equal(x.max(axis=1).data, [5.0, 7.0])
    np.testing.assert_array_equal(ad.min(x, axis=0, keepdims=True).data, [[1.0, 0.0, 3.0]])
    assert x.max(dim=None).item() == 7.0 and ad.min(x, 1).shape == (2,)
    # t.max(1): NumPy's values or PyTorch's (values, indices)? Refused, not guessed.
    for method in (x.max, x.min):
        with pytest.raises(TypeError, match=r"NumPy reads a positional argument as axis=.*"
                                            r"pass axis=1 for the values or dim=1 for both"):
            method(1)
    with pytest.raises(TypeError, match=r"max: dim= takes one axis.*use axis=\(0, 1\)"):
        x.max(dim=(0, 1))
    with pytest.raises(IndexError, match=r"min: dim=2 is out of range.*\[-2, 2\)"):
        x.min(dim=2)
    with pytest.raises(TypeError, match="got both axis=0 and dim=1"):
        ad.max(x, axis=0, dim=1)
    with pytest.raises(ValueError, match="max: the input is empty along dim=1"):
        ad.zeros((2, 0)).max(dim=1)


def test_clamp_and_masked_fill_have_gradients():
    x = ad.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    y = x.clamp(min=0.0, max=1.0) + x.masked_fill(x > 1, 0.0)
    np.testing.assert_array_equal(y.data, [-1.0, 1.0, 1.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 0.0])
    with pytest.raises(TypeError, match="masked_fill: the mask must be bool"):
        x.masked_fill(np.array([1, 0, 1]), 0.0)


@pytest.mark.parametrize("make, expected", [
    (lambda: ad.zeros(2, 3), np.zeros((2, 3))), (lambda: ad.ones((2,)), np.ones(2)),
    (lambda: ad.full((2, 2), 0.5), np.full((2, 2), 0.5)), (lambda: ad.eye(3), np.eye(3)),
    (lambda: ad.arange(5), np.arange(5)), (lambda: ad.arange(1.0, 2.0, 0.25),
                                           np.arange(1.0, 2.0, 0.25)),
    (lambda: ad.linspace(0, 1, 5), np.linspace(0, 1, 5)),
    (lambda: ad.zeros_like(ad.tensor(np.ones((2, 2), np.float32))),
     np.zeros((2, 2), np.float32)),
    (lambda: ad.ones_like(np.ones(3, int)), np.ones(3, int)),
    (lambda: ad.full_like(ad.tensor([1.0, 2.0]), 3), np.full(2, 3.0)),
], ids=["zeros", "ones", "full", "eye", "arange", "arange_float", "linspace", "zeros_like",
        "ones_like", "full_like"])
def test_factories_match_numpy(make, expected):
    t = make()
    np.testing.assert_array_equal(t.data, expected)
    assert t.dtype == expected.dtype


def test_factories_take_requires_grad_and_dtype():
    w = ad.zeros(3, dtype=np.float32, requires_grad=True)
    assert w.requires_grad and w.dtype == np.float32 and w.is_leaf
    with pytest.raises(TypeError, match="requires_grad=True needs floating-point"):
        ad.arange(3, requires_grad=True)
    with pytest.raises(TypeError, match="zeros: a shape is made of non-negative ints"):
        ad.zeros(2.5)


def test_random_factories_are_seeded_by_rng():
    np.testing.assert_array_equal(ad.randn(4, rng=3).data,
                                  np.random.default_rng(3).standard_normal(4))
    gen = np.random.default_rng(1)
    a, b = ad.rand(2, 2, rng=gen), ad.rand(2, 2, rng=gen)
    assert not np.array_equal(a.data, b.data)           # the generator advances
    assert ad.rand(3, dtype=np.float32, rng=0).dtype == np.float32
    assert ((ad.rand(1000, rng=0).data >= 0) & (ad.rand(1000, rng=0).data < 1)).all()
    ad.nn.manual_seed(5)
    first = ad.randn(3).data
    ad.nn.manual_seed(5)
    np.testing.assert_array_equal(ad.randn(3).data, first)
    with pytest.raises(TypeError, match="randn: random values need a float dtype"):
        ad.randn(2, dtype=int)


@pytest.mark.filterwarnings("ignore::autodiff.ConventionWarning")  # NumPy's ddof=0 on purpose
def test_functions_take_dim_and_keepdim_too():
    a = np.arange(6.0).reshape(2, 3)
    x = ad.tensor(a, requires_grad=True)
    for name in ("sum", "mean", "var"):
        got = getattr(ad, name)(x, dim=0, keepdim=True).data
        np.testing.assert_array_equal(got, getattr(np, name)(a, axis=0, keepdims=True))
    np.testing.assert_array_equal(ad.concatenate([x, x], dim=1).data, np.concatenate([a, a], 1))
    np.testing.assert_array_equal(ad.stack([x, x], dim=2).data, np.stack([a, a], 2))
    with pytest.warns(ad.ConventionWarning, match=r"torch.split\(x, 3, dim=1\) makes "):
        assert [p.shape for p in ad.split(x, 3, dim=1)] == [(2, 1)] * 3   # NumPy's
    F = ad.nn.functional
    np.testing.assert_allclose(F.softmax(x, dim=0).data.sum(axis=0), np.ones(3))
    np.testing.assert_allclose(np.exp(F.log_softmax(x, dim=0).data).sum(axis=0), np.ones(3))
    ad.sum(x, dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))


@pytest.mark.parametrize("call", [
    lambda x: ad.sum(x, axis=0, dim=1), lambda x: ad.concatenate([x, x], axis=1, dim=0),
    lambda x: ad.nn.functional.softmax(x, axis=0, dim=1),
], ids=["sum", "concatenate", "softmax"])
def test_axis_and_dim_together_is_an_error(call):
    with pytest.raises(TypeError, match="got both axis=.* and dim="):
        call(ad.tensor(np.ones((2, 2))))


def test_reduction_methods_with_pytorch_names():
    a = np.array([[3.0, 4.0, 0.5], [1.0, -2.0, 2.0]])
    x = ad.tensor(a, requires_grad=True)
    with pytest.warns(ad.ConventionWarning, match="divides by n"):
        np.testing.assert_allclose(x.std(dim=1).data, a.std(axis=1))
    np.testing.assert_allclose(x.std(dim=0, ddof=1).data, a.std(axis=0, ddof=1))
    np.testing.assert_allclose(x.prod(dim=0, keepdim=True).data, a.prod(0, keepdims=True))
    np.testing.assert_allclose(x.cumsum(dim=1).data, a.cumsum(1))
    np.testing.assert_allclose(x.cumprod(dim=0).data, a.cumprod(0))
    np.testing.assert_allclose(x.logsumexp(dim=1).data, np.log(np.exp(a).sum(1)))
    np.testing.assert_allclose(ad.logsumexp(x, dim=0, keepdim=True).data,
                               np.log(np.exp(a).sum(0, keepdims=True)))
    np.testing.assert_allclose(ad.prod(x, dim=1).data, a.prod(1))
    np.testing.assert_allclose(ad.cumsum(x, dim=0).data, a.cumsum(0))
    assert ad.gradcheck(lambda t: t.logsumexp(dim=1).sum() + t.std(dim=0, ddof=0).sum(), [a])


@pytest.mark.parametrize("call", [
    lambda t: t.var(dim=0), lambda t: t.std(dim=1, keepdim=True),
    lambda t: ad.var(t, dim=0), lambda t: ad.std(t, dim=(0, 1)),
    lambda t: t.var(), lambda t: t.std(), lambda t: t.var(0), lambda t: t.std(1, keepdim=True),
], ids=["Tensor.var", "Tensor.std", "ad.var", "ad.std", "var()", "std()", "var(0)",
        "std(1, keepdim)"])
def test_var_and_std_with_dim_and_no_correction_warn_at_the_callers_line(call):
    """A call that reads as PyTorch's too (dim=, or the axis by position, or none) and
    names no correction warns: PyTorch's divides by n - 1."""
    import warnings
    t = ad.tensor(np.array([[3.0, 4.0, 0.5], [1.0, -2.0, 2.0]]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(t)
    [warning] = caught
    assert warning.category is ad.ConventionWarning
    assert warning.filename == __file__
    assert "PyTorch's" in str(warning.message) and "correction=1" in str(warning.message)


@pytest.mark.parametrize("call", [
    lambda t: t.var(dim=0, correction=0), lambda t: t.var(dim=0, unbiased=True),
    lambda t: t.std(dim=1, ddof=1), lambda t: t.var(0, ddof=0), lambda t: t.std(axis=1),
    lambda t: t.var(ddof=0), lambda t: ad.var(t, axis=0), lambda t: np.var(t, axis=0),
    lambda t: ad.std(t, dim=0, correction=1), lambda t: ad.var_mean(t, dim=0),
    lambda t: t.std(where=t.data > 0), lambda t: t.var(0, True), lambda t: np.std(t),
], ids=["correction", "unbiased", "ddof", "positional", "axis", "all", "ad.var axis",
        "np.var", "ad.std correction", "var_mean", "where", "unbiased by position",
        "np.std"])
def test_var_and_std_say_nothing_when_the_call_is_numpys_or_names_the_correction(call):
    import warnings
    t = ad.tensor(np.array([[3.0, 4.0, 0.5], [1.0, -2.0, 2.0]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        call(t)


def test_ad_var_and_std_take_pytorchs_correction_and_unbiased():
    a = np.array([[3.0, 4.0, 0.5], [1.0, -2.0, 2.0]])
    t = ad.tensor(a)
    np.testing.assert_array_equal(ad.var(t, dim=0, correction=1).data, a.var(axis=0, ddof=1))
    np.testing.assert_array_equal(ad.var(t, axis=1, correction=1).data, a.var(axis=1, ddof=1))
    np.testing.assert_array_equal(ad.std(t, dim=1, unbiased=True, keepdim=True).data,
                                  a.std(axis=1, ddof=1, keepdims=True))
    np.testing.assert_array_equal(ad.std(t, dim=1, unbiased=False).data, a.std(axis=1))
    with pytest.raises(TypeError, match="pass one"):
        ad.var(t, dim=0, ddof=1, correction=1)


@pytest.mark.parametrize("p, dim, expected", [
    ("fro", None, lambda a: np.sqrt((a ** 2).sum())),
    (2, 1, lambda a: np.sqrt((a ** 2).sum(1))),
    (1, 0, lambda a: np.abs(a).sum(0)),
    (3, (0, 1), lambda a: (np.abs(a) ** 3).sum() ** (1 / 3)),     # a vector norm, as PyTorch
    (np.inf, 1, lambda a: np.abs(a).max(1)),
    (-np.inf, None, lambda a: np.abs(a).min()),
    (0, 1, lambda a: (a != 0).sum(1).astype(float)),
    ("nuc", None, lambda a: np.linalg.svd(a, compute_uv=False).sum()),
], ids=["fro", "2-dim1", "1-dim0", "3-both-dims", "inf", "-inf", "0", "nuc"])
def test_norm_means_what_pytorch_means(p, dim, expected):
    a = np.array([[3.0, 4.0, 0.0], [1.0, -2.0, 2.0]])
    np.testing.assert_allclose(ad.tensor(a).norm(p, dim=dim).data, expected(a))
    if p not in (0, np.inf, -np.inf):
        assert ad.gradcheck(lambda t: t.norm(p, dim=dim).sum(), [a + 0.1])
    with pytest.raises(ValueError, match="norm: p='nuc' needs two dims"):
        ad.tensor(a).norm("nuc", dim=1)


@pytest.mark.parametrize("p", ["fro", 2, 3])
def test_norm_of_a_zero_row_has_zero_gradient_as_in_pytorch(p):
    # PyTorch: d|x|/dx = 0 at x = 0, and the other row keeps its gradient.
    x = ad.tensor([[3.0, 4.0], [0.0, 0.0]], requires_grad=True)
    y = x.norm(p, dim=1)
    np.testing.assert_allclose(y.data, [(3.0 ** p + 4.0 ** p) ** (1 / p) if p != "fro"
                                        else 5.0, 0.0])
    y.sum().backward()
    assert x.grad[1].tolist() == [0.0, 0.0]
    assert np.isfinite(x.grad[0]).all() and (x.grad[0] > 0).all()
    w = ad.tensor(np.zeros((2, 2), dtype=np.float32), requires_grad=True)
    (w.norm(p) + w.sum()).backward()
    assert w.grad.dtype == np.float32 and w.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]


@pytest.mark.filterwarnings("ignore::autodiff.ConventionWarning")  # NumPy's ddof=0 on purpose
@pytest.mark.parametrize("method", ["sum", "mean", "prod", "var", "std", "argmax", "argmin",
                                    "logsumexp"])
def test_reduction_methods_take_only_the_axis_by_position(method):
    # NumPy reads a second positional as dtype or out, PyTorch as keepdim (unbiased
    # for var and std): refused rather than read either way, except a bool, PyTorch's
    # (NumPy's dtype or out is never a bool).
    t = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    spread = method in ("var", "std")
    names = "keepdims= and ddof=" if spread else "keepdims="
    with pytest.raises(TypeError, match=rf"Tensor\.{method}: takes the axis as its only "
                                        rf"positional argument, got None after it\..*"
                                        rf"pass {names} by keyword"):
        getattr(t, method)(0, None)
    kept = getattr(t, method)(0, keepdims=True)
    assert kept.shape == (1, 3) and getattr(t, method)(1).shape == (2,)
    if spread:      # PyTorch's unbiased, then keepdim
        kept = getattr(t, method)(0, keepdims=True, ddof=1)
        np.testing.assert_array_equal(getattr(t, method)(0, True, True).data, kept.data)
    else:
        np.testing.assert_array_equal(getattr(t, method)(0, True).data, kept.data)
    with_dim = getattr(t, method)(dim=1, keepdim=True)
    values = with_dim.values if method in ("max", "min") else with_dim   # PyTorch's tuple
    assert values.shape == (2, 1)


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_and_std_functions_take_only_the_axis_by_position(name):
    # torch.var(t, 1, True) is unbiased (a bool, which NumPy's dtype never is: read as
    # PyTorch's); anything else after the axis is refused rather than guessed.
    x = np.array([[1.0, 2.0, 4.0], [3.0, 7.0, 0.0]])
    t = ad.tensor(x, requires_grad=True)
    for extra in ((np.float64,), (False, 1)):
        with pytest.raises(TypeError, match=rf"{name}: takes the axis as its only positional "
                                            r"argument.*got .*PyTorch as "
                                            r"unbiased; pass keepdims= and ddof= by keyword"):
            getattr(ad, name)(t, 1, *extra)
    np.testing.assert_allclose(getattr(ad, name)(t, 1, True).data,
                               getattr(np, name)(x, 1, ddof=1))
    got = getattr(ad, name)(t, 1, keepdims=True, ddof=1)
    np.testing.assert_allclose(got.data, getattr(np, name)(x, 1, keepdims=True, ddof=1))
    np.testing.assert_allclose(getattr(np, name)(t, 1, ddof=1).data,
                               getattr(np, name)(x, 1, ddof=1))


def test_var_and_std_take_ddof_by_keyword():
    x = np.array([[1.0, 2.0, 4.0], [3.0, 7.0, 0.0]])
    t = ad.tensor(x)
    np.testing.assert_allclose(t.var(0, ddof=1).data, x.var(0, ddof=1))
    np.testing.assert_allclose(t.std(axis=1, keepdims=True, ddof=1).data,
                               x.std(axis=1, keepdims=True, ddof=1))


@pytest.mark.filterwarnings("ignore::autodiff.ConventionWarning")  # NumPy's ddof=0 on purpose
@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "norm"])
def test_an_empty_dim_tuple_reduces_every_dim_as_pytorch(name):
    x = ad.tensor(np.arange(6.0).reshape(2, 3))
    got = getattr(x, name)(dim=())
    want = getattr(x, name)()
    assert got.shape == () and got.item() == want.item()
    assert np.sum(x, axis=()).shape == (2, 3)             # NumPy's axis=(): none


def test_flatten_refuses_dims_out_of_range_as_pytorch():
    x = ad.tensor(np.zeros((2, 3, 4)))
    assert x.flatten(1, -1).shape == (2, 12)
    for dims in ((5,), (-4,), (0, 7)):
        with pytest.raises(IndexError, match="flatten: dim .* is out of range"):
            x.flatten(*dims)


def test_sort_with_stable_keeps_ties_in_order_as_pytorch():
    y = np.random.default_rng(0).integers(0, 3, size=40).astype(float)
    t = ad.tensor(y, requires_grad=True)
    values, indices = t.sort(dim=0, stable=True)
    np.testing.assert_array_equal(indices.data, np.argsort(y, kind="stable"))
    (values * ad.tensor(np.arange(40.0))).sum().backward()
    want = np.empty(40)
    want[np.argsort(y, kind="stable")] = np.arange(40.0)
    np.testing.assert_array_equal(t.grad, want)


def test_masked_fill_keeps_the_tensors_dtype_as_pytorch():
    mask = np.array([True, False, True])
    ints = ad.tensor(np.array([1, 5, 3])).masked_fill(mask, 2.5)
    assert ints.dtype == np.int64 and ints.tolist() == [2, 5, 2]
    x = ad.tensor(np.ones(3, np.float32), requires_grad=True)
    filled = x.masked_fill(mask, np.float64(0.25))
    assert filled.dtype == np.float32
    filled.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [0.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="masked_fill: the value nan cannot be stored"):
        ad.tensor(np.array([1, 2, 3])).masked_fill(mask, np.nan)


def test_where_with_one_argument_gives_the_indices_with_or_without_grad():
    t = ad.tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
    for mode in (ad.enable_grad, ad.no_grad):
        with mode():
            rows, cols = ad.where(t > 5)
        assert isinstance(rows, ad.Tensor) and rows.dtype == np.int64
        assert not rows.requires_grad
        assert (rows.tolist(), cols.tolist()) == tuple(i.tolist() for i in np.nonzero(t.data > 5))
    with pytest.raises(TypeError, match=r"where takes a condition and two values.*got 2 "
                                        r"arguments"):
        ad.where(t > 5, t)


def test_a_running_sum_of_a_0d_tensor_along_dim_0_is_0d_as_pytorch():
    x = ad.tensor(3.0, requires_grad=True)
    assert x.cumsum(dim=0).shape == () and x.cumprod(dim=-1).shape == ()
    assert x.cumsum(axis=0).shape == (1,)                  # NumPy's
    with pytest.raises(Exception, match="cumsum: axis 1 is out of bounds"):
        x.cumsum(dim=1)


def test_squeeze_takes_pytorchs_dim_and_refuses_an_axis_that_is_not_size_1():
    x = ad.tensor(np.arange(2.0).reshape(1, 2, 1), requires_grad=True)
    assert x.squeeze(dim=0).shape == (2, 1)
    assert x.squeeze(dim=-1).shape == (1, 2)
    assert x.squeeze((0, 2)).shape == (2,)
    x.squeeze(dim=0).sum().backward()
    assert x.grad.shape == (1, 2, 1)
    # PyTorch returns x unchanged here and NumPy raises: never a silent guess.
    with pytest.raises(ValueError, match=r"squeeze: axis 1 of a tensor of shape \(1, 2, 1\) "
                                         r"has size 2, not 1; .*PyTorch returns"):
        x.squeeze(dim=1)
    with pytest.raises(TypeError, match="both axis=0 and dim=0"):
        x.squeeze(0, dim=0)


@pytest.mark.parametrize("method", ["var", "std"])
def test_var_and_std_take_pytorchs_correction_and_unbiased(method):
    data = np.array([[1.0, 3.0, 4.0], [2.0, 2.0, 7.0]])
    t = ad.tensor(data)
    numpy_method = getattr(data, method)
    np.testing.assert_allclose(getattr(t, method)(dim=1, correction=1).data,
                               numpy_method(axis=1, ddof=1), rtol=1e-15)
    np.testing.assert_allclose(getattr(t, method)(unbiased=True).data, numpy_method(ddof=1),
                               rtol=1e-15)
    np.testing.assert_allclose(getattr(t, method)(dim=0, unbiased=False).data,
                               numpy_method(axis=0), rtol=1e-15)
    with pytest.warns(ad.ConventionWarning, match=rf"{method}\(\) divides by n"):
        np.testing.assert_allclose(getattr(t, method)().data, numpy_method(), rtol=1e-15)
    with pytest.raises(TypeError, match=rf"{method}: got ddof=1 and correction=1; .* pass one"):
        getattr(t, method)(ddof=1, correction=1)
    with pytest.raises(TypeError, match=rf"{method}: unbiased must be True or False"):
        getattr(t, method)(unbiased=1)


def test_max_over_an_axis_unpacked_into_two_names_warns_at_that_line():
    import sys
    import warnings
    out = ad.tensor(np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1]]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = sys._getframe().f_lineno + 1
        _, predicted = ad.max(out, 1)               # PyTorch's habit: a batch of two
        _, smallest = ad.min(out.data, 1)           # outputs.data, an ndarray
    assert [w.category for w in caught] == [ad.ConventionWarning] * 2
    assert caught[0].filename == __file__ and caught[0].lineno == line
    assert "dim=1" in str(caught[0].message) and "argmax" in str(caught[0].message)
    assert "argmin" in str(caught[1].message)
    assert float(predicted) == 0.8 and float(smallest) == 0.1   # NumPy's values, as documented


def test_max_over_an_axis_used_otherwise_says_nothing():
    import warnings
    out = ad.tensor(np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = ad.max(out, 1)
        first, second = ad.max(out, axis=1)[:2]
        pair = ad.max(out, dim=1)
        values_again, indices = pair
        low, high = ad.min(out, axis=1).data.tolist()
        three = ad.max(ad.tensor(np.ones((3, 2))), 1)
    assert indices.tolist() == [1, 0] and values.shape == (2,) and three.shape == (3,)
    assert (first, second, low, high, values_again.shape) == (0.9, 0.8, 0.0, 0.1, (2,))


def test_a_line_unpacking_a_compiled_step_that_takes_a_max_says_nothing():
    import warnings
    w = ad.tensor(np.ones((3, 3)), requires_grad=True)

    @ad.compile
    def step(x):
        best = ad.max(x @ w, 1)                   # two rows: NumPy's values
        best.sum().backward()
        return best.detach(), w.grad

    x = np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):                        # the trace, then replays
            w.grad = None
            best, grad = step(x)
    np.testing.assert_allclose(best.data, [1.0, 1.0])
    assert grad.shape == (3, 3)


def test_view_refuses_a_layout_that_would_need_a_copy_as_pytorch_does():
    """A write through ``a.T.view(-1)`` would reach a copy, not ``a``: refused, where a
    view that shares memory is fine."""
    a = ad.tensor(np.arange(6.0).reshape(2, 3))
    with pytest.raises(RuntimeError, match=r"view: a tensor of shape \(3, 2\) .* without "
                                           r"copying .* use \.reshape"):
        a.T.view(-1)
    flat = a.view(-1)
    assert np.shares_memory(flat.data, a.data)
    with ad.no_grad():
        flat[0] = 5.0
    assert a.data[0, 0] == 5.0
    np.testing.assert_array_equal(a.T.contiguous().view(-1).data, a.data.T.ravel())
    assert a.T.reshape(-1).shape == (6,)
