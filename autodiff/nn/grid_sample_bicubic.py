"""``F.grid_sample(..., mode='bicubic')`` of (N, C, H, W) images, as PyTorch's.

Each location blends the 4x4 pixels around it with Keys' cubic convolution weights
(coefficient ``A = -0.75``, as PyTorch's).  The location itself is not padded: the
padding mode moves each of the 16 pixel positions it reads into the image (``'border'``
clamps them, ``'reflection'`` mirrors then clamps them) or, for ``'zeros'``, reads 0
where one lies outside.  So the grid's gradient is that of the weights alone, and the
input's gradient lands on the pixels actually read.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..ops import elementwise as ew
from ..ops import shape as _shape
from ..ops.ordering import take_along_axis
from .grid_coordinates import padded, unnormalize

CUBIC_A = -0.75


def cubic_weights(t):
    """The weights of the pixels at offsets -1, 0, 1, 2 from the cell's lower corner, for
    a location a fraction ``t`` (a Tensor in [0, 1)) into the cell, as PyTorch's
    ``get_cubic_upsample_coefficients``.

    >>> [float(w) for w in cubic_weights(ad.tensor(0.0))]
    [0.0, 1.0, 0.0, 0.0]
    >>> [float(w) for w in cubic_weights(ad.tensor(0.5))]
    [-0.09375, 0.59375, 0.59375, -0.09375]
    """
    def near(s):                                  # |offset| <= 1
        return ((CUBIC_A + 2.0) * s - (CUBIC_A + 3.0)) * s * s + 1.0

    def far(s):                                   # 1 < |offset| < 2
        return ((CUBIC_A * s - 5.0 * CUBIC_A) * s + 8.0 * CUBIC_A) * s - 4.0 * CUBIC_A

    rest = 1.0 - t
    return [far(t + 1.0), near(t), near(rest), far(rest + 1.0)]


def _tap_positions(coord, size, padding_mode, align_corners):
    """The pixel positions a bicubic read along one axis takes for pixel coordinates
    ``coord`` (offsets -1..2 from the cell's lower corner), moved by ``padding_mode`` and
    clipped into the image, and which lie inside it before the clip: (2, 4, N, L)."""
    low = np.floor(coord)
    taps = np.stack([low - 1.0, low, low + 1.0, low + 2.0])
    if padding_mode != "zeros":
        taps = padded(taps, size, padding_mode, align_corners, "coordinate")
    inside = (taps >= 0) & (taps <= size - 1)
    return np.stack([np.clip(np.nan_to_num(taps), 0, size - 1).astype(np.intp),
                     inside.astype(np.intp)])


def _tap_index(xs, ys, width, row, column, channels):
    """The flat index (N, C, L) of the pixel at (``row``, ``column``) of the 4x4 block."""
    flat = ys[0, row] * width + xs[0, column]
    return np.ascontiguousarray(np.broadcast_to(flat[:, None, :], (flat.shape[0], channels,
                                                                   flat.shape[1])))


def _tap_inside(xs, ys, row, column):
    """Where the pixel at (``row``, ``column``) of the 4x4 block lies in the image:
    (N, 1, L)."""
    return (xs[1, column] & ys[1, row]).astype(bool)[:, None, :]


def bicubic_sample(x, g, padding_mode, align_corners):
    """``grid_sample`` of Tensor ``x`` (N, C, H, W) at Tensor ``g`` (N, Ho, Wo, 2) with
    mode ``'bicubic'`` (arguments checked by ``grid_sample``)."""
    where = "grid_sample bicubic"
    n, c, h, w = x.shape
    _, ho, wo, _ = g.shape
    ix = unnormalize(_shape.reshape(g[..., 0], (n, ho * wo)), w, align_corners)
    iy = unnormalize(_shape.reshape(g[..., 1], (n, ho * wo)), h, align_corners)
    xs = made(f"{where} x taps", _tap_positions, (ix.data, w, padding_mode, align_corners))
    ys = made(f"{where} y taps", _tap_positions, (iy.data, h, padding_mode, align_corners))
    x_weights = cubic_weights(ix - ew.stop_gradient(ew.floor(ix)))
    y_weights = cubic_weights(iy - ew.stop_gradient(ew.floor(iy)))
    pixels = _shape.reshape(x, (n, c, h * w))
    total = None
    for row, y_weight in enumerate(y_weights):
        line = None                               # as PyTorch's: along x, then along y
        for column, x_weight in enumerate(x_weights):
            index = made(f"{where} tap index", _tap_index, (xs, ys, w, row, column, c))
            value = take_along_axis(pixels, index, axis=2)            # (N, C, L)
            if padding_mode == "zeros":                # a pixel outside reads 0
                value = ew.where(made(f"{where} tap inside", _tap_inside,
                                      (xs, ys, row, column)), value, 0.0)
            term = value * _shape.expand_dims(x_weight, 1)
            line = term if line is None else line + term
        term = line * _shape.expand_dims(y_weight, 1)
        total = term if total is None else total + term
    return _shape.reshape(total, (n, c, ho, wo))
