"""sliding_window_view, compress, extract, choose, unstack, put_along_axis and
fill_diagonal on Tensors: values and dtypes as NumPy's, edge cases, and the refusals.
Gradients on generated shapes are checked from tests/op_specs_windows.py."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

swv = np.lib.stride_tricks.sliding_window_view


def _scatter_reference(g, shape, window, axis=None):
    where = swv(np.arange(int(np.prod(shape))).reshape(shape), window, axis)
    out = np.zeros(int(np.prod(shape)))
    np.add.at(out, where.ravel(), g.ravel())
    return out.reshape(shape)


# ------------------------------------------------------------------ sliding_window_view

@pytest.mark.parametrize("shape, window, axis", [
    ((5,), 3, None), ((5,), 5, None), ((5,), 1, None), ((4, 5), (2, 3), None),
    ((4, 5), 2, -1), ((4, 5), (2, 2), (1, 1)), ((3, 4, 5), (2, 3), (-1, 0)),
    ((0,), 0, None), ((3, 0), (2, 0), None), ((3,), 0, None), ((), (), None),
])
def test_sliding_window_values_and_gradient(shape, window, axis):
    x = np.random.default_rng(0).standard_normal(shape)
    t = ad.tensor(x, requires_grad=True)
    out = swv(t, window, axis)
    expected = swv(x, window, axis)
    assert out.shape == expected.shape and out.dtype == expected.dtype
    np.testing.assert_array_equal(out.data, expected)
    assert not out.data.flags.writeable                 # read-only, as NumPy's
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(g)
    np.testing.assert_allclose(t.grad, _scatter_reference(g, shape, window, axis))
    assert ad.gradgradcheck(lambda s: swv(s, window, axis) ** 3, [x])


@pytest.mark.parametrize("dtype", [np.float32, np.int64, bool])
def test_sliding_window_keeps_the_dtype(dtype):
    x = (np.arange(12) % 3).astype(dtype).reshape(3, 4)
    out = swv(ad.tensor(x), (2, 2))
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.data, swv(x, (2, 2)))
    assert ad.sliding_window_view(ad.tensor(x), 2, axis=0).shape == (2, 4, 2)


def test_a_moving_average_by_hand():
    x = ad.tensor(np.arange(6.0), requires_grad=True)
    avg = swv(x, 3).mean(axis=-1)
    avg.sum().backward()
    np.testing.assert_allclose(avg.data, [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(x.grad, np.array([1, 2, 3, 3, 2, 1]) / 3)


def test_sliding_window_is_a_view_of_the_input_as_numpys():
    x = ad.tensor(np.arange(5.0)) * 1.0
    k = ad.tensor([1.0, 2.0], requires_grad=True)
    windows = swv(x, 2)
    loss = (windows @ k).sum()
    with ad.no_grad():
        x += 100.0                   # the windows show it, as NumPy's view does
    np.testing.assert_array_equal(windows.data, swv(np.arange(5.0) + 100.0, 2))
    with pytest.raises(ad.InPlaceError, match="matmul.*changed in place"):
        loss.backward()              # matmul saved the windows before the update
    with pytest.raises(ad.InPlaceError, match="read-only"):
        with ad.no_grad():
            windows[0, 0] = 5.0


def test_a_recorded_write_into_windows_is_refused():
    x = ad.tensor(np.arange(5.0), requires_grad=True)
    windows = swv(x, 2)
    with pytest.raises(ad.InPlaceError, match=r"setitem: .*output of 'sliding_window_view'"
                                              r".*overlap"):
        windows[0, 0] = 5.0
    row = windows[1]
    with pytest.raises(ad.InPlaceError, match="add_: .*it views tensor .*'sliding_window_view'"):
        row.add_(1.0)
    np.testing.assert_array_equal(windows.data, swv(np.arange(5.0), 2))
    fresh = swv(x, 2) * 1.0              # a new tensor from the windows can be updated
    fresh[0, 0] = 5.0
    fresh.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 2.0, 2.0, 2.0, 1.0])


def test_sliding_window_refusals_and_errors():
    t = ad.tensor(np.zeros((3, 4)), requires_grad=True)
    with pytest.raises(ValueError, match="sliding_window_view: writeable=True .* overlap"):
        swv(t, 2, axis=0, writeable=True)
    with pytest.raises(ValueError, match=r"sliding_window_view: window shape cannot be larger"
                                         r".*shape \(3, 4\)"):
        swv(t, 4, axis=0)
    with pytest.raises(ValueError, match="sliding_window_view: .*negative"):
        swv(t, (-1, 2))
    with pytest.raises(ValueError, match="sliding_window_view: .*window_shape for all"):
        swv(t, 2)
    with pytest.raises(np.exceptions.AxisError, match="sliding_window_view"):
        swv(t, 2, axis=2)
    assert swv(t, 2, axis=1, subok=True).shape == (3, 3, 2)


def test_sliding_window_adjoint_backward_loops_over_window_offsets(monkeypatch):
    from autodiff.ops import windows
    calls = []
    real = windows.itertools.product
    monkeypatch.setattr(windows.itertools, "product",
                        lambda *ranges: calls.append(len(ranges)) or real(*ranges))
    t = ad.tensor(np.zeros((50, 60)), requires_grad=True)
    swv(t, (3, 4)).sum().backward()
    assert calls == [2]                  # one loop of 3 * 4 slice-adds
    np.testing.assert_allclose(t.grad[10, 10], 12.0)


# ------------------------------------------------------------------ compress and extract

def test_compress_values_gradient_and_errors():
    x = np.arange(12.0).reshape(3, 4)
    t = ad.tensor(x, requires_grad=True)
    for condition, axis in [([True, False, True], 0), ([0, 1, 1], -1), ([1, 0, 0, 1, 1], None),
                            ([], 0), (ad.tensor([False, True]), 1)]:
        out = np.compress(condition, t, axis=axis)
        expected = np.compress(np.asarray(getattr(condition, "data", condition)), x, axis=axis)
        assert out.shape == expected.shape and out.dtype == expected.dtype
        np.testing.assert_array_equal(out.data, expected)
    (np.compress([True, False, True], t, axis=0) * 2.0).sum().backward()
    np.testing.assert_array_equal(t.grad, [[2.0] * 4, [0.0] * 4, [2.0] * 4])
    assert ad.compress([1], ad.tensor(3.0)).shape == (1,)
    with pytest.raises(IndexError, match=r"compress: .*condition of shape \(4,\), a of shape"):
        np.compress([0, 0, 0, 1], t, axis=0)
    with pytest.raises(ValueError, match="compress: condition must be a 1-d array"):
        np.compress([[1, 0]], t)
    with pytest.raises(np.exceptions.AxisError, match="compress"):
        np.compress([1], t, axis=2)
    with pytest.raises(TypeError, match=r"numpy.compress on a Tensor: .*\['out'\]"):
        np.compress([1], t, 0, np.empty((1, 4)))


def test_extract_values_gradient_and_errors():
    x = np.array([[1.0, -2.0], [-3.0, 4.0]])
    t = ad.tensor(x, requires_grad=True)
    out = np.extract(x < 0, t)
    np.testing.assert_array_equal(out.data, np.extract(x < 0, x))
    out.sum().backward()
    np.testing.assert_array_equal(t.grad, [[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_array_equal(np.extract([1, 0], t).data, [1.0])    # shorter condition
    assert np.extract(np.zeros((2, 2)), t).shape == (0,)
    with pytest.raises(IndexError, match=r"extract: .*position 4.*shape \(2, 2\)"):
        np.extract([0, 0, 0, 0, 1], t)


# --------------------------------------------------------------------------------- choose

@pytest.mark.parametrize("mode", ["raise", "wrap", "clip"])
def test_choose_values_and_gradient(mode):
    rng = np.random.default_rng(3)
    index = rng.integers(0, 3, (2, 3)) if mode == "raise" else rng.integers(-4, 7, (2, 3))
    c0, c1, c2 = rng.standard_normal((2, 3)), rng.standard_normal((1, 3)), rng.standard_normal(3)
    ts = [ad.tensor(c, requires_grad=True) for c in (c0, c1, c2)]
    out = np.choose(index, ts, mode=mode)
    np.testing.assert_array_equal(out.data, np.choose(index, [c0, c1, c2], mode=mode))
    out.backward(np.ones(out.shape))
    which = np.choose(index, [0, 1, 2], mode=mode)
    chosen = [which == k for k in range(3)]  # each choice: how often it was chosen there
    np.testing.assert_array_equal(ts[0].grad, chosen[0])
    np.testing.assert_array_equal(ts[1].grad, chosen[1].sum(axis=0, keepdims=True))
    np.testing.assert_array_equal(ts[2].grad, chosen[2].sum(axis=0))
    assert ad.gradgradcheck(lambda *s: np.choose(index, list(s), mode=mode) ** 3,
                            [c0, c1, c2])


def test_choose_dtypes_and_forms():
    f32 = ad.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    for choices in ([f32, 5.0], [f32, np.float64(5.0)], [f32, np.array([7, 8])]):
        out = np.choose([0, 1], choices)
        expected = np.choose([0, 1], [getattr(c, "data", c) for c in choices])
        assert out.dtype == expected.dtype
        np.testing.assert_array_equal(out.data, expected)
    stacked = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = np.choose([1, 0], stacked)         # a tensor's first axis holds the choices
    out.sum().backward()
    np.testing.assert_array_equal(out.data, [3.0, 2.0])
    np.testing.assert_array_equal(stacked.grad, [[0.0, 1.0], [1.0, 0.0]])
    assert np.choose(1, [ad.tensor(1.0), ad.tensor(2.0)]).shape == ()
    assert np.choose(np.zeros((0, 2), int), [ad.tensor([1.0, 2.0])]).shape == (0, 2)
    np.testing.assert_array_equal(
        np.choose([0, 1], [ad.tensor([1, 2]), ad.tensor([3, 4])]).data, [1, 4])


def test_choose_errors():
    t = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"choose: invalid entry .*2 choices.*mode='raise'"):
        np.choose([0, 2], [t, t])
    with pytest.raises(ValueError, match="choose: .*shape mismatch|choose: .*broadcast"):
        np.choose([0, 1], [t, np.zeros(3)])
    with pytest.raises(TypeError, match="choose: "):
        np.choose([0.5, 1.0], [t, t])
    with pytest.raises(TypeError, match=r"numpy.choose on a Tensor: .*\['out'\]"):
        np.choose([0, 1], [t, t], np.empty(2))
    with pytest.raises(ValueError, match="choose: choices is a 0-d tensor"):
        ad.choose([0], ad.tensor(1.0))


# -------------------------------------------------------------------------------- unstack

def test_unstack():
    x = np.arange(24.0).reshape(2, 3, 4)
    t = ad.tensor(x, requires_grad=True)
    for axis in (0, 1, -1):
        parts = np.unstack(t, axis=axis)
        expected = np.unstack(x, axis=axis)
        assert isinstance(parts, tuple) and len(parts) == len(expected)
        for p, e in zip(parts, expected):
            np.testing.assert_array_equal(p.data, e)
    a, b, c = np.unstack(t, axis=1)
    (a + 2.0 * c).sum().backward()
    np.testing.assert_array_equal(t.grad[:, :, 0], [[1.0, 0.0, 2.0]] * 2)
    assert np.unstack(ad.tensor(np.zeros((0, 2)))) == ()
    with pytest.raises(ValueError, match="unstack: the input must be at least 1-d"):
        np.unstack(ad.tensor(1.0))
    with pytest.raises(np.exceptions.AxisError, match="unstack"):
        np.unstack(t, axis=3)


# ------------------------------------------------------------------------ put_along_axis

def test_put_along_axis_is_recorded_like_setitem():
    x = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    v = ad.tensor([[10.0], [20.0]], requires_grad=True)
    t = x * 1.0
    assert np.put_along_axis(t, np.array([[2], [0]]), v, axis=-1) is None
    expected = np.arange(6.0).reshape(2, 3)
    np.put_along_axis(expected, np.array([[2], [0]]), [[10.0], [20.0]], -1)
    np.testing.assert_array_equal(t.data, expected)
    (t * t).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 2.0, 0.0], [0.0, 8.0, 10.0]])
    np.testing.assert_array_equal(v.grad, [[20.0], [40.0]])


def test_put_along_axis_without_recording_follows_numpy():
    t = ad.tensor(np.zeros((2, 3), np.float32))
    np.put_along_axis(t, np.array([[0, 0], [1, 2]]), np.array([[1.0, 2.0], [3.0, 4.0]]), 1)
    expected = np.zeros((2, 3), np.float32)
    np.put_along_axis(expected, np.array([[0, 0], [1, 2]]), [[1.0, 2.0], [3.0, 4.0]], 1)
    np.testing.assert_array_equal(t.data, expected)           # (repeats: NumPy's choice)
    assert t.dtype == np.float32
    a = np.zeros(3)
    np.put_along_axis(a, ad.tensor(np.array([1])), ad.tensor([5.0]), 0)     # an ndarray target
    np.testing.assert_array_equal(a, [0.0, 5.0, 0.0])


def test_put_along_axis_refusals():
    w = ad.tensor(np.zeros(3), requires_grad=True)
    v = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="put_along_axis: .*leaf that requires grad"):
        np.put_along_axis(w, np.array([0, 1]), v, 0)
    t = w * 1.0
    with pytest.raises(ValueError, match="put_along_axis: axis=None .*unravel_index"):
        np.put_along_axis(t, np.array([0, 1]), v, None)
    with pytest.raises(IndexError, match=r"put_along_axis: index 5 is out of bounds.*shape \(3,\)"):
        np.put_along_axis(t, np.array([0, 5]), v, 0)
    with pytest.raises(IndexError, match="put_along_axis: `indices` must be an integer"):
        np.put_along_axis(t, np.array([0.0]), v, 0)
    with pytest.raises(ValueError, match="put_along_axis: .*same number of dimensions"):
        np.put_along_axis(t, np.array([[0]]), v, 0)
    with pytest.raises(TypeError, match="numpy.put_along_axis writes into .*an ndarray"):
        np.put_along_axis(np.zeros(3), np.array([0, 1]), v, 0)
    with pytest.raises(TypeError, match="setitem|put_along_axis"):
        np.put_along_axis(ad.tensor(np.zeros(3, int)), np.array([0, 1]), v, 0)
    np.testing.assert_array_equal(t.data, [0.0, 0.0, 0.0])    # nothing was written
    with ad.no_grad():
        np.put_along_axis(w, np.array([0, 1]), v, 0)          # an optimizer-style update
    np.testing.assert_array_equal(w.data, [1.0, 2.0, 0.0])


# ------------------------------------------------------------------------- fill_diagonal

@pytest.mark.parametrize("shape, val, wrap", [
    ((3, 3), 7.0, False), ((5, 2), [1.0, 2.0, 3.0], True), ((5, 2), [1.0, 2.0], False),
    ((2, 4), [[1.0, 2.0], [3.0, 4.0]], False), ((3, 3, 3), [1.0, 2.0], False),
    ((3, 3), [], False), ((0, 0), 1.0, False), ((1, 1), [1.0, 2.0, 3.0], False),
])
def test_fill_diagonal_values_and_gradient(shape, val, wrap):
    x = np.random.default_rng(5).standard_normal(shape)
    v = np.asarray(val, dtype=float)
    expected = x.copy()
    np.fill_diagonal(expected, v, wrap)
    xt, vt = ad.tensor(x, requires_grad=True), ad.tensor(v, requires_grad=True)
    t = xt * 1.0
    assert np.fill_diagonal(t, vt, wrap) is None
    np.testing.assert_array_equal(t.data, expected)
    (t * t).sum().backward()
    written = np.zeros(shape, bool)
    np.fill_diagonal(written, np.ones(v.shape, bool), wrap)
    np.testing.assert_allclose(xt.grad, np.where(written, 0.0, 2 * x))
    if v.size:
        def f(a, b):
            s = a * 1.0
            np.fill_diagonal(s, b, wrap)
            return s ** 2
        assert ad.gradgradcheck(f, [x, v])


def test_fill_diagonal_errors_and_targets():
    with pytest.raises(ValueError, match=r"fill_diagonal: array must be at least 2-d .*\(3,\)"):
        np.fill_diagonal(ad.tensor(np.zeros(3)), 1.0)
    with pytest.raises(ValueError, match="fill_diagonal: All dimensions .*equal"):
        np.fill_diagonal(ad.tensor(np.zeros((2, 2, 3))), 1.0)
    w = ad.tensor(np.zeros((2, 2)), requires_grad=True)
    with pytest.raises(RuntimeError, match="fill_diagonal: .*leaf that requires grad"):
        np.fill_diagonal(w, 1.0)
    with ad.no_grad():
        np.fill_diagonal(w, 1.0)
    np.testing.assert_array_equal(w.data, np.eye(2))
    i = ad.tensor(np.zeros((2, 2), int))
    np.fill_diagonal(i, 2.7)                   # NumPy's cast into an integer array
    np.testing.assert_array_equal(i.data, [[2, 0], [0, 2]])
    with pytest.raises(TypeError, match="numpy.fill_diagonal writes into .*an ndarray"):
        ad.fill_diagonal(np.zeros((2, 2)), ad.tensor([1.0, 2.0], requires_grad=True))
