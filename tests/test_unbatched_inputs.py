"""Unbatched inputs (one sample without its batch axis) to the convolutions, poolings,
fold / unfold, max_unpool and the layers built on them, as PyTorch takes them.

Without PyTorch: each function and layer on an unbatched input gives the values and
gradients of the batch of one ``x[None]`` with that axis dropped, its gradients match
central differences in float64, and inputs of other ranks are refused naming the
function and both layouts.  With PyTorch: values, gradients and output shapes of the
unbatched calls against PyTorch's, and the same ranks refused by both.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn

RNG = np.random.default_rng(5)


def rand(*shape):
    return RNG.standard_normal(shape)


# (name, unbatched input shape, shapes of the further array arguments, keyword arguments);
# each is called as F.<name>(x, *arrays, **kwargs), in autodiff and in PyTorch alike.
FUNCTIONS = [
    ("conv1d", (2, 7), [(3, 2, 3), (3,)], dict(stride=2, padding=1)),
    ("conv2d", (2, 5, 6), [(4, 1, 2, 3), (4,)], dict(groups=2, dilation=(1, 2))),
    ("conv3d", (2, 4, 4, 5), [(3, 2, 2, 2, 2), (3,)], dict(padding=1)),
    ("conv_transpose1d", (2, 5), [(2, 3, 3), (3,)], dict(stride=2, output_padding=1)),
    ("conv_transpose2d", (2, 3, 4), [(2, 3, 2, 2), (3,)], dict(stride=2, padding=1)),
    ("conv_transpose3d", (2, 3, 3, 2), [(2, 1, 2, 2, 2), (1,)], dict(stride=(1, 2, 1))),
    ("max_pool1d", (3, 7), [], dict(kernel_size=3, stride=2, padding=1)),
    ("max_pool2d", (3, 5, 6), [], dict(kernel_size=2, ceil_mode=True)),
    ("max_pool3d", (2, 4, 5, 4), [], dict(kernel_size=2, stride=(1, 2, 2))),
    ("max_pool1d", (3, 7), [], dict(kernel_size=2, return_indices=True)),
    ("max_pool2d", (3, 5, 6), [], dict(kernel_size=2, return_indices=True)),
    ("max_pool3d", (2, 4, 5, 4), [], dict(kernel_size=2, return_indices=True)),
    ("avg_pool1d", (3, 7), [], dict(kernel_size=3, padding=1, count_include_pad=False)),
    ("avg_pool2d", (3, 5, 6), [], dict(kernel_size=2, stride=1, divisor_override=3)),
    ("avg_pool3d", (2, 4, 5, 4), [], dict(kernel_size=2, ceil_mode=True)),
    ("adaptive_avg_pool1d", (3, 7), [], dict(output_size=3)),
    ("adaptive_avg_pool2d", (3, 5, 6), [], dict(output_size=(2, 4))),
    ("adaptive_avg_pool3d", (2, 4, 5, 4), [], dict(output_size=(2, 3, 3))),
    ("adaptive_max_pool1d", (3, 7), [], dict(output_size=3, return_indices=True)),
    ("adaptive_max_pool2d", (3, 5, 6), [], dict(output_size=(2, 4), return_indices=True)),
    ("adaptive_max_pool3d", (2, 4, 5, 4), [], dict(output_size=2, return_indices=True)),
    ("lp_pool1d", (3, 7), [], dict(norm_type=2.0, kernel_size=3, stride=2)),
    ("lp_pool2d", (3, 5, 6), [], dict(norm_type=3.0, kernel_size=2)),
    ("lp_pool3d", (2, 4, 5, 4), [], dict(norm_type=2.0, kernel_size=2)),
    ("unfold", (2, 5, 6), [], dict(kernel_size=(2, 3), padding=1, stride=2)),
    ("fold", (8, 6), [], dict(output_size=(3, 4), kernel_size=2)),
]
IDS = [f"{name}{'-indices' if kwargs.get('return_indices') else ''}"
       for name, _, _, kwargs in FUNCTIONS]


def sample(name, shape):
    """A random input; positive for the lp poolings, whose odd powers of negative window
    sums have no real root (NaN in PyTorch and here alike, which would compare equal)."""
    x = rand(*shape)
    return np.abs(x) + 0.5 if name.startswith("lp_pool") else x


def _parts(out):
    return out if isinstance(out, tuple) else (out,)


def _call(name, x, arrays, kwargs):
    return getattr(F, name)(x, *arrays, **kwargs)


def _weighted_sum(out, weights):
    """A scalar of the float outputs, weighted so that every entry's gradient differs."""
    return sum((part * w).sum() for part, w in zip(_parts(out), weights)
               if part.dtype.kind == "f")


