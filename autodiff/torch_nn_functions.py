"""PyTorch's top-level forms of the ``nn.functional`` functions: ``ad.conv2d``,
``ad.layer_norm``, ``ad.batch_norm``, ``ad.dropout``, ``ad.embedding``, ``ad.max_pool1d``,
``ad.kl_div``, ``ad.binary_cross_entropy_with_logits``, ``ad.constant_pad_nd`` ...

Each takes ``torch.<name>``'s arguments, which are not always ``F.<name>``'s:
``ad.batch_norm`` and ``ad.instance_norm`` take every argument positionally with weight
and bias first, ``ad.dropout(input, p, train)`` has no defaults, ``ad.embedding`` takes
the weight first, the losses take ``reduction`` as PyTorch's number (0 ``'none'``,
1 ``'mean'``, 2 ``'sum'``; the names are accepted too) and, as PyTorch's top-level
losses do, default to 0 (``F``'s default to ``'mean'``), ``ad.adaptive_max_pool1d``
returns ``(values, indices)``.  The work is ``F``'s, so values and gradients are its, and
the poolings and convolutions take an unbatched input (without the N dim) as ``F``'s do.

>>> ad.dropout(ad.tensor([1.0, 2.0]), 0.5, False)
tensor([1., 2.])
"""

from __future__ import annotations

from .generator import chosen_rng
from .nn import functional as F

__all__ = [
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "layer_norm", "group_norm", "batch_norm", "instance_norm", "rms_norm", "dropout",
    "alpha_dropout", "feature_alpha_dropout", "embedding", "max_pool1d", "max_pool2d",
    "max_pool3d", "max_pool1d_with_indices", "avg_pool1d", "adaptive_avg_pool1d",
    "adaptive_max_pool1d", "celu", "selu", "prelu", "rrelu", "threshold", "hardshrink",
    "pixel_shuffle", "pixel_unshuffle", "bilinear", "kl_div", "cosine_embedding_loss",
    "triplet_margin_loss", "margin_ranking_loss", "hinge_embedding_loss",
    "poisson_nll_loss", "ctc_loss", "binary_cross_entropy_with_logits", "constant_pad_nd"]

#: PyTorch's reduction numbers (``torch.nn._reduction``), for the top-level losses
_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _reduction(reduction, where: str) -> str:
    if isinstance(reduction, str) and reduction in _REDUCTIONS.values():
        return reduction
    if not isinstance(reduction, bool) and reduction in _REDUCTIONS:
        return _REDUCTIONS[reduction]
    raise ValueError(f"{where}: reduction is 0 ('none'), 1 ('mean') or 2 ('sum'), "
                     f"got {reduction!r}")


