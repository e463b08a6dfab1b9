"""Resizing images and sequences: ``F.interpolate`` and ``nn.Upsample`` for modes
``'nearest'`` and ``'nearest-exact'`` (3-D, 4-D and 5-D input), ``'linear'``,
``'bilinear'``, ``'bicubic'`` (4-D), ``'trilinear'`` and ``'area'``, with PyTorch's
arguments and index arithmetic.

Each spatial axis is resized on its own, as a gather (``take``) of the source
positions, so the gradient is a scatter-add and higher orders follow.  The source
positions follow PyTorch's CPU kernels exactly, including their rounding:

* nearest: ``src = min(floor(dst * scale), in - 1)``, with ``scale = 1 / scale_factor``
  when a scale factor is given (and not recomputed), else ``in / out`` (see
  ``_nearest_index`` for the rounding, which differs between PyTorch's 2-D kernel and
  its 1-D and 3-D ones);
* bilinear, ``align_corners=False``: ``src = max(scale * (dst + 0.5) - 0.5, 0)``;
  ``align_corners=True``: ``src = dst * (in - 1) / (out - 1)``; computed in the
  input's dtype and blended between ``floor(src)`` and the next position;
* nearest-exact: ``src = min(floor((dst + 0.5) * scale), in - 1)``;
* bicubic: as bilinear but ``src`` is not clamped at 0, and the four positions
  ``floor(src) - 1 ... floor(src) + 2`` (clamped into the axis) are blended with Keys'
  cubic weights (A = -0.75).  Where the size stays but a scale factor is given,
  PyTorch's backward copies the gradient through although its forward interpolates;
  the gradient here is that of the forward.
"""

from __future__ import annotations

import math

import numpy as np

from ..compile.hooks import made
from ..ops.indexing import take
from ..tensor import Tensor
from . import functional_conv as FC
from .conv import _is_int
from .module import Module
from .upsample_antialias import antialiased

_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
#: The input dims each interpolating mode takes: (N, C) and one spatial dim per letter
_INTERPOLATING_NDIM = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
#: Keys' cubic convolution coefficient, PyTorch's
_CUBIC_A = -0.75


def _scale(n_in, n_out, scale_factor, dtype):
    """Input positions per output position along one axis, in ``dtype``, as PyTorch's
    ``area_pixel_compute_scale``: ``1 / scale_factor`` when one is given, else in / out."""
    if scale_factor is not None and scale_factor > 0:
        return dtype.type(1.0 / scale_factor)
    return dtype.type(n_in) / dtype.type(n_out)


def _nearest_index(n_in, n_out, scale_factor, dtype, two_d):
    """Which input position each output position copies, as PyTorch's CPU kernels pick
    it: the 2-D kernel copies when the sizes are equal, halves the index when the output
    is twice the input, and otherwise computes in float32; the 1-D and 3-D kernels
    compute ``dst * scale`` in the input's precision and round it to float32 before
    the floor."""
    dst = np.arange(n_out)
    if two_d and n_out == n_in:
        return dst
    if two_d and n_out == 2 * n_in:
        return dst >> 1
    dtype = np.dtype(np.float32 if two_d else dtype)
    scale = _scale(n_in, n_out, scale_factor, dtype)
    src = (dst.astype(dtype) * scale).astype(np.float32)
    return np.minimum(np.floor(src).astype(np.int64), n_in - 1)


def _nearest_exact_index(n_in, n_out, scale_factor, dtype, two_d):
    """``nearest-exact``: the input position nearest each output position's centre,
    ``min(floor((dst + 0.5) * scale), in - 1)``, with PyTorch's float32 rounding (a
    float32 scale in the 2-D kernel, the input's precision in the 1-D and 3-D ones)."""
    dst = np.arange(n_out)
    dtype = np.dtype(np.float32 if two_d else dtype)
    scale = _scale(n_in, n_out, scale_factor, dtype)
    if two_d:
        src = ((dst + 0.5) * np.float64(scale)).astype(np.float32)
    else:
        src = ((dst.astype(dtype) + dtype.type(0.5)) * scale).astype(np.float32)
    return np.minimum(np.floor(src).astype(np.int64), n_in - 1)


def _source_positions(n_in, n_out, scale_factor, align_corners, dtype):
    """The source coordinate of each output position along one axis, in the input's
    precision, as PyTorch's ``area_pixel_compute_source_index`` (not clamped)."""
    dst = np.arange(n_out).astype(dtype)
    if align_corners:
        scale = dtype.type(n_in - 1) / dtype.type(n_out - 1) if n_out > 1 else dtype.type(0)
        return scale * dst
    scale = _scale(n_in, n_out, scale_factor, dtype)
    return scale * (dst + dtype.type(0.5)) - dtype.type(0.5)