@pytest.mark.parametrize("name, shape, array_shapes, kwargs", FUNCTIONS, ids=IDS)
def test_function_of_one_sample_is_the_batch_of_one(name, shape, array_shapes, kwargs):
    x_data, arrays = sample(name, shape), [rand(*s) for s in array_shapes]
    single = ad.tensor(x_data, requires_grad=True)
    batch = ad.tensor(x_data[None], requires_grad=True)
    params_single = [ad.tensor(a, requires_grad=True) for a in arrays]
    params_batch = [ad.tensor(a, requires_grad=True) for a in arrays]
    out_single = _call(name, single, params_single, kwargs)
    out_batch = _call(name, batch, params_batch, kwargs)
    weights = [rand(*part.shape) for part in _parts(out_single)]
    for part, whole in zip(_parts(out_single), _parts(out_batch)):
        assert part.shape == whole.shape[1:] and whole.shape[0] == 1
        assert not np.isnan(part.data).any()
        np.testing.assert_array_equal(part.data, whole.data[0])
    _weighted_sum(out_single, weights).backward()
    _weighted_sum(out_batch, [w[None] for w in weights]).backward()
    np.testing.assert_allclose(single.grad, batch.grad[0], rtol=1e-12, atol=1e-12)
    for p, q in zip(params_single, params_batch):
        np.testing.assert_allclose(p.grad, q.grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, shape, array_shapes, kwargs", FUNCTIONS, ids=IDS)
def test_unbatched_gradients_match_finite_differences(name, shape, array_shapes, kwargs):
    # distinct values, so that no max pooling window has a tie to flip under a nudge
    x = RNG.permutation(np.prod(shape)).reshape(shape) / 7.0
    arrays = [rand(*s) for s in array_shapes]
    first = _call(name, ad.tensor(x), [ad.tensor(a) for a in arrays], kwargs)
    weights = [rand(*part.shape) for part in _parts(first)]
    if name.startswith("lp_pool"):
        x = x + 3.0                      # positive windows: |x|^p is smooth there
    assert ad.gradcheck(lambda u, *ps: _weighted_sum(_call(name, u, ps, kwargs), weights),
                        [x, *arrays])


@pytest.mark.parametrize("name, shape, array_shapes, kwargs", FUNCTIONS, ids=IDS)
def test_other_ranks_are_refused_naming_the_function_and_the_layouts(
        name, shape, array_shapes, kwargs):
    arrays = [ad.tensor(rand(*s)) for s in array_shapes]
    rank = len(shape)
    for bad in (shape[1:], (1, 1) + shape):
        with pytest.raises(ValueError, match=rf"{name}: expected a {rank}-D unbatched \(.*\) "
                                             rf"or {rank + 1}-D batched \(N, .*\) input, got "
                                             rf"shape \({bad[0]},"):
            _call(name, ad.tensor(rand(*bad)), arrays, kwargs)


def test_max_unpool_of_one_sample_is_the_batch_of_one():
    for dims, shape in ((1, (3, 8)), (2, (2, 4, 6)), (3, (2, 4, 4, 2))):
        x = ad.tensor(rand(*shape))
        pooled, indices = getattr(F, f"max_pool{dims}d")(x, 2, return_indices=True)
        unpool = getattr(F, f"max_unpool{dims}d")
        values = ad.tensor(pooled.data, requires_grad=True)
        batch = ad.tensor(pooled.data[None], requires_grad=True)
        single_out = unpool(values, indices, 2)
        batch_out = unpool(batch, indices.data[None], 2, output_size=(1,) + shape)
        assert single_out.shape == shape
        np.testing.assert_array_equal(single_out.data, batch_out.data[0])
        g = rand(*shape)
        (single_out * g).sum().backward()
        (batch_out * g[None]).sum().backward()
        np.testing.assert_array_equal(values.grad, batch.grad[0])
        assert ad.gradcheck(lambda v: (unpool(v, indices, 2) * g).sum(), [pooled.data])
        with pytest.raises(ValueError, match=rf"max_unpool{dims}d: expected a {dims + 1}-D "
                                             "unbatched"):
            unpool(values[0], indices[0], 2)


def test_max_unpool_of_one_sample_matches_pytorch():
    torch = pytest.importorskip("torch")
    for dims, shape in ((1, (3, 8)), (2, (2, 4, 6)), (3, (2, 4, 4, 2))):
        x = rand(*shape)
        pooled, indices = getattr(F, f"max_pool{dims}d")(ad.tensor(x), 2, return_indices=True)
        mine = ad.tensor(pooled.data, requires_grad=True)
        theirs = torch.tensor(pooled.data, requires_grad=True)
        out = getattr(F, f"max_unpool{dims}d")(mine, indices, 2)
        expected = getattr(torch.nn.functional, f"max_unpool{dims}d")(
            theirs, torch.from_numpy(indices.data), 2)
        assert out.shape == tuple(expected.shape) == shape
        np.testing.assert_array_equal(out.data, expected.detach().numpy())
        g = rand(*shape)
        (out * g).sum().backward()
        (expected * torch.tensor(g)).sum().backward()
        np.testing.assert_array_equal(mine.grad, theirs.grad.numpy())


def test_unbatched_works_on_numpy_arrays_and_in_the_top_level_forms():
    x = rand(2, 5, 5)
    w = rand(3, 2, 2, 2)
    expected = F.conv2d(ad.tensor(x[None]), ad.tensor(w)).data[0]
    np.testing.assert_array_equal(F.conv2d(x, w).data, expected)
    np.testing.assert_array_equal(ad.conv2d(ad.tensor(x), ad.tensor(w)).data, expected)
    values, indices = ad.max_pool1d_with_indices(ad.tensor(x[0]), 2)
    assert values.shape == indices.shape == (5, 2)
    assert ad.adaptive_max_pool1d(ad.tensor(x[0]), 2)[1].shape == (5, 2)


def test_compiled_step_on_one_sample_agrees_with_eager():
    conv = nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect", rng=0)

    def step(x):
        pooled, _ = F.max_pool2d(conv(x), 2, return_indices=True)
        loss = (pooled ** 2).sum()
        for p in conv.parameters():
            p.grad = None
        loss.backward()
        return loss, conv.weight.grad
    compiled = ad.compile(step)
    for seed in range(3):
        x = np.random.default_rng(seed).normal(size=(2, 6, 6))
        eager = [np.array(getattr(a, "data", a)) for a in step(x)]
        replayed = [np.array(getattr(a, "data", a)) for a in compiled(x)]
        for a, b in zip(eager, replayed):
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


# ----- layers -----------------------------------------------------------------------------------

# (layer name, constructor arguments, keyword arguments, unbatched input shape)
LAYERS = [
    ("Conv1d", (2, 3, 3), dict(padding=1, padding_mode="circular"), (2, 6)),
    ("Conv2d", (2, 4, 3), dict(padding="same", padding_mode="reflect"), (2, 5, 5)),
    ("Conv3d", (2, 3, 2), dict(stride=2), (2, 4, 4, 4)),
    ("ConvTranspose1d", (2, 3, 3), dict(stride=2), (2, 4)),
    ("ConvTranspose2d", (2, 3, 3), dict(stride=2, padding=1), (2, 3, 4)),
    ("ConvTranspose3d", (2, 1, 2), dict(), (2, 2, 3, 2)),
    ("MaxPool1d", (2,), dict(), (3, 6)),
    ("MaxPool2d", (2,), dict(stride=1), (3, 4, 5)),
    ("MaxPool3d", (2,), dict(), (2, 4, 4, 4)),
    ("AvgPool1d", (3,), dict(stride=2), (3, 7)),
    ("AvgPool2d", (2,), dict(), (3, 4, 5)),
    ("AvgPool3d", (2,), dict(), (2, 4, 4, 4)),
    ("AdaptiveAvgPool1d", (3,), dict(), (3, 7)),
    ("AdaptiveAvgPool2d", ((2, 3),), dict(), (3, 5, 7)),
    ("AdaptiveAvgPool3d", (2,), dict(), (2, 4, 5, 3)),
    ("AdaptiveMaxPool1d", (3,), dict(), (3, 7)),
    ("AdaptiveMaxPool2d", ((2, 3),), dict(), (3, 5, 7)),
    ("AdaptiveMaxPool3d", (2,), dict(), (2, 4, 5, 3)),
    ("LPPool1d", (2.0, 2), dict(), (3, 6)),
    ("LPPool2d", (2.0, 2), dict(), (3, 4, 6)),
    ("LPPool3d", (2.0, 2), dict(), (2, 4, 4, 4)),
    ("Fold", ((3, 4), 2), dict(), (8, 6)),
    ("Unfold", (2,), dict(stride=2), (2, 5, 6)),
    ("InstanceNorm1d", (3,), dict(affine=True), (3, 6)),
    ("InstanceNorm2d", (3,), dict(affine=True), (3, 4, 5)),
    ("InstanceNorm3d", (2,), dict(), (2, 3, 4, 3)),
    ("ReflectionPad2d", ((1, 2, 0, 1),), dict(), (2, 4, 5)),
    ("ReplicationPad3d", (1,), dict(), (2, 3, 3, 3)),
    ("CircularPad1d", (2,), dict(), (2, 5)),
    ("ZeroPad2d", (1,), dict(), (2, 3, 3)),
    ("ConstantPad3d", (1, 0.5), dict(), (2, 2, 2, 2)),
    ("PixelShuffle", (2,), dict(), (8, 2, 3)),
    ("PixelUnshuffle", (2,), dict(), (2, 4, 6)),
]


def _layer(name, args, kwargs):
    seeded = dict(rng=0) if name.startswith("Conv") else {}      # random starting weights
    return getattr(nn, name)(*args, **kwargs, **seeded)


@pytest.mark.parametrize("name, args, kwargs, shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_of_one_sample_is_the_batch_of_one(name, args, kwargs, shape):
    layer = _layer(name, args, kwargs)
    x_data = rand(*shape)
    single = ad.tensor(x_data, requires_grad=True)
    batch = ad.tensor(x_data[None], requires_grad=True)
    out_single, out_batch = layer(single), layer(batch)
    assert out_single.shape == out_batch.shape[1:]
    np.testing.assert_allclose(out_single.data, out_batch.data[0], rtol=1e-12, atol=1e-12)
    g = rand(*out_single.shape)
    (out_single * g).sum().backward()
    single_param_grads = [p.grad.copy() for p in layer.parameters()]
    layer.zero_grad()
    (out_batch * g[None]).sum().backward()
    np.testing.assert_allclose(single.grad, batch.grad[0], rtol=1e-12, atol=1e-12)
    for got, p in zip(single_param_grads, layer.parameters()):
        np.testing.assert_allclose(got, p.grad, rtol=1e-12, atol=1e-12)


def test_transposed_convolution_output_size_and_lazy_layers_on_one_sample():
    up = nn.ConvTranspose2d(2, 3, 3, stride=2, rng=0)
    x = ad.tensor(rand(2, 4, 4))
    for size in ((10, 10), (3, 10, 10)):             # (H, W), or with C, as PyTorch's
        assert up(x, output_size=size).shape == (3, 10, 10)
    np.testing.assert_array_equal(up(x, output_size=(10, 10)).data,
                                  up(x[None], output_size=(1, 3, 10, 10)).data[0])
    with pytest.raises(ValueError, match=r"output_size must hold 2 \(or 3\) sizes"):
        up(x, output_size=(1, 3, 10, 10))
    lazy = nn.LazyConv2d(4, 2, rng=0)
    assert lazy(ad.tensor(rand(3, 5, 5))).shape == (4, 4, 4)
    assert lazy.in_channels == 3 and lazy.weight.shape == (4, 3, 2, 2)
    lazy_up = nn.LazyConvTranspose1d(3, 2, rng=0)
    assert lazy_up(ad.tensor(rand(2, 5))).shape == (3, 6) and lazy_up.in_channels == 2


# ----- against PyTorch --------------------------------------------------------------------------

def _torch_parts(out):
    return out if isinstance(out, tuple) else (out,)


@pytest.mark.parametrize("name, shape, array_shapes, kwargs", FUNCTIONS, ids=IDS)
def test_function_of_one_sample_matches_pytorch(name, shape, array_shapes, kwargs):
    torch = pytest.importorskip("torch")
    x_data, arrays = sample(name, shape), [rand(*s) for s in array_shapes]
    ours_in = [ad.tensor(a, requires_grad=True) for a in [x_data, *arrays]]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in [x_data, *arrays]]
    ours = _call(name, ours_in[0], ours_in[1:], kwargs)
    theirs = getattr(torch.nn.functional, name)(theirs_in[0], *theirs_in[1:], **kwargs)
    weights = [rand(*part.shape) for part in _parts(ours)]
    for mine, their in zip(_parts(ours), _torch_parts(theirs)):
        assert mine.shape == tuple(their.shape)
        np.testing.assert_allclose(mine.data, their.detach().numpy(), rtol=1e-10, atol=1e-12)
    _weighted_sum(ours, weights).backward()
    sum((t * torch.tensor(w)).sum() for t, w in zip(_torch_parts(theirs), weights)
        if t.dtype.is_floating_point).backward()
    for mine, their in zip(ours_in, theirs_in):
        np.testing.assert_allclose(mine.grad, their.grad.numpy(), rtol=1e-10, atol=1e-12)


def _refuses(call):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call()
    except (ValueError, RuntimeError, IndexError, NotImplementedError):
        return True
    return False


@pytest.mark.parametrize("name, shape, array_shapes, kwargs", FUNCTIONS, ids=IDS)
def test_the_same_ranks_are_refused_as_by_pytorch(name, shape, array_shapes, kwargs):
    torch = pytest.importorskip("torch")
    arrays = [rand(*s) for s in array_shapes]
    tf = getattr(torch.nn.functional, name)
    for candidate in (shape[1:], shape, (1,) + shape, (1, 1) + shape):
        x = rand(*candidate)
        ours = _refuses(lambda: _call(name, ad.tensor(x), [ad.tensor(a) for a in arrays],
                                      kwargs))
        theirs = _refuses(lambda: tf(torch.tensor(x), *map(torch.tensor, arrays), **kwargs))
        assert ours == theirs, (candidate, ours, theirs)


def _torch_layer(torch, layer, name, args, kwargs):
    twin = getattr(torch.nn, name)(*args, **kwargs).double()
    state = {k: torch.from_numpy(np.array(v)) for k, v in layer.to_torch_state_dict().items()}
    twin.load_state_dict(state)
    return twin


@pytest.mark.parametrize("name, args, kwargs, shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_of_one_sample_matches_pytorch(name, args, kwargs, shape):
    torch = pytest.importorskip("torch")
    layer = _layer(name, args, kwargs)
    twin = _torch_layer(torch, layer, name, args, kwargs)
    x_data = rand(*shape)
    mine, theirs = ad.tensor(x_data, requires_grad=True), torch.tensor(x_data,
                                                                     requires_grad=True)
    out, expected = layer(mine), twin(theirs)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rand(*out.shape)
    (out * g).sum().backward()
    (expected * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
    for (key, p), (_, q) in zip(layer.named_parameters(), twin.named_parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("name, args, kwargs, shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_layers_refuse_the_same_ranks_as_pytorch(name, args, kwargs, shape):
    torch = pytest.importorskip("torch")
    layer = _layer(name, args, kwargs)
    twin = _torch_layer(torch, layer, name, args, kwargs)
    for candidate in (shape[1:], shape, (1,) + shape, (1, 1) + shape):
        x = rand(*candidate)
        ours, theirs = (_refuses(lambda: layer(ad.tensor(x))),
                        _refuses(lambda: twin(torch.tensor(x))))
        assert ours == theirs, (candidate, ours, theirs)


# ----- channel dropout ----------------------------------------------------------------------

@pytest.mark.parametrize("name, shape", [("dropout1d", (4, 6)), ("dropout3d", (4, 2, 3, 2))])
def test_channel_dropout_of_one_sample_is_the_batch_of_one(name, shape):
    x = rand(*shape)
    single = ad.tensor(x, requires_grad=True)
    batch = ad.tensor(x[None], requires_grad=True)
    out, whole = getattr(F, name)(single, 0.5, rng=3), getattr(F, name)(batch, 0.5, rng=3)
    np.testing.assert_array_equal(out.data, whole.data[0])
    kept = out.data.reshape(shape[0], -1)[:, 0] != 0
    assert 0 < kept.sum() < shape[0]                       # some channels dropped, some kept
    out.sum().backward()
    whole.sum().backward()
    np.testing.assert_array_equal(single.grad, batch.grad[0])


def _outcome(call):
    """'refused', 'warned' or 'taken' for ``call()``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call()
        except (ValueError, RuntimeError):
            return "refused"
    return "warned" if caught else "taken"


@pytest.mark.parametrize("name", ["Dropout1d", "Dropout2d", "Dropout3d"])
def test_channel_dropout_ranks_warn_and_refuse_as_in_pytorch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(0.5, rng=0), getattr(torch.nn, name)(0.5)
    for rank in range(0, 7):
        x = np.ones((2,) * rank)
        assert (_outcome(lambda: ours(ad.tensor(x)))
                == _outcome(lambda: theirs(torch.tensor(x)))), rank


# ----- F.pad's copying modes --------------------------------------------------------------------

PADS = [(mode, axes) for mode in ("reflect", "replicate", "circular") for axes in (1, 2, 3)]


@pytest.mark.parametrize("mode, axes", PADS)
def test_pad_of_one_sample_is_the_batch_of_one(mode, axes):
    x = rand(*(2,) + (4,) * axes)
    amounts = (1, 2, 2, 0, 0, 3)[:2 * axes]
    single = ad.tensor(x, requires_grad=True)
    batch = ad.tensor(x[None], requires_grad=True)
    out = F.pad(single, amounts, mode=mode)
    whole = F.pad(batch, amounts, mode=mode)
    np.testing.assert_array_equal(out.data, whole.data[0])
    g = rand(*out.shape)
    (out * g).sum().backward()
    (whole * g[None]).sum().backward()
    np.testing.assert_array_equal(single.grad, batch.grad[0])
    assert ad.gradcheck(lambda u: (F.pad(u, amounts, mode=mode) * g).sum(), [x])
    with pytest.raises(ValueError, match=rf"pad: mode '{mode}' pads the last 1, 2 or 3 axes .*"
                                         rf"got pad .* for shape \(1, 1, 2,"):
        F.pad(ad.tensor(x[None, None]), amounts, mode=mode)


@pytest.mark.parametrize("mode, axes", PADS)
def test_pad_matches_pytorch_and_refuses_the_same_ranks(mode, axes):
    torch = pytest.importorskip("torch")
    amounts = (1, 2, 2, 0, 0, 3)[:2 * axes]
    x = rand(*(2,) + (4,) * axes)
    mine, theirs = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = F.pad(mine, amounts, mode=mode), torch.nn.functional.pad(theirs, amounts,
                                                                            mode=mode)
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    g = rand(*out.shape)
    (out * g).sum().backward()
    (expected * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)
    for shape in ((4,) * axes, (2,) + (4,) * axes, (1, 2) + (4,) * axes, (1, 1, 2) + (4,) * axes):
        y = rand(*shape)
        assert (_refuses(lambda: F.pad(ad.tensor(y), amounts, mode=mode))
                == _refuses(lambda: torch.nn.functional.pad(torch.tensor(y), amounts,
                                                            mode=mode))), shape


def test_layer_rank_errors_name_the_layer_even_with_a_padding_mode():
    for mode in ("zeros", "reflect", "circular"):
        conv = nn.Conv2d(2, 4, 3, padding=1, padding_mode=mode, rng=0)
        with pytest.raises(ValueError, match=r"Conv2d\(2, 4, kernel_size=\(3, 3\)\): expected "
                                             r"a 3-D unbatched \(C, H, W\) or 4-D batched "
                                             r"\(N, C, H, W\) input, got shape \(5, 5\)"):
            conv(ad.tensor(rand(5, 5)))


# ----- recurrent layers (already unbatched-aware): against PyTorch with unbatched states ---------

@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_recurrent_layer_on_one_sequence_with_initial_state_matches_pytorch(kind):
    torch = pytest.importorskip("torch")
    layer = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True, batch_first=True, rng=0)
    twin = getattr(torch.nn, kind)(3, 4, num_layers=2, bidirectional=True,
                                   batch_first=True).double()
    twin.load_state_dict({k: torch.from_numpy(np.array(v))
                          for k, v in layer.to_torch_state_dict().items()})
    x, h0, c0 = rand(5, 3), rand(4, 4), rand(4, 4)
    ours_in = [ad.tensor(a, requires_grad=True) for a in (x, h0, c0)]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in (x, h0, c0)]
    if kind == "LSTM":
        out, (h, c) = layer(ours_in[0], tuple(ours_in[1:]))
        expected, (h_t, c_t) = twin(theirs_in[0], tuple(theirs_in[1:]))
        pairs = [(out, expected), (h, h_t), (c, c_t)]
    else:
        out, h = layer(ours_in[0], ours_in[1])
        expected, h_t = twin(theirs_in[0], theirs_in[1])
        pairs = [(out, expected), (h, h_t)]
    loss_ours, loss_theirs = 0, 0
    for mine, their in pairs:
        assert mine.shape == tuple(their.shape)
        np.testing.assert_allclose(mine.data, their.detach().numpy(), rtol=1e-10, atol=1e-12)
        g = rand(*mine.shape)
        loss_ours = loss_ours + (mine * g).sum()
        loss_theirs = loss_theirs + (their * torch.tensor(g)).sum()
    loss_ours.backward()
    loss_theirs.backward()
    used = 3 if kind == "LSTM" else 2
    for mine, their in zip(ours_in[:used], theirs_in[:used]):
        np.testing.assert_allclose(mine.grad, their.grad.numpy(), rtol=1e-9, atol=1e-12)
    batched_state = rand(4, 1, 4)          # a batched state with an unbatched input: both refuse
    state = (ad.tensor(batched_state),) * 2 if kind == "LSTM" else ad.tensor(batched_state)
    torch_state = ((torch.tensor(batched_state),) * 2 if kind == "LSTM"
                   else torch.tensor(batched_state))
    assert _refuses(lambda: layer(ad.tensor(x), state))
    assert _refuses(lambda: twin(torch.tensor(x), torch_state))
