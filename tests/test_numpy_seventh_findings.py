"""What probing around the seventh set of NumPy programs (test_numpy_programs_seventh.py)
found.  Wrong or silent: np.histogram2d / np.histogramdd of a Tensor sample with
constant weights gave the counts instead of the weighted sums; a conversion that drops
the tape warned nothing in code run without a ``__name__`` (``exec(source, {})``);
float32 np.convolve / np.correlate with short kernels differed from NumPy's in the last
bit.  Refused where NumPy computes: ``dtype=`` / ``signature=`` / ``casting=`` /
``order=`` of ufuncs and ufunc.outer, ``dtype=`` of ufunc reduce / accumulate /
reduceat, np.cumulative_sum / prod, the nan-accumulations and np.linalg.trace,
``dtype=`` / ``casting=`` of the joins and of np.einsum, ``copy=`` of np.reshape and
t.reshape, t.flatten(order=) by name, t.item(i), np.nanquantile / np.nanpercentile
with weights, np.polyval of a poly1d, np.pad's reflect_type='odd' and
np.multiply.reduceat.  Each addition replays in a compiled step."""

import warnings

import numpy as np
import pytest

import autodiff as ad

from numpy_program_checks import central_difference

_rng = np.random.default_rng(7)
_DATA = _rng.normal(size=(3, 4))
_OTHER = _rng.normal(size=(3, 4))
_MASK = _rng.random((3, 4)) > 0.4


def _check_numpys_values_and_float32_gradient(call, data=_DATA):
    """``call`` on a Tensor is NumPy's to the bit (dtype, shape, values), on the tape,
    and its gradient matches central differences of NumPy's computation to float32's
    precision (the computations here run in float32)."""
    x = ad.tensor(data.copy(), requires_grad=True)
    result = call(x)
    expected = call(data.copy())
    assert isinstance(result, ad.Tensor) and result.requires_grad
    assert result.dtype == expected.dtype and result.shape == expected.shape
    np.testing.assert_array_equal(result.data, expected)
    weights = _rng.normal(size=expected.shape)
    grad = ad.grad(lambda t: (call(t) * weights).sum())(data.copy())
    assert grad.dtype == data.dtype
    numerical = np.zeros_like(data)
    for index in np.ndindex(data.shape):
        step = np.zeros_like(data)
        step[index] = 1e-3
        numerical[index] = ((call(data + step).astype(np.float64) * weights).sum()
                            - (call(data - step).astype(np.float64) * weights).sum()) / 2e-3
    np.testing.assert_allclose(grad, numerical, rtol=2e-3, atol=2e-3)


def test_histogram2d_and_histogramdd_with_constant_weights_sum_the_weights():
    """With a Tensor sample and an ndarray (or list) of weights the histogram was the
    plain counts, silently; now NumPy's weighted sums (and density) to the bit."""
    points = _rng.normal(size=(12, 2))
    weights = _rng.random(12)
    for given in (weights, list(weights), (weights * 10).astype(int)):
        for density in (False, True):
            sample = ad.tensor(points, requires_grad=True)
            hist, x_edges, y_edges = np.histogram2d(sample[:, 0], sample[:, 1], bins=3,
                                                    weights=given, density=density)
            expected = np.histogram2d(points[:, 0], points[:, 1], bins=3, weights=given,
                                      density=density)
            assert hist.dtype == expected[0].dtype
            np.testing.assert_array_equal(hist.data, expected[0])
            np.testing.assert_array_equal(x_edges.data, expected[1])
            hist_nd, _ = np.histogramdd(sample, bins=(2, 3), weights=given, density=density)
            np.testing.assert_array_equal(
                hist_nd.data, np.histogramdd(points, bins=(2, 3), weights=given,
                                             density=density)[0])


def test_histogramdd_with_constant_weights_is_torchs():
    torch = pytest.importorskip("torch")
    points = _rng.normal(size=(20, 2))
    weights = _rng.random(20)
    hist, _ = np.histogramdd(ad.tensor(points), bins=(3, 2), range=[(-3, 3), (-3, 3)],
                             weights=weights)
    expected = torch.histogramdd(torch.tensor(points), bins=[3, 2],
                                 range=[-3.0, 3.0, -3.0, 3.0], weight=torch.tensor(weights))
    np.testing.assert_allclose(hist.data, expected.hist.numpy(), rtol=1e-12)


