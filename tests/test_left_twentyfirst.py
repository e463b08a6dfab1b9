"""A Tensor where ``ad.max``/``ad.min`` take NumPy's axis (PyTorch's elementwise
``other``), ``logcumsumexp``'s warnings, and ``np.pad(mode='empty')``."""

import warnings

import numpy as np
import pytest

import autodiff as ad


# ---- ad.max(t, other): PyTorch's elementwise maximum, NumPy's axis; refused

def _matrix():
    return ad.tensor([[1.0, -2.0], [3.0, -4.0]], requires_grad=True)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("other", [ad.tensor(0), ad.tensor(1), np.array(0),
                                   ad.tensor([0.0, 1.0]), ad.tensor(0.5)],
                         ids=["tensor-0", "tensor-1", "array-0", "tensor-1d", "tensor-float"])
def test_a_tensor_or_array_as_the_second_argument_of_max_is_refused(name, other):
    # torch.max(t, torch.tensor(0)) is the elementwise maximum; NumPy would read the
    # 0-d integer as the axis: before, ad.max(t, ad.tensor(0)) silently reduced axis 0.
    pairwise = {"max": "maximum", "min": "minimum"}[name]
    with pytest.raises(TypeError, match=rf"ad\.{pairwise}\(input, other\).*"
                                        rf"ad\.{name}\(input, axis=int\(other\)\)"):
        getattr(ad, name)(_matrix(), other)


@pytest.mark.parametrize("name", ["max", "min"])
def test_the_refusal_names_the_shape_and_dtype(name):
    with pytest.raises(TypeError, match=r"shape \(\), dtype int64"):
        getattr(ad, name)(_matrix(), ad.tensor(0))


@pytest.mark.parametrize("name", ["amax", "amin"])
def test_the_refusal_inside_amax_names_the_function_called(name):
    # (it named the NumPy-name wrapper: "max (in function)")
    with pytest.raises(TypeError, match=rf"^{name[1:]} \(in {name}\): "):
        getattr(ad, name)(_matrix(), ad.tensor([0.0, 1.0]))


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin"])
@pytest.mark.parametrize("axis", [0, 1, np.int64(0), np.intp(1), -1])
def test_integer_axes_keep_numpy_s_reading(name, axis):
    x = _matrix()
    expected = getattr(np, name)(x.detach().numpy(), axis)
    np.testing.assert_array_equal(getattr(ad, name)(x, axis).detach().numpy(), expected)


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin"])
@pytest.mark.parametrize("axis", [np.array(1), ad.tensor(1)], ids=["array", "tensor"])
def test_numpy_s_own_function_reads_a_0d_integer_as_the_axis(name, axis):
    # np.max(a, np.array(1)) is np.max(a, 1) in NumPy; the call is NumPy's, so it is
    # NumPy's reading (and torch.amax(t, torch.tensor(1)) reads it as dim= too).
    x = _matrix()
    expected = getattr(np, name)(x.detach().numpy(), 1)
    np.testing.assert_array_equal(getattr(np, name)(x, axis).detach().numpy(), expected)
    if name.startswith("a"):
        np.testing.assert_array_equal(getattr(ad, name)(x, axis).detach().numpy(), expected)


def test_numpy_s_ufunc_reduce_reads_a_0d_integer_as_the_axis():
    x = _matrix()
    np.testing.assert_array_equal(np.maximum.reduce(x, np.array(1)).detach().numpy(),
                                  [1.0, 3.0])


def test_a_0d_integer_tensor_axis_gets_the_gradient_of_that_axis():
    x = _matrix()
    np.max(x, ad.tensor(1)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 0.0], [1.0, 0.0]])


@pytest.mark.parametrize("name, other", [("amax", 0), ("amin", 0), ("max", 0.0), ("min", 0.0)],
                         ids=["amax-dim", "amin-dim", "max-elementwise", "min-elementwise"])
