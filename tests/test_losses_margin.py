"""Margin and embedding losses (margin_ranking, hinge_embedding, soft_margin,
multilabel_soft_margin, multi_margin, multilabel_margin, cosine_embedding, triplet_margin,
triplet_margin_with_distance): values against the loops of tests/loss_reference.py,
PyTorch's gradients at the kinks, gradient checks, dtypes and errors."""

from __future__ import annotations

import loss_reference as ref
import numpy as np
import pytest

import autodiff as ad
from autodiff.nn import functional as F

RNG = np.random.default_rng(31)
REDUCTIONS = ["mean", "sum", "none"]


def signs(shape):
    return RNG.choice([-1.0, 1.0], shape)


def away_from_kinks(shape, scale=2.0):
    """Values whose pairwise differences are not near the margins used below."""
    return RNG.standard_normal(shape) * scale


def check(got, expected, dtype=np.float64):
    assert got.shape == np.shape(expected) and got.dtype == dtype
    np.testing.assert_allclose(got.data, expected, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-6 if dtype == np.float32 else 1e-14)


# ----- values ----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5,), (1,), (2, 3), ()], ids=str)
def test_elementwise_margin_losses(shape, reduction, dtype):
    x1, x2 = away_from_kinks(shape), away_from_kinks(shape)
    y = signs(shape)
    t1, t2 = ad.tensor(x1.astype(dtype)), ad.tensor(x2.astype(dtype))
    x1, x2 = x1.astype(dtype).astype(np.float64), x2.astype(dtype).astype(np.float64)
    for margin in (0.0, 0.5):
        check(F.margin_ranking_loss(t1, t2, y, margin=margin, reduction=reduction),
              ref.reduce(ref.margin_ranking(x1, x2, y, margin), reduction), dtype)
    for margin in (1.0, 0.3):
        check(F.hinge_embedding_loss(t1, y, margin=margin, reduction=reduction),
              ref.reduce(ref.hinge_embedding(x1, y, margin), reduction), dtype)
    check(F.soft_margin_loss(t1, y, reduction=reduction),
          ref.reduce(ref.soft_margin(x1, y), reduction), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 3), (1, 3), (3,), (2, 2, 3)], ids=str)
