"""What probing around the tenth set of NumPy programs (test_numpy_programs_tenth.py)
found.  Failing where NumPy computes: ``out=`` an ndarray was refused for every Tensor,
also for one off the tape (a constant, an integer result, anything under
``ad.no_grad()``), whose result an ndarray holds with nothing lost, so ``counts +=
np.bincount(t_idx)`` into an integer ndarray, ``np.add(acc, t, out=acc)`` and
``np.clip(t, 0, 1, out=arr)`` raised ("the result is a Tensor on the tape", which it was
not); ``np.histogram(data, range=(t_lo, t_hi))`` of an ndarray with a range of Tensors
(NumPy does not hand the call to the Tensors, and its own code adds their counts into
an ndarray) raised that error from inside NumPy, naming an ``a += t`` the user never
wrote, where it now runs as NumPy's and warns that the density's gradient is lost at the
user's line, as every conversion NumPy makes of a Tensor does.  ``np.add.at(t, idx,
t[:3])`` (and ``subtract``/``maximum``/``minimum``) with the values a view of the target
was refused in grad mode, naming a ``broadcast_to`` view the user never made, where NumPy
reads every value before it writes; the values are now taken as they were, NumPy's result
to the bit, with the gradient of that.  Unclear: ``np.ma.MaskedArray(t)``,
``np.ma.masked_array(t)`` and ``np.matrix(t)`` (classes, whose ``__new__`` converts) warned
of the tape drop without naming them or the masked fix the other ``np.ma`` functions get;
``rng.permutation(t)``, ``rng.choice(t, k)`` and ``rng.permuted(t)`` were told to write the
draw as a function of a standard one (a reparameterisation), where the fix is to draw
the positions and gather with them (``t[rng.permutation(len(t))]``, NumPy's same draw)."""

import warnings

import numpy as np
import pytest

import autodiff as ad

from numpy_probe_checks import check_probe

_rng = np.random.default_rng(1010)
_A = _rng.normal(size=(3, 4))
_DATA = np.array([0.05, 0.2, 0.4, 0.55, 0.8, 0.95])


# ----- out= an ndarray takes a result of Tensors off the tape --------------------
@pytest.mark.parametrize("call", [
    lambda t, out: np.add(out, t, out=out),
    lambda t, out: out.__iadd__(t),
    lambda t, out: np.multiply(t, 2.0, out=out, where=t > 0),
    lambda t, out: np.clip(t, -0.5, 0.5, out=out),
    lambda t, out: np.cumsum(t, axis=1, out=out),
    lambda t, out: np.matmul(t, np.eye(4), out=out),
    lambda t, out: np.add.accumulate(t, axis=0, out=out),
    lambda t, out: np.multiply.outer(t[0, :3], t[:, 0], out=out[:, :3].T),
    lambda t, out: np.concatenate([t[:1], t[1:]], out=out),
    lambda t, out: np.var(t, axis=0, ddof=1, out=out[0]),
    lambda t, out: np.nanstd(t, axis=1, dtype=np.float32, out=out[:, 0]),
], ids=["add into out", "ndarray += t", "where=", "clip", "cumsum", "matmul",
        "add.accumulate", "outer into a view", "concatenate of a list", "var", "nanstd"])
def test_a_result_off_the_tape_is_written_into_an_ndarray_as_numpys(call):
    expected_out = np.ones((3, 4))
    expected = call(_A.copy(), expected_out)
    out = np.ones((3, 4))
    got = call(ad.tensor(_A.copy()), out)
    assert type(got) is type(expected) and np.shares_memory(got, out) == np.shares_memory(
        expected, expected_out)
    np.testing.assert_array_equal(out, expected_out)


def test_integer_counts_of_a_tensor_add_into_an_integer_ndarray():
    x = ad.tensor(_DATA, requires_grad=True)
    counts = np.zeros(4, dtype=np.int64)
    bins = (x * 4).astype(int)                     # (an integer result: off the tape)
    counts += np.bincount(bins, minlength=4)
    np.testing.assert_array_equal(counts, np.bincount((_DATA * 4).astype(int), minlength=4))
    assert counts.dtype == np.int64


def test_under_no_grad_a_parameter_adds_into_an_ndarray():
    p = ad.nn.Parameter(_A.copy())
    average = np.zeros((3, 4))
    with ad.no_grad():
        average *= 0.9
        average += p          # an exponential moving average kept as an ndarray
    np.testing.assert_array_equal(average, _A)


