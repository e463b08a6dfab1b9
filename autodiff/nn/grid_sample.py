"""Spatial transformers: ``F.affine_grid`` and ``F.grid_sample`` (images and volumes),
as PyTorch's.

``affine_grid`` maps the output's pixel centres (``align_corners=False``) or corners
(``True``), in normalized coordinates ``[-1, 1]``, through a batch of affine matrices
``theta``.  ``grid_sample`` reads an (N, C, H, W) image at (x, y) locations, or an
(N, C, D, H, W) volume at (x, y, z) ones: ``'bilinear'`` blends the 4 (8 in a volume)
pixels around each location (its gradient reaches the input and the grid),
``'nearest'`` takes the closest one (half-way rounds to even, as PyTorch; the grid gets
no gradient), ``'bicubic'`` (images only) blends 4x4 pixels (``grid_sample_bicubic``).
Outside the input, ``padding_mode='zeros'`` reads zeros, ``'border'`` the nearest edge
pixel and ``'reflection'`` the pixel mirrored at the edges (``grid_coordinates``).  The
pixel indices are computed off the tape from the grid's values; the weights are recorded
ops of the grid, and the reads a gather.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..compile.hooks import made
from ..ops import elementwise as ew
from ..ops import shape as _shape
from ..ops.linalg import matmul
from ..ops.ordering import take_along_axis
from ..tensor import Tensor
from .functional_activation import float_tensor
from .grid_coordinates import pad, unnormalize
from .grid_sample_bicubic import bicubic_sample

_MODES = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")


def _base_grid(sizes, align_corners, dtype):
    """(prod(sizes), len(sizes) + 1) rows ``[x, y, (z,) 1]`` of the output's normalized
    positions, x varying fastest (sizes are given as (H, W) or (D, H, W))."""
    axes = []
    for n in sizes:
        points = np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1)
        axes.append(points if align_corners else points * (n - 1) / n)
    mesh = np.meshgrid(*axes, indexing="ij")             # (D,) H, W order
    columns = [m.ravel() for m in reversed(mesh)] + [np.ones(mesh[0].size)]
    return np.stack(columns, axis=1).astype(dtype)


def affine_grid(theta, size, align_corners: bool | None = None) -> Tensor:
    """The sampling grid of the affine maps ``theta`` (N, 2, 3) for an output of
    ``size`` (N, C, H, W) — shape (N, H, W, 2), (x, y) in [-1, 1] — or of ``theta``
    (N, 3, 4) for (N, C, D, H, W) — shape (N, D, H, W, 3) — as
    ``torch.nn.functional.affine_grid`` (``align_corners`` None means False, with
    PyTorch's warning).

    >>> identity = ad.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    >>> F.affine_grid(identity, (1, 1, 2, 2), align_corners=True)[0]
    tensor([[[-1., -1.],
             [ 1., -1.]],
    <BLANKLINE>
            [[-1.,  1.],
             [ 1.,  1.]]])
    """
    where = "affine_grid"
    align_corners = _resolved_align_corners(align_corners)
    theta = float_tensor(theta, where)
    size = tuple(int(s) for s in size)
    spatial = len(size) - 2
    if spatial not in (2, 3) or theta.shape != (size[0], spatial, spatial + 1):
        raise ValueError(f"{where}: expected theta of shape (N, 2, 3) with size (N, C, H, W), "
                         f"or (N, 3, 4) with size (N, C, D, H, W); got theta {theta.shape} "
                         f"and size {size}")
    if min(size) < 1:
        raise ValueError(f"{where}: size must be positive, got {size}")
    if align_corners and min(size[2:]) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      UserWarning, stacklevel=2)
    base = made("affine_grid base", _base_grid, (size[2:], align_corners, theta.dtype))
    grid = matmul(base, _shape.transpose(theta, (0, 2, 1)))        # (N, prod, spatial)
    return _shape.reshape(grid, size[:1] + size[2:] + (spatial,))


def _corner_indices(sizes, nearest, *coords):
    """Flat indices (x + W * (y + H * z)) of the pixels each location reads, for pixel
    coordinates ``coords`` (x, y[, z]) in an image of ``sizes`` (W, H[, D]): the 2 ** k
    corners of its cell for linear (corner ``j`` takes the upper neighbour along axis
    ``a`` where bit ``a`` of ``j`` is set), the closest pixel for nearest; clipped into
    the image, with which of them lie inside it: (2, corners, N, L)."""
    lows = [np.rint(c) if nearest else np.floor(c) for c in coords]
    flat, inside = [], []
    for corner in range(1 if nearest else 2 ** len(coords)):
        index, ok, stride = 0, True, 1
        for axis, (low, size) in enumerate(zip(lows, sizes)):
            at = low + ((corner >> axis) & 1)
            ok = ok & (at >= 0) & (at <= size - 1)
            index = index + stride * np.clip(np.nan_to_num(at), 0, size - 1).astype(np.intp)
            stride *= size
        flat.append(index)
        inside.append(ok)
    return np.stack([np.stack(flat), np.stack(inside).astype(np.intp)])


def grid_sample(input, grid, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """Read ``input`` (N, C, H, W) at the (x, y) locations of ``grid`` (N, Ho, Wo, 2),
    giving (N, C, Ho, Wo), or a volume (N, C, D, H, W) at the (x, y, z) locations of
    ``grid`` (N, Do, Ho, Wo, 3), giving (N, C, Do, Ho, Wo), as
    ``torch.nn.functional.grid_sample``: locations normalized to [-1, 1], ``mode``
    ``'bilinear'`` (trilinear for volumes), ``'nearest'`` or ``'bicubic'`` (images only),
    ``padding_mode`` ``'zeros'``, ``'border'`` or ``'reflection'``; ``align_corners``
    None means False, with PyTorch's warning.

    >>> image = ad.tensor([[[[0.0, 1.0], [2.0, 3.0]]]])
    >>> F.grid_sample(image, ad.tensor([[[[0.0, 0.0]]]]), align_corners=True)
    tensor([[[[1.5]]]])
    """
    where = "grid_sample"
    if mode not in _MODES:
        raise ValueError(f"{where}: mode must be one of {list(_MODES)}, got {mode!r}")
    if padding_mode not in _PADDINGS:
        raise ValueError(f"{where}: padding_mode must be one of {list(_PADDINGS)}, got "
                         f"{padding_mode!r}")
    align_corners = _resolved_align_corners(align_corners)
    x = float_tensor(input, where)
    g = float_tensor(grid, where)
    spatial = x.ndim - 2
    if (x.ndim not in (4, 5) or g.ndim != x.ndim or g.shape[0] != x.shape[0]
            or g.shape[-1] != spatial):
        raise ValueError(f"{where}: expected input (N, C, H, W) with grid (N, Ho, Wo, 2), or "
                         f"input (N, C, D, H, W) with grid (N, Do, Ho, Wo, 3), the same N; "
                         f"got input {x.shape} and grid {g.shape}")
    if x.dtype != g.dtype:
        raise ValueError(f"{where}: input and grid must have the same dtype, got {x.dtype} "
                         f"and {g.dtype}; cast one with .astype()")
    if min(x.shape[2:]) == 0:
        raise ValueError(f"{where}: input has an empty spatial dimension: {x.shape}")
    if mode == "bicubic":
        if spatial == 3:
            raise NotImplementedError(f"{where}: mode 'bicubic' supports 4-D input (N, C, H, "
                                      f"W) only, as PyTorch's; got input {x.shape}; use "
                                      "'bilinear' or 'nearest' for volumes")
        return bicubic_sample(x, g, padding_mode, align_corners)
    n, c = x.shape[:2]
    sizes = x.shape[2:][::-1]                          # (W, H[, D]), the grid's axis order
    points = int(np.prod(g.shape[1:-1]))
    coords = []
    for axis, size in enumerate(sizes):
        coord = unnormalize(_shape.reshape(g[..., axis], (n, points)), size, align_corners)
        if padding_mode != "zeros":
            coord = pad(coord, size, padding_mode, align_corners,
                        nan_at=0 if spatial == 2 else size - 1)
        coords.append(coord)
    nearest = mode == "nearest"
    corners = made(f"{where} pixels", _corner_indices,
                   (sizes, nearest) + tuple(coord.data for coord in coords))
    if nearest:
        # The grid enters with gradient 0 (as PyTorch's), so the output stays on its tape.
        no_gradient = made(f"{where} grid link", np.zeros, ((n, points), bool))
        weights = [ew.where(no_gradient, sum(coords[1:], coords[0]), 1.0)]
    else:
        weights = _linear_weights(coords, skip_non_finite=spatial == 3)
    pixels = _shape.reshape(x, (n, c, int(np.prod(x.shape[2:]))))
    total = None
    for k, weight in enumerate(weights):
        index = made(f"{where} corner index", _spread_over_channels, (corners, k, c))
        value = take_along_axis(pixels, index, axis=2)            # (N, C, L)
        weight = _shape.expand_dims(weight, 1)
        inside = made(f"{where} corner inside", _inside_mask, (corners, k))
        # A corner outside reads 0 and gets no gradient.  PyTorch's 2-D kernel multiplies
        # that 0 by the weight (nan for a weight of inf or nan), its 3-D one skips it.
        value = ew.where(inside, value, 0.0)
        term = value * (weight if spatial == 2 else ew.where(inside, weight, 0.0))
        total = term if total is None else total + term
    return _shape.reshape(total, (n, c) + g.shape[1:-1])


def _linear_weights(coords, skip_non_finite):
    """The (bi/tri)linear weight of each corner of ``_corner_indices``, in its order.
    ``skip_non_finite``: an inf or nan coordinate (whose corners all lie outside) counts
    as 0 into its cell, so the location passes the grid no nan, as PyTorch's 3-D kernel."""
    fractions = [coord - ew.stop_gradient(ew.floor(coord)) for coord in coords]
    if skip_non_finite:
        fractions = [ew.where(made("grid_sample finite", np.isfinite, (coord.data,)),
                              fraction, 0.0) for coord, fraction in zip(coords, fractions)]
    weights = [None]
    for fraction in fractions:                          # x toggles fastest, as the corners
        weights = [w * f if w is not None else f
                   for f in (1.0 - fraction, fraction) for w in weights]
    return weights


def _resolved_align_corners(align_corners):
    """``align_corners`` as a bool; None warns as PyTorch's and means False."""
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                      "align_corners=False since 1.3.0. Please specify align_corners=True "
                      "if the old behavior is desired. See the documentation of grid_sample "
                      "for details.", UserWarning, stacklevel=3)
        return False
    return bool(align_corners)


def _spread_over_channels(corners, k, channels):
    index = corners[0, k]
    return np.ascontiguousarray(np.broadcast_to(index[:, None, :], (index.shape[0], channels,
                                                                    index.shape[1])))


def _inside_mask(corners, k):
    return corners[1, k].astype(bool)[:, None, :]
