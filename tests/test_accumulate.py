"""Running extremes, NaN-ignoring and log-sum-exp reductions, segment sums and
tensorsolve: ties, NaN, infinities, empty inputs, negative axes and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad

NAN, INF = np.nan, np.inf


def _grad(func, x, weights=None):
    x = np.asarray(x)
    t = ad.tensor(x if x.dtype.kind == "f" else x.astype(float), requires_grad=True)
    out = func(t)
    out.backward(np.ones(out.shape, out.dtype) if weights is None else weights)
    return out, t.grad


# ------------------------------------------------------------------ running extremes

def test_running_max_gives_ties_to_the_last_entry_and_nan_to_the_latest_nan():
    x = [1.0, 3.0, 3.0, 2.0, NAN, 5.0, NAN, 1.0]
    out, grad = _grad(np.maximum.accumulate, x)
    np.testing.assert_array_equal(out.data, np.maximum.accumulate(x))
    np.testing.assert_array_equal(grad, [1, 1, 2, 0, 2, 0, 2, 0])
    values, indices = ad.cummax(ad.tensor(x), 0)
    np.testing.assert_array_equal(indices.data, [0, 1, 2, 2, 4, 4, 6, 6])
    assert indices.dtype == np.int64


def test_running_min_ties():
    out, grad = _grad(np.minimum.accumulate, [3.0, 1.0, 1.0, 2.0, 1.0])
    np.testing.assert_array_equal(out.data, [3, 1, 1, 1, 1])
    np.testing.assert_array_equal(grad, [1, 1, 2, 0, 1])


def test_fmax_and_fmin_skip_nan_and_hold_a_nan_only_while_all_are_nan():
    x = [NAN, NAN, 2.0, NAN, 1.0, 4.0]
    out, grad = _grad(np.fmax.accumulate, x)
    np.testing.assert_array_equal(out.data, np.fmax.accumulate(x))
    np.testing.assert_array_equal(grad, [1, 1, 3, 0, 0, 1])
    out, grad = _grad(np.fmin.accumulate, x)
    np.testing.assert_array_equal(out.data, np.fmin.accumulate(x))
    np.testing.assert_array_equal(grad, [1, 1, 2, 0, 2, 0])


def test_signed_zeros_are_numpys():
    x = np.array([0.0, -0.0, 0.0, -0.0])
    for ufunc in (np.maximum, np.minimum, np.fmax, np.fmin):
        out = ufunc.accumulate(ad.tensor(x)).data
        np.testing.assert_array_equal(np.signbit(out), np.signbit(ufunc.accumulate(x)))


def test_same_gradients_and_indices_as_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.integers(0, 3, (4, 6)).astype(float)          # many ties
    x[1, 2] = x[3, 0] = x[3, 4] = NAN
    w = rng.normal(size=x.shape)
    for dim in (0, 1, -1):
        for ours, theirs in ((ad.cummax, torch.cummax), (ad.cummin, torch.cummin)):
            t = ad.tensor(x, requires_grad=True)
            values, indices = ours(t, dim)
            (values * w).sum().backward()
            tt = torch.tensor(x, requires_grad=True)
            ref = theirs(tt, dim)
            (ref.values * torch.tensor(w)).sum().backward()
            np.testing.assert_array_equal(values.data, ref.values.detach().numpy())
            np.testing.assert_array_equal(indices.data, ref.indices.numpy())
            np.testing.assert_array_equal(t.grad, tt.grad.numpy())


def test_running_extremes_axes_and_shapes():
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    for axis in (-3, -1, 0, 2):
        out = np.maximum.accumulate(ad.tensor(x), axis=axis)
        np.testing.assert_array_equal(out.data, np.maximum.accumulate(x, axis=axis))
    empty = np.maximum.accumulate(ad.tensor(np.zeros((0, 3)), requires_grad=True))
    assert empty.shape == (0, 3)
    out, grad = _grad(lambda t: np.minimum.accumulate(t, axis=1), np.zeros((2, 0)))
    assert out.shape == grad.shape == (2, 0)
    ints = np.maximum.accumulate(ad.tensor([1, 3, 2]))
    assert ints.dtype == np.int64 and list(ints.data) == [1, 3, 3]


def test_running_extremes_refuse_what_numpy_refuses_and_dtype_out():
    t = ad.tensor([[1.0, 2.0]])
    with pytest.raises(TypeError, match="maximum.accumulate: cannot accumulate on a scalar"):
        np.maximum.accumulate(ad.tensor(1.0))
    with pytest.raises(ValueError, match="fmin.accumulate: accumulate does not allow multiple"):
        np.fmin.accumulate(t, axis=None)
    with pytest.raises(TypeError, match=r"numpy.maximum.accumulate on a Tensor: dtype=int64"):
        np.maximum.accumulate(t, dtype=np.int64)
    with pytest.raises(Exception, match="maximum_accumulate: axis 2 is out of bounds"):
        np.maximum.accumulate(t, axis=2)


def test_cummax_as_torch_spells_it():
    t = ad.tensor([[2.0, 1.0, 3.0]], requires_grad=True)
    values, indices = t.cummax(1)
    assert isinstance(values, ad.Tensor) and values.requires_grad
    np.testing.assert_array_equal(indices.data, [[0, 0, 2]])
    np.testing.assert_array_equal(t.cummin(dim=-1).indices.data, [[0, 1, 1]])
    zero_d = ad.cummax(ad.tensor(2.0), 0)
    assert zero_d.values.shape == zero_d.indices.shape == ()
    with pytest.raises(IndexError, match="cummax: dim=2 is out of range"):
        ad.cummax(t, 2)
    with pytest.raises(TypeError, match="cummin: dim must be an int"):
        ad.cummin(t, None)


def test_cummax_indices_are_computed_again_by_a_compiled_step():
    step = ad.compile(lambda t: ad.cummax(t, 0).indices * 1)
    np.testing.assert_array_equal(step(ad.tensor([1.0, 3.0, 2.0])).data, [0, 1, 1])
    np.testing.assert_array_equal(step(ad.tensor([3.0, 1.0, 4.0])).data, [0, 0, 2])


# ------------------------------------------------------------- NaN-ignoring reductions

def test_fmax_reduce_skips_nan_without_warning_and_splits_ties():
    x = np.array([[1.0, NAN, 3.0, 3.0], [NAN, NAN, NAN, NAN]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, grad = _grad(lambda t: np.fmax.reduce(t, axis=1), x)
    np.testing.assert_array_equal(out.data, np.fmax.reduce(x, axis=1))
    np.testing.assert_array_equal(grad, [[0, 0, 0.5, 0.5], [0.25] * 4])
    out, grad = _grad(np.fmin.reduce, x)                  # NumPy's default axis, 0
    np.testing.assert_array_equal(out.data, np.fmin.reduce(x))
    np.testing.assert_array_equal(grad, [[1, 0.5, 1, 1], [0, 0.5, 0, 0]])
    with pytest.raises(ValueError, match="fmax_reduce: zero-size array"):
        np.fmax.reduce(ad.tensor(np.zeros(0)))


# ------------------------------------------------------------------ log-sum-exp

@pytest.mark.parametrize("ufunc", [np.logaddexp, np.logaddexp2])
def test_logaddexp_reduce_values_are_numpys_and_stable(ufunc):
    rng = np.random.default_rng(1)
    for x in (rng.normal(size=(3, 5)) * 800, rng.normal(size=(3, 5)).astype(np.float32)):
        for kwargs in ({}, {"axis": -1}, {"axis": None}, {"axis": (0, 1), "keepdims": True}):
            out, grad = _grad(lambda t: ufunc.reduce(t, **kwargs), x)
            ref = ufunc.reduce(x, **kwargs)
            assert out.dtype == ref.dtype
            np.testing.assert_array_equal(out.data, ref)
            assert np.all(np.isfinite(grad))


def test_logaddexp_reduce_at_infinities_and_empty_lanes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, grad = _grad(lambda t: np.logaddexp.reduce(t, axis=1),
                          [[-INF, -INF, -INF], [-INF, 0.0, -INF], [INF, 1.0, INF]])
    np.testing.assert_array_equal(out.data, [-INF, 0.0, INF])
    np.testing.assert_array_equal(grad, [[0, 0, 0], [0, 1, 0], [0.5, 0, 0.5]])
    out, grad = _grad(lambda t: np.logaddexp2.reduce(t, axis=0), np.zeros((0, 2)))
    np.testing.assert_array_equal(out.data, [-INF, -INF])
    assert grad.shape == (0, 2)
    with np.errstate(invalid="ignore"):      # NumPy's own reduce warns here
        out, grad = _grad(np.logaddexp.reduce, [NAN, 1.0])
    assert np.isnan(out.item()) and np.all(np.isnan(grad))


def test_logaddexp_accumulate_is_stable_across_a_wide_range():
    x = np.array([-1000.0, 0.0, -2000.0, 5.0, 800.0, 1.0])
    w = np.array([1.0, -2.0, 3.0, 0.5, -1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, grad = _grad(np.logaddexp.accumulate, x, w)
    np.testing.assert_array_equal(out.data, np.logaddexp.accumulate(x))
    # sum over i >= j of w_i exp(x_j - out_i), term by term; the sum in log space is
    # within a few ulp of |out| (800: 1e-13) in the exponent
    ref = [sum(w[i] * np.exp(x[j] - out.data[i]) for i in range(j, 6)) for j in range(6)]
    np.testing.assert_allclose(grad, ref, rtol=1e-12, atol=0)


def test_logaddexp_accumulate_at_infinities():
    x = [-INF, -INF, 1.0, INF, 2.0, INF]
    out, grad = _grad(np.logaddexp.accumulate, x)
    np.testing.assert_array_equal(out.data, np.logaddexp.accumulate(x))
    np.testing.assert_array_equal(grad, [0, 0, 1, 2.5, 0, 0.5])
    out, grad = _grad(lambda t: np.logaddexp2.accumulate(t, axis=-1), [[-INF, -INF]])
    np.testing.assert_array_equal(grad, [[0, 0]])


def test_logaddexp_accumulate_matches_torch_logcumsumexp():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).normal(size=(3, 7)) * 300
    w = np.random.default_rng(6).normal(size=x.shape)
    for dim in (0, 1):
        _, grad = _grad(lambda t: np.logaddexp.accumulate(t, axis=dim), x, w)
        tt = torch.tensor(x, requires_grad=True)
        (torch.logcumsumexp(tt, dim) * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(grad, tt.grad.numpy(), rtol=1e-12, atol=1e-300)


# ------------------------------------------------------------------ segment sums

def test_reduceat_follows_numpys_rule_for_indices_that_do_not_increase():
    x = np.arange(1.0, 9.0)
    indices = [0, 4, 1, 5, 5, 7]
    w = np.array([1.0, 10, 100, 1e3, 1e4, 1e5])
    out, grad = _grad(lambda t: np.add.reduceat(t, indices), x, w)
    np.testing.assert_array_equal(out.data, np.add.reduceat(x, indices))
    # segments: [0, 4), [4], [1, 5), [5], [5, 7), [7, 8)
    np.testing.assert_array_equal(grad, [1, 101, 101, 101, 110, 11000, 10000, 100000])


def test_reduceat_gradient_does_not_cancel():
    _, grad = _grad(lambda t: np.add.reduceat(t, [0, 2]), np.zeros(4), np.array([1e17, 1.0]))
    np.testing.assert_array_equal(grad, [1e17, 1e17, 1.0, 1.0])


def test_reduceat_axes_empty_indices_and_errors():
    x = np.random.default_rng(2).normal(size=(3, 4))
    out = np.add.reduceat(ad.tensor(x), np.array([3, 0]), axis=-1)
    np.testing.assert_array_equal(out.data, np.add.reduceat(x, [3, 0], axis=-1))
    out, grad = _grad(lambda t: np.add.reduceat(t, [], axis=1), x)
    assert out.shape == (3, 0) and np.array_equal(grad, np.zeros((3, 4)))
    t = ad.tensor(x)
    with pytest.raises(IndexError, match="add_reduceat: index 4 out-of-bounds"):
        np.add.reduceat(t, [0, 4], axis=1)
    with pytest.raises(IndexError, match="add_reduceat: index -1 out-of-bounds"):
        np.add.reduceat(t, [-1])
    with pytest.raises(TypeError, match="add.reduceat: indices must be integers, got dtype "
                                        "float64"):
        np.add.reduceat(t, [0.5])
    with pytest.raises(ValueError, match=r"add.reduceat: indices must be 1-D, got shape \(\)"):
        np.add.reduceat(t, 0)
    with pytest.raises(TypeError, match=r"add\.reduceat with out= an ndarray on a Tensor"):
        np.add.reduceat(ad.tensor(x, requires_grad=True), [0], out=np.zeros((1, 4)))
    # (the other ufuncs' reduceat run their op segment by segment, NumPy's values)
    np.testing.assert_array_equal(np.logaddexp.reduceat(t, [0]).data,
                                  np.logaddexp.reduceat(t.data, [0]))


# ------------------------------------------------------------- tensorsolve, tensorinv

def test_tensorsolve_and_tensorinv_equal_numpys_bit_for_bit():
    rng = np.random.default_rng(4)
    a = rng.normal(size=(2, 3, 6)) + np.eye(6).reshape(2, 3, 6) * 3
    b = rng.normal(size=(2, 3))
    np.testing.assert_array_equal(np.linalg.tensorsolve(ad.tensor(a), b).data,
                                  np.linalg.tensorsolve(a, b))
    a4 = rng.normal(size=(3, 2, 3, 2))
    np.testing.assert_array_equal(np.linalg.tensorsolve(a4, ad.tensor(b.T), axes=(1, 0)).data,
                                  np.linalg.tensorsolve(a4, b.T, axes=(1, 0)))
    np.testing.assert_array_equal(ad.linalg.tensorinv(ad.tensor(a)).data, np.linalg.tensorinv(a))
    a1 = a.reshape(6, 2, 3)
    np.testing.assert_array_equal(ad.linalg.tensorinv(ad.tensor(a1), ind=1).data,
                                  np.linalg.tensorinv(a1, ind=1))
    f32 = np.linalg.tensorinv(ad.tensor(a.astype(np.float32)))
    assert f32.dtype == np.float32


def test_tensorsolve_and_tensorinv_errors_name_them():
    a = ad.tensor(np.eye(6).reshape(6, 2, 3))
    with pytest.raises(np.linalg.LinAlgError, match=r"tensorsolve: a of shape \(5, 2, 3\)"):
        np.linalg.tensorsolve(a[:5], np.ones(6))
    with pytest.raises(ValueError, match=r"tensorsolve: b of shape \(5,\) has 5 entries"):
        np.linalg.tensorsolve(a, np.ones(5))
    with pytest.raises(ValueError, match="tensorsolve: axes=.*does not have"):
        np.linalg.tensorsolve(a, np.ones(6), axes=(3,))
    with pytest.raises(ValueError, match="tensorinv: ind must be a positive integer, got 0"):
        np.linalg.tensorinv(a, ind=0)
    with pytest.raises(TypeError, match="tensorinv: ind must be an integer"):
        np.linalg.tensorinv(a, ind=1.5)
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.tensorinv(ad.tensor(np.zeros((2, 2))), ind=1)