def test_a_tape_drop_in_code_run_without_a_module_name_still_warns():
    """warnings.warn_explicit given module=None shows nothing, so code run by
    exec(source, {}) (no __name__ in its globals) lost the TapeDropWarning."""
    x = ad.tensor(_DATA, requires_grad=True)
    to_array = eval("lambda t: np.asarray(t)", {"np": np})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        to_array(x)
    assert [w.category for w in caught] == [ad.TapeDropWarning]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.TapeDropWarning)
        with pytest.raises(ad.TapeDropWarning, match="converted to a NumPy array"):
            to_array(x)


UFUNC_CALLS = {
    "add_dtype": lambda a: np.add(a, _OTHER, dtype=np.float32),
    "add_number_dtype": lambda a: np.add(a, 2.0, dtype=np.float32),
    "exp_dtype": lambda a: np.exp(a, dtype=np.float32),
    "arctan2_dtype": lambda a: np.arctan2(a, _OTHER, dtype="f4"),
    "maximum_dtype_casting": lambda a: np.maximum(a, _OTHER, dtype=np.float32,
                                                  casting="same_kind"),
    "multiply_signature": lambda a: np.multiply(a, _OTHER, signature="ff->f"),
    "multiply_signature_tuple": lambda a: np.multiply(a, 2, signature=(np.float32, None,
                                                                       None)),
    "power_dtype": lambda a: np.power(a, 2, dtype=np.float32),
    "matmul_dtype": lambda a: np.matmul(a, _OTHER.T, dtype=np.float32),
    "vecdot_dtype": lambda a: np.vecdot(a, _OTHER, dtype=np.float32),
    "float32_up": lambda a: np.sin(a.astype(np.float32), dtype=np.float64),
    "add_outer_dtype": lambda a: np.add.outer(a[0], _OTHER[1], dtype=np.float32),
    "maximum_outer_signature": lambda a: np.maximum.outer(a[:, 0], a[1], signature="ff->f"),
    "add_reduce_dtype": lambda a: np.add.reduce(a, axis=1, dtype=np.float32, keepdims=True),
    "add_accumulate_dtype": lambda a: np.add.accumulate(a, dtype=np.float32),
    "multiply_reduce_dtype": lambda a: np.multiply.reduce(a, axis=0, dtype=np.float32),
    "add_reduceat_dtype": lambda a: np.add.reduceat(a, [0, 2], axis=1, dtype=np.float32),
    "logaddexp_accumulate_dtype": lambda a: np.logaddexp.accumulate(a, axis=1,
                                                                    dtype=np.float32),
    "cumulative_sum_dtype": lambda a: np.cumulative_sum(a, axis=1, dtype=np.float32),
    "cumulative_prod_dtype": lambda a: np.cumulative_prod(a, axis=1, dtype=np.float32,
                                                          include_initial=True),
    "nancumsum_dtype": lambda a: np.nancumsum(np.where(_MASK, a, np.nan), dtype=np.float32),
    "nancumprod_dtype": lambda a: np.nancumprod(np.where(_MASK, a, np.nan), axis=1,
                                                dtype=np.float32),
}


@pytest.mark.parametrize("call", UFUNC_CALLS.values(), ids=UFUNC_CALLS.keys())
def test_ufuncs_and_accumulations_compute_in_numpys_dtype_on_the_tape(call):
    """np.add(t, c, dtype=np.float32) and the others were refused ('not supported by
    autodiff'): now NumPy's loop is used, the inputs cast on the tape."""
    _check_numpys_values_and_float32_gradient(call)


