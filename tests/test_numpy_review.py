"""NumPy functions on Tensors: cases where a value, a gradient or an error differed
from NumPy's conventions."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad


# ----- ravel(order='K') follows NumPy's memory order, broadcast axes included -----

@pytest.mark.parametrize("make", [
    lambda a: np.broadcast_to(a[:1], (2, 4)),           # a stride-0 leading axis
    lambda a: np.broadcast_to(a[:, :1], (3, 4)),        # a stride-0 trailing axis
    lambda a: np.broadcast_to(a[:1].T, (4, 3)),         # broadcast and transposed
    lambda a: np.broadcast_to(a[None, :, ::2], (2, 3, 2)),
], ids=["leading", "trailing", "transposed", "3d"])
def test_ravel_order_k_of_a_broadcast_view_matches_numpy(make):
    x = np.random.default_rng(0).standard_normal((3, 4))
    t = ad.tensor(x, requires_grad=True)
    view = make(t)
    assert view.data.strides == make(x).strides
    got = np.ravel(view, order="K")
    np.testing.assert_array_equal(got.data, np.ravel(make(x), order="K"))
    # each output's gradient reaches the entry it was read from
    w = np.arange(1.0, got.size + 1)
    (got * w).sum().backward()
    expected = np.zeros_like(x)
    positions = np.arange(x.size, dtype=float).reshape(x.shape)
    for weight, source in zip(w, np.ravel(make(positions), order="K").astype(int)):
        expected.reshape(-1)[source] += weight
    np.testing.assert_array_equal(t.grad, expected)


def test_ravel_order_k_of_strided_views_matches_numpy():
    rng = np.random.default_rng(1)
    for _ in range(200):
        ndim = int(rng.integers(1, 4))
        shape = tuple(int(n) for n in rng.integers(1, 4, ndim))
        base = rng.standard_normal(tuple(2 * n for n in shape))
        steps = tuple(slice(None, None, int(rng.choice([1, 2, -1, -2]))) for _ in shape)
        data = base[steps][tuple(slice(0, n) for n in shape)].transpose(rng.permutation(ndim))
        if rng.random() < 0.5:
            data = np.broadcast_to(data[(slice(0, 1),) + (slice(None),) * (ndim - 1)],
                                   data.shape)
        for order in "AK":
            np.testing.assert_array_equal(np.ravel(ad.tensor(data), order=order).data,
                                          np.ravel(data, order=order))


# ----- mod / fmod: the divisor's gradient is that of the piece the value is on -----

@pytest.mark.parametrize("func", [np.mod, np.fmod], ids=["mod", "fmod"])
def test_remainder_divisor_gradient_is_on_the_forward_piece(func):
    # 1.0 / 0.1 rounds to 10.0, but 1.0 % 0.1 == 0.0999... == 1.0 - 9 * 0.1
    a = np.array([1.0, -1.0, 0.5, 1.0, 7.0, 5.5, -5.5, -1.0])
    b_values = np.array([0.1, 0.1, 0.1, -0.1, 0.7, 2.0, 2.0, 3.0])
    b = ad.tensor(b_values, requires_grad=True)
    out = func(a, b)
    out.sum().backward()
    quotient = -b.grad                    # d(a - n * b)/db = -n
    np.testing.assert_array_equal(quotient, np.round(quotient))
    np.testing.assert_allclose(a - quotient * b_values, out.data, rtol=0, atol=1e-15)


def test_remainder_divisor_gradient_matches_finite_differences_off_the_jumps():
    a = np.array([2.3, -4.1, 0.7, -0.2])
    b = np.array([0.9, 1.3, -0.4, -0.3])
    assert ad.gradcheck(lambda a, b: (np.mod(a, b) * np.array([1.0, 2.0, 3.0, 4.0])).sum(),
                        [a, b])
    assert ad.gradcheck(lambda a, b: (np.fmod(a, b) * np.array([1.0, 2.0, 3.0, 4.0])).sum(),
                        [a, b])


# ----- norm: an axis out of range is NumPy's AxisError, naming norm -----

@pytest.mark.parametrize("ord", [np.inf, -np.inf, None, 1, 3])
@pytest.mark.parametrize("axis", [2, -3])
def test_vector_norm_axis_out_of_range_raises_axis_error(ord, axis):
    # (ord=inf used to index the shape with the axis: IndexError, naming nothing)
    t = ad.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(np.exceptions.AxisError, match="norm: axis"):
        np.linalg.norm(t, ord, axis=axis)


def test_np_full_like_and_empty_like_run_on_tensors_as_numpy_does():
    t = ad.tensor(np.arange(3.0), requires_grad=True)
    filled = np.full_like(t, 2.5)
    assert isinstance(filled, ad.Tensor) and not filled.requires_grad
    np.testing.assert_array_equal(filled.data, np.full_like(t.data, 2.5))
    assert np.full_like(t, 2, dtype=np.float32).dtype == np.float32
    assert np.full_like(t, 1.0, shape=(2, 2)).shape == (2, 2)
    empty = np.empty_like(t, dtype=np.float32)
    assert isinstance(empty, ad.Tensor) and empty.shape == (3,) and empty.dtype == np.float32


def test_np_full_like_records_a_fill_value_that_requires_grad():
    t = ad.tensor(np.zeros((2, 3)))
    s = ad.tensor(0.5, requires_grad=True)
    out = np.full_like(t, s)
    assert out.requires_grad
    (out * np.arange(6.0).reshape(2, 3)).sum().backward()
    assert s.grad == 15.0


def test_logsumexp_of_integers_is_float64_as_exp_of_integers():
    out = ad.logsumexp(ad.tensor([1, 2]))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, np.logaddexp(1.0, 2.0), rtol=1e-15)
    assert ad.tensor([[1, 2]]).logsumexp(dim=1, keepdim=True).shape == (1, 1)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "cumsum", "cumprod", "var", "std",
                                  "nansum", "nanmean", "trace"])
def test_a_float_dtype_argument_computes_in_that_dtype_as_numpy(name):
    data = np.array([[1.5, 2.25], [3.0, 4.0]], np.float32)
    t = ad.tensor(data, requires_grad=True)
    out = getattr(np, name)(t, dtype=np.float64)
    want = getattr(np, name)(data, dtype=np.float64)
    assert out.dtype == want.dtype == np.float64
    np.testing.assert_array_equal(out.data, want)
    out.sum().backward()
    assert t.grad.dtype == np.float32 and t.grad.shape == data.shape


def test_an_integer_dtype_argument_on_a_float_tensor_is_refused():
    t = ad.tensor([1.5, 2.5], requires_grad=True)
    with pytest.raises(TypeError, match=r"numpy.sum on a Tensor: dtype=int64 would compute a "
                                        r"float64 tensor as int64, where no gradient flows"):
        np.sum(t, dtype=np.int64)
    # An integer tensor's integer dtype= is computed, as NumPy computes it (no gradient
    # flows through integers either way).
    summed = np.sum(ad.tensor([1, 2]), dtype=np.int32)
    expected = np.sum(np.array([1, 2]), dtype=np.int32)
    assert summed.dtype == expected.dtype and summed.item() == expected.item()


@pytest.mark.parametrize("call", [lambda a: np.sort(a), lambda a: np.partition(a, 0)],
                         ids=["sort", "partition"])
def test_sorting_a_0d_tensor_raises_numpys_axis_error_naming_the_function(call):
    with pytest.raises(np.exceptions.AxisError) as numpy_error:
        call(np.array(1.0))
    with pytest.raises(np.exceptions.AxisError, match=r"(sort|partition): axis -1 is out of "
                                                      r"bounds for array of dimension 0"):
        call(ad.tensor(1.0, requires_grad=True))
    assert "dimension 0" in str(numpy_error.value)
