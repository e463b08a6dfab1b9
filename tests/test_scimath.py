"""np.emath on Tensors (autodiff/ops/scimath.py): NumPy's values and dtypes exactly
where they are real and where they are complex (an argument with an entry outside
the real domain cast to complex and recorded), gradients against central differences
to second order and against PyTorch's of the complex functions."""

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.gradcheck import gradcheck, gradgradcheck

RNG = np.random.default_rng(5)
POSITIVE = RNG.uniform(0.2, 3.0, (3, 4))
UNIT = RNG.uniform(-0.9, 0.9, (3, 4))

UNARY = ["sqrt", "log", "log2", "log10"]
INVERSE_TRIG = ["arccos", "arcsin", "arctanh"]


def _same(got, want):
    assert isinstance(got, ad.Tensor)
    assert got.dtype == want.dtype and got.shape == np.shape(want)
    np.testing.assert_array_equal(got.data, want)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("name", UNARY + INVERSE_TRIG)
def test_real_results_are_numpys_exactly(name, dtype):
    values = POSITIVE if name in UNARY else UNIT
    if dtype == np.int64:
        values = np.round(values * (4 if name in UNARY else 1))
    values = values.astype(dtype)
    func = getattr(np.emath, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # log(0), arctanh(±1)
        _same(func(ad.tensor(values)), func(values))


@pytest.mark.parametrize("n", [2, 3.0, np.float32(10.0), np.array([2.0, 3.0, 4.0, 5.0])])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logn_is_numpys_exactly(n, dtype):
    x = POSITIVE.astype(dtype)
    _same(np.emath.logn(n, ad.tensor(x)), np.emath.logn(n, x))
    _same(np.emath.logn(ad.tensor(x[0]), x), np.emath.logn(x[0], x))


@pytest.mark.parametrize("p", [2, 2.5, -1, np.array([2, -1, 0, 3]),
                               np.array([0.5, -2.0, 1.0, 3.0])])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_power_is_numpys_exactly(p, dtype):
    x = np.round(POSITIVE * 3).astype(dtype) + 1
    _same(np.emath.power(ad.tensor(x), p), np.emath.power(x, p))
    if not np.isscalar(p):
        _same(np.emath.power(x, ad.tensor(p)), np.emath.power(x, p))


def _unary_sum(x):
    e = np.emath
    return e.sqrt(x) + e.log(x) * e.log2(x) + e.log10(x) ** 2 + e.logn(3.0, x)


def _inverse_trig(x):
    return np.emath.arccos(x) * np.emath.arcsin(x) + np.emath.arctanh(x)


def _power_both(x):
    return np.emath.power(x, x[::-1]) + np.emath.logn(x[:, :1] + 1.0, x)


@pytest.mark.parametrize("function, point", [
    (_unary_sum, POSITIVE), (_inverse_trig, UNIT), (_power_both, POSITIVE)])
def test_gradients_match_central_differences_to_second_order(function, point):
    assert gradcheck(function, [point])
    assert gradgradcheck(function, [point])


OUTSIDE = {"sqrt": [-1.0, 4.0, -9.0], "log": [-1.0, 4.0, -0.25], "log2": [0.5, -4.0],
           "log10": [-0.5, 3.0], "arccos": [1.5, 0.2, -2.0], "arcsin": [0.3, 1.0001, -1.7],
           "arctanh": [-3.0, 0.4, 1.2]}


def _parts_loss(z):
    """A real loss of every part of a complex result (both parts enter, with weights)."""
    return (np.real(z) * np.array([1.0, -0.5, 2.0][:z.shape[0]])).sum() + (np.imag(z) ** 2).sum()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", UNARY + INVERSE_TRIG)
def test_a_complex_result_is_numpys_and_recorded(name, dtype):
    values = np.array(OUTSIDE[name], dtype=dtype)
    x = ad.tensor(values, requires_grad=True)
    got = getattr(np.emath, name)(x)
    _same(got, getattr(np.emath, name)(values))     # complex64 from float32, as NumPy's
    assert got.requires_grad
    _parts_loss(got).backward()
    assert x.grad.dtype == dtype


@pytest.mark.parametrize("name", UNARY + INVERSE_TRIG)
def test_a_complex_results_gradient_matches_central_differences_to_second_order(name):
    function = getattr(np.emath, name)
    point = np.array(OUTSIDE[name])
    assert gradcheck(lambda v: _parts_loss(function(v)), [point])
    assert gradgradcheck(lambda v: _parts_loss(function(v)), [point])


def test_logn_and_power_with_entries_below_zero_are_numpys_and_differentiate():
    x0, n0 = np.array([4.0, -8.0]), np.array([-2.0, 3.0])
    _same(np.emath.logn(n0, ad.tensor(x0)), np.emath.logn(n0, x0))
    _same(np.emath.logn(ad.tensor(n0), x0), np.emath.logn(n0, x0))
    _same(np.emath.power(ad.tensor(x0), 0.5), np.emath.power(x0, 0.5))
    _same(np.emath.power(ad.tensor(x0), np.array([-1, 2])), np.emath.power(x0, [-1, 2]))
    for function in (lambda n, x: np.emath.logn(n, x),
                     lambda n, x: np.emath.power(x, n * 0.25 + 1.0)):
        assert gradcheck(lambda n, x: _parts_loss(function(n, x)), [n0, x0])
        assert gradgradcheck(lambda n, x: _parts_loss(function(n, x)), [n0, x0])


def test_a_complex_results_gradient_matches_pytorchs():
    torch = pytest.importorskip("torch")
    # (not arccos and arcsin beyond +1, on their branch cut, where PyTorch's gradient
    # is the other side's: tests/test_complex_branch_cuts.py)
    for name, torch_name in [("sqrt", "sqrt"), ("log", "log"), ("log10", "log10"),
                             ("arccos", "acos"), ("arcsin", "asin"), ("arctanh", "atanh")]:
        values = [-1.0, 4.0, -9.0] if name in UNARY else [-0.5, 0.3, -3.0]
        if name == "arctanh":
            values = [-3.0, 0.4, 1.2]
        x = ad.tensor(values, requires_grad=True)
        _parts_loss(getattr(np.emath, name)(x)).backward()
        t = torch.tensor(x.data, requires_grad=True)
        z = getattr(torch, torch_name)(t.to(torch.complex128))
        weights = torch.tensor([1.0, -0.5, 2.0])
        (z.real[:3] * weights).sum().add((z.imag ** 2).sum()).backward()
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_without_grad_a_complex_result_is_numpys_value_off_the_tape():
    for name, values in [("sqrt", [-4.0, 9.0]), ("log", [-1.0]), ("arcsin", [2.0])]:
        got = getattr(np.emath, name)(ad.tensor(values))
        _same(got, getattr(np.emath, name)(np.array(values)))
        assert not got.requires_grad
    with ad.no_grad():
        got = np.emath.power(ad.tensor([-8.0], requires_grad=True), 1 / 3)
    _same(got, np.emath.power(np.array([-8.0]), 1 / 3))


def test_nan_and_empty_inputs_stay_real():
    x = ad.tensor([np.nan, 4.0], requires_grad=True)
    _same(np.emath.sqrt(x), np.emath.sqrt(np.array([np.nan, 4.0])))
    _same(np.emath.log(ad.tensor(np.zeros((0, 2)))), np.emath.log(np.zeros((0, 2))))


def test_a_compiled_function_refuses_emath_whose_kind_of_result_depends_on_values():
    w = ad.tensor(np.ones(3), requires_grad=True)

    @ad.compile
    def f(x):
        loss = np.emath.sqrt(x * w).sum()
        loss.backward()
        return loss

    with pytest.raises(ad.TraceError, match=r"compile: numpy\.emath\.sqrt at .*whether its "
                                            r"result is real or complex depends on the values.*"
                                            r"\(np\.sqrt\)"):
        f(np.ones(3))
