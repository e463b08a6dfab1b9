"""More loss modules with PyTorch's names, constructor arguments and defaults: the
likelihood, margin and embedding losses (``nn.GaussianNLLLoss``, ``nn.TripletMarginLoss``
...).  Each is a thin ``Module`` over its function in ``nn.functional``, as in
``loss_modules``; a class ``weight`` is the buffer ``weight`` (in ``state_dict()``).
"""

from __future__ import annotations

from ..tensor import Tensor
from . import losses_ctc, losses_embedding, losses_likelihood, losses_margin
from .loss_modules import _Loss, _weight_array


class GaussianNLLLoss(_Loss):
    """``F.gaussian_nll_loss`` as a module: ``forward(input, target, var)``.

    >>> criterion = nn.GaussianNLLLoss(full=True)
    >>> criterion
    GaussianNLLLoss(full=True, eps=1e-06, reduction='mean')
    >>> criterion(ad.tensor([1.0, 2.0]), ad.tensor([1.5, 2.0]), ad.tensor([0.5, 1.0]))
    tensor(0.87065174)
    """

    _shown_options = ("full", "eps", "reduction")

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction)
        self.full = full
        self.eps = eps

    def forward(self, input, target, var) -> Tensor:
        return losses_likelihood.gaussian_nll_loss(input, target, var, full=self.full,
                                                   eps=self.eps, reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    """``F.poisson_nll_loss`` as a module: ``forward(log_input, target)`` (the rate's
    log, or the rate itself with ``log_input=False``).

    >>> nn.PoissonNLLLoss()(ad.tensor([0.0, 1.0]), np.array([1, 3]))
    tensor(0.35914091)
    """

    _shown_options = ("log_input", "full", "eps", "reduction")

    def __init__(self, log_input: bool = True, full: bool = False, size_average=None,
                 eps: float = 1e-8, reduce=None, reduction: str = "mean"):
        super().__init__(reduction, size_average, reduce)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input, target) -> Tensor:
        return losses_likelihood.poisson_nll_loss(log_input, target, log_input=self.log_input,
                                                  full=self.full, eps=self.eps,
                                                  reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """``F.margin_ranking_loss`` as a module: ``forward(input1, input2, target)``.

    >>> nn.MarginRankingLoss(margin=0.5)(ad.tensor([1.0, 2.0]), ad.tensor([2.0, 0.0]),
    ...                                  np.array([1.0, 1.0]))
    tensor(0.75)
    """

    _shown_options = ("margin", "reduction")

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean"):
        super().__init__(reduction, size_average, reduce)
        self.margin = margin

    def forward(self, input1, input2, target) -> Tensor:
        return losses_margin.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                                 reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """``F.hinge_embedding_loss`` as a module.

    >>> nn.HingeEmbeddingLoss()(ad.tensor([0.3, 0.3]), np.array([1.0, -1.0]))
    tensor(0.5)
    """

    _shown_options = ("margin", "reduction")

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None,
                 reduction: str = "mean"):
        super().__init__(reduction, size_average, reduce)
        self.margin = margin

    def forward(self, input, target) -> Tensor:
        return losses_margin.hinge_embedding_loss(input, target, margin=self.margin,
                                                  reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """``F.soft_margin_loss`` as a module: ``log(1 + exp(-target * input))``, reduced.

    >>> nn.SoftMarginLoss(reduction="sum")(ad.tensor([0.0, 0.0]), np.array([1.0, -1.0]))
    tensor(1.38629436)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(reduction, size_average, reduce)

    def forward(self, input, target) -> Tensor:
        return losses_margin.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_Loss):
    """``F.multilabel_soft_margin_loss`` as a module; ``weight`` is the buffer ``weight``.

    >>> criterion = nn.MultiLabelSoftMarginLoss(weight=np.array([1.0, 2.0]))
    >>> criterion.state_dict()
    {'weight': StateArray([1., 2.])}
    >>> criterion(ad.tensor([[0.0, 2.0]]), np.array([[1.0, 0.0]]))
    tensor(2.4735016)
    """

    _shown_options = ("weight", "reduction")

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(reduction, size_average, reduce)
        self.register_buffer("weight", _weight_array("MultiLabelSoftMarginLoss", "weight",
                                                     weight, False))

    def forward(self, input, target) -> Tensor:
        return losses_margin.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                                         reduction=self.reduction)


class MultiMarginLoss(_Loss):
    """``F.multi_margin_loss`` as a module; ``weight`` (C,) is the buffer ``weight``.

    >>> nn.MultiMarginLoss(p=2, margin=0.5)
    MultiMarginLoss(p=2, margin=0.5, weight=None, reduction='mean')
    >>> nn.MultiMarginLoss()(ad.tensor([[0.1, 0.2, 0.4, 0.8]]), np.array([3]))
    tensor(0.325)
    """

    _shown_options = ("p", "margin", "weight", "reduction")

    def __init__(self, p: int = 1, margin: float = 1.0, weight=None, size_average=None,
                 reduce=None, reduction: str = "mean"):
        super().__init__(reduction, size_average, reduce)
        if isinstance(p, bool) or p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: p must be 1 or 2 (PyTorch supports only "
                             f"these), got {p!r}")
        self.p = p
        self.margin = margin
        self.register_buffer("weight", _weight_array("MultiMarginLoss", "weight", weight, True))

    def forward(self, input, target) -> Tensor:
        return losses_margin.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                               weight=self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """``F.multilabel_margin_loss`` as a module: each target row lists the sample's
    classes, ended by -1.

    >>> nn.MultiLabelMarginLoss()(ad.tensor([[0.1, 0.2, 0.4, 0.8]]), np.array([[3, 0, -1, 1]]))
    tensor(0.85)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(reduction, size_average, reduce)

    def forward(self, input, target) -> Tensor:
        return losses_margin.multilabel_margin_loss(input, target, reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """``F.cosine_embedding_loss`` as a module: ``forward(input1, input2, target)``.

    >>> nn.CosineEmbeddingLoss(margin=0.5)(ad.tensor([[1.0, 0.0]]), ad.tensor([[1.0, 1.0]]),
    ...                                    np.array([-1.0]))
    tensor(0.20710678)
    """

    _shown_options = ("margin", "reduction")

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean"):
        super().__init__(reduction, size_average, reduce)
        self.margin = margin

    def forward(self, input1, input2, target) -> Tensor:
        return losses_embedding.cosine_embedding_loss(input1, input2, target,
                                                      margin=self.margin,
                                                      reduction=self.reduction)


def _positive_margin(owner, margin):
    if not margin > 0:
        raise ValueError(f"{owner}: margin must be greater than 0, got {margin} (as PyTorch "
                         "requires)")
    return margin


class TripletMarginLoss(_Loss):
    """``F.triplet_margin_loss`` as a module: ``forward(anchor, positive, negative)``.

    >>> criterion = nn.TripletMarginLoss(margin=1.0, p=2.0)
    >>> criterion
    TripletMarginLoss(margin=1.0, p=2.0, eps=1e-06, swap=False, reduction='mean')
    >>> criterion(ad.tensor([[0.0, 0.0]]), ad.tensor([[3.0, 4.0]]), ad.tensor([[1.0, 0.0]]))
    tensor(4.9999996)
    """

    _shown_options = ("margin", "p", "eps", "swap", "reduction")

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(reduction, size_average, reduce)
        self.margin = _positive_margin("TripletMarginLoss", margin)
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor, positive, negative) -> Tensor:
        return losses_embedding.triplet_margin_loss(anchor, positive, negative,
                                                    margin=self.margin, p=self.p,
                                                    eps=self.eps, swap=self.swap,
                                                    reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """``F.triplet_margin_with_distance_loss`` as a module, with any distance function
    (``None``: ``F.pairwise_distance``).  The ``distance_function`` attribute stays None
    then, where PyTorch's holds a ``PairwiseDistance()`` submodule.

    >>> criterion = nn.TripletMarginWithDistanceLoss(
    ...     distance_function=lambda x, y: (x - y).abs().sum(-1), margin=0.5)
    >>> criterion(ad.tensor([[0.0, 0.0]]), ad.tensor([[1.0, 1.0]]), ad.tensor([[2.0, 0.0]]))
    tensor(0.5)
    """

    _shown_options = ("distance_function", "margin", "swap", "reduction")

    def __init__(self, *, distance_function=None, margin: float = 1.0, swap: bool = False,
                 reduction: str = "mean"):
        super().__init__(reduction)
        if distance_function is not None and not callable(distance_function):
            raise TypeError(f"TripletMarginWithDistanceLoss: distance_function must be a "
                            f"function of two Tensors or None, got {distance_function!r}")
        self.distance_function = distance_function
        self.margin = _positive_margin("TripletMarginWithDistanceLoss", margin)
        self.swap = swap

    def forward(self, anchor, positive, negative) -> Tensor:
        return losses_embedding.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)


class CTCLoss(_Loss):
    """``F.ctc_loss`` as a module: ``forward(log_probs, targets, input_lengths,
    target_lengths)``; its repr shows no options, as PyTorch's.

    >>> criterion = nn.CTCLoss(blank=0, zero_infinity=True)
    >>> criterion
    CTCLoss()
    >>> lp = F.log_softmax(ad.tensor([[[0.0, 1.0]], [[0.0, 1.0]]]), axis=-1)
    >>> criterion(lp, [[1]], [2], [1])
    tensor(0.07507866)
    """

    _shown_options = ()

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__(reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths) -> Tensor:
        return losses_ctc.ctc_loss(log_probs, targets, input_lengths, target_lengths,
                                   blank=self.blank, reduction=self.reduction,
                                   zero_infinity=self.zero_infinity)
