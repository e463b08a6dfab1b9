"""Dropout1d/2d, InstanceNorm1d/2d, Bilinear (layers and functions) and MLP's activations
by name: values against NumPy references, gradients of first and second order against
finite differences in float64, masks drawn from a seed per channel, train/eval, running
statistics, state_dict keys, reprs (PyTorch's), errors, and a compiled step against eager."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F

RNG = np.random.default_rng(23)
DTYPES = [np.float64, np.float32]


def check_grads(func, inputs):
    assert ad.gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)
    assert ad.gradgradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


def tolerance(dtype):
    return 1e-12 if dtype == np.float64 else 2e-5


# ----- Dropout1d / Dropout2d ---------------------------------------------------------

def channel_mask_ref(seed, mask_shape, p, ndim):
    """What the channel dropouts draw: one uniform per (sample, channel) from a generator
    seeded with ``seed``, kept where >= p and scaled by 1 / (1 - p), broadcast over the
    remaining axes."""
    keep = np.random.default_rng(seed).random(mask_shape) >= p
    scale = 1.0 / (1.0 - p) if p < 1 else 0.0
    return (keep * scale).reshape(mask_shape + (1,) * (ndim - len(mask_shape)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("function,shape,mask_shape", [
    (F.dropout1d, (4, 6, 5), (4, 6)), (F.dropout1d, (6, 5), (6,)),
    (F.dropout2d, (3, 5, 4, 2), (3, 5)), (F.dropout2d, (2, 7, 1, 3), (2, 7))])
def test_channel_dropout_zeroes_whole_channels_as_drawn_from_the_seed(function, shape,
                                                                      mask_shape, dtype):
    x = (RNG.standard_normal(shape) + 2).astype(dtype)
    p = 0.4
    out = function(ad.tensor(x), p, rng=5)
    assert out.dtype == dtype and out.shape == shape
    mask = channel_mask_ref(5, mask_shape, p, len(shape))
    np.testing.assert_allclose(out.data, x * mask.astype(dtype), rtol=tolerance(dtype))
    again = function(ad.tensor(x), p, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(again.data, out.data)
    # every channel is either all zeros or all scaled
    per_channel = out.data.reshape(mask_shape + (-1,)) / x.reshape(mask_shape + (-1,))
    assert np.ptp(per_channel, axis=-1).max() < 1e-6
    assert set(np.round(np.unique(per_channel).astype(float), 4)) <= {0.0, round(1 / (1 - p), 4)}


@pytest.mark.parametrize("function,shape", [(F.dropout1d, (3, 4, 5)), (F.dropout1d, (4, 5)),
                                            (F.dropout2d, (2, 3, 2, 2))])
def test_channel_dropout_gradient_is_the_mask_and_gradchecks_to_second_order(function, shape):
    x = RNG.standard_normal(shape)
    t = ad.tensor(x, requires_grad=True)
    out = function(t, 0.5, rng=1)
    g = RNG.standard_normal(shape)
    out.backward(g)
    mask = out.data / x
    np.testing.assert_allclose(t.grad, g * mask, rtol=1e-12)
    # an int seed draws the same mask at each call, so finite differences see one function
    check_grads(lambda a: function(a, 0.5, rng=1) * a, [x])


def test_channel_dropout_keeps_the_expected_value_and_drop_rate():
    out = F.dropout2d(ad.tensor(np.ones((300, 400, 1, 1))), 0.3, rng=0).data
    assert abs((out == 0).mean() - 0.3) < 0.005
    assert abs(out.mean() - 1.0) < 0.01


@pytest.mark.parametrize("function,shape", [(F.dropout1d, (2, 3, 4)), (F.dropout2d, (2, 3, 2, 2))])
def test_channel_dropout_off_training_zero_p_and_one_p(function, shape):
    x = ad.tensor(RNG.standard_normal(shape), requires_grad=True)
    assert function(x, 0.7, training=False) is x
    assert function(x, 0.0) is x
    zeros = function(x, 1.0, rng=0)
    np.testing.assert_array_equal(zeros.data, np.zeros(shape))
    zeros.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(shape))
    empty = ad.tensor(np.zeros((0,) + shape[1:]))
    assert function(empty, 0.5).shape == empty.shape


@pytest.mark.parametrize("layer_class,shape", [(nn.Dropout1d, (2, 8, 3)),
                                               (nn.Dropout2d, (2, 8, 3, 3))])
def test_channel_dropout_layers_train_eval_seeds_repr_and_state(layer_class, shape):
    x = ad.tensor(np.ones(shape))
    layer, twin = layer_class(0.5, rng=3), layer_class(0.5, rng=3)
    first, second = layer(x).data, layer(x).data
    assert not np.array_equal(first, second)          # the layer's generator moves on
    np.testing.assert_array_equal(twin(x).data, first)
    np.testing.assert_array_equal(twin(x).data, second)
    np.testing.assert_array_equal(first, channel_mask_ref(3, shape[:2], 0.5, len(shape))
                                  * np.ones(shape))
    assert layer.eval()(x) is x and not layer.training
    assert layer.train()(x) is not x
    nn.manual_seed(9)
    library = layer_class(0.5)(x).data
    nn.manual_seed(9)
    np.testing.assert_array_equal(layer_class(0.5)(x).data, library)
    assert repr(layer_class()) == f"{layer_class.__name__}(p=0.5, inplace=False)"
    assert repr(layer_class(0.2)) == f"{layer_class.__name__}(p=0.2, inplace=False)"
    assert layer.state_dict() == {} and list(layer.parameters()) == []


def test_dropout1d_of_an_unbatched_input_is_the_batched_one_of_one_sample():
    x = RNG.standard_normal((5, 4))
    np.testing.assert_array_equal(F.dropout1d(ad.tensor(x), 0.5, rng=2).data,
                                  F.dropout1d(ad.tensor(x[None]), 0.5, rng=2).data[0])


def test_dropout2d_of_other_ranks_warns_and_drops_what_pytorch_drops():
    with pytest.warns(UserWarning, match=r"dropout2d: got a 3-d input .*taken as \(N, C, L\)"):
        out = F.dropout2d(ad.tensor(np.ones((3, 4, 5))), 0.5, rng=0)
    np.testing.assert_array_equal(out.data, channel_mask_ref(0, (3, 4), 0.5, 3) * np.ones(5))
    for shape in [(3, 4), (2, 3, 2, 2, 2)]:
        with pytest.warns(UserWarning, match=rf"dropout2d: got a {len(shape)}-d input"):
            out = F.dropout2d(ad.tensor(np.ones(shape)), 0.5, rng=0)
        np.testing.assert_array_equal(
            out.data, channel_mask_ref(0, shape[:2], 0.5, len(shape)) * np.ones(shape))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.dropout2d(ad.tensor(np.ones((2, 3, 2, 2))), 0.5, rng=0)       # no warning


def test_channel_dropout_refuses_bad_inputs_with_clear_errors():
    with pytest.raises(ValueError, match=r"dropout1d: expected a 2-d \(C, L\) or 3-d "
                                         r"\(N, C, L\) input, got shape \(2, 3, 4, 5\)"):
        F.dropout1d(ad.tensor(np.ones((2, 3, 4, 5))))
    with pytest.raises(ValueError, match=r"dropout1d: .*got shape \(4,\)"):
        F.dropout1d(ad.tensor(np.ones(4)))
    with pytest.raises(ValueError, match=r"dropout2d: expected a 4-d \(N, C, H, W\) input, "
                                         r"got shape \(4,\)"):
        F.dropout2d(ad.tensor(np.ones(4)))
    for bad in (-0.1, 1.5, True):
        with pytest.raises(ValueError, match=r"Dropout2d: p is the probability"):
            nn.Dropout2d(bad)
        with pytest.raises(ValueError, match=r"dropout1d: p is the probability"):
            F.dropout1d(ad.tensor(np.ones((2, 3))), bad)
    assert nn.Dropout1d(inplace=True).inplace
    with pytest.raises(TypeError, match=r"dropout2d: inplace=True writes into the input"):
        F.dropout2d(np.ones((1, 2, 2, 2)), inplace=True)
    with pytest.raises(TypeError, match=r"dropout1d: expected floating-point values, got dtype "
                                        r"int64"):
        F.dropout1d(np.ones((2, 3, 4), dtype=np.int64))


# ----- InstanceNorm1d / InstanceNorm2d ------------------------------------------------

def instance_norm_ref(x, w=None, b=None, eps=1e-5):
    """Each (sample, channel) over its positions: biased variance; then a per-channel
    scale and shift."""
    n, c = x.shape[:2]
    rows = x.reshape(n, c, -1)
    mean = rows.mean(axis=-1, keepdims=True)
    var = rows.var(axis=-1, keepdims=True)
    y = ((rows - mean) / np.sqrt(var + eps)).reshape(x.shape)
    channel = (1, c) + (1,) * (x.ndim - 2)
    if w is not None:
        y = y * w.reshape(channel)
    if b is not None:
        y = y + b.reshape(channel)
    return y


def running_ref(mean, var, x, momentum):
    """PyTorch's update: the batch average of the per-sample statistics, variance unbiased."""
    rows = x.reshape(x.shape[0], x.shape[1], -1)
    return ((1 - momentum) * mean + momentum * rows.mean(-1).mean(0),
            (1 - momentum) * var + momentum * rows.var(-1, ddof=1).mean(0))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 4, 7), (2, 3, 4, 5), (1, 2, 3, 2, 2), (2, 1, 2)])