def test_a_tensor_on_the_tape_is_still_refused_naming_the_fix():
    x = ad.tensor(_A.copy(), requires_grad=True)
    with pytest.raises(TypeError, match="numpy.add with out=.*write `a = a \\+ t`"):
        out = np.zeros((3, 4))
        out += x
    with pytest.raises(TypeError, match="numpy.cumsum with out= an ndarray on a Tensor"):
        np.cumsum(x * 2, axis=1, out=np.zeros((3, 4)))
    with pytest.raises(TypeError, match="numpy.clip with out= on a Tensor"):
        np.clip(x, 0, 1, out=np.zeros((3, 4)))
    with pytest.raises(TypeError, match="numpy.var with out= an ndarray on a Tensor"):
        np.var(x, axis=0, out=np.zeros(4))


def test_a_compiled_step_refuses_a_traced_value_written_into_an_ndarray():
    total = np.zeros(3)

    @ad.compile
    def step(batch):
        np.add(total, batch, out=total)
        return (batch * 2).sum()

    with pytest.raises(ad.TraceError, match="np.asarray.*traced tensor.*test_numpy_tenth"):
        step(ad.tensor(np.ones(3)))


# ----- np.histogram with a range of Tensors -------------------------------------
def test_a_histogram_of_an_ndarray_with_a_range_of_tensors_is_numpys_and_warns():
    low_high = ad.tensor([0.01, 0.99], requires_grad=True)
    with pytest.warns(ad.TapeDropWarning, match="test_numpy_tenth_findings.py"):
        density, edges = np.histogram(_DATA, bins=3, range=(low_high[0], low_high[1]),
                                      density=True)
    expected_density, expected_edges = np.histogram(_DATA, bins=3, range=(0.01, 0.99),
                                                    density=True)
    assert not isinstance(density, ad.Tensor)       # (NumPy's np.array(..., float) of it)
    np.testing.assert_array_equal(density, expected_density)
    np.testing.assert_array_equal(edges.data, expected_edges)


def test_a_histogram_with_a_range_of_tensors_inside_a_transform_refuses():
    def density_sum(bounds):
        density, _ = np.histogram(_DATA, bins=3, range=(bounds[0], bounds[1]), density=True)
        return (density ** 2).sum()
    with pytest.raises(TypeError, match="converted to a NumPy array"):
        ad.grad(density_sum)(np.array([0.01, 0.99]))


def test_a_histogram_of_a_tensor_ranged_by_its_own_extremes_keeps_the_gradient():
    """The Tensor as the data is handed to the library: the range's gradient flows."""
    def spread(x):
        density, edges = np.histogram(x, bins=3, range=(x.min(), x.max()), density=True)
        return (density ** 2).sum() + edges[1]
    check_probe(spread, (_DATA.copy(),))


# ----- ufunc.at with values that are a view of the target ----------------------
def _scatter_with_aliased_values(ufunc, values):
    def call(a):
        target = a * 1.0
        ufunc.at(target, np.array([1, 1, 2]), values(target))
        return target
    return call


@pytest.mark.parametrize("ufunc", [np.add, np.subtract, np.maximum, np.minimum],
                         ids=lambda u: u.__name__)
@pytest.mark.parametrize("values", [lambda t: t[:3], lambda t: t[1:4][::-1],
                                    lambda t: t.reshape(5)[2:], lambda t: t[0]],
                         ids=["prefix", "reversed", "reshaped", "0-d"])
def test_ufunc_at_reads_values_that_view_the_target_before_it_writes(ufunc, values):
    check_probe(_scatter_with_aliased_values(ufunc, values),
                (np.array([1.0, 2.5, -3.0, 4.0, 0.5]),))


def test_add_at_of_an_aliased_prefix_has_numpys_value_and_the_chain_rules_gradient():
    x = ad.tensor([1.0, 2.0, 3.0, 4.0, 5.0], requires_grad=True)
    t = x * 1.0
    np.add.at(t, [1, 1, 2], t[:3])
    expected = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    np.add.at(expected, [1, 1, 2], expected[:3])
    np.testing.assert_array_equal(t.data, expected)
    (t * np.arange(5.0)).sum().backward()
    # t'1 = 2 t1 + t0, t'2 = 2 t2: weights 1 and 2 give 1 to t0, 2 to t1, 4 to t2
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 4.0, 3.0, 4.0])


