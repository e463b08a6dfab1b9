"""PyTorch's spellings that NumPy reads otherwise: a reduction's keepdim given by
position (``ad.sum(x, 1, True)``), functions whose PyTorch form returns ``(values,
indices)``, dtypes NumPy lacks (bfloat16), the legacy typed constructors' ``isinstance``
and ``issubclass``, and PyTorch's in-place methods on ``.grad`` / ``.data``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad

R = np.random.default_rng(7)
# three entries per row: NumPy's median and PyTorch's lower median agree
X = R.uniform(-1.0, 1.0, (4, 3))
WEIGHTS = R.uniform(0.5, 1.5, (4, 1))

#: reductions whose PyTorch form is (input, dim, keepdim); NumPy's third argument is
#: dtype (sum, mean, nansum, nanmean, prod) or out= (the others), never a bool
KEEPDIM_REDUCTIONS = ["sum", "mean", "prod", "nansum", "nanmean", "amax", "amin", "max",
                      "min", "logsumexp", "median", "nanmedian"]
KEEPDIM_BOOL_RESULTS = ["any", "all", "argmax", "argmin"]


def _values(result):
    """PyTorch's (values, indices) pair's values, or the result itself."""
    return result.values if isinstance(result, tuple) else result


@pytest.mark.parametrize("name", KEEPDIM_REDUCTIONS)
@pytest.mark.parametrize("keepdim", [True, False])
def test_positional_keepdim_gives_the_keyword_result(name, keepdim):
    x = ad.tensor(X)
    by_position = getattr(ad, name)(x, 1, keepdim)
    by_keyword = getattr(ad, name)(x, dim=1, keepdim=keepdim)
    assert by_position.shape == ((4, 1) if keepdim else (4,))
    np.testing.assert_allclose(by_position.data, _values(by_keyword).data, rtol=1e-15)


@pytest.mark.parametrize("name", KEEPDIM_REDUCTIONS)
def test_positional_keepdim_gradient_matches_finite_differences(name):
    def weighted(t):
        return (getattr(ad, name)(t, 1, True) * WEIGHTS).sum()
    assert ad.gradcheck(weighted, [X.copy()])


@pytest.mark.parametrize("name", KEEPDIM_REDUCTIONS + KEEPDIM_BOOL_RESULTS)
def test_positional_keepdim_matches_torch(name):
    torch = pytest.importorskip("torch")
    data = X > 0 if name in ("any", "all") else X
    x = ad.tensor(data, requires_grad=data.dtype.kind == "f")
    theirs_input = torch.tensor(data, requires_grad=data.dtype.kind == "f")
    ours = getattr(ad, name)(x, 1, True)
    theirs = _values(getattr(torch, name)(theirs_input, 1, True))
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)
    if x.requires_grad and ours.dtype.kind == "f":
        (ours * ad.tensor(WEIGHTS)).sum().backward()
        (theirs * torch.tensor(WEIGHTS)).sum().backward()
        np.testing.assert_allclose(x.grad, theirs_input.grad.numpy(), rtol=1e-12)


KEEPDIM_METHODS = ["sum", "mean", "prod", "logsumexp", "argmax", "argmin", "any", "all",
                   "amax", "amin", "nansum", "nanmean"]


@pytest.mark.parametrize("name", KEEPDIM_METHODS)
def test_methods_positional_keepdim_matches_torch(name):
    """``t.sum(1, True)``: PyTorch's method form reads the bool as keepdim too."""
    torch = pytest.importorskip("torch")
    data = X > 0 if name in ("any", "all") else X
    differentiable = data.dtype.kind == "f" and name not in ("argmax", "argmin")
    x = ad.tensor(data, requires_grad=differentiable)
    theirs_input = torch.tensor(data, requires_grad=differentiable)
    for keepdim in (True, False):
        ours = getattr(x, name)(1, keepdim)
        theirs = getattr(theirs_input, name)(1, keepdim)
        assert ours.shape == tuple(theirs.shape)
        assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)
    if differentiable:
        (ours * ad.tensor(WEIGHTS[:, 0])).sum().backward()
        (theirs * torch.tensor(WEIGHTS[:, 0])).sum().backward()
        np.testing.assert_allclose(x.grad, theirs_input.grad.numpy(), rtol=1e-12)
        assert ad.gradcheck(lambda t: (getattr(t, name)(1, True) * WEIGHTS).sum(), [X.copy()])


