"""conv3d, conv_transpose1d / conv_transpose3d, max_pool3d / avg_pool3d, the 1-D and 3-D
adaptive pools, BatchNorm3d, InstanceNorm3d, Dropout3d and their layers.

Forwards are checked against loops written here (so without PyTorch too), gradients
against finite differences (first and second order), the transposed convolutions as
the adjoints of the convolutions, and everything against PyTorch when installed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn

RNG = np.random.default_rng(11)


def rand(*shape):
    return RNG.standard_normal(shape)


def _three(v):
    return (v,) * 3 if isinstance(v, int) else tuple(v)


# ----- references (plain loops) ----------------------------------------------------------------

def ref_conv3d(x, w, stride=1, padding=0, dilation=1, groups=1):
    stride, padding, dilation = _three(stride), _three(padding), _three(dilation)
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    n, c = x.shape[:2]
    o, cg, *kernel = w.shape
    out_sizes = [(s - d * (k - 1) - 1) // st + 1
                 for s, k, st, d in zip(xp.shape[2:], kernel, stride, dilation)]
    y = np.zeros((n, o) + tuple(out_sizes))
    og = o // groups
    for a in range(kernel[0]):
        for b in range(kernel[1]):
            for e in range(kernel[2]):
                starts = [t * d for t, d in zip((a, b, e), dilation)]
                tap = xp[:, :, starts[0]::stride[0], starts[1]::stride[1],
                         starts[2]::stride[2]][:, :, :out_sizes[0], :out_sizes[1],
                                               :out_sizes[2]]
                for g in range(groups):
                    y[:, g * og:(g + 1) * og] += np.einsum(
                        "ncdhw,oc->nodhw", tap[:, g * cg:(g + 1) * cg],
                        w[g * og:(g + 1) * og, :, a, b, e])
    return y


def ref_conv_transpose3d(x, w, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    stride, padding, dilation = _three(stride), _three(padding), _three(dilation)
    output_padding = _three(output_padding)
    n, c_in, *size = x.shape
    _, cog, *kernel = w.shape
    full = [(s - 1) * st + d * (k - 1) + 1 for s, st, d, k in zip(size, stride, dilation, kernel)]
    out = np.zeros((n, cog * groups) + tuple(f + op for f, op in zip(full, output_padding)))
    cig = c_in // groups
    for idx in np.ndindex(*size):
        for taps in np.ndindex(*kernel):
            pos = tuple(i * st + t * d for i, t, st, d in zip(idx, taps, stride, dilation))
            for g in range(groups):
                contribution = np.einsum("nc,co->no", x[(slice(None), slice(g * cig, (g + 1) * cig))
                                                        + idx],
                                         w[(slice(g * cig, (g + 1) * cig), slice(None)) + taps])
                out[(slice(None), slice(g * cog, (g + 1) * cog)) + pos] += contribution
    sizes = [f - 2 * p + op for f, p, op in zip(full, padding, output_padding)]
    return out[(slice(None), slice(None))
               + tuple(slice(p, p + s) for p, s in zip(padding, sizes))]


def ref_pool3d(x, kernel, stride, padding, reduce, dilation=1, ceil_mode=False,
               count_include_pad=True):
    kernel, stride, padding, dilation = map(_three, (kernel, stride, padding, dilation))
    size = x.shape[2:]
    out_sizes = []
    for s, k, st, p, d in zip(size, kernel, stride, padding, dilation):
        span = d * (k - 1) + 1
        if ceil_mode:
            o = -(-(s + 2 * p - span) // st) + 1
            if (o - 1) * st >= s + p:
                o -= 1
        else:
            o = (s + 2 * p - span) // st + 1
        out_sizes.append(o)
    y = np.empty(x.shape[:2] + tuple(out_sizes))
    for out_idx in np.ndindex(*out_sizes):
        ranges = []
        for i, s, k, st, p, d in zip(out_idx, size, kernel, stride, padding, dilation):
            taps = i * st - p + d * np.arange(k)
            ranges.append(taps)
        grids = np.meshgrid(*ranges, indexing="ij")
        inside = np.ones(grids[0].shape, bool)
        for g, s in zip(grids, size):
            inside &= (g >= 0) & (g < s)
        values = x[:, :, np.clip(grids[0], 0, size[0] - 1), np.clip(grids[1], 0, size[1] - 1),
                   np.clip(grids[2], 0, size[2] - 1)]
        if reduce == "max":
            y[(slice(None), slice(None)) + out_idx] = np.where(inside, values, -np.inf).max(
                axis=(2, 3, 4))
        else:
            if count_include_pad:
                count = 1
                for r, s, p in zip(ranges, size, padding):
                    count *= int(((r >= -p) & (r < s + p)).sum())
            else:
                count = int(inside.sum())
            y[(slice(None), slice(None)) + out_idx] = np.where(inside, values, 0.0).sum(
                axis=(2, 3, 4)) / count
    return y


def ref_adaptive(x, out_sizes, reduce):
    size = x.shape[2:]
    y = np.empty(x.shape[:2] + tuple(out_sizes))
    for idx in np.ndindex(*out_sizes):
        key = tuple(slice(math.floor(i * s / o), math.ceil((i + 1) * s / o))
                    for i, s, o in zip(idx, size, out_sizes))
        block = x[(slice(None), slice(None)) + key]
        axes = tuple(range(2, x.ndim))
        y[(slice(None), slice(None)) + idx] = (block.max(axis=axes) if reduce == "max"
                                               else block.mean(axis=axes))
    return y


# ----- convolutions -----------------------------------------------------------------------------

CONV3D = [((1, 2, 4, 5, 3), (3, 2, 2, 3, 1), {}),
          ((2, 4, 5, 4, 6), (4, 2, 3, 2, 3), dict(stride=(2, 1, 2), padding=(1, 0, 1),
                                                  dilation=(1, 2, 1), groups=2)),
          ((1, 1, 3, 3, 3), (2, 1, 1, 1, 1), dict(stride=2)),
          ((1, 2, 4, 4, 4), (1, 2, 3, 3, 3), dict(padding=1))]


@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONV3D)
def test_conv3d_matches_loops_and_adds_the_bias(x_shape, w_shape, kwargs):
    x, w, b = rand(*x_shape), rand(*w_shape), rand(w_shape[0])
    out = F.conv3d(ad.tensor(x), ad.tensor(w), ad.tensor(b), **kwargs)
    np.testing.assert_allclose(out.data, ref_conv3d(x, w, **kwargs)
                               + b.reshape(1, -1, 1, 1, 1), rtol=1e-12, atol=1e-12)


def test_conv3d_same_padding_keeps_the_size_and_layer():
    x, w = rand(1, 2, 4, 5, 6), rand(3, 2, 2, 3, 4)
    out = F.conv3d(ad.tensor(x), ad.tensor(w), padding="same")
    assert out.shape == (1, 3, 4, 5, 6)
    padded = np.pad(x, [(0, 0), (0, 0), (0, 1), (1, 1), (1, 2)])       # PyTorch's split
    np.testing.assert_allclose(out.data, ref_conv3d(padded, w), rtol=1e-12, atol=1e-12)
    layer = nn.Conv3d(2, 4, (1, 2, 3), stride=(1, 2, 1), groups=2, bias=False, rng=0)
    assert layer.weight.shape == (4, 1, 1, 2, 3) and layer.bias is None
    assert repr(layer) == ("Conv3d(2, 4, kernel_size=(1, 2, 3), stride=(1, 2, 1), groups=2, "
                           "bias=False)")
    bound = 1 / math.sqrt(1 * 1 * 2 * 3)
    assert np.abs(layer.weight.data).max() <= bound
    np.testing.assert_allclose(layer(ad.tensor(x)).data,
                               ref_conv3d(x, layer.weight.data, stride=(1, 2, 1), groups=2),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONV3D[:3])
def test_conv3d_gradcheck_first_and_second_order(x_shape, w_shape, kwargs):
    x, w, b = rand(*x_shape), rand(*w_shape), rand(w_shape[0])
    assert ad.gradcheck(lambda u, v, c: (F.conv3d(u, v, c, **kwargs) ** 2).sum(), [x, w, b])
    assert ad.gradcheck(lambda u, v: ad.grad(lambda s: (F.conv3d(s, v, **kwargs) ** 3).sum())(u)
                        .sum(), [x, w])


CT3D = [((1, 2, 2, 3, 2), (2, 3, 2, 2, 2), {}),
        ((2, 4, 3, 2, 3), (4, 1, 3, 2, 2), dict(stride=(2, 1, 3), padding=(1, 0, 1),
                                                output_padding=(1, 0, 2), groups=2,
                                                dilation=(1, 2, 1))),
        ((1, 1, 2, 2, 2), (1, 2, 3, 1, 1), dict(stride=(3, 1, 1), padding=(1, 0, 0),
                                                output_padding=(2, 0, 0)))]


@pytest.mark.parametrize("x_shape, w_shape, kwargs", CT3D)
def test_conv_transpose3d_matches_loops_and_is_the_adjoint_of_conv3d(x_shape, w_shape, kwargs):
    x, w = rand(*x_shape), rand(*w_shape)
    out = F.conv_transpose3d(ad.tensor(x), ad.tensor(w), **kwargs)
    np.testing.assert_allclose(out.data, ref_conv_transpose3d(x, w, **kwargs), rtol=1e-12,
                               atol=1e-12)
    if not any(_three(kwargs.get("output_padding", 0))):
        conv_kwargs = {k: v for k, v in kwargs.items() if k != "output_padding"}
        z = rand(*out.shape)
        forward = F.conv3d(ad.tensor(z), ad.tensor(w), **conv_kwargs).data
        np.testing.assert_allclose((forward * x).sum(), (z * out.data).sum(), rtol=1e-11)


@pytest.mark.parametrize("x_shape, w_shape, kwargs", CT3D[:2])
def test_conv_transpose3d_gradcheck_first_and_second_order(x_shape, w_shape, kwargs):
    x, w = rand(*x_shape), rand(*w_shape)
    b = rand(w_shape[1] * kwargs.get("groups", 1))
    assert ad.gradcheck(lambda u, v, c: (F.conv_transpose3d(u, v, c, **kwargs) ** 2).sum(),
                        [x, w, b])
    assert ad.gradcheck(lambda u, v: ad.grad(
        lambda s: (F.conv_transpose3d(s, v, **kwargs) ** 3).sum())(u).sum(), [x, w])


def test_conv_transpose1d_is_the_3d_one_on_a_line_and_gradchecks():
    x, w, b = rand(2, 4, 5), rand(4, 3, 3), rand(6)
    kwargs = dict(stride=2, padding=1, output_padding=1, groups=2, dilation=1)
    out = F.conv_transpose1d(ad.tensor(x), ad.tensor(w), ad.tensor(b), **kwargs)
    expected = ref_conv_transpose3d(x[:, :, :, None, None], w[:, :, :, None, None],
                                    stride=(2, 1, 1), padding=(1, 0, 0),
                                    output_padding=(1, 0, 0), groups=2)[:, :, :, 0, 0]
    np.testing.assert_allclose(out.data, expected + b[None, :, None], rtol=1e-12, atol=1e-12)
    assert ad.gradcheck(lambda u, v, c: (F.conv_transpose1d(u, v, c, **kwargs) ** 2).sum(),
                        [x, w, b])


def test_transposed_layers_shapes_output_size_repr_and_torch_layout():
    up = nn.ConvTranspose3d(4, 2, 3, stride=2, padding=1, rng=0)
    assert up.weight.shape == (4, 2, 3, 3, 3) and up.bias.shape == (2,)
    x = ad.tensor(rand(1, 4, 2, 3, 4))
    assert up(x).shape == (1, 2, 3, 5, 7)
    assert up(x, output_size=(4, 6, 8)).shape == (1, 2, 4, 6, 8)
    with pytest.raises(ValueError, match="output_size .* is not reachable"):
        up(x, output_size=(9, 6, 8))
    assert repr(up) == "ConvTranspose3d(4, 2, kernel_size=(3, 3, 3), stride=(2, 2, 2), " \
                       "padding=(1, 1, 1))"
    line = nn.ConvTranspose1d(3, 6, 2, stride=3, groups=3, rng=1)
    assert line.weight.shape == (3, 2, 2)
    assert line(ad.tensor(rand(2, 3, 4))).shape == (2, 6, 11)
    assert line(ad.tensor(rand(2, 3, 4)), output_size=[12]).shape == (2, 6, 12)
    state = line.to_torch_state_dict()
    np.testing.assert_array_equal(state["weight"], line.weight.data)      # PyTorch's layout


def test_conv_errors_name_the_op_and_the_fix():
    with pytest.raises(ValueError, match=r"conv3d: expected a 4-D unbatched .* or 5-D "
                                         r"batched .* got shape \(3, 3, 3\)"):
        F.conv3d(ad.tensor(rand(3, 3, 3)), ad.tensor(rand(1, 2, 1, 1, 1)))
    with pytest.raises(ValueError, match="conv3d: expected 4 input channels"):
        F.conv3d(ad.tensor(rand(1, 3, 3, 3, 3)), ad.tensor(rand(2, 2, 1, 1, 1)), groups=2)
    with pytest.raises(ValueError, match="conv3d: the kernel's depth"):
        F.conv3d(ad.tensor(rand(1, 1, 2, 3, 3)), ad.tensor(rand(1, 1, 3, 1, 1)))
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        F.conv3d(ad.tensor(rand(1, 1, 3, 3, 3)), ad.tensor(rand(1, 1, 1, 1, 1)), stride=2,
                 padding="same")
    with pytest.raises(ValueError, match="conv_transpose3d: output_padding"):
        F.conv_transpose3d(ad.tensor(rand(1, 1, 2, 2, 2)), ad.tensor(rand(1, 1, 2, 2, 2)),
                           output_padding=1)
    with pytest.raises(ValueError, match=r"conv_transpose3d: the output would have sizes "
                                         r"\(3, 0, 1\) \(input shape \(1, 1, 2, 2, 1\)"):
        F.conv_transpose3d(ad.tensor(rand(1, 1, 2, 2, 1)), ad.tensor(rand(1, 1, 2, 1, 1)),
                           padding=(0, 1, 0))
    with pytest.raises(ValueError, match="conv_transpose1d: expected a 2-D unbatched"):
        F.conv_transpose1d(ad.tensor(rand(1, 2, 3, 4)), ad.tensor(rand(2, 1, 2)))
    with pytest.raises(TypeError, match="conv3d: expected floating-point input"):
        F.conv3d(ad.tensor(np.ones((1, 1, 2, 2, 2), int)), ad.tensor(rand(1, 1, 1, 1, 1)))


# ----- pooling ----------------------------------------------------------------------------------

POOL3D = [dict(kernel_size=2, stride=None, padding=0),
          dict(kernel_size=(3, 2, 2), stride=(2, 1, 3), padding=(1, 1, 0)),
          dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)]


@pytest.mark.parametrize("kwargs", POOL3D)
def test_pool3d_match_loops(kwargs):
    x = rand(2, 3, 5, 6, 7)
    stride = kwargs["stride"] or kwargs["kernel_size"]
    extra = {"ceil_mode": kwargs.get("ceil_mode", False)}
    np.testing.assert_array_equal(
        F.max_pool3d(ad.tensor(x), **kwargs).data,
        ref_pool3d(x, kwargs["kernel_size"], stride, kwargs["padding"], "max", **extra))
    for count_include_pad in (True, False):
        np.testing.assert_allclose(
            F.avg_pool3d(ad.tensor(x), **kwargs, count_include_pad=count_include_pad).data,
            ref_pool3d(x, kwargs["kernel_size"], stride, kwargs["padding"], "mean",
                       count_include_pad=count_include_pad, **extra), rtol=1e-13)


def test_max_pool3d_dilation_and_the_gradient_goes_to_the_first_maximum():
    x = rand(1, 2, 6, 5, 5)
    np.testing.assert_array_equal(
        F.max_pool3d(ad.tensor(x), 2, 1, 0, dilation=(2, 1, 2)).data,
        ref_pool3d(x, 2, 1, 0, "max", dilation=(2, 1, 2)))
    t = ad.tensor(np.ones((1, 1, 2, 2, 2)), requires_grad=True)          # all ties
    F.max_pool3d(t, 2).sum().backward()
    expected = np.zeros((1, 1, 2, 2, 2))
    expected[0, 0, 0, 0, 0] = 1.0
    np.testing.assert_array_equal(t.grad, expected)
    t = ad.tensor(np.array([[[[[1.0, 5.0]], [[5.0, 2.0]]]]]), requires_grad=True)
    F.max_pool3d(t, (2, 1, 2)).sum().backward()                       # first in (d, h, w)
    np.testing.assert_array_equal(t.grad, [[[[[0.0, 1.0]], [[0.0, 0.0]]]]])


@pytest.mark.parametrize("kwargs", POOL3D[1:])
def test_pool3d_gradcheck_first_and_second_order(kwargs):
    x = rand(1, 2, 4, 4, 5)
    assert ad.gradcheck(lambda u: (F.max_pool3d(u, **kwargs) ** 2).sum(), [x])
    assert ad.gradcheck(lambda u: (F.avg_pool3d(u, **kwargs) ** 2).sum(), [x])
    assert ad.gradcheck(lambda u: ad.grad(lambda s: (F.avg_pool3d(s, **kwargs) ** 3).sum())(u)
                        .sum(), [x])


@pytest.mark.parametrize("output_size, expected", [(1, (1, 1, 1)), ((2, 3, 4), (2, 3, 4)),
                                                   ((None, 4, 3), (5, 4, 3)), (3, (3, 3, 3))])
def test_adaptive_pools_3d_match_loops_and_gradcheck(output_size, expected):
    x = rand(2, 3, 5, 6, 7)
    np.testing.assert_allclose(F.adaptive_avg_pool3d(ad.tensor(x), output_size).data,
                               ref_adaptive(x, expected, "mean"), rtol=1e-13)
    np.testing.assert_array_equal(F.adaptive_max_pool3d(ad.tensor(x), output_size).data,
                                  ref_adaptive(x, expected, "max"))
    small = rand(1, 1, 3, 4, 3)
    out = output_size if output_size != (None, 4, 3) else (None, 3, 2)
    assert ad.gradcheck(lambda u: (F.adaptive_avg_pool3d(u, out) ** 2).sum(), [small])
    assert ad.gradcheck(lambda u: (F.adaptive_max_pool3d(u, out) ** 2).sum(), [small])


@pytest.mark.parametrize("output_size", [1, 3, 5, 7, (2,)])
def test_adaptive_pools_1d_match_loops_and_gradcheck(output_size):
    x = rand(2, 3, 7)
    out = output_size[0] if isinstance(output_size, tuple) else output_size
    np.testing.assert_allclose(F.adaptive_avg_pool1d(ad.tensor(x), output_size).data,
                               ref_adaptive(x, (out,), "mean"), rtol=1e-13)
    np.testing.assert_array_equal(F.adaptive_max_pool1d(ad.tensor(x), output_size).data,
                                  ref_adaptive(x, (out,), "max"))
    assert ad.gradcheck(lambda u: (F.adaptive_avg_pool1d(u, output_size) ** 2).sum(), [x])
    assert ad.gradcheck(lambda u: (F.adaptive_max_pool1d(u, output_size) ** 2).sum(), [x])


def test_pool_layers_repr_dtype_and_errors():
    x32 = ad.tensor(np.ones((1, 2, 4, 4, 4), np.float32))
    for layer in (nn.MaxPool3d(2), nn.AvgPool3d(2), nn.AdaptiveAvgPool3d(2),
                  nn.AdaptiveMaxPool3d((2, None, 1))):
        assert layer(x32).dtype == np.float32
    for layer in (nn.AdaptiveAvgPool1d(3), nn.AdaptiveMaxPool1d(3)):
        assert layer(ad.tensor(np.ones((2, 2, 5), np.float32))).shape == (2, 2, 3)
    assert repr(nn.MaxPool3d(2)) == ("MaxPool3d(kernel_size=2, stride=2, padding=0, "
                                     "dilation=1, ceil_mode=False)")
    assert repr(nn.AvgPool3d(3, 2)) == "AvgPool3d(kernel_size=3, stride=2, padding=0)"
    assert repr(nn.AdaptiveMaxPool3d((1, None, 2))) == "AdaptiveMaxPool3d(output_size=(1, None, 2))"
    with pytest.raises(ValueError, match=r"max_pool3d: expected a 4-D unbatched .* got shape "
                                         r"\(4, 4, 4\)"):
        F.max_pool3d(ad.tensor(rand(4, 4, 4)), 2)
    with pytest.raises(ValueError, match="max_pool3d: padding .* at most half"):
        F.max_pool3d(ad.tensor(rand(1, 1, 4, 4, 4)), 2, padding=2)
    with pytest.raises(ValueError, match="adaptive_avg_pool3d: output_size"):
        F.adaptive_avg_pool3d(ad.tensor(rand(1, 1, 4, 4, 4)), (1, 2))
    with pytest.raises(ValueError, match="adaptive_max_pool1d: expected a 2-D unbatched"):
        F.adaptive_max_pool1d(ad.tensor(rand(1, 4, 4, 4)), 2)
    with pytest.raises(TypeError, match="avg_pool3d: expected floating-point"):
        F.avg_pool3d(ad.tensor(np.ones((1, 1, 2, 2, 2), int)), 2)


# ----- BatchNorm3d, InstanceNorm3d, Dropout3d -------------------------------------------------

def test_batch_norm3d_and_instance_norm3d_normalise_per_channel():
    x = rand(2, 3, 2, 3, 4)
    bn = nn.BatchNorm3d(3)
    out = bn(ad.tensor(x)).data
    mean, var = x.mean(axis=(0, 2, 3, 4), keepdims=True), x.var(axis=(0, 2, 3, 4), keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * x.var(axis=(0, 2, 3, 4), ddof=1))
    with pytest.raises(ValueError, match=r"BatchNorm3d\(3\): expected a 5-d input"):
        bn(ad.tensor(rand(2, 3, 4, 4)))
    norm = nn.InstanceNorm3d(3, affine=True)
    out = norm(ad.tensor(x)).data
    mean, var = x.mean(axis=(2, 3, 4), keepdims=True), x.var(axis=(2, 3, 4), keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(norm(ad.tensor(x[0])).data, out[0], rtol=1e-12, atol=1e-12)
    assert ad.gradcheck(lambda u: (nn.BatchNorm3d(3)(u) ** 3).sum(), [rand(2, 3, 2, 1, 2)])


def test_dropout3d_drops_whole_channels_of_volumes():
    x = ad.tensor(np.ones((4, 6, 2, 3, 2)))
    y = F.dropout3d(x, 0.5, rng=0).data
    per_channel = y.reshape(4, 6, -1)
    assert np.all(per_channel == per_channel[:, :, :1])
    assert set(np.unique(y)) == {0.0, 2.0}
    unbatched = F.dropout3d(ad.tensor(np.ones((6, 2, 2, 2))), 0.5, rng=0).data
    assert np.all(unbatched.reshape(6, -1) == unbatched.reshape(6, -1)[:, :1])
    layer = nn.Dropout3d(0.5, rng=1)
    assert layer.eval()(x) is x and repr(layer) == "Dropout3d(p=0.5, inplace=False)"
    # other ranks warn (PyTorch deprecates them) and drop each input[c] as a whole
    with pytest.warns(UserWarning, match="dropout3d: got a 3-d input"):
        other = F.dropout3d(ad.tensor(np.ones((8, 3, 4))), 0.5, rng=0).data
    assert np.all(other.reshape(8, -1) == other.reshape(8, -1)[:, :1])
    with pytest.raises(ValueError, match="dropout3d: expected a 5-d"):
        F.dropout3d(ad.tensor(1.0), 0.5)


# ----- against PyTorch --------------------------------------------------------------------------

def _compare_with_torch(torch, ours, theirs, *arrays, **kwargs):
    mine = [ad.tensor(a, requires_grad=True) for a in arrays]
    them = [torch.tensor(a, requires_grad=True) for a in arrays]
    a, b = ours(*mine, **kwargs), theirs(*them, **kwargs)
    np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rand(*a.shape)
    (a * g).sum().backward()
    (b * torch.tensor(g)).sum().backward()
    for m, t in zip(mine, them):
        np.testing.assert_allclose(m.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    for x_shape, w_shape, kwargs in CONV3D:
        _compare_with_torch(torch, F.conv3d, tf.conv3d, rand(*x_shape), rand(*w_shape),
                            rand(w_shape[0]), **kwargs)
    for x_shape, w_shape, kwargs in CT3D:
        _compare_with_torch(torch, F.conv_transpose3d, tf.conv_transpose3d, rand(*x_shape),
                            rand(*w_shape), rand(w_shape[1] * kwargs.get("groups", 1)), **kwargs)
    _compare_with_torch(torch, F.conv_transpose1d, tf.conv_transpose1d, rand(2, 4, 5),
                        rand(4, 3, 3), rand(6), stride=2, padding=1, output_padding=1, groups=2)
    ties = np.round(rand(2, 3, 5, 6, 7))
    for kwargs in POOL3D:
        _compare_with_torch(torch, F.max_pool3d, tf.max_pool3d, ties, **kwargs)
        _compare_with_torch(torch, F.avg_pool3d, tf.avg_pool3d, ties, count_include_pad=False,
                            **kwargs)
    for size in [1, (2, 3, 4), (None, 4, 3)]:
        _compare_with_torch(torch, F.adaptive_avg_pool3d, tf.adaptive_avg_pool3d, ties,
                            output_size=size)
        _compare_with_torch(torch, F.adaptive_max_pool3d, tf.adaptive_max_pool3d, ties,
                            output_size=size)
    for size in [1, 3, 5]:
        _compare_with_torch(torch, F.adaptive_avg_pool1d, tf.adaptive_avg_pool1d,
                            np.round(rand(2, 3, 7)), output_size=size)
        _compare_with_torch(torch, F.adaptive_max_pool1d, tf.adaptive_max_pool1d,
                            np.round(rand(2, 3, 7)), output_size=size)
    for name, args in [("Conv3d", (2, 4, 3)), ("ConvTranspose3d", (2, 4, 3)),
                       ("ConvTranspose1d", (2, 4, 3)), ("MaxPool3d", (2,)), ("AvgPool3d", (3, 2)),
                       ("AdaptiveAvgPool1d", (3,)), ("AdaptiveMaxPool3d", ((1, None, 2),)),
                       ("InstanceNorm3d", (3,)), ("Dropout3d", (0.2,))]:
        assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args)), name
    layer = nn.ConvTranspose3d(2, 4, 3, stride=2, rng=0)
    theirs = torch.nn.ConvTranspose3d(2, 4, 3, stride=2).double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in layer.to_torch_state_dict().items()})
    x = rand(1, 2, 2, 3, 2)
    np.testing.assert_allclose(layer(ad.tensor(x)).data,
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    bn, theirs = nn.BatchNorm3d(3), torch.nn.BatchNorm3d(3).double()
    x = rand(2, 3, 2, 3, 2)
    np.testing.assert_allclose(bn(ad.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(bn.running_var, theirs.running_var.numpy(), rtol=1e-12)


@pytest.mark.parametrize("op, out_shape", [
    (lambda x: F.conv3d(x, ad.tensor(np.ones((3, 2, 2, 2, 2)))), (0, 3, 3, 3, 3)),
    (lambda x: F.conv_transpose3d(x, ad.tensor(np.ones((2, 3, 2, 2, 2))), stride=2),
     (0, 3, 8, 8, 8)),
    (lambda x: F.max_pool3d(x, 2), (0, 2, 2, 2, 2)),
    (lambda x: F.avg_pool3d(x, 2, 1, 1, ceil_mode=True), (0, 2, 5, 5, 5)),
    (lambda x: F.max_unpool3d(*F.max_pool3d(x, 2, return_indices=True), 2), (0, 2, 4, 4, 4)),
    (lambda x: F.max_unpool2d(*F.max_pool2d(x[:, :, 0], 2, return_indices=True), 2),
     (0, 2, 4, 4)),
    (lambda x: F.adaptive_max_pool3d(x, 3, return_indices=True)[0], (0, 2, 3, 3, 3)),
    (lambda x: F.adaptive_max_pool1d(x[:, :, 0, 0], 3, return_indices=True)[0], (0, 2, 3)),
])
def test_an_empty_batch_gives_an_empty_result_and_gradient(op, out_shape):
    # PyTorch's shapes for N = 0 (the 3-D layers divided by N; the indices reshaped by -1)
    x = ad.tensor(np.zeros((0, 2, 4, 4, 4)), requires_grad=True)
    out = op(x)
    assert out.shape == out_shape
    out.sum().backward()
    assert x.grad.shape == x.shape
