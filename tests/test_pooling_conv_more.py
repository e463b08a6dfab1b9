"""Adaptive pooling, 1-D pooling, interpolate / Upsample and the transposed
convolution: forwards against loops written here, gradients against finite
differences (first and second order), conv_transpose2d as the adjoint of conv2d, the
layers (shapes, init, repr, state_dict) and the errors for wrong input."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F

RNG = np.random.default_rng(7)


def rand(*shape):
    return RNG.standard_normal(shape)


# ----- references (plain loops) --------------------------------------------------------------

def ref_adaptive(x, out_hw, reduce):
    n, c, h, w = x.shape
    ho, wo = out_hw
    y = np.empty((n, c, ho, wo))
    for i in range(ho):
        h0, h1 = math.floor(i * h / ho), math.ceil((i + 1) * h / ho)
        for j in range(wo):
            w0, w1 = math.floor(j * w / wo), math.ceil((j + 1) * w / wo)
            y[:, :, i, j] = reduce(x[:, :, h0:h1, w0:w1], axis=(2, 3))
    return y


def ref_pool1d(x, k, s, p, d, ceil_mode, reduce, count_include_pad=True):
    n, c, length = x.shape
    span = d * (k - 1) + 1
    if ceil_mode:
        out = -(-(length + 2 * p - span) // s) + 1
        if (out - 1) * s >= length + p:
            out -= 1
    else:
        out = (length + 2 * p - span) // s + 1
    y = np.empty((n, c, out))
    for o in range(out):
        taps = [o * s - p + d * t for t in range(k)]
        inside = [t for t in taps if 0 <= t < length]
        values = x[:, :, inside]
        if reduce == "max":
            y[:, :, o] = values.max(axis=2)
        else:
            # the divisor counts padding (clipped to the padded input) or only the inside
            end = min(o * s - p + k, length + p)
            divisor = end - (o * s - p) if count_include_pad else len(inside)
            y[:, :, o] = values.sum(axis=2) / divisor
    return y


def ref_conv2d(x, w, stride, padding, dilation, groups):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, o, ho, wo))
    og = o // groups
    for oc in range(o):
        g = oc // og
        for i in range(ho):
            for j in range(wo):
                patch = xp[:, g * cg:(g + 1) * cg, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                           j * sw:j * sw + dw * (kw - 1) + 1:dw]
                y[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3))
    return y


def ref_conv_transpose2d(x, w, stride, padding, output_padding, dilation, groups):
    """Scatter each input pixel times the kernel into the output, then crop the padding."""
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    full_h = (h - 1) * sh + dh * (kh - 1) + 1 + oph
    full_w = (wd - 1) * sw + dw * (kw - 1) + 1 + opw
    y = np.zeros((n, og * groups, full_h, full_w))
    cg = c // groups
    for ic in range(c):
        g = ic // cg
        for i in range(h):
            for j in range(wd):
                for a in range(kh):
                    for b in range(kw):
                        y[:, g * og:(g + 1) * og, i * sh + a * dh, j * sw + b * dw] += (
                            x[:, ic, i, j][:, None] * w[ic, :, a, b][None, :])
    return y[:, :, ph:full_h - ph, pw:full_w - pw]


# ----- adaptive pooling ----------------------------------------------------------------------

ADAPTIVE_CASES = [((2, 3, 7, 5), (3, 2)), ((1, 2, 5, 9), (4, None)), ((1, 1, 6, 6), 3),
                  ((2, 1, 3, 4), (5, 7)), ((1, 2, 10, 13), 1), ((1, 1, 13, 7), (5, 3))]


def _sizes(shape, output_size):
    sizes = output_size if isinstance(output_size, tuple) else (output_size, output_size)
    return tuple(n if s is None else s for s, n in zip(sizes, shape[2:]))


@pytest.mark.parametrize("shape, output_size", ADAPTIVE_CASES)
def test_adaptive_pools_match_loops(shape, output_size):
    x = rand(*shape)
    out_hw = _sizes(shape, output_size)
    got = F.adaptive_avg_pool2d(ad.tensor(x), output_size)
    np.testing.assert_allclose(got.data, ref_adaptive(x, out_hw, np.mean), rtol=1e-12,
                               atol=1e-12)
    got = F.adaptive_max_pool2d(ad.tensor(x), output_size)
    np.testing.assert_array_equal(got.data, ref_adaptive(x, out_hw, np.max))


@pytest.mark.parametrize("shape, output_size", [((1, 2, 5, 4), (3, 3)), ((2, 1, 4, 7), (4, 3)),
                                                ((1, 1, 6, 6), 2)])
def test_adaptive_pools_gradcheck_first_and_second_order(shape, output_size):
    x = rand(*shape)
    assert ad.gradcheck(lambda t: (F.adaptive_avg_pool2d(t, output_size) ** 2).sum(), [x])
    assert ad.gradcheck(lambda t: (F.adaptive_max_pool2d(t, output_size) ** 2).sum(), [x])
    assert ad.gradcheck(lambda t: ad.grad(lambda u: (F.adaptive_avg_pool2d(u, output_size)
                                                     ** 3).sum())(t).sum(), [x])


def test_adaptive_max_gives_the_gradient_to_the_first_maximum_of_each_window():
    x = ad.tensor(np.ones((1, 1, 3, 5)), requires_grad=True)   # overlapping windows, all ties
    F.adaptive_max_pool2d(x, (2, 3)).sum().backward()
    # windows: rows [0, 2) and [1, 3); columns [0, 2), [1, 4), [3, 5)
    want = np.zeros((3, 5))
    for r in (0, 1):
        for c in (0, 1, 3):
            want[r, c] += 1
    np.testing.assert_array_equal(x.grad[0, 0], want)


def test_adaptive_pools_float32_stay_float32_and_layers():
    x = ad.tensor(rand(2, 3, 7, 6).astype(np.float32))
    assert F.adaptive_avg_pool2d(x, 3).dtype == np.float32
    assert F.adaptive_max_pool2d(x, 3).dtype == np.float32
    assert ad.nn.AdaptiveAvgPool2d((None, 2))(x).shape == (2, 3, 7, 2)
    assert ad.nn.AdaptiveMaxPool2d(1)(x).shape == (2, 3, 1, 1)
    assert repr(ad.nn.AdaptiveAvgPool2d((5, None))) == "AdaptiveAvgPool2d(output_size=(5, None))"
    assert repr(ad.nn.AdaptiveMaxPool2d(3)) == "AdaptiveMaxPool2d(output_size=3)"
    assert ad.nn.AdaptiveAvgPool2d(1).state_dict() == {}


# ----- 1-D pooling ----------------------------------------------------------------------------

POOL1D_CASES = [(9, dict(kernel_size=3)), (10, dict(kernel_size=3, stride=2, padding=1)),
                (10, dict(kernel_size=4, stride=3, padding=2, ceil_mode=True)),
                (7, dict(kernel_size=2, stride=2, ceil_mode=True)),
                (8, dict(kernel_size=5, stride=1, padding=2))]


def _geometry(kwargs):
    k = kwargs["kernel_size"]
    return (k, kwargs.get("stride", k), kwargs.get("padding", 0), kwargs.get("dilation", 1),
            kwargs.get("ceil_mode", False))


@pytest.mark.parametrize("length, kwargs", POOL1D_CASES)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_pool1d_match_loops(length, kwargs, count_include_pad):
    x = rand(2, 3, length)
    k, s, p, d, ceil_mode = _geometry(kwargs)
    got = F.avg_pool1d(ad.tensor(x), count_include_pad=count_include_pad, **kwargs)
    want = ref_pool1d(x, k, s, p, 1, ceil_mode, "mean", count_include_pad)
    np.testing.assert_allclose(got.data, want, rtol=1e-12, atol=1e-12)
    got = F.max_pool1d(ad.tensor(x), **kwargs)
    np.testing.assert_array_equal(got.data, ref_pool1d(x, k, s, p, d, ceil_mode, "max"))


def test_max_pool1d_dilation_matches_loops_and_gradchecks():
    x = rand(1, 2, 11)
    got = F.max_pool1d(ad.tensor(x), 3, 2, 1, dilation=2, ceil_mode=True)
    np.testing.assert_array_equal(got.data, ref_pool1d(x, 3, 2, 1, 2, True, "max"))
    assert ad.gradcheck(lambda t: (F.max_pool1d(t, 3, 2, 1, dilation=2) ** 2).sum(), [x])


@pytest.mark.parametrize("length, kwargs", POOL1D_CASES[1:3])
def test_pool1d_gradcheck_first_and_second_order(length, kwargs):
    x = rand(1, 2, length)
    assert ad.gradcheck(lambda t: (F.avg_pool1d(t, count_include_pad=False, **kwargs) ** 2)
                        .sum(), [x])
    assert ad.gradcheck(lambda t: (F.max_pool1d(t, **kwargs) ** 2).sum(), [x])
    assert ad.gradcheck(lambda t: ad.grad(lambda u: (F.avg_pool1d(u, **kwargs) ** 3).sum())(t)
                        .sum(), [x])


def test_pool1d_layers_dtype_and_repr():
    x = ad.tensor(rand(1, 4, 9).astype(np.float32))
    assert ad.nn.MaxPool1d(3, stride=2)(x).shape == (1, 4, 4)
    assert ad.nn.AvgPool1d(3)(x).dtype == np.float32
    assert repr(ad.nn.MaxPool1d(3)) == ("MaxPool1d(kernel_size=3, stride=3, padding=0, "
                                        "dilation=1, ceil_mode=False)")
    assert repr(ad.nn.AvgPool1d(3, 2, 1)) == ("AvgPool1d(kernel_size=(3,), stride=(2,), "
                                              "padding=(1,))")


# ----- interpolate / Upsample ----------------------------------------------------------------

def ref_nearest_2d(x, out_hw, factors):
    """PyTorch's 2-D rule: copy for equal sizes, halve for double, else float32 floor."""
    y = x
    for axis, (n_out, factor) in enumerate(zip(out_hw, factors)):
        n_in = y.shape[2 + axis]
        if n_out == n_in:
            index = np.arange(n_out)
        elif n_out == 2 * n_in:
            index = np.arange(n_out) // 2
        else:
            scale = np.float32(1 / factor) if factor else np.float32(n_in) / np.float32(n_out)
            index = [min(int(np.floor(np.float32(i) * scale)), n_in - 1) for i in range(n_out)]
        y = np.take(y, index, axis=2 + axis)
    return y


