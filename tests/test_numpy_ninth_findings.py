"""What probing around the ninth set of NumPy programs (test_numpy_programs_ninth.py)
found.  Silently other values than NumPy's: ``t[mask] = v`` and ``np.place(t, mask, v)``
with ``v`` a view of ``t`` (NumPy reads such values while it writes them; the recorded
write took them as they were).  Wrong dtype, silently: a Tensor's ``t.size`` (an int
that also answers PyTorch's ``t.size()``) took part in NumPy 2's promotion as an int64
array rather than as the weak Python int an ndarray's ``.size`` is, so ``x.sum() /
x.size`` and ``x.size * h`` of float32 values came out float64 (and rounded differently
from NumPy's float32 result); ``np.zeros_like`` / ``np.ones_like`` / ``np.empty_like``
of a 0-d Tensor gave a 0-d ndarray, so an accumulator made from it (``acc =
np.zeros_like(x[0, 0]); acc += ...``) left the tape; ``ad.cov(x, dtype=np.float32)`` (so
``ad.corrcoef``'s) came out float64, where NumPy centres and scales in place in the
dtype asked for.  Failing where NumPy computes: ``value in t`` (Python fell back to
comparing rows, an ambiguous truth value), ``np.vecdot(..., keepdims=True)`` and a ufunc
asked for an integer loop (``np.add(x, 1.5, casting="unsafe", dtype=np.int8)``,
``signature=`` of integer dtypes), ``dtype=`` of ``np.cov``, ``np.corrcoef`` and
``np.clip`` and of a ufunc writing into ``out=`` a Tensor, refused as unsupported
arguments.  Unclear: a list of Tensors given to a ufunc (``np.exp([t0, t1])``) warned of
the tape drop without naming the ufunc or ``np.stack``, and ``np.linalg.norm([t0, t1])``
was named ``np.norm`` (``np.ma.masked_invalid`` ``np.masked_invalid``, and NumPy's
masked arrays got no suggestion)."""

import re
import warnings

import numpy as np
import pytest

import autodiff as ad

from numpy_program_checks import central_difference

_rng = np.random.default_rng(99)
_A32 = _rng.normal(size=(3, 4)).astype(np.float32)


# ----- t.size is the weak Python int an ndarray's .size is ------------------------
@pytest.mark.parametrize("call", [
    lambda x: x.sum() / x.size,
    lambda x: x.size * x[0, 0],
    lambda x: x.sum() / (x.size - 1),
    lambda x: x / np.sqrt(x.size),
    lambda x: np.float32(0.5) * x.size + x,
    lambda x: _A32 * x.size + x,
    lambda x: np.where(x > 0, x, x.size),
    lambda x: np.maximum(x, x.size * 0.01),
    lambda x: np.full_like(x, x.size),
    lambda x: np.dot(x, x.size),           # np.dot makes an int64 array of a number
    lambda x: np.clip(x.astype(np.int8), -x.size, x.size),
], ids=["sum / size", "size * scalar", "size - 1", "sqrt(size)", "np.float32 * size",
        "ndarray * size", "where", "maximum", "full_like", "dot", "int8 clip"])
def test_a_tensors_size_promotes_as_an_ndarrays_does(call):
    expected = call(_A32.copy())
    got = call(ad.tensor(_A32.copy(), requires_grad=True))
    assert got.dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(got.data, expected)


def test_a_density_normalised_by_size_is_numpys_float32_value_to_the_bit():
    """The kernel density program of the ninth round, on float32 parameters."""
    data = _rng.normal(size=7)

    def log_density(p):
        h = np.exp(p[0] - 0.5)
        shifted = data + 0.2 * p[1:8]
        kernel = np.exp(-0.5 * ((np.linspace(-1.5, 1.5, 5)[:, None] - shifted) / h) ** 2)
        return -np.log(kernel.sum(axis=1) / (shifted.size * h * np.sqrt(2 * np.pi))).sum()

    p = _rng.normal(size=8).astype(np.float32)
    value, grad = ad.value_and_grad(log_density)(p.copy())
    np.testing.assert_array_equal(value, log_density(p.copy()))
    assert grad.dtype == np.float32
    p64 = p.astype(np.float64)
    np.testing.assert_allclose(ad.grad(log_density)(p64), central_difference(log_density, p64),
                               rtol=1e-6, atol=1e-6)