def test_instance_norm_matches_numpy(shape, dtype):
    x = (RNG.standard_normal(shape) * 3 + 1).astype(dtype)
    c = shape[1]
    w, b = RNG.uniform(0.5, 2, c).astype(dtype), RNG.standard_normal(c).astype(dtype)
    out = F.instance_norm(ad.tensor(x), weight=ad.tensor(w), bias=ad.tensor(b))
    assert out.dtype == dtype and out.shape == shape
    x64 = x.astype(np.float64)
    tol = tolerance(dtype)
    np.testing.assert_allclose(out.data, instance_norm_ref(x64, w.astype(np.float64),
                                                           b.astype(np.float64)),
                               rtol=tol, atol=tol)
    np.testing.assert_allclose(F.instance_norm(ad.tensor(x), eps=1e-2).data,
                               instance_norm_ref(x64, eps=1e-2), rtol=tol, atol=tol)


@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 2, 2, 3), (1, 3, 2)])
def test_instance_norm_gradchecks_to_second_order(shape):
    x = RNG.standard_normal(shape)
    w, b = RNG.uniform(0.5, 2, shape[1]), RNG.standard_normal(shape[1])
    check_grads(lambda t, w, b: F.instance_norm(t, weight=w, bias=b), [x, w, b])
    check_grads(lambda t: F.instance_norm(t), [x])
    rm, rv = RNG.standard_normal(shape[1]), RNG.uniform(0.5, 2, shape[1])
    check_grads(lambda t, w: F.instance_norm(t, rm, rv, w, use_input_stats=False), [x, w])


