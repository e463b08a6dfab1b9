"""What probing around the sixth set of NumPy programs (test_numpy_programs_sixth.py)
found: ndarray methods' dtype= (t.sum, t.mean, t.prod, t.std, t.var, t.cumsum,
t.cumprod), ndarray.astype's copy=, casting= and order=, NumPy's t.view() without a
shape, and np.clip with where= and out=."""

import warnings

import numpy as np
import pytest

import autodiff as ad

from numpy_program_checks import (check_gradient_matches_central_differences,
                                  check_hessian_matches_central_differences_of_its_gradient,
                                  check_numpys_value)

_rng = np.random.default_rng(6)
_DATA = _rng.normal(size=(3, 4))
_MASK = _rng.random((3, 4)) > 0.4

METHOD_CALLS = {
    "sum": lambda a: a.sum(dtype=np.float32),
    "sum_axis_where": lambda a: a.sum(axis=0, dtype=np.float32, where=_MASK, initial=1.0),
    "mean": lambda a: a.mean(axis=1, keepdims=True, dtype=np.float32),
    "mean_where": lambda a: a.mean(dtype=np.float32, where=_MASK),
    "prod": lambda a: a.prod(axis=1, dtype=np.float32),
    "std": lambda a: a.std(ddof=1, dtype=np.float32),
    "var": lambda a: a.var(axis=0, dtype=np.float32),
    "cumsum": lambda a: a.cumsum(dtype=np.float32),
    "cumsum_by_position": lambda a: a.cumsum(1, np.float32),
    "cumprod": lambda a: a.cumprod(axis=0, dtype=np.float32),
    "float32_up": lambda a: a.astype(np.float32).sum(axis=1, dtype=np.float64),
}


@pytest.mark.parametrize("call", METHOD_CALLS.values(), ids=METHOD_CALLS.keys())
def test_reduction_methods_compute_in_numpys_dtype_on_the_tape(call):
    """t.sum(dtype=...) and the other methods were refused (an unexpected keyword) where
    np.sum(t, dtype=...) worked: now they are NumPy's to the bit, recorded, and the
    gradient (cast back to the tensor's float64) matches central differences of the
    float32 computation to float32's precision."""
    x = ad.tensor(_DATA.copy(), requires_grad=True)
    result = call(x)
    expected = call(_DATA.copy())
    assert isinstance(result, ad.Tensor) and result.requires_grad
    assert result.dtype == expected.dtype and result.shape == expected.shape
    np.testing.assert_array_equal(result.data, expected)

    weights = _rng.normal(size=expected.shape)
    grad = ad.grad(lambda t: (call(t) * weights).sum())(_DATA.copy())
    assert grad.dtype == np.float64
    numerical = np.zeros_like(_DATA)
    for index in np.ndindex(_DATA.shape):
        step = np.zeros_like(_DATA)
        step[index] = 1e-3
        numerical[index] = ((call(_DATA + step).astype(np.float64) * weights).sum()
                            - (call(_DATA - step).astype(np.float64) * weights).sum()) / 2e-3
    np.testing.assert_allclose(grad, numerical, rtol=2e-3, atol=2e-3)


def test_an_integer_dtype_of_a_float_tensors_method_is_refused_naming_the_cast():
    x = ad.tensor(_DATA, requires_grad=True)
    with pytest.raises(TypeError, match=r"numpy\.sum on a Tensor: dtype=int64 .*ad\.astype"):
        x.sum(dtype=np.int64)
    with pytest.raises(TypeError, match=r"numpy\.var on a Tensor of dtype float64: "
                                        r"dtype=int32 is not a floating-point dtype"):
        x.var(dtype=np.int32)
    with warnings.catch_warnings():        # dtype= is NumPy's: no ddof convention warning
        warnings.simplefilter("error")
        np.testing.assert_array_equal(x.var(dtype=np.float32).data, _DATA.var(dtype=np.float32))


def test_pytorchs_dtype_of_sum_mean_and_cumsum_gives_pytorchs_values():
    torch = pytest.importorskip("torch")
    x = ad.tensor(_DATA, requires_grad=True)
    reference = torch.tensor(_DATA, requires_grad=True)
    pairs = [(x.sum(dim=1, dtype=np.float32), reference.sum(dim=1, dtype=torch.float32)),
             (x.mean(dim=0, keepdim=True, dtype=np.float32),
              reference.mean(dim=0, keepdim=True, dtype=torch.float32)),
             (x.cumsum(dim=1, dtype=np.float32), reference.cumsum(dim=1, dtype=torch.float32)),
             (x.prod(dim=0, dtype=np.float32), reference.prod(dim=0, dtype=torch.float32))]
    for ours, theirs in pairs:
        assert ours.dtype == np.float32 and ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-6)
    total = sum((ours * 1.0).sum() for ours, _ in pairs)
    total.backward()
    sum((theirs * 1.0).sum() for _, theirs in pairs).backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad, reference.grad.numpy(), rtol=1e-5)