def _cubic_taps(n_in, n_out, scale_factor, align_corners, dtype):
    """The four source positions (clamped into the axis) and Keys' weights of each
    output position along one axis, as PyTorch's bicubic kernel: the source position
    is not clamped before the taps are taken."""
    src = _source_positions(n_in, n_out, scale_factor, align_corners, dtype)
    corner = np.floor(src)
    t = (src - corner).astype(dtype)
    corner = corner.astype(np.int64)
    indices = [np.clip(corner + offset, 0, n_in - 1) for offset in (-1, 0, 1, 2)]
    a = dtype.type(_CUBIC_A)

    def near(x):                                   # |offset| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):                                    # 1 < |offset| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    one = dtype.type(1)
    weights = [far(t + one), near(t), near(one - t), far(2 * one - t)]
    return indices, [w.astype(dtype) for w in weights]


def _cubic_index(n_in, n_out, scale_factor, align_corners, dtype, which):
    return _cubic_taps(n_in, n_out, scale_factor, align_corners, np.dtype(dtype))[0][which]


def _cubic_weights(n_in, n_out, scale_factor, align_corners, dtype, which, ndim, axis):
    weights = _cubic_taps(n_in, n_out, scale_factor, align_corners, np.dtype(dtype))[1][which]
    shape = [1] * ndim
    shape[axis] = n_out
    return weights.reshape(shape)


def _linear_taps(n_in, n_out, scale_factor, align_corners, dtype):
    """Lower and upper source positions and their weights for one axis (PyTorch's
    ``compute_indices_weights_linear``, in the input's precision)."""
    one = dtype.type(1)
    if n_in == n_out:                  # PyTorch copies, whatever the scale factor
        same = np.arange(n_out)
        return same, same, np.ones(n_out, dtype), np.zeros(n_out, dtype)
    # (clamped at 0: with align_corners the positions are never below it)
    src = np.maximum(_source_positions(n_in, n_out, scale_factor, align_corners, dtype),
                     dtype.type(0))
    lower = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    weight_upper = np.clip(src - lower.astype(dtype), 0, 1).astype(dtype)
    upper = lower + (lower < n_in - 1)
    return lower, upper, (one - weight_upper).astype(dtype), weight_upper


def _linear_weights(n_in, n_out, scale_factor, align_corners, dtype, which, ndim, axis):
    weights = _linear_taps(n_in, n_out, scale_factor, align_corners, np.dtype(dtype))[which]
    shape = [1] * ndim
    shape[axis] = n_out
    return weights.reshape(shape)


def _linear_index(n_in, n_out, scale_factor, align_corners, dtype, which):
    return _linear_taps(n_in, n_out, scale_factor, align_corners, np.dtype(dtype))[which]


