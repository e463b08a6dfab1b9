"""Short NumPy programs of the kind students and engineers write, run on Tensors: the
values are NumPy's and the gradients match central differences."""

import numpy as np
import pytest

import autodiff as ad


def _central_difference(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (np.sum(f(x + step)) - np.sum(f(x - step))) / (2 * eps)
    return grad


def _safe_ratio(x):
    y = x - 1
    return np.divide(x, y, out=np.zeros_like(x), where=y != 0)


def test_a_safe_division_with_out_and_where_computes_only_the_chosen_elements():
    x0 = np.array([0.0, 1.0, 2.0, 3.0])
    x = ad.tensor(x0, requires_grad=True)
    y = _safe_ratio(x)
    np.testing.assert_array_equal(y.data, _safe_ratio(x0))
    y.sum().backward()
    # no NaN from the division by zero that where= left out
    np.testing.assert_allclose(x.grad, _central_difference(_safe_ratio, x0 + 0.25 * (x0 == 1))
                               * (x0 != 1), rtol=1e-6)
    np.testing.assert_array_equal(x.grad, [-1.0, 0.0, -1.0, -0.25])


@pytest.mark.parametrize("program", [
    lambda t: np.exp(t, out=t),
    lambda t: np.clip(t, 0.5, 1.5, out=t),
    lambda t: np.multiply(t, 2.0, out=t, where=t > 1),
    lambda t: np.sum(t, axis=0, out=np.zeros_like(t[0])),
    lambda t: np.matmul(t, t.T, out=np.zeros_like(t @ t.T)),
])
def test_out_a_tensor_is_written_on_the_tape_and_returned(program):
    x0 = np.array([[0.25, 1.25, 2.0], [1.1, -0.5, 0.75]])
    x = ad.tensor(x0, requires_grad=True)
    t = x * 1.0
    result = program(t)
    np.testing.assert_array_equal(result.data, program(x0.copy()))
    result.sum().backward()
    np.testing.assert_allclose(x.grad, _central_difference(lambda a: program(a.copy()), x0),
                               rtol=1e-6, atol=1e-8)


def test_out_keeps_the_out_tensor_and_its_dtype():
    t = ad.tensor(np.ones(3, np.float32))
    assert np.multiply(t, 0.1, out=t) is t
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.data, np.multiply(np.ones(3, np.float32), 0.1))


def test_out_refuses_what_numpy_refuses_or_a_gradient_would_miss():
    ints = ad.zeros(3, dtype=int)
    with pytest.raises(TypeError, match=r"numpy\.add with out=: cannot cast .*float64 to .*"
                                        r"int64 .*'same_kind'"):
        np.add(ints, 1.5, out=ints)
    leaf = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"numpy\.exp with out=: .*leaf that requires grad"):
        np.exp(leaf, out=leaf)
    with pytest.raises(TypeError, match=r"cannot be written into an ndarray.*out=np\.zeros_"):
        np.exp(leaf, out=np.zeros(2))
    with pytest.raises(ValueError, match=r"numpy\.sum with out=: the result has shape \(3,\)"):
        np.sum(ad.ones((2, 3)), axis=0, out=ad.zeros(2))


@pytest.mark.parametrize("reduce", [np.max, np.min])
@pytest.mark.parametrize("shape, axis", [((0, 3), 0), ((0, 3), None), ((2, 0), 1)])
def test_max_and_min_of_an_empty_tensor_with_initial_stay_on_the_tape(reduce, shape, axis):
    x = ad.tensor(np.zeros(shape), requires_grad=True)
    y = reduce(x, axis=axis, initial=-1.0)
    np.testing.assert_array_equal(y.data, reduce(x.data, axis=axis, initial=-1.0))
    assert y.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(shape))


@pytest.mark.parametrize("shape", [(4, 6), (-1,), 24, (2, 2, 6)])
def test_reshape_in_fortran_order_as_numpy(shape):
    x0 = np.arange(24.0).reshape(2, 3, 4)
    weights = np.arange(24.0).reshape(np.reshape(x0, shape).shape)
    for call in (lambda t: np.reshape(t, shape, order="F"),
                 lambda t: t.reshape(shape, order="F")):
        x = ad.tensor(x0, requires_grad=True)
        y = call(x)
        np.testing.assert_array_equal(y.data, np.reshape(x0, shape, order="F"))
        (y * weights).sum().backward()
        np.testing.assert_array_equal(x.grad, np.reshape(weights, x0.shape, order="F"))
    with pytest.raises(TypeError, match="order='K' is not supported; use 'C' or 'F'"):
        ad.tensor(x0).reshape(shape, order="K")


@pytest.mark.parametrize("func", [np.var, np.std, np.nanvar, np.nanstd])
def test_correction_is_numpys_other_name_for_ddof(func):
    x0 = np.array([[0.5, 2.0, 3.5], [1.0, np.nan, -2.0]])
    x0 = x0 if func.__name__.startswith("nan") else np.nan_to_num(x0)
    x = ad.tensor(x0, requires_grad=True)
    y = func(x, axis=1, correction=1)
    np.testing.assert_array_equal(y.data, func(x0, axis=1, correction=1))
    y.sum().backward()
    expected = ad.tensor(x0, requires_grad=True)
    func(expected, axis=1, ddof=1).sum().backward()
    np.testing.assert_array_equal(x.grad, expected.grad)
    with pytest.raises(ValueError, match="ddof and correction can't be provided"):
        func(x, ddof=1, correction=1)