def test_ufunc_casting_and_signature_checks_are_numpys():
    """What NumPy refuses is refused on a Tensor with NumPy's error; a casting rule that
    only checks (casting='no' on float64 operands) changes nothing."""
    x = ad.tensor(_DATA, requires_grad=True)
    single = _OTHER.astype(np.float32)
    for kwargs, error in [({"dtype": np.int64}, "Cannot cast ufunc 'add' input 0"),
                          ({"dtype": np.float32, "casting": "safe"}, "rule 'safe'"),
                          ({"casting": "no"}, "input 1 from dtype\\('float32'\\)"),
                          ({"dtype": np.float32, "signature": "ff->f"},
                           "cannot specify both 'signature' and 'dtype'")]:
        with pytest.raises(TypeError, match=error):
            np.add(_DATA, single, **kwargs)
        with pytest.raises(TypeError, match=error):
            np.add(x, single, **kwargs)
    same = np.add(x, _OTHER, casting="no")
    np.testing.assert_array_equal(same.data, np.add(_DATA, _OTHER, casting="no"))
    assert same.requires_grad
    with pytest.raises(TypeError, match=r"numpy\.add\.reduce on a Tensor: dtype=int64"):
        np.add.reduce(x, dtype=np.int64)


JOIN_CALLS = {
    "concatenate": lambda a: np.concatenate((a, _OTHER), dtype=np.float32),
    "concatenate_flat": lambda a: np.concatenate([a, _OTHER], axis=None, dtype=np.float32),
    "concat_up": lambda a: np.concat([a.astype(np.float32), _OTHER], axis=1,
                                     dtype=np.float64),
    "stack": lambda a: np.stack([a, _OTHER], axis=1, dtype=np.float32),
    "vstack": lambda a: np.vstack([a[0], _OTHER], dtype=np.float32),
    "hstack": lambda a: np.hstack((a, _OTHER), dtype=np.float32, casting="same_kind"),
}


@pytest.mark.parametrize("call", JOIN_CALLS.values(), ids=JOIN_CALLS.keys())
def test_joins_take_numpys_dtype(call):
    _check_numpys_values_and_float32_gradient(call)


def test_joins_check_casting_as_numpy_and_refuse_an_integer_dtype_of_tensors():
    x = ad.tensor(_DATA, requires_grad=True)
    single = _OTHER.astype(np.float32)
    with pytest.raises(TypeError, match=r"vstack: Cannot cast array data from "
                                        r"dtype\('float32'\) to dtype\('float64'\) "
                                        r"according to the rule 'no'"):
        np.vstack([x, single], casting="no")
    with pytest.raises(TypeError, match="according to the rule 'same_kind'"):
        np.concatenate((x, _OTHER), dtype=np.int64)
    with pytest.raises(TypeError, match=r"concatenate: dtype=int64 would join Tensors "
                                        r"that require grad .*ad\.astype"):
        np.concatenate((x, _OTHER), dtype=np.int64, casting="unsafe")
    checked = np.stack([x, single], casting="safe")
    np.testing.assert_array_equal(checked.data, np.stack([_DATA, single], casting="safe"))
    whole = np.concatenate((x.detach(), _OTHER), dtype=np.int64, casting="unsafe")
    np.testing.assert_array_equal(whole.data, np.concatenate((_DATA, _OTHER), dtype=np.int64,
                                                             casting="unsafe"))


def test_reshape_with_copy_is_numpys():
    """np.reshape(t, shape, copy=...) was refused: copy=True gives a new array laid out
    in the order asked, copy=False a view or NumPy's ValueError."""
    x = ad.tensor(_DATA.copy(), requires_grad=True)
    copied = np.reshape(x, (4, 3), copy=True)
    assert not np.shares_memory(copied.data, x.data) and copied.data.flags.c_contiguous
    fortran = np.reshape(x.T, (4, 3), order="F", copy=True)
    np.testing.assert_array_equal(fortran.data, np.reshape(_DATA.T, (4, 3), order="F"))
    assert fortran.data.flags.f_contiguous
    view = np.reshape(x, (2, 6), copy=False)
    assert np.shares_memory(view.data, x.data)
    with pytest.raises(ValueError, match="Unable to avoid creating a copy"):
        np.reshape(x.T, (12,), copy=False)
    grad = ad.grad(lambda t: (np.reshape(t, (4, 3), copy=True) ** 2 * _OTHER.reshape(4, 3))
                   .sum())(_DATA)
    np.testing.assert_allclose(grad, 2 * _DATA * _OTHER)