def test_multilabel_soft_margin(shape, reduction, dtype):
    x = away_from_kinks(shape).astype(dtype)
    y = RNG.integers(0, 2, shape).astype(dtype)
    w = RNG.uniform(0.5, 2, shape[-1])
    x64 = x.astype(np.float64)
    check(F.multilabel_soft_margin_loss(ad.tensor(x), y, reduction=reduction),
          ref.reduce(ref.multilabel_soft_margin(x64, y), reduction), dtype)
    check(F.multilabel_soft_margin_loss(ad.tensor(x), y, weight=w, reduction=reduction),
          ref.reduce(ref.multilabel_soft_margin(x64, y, w), reduction), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("n", [1, 5])
def test_multi_margin(n, p, reduction, dtype):
    x = away_from_kinks((n, 4)).astype(dtype)
    y = RNG.integers(0, 4, n)
    w = RNG.uniform(0.5, 2, 4)
    x64 = x.astype(np.float64)
    for margin, weight in ((1.0, None), (0.7, w)):
        got = F.multi_margin_loss(ad.tensor(x), y, p=p, margin=margin, weight=weight,
                                  reduction=reduction)
        check(got, ref.reduce(ref.multi_margin(x64, y, p, margin, weight), reduction), dtype)


def test_multi_margin_of_one_sample_without_a_batch_axis():
    x = away_from_kinks(4)
    for y in (np.array(2), np.array([2])):        # the output has the target's shape
        got = F.multi_margin_loss(ad.tensor(x), y, reduction="none")
        check(got, ref.multi_margin(x, y))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin(reduction, dtype):
    x = away_from_kinks((6, 4)).astype(dtype)
    # lists ended by -1, entries after it ignored, repeats counted twice, all classes,
    # an empty list
    y = np.array([[3, 0, -1, 1], [1, -1, 0, 0], [0, 1, 2, 3], [-1, 2, 2, 2], [2, 2, -1, 0],
                  [1, 3, 0, -1]])
    got = F.multilabel_margin_loss(ad.tensor(x), y, reduction=reduction)
    check(got, ref.reduce(ref.multilabel_margin(x.astype(np.float64), y), reduction), dtype)
    one = F.multilabel_margin_loss(ad.tensor(x[0]), y[0], reduction="none")
    check(one, ref.multilabel_margin(x[:1].astype(np.float64), y[:1])[0], dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("n", [1, 5])
def test_cosine_embedding(n, reduction, dtype):
    x1, x2 = away_from_kinks((n, 3)).astype(dtype), away_from_kinks((n, 3)).astype(dtype)
    y = signs(n)
    for margin in (0.0, 0.3, -0.5):
        got = F.cosine_embedding_loss(ad.tensor(x1), ad.tensor(x2), y, margin=margin,
                                      reduction=reduction)
        expected = ref.cosine_embedding(x1.astype(np.float64), x2.astype(np.float64), y, margin)
        check(got, ref.reduce(expected, reduction), dtype)


def test_cosine_embedding_unbatched_broadcast_and_zero_vectors():
    a, b = away_from_kinks(3), away_from_kinks(3)
    check(F.cosine_embedding_loss(ad.tensor(a), ad.tensor(b), np.array(-1.0), reduction="none"),
          ref.cosine_embedding(a[None], b[None], [-1.0])[0])
    x1, x2, y = away_from_kinks((4, 3)), away_from_kinks((1, 3)), signs(4)
    check(F.cosine_embedding_loss(ad.tensor(x1), ad.tensor(x2), y, reduction="none"),
          ref.cosine_embedding(x1, np.broadcast_to(x2, (4, 3)), y))
    zero = np.zeros((2, 3))                      # PyTorch's 1e-12 keeps the cosine finite
    check(F.cosine_embedding_loss(ad.tensor(zero), ad.tensor(x1[:2]), np.array([1.0, -1.0]),
                                  reduction="none"), [1.0, 0.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, np.inf])
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("n", [1, 4])
def test_triplet_margin(n, swap, p, reduction, dtype):
    a, pos, neg = (away_from_kinks((n, 3), 1.0).astype(dtype) for _ in range(3))
    args64 = [v.astype(np.float64) for v in (a, pos, neg)]
    for margin, eps in ((1.0, 1e-6), (0.4, 0.0)):
        got = F.triplet_margin_loss(ad.tensor(a), ad.tensor(pos), ad.tensor(neg), margin=margin,
                                    p=p, eps=eps, swap=swap, reduction=reduction)
        expected = ref.triplet_margin(*args64, margin=margin, p=p, eps=eps, swap=swap)
        check(got, ref.reduce(expected, reduction), dtype)
    if p == 2.0:
        got = F.triplet_margin_with_distance_loss(ad.tensor(a), ad.tensor(pos), ad.tensor(neg),
                                                  swap=swap, reduction=reduction)
        check(got, ref.reduce(ref.triplet_margin(*args64, swap=swap), reduction), dtype)


def test_triplet_margin_unbatched_broadcast_and_a_distance_function():
    a, pos, neg = away_from_kinks(3), away_from_kinks(3), away_from_kinks(3)
    check(F.triplet_margin_loss(ad.tensor(a), ad.tensor(pos), ad.tensor(neg), reduction="none"),
          ref.triplet_margin(a[None], pos[None], neg[None])[0])
    a, pos, neg = away_from_kinks((4, 3)), away_from_kinks((1, 3)), away_from_kinks((4, 3))
    check(F.triplet_margin_loss(ad.tensor(a), ad.tensor(pos), ad.tensor(neg), reduction="none"),
          ref.triplet_margin(a, np.broadcast_to(pos, (4, 3)), neg))

    def manhattan(x, y):
        return ad.abs(x - y).sum(-1)

    got = F.triplet_margin_with_distance_loss(ad.tensor(a), ad.tensor(pos), ad.tensor(neg),
                                              distance_function=manhattan, margin=0.5,
                                              swap=True, reduction="none")
    pos = np.broadcast_to(pos, (4, 3))
    d_pos, d_neg = np.abs(a - pos).sum(-1), np.abs(a - neg).sum(-1)
    d_neg = np.minimum(d_neg, np.abs(pos - neg).sum(-1))
    check(got, np.maximum(0.5 + d_pos - d_neg, 0))


# ----- gradients -------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("n", [1, 4])
def test_gradients(n, reduction):
    x1, x2, x3 = (away_from_kinks((n, 3)) for _ in range(3))
    y, w, classes = signs((n, 3)), RNG.uniform(0.5, 2, 3), RNG.integers(0, 3, n)
    labels = RNG.integers(0, 2, (n, 3)).astype(float)
    lists = np.array([[2, 0, -1]] * n)
    r = reduction
    cases = [
        (lambda a, b: F.margin_ranking_loss(a, b, y, 0.3, r), [x1, x2], False),
        (lambda a: F.hinge_embedding_loss(a, y, 0.7, r), [x1], False),
        (lambda a: F.soft_margin_loss(a, y, r), [x1], True),
        (lambda a, t: F.multilabel_soft_margin_loss(a, t, w, r), [x1, labels], True),
        (lambda a: F.multi_margin_loss(a, classes, 1, 0.8, w, r), [x1], False),
        (lambda a: F.multi_margin_loss(a, classes, 2, 0.8, None, r), [x1], False),
        (lambda a: F.multilabel_margin_loss(a, lists, r), [x1], False),
        (lambda a, b: F.cosine_embedding_loss(a, b, y[:, 0], 0.2, r), [x1, x2], False),
        (lambda a, b: F.cosine_embedding_loss(a, b, np.ones(n), 0.2, r), [x1, x2], True),
        (lambda a, b, c: F.triplet_margin_loss(a, b, c, margin=5.0, swap=True, reduction=r),
         [x1, x2, x3], True),
        (lambda a, b, c: F.triplet_margin_loss(a, b, c, margin=2.0, p=1.0, reduction=r),
         [x1, x2, x3], False),
        (lambda a, b, c: F.triplet_margin_with_distance_loss(
            a, b, c, distance_function=lambda u, v: 1 - F.cosine_similarity(u, v),
            margin=3.0, reduction=r), [x1, x2, x3], True),
    ]
    for loss, inputs, smooth in cases:
        assert ad.gradcheck(loss, inputs)
        if smooth:
            assert ad.gradgradcheck(loss, inputs)


def test_gradient_in_a_margin_ranking_target():
    x1, x2, y = away_from_kinks(4), away_from_kinks(4), signs(4)
    t = ad.tensor(y, requires_grad=True)
    F.margin_ranking_loss(ad.tensor(x1), ad.tensor(x2), t, margin=0.1, reduction="sum").backward()
    np.testing.assert_allclose(t.grad, np.where(-y * (x1 - x2) + 0.1 >= 0, x2 - x1, 0.0))


def test_gradients_at_the_kinks_are_pytorchs():
    # clamp_min's gradient passes at 0: margin_ranking, hinge_embedding, cosine, triplet
    a = ad.tensor([1.0, 2.0, 0.0], requires_grad=True)
    b = ad.tensor([1.0, 1.0, 0.5], requires_grad=True)
    F.margin_ranking_loss(a, b, np.array([1.0, -1.0, 1.0]), reduction="sum").backward()
    np.testing.assert_array_equal(a.grad, [-1.0, 1.0, -1.0])
    np.testing.assert_array_equal(b.grad, [1.0, -1.0, 1.0])
    x = ad.tensor([1.0, 0.5, 2.0, 1.0], requires_grad=True)
    F.hinge_embedding_loss(x, np.array([-1.0, -1.0, -1.0, 1.0]), reduction="sum").backward()
    np.testing.assert_array_equal(x.grad, [-1.0, -1.0, 0.0, 1.0])
    positive = ad.tensor([[3.0, 4.0]], requires_grad=True)
    F.triplet_margin_loss(ad.tensor([[0.0, 0.0]]), positive, ad.tensor([[6.0, 8.0]]), margin=5.0,
                          eps=0.0).backward()       # 5 + 5 - 10 = 0
    np.testing.assert_allclose(positive.grad, [[0.6, 0.8]])
    u, v = ad.tensor([[1.0, 1.0]], requires_grad=True), ad.tensor([[1.0, 0.0]])
    cos = F.cosine_embedding_loss(u, v, np.array([-1.0])).item()      # cos - 0
    F.cosine_embedding_loss(u, v, np.array([-1.0]), margin=cos).backward()   # cos - cos = 0
    np.testing.assert_allclose(u.grad, [[0.5 ** 1.5, -(0.5 ** 1.5)]], rtol=1e-9)
    # the class-margin losses count a term only where it is > 0: gradient 0 at the kink
    x = ad.tensor([[1.0, 0.0, 0.5]], requires_grad=True)
    F.multi_margin_loss(x, np.array([0]), reduction="sum").backward()    # 1 - 1 + 0 = 0
    np.testing.assert_allclose(x.grad, [[-1 / 3, 0.0, 1 / 3]])
    x = ad.tensor([[0.0, 1.0, 0.5]], requires_grad=True)
    F.multilabel_margin_loss(x, np.array([[1, -1, 0]]), reduction="sum").backward()
    np.testing.assert_allclose(x.grad, [[0.0, -1 / 3, 1 / 3]])


def test_triplet_swap_tie_splits_the_gradient():
    a = RNG.standard_normal((1, 3))
    n = a + 3.0
    anchor, positive = ad.tensor(a, requires_grad=True), ad.tensor(a.copy(), requires_grad=True)
    F.triplet_margin_loss(anchor, positive, ad.tensor(n), margin=10.0, eps=0.0,
                          swap=True).backward()
    # d(a, p) = 0 (its gradient at a zero vector is 0); d(a, n) = d(p, n): half each
    unit = (a - n) / np.linalg.norm(a - n)
    np.testing.assert_allclose(anchor.grad, -0.5 * unit)
    np.testing.assert_allclose(positive.grad, -0.5 * unit)


def test_soft_margin_is_finite_where_exp_overflows():
    x = ad.tensor([-800.0, 800.0, -40.0], requires_grad=True)
    loss = F.soft_margin_loss(x, np.array([1.0, -1.0, -1.0]), reduction="none")
    np.testing.assert_allclose(loss.data, [800.0, 800.0, np.log1p(np.exp(-40.0))])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, [-1.0, 1.0, 1 / (1 + np.exp(40.0))])


@pytest.mark.parametrize("dtype", [np.float32])
def test_float32_gradients_stay_float32(dtype):
    x = ad.tensor(away_from_kinks((3, 4)).astype(dtype), requires_grad=True)
    z = ad.tensor(away_from_kinks((3, 4)).astype(dtype), requires_grad=True)
    y4, y3 = signs((3, 4)), signs(3)
    for loss in (F.margin_ranking_loss(x, z, y4), F.hinge_embedding_loss(x, y4),
                 F.soft_margin_loss(x, y4), F.multilabel_soft_margin_loss(x, (y4 > 0).astype(int)),
                 F.multilabel_soft_margin_loss(x, (y4 > 0).astype(np.float64), np.ones(4)),
                 F.multi_margin_loss(x, np.array([0, 3, 1]), weight=np.ones(4)),
                 F.multilabel_margin_loss(x, np.array([[0, -1, 0, 0]] * 3)),
                 F.cosine_embedding_loss(x, z, y3), F.triplet_margin_loss(x, z, x * 2),
                 F.triplet_margin_with_distance_loss(x, z, x * 2)):
        x.zero_grad()
        assert loss.dtype == dtype
        loss.backward()
        assert x.grad.dtype == dtype


# ----- errors ----------------------------------------------------------------------------

def test_targets_must_be_plus_or_minus_one():
    x = ad.tensor(np.zeros(3))
    for call in (lambda t: F.margin_ranking_loss(x, x, t), lambda t: F.hinge_embedding_loss(x, t),
                 lambda t: F.soft_margin_loss(x, t),
                 lambda t: F.cosine_embedding_loss(ad.tensor(np.ones((3, 2))),
                                                   ad.tensor(np.ones((3, 2))), t)):
        with pytest.raises(ValueError, match=r"_loss: target must hold 1 or -1 \(shape \(3,\)\), "
                                             r"but it holds 0; for 0/1 labels pass 2 \* y - 1"):
            call(np.array([1.0, 0.0, 1.0]))
        call(np.array([1, -1, 1]))               # integer signs are fine


def test_shape_errors_are_named():
    x = ad.tensor(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"margin_ranking_loss: input1, input2 and target must "
                                         r"have the same number of axes"):
        F.margin_ranking_loss(ad.tensor(np.zeros(3)), ad.tensor(np.zeros(3)), np.array(1.0))
    with pytest.raises(ValueError, match=r"margin_ranking_loss: input1 has shape \(3, 2\) but "
                                         r"input2 has shape \(1, 2\)"):
        F.margin_ranking_loss(x, ad.tensor(np.zeros((1, 2))), np.ones((3, 2)))
    for loss in (F.hinge_embedding_loss, F.soft_margin_loss):
        with pytest.raises(ValueError, match=rf"{loss.__name__}: input has shape \(3, 2\) but "
                                             r"target has shape \(3,\)"):
            loss(x, np.ones(3))
    with pytest.raises(ValueError, match=r"multilabel_soft_margin_loss: target must have the "
                                         r"input's shape \(3, 2\)"):
        F.multilabel_soft_margin_loss(x, np.ones((3, 1)))
    with pytest.raises(ValueError, match=r"multi_margin_loss: input must have shape \(N, C\) or "
                                         r"\(C,\) with C >= 1 .*got shape \(2, 3, 2\)"):
        F.multi_margin_loss(ad.tensor(np.zeros((2, 3, 2))), np.zeros(2, int))
    with pytest.raises(ValueError, match=r"multi_margin_loss: target must have shape \(3,\), one "
                                         r"class index per sample .* got shape \(1, 3\)"):
        F.multi_margin_loss(x, np.zeros((1, 3), int))
    with pytest.raises(ValueError, match=r"multilabel_margin_loss: target must have the input's "
                                         r"shape \(3, 2\)"):
        F.multilabel_margin_loss(x, np.zeros((3, 1), int))
    with pytest.raises(ValueError, match=r"cosine_embedding_loss: a 1-D target expects 2-D "
                                         r"inputs .* shapes \(3,\) and \(3,\)"):
        F.cosine_embedding_loss(ad.tensor(np.ones(3)), ad.tensor(np.ones(3)), np.ones(1))
    with pytest.raises(ValueError, match=r"cosine_embedding_loss: target of shape \(2,\) does "
                                         r"not broadcast to the input's shape \(3,\)"):
        F.cosine_embedding_loss(x, x, np.ones(2))
    with pytest.raises(ValueError, match=r"triplet_margin_loss: anchor, positive and negative "
                                         r"must have the same number of axes"):
        F.triplet_margin_loss(x, ad.tensor(np.zeros(2)), x)


def test_class_target_errors_are_named():
    x = ad.tensor(np.zeros((2, 3)))
    with pytest.raises(IndexError, match=r"multi_margin_loss: target holds 3, but the input has 3 "
                                         r"classes, so targets must be in \[0, 3\)"):
        F.multi_margin_loss(x, np.array([0, 3]))
    with pytest.raises(TypeError, match=r"multi_margin_loss: target must hold integer class "
                                        r"indices, got dtype float64"):
        F.multi_margin_loss(x, np.array([0.0, 1.0]))
    with pytest.raises(IndexError, match=r"multilabel_margin_loss: target holds -2.*\[0, 3\) or "
                                         r"-1 \(end of list\)"):
        F.multilabel_margin_loss(x, np.array([[0, -1, 1], [-2, 0, 0]]))
    with pytest.raises(IndexError, match=r"multilabel_margin_loss: target holds 7"):
        F.multilabel_margin_loss(x, np.array([[0, -1, 7], [1, 0, 0]]))   # also after the -1


def test_option_errors_are_named():
    x = ad.tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"multi_margin_loss: p must be 1 or 2"):
        F.multi_margin_loss(x, np.array([0, 1]), p=3)
    with pytest.raises(ValueError, match=r"multi_margin_loss: weight must be 1-D"):
        F.multi_margin_loss(x, np.array([0, 1]), weight=np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"multi_margin_loss: weight must have one entry per "
                                         r"class, shape \(3,\)"):
        F.multi_margin_loss(x, np.array([0, 1]), weight=np.ones(2))
    for loss in (F.triplet_margin_loss, F.triplet_margin_with_distance_loss):
        with pytest.raises(ValueError, match=rf"{loss.__name__}: margin must be greater than 0, "
                                             r"got 0"):
            loss(x, x, x, margin=0)
        with pytest.raises(ValueError, match=rf"{loss.__name__}: reduction must be"):
            loss(x, x, x, reduction="avg")
    with pytest.raises(TypeError, match=r"distance_function must be a function"):
        F.triplet_margin_with_distance_loss(x, x, x, distance_function="cosine")
    with pytest.raises(TypeError, match=r"margin gets no gradient"):
        F.hinge_embedding_loss(x, np.ones((2, 3)), margin=ad.tensor(1.0, requires_grad=True))
    with pytest.raises(ValueError, match=r"pairwise_distance: p=0.5 is not supported"):
        F.triplet_margin_loss(x, x, x, p=0.5)
    cases = [(F.margin_ranking_loss, (x, x, np.ones((2, 3)))),
             (F.hinge_embedding_loss, (x, np.ones((2, 3)))),
             (F.soft_margin_loss, (x, np.ones((2, 3)))),
             (F.multilabel_soft_margin_loss, (x, np.ones((2, 3)))),
             (F.multi_margin_loss, (x, np.array([0, 1]))),
             (F.multilabel_margin_loss, (x, np.zeros((2, 3), int))),
             (F.cosine_embedding_loss, (x, x, np.ones(2)))]
    for loss, args in cases:
        with pytest.raises(ValueError, match=rf"{loss.__name__}: reduction must be 'mean', 'sum' "
                                             r"or 'none', got 'avg'"):
            loss(*args, reduction="avg")
        with pytest.raises(TypeError, match=rf"{loss.__name__}.*expected floating-point"):
            loss(np.zeros((2, 3), int), *args[1:])


def test_a_compiled_step_checks_each_calls_targets():
    w = ad.nn.Parameter(RNG.standard_normal((3, 4)))
    weight = np.array([1.0, 2.0, 0.5, 1.0])
    lists = np.array([[0, -1, 0, 0]] * 5)

    def losses(x, classes, y):
        scores = x @ w
        return (F.multi_margin_loss(scores, classes, p=2, weight=weight)
                + F.hinge_embedding_loss(scores.sum(-1), y)
                + F.multilabel_margin_loss(scores, lists))

    compiled = ad.compile(lambda *args: losses(*args).detach())
    for _ in range(3):
        args = (RNG.standard_normal((5, 3)), RNG.integers(0, 4, 5), signs(5))
        np.testing.assert_allclose(compiled(*args).data, losses(*args).data, rtol=1e-12)
    assert compiled.traces == 1
    with pytest.raises(ValueError, match=r"hinge_embedding_loss: target must hold 1 or -1"):
        compiled(RNG.standard_normal((5, 3)), RNG.integers(0, 4, 5), np.zeros(5))
    with pytest.raises(IndexError, match=r"multi_margin_loss: target holds 4"):
        compiled(RNG.standard_normal((5, 3)), np.full(5, 4), signs(5))