def test_tensor_methods_read_a_0d_tensor_as_pytorch_s_do(name, other):
    # t.amax(tensor(0)) reduces dim 0; t.max(tensor(0.0)) is the elementwise maximum
    torch = pytest.importorskip("torch")
    values = [[1.0, -2.0], [3.0, -4.0]]
    ours = getattr(ad.tensor(values), name)(ad.tensor(other))
    theirs = getattr(torch.tensor(values), name)(torch.tensor(other))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ---- logcumsumexp of a NaN: NaN, silently, as PyTorch (and np.log(nan))

def _no_runtime_warning(call):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return call()


@pytest.mark.parametrize("call", [lambda t: t.logcumsumexp(0),
                                  lambda t: ad.logcumsumexp(t, 0)], ids=["method", "function"])
def test_logcumsumexp_of_a_nan_is_nan_without_numpy_s_warning(call):
    torch = pytest.importorskip("torch")
    values = [1.0, np.nan, 2.0, -np.inf]
    t = ad.tensor(values, requires_grad=True)
    out = _no_runtime_warning(lambda: call(t))
    reference = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    expected = torch.logcumsumexp(reference, 0)
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    _no_runtime_warning(lambda: out.sum().backward())
    expected.sum().backward()
    np.testing.assert_array_equal(t.grad, reference.grad.numpy())


def test_numpy_s_logaddexp_accumulate_keeps_numpy_s_warning_but_its_backward_is_silent():
    t = ad.tensor([1.0, np.nan, 2.0], requires_grad=True)
    with pytest.warns(RuntimeWarning, match="invalid value"):
        out = np.logaddexp.accumulate(t)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out.sum().backward()
    assert np.isnan(t.grad).all()


def test_logcumsumexp_of_infinities_stays_silent_and_matches_pytorch():
    torch = pytest.importorskip("torch")
    values = [[np.inf, 1.0, np.inf], [0.0, -np.inf, 3.0]]
    out = _no_runtime_warning(lambda: ad.tensor(values).logcumsumexp(1))
    np.testing.assert_array_equal(out.numpy(),
                                  torch.tensor(values, dtype=torch.float64).logcumsumexp(1))


def test_log_of_a_negative_still_warns_at_the_user_s_line():
    with pytest.warns(RuntimeWarning, match="invalid value") as record:
        ad.tensor([-1.0]).log()
    assert record[0].filename == __file__


# ---- np.pad(mode='empty'): NumPy leaves the padding undefined; zeros here

def _kept(padded_shape, widths):
    return tuple(slice(before, n - after) for n, (before, after) in zip(padded_shape, widths))


@pytest.mark.parametrize("shape, pad_width, widths", [
    ((), 2, ()),
    ((3,), 2, [(2, 2)]),
    ((3,), (1, 2), [(1, 2)]),
    ((3,), [(0, 3)], [(0, 3)]),
    ((2, 3), 1, [(1, 1), (1, 1)]),
    ((2, 3), (2,), [(2, 2), (2, 2)]),
    ((2, 3), ((1, 0), (0, 2)), [(1, 0), (0, 2)]),
    ((2, 3), np.array([[0, 1], [2, 0]]), [(0, 1), (2, 0)]),
    ((2, 3), {1: (1, 2)}, [(0, 0), (1, 2)]),
    ((2, 3), {-2: 1}, [(1, 1), (0, 0)]),
    ((2, 1, 3), ((0, 1), (2, 0), (1, 1)), [(0, 1), (2, 0), (1, 1)]),
    ((2, 0, 3), 1, [(1, 1), (1, 1), (1, 1)]),
], ids=["0d", "1d-int", "1d-pair", "1d-list", "2d-int", "2d-1tuple", "2d-pairs",
        "2d-array", "2d-dict", "2d-dict-negative", "3d", "3d-empty-axis"])