@pytest.mark.parametrize("dtype", DTYPES)
def test_instance_norm_layer_defaults_have_no_parameters_nor_buffers(dtype):
    norm = nn.InstanceNorm2d(3, dtype=dtype)
    assert norm.state_dict() == {} and list(norm.parameters()) == []
    assert norm.running_mean is None and norm.weight is None
    x = RNG.standard_normal((2, 3, 4, 4)).astype(dtype)
    out = norm(ad.tensor(x))
    assert out.dtype == dtype
    np.testing.assert_allclose(out.data, instance_norm_ref(x.astype(np.float64)),
                               rtol=tolerance(dtype), atol=tolerance(dtype))
    np.testing.assert_array_equal(norm.eval()(ad.tensor(x)).data, out.data)   # input stats


def test_instance_norm_layers_state_dict_keys_parameters_and_repr():
    assert list(nn.InstanceNorm1d(3, affine=True).state_dict()) == ["weight", "bias"]
    assert list(nn.InstanceNorm1d(3, affine=True, bias=False).state_dict()) == ["weight"]
    tracked = nn.InstanceNorm2d(3, affine=True, track_running_stats=True)
    assert list(tracked.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                          "num_batches_tracked"]
    np.testing.assert_array_equal(tracked.weight.data, np.ones(3))
    np.testing.assert_array_equal(tracked.bias.data, np.zeros(3))
    np.testing.assert_array_equal(tracked.running_var, np.ones(3))
    assert repr(nn.InstanceNorm1d(3)) == ("InstanceNorm1d(3, eps=1e-05, momentum=0.1, "
                                          "affine=False, bias=False, track_running_stats=False)")
    assert repr(tracked) == ("InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=True, "
                             "bias=True, track_running_stats=True)")
    assert repr(nn.InstanceNorm1d(4, eps=1e-3, momentum=None, affine=True, bias=False)) == (
        "InstanceNorm1d(4, eps=0.001, momentum=None, affine=True, bias=False, "
        "track_running_stats=False)")


