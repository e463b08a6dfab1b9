"""PyTorch's other names for ``F`` functions: ``F.max_pool2d_with_indices`` and
``F.adaptive_max_pool2d_with_indices`` (and the 1-d and 3-d ones), which return
``(values, indices)`` whatever ``return_indices`` says, and the deprecated
``F.upsample_bilinear`` (``interpolate(mode='bilinear', align_corners=True)``) and
``F.upsample_nearest``."""

from __future__ import annotations

import warnings

from ..tensor import Tensor
from .functional_conv import max_pool2d
from .pooling3d import adaptive_max_pool1d, adaptive_max_pool3d, max_pool3d
from .pooling_more import adaptive_max_pool2d, max_pool1d
from .upsample import interpolate


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):
    """``F.max_pool1d(..., return_indices=True)``: ``(values, indices)``.

    >>> F.max_pool1d_with_indices(ad.tensor([[[1.0, 3.0]]]), 2)[1]
    tensor([[[1]]])
    """
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):
    """``F.max_pool2d(..., return_indices=True)``: ``(values, indices)``.

    >>> F.max_pool2d_with_indices(ad.tensor([[[[1.0, 3.0]]]]), (1, 2))[1]
    tensor([[[[1]]]])
    """
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):
    """``F.max_pool3d(..., return_indices=True)``: ``(values, indices)``.

    >>> F.max_pool3d_with_indices(ad.tensor([[[[[1.0, 3.0]]]]]), (1, 1, 2))[1]
    tensor([[[[[1]]]]])
    """
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices: bool = False):
    """``F.adaptive_max_pool1d(..., return_indices=True)``: ``(values, indices)``.

    >>> F.adaptive_max_pool1d_with_indices(ad.tensor([[[1.0, 3.0]]]), 1)[1]
    tensor([[[1]]])
    """
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices: bool = False):
    """``F.adaptive_max_pool2d(..., return_indices=True)``: ``(values, indices)``.

    >>> F.adaptive_max_pool2d_with_indices(ad.tensor([[[[1.0, 3.0]]]]), 1)[1]
    tensor([[[[1]]]])
    """
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices: bool = False):
    """``F.adaptive_max_pool3d(..., return_indices=True)``: ``(values, indices)``.

    >>> F.adaptive_max_pool3d_with_indices(ad.tensor([[[[[1.0, 3.0]]]]]), 1)[1]
    tensor([[[[[1]]]]])
    """
    return adaptive_max_pool3d(input, output_size, True)


def upsample_bilinear(input, size=None, scale_factor=None) -> Tensor:
    """Deprecated, as in PyTorch: ``F.interpolate(input, size, scale_factor,
    mode='bilinear', align_corners=True)``.

    >>> F.upsample_bilinear(ad.ones((1, 1, 2, 2)), scale_factor=2).shape
    (1, 1, 4, 4)
    """
    warnings.warn("F.upsample_bilinear is deprecated. Use F.interpolate(..., "
                  "mode='bilinear', align_corners=True) instead.", UserWarning, stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def upsample_nearest(input, size=None, scale_factor=None) -> Tensor:
    """Deprecated, as in PyTorch: ``F.interpolate(input, size, scale_factor,
    mode='nearest')``.

    >>> F.upsample_nearest(ad.ones((1, 1, 2)), scale_factor=2).shape
    (1, 1, 4)
    """
    warnings.warn("F.upsample_nearest is deprecated. Use F.interpolate(...) instead.",
                  UserWarning, stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")
