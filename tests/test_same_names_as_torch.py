"""The names the library takes from PyTorch agree with PyTorch's: every public
``ad.<name>`` that is ``torch.<name>`` but not a NumPy name (those keep NumPy's
meaning, tests/test_same_names_as_numpy.py), with ``argsort`` (PyTorch's arguments),
and every Tensor method that is a ``torch.Tensor`` method (those that are ndarray
methods too keep NumPy's meaning where the two differ, as listed), called on
generated float64 inputs (1-D, 2-D, a size-1 dim, 0-d) with default arguments, a
second argument of a few kinds and ``dim=0/1/-1``, ``keepdim=True``: the same values
(to 1e-12), dtype and shape as PyTorch's, or both raise.

The meant differences are in ``ALLOWED`` with their reason; an entry that no call
needs any more fails."""

from __future__ import annotations

import inspect
import warnings
from typing import NamedTuple

import numpy as np
import pytest

import autodiff as ad

from same_names import check_all_cases

torch = pytest.importorskip("torch")

R = np.random.default_rng(1)
INPUTS = {
    "1d": R.uniform(0.1, 0.9, 5),
    "2d": R.uniform(0.1, 0.9, (3, 4)),
    "2d_col": R.uniform(0.1, 0.9, (4, 1)),
    "0d": np.array(0.3),
}
KEYWORDS = [{}, {"dim": 0}, {"dim": 1}, {"dim": -1}, {"keepdim": True},
            {"dim": 0, "keepdim": True}, {"dim": -1, "keepdim": True}]
SECONDS = ["none", "float", 1, 0, -1]

#: not compared: random draws, context managers and functions of functions,
#: file and process state
NOT_COMPARED = {
    "manual_seed", "seed", "initial_seed", "save", "load", "empty", "empty_like",
    "new_empty", "rand", "randn", "rand_like", "randn_like", "randint", "randint_like",
    "randperm", "bernoulli", "normal", "poisson", "multinomial", "binomial", "svd_lowrank",
    "pca_lowrank", "set_printoptions",
    "set_grad_enabled", "vmap", "compile", "register_hook", "backward", "numpy",
    "data_ptr", "const_data_ptr", "to_dlpack", "is_vulkan_available", "storage",
    "untyped_storage", "pin_memory", "cuda", "cpu", "to",
    "exponential", "uniform", "cauchy", "log_normal", "geometric", "random",
    "get_default_dtype", "set_default_dtype", "is_grad_enabled", "type", "element_size",
}


class Case(NamedTuple):
    input: str
    keywords: dict
    second: object

    def arguments(self):
        x = INPUTS[self.input]
        if self.second == "none":
            return (x,)
        if self.second == "float":
            return (x, (x[::-1] + 0.05) if x.ndim else x + 0.05)
        return (x, self.second)


def _is(input=None, keywords=None, second=None):
    def matches(case: Case) -> bool:
        return ((input is None or case.input in input.split())
                and (keywords is None or all(case.keywords.get(k, object()) == v
                                             for k, v in keywords.items()))
                and (second is None or case.second in second))
    return matches


ANY = _is()