@pytest.mark.parametrize("name", ["sum", "any", "argmax", "logsumexp"])
def test_methods_keepdim_twice_or_another_positional_is_refused(name):
    x = ad.tensor(X)
    with pytest.raises(TypeError, match=rf"Tensor.{name}: got keepdim both by position"):
        getattr(x, name)(1, True, keepdim=True)
    with pytest.raises(TypeError, match=rf"Tensor.{name}: takes the axis as its only "
                                        r"positional argument"):
        getattr(x, name)(1, None)


def test_numpys_positional_dtype_is_still_the_dtype():
    x = ad.tensor(X)
    assert ad.sum(x, 0, np.float32).dtype == np.float32
    assert ad.mean(x, 0, np.float32).dtype == np.float32
    assert ad.sum(x, 0, np.float32).shape == (3,)


@pytest.mark.parametrize("name", ["nansum", "nanmean", "median", "nanmedian"])
def test_keepdim_by_position_and_by_name_is_refused(name):
    with pytest.raises(TypeError, match=rf"{name}: got keepdim both by position"):
        getattr(ad, name)(ad.tensor(X), 1, True, keepdims=True)


def test_norm_with_a_bool_dim_raises_as_torch_naming_the_order_of_arguments():
    """torch.norm(x, 1, True) raises too: its second argument is p, not the dim."""
    torch = pytest.importorskip("torch")
    with pytest.raises((TypeError, RuntimeError)):
        torch.norm(torch.tensor(X), 1, True)
    for call in (lambda: ad.norm(ad.tensor(X), 1, True), lambda: ad.tensor(X).norm(2, True)):
        with pytest.raises(TypeError, match=r"norm: dim=True is a bool; norm\(input, p, dim, "
                                            r"keepdim\) takes p before the dim"):
            call()
    np.testing.assert_allclose(ad.norm(ad.tensor(X), 1, 1, True).data,
                               torch.norm(torch.tensor(X), 1, 1, True).numpy(), rtol=1e-14)


def test_count_nonzero_positional_keepdim_raises_naming_the_keyword():
    """torch.count_nonzero takes no keepdim and NumPy's keepdims is keyword-only."""
    with pytest.raises(TypeError, match=r"count_nonzero.*keyword-only.*keepdims="):
        ad.count_nonzero(ad.tensor(X), 1, True)


@pytest.mark.parametrize("name", ["std", "var"])
@pytest.mark.parametrize("extra", [(True,), (False,), (True, True), (False, True)])
@pytest.mark.parametrize("kind", ["function", "method"])
def test_std_var_read_torchs_positional_unbiased_then_keepdim(name, extra, kind):
    """PyTorch's std/var(input, dim, unbiased, keepdim): the values, shapes and
    gradients of torch's, and the gradient against finite differences."""
    torch = pytest.importorskip("torch")

    def ours_of(t):
        return getattr(ad, name)(t, 1, *extra) if kind == "function" else getattr(
            t, name)(1, *extra)
    x = ad.tensor(X, requires_grad=True)
    theirs_input = torch.tensor(X, requires_grad=True)
    ours, theirs = ours_of(x), getattr(torch, name)(theirs_input, 1, *extra)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)
    weights = WEIGHTS if len(extra) == 2 and extra[1] else WEIGHTS[:, 0]
    (ours * ad.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad, theirs_input.grad.numpy(), rtol=1e-10)
    assert ad.gradcheck(lambda t: (ours_of(t) * weights).sum(), [X.copy()])


@pytest.mark.parametrize("name", ["std", "var"])
def test_std_var_positional_unbiased_given_twice_is_refused(name):
    with pytest.raises(TypeError, match=rf"Tensor.{name}: got unbiased or keepdim both"):
        getattr(ad.tensor(X), name)(1, True, unbiased=True)


# --- (values, indices) --------------------------------------------------------------

PAIR_DATA = np.array([[3.0, 1.0, 2.0], [5.0, 6.0, 4.0]])     # two rows: unpacking runs


def _check_unpacked_values(name, first, second):
    expected = getattr(np, name)(PAIR_DATA, 1)
    np.testing.assert_array_equal([np.ravel(first.data)[0], np.ravel(second.data)[0]],
                                  expected)


