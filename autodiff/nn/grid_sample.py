"""Spatial transformers: ``F.affine_grid`` and ``F.grid_sample`` (2-D), as PyTorch's.

``affine_grid`` maps the output's pixel centres (``align_corners=False``) or corners
(``True``), in normalized coordinates ``[-1, 1]``, through a batch of affine matrices
``theta``.  ``grid_sample`` reads an (N, C, H, W) input at such (x, y) locations:
``'bilinear'`` blends the four pixels around each location (its gradient reaches the
input and the grid), ``'nearest'`` takes the closest one (half-way rounds to even, as
PyTorch; the grid gets no gradient).  Outside the input, ``padding_mode='zeros'``
reads zeros, ``'border'`` the nearest edge pixel (the coordinate is clamped) and
``'reflection'`` the pixel mirrored at the edges (about the outer pixels' centres with
``align_corners=True``, their outer edges otherwise), then clamped.  As PyTorch's, a
clamped coordinate passes no gradient, on the edge itself too.  The pixel indices are
computed off the tape from the grid's values; the weights are recorded ops of the grid,
and the reads a gather.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..ops import elementwise as ew
from ..ops import shape as _shape
from ..ops.linalg import matmul
from ..ops.ordering import take_along_axis
from ..tensor import Tensor
from .functional_activation import float_tensor

_MODES = ("bilinear", "nearest")
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
    ``torch.nn.functional.affine_grid`` (``align_corners`` None means False).

    >>> identity = ad.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    >>> F.affine_grid(identity, (1, 1, 2, 2), align_corners=True)[0]
    tensor([[[-1., -1.],
             [ 1., -1.]],
    <BLANKLINE>
            [[-1.,  1.],
             [ 1.,  1.]]])
    """
    where = "affine_grid"
    theta = float_tensor(theta, where)
    size = tuple(int(s) for s in size)
    spatial = len(size) - 2
    if spatial not in (2, 3) or theta.shape != (size[0], spatial, spatial + 1):
        raise ValueError(f"{where}: expected theta of shape (N, 2, 3) with size (N, C, H, W), "
                         f"or (N, 3, 4) with size (N, C, D, H, W); got theta {theta.shape} "
                         f"and size {size}")
    if min(size) < 1:
        raise ValueError(f"{where}: size must be positive, got {size}")
    base = made("affine_grid base", _base_grid, (size[2:], bool(align_corners), theta.dtype))
    grid = matmul(base, _shape.transpose(theta, (0, 2, 1)))        # (N, prod, spatial)
    return _shape.reshape(grid, size[:1] + size[2:] + (spatial,))


def _corner_indices(ix, iy, h, w, nearest):
    """Flat indices ``y * W + x`` of the pixels each location reads (4 corners for
    bilinear: (y0, x0), (y0, x1), (y1, x0), (y1, x1); 1 for nearest), clipped into the
    image, and which of them lie inside it: (2, corners, N, L)."""
    if nearest:
        xs, ys = [np.rint(ix)], [np.rint(iy)]
    else:
        x0, y0 = np.floor(ix), np.floor(iy)
        xs, ys = [x0, x0 + 1, x0, x0 + 1], [y0, y0, y0 + 1, y0 + 1]
    flat, inside = [], []
    for x, y in zip(xs, ys):
        ok = (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)
        xi = np.clip(np.nan_to_num(x), 0, w - 1).astype(np.intp)
        yi = np.clip(np.nan_to_num(y), 0, h - 1).astype(np.intp)
        flat.append(yi * w + xi)
        inside.append(ok)
    return np.stack([np.stack(flat), np.stack(inside).astype(np.intp)])


def _reflected(coord, size, align_corners):
    """PyTorch's ``reflect_coordinates`` of pixel coordinates ``coord`` (an array) into
    ``[0, size - 1]`` (``align_corners``) or ``[-0.5, size - 0.5]``, and the slope of
    that map (+1 or -1)."""
    twice_low, twice_high = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
    if twice_low == twice_high:                     # one pixel, corners aligned
        return np.zeros_like(coord), np.zeros_like(coord)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    shifted = coord - low
    distance = np.abs(shifted)
    extra = np.fmod(distance, span)
    even = np.floor(distance / span) % 2 == 0
    value = np.where(even, extra + low, span - extra + low)
    slope = np.where(shifted < 0, -1.0, 1.0) * np.where(even, 1.0, -1.0)
    return value, slope


def _padded(coord, size, padding_mode, align_corners, part):
    """``'border'``'s or ``'reflection'``'s coordinate for ``coord`` (``part``
    ``"coordinate"``), the slope of that map (``"slope"``), or where it is not clamped
    (``"moving"``: the slope is 0 elsewhere, on the edge too, as PyTorch's
    ``clip_coordinates``)."""
    slope = np.ones_like(coord)
    if padding_mode == "reflection":
        coord, slope = _reflected(coord, size, align_corners)
    moving = (coord > 0) & (coord < size - 1)
    if part == "moving":
        return moving
    if part == "slope":
        return np.where(moving, slope, 0.0).astype(coord.dtype)
    return np.clip(coord, 0, size - 1).astype(coord.dtype)