def test_astype_takes_ndarrays_copy_casting_and_order():
    x = ad.tensor(_DATA, requires_grad=True)
    assert x.astype(np.float64, copy=False) is x
    copied = x.astype(np.float64, copy=True)
    assert copied is not x and not np.shares_memory(copied.data, x.data)
    np.testing.assert_array_equal(copied.data, _DATA)
    narrowed = x.astype(np.float32, order="F", casting="same_kind", copy=False)
    np.testing.assert_array_equal(narrowed.data, _DATA.astype(np.float32, order="F"))
    assert narrowed.requires_grad
    with pytest.raises(TypeError):
        _DATA.astype(np.float32, casting="safe")
    with pytest.raises(TypeError, match=r"astype: cannot cast a tensor of dtype float64 to "
                                        r"float32 according to the rule 'safe'"):
        x.astype(np.float32, casting="safe")
    grad = ad.grad(lambda t: (t.astype(np.float64, copy=False) ** 2).sum())(_DATA)
    np.testing.assert_allclose(grad, 2 * _DATA)


def test_view_without_a_shape_is_numpys_view_sharing_the_memory():
    """t.view() (NumPy's: the same array through a new object) tried to reshape to ()
    and failed with a confusing size error; PyTorch's view() needs a shape, so NumPy's
    meaning does not conflict."""
    x = ad.tensor(_DATA.copy(), requires_grad=True)
    view = x.view()
    assert view.shape == x.shape and np.shares_memory(view.data, x.data)
    np.testing.assert_array_equal(view.data, _DATA.view())
    grad = ad.grad(lambda t: (t.view() ** 3).sum())(_DATA)
    np.testing.assert_allclose(grad, 3 * _DATA ** 2)


def test_clip_with_where_and_out_writes_the_selected_entries_on_the_tape():
    p = _DATA.ravel()
    keep = p > -0.2

    def clipped(xp, q):
        y = q.copy()
        result = xp.clip(q, -0.3, q[::-1] * 0.5 + 0.2, out=y, where=keep)
        assert result is y
        return (y ** 2 * np.arange(1.0, 13.0)).sum()

    check_numpys_value(clipped, p)
    check_gradient_matches_central_differences(clipped, p)
    check_hessian_matches_central_differences_of_its_gradient(clipped, p)


def test_clip_with_where_but_no_out_and_into_an_ndarray_are_refused():
    x = ad.tensor(_DATA, requires_grad=True)
    with pytest.raises(TypeError, match=r"numpy\.clip on a Tensor: where= without out=.*"
                                        r"out=t\.copy\(\)"):
        np.clip(x, -0.3, 0.3, where=_MASK)
    with pytest.raises(TypeError, match=r"numpy\.clip with out= on a Tensor .*cannot be "
                                        r"written into an ndarray"):
        np.clip(x, -0.3, 0.3, out=np.zeros((3, 4)))


def numpy_options(xp, p):
    """A program with them all: the methods' dtype=, astype with copy=False, a view, and
    a clip of the selected entries in place (float64 throughout, for the differences)."""
    a = p.reshape(3, 4).view()
    centred = a - a.mean(axis=1, keepdims=True, dtype=np.float64)
    running = centred.cumsum(axis=1, dtype=np.float64).astype(np.float64, copy=False)
    bounded = running.copy()
    xp.clip(running, -0.5, 0.5, out=bounded, where=_MASK)
    return (bounded ** 2).sum() + a.std(ddof=1, dtype=np.float64) + a.prod(axis=0).sum()


def test_the_program_with_numpys_options_is_numpys_and_differentiates():
    p = _rng.normal(size=12)
    check_numpys_value(numpy_options, p)
    check_gradient_matches_central_differences(numpy_options, p)


@pytest.mark.parametrize("function", [np.correlate, np.convolve])
@pytest.mark.parametrize("mode", ["valid", "same", "full"])
@pytest.mark.parametrize("sizes", [(12, 3), (3, 12), (100, 8), (40, 31), (300, 40),
                                   (1000, 257)])
