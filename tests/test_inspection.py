"""NumPy functions that read a Tensor without recording (autodiff/ops/inspection.py):
printing, index helpers from the shape, np.einsum_path, np.lexsort, and np.isfortran
through the read-only Tensor.flags."""

import warnings

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(11)
VALUES = RNG.standard_normal((3, 4)) * 10


# ----- printing -----------------------------------------------------------------------

@pytest.mark.parametrize("options", [{}, {"precision": 2}, {"max_line_width": 20},
                                     {"suppress_small": True, "precision": 3}])
def test_array_str_is_numpys_text_of_the_values(options):
    t = ad.tensor(VALUES, requires_grad=True)
    assert np.array_str(t, **options) == np.array_str(VALUES, **options)


@pytest.mark.parametrize("args, kwargs", [
    ((), {}), ((30, 3), {}), ((), {"separator": ", ", "prefix": "x = "}),
    ((), {"formatter": {"float": lambda v: f"{v:.1f}"}}), ((), {"threshold": 3, "edgeitems": 1}),
])
def test_array2string_takes_all_of_numpys_options(args, kwargs):
    t = ad.tensor(VALUES)
    assert np.array2string(t, *args, **kwargs) == np.array2string(VALUES, *args, **kwargs)


@pytest.mark.parametrize("value", [VALUES, np.float32(VALUES), np.array(2.5), np.zeros((0, 3)),
                                   np.arange(4)])
def test_array_repr_is_the_tensors_repr(value):
    t = ad.tensor(value)
    assert np.array_repr(t) == repr(t)
    u = ad.tensor(VALUES, requires_grad=True, name="w") if value is VALUES else t
    assert np.array_repr(u) == repr(u)


def test_array_repr_writes_the_values_with_numpys_options():
    t = ad.tensor([1.23456, 2.0], requires_grad=True)
    assert np.array_repr(t, precision=2) == "tensor([1.23, 2.  ], requires_grad=True)"
    assert np.array_repr(ad.tensor([1e-9, 1.0]), suppress_small=True) == "tensor([0., 1.])"
    long = ad.tensor(np.arange(12.0))
    assert np.array_repr(long, max_line_width=30).count("\n") == repr(long).count("\n") + 2
    assert repr(t) == "tensor([1.23456, 2.     ], requires_grad=True)"    # (options undone)
    p = ad.nn.Parameter(np.array([1.23456, 2.0]))
    assert np.array_repr(p, precision=1) == "Parameter([1.2, 2. ])"


def test_printing_records_nothing_and_drops_no_tape():
    x = ad.tensor(VALUES, requires_grad=True)
    y = x * 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no TapeDropWarning
        np.array_str(y), np.array_repr(y), np.array2string(y)
    assert y.node is not None and y.requires_grad


# ----- index helpers from the shape ----------------------------------------------------

@pytest.mark.parametrize("shape, k", [((3, 3), 0), ((3, 5), 1), ((4, 2), -1), ((0, 0), 0)])
def test_triangle_indices_are_numpys(shape, k):
    a = RNG.standard_normal(shape)
    t = ad.tensor(a, requires_grad=True)
    for func in (np.tril_indices_from, np.triu_indices_from):
        got, want = func(t, k), func(a, k)
        assert isinstance(got, tuple) and len(got) == 2
        for g, w in zip(got, want):
            assert isinstance(g, np.ndarray) and g.dtype == w.dtype
            np.testing.assert_array_equal(g, w)


def test_triangle_indices_index_the_tensor_with_its_gradient():
    t = ad.tensor(VALUES[:3, :3], requires_grad=True)
    t[np.triu_indices_from(t, k=1)].sum().backward()
    np.testing.assert_array_equal(t.grad, np.triu(np.ones((3, 3)), 1))


def test_diag_indices_are_numpys():
    for shape in [(3, 3), (2, 2, 2), (0, 0)]:
        got, want = np.diag_indices_from(ad.tensor(np.ones(shape))), np.diag_indices_from(
            np.ones(shape))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)


def test_index_helpers_raise_numpys_errors():
    with pytest.raises(ValueError, match="2-d"):
        np.tril_indices_from(ad.tensor(np.ones(3)))
    with pytest.raises(ValueError, match="2-d"):
        np.triu_indices_from(ad.tensor(np.ones((2, 2, 2))))
    with pytest.raises(ValueError, match="equal length"):
        np.diag_indices_from(ad.tensor(np.ones((2, 3))))