def test_ndarray_methods_flatten_order_reshape_copy_and_item_of_an_index():
    """t.flatten(order='F') by name, t.reshape(..., copy=...) and t.item(i) / t.item(i,
    j) were refused (unexpected keyword, or item() taking no index) where the ndarray
    methods take them; PyTorch's flatten(start_dim, end_dim) and item() are unchanged."""
    x = ad.tensor(_DATA.copy(), requires_grad=True)
    for order in ("C", "F", "A", "K"):
        flat = x.T.flatten(order=order)
        np.testing.assert_array_equal(flat.data, _DATA.T.flatten(order=order))
        assert flat.requires_grad and not np.shares_memory(flat.data, x.data)
    with pytest.raises(TypeError, match="flatten: got order='F' and start_dim=1"):
        x.flatten(1, order="F")
    assert x.flatten(0, 1).shape == (12,)
    copied = x.reshape(2, 6, order="F", copy=True)
    np.testing.assert_array_equal(copied.data, _DATA.reshape(2, 6, order="F", copy=True))
    assert not np.shares_memory(copied.data, x.data)
    assert np.shares_memory(x.reshape((6, 2), copy=False).data, x.data)
    with pytest.raises(ValueError, match="Unable to avoid creating a copy"):
        x.T.reshape(12, copy=False)
    grad = ad.grad(lambda t: (t.flatten(order="F") * np.arange(12.0)).sum())(_DATA)
    np.testing.assert_array_equal(grad, np.arange(12.0).reshape(4, 3).T)
    for index in [(0,), (-1,), ((1, 2),), (1, 2)]:
        value = x.item(*index)
        assert type(value) is float and value == _DATA.item(*index)
    with pytest.raises(IndexError):
        x.item(12)
    with pytest.raises(ValueError, match="exactly one element"):
        x.item()
    assert ad.tensor([2.5]).item() == 2.5


def test_nan_quantiles_with_weights_are_numpys_picks_with_their_gradient():
    """np.nanquantile / np.nanpercentile with weights= were refused where np.quantile's
    are supported: now NumPy's picks (NaNs dropped; a lane of NaNs alone gives NaN),
    the gradient going to each picked entry."""
    # Its own generator: drawn from the module's, the data would depend on which tests
    # ran before (those needing torch skip without it), and NumPy refuses a lane whose
    # values left after the NaNs all weigh 0.  Row 2 and one entry of rows 0 and 3 stay
    # numbers, so that only row 1 (all NaN) is a lane without weight.
    rng = np.random.default_rng(11)
    values = rng.normal(size=(4, 5))
    values[rng.random((4, 5)) < 0.35] = np.nan
    values[1] = np.nan
    values[2], values[0, 4], values[3, 0] = rng.normal(size=5), 0.75, -0.5
    weights = rng.random((4, 5)) + 0.05
    weights[0, :2] = 0.0
    for name, q in [("nanquantile", [0.0, 0.3, 1.0]), ("nanpercentile", [10.0, 55.0])]:
        for axis in (0, 1, None):
            function = getattr(np, name)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)     # (the all-NaN lane)
                expected = function(values, q, axis=axis, weights=weights,
                                    method="inverted_cdf")
                x = ad.tensor(values, requires_grad=True)
                result = function(x, q, axis=axis, weights=weights, method="inverted_cdf")
            assert result.dtype == expected.dtype and result.shape == expected.shape
            np.testing.assert_array_equal(result.data, expected)
            finite = np.isfinite(expected)
            result[finite].sum().backward()
            picked = np.isin(values, expected[finite]) & np.isfinite(values)
            assert np.all(x.grad[~picked] == 0) and np.all(x.grad[picked] >= 1)
            assert x.grad.sum() == finite.sum()
    with pytest.raises(ValueError, match="inverted_cdf"):
        np.nanquantile(ad.tensor(values), 0.5, weights=weights)