def _pad(coord, size, padding_mode, align_corners):
    """``coord`` (a Tensor of pixel coordinates) moved into the image by
    ``padding_mode``, with the gradient of the map (see ``_padded``)."""
    value, slope, moving = (made(f"grid_sample {padding_mode} {part}", _padded,
                                 (coord.data, size, padding_mode, align_corners, part))
                            for part in ("coordinate", "slope", "moving"))
    # The value is the exact one; the slope carries the gradient (inf - inf is kept out
    # of the clamped places, whose slope is 0).
    return ew.where(moving, value + slope * (coord - ew.stop_gradient(coord)), value)


def _unnormalize(coord, size, align_corners):
    if align_corners:
        return (coord + 1.0) * ((size - 1) / 2.0)
    return ((coord + 1.0) * size - 1.0) / 2.0


def grid_sample(input, grid, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """Read (N, C, H, W) ``input`` at the (x, y) locations of ``grid`` (N, Ho, Wo, 2),
    normalized to [-1, 1], giving (N, C, Ho, Wo), as ``torch.nn.functional.grid_sample``
    with ``mode`` ``'bilinear'`` or ``'nearest'`` and ``padding_mode`` ``'zeros'``,
    ``'border'`` or ``'reflection'`` (``align_corners`` None means False).

    >>> image = ad.tensor([[[[0.0, 1.0], [2.0, 3.0]]]])
    >>> F.grid_sample(image, ad.tensor([[[[0.0, 0.0]]]]), align_corners=True)
    tensor([[[[1.5]]]])
    """
    where = "grid_sample"
    if mode not in _MODES:
        raise NotImplementedError(f"{where}: mode must be one of {list(_MODES)}, got {mode!r} "
                                  "('bicubic' is not implemented)")
    if padding_mode not in _PADDINGS:
        raise ValueError(f"{where}: padding_mode must be one of {list(_PADDINGS)}, got "
                         f"{padding_mode!r}")
    x = float_tensor(input, where)
    g = float_tensor(grid, where)
    if x.ndim != 4 or g.ndim != 4 or g.shape[0] != x.shape[0] or g.shape[3] != 2:
        raise ValueError(f"{where}: expected input (N, C, H, W) and grid (N, Ho, Wo, 2) with "
                         f"the same N, got input {x.shape} and grid {g.shape} (5-D volumes "
                         "are not supported)")
    n, c, h, w = x.shape
    _, ho, wo, _ = g.shape
    align_corners = bool(align_corners)
    ix = _unnormalize(_shape.reshape(g[..., 0], (n, ho * wo)), w, align_corners)
    iy = _unnormalize(_shape.reshape(g[..., 1], (n, ho * wo)), h, align_corners)
    if padding_mode != "zeros":
        ix = _pad(ix, w, padding_mode, align_corners)
        iy = _pad(iy, h, padding_mode, align_corners)
    nearest = mode == "nearest"
    corners = made(f"{where} pixels", _corner_indices, (ix.data, iy.data, h, w, nearest))
    pixels = _shape.reshape(x, (n, c, h * w))
    if nearest:
        # The grid enters with gradient 0 (as PyTorch's), so the output stays on its tape.
        no_gradient = made(f"{where} grid link", np.zeros, (ix.shape, bool))
        weights = [ew.where(no_gradient, ix + iy, 0.0)]
    else:
        fx = ix - ew.stop_gradient(ew.floor(ix))                  # position inside the cell
        fy = iy - ew.stop_gradient(ew.floor(iy))
        weights = [(1.0 - fx) * (1.0 - fy), fx * (1.0 - fy), (1.0 - fx) * fy, fx * fy]
    total = None
    for k, weight in enumerate(weights):
        index = made(f"{where} corner index", _spread_over_channels, (corners, k, c))
        value = take_along_axis(pixels, index, axis=2)            # (N, C, L)
        inside = made(f"{where} corner inside", _inside_mask, (corners, k, x.dtype))
        weight = weight + inside if nearest else weight * inside
        term = value * _shape.expand_dims(weight, 1)
        total = term if total is None else total + term
    return _shape.reshape(total, (n, c, ho, wo))


def _spread_over_channels(corners, k, channels):
    index = corners[0, k]
    return np.ascontiguousarray(np.broadcast_to(index[:, None, :], (index.shape[0], channels,
                                                                    index.shape[1])))


def _inside_mask(corners, k, dtype):
    return corners[1, k].astype(dtype)
