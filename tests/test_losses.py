"""Losses with PyTorch's options, checked against hand-written NumPy formulas and
finite differences in float64."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.nn import functional as F

RNG = np.random.default_rng(11)


def log_softmax_ref(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def cross_entropy_ref(x, y, weight=None, ignore_index=-100, reduction="mean", smoothing=0.0):
    """PyTorch's definition, written out for (N, C, d...) logits."""
    logp = np.moveaxis(log_softmax_ref(x, 1), 1, -1)          # (N, d..., C)
    c = logp.shape[-1]
    w = np.ones(c) if weight is None else weight
    valid = y != ignore_index
    safe = np.where(valid, y, 0)
    picked = np.take_along_axis(logp, safe[..., None], -1)[..., 0]
    nll = -picked * w[safe] * valid
    smooth = -(logp * w).sum(-1) * valid
    denominator = (w[safe] * valid).sum()
    if reduction == "mean":
        nll, smooth = nll.sum() / denominator, smooth.sum() / denominator
    elif reduction == "sum":
        nll, smooth = nll.sum(), smooth.sum()
    return (1 - smoothing) * nll + smoothing / c * smooth


CASES = [
    dict(), dict(reduction="sum"), dict(reduction="none"), dict(ignore_index=1),
    dict(weight=np.array([0.2, 1.0, 3.0, 0.5])), dict(smoothing=0.1),
    dict(weight=np.array([0.2, 1.0, 3.0, 0.5]), smoothing=0.2, ignore_index=2),
    dict(weight=np.array([0.2, 1.0, 3.0, 0.5]), reduction="none", smoothing=0.3),
    dict(reduction="sum", smoothing=0.25, ignore_index=0),
]


@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 5), (2, 4, 3, 2)])
@pytest.mark.parametrize("options", CASES, ids=str)
def test_cross_entropy_matches_pytorchs_formula(shape, options):
    x = RNG.standard_normal(shape) * 2
    y = RNG.integers(0, 4, (shape[0],) + shape[2:])
    y.flat[0] = options.get("ignore_index", 1)      # make sure an ignored target occurs
    kwargs = dict(options)
    smoothing = kwargs.pop("smoothing", 0.0)
    expected = cross_entropy_ref(x, y, smoothing=smoothing, **kwargs)
    got = F.cross_entropy(ad.tensor(x), y, label_smoothing=smoothing, **kwargs)
    assert got.shape == np.shape(expected)
    np.testing.assert_allclose(got.data, expected, rtol=1e-12, atol=1e-14)
    assert ad.gradcheck(lambda t: F.cross_entropy(t, y, label_smoothing=smoothing, **kwargs), [x])
    assert ad.gradgradcheck(lambda t: F.cross_entropy(t, y, label_smoothing=smoothing, **kwargs),
                            [x])


@pytest.mark.parametrize("options", CASES, ids=str)
def test_cross_entropy_of_float32_logits_is_float32(options):
    x = (RNG.standard_normal((6, 4)) * 2).astype(np.float32)
    y = RNG.integers(0, 4, 6)
    y[0] = options.get("ignore_index", 1)
    kwargs = dict(options)
    smoothing = kwargs.pop("smoothing", 0.0)
    logits = ad.tensor(x, requires_grad=True)
    got = F.cross_entropy(logits, y, label_smoothing=smoothing, **kwargs)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.data, cross_entropy_ref(x.astype(np.float64), y,
                                                           smoothing=smoothing, **kwargs),
                               rtol=1e-5)
    got.sum().backward()
    assert logits.grad.dtype == np.float32


def test_cross_entropy_plain_case_stays_on_the_fused_op():
    x = ad.tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    assert F.cross_entropy(x, [0, 1, 2, 0]).node.op.name == "cross_entropy"
    assert F.cross_entropy(x, [0, -100, 2, 0]).node.op.name != "cross_entropy"


def test_cross_entropy_unbatched_and_all_ignored():
    x = RNG.standard_normal(5)
    np.testing.assert_allclose(F.cross_entropy(ad.tensor(x), np.array(3)).data,
                               -log_softmax_ref(x, 0)[3])
    assert F.cross_entropy(ad.tensor(x), np.array(3), reduction="none").shape == ()
    lost = F.cross_entropy(ad.tensor(RNG.standard_normal((2, 3))), [-100, -100])
    assert np.isnan(lost.item())                          # 0 / 0, as PyTorch


