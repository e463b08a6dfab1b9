"""Activations, dropout, LayerNorm and BatchNorm: forward against hand-written NumPy,
gradients against finite differences in float64, bad input named."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F

RNG = np.random.default_rng(7)
erf_ref = np.vectorize(math.erf, otypes=[float])


def check_grads(func, inputs, second=True):
    assert ad.gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)
    if second:
        assert ad.gradgradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


# ----- erf and the activations -----------------------------------------------------------

def test_erf_matches_math_erf_to_a_few_ulp_on_both_paths():
    from autodiff.kernels import numpy_twins_nn
    x = np.concatenate([np.linspace(-7, 7, 20001), [0.0, -0.0, 1e-310, 1.0, 2.0, 3.5, 6.0]])
    expected = erf_ref(x)
    ulp = np.spacing(np.abs(expected)) + 5e-324
    for got in (ad.erf(x).data, numpy_twins_nn.erf(x)):         # kernel path and NumPy twin
        assert np.max(np.abs(got - expected) / ulp) <= 4
    special = ad.erf(np.array([np.inf, -np.inf, np.nan])).data
    assert special[0] == 1 and special[1] == -1 and np.isnan(special[2])
    assert ad.erf(np.float32([0.5])).dtype == np.float32


def test_erf_gradient_against_autograd():
    import autograd
    import autograd.scipy.special as asp
    x = RNG.uniform(-2, 2, 7)
    t = ad.tensor(x, requires_grad=True)
    ad.erf(t).sum().backward()
    np.testing.assert_allclose(t.grad, autograd.grad(lambda v: asp.erf(v).sum())(x), rtol=1e-13)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_forward_gradients_and_module(approximate):
    x = RNG.uniform(-4, 4, (3, 5))
    if approximate == "none":
        expected = 0.5 * x * (1 + erf_ref(x / np.sqrt(2)))
    else:
        # 0.5 x (1 + tanh a) written as x sigmoid(2a): 1 + tanh a would cancel for x < 0
        expected = x / (1 + np.exp(-2 * np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    np.testing.assert_allclose(F.gelu(ad.tensor(x), approximate).data, expected, rtol=1e-13)
    np.testing.assert_allclose(nn.GELU(approximate)(ad.tensor(x)).data, expected, rtol=1e-13)
    check_grads(lambda t: F.gelu(t, approximate), [x])
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh'.*'exact'"):
        nn.GELU("exact")


def test_gelu_kernel_path_on_large_float32_matches_float64():
    x = RNG.uniform(-6, 6, 5000)
    g = RNG.standard_normal(5000)
    for approximate in ("none", "tanh"):
        ref = ad.tensor(x, requires_grad=True)
        F.gelu(ref, approximate).backward(g)
        low = ad.tensor(x.astype(np.float32), requires_grad=True)
        out = F.gelu(low, approximate)
        out.backward(g.astype(np.float32))
        assert out.dtype == np.float32 and low.grad.dtype == np.float32
        np.testing.assert_allclose(out.data, F.gelu(ad.tensor(x), approximate).data, atol=2e-6)
        np.testing.assert_allclose(low.grad, ref.grad, atol=2e-5)


def test_silu_softplus_elu_forward_and_gradients():
    x = RNG.uniform(-3, 3, (4, 3))
    np.testing.assert_allclose(F.silu(ad.tensor(x)).data, x / (1 + np.exp(-x)), rtol=1e-13)
    np.testing.assert_allclose(nn.SiLU()(ad.tensor(x)).data, x / (1 + np.exp(-x)), rtol=1e-13)
    np.testing.assert_allclose(F.softplus(ad.tensor(x)).data, np.log1p(np.exp(x)), rtol=1e-13)
    np.testing.assert_allclose(nn.Softplus(beta=2.0)(ad.tensor(x)).data,
                               np.log1p(np.exp(2 * x)) / 2, rtol=1e-13)
    np.testing.assert_allclose(F.elu(ad.tensor(x), 0.7).data,
                               np.where(x > 0, x, 0.7 * np.expm1(x)), rtol=1e-13)
    np.testing.assert_allclose(nn.ELU()(ad.tensor(x)).data, np.where(x > 0, x, np.expm1(x)))
    check_grads(F.silu, [x])
    check_grads(lambda t: F.softplus(t, beta=1.5), [x])
    away = np.where(np.abs(x) < 0.1, 0.5, x)           # elu has a kink in f'' at 0
    check_grads(lambda t: F.elu(t, 0.7), [away], second=False)


@pytest.mark.parametrize("beta", [1.0, 1.5])
def test_a_tensor_beta_of_softplus_gets_its_gradient_also_at_one(beta):
    x = RNG.uniform(-3, 3, (2, 3))
    check_grads(lambda t, b: F.softplus(t, beta=b), [x, np.array(beta)])


def test_softplus_threshold_and_extremes_stay_finite():
    x = ad.tensor([-1e4, -30.0, 25.0, 1e4], requires_grad=True)
    out = F.softplus(x)                                  # beta x > 20: x itself (PyTorch)
    np.testing.assert_allclose(out.data, [0.0, np.log1p(np.exp(-30.0)), 25.0, 1e4])
    out.sum().backward()
    assert np.all(np.isfinite(x.grad))
    np.testing.assert_allclose(x.grad, [0.0, 1 / (1 + np.exp(30.0)), 1.0, 1.0])
    big = ad.tensor([1e4, -1e4], requires_grad=True)
    F.elu(big).sum().backward()
    np.testing.assert_allclose(big.grad, [1.0, 0.0])
    with pytest.raises(ValueError, match="Softplus: beta must be > 0"):
        nn.Softplus(beta=0)


@pytest.mark.parametrize("dtype, big", [(np.float64, 1e308), (np.float32, 2e38)])
def test_softplus_gradient_is_finite_where_beta_x_overflows(dtype, big):
    x = ad.tensor(np.array([big, 1e3, 0.0], dtype), requires_grad=True)
    with np.errstate(over="ignore"):                # beta * x is inf: the linear branch
        nn.Softplus(beta=2.0)(x).sum().backward()
    np.testing.assert_array_equal(x.grad, np.array([1.0, 1.0, 0.5], dtype))


@pytest.mark.parametrize("alpha", [1.0, 2.0])
def test_elu_slope_at_zero_is_alpha_as_in_pytorch(alpha):
    # PyTorch differentiates x <= 0 as alpha * exp(x): alpha at 0, not the mean of the sides
    x = ad.tensor([0.0, -0.0, -1.0, 1.0, np.nan], requires_grad=True)
    out = nn.ELU(alpha)(x)
    assert np.signbit(out.data[1])                     # alpha * expm1(-0.0)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [alpha, alpha, alpha * np.exp(-1.0), 1.0, 1.0])


# ----- dropout ---------------------------------------------------------------------------

def test_dropout_is_inverted_seeded_and_off_in_eval():
    x = ad.tensor(np.ones((200, 50)), requires_grad=True)
    out = F.dropout(x, p=0.3, rng=0)
    kept = out.data != 0
    np.testing.assert_allclose(out.data[kept], 1 / 0.7)
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_array_equal(F.dropout(x, 0.3, rng=0).data, out.data)   # same seed
    out.sum().backward()
    np.testing.assert_allclose(x.grad, kept / 0.7)
    assert F.dropout(x, 0.3, training=False) is x
    assert F.dropout(x, 0.0) is x
    layer = nn.Dropout(0.5, rng=1)
    first, second = layer(x).data, layer(x).data
    assert not np.array_equal(first, second)          # one generator, successive masks
    np.testing.assert_array_equal(nn.Dropout(0.5, rng=1)(x).data, first)
    layer.eval()
    assert layer(x) is x


def test_dropout_gradcheck_with_a_fixed_mask():
    x = RNG.standard_normal((3, 4))
    check_grads(lambda t: F.dropout(t, 0.4, rng=3) * t, [x])


@pytest.mark.parametrize("p", [-0.1, 1.5, "0.5", None])
def test_dropout_rejects_bad_p(p):
    with pytest.raises(ValueError, match=r"Dropout: p .* must be in \[0, 1\], got p="):
        nn.Dropout(p)
    with pytest.raises(ValueError, match=r"dropout: p .* \[0, 1\]"):
        F.dropout(ad.tensor([1.0]), p)


def test_dropout_with_p_1_zeroes_everything_as_pytorch_does():
    x = ad.tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    for y in (F.dropout(x, 1.0, rng=0), nn.Dropout(1.0, rng=0)(x)):
        assert np.array_equal(y.data, np.zeros((3, 4))) and not np.isnan(y.data).any()
    F.dropout(x, 1.0, rng=0).sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros((3, 4)))


# ----- LayerNorm -------------------------------------------------------------------------

def layer_norm_ref(x, k, w=None, b=None, eps=1e-5):
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    return y * (1 if w is None else w) + (0 if b is None else b)


@pytest.mark.parametrize("shape,normalized", [((4, 6), (6,)), ((2, 3, 4), (3, 4)),
                                              ((5,), 5), ((2, 1, 3), (3,))])
def test_layer_norm_matches_numpy_and_gradchecks(shape, normalized):
    x = RNG.standard_normal(shape)
    ln = nn.LayerNorm(normalized)
    ln.weight.data[...] = RNG.uniform(0.5, 2, ln.weight.shape)
    ln.bias.data[...] = RNG.standard_normal(ln.bias.shape)
    k = len(ln.normalized_shape)
    np.testing.assert_allclose(ln(ad.tensor(x)).data,
                               layer_norm_ref(x, k, ln.weight.data, ln.bias.data), rtol=1e-12,
                               atol=1e-12)
    w, b = ln.weight.data.copy(), ln.bias.data.copy()
    check_grads(lambda t, w, b: F.layer_norm(t, ln.normalized_shape, w, b), [x, w, b])
    plain = nn.LayerNorm(normalized, elementwise_affine=False)
    assert list(plain.parameters()) == []
    np.testing.assert_allclose(plain(ad.tensor(x)).data, layer_norm_ref(x, k), atol=1e-12)


def test_layer_norm_kernel_path_matches_numpy_on_large_inputs():
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 2e-5)):
        x = RNG.standard_normal((64, 96)).astype(dtype) * 3 + 1
        g = RNG.standard_normal((64, 96)).astype(dtype)
        ln = nn.LayerNorm(96, dtype=dtype)
        ln.weight.data[...] = RNG.uniform(0.5, 2, 96)
        t = ad.tensor(x, requires_grad=True)
        out = ln(t)
        out.backward(g)
        assert out.dtype == dtype and t.grad.dtype == dtype and ln.weight.grad.dtype == dtype
        x64, g64, w64 = x.astype(float), g.astype(float), ln.weight.data.astype(float)
        np.testing.assert_allclose(out.data, layer_norm_ref(x64, 1, w64), atol=tol * 10)
        xhat = layer_norm_ref(x64, 1)
        np.testing.assert_allclose(ln.bias.grad, g64.sum(0), rtol=tol, atol=tol * 100)
        np.testing.assert_allclose(ln.weight.grad, (g64 * xhat).sum(0), rtol=tol, atol=tol * 100)
        gh = g64 * w64
        rstd = 1 / np.sqrt(x64.var(axis=1, keepdims=True) + 1e-5)
        gx = rstd * (gh - gh.mean(1, keepdims=True) - xhat * (gh * xhat).mean(1, keepdims=True))
        np.testing.assert_allclose(t.grad, gx, rtol=tol, atol=tol * 10)


def test_layer_norm_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"LayerNorm\(4, eps=1e-05\): expected an input whose "
                                         r"last 1 axis size\(s\) are \(4,\).*got shape \(2, 5\)"):
        nn.LayerNorm(4)(ad.tensor(np.zeros((2, 5))))
    with pytest.raises(ValueError, match=r"got shape \(3,\)"):
        nn.LayerNorm((2, 3))(ad.tensor(np.zeros(3)))
    with pytest.raises(TypeError, match="floating-point"):
        F.layer_norm(np.zeros((2, 3), dtype=int), (3,))


# ----- BatchNorm -------------------------------------------------------------------------

def test_batch_norm_1d_training_matches_numpy_and_updates_running_stats():
    x = RNG.standard_normal((8, 3)) * 2 + 1
    bn = nn.BatchNorm1d(3, momentum=0.2)
    bn.weight.data[...] = [1.0, 2.0, 0.5]
    bn.bias.data[...] = [0.0, -1.0, 3.0]
    out = bn(ad.tensor(x))
    mean, var = x.mean(0), x.var(0)
    np.testing.assert_allclose(out.data, (x - mean) / np.sqrt(var + 1e-5) * bn.weight.data
                               + bn.bias.data, rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean, 0.2 * mean)
    np.testing.assert_allclose(bn.running_var, 0.8 + 0.2 * x.var(0, ddof=1))   # unbiased
    assert bn.num_batches_tracked == 1 and bn.num_batches_tracked.dtype == np.int64
    bn.eval()
    y = RNG.standard_normal((2, 3))
    np.testing.assert_allclose(bn(ad.tensor(y)).data, (y - bn.running_mean)
                               / np.sqrt(bn.running_var + 1e-5) * bn.weight.data + bn.bias.data)
    assert bn.num_batches_tracked == 1                 # eval does not count batches


def test_batch_norm_2d_and_3d_inputs_and_cumulative_momentum():
    bn = nn.BatchNorm2d(2, momentum=None)
    batches = [RNG.standard_normal((3, 2, 4, 5)) + i for i in range(3)]
    for b in batches:
        out = bn(ad.tensor(b))
    last = batches[-1]
    mean = last.mean(axis=(0, 2, 3), keepdims=True)
    var = last.var(axis=(0, 2, 3), keepdims=True)
    np.testing.assert_allclose(out.data, (last - mean) / np.sqrt(var + 1e-5), rtol=1e-12)
    means = [b.mean(axis=(0, 2, 3)) for b in batches]
    variances = [b.var(axis=(0, 2, 3), ddof=1) for b in batches]
    np.testing.assert_allclose(bn.running_mean, np.mean(means, axis=0))   # plain average
    np.testing.assert_allclose(bn.running_var, np.mean(variances, axis=0), rtol=1e-12)
    seq = nn.BatchNorm1d(2)
    x3 = RNG.standard_normal((4, 2, 6))
    mean = x3.mean(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(seq(ad.tensor(x3)).data,
                               (x3 - mean) / np.sqrt(x3.var(axis=(0, 2), keepdims=True) + 1e-5))


def test_batch_norm_gradchecks_in_training_and_eval():
    x = RNG.standard_normal((5, 3, 2))
    w, b = RNG.uniform(0.5, 2, 3), RNG.standard_normal(3)
    check_grads(lambda t, w, b: F.batch_norm(t, None, None, w, b, training=True), [x, w, b])
    rm, rv = RNG.standard_normal(3), RNG.uniform(0.5, 2, 3)
    check_grads(lambda t, w, b: F.batch_norm(t, rm, rv, w, b, training=False), [x, w, b])


def test_batch_norm_without_running_stats_uses_batch_statistics_in_eval():
    bn = nn.BatchNorm1d(2, track_running_stats=False, affine=False).eval()
    assert list(bn.named_buffers()) == [] and list(bn.parameters()) == []
    x = RNG.standard_normal((6, 2))
    np.testing.assert_allclose(bn(ad.tensor(x)).data,
                               (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-12)


def test_batch_norm_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\): expected a 4-d input "
                                         r"\(N, C, H, W\), got shape \(2, 3\)"):
        nn.BatchNorm2d(3)(ad.tensor(np.zeros((2, 3))))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\): expected 3 channels .* axis 1, "
                                         r"got input of shape \(4, 5\)"):
        nn.BatchNorm1d(3)(ad.tensor(np.zeros((4, 5))))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\): expected more than 1 value per "
                                         r"channel when training"):
        nn.BatchNorm1d(3)(ad.tensor(np.zeros((1, 3))))


def test_norm_layers_state_dicts_map_directly_to_pytorch_keys():
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.LayerNorm(4))
    net(ad.tensor(RNG.standard_normal((5, 3))))
    sd = net.to_torch_state_dict()
    assert list(sd) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                        "1.running_var", "1.num_batches_tracked", "2.weight", "2.bias"]
    assert sd["1.num_batches_tracked"].dtype == np.int64 and sd["1.num_batches_tracked"] == 1
    other = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.LayerNorm(4))
    other.load_torch_state_dict(sd)
    np.testing.assert_array_equal(other[1].running_var, net[1].running_var)
    x = ad.tensor(RNG.standard_normal((2, 3)))
    np.testing.assert_array_equal(other.eval()(x).data, net.eval()(x).data)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")     # inf and NaN inputs on purpose
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_nn_kernels_match_their_numpy_twins(dtype):
    from autodiff import kernels
    from autodiff.kernels import numpy_twins_nn as twins
    if not kernels.JIT_ENABLED:
        pytest.skip("AUTODIFF_JIT=0: only the NumPy twins run")
    x = np.concatenate([RNG.uniform(-40, 40, 3000), RNG.standard_normal(3000),
                        [0.0, -0.0, 1e-30, np.inf, -np.inf, np.nan]]).astype(dtype)
    g = RNG.standard_normal(x.size).astype(dtype)
    tol = 2e-6 if dtype == np.float32 else 1e-12
    for approximate in ("none", "tanh"):
        got, want = kernels.gelu(x, approximate), twins.gelu(x, approximate)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
        np.testing.assert_allclose(kernels.gelu_backward(g, x, got, approximate),
                                   twins.gelu_backward(g, x, want, approximate), rtol=tol,
                                   atol=tol)
    np.testing.assert_allclose(kernels.erf(x), twins.erf(x), rtol=tol, atol=tol)
    np.testing.assert_allclose(kernels.erf_backward(g, x), twins.erf_backward(g, x),
                               rtol=tol, atol=tol)
    rows = RNG.standard_normal((40, 64)).astype(dtype)
    w, b = RNG.standard_normal(64).astype(dtype), RNG.standard_normal(64).astype(dtype)
    for weight, bias in ((w, b), (None, None)):
        y, mean, rstd = kernels.layer_norm(rows, weight, bias, 1e-5)
        y2, mean2, rstd2 = twins.layer_norm(rows, weight, bias, 1e-5)
        np.testing.assert_allclose(y, y2, rtol=tol * 10, atol=tol * 10)
        grads = kernels.layer_norm_backward(g[:rows.size].reshape(rows.shape), rows, mean, rstd,
                                            weight)
        expected = twins.layer_norm_backward(g[:rows.size].reshape(rows.shape), rows, mean2,
                                             rstd2, weight)
        for got, want in zip(grads, expected):
            assert got.dtype == dtype
            np.testing.assert_allclose(got, want, rtol=tol * 10, atol=tol * 100)


# ----- logsumexp and one_hot -------------------------------------------------------------

def test_logsumexp_is_stable_and_matches_numpy():
    x = RNG.standard_normal((3, 4, 2))
    for dim in (0, 1, -1, (0, 2), None):
        expected = np.log(np.exp(x).sum(axis=dim))
        np.testing.assert_allclose(F.logsumexp(ad.tensor(x), dim).data, expected, rtol=1e-13)
        keep = F.logsumexp(ad.tensor(x), dim=dim, keepdim=True)
        assert keep.shape == np.log(np.exp(x).sum(axis=dim, keepdims=True)).shape
        check_grads(lambda t: F.logsumexp(t, dim), [x])
    np.testing.assert_allclose(F.logsumexp(ad.tensor(x), axis=1, keepdims=True).data,
                               np.log(np.exp(x).sum(axis=1, keepdims=True)), rtol=1e-13)
    big = ad.tensor([[1e4, 1e4], [-np.inf, -np.inf], [0.0, -np.inf]], requires_grad=True)
    out = F.logsumexp(big, dim=1)
    np.testing.assert_allclose(out.data, [1e4 + np.log(2), -np.inf, 0.0])
    out[np.array([0, 2])].sum().backward()
    np.testing.assert_allclose(big.grad, [[0.5, 0.5], [0.0, 0.0], [1.0, 0.0]])
    with pytest.raises(TypeError, match="both axis=0 and dim=1"):
        F.logsumexp(ad.tensor(x), dim=1, axis=0)


def test_one_hot_is_int64_like_pytorch():
    out = F.one_hot(np.array([[0, 2], [1, 1]]), 4)
    assert out.dtype == np.int64 and out.shape == (2, 2, 4) and not out.requires_grad
    np.testing.assert_array_equal(out.data, np.eye(4, dtype=np.int64)[[[0, 2], [1, 1]]])
    assert F.one_hot(np.array([0, 3])).shape == (2, 4)                # inferred: max + 1
    with pytest.raises(IndexError, match=r"one_hot: index 4 is out of range for num_classes=4"):
        F.one_hot(np.array([4]), 4)
    with pytest.raises(IndexError, match="index -1"):
        F.one_hot(np.array([-1, 0]), 4)
    with pytest.raises(TypeError, match="one_hot: indices must be integers"):
        F.one_hot(np.array([0.0, 1.0]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tanh_gelu_twin_keeps_its_accuracy_where_one_plus_tanh_cancels(dtype):
    """For x < -4, 1 + tanh(inner) is a difference of nearly equal numbers: in float32
    the twin's value and slope were off by more than their size (x = -5.41: value
    -1.6e-7 instead of -1.2e-8), and in float64 both the twin and the kernel lost
    eight digits.  Both now compute 2 / (1 + exp(-2 inner)) and match a reference
    written with sigmoids (no cancellation) to float precision."""
    from autodiff import kernels
    from autodiff.kernels import numpy_twins_nn as twins
    x = np.array([-5.409213542938232, -5.0476789474487305, -8.0, -4.2, 3.0], dtype)
    g = np.array([-2.1635360717773438, -3.00947904586792, 1.0, 1.0, 1.0], dtype)
    v = x.astype(np.float64)
    c, k = np.sqrt(2 / np.pi), 0.044715
    a = c * (v + k * v ** 3)
    sigmoid, sigmoid_neg = 1 / (1 + np.exp(-2 * a)), 1 / (1 + np.exp(2 * a))
    value = v * sigmoid                     # 0.5 x (1 + tanh a), with no cancellation
    slope = g * (sigmoid + 2 * v * sigmoid * sigmoid_neg * c * (1 + 3 * k * v * v))
    tol = 1e-6 if dtype == np.float32 else 1e-13
    repeat = kernels.MIN_ELEMENTWISE       # enough elements for the compiled kernels
    for implementation, times in ((twins, 1), (kernels, repeat)):
        xs, gs = np.tile(x, times), np.tile(g, times)
        np.testing.assert_allclose(implementation.gelu(xs, "tanh"), np.tile(value, times),
                                   rtol=tol, atol=0)
        got = implementation.gelu_backward(gs, xs, np.tile(value, times).astype(dtype), "tanh")
        np.testing.assert_allclose(got, np.tile(slope, times), rtol=tol, atol=0)


def test_tanh_gelu_recorded_gradient_keeps_its_accuracy_where_one_plus_tanh_cancels():
    """The gradient recorded for higher order (create_graph) uses sigmoids too: at
    x = -5.41 in float32, 0.5 (1 + tanh a) has no correct digit."""
    x = np.array([-6.0, -5.409213542938232, -1.0, 0.0, 2.0], np.float32)
    t = ad.tensor(x, requires_grad=True)
    F.gelu(t, approximate="tanh").sum().backward(create_graph=True)
    v = x.astype(np.float64)
    c, k = np.sqrt(2 / np.pi), 0.044715
    a = c * (v + k * v ** 3)
    s, s_neg = 1 / (1 + np.exp(-2 * a)), 1 / (1 + np.exp(2 * a))
    expected = s + 2 * v * s * s_neg * c * (1 + 3 * k * v * v)
    np.testing.assert_allclose(t.grad.data, expected, rtol=2e-6, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exact_gelu_twin_keeps_its_accuracy_where_one_plus_erf_cancels(dtype):
    """x Phi(x) with Phi = (1 + erf(x / sqrt 2)) / 2: for x < -3 the sum cancels, and in
    float32 the twin kept one digit at x = -5; it now computes in float64."""
    from autodiff.kernels import numpy_twins_nn as twins
    x = np.array([-5.0, -4.5, -4.0, -3.0, 0.5], dtype)
    v = x.astype(np.float64)
    cdf = np.array([0.5 * math.erfc(-a / math.sqrt(2)) for a in v])
    density = np.exp(-0.5 * v * v) / math.sqrt(2 * math.pi)
    tol = 1e-6 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(twins.gelu(x), v * cdf, rtol=tol, atol=0)
    np.testing.assert_allclose(twins.gelu_backward(np.ones_like(x), x), cdf + v * density,
                               rtol=tol, atol=0)


def test_normalization_layers_refuse_a_negative_eps_and_a_momentum_outside_0_1():
    for make in (lambda: ad.nn.LayerNorm(3, eps=-1.0), lambda: ad.nn.BatchNorm1d(3, eps=-1e-5)):
        with pytest.raises(ValueError, match="eps must be >= 0"):
            make()
    for momentum in (2.0, -0.1):
        with pytest.raises(ValueError, match=r"BatchNorm1d: momentum must be in \[0, 1\]"):
            ad.nn.BatchNorm1d(3, momentum=momentum)
    assert ad.nn.BatchNorm1d(3, momentum=None).momentum is None


@pytest.mark.parametrize("activation", [
    F.gelu, lambda x: F.gelu(x, approximate="tanh"), F.silu, F.softplus, F.elu, F.relu,
    F.sigmoid, F.tanh, F.leaky_relu])
def test_activations_take_python_numbers_and_lists_as_an_array_of_them(activation):
    for value in (0.8, [0.5, -1.5]):
        got = activation(value)
        expected = activation(ad.tensor(np.array(value)))
        assert got.dtype == np.float64 and np.array_equal(got.data, expected.data)