def test_pad_mode_empty_pads_with_zeros_and_keeps_numpy_s_shape_and_entries(shape, pad_width,
                                                                            widths):
    values = np.arange(1.0, 1.0 + int(np.prod(shape))).reshape(shape)
    x = ad.tensor(values, requires_grad=True)
    out = np.pad(x, pad_width, mode="empty")
    reference = np.pad(values, pad_width, mode="empty")
    assert out.shape == reference.shape and out.dtype == reference.dtype
    kept = _kept(out.shape, widths)
    np.testing.assert_array_equal(out.detach().numpy()[kept], values)
    padding = np.ones(out.shape, bool)
    padding[kept] = False
    assert (out.detach().numpy()[padding] == 0).all()
    # the gradient of sum(w * out): w at the kept entries, nothing from the padding
    weights = np.arange(out.size, dtype=float).reshape(out.shape) + 0.5
    (out * ad.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(x.grad, weights[kept].reshape(shape))


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_, np.complex128])
def test_pad_mode_empty_keeps_the_dtype_and_takes_the_mode_by_position(dtype):
    values = np.array([1, 0, 1]).astype(dtype)
    out = np.pad(ad.tensor(values), (1, 2), "empty")
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out.numpy(), np.pad(values, (1, 2), "constant"))
    np.testing.assert_array_equal(ad.pad(ad.tensor(values), 1, mode="empty").numpy()[1:-1],
                                  values)


def test_pad_mode_empty_refuses_the_options_of_other_modes_naming_it():
    with pytest.raises(TypeError, match=r"\['constant_values'\] do not apply to mode='empty'"):
        np.pad(ad.tensor([1.0]), 1, mode="empty", constant_values=1)


def test_pad_with_a_function_as_the_mode_is_refused_naming_concatenate():
    def fill(vector, width, axis, kwargs):
        vector[:width[0]] = 9

    with pytest.raises(TypeError, match=r"function as the mode \('fill'\).*np\.concatenate"):
        np.pad(ad.tensor([1.0, 2.0], requires_grad=True), 1, mode=fill)


# ---- PoissonNLLLoss(full=True) at a target of 0: the derivative of PyTorch's loss

def _torch_poisson_loss(torch, rates, targets, log_input):
    return float(torch.nn.functional.poisson_nll_loss(
        torch.tensor(rates), torch.tensor(targets), log_input=log_input, full=True,
        reduction="sum"))


@pytest.mark.parametrize("log_input", [True, False])
def test_poisson_nll_full_target_gradient_at_zero_is_the_central_difference(log_input):
    torch = pytest.importorskip("torch")
    rates = np.array([0.3, 0.7, 0.2, 1.5]) if not log_input else np.array([0.3, -0.5, 0.2, 1.5])
    targets = np.array([0.0, 0.5, 1.0, 3.0])
    t = ad.tensor(targets, requires_grad=True)
    ad.nn.PoissonNLLLoss(log_input=log_input, full=True, reduction="sum")(
        ad.tensor(rates), t).backward()
    # central differences of PyTorch's own loss (the Stirling term is 0 at t <= 1, so
    # the loss is linear in t there; h stays inside that piece; at t = 1 the term jumps
    # from 0 to log(2 pi) / 2 - 1, where both libraries take the left piece's slope)
    h = 1e-6
    for i in (0, 1, 3):
        up, down = targets.copy(), targets.copy()
        up[i] += h
        down[i] -= h
        slope = (_torch_poisson_loss(torch, rates, up, log_input)
                 - _torch_poisson_loss(torch, rates, down, log_input)) / (2 * h)
        np.testing.assert_allclose(t.grad[i], slope, rtol=1e-7, atol=1e-8)
    # PyTorch's backward gives NaN at the target 0 alone (0 * (log 0 + 1))
    reference = torch.tensor(targets, requires_grad=True)
    torch.nn.functional.poisson_nll_loss(torch.tensor(rates), reference, log_input=log_input,
                                         full=True, reduction="sum").backward()
    assert np.isnan(reference.grad[0].item()) and np.isfinite(t.grad[0])
    np.testing.assert_allclose(t.grad[1:], reference.grad[1:].numpy(), rtol=1e-12)
    expected_at_zero = -rates[0] if log_input else -np.log(rates[0] + 1e-8)
    np.testing.assert_allclose(t.grad[0], expected_at_zero, rtol=1e-12)
