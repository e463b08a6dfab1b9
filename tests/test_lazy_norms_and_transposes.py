"""nn.LazyBatchNorm*, nn.LazyInstanceNorm* and nn.LazyConvTranspose*: the size read
from the first input, the same Parameter objects filled (an optimizer made before
trains them), then the plain layer, as PyTorch's; compared with the plain layers
built with the right size, and with PyTorch when it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

NORMS = [
    (nn.LazyBatchNorm1d, nn.BatchNorm1d, (4, 3), {}),
    (nn.LazyBatchNorm1d, nn.BatchNorm1d, (4, 3, 5), {"momentum": None}),
    (nn.LazyBatchNorm2d, nn.BatchNorm2d, (2, 3, 4, 4), {"affine": False}),
    (nn.LazyBatchNorm2d, nn.BatchNorm2d, (2, 3, 4, 4), {"bias": False}),
    (nn.LazyBatchNorm3d, nn.BatchNorm3d, (2, 3, 2, 2, 2), {"track_running_stats": False}),
    (nn.LazyInstanceNorm1d, nn.InstanceNorm1d, (2, 3, 5), {}),
    (nn.LazyInstanceNorm1d, nn.InstanceNorm1d, (3, 5), {"bias": False}),      # unbatched
    (nn.LazyInstanceNorm2d, nn.InstanceNorm2d, (2, 3, 4, 4), {"affine": False}),
    (nn.LazyInstanceNorm3d, nn.InstanceNorm3d, (1, 3, 2, 3, 2), {"eps": 1e-3}),
]


def _plain_kwargs(plain, kwargs):
    if issubclass(plain, nn.InstanceNorm1d.__mro__[1]):      # PyTorch's lazy defaults
        kwargs = {"affine": True, "track_running_stats": True, **kwargs}
    return kwargs


@pytest.mark.parametrize("lazy_class, plain_class, shape, kwargs", NORMS,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(NORMS)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lazy_norm_becomes_the_norm_it_would_have_been_and_trains(lazy_class, plain_class,
                                                                  shape, kwargs, dtype):
    lazy = lazy_class(**kwargs, dtype=dtype)
    plain = plain_class(3, **_plain_kwargs(plain_class, kwargs), dtype=dtype)
    held = list(lazy.parameters())
    assert all(isinstance(p, nn.UninitializedParameter) for p in held)
    assert lazy.num_features == 0 and lazy.has_uninitialized_params() == (
        kwargs.get("affine", True) or kwargs.get("track_running_stats", True))
    optimizers = [ad.optim.Adam(m.parameters(), lr=0.1) for m in (lazy, plain)] if held else []
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
        outs, inputs = [], []
        for model in (lazy, plain):
            inputs.append(ad.tensor(x, requires_grad=True))
            out = model(inputs[-1])
            (out * np.arange(out.size).reshape(out.shape)).sum().backward()
            outs.append(out)
        np.testing.assert_array_equal(inputs[0].grad, inputs[1].grad)
        for opt in optimizers:
            opt.step()
            opt.zero_grad()
        np.testing.assert_array_equal(outs[0].data, outs[1].data)
        assert outs[0].dtype == dtype
    assert type(lazy) is plain_class and lazy.num_features == 3
    assert all(a is b for a, b in zip(held, lazy.parameters()))
    assert repr(lazy) == repr(plain)
    ours, theirs = lazy.state_dict(), plain.state_dict()
    assert list(ours) == list(theirs)
    for key in ours:
        np.testing.assert_array_equal(ours[key], theirs[key])
        assert np.asarray(ours[key]).dtype == np.asarray(theirs[key]).dtype
    lazy.eval()
    plain.eval()
    x = ad.tensor(rng.standard_normal(shape).astype(dtype))
    np.testing.assert_array_equal(lazy(x).data, plain(x).data)
    fresh = plain_class(3, **_plain_kwargs(plain_class, kwargs), dtype=dtype)
    fresh.load_state_dict(lazy.state_dict())
    fresh.eval()
    np.testing.assert_array_equal(fresh(x).data, plain(x).data)


TRANSPOSES = [
    (nn.LazyConvTranspose1d, nn.ConvTranspose1d, (2, 4, 5), dict(stride=2, padding=1)),
    (nn.LazyConvTranspose2d, nn.ConvTranspose2d, (1, 4, 3, 4),
     dict(stride=2, output_padding=1, groups=2, bias=False)),
    (nn.LazyConvTranspose3d, nn.ConvTranspose3d, (1, 2, 2, 3, 2), dict(dilation=2)),
]


@pytest.mark.parametrize("lazy_class, plain_class, shape, kwargs", TRANSPOSES,
                         ids=[c[0].__name__ for c in TRANSPOSES])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lazy_transpose_draws_what_the_plain_layer_draws_and_trains(lazy_class, plain_class,
                                                                    shape, kwargs, dtype):
    ad.nn.manual_seed(11)
    lazy = lazy_class(6, 3, **kwargs, dtype=dtype)       # draws nothing yet
    held = list(lazy.parameters())
    assert lazy.in_channels == 0 and isinstance(held[0], nn.UninitializedParameter)
    opt = ad.optim.SGD(lazy.parameters(), lr=0.1)
    x = ad.tensor(np.random.default_rng(1).standard_normal(shape).astype(dtype))
    out = lazy(x)
    ad.nn.manual_seed(11)
    plain = plain_class(shape[1], 6, 3, **kwargs, dtype=dtype)
    expected = plain(x)
    np.testing.assert_array_equal(out.data, expected.data)
    assert out.dtype == dtype and type(lazy) is plain_class and repr(lazy) == repr(plain)
    assert all(a is b for a, b in zip(held, lazy.parameters()))
    (out ** 2).sum().backward()
    opt.step()
    (expected ** 2).sum().backward()
    for ours, theirs in zip(lazy.parameters(), plain.parameters()):
        np.testing.assert_allclose(ours.data, theirs.data - 0.1 * theirs.grad, rtol=1e-6)


def test_lazy_transpose_takes_output_size_at_its_first_call():
    up = nn.LazyConvTranspose2d(2, 3, stride=2, rng=0)
    assert up(ad.tensor(np.ones((1, 3, 4, 4))), output_size=(10, 10)).shape == (1, 2, 10, 10)
    assert up.weight.shape == (3, 2, 3, 3)


@pytest.mark.parametrize("make, bad_shape, words", [
    (lambda: nn.LazyBatchNorm2d(), (2, 3, 4), r"LazyBatchNorm2d: the first input must be "
     r"\(N, C, H, W\) .*got shape \(2, 3, 4\)"),
    (lambda: nn.LazyBatchNorm1d(), (4, 0), "LazyBatchNorm1d: the first input"),
    (lambda: nn.LazyInstanceNorm1d(), (2, 3, 4, 5), "LazyInstanceNorm1d: the first input"),
    (lambda: nn.LazyConvTranspose2d(4, 3, groups=2), (1, 3, 4, 4),
     r"LazyConvTranspose2d: .*multiple of groups=2, got shape \(1, 3, 4, 4\)"),
    (lambda: nn.LazyConvTranspose1d(4, 3), (5,), "LazyConvTranspose1d: the first input"),
])
def test_lazy_first_input_errors_name_the_layer_and_the_shape(make, bad_shape, words):
    layer = make()
    with pytest.raises(ValueError, match=words):
        layer(ad.tensor(np.ones(bad_shape)))
    assert type(layer).__name__.startswith("Lazy")               # still lazy


@pytest.mark.parametrize("make, shape", [(lambda: nn.LazyBatchNorm1d(), (4, 3)),
                                         (lambda: nn.LazyInstanceNorm2d(), (2, 3, 4, 4)),
                                         (lambda: nn.LazyConvTranspose1d(2, 3), (1, 3, 4))])
def test_lazy_layers_refuse_to_be_made_in_a_compiled_function_then_compile(make, shape):
    layer = make()
    step = ad.compile(lambda v: (layer(v) ** 2).sum())
    with pytest.raises(RuntimeError, match="parameters are made at the first call"):
        step(ad.tensor(np.ones(shape)))
    rng = np.random.default_rng(2)
    layer(ad.tensor(rng.standard_normal(shape)))
    twin = make()
    twin(ad.tensor(np.ones(shape)))
    twin.load_state_dict(layer.state_dict())
    fast = ad.compile(lambda v: (layer(v) ** 2).sum())
    for _ in range(2):
        x = rng.standard_normal(shape)
        np.testing.assert_allclose(fast(ad.tensor(x)).data,
                                   (twin(ad.tensor(x)) ** 2).sum().data, rtol=1e-12)


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    for lazy_class, plain_class, shape, kwargs in NORMS:
        ours = lazy_class(**kwargs)
        theirs = getattr(torch.nn, lazy_class.__name__)(**kwargs, dtype=torch.float64)
        assert repr(ours) == repr(theirs)
        if len(shape) == plain_class._dims[0] and "Instance" in lazy_class.__name__:
            continue            # PyTorch reads axis 1 of an unbatched input, then refuses it
        x = rng.standard_normal(shape)
        for _ in range(2):
            a, b = ours(ad.tensor(x)), theirs(torch.tensor(x))
            np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, atol=1e-12)
        ours.eval()
        theirs.eval()
        a, b = ours(ad.tensor(x)), theirs(torch.tensor(x))
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, atol=1e-12)
        assert type(ours).__name__ == type(theirs).__name__
    for lazy_class, _, shape, kwargs in TRANSPOSES:
        ours = lazy_class(6, 3, **kwargs, rng=0)
        theirs = getattr(torch.nn, lazy_class.__name__)(6, 3, **kwargs, dtype=torch.float64)
        assert repr(ours) == repr(theirs)
        x = rng.standard_normal(shape)
        a = ours(ad.tensor(x))
        theirs(torch.tensor(x))
        assert repr(ours) == repr(theirs)
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(ours.weight.data))
            if ours.bias is not None:
                theirs.bias.copy_(torch.tensor(ours.bias.data))
        np.testing.assert_allclose(a.data, theirs(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-12, atol=1e-14)