def test_add_at_of_aliased_values_has_second_derivatives():
    def f(a):
        t = a * a
        np.add.at(t, np.array([0, 0, 3]), t[1:4])
        return (t * t).sum()
    assert ad.gradgradcheck(f, [np.array([0.3, -1.2, 0.8, 1.5, -0.4])])


def test_no_warning_is_left_behind_by_the_probes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _scatter_with_aliased_values(np.add, lambda t: t[:3])(
            ad.tensor(np.ones(5), requires_grad=True))


# ----- a masked array class made of a Tensor is named ---------------------------
@pytest.mark.parametrize("call, words", [
    (lambda x: np.ma.MaskedArray(x, mask=[False, True, False]),
     r"np\.ma\.MaskedArray, an ndarray subclass.*keep the mask beside the Tensor"),
    (lambda x: np.ma.masked_array(x, [False, True, False]),
     r"np\.ma\.masked_array, an ndarray subclass.*np\.sum\(t, where=~mask\)"),
    (lambda x: np.matrix(x), r"np\.matrix, an ndarray subclass.*use the Tensor itself"),
], ids=["np.ma.MaskedArray", "np.ma.masked_array", "np.matrix"])
def test_an_ndarray_subclass_made_of_a_tensor_is_named_with_the_fix(call, words):
    x = ad.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.TapeDropWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)     # (np.matrix's)
        with pytest.raises(ad.TapeDropWarning, match=words):
            call(x)


# ----- a shuffle or a pick of a Tensor's entries names the gather that keeps them ----
_ENTRIES = np.array([0.5, -1.0, 2.0, 3.0, -0.25])


@pytest.mark.parametrize("draw, gather, words", [
    (lambda rng, x: rng.permutation(x), lambda rng, x: x[rng.permutation(len(x))],
     r"Generator\.permutation, which picks .*t\[rng\.permutation\(len\(t\)\)\]"),
    (lambda rng, x: rng.choice(x, 3), lambda rng, x: x[rng.choice(len(x), 3)],
     r"Generator\.choice, which picks .*t\[rng\.choice\(len\(t\), size"),
    (lambda rng, x: rng.permuted(x.reshape(1, 5), axis=1),
     lambda rng, x: np.take_along_axis(x.reshape(1, 5), rng.permuted(
         np.indices((1, 5))[1], axis=1), axis=1),
     r"Generator\.permuted, which picks .*np\.take_along_axis\(t, rng\.permuted"),
], ids=["permutation", "choice", "permuted"])
def test_a_random_pick_of_a_tensors_entries_names_the_gather_that_keeps_them(draw, gather,
                                                                           words):
    x = ad.tensor(_ENTRIES.copy(), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.TapeDropWarning)
        with pytest.raises(ad.TapeDropWarning, match=words):
            draw(np.random.default_rng(3), x)
        kept = gather(np.random.default_rng(3), x)      # the suggestion: NumPy's draw
    np.testing.assert_array_equal(kept.data, draw(np.random.default_rng(3), _ENTRIES.copy()))
    kept.sum().backward()
    assert x.grad is not None and x.grad.sum() == kept.size



@pytest.mark.parametrize("function", [np.convolve, np.correlate])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_short_kernels_are_numpys_to_the_bit_at_the_edges_and_on_columns(function, mode,
                                                                        dtype):
    # NumPy sums a kernel of up to 11 taps tap by tap, each edge output as a dot of the
    # overlap, on contiguous copies; a BLAS dot of padded or strided values summed in
    # another order on some CPUs (half of these differed in the last bit on one)
    rng = np.random.default_rng(5)
    for long_size in (1, 4, 9, 13):
        for short_size in (1, 3, 5, 11):
            matrix = rng.normal(size=(long_size, 3)).astype(dtype)
            taps = rng.normal(size=short_size).astype(dtype)
            x = ad.tensor(matrix, requires_grad=True)
            got = function(x[:, 1], taps, mode)           # a strided column
            want = function(matrix[:, 1], taps, mode)
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got.data, want)
            got.sum().backward()
            column = matrix[:, 1].astype(np.float64)
            step = np.eye(long_size)               # (the sum is linear in the column)
            numerical = [(function(column + e, taps, mode).sum()
                          - function(column - e, taps, mode).sum()) / 2 for e in step]
            np.testing.assert_allclose(x.grad[:, 1], numerical, rtol=1e-5, atol=1e-5)
            assert not x.grad[:, [0, 2]].any()
