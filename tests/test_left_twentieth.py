"""PyTorch's ``dim=`` given to functions that take NumPy's ``axis=`` only, ``.grad``'s
``max(other)`` / ``min(other)``, and ``np.pad(mode='linear_ramp')`` with Tensor end
values."""

import inspect

import numpy as np
import pytest

import autodiff as ad
from autodiff.numpy_names import AXIS_ONLY
from numpy_program_checks import central_difference


# ---- dim= where only axis= is taken: an error naming axis=, not Python's bare
# "unexpected keyword argument 'dim'"

def _takes_axis_but_not_dim(function) -> bool:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return ("axis" in parameters and "dim" not in parameters
            and not any(p.kind is p.VAR_KEYWORD for p in parameters.values()))


@pytest.mark.parametrize("namespace", ["ad", "ad.fft", "ad.linalg", "ad.special",
                                       "ad.nn.functional"])
def test_every_public_function_with_axis_and_no_dim_names_axis_for_dim(namespace):
    module = {"ad": ad, "ad.fft": ad.fft, "ad.linalg": ad.linalg, "ad.special": ad.special,
              "ad.nn.functional": ad.nn.functional}[namespace]
    x = ad.tensor(np.arange(12.0).reshape(3, 4))
    bare = []
    for name in sorted(dir(module)):
        function = getattr(module, name)
        if name.startswith("_") or isinstance(function, type) or not callable(function):
            continue
        if not _takes_axis_but_not_dim(function):
            continue
        try:
            function(x, dim=1)
        except TypeError as error:
            if "unexpected keyword argument 'dim'" in str(error):
                bare.append(name)
        except Exception:       # noqa: BLE001  (other arguments missing: not this check)
            pass
    assert bare == []


@pytest.mark.parametrize("call", [
    lambda x: ad.nanmax(x, dim=1), lambda x: ad.nanmin(x, dim=1, keepdim=True),
    lambda x: ad.percentile(x, 50, dim=1), lambda x: ad.nanpercentile(x, 50, dim=1),
    lambda x: ad.ptp(x, dim=0), lambda x: ad.average(x, dim=0),
    lambda x: ad.take_along_axis(x, np.zeros((3, 1), int), dim=1),
    lambda x: ad.repeat(x, 2, dim=0), lambda x: ad.cumulative_sum(x, dim=1)],
    ids=["nanmax", "nanmin", "percentile", "nanpercentile", "ptp", "average",
         "take_along_axis", "repeat", "cumulative_sum"])
def test_numpy_only_functions_refuse_dim_naming_axis(call):
    x = ad.tensor(np.arange(12.0).reshape(3, 4))
    with pytest.raises(TypeError, match=r"^ad\.\w+ is numpy\.\w+, which takes NumPy's "
                                        r"axis=/keepdims=.*pass axis="):
        call(x)


def test_l2_normalize_takes_pytorchs_dim_for_axis():
    x = ad.tensor([[3.0, 4.0], [0.0, 1.0]])
    np.testing.assert_array_equal(ad.nn.functional.l2_normalize(x, dim=0).data,
                                  ad.nn.functional.l2_normalize(x, axis=0).data)
    with pytest.raises(TypeError, match="got both axis=0 and dim=1"):
        ad.nn.functional.l2_normalize(x, axis=0, dim=1)


def test_segment_reduce_refuses_dim_naming_axis():
    with pytest.raises(TypeError, match=r"^ad\.segment_reduce takes axis=, not dim="):
        ad.segment_reduce(ad.tensor(np.ones(3)), "sum", lengths=np.array([1, 2]), dim=0)


@pytest.mark.parametrize("name", AXIS_ONLY)
def test_the_axis_only_functions_keep_their_signature_and_axis(name):
    function = getattr(ad, name)
    assert "axis" in inspect.signature(function).parameters
    assert function.__name__ == name