def _output_sizes(shape, size, scale_factor, recompute_scale_factor, where):
    dims = len(shape) - 2
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{where}: give exactly one of size and scale_factor (got "
                         f"size={size!r}, scale_factor={scale_factor!r})")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(f"{where}: recompute_scale_factor is not meaningful with an "
                             "explicit size")
        sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,) * dims
        if len(sizes) != dims or not all(_is_int(s) for s in sizes):
            raise ValueError(f"{where}: size must be an int or {dims} ints for an input with "
                             f"{dims} spatial axes (shape {tuple(shape)}), got {size!r}")
        out, factors = tuple(int(s) for s in sizes), (None,) * dims
    else:
        factors = (tuple(scale_factor) if isinstance(scale_factor, (tuple, list))
                   else (scale_factor,) * dims)
        if len(factors) != dims or not all(isinstance(f, (int, float, np.integer, np.floating))
                                           and not isinstance(f, bool) for f in factors):
            raise ValueError(f"{where}: scale_factor must be a number or {dims} numbers for an "
                             f"input with {dims} spatial axes (shape {tuple(shape)}), got "
                             f"{scale_factor!r}")
        factors = tuple(float(f) for f in factors)
        out = tuple(math.floor(n * f) for n, f in zip(shape[2:], factors))
        if recompute_scale_factor:        # PyTorch then forgets the factors
            factors = (None,) * dims
    if min(out) < 1 or min(shape[2:]) < 1:
        raise ValueError(f"{where}: input and output sizes must be greater than 0, got input "
                         f"spatial size {tuple(shape[2:])} and output size {out}")
    return out, factors


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial axes of (N, C, L), (N, C, H, W) or (N, C, D, H, W) ``input`` to
    ``size`` or by ``scale_factor``, as ``torch.nn.functional.interpolate``; ``mode`` is
    ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-D input), ``'bilinear'`` or
    ``'bicubic'`` (4-D) or ``'trilinear'`` (5-D), these four with ``align_corners``, or
    ``'area'`` (adaptive average pooling).  ``antialias=True`` with ``'bilinear'`` or
    ``'bicubic'`` is PyTorch's antialiased resize (upsample_antialias.py).

    >>> x = ad.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> F.interpolate(x, scale_factor=2)[0, 0]
    tensor([[1., 1., 2., 2.],
            [1., 1., 2., 2.],
            [3., 3., 4., 4.],
            [3., 3., 4., 4.]])
    >>> F.interpolate(x, size=(3, 3), mode="bilinear", align_corners=True)[0, 0]
    tensor([[1. , 1.5, 2. ],
            [2. , 2.5, 3. ],
            [3. , 3.5, 4. ]])
    """
    where = "interpolate"
    if mode not in _MODES:
        raise NotImplementedError(f"{where}: mode must be one of {list(_MODES)}, got "
                                  f"{mode!r}")
    shape = FC._shape_of(input)
    if antialias and (mode not in ("bilinear", "bicubic") or len(shape) != 4):
        raise NotImplementedError(
            f"{where}: antialias=True is supported for mode='bilinear' and 'bicubic' on a "
            f"4-D (N, C, H, W) input, as in PyTorch, got {mode=} and an input of shape "
            f"{tuple(shape)}; resize without it, or with F.avg_pool2d first to average")
    FC._float_input(input, where)
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError(f"{where}: align_corners can only be set with the interpolating "
                             f"modes ('linear', 'bilinear', 'trilinear'), not with {mode=}")
        if len(shape) not in (3, 4, 5):
            raise ValueError(f"{where}: {mode=} expects a 3-D (N, C, L), 4-D (N, C, H, W) "
                             f"or 5-D (N, C, D, H, W) input, got shape {tuple(shape)}")
    elif len(shape) != _INTERPOLATING_NDIM[mode]:
        raise ValueError(f"{where}: {mode=} expects a {_INTERPOLATING_NDIM[mode]}-D input "
                         f"(N, C and {_INTERPOLATING_NDIM[mode] - 2} spatial dims), got shape "
                         f"{tuple(shape)}")
    out, factors = _output_sizes(shape, size, scale_factor, recompute_scale_factor, where)
    x = FC._as_tensor(input)
    if mode == "area":                    # PyTorch's 'area' is adaptive average pooling
        from . import functional as F
        pool = (F.adaptive_avg_pool1d, F.adaptive_avg_pool2d, F.adaptive_avg_pool3d)
        return pool[len(shape) - 3](x, tuple(out))
    if antialias:
        return antialiased(x, out, factors, mode, align_corners)
    for k, (n_in, n_out, factor) in enumerate(zip(shape[2:], out, factors)):
        axis = 2 + k
        if mode == "nearest":
            index = made("nearest index", _nearest_index,
                         (n_in, n_out, factor, x.dtype, len(shape) == 4))
            x = take(x, index, axis=axis)
            continue
        if mode == "nearest-exact":
            index = made("nearest-exact index", _nearest_exact_index,
                         (n_in, n_out, factor, x.dtype, len(shape) == 4))
            x = take(x, index, axis=axis)
            continue
        args = (n_in, n_out, factor, bool(align_corners), x.dtype)
        if mode == "bicubic":
            taps = [take(x, made("bicubic index", _cubic_index, args + (k,)), axis=axis)
                    * made("bicubic weight", _cubic_weights, args + (k, x.ndim, axis))
                    for k in range(4)]
            x = taps[0] + taps[1] + taps[2] + taps[3]
            continue
        lower = made("bilinear index", _linear_index, args + (0,))
        upper = made("bilinear index", _linear_index, args + (1,))
        w_lower = made("bilinear weight", _linear_weights, args + (2, x.ndim, axis))
        w_upper = made("bilinear weight", _linear_weights, args + (3, x.ndim, axis))
        x = take(x, lower, axis=axis) * w_lower + take(x, upper, axis=axis) * w_upper
    return x


def upsample(input, size=None, scale_factor=None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """PyTorch's deprecated name of ``interpolate`` (the same arguments and result).

    >>> F.upsample(ad.tensor([[[1.0, 2.0]]]), scale_factor=2)
    tensor([[[1., 1., 2., 2.]]])
    """
    return interpolate(input, size, scale_factor, mode, align_corners)


class Upsample(Module):
    """``F.interpolate`` as a layer (no parameters), as ``torch.nn.Upsample``.

    >>> up = ad.nn.Upsample(scale_factor=2, mode="bilinear")
    >>> up
    Upsample(scale_factor=2.0, mode='bilinear')
    >>> up(ad.tensor(np.ones((1, 3, 4, 5)))).shape
    (1, 3, 8, 10)
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None):
        super().__init__()
        if mode not in _MODES:
            raise NotImplementedError(f"Upsample: mode must be one of {list(_MODES)}, got "
                                      f"{mode!r}")
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        if self.scale_factor is not None:
            text = f"scale_factor={self.scale_factor!r}"
        else:
            text = f"size={self.size!r}"
        return text + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample(size, scale_factor, mode='nearest')`` for (N, C, H, W) images, as
    ``torch.nn.UpsamplingNearest2d``.

    >>> ad.nn.UpsamplingNearest2d(scale_factor=2)(ad.tensor(np.ones((1, 1, 2, 3)))).shape
    (1, 1, 4, 6)
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(size, scale_factor, mode='bilinear', align_corners=True)`` for
    (N, C, H, W) images, as ``torch.nn.UpsamplingBilinear2d`` (note: corners aligned).

    >>> ad.nn.UpsamplingBilinear2d(size=(3, 3))(ad.tensor([[[[0.0, 2.0], [4.0, 6.0]]]]))
    tensor([[[[0., 1., 2.],
              [2., 3., 4.],
              [4., 5., 6.]]]])
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
