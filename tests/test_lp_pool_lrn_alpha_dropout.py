"""lp_pool1d/2d, local_response_norm, alpha_dropout / feature_alpha_dropout,
UpsamplingNearest2d / UpsamplingBilinear2d (and their layers).

Values against NumPy written here, gradients against finite differences (second order
where smooth), all of it against PyTorch when installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn

RNG = np.random.default_rng(21)
ALPHA = 1.7580993408473766


def ref_lp_pool(x, p, kernel, stride):
    """(sum over each window of x**p) ** (1/p), windows along the last len(kernel) axes."""
    dims = len(kernel)
    view = np.lib.stride_tricks.sliding_window_view(x ** p, kernel, axis=tuple(
        range(x.ndim - dims, x.ndim)))
    view = view[(Ellipsis,) + tuple(slice(None, None, s) for s in stride) + (slice(None),) * dims]
    return view.sum(axis=tuple(range(-dims, 0))) ** (1 / p)


def ref_lrn(x, size, alpha, beta, k):
    c = x.shape[1]
    out = np.empty_like(x)
    for ch in range(c):
        lo, hi = max(0, ch - size // 2), min(c, ch + (size - 1) // 2 + 1)
        mean = (x[:, lo:hi] ** 2).sum(axis=1) / size
        out[:, ch] = x[:, ch] / (k + alpha * mean) ** beta
    return out


@pytest.mark.parametrize("p", [1.0, 1.5, 2.0, 3.0])
def test_lp_pools_match_numpy_and_gradcheck(p):
    x = np.abs(RNG.standard_normal((2, 2, 5, 6))) + 0.2
    np.testing.assert_allclose(F.lp_pool2d(ad.tensor(x), p, (2, 3), (1, 3)).data,
                               ref_lp_pool(x, p, (2, 3), (1, 3)), rtol=1e-12)
    np.testing.assert_allclose(F.lp_pool2d(ad.tensor(x), p, 2).data,
                               ref_lp_pool(x, p, (2, 2), (2, 2)), rtol=1e-12)
    line = x[:, :, 0]
    np.testing.assert_allclose(F.lp_pool1d(ad.tensor(line), p, 3, 2).data,
                               ref_lp_pool(line, p, (3,), (2,)), rtol=1e-12)
    assert ad.gradcheck(lambda u: (F.lp_pool2d(u, p, 2, 1) ** 2).sum(), [x])
    assert ad.gradcheck(lambda u: (F.lp_pool1d(u, p, 2) ** 2).sum(), [line])
    if p != 1.0:
        assert ad.gradcheck(lambda u: ad.grad(lambda v: (F.lp_pool2d(v, p, 2) ** 3).sum())(u)
                            .sum(), [x[:1, :1]])


def test_lp_pool_layers_and_errors():
    assert repr(nn.LPPool2d(2, 3)) == "LPPool2d(norm_type=2, kernel_size=3, stride=None, " \
                                      "ceil_mode=False)"
    x = ad.tensor(np.ones((1, 2, 4, 4), np.float32))
    out = nn.LPPool2d(2, 2)(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, 2.0)
    assert nn.LPPool1d(1, 2)(ad.tensor(np.ones((1, 1, 4)))).data.tolist() == [[[2.0, 2.0]]]
    with pytest.raises(ValueError, match="lp_pool2d: norm_type must be > 0"):
        F.lp_pool2d(x, 0.0, 2)
    with pytest.raises(TypeError, match="lp_pool1d"):
        F.lp_pool1d(ad.tensor(np.ones((1, 1, 4), int)), 2, 2)


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_local_response_norm_matches_loops_and_gradchecks(size):
    x = RNG.standard_normal((2, 4, 3, 2))
    np.testing.assert_allclose(F.local_response_norm(ad.tensor(x), size, 0.3, 0.75, 1.5).data,
                               ref_lrn(x, size, 0.3, 0.75, 1.5), rtol=1e-12)
    seq = x[:, :, 0]
    np.testing.assert_allclose(F.local_response_norm(ad.tensor(seq), size).data,
                               ref_lrn(seq, size, 1e-4, 0.75, 1.0), rtol=1e-12)
    assert ad.gradcheck(lambda u: (F.local_response_norm(u, size, 0.3) ** 2).sum(), [seq])
    assert ad.gradcheck(lambda u: ad.grad(lambda v: (F.local_response_norm(v, size, 0.3) ** 3)
                                          .sum())(u).sum(), [seq])


def test_local_response_norm_layer_and_errors():
    layer = nn.LocalResponseNorm(3, alpha=0.5)
    assert repr(layer) == "LocalResponseNorm(3, alpha=0.5, beta=0.75, k=1.0)"
    x = RNG.standard_normal((1, 3, 2, 2, 2))
    np.testing.assert_allclose(layer(ad.tensor(x)).data, ref_lrn(x, 3, 0.5, 0.75, 1.0),
                               rtol=1e-12)
    with pytest.raises(ValueError, match="local_response_norm: expected an input .* at least 3"):
        F.local_response_norm(ad.tensor(np.ones((2, 3))), 2)
    with pytest.raises(ValueError, match="local_response_norm: size must be a positive int"):
        F.local_response_norm(ad.tensor(np.ones((2, 3, 1))), 0)


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_alpha_dropout_keeps_mean_and_variance_and_its_affine_map(p):
    x = RNG.standard_normal(200000)
    y = F.alpha_dropout(ad.tensor(x), p, training=True, rng=3).data
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1.0) < 0.01
    a = 1 / np.sqrt((ALPHA ** 2 * p + 1) * (1 - p))
    dropped = np.isclose(y, -ALPHA * a + ALPHA * a * p)
    assert abs(dropped.mean() - p) < 0.01
    np.testing.assert_allclose(y[~dropped], a * x[~dropped] + ALPHA * a * p, rtol=1e-12)
    t = ad.tensor(x[:10], requires_grad=True)
    out = F.alpha_dropout(t, p, training=True, rng=4)
    out.sum().backward()
    kept = ~np.isclose(out.data, -ALPHA * a + ALPHA * a * p)
    np.testing.assert_allclose(t.grad, np.where(kept, a, 0.0))


def test_feature_alpha_dropout_drops_channels_and_the_layers():
    y = F.feature_alpha_dropout(ad.tensor(np.zeros((8, 6, 3, 2))), 0.5, True, rng=0).data
    assert np.all(y == y[:, :, :1, :1]) and len(np.unique(y)) == 2
    x = ad.tensor(np.ones((2, 3)))
    assert F.alpha_dropout(x, 0.5) is x                      # training=False by default
    np.testing.assert_array_equal(F.alpha_dropout(x, 1.0, True).data, np.zeros((2, 3)))
    layer = nn.AlphaDropout(0.3, rng=1)
    assert not np.array_equal(layer(x).data, x.data)
    assert layer.eval()(x) is x and repr(layer) == "AlphaDropout(p=0.3, inplace=False)"
    assert repr(nn.FeatureAlphaDropout()) == "FeatureAlphaDropout(p=0.5, inplace=False)"
    with pytest.raises(ValueError, match="feature_alpha_dropout: expected an input with a "
                                         "channel axis"):
        F.feature_alpha_dropout(ad.tensor(np.ones(3)), 0.5, True)
    with pytest.raises(ValueError, match="AlphaDropout: p is the probability"):
        nn.AlphaDropout(1.5)


def test_upsampling_layers_are_interpolate():
    x = ad.tensor(RNG.standard_normal((1, 2, 3, 4)))
    np.testing.assert_array_equal(nn.UpsamplingNearest2d(scale_factor=2)(x).data,
                                  F.interpolate(x, scale_factor=2, mode="nearest").data)
    np.testing.assert_array_equal(nn.UpsamplingBilinear2d(size=(5, 7))(x).data,
                                  F.interpolate(x, size=(5, 7), mode="bilinear",
                                                align_corners=True).data)
    corners = nn.UpsamplingBilinear2d(scale_factor=2)(x).data
    np.testing.assert_array_equal(corners[..., ::5, ::7], x.data[..., ::2, ::3])


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional

    def check(ours, theirs, x, *args):
        mine, them = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        a, b = ours(mine, *args), theirs(them, *args)
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-14)
        g = RNG.standard_normal(a.shape)
        (a * g).sum().backward()
        (b * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(mine.grad, them.grad.numpy(), rtol=1e-10, atol=1e-14)

    x = np.abs(RNG.standard_normal((2, 3, 6, 7))) + 0.1
    for p in [1, 1.5, 2, 3.0]:
        check(F.lp_pool2d, tf.lp_pool2d, x, p, 3, 2)
        check(F.lp_pool2d, tf.lp_pool2d, x, p, (2, 3), None, True)
        check(F.lp_pool1d, tf.lp_pool1d, x[:, :, 0], p, 3, 2, True)
    for size in [1, 2, 3, 5]:
        check(F.local_response_norm, tf.local_response_norm, RNG.standard_normal((2, 4, 3)),
              size, 0.1, 0.5, 2.0)
        check(F.local_response_norm, tf.local_response_norm,
              RNG.standard_normal((2, 4, 2, 3, 2)), size)
    u = RNG.standard_normal((1, 2, 3, 4))
    for ours, theirs in [(nn.UpsamplingNearest2d(size=(5, 7)),
                          torch.nn.UpsamplingNearest2d(size=(5, 7))),
                         (nn.UpsamplingBilinear2d(scale_factor=2),
                          torch.nn.UpsamplingBilinear2d(scale_factor=2))]:
        np.testing.assert_allclose(ours(ad.tensor(u)).data, theirs(torch.tensor(u)).numpy(),
                                   rtol=1e-12)
        assert repr(ours) == repr(theirs)
    for name, args in [("LPPool1d", (1.5, 2, 1)), ("LocalResponseNorm", (3,)),
                       ("AlphaDropout", (0.2,)), ("FeatureAlphaDropout", ())]:
        assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))
    # PyTorch's alpha dropout has the same two values and statistics
    torch.manual_seed(0)
    theirs = tf.alpha_dropout(torch.zeros(10000, dtype=torch.float64), 0.3, True).numpy()
    ours = F.alpha_dropout(ad.tensor(np.zeros(10000)), 0.3, True, rng=0).data
    np.testing.assert_allclose(np.unique(ours), np.unique(theirs), rtol=1e-12)
