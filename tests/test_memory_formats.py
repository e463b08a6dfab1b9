"""Memory formats (``ad.channels_last`` and friends): the layout changes, the values and
gradients do not; strides and ``is_contiguous`` as PyTorch's, checked by hand, by
finite differences and against PyTorch where it is installed."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

R = np.random.default_rng(9)


def test_to_channels_last_keeps_values_and_shape_and_changes_strides():
    data = R.normal(size=(2, 3, 4, 5))
    x = ad.tensor(data, requires_grad=True)
    y = x.to(memory_format=ad.channels_last)
    assert y.shape == (2, 3, 4, 5) and y.stride() == (60, 1, 15, 3)
    assert y.is_contiguous(memory_format=ad.channels_last) and not y.is_contiguous()
    np.testing.assert_array_equal(y.numpy(), data)
    assert y.to(memory_format=ad.channels_last) is y             # already so laid out
    assert y.contiguous().stride() == (60, 20, 5, 1)
    assert y.clone().stride() == (60, 1, 15, 3)                 # clone preserves
    assert y.clone(memory_format=ad.contiguous_format).is_contiguous()
    weights = R.normal(size=(2, 3, 4, 5))
    (y * ad.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(x.grad, weights)
    assert ad.gradcheck(lambda t: (t.contiguous(memory_format=ad.channels_last) ** 3).sum(),
                        [data])
    assert ad.zeros_like(y).stride() == (60, 1, 15, 3)          # preserves channels last
    assert ad.ones_like(y, memory_format=ad.contiguous_format).is_contiguous()
    assert ad.full_like(x, 2.0, memory_format=ad.channels_last).stride() == (60, 1, 15, 3)
    z = ad.zeros(1, 2, 3, 4, 5).to(memory_format=ad.channels_last_3d)
    assert z.stride() == (120, 1, 40, 10, 2)
    assert z.is_contiguous(memory_format=ad.channels_last_3d)
    assert not z.is_contiguous(memory_format=ad.channels_last)


def test_a_model_moved_to_channels_last_gives_the_same_outputs_and_gradients():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.Conv2d(4, 2, 1))
    x = R.normal(size=(2, 3, 6, 6))
    before = model(ad.tensor(x))
    before.sum().backward()
    grads = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    assert model.to(memory_format=ad.channels_last) is model
    assert model[0].weight.is_contiguous(memory_format=ad.channels_last)
    assert model[1].weight.is_contiguous()                       # 1-d: unchanged
    after = model(ad.tensor(x).to(memory_format=ad.channels_last))
    np.testing.assert_allclose(after.numpy(), before.numpy(), rtol=1e-13, atol=1e-13)
    after.sum().backward()
    for p, g in zip(model.parameters(), grads):
        np.testing.assert_allclose(p.grad, g, rtol=1e-12, atol=1e-12)


def test_formats_are_named_as_pytorchs_and_misuse_is_refused():
    assert repr(ad.channels_last) == "torch.channels_last"
    assert isinstance(ad.preserve_format, ad.memory_format)
    assert pickle.loads(pickle.dumps(ad.channels_last)) is ad.channels_last
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last"):
        ad.zeros(2, 3).to(memory_format=ad.channels_last)
    plain = ad.zeros(1, 2, 3, 4)
    assert plain.contiguous(memory_format=ad.preserve_format) is plain
    assert plain.is_contiguous(memory_format=ad.preserve_format)
    with pytest.raises(RuntimeError, match="preserve memory format is unsupported"):
        plain.to(memory_format=ad.channels_last).contiguous(memory_format=ad.preserve_format)
    with pytest.raises(TypeError, match="memory_format must be ad.contiguous_format"):
        ad.zeros(1, 2, 3, 4).to(memory_format="channels_last")
    with pytest.raises(RuntimeError, match="required rank 5 tensor"):
        nn.Conv2d(1, 1, 1).to(memory_format=ad.channels_last_3d)


def test_strides_and_contiguity_match_torch():
    torch = pytest.importorskip("torch")
    data = R.normal(size=(2, 3, 4, 5))
    for fmt in ("channels_last", "contiguous_format", "preserve_format"):
        theirs = torch.from_numpy(data).to(memory_format=getattr(torch, fmt))
        ours = ad.tensor(data).to(memory_format=getattr(ad, fmt))
        assert ours.stride() == theirs.stride(), fmt
        for check in ("channels_last", "contiguous_format"):
            assert ours.is_contiguous(memory_format=getattr(ad, check)) == \
                theirs.is_contiguous(memory_format=getattr(torch, check)), (fmt, check)
        assert ours.clone().stride() == theirs.clone().stride()
        assert ours.is_contiguous(memory_format=ad.preserve_format) == \
            theirs.is_contiguous(memory_format=torch.preserve_format)
    image = np.zeros((1, 2, 3, 4))
    for name in ("zeros_like", "ones_like", "rand_like", "randn_like"):
        for fmt in (None, "contiguous_format", "channels_last"):
            kwargs = {} if fmt is None else {"memory_format": getattr(torch, fmt)}
            ours_kwargs = {} if fmt is None else {"memory_format": getattr(ad, fmt)}
            for source in (image, np.zeros((1, 3, 4, 2)).transpose(0, 3, 1, 2)):
                theirs = getattr(torch, name)(torch.from_numpy(source), **kwargs)
                ours = getattr(ad, name)(ad.tensor(source), **ours_kwargs)
                if not theirs.is_contiguous() and not theirs.is_contiguous(
                        memory_format=torch.channels_last):
                    continue
                assert ours.stride() == theirs.stride(), (name, fmt)
    conv_theirs = torch.nn.Conv3d(2, 3, 2).to(memory_format=torch.channels_last_3d)
    conv_ours = nn.Conv3d(2, 3, 2).to(memory_format=ad.channels_last_3d)
    assert conv_ours.weight.stride() == conv_theirs.weight.stride()
    assert repr(ad.channels_last) == repr(torch.channels_last)
