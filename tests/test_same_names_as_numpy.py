"""Every public ``ad.<name>`` that is also ``np.<name>`` (and every Tensor method that
is also an ndarray method) agrees with NumPy's: the parameters both signatures name
have the same position and default, and calls on generated float64 inputs (1-D, 2-D
with and without a size-1 dim, 0-d) with default arguments, a second argument of a
few kinds and the common keywords (``axis=0/1/-1/None``, ``keepdims``) give the same
values (to 1e-12), dtype and shape, or both raise.

A difference the library means (PyTorch's meaning of a shared name, a clear error
where NumPy would do something a Tensor cannot) is in ``ALLOWED`` with its reason;
an entry that no call needs any more fails, so the list stays exact."""

from __future__ import annotations

import inspect
import warnings
from typing import NamedTuple

import numpy as np
import pytest

import autodiff as ad

from same_names import check_all_cases

R = np.random.default_rng(0)
INPUTS = {
    "1d": R.uniform(0.1, 0.9, 5),
    "2d": R.uniform(0.1, 0.9, (3, 4)),
    "2d_col": R.uniform(0.1, 0.9, (4, 1)),
    "2d_row": R.uniform(0.1, 0.9, (1, 3)),
    "0d": np.array(0.3),
}
KEYWORDS = [{}, {"axis": 0}, {"axis": 1}, {"axis": -1}, {"axis": None},
            {"keepdims": True}, {"axis": 0, "keepdims": True},
            {"axis": -1, "keepdims": True}]
#: second positional arguments: none, another float array like the first, ints, an
#: index array, a shape, a list
SECONDS = ["none", "float", 1, 2, 0, -1, "index", "shape", "list"]


class Case(NamedTuple):
    input: str
    keywords: dict
    second: object

    def arguments(self):
        x = INPUTS[self.input]
        second = {"none": None, "float": (x[::-1] + 0.05) if x.ndim else x + 0.05,
                  "index": np.array([0, 2]), "shape": (-1,), "list": [1, 2]}.get(
                      self.second, self.second) if isinstance(self.second, str) else self.second
        return (x,) if self.second == "none" else (x, second)


def _is(input=None, keywords=None, second=None):
    """A case filter: each given field must match (``keywords``: those items)."""
    def matches(case: Case) -> bool:
        return ((input is None or case.input in input.split())
                and (keywords is None or all(case.keywords.get(k, object()) == v
                                             for k, v in keywords.items()))
                and (second is None or any(case.second is s or case.second == s
                                           and type(case.second) is type(s)
                                           for s in second)))
    return matches


ANY = _is()