def ref_bilinear(x, out_hw, align_corners, factors=(None, None)):
    n, c, h, w = x.shape
    ho, wo = out_hw

    def source(i, n_in, n_out, factor):
        if n_in == n_out:
            return float(i)
        if align_corners:
            return i * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        scale = 1 / factor if factor else n_in / n_out
        return max(scale * (i + 0.5) - 0.5, 0.0)

    y = np.zeros((n, c, ho, wo))
    for i in range(ho):
        si = source(i, h, ho, factors[0])
        i0 = min(int(np.floor(si)), h - 1)
        i1, li = min(i0 + 1, h - 1), si - i0
        for j in range(wo):
            sj = source(j, w, wo, factors[1])
            j0 = min(int(np.floor(sj)), w - 1)
            j1, lj = min(j0 + 1, w - 1), sj - j0
            y[:, :, i, j] = ((1 - li) * ((1 - lj) * x[:, :, i0, j0] + lj * x[:, :, i0, j1])
                             + li * ((1 - lj) * x[:, :, i1, j0] + lj * x[:, :, i1, j1]))
    return y


INTERP_CASES = [((1, 2, 5, 7), dict(scale_factor=2), (10, 14), (2.0, 2.0)),
                ((1, 2, 5, 7), dict(size=(3, 11)), (3, 11), (None, None)),
                ((2, 1, 7, 5), dict(scale_factor=(1.7, 0.6)), (11, 3), (1.7, 0.6)),
                ((1, 1, 9, 10), dict(scale_factor=0.3), (2, 3), (0.3, 0.3)),
                ((1, 2, 7, 9), dict(scale_factor=1.7, recompute_scale_factor=True), (11, 15),
                 (None, None)),
                ((1, 1, 7, 9), dict(scale_factor=1.1), (7, 9), (1.1, 1.1))]