#: (kind, name) -> (why the difference is meant, which cases it covers)
ALLOWED = {
    ("method", "broadcast_to"): ("NumPy's broadcast_to: -1 in the shape raises", _is(
        second=[-1])),
    ("method", "cross"): ("without dim, PyTorch takes the first dim of size 3 and NumPy "
                          "the last: raises, asking for dim=", _is(keywords={})),
    ("method", "topk"): ("topk(0) of a 0-d tensor raises, asking for k=1",
                         _is(input="0d")),
    ("function", "topk"): ("as the method", _is(input="0d")),
    ("method", "diff"): ("diff(n=0) along a dim the tensor lacks raises",
                         _is(input="1d", keywords={"dim": 1})),
    # Tensor methods that are ndarray methods too: NumPy's meaning where PyTorch's
    # differs, or a clear error where the call does not say which (README)
    ("method", "max"): ("max(0) is NumPy's axis (values) and PyTorch's dim ((values, "
                        "indices)), max(other) PyTorch's maximum: raises, saying what to "
                        "write", _is(second=["float", 0, -1, 1])),
    ("method", "min"): ("as max", _is(second=["float", 0, -1, 1])),
    ("method", "nonzero"): ("NumPy's tuple or PyTorch's (n, ndim) array: as_tuple= is "
                            "required", ANY),
    ("method", "repeat"): ("repeat(n) repeats entries in NumPy and tiles in PyTorch: "
                           "raises where both read the arguments", ANY),
    ("method", "sort"): ("NumPy sorts in place, PyTorch returns (values, indices): raises "
                         "unless dim=/axis=/descending= say which", ANY),
    ("method", "squeeze"): ("squeeze of an axis of size > 1 raises (NumPy's error; "
                            "PyTorch does nothing)", ANY),
    ("function", "squeeze_copy"): ("as squeeze", ANY),
    ("method", "resize"): ("ndarray.resize: in place, returning None", _is(input="0d")),
    ("method", "std"): ("NumPy's ddof=0 default; with dim= and no correction= it warns, "
                        "ad.ConventionWarning (README)", ANY),
    ("method", "var"): ("as std", ANY),
    ("function", "adaptive_avg_pool1d"): ("output_size=0 raises, as F.adaptive_avg_pool1d "
                                          "(PyTorch returns an empty tensor)",
                                          _is(second=[0])),
    ("function", "adaptive_max_pool1d"): ("as adaptive_avg_pool1d", _is(second=[0])),
    ("function", "hinge_embedding_loss"): ("a target other than 1 / -1 raises, as "
                                           "F.hinge_embedding_loss", _is(second=["float"])),
    ("function", "range"): ("the library's default dtype is float64 (PyTorch's float32)",
                            ANY),
    ("function", "scalar_tensor"): ("as range: the default dtype", _is(input="0d")),
    ("method", "histogram"): ("bin edges that do not increase raise (PyTorch's result is "
                              "undefined)", _is(second=["float"])),
    ("method", "new"): ("the legacy constructor raises, naming new_tensor / new_empty", ANY),
    ("method", "polygamma"): ("PyTorch's trigamma is accurate to ~1e-9 here, ours to "
                              "1e-16 (mpmath): compared to 1e-8 below", _is(second=[1])),
}

SHARED_FUNCTIONS = sorted(
    name for name in dir(ad)
    if not name.startswith("_") and not name.endswith("_") and name not in NOT_COMPARED
    and callable(getattr(ad, name)) and not inspect.isclass(getattr(ad, name))
    and callable(getattr(torch, name, None)) and not inspect.isclass(getattr(torch, name))
    and (not hasattr(np, name) or name == "argsort"))
SHARED_METHODS = sorted(
    name for name in dir(ad.Tensor)
    if not name.startswith("_") and not name.endswith("_") and name not in NOT_COMPARED
    and hasattr(ad.Tensor, name)        # (not the sparse names, which only say they lack)
    and callable(getattr(torch.Tensor, name, None)))


def _plain(result):
    if isinstance(result, ad.Tensor):
        return "array", np.asarray(result.data)
    if isinstance(result, torch.Tensor):
        return "array", result.detach().numpy()
    if isinstance(result, (tuple, list)):
        return "sequence", [_plain(r) for r in result]
    if isinstance(result, (np.ndarray, np.generic, bool, int, float)):
        return "array", np.asarray(result)
    return "object", result


def difference(ours, torchs, rtol=1e-12) -> str | None:
    (kind, value), (torch_kind, torch_value) = ours, torchs
    if kind == "sequence" or torch_kind == "sequence":
        if kind != torch_kind or len(value) != len(torch_value):
            return f"structure: {kind} vs PyTorch's {torch_kind}"
        return next((d for d in (difference(a, b, rtol) for a, b in zip(value, torch_value))
                     if d), None)
    if kind == "object" or torch_kind == "object":
        return None if str(value) == str(torch_value) else f"{value!r} vs {torch_value!r}"
    if value.shape != torch_value.shape:
        return f"shape {value.shape} vs PyTorch's {torch_value.shape}"
    if value.dtype != torch_value.dtype:
        return f"dtype {value.dtype} vs PyTorch's {torch_value.dtype}"
    if value.dtype.kind in "fc":
        agree = np.allclose(value, torch_value, rtol=rtol, atol=rtol, equal_nan=True)
    else:
        agree = np.array_equal(value, torch_value)
    return None if agree else "values"


