"""Loss modules (``nn.CrossEntropyLoss`` and the rest) and the losses ``l1_loss``,
``smooth_l1_loss`` and ``kl_div``: NumPy references, gradients, kinks, state dicts,
reprs and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F

RNG = np.random.default_rng(5)
REDUCE = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}


def l1_ref(x, y):
    return np.abs(x - y)


def smooth_l1_ref(x, y, beta):
    d = np.abs(x - y)
    return np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta) if beta else d


def kl_ref(logq, t, log_target=False):
    if log_target:
        return np.exp(t) * (t - logq)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t == 0, 0.0, t * np.log(t)) - t * logq


def kl_reduced(per_item, reduction, batch):
    if reduction == "batchmean":
        return per_item.sum() / batch
    return REDUCE[reduction](per_item)


def probabilities(shape, zeros=True):
    t = RNG.uniform(0.05, 1, shape)
    if zeros and t.size > 2:
        t.flat[[0, 2]] = 0.0                     # zero targets contribute 0
    return t / t.sum(axis=-1, keepdims=True) if t.ndim else t


# ----- the new functions against NumPy ---------------------------------------------------

SHAPES = [(5, 3), (2, 3, 4), (4,), ()]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_l1_and_smooth_l1_match_numpy(shape, reduction, dtype):
    x = RNG.standard_normal(shape).astype(dtype)
    y = RNG.standard_normal(shape).astype(dtype)
    tol = dict(rtol=1e-6 if dtype == np.float32 else 1e-13)
    got = F.l1_loss(ad.tensor(x), ad.tensor(y), reduction=reduction)
    assert got.dtype == dtype and got.shape == np.shape(REDUCE[reduction](l1_ref(x, y)))
    np.testing.assert_allclose(got.data, REDUCE[reduction](l1_ref(x, y)), **tol)
    for beta in (1.0, 0.3, 0.0, 5.0):
        got = F.smooth_l1_loss(ad.tensor(x), ad.tensor(y), reduction=reduction, beta=beta)
        assert got.dtype == dtype
        np.testing.assert_allclose(got.data, REDUCE[reduction](smooth_l1_ref(x, y, beta)), **tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_numpy(shape, reduction, dtype, log_target):
    logq = np.log(probabilities(shape, zeros=False)).astype(dtype)
    t = probabilities(shape).astype(dtype)
    if log_target:
        t = np.log(np.where(t == 0, 1e-3, t)).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)      # 'mean' warns, tested below
        got = F.kl_div(ad.tensor(logq), ad.tensor(t), reduction=reduction, log_target=log_target)
    expected = kl_reduced(kl_ref(logq.astype(np.float64), t.astype(np.float64), log_target),
                          reduction, shape[0] if shape else 1)
    assert got.dtype == dtype and got.shape == np.shape(expected)
    np.testing.assert_allclose(got.data, expected, rtol=2e-6 if dtype == np.float32 else 1e-13,
                               atol=1e-7 if dtype == np.float32 else 1e-15)


def test_kl_div_mean_warns_as_pytorch_and_batchmean_does_not():
    logq, t = np.log(probabilities((3, 4), zeros=False)), probabilities((3, 4))
    with pytest.warns(UserWarning, match=r"kl_div: reduction='mean' divides .*='batchmean'"):
        mean = F.kl_div(ad.tensor(logq), t)
    np.testing.assert_allclose(mean.data, kl_ref(logq, t).mean(), rtol=1e-13)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batchmean = F.kl_div(ad.tensor(logq), t, reduction="batchmean")
        nn.KLDivLoss(reduction="batchmean")(ad.tensor(logq), t)
    np.testing.assert_allclose(batchmean.data, kl_ref(logq, t).sum() / 3, rtol=1e-13)


def test_a_scalar_target_broadcasts_and_a_mismatched_shape_is_refused():
    x = RNG.standard_normal((4, 1))
    np.testing.assert_allclose(F.l1_loss(ad.tensor(x), 0.5).data, np.abs(x - 0.5).mean())
    np.testing.assert_allclose(F.smooth_l1_loss(ad.tensor(x), 0.5, "none").data,
                               smooth_l1_ref(x, 0.5, 1.0))
    for loss in (F.l1_loss, F.smooth_l1_loss, F.mse_loss, F.kl_div):
        with pytest.raises(ValueError, match=rf"{loss.__name__}: input has shape \(4, 1\) but "
                                             r"target has shape \(4,\); they must match"):
            loss(ad.tensor(x), np.zeros(4))
    with pytest.raises(ValueError, match=r"L1Loss|l1_loss: input has shape \(4, 1\)"):
        nn.L1Loss()(ad.tensor(x), np.zeros(4))


# ----- gradients -------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_l1_and_smooth_l1_gradients(reduction):
    x, y = RNG.standard_normal((4, 3)) * 2, RNG.standard_normal((4, 3))
    assert ad.gradcheck(lambda a, b: F.l1_loss(a, b, reduction), [x, y])
    for beta in (1.0, 0.4, 0.0):
        assert ad.gradcheck(lambda a, b: F.smooth_l1_loss(a, b, reduction, beta), [x, y])
    assert ad.gradgradcheck(lambda a, b: F.smooth_l1_loss(a, b, reduction, 1.0), [x, y])


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_gradients_in_input_and_target(reduction, log_target):
    logq = np.log(probabilities((3, 4), zeros=False))
    t = probabilities((3, 4), zeros=False)
    if log_target:
        t = np.log(t)
    assert ad.gradcheck(lambda a, b: F.kl_div(a, b, reduction, log_target), [logq, t])
    assert ad.gradgradcheck(lambda a, b: F.kl_div(a, b, reduction, log_target), [logq, t])


def test_gradients_at_the_kinks_are_pytorchs():
    target = np.zeros(5)
    x = ad.tensor([0.0, 1.0, -1.0, 0.25, 3.0], requires_grad=True)
    F.l1_loss(x, target, reduction="sum").backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, -1.0, 1.0, 1.0])      # sign(0) = 0
    x.zero_grad()
    loss = F.smooth_l1_loss(x, target, reduction="sum", beta=1.0)
    loss.backward(create_graph=True)
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, -1.0, 0.25, 1.0])  # ±1 at |d| = beta
    first = x.grad
    x.zero_grad()
    first.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 0.0, 1.0, 0.0])      # 0 at |d| = beta


def test_kl_div_zero_targets_contribute_zero_and_their_gradient_is_nan_as_pytorch():
    logq = ad.tensor(np.log([0.5, 0.25, 0.25]), requires_grad=True)
    t = ad.tensor([0.0, 0.5, 0.5], requires_grad=True)
    loss = F.kl_div(logq, t, reduction="none")
    assert loss.data[0] == 0.0
    loss.sum().backward()
    np.testing.assert_allclose(logq.grad, [-0.0, -0.5, -0.5])
    assert np.isnan(t.grad[0]) and np.isfinite(t.grad[1:]).all()


def test_functions_keep_float32_gradients():
    x = ad.tensor(RNG.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    t = probabilities((3, 4)).astype(np.float32)
    for loss in (F.l1_loss(x, t), F.smooth_l1_loss(x, t, beta=0.5),
                 F.kl_div(x, t, reduction="batchmean")):
        x.zero_grad()
        assert loss.dtype == np.float32
        loss.backward()
        assert x.grad.dtype == np.float32


# ----- the modules -----------------------------------------------------------------------

def _classes():
    logits = RNG.standard_normal((6, 4))
    y = RNG.integers(0, 4, 6)
    y[0] = 2
    return logits, y


W4 = np.array([0.5, 1.0, 2.0, 1.5])
EQUIVALENTS = [
    (lambda r: nn.CrossEntropyLoss(reduction=r),
     lambda x, y, r: F.cross_entropy(x, y, reduction=r), "classes"),
    (lambda r: nn.CrossEntropyLoss(weight=W4, ignore_index=2, reduction=r, label_smoothing=0.1),
     lambda x, y, r: F.cross_entropy(x, y, weight=W4, ignore_index=2, reduction=r,
                                     label_smoothing=0.1), "classes"),
    (lambda r: nn.NLLLoss(weight=W4, ignore_index=2, reduction=r),
     lambda x, y, r: F.nll_loss(x, y, weight=W4, ignore_index=2, reduction=r), "classes"),
    (lambda r: nn.MSELoss(reduction=r), lambda x, y, r: F.mse_loss(x, y, r), "values"),
    (lambda r: nn.L1Loss(reduction=r), lambda x, y, r: F.l1_loss(x, y, r), "values"),
    (lambda r: nn.SmoothL1Loss(reduction=r, beta=0.5),
     lambda x, y, r: F.smooth_l1_loss(x, y, r, beta=0.5), "values"),
    (lambda r: nn.HuberLoss(reduction=r, delta=0.5),
     lambda x, y, r: F.huber_loss(x, y, r, delta=0.5), "values"),
    (lambda r: nn.BCELoss(weight=np.array([1.0, 2.0, 0.5, 1.0]), reduction=r),
     lambda x, y, r: F.binary_cross_entropy(x, y, weight=np.array([1.0, 2.0, 0.5, 1.0]),
                                            reduction=r), "probabilities"),
    (lambda r: nn.BCEWithLogitsLoss(weight=np.array([1.0, 2.0, 0.5, 1.0]), reduction=r,
                                    pos_weight=W4),
     lambda x, y, r: F.binary_cross_entropy_with_logits(
         x, y, weight=np.array([1.0, 2.0, 0.5, 1.0]), reduction=r, pos_weight=W4), "logits"),
    (lambda r: nn.KLDivLoss(reduction=r, log_target=True),
     lambda x, y, r: F.kl_div(x, y, r, log_target=True), "log_probabilities"),
]


def _inputs(kind):
    logits, y = _classes()
    if kind == "classes":
        return logits, y
    if kind == "probabilities":
        return 1 / (1 + np.exp(-logits)), RNG.uniform(0, 1, (6, 4))
    if kind == "log_probabilities":
        return np.log(probabilities((6, 4), zeros=False)), np.log(probabilities((6, 4), False))
    return logits, RNG.standard_normal((6, 4))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("make, functional, kind", EQUIVALENTS,
                         ids=lambda v: "" if callable(v) else v)
def test_each_module_equals_its_function(make, functional, kind, reduction):
    x, y = _inputs(kind)
    if functional is EQUIVALENTS[2][1]:
        x = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    a, b = ad.tensor(x, requires_grad=True), ad.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        got, expected = make(reduction)(a, y), functional(b, y, reduction)
    np.testing.assert_array_equal(got.data, expected.data)
    got.sum().backward()
    expected.sum().backward()
    np.testing.assert_array_equal(a.grad, b.grad)


def test_kl_div_module_batchmean_equals_the_function():
    logq, t = np.log(probabilities((3, 4), zeros=False)), probabilities((3, 4))
    np.testing.assert_array_equal(nn.KLDivLoss(reduction="batchmean")(ad.tensor(logq), t).data,
                                  F.kl_div(ad.tensor(logq), t, reduction="batchmean").data)


def test_weights_are_buffers_in_the_state_dict_as_in_pytorch():
    assert nn.CrossEntropyLoss().state_dict() == {}
    criterion = nn.CrossEntropyLoss(weight=[1, 2, 3])
    assert list(criterion.state_dict()) == ["weight"]
    assert criterion.weight.dtype == np.float64 and list(criterion.parameters()) == []
    assert list(nn.NLLLoss(weight=W4).state_dict()) == ["weight"]
    assert list(nn.BCELoss(weight=np.ones(3)).state_dict()) == ["weight"]
    both = nn.BCEWithLogitsLoss(weight=np.ones(3), pos_weight=np.array([2.0, 1.0, 1.0]))
    assert list(both.state_dict()) == ["weight", "pos_weight"]
    assert list(nn.BCEWithLogitsLoss(pos_weight=np.ones(3)).state_dict()) == ["pos_weight"]
    for plain in (nn.MSELoss(), nn.L1Loss(), nn.SmoothL1Loss(), nn.HuberLoss(), nn.KLDivLoss()):
        assert plain.state_dict() == {}

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 3, rng=0)
            self.criterion = nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 3.0]))

    model = Model()
    assert list(model.state_dict()) == ["fc.weight", "fc.bias", "criterion.weight"]
    state = model.state_dict()
    state["criterion.weight"] = np.array([3.0, 2.0, 1.0])
    model.load_state_dict(state)
    np.testing.assert_array_equal(model.criterion.weight, [3.0, 2.0, 1.0])
    assert "criterion.weight" in model.to_torch_state_dict()


def test_a_weight_loaded_later_is_the_one_used():
    logits, y = _classes()
    criterion = nn.CrossEntropyLoss(weight=np.ones(4))
    criterion.load_state_dict({"weight": W4})
    np.testing.assert_array_equal(criterion(ad.tensor(logits), y).data,
                                  F.cross_entropy(ad.tensor(logits), y, weight=W4).data)


def test_reprs():
    assert repr(nn.CrossEntropyLoss()) == ("CrossEntropyLoss(weight=None, ignore_index=-100, "
                                           "reduction='mean', label_smoothing=0.0)")
    assert repr(nn.CrossEntropyLoss(weight=np.array([0.2, 1.0, 3.0]), reduction="sum")) == (
        "CrossEntropyLoss(weight=[0.2, 1, 3], ignore_index=-100, reduction='sum', "
        "label_smoothing=0.0)")
    assert repr(nn.NLLLoss()) == "NLLLoss(weight=None, ignore_index=-100, reduction='mean')"
    assert repr(nn.MSELoss()) == "MSELoss(reduction='mean')"
    assert repr(nn.L1Loss(reduction="none")) == "L1Loss(reduction='none')"
    assert repr(nn.SmoothL1Loss()) == "SmoothL1Loss(reduction='mean', beta=1.0)"
    assert repr(nn.HuberLoss(delta=2.0)) == "HuberLoss(reduction='mean', delta=2.0)"
    assert repr(nn.BCELoss()) == "BCELoss(weight=None, reduction='mean')"
    assert repr(nn.BCEWithLogitsLoss()) == ("BCEWithLogitsLoss(weight=None, reduction='mean', "
                                            "pos_weight=None)")
    assert repr(nn.KLDivLoss()) == "KLDivLoss(reduction='mean', log_target=False)"
    holder = nn.Module()
    holder.criterion = nn.MSELoss(reduction="sum")
    assert repr(holder) == "Module(\n  (criterion): MSELoss(reduction='sum')\n)"


# ----- errors ----------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [nn.CrossEntropyLoss, nn.NLLLoss, nn.MSELoss, nn.L1Loss,
                                 nn.SmoothL1Loss, nn.BCELoss, nn.BCEWithLogitsLoss,
                                 nn.KLDivLoss])
def test_deprecated_size_average_and_reduce_are_refused_naming_the_reduction(cls):
    with pytest.raises(TypeError, match=rf"{cls.__name__}: size_average and reduce are "
                                        r"deprecated .* pass reduction='sum'"):
        cls(size_average=False)
    with pytest.raises(TypeError, match=r"pass reduction='none'"):
        cls(reduce=False)
    with pytest.raises(TypeError, match=r"pass reduction='mean'"):
        cls(size_average=True, reduce=True)


def test_bad_options_are_named():
    for make in (lambda: nn.MSELoss(reduction="avg"), lambda: nn.CrossEntropyLoss(reduction="avg"),
                 lambda: nn.HuberLoss(reduction="avg"), lambda: nn.MSELoss(reduction="batchmean")):
        with pytest.raises(ValueError, match=r"Loss: reduction must be 'mean', 'sum' or 'none', "
                                             r"got '(avg|batchmean)'"):
            make()
    with pytest.raises(ValueError, match=r"KLDivLoss: reduction must be 'mean', 'batchmean', "
                                         r"'sum' or 'none', got 'avg'"):
        nn.KLDivLoss(reduction="avg")
    with pytest.raises(ValueError, match=r"kl_div: reduction must be .*'batchmean'.*got 'avg'"):
        F.kl_div(ad.tensor([0.0]), np.ones(1), reduction="avg")
    for loss in (F.l1_loss, F.smooth_l1_loss):
        with pytest.raises(ValueError, match=rf"{loss.__name__}: reduction must be .*got 'avg'"):
            loss(ad.tensor([0.0]), np.zeros(1), reduction="avg")
    with pytest.raises(ValueError, match=r"smooth_l1_loss: beta must be >= 0, got -1"):
        F.smooth_l1_loss(ad.tensor([0.0]), np.zeros(1), beta=-1.0)
    with pytest.raises(ValueError, match=r"SmoothL1Loss: beta must be >= 0"):
        nn.SmoothL1Loss(beta=-0.5)
    with pytest.raises(ValueError, match=r"HuberLoss: delta must be > 0"):
        nn.HuberLoss(delta=0.0)
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: label_smoothing must be in \[0, 1\]"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"NLLLoss: weight must be 1-D, one weight per class, "
                                         r"got shape \(2, 2\)"):
        nn.NLLLoss(weight=np.ones((2, 2)))
    with pytest.raises(TypeError, match=r"BCELoss: weight must be numbers"):
        nn.BCELoss(weight="heavy")
    with pytest.raises(ValueError, match=r"cross_entropy: weight must have one entry per class"):
        nn.CrossEntropyLoss(weight=np.ones(3))(ad.tensor(np.zeros((2, 4))), np.array([0, 1]))


def test_integer_targets_are_refused_where_pytorch_refuses_them():
    p = ad.tensor([0.2, 0.7, 0.5])
    for loss in (nn.BCELoss(), nn.BCEWithLogitsLoss(), nn.KLDivLoss(reduction="sum")):
        with pytest.raises(TypeError, match=r"target must be floating-point, got dtype int64 "
                                            r"\(shape \(3,\)\).*astype"):
            loss(p, np.array([0, 1, 1]))
    with pytest.raises(TypeError, match=r"kl_div: expected floating-point values"):
        F.kl_div(np.array([0, 1]), np.array([0.5, 0.5]), reduction="sum")


# ----- a compiled step -------------------------------------------------------------------

def test_a_compiled_step_with_a_loss_module_equals_eager():
    def make():
        model = nn.MLP([4, 8, 3], rng=0)
        return model, ad.optim.SGD(model.parameters(), lr=0.1)

    def training_step(model, opt, criterion):
        def step(xb, yb):
            loss = criterion(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return step

    weight = np.array([1.0, 2.0, 0.5])
    for criterion in (nn.CrossEntropyLoss(), nn.CrossEntropyLoss(weight=weight,
                                                                 label_smoothing=0.1)):
        eager_model, eager_opt = make()
        model, opt = make()
        eager = training_step(eager_model, eager_opt, criterion)
        compiled = ad.compile(training_step(model, opt, criterion))
        rng = np.random.default_rng(1)
        for i in range(5):
            xb, yb = rng.normal(size=(16, 4)), rng.integers(0, 3, 16)
            np.testing.assert_allclose(compiled(xb, yb).data, eager(xb, yb).data, rtol=1e-12)
        for p, q in zip(eager_model.parameters(), model.parameters()):
            np.testing.assert_allclose(q.data, p.data, rtol=1e-12)
        assert compiled.traces == 1


def test_a_compiled_kl_div_follows_each_calls_target():
    logq = ad.nn.Parameter(np.log(probabilities((2, 3), zeros=False)))
    criterion = nn.KLDivLoss(reduction="batchmean")

    def loss_of(t):
        return criterion(logq, t)

    compiled = ad.compile(loss_of)
    for _ in range(3):
        t = probabilities((2, 3))
        np.testing.assert_allclose(compiled(t).data, loss_of(t).data, rtol=1e-13)