def test_the_size_is_still_pytorchs_call_and_an_int():
    t = ad.tensor(np.zeros((2, 3)))
    assert t.size == 6 and isinstance(t.size, int)
    assert t.size() == (2, 3) and t.size(-1) == 3
    assert type(t.size + 1) is int and type(t.size // 4) is int


# ----- the *_like buffers of a 0-d Tensor are Tensors -----------------------------
@pytest.mark.parametrize("like", [np.zeros_like, np.ones_like, np.empty_like])
def test_a_buffer_like_a_0d_tensor_is_a_tensor(like):
    x = ad.tensor(_rng.normal(size=(2, 3)), requires_grad=True)
    for zero_d in (x[0, 0], x.sum()):
        buffer = like(zero_d)
        assert isinstance(buffer, ad.Tensor) and buffer.shape == () and not buffer.requires_grad
        assert buffer.dtype == np.float64
    assert isinstance(like(x, shape=()), ad.Tensor)
    np.testing.assert_array_equal(np.zeros_like(x[0, 0]).data, 0.0)
    np.testing.assert_array_equal(np.ones_like(x[0, 0]).data, 1.0)


def test_an_accumulator_like_a_0d_tensor_keeps_the_tape():
    """A scalar accumulator started from np.zeros_like(x[0, 0]) and added to in a loop:
    before, an ndarray, which took the sum off the tape."""
    def weighted_trace(x):
        total = np.zeros_like(x[0, 0])
        for i in range(x.shape[0]):
            total += (i + 1.0) * x[i, i] ** 2
        return total

    x = _rng.normal(size=(3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.TapeDropWarning)
        value, grad = ad.value_and_grad(weighted_trace)(x.copy())
    np.testing.assert_array_equal(value, weighted_trace(x.copy()))
    numerical = central_difference(lambda p: weighted_trace(p.reshape(3, 3)), x.ravel())
    np.testing.assert_allclose(grad.ravel(), numerical, rtol=1e-6, atol=1e-6)


# ----- value in t -------------------------------------------------------------------
def test_membership_is_numpys_and_pytorchs():
    torch = pytest.importorskip("torch")
    values = np.array([[1.0, 3.0], [4.0, 2.0]])
    t, reference = ad.tensor(values, requires_grad=True), torch.tensor(values)
    for value in (3, 3.0, 5, 2.5):
        assert (value in t) is (value in reference) is (value in values)
    assert (ad.tensor(2.0) in t) is (torch.tensor(2.0) in reference) is True
    assert (np.array([1.0, 3.0]) in t) is (torch.tensor([1.0, 3.0]) in reference) is True
    assert (np.float32(4.0) in t) is True and (7 in ad.tensor([1, 2])) is False


def test_membership_of_another_object_is_refused_naming_what_to_write():
    t = ad.tensor([[1.0, 3.0], [4.0, 2.0]])
    for value in ("a", [1.0, 3.0]):
        with pytest.raises(TypeError, match=r"'in' on a Tensor of shape \(2, 2\).*number or a "
                                            r"tensor.*np\.asarray\(values\) in t"):
            value in t          # noqa: B015
    assert np.asarray([1.0, 3.0]) in t


def test_membership_inside_a_compiled_step_is_refused_as_any_python_use_of_a_value():
    step = ad.compile(lambda x: x * (2.0 if 0.5 in x else 3.0))
    with pytest.raises(ad.TraceError, match=r"bool\(\).*would be fixed into the plan"):
        step(ad.tensor([0.5, 1.0]))


# ----- np.vecdot(..., keepdims=True) -----------------------------------------------
@pytest.mark.parametrize("shapes, axis", [
    (((3, 4), (3, 4)), 0), (((3, 4), (3, 4)), -1), (((3, 4), (4,)), -1),
    (((2, 3, 4), (2, 3, 4)), 1), (((2, 3, 4), (3, 4)), -2)])
def test_vecdot_keeping_the_summed_axis_is_numpys_with_gradients(shapes, axis):
    a, b = (_rng.normal(size=shape) for shape in shapes)
    expected = np.vecdot(a, b, axis=axis, keepdims=True)
    got = np.vecdot(ad.tensor(a), ad.tensor(b), axis=axis, keepdims=True)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got.data, expected, rtol=1e-14)
    weights = _rng.normal(size=expected.shape)
    grad = ad.grad(lambda t: (np.vecdot(t, b, axis=axis, keepdims=True) * weights).sum())(a)
    numerical = central_difference(
        lambda p: (np.vecdot(p.reshape(a.shape), b, axis=axis, keepdims=True) * weights).sum(),
        a.ravel())
    np.testing.assert_allclose(grad.ravel(), numerical, rtol=1e-6, atol=1e-6)


def test_vecdot_keepdims_false_is_the_default_shape():
    a = _rng.normal(size=(3, 4))
    assert np.vecdot(ad.tensor(a), ad.tensor(a), keepdims=False).shape == (3,)


# ----- a list of Tensors given to a NumPy function: the function named as written ----
@pytest.mark.parametrize("call, name", [
    (lambda x: np.exp([x[0], x[1]]), "np.exp, a ufunc,"),
    (lambda x: np.maximum([x[0], 0.0], 0.1), "np.maximum, a ufunc,"),
    (lambda x: np.linalg.norm([x[0], x[1]]), "np.linalg.norm,"),
    (lambda x: np.sum((x[0], x[1])), "np.sum,"),
], ids=["ufunc", "two-input ufunc", "linalg", "reduction"])
def test_a_list_of_tensors_names_the_numpy_function_and_np_stack(call, name):
    x = ad.tensor(np.array([0.5, -1.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.TapeDropWarning)
        with pytest.raises(ad.TapeDropWarning, match=re.escape(name) + r" which does not look "
                           r"inside a list for Tensors.*\(np\.\w+(\.\w+)?\(np\.stack\(list\)\)"):
            call(x)


@pytest.mark.parametrize("call, words", [
    (lambda x: np.ma.masked_invalid(x), r"np\.ma\.masked_invalid, .*keep the mask beside "
                                        r"the Tensor.*np\.sum\(t, where=~mask\)"),
], ids=["np.ma"])
def test_a_numpy_function_off_the_tape_is_named_from_its_public_namespace(call, words):
    x = ad.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.TapeDropWarning)
        with pytest.raises(ad.TapeDropWarning, match=words):
            call(x)


def test_the_suggested_masked_sum_is_on_the_tape():
    x = ad.tensor(np.array([0.5, np.nan, 2.0]), requires_grad=True)
    mask = np.isnan(x.data)
    total = np.sum(np.where(mask, 0.0, x), where=~mask)
    np.testing.assert_array_equal(total.data, 2.5)
    total.backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 1.0])