@pytest.mark.parametrize("momentum", [0.1, 0.3])
@pytest.mark.parametrize("layer_class,shape", [(nn.InstanceNorm1d, (4, 3, 6)),
                                               (nn.InstanceNorm2d, (2, 3, 3, 4))])
def test_running_statistics_update_in_training_and_serve_in_eval(layer_class, shape, momentum):
    norm = layer_class(3, momentum=momentum, track_running_stats=True, affine=True)
    norm.weight.data[...] = RNG.uniform(0.5, 2, 3)
    norm.bias.data[...] = RNG.standard_normal(3)
    mean, var = np.zeros(3), np.ones(3)
    for _ in range(3):
        x = RNG.standard_normal(shape) * 2 + 3
        out = norm(ad.tensor(x))
        np.testing.assert_allclose(out.data, instance_norm_ref(x, norm.weight.data,
                                                               norm.bias.data), rtol=1e-12,
                                   atol=1e-12)
        mean, var = running_ref(mean, var, x, momentum)
        np.testing.assert_allclose(norm.running_mean, mean, rtol=1e-12)
        np.testing.assert_allclose(norm.running_var, var, rtol=1e-12)
    assert int(norm.num_batches_tracked) == 0          # as PyTorch: instance norm never counts
    norm.eval()
    x = ad.tensor(RNG.standard_normal(shape), requires_grad=True)
    out = norm(x)
    channel = (1, 3) + (1,) * (len(shape) - 2)
    expected = ((x.data - mean.reshape(channel)) / np.sqrt(var.reshape(channel) + 1e-5)
                * norm.weight.data.reshape(channel) + norm.bias.data.reshape(channel))
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(norm.running_mean, mean, rtol=0)     # not updated in eval
    out.sum().backward()
    np.testing.assert_allclose(x.grad, np.broadcast_to(
        (norm.weight.data / np.sqrt(var + 1e-5)).reshape(channel), shape), rtol=1e-12)


def test_momentum_none_leaves_the_running_statistics_and_reset_restores_them():
    norm = nn.InstanceNorm1d(2, momentum=None, track_running_stats=True)
    norm(ad.tensor(RNG.standard_normal((3, 2, 5))))
    np.testing.assert_array_equal(norm.running_mean, np.zeros(2))
    np.testing.assert_array_equal(norm.running_var, np.ones(2))
    norm.momentum = 0.5
    norm(ad.tensor(RNG.standard_normal((3, 2, 5)) + 4))
    assert norm.running_mean.min() > 1
    norm.reset_running_stats()
    np.testing.assert_array_equal(norm.running_mean, np.zeros(2))


def test_functional_instance_norm_updates_the_callers_arrays():
    x = RNG.standard_normal((3, 2, 4, 2))
    rm, rv = np.full(2, 0.5), np.full(2, 2.0)
    F.instance_norm(ad.tensor(x), rm, rv, momentum=0.25)
    mean, var = running_ref(np.full(2, 0.5), np.full(2, 2.0), x, 0.25)
    np.testing.assert_allclose(rm, mean, rtol=1e-12)
    np.testing.assert_allclose(rv, var, rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layer_class,shape", [(nn.InstanceNorm1d, (3, 5)),
                                               (nn.InstanceNorm2d, (3, 2, 4))])