def _default_stride(stride):
    # ATen's pooling signatures write "stride = the kernel" as an empty list.
    return None if stride is None or (isinstance(stride, (list, tuple)) and not stride) \
        else stride


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``torch.conv1d``: ``F.conv1d``.

    >>> ad.conv1d(ad.ones((1, 1, 3)), ad.ones((1, 1, 2))).shape
    (1, 1, 2)
    """
    return F.conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``torch.conv2d``: ``F.conv2d``.

    >>> ad.conv2d(ad.ones((1, 1, 3, 3)), ad.ones((1, 1, 2, 2))).shape
    (1, 1, 2, 2)
    """
    return F.conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``torch.conv3d``: ``F.conv3d``.

    >>> ad.conv3d(ad.ones((1, 1, 2, 2, 2)), ad.ones((1, 1, 2, 2, 2))).shape
    (1, 1, 1, 1, 1)
    """
    return F.conv3d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """``torch.conv_transpose1d``: ``F.conv_transpose1d``.

    >>> ad.conv_transpose1d(ad.ones((1, 1, 2)), ad.ones((1, 1, 2))).shape
    (1, 1, 3)
    """
    return F.conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """``torch.conv_transpose2d``: ``F.conv_transpose2d``.

    >>> ad.conv_transpose2d(ad.ones((1, 1, 2, 2)), ad.ones((1, 1, 2, 2))).shape
    (1, 1, 3, 3)
    """
    return F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """``torch.conv_transpose3d``: ``F.conv_transpose3d``.

    >>> ad.conv_transpose3d(ad.ones((1, 1, 1, 1, 1)), ad.ones((1, 1, 2, 2, 2))).shape
    (1, 1, 2, 2, 2)
    """
    return F.conv_transpose3d(input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05,
               cudnn_enable=True):
    """``torch.layer_norm``: ``F.layer_norm`` (``cudnn_enable`` changes nothing on the CPU).

    >>> ad.layer_norm(ad.tensor([1.0, 3.0]), (2,))
    tensor([-0.999995,  0.999995])
    """
    return F.layer_norm(input, normalized_shape, weight, bias, eps, where="layer_norm")


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    """``torch.group_norm``: ``F.group_norm``.

    >>> ad.group_norm(ad.tensor([[1.0, 3.0]]), 1)
    tensor([[-0.999995,  0.999995]])
    """
    return F.group_norm(input, num_groups, weight, bias, eps, where="group_norm")


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled):
    """``torch.batch_norm``: every argument positional and required, weight and bias
    before the running statistics (``F.batch_norm`` takes them after).

    >>> ad.batch_norm(ad.tensor([[1.0], [3.0]]), None, None, None, None, True, 0.1, 1e-5,
    ...               False)
    tensor([[-0.999995],
            [ 0.999995]])
    """
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                        eps, where="batch_norm")


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats,
                  momentum, eps, cudnn_enabled):
    """``torch.instance_norm``: as ``ad.batch_norm``, positional, weight and bias first.

    >>> ad.instance_norm(ad.tensor([[[1.0, 3.0]]]), None, None, None, None, True, 0.1,
    ...                  1e-5, False)
    tensor([[[-0.999995,  0.999995]]])
    """
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                           momentum, eps, where="instance_norm")


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``torch.rms_norm``: ``F.rms_norm``.

    >>> ad.rms_norm(ad.tensor([3.0, 4.0]), (2,), eps=0.0)
    tensor([0.84852814, 1.13137085])
    """
    return F.rms_norm(input, normalized_shape, weight, eps, where="rms_norm")


def dropout(input, p, train):
    """``torch.dropout(input, p, train)``: ``F.dropout(input, p, training=train)``.

    >>> ad.dropout(ad.tensor([1.0, 2.0]), 0.5, False)
    tensor([1., 2.])
    """
    return F.dropout(input, p, train)


def alpha_dropout(input, p, train):
    """``torch.alpha_dropout(input, p, train)``: ``F.alpha_dropout``.

    >>> ad.alpha_dropout(ad.tensor([1.0, 2.0]), 0.5, False)
    tensor([1., 2.])
    """
    return F.alpha_dropout(input, p, train)