@pytest.mark.parametrize("options", [
    dict(), dict(weight=np.array([0.2, 1.0, 3.0, 0.5])), dict(ignore_index=2),
    dict(label_smoothing=0.1), dict(label_smoothing=0.1, weight=np.array([0.2, 1.0, 3.0, 0.5]))],
    ids=str)
@pytest.mark.parametrize("shape", [(3, 4), (2, 4, 3)])
def test_all_targets_ignored_gives_nan_loss_and_zero_gradient(options, shape):
    # PyTorch: the mean is 0 / 0 = NaN, but no target contributes, so the gradient is 0
    target = np.full((shape[0],) + shape[2:], options.get("ignore_index", -100))
    losses = [F.cross_entropy] + ([F.nll_loss] if "label_smoothing" not in options else [])
    for loss in losses:
        x = ad.tensor(RNG.standard_normal(shape), requires_grad=True)
        out = loss(x, target, **options)
        assert np.isnan(out.item())
        out.backward()
        np.testing.assert_array_equal(x.grad, np.zeros(shape))


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_with_probability_targets(smoothing):
    x = RNG.standard_normal((4, 3, 2))
    p = RNG.dirichlet(np.ones(3), size=(4, 2)).transpose(0, 2, 1)     # sums to 1 on axis 1
    q = p * (1 - smoothing) + smoothing / 3
    per_item = -(log_softmax_ref(x, 1) * q).sum(1)
    np.testing.assert_allclose(F.cross_entropy(ad.tensor(x), p, label_smoothing=smoothing).data,
                               per_item.mean(), rtol=1e-12)
    np.testing.assert_allclose(
        F.cross_entropy(ad.tensor(x), p, reduction="none", label_smoothing=smoothing).data,
        per_item, rtol=1e-12)
    assert ad.gradcheck(lambda t: F.cross_entropy(t, p, label_smoothing=smoothing), [x])


def test_probability_targets_refuse_an_ignore_index_as_pytorch_does():
    # A class index cannot be skipped in probability targets; the loss used to come out
    # as if ignore_index had not been given.
    x = ad.tensor(RNG.standard_normal((2, 3)))
    p = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match="ignore_index=1 applies to class-index targets"):
        F.cross_entropy(x, p, ignore_index=1)
    F.cross_entropy(x, p, ignore_index=-100)       # the default: nothing to skip


def test_nll_loss_options():
    lp = log_softmax_ref(RNG.standard_normal((5, 3)), 1)
    y = np.array([0, 2, 1, 2, -100])
    w = np.array([1.0, 2.0, 0.5])
    expected = -(lp[np.arange(4), y[:4]] * w[y[:4]]).sum() / w[y[:4]].sum()
    np.testing.assert_allclose(F.nll_loss(ad.tensor(lp), y, weight=w).data, expected)
    none = F.nll_loss(ad.tensor(lp), y, reduction="none")
    np.testing.assert_allclose(none.data, np.r_[-lp[np.arange(4), y[:4]], 0.0])
    assert ad.gradcheck(lambda t: F.nll_loss(t, y, weight=w, reduction="sum"), [lp])


def test_cross_entropy_bad_options_are_named():
    x = ad.tensor(RNG.standard_normal((3, 4)))
    with pytest.raises(ValueError, match=r"cross_entropy: reduction must be 'mean', 'sum' or "
                                         r"'none', got 'average'"):
        F.cross_entropy(x, [0, 1, 2], reduction="average")
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 1.5"):
        F.cross_entropy(x, [0, 1, 2], label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"weight must have one entry per class, shape \(4,\)"):
        F.cross_entropy(x, [0, 1, 2], weight=np.ones(3))
    with pytest.raises(IndexError, match=r"target holds class 7.*or equal ignore_index=-100"):
        F.cross_entropy(x, [0, 7, 2])
    with pytest.raises(ValueError, match=r"target must have shape \(3, 5\)"):
        F.cross_entropy(ad.tensor(np.zeros((3, 4, 5))), np.zeros((3, 4), dtype=int))


