"""Activations, normalisation, dropout, embedding, losses and attention
(``import autodiff.nn.functional as F``).

The functions live by family in ``softmax``, ``activation``, ``normalization``,
``dropout``, ``embedding``, ``losses`` and ``attention`` (each module documents its
gradient rules); this module gathers them under PyTorch's names.  Losses take
``(input, target)`` and ``reduction='mean'|'sum'|'none'``, as in PyTorch.
"""

from __future__ import annotations

from ..ops import elementwise as ew
from ..ops import reduce as rd
from ..tensor import Tensor
from .activation import elu, gelu, silu, softplus
from .functional_activation import (celu, glu, hardshrink, hardsigmoid, hardswish, hardtanh,
                                   logsigmoid, mish, prelu, relu6, selu,
                                   softmin, softshrink, softsign, tanhshrink, threshold)
from .functional_inplace import (celu_, elu_, hardtanh_, leaky_relu_, relu_, selu_,
                                 threshold_)
from .activation_random import rrelu, rrelu_
from .functional_distance import cosine_similarity, linear, normalize, pairwise_distance, pdist
from .dropout import dropout, dropout1d, dropout2d, dropout3d
from .embedding import embedding
from .losses import cross_entropy, huber_loss, mse_loss, nll_loss
from .losses_binary import binary_cross_entropy, binary_cross_entropy_with_logits
from .losses_more import kl_div, l1_loss, smooth_l1_loss
from .losses_likelihood import gaussian_nll_loss, poisson_nll_loss
from .losses_ctc import ctc_loss
from .losses_margin import (hinge_embedding_loss, margin_ranking_loss, multi_margin_loss,
                            multilabel_margin_loss, multilabel_soft_margin_loss,
                            soft_margin_loss)
from .losses_embedding import (cosine_embedding_loss, triplet_margin_loss,
                               triplet_margin_with_distance_loss)
from .normalization import batch_norm, group_norm, layer_norm
from .instance_norm import instance_norm
from .rms_norm import rms_norm
from .bilinear import bilinear
from .softmax import _check_float, log_softmax, logsumexp, one_hot, softmax

# The basic activations are the core ops, re-exported here so ``F.sigmoid`` etc. work.
sigmoid = ew.sigmoid
tanh = ew.tanh

__all__ = ["softmax", "log_softmax", "logsumexp", "one_hot", "cross_entropy", "nll_loss",
           "mse_loss", "huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "l1_loss", "smooth_l1_loss", "kl_div", "gaussian_nll_loss", "poisson_nll_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
           "multilabel_soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss",
           "cosine_embedding_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss",
           "ctc_loss",
           "sigmoid_range", "l2_normalize", "relu", "sigmoid", "tanh", "leaky_relu", "gelu",
           "silu", "softplus", "elu", "dropout", "embedding", "layer_norm", "group_norm",
           "batch_norm", "pad", "unfold", "fold", "conv1d", "conv2d", "max_pool2d", "avg_pool2d",
           "conv_transpose2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "max_pool1d",
           "avg_pool1d", "interpolate", "upsample",
           "relu6", "hardtanh", "hardsigmoid", "hardswish", "selu", "celu", "mish",
           "logsigmoid", "softsign", "softmin", "glu", "threshold", "prelu", "linear",
           "normalize", "cosine_similarity", "pairwise_distance",
           "scaled_dot_product_attention", "dropout1d", "dropout2d", "instance_norm",
           "bilinear", "rms_norm", "tanhshrink", "pixel_shuffle", "pixel_unshuffle",
           "channel_shuffle", "hardshrink", "softshrink", "relu_", "elu_", "leaky_relu_",
           "hardtanh_", "selu_", "celu_", "threshold_", "rrelu", "rrelu_", "dropout3d",
           "conv3d", "conv_transpose1d", "conv_transpose3d", "max_pool3d", "avg_pool3d",
           "adaptive_avg_pool1d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
           "adaptive_max_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d",
           "pdist", "gumbel_softmax", "lp_pool1d", "lp_pool2d", "local_response_norm",
           "alpha_dropout", "feature_alpha_dropout", "embedding_bag",
           "affine_grid", "grid_sample", "lp_pool3d", "max_pool1d_with_indices",
           "max_pool2d_with_indices", "max_pool3d_with_indices", "fractional_max_pool2d",
           "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d_with_indices", "multi_head_attention_forward",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices", "upsample_bilinear", "upsample_nearest",
           "native_channel_shuffle", "linear_cross_entropy"]