@pytest.mark.parametrize("shape, kwargs, out_hw, factors", INTERP_CASES)
def test_interpolate_matches_loops(shape, kwargs, out_hw, factors):
    x = rand(*shape)
    got = F.interpolate(ad.tensor(x), **kwargs)
    assert got.shape == shape[:2] + out_hw
    np.testing.assert_array_equal(got.data, ref_nearest_2d(x, out_hw, factors))
    for align_corners in (False, True):
        got = F.interpolate(ad.tensor(x), mode="bilinear", align_corners=align_corners, **kwargs)
        want = ref_bilinear(x, out_hw, align_corners, factors)
        np.testing.assert_allclose(got.data, want, rtol=1e-12, atol=1e-12)


def test_interpolate_nearest_1d_and_3d():
    x = rand(2, 3, 7)
    got = F.interpolate(ad.tensor(x), scale_factor=1.1)
    # the 1-D rule has no copy shortcut: src = floor(i / 1.1)
    np.testing.assert_array_equal(got.data, x[:, :, [0, 0, 1, 2, 3, 4, 5]])
    np.testing.assert_array_equal(F.interpolate(ad.tensor(x), size=3).data, x[:, :, [0, 2, 4]])
    # position 55 of 110 from 4: 55 * (4 / 110) is just above 2 in float64 but just below
    # in float32, and the 1-D rule computes in the input's precision
    four = rand(1, 1, 4)
    assert F.interpolate(ad.tensor(four), size=110).data[0, 0, 55] == four[0, 0, 2]
    four32 = four.astype(np.float32)
    assert F.interpolate(ad.tensor(four32), size=110).data[0, 0, 55] == four32[0, 0, 1]
    # 55 * (18 / 66) is just below 15 in float64; PyTorch rounds it to float32 (15.0)
    line = np.arange(18.0).reshape(1, 1, 18)
    assert F.interpolate(ad.tensor(line), size=66).data[0, 0, 55] == 15.0
    v = rand(1, 2, 2, 3, 4)
    got = F.interpolate(ad.tensor(v), scale_factor=(2, 1, 0.5))
    np.testing.assert_array_equal(got.data, v[:, :, [0, 0, 1, 1]][:, :, :, :, [0, 2]])