def feature_alpha_dropout(input, p, train):
    """``torch.feature_alpha_dropout(input, p, train)``: ``F.feature_alpha_dropout``.

    >>> ad.feature_alpha_dropout(ad.ones((1, 2, 1)), 0.5, False).shape
    (1, 2, 1)
    """
    return F.feature_alpha_dropout(input, p, train)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """``torch.embedding(weight, indices, ...)``: the rows of ``weight`` at ``indices``,
    ``F.embedding`` with its first two arguments swapped.  A ``padding_idx`` >= 0 gets no
    gradient (a negative one means none, as ATen's -1 default); ``scale_grad_by_freq``
    divides each id's gradient by its count.  The gradient is dense: ``sparse=True``
    gives the same values as a dense tensor.

    >>> ad.embedding(ad.tensor([[0.0, 1.0], [2.0, 3.0]]), ad.tensor([1]))
    tensor([[2., 3.]])
    """
    padding = None if padding_idx is None or padding_idx < 0 else padding_idx
    return F.embedding(indices, weight, padding, scale_grad_by_freq=bool(scale_grad_by_freq),
                       where="embedding")


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``torch.max_pool1d``: ``F.max_pool1d`` (values only).

    >>> ad.max_pool1d(ad.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)
    tensor([[[3., 2.]]])
    """
    return F.max_pool1d(input, kernel_size, _default_stride(stride), padding, dilation,
                        ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``torch.max_pool2d``: ``F.max_pool2d`` (values only).

    >>> ad.max_pool2d(ad.ones((1, 1, 2, 2)), 2).shape
    (1, 1, 1, 1)
    """
    return F.max_pool2d(input, kernel_size, _default_stride(stride), padding, dilation,
                        ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``torch.max_pool3d``: ``F.max_pool3d`` (values only).

    >>> ad.max_pool3d(ad.ones((1, 1, 2, 2, 2)), 2).shape
    (1, 1, 1, 1, 1)
    """
    return F.max_pool3d(input, kernel_size, _default_stride(stride), padding, dilation,
                        ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode=False):
    """``torch.max_pool1d_with_indices``: ``(values, indices)`` of ``F.max_pool1d``.

    >>> ad.max_pool1d_with_indices(ad.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)[1]
    tensor([[[1, 2]]])
    """
    return F.max_pool1d(input, kernel_size, _default_stride(stride), padding, dilation,
                        ceil_mode, return_indices=True)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """``torch.avg_pool1d``: ``F.avg_pool1d``.

    >>> ad.avg_pool1d(ad.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)
    tensor([[[2., 1.]]])
    """
    return F.avg_pool1d(input, kernel_size, _default_stride(stride), padding, ceil_mode,
                        count_include_pad)


def adaptive_avg_pool1d(input, output_size):
    """``torch.adaptive_avg_pool1d``: ``F.adaptive_avg_pool1d``.

    >>> ad.adaptive_avg_pool1d(ad.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 1)
    tensor([[[1.5]]])
    """
    return F.adaptive_avg_pool1d(input, output_size)


def adaptive_max_pool1d(input, output_size):
    """``torch.adaptive_max_pool1d``: ``(values, indices)``, as PyTorch's top-level one
    returns both (``F.adaptive_max_pool1d`` returns the values unless asked).

    >>> ad.adaptive_max_pool1d(ad.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 1)[1]
    tensor([[[1]]])
    """
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


def celu(input, alpha=1.0):
    """``torch.celu``: ``F.celu``.

    >>> ad.celu(ad.tensor([1.0]))
    tensor([1.])
    """
    return F.celu(input, alpha)


def selu(input):
    """``torch.selu``: ``F.selu``.

    >>> ad.selu(ad.tensor([0.0]))
    tensor([0.])
    """
    return F.selu(input)


def prelu(input, weight):
    """``torch.prelu``: ``F.prelu``.

    >>> ad.prelu(ad.tensor([-2.0, 1.0]), ad.tensor([0.5]))
    tensor([-1.,  1.])
    """
    return F.prelu(input, weight)


def rrelu(input, lower=0.125, upper=0.3333333333333333, training=False, generator=None):
    """``torch.rrelu``: ``F.rrelu`` (``generator=`` as elsewhere, an ``ad.Generator``).

    >>> ad.rrelu(ad.tensor([-2.0, 3.0]), 0.25, 0.75)
    tensor([-1.,  3.])
    """
    return F.rrelu(input, lower, upper, training, rng=chosen_rng("rrelu", None, generator))


def threshold(input, threshold, value):
    """``torch.threshold``: ``F.threshold``.

    >>> ad.threshold(ad.tensor([0.5, 2.0]), 1.0, -1.0)
    tensor([-1.,  2.])
    """
    return F.threshold(input, threshold, value)


def hardshrink(input, lambd=0.5):
    """``torch.hardshrink``: ``F.hardshrink``.

    >>> ad.hardshrink(ad.tensor([0.25, 2.0]))
    tensor([0., 2.])
    """
    return F.hardshrink(input, lambd)


def pixel_shuffle(input, upscale_factor):
    """``torch.pixel_shuffle``: ``F.pixel_shuffle``.

    >>> ad.pixel_shuffle(ad.ones((1, 4, 1, 1)), 2).shape
    (1, 1, 2, 2)
    """
    return F.pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    """``torch.pixel_unshuffle``: ``F.pixel_unshuffle``.

    >>> ad.pixel_unshuffle(ad.ones((1, 1, 2, 2)), 2).shape
    (1, 4, 1, 1)
    """
    return F.pixel_unshuffle(input, downscale_factor)


def bilinear(input1, input2, weight, bias=None):
    """``torch.bilinear``: ``F.bilinear``.

    >>> ad.bilinear(ad.ones((1, 2)), ad.ones((1, 3)), ad.ones((4, 2, 3))).shape
    (1, 4)
    """
    return F.bilinear(input1, input2, weight, bias, where="bilinear")


def kl_div(input, target, reduction=0, *, log_target=False):
    """``torch.kl_div``: ``F.kl_div`` with ``reduction`` as PyTorch's number (0, the
    default, is ``'none'``; 1 is ``'mean'`` over all elements).

    >>> ad.kl_div(ad.tensor([0.0]), ad.tensor([1.0]))
    tensor([0.])
    """
    return F.kl_div(input, target, _reduction(reduction, "kl_div"), log_target)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    """``torch.cosine_embedding_loss``: ``F.cosine_embedding_loss``, ``reduction`` a number.

    >>> ad.cosine_embedding_loss(ad.tensor([[1.0, 0.0]]), ad.tensor([[0.0, 1.0]]),
    ...                          ad.tensor([1.0]))
    tensor([1.])
    """
    return F.cosine_embedding_loss(input1, input2, target, margin, _reduction(reduction,
                                   "cosine_embedding_loss"))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-06,
                        swap=False, reduction=0):
    """``torch.triplet_margin_loss``: ``F.triplet_margin_loss``, ``reduction`` a number.

    >>> ad.triplet_margin_loss(ad.zeros((1, 2)), ad.zeros((1, 2)), ad.zeros((1, 2)))
    tensor([1.])
    """
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                 _reduction(reduction, "triplet_margin_loss"))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    """``torch.margin_ranking_loss``: ``F.margin_ranking_loss``, ``reduction`` a number.

    >>> ad.margin_ranking_loss(ad.tensor([1.0]), ad.tensor([2.0]), ad.tensor([1.0]))
    tensor([1.])
    """
    return F.margin_ranking_loss(input1, input2, target, margin, _reduction(reduction,
                                 "margin_ranking_loss"))


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    """``torch.hinge_embedding_loss``: ``F.hinge_embedding_loss``, ``reduction`` a number.

    >>> ad.hinge_embedding_loss(ad.tensor([0.25]), ad.tensor([-1.0]))
    tensor([0.75])
    """
    return F.hinge_embedding_loss(input, target, margin, _reduction(reduction,
                                  "hinge_embedding_loss"))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    """``torch.poisson_nll_loss``: ``F.poisson_nll_loss``, every argument required and
    ``reduction`` a number.

    >>> ad.poisson_nll_loss(ad.tensor([0.0]), ad.tensor([1.0]), True, False, 1e-8, 1)
    tensor(1.)
    """
    return F.poisson_nll_loss(input, target, log_input, full, eps, _reduction(reduction,
                              "poisson_nll_loss"))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0,
             zero_infinity=False):
    """``torch.ctc_loss``: ``F.ctc_loss``, ``reduction`` a number.

    >>> lp = ad.log_softmax(ad.zeros((2, 1, 2)), 2)
    >>> round(float(ad.ctc_loss(lp, ad.tensor([[1]]), [2], [1], 0, 1)), 6)
    0.287682
    """
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                      _reduction(reduction, "ctc_loss"), zero_infinity)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None,
                                     reduction=0):
    """``torch.binary_cross_entropy_with_logits``: ``F``'s, but ``pos_weight`` comes before
    ``reduction`` (a number) here, as in PyTorch's top-level one.

    >>> ad.binary_cross_entropy_with_logits(ad.tensor([0.0]), ad.tensor([1.0]))
    tensor([0.69314718])
    """
    return F.binary_cross_entropy_with_logits(
        input, target, weight, _reduction(reduction, "binary_cross_entropy_with_logits"),
        pos_weight)


def constant_pad_nd(input, pad, value=0):
    """``torch.constant_pad_nd``: ``F.pad(input, pad, 'constant', value)``; ``pad`` gives
    (before, after) pairs from the last dim backwards, negative ones crop.

    >>> ad.constant_pad_nd(ad.tensor([1.0, 2.0]), (1, 0), 9.0)
    tensor([9., 1., 2.])
    """
    return F.pad(input, tuple(pad), "constant", value)
