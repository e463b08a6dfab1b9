"""Pixel coordinates of ``F.grid_sample``: normalized grid values mapped onto the
input's pixels, and moved into it by a padding mode, with PyTorch's gradients."""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..ops import elementwise as ew


def reflected(coord, size, align_corners):
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


def padded(coord, size, padding_mode, align_corners, part, nan_at=0):
    """``'border'``'s or ``'reflection'``'s coordinate for ``coord`` (``part``
    ``"coordinate"``), the slope of that map (``"slope"``), or where it is not clamped
    (``"moving"``: the slope is 0 elsewhere, on the edge too, as PyTorch's
    ``clip_coordinates``).  A nan coordinate (or an infinite one reflected) becomes
    ``nan_at``: 0 as in PyTorch's 2-D kernel, ``size - 1`` as in its 3-D one."""
    slope = np.ones_like(coord)
    if padding_mode == "reflection":
        coord, slope = reflected(coord, size, align_corners)
    moving = (coord > 0) & (coord < size - 1)
    if part == "moving":
        return moving
    if part == "slope":
        return np.where(moving, slope, 0.0).astype(coord.dtype)
    clipped = np.clip(coord, 0, size - 1)
    return np.where(np.isnan(clipped), nan_at, clipped).astype(coord.dtype)


def pad(coord, size, padding_mode, align_corners, nan_at=0):
    """``coord`` (a Tensor of pixel coordinates) moved into the image by
    ``padding_mode``, with the gradient of the map (see ``padded``)."""
    value, slope, moving = (made(f"grid_sample {padding_mode} {part}", padded,
                                 (coord.data, size, padding_mode, align_corners, part,
                                  nan_at))
                            for part in ("coordinate", "slope", "moving"))
    # The value is the exact one; the slope carries the gradient (inf - inf is kept out
    # of the clamped places, whose slope is 0).
    return ew.where(moving, value + slope * (coord - ew.stop_gradient(coord)), value)


def unnormalize(coord, size, align_corners):
    """Normalized ``coord`` (-1 and 1: the outer pixels' centres with ``align_corners``,
    their outer edges otherwise) as a pixel coordinate along an axis of ``size``."""
    if align_corners:
        return (coord + 1.0) * ((size - 1) / 2.0)
    return ((coord + 1.0) * size - 1.0) / 2.0