def test_unbatched_input_is_one_sample(layer_class, shape, dtype):
    norm = layer_class(3, affine=True, track_running_stats=True, dtype=dtype)
    twin = layer_class(3, affine=True, track_running_stats=True, dtype=dtype)
    norm.weight.data[...] = twin.weight.data[...] = RNG.uniform(0.5, 2, 3)
    x = RNG.standard_normal(shape).astype(dtype)
    out = norm(ad.tensor(x))
    assert out.shape == shape and out.dtype == dtype
    np.testing.assert_array_equal(out.data, twin(ad.tensor(x[None])).data[0])
    np.testing.assert_array_equal(norm.running_var, twin.running_var)
    norm.eval()
    twin.eval()
    np.testing.assert_array_equal(norm(ad.tensor(x)).data, twin(ad.tensor(x[None])).data[0])


def test_float32_input_through_float64_running_statistics_stays_float32():
    norm = nn.InstanceNorm1d(2, track_running_stats=True)         # float64 buffers
    x = RNG.standard_normal((2, 2, 3)).astype(np.float32)
    assert norm(ad.tensor(x)).dtype == np.float32
    assert norm.eval()(ad.tensor(x)).dtype == np.float32
    assert norm.running_mean.dtype == np.float64


def test_instance_norm_refuses_bad_inputs_with_clear_errors():
    with pytest.raises(ValueError, match=r"InstanceNorm1d\(3\): expected a 2-d or 3-d input "
                                         r"\(C, L\) or \(N, C, L\), got shape \(2, 3, 4, 5\)"):
        nn.InstanceNorm1d(3)(ad.tensor(np.ones((2, 3, 4, 5))))
    with pytest.raises(ValueError, match=r"InstanceNorm2d\(3\): expected a 3-d or 4-d input"):
        nn.InstanceNorm2d(3)(ad.tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match=r"InstanceNorm1d\(4\): expected 4 channels .* on axis "
                                         r"1 .*got shape \(2, 3, 5\)"):
        nn.InstanceNorm1d(4, affine=True)(ad.tensor(np.ones((2, 3, 5))))
    with pytest.raises(ValueError, match=r"expected 4 channels .* on axis 0"):
        nn.InstanceNorm1d(4, track_running_stats=True)(ad.tensor(np.ones((3, 5))))
    with pytest.warns(UserWarning, match=r"num_features is not used"):
        out = nn.InstanceNorm1d(4)(ad.tensor(RNG.standard_normal((2, 3, 5))))
    assert out.shape == (2, 3, 5)                    # as PyTorch: warned, then normalised
    with pytest.raises(ValueError, match=r"expected more than 1 position per channel"):
        nn.InstanceNorm1d(3)(ad.tensor(np.ones((2, 3, 1))))
    with pytest.raises(ValueError, match=r"instance_norm: expected input of shape \(N, C, \*\) "
                                         r"with at least one axis of positions"):
        F.instance_norm(ad.tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match=r"use_input_stats=False needs running_mean"):
        F.instance_norm(ad.tensor(np.ones((2, 3, 4))), use_input_stats=False)
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\)"):
        F.instance_norm(ad.tensor(np.ones((2, 3, 4))), weight=np.ones(4))
    with pytest.raises(ValueError, match=r"running_mean must have shape \(3,\)"):
        F.instance_norm(ad.tensor(np.ones((2, 3, 4))), np.zeros(2), np.ones(2))
    with pytest.raises(TypeError, match=r"InstanceNorm1d\(2\): the input is float32 but weight "
                                        r"is float64"):
        nn.InstanceNorm1d(2, affine=True)(ad.tensor(np.ones((2, 2, 3), np.float32)))
    with pytest.raises(TypeError, match=r"instance_norm: expected floating-point values"):
        F.instance_norm(np.ones((2, 3, 4), dtype=np.int64))
    with pytest.raises(ValueError, match=r"InstanceNorm2d: num_features must be a positive int"):
        nn.InstanceNorm2d(0)
    with pytest.raises(ValueError, match=r"InstanceNorm1d: momentum must be in \[0, 1\]"):
        nn.InstanceNorm1d(2, momentum=2.0)


# ----- Bilinear -------------------------------------------------------------------------