def test_unpacking_numpys_values_as_torchs_pair_warns():
    """Each line unpacks NumPy's two values where PyTorch's call gives (values,
    indices): the warning is raised at that line, naming the function (the unpacking
    is checked at the caller's line, so each call is written out)."""
    x = ad.tensor(PAIR_DATA)
    pattern = r"{0}\(x, axis\) is NumPy's {0}"
    with pytest.warns(ad.ConventionWarning, match=pattern.format("nanmedian")):
        first, second = ad.nanmedian(x, 1)
    _check_unpacked_values("nanmedian", first, second)
    with pytest.warns(ad.ConventionWarning, match=pattern.format("nanmedian")):
        first, second = ad.nanmedian(x, 1, True)
    _check_unpacked_values("nanmedian", first, second)
    with pytest.warns(ad.ConventionWarning, match=pattern.format("median")):
        first, second = ad.median(x, 1)
    _check_unpacked_values("median", first, second)
    with pytest.warns(ad.ConventionWarning, match=pattern.format("median")):
        first, second = ad.median(x, 1, True)
    _check_unpacked_values("median", first, second)
    with pytest.warns(ad.ConventionWarning, match=pattern.format("min")):
        first, second = ad.min(x, 1)
    _check_unpacked_values("min", first, second)
    with pytest.warns(ad.ConventionWarning, match=pattern.format("min")):
        first, second = ad.min(x, 1, True)
    _check_unpacked_values("min", first, second)


def test_numpys_values_not_unpacked_do_not_warn():
    x = ad.tensor(PAIR_DATA)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = ad.nanmedian(x, 1)
        kept = ad.nanmedian(x, 1, True)
    np.testing.assert_array_equal(values.data, [2.0, 5.0])
    assert kept.shape == (2, 1)


@pytest.mark.parametrize("call", [
    "mode(x, 1)", "mode(x, dim=1)", "kthvalue(x, 2, 1)", "kthvalue(x, 2, dim=1)",
    "topk(x, 2, 1)", "topk(x, 2, dim=1)", "cummax(x, 1)", "cummax(x, dim=1)",
    "cummin(x, 1)", "cummin(x, dim=1)", "max(x, dim=1)", "min(x, dim=1, keepdim=True)",
    "median(x, dim=1)", "nanmedian(x, dim=1, keepdim=True)"])
def test_pair_functions_return_torchs_named_pair(call):
    torch = pytest.importorskip("torch")
    ours = eval("ad." + call, {"ad": ad, "x": ad.tensor(PAIR_DATA)})
    theirs = eval("torch." + call, {"torch": torch, "x": torch.tensor(PAIR_DATA)})
    values, indices = ours                          # a pair: no warning to give
    np.testing.assert_array_equal(values.data, theirs.values.numpy())
    np.testing.assert_array_equal(indices.data, theirs.indices.numpy())
    np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())


# --- dtypes NumPy lacks ---------------------------------------------------------------

BFLOAT16_CALLS = {
    "zeros": lambda d: ad.zeros(3, dtype=d), "ones": lambda d: ad.ones(3, dtype=d),
    "full": lambda d: ad.full(3, 1.0, dtype=d), "eye": lambda d: ad.eye(2, dtype=d),
    "arange": lambda d: ad.arange(3, dtype=d),
    "linspace": lambda d: ad.linspace(0, 1, 3, dtype=d),
    "zeros_like": lambda d: ad.zeros_like(ad.ones(2), dtype=d),
    "full_like": lambda d: ad.full_like(ad.ones(2), 2, dtype=d),
    "rand": lambda d: ad.rand(3, dtype=d), "randn": lambda d: ad.randn(3, dtype=d),
    "randn_like": lambda d: ad.randn_like(ad.ones(2), dtype=d),
    "randint": lambda d: ad.randint(0, 3, (2,), dtype=d),
    "tensor": lambda d: ad.tensor([1.0], dtype=d),
    "new_zeros": lambda d: ad.ones(2).new_zeros(2, dtype=d),
    "new_tensor": lambda d: ad.ones(2).new_tensor([1.0], dtype=d),
    "astype": lambda d: ad.ones(2).astype(d), "to": lambda d: ad.ones(2).to(d),
    "Linear": lambda d: ad.nn.Linear(2, 2, dtype=d),
    "logspace": lambda d: ad.logspace(0, 1, 3, dtype=d),
}


@pytest.mark.parametrize("where", sorted(BFLOAT16_CALLS))
def test_bfloat16_raises_naming_the_function_and_what_to_use(where):
    with pytest.raises(TypeError, match=rf"^{where}: NumPy has no bfloat16 dtype.*float16"
                                        r".*float32"):
        BFLOAT16_CALLS[where]("bfloat16")


def test_torchs_bfloat16_dtype_raises_the_same_error():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"^zeros: NumPy has no bfloat16"):
        ad.zeros(3, dtype=torch.bfloat16)
    with pytest.raises(TypeError, match=r"^to: NumPy has no bfloat16.*half\(\)"):
        ad.ones(2).to(torch.bfloat16)


