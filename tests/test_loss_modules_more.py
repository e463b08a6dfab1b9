"""The likelihood, margin and embedding loss modules (nn.GaussianNLLLoss ...
nn.TripletMarginWithDistanceLoss): each equals its function, reprs, weight buffers,
constructor errors; and, where PyTorch is installed, every loss against PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F

RNG = np.random.default_rng(47)
W3 = np.array([0.5, 2.0, 1.5])


def _signs(shape):
    return RNG.choice([-1.0, 1.0], shape)


def _cases():
    """(name, make module, functional, inputs, targets): inputs get gradients."""
    x, z, u = (RNG.standard_normal((4, 3)) * 2 for _ in range(3))
    var = RNG.uniform(0.2, 2, (4, 1))
    counts = RNG.integers(0, 6, (4, 3))
    labels = RNG.integers(0, 2, (4, 3)).astype(float)
    classes = RNG.integers(0, 3, 4)
    lists = np.array([[2, 0, -1], [1, -1, 2], [0, 1, 2], [-1, 0, 0]])
    return [
        ("GaussianNLLLoss", lambda r: nn.GaussianNLLLoss(full=True, eps=1e-3, reduction=r),
         lambda a, t, v, r: F.gaussian_nll_loss(a, t, v, full=True, eps=1e-3, reduction=r),
         [x, var], [z]),
        ("PoissonNLLLoss", lambda r: nn.PoissonNLLLoss(full=True, reduction=r),
         lambda a, t, r: F.poisson_nll_loss(a, t, full=True, reduction=r), [x], [counts]),
        ("MarginRankingLoss", lambda r: nn.MarginRankingLoss(margin=0.3, reduction=r),
         lambda a, b, t, r: F.margin_ranking_loss(a, b, t, margin=0.3, reduction=r),
         [x, z], [_signs((4, 3))]),
        ("HingeEmbeddingLoss", lambda r: nn.HingeEmbeddingLoss(margin=0.5, reduction=r),
         lambda a, t, r: F.hinge_embedding_loss(a, t, margin=0.5, reduction=r),
         [x], [_signs((4, 3))]),
        ("SoftMarginLoss", lambda r: nn.SoftMarginLoss(reduction=r),
         lambda a, t, r: F.soft_margin_loss(a, t, reduction=r), [x], [_signs((4, 3))]),
        ("MultiLabelSoftMarginLoss",
         lambda r: nn.MultiLabelSoftMarginLoss(weight=W3, reduction=r),
         lambda a, t, r: F.multilabel_soft_margin_loss(a, t, weight=W3, reduction=r),
         [x], [labels]),
        ("MultiMarginLoss", lambda r: nn.MultiMarginLoss(p=2, margin=0.5, weight=W3, reduction=r),
         lambda a, t, r: F.multi_margin_loss(a, t, p=2, margin=0.5, weight=W3, reduction=r),
         [x], [classes]),
        ("MultiLabelMarginLoss", lambda r: nn.MultiLabelMarginLoss(reduction=r),
         lambda a, t, r: F.multilabel_margin_loss(a, t, reduction=r), [x], [lists]),
        ("CosineEmbeddingLoss", lambda r: nn.CosineEmbeddingLoss(margin=0.2, reduction=r),
         lambda a, b, t, r: F.cosine_embedding_loss(a, b, t, margin=0.2, reduction=r),
         [x, z], [_signs(4)]),
        ("TripletMarginLoss",
         lambda r: nn.TripletMarginLoss(margin=2.0, p=1.0, eps=1e-3, swap=True, reduction=r),
         lambda a, b, c, r: F.triplet_margin_loss(a, b, c, margin=2.0, p=1.0, eps=1e-3,
                                                  swap=True, reduction=r), [x, z, u], []),
        ("TripletMarginWithDistanceLoss",
         lambda r: nn.TripletMarginWithDistanceLoss(swap=True, margin=2.0, reduction=r),
         lambda a, b, c, r: F.triplet_margin_with_distance_loss(a, b, c, swap=True, margin=2.0,
                                                                reduction=r), [x, z, u], []),
    ]


CASES = _cases()


def _call_order(name, inputs, targets):
    # GaussianNLLLoss is called (input, target, var)
    return [inputs[0], targets[0], inputs[1]] if name == "GaussianNLLLoss" else inputs + targets


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name, make, functional, inputs, targets", CASES,
                         ids=[c[0] for c in CASES])
def test_each_module_equals_its_function(name, make, functional, inputs, targets, reduction):
    first = [ad.tensor(v, requires_grad=True) for v in inputs]
    second = [ad.tensor(v, requires_grad=True) for v in inputs]
    got = make(reduction)(*_call_order(name, first, targets))
    expected = functional(*_call_order(name, second, targets), reduction)
    np.testing.assert_array_equal(got.data, expected.data)
    got.sum().backward()
    expected.sum().backward()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a.grad, b.grad)


def test_reprs_and_state_dicts():
    assert repr(nn.GaussianNLLLoss()) == "GaussianNLLLoss(full=False, eps=1e-06, reduction='mean')"
    assert repr(nn.PoissonNLLLoss()) == ("PoissonNLLLoss(log_input=True, full=False, eps=1e-08, "
                                         "reduction='mean')")
    assert repr(nn.MarginRankingLoss()) == "MarginRankingLoss(margin=0.0, reduction='mean')"
    assert repr(nn.HingeEmbeddingLoss()) == "HingeEmbeddingLoss(margin=1.0, reduction='mean')"
    assert repr(nn.SoftMarginLoss(reduction="sum")) == "SoftMarginLoss(reduction='sum')"
    assert repr(nn.MultiLabelSoftMarginLoss()) == ("MultiLabelSoftMarginLoss(weight=None, "
                                                   "reduction='mean')")
    assert repr(nn.MultiMarginLoss(weight=np.array([1.0, 0.5]))) == (
        "MultiMarginLoss(p=1, margin=1.0, weight=[1, 0.5], reduction='mean')")
    assert repr(nn.MultiLabelMarginLoss()) == "MultiLabelMarginLoss(reduction='mean')"
    assert repr(nn.CosineEmbeddingLoss()) == "CosineEmbeddingLoss(margin=0.0, reduction='mean')"
    assert repr(nn.TripletMarginWithDistanceLoss()) == (
        "TripletMarginWithDistanceLoss(distance_function=None, margin=1.0, swap=False, "
        "reduction='mean')")
    assert list(nn.MultiMarginLoss(weight=W3).state_dict()) == ["weight"]
    assert list(nn.MultiLabelSoftMarginLoss(weight=W3).state_dict()) == ["weight"]
    assert nn.MultiMarginLoss().state_dict() == {} == nn.TripletMarginLoss().state_dict()
    criterion = nn.MultiMarginLoss(weight=np.ones(3))
    criterion.load_state_dict({"weight": W3})
    x, y = ad.tensor(RNG.standard_normal((4, 3))), np.array([0, 1, 2, 1])
    np.testing.assert_array_equal(criterion(x, y).data, F.multi_margin_loss(x, y, weight=W3).data)


@pytest.mark.parametrize("cls", [nn.PoissonNLLLoss, nn.MarginRankingLoss, nn.HingeEmbeddingLoss,
                                 nn.SoftMarginLoss, nn.MultiLabelSoftMarginLoss,
                                 nn.MultiMarginLoss, nn.MultiLabelMarginLoss,
                                 nn.CosineEmbeddingLoss, nn.TripletMarginLoss])
def test_deprecated_size_average_and_reduce_are_refused(cls):
    with pytest.raises(TypeError, match=rf"{cls.__name__}: size_average and reduce are "
                                        r"deprecated .* pass reduction='none'"):
        cls(reduce=False)


def test_constructor_errors_are_named():
    with pytest.raises(ValueError, match=r"MultiMarginLoss: p must be 1 or 2"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match=r"MultiMarginLoss: weight must be 1-D"):
        nn.MultiMarginLoss(weight=np.ones((2, 2)))
    for cls in (nn.TripletMarginLoss, nn.TripletMarginWithDistanceLoss):
        with pytest.raises(ValueError, match=rf"{cls.__name__}: margin must be greater than 0"):
            cls(margin=0.0)
    with pytest.raises(TypeError, match=r"distance_function must be a function"):
        nn.TripletMarginWithDistanceLoss(distance_function="euclidean")
    for make in (lambda: nn.GaussianNLLLoss(reduction="avg"),
                 lambda: nn.SoftMarginLoss(reduction="avg")):
        with pytest.raises(ValueError, match=r"Loss: reduction must be 'mean', 'sum' or 'none'"):
            make()
    with pytest.raises(TypeError):
        nn.GaussianNLLLoss(True)                 # keyword-only, as in PyTorch


# ----- against PyTorch, where it is installed --------------------------------------------

def _torch_calls(torch):
    TF = torch.nn.functional
    return {
        "GaussianNLLLoss": lambda a, v, t, r: TF.gaussian_nll_loss(a, t, v, full=True, eps=1e-3,
                                                                   reduction=r),
        "PoissonNLLLoss": lambda a, t, r: TF.poisson_nll_loss(a, t, full=True, reduction=r),
        "MarginRankingLoss": lambda a, b, t, r: TF.margin_ranking_loss(a, b, t, 0.3, reduction=r),
        "HingeEmbeddingLoss": lambda a, t, r: TF.hinge_embedding_loss(a, t, 0.5, reduction=r),
        "SoftMarginLoss": lambda a, t, r: TF.soft_margin_loss(a, t, reduction=r),
        "MultiLabelSoftMarginLoss": lambda a, t, r: TF.multilabel_soft_margin_loss(
            a, t, weight=torch.tensor(W3), reduction=r),
        "MultiMarginLoss": lambda a, t, r: TF.multi_margin_loss(
            a, t, p=2, margin=0.5, weight=torch.tensor(W3), reduction=r),
        "MultiLabelMarginLoss": lambda a, t, r: TF.multilabel_margin_loss(a, t, reduction=r),
        "CosineEmbeddingLoss": lambda a, b, t, r: TF.cosine_embedding_loss(a, b, t, 0.2,
                                                                           reduction=r),
        "TripletMarginLoss": lambda a, b, c, r: TF.triplet_margin_loss(
            a, b, c, margin=2.0, p=1.0, eps=1e-3, swap=True, reduction=r),
        "TripletMarginWithDistanceLoss": lambda a, b, c, r: TF.triplet_margin_with_distance_loss(
            a, b, c, swap=True, margin=2.0, reduction=r),
    }


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name, make, functional, inputs, targets", CASES,
                         ids=[c[0] for c in CASES])
def test_values_and_gradients_match_pytorch(name, make, functional, inputs, targets, reduction):
    torch = pytest.importorskip("torch")
    ours = [ad.tensor(v, requires_grad=True) for v in inputs]
    theirs = [torch.tensor(v, requires_grad=True) for v in inputs]
    got = make(reduction)(*_call_order(name, ours, targets))
    # (float counts: PyTorch computes the Stirling term of integer targets in float32)
    targets = [t.astype(float) if name == "PoissonNLLLoss" else t for t in targets]
    expected = _torch_calls(torch)[name](*theirs, *[torch.tensor(t) for t in targets], reduction)
    assert got.shape == tuple(expected.shape)
    np.testing.assert_allclose(got.data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    got.sum().backward()
    expected.sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-14)
