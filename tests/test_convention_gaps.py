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


def test_numpys_positional_dtype_is_still_the_dtype():
    x = ad.tensor(X)
    assert ad.sum(x, 0, np.float32).dtype == np.float32
    assert ad.mean(x, 0, np.float32).dtype == np.float32
    assert ad.sum(x, 0, np.float32).shape == (3,)


@pytest.mark.parametrize("name", ["nansum", "nanmean", "median", "nanmedian"])
def test_keepdim_by_position_and_by_name_is_refused(name):
    with pytest.raises(TypeError, match=rf"{name}: got keepdim both by position"):
        getattr(ad, name)(ad.tensor(X), 1, True, keepdims=True)


def test_count_nonzero_positional_keepdim_raises_naming_the_keyword():
    """torch.count_nonzero takes no keepdim and NumPy's keepdims is keyword-only."""
    with pytest.raises(TypeError, match=r"count_nonzero.*keyword-only.*keepdims="):
        ad.count_nonzero(ad.tensor(X), 1, True)


@pytest.mark.parametrize("name", ["std", "var"])
def test_std_var_third_positional_still_raises(name):
    """PyTorch's third argument of std/var is unbiased, not keepdim: refused, naming
    the keywords, as before."""
    with pytest.raises(TypeError, match=r"PyTorch as unbiased.*by keyword"):
        getattr(ad, name)(ad.tensor(X), 1, True)


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