def test_numpy_only_functions_still_take_axis():
    a = np.arange(12.0).reshape(3, 4)
    x = ad.tensor(a)
    np.testing.assert_array_equal(ad.nanmax(x, axis=1).data, np.nanmax(a, axis=1))
    np.testing.assert_array_equal(ad.percentile(x, 30, axis=0).data,
                                  np.percentile(a, 30, axis=0))
    np.testing.assert_array_equal(ad.ptp(x, 1, keepdims=True).data, np.ptp(a, 1, keepdims=True))



@pytest.mark.parametrize("call, named", [
    (lambda t: ad.take(t, [7]), "take: "),
    (lambda t: ad.take_along_axis(t, np.array([[5]]), axis=1), "take_along_axis: "),
    (lambda t: ad.nanmax(t, axis=5), "max (in extreme): "),
    (lambda t: ad.ptp(t, axis=3), "max (in ptp): "),
    (lambda t: ad.append(t, np.ones((2, 2)), axis=0), "concatenate (in append): "),
    (lambda t: ad.cumulative_sum(t, axis=4), "cumsum (in cumulative_sum): ")])
def test_an_error_inside_an_axis_only_function_names_that_function(call, named):
    # the dim= check wraps the function; an op's error names what the user called, as
    # before the wrapper, never the wrapper
    t = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    with pytest.raises((IndexError, ValueError)) as raised:
        call(t)
    assert str(raised.value).startswith(named) and "refusing" not in str(raised.value)


# ---- p.grad.max(other) / .min(other): PyTorch's elementwise maximum / minimum