def test_polyval_of_a_poly1d_at_tensor_points_evaluates_its_coefficients():
    """np.polyval(np.poly1d(c), t) (an array in NumPy) was refused on a Tensor."""
    polynomial = np.poly1d([1.5, -2.0, 0.25])
    x = ad.tensor(_DATA.copy(), requires_grad=True)
    result = np.polyval(polynomial, x)
    np.testing.assert_array_equal(result.data, np.polyval(polynomial, _DATA))
    result.sum().backward()
    np.testing.assert_allclose(x.grad, np.polyval(polynomial.deriv(), _DATA), rtol=1e-12)
    with pytest.raises(TypeError, match="polyval: x a poly1d is not supported"):
        np.polyval(ad.tensor([1.0, 2.0], requires_grad=True), polynomial)


def test_linalg_trace_takes_a_float_dtype_as_np_trace():
    stack = np.stack([_DATA, _OTHER])
    _check_numpys_values_and_float32_gradient(
        lambda a: np.linalg.trace(a, offset=-1, dtype=np.float32), stack)


@pytest.mark.parametrize("mode", ["reflect", "symmetric"])
def test_odd_reflection_padding_is_numpys_with_its_gradient(mode):
    """np.pad(t, ..., reflect_type='odd') was refused ('computes new values'): now
    NumPy's values to the bit, pads wider than the array included (reflected again
    about the new edge), and the gradient matches central differences."""
    for shape, widths in [((5,), (2, 3)), ((3,), (7, 9)), ((1, 4), ((2, 1), (3, 6))),
                          ((3, 2, 2), ((1, 4), (2, 0), (3, 3)))]:
        data = _rng.normal(size=shape)
        for dtype in (np.float64, np.float32):
            values = data.astype(dtype)
            padded = np.pad(ad.tensor(values, requires_grad=True), widths, mode=mode,
                            reflect_type="odd")
            expected = np.pad(values, widths, mode=mode, reflect_type="odd")
            assert padded.requires_grad and padded.dtype == expected.dtype
            np.testing.assert_array_equal(padded.data, expected)
        weights = _rng.normal(size=expected.shape)

        def padded_sum(a):
            return (np.pad(a, widths, mode=mode, reflect_type="odd") * weights).sum()

        grad = ad.grad(padded_sum)(data)
        numerical = np.zeros_like(data)
        for index in np.ndindex(shape):
            step = np.zeros_like(data)
            step[index] = 1e-6
            numerical[index] = (padded_sum(data + step) - padded_sum(data - step)) / 2e-6
        np.testing.assert_allclose(grad, numerical, rtol=1e-6, atol=1e-6)