def bilinear_ref(x1, x2, w, b=None):
    y = np.einsum("...i,oij,...j->...o", x1, w, x2)
    return y if b is None else y + b


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch", [(), (5,), (2, 3), (0,)])
def test_bilinear_matches_numpy(batch, dtype):
    x1 = RNG.standard_normal(batch + (3,)).astype(dtype)
    x2 = RNG.standard_normal(batch + (4,)).astype(dtype)
    w = RNG.standard_normal((2, 3, 4)).astype(dtype)
    b = RNG.standard_normal(2).astype(dtype)
    out = F.bilinear(ad.tensor(x1), ad.tensor(x2), ad.tensor(w), ad.tensor(b))
    assert out.dtype == dtype and out.shape == batch + (2,)
    f64 = [a.astype(np.float64) for a in (x1, x2, w, b)]
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(out.data, bilinear_ref(*f64), rtol=tol, atol=tol)
    np.testing.assert_allclose(F.bilinear(ad.tensor(x1), ad.tensor(x2), ad.tensor(w)).data,
                               bilinear_ref(*f64[:3]), rtol=tol, atol=tol)


@pytest.mark.parametrize("batch", [(), (4,), (2, 2)])
def test_bilinear_gradchecks_to_second_order(batch):
    x1, x2 = RNG.standard_normal(batch + (3,)), RNG.standard_normal(batch + (2,))
    w, b = RNG.standard_normal((4, 3, 2)), RNG.standard_normal(4)
    check_grads(lambda a, c, w, b: F.bilinear(a, c, w, b), [x1, x2, w, b])
    layer = nn.Bilinear(3, 2, 4, bias=False, rng=0)
    check_grads(lambda a, c: layer(a, c), [x1, x2])