@pytest.mark.parametrize("mode, kwargs", [("nearest", dict(scale_factor=1.6)),
                                          ("bilinear", dict(size=(5, 3))),
                                          ("bilinear", dict(scale_factor=1.5,
                                                            align_corners=True))])
def test_interpolate_gradcheck_first_and_second_order(mode, kwargs):
    x = rand(1, 2, 3, 4)
    f = lambda t: (F.interpolate(t, mode=mode, **kwargs) ** 2).sum()   # noqa: E731
    assert ad.gradcheck(f, [x])
    assert ad.gradcheck(lambda t: (ad.grad(f)(t) ** 2).sum(), [x])


def test_interpolate_float32_and_upsample_layer():
    x = ad.tensor(rand(1, 3, 4, 5).astype(np.float32))
    assert F.interpolate(x, scale_factor=2, mode="bilinear").dtype == np.float32
    assert F.interpolate(x, size=3).dtype == np.float32
    up = ad.nn.Upsample(scale_factor=2, mode="bilinear")
    assert up(x).shape == (1, 3, 8, 10)
    assert repr(up) == "Upsample(scale_factor=2.0, mode='bilinear')"
    assert repr(ad.nn.Upsample(size=(3, 4))) == "Upsample(size=(3, 4), mode='nearest')"
    assert repr(ad.nn.Upsample(scale_factor=(2, 1.5))) == ("Upsample(scale_factor=(2.0, 1.5), "
                                                           "mode='nearest')")