def test_odd_reflection_padding_gradient_is_torchs():
    """PyTorch's reflect padding is NumPy's even one; odd reflection is 2 * edge - that,
    so its gradient is PyTorch's of the same expression."""
    torch = pytest.importorskip("torch")
    data = _rng.normal(size=(2, 6))
    weights = _rng.normal(size=(2, 11))
    x = ad.tensor(data, requires_grad=True)
    (np.pad(x, ((0, 0), (3, 2)), mode="reflect", reflect_type="odd") * weights).sum().backward()
    reference = torch.tensor(data, requires_grad=True)
    even = torch.nn.functional.pad(reference[None], (3, 2), mode="reflect")[0]
    edges = torch.cat([reference[:, :1].expand(2, 3), reference,
                       reference[:, -1:].expand(2, 2)], dim=1)
    odd = torch.cat([2 * edges[:, :3] - even[:, :3], reference,
                     2 * edges[:, -2:] - even[:, -2:]], dim=1)
    (odd * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad, reference.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(np.pad(data, ((0, 0), (3, 2)), mode="reflect",
                                      reflect_type="odd"), odd.detach().numpy(), rtol=1e-12)


def test_segment_products_by_multiply_reduceat_are_numpys_and_differentiate():
    """np.multiply.reduceat had no rule (refused) where add/maximum/minimum.reduceat
    run: now each segment's product, NumPy's to the bit, with first and second
    derivatives matching central differences (a zero entry included)."""
    for n in (3, 17, 64):
        for dtype in (np.float64, np.float32):
            data = (_rng.random((3, n)) + 0.5).astype(dtype)
            indices = np.sort(_rng.integers(0, n, size=5))
            for axis, values in ((1, data), (0, data.T)):
                result = np.multiply.reduceat(ad.tensor(values, requires_grad=True),
                                              indices, axis=axis)
                expected = np.multiply.reduceat(values, indices, axis=axis)
                assert result.requires_grad and result.dtype == expected.dtype
                np.testing.assert_array_equal(result.data, expected)
    data = _rng.normal(size=(2, 6))
    data[0, 2] = 0.0
    weights = _rng.normal(size=(2, 4))

    def segment_products(a):
        return (np.multiply.reduceat(a, [0, 2, 1, 4], axis=1) * weights).sum()

    flat = data.reshape(-1)
    grad = ad.grad(lambda t: segment_products(t.reshape(2, 6)))(flat)
    np.testing.assert_allclose(
        grad, central_difference(lambda a: segment_products(a.reshape(2, 6)), flat),
        rtol=1e-6, atol=1e-6)
    hessian = ad.hessian(lambda t: segment_products(t.reshape(2, 6)))(flat)
    gradient = ad.grad(lambda t: segment_products(t.reshape(2, 6)))
    numerical = np.stack([(gradient(flat + step) - gradient(flat - step)) / 2e-6
                          for step in np.eye(flat.size) * 1e-6])
    np.testing.assert_allclose(hessian, numerical, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("order", ["C", "F", "A", "K"])
def test_ufunc_order_lays_the_result_out_as_numpy(order):
    """np.exp(t, order='F') was refused; now the values and the memory layout are
    NumPy's (later products round by the layout), on the tape."""
    for values in (_DATA, np.asfortranarray(_DATA), _DATA.T, _DATA[:, ::2]):
        expected = np.exp(values, order=order)
        result = np.exp(ad.tensor(values, requires_grad=True), order=order)
        assert result.requires_grad
        np.testing.assert_array_equal(result.data, expected)
        assert result.data.flags.c_contiguous == expected.flags.c_contiguous
        assert result.data.flags.f_contiguous == expected.flags.f_contiguous
    grad = ad.grad(lambda t: (np.multiply(t, t, order=order) * _OTHER).sum())(_DATA)
    np.testing.assert_allclose(grad, 2 * _DATA * _OTHER)
    with pytest.raises(ValueError, match="order must be one of"):
        np.exp(ad.tensor(_DATA), order="X")


def test_einsum_takes_numpys_dtype_with_its_safe_casting():
    """np.einsum(..., dtype=) was refused; now the operands are cast first after
    NumPy's casting check ('safe' by default for einsum, so float64 to float32 needs
    casting='same_kind' as in NumPy)."""
    _check_numpys_values_and_float32_gradient(
        lambda a: np.einsum("ij,ij->i", a, _OTHER, dtype=np.float32, casting="same_kind"))
    _check_numpys_values_and_float32_gradient(
        lambda a: np.einsum(a, [0, 1], _OTHER, [0, 1], [1], dtype=np.float32,
                            casting="unsafe"))
    up = np.einsum("ij->j", ad.tensor(_DATA.astype(np.float32)), dtype=np.float64)
    np.testing.assert_array_equal(up.data, np.einsum("ij->j", _DATA.astype(np.float32),
                                                     dtype=np.float64))
    with pytest.raises(TypeError, match=r"einsum: Iterator operand 0 dtype could not be "
                                        r"cast from dtype\('float64'\) to "
                                        r"dtype\('float32'\) according to the rule 'safe'"):
        np.einsum("ij,ij->", ad.tensor(_DATA, requires_grad=True), _OTHER, dtype=np.float32)
    with pytest.raises(TypeError, match=r"order='F' are not supported .*copy\(order='F'\)"):
        np.einsum("ij,jk", ad.tensor(_DATA), _OTHER.T, order="F")


_WEIGHTS = _rng.random(6)
COMPILED_CALLS = {
    "ufunc_dtype_order": lambda x: (np.add(x, 1.0, dtype=np.float32)
                                    * np.exp(x, order="F")).sum(),
    "accumulation_dtype": lambda x: (np.add.reduce(x, dtype=np.float32)
                                     + np.cumulative_sum(x, dtype=np.float32).sum()),
    "join_dtype": lambda x: np.concatenate([x, x], dtype=np.float32).sum(),
    "odd_padding": lambda x: (np.pad(x, (2, 9), mode="reflect", reflect_type="odd").sum()
                              + np.pad(x[:1], 2, mode="symmetric", reflect_type="odd").sum()),
    "segment_products": lambda x: np.multiply.reduceat(x, [0, 2]).sum(),
    "weighted_histogram": lambda x: np.histogram2d(x, x * 2, bins=2, weights=_WEIGHTS,
                                                   density=True)[0].sum(),
    "einsum_dtype": lambda x: np.einsum("i,i->", x, x, dtype=np.float64),
    "weighted_nanquantile": lambda x: np.nanquantile(np.where(x > 0.5, np.nan, x),
                                                     [0.2, 0.7], weights=_WEIGHTS,
                                                     method="inverted_cdf").sum(),
    "reshape_copy": lambda x: (np.reshape(x, (2, 3), copy=True).sum()
                               + x.reshape(3, 2, copy=True).flatten(order="F")[1]),
}


@pytest.mark.parametrize("loss", COMPILED_CALLS.values(), ids=COMPILED_CALLS.keys())
def test_what_was_added_replays_in_a_compiled_step_as_it_runs(loss):
    """A compiled training step using each addition gives, at every replay on new data,
    the loss and gradient of the step run directly (positions and picks made again)."""
    w = ad.tensor(np.zeros(6), requires_grad=True)

    def step(x):
        value = loss(w + x)
        w.grad = None
        value.backward()
        return value, w.grad

    compiled = ad.compile(step, fuse=False)    # (bitwise: a fused exp is a few ulp apart)
    for seed in range(4):
        data = np.random.default_rng(seed).normal(size=6)
        value, grad = compiled(ad.tensor(data))
        value, grad = value.data.copy(), np.array(grad)
        expected_value, expected_grad = step(ad.tensor(data))
        np.testing.assert_array_equal(value, expected_value.data)
        np.testing.assert_array_equal(grad, expected_grad)
    assert compiled.traces == 1


@pytest.mark.parametrize("function", [np.convolve, np.correlate])
def test_float32_convolutions_with_short_kernels_are_numpys_to_the_bit(function):
    """For float32 and kernels of up to 11 taps NumPy sums each output tap by tap from
    zero (its small_correlate), where a float32 dot differed in the last bit in about
    every other case; now the interior ('valid' part) is NumPy's exactly, longer
    kernels as before, and the gradient matches central differences."""
    for n, m in [(9, 3), (30, 7), (12, 11), (40, 12), (5, 5), (3, 8)]:
        for _ in range(5):
            signal = _rng.normal(size=n).astype(np.float32)
            kernel = _rng.normal(size=m).astype(np.float32)
            for mode in ("valid", "same", "full"):
                result = function(ad.tensor(signal, requires_grad=True), kernel, mode)
                expected = function(signal, kernel, mode)
                assert result.dtype == np.float32 and result.shape == expected.shape
                edge = {"valid": 0, "same": min(n, m) // 2, "full": min(n, m) - 1}[mode]
                interior = slice(edge, expected.size - edge)
                np.testing.assert_array_equal(result.data[interior], expected[interior])
                np.testing.assert_allclose(result.data, expected, rtol=1e-5, atol=1e-6)
    signal = _rng.normal(size=10)
    kernel = _rng.normal(size=4)
    weights = _rng.normal(size=13)
    grad = ad.grad(lambda s: (function(s.astype(np.float32), kernel.astype(np.float32),
                                       "full") * weights).sum())(signal)
    numerical = central_difference(
        lambda s: float((function(s.astype(np.float32), kernel.astype(np.float32), "full")
                         .astype(np.float64) * weights).sum()), signal, eps=1e-3)
    np.testing.assert_allclose(grad, numerical, rtol=2e-3, atol=2e-3)
