"""PixelShuffle, PixelUnshuffle, ChannelShuffle (layers and functions), Fold and Unfold
layers (and unbatched F.fold / F.unfold), the padding layers, Tanhshrink and Softmax2d:
values against NumPy loops, gradients of first and second order against finite
differences in float64, reprs, errors, and (only where PyTorch is installed) the
same numbers as PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F

import nn_reference as ref

RNG = np.random.default_rng(7)


def check_grads(func, inputs):
    assert ad.gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)
    assert ad.gradgradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


# ----- pixel shuffle ---------------------------------------------------------------------------

@pytest.mark.parametrize("shape,r", [((2, 8, 3, 2), 2), ((1, 9, 2, 2), 3), ((18, 1, 3), 3),
                                     ((2, 3, 4, 1, 2), 2), ((1, 5, 2, 3), 1)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pixel_shuffle_and_unshuffle_match_the_loops_and_invert_each_other(shape, r, dtype):
    x = RNG.standard_normal(shape).astype(dtype)
    out = F.pixel_shuffle(ad.tensor(x), r)
    want = ref.pixel_shuffle(x, r)
    assert out.dtype == dtype and out.shape == want.shape
    np.testing.assert_array_equal(out.data, want)
    np.testing.assert_array_equal(nn.PixelShuffle(r)(ad.tensor(x)).data, want)
    back = F.pixel_unshuffle(out, r)
    np.testing.assert_array_equal(back.data, x)
    np.testing.assert_array_equal(nn.PixelUnshuffle(r)(ad.tensor(want)).data,
                                  ref.pixel_unshuffle(want, r))


def test_pixel_shuffle_keeps_integer_values_and_takes_arrays():
    x = np.arange(16).reshape(1, 4, 2, 2)
    assert F.pixel_shuffle(x, 2).dtype == x.dtype
    np.testing.assert_array_equal(F.pixel_shuffle(x, 2).data, ref.pixel_shuffle(x, 2))


@pytest.mark.parametrize("function,shape,r", [(F.pixel_shuffle, (2, 4, 2, 3), 2),
                                              (F.pixel_shuffle, (4, 1, 2), 2),
                                              (F.pixel_unshuffle, (1, 2, 4, 2), 2),
                                              (F.pixel_unshuffle, (1, 3, 3), 3)])
def test_pixel_shuffles_gradcheck_to_second_order(function, shape, r):
    x = RNG.standard_normal(shape)
    weights = RNG.standard_normal(function(ad.tensor(x), r).shape)
    check_grads(lambda a: function(a * a, r) * weights, [x])


def test_pixel_shuffles_refuse_bad_inputs_with_clear_errors():
    with pytest.raises(ValueError, match=r"pixel_shuffle: expected input of shape \(\*, C, H, W\)"
                                         r".*got shape \(4, 3\)"):
        F.pixel_shuffle(ad.tensor(np.ones((4, 3))), 2)
    with pytest.raises(ValueError, match=r"divisible by upscale_factor\*\*2 = 4, got input of "
                                         r"shape \(1, 6, 3, 3\)"):
        nn.PixelShuffle(2)(ad.tensor(np.ones((1, 6, 3, 3))))
    with pytest.raises(ValueError, match=r"pixel_unshuffle: the height and width .* divisible "
                                         r"by downscale_factor = 2, got input of shape "
                                         r"\(1, 1, 3, 4\)"):
        nn.PixelUnshuffle(2)(ad.tensor(np.ones((1, 1, 3, 4))))
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="PixelShuffle: upscale_factor must be a positive int"):
            nn.PixelShuffle(bad)
    with pytest.raises(ValueError, match="downscale_factor must be a positive int"):
        F.pixel_unshuffle(ad.tensor(np.ones((1, 1, 2, 2))), 0)


def test_shuffle_layer_reprs_are_pytorchs():
    assert repr(nn.PixelShuffle(2)) == "PixelShuffle(upscale_factor=2)"
    assert repr(nn.PixelUnshuffle(3)) == "PixelUnshuffle(downscale_factor=3)"
    assert repr(nn.ChannelShuffle(2)) == "ChannelShuffle(groups=2)"
    for layer in (nn.PixelShuffle(2), nn.PixelUnshuffle(2), nn.ChannelShuffle(2)):
        assert layer.state_dict() == {} and list(layer.parameters()) == []


# ----- channel shuffle ----------------------------------------------------------------------

@pytest.mark.parametrize("shape,groups", [((2, 6, 3), 2), ((2, 6, 3), 3), ((1, 4, 2, 2), 4),
                                          ((3, 6, 1, 2, 2), 2), ((2, 5, 3), 1)])
def test_channel_shuffle_matches_the_loop(shape, groups):
    x = RNG.standard_normal(shape)
    want = ref.channel_shuffle(x, groups)
    np.testing.assert_array_equal(F.channel_shuffle(ad.tensor(x), groups).data, want)
    np.testing.assert_array_equal(nn.ChannelShuffle(groups)(ad.tensor(x)).data, want)


def test_channel_shuffle_gradchecks_and_refuses_bad_inputs():
    x = RNG.standard_normal((1, 6, 2))
    weights = RNG.standard_normal((1, 6, 2))
    check_grads(lambda a: F.channel_shuffle(a * a, 3) * weights, [x])
    with pytest.raises(ValueError, match=r"channel_shuffle: expected input of shape \(N, C, \*\) "
                                         r"with more than 2 axes, got shape \(2, 4\)"):
        nn.ChannelShuffle(2)(ad.tensor(np.ones((2, 4))))
    with pytest.raises(ValueError, match=r"divisible by groups, got input of shape \(2, 4, 3\) "
                                         r"and groups=3"):
        nn.ChannelShuffle(3)(ad.tensor(np.ones((2, 4, 3))))
    with pytest.raises(ValueError, match="ChannelShuffle: groups must be a positive int"):
        nn.ChannelShuffle(0)


# ----- Fold / Unfold ------------------------------------------------------------------------

@pytest.mark.parametrize("batched", [True, False])
def test_unfold_and_fold_layers_match_the_loops_batched_and_unbatched(batched):
    x = RNG.standard_normal((2, 3, 5, 6))
    kwargs = dict(dilation=(1, 2), padding=1, stride=(2, 1))
    unfold = nn.Unfold((2, 3), **kwargs)
    want = ref.unfold(x, (2, 3), (2, 1), (1, 1, 1, 1), (1, 2))
    got = unfold(ad.tensor(x if batched else x[0]))
    np.testing.assert_allclose(got.data, want if batched else want[0], rtol=1e-12)
    fold = nn.Fold((5, 6), (2, 3), **kwargs)
    folded = fold(ad.tensor(want if batched else want[0]))
    want_folded = ref.fold(want, (5, 6), (2, 3), (2, 1), (1, 1, 1, 1), (1, 2))
    np.testing.assert_allclose(folded.data, want_folded if batched else want_folded[0],
                               rtol=1e-12)


@pytest.mark.parametrize("shape", [(1, 2, 3, 3), (2, 3, 3)])
def test_unfold_and_fold_layers_gradcheck_to_second_order(shape):
    x = RNG.standard_normal(shape)
    unfold, fold = nn.Unfold(2, padding=1), nn.Fold(3, 2, padding=1)
    cols = unfold(ad.tensor(x)).data
    check_grads(lambda a: unfold(a * a) * cols, [x])
    check_grads(lambda c: fold(c * c), [cols])


def test_fold_and_unfold_layer_reprs_and_errors():
    assert repr(nn.Fold((4, 5), 2)) == \
        "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)"
    assert repr(nn.Unfold(2, padding=1)) == \
        "Unfold(kernel_size=2, dilation=1, padding=1, stride=1)"
    with pytest.raises(ValueError, match="Unfold: kernel_size must be an int >= 1"):
        nn.Unfold(0)
    with pytest.raises(ValueError, match="Fold: stride must be an int >= 1"):
        nn.Fold(3, 2, stride=0)
    with pytest.raises(ValueError, match="Fold: output_size must be an int >= 1"):
        nn.Fold((3, 0), 2)
    with pytest.raises(ValueError, match=r"unfold: expected a 3-D unbatched \(C, H, W\) or "
                                         r"4-D batched \(N, C, H, W\) input, got shape "
                                         r"\(3, 3\)"):
        nn.Unfold(2)(ad.tensor(np.ones((3, 3))))
    with pytest.raises(ValueError, match=r"fold: expected input \(N, C\*4, 4\) \(or \(C\*4, 4\) "
                                         r"unbatched\)"):
        nn.Fold(3, 2)(ad.tensor(np.ones((1, 4, 5))))


# ----- padding layers -----------------------------------------------------------------------

MODES = {"ZeroPad": "constant", "ConstantPad": "constant", "ReflectionPad": "reflect",
         "ReplicationPad": "replicate", "CircularPad": "circular"}


def make_pad(family, dims, padding, value=2.5):
    layer_class = getattr(nn, f"{family}{dims}d")
    return layer_class(padding, value) if family == "ConstantPad" else layer_class(padding)


@pytest.mark.parametrize("family", list(MODES))
@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("padding", ["int", "tuple", "negative"])
def test_padding_layers_match_numpy(family, dims, batched, padding):
    amounts = {"int": (2,) * (2 * dims), "tuple": (1, 2, 0, 3, 2, 1)[:2 * dims],
               "negative": (-1, 2, 1, 0, 0, -1)[:2 * dims]}[padding]
    layer = make_pad(family, dims, 2 if padding == "int" else amounts)
    assert layer.padding == amounts
    shape = ((2,) if batched else ()) + (3,) + (4, 5, 6)[:dims]
    x = RNG.standard_normal(shape)
    value = 2.5 if family == "ConstantPad" else 0.0
    want = ref.pad_last_axes(x, amounts, MODES[family], value)
    got = layer(ad.tensor(x))
    np.testing.assert_array_equal(got.data, want)


@pytest.mark.parametrize("family", list(MODES))
@pytest.mark.parametrize("dims,shape", [(1, (1, 2, 4)), (2, (2, 3, 3)), (3, (1, 1, 2, 3, 3))])
def test_padding_layers_gradcheck_to_second_order(family, dims, shape):
    layer = make_pad(family, dims, (2, 1, 1, 0, 0, 1)[:2 * dims])
    x = RNG.standard_normal(shape)
    weights = RNG.standard_normal(layer(ad.tensor(x)).shape)
    check_grads(lambda a: layer(a * a) * weights, [x])


def test_padding_layer_reprs_are_pytorchs():
    assert repr(nn.ZeroPad1d(2)) == "ZeroPad1d((2, 2))"
    assert repr(nn.ZeroPad2d((1, 2, 3, 4))) == "ZeroPad2d((1, 2, 3, 4))"
    assert repr(nn.ZeroPad3d(1)) == "ZeroPad3d((1, 1, 1, 1, 1, 1))"
    assert repr(nn.ConstantPad1d(2, 3.5)) == "ConstantPad1d(padding=(2, 2), value=3.5)"
    assert repr(nn.ConstantPad2d(1, 0.0)) == "ConstantPad2d(padding=(1, 1, 1, 1), value=0.0)"
    assert repr(nn.ReflectionPad2d((1, 1, 2, 0))) == "ReflectionPad2d((1, 1, 2, 0))"
    assert repr(nn.ReplicationPad1d(1)) == "ReplicationPad1d((1, 1))"
    assert repr(nn.CircularPad3d(1)) == "CircularPad3d((1, 1, 1, 1, 1, 1))"
    assert nn.ConstantPad3d(1, 2).value == 2.0
    assert nn.ReflectionPad1d(1).state_dict() == {}


def test_padding_layers_refuse_bad_arguments_and_inputs_with_clear_errors():
    with pytest.raises(ValueError, match=r"ZeroPad1d: padding must be an int or a tuple of 2 "
                                         r"ints \(left, right\), got \(1, 2, 3\)"):
        nn.ZeroPad1d((1, 2, 3))
    with pytest.raises(ValueError, match=r"ReflectionPad2d: padding must be .* 4 ints"):
        nn.ReflectionPad2d((1, 2))
    with pytest.raises(ValueError, match="padding must be an int"):
        nn.ReplicationPad1d(1.5)
    with pytest.raises(TypeError, match="ConstantPad1d: value must be a real number"):
        nn.ConstantPad1d(1, "zero")
    with pytest.raises(ValueError, match=r"ReflectionPad1d\(\(1, 1\)\): expected a 2-D \(C, \*\) "
                                         r"or 3-D \(N, C, \*\) input .* got shape \(5,\)"):
        nn.ReflectionPad1d(1)(ad.tensor(np.ones(5)))
    with pytest.raises(ValueError, match=r"ReplicationPad2d.*got shape \(1, 1, 1, 4, 5\)"):
        nn.ReplicationPad2d(1)(ad.tensor(np.ones((1, 1, 1, 4, 5))))
    with pytest.raises(ValueError, match=r"CircularPad1d.*got shape \(1, 2, 2, 5\)"):
        nn.CircularPad1d(1)(ad.tensor(np.ones((1, 2, 2, 5))))
    with pytest.raises(ValueError, match=r"ReflectionPad1d\(\(5, 5\)\): pad: reflect padding of "
                                         r"\(5, 5\) needs each amount smaller than the axis size"):
        nn.ReflectionPad1d(5)(ad.tensor(np.ones((1, 2, 5))))
    with pytest.raises(ValueError, match=r"ZeroPad2d\(\(1, 1, 1, 1\)\): pads the last 2 axes"):
        nn.ZeroPad2d(1)(ad.tensor(np.ones(5)))
    # zero and constant padding take any input with enough axes, as in PyTorch
    assert nn.ZeroPad1d(1)(ad.tensor(np.ones(5))).shape == (7,)
    assert nn.ConstantPad2d(1, 1.0)(ad.tensor(np.ones((1, 2, 3, 4, 5)))).shape == (1, 2, 3, 6, 7)


# ----- Tanhshrink and Softmax2d ------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tanhshrink_matches_numpy_and_gradchecks(dtype):
    x = RNG.standard_normal((3, 4)).astype(dtype)
    want = x - np.tanh(x)
    np.testing.assert_allclose(F.tanhshrink(ad.tensor(x)).data, want, rtol=1e-6, atol=1e-7)
    out = nn.Tanhshrink()(ad.tensor(x))
    assert out.dtype == dtype
    np.testing.assert_allclose(out.data, want, rtol=1e-6, atol=1e-7)
    check_grads(F.tanhshrink, [x.astype(np.float64)])
    assert repr(nn.Tanhshrink()) == "Tanhshrink()"
    with pytest.raises(TypeError, match="tanhshrink"):
        F.tanhshrink(ad.tensor(np.arange(3)))


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 4, 5), (1, 3, 1, 1)])
def test_softmax2d_is_the_softmax_over_the_channels(shape):
    x = RNG.standard_normal(shape)
    e = np.exp(x - x.max(axis=-3, keepdims=True))
    np.testing.assert_allclose(nn.Softmax2d()(ad.tensor(x)).data,
                               e / e.sum(axis=-3, keepdims=True), rtol=1e-12)
    weights = RNG.standard_normal(shape)
    check_grads(lambda a: nn.Softmax2d()(a) * weights, [x])


def test_softmax2d_refuses_other_ranks():
    assert repr(nn.Softmax2d()) == "Softmax2d()"
    for shape in [(4, 3), (1, 2, 4, 3, 1)]:
        with pytest.raises(ValueError, match=rf"Softmax2d: expected a 3-D \(C, H, W\) or 4-D "
                                             rf"\(N, C, H, W\) input, got shape "
                                             rf"{re_shape(shape)}"):
            nn.Softmax2d()(ad.tensor(np.ones(shape)))


def re_shape(shape):
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


# ----- the same numbers as PyTorch (only where it is installed) ------------------------------

def test_rearranging_padding_and_activation_layers_match_pytorch():
    torch = pytest.importorskip("torch")
    T = torch.nn
    x = RNG.standard_normal((2, 3, 8, 4, 6))
    cases = [(nn.PixelShuffle(2), T.PixelShuffle(2), x), (nn.PixelUnshuffle(2),
             T.PixelUnshuffle(2), x), (nn.ChannelShuffle(4), T.ChannelShuffle(4), x[0]),
             (nn.Tanhshrink(), T.Tanhshrink(), x), (nn.Softmax2d(), T.Softmax2d(), x[0]),
             (nn.Unfold(2, padding=1, stride=2), T.Unfold(2, padding=1, stride=2), x[0, 0]),
             (nn.Unfold(3), T.Unfold(3), x[0])]
    for family in MODES:
        for dims in (1, 2, 3):
            args = ((1, 2, 0, 3, 2, 1)[:2 * dims],) + ((1.5,) if family == "ConstantPad" else ())
            cases.append((getattr(nn, f"{family}{dims}d")(*args),
                          getattr(T, f"{family}{dims}d")(*args),
                          RNG.standard_normal((2, 3) + (4, 5, 6)[:dims])))
    for ours, theirs, value in cases:
        assert repr(ours) == repr(theirs)
        np.testing.assert_allclose(ours(ad.tensor(value)).data,
                                   theirs(torch.tensor(value)).numpy(), rtol=1e-12, atol=1e-15,
                                   err_msg=repr(ours))
    cols = RNG.standard_normal((2, 12, 6))
    np.testing.assert_allclose(nn.Fold((3, 4), 2)(ad.tensor(cols)).data,
                               T.Fold((3, 4), 2)(torch.tensor(cols)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(nn.Fold((3, 4), 2)(ad.tensor(cols[0])).data,
                               T.Fold((3, 4), 2)(torch.tensor(cols[0])).numpy(), rtol=1e-12)