@pytest.mark.parametrize("increasing", [False, True])
def test_a_vandermonde_matrix_times_coefficients_is_numpys_to_the_bit(increasing):
    x0 = np.random.default_rng(0).standard_normal(50)
    coefficients = np.random.default_rng(1).standard_normal(7)
    v = np.vander(ad.tensor(x0, requires_grad=True), 7, increasing=increasing)
    assert v.data.flags.c_contiguous          # as NumPy's: a product takes its BLAS loop
    np.testing.assert_array_equal((v @ coefficients).data,
                                  np.vander(x0, 7, increasing=increasing) @ coefficients)


@pytest.mark.parametrize("program", [
    lambda t: t.T.copy(),                       # ndarray.copy is row-major
    lambda t: t.T.copy(order="F"),
    lambda t: np.copy(t.T),                     # np.copy keeps the layout
    lambda t: np.copy(t.T, order="C"),
    lambda t: np.meshgrid(t[0], t[:, 1])[0],
    lambda t: np.percentile(t, [10, 50, 90], axis=0),
])
def test_results_are_laid_out_as_numpys_so_later_products_round_the_same(program):
    x0 = np.random.default_rng(2).standard_normal((300, 40))
    expected = program(x0)
    y = program(ad.tensor(x0, requires_grad=True))
    np.testing.assert_array_equal(y.data, expected)
    assert (y.data.flags.c_contiguous, y.data.flags.f_contiguous) == (
        expected.flags.c_contiguous, expected.flags.f_contiguous)
    weights = np.random.default_rng(3).standard_normal(expected.shape[-1])
    np.testing.assert_array_equal((y @ weights).data, expected @ weights)


@pytest.mark.parametrize("program, out_shape", [
    (lambda t, out: np.add.reduce(t, axis=0, out=out), (3,)),
    (lambda t, out: np.maximum.accumulate(t, axis=1, out=out), (2, 3)),
    (lambda t, out: np.multiply.outer(t[0], t[1], out=out), (3, 3)),
])
def test_out_a_tensor_for_the_methods_of_a_ufunc(program, out_shape):
    x0 = np.array([[0.25, 1.25, 2.0], [1.1, -0.5, 0.75]])
    x = ad.tensor(x0, requires_grad=True)
    out = ad.zeros(out_shape)
    assert program(x, out) is out
    np.testing.assert_array_equal(out.data, program(x0, np.zeros(out_shape)))
    out.sum().backward()
    np.testing.assert_allclose(x.grad, _central_difference(
        lambda a: program(a, np.zeros(out_shape)), x0), rtol=1e-6, atol=1e-8)


def test_out_a_tensor_for_a_function_without_gradient_is_written_and_returned():
    out = ad.zeros((), dtype=np.int64)
    assert np.argmax(ad.tensor([1.0, 3.0, 2.0]), out=out) is out
    assert out.item() == 1


def test_out_of_a_generalized_ufunc_must_have_the_results_shape():
    t = ad.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"numpy\.matmul with out=: the result has shape \(\)"):
        np.matmul(t, t, out=ad.zeros(2))


@pytest.mark.parametrize("mode, options", [
    ("maximum", {}), ("minimum", {"stat_length": 2}), ("mean", {"stat_length": ((1, 2), (3, 1))}),
    ("median", {}), ("linear_ramp", {"end_values": ((1.0, 2.0), (-1.0, 0.5))}),
])
def test_pad_modes_that_compute_the_padding(mode, options):
    x0 = np.random.default_rng(4).standard_normal((3, 4))
    widths = ((1, 2), (2, 1))
    x = ad.tensor(x0, requires_grad=True)
    y = np.pad(x, widths, mode=mode, **options)
    np.testing.assert_array_equal(y.data, np.pad(x0, widths, mode=mode, **options))
    weights = np.arange(y.size, dtype=float).reshape(y.shape)
    (y * weights).sum().backward()
    np.testing.assert_allclose(x.grad, _central_difference(
        lambda a: np.pad(a, widths, mode=mode, **options) * weights, x0), rtol=1e-6)


@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("reduce, options", [
    (np.sum, {"where": True}), (np.sum, {"initial": 0.5}), (np.mean, {"where": True}),
    (np.sum, {"where": True, "initial": 0.5}),
])
def test_masked_sums_and_means_are_numpys_to_the_bit(reduce, options, axis):
    rng = np.random.default_rng(5)
    x0 = rng.standard_normal((300, 200))
    if "where" in options:
        options = dict(options, where=rng.random(x0.shape) > 0.3)
    x = ad.tensor(x0, requires_grad=True)
    y = reduce(x, axis=axis, **options)
    np.testing.assert_array_equal(y.data, reduce(x0, axis=axis, **options))
    y.sum().backward()
    mask = options.get("where", np.ones(x0.shape, bool))
    count = 1 if reduce is np.sum else np.sum(mask, axis=axis, keepdims=True)
    np.testing.assert_allclose(x.grad, mask / count, rtol=1e-15)


def test_a_masked_sum_has_second_derivatives():
    mask = np.array([[True, False, True], [False, True, True]])
    assert ad.gradgradcheck(lambda a: np.sum(a ** 3, axis=1, where=mask, initial=1.0),
                            [np.array([[0.5, 1.5, -1.0], [2.0, 0.25, 1.0]])])
