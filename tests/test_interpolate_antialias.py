"""``F.interpolate(..., antialias=True)`` for bilinear and bicubic (it was refused):
values PyTorch's to 1e-10 in float64 (the same weights, summed by a matrix product
here, in another order), float32 within a few ulps, gradients against central
differences (first and second order) and PyTorch's; other modes and ranks refuse as
PyTorch's do."""

import itertools
import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F

_rng = np.random.default_rng(20261206)
SIZES = [((8, 8), (3, 5)), ((7, 13), (2, 9)), ((16, 5), (11, 4)), ((5, 6), (1, 1)),
         ((6, 7), (6, 7)), ((4, 5), (9, 12)), ((9, 4), (3, 8))]


def _torch_interpolate(torch, x, **kwargs):
    return torch.nn.functional.interpolate(torch.tensor(x), antialias=True, **kwargs).numpy()


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("shapes", SIZES, ids=str)
def test_values_are_pytorchs_for_sizes(shapes, mode, align_corners):
    torch = pytest.importorskip("torch")
    (h, w), size = shapes
    x = _rng.normal(size=(2, 3, h, w))
    ours = F.interpolate(ad.tensor(x), size=size, mode=mode, align_corners=align_corners,
                         antialias=True)
    theirs = _torch_interpolate(torch, x, size=size, mode=mode, align_corners=align_corners)
    assert ours.shape == theirs.shape and ours.dtype == np.float64
    np.testing.assert_allclose(ours.data, theirs, rtol=0, atol=1e-10)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("scale_factor, recompute", list(itertools.product(
    [0.5, 0.3, 0.77, 1.7, (0.4, 0.9)], [None, True])))
def test_values_are_pytorchs_for_scale_factors(scale_factor, recompute, mode):
    torch = pytest.importorskip("torch")
    x = _rng.normal(size=(1, 2, 17, 12))
    kwargs = dict(scale_factor=scale_factor, mode=mode, recompute_scale_factor=recompute)
    ours = F.interpolate(ad.tensor(x), antialias=True, **kwargs)
    np.testing.assert_allclose(ours.data, _torch_interpolate(torch, x, **kwargs), rtol=0,
                               atol=1e-10)


def test_an_output_of_width_one_is_pytorchs_on_the_transposed_image():
    # PyTorch's own kernel gives every row the first row's value when the width shrinks
    # to 1 and the height changes; its result for the transposed image (the same
    # separable filter) is the resize, and it is ours
    torch = pytest.importorskip("torch")
    x = _rng.normal(size=(1, 1, 3, 5))
    ours = F.interpolate(ad.tensor(x), size=(6, 1), mode="bilinear", antialias=True)
    transposed = _torch_interpolate(torch, np.swapaxes(x, 2, 3), size=(1, 6),
                                    mode="bilinear")
    np.testing.assert_allclose(ours.data, np.swapaxes(transposed, 2, 3), rtol=0, atol=1e-10)
    assert np.ptp(ours.data) > 0.1


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_float32_values_are_pytorchs_within_ulps(mode):
    torch = pytest.importorskip("torch")
    x = _rng.normal(size=(1, 2, 11, 9)).astype(np.float32)
    ours = F.interpolate(ad.tensor(x), size=(4, 5), mode=mode, antialias=True)
    assert ours.dtype == np.float32
    # (float32 weights and sums in another order: a few ulps of the values' size)
    np.testing.assert_allclose(ours.data, _torch_interpolate(torch, x, size=(4, 5), mode=mode),
                               rtol=0, atol=1e-5)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_gradients_match_central_differences_to_second_order(mode):
    x = _rng.normal(size=(1, 1, 7, 6))
    weights = _rng.normal(size=(1, 1, 3, 4))

    def loss(t):
        return np.sum(np.tanh(F.interpolate(t, size=(3, 4), mode=mode, antialias=True))
                      * weights)
    assert ad.gradcheck(loss, [x])
    assert ad.gradgradcheck(loss, [x])


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_gradients_are_pytorchs(mode):
    torch = pytest.importorskip("torch")
    x = _rng.normal(size=(2, 2, 9, 10))
    t = ad.tensor(x, requires_grad=True)
    (F.interpolate(t, size=(4, 3), mode=mode, antialias=True) ** 2).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    (torch.nn.functional.interpolate(theirs, size=(4, 3), mode=mode, antialias=True) ** 2
     ).sum().backward()
    np.testing.assert_allclose(t.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode, shape", [("nearest", (1, 1, 4, 4)), ("area", (1, 1, 4, 4)),
                                         ("linear", (1, 1, 4)), ("trilinear", (1, 1, 4, 4, 4))])
def test_other_modes_refuse_antialias_as_pytorch(mode, shape):
    torch = pytest.importorskip("torch")
    x = np.ones(shape)
    with pytest.raises(NotImplementedError, match=r"antialias=True is supported for "
                                                  r"mode='bilinear' and 'bicubic'"):
        F.interpolate(ad.tensor(x), scale_factor=0.5, mode=mode, antialias=True)
    with pytest.raises((RuntimeError, NotImplementedError, ValueError)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _torch_interpolate(torch, x, scale_factor=0.5, mode=mode)


def test_a_compiled_resize_replays_with_the_antialias_weights():
    x = _rng.normal(size=(1, 1, 9, 8))
    step = ad.compile(lambda t: F.interpolate(t, size=(3, 3), mode="bicubic", antialias=True))
    for _ in range(3):
        np.testing.assert_array_equal(step(ad.tensor(x)).data, F.interpolate(
            ad.tensor(x), size=(3, 3), mode="bicubic", antialias=True).data)