def test_the_suggested_stack_keeps_the_list_on_the_tape():
    x = ad.tensor(np.array([0.5, -1.0]), requires_grad=True)
    np.linalg.norm(np.stack([x[0], 2.0 * x[1]])).backward()
    expected = np.array([0.5, 4.0 * -1.0]) / np.hypot(0.5, 2.0)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-14)


# ----- ufuncs asked for an integer or bool loop by dtype= / signature= ----------------
_I8 = np.array([[3, -1, 2, 0], [5, 4, -2, 1], [0, 7, 1, 3]], dtype=np.int8)


@pytest.mark.parametrize("call", [
    lambda x: np.add(x, 1.5, casting="unsafe", dtype=np.int8),
    lambda x: np.add(x, x, dtype=np.int16),
    lambda x: np.multiply(x, 100, dtype=np.int64),
    lambda x: np.floor_divide(x, 2, dtype=np.int16),
    lambda x: np.maximum(x, 1, signature=(np.int32, np.int32, np.int32)),
    lambda x: np.add(x > 0, x > 1, dtype=np.int8),
    lambda x: np.power(x, 2, dtype=np.int32),
    lambda x: np.add.outer(x[0], x[1], dtype=np.int16),
    lambda x: np.multiply(x.astype(float) * 0.7, 3.0, dtype=np.int32, casting="unsafe"),
], ids=["unsafe int8", "int16", "int64", "floor_divide", "signature", "bools", "power",
        "outer", "float to int"])
def test_an_integer_loop_is_numpys(call):
    expected = call(_I8.copy())
    got = call(ad.tensor(_I8.copy()))
    assert isinstance(got, ad.Tensor) and got.dtype == expected.dtype
    np.testing.assert_array_equal(got.data, expected)


def test_an_integer_loop_of_a_float_tensor_has_no_gradient_and_numpys_casting_errors():
    x = ad.tensor(3.0 * _rng.normal(size=(2, 3)), requires_grad=True)
    tripled = np.multiply(x, 3.0, dtype=np.int32, casting="unsafe")
    np.testing.assert_array_equal(tripled.data, x.data.astype(np.int32) * 3)
    assert tripled.dtype == np.int32 and not tripled.requires_grad
    (x * tripled).sum().backward()                  # the product's gradient, not the loop's
    np.testing.assert_array_equal(x.grad, tripled.data)
    with pytest.raises(TypeError, match="same_kind"):
        np.add(x, 1, dtype=np.int32)                # NumPy's refusal, float64 to int32


# ----- values that are a view of the tensor written into --------------------------
_WRITES = {
    "mask setitem": (lambda t, v: t.__setitem__(t > 0, v),
                     lambda t: t.reshape(-1)[:int((t > 0).sum())]),
    "np.place": (lambda t, v: np.place(t, t > 0, v), lambda t: t[0]),
}