def _grad_of(values):
    p = ad.tensor(values, requires_grad=True)
    (p * p).sum().backward()
    return p.grad


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("other", [
    lambda: ad.tensor([0.0, 0.0, 10.0]), lambda: np.array([0.0, np.nan, 10.0]),
    lambda: ad.tensor(1.0), lambda: ad.tensor(1), lambda: ad.tensor([[0.0], [5.0]]),
    lambda: np.array([1.0, 2.0, 3.0], np.float32)],
    ids=["tensor", "array with nan", "0-d float", "0-d int", "broadcast", "float32"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grad_max_of_another_tensor_is_torchs_elementwise(name, other, dtype):
    torch = pytest.importorskip("torch")
    g = _grad_of(np.array([1.0, -2.0, 3.0], dtype))
    got = getattr(g, name)(other())
    o = other()
    expected = getattr(torch.tensor(np.asarray(g)), name)(
        torch.tensor(np.asarray(o.data if isinstance(o, ad.Tensor) else o))).numpy()
    assert type(got) is np.ndarray
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


def test_grad_max_along_an_axis_stays_numpys():
    g = _grad_of(np.array([[1.0, -2.0], [3.0, 0.5]]))
    np.testing.assert_array_equal(g.max(axis=0), [6.0, 1.0])
    np.testing.assert_array_equal(g.min(np.array(1)), [-4.0, 1.0])   # a 0-d int: an axis
    assert g.max() == 6.0


# ---- np.pad(mode='linear_ramp', end_values=<Tensor>): the ramp's gradient reaches
# the end values, and the values are NumPy's to the bit

def _numbers(value):
    if isinstance(value, (list, tuple)):
        return type(value)(_numbers(v) for v in value)
    return value.data if isinstance(value, ad.Tensor) else value


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("ends", [
    lambda e: e[0], lambda e: e[:2], lambda e: (e[0], 0.0), lambda e: e[:4].reshape(2, 2),
    lambda e: [[e[0], 1], [2, e[1]]], lambda e: e[:2].reshape(2, 1),
    lambda e: ad.tensor([[1, 2], [3, 4]]), lambda e: e[:2].astype(np.float32),
    lambda e: e[:4].reshape(2, 2).astype(np.float32)],
    ids=["0-d", "pair", "tensor and number", "pair per axis", "nested list",
         "column", "int pairs", "float32 pair", "float32 pairs"])
def test_a_linear_ramp_from_tensor_end_values_is_numpys(ends, dtype):
    rng = np.random.default_rng(20)
    for _ in range(10):
        a = rng.normal(size=(4, 6)).astype(dtype)
        e = ad.tensor(rng.normal(size=4), requires_grad=True)
        value = ends(e)
        expected = np.pad(a, ((2, 3), (1, 2)), mode="linear_ramp", end_values=_numbers(value))
        got = np.pad(ad.tensor(a, requires_grad=True), ((2, 3), (1, 2)), mode="linear_ramp",
                     end_values=value)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got.data, expected)


@pytest.mark.parametrize("ends, size", [
    (lambda p: p[0], 1), (lambda p: p, 2), (lambda p: p.reshape(2, 2), 4),
    (lambda p: [p[0], 2.0], 1)], ids=["0-d", "pair", "pair per axis", "list"])
def test_the_end_values_of_a_linear_ramp_get_their_gradient(ends, size):
    a = np.random.default_rng(21).normal(size=(3, 4))
    weights = np.random.default_rng(22).normal(size=(3 + 3, 4 + 3))

    def padded(p, x):
        return (np.pad(x, ((1, 2), (2, 1)), mode="linear_ramp", end_values=ends(p))
                * weights).sum()

    p0 = np.random.default_rng(23).normal(size=size)
    grad_p, grad_x = ad.grad(padded, argnums=(0, 1))(p0, a)
    np.testing.assert_allclose(
        grad_p, central_difference(lambda p: padded(ad.tensor(p), a).item(), p0),
        rtol=1e-7, atol=1e-9)
    flat = a.ravel()
    np.testing.assert_allclose(
        grad_x.ravel(), central_difference(
            lambda x: padded(ad.tensor(p0), x.reshape(a.shape)).item(), flat),
        rtol=1e-7, atol=1e-9)


def test_a_linear_ramp_of_an_integer_array_takes_tensor_end_values_as_numbers():
    a = np.arange(6).reshape(2, 3)
    got = np.pad(ad.tensor(a), 2, mode="linear_ramp", end_values=ad.tensor(7.0))
    np.testing.assert_array_equal(got.data, np.pad(a, 2, mode="linear_ramp", end_values=7.0))


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("ends", [1 + 2j, 0.5, lambda: ad.tensor(np.complex128(-1 + 0.5j))],
                         ids=["complex", "real", "tensor"])
def test_a_complex_linear_ramp_without_gradient_is_numpys(dtype, ends):
    z = (np.arange(12.0).reshape(3, 4) * (1 - 2j)).astype(dtype)
    ends = ends() if callable(ends) else ends
    got = np.pad(ad.tensor(z), ((1, 2), (2, 1)), mode="linear_ramp", end_values=ends)
    expected = np.pad(z, ((1, 2), (2, 1)), mode="linear_ramp", end_values=_numbers(ends))
    assert got.dtype == expected.dtype and not got.requires_grad
    np.testing.assert_array_equal(got.data, expected)


def test_a_complex_linear_ramp_with_gradient_is_refused_naming_the_real_route():
    z = ad.tensor(np.arange(6.0).reshape(2, 3) * (1 + 1j), requires_grad=True)
    with pytest.raises(TypeError, match=r"^pad: mode='linear_ramp' of a complex tensor "
                                        r"\(shape \(2, 3\), dtype complex128\).*t\.real"):
        np.pad(z, 1, mode="linear_ramp", end_values=1j)
    # the route it names gives NumPy's values, with the gradient
    parts = (np.pad(z.real, 1, mode="linear_ramp", end_values=0.0)
             + 1j * np.pad(z.imag, 1, mode="linear_ramp", end_values=1.0))
    np.testing.assert_array_equal(parts.data, np.pad(z.data, 1, mode="linear_ramp",
                                                     end_values=1j))
    np.abs(parts).sum().backward()
    assert z.grad.shape == z.shape and np.all(np.isfinite(z.grad))