def test_convolve_and_correlate_are_numpys_to_the_bit(function, mode, sizes):
    """np.correlate of random floats differed from NumPy's in the last bit (a
    matrix-vector product sums in another order than NumPy's dot per output, as does
    np.convolve's dot with reversed taps read through a view, for 16 taps or more):
    each output is now one dot over contiguous taps. At the edges of 'same' and 'full'
    NumPy dots only the overlap, which a dot padded with zeros reproduces only while
    the BLAS dot sums in order (few taps), so there they are close, not asserted equal."""
    a, v = _rng.normal(size=sizes[0]), _rng.normal(size=sizes[1])
    result = function(ad.tensor(a, requires_grad=True), v, mode)
    expected = function(a, v, mode)
    assert result.shape == expected.shape and result.requires_grad
    edge = {"valid": 0, "same": min(sizes) // 2, "full": min(sizes) - 1}[mode]
    interior = slice(edge, expected.size - edge)
    np.testing.assert_array_equal(result.data[interior], expected[interior])
    np.testing.assert_allclose(result.data, expected, rtol=1e-13, atol=1e-13)


_WHERE = np.array([[True, False, True, True], [False, False, True, False],
                   [True, True, False, False]])
UFUNC_REDUCTIONS = {
    "add_where_initial": lambda xp, a: xp.add.reduce(a, axis=1, where=_WHERE, initial=0.5),
    "add_where_all_axes": lambda xp, a: xp.add.reduce(a, axis=None, where=_WHERE),
    "multiply_where": lambda xp, a: xp.multiply.reduce(1 + a, where=_WHERE, keepdims=True),
    "maximum_initial": lambda xp, a: xp.maximum.reduce(a, axis=0, initial=0.3),
    "minimum_where": lambda xp, a: xp.minimum.reduce(a, axis=1, where=_WHERE, initial=2.0),
}


@pytest.mark.parametrize("reduction", UFUNC_REDUCTIONS.values(), ids=UFUNC_REDUCTIONS.keys())
def test_ufunc_reduce_with_where_and_initial_is_numpys_masked_reduction(reduction):
    """np.add.reduce(t, where=..., initial=...) was refused, naming the arguments, while
    np.sum(t, where=..., initial=...) (the same reduction in NumPy) was recorded: the
    ufunc's reduce now runs that masked reduction (default axis 0 kept)."""
    def program(xp, p):
        return (reduction(xp, p.reshape(3, 4)) ** 2 * 1.5).sum()

    p = _rng.normal(size=12)
    check_numpys_value(program, p)
    check_gradient_matches_central_differences(program, p)
    check_hessian_matches_central_differences_of_its_gradient(program, p)


def test_ufunc_reduce_where_without_initial_on_an_extreme_is_numpys_error():
    x = ad.tensor(_DATA, requires_grad=True)
    with pytest.raises(ValueError, match=r"np\.maximum\.reduce of a Tensor of shape \(3, 4\) "
                                         r"with where=: .*initial"):
        np.maximum.reduce(x, axis=1, where=_WHERE)


OUT_METHODS = {
    "sum": (lambda a, out: a.sum(axis=1, out=out), (3,)),
    "mean": (lambda a, out: a.mean(axis=0, out=out), (4,)),
    "max": (lambda a, out: a.max(axis=1, out=out), (3,)),
    "min_keepdims": (lambda a, out: a.min(axis=0, keepdims=True, out=out), (1, 4)),
    "prod": (lambda a, out: a.prod(axis=1, out=out), (3,)),
    "std": (lambda a, out: a.std(axis=1, ddof=1, out=out), (3,)),
    "var": (lambda a, out: a.var(axis=0, out=out), (4,)),
    "cumsum": (lambda a, out: a.cumsum(axis=1, out=out), (3, 4)),
    "cumprod_flat": (lambda a, out: a.cumprod(out=out), (12,)),
    "clip": (lambda a, out: a.clip(-0.5, 0.5, out=out), (3, 4)),
    "clip_where": (lambda a, out: a.clip(-0.5, 0.5, out=out, where=_MASK), (3, 4)),
    "round": (lambda a, out: a.round(1, out=out), (3, 4)),
    "dot": (lambda a, out: a.dot(np.arange(4.0), out=out), (3,)),
    "take": (lambda a, out: a.take([5, 0, 11, 5], out=out), (4,)),
    "take_by_position": (lambda a, out: a.take([1, 7], 1, out, "wrap"), (3, 2)),
}


@pytest.mark.parametrize("call, shape", OUT_METHODS.values(), ids=OUT_METHODS.keys())
def test_methods_write_into_a_tensor_given_as_out(call, shape):
    """x.clip(lo, hi, out=y), x.cumsum(out=y), x.sum(axis, out=y) ... (ndarray's out=)
    were refused as unexpected keywords where np.clip(x, lo, hi, out=y) worked: they
    now write NumPy's values into the Tensor y, on the tape, and return it. (x.take's
    third positional argument is out=, as ndarray.take's; it was taken as mode.)"""
    def program(xp, p):
        out = xp.zeros_like(p, shape=shape) + 0.25
        result = call(p.reshape(3, 4), out)
        assert result is out
        return (out ** 2 * np.arange(1.0, out.size + 1).reshape(shape)).sum()

    p = _DATA.ravel() * 1.3
    check_numpys_value(program, p)
    check_gradient_matches_central_differences(program, p)


def test_assigning_a_tensors_shape_says_to_reshape():
    x = ad.tensor(np.arange(12.0))
    with pytest.raises(AttributeError, match=r"shape: a Tensor's shape \(now \(12,\)\) cannot "
                                             r"be assigned in place.*t = t\.reshape"):
        x.shape = (3, 4)
    assert x.shape == (12,)