def relu(input, inplace: bool = False) -> Tensor:
    """``max(x, 0)`` (``ad.relu``); ``inplace=True`` changes ``input`` and returns it
    (``F.relu_``), as PyTorch's.

    >>> F.relu(ad.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return relu_(input) if inplace else ew.relu(input)


def leaky_relu(x, slope=0.01, inplace: bool = False, *, negative_slope=None) -> Tensor:
    """``x`` where ``x > 0``, else ``slope * x`` (``ad.leaky_relu``); ``negative_slope=``
    is PyTorch's name for ``slope``.  ``inplace=True`` changes ``x`` and returns it
    (``F.leaky_relu_``).

    >>> F.leaky_relu(ad.tensor([-1.0, 2.0]), negative_slope=0.1)
    tensor([-0.1,  2. ])
    """
    slope = _slope(slope, negative_slope, "leaky_relu")
    if inplace:
        return leaky_relu_(x, slope)
    return ew.leaky_relu(x, slope)


def _slope(slope, negative_slope, where):
    if negative_slope is None:
        return slope
    if slope is not None and slope != 0.01:
        raise TypeError(f"{where}: got both slope={slope!r} and negative_slope="
                        f"{negative_slope!r}; they are the same argument "
                        "(negative_slope= is PyTorch's name), pass one")
    return negative_slope


# ----- small helpers ------------------------------------------------------------

def sigmoid_range(x, lo: float, hi: float) -> Tensor:
    """``lo + (hi - lo) * sigmoid(x)``: squashes any real value into (lo, hi).

    >>> F.sigmoid_range(ad.tensor([0.0]), 0.5, 5.5)
    tensor([3.])
    """
    if not hi > lo:
        raise ValueError(f"sigmoid_range: need lo < hi, got lo={lo}, hi={hi}")
    return lo + (hi - lo) * ew.sigmoid(x)


def l2_normalize(x, axis: int = -1, eps: float = 1e-12, *, dim: int | None = None) -> Tensor:
    """``x / max(||x||, eps)`` along ``axis`` (or PyTorch's name for it, ``dim=``):
    unit-length rows, zero rows stay zero.

    Output and gradient are finite even for an all-zero row (where the gradient of
    ``||x||`` alone would be 0/0): the norm is computed under a double ``where``.

    >>> F.l2_normalize(ad.tensor([[3.0, 4.0], [0.0, 0.0]]))
    tensor([[0.6, 0.8],
            [0. , 0. ]])
    """
    _check_float(x, "l2_normalize")
    from ..argument_aliases import renamed_argument
    axis = renamed_argument("l2_normalize", "axis", axis, -1, "dim", dim)
    x = x if isinstance(x, Tensor) else Tensor(x)
    squared = rd.sum(x * x, axis=axis, keepdims=True)
    big = squared > eps * eps
    norm = ew.where(big, ew.sqrt(ew.where(big, squared, 1.0)), eps)
    return x / norm


# Convolution, pooling and padding live in their own module.
from .functional_conv import (avg_pool2d, conv1d, conv2d, fold, max_pool2d, pad,  # noqa: E402
                              unfold)
from .conv_transpose import conv_transpose2d  # noqa: E402
from .pooling_more import (adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool1d,  # noqa: E402
                           max_pool1d)
from .upsample import interpolate, upsample  # noqa: E402
from .conv3d import conv3d, conv_transpose1d, conv_transpose3d  # noqa: E402
from .pooling3d import (adaptive_avg_pool1d, adaptive_avg_pool3d,  # noqa: E402
                        adaptive_max_pool1d, adaptive_max_pool3d, avg_pool3d, max_pool3d)
from .unpool import max_unpool1d, max_unpool2d, max_unpool3d  # noqa: E402
from .gumbel import gumbel_softmax  # noqa: E402
from .pooling_lp import local_response_norm, lp_pool1d, lp_pool2d, lp_pool3d  # noqa: E402
from .functional_torch_aliases import (  # noqa: E402
    adaptive_max_pool1d_with_indices, adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d_with_indices, max_pool1d_with_indices, max_pool2d_with_indices,
    max_pool3d_with_indices, upsample_bilinear, upsample_nearest)
from .dropout_alpha import alpha_dropout, feature_alpha_dropout  # noqa: E402
from .embedding_bag import embedding_bag  # noqa: E402
from .grid_sample import affine_grid, grid_sample  # noqa: E402
from .rearrange import channel_shuffle, pixel_shuffle, pixel_unshuffle  # noqa: E402

native_channel_shuffle = channel_shuffle   # (PyTorch's other name for it)
from .linear_cross_entropy import linear_cross_entropy  # noqa: E402
from . import grad  # noqa: E402,F401  (F.grad is torch.nn.grad, as in PyTorch)
from .attention_functional import multi_head_attention_forward  # noqa: E402
from .fractional_pool import (  # noqa: E402
    fractional_max_pool2d, fractional_max_pool2d_with_indices, fractional_max_pool3d,
    fractional_max_pool3d_with_indices)
# Attention builds on softmax and dropout above (and MultiheadAttention on Linear).
from .attention import scaled_dot_product_attention  # noqa: E402