def compare(kind: str, name: str, case: Case, rtol=1e-12) -> str | None:
    """The difference of ``ad``'s call from PyTorch's for one case; None when they
    agree or PyTorch's own call raises."""
    arguments = case.arguments()

    def torch_of(a):
        return torch.from_numpy(a.copy()) if isinstance(a, np.ndarray) else a

    def ours_of(a):
        return ad.tensor(a.copy()) if isinstance(a, np.ndarray) else a

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if kind == "method":
                expected = getattr(torch_of(arguments[0]), name)(
                    *map(torch_of, arguments[1:]), **case.keywords)
            else:
                expected = getattr(torch, name)(*map(torch_of, arguments), **case.keywords)
            expected = _plain(expected)
        except Exception:
            return None
        try:
            with np.errstate(all="ignore"):
                if kind == "method":
                    ours = getattr(ours_of(arguments[0]), name)(
                        *map(ours_of, arguments[1:]), **case.keywords)
                else:
                    ours = getattr(ad, name)(*map(ours_of, arguments), **case.keywords)
        except Exception as error:
            return f"raises {type(error).__name__}: {str(error)[:200]}"
    return difference(_plain(ours), expected, rtol)


CASES = [Case(i, k, s) for i in INPUTS for k in KEYWORDS for s in SECONDS]


def _check_all_cases(kind: str, name: str):
    check_all_cases(kind, name, CASES, compare, ALLOWED, "PyTorch")


@pytest.mark.parametrize("name", SHARED_FUNCTIONS)
def test_function_gives_torchs_result(name):
    _check_all_cases("function", name)


@pytest.mark.parametrize("name", SHARED_METHODS)
def test_method_gives_torchs_result(name):
    _check_all_cases("method", name)


def test_the_comparison_covers_the_torch_names():
    assert len(SHARED_FUNCTIONS) >= 40 and len(SHARED_METHODS) >= 80
    for kind, name in ALLOWED:
        assert name in (SHARED_FUNCTIONS if kind == "function" else SHARED_METHODS), name


def test_polygamma_agrees_to_pytorchs_accuracy():
    for case in CASES:
        if case.second == 1:
            assert compare("method", "polygamma", case, rtol=1e-8) is None, case


def test_histc_bins_as_pytorch():
    """PyTorch's bin floor((x - min) * bins / (max - min)), in the data's dtype: a value
    on a rounded bin edge (a constant tensor's, at the middle of [x - 1, x + 1]) and
    min == max other than 0 (the data's range)."""
    rng = np.random.default_rng(2)
    for trial in range(400):
        dtype = (np.float64, np.float32)[trial % 2]
        x = (rng.integers(-20, 20, int(rng.integers(1, 30)))
             / rng.choice([1, 3, 7, 10])).astype(dtype)
        if trial % 5 == 0:
            x[:] = x[0]
        bins = int(rng.integers(1, 120))
        low, high = (0, 0) if trial % 3 else sorted(rng.integers(-3, 3, 2) / 3)
        ours = ad.tensor(x).histc(bins, low, high).data
        theirs = torch.from_numpy(x).histc(bins, low, high).numpy()
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs, err_msg=f"{x} {bins} {low} {high}")


def test_dim_and_keepdim_with_a_positional_axis():
    x = INPUTS["2d"]
    for name in ("all", "any", "amax", "amin", "argmax", "argmin"):
        for dim in (0, 1, -1):
            ours = getattr(ad, name)(ad.tensor(x), dim, keepdim=True)
            theirs = getattr(torch, name)(torch.from_numpy(x), dim, keepdim=True)
            assert difference(_plain(ours), _plain(theirs)) is None, (name, dim)
    for dim in (0, 1, -1):
        ours = ad.cumprod(ad.tensor(x), dim=dim)
        assert difference(_plain(ours), _plain(torch.cumprod(torch.from_numpy(x), dim=dim))) \
            is None
    assert ad.gradcheck(lambda t: ad.cumprod(t, dim=1).sum(), [x])


def test_logit_with_eps_above_a_half_as_pytorch():
    """[eps, 1 - eps] is empty: PyTorch puts what is below eps at eps, the rest at
    1 - eps (a clip would give the opposite end); values and gradients agree."""
    x = np.array([0.1, 0.3, 0.5, 0.65, 0.9])
    for eps in (0.2, 0.5, 0.6, 1.0):
        ours = ad.tensor(x, requires_grad=True)
        theirs = torch.tensor(x, requires_grad=True)
        with np.errstate(all="ignore"):
            value = ours.logit(eps)
            value.sum().backward()
        expected = theirs.logit(eps)
        expected.sum().backward()
        np.testing.assert_allclose(value.data, expected.detach().numpy(), rtol=1e-14)
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-14)
