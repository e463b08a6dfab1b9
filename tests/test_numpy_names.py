"""``ad.<name>`` for every NumPy function that runs on Tensors (autodiff/numpy_names.py):
each exists (or is excluded with a reason), gives NumPy's values on Tensors and on
plain arrays, and records gradients where NumPy's call on a Tensor does."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import numpy_names
from autodiff.ops.numpy_dispatch import NO_GRADIENT_FUNCTIONS

R = np.random.default_rng(0)
X = R.normal(size=(3, 4))                 # generic values
Y = R.normal(size=(3, 4))
U = R.uniform(-0.9, 0.9, size=(3, 4))     # inside (-1, 1)
P = R.uniform(0.5, 2.0, size=(3, 4))      # positive
V = R.normal(size=4)
S = R.normal(size=(3, 3))                 # square
SORTED = np.array([-1.0, 0.0, 0.5, 2.0])


def _samples():
    """name -> (make, float inputs): ``make(*inputs)`` gives the call's (args, kwargs);
    the float inputs are passed as Tensors, as arrays, and perturbed by gradcheck."""
    samples = {}

    def add(names, make, *inputs):
        for name in names.split():
            samples[name] = (make, inputs)

    add("absolute conjugate degrees radians positive rint spacing asinh atan modf frexp "
        "iscomplex iscomplexobj isreal isrealobj ndim shape size flatnonzero "
        "argwhere count_nonzero all any unique_all unique_counts unique_inverse "
        "unique_values empty_like nancumsum nancumprod nanprod nanstd nanvar",
        lambda x: ((x,), {}), X)
    add("acos asin atanh", lambda u: ((u,), {}), U)
    add("acosh", lambda p: ((p + 1.0,), {}), P)
    add("amax amin argmax argmin nanargmax nanargmin cumulative_prod",
        lambda x: ((x,), {"axis": 1}), X)
    add("argpartition", lambda x: ((x, 1), {"axis": -1}), X)
    add("around", lambda x: ((x, 1), {}), X)
    add("array_equal atan2 vdot", lambda x, y: ((x, y), {}), X, Y)
    add("divmod remainder true_divide", lambda x, p: ((x, p), {}), X, P)
    add("pow", lambda p, q: ((p, q), {}), P, P[::-1])
    add("apply_along_axis", lambda x: ((lambda row: row * row[0], 1, x), {}), X)
    add("bincount", lambda w: ((np.array([0, 1, 1, 3]),), {"weights": w}), V)
    add("bitwise_invert bitwise_not", lambda: ((np.array([0, 5, -3]),), {}))
    add("block", lambda x, s: (([[x, s]],), {}), X, S)
    add("broadcast_arrays", lambda x, v: ((x[:, :1], v), {}), X, V)
    add("concat", lambda x, s: (([x, s],), {"axis": 1}), X, S)
    add("convolve correlate", lambda v, w: ((v, w), {}), V, V[:3])
    add("delete", lambda x: ((x, 1, 1), {}), X)
    add("insert", lambda v: ((v, 1, 5.0), {}), V)
    add("diag_indices_from tril_indices_from triu_indices_from", lambda s: ((s,), {}), S)
    add("diagflat ediff1d unwrap trim_zeros", lambda v: ((v,), {}), V)
    add("digitize", lambda v: ((v, SORTED), {}), V)
    add("einsum_path", lambda x, s: (("ij,jk->ik", s, x), {}), X, S)
    add("geomspace", lambda p: ((p[0, 0], 8.0, 4), {}), P)
    add("histogram histogram_bin_edges", lambda v: ((v,), {"bins": 3}), V)
    add("histogram2d", lambda v, w: ((v, w), {"bins": 2}), V, V[::-1] * 2)
    add("histogramdd", lambda x: ((x.T,), {"bins": 2}), X)
    add("interp", lambda v, fp: ((v, SORTED, fp), {}), V, V * 3)
    add("isin", lambda x: ((x, X[0]), {}), X)
    add("isneginf isposinf", lambda: ((np.array([-np.inf, 0.0, np.inf]),), {}))
    add("ldexp", lambda x: ((x, np.array([1, -2, 3, 0])), {}), X)
    add("lexsort", lambda v, w: (((v, w),), {}), V.round(), V)
    add("permute_dims", lambda x: ((x.reshape(3, 2, 2), (2, 0, 1)), {}), X)
    add("piecewise", lambda v: ((v, [np.less(v, 0), np.greater_equal(v, 0)],
                                 [lambda a: -a, lambda a: a * a]), {}), V)
    add("polyadd polysub polymul", lambda a, b: ((a, b), {}), V[:3], V[1:])
    add("polyder polyint", lambda a: ((a,), {}), V)
    add("polyfit", lambda y: ((SORTED, y, 2), {}), V)
    add("polyval", lambda a, v: ((a, v), {}), V[:3], V)
    add("resize", lambda x: ((x, (2, 7)), {}), X)
    add("result_type", lambda x: ((x, np.float32), {}), X)
    add("vander", lambda v: ((v, 3), {}), V)
    add("linalg.cross", lambda x, y: ((x[:, :3], y[:, :3]), {}), X, Y)
    add("linalg.diagonal linalg.matrix_transpose linalg.trace linalg.matrix_rank",
        lambda x: ((x.reshape(2, 2, 3),), {}), X)
    add("linalg.matmul", lambda s, x: ((s, x), {}), S, X)
    add("linalg.tensordot", lambda s, x: ((s, x), {"axes": 1}), S, X)
    add("linalg.outer", lambda v, w: ((v, w), {}), V, V[:3])
    add("apply_over_axes", lambda x: ((np.sum, x, [0]), {}), X)
    add("array_equiv may_share_memory shares_memory nextafter", lambda x, y: ((x, y), {}), X, Y)
    add("can_cast", lambda x: ((x, np.float32), {}), X)
    add("common_type min_scalar_type sort_complex", lambda x: ((x,), {}), X)
    add("bitwise_count", lambda: ((np.array([3, 12, 7]),), {}))
    add("left_shift right_shift bitwise_left_shift bitwise_right_shift gcd lcm",
        lambda: ((np.array([3, 12, 7]), np.array([1, 2, 3])), {}))
    add("ix_", lambda: ((np.array([0, 2]), np.array([1])), {}))
    add("ravel_multi_index", lambda: (((np.array([0, 1]), np.array([2, 0])), (3, 4)), {}))
    add("unravel_index", lambda: ((np.array([5, 7]), (3, 4)), {}))
    add("packbits", lambda: ((np.array([1, 0, 1, 1], dtype=np.uint8),), {}))
    add("unpackbits", lambda: ((np.array([5], dtype=np.uint8),), {}))
    add("union1d setdiff1d setxor1d", lambda v, w: ((v, w), {}), V, V[:3] + 10.0)
    add("intersect1d", lambda v: ((v, V[1:3]), {}), V)
    add("poly", lambda v: ((v,), {}), V)
    add("roots", lambda p: ((p,), {}), np.poly([1.0, -0.5, 2.0]))   # real roots
    add("polydiv", lambda a, b: ((a, b), {}), V, P[0, :2])
    # the writers (values and gradients of their writes: tests/test_numpy_gaps.py)
    add("copyto", lambda x, y: ((x * 1.0, y), {}), X, Y)
    add("place", lambda x, y: ((x * 1.0, x > 0, y[0]), {}), X, Y)
    add("put", lambda x, v: ((x * 1.0, [0, 5], v[:2]), {}), X, V)
    add("putmask", lambda x, y: ((x * 1.0, x > 0, y), {}), X, Y)
    return samples


SAMPLES = _samples()
#: Results whose values NumPy leaves undefined: only shapes and dtypes are compared.
UNDEFINED_VALUES = {"empty_like"}


def _added(namespace, numpy_module, prefix):
    return {prefix + n for n in numpy_names.dispatched_names({}, numpy_module)
            if getattr(getattr(namespace, n, None), "__wrapped__", None)
            is getattr(numpy_module, n)}


ADDED = sorted(_added(ad, np, "") | _added(ad.linalg, np.linalg, "linalg."))


def _resolve(name):
    owner, numpy_owner = (ad.linalg, np.linalg) if name.startswith("linalg.") else (ad, np)
    short = name.split(".")[-1]
    return getattr(owner, short), getattr(numpy_owner, short)


def test_every_numpy_function_that_runs_on_tensors_has_an_ad_name():
    for namespace, numpy_module in ((ad, np), (ad.linalg, np.linalg)):
        missing = [n for n in numpy_names.dispatched_names(vars(namespace), numpy_module)]
        assert not missing, f"not in {namespace.__name__}: {missing}"
    from autodiff.ops.numpy_dispatch import NUMPY_FUNCTIONS
    for name, reason in numpy_names.EXCLUDED.items():
        assert not hasattr(ad, name) and reason
        assert getattr(np, name) in NUMPY_FUNCTIONS, f"{name} is excluded but not dispatched"


def test_every_added_name_has_a_sample_call_here():
    assert len(ADDED) > 100
    missing = sorted(set(ADDED) - set(SAMPLES))
    assert not missing, (f"ad names added from the dispatch tables without a sample call: "
                         f"{missing}; add one to _samples() in this file")
    assert not set(SAMPLES) - set(ADDED), "samples for names that are not added"


def test_existing_functions_keep_their_definition():
    assert ad.sum is ad.ops.reduce.sum and ad.max is ad.ops.reduce.max
    assert ad.linalg.norm is ad.ops.norms.norm


def _as_values(result):
    if isinstance(result, ad.Tensor):
        return result.data
    if isinstance(result, (tuple, list)):
        return [_as_values(r) for r in result]
    return result


def _kinds(result):
    if isinstance(result, (tuple, list)):
        return [_kinds(r) for r in result]
    return type(result).__name__ if isinstance(result, ad.Tensor) else "other"


def _assert_same(got, expected, name):
    got, expected = _as_values(got), _as_values(expected)
    if isinstance(expected, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(expected), name
        for g, e in zip(got, expected):
            _assert_same(g, e, name)
    elif name in UNDEFINED_VALUES:
        assert np.shape(got) == np.shape(expected) and np.result_type(got) == expected.dtype
    elif isinstance(expected, (np.ndarray, np.generic, float, int, bool)):
        assert np.shape(got) == np.shape(expected), name
        assert np.result_type(got) == np.result_type(expected), name
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12, err_msg=name)
    else:
        assert got == expected, name


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_values_equal_numpys_on_tensors_and_plain_arrays(name):
    function, numpy_function = _resolve(name)
    make, inputs = SAMPLES[name]
    expected = numpy_function(*make(*inputs)[0], **make(*inputs)[1])    # NumPy on arrays
    args, kwargs = make(*[ad.tensor(a) for a in inputs])
    on_tensors = function(*args, **kwargs)
    _assert_same(on_tensors, expected, name)
    _assert_same(on_tensors, numpy_function(*args, **kwargs), name)
    args, kwargs = make(*inputs)
    on_arrays = function(*args, **kwargs)
    _assert_same(on_arrays, expected, name)
    if inputs:      # a plain call gives Tensors where the call on Tensors does
        assert _kinds(on_arrays) == _kinds(on_tensors), name
        args, kwargs = make(*[a.tolist() if a.ndim == 1 else a for a in inputs])
        on_lists = function(*args, **kwargs)
        _assert_same(on_lists, expected, name)
        assert _kinds(on_lists) == _kinds(on_tensors), name


def _recorded(name):
    numpy_function = _resolve(name)[1]
    return isinstance(numpy_function, np.ufunc) or numpy_function not in NO_GRADIENT_FUNCTIONS


#: Recorded functions whose sample has no float input that the result depends on
#: smoothly or whose outputs are all integers (counts, indices).
NO_GRADIENT_IN_SAMPLE = {"bitwise_invert", "bitwise_not", "isneginf", "isposinf",
                         "bitwise_count", "left_shift", "right_shift", "bitwise_left_shift",
                         "bitwise_right_shift", "gcd", "lcm",
                         # (the values it keeps are equal in both inputs: not smooth)
                         "intersect1d",
                         # (write into their first argument and return None)
                         "copyto", "place", "put", "putmask",
                         "diag_indices_from", "tril_indices_from", "triu_indices_from",
                         "histogram", "histogram2d", "histogramdd", "histogram_bin_edges"}


#: Complex results: the gradient check below reads float outputs only, so theirs is
#: checked in tests/test_numpy_frompyfunc.py (np.sort_complex).
COMPLEX_RESULTS = {"sort_complex"}


def test_complex_results_are_recorded_for_a_tensor_that_requires_grad():
    for name in sorted(COMPLEX_RESULTS):
        make, inputs = SAMPLES[name]
        args, kwargs = make(*[ad.tensor(a, requires_grad=True) for a in inputs])
        result = _resolve(name)[0](*args, **kwargs)
        assert result.dtype.kind == "c" and result.requires_grad


def _float_leaves(result):
    if isinstance(result, ad.Tensor):
        return [result] if result.dtype.kind == "f" else []
    if isinstance(result, (tuple, list)):
        return [leaf for r in result for leaf in _float_leaves(r)]
    return []


@pytest.mark.parametrize("name", sorted(n for n in SAMPLES if _recorded(n)
                                        and n not in NO_GRADIENT_IN_SAMPLE | COMPLEX_RESULTS))
def test_gradients_flow_and_match_finite_differences(name):
    function = _resolve(name)[0]
    make, inputs = SAMPLES[name]

    args, kwargs = make(*[ad.tensor(a, requires_grad=True) for a in inputs])
    assert any(leaf.requires_grad for leaf in _float_leaves(function(*args, **kwargs))), \
        f"{name}: no output on the tape"

    def weighted_total(*tensors):
        args, kwargs = make(*tensors)
        leaves = _float_leaves(function(*args, **kwargs))
        return sum(ad.sum(leaf * np.cos(np.arange(leaf.size)).reshape(leaf.shape))
                   for leaf in leaves)

    assert ad.gradcheck(weighted_total, [np.array(a) for a in inputs])


def test_help_names_the_numpy_function_and_its_signature():
    import inspect
    assert "numpy.argmax" in ad.argmax.__doc__ and "no gradient" in ad.argmax.__doc__
    assert "carries gradients" in ad.linalg.trace.__doc__
    assert "axis" in inspect.signature(ad.argmax).parameters
    assert ad.argmax.__module__ == "autodiff" and ad.linalg.outer.__module__ == "autodiff.linalg"
    assert {"argmax", "histogram", "unique"} <= set(dir(ad))
    assert "matrix_rank" in ad.linalg.__all__
    for name in ADDED:
        summary = _resolve(name)[0].__doc__.split("on Tensors: ", 1)[1].splitlines()[0]
        assert summary and not summary.startswith(name.split(".")[-1] + "("), name


def test_torch_dim_spelling_is_taken_only_where_it_means_axis():
    x = ad.tensor(X)
    np.testing.assert_array_equal(ad.argmax(x, dim=1, keepdim=True).data,
                                  np.argmax(X, axis=1, keepdims=True))
    np.testing.assert_array_equal(ad.amax(x, dim=0).data, X.max(axis=0))
    with pytest.raises(TypeError, match="ad.nancumsum is numpy.nancumsum.*axis="):
        ad.nancumsum(x, dim=0)
    # (ad.gradient is the library's own, which reads dim= as torch.gradient: a tuple)
    np.testing.assert_array_equal(ad.gradient(x, dim=0)[0].data, np.gradient(X, axis=0))
    with pytest.raises(TypeError, match="both axis=1 and dim=0"):
        ad.argmax(x, axis=1, dim=0)


def test_unsupported_numpy_arguments_are_refused_as_on_a_tensor():
    with pytest.raises(TypeError, match="numpy.arctan2 with out="):
        ad.atan2(ad.tensor(X, requires_grad=True), Y, out=np.empty_like(X))
    with pytest.raises(TypeError, match="ad.atan2 takes 2 input.*output array"):
        ad.atan2(ad.tensor(X), Y, np.empty_like(X))
    with pytest.raises(TypeError, match="ad.atan2 takes 2 input.*got 1$"):
        ad.atan2(ad.tensor(X))
    with pytest.raises(TypeError, match="numpy.nanprod with out= an ndarray on a Tensor"):
        ad.nanprod(ad.tensor(X, requires_grad=True), out=np.empty(4), axis=0)
    # (off the tape nothing is lost: NumPy's result goes into the ndarray, as NumPy's would)
    out = np.empty_like(X)
    assert ad.atan2(ad.tensor(X), Y, out=out) is out
    np.testing.assert_array_equal(out, np.arctan2(X, Y))


def _array_first(name):
    make, inputs = SAMPLES[name]
    args = make(*[ad.tensor(a) for a in inputs])[0]
    return bool(args) and isinstance(args[0], ad.Tensor) and args[0].ndim > 0


@pytest.mark.filterwarnings("error::autodiff.TapeDropWarning")
@pytest.mark.parametrize("name", sorted(n for n in SAMPLES if _array_first(n)
                                        and n not in COMPLEX_RESULTS))
def test_a_list_of_tensors_is_taken_as_one_tensor(name):
    """``ad.nanstd([x, y])`` is ``ad.nanstd(ad.array([x, y]))``, on the tape, as the
    library's own functions take lists (``ad.mean([x, y])``)."""
    function = _resolve(name)[0]
    make, inputs = SAMPLES[name]
    args, kwargs = make(*[ad.tensor(a, requires_grad=True) for a in inputs])
    first = args[0]
    rows = [first[i] for i in range(len(first))]
    on_tensor = function(*args, **kwargs)
    on_rows = function(rows, *args[1:], **kwargs)
    if name.split(".")[-1] in numpy_names.TAKES_A_SEQUENCE:
        # each row is one array of the sequence, as NumPy reads a list there
        expected = _resolve(name)[1]([row.data for row in rows], *make(*inputs)[0][1:],
                                     **make(*inputs)[1])
        _assert_same(on_rows, expected, name)
    else:
        _assert_same(on_rows, on_tensor, name)
    if any(leaf.requires_grad for leaf in _float_leaves(on_tensor)):
        assert any(leaf.requires_grad for leaf in _float_leaves(on_rows)), name