@pytest.mark.parametrize("name", sorted(_WRITES))
def test_values_numpy_reads_while_writing_them_are_refused_naming_the_copy(name):
    """NumPy's boolean assignment and np.place read values that are a view of the target
    while they write (already overwritten entries are read again); the recorded write
    took them as they were, silently another result.  Refused as PyTorch refuses
    writes from overlapping memory; the suggested copy is NumPy's own result then."""
    write, view_of = _WRITES[name]
    data = np.random.default_rng(9).normal(size=(3, 4))     # (where NumPy's loop rereads)
    t = ad.tensor(data.copy(), requires_grad=True) * 1.0
    with pytest.raises(ValueError, match=r"view of the tensor written into.*NumPy reads "
                                         r"while it writes.*Write a copy of them: "):
        write(t, view_of(t))
    np.testing.assert_array_equal(t.data, data)     # nothing written
    expected = data.copy()
    write(expected, view_of(expected).copy())
    write(t, view_of(t).copy())
    np.testing.assert_array_equal(t.data, expected)


def test_overlapping_values_numpy_copies_or_that_agree_are_written():
    data = _rng.normal(size=(3, 4))
    for write in (lambda t: t.__setitem__(slice(1, None), t[:-1]),     # NumPy copies first
                  lambda t: t.__setitem__(np.array([True, True, False]), t[0]),  # row 0 itself
                  lambda t: t.__setitem__([2, 1], t[[0, 1]])):
        t = ad.tensor(data.copy(), requires_grad=True)
        expected, tensor = data.copy(), t * 1.0
        write(expected)
        write(tensor)
        np.testing.assert_array_equal(tensor.data, expected)
        tensor.sum().backward()
        assert t.grad is not None


# ----- dtype= of np.cov, np.corrcoef, np.clip and of ufuncs writing into out= -------
_X = _rng.normal(size=(3, 5))


@pytest.mark.parametrize("call", [
    lambda x: np.cov(x, dtype=np.float32),
    lambda x: np.cov(x.astype(np.float32), dtype=np.float32),
    lambda x: np.cov(x[0], x[1], dtype=np.float32),
    lambda x: np.cov(x, aweights=np.arange(1.0, 6.0), dtype=np.float32),
    lambda x: np.corrcoef(x, dtype=np.float32),
    lambda x: np.cov(x, dtype=np.float64),
    lambda x: np.clip(x, -0.5, 0.5, dtype=np.float32),
    lambda x: np.clip(x, None, 0.5, dtype=np.float32),
    lambda x: np.clip(x, -0.5, 0.5, dtype=np.int64, casting="unsafe"),
    lambda x: (lambda o: (np.clip(x, -0.5, 0.5, out=o, dtype=np.float32), o)[1])(
        np.zeros_like(x)),
    lambda x: (lambda o: (np.add(x, 1.0, out=o, dtype=np.float32), o)[1])(np.zeros_like(x)),
    lambda x: (lambda o: (np.exp(x, out=o, where=x > 0, dtype=np.float32), o)[1])(
        np.zeros_like(x)),
], ids=["cov", "cov of float32", "cov of two", "cov aweights", "corrcoef", "cov float64",
        "clip", "clip above", "clip int", "clip out", "add out", "exp out where"])
def test_a_computing_dtype_is_numpys_to_the_bit(call):
    expected = call(_X.copy())
    got = call(ad.tensor(_X.copy(), requires_grad=True))
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got.data, expected)


def test_the_float32_covariance_has_the_gradient_of_its_float64_twin_within_float32():
    grad32 = ad.grad(lambda t: np.cov(t, dtype=np.float32).sum())(_X.copy())
    grad64 = ad.grad(lambda t: np.cov(t).sum())(_X.copy())
    np.testing.assert_allclose(grad32, grad64, rtol=1e-5, atol=1e-6)
    numerical = central_difference(lambda p: np.cov(p.reshape(3, 5)).sum(), _X.ravel())
    np.testing.assert_allclose(grad64.ravel(), numerical, rtol=1e-6, atol=1e-6)


def test_an_integer_covariance_is_refused_as_numpy_refuses_it():
    with pytest.raises(TypeError):
        np.cov(_X, dtype=np.int64)
    with pytest.raises(TypeError, match=r"cov: dtype=int64 cannot hold.*floating-point dtype"):
        np.cov(ad.tensor(_X), dtype=np.int64)


def test_a_row_updated_through_its_own_view_is_not_checked_as_an_overlapping_write():
    # buf[i] += 1 writes the row with itself (a basic index: NumPy copies overlapping
    # values first), so the overlap check, which copies the whole array, is not run.
    import autodiff.aliased_writes as aliased

    calls = []
    original = aliased.refuse_overlapping_values
    aliased.refuse_overlapping_values = lambda *args: calls.append(args)
    try:
        buf = ad.tensor(np.zeros((6, 4)))
        for i in range(6):
            buf[i] += 1.0
        buf[1:] = buf[:-1]
        assert calls == []
        buf[buf.data[:, 0] > 0] = buf[0]
        assert len(calls) == 1
    finally:
        aliased.refuse_overlapping_values = original
    np.testing.assert_array_equal(buf.data, np.ones((6, 4)))