# ----- conv_transpose2d ----------------------------------------------------------------------

CT_CASES = [  # x shape, w shape, (stride, padding, output_padding, dilation, groups)
    ((2, 3, 4, 5), (3, 2, 3, 3), ((1, 1), (0, 0), (0, 0), (1, 1), 1)),
    ((1, 4, 5, 4), (4, 3, 3, 2), ((2, 2), (1, 1), (1, 1), (1, 1), 1)),
    ((2, 4, 3, 3), (4, 1, 3, 3), ((2, 3), (0, 2), (1, 2), (1, 1), 2)),
    ((1, 2, 4, 4), (2, 2, 2, 3), ((1, 1), (2, 1), (1, 0), (3, 2), 1)),    # output_padding >= stride
    ((1, 6, 3, 4), (6, 2, 3, 3), ((3, 3), (2, 2), (1, 1), (2, 2), 3)),
    ((1, 1, 1, 1), (1, 1, 1, 1), ((3, 3), (1, 1), (2, 2), (1, 1), 1)),    # reaches nothing
]


def _ct_kwargs(stride, padding, output_padding, dilation, groups):
    return dict(stride=stride, padding=padding, output_padding=output_padding,
                dilation=dilation, groups=groups)


@pytest.mark.parametrize("x_shape, w_shape, geometry", CT_CASES)
def test_conv_transpose2d_matches_loops(x_shape, w_shape, geometry):
    x, w = rand(*x_shape), rand(*w_shape)
    b = rand(w_shape[1] * geometry[-1])
    got = F.conv_transpose2d(ad.tensor(x), ad.tensor(w), ad.tensor(b), **_ct_kwargs(*geometry))
    want = ref_conv_transpose2d(x, w, *geometry) + b[None, :, None, None]
    assert got.shape == want.shape
    np.testing.assert_allclose(got.data, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_shape, w_shape, geometry", [CT_CASES[i] for i in (0, 1, 2, 4)])
def test_conv_transpose2d_is_the_adjoint_of_conv2d(x_shape, w_shape, geometry):
    stride, padding, output_padding, dilation, groups = geometry
    y, w = rand(*x_shape), rand(*w_shape)
    x = rand(*F.conv_transpose2d(ad.tensor(y), ad.tensor(w), **_ct_kwargs(*geometry)).shape)
    conv = F.conv2d(ad.tensor(x), ad.tensor(w), stride=stride, padding=padding,
                    dilation=dilation, groups=groups).data
    np.testing.assert_allclose(conv, ref_conv2d(x, w, stride, padding, dilation, groups),
                               rtol=1e-12, atol=1e-12)
    back = F.conv_transpose2d(ad.tensor(y), ad.tensor(w), **_ct_kwargs(*geometry)).data
    np.testing.assert_allclose((conv * y).sum(), (x * back).sum(), rtol=1e-12)


@pytest.mark.parametrize("x_shape, w_shape, geometry", [CT_CASES[1], CT_CASES[2], CT_CASES[3]])
def test_conv_transpose2d_gradcheck_first_and_second_order(x_shape, w_shape, geometry):
    x, w, b = rand(1, *x_shape[1:]), rand(*w_shape), rand(w_shape[1] * geometry[-1])
    kwargs = _ct_kwargs(*geometry)
    f = lambda x_, w_, b_: (F.conv_transpose2d(x_, w_, b_, **kwargs) ** 2).sum()   # noqa: E731
    assert ad.gradcheck(f, [x, w, b])
    assert ad.gradcheck(lambda x_, w_: sum((g ** 2).sum() for g in ad.grad(
        lambda u, v: (F.conv_transpose2d(u, v, **kwargs) ** 3).sum(), argnums=(0, 1))(x_, w_)),
        [x, w])


def test_conv_transpose2d_layer_init_repr_state_dict_and_output_size():
    layer = ad.nn.ConvTranspose2d(6, 4, (3, 2), stride=2, groups=2, rng=0)
    assert layer.weight.shape == (6, 2, 3, 2) and layer.bias.shape == (4,)
    wide = ad.nn.ConvTranspose2d(16, 2, 3, rng=0)
    bound = 1 / math.sqrt(2 * 3 * 3)        # fan_in from the weight's axis 1, as PyTorch
    assert 0.9 * bound < np.abs(wide.weight.data).max() <= bound
    assert np.abs(wide.bias.data).max() <= bound
    assert set(layer.state_dict()) == {"weight", "bias"}
    torch_state = layer.to_torch_state_dict()
    assert {k: v.shape for k, v in torch_state.items()} == {"weight": (6, 2, 3, 2), "bias": (4,)}
    assert repr(layer) == "ConvTranspose2d(6, 4, kernel_size=(3, 2), stride=(2, 2), groups=2)"
    assert repr(ad.nn.ConvTranspose2d(3, 8, 3, padding=1, output_padding=0, bias=False,
                                      dilation=2)) == ("ConvTranspose2d(3, 8, kernel_size=(3, 3), "
                                                       "stride=(1, 1), padding=(1, 1), "
                                                       "dilation=(2, 2), bias=False)")
    x = ad.tensor(rand(1, 6, 4, 5).astype(np.float32))
    layer32 = ad.nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, rng=1, dtype=np.float32)
    assert layer32(x).shape == (1, 4, 7, 9) and layer32(x).dtype == np.float32
    assert layer32(x, output_size=(8, 10)).shape == (1, 4, 8, 10)
    assert layer32(x, output_size=[1, 4, 8, 9]).shape == (1, 4, 8, 9)
    with pytest.raises(ValueError, match=r"output_size \(9, 10\) is not reachable.*\[7, 8\]"):
        layer32(x, output_size=(9, 10))
    model = ad.nn.Sequential(ad.nn.ConvTranspose2d(2, 3, 2, rng=0))
    assert set(model.to_torch_state_dict()) == {"0.weight", "0.bias"}
    model.load_torch_state_dict(model.to_torch_state_dict())


