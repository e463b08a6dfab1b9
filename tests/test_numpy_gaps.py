"""NumPy functions and ndarray methods on Tensors that ordinary NumPy code calls:
integer ufuncs, dtype and memory questions, index helpers, set operations, np.poly,
np.polydiv, np.apply_over_axes, np.astype, the in-place writers (np.put, np.putmask,
np.place, np.copyto, Tensor.put/resize/partition/flat), functions with complex results,
saving, and the rest of ndarray's attributes.  Values against NumPy; gradients against
central differences (float64) and HIPS autograd where it has the function."""

from __future__ import annotations

import pickle

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(11)
SHAPES = [(), (1,), (3,), (2, 1), (2, 3)]


def _same(got, ref):
    """``got`` is a Tensor holding exactly NumPy's ``ref`` (values, dtype, shape)."""
    ref = np.asarray(ref)
    assert isinstance(got, ad.Tensor), type(got)
    assert got.shape == ref.shape and got.dtype == ref.dtype, (got, ref)
    np.testing.assert_array_equal(got.data, ref)


# --- functions that run without a gradient ------------------------------------------

INTEGERS = np.array([[3, 12, -5], [7, 0, 8]])
INTEGER_CASES = [
    ("left_shift", lambda m, a: m.left_shift(a, 2)),
    ("bitwise_left_shift", lambda m, a: m.bitwise_left_shift(3, m.abs(a) % 4)),
    ("right_shift", lambda m, a: m.right_shift(a, 1)),
    ("bitwise_right_shift", lambda m, a: m.bitwise_right_shift(a, 2)),
    ("bitwise_count", lambda m, a: m.bitwise_count(a)),
    ("gcd", lambda m, a: m.gcd(a, 6)),
    ("lcm", lambda m, a: m.lcm(a, 4)),
    ("logical_xor", lambda m, a: m.logical_xor(a > 0, a > 5)),
    ("ravel_multi_index", lambda m, a: m.ravel_multi_index((m.abs(a) % 2, m.abs(a) % 3),
                                                           (2, 3))),
    ("packbits", lambda m, a: m.packbits(a > 2, axis=-1)),
    ("unpackbits", lambda m, a: m.unpackbits(m.abs(a).astype(np.uint8), axis=1)),
]


@pytest.mark.parametrize("name, call", INTEGER_CASES, ids=[c[0] for c in INTEGER_CASES])
def test_integer_functions_give_numpys_values_as_tensors(name, call):
    _same(call(np, ad.tensor(INTEGERS)), call(np, INTEGERS))


def test_shift_operators_are_numpys():
    t = ad.tensor(INTEGERS)
    _same(t << 2, INTEGERS << 2)
    _same(t >> 1, INTEGERS >> 1)
    _same(1 << ad.tensor([0, 3]), 1 << np.array([0, 3]))
    _same(64 >> ad.tensor([0, 3]), 64 >> np.array([0, 3]))


def test_integer_ufuncs_refuse_floats_as_numpy_does():
    with pytest.raises(TypeError):
        np.gcd(ad.tensor([2.0], requires_grad=True), 4)
    with pytest.raises(TypeError):
        ad.tensor([2.0]) << 1


def test_logical_xor_is_an_op_and_a_method():
    x = ad.tensor([0.5, 2.0, -1.0], requires_grad=True)
    y = ad.logical_xor(x > 0, x > 1)
    _same(y, [True, False, False])
    assert not y.requires_grad
    _same(x.logical_xor(ad.tensor([1.0, 0.0, 1.0])), [False, True, False])


def test_index_helpers_return_numpys_index_arrays():
    i, j = ad.tensor([0, 2]), ad.tensor([1, 0, 2])
    grid = np.ix_(i, j)
    reference = np.ix_(i.data, j.data)
    assert len(grid) == 2
    for got, ref in zip(grid, reference):
        np.testing.assert_array_equal(got, ref)
    x = ad.tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
    picked = x[np.ix_(i, j)]
    picked.sum().backward()
    expected = np.zeros((3, 3))
    expected[np.ix_(i.data, j.data)] = 1.0
    np.testing.assert_array_equal(x.grad, expected)
    rows, cols = np.unravel_index(ad.tensor([5, 1]), (2, 3))
    np.testing.assert_array_equal(rows, [1, 0])
    np.testing.assert_array_equal(cols, [2, 1])


