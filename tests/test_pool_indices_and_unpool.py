"""max_pool1d/2d/3d and adaptive_max_pool1d/2d/3d with ``return_indices=True``, and
max_unpool1d/2d/3d (and layers).

Indices are checked against a NumPy argmax over each window written here (the first
maximum in row-major window order, as PyTorch), unpooling against a scatter written
here, gradients against finite differences, and all of it against PyTorch when
installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn

RNG = np.random.default_rng(5)


def ref_indices(x, kernel, stride, padding):
    """The flat in-plane index of each window's first maximum, by brute force."""
    dims = x.ndim - 2
    size = x.shape[2:]
    outs = [(n + 2 * p - k) // s + 1 for n, k, s, p in zip(size, kernel, stride, padding)]
    result = np.empty(x.shape[:2] + tuple(outs), dtype=np.int64)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for out in np.ndindex(*outs):
                best, where = -np.inf, None
                for tap in np.ndindex(*kernel):
                    pos = tuple(o * s - p + t for o, s, p, t in zip(out, stride, padding, tap))
                    if all(0 <= q < m for q, m in zip(pos, size)):
                        value = x[(n, c) + pos]
                        if value > best:
                            best, where = value, np.ravel_multi_index(pos, size)
                result[(n, c) + out] = where
    assert dims == len(kernel)
    return result


CASES = [(1, (2, 3, 9), dict(kernel_size=3, stride=2, padding=1)),
         (2, (2, 2, 5, 6), dict(kernel_size=2)),
         (2, (1, 2, 6, 7), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0))),
         (3, (1, 2, 4, 5, 6), dict(kernel_size=2)),
         (3, (2, 1, 5, 4, 6), dict(kernel_size=(3, 2, 2), stride=(2, 1, 3), padding=(1, 1, 0)))]


def _spelled(value, dims):
    return (value,) * dims if isinstance(value, int) else value


@pytest.mark.parametrize("dims, shape, kwargs", CASES)
def test_indices_are_the_first_maximum_of_each_window(dims, shape, kwargs):
    x = np.round(RNG.standard_normal(shape))                      # many ties
    pool = getattr(F, f"max_pool{dims}d")
    out, indices = pool(ad.tensor(x), **kwargs, return_indices=True)
    kernel = _spelled(kwargs["kernel_size"], dims)
    stride = _spelled(kwargs.get("stride", kwargs["kernel_size"]), dims)
    padding = _spelled(kwargs.get("padding", 0), dims)
    assert indices.dtype == np.int64 and not indices.requires_grad
    np.testing.assert_array_equal(indices.data, ref_indices(x, kernel, stride, padding))
    rows = x.reshape(x.shape[0] * x.shape[1], -1)
    np.testing.assert_array_equal(
        out.data.reshape(rows.shape[0], -1),
        np.take_along_axis(rows, indices.data.reshape(rows.shape[0], -1), axis=1))
    np.testing.assert_array_equal(out.data, pool(ad.tensor(x), **kwargs).data)


@pytest.mark.parametrize("dims, shape, kwargs", CASES)
def test_unpool_puts_each_value_at_its_index_and_gradchecks(dims, shape, kwargs):
    x = RNG.standard_normal(shape)
    out, indices = getattr(F, f"max_pool{dims}d")(ad.tensor(x), **kwargs, return_indices=True)
    unpool = getattr(F, f"max_unpool{dims}d")
    restored = unpool(out, indices, **kwargs, output_size=shape[2:])
    expected = np.zeros(x.shape[:2] + (int(np.prod(shape[2:])),))
    np.put_along_axis(expected, indices.data.reshape(x.shape[0], x.shape[1], -1),
                      out.data.reshape(x.shape[0], x.shape[1], -1), axis=2)
    np.testing.assert_array_equal(restored.data, expected.reshape(x.shape))
    y = out.data
    assert ad.gradcheck(lambda u: (unpool(u, indices, **kwargs, output_size=shape[2:]) ** 2
                                   * np.arange(np.prod(shape)).reshape(shape)).sum(), [y])
    assert ad.gradcheck(lambda u: ad.grad(lambda v: (unpool(v, indices, **kwargs,
                                                            output_size=shape[2:]) ** 3).sum())(u)
                        .sum(), [y])


def test_unpool_default_size_layers_and_round_trip_through_the_layers():
    # positive values: the zeros unpooling writes must not be a window's maximum
    x = ad.tensor(np.abs(RNG.standard_normal((1, 2, 4, 6))) + 0.1)
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    out, indices = pool(x)
    restored = unpool(out, indices)
    assert restored.shape == (1, 2, 4, 6)
    np.testing.assert_array_equal(F.max_pool2d(restored, 2).data, out.data)
    assert repr(unpool) == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    assert repr(nn.MaxUnpool1d(3, 1)) == "MaxUnpool1d(kernel_size=(3,), stride=(1,), padding=(0,))"
    volume = ad.tensor(RNG.standard_normal((1, 1, 4, 4, 4)))
    out, indices = nn.MaxPool3d(2, return_indices=True)(volume)
    assert nn.MaxUnpool3d(2)(out, indices, output_size=(1, 1, 5, 5, 5)).shape == (1, 1, 5, 5, 5)


def test_repeated_indices_keep_the_last_value_and_its_gradient():
    # overlapping windows share a maximum: index 1 appears twice
    x = ad.tensor([[[1.0, 5.0, 2.0, 0.0]]])
    out, indices = F.max_pool1d(x, 2, stride=1, return_indices=True)
    np.testing.assert_array_equal(indices.data, [[[1, 1, 2]]])
    values = ad.tensor([[[7.0, 8.0, 9.0]]], requires_grad=True)
    restored = F.max_unpool1d(values, indices, 2, stride=1, output_size=(4,))
    np.testing.assert_array_equal(restored.data, [[[0.0, 8.0, 9.0, 0.0]]])
    restored.sum().backward()
    np.testing.assert_array_equal(values.grad, [[[0.0, 1.0, 1.0]]])