# ----- errors ----------------------------------------------------------------------------------

def test_errors_name_the_op_and_the_fix():
    img = ad.tensor(rand(1, 2, 4, 4))
    with pytest.raises(ValueError, match="adaptive_avg_pool2d: expected a 3-D unbatched"):
        F.adaptive_avg_pool2d(ad.tensor(rand(4, 4)), 2)
    with pytest.raises(ValueError, match="adaptive_avg_pool2d: output_size must be"):
        F.adaptive_avg_pool2d(img, (0, 2))
    with pytest.raises(ValueError, match="adaptive_max_pool2d: output_size must be"):
        F.adaptive_max_pool2d(img, (1, 2, 3))
    out, indices = ad.nn.AdaptiveMaxPool2d(2, True)(img)       # return_indices, as PyTorch
    np.testing.assert_array_equal(out.data, F.adaptive_max_pool2d(img, 2).data)
    assert indices.dtype == np.int64 and indices.shape == out.shape
    with pytest.raises(TypeError, match="adaptive_avg_pool2d: expected floating-point"):
        F.adaptive_avg_pool2d(np.ones((1, 1, 2, 2), dtype=np.int64), 1)
    seq = ad.tensor(rand(1, 2, 6))
    with pytest.raises(ValueError, match=r"max_pool1d: expected a 2-D unbatched \(C, L\) or "
                                         r"3-D batched \(N, C, L\) input"):
        F.max_pool1d(img, 2)
    with pytest.raises(ValueError, match="avg_pool1d: padding 2 must be at most half"):
        F.avg_pool1d(seq, 3, padding=2)
    with pytest.raises(ValueError, match="max_pool1d: the kernel .* is larger than the padded"):
        F.max_pool1d(seq, 4, dilation=3)
    with pytest.raises(ValueError, match="max_pool1d: kernel_size must be an int"):
        F.max_pool1d(seq, (2, 2))
    out, indices = ad.nn.MaxPool1d(2, 2, 0, 1, True)(seq)        # return_indices, 5th
    np.testing.assert_array_equal(out.data, F.max_pool1d(seq, 2).data)
    assert indices.dtype == np.int64 and indices.shape == out.shape