#: (kind, name) -> (why the difference is meant, which cases it covers)
ALLOWED = {
    ("function", "empty_like"): ("its values are whatever the memory held, in both", ANY),
    ("function", "full_like"): (
        "a Tensor fill_value of another shape raises, naming ad.broadcast_to", _is(
            second=["float"])),
    ("function", "meshgrid"): (
        "NumPy's default indexing is 'xy' and PyTorch's 'ij': indexing= is required", ANY),
    ("function", "tril_indices"): ("PyTorch's (row, col, offset) giving a 2 x N tensor "
                                   "(ALLOWED_SIGNATURES)", ANY),
    ("function", "triu_indices"): ("as tril_indices", ANY),
    ("function", "polyadd"): ("a 2-D coefficient array raises (NumPy reads it as "
                              "several polynomials by accident)", _is(input="2d 2d_col 2d_row")),
    ("function", "polysub"): ("as polyadd", _is(input="2d 2d_col 2d_row")),
    ("function", "polyder"): ("as polyadd", _is(input="2d 2d_col 2d_row")),
    ("function", "polyint"): ("as polyadd; a 0-d array as m= raises",
                              _is(input="2d 2d_col 2d_row 0d")),
    ("function", "polydiv"): ("as polyadd", _is(input="2d 2d_col 2d_row")),
    ("function", "argsort"): ("torch.argsort's: a 0-d input gives a 0-d index (NumPy's "
                              "a 1-D one) unless axis= is given", _is(input="0d")),
    ("function", "repeat"): ("a 0-d tensor has no axis 0 (NumPy repeats it as 1-D)",
                             _is(input="0d")),
    ("function", "take"): ("float indices raise, saying to convert them (NumPy casts)",
                           _is(second=["float"])),
    ("function", "copyto"): ("copyto into a 0-d Tensor of a sequence raises",
                             _is(input="0d")),
    ("function", "unwrap"): ("discont given as a Tensor raises (a constant)",
                             _is(second=["float"])),
    ("function", "fix"): ("an out array raises (the result is a new Tensor)",
                          _is(second=["float"])),
    ("method", "nonzero"): ("NumPy's tuple or PyTorch's (n, ndim) array: as_tuple= is "
                            "required", ANY),
    ("method", "cumsum"): ("cumsum(0) of a 0-d tensor is PyTorch's 0-d result, the dim "
                           "given positionally (zero_dim_dims.py); axis=0 and no argument "
                           "are NumPy's (1,)", _is(input="0d", second=[0, -1])),
    ("method", "cumprod"): ("as cumsum", _is(input="0d", second=[0, -1])),
    ("method", "argsort"): ("as cumsum: argsort(0) of a 0-d tensor is a 0-d index, and "
                            "so is argsort() (PyTorch's call); axis= or kind= give "
                            "NumPy's (1,)", _is(input="0d", second=[0, -1, "none"])),
    ("method", "sort"): ("NumPy sorts in place, PyTorch returns (values, indices): "
                         "raises unless dim=/axis=/descending= say which", ANY),
    ("method", "max"): ("max(0) is NumPy's axis and PyTorch's (values, indices): raises, "
                        "saying to pass axis= or dim=", _is(second=[0, -1, 1, 2, "shape"])),
    ("method", "min"): ("as max", _is(second=[0, -1, 1, 2, "shape"])),
    ("method", "repeat"): ("repeat(n) tiles in PyTorch and repeats entries in NumPy: "
                           "raises where both read the arguments", ANY),
    ("method", "view"): ("view() with no shape raises (PyTorch needs one; NumPy's is a "
                         "same-shape view); view(dtype) raises for a float", ANY),
    ("method", "setflags"): ("the library owns the writeable flags: raises", ANY),
    ("method", "getfield"): ("reading bytes as another dtype has no gradient: raises", ANY),
    ("method", "take"): ("as the function", _is(second=["float"])),
    ("method", "dumps"): ("dumps() takes no arguments", ANY),
    ("method", "conj"): ("an out array raises (the result is a new Tensor)",
                         _is(second=["float"])),
    ("method", "conjugate"): ("as conj", _is(second=["float"])),
}
#: ufuncs refuse an out array passed by position, with a clear error
for _name in ("absolute acos acosh asin asinh atan atanh degrees frexp modf positive "
              "radians rint spacing conj conjugate").split():
    ALLOWED[("function", _name)] = ("an out array raises (the result is a new Tensor)",
                                    _is(second=["float"]))

#: signatures whose shared parameters differ by position or default, on purpose
ALLOWED_SIGNATURES = {
    "allclose": "PyTorch's parameter names (input, other), same positions and defaults",
    "isclose": "as allclose",
    "argsort": "torch.argsort's (input, dim, descending, stable); axis= and kind= by name, "
               "and a string in descending='s place raises",
    "einsum": "optimize='auto' (the values agree; NumPy's False is slower)",
    "unique": "equal_nan= not given merges NaNs as NumPy's True does, and warns (since "
              "torch.unique keeps each NaN); equal_nan=True is NumPy's, quietly",
    "select": "choicelist=None: PyTorch's select(input, dim=, index=) by keyword gives "
              "none (NumPy's call without one raises as before, a TypeError)",
    "meshgrid": "indexing= is required (NumPy's 'xy' and PyTorch's 'ij' differ)",
    "eye": "dtype=None is float64, as NumPy's float; PyTorch's requires_grad= takes "
           "order='s place and refuses a string",
    "full": "requires_grad= takes order='s place and refuses a string",
    "full_like": "as full",
    "ones_like": "as full",
    "zeros_like": "as full",
    "linspace": "dtype= takes retstep='s place and refuses a bool, naming retstep=",
    "load": "PyTorch's load(path, map_location=) of what ad.save wrote, not an .npy file",
    "save": "PyTorch's save(obj, path); a path first and an object second raises",
    "set_printoptions": "PyTorch's (profile=, sci_mode= after linewidth), for Tensors' "
                        "printing",
    "tril_indices": "PyTorch's (row, col, offset): a 2 x N tensor (NumPy's (n, k, m) "
                    "gives a tuple); a call without col raises, naming np.tril_indices",
    "triu_indices": "as tril_indices",
    "matvec": "parameters named matrix, vector (NumPy's x1, x2)",
    "vecmat": "parameters named vector, matrix (NumPy's x1, x2)",
}

