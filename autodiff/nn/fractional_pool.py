"""Fractional max pooling (Graham, 2014), as PyTorch's ``F.fractional_max_pool2d`` /
``3d`` and ``nn.FractionalMaxPool2d`` / ``3d``: each output entry is the max over a
``kernel_size`` window whose start steps through the input by a pseudo-random
fraction.  The start positions come from one uniform sample per plane and dimension
(``_random_samples``, shape ``(N, C, 2)`` or ``(N, C, 3)``, drawn when not given), by
PyTorch's rule, so passing PyTorch's samples gives its windows exactly.  The max is
taken by gathering the chosen entries (recorded), so the gradient goes to the first
maximum of each window, as in max pooling.

>>> x = ad.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
>>> F.fractional_max_pool2d(x, 2, output_size=2, _random_samples=np.zeros((1, 1, 2)))
tensor([[[[ 5.,  7.],
          [13., 15.]]]])
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..compile.hooks import made
from ..ops.operands import tensor_of
from ..ops.ordering import take_along_axis
from ..ops.shape import reshape
from ..tensor import Tensor
from .module import Module

__all__ = ["fractional_max_pool2d", "fractional_max_pool3d",
           "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices",
           "FractionalMaxPool2d", "FractionalMaxPool3d"]


class PoolWithIndices(NamedTuple):
    """The pooled values and the flat index of each one in its input plane."""

    output: Tensor
    indices: Tensor


def _tuple(value, dims: int, what: str, where: str) -> tuple:
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims
    if len(values) != dims:
        raise ValueError(f"{where}: {what} must be one number or {dims}, got {value!r}")
    return values


def _window_starts(samples, input_size: int, output_size: int, pool_size: int):
    """PyTorch's ``generate_intervals``: ``(N, C, output_size)`` start positions, computed
    in the samples' dtype as PyTorch computes them in the input's."""
    starts = np.empty(samples.shape + (output_size,), dtype=np.int64)
    if output_size > 1:
        alpha = samples.dtype.type(input_size - pool_size) / samples.dtype.type(
            output_size - 1)
        steps = np.arange(output_size - 1, dtype=samples.dtype)
        starts[..., :-1] = ((steps + samples[..., None]) * alpha).astype(np.int64) - \
            (samples * alpha).astype(np.int64)[..., None]
    starts[..., -1] = input_size - pool_size
    return starts


def _argmax_indices(values, samples, kernel, out_size):
    """For each output entry of ``values`` ``(N, C, *spatial)``, the flat index (within
    its plane) of the first maximum of its window."""
    spatial = values.shape[2:]
    dims = len(spatial)
    # PyTorch reads sample 0 for the width in 2-D and for the time dim in 3-D
    order = (1, 0) if dims == 2 else (0, 1, 2)
    positions = []          # per dim: (N, C, out, kernel) positions
    for d in range(dims):
        starts = _window_starts(samples[..., order[d]], spatial[d], out_size[d], kernel[d])
        positions.append(starts[..., None] + np.arange(kernel[d]))
    n, c = values.shape[:2]
    # each dim's (N, C, out, kernel) positions spread over (N, C, out_1.., k_1..) axes
    index = [where.reshape([n, c] + [out_size[d] if i == d else 1 for i in range(dims)]
                           + [kernel[d] if i == d else 1 for i in range(dims)])
             for d, where in enumerate(positions)]
    full = (n, c) + tuple(out_size) + tuple(kernel)
    index = [np.broadcast_to(i, full) for i in index]
    ones = (1,) * (2 * dims)
    windows = values[(np.arange(n).reshape((n, 1) + ones),
                      np.arange(c).reshape((1, c) + ones), *index)]
    best = np.argmax(windows.reshape(n, c, *out_size, -1), axis=-1)  # the first maximum
    chosen = [np.take_along_axis(i.reshape(n, c, *out_size, -1), best[..., None], -1)[..., 0]
              for i in index]
    return np.ravel_multi_index(tuple(chosen), spatial).astype(np.int64)


def _fractional_max_pool(input, kernel_size, output_size, output_ratio, samples, dims, where):
    x = tensor_of(input)
    if x.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"{where}: expected a {dims + 1}-D (unbatched) or {dims + 2}-D "
                         f"input, got shape {x.shape}")
    unbatched = x.ndim == dims + 1
    if unbatched:
        x = reshape(x, (1,) + x.shape)
    spatial = x.shape[2:]
    kernel = tuple(int(k) for k in _tuple(kernel_size, dims, "kernel_size", where))
    if output_size is None and output_ratio is None:
        raise ValueError(f"{where} requires specifying either an output_size or an "
                         "output_ratio")
    if output_size is not None:
        out_size = tuple(int(o) for o in _tuple(output_size, dims, "output_size", where))
    else:
        ratios = _tuple(output_ratio, dims, "output_ratio", where)
        if not all(0 < float(q) < 1 for q in ratios):
            raise ValueError(f"{where}: output_ratio must be between 0 and 1 (exclusive), "
                             f"got {output_ratio!r}")
        out_size = tuple(int(s * float(q)) for s, q in zip(spatial, ratios))
    for d in range(dims):
        if kernel[d] < 1 or out_size[d] < 1 or out_size[d] + kernel[d] - 1 > spatial[d]:
            raise ValueError(f"{where}: kernel_size {kernel} and output size {out_size} do "
                             f"not fit input of shape {tuple(input.shape)}: pool size + "
                             "output size - 1 must be <= the input size in each dim")
    n, c = x.shape[:2]
    if samples is None:
        from ..creation import rand
        samples = rand(n, c, dims, dtype=x.dtype).data
    samples = np.asarray(getattr(samples, "data", samples))
    if samples.shape != (n, c, dims):
        raise ValueError(f"{where}: _random_samples must have shape {(n, c, dims)} (N, C, "
                         f"{dims}) for input of shape {tuple(input.shape)}, got "
                         f"{samples.shape}")
    samples = samples.astype(x.dtype if x.dtype.kind == "f" else np.float64)
    indices = made(where, _argmax_indices, (x.data, samples, kernel, out_size))
    flat_out = take_along_axis(reshape(x, (n, c, -1)), indices.reshape(n, c, -1), axis=2)
    output = reshape(flat_out, (n, c) + out_size)
    if unbatched:
        output, indices = output[0], indices[0]
    return PoolWithIndices(output, Tensor(indices))


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None,
                                       output_ratio=None, return_indices=False,
                                       _random_samples=None) -> PoolWithIndices:
    """``(output, indices)`` of ``fractional_max_pool2d`` (indices into each H*W plane),
    as ``torch.nn.functional.fractional_max_pool2d_with_indices``."""
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio,
                                _random_samples, 2, "fractional_max_pool2d")


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None,
                                       output_ratio=None, return_indices=False,
                                       _random_samples=None) -> PoolWithIndices:
    """``(output, indices)`` of ``fractional_max_pool3d`` (indices into each D*H*W
    volume), as ``torch.nn.functional.fractional_max_pool3d_with_indices``."""
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio,
                                _random_samples, 3, "fractional_max_pool3d")


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Fractional max pooling of ``(N, C, H, W)`` or ``(C, H, W)`` input to
    ``output_size`` (or ``output_ratio`` of the input's size), as
    ``torch.nn.functional.fractional_max_pool2d``; see the module's docstring.

    >>> F.fractional_max_pool2d(ad.ones((1, 5, 5)), 2, output_ratio=0.5).shape
    (1, 2, 2)
    """
    result = fractional_max_pool2d_with_indices(input, kernel_size, output_size,
                                                output_ratio, return_indices, _random_samples)
    return result if return_indices else result.output


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Fractional max pooling of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input, as
    ``torch.nn.functional.fractional_max_pool3d``; see ``fractional_max_pool2d``.

    >>> F.fractional_max_pool3d(ad.ones((1, 1, 4, 4, 4)), 2, output_size=2).shape
    (1, 1, 2, 2, 2)
    """
    result = fractional_max_pool3d_with_indices(input, kernel_size, output_size,
                                                output_ratio, return_indices, _random_samples)
    return result if return_indices else result.output


class _FractionalMaxPool(Module):
    _dims = 2

    def __init__(self, kernel_size, output_size=None, output_ratio=None,
                 return_indices: bool = False, _random_samples=None):
        super().__init__()
        where = type(self).__name__
        if output_size is None and output_ratio is None:
            raise ValueError(f"{where} requires specifying either an output size, or a "
                             "pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError(f"{where}: only one of output_size and output_ratio may be "
                             "specified")
        self.kernel_size = kernel_size
        self.output_size = output_size
        self.output_ratio = output_ratio
        self.return_indices = return_indices
        self._random_samples = _random_samples

    def forward(self, input):
        result = _fractional_max_pool(input, self.kernel_size, self.output_size,
                                      self.output_ratio, self._random_samples, self._dims,
                                      f"fractional_max_pool{self._dims}d")
        return result if self.return_indices else result.output


class FractionalMaxPool2d(_FractionalMaxPool):
    """``F.fractional_max_pool2d`` as a layer, as ``torch.nn.FractionalMaxPool2d``.

    >>> nn.FractionalMaxPool2d(3, output_ratio=0.5)(ad.ones((1, 1, 8, 8))).shape
    (1, 1, 4, 4)
    """

    _dims = 2


class FractionalMaxPool3d(_FractionalMaxPool):
    """``F.fractional_max_pool3d`` as a layer, as ``torch.nn.FractionalMaxPool3d``.

    >>> nn.FractionalMaxPool3d(2, output_size=(2, 2, 2))(ad.ones((1, 1, 4, 4, 4))).shape
    (1, 1, 2, 2, 2)
    """

    _dims = 3