def test_bfloat16_method_and_name():
    with pytest.raises(TypeError, match=r"^bfloat16: NumPy has no bfloat16.*half\(\)"):
        ad.ones(2).bfloat16()
    assert not hasattr(ad, "bfloat16")
    with pytest.raises(AttributeError, match=r"'bfloat16': NumPy has no bfloat16 dtype; use "
                                             r"ad.float16 .* ad.float32"):
        ad.bfloat16
    with pytest.raises(AttributeError, match=r"'complex32'.*use ad.complex64"):
        ad.complex32


def test_other_dtype_errors_stay_numpys():
    with pytest.raises(TypeError, match=r"data type 'float7' not understood"):
        ad.zeros(3, dtype="float7")


@pytest.mark.parametrize("make", [
    lambda: ad.zeros(2, dtype=ad.complex64, requires_grad=True),
    lambda: ad.tensor([1.0], dtype=ad.cfloat, requires_grad=True),
    lambda: ad.ones(2, dtype=ad.cdouble).requires_grad_()])
def test_complex_dtypes_hold_values_and_can_require_grad(make):
    assert ad.zeros(2, dtype=ad.complex64).dtype == np.complex64
    z = make()
    assert z.requires_grad and z.dtype.kind == "c"


# --- legacy typed constructors -------------------------------------------------------

LEGACY = {"FloatTensor": np.float32, "DoubleTensor": np.float64, "LongTensor": np.int64,
          "IntTensor": np.int32, "BoolTensor": np.bool_}


@pytest.mark.parametrize("name", sorted(LEGACY))
def test_legacy_constructors_isinstance_and_issubclass_as_torch(name):
    """torch.FloatTensor is a type whose isinstance asks for the dtype, and which is
    no subclass of torch.Tensor (nor the other way round)."""
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(ad, name), getattr(torch, name)
    assert issubclass(ours, ad.Tensor) == issubclass(theirs, torch.Tensor)
    assert issubclass(ad.Tensor, ours) == issubclass(torch.Tensor, theirs)
    for dtype in LEGACY.values():
        values = [1, 0]
        torch_dtype = getattr(torch, np.dtype(dtype).name)
        assert (isinstance(ad.tensor(values, dtype=dtype), ours)
                == isinstance(torch.tensor(values, dtype=torch_dtype), theirs))
    made = ours([1, 0])
    assert isinstance(made, ours) and isinstance(made, ad.Tensor)
    assert type(made) is ad.Tensor and type(theirs([1, 0])) is torch.Tensor


def test_a_float32_parameter_is_a_float_tensor_as_in_torch():
    torch = pytest.importorskip("torch")
    ours = ad.nn.Parameter(ad.ones(2, dtype=np.float32))
    theirs = torch.nn.Parameter(torch.ones(2))
    assert isinstance(ours, ad.FloatTensor) == isinstance(theirs, torch.FloatTensor) is True
    assert isinstance(ours, ad.DoubleTensor) == isinstance(theirs, torch.DoubleTensor) is False
    # the library's default float dtype is float64 (PyTorch's float32)
    assert isinstance(ad.tensor([1.0]), ad.DoubleTensor)


# --- PyTorch's in-place methods on .grad / .data / buffers ------------------------------

def test_grad_and_data_stay_numpy_arrays_and_the_documented_spellings_work():
    """``.grad``/``.data``/buffers are ndarrays (the API's contract); ``.grad`` is a
    ``GradArray`` that answers PyTorch's ``p.grad.zero_()`` (tests/test_grad_habits.py),
    ``.data`` the plain array, so ``w.data.normal_()`` raises NumPy's AttributeError;
    the README's spellings do that work."""
    w = ad.nn.Parameter(ad.ones(3))
    (w * w).sum().backward()
    assert isinstance(w.grad, np.ndarray) and type(w.data) is np.ndarray
    assert w.grad.zero_() is w.grad
    np.testing.assert_array_equal(w.grad, 0.0)
    with pytest.raises(AttributeError, match="normal_"):
        w.data.normal_()
    w.grad = None
    (w * w).sum().backward()
    ad.optim.SGD([w], lr=0.1).zero_grad()
    assert w.grad is None
    with ad.no_grad():
        w.uniform_(-0.5, 0.5)
    assert np.all(np.abs(w.data) <= 0.5) and len(np.unique(w.data)) == 3
    ad.nn.init.normal_(w)
    assert len(np.unique(w.data)) == 3 and w.requires_grad
    bn = ad.nn.BatchNorm1d(3)
    bn(ad.tensor(R.normal(2.0, 3.0, (8, 3))))
    assert np.all(bn.running_mean != 0)
    bn.reset_running_stats()
    np.testing.assert_array_equal(bn.running_mean, 0.0)
    np.testing.assert_array_equal(bn.running_var, 1.0)
