"""nn.LazyLinear: n_in read from the first input, the same Parameter objects filled (so
an optimizer made before trains them), then a Linear, as PyTorch's."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn


def test_lazy_linear_becomes_the_linear_it_would_have_been_and_trains():
    lazy = nn.Sequential(nn.LazyLinear(4, rng=3), nn.ReLU(), nn.LazyLinear(2, rng=4))
    ref = nn.Sequential(nn.Linear(3, 4, rng=3), nn.ReLU(), nn.Linear(4, 2, rng=4))
    assert repr(lazy[0]) == "LazyLinear(in_features=0, out_features=4, bias=True)"
    assert [n for n, _ in lazy.named_parameters()] == ["0.weight", "0.bias", "2.weight",
                                                        "2.bias"]
    held = list(lazy.parameters())
    optimizers = [ad.optim.Adam(lazy.parameters(), lr=0.1), ad.optim.Adam(ref.parameters(),
                                                                           lr=0.1)]
    x = ad.tensor(np.random.default_rng(0).standard_normal((5, 3)))
    y = np.array([0, 1, 0, 1, 1])
    for _ in range(3):
        for model, opt in zip((lazy, ref), optimizers):
            opt.zero_grad()
            ad.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    assert type(lazy[0]) is nn.Linear and lazy[0].n_in == 3 and lazy[2].n_in == 4
    assert all(a is b for a, b in zip(held, lazy.parameters()))        # the same objects
    for ours, theirs in zip(lazy.parameters(), ref.parameters()):
        np.testing.assert_allclose(ours.data, theirs.data, rtol=1e-12)
    assert lazy[0].weight.grad.shape == (3, 4)


def test_lazy_linear_before_its_first_call_and_in_a_compiled_function():
    layer = nn.LazyLinear(3, bias=False, dtype=np.float32)
    assert isinstance(layer.weight, nn.UninitializedParameter) and layer.bias is None
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        layer.weight.shape
    opt = ad.optim.SGD(layer.parameters(), lr=0.1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt.step()                                         # no gradient yet: said so
    assert any("none of the" in str(w.message) for w in caught)
    step = ad.compile(lambda v: layer(v).sum())
    with pytest.raises(RuntimeError, match="LazyLinear: its parameters are made at the first"):
        step(ad.tensor(np.ones((2, 5), np.float32)))
    out = layer(ad.tensor(np.ones((2, 5), np.float32)))
    assert out.shape == (2, 3) and out.dtype == np.float32 and layer.weight.shape == (5, 3)
    with pytest.raises(ValueError, match="LazyLinear"):
        nn.LazyLinear(3)(ad.tensor(np.ones((2, 0))))
    with pytest.raises(ValueError, match="out_features must be a positive int"):
        nn.LazyLinear(0)


def test_lazy_linear_against_pytorch():
    torch = pytest.importorskip("torch")
    assert repr(nn.LazyLinear(3)) == repr(torch.nn.LazyLinear(3))
    layer = nn.LazyLinear(3, rng=0)
    x = np.random.default_rng(1).standard_normal((4, 5))
    out = layer(ad.tensor(x))
    theirs = torch.nn.Linear(5, 3).double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in layer.to_torch_state_dict().items()})
    np.testing.assert_allclose(out.data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("dims, kwargs, shape", [(1, dict(stride=2, bias=False), (2, 2, 9)),
                                                 (2, dict(groups=2, padding=1), (1, 4, 5, 5)),
                                                 (3, {}, (1, 2, 3, 4, 5))])
def test_lazy_convolutions_become_the_convolution_they_would_have_been(dims, kwargs, shape):
    lazy = getattr(nn, f"LazyConv{dims}d")(4, 3, rng=5, **kwargs)
    ref = getattr(nn, f"Conv{dims}d")(shape[1], 4, 3, rng=5, **kwargs)
    held = list(lazy.parameters())
    assert lazy.in_channels == 0 and isinstance(lazy.weight, nn.UninitializedParameter)
    opt = ad.optim.SGD(lazy.parameters(), lr=0.1)
    x = ad.tensor(np.random.default_rng(0).standard_normal(shape))
    (lazy(x) ** 2).sum().backward()
    opt.step()
    assert type(lazy) is type(ref) and repr(lazy) == repr(ref)
    assert all(a is b for a, b in zip(held, lazy.parameters()))
    (ref(x) ** 2).sum().backward()
    with ad.no_grad():
        for p in ref.parameters():
            p -= 0.1 * p.grad
    for a, b in zip(lazy.parameters(), ref.parameters()):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12)


def test_lazy_convolution_errors_and_pytorch_reprs():
    with pytest.raises(ValueError, match="LazyConv2d: the first input must be"):
        nn.LazyConv2d(4, 3, groups=2)(ad.tensor(np.ones((1, 3, 5, 5))))
    with pytest.raises(ValueError, match="groups=3 must divide out_channels=4"):
        nn.LazyConv1d(4, 3, groups=3)
    torch = pytest.importorskip("torch")
    for dims in (1, 2, 3):
        assert repr(getattr(nn, f"LazyConv{dims}d")(4, 3, stride=2)) == repr(
            getattr(torch.nn, f"LazyConv{dims}d")(4, 3, stride=2))