def test_bilinear_layer_init_state_dict_repr_and_torch_layout():
    layer = nn.Bilinear(16, 5, 300, rng=0)
    assert layer.weight.shape == (300, 16, 5) and layer.bias.shape == (300,)
    for p in (layer.weight.data, layer.bias.data):          # uniform ±1/sqrt(in1_features)
        assert -0.25 <= p.min() < -0.24 and 0.24 < p.max() <= 0.25
    np.testing.assert_array_equal(nn.Bilinear(16, 5, 300, rng=0).weight.data, layer.weight.data)
    assert list(layer.state_dict()) == ["weight", "bias"]
    torch_state = layer.to_torch_state_dict()
    np.testing.assert_array_equal(torch_state["weight"], layer.weight.data)   # same layout
    assert repr(layer) == "Bilinear(in1_features=16, in2_features=5, out_features=300, bias=True)"
    plain = nn.Bilinear(2, 3, 4, bias=False, dtype=np.float32)
    assert plain.bias is None and list(plain.state_dict()) == ["weight"]
    assert repr(plain) == "Bilinear(in1_features=2, in2_features=3, out_features=4, bias=False)"
    out = plain(ad.tensor(np.ones((2, 2), np.float32)), ad.tensor(np.ones((2, 3), np.float32)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, bilinear_ref(np.ones((2, 2)), np.ones((2, 3)),
                                                      plain.weight.data), rtol=1e-6)


def test_bilinear_refuses_bad_inputs_with_clear_errors():
    layer = nn.Bilinear(3, 4, 2, rng=0)
    with pytest.raises(ValueError, match=r"Bilinear\(3, 4, 2\): input2's last axis must have 4 "
                                         r"entries .*got input2 of shape \(5, 3\)"):
        layer(ad.tensor(np.ones((5, 3))), ad.tensor(np.ones((5, 3))))
    with pytest.raises(ValueError, match=r"input1 and input2 must have the same leading"):
        layer(ad.tensor(np.ones((1, 3))), ad.tensor(np.ones((5, 4))))
    with pytest.raises(TypeError, match=r"Bilinear\(3, 4, 2\): all arrays must have the same "
                                        r"dtype.*input1 float32.*dtype=np.float32"):
        layer(ad.tensor(np.ones((5, 3), np.float32)), ad.tensor(np.ones((5, 4), np.float32)))
    with pytest.raises(ValueError, match=r"bilinear: bias must have shape \(2,\)"):
        F.bilinear(np.ones((5, 3)), np.ones((5, 4)), np.ones((2, 3, 4)), np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"bilinear: weight must be 3-d"):
        F.bilinear(np.ones((5, 3)), np.ones((5, 4)), np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"input1's last axis"):
        F.bilinear(np.ones(()), np.ones(4), np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"Bilinear: in2_features must be a positive int"):
        nn.Bilinear(3, 0, 2)
    with pytest.raises(TypeError, match=r"Bilinear: dtype must be a floating-point type"):
        nn.Bilinear(3, 4, 2, dtype=np.int32)


# ----- MLP activations by name -----------------------------------------------------------

NAMED = {"relu": F.relu, "sigmoid": F.sigmoid, "tanh": F.tanh, "leaky_relu": F.leaky_relu,
         "gelu": F.gelu, "silu": F.silu, "elu": F.elu, "softplus": F.softplus, "selu": F.selu,
         "celu": F.celu, "mish": F.mish, "hardswish": F.hardswish,
         "hardsigmoid": F.hardsigmoid, "hardtanh": F.hardtanh, "relu6": F.relu6,
         "logsigmoid": F.logsigmoid, "softsign": F.softsign}


@pytest.mark.parametrize("name", sorted(NAMED))
def test_mlp_takes_each_activation_by_name(name):
    net = nn.MLP([3, 5, 4, 2], activation=name, rng=0)
    x = RNG.standard_normal((6, 3)) * 3
    h = ad.tensor(x)
    layers = list(net.layers)
    for i, layer in enumerate(layers):
        h = F.linear(h, layer.weight.T, layer.bias)
        if i < len(layers) - 1:
            h = NAMED[name](h)
    np.testing.assert_allclose(net(ad.tensor(x)).data, h.data, rtol=1e-12, atol=1e-12)


def test_mlp_unknown_activation_lists_the_names_and_modules_still_work():
    with pytest.raises(ValueError, match=r"MLP: unknown activation 'swish'; choose one of "
                                         r"celu, elu, gelu, .*softsign, tanh, or pass a Module"):
        nn.MLP([2, 3], activation="swish")
    with pytest.raises(TypeError, match=r"MLP: activation must be a name or a Module"):
        nn.MLP([2, 3], activation=F.gelu)
    assert isinstance(nn.MLP([2, 3, 1], activation=nn.ELU(alpha=0.5)).activation, nn.ELU)
    assert isinstance(nn.MLP([2, 3, 1]).activation, nn.ReLU)


# ----- compiled step ---------------------------------------------------------------------

def test_compiled_training_step_with_the_new_layers_matches_eager():
    def make():
        conv = nn.Conv2d(2, 4, 3, padding=1, rng=0)
        inorm2 = nn.InstanceNorm2d(4, affine=True, track_running_stats=True)
        drop2 = nn.Dropout2d(0.3, rng=5)
        inorm1 = nn.InstanceNorm1d(4, track_running_stats=True, momentum=0.2)
        drop1 = nn.Dropout1d(0.2, rng=7)
        bilinear = nn.Bilinear(4, 3, 5, rng=1)
        model = nn.ModuleList([conv, inorm2, drop2, inorm1, drop1, bilinear])
        opt = ad.optim.SGD(model.parameters(), lr=0.1)

        def step(x, z, y):
            h = drop2(inorm2(conv(x)))
            h = drop1(inorm1(h.reshape(h.shape[0], 4, -1)))
            out = bilinear((h * h).mean(axis=2), z)
            loss = F.cross_entropy(out, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss, out
        return model, step
    (eager_model, eager), (compiled_model, step) = make(), make()
    compiled = ad.compile(step)
    rng = np.random.default_rng(0)
    for _ in range(4):
        x, z = rng.normal(size=(3, 2, 5, 5)), rng.normal(size=(3, 3))
        y = rng.integers(0, 5, 3)
        for a, b in zip(eager(x, z, y), compiled(x, z, y)):
            np.testing.assert_allclose(b.data, a.data, rtol=1e-10, atol=1e-12)
    assert compiled.traces == 1
    for (key, a), b in zip(eager_model.state_dict().items(),
                           compiled_model.state_dict().values()):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12, err_msg=key)
    assert not np.array_equal(compiled_model[3].running_mean, np.zeros(4))