def test_interpolate_and_conv_transpose_errors():
    img = ad.tensor(rand(1, 2, 4, 4))
    with pytest.raises(NotImplementedError, match="interpolate: mode must be one of .*'bicubic'"
                                                  ".*got 'lanczos'"):
        F.interpolate(img, scale_factor=2, mode="lanczos")
    with pytest.raises(NotImplementedError, match="antialias"):      # (bilinear, bicubic
        F.interpolate(img, scale_factor=2, mode="nearest", antialias=True)  # take it)
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        F.interpolate(img)
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        F.interpolate(img, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="align_corners can only be set"):
        F.interpolate(img, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="bilinear' expects a 4-D input"):
        F.interpolate(ad.tensor(rand(1, 2, 4)), scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="size must be an int or 2 ints.*shape \\(1, 2, 4, 4\\)"):
        F.interpolate(img, size=(2, 3, 4))
    with pytest.raises(ValueError, match="sizes must be greater than 0"):
        F.interpolate(img, scale_factor=0.2)
    with pytest.raises(ValueError, match="recompute_scale_factor is not meaningful"):
        F.interpolate(img, size=2, recompute_scale_factor=True)
    w = ad.tensor(rand(2, 3, 3, 3))
    with pytest.raises(ValueError, match=r"conv_transpose2d: expected 2 input channels.*got 3"):
        F.conv_transpose2d(ad.tensor(rand(1, 3, 4, 4)), w)
    with pytest.raises(ValueError, match="output_padding \\(2, 2\\) must be smaller than either"):
        F.conv_transpose2d(img, w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="the output would have size -1"):
        F.conv_transpose2d(ad.tensor(rand(1, 2, 1, 1)), w, padding=2)
    with pytest.raises(ValueError, match="groups=2 must divide in_channels=3"):
        F.conv_transpose2d(ad.tensor(rand(1, 3, 2, 2)), ad.tensor(rand(3, 1, 2, 2)), groups=2)
    with pytest.raises(ValueError, match=r"expected a bias of shape \(3,\)"):
        F.conv_transpose2d(img, w, ad.tensor(rand(2)))
    with pytest.raises(ValueError, match="no string padding"):
        F.conv_transpose2d(img, w, padding="same")
    with pytest.raises(ValueError, match="ConvTranspose2d: groups=2 must divide out_channels=3"):
        ad.nn.ConvTranspose2d(4, 3, 2, groups=2)
    with pytest.raises(ValueError, match="padding_mode='zeros'"):
        ad.nn.ConvTranspose2d(4, 3, 2, padding_mode="reflect")


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("divisor", [1, 5, -3])
@pytest.mark.parametrize("kwargs", [dict(kernel_size=3),
                                    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                    dict(kernel_size=2, stride=2, ceil_mode=True,
                                         count_include_pad=False)])
def test_avg_pool_divisor_override_as_pytorch(dims, divisor, kwargs):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(dims).normal(size=(2, 2) + (7,) * dims)
    theirs = getattr(torch.nn, f"AvgPool{dims}d")(**kwargs, divisor_override=divisor)
    ours = getattr(ad.nn, f"AvgPool{dims}d")(**kwargs, divisor_override=divisor)
    xt = torch.tensor(x, requires_grad=True)
    expected = theirs(xt)
    expected.square().sum().backward()
    xa = ad.tensor(x, requires_grad=True)
    out = ours(xa)
    (out * out).sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(xa.grad, xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert ours(ad.tensor(x.astype(np.float32))).dtype == np.float32


def test_avg_pool_divisor_override_is_checked():
    with pytest.raises(ValueError, match="must not be zero"):
        F.avg_pool2d(ad.tensor(np.ones((1, 1, 2, 2))), 2, divisor_override=0)
    with pytest.raises(TypeError, match="an int or None"):
        ad.nn.AvgPool3d(2, divisor_override=2.5)