SHARED_FUNCTIONS = sorted(
    name for name in dir(ad) if not name.startswith("_")
    and callable(getattr(ad, name)) and callable(getattr(np, name, None))
    and not inspect.isclass(getattr(np, name)))
SHARED_METHODS = sorted(
    name for name in dir(np.ndarray) if not name.startswith("_")
    and callable(getattr(np.ndarray, name)) and hasattr(ad.Tensor, name))


def _plain(result):
    """A result as ("tensor"/"array"/"sequence"/"object", value) with arrays for Tensors."""
    if isinstance(result, ad.Tensor):
        return "array", np.asarray(result.data)
    if isinstance(result, (tuple, list)):
        return "sequence", [_plain(r) for r in result]
    if isinstance(result, (np.ndarray, np.generic)):
        return "array", np.asarray(result)
    return "object", result


def difference(ours, numpys) -> str | None:
    """What differs between two ``_plain`` results (None: they agree)."""
    (kind, value), (numpy_kind, numpy_value) = ours, numpys
    if kind == "sequence" or numpy_kind == "sequence":
        if kind != numpy_kind or len(value) != len(numpy_value):
            return f"structure: {kind} vs NumPy's {numpy_kind}"
        return next((d for d in map(difference, value, numpy_value) if d), None)
    if kind == "object" or numpy_kind == "object":
        return None if repr(value) == repr(numpy_value) else f"{value!r} vs {numpy_value!r}"
    if value.shape != numpy_value.shape:
        return f"shape {value.shape} vs NumPy's {numpy_value.shape}"
    if value.dtype != numpy_value.dtype:
        return f"dtype {value.dtype} vs NumPy's {numpy_value.dtype}"
    if value.dtype.kind in "fc":
        agree = np.allclose(value, numpy_value, rtol=1e-12, atol=1e-12, equal_nan=True)
    else:
        agree = np.array_equal(value, numpy_value)
    return None if agree else "values"


def _as_tensor(a):
    return ad.tensor(a.copy()) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a


def _copied(a):
    return a.copy() if isinstance(a, np.ndarray) else a


def compare(kind: str, name: str, case: Case) -> str | None:
    """The difference of ``ad``'s call from NumPy's for one case; None when they agree
    or NumPy's own call raises (the case does not apply)."""
    arguments = case.arguments()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with np.errstate(all="ignore"):
                if kind == "method":
                    expected = getattr(arguments[0].copy(), name)(
                        *map(_copied, arguments[1:]), **case.keywords)
                else:
                    expected = getattr(np, name)(*map(_copied, arguments), **case.keywords)
        except Exception:
            return None
        try:
            if kind == "method":
                ours = getattr(_as_tensor(arguments[0]), name)(
                    *map(_as_tensor, arguments[1:]), **case.keywords)
            else:
                ours = getattr(ad, name)(*map(_as_tensor, arguments), **case.keywords)
        except Exception as error:
            return f"raises {type(error).__name__}: {str(error)[:200]}"
    return difference(_plain(ours), _plain(expected))


CASES = [Case(i, k, s) for i in INPUTS for k in KEYWORDS for s in SECONDS]


