"""Regression tests from a review of the PyTorch-named functions, methods and layers:
inputs that gave a result where PyTorch refuses them, and errors that did not say what
was wrong."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.gradcheck import gradcheck


# ----- index_reduce: the source must match the input in every dim but ``dim`` -----------
def test_index_reduce_refuses_a_source_narrower_than_the_input():
    # (it scattered into the first two columns only, leaving the third as it was)
    with pytest.raises(ValueError, match=r"index_reduce: source of shape \(2, 2\).*\(2, 3\)"):
        ad.index_reduce(ad.ones((5, 3)), 0, ad.tensor([1, 2]), ad.ones((2, 2)), "prod")
    with pytest.raises(ValueError, match="index_reduce"):
        ad.ones((5, 3)).index_reduce(1, ad.tensor([0]), ad.ones((4, 1)), "amax")


def test_index_reduce_of_a_0d_tensor_reduces_its_one_entry():
    out = ad.index_reduce(ad.tensor(3.0), 0, ad.tensor([0]), ad.tensor(2.0), "prod")
    assert out.shape == () and float(out) == 6.0
    with pytest.raises(ValueError, match="index_reduce: a 0-d input"):
        ad.index_reduce(ad.tensor(3.0), 0, ad.tensor([0, 0]), ad.tensor([2.0, 5.0]), "mean")


def test_index_reduce_of_a_0d_tensor_gradient_by_finite_differences():
    x = ad.tensor(1.5, requires_grad=True)
    s = ad.tensor(-0.7, requires_grad=True)
    assert gradcheck(lambda a, b: ad.index_reduce(a, 0, ad.tensor([0]), b, "prod"), [x, s])


def test_index_reduce_0d_and_full_source_match_pytorch():
    torch = pytest.importorskip("torch")
    ours = ad.index_reduce(ad.tensor(3.0), 0, ad.tensor([0]), ad.tensor(2.0), "prod")
    theirs = torch.index_reduce(torch.tensor(3.0, dtype=torch.float64), 0, torch.tensor([0]),
                                torch.tensor(2.0, dtype=torch.float64), "prod")
    assert np.allclose(ours.data, theirs.numpy())
    rng = np.random.default_rng(0)
    x, s = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    ours = ad.index_reduce(ad.tensor(x), 1, ad.tensor([2, 2]), ad.tensor(s), "amin")
    theirs = torch.index_reduce(torch.tensor(x), 1, torch.tensor([2, 2]), torch.tensor(s),
                                "amin")
    assert np.allclose(ours.data, theirs.numpy())
    with pytest.raises(RuntimeError):       # PyTorch refuses the narrower source too
        torch.index_reduce(torch.ones((5, 3)), 0, torch.tensor([1, 2]), torch.ones((2, 2)),
                           "prod")


# ----- Tensor.frexp of subnormal numbers -------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_frexp_of_subnormals_gives_a_finite_mantissa(dtype):
    # (2 ** -exponent overflowed to inf for them: the mantissa came out inf)
    tiny = np.finfo(dtype).smallest_subnormal
    x = np.array([tiny, -3 * tiny, np.finfo(dtype).tiny / 4, np.finfo(dtype).max, 0.75],
                 dtype)
    mantissa, exponent = ad.tensor(x).frexp()
    expected_mantissa, expected_exponent = np.frexp(x)
    assert mantissa.dtype == dtype
    assert np.array_equal(mantissa.data, expected_mantissa)
    assert np.array_equal(exponent.data, expected_exponent)
    assert np.array_equal(np.ldexp(mantissa.data, exponent.data), x)


def test_frexp_gradient_by_finite_differences_and_pytorch():
    x = ad.tensor([3.0, -0.3, 1e-5, 1e300], requires_grad=True)
    assert gradcheck(lambda t: t.frexp().mantissa, [ad.tensor([3.0, -0.3, 1e-5])])
    x.frexp().mantissa.sum().backward()
    assert np.array_equal(x.grad, 1 / 2.0 ** np.frexp(x.data)[1])
    torch = pytest.importorskip("torch")
    subnormal = np.array([5e-324, 1e-310])
    ours = ad.tensor(subnormal).frexp()
    theirs = torch.tensor(subnormal).frexp()
    assert np.array_equal(ours.mantissa.data, theirs.mantissa.numpy())
    assert np.array_equal(ours.exponent.data, theirs.exponent.numpy())


# ----- Tensor.cov / corrcoef keep a float32 tensor's dtype -------------------------------
def test_cov_and_corrcoef_methods_keep_float32():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 6)).astype(np.float32)
    t = ad.tensor(x, requires_grad=True)
    weighted = t.cov(aweights=ad.tensor(np.arange(1.0, 7.0)))
    assert t.cov().dtype == np.float32 and t.corrcoef().dtype == np.float32
    assert weighted.dtype == np.float32
    assert np.allclose(t.cov().data, np.cov(x.astype(np.float64)), atol=1e-6)
    weighted.sum().backward()
    assert t.grad.dtype == np.float32 and np.all(np.isfinite(t.grad))
    assert ad.tensor(x.astype(np.float64)).cov().dtype == np.float64
    assert ad.cov(ad.tensor(x)).dtype == np.float64      # ad.cov stays NumPy's np.cov


def test_cov_and_corrcoef_float32_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 7)).astype(np.float32)
    ours, theirs = ad.tensor(x), torch.tensor(x)
    for name in ("cov", "corrcoef"):
        a, b = getattr(ours, name)(), getattr(theirs, name)()
        assert a.dtype == np.float32 and b.dtype == torch.float32
        assert np.allclose(a.data, b.numpy(), atol=1e-5)


# ----- AdaptiveLogSoftmaxWithLoss.log_prob / predict of a 3-D input ----------------------
def test_adaptive_log_softmax_refuses_a_3d_input_naming_the_shape():
    # (an (N, 1, in) input gave log-softmaxes over the size-1 dim: every head entry 0)
    layer = ad.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0)
    x = ad.tensor(np.random.default_rng(0).standard_normal((4, 1, 8)))
    for method in (layer.log_prob, layer.predict):
        with pytest.raises(ValueError, match=r"AdaptiveLogSoftmaxWithLoss.*\(4, 1, 8\)"):
            method(x)
    with pytest.raises(ValueError, match=r"\(N, 8\)"):
        layer.log_prob(ad.ones((2, 5)))
    rows = layer.log_prob(x.reshape(-1, 8))
    assert rows.shape == (4, 10) and np.allclose(np.exp(rows.data).sum(1), 1.0)
    assert layer.log_prob(x[0, 0]).shape == (10,)


# ----- the functional recurrent cells without a hidden state -----------------------------
@pytest.mark.parametrize("name, gates", [("gru_cell", 3), ("rnn_tanh_cell", 1),
                                         ("rnn_relu_cell", 1), ("lstm_cell", 4)])
def test_recurrent_cells_without_hx_say_so(name, gates):
    weights = (ad.ones((gates * 2, 3)), ad.ones((gates * 2, 2)))
    hx = (None, None) if name == "lstm_cell" else None
    with pytest.raises(TypeError, match=f"{name}: hx must be a tensor"):
        getattr(ad, name)(ad.ones((1, 3)), hx, *weights)


# ----- Tensor.apply_ / map_ take numbers only --------------------------------------------
@pytest.mark.parametrize("returned", [None, "3", 1 + 2j, [1.0]])
def test_apply_refuses_a_function_returning_something_else_than_a_number(returned):
    # (None was stored as NaN, "3" as 3)
    t = ad.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="apply_: the function must return a number"):
        t.apply_(lambda v: returned)
    assert np.array_equal(t.data, [1.0, 2.0])
    with pytest.raises(TypeError, match="map_: the function must return a number"):
        t.map_(ad.tensor([0.0, 0.0]), lambda a, b: returned)


def test_apply_still_takes_python_and_numpy_numbers():
    assert np.array_equal(ad.tensor([1, 2]).apply_(lambda v: v * 2.7).data, [2, 5])
    assert np.array_equal(ad.tensor([1.0, 2.0]).apply_(lambda v: np.float32(v) + 1).data,
                          [2.0, 3.0])
    assert np.array_equal(ad.tensor([True, False]).apply_(lambda v: not v).data,
                          [False, True])
    complex_values = ad.tensor(np.array([1 + 1j])).apply_(lambda v: v * 1j)
    assert np.array_equal(complex_values.data, [-1 + 1j])


def test_apply_refusal_matches_pytorch():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        torch.tensor([1.0, 2.0]).apply_(lambda v: None)