def test_dtype_and_memory_questions_read_the_data():
    t = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert np.can_cast(t, np.float32) == np.can_cast(t.data, np.float32)
    assert np.can_cast(ad.tensor([1], dtype=np.int8), np.int64)
    assert np.common_type(t, ad.tensor(np.ones(1, np.float32))) is np.float64
    assert np.min_scalar_type(ad.tensor(300)) == np.min_scalar_type(300)
    assert np.shares_memory(t, t[0]) and np.may_share_memory(t, t[:, 1])
    assert not np.shares_memory(t, t * 1.0)
    assert np.array_equiv(t, [1.0, 2.0]) is False
    assert np.array_equiv(ad.tensor([[1.0, 1.0]]), 1.0) is True


# --- np.astype, np.nextafter ----------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES)
def test_np_astype_is_tensor_astype_with_its_gradient(shape):
    a = RNG.standard_normal(shape)
    _same(np.astype(ad.tensor(a), np.float32), np.astype(a, np.float32))
    _same(np.astype(ad.tensor(a), np.int64), np.astype(a, np.int64))

    def f(x):
        return (np.astype(x, np.float32) * 3.0).sum()

    x = ad.tensor(a, requires_grad=True)
    f(x).backward()
    np.testing.assert_allclose(x.grad, autograd.grad(
        lambda v: anp.sum(v.astype(np.float32) * 3.0))(a))
    assert x.grad.dtype == np.float64
    assert ad.gradcheck(lambda v: np.astype(np.astype(v, np.float64) ** 2, np.float64).sum(),
                        [a])


def test_np_astype_copy_false_and_device():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    assert np.astype(x, np.float64, copy=False) is x
    assert np.astype(x, np.float64) is not x
    assert np.astype(x, np.float32, copy=False).dtype == np.float32
    with pytest.raises(ValueError, match="device 'gpu'"):
        np.astype(x, np.float32, device="gpu")
    assert not np.astype(x, np.int32).requires_grad