def _check_all_cases(kind: str, name: str):
    check_all_cases(kind, name, CASES, compare, ALLOWED, "NumPy")


@pytest.mark.parametrize("name", SHARED_FUNCTIONS)
def test_function_gives_numpys_result(name):
    _check_all_cases("function", name)


@pytest.mark.parametrize("name", SHARED_METHODS)
def test_method_gives_ndarrays_result(name):
    _check_all_cases("method", name)


def test_allowed_entries_name_shared_names():
    for kind, name in ALLOWED:
        assert name in (SHARED_FUNCTIONS if kind == "function" else SHARED_METHODS), name
    assert set(ALLOWED_SIGNATURES) <= set(SHARED_FUNCTIONS)


def _named_parameters(function, ours=True):
    try:       # (ad's functions made from NumPy's have its __wrapped__: not followed)
        signature = inspect.signature(function, follow_wrapped=not ours)
    except (TypeError, ValueError):
        return None
    return [p for p in signature.parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)] or None


def _same_default(ours, numpys) -> bool:
    """Equal defaults, of one type (0 is not False), None and False counted the same."""
    if ours is None or ours is False:
        return numpys is None or numpys is False
    return isinstance(ours, bool) == isinstance(numpys, bool) and ours == numpys


def signature_differences(ours, numpys) -> list[str]:
    """Parameters named by both whose defaults differ (NumPy's ``_NoValue`` is not
    compared), and positional parameters after the first that are not NumPy's."""
    found = []
    numpy_by_name = {p.name: p for p in numpys}
    for parameter in ours:
        theirs = numpy_by_name.get(parameter.name)
        if theirs is None or theirs.default is np._NoValue:
            continue
        if not (_same_default(parameter.default, theirs.default)):
            found.append(f"{parameter.name}={parameter.default!r}, NumPy's "
                         f"{theirs.default!r}")
    positional = [p.name for p in ours if p.kind in (p.POSITIONAL_ONLY,
                                                       p.POSITIONAL_OR_KEYWORD)]
    numpy_positional = [p.name for p in numpys if p.kind in (p.POSITIONAL_ONLY,
                                                               p.POSITIONAL_OR_KEYWORD)]
    found += [f"argument {i} is {a}, NumPy's {b}"
              for i, (a, b) in enumerate(zip(positional, numpy_positional)) if i and a != b]
    return found


def test_signatures_agree_with_numpys():
    compared, unexplained = 0, {}
    for name in SHARED_FUNCTIONS:
        ours = _named_parameters(getattr(ad, name))
        numpys = _named_parameters(getattr(np, name), ours=False)
        if ours is None or numpys is None:       # (*args, **kwargs) or no signature
            continue
        compared += 1
        found = signature_differences(ours, numpys)
        if bool(found) != (name in ALLOWED_SIGNATURES):
            unexplained[name] = found or "agrees now: remove it from ALLOWED_SIGNATURES"
    assert compared >= 30
    assert not unexplained, unexplained


def test_signature_check_sees_a_changed_default():
    def take(a, indices, axis=0):
        """(the default ad.take had, where np.take's is None)"""
    assert signature_differences(_named_parameters(take),
                                 _named_parameters(np.take, ours=False)) == [
        "axis=0, NumPy's None"]


def test_comparison_sees_a_changed_default():
    def flattening_take(x, indices, axis=0):
        return np.take(x, indices, axis=axis)
    case = Case("2d", {}, "index")
    x, indices = case.arguments()
    assert difference(_plain(flattening_take(x, indices)),
                      _plain(np.take(x, indices))).startswith("shape")


