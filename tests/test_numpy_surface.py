"""The harder cases of the NumPy surface: products with zeros, degenerate std,
stable logsumexp, ties in sort, replaced NaNs, and the keywords NumPy passes."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

ZERO_CASES = {
    "one zero": np.array([2.0, 0.0, 3.0, -1.5]),
    "two zeros": np.array([2.0, 0.0, 3.0, 0.0, -1.5]),
    "all zeros": np.zeros(3),
    "zero first": np.array([0.0, 2.0, 0.5]),
    "lanes": np.array([[0.0, 2.0, 0.5], [1.5, -2.0, 0.0], [1.0, 0.0, 0.0]]),
}


def _prod_grad_by_hand(x):
    """d prod / d x_j = product of the other entries (1-D x)."""
    return np.array([np.prod(np.delete(x, j)) for j in range(x.size)])


@pytest.mark.parametrize("name", ["one zero", "two zeros", "all zeros", "zero first"])
def test_prod_gradient_with_zeros_is_the_product_of_the_others(name):
    x = ZERO_CASES[name]
    g = ad.grad(ad.prod)(x)
    np.testing.assert_array_equal(g, _prod_grad_by_hand(x))


@pytest.mark.parametrize("name", sorted(ZERO_CASES))
@pytest.mark.parametrize("axis", [None, 0, -1])
def test_prod_and_cumprod_with_zeros_pass_gradcheck_to_second_order(name, axis):
    x = ZERO_CASES[name]
    if axis is not None and x.ndim == 1 and axis == -1:
        axis = 0
    for f in (lambda t: ad.prod(t, axis=axis), lambda t: ad.cumprod(t, axis)):
        assert ad.gradcheck(f, [x])
        assert ad.gradgradcheck(f, [x])


def test_cumprod_gradient_with_zeros_by_hand():
    x = ad.tensor([2.0, 0.0, 3.0], requires_grad=True)
    # outputs: 2, 2*x1, 2*x1*3; weights 1, 10, 100
    (ad.cumprod(x) * ad.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2 * 10 + 2 * 3 * 100, 0.0])


def test_cumprod_hessian_at_a_zero_is_exact():
    # f(a, b) = sum(cumprod([a, b])) = a + a*b: d2f/da db = 1 even at b = 0.
    hessian = ad.jacobian(ad.grad(lambda t: ad.cumprod(t).sum()))(np.array([2.0, 0.0]))
    np.testing.assert_array_equal(hessian, [[0.0, 1.0], [1.0, 0.0]])


def test_prod_over_a_tuple_of_axes_with_zeros():
    x = np.arange(24.0).reshape(2, 3, 4) / 10 - 1.0
    x[0, 1, 2] = 0.0
    x[1, 2, 0] = 0.0
    for axis in [(0, 2), (2, 0), (1,), ()]:
        assert ad.gradgradcheck(lambda t: ad.prod(t, axis=axis, keepdims=True), [x])


def test_std_ddof_at_least_n_gives_nan_gradients():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(RuntimeWarning):
        y = ad.std(x, ddof=2)
    assert np.isinf(y.item()) or np.isnan(y.item())
    y.backward()
    assert np.isnan(x.grad).all()


def test_std_of_one_value_per_lane_has_zero_gradient():
    x = ad.tensor([[1.0], [2.0]], requires_grad=True)
    ad.std(x, axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0], [0.0]])


def test_std_of_equal_values_has_zero_gradient_as_in_pytorch():
    x = ad.tensor([3.0, 3.0], requires_grad=True)
    ad.std(x).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])
    # a constant row next to one that is not: (x - mean) / (n * std) there
    x = ad.tensor([[1.0, 3.0], [2.0, 2.0]], requires_grad=True)
    (x.std(dim=1, correction=0).sum() + np.std(x, axis=1).sum()).backward()
    np.testing.assert_array_equal(x.grad, [[-1.0, 1.0], [0.0, 0.0]])
    assert ad.gradgradcheck(lambda t: ad.std(t, axis=1), [np.array([[1.0, 3.0, 2.5]])])


def test_logsumexp_is_stable_and_its_gradient_is_softmax():
    x = ad.tensor([[1000.0, 1000.0, 999.0], [-np.inf, 0.0, -np.inf]], requires_grad=True)
    y = ad.logsumexp(x, axis=1)
    expected = np.array([1000.0 + np.log(2 + np.exp(-1.0)), 0.0])
    np.testing.assert_allclose(y.data, expected, rtol=1e-15)
    y.sum().backward()
    e = np.exp(-1.0)
    np.testing.assert_allclose(x.grad, [[1 / (2 + e), 1 / (2 + e), e / (2 + e)],
                                        [0.0, 1.0, 0.0]], rtol=1e-12)


@pytest.mark.parametrize("axis", [None, 0, (0, 1), -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_matches_the_direct_formula(axis, keepdims):
    x = np.random.default_rng(3).standard_normal((2, 3))
    out = ad.logsumexp(ad.tensor(x), axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(out.data, np.log(np.sum(np.exp(x), axis=axis,
                                                       keepdims=keepdims)), rtol=1e-14)


def test_sort_ties_give_each_position_its_own_gradient():
    x = ad.tensor([1.0, 1.0, 0.0], requires_grad=True)
    (ad.sort(x) * ad.tensor([1.0, 10.0, 100.0])).sum().backward()
    # stable order of the tie: the first 1.0 takes position 1, the second position 2
    np.testing.assert_array_equal(x.grad, [10.0, 100.0, 1.0])


def test_nan_to_num_passes_no_gradient_to_replaced_entries():
    x = ad.tensor([np.nan, np.inf, -np.inf, 1.5], requires_grad=True)
    y = np.nan_to_num(x, nan=-1.0, neginf=-7.0)
    np.testing.assert_array_equal(y.data, np.nan_to_num(x.data, nan=-1.0, neginf=-7.0))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0, 1.0])


@pytest.mark.parametrize("spell", [
    lambda x, lo, hi: np.clip(x, lo, hi), lambda x, lo, hi: ad.clip(x, lo=lo, hi=hi),
    lambda x, lo, hi: x.clamp(lo, hi), lambda x, lo, hi: x.clamp(max=hi, min=lo)])
def test_clip_gives_tensor_bounds_their_gradient_with_pytorchs_ties(spell):
    # x on a bound keeps the gradient; a bound gets it where it wins; lo > hi gives hi
    # everywhere; lo == hi with x below gives it to hi (PyTorch gives it to no one).
    x = ad.tensor([0.0, 1.0, 1.5, 2.0, 3.0, 0.0, 5.0, 0.0, 1.0], requires_grad=True)
    lo = ad.tensor([1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 1.0, 1.0], requires_grad=True)
    hi = ad.tensor([2.0, 2.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0], requires_grad=True)
    y = spell(x, lo, hi)
    np.testing.assert_array_equal(y.data, np.clip(x.data, lo.data, hi.data))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 1, 1, 1, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(lo.grad, [1, 0, 0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(hi.grad, [0, 0, 0, 0, 1, 1, 1, 1, 0])


def test_clip_with_one_tensor_bound_reduces_its_gradient_to_its_shape():
    s = ad.tensor(0.5, requires_grad=True)
    y = np.clip(np.array([0.0, 1.0, 2.0]), s, 3.0)
    assert y.requires_grad
    y.sum().backward()
    assert s.grad.shape == () and s.grad == 1.0
    x = ad.tensor([[0.2, 0.9], [-0.4, 0.3]], requires_grad=True)
    hi = ad.tensor([0.5, 0.5], requires_grad=True)
    np.clip(x, None, hi).sum().backward()
    np.testing.assert_array_equal(hi.grad, [0.0, 1.0])
    np.testing.assert_array_equal(x.grad, [[1.0, 0.0], [1.0, 1.0]])


def test_leaky_relu_gives_a_tensor_slope_its_gradient():
    x = ad.tensor([-2.0, 0.0, 1.0, -0.5], requires_grad=True)
    slope = ad.tensor(0.1, requires_grad=True)
    ad.leaky_relu(x, slope).sum().backward()
    assert slope.grad == -2.5
    np.testing.assert_allclose(x.grad, [0.1, 0.1, 1.0, 0.1])
    assert ad.gradgradcheck(ad.leaky_relu, [np.array([-2.0, 1.0, -0.5]), np.array(0.3)])


def test_a_tensor_that_requires_grad_in_an_input_without_gradient_is_refused():
    t = ad.tensor(np.ones((2, 3)), requires_grad=True)
    ddof = ad.tensor(1.0, requires_grad=True)
    for call in (lambda: np.var(t, ddof=ddof), lambda: ad.std(t, 0, False, ddof)):
        with pytest.raises(TypeError, match=r"input 'ddof' gets no gradient, but a Tensor "
                                            r"that requires grad \(shape \(\), dtype float64"):
            call()
    assert np.var(t, ddof=ad.tensor(1.0)).requires_grad     # a constant Tensor is fine


def test_mod_operator_and_its_divisor_gradient():
    a = ad.tensor([5.5, -5.5], requires_grad=True)
    b = ad.tensor([2.0, 2.0], requires_grad=True)
    y = a % b
    np.testing.assert_array_equal(y.data, np.mod(a.data, b.data))
    y.sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 1.0])
    np.testing.assert_array_equal(b.grad, -np.floor(a.data / b.data))
    r = 7.0 % ad.tensor(2.5, requires_grad=True)
    assert r.item() == 7.0 % 2.5 and r.requires_grad


def test_linspace_with_tensor_ends_and_retstep():
    start = ad.tensor([0.0, 1.0], requires_grad=True)
    stop = ad.tensor(2.0, requires_grad=True)
    samples, step = np.linspace(start, stop, 5, retstep=True, axis=-1)
    expected, expected_step = np.linspace(start.data, stop.data, 5, retstep=True, axis=-1)
    np.testing.assert_array_equal(samples.data, expected)
    np.testing.assert_array_equal(step.data, expected_step)
    (samples.sum() + step.sum()).backward()
    # each row: sum of (1 - t) = 2.5 for start; stop gets 2.5 per row; step = (stop - start)/4
    np.testing.assert_allclose(start.grad, [2.5 - 0.25, 2.5 - 0.25])
    np.testing.assert_allclose(stop.grad, 2 * 2.5 + 2 * 0.25)


def test_keywords_that_the_function_handles_itself():
    t = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    np.testing.assert_array_equal(np.ravel(t, order="F").data, np.ravel(t.data, order="F"))
    np.testing.assert_array_equal(np.ravel(t.T, order="K").data, np.ravel(t.data.T, order="K"))
    for view in (lambda a: np.flip(a, 1)[:, ::2], lambda a: np.swapaxes(a[None, :, ::-1], 0, 2)):
        np.testing.assert_array_equal(np.ravel(view(t), order="K").data,
                                      np.ravel(view(t.data), order="K"))
        assert ad.gradcheck(lambda s: np.ravel(view(s), order="K"), [t.data])
    samples = np.linspace(t[0, 1], 3.0, 4, dtype=np.float32)
    assert samples.dtype == np.float32
    np.testing.assert_array_equal(samples.data, np.linspace(1.0, 3.0, 4, dtype=np.float32))


@pytest.mark.parametrize("func", [
    pytest.param(lambda t: np.tan(t), id="tan"),
    pytest.param(lambda t: np.cumprod(t), id="cumprod"),
    pytest.param(lambda t: np.std(t, axis=0), id="std"),
    pytest.param(lambda t: ad.logsumexp(t, axis=1), id="logsumexp"),
    pytest.param(lambda t: np.pad(t, 1, mode="edge"), id="pad"),
    pytest.param(lambda t: np.linspace(t[0], t[1], 3), id="linspace"),
    pytest.param(lambda t: np.sort(t, axis=0), id="sort"),
])
def test_float32_stays_float32(func):
    data = np.random.default_rng(4).uniform(0.5, 1.5, (2, 3)).astype(np.float32)
    t = ad.tensor(data, requires_grad=True)
    out = func(t)
    assert out.dtype == np.float32 == func(data).dtype
    out.sum().backward()
    assert t.grad.dtype == np.float32


FORWARDS = {
    "cumsum": lambda m, x: m.cumsum(x), "cumprod": lambda m, x: m.cumprod(x),
    "prod": lambda m, x: m.prod(x), "std": lambda m, x: m.std(x), "diff": lambda m, x: m.diff(x),
    "sort": lambda m, x: m.sort(x, axis=None), "tril": lambda m, x: m.tril(x),
    "pad": lambda m, x: m.pad(x, 1, constant_values=7),
    "pad edge": lambda m, x: m.pad(x, 1, "edge"),
    "mod": lambda m, x: m.mod(x, 3), "floor_divide": lambda m, x: m.floor_divide(x, 3),
    "fmax": lambda m, x: m.fmax(x, 2), "tan": lambda m, x: m.tan(x),
    "log2": lambda m, x: m.log2(x + 1), "hypot": lambda m, x: m.hypot(x, 2),
    "fabs": lambda m, x: m.fabs(x), "ceil": lambda m, x: m.ceil(x), "exp2": lambda m, x: m.exp2(x),
    "fix": lambda m, x: m.fix(x), "isposinf": lambda m, x: m.isposinf(x),
    "select": lambda m, x: m.select([x > 1], [x], 0), "repeat": lambda m, x: m.repeat(x, 2),
    "tile": lambda m, x: m.tile(x, 2), "roll": lambda m, x: m.roll(x, 1),
    "flip": lambda m, x: m.flip(x), "nan_to_num": lambda m, x: m.nan_to_num(x),
    "real": lambda m, x: m.real(x), "imag": lambda m, x: m.imag(x),
    "fftshift": lambda m, x: m.fft.fftshift(x), "ravel": lambda m, x: m.ravel(x),
}
ARRAYS = {
    "int64": (np.arange(6).reshape(2, 3) % 3).astype(np.int64),
    "bool": (np.arange(6).reshape(2, 3) % 3).astype(bool),
    "float16": (np.arange(6).reshape(2, 3) % 3).astype(np.float16),
    "float32 0-d": np.array(1.5, dtype=np.float32),
    "empty": np.ones((2, 0)),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("array", ARRAYS.values(), ids=ARRAYS.keys())
@pytest.mark.parametrize("func", FORWARDS.values(), ids=FORWARDS.keys())
def test_results_equal_numpy_for_every_dtype_and_shape(func, array):
    try:
        expected = func(np, array)
    except Exception as error:                   # NumPy refuses: so must we, the same way
        with pytest.raises(type(error)):
            func(np, ad.tensor(array))
        return
    out = func(np, ad.tensor(array))
    assert out.dtype == np.asarray(expected).dtype and out.shape == np.shape(expected)
    np.testing.assert_array_equal(out.data, expected)


@pytest.mark.parametrize("func", [
    pytest.param(lambda t: np.prod(t, axis=0), id="prod"),
    pytest.param(lambda t: np.prod(t, axis=-1, keepdims=True), id="prod keepdims"),
    pytest.param(lambda t: np.cumprod(t, axis=0), id="cumprod"),
    pytest.param(lambda t: np.cumsum(t, axis=0), id="cumsum"),
    pytest.param(lambda t: np.sum(t, axis=0), id="sum"),
    pytest.param(lambda t: np.take(t, [0, 0], axis=0), id="take"),
])
def test_axis_0_of_a_0d_tensor_as_numpy_allows_it(func):
    x = np.array(1.7)
    y = func(ad.tensor(x))
    assert y.shape == np.shape(func(x))
    np.testing.assert_array_equal(y.data, func(x))
    assert ad.gradcheck(func, [x]) and ad.gradgradcheck(func, [x])


def test_concatenate_with_axis_none_joins_the_flattened_inputs():
    a, b = np.arange(6.0).reshape(2, 3), np.array([[1.0], [2.0]])
    y = np.concatenate([ad.tensor(a), ad.tensor(b)], axis=None)
    np.testing.assert_array_equal(y.data, np.concatenate([a, b], axis=None))
    weights = np.arange(8.0)
    assert ad.gradcheck(lambda s, t: np.concatenate([s, t], axis=None) * weights, [a, b])
    assert ad.gradgradcheck(lambda s, t: np.concatenate([s * s, t], axis=None) * weights, [a, b])
    s = ad.tensor(a, requires_grad=True)
    (ad.concatenate([s, b], axis=None) * weights).sum().backward()
    np.testing.assert_array_equal(s.grad, weights[:6].reshape(2, 3))


@pytest.mark.parametrize("func", [
    pytest.param(lambda t: t ** [1.0, 2.0, 3.0], id="power"),
    pytest.param(lambda t: [1.0, 2.0, 3.0] ** t, id="rpower"),
    pytest.param(lambda t: np.arctan2(t, [1.0, 2.0, 3.0]), id="arctan2"),
    pytest.param(lambda t: np.dot(t, [1.0, 2.0, 3.0]), id="dot"),
    pytest.param(lambda t: t @ [[1.0], [2.0], [3.0]], id="matmul"),
    pytest.param(lambda t: np.concatenate([t, [1.0]]), id="concatenate"),
    pytest.param(lambda t: np.diff(t, prepend=[0.0], append=[1.0, 2.0]), id="diff"),
    pytest.param(lambda t: np.cross(t, [0.0, 1.0, 2.0]), id="cross"),
    pytest.param(lambda t: np.cross((0.0, 1.0, 2.0), t), id="cross tuple"),
    pytest.param(lambda t: np.where(t > 1, t, [5.0, 6.0, 7.0]), id="where"),
])
def test_a_list_as_the_other_operand_works_as_numpy_and_has_gradients(func):
    x = np.array([0.5, 1.5, 2.5])
    np.testing.assert_allclose(func(ad.tensor(x)).data, func(x), rtol=1e-15)
    assert ad.gradcheck(func, [x]) and ad.gradgradcheck(func, [x])


def test_var_and_std_take_numpys_newer_mean_keyword():
    t = ad.tensor(np.ones((2, 3)), requires_grad=True)
    for func in (np.var, np.std):
        np.testing.assert_array_equal(func(t, mean=np.ones((1, 1)) * 0.5).data,
                                      func(t.data, mean=np.ones((1, 1)) * 0.5))


@pytest.mark.parametrize("order", ["C", "F", "A", "K"])
def test_flatten_with_numpys_order(order):
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(ad.tensor(x).flatten(order).data, x.flatten(order))
    assert ad.gradcheck(lambda t: t.flatten(order) * np.arange(6.0), [x])
    with pytest.raises(TypeError, match="flatten: got order='F' and end_dim=1"):
        ad.tensor(x).flatten("F", 1)


def test_int_and_bool_corner_cases_follow_numpys_dtypes():
    ints, bools = np.array([1, 2]), np.array([True, False])
    assert np.rint(ad.tensor(ints)).dtype == np.rint(ints).dtype == np.float64
    assert np.conj(ad.tensor(bools)).dtype == np.conj(bools).dtype
    assert np.conj(ad.tensor(ints)).dtype == np.conj(ints).dtype
    with pytest.raises(TypeError, match="numpy.positive: not defined for a bool Tensor"):
        np.positive(ad.tensor(bools))
    x = ad.tensor([1.4, 2.6], requires_grad=True)
    np.rint(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


BITWISE = {
    "and": lambda a: a & 6, "rand": lambda a: 6 & a, "or": lambda a: a | 8,
    "ror": lambda a: 8 | a, "xor": lambda a: a ^ 3, "rxor": lambda a: 3 ^ a,
    "invert": lambda a: ~a, "np.bitwise_and": lambda a: np.bitwise_and(a, 6),
    "np.invert": np.invert, "array & tensor": lambda a: np.arange(4) & a,
}


@pytest.mark.parametrize("array", [np.arange(4), np.arange(4).astype(np.uint8),
                                   np.arange(4) % 2 == 0], ids=["int64", "uint8", "bool"])
@pytest.mark.parametrize("func", BITWISE.values(), ids=BITWISE.keys())
def test_bitwise_operators_are_numpys_for_integers_and_bools(func, array):
    expected = func(array)
    out = func(ad.tensor(array))
    assert isinstance(out, ad.Tensor) and not out.requires_grad
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out.data, expected)


def test_bitwise_operators_on_floats_raise_as_numpy_does():
    x = ad.tensor([0.5, 2.0], requires_grad=True)
    for func in (lambda t: t & t, lambda t: ~t, lambda t: t | 1):
        with pytest.raises(TypeError, match=r"on floats compare first"):
            func(x)
    np.testing.assert_array_equal(((x > 0) & (x < 1)).data, [True, False])


def test_a_0d_integer_tensor_is_an_index_as_a_0d_integer_array_is():
    n, x = ad.tensor(2), ad.tensor(np.arange(5.0), requires_grad=True)
    assert list(range(n)) == [0, 1] and [10, 20, 30][n] == 30
    assert np.zeros(n).shape == (2,) and np.arange(5)[n] == 2
    x[:n].sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 0.0, 0.0, 0.0])
    for bad in (ad.tensor(2.0), ad.tensor([2])):
        with pytest.raises(TypeError, match="only integer scalar arrays"):
            [1, 2, 3][bad]


def test_round_and_clip_methods_take_numpys_arguments():
    data = np.array([-1.234, 0.5, 2.567])
    x = ad.tensor(data, requires_grad=True)
    for method, args, kwargs in [("round", (1,), {}), ("round", (), {"decimals": 2}),
                                 ("clip", (), {"min": 0.0}), ("clip", (), {"max": 1.0}),
                                 ("clip", (-1.0,), {"max": 1.0})]:
        out = getattr(x, method)(*args, **kwargs)
        np.testing.assert_array_equal(out.data, getattr(data, method)(*args, **kwargs))
    x.clip(min=0.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0])
    with pytest.raises(TypeError, match="pass each bound once"):
        x.clip(0.0, min=0.0)


def test_copy_is_recorded_and_owns_its_array():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    (x.copy() * np.copy(x * 2)).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])
    a = ad.tensor([1.0, 2.0])
    b = a.copy()
    b[0] = 9.0                                  # as NumPy: the copy's own array
    assert a.data.tolist() == [1.0, 2.0] and b.data.tolist() == [9.0, 2.0]


@pytest.mark.parametrize("exponent", [2, 2.0, 3, 1, 0, True, np.int64(2), np.array(2)],
                         ids=repr)
@pytest.mark.parametrize("array", [np.array([True, False]), np.array(True),
                                   np.array([1, 2], dtype=np.int8),
                                   np.array([1.0, 2.0], dtype=np.float32)],
                         ids=["bool", "bool-0d", "int8", "float32"])
def test_power_operator_has_numpys_dtypes(array, exponent):
    # ndarray's ** 2 is np.square, so a bool array squared is int8 (np.power gives int64)
    expected = array ** exponent
    out = ad.tensor(array) ** exponent
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out.data, expected)
    assert ad.power(ad.tensor(array), exponent).dtype == np.power(array, exponent).dtype


@pytest.mark.parametrize("dtype", [bool, np.int8, np.uint8, np.int16, np.uint16, np.int32,
                                   np.int64])
def test_rint_of_integers_gives_numpys_float_dtype(dtype):
    a = np.array([1, 0, 3]).astype(dtype)
    got = np.rint(ad.tensor(a))
    assert got.dtype == np.rint(a).dtype and np.array_equal(got.data, np.rint(a))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_linspace_with_a_dtype(dtype):
    got = ad.linspace(0, 10, 5, dtype=dtype)
    want = np.linspace(0, 10, 5, dtype=dtype)
    assert got.dtype == want.dtype and np.array_equal(got.data, want)


def test_gradient_of_bool_samples_is_refused_as_numpy_refuses_it():
    with pytest.raises(TypeError, match="gradient: differences of bool values"):
        np.gradient(ad.tensor(np.array([True, False, True])))