def test_nextafter_values_and_gradients():
    x = ad.tensor([1.0, -2.0, 0.0], requires_grad=True)
    y = ad.tensor([2.0, -3.0, -1.0], requires_grad=True)
    out = np.nextafter(x, y)
    _same(out, np.nextafter(x.data, y.data))
    (out * np.array([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(y.grad, [0.0, 0.0, 0.0])


# --- set operations -----------------------------------------------------------------

SET_CASES = [
    ("union1d", np.union1d, {}),
    ("intersect1d", np.intersect1d, {}),
    ("setdiff1d", np.setdiff1d, {}),
    ("setxor1d", np.setxor1d, {}),
    ("intersect1d unique", np.intersect1d, {"assume_unique": True}),
]


@pytest.mark.parametrize("name, func, options", SET_CASES, ids=[c[0] for c in SET_CASES])
def test_set_operations_gather_numpys_values(name, func, options):
    a = np.array([[4.0, 1.0, 7.0], [2.0, 9.0, 5.0]])
    b = np.array([7.0, 3.0, 4.0, 8.0])
    if not options:                     # repeated values, merged by NumPy
        a[1, 2] = 1.0
    ta, tb = ad.tensor(a, requires_grad=True), ad.tensor(b, requires_grad=True)
    out = func(ta, tb, **options)
    reference = func(a, b, **options)
    _same(out.detach(), reference)
    weights = RNG.standard_normal(reference.shape)
    (out * weights).sum().backward()
    joined = np.concatenate([a.ravel(), b.ravel()])
    expected = np.zeros(joined.size)
    for w, v in zip(weights, reference):
        expected[np.flatnonzero(joined == v)[0]] += w          # its first occurrence
    np.testing.assert_allclose(ta.grad.ravel(), expected[:a.size])
    np.testing.assert_allclose(tb.grad, expected[a.size:])


def test_intersect1d_return_indices_and_integers():
    a, b = ad.tensor([5, 1, 3]), ad.tensor([3, 4, 5])
    values, i, j = np.intersect1d(a, b, return_indices=True)
    reference = np.intersect1d(a.data, b.data, return_indices=True)
    _same(values, reference[0])
    np.testing.assert_array_equal(i, reference[1])
    np.testing.assert_array_equal(j, reference[2])
    _same(np.union1d(a, [9]), np.union1d(a.data, [9]))
    _same(np.setdiff1d(ad.tensor([1.0]), ad.tensor([1.0])), np.setdiff1d([1.0], [1.0]))
    for func in (np.union1d, np.intersect1d, np.setdiff1d, np.setxor1d):   # mixed dtypes
        for first, second in [([3, 1, 2], [2.0, 5.0]), (np.float32([3.0, 1.0]), [1.0, 4.0])]:
            _same(func(ad.tensor(first), ad.tensor(second)), func(np.asarray(first), second))
    x = ad.tensor(np.float32([3.0, 1.0]), requires_grad=True)
    np.setdiff1d(x, [1.0]).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0])


@pytest.mark.parametrize("func", [np.union1d, np.setxor1d, np.setdiff1d])
def test_set_operations_match_central_differences_where_the_sets_are_stable(func):
    # distinct values, far apart: a small move changes no membership
    values = RNG.permutation(np.arange(10.0)) + RNG.uniform(0.1, 0.4, 10)
    a, b = values[:6].reshape(2, 3), values[6:]
    weights = RNG.standard_normal(func(a, b).shape)
    assert ad.gradcheck(lambda x, y: (func(x, y) * weights).sum(), [a, b])
    assert ad.gradgradcheck(lambda x, y: (func(x, y) ** 2 * weights).sum(), [a, b])


# --- np.poly, np.polydiv, np.apply_over_axes -----------------------------------------

@pytest.mark.parametrize("roots", [[2.0], [1.0, -0.5], [0.3, 1.2, -2.0, 0.7], [1.0, 1.0]])
def test_poly_of_roots(roots):
    r = np.array(roots)
    _same(np.poly(ad.tensor(r)), np.poly(r))
    weights = RNG.standard_normal(len(roots) + 1)
    assert ad.gradcheck(lambda x: (np.poly(x) * weights).sum(), [r])
    assert ad.gradgradcheck(lambda x: (np.poly(x) * weights).sum(), [r])


def test_poly_dtypes_matrices_and_refusals():
    _same(np.poly(ad.tensor([1, 2])), np.poly(np.array([1, 2])))
    _same(np.poly(ad.tensor(np.float32([1, 2]))), np.poly(np.float32([1, 2])))
    assert np.poly(ad.tensor(np.zeros(0))) == 1.0
    m = np.array([[1.0, 2.0], [3.0, 4.0]])
    _same(np.poly(ad.tensor(m)), np.poly(m))
    with pytest.raises(TypeError, match="eigvalsh"):
        np.poly(ad.tensor(m, requires_grad=True))
    with ad.no_grad():
        _same(np.poly(ad.tensor(m, requires_grad=True)), np.poly(m))


POLYDIV_CASES = [([1.0, 0.0, -1.0], [1.0, 1.0]), ([1.0, 2.0, 3.0, 4.0], [2.0, 1.0]),
                 ([1.5], [1.0, 2.0, 3.0]), ([3.0, 2.0, 1.0], [2.0]),
                 ([0.7, -1.3, 2.2, 0.4, 1.1], [1.2, -0.4, 0.9])]


@pytest.mark.parametrize("u, v", POLYDIV_CASES)
def test_polydiv_values_and_gradients(u, v):
    u, v = np.array(u), np.array(v)
    q, r = np.polydiv(ad.tensor(u), ad.tensor(v))
    q_ref, r_ref = np.polydiv(u, v)
    _same(q, q_ref)
    _same(r, r_ref)
    wq, wr = RNG.standard_normal(q_ref.shape), RNG.standard_normal(r_ref.shape)

    def f(a, b):
        q, r = np.polydiv(a, b)
        return (q * wq).sum() + (r * wr).sum()

    assert ad.gradcheck(f, [u, v])
    assert ad.gradgradcheck(f, [u, v])


def test_polydiv_dtypes():
    for u, v in [(np.float32([1, 2, 3]), np.float32([1, 1])), (np.array([1, 2, 3]), [1, 1])]:
        for got, ref in zip(np.polydiv(ad.tensor(u), v), np.polydiv(u, v)):
            _same(got, ref)


@pytest.mark.parametrize("func, axes", [(np.sum, [0, 2]), (np.mean, -1), (np.max, (1,)),
                                        (lambda a, axis: np.cumsum(a, axis), [1, 0])])
def test_apply_over_axes_records_each_call(func, axes):
    a = RNG.standard_normal((2, 3, 4))
    _same(np.apply_over_axes(func, ad.tensor(a), axes), np.apply_over_axes(func, a, axes))
    weights = RNG.standard_normal(np.apply_over_axes(func, a, axes).shape)
    assert ad.gradcheck(lambda x: (np.apply_over_axes(func, x, axes) * weights).sum(), [a])


def test_apply_over_axes_refuses_a_wrong_shape():
    with pytest.raises(ValueError, match="function is not returning"):
        np.apply_over_axes(lambda a, axis: a.sum(), np.ones((2, 2)), 0)      # NumPy's own
    with pytest.raises(ValueError, match="apply_over_axes: the function is not returning"):
        np.apply_over_axes(lambda a, axis: a.sum(), ad.tensor(np.ones((2, 2))), 0)


# --- in-place writers -----------------------------------------------------------------

WRITES = [
    ("put", lambda t, v: np.put(t, [4, 0, -1], v), 3),
    ("put short values", lambda t, v: np.put(t, [1, 2, 3], v), 2),
    ("put wrap", lambda t, v: np.put(t, [7, -8], v, mode="wrap"), 2),
    ("put clip", lambda t, v: np.put(t, [-3, 20], v, mode="clip"), 2),
    ("putmask", lambda t, v: np.putmask(t, MASK, v), 4),
    ("place", lambda t, v: np.place(t, MASK, v), 2),
    ("copyto", lambda t, v: np.copyto(t, v.reshape(1, 3) if np.ndim(v) else v), 3),
    ("copyto where", lambda t, v: np.copyto(t, v.reshape(1, 3), where=MASK), 3),
    ("Tensor.put", lambda t, v: t.put([1, 5], v), 2),
    ("flat", lambda t, v: t.flat.__setitem__(slice(1, 4), v), 3),
    ("flat mask", lambda t, v: t.flat.__setitem__(MASK.ravel(), v), 3),
]
MASK = np.array([[True, False, True], [False, False, True]])


def _write_reference(write, x, v):
    """The write applied with NumPy to arrays (a Tensor's flat and put go to ndarray's)."""
    x = x.copy()
    if write[0] == "Tensor.put":
        x.put([1, 5], v)
    elif write[0].startswith("flat"):
        key = slice(1, 4) if write[0] == "flat" else MASK.ravel()
        x.flat[key] = v
    else:
        write[1](x, v)
    return x


@pytest.mark.parametrize("write", WRITES, ids=[w[0] for w in WRITES])
def test_writers_match_numpy_and_pass_gradients(write):
    _, apply, n_values = write
    base = RNG.standard_normal((2, 3))
    values = RNG.standard_normal(n_values)
    if write[0] in ("copyto", "Tensor.put") or write[0].startswith("flat"):
        values = values[:3] if write[0] != "Tensor.put" else values
    t = ad.tensor(base)
    apply(t, ad.tensor(values))
    _same(t, _write_reference(write, base, values))
    weights = RNG.standard_normal((2, 3))

    def f(x, v):
        y = x * 1.0
        apply(y, v)
        return (y * y * weights).sum()

    assert ad.gradcheck(f, [base, values])
    assert ad.gradgradcheck(f, [base, values])


def test_full_and_full_like_of_a_tensor_that_requires_grad_are_refused_naming_them():
    mean = ad.tensor(0.5, requires_grad=True)
    with pytest.raises(TypeError, match=r"numpy\.full_like fills a new ndarray .*np\.broadcast_to"):
        np.full_like(np.zeros(3), mean)
    with pytest.raises(TypeError, match=r"numpy\.full fills a new ndarray \(shape \(2, 3\)"):
        np.full((2, 3), mean, dtype=np.float64)
    with pytest.raises(TypeError, match="numpy.copyto writes into its first argument"):
        np.copyto(np.zeros(3), mean)
    # the spellings the error names keep the gradient; without one NumPy fills as usual
    (mean * np.ones(3) + np.broadcast_to(mean, (3,))).sum().backward()
    assert mean.grad == 6.0
    np.testing.assert_array_equal(np.full_like(np.zeros(2), mean.detach()), [0.5, 0.5])


def test_writers_into_an_ndarray_and_refusals():
    a = np.zeros(3)
    np.put(a, [0], ad.tensor([5.0]))
    np.copyto(a, ad.tensor([1.0, 2.0, 3.0]), where=np.array([False, True, True]))
    np.testing.assert_array_equal(a, [5.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="numpy.putmask writes into its first argument"):
        np.putmask(a, a > 2, ad.tensor([1.0], requires_grad=True))
    leaf = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="put: tensor of shape .2,. is a leaf"):
        np.put(leaf, [0], 3.0)
    with ad.no_grad():
        np.put(leaf, [0], 3.0)
    np.testing.assert_array_equal(leaf.data, [3.0, 2.0])
    with pytest.raises(TypeError, match="copyto: Cannot cast"):
        np.copyto(ad.tensor([1, 2]), ad.tensor([1.5, 2.5]))
    ints = ad.tensor([1, 2])
    np.copyto(ints, ad.tensor([1.5, 2.5]), casting="unsafe")
    _same(ints, [1, 2])
    with pytest.raises(IndexError, match="put: index 9 is out of bounds"):
        np.put(ad.tensor(np.zeros(3)), [9], 1.0)
    with pytest.raises(ValueError, match="place"):
        np.place(ad.tensor(np.zeros(3)), np.array([True, False, True]), [])


def test_a_write_under_no_grad_into_a_saved_value_is_detected():
    x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2.0
    z = (y * y).sum()               # multiply saved y
    with ad.no_grad():
        np.put(y, [0], 10.0)
    with pytest.raises(ad.InPlaceError):
        z.backward()


def test_a_recorded_write_keeps_the_saved_value():
    x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2.0
    z = (y * y).sum()
    np.putmask(y, np.array([True, False, False]), 10.0)
    (z + y.sum()).backward()
    np.testing.assert_allclose(x.grad, 8.0 * x.data + np.array([0.0, 2.0, 2.0]))


def test_tensor_resize():
    t = ad.tensor([1.0, 2.0, 3.0])
    t.resize((2, 2))
    reference = np.array([1.0, 2.0, 3.0])
    reference.resize((2, 2))
    _same(t, reference)
    t.resize(1)
    _same(t, [1.0])
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    y.resize(3)
    _same(y.detach(), [3.0, 6.0, 0.0])
    (y * np.array([1.0, 2.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 6.0])
    with pytest.raises(RuntimeError, match="np.resize"):
        x.resize(3)
    base = ad.tensor(np.zeros((2, 2)))
    row = base[0]
    with pytest.raises(RuntimeError, match="view"):
        row.resize(4)
    with pytest.raises(RuntimeError, match="view"):
        base.resize(4)
    with_history = x * 1.0
    with ad.no_grad():
        with pytest.raises(RuntimeError, match="resize: .* has recorded history"):
            with_history.resize(3)


def test_tensor_resize_gives_an_array_of_its_own_and_replays():
    t = ad.tensor([1.0, 2.0, 3.0, 4.0])
    old = t.data
    t.resize(2)
    assert not np.shares_memory(t.data, old)
    weights = np.arange(1.0, 4.0)

    def step(x):
        y = x * 2.0
        y.resize(3)
        loss = (y * weights).sum()
        loss.backward()
        return loss

    compiled = ad.compile(step)
    for shift in range(3):
        x = ad.tensor([1.0, 2.0 + shift], requires_grad=True)
        x_eager = ad.tensor(x.data, requires_grad=True)
        assert compiled(x).item() == step(x_eager).item()
        np.testing.assert_array_equal(x.grad, x_eager.grad)


def test_tensor_partition_is_in_place():
    a = RNG.standard_normal((3, 4))
    t = ad.tensor(a)
    assert t.partition(1, axis=1) is None
    reference = a.copy()
    reference.partition(1, axis=1)
    _same(t, reference)
    x = ad.tensor(a, requires_grad=True)
    y = x * 1.0
    y.partition(2, axis=0)
    (y[2] * np.arange(4.0)).sum().backward()
    expected = np.zeros_like(a)
    expected[np.argpartition(a, 2, axis=0)[2], np.arange(4)] = np.arange(4.0)
    np.testing.assert_array_equal(x.grad, expected)


def test_flat_writes_follow_numpy():
    for key, value in [(slice(1, 4), [7.0]), ([1, 4], [7.0, 8.0, 9.0]), (-1, 5.0),
                       (MASK.ravel(), [1.0, 2.0]), (slice(0, 0), 3.0)]:
        t, reference = ad.tensor(np.zeros((2, 3))), np.zeros((2, 3))
        t.flat[key] = value
        reference.flat[key] = value
        _same(t, reference)
    with pytest.raises(IndexError, match="flat: index 6 is out of bounds"):
        ad.tensor(np.zeros((2, 3))).flat[6] = 1.0


def test_flat_reads_are_gathers():
    a = RNG.standard_normal((2, 3))
    t = ad.tensor(a, requires_grad=True)
    _same(t.flat[4].detach(), a.flat[4])
    _same(t.flat[[5, 0]].detach(), a.flat[[5, 0]])
    _same(t.flat[MASK.ravel()].detach(), a.flat[MASK.ravel()])
    assert len(t.flat) == 6 and t.flat.base is t
    _same(t.flat.copy().detach(), a.flat.copy())
    assert t.flat.copy().requires_grad
    np.testing.assert_array_equal([v.item() for v in t.flat], list(a.flat))
    assert ad.gradcheck(lambda x: (x.flat[[5, 0, 5]] ** 2).sum(), [a])


def test_choose_method():
    choices = [ad.tensor([1.0, 2.0], requires_grad=True), ad.tensor([3.0, 4.0])]
    out = ad.tensor([1, 0]).choose(choices)
    _same(out.detach(), np.array([1, 0]).choose([c.data for c in choices]))
    out.sum().backward()
    np.testing.assert_array_equal(choices[0].grad, [0.0, 1.0])


# --- complex results ------------------------------------------------------------------

COMPLEX_CASES = [
    ("sort_complex", lambda m, a: m.sort_complex(a[1])),
]


@pytest.mark.parametrize("name, call", COMPLEX_CASES, ids=[c[0] for c in COMPLEX_CASES])
def test_complex_results_are_numpys_and_recorded(name, call):
    # (sort_complex was computed without a gradient; its gradient is checked in
    # tests/test_numpy_frompyfunc.py)
    a = np.array([[0.0, -1.0, 0.5], [1.0, 0.0, 2.0], [0.3, 0.2, 1.0]])
    got, reference = call(np, ad.tensor(a)), call(np, a)
    _same(got, reference)
    assert call(np, ad.tensor(a, requires_grad=True)).requires_grad
    with ad.no_grad():
        _same(call(np, ad.tensor(a, requires_grad=True)), reference)


# --- saving and the data's bytes ------------------------------------------------------

def test_saving_writes_the_values(tmp_path):
    t = ad.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    np.save(tmp_path / "a.npy", t)
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), t.data)
    np.savez(tmp_path / "b.npz", t, doubled=t * 2.0)
    with np.load(tmp_path / "b.npz") as saved:
        np.testing.assert_array_equal(saved["arr_0"], t.data)
        np.testing.assert_array_equal(saved["doubled"], t.data * 2.0)
    np.savez_compressed(tmp_path / "c.npz", w=t)
    with np.load(tmp_path / "c.npz") as saved:
        np.testing.assert_array_equal(saved["w"], t.data)
    np.savetxt(tmp_path / "d.txt", t)
    np.testing.assert_allclose(np.loadtxt(tmp_path / "d.txt"), t.data)
    t.tofile(tmp_path / "e.bin")
    np.testing.assert_array_equal(np.fromfile(tmp_path / "e.bin").reshape(2, 3), t.data)
    t.dump(tmp_path / "f.pkl")
    np.testing.assert_array_equal(np.load(tmp_path / "f.pkl", allow_pickle=True), t.data)
    np.testing.assert_array_equal(pickle.loads(t.dumps()), t.data)
    assert t.tobytes() == t.data.tobytes() and t.tobytes("F") == t.data.tobytes("F")