def test_numpys_argument_order_where_ours_differs_raises(tmp_path):
    with pytest.raises(TypeError, match="retstep"):
        ad.linspace(0.0, 1.0, 5, True, True)        # np.linspace's retstep=True
    values, step = ad.linspace(0.0, 1.0, 5, retstep=True)
    np.testing.assert_array_equal(values.data, np.linspace(0.0, 1.0, 5))
    assert step == 0.25
    with pytest.raises(TypeError, match=r"ad.save\(obj, path\)"):
        ad.save(str(tmp_path / "x.npy"), ad.tensor([1.0]))     # np.save's (file, arr)
    with pytest.raises(TypeError, match="requires_grad must be True or False"):
        ad.eye(2, 2, 0, float, "C")                  # np.eye's order='C'
    with pytest.raises(TypeError, match="descending must be True or False"):
        ad.argsort(ad.tensor([2.0, 1.0]), -1, "stable")   # np.argsort's kind


def test_argsort_takes_numpys_axis_and_kind():
    x = INPUTS["2d"]
    for keywords in ({}, {"axis": 0}, {"axis": None}, {"axis": 1, "kind": "stable"}):
        np.testing.assert_array_equal(ad.argsort(ad.tensor(x), **keywords).data,
                                      np.argsort(x, **keywords))
    np.testing.assert_array_equal(ad.argsort(ad.tensor(x), None).data, np.argsort(x, None))
    with pytest.raises(TypeError, match="both axis=1 and dim=0"):
        ad.argsort(ad.tensor(x), 0, axis=1)


def test_median_unpacked_as_pytorchs_pair_warns_at_the_line():
    """``ad.median(x, 1)`` is NumPy's values; PyTorch's ``torch.median(x, 1)`` is
    ``(values, indices)``, so unpacking two rows' medians into two names warns."""
    x = ad.tensor(np.arange(8.0).reshape(2, 4))
    with pytest.warns(ad.ConventionWarning, match=r"x.median\(dim=1\)") as caught:
        first, second = ad.median(x, 1)
    assert caught[0].filename == __file__
    np.testing.assert_array_equal([first.item(), second.item()], np.median(x.data, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        medians = ad.median(x, 1)                # one name: no warning
        np.testing.assert_array_equal(medians.data, [1.5, 5.5])
        values, indices = x.median(dim=1)        # PyTorch's lower median and its index
        np.testing.assert_array_equal(values.data, [1.0, 5.0])
        np.testing.assert_array_equal(indices.data, [1, 1])


def test_sort_and_keepdims_max_unpacked_as_pytorchs_pair_warn():
    """``ad.sort(x)`` is NumPy's sorted copy and ``ad.max(x, 1, True)`` the values with
    the axis kept; PyTorch's give ``(values, indices)``: unpacking two rows warns."""
    x = ad.tensor(np.arange(8.0).reshape(2, 4)[:, ::-1])
    with pytest.warns(ad.ConventionWarning, match=r"ad.sort\(x, dim=-1\)"):
        first, second = ad.sort(x)
    np.testing.assert_array_equal(first.data, np.sort(x.data)[0])
    with pytest.warns(ad.ConventionWarning, match=r"max\(x, dim=1\)"):
        first, second = ad.max(x, 1, True)
    assert first.shape == (1,)                           # a row of the (2, 1) values
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        low, high = ad.sort(ad.tensor([2.0, 1.0]))      # NumPy's idiom for a pair
        assert (low.item(), high.item()) == (1.0, 2.0)
        values, indices = ad.sort(x, dim=-1)             # PyTorch's pair
        np.testing.assert_array_equal(indices.data, [[3, 2, 1, 0]] * 2)


@pytest.mark.parametrize("name", ["all", "any", "amax", "amin", "argmax", "argmin"])
def test_pytorchs_positional_keepdim_keeps_the_dim(name):
    """``torch.amax(x, 1, True)`` keeps the dim; NumPy's third argument is ``out=``,
    which is never a bool, so a bool there is PyTorch's keepdim."""
    x = ad.tensor(INPUTS["2d"])
    expected = getattr(np, name)(INPUTS["2d"], 1, keepdims=True)
    for kept in (getattr(ad, name)(x, 1, True), getattr(ad, name)(x, 1, keepdim=True)):
        np.testing.assert_array_equal(kept.data, expected)
    np.testing.assert_array_equal(getattr(ad, name)(x, 1, False).data,
                                  getattr(np, name)(INPUTS["2d"], 1))