def test_unpool_errors_name_the_op_and_the_fix():
    out, indices = F.max_pool2d(ad.tensor(np.ones((1, 1, 4, 4))), 2, return_indices=True)
    with pytest.raises(ValueError, match="max_unpool2d: index 16 is outside the output plane"):
        F.max_unpool2d(out, ad.tensor(np.full((1, 1, 2, 2), 16)), 2)
    with pytest.raises(ValueError, match="max_unpool2d: indices have shape"):
        F.max_unpool2d(out, indices[:, :, :1], 2)
    with pytest.raises(ValueError, match="max_unpool2d: output_size .* is not reachable"):
        F.max_unpool2d(out, indices, 2, output_size=(9, 9))
    with pytest.raises(ValueError, match=r"max_unpool2d: expected a 3-D unbatched .* got "
                                         r"shape \(2, 2\)"):
        F.max_unpool2d(out[0, 0], indices[0, 0], 2)
    with pytest.raises(TypeError, match="max_unpool2d: indices must be integers"):
        F.max_unpool2d(out, indices.data.astype(float), 2)


def ref_adaptive_indices(x, out_sizes):
    """The flat in-plane index of the first maximum of each adaptive window, by loops."""
    size = x.shape[2:]
    result = np.empty(x.shape[:2] + tuple(out_sizes), dtype=np.int64)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for cell in np.ndindex(*out_sizes):
                ranges = [range(i * s // o, -(-(i + 1) * s // o))
                          for i, s, o in zip(cell, size, out_sizes)]
                best, where = -np.inf, None
                for pos in np.ndindex(*[len(r) for r in ranges]):
                    at = tuple(r[p] for r, p in zip(ranges, pos))
                    if x[(n, c) + at] > best:
                        best, where = x[(n, c) + at], np.ravel_multi_index(at, size)
                result[(n, c) + cell] = where
    return result


@pytest.mark.parametrize("dims, output_size", [(1, 3), (2, (2, 3)), (2, 1), (3, (2, 1, 3))])
def test_adaptive_max_pools_return_the_first_maximum_of_each_window(dims, output_size):
    x = np.round(RNG.standard_normal((2, 2) + (5, 4, 7)[:dims]))         # many ties
    out, indices = getattr(F, f"adaptive_max_pool{dims}d")(ad.tensor(x), output_size,
                                                           return_indices=True)
    sizes = (output_size,) * dims if isinstance(output_size, int) else output_size
    np.testing.assert_array_equal(indices.data, ref_adaptive_indices(x, sizes))
    rows = x.reshape(4, -1)
    np.testing.assert_array_equal(out.data.reshape(4, -1), np.take_along_axis(
        rows, indices.data.reshape(4, -1), axis=1))
    layer = getattr(nn, f"AdaptiveMaxPool{dims}d")(output_size, return_indices=True)
    np.testing.assert_array_equal(layer(ad.tensor(x))[1].data, indices.data)


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    for dims, shape, kwargs in CASES:
        x = np.round(RNG.standard_normal(shape))
        ours, ours_i = getattr(F, f"max_pool{dims}d")(ad.tensor(x), **kwargs,
                                                      return_indices=True)
        theirs, theirs_i = getattr(tf, f"max_pool{dims}d")(torch.tensor(x), **kwargs,
                                                           return_indices=True)
        np.testing.assert_array_equal(ours.data, theirs.numpy())
        np.testing.assert_array_equal(ours_i.data, theirs_i.numpy())
        rows = ours_i.data.reshape(x.shape[0] * x.shape[1], -1)
        if any(len(np.unique(row)) < len(row) for row in rows):
            continue     # a repeated index: the gradients differ by design (see unpool.py)
        mine = ad.tensor(ours.data, requires_grad=True)
        them = torch.tensor(theirs.numpy(), requires_grad=True)
        a = getattr(F, f"max_unpool{dims}d")(mine, ours_i, **kwargs, output_size=shape[2:])
        b = getattr(tf, f"max_unpool{dims}d")(them, theirs_i, **kwargs, output_size=shape[2:])
        np.testing.assert_array_equal(a.data, b.detach().numpy())
        g = RNG.standard_normal(a.shape)
        (a * g).sum().backward()
        (b * torch.tensor(g)).sum().backward()
        np.testing.assert_array_equal(mine.grad, them.grad.numpy())
    for dims, size in [(1, 3), (2, (2, 3)), (3, (2, None, 3))]:
        x = np.round(RNG.standard_normal((2, 2) + (5, 4, 7)[:dims]))
        ours = getattr(F, f"adaptive_max_pool{dims}d")(ad.tensor(x), size, return_indices=True)
        theirs = getattr(tf, f"adaptive_max_pool{dims}d")(torch.tensor(x), size,
                                                          return_indices=True)
        np.testing.assert_array_equal(ours[1].data, theirs[1].numpy())
    for name, args in [("MaxUnpool1d", (2,)), ("MaxUnpool2d", (3, 1, 1)), ("MaxUnpool3d", (2,)),
                       ("MaxPool1d", (2,)), ("MaxPool2d", (2,)), ("MaxPool2d", ((2, 3), 1, 1)),
                       ("MaxPool3d", (2, None, 1, 2, True))]:
        assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))