# ----- regression and binary losses ------------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_and_huber_reductions(reduction):
    a, b = RNG.standard_normal((4, 3)) * 2, RNG.standard_normal((4, 3))
    reduce = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction]
    np.testing.assert_allclose(F.mse_loss(ad.tensor(a), b, reduction=reduction).data,
                               reduce((a - b) ** 2))
    d = np.abs(a - b)
    for delta in (1.0, 0.5):
        expected = np.where(d < delta, 0.5 * d ** 2, delta * (d - 0.5 * delta))
        got = F.huber_loss(ad.tensor(a), b, reduction=reduction, delta=delta)
        np.testing.assert_allclose(got.data, reduce(expected), rtol=1e-13)
        assert ad.gradcheck(lambda x, y: F.huber_loss(x, y, reduction, delta), [a, b])
    assert ad.gradgradcheck(lambda x, y: F.mse_loss(x, y, reduction), [a, b])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_with_and_without_logits(reduction):
    x = RNG.standard_normal((5, 2)) * 3
    t = RNG.uniform(0, 1, (5, 2))
    w = RNG.uniform(0.5, 2, (5, 2))
    pw = np.array([2.0, 0.5])
    reduce = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction]
    p = 1 / (1 + np.exp(-x))
    plain = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(F.binary_cross_entropy(ad.tensor(p), t, reduction=reduction).data,
                               reduce(plain), rtol=1e-12)
    np.testing.assert_allclose(
        F.binary_cross_entropy(ad.tensor(p), t, weight=w, reduction=reduction).data,
        reduce(w * plain), rtol=1e-12)
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(ad.tensor(x), t, reduction=reduction).data,
        reduce(plain), rtol=1e-12)
    weighted = -w * (pw * t * np.log(p) + (1 - t) * np.log(1 - p))
    got = F.binary_cross_entropy_with_logits(ad.tensor(x), t, weight=w, reduction=reduction,
                                             pos_weight=pw)
    np.testing.assert_allclose(got.data, reduce(weighted), rtol=1e-12)
    assert ad.gradcheck(lambda z: F.binary_cross_entropy_with_logits(
        z, t, weight=w, reduction=reduction, pos_weight=pw), [x])
    assert ad.gradgradcheck(lambda z: F.binary_cross_entropy_with_logits(
        z, t, reduction=reduction), [x])
    assert ad.gradcheck(lambda q: F.binary_cross_entropy(q, t, weight=w, reduction=reduction),
                        [p])


def test_bce_with_logits_is_stable_and_right_at_zero():
    x = ad.tensor([0.0, 1e4, -1e4, 800.0], requires_grad=True)
    t = np.array([1.0, 1.0, 0.0, 0.0])
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(loss.data, [np.log(2), 0.0, 0.0, 800.0])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, [-0.5, 0.0, 0.0, 1.0])    # sigmoid(x) - t


@pytest.mark.parametrize("loss", [F.mse_loss, F.huber_loss, F.binary_cross_entropy,
                                  F.binary_cross_entropy_with_logits, F.nll_loss])
def test_bad_reduction_is_named(loss):
    x = ad.tensor(np.full((2, 2), 0.5))
    target = np.array([0, 1]) if loss is F.nll_loss else np.full((2, 2), 0.5)
    with pytest.raises(ValueError, match=rf"{loss.__name__}: reduction must be .*got 'avg'"):
        loss(x, target, reduction="avg")


def test_bce_with_logits_and_pos_weight_keeps_the_gradients_relative_accuracy():
    # With pos_weight the loss was (1 - t) x + (...) softplus(-x): for t = 0 at x = -35
    # the gradient sigmoid(x) came out 6 % off (x + softplus(-x) cancels)
    x_values = np.array([-20.0, -35.0, 30.0, 0.3])
    t = np.array([0.0, 0.0, 1.0, 1.0])
    x = ad.tensor(x_values, requires_grad=True)
    F.binary_cross_entropy_with_logits(x, t, reduction="sum", pos_weight=np.array(2.0)).backward()
    sigmoid = 1 / (1 + np.exp(-x_values))
    expected = np.where(t == 1, -2 / (1 + np.exp(x_values)), sigmoid)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-14)