@pytest.mark.parametrize("optimize", ["greedy", "optimal", False, True])
def test_einsum_path_is_numpys(optimize):
    a, b, c = RNG.random((2, 3)), RNG.random((3, 4)), RNG.random((4, 5))
    got = np.einsum_path("ij,jk,kl->il", ad.tensor(a, requires_grad=True), b, ad.tensor(c),
                         optimize=optimize)
    assert got == np.einsum_path("ij,jk,kl->il", a, b, c, optimize=optimize)
    sublists = np.einsum_path(ad.tensor(a), [0, 1], ad.tensor(b), [1, 2], [0, 2])
    assert sublists == np.einsum_path(a, [0, 1], b, [1, 2], [0, 2])


# ----- lexsort -------------------------------------------------------------------------

def test_lexsort_is_numpys_and_has_no_gradient():
    first = np.array([1.0, 1.0, 0.0, 2.0, 1.0])
    second = np.array([3.0, 2.0, 9.0, 0.0, 2.0])
    keys = (ad.tensor(second, requires_grad=True), ad.tensor(first))
    got = np.lexsort(keys)
    assert isinstance(got, ad.Tensor) and not got.requires_grad
    np.testing.assert_array_equal(got.data, np.lexsort((second, first)))
    assert got.dtype == np.lexsort((second, first)).dtype
    stacked = ad.tensor(np.stack([second, first]))
    np.testing.assert_array_equal(np.lexsort(stacked).data, np.lexsort(np.stack([second, first])))
    matrix = RNG.integers(0, 2, (2, 3, 4)).astype(float)
    np.testing.assert_array_equal(np.lexsort(ad.tensor(matrix), axis=1).data,
                                  np.lexsort(matrix, axis=1))


def test_lexsort_of_a_list_of_tensors_is_numpys_without_a_tape_drop_warning():
    """NumPy hands the library a tuple's keys only; a list's Tensors are converted to
    arrays, which drops no gradient (the result is indices)."""
    second = ad.tensor([3.0, 2.0, 9.0, 0.0, 2.0], requires_grad=True)
    first = ad.tensor([1.0, 1.0, 0.0, 2.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = np.lexsort([second, first])
    np.testing.assert_array_equal(got, np.lexsort((second.data, first.data)))
    with pytest.warns(ad.TapeDropWarning, match="converted to a NumPy array"):
        np.asarray(second)          # (other conversions still warn)


def test_lexsort_of_a_list_in_a_compiled_function_says_to_pass_a_tuple():
    w = ad.tensor(1.0, requires_grad=True)
    by_tuple = ad.compile(lambda x: np.lexsort((x * w, x)))
    for values in ([3.0, 1.0, 2.0], [1.0, 2.0, 3.0], [2.0, 3.0, 1.0]):
        x = np.array(values)
        np.testing.assert_array_equal(by_tuple(x).data, np.lexsort((x, x)))
    assert by_tuple.traces == 1
    by_list = ad.compile(lambda x: np.lexsort([x * w, x]))
    with pytest.raises(ad.TraceError, match=r"np.lexsort of a list of keys .*write "
                                            r"np.lexsort\(\(a, b\)\)"):
        by_list(np.ones(3))


def test_lexsort_orders_a_recorded_gather():
    x = ad.tensor([3.0, 1.0, 2.0], requires_grad=True)
    order = np.lexsort((x, ad.tensor([0.0, 0.0, 0.0])))
    (x[order] * ad.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [100.0, 1.0, 10.0])


def test_lexsort_and_triangles_replay_in_a_compiled_step():
    @ad.compile
    def step(x):
        order = np.lexsort((x[0], x[1]))
        return (x[np.tril_indices_from(x)].sum() + (x[0][order] * ad.arange(3.0)).sum()).detach()

    for seed in range(3):
        a = np.random.default_rng(seed).random((3, 3))
        want = a[np.tril_indices(3)].sum() + (a[0][np.lexsort((a[0], a[1]))] * np.arange(3.0)).sum()
        assert step(ad.tensor(a)).item() == pytest.approx(want, rel=1e-12)


# ----- flags and isfortran -------------------------------------------------------------

def test_isfortran_and_flags_are_the_datas():
    t = ad.tensor(VALUES, requires_grad=True)
    assert np.isfortran(t) is np.isfortran(VALUES) is False
    assert np.isfortran(t.T) is True
    assert t.flags.c_contiguous and t.flags["C_CONTIGUOUS"] and not t.flags.f_contiguous
    assert repr(t.flags) == repr(t.data.flags)


def test_flags_are_read_only():
    t = ad.tensor(VALUES, requires_grad=True)
    with pytest.raises(AttributeError, match="Tensor.flags is read-only"):
        t.flags.writeable = False
    with pytest.raises(AttributeError, match="Tensor.flags is read-only"):
        t.flags["WRITEABLE"] = False
    assert t.data.flags.writeable


def test_flags_copy_as_themselves():
    import copy
    flags = ad.tensor(VALUES).flags
    assert copy.copy(flags) is flags and copy.deepcopy(flags).c_contiguous