def test_byteswap():
    t = ad.tensor(np.array([1, 256], np.int16))
    _same(t.byteswap(), t.data.byteswap())
    assert t.byteswap(inplace=True) is t
    _same(t, np.array([256, 1], np.int16))
    with pytest.raises(TypeError, match="byteswap"):
        ad.tensor([1.0], requires_grad=True).byteswap()


def test_memory_and_device_attributes():
    t = ad.tensor(np.zeros((2, 3)))
    assert t.strides == t.data.strides and t.T.strides == t.data.T.strides
    assert t[0].base is t and t.base is None and t.T.base is t     # (PyTorch's t.T._base)
    assert t.device == "cpu" and t.to_device("cpu") is t
    with pytest.raises(ValueError, match="to_device: device 'cuda'"):
        t.to_device("cuda")
    for name in ("ctypes", "getfield", "setfield", "setflags"):
        with pytest.raises(AttributeError, match=f"Tensor has no {name}: .*t.data|Tensor "
                                                 f"has no {name}"):
            getattr(t, name)
        assert not hasattr(t, name)


def test_writers_replay_in_a_compiled_step():
    mask = np.array([True, False, True])
    others = ~mask

    def step(x, v):
        y = x * 1.0
        np.put(y, [0, 2], v)
        np.putmask(y, mask, y * 2.0)
        np.place(y, others, v[:1])
        np.copyto(y, v[1], where=others)
        y.flat[1:] = v[0] * y[0]
        loss = (y * y).sum()
        loss.backward()
        return loss

    compiled = ad.compile(step)
    for shift in range(3):
        x = ad.tensor([1.0, 2.0, 3.0 + shift], requires_grad=True)
        v = ad.tensor([5.0, 6.0 + shift], requires_grad=True)
        x_eager, v_eager = (ad.tensor(a.data, requires_grad=True) for a in (x, v))
        assert compiled(x, v).item() == step(x_eager, v_eager).item()
        np.testing.assert_array_equal(x.grad, x_eager.grad)
        np.testing.assert_array_equal(v.grad, v_eager.grad)


def test_compiled_writers_refuse_indices_computed_in_the_call():
    def step(x, i):
        y = x * 1.0
        np.put(y, i, 0.0)
        return y.sum()

    with pytest.raises(ad.TraceError,
                       match="put at .* the positions it writes are read from the values"):
        ad.compile(step)(ad.tensor([1.0, 2.0], requires_grad=True), ad.tensor([1]))


@pytest.mark.parametrize("save", [
    lambda y, path: np.save(path / "y.npy", y),
    lambda y, path: np.savez(path / "y.npz", y=y),
    lambda y, path: np.savetxt(path / "y.txt", y),
    lambda y, path: y.tofile(path / "y.bin"),
    lambda y, path: y.dumps(),
], ids=["save", "savez", "savetxt", "tofile", "dumps"])
def test_saving_inside_a_compiled_function_is_refused(save, tmp_path):
    def step(x):
        y = x * 2.0
        save(y, tmp_path)
        return y.sum()

    with pytest.raises(ad.TraceError, match="it writes the values out, which a replay would"):
        ad.compile(step)(ad.tensor([1.0, 2.0]))
