"""Loss weights' dtype and shape, class weights reloaded into a compiled step, and
PReLU on a 0-d input, each against NumPy or hand-computed values."""

import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn


def _logit_bce(x, t, pos_weight=1.0, weight=1.0):
    x, t = x.astype(np.float64), t.astype(np.float64)
    log_sig = -np.logaddexp(0.0, -x)
    log_one_minus = -np.logaddexp(0.0, x)
    return -weight * (pos_weight * t * log_sig + (1 - t) * log_one_minus)


X32 = np.array([[0.5, -1.0, 2.0], [-0.25, 1.5, 0.0]], np.float32)
T32 = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], np.float32)
W64 = np.array([1.0, 2.0, 0.5])


@pytest.mark.parametrize("make, reference", [
    (lambda: nn.BCEWithLogitsLoss(pos_weight=W64),
     lambda: _logit_bce(X32, T32, pos_weight=W64)),
    (lambda: nn.BCEWithLogitsLoss(weight=W64),
     lambda: _logit_bce(X32, T32, weight=W64)),
    (lambda: nn.BCELoss(weight=W64),
     lambda: _logit_bce(X32, T32, weight=W64)),
])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_float64_loss_weights_keep_a_float32_input_float32(make, reference, reduction):
    criterion = make()
    criterion.reduction = reduction
    x = ad.tensor(X32, requires_grad=True)
    inp = ad.sigmoid(x) if isinstance(criterion, nn.BCELoss) else x
    loss = criterion(inp, ad.tensor(T32))
    assert loss.dtype == np.float32
    expected = reference()
    expected = {"mean": expected.mean(), "sum": expected.sum(), "none": expected}[reduction]
    np.testing.assert_allclose(loss.data, expected, rtol=1e-5)
    loss.sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("call", [
    lambda w: F.binary_cross_entropy_with_logits(ad.tensor(X32), T32, weight=w),
    lambda w: F.binary_cross_entropy_with_logits(ad.tensor(X32), T32, pos_weight=w),
    lambda w: F.binary_cross_entropy(ad.sigmoid(ad.tensor(X32)), T32, weight=w),
])
def test_loss_weight_that_would_enlarge_the_loss_is_refused(call):
    # (2, 2, 3) against an input of shape (2, 3): the loss would be counted twice.
    with pytest.raises(ValueError, match=r"binary_cross_entropy.*\(2, 2, 3\).*\(2, 3\)"):
        call(np.ones((2, 2, 3), np.float32))
    with pytest.raises(ValueError, match=r"\(2, 1, 3\).*\(2, 3\)"):
        call(np.ones((2, 1, 3), np.float32))
    # what broadcasts to the input's shape is accepted
    assert call(np.ones((2, 1), np.float32)).shape == ()


def _weighted_cross_entropy(logits, y, w):
    z = logits - logits.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    picked = -logp[np.arange(len(y)), y]
    return (w[y] * picked).sum() / w[y].sum()


@pytest.mark.parametrize("make, log_softmax", [
    (lambda: nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 3.0])), False),
    (lambda: nn.NLLLoss(weight=np.array([1.0, 2.0, 3.0])), True),
])
def test_compiled_step_reads_class_weights_loaded_with_load_state_dict(make, log_softmax):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4)).astype(np.float32)
    y = np.arange(6) % 3
    model = nn.Linear(4, 3, rng=0, dtype=np.float32)
    criterion = make()
    opt = ad.optim.SGD(model.parameters(), lr=0.0)      # the model stays as it is

    @ad.compile
    def step(xb, yb):
        out = model(xb)
        loss = criterion(F.log_softmax(out, dim=1) if log_softmax else out, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    logits = x @ model.weight.data + model.bias.data
    for _ in range(2):
        step(x, y)
    new = np.array([5.0, 1.0, 0.25])
    criterion.load_state_dict({"weight": new})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = step(x, y)
    np.testing.assert_allclose(got.data, _weighted_cross_entropy(logits, y, new), rtol=1e-5)


def test_prelu_takes_a_0d_input_with_one_slope():
    x = ad.tensor(-2.0, requires_grad=True)
    w = ad.tensor([0.25], requires_grad=True)
    y = F.prelu(x, w)
    assert y.shape == ()
    assert y.item() == -0.5
    y.backward()
    assert x.grad == 0.25
    np.testing.assert_array_equal(w.grad, [-2.0])
    assert nn.PReLU()(ad.tensor(3.0)).item() == 3.0
    with pytest.raises(ValueError, match="prelu"):
        F.prelu(ad.tensor(-2.0), ad.tensor([0.25, 0.5]))


@pytest.mark.parametrize("make", [lambda flag: nn.ReLU(inplace=flag),
                                  lambda flag: nn.LeakyReLU(0.1, flag),
                                  lambda flag: nn.ELU(inplace=flag),
                                  lambda flag: nn.SiLU(inplace=flag)],
                         ids=["ReLU", "LeakyReLU", "ELU", "SiLU"])
def test_pytorchs_inplace_false_is_taken_and_inplace_true_changes_the_input(make):
    x = ad.tensor([-1.0, 2.0])
    assert make(False)(x) is not x and make(False)(x).shape == (2,)
    np.testing.assert_array_equal(x.data, [-1.0, 2.0])
    expected = make(False)(x).data
    assert make(True)(x) is x
    np.testing.assert_array_equal(x.data, expected)


def test_functional_inplace_and_max_pool2d_return_indices_as_pytorch_spells_them():
    x = ad.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    assert F.max_pool2d(x, 2, return_indices=False).shape == (1, 1, 2, 2)
    out, indices = F.max_pool2d(x, 2, None, 0, 1, False, True)       # indices, as PyTorch
    np.testing.assert_array_equal(indices.data, [[[[5, 7], [13, 15]]]])
    np.testing.assert_array_equal(F.leaky_relu(ad.tensor([-1.0]), 0.1, False).data, [-0.1])
    for f, args in ((F.elu, ()), (F.silu, ()), (F.leaky_relu, (0.1, True))):
        expected = f(x, *args[:1]).data
        assert (f(x, *args) if args else f(x, inplace=True)) is x
        np.testing.assert_array_equal(x.data, expected)
