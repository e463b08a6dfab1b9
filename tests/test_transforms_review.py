"""Transforms, custom gradients, PyTorch spellings and creation functions at their edges:
each case here once gave a wrong value or gradient, or an unclear error."""

import warnings

import numpy as np
import pytest

import autodiff as ad


# ----- custom_gradient: what the decorated function returns ---------------------------

def test_custom_gradient_without_a_vjp_raises_instead_of_unpacking_the_value():
    @ad.custom_gradient
    def doubled(x):
        return x * 2          # the vjp is missing

    # A 2-element value used to be unpacked into (value[0], value[1]): a 0-d result.
    with pytest.raises(TypeError, match=r"doubled must return \(value, vjp\).*a Tensor"):
        doubled(ad.tensor([1.0, 5.0], requires_grad=True))


def test_custom_gradient_with_a_non_callable_vjp_raises_at_the_call():
    @ad.custom_gradient
    def doubled(x):
        return x * 2, x

    with pytest.raises(TypeError, match=r"doubled must return \(value, vjp\).*not callable"):
        doubled(ad.tensor([1.0, 5.0], requires_grad=True))


def test_custom_gradient_with_several_values_raises_instead_of_stacking_them():
    @ad.custom_gradient
    def pair(x):
        return (x * 2, x * 3), lambda g: g

    with pytest.raises(TypeError, match=r"pair returned a tuple as its value"):
        pair(ad.tensor([1.0, 5.0], requires_grad=True))


def test_custom_gradient_still_works_for_one_value():
    @ad.custom_gradient
    def scaled(x):
        return x * 3, lambda g: g * 3

    np.testing.assert_array_equal(ad.grad(lambda x: scaled(x).sum())(np.ones(2)), [3.0, 3.0])


# ----- Tensor.norm(p) below 1 ----------------------------------------------------------

@pytest.mark.parametrize("p", [0.5, -1.0, -0.5])
def test_tensor_norm_below_one_has_a_zero_not_nan_gradient_at_zero_entries(p):
    values = np.array([1.0, 0.0, 2.0])
    x = ad.tensor(values, requires_grad=True)
    x.norm(p=p).backward()
    nonzero = values != 0
    total = np.sum(np.abs(values[nonzero]) ** p) if p > 0 else np.inf
    expected = np.zeros(3)
    if p > 0:       # d/dx_i (sum |x|^p)^(1/p) = total^(1/p - 1) |x_i|^(p - 1) sign(x_i)
        expected[nonzero] = total ** (1 / p - 1) * np.abs(values[nonzero]) ** (p - 1)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-12)
    # the same as the library's np.linalg.norm of a vector
    y = ad.tensor(values, requires_grad=True)
    np.linalg.norm(y, p).backward()
    np.testing.assert_allclose(x.grad, y.grad, rtol=1e-12)


def test_tensor_norm_below_one_keeps_values_and_dtype():
    x = ad.tensor(np.array([[0.0, 1.0], [4.0, 0.0]], dtype=np.float32))
    result = x.norm(p=0.5, dim=1)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result.data, [1.0, 4.0])
    assert float(ad.tensor([1.0, 0.0]).norm(p=-1)) == 0.0


# ----- jvp outputs ---------------------------------------------------------------------

@pytest.mark.parametrize("func", [lambda x: (x, (x * 2, x)), lambda x: {"a": x},
                                  lambda x: [x, [x * 2]]])
def test_jvp_of_nested_or_dict_outputs_keeps_their_structure(func):
    # (they used to be refused; torch.func.jvp takes them)
    out, tangent = ad.jvp(func, (np.ones(2),), (np.full(2, 3.0),))
    expected_out, expected_tangent = func(np.ones(2)), func(np.full(2, 3.0))
    assert type(out) is type(expected_out) and type(tangent) is type(expected_out)
    assert repr(tangent) == repr(expected_tangent) and repr(out) == repr(expected_out)


# ----- value_and_grad: the value is the caller's own -----------------------------------

def test_value_and_grad_value_does_not_share_memory_with_an_input_tensor():
    x = ad.tensor([3.0, 1.0])
    value, _ = ad.value_and_grad(lambda t: t[0])(x)
    value[...] = 100.0
    np.testing.assert_array_equal(x.data, [3.0, 1.0])
    y = ad.tensor(2.0)
    value, gradient = ad.value_and_grad(lambda t: t)(y)
    assert not np.shares_memory(value, y.data) and gradient == 1.0


# ----- full / full_like with a Tensor fill value ---------------------------------------

def test_full_with_a_tracked_fill_value_is_recorded():
    s = ad.tensor(3.0, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no TapeDropWarning
        filled = ad.full((2, 3), s)
    assert filled.requires_grad and filled.shape == (2, 3)
    (filled * 2).sum().backward()
    assert s.grad == 12.0
    np.testing.assert_array_equal(ad.grad(lambda t: ad.full((2,), t).sum())(1.5), 2.0)


def test_full_like_with_a_tracked_fill_value_is_recorded_in_the_like_dtype():
    like = np.zeros((2, 2), dtype=np.float32)
    gradient = ad.grad(lambda t: (ad.full_like(like, t) ** 2).sum())(1.5)   # 4 * 2 t
    np.testing.assert_allclose(gradient, 12.0)
    assert ad.full_like(like, ad.tensor(2.0)).dtype == np.float32


def test_full_with_a_tensor_of_several_values_raises():
    with pytest.raises(ValueError, match=r"full: fill_value must have one element"):
        ad.full((2,), ad.tensor([1.0, 2.0]))


# ----- Tensor.max(other) ---------------------------------------------------------------

def test_max_of_an_array_argument_points_to_maximum():
    x = ad.tensor([1.0, 5.0])
    with pytest.raises(TypeError, match=r"elementwise maximum.*ad\.maximum\(t, other\)"):
        x.max(np.array([3.0, 3.0]))
    with pytest.raises(TypeError, match=r"elementwise minimum.*ad\.minimum\(t, other\)"):
        x.min(np.array([3.0, 3.0]))


# ----- one dim where PyTorch takes one dim ----------------------------------------------

@pytest.mark.parametrize("name", ["cumsum", "cumprod", "argmax", "argmin"])
def test_an_empty_dim_tuple_is_refused_where_pytorch_takes_one_dim(name):
    x = ad.tensor(np.arange(1.0, 7.0).reshape(2, 3))
    # dim=() used to mean every dim: a flattened running sum, a flat argmax
    with pytest.raises(TypeError, match=rf"^{name}: dim must be an int"):
        getattr(x, name)(dim=())
    np.testing.assert_array_equal(getattr(x, name)(dim=1).data,
                                  getattr(np, name)(x.data, axis=1))


# ----- random creation in a dtype NumPy cannot draw ------------------------------------

@pytest.mark.parametrize("name", ["rand", "randn"])
def test_random_creation_in_float16_names_the_dtype(name):
    with pytest.raises(TypeError, match=rf"^{name}: NumPy draws float32 or float64 values "
                                        r"only, got dtype float16"):
        getattr(ad, name)(2, rng=0, dtype=np.float16)
    assert getattr(ad, name)(2, rng=0, dtype=np.float32).dtype == np.float32
