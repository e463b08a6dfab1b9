"""Convolution, pooling, padding and im2col: forwards against plain loops
(tests/nn_reference.py), gradients against finite differences (first and second
order), the layers, and the errors for wrong input."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
import nn_reference as ref

RNG = np.random.default_rng(0)


def rand(*shape, rng=RNG):
    return rng.standard_normal(shape)


# ----- conv2d / conv1d forward against loops ------------------------------------------------

CONV_CASES = [
    # x shape, w shape, kwargs, (stride, padding4, dilation) for the reference
    ((2, 3, 6, 5), (4, 3, 3, 3), dict(), ((1, 1), (0, 0, 0, 0), (1, 1))),
    ((1, 2, 7, 7), (3, 2, 3, 2), dict(stride=2, padding=1), ((2, 2), (1, 1, 1, 1), (1, 1))),
    ((2, 4, 8, 6), (6, 2, 2, 3), dict(stride=(1, 2), padding=(2, 0), dilation=(2, 1), groups=2),
     ((1, 2), (2, 2, 0, 0), (2, 1))),
    ((1, 3, 5, 6), (2, 3, 3, 3), dict(padding="same", dilation=2), ((1, 1), (2, 2, 2, 2), (2, 2))),
    ((1, 2, 5, 6), (2, 2, 2, 4), dict(padding="same"), ((1, 1), (0, 1, 1, 2), (1, 1))),
    ((2, 3, 4, 4), (3, 1, 3, 3), dict(padding="valid", groups=3), ((1, 1), (0, 0, 0, 0), (1, 1))),
]


@pytest.mark.parametrize("x_shape, w_shape, kwargs, geometry", CONV_CASES)
def test_conv2d_matches_direct_loops(x_shape, w_shape, kwargs, geometry):
    x, w, b = rand(*x_shape), rand(*w_shape), rand(w_shape[0])
    stride, padding, dilation = geometry
    got = F.conv2d(ad.tensor(x), ad.tensor(w), ad.tensor(b), **kwargs)
    want = ref.conv2d(x, w, b, stride, padding, dilation, kwargs.get("groups", 1))
    assert got.shape == want.shape
    np.testing.assert_allclose(got.data, want, rtol=1e-12, atol=1e-12)
    if kwargs.get("padding") == "same":
        assert got.shape[2:] == x_shape[2:]


def test_conv2d_float32_stays_float32_and_matches():
    x, w = rand(2, 3, 6, 6).astype(np.float32), rand(4, 3, 3, 3).astype(np.float32)
    got = F.conv2d(ad.tensor(x), ad.tensor(w), padding=1)
    assert got.dtype == np.float32
    want = ref.conv2d(x.astype(np.float64), w.astype(np.float64), padding=(1, 1, 1, 1))
    np.testing.assert_allclose(got.data, want, rtol=1e-5, atol=1e-5)


def test_mixed_dtypes_promote_forward_and_keep_each_gradients_dtype():
    x = ad.tensor(rand(1, 2, 5, 5).astype(np.float32), requires_grad=True)
    w = ad.tensor(rand(3, 2, 3, 3), requires_grad=True)
    y = F.conv2d(x, w)
    assert y.dtype == np.float64                    # NumPy's promotion
    y.backward(np.ones(y.shape))
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float64


def test_conv1d_matches_direct_loops():
    x, w, b = rand(2, 4, 9), rand(6, 2, 3), rand(6)
    got = F.conv1d(ad.tensor(x), ad.tensor(w), ad.tensor(b), stride=2, padding=2, dilation=2,
                   groups=2)
    want = np.zeros((2, 6, 5))
    xp = np.pad(x, ((0, 0), (0, 0), (2, 2)))
    for n in range(2):
        for o in range(6):
            group = o // 3
            for t in range(5):
                want[n, o, t] = b[o] + sum(w[o, c, k] * xp[n, 2 * group + c, 2 * t + 2 * k]
                                           for c in range(2) for k in range(3))
    np.testing.assert_allclose(got.data, want, rtol=1e-12, atol=1e-12)


def test_conv_is_unfold_then_matmul():
    x, w = rand(2, 3, 6, 5), rand(4, 3, 3, 2)
    cols = F.unfold(ad.tensor(x), (3, 2), padding=1, stride=(2, 1))
    via_unfold = (ad.tensor(w.reshape(4, -1)) @ cols).data.reshape(2, 4, 3, 6)
    direct = F.conv2d(ad.tensor(x), ad.tensor(w), padding=1, stride=(2, 1)).data
    np.testing.assert_allclose(via_unfold, direct, rtol=1e-12, atol=1e-12)


def test_unfold_and_fold_match_loops_and_are_adjoint():
    x = rand(2, 3, 7, 6)
    kwargs = dict(dilation=(1, 2), padding=1, stride=(2, 1))
    cols = F.unfold(ad.tensor(x), (2, 3), **kwargs).data
    want = ref.unfold(x, (2, 3), (2, 1), (1, 1, 1, 1), (1, 2))
    np.testing.assert_allclose(cols, want, rtol=0, atol=0)
    c = rand(*cols.shape)
    folded = F.fold(ad.tensor(c), (7, 6), (2, 3), **kwargs).data
    np.testing.assert_allclose(folded, ref.fold(c, (7, 6), (2, 3), (2, 1), (1, 1, 1, 1), (1, 2)),
                               rtol=1e-12, atol=1e-12)
    # <unfold(x), c> == <x, fold(c)>
    assert np.isclose(np.sum(cols * c), np.sum(x * folded), rtol=1e-12)


# ----- gradients ----------------------------------------------------------------------------

GRAD_CASES = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2),
    dict(padding="same", dilation=(2, 1)),
]


@pytest.mark.parametrize("kwargs", GRAD_CASES)
def test_conv2d_gradcheck_first_and_second_order(kwargs):
    rng = np.random.default_rng(1)
    groups = kwargs.get("groups", 1)
    x, w, b = rand(2, 2 * groups, 5, 6, rng=rng), rand(2 * groups, 2, 3, 2, rng=rng), rand(
        2 * groups, rng=rng)

    def f(x, w, b):
        return F.conv2d(x, w, b, **kwargs)
    assert ad.gradcheck(f, [x, w, b])
    assert ad.gradgradcheck(f, [x, w, b])


def test_conv1d_gradcheck():
    rng = np.random.default_rng(2)
    x, w, b = rand(2, 4, 7, rng=rng), rand(2, 2, 3, rng=rng), rand(2, rng=rng)
    assert ad.gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, groups=2),
                        [x, w, b])


def test_hessian_vector_product_through_conv_matches_finite_differences():
    rng = np.random.default_rng(3)
    x, w, v = rand(1, 2, 5, 5, rng=rng), rand(3, 2, 3, 3, rng=rng), rand(3, 2, 3, 3, rng=rng)

    def loss(w_):
        return (ad.tanh(F.conv2d(ad.tensor(x), w_, padding=1)) ** 2).sum()
    hv = ad.hvp(loss, w, v)
    hv = hv.data if isinstance(hv, ad.Tensor) else np.asarray(hv)
    eps = 1e-5
    grad = ad.grad(loss)
    numerical = (np.asarray(grad(w + eps * v)) - np.asarray(grad(w - eps * v))) / (2 * eps)
    np.testing.assert_allclose(hv, numerical, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_modes_match_numpy_and_gradcheck(mode):
    x = rand(2, 3, 4)
    got = F.pad(ad.tensor(x), (1, 2, 2, 0), mode=mode,
                **({"value": 0.5} if mode == "constant" else {}))
    np_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
               "circular": "wrap"}[mode]
    extra = {"constant_values": 0.5} if mode == "constant" else {}
    np.testing.assert_array_equal(got.data, np.pad(x, ((0, 0), (2, 0), (1, 2)), mode=np_mode,
                                                   **extra))
    f = lambda t: F.pad(t, (1, 2, 2, 0), mode=mode)  # noqa: E731
    assert ad.gradcheck(f, [x])
    assert ad.gradgradcheck(f, [x])


def test_pad_negative_amounts_crop_like_pytorch():
    x = rand(3, 5)
    got = F.pad(ad.tensor(x), (-1, 2, 0, -2)).data
    want = np.pad(x[:1, 1:], ((0, 0), (0, 2)))
    np.testing.assert_array_equal(got, want)
    assert ad.gradcheck(lambda t: F.pad(t, (-1, 2, 1, -2)), [x])


def test_pad_value_none_is_zero_and_other_modes_take_no_value_as_in_pytorch():
    x = ad.tensor([[1.0, 2.0]])
    np.testing.assert_array_equal(F.pad(x, (1, 1), value=None).data, [[0.0, 1.0, 2.0, 0.0]])
    np.testing.assert_array_equal(F.pad(x, (1, 1), mode="reflect", value=None).data,
                                  [[2.0, 1.0, 2.0, 1.0]])
    with pytest.raises(ValueError, match="pad: mode 'reflect' takes no value"):
        F.pad(x, (1, 1), mode="reflect", value=5.0)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1))])
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_loops_and_second_order(kwargs, count_include_pad):
    x = rand(2, 2, 5, 6)
    got = F.avg_pool2d(ad.tensor(x), count_include_pad=count_include_pad, **kwargs)
    kernel = kwargs["kernel_size"]
    kernel = (kernel, kernel) if isinstance(kernel, int) else kernel
    stride = kwargs.get("stride", kernel)
    stride = (stride, stride) if isinstance(stride, int) else stride
    pad = kwargs.get("padding", 0)
    pad = (pad, pad) if isinstance(pad, int) else pad
    want = ref.avg_pool2d(x, kernel, stride, pad, count_include_pad)
    np.testing.assert_allclose(got.data, want, rtol=1e-12, atol=1e-12)
    f = lambda t: F.avg_pool2d(t, count_include_pad=count_include_pad, **kwargs)  # noqa: E731
    assert ad.gradcheck(f, [x])
    assert ad.gradgradcheck(f, [x])


def test_avg_pool2d_ceil_mode_divides_by_the_window_part_inside_the_padding():
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    out = F.avg_pool2d(ad.tensor(x), 2, ceil_mode=True).data[0, 0]
    assert out.shape == (3, 3)
    assert out[2, 2] == 24.0                      # a 1x1 window: divided by 1
    assert out[0, 2] == (4.0 + 9.0) / 2           # a 2x1 window
    assert out[0, 0] == (0 + 1 + 5 + 6) / 4


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                    dict(kernel_size=(2, 3), stride=1, dilation=(2, 1))])
def test_max_pool2d_matches_loops_and_gradchecks(kwargs):
    x = rand(2, 3, 6, 7)
    got = F.max_pool2d(ad.tensor(x), **kwargs)
    kernel = kwargs["kernel_size"]
    kernel = (kernel, kernel) if isinstance(kernel, int) else kernel
    stride = kwargs.get("stride", kernel)
    stride = (stride, stride) if isinstance(stride, int) else stride
    pad = kwargs.get("padding", 0)
    dilation = kwargs.get("dilation", (1, 1))
    want = ref.max_pool2d(x, kernel, stride, (pad, pad), dilation)
    np.testing.assert_array_equal(got.data, want)
    assert ad.gradcheck(lambda t: F.max_pool2d(t, **kwargs), [x])
    assert ad.gradgradcheck(lambda t: F.max_pool2d(t, **kwargs), [x])


def test_max_pool2d_ceil_mode_shape_and_values():
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    out = F.max_pool2d(ad.tensor(x), 2, ceil_mode=True).data[0, 0]
    np.testing.assert_array_equal(out, [[6, 8, 9], [16, 18, 19], [21, 23, 24]])
    assert F.max_pool2d(ad.tensor(x), 2).shape == (1, 1, 2, 2)


def test_max_pool2d_ties_give_the_gradient_to_the_first_maximum():
    x = ad.tensor(np.array([[[[1.0, 5.0, 5.0, 0.0], [5.0, 2.0, 0.0, 0.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2).backward(np.array([[[[3.0, 7.0]]]]))
    np.testing.assert_array_equal(x.grad[0, 0], [[0, 3, 7, 0], [0, 0, 0, 0]])


def test_max_pool2d_nan_propagates():
    x = np.ones((1, 1, 2, 4))
    x[0, 0, 1, 0] = np.nan
    out = F.max_pool2d(ad.tensor(x), 2).data[0, 0, 0]
    assert np.isnan(out[0]) and out[1] == 1.0


def test_max_pool2d_large_float32_uses_the_same_rule_as_small():
    # Large enough for the compiled kernel (when the JIT is on): same values and gradient
    # as the loops, including windows that reach into the padding.
    x = np.random.default_rng(4).standard_normal((4, 8, 16, 16)).astype(np.float32)
    t = ad.tensor(x, requires_grad=True)
    y = F.max_pool2d(t, 3, stride=2, padding=1)
    np.testing.assert_array_equal(y.data, ref.max_pool2d(x.astype(np.float64), (3, 3), (2, 2),
                                                          (1, 1)).astype(np.float32))
    y.backward(np.ones(y.shape, np.float32))
    assert t.grad.dtype == np.float32
    assert t.grad.sum() == y.size                  # each output sends 1 to one input


# ----- layers -------------------------------------------------------------------------------

def test_conv2d_layer_shapes_init_and_parameters():
    conv = ad.nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, groups=2, rng=0)
    assert conv.weight.shape == (6, 2, 3, 2) and conv.bias.shape == (6,)
    bound = 1 / np.sqrt(2 * 3 * 2)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound
    assert np.abs(conv.weight.data).max() > 0.8 * bound     # uniform over the whole range
    assert [n for n, _ in conv.named_parameters()] == ["weight", "bias"]
    x = rand(2, 4, 7, 6)
    out = conv(ad.tensor(x))
    want = ref.conv2d(x, conv.weight.data, conv.bias.data, (2, 2), (1, 1, 1, 1), (1, 1), 2)
    np.testing.assert_allclose(out.data, want, rtol=1e-12, atol=1e-12)
    assert "groups=2" in repr(conv)
    assert ad.nn.Conv2d(1, 1, 1, bias=False, rng=0).bias is None
    same = ad.nn.Conv2d(4, 6, 3, rng=0)
    assert np.array_equal(same.weight.data, ad.nn.Conv2d(4, 6, 3, rng=0).weight.data)


def test_conv1d_layer_and_float32():
    conv = ad.nn.Conv1d(3, 5, 4, padding=2, rng=1, dtype=np.float32)
    out = conv(ad.tensor(rand(2, 3, 10).astype(np.float32)))
    assert out.shape == (2, 5, 11) and out.dtype == np.float32


def test_pool_layers():
    x = ad.tensor(rand(1, 2, 4, 4))
    np.testing.assert_array_equal(ad.nn.MaxPool2d(2)(x).data, F.max_pool2d(x, 2).data)
    np.testing.assert_array_equal(ad.nn.AvgPool2d(2, stride=1)(x).data,
                                  F.avg_pool2d(x, 2, stride=1).data)
    # PyTorch's MaxPool2d takes return_indices before ceil_mode: a 5th positional True
    # asks for indices (not ceil_mode), and the layer returns them.
    out, indices = ad.nn.MaxPool2d(2, 2, 0, 1, True)(x)
    np.testing.assert_array_equal(out.data, F.max_pool2d(x, 2).data)
    assert indices.dtype == np.int64 and indices.shape == out.shape
    x5 = ad.tensor(rand(1, 1, 5, 5))
    assert ad.nn.MaxPool2d(2, 2, 0, 1, False, True)(x5).shape == (1, 1, 3, 3)


def test_conv_layers_keep_pytorchs_layout_in_the_torch_state_dict():
    net = ad.nn.Sequential(ad.nn.Conv2d(2, 3, 3, rng=0), ad.nn.ReLU(),
                           ad.nn.Conv1d(3, 1, 2, bias=False, rng=1))
    sd = net.to_torch_state_dict()
    assert {k: v.shape for k, v in sd.items()} == {"0.weight": (3, 2, 3, 3), "0.bias": (3,),
                                                   "2.weight": (1, 3, 2)}
    np.testing.assert_array_equal(sd["0.weight"], net[0].weight.data)
    other = ad.nn.Sequential(ad.nn.Conv2d(2, 3, 3, rng=5), ad.nn.ReLU(),
                             ad.nn.Conv1d(3, 1, 2, bias=False, rng=6))
    other.load_torch_state_dict(sd)
    for a, b in zip(net.parameters(), other.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


# ----- errors -------------------------------------------------------------------------------

def test_wrong_channels_name_the_layer_and_both_counts():
    conv = ad.nn.Conv2d(3, 8, 3)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8, kernel_size=\(3, 3\)\).*expected 3 "
                                         r"input channels.*got 4"):
        conv(ad.tensor(np.zeros((1, 4, 8, 8))))
    with pytest.raises(ValueError, match=r"Conv1d.*expected 2 input channels.*got 5"):
        ad.nn.Conv1d(2, 1, 3)(ad.tensor(np.zeros((1, 5, 8))))


def test_wrong_ranks_say_what_was_expected():
    # one sample without the batch axis is taken (as in PyTorch); other ranks are not
    assert ad.nn.Conv2d(3, 4, 3)(ad.tensor(np.zeros((3, 8, 8)))).shape == (4, 6, 6)
    with pytest.raises(ValueError, match=r"Conv2d.*expected a 3-D unbatched \(C, H, W\) or "
                                         r"4-D batched \(N, C, H, W\) input, got shape "
                                         r"\(8, 8\)"):
        ad.nn.Conv2d(3, 4, 3)(ad.tensor(np.zeros((8, 8))))
    with pytest.raises(ValueError, match=r"conv1d: expected a 2-D unbatched \(C, L\) or 3-D "
                                         r"batched \(N, C, L\) input"):
        F.conv1d(ad.tensor(np.zeros((8,))), ad.tensor(np.zeros((1, 2, 3))))
    with pytest.raises(ValueError, match="max_pool2d: expected a 3-D unbatched"):
        F.max_pool2d(ad.tensor(np.zeros((4, 4))), 2)


def test_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"Conv2d.*kernel.*5x5.*larger than the padded input "
                                         r"\(4x4"):
        ad.nn.Conv2d(1, 1, 5, padding=1)(ad.tensor(np.zeros((1, 1, 2, 2))))
    with pytest.raises(ValueError, match="max_pool2d.*larger than the padded input"):
        F.max_pool2d(ad.tensor(np.zeros((1, 1, 2, 2))), 3)


def test_groups_must_divide_the_channels():
    with pytest.raises(ValueError, match=r"Conv2d: groups=2 must divide in_channels=3"):
        ad.nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"conv2d: groups=2 must divide out_channels=3"):
        F.conv2d(ad.tensor(np.zeros((1, 4, 5, 5))), ad.tensor(np.zeros((3, 2, 3, 3))), groups=2)


def test_other_bad_arguments():
    x = ad.tensor(np.zeros((1, 1, 5, 5)))
    w = ad.tensor(np.zeros((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        F.conv2d(x, w, padding="same", stride=2)
    with pytest.raises(ValueError, match="stride must be an int >= 1"):
        F.conv2d(x, w, stride=0)
    with pytest.raises(ValueError, match="bias of shape \\(1,\\)"):
        F.conv2d(x, w, ad.tensor(np.zeros(2)))
    with pytest.raises(TypeError, match="floating-point"):
        F.conv2d(ad.tensor(np.zeros((1, 1, 5, 5), dtype=int)), w)
    with pytest.raises(ValueError, match="at most half the kernel"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="reflect padding of \\(5, 0\\)"):
        F.pad(x[0], (5, 0), mode="reflect")
    with pytest.raises(ValueError, match="mode must be one of"):
        F.pad(x, (1, 1), mode="mirror")


@pytest.mark.parametrize("shape", [(1, 1, 4, 2), (8, 4, 64, 2)])   # the twin and the kernel
def test_max_pooling_windows_that_cover_padding_only_are_refused(shape):
    # Their maximum is -inf with no input to send the gradient to: the NumPy twin failed
    # inside np.bincount and the kernel sent gradients elsewhere.
    x = ad.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    with pytest.raises(ValueError, match="covers padding only"):
        F.max_pool2d(x, kernel_size=2, stride=1, padding=1, dilation=3)
    F.max_pool2d(x, kernel_size=2, stride=1, padding=1, dilation=1).sum().backward()


def test_pad_refuses_amounts_that_are_not_whole_numbers():
    x = ad.tensor(np.ones((1, 3)))
    with pytest.raises(TypeError, match="whole numbers of cells"):
        F.pad(x, (1.7, 0.5))
    assert F.pad(x, (np.int64(1), 0)).shape == (1, 4)


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding, kernel, dilation", [(1, 3, 1), ("same", 4, 1),
                                                       ("same", 3, 2), ("valid", 3, 1)])
def test_padding_mode_as_pytorch(dims, mode, padding, kernel, dilation):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, f"Conv{dims}d")(2, 3, kernel, padding=padding, dilation=dilation,
                                               padding_mode=mode, dtype=torch.float64)
    ours = getattr(ad.nn, f"Conv{dims}d")(2, 3, kernel, padding=padding, dilation=dilation,
                                          padding_mode=mode)
    ours.load_torch_state_dict(theirs.state_dict())
    assert repr(ours) == repr(theirs) and ours.padding_mode == mode
    x = np.random.default_rng(dims).normal(size=(2, 2) + (6,) * dims)
    xt = torch.tensor(x, requires_grad=True)
    theirs(xt).square().sum().backward()
    xa = ad.tensor(x, requires_grad=True)
    out = ours(xa)
    (out * out).sum().backward()
    close = dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out.data, theirs(xt).detach().numpy(), **close)
    np.testing.assert_allclose(xa.grad, xt.grad.numpy(), **close)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), **close)


def test_padding_mode_is_checked_and_kept_by_a_lazy_conv():
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        ad.nn.Conv2d(1, 1, 3, padding_mode="mirror")
    lazy = ad.nn.LazyConv2d(3, 3, padding=1, padding_mode="replicate")
    assert lazy(ad.tensor(np.ones((1, 2, 4, 4)))).shape == (1, 3, 4, 4)
    assert type(lazy) is ad.nn.Conv2d and lazy.padding_mode == "replicate"
