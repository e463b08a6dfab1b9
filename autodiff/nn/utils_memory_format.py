"""``nn.utils.convert_conv2d_weight_memory_format`` and its 3-d twin: lay out the
weights of the convolutions in a model in a memory format (values unchanged)."""

from __future__ import annotations

import numpy as np

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def _convert(module, memory_format, kinds, where):
    from ..memory_formats import axis_order, check_format, laid_out

    check_format(where, memory_format)
    for layer in module.modules():
        if isinstance(layer, kinds):
            weight = layer.weight
            order = axis_order(where, memory_format, weight.data.ndim)
            if order is not None:
                weight.data = laid_out(weight.data, order)
                if weight._grad is not None:
                    weight._grad = laid_out(np.asarray(weight._grad), order)
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    """PyTorch's: the weight of every ``Conv2d`` and ``ConvTranspose2d`` in ``module``
    (itself included) laid out in ``memory_format`` (e.g. ``ad.channels_last``);
    returns ``module``.  Only the layout in memory changes, never the values.

    >>> net = ad.nn.Sequential(ad.nn.Conv2d(3, 8, 3), ad.nn.ReLU())
    >>> net = ad.nn.utils.convert_conv2d_weight_memory_format(net, ad.channels_last)
    >>> net[0].weight.is_contiguous(memory_format=ad.channels_last)
    True
    """
    from .conv import Conv2d
    from .conv_transpose import ConvTranspose2d
    return _convert(module, memory_format, (Conv2d, ConvTranspose2d),
                    "convert_conv2d_weight_memory_format")


def convert_conv3d_weight_memory_format(module, memory_format):
    """PyTorch's: the weight of every ``Conv3d`` and ``ConvTranspose3d`` in ``module``
    laid out in ``memory_format`` (e.g. ``ad.channels_last_3d``); returns ``module``."""
    from .conv3d import Conv3d, ConvTranspose3d
    return _convert(module, memory_format, (Conv3d, ConvTranspose3d),
                    "convert_conv3d_weight_memory_format")
